//! The history filter's incremental search: matches are found a slice of rows at a time, so a
//! key typed into `/` costs the same at 1M rows as at 1k, and a longer query narrows the last
//! complete result instead of scanning everything again.

use std::collections::VecDeque;

use super::rows::{CodeVerdicts, RowStore, Seq};

/// Rows tested when the query changes, inside the key's own update: enough to finish a small
/// history at once, small enough to stay far below a millisecond.
pub const FIRST_STEP_ROWS: usize = 4_096;

/// Rows tested per continuation step (one loop turn): about 1 ms of matching.
pub const STEP_ROWS: usize = 32_768;

/// Which rows a running search still has to test.
#[derive(Debug)]
enum Source {
    /// Every loaded row, from `next` to the last.
    All { next: Seq },
    /// The complete result of a shorter query this one extends, from `next` on.
    Narrow { from: VecDeque<Seq>, next: usize },
}

/// A search under way: `found` is sorted by position and grows until the source is used up.
#[derive(Debug)]
pub struct Search {
    source: Source,
    verdicts: CodeVerdicts,
}

impl Search {
    /// A search over every loaded row.
    pub fn all(store: &RowStore) -> Self {
        Self {
            source: Source::All {
                next: store.front_seq(),
            },
            verdicts: CodeVerdicts::default(),
        }
    }

    /// A search over the complete result of a query the new one contains.
    pub fn narrowing(previous: VecDeque<Seq>) -> Self {
        Self {
            source: Source::Narrow {
                from: previous,
                next: 0,
            },
            verdicts: CodeVerdicts::default(),
        }
    }

    /// Tests up to `budget` rows, appending matches to `found`; true when the search is done.
    pub fn step(
        &mut self,
        store: &RowStore,
        needle: &str,
        found: &mut VecDeque<Seq>,
        budget: usize,
    ) -> bool {
        let verdicts = &mut self.verdicts;
        match &mut self.source {
            Source::All { next } => {
                let Some(start) = store.position(*next) else {
                    return true;
                };
                let end = start.saturating_add(budget).min(store.len());
                for position in start..end {
                    if let Some(row) = store.at(position) {
                        if row.matches(needle, verdicts) {
                            found.push_back(row.seq());
                        }
                    }
                }
                *next = store.seq_at(end);
                end >= store.len()
            }
            Source::Narrow { from, next } => {
                let end = next.saturating_add(budget).min(from.len());
                for &seq in from.range(*next..end) {
                    if store
                        .get(seq)
                        .is_some_and(|row| row.matches(needle, verdicts))
                    {
                        found.push_back(seq);
                    }
                }
                *next = end;
                end >= from.len()
            }
        }
    }

    /// Tests one row outside the scan (a row that arrived or changed): whether it matches.
    pub fn test(store: &RowStore, seq: Seq, needle: &str) -> bool {
        let mut verdicts = CodeVerdicts::default();
        store
            .get(seq)
            .is_some_and(|row| row.matches(needle, &mut verdicts))
    }
}
