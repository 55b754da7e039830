//! The exchange form: sell one balance for another. Its fields, validation as the user types,
//! and what makes it a [`TradeKind`]: the quote, the lock request and check, the journal line
//! and `POST /v1/partner/exchange`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::Stage;
use crate::api::error::ApiError;
use crate::api::models::{Currency, ExchangeAccepted, ExchangeLock, ExchangeRate, ExchangeRequest};
use crate::app::balances::BalancesPane;
use crate::app::keyboard::FieldId;
use crate::app::money_actions::kind_variants;
use crate::app::ticket::cycle_currency;
use crate::app::trade_kind::{TradeKind, form_state};
use crate::journal::Event;
use crate::lock_check::{ExchangeIntent, LockPolicy, LockVerdict, check_exchange_lock};
use crate::money;
use crate::number_format::NumberFormat;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeField {
    From,
    To,
    Amount,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeTicket {
    /// Bumped on every edit and lock; answers for an older `seq` are dropped.
    pub seq: u64,
    pub from: String,
    pub to: String,
    pub amount: String,
    pub field: ExchangeField,
    pub quote: Option<ExchangeRate>,
    pub quote_error: Option<String>,
    pub stage: Stage<ExchangeLock>,
    /// What the last lock request asked for: the lock is checked against it and the POST is
    /// built from it (never from the lock's echo).
    pub requested: Option<ExchangeIntent>,
    /// How the amount is typed (the `number_format` setting).
    pub number_format: NumberFormat,
}

/// A validated exchange, ready to quote or lock: what the user asked for.
pub type ValidExchange = ExchangeIntent;

impl ExchangeTicket {
    pub fn new(from: &str, to: &str, seq: u64) -> Self {
        Self {
            seq,
            from: from.to_ascii_uppercase(),
            to: to.to_ascii_uppercase(),
            amount: String::new(),
            field: ExchangeField::Amount,
            quote: None,
            quote_error: None,
            stage: Stage::Editing,
            requested: None,
            number_format: NumberFormat::default(),
        }
    }

    /// The indicative rate last quoted for exactly this pair, if one arrived.
    pub fn quoted_rate(&self, intent: &ExchangeIntent) -> Option<Decimal> {
        self.quote
            .as_ref()
            .filter(|quote| quote.currency_from == intent.from && quote.currency_to == intent.to)
            .map(|quote| quote.rate)
    }

    pub fn next_field(&mut self) {
        self.field = match self.field {
            ExchangeField::From => ExchangeField::To,
            ExchangeField::To => ExchangeField::Amount,
            ExchangeField::Amount => ExchangeField::From,
        };
    }

    pub fn prev_field(&mut self) {
        self.field = match self.field {
            ExchangeField::From => ExchangeField::Amount,
            ExchangeField::To => ExchangeField::From,
            ExchangeField::Amount => ExchangeField::To,
        };
    }

    pub fn field_text_mut(&mut self) -> &mut String {
        match self.field {
            ExchangeField::From => &mut self.from,
            ExchangeField::To => &mut self.to,
            ExchangeField::Amount => &mut self.amount,
        }
    }

    /// Checks the form against what we hold. Every problem, in field order.
    pub fn validate(&self, balances: &BalancesPane) -> Result<ValidExchange, Vec<String>> {
        let mut problems = Vec::new();
        let from = known_currency(&self.from, balances, "From", &mut problems);
        let to = known_currency(&self.to, balances, "To", &mut problems);
        if let (Some(from), Some(to)) = (&from, &to)
            && from == to
        {
            problems.push("From and To must differ".into());
        }
        let currency = from.as_ref().map_or("", Currency::as_str);
        let amount = match self.number_format.parse_amount(&self.amount, currency) {
            Ok(amount) => Some(amount),
            Err(error) => {
                problems.push(format!("Amount: {error}"));
                None
            }
        };
        if let (Some(from), Some(amount)) = (&from, amount)
            && let Some(balance) = balances.find(from)
            && amount > balance.amount
        {
            problems.push(format!(
                "Amount is above the available {} {from}",
                self.number_format
                    .format_amount(balance.amount, from.as_str())
            ));
        }
        match (from, to, amount) {
            (Some(from), Some(to), Some(amount)) if problems.is_empty() => {
                Ok(ValidExchange { from, to, amount })
            }
            _ => Err(problems),
        }
    }
}

fn known_currency(
    text: &str,
    balances: &BalancesPane,
    field: &str,
    problems: &mut Vec<String>,
) -> Option<Currency> {
    let currency = Currency::new(text);
    if currency.as_str().is_empty() {
        problems.push(format!("{field}: enter a currency"));
        return None;
    }
    if balances.find(&currency).is_none() {
        problems.push(format!("{field}: {currency} is not one of your balances"));
        return None;
    }
    Some(currency)
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
    form_state!();
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

/// An amount as a user would type it: no grouping, every decimal the balance has (up to the
/// currency's scale; more cannot be typed, so they are cut, never rounded up past the balance).
fn plain_amount(amount: Decimal, currency: &str, format: NumberFormat) -> String {
    let scale = money::scale_of(currency).unwrap_or(money::MAX_SCALE);
    let text = amount.trunc_with_scale(scale).normalize().to_string();
    // Typed back in the user's own number format, so it parses as what is shown.
    text.replace('.', &format.decimal_separator().to_string())
}
