//! Snapshots of every pane, overlay and state at 80x24, 140x45 and a tiny size, plus per-cell
//! checks of the colours that carry meaning and a no-panic sweep over small sizes.

#[path = "ui_snapshots/fixtures.rs"]
mod fixtures;

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use p100_desk::app::keymap::BINDINGS;
use p100_desk::app::{App, EnvBadge, Overlay};
use p100_desk::ui::{self, RenderOptions, Theme};

use fixtures::{
    empty_app, first_load_failed_app, loading_app, populated_app, press, stale_app, type_text,
};

fn draw(app: &App, width: u16, height: u16, options: &RenderOptions) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| ui::render(app, frame, options))
        .expect("draw");
    terminal
}

fn screen(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    draw(app, width, height, &RenderOptions::utc(Theme::color()))
}

/// The position of the first cell where `text` starts, reading row by row.
fn find(buffer: &Buffer, text: &str) -> Option<(u16, u16)> {
    let wanted: Vec<String> = text.chars().map(String::from).collect();
    let area = buffer.area;
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let matches = wanted.iter().enumerate().all(|(i, symbol)| {
                let Ok(offset) = u16::try_from(i) else {
                    return false;
                };
                x.checked_add(offset)
                    .filter(|cx| *cx < area.right())
                    .is_some_and(|cx| buffer[(cx, y)].symbol() == symbol)
            });
            if matches {
                return Some((x, y));
            }
        }
    }
    None
}

fn expect_at(buffer: &Buffer, text: &str) -> (u16, u16) {
    find(buffer, text).unwrap_or_else(|| panic!("{text:?} is not on screen"))
}

// ---------------------------------------------------------------------------------------------
// The dashboard in each state, at both sizes.

#[test]
fn dashboard_populated() {
    let app = populated_app();
    assert_snapshot!("populated_80x24", screen(&app, 80, 24).backend());
    assert_snapshot!("populated_140x45", screen(&app, 140, 45).backend());
}

#[test]
fn dashboard_loading() {
    let app = loading_app();
    assert_snapshot!("loading_80x24", screen(&app, 80, 24).backend());
    assert_snapshot!("loading_140x45", screen(&app, 140, 45).backend());
}

#[test]
fn dashboard_empty() {
    let app = empty_app();
    assert_snapshot!("empty_80x24", screen(&app, 80, 24).backend());
    assert_snapshot!("empty_140x45", screen(&app, 140, 45).backend());
}

#[test]
fn dashboard_stale() {
    let app = stale_app();
    assert_snapshot!("stale_80x24", screen(&app, 80, 24).backend());
    assert_snapshot!("stale_140x45", screen(&app, 140, 45).backend());
}

#[test]
fn dashboard_first_load_failed() {
    let app = first_load_failed_app();
    assert_snapshot!("first_load_failed_80x24", screen(&app, 80, 24).backend());
}

#[test]
fn too_small_asks_for_a_bigger_terminal() {
    let app = populated_app();
    let terminal = screen(&app, 40, 10);
    assert_snapshot!("too_small_40x10", terminal.backend());
    expect_at(terminal.backend().buffer(), "40x10.");
}

#[test]
fn production_read_only_header() {
    let mut app = populated_app();
    app.session = fixtures::session(EnvBadge::Production, true);
    let terminal = screen(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    assert_snapshot!("production_read_only_80x24", terminal.backend());
    let (x, y) = expect_at(buffer, "PRODUCTION");
    let badge = buffer[(x, y)].style();
    assert_eq!(badge.fg, Some(Color::Red), "production badge is red");
    assert!(badge.add_modifier.contains(Modifier::REVERSED));
    expect_at(buffer, "READ-ONLY");
}

// ---------------------------------------------------------------------------------------------
// Panes with focus, history paging and the filter, live rows in every phase.

#[test]
fn history_focused_with_filter_being_typed() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "usdc");
    let terminal = screen(&app, 80, 24);
    assert_snapshot!("history_filter_editing_80x24", terminal.backend());
    expect_at(terminal.backend().buffer(), "/ usdc█");
}

#[test]
fn history_loading_more_at_the_end() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.history.loading_page, Some(2));
    let terminal = screen(&app, 140, 45);
    assert_snapshot!("history_loading_more_140x45", terminal.backend());
    expect_at(terminal.backend().buffer(), "loading more…");
}

#[test]
fn live_rows_in_every_phase() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('3'));
    assert_snapshot!("live_phases_140x45", screen(&app, 140, 45).backend());
    assert_snapshot!("live_phases_80x24", screen(&app, 80, 24).backend());
}

