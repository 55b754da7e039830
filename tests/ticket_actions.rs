//! The ticket's actions as pure state changes (issue 10, the ticket): nothing confirms unseen
//! (0.5 s after a frame showed the locked terms), `e` goes back to editing with the fields kept,
//! Max fills the available balance, and the limit is shown and warned while typing.

mod support;

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use p100_desk::api::models::{Currency, ExchangeLock};
use p100_desk::app::App;
use p100_desk::app::cmd::Cmd;
use p100_desk::app::money_actions::{LockRequest, TradeLock};
use p100_desk::app::msg::Msg;
use p100_desk::app::ticket::{Stage, Ticket};
use p100_desk::ui::{self, RenderOptions, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;
use support::fixtures::{self, T0};

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal")
}

fn at_ms(ms: i64) -> DateTime<Utc> {
    *T0 + Duration::milliseconds(ms)
}

fn press(app: &mut App, code: KeyCode, now: DateTime<Utc>) -> Vec<Cmd> {
    app.update(
        Msg::Key(
            p100_desk::keys::KeyPress::from_crossterm(&KeyEvent::new(code, KeyModifiers::NONE))
                .expect("a named key"),
        ),
        now,
    )
}

fn ctrl(app: &mut App, c: char, now: DateTime<Utc>) -> Vec<Cmd> {
    app.update(Msg::Key(p100_desk::keys::KeyPress::ctrl(c)), now)
}

fn key(app: &mut App, c: char, now: DateTime<Utc>) -> Vec<Cmd> {
    press(app, KeyCode::Char(c), now)
}

fn submits(cmds: &[Cmd]) -> usize {
    cmds.iter()
        .filter(|cmd| matches!(cmd, Cmd::Submit { .. }))
        .count()
}

fn screen(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(140, 45)).expect("terminal");
    terminal
        .draw(|frame| ui::render(app, frame, &RenderOptions::utc(Theme::color())))
        .expect("draw");
    format!("{}", terminal.backend())
}

/// USDC -> EUR, 100 typed, locked at `at_ms(0)`; no frame drawn yet.
fn locked(app: &mut App) {
    key(app, 'j', at_ms(0));
    key(app, 'x', at_ms(0));
    for c in "100".chars() {
        key(app, c, at_ms(0));
    }
    let cmds = press(app, KeyCode::Enter, at_ms(0));
    let Some(Cmd::Lock { seq, .. }) = cmds.first().cloned() else {
        panic!("a lock request: {cmds:?}");
    };
    app.update(
        Msg::Locked {
            seq,
            result: Ok(TradeLock::Exchange(ExchangeLock {
                lock_id: "lk-1".into(),
                currency_from: Currency::new("usdc"),
                currency_to: Currency::new("eur"),
                amount: dec("100"),
                rate: dec("0.9"),
                amount_to: dec("90.00"),
                expires_at: at_ms(30_000),
            })),
        },
        at_ms(0),
    );
}

#[test]
fn a_confirm_counts_only_half_a_second_after_the_terms_were_drawn() {
    let mut app = fixtures::loaded_app();
    locked(&mut app);
    // Typed ahead: no frame has shown the terms yet.
    assert_eq!(submits(&key(&mut app, 'y', at_ms(900))), 0);
    assert!(
        screen(&app).contains("confirm in 0.5 s"),
        "{}",
        screen(&app)
    );
    app.frame_drawn(at_ms(1_000), true);
    assert_eq!(submits(&key(&mut app, 'y', at_ms(1_400))), 0, "too soon");
    app.update(Msg::Tick, at_ms(1_300));
    assert!(screen(&app).contains("confirm in 0.2 s"));
    // Hidden (too small, or an overlay): the clock starts again when shown again.
    app.frame_drawn(at_ms(1_450), false);
    app.frame_drawn(at_ms(1_600), true);
    assert_eq!(submits(&key(&mut app, 'y', at_ms(2_000))), 0);
    app.update(Msg::Tick, at_ms(2_100));
    assert!(screen(&app).contains("y CONFIRM"), "{}", screen(&app));
    assert_eq!(submits(&key(&mut app, 'y', at_ms(2_100))), 1);
}

