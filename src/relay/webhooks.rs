//! P100's webhooks: `POST /webhooks/p100` with the team's webhook token in `Authorization`
//! (else 401, nothing stored), flat or enveloped payloads, each distinct event stored once
//! however often it is delivered, then applied to the watched row; `GET /webhook/health`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::server::Relay;
use super::watched::{self, subject_id};
use super::{RelayError, store};

/// Whether `Authorization` carries the token, as sent or as `Bearer <token>` (the docs only
/// say the token is sent in the header [assumed: either form]). Compared in constant time.
fn authorized(relay: &Relay, headers: &HeaderMap) -> bool {
    let Some(token) = &relay.webhook_token else {
        return false;
    };
    let Some(sent) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let sent = sent.trim();
    let sent = sent.strip_prefix("Bearer ").unwrap_or(sent);
    let expected = token.expose_secret().as_bytes();
    !expected.is_empty() && bool::from(sent.as_bytes().ct_eq(expected))
}

/// The event inside an envelope (`{"event_type", "data": {...}}`), or the flat body.
fn event_of(payload: &Value) -> (&Value, Option<&str>) {
    match payload.get("data") {
        Some(data) if data.is_object() => (
            data,
            payload
                .get("event_type")
                .or_else(|| payload.get("eventType"))
                .and_then(Value::as_str),
        ),
        _ => (payload, None),
    }
}

/// Stores the event (once) before answering, so a `200` means the relay has it; applying it
/// to the watched row happens after the answer.
pub async fn receive(State(relay): State<Arc<Relay>>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&relay, &headers) {
        if relay.webhook_token.is_none() {
            tracing::warn!("webhook refused: the relay has no webhook token configured");
        }
        return RelayError::unauthorized("Access Denied: wrong webhook token").into_response();
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        return RelayError::invalid("the webhook body is not JSON").into_response();
    };
    match store_once(&relay, &payload).await {
        Ok(true) => {
            let relay = Arc::clone(&relay);
            tokio::spawn(async move {
                if let Err(error) = apply(&relay, &payload).await {
                    tracing::warn!(%error, "webhook event not applied");
                }
            });
        }
        Ok(false) => tracing::debug!("webhook delivered again; already stored"),
        Err(error) => return error.into_response(),
    }
    (StatusCode::OK, Json(json!({}))).into_response()
}

/// True when the event is new.
async fn store_once(relay: &Relay, payload: &Value) -> Result<bool, RelayError> {
    let fingerprint = hex::encode(Sha256::digest(
        serde_json::to_vec(payload).unwrap_or_default(),
    ));
    let (event, event_type) = event_of(payload);
    let subject = subject_id(event);
    let status = event.get("status").and_then(Value::as_str);
    let db = store::connection(&relay.pool).await?;
    let row = db
        .query_one(
            "INSERT INTO webhook_events (fingerprint, event_type, subject_id, status, payload)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (fingerprint) DO UPDATE SET deliveries = webhook_events.deliveries + 1
             RETURNING deliveries",
            &[&fingerprint, &event_type, &subject, &status, payload],
        )
        .await?;
    Ok(row.get::<_, i32>(0) == 1)
}

/// Updates the watched row the event is about, if the team watches it.
async fn apply(relay: &Relay, payload: &Value) -> Result<(), RelayError> {
    let (event, _) = event_of(payload);
    let (Some(id), Some(status)) = (
        subject_id(event),
        event.get("status").and_then(Value::as_str),
    ) else {
        return Ok(());
    };
    let mut db = store::connection(&relay.pool).await?;
    let tx = db.transaction().await?;
    watched::update(&tx, id, status, None, "webhook").await?;
    tx.commit().await?;
    Ok(())
}

/// `GET /webhook/health`: 200 while the relay runs.
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_and_enveloped_events() {
        let flat = json!({"cryptoDepositId": "d1", "status": "WAITING_FOR_TR_DATA"});
        assert_eq!(event_of(&flat), (&flat, None));
        let enveloped = json!({"event_type": "exchange.status_changed",
                               "data": {"exchangeId": "e1", "status": "COMPLETED"}});
        let (event, kind) = event_of(&enveloped);
        assert_eq!(subject_id(event), Some("e1"));
        assert_eq!(kind, Some("exchange.status_changed"));
    }
}
