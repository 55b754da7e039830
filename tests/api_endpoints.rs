//! Each typed `ApiClient` method against a loopback stub: the method, path, query and body it
//! sends, and that the documented answer decodes.

mod api_stub;

use api_stub::{Seen, Stub, client, json, settings};
use axum::http::Method;
use p100_desk::api::ApiClient;
use p100_desk::api::models::{Currency, ExchangeRequest, OrderLockRequest, OrderStatus};
use rust_decimal::Decimal;

async fn answering(status: u16, body: &str) -> (ApiClient, Stub) {
    let stub = Stub::start(vec![json(status, body)]).await;
    (client(settings(&stub.base_url)), stub)
}

fn only_request(stub: &Stub) -> Seen {
    let seen = stub.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    seen[0].clone()
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("decimal literal")
}

#[tokio::test]
async fn balances() {
    let (api, stub) = answering(
        200,
        r#"{"fiatBalances":[{"id":"02ee","amount":"1520.75","name":"eur","rate":1,
            "iban":"LT68","status":"ACTIVE"}],"cryptoBalances":[]}"#,
    )
    .await;
    let balances = api.balances().await.expect("balances");
    assert_eq!(balances.fiat_balances[0].amount, dec("1520.75"));
    let seen = only_request(&stub);
    assert_eq!(
        (seen.method, seen.path_and_query.as_str()),
        (Method::GET, "/v1/partner/balances")
    );
}

#[tokio::test]
async fn transactions() {
    let (api, stub) = answering(
        200,
        r#"{"transactions":[{"id":"t1","type":"EXCHANGE","status":"SUCCESSFUL","amount":"10",
            "currency":"eth","createdAt":"2025-08-31T21:21:35.840Z"}],"page":2,"limit":5,"total":7}"#,
    )
    .await;
    let page = api.transactions(2, 5).await.expect("history");
    assert_eq!(page.transactions[0].id, "t1");
    assert_eq!(page.total, Some(7));
    assert_eq!(
        only_request(&stub).path_and_query,
        "/v1/partner/transactions?page=2&limit=5"
    );
}

#[tokio::test]
async fn exchange_rate() {
    let (api, stub) = answering(
        200,
        r#"{"currencyFrom":"eth","currencyTo":"eur","rate":"2450.10","amount":10,"amountTo":"24501.00"}"#,
    )
    .await;
    let rate = api
        .exchange_rate(&Currency::new("eth"), &Currency::new("eur"), dec("10.5"))
        .await
        .expect("rate");
    assert_eq!(rate.rate, dec("2450.10"));
    assert_eq!(
        only_request(&stub).path_and_query,
        "/v1/partner/exchange/rate?currencyFrom=eth&currencyTo=eur&amount=10.5"
    );
}

#[tokio::test]
async fn exchange_lock() {
    let (api, stub) = answering(
        200,
        r#"{"lockId":"ee7b","currencyFrom":"eth","currencyTo":"eur","amount":10,"rate":2450.1,
            "amountTo":"24501","expiresAt":"2026-02-13T11:28:46.569Z"}"#,
    )
    .await;
    let lock = api
        .exchange_lock(&Currency::new("ETH"), &Currency::new("eur"), dec("10"))
        .await
        .expect("lock");
    assert_eq!(lock.lock_id, "ee7b");
    let seen = only_request(&stub);
    assert_eq!(seen.method, Method::GET);
    assert_eq!(
        seen.path_and_query,
        "/v1/partner/exchange/lock?currencyFrom=eth&currencyTo=eur&amount=10"
    );
}

