//! Every fault knob observed from a real client, and the built-in 429 rate limit.

use std::time::{Duration, SystemTime};

use p100_desk::sandbox::{
    Endpoint, ExchangeStatus, Fault, FaultRule, RateLimit, RetryAfter, SandboxHandle,
    SandboxOptions,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{client, get, post, start, start_with, wait_until};

const BALANCES: &str = "/v1/partner/balances";

async fn raw_get(handle: &SandboxHandle, path: &str) -> reqwest::Result<reqwest::Response> {
    client()
        .get(format!("{}{path}", handle.base_url()))
        .header("x-api-key", handle.api_key())
        .send()
        .await
}

fn once(endpoint: Endpoint, fault: Fault) -> FaultRule {
    FaultRule {
        endpoint: Some(endpoint),
        fault,
        remaining: Some(1),
    }
}

#[tokio::test]
async fn latency_delays_then_answers_normally() {
    let handle = start().await;
    handle.faults().push(once(
        Endpoint::Balances,
        Fault::Latency(Duration::from_millis(300)),
    ));
    let started = tokio::time::Instant::now();
    let (status, body) = get(&handle, BALANCES).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(status, StatusCode::OK);
    assert!(body["fiatBalances"].is_array());
    handle.shutdown().await;
}

#[tokio::test]
async fn rate_limited_faults_send_both_retry_after_forms() {
    let handle = start().await;
    let faults = handle.faults();
    faults.push(once(
        Endpoint::Balances,
        Fault::RateLimited {
            retry_after: Some(RetryAfter::Seconds(7)),
        },
    ));
    faults.push(once(
        Endpoint::Balances,
        Fault::RateLimited {
            retry_after: Some(RetryAfter::HttpDate(Duration::from_secs(30))),
        },
    ));
    faults.push(once(
        Endpoint::Balances,
        Fault::RateLimited { retry_after: None },
    ));

    let seconds = raw_get(&handle, BALANCES).await.expect("answered");
    assert_eq!(seconds.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(seconds.headers()["retry-after"], "7");
    let dated = raw_get(&handle, BALANCES).await.expect("answered");
    let date = dated.headers()["retry-after"].to_str().expect("ascii");
    let when = httpdate::parse_http_date(date).expect("an HTTP date");
    assert!(when > SystemTime::now() + Duration::from_secs(20), "{date}");
    let bare = raw_get(&handle, BALANCES).await.expect("answered");
    assert_eq!(bare.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(bare.headers().get("retry-after").is_none());
    assert!(faults.is_empty());
    assert_eq!(get(&handle, BALANCES).await.0, StatusCode::OK);
    handle.shutdown().await;
}

#[tokio::test]
async fn server_errors_and_p5xx_business_errors_are_sent() {
    let handle = start().await;
    let faults = handle.faults();
    for code in [500, 502, 503] {
        faults.push(once(Endpoint::OrderRates, Fault::ServerError(code)));
        let response = raw_get(&handle, "/v1/order/rates").await.expect("answered");
        assert_eq!(response.status().as_u16(), code);
    }
    faults.push(once(Endpoint::OrderRates, Fault::P501));
    let (status, body) = get(&handle, "/v1/order/rates").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errorCode"], "P501");
    assert_eq!(body["errorName"], "service-unavailable");
    faults.push(once(Endpoint::OrderRates, Fault::P500));
    let (status, body) = get(&handle, "/v1/order/rates").await;
    assert_eq!(
        (status, &body["errorCode"]),
        (StatusCode::BAD_REQUEST, &json!("P500"))
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn broken_bodies_are_garbage_truncated_or_empty() {
    let handle = start().await;
    let faults = handle.faults();
    faults.push(once(Endpoint::Transactions, Fault::Garbage));
    faults.push(once(Endpoint::Transactions, Fault::Truncated));
    faults.push(once(Endpoint::Transactions, Fault::Empty));
    let path = "/v1/partner/transactions";

    let garbage = raw_get(&handle, path).await.expect("answered");
    assert_eq!(garbage.status(), StatusCode::OK);
    let bytes = garbage.bytes().await.expect("read");
    assert!(!bytes.is_empty() && serde_json::from_slice::<Value>(&bytes).is_err());

    let truncated = raw_get(&handle, path).await.expect("answered");
    assert_eq!(truncated.status(), StatusCode::OK);
    let text = truncated.text().await.expect("complete message");
    assert!(text.starts_with("{\"") && text.len() > 100, "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err());

    let empty = raw_get(&handle, path).await.expect("answered");
    assert_eq!(empty.status(), StatusCode::OK);
    assert!(empty.bytes().await.expect("read").is_empty());
    assert_eq!(get(&handle, path).await.0, StatusCode::OK);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_hang_makes_the_client_time_out_and_shutdown_still_finishes() {
    let handle = start().await;
    handle.faults().push(FaultRule {
        endpoint: None,
        fault: Fault::Hang,
        remaining: None,
    });
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let error = impatient
        .get(format!("{}{BALANCES}", handle.base_url()))
        .header("x-api-key", handle.api_key())
        .send()
        .await
        .expect_err("no answer");
    assert!(error.is_timeout(), "{error}");

    let waiting = tokio::spawn({
        let url = format!("{}/v1/order/rates", handle.base_url());
        let key = handle.api_key().to_owned();
        async move { client().get(url).header("x-api-key", key).send().await }
    });
    wait_until("the hung request to arrive", || async {
        (handle.request_log().len() == 2).then_some(())
    })
    .await;
    tokio::time::timeout(Duration::from_secs(8), handle.shutdown())
        .await
        .expect("shutdown does not wait for hung requests");
    let outcome = waiting.await.expect("task ran");
    assert!(outcome.is_err() || outcome.is_ok_and(|r| r.status().is_server_error()));
}

#[tokio::test]
async fn apply_then_drop_queues_once_and_the_client_sees_a_broken_connection() {
    let handle = start().await;
    let (_, lock) = get(
        &handle,
        "/v1/partner/exchange/lock?currencyFrom=eur&currencyTo=usdc&amount=250",
    )
    .await;
    handle
        .faults()
        .push(once(Endpoint::Exchange, Fault::ApplyThenDrop));
    let body = json!({"amount": "250", "currencyFrom": "eur", "currencyTo": "usdc",
                      "lockId": lock["lockId"]});
    let outcome = client()
        .post(format!("{}/v1/partner/exchange", handle.base_url()))
        .header("x-api-key", handle.api_key())
        .json(&body)
        .send()
        .await;
    let error = outcome.expect_err("no response reaches the client");
    assert!(!error.is_status() && !error.is_decode(), "{error:?}");

    assert_eq!(handle.executions().exchanges, 1);
    let ids = handle.exchange_ids();
    assert_eq!(ids.len(), 1);
    let id = ids[0].clone();
    wait_until("the dropped exchange to complete", || async {
        (handle.exchange_status(&id) == Some(ExchangeStatus::Completed)).then_some(())
    })
    .await;
    let (status, details) = get(&handle, &format!("/v1/exchange/details/{id}")).await;
    assert_eq!(
        (status, &details["status"]),
        (StatusCode::OK, &json!("COMPLETED"))
    );
    let logged = handle.request_log();
    let post_record = logged
        .iter()
        .find(|r| r.endpoint == Some(Endpoint::Exchange))
        .expect("logged");
    assert_eq!(post_record.status, None);

    // A retry with the same lock would be refused, so nothing can run twice.
    let (status, _) = post(&handle, "/v1/partner/exchange", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(handle.executions().exchanges, 1);
    handle.shutdown().await;
}

#[tokio::test]
async fn rules_target_endpoints_and_random_rules_follow_their_probability() {
    let handle = start().await;
    let faults = handle.faults();
    faults.push(FaultRule::always(Some(Endpoint::Exchange), Fault::P501));
    assert_eq!(get(&handle, BALANCES).await.0, StatusCode::OK);
    faults.clear();
    faults.push_random(Some(Endpoint::Balances), Fault::ServerError(503), 1.0);
    assert_eq!(
        get(&handle, BALANCES).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    faults.clear();
    faults.push_random(None, Fault::ServerError(503), 0.0);
    assert_eq!(get(&handle, BALANCES).await.0, StatusCode::OK);
    handle.shutdown().await;
}

#[tokio::test]
async fn the_built_in_rate_limit_answers_429_with_retry_after() {
    let handle = start_with(SandboxOptions {
        rate_limit: Some(RateLimit {
            per_second: 1,
            burst: 3,
        }),
        ..SandboxOptions::default()
    })
    .await;
    // The bucket refills at 1/s, so a slow machine may squeeze in one more 200; the burst of
    // three must pass and a 429 must follow within a few more calls.
    let mut statuses = Vec::new();
    let limited = loop {
        let response = raw_get(&handle, BALANCES).await.expect("answered");
        statuses.push(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            break response;
        }
        assert!(statuses.len() < 10, "no 429 after {statuses:?}");
    };
    assert!(
        statuses[..3].iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let seconds: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("whole seconds");
    assert!(seconds >= 1);
    let body: Value = limited.json().await.expect("json");
    assert_eq!(body, json!({"message": "Too Many Requests"}));
    let logged: Vec<Option<u16>> = handle.request_log().iter().map(|r| r.status).collect();
    assert_eq!(logged.last(), Some(&Some(429)));
    assert_eq!(logged.len(), statuses.len());

    handle.set_rate_limit(None);
    for _ in 0..20 {
        assert_eq!(get(&handle, BALANCES).await.0, StatusCode::OK);
    }
    handle.shutdown().await;
}
