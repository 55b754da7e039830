//! What the user can do in an open ticket, one method per meaning (confirm, cancel, relock,
//! back to editing, max, field moves, choices, text edits), and the thin key mapping onto them.
//!
//! The methods are the seam for the mode-aware binding table: it calls them by action, and
//! `on_ticket_key` is only today's key -> action mapping.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::balances::BalanceRow;
use super::cmd::Cmd;
use super::ticket::{ExchangeField, OrderField, Stage, StageKind, Ticket, cycle, cycle_currency};
use super::trading::QUOTE_DEBOUNCE;
use super::{App, Level};
use crate::api::models::Currency;
use crate::money;

/// A text edit of the focused field (or, in the locked view, of the amount typed again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketEdit {
    Insert(char),
    Backspace,
}

/// The longest text a ticket field holds.
const FIELD_MAX_CHARS: usize = 40;

impl App {
    /// Today's keys for the open ticket, mapped onto its actions.
    pub(super) fn on_ticket_key(&mut self, key: &KeyEvent) -> Vec<Cmd> {
        let Some(stage) = self.ticket.as_ref().map(Ticket::stage_kind) else {
            return Vec::new();
        };
        let plain = !key.modifiers.contains(KeyModifiers::CONTROL);
        match (stage, key.code) {
            // The POST is on its way: nothing to cancel; its answer closes the ticket.
            (StageKind::Submitting, _) => Vec::new(),
            (_, KeyCode::Esc) | (StageKind::Locked, KeyCode::Char('n')) => self.ticket_cancel(),
            (StageKind::Locked, KeyCode::Char('y')) => self.ticket_confirm(),
            (StageKind::Locked | StageKind::Rejected, KeyCode::Char('l'))
            | (StageKind::Editing, KeyCode::Enter) => self.ticket_relock(),
            (StageKind::Locked | StageKind::Rejected, KeyCode::Char('e')) => {
                self.ticket_back_to_edit()
            }
            (StageKind::Editing, KeyCode::Tab) => self.ticket_next_field(),
            (StageKind::Editing, KeyCode::BackTab) => self.ticket_prev_field(),
            (StageKind::Editing, KeyCode::Up) => self.ticket_choose(-1),
            (StageKind::Editing, KeyCode::Down) => self.ticket_choose(1),
            (StageKind::Editing, KeyCode::Char('m')) if self.ticket_amount_focused() => {
                self.ticket_max()
            }
            (StageKind::Editing | StageKind::Locked, KeyCode::Backspace) => {
                self.ticket_edit(TicketEdit::Backspace)
            }
            (StageKind::Editing | StageKind::Locked, KeyCode::Char(c)) if plain => {
                self.ticket_edit(TicketEdit::Insert(c))
            }
            _ => Vec::new(),
        }
    }

    /// Closes the ticket; nothing is sent.
    pub fn ticket_cancel(&mut self) -> Vec<Cmd> {
        if self.ticket.as_ref().map(Ticket::stage_kind) == Some(StageKind::Submitting) {
            return Vec::new();
        }
        self.ticket = None;
        Vec::new()
    }

    /// Confirms the locked terms (see `confirm`): at most one POST per confirm.
    pub fn ticket_confirm(&mut self) -> Vec<Cmd> {
        self.confirm()
    }

    /// Asks for a (new) lock of what the form says.
    pub fn ticket_relock(&mut self) -> Vec<Cmd> {
        self.request_lock()
    }

    /// From the locked (or refused) view back to the form, the fields as they were; the lock
    /// is dropped and a fresh indicative quote asked for.
    pub fn ticket_back_to_edit(&mut self) -> Vec<Cmd> {
        let Some(ticket) = self.ticket.as_mut() else {
            return Vec::new();
        };
        if !matches!(ticket.stage_kind(), StageKind::Locked | StageKind::Rejected) {
            return Vec::new();
        }
        match ticket {
            Ticket::Exchange(t) => t.stage = Stage::Editing,
            Ticket::Order(t) => t.stage = Stage::Editing,
        }
        self.after_field_change()
    }

    pub fn ticket_next_field(&mut self) -> Vec<Cmd> {
        match self.editing_ticket() {
            Some(Ticket::Exchange(t)) => t.next_field(),
            Some(Ticket::Order(t)) => t.next_field(),
            None => {}
        }
        Vec::new()
    }

    pub fn ticket_prev_field(&mut self) -> Vec<Cmd> {
        match self.editing_ticket() {
            Some(Ticket::Exchange(t)) => t.prev_field(),
            Some(Ticket::Order(t)) => t.prev_field(),
            None => {}
        }
        Vec::new()
    }

    /// The previous (`step` -1) or next (+1) choice of the focused currency or network field.
    pub fn ticket_choose(&mut self, step: isize) -> Vec<Cmd> {
        let balances = &self.balances;
        let networks_of = |currency: &str| {
            balances
                .find(&Currency::new(currency))
                .map(BalanceRow::networks)
                .unwrap_or_default()
        };
        let Some(ticket) = self
            .ticket
            .as_mut()
            .filter(|t| t.stage_kind() == StageKind::Editing)
        else {
            return Vec::new();
        };
        let changed = match ticket {
            Ticket::Exchange(t) if t.field != ExchangeField::Amount => {
                let next = cycle_currency(t.field_text_mut(), balances, step, false);
                next.map(|next| *t.field_text_mut() = next).is_some()
            }
            Ticket::Order(t) if t.field == OrderField::Currency => {
                let changed = cycle_currency(&t.currency, balances, step, true)
                    .map(|next| t.currency = next)
                    .is_some();
                // A new currency: preselect its first network.
                t.network = networks_of(&t.currency)
                    .first()
                    .cloned()
                    .unwrap_or_default();
                changed
            }
            Ticket::Order(t) if t.field == OrderField::Network => {
                cycle(&networks_of(&t.currency), &t.network, step)
                    .map(|next| t.network = next)
                    .is_some()
            }
            _ => false,
        };
        if changed {
            self.after_field_change()
        } else {
            Vec::new()
        }
    }

