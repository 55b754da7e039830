//! The order form: a payer sends crypto that P100 sells into fiat. Its fields, validation as
//! the user types, and what makes it a [`TradeKind`]: the rates list, the lock request and
//! check, the journal line and `POST /v1/order`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::Stage;
use crate::api::error::ApiError;
use crate::api::models::{
    Currency, OrderCreateRequest, OrderCreated, OrderLock, OrderLockRequest, OrderRates,
};
use crate::app::balances::BalancesPane;
use crate::app::keyboard::FieldId;
use crate::app::money_actions::kind_variants;
use crate::app::ticket::{cycle, cycle_currency};
use crate::app::trade_kind::{TradeKind, form_state};
use crate::journal::Event;
use crate::lock_check::{LockPolicy, LockVerdict, OrderIntent, check_order_lock};
use crate::number_format::NumberFormat;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderField {
    Currency,
    Network,
    Amount,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderTicket {
    pub seq: u64,
    /// The `seq` it opened with: the rates list asked for then answers with it.
    pub opened_seq: u64,
    /// The crypto the payer will send.
    pub currency: String,
    pub network: String,
    /// The fiat (EUR) to settle.
    pub amount: String,
    pub field: OrderField,
    pub rates: Option<OrderRates>,
    pub rates_error: Option<String>,
    pub stage: Stage<OrderLock>,
    /// What the last lock request asked for (see `ExchangeTicket::requested`).
    pub requested: Option<OrderIntent>,
    /// How the amount is typed (the `number_format` setting).
    pub number_format: NumberFormat,
}

/// A validated order, ready to lock: what the user asked for.
pub type ValidOrder = OrderIntent;

/// The fiat currency orders settle into (P100 documents EUR as the destination).
pub const ORDER_FIAT: &str = "eur";

impl OrderTicket {
    pub fn new(currency: &str, network: &str, seq: u64) -> Self {
        Self {
            seq,
            opened_seq: seq,
            currency: currency.to_ascii_uppercase(),
            network: network.to_string(),
            amount: String::new(),
            field: OrderField::Amount,
            rates: None,
            rates_error: None,
            stage: Stage::Editing,
            requested: None,
            number_format: NumberFormat::default(),
        }
    }

    pub fn next_field(&mut self) {
        self.field = match self.field {
            OrderField::Currency => OrderField::Network,
            OrderField::Network => OrderField::Amount,
            OrderField::Amount => OrderField::Currency,
        };
    }

    pub fn prev_field(&mut self) {
        self.field = match self.field {
            OrderField::Currency => OrderField::Amount,
            OrderField::Network => OrderField::Currency,
            OrderField::Amount => OrderField::Network,
        };
    }

    pub fn field_text_mut(&mut self) -> &mut String {
        match self.field {
            OrderField::Currency => &mut self.currency,
            OrderField::Network => &mut self.network,
            OrderField::Amount => &mut self.amount,
        }
    }

    /// The indicative rate for the chosen currency and network, if the rates list has it.
    pub fn indicative_rate(&self) -> Option<Decimal> {
        let currency = Currency::new(&self.currency);
        self.rates
            .as_ref()?
            .rates
            .iter()
            .find(|rate| {
                rate.currency == currency && rate.network.eq_ignore_ascii_case(self.network.trim())
            })
            .map(|rate| rate.rate)
    }

    pub fn validate(&self, balances: &BalancesPane) -> Result<ValidOrder, Vec<String>> {
        let mut problems = Vec::new();
        let currency = Currency::new(&self.currency);
        let networks = balances
            .find(&currency)
            .map(crate::app::balances::BalanceRow::networks);
        let currency = match networks {
            _ if currency.as_str().is_empty() => {
                problems.push("Crypto: enter a currency".into());
                None
            }
            None => {
                problems.push(format!("Crypto: {currency} is not one of your balances"));
                None
            }
            Some(ref list) if list.is_empty() => {
                problems.push(format!("Crypto: {currency} has no networks to receive on"));
                None
            }
            Some(_) => Some(currency),
        };
        let network = self.network.trim().to_ascii_lowercase();
        if let Some(list) = networks.as_ref().filter(|_| currency.is_some())
            && !list.iter().any(|n| n.eq_ignore_ascii_case(&network))
        {
            problems.push(format!("Network: choose one of {}", list.join(", ")));
        }
        let amount = match self.number_format.parse_amount(&self.amount, ORDER_FIAT) {
            Ok(amount) => Some(amount),
            Err(error) => {
                problems.push(format!("Amount (EUR): {error}"));
                None
            }
        };
        match (currency, amount) {
            (Some(currency), Some(fiat_amount)) if problems.is_empty() => Ok(OrderIntent {
                currency,
                network,
                fiat_amount,
                fiat: Currency::new(ORDER_FIAT),
            }),
            _ => Err(problems),
        }
    }
}

impl TradeKind for OrderTicket {
    type Intent = OrderIntent;
    type Lock = OrderLock;
    type Accepted = OrderCreated;
    type LockRequest = OrderLockRequest;
    /// `POST /v1/order` carries only the lock id.
    type Post = OrderCreateRequest;
    /// The rates list does not depend on the fields: it is asked for once, as the form opens.
    type PriceRequest = OrderRatesRequest;
    type Price = OrderRates;
    const KIND: &'static str = "order";
    const TITLE: &'static str = "Order";
    const INTENT_PREFIX: &'static str = "or";

    kind_variants!(Order);
    form_state!();
    fn remote_id(created: &OrderCreated) -> &str {
        &created.order_id
    }
    fn next_field(&mut self) {
        OrderTicket::next_field(self);
    }
    fn prev_field(&mut self) {
        OrderTicket::prev_field(self);
    }
    fn field_id(&self) -> FieldId {
        FieldId::Order(self.field)
    }
    fn field_text_mut(&mut self) -> &mut String {
        OrderTicket::field_text_mut(self)
    }
    fn amount_focused(&self) -> bool {
        self.field == OrderField::Amount
    }
    fn choose(&mut self, balances: &BalancesPane, step: isize) -> bool {
        let networks = |currency: &str| {
            balances
                .find(&Currency::new(currency))
                .map(crate::app::balances::BalanceRow::networks)
                .unwrap_or_default()
        };
        match self.field {
            OrderField::Currency => {
                let Some(next) = cycle_currency(&self.currency, balances, step, true)
                    .filter(|next| !next.eq_ignore_ascii_case(&self.currency))
                else {
                    // Nothing else to choose (one crypto, or none loaded): the network the
                    // user chose stays.
                    return false;
                };
                self.currency = next;
                // A new currency: preselect its first network.
                self.network = networks(&self.currency)
                    .first()
                    .cloned()
                    .unwrap_or_default();
                true
            }
            OrderField::Network => cycle(&networks(&self.currency), &self.network, step)
                .map(|next| self.network = next)
                .is_some(),
            OrderField::Amount => false,
        }
    }
    fn has_max(&self) -> bool {
        false
    }
    fn fill_max(&mut self, _: &BalancesPane, _: NumberFormat) -> Result<bool, &'static str> {
        Err("An order is paid by its payer: there is no balance to fill it from")
    }

    fn validate(&self, balances: &BalancesPane) -> Result<OrderIntent, Vec<String>> {
        OrderTicket::validate(self, balances)
    }
    fn price_on_open(&self) -> Option<OrderRatesRequest> {
        Some(OrderRatesRequest)
    }
    fn price_request(&self, _balances: &BalancesPane) -> Option<OrderRatesRequest> {
        None
    }
    // The rates list stays right whatever is typed.
    fn forget_price(&mut self) {}
    // The rates list stays right whatever is typed: the answer to the request made as the
    // form opened fits it all along.
    fn price_fits(&self, seq: u64) -> bool {
        self.opened_seq == seq
    }
    fn set_price(&mut self, result: Result<OrderRates, ApiError>) {
        match result {
            Ok(rates) => self.rates = Some(rates),
            Err(error) => self.rates_error = Some(error.user_message()),
        }
    }
    fn lock_request(intent: &OrderIntent) -> OrderLockRequest {
        OrderLockRequest {
            currency: intent.currency.clone(),
            amount: intent.fiat_amount,
            network: intent.network.clone(),
        }
    }
    fn check(
        &self,
        intent: &OrderIntent,
        lock: &OrderLock,
        policy: &LockPolicy,
        now: DateTime<Utc>,
    ) -> LockVerdict {
        check_order_lock(intent, lock, policy, self.indicative_rate(), now)
    }
    fn describe(intent: &OrderIntent) -> String {
        format!(
            "{} {} paid in {} on {}",
            intent.fiat_amount, intent.fiat, intent.currency, intent.network
        )
    }
    fn limited_amount(intent: &OrderIntent) -> (&Currency, Decimal) {
        (&intent.fiat, intent.fiat_amount)
    }
    fn lock_id(lock: &OrderLock) -> &str {
        &lock.lock_id
    }
    fn expires_at(lock: &OrderLock) -> DateTime<Utc> {
        lock.expires_at
    }
    fn intent_event(intent: &OrderIntent, lock: &OrderLock) -> Event {
        Event::OrderIntent {
            currency: intent.currency.as_str().to_string(),
            network: intent.network.clone(),
            fiat_amount: intent.fiat_amount,
            fiat_currency: intent.fiat.as_str().to_string(),
            crypto_amount: lock.amount,
            rate: lock.rate,
            lock_id: lock.lock_id.clone(),
        }
    }
    fn post(_intent: &OrderIntent, lock: &OrderLock) -> OrderCreateRequest {
        OrderCreateRequest {
            lock_id: lock.lock_id.clone(),
        }
    }
}

