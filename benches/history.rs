//! The history index and the poll schedule at growing sizes: what one key, one page merge, one
//! page-1 refresh and one typed filter character cost with 1k, 100k and 1M rows loaded, and what
//! one poll answer costs with 100, 1,000 and 10,000 rows watched. Flat is the goal: each 1M (or
//! 10,000) figure divided by its 1k (or 100) figure is the ratio README reports.

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

use p100_desk::api::models::TransactionPage;
use p100_desk::app::history::HistoryPane;
use p100_desk::app::live::{Phase, WatchChange, WatchRule, WatchTarget, WatchedSet};
use p100_desk::app::selection::Nav;
use p100_desk::poller::{PollSchedule, PollSettings};

#[path = "../tests/support/live_load.rs"]
mod live_load;

#[path = "../tests/support/history_rows.rs"]
mod history_rows;
use history_rows::transaction;

const SIZES: [u64; 3] = [1_000, 100_000, 1_000_000];
const PAGE: u64 = 50;
/// The newest row's number: far above every size, so older pages never run out.
const TOP: u64 = 1 << 40;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default()
}

/// Rows `from..to` newest first.
fn page_of(from: u64, to: u64) -> TransactionPage {
    TransactionPage {
        transactions: (from..to).rev().map(transaction).collect(),
        page: None,
        limit: None,
        total: None,
        unreadable: Vec::new(),
    }
}

/// A pane holding rows `TOP - rows..TOP` at its cap (so each new page drops one at the far
/// end, as at the default cap), loaded in big pages to set up fast.
fn pane_with(rows: u64) -> HistoryPane {
    let mut pane = HistoryPane::with_max_rows(usize::try_from(rows).unwrap_or(usize::MAX));
    let top = TOP;
    let chunk = 10_000.min(rows);
    let mut number = 1;
    let mut upper = top;
    while upper > top - rows {
        let lower = upper.saturating_sub(chunk).max(top - rows);
        pane.merge(number, page_of(lower, upper), now());
        number += 1;
        upper = lower;
    }
    pane.loading_page = Some(u32::MAX); // no prefetch requests while keys are measured
    pane
}

fn history(c: &mut Criterion) {
    let mut group = c.benchmark_group("history");
    for rows in SIZES {
        let mut pane = pane_with(rows);
        pane.navigate(Nav::Bottom);
        let mut down = false;
        group.bench_function(format!("key/{rows}"), |b| {
            b.iter(|| {
                down = !down;
                black_box(pane.navigate(if down { Nav::Down } else { Nav::Up }));
                black_box(pane.selected_index());
            });
        });

        // The next older page, 50 rows never seen (the pane grows by 50 per iteration).
        let mut next_lower = TOP - rows;
        group.bench_function(format!("merge_next_page/{rows}"), |b| {
            b.iter_batched(
                || {
                    next_lower = next_lower.saturating_sub(PAGE);
                    page_of(next_lower, next_lower + PAGE)
                },
                |data| {
                    pane.pages_loaded = 1; // so page 2 is always the one below
                    pane.merge(2, data, now());
                },
                BatchSize::SmallInput,
            );
        });

        // Page 1 again: 50 rows already held, updated in place.
        let mut pane = pane_with(rows);
        let top = TOP;
        group.bench_function(format!("refresh_page_1/{rows}"), |b| {
            b.iter_batched(
                || page_of(top - PAGE, top),
                |data| pane.merge(1, data, now()),
                BatchSize::SmallInput,
            );
        });

        // One typed character: the key's own cost (the search goes on in later loop turns).
        let mut long = false;
        group.bench_function(format!("filter_key/{rows}"), |b| {
            b.iter(|| {
                long = !long;
                pane.set_filter(if long { "pay".into() } else { "pa".into() });
            });
        });
        // A query from nothing to its complete result.
        group.bench_function(format!("filter_complete/{rows}"), |b| {
            b.iter(|| {
                pane.set_filter("payment 97".into());
                pane.finish_search();
                black_box(pane.visible_len());
                pane.set_filter(String::new());
            });
        });
    }
    group.finish();
}

