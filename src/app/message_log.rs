//! The message log (`L`): every notice, warning and error since the desk started, with its time
//! and full text; the status bar shows only the last one, cut to its width.

use std::collections::VecDeque;

use super::Notice;

/// The most recent messages kept; the oldest go first, and the view says how many were dropped.
/// Bounded so that a desk left running for weeks (a poller note every few seconds) keeps a flat
/// heap; it is allocated whole on the first message for the same reason.
pub const MAX_MESSAGES: usize = 128;

#[derive(Debug, Clone, Default)]
pub struct MessageLog {
    entries: VecDeque<Notice>,
    /// Messages dropped from the front since the start.
    pub dropped: usize,
    /// How many entries from the newest the view is scrolled up (0: the newest at the bottom).
    pub scroll_up: usize,
}

impl MessageLog {
    pub fn push(&mut self, notice: Notice) {
        if self.entries.capacity() == 0 {
            self.entries.reserve_exact(MAX_MESSAGES);
        }
        if self.entries.len() == MAX_MESSAGES {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(notice);
    }

    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &Notice> + ExactSizeIterator {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn scroll_older(&mut self) {
        self.scroll_up = (self.scroll_up + 1).min(self.entries.len().saturating_sub(1));
    }

    pub fn scroll_newer(&mut self) {
        self.scroll_up = self.scroll_up.saturating_sub(1);
    }
}
