//! Which history page is wanted next, decided from state alone: a pane taller than the rows
//! held wants the next page; `G` wants the real end (the last page directly when the API told
//! its `total`, else page after page); `g` far from the top wants page 1 again.
//!
//! Nothing here runs on a timer: the app asks after each frame (the pane's height may have
//! changed) and after each page answer. So a page is asked for only when none is in flight, and
//! never while the pane is stale: after an error the app's backed-off retry (or the user) moves
//! first, and no failing page is asked for again in a loop.

use super::{HistoryPane, PageWhy};

/// Where `G` or `g` is taking the selection while pages load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seek {
    /// To the oldest row: pages load until the end of the history.
    End,
    /// Back to the newest row, after the top was dropped (the cap, or a jump to the end).
    Top,
}

/// Where a seek stands, for the pane's progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeekProgress {
    pub seek: Seek,
    /// The page on its way, if one is.
    pub page: Option<u32>,
    /// Rows from the top of the history to the bottom of what is held (known when no rows
    /// above are missing or the pages above are counted).
    pub through: u64,
    pub total: Option<u64>,
}

impl HistoryPane {
    /// The last page, when the API told the total.
    fn last_page(&self) -> Option<u32> {
        let total = self.total?;
        let pages = total.div_ceil(u64::from(self.page_size)).max(1);
        Some(u32::try_from(pages).unwrap_or(u32::MAX))
    }

    /// Starts `G` / `g`: the selection goes to the held end now, the pages follow.
    pub(super) fn start_seek(&mut self, seek: Seek) {
        self.seek = Some(seek);
    }

    /// Stops a seek (any other move, or the filter changed).
    pub(super) fn cancel_seek(&mut self) {
        self.seek = None;
        self.jump = None;
    }

    /// The seek under way, with how far it got.
    pub fn seek_progress(&self) -> Option<SeekProgress> {
        let seek = self.seek?;
        Some(SeekProgress {
            seek,
            page: self.loading_page,
            through: self.rows_above() + self.rows.len() as u64,
            total: self.total,
        })
    }

    /// Whether the oldest row of the history is held (a short last page, or the total reached).
    pub fn at_end_of_history(&self) -> bool {
        self.exhausted && self.pages_loaded > 0
    }

    /// The page to ask for now, if any (it is then marked as loading), and why: the one
    /// decision behind filling a tall pane (a prefetch: nobody asked) and `G` and `g` (the
    /// user asked). `None` while a page is in flight, before the first page, while the pane is
    /// stale, and once nothing more is wanted.
    pub fn wanted_page(&mut self) -> Option<(u32, PageWhy)> {
        if self.loading_page.is_some() || self.pages_loaded == 0 || self.freshness.stale.is_some() {
            return None;
        }
        match self.seek {
            Some(Seek::End) => return self.seek_end().map(|page| (page, PageWhy::Asked)),
            Some(Seek::Top) => return self.seek_top().map(|page| (page, PageWhy::Asked)),
            None => {}
        }
        self.fill_page().map(|page| (page, PageWhy::Prefetch))
    }

    fn seek_end(&mut self) -> Option<u32> {
        self.select_last();
        if self.exhausted {
            self.seek = None;
            return None;
        }
        // Far from the end with the total known: ask for the last page itself; the rows held
        // are replaced when it arrives, and the gap loads as the user scrolls back up.
        if let Some(last) = self.last_page()
            && last > self.pages_loaded + 1
        {
            self.jump = Some(last);
            return self.request_page(last);
        }
        self.request_page(self.pages_loaded + 1)
    }

    fn seek_top(&mut self) -> Option<u32> {
        if self.first_page <= 1 {
            self.seek = None;
            if self.visible_len() > 0 {
                self.select_visible(0);
            }
            return None;
        }
        if self.first_page > 2 {
            self.jump = Some(1);
            return self.request_page(1);
        }
        self.request_page(self.first_page - 1)
    }

    /// A pane taller than the rows held wants more: older rows first, then the ones above a
    /// dropped top. Not with a filter set (filling the pane with matches could mean loading the
    /// whole history); the user's scrolling asks for more there.
    fn fill_page(&mut self) -> Option<u32> {
        if self.filtered() || self.rows.len() >= self.row_cap() {
            return None;
        }
        if self.rows.len() >= self.selection.page_rows() {
            return None;
        }
        if !self.exhausted {
            return self.request_page(self.pages_loaded + 1);
        }
        if self.first_page > 1 {
            return self.request_page(self.first_page - 1);
        }
        None
    }

    fn select_last(&mut self) {
        let len = self.visible_len();
        if len > 0 {
            self.select_visible(len - 1);
        }
    }

    /// Before merging `page`: a page jumped to replaces what is held (it is not next to it).
    pub(super) fn before_merge(&mut self, page: u32) {
        if self.jump.take() == Some(page) {
            self.clear_rows();
        }
    }
}

impl crate::app::App {
    /// After a frame was drawn (the history pane's height is known now): the page the pane
    /// wants, if any. The runtime runs what this returns; nothing else asks on a schedule.
    pub fn after_frame(&mut self) -> Vec<crate::app::cmd::Cmd> {
        self.wanted_history_page()
    }

    /// `Cmd::LoadHistory` for the page the history pane wants now, if it wants one.
    pub(crate) fn wanted_history_page(&mut self) -> Vec<crate::app::cmd::Cmd> {
        self.history
            .wanted_page()
            .map(|(page, why)| self.history.load(page, why))
            .into_iter()
            .collect()
    }
}
