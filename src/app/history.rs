//! The history pane's model: an index of loaded rows (see `rows`), pages merged by id in
//! O(page), a cap on loaded rows whose far end is dropped and fetched again when scrolled back
//! to, and a text filter matched incrementally (see `filter`).

mod filter;
pub mod rows;
mod seek;

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};

use self::filter::{FIRST_STEP_ROWS, STEP_ROWS, Search};
use self::rows::{End, RowStore, RowView, Seq};
pub use self::seek::{Seek, SeekProgress};
use super::cmd::Cmd;
use super::freshness::Freshness;
use super::selection::{Nav, Selection};
use crate::api::budget::Priority;
use crate::api::models::{Transaction, TransactionPage, UnreadableRow};

/// Rows per page requested from the API unless `[history] page_size` says otherwise: 50,
/// the `limit` of P100-API.md's one example of the (undocumented) history call, so the one
/// page size a real server is known to accept. Bigger pages mean fewer requests against the
/// budget when paging far (`[history] page_size` up to [`MAX_PAGE_SIZE`]).
pub const PAGE_LIMIT: u32 = 50;

/// The smallest `[history] page_size`: smaller pages than a pane is tall only cost requests.
pub const MIN_PAGE_SIZE: u32 = 10;

/// The largest `[history] page_size`: P100-API.md names no maximum for `limit`; 1,000 rows
/// (a few hundred KB of JSON) stay far inside the response cap (8 MiB) and merge in about a
/// millisecond, so a page never holds the loop up.
pub const MAX_PAGE_SIZE: u32 = 1_000;

/// Why a history page is wanted: it decides the page's place in the desk's request budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageWhy {
    /// The user moved toward it: paging or scrolling near an end of the rows held, `G`, `g`.
    Asked,
    /// The newest page again: the periodic refresh, after rows went final, a retry.
    Refresh,
    /// Fetched ahead of the user: a pane taller than the rows held fills itself.
    Prefetch,
}

impl PageWhy {
    /// The budget class the page waits as: a prefetch goes after everything else.
    pub fn priority(self) -> Priority {
        match self {
            Self::Prefetch => Priority::Prefetch,
            Self::Asked | Self::Refresh => Priority::History,
        }
    }
}

/// The default cap on loaded rows (`[history] max_loaded_rows`).
pub const DEFAULT_MAX_LOADED_ROWS: usize = 200_000;

/// Load the next page when the selection comes this close to the last loaded row.
const PREFETCH_ROWS: usize = 10;

/// The rows of one page that this desk holds, in order (a page's rows already held elsewhere
/// are not counted twice).
#[derive(Debug, Clone, Copy)]
struct Chunk {
    page: u32,
    rows: usize,
}

#[derive(Debug)]
pub struct HistoryPane {
    rows: RowStore,
    /// Which page each run of rows came from, top to bottom.
    chunks: VecDeque<Chunk>,
    /// The matching rows in order while a filter is set (all rows when it is empty).
    matches: VecDeque<Seq>,
    /// The filter's search, while it is still running.
    search: Option<Search>,
    /// The search behind `matches` is complete for `filter` (so a longer query may narrow it).
    matched_query: Option<String>,
    /// The selected row, by its stable name, and where it was last seen among visible rows.
    selected: Option<Seq>,
    last_index: usize,
    /// Scroll offset and viewport height only (the selection is `selected`).
    pub selection: Selection,
    pub freshness: Freshness,
    /// The page of the top row held (1 unless the top was dropped for the cap).
    pub first_page: u32,
    /// The page of the bottom row held; 0 before anything loaded.
    pub pages_loaded: u32,
    /// The page being requested, so a page is never asked for twice at once.
    pub loading_page: Option<u32>,
    /// The API's total, when it sends one.
    pub total: Option<u64>,
    /// The last page came back short: there is nothing older.
    pub exhausted: bool,
    pub filter: String,
    /// The filter line has the keyboard.
    pub filter_editing: bool,
    /// Items of the loaded pages that could not be read (the pane says how many).
    pub unreadable: Vec<UnreadableRow>,
    /// At most this many rows are held (two pages at least); the end far from the selection
    /// is dropped.
    pub max_loaded_rows: usize,
    /// Rows asked for per page (`[history] page_size`); page numbers count in these.
    pub page_size: u32,
    /// `G` or `g` under way: pages load until that end is held (see `seek`).
    seek: Option<Seek>,
    /// A page asked for far from the rows held: they are replaced when it arrives.
    jump: Option<u32>,
}

