//! The money-moving half of `App::update`: tickets, locks, the single confirmed POST, outcomes,
//! reconciliation of unknown outcomes, and resuming from the journal.

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rust_decimal::Decimal;

use super::cmd::{Cmd, ReconcileQuery};
use super::keymap::Pane;
use super::live::{ExchangeLeg, LiveKind, LiveRow, OrderLeg, Phase};
use super::msg::SubmitError;
use super::ticket::{
    ExchangeField, ExchangeTicket, LockClock, ORDER_FIAT, OrderField, OrderTicket, Stage,
    StageKind, Ticket, cycle, cycle_currency, lock_clock,
};
use super::{App, Level, Overlay, short_id};
use crate::api::error::ApiError;
use crate::api::models::{
    Currency, ExchangeAccepted, ExchangeLock, ExchangeRate, ExchangeRequest, OrderCreated,
    OrderLock, OrderLockRequest, OrderRates, TransactionType,
};
use crate::journal::{Entry, Event, IntentRecord, Standing};
use crate::money;

/// Wait after the last keystroke before asking for an indicative quote.
pub const QUOTE_DEBOUNCE: Duration = Duration::from_millis(400);

/// Reconciliation: the first look, and the backoff cap between looks.
const RECONCILE_FIRST: Duration = Duration::from_secs(1);
const RECONCILE_MAX: Duration = Duration::from_secs(16);
/// An attempt is declared "not applied" only after this many successful history reads found
/// nothing, spread over at least `RECONCILE_MIN_SPAN`.
const RECONCILE_MISSES: u32 = 3;
const RECONCILE_MIN_SPAN_SECS: i64 = 5;

