//! Journal lines written before a desk starts, as the desk itself would have journaled them for
//! exchanges and orders P100 accepted: the desk resumes them and watches each one. Shared by the
//! load and the hostile-server tests.
#![allow(dead_code)] // each test binary uses a part of it

use std::path::Path;
use std::str::FromStr;

use p100_desk::journal::{Entry, Event};
use rust_decimal::Decimal;

pub fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal")
}

/// A line of the "flow" profile on a custom environment (the harness desk's).
pub fn entry(intent: &str, event: Event) -> Entry {
    Entry {
        at: chrono::Utc::now(),
        profile: "flow".into(),
        environment: "custom".into(),
        intent: intent.into(),
        event,
    }
}

/// The intent and accepted lines of a 10 USDC -> EUR exchange P100 accepted as `remote_id`.
pub fn accepted_exchange(intent: &str, remote_id: &str) -> Vec<Entry> {
    vec![
        entry(
            intent,
            Event::ExchangeIntent {
                from: "usdc".into(),
                to: "eur".into(),
                amount: dec("10"),
                amount_to: dec("8.6"),
                rate: dec("0.86"),
                lock_id: format!("lock-{intent}"),
            },
        ),
        accepted(intent, remote_id),
    ]
}

/// The intent and accepted lines of a 20 EUR order paid in USDC on polygon, accepted as
/// `remote_id`.
pub fn accepted_order(intent: &str, remote_id: &str) -> Vec<Entry> {
    vec![
        entry(
            intent,
            Event::OrderIntent {
                currency: "usdc".into(),
                network: "polygon".into(),
                fiat_amount: dec("20"),
                fiat_currency: "eur".into(),
                crypto_amount: dec("22.22"),
                rate: dec("0.9"),
                lock_id: format!("lock-{intent}"),
            },
        ),
        accepted(intent, remote_id),
    ]
}

fn accepted(intent: &str, remote_id: &str) -> Entry {
    entry(
        intent,
        Event::Accepted {
            remote_id: remote_id.into(),
            attempt: None,
        },
    )
}

/// Writes `lines` as the journal file at `path` (replacing it).
pub fn write(path: &Path, lines: &[Entry]) {
    let text: String = lines
        .iter()
        .map(|line| serde_json::to_string(line).expect("journal line") + "\n")
        .collect();
    std::fs::write(path, text).expect("journal written");
}
