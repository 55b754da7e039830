//! Snapshots of every pane, overlay and state at 80x24, 120x40 and 200x60 (and a tiny size),
//! per-cell checks of the colours that carry meaning in every theme, the rule that history's
//! columns never change while scrolling, and a no-panic sweep over small sizes.

#[path = "ui_snapshots/fixtures.rs"]
mod fixtures;

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use p100_desk::app::{App, EnvBadge, Overlay};
use p100_desk::config::ThemeName;
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

/// The sizes every screen is checked at: the smallest drawn, a common laptop, a large monitor.
const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];

/// Snapshots `app` at every size as `{name}_{w}x{h}`.
fn at_every_size(name: &str, app: &App) {
    for (width, height) in SIZES {
        assert_snapshot!(
            format!("{name}_{width}x{height}"),
            screen(app, width, height).backend()
        );
    }
}

/// One screen line as text.
fn line_text(buffer: &Buffer, y: u16) -> String {
    (buffer.area.left()..buffer.area.right())
        .map(|x| buffer[(x, y)].symbol())
        .collect()
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
    at_every_size("populated", &populated_app());
}

#[test]
fn dashboard_loading() {
    at_every_size("loading", &loading_app());
}

#[test]
fn dashboard_empty() {
    let app = empty_app();
    at_every_size("empty", &app);
    // Nothing in flight: the live pane is one line and history gets its rows.
    let terminal = screen(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    let (_, y) = expect_at(buffer, "[3] Live");
    expect_at(buffer, "Nothing in flight");
    assert_eq!(y, 21, "the live pane is the last line above the status bar");
}

#[test]
fn dashboard_stale() {
    at_every_size("stale", &stale_app());
}

#[test]
fn dashboard_first_load_failed() {
    at_every_size("first_load_failed", &first_load_failed_app());
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
    at_every_size("production_read_only", &app);
    let terminal = screen(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    let (x, y) = expect_at(buffer, "PRODUCTION");
    let badge = buffer[(x, y)].style();
    assert_eq!(badge.fg, Some(Color::Red), "production badge is red");
    assert!(badge.add_modifier.contains(Modifier::REVERSED));
    expect_at(buffer, "READ-ONLY");
    // Real money: a red frame round the whole screen.
    for (x, y) in [(0, 0), (79, 0), (0, 23), (79, 23), (40, 0), (0, 12)] {
        assert_eq!(buffer[(x, y)].fg, Color::Red, "frame at {x},{y}");
    }
    assert_eq!(buffer[(0, 0)].symbol(), "┏");
}

#[test]
fn header_shows_the_date_and_the_zone_and_t_switches_to_utc() {
    let mut app = populated_app();
    let cet = chrono::FixedOffset::east_opt(3_600).expect("offset");
    let options = RenderOptions::new(Theme::color(), cet);
    let terminal = draw(&app, 120, 40, &options);
    expect_at(terminal.backend().buffer(), "2026-02-13 12:30 UTC+01:00");
    press(&mut app, KeyCode::Char('t'));
    let terminal = draw(&app, 120, 40, &options);
    let buffer = terminal.backend().buffer();
    expect_at(buffer, "2026-02-13 11:30 UTC");
    assert!(find(buffer, "UTC+01:00").is_none(), "every time follows t");
    press(&mut app, KeyCode::Char('t'));
    let terminal = draw(&app, 120, 40, &options);
    expect_at(terminal.backend().buffer(), "12:30 UTC+01:00");
}

#[test]
fn history_rows_from_today_show_the_time_older_ones_the_date_with_the_year() {
    let app = populated_app();
    let terminal = screen(&app, 200, 60);
    let buffer = terminal.backend().buffer();
    // Row 0 is 3 minutes old; row 19 is 11.8 hours old, on the day before.
    let (x, _) = expect_at(buffer, "11:27 ");
    let (_, y) = expect_at(buffer, "2026-02-12 ");
    assert_eq!(buffer[(x, y)].symbol(), "2", "both in the time column");
}

#[test]
fn list_amounts_stop_at_the_currency_scale_with_a_mark_details_have_every_digit() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('2'));
    let terminal = screen(&app, 120, 40);
    expect_at(terminal.backend().buffer(), "→ 0.53588666… ETH");
    // Row 7 is the exchange into ETH with 18 decimals.
    for _ in 0..7 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Enter);
    let terminal = screen(&app, 120, 40);
    expect_at(terminal.backend().buffer(), "0.535886661234567891 ETH");
}

