//! Fixture state for the UI snapshots and the render bench, built only through `App::update`
//! (plus `app.live.push` for live rows), at a fixed time.

use std::str::FromStr;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rust_decimal::Decimal;

use p100_desk::api::error::ApiError;
use p100_desk::api::models::{
    Balances, Currency, Transaction, TransactionPage, TransactionStatus, TransactionType,
};
use p100_desk::app::live::{ExchangeLeg, LiveKind, LiveRow, OrderLeg, Phase};
use p100_desk::app::msg::Msg;
use p100_desk::app::{App, EnvBadge, SessionInfo};
use p100_desk::keys::KeyPress;

/// 2026-02-13T11:30:00Z: every fixture's "now".
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 13, 11, 30, 0)
        .single()
        .expect("valid fixture time")
}

pub fn ago(seconds: i64) -> DateTime<Utc> {
    t0() - Duration::seconds(seconds)
}

pub fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("fixture decimal")
}

pub fn session(environment: EnvBadge, read_only: bool) -> SessionInfo {
    SessionInfo {
        environment,
        profile: "treasury".into(),
        read_only,
        bell: false,
        max_exchange_eur: None,
    }
}

/// The documented balances shape, with string and number amounts, a balance waiting for
/// activation and one without a rate.
pub fn balances() -> Balances {
    serde_json::from_str(
        r#"{
        "fiatBalances": [
          {"id": "02ee1b09-5b7c-4f0e-9d7e-3a4f0c2b1e01", "amount": "152340.75", "name": "eur",
           "rate": 1, "iban": "LT683130019950000568", "status": "ACTIVE"},
          {"id": "02ee1b09-5b7c-4f0e-9d7e-3a4f0c2b1e02", "amount": "0.00", "name": "gbp",
           "rate": null, "iban": null, "status": "WAITING_TO_BE_ACTIVATED"}
        ],
        "cryptoBalances": [
          {"id": "f2de1f4b-0000-4000-8000-000000000001", "amount": "1.25000000", "name": "btc",
           "wallet": "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", "rate": 61234.5,
           "networkConfig": {"bitcoin": {"mainnet": true, "name": "bitcoin",
              "withdrawal": {"feeWithdrawal": "0.0002", "minWithdrawal": "0.001"},
              "deposit": {"minDeposit": "0.0001"}}}},
          {"id": "f2de1f4b-0000-4000-8000-000000000002", "amount": "12.5", "name": "eth",
           "wallet": "0x2e90c7f1a0b34e27d3b1c5f6a8e9d0c1b2a3f4e5", "rate": "2500.12",
           "networkConfig": {"ethereum": {"mainnet": true, "name": "ethereum",
              "withdrawal": {"feeWithdrawal": 0.002, "minWithdrawal": 0.01},
              "deposit": {"minDeposit": 0.005}}}},
          {"id": "f2de1f4b-0000-4000-8000-000000000003", "amount": "12500.000000", "name": "usdc",
           "wallet": "0x2e90c7f1a0b34e27d3b1c5f6a8e9d0c1b2a3f4e5", "rate": 0.963728,
           "networkConfig": {
             "ethereum": {"mainnet": false, "name": "sepolia",
                "withdrawal": {"feeWithdrawal": 5, "minWithdrawal": 20},
                "deposit": {"minDeposit": 10}},
             "polygon": {"mainnet": false, "name": "amoy",
                "withdrawal": {"feeWithdrawal": 10, "minWithdrawal": 15},
                "deposit": {"minDeposit": 5}}}},
          {"id": "f2de1f4b-0000-4000-8000-000000000004", "amount": "800.000000", "name": "usdt",
           "wallet": null, "rate": null, "networkConfig": {}}
        ]}"#,
    )
    .expect("fixture balances parse")
}

pub fn no_balances() -> Balances {
    serde_json::from_str(r#"{"fiatBalances": [], "cryptoBalances": []}"#).expect("empty balances")
}

/// A UUID-like id that differs for every `n`.
pub fn tx_id(n: u64) -> String {
    let mixed = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5bd1_e995;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        mixed >> 32,
        (mixed >> 16) & 0xffff,
        mixed & 0xfff,
        (n >> 12) & 0xfff,
        n
    )
}

