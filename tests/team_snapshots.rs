//! Snapshots of the desk on a team relay at 80x24, 120x40 and 200x60: the header's push state,
//! team rows in Live with who placed them (this desk's own marked), the Approvals view and the
//! review of an approval. State is built only through `App::update` (plus one own live row).

#[path = "ui_snapshots/fixtures.rs"]
#[allow(dead_code)] // the shared fixtures serve other snapshot files too
mod fixtures;

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use p100_desk::api::models::Currency;
use p100_desk::api::team::{Proposal, TeamIdentity, TeamRow};
use p100_desk::app::App;
use p100_desk::app::live::{ExchangeLeg, LiveKind, LiveRow, Phase};
use p100_desk::app::msg::Msg;
use p100_desk::app::team::PushLink;
use p100_desk::ui::{self, RenderOptions, Theme};

use fixtures::{ago, balances, dec, page, press, t0};

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];

fn at_every_size(name: &str, app: &App) {
    for (width, height) in SIZES {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal
            .draw(|frame| ui::render(app, frame, &RenderOptions::utc(Theme::color())))
            .expect("draw");
        assert_snapshot!(format!("{name}_{width}x{height}"), terminal.backend());
    }
}

fn team_row(value: serde_json::Value) -> TeamRow {
    serde_json::from_value(value).expect("team row")
}

fn proposal(value: serde_json::Value) -> Proposal {
    serde_json::from_value(value).expect("proposal")
}

/// Bob's desk on a relay with push live: his own exchange, alice's exchange, carol's order
/// and dave's POST still on its way.
fn team_app() -> App {
    let mut app = fixtures::loading_app();
    // A relay is a server of its own: the desk shows it as a custom one.
    app.session.environment = p100_desk::app::EnvBadge::Custom;
    app.team.relay = true;
    app.update(Msg::BalancesLoaded(Ok(balances())), ago(12));
    app.update(
        Msg::HistoryLoaded {
            page: 1,
            result: Ok(page(0..50, Some(1_234))),
        },
        ago(12),
    );
    app.update(
        Msg::TeamIdentity(Ok(TeamIdentity {
            name: "bob".into(),
            role: "approver".into(),
        })),
        ago(40),
    );
    app.update(Msg::Push(PushLink::Live), ago(40));
    app.live.push(LiveRow {
        key: "intent-own-7f3c2a91-0b4d-4e8a-9c61-2d5e8f0a1b3c".into(),
        remote_id: Some("b0b0b0b0-1111-4000-8000-000000000001".into()),
        lock_id: "lock-own".into(),
        kind: LiveKind::Exchange(ExchangeLeg {
            from: Currency::new("usdc"),
            to: Currency::new("eur"),
            amount: dec("250"),
            amount_to: dec("229.5"),
            rate: dec("0.918"),
        }),
        phase: Phase::Pending {
            status: "PROCESSING".into(),
        },
        created_at: ago(20),
        updated_at: ago(5),
        check_failed: None,
    });
    app.update(
        Msg::TeamPending(Ok(vec![
            team_row(serde_json::json!({
                "id": "a11ce000-2222-4000-8000-000000000002", "kind": "exchange",
                "operator": "alice", "status": "QUEUED",
                "terms": {"currencyFrom": "eth", "currencyTo": "eur", "amount": "0.5",
                          "rate": "2500", "amountTo": "1250", "lockId": "lock-a"},
                "createdAt": "2026-02-13T11:29:15Z"
            })),
            team_row(serde_json::json!({
                "id": "ca201000-3333-4000-8000-000000000003", "kind": "order",
                "operator": "carol", "status": "WAITING_FOR_PAYMENT",
                "terms": {"currency": "usdc", "network": "polygon", "amount": "346.59",
                          "destinationCurrency": "eur", "cryptoAmount": "412.607142",
                          "lockId": "lock-c"},
                "createdAt": "2026-02-13T11:26:00Z"
            })),
            team_row(serde_json::json!({
                "idempotencyKey": "intent-dave-4444", "kind": "exchange",
                "operator": "dave", "status": "SENDING",
                "terms": {"currencyFrom": "btc", "currencyTo": "eur", "amount": "0.01",
                          "rate": "61000", "amountTo": "610"},
                "createdAt": "2026-02-13T11:29:58Z"
            })),
        ])),
        ago(2),
    );
    app.update(Msg::Tick, t0());
    press(&mut app, KeyCode::Char('3'));
    app
}