// ---------------------------------------------------------------------------------------------
// Panes with focus, history paging and the filter, live rows in every phase.

#[test]
fn history_focused_with_filter_being_typed() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "usdc");
    at_every_size("history_filter_editing", &app);
    // A real text field: the cursor moves and the bar is drawn where the next character goes.
    press(&mut app, KeyCode::Left);
    press(&mut app, KeyCode::Left);
    let terminal = screen(&app, 80, 24);
    expect_at(terminal.backend().buffer(), "/ us▏dc");
    // The status bar offers the filter line's keys, not the dashboard's.
    expect_at(
        terminal.backend().buffer(),
        "Enter keep filter  Esc clear filter",
    );
}

#[test]
fn a_filter_over_many_rows_says_searching_until_its_result_is_complete() {
    let mut app = populated_app();
    // 60,000 rows held: more than the slice matched inside a key, so the search goes on
    // across loop turns (one slice per `Tick`) and the pane says so meanwhile.
    app.update(
        p100_desk::app::msg::Msg::HistoryLoaded {
            page: 1,
            result: Ok(fixtures::page(0..60_000, Some(60_000))),
        },
        fixtures::t0(),
    );
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "nothing like this");
    assert!(app.history.searching());
    let terminal = screen(&app, 120, 40);
    let (x, y) = expect_at(terminal.backend().buffer(), "searching…");
    assert!(
        line_text(terminal.backend().buffer(), y).contains("[2] History"),
        "in the pane's title, at {x},{y}"
    );
    // The loop wakes at once while a search runs (no timer), and each turn matches one more
    // slice.
    assert_eq!(app.animation_interval(), Some(std::time::Duration::ZERO));
    let mut turns = 0;
    while app.history.searching() && turns < 100 {
        app.update(p100_desk::app::msg::Msg::Tick, fixtures::t0());
        turns += 1;
    }
    assert!(!app.history.searching(), "finished in {turns} turns");
    let terminal = screen(&app, 120, 40);
    assert!(find(terminal.backend().buffer(), "searching…").is_none());
    expect_at(terminal.backend().buffer(), "0 matches · 60,000/60,000");
}

#[test]
fn history_loading_more_at_the_end() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('2'));
    // Scrolling near the last loaded row loads the next page.
    for _ in 0..45 {
        press(&mut app, KeyCode::Char('j'));
    }
    assert_eq!(app.history.loading_page, Some(2));
    at_every_size("history_loading_more", &app);
    let terminal = screen(&app, 120, 40);
    expect_at(terminal.backend().buffer(), "loading more…");
}

#[test]
fn g_jumps_to_the_last_page_with_a_progress_line() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('G'));
    // 1,234 rows told: page 25 is the last, asked for directly.
    assert_eq!(app.history.loading_page, Some(25));
    at_every_size("history_seeking_the_end", &app);
    let terminal = screen(&app, 120, 40);
    expect_at(terminal.backend().buffer(), "loading history… 50 of 1,234");
    // The last page arrives: its 34 rows replace the first page's, the oldest is selected and
    // the end is marked; the count says which rows of the history are held.
    let now = app.now;
    app.update(
        p100_desk::app::msg::Msg::HistoryLoaded {
            page: 25,
            result: Ok(fixtures::page(1_200..1_234, Some(1_234))),
        },
        now,
    );
    assert_eq!(app.history.first_page, 25);
    at_every_size("history_end_of_history", &app);
    let terminal = screen(&app, 120, 40);
    expect_at(terminal.backend().buffer(), "1,201–1,234 of 1,234");
    expect_at(terminal.backend().buffer(), "end of history");
}