/// The `n`th newest transaction of a varied, deterministic history.
pub fn transaction(n: u64) -> Transaction {
    let kinds = [
        TransactionType::Exchange,
        TransactionType::SepaDeposit,
        TransactionType::Order,
        TransactionType::CryptoWithdrawal,
        TransactionType::SepaTransfer,
        TransactionType::CryptoDeposit,
        TransactionType::Transfer,
    ];
    let kind = kinds[usize::try_from(n % 7).expect("small")].clone();
    let status = match n % 11 {
        1 => TransactionStatus::Pending,
        5 => TransactionStatus::Failed,
        8 => TransactionStatus::Processing,
        _ => TransactionStatus::Successful,
    };
    let (currency, amount, to) = match kind {
        // Every 13th exchange buys ETH, whose amount P100 may send with 18 decimals: the list
        // shows P100's 8 and a mark, the detail every digit.
        TransactionType::Exchange if n % 13 == 7 => (
            "eur",
            dec("1208.52"),
            Some(("eth", dec("0.535886661234567891"))),
        ),
        TransactionType::Exchange => (
            "eth",
            Decimal::new(i64::try_from(n % 9 + 1).expect("small") * 5, 1),
            Some(("eur", Decimal::new(1_250_006, 2) * Decimal::from(n % 9 + 1))),
        ),
        TransactionType::Order | TransactionType::CryptoDeposit => (
            "usdc",
            Decimal::new(412_607_142 + i64::try_from(n).expect("small"), 6),
            None,
        ),
        TransactionType::CryptoWithdrawal => ("btc", Decimal::new(1_250_000, 8), None),
        _ => (
            "eur",
            Decimal::new(2_500_000 + i64::try_from(n % 97).expect("small") * 1_337, 2),
            None,
        ),
    };
    // About 30 hours for 50 rows: today's rows show the time, older ones the date as well.
    let minutes = i64::try_from(n).expect("small") * 37 + 3;
    Transaction {
        id: tx_id(n),
        kind,
        status,
        amount,
        currency: Currency::new(currency),
        created_at: Some(t0() - Duration::minutes(minutes)),
        description: (n % 3 == 0).then(|| format!("Invoice 2026-{:04}", n % 10_000)),
        currency_to: to.map(|(c, _)| Currency::new(c)),
        amount_to: to.map(|(_, a)| a),
    }
}

pub fn page(rows: std::ops::Range<u64>, total: Option<u64>) -> TransactionPage {
    TransactionPage {
        transactions: rows.map(transaction).collect(),
        page: None,
        limit: None,
        total,
        unreadable: Vec::new(),
    }
}

pub fn press(app: &mut App, code: KeyCode) {
    let now = app.now;
    app.update(
        Msg::Key(
            KeyPress::from_crossterm(&KeyEvent::new(code, KeyModifiers::NONE))
                .expect("a named key"),
        ),
        now,
    );
}

pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

/// Just started: both panes loading, nothing in flight.
pub fn loading_app() -> App {
    let mut app = App::new(session(EnvBadge::Sandbox, false), t0());
    app.init();
    app
}

/// Loaded 12 seconds ago: balances, the first history page of 1,234, and live rows in every
/// phase.
pub fn populated_app() -> App {
    populated_at(12)
}

fn populated_at(seconds_ago: i64) -> App {
    let mut app = loading_app();
    app.update(Msg::BalancesLoaded(Ok(balances())), ago(seconds_ago));
    app.update(
        Msg::HistoryLoaded {
            page: 1,
            result: Ok(page(0..50, Some(1_234))),
        },
        ago(seconds_ago),
    );
    for row in live_rows() {
        app.live.push(row);
    }
    app.update(Msg::Tick, t0());
    app
}

/// Loaded, but there is nothing: no balances, no history, nothing in flight.
pub fn empty_app() -> App {
    let mut app = loading_app();
    app.update(Msg::BalancesLoaded(Ok(no_balances())), ago(3));
    app.update(
        Msg::HistoryLoaded {
            page: 1,
            result: Ok(page(0..0, Some(0))),
        },
        ago(3),
    );
    app.update(Msg::Tick, t0());
    app
}

/// Loaded at 11:25, then the refreshes failed from 11:29:12 on: the old data stays, marked stale.
pub fn stale_app() -> App {
    let mut app = populated_at(300);
    app.update(Msg::RefreshDue, ago(48));
    app.update(Msg::BalancesLoaded(Err(ApiError::Timeout)), ago(48));
    app.update(
        Msg::HistoryLoaded {
            page: 1,
            result: Err(ApiError::Network {
                message: "connection refused".into(),
            }),
        },
        ago(48),
    );
    app.update(Msg::Tick, t0());
    app
}

