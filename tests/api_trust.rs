//! The API client against a loopback server that lies (issue 9): unusable ids, echoed keys
//! however they are spelled, bodies too large or endless, unprintable text, bad rows.

mod api_stub;

use std::time::{Duration, Instant};

use api_stub::{
    KEY, RawBehaviour, RawStub, Stub, assert_keyless, client, json, settings, single_shot,
    with_headers,
};
use p100_desk::api::models::{Currency, ExchangeRequest, unreadable_summary};
use p100_desk::api::{ApiClient, ApiError, RemoteId};
use p100_desk::printable::is_unprintable;
use rust_decimal::Decimal;

async fn answering(body: &str) -> (ApiClient, Stub) {
    let stub = Stub::start(vec![json(200, body)]).await;
    (client(settings(&stub.base_url)), stub)
}

// ---------------------------------------------------------------------------------------------
// Item 6: ids are usable path segments, or nothing is sent

#[tokio::test]
async fn unusable_ids_are_never_polled_at_a_broken_path() {
    let (api, stub) = answering(r#"{"exchangeId":"x","status":"PENDING"}"#).await;
    for unusable in [
        "",
        ".",
        "..",
        "../../v1/partner/balances",
        "a/b",
        "a\u{1b}[2J",
        "a\\b",
    ] {
        let exchange = api.exchange_details(unusable).await;
        assert!(
            matches!(exchange, Err(ApiError::Request { .. })),
            "{unusable:?}: {exchange:?}"
        );
        let order = api.order_details(unusable).await;
        assert!(
            matches!(order, Err(ApiError::Request { .. })),
            "{unusable:?}: {order:?}"
        );
    }
    assert_eq!(
        stub.hits(),
        0,
        "a request left for an unusable id: {:?}",
        stub.seen()
    );
}

#[tokio::test]
async fn ids_are_percent_encoded_into_one_path_segment() {
    let (api, stub) = answering(r#"{"exchangeId":"a?b#c%d","status":"PENDING"}"#).await;
    api.exchange_details("a?b#c%d").await.expect("details");
    let seen = stub.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path_and_query, "/v1/exchange/details/a%3Fb%23c%25d");
}

#[test]
fn accepted_ids_are_checked_by_remote_id() {
    assert!(RemoteId::parse("663318af-0c4e-4a57-9d0b-2b4c8f0e1a2d").is_ok());
    for unusable in ["", ".", "..", "x/y", "x\u{7}", "x\u{202e}y"] {
        assert!(RemoteId::parse(unusable).is_err(), "{unusable:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Item 9: the key, however it is spelled

/// `KEY` with the characters at `positions` written as JSON `\u00XX` escapes.
fn escaped_key(positions: &[usize]) -> String {
    KEY.chars()
        .enumerate()
        .map(|(index, ch)| {
            if positions.contains(&index) {
                format!("\\u{:04x}", u32::from(ch))
            } else {
                ch.to_string()
            }
        })
        .collect()
}

fn is_echo_error(error: &ApiError) -> bool {
    let cause = match error {
        ApiError::OutcomeUnknown { cause } => cause.as_ref(),
        other => other,
    };
    matches!(cause, ApiError::Decode { message, .. } if message.contains("echoed your key"))
}

#[tokio::test]
async fn a_lock_whose_id_spells_the_key_is_discarded() {
    for positions in [vec![0], vec![3, 7], (0..KEY.len()).collect::<Vec<_>>()] {
        let echo = escaped_key(&positions);
        let body = format!(
            r#"{{"lockId":"{echo}","currencyFrom":"eur","currencyTo":"usdc","amount":"1",
                "rate":"1.1","amountTo":"1.1","expiresAt":"2030-01-01T00:00:00Z"}}"#
        );
        let (api, _stub) = answering(&body).await;
        let error = api
            .exchange_lock(&Currency::new("eur"), &Currency::new("usdc"), Decimal::ONE)
            .await
            .expect_err("an echoed key is never a lock id");
        assert!(is_echo_error(&error), "{positions:?}: {error:?}");
        assert_keyless(&error);
        assert!(
            error.user_message().contains("echoed your key"),
            "{}",
            error.user_message()
        );
    }
}

#[tokio::test]
async fn an_accepted_post_that_echoes_the_key_is_an_unknown_outcome() {
    let body = format!(r#"{{"exchangeId":"{}"}}"#, escaped_key(&[2]));
    let (api, stub) = answering(&body).await;
    let request = ExchangeRequest {
        amount: Decimal::ONE,
        currency_from: Currency::new("eur"),
        currency_to: Currency::new("usdc"),
        lock_id: "lock-1".into(),
    };
    let error = api.execute_exchange(&request).await.expect_err("discarded");
    assert!(error.outcome_unknown(), "{error:?}");
    assert!(is_echo_error(&error), "{error:?}");
    assert_keyless(&error);
    assert_eq!(stub.hits(), 1, "a POST is sent once");
}

#[tokio::test]
async fn an_error_message_that_spells_the_key_is_redacted() {
    let body = format!(
        r#"{{"errorCode":"P433","errorName":"insufficient-funds","errorMessage":"key {} has no funds"}}"#,
        escaped_key(&[0, 1])
    );
    let stub = Stub::start(vec![json(400, &body)]).await;
    let api = client(settings(&stub.base_url));
    let error = api_stub::get_value(&api)
        .await
        .expect_err("a business error");
    let ApiError::Business { code, message, .. } = &error else {
        panic!("expected the business error, got {error:?}");
    };
    assert_eq!(code, "P433");
    assert!(message.contains("[REDACTED]"), "{message}");
    assert_keyless(&error);
}

#[tokio::test]
async fn answers_without_the_key_are_used_as_sent() {
    let (api, _stub) = answering(r#"{"exchangeId":"ex-\u0031","status":"COMPLETED"}"#).await;
    let details = api
        .exchange_details("ex-1")
        .await
        .expect("an honest answer");
    assert_eq!(details.exchange_id, "ex-1");
}

// ---------------------------------------------------------------------------------------------
// Item 10: bodies are capped

#[tokio::test]
async fn a_body_over_the_cap_is_too_large() {
    let big = format!(
        r#"{{"fiatBalances":[],"cryptoBalances":[],"pad":"{}"}}"#,
        "x".repeat(4096)
    );
    let stub = Stub::start(vec![json(200, &big)]).await;
    let api = client(settings(&stub.base_url)).with_max_response_bytes(1024);
    let error = api.balances().await.expect_err("over the cap");
    assert!(
        matches!(&error, ApiError::Decode { message, .. } if message.contains("response too large")),
        "{error:?}"
    );
    assert!(
        error.user_message().contains("response too large"),
        "{}",
        error.user_message()
    );
    let roomy = client(settings(&stub.base_url)).with_max_response_bytes(8192);
    roomy.balances().await.expect("under the cap");
}

#[tokio::test]
async fn an_error_answer_too_large_keeps_its_status() {
    let big = "x".repeat(4096);
    let stub = Stub::start(vec![with_headers(429, &[("retry-after", "1")], &big)]).await;
    let api = client(single_shot(&stub.base_url)).with_max_response_bytes(1024);
    let error = api.balances().await.expect_err("throttled");
    assert!(matches!(error, ApiError::RateLimited { .. }), "{error:?}");
}

#[tokio::test]
async fn an_endless_body_stops_at_the_default_cap() {
    let stub = RawStub::start(RawBehaviour::EndlessBody).await;
    let api = client(single_shot(&stub.base_url));
    let started = Instant::now();
    let error = api.balances().await.expect_err("endless");
    assert!(
        matches!(&error, ApiError::Decode { message, .. } if message.contains("response too large: more than 8 MiB")),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "it read until the timeout"
    );
}

#[tokio::test]
async fn a_huge_declared_length_is_refused_before_reading() {
    let stub = RawStub::start(RawBehaviour::HugeContentLength).await;
    let api = client(single_shot(&stub.base_url));
    let error = api.balances().await.expect_err("3 GiB announced");
    assert!(
        matches!(&error, ApiError::Decode { message, .. } if message.contains("response too large")),
        "{error:?}"
    );
    // On a POST the answer was received, so the outcome is unknown (never re-sent).
    let error = api_stub::post_value(&api)
        .await
        .expect_err("3 GiB announced");
    assert!(error.outcome_unknown(), "{error:?}");
}

// ---------------------------------------------------------------------------------------------
// Item 12: server text is printable where it is decoded

#[tokio::test]
async fn server_strings_are_printable_once_decoded() {
    let hostile = r"\u001b[2J\u001b]0;pwned\u0007\u202eevil\u2066";
    let body = format!(
        r#"{{"transactions":[{{"id":"t-1","type":"EXCHANGE{hostile}","status":"DONE{hostile}",
            "amount":"1","currency":"eur{hostile}","description":"pay {hostile} me\r\nnow"}}]}}"#
    );
    let (api, _stub) = answering(&body).await;
    let page = api.transactions(1, 50).await.expect("page");
    let row = &page.transactions[0];
    let texts = [
        row.description.clone().unwrap_or_default(),
        row.kind.to_string(),
        row.status.to_string(),
        row.currency.as_str().to_owned(),
    ];
    for text in texts {
        assert!(!text.chars().any(is_unprintable), "{text:?}");
        assert!(!text.contains('\u{1b}'), "{text:?}");
    }
    assert_eq!(
        row.description.as_deref(),
        Some("pay \u{fffd}\u{fffd}\u{fffd}evil\u{fffd} me  now")
    );
}

