//! Conformance: every documented JSON example in P100-API.md parses into the client's models,
//! in both doc generations, with string and number amounts and upper/lower-case statuses.

use std::str::FromStr;

use p100_desk::api::models::{
    Balances, Currency, ExchangeAccepted, ExchangeDetails, ExchangeLock, ExchangeRate,
    ExchangeRequest, ExchangeStatus, FiatStatus, OrderCreated, OrderDetails, OrderLock,
    OrderLockRequest, OrderRates, OrderStatus, TransactionPage, TransactionStatus, TransactionType,
};
use rust_decimal::Decimal;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("test decimal")
}

#[test]
fn documented_balances_parse() {
    let body = r#"{"fiatBalances": [{"id": "02ee1b09-...", "amount": "1520.75", "name": "eur", "rate": 1,
                   "iban": "LT683130019950000568", "status": "ACTIVE"}],
 "cryptoBalances": [{"id": "f2de1f4b-...", "amount": "12.500000", "name": "usdc",
                     "wallet": "0x2e90...", "rate": 0.963728,
                     "networkConfig": {"polygon": {"mainnet": false, "name": "amoy",
                        "withdrawal": {"feeWithdrawal": 10, "minWithdrawal": 15},
                        "deposit": {"minDeposit": 5}}}}]}"#;
    let balances: Balances = serde_json::from_str(body).expect("documented balances");
    let eur = &balances.fiat_balances[0];
    assert_eq!(eur.amount, dec("1520.75"));
    assert_eq!(eur.name, Currency::new("eur"));
    assert_eq!(eur.rate, Some(dec("1")));
    assert_eq!(eur.status, FiatStatus::Active);
    let usdc = &balances.crypto_balances[0];
    assert_eq!(usdc.amount, dec("12.500000"));
    assert_eq!(usdc.amount.scale(), 6);
    assert_eq!(usdc.rate, Some(dec("0.963728")));
    let polygon = &usdc.network_config["polygon"];
    assert_eq!(polygon.name.as_deref(), Some("amoy"));
    let withdrawal = polygon.withdrawal.as_ref().expect("withdrawal");
    assert_eq!(withdrawal.fee_withdrawal, Some(dec("10")));
    assert_eq!(withdrawal.min_withdrawal, Some(dec("15")));
    assert_eq!(
        polygon.deposit.as_ref().and_then(|d| d.min_deposit),
        Some(dec("5"))
    );
}

#[test]
fn balances_tolerate_nulls_numbers_unknown_fields_and_statuses() {
    let body = r#"{"fiatBalances": [{"id": "a", "amount": 10.5, "name": "EUR", "rate": "1",
                   "iban": null, "status": "waiting_to_be_activated", "extra": {"x": 1}}],
                   "cryptoBalances": [{"id": "b", "amount": 1, "name": "btc", "wallet": null}],
                   "somethingNew": true}"#;
    let balances: Balances = serde_json::from_str(body).expect("tolerant balances");
    let eur = &balances.fiat_balances[0];
    assert_eq!(eur.name.as_str(), "eur");
    assert_eq!(eur.iban, None);
    assert_eq!(eur.status, FiatStatus::WaitingToBeActivated);
    assert!(balances.crypto_balances[0].network_config.is_empty());
    let odd: Balances = serde_json::from_str(
        r#"{"fiatBalances": [{"id": "a", "amount": "1", "name": "eur", "status": "FROZEN"}]}"#,
    )
    .expect("unknown status kept");
    assert_eq!(
        odd.fiat_balances[0].status,
        FiatStatus::Other("FROZEN".into())
    );
    assert!(odd.crypto_balances.is_empty());
}