#[test]
fn live_rows_whose_checks_fail_are_marked_unchecked() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('3'));
    let since = app.now - chrono::Duration::seconds(42);
    let row = app
        .live
        .rows
        .iter_mut()
        .find(|row| matches!(row.phase, p100_desk::app::live::Phase::Pending { .. }))
        .expect("a watched row");
    row.check_failed = Some(p100_desk::app::freshness::Stale {
        since,
        reason: "timed out".into(),
    });
    let terminal = screen(&app, 140, 45);
    assert_snapshot!("live_check_failing_140x45", terminal.backend());
    let buffer = terminal.backend().buffer();
    let (x, y) = expect_at(buffer, "! unchecked for 42s (timed out)");
    assert_eq!(buffer[(x, y)].fg, Color::Yellow);
    expect_at(buffer, "! stale since");
}

// ---------------------------------------------------------------------------------------------
// Overlays.

#[test]
fn help_overlay() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.overlay, Some(Overlay::Help));
    let small = screen(&app, 80, 24);
    assert_snapshot!("help_80x24", small.backend());
    assert_snapshot!("help_140x45", screen(&app, 140, 45).backend());
    // Generated from the binding table: every binding's keys and words are on screen.
    for binding in BINDINGS {
        expect_at(small.backend().buffer(), binding.help);
        expect_at(small.backend().buffer(), binding.label);
    }
}

#[test]
fn balance_details() {
    let mut app = populated_app();
    for _ in 0..4 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Some(Overlay::BalanceDetail(_))));
    assert_snapshot!(
        "balance_detail_crypto_80x24",
        screen(&app, 80, 24).backend()
    );

    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('g'));
    press(&mut app, KeyCode::Enter);
    assert_snapshot!(
        "balance_detail_fiat_140x45",
        screen(&app, 140, 45).backend()
    );
}

#[test]
fn transaction_details() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Some(Overlay::TransactionDetail(_))));
    let terminal = screen(&app, 80, 24);
    assert_snapshot!("transaction_detail_80x24", terminal.backend());
    // The full id, not the short one of the table.
    expect_at(terminal.backend().buffer(), &fixtures::tx_id(0));
}

#[test]
fn live_details() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let terminal = screen(&app, 80, 24);
    assert_snapshot!("live_detail_underpaid_order_80x24", terminal.backend());
    let buffer = terminal.backend().buffer();
    // The wallet address stands alone on its line, so a mouse selection copies just it.
    let (x, y) = expect_at(buffer, "0xE3534d1b2c8f0a9e7d6c5b4a3928170f6e5d4c3b");
    assert_eq!(buffer[(x - 1, y)].symbol(), " ");
    expect_at(buffer, "UNDERPAID");

    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let terminal = screen(&app, 140, 45);
    assert_snapshot!("live_detail_failed_exchange_140x45", terminal.backend());
    expect_at(terminal.backend().buffer(), "P433: insufficient funds");
}

#[test]
fn error_dialog() {
    let mut app = populated_app();
    // No message opens this dialog yet (the ticket flow does); set the overlay the flow will set.
    app.overlay = Some(Overlay::Error {
        title: "Exchange not sent".into(),
        message: "P433 insufficient-funds: the ETH balance is lower than 10.00000000 ETH.\n\
                  Nothing was sent. Lower the amount or top up, then lock a new rate."
            .into(),
    });
    let terminal = screen(&app, 80, 24);
    assert_snapshot!("error_dialog_80x24", terminal.backend());
    let buffer = terminal.backend().buffer();
    expect_at(buffer, "Enter/Esc to close");
    let (x, y) = expect_at(buffer, "! Exchange not sent");
    assert_eq!(buffer[(x, y)].fg, Color::Cyan, "title text");
    let border = buffer[(x - 2, y)].style();
    assert_eq!(
        border.fg,
        Some(Color::Red),
        "an error dialog has a red frame"
    );
}

// ---------------------------------------------------------------------------------------------
// Colours that carry meaning, and NO_COLOR.

