//! The history pane's model: pages loaded as the user scrolls, merged by id, and a text filter.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::freshness::Freshness;
use super::selection::{Nav, Selection};
use crate::api::models::{Transaction, TransactionPage, UnreadableRow};

/// Rows per page requested from the API.
pub const PAGE_LIMIT: u32 = 50;

/// Load the next page when the selection comes this close to the last loaded row.
const PREFETCH_ROWS: usize = 10;

#[derive(Debug, Default)]
pub struct HistoryPane {
    /// Newest first, unique by id.
    pub rows: Vec<Transaction>,
    /// Indices into `rows` that match the filter, in order (all rows when no filter).
    visible: Vec<usize>,
    pub selection: Selection,
    pub freshness: Freshness,
    /// Pages 1..=pages_loaded are merged in.
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
}

impl HistoryPane {
    /// Rows the pane shows, in order.
    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    /// The `n`th shown row.
    pub fn visible_row(&self, n: usize) -> Option<&Transaction> {
        self.visible.get(n).and_then(|&index| self.rows.get(index))
    }

    pub fn selected_index(&self) -> Option<usize> {
        self.selection.locate(self.visible.len(), |n| {
            self.rows[self.visible[n]].id.as_str()
        })
    }

    pub fn selected(&self) -> Option<&Transaction> {
        self.selected_index().and_then(|n| self.visible_row(n))
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
    /// later pages append what is not there yet. Rows shift between pages as new ones arrive,
    /// so merging by id is what keeps the list free of duplicates and gaps.
    pub fn merge(&mut self, page: u32, data: TransactionPage, now: DateTime<Utc>) {
        self.loading_page = None;
        self.freshness.succeeded(now);
        if page <= 1 {
            self.unreadable = data.unreadable;
        } else {
            self.unreadable.extend(data.unreadable);
        }
        if data.total.is_some() {
            self.total = data.total;
        }
        let full_page = data.transactions.len() >= PAGE_LIMIT as usize;
        // One pass to index what we hold: merging a page stays O(rows), not O(rows x page),
        // with 100,000 rows loaded.
        let known: HashMap<&str, usize> = self
            .rows
            .iter()
            .enumerate()
            .map(|(index, row)| (row.id.as_str(), index))
            .collect();
        let mut updates = Vec::new();
        let mut fresh = Vec::new();
        for row in data.transactions {
            match known.get(row.id.as_str()) {
                Some(&index) => updates.push((index, row)),
                None if fresh.iter().any(|f: &Transaction| f.id == row.id) => {}
                None => fresh.push(row),
            }
        }
        drop(known);
        for (index, row) in updates {
            self.rows[index] = row;
        }
        if page <= 1 {
            fresh.append(&mut self.rows);
            self.rows = fresh;
            self.pages_loaded = self.pages_loaded.max(1);
        } else {
            self.rows.append(&mut fresh);
            self.pages_loaded = self.pages_loaded.max(page);
            self.exhausted = !full_page;
        }
        if page <= 1 && self.pages_loaded <= 1 {
            self.exhausted = !full_page;
        }
        if let Some(total) = self.total {
            self.exhausted |= self.rows.len() as u64 >= total;
        }
        self.refilter();
    }

    pub fn failed(&mut self, now: DateTime<Utc>, reason: String) {
        self.loading_page = None;
        self.freshness.failed(now, reason);
    }

    /// Moves the selection; returns the next page to load when it nears the end.
    pub fn navigate(&mut self, nav: Nav) -> Option<u32> {
        let ids: Vec<&str> = self
            .visible
            .iter()
            .map(|&index| self.rows[index].id.as_str())
            .collect();
        self.selection.apply(&ids, nav);
        self.next_page_if_near_end()
    }

    fn next_page_if_near_end(&mut self) -> Option<u32> {
        if self.exhausted || self.pages_loaded == 0 {
            return None;
        }
        let position = self.selected_index().unwrap_or(0);
        if position + PREFETCH_ROWS >= self.visible.len() {
            let next = self.pages_loaded + 1;
            return self.request_page(next);
        }
        None
    }

    pub fn set_filter(&mut self, text: String) {
        self.filter = text;
        self.refilter();
    }

    /// Recomputes which rows match the filter (type, status, currency, id, description), case-
    /// insensitively; done on change, never per frame.
    fn refilter(&mut self) {
        let needle = self.filter.trim().to_lowercase();
        self.visible = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, row)| needle.is_empty() || matches_filter(row, &needle))
            .map(|(index, _)| index)
            .collect();
        let ids: Vec<&str> = self
            .visible
            .iter()
            .map(|&index| self.rows[index].id.as_str())
            .collect();
        self.selection.follow(&ids);
    }
}

