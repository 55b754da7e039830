//! The poll schedule's queue of rows by due time: a few FIFO lanes, one per wait length, so
//! queuing a row and taking the next due one cost O(1) and walk memory in order.
//!
//! A row is queued again at `now + wait`, where `wait` is one of a handful of lengths (the first
//! check, doubled up to the cap), and `now` only moves forward: rows queued with one wait come
//! due in the order they were queued, so each wait gets a lane that is a plain FIFO, and the next
//! due row is the earliest of the lanes' fronts. A wait without a lane (a Retry-After longer than
//! the backoff, more lengths than lanes) or a due time before its lane's back (a caller whose
//! clock went back) goes to a small ordered map instead, so the order is exact whatever is
//! queued. A BTreeMap of every row (what this replaces) costs O(log N) and, at 10,000 rows, a
//! cache miss per level.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

/// Lanes kept at most: the default backoff (1 s doubled to 30 s) has 6 lengths; the rest is room
/// for wider `[polling]` ranges. More lengths than this go to the ordered map.
const MAX_LANES: usize = 12;

/// A lane entry whose row was taken out while it waited (found by binary search and marked,
/// since moving the entries behind it would cost O(N)); skipped when it reaches the front.
const REMOVED: u32 = u32::MAX;

/// One queued row: when it is due, the order it was queued in (equal due times: first queued,
/// first taken) and which row (the schedule's slot number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    at: Instant,
    seq: u64,
    slot: u32,
}

/// Where a row was queued, to take it out again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    pub at: Instant,
    seq: u64,
    /// The lane's number, or `None` for the ordered map.
    lane: Option<u8>,
}

#[derive(Debug)]
struct Lane {
    wait: Duration,
    entries: VecDeque<Entry>,
}

impl Lane {
    /// Drops removed entries at both ends; returns how many.
    fn trim(&mut self) -> usize {
        let mut dropped = 0;
        while self.entries.front().is_some_and(|e| e.slot == REMOVED) {
            self.entries.pop_front();
            dropped += 1;
        }
        while self.entries.back().is_some_and(|e| e.slot == REMOVED) {
            self.entries.pop_back();
            dropped += 1;
        }
        dropped
    }
}

/// Rows by due time (see the module comment). Slot numbers are the caller's.
#[derive(Debug, Default)]
pub struct DueQueue {
    lanes: Vec<Lane>,
    ordered: BTreeMap<(Instant, u64), u32>,
    /// Rows queued (removed lane entries not counted).
    len: usize,
    /// Removed entries still inside lanes.
    removed: usize,
    /// Tie-breaker for equal due times.
    queued_count: u64,
}

impl DueQueue {
    /// Queues `slot` to be due at `at`, `wait` after now. `wait` is a backoff length (it gets
    /// a lane), or `None` for a one-off wait (a Retry-After), which goes to the ordered map so
    /// that odd lengths never take the lanes.
    pub fn push(&mut self, slot: u32, at: Instant, wait: Option<Duration>) -> Queued {
        self.queued_count += 1;
        self.len += 1;
        let seq = self.queued_count;
        let entry = Entry { at, seq, slot };
        let lane = wait.and_then(|wait| {
            let found = self.lanes.iter().position(|lane| lane.wait == wait);
            if found.is_none() && self.lanes.len() < MAX_LANES {
                self.lanes.push(Lane {
                    wait,
                    entries: VecDeque::new(),
                });
                return Some(self.lanes.len() - 1);
            }
            found
        });
        if let Some(index) = lane
            && let Ok(number) = u8::try_from(index)
        {
            let lane = &mut self.lanes[index];
            if lane.entries.back().is_none_or(|back| back.at <= at) {
                lane.entries.push_back(entry);
                return Queued {
                    at,
                    seq,
                    lane: Some(number),
                };
            }
        }
        self.ordered.insert((at, seq), slot);
        Queued {
            at,
            seq,
            lane: None,
        }
    }

    /// Takes a queued row out (it left the watch set, or its answer came early).
    pub fn remove(&mut self, queued: Queued) {
        let Some(number) = queued.lane else {
            if self.ordered.remove(&(queued.at, queued.seq)).is_some() {
                self.len -= 1;
            }
            return;
        };
        let Some(lane) = self.lanes.get_mut(usize::from(number)) else {
            return;
        };
        // A lane is sorted by (due, seq): its entries were pushed in that order.
        let Ok(index) = lane
            .entries
            .binary_search_by(|e| (e.at, e.seq).cmp(&(queued.at, queued.seq)))
        else {
            return;
        };
        if lane.entries[index].slot == REMOVED {
            return;
        }
        lane.entries[index].slot = REMOVED;
        self.len -= 1;
        self.removed += 1;
        self.removed -= lane.trim();
        // Removed entries in the middle wait for their turn at the front; when they outnumber
        // the rows, sweep them (O(entries), so O(1) per removal overall).
        if self.removed > self.len + 64 {
            for lane in &mut self.lanes {
                lane.entries.retain(|e| e.slot != REMOVED);
            }
            self.removed = 0;
        }
    }