#[test]
fn focused_pane_border_is_thick_and_highlighted() {
    let app = populated_app();
    let terminal = screen(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    let (x, y) = expect_at(buffer, "[1] Balances");
    let corner = &buffer[(0, y)];
    assert_eq!(corner.symbol(), "┏");
    assert_eq!(corner.fg, Color::Cyan);
    assert_eq!(buffer[(x, y)].fg, Color::Cyan);
    let (_, history_y) = expect_at(buffer, "[2] History");
    let corner = &buffer[(0, history_y)];
    assert_eq!(corner.symbol(), "┌");
    assert_eq!(corner.fg, Color::DarkGray);
}

#[test]
fn stale_marker_is_coloured_and_worded() {
    let app = stale_app();
    let terminal = screen(&app, 140, 45);
    let buffer = terminal.backend().buffer();
    let (x, y) = expect_at(buffer, "! stale since 11:29:12 — timed out");
    assert_eq!(buffer[(x, y)].fg, Color::Yellow);
    assert!(buffer[(x, y)].modifier.contains(Modifier::BOLD));
    expect_at(buffer, "! stale since 11:29:12 — offline");
    expect_at(
        buffer,
        "! History not refreshed: Could not reach P100: connection refused.",
    );
}

#[test]
fn failed_live_row_is_red_and_dimmed() {
    let app = populated_app();
    let terminal = screen(&app, 140, 45);
    let buffer = terminal.backend().buffer();
    // "EXCHANGE FAILED" is the live row; history rows say "FAILED" too.
    let (x, y) = expect_at(buffer, "EXCHANGE FAILED");
    let cell = &buffer[(x + 9, y)];
    assert_eq!(cell.symbol(), "F");
    assert_eq!(cell.fg, Color::Red);
    assert!(
        cell.modifier.contains(Modifier::DIM),
        "final rows are dimmed"
    );
    let (x, y) = expect_at(buffer, "! P433: insufficient funds");
    assert_eq!(buffer[(x, y)].fg, Color::Red);
    let (x, y) = expect_at(buffer, "WAITING_FOR_WALLET_ADDRESS");
    assert_eq!(buffer[(x, y)].fg, Color::Yellow, "pending is yellow");
    assert!(!buffer[(x, y)].modifier.contains(Modifier::DIM));
}

#[test]
fn monochrome_theme_uses_no_colour_at_all() {
    let mut app = stale_app();
    app.live.push(fixtures::live_rows().remove(1));
    let options = RenderOptions::utc(Theme::monochrome());
    for (width, height) in [(80, 24), (140, 45)] {
        let terminal = draw(&app, width, height, &options);
        let buffer = terminal.backend().buffer();
        for cell in &buffer.content {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
        }
        // The meaning is still in the text.
        expect_at(buffer, "! stale since");
        expect_at(buffer, "FAILED");
        expect_at(buffer, "▶");
    }
}

// ---------------------------------------------------------------------------------------------
// Never panic, whatever the size.

fn every_overlay(app: &App) -> Vec<Option<Overlay>> {
    vec![
        None,
        Some(Overlay::Help),
        Some(Overlay::BalanceDetail(app.balances.rows[2].id.clone())),
        Some(Overlay::BalanceDetail("gone".into())),
        Some(Overlay::TransactionDetail(
            app.history
                .row(0)
                .map(|r| r.id().to_string())
                .expect("a row"),
        )),
        Some(Overlay::LiveDetail(app.live.rows[2].key.clone())),
        Some(Overlay::LiveDetail(app.live.rows[5].key.clone())),
        Some(Overlay::Error {
            title: "Exchange not sent".into(),
            message: "P433 insufficient-funds: a long message that has to wrap.".into(),
        }),
        Some(Overlay::Error {
            title: "A message longer than any screen".into(),
            message: "word ".repeat(2_000),
        }),
    ]
}

#[test]
fn never_panics_at_any_size() {
    let mut sizes: Vec<(u16, u16)> = (0..=30)
        .flat_map(|w| (0..=10).map(move |h| (w, h)))
        .collect();
    sizes.extend([
        (79, 23),
        (79, 24),
        (80, 23),
        (80, 24),
        (81, 25),
        (99, 24),
        (119, 24),
        (120, 24),
        (120, 30),
        (200, 60),
        (300, 24),
        (80, 200),
        (1000, 3),
    ]);
    let options = RenderOptions::utc(Theme::color());
    let mut apps = vec![populated_app(), stale_app(), empty_app(), loading_app()];
    let overlays = every_overlay(&apps[0]);
    for app in &mut apps {
        for focus in ['1', '2', '3'] {
            press(app, KeyCode::Char(focus));
            for overlay in &overlays {
                app.overlay.clone_from(overlay);
                for &(width, height) in &sizes {
                    draw(app, width, height, &options);
                }
            }
        }
    }
}
