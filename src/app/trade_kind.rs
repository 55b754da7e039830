//! What makes one money-moving action differ from another, as a trait: its form's fields and
//! validation, indicative price, lock request, lock check, journal line and POST. The flow
//! (edit -> price -> lock -> check -> confirm -> journal -> send once -> answer) is written once
//! over it in `trading.rs`, `ticket_actions.rs` and `submit.rs`; `Cmd` and `Msg` carry every
//! kind through the enums of `money_actions.rs`; the dialog is drawn once over
//! `ui::ticket::TicketView`. Each kind implements this trait in its form's file
//! (`ticket/exchange.rs`, `ticket/order.rs`) and is named once, in `money_actions!`; README's
//! "Adding a money action" lists the steps.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::balances::BalancesPane;
use super::keyboard::FieldId;
use super::money_actions::{
    LockRequest, MoneyPost, PriceRequest, Ticket, TradeAccepted, TradeLock, TradePrice,
};
use super::ticket::Stage;
use crate::api::error::ApiError;
use crate::api::models::Currency;
use crate::journal::Event;
use crate::lock_check::{LockPolicy, LockVerdict};
use crate::number_format::NumberFormat;

/// The `TradeKind` methods every form writes the same way, over its `seq`, `stage` and
/// `requested` fields: invoked inside each `impl TradeKind`.
macro_rules! form_state {
    () => {
        fn seq(&self) -> u64 {
            self.seq
        }
        fn set_seq(&mut self, seq: u64) {
            self.seq = seq;
        }
        fn stage(&self) -> &$crate::app::ticket::Stage<Self::Lock> {
            &self.stage
        }
        fn stage_mut(&mut self) -> &mut $crate::app::ticket::Stage<Self::Lock> {
            &mut self.stage
        }
        fn requested(&self) -> Option<&Self::Intent> {
            self.requested.as_ref()
        }
        fn set_requested(&mut self, intent: Option<Self::Intent>) {
            self.requested = intent;
        }
    };
}
pub(crate) use form_state;

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

#[cfg(test)]
#[path = "trade_kind_tests.rs"]
mod tests;
