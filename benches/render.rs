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
    fixtures::press(&mut app, KeyCode::Char('2'));
    fixtures::press(&mut app, KeyCode::Char('G'));
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

criterion_group!(
    benches,
    render_dashboard,
    render_live_rows,
    update_poll_result
);
criterion_main!(benches);