#[test]
fn live_rows_in_every_phase() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('3'));
    at_every_size("live_phases", &app);
}

#[test]
fn live_rows_whose_checks_fail_are_marked_unchecked() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('3'));
    let since = app.now - chrono::Duration::seconds(42);
    let index = app
        .live
        .rows
        .iter()
        .position(|row| matches!(row.phase, p100_desk::app::live::Phase::Pending { .. }))
        .expect("a watched row");
    let mut row = app.live.rows.get_mut(index).expect("the row");
    row.check_failed = Some(p100_desk::app::freshness::Stale {
        since,
        reason: "timed out".into(),
    });
    drop(row);
    at_every_size("live_check_failing", &app);
    let terminal = screen(&app, 120, 40);
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
    at_every_size("help", &app);
    let small = screen(&app, 80, 24);
    // Generated from the binding table: every binding's keys and words are on screen.
    for hint in app.offered(app.keyboard.help_from) {
        expect_at(small.backend().buffer(), hint.help);
        expect_at(small.backend().buffer(), &hint.label);
    }
    // And every command, by its usage at least (`:quit` fell off the bottom before).
    for command in app.offered_commands() {
        expect_at(small.backend().buffer(), command.usage);
    }
    let large = screen(&app, 200, 60);
    for command in app.offered_commands() {
        expect_at(large.backend().buffer(), command.help);
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
    at_every_size("balance_detail_crypto", &app);
    // One wallet, two networks: the detail says what P100 says about the address.
    let terminal = screen(&app, 120, 40);
    expect_at(
        terminal.backend().buffer(),
        "one address for all networks of this balance",
    );

    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('g'));
    press(&mut app, KeyCode::Enter);
    at_every_size("balance_detail_fiat", &app);
}

#[test]
fn transaction_details() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Some(Overlay::TransactionDetail(_))));
    at_every_size("transaction_detail", &app);
    let terminal = screen(&app, 80, 24);
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
    at_every_size("live_detail_underpaid_order", &app);
    let terminal = screen(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    // The wallet address stands alone on its line, so a mouse selection copies just it.
    let (x, y) = expect_at(buffer, "0xE3534d1b2c8f0a9e7d6c5b4a3928170f6e5d4c3b");
    assert_eq!(buffer[(x - 1, y)].symbol(), " ");
    expect_at(buffer, "UNDERPAID, short by 112.107142 USDC");

    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    at_every_size("live_detail_failed_exchange", &app);
    let terminal = screen(&app, 120, 40);
    expect_at(terminal.backend().buffer(), "P433: insufficient funds");
}

/// The live row with `key` (a fixture key such as "awaiting") opened in its detail view.
fn live_detail(key: &str) -> App {
    let mut app = populated_app();
    let full = app
        .live
        .rows
        .iter()
        .find(|row| row.key.contains(key))
        .map(|row| row.key.clone())
        .expect("fixture row");
    app.overlay = Some(Overlay::LiveDetail(full));
    app
}

