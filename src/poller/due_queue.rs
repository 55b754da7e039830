//! The poll schedule's queue of rows by due time, in two classes: rows closest to a change
//! ([`Class::Hot`]) and the rest ([`Class::Steady`]). Each class is a few FIFO lanes, one per
//! wait length, so queuing a row and taking the next due one cost O(1) and walk memory in order.
//!
//! A row is queued again at `now + wait`, where `wait` is one of a handful of lengths (the first
//! check, doubled up to the cap), and `now` only moves forward: rows queued with one wait come
//! due in the order they were queued, so each wait gets a lane that is a plain FIFO, and a
//! class's next due row is the earliest of its lanes' fronts. A wait without a lane (a
//! Retry-After longer than the backoff, more lengths than lanes) or a due time before its lane's
//! back (a caller whose clock went back) goes to a small ordered map instead, so the order is
//! exact whatever is queued. A BTreeMap of every row (what this replaces) costs O(log N) and, at
//! 10,000 rows, a cache miss per level.
//!
//! Which class a take serves (see [`DueQueue::pop_due`]): when the budget cannot keep up with
//! the backoff, most overdue first would make a row created a second ago wait a whole round
//! (35 minutes with 10,000 rows at 5 requests/s) behind rows that have said the same thing for
//! hours. So a due hot row is taken before a due steady row, except that the steady rows get
//! at least one take in four while one of them is due: [`STEADY_EVERY`]. Within a class, the
//! most overdue row first.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

/// Lanes kept at most per class: the default backoff (1 s doubled to 30 s) has 6 lengths; the
/// rest is room for wider `[polling]` ranges. More lengths than this go to the ordered map.
const MAX_LANES: usize = 12;

/// A lane entry whose row was taken out while it waited (found by binary search and marked,
/// since moving the entries behind it would cost O(N)); skipped when it reaches the front.
const REMOVED: u32 = u32::MAX;

/// The no-starvation rule: while a steady row is due, at most `STEADY_EVERY - 1` takes in a row
/// go to hot rows; the next goes to the most overdue steady row. So however fast hot rows
/// arrive, the steady rows keep at least a quarter of the takes (and of the budget) and every
/// steady row is still checked, in turn; at 5 requests/s with hot rows taking the rest, a
/// round of 10,000 steady rows takes at most four times as long as it would alone.
pub const STEADY_EVERY: u32 = 4;

/// The two orders rows are checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Closest to a change: a row just created, or whose status just changed, while its
    /// backoff is still short. Taken first.
    Hot,
    /// The rest: most overdue first, with a guaranteed share of the takes.
    Steady,
}

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
    class: Class,
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

/// The rows of one class by due time: lanes and the ordered map.
#[derive(Debug, Default)]
struct Tier {
    lanes: Vec<Lane>,
    ordered: BTreeMap<(Instant, u64), u32>,
    /// Rows queued (removed lane entries not counted).
    len: usize,
    /// Removed entries still inside lanes.
    removed: usize,
}

