//! `App::update` as a pure function: messages in, state and commands out. No terminal, no HTTP.

mod support;

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use p100_desk::api::error::ApiError;
use p100_desk::api::models::{
    Currency, ExchangeAccepted, ExchangeDetails, ExchangeLock, ExchangeStatus, OrderCreated,
    OrderDetails, OrderLock, OrderStatus,
};
use p100_desk::app::cmd::Cmd;
use p100_desk::app::history::PageWhy;
use p100_desk::app::keymap::Pane;
use p100_desk::app::live::{Phase, WatchChange, WatchTarget};
use p100_desk::app::money_actions::{LockRequest, PriceRequest, TradeAccepted, TradeLock};
use p100_desk::app::msg::{Msg, SubmitError};
use p100_desk::app::ticket::{Stage, Ticket};
use p100_desk::app::{App, Overlay};
use p100_desk::journal::{self, Event};
use p100_desk::keys::KeyPress;
use rust_decimal::Decimal;
use support::fixtures::{self, T0};

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal")
}

fn key(c: char) -> Msg {
    Msg::Key(
        KeyPress::from_crossterm(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
            .expect("a named key"),
    )
}

fn code(code: KeyCode) -> Msg {
    Msg::Key(
        KeyPress::from_crossterm(&KeyEvent::new(code, KeyModifiers::NONE)).expect("a named key"),
    )
}

fn at(seconds: i64) -> DateTime<Utc> {
    *T0 + Duration::seconds(seconds)
}

fn type_text(app: &mut App, text: &str, now: DateTime<Utc>) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for c in text.chars() {
        cmds.extend(app.update(key(c), now));
    }
    cmds
}

fn exchange_lock(expires_in: i64) -> ExchangeLock {
    ExchangeLock {
        lock_id: "lock-1".into(),
        currency_from: Currency::new("usdc"),
        currency_to: Currency::new("eur"),
        amount: dec("100"),
        rate: dec("0.9"),
        amount_to: dec("90.00"),
        expires_at: at(expires_in),
    }
}

/// Opens the exchange ticket on USDC -> EUR, types 100 and locks; returns the lock seq.
fn locked_exchange(app: &mut App, expires_in: i64) {
    app.update(key('x'), at(0));
    type_text(app, "100", at(0));
    let cmds = app.update(code(KeyCode::Enter), at(0));
    let Some(Cmd::Lock {
        seq,
        request: LockRequest::Exchange(asked),
    }) = cmds.first().cloned()
    else {
        panic!("expected a lock request, got {cmds:?}");
    };
    assert_eq!(
        (asked.from.as_str(), asked.to.as_str(), asked.amount),
        ("usdc", "eur", dec("100"))
    );
    app.update(
        Msg::Locked {
            seq,
            result: Ok(TradeLock::Exchange(exchange_lock(expires_in))),
        },
        at(0),
    );
    // A frame showed the locked terms: a confirm counts 0.5 s later.
    app.frame_drawn(at(0), true);
}

fn submitted_intent(cmds: &[Cmd]) -> journal::Entry {
    let submits: Vec<&Cmd> = cmds
        .iter()
        .filter(|cmd| matches!(cmd, Cmd::Submit { .. }))
        .collect();
    assert_eq!(submits.len(), 1, "exactly one submit: {cmds:?}");
    match submits[0] {
        Cmd::Submit { intent, .. } => intent.clone(),
        _ => unreachable!(),
    }
}

#[test]
fn start_loads_both_panes_and_refresh_does_not_double_up() {
    let mut app = fixtures::app();
    let cmds = app.init();
    assert_eq!(
        cmds,
        vec![
            Cmd::LoadBalances,
            Cmd::LoadHistory {
                page: 1,
                limit: 50,
                why: PageWhy::Refresh
            }
        ]
    );
    assert!(
        app.update(key('r'), at(1)).is_empty(),
        "loads already in flight"
    );
    app.update(Msg::BalancesLoaded(Ok(fixtures::balances())), at(1));
    app.update(
        Msg::HistoryLoaded {
            page: 1,
            result: Ok(fixtures::history_page(1, 50)),
        },
        at(1),
    );
    assert_eq!(
        app.update(Msg::RefreshDue, at(60)),
        vec![
            Cmd::LoadBalances,
            Cmd::LoadHistory {
                page: 1,
                limit: 50,
                why: PageWhy::Refresh
            }
        ]
    );
}