#[test]
fn an_open_order_shows_its_qr_dark_on_light_and_its_time_left() {
    let app = live_detail("awaiting");
    at_every_size("live_detail_open_order", &app);
    for (width, height) in [(120, 40), (200, 60)] {
        let terminal = screen(&app, width, height);
        let buffer = terminal.backend().buffer();
        let (x, y) = expect_at(buffer, "Scan to pay on polygon:");
        // The quiet zone's first cell, under the caption: white on white, set explicitly.
        let quiet = &buffer[(x, y + 1)];
        assert_eq!((quiet.fg, quiet.bg), (Color::White, Color::White));
        let modules: Vec<_> = (y + 1..y + 20)
            .flat_map(|row| (x..x + 37).map(move |col| (col, row)))
            .map(|at| (buffer[at].fg, buffer[at].bg))
            .collect();
        assert!(
            modules.contains(&(Color::Black, Color::White)),
            "dark modules"
        );
        expect_at(buffer, "pay within 14m");
        expect_at(buffer, "encodes 0x5Aeda56215b167893e80B4fE645BA6d5Bab767DE");
    }
    // At 80x24 the code does not fit: say so instead of drawing half of it.
    let terminal = screen(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    assert!(find(buffer, "Scan to pay").is_none());
    expect_at(buffer, "Enlarge the terminal to see the QR");
}

#[test]
fn a_closed_order_asks_for_no_money() {
    let app = live_detail("expired");
    at_every_size("live_detail_closed_order", &app);
    for (width, height) in SIZES {
        let terminal = screen(&app, width, height);
        let buffer = terminal.backend().buffer();
        for text in ["Scan to pay", "Pay by", "c copies", "Enlarge the terminal"] {
            assert!(find(buffer, text).is_none(), "{text:?} at {width}x{height}");
        }
        expect_at(buffer, "Order closed: do not pay to this address");
    }
    // Copying it says so too, and does not claim the terminal took it.
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Char('G'));
    press(&mut app, KeyCode::Up);
    let cmds = app.update(
        p100_desk::app::msg::Msg::Key(
            p100_desk::keys::KeyPress::from_crossterm(&crossterm::event::KeyEvent::new(
                KeyCode::Char('c'),
                crossterm::event::KeyModifiers::NONE,
            ))
            .expect("a named key"),
        ),
        app.now,
    );
    assert_eq!(cmds.len(), 1, "one clipboard command");
    let notice = app.notice.expect("a notice").text;
    assert!(
        notice.contains("(OSC 52)") && notice.contains("order closed: do not pay"),
        "{notice}"
    );
}

#[test]
fn history_columns_never_change_while_scrolling() {
    let mut app = populated_app();
    // A second page, so scrolling crosses rows with and without the other leg or the id.
    app.update(
        p100_desk::app::msg::Msg::HistoryLoaded {
            page: 2,
            result: Ok(fixtures::page(50..100, Some(1_234))),
        },
        app.now,
    );
    press(&mut app, KeyCode::Char('2'));
    for (width, height) in SIZES {
        press(&mut app, KeyCode::Char('g'));
        let header = |app: &App| {
            let terminal = screen(app, width, height);
            let buffer = terminal.backend().buffer();
            let (_, y) = expect_at(buffer, "Time ");
            line_text(buffer, y)
        };
        let first = header(&app);
        assert!(first.contains("Amount"), "{first}");
        for _ in 0..99 {
            press(&mut app, KeyCode::Down);
            assert_eq!(header(&app), first, "{width}x{height}");
        }
    }
}

#[test]
fn an_order_below_the_networks_minimum_deposit_is_warned_before_it_is_confirmed() {
    use p100_desk::api::models::{Currency, OrderLock};
    use p100_desk::app::cmd::Cmd;
    use p100_desk::app::msg::Msg;
    let mut app = populated_app();
    // USDC, whose ethereum network lists a minimum deposit of 10.
    for _ in 0..4 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Char('o'));
    assert!(app.ticket.is_some(), "the order ticket opens");
    type_text(&mut app, "3");
    let now = app.now;
    let cmds = app.update(
        Msg::Key(
            p100_desk::keys::KeyPress::from_crossterm(&crossterm::event::KeyEvent::new(
                KeyCode::Enter,
                crossterm::event::KeyModifiers::NONE,
            ))
            .expect("a named key"),
        ),
        now,
    );
    let seq = cmds
        .iter()
        .find_map(|cmd| match cmd {
            Cmd::Lock {
                seq,
                request: p100_desk::app::money_actions::LockRequest::Order(_),
            } => Some(*seq),
            _ => None,
        })
        .expect("a lock request");
    app.update(
        Msg::Locked {
            seq,
            result: Ok(p100_desk::app::money_actions::TradeLock::Order(OrderLock {
                lock_id: "36e19a53-1c2d-4e5f-8a9b-0c1d2e3f4a5b".into(),
                amount: fixtures::dec("3.571428"),
                rate: fixtures::dec("0.84"),
                expires_at: now + chrono::Duration::seconds(30),
                currency: Currency::new("usdc"),
                destination_currency: Some(Currency::new("eur")),
                network: Some("ethereum".into()),
            })),
        },
        now,
    );
    // The terms have been on screen for a second: the confirm key is offered.
    app.frame_drawn(now - chrono::Duration::seconds(1), true);
    at_every_size("order_below_min_deposit", &app);
    for (width, height) in SIZES {
        let text = format!("{}", screen(&app, width, height).backend());
        assert!(
            text.contains("! Below min deposit 10.000000 USDC on ethereum: may be lost"),
            "{text}"
        );
        assert!(text.contains("Payment window: set by P100"), "{text}");
        assert!(
            text.contains("y CONFIRM"),
            "the confirm keys still show: {text}"
        );
    }
}

