//! Memory stays flat: 10,000 updates into a desk watching 1,000 rows (poll answers with status
//! changes and failures, history pages, balance refreshes, ticks, keys, reconciliation) leave the
//! live heap where the warm-up left it, and every collection the app keeps at its size.
//!
//! The heap is measured with a counting global allocator, so this binary holds this one test
//! only: another test running alongside would allocate into the same counters.

#[path = "support/live_load.rs"]
mod live_load;

use std::alloc::System;

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

use live_load::{LIVE_ROWS, t0};
use p100_desk::api::error::ApiError;
use p100_desk::app::App;
use p100_desk::app::live::{ExchangeLeg, LiveKind, LiveRow, Phase};
use p100_desk::app::msg::{Msg, SubmitError};
use p100_desk::keys::KeyPress;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Rows whose POST outcome is unknown, reconciled for the whole run.
const UNKNOWN_ROWS: u64 = 10;
/// The history the API holds: three pages of 50.
const HISTORY_TOTAL: u64 = 150;
const WARM_UP: u64 = 2_000;
const UPDATES: u64 = 10_000;
const CHECKPOINT_EVERY: u64 = 2_000;
/// What the live heap may move between checkpoints without anything accumulating: statuses,
/// notices and history rows are rewritten in place with texts of other lengths, which moves it
/// by a few hundred bytes. 16 KiB is far above that, yet a leak of 2 bytes per update would
/// cross it within the run.
const WANDER_BYTES: i128 = 16 * 1024;

/// Bytes allocated and not yet freed. (stats_alloc already books a realloc's growth or
/// shrinkage under allocated or deallocated; `bytes_reallocated` is the same change again.)
fn live_heap_bytes() -> i128 {
    let stats = GLOBAL.stats();
    i128::try_from(stats.bytes_allocated).expect("fits")
        - i128::try_from(stats.bytes_deallocated).expect("fits")
}

fn at(i: u64) -> DateTime<Utc> {
    t0() + Duration::milliseconds(i64::try_from(i * 10).expect("small"))
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(
        KeyPress::from_crossterm(&KeyEvent::new(code, KeyModifiers::NONE)).expect("a named key"),
    )
}

fn unknown_key(k: u64) -> String {
    format!("ex-unknown-{k}")
}

/// Rows whose exchange POST timed out: unknown, with no id, so they are reconciled.
fn add_unknown_rows(app: &mut App) {
    for k in 0..UNKNOWN_ROWS {
        app.live.push(LiveRow {
            key: unknown_key(k),
            remote_id: None,
            lock_id: format!("lock-unknown-{k}"),
            kind: LiveKind::Exchange(ExchangeLeg {
                from: p100_desk::api::models::Currency::new("usdc"),
                to: p100_desk::api::models::Currency::new("eur"),
                amount: rust_decimal::Decimal::TEN,
                amount_to: rust_decimal::Decimal::new(860, 2),
                rate: rust_decimal::Decimal::new(86, 2),
            }),
            phase: Phase::Sending,
            created_at: t0(),
            updated_at: t0(),
            check_failed: None,
        });
        let now = app.now;
        app.update(
            Msg::Submitted {
                intent: unknown_key(k),
                result: Err(SubmitError::Api(ApiError::OutcomeUnknown {
                    cause: Box::new(ApiError::Timeout),
                })),
            },
            now,
        );
    }
}