/// The order form's price request: the whole rates list, nothing to ask it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderRatesRequest;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::Balances;

    fn balances(crypto: &str) -> BalancesPane {
        let json = format!(r#"{{"fiatBalances": [], "cryptoBalances": [{crypto}]}}"#);
        let mut pane = BalancesPane::default();
        pane.load(
            serde_json::from_str::<Balances>(&json).expect("balances"),
            chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
        );
        pane
    }

    const USDC: &str = r#"{"id": "c-usdc", "amount": "10", "name": "usdc", "rate": 0.9,
        "networkConfig": {"ethereum": {}, "polygon": {}}}"#;
    const USDT: &str = r#"{"id": "c-usdt", "amount": "10", "name": "usdt", "rate": 0.9,
        "networkConfig": {"tron": {}}}"#;

    #[test]
    fn choosing_the_crypto_again_keeps_the_network_and_a_new_one_preselects_its_first() {
        let one = balances(USDC);
        let mut ticket = OrderTicket::new("usdc", "ethereum", 1);
        ticket.field = OrderField::Network;
        assert!(ticket.choose(&one, 1));
        assert_eq!(ticket.network, "polygon");
        // Only one crypto to choose from: the network the user chose stays.
        ticket.field = OrderField::Currency;
        assert!(!ticket.choose(&one, 1));
        assert_eq!(
            (ticket.currency.as_str(), ticket.network.as_str()),
            ("USDC", "polygon")
        );
        // Nothing loaded yet: nothing to choose, nothing blanked.
        assert!(!ticket.choose(&BalancesPane::default(), 1));
        assert_eq!(ticket.network, "polygon");
        // Another crypto: its first network.
        let two = balances(&format!("{USDC}, {USDT}"));
        assert!(ticket.choose(&two, 1));
        assert_eq!(ticket.currency, "USDT");
        assert_eq!(ticket.network, "tron");
    }
}
