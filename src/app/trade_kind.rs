//! What makes one money-moving action differ from another, as a trait: its form's intent, lock
//! request, lock check, journal line and POST. The flow (edit -> lock -> check -> confirm ->
//! journal -> send once) is written once over it in `trading.rs` and `submit.rs`; a third
//! action (a withdrawal) implements this trait for its form and adds a `Ticket` variant (and its
//! arm in `ticket::each_kind!`); README's "Adding a money action" lists the rest.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::balances::BalancesPane;
use super::cmd::Cmd;
use super::keyboard::FieldId;
use super::ticket::{ExchangeField, ExchangeTicket, OrderField, OrderTicket, Stage, Ticket};
use crate::api::models::{
    Currency, ExchangeAccepted, ExchangeLock, OrderCreated, OrderLock, OrderLockRequest,
};
use crate::journal::{Entry, Event};
use crate::lock_check::{
    ExchangeIntent, LockPolicy, LockVerdict, OrderIntent, check_exchange_lock, check_order_lock,
};

/// A ticket form for one kind of money-moving action.
pub trait TradeKind {
    /// What the user asked for, validated.
    type Intent: Clone;
    /// The server's rate lock for it.
    type Lock: Clone;
    /// P100's answer to the POST, holding the new remote id.
    type Accepted;
    /// `exchange`, `order`: in the journal and in messages.
    const KIND: &'static str;
    /// `Exchange`, `Order`: at the start of a message.
    const TITLE: &'static str;
    /// The prefix of this kind's intent ids in the journal.
    const INTENT_PREFIX: &'static str;

    /// The open-ticket enum holding this form, and back (a ticket of another kind is handed
    /// back boxed: the rare case, and it keeps the result small).
    fn into_ticket(self) -> Ticket;
    fn from_ticket(ticket: Ticket) -> Result<Self, Box<Ticket>>
    where
        Self: Sized;
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
    /// Whether Max can fill the amount from a balance (an order is paid by its payer: no).
    fn has_max(&self) -> bool;
    fn stage(&self) -> &Stage<Self::Lock>;
    fn stage_mut(&mut self) -> &mut Stage<Self::Lock>;
    /// What the last lock request asked for.
    fn requested(&self) -> Option<&Self::Intent>;
    fn set_requested(&mut self, intent: Option<Self::Intent>);

    /// The form checked against what we hold: the intent, or every problem in field order.
    fn validate(&self, balances: &BalancesPane) -> Result<Self::Intent, Vec<String>>;
    /// The command that asks for a lock of `intent`.
    fn lock_cmd(seq: u64, intent: &Self::Intent) -> Cmd;
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
    /// The command that journals `entry` and sends the POST once, before `deadline`.
    fn submit_cmd(
        entry: Entry,
        intent: &Self::Intent,
        lock: &Self::Lock,
        deadline: DateTime<Utc>,
    ) -> Cmd;
}

impl TradeKind for ExchangeTicket {
    type Intent = ExchangeIntent;
    type Lock = ExchangeLock;
    type Accepted = ExchangeAccepted;
    const KIND: &'static str = "exchange";
    const TITLE: &'static str = "Exchange";
    const INTENT_PREFIX: &'static str = "ex";

    fn into_ticket(self) -> Ticket {
        Ticket::Exchange(self)
    }
    // Any other kind, today's and a future one's, is not this form.
    #[allow(clippy::match_wildcard_for_single_variants)]
    fn from_ticket(ticket: Ticket) -> Result<Self, Box<Ticket>> {
        match ticket {
            Ticket::Exchange(t) => Ok(t),
            other => Err(Box::new(other)),
        }
    }
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
    fn has_max(&self) -> bool {
        true
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
    fn lock_cmd(seq: u64, intent: &ExchangeIntent) -> Cmd {
        Cmd::LockExchange {
            seq,
            from: intent.from.clone(),
            to: intent.to.clone(),
            amount: intent.amount,
        }
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
    fn submit_cmd(
        entry: Entry,
        intent: &ExchangeIntent,
        lock: &ExchangeLock,
        deadline: DateTime<Utc>,
    ) -> Cmd {
        Cmd::SubmitExchange {
            intent: entry,
            request: intent.request(&lock.lock_id),
            deadline,
        }
    }
}

impl TradeKind for OrderTicket {
    type Intent = OrderIntent;
    type Lock = OrderLock;
    type Accepted = OrderCreated;
    const KIND: &'static str = "order";
    const TITLE: &'static str = "Order";
    const INTENT_PREFIX: &'static str = "or";

    fn into_ticket(self) -> Ticket {
        Ticket::Order(self)
    }
    // Any other kind, today's and a future one's, is not this form.
    #[allow(clippy::match_wildcard_for_single_variants)]
    fn from_ticket(ticket: Ticket) -> Result<Self, Box<Ticket>> {
        match ticket {
            Ticket::Order(t) => Ok(t),
            other => Err(Box::new(other)),
        }
    }
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
    fn has_max(&self) -> bool {
        false
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
    fn lock_cmd(seq: u64, intent: &OrderIntent) -> Cmd {
        Cmd::LockOrder {
            seq,
            request: OrderLockRequest {
                currency: intent.currency.clone(),
                amount: intent.fiat_amount,
                network: intent.network.clone(),
            },
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
    fn submit_cmd(
        entry: Entry,
        _intent: &OrderIntent,
        lock: &OrderLock,
        deadline: DateTime<Utc>,
    ) -> Cmd {
        // `POST /v1/order` carries only the lock id.
        Cmd::SubmitOrder {
            intent: entry,
            lock_id: lock.lock_id.clone(),
            deadline,
        }
    }
}
