//! The journal's health as the app sees it: a failed write turns trading off (with the reason
//! on screen) until a write succeeds again; while it is off, a small check line is tried every
//! few seconds so trading comes back by itself once the disk has room.

use super::cmd::Cmd;
use super::{App, Level};
use crate::journal::Event;

/// The intent id of journal check lines (they belong to no attempt; replay skips them).
pub const JOURNAL_CHECK_INTENT: &str = "journal-check";

impl App {
    pub(super) fn on_journal_failed(&mut self, error: &str) -> Vec<Cmd> {
        let reason = format!(
            "the journal could not be written ({error}); trading stays off until a write succeeds"
        );
        if self.trading_blocked.is_none() || self.records.blocked_trading {
            self.trading_blocked = Some(reason.clone());
            self.records.blocked_trading = true;
        }
        self.records.journal_down = Some(reason);
        self.note(
            Level::Error,
            format!(
                "Journal write failed: {error}. Trading is off until the journal can be written"
            ),
        );
        if self.records.journal_check_pending {
            return Vec::new();
        }
        self.records.journal_check_pending = true;
        vec![Cmd::ScheduleJournalCheck {
            after: self.records.journal_check_every,
        }]
    }

    pub(super) fn on_journal_written(&mut self) -> Vec<Cmd> {
        if self.records.journal_down.take().is_some() {
            if self.records.blocked_trading {
                self.trading_blocked = None;
                self.records.blocked_trading = false;
            }
            self.note(
                Level::Info,
                "The journal can be written again: trading is back on",
            );
        }
        Vec::new()
    }

    pub(super) fn on_journal_check_due(&mut self) -> Vec<Cmd> {
        self.records.journal_check_pending = false;
        if self.records.journal_down.is_none() {
            return Vec::new();
        }
        // Its outcome comes back as `JournalWritten` or `JournalFailed` (which books the next).
        let entry = self.journal_entry(
            JOURNAL_CHECK_INTENT,
            Event::Check {
                note: "checking that the journal can be written again".into(),
            },
        );
        vec![Cmd::Journal(entry)]
    }
}