#[test]
fn failed_refresh_marks_the_pane_stale_and_keeps_its_data() {
    let mut app = fixtures::loaded_app();
    app.update(Msg::RefreshDue, at(60));
    app.update(
        Msg::BalancesLoaded(Err(ApiError::Network {
            message: "connection refused".into(),
        })),
        at(61),
    );
    let stale = app.balances.freshness.stale.clone().expect("stale");
    assert_eq!(stale.since, at(61));
    assert!(!app.balances.rows.is_empty(), "last data still shown");
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("Balances not refreshed"))
    );
    app.update(Msg::RefreshDue, at(120));
    app.update(Msg::BalancesLoaded(Ok(fixtures::balances())), at(121));
    assert_eq!(app.balances.freshness.stale, None);
}

#[test]
fn failed_refresh_is_retried_soon_and_never_before_retry_after() {
    let mut app = fixtures::loaded_app();
    app.update(Msg::RefreshDue, at(60));
    let cmds = app.update(Msg::BalancesLoaded(Err(ApiError::Timeout)), at(61));
    let [Cmd::ScheduleRefresh { seq, after }] = cmds.as_slice() else {
        panic!("a retry is scheduled: {cmds:?}");
    };
    assert_eq!(*after, app.stale_retry.first);
    // History failing too does not stack a second timer: the one retry reloads both panes.
    let cmds = app.update(
        Msg::HistoryLoaded {
            page: 1,
            result: Err(ApiError::RateLimited {
                retry_after: Some(std::time::Duration::from_secs(90)),
            }),
        },
        at(61),
    );
    assert!(cmds.is_empty(), "{cmds:?}");
    assert_eq!(
        app.update(Msg::RetryRefreshDue { seq: *seq }, at(66)),
        vec![
            Cmd::LoadBalances,
            Cmd::LoadHistory {
                page: 1,
                limit: 50,
                why: PageWhy::Refresh
            }
        ]
    );
    // Throttled again: the next retry waits for the server's Retry-After, not the backoff.
    let cmds = app.update(
        Msg::BalancesLoaded(Err(ApiError::RateLimited {
            retry_after: Some(std::time::Duration::from_secs(90)),
        })),
        at(67),
    );
    assert!(
        matches!(cmds.as_slice(), [Cmd::ScheduleRefresh { after, .. }] if after.as_secs() == 90),
        "{cmds:?}"
    );
}

#[test]
fn navigation_focus_and_selection_follow_ids() {
    let mut app = fixtures::loaded_app();
    assert_eq!(app.focus, Pane::Balances);
    app.update(code(KeyCode::Tab), at(1));
    assert_eq!(app.focus, Pane::History);
    app.update(key('3'), at(1));
    assert_eq!(app.focus, Pane::Live);
    app.update(code(KeyCode::BackTab), at(1));
    assert_eq!(app.focus, Pane::History);
    app.update(key('j'), at(1));
    app.update(key('j'), at(1));
    let chosen = app
        .history
        .selected()
        .map(|t| t.id().to_string())
        .expect("selected");
    // Newer rows arrive on top: the selection stays on the same transaction.
    app.update(
        Msg::HistoryLoaded {
            page: 1,
            result: Ok(fixtures::history_page_with_new(3)),
        },
        at(2),
    );
    assert_eq!(
        app.history.selected().map(|t| t.id().to_string()),
        Some(chosen)
    );
    app.update(key('G'), at(2));
    assert_eq!(
        app.history.selected_index(),
        Some(app.history.visible_len() - 1)
    );
    app.update(key('g'), at(2));
    assert_eq!(app.history.selected_index(), Some(0));
}

