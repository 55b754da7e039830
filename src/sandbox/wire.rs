//! Every JSON body the sandbox writes, in the shapes of P100-API.md, built with `json!` so
//! nothing is shared with the client's models.
//!
//! Where P100-API.md does not say whether a value is a string or a number, the sandbox
//! choice is: balances/history/exchange amounts are decimal strings at the currency's scale,
//! exchange rates are JSON numbers, order-lock `amount` is a number and its `rate` a string
//! (both as documented), order details amounts are numbers (as documented).

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::currency::{amount_string, json_number, scale};
use super::engine::World;
use super::exchanges::{Exchange, ExchangeLock};
use super::ledger::{AccountKind, HistoryRow, Ledger};
use super::orders::{OrderLock, OrderRate, REQUIRED_CONFIRMATIONS, SETTLEMENT_CURRENCY};
use super::pricing::{Quote, eur_value};
use super::timing::{Clock, iso};

/// Decimals used for a currency the scale table does not know (never happens for seeded
/// currencies).
const FALLBACK_SCALE: u32 = 8;

fn amount(currency: &str, value: Decimal) -> Value {
    Value::String(amount_string(
        value,
        scale(currency).unwrap_or(FALLBACK_SCALE),
    ))
}

fn timestamp(clock: &Clock, at: Instant) -> Value {
    Value::String(iso(clock.wall(at)))
}

/// `GET /v1/partner/balances`
pub fn balances(world: &World, now: Instant) -> Value {
    let elapsed = world.clock.elapsed(now);
    let mut fiat = Vec::new();
    let mut crypto = Vec::new();
    for account in world.ledger.accounts() {
        let rate = eur_value(&world.ledger, &account.name, elapsed).unwrap_or(account.eur_value);
        match &account.kind {
            AccountKind::Fiat { iban, status } => fiat.push(json!({
                "id": account.id,
                "amount": amount(&account.name, account.amount),
                "name": account.name,
                "rate": json_number(rate),
                "iban": iban,
                "status": status.wire(),
            })),
            AccountKind::Crypto {
                wallet,
                network_config,
            } => crypto.push(json!({
                "id": account.id,
                "amount": amount(&account.name, account.amount),
                "name": account.name,
                "wallet": wallet,
                "rate": json_number(rate),
                "networkConfig": network_config,
            })),
        }
    }
    json!({"fiatBalances": fiat, "cryptoBalances": crypto})
}

/// One history row.
fn history_row(row: &HistoryRow) -> Value {
    let mut item = Map::new();
    item.insert("id".into(), json!(row.id));
    item.insert("type".into(), json!(row.kind.wire()));
    item.insert("status".into(), json!(row.status.wire()));
    item.insert("amount".into(), amount(&row.currency, row.amount));
    item.insert("currency".into(), json!(row.currency));
    item.insert("createdAt".into(), json!(iso(row.created_at)));
    if let Some(description) = &row.description {
        item.insert("description".into(), json!(description));
    }
    if let Some((currency_to, amount_to)) = &row.counter {
        item.insert("currencyTo".into(), json!(currency_to));
        item.insert("amountTo".into(), amount(currency_to, *amount_to));
    }
    Value::Object(item)
}

/// `GET /v1/partner/transactions`
pub fn transactions(ledger: &Ledger, page: usize, limit: usize) -> Value {
    let rows: Vec<Value> = ledger
        .page(page, limit)
        .into_iter()
        .map(history_row)
        .collect();
    json!({
        "transactions": rows,
        "page": page,
        "limit": limit,
        "total": ledger.history_len(),
    })
}

/// `GET /v1/partner/exchange/rate`
pub fn exchange_rate(quote: &Quote) -> Value {
    json!({
        "currencyFrom": quote.from,
        "currencyTo": quote.to,
        "rate": json_number(quote.rate),
        "amount": amount(&quote.from, quote.amount),
        "amountTo": amount(&quote.to, quote.amount_to),
    })
}

