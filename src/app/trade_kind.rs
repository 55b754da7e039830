//! What makes one money-moving action differ from another, as a trait: its form's fields and
//! validation, indicative price, lock request, lock check, journal line and POST. The flow
//! (edit -> price -> lock -> check -> confirm -> journal -> send once -> answer) is written once
//! over it in `trading.rs`, `ticket_actions.rs` and `submit.rs`, the `Cmd`s and `Msg`s carry
//! the kinds through the enums of `money_actions.rs`, and the dialog is drawn once over
//! `ui::ticket::TicketView`. A third action (a withdrawal) implements this trait for its form
//! and is added to the one list, `money_actions!`; README's "Adding a money action" lists the
//! rest.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::balances::BalancesPane;
use super::keyboard::FieldId;
use super::money_actions::{
    LockRequest, MoneyPost, PriceRequest, Ticket, TradeAccepted, TradeLock, TradePrice,
    kind_variants,
};
use super::ticket::{
    ExchangeField, ExchangeTicket, OrderField, OrderTicket, Stage, cycle, cycle_currency,
};
use crate::api::error::ApiError;
use crate::api::models::{
    Currency, ExchangeAccepted, ExchangeLock, ExchangeRate, ExchangeRequest, OrderCreateRequest,
    OrderCreated, OrderLock, OrderLockRequest, OrderRates,
};
use crate::journal::Event;
use crate::lock_check::{
    ExchangeIntent, LockPolicy, LockVerdict, OrderIntent, check_exchange_lock, check_order_lock,
};
use crate::money;
use crate::number_format::NumberFormat;

/// A ticket form for one kind of money-moving action.
pub trait TradeKind {
    /// What the user asked for, validated.
    type Intent: Clone;
    /// The server's rate lock for it.
    type Lock: Clone + std::fmt::Debug + PartialEq;
    /// P100's answer to the POST, holding the new remote id.
    type Accepted: Clone + std::fmt::Debug + PartialEq;
    /// What the lock is asked with.
    type LockRequest: Clone + std::fmt::Debug + PartialEq;
    /// The body of the money-moving POST.
    type Post: Clone + std::fmt::Debug + PartialEq;
    /// What the indicative price is asked with, and what answers.
    type PriceRequest: Clone + std::fmt::Debug + PartialEq;
    type Price: Clone + std::fmt::Debug + PartialEq;
    /// `exchange`, `order`: in the journal and in messages.
    const KIND: &'static str;
    /// `Exchange`, `Order`: at the start of a message.
    const TITLE: &'static str;
    /// The prefix of this kind's intent ids in the journal.
    const INTENT_PREFIX: &'static str;

    /// The open-ticket enum holding this form, and back (a ticket of another kind is handed
    /// back boxed: the rare case, and it keeps the result small). This and the other
    /// wrap/unwrap methods below come from `money_actions::kind_variants!`.
    fn into_ticket(self) -> Ticket;
    fn from_ticket(ticket: Ticket) -> Result<Self, Box<Ticket>>
    where
        Self: Sized;
    fn wrap_lock_request(request: Self::LockRequest) -> LockRequest;
    fn wrap_post(post: Self::Post) -> MoneyPost;
    fn wrap_price_request(request: Self::PriceRequest) -> PriceRequest;
    /// This kind's lock, answer or price as the answers' enums carry them (the API calls of
    /// `runtime::trade_calls` wrap them by hand; tests and other callers use these).
    fn wrap_lock(lock: Self::Lock) -> TradeLock;
    fn wrap_accepted(accepted: Self::Accepted) -> TradeAccepted;
    fn wrap_price(price: Self::Price) -> TradePrice;
    /// This kind's lock, answer or price out of the enums (`None`: another kind's).
    fn lock_of(lock: TradeLock) -> Option<Self::Lock>;
    fn accepted_of(accepted: TradeAccepted) -> Option<Self::Accepted>;
    fn price_of(price: TradePrice) -> Option<Self::Price>;
    /// The id P100 gave the accepted POST.
    fn remote_id(accepted: &Self::Accepted) -> &str;

