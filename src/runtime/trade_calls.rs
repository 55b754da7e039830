//! Which P100 endpoint each kind's indicative price, rate lock and money-moving POST go to:
//! the one place the kinds' API calls are written (the loop and the submit task only hand the
//! requests on).

use std::time::Instant;

use crate::api::ApiClient;
use crate::api::error::ApiError;
use crate::app::money_actions::{
    LockRequest, MoneyPost, PriceRequest, TradeAccepted, TradeLock, TradePrice,
};

impl PriceRequest {
    /// Reads the indicative price (display only, never executable).
    pub async fn send(self, client: &ApiClient) -> Result<TradePrice, ApiError> {
        match self {
            Self::Exchange(intent) => client
                .exchange_rate(&intent.from, &intent.to, intent.amount)
                .await
                .map(TradePrice::Exchange),
            Self::Order(_) => client.order_rates().await.map(TradePrice::Order),
        }
    }
}

impl LockRequest {
    /// Asks for a rate lock (it moves no money: a lost answer is only an error).
    pub async fn send(self, client: &ApiClient) -> Result<TradeLock, ApiError> {
        match self {
            Self::Exchange(intent) => client
                .exchange_lock(&intent.from, &intent.to, intent.amount)
                .await
                .map(TradeLock::Exchange),
            Self::Order(request) => client.order_lock(&request).await.map(TradeLock::Order),
        }
    }
}

impl MoneyPost {
    /// Sends the POST once, keyed by the attempt `intent_id`, before `deadline` or not at all.
    /// Nothing leaves until the returned future is awaited (after the intent is journaled).
    pub async fn send(
        self,
        client: &ApiClient,
        intent_id: &str,
        deadline: Instant,
    ) -> Result<TradeAccepted, ApiError> {
        match self {
            Self::Exchange(request) => client
                .execute_exchange_keyed_before(&request, intent_id, deadline)
                .await
                .map(TradeAccepted::Exchange),
            Self::Order(request) => client
                .create_order_keyed_before(&request.lock_id, intent_id, deadline)
                .await
                .map(TradeAccepted::Order),
        }
    }
}