fn with_proposals(mut app: App) -> App {
    app.update(
        Msg::ProposalsLoaded(Ok(vec![
            proposal(serde_json::json!({
                "id": 9, "kind": "exchange", "proposer": "carol",
                "terms": {"currencyFrom": "eth", "currencyTo": "eur", "amount": "12.5"},
                "amountEur": "31250.00", "indicativeRate": "2500", "maxDeviation": "0.01",
                "state": "pending", "createdAt": "2026-02-13T11:27:00Z"
            })),
            proposal(serde_json::json!({
                "id": 8, "kind": "exchange", "proposer": "bob",
                "terms": {"currencyFrom": "btc", "currencyTo": "eur", "amount": "1"},
                "amountEur": "61000.00", "indicativeRate": "61000", "maxDeviation": "0.005",
                "state": "pending", "createdAt": "2026-02-13T11:10:00Z"
            })),
            proposal(serde_json::json!({
                "id": 7, "kind": "order", "proposer": "alice",
                "terms": {"currency": "usdc", "network": "polygon", "amount": "20000",
                          "destinationCurrency": "eur"},
                "amountEur": "20000.00", "indicativeRate": "0.92", "maxDeviation": "0.01",
                "state": "approved", "approver": "bob", "createdAt": "2026-02-13T09:30:00Z"
            })),
        ])),
        t0(),
    );
    app
}

#[test]
fn team_rows_in_live_say_who_placed_them() {
    at_every_size("team_live", &team_app());
}

#[test]
fn push_down_says_polling() {
    let mut app = team_app();
    app.update(
        Msg::Push(PushLink::Down {
            reason: "the relay closed the stream".into(),
        }),
        t0(),
    );
    at_every_size("team_push_down", &app);
}

#[test]
fn approvals_view_lists_proposals_and_hides_approve_on_own() {
    let mut app = team_app();
    press(&mut app, KeyCode::Char('A'));
    let app = with_proposals(app);
    at_every_size("approvals", &app);
    // Bob's own proposal (#8): not offered, with the reason.
    let mut own = app;
    press(&mut own, KeyCode::Char('j'));
    assert!(
        own.team
            .why_not_approvable()
            .is_some_and(|why| why.contains("your own"))
    );
    at_every_size("approvals_own", &own);
}

#[test]
fn the_review_counts_after_half_a_second() {
    let mut app = team_app();
    press(&mut app, KeyCode::Char('A'));
    let mut app = with_proposals(app);
    press(&mut app, KeyCode::Char('a'));
    app.approval_drawn(t0());
    at_every_size("approval_review_waiting", &app);
    app.update(Msg::Tick, t0() + chrono::Duration::milliseconds(600));
    assert!(app.approval_counts());
    at_every_size("approval_review_ready", &app);
}

#[test]
fn the_quit_question_counts_only_this_desks_rows_as_resuming() {
    // Bob's own exchange resumes from his journal; alice's, carol's and dave's rows are the
    // relay's to watch, whether or not this desk runs.
    let mut app = team_app();
    assert_eq!((app.in_flight(), app.team_in_flight()), (1, 3));
    press(&mut app, KeyCode::Char('q'));
    assert!(
        !app.should_quit,
        "this desk's own row in flight: asked first"
    );
    assert_eq!(
        app.quit_question(),
        "1 row in flight: it resumes on next start; 3 team rows are watched by the relay. \
         Quit anyway?"
    );
    at_every_size("team_quit_question", &app);

    // Once bob's own row is final, only team rows are in flight: the question says so.
    let own = app.live.rows[0].key.clone();
    if let Some(mut row) = app.live.find_by_key_mut(&own) {
        row.phase = Phase::Completed;
    }
    assert_eq!(
        app.quit_question(),
        "Nothing of this desk is in flight any more (3 team rows are watched by the relay). \
         Quit?"
    );

    // And a desk with only other desks' rows in flight quits at the first press.
    let mut others_only = team_app();
    let own = others_only.live.rows[0].key.clone();
    if let Some(mut row) = others_only.live.find_by_key_mut(&own) {
        row.phase = Phase::Completed;
    }
    press(&mut others_only, KeyCode::Char('q'));
    assert!(
        others_only.should_quit,
        "nothing of this desk's would be left behind"
    );
}

/// With `number_format = "1.234,56"` the Approvals view and the review write the proposals'
/// numbers with `,` decimals (the relay's digits otherwise as sent).
#[test]
fn approvals_follow_the_number_format() {
    let mut app = team_app();
    app.keyboard.number_format = p100_desk::number_format::NumberFormat::DotComma;
    press(&mut app, KeyCode::Char('A'));
    let mut app = with_proposals(app);
    let text = |app: &App| {
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        terminal
            .draw(|frame| ui::render(app, frame, &RenderOptions::utc(Theme::color())))
            .expect("draw");
        format!("{}", terminal.backend())
    };
    let list = text(&app);
    for shown in ["12,5", "0,92", "±0,5%", "12,5 ETH→EUR at ~2500 (±1%)"] {
        assert!(list.contains(shown), "{shown:?} not in\n{list}");
    }
    press(&mut app, KeyCode::Char('a'));
    let review = text(&app);
    for shown in ["12,5 ETH", "31250,00 EUR", "±1%"] {
        assert!(review.contains(shown), "{shown:?} not in\n{review}");
    }
    assert!(
        !review.contains("12.5") && !review.contains("31250.00"),
        "{review}"
    );
}
