//! The HTTP handlers: parse each request (query or JSON body) into typed values, ask the
//! `World`, and answer with a body from `wire.rs` or the documented error.
//!
//! Sandbox choices: every POST answers 201 (the documented status of `POST /v1/order`, used
//! for all creating POSTs); unknown details ids answer 404 P404 `exchange-not-found` /
//! `order-not-found`; unknown routes 404 P404 `not-found`; a wrong method 405 P405
//! `method-not-allowed`; currency slugs are accepted in any case and lower-cased.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::currency::decimal_from_json;
use super::engine::Rejection;
use super::exchanges::ExchangeRequest;
use super::server::Shared;
use super::wire;

/// The largest page of history one request may ask for (sandbox choice): the desk's largest
/// `[history] page_size`, so every page size the desk accepts can be tried here.
pub const MAX_PAGE_LIMIT: usize = 1_000;
const DEFAULT_PAGE_LIMIT: usize = 50;

type Params = Result<Query<HashMap<String, String>>, QueryRejection>;

/// An error answer: a status and a JSON body.
#[derive(Debug)]
pub struct Failure(StatusCode, Value);

impl Failure {
    fn invalid(messages: &[String]) -> Self {
        Self(StatusCode::BAD_REQUEST, wire::validation_error(messages))
    }
}

impl From<Rejection> for Failure {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::Invalid(messages) => Self::invalid(&messages),
            Rejection::UnknownCurrency(currency) => Self(
                StatusCode::BAD_REQUEST,
                wire::business_error(
                    "P410",
                    "invalid-currency",
                    &format!("unknown currency: {currency}"),
                ),
            ),
            Rejection::InvalidOrderLock(message) => Self(
                StatusCode::NOT_FOUND,
                wire::business_error("P462", "invalid-order-lock", &message),
            ),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

type Answer = Result<Response, Failure>;

/// 200 with `body`.
fn json_ok(body: Value) -> Response {
    Json(body).into_response()
}

/// 201 with `body`.
fn created(body: Value) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

/// Collects what is missing or malformed in a request, to answer all of it in one P403.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn finish(self) -> Result<(), Failure> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Failure::invalid(&self.0))
        }
    }

    /// A required text field: `"currency"`-like values are trimmed and lower-cased when
    /// `slug` is set.
    fn text(&mut self, value: Option<&Value>, field: &str, slug: bool) -> String {
        match value {
            Some(Value::String(text)) if !text.trim().is_empty() => {
                let text = text.trim();
                if slug {
                    text.to_lowercase()
                } else {
                    text.to_owned()
                }
            }
            None | Some(Value::Null) => {
                self.0.push(format!("{field} is required"));
                String::new()
            }
            Some(Value::String(_)) => {
                self.0.push(format!("{field} must not be empty"));
                String::new()
            }
            Some(_) => {
                self.0.push(format!("{field} must be a string"));
                String::new()
            }
        }
    }

    /// A required amount, as a JSON number or a decimal string.
    fn amount(&mut self, value: Option<&Value>, field: &str) -> Decimal {
        match value {
            None | Some(Value::Null) => {
                self.0.push(format!("{field} is required"));
                Decimal::ZERO
            }
            Some(value) => decimal_from_json(value).unwrap_or_else(|| {
                self.0.push(format!("{field} must be a decimal number"));
                Decimal::ZERO
            }),
        }
    }
}

fn query(params: Params) -> Result<HashMap<String, String>, Failure> {
    params
        .map(|Query(map)| map)
        .map_err(|rejection| Failure::invalid(&[format!("malformed query: {rejection}")]))
}

fn query_value(params: &HashMap<String, String>, key: &str) -> Option<Value> {
    params.get(key).map(|text| Value::String(text.clone()))
}

/// The body as a JSON object, or P403.
fn json_object(body: &Bytes) -> Result<Map<String, Value>, Failure> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure::invalid(&["the body must be a JSON object".into()])),
        Err(error) => Err(Failure::invalid(&[format!("malformed JSON body: {error}")])),
    }
}

/// `GET /v1/partner/balances`
pub async fn balances(State(shared): State<Arc<Shared>>) -> Answer {
    let body = wire::balances(&shared.world(), Instant::now());
    shared.note_served_balances(&body);
    Ok(json_ok(body))
}

/// `GET /v1/partner/transactions?page=&limit=`
pub async fn transactions(State(shared): State<Arc<Shared>>, params: Params) -> Answer {
    let params = query(params)?;
    let mut problems = Problems::default();
    let number = |key: &str, default: usize| match params.get(key) {
        None => Some(default),
        Some(text) => text.trim().parse::<usize>().ok(),
    };
    let page = number("page", 1).filter(|page| *page >= 1);
    let limit =
        number("limit", DEFAULT_PAGE_LIMIT).filter(|limit| (1..=MAX_PAGE_LIMIT).contains(limit));
    if page.is_none() {
        problems
            .0
            .push("page must be a whole number of at least 1".into());
    }
    if limit.is_none() {
        problems
            .0
            .push(format!("limit must be between 1 and {MAX_PAGE_LIMIT}"));
    }
    problems.finish()?;
    let (page, limit) = (page.unwrap_or(1), limit.unwrap_or(DEFAULT_PAGE_LIMIT));
    Ok(json_ok(wire::transactions(
        &shared.world().ledger,
        page,
        limit,
    )))
}