// ---------------------------------------------------------------------------------------------
// Item 13: one bad row is one bad row

#[tokio::test]
async fn one_unreadable_balance_keeps_the_others() {
    let (api, _stub) = answering(
        r#"{"fiatBalances":[{"id":"f-1","amount":true,"name":"eur"},
                            {"id":"f-2","amount":"10.00","name":"eur"}],
            "cryptoBalances":[{"id":"c-1","amount":"1.00000000000000000000000000000001","name":"btc"},
                              {"id":"c-2","amount":"0.5","name":"eth"}]}"#,
    )
    .await;
    let balances = api.balances().await.expect("the answer is kept");
    assert_eq!(balances.fiat_balances.len(), 1);
    assert_eq!(balances.fiat_balances[0].id, "f-2");
    assert_eq!(balances.crypto_balances.len(), 1);
    assert_eq!(balances.crypto_balances[0].id, "c-2");
    assert_eq!(balances.unreadable.len(), 2);
    let bad = &balances.unreadable[0];
    assert_eq!(
        (bad.id.as_deref(), bad.field.as_deref(), bad.json_type),
        (Some("f-1"), Some("amount"), "boolean")
    );
    let not_representable = &balances.unreadable[1];
    assert_eq!(not_representable.json_type, "string");
    assert!(
        not_representable.reason.contains("not representable"),
        "{}",
        not_representable.reason
    );
    assert_eq!(
        unreadable_summary(balances.unreadable.len()).as_deref(),
        Some("2 rows could not be read")
    );
}

#[tokio::test]
async fn one_unreadable_history_item_keeps_the_page_and_duplicates_are_kept() {
    let (api, _stub) = answering(
        r#"{"transactions":[
            {"id":"t-1","type":"EXCHANGE","status":"COMPLETED","amount":"1","currency":"eur"},
            {"id":"t-2","type":"EXCHANGE","status":"COMPLETED","amount":[1],"currency":"eur"},
            {"id":"t-1","type":"ORDER","status":"PENDING","amount":2,"currency":"usdc"}],
           "page":1,"limit":50,"total":3}"#,
    )
    .await;
    let page = api.transactions(1, 50).await.expect("the page is kept");
    let ids: Vec<&str> = page
        .transactions
        .iter()
        .map(|row| row.id.as_str())
        .collect();
    assert_eq!(ids, ["t-1", "t-1"], "both items with the same id are kept");
    assert_eq!(page.total, Some(3));
    assert_eq!(page.unreadable.len(), 1);
    assert_eq!(page.unreadable[0].index, 1);
    assert_eq!(page.unreadable[0].json_type, "array");
    assert_eq!(
        unreadable_summary(1).as_deref(),
        Some("1 row could not be read")
    );
}
