//! Watches pending exchanges and orders until they are final: adaptive per-row intervals, one
//! request in flight per row, bounded concurrency, the desk's shared request budget (as
//! [`Priority::Check`], its most urgent class after money), and Retry-After.
//!
//! The schedule ([`PollSchedule`]) is plain data driven by `Instant`s so it is unit-tested
//! without a runtime; [`run`] is the task that executes it against a [`DetailsSource`].
//!
//! When more rows are due than the budget allows, rows closest to a change (just created, or
//! whose status just changed) are checked first and the rest get one check in four, most
//! overdue first: see [`schedule`] for the classes and [`due_queue`] for the rule.

mod due_queue;
mod schedule;

pub use schedule::{PollSchedule, WatchHandle};

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{self, JoinSet};
use tokio::time::Instant;

use crate::api::budget::{Priority, RequestBudget};
use crate::api::error::ApiError;
use crate::api::models::{ExchangeDetails, OrderDetails};
use crate::app::live::{WatchChange, WatchTarget, usable_remote_id};
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
    /// The desk's budget of requests per second (everything it sends, details checks among
    /// them), below the API's rate limit; the runtime builds the shared [`RequestBudget`] of it.
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

enum Reply {
    Exchange(String, Result<ExchangeDetails, ApiError>),
    Order(String, Result<OrderDetails, ApiError>),
}

/// Runs until `changes` is closed or `to_app` is dropped. The watch set is the sum of the
/// [`WatchChange`]s received, in order.
///
/// Requests are dispatched here, one at a time, when a row is due and fewer than
/// `max_concurrent` are in flight: the poller then waits for a slot of the shared `budget`,
/// and only once it has one chooses the row. Nothing is queued ahead, so a row that stops being
/// watched, or a `Retry-After`, stops its requests at once (the place in the budget's queue is
/// given up when nothing is due any more), and a stall (a slow answer holding every slot)
/// cannot be followed by a burst above the budget. `source` must not wait for the budget
/// itself (the slot was taken here).
pub async fn run<S: DetailsSource>(
    source: S,
    settings: PollSettings,
    budget: RequestBudget,
    mut changes: mpsc::UnboundedReceiver<WatchChange>,
    to_app: mpsc::UnboundedSender<Msg>,
) {
    let mut schedule = PollSchedule::default();
    // The place in the budget's queue, kept across turns of the loop while a row is due.
    let mut slot: Option<Pin<Box<dyn Future<Output = ()> + Send + '_>>> = None;
    let max_in_flight = settings.max_concurrent.max(1);
    let mut in_flight: JoinSet<(WatchHandle, Reply)> = JoinSet::new();
    // Which row each request task is for, so a task that panicked still frees its row.
    let mut task_rows: HashMap<task::Id, WatchHandle> = HashMap::new();
    loop {
        let wants = in_flight.len() < max_in_flight && schedule.has_due(Instant::now());
        if !wants {
            // Nothing to ask (every slot taken, the row left, a pause began): give the place up.
            slot = None;
        } else if slot.is_none() {
            slot = Some(Box::pin(budget.acquire(Priority::Check)));
        }
        // Asleep while every slot is taken (an answer wakes the loop) or while waiting for the
        // budget; otherwise until the next row is due.
        let wake = if in_flight.len() < max_in_flight && slot.is_none() {
            schedule.next_wake()
        } else {
            None
        };
        tokio::select! {
            // A row that left the watch set is forgotten before anything else is sent.
            biased;
            change = changes.recv() => {
                let Some(change) = change else {
                    return;
                };
                let now = Instant::now();
                schedule.apply(&change, now, &settings);
                while let Ok(more) = changes.try_recv() {
                    schedule.apply(&more, now, &settings);
                }
            }
            Some(joined) = in_flight.join_next_with_id(), if !in_flight.is_empty() => {
                let (handle, reply) = match joined {
                    Ok((id, answer)) => {
                        task_rows.remove(&id);
                        answer
                    }
                    // A request task that panicked frees its slot and its row, which is asked
                    // again after the usual backoff.
                    Err(error) => {
                        if let Some(handle) = task_rows.remove(&error.id()) {
                            schedule.record_answer(handle, None, None, Instant::now(), &settings);
                        }
                        continue;
                    }
                };
                // A row that stopped being watched while its request ran: drop the reply.
                if !schedule.is_current(handle) {
                    continue;
                }
                // A status counts for the backoff only when the answer is about the id asked
                // for; the app ignores any other (with a warning).
                let now = Instant::now();
                let msg = match reply {
                    Reply::Exchange(id, result) => {
                        let status = result
                            .as_ref()
                            .ok()
                            .filter(|d| d.exchange_id == id)
                            .map(|d| d.status.as_str());
                        let retry_after = result.as_ref().err().and_then(ApiError::retry_after);
                        schedule.record_answer(handle, status, retry_after, now, &settings);
                        Msg::ExchangePolled { id, result }
                    }
                    Reply::Order(id, result) => {
                        let status = result
                            .as_ref()
                            .ok()
                            .filter(|d| d.order_id == id)
                            .map(|d| d.status.as_str());
                        let retry_after = result.as_ref().err().and_then(ApiError::retry_after);
                        schedule.record_answer(handle, status, retry_after, now, &settings);
                        Msg::OrderPolled { id, result }
                    }
                };
                if to_app.send(msg).is_err() {
                    return;
                }
            }
            () = wait_for(slot.as_mut()) => {
                slot = None;
                // At most one start per slot; the row is chosen now, not when the wait began.
                if let Some(handle) = schedule.take_next(Instant::now())
                    && let Some(target) = schedule.target(handle)
                {
                    let task = in_flight.spawn(fetch(source.clone(), target.clone(), handle));
                    task_rows.insert(task.id(), handle);
                }
            }
            () = sleep_until_opt(wake) => {}
        }
    }
}

