//! Watches pending exchanges and orders until they are final: adaptive per-row intervals, one
//! request in flight per row, bounded concurrency, a global request budget, and Retry-After.
//!
//! The schedule ([`PollSchedule`]) is plain data driven by `Instant`s so it is unit-tested
//! without a runtime; [`run`] is the task that executes it against a [`DetailsSource`].

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::Instant;

use crate::api::error::ApiError;
use crate::api::models::{ExchangeDetails, OrderDetails};
use crate::app::live::WatchTarget;
use crate::app::msg::Msg;

/// Where details come from: the API client in the app, a fake in tests.
pub trait DetailsSource: Clone + Send + Sync + 'static {
    fn exchange_details(
        &self,
        id: String,
    ) -> impl Future<Output = Result<ExchangeDetails, ApiError>> + Send;
    fn order_details(
        &self,
        id: String,
    ) -> impl Future<Output = Result<OrderDetails, ApiError>> + Send;
}

/// Poller timing; from `[polling]` in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollSettings {
    /// The first check after a row starts being watched (about 1 s after the 2xx).
    pub first_check: Duration,
    /// The backoff cap.
    pub max_interval: Duration,
    /// The global budget of details requests per second, below the API's rate limit.
    pub max_requests_per_second: u32,
    /// Requests in flight at once.
    pub max_concurrent: usize,
}

impl Default for PollSettings {
    fn default() -> Self {
        Self {
            first_check: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            max_requests_per_second: 5,
            max_concurrent: 4,
        }
    }
}

#[derive(Debug, Clone)]
struct Watched {
    due: Instant,
    interval: Duration,
    in_flight: bool,
    /// The last status seen, to reset the backoff when it changes.
    last_status: Option<String>,
}

/// Which watched row is due when; pure bookkeeping.
#[derive(Debug, Default)]
pub struct PollSchedule {
    rows: BTreeMap<WatchTarget, Watched>,
    /// Nobody is asked anything before this (Retry-After from any reply).
    paused_until: Option<Instant>,
}

impl PollSchedule {
    /// Replaces the watched set: new rows are first checked after `first_check`, rows that
    /// stay keep their timing, rows that left are forgotten (their late replies are dropped).
    pub fn set_targets(&mut self, targets: &[WatchTarget], now: Instant, settings: &PollSettings) {
        let wanted: HashSet<&WatchTarget> = targets.iter().collect();
        self.rows.retain(|target, _| wanted.contains(target));
        for target in targets {
            self.rows.entry(target.clone()).or_insert_with(|| Watched {
                due: now + settings.first_check,
                interval: settings.first_check,
                in_flight: false,
                last_status: None,
            });
        }
    }

    pub fn is_watched(&self, target: &WatchTarget) -> bool {
        self.rows.contains_key(target)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows due at `now` that have no request in flight, most overdue first, at most
    /// `limit`; they are marked in flight.
    pub fn take_due(&mut self, now: Instant, limit: usize) -> Vec<WatchTarget> {
        if self.paused_until.is_some_and(|until| until > now) {
            return Vec::new();
        }
        let mut due: Vec<(Instant, WatchTarget)> = self
            .rows
            .iter()
            .filter(|(_, row)| !row.in_flight && row.due <= now)
            .map(|(target, row)| (row.due, target.clone()))
            .collect();
        due.sort();
        due.truncate(limit);
        for (_, target) in &due {
            if let Some(row) = self.rows.get_mut(target) {
                row.in_flight = true;
            }
        }
        due.into_iter().map(|(_, target)| target).collect()
    }

    /// When the next row falls due (or the pause ends), for the task to sleep until.
    pub fn next_wake(&self) -> Option<Instant> {
        let next_row = self
            .rows
            .values()
            .filter(|row| !row.in_flight)
            .map(|row| row.due)
            .min()?;
        Some(
            self.paused_until
                .map_or(next_row, |until| until.max(next_row)),
        )
    }

    /// Records a reply. A status change resets the interval to `first_check`; no change
    /// doubles it up to the cap; an error backs off the same way, and `retry_after` pauses
    /// every row.
    pub fn record(
        &mut self,
        target: &WatchTarget,
        status: Option<String>,
        retry_after: Option<Duration>,
        now: Instant,
        settings: &PollSettings,
    ) {
        if let Some(wait) = retry_after {
            let until = now + wait;
            self.paused_until = Some(self.paused_until.map_or(until, |old| old.max(until)));
        }
        let Some(row) = self.rows.get_mut(target) else {
            return;
        };
        row.in_flight = false;
        let changed = status.is_some() && status != row.last_status;
        row.interval = if changed && row.last_status.is_some() {
            settings.first_check
        } else {
            (row.interval * 2).min(settings.max_interval)
        };
        if status.is_some() {
            row.last_status = status;
        }
        let wait = retry_after.map_or(row.interval, |after| after.max(row.interval));
        row.due = now + wait;
    }
}

/// Spaces requests so that no more than `per_second` start in any second.
#[derive(Debug)]
struct Budget {
    spacing: Duration,
    next_slot: Instant,
}

impl Budget {
    fn new(per_second: u32, now: Instant) -> Self {
        Self {
            spacing: Duration::from_secs(1) / per_second.max(1),
            next_slot: now,
        }
    }

