//! The typed P100 calls p100-desk makes, one method each, on the paths from `ApiPaths`.
//!
//! Reads go through `ApiClient::get` (retried); money-moving calls through `ApiClient::post`
//! (sent once; see `ApiError::OutcomeUnknown`) and the order lock through
//! `ApiClient::post_without_effects` (sent once, failures as they are).

use std::time::Instant;

use rust_decimal::Decimal;

use super::models::{
    Balances, Currency, ExchangeAccepted, ExchangeDetails, ExchangeLock, ExchangeRate,
    ExchangeRequest, OrderCreateRequest, OrderCreated, OrderDetails, OrderLock, OrderLockRequest,
    OrderRates, TransactionPage,
};
use super::{ApiClient, ApiError, ApiPaths, Priority, RemoteId};

impl ApiClient {
    /// `GET` balances: fiat and crypto accounts.
    pub async fn balances(&self) -> Result<Balances, ApiError> {
        self.get_as(Priority::Balances, &self.paths().balances, &[])
            .await
    }

    /// `GET` one page of the transaction history, newest first; `page` counts from 1.
    pub async fn transactions(&self, page: u32, limit: u32) -> Result<TransactionPage, ApiError> {
        let query = [("page", page.to_string()), ("limit", limit.to_string())];
        self.get_as(Priority::History, &self.paths().transactions, &query)
            .await
    }

    /// `GET` an indicative (not executable) rate for `amount` of `from` into `to`.
    pub async fn exchange_rate(
        &self,
        from: &Currency,
        to: &Currency,
        amount: Decimal,
    ) -> Result<ExchangeRate, ApiError> {
        self.get_as(
            Priority::Trade,
            &self.paths().exchange_rate,
            &pair_query(from, to, amount),
        )
        .await
    }

    /// `GET` an executable rate lock, valid until its `expires_at`.
    pub async fn exchange_lock(
        &self,
        from: &Currency,
        to: &Currency,
        amount: Decimal,
    ) -> Result<ExchangeLock, ApiError> {
        self.get_as(
            Priority::Trade,
            &self.paths().exchange_lock,
            &pair_query(from, to, amount),
        )
        .await
    }

    /// `POST` an exchange on a lock, once. A 2xx means queued, not done: follow it with
    /// [`ApiClient::exchange_details`].
    pub async fn execute_exchange(
        &self,
        request: &ExchangeRequest,
    ) -> Result<ExchangeAccepted, ApiError> {
        self.post(&self.paths().exchange, request).await
    }

    /// [`ApiClient::execute_exchange`], sent before `deadline` (the lock's expiry less the safety
    /// margin) or not at all: see [`ApiClient::post_before`].
    pub async fn execute_exchange_before(
        &self,
        request: &ExchangeRequest,
        deadline: Instant,
    ) -> Result<ExchangeAccepted, ApiError> {
        self.post_before(&self.paths().exchange, request, deadline)
            .await
    }

    /// [`ApiClient::execute_exchange`] carrying `Idempotency-Key: <intent id>` (see
    /// [`ApiClient::post_keyed`]), before `deadline` when there is one.
    pub async fn execute_exchange_keyed(
        &self,
        request: &ExchangeRequest,
        intent_id: &str,
    ) -> Result<ExchangeAccepted, ApiError> {
        self.post_keyed(&self.paths().exchange, request, intent_id, None)
            .await
    }

    /// What the desk sends: the intent's id as the idempotency key, before the lock's deadline.
    pub async fn execute_exchange_keyed_before(
        &self,
        request: &ExchangeRequest,
        intent_id: &str,
        deadline: Instant,
    ) -> Result<ExchangeAccepted, ApiError> {
        self.post_keyed(&self.paths().exchange, request, intent_id, Some(deadline))
            .await
    }

    /// [`ApiClient::create_order`] carrying `Idempotency-Key: <intent id>`, before `deadline`.
    pub async fn create_order_keyed_before(
        &self,
        lock_id: &str,
        intent_id: &str,
        deadline: Instant,
    ) -> Result<OrderCreated, ApiError> {
        let request = OrderCreateRequest {
            lock_id: lock_id.to_owned(),
        };
        self.post_keyed(
            &self.paths().order_create,
            &request,
            intent_id,
            Some(deadline),
        )
        .await
    }

    /// `GET` the state of an exchange.
    /// An id that is not usable in a path (see [`RemoteId::parse`]) is refused before anything
    /// is sent, as a `Request` error.
    pub async fn exchange_details(&self, exchange_id: &str) -> Result<ExchangeDetails, ApiError> {
        let id = usable_id("exchange", exchange_id)?;
        let path = ApiPaths::with_remote_id(&self.paths().exchange_details, &id);
        self.get(&path, &[]).await
    }

    /// `GET` indicative order rates per currency and network.
    pub async fn order_rates(&self) -> Result<OrderRates, ApiError> {
        self.get_as(Priority::Trade, &self.paths().order_rates, &[])
            .await
    }

    /// `POST` an order rate lock. Sent once like every POST, but a lost answer is just an error:
    /// a lock moves no money, so there is nothing to reconcile, only a fresh lock to ask for.
    pub async fn order_lock(&self, request: &OrderLockRequest) -> Result<OrderLock, ApiError> {
        self.post_without_effects(&self.paths().order_lock, request)
            .await
    }

    /// `POST` an order on a lock, once. P462 means the lock is invalid or expired.
    pub async fn create_order(&self, lock_id: &str) -> Result<OrderCreated, ApiError> {
        let request = OrderCreateRequest {
            lock_id: lock_id.to_owned(),
        };
        self.post(&self.paths().order_create, &request).await
    }

    /// [`ApiClient::create_order`], sent before `deadline` or not at all.
    pub async fn create_order_before(
        &self,
        lock_id: &str,
        deadline: Instant,
    ) -> Result<OrderCreated, ApiError> {
        let request = OrderCreateRequest {
            lock_id: lock_id.to_owned(),
        };
        self.post_before(&self.paths().order_create, &request, deadline)
            .await
    }

    /// `GET` the state of an order.
    /// An id that is not usable in a path is refused before anything is sent.
    pub async fn order_details(&self, order_id: &str) -> Result<OrderDetails, ApiError> {
        let id = usable_id("order", order_id)?;
        let path = ApiPaths::with_remote_id(&self.paths().order_details, &id);
        self.get(&path, &[]).await
    }
}

/// The id as a [`RemoteId`], or the `Request` error that says why it cannot be asked about.
fn usable_id(kind: &str, raw: &str) -> Result<RemoteId, ApiError> {
    RemoteId::parse(raw).map_err(|why| ApiError::Request {
        message: format!("not asking P100 about this {kind}: {why}"),
    })
}

fn pair_query(from: &Currency, to: &Currency, amount: Decimal) -> [(&'static str, String); 3] {
    [
        ("currencyFrom", from.as_str().to_owned()),
        ("currencyTo", to.as_str().to_owned()),
        ("amount", amount.to_string()),
    ]
}
