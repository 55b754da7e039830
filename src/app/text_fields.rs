//! Which text field has the keyboard, its cursor, and the edits of the fields the app owns
//! itself (the history filter, the command line); ticket fields are edited in `trading.rs`.

use super::cmd::Cmd;
use super::keyboard::{Cursor, FieldId};
use super::ticket::{StageKind, each_kind};
use super::trade_kind::TradeKind;
use super::{App, Level};
use crate::input::{Applied, Field, TextEdit};
use crate::keys::Mode;

impl App {
    /// The field that takes typed text in the current mode, if any.
    pub fn focused_field(&self) -> Option<FieldId> {
        match self.mode() {
            Mode::Filter => Some(FieldId::Filter),
            Mode::CommandLine => Some(FieldId::Command),
            Mode::Ticket(StageKind::Editing) => self
                .ticket
                .as_ref()
                .map(|ticket| each_kind!(ticket, t => t.field_id())),
            Mode::Ticket(StageKind::Locked) => self.retype_text().map(|_| FieldId::Retype),
            _ => None,
        }
    }

    /// Where the cursor of `field` (holding `text`) is drawn.
    pub fn cursor_of(&self, field: FieldId, text: &str) -> usize {
        self.keyboard.cursor.position(field, text)
    }

    /// The retype text of a locked ticket that asks for one.
    pub fn retype_text(&self) -> Option<&str> {
        self.ticket
            .as_ref()
            .and_then(|ticket| each_kind!(ticket, t => t.stage.retype()))
    }

    pub(super) fn on_text_edit(&mut self, field: FieldId, edit: &TextEdit) -> Vec<Cmd> {
        match field {
            FieldId::Filter => {
                let mut text = self.history.filter.clone();
                let applied =
                    edit_field(&mut self.keyboard.cursor, field, &mut text, edit, |_| true);
                if applied == Applied::Changed {
                    self.history.set_filter(text);
                }
                self.refused(applied);
                Vec::new()
            }
            FieldId::Command => {
                let Some(text) = self.keyboard.command.as_mut() else {
                    return Vec::new();
                };
                let applied = edit_field(&mut self.keyboard.cursor, field, text, edit, |_| true);
                self.refused(applied);
                Vec::new()
            }
            FieldId::Exchange(_) | FieldId::Order(_) => self.edit_ticket(edit),
            FieldId::Retype => {
                self.edit_retype(edit);
                Vec::new()
            }
        }
    }

    /// Tells the user why an edit was refused (nothing typed is dropped without a word).
    pub(super) fn refused(&mut self, applied: Applied) {
        if let Applied::Refused(reason) = applied {
            self.note(Level::Warning, format!("Not typed: {reason}"));
        }
    }
}

/// Applies `edit` to `text` at `field`'s cursor and remembers where the cursor went.
pub(super) fn edit_field(
    cursor: &mut Cursor,
    field: FieldId,
    text: &mut String,
    edit: &TextEdit,
    allowed: impl Fn(char) -> bool,
) -> Applied {
    let mut at = cursor.position(field, text);
    let applied = Field {
        text,
        cursor: &mut at,
    }
    .apply(edit, allowed);
    cursor.set(field, at, text);
    applied
}
