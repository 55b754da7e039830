//! Which watched row is due when: pure bookkeeping driven by `Instant`s, unit-tested without a
//! runtime.
//!
//! Each watched row is interned once into a slot (a `u32`): the queue, the in-flight requests
//! and each answer name the row by its [`WatchHandle`], so an answer costs no hashing of a
//! 36-character id and no chase to its heap `String`, and the per-row state is one dense
//! vector walked in queue order. Only a change of the watch set looks rows up by id.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use super::PollSettings;
use super::due_queue::{DueQueue, Queued};
use crate::app::live::WatchTarget;

/// A watched row, as the schedule names it. A handle outlives its row harmlessly: once the
/// row leaves the watch set (its slot freed or reused) the handle is no longer current and an
/// answer recorded through it is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WatchHandle {
    slot: u32,
    generation: u32,
}

/// The status a row last had, interned: answers compare a code, not a heap string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LastStatus {
    Named(u16),
    /// A status past the table's cap (a server inventing words): kept as text.
    Text(Box<str>),
}

/// Distinct status words seen (a handful: PENDING, PROCESSING, WAITING_FOR_...). Capped, so
/// a server that invents a word per answer cannot grow it.
#[derive(Debug, Default)]
struct StatusNames(Vec<Box<str>>);

impl StatusNames {
    const CAP: usize = 256;

    fn is(&self, last: &LastStatus, status: &str) -> bool {
        match last {
            LastStatus::Named(code) => self
                .0
                .get(usize::from(*code))
                .is_some_and(|n| **n == *status),
            LastStatus::Text(text) => **text == *status,
        }
    }

    fn intern(&mut self, status: &str) -> LastStatus {
        if let Some(code) = self.0.iter().position(|name| **name == *status)
            && let Ok(code) = u16::try_from(code)
        {
            return LastStatus::Named(code);
        }
        if self.0.len() < Self::CAP
            && let Ok(code) = u16::try_from(self.0.len())
        {
            self.0.push(status.into());
            return LastStatus::Named(code);
        }
        LastStatus::Text(status.into())
    }
}

#[derive(Debug)]
struct Slot {
    /// `None` while the slot is free.
    target: Option<WatchTarget>,
    /// Bumped when the slot is freed, so handles of the row that held it are not current.
    generation: u32,
    /// Its place in the queue while waiting; `None` while its request is in flight.
    queued: Option<Queued>,
    interval: Duration,
    /// The last status seen, to reset the backoff when it changes.
    last_status: Option<LastStatus>,
    /// The [`PollSchedule::set_targets`] pass that last found it wanted.
    wanted_in: u64,
}

/// Which watched row is due when. Taking the next due row, the next wake-up and recording an
/// answer cost O(1) whatever the number of rows watched (see [`super::due_queue`]); a row
/// joining or leaving costs one lookup by id.
#[derive(Debug, Default)]
pub struct PollSchedule {
    slots: Vec<Slot>,
    /// Free slot numbers, reused first.
    free: Vec<u32>,
    by_target: HashMap<WatchTarget, u32>,
    queue: DueQueue,
    statuses: StatusNames,
    /// Nobody is asked anything before this (Retry-After from any reply).
    paused_until: Option<Instant>,
    /// Counts [`PollSchedule::set_targets`] passes.
    passes: u64,
}

impl PollSchedule {
    /// Replaces the watched set: new rows are first checked after `first_check`, rows that
    /// stay keep their timing, rows that left are forgotten (their late replies are dropped).
    /// O(N) for the set as a whole (the watch channel carries whole sets); each row added or
    /// removed costs O(1).
    pub fn set_targets(&mut self, targets: &[WatchTarget], now: Instant, settings: &PollSettings) {
        self.passes += 1;
        let pass = self.passes;
        for target in targets {
            let slot = self.add(target, now, settings).slot;
            self.slots[slot as usize].wanted_in = pass;
        }
        let leaving: Vec<u32> = self
            .by_target
            .values()
            .copied()
            .filter(|&slot| self.slots[slot as usize].wanted_in != pass)
            .collect();
        for slot in leaving {
            self.free_slot(slot);
        }
    }