#[tokio::test]
async fn execute_exchange() {
    let (api, stub) = answering(201, r#"{"exchangeId":"3f0aeaa7"}"#).await;
    let request = ExchangeRequest {
        amount: dec("10"),
        currency_from: Currency::new("eth"),
        currency_to: Currency::new("eur"),
        lock_id: "ee7b".into(),
    };
    let accepted = api.execute_exchange(&request).await.expect("queued");
    assert_eq!(accepted.exchange_id, "3f0aeaa7");
    let seen = only_request(&stub);
    assert_eq!(
        (seen.method, seen.path_and_query.as_str()),
        (Method::POST, "/v1/partner/exchange")
    );
    let body: serde_json::Value = serde_json::from_str(&seen.body).expect("JSON body");
    assert_eq!(
        body,
        serde_json::json!({"amount": 10, "currencyFrom": "eth", "currencyTo": "eur", "lockId": "ee7b"})
    );
}

#[tokio::test]
async fn exchange_details() {
    // A slash can never be part of a usable id (see tests/api_trust.rs); other reserved
    // characters are percent-encoded into the one segment.
    let (api, stub) = answering(200, r#"{"exchangeId":"a?b","status":"completed"}"#).await;
    let details = api.exchange_details("a?b").await.expect("details");
    assert!(details.status.is_final());
    assert_eq!(
        only_request(&stub).path_and_query,
        "/v1/exchange/details/a%3Fb"
    );
}

#[tokio::test]
async fn order_rates() {
    let (api, stub) = answering(
        200,
        r#"{"rates":[{"currency":"usdc","network":"polygon","rate":"0.84","destinationCurrency":"eur"}]}"#,
    )
    .await;
    let rates = api.order_rates().await.expect("rates");
    assert_eq!(rates.rates[0].rate, dec("0.84"));
    assert_eq!(only_request(&stub).path_and_query, "/v1/order/rates");
}

#[tokio::test]
async fn order_lock() {
    let (api, stub) = answering(
        200,
        r#"{"lockId":"36e1","amount":412.607142,"rate":"0.84","expiresAt":"2026-02-13T11:28:46.569Z",
            "currency":"usdc","destinationCurrency":"eur","network":"polygon"}"#,
    )
    .await;
    let request = OrderLockRequest {
        currency: Currency::new("usdc"),
        amount: dec("346.59"),
        network: "polygon".into(),
    };
    let lock = api.order_lock(&request).await.expect("lock");
    assert_eq!(lock.amount, dec("412.607142"));
    let seen = only_request(&stub);
    assert_eq!(
        (seen.method, seen.path_and_query.as_str()),
        (Method::POST, "/v1/order/lock-rate")
    );
    let body: serde_json::Value = serde_json::from_str(&seen.body).expect("JSON body");
    assert_eq!(
        body,
        serde_json::json!({"currency": "usdc", "amount": "346.59", "network": "polygon"})
    );
}

#[tokio::test]
async fn create_order() {
    let (api, stub) = answering(201, r#"{"orderId":"6633"}"#).await;
    let created = api.create_order("36e1").await.expect("created");
    assert_eq!(created.order_id, "6633");
    let seen = only_request(&stub);
    assert_eq!(
        (seen.method, seen.path_and_query.as_str()),
        (Method::POST, "/v1/order")
    );
    let body: serde_json::Value = serde_json::from_str(&seen.body).expect("JSON body");
    assert_eq!(body, serde_json::json!({"lockId": "36e1"}));
}

#[tokio::test]
async fn order_details() {
    let (api, stub) = answering(
        200,
        r#"{"orderId":"a44a","status":"WAITING_FOR_CONFIRMATION","receivedAmount":849.39,
            "totalAmountRequired":1000,"cryptocurrency":"usdc","walletAddress":null}"#,
    )
    .await;
    let details = api.order_details("a44a").await.expect("details");
    assert_eq!(details.status, OrderStatus::WaitingForConfirmation);
    assert!(details.is_underpaid());
    assert_eq!(only_request(&stub).path_and_query, "/v1/order/details/a44a");
}

#[tokio::test]
async fn paths_come_from_the_settings() {
    let stub = Stub::start(vec![json(
        200,
        r#"{"fiatBalances":[],"cryptoBalances":[]}"#,
    )])
    .await;
    let mut settings = settings(&stub.base_url);
    settings.paths.balances = "/v2/partner/balances".into();
    client(settings).balances().await.expect("balances");
    assert_eq!(only_request(&stub).path_and_query, "/v2/partner/balances");
}
