//! The desk's own request budget: one limiter shared by everything it sends (details checks,
//! quotes and locks, balances, history pages), so `max_requests_per_second` holds for the sum,
//! with priorities deciding who goes next when more want to go than the budget allows.
//!
//! Starts are spaced a little over `1 s / per_second` apart (see [`spacing`]) with no burst on top: a quiet spell
//! saves nothing up, so any 1-second window holds at most `per_second` starts. A money POST never
//! waits (it is one request the user asked for and confirmed) but still takes its slot, so the
//! requests after it keep the average. Among those that wait, the highest priority goes first,
//! oldest first within one priority, except that a request passed over [`STARVATION_LIMIT`] times
//! in a row goes next: with ten thousand rows being checked, history still gets one slot in
//! `STARVATION_LIMIT + 1` instead of never loading.
//!
//! Waiting costs no timer of its own: only the request at the head of the queue sleeps, until
//! the next free slot; the others wait on their own `Notify` and are woken when they become the
//! head. So paused-clock tests advance straight to the next start, and a grant costs O(log n) in
//! the requests waiting.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// After this many grants in a row that passed over the oldest waiting request, it goes next.
pub const STARVATION_LIMIT: u32 = 4;

/// How far apart request starts are at `per_second`: 1 s / `per_second`, rounded up (1 s / 3
/// truncated to 333,333,333 ns would let a 4th start land inside the same second), and 5%
/// wider. The server counts arrivals, not our starts: a request that takes 15 ms longer on its
/// way than the one five slots later (a busy core, a connection being opened) would otherwise
/// put one request too many into the server's second. With the 5% a window of 1 s at the
/// server holds at most `per_second` unless the way differs by a quarter of a slot.
pub fn spacing(per_second: u32) -> Duration {
    let nanos = 1_000_000_000_u64.div_ceil(u64::from(per_second.max(1)));
    Duration::from_nanos(nanos + nanos.div_ceil(20))
}

/// Who is asking, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// A POST that moves money: never waits for the budget.
    Money,
    /// A details check of a row in flight (and reading the history back to reconcile one).
    Check,
    /// Quotes, rate locks and order rates: a user is at the ticket.
    Trade,
    Balances,
    /// A history page the user asked for (paging, `G`, the periodic page-1 refresh).
    History,
    /// A history page fetched ahead of the user.
    Prefetch,
}

