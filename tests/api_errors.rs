//! Every `ApiError` class, produced by a real HTTP exchange with a loopback stub, for reads and
//! for POSTs (where "may have been applied" turns into `OutcomeUnknown`).

mod api_stub;

use std::time::{Duration, SystemTime};

use api_stub::{
    Canned, RawBehaviour, RawStub, Stub, assert_keyless, client, get_value, json, post_value,
    refused_base_url, settings, single_shot, with_headers,
};
use p100_desk::api::{ApiError, AuthFailure};

async fn get_error(script: Vec<Canned>) -> (ApiError, Stub) {
    let stub = Stub::start(script).await;
    let error = get_value(&client(single_shot(&stub.base_url)))
        .await
        .expect_err("the stub answers with an error");
    assert_keyless(&error);
    (error, stub)
}

async fn post_error(script: Vec<Canned>) -> (ApiError, Stub) {
    let stub = Stub::start(script).await;
    let error = post_value(&client(settings(&stub.base_url)))
        .await
        .expect_err("the stub answers with an error");
    assert_keyless(&error);
    (error, stub)
}

#[tokio::test]
async fn the_key_and_user_agent_are_sent() {
    let stub = Stub::start(vec![json(200, "{}")]).await;
    let query = [("page", "2".to_owned()), ("limit", "50".to_owned())];
    let _: serde_json::Value = client(settings(&stub.base_url))
        .get("/v1/partner/transactions", &query)
        .await
        .expect("200");
    let seen = &stub.seen()[0];
    assert_eq!(seen.api_key.as_deref(), Some(api_stub::KEY));
    assert_eq!(
        seen.path_and_query,
        "/v1/partner/transactions?page=2&limit=50"
    );
    let agent = seen.user_agent.as_deref().unwrap_or_default();
    assert!(agent.starts_with("p100-desk/"), "{agent}");
}