/// Progress of reconciling one unknown attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciling {
    pub misses: u32,
    pub first_miss_at: Option<DateTime<Utc>>,
    pub delay: Duration,
}

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
        let from = match (self.focus, self.balances.selected()) {
            (Pane::Balances, Some(row)) => row.currency.as_str().to_string(),
            _ => self
                .balances
                .rows
                .iter()
                .find(|row| !money::is_fiat(row.currency.as_str()))
                .map_or_else(String::new, |row| row.currency.as_str().to_string()),
        };
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
        let selected = match (self.focus, self.balances.selected()) {
            (Pane::Balances, Some(row)) if !row.networks().is_empty() => Some(row),
            _ => self
                .balances
                .rows
                .iter()
                .find(|row| !row.networks().is_empty()),
        };
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

    /// Enter (or `l`): validate and ask for a lock.
    fn request_lock(&mut self) -> Vec<Cmd> {
        self.ticket_seq += 1;
        let seq = self.ticket_seq;
        let balances = &self.balances;
        let cmd = match self.ticket.as_mut() {
            Some(Ticket::Exchange(t)) => match t.validate(balances) {
                Ok(valid) => {
                    t.seq = seq;
                    t.stage = Stage::Locking;
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
                    Cmd::LockOrder {
                        seq,
                        request: OrderLockRequest {
                            currency: valid.currency,
                            amount: valid.amount,
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
    fn needs_retype(&self, currency: &Currency, amount: Decimal) -> bool {
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

    pub(super) fn on_exchange_locked(&mut self, seq: u64, result: Result<ExchangeLock, ApiError>) {
        let retype = match &result {
            Ok(lock) => self.needs_retype(&lock.currency_from, lock.amount),
            Err(_) => false,
        };
        let Some(Ticket::Exchange(t)) = &mut self.ticket else {
            return;
        };
        if t.seq != seq {
            return;
        }
        t.stage = match result {
            Ok(lock) => Stage::Locked {
                lock,
                retype: retype.then(String::new),
            },
            Err(error) => Stage::Rejected {
                message: format!("The rate could not be locked: {}", error.user_message()),
            },
        };
    }

    pub(super) fn on_order_locked(&mut self, seq: u64, result: Result<OrderLock, ApiError>) {
        let retype = match (&result, &self.ticket) {
            (Ok(_), Some(Ticket::Order(t))) => t
                .validate(&self.balances)
                .is_ok_and(|valid| self.needs_retype(&Currency::new(ORDER_FIAT), valid.amount)),
            _ => false,
        };
        let Some(Ticket::Order(t)) = &mut self.ticket else {
            return;
        };
        if t.seq != seq {
            return;
        }
        t.stage = match result {
            Ok(lock) => Stage::Locked {
                lock,
                retype: retype.then(String::new),
            },
            Err(error) => Stage::Rejected {
                message: format!("The rate could not be locked: {}", error.user_message()),
            },
        };
    }

    /// `y` on a locked ticket: checks, journals the intent (via the runtime) and sends ONCE.
    fn confirm(&mut self) -> Vec<Cmd> {
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
        match ticket.clone() {
            Ticket::Exchange(mut t) => {
                let Stage::Locked { lock, retype } = t.stage.clone() else {
                    return Vec::new();
                };
                if !retype_matches(retype.as_deref(), lock.amount) {
                    self.note(
                        Level::Warning,
                        "Type the amount again to confirm (above your limit)",
                    );
                    return Vec::new();
                }
                t.stage = Stage::Submitting;
                self.ticket = Some(Ticket::Exchange(t));
                self.submit_exchange(lock)
            }
            Ticket::Order(mut t) => {
                let Stage::Locked { lock, retype } = t.stage.clone() else {
                    return Vec::new();
                };
                let Ok(valid) = t.validate(&self.balances) else {
                    return Vec::new();
                };
                if !retype_matches(retype.as_deref(), valid.amount) {
                    self.note(
                        Level::Warning,
                        "Type the amount again to confirm (above your limit)",
                    );
                    return Vec::new();
                }
                t.stage = Stage::Submitting;
                self.ticket = Some(Ticket::Order(t));
                self.submit_order(lock, valid.amount)
            }
        }
    }

    fn new_intent(&mut self, prefix: &str) -> String {
        self.intent_counter += 1;
        format!(
            "{prefix}-{}-{}",
            self.now.format("%Y%m%dT%H%M%S%3f"),
            self.intent_counter
        )
    }

    pub(super) fn journal_entry(&self, intent: &str, event: Event) -> Entry {
        Entry {
            at: self.now,
            profile: self.session.profile.clone(),
            environment: self.session.environment.label().to_ascii_lowercase(),
            intent: intent.to_string(),
            event,
        }
    }

    fn submit_exchange(&mut self, lock: ExchangeLock) -> Vec<Cmd> {
        let intent = self.new_intent("ex");
        let entry = self.journal_entry(
            &intent,
            Event::ExchangeIntent {
                from: lock.currency_from.as_str().to_string(),
                to: lock.currency_to.as_str().to_string(),
                amount: lock.amount,
                amount_to: lock.amount_to,
                rate: lock.rate,
                lock_id: lock.lock_id.clone(),
            },
        );
        self.live.push(LiveRow {
            key: intent,
            remote_id: None,
            lock_id: lock.lock_id.clone(),
            kind: LiveKind::Exchange(ExchangeLeg {
                from: lock.currency_from.clone(),
                to: lock.currency_to.clone(),
                amount: lock.amount,
                amount_to: lock.amount_to,
                rate: lock.rate,
            }),
            phase: Phase::Sending,
            created_at: self.now,
            updated_at: self.now,
        });
        vec![Cmd::SubmitExchange {
            intent: entry,
            request: ExchangeRequest {
                amount: lock.amount,
                currency_from: lock.currency_from,
                currency_to: lock.currency_to,
                lock_id: lock.lock_id,
            },
        }]
    }

    fn submit_order(&mut self, lock: OrderLock, fiat_amount: Decimal) -> Vec<Cmd> {
        let intent = self.new_intent("or");
        let network = lock.network.clone().unwrap_or_else(|| match &self.ticket {
            Some(Ticket::Order(t)) => t.network.clone(),
            _ => String::new(),
        });
        let fiat = lock
            .destination_currency
            .clone()
            .unwrap_or_else(|| Currency::new(ORDER_FIAT));
        let entry = self.journal_entry(
            &intent,
            Event::OrderIntent {
                currency: lock.currency.as_str().to_string(),
                network: network.clone(),
                fiat_amount,
                fiat_currency: fiat.as_str().to_string(),
                crypto_amount: lock.amount,
                rate: lock.rate,
                lock_id: lock.lock_id.clone(),
            },
        );
        self.live.push(LiveRow {
            key: intent,
            remote_id: None,
            lock_id: lock.lock_id.clone(),
            kind: LiveKind::Order(OrderLeg {
                currency: lock.currency,
                network,
                fiat_amount,
                fiat_currency: fiat,
                crypto_amount: lock.amount,
                wallet_address: None,
                confirmations: None,
                received: None,
                required: Some(lock.amount),
                transaction_hash: None,
                payment_expires_at: None,
            }),
            phase: Phase::Sending,
            created_at: self.now,
            updated_at: self.now,
        });
        vec![Cmd::SubmitOrder {
            intent: entry,
            lock_id: lock.lock_id,
        }]
    }

    pub(super) fn on_exchange_submitted(
        &mut self,
        intent: &str,
        result: Result<ExchangeAccepted, SubmitError>,
    ) -> Vec<Cmd> {
        self.on_submitted(
            intent,
            result.map(|accepted| accepted.exchange_id),
            "Exchange",
        )
    }

    pub(super) fn on_order_submitted(
        &mut self,
        intent: &str,
        result: Result<OrderCreated, SubmitError>,
    ) -> Vec<Cmd> {
        self.on_submitted(intent, result.map(|created| created.order_id), "Order")
    }

    /// The one answer to a money-moving POST. Queued: watch it. Refused: say why, nothing is
    /// pending. Unknown: say so and reconcile by reading back; never re-send.
    fn on_submitted(
        &mut self,
        intent: &str,
        result: Result<String, SubmitError>,
        what: &str,
    ) -> Vec<Cmd> {
        let now = self.now;
        let Some(row) = self.live.find_by_key_mut(intent) else {
            return Vec::new();
        };
        row.updated_at = now;
        match result {
            Ok(remote_id) => {
                row.phase = Phase::Pending {
                    status: "QUEUED".into(),
                };
                let text = format!("{what} {} queued; watching it", short_id(&remote_id));
                row.remote_id = Some(remote_id);
                self.ticket = None;
                self.focus = Pane::Live;
                self.note(Level::Info, text);
                Vec::new()
            }
            Err(SubmitError::Api(error)) if error.outcome_unknown() => {
                row.phase = Phase::Unknown {
                    reason: error.user_message(),
                };
                self.ticket = None;
                self.focus = Pane::Live;
                self.note(
                    Level::Warning,
                    format!(
                        "{what}: outcome unknown ({}); checking, it will not be re-sent",
                        error.short_reason()
                    ),
                );
                self.reconciling
                    .insert(intent.to_string(), Reconciling::default());
                vec![Cmd::ScheduleReconcile {
                    intent: intent.to_string(),
                    after: RECONCILE_FIRST,
                }]
            }
            Err(failure) => {
                let message = match &failure {
                    SubmitError::Api(error) => error.user_message(),
                    SubmitError::Journal(error) => format!(
                        "Not sent: the journal could not record it ({error}). Nothing was submitted."
                    ),
                };
                row.phase = Phase::Failed {
                    reason: message.clone(),
                };
                let relockable =
                    matches!(&failure, SubmitError::Api(error) if error.is_lock_problem());
                let stage_message = if relockable {
                    format!("{message}\nPress l to lock a new rate.")
                } else {
                    message.clone()
                };
                match self.ticket.as_mut() {
                    Some(Ticket::Exchange(t)) => {
                        t.stage = Stage::Rejected {
                            message: stage_message,
                        }
                    }
                    Some(Ticket::Order(t)) => {
                        t.stage = Stage::Rejected {
                            message: stage_message,
                        }
                    }
                    None => {
                        self.overlay = Some(Overlay::Error {
                            title: format!("{what} refused"),
                            message,
                        });
                    }
                }
                Vec::new()
            }
        }
    }

    pub(super) fn on_reconcile_due(&mut self, intent: &str) -> Vec<Cmd> {
        let exclude: Vec<String> = self
            .live
            .rows
            .iter()
            .filter_map(|row| row.remote_id.clone())
            .collect();
        let Some(row) = self.live.rows.iter().find(|row| row.key == intent) else {
            return Vec::new();
        };
        if !matches!(row.phase, Phase::Unknown { .. }) || row.remote_id.is_some() {
            return Vec::new();
        }
        // Allow for clock skew between this machine and P100.
        let since = row.created_at - chrono::Duration::minutes(2);
        let query = match &row.kind {
            LiveKind::Exchange(leg) => ReconcileQuery {
                kind: TransactionType::Exchange,
                currency: leg.from.clone(),
                amount: leg.amount,
                currency_to: Some(leg.to.clone()),
                since,
                exclude,
            },
            LiveKind::Order(leg) => ReconcileQuery {
                kind: TransactionType::Order,
                currency: leg.fiat_currency.clone(),
                amount: leg.fiat_amount,
                currency_to: None,
                since,
                exclude,
            },
        };
        vec![Cmd::Reconcile {
            intent: intent.to_string(),
            query,
        }]
    }

    pub(super) fn on_reconciled(
        &mut self,
        intent: &str,
        result: Result<Option<String>, ApiError>,
    ) -> Vec<Cmd> {
        let now = self.now;
        let Some(state) = self.reconciling.get_mut(intent) else {
            return Vec::new();
        };
        state.delay = (state.delay * 2).clamp(RECONCILE_FIRST * 2, RECONCILE_MAX);
        let again = state.delay;
        let outcome = match result {
            Ok(Some(remote_id)) => Some((Some(remote_id), "found in the transaction history")),
            Ok(None) => {
                state.misses += 1;
                let first = *state.first_miss_at.get_or_insert(now);
                let span_ok = (now - first).num_seconds() >= RECONCILE_MIN_SPAN_SECS;
                (state.misses >= RECONCILE_MISSES && span_ok)
                    .then_some((None, "not in the transaction history: it was not applied"))
            }
            // Could not read the history: look again later; this proves nothing.
            Err(_) => None,
        };
        let Some((remote_id, note)) = outcome else {
            return vec![Cmd::ScheduleReconcile {
                intent: intent.to_string(),
                after: again,
            }];
        };
        self.reconciling.remove(intent);
        let entry = self.journal_entry(
            intent,
            Event::Reconciled {
                remote_id: remote_id.clone(),
                note: note.to_string(),
            },
        );
        if let Some(row) = self.live.find_by_key_mut(intent) {
            row.updated_at = now;
            match &remote_id {
                Some(id) => {
                    row.remote_id = Some(id.clone());
                    row.phase = Phase::Pending {
                        status: "RECONCILED".into(),
                    };
                }
                None => {
                    row.phase = Phase::Failed {
                        reason: format!("Not applied: {note}"),
                    };
                }
            }
        }
        let text = match &remote_id {
            Some(id) => format!(
                "Unknown outcome resolved: {} was queued; watching it",
                short_id(id)
            ),
            None => "Unknown outcome resolved: it was not applied (nothing moved)".to_string(),
        };
        self.note(Level::Info, text);
        vec![Cmd::Journal(entry)]
    }

    /// Rows from the journal that were still in flight when the desk last stopped: watched
    /// again (or reconciled) before any ticket can be opened.
    pub fn resume(&mut self, records: &[IntentRecord], damaged_lines: &[usize]) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        for record in records.iter().filter(|r| r.standing != Standing::Finished) {
            let Some(kind) = leg_from_intent(&record.opened.event) else {
                continue;
            };
            let lock_id = match &record.opened.event {
                Event::ExchangeIntent { lock_id, .. } | Event::OrderIntent { lock_id, .. } => {
                    lock_id.clone()
                }
                _ => String::new(),
            };
            let phase = match (&record.remote_id, &record.standing) {
                (Some(_), _) => Phase::Pending {
                    status: "RESUMED".into(),
                },
                (None, _) => Phase::Unknown {
                    reason: "the desk stopped before the outcome was known".into(),
                },
            };
            let unknown = matches!(phase, Phase::Unknown { .. });
            self.live.rows.push(LiveRow {
                key: record.intent.clone(),
                remote_id: record.remote_id.clone(),
                lock_id,
                kind,
                phase,
                created_at: record.opened.at,
                updated_at: record.last_at,
            });
            if unknown {
                self.reconciling
                    .insert(record.intent.clone(), Reconciling::default());
                cmds.push(Cmd::ScheduleReconcile {
                    intent: record.intent.clone(),
                    after: RECONCILE_FIRST,
                });
            }
        }
        let ids: Vec<&str> = self.live.rows.iter().map(|r| r.key.as_str()).collect();
        self.live.selection.follow(&ids);
        let resumed = self.live.rows.len();
        if !damaged_lines.is_empty() {
            self.note(
                Level::Warning,
                format!(
                    "Journal: {} unreadable line(s) skipped ({:?}); resumed {resumed} in flight",
                    damaged_lines.len(),
                    damaged_lines
                ),
            );
        } else if resumed > 0 {
            self.note(
                Level::Info,
                format!("Resumed watching {resumed} row(s) from the journal"),
            );
        }
        if let Some(watch) = self.watch_changes() {
            cmds.push(watch);
        }
        cmds
    }
}

fn leg_from_intent(event: &Event) -> Option<LiveKind> {
    match event {
        Event::ExchangeIntent {
            from,
            to,
            amount,
            amount_to,
            rate,
            ..
        } => Some(LiveKind::Exchange(ExchangeLeg {
            from: Currency::new(from),
            to: Currency::new(to),
            amount: *amount,
            amount_to: *amount_to,
            rate: *rate,
        })),
        Event::OrderIntent {
            currency,
            network,
            fiat_amount,
            fiat_currency,
            crypto_amount,
            ..
        } => Some(LiveKind::Order(OrderLeg {
            currency: Currency::new(currency),
            network: network.clone(),
            fiat_amount: *fiat_amount,
            fiat_currency: Currency::new(fiat_currency),
            crypto_amount: *crypto_amount,
            wallet_address: None,
            confirmations: None,
            received: None,
            required: Some(*crypto_amount),
            transaction_hash: None,
            payment_expires_at: None,
        })),
        _ => None,
    }
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

/// Journal line for a row that just became final.
pub(super) fn final_event(phase: &Phase) -> Event {
    let reason = match phase {
        Phase::Failed { reason } => Some(reason.clone()),
        _ => None,
    };
    Event::Final {
        status: phase.label(),
        reason,
    }
}