/// The `currencyFrom`, `currencyTo` and `amount` of the rate and lock queries.
fn pair_query(params: Params, amount_required: bool) -> Result<(String, String, Decimal), Failure> {
    let params = query(params)?;
    let mut problems = Problems::default();
    let from = problems.text(
        query_value(&params, "currencyFrom").as_ref(),
        "currencyFrom",
        true,
    );
    let to = problems.text(
        query_value(&params, "currencyTo").as_ref(),
        "currencyTo",
        true,
    );
    let amount = if amount_required || params.contains_key("amount") {
        problems.amount(query_value(&params, "amount").as_ref(), "amount")
    } else {
        Decimal::ONE
    };
    problems.finish()?;
    Ok((from, to, amount))
}

/// `GET /v1/partner/exchange/rate` (sandbox choice: `amount` defaults to 1).
pub async fn exchange_rate(State(shared): State<Arc<Shared>>, params: Params) -> Answer {
    let (from, to, amount) = pair_query(params, false)?;
    let quote = shared.world().quote(&from, &to, amount, Instant::now())?;
    Ok(json_ok(wire::exchange_rate(&quote)))
}

/// `GET /v1/partner/exchange/lock`
pub async fn exchange_lock(State(shared): State<Arc<Shared>>, params: Params) -> Answer {
    let (from, to, amount) = pair_query(params, true)?;
    let mut world = shared.world();
    let lock = world.lock_exchange(&from, &to, amount, Instant::now())?;
    Ok(json_ok(wire::exchange_lock(&lock, &world.clock)))
}

/// `POST /v1/partner/exchange`: queues the exchange; never checks the balance.
pub async fn exchange(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let fields = json_object(&body)?;
    let mut problems = Problems::default();
    let request = ExchangeRequest {
        amount: problems.amount(fields.get("amount"), "amount"),
        from: problems.text(fields.get("currencyFrom"), "currencyFrom", true),
        to: problems.text(fields.get("currencyTo"), "currencyTo", true),
        lock_id: problems.text(fields.get("lockId"), "lockId", false),
    };
    problems.finish()?;
    let id = shared.world().execute_exchange(&request, Instant::now())?;
    shared.poke.notify_one();
    Ok(created(json!({"exchangeId": id})))
}

/// `GET /v1/exchange/details/{id}`
pub async fn exchange_details(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Answer {
    let world = shared.world();
    let exchange = world.exchanges.get(&id).ok_or_else(|| {
        Failure(
            StatusCode::NOT_FOUND,
            wire::business_error("P404", "exchange-not-found", &format!("no exchange {id}")),
        )
    })?;
    Ok(json_ok(wire::exchange_details(exchange, &world.clock)))
}

/// `GET /v1/order/rates`
pub async fn order_rates(State(shared): State<Arc<Shared>>) -> Answer {
    Ok(json_ok(wire::order_rates(
        &shared.world().order_rates(Instant::now()),
    )))
}

/// `POST /v1/order/lock-rate`
pub async fn order_lock(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let fields = json_object(&body)?;
    let mut problems = Problems::default();
    let currency = problems.text(fields.get("currency"), "currency", true);
    let network = problems.text(fields.get("network"), "network", true);
    let amount = problems.amount(fields.get("amount"), "amount");
    problems.finish()?;
    let mut world = shared.world();
    let lock = world.lock_order(&currency, &network, amount, Instant::now())?;
    let body = wire::order_lock(&lock, &world.clock);
    drop(world);
    Ok(created(body))
}

/// `POST /v1/order`
pub async fn order_create(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let fields = json_object(&body)?;
    let mut problems = Problems::default();
    let lock_id = problems.text(fields.get("lockId"), "lockId", false);
    problems.finish()?;
    let id = shared.world().create_order(&lock_id, Instant::now())?;
    shared.poke.notify_one();
    Ok(created(json!({"orderId": id})))
}

/// `GET /v1/order/details/{id}`
pub async fn order_details(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Answer {
    let world = shared.world();
    match wire::order_details(&world, &id) {
        Some(body) => Ok(json_ok(body)),
        None => Err(Failure(
            StatusCode::NOT_FOUND,
            wire::business_error("P404", "order-not-found", &format!("no order {id}")),
        )),
    }
}

/// Any path the sandbox does not serve.
pub async fn not_found(method: Method, uri: Uri) -> Failure {
    Failure(
        StatusCode::NOT_FOUND,
        wire::business_error(
            "P404",
            "not-found",
            &format!("no route for {method} {}", uri.path()),
        ),
    )
}

/// A served path with the wrong method.
pub async fn method_not_allowed(method: Method, uri: Uri) -> Failure {
    Failure(
        StatusCode::METHOD_NOT_ALLOWED,
        wire::business_error(
            "P405",
            "method-not-allowed",
            &format!("{method} is not allowed on {}", uri.path()),
        ),
    )
}