#[test]
fn scrolling_to_the_end_of_history_loads_the_next_page() {
    let mut app = fixtures::loaded_app();
    app.update(key('2'), at(1));
    let mut cmds = Vec::new();
    for _ in 0..45 {
        cmds.extend(app.update(key('j'), at(1)));
    }
    // The user scrolls toward it: a page asked for, at history priority (not a prefetch).
    assert_eq!(
        cmds,
        vec![Cmd::LoadHistory {
            page: 2,
            limit: 50,
            why: PageWhy::Asked
        }]
    );
    app.update(
        Msg::HistoryLoaded {
            page: 2,
            result: Ok(fixtures::history_page(2, 50)),
        },
        at(2),
    );
    assert_eq!(app.history.len(), 100);
}

#[test]
fn a_tall_history_pane_fills_itself_at_prefetch_priority_and_the_page_size_is_asked_for() {
    use p100_desk::api::budget::Priority;
    let mut app = fixtures::loaded_app();
    // A pane 120 rows tall holding 50: the next page is fetched ahead of the user.
    app.history.selection.visible_offset(None, 0, 120);
    let cmds = app.after_frame();
    assert_eq!(
        cmds,
        vec![Cmd::LoadHistory {
            page: 2,
            limit: 50,
            why: PageWhy::Prefetch
        }]
    );
    assert_eq!(PageWhy::Prefetch.priority(), Priority::Prefetch);
    assert_eq!(PageWhy::Asked.priority(), Priority::History);
    assert_eq!(PageWhy::Refresh.priority(), Priority::History);
    // `[history] page_size`: every page after is asked for at that size.
    app.history.page_size = 1_000;
    app.update(
        Msg::HistoryLoaded {
            page: 2,
            result: Ok(fixtures::history_page(2, 50)),
        },
        at(2),
    );
    let cmds = app.update(Msg::RefreshDue, at(60));
    assert!(
        cmds.contains(&Cmd::LoadHistory {
            page: 1,
            limit: 1_000,
            why: PageWhy::Refresh
        }),
        "{cmds:?}"
    );
}

#[test]
fn g_asks_for_the_last_page_when_the_total_is_told() {
    let mut app = fixtures::loaded_app();
    app.update(key('2'), at(1));
    // 1,234 rows: the last of the pages of 50 is page 25.
    let cmds = app.update(key('G'), at(1));
    assert_eq!(
        cmds,
        vec![Cmd::LoadHistory {
            page: 25,
            limit: 50,
            why: PageWhy::Asked
        }]
    );
    let mut last = fixtures::history_page(25, 50);
    last.transactions.truncate(34);
    let cmds = app.update(
        Msg::HistoryLoaded {
            page: 25,
            result: Ok(last),
        },
        at(2),
    );
    assert!(cmds.is_empty(), "the end is reached: {cmds:?}");
    assert!(app.history.at_end_of_history());
    assert_eq!(app.history.first_page, 25);
    assert_eq!(app.history.selected_index(), Some(33));
}

#[test]
fn filter_narrows_history_and_esc_clears_it() {
    let mut app = fixtures::loaded_app();
    app.update(key('2'), at(1));
    app.update(key('/'), at(1));
    assert!(app.history.filter_editing);
    type_text(&mut app, "sepa", at(1));
    let shown = app.history.visible_len();
    assert!(shown > 0 && shown < app.history.len());
    app.update(code(KeyCode::Enter), at(1));
    assert!(!app.history.filter_editing);
    assert_eq!(app.history.visible_len(), shown, "Enter keeps the filter");
    app.update(code(KeyCode::Esc), at(1));
    assert_eq!(app.history.visible_len(), app.history.len());
}

#[test]
fn enter_opens_details_and_esc_closes() {
    let mut app = fixtures::loaded_app();
    app.update(code(KeyCode::Enter), at(1));
    assert!(matches!(app.overlay, Some(Overlay::BalanceDetail(_))));
    app.update(code(KeyCode::Esc), at(1));
    assert_eq!(app.overlay, None);
    app.update(key('?'), at(1));
    assert_eq!(app.overlay, Some(Overlay::Help));
    app.update(key('q'), at(1));
    assert_eq!(app.overlay, None, "q closes help, it does not quit");
    assert!(!app.should_quit);
    assert_eq!(app.update(key('q'), at(1)), vec![Cmd::Quit]);
}

