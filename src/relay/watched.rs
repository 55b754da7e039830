//! The exchanges and orders the team watches: added when a POST is accepted, updated by the
//! poller and by webhooks, read by desks' details requests and the team's pending list.

use serde_json::{Value, json};

use super::RelayError;
use super::events::{self, TeamEvent};
use super::journal;

/// Exchange or order: which details path and which id field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Exchange,
    Order,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exchange => "exchange",
            Self::Order => "order",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "exchange" => Some(Self::Exchange),
            "order" => Some(Self::Order),
            _ => None,
        }
    }

    /// The field P100 names the id with in answers and webhooks.
    pub fn id_field(self) -> &'static str {
        match self {
            Self::Exchange => "exchangeId",
            Self::Order => "orderId",
        }
    }

    /// The status a new row starts with, before anything was read back.
    pub fn first_status(self) -> &'static str {
        match self {
            Self::Exchange => "PENDING",
            Self::Order => "WAITING_FOR_WALLET_ADDRESS",
        }
    }
}

/// Final statuses (P100-API.md: COMPLETED/SUCCESSFUL, FAILED/UNSUCCESSFUL, orders EXPIRED),
/// in any case; anything else, unknown text included, is still pending.
pub fn is_final(status: &str) -> bool {
    matches!(
        status.trim().to_ascii_uppercase().as_str(),
        "COMPLETED" | "SUCCESSFUL" | "FAILED" | "UNSUCCESSFUL" | "EXPIRED"
    )
}

/// The id a details answer or an event is about, under any of the names P100 uses.
pub fn subject_id(value: &Value) -> Option<&str> {
    [
        "exchangeId",
        "orderId",
        "id",
        "cryptoDepositId",
        "transactionId",
    ]
    .iter()
    .find_map(|field| value.get(field).and_then(Value::as_str))
}

/// What the relay knows of a transaction P100 has just accepted: its id, the first status and
/// the locked terms, in the details shape (so desks' first reads are answered from the store
/// and cost P100 nothing; the poller replaces it with P100's own answer).
pub fn accepted_details(kind: Kind, id: &str, terms: &Value) -> Value {
    match kind {
        Kind::Exchange => json!({
            "exchangeId": id,
            "status": kind.first_status(),
            "amount": terms.get("amount"),
            "currencyFrom": terms.get("currencyFrom"),
            "currencyTo": terms.get("currencyTo"),
            "rate": terms.get("rate"),
            "amountTo": terms.get("amountTo"),
        }),
        Kind::Order => json!({
            "orderId": id,
            "lockId": terms.get("lockId"),
            "status": kind.first_status(),
            "cryptocurrency": terms.get("currency"),
            "network": terms.get("network"),
            "totalAmountRequired": terms.get("cryptoAmount"),
            "walletAddress": null,
            "expiresAt": null,
        }),
    }
}

/// Starts watching an accepted POST's transaction.
pub async fn add(
    tx: &tokio_postgres::Transaction<'_>,
    id: &str,
    kind: Kind,
    operator: &str,
    key: &str,
    terms: &Value,
) -> Result<(), RelayError> {
    tx.execute(
        "INSERT INTO watched (transaction_id, kind, operator, idempotency_key, terms, status,
                              details, checked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now()) ON CONFLICT (transaction_id) DO NOTHING",
        &[
            &id,
            &kind.as_str(),
            &operator,
            &key,
            terms,
            &kind.first_status(),
            &accepted_details(kind, id, terms),
        ],
    )
    .await?;
    Ok(())
}

/// Stores what P100 said about `id` (from the poller, a details read or a webhook). Journals
/// and announces a status change; a final row never goes back to pending. Returns whether the
/// row is watched.
pub async fn update(
    tx: &tokio_postgres::Transaction<'_>,
    id: &str,
    status: &str,
    details: Option<&Value>,
    source: &str,
) -> Result<bool, RelayError> {
    let Some(row) = tx
        .query_opt(
            "SELECT status, final, operator FROM watched WHERE transaction_id = $1 FOR UPDATE",
            &[&id],
        )
        .await?
    else {
        return Ok(false);
    };
    let (old, was_final, operator): (String, bool, String) = (row.get(0), row.get(1), row.get(2));
    if was_final {
        return Ok(true);
    }
    let final_now = is_final(status);
    tx.execute(
        // Without a details body (a webhook), the stored one gets the new status, so a desk's
        // details read never shows the old status next to the new one.
        "UPDATE watched SET status = $2, final = $3,
                details = COALESCE($4, jsonb_set(details, '{status}', to_jsonb($2::text))),
                checked_at = now(),
                updated_at = CASE WHEN status = $2 THEN updated_at ELSE now() END
         WHERE transaction_id = $1",
        &[&id, &status, &final_now, &details],
    )
    .await?;
    if old != status {
        journal::record(
            tx,
            &operator,
            "status",
            Some(id),
            &json!({"from": old, "to": status, "source": source}),
        )
        .await?;
        events::notify(tx, &TeamEvent::new("status", id, &operator, Some(status))).await?;
    }
    Ok(true)
}
