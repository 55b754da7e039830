//! The sandbox over real loopback HTTP: auth, shapes, history, exchanges, orders, faults and
//! the rate limit. Shared helpers live here; the flows are in `tests/sandbox/`.

#[path = "sandbox/exchanges.rs"]
mod exchanges;
#[path = "sandbox/faults.rs"]
mod faults;
#[path = "sandbox/orders.rs"]
mod orders;

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use p100_desk::sandbox::{self, Pace, SandboxHandle, SandboxOptions};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// How long any condition may take before a test fails.
const DEADLINE: Duration = Duration::from_secs(10);

/// A Fast-paced sandbox with the default (generous) rate limit.
pub async fn start() -> SandboxHandle {
    start_with(SandboxOptions::default()).await
}

/// A Fast-paced sandbox on a random port with these options.
pub async fn start_with(options: SandboxOptions) -> SandboxHandle {
    sandbox::spawn(SandboxOptions {
        pace: Pace::Fast,
        port: 0,
        ..options
    })
    .await
    .expect("sandbox starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client builds")
}

/// A GET with the right key; returns the status and the JSON body (`Null` if not JSON).
pub async fn get(handle: &SandboxHandle, path: &str) -> (StatusCode, Value) {
    let response = client()
        .get(format!("{}{path}", handle.base_url()))
        .header("x-api-key", handle.api_key())
        .send()
        .await
        .expect("GET answered");
    read(response).await
}

/// A POST of `body` with the right key.
pub async fn post(handle: &SandboxHandle, path: &str, body: &Value) -> (StatusCode, Value) {
    let response = client()
        .post(format!("{}{path}", handle.base_url()))
        .header("x-api-key", handle.api_key())
        .json(body)
        .send()
        .await
        .expect("POST answered");
    read(response).await
}

async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = response.bytes().await.expect("body read");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Polls `probe` every 10 ms until it yields a value; fails the test after [`DEADLINE`].
pub async fn wait_until<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A decimal from a JSON string or number, exactly.
pub fn dec(value: &Value) -> Decimal {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => panic!("not a decimal: {other}"),
    };
    Decimal::from_str(&text).expect("decimal text")
}

/// Asserts `value` is a decimal string with exactly `scale` decimals.
pub fn assert_amount_string(value: &Value, scale: usize) {
    let text = value.as_str().expect("amount is a string");
    let decimals = text
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len());
    assert_eq!(decimals, scale, "{text}");
    assert!(Decimal::from_str(text).is_ok(), "{text}");
}

