//! Exchanges over HTTP: rate, lock, execute, details, the late P433, and lock rules.

use std::time::Duration;

use p100_desk::sandbox::{ExchangeStatus, SandboxHandle, SandboxOptions};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{balance, dec, get, post, start, start_with, timestamp, wait_until};

async fn lock(handle: &SandboxHandle, from: &str, to: &str, amount: &str) -> Value {
    let path =
        format!("/v1/partner/exchange/lock?currencyFrom={from}&currencyTo={to}&amount={amount}");
    let (status, body) = get(handle, &path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn execute_body(lock: &Value) -> Value {
    json!({
        "amount": lock["amount"],
        "currencyFrom": lock["currencyFrom"],
        "currencyTo": lock["currencyTo"],
        "lockId": lock["lockId"],
    })
}

async fn details(handle: &SandboxHandle, id: &str) -> Value {
    let (status, body) = get(handle, &format!("/v1/exchange/details/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn wait_for_final(handle: &SandboxHandle, id: &str) -> Value {
    wait_until("a final exchange status", || async {
        let body = details(handle, id).await;
        ["COMPLETED", "FAILED"]
            .contains(&body["status"].as_str().unwrap_or_default())
            .then_some(body)
    })
    .await
}

async fn history_row(handle: &SandboxHandle, id: &str) -> Value {
    let (_, page) = get(handle, "/v1/partner/transactions?page=1&limit=10").await;
    page["transactions"]
        .as_array()
        .and_then(|rows| rows.iter().find(|row| row["id"] == id))
        .cloned()
        .expect("the exchange has a history row")
}

#[tokio::test]
async fn the_indicative_rate_matches_the_lock_shape() {
    let handle = start().await;
    let (status, rate) = get(
        &handle,
        "/v1/partner/exchange/rate?currencyFrom=ETH&currencyTo=eur&amount=10",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rate["currencyFrom"], "eth");
    assert!(rate["rate"].is_number());
    assert_eq!(dec(&rate["amount"]), Decimal::TEN);
    // The documented 1.49 % fee comes off what is received; `rate` is the rate before it.
    let gross = dec(&rate["amount"]) * dec(&rate["rate"]);
    let expected = (gross * (Decimal::ONE - Decimal::new(149, 4))).round_dp(2);
    assert!((dec(&rate["amountTo"]) - expected).abs() <= Decimal::new(1, 2));
    assert!(dec(&rate["amountTo"]) < gross);

    let lock = lock(&handle, "eth", "eur", "10").await;
    assert!(lock["lockId"].is_string());
    assert!(timestamp(&lock["expiresAt"]) > chrono::Utc::now());
    // P100 writes eth with 8 decimals (P100-API.md, rev), not the chain's 18.
    super::assert_amount_string(&lock["amount"], 8);
    super::assert_amount_string(&lock["amountTo"], 2);

    let (status, body) = get(
        &handle,
        "/v1/partner/exchange/rate?currencyFrom=xyz&currencyTo=eur&amount=1",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errorCode"], "P410");
    assert_eq!(body["errorName"], "invalid-currency");
    // eth takes 8 decimals, as P100 documents, and a ninth is the documented P403.
    let eight = self::lock(&handle, "eth", "eur", "0.12345678").await;
    assert_eq!(eight["amount"], "0.12345678");
    let (status, body) = get(
        &handle,
        "/v1/partner/exchange/lock?currencyFrom=eth&currencyTo=eur&amount=0.123456789",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errorCode"], "P403");
    assert_eq!(
        body["errorMessage"],
        "Amount can have at most 8 decimal places"
    );
    let (status, body) = get(&handle, "/v1/partner/exchange/lock?currencyFrom=eth").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errorCode"], "P403");
    let message = body["errorMessage"].as_str().expect("message");
    assert!(
        message.contains("currencyTo is required; amount is required"),
        "{message}"
    );
    handle.shutdown().await;
}

/// The sandbox and the desk agree on the fee: every lock the sandbox gives, read with the
/// client's own model and held to the client's lock check at its default policy (1.49 %, as
/// `[trading] exchange_fee_pct` defaults), passes without a warning, and the fee the desk
/// shows is the documented 1.49 % of `amount x rate` (to a unit of the receiving currency).
#[tokio::test]
async fn the_desks_lock_check_accepts_the_sandboxs_fee_without_a_warning() {
    use p100_desk::api::models::{Currency, ExchangeLock};
    use p100_desk::lock_check::{
        ExchangeIntent, LockPolicy, LockVerdict, check_exchange_lock, exchange_fee,
    };

    let handle = start().await;
    let fee_pct = Decimal::new(149, 2);
    for (from, to, amount, unit) in [
        ("eur", "eth", "100", "0.00000001"),
        ("eth", "eur", "1.25", "0.01"),
        ("usdc", "eur", "2500", "0.01"),
        ("eur", "btc", "0.01", "0.00000001"),
        ("btc", "usdc", "0.00012345", "0.000001"),
    ] {
        let (status, quote) = get(
            &handle,
            &format!(
                "/v1/partner/exchange/rate?currencyFrom={from}&currencyTo={to}&amount={amount}"
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{quote}");
        let body = lock(&handle, from, to, amount).await;
        let lock: ExchangeLock = serde_json::from_value(body.clone()).expect("the client reads it");
        let intent = ExchangeIntent {
            from: Currency::new(from),
            to: Currency::new(to),
            amount: dec(&json!(amount)),
        };
        let verdict = check_exchange_lock(
            &intent,
            &lock,
            &LockPolicy::default(),
            Some(dec(&quote["rate"])),
            chrono::Utc::now(),
        );
        assert_eq!(
            verdict,
            LockVerdict::Accepted {
                warnings: Vec::new()
            },
            "{from}->{to} {amount}: {body}"
        );
        let gross = lock.amount * lock.rate;
        let fee = exchange_fee(&lock).expect("a fee is shown");
        let documented = gross * fee_pct / Decimal::ONE_HUNDRED;
        assert!(
            (fee - documented).abs() <= dec(&json!(unit)),
            "{from}->{to} {amount}: fee {fee}, documented {documented}"
        );
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn a_locked_exchange_queues_then_completes_and_moves_balances() {
    let handle = start().await;
    let eth_before = balance(&handle, "eth").await;
    let eur_before = balance(&handle, "eur").await;
    let lock = lock(&handle, "eth", "eur", "1.25").await;

    handle.pause_processing(true);
    let (status, created) = post(&handle, "/v1/partner/exchange", &execute_body(&lock)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["exchangeId"]
        .as_str()
        .expect("exchange id")
        .to_owned();
    let pending = details(&handle, &id).await;
    assert_eq!(pending["status"], "PENDING");
    assert!(pending.get("errorCode").is_none());
    assert_eq!(history_row(&handle, &id).await["status"], "PENDING");
    handle.pause_processing(false);

    let done = wait_for_final(&handle, &id).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["exchangeId"], id.as_str());
    assert_eq!(dec(&done["rate"]), dec(&lock["rate"]));
    assert_eq!(dec(&done["amountTo"]), dec(&lock["amountTo"]));
    assert!(timestamp(&done["updatedAt"]) >= timestamp(&done["createdAt"]));
    assert_eq!(
        handle.exchange_transitions(&id),
        [
            ExchangeStatus::Pending,
            ExchangeStatus::Processing,
            ExchangeStatus::Completed
        ]
    );
    assert_eq!(
        balance(&handle, "eth").await,
        eth_before - dec(&lock["amount"])
    );
    assert_eq!(
        balance(&handle, "eur").await,
        eur_before + dec(&lock["amountTo"])
    );
    let row = history_row(&handle, &id).await;
    assert_eq!(row["status"], "SUCCESSFUL");
    assert_eq!(row["type"], "EXCHANGE");
    assert_eq!(row["currencyTo"], "eur");
    assert_eq!(handle.executions().exchanges, 1);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_short_balance_is_accepted_then_fails_late_with_p433() {
    let handle = start().await;
    let lock = lock(&handle, "btc", "eur", "1").await;
    handle.pause_processing(true);
    let (status, created) = post(&handle, "/v1/partner/exchange", &execute_body(&lock)).await;
    assert_eq!(status, StatusCode::CREATED, "2xx only means queued");
    let id = created["exchangeId"].as_str().expect("id").to_owned();
    handle
        .set_balance("btc", Decimal::new(1, 1))
        .expect("btc exists");
    handle.pause_processing(false);

    let failed = wait_for_final(&handle, &id).await;
    assert_eq!(failed["status"], "FAILED");
    assert_eq!(failed["errorCode"], "P433");
    assert!(
        failed["errorMessage"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert_eq!(balance(&handle, "btc").await, Decimal::new(1, 1));
    assert_eq!(history_row(&handle, &id).await["status"], "FAILED");
    handle.shutdown().await;
}

#[tokio::test]
async fn an_expired_lock_is_rejected_and_nothing_runs() {
    let handle = start_with(SandboxOptions {
        lock_ttl: Some(Duration::from_millis(150)),
        ..SandboxOptions::default()
    })
    .await;
    let lock = lock(&handle, "usdc", "eur", "100").await;
    let expires_at = timestamp(&lock["expiresAt"]);
    wait_until("the lock to expire", || async {
        (chrono::Utc::now() > expires_at + chrono::Duration::milliseconds(20)).then_some(())
    })
    .await;
    let (status, body) = post(&handle, "/v1/partner/exchange", &execute_body(&lock)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errorCode"], "P403");
    assert!(
        body["errorMessage"]
            .as_str()
            .expect("message")
            .contains("expired")
    );

    let forced = self::lock(&handle, "usdc", "eur", "5").await;
    handle.expire_locks();
    let (status, _) = post(&handle, "/v1/partner/exchange", &execute_body(&forced)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(handle.executions().exchanges, 0);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_lock_executes_once_and_only_with_its_own_terms() {
    let handle = start().await;
    let lock = lock(&handle, "usdc", "eur", "100").await;

    let mut changed = execute_body(&lock);
    changed["amount"] = json!(99);
    changed["currencyTo"] = json!("btc");
    let (status, body) = post(&handle, "/v1/partner/exchange", &changed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["errorMessage"].as_str().expect("message");
    assert_eq!(message.matches("; ").count(), 1, "two problems: {message}");

    // The amount may come as a number as in the docs' example.
    let mut as_number = execute_body(&lock);
    as_number["amount"] = json!(100);
    let (status, _) = post(&handle, "/v1/partner/exchange", &as_number).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = post(&handle, "/v1/partner/exchange", &execute_body(&lock)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["errorMessage"]
            .as_str()
            .expect("message")
            .contains("already been used")
    );
    assert_eq!(handle.executions().exchanges, 1);
    assert_eq!(handle.exchange_ids().len(), 1);

    let mut unknown = execute_body(&lock);
    unknown["currencyFrom"] = json!("zzz");
    let (status, body) = post(&handle, "/v1/partner/exchange", &unknown).await;
    assert_eq!(
        (status, &body["errorCode"]),
        (StatusCode::BAD_REQUEST, &json!("P410"))
    );

    let (status, body) = post(&handle, "/v1/partner/exchange", &json!({"lockId": 5})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errorCode"], "P403");
    let message = body["errorMessage"].as_str().expect("message");
    assert!(message.contains("amount is required"), "{message}");
    assert!(message.contains("lockId must be a string"), "{message}");

    let malformed = super::client()
        .post(format!("{}/v1/partner/exchange", handle.base_url()))
        .header("x-api-key", handle.api_key())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answered");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: Value = malformed.json().await.expect("json");
    assert_eq!(body["errorCode"], "P403");
    handle.shutdown().await;
}
