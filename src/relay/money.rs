//! Money POSTs through the relay (`POST` exchange and order): trader role, an
//! `Idempotency-Key`, a lock the relay handed out and whose terms the POST keeps, four eyes
//! above the limit, then the intent recorded and the POST sent upstream once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::intents::{self, Begin, NewIntent};
use super::locks::{self, decimal_of, lock_id_of};
use super::operators::Role;
use super::server::{Relay, json_body, operator_of};
use super::watched::Kind;
use super::{RelayError, approvals};

/// Longest accepted Idempotency-Key (a desk sends a UUID-like intent id).
const MAX_KEY_LEN: usize = 200;
/// How long the EUR rates read from balances are used for four-eyes valuations.
const RATES_MAX_AGE: Duration = Duration::from_secs(60);

pub async fn post_exchange(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, RelayError> {
    post_money(&relay, &headers, body, Kind::Exchange).await
}

pub async fn post_order(
    State(relay): State<Arc<Relay>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, RelayError> {
    post_money(&relay, &headers, body, Kind::Order).await
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, RelayError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    if key.is_empty() || key.len() > MAX_KEY_LEN || key.chars().any(char::is_control) {
        return Err(RelayError::invalid(
            "a money POST through the relay needs an Idempotency-Key header (the intent id, \
             at most 200 printable characters)",
        ));
    }
    Ok(key.to_owned())
}

async fn post_money(
    relay: &Relay,
    headers: &HeaderMap,
    body: Bytes,
    kind: Kind,
) -> Result<Response, RelayError> {
    let operator = operator_of(relay, headers).await?;
    operator.require(Role::Trader, &format!("sending an {}", kind.as_str()))?;
    let key = idempotency_key(headers)?;
    let sent = json_body(&body)?;
    let hash = intents::body_hash(&sent);
    if let Some(stored) = intents::find(relay, &key).await? {
        return Ok(stored.replay(&hash));
    }
    let lock_id = lock_id_of(&sent)
        .ok_or_else(|| RelayError::invalid("lockId is required"))?
        .to_owned();
    let lock = locks::find(relay, &lock_id, kind).await?.ok_or_else(|| {
        RelayError::refused(
            StatusCode::NOT_FOUND,
            "R404",
            "unknown-lock",
            "the relay did not hand out this lock: lock the rate through the relay",
        )
    })?;
    let terms = match kind {
        Kind::Exchange => exchange_terms(&sent, &lock, &lock_id)?,
        Kind::Order => order_terms(&lock, &lock_id),
    };
    let proposal = approvals::check(relay, &operator, kind, &terms).await?;
    let intent = NewIntent {
        key: &key,
        kind,
        operator: &operator.name,
        body: &sent,
        terms: &terms,
        proposal,
    };
    match intents::begin(relay, &intent).await? {
        Begin::Exists(stored) => return Ok(stored.replay(&hash)),
        Begin::Started => {}
    }
    let path = match kind {
        Kind::Exchange => relay.paths.exchange.clone(),
        Kind::Order => relay.paths.order_create.clone(),
    };
    // A money POST never waits for the read budget.
    let outcome = relay.upstream.send(Method::POST, &path, Some(body)).await;
    intents::finish(relay, &intent, outcome).await
}

/// The POST must be for the pair and amount the lock was asked for; the terms kept are the
/// lock's (rate and amount to receive as P100 quoted them).
fn exchange_terms(
    sent: &Value,
    lock: &locks::RecordedLock,
    lock_id: &str,
) -> Result<Value, RelayError> {
    let text = |value: &Value, field: &str| {
        value
            .get(field)
            .and_then(Value::as_str)
            .map(|text| text.trim().to_ascii_lowercase())
    };
    let same = text(sent, "currencyFrom") == text(&lock.terms, "currencyFrom")
        && text(sent, "currencyTo") == text(&lock.terms, "currencyTo")
        && decimal_of(sent.get("amount")).is_some()
        && decimal_of(sent.get("amount")) == decimal_of(lock.terms.get("amount"));
    // The lock as P100 answered it must be the one asked for, too.
    let answer_agrees = ["currencyFrom", "currencyTo"].iter().all(|field| {
        text(&lock.answer, field).is_none_or(|answered| Some(answered) == text(&lock.terms, field))
    }) && lock
        .answer
        .get("amount")
        .is_none_or(|amount| decimal_of(Some(amount)) == decimal_of(lock.terms.get("amount")));
    if !(same && answer_agrees) {
        return Err(RelayError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "R422",
            "terms-differ-from-lock",
            "the exchange's pair or amount is not the one this lock was taken for",
        ));
    }
    Ok(json!({
        "lockId": lock_id,
        "currencyFrom": lock.terms.get("currencyFrom"),
        "currencyTo": lock.terms.get("currencyTo"),
        "amount": lock.terms.get("amount"),
        "rate": decimal_of(lock.answer.get("rate")).map(|rate| rate.to_string()),
        "amountTo": decimal_of(lock.answer.get("amountTo")).map(|amount| amount.to_string()),
    }))
}

/// An order POST carries only the lock id: its terms are the lock's.
fn order_terms(lock: &locks::RecordedLock, lock_id: &str) -> Value {
    json!({
        "lockId": lock_id,
        "currency": lock.terms.get("currency"),
        "network": lock.terms.get("network"),
        "amount": lock.terms.get("amount"),
        "destinationCurrency": lock.answer.get("destinationCurrency")
            .and_then(Value::as_str).map_or_else(|| "eur".to_owned(), str::to_ascii_lowercase),
        "rate": decimal_of(lock.answer.get("rate")).map(|rate| rate.to_string()),
        "cryptoAmount": decimal_of(lock.answer.get("amount")).map(|amount| amount.to_string()),
    })
}

/// The value of one unit of each currency in EUR, from P100's balances, cached a minute.
#[derive(Debug, Default)]
pub struct EurRates {
    cached: Mutex<Option<(Instant, HashMap<String, Decimal>)>>,
}

impl EurRates {
    async fn rate(&self, relay: &Relay, currency: &str) -> Option<Decimal> {
        if currency == "eur" {
            return Some(Decimal::ONE);
        }
        let mut cached = self.cached.lock().await;
        if cached
            .as_ref()
            .is_none_or(|(at, _)| at.elapsed() > RATES_MAX_AGE)
        {
            relay.budget.acquire().await;
            let answer = relay
                .upstream
                .send(Method::GET, &relay.paths.balances, None)
                .await
                .ok()
                .filter(|answer| answer.status.is_success())
                .and_then(|answer| answer.json());
            if let Some(balances) = answer {
                *cached = Some((Instant::now(), rates_of(&balances)));
            }
        }
        cached.as_ref()?.1.get(currency).copied()
    }

    /// The EUR value of a trade's terms, or `None` when it cannot be priced (then four eyes
    /// treat it as above any limit).
    pub async fn value_eur(&self, relay: &Relay, kind: Kind, terms: &Value) -> Option<Decimal> {
        let amount = decimal_of(terms.get("amount"))?;
        let text = |field: &str| terms.get(field).and_then(Value::as_str).unwrap_or_default();
        let (currency, amount) = match kind {
            Kind::Exchange if text("currencyTo") == "eur" && text("currencyFrom") != "eur" => {
                return decimal_of(terms.get("amountTo"));
            }
            Kind::Exchange => (text("currencyFrom"), amount),
            Kind::Order => (text("destinationCurrency"), amount),
        };
        Some(amount * self.rate(relay, currency).await?)
    }
}

fn rates_of(balances: &Value) -> HashMap<String, Decimal> {
    ["fiatBalances", "cryptoBalances"]
        .iter()
        .filter_map(|list| balances.get(list).and_then(Value::as_array))
        .flatten()
        .filter_map(|account| {
            let name = account.get("name")?.as_str()?.to_ascii_lowercase();
            Some((name, decimal_of(account.get("rate"))?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock() -> locks::RecordedLock {
        locks::RecordedLock {
            terms: json!({"currencyFrom": "eth", "currencyTo": "eur", "amount": "10"}),
            answer: json!({"lockId": "L1", "currencyFrom": "eth", "currencyTo": "eur",
                           "amount": "10", "rate": 2500.5, "amountTo": "25005.00"}),
        }
    }

    #[test]
    fn an_exchange_must_keep_the_locked_pair_and_amount() {
        let good =
            json!({"amount": 10.0, "currencyFrom": "ETH", "currencyTo": "eur", "lockId": "L1"});
        let terms = exchange_terms(&good, &lock(), "L1").expect("same terms");
        assert_eq!(terms["rate"], "2500.5");
        let more =
            json!({"amount": 11, "currencyFrom": "eth", "currencyTo": "eur", "lockId": "L1"});
        assert!(exchange_terms(&more, &lock(), "L1").is_err());
        let other_pair = json!({"amount": 10, "currencyFrom": "btc", "currencyTo": "eur"});
        assert!(exchange_terms(&other_pair, &lock(), "L1").is_err());
    }

    #[test]
    fn a_lock_answer_for_other_terms_is_refused() {
        let mut lying = lock();
        lying.answer["currencyFrom"] = json!("btc");
        let sent = json!({"amount": 10, "currencyFrom": "eth", "currencyTo": "eur"});
        assert!(exchange_terms(&sent, &lying, "L1").is_err());
    }

    #[test]
    fn rates_come_from_both_balance_lists() {
        let balances = json!({"fiatBalances": [{"name": "EUR", "rate": 1}],
                              "cryptoBalances": [{"name": "usdc", "rate": "0.96"}, {"name": "x"}]});
        let rates = rates_of(&balances);
        assert_eq!(rates.get("usdc"), Some(&Decimal::new(96, 2)));
        assert_eq!(rates.len(), 2);
    }
}
