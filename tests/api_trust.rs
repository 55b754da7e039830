//! The API client against a loopback server that lies (issue 9): unusable ids, echoed keys
//! however they are spelled, bodies too large or endless, unprintable text, bad rows.

mod api_stub;

use api_stub::{Stub, client, json, settings};
use p100_desk::api::{ApiClient, ApiError, RemoteId};

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