#[test]
fn transaction_pages_come_wrapped_or_bare() {
    let wrapped = r#"{"transactions": [
        {"id": "t1", "type": "EXCHANGE", "status": "SUCCESSFUL", "amount": "10", "currency": "eth",
         "createdAt": "2026-02-13T11:28:46.569Z", "currencyTo": "eur", "amountTo": 25000.5},
        {"id": "t2", "type": "sepa_deposit", "status": "pending", "amount": 100, "currency": "eur",
         "createdAt": "not a time", "description": "invoice 7"},
        {"id": "t3", "type": "AIRDROP", "status": "ON_HOLD", "amount": "1", "currency": "pol",
         "createdAt": null}],
        "page": 1, "limit": 50, "total": "1234"}"#;
    let page: TransactionPage = serde_json::from_str(wrapped).expect("wrapped page");
    assert_eq!(page.transactions.len(), 3);
    assert_eq!(page.page, Some(1));
    assert_eq!(page.limit, Some(50));
    assert_eq!(page.total, Some(1234));
    let exchange = &page.transactions[0];
    assert_eq!(exchange.kind, TransactionType::Exchange);
    assert_eq!(exchange.status, TransactionStatus::Successful);
    assert_eq!(exchange.amount_to, Some(dec("25000.5")));
    assert_eq!(exchange.currency_to, Some(Currency::new("eur")));
    assert!(exchange.created_at.is_some());
    let deposit = &page.transactions[1];
    assert_eq!(deposit.kind, TransactionType::SepaDeposit);
    assert_eq!(deposit.status, TransactionStatus::Pending);
    assert_eq!(
        deposit.created_at, None,
        "a malformed time is dropped, not fatal"
    );
    let odd = &page.transactions[2];
    assert_eq!(odd.kind, TransactionType::Other("AIRDROP".into()));
    assert!(!odd.status.is_final(), "unknown statuses are not final");

    let bare: TransactionPage = serde_json::from_str(
        r#"[{"id": "t1", "type": "ORDER", "status": "FAILED", "amount": "1", "currency": "usdc"}]"#,
    )
    .expect("bare list");
    assert_eq!(bare.transactions.len(), 1);
    assert_eq!(bare.total, None);
    let data: TransactionPage =
        serde_json::from_str(r#"{"data": [], "total": 0}"#).expect("data envelope");
    assert!(data.transactions.is_empty());
    assert!(serde_json::from_str::<TransactionPage>(r#"{"nothing": []}"#).is_err());
}

#[test]
fn exchange_shapes_parse_and_serialize() {
    let rate: ExchangeRate = serde_json::from_str(
        r#"{"currencyFrom": "eth", "currencyTo": "eur", "rate": 2500.12, "amount": 10, "amountTo": "25001.2"}"#,
    )
    .expect("rate");
    assert_eq!(rate.rate, dec("2500.12"));
    let lock: ExchangeLock = serde_json::from_str(
        r#"{"lockId": "ee7b2f0f-1", "currencyFrom": "eth", "currencyTo": "eur", "amount": 10,
            "rate": "2500.12", "amountTo": 25001.2, "expiresAt": "2026-02-13T11:28:46.569Z"}"#,
    )
    .expect("lock");
    assert_eq!(lock.lock_id, "ee7b2f0f-1");
    assert_eq!(
        lock.expires_at.to_rfc3339(),
        "2026-02-13T11:28:46.569+00:00"
    );
    let request = ExchangeRequest {
        amount: dec("10"),
        currency_from: Currency::new("eth"),
        currency_to: Currency::new("eur"),
        lock_id: "ee7b2f0f-...".into(),
    };
    assert_eq!(
        serde_json::to_string(&request).expect("request"),
        r#"{"amount":10,"currencyFrom":"eth","currencyTo":"eur","lockId":"ee7b2f0f-..."}"#
    );
    let accepted: ExchangeAccepted =
        serde_json::from_str(r#"{"exchangeId": "3f0aeaa7-..."}"#).expect("accepted");
    assert_eq!(accepted.exchange_id, "3f0aeaa7-...");
    for (raw, status, is_final) in [
        ("COMPLETED", ExchangeStatus::Completed, true),
        ("completed", ExchangeStatus::Completed, true),
        ("Failed", ExchangeStatus::Failed, true),
        ("PROCESSING", ExchangeStatus::Processing, false),
        ("SETTLING", ExchangeStatus::Other("SETTLING".into()), false),
    ] {
        let body = format!(
            r#"{{"exchangeId": "x", "status": "{raw}", "amount": "10", "currencyFrom": "eth",
                "currencyTo": "eur", "rate": 2500, "amountTo": "25000", "createdAt": "2026-02-13T11:28:46Z",
                "errorCode": null}}"#
        );
        let details: ExchangeDetails = serde_json::from_str(&body).expect("details");
        assert_eq!(details.status, status);
        assert_eq!(details.status.is_final(), is_final, "{raw}");
    }
    let failed: ExchangeDetails = serde_json::from_str(
        r#"{"exchangeId": "x", "status": "FAILED", "errorCode": "P433", "errorMessage": "short"}"#,
    )
    .expect("minimal failed details");
    assert_eq!(failed.error_code.as_deref(), Some("P433"));
}