#[test]
fn e_goes_back_to_editing_with_the_fields_kept() {
    let mut app = fixtures::loaded_app();
    locked(&mut app);
    let cmds = key(&mut app, 'e', at_ms(100));
    let Some(Ticket::Exchange(ticket)) = &app.ticket else {
        panic!("ticket stays open");
    };
    assert_eq!(ticket.stage, Stage::Editing);
    assert_eq!(
        (
            ticket.from.as_str(),
            ticket.to.as_str(),
            ticket.amount.as_str()
        ),
        ("USDC", "EUR", "100")
    );
    assert!(
        matches!(cmds.as_slice(), [Cmd::SchedulePrice { .. }]),
        "a fresh quote: {cmds:?}"
    );
    // The old lock is gone: `y` sends nothing (in the form it is only a typed character, shown
    // as an error under the amount), and Enter locks again once it is deleted.
    assert_eq!(submits(&key(&mut app, 'y', at_ms(2_000))), 0);
    press(&mut app, KeyCode::Backspace, at_ms(2_000));
    let cmds = press(&mut app, KeyCode::Enter, at_ms(2_000));
    assert!(
        matches!(cmds.as_slice(), [Cmd::Lock { request: LockRequest::Exchange(asked), .. }] if asked.amount == dec("100"))
    );
}

#[test]
fn max_fills_the_whole_available_balance() {
    let mut app = fixtures::loaded_app();
    key(&mut app, 'j', at_ms(0));
    key(&mut app, 'x', at_ms(0));
    key(&mut app, '5', at_ms(0));
    ctrl(&mut app, 'a', at_ms(0));
    let Some(Ticket::Exchange(ticket)) = &app.ticket else {
        panic!("exchange ticket");
    };
    assert_eq!(
        ticket.amount, "48250.5",
        "the USDC balance, as typed digits"
    );
    let cmds = press(&mut app, KeyCode::Enter, at_ms(0));
    assert!(
        matches!(cmds.as_slice(), [Cmd::Lock { request: LockRequest::Exchange(asked), .. }] if asked.amount == dec("48250.5")),
        "{cmds:?}"
    );
    // In a currency field `m` is a letter, and Max (Ctrl-A) leaves the field alone.
    let mut app = fixtures::loaded_app();
    key(&mut app, 'x', at_ms(0));
    press(&mut app, KeyCode::Tab, at_ms(0));
    let Some(Ticket::Exchange(before)) = app.ticket.clone() else {
        panic!("exchange ticket");
    };
    ctrl(&mut app, 'a', at_ms(0));
    key(&mut app, 'm', at_ms(0));
    let Some(Ticket::Exchange(after)) = &app.ticket else {
        panic!("exchange ticket");
    };
    assert_eq!(after.from, format!("{}M", before.from));
    assert!(after.amount.is_empty());
}

#[test]
fn the_limit_is_shown_and_warned_while_typing() {
    let mut app = fixtures::loaded_app_with(|session| session.max_exchange_eur = Some(dec("500")));
    key(&mut app, 'j', at_ms(0));
    key(&mut app, 'x', at_ms(0));
    key(&mut app, '5', at_ms(0));
    key(&mut app, '0', at_ms(0));
    let text = screen(&app);
    assert!(text.contains("limit 500.00 EUR per exchange"), "{text}");
    assert!(!text.contains("Above your limit"), "45 EUR is within it");
    // 1000 USDC at 0.9 is 900 EUR: warned before anything is locked.
    key(&mut app, '0', at_ms(0));
    key(&mut app, '0', at_ms(0));
    let text = screen(&app);
    assert!(
        text.contains("! Above your limit 500.00 EUR per exchange"),
        "{text}"
    );
}
