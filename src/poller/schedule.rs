//! Which watched row is due when: pure bookkeeping driven by `Instant`s, unit-tested without a
//! runtime.
//!
//! Each watched row is interned once into a slot (a `u32`): the queue, the in-flight requests
//! and each answer name the row by its [`WatchHandle`], so an answer costs no hashing of a
//! 36-character id and no chase to its heap `String`, and the per-row state is one dense
//! vector walked in queue order. Only a change of the watch set looks rows up by id.
//!
//! The check order, when more rows are due than the budget can ask about: rows closest to a
//! change first. A row is hot ([`Class::Hot`]) from the moment it joins the watch set, and
//! again from an answer that changed its status, until its backoff reaches the cap (about five
//! checks in the first 31 s at the defaults); every other row is steady. Due hot rows are taken
//! before due steady rows, most overdue first in each class, and the steady rows keep one take
//! in four while any of them is due (the rule is in [`super::due_queue`]). Rows that join in
//! bulk (a change adding more than [`NEW_PER_CHANGE`]) are not new to anyone: they are the journal
//! resumed, and queue steady, due at `first_check`, so each gets its first check before any row
//! checked after they joined is checked again (that row is queued behind them).

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use super::PollSettings;
use super::due_queue::{Class, DueQueue, Queued};
use crate::app::live::{WatchChange, WatchTarget};

/// Rows one [`PollSchedule::apply`] may add as hot. The desk creates rows one confirm at a
/// time, so a change adds a row or two; a change adding more is a batch such as the journal
/// resumed at start-up: thousands of rows whose last change is old, that would otherwise all
/// count as "just created" and put a row created a minute later behind them for a whole round.
pub const NEW_PER_CHANGE: usize = 16;

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
    /// Which order it is checked in: hot from joining and from a status change until its
    /// interval reaches the cap.
    class: Class,
    /// The last status seen, to reset the backoff when it changes.
    last_status: Option<LastStatus>,
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
}

impl PollSchedule {
    /// Applies one change of the watch set: rows that left are forgotten (their late replies
    /// are dropped), new rows are first checked after `first_check`, rows already watched keep
    /// their timing. New rows are hot unless the change adds more than [`NEW_PER_CHANGE`] (then
    /// all of them are steady: a resume, not creations). O(1) per row added or removed,
    /// whatever the number watched. Changes are applied one by one, in order: a row that
    /// leaves and joins again (a team relay's push going live and down) is a new row to the
    /// schedule, first checked after `first_check`, and a reply in flight for it is dropped.
    pub fn apply(&mut self, change: &WatchChange, now: Instant, settings: &PollSettings) {
        for target in &change.removed {
            self.remove(target);
        }
        let joining = change
            .added
            .iter()
            .filter(|target| !self.by_target.contains_key(*target))
            .count();
        let class = if joining > NEW_PER_CHANGE {
            Class::Steady
        } else {
            Class::Hot
        };
        for target in &change.added {
            self.join(target, now, settings, class);
        }
    }

    /// Replaces the watched set with `targets` (the change computed here, O(N)): for tests
    /// that think in whole sets.
    #[cfg(test)]
    pub fn set_targets(&mut self, targets: &[WatchTarget], now: Instant, settings: &PollSettings) {
        let wanted: std::collections::HashSet<&WatchTarget> = targets.iter().collect();
        let mut added: Vec<WatchTarget> = Vec::new();
        for target in targets {
            if !self.by_target.contains_key(target) && !added.contains(target) {
                added.push(target.clone());
            }
        }
        let removed = self
            .by_target
            .keys()
            .filter(|target| !wanted.contains(target))
            .cloned()
            .collect();
        self.apply(&WatchChange { removed, added }, now, settings);
    }

    /// Starts watching one row, hot (no change if it is watched already).
    pub fn add(
        &mut self,
        target: &WatchTarget,
        now: Instant,
        settings: &PollSettings,
    ) -> WatchHandle {
        let (slot, _) = self.join(target, now, settings, Class::Hot);
        self.handle(slot)
    }