    fn seq(&self) -> u64;
    fn set_seq(&mut self, seq: u64);
    /// The form's fields: focus moves, the focused one's id and text, whether it is the amount.
    fn next_field(&mut self);
    fn prev_field(&mut self);
    fn field_id(&self) -> FieldId;
    fn field_text_mut(&mut self) -> &mut String;
    fn amount_focused(&self) -> bool;
    /// Up/Down in a choice field (currency, network): the next option we hold; whether the
    /// form changed.
    fn choose(&mut self, balances: &BalancesPane, step: isize) -> bool;
    /// Whether Max can fill the amount from a balance (an order is paid by its payer: no).
    fn has_max(&self) -> bool;
    /// Max in the editing form: the amount filled with the whole balance it is paid from
    /// (typed in `format`); `Err` says why this form has no maximum, `Ok(false)` that there
    /// was nothing to fill from.
    fn fill_max(
        &mut self,
        balances: &BalancesPane,
        format: NumberFormat,
    ) -> Result<bool, &'static str>;
    fn stage(&self) -> &Stage<Self::Lock>;
    fn stage_mut(&mut self) -> &mut Stage<Self::Lock>;
    /// What the last lock request asked for.
    fn requested(&self) -> Option<&Self::Intent>;
    fn set_requested(&mut self, intent: Option<Self::Intent>);

    /// The form checked against what we hold: the intent, or every problem in field order.
    fn validate(&self, balances: &BalancesPane) -> Result<Self::Intent, Vec<String>>;
    /// The indicative price asked for as the form opens (`None`: it depends on the fields,
    /// see [`price_request`](Self::price_request)).
    fn price_on_open(&self) -> Option<Self::PriceRequest>;
    /// The indicative price for what the form says now, asked for (debounced) after an edit;
    /// `None` when the fields are not valid or the price does not depend on them.
    fn price_request(&self, balances: &BalancesPane) -> Option<Self::PriceRequest>;
    /// The fields changed: the price shown for the old values is dropped (if it depended on
    /// them).
    fn forget_price(&mut self);
    /// Whether a price asked for at ticket `seq` still fits the form.
    fn price_fits(&self, seq: u64) -> bool;
    /// The indicative price arrived, or why it did not.
    fn set_price(&mut self, result: Result<Self::Price, ApiError>);
    /// What a lock of `intent` is asked with.
    fn lock_request(intent: &Self::Intent) -> Self::LockRequest;
    /// The lock checked against the intent (see `lock_check`), with this form's last
    /// indicative quote.
    fn check(
        &self,
        intent: &Self::Intent,
        lock: &Self::Lock,
        policy: &LockPolicy,
        now: DateTime<Utc>,
    ) -> LockVerdict;
    /// The intent in a few words, for the journal ("1 EUR -> USDC").
    fn describe(intent: &Self::Intent) -> String;
    /// The amount the profile's limit applies to, and the amount typed again to confirm.
    fn limited_amount(intent: &Self::Intent) -> (&Currency, Decimal);
    fn lock_id(lock: &Self::Lock) -> &str;
    fn expires_at(lock: &Self::Lock) -> DateTime<Utc>;
    /// The journal line written (synced) before the POST: the intent and the terms shown.
    fn intent_event(intent: &Self::Intent, lock: &Self::Lock) -> Event;
    /// The POST sent once on `lock` for `intent`: built from what the user typed plus the
    /// lock's id, never from the lock's echo.
    fn post(intent: &Self::Intent, lock: &Self::Lock) -> Self::Post;
}

impl TradeKind for ExchangeTicket {
    type Intent = ExchangeIntent;
    type Lock = ExchangeLock;
    type Accepted = ExchangeAccepted;
    type LockRequest = ExchangeIntent;
    type Post = ExchangeRequest;
    type PriceRequest = ExchangeIntent;
    type Price = ExchangeRate;
    const KIND: &'static str = "exchange";
    const TITLE: &'static str = "Exchange";
    const INTENT_PREFIX: &'static str = "ex";

