//! How long one full dashboard frame takes at 200x60, with 100 and with 100,000 history rows:
//! rendering builds only the visible rows, so both should cost about the same.

#[path = "../tests/ui_snapshots/fixtures.rs"]
#[allow(dead_code)] // shared with the snapshot tests; the bench uses only a few of the builders
mod fixtures;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
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
    assert_eq!(app.history.rows.len() as u64, rows);
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

criterion_group!(benches, render_dashboard);
criterion_main!(benches);
