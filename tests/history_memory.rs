//! Heap bytes per loaded history row: 100,000 rows go into a `HistoryPane` through its real
//! merge path (pages of the default size, newest first, as the desk asks for them), and the
//! bytes the pane holds afterwards, counted by a counting global allocator (not RSS, which
//! also holds what the allocator keeps of freed pages), are divided by the rows held.
//!
//! The rows look like P100's: UUID ids, four of five with a short description, exchanges with
//! their second leg. The counters are global, so this binary holds this one test only.

use std::alloc::System;

use chrono::{DateTime, Utc};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

use p100_desk::api::models::TransactionPage;
use p100_desk::app::history::{HistoryPane, PAGE_LIMIT};

#[path = "support/history_rows.rs"]
mod history_rows;
use history_rows::transaction;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const ROWS: u64 = 100_000;
/// The target for a loaded row, everything the pane keeps for it included.
const MAX_BYTES_PER_ROW: u64 = 150;

/// Bytes allocated and not yet freed.
fn live_heap_bytes() -> u64 {
    let stats = GLOBAL.stats();
    u64::try_from(
        stats
            .bytes_allocated
            .saturating_sub(stats.bytes_deallocated),
    )
    .expect("fits")
}

/// Page `page` (from 1) of a history of `total` rows, newest first.
fn server_page(total: u64, page: u64, limit: u64) -> TransactionPage {
    let top = total - (page - 1) * limit;
    let bottom = top.saturating_sub(limit);
    TransactionPage {
        transactions: (bottom..top).rev().map(transaction).collect(),
        page: None,
        limit: None,
        total: Some(total),
        unreadable: Vec::new(),
    }
}

#[test]
fn a_loaded_history_row_costs_at_most_150_heap_bytes() {
    let now = DateTime::<Utc>::from_timestamp(1_780_000_000, 0).expect("a time");
    let limit = u64::from(PAGE_LIMIT);
    let before = live_heap_bytes();
    let mut pane = HistoryPane::default();
    let pages = ROWS / limit;
    for page in 1..=pages {
        let data = server_page(ROWS, page, limit);
        pane.merge(u32::try_from(page).expect("fits"), data, now);
    }
    let after = live_heap_bytes();
    assert_eq!(pane.len() as u64, ROWS, "every row held (under the cap)");
    assert!(pane.at_end_of_history());
    let seventh = transaction(7);
    let found = pane.find(&seventh.id).map(|row| row.to_transaction());
    assert_eq!(found, Some(seventh), "a row reads back as it was sent");
    let per_row = (after - before) / ROWS;
    eprintln!(
        "history memory: {ROWS} rows in {pages} pages of {limit}: {} bytes on the heap, \
         {per_row} B per row",
        after - before
    );
    assert!(
        per_row <= MAX_BYTES_PER_ROW,
        "{per_row} heap bytes per loaded row (at most {MAX_BYTES_PER_ROW})"
    );
    drop(pane);
}
