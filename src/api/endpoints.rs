//! The typed P100 calls p100-desk makes, one method each, on the paths from `ApiPaths`.
//!
//! Reads go through `ApiClient::get` (retried); money-moving calls through `ApiClient::post`
//! (sent once; see `ApiError::OutcomeUnknown`) and the order lock through
//! `ApiClient::post_without_effects` (sent once, failures as they are).

use rust_decimal::Decimal;

use super::models::{
    Balances, Currency, ExchangeAccepted, ExchangeDetails, ExchangeLock, ExchangeRate,
    ExchangeRequest, OrderCreateRequest, OrderCreated, OrderDetails, OrderLock, OrderLockRequest,
    OrderRates, TransactionPage,
};
use super::{ApiClient, ApiError, ApiPaths};

impl ApiClient {
    /// `GET` balances: fiat and crypto accounts.
    pub async fn balances(&self) -> Result<Balances, ApiError> {
        self.get(&self.paths().balances, &[]).await
    }

    /// `GET` one page of the transaction history, newest first; `page` counts from 1.
    pub async fn transactions(&self, page: u32, limit: u32) -> Result<TransactionPage, ApiError> {
        let query = [("page", page.to_string()), ("limit", limit.to_string())];
        self.get(&self.paths().transactions, &query).await
    }

    /// `GET` an indicative (not executable) rate for `amount` of `from` into `to`.
    pub async fn exchange_rate(
        &self,
        from: &Currency,
        to: &Currency,
        amount: Decimal,
    ) -> Result<ExchangeRate, ApiError> {
        self.get(&self.paths().exchange_rate, &pair_query(from, to, amount))
            .await
    }

    /// `GET` an executable rate lock, valid until its `expires_at`.
    pub async fn exchange_lock(
        &self,
        from: &Currency,
        to: &Currency,
        amount: Decimal,
    ) -> Result<ExchangeLock, ApiError> {
        self.get(&self.paths().exchange_lock, &pair_query(from, to, amount))
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

    /// [`ApiClient::execute_exchange`] carrying `Idempotency-Key: <intent id>`, so a team
    /// relay sends it upstream once whichever desk or replica it reaches.
    pub async fn execute_exchange_keyed(
        &self,
        request: &ExchangeRequest,
        intent_id: &str,
    ) -> Result<ExchangeAccepted, ApiError> {
        self.post_keyed(&self.paths().exchange, request, intent_id)
            .await
    }

    /// [`ApiClient::create_order`] carrying `Idempotency-Key: <intent id>`.
    pub async fn create_order_keyed(
        &self,
        lock_id: &str,
        intent_id: &str,
    ) -> Result<OrderCreated, ApiError> {
        let request = OrderCreateRequest {
            lock_id: lock_id.to_owned(),
        };
        self.post_keyed(&self.paths().order_create, &request, intent_id)
            .await
    }

    /// A money POST with its idempotency key: sent once, failures classified like `post`.
    async fn post_keyed<B: serde::Serialize + ?Sized, T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        intent_id: &str,
    ) -> Result<T, ApiError> {
        let json = serde_json::to_vec(body).map_err(|error| ApiError::Request {
            message: format!("the body could not be encoded: {error}"),
        })?;
        match self
            .transport
            .send_keyed(
                reqwest::Method::POST,
                path,
                &[],
                Some(json),
                Some(intent_id),
            )
            .await
        {
            Ok(answer) => answer.into_value().map_err(super::unknown_if_maybe_applied),
            Err(super::http::SendFailure::NotSent(error)) => Err(error),
            Err(super::http::SendFailure::MaybeReceived(error)) => {
                Err(super::unknown_if_maybe_applied(error))
            }
        }
    }

    /// `GET` the state of an exchange.
    pub async fn exchange_details(&self, exchange_id: &str) -> Result<ExchangeDetails, ApiError> {
        let path = ApiPaths::with_id(&self.paths().exchange_details, exchange_id);
        self.get(&path, &[]).await
    }

    /// `GET` indicative order rates per currency and network.
    pub async fn order_rates(&self) -> Result<OrderRates, ApiError> {
        self.get(&self.paths().order_rates, &[]).await
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

    /// `GET` the state of an order.
    pub async fn order_details(&self, order_id: &str) -> Result<OrderDetails, ApiError> {
        let path = ApiPaths::with_id(&self.paths().order_details, order_id);
        self.get(&path, &[]).await
    }
}

fn pair_query(from: &Currency, to: &Currency, amount: Decimal) -> [(&'static str, String); 3] {
    [
        ("currencyFrom", from.as_str().to_owned()),
        ("currencyTo", to.as_str().to_owned()),
        ("amount", amount.to_string()),
    ]
}
