//! Orders over HTTP: rates, lock-rate, create, details through the whole lifecycle, the
//! simulated payer's failures, and P462.

use p100_desk::sandbox::{OrderStatus, PayerScript, SandboxHandle};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{balance, dec, get, post, start, timestamp, wait_until};

async fn lock(handle: &SandboxHandle, currency: &str, network: &str, fiat: &str) -> Value {
    let request = json!({"currency": currency, "amount": fiat, "network": network});
    let (status, body) = post(handle, "/v1/order/lock-rate", &request).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn create(handle: &SandboxHandle, lock_id: &Value) -> String {
    let (status, body) = post(handle, "/v1/order", &json!({"lockId": lock_id})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["orderId"].as_str().expect("order id").to_owned()
}

async fn details(handle: &SandboxHandle, id: &str) -> Value {
    let (status, body) = get(handle, &format!("/v1/order/details/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn wait_for_status(handle: &SandboxHandle, id: &str, wanted: &str) -> Value {
    wait_until(wanted, || async {
        let body = details(handle, id).await;
        (body["status"] == wanted).then_some(body)
    })
    .await
}

fn is_hex(text: &str) -> bool {
    text.chars().all(|c| c.is_ascii_hexdigit())
}

#[tokio::test]
async fn order_rates_cover_every_crypto_network() {
    let handle = start().await;
    let (status, body) = get(&handle, "/v1/order/rates").await;
    assert_eq!(status, StatusCode::OK);
    let rates = body["rates"].as_array().expect("rates");
    let usdc_polygon = rates
        .iter()
        .find(|r| r["currency"] == "usdc" && r["network"] == "polygon")
        .expect("usdc on polygon");
    assert!(usdc_polygon["rate"].is_string());
    assert_eq!(usdc_polygon["destinationCurrency"], "eur");
    for (currency, network) in [("usdt", "tron"), ("btc", "bitcoin"), ("eth", "ethereum")] {
        assert!(
            rates
                .iter()
                .any(|r| r["currency"] == currency && r["network"] == network),
            "{currency} on {network}"
        );
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn a_paid_order_walks_every_status_to_completed() {
    let handle = start().await;
    let eur_before = balance(&handle, "eur").await;
    let locked = lock(&handle, "usdc", "polygon", "346.59").await;
    assert_eq!(locked["currency"], "usdc");
    assert_eq!(locked["destinationCurrency"], "eur");
    assert_eq!(locked["network"], "polygon");
    assert!(locked["amount"].is_number() && locked["rate"].is_string());
    assert!(timestamp(&locked["expiresAt"]) > chrono::Utc::now());
    let crypto = dec(&locked["amount"]);
    assert!(crypto * dec(&locked["rate"]) >= Decimal::new(34659, 2));

    handle.set_next_order_payer(PayerScript::PayInFull);
    handle.pause_processing(true);
    let id = create(&handle, &locked["lockId"]).await;
    let first = details(&handle, &id).await;
    assert_eq!(first["status"], "WAITING_FOR_WALLET_ADDRESS");
    assert!(first["walletAddress"].is_null());
    assert!(first["expiresAt"].is_null());
    assert_eq!(first["lockId"], locked["lockId"]);
    assert_eq!(first["network"], "POLYGON");
    assert_eq!(first["cryptocurrency"], "usdc");
    assert_eq!(dec(&first["totalAmountRequired"]), crypto);
    assert_eq!(dec(&first["receivedAmount"]), Decimal::ZERO);
    assert_eq!(first["requiredConfirmations"], 3);
    timestamp(&first["createdAt"]);
    handle.pause_processing(false);

    let done = wait_for_status(&handle, &id, "COMPLETED").await;
    assert_eq!(
        handle.order_transitions(&id),
        [
            OrderStatus::WaitingForWalletAddress,
            OrderStatus::WaitingForPayment,
            OrderStatus::WaitingForConfirmation,
            OrderStatus::Completed
        ]
    );
    assert_eq!(done["confirmations"], 3);
    assert_eq!(dec(&done["receivedAmount"]), crypto);
    let wallet = done["walletAddress"].as_str().expect("wallet");
    assert!(
        wallet.len() == 42 && wallet.starts_with("0x") && is_hex(&wallet[2..]),
        "{wallet}"
    );
    let hash = done["transactionHash"].as_str().expect("hash");
    assert!(
        hash.len() == 66 && hash.starts_with("0x") && is_hex(&hash[2..]),
        "{hash}"
    );
    assert_eq!(
        balance(&handle, "eur").await,
        eur_before + Decimal::new(34659, 2)
    );
    let (_, page) = get(&handle, "/v1/partner/transactions?limit=5").await;
    let row = page["transactions"]
        .as_array()
        .and_then(|rows| rows.iter().find(|row| row["id"] == id.as_str()))
        .cloned()
        .expect("order row");
    assert_eq!(
        (&row["type"], &row["status"]),
        (&json!("ORDER"), &json!("SUCCESSFUL"))
    );
    assert_eq!(handle.executions().orders, 1);
    handle.shutdown().await;
}

#[tokio::test]
async fn underpaid_and_unpaid_orders_expire() {
    let handle = start().await;
    let eur_before = balance(&handle, "eur").await;
    handle.set_next_order_payer(PayerScript::Underpay);
    handle.set_next_order_payer(PayerScript::NeverPay);
    let partial_lock = lock(&handle, "usdt", "tron", "80").await;
    let partial = create(&handle, &partial_lock["lockId"]).await;
    let unpaid_lock = lock(&handle, "btc", "bitcoin", "500").await;
    let unpaid = create(&handle, &unpaid_lock["lockId"]).await;

    let paid_part = wait_for_status(&handle, &partial, "PARTIALLY_PAID").await;
    assert!(dec(&paid_part["receivedAmount"]) > Decimal::ZERO);
    assert!(dec(&paid_part["receivedAmount"]) < dec(&paid_part["totalAmountRequired"]));
    assert!(paid_part["expiresAt"].is_string());
    let address = paid_part["walletAddress"].as_str().expect("tron address");
    assert!(address.starts_with('T') && address.len() == 34, "{address}");
    wait_for_status(&handle, &partial, "EXPIRED").await;

    let expired = wait_for_status(&handle, &unpaid, "EXPIRED").await;
    assert_eq!(dec(&expired["receivedAmount"]), Decimal::ZERO);
    assert!(expired["transactionHash"].is_null());
    assert_eq!(
        handle.order_transitions(&unpaid),
        [
            OrderStatus::WaitingForWalletAddress,
            OrderStatus::WaitingForPayment,
            OrderStatus::Expired
        ]
    );
    assert_eq!(balance(&handle, "eur").await, eur_before);
    handle.shutdown().await;
}

#[tokio::test]
async fn bad_order_locks_answer_p462_and_bad_networks_p403() {
    let handle = start().await;
    let (status, body) = post(&handle, "/v1/order", &json!({"lockId": "no-such-lock"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["errorCode"], "P462");
    assert_eq!(body["errorName"], "invalid-order-lock");
    assert!(body["errorMessage"].is_string());

    let locked = lock(&handle, "eth", "ethereum", "100").await;
    create(&handle, &locked["lockId"]).await;
    let (status, body) = post(&handle, "/v1/order", &json!({"lockId": locked["lockId"]})).await;
    assert_eq!(
        (status, &body["errorCode"]),
        (StatusCode::NOT_FOUND, &json!("P462"))
    );

    let stale = lock(&handle, "eth", "ethereum", "100").await;
    handle.expire_locks();
    let (status, body) = post(&handle, "/v1/order", &json!({"lockId": stale["lockId"]})).await;
    assert_eq!(
        (status, &body["errorCode"]),
        (StatusCode::NOT_FOUND, &json!("P462"))
    );

    let wrong_network = json!({"currency": "usdc", "amount": "10", "network": "bitcoin"});
    let (status, body) = post(&handle, "/v1/order/lock-rate", &wrong_network).await;
    assert_eq!(
        (status, &body["errorCode"]),
        (StatusCode::BAD_REQUEST, &json!("P403"))
    );
    let (status, body) = post(&handle, "/v1/order", &json!({})).await;
    assert_eq!(
        (status, &body["errorCode"]),
        (StatusCode::BAD_REQUEST, &json!("P403"))
    );
    assert_eq!(handle.executions().orders, 1);
    handle.shutdown().await;
}
