//! The tickets: opening them, editing with live validation and indicative rates, locking a
//! rate, and the explicit confirmation that hands over to `submit.rs`.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rust_decimal::Decimal;

use super::balances::{BalanceKind, BalanceRow};
use super::cmd::Cmd;
use super::ticket::{
    ExchangeField, ExchangeTicket, LOCK_SAFETY_MARGIN_MS, LockClock, OrderField, OrderTicket,
    Stage, StageKind, Ticket, cycle, cycle_currency, lock_clock,
};
use super::{App, Level};
use crate::api::error::ApiError;
use crate::api::models::{
    Currency, ExchangeLock, ExchangeRate, OrderLock, OrderLockRequest, OrderRates,
};
use crate::journal::Event;
use crate::lock_check::{LockVerdict, check_exchange_lock, check_order_lock};
use crate::money;

/// Wait after the last keystroke before asking for an indicative quote.
pub const QUOTE_DEBOUNCE: Duration = Duration::from_millis(400);

impl App {
    /// Why trading keys are refused right now, if they are.
    pub fn trading_refusal(&self) -> Option<String> {
        if self.session.read_only {
            return Some("Read-only session: tickets are disabled".into());
        }
        if let Some(reason) = &self.trading_blocked {
            return Some(format!("Trading is disabled: {reason}"));
        }
        if self.balances.rows.is_empty() {
            return Some("Balances are not loaded yet".into());
        }
        None
    }

    pub(super) fn open_exchange_ticket(&mut self) -> Vec<Cmd> {
        if let Some(reason) = self.trading_refusal() {
            self.note(Level::Warning, reason);
            return Vec::new();
        }
        // The balance the user last selected, whichever pane has focus now (after a submit
        // the focus is on Live); else the first crypto balance that holds something.
        let crypto = |row: &&BalanceRow| matches!(row.kind, BalanceKind::Crypto { .. });
        let from = self
            .balances
            .selected()
            .or_else(|| {
                let mut cryptos = self.balances.rows.iter().filter(crypto);
                let first = cryptos.clone().next();
                cryptos.find(|row| row.amount > Decimal::ZERO).or(first)
            })
            .map_or_else(String::new, |row| row.currency.as_str().to_string());
        let to = if money::is_fiat(&from) { "usdc" } else { "eur" };
        self.ticket_seq += 1;
        self.ticket = Some(Ticket::Exchange(ExchangeTicket::new(
            &from,
            to,
            self.ticket_seq,
        )));
        Vec::new()
    }

    pub(super) fn open_order_ticket(&mut self) -> Vec<Cmd> {
        if let Some(reason) = self.trading_refusal() {
            self.note(Level::Warning, reason);
            return Vec::new();
        }
        let selected = self
            .balances
            .selected()
            .filter(|row| !row.networks().is_empty())
            .or_else(|| {
                self.balances
                    .rows
                    .iter()
                    .find(|row| !row.networks().is_empty())
            });
        let (currency, network) = selected.map_or((String::new(), String::new()), |row| {
            (
                row.currency.as_str().to_string(),
                row.networks().first().cloned().unwrap_or_default(),
            )
        });
        self.ticket_seq += 1;
        self.ticket = Some(Ticket::Order(OrderTicket::new(
            &currency,
            &network,
            self.ticket_seq,
        )));
        vec![Cmd::LoadOrderRates]
    }

    pub(super) fn on_ticket_key(&mut self, key: &KeyEvent) -> Vec<Cmd> {
        let Some(ticket) = self.ticket.as_ref() else {
            return Vec::new();
        };
        let stage = ticket.stage_kind();
        let locked = stage == StageKind::Locked;
        let editing = stage == StageKind::Editing;
        let rejected = stage == StageKind::Rejected;
        let submitting = stage == StageKind::Submitting;
        if submitting {
            // The POST is on its way: nothing to cancel; its answer closes the ticket.
            return Vec::new();
        }
        match key.code {
            KeyCode::Esc => {
                self.ticket = None;
                Vec::new()
            }
            KeyCode::Char('n') if locked => {
                self.ticket = None;
                Vec::new()
            }
            KeyCode::Char('y') if locked => self.confirm(),
            KeyCode::Char('l') if locked || rejected => self.request_lock(),
            KeyCode::Backspace if locked => {
                self.edit_retype(None);
                Vec::new()
            }
            KeyCode::Char(c) if locked && (c.is_ascii_digit() || c == '.') => {
                self.edit_retype(Some(c));
                Vec::new()
            }
            KeyCode::Enter if editing => self.request_lock(),
            _ if editing => self.edit_ticket(key),
            _ => Vec::new(),
        }
    }