impl Priority {
    /// Every class that can wait, in order.
    const WAITING: [Self; 5] = [
        Self::Check,
        Self::Trade,
        Self::Balances,
        Self::History,
        Self::Prefetch,
    ];

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Which classes are waiting for the budget right now (checks excluded: the poller waits for
/// the budget by design whenever rows are due). Shown as "throttled by our own budget: history
/// waits" while not empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Waiting(u8);

impl Waiting {
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn contains(self, priority: Priority) -> bool {
        self.0 & priority.bit() != 0
    }

    /// A set of the given classes (checks and money are never shown, so they are left out).
    pub fn of(classes: &[Priority]) -> Self {
        Self(
            classes
                .iter()
                .filter(|class| !matches!(class, Priority::Money | Priority::Check))
                .fold(0, |bits, class| bits | class.bit()),
        )
    }

    /// "history waits", "quotes, balances and history wait"; `None` when nothing waits.
    pub fn describe(self) -> Option<String> {
        let names: Vec<&str> = Priority::WAITING
            .iter()
            .filter(|class| self.contains(**class))
            .filter_map(|class| match class {
                Priority::Trade => Some("quotes"),
                Priority::Balances => Some("balances"),
                // A prefetch waiting is history waiting, to the user.
                Priority::History if !self.contains(Priority::Prefetch) => Some("history"),
                Priority::Prefetch => Some("history"),
                _ => None,
            })
            .collect();
        let (last, rest) = names.split_last()?;
        let verb = if names.len() == 1 && *last == "history" {
            "waits"
        } else {
            "wait"
        };
        if rest.is_empty() {
            Some(format!("{last} {verb}"))
        } else {
            Some(format!("{} and {last} {verb}", rest.join(", ")))
        }
    }
}

/// A waiting request: its class, then the order it arrived in.
type Key = (Priority, u64);

#[derive(Debug)]
struct State {
    next_free: Instant,
    waiting: BTreeMap<Key, Arc<Notify>>,
    /// The same requests by arrival, to find the oldest one.
    by_age: BTreeSet<(u64, Priority)>,
    arrived: u64,
    /// Grants in a row that passed over the oldest waiting request.
    passed_over: u32,
    /// How many of each class wait, for [`Waiting`].
    counts: [u32; 6],
}

impl State {
    /// The request that goes next.
    fn head(&self) -> Option<Key> {
        if self.passed_over >= STARVATION_LIMIT {
            self.by_age.first().map(|&(seq, priority)| (priority, seq))
        } else {
            self.waiting.first_key_value().map(|(key, _)| *key)
        }
    }

    fn remove(&mut self, key: Key) {
        if self.waiting.remove(&key).is_some() {
            self.by_age.remove(&(key.1, key.0));
            self.counts[key.0 as usize] -= 1;
        }
    }

    fn waiting_classes(&self) -> Waiting {
        // One request alone waiting only for the spacing after the last start (the second of
        // a refresh's two reads) is no contention: the budget binds when requests queue.
        if self.waiting.len() < 2 {
            return Waiting::default();
        }
        let classes: Vec<Priority> = Priority::WAITING
            .into_iter()
            .filter(|class| self.counts[*class as usize] > 0)
            .collect();
        Waiting::of(&classes)
    }

    fn wake_head(&self) {
        if let Some(head) = self.head()
            && let Some(notify) = self.waiting.get(&head)
        {
            notify.notify_one();
        }
    }
}

#[derive(Debug)]
struct Inner {
    spacing: Duration,
    per_second: u32,
    state: Mutex<State>,
    waiting: watch::Sender<Waiting>,
}

/// The shared limiter. Cloning is cheap; clones share the budget.
#[derive(Debug, Clone)]
pub struct RequestBudget {
    inner: Arc<Inner>,
}

impl RequestBudget {
    /// A budget of `per_second` request starts per second (0 is read as 1).
    pub fn new(per_second: u32) -> Self {
        let per_second = per_second.max(1);
        Self {
            inner: Arc::new(Inner {
                spacing: spacing(per_second),
                per_second,
                state: Mutex::new(State {
                    next_free: Instant::now(),
                    waiting: BTreeMap::new(),
                    by_age: BTreeSet::new(),
                    arrived: 0,
                    passed_over: 0,
                    counts: [0; 6],
                }),
                waiting: watch::channel(Waiting::default()).0,
            }),
        }
    }

    pub fn per_second(&self) -> u32 {
        self.inner.per_second
    }

    /// Which classes wait, as it changes (for the header).
    pub fn subscribe(&self) -> watch::Receiver<Waiting> {
        self.inner.waiting.subscribe()
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        // Plain values: a panic elsewhere cannot leave them inconsistent.
        let mut state = self
            .inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let result = f(&mut state);
        let now_waiting = state.waiting_classes();
        drop(state);
        self.inner.waiting.send_if_modified(|shown| {
            let changed = *shown != now_waiting;
            *shown = now_waiting;
            changed
        });
        result
    }

    /// Waits until a request of this class may start, and counts it. Dropping the future
    /// before it is ready gives its place up (nothing is counted).
    pub async fn acquire(&self, priority: Priority) {
        let entered = self.with_state(|state| {
            let now = Instant::now();
            if priority == Priority::Money {
                // Never waits; the slot it takes pushes the next start back.
                state.next_free = state.next_free.max(now) + self.inner.spacing;
                return None;
            }
            if state.waiting.is_empty() && now >= state.next_free {
                state.next_free = now + self.inner.spacing;
                state.passed_over = 0;
                return None;
            }
            state.arrived += 1;
            let key = (priority, state.arrived);
            let notify = Arc::new(Notify::new());
            state.waiting.insert(key, Arc::clone(&notify));
            state.by_age.insert((key.1, key.0));
            state.counts[priority as usize] += 1;
            Some((key, notify))
        });
        let Some((key, notify)) = entered else {
            return;
        };
        let mut place = Place {
            budget: self,
            key,
            done: false,
        };
        loop {
            let sleep_until = self.with_state(|state| {
                if state.head() != Some(key) {
                    return Err(());
                }
                let now = Instant::now();
                if now < state.next_free {
                    return Ok(Some(state.next_free));
                }
                let oldest = state.by_age.first().map(|&(seq, _)| seq);
                state.passed_over = if oldest == Some(key.1) {
                    0
                } else {
                    state.passed_over + 1
                };
                state.remove(key);
                state.next_free = now + self.inner.spacing;
                state.wake_head();
                Ok(None)
            });
            match sleep_until {
                Ok(None) => {
                    place.done = true;
                    return;
                }
                // The head sleeps until the slot; a more urgent arrival may take it over.
                Ok(Some(at)) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = notify.notified() => {}
                    }
                }
                Err(()) => notify.notified().await,
            }
        }
    }
}