fn poller(c: &mut Criterion) {
    let settings = PollSettings::default();
    let mut group = c.benchmark_group("poller");
    for watched in [100_u32, 1_000, 10_000] {
        let targets: Vec<WatchTarget> = (0..watched)
            .map(|n| WatchTarget::Exchange(format!("{n:08x}-0000-4000-8000-000000000000")))
            .collect();
        let mut schedule = PollSchedule::default();
        let start = tokio::time::Instant::now();
        schedule.apply(&WatchChange::adding(targets), start, &settings);
        let mut clock = start + Duration::from_secs(3_600);
        // One answer: the next due row is taken, its reply recorded, the next wake-up read.
        group.bench_function(format!("answer/{watched}"), |b| {
            b.iter(|| {
                clock += Duration::from_millis(200);
                if let Some(row) = schedule.take_next(clock) {
                    schedule.record_answer(row, Some("PENDING"), None, clock, &settings);
                }
                black_box(schedule.next_wake());
            });
        });
        // One row joins and one leaves the watch set.
        let mut n = watched;
        group.bench_function(format!("watch_change/{watched}"), |b| {
            b.iter(|| {
                n += 1;
                let joining = WatchTarget::Order(format!("{n:08x}"));
                schedule.add(&joining, clock, &settings);
                schedule.remove(&joining);
            });
        });
    }
    group.finish();
}

/// One poll answer through `App::update` with 100, 1,000 and 10,000 rows in the Live pane: the
/// row found by its remote id, the answer applied, the watch set compared. Statuses do not
/// change (a warm-up pass has set each row to what the answers say), as for most answers.
fn app_answer(c: &mut Criterion) {
    use p100_desk::api::models::{ExchangeDetails, ExchangeStatus};
    use p100_desk::app::msg::Msg;
    let mut group = c.benchmark_group("poller");
    for rows in [100_u64, 1_000, 10_000] {
        let mut app = live_load::desk_with_live_rows(rows, false, 50);
        let exchanges: Vec<String> = (0..rows)
            .filter(|&n| live_load::is_exchange(n))
            .map(live_load::remote_id)
            .collect();
        let answer = |id: &String| Msg::ExchangePolled {
            id: id.clone(),
            result: Ok(ExchangeDetails::status_only(
                id.clone(),
                ExchangeStatus::Processing,
            )),
        };
        for id in &exchanges {
            app.update(answer(id), live_load::t0());
        }
        let mut next = 0;
        group.bench_function(format!("app_answer/{rows}"), |b| {
            b.iter_batched(
                || {
                    next = (next + 1) % exchanges.len();
                    answer(&exchanges[next])
                },
                |msg| black_box(app.update(msg, live_load::t0())),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

/// One row leaves the watch set and joins it again, the whole way a change takes: the row's
/// phase changed in the Live rows, the change computed against what the poller was told, and
/// the poller's schedule applying it; with 100, 1,000 and 10,000 rows in flight. (A row going
/// final, or getting its id, is one half of this.)
fn app_watch_change(c: &mut Criterion) {
    let settings = PollSettings::default();
    let mut group = c.benchmark_group("poller");
    for rows in [100_u64, 1_000, 10_000] {
        let mut app = live_load::desk_with_live_rows(rows, false, 50);
        let mut told = WatchedSet::default();
        let mut schedule = PollSchedule::default();
        let start = tokio::time::Instant::now();
        // The desk's first update told its own record; this bench keeps one of its own.
        app.live.rows.rewatch_all();
        if let Some(change) = app.live.rows.watch_change(&mut told, WatchRule::InFlight) {
            schedule.apply(&change, start, &settings);
        }
        assert_eq!(
            schedule.len(),
            app.live.watch_targets().len(),
            "seeded whole"
        );
        let rows = usize::try_from(rows).unwrap_or(usize::MAX);
        let mut next = 0;
        group.bench_function(format!("app_watch_change/{rows}"), |b| {
            b.iter(|| {
                next = (next + 7) % rows;
                let Some(mut row) = app.live.rows.get_mut(next) else {
                    return;
                };
                let held = std::mem::replace(&mut row.phase, Phase::Completed);
                drop(row);
                if let Some(change) = app.live.rows.watch_change(&mut told, WatchRule::InFlight) {
                    schedule.apply(black_box(&change), start, &settings);
                }
                if let Some(mut row) = app.live.rows.get_mut(next) {
                    row.phase = held;
                }
                if let Some(change) = app.live.rows.watch_change(&mut told, WatchRule::InFlight) {
                    schedule.apply(black_box(&change), start, &settings);
                }
            });
        });
        assert_eq!(
            schedule.len(),
            app.live.watch_targets().len(),
            "the schedule follows the rows"
        );
    }
    group.finish();
}

criterion_group!(benches, history, poller, app_answer, app_watch_change);
criterion_main!(benches);
