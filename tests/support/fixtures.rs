//! Fixture state built through the public API, at a fixed time.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use p100_desk::api::error::ApiError;
use p100_desk::api::models::{
    Balances, CryptoBalance, Currency, FiatBalance, FiatStatus, NetworkConfig, OrderDetails,
    OrderStatus, Transaction, TransactionPage, TransactionStatus, TransactionType,
};
use p100_desk::app::msg::Msg;
use p100_desk::app::{App, EnvBadge, SessionInfo};
use p100_desk::journal::{self, Entry, Event};
use rust_decimal::Decimal;

/// The fixed "now" of every fixture: 2026-02-13 11:30:00 UTC.
pub static T0: LazyLock<DateTime<Utc>> = LazyLock::new(|| {
    DateTime::parse_from_rfc3339("2026-02-13T11:30:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
});

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_default()
}

pub fn session() -> SessionInfo {
    SessionInfo {
        environment: EnvBadge::Sandbox,
        profile: "treasury".into(),
        read_only: false,
        bell: false,
        max_exchange_eur: None,
    }
}

pub fn app() -> App {
    App::new(session(), *T0)
}

pub fn balances() -> Balances {
    let mut usdc_networks = BTreeMap::new();
    usdc_networks.insert(
        "polygon".to_string(),
        serde_json::from_str::<NetworkConfig>(
            r#"{"mainnet": false, "name": "amoy", "withdrawal": {"feeWithdrawal": 10, "minWithdrawal": 15}, "deposit": {"minDeposit": 5}}"#,
        )
        .unwrap_or_default(),
    );
    usdc_networks.insert("ethereum".to_string(), NetworkConfig::default());
    let mut btc_networks = BTreeMap::new();
    btc_networks.insert("bitcoin".to_string(), NetworkConfig::default());
    Balances {
        fiat_balances: vec![FiatBalance {
            id: "fiat-eur".into(),
            amount: dec("125000.00"),
            name: Currency::new("eur"),
            rate: Some(Decimal::ONE),
            iban: Some("LT683130019950000568".into()),
            status: FiatStatus::Active,
        }],
        crypto_balances: vec![
            CryptoBalance {
                id: "crypto-usdc".into(),
                amount: dec("48250.500000"),
                name: Currency::new("usdc"),
                wallet: Some("0x2e90aa1b2c3d4e5f60718293a4b5c6d7e8f90a1b".into()),
                rate: Some(dec("0.9")),
                network_config: usdc_networks,
            },
            CryptoBalance {
                id: "crypto-btc".into(),
                amount: dec("1.25000000"),
                name: Currency::new("btc"),
                wallet: None,
                rate: Some(dec("61000")),
                network_config: btc_networks,
            },
        ],
        unreadable: Vec::new(),
    }
}

fn tx(id: String, index: u32, created_at: DateTime<Utc>) -> Transaction {
    let kinds = [
        TransactionType::Exchange,
        TransactionType::SepaDeposit,
        TransactionType::Order,
        TransactionType::CryptoWithdrawal,
    ];
    let kind = kinds[(index % 4) as usize].clone();
    let exchange = kind == TransactionType::Exchange;
    Transaction {
        id,
        kind,
        status: if index % 7 == 3 {
            TransactionStatus::Failed
        } else {
            TransactionStatus::Successful
        },
        amount: Decimal::new(i64::from(index) * 1_000 + 250, 2),
        currency: Currency::new(if exchange { "usdc" } else { "eur" }),
        created_at: Some(created_at),
        description: None,
        currency_to: exchange.then(|| Currency::new("eur")),
        amount_to: exchange.then(|| Decimal::new(i64::from(index) * 900 + 225, 2)),
    }
}

/// Page `page` of a long history: `n` rows, newest first.
pub fn history_page(page: u32, n: u32) -> TransactionPage {
    let start = (page - 1) * n;
    TransactionPage {
        transactions: (start..start + n)
            .map(|i| {
                tx(
                    format!("tx-{i:05}-0000-4000-8000-000000000000"),
                    i,
                    *T0 - Duration::minutes(i64::from(i) * 17),
                )
            })
            .collect(),
        page: Some(page),
        limit: Some(n),
        total: Some(1234),
        unreadable: Vec::new(),
    }
}

