//! What the team shares: the stored details of watched rows, every pending row with who placed
//! it (`GET /relay/v1/team/pending`) and the team journal (`GET /relay/v1/journal`).

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::server::{Relay, operator_of};
use super::watched::{self, Kind};
use super::{RelayError, journal, store};

/// The stored details of a watched id when fresh within `max_age` or final.
pub async fn stored_details(
    relay: &Relay,
    id: &str,
    max_age: Duration,
) -> Result<Option<Value>, RelayError> {
    let db = store::connection(&relay.pool).await?;
    let row = db
        .query_opt(
            "SELECT details FROM watched WHERE transaction_id = $1 AND details IS NOT NULL
               AND (final OR checked_at > now() - make_interval(secs => $2::float8))",
            &[&id, &max_age.as_secs_f64()],
        )
        .await?;
    Ok(row.map(|row| row.get(0)))
}

/// Stores a details answer for `id`, if it is about `id` (an answer naming another id is not
/// an answer about this one) and the team watches it.
pub async fn store_details(
    relay: &Relay,
    kind: Kind,
    id: &str,
    details: &Value,
    source: &str,
) -> Result<(), RelayError> {
    let about = details.get(kind.id_field()).and_then(Value::as_str);
    if about.is_some_and(|about| about != id) {
        tracing::warn!(
            asked = id,
            "P100 details answer names another id; not stored"
        );
        return Ok(());
    }
    let Some(status) = details.get("status").and_then(Value::as_str) else {
        return Ok(());
    };
    let mut db = store::connection(&relay.pool).await?;
    let tx = db.transaction().await?;
    watched::update(&tx, id, status, Some(details), source).await?;
    tx.commit().await?;
    Ok(())
}

/// Every pending row of the team: accepted and still moving, or sent with no clear answer yet.
pub async fn pending(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
) -> Result<Json<Value>, RelayError> {
    operator_of(&relay, &headers).await?;
    let db = store::connection(&relay.pool).await?;
    let watched_rows = db
        .query(
            "SELECT transaction_id, kind, operator, status, terms, created_at, updated_at
             FROM watched WHERE NOT final ORDER BY created_at",
            &[],
        )
        .await?;
    let open_intents = db
        .query(
            "SELECT idempotency_key, kind, operator, state, terms, created_at
             FROM intents WHERE state IN ('in_progress', 'unknown', 'ambiguous')
             ORDER BY created_at",
            &[],
        )
        .await?;
    let rows: Vec<Value> = watched_rows
        .iter()
        .map(|row| {
            json!({
                "id": row.get::<_, String>(0),
                "kind": row.get::<_, String>(1),
                "operator": row.get::<_, String>(2),
                "status": row.get::<_, String>(3),
                "terms": row.get::<_, Value>(4),
                "createdAt": row.get::<_, chrono::DateTime<chrono::Utc>>(5),
                "updatedAt": row.get::<_, chrono::DateTime<chrono::Utc>>(6),
            })
        })
        .chain(open_intents.iter().map(|row| {
            json!({
                "idempotencyKey": row.get::<_, String>(0),
                "kind": row.get::<_, String>(1),
                "operator": row.get::<_, String>(2),
                "status": match row.get::<_, String>(3).as_str() {
                    "unknown" => "UNKNOWN",
                    "ambiguous" => "AMBIGUOUS",
                    _ => "SENDING",
                },
                "terms": row.get::<_, Value>(4),
                "createdAt": row.get::<_, chrono::DateTime<chrono::Utc>>(5),
            })
        }))
        .collect();
    Ok(Json(json!({ "pending": rows })))
}

/// The newest 500 team journal rows, oldest first.
pub async fn journal(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
) -> Result<Json<Value>, RelayError> {
    operator_of(&relay, &headers).await?;
    let entries = journal::read(&relay.pool, 500).await?;
    let rows: Vec<Value> = entries
        .iter()
        .map(|entry| {
            json!({"id": entry.id, "at": entry.at, "operator": entry.operator,
                   "event": entry.event, "subject": entry.subject, "detail": entry.detail})
        })
        .collect();
    Ok(Json(json!({ "journal": rows })))
}