#[tokio::test]
async fn unauthorized_names_the_documented_suffix() {
    let cases = [
        ("Access Denied xo1", AuthFailure::MissingKey),
        (r#"{"message":"Access Denied. xo2"}"#, AuthFailure::WrongKey),
        ("Access Denied. xo3", AuthFailure::IpNotAllowed),
        ("Access Denied", AuthFailure::Unspecified),
    ];
    for (body, expected) in cases {
        let (error, stub) = get_error(vec![json(401, body)]).await;
        assert_eq!(error, ApiError::Unauthorized(expected), "{body}");
        assert_eq!(stub.hits(), 1, "a 401 is not retried");
    }
    let (error, _) = get_error(vec![json(401, "Access Denied xo2")]).await;
    assert_eq!(error.short_reason(), "access denied (xo2)");
}

#[tokio::test]
async fn p403_lists_each_validation_message() {
    let (error, _) = get_error(vec![json(
        400,
        r#"{"errorCode":"P403","errorMessage":"a; b"}"#,
    )])
    .await;
    assert_eq!(
        error,
        ApiError::Validation {
            messages: vec!["a".into(), "b".into()]
        }
    );
    assert!(error.user_message().contains("P403"));
}

#[tokio::test]
async fn p433_is_a_business_error_with_its_meaning() {
    let (error, _) = get_error(vec![json(
        400,
        r#"{"errorCode":"P433","errorName":"insufficient-funds","errorMessage":"Not enough eth"}"#,
    )])
    .await;
    assert_eq!(
        error,
        ApiError::Business {
            status: 400,
            code: "P433".into(),
            name: Some("insufficient-funds".into()),
            message: "Not enough eth".into(),
        }
    );
    assert_eq!(error.friendly(), Some("insufficient funds"));
    assert!(error.user_message().contains("P433"));
}

#[tokio::test]
async fn p462_on_create_order_is_a_clear_rejection_not_unknown() {
    let (error, stub) = post_error(vec![json(
        404,
        r#"{"errorCode":"P462","errorName":"invalid-order-lock","errorMessage":"Invalid lock"}"#,
    )])
    .await;
    assert!(!error.outcome_unknown());
    assert_eq!(error.code(), Some("P462"));
    assert!(error.friendly().is_some_and(|text| text.contains("lock")));
    assert_eq!(stub.hits(), 1);
}

#[tokio::test]
async fn unknown_codes_are_kept() {
    let (error, _) = get_error(vec![json(
        422,
        r#"{"errorCode":"P999","errorName":"new-rule","errorMessage":"Something new"}"#,
    )])
    .await;
    assert_eq!(
        error,
        ApiError::Business {
            status: 422,
            code: "P999".into(),
            name: Some("new-rule".into()),
            message: "Something new".into(),
        }
    );
    assert!(error.user_message().contains("P999"));
    assert!(error.user_message().contains("Something new"));
}

#[tokio::test]
async fn a_404_with_garbage_keeps_its_status() {
    let (error, _) = get_error(vec![with_headers(404, &[], "<html>gone</html>")]).await;
    assert_eq!(
        error,
        ApiError::Business {
            status: 404,
            code: String::new(),
            name: None,
            message: "Not Found".into(),
        }
    );
    assert!(!error.user_message().contains("html"));
}

#[tokio::test]
async fn rate_limit_with_delta_seconds() {
    let (error, stub) = get_error(vec![with_headers(429, &[("retry-after", "7")], "")]).await;
    assert_eq!(
        error,
        ApiError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    assert_eq!(error.short_reason(), "throttled");
    assert_eq!(stub.hits(), 1);
}

#[tokio::test]
async fn rate_limit_with_an_http_date() {
    let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
    let stub = Stub::start(vec![with_headers(429, &[("retry-after", &at)], "")]).await;
    let api = client(single_shot(&stub.base_url));
    let error = get_value(&api).await.expect_err("429");
    let wait = error.retry_after().expect("a Retry-After date");
    // The date has one-second resolution and a little time has passed since it was written.
    assert!(
        wait > Duration::from_secs(27) && wait <= Duration::from_secs(30),
        "{wait:?}"
    );
    assert!(api.throttled_until().is_some());
}

#[tokio::test]
async fn rate_limit_without_a_header() {
    let (error, _) = get_error(vec![with_headers(429, &[], "slow down")]).await;
    assert_eq!(error, ApiError::RateLimited { retry_after: None });
}

#[tokio::test]
async fn server_errors_are_transient() {
    for status in [500, 503] {
        let (error, _) = get_error(vec![with_headers(status, &[], "oops")]).await;
        assert_eq!(
            error,
            ApiError::Transient {
                status,
                code: None,
                message: if status == 500 {
                    "Internal Server Error".into()
                } else {
                    "Service Unavailable".into()
                },
            }
        );
        assert!(error.is_retryable());
        assert_eq!(error.short_reason(), "server error");
    }
}

#[tokio::test]
async fn p501_arrives_as_400_and_is_transient() {
    let (error, _) = get_error(vec![json(
        400,
        r#"{"errorCode":"P501","errorMessage":"Service temporarily unavailable"}"#,
    )])
    .await;
    assert!(matches!(error, ApiError::Transient { status: 400, .. }));
    assert_eq!(error.code(), Some("P501"));
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_hanging_server_times_out() {
    let stub = Stub::start(vec![Canned::Hang]).await;
    let mut settings = single_shot(&stub.base_url);
    settings.request_timeout = Duration::from_millis(300);
    let error = get_value(&client(settings)).await.expect_err("hangs");
    assert_eq!(error, ApiError::Timeout);
    assert_eq!(error.short_reason(), "timed out");
}

#[tokio::test]
async fn unreadable_success_bodies_are_decode_errors() {
    let (garbage, _) = get_error(vec![json(200, "<html>\u{1b}[31mhello</html>")]).await;
    let ApiError::Decode { excerpt, .. } = &garbage else {
        panic!("expected Decode, got {garbage:?}");
    };
    assert_eq!(excerpt, "<html> [31mhello</html>");
    assert_eq!(garbage.short_reason(), "bad response");

    let (truncated, _) = get_error(vec![json(200, r#"{"fiatBalances": [{"id": "#)]).await;
    assert!(
        matches!(truncated, ApiError::Decode { .. }),
        "{truncated:?}"
    );
    assert!(!truncated.is_retryable());

    let (empty, _) = get_error(vec![json(200, "")]).await;
    assert_eq!(
        empty,
        ApiError::Decode {
            message: "the body was empty".into(),
            excerpt: String::new(),
        }
    );
}

#[tokio::test]
async fn a_refused_connection_is_network_for_reads_and_posts() {
    let base_url = refused_base_url().await;
    let api = client(settings(&base_url));
    let read = get_value(&api).await.expect_err("refused");
    assert!(matches!(read, ApiError::Network { .. }), "{read:?}");
    assert_eq!(read.short_reason(), "offline");
    // Nothing was sent, so the POST's outcome is known: not applied.
    let post = post_value(&api).await.expect_err("refused");
    assert!(matches!(post, ApiError::Network { .. }), "{post:?}");
    assert_keyless(&post);
}

#[tokio::test]
async fn a_post_dropped_after_it_was_read_is_outcome_unknown() {
    let stub = RawStub::start(RawBehaviour::DropAfterRequest).await;
    let error = post_value(&client(settings(&stub.base_url)))
        .await
        .expect_err("dropped");
    let ApiError::OutcomeUnknown { cause } = &error else {
        panic!("expected OutcomeUnknown, got {error:?}");
    };
    assert!(matches!(**cause, ApiError::Network { .. }), "{cause:?}");
    assert_eq!(stub.hits(), 1);
    assert_keyless(&error);
}

#[tokio::test]
async fn a_post_whose_answer_is_cut_off_is_outcome_unknown() {
    let stub = RawStub::start(RawBehaviour::TruncateBody).await;
    let error = post_value(&client(settings(&stub.base_url)))
        .await
        .expect_err("cut off");
    assert!(error.outcome_unknown(), "{error:?}");
    assert_eq!(stub.hits(), 1);
}

#[tokio::test]
async fn a_post_to_a_5xx_is_outcome_unknown_and_sent_once() {
    let (error, stub) = post_error(vec![with_headers(503, &[], "")]).await;
    let ApiError::OutcomeUnknown { cause } = &error else {
        panic!("expected OutcomeUnknown, got {error:?}");
    };
    assert!(matches!(**cause, ApiError::Transient { status: 503, .. }));
    assert_eq!(stub.hits(), 1);
}

#[tokio::test]
async fn posts_that_may_have_applied_are_outcome_unknown() {
    let maybe_applied = [
        json(
            400,
            r#"{"errorCode":"P500","errorMessage":"Unknown exception"}"#,
        ),
        json(400, r#"{"errorCode":"P501","errorMessage":"Unavailable"}"#),
        with_headers(500, &[], ""),
        json(201, "not json"),
        Canned::Hang,
    ];
    for canned in maybe_applied {
        let stub = Stub::start(vec![canned.clone()]).await;
        let mut settings = settings(&stub.base_url);
        settings.request_timeout = Duration::from_millis(300);
        let error = post_value(&client(settings)).await.expect_err("fails");
        assert!(error.outcome_unknown(), "{canned:?} gave {error:?}");
        assert_eq!(stub.hits(), 1, "{canned:?} was re-sent");
        assert!(error.user_message().contains("outcome is unknown"));
        assert_keyless(&error);
    }
}

#[tokio::test]
async fn posts_with_a_clear_rejection_are_not_unknown() {
    let clear = [
        json(401, "Access Denied xo2"),
        with_headers(429, &[("retry-after", "0")], ""),
        json(
            400,
            r#"{"errorCode":"P403","errorMessage":"amount required"}"#,
        ),
        json(
            400,
            r#"{"errorCode":"P433","errorName":"insufficient-funds"}"#,
        ),
    ];
    for canned in clear {
        let (error, stub) = post_error(vec![canned.clone()]).await;
        assert!(!error.outcome_unknown(), "{canned:?} gave {error:?}");
        assert_eq!(stub.hits(), 1, "{canned:?} was re-sent");
    }
}

/// Collects everything the subscriber writes, for the "no key in the logs" check.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn requests_are_logged_without_the_key() {
    let buffer = LogBuffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // A current-thread test runtime: every log line below is written on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);

    let stub = Stub::start(vec![json(503, ""), json(200, "{}")]).await;
    let api = client(settings(&stub.base_url));
    get_value(&api).await.expect("second attempt succeeds");
    let _ = post_value(&api).await;

    let logs = String::from_utf8_lossy(
        &buffer
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
    .into_owned();
    assert!(logs.contains("P100 request"), "{logs}");
    assert!(logs.contains("status=503"), "{logs}");
    assert!(!logs.contains(api_stub::KEY), "the key was logged:\n{logs}");
}
