//! What the user can do in an open ticket beyond editing its fields (which `trading.rs` does
//! through the text fields): confirm, relock, back to editing, max, and the "terms were drawn"
//! signal that gates confirm. The binding table calls these by action.

use chrono::{DateTime, Utc};

use super::cmd::Cmd;
use super::ticket::{ExchangeField, Stage, StageKind, Ticket, each_kind};
use super::trade_kind::TradeKind;
use super::{App, Level};
use crate::api::models::Currency;
use crate::keys::{Action, Mode};
use crate::money;
use crate::number_format::NumberFormat;

impl App {
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
        each_kind!(ticket, t => t.stage = Stage::Editing);
        self.ticket_changed()
    }

    /// Fills the amount with the whole available balance of the currency sold. An order is
    /// paid by its payer, not from a balance, so it has no maximum.
    pub fn ticket_max(&mut self) -> Vec<Cmd> {
        if !self.ticket_amount_focused() {
            let key = self.key_name(Mode::Ticket(StageKind::Editing), Action::TicketNextField);
            self.note(
                Level::Info,
                format!("Max fills the amount: move to it with {key}"),
            );
            return Vec::new();
        }
        let format = self.keyboard.number_format;
        let balances = &self.balances;
        let filled = match self.ticket.as_mut() {
            Some(Ticket::Exchange(t)) if t.stage == Stage::Editing => {
                let from = Currency::new(&t.from);
                balances.find(&from).map(|row| {
                    t.amount = plain_amount(row.amount, from.as_str(), format);
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
            self.ticket_changed()
        } else {
            Vec::new()
        }
    }

    /// The runtime drew a frame; `ticket_visible` says whether the open ticket was on it (not
    /// hidden by the "too small" notice or an overlay). The locked terms count as seen from
    /// the first frame that showed them: a confirm counts only `CONFIRM_DELAY_MS` (see
    /// `ticket.rs`) after that.
    pub fn frame_drawn(&mut self, now: DateTime<Utc>, ticket_visible: bool) {
        let Some(shown_at) = self
            .ticket
            .as_mut()
            .and_then(|ticket| each_kind!(ticket, t => t.stage.shown_at_mut()))
        else {
            return;
        };
        if !ticket_visible {
            *shown_at = None;
        } else if shown_at.is_none() {
            *shown_at = Some(now);
        }
    }

    /// Whether the focused field of an editing ticket is its amount.
    pub fn ticket_amount_focused(&self) -> bool {
        self.ticket
            .as_ref()
            .is_some_and(|ticket| each_kind!(ticket, t => t.amount_focused()))
    }
}

/// An amount as a user would type it: no grouping, every decimal the balance has (up to the
/// currency's scale; more cannot be typed, so they are cut, never rounded up past the balance).
fn plain_amount(amount: rust_decimal::Decimal, currency: &str, format: NumberFormat) -> String {
    let scale = money::scale_of(currency).unwrap_or(money::MAX_SCALE);
    let text = amount.trunc_with_scale(scale).normalize().to_string();
    // Typed back in the user's own number format, so it parses as what is shown.
    text.replace('.', &format.decimal_separator().to_string())
}
