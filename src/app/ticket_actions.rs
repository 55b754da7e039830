//! What the user can do in an open ticket beyond editing its fields (which `trading.rs` does
//! through the text fields): confirm, relock, back to editing, max, and the "terms were drawn"
//! signal that gates confirm. The binding table calls these by action.

use chrono::{DateTime, Utc};

use super::cmd::Cmd;
use super::ticket::{Stage, StageKind, each_kind};
use super::trade_kind::TradeKind;
use super::{App, Level};
use crate::keys::{Action, Mode};

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
        let Some(ticket) = self.ticket.as_mut() else {
            return Vec::new();
        };
        let filled = match each_kind!(ticket, t => t.fill_max(balances, format)) {
            Ok(filled) => filled,
            Err(why) => {
                self.note(Level::Info, why);
                return Vec::new();
            }
        };
        if filled {
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