#[test]
fn exchange_happy_path_sends_once_and_watches_to_completion() {
    let mut app = fixtures::loaded_app();
    app.update(key('x'), at(0));
    let Some(Ticket::Exchange(ticket)) = &app.ticket else {
        panic!("exchange ticket expected");
    };
    assert_eq!((ticket.from.as_str(), ticket.to.as_str()), ("EUR", "USDC"));
    app.update(code(KeyCode::Esc), at(0));
    app.update(key('j'), at(0)); // select USDC
    locked_exchange(&mut app, 30);
    // Enter never confirms, and neither does the key that opened the ticket.
    assert!(app.update(code(KeyCode::Enter), at(1)).is_empty());
    assert!(app.update(key('x'), at(1)).is_empty());
    let cmds = app.update(key('y'), at(1));
    let intent = submitted_intent(&cmds);
    assert!(
        matches!(intent.event, Event::ExchangeIntent { ref lock_id, .. } if lock_id == "lock-1")
    );
    assert_eq!(app.live.rows[0].phase, Phase::Sending);
    // A second `y` while the POST is in flight sends nothing.
    assert!(app.update(key('y'), at(1)).is_empty());
    let cmds = app.update(
        Msg::Submitted {
            intent: intent.intent.clone(),
            result: Ok(TradeAccepted::Exchange(ExchangeAccepted {
                exchange_id: "ex-42".into(),
            })),
        },
        at(2),
    );
    assert_eq!(
        cmds,
        vec![Cmd::Watch(WatchChange::adding(vec![
            WatchTarget::Exchange("ex-42".into())
        ]))]
    );
    assert_eq!(app.ticket, None);
    assert_eq!(app.focus, Pane::Live);
    let details = |status: ExchangeStatus| ExchangeDetails {
        exchange_id: "ex-42".into(),
        status,
        amount: Some(dec("100")),
        currency_from: Some(Currency::new("usdc")),
        currency_to: Some(Currency::new("eur")),
        rate: Some(dec("0.9")),
        amount_to: Some(dec("90.00")),
        created_at: None,
        updated_at: None,
        error_code: None,
        error_message: None,
    };
    let cmds = app.update(
        Msg::ExchangePolled {
            id: "ex-42".into(),
            result: Ok(details(ExchangeStatus::Processing)),
        },
        at(3),
    );
    assert!(cmds.is_empty());
    assert_eq!(app.live.rows[0].phase.label(), "PROCESSING");
    let cmds = app.update(
        Msg::ExchangePolled {
            id: "ex-42".into(),
            result: Ok(details(ExchangeStatus::Completed)),
        },
        at(5),
    );
    assert_eq!(app.live.rows[0].phase, Phase::Completed);
    assert!(
        matches!(&cmds[0], Cmd::Journal(entry) if matches!(&entry.event, Event::Final { status, .. } if status == "COMPLETED"))
    );
    assert!(cmds.contains(&Cmd::LoadBalances));
    assert!(
        cmds.contains(&Cmd::Watch(WatchChange::removing(vec![
            WatchTarget::Exchange("ex-42".into())
        ]))),
        "final rows are no longer watched"
    );
}

#[test]
fn expired_lock_cannot_be_confirmed_and_l_relocks() {
    let mut app = fixtures::loaded_app();
    app.update(key('j'), at(0));
    locked_exchange(&mut app, 10);
    assert!(
        app.animation_interval().is_some(),
        "countdown ticks while visible"
    );
    // Inside the safety margin: refused.
    assert!(app.update(key('y'), at(9)).is_empty());
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("expired"))
    );
    let cmds = app.update(key('l'), at(9));
    assert!(
        matches!(
            cmds.as_slice(),
            [Cmd::Lock {
                request: LockRequest::Exchange(_),
                ..
            }]
        ),
        "{cmds:?}"
    );
    let Some(Ticket::Exchange(ticket)) = &app.ticket else {
        panic!("ticket")
    };
    assert_eq!(ticket.stage, Stage::Locking);
    // The answer to the old lock request is dropped after a re-lock.
    app.update(
        Msg::Locked {
            seq: 1,
            result: Ok(TradeLock::Exchange(exchange_lock(100))),
        },
        at(9),
    );
    let Some(Ticket::Exchange(ticket)) = &app.ticket else {
        panic!("ticket")
    };
    assert_eq!(ticket.stage, Stage::Locking);
}

