//! A loopback P100 that lies on purpose, for the record-keeping tests: its answers to money
//! POSTs, details and history are scripted by the test (ids another attempt holds, answers about
//! another id, the same id twice, `..` as an id, 404 for ever), while balances, quotes and locks
//! are honest (a lock repeats exactly what was asked, so only the lie under test differs).
#![allow(dead_code)] // each test binary uses a part of it

use std::collections::{HashMap, VecDeque};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{Method, Response, StatusCode, Uri};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// The key the desk under test sends.
pub const KEY: &str = "lying-p100-key-4d2e";

/// One scripted answer: an HTTP status and a JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            body: body.to_string(),
        }
    }

    /// `{"exchangeId": id, "status": status}` with a 200.
    pub fn exchange(id: &str, status: &str) -> Self {
        Self::json(200, &json!({"exchangeId": id, "status": status}))
    }

    /// An order details answer with a 200.
    pub fn order(id: &str, status: &str) -> Self {
        Self::json(
            200,
            &json!({"orderId": id, "status": status, "cryptocurrency": "usdc",
                    "walletAddress": "0xE3530000000000000000000000000000000000aa",
                    "network": "POLYGON"}),
        )
    }

    /// A 404 the way P100 writes one.
    pub fn not_found() -> Self {
        Self::json(
            404,
            &json!({"errorCode": "P404", "errorName": "not-found", "errorMessage": "not found"}),
        )
    }

    /// A 502: for a money POST the outcome is unknown.
    pub fn bad_gateway() -> Self {
        Self::json(502, &json!({"message": "bad gateway"}))
    }
}

#[derive(Debug, Default)]
struct Script {
    /// Answers to `POST /v1/partner/exchange`, one per call (the last one repeats).
    exchange_posts: VecDeque<Answer>,
    /// Answers to `POST /v1/order`, one per call (the last one repeats).
    order_posts: VecDeque<Answer>,
    /// Details answers by path (`/v1/exchange/details/ID`); anything else is a 404.
    details: HashMap<String, Answer>,
    /// History rows, newest first.
    history: Vec<Value>,
    /// Every request: method and path.
    seen: Vec<(Method, String)>,
    locks: u32,
}

/// A running lying P100.
#[derive(Clone)]
pub struct LyingP100 {
    pub base_url: String,
    script: Arc<Mutex<Script>>,
}

impl LyingP100 {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local addr");
        let stub = Self {
            base_url: format!("http://{address}"),
            script: Arc::new(Mutex::new(Script::default())),
        };
        let router = Router::new().fallback(answer).with_state(stub.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        stub
    }

    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues the answer to the next exchange POST.
    pub fn answer_exchange_post(&self, answer: Answer) {
        self.script().exchange_posts.push_back(answer);
    }

    /// Queues the answer to the next order POST.
    pub fn answer_order_post(&self, answer: Answer) {
        self.script().order_posts.push_back(answer);
    }

    /// What `GET /v1/exchange/details/{id}` answers from now on.
    pub fn exchange_details(&self, id: &str, answer: Answer) {
        self.script()
            .details
            .insert(format!("/v1/exchange/details/{id}"), answer);
    }

    /// What `GET /v1/order/details/{id}` answers from now on.
    pub fn order_details(&self, id: &str, answer: Answer) {
        self.script()
            .details
            .insert(format!("/v1/order/details/{id}"), answer);
    }

    /// Puts an exchange row on top of the history.
    pub fn history_exchange(&self, id: &str, from: &str, amount: &str, created_at: DateTime<Utc>) {
        let row = json!({
            "id": id, "type": "EXCHANGE", "status": "SUCCESSFUL", "amount": amount,
            "currency": from, "currencyTo": "eur",
            "createdAt": created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        });
        self.script().history.insert(0, row);
    }

    /// Every request seen so far: method and path (with query).
    pub fn seen(&self) -> Vec<(Method, String)> {
        self.script().seen.clone()
    }

    /// How many requests so far had a path starting with `prefix`.
    pub fn hits(&self, prefix: &str) -> usize {
        self.script()
            .seen
            .iter()
            .filter(|(_, path)| path.starts_with(prefix))
            .count()
    }
}

fn balances() -> Value {
    json!({
        "fiatBalances": [{"id": "fiat-eur", "amount": "5000.00", "name": "eur", "rate": 1,
                          "iban": "LT683130019950000568", "status": "ACTIVE"}],
        "cryptoBalances": [{"id": "crypto-usdc", "amount": "5000.000000", "name": "usdc",
                            "wallet": "0x2e90", "rate": 0.9,
                            "networkConfig": {"polygon": {"mainnet": false, "name": "amoy",
                                "withdrawal": {"feeWithdrawal": 10, "minWithdrawal": 15},
                                "deposit": {"minDeposit": 5}}}}]
    })
}

/// A quote or lock repeating exactly the pair and amount asked for, at 0.9 with no fee.
fn quote(params: &HashMap<String, String>, lock_id: Option<String>) -> Value {
    let from = params.get("currencyFrom").cloned().unwrap_or_default();
    let to = params.get("currencyTo").cloned().unwrap_or_default();
    let amount = params
        .get("amount")
        .and_then(|text| Decimal::from_str(text).ok())
        .unwrap_or_default();
    let rate = Decimal::from_str("0.9").expect("rate");
    let mut body = json!({
        "currencyFrom": from, "currencyTo": to, "amount": amount.to_string(),
        "rate": rate.to_string(), "amountTo": (amount * rate).round_dp(2).to_string(),
    });
    if let Some(lock_id) = lock_id {
        body["lockId"] = json!(lock_id);
        body["expiresAt"] =
            json!((Utc::now() + Duration::minutes(5)).to_rfc3339_opts(SecondsFormat::Millis, true));
    }
    body
}

async fn answer(
    State(stub): State<LyingP100>,
    method: Method,
    uri: Uri,
    Query(params): Query<HashMap<String, String>>,
) -> Response<Body> {
    let path = uri.path().to_string();
    let shown = uri
        .path_and_query()
        .map_or_else(|| path.clone(), ToString::to_string);
    let reply = {
        let mut script = stub.script();
        script.seen.push((method.clone(), shown));
        let next = |queue: &mut VecDeque<Answer>| {
            if queue.len() > 1 {
                queue.pop_front()
            } else {
                queue.front().cloned()
            }
        };
        match (method.as_str(), path.as_str()) {
            ("GET", "/v1/partner/balances") => Answer::json(200, &balances()),
            ("GET", "/v1/partner/transactions") => Answer::json(
                200,
                &json!({"transactions": script.history.clone(), "page": 1, "limit": 50,
                        "total": script.history.len()}),
            ),
            ("GET", "/v1/partner/exchange/rate") => Answer::json(200, &quote(&params, None)),
            ("GET", "/v1/partner/exchange/lock") => {
                script.locks += 1;
                let lock_id = format!("lock-{}", script.locks);
                Answer::json(200, &quote(&params, Some(lock_id)))
            }
            ("POST", "/v1/partner/exchange") => {
                next(&mut script.exchange_posts).unwrap_or_else(Answer::bad_gateway)
            }
            ("POST", "/v1/order") => {
                next(&mut script.order_posts).unwrap_or_else(Answer::bad_gateway)
            }
            ("GET", details) => script
                .details
                .get(details)
                .cloned()
                .unwrap_or_else(Answer::not_found),
            _ => Answer::not_found(),
        }
    };
    Response::builder()
        .status(StatusCode::from_u16(reply.status).expect("status"))
        .header("content-type", "application/json")
        .body(Body::from(reply.body))
        .expect("response")
}
