//! A desk with 1,000 rows in flight, and the poll answers, history pages and balances that keep
//! arriving for it: shared by the render bench and the memory test.
#![allow(dead_code)] // the bench and the memory test each use part of it

use std::str::FromStr;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;

use p100_desk::api::error::ApiError;
use p100_desk::api::models::{
    Balances, Currency, ExchangeDetails, ExchangeStatus, OrderDetails, OrderStatus, Transaction,
    TransactionPage, TransactionStatus, TransactionType,
};
use p100_desk::app::live::{ExchangeLeg, LiveKind, LiveRow, OrderLeg, Phase};
use p100_desk::app::msg::Msg;
use p100_desk::app::{App, EnvBadge, SessionInfo};

pub const LIVE_ROWS: u64 = 1_000;
/// History rows per page, as the app asks for them.
pub const PAGE: u64 = 50;

/// 2026-02-13T11:30:00Z.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 13, 11, 30, 0)
        .single()
        .expect("valid fixture time")
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("fixture decimal")
}

/// A UUID-shaped id, distinct for every `(prefix, n)`.
pub fn uuid(prefix: u32, n: u64) -> String {
    format!("{prefix:08x}-{:04x}-4000-8000-{n:012x}", n % 0xffff)
}

pub fn remote_id(n: u64) -> String {
    uuid(0x3f0a_eaa7, n)
}

pub fn is_exchange(n: u64) -> bool {
    n % 5 < 3
}

/// The `n`th live row: 3 in 5 are exchanges, the rest orders, in every in-flight phase. With
/// `with_finals`, one row in 5 is already final (completed, failed or expired).
pub fn live_row(n: u64, with_finals: bool) -> LiveRow {
    let key = format!("ex-20260213T1125{n:04}-{n}");
    let remote_id = Some(remote_id(n));
    let amount = Decimal::new(i64::try_from(n % 97 + 1).expect("small") * 1_000, 2);
    let kind = if is_exchange(n) {
        LiveKind::Exchange(ExchangeLeg {
            from: Currency::new(["usdc", "eth", "btc"][(n % 3) as usize]),
            to: Currency::new("eur"),
            amount,
            amount_to: amount * dec("0.86"),
            rate: dec("0.86"),
        })
    } else {
        let paying = n % 4 != 0;
        LiveKind::Order(OrderLeg {
            currency: Currency::new("usdc"),
            network: "polygon".into(),
            fiat_amount: amount,
            fiat_currency: Currency::new("eur"),
            crypto_amount: amount * dec("1.163"),
            wallet_address: paying.then(|| format!("0x{:040x}", n * 7_919)),
            confirmations: paying.then_some((u32::try_from(n % 3).expect("small"), 3)),
            received: paying.then(|| amount * dec("0.5")),
            required: Some(amount * dec("1.163")),
            transaction_hash: paying.then(|| format!("0x{:064x}", n * 104_729)),
            payment_expires_at: Some(t0() + Duration::minutes(10)),
        })
    };
    let phase = match (with_finals, n % 10) {
        (true, 0) => Phase::Completed,
        (true, 5) => Phase::Failed {
            reason: "P433: insufficient funds".into(),
        },
        (_, 7) => Phase::Unknown {
            reason: "timed out".into(),
        },
        _ => Phase::Pending {
            status: pending_status(n, 0),
        },
    };
    LiveRow {
        key,
        remote_id,
        lock_id: uuid(0x36e1_9a53, n),
        kind,
        phase,
        created_at: t0() - Duration::seconds(i64::try_from(n).expect("small")),
        updated_at: t0(),
        check_failed: None,
    }
}

/// The API's word for an in-flight row `n`, moving on with `step`.
pub fn pending_status(n: u64, step: u64) -> String {
    if is_exchange(n) {
        exchange_status(n, step).as_str().to_string()
    } else {
        order_status(n, step).as_str().to_string()
    }
}

fn exchange_status(n: u64, step: u64) -> ExchangeStatus {
    [
        ExchangeStatus::Queued,
        ExchangeStatus::Pending,
        ExchangeStatus::Processing,
    ][((n + step) % 3) as usize]
        .clone()
}

fn order_status(n: u64, step: u64) -> OrderStatus {
    [
        OrderStatus::WaitingForWalletAddress,
        OrderStatus::WaitingForPayment,
        OrderStatus::PartiallyPaid,
        OrderStatus::WaitingForConfirmation,
    ][((n + step) % 4) as usize]
        .clone()
}