/// The `i`th message of the run: mostly poll answers (every row in turn, a status change every
/// other round), some failed polls, and the rest of what a busy desk receives.
fn message(i: u64) -> Msg {
    let row = i * 7_919 % LIVE_ROWS;
    let round = i / 100;
    match i % 100 {
        0 => Msg::RefreshDue,
        1 => Msg::BalancesLoaded(Ok(live_load::balances(round))),
        2 => Msg::HistoryLoaded {
            page: 1,
            result: Ok(live_load::history_page(1, HISTORY_TOTAL, round)),
        },
        3 => Msg::HistoryLoaded {
            page: 2 + u32::try_from(round % 2).expect("small"),
            result: Ok(live_load::history_page(2 + round % 2, HISTORY_TOTAL, round)),
        },
        4 => Msg::Tick,
        5 => Msg::ReconcileDue {
            intent: unknown_key(round % UNKNOWN_ROWS),
        },
        6 => Msg::Reconciled {
            intent: unknown_key(round % UNKNOWN_ROWS),
            result: Err(ApiError::Timeout),
        },
        7 => Msg::FinalRefreshDue,
        8 => key(KeyCode::Char(['1', '2', '3'][(round % 3) as usize])),
        9 => key(KeyCode::Char('j')),
        10 => key(KeyCode::Enter),
        11 => key(KeyCode::Esc),
        12..=19 => live_load::poll_failure(row),
        _ => live_load::poll_reply(row, i / (2 * LIVE_ROWS)),
    }
}

/// What the app holds, to compare between checkpoints.
#[derive(Debug, PartialEq, Eq)]
struct Sizes {
    live_rows: usize,
    watched: usize,
    history_rows: usize,
    history_visible: usize,
    balances: usize,
    reconciling: usize,
}

fn sizes(app: &App) -> Sizes {
    Sizes {
        live_rows: app.live.rows.len(),
        watched: app.live.watch_targets().len(),
        history_rows: app.history.len(),
        history_visible: app.history.visible_len(),
        balances: app.balances.rows.len(),
        reconciling: app.reconciling_count(),
    }
}

#[test]
fn ten_thousand_updates_leave_the_heap_flat() {
    let mut app = live_load::desk_with_live_rows(LIVE_ROWS, false, HISTORY_TOTAL);
    add_unknown_rows(&mut app);
    // The message log keeps the last `MAX_MESSAGES` notices (bounded on purpose: "every message
    // since start" within that cap, the log file beyond it; tested in `app::message_log`).
    // Filled first, so this measures whether anything *else* grows.
    for n in 0..p100_desk::app::message_log::MAX_MESSAGES {
        app.keyboard.log.push(p100_desk::app::Notice {
            text: format!("{n:>6} a notice of a typical length, about as long as a poll note is"),
            level: p100_desk::app::Level::Info,
            at: at(0),
        });
    }
    for i in 0..WARM_UP {
        app.update(message(i), at(i));
    }
    let expected = Sizes {
        live_rows: usize::try_from(LIVE_ROWS + UNKNOWN_ROWS).expect("small"),
        watched: usize::try_from(LIVE_ROWS).expect("small"),
        history_rows: usize::try_from(HISTORY_TOTAL).expect("small"),
        history_visible: usize::try_from(HISTORY_TOTAL).expect("small"),
        balances: 3,
        reconciling: usize::try_from(UNKNOWN_ROWS).expect("small"),
    };
    assert_eq!(sizes(&app), expected, "after the warm-up");

    let start = live_heap_bytes();
    let mut checkpoints = Vec::new();
    for i in WARM_UP..WARM_UP + UPDATES {
        app.update(message(i), at(i));
        if (i + 1 - WARM_UP) % CHECKPOINT_EVERY == 0 {
            checkpoints.push(live_heap_bytes());
            assert_eq!(sizes(&app), expected, "after update {}", i + 1);
        }
    }
    let end = live_heap_bytes();
    let highest = checkpoints.iter().copied().max().unwrap_or(end);
    eprintln!(
        "memory: live heap {start} bytes after {WARM_UP} warm-up updates, {end} bytes after \
         {UPDATES} more (checkpoints {checkpoints:?}); {} rows watched",
        expected.watched
    );
    assert!(
        highest - start <= WANDER_BYTES,
        "the live heap grew by {} bytes over {UPDATES} updates (checkpoints {checkpoints:?})",
        highest - start
    );
    assert!(app.notice.is_some(), "the status bar shows the last thing");
}