    fn edit_retype(&mut self, typed: Option<char>) {
        let retype = match &mut self.ticket {
            Some(Ticket::Exchange(t)) => match &mut t.stage {
                Stage::Locked {
                    retype: Some(text), ..
                } => text,
                _ => return,
            },
            Some(Ticket::Order(t)) => match &mut t.stage {
                Stage::Locked {
                    retype: Some(text), ..
                } => text,
                _ => return,
            },
            None => return,
        };
        match typed {
            Some(c) => retype.push(c),
            None => {
                retype.pop();
            }
        }
    }

    /// Field editing keys; every change bumps `seq` (dropping answers for the old values) and
    /// schedules a debounced indicative quote.
    fn edit_ticket(&mut self, key: &KeyEvent) -> Vec<Cmd> {
        let balances = &self.balances;
        let Some(ticket) = self.ticket.as_mut() else {
            return Vec::new();
        };
        let changed = match ticket {
            Ticket::Exchange(t) => match key.code {
                KeyCode::Tab => {
                    t.next_field();
                    false
                }
                KeyCode::BackTab => {
                    t.prev_field();
                    false
                }
                KeyCode::Up | KeyCode::Down if t.field != ExchangeField::Amount => {
                    let step = if key.code == KeyCode::Up { -1 } else { 1 };
                    let next = cycle_currency(t.field_text_mut(), balances, step, false);
                    next.map(|next| *t.field_text_mut() = next).is_some()
                }
                _ => {
                    let letters = t.field != ExchangeField::Amount;
                    edit_text(t.field_text_mut(), key, letters)
                }
            },
            Ticket::Order(t) => match key.code {
                KeyCode::Tab => {
                    t.next_field();
                    false
                }
                KeyCode::BackTab => {
                    t.prev_field();
                    false
                }
                KeyCode::Up | KeyCode::Down if t.field == OrderField::Currency => {
                    let step = if key.code == KeyCode::Up { -1 } else { 1 };
                    let next = cycle_currency(&t.currency, balances, step, true);
                    let changed = next.map(|next| t.currency = next).is_some();
                    // A new currency: preselect its first network.
                    let networks = balances
                        .find(&Currency::new(&t.currency))
                        .map(super::balances::BalanceRow::networks)
                        .unwrap_or_default();
                    t.network = networks.first().cloned().unwrap_or_default();
                    changed
                }
                KeyCode::Up | KeyCode::Down if t.field == OrderField::Network => {
                    let step = if key.code == KeyCode::Up { -1 } else { 1 };
                    let networks = balances
                        .find(&Currency::new(&t.currency))
                        .map(super::balances::BalanceRow::networks)
                        .unwrap_or_default();
                    cycle(&networks, &t.network, step)
                        .map(|next| t.network = next)
                        .is_some()
                }
                _ => {
                    let letters = t.field != OrderField::Amount;
                    edit_text(t.field_text_mut(), key, letters)
                }
            },
        };
        if !changed {
            return Vec::new();
        }
        self.ticket_seq += 1;
        let seq = self.ticket_seq;
        match self.ticket.as_mut() {
            Some(Ticket::Exchange(t)) => {
                t.seq = seq;
                t.quote = None;
                t.quote_error = None;
                if t.validate(&self.balances).is_ok() {
                    return vec![Cmd::ScheduleQuote {
                        seq,
                        after: QUOTE_DEBOUNCE,
                    }];
                }
            }
            Some(Ticket::Order(t)) => t.seq = seq,
            None => {}
        }
        Vec::new()
    }