/// A waiting request's place in the queue, given up when its future is dropped.
struct Place<'a> {
    budget: &'a RequestBudget,
    key: Key,
    done: bool,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let key = self.key;
        self.budget.with_state(|state| {
            let was_head = state.head() == Some(key);
            state.remove(key);
            if was_head {
                state.wake_head();
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    /// Starts `who` (a label and a class) in this order, all at once, and returns the labels
    /// in the order the budget let them go, with when.
    async fn order_of(
        budget: &RequestBudget,
        who: &[(&'static str, Priority)],
    ) -> Vec<(&'static str, Duration)> {
        let start = Instant::now();
        let log = Arc::new(StdMutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for &(label, priority) in who {
            let budget = budget.clone();
            let log = Arc::clone(&log);
            tasks.push(tokio::spawn(async move {
                budget.acquire(priority).await;
                log.lock().expect("log").push((label, start.elapsed()));
            }));
            // Each one is queued before the next arrives.
            tokio::task::yield_now().await;
        }
        for task in tasks {
            task.await.expect("task");
        }
        log.lock().expect("log").clone()
    }

    #[tokio::test(start_paused = true)]
    async fn the_most_urgent_goes_first_and_starts_are_spaced() {
        let budget = RequestBudget::new(5);
        let got = order_of(
            &budget,
            &[
                ("first", Priority::History),
                ("prefetch", Priority::Prefetch),
                ("history", Priority::History),
                ("balances", Priority::Balances),
                ("quote", Priority::Trade),
                ("check", Priority::Check),
            ],
        )
        .await;
        let labels: Vec<&str> = got.iter().map(|(label, _)| *label).collect();
        // "first" found the budget free and went at once.
        assert_eq!(
            labels,
            ["first", "check", "quote", "balances", "history", "prefetch"]
        );
        let times: Vec<u128> = got.iter().map(|(_, at)| at.as_millis()).collect();
        assert_eq!(times, [0, 210, 420, 630, 840, 1050]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_prefetch_waits_behind_pages_the_user_asked_for_even_later() {
        let budget = RequestBudget::new(5);
        let got = order_of(
            &budget,
            &[
                ("refresh", Priority::History),
                ("prefetch 1", Priority::Prefetch),
                ("prefetch 2", Priority::Prefetch),
                ("asked", Priority::History),
                ("balances", Priority::Balances),
            ],
        )
        .await;
        let labels: Vec<&str> = got.iter().map(|(label, _)| *label).collect();
        assert_eq!(
            labels,
            ["refresh", "balances", "asked", "prefetch 1", "prefetch 2"],
            "the pane filling itself goes last, oldest prefetch first"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn money_never_waits_but_takes_its_slot() {
        let budget = RequestBudget::new(5);
        budget.acquire(Priority::History).await;
        let start = Instant::now();
        budget.acquire(Priority::Money).await;
        assert_eq!(start.elapsed(), Duration::ZERO, "a money POST never waits");
        // The next read waits for the slot after the money POST's.
        budget.acquire(Priority::Balances).await;
        assert_eq!(start.elapsed(), Duration::from_millis(420));
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_spell_saves_nothing_up() {
        let budget = RequestBudget::new(5);
        tokio::time::sleep(Duration::from_secs(10)).await;
        let got = order_of(
            &budget,
            &[
                ("a", Priority::History),
                ("b", Priority::History),
                ("c", Priority::History),
            ],
        )
        .await;
        let times: Vec<u128> = got.iter().map(|(_, at)| at.as_millis()).collect();
        assert_eq!(
            times,
            [0, 210, 420],
            "oldest first within a class, no burst"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn history_is_not_starved_by_a_steady_stream_of_checks() {
        let budget = RequestBudget::new(5);
        let history = {
            let budget = budget.clone();
            tokio::spawn(async move {
                budget.acquire(Priority::History).await;
                budget.acquire(Priority::History).await;
                Instant::now()
            })
        };
        tokio::task::yield_now().await;
        let start = Instant::now();
        // A poller that always has a row due: one check waiting at every moment.
        let mut checks = 0;
        while !history.is_finished() {
            budget.acquire(Priority::Check).await;
            checks += 1;
            tokio::task::yield_now().await;
        }
        let done = history.await.expect("history");
        assert!(
            checks <= 2 * (STARVATION_LIMIT as usize + 1),
            "{checks} checks went before two history pages"
        );
        assert!(done - start <= Duration::from_secs(3), "{:?}", done - start);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_that_gives_up_its_place_does_not_hold_the_others() {
        let budget = RequestBudget::new(5);
        budget.acquire(Priority::History).await;
        let start = Instant::now();
        let check = {
            let budget = budget.clone();
            tokio::spawn(async move { budget.acquire(Priority::Check).await })
        };
        tokio::task::yield_now().await;
        check.abort();
        let _ = check.await;
        budget.acquire(Priority::Prefetch).await;
        assert_eq!(start.elapsed(), Duration::from_millis(210));
    }

    #[tokio::test(start_paused = true)]
    async fn the_waiting_classes_are_told() {
        let budget = RequestBudget::new(5);
        let mut told = budget.subscribe();
        budget.acquire(Priority::Check).await;
        let spawn = |priority| {
            let budget = budget.clone();
            tokio::spawn(async move { budget.acquire(priority).await })
        };
        // One request waiting for the spacing alone is not told.
        spawn(Priority::History).await.expect("granted");
        assert!(
            !told.has_changed().expect("open"),
            "a lone wait is not told"
        );
        let check = spawn(Priority::Check);
        tokio::task::yield_now().await;
        let history = spawn(Priority::History);
        told.changed().await.expect("told");
        assert_eq!(
            told.borrow_and_update().describe().as_deref(),
            Some("history waits")
        );
        check.await.expect("granted");
        history.await.expect("granted");
        assert!(told.borrow_and_update().is_empty());
        assert_eq!(
            Waiting::of(&[Priority::Trade, Priority::Balances, Priority::Prefetch]).describe(),
            Some("quotes, balances and history wait".to_string())
        );
        assert_eq!(Waiting::of(&[Priority::Check]).describe(), None);
    }

    #[test]
    fn spacing_rounds_up_and_leaves_room_for_the_way_there() {
        // 333,333,334 ns and 5% (16,666,667 ns).
        assert_eq!(spacing(3), Duration::from_nanos(350_000_001));
        assert_eq!(spacing(5), Duration::from_millis(210));
        assert_eq!(spacing(0), spacing(1), "0 is read as 1");
    }
}