fn matches_filter(row: &Transaction, needle: &str) -> bool {
    let fields = [
        row.kind.as_str(),
        row.status.as_str(),
        row.currency.as_str(),
        row.id.as_str(),
        row.currency_to.as_ref().map_or("", |c| c.as_str()),
        row.description.as_deref().unwrap_or(""),
    ];
    fields
        .iter()
        .any(|field| field.to_lowercase().contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::{Currency, TransactionStatus, TransactionType};
    use rust_decimal::Decimal;

    pub(crate) fn tx(id: &str, kind: TransactionType, currency: &str) -> Transaction {
        Transaction {
            id: id.into(),
            kind,
            status: TransactionStatus::Successful,
            amount: Decimal::ONE,
            currency: Currency::new(currency),
            created_at: None,
            description: None,
            currency_to: None,
            amount_to: None,
        }
    }

    fn page(ids: std::ops::Range<u32>) -> TransactionPage {
        TransactionPage {
            transactions: ids
                .map(|n| tx(&format!("t{n}"), TransactionType::Exchange, "eur"))
                .collect(),
            page: None,
            limit: None,
            total: None,
            unreadable: Vec::new(),
        }
    }

    #[test]
    fn pages_merge_by_id_without_duplicates() {
        let mut pane = HistoryPane::default();
        pane.merge(1, page(100..150), Utc::now());
        assert!(!pane.exhausted);
        // Two new rows arrived meanwhile, so page 2 starts with two rows we already have.
        pane.merge(2, page(52..102), Utc::now());
        assert_eq!(pane.rows.len(), 98);
        // A refresh of page 1 brings the two new rows on top.
        pane.merge(1, page(150..152), Utc::now());
        assert_eq!(pane.rows[0].id, "t150");
        assert_eq!(pane.rows.len(), 100);
    }

    #[test]
    fn short_page_means_nothing_older() {
        let mut pane = HistoryPane::default();
        pane.merge(1, page(0..10), Utc::now());
        assert!(pane.exhausted);
        assert_eq!(pane.navigate(Nav::Bottom), None);
    }

    #[test]
    fn scrolling_near_the_end_asks_for_the_next_page_once() {
        let mut pane = HistoryPane::default();
        pane.merge(1, page(0..50), Utc::now());
        assert_eq!(pane.navigate(Nav::Down), None);
        assert_eq!(pane.navigate(Nav::Bottom), Some(2));
        assert_eq!(pane.navigate(Nav::Up), None, "page 2 is already loading");
        pane.failed(Utc::now(), "offline".into());
        assert_eq!(
            pane.navigate(Nav::Down),
            Some(2),
            "asks again after a failure"
        );
    }

    #[test]
    fn filter_matches_type_status_currency_and_id_and_keeps_selection() {
        let mut pane = HistoryPane::default();
        let mut data = page(0..0);
        data.transactions = vec![
            tx("a1", TransactionType::Exchange, "eth"),
            tx("b2", TransactionType::SepaDeposit, "eur"),
            tx("c3", TransactionType::Order, "usdc"),
        ];
        pane.merge(1, data, Utc::now());
        pane.navigate(Nav::Bottom);
        assert_eq!(pane.selected().map(|t| t.id.as_str()), Some("c3"));
        pane.set_filter("USDC".into());
        assert_eq!(pane.visible_len(), 1);
        assert_eq!(pane.selected().map(|t| t.id.as_str()), Some("c3"));
        pane.set_filter("sepa".into());
        assert_eq!(pane.visible_row(0).map(|t| t.id.as_str()), Some("b2"));
        pane.set_filter("successful".into());
        assert_eq!(pane.visible_len(), 3);
        pane.set_filter("zzz".into());
        assert_eq!(pane.visible_len(), 0);
        assert_eq!(pane.selected(), None);
        pane.set_filter(String::new());
        assert_eq!(pane.visible_len(), 3);
    }
}