/// Asserts `value` is ISO-8601 UTC with milliseconds and `Z`; returns it.
pub fn timestamp(value: &Value) -> DateTime<Utc> {
    let text = value.as_str().expect("timestamp is a string");
    assert_eq!(text.len(), 24, "{text}");
    assert!(text.ends_with('Z'), "{text}");
    DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

/// The balance of `currency` as the API reports it.
pub async fn balance(handle: &SandboxHandle, currency: &str) -> Decimal {
    let (_, body) = get(handle, "/v1/partner/balances").await;
    let all = body["fiatBalances"]
        .as_array()
        .into_iter()
        .chain(body["cryptoBalances"].as_array())
        .flatten();
    let found = all
        .into_iter()
        .find(|item| item["name"] == currency)
        .expect("currency listed");
    dec(&found["amount"])
}

#[tokio::test]
async fn requests_without_the_right_key_are_denied_with_xo1_or_xo2() {
    let handle = start().await;
    let url = format!("{}/v1/partner/balances", handle.base_url());
    let missing = client().get(&url).send().await.expect("answered");
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let body: Value = missing.json().await.expect("json");
    assert_eq!(body, json!({"message": "Access Denied. xo1"}));

    let wrong = client()
        .get(&url)
        .header("x-api-key", "not-the-key")
        .send()
        .await
        .expect("answered");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let body: Value = wrong.json().await.expect("json");
    assert_eq!(body, json!({"message": "Access Denied. xo2"}));

    let unknown_path = client()
        .get(format!("{}/v1/nothing", handle.base_url()))
        .send()
        .await
        .expect("answered");
    assert_eq!(unknown_path.status(), StatusCode::UNAUTHORIZED);

    let (status, _) = get(&handle, "/v1/partner/balances").await;
    assert_eq!(status, StatusCode::OK);
    handle.shutdown().await;
}

#[tokio::test]
async fn balances_have_the_documented_shape() {
    let handle = start().await;
    let (status, body) = get(&handle, "/v1/partner/balances").await;
    assert_eq!(status, StatusCode::OK);

    let fiat = body["fiatBalances"].as_array().expect("fiat list");
    let eur = fiat.iter().find(|f| f["name"] == "eur").expect("eur");
    assert_eq!(eur["status"], "ACTIVE");
    assert!(eur["iban"].is_string());
    assert!(eur["id"].is_string());
    assert_amount_string(&eur["amount"], 2);
    assert_eq!(dec(&eur["rate"]), Decimal::ONE);
    assert!(eur["rate"].is_number());
    let waiting = fiat.iter().find(|f| f["name"] == "gbp").expect("gbp");
    assert_eq!(waiting["status"], "WAITING_TO_BE_ACTIVATED");
    assert!(waiting["iban"].is_null());

    let crypto = body["cryptoBalances"].as_array().expect("crypto list");
    let scales = [
        ("usdc", 6),
        ("usdt", 6),
        ("btc", 8),
        ("eth", 8),
        ("ltc", 8),
        ("doge", 8),
        ("pol", 8),
        ("eurt", 6),
    ];
    for (name, scale) in scales {
        let item = crypto.iter().find(|c| c["name"] == name).expect(name);
        assert_amount_string(&item["amount"], scale);
        assert!(item["rate"].is_number(), "{name}");
        assert!(item["wallet"].is_string() || item["wallet"].is_null());
        assert!(!item["networkConfig"].as_object().expect(name).is_empty());
    }
    let usdc = crypto.iter().find(|c| c["name"] == "usdc").expect("usdc");
    let polygon = &usdc["networkConfig"]["polygon"];
    assert_eq!(polygon["mainnet"], false);
    assert!(polygon["name"].is_string());
    assert!(polygon["withdrawal"]["feeWithdrawal"].is_number());
    assert!(polygon["withdrawal"]["minWithdrawal"].is_number());
    assert!(polygon["deposit"]["minDeposit"].is_number());
    assert!(usdc["networkConfig"]["ethereum"].is_object());
    let tether = crypto.iter().find(|c| c["name"] == "usdt").expect("usdt");
    assert!(tether["networkConfig"]["tron"].is_object());
    handle.shutdown().await;
}

#[tokio::test]
async fn history_pages_are_newest_first_and_bounded() {
    let handle = start().await;
    let (status, first) = get(&handle, "/v1/partner/transactions?page=1&limit=50").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["page"], 1);
    assert_eq!(first["limit"], 50);
    let total = first["total"].as_u64().expect("total");
    assert!(total >= 300, "{total}");
    let (_, second) = get(&handle, "/v1/partner/transactions?page=2&limit=50").await;
    let rows: Vec<&Value> = first["transactions"]
        .as_array()
        .expect("rows")
        .iter()
        .chain(second["transactions"].as_array().expect("rows"))
        .collect();
    assert_eq!(rows.len(), 100);
    let times: Vec<DateTime<Utc>> = rows
        .iter()
        .map(|row| timestamp(&row["createdAt"]))
        .collect();
    assert!(
        times.windows(2).all(|pair| pair[0] >= pair[1]),
        "newest first"
    );
    let types = [
        "EXCHANGE",
        "ORDER",
        "SEPA_TRANSFER",
        "SEPA_DEPOSIT",
        "CRYPTO_WITHDRAWAL",
        "CRYPTO_DEPOSIT",
        "TRANSFER",
    ];
    for row in &rows {
        assert!(row["id"].is_string());
        assert!(types.contains(&row["type"].as_str().expect("type")));
        assert!(["SUCCESSFUL", "FAILED"].contains(&row["status"].as_str().expect("status")));
        assert!(row["amount"].is_string() && row["currency"].is_string());
        let is_exchange = row["type"] == "EXCHANGE";
        assert_eq!(row.get("currencyTo").is_some(), is_exchange);
        assert_eq!(row.get("amountTo").is_some(), is_exchange);
    }
    assert!(rows.iter().any(|row| row.get("description").is_none()));

    let (_, beyond) = get(&handle, "/v1/partner/transactions?page=99&limit=200").await;
    assert_eq!(beyond["transactions"], json!([]));
    let (_, defaults) = get(&handle, "/v1/partner/transactions").await;
    assert_eq!(defaults["limit"], 50);
    for bad in ["limit=0", "limit=1001", "page=0", "limit=ten"] {
        let (status, body) = get(&handle, &format!("/v1/partner/transactions?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body["errorCode"], "P403", "{bad}");
        assert!(body.get("errorName").is_none());
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn unknown_routes_ids_and_methods_answer_json_errors() {
    let handle = start().await;
    let (status, body) = get(&handle, "/v1/nothing/here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["errorCode"], "P404");
    let (status, body) = get(&handle, "/v1/exchange/details/no-such-id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["errorName"], "exchange-not-found");
    let (status, body) = get(&handle, "/v1/order/details/no-such-id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["errorName"], "order-not-found");
    let (status, body) = get(&handle, "/v1/partner/exchange").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["errorCode"], "P405");
    handle.shutdown().await;
}

#[tokio::test]
async fn the_request_log_records_every_call_and_shutdown_frees_the_port() {
    let handle = start().await;
    get(&handle, "/v1/partner/balances").await;
    get(&handle, "/v1/order/rates").await;
    let log = handle.request_log();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path, "/v1/partner/balances");
    assert_eq!(log[0].endpoint, Some(sandbox::Endpoint::Balances));
    assert_eq!(log[1].status, Some(200));
    assert!(log[0].elapsed <= log[1].elapsed);
    handle.clear_request_log();
    assert!(handle.request_log().is_empty());

    let address = handle.local_addr();
    assert!(address.ip().is_loopback());
    handle.shutdown().await;
    let after = client()
        .get(format!("http://{address}/v1/partner/balances"))
        .send()
        .await;
    assert!(after.is_err(), "the server is gone");
}