/// The very first load failed: nothing to show but the failure.
pub fn first_load_failed_app() -> App {
    let mut app = loading_app();
    app.update(Msg::BalancesLoaded(Err(ApiError::Timeout)), ago(5));
    app.update(
        Msg::HistoryLoaded {
            page: 1,
            result: Err(ApiError::Network {
                message: "connection refused".into(),
            }),
        },
        ago(5),
    );
    app.update(Msg::Tick, t0());
    app
}

fn exchange(from: &str, to: &str, amount: &str, amount_to: &str, rate: &str) -> LiveKind {
    LiveKind::Exchange(ExchangeLeg {
        from: Currency::new(from),
        to: Currency::new(to),
        amount: dec(amount),
        amount_to: dec(amount_to),
        rate: dec(rate),
    })
}

fn order(wallet: Option<&str>) -> OrderLeg {
    OrderLeg {
        currency: Currency::new("usdc"),
        network: "polygon".into(),
        fiat_amount: dec("346.59"),
        fiat_currency: Currency::new("eur"),
        crypto_amount: dec("412.607142"),
        wallet_address: wallet.map(str::to_string),
        confirmations: None,
        received: None,
        required: None,
        transaction_hash: None,
        payment_expires_at: None,
    }
}

fn row(key: &str, remote: Option<&str>, kind: LiveKind, phase: Phase, age: i64) -> LiveRow {
    LiveRow {
        key: format!("intent-{key}-7f3c2a91-0b4d-4e8a-9c61-2d5e8f0a1b3c"),
        remote_id: remote.map(str::to_string),
        lock_id: format!("lock-{key}-36e19a53-1c2d-4e5f-8a9b-0c1d2e3f4a5b"),
        kind,
        phase,
        created_at: ago(age),
        updated_at: ago(age / 2),
        check_failed: None,
    }
}

/// One row per phase, oldest first (push puts each on top, so the newest ends up first).
pub fn live_rows() -> Vec<LiveRow> {
    let mut underpaid = order(Some("0xE3534d1b2c8f0a9e7d6c5b4a3928170f6e5d4c3b"));
    underpaid.confirmations = Some((1, 3));
    underpaid.received = Some(dec("300.500000"));
    underpaid.required = Some(dec("412.607142"));
    underpaid.transaction_hash =
        Some("0x84a1c2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1".into());
    let mut awaiting = order(Some("0x5Aeda56215b167893e80B4fE645BA6d5Bab767DE"));
    awaiting.payment_expires_at = Some(t0() + Duration::minutes(14));
    vec![
        row(
            "awaiting",
            Some("663318af-8888-4000-8000-000000000008"),
            LiveKind::Order(awaiting),
            Phase::Pending {
                status: "WAITING_FOR_PAYMENT".into(),
            },
            4_000,
        ),
        row(
            "expired",
            Some("a44a0805-1111-4000-8000-000000000007"),
            LiveKind::Order(order(Some("0x9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"))),
            Phase::Expired,
            3_600,
        ),
        row(
            "failed",
            Some("3f0aeaa7-2222-4000-8000-000000000006"),
            exchange("eth", "eur", "10", "25001.20", "2500.12"),
            Phase::Failed {
                reason: "P433: insufficient funds".into(),
            },
            900,
        ),
        row(
            "completed",
            Some("3f0aeaa7-3333-4000-8000-000000000005"),
            exchange("btc", "eur", "0.5", "30617.25", "61234.5"),
            Phase::Completed,
            600,
        ),
        row(
            "unknown",
            Some("3f0aeaa7-4444-4000-8000-000000000004"),
            exchange("eur", "usdc", "1000", "1037.64", "1.037636"),
            Phase::Unknown {
                reason: "timed out".into(),
            },
            75,
        ),
        row(
            "underpaid",
            Some("663318af-5555-4000-8000-000000000003"),
            LiveKind::Order(underpaid),
            Phase::Pending {
                status: "WAITING_FOR_CONFIRMATION".into(),
            },
            240,
        ),
        row(
            "wallet",
            Some("663318af-6666-4000-8000-000000000002"),
            LiveKind::Order(order(None)),
            Phase::Pending {
                status: "WAITING_FOR_WALLET_ADDRESS".into(),
            },
            20,
        ),
        row(
            "sending",
            None,
            exchange("eth", "eur", "10", "25001.20", "2500.12"),
            Phase::Sending,
            2,
        ),
    ]
}