    /// Starts watching one row (no change if it is watched already).
    pub fn add(
        &mut self,
        target: &WatchTarget,
        now: Instant,
        settings: &PollSettings,
    ) -> WatchHandle {
        if let Some(&slot) = self.by_target.get(target) {
            return self.handle(slot);
        }
        let slot = if let Some(slot) = self.free.pop() {
            slot
        } else {
            self.slots.push(Slot {
                target: None,
                generation: 0,
                queued: None,
                interval: Duration::ZERO,
                last_status: None,
                wanted_in: 0,
            });
            // Never u32::MAX (the queue's REMOVED mark) in practice: 4 billion rows watched at
            // once would take hundreds of GiB for their targets before this point.
            u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
        };
        let queued = self
            .queue
            .push(slot, now + settings.first_check, Some(settings.first_check));
        let row = &mut self.slots[slot as usize];
        row.target = Some(target.clone());
        row.queued = Some(queued);
        row.interval = settings.first_check;
        row.last_status = None;
        self.by_target.insert(target.clone(), slot);
        self.handle(slot)
    }

    /// Stops watching one row.
    pub fn remove(&mut self, target: &WatchTarget) {
        if let Some(&slot) = self.by_target.get(target) {
            self.free_slot(slot);
        }
    }

    fn free_slot(&mut self, slot: u32) {
        let row = &mut self.slots[slot as usize];
        let Some(target) = row.target.take() else {
            return;
        };
        row.generation = row.generation.wrapping_add(1);
        row.last_status = None;
        if let Some(queued) = row.queued.take() {
            self.queue.remove(queued);
        }
        self.by_target.remove(&target);
        self.free.push(slot);
    }

    fn handle(&self, slot: u32) -> WatchHandle {
        WatchHandle {
            slot,
            generation: self.slots[slot as usize].generation,
        }
    }

    /// The row's slot while the handle is current.
    fn current(&self, handle: WatchHandle) -> Option<&Slot> {
        self.slots
            .get(handle.slot as usize)
            .filter(|row| row.generation == handle.generation && row.target.is_some())
    }

    pub fn is_watched(&self, target: &WatchTarget) -> bool {
        self.by_target.contains_key(target)
    }

    /// Whether the row `handle` names is still watched (a reply for a row that left is dropped).
    pub fn is_current(&self, handle: WatchHandle) -> bool {
        self.current(handle).is_some()
    }

    /// The row `handle` names, while it is watched.
    pub fn target(&self, handle: WatchHandle) -> Option<&WatchTarget> {
        self.current(handle).and_then(|row| row.target.as_ref())
    }

    pub fn len(&self) -> usize {
        self.by_target.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_target.is_empty()
    }

    fn paused_at(&self, now: Instant) -> bool {
        self.paused_until.is_some_and(|until| until > now)
    }

    /// Whether a row could be taken at `now` (one is due and no pause holds).
    pub fn has_due(&self, now: Instant) -> bool {
        !self.paused_at(now) && self.queue.next_due().is_some_and(|due| due <= now)
    }

    /// The most overdue row at `now` with no request in flight, marked in flight (taken out of
    /// the queue); `None` when none is due or a pause holds.
    pub fn take_next(&mut self, now: Instant) -> Option<WatchHandle> {
        if self.paused_at(now) {
            return None;
        }
        let slot = self.queue.pop_due(now)?;
        self.slots[slot as usize].queued = None;
        Some(self.handle(slot))
    }

    /// The rows due at `now`, most overdue first, at most `limit`, marked in flight.
    pub fn take_due(&mut self, now: Instant, limit: usize) -> Vec<WatchTarget> {
        let mut taken = Vec::new();
        while taken.len() < limit {
            let Some(handle) = self.take_next(now) else {
                break;
            };
            if let Some(target) = self.target(handle) {
                taken.push(target.clone());
            }
        }
        taken
    }

    /// When the next row falls due (or the pause ends), for the task to sleep until.
    pub fn next_wake(&self) -> Option<Instant> {
        let next_row = self.queue.next_due()?;
        Some(
            self.paused_until
                .map_or(next_row, |until| until.max(next_row)),
        )
    }

    /// [`record_answer`](Self::record_answer) for the row watching `target`.
    pub fn record(
        &mut self,
        target: &WatchTarget,
        status: Option<&str>,
        retry_after: Option<Duration>,
        now: Instant,
        settings: &PollSettings,
    ) {
        self.pause_for(retry_after, now);
        if let Some(&slot) = self.by_target.get(target) {
            self.reschedule(slot, status, retry_after, now, settings);
        }
    }

