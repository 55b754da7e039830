//! The money-action flow run by one generic test over every kind: open -> price -> lock (a
//! stale or foreign answer dropped) -> confirm -> one `Cmd::Submit` -> answer -> Live row. What
//! a kind supplies is only its fixture; the flow and its checks are the same code, so a third
//! kind gets them by one more instantiation.

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

use super::TradeKind;
use crate::api::error::ApiError;
use crate::api::models::{
    Balances, CryptoBalance, Currency, ExchangeAccepted, ExchangeLock, ExchangeRate, FiatBalance,
    FiatStatus, NetworkConfig, OrderCreated, OrderLock, OrderRates,
};
use crate::app::cmd::Cmd;
use crate::app::live::Phase;
use crate::app::msg::{Msg, SubmitError};
use crate::app::ticket::{ExchangeTicket, LOCK_SAFETY_MARGIN_MS, OrderTicket, Stage, StageKind};
use crate::app::{App, EnvBadge, SessionInfo};
use crate::lock_check::{ExchangeIntent, OrderIntent};

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal")
}

fn at(millis: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(1_770_982_200_000 + millis)
        .single()
        .expect("valid time")
}

/// An app holding EUR and USDC (receivable on ethereum and polygon), nothing else loaded.
fn loaded_app() -> App {
    let session = SessionInfo {
        environment: EnvBadge::Sandbox,
        profile: "treasury".into(),
        read_only: false,
        bell: false,
        max_exchange_eur: None,
    };
    let mut app = App::new(session, at(0));
    let mut networks = BTreeMap::new();
    networks.insert("ethereum".to_string(), NetworkConfig::default());
    networks.insert("polygon".to_string(), NetworkConfig::default());
    let balances = Balances {
        fiat_balances: vec![FiatBalance {
            id: "f".into(),
            amount: dec("1000.00"),
            name: Currency::new("eur"),
            rate: Some(Decimal::ONE),
            iban: None,
            status: FiatStatus::Active,
        }],
        crypto_balances: vec![CryptoBalance {
            id: "c".into(),
            amount: dec("50.000000"),
            name: Currency::new("usdc"),
            wallet: None,
            rate: Some(dec("0.9")),
            network_config: networks,
        }],
        unreadable: Vec::new(),
    };
    app.update(Msg::BalancesLoaded(Ok(balances)), at(0));
    app
}

/// What the generic flow needs of a kind in a test, and nothing of the flow itself.
trait Fixture: TradeKind + Sized + Clone + PartialEq + std::fmt::Debug {
    /// Opens this kind's ticket the way its key does.
    fn open(app: &mut App) -> Vec<Cmd>;
    /// Types a valid amount into the form.
    fn fill(&mut self);
    /// A lock that grants exactly what `intent` asked for.
    fn honest_lock(intent: &Self::Intent, expires_at: DateTime<Utc>) -> Self::Lock;
    fn accepted(remote_id: &str) -> Self::Accepted;
    /// An indicative price P100 could send for this kind.
    fn price() -> Self::Price;
}

impl Fixture for ExchangeTicket {
    fn open(app: &mut App) -> Vec<Cmd> {
        app.open_exchange_ticket()
    }
    fn fill(&mut self) {
        self.amount = "10".into();
    }
    fn honest_lock(intent: &ExchangeIntent, expires_at: DateTime<Utc>) -> ExchangeLock {
        ExchangeLock {
            lock_id: "lock-ex".into(),
            currency_from: intent.from.clone(),
            currency_to: intent.to.clone(),
            amount: intent.amount,
            rate: dec("0.9"),
            amount_to: intent.amount * dec("0.9"),
            expires_at,
        }
    }
    fn accepted(remote_id: &str) -> ExchangeAccepted {
        ExchangeAccepted {
            exchange_id: remote_id.into(),
        }
    }
    fn price() -> ExchangeRate {
        ExchangeRate {
            currency_from: Currency::new("usdc"),
            currency_to: Currency::new("eur"),
            rate: dec("0.9"),
            amount: Some(dec("10")),
            amount_to: Some(dec("9.00")),
        }
    }
}

impl Fixture for OrderTicket {
    fn open(app: &mut App) -> Vec<Cmd> {
        app.open_order_ticket()
    }
    fn fill(&mut self) {
        self.amount = "346.59".into();
    }
    fn honest_lock(intent: &OrderIntent, expires_at: DateTime<Utc>) -> OrderLock {
        OrderLock {
            lock_id: "lock-or".into(),
            amount: dec("412.607142"),
            rate: dec("0.84"),
            expires_at,
            currency: intent.currency.clone(),
            destination_currency: Some(intent.fiat.clone()),
            network: Some(intent.network.clone()),
        }
    }
    fn accepted(remote_id: &str) -> OrderCreated {
        OrderCreated {
            order_id: remote_id.into(),
        }
    }
    fn price() -> OrderRates {
        OrderRates::default()
    }
}

/// The open form, as kind `K`.
fn form<K: TradeKind>(app: &App) -> K {
    let ticket = app.ticket.clone().expect("a ticket is open");
    K::from_ticket(ticket).unwrap_or_else(|_| panic!("a {} ticket", K::KIND))
}