#[test]
fn the_reporting_currency_values_balances_and_labels_the_total_indicative() {
    let app = populated_app();
    let mut options = RenderOptions::utc(Theme::color());
    options.reporting_currency = "usdc".into();
    let terminal = draw(&app, 120, 40, &options);
    let buffer = terminal.backend().buffer();
    expect_at(buffer, "≈ USDC");
    // 152,340.75 EUR at 0.963728 EUR per USDC.
    expect_at(buffer, "158,074.43");
    expect_at(buffer, "indicative, rates of 11:29");
    // A currency without a rate: EUR, and the note says why.
    options.reporting_currency = "usdt".into();
    let terminal = draw(&app, 120, 40, &options);
    let buffer = terminal.backend().buffer();
    expect_at(buffer, "≈ EUR");
    expect_at(buffer, "in EUR: no rate for USDT");
}

#[test]
fn history_at_120_columns_shows_the_other_leg_and_the_id() {
    let app = populated_app();
    let terminal = screen(&app, 120, 40);
    let buffer = terminal.backend().buffer();
    let (_, y) = expect_at(buffer, "Time ");
    let header = line_text(buffer, y);
    assert!(
        header.contains("Other leg") && header.contains("Id"),
        "{header}"
    );
    expect_at(buffer, &fixtures::tx_id(0)[..8]);
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
    at_every_size("error_dialog", &app);
    let terminal = screen(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    expect_at(buffer, "Enter/Esc/q close");
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
    let terminal = screen(&app, 120, 40);
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
    let terminal = screen(&app, 200, 60);
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
    app.live.push(fixtures::live_rows().remove(2));
    let options = RenderOptions::utc(Theme::monochrome());
    for (width, height) in SIZES {
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

/// The foreground a style sets, as a buffer cell holds it.
fn fg(style: ratatui::style::Style) -> Color {
    style.fg.unwrap_or(Color::Reset)
}

#[test]
fn every_theme_colours_what_carries_meaning_and_theme_switches_it() {
    for name in ThemeName::ALL {
        let theme = Theme::named(name, false);
        let mut app = populated_app();
        app.session = fixtures::session(EnvBadge::Production, false);
        app.set_theme(Some(name));
        assert_eq!(app.screen.theme, name);
        // Default options (dark): the app's `:theme` choice is what is drawn.
        let terminal = screen(&app, 200, 60);
        let buffer = terminal.backend().buffer();
        let label = name.as_str();

        let (x, y) = expect_at(buffer, "EXCHANGE FAILED");
        assert_eq!(buffer[(x + 9, y)].fg, fg(theme.error), "{label}: failed");
        let (x, y) = expect_at(buffer, "WAITING_FOR_WALLET_ADDRESS");
        assert_eq!(buffer[(x, y)].fg, fg(theme.pending), "{label}: pending");
        let (x, y) = expect_at(buffer, "EXCHANGE UNKNOWN");
        assert_eq!(buffer[(x + 9, y)].fg, fg(theme.unknown), "{label}: unknown");
        let (x, y) = expect_at(buffer, "ACTIVE");
        assert_eq!(buffer[(x, y)].fg, fg(theme.ok), "{label}: active");
        let (x, y) = expect_at(buffer, "[1] Balances");
        assert_eq!(buffer[(x, y)].fg, fg(theme.title_focused), "{label}: focus");
        assert_eq!(
            buffer[(x - 2, y)].fg,
            fg(theme.border_focused),
            "{label}: border"
        );
        let (x, y) = expect_at(buffer, "PRODUCTION");
        assert_eq!(buffer[(x, y)].fg, fg(theme.badge_production), "{label}");
        assert_eq!(
            buffer[(x, y)].bg,
            theme.badge_production.bg.unwrap_or(Color::Reset),
            "{label}"
        );
        assert_eq!(
            buffer[(0, 0)].fg,
            fg(theme.production_frame),
            "{label}: frame"
        );
        // The meanings stay apart in every theme.
        let meanings = [theme.ok, theme.pending, theme.error, theme.unknown];
        for (i, a) in meanings.iter().enumerate() {
            for b in &meanings[i + 1..] {
                assert_ne!(a, b, "{label}: two meanings share a style");
            }
        }
        if name == ThemeName::Light {
            // Yellow and cyan text vanish on a white background.
            for cell in &buffer.content {
                assert!(
                    !matches!(
                        cell.fg,
                        Color::Yellow | Color::LightYellow | Color::Cyan | Color::LightCyan
                    ),
                    "light theme draws {:?} text",
                    cell.fg
                );
            }
        }
    }
}

#[test]
fn no_color_wins_over_every_theme() {
    for name in ThemeName::ALL {
        let mut app = stale_app();
        app.set_theme(Some(name));
        let mut options = RenderOptions::utc(Theme::monochrome());
        options.no_color = true;
        let terminal = draw(&app, 120, 40, &options);
        for cell in &terminal.backend().buffer().content {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{name:?}");
        }
    }
}

#[test]
fn the_command_line_is_drawn_and_refuses_what_it_does_not_know() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "theme light");
    let terminal = screen(&app, 80, 24);
    expect_at(terminal.backend().buffer(), ":theme light▏");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen.theme, ThemeName::Light);
    assert!(app.keyboard.command.is_none());
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "theme solarized");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.screen.theme, ThemeName::Light, "unchanged");
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("unknown theme"))
    );
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "rm -rf");
    press(&mut app, KeyCode::Enter);
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("Unknown command"))
    );
}