    kind_variants!(Exchange);
    fn remote_id(accepted: &ExchangeAccepted) -> &str {
        &accepted.exchange_id
    }
    fn next_field(&mut self) {
        ExchangeTicket::next_field(self);
    }
    fn prev_field(&mut self) {
        ExchangeTicket::prev_field(self);
    }
    fn field_id(&self) -> FieldId {
        FieldId::Exchange(self.field)
    }
    fn field_text_mut(&mut self) -> &mut String {
        ExchangeTicket::field_text_mut(self)
    }
    fn amount_focused(&self) -> bool {
        self.field == ExchangeField::Amount
    }
    fn choose(&mut self, balances: &BalancesPane, step: isize) -> bool {
        if self.field == ExchangeField::Amount {
            return false;
        }
        let next = cycle_currency(ExchangeTicket::field_text_mut(self), balances, step, false);
        next.map(|next| *ExchangeTicket::field_text_mut(self) = next)
            .is_some()
    }
    fn has_max(&self) -> bool {
        true
    }
    fn fill_max(
        &mut self,
        balances: &BalancesPane,
        format: NumberFormat,
    ) -> Result<bool, &'static str> {
        if self.stage != Stage::Editing {
            return Ok(false);
        }
        let from = Currency::new(&self.from);
        Ok(balances
            .find(&from)
            .map(|row| {
                self.amount = plain_amount(row.amount, from.as_str(), format);
                self.field = ExchangeField::Amount;
            })
            .is_some())
    }

    fn seq(&self) -> u64 {
        self.seq
    }
    fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }
    fn stage(&self) -> &Stage<ExchangeLock> {
        &self.stage
    }
    fn stage_mut(&mut self) -> &mut Stage<ExchangeLock> {
        &mut self.stage
    }
    fn requested(&self) -> Option<&ExchangeIntent> {
        self.requested.as_ref()
    }
    fn set_requested(&mut self, intent: Option<ExchangeIntent>) {
        self.requested = intent;
    }
    fn validate(&self, balances: &BalancesPane) -> Result<ExchangeIntent, Vec<String>> {
        ExchangeTicket::validate(self, balances)
    }
    fn price_on_open(&self) -> Option<ExchangeIntent> {
        None
    }
    fn price_request(&self, balances: &BalancesPane) -> Option<ExchangeIntent> {
        ExchangeTicket::validate(self, balances).ok()
    }
    fn forget_price(&mut self) {
        self.quote = None;
        self.quote_error = None;
    }
    // A quote is for the pair and amount typed when it was asked: an older one is dropped.
    fn price_fits(&self, seq: u64) -> bool {
        self.seq == seq
    }
    fn set_price(&mut self, result: Result<ExchangeRate, ApiError>) {
        match result {
            Ok(quote) => self.quote = Some(quote),
            Err(error) => self.quote_error = Some(error.user_message()),
        }
    }
    fn lock_request(intent: &ExchangeIntent) -> ExchangeIntent {
        intent.clone()
    }
    fn check(
        &self,
        intent: &ExchangeIntent,
        lock: &ExchangeLock,
        policy: &LockPolicy,
        now: DateTime<Utc>,
    ) -> LockVerdict {
        check_exchange_lock(intent, lock, policy, self.quoted_rate(intent), now)
    }
    fn describe(intent: &ExchangeIntent) -> String {
        format!("{} {} -> {}", intent.amount, intent.from, intent.to)
    }
    fn limited_amount(intent: &ExchangeIntent) -> (&Currency, Decimal) {
        (&intent.from, intent.amount)
    }
    fn lock_id(lock: &ExchangeLock) -> &str {
        &lock.lock_id
    }
    fn expires_at(lock: &ExchangeLock) -> DateTime<Utc> {
        lock.expires_at
    }
    fn intent_event(intent: &ExchangeIntent, lock: &ExchangeLock) -> Event {
        Event::ExchangeIntent {
            from: intent.from.as_str().to_string(),
            to: intent.to.as_str().to_string(),
            amount: intent.amount,
            amount_to: lock.amount_to,
            rate: lock.rate,
            lock_id: lock.lock_id.clone(),
        }
    }
    fn post(intent: &ExchangeIntent, lock: &ExchangeLock) -> ExchangeRequest {
        intent.request(&lock.lock_id)
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
                .map(super::balances::BalanceRow::networks)
                .unwrap_or_default()
        };
        match self.field {
            OrderField::Currency => {
                let next = cycle_currency(&self.currency, balances, step, true);
                let changed = next.map(|next| self.currency = next).is_some();
                // A new currency: preselect its first network.
                self.network = networks(&self.currency)
                    .first()
                    .cloned()
                    .unwrap_or_default();
                changed
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

    fn seq(&self) -> u64 {
        self.seq
    }
    fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }
    fn stage(&self) -> &Stage<OrderLock> {
        &self.stage
    }
    fn stage_mut(&mut self) -> &mut Stage<OrderLock> {
        &mut self.stage
    }
    fn requested(&self) -> Option<&OrderIntent> {
        self.requested.as_ref()
    }
    fn set_requested(&mut self, intent: Option<OrderIntent>) {
        self.requested = intent;
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

/// An amount as a user would type it: no grouping, every decimal the balance has (up to the
/// currency's scale; more cannot be typed, so they are cut, never rounded up past the balance).
fn plain_amount(amount: Decimal, currency: &str, format: NumberFormat) -> String {
    let scale = money::scale_of(currency).unwrap_or(money::MAX_SCALE);
    let text = amount.trunc_with_scale(scale).normalize().to_string();
    // Typed back in the user's own number format, so it parses as what is shown.
    text.replace('.', &format.decimal_separator().to_string())
}

#[cfg(test)]
#[path = "trade_kind_tests.rs"]
mod tests;