/// The whole flow for kind `K`; `O` is another kind, whose answers must never reach `K`'s form.
fn full_flow<K: Fixture, O: Fixture>() {
    let (mut app, intent, _) = opened_and_priced::<K>();
    let lock = locked::<K, O>(&mut app, &intent);
    confirmed_and_answered::<K>(&mut app, &intent, &lock);
}

/// Opening and typing: the price asked for as the kind wants it; the valid intent typed and
/// the `seq` the price was asked for at.
fn opened_and_priced<K: Fixture>() -> (App, K::Intent, u64) {
    let mut app = loaded_app();
    // Opening asks for the price the form shows from the start, if the kind has one.
    let opened = K::open(&mut app);
    let mut ticket: K = form(&app);
    let on_open = ticket.price_on_open().map(|request| Cmd::LoadPrice {
        seq: ticket.seq(),
        request: K::wrap_price_request(request),
    });
    let mut asked = on_open.as_ref().map(|_| ticket.seq());
    assert_eq!(
        opened,
        on_open.into_iter().collect::<Vec<_>>(),
        "{}",
        K::KIND
    );

    // Typing: a debounced price when it depends on the fields, and it is asked for once due.
    ticket.fill();
    app.ticket = Some(ticket.into_ticket());
    let edited = app.ticket_changed();
    let ticket: K = form(&app);
    let intent = ticket
        .validate(&app.balances)
        .expect("the filled form is valid");
    match ticket.price_request(&app.balances) {
        Some(request) => {
            let [Cmd::SchedulePrice { seq, .. }] = edited.as_slice() else {
                panic!("{}: a debounced price: {edited:?}", K::KIND);
            };
            assert_eq!(
                app.update(Msg::PriceDue { seq: *seq }, at(0)),
                vec![Cmd::LoadPrice {
                    seq: *seq,
                    request: K::wrap_price_request(request),
                }]
            );
            // An older debounce asks for nothing.
            assert!(app.update(Msg::PriceDue { seq: seq - 1 }, at(0)).is_empty());
            asked = Some(*seq);
        }
        None => assert!(edited.is_empty(), "{}: {edited:?}", K::KIND),
    }
    let asked = asked.unwrap_or_else(|| panic!("{}: no price was asked for", K::KIND));
    (app, intent, asked)
}

/// A price reaches the form only when it is of its kind and answers what it asked.
fn priced_only_when_it_fits<K: Fixture, O: Fixture>() {
    let (mut app, _, asked) = opened_and_priced::<K>();
    let before: K = form(&app);
    let failed = || Err(crate::api::error::ApiError::Timeout);
    app.update(
        Msg::Priced {
            seq: asked + 100,
            result: failed(),
        },
        at(0),
    );
    assert_eq!(
        form::<K>(&app),
        before,
        "{}: an answer nobody asked for",
        K::KIND
    );
    app.update(
        Msg::Priced {
            seq: asked,
            result: Ok(O::wrap_price(O::price())),
        },
        at(0),
    );
    assert_eq!(form::<K>(&app), before, "{}: another kind's price", K::KIND);
    app.update(
        Msg::Priced {
            seq: asked,
            result: Ok(K::wrap_price(K::price())),
        },
        at(0),
    );
    let priced: K = form(&app);
    assert_ne!(priced, before, "{}: its own price is shown", K::KIND);
    app.update(
        Msg::Priced {
            seq: asked,
            result: failed(),
        },
        at(0),
    );
    assert_ne!(
        form::<K>(&app),
        priced,
        "{}: why it failed is shown",
        K::KIND
    );
}

/// Locking asks for exactly what was typed; only the current answer of this kind counts.
fn locked<K: Fixture, O: Fixture>(app: &mut App, intent: &K::Intent) -> K::Lock {
    let cmds = app.ticket_relock();
    let [Cmd::Lock { seq, request }] = cmds.as_slice() else {
        panic!("{}: one lock request: {cmds:?}", K::KIND);
    };
    let seq = *seq;
    assert_eq!(*request, K::wrap_lock_request(K::lock_request(intent)));
    let lock = K::honest_lock(intent, at(30_000));
    // A stale answer, and another kind's lock under the right seq, leave it locking.
    app.update(
        Msg::Locked {
            seq: seq - 1,
            result: Ok(K::wrap_lock(lock.clone())),
        },
        at(0),
    );
    let other: O::Intent = {
        let mut probe = loaded_app();
        O::open(&mut probe);
        let mut other: O = form(&probe);
        other.fill();
        other.validate(&probe.balances).expect("valid")
    };
    app.update(
        Msg::Locked {
            seq,
            result: Ok(O::wrap_lock(O::honest_lock(&other, at(30_000)))),
        },
        at(0),
    );
    assert_eq!(
        app.ticket
            .as_ref()
            .map(super::super::ticket::Ticket::stage_kind),
        Some(StageKind::Locking),
        "{}",
        K::KIND
    );
    app.update(
        Msg::Locked {
            seq,
            result: Ok(K::wrap_lock(lock.clone())),
        },
        at(0),
    );
    assert_eq!(form::<K>(app).stage().lock(), Some(&lock));
    lock
}

