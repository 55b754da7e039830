//! Extra settled history rows for scale tests and benchmarks (`SandboxOptions::history_rows`):
//! older than every seeded row, one a minute going back, a repeating mix of types and statuses.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::ledger::{HistoryRow, TxStatus, TxType};

/// Currencies the synthetic rows move, with the scale of their amounts.
const CURRENCIES: [(&str, u32); 4] = [("eur", 2), ("usdc", 6), ("btc", 8), ("eth", 8)];

/// `count` rows, the newest a minute before `before`, each older by a minute.
pub fn rows(count: usize, before: DateTime<Utc>) -> Vec<HistoryRow> {
    (0..count)
        .map(|n| {
            let kind = TxType::ALL[n % TxType::ALL.len()];
            let (currency, scale) = CURRENCIES[n % CURRENCIES.len()];
            // 1.00 .. 999.99 in the currency's scale: varied, exact, never zero.
            let cents = i64::try_from(n % 99_999).unwrap_or(0) + 100;
            let mut amount = Decimal::new(cents, 2);
            amount.rescale(scale);
            let minutes = i64::try_from(n).unwrap_or(i64::MAX / 120) + 1;
            HistoryRow {
                id: format!("00000000-0000-4000-8000-{n:012}"),
                kind,
                status: if n % 17 == 0 {
                    TxStatus::Failed
                } else {
                    TxStatus::Successful
                },
                amount,
                currency: currency.to_owned(),
                created_at: before - Duration::minutes(minutes),
                description: Some(format!("Synthetic row {n}")),
                counter: (kind == TxType::Exchange && currency != "eur")
                    .then(|| ("eur".to_owned(), amount * Decimal::from(2))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_unique_older_and_exact() {
        let now = Utc::now();
        let rows = rows(1_000, now);
        assert_eq!(rows.len(), 1_000);
        let ids: std::collections::HashSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), 1_000);
        assert!(rows.iter().all(|row| row.created_at < now));
        assert_eq!(rows[2].amount.scale(), 8, "btc at its scale");
    }
}