impl Default for HistoryPane {
    fn default() -> Self {
        Self::with_max_rows(DEFAULT_MAX_LOADED_ROWS)
    }
}

impl HistoryPane {
    pub fn with_max_rows(max_loaded_rows: usize) -> Self {
        Self {
            rows: RowStore::default(),
            chunks: VecDeque::new(),
            matches: VecDeque::new(),
            search: None,
            matched_query: None,
            selected: None,
            last_index: 0,
            selection: Selection::default(),
            freshness: Freshness::default(),
            first_page: 1,
            pages_loaded: 0,
            loading_page: None,
            total: None,
            exhausted: false,
            filter: String::new(),
            filter_editing: false,
            max_loaded_rows,
            page_size: PAGE_LIMIT,
            unreadable: Vec::new(),
            seek: None,
            jump: None,
        }
    }

    /// The cap on rows held: `max_loaded_rows`, but never under two pages (a page merged at
    /// the cap must not drop the rows it just added).
    fn row_cap(&self) -> usize {
        self.max_loaded_rows.max(2 * self.page_size as usize)
    }

    /// Rows above the top row held (pages dropped for the cap), from the page size.
    pub fn rows_above(&self) -> u64 {
        u64::from(self.first_page.saturating_sub(1)) * u64::from(self.page_size)
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn filtered(&self) -> bool {
        !self.needle().is_empty()
    }

    fn needle(&self) -> String {
        self.filter.trim().to_lowercase()
    }

    /// The filter's search is still running: the pane says "searching…".
    pub fn searching(&self) -> bool {
        self.search.is_some()
    }

    /// Rows the pane shows, in order.
    pub fn visible_len(&self) -> usize {
        if self.filtered() {
            self.matches.len()
        } else {
            self.rows.len()
        }
    }

    fn visible_seq(&self, n: usize) -> Option<Seq> {
        if self.filtered() {
            self.matches.get(n).copied()
        } else {
            (n < self.rows.len()).then(|| self.rows.seq_at(n))
        }
    }

    /// The `n`th shown row.
    pub fn visible_row(&self, n: usize) -> Option<RowView<'_>> {
        self.visible_seq(n).and_then(|seq| self.rows.get(seq))
    }

