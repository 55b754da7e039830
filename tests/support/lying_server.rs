//! A loopback P100 that lies on request: every route answers from a responder the test can swap
//! at any time (a lock for another pair, a details poll answered with a long 429 ...), and every
//! request is recorded, so a test can prove what was (and was not) sent.
#![allow(dead_code)] // each test binary uses a different part of it

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Method, Response, StatusCode, Uri};
use chrono::{Duration, Utc};
use rust_decimal::Decimal;
use tokio::net::TcpListener;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub body: String,
}

/// One answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// Builds the answer to a request on one route.
pub type Responder = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// Routes are `(method, path prefix)`; the longest matching prefix answers.
type Routes = HashMap<(Method, String), Responder>;

#[derive(Clone)]
pub struct LyingServer {
    pub base_url: String,
    routes: Arc<Mutex<Routes>>,
    seen: Arc<Mutex<Vec<Request>>>,
}

/// An `expiresAt` `seconds` from now, as P100 writes it.
pub fn expires_in(seconds: i64) -> String {
    (Utc::now() + Duration::seconds(seconds))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Balances: 1000 EUR, 500 USDC receivable on ethereum and polygon.
pub const BALANCES: &str = r#"{"fiatBalances":[{"id":"f-eur","amount":"1000.00","name":"eur","rate":1,"iban":null,"status":"ACTIVE"}],
"cryptoBalances":[{"id":"c-usdc","amount":"500.000000","name":"usdc","wallet":"0xabc","rate":0.9,
"networkConfig":{"ethereum":{"mainnet":false,"name":"sepolia"},"polygon":{"mainnet":false,"name":"amoy"}}}]}"#;

/// An exchange lock body.
pub fn exchange_lock(
    lock_id: &str,
    (from, to): (&str, &str),
    amount: &str,
    rate: &str,
    amount_to: &str,
    expires_at: &str,
) -> String {
    format!(
        r#"{{"lockId":"{lock_id}","currencyFrom":"{from}","currencyTo":"{to}","amount":"{amount}","rate":"{rate}","amountTo":"{amount_to}","expiresAt":"{expires_at}"}}"#
    )
}

/// An order lock body.
pub fn order_lock(
    lock_id: &str,
    currency: &str,
    network: &str,
    amount: &str,
    rate: &str,
    expires_at: &str,
) -> String {
    format!(
        r#"{{"lockId":"{lock_id}","amount":"{amount}","rate":"{rate}","expiresAt":"{expires_at}","currency":"{currency}","destinationCurrency":"eur","network":"{network}"}}"#
    )
}