/// `GET /v1/partner/exchange/lock`
pub fn exchange_lock(lock: &ExchangeLock, clock: &Clock) -> Value {
    let quote = &lock.quote;
    json!({
        "lockId": lock.id,
        "currencyFrom": quote.from,
        "currencyTo": quote.to,
        "amount": amount(&quote.from, quote.amount),
        "rate": json_number(quote.rate),
        "amountTo": amount(&quote.to, quote.amount_to),
        "expiresAt": timestamp(clock, lock.expires_at),
    })
}

/// `GET /v1/exchange/details/{id}`
pub fn exchange_details(exchange: &Exchange, clock: &Clock) -> Value {
    let quote = &exchange.quote;
    let mut body = json!({
        "exchangeId": exchange.id,
        "status": exchange.status.wire(),
        "amount": amount(&quote.from, quote.amount),
        "currencyFrom": quote.from,
        "currencyTo": quote.to,
        "rate": json_number(quote.rate),
        "amountTo": amount(&quote.to, quote.amount_to),
        "createdAt": timestamp(clock, exchange.created_at),
        "updatedAt": timestamp(clock, exchange.updated_at),
    });
    if let (Some((code, message)), Value::Object(map)) = (&exchange.error, &mut body) {
        map.insert("errorCode".into(), json!(code));
        map.insert("errorMessage".into(), json!(message));
    }
    body
}

/// `GET /v1/order/rates`
pub fn order_rates(rates: &[OrderRate]) -> Value {
    let rates: Vec<Value> = rates
        .iter()
        .map(|rate| {
            json!({
                "currency": rate.currency,
                "network": rate.network,
                "rate": rate.rate.normalize().to_string(),
                "destinationCurrency": SETTLEMENT_CURRENCY,
            })
        })
        .collect();
    json!({"rates": rates})
}

/// `POST /v1/order/lock-rate` (the current documented generation).
pub fn order_lock(lock: &OrderLock, clock: &Clock) -> Value {
    json!({
        "lockId": lock.id,
        "amount": json_number(lock.crypto_amount),
        "rate": lock.rate.normalize().to_string(),
        "expiresAt": timestamp(clock, lock.expires_at),
        "currency": lock.crypto,
        "destinationCurrency": SETTLEMENT_CURRENCY,
        "network": lock.network,
    })
}

/// `GET /v1/order/details/{id}`
pub fn order_details(world: &World, order_id: &str) -> Option<Value> {
    let order = world.orders.get(order_id)?;
    let clock = &world.clock;
    Some(json!({
        "orderId": order.id,
        "lockId": order.lock_id,
        "status": order.status.wire(),
        "createdAt": timestamp(clock, order.created_at),
        "expiresAt": order.shown_expiry().map(|at| timestamp(clock, at)),
        "confirmations": order.confirmations,
        "requiredConfirmations": REQUIRED_CONFIRMATIONS,
        "receivedAmount": json_number(order.received),
        "totalAmountRequired": json_number(order.total_required),
        "cryptocurrency": order.crypto,
        "walletAddress": order.wallet,
        "transactionHash": order.tx_hash,
        "network": order.network.to_uppercase(),
    }))
}

/// A validation error: HTTP 400 P403, messages joined by `"; "`, no `errorName`.
pub fn validation_error(messages: &[String]) -> Value {
    json!({"errorCode": "P403", "errorMessage": messages.join("; ")})
}

/// A business error: `{"errorCode", "errorName", "errorMessage"}`.
pub fn business_error(code: &str, name: &str, message: &str) -> Value {
    json!({"errorCode": code, "errorName": name, "errorMessage": message})
}

/// HTTP 401 body; `suffix` is `xo1` (no key) or `xo2` (wrong key).
pub fn access_denied(suffix: &str) -> Value {
    json!({"message": format!("Access Denied. {suffix}")})
}

/// HTTP 429 body (sandbox choice: the gateway style of the 401 bodies).
pub fn too_many_requests() -> Value {
    json!({"message": "Too Many Requests"})
}