    /// Records a reply about the row `handle` names. A status change resets the interval to
    /// `first_check`; no change doubles it up to the cap; an error backs off the same way, and
    /// `retry_after` pauses every row. A reply about a row that left changes only the pause.
    pub fn record_answer(
        &mut self,
        handle: WatchHandle,
        status: Option<&str>,
        retry_after: Option<Duration>,
        now: Instant,
        settings: &PollSettings,
    ) {
        self.pause_for(retry_after, now);
        if self.is_current(handle) {
            self.reschedule(handle.slot, status, retry_after, now, settings);
        }
    }

    fn pause_for(&mut self, retry_after: Option<Duration>, now: Instant) {
        if let Some(wait) = retry_after {
            let until = now + wait;
            self.paused_until = Some(self.paused_until.map_or(until, |old| old.max(until)));
        }
    }

    fn reschedule(
        &mut self,
        slot: u32,
        status: Option<&str>,
        retry_after: Option<Duration>,
        now: Instant,
        settings: &PollSettings,
    ) {
        let row = &mut self.slots[slot as usize];
        let changed = match (status, &row.last_status) {
            (Some(status), Some(last)) => !self.statuses.is(last, status),
            _ => false,
        };
        row.interval = if changed {
            settings.first_check
        } else {
            (row.interval * 2).min(settings.max_interval)
        };
        if let Some(status) = status
            && (changed || row.last_status.is_none())
        {
            row.last_status = Some(self.statuses.intern(status));
        }
        let wait = retry_after.map_or(row.interval, |after| after.max(row.interval));
        // A wait longer than the backoff (a Retry-After) is a one-off: no lane of its own.
        let lane = (wait == row.interval).then_some(wait);
        if let Some(old) = row.queued.take() {
            self.queue.remove(old);
        }
        let queued = self.queue.push(slot, now + wait, lane);
        self.slots[slot as usize].queued = Some(queued);
    }