/// The details endpoint's answer for row `n` at `step`: still in flight, in the status `step`
/// gives it (the same step twice is an unchanged status, a new step a change).
pub fn poll_reply(n: u64, step: u64) -> Msg {
    let id = remote_id(n);
    if is_exchange(n) {
        Msg::ExchangePolled {
            id: id.clone(),
            result: Ok(ExchangeDetails {
                exchange_id: id,
                status: exchange_status(n, step),
                amount: Some(dec("10")),
                currency_from: Some(Currency::new("usdc")),
                currency_to: Some(Currency::new("eur")),
                rate: Some(dec("0.86")),
                amount_to: Some(dec("8.60")),
                created_at: Some(t0()),
                updated_at: Some(t0()),
                error_code: None,
                error_message: None,
            }),
        }
    } else {
        let confirmations = u32::try_from(step % 3).expect("small");
        Msg::OrderPolled {
            id: id.clone(),
            result: Ok(OrderDetails {
                order_id: id,
                lock_id: Some(uuid(0x36e1_9a53, n)),
                status: order_status(n, step),
                created_at: Some(t0()),
                expires_at: Some(t0() + Duration::minutes(10)),
                confirmations: Some(confirmations),
                required_confirmations: Some(3),
                received_amount: Some(dec("5.815")),
                total_amount_required: Some(dec("11.63")),
                cryptocurrency: Currency::new("usdc"),
                wallet_address: Some(format!("0x{:040x}", n * 7_919)),
                transaction_hash: Some(format!("0x{:064x}", n * 104_729 + step)),
                network: Some("POLYGON".into()),
            }),
        }
    }
}

/// A failed poll of row `n` (the row stays as it was; the status bar says why).
pub fn poll_failure(n: u64) -> Msg {
    let error = ApiError::Timeout;
    if is_exchange(n) {
        Msg::ExchangePolled {
            id: remote_id(n),
            result: Err(error),
        }
    } else {
        Msg::OrderPolled {
            id: remote_id(n),
            result: Err(error),
        }
    }
}

pub fn balances(step: u64) -> Balances {
    let eur = 152_340 + step % 1_000;
    serde_json::from_str(&format!(
        r#"{{
        "fiatBalances": [
          {{"id": "fiat-eur", "amount": "{eur}.75", "name": "eur", "rate": 1,
           "iban": "LT683130019950000568", "status": "ACTIVE"}}
        ],
        "cryptoBalances": [
          {{"id": "crypto-usdc", "amount": "12500.000000", "name": "usdc",
           "wallet": "0x2e90c7f1a0b34e27d3b1c5f6a8e9d0c1b2a3f4e5", "rate": 0.86,
           "networkConfig": {{"polygon": {{"mainnet": false, "name": "amoy",
              "withdrawal": {{"feeWithdrawal": 10, "minWithdrawal": 15}},
              "deposit": {{"minDeposit": 5}}}}}}}},
          {{"id": "crypto-eth", "amount": "12.5", "name": "eth", "wallet": null, "rate": "2500.12",
           "networkConfig": {{}}}}
        ]}}"#
    ))
    .expect("fixture balances parse")
}

/// Page `page` (from 1) of a history of `total` rows, newest first; `step` moves the statuses
/// of pending rows on, as a refresh would find them.
pub fn history_page(page: u64, total: u64, step: u64) -> TransactionPage {
    let first = (page - 1) * PAGE;
    let last = (first + PAGE).min(total);
    TransactionPage {
        transactions: (first..last)
            .map(|n| Transaction {
                id: uuid(0x7a1e_0000, n),
                kind: if n % 2 == 0 {
                    TransactionType::Exchange
                } else {
                    TransactionType::Order
                },
                status: match (n + step) % 4 {
                    0 => TransactionStatus::Pending,
                    1 => TransactionStatus::Processing,
                    _ => TransactionStatus::Successful,
                },
                amount: Decimal::new(i64::try_from(n).expect("small") * 100 + 1_000, 2),
                currency: Currency::new("usdc"),
                created_at: Some(t0() - Duration::minutes(i64::try_from(n).expect("small"))),
                description: (n % 3 == 0).then(|| format!("Invoice 2026-{n:04}")),
                currency_to: (n % 2 == 0).then(|| Currency::new("eur")),
                amount_to: (n % 2 == 0).then(|| Decimal::new(860, 2)),
            })
            .collect(),
        page: Some(u32::try_from(page).expect("small")),
        limit: Some(u32::try_from(PAGE).expect("small")),
        total: Some(total),
        unreadable: Vec::new(),
    }
}

/// A loaded desk (balances, the first history page of `history_total`) with `rows` live rows,
/// added the way a submit adds them, newest first.
pub fn desk_with_live_rows(rows: u64, with_finals: bool, history_total: u64) -> App {
    let session = SessionInfo {
        environment: EnvBadge::Sandbox,
        profile: "treasury".into(),
        read_only: false,
        bell: false,
        max_exchange_eur: None,
    };
    let mut app = App::new(session, t0());
    app.init();
    app.update(Msg::BalancesLoaded(Ok(balances(0))), t0());
    app.update(
        Msg::HistoryLoaded {
            page: 1,
            result: Ok(history_page(1, history_total, 0)),
        },
        t0(),
    );
    for n in (0..rows).rev() {
        app.live.push(live_row(n, with_finals));
    }
    // Sends the watch set, as the first message after a submit would.
    app.update(Msg::Tick, t0());
    app
}