impl Tier {
    /// Queues an entry; returns its lane (`None`: the ordered map).
    fn push(&mut self, entry: Entry, wait: Option<Duration>) -> Option<u8> {
        self.len += 1;
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
            if lane.entries.back().is_none_or(|back| back.at <= entry.at) {
                lane.entries.push_back(entry);
                return Some(number);
            }
        }
        self.ordered.insert((entry.at, entry.seq), entry.slot);
        None
    }

    fn remove(&mut self, queued: Queued) {
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

    /// The class's next row due: its place (a lane's number or `None`) and entry.
    fn first(&self) -> Option<(Option<usize>, Entry)> {
        // Most of the time one class is empty (no row just created or changed): no scan.
        if self.len == 0 {
            return None;
        }
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

    /// Takes out the entry [`Tier::first`] found at `place`.
    fn pop(&mut self, place: Option<usize>) {
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
    }
}

/// Rows by class and due time (see the module comment). Slot numbers are the caller's.
#[derive(Debug, Default)]
pub struct DueQueue {
    hot: Tier,
    steady: Tier,
    /// Tie-breaker for equal due times.
    queued_count: u64,
    /// Hot rows taken in a row while a steady row was due (the [`STEADY_EVERY`] rule).
    hot_in_a_row: u32,
}

impl DueQueue {
    /// Queues `slot` in `class` to be due at `at`, `wait` after now. `wait` is a backoff length
    /// (it gets a lane), or `None` for a one-off wait (a Retry-After), which goes to the
    /// ordered map so that odd lengths never take the lanes.
    pub fn push(&mut self, slot: u32, at: Instant, wait: Option<Duration>, class: Class) -> Queued {
        self.queued_count += 1;
        let seq = self.queued_count;
        let entry = Entry { at, seq, slot };
        let lane = self.tier_mut(class).push(entry, wait);
        Queued {
            at,
            seq,
            lane,
            class,
        }
    }

    fn tier_mut(&mut self, class: Class) -> &mut Tier {
        match class {
            Class::Hot => &mut self.hot,
            Class::Steady => &mut self.steady,
        }
    }

    /// Takes a queued row out (it left the watch set, or its answer came early).
    pub fn remove(&mut self, queued: Queued) {
        self.tier_mut(queued.class).remove(queued);
    }

    /// When the next row falls due, whatever its class.
    pub fn next_due(&self) -> Option<Instant> {
        let hot = self.hot.first().map(|(_, entry)| entry.at);
        let steady = self.steady.first().map(|(_, entry)| entry.at);
        match (hot, steady) {
            (Some(hot), Some(steady)) => Some(hot.min(steady)),
            (one, other) => one.or(other),
        }
    }

    /// The row to check at `now`, taken out of the queue: the most overdue hot row, unless no
    /// hot row is due or [`STEADY_EVERY`] says it is the steady rows' turn; then the most
    /// overdue steady row. O(lanes), whatever the number of rows.
    pub fn pop_due(&mut self, now: Instant) -> Option<u32> {
        let hot = self.hot.first().filter(|(_, entry)| entry.at <= now);
        let steady = self.steady.first().filter(|(_, entry)| entry.at <= now);
        let (class, (place, entry)) = match (hot, steady) {
            (None, None) => return None,
            // Only a hot row due: no steady row is passed over, the count stands.
            (Some(hot), None) => (Class::Hot, hot),
            (Some(hot), Some(_)) if self.hot_in_a_row + 1 < STEADY_EVERY => {
                self.hot_in_a_row += 1;
                (Class::Hot, hot)
            }
            (_, Some(steady)) => {
                self.hot_in_a_row = 0;
                (Class::Steady, steady)
            }
        };
        self.tier_mut(class).pop(place);
        Some(entry.slot)
    }

    pub fn len(&self) -> usize {
        self.hot.len + self.steady.len
    }

    /// Rows queued in `class`.
    #[cfg(test)]
    pub fn len_of(&self, class: Class) -> usize {
        match class {
            Class::Hot => self.hot.len,
            Class::Steady => self.steady.len,
        }
    }

    /// Lanes made so far (one per backoff length seen, per class).
    #[cfg(test)]
    pub fn lanes(&self) -> usize {
        self.hot.lanes.len() + self.steady.lanes.len()
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
        queue.push(0, start + s(4), Some(s(4)), Class::Steady);
        queue.push(1, start + s(1), Some(s(1)), Class::Steady);
        queue.push(2, start + s(1), Some(s(1)), Class::Steady);
        queue.push(3, start + s(100), None, Class::Steady); // a Retry-After: the ordered map
        queue.push(4, start + s(3), Some(s(4)), Class::Steady); // before its lane's back: the map too
        queue.push(5, start + s(2), Some(s(1)), Class::Steady);
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
            .map(|n| {
                queue.push(
                    n,
                    start + Duration::from_millis(u64::from(n)),
                    Some(wait),
                    Class::Steady,
                )
            })
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
            let place = queue.push(n, start + wait, Some(wait), Class::Steady);
            queue.remove(place);
        }
        assert_eq!(queue.len(), 0);
        assert!(
            queue
                .steady
                .lanes
                .iter()
                .all(|lane| lane.entries.is_empty())
        );
    }

    #[test]
    fn removed_entries_in_the_middle_are_swept() {
        let mut queue = DueQueue::default();
        let start = Instant::now();
        let wait = Duration::from_secs(1);
        let places: Vec<Queued> = (0..1_000)
            .map(|n| {
                queue.push(
                    n,
                    start + Duration::from_millis(u64::from(n)),
                    Some(wait),
                    Class::Steady,
                )
            })
            .collect();
        // All but the first and the last leave: the sweep keeps the lane small.
        for place in &places[1..999] {
            queue.remove(*place);
        }
        assert_eq!(queue.len(), 2);
        assert!(queue.steady.lanes[0].entries.len() <= 2 + 2 + 64);
        assert_eq!(queue.pop_due(start + wait), Some(0));
        assert_eq!(queue.pop_due(start + wait), Some(999));
    }

    #[test]
    fn a_due_hot_row_goes_first_and_the_steady_rows_keep_one_take_in_four() {
        let mut queue = DueQueue::default();
        let start = Instant::now();
        let s = Duration::from_secs;
        // Steady rows long overdue; hot rows due later, but still due.
        for n in 0..100 {
            queue.push(
                n,
                start + Duration::from_millis(u64::from(n)),
                Some(s(30)),
                Class::Steady,
            );
        }
        for n in 100..200 {
            queue.push(n, start + s(10), Some(s(1)), Class::Hot);
        }
        let now = start + s(20);
        let taken: Vec<u32> = (0..40).filter_map(|_| queue.pop_due(now)).collect();
        // Three hot, then the most overdue steady row, and so on.
        let expected: Vec<u32> = (0..10)
            .flat_map(|k| [100 + 3 * k, 101 + 3 * k, 102 + 3 * k, k])
            .collect();
        assert_eq!(taken, expected);
        // No hot row due: the steady rows have every take, and the count starts again after.
        let mut queue = DueQueue::default();
        queue.push(0, start, Some(s(30)), Class::Steady);
        queue.push(1, start, Some(s(30)), Class::Steady);
        queue.push(2, start + s(5), Some(s(1)), Class::Hot);
        assert_eq!(queue.pop_due(start + s(1)), Some(0));
        assert_eq!(queue.next_due(), Some(start));
        assert_eq!(queue.pop_due(start + s(5)), Some(2), "hot first once due");
        assert_eq!(queue.pop_due(start + s(5)), Some(1));
        assert_eq!(queue.pop_due(start + s(5)), None);
        assert_eq!(queue.len(), 0);
    }

    #[test]
    fn a_hot_row_that_leaves_is_not_taken_and_the_classes_keep_their_own_lanes() {
        let mut queue = DueQueue::default();
        let start = Instant::now();
        let s = Duration::from_secs;
        let steady = queue.push(0, start, Some(s(1)), Class::Steady);
        let hot = queue.push(1, start, Some(s(1)), Class::Hot);
        assert_eq!(queue.lanes(), 2, "one 1 s lane per class");
        assert_eq!(queue.len_of(Class::Hot), 1);
        queue.remove(hot);
        queue.remove(hot);
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.pop_due(start), Some(0));
        queue.remove(steady); // already taken: nothing happens
        assert_eq!(queue.len(), 0);
        assert_eq!(queue.pop_due(start + s(10)), None);
    }
}