    /// Rows waiting in the queue (not in flight).
    pub fn queued(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> PollSettings {
        PollSettings::default()
    }

    fn exchange(id: &str) -> WatchTarget {
        WatchTarget::Exchange(id.into())
    }

    #[test]
    fn first_check_then_backoff_capped_and_reset_on_change() {
        let settings = settings();
        let mut schedule = PollSchedule::default();
        let start = Instant::now();
        schedule.set_targets(&[exchange("a")], start, &settings);
        assert!(schedule.take_due(start, 10).is_empty());
        let mut now = start + Duration::from_secs(1);
        assert_eq!(schedule.take_due(now, 10), vec![exchange("a")]);
        assert!(
            schedule.take_due(now, 10).is_empty(),
            "one request in flight per row"
        );
        let mut intervals = Vec::new();
        for _ in 0..7 {
            schedule.record(&exchange("a"), Some("PENDING"), None, now, &settings);
            let due = schedule.next_wake().expect("still watched");
            intervals.push((due - now).as_secs());
            now = due;
            assert_eq!(schedule.take_due(now, 10).len(), 1);
        }
        assert_eq!(intervals, vec![2, 4, 8, 16, 30, 30, 30]);
        schedule.record(&exchange("a"), Some("PROCESSING"), None, now, &settings);
        assert_eq!(schedule.next_wake(), Some(now + Duration::from_secs(1)));
    }

    #[test]
    fn retry_after_pauses_every_row() {
        let settings = settings();
        let mut schedule = PollSchedule::default();
        let start = Instant::now();
        schedule.set_targets(&[exchange("a"), exchange("b")], start, &settings);
        let now = start + Duration::from_secs(1);
        let due = schedule.take_due(now, 1);
        assert_eq!(due.len(), 1, "concurrency limit");
        schedule.record(&due[0], None, Some(Duration::from_secs(10)), now, &settings);
        assert!(
            schedule
                .take_due(now + Duration::from_secs(9), 10)
                .is_empty()
        );
        assert_eq!(
            schedule.take_due(now + Duration::from_secs(10), 10).len(),
            2
        );
    }

    #[test]
    fn the_queue_hands_out_the_most_overdue_first_and_forgets_removed_rows() {
        let settings = settings();
        let mut schedule = PollSchedule::default();
        let start = Instant::now();
        let rows: Vec<WatchTarget> = (0..1_000).map(|n| exchange(&format!("r{n}"))).collect();
        schedule.set_targets(&rows, start, &settings);
        let now = start + Duration::from_secs(1);
        let first = schedule.take_due(now, 3);
        assert_eq!(
            first,
            rows[..3].to_vec(),
            "equal due times: first watched, first asked"
        );
        // r0 answers and is due again in 2 s; r1 leaves while in flight; r2 errs.
        schedule.record(&rows[0], Some("PENDING"), None, now, &settings);
        schedule.remove(&rows[1]);
        schedule.record(&rows[1], Some("PENDING"), None, now, &settings);
        assert!(
            !schedule.is_watched(&rows[1]),
            "a late answer does not bring it back"
        );
        let rest = schedule.take_due(now, 10_000);
        assert_eq!(rest.len(), 997);
        assert_eq!(rest[0], rows[3]);
        assert_eq!(schedule.next_wake(), Some(now + Duration::from_secs(2)));
        schedule.record(&rows[2], None, None, now, &settings);
        assert_eq!(schedule.len(), 999);
    }

    #[test]
    fn rows_that_leave_are_forgotten() {
        let settings = settings();
        let mut schedule = PollSchedule::default();
        let now = Instant::now();
        schedule.set_targets(&[exchange("a"), exchange("b")], now, &settings);
        schedule.set_targets(&[exchange("b")], now, &settings);
        assert!(!schedule.is_watched(&exchange("a")));
        assert_eq!(schedule.len(), 1);
        assert_eq!(schedule.queued(), 1, "a's place in the queue is gone");
        schedule.set_targets(&[], now, &settings);
        assert!(schedule.is_empty());
        assert_eq!(
            schedule.next_wake(),
            None,
            "nothing watched: the task sleeps"
        );
    }

    #[test]
    fn a_handle_of_a_row_that_left_is_not_current_even_when_its_slot_is_reused() {
        let settings = settings();
        let mut schedule = PollSchedule::default();
        let start = Instant::now();
        schedule.set_targets(&[exchange("a")], start, &settings);
        let now = start + settings.first_check;
        let a = schedule.take_next(now).expect("a is due");
        assert_eq!(schedule.target(a), Some(&exchange("a")));
        // a leaves while its request runs; b takes its slot.
        schedule.set_targets(&[exchange("b")], now, &settings);
        assert!(!schedule.is_current(a));
        assert_eq!(schedule.target(a), None);
        schedule.record_answer(a, Some("PENDING"), None, now, &settings);
        assert_eq!(schedule.queued(), 1, "a's late answer queued nothing");
        assert_eq!(schedule.next_wake(), Some(now + settings.first_check));
        let b = schedule.take_next(now + settings.first_check).expect("b");
        assert_eq!(schedule.target(b), Some(&exchange("b")));
    }

    #[test]
    fn retry_after_waits_of_every_length_leave_the_lanes_to_the_backoff() {
        let settings = settings();
        let mut schedule = PollSchedule::default();
        let start = Instant::now();
        let rows: Vec<WatchTarget> = (0..40).map(|n| exchange(&format!("r{n}"))).collect();
        schedule.set_targets(&rows, start, &settings);
        // Forty rows told forty different Retry-Afters, all past the backoff.
        for (n, row) in rows.iter().enumerate() {
            let after = Duration::from_secs(31 + u64::try_from(n).expect("small"));
            schedule.record(row, None, Some(after), start, &settings);
        }
        assert_eq!(schedule.queue.lanes(), 1, "the first check's lane only");
        // They come due in order of their waits, r0 first.
        let later = start + Duration::from_secs(100);
        assert_eq!(schedule.take_due(later, 100), rows);
    }

    #[test]
    fn a_status_change_resets_the_backoff_whatever_the_number_of_words_seen() {
        let settings = settings();
        let mut schedule = PollSchedule::default();
        let start = Instant::now();
        schedule.set_targets(&[exchange("a")], start, &settings);
        let mut now = start;
        // More distinct words than the table keeps: past the cap they are kept as text.
        for n in 0..(StatusNames::CAP + 10) {
            let word = format!("STEP_{n}");
            schedule.record(&exchange("a"), Some(&word), None, now, &settings);
            schedule.record(&exchange("a"), Some(&word), None, now, &settings);
            let after_same = schedule.next_wake().expect("watched") - now;
            let next = format!("STEP_{n}_NEXT");
            schedule.record(&exchange("a"), Some(&next), None, now, &settings);
            assert_eq!(
                schedule.next_wake().expect("watched") - now,
                settings.first_check,
                "{word} -> {next}"
            );
            assert!(after_same > settings.first_check, "{word}");
            now += Duration::from_secs(1);
        }
        assert!(schedule.statuses.0.len() <= StatusNames::CAP);
    }
}