    pub(super) fn on_quote_due(&mut self, seq: u64) -> Vec<Cmd> {
        match &self.ticket {
            Some(Ticket::Exchange(t)) if t.seq == seq && t.stage == Stage::Editing => {
                match t.validate(&self.balances) {
                    Ok(valid) => vec![Cmd::QuoteExchange {
                        seq,
                        from: valid.from,
                        to: valid.to,
                        amount: valid.amount,
                    }],
                    Err(_) => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    pub(super) fn on_quoted(&mut self, seq: u64, result: Result<ExchangeRate, ApiError>) {
        if let Some(Ticket::Exchange(t)) = &mut self.ticket {
            if t.seq == seq {
                match result {
                    Ok(quote) => t.quote = Some(quote),
                    Err(error) => t.quote_error = Some(error.user_message()),
                }
            }
        }
    }

    pub(super) fn on_order_rates(&mut self, result: Result<OrderRates, ApiError>) {
        if let Some(Ticket::Order(t)) = &mut self.ticket {
            match result {
                Ok(rates) => t.rates = Some(rates),
                Err(error) => t.rates_error = Some(error.user_message()),
            }
        }
    }

    /// Enter (or `l`): validate and ask for a lock. What was asked is kept on the ticket: the
    /// lock is checked against it and the POST built from it.
    fn request_lock(&mut self) -> Vec<Cmd> {
        self.ticket_seq += 1;
        let seq = self.ticket_seq;
        let balances = &self.balances;
        let cmd = match self.ticket.as_mut() {
            Some(Ticket::Exchange(t)) => match t.validate(balances) {
                Ok(valid) => {
                    t.seq = seq;
                    t.stage = Stage::Locking;
                    t.requested = Some(valid.clone());
                    Cmd::LockExchange {
                        seq,
                        from: valid.from,
                        to: valid.to,
                        amount: valid.amount,
                    }
                }
                Err(problems) => {
                    t.stage = Stage::Editing;
                    let first = problems.first().cloned().unwrap_or_default();
                    self.note(Level::Warning, format!("Cannot lock: {first}"));
                    return Vec::new();
                }
            },
            Some(Ticket::Order(t)) => match t.validate(balances) {
                Ok(valid) => {
                    t.seq = seq;
                    t.stage = Stage::Locking;
                    t.requested = Some(valid.clone());
                    Cmd::LockOrder {
                        seq,
                        request: OrderLockRequest {
                            currency: valid.currency,
                            amount: valid.fiat_amount,
                            network: valid.network,
                        },
                    }
                }
                Err(problems) => {
                    t.stage = Stage::Editing;
                    let first = problems.first().cloned().unwrap_or_default();
                    self.note(Level::Warning, format!("Cannot lock: {first}"));
                    return Vec::new();
                }
            },
            None => return Vec::new(),
        };
        vec![cmd]
    }

    /// Whether an exchange of `amount` `from` needs the amount typed again (above the limit).
    pub fn needs_retype(&self, currency: &Currency, amount: Decimal) -> bool {
        let Some(limit) = self.session.max_exchange_eur else {
            return false;
        };
        let rate = self.balances.find(currency).and_then(|row| row.rate);
        match rate.and_then(|rate| money::eur_value(amount, rate)) {
            Some(value) => value > limit,
            // No rate to value it with: be safe, ask.
            None => true,
        }
    }

    pub(super) fn on_exchange_locked(
        &mut self,
        seq: u64,
        result: Result<ExchangeLock, ApiError>,
    ) -> Vec<Cmd> {
        let Some(Ticket::Exchange(t)) = &self.ticket else {
            return Vec::new();
        };
        if t.seq != seq {
            return Vec::new();
        }
        let (lock, intent) = match (result, t.requested.clone()) {
            (Ok(lock), Some(intent)) => (lock, intent),
            (Err(error), _) => {
                self.set_ticket_rejected(lock_failed(&error));
                return Vec::new();
            }
            (Ok(_), None) => return Vec::new(),
        };
        let verdict = check_exchange_lock(
            &intent,
            &lock,
            &self.lock_policy,
            t.quoted_rate(&intent),
            self.now,
        );
        let above_limit = self.needs_retype(&intent.from, intent.amount);
        let asked = format!("{} {} -> {}", intent.amount, intent.from, intent.to);
        let lock_id = lock.lock_id.clone();
        let (stage, cmds) =
            self.settle_lock("exchange", &asked, &lock_id, lock, verdict, above_limit);
        if let Some(Ticket::Exchange(t)) = &mut self.ticket {
            t.stage = stage;
        }
        cmds
    }

    pub(super) fn on_order_locked(
        &mut self,
        seq: u64,
        result: Result<OrderLock, ApiError>,
    ) -> Vec<Cmd> {
        let Some(Ticket::Order(t)) = &self.ticket else {
            return Vec::new();
        };
        if t.seq != seq {
            return Vec::new();
        }
        let (lock, intent) = match (result, t.requested.clone()) {
            (Ok(lock), Some(intent)) => (lock, intent),
            (Err(error), _) => {
                self.set_ticket_rejected(lock_failed(&error));
                return Vec::new();
            }
            (Ok(_), None) => return Vec::new(),
        };
        let verdict = check_order_lock(
            &intent,
            &lock,
            &self.lock_policy,
            t.indicative_rate(),
            self.now,
        );
        let above_limit = self.needs_retype(&intent.fiat, intent.fiat_amount);
        let asked = format!(
            "{} {} paid in {} on {}",
            intent.fiat_amount, intent.fiat, intent.currency, intent.network
        );
        let lock_id = lock.lock_id.clone();
        let (stage, cmds) = self.settle_lock("order", &asked, &lock_id, lock, verdict, above_limit);
        if let Some(Ticket::Order(t)) = &mut self.ticket {
            t.stage = stage;
        }
        cmds
    }

    /// The stage a checked lock puts its ticket in. A refused lock is journaled (nothing is
    /// sent on it) and explained; an accepted one with warnings, or above the limit, needs the
    /// amount typed again.
    fn settle_lock<L>(
        &mut self,
        kind: &str,
        asked: &str,
        lock_id: &str,
        lock: L,
        verdict: LockVerdict,
        above_limit: bool,
    ) -> (Stage<L>, Vec<Cmd>) {
        match verdict {
            LockVerdict::Refused(refusal) => {
                let message = refusal.to_string();
                self.note(Level::Warning, message.clone());
                let key = self.new_intent("lk");
                let entry = self.journal_entry(
                    &key,
                    Event::LockRefused {
                        kind: kind.to_owned(),
                        lock_id: lock_id.to_owned(),
                        reason: format!("{}; asked for {asked}", refusal.detail()),
                    },
                );
                let stage = Stage::Rejected {
                    message: format!("{message}\nPress l to lock again."),
                };
                (stage, vec![Cmd::Journal(entry)])
            }
            LockVerdict::Accepted { warnings } => {
                let retype = (above_limit || !warnings.is_empty()).then(String::new);
                (
                    Stage::Locked {
                        lock,
                        retype,
                        warnings,
                    },
                    Vec::new(),
                )
            }
        }
    }

    fn set_ticket_rejected(&mut self, message: String) {
        match &mut self.ticket {
            Some(Ticket::Exchange(t)) => t.stage = Stage::Rejected { message },
            Some(Ticket::Order(t)) => t.stage = Stage::Rejected { message },
            None => {}
        }
    }

    /// `y` on a locked ticket: checks, journals the intent (via the runtime) and sends ONCE.
    pub fn confirm(&mut self) -> Vec<Cmd> {
        let now = self.now;
        let Some(ticket) = self.ticket.as_ref() else {
            return Vec::new();
        };
        let Some(expires_at) = ticket.lock_expiry() else {
            return Vec::new();
        };
        if lock_clock(expires_at, now) == LockClock::Expired {
            self.note(
                Level::Warning,
                "The lock has expired: press l to lock a new rate",
            );
            return Vec::new();
        }
        // A money POST is sent at once or refused: never held behind a pause that outlasts
        // its lock (the task enforces the same at the moment of sending).
        let deadline = expires_at - chrono::Duration::milliseconds(LOCK_SAFETY_MARGIN_MS);
        if let Some(until) = self.throttled_until.filter(|until| *until > deadline) {
            let stage_until = until;
            match &mut self.ticket {
                Some(Ticket::Exchange(t)) => t.stage = Stage::Throttled { until: stage_until },
                Some(Ticket::Order(t)) => t.stage = Stage::Throttled { until: stage_until },
                None => {}
            }
            self.note(
                Level::Warning,
                "Not sent: P100's pause outlasts the lock; press l to lock again",
            );
            return Vec::new();
        }
        match ticket.clone() {
            Ticket::Exchange(mut t) => {
                let (Stage::Locked { lock, retype, .. }, Some(intent)) =
                    (t.stage.clone(), t.requested.clone())
                else {
                    return Vec::new();
                };
                if !retype_matches(retype.as_deref(), intent.amount) {
                    self.note(Level::Warning, "Type the amount again to confirm");
                    return Vec::new();
                }
                t.stage = Stage::Submitting;
                self.ticket = Some(Ticket::Exchange(t));
                self.submit_exchange(&intent, &lock)
            }
            Ticket::Order(mut t) => {
                let (Stage::Locked { lock, retype, .. }, Some(intent)) =
                    (t.stage.clone(), t.requested.clone())
                else {
                    return Vec::new();
                };
                if !retype_matches(retype.as_deref(), intent.fiat_amount) {
                    self.note(Level::Warning, "Type the amount again to confirm");
                    return Vec::new();
                }
                t.stage = Stage::Submitting;
                self.ticket = Some(Ticket::Order(t));
                self.submit_order(&intent, lock)
            }
        }
    }
}

fn lock_failed(error: &ApiError) -> String {
    format!("The rate could not be locked: {}", error.user_message())
}

/// True when no retype is asked for, or what was typed is the amount exactly.
fn retype_matches(retype: Option<&str>, amount: Decimal) -> bool {
    match retype {
        None => true,
        Some(text) => text.parse::<Decimal>().is_ok_and(|typed| typed == amount),
    }
}

/// Applies a text-editing key to a field; currency fields take letters only. True if changed.
fn edit_text(text: &mut String, key: &KeyEvent, letters_only: bool) -> bool {
    match key.code {
        KeyCode::Backspace => text.pop().is_some(),
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            let allowed = if letters_only {
                c.is_ascii_alphanumeric()
            } else {
                c.is_ascii_digit() || c == '.' || c == '_'
            };
            if allowed && text.len() < 40 {
                text.push(if letters_only {
                    c.to_ascii_uppercase()
                } else {
                    c
                });
            }
            allowed
        }
        _ => false,
    }
}
