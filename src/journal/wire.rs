//! Reading a journal line without serde's buffering: `Entry`'s derived form (`flatten` over an
//! internally tagged enum) parses every line twice, through an intermediate tree, which made
//! replay cost several times what the JSON costs. Here a line is read once into one flat
//! struct and then checked per event, accepting what the derived form accepted (the same
//! required fields, unknown fields ignored), so the file format is unchanged.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{Attempt, Entry, Event};

/// Every field any event has; which are required depends on `event`.
#[derive(Deserialize)]
pub(super) struct Line {
    at: DateTime<Utc>,
    profile: String,
    environment: String,
    intent: String,
    event: String,
    from: Option<String>,
    to: Option<String>,
    amount: Option<Decimal>,
    amount_to: Option<Decimal>,
    rate: Option<Decimal>,
    lock_id: Option<String>,
    currency: Option<String>,
    network: Option<String>,
    fiat_amount: Option<Decimal>,
    fiat_currency: Option<String>,
    crypto_amount: Option<Decimal>,
    remote_id: Option<String>,
    attempt: Option<Attempt>,
    reason: Option<String>,
    note: Option<String>,
    status: Option<String>,
    by: Option<String>,
    kind: Option<String>,
}

/// A required field of this event, or the error the derived form gave for its absence.
fn need<T>(value: Option<T>, field: &'static str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{field}`"))
}

impl TryFrom<Line> for Entry {
    type Error = String;

    fn try_from(line: Line) -> Result<Self, String> {
        let event = match line.event.as_str() {
            "exchange_intent" => Event::ExchangeIntent {
                from: need(line.from, "from")?,
                to: need(line.to, "to")?,
                amount: need(line.amount, "amount")?,
                amount_to: need(line.amount_to, "amount_to")?,
                rate: need(line.rate, "rate")?,
                lock_id: need(line.lock_id, "lock_id")?,
            },
            "order_intent" => Event::OrderIntent {
                currency: need(line.currency, "currency")?,
                network: need(line.network, "network")?,
                fiat_amount: need(line.fiat_amount, "fiat_amount")?,
                fiat_currency: need(line.fiat_currency, "fiat_currency")?,
                crypto_amount: need(line.crypto_amount, "crypto_amount")?,
                rate: need(line.rate, "rate")?,
                lock_id: need(line.lock_id, "lock_id")?,
            },
            "accepted" => Event::Accepted {
                remote_id: need(line.remote_id, "remote_id")?,
                attempt: line.attempt,
            },
            "rejected" => Event::Rejected {
                reason: need(line.reason, "reason")?,
            },
            "unknown" => Event::Unknown {
                reason: need(line.reason, "reason")?,
            },
            "reconciled" => Event::Reconciled {
                remote_id: line.remote_id,
                note: need(line.note, "note")?,
            },
            "final" => Event::Final {
                status: need(line.status, "status")?,
                reason: line.reason,
            },
            "resolved" => Event::Resolved {
                remote_id: line.remote_id,
                by: need(line.by, "by")?,
                note: need(line.note, "note")?,
            },
            "check" => Event::Check {
                note: need(line.note, "note")?,
            },
            "lock_refused" => Event::LockRefused {
                kind: need(line.kind, "kind")?,
                lock_id: need(line.lock_id, "lock_id")?,
                reason: need(line.reason, "reason")?,
            },
            other => return Err(format!("unknown event `{other}`")),
        };
        Ok(Self {
            at: line.at,
            profile: line.profile,
            environment: line.environment,
            intent: line.intent,
            event,
        })
    }
}