#[test]
fn order_rates_and_both_lock_generations_parse() {
    let rates: OrderRates = serde_json::from_str(
        r#"{"rates": [{"currency": "usdc", "network": "polygon", "rate": "0.84", "destinationCurrency": "eur"}]}"#,
    )
    .expect("rates");
    assert_eq!(rates.rates[0].rate, dec("0.84"));
    let bare: OrderRates =
        serde_json::from_str(r#"[{"cryptocurrency": "usdt", "network": "tron", "rate": 0.91}]"#)
            .expect("bare rates");
    assert_eq!(bare.rates[0].currency, Currency::new("usdt"));

    let request = OrderLockRequest {
        currency: Currency::new("usdc"),
        amount: dec("346.59"),
        network: "polygon".into(),
    };
    assert_eq!(
        serde_json::to_string(&request).expect("lock request"),
        r#"{"currency":"usdc","amount":"346.59","network":"polygon"}"#
    );

    let current: OrderLock = serde_json::from_str(
        r#"{"lockId": "36e19a53-...", "amount": 412.607142, "rate": "0.84",
            "expiresAt": "2026-02-13T11:28:46.569Z", "currency": "usdc",
            "destinationCurrency": "eur", "network": "polygon"}"#,
    )
    .expect("current generation");
    assert_eq!(current.amount, dec("412.607142"));
    assert_eq!(current.rate, dec("0.84"));
    assert_eq!(current.destination_currency, Some(Currency::new("eur")));
    let older: OrderLock = serde_json::from_str(
        r#"{"lockId": "36e19a53-...", "amount": "412.607142", "rate": 0.84,
            "expiresAt": "2026-02-13T11:28:46.569Z", "cryptocurrency": "usdc"}"#,
    )
    .expect("older generation");
    assert_eq!(older.currency, Currency::new("usdc"));
    assert_eq!(older.rate, current.rate);
    assert_eq!(older.destination_currency, None);

    let created: OrderCreated =
        serde_json::from_str(r#"{"orderId": "663318af-..."}"#).expect("created");
    assert_eq!(created.order_id, "663318af-...");
}

#[test]
fn documented_order_details_parse() {
    let body = r#"{"orderId": "a44a0805-...", "lockId": "8b94a8f6-...", "status": "WAITING_FOR_CONFIRMATION",
 "createdAt": "2025-08-31T21:21:35.840Z", "expiresAt": null, "confirmations": 1,
 "requiredConfirmations": 3, "receivedAmount": 849.39, "totalAmountRequired": 1000,
 "cryptocurrency": "usdc", "walletAddress": "0xE353...", "transactionHash": "0x84a1...",
 "network": "POLYGON"}"#;
    let order: OrderDetails = serde_json::from_str(body).expect("documented order");
    assert_eq!(order.status, OrderStatus::WaitingForConfirmation);
    assert_eq!(order.confirmations, Some(1));
    assert_eq!(order.required_confirmations, Some(3));
    assert_eq!(order.received_amount, Some(dec("849.39")));
    assert_eq!(order.total_amount_required, Some(dec("1000")));
    assert!(order.is_underpaid());
    assert_eq!(order.expires_at, None);
    assert_eq!(order.network.as_deref(), Some("POLYGON"));

    let waiting: OrderDetails = serde_json::from_str(
        r#"{"orderId": "o", "status": "waiting_for_wallet_address", "walletAddress": null,
            "cryptocurrency": "usdc", "confirmations": "0"}"#,
    )
    .expect("fresh order");
    assert_eq!(waiting.status, OrderStatus::WaitingForWalletAddress);
    assert_eq!(waiting.wallet_address, None);
    assert_eq!(waiting.confirmations, Some(0));
    for (raw, is_final) in [
        ("COMPLETED", true),
        ("expired", true),
        ("FAILED", true),
        ("PARTIALLY_PAID", false),
        ("WAITING_FOR_PAYMENT", false),
        ("REFUNDING", false),
    ] {
        assert_eq!(OrderStatus::parse(raw).is_final(), is_final, "{raw}");
    }
    assert_eq!(
        OrderStatus::parse("REFUNDING"),
        OrderStatus::Other("REFUNDING".into())
    );
}