    /// The row at `position` among all loaded rows.
    pub fn row(&self, position: usize) -> Option<RowView<'_>> {
        self.rows.at(position)
    }

    /// The first loaded row with this id: O(1).
    pub fn find(&self, id: &str) -> Option<RowView<'_>> {
        self.rows.find(id).and_then(|seq| self.rows.get(seq))
    }

    /// Where `seq` is among the visible rows: O(1), or O(log n) with a filter.
    fn visible_index_of(&self, seq: Seq) -> Option<usize> {
        let position = self.rows.position(seq)?;
        if !self.filtered() {
            return Some(position);
        }
        let front = self.rows.front_seq();
        self.matches
            .binary_search_by_key(&position, |&s| s.wrapping_sub(front) as usize)
            .ok()
    }

    pub fn selected_index(&self) -> Option<usize> {
        self.selected.and_then(|seq| self.visible_index_of(seq))
    }

    pub fn selected(&self) -> Option<RowView<'_>> {
        self.selected_index().and_then(|n| self.visible_row(n))
    }

    /// The command that loads `page` (at this pane's page size).
    pub fn load(&self, page: u32, why: PageWhy) -> Cmd {
        Cmd::LoadHistory {
            page,
            limit: self.page_size,
            why,
        }
    }

    /// Asks for the page to load next, if it is needed and not already loading.
    pub fn request_page(&mut self, page: u32) -> Option<u32> {
        if self.loading_page.is_some() {
            return None;
        }
        self.loading_page = Some(page);
        self.freshness.start();
        Some(page)
    }

    /// Merges a page. Page 1 (a refresh) puts new rows on top and updates known ones in place;
    /// a page below the held rows appends what is not there yet; a page above them (the top was
    /// dropped for the cap) goes back on top. Rows shift between pages as new ones arrive, so
    /// merging by id is what keeps the list free of duplicates. Costs O(page), whatever is held.
    #[allow(clippy::needless_pass_by_value)] // the page is the app's to give away
    pub fn merge(&mut self, page: u32, data: TransactionPage, now: DateTime<Utc>) {
        self.loading_page = None;
        self.before_merge(page);
        self.freshness.succeeded(now);
        if page <= 1 {
            self.unreadable = data.unreadable;
        } else {
            self.unreadable.extend(data.unreadable);
        }
        if data.total.is_some() {
            self.total = data.total;
        }
        let full_page = data.transactions.len() >= self.page_size as usize;
        let page = page.max(1);
        let end = if self.rows.is_empty() {
            self.first_page = page;
            Some(End::Back)
        } else if page > self.pages_loaded {
            Some(End::Back)
        } else if page + 1 == self.first_page || (page == 1 && self.first_page == 1) {
            // A refresh of the top, or the page just above rows dropped for the cap.
            Some(End::Front)
        } else {
            None // a page inside the held rows (or far above them): updates only
        };

        // The k-th row with an id in this page is the k-th row with that id we hold: a page that
        // repeats an id keeps both rows, and merging it again adds nothing.
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(data.transactions.len());
        let mut fresh: Vec<(&Transaction, usize)> = Vec::new();
        let mut updated: Vec<Seq> = Vec::new();
        for tx in &data.transactions {
            let nth = seen.entry(tx.id.as_str()).or_insert(0);
            match self.rows.find_nth(&tx.id, *nth) {
                Some(seq) => {
                    self.rows.update(seq, tx);
                    updated.push(seq);
                }
                None => fresh.push((tx, *nth)),
            }
            *nth += 1;
        }
        let added = match end {
            Some(End::Back) => {
                for &(tx, nth) in &fresh {
                    self.rows.push(tx, End::Back, nth);
                }
                self.add_chunk(End::Back, page, fresh.len());
                self.pages_loaded = self.pages_loaded.max(page);
                self.exhausted = !full_page;
                Some((End::Back, fresh.len()))
            }
            Some(End::Front) => {
                for &(tx, nth) in fresh.iter().rev() {
                    self.rows.push(tx, End::Front, nth);
                }
                self.add_chunk(End::Front, page, fresh.len());
                self.first_page = self.first_page.min(page);
                if self.pages_loaded <= 1 {
                    self.exhausted = !full_page;
                }
                Some((End::Front, fresh.len()))
            }
            None => None,
        };
        if let Some(total) = self.total {
            self.exhausted |= self.rows_above() + self.rows.len() as u64 >= total;
        }
        self.filter_after_merge(added, &updated);
        // Rows came in where the user is going: the other end is the far one.
        let far = match added {
            Some((End::Front, _)) => End::Back,
            _ => End::Front,
        };
        self.enforce_cap(far);
        self.follow_selection();
    }

    fn add_chunk(&mut self, end: End, page: u32, rows: usize) {
        let chunk = match end {
            End::Front => self.chunks.front_mut(),
            End::Back => self.chunks.back_mut(),
        };
        match chunk {
            Some(chunk) if chunk.page == page => chunk.rows += rows,
            _ if rows == 0 => {}
            _ => {
                let chunk = Chunk { page, rows };
                match end {
                    End::Front => self.chunks.push_front(chunk),
                    End::Back => self.chunks.push_back(chunk),
                }
            }
        }
    }

    /// Keeps `matches` right after a merge: new rows at either end and changed rows are tested
    /// alone (O(page)); a search still running starts over, since its cursor moved.
    fn filter_after_merge(&mut self, added: Option<(End, usize)>, updated: &[Seq]) {
        if !self.filtered() {
            return;
        }
        if self.search.is_some() {
            self.start_search(false);
            return;
        }
        let needle = self.needle();
        let front = self.rows.front_seq();
        let position = |seq: Seq| seq.wrapping_sub(front) as usize;
        for &seq in updated {
            let hit = Search::test(&self.rows, seq, &needle);
            match self
                .matches
                .binary_search_by_key(&position(seq), |&s| position(s))
            {
                Ok(index) if !hit => {
                    self.matches.remove(index);
                }
                Err(index) if hit => self.matches.insert(index, seq),
                _ => {}
            }
        }
        match added {
            Some((End::Front, count)) => {
                for n in (0..count).rev() {
                    let seq = self.rows.seq_at(n);
                    if Search::test(&self.rows, seq, &needle) {
                        self.matches.push_front(seq);
                    }
                }
            }
            Some((End::Back, count)) => {
                for n in self.rows.len() - count..self.rows.len() {
                    let seq = self.rows.seq_at(n);
                    if Search::test(&self.rows, seq, &needle) {
                        self.matches.push_back(seq);
                    }
                }
            }
            None => {}
        }
    }

    /// Drops rows from the far `end` (away from where the user is going) until at most
    /// `max_loaded_rows` are held, never the selected row. A page cut in two is fetched again
    /// when scrolled back to: merging by id keeps what is still held and restores the rest.
    fn enforce_cap(&mut self, end: End) {
        let excess = self.rows.len().saturating_sub(self.row_cap());
        if excess == 0 {
            return;
        }
        let len = self.rows.len();
        let selected = self.selected.and_then(|seq| self.rows.position(seq));
        // Never the selected row itself.
        let room = match (end, selected) {
            (_, None) => len,
            (End::Back, Some(selected)) => len - selected - 1,
            (End::Front, Some(selected)) => selected,
        };
        let mut left = excess.min(room);
        self.rows.drop_rows(end, left);
        while left > 0 {
            let chunk = match end {
                End::Front => self.chunks.front_mut(),
                End::Back => self.chunks.back_mut(),
            };
            let Some(chunk) = chunk else { break };
            if chunk.rows > left {
                chunk.rows -= left;
                // The cut page is asked for again.
                let page = chunk.page;
                match end {
                    End::Front => self.first_page = page + 1,
                    End::Back => self.pages_loaded = page - 1,
                }
                left = 0;
            } else {
                left -= chunk.rows;
                match end {
                    End::Front => {
                        self.chunks.pop_front();
                    }
                    End::Back => {
                        self.chunks.pop_back();
                    }
                }
            }
        }
        match end {
            End::Front => {
                if let Some(chunk) = self.chunks.front() {
                    self.first_page = self.first_page.max(chunk.page);
                }
            }
            End::Back => {
                if let Some(chunk) = self.chunks.back() {
                    self.pages_loaded = self.pages_loaded.min(chunk.page);
                }
                self.exhausted = false;
            }
        }
        // Matches of dropped rows go with them (they are at the ends, matches are sorted).
        while self
            .matches
            .front()
            .is_some_and(|&seq| self.rows.position(seq).is_none())
        {
            self.matches.pop_front();
        }
        while self
            .matches
            .back()
            .is_some_and(|&seq| self.rows.position(seq).is_none())
        {
            self.matches.pop_back();
        }
        if self.search.is_some() {
            self.start_search(false);
        }
    }

    /// Forgets every row held (a page far from them is about to take their place).
    fn clear_rows(&mut self) {
        self.rows = RowStore::default();
        self.chunks.clear();
        self.matches.clear();
        self.search = None;
        self.matched_query = None;
        self.selected = None;
        self.last_index = 0;
        self.first_page = 1;
        self.pages_loaded = 0;
        self.exhausted = false;
    }

    pub fn failed(&mut self, now: DateTime<Utc>, reason: String) {
        self.loading_page = None;
        self.jump = None;
        self.freshness.failed(now, reason);
    }

    /// Moves the selection; returns the next page to load when it nears either end of what
    /// is held (below: older rows; above: rows dropped for the cap).
    pub fn navigate(&mut self, nav: Nav) -> Option<u32> {
        let len = self.visible_len();
        if len == 0 {
            return None;
        }
        let page = self.selection.page_rows();
        let current = self.selected_index();
        let target = match (nav, current) {
            (Nav::Bottom, _) => len - 1,
            (Nav::Top, _) | (_, None) => 0,
            (Nav::Up, Some(n)) => n.saturating_sub(1),
            (Nav::Down, Some(n)) => n + 1,
            (Nav::PageUp, Some(n)) => n.saturating_sub(page),
            (Nav::PageDown, Some(n)) => n.saturating_add(page),
        }
        .min(len - 1);
        self.select_visible(target);
        match nav {
            Nav::Bottom => self.start_seek(Seek::End),
            Nav::Top if self.first_page > 1 => self.start_seek(Seek::Top),
            _ => self.cancel_seek(),
        }
        if self.seek.is_some() {
            // `G` / `g` under way: the user asked for these pages.
            return self.wanted_page().map(|(page, _)| page);
        }
        let upward = matches!(nav, Nav::Up | Nav::PageUp | Nav::Top);
        self.next_page_if_near_an_end(target, upward)
    }

    fn select_visible(&mut self, n: usize) {
        self.selected = self.visible_seq(n);
        self.last_index = n;
    }

    /// The page toward which the user moves, when the selection is near that end of what is held.
    fn next_page_if_near_an_end(&mut self, position: usize, upward: bool) -> Option<u32> {
        if self.pages_loaded == 0 {
            return None;
        }
        // Over the cap and the selected row in the way of dropping more (a filter whose last
        // match is far up): load no further than one page past the cap.
        if self.rows.len() >= self.row_cap() + self.page_size as usize {
            return None;
        }
        if upward {
            if position < PREFETCH_ROWS && self.first_page > 1 {
                return self.request_page(self.first_page - 1);
            }
        } else if !self.exhausted && position + PREFETCH_ROWS >= self.visible_len() {
            return self.request_page(self.pages_loaded + 1);
        }
        None
    }

    pub fn set_filter(&mut self, text: String) {
        let previous = self.matched_query.take();
        self.filter = text;
        let needle = self.needle();
        if needle.is_empty() {
            self.search = None;
            self.matches = VecDeque::new();
            self.follow_selection();
            return;
        }
        let narrows = previous.is_some_and(|old| !old.is_empty() && needle.contains(&old));
        self.start_search(narrows);
    }

    /// Starts matching `filter`: narrowing the last complete result when the query grew,
    /// otherwise over every row. The first slice runs now; `continue_search` does the rest.
    fn start_search(&mut self, narrow: bool) {
        self.matched_query = None;
        let search = if narrow {
            Search::narrowing(std::mem::take(&mut self.matches))
        } else {
            self.matches.clear();
            Search::all(&self.rows)
        };
        self.search = Some(search);
        self.search_step(FIRST_STEP_ROWS);
    }

    /// One slice of a running search (called once per loop turn while `searching`).
    pub fn continue_search(&mut self) {
        self.search_step(STEP_ROWS);
    }

    /// Runs the search to its end (tests and benches that do not run the loop).
    pub fn finish_search(&mut self) {
        while self.searching() {
            self.search_step(usize::MAX);
        }
    }

    fn search_step(&mut self, budget: usize) {
        let Some(search) = self.search.as_mut() else {
            return;
        };
        let needle = self.filter.trim().to_lowercase();
        if search.step(&self.rows, &needle, &mut self.matches, budget) {
            self.search = None;
            self.matched_query = Some(needle);
            self.follow_selection();
        }
    }

    /// After the visible rows changed: keep the selected row if it is still shown, else select
    /// the row now at its old place (or the last), else nothing when nothing is shown. While a
    /// search runs the selection waits for its result.
    fn follow_selection(&mut self) {
        if self.searching() {
            return;
        }
        let len = self.visible_len();
        if len == 0 {
            self.selected = None;
            return;
        }
        if let Some(index) = self.selected_index() {
            self.last_index = index;
            return;
        }
        self.select_visible(self.last_index.min(len - 1));
    }
}

#[cfg(test)]
mod tests;