/// Page 1 again after `fresh` new transactions arrived on top.
pub fn history_page_with_new(fresh: u32) -> TransactionPage {
    let mut page = history_page(1, 50);
    let mut rows: Vec<Transaction> = (0..fresh)
        .map(|i| tx(format!("new-{i}"), i, *T0 + Duration::minutes(1)))
        .collect();
    rows.append(&mut page.transactions);
    rows.truncate(50);
    page.transactions = rows;
    page
}

pub fn loaded_app_with(change: impl FnOnce(&mut SessionInfo)) -> App {
    let mut session = session();
    change(&mut session);
    let mut app = App::new(session, *T0);
    app.init();
    app.update(Msg::BalancesLoaded(Ok(balances())), *T0);
    app.update(
        Msg::HistoryLoaded {
            page: 1,
            result: Ok(history_page(1, 50)),
        },
        *T0,
    );
    app
}

pub fn loaded_app() -> App {
    loaded_app_with(|_| {})
}

pub fn business_error(code: &str, name: &str) -> ApiError {
    ApiError::Business {
        status: if code == "P462" { 404 } else { 400 },
        code: code.into(),
        name: Some(name.into()),
        message: format!("{name} (fixture)"),
    }
}

pub fn unknown_error() -> ApiError {
    ApiError::OutcomeUnknown {
        cause: Box::new(ApiError::Timeout),
    }
}

pub fn order_details(id: &str, status: OrderStatus) -> OrderDetails {
    OrderDetails {
        order_id: id.into(),
        lock_id: Some("olock".into()),
        status,
        created_at: Some(*T0),
        expires_at: None,
        confirmations: Some(1),
        required_confirmations: Some(3),
        received_amount: None,
        total_amount_required: Some(dec("412.607142")),
        cryptocurrency: Currency::new("usdc"),
        wallet_address: None,
        transaction_hash: None,
        network: Some("POLYGON".into()),
    }
}

fn entry(intent: &str, event: Event) -> Entry {
    Entry {
        at: *T0 - Duration::minutes(5),
        profile: "treasury".into(),
        environment: "sandbox".into(),
        intent: intent.into(),
        event,
    }
}

/// A journal with one pending exchange, one unknown exchange and one finished exchange.
pub fn journal_records() -> journal::Replay {
    let intent = |id: &str| {
        entry(
            id,
            Event::ExchangeIntent {
                from: "usdc".into(),
                to: "eur".into(),
                amount: dec("100"),
                amount_to: dec("90.00"),
                rate: dec("0.9"),
                lock_id: format!("lock-{id}"),
            },
        )
    };
    let lines = [
        intent("a"),
        entry(
            "a",
            Event::Accepted {
                remote_id: "ex-pending".into(),
                attempt: None,
            },
        ),
        intent("b"),
        entry(
            "b",
            Event::Unknown {
                reason: "timed out".into(),
            },
        ),
        intent("c"),
        entry(
            "c",
            Event::Accepted {
                remote_id: "ex-done".into(),
                attempt: None,
            },
        ),
        entry(
            "c",
            Event::Final {
                status: "COMPLETED".into(),
                reason: None,
            },
        ),
    ];
    let text: String = lines
        .iter()
        .filter_map(|line| serde_json::to_string(line).ok())
        .map(|line| line + "\n")
        .collect();
    journal::replay(text.as_bytes()).unwrap_or_default()
}

/// A history row that could be an unknown exchange of `amount` `currency` into EUR.
pub fn candidate(
    id: &str,
    currency: &str,
    amount: &str,
    created_at: DateTime<Utc>,
) -> p100_desk::app::reconcile::Candidate {
    p100_desk::app::reconcile::Candidate {
        id: id.into(),
        created_at: Some(created_at),
        status: "PENDING".into(),
        amount: dec(amount),
        currency: Currency::new(currency),
        currency_to: Some(Currency::new("eur")),
        amount_to: None,
        in_window: false,
    }
}
