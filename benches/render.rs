//! How long one full dashboard frame takes at 200x60, with 100 and with 100,000 history rows:
//! rendering builds only the visible rows, so both should cost about the same. Then the load
//! case: a frame with 1,000 live rows, and one `App::update` for a poll answer while 1,000 rows
//! are watched.

#[path = "../tests/ui_snapshots/fixtures.rs"]
#[allow(dead_code)] // shared with the snapshot tests; the bench uses only a few of the builders
mod fixtures;

#[path = "../tests/support/live_load.rs"]
mod live_load;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use p100_desk::app::App;
use p100_desk::app::msg::Msg;
use p100_desk::ui::{self, RenderOptions, Theme};

/// The populated dashboard with `rows` history rows, focus on history, last row selected.
fn app_with_history(rows: u64) -> App {
    let mut app = fixtures::populated_app();
    load_history(&mut app, rows);
    app
}

/// `rows` history rows through `App::update`, focus on history, last row selected.
fn load_history(app: &mut App, rows: u64) {
    let now = app.now;
    // Two pages: one big first page (merging into an empty list is linear), then the rest, so
    // the rows arrive the way the app receives them, through `App::update`.
    let split = rows.saturating_sub(50);
    for (page, range) in [(1, 0..split), (2, split..rows)] {
        app.update(
            Msg::HistoryLoaded {
                page,
                result: Ok(fixtures::page(range, Some(rows))),
            },
            now,
        );
    }
    assert_eq!(app.history.len() as u64, rows);
    fixtures::press(app, KeyCode::Char('2'));
    fixtures::press(app, KeyCode::Char('G'));
}

/// [`app_with_history`] with a cap that holds every row (the default, 200,000, would drop the
/// far end of a million).
fn app_with_history_held(rows: u64) -> App {
    let mut app = fixtures::populated_app();
    app.history =
        p100_desk::app::history::HistoryPane::with_max_rows(usize::try_from(rows).unwrap_or(0));
    load_history(&mut app, rows);
    app
}

fn render_dashboard(c: &mut Criterion) {
    let options = RenderOptions::utc(Theme::color());
    let mut group = c.benchmark_group("render_200x60");
    for rows in [100, 100_000] {
        let app = app_with_history(rows);
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test terminal");
        group.bench_function(format!("{rows}_history_rows"), |b| {
            b.iter(|| {
                terminal
                    .draw(|frame| ui::render(black_box(&app), frame, &options))
                    .expect("draw");
            });
        });
    }
    group.finish();
}

/// 1,000 live rows in mixed phases (one in five final), focus on live, a row in the middle
/// selected so the pane scrolls.
fn app_with_live_rows() -> App {
    let mut app = live_load::desk_with_live_rows(live_load::LIVE_ROWS, true, 1_234);
    fixtures::press(&mut app, KeyCode::Char('3'));
    for _ in 0..500 {
        fixtures::press(&mut app, KeyCode::Char('j'));
    }
    app
}

fn render_live_rows(c: &mut Criterion) {
    let options = RenderOptions::utc(Theme::color());
    let app = app_with_live_rows();
    assert_eq!(app.live.rows.len() as u64, live_load::LIVE_ROWS);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test terminal");
    c.bench_function("render_200x60/1000_live_rows", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| ui::render(black_box(&app), frame, &options))
                .expect("draw");
        });
    });
}

/// One poll answer while 1,000 rows are watched: the row is found, updated, and the watch set
/// is checked for changes. Each row comes round every 1,000 answers, 500 status steps on:
/// exchanges (3 statuses) answer with a new status, orders (4) with the same one, so both
/// paths are in the mix.
fn update_poll_result(c: &mut Criterion) {
    let mut app = live_load::desk_with_live_rows(live_load::LIVE_ROWS, false, 1_234);
    let now = app.now;
    let mut step = 0_u64;
    c.bench_function("update/poll_result_1000_watched", |b| {
        b.iter_batched(
            || {
                step += 1;
                live_load::poll_reply(step * 7 % live_load::LIVE_ROWS, step / 2)
            },
            |msg| black_box(app.update(msg, now)),
            BatchSize::SmallInput,
        );
    });
}

/// `/` and a query typed over 100,000 and 1,000,000 history rows (the cap raised to hold them),
/// the way the loop runs it: each key an `App::update` and a frame, then one turn per slice (a
/// `Tick`: the next 32,768 rows matched; and a frame, with "searching…" in the title) until the
/// result is complete. Timed from the first key to the frame that shows the complete result;
/// what the runtime does between turns (one `select!` and one yield, no timer) is not in it.
fn filter_through_the_loop(c: &mut Criterion) {
    let options = RenderOptions::utc(Theme::color());
    let mut group = c.benchmark_group("render_200x60");
    group.sample_size(10);
    for rows in [100_000_u64, 1_000_000] {
        let mut app = app_with_history_held(rows);
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test terminal");
        let mut draw = |app: &App| {
            terminal
                .draw(|frame| ui::render(black_box(app), frame, &options))
                .expect("draw");
        };
        let mut turns = 0_u64;
        group.bench_function(format!("filter_to_complete_result/{rows}"), |b| {
            b.iter_custom(|iters| {
                let mut total = std::time::Duration::ZERO;
                for _ in 0..iters {
                    let started = std::time::Instant::now();
                    for key in "/invoice 2026-0097".chars() {
                        fixtures::press(&mut app, KeyCode::Char(key));
                        draw(&app);
                    }
                    while app.history.searching() {
                        let now = app.now;
                        app.update(Msg::Tick, now);
                        draw(&app);
                        turns += 1;
                    }
                    total += started.elapsed();
                    // Not timed: the filter closed and emptied for the next query.
                    fixtures::press(&mut app, KeyCode::Esc);
                    while app.history.searching() {
                        let now = app.now;
                        app.update(Msg::Tick, now);
                    }
                }
                total
            });
        });
        assert!(app.history.len() as u64 == rows && turns > 0);
    }
    group.finish();
}

criterion_group!(
    benches,
    render_dashboard,
    render_live_rows,
    update_poll_result,
    filter_through_the_loop
);
criterion_main!(benches);
