//! The tickets: opening them, editing with live validation and indicative rates, locking a
//! rate, and the explicit confirmation that hands over to `submit.rs`.

use std::time::Duration;

use rust_decimal::Decimal;

use super::balances::{BalanceKind, BalanceRow};
use super::cmd::Cmd;
use super::keyboard::FieldId;
use super::money_actions::{TradeLock, TradePrice};
use super::text_fields::edit_field;
use super::ticket::{
    ExchangeTicket, LOCK_SAFETY_MARGIN_MS, LockClock, OrderTicket, Stage, StageKind, Ticket,
    each_kind, lock_clock,
};
use super::trade_kind::TradeKind;
use super::{App, Level};
use crate::api::error::ApiError;
use crate::api::models::Currency;
use crate::input::{Applied, TextEdit};
use crate::journal::Event;
use crate::keys::{Action, Mode};
use crate::lock_check::LockVerdict;
use crate::money;
use crate::number_format::NumberFormat;

/// Wait after the last keystroke before asking for an indicative price.
pub const PRICE_DEBOUNCE: Duration = Duration::from_millis(400);

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
        let mut ticket = ExchangeTicket::new(&from, to, self.ticket_seq);
        ticket.number_format = self.keyboard.number_format;
        self.open_ticket(ticket)
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
        let mut ticket = OrderTicket::new(&currency, &network, self.ticket_seq);
        ticket.number_format = self.keyboard.number_format;
        self.open_ticket(ticket)
    }

    /// Opens `form` as the ticket, asking for the indicative price it shows from the start.
    fn open_ticket<K: TradeKind>(&mut self, form: K) -> Vec<Cmd> {
        let cmds = form
            .price_on_open()
            .map(|request| Cmd::LoadPrice {
                seq: form.seq(),
                request: K::wrap_price_request(request),
            })
            .into_iter()
            .collect();
        self.ticket = Some(form.into_ticket());
        cmds
    }

    /// Esc (or `n` on a locked rate): closes the ticket. A ticket being sent has no cancel key:
    /// the POST is on its way and its answer closes the ticket.
    pub(super) fn cancel_ticket(&mut self) {
        if self
            .ticket
            .as_ref()
            .is_some_and(|t| t.stage_kind() != StageKind::Submitting)
        {
            self.ticket = None;
        }
    }

    pub(super) fn next_field(&mut self) {
        if let Some(ticket) = self.ticket.as_mut() {
            each_kind!(ticket, t => TradeKind::next_field(t));
        }
    }

    pub(super) fn prev_field(&mut self) {
        if let Some(ticket) = self.ticket.as_mut() {
            each_kind!(ticket, t => TradeKind::prev_field(t));
        }
    }

    /// Typing into the amount asked again above the limit (digits and separators only).
    pub(super) fn edit_retype(&mut self, edit: &TextEdit) {
        let format = self.keyboard.number_format;
        let Some(retype) = self.ticket.as_mut().and_then(Ticket::retype_mut) else {
            return;
        };
        let applied = edit_field(
            &mut self.keyboard.cursor,
            FieldId::Retype,
            retype,
            edit,
            |c| {
                c.is_ascii_digit()
                    || c == format.decimal_separator()
                    || c == format.group_separator()
            },
        );
        self.refused(applied);
    }

    /// Up/Down in a currency or network field: the next option we hold.
    pub(super) fn choose(&mut self, step: isize) -> Vec<Cmd> {
        let balances = &self.balances;
        let Some(ticket) = self.ticket.as_mut() else {
            return Vec::new();
        };
        let changed = each_kind!(ticket, t => t.choose(balances, step));
        if changed {
            self.ticket_changed()
        } else {
            Vec::new()
        }
    }

    /// A text edit of the focused ticket field. Currency and network fields take letters and
    /// digits (upper-cased); the amount takes any printable character and is parsed whole, so
    /// a wrong character shows as an error under the field instead of vanishing.
    pub(super) fn edit_ticket(&mut self, edit: &TextEdit) -> Vec<Cmd> {
        let Some(ticket) = self.ticket.as_mut() else {
            return Vec::new();
        };
        let choice = !each_kind!(&*ticket, t => t.amount_focused());
        let (field, text) = each_kind!(ticket, t => (t.field_id(), TradeKind::field_text_mut(t)));
        let edit = match edit {
            TextEdit::Insert(c) if choice => TextEdit::Insert(c.to_ascii_uppercase()),
            TextEdit::Paste(p) if choice => TextEdit::Paste(p.to_ascii_uppercase()),
            other => other.clone(),
        };
        let applied = edit_field(&mut self.keyboard.cursor, field, text, &edit, |c| {
            !choice || c.is_ascii_alphanumeric()
        });
        if applied == Applied::Changed {
            return self.ticket_changed();
        }
        self.refused(applied);
        Vec::new()
    }

    /// A field changed: bump `seq` (dropping answers for the old values) and schedule a
    /// debounced indicative price when it depends on the fields.
    pub(super) fn ticket_changed(&mut self) -> Vec<Cmd> {
        self.ticket_seq += 1;
        let seq = self.ticket_seq;
        let balances = &self.balances;
        let Some(ticket) = self.ticket.as_mut() else {
            return Vec::new();
        };
        let wanted = each_kind!(ticket, t => {
            t.set_seq(seq);
            t.forget_price();
            t.price_request(balances).is_some()
        });
        if wanted {
            vec![Cmd::SchedulePrice {
                seq,
                after: PRICE_DEBOUNCE,
            }]
        } else {
            Vec::new()
        }
    }

    /// The debounce ran out: ask for the price of what the form says now, if it still is what
    /// was typed then.
    pub(super) fn on_price_due(&mut self, seq: u64) -> Vec<Cmd> {
        let Some(ticket) = &self.ticket else {
            return Vec::new();
        };
        each_kind!(ticket, t => price_cmd(t, seq, &self.balances))
            .into_iter()
            .collect()
    }

    /// An indicative price: shown on a form of its kind that it still fits.
    pub(super) fn on_priced(&mut self, seq: u64, result: Result<TradePrice, ApiError>) {
        if let Some(ticket) = self.ticket.as_mut() {
            each_kind!(ticket, t => take_price(t, seq, result));
        }
    }

    /// Enter (or `l`): validate and ask for a lock. What was asked is kept on the ticket: the
    /// lock is checked against it and the POST built from it.
    pub(super) fn request_lock(&mut self) -> Vec<Cmd> {
        let Some(ticket) = self.ticket.take() else {
            return Vec::new();
        };
        each_kind!(ticket, mut t => {
            let cmds = self.request_lock_of(&mut t);
            self.ticket = Some(t.into_ticket());
            cmds
        })
    }

    fn request_lock_of<K: TradeKind>(&mut self, t: &mut K) -> Vec<Cmd> {
        self.ticket_seq += 1;
        let seq = self.ticket_seq;
        match t.validate(&self.balances) {
            Ok(intent) => {
                t.set_seq(seq);
                *t.stage_mut() = Stage::Locking;
                let cmd = Cmd::Lock {
                    seq,
                    request: K::wrap_lock_request(K::lock_request(&intent)),
                };
                t.set_requested(Some(intent));
                vec![cmd]
            }
            Err(problems) => {
                *t.stage_mut() = Stage::Editing;
                let first = problems.first().cloned().unwrap_or_default();
                self.note(Level::Warning, format!("Cannot lock: {first}"));
                Vec::new()
            }
        }
    }

    /// Whether `amount` of `currency` is above the profile's limit (valued in EUR at the
    /// balance's rate; without a rate, it is treated as above), so it must be typed again.
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

    /// A lock answer: for the open ticket only if it is of the lock's kind.
    pub(super) fn on_locked(&mut self, seq: u64, result: Result<TradeLock, ApiError>) -> Vec<Cmd> {
        let Some(ticket) = self.ticket.take() else {
            return Vec::new();
        };
        each_kind!(ticket, mut t => {
            let cmds = self.on_lock_answer(&mut t, seq, result);
            self.ticket = Some(t.into_ticket());
            cmds
        })
    }

    /// A lock answer for form `t`: another kind's lock is no answer for it.
    fn on_lock_answer<K: TradeKind>(
        &mut self,
        t: &mut K,
        seq: u64,
        result: Result<TradeLock, ApiError>,
    ) -> Vec<Cmd> {
        match result.map(K::lock_of) {
            Ok(Some(lock)) => self.on_locked_of(t, seq, Ok(lock)),
            Err(error) => self.on_locked_of(t, seq, Err(error)),
            Ok(None) => Vec::new(),
        }
    }

    /// A lock answer for the ticket's current request (older ones are dropped): checked
    /// against what was asked before it can be confirmed.
    fn on_locked_of<K: TradeKind>(
        &mut self,
        t: &mut K,
        seq: u64,
        result: Result<K::Lock, ApiError>,
    ) -> Vec<Cmd> {
        if t.seq() != seq {
            return Vec::new();
        }
        let lock = match result {
            Ok(lock) => lock,
            Err(error) => {
                let message = lock_failed(&error);
                self.log_only(Level::Warning, format!("{} ticket: {message}", K::TITLE));
                *t.stage_mut() = Stage::Rejected { message };
                return Vec::new();
            }
        };
        let Some(intent) = t.requested().cloned() else {
            return Vec::new();
        };
        let verdict = t.check(&intent, &lock, &self.lock_policy, self.now);
        let (currency, amount) = K::limited_amount(&intent);
        let above_limit = self.needs_retype(currency, amount);
        let (stage, cmds) = self.settle_lock::<K>(&intent, lock, verdict, above_limit);
        *t.stage_mut() = stage;
        cmds
    }

    /// The stage a checked lock puts its ticket in. A refused lock is journaled (nothing is
    /// sent on it) and explained; an accepted one with warnings, or above the limit, needs the
    /// amount typed again.
    fn settle_lock<K: TradeKind>(
        &mut self,
        intent: &K::Intent,
        lock: K::Lock,
        verdict: LockVerdict,
        above_limit: bool,
    ) -> (Stage<K::Lock>, Vec<Cmd>) {
        match verdict {
            LockVerdict::Refused(refusal) => {
                // For people in their number format; the journal keeps the canonical detail.
                let message = refusal.text(self.keyboard.number_format);
                self.note(Level::Warning, message.clone());
                let key = self.new_intent("lk");
                let entry = self.journal_entry(
                    &key,
                    Event::LockRefused {
                        kind: K::KIND.to_owned(),
                        lock_id: K::lock_id(&lock).to_owned(),
                        reason: format!("{}; asked for {}", refusal.detail(), K::describe(intent)),
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
                        shown_at: None,
                    },
                    Vec::new(),
                )
            }
        }
    }

    /// `y` on a locked ticket: checks, journals the intent (via the runtime) and sends ONCE.
    pub fn confirm(&mut self) -> Vec<Cmd> {
        let Some(ticket) = self.ticket.take() else {
            return Vec::new();
        };
        each_kind!(ticket, mut t => {
            let cmds = self.confirm_of(&mut t);
            self.ticket = Some(t.into_ticket());
            cmds
        })
    }

    fn confirm_of<K: TradeKind>(&mut self, t: &mut K) -> Vec<Cmd> {
        let now = self.now;
        let (lock, retype) = match t.stage() {
            Stage::Locked { lock, retype, .. } => (lock.clone(), retype.clone()),
            _ => return Vec::new(),
        };
        let expires_at = K::expires_at(&lock);
        if lock_clock(expires_at, now) == LockClock::Expired {
            let key = self.key_name(Mode::Ticket(StageKind::Locked), Action::TicketLock);
            self.note(
                Level::Warning,
                format!("The lock has expired: press {key} to lock a new rate"),
            );
            return Vec::new();
        }
        // Terms nobody could have read yet do not count: a key typed ahead of the lock's first
        // frame, or within the confirm delay of it, is dropped.
        if t.stage()
            .confirm_wait(now)
            .is_none_or(|wait| wait > chrono::Duration::zero())
        {
            self.note(
                Level::Info,
                "Read the locked terms first: confirm counts 0.5 s after they are shown",
            );
            return Vec::new();
        }
        // A money POST is sent at once or refused: never held behind a pause that outlasts
        // its lock (the task enforces the same at the moment of sending).
        let deadline = expires_at - chrono::Duration::milliseconds(LOCK_SAFETY_MARGIN_MS);
        if let Some(until) = self.throttled_until.filter(|until| *until > deadline) {
            *t.stage_mut() = Stage::Throttled { until };
            let key = self.key_name(Mode::Ticket(StageKind::Rejected), Action::TicketLock);
            self.note(
                Level::Warning,
                format!("Not sent: P100's pause outlasts the lock; press {key} to lock again"),
            );
            return Vec::new();
        }
        let Some(intent) = t.requested().cloned() else {
            return Vec::new();
        };
        if !retype_matches(
            retype.as_deref(),
            K::limited_amount(&intent).1,
            self.keyboard.number_format,
        ) {
            self.note(Level::Warning, "Type the amount again to confirm");
            return Vec::new();
        }
        *t.stage_mut() = Stage::Submitting { deadline };
        self.submit::<K>(&intent, &lock, deadline)
    }
}