#[test]
fn dismiss_says_what_it_hid_and_u_brings_it_back() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('3'));
    // The failed exchange: final, so it may be dismissed.
    while app
        .live
        .selected()
        .is_some_and(|row| !row.key.contains("failed"))
    {
        press(&mut app, KeyCode::Down);
    }
    let before: Vec<String> = app.live.rows.iter().map(|r| r.key.clone()).collect();
    press(&mut app, KeyCode::Char('d'));
    assert_eq!(app.live.rows.len(), before.len() - 1);
    let notice = app.notice.clone().expect("a notice").text;
    assert!(notice.contains("exchange 3f0aeaa7 (FAILED)"), "{notice}");
    press(&mut app, KeyCode::Char('u'));
    let after: Vec<String> = app.live.rows.iter().map(|r| r.key.clone()).collect();
    assert_eq!(after, before, "back where it was");
    assert!(
        app.live
            .selected()
            .is_some_and(|row| row.key.contains("failed"))
    );
    press(&mut app, KeyCode::Char('u'));
    assert!(
        app.notice
            .is_some_and(|n| n.text.contains("Nothing dismissed"))
    );
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

#[test]
fn quit_question_message_log_and_command_line_with_their_key_lines() {
    let mut app = populated_app();
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.mode(), p100_desk::keys::Mode::QuitConfirm);
    assert!(!app.should_quit, "rows are in flight: q asks first");
    let terminal = screen(&app, 80, 24);
    assert_snapshot!("quit_confirm_80x24", terminal.backend());
    expect_at(terminal.backend().buffer(), "in flight:");
    expect_at(terminal.backend().buffer(), "q/y quit now  n/Esc stay");

    press(&mut app, KeyCode::Char('n'));
    press(&mut app, KeyCode::Char('r'));
    press(&mut app, KeyCode::Char('L'));
    let terminal = screen(&app, 80, 24);
    assert_snapshot!("message_log_80x24", terminal.backend());
    expect_at(
        terminal.backend().buffer(),
        "Refreshing balances and history",
    );

    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "x us");
    press(&mut app, KeyCode::Tab);
    let terminal = screen(&app, 80, 24);
    assert_snapshot!("command_line_80x24", terminal.backend());
    expect_at(terminal.backend().buffer(), ":x usd");
    expect_at(
        terminal.backend().buffer(),
        "Enter run  Tab complete  Esc cancel",
    );
}

