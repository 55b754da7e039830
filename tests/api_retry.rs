//! Retries and throttling against loopback stubs: reads retry with backoff, POSTs never, and no
//! request from the client leaves before a `Retry-After` has passed.

mod api_stub;

use std::time::Duration;

use api_stub::{Stub, client, get_value, json, post_value, settings, single_shot, with_headers};
use p100_desk::api::{ApiError, RetryPolicy};

#[tokio::test]
async fn a_read_survives_two_503s() {
    let stub = Stub::start(vec![
        with_headers(503, &[], ""),
        with_headers(503, &[], ""),
        json(200, r#"{"ok": true}"#),
    ])
    .await;
    let value = get_value(&client(settings(&stub.base_url)))
        .await
        .expect("third attempt succeeds");
    assert_eq!(value, serde_json::json!({"ok": true}));
    assert_eq!(stub.hits(), 3);
}

#[tokio::test]
async fn a_read_gives_up_after_max_attempts() {
    let stub = Stub::start(vec![with_headers(502, &[], "")]).await;
    let error = get_value(&client(settings(&stub.base_url)))
        .await
        .expect_err("always 502");
    assert!(matches!(error, ApiError::Transient { status: 502, .. }));
    assert_eq!(stub.hits(), 3);
}

#[tokio::test]
async fn a_single_attempt_client_does_not_retry_reads() {
    let stub = Stub::start(vec![with_headers(502, &[], "")]).await;
    let error = get_value(&client(settings(&stub.base_url)).single_attempt())
        .await
        .expect_err("502");
    assert!(matches!(error, ApiError::Transient { status: 502, .. }));
    assert_eq!(
        stub.hits(),
        1,
        "the poller counts every request in its own budget"
    );
}

#[tokio::test]
async fn a_clear_rejection_is_not_retried() {
    let stub = Stub::start(vec![json(
        400,
        r#"{"errorCode":"P410","errorName":"invalid-currency"}"#,
    )])
    .await;
    let error = get_value(&client(settings(&stub.base_url)))
        .await
        .expect_err("P410");
    assert_eq!(error.code(), Some("P410"));
    assert_eq!(stub.hits(), 1);
}

#[tokio::test]
async fn a_read_is_not_resent_before_retry_after() {
    let stub = Stub::start(vec![
        with_headers(429, &[("retry-after", "1")], ""),
        json(200, "[]"),
    ])
    .await;
    let mut settings = settings(&stub.base_url);
    settings.retry = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(2),
    };
    let api = client(settings);
    let _: serde_json::Value = api.get("/v1/order/rates", &[]).await.expect("second try");
    let arrivals = stub.arrivals();
    assert_eq!(arrivals.len(), 2);
    let gap = arrivals[1] - arrivals[0];
    assert!(gap >= Duration::from_secs(1), "re-sent after {gap:?}");
    assert_eq!(api.throttled_until(), None, "the gate is open again");
}

#[tokio::test]
async fn a_long_retry_after_is_returned_not_slept_inside_one_read() {
    let stub = Stub::start(vec![with_headers(429, &[("retry-after", "30")], "")]).await;
    let api = client(settings(&stub.base_url)); // max_delay 50 ms
    let error = get_value(&api).await.expect_err("429");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(stub.hits(), 1);
    assert!(api.throttled_until().is_some());
}

#[tokio::test]
async fn retry_after_holds_every_later_request_including_posts() {
    let stub = Stub::start(vec![
        with_headers(429, &[("retry-after", "1")], ""),
        json(201, r#"{"orderId": "663318af"}"#),
    ])
    .await;
    let api = client(single_shot(&stub.base_url));
    let error = get_value(&api).await.expect_err("429");
    assert!(matches!(error, ApiError::RateLimited { .. }));
    // A clone shares the gate: the POST waits for the server's pause too.
    let other = api.clone();
    let created = post_value(&other).await.expect("201 after the pause");
    assert_eq!(created, serde_json::json!({"orderId": "663318af"}));
    let arrivals = stub.arrivals();
    let gap = arrivals[1] - arrivals[0];
    assert!(gap >= Duration::from_secs(1), "POST sent after {gap:?}");
}

#[tokio::test]
async fn a_bare_429_closes_the_gate_for_a_backoff() {
    let stub = Stub::start(vec![
        with_headers(429, &[], ""),
        with_headers(429, &[], ""),
        json(200, "{}"),
    ])
    .await;
    let value = get_value(&client(settings(&stub.base_url)))
        .await
        .expect("third attempt succeeds");
    assert_eq!(value, serde_json::json!({}));
    assert_eq!(stub.hits(), 3);
}

#[tokio::test]
async fn posts_are_never_retried() {
    for canned in [
        with_headers(503, &[], ""),
        with_headers(429, &[("retry-after", "0")], ""),
        with_headers(429, &[], ""),
    ] {
        let stub = Stub::start(vec![canned.clone(), json(201, "{}")]).await;
        let error = post_value(&client(settings(&stub.base_url)))
            .await
            .expect_err("first answer is an error");
        assert_eq!(stub.hits(), 1, "{canned:?} led to a re-send ({error:?})");
    }
}