    /// Fills the amount with the whole available balance of the currency sold. An order is
    /// paid by its payer, not from a balance, so it has no maximum.
    pub fn ticket_max(&mut self) -> Vec<Cmd> {
        let balances = &self.balances;
        let filled = match self.ticket.as_mut() {
            Some(Ticket::Exchange(t)) if t.stage == Stage::Editing => {
                let from = Currency::new(&t.from);
                balances.find(&from).map(|row| {
                    t.amount = plain_amount(row.amount, from.as_str());
                    t.field = ExchangeField::Amount;
                })
            }
            Some(Ticket::Order(_)) => {
                self.note(
                    Level::Info,
                    "An order is paid by its payer: there is no balance to fill it from",
                );
                return Vec::new();
            }
            _ => None,
        };
        if filled.is_some() {
            self.after_field_change()
        } else {
            Vec::new()
        }
    }

    /// A text edit: of the focused field while editing, of the amount typed again in the locked
    /// view. Currency and network fields take letters and digits; amounts digits, `.` and `_`.
    pub fn ticket_edit(&mut self, edit: TicketEdit) -> Vec<Cmd> {
        let Some(ticket) = self.ticket.as_mut() else {
            return Vec::new();
        };
        if ticket.stage_kind() == StageKind::Locked {
            if let Some(retype) = ticket.retype_mut() {
                edit_text(retype, edit, false);
            }
            return Vec::new();
        }
        if ticket.stage_kind() != StageKind::Editing {
            return Vec::new();
        }
        let changed = match ticket {
            Ticket::Exchange(t) => {
                let letters = t.field != ExchangeField::Amount;
                edit_text(t.field_text_mut(), edit, letters)
            }
            Ticket::Order(t) => {
                let letters = t.field != OrderField::Amount;
                edit_text(t.field_text_mut(), edit, letters)
            }
        };
        if changed {
            self.after_field_change()
        } else {
            Vec::new()
        }
    }

    /// The runtime drew a frame; `ticket_visible` says whether the open ticket was on it (not
    /// hidden by the "too small" notice or an overlay). The locked terms count as seen from
    /// the first frame that showed them: a confirm counts only `CONFIRM_DELAY_MS` (see
    /// `ticket.rs`) after that.
    pub fn frame_drawn(&mut self, now: DateTime<Utc>, ticket_visible: bool) {
        let shown_at = match &mut self.ticket {
            Some(Ticket::Exchange(t)) => match &mut t.stage {
                Stage::Locked { shown_at, .. } => shown_at,
                _ => return,
            },
            Some(Ticket::Order(t)) => match &mut t.stage {
                Stage::Locked { shown_at, .. } => shown_at,
                _ => return,
            },
            None => return,
        };
        if !ticket_visible {
            *shown_at = None;
        } else if shown_at.is_none() {
            *shown_at = Some(now);
        }
    }

    /// Whether the focused field of an editing ticket is its amount.
    fn ticket_amount_focused(&self) -> bool {
        match &self.ticket {
            Some(Ticket::Exchange(t)) => t.field == ExchangeField::Amount,
            Some(Ticket::Order(t)) => t.field == OrderField::Amount,
            None => false,
        }
    }

    fn editing_ticket(&mut self) -> Option<&mut Ticket> {
        self.ticket
            .as_mut()
            .filter(|t| t.stage_kind() == StageKind::Editing)
    }

    /// A field changed: bump `seq` (answers for the old values are dropped), forget the old
    /// quote, and schedule a debounced indicative quote when the form is valid.
    fn after_field_change(&mut self) -> Vec<Cmd> {
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
}

/// An amount as a user would type it: no grouping, every decimal the balance has (up to the
/// currency's scale; more cannot be typed, so they are cut, never rounded up past the balance).
fn plain_amount(amount: rust_decimal::Decimal, currency: &str) -> String {
    let scale = money::scale_of(currency).unwrap_or(money::MAX_SCALE);
    amount.trunc_with_scale(scale).normalize().to_string()
}

/// Applies an edit; currency fields take letters and digits (upper-cased). True if changed.
fn edit_text(text: &mut String, edit: TicketEdit, letters_only: bool) -> bool {
    match edit {
        TicketEdit::Backspace => text.pop().is_some(),
        TicketEdit::Insert(c) => {
            let allowed = if letters_only {
                c.is_ascii_alphanumeric()
            } else {
                c.is_ascii_digit() || c == '.' || c == '_'
            };
            if allowed && text.chars().count() < FIELD_MAX_CHARS {
                text.push(if letters_only {
                    c.to_ascii_uppercase()
                } else {
                    c
                });
                true
            } else {
                false
            }
        }
    }
}