/// The price request `t` wants at `seq`: only while it is edited and `seq` is its current one.
fn price_cmd<K: TradeKind>(
    t: &K,
    seq: u64,
    balances: &super::balances::BalancesPane,
) -> Option<Cmd> {
    if t.seq() != seq || *t.stage() != Stage::Editing {
        return None;
    }
    t.price_request(balances).map(|request| Cmd::LoadPrice {
        seq,
        request: K::wrap_price_request(request),
    })
}

/// A price answer for `t`, if it is of its kind and still fits it.
fn take_price<K: TradeKind>(t: &mut K, seq: u64, result: Result<TradePrice, ApiError>) {
    if !t.price_fits(seq) {
        return;
    }
    match result.map(K::price_of) {
        Ok(Some(price)) => t.set_price(Ok(price)),
        Err(error) => t.set_price(Err(error)),
        Ok(None) => {}
    }
}

fn lock_failed(error: &ApiError) -> String {
    format!("The rate could not be locked: {}", error.user_message())
}

/// True when no retype is asked for, or what was typed is the amount exactly.
fn retype_matches(retype: Option<&str>, amount: Decimal, format: NumberFormat) -> bool {
    match retype {
        None => true,
        Some(text) => format.parse(text).is_ok_and(|typed| typed == amount),
    }
}