    /// The next row due: its place (a lane's number or `None`) and entry.
    fn first(&self) -> Option<(Option<usize>, Entry)> {
        let mut best = self
            .ordered
            .first_key_value()
            .map(|(&(at, seq), &slot)| (None, Entry { at, seq, slot }));
        for (index, lane) in self.lanes.iter().enumerate() {
            // Lanes are trimmed after every change: a front is a live entry.
            if let Some(&front) = lane.entries.front()
                && best.is_none_or(|(_, b): (_, Entry)| (front.at, front.seq) < (b.at, b.seq))
            {
                best = Some((Some(index), front));
            }
        }
        best
    }

    /// When the next row falls due.
    pub fn next_due(&self) -> Option<Instant> {
        self.first().map(|(_, entry)| entry.at)
    }

    /// The most overdue row at `now`, taken out of the queue.
    pub fn pop_due(&mut self, now: Instant) -> Option<u32> {
        let (place, entry) = self.first()?;
        if entry.at > now {
            return None;
        }
        match place {
            None => {
                self.ordered.pop_first();
            }
            Some(index) => {
                let lane = &mut self.lanes[index];
                lane.entries.pop_front();
                self.removed -= lane.trim();
            }
        }
        self.len -= 1;
        Some(entry.slot)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Lanes made so far (one per backoff length seen).
    #[cfg(test)]
    pub fn lanes(&self) -> usize {
        self.lanes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_out_by_due_time_then_queue_order_across_lanes_and_the_map() {
        let mut queue = DueQueue::default();
        let start = Instant::now();
        let s = Duration::from_secs;
        // Lanes of 1 s and 4 s, a long Retry-After, a clock that went back.
        queue.push(0, start + s(4), Some(s(4)));
        queue.push(1, start + s(1), Some(s(1)));
        queue.push(2, start + s(1), Some(s(1)));
        queue.push(3, start + s(100), None); // a Retry-After: the ordered map
        queue.push(4, start + s(3), Some(s(4))); // before its lane's back: the map too
        queue.push(5, start + s(2), Some(s(1)));
        assert_eq!(queue.len(), 6);
        assert_eq!(queue.next_due(), Some(start + s(1)));
        let mut order = Vec::new();
        while let Some(slot) = queue.pop_due(start + s(1_000)) {
            order.push(slot);
        }
        assert_eq!(order, [1, 2, 5, 4, 0, 3]);
        assert_eq!(queue.len(), 0);
        assert_eq!(queue.next_due(), None);
    }

    #[test]
    fn removed_rows_never_come_out_and_do_not_pile_up() {
        let mut queue = DueQueue::default();
        let start = Instant::now();
        let wait = Duration::from_secs(1);
        let places: Vec<Queued> = (0..1_000)
            .map(|n| queue.push(n, start + Duration::from_millis(u64::from(n)), Some(wait)))
            .collect();
        // Every other row leaves while it waits, the first and the last among them.
        for place in places.iter().step_by(2) {
            queue.remove(*place);
            queue.remove(*place); // twice is once
        }
        queue.remove(places[999]);
        assert_eq!(queue.len(), 499);
        assert_eq!(queue.next_due(), Some(places[1].at));
        let mut out = Vec::new();
        while let Some(slot) = queue.pop_due(start + Duration::from_secs(10)) {
            out.push(slot);
        }
        let expected: Vec<u32> = (1..999).step_by(2).collect();
        assert_eq!(out, expected);
        // A row joining and leaving at once, many times: nothing is left behind.
        for n in 0..10_000 {
            let place = queue.push(n, start + wait, Some(wait));
            queue.remove(place);
        }
        assert_eq!(queue.len(), 0);
        assert!(queue.lanes.iter().all(|lane| lane.entries.is_empty()));
    }

    #[test]
    fn removed_entries_in_the_middle_are_swept() {
        let mut queue = DueQueue::default();
        let start = Instant::now();
        let wait = Duration::from_secs(1);
        let places: Vec<Queued> = (0..1_000)
            .map(|n| queue.push(n, start + Duration::from_millis(u64::from(n)), Some(wait)))
            .collect();
        // All but the first and the last leave: the sweep keeps the lane small.
        for place in &places[1..999] {
            queue.remove(*place);
        }
        assert_eq!(queue.len(), 2);
        assert!(queue.lanes[0].entries.len() <= 2 + 2 + 64);
        assert_eq!(queue.pop_due(start + wait), Some(0));
        assert_eq!(queue.pop_due(start + wait), Some(999));
    }
}