/// The screen with every `.` and `,` between two digits swapped: how the default format's
/// numbers read in `1.234,56` (the two marks trade places, widths stay the same). A number cut
/// by a dialog's border (`│.0125`) counts as between digits too.
fn dot_comma(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = |index: Option<usize>, test: fn(&char) -> bool| {
        index.and_then(|i| chars.get(i)).is_some_and(test)
    };
    let before = |c: &char| c.is_ascii_digit() || ('\u{2500}'..='\u{257f}').contains(c);
    chars
        .iter()
        .enumerate()
        .map(|(index, &c)| match c {
            '.' | ','
                if at(index.checked_sub(1), before)
                    && at(Some(index + 1), char::is_ascii_digit) =>
            {
                if c == '.' {
                    ','
                } else {
                    '.'
                }
            }
            other => other,
        })
        .collect()
}

/// With `number_format = "1.234,56"`, every screen of the dashboard (panes, balance,
/// transaction and live details) is the default one with each number's marks swapped: no
/// number is left in the default format, none is written differently otherwise.
#[test]
fn every_number_on_every_screen_follows_the_number_format() {
    use p100_desk::number_format::NumberFormat;
    let mut screens: Vec<(&str, App)> = vec![("dashboard", populated_app())];
    let mut balance = populated_app();
    for _ in 0..4 {
        press(&mut balance, KeyCode::Down);
    }
    press(&mut balance, KeyCode::Enter);
    screens.push(("balance detail", balance));
    let mut fiat = populated_app();
    press(&mut fiat, KeyCode::Enter);
    screens.push(("fiat balance detail", fiat));
    let mut transaction = populated_app();
    press(&mut transaction, KeyCode::Char('2'));
    press(&mut transaction, KeyCode::Enter);
    screens.push(("transaction detail", transaction));
    // Tickets being filled in (an amount with no mark reads the same in both formats).
    for (open, amount) in ['x', 'o'].into_iter().zip(["1000", "100"]) {
        let mut ticket = populated_app();
        for _ in 0..4 {
            press(&mut ticket, KeyCode::Down);
        }
        press(&mut ticket, KeyCode::Char(open));
        type_text(&mut ticket, amount);
        assert!(ticket.ticket.is_some(), "the {open} ticket opened");
        screens.push(("ticket", ticket));
    }
    let keys: Vec<String> = populated_app()
        .live
        .rows
        .iter()
        .map(|row| row.key.clone())
        .collect();
    for key in &keys {
        let mut app = populated_app();
        app.overlay = Some(Overlay::LiveDetail(key.clone()));
        screens.push(("live detail", app));
    }
    // The setting as a session starts with it: the app's, and an open ticket's copy.
    let set = |app: &mut App, format: NumberFormat| {
        app.keyboard.number_format = format;
        match &mut app.ticket {
            Some(p100_desk::app::ticket::Ticket::Exchange(t)) => t.number_format = format,
            Some(p100_desk::app::ticket::Ticket::Order(t)) => t.number_format = format,
            None => {}
        }
    };
    for (name, mut app) in screens {
        for (width, height) in SIZES {
            set(&mut app, NumberFormat::default());
            let default = format!("{}", screen(&app, width, height).backend());
            set(&mut app, NumberFormat::DotComma);
            let shown = format!("{}", screen(&app, width, height).backend());
            assert_eq!(shown, dot_comma(&default), "{name} at {width}x{height}");
        }
    }
}
