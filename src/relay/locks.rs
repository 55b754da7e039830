//! Rate locks through the relay: traders only; every lock handed out is recorded with the
//! terms it was asked for, so a money POST is checked against a lock the relay has seen.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::operators::Role;
use super::server::{Relay, json_body, operator_of, pass_on, upstream_down};
use super::watched::Kind;
use super::{RelayError, store};

/// A decimal from a JSON string or number (P100 sends both), normalized.
pub fn decimal_of(value: Option<&Value>) -> Option<Decimal> {
    let text = match value? {
        Value::String(text) => text.trim().to_owned(),
        Value::Number(number) => number.to_string(),
        _ => return None,
    };
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
        .map(|amount| amount.normalize())
}

fn slug(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(|text| text.trim().to_ascii_lowercase())
        .filter(|text| !text.is_empty())
}

/// The lock id under either documented name.
pub fn lock_id_of(value: &Value) -> Option<&str> {
    value
        .get("lockId")
        .or_else(|| value.get("rateLockId"))
        .and_then(Value::as_str)
}

/// A recorded lock.
#[derive(Debug, Clone)]
pub struct RecordedLock {
    pub terms: Value,
    pub answer: Value,
}

/// The lock the relay handed out under this id for this kind, if any.
pub async fn find(
    relay: &Relay,
    lock_id: &str,
    kind: Kind,
) -> Result<Option<RecordedLock>, RelayError> {
    let db = store::connection(&relay.pool).await?;
    let row = db
        .query_opt(
            "SELECT terms, answer FROM locks WHERE lock_id = $1 AND kind = $2",
            &[&lock_id, &kind.as_str()],
        )
        .await?;
    Ok(row.map(|row| RecordedLock {
        terms: row.get(0),
        answer: row.get(1),
    }))
}

async fn record(
    relay: &Relay,
    kind: Kind,
    operator: &str,
    terms: &Value,
    answer: &Value,
) -> Result<(), RelayError> {
    let Some(lock_id) = lock_id_of(answer) else {
        return Ok(());
    };
    let db = store::connection(&relay.pool).await?;
    db.execute(
        "INSERT INTO locks (lock_id, kind, operator, terms, answer) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (lock_id) DO NOTHING",
        &[&lock_id, &kind.as_str(), &operator, terms, answer],
    )
    .await?;
    Ok(())
}

/// The exchange lock, by GET with a query or POST with a body (the docs disagree).
pub async fn exchange_lock(
    State(relay): State<Arc<Relay>>,
    method: Method,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, RelayError> {
    let operator = operator_of(&relay, &headers).await?;
    operator.require(Role::Trader, "locking a rate")?;
    let asked: Value = if method == Method::POST {
        json_body(&body)?
    } else {
        query
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let terms = json!({
        "currencyFrom": slug(asked.get("currencyFrom")),
        "currencyTo": slug(asked.get("currencyTo")),
        "amount": decimal_of(asked.get("amount")).map(|amount| amount.to_string()),
    });
    let target = match uri.query() {
        Some(query) if !query.is_empty() => format!("{}?{query}", uri.path()),
        _ => uri.path().to_owned(),
    };
    let forwarded_body = (method == Method::POST).then_some(body);
    let answer = relay
        .upstream
        .send(method, &target, forwarded_body)
        .await
        .map_err(upstream_down)?;
    if answer.status.is_success() {
        if let Some(value) = answer.json() {
            record(&relay, Kind::Exchange, &operator.name, &terms, &value).await?;
        }
    }
    Ok(pass_on(answer))
}

/// `POST` the order rate lock.
pub async fn order_lock(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: Bytes,
) -> Result<Response, RelayError> {
    let operator = operator_of(&relay, &headers).await?;
    operator.require(Role::Trader, "locking a rate")?;
    let asked = json_body(&body)?;
    let terms = json!({
        "currency": slug(asked.get("currency")),
        "network": slug(asked.get("network")),
        "amount": decimal_of(asked.get("amount")).map(|amount| amount.to_string()),
    });
    let answer = relay
        .upstream
        .send(Method::POST, uri.path(), Some(body))
        .await
        .map_err(upstream_down)?;
    if answer.status.is_success() {
        if let Some(value) = answer.json() {
            record(&relay, Kind::Order, &operator.name, &terms, &value).await?;
        }
    }
    Ok(pass_on(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_from_strings_and_numbers() {
        let value = json!({"a": "10.50", "b": 412.607_142, "c": true});
        assert_eq!(decimal_of(value.get("a")), Some(Decimal::new(105, 1)));
        assert_eq!(
            decimal_of(value.get("b")),
            Some(Decimal::new(412_607_142, 6))
        );
        assert_eq!(decimal_of(value.get("c")), None);
        assert_eq!(lock_id_of(&json!({"rateLockId": "x"})), Some("x"));
    }
}