impl LyingServer {
    /// Starts with honest answers everywhere: the routes a desk uses, nothing pending.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local addr");
        let server = Self {
            base_url: format!("http://{address}"),
            routes: Arc::new(Mutex::new(HashMap::new())),
            seen: Arc::new(Mutex::new(Vec::new())),
        };
        server.honest_defaults();
        let router = Router::new().fallback(answer).with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        server
    }

    fn honest_defaults(&self) {
        self.answer(Method::GET, "/v1/partner/balances", |_| {
            Reply::json(200, BALANCES)
        });
        self.answer(Method::GET, "/v1/partner/transactions", |_| {
            Reply::json(200, r#"{"transactions":[],"page":1,"limit":50,"total":0}"#)
        });
        self.answer(Method::GET, "/v1/partner/exchange/rate", |_| {
            Reply::json(
                200,
                r#"{"currencyFrom":"eur","currencyTo":"usdc","rate":"1.05"}"#,
            )
        });
        self.answer(Method::GET, "/v1/partner/exchange/lock", |request| {
            // Honest: the pair and amount asked for, at 1.05, the documented fee deducted.
            let from = query_value(&request.query, "currencyFrom");
            let to = query_value(&request.query, "currencyTo");
            let amount = query_value(&request.query, "amount");
            let value = Decimal::from_str(&amount).unwrap_or_default();
            let received = (value * Decimal::new(105, 2) * Decimal::new(9851, 4)).round_dp(2);
            Reply::json(
                200,
                exchange_lock(
                    "lk-honest",
                    (&from, &to),
                    &amount,
                    "1.05",
                    &received.to_string(),
                    &expires_in(30),
                ),
            )
        });
        self.answer(Method::POST, "/v1/order/lock-rate", |request| {
            let body: serde_json::Value = serde_json::from_str(&request.body).unwrap_or_default();
            let text = |key: &str| body[key].as_str().unwrap_or_default().to_owned();
            let fiat = Decimal::from_str(&text("amount")).unwrap_or_default();
            let crypto = (fiat / Decimal::new(84, 2)).round_dp(6);
            Reply::json(
                200,
                order_lock(
                    "olk-honest",
                    &text("currency"),
                    &text("network"),
                    &crypto.to_string(),
                    "0.84",
                    &expires_in(30),
                ),
            )
        });
        self.answer(Method::POST, "/v1/partner/exchange", |_| {
            Reply::json(200, r#"{"exchangeId":"ex-new"}"#)
        });
        self.answer(Method::GET, "/v1/exchange/details/", |request| {
            let id = request.path.rsplit('/').next().unwrap_or_default();
            Reply::json(
                200,
                format!(r#"{{"exchangeId":"{id}","status":"PENDING"}}"#),
            )
        });
        self.answer(Method::GET, "/v1/order/rates", |_| {
            Reply::json(
                200,
                r#"{"rates":[{"currency":"usdc","network":"ethereum","rate":"0.84","destinationCurrency":"eur"}]}"#,
            )
        });
        self.answer(Method::POST, "/v1/order", |_| {
            Reply::json(201, r#"{"orderId":"ord-new"}"#)
        });
        self.answer(Method::GET, "/v1/order/details/", |request| {
            let id = request.path.rsplit('/').next().unwrap_or_default();
            Reply::json(
                200,
                format!(
                    r#"{{"orderId":"{id}","status":"WAITING_FOR_WALLET_ADDRESS","cryptocurrency":"usdc"}}"#
                ),
            )
        });
    }

    /// Answers `method path...` (a path prefix) with `responder` from now on.
    pub fn answer(
        &self,
        method: Method,
        prefix: &str,
        responder: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) {
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((method, prefix.to_owned()), Arc::new(responder));
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Request> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The requests with this method on exactly this path.
    pub fn requests(&self, method: &Method, path: &str) -> Vec<Request> {
        self.seen()
            .into_iter()
            .filter(|request| request.method == method && request.path == path)
            .collect()
    }

    /// How many money-moving POSTs (exchange or order) reached the server.
    pub fn money_posts(&self) -> usize {
        self.requests(&Method::POST, "/v1/partner/exchange").len()
            + self.requests(&Method::POST, "/v1/order").len()
    }
}

/// One value of a query string (`currencyFrom=eur&...`), decoded.
pub fn query_value(query: &str, key: &str) -> String {
    reqwest::Url::parse(&format!("http://stub/?{query}"))
        .ok()
        .and_then(|url| {
            url.query_pairs()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.into_owned())
        })
        .unwrap_or_default()
}

async fn answer(
    State(server): State<LyingServer>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response<Body> {
    let request = Request {
        method: method.clone(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    server
        .seen
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request.clone());
    let responder = {
        let routes = server.routes.lock().unwrap_or_else(PoisonError::into_inner);
        routes
            .iter()
            .filter(|((route_method, prefix), _)| {
                *route_method == method
                    && (request.path == *prefix
                        || (prefix.ends_with('/') && request.path.starts_with(prefix.as_str())))
            })
            .max_by_key(|((_, prefix), _)| prefix.len())
            .map(|(_, responder)| Arc::clone(responder))
    };
    let reply = responder.map_or_else(
        || {
            Reply::json(
                404,
                r#"{"errorCode":"P404","errorMessage":"no such route"}"#,
            )
        },
        |responder| responder(&request),
    );
    let mut response =
        Response::builder().status(StatusCode::from_u16(reply.status).expect("status"));
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(reply.body)).expect("response")
}
