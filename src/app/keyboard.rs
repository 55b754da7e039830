//! The keyboard's share of the state: the binding table in use, the number format, the terminal
//! size (for the too-small mode), the quit question, the help origin, the text cursor, the
//! command line and the message log.

use super::keymap::Pane;
use super::message_log::MessageLog;
use super::ticket::{ExchangeField, OrderField};
use crate::keys::{Keymap, Mode};
use crate::number_format::NumberFormat;

/// The smallest terminal the dashboard is drawn in (below it, only quitting works).
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Which text field has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldId {
    Filter,
    Command,
    Exchange(ExchangeField),
    Order(OrderField),
    /// The amount typed again above the limit.
    Retype,
}

/// The cursor of the focused field. It is valid while the same field holds text of the same
/// length it left; otherwise (another field, text changed elsewhere) it sits at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    field: Option<FieldId>,
    at: usize,
    len: usize,
}

impl Cursor {
    pub fn position(&self, field: FieldId, text: &str) -> usize {
        let len = text.chars().count();
        if self.field == Some(field) && self.len == len {
            self.at.min(len)
        } else {
            len
        }
    }

    pub fn set(&mut self, field: FieldId, at: usize, text: &str) {
        *self = Cursor {
            field: Some(field),
            at,
            len: text.chars().count(),
        };
    }
}

#[derive(Debug, Clone)]
pub struct Keyboard {
    pub keymap: Keymap,
    pub number_format: NumberFormat,
    /// The terminal's size, once the runtime has told it.
    pub size: Option<(u16, u16)>,
    /// Quit was asked with rows in flight.
    pub quit_asked: bool,
    /// The mode the help overlay was opened from (it lists that mode's keys).
    pub help_from: Mode,
    pub cursor: Cursor,
    /// The command line's text while it is open.
    pub command: Option<String>,
    pub log: MessageLog,
}

impl Default for Keyboard {
    fn default() -> Self {
        Self {
            keymap: Keymap::default(),
            number_format: NumberFormat::default(),
            size: None,
            quit_asked: false,
            help_from: Mode::Dashboard(Pane::Balances),
            cursor: Cursor::default(),
            command: None,
            log: MessageLog::default(),
        }
    }
}

impl Keyboard {
    pub fn too_small(&self) -> bool {
        self.size
            .is_some_and(|(width, height)| width < MIN_WIDTH || height < MIN_HEIGHT)
    }
}