async fn wait_for(slot: Option<&mut Pin<Box<dyn Future<Output = ()> + Send + '_>>>) {
    match slot {
        Some(slot) => slot.as_mut().await,
        None => std::future::pending().await,
    }
}

/// One details request; an id that cannot name a resource is never put into a path.
async fn fetch<S: DetailsSource>(
    source: S,
    target: WatchTarget,
    handle: WatchHandle,
) -> (WatchHandle, Reply) {
    let unusable = || ApiError::Request {
        message: "the id cannot be used in a request path".into(),
    };
    let reply = match &target {
        WatchTarget::Exchange(id) if !usable_remote_id(id) => {
            Reply::Exchange(id.clone(), Err(unusable()))
        }
        WatchTarget::Order(id) if !usable_remote_id(id) => {
            Reply::Order(id.clone(), Err(unusable()))
        }
        WatchTarget::Exchange(id) => {
            Reply::Exchange(id.clone(), source.exchange_details(id.clone()).await)
        }
        WatchTarget::Order(id) => Reply::Order(id.clone(), source.order_details(id.clone()).await),
    };
    (handle, reply)
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
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    fn settings() -> PollSettings {
        PollSettings::default()
    }

    fn exchange(id: &str) -> WatchTarget {
        WatchTarget::Exchange(id.into())
    }

    /// A details source that answers after `latency` (the first `stalled` requests after
    /// `stall`) and records when each request started and how many ran at once.
    #[derive(Clone, Default)]
    struct FakeSource {
        log: Arc<Mutex<Vec<(Instant, String)>>>,
        running: Arc<AtomicUsize>,
        most_running: Arc<AtomicUsize>,
        stalled: Arc<AtomicUsize>,
        /// The next this many requests panic (a bug in a request task).
        panics: Arc<AtomicUsize>,
    }

    impl FakeSource {
        fn requests(&self) -> Vec<(Instant, String)> {
            self.log.lock().expect("log").clone()
        }

        async fn answer(&self, id: String) -> Result<ExchangeDetails, ApiError> {
            self.log
                .lock()
                .expect("log")
                .push((Instant::now(), id.clone()));
            let panics = self
                .panics
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            assert!(!panics, "a request task panicked (on purpose)");
            let now_running = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.most_running.fetch_max(now_running, Ordering::SeqCst);
            let stalled = self
                .stalled
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            let latency = if stalled { 3_000 } else { 10 };
            tokio::time::sleep(Duration::from_millis(latency)).await;
            self.running.fetch_sub(1, Ordering::SeqCst);
            Ok(ExchangeDetails::status_only(
                id,
                crate::api::models::ExchangeStatus::Pending,
            ))
        }
    }

    impl DetailsSource for FakeSource {
        async fn exchange_details(&self, id: String) -> Result<ExchangeDetails, ApiError> {
            self.answer(id).await
        }

        async fn order_details(&self, _id: String) -> Result<OrderDetails, ApiError> {
            Err(ApiError::Timeout)
        }
    }

    fn most_in_one_second(starts: &[Instant]) -> usize {
        starts
            .iter()
            .map(|&from| {
                starts
                    .iter()
                    .filter(|&&at| at >= from && at < from + Duration::from_secs(1))
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn a_stall_is_not_followed_by_a_burst_and_a_dropped_row_is_not_asked_again() {
        let settings = PollSettings {
            first_check: Duration::from_millis(100),
            max_interval: Duration::from_millis(400),
            max_requests_per_second: 5,
            max_concurrent: 2,
        };
        let source = FakeSource::default();
        // The first two answers take 3 s: every slot is held while time goes on.
        source.stalled.store(2, Ordering::SeqCst);
        let rows: Vec<WatchTarget> = (0..20).map(|n| exchange(&format!("x{n:02}"))).collect();
        let (watch_tx, watch_rx) = mpsc::unbounded_channel();
        watch_tx
            .send(WatchChange::adding(rows.clone()))
            .expect("the poller listens");
        let (to_app, mut from_poller) = mpsc::unbounded_channel();
        let budget = RequestBudget::new(settings.max_requests_per_second);
        let task = tokio::spawn(run(source.clone(), settings, budget, watch_rx, to_app));
        for _ in 0..40 {
            from_poller.recv().await.expect("a poll answer");
        }
        let starts: Vec<Instant> = source.requests().iter().map(|(at, _)| *at).collect();
        assert!(most_in_one_second(&starts) <= 5, "{starts:?}");
        assert_eq!(source.most_running.load(Ordering::SeqCst), 2);

        // Only x00 stays watched: after the poller reads that, nothing else is asked for.
        watch_tx
            .send(WatchChange::removing(rows[1..].to_vec()))
            .expect("the poller listens");
        let changed_at = Instant::now();
        for _ in 0..5 {
            from_poller.recv().await.expect("a poll answer");
        }
        let late: Vec<String> = source
            .requests()
            .into_iter()
            .filter(|(at, id)| *at > changed_at && id != "x00")
            .map(|(_, id)| id)
            .collect();
        assert!(late.is_empty(), "{late:?}");
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_task_that_panics_frees_its_row_which_is_asked_again() {
        let source = FakeSource::default();
        source.panics.store(1, Ordering::SeqCst);
        let (watch_tx, watch_rx) = mpsc::unbounded_channel();
        watch_tx
            .send(WatchChange::adding(vec![exchange("x")]))
            .expect("the poller listens");
        let (to_app, mut from_poller) = mpsc::unbounded_channel();
        let budget = RequestBudget::new(5);
        let task = tokio::spawn(run(source.clone(), settings(), budget, watch_rx, to_app));
        // The first request panicked; the row is still watched and answered the next time.
        let answer = tokio::time::timeout(Duration::from_secs(60), from_poller.recv())
            .await
            .expect("the row is asked again")
            .expect("an answer");
        assert!(matches!(answer, Msg::ExchangePolled { ref id, result: Ok(_) } if id == "x"));
        assert_eq!(source.requests().len(), 2, "one panicked, one answered");
        task.abort();
    }
}
