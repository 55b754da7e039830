//! History rows as P100 serves them, numbered: UUID ids, four of five with a short
//! description, exchanges with their second leg. Shared by the history bench and the memory
//! test, so both measure the same rows.

use chrono::DateTime;
use rust_decimal::Decimal;

use p100_desk::api::models::{Currency, Transaction, TransactionStatus, TransactionType};

/// Row `n` of a server whose newest row has the highest number.
pub fn transaction(n: u64) -> Transaction {
    let (kind, currency, to) = match n % 4 {
        0 => (TransactionType::Exchange, "usdc", Some("eur")),
        1 => (TransactionType::SepaDeposit, "eur", None),
        2 => (TransactionType::Order, "btc", None),
        _ => (TransactionType::CryptoWithdrawal, "eth", None),
    };
    Transaction {
        id: format!("{n:08x}-7d1c-4e2a-9b3f-{:012x}", n * 7_919),
        kind,
        status: if n % 9 == 0 {
            TransactionStatus::Failed
        } else {
            TransactionStatus::Successful
        },
        amount: Decimal::new(i64::try_from(n % 100_000).unwrap_or(1) + 1, 2),
        currency: Currency::new(currency),
        created_at: DateTime::from_timestamp(1_700_000_000 + i64::try_from(n).unwrap_or(0), 0),
        description: (n % 5 != 0).then(|| format!("Payment {}", n % 977)),
        currency_to: to.map(Currency::new),
        amount_to: to.map(|_| Decimal::new(12_345, 2)),
    }
}