    /// The row's slot, and whether it joined now (queued in `class`, due at `first_check`).
    fn join(
        &mut self,
        target: &WatchTarget,
        now: Instant,
        settings: &PollSettings,
        class: Class,
    ) -> (u32, bool) {
        if let Some(&slot) = self.by_target.get(target) {
            return (slot, false);
        }
        let slot = if let Some(slot) = self.free.pop() {
            slot
        } else {
            self.slots.push(Slot {
                target: None,
                generation: 0,
                queued: None,
                interval: Duration::ZERO,
                class: Class::Steady,
                last_status: None,
            });
            // Never u32::MAX (the queue's REMOVED mark) in practice: 4 billion rows watched at
            // once would take hundreds of GiB for their targets before this point.
            u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
        };
        let queued = self.queue.push(
            slot,
            now + settings.first_check,
            Some(settings.first_check),
            class,
        );
        let row = &mut self.slots[slot as usize];
        row.target = Some(target.clone());
        row.queued = Some(queued);
        row.interval = settings.first_check;
        row.class = class;
        row.last_status = None;
        self.by_target.insert(target.clone(), slot);
        (slot, true)
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

    /// The row to check at `now` with no request in flight, marked in flight (taken out of the
    /// queue): the most overdue hot row, or the most overdue steady row when no hot row is due
    /// or it is the steady rows' turn (see the module comment); `None` when none is due or a
    /// pause holds.
    pub fn take_next(&mut self, now: Instant) -> Option<WatchHandle> {
        if self.paused_at(now) {
            return None;
        }
        let slot = self.queue.pop_due(now)?;
        self.slots[slot as usize].queued = None;
        Some(self.handle(slot))
    }

    /// The rows due at `now`, in [`take_next`](Self::take_next)'s order, at most `limit`,
    /// marked in flight.
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
    /// `first_check` and makes the row hot; no change doubles it up to the cap (where a hot
    /// row turns steady); an error backs off the same way, and `retry_after` pauses every row.
    /// A reply about a row that left changes only the pause.
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
        // An advancing row is about to change again (the next step follows within seconds):
        // it gets the short backoff and the front of the queue until the backoff is long again.
        if changed {
            row.class = Class::Hot;
        }
        if row.interval >= settings.max_interval {
            row.class = Class::Steady;
        }
        let class = row.class;
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
        let queued = self.queue.push(slot, now + wait, lane, class);
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
    use std::collections::HashSet;

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
        // Forty rows at once are a bulk change: all steady, one class's lane.
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

    /// 10,000 rows resumed at once (steady) and left unchecked for an hour: every one overdue.
    fn overdue_rows(schedule: &mut PollSchedule, start: Instant) -> (Vec<WatchTarget>, Instant) {
        let rows: Vec<WatchTarget> = (0..10_000).map(|n| exchange(&format!("r{n}"))).collect();
        schedule.set_targets(&rows, start, &settings());
        assert_eq!(
            schedule.queue.len_of(Class::Steady),
            10_000,
            "a resume is steady"
        );
        (rows, start + Duration::from_secs(3_600))
    }

    #[test]
    fn a_new_row_is_checked_before_ten_thousand_overdue_rows_until_its_backoff_is_long() {
        let settings = settings();
        let mut schedule = PollSchedule::default();
        let (mut rows, mut now) = overdue_rows(&mut schedule, Instant::now());
        let new = exchange("just-confirmed");
        rows.push(new.clone());
        schedule.set_targets(&rows, now, &settings);
        assert_eq!(schedule.queue.len_of(Class::Hot), 1, "one row added: hot");
        now += settings.first_check;
        assert_eq!(
            schedule.take_due(now, 1),
            vec![new.clone()],
            "the first take"
        );
        // Its next checks, 2 s, 4 s, 8 s and 16 s apart, each come first too: at 5 requests/s
        // the steady rows go on meanwhile.
        let mut steady_taken = 0;
        for wait in [2, 4, 8, 16] {
            schedule.record(&new, Some("PENDING"), None, now, &settings);
            let due = now + Duration::from_secs(wait);
            while now < due {
                now += Duration::from_millis(200);
                let taken = schedule.take_due(now.min(due - Duration::from_millis(1)), 1);
                for row in &taken {
                    schedule.record(row, Some("PENDING"), None, now, &settings);
                }
                steady_taken += taken.len();
            }
            now = due;
            assert_eq!(schedule.take_due(now, 1), vec![new.clone()], "{wait} s on");
        }
        assert!(steady_taken > 100, "{steady_taken}");
        // The backoff reaches the cap: the row is steady, behind the rows overdue an hour.
        schedule.record(&new, Some("PENDING"), None, now, &settings);
        assert_eq!(schedule.queue.len_of(Class::Hot), 0);
        now += settings.max_interval;
        assert_ne!(schedule.take_due(now, 1), vec![new]);
    }

    #[test]
    fn a_row_whose_status_changed_is_checked_before_overdue_steady_rows() {
        let settings = settings();
        let mut schedule = PollSchedule::default();
        let (rows, mut now) = overdue_rows(&mut schedule, Instant::now());
        // Two whole rounds, most overdue first: the first answers set each row's status, the
        // second repeat it, except that r5000 advanced (its answer came last, 3.5 s on).
        let advanced = rows[5_000].clone();
        for round in 0..2 {
            let taken = schedule.take_due(now, 10_000);
            assert!(taken == rows, "round {round}: steady, most overdue first");
            for row in rows.iter().filter(|row| round == 0 || **row != advanced) {
                schedule.record(row, Some("PENDING"), None, now, &settings);
            }
            if round == 0 {
                now += Duration::from_secs(2);
            }
        }
        let late = now + Duration::from_millis(3_500);
        schedule.record(&advanced, Some("PROCESSING"), None, late, &settings);
        assert_eq!(schedule.queue.len_of(Class::Hot), 1);
        // Every row is due (the others 0.5 s longer): the one that advanced comes first.
        now += Duration::from_millis(4_500);
        assert_eq!(schedule.take_due(now, 1), vec![advanced.clone()]);
        assert_eq!(schedule.take_due(now, 1), vec![rows[0].clone()]);
        // Still hot: its next (short) wait over, it comes first again.
        schedule.record(&advanced, Some("PROCESSING"), None, now, &settings);
        now += Duration::from_secs(2);
        assert_eq!(schedule.take_due(now, 1), vec![advanced.clone()]);
        // A Retry-After keeps its class: it comes first once the pause is over.
        schedule.record(
            &advanced,
            Some("WAITING_FOR_FUNDS"),
            Some(Duration::from_secs(5)),
            now,
            &settings,
        );
        assert!(
            schedule
                .take_due(now + Duration::from_secs(4), 1)
                .is_empty()
        );
        now += Duration::from_secs(5);
        assert_eq!(schedule.take_due(now, 1), vec![advanced]);
    }

    #[test]
    fn with_new_rows_arriving_faster_than_the_budget_the_steady_rows_keep_one_take_in_four() {
        let settings = settings();
        let mut schedule = PollSchedule::default();
        let (rows, mut now) = overdue_rows(&mut schedule, Instant::now());
        let steady: HashSet<&WatchTarget> = rows.iter().collect();
        let mut taken = Vec::new();
        // A request every 200 ms (5/s), two rows created meanwhile: hot rows are always due.
        for n in 0..2_000 {
            for k in 0..2 {
                schedule.add(&exchange(&format!("new-{n}-{k}")), now, &settings);
            }
            now += Duration::from_millis(200);
            let Some(row) = schedule.take_next(now) else {
                panic!("something is due at {n}");
            };
            let target = schedule.target(row).expect("watched").clone();
            schedule.record_answer(row, Some("PENDING"), None, now, &settings);
            taken.push(target);
        }
        let order: Vec<bool> = taken.iter().map(|t| steady.contains(t)).collect();
        // The rule: of any STEADY_EVERY takes in a row, at least one is a steady row.
        let every = usize::try_from(super::super::due_queue::STEADY_EVERY).expect("small");
        for (at, window) in order.windows(every).enumerate() {
            assert!(window.contains(&true), "takes {at}..{} all hot", at + every);
        }
        let steady_takes = order.iter().filter(|&&s| s).count();
        // The first takes, before the first new rows are due, are all steady.
        assert!(steady_takes >= 2_000 / every, "{steady_takes}");
        assert!(steady_takes <= 2_000 / every + every, "{steady_takes}");
        // And they progress: the steady rows taken were the most overdue ones, each once.
        let in_turn: Vec<&WatchTarget> = taken.iter().filter(|t| steady.contains(t)).collect();
        assert_eq!(in_turn, rows[..steady_takes].iter().collect::<Vec<_>>());
    }

    #[test]
    fn a_change_adding_a_few_rows_queues_them_hot_and_a_bulk_change_queues_them_steady() {
        let settings = settings();
        let mut schedule = PollSchedule::default();
        let start = Instant::now();
        let few: Vec<WatchTarget> = (0..NEW_PER_CHANGE)
            .map(|n| exchange(&format!("f{n}")))
            .collect();
        schedule.set_targets(&few, start, &settings);
        assert_eq!(schedule.queue.len_of(Class::Hot), NEW_PER_CHANGE);
        let mut more = few.clone();
        more.extend((0..=NEW_PER_CHANGE).map(|n| exchange(&format!("m{n}"))));
        schedule.set_targets(&more, start, &settings);
        assert_eq!(
            schedule.queue.len_of(Class::Hot),
            NEW_PER_CHANGE,
            "the few stay hot"
        );
        assert_eq!(schedule.queue.len_of(Class::Steady), NEW_PER_CHANGE + 1);
        // The bulk rows, moved to steady, keep the order they came in.
        let now = start + settings.first_check;
        let taken = schedule.take_due(now, 100);
        assert_eq!(taken.len(), more.len());
        let bulk: Vec<&WatchTarget> = taken.iter().filter(|t| !few.contains(t)).collect();
        assert_eq!(bulk, more[NEW_PER_CHANGE..].iter().collect::<Vec<_>>());
        assert_eq!(&taken[..3], &few[..3], "hot first");
    }

    #[test]
    fn a_hot_row_removed_is_never_taken_and_comes_back_hot_when_added_again() {
        let settings = settings();
        let mut schedule = PollSchedule::default();
        let (mut rows, mut now) = overdue_rows(&mut schedule, Instant::now());
        let new = exchange("new");
        rows.push(new.clone());
        schedule.set_targets(&rows, now, &settings);
        rows.pop();
        schedule.set_targets(&rows, now, &settings);
        assert_eq!(schedule.queue.len_of(Class::Hot), 0);
        now += settings.first_check;
        let taken = schedule.take_due(now, 4);
        assert!(!taken.contains(&new), "{taken:?}");
        for row in &taken {
            schedule.record(row, Some("PENDING"), None, now, &settings);
        }
        // Added again: new again, first check after first_check, first in line.
        rows.push(new.clone());
        schedule.set_targets(&rows, now, &settings);
        assert!(schedule.take_due(now, 1).iter().all(|t| *t != new));
        now += settings.first_check;
        let handle = schedule.take_next(now).expect("due");
        assert_eq!(schedule.target(handle), Some(&new));
        // It leaves while its request runs: the answer is dropped, nothing is queued for it,
        // and no second request for it starts meanwhile.
        assert!(schedule.take_due(now, 3).iter().all(|t| *t != new));
        rows.pop();
        schedule.set_targets(&rows, now, &settings);
        schedule.record_answer(handle, Some("PROCESSING"), None, now, &settings);
        assert_eq!(schedule.queue.len_of(Class::Hot), 0);
        assert!(!schedule.is_watched(&new));
    }
}