    /// Reserves the next slot; returns when it starts.
    fn reserve(&mut self, now: Instant) -> Instant {
        let slot = self.next_slot.max(now);
        self.next_slot = slot + self.spacing;
        slot
    }
}

enum Reply {
    Exchange(String, Result<ExchangeDetails, ApiError>),
    Order(String, Result<OrderDetails, ApiError>),
}

/// Runs until `targets` is closed or `to_app` is dropped.
pub async fn run<S: DetailsSource>(
    source: S,
    settings: PollSettings,
    mut targets: watch::Receiver<Vec<WatchTarget>>,
    to_app: mpsc::UnboundedSender<Msg>,
) {
    let mut schedule = PollSchedule::default();
    let mut budget = Budget::new(settings.max_requests_per_second, Instant::now());
    let permits = Arc::new(Semaphore::new(settings.max_concurrent.max(1)));
    let (reply_tx, mut replies) = mpsc::unbounded_channel::<(WatchTarget, Reply)>();
    schedule.set_targets(&targets.borrow_and_update(), Instant::now(), &settings);
    loop {
        let now = Instant::now();
        for target in schedule.take_due(now, settings.max_concurrent) {
            let start = budget.reserve(now);
            let source = source.clone();
            let permits = Arc::clone(&permits);
            let reply_tx = reply_tx.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(start).await;
                let Ok(_permit) = permits.acquire_owned().await else {
                    return;
                };
                let reply = match &target {
                    WatchTarget::Exchange(id) => {
                        Reply::Exchange(id.clone(), source.exchange_details(id.clone()).await)
                    }
                    WatchTarget::Order(id) => {
                        Reply::Order(id.clone(), source.order_details(id.clone()).await)
                    }
                };
                let _ = reply_tx.send((target, reply));
            });
        }
        let wake = schedule.next_wake();
        tokio::select! {
            changed = targets.changed() => {
                if changed.is_err() {
                    return;
                }
                let wanted = targets.borrow_and_update().clone();
                schedule.set_targets(&wanted, Instant::now(), &settings);
            }
            Some((target, reply)) = replies.recv() => {
                // A row that stopped being watched while its request ran: drop the reply.
                if !schedule.is_watched(&target) {
                    continue;
                }
                let (status, retry_after, msg) = match reply {
                    Reply::Exchange(id, result) => (
                        result.as_ref().ok().map(|d| d.status.as_str().to_string()),
                        result.as_ref().err().and_then(ApiError::retry_after),
                        Msg::ExchangePolled { id, result },
                    ),
                    Reply::Order(id, result) => (
                        result.as_ref().ok().map(|d| d.status.as_str().to_string()),
                        result.as_ref().err().and_then(ApiError::retry_after),
                        Msg::OrderPolled { id, result },
                    ),
                };
                schedule.record(&target, status, retry_after, Instant::now(), &settings);
                if to_app.send(msg).is_err() {
                    return;
                }
            }
            () = sleep_until_opt(wake) => {}
        }
    }
}

async fn sleep_until_opt(wake: Option<Instant>) {
    match wake {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
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
            schedule.record(&exchange("a"), Some("PENDING".into()), None, now, &settings);
            let due = schedule.next_wake().expect("still watched");
            intervals.push((due - now).as_secs());
            now = due;
            assert_eq!(schedule.take_due(now, 10).len(), 1);
        }
        assert_eq!(intervals, vec![2, 4, 8, 16, 30, 30, 30]);
        schedule.record(
            &exchange("a"),
            Some("PROCESSING".into()),
            None,
            now,
            &settings,
        );
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
    fn rows_that_leave_are_forgotten() {
        let settings = settings();
        let mut schedule = PollSchedule::default();
        let now = Instant::now();
        schedule.set_targets(&[exchange("a"), exchange("b")], now, &settings);
        schedule.set_targets(&[exchange("b")], now, &settings);
        assert!(!schedule.is_watched(&exchange("a")));
        assert_eq!(schedule.len(), 1);
        schedule.set_targets(&[], now, &settings);
        assert!(schedule.is_empty());
        assert_eq!(
            schedule.next_wake(),
            None,
            "nothing watched: the task sleeps"
        );
    }

    #[test]
    fn budget_spaces_requests() {
        let now = Instant::now();
        let mut budget = Budget::new(5, now);
        let slots: Vec<Duration> = (0..4).map(|_| budget.reserve(now) - now).collect();
        assert_eq!(
            slots,
            vec![
                Duration::ZERO,
                Duration::from_millis(200),
                Duration::from_millis(400),
                Duration::from_millis(600)
            ]
        );
    }
}