/// Confirm counts once the terms were on screen: one POST, journaled as the intent; its
/// answer queues the Live row under the id P100 gave.
fn confirmed_and_answered<K: Fixture>(app: &mut App, intent: &K::Intent, lock: &K::Lock) {
    app.frame_drawn(at(0), true);
    app.update(Msg::Tick, at(1_000));
    let cmds = app.ticket_confirm();
    let [
        Cmd::Submit {
            intent: entry,
            post,
            deadline,
        },
    ] = cmds.as_slice()
    else {
        panic!("{}: one submit: {cmds:?}", K::KIND);
    };
    assert_eq!(*post, K::wrap_post(K::post(intent, lock)));
    assert_eq!(entry.event, K::intent_event(intent, lock));
    assert_eq!(entry.event.terms().map(|terms| terms.kind), Some(K::KIND));
    assert!(
        entry.intent.starts_with(K::INTENT_PREFIX),
        "{}",
        entry.intent
    );
    assert_eq!(
        *deadline,
        K::expires_at(lock) - chrono::Duration::milliseconds(LOCK_SAFETY_MARGIN_MS)
    );
    assert_eq!(app.live.rows[0].phase, Phase::Sending);
    assert!(
        app.ticket_confirm().is_empty(),
        "a second confirm sends nothing"
    );
    assert!(matches!(form::<K>(app).stage(), Stage::Submitting { .. }));

    // The answer: the row is queued under the id P100 gave, the ticket closes.
    app.update(
        Msg::Submitted {
            intent: entry.intent.clone(),
            result: Ok(K::wrap_accepted(K::accepted("rid-1"))),
        },
        at(1_100),
    );
    assert!(app.ticket.is_none());
    assert_eq!(app.live.rows[0].remote_id.as_deref(), Some("rid-1"));
    assert!(matches!(app.live.rows[0].phase, Phase::Pending { .. }));
    let notice = app
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(notice.starts_with(K::TITLE), "{notice}");
}

#[test]
fn the_exchange_runs_the_one_flow() {
    full_flow::<ExchangeTicket, OrderTicket>();
}

#[test]
fn the_order_runs_the_one_flow() {
    full_flow::<OrderTicket, ExchangeTicket>();
}

#[test]
fn prices_reach_only_the_form_that_asked() {
    priced_only_when_it_fits::<ExchangeTicket, OrderTicket>();
    priced_only_when_it_fits::<OrderTicket, ExchangeTicket>();
}

/// A failed lock and a refused POST of kind `K`: each dialog says it, and the message log keeps
/// it with its full text after the dialog is gone.
fn failures_reach_the_message_log<K: Fixture, O: Fixture>() {
    let (mut app, intent, _) = opened_and_priced::<K>();
    let cmds = app.ticket_relock();
    let [Cmd::Lock { seq, .. }] = cmds.as_slice() else {
        panic!("{}: one lock request: {cmds:?}", K::KIND);
    };
    app.update(
        Msg::Locked {
            seq: *seq,
            result: Err(ApiError::Timeout),
        },
        at(0),
    );
    assert!(matches!(form::<K>(&app).stage(), Stage::Rejected { .. }));
    let logged = |app: &App, start: &str| {
        app.keyboard
            .log
            .entries()
            .any(|notice| notice.text.starts_with(start))
    };
    let lock_line = format!("{} ticket: The rate could not be locked", K::TITLE);
    assert!(logged(&app, &lock_line), "{}: {lock_line}", K::KIND);

    locked::<K, O>(&mut app, &intent);
    app.frame_drawn(at(0), true);
    app.update(Msg::Tick, at(1_000));
    let cmds = app.ticket_confirm();
    let [Cmd::Submit { intent: entry, .. }] = cmds.as_slice() else {
        panic!("{}: one submit: {cmds:?}", K::KIND);
    };
    let refusal = ApiError::Business {
        status: 400,
        code: "P462".into(),
        name: None,
        message: "insufficient balance".into(),
    };
    app.update(
        Msg::Submitted {
            intent: entry.intent.clone(),
            result: Err(SubmitError::Api(refusal)),
        },
        at(1_100),
    );
    assert!(matches!(app.live.rows[0].phase, Phase::Failed { .. }));
    let refused_line = format!("{} refused: ", K::TITLE);
    let entry = app
        .keyboard
        .log
        .entries()
        .find(|notice| notice.text.starts_with(&refused_line));
    assert!(
        entry.is_some_and(|notice| notice.text.contains("insufficient balance")),
        "{}: {:?}",
        K::KIND,
        app.keyboard.log.entries().collect::<Vec<_>>()
    );
}

#[test]
fn failures_of_every_kind_reach_the_message_log() {
    failures_reach_the_message_log::<ExchangeTicket, OrderTicket>();
    failures_reach_the_message_log::<OrderTicket, ExchangeTicket>();
}