#[test]
fn a_clear_refusal_shows_why_and_nothing_is_pending() {
    let mut app = fixtures::loaded_app();
    app.update(key('j'), at(0));
    locked_exchange(&mut app, 30);
    let intent = submitted_intent(&app.update(key('y'), at(1)));
    let cmds = app.update(
        Msg::Submitted {
            intent: intent.intent,
            result: Err(SubmitError::Api(fixtures::business_error(
                "P433",
                "insufficient-funds",
            ))),
        },
        at(2),
    );
    assert!(cmds.is_empty(), "nothing to watch: {cmds:?}");
    assert!(matches!(app.live.rows[0].phase, Phase::Failed { .. }));
    let Some(Ticket::Exchange(ticket)) = &app.ticket else {
        panic!("ticket stays to explain")
    };
    let Stage::Rejected { message } = &ticket.stage else {
        panic!("rejected stage")
    };
    assert!(message.contains("P433"), "{message}");
}

#[test]
fn unknown_outcome_is_reconciled_from_history_never_resent() {
    let mut app = fixtures::loaded_app();
    app.update(key('j'), at(0));
    locked_exchange(&mut app, 30);
    let intent = submitted_intent(&app.update(key('y'), at(1)));
    let cmds = app.update(
        Msg::Submitted {
            intent: intent.intent.clone(),
            result: Err(SubmitError::Api(fixtures::unknown_error())),
        },
        at(2),
    );
    assert!(matches!(app.live.rows[0].phase, Phase::Unknown { .. }));
    assert!(
        matches!(cmds.as_slice(), [Cmd::ScheduleReconcile { .. }]),
        "{cmds:?}"
    );
    let cmds = app.update(
        Msg::ReconcileDue {
            intent: intent.intent.clone(),
        },
        at(3),
    );
    let [Cmd::Reconcile { query, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(query.amount, dec("100"));
    assert_eq!(query.currency.as_str(), "usdc");
    // Not there yet (history lags): look again later.
    let cmds = app.update(
        Msg::Reconciled {
            intent: intent.intent.clone(),
            result: Ok(Vec::new()),
        },
        at(4),
    );
    assert!(matches!(cmds.as_slice(), [Cmd::ScheduleReconcile { .. }]));
    let cmds = app.update(
        Msg::Reconciled {
            intent: intent.intent.clone(),
            result: Ok(vec![fixtures::candidate("ex-77", "usdc", "100", at(2))]),
        },
        at(6),
    );
    assert!(cmds.iter().any(|c| matches!(c, Cmd::Journal(e) if matches!(&e.event, Event::Reconciled { remote_id: Some(id), .. } if id == "ex-77"))));
    assert!(cmds.contains(&Cmd::Watch(WatchChange::adding(vec![
        WatchTarget::Exchange("ex-77".into())
    ]))));
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::Submit { .. })));
}

#[test]
fn unknown_that_never_shows_up_is_declared_not_applied_after_several_reads() {
    let mut app = fixtures::loaded_app();
    app.update(key('j'), at(0));
    locked_exchange(&mut app, 30);
    let intent = submitted_intent(&app.update(key('y'), at(1))).intent;
    app.update(
        Msg::Submitted {
            intent: intent.clone(),
            result: Err(SubmitError::Api(fixtures::unknown_error())),
        },
        at(2),
    );
    for second in [3, 4] {
        let cmds = app.update(
            Msg::Reconciled {
                intent: intent.clone(),
                result: Ok(Vec::new()),
            },
            at(second),
        );
        assert!(matches!(cmds.as_slice(), [Cmd::ScheduleReconcile { .. }]));
    }
    // A failed read proves nothing.
    app.update(
        Msg::Reconciled {
            intent: intent.clone(),
            result: Err(ApiError::Timeout),
        },
        at(6),
    );
    assert!(matches!(app.live.rows[0].phase, Phase::Unknown { .. }));
    let cmds = app.update(
        Msg::Reconciled {
            intent: intent.clone(),
            result: Ok(Vec::new()),
        },
        at(9),
    );
    assert!(
        matches!(app.live.rows[0].phase, Phase::Failed { ref reason } if reason.contains("Not applied"))
    );
    assert!(cmds.iter().any(|c| matches!(c, Cmd::Journal(e) if matches!(&e.event, Event::Reconciled { remote_id: None, .. }))));
}

#[test]
fn read_only_refuses_tickets() {
    let mut app = fixtures::loaded_app_with(|session| session.read_only = true);
    assert!(app.update(key('x'), at(0)).is_empty());
    assert_eq!(app.ticket, None);
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("Read-only"))
    );
    assert!(app.update(key('o'), at(0)).is_empty());
    assert_eq!(app.ticket, None);
}

#[test]
fn above_the_limit_the_amount_must_be_typed_again() {
    let mut app = fixtures::loaded_app_with(|session| session.max_exchange_eur = Some(dec("50")));
    app.update(key('j'), at(0));
    locked_exchange(&mut app, 30);
    assert!(
        app.update(key('y'), at(1)).is_empty(),
        "limit: retype first"
    );
    type_text(&mut app, "10", at(1));
    assert!(app.update(key('y'), at(1)).is_empty(), "wrong amount typed");
    app.update(code(KeyCode::Backspace), at(1));
    app.update(code(KeyCode::Backspace), at(1));
    type_text(&mut app, "100", at(1));
    submitted_intent(&app.update(key('y'), at(1)));
}

#[test]
fn order_flow_creates_once_and_follows_every_status() {
    let mut app = fixtures::loaded_app();
    let cmds = app.update(key('o'), at(0));
    assert!(
        matches!(
            cmds.as_slice(),
            [Cmd::LoadPrice {
                request: PriceRequest::Order(_),
                ..
            }]
        ),
        "the order rates are asked for as the ticket opens: {cmds:?}"
    );
    type_text(&mut app, "346.59", at(0));
    let cmds = app.update(code(KeyCode::Enter), at(0));
    let [
        Cmd::Lock {
            seq,
            request: LockRequest::Order(request),
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    assert_eq!(request.amount, dec("346.59"));
    assert_eq!(
        request.network, "ethereum",
        "the first network the balance lists"
    );
    let lock = OrderLock {
        lock_id: "olock".into(),
        amount: dec("412.607142"),
        rate: dec("0.84"),
        expires_at: at(30),
        currency: Currency::new("usdc"),
        destination_currency: Some(Currency::new("eur")),
        // The network asked for: a lock for another one is refused (lock_check).
        network: Some("ethereum".into()),
    };
    app.update(
        Msg::Locked {
            seq: *seq,
            result: Ok(TradeLock::Order(lock)),
        },
        at(0),
    );
    app.frame_drawn(at(0), true);
    let intent = submitted_intent(&app.update(key('y'), at(1)));
    let cmds = app.update(
        Msg::Submitted {
            intent: intent.intent,
            result: Ok(TradeAccepted::Order(OrderCreated {
                order_id: "ord-1".into(),
            })),
        },
        at(2),
    );
    assert_eq!(
        cmds,
        vec![Cmd::Watch(WatchChange::adding(vec![WatchTarget::Order(
            "ord-1".into()
        )]))]
    );
    let mut details = fixtures::order_details("ord-1", OrderStatus::WaitingForWalletAddress);
    for status in [
        OrderStatus::WaitingForWalletAddress,
        OrderStatus::WaitingForPayment,
        OrderStatus::WaitingForConfirmation,
    ] {
        details.status = status.clone();
        if status != OrderStatus::WaitingForWalletAddress {
            details.wallet_address = Some("0xabc".into());
        }
        app.update(
            Msg::OrderPolled {
                id: "ord-1".into(),
                result: Ok(details.clone()),
            },
            at(3),
        );
        assert_eq!(app.live.rows[0].phase.label(), status.as_str());
    }
    assert_eq!(
        app.update(key('c'), at(3)),
        vec![Cmd::CopyToClipboard("0xabc".into())]
    );
    details.status = OrderStatus::Completed;
    let cmds = app.update(
        Msg::OrderPolled {
            id: "ord-1".into(),
            result: Ok(details),
        },
        at(4),
    );
    assert_eq!(app.live.rows[0].phase, Phase::Completed);
    assert!(cmds.iter().any(|c| matches!(c, Cmd::Journal(_))));
    // Final rows can be dismissed.
    app.update(key('d'), at(5));
    assert!(app.live.rows.is_empty());
}

#[test]
fn p462_on_order_create_explains_and_offers_a_relock() {
    let mut app = fixtures::loaded_app();
    app.update(key('o'), at(0));
    type_text(&mut app, "10", at(0));
    let cmds = app.update(code(KeyCode::Enter), at(0));
    let [
        Cmd::Lock {
            seq,
            request: LockRequest::Order(_),
        },
    ] = cmds.as_slice()
    else {
        panic!("{cmds:?}")
    };
    let lock = OrderLock {
        lock_id: "olock".into(),
        amount: dec("11.9"),
        rate: dec("0.84"),
        expires_at: at(30),
        currency: Currency::new("usdc"),
        destination_currency: None,
        network: None,
    };
    app.update(
        Msg::Locked {
            seq: *seq,
            result: Ok(TradeLock::Order(lock)),
        },
        at(0),
    );
    app.frame_drawn(at(0), true);
    let intent = submitted_intent(&app.update(key('y'), at(1)));
    app.update(
        Msg::Submitted {
            intent: intent.intent,
            result: Err(SubmitError::Api(fixtures::business_error(
                "P462",
                "invalid-order-lock",
            ))),
        },
        at(2),
    );
    let Some(Ticket::Order(ticket)) = &app.ticket else {
        panic!("ticket stays")
    };
    let Stage::Rejected { message } = &ticket.stage else {
        panic!("rejected")
    };
    assert!(
        message.contains("P462") && message.contains("l to lock"),
        "{message}"
    );
    assert!(matches!(
        app.update(key('l'), at(2)).as_slice(),
        [Cmd::Lock {
            request: LockRequest::Order(_),
            ..
        }]
    ));
}

#[test]
fn resume_from_the_journal_watches_pending_and_reconciles_unknown() {
    let mut app = fixtures::loaded_app();
    let records = fixtures::journal_records();
    let cmds = app.resume(&records.records, &[7]);
    assert_eq!(app.live.rows.len(), 2);
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::ScheduleReconcile { .. }))
    );
    assert!(cmds.contains(&Cmd::Watch(WatchChange::adding(vec![
        WatchTarget::Exchange("ex-pending".into())
    ]))));
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("unreadable"))
    );
    // The replay warning stays in the message log (`L`) after the status bar moves on.
    assert!(
        app.keyboard
            .log
            .entries()
            .any(|n| n.text.contains("unreadable line(s) skipped ([7])")),
        "{:?}",
        app.keyboard.log.entries().collect::<Vec<_>>()
    );
}

#[test]
fn stale_poll_replies_for_unknown_rows_are_dropped() {
    let mut app = fixtures::loaded_app();
    let cmds = app.update(
        Msg::OrderPolled {
            id: "nobody".into(),
            result: Ok(fixtures::order_details("nobody", OrderStatus::Completed)),
        },
        at(1),
    );
    assert!(cmds.is_empty());
    assert!(app.live.rows.is_empty());
}

#[test]
fn ctrl_c_quits_from_anywhere() {
    let mut app = fixtures::loaded_app();
    app.update(key('x'), at(0));
    let ctrl_c = Msg::Key(
        KeyPress::from_crossterm(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
            .expect("a named key"),
    );
    assert_eq!(app.update(ctrl_c, at(0)), vec![Cmd::Quit]);
}

#[allow(dead_code)]
fn order_details_type_check(_: OrderDetails) {}
