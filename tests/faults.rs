//! The fault matrix: every endpoint the desk calls, under every fault the sandbox can inject
//! and a refused connection, through the real event loop over loopback.
//!
//! For each pair the desk keeps running (every case ends with a clean `q`), says what happened
//! in plain words (never a raw body, never a panic), and marks the affected pane stale with the
//! reason. Reads recover by themselves once the fault clears and never go out before a
//! Retry-After. A money-moving POST is sent exactly once per confirmation and its outcome is
//! never guessed: it is either refused in words, or Unknown until read back from P100.
//!
//! Each case runs on its own sandbox, so the cases of one endpoint run concurrently and the
//! request log of a case holds only that case's requests.

#[path = "support/harness.rs"]
mod harness;

use std::future::Future;
use std::time::{Duration, SystemTime};

use futures::future::join_all;
use harness::{Desk, DeskConfig, Probe};
use p100_desk::api::{ApiClient, RetryPolicy};
use p100_desk::app::live::{LiveRow, Phase};
use p100_desk::app::reconcile::ReconcilePolicy;
use p100_desk::journal;
use p100_desk::sandbox::{
    Endpoint, Fault, FaultRule, PayerScript, RequestRecord, RetryAfter, SandboxHandle,
    SandboxOptions,
};
use tokio::time::Instant;

/// The client gives up on a request after this long...
const TIMEOUT: Duration = Duration::from_millis(500);
/// ...so this much latency is beyond it (the sandbox still applies the request afterwards).
const SLOW: Duration = Duration::from_millis(1200);
/// Attempts per read (the policy below); POSTs are sent once.
const READ_ATTEMPTS: u32 = 3;

/// What a fault looks like to the user of a read.
struct Expect {
    /// The pane's stale marker.
    short: &'static str,
    /// Words the full message must contain.
    words: &'static str,
    /// Whether the client retries a read that fails this way.
    retried: bool,
}

fn faults() -> Vec<(&'static str, Fault)> {
    vec![
        ("latency beyond the timeout", Fault::Latency(SLOW)),
        (
            "429 with Retry-After in seconds",
            Fault::RateLimited {
                retry_after: Some(RetryAfter::Seconds(1)),
            },
        ),
        (
            "429 with Retry-After as an HTTP date",
            Fault::RateLimited {
                retry_after: Some(RetryAfter::HttpDate(Duration::from_secs(2))),
            },
        ),
        (
            "429 without Retry-After",
            Fault::RateLimited { retry_after: None },
        ),
        ("500", Fault::ServerError(500)),
        ("503", Fault::ServerError(503)),
        ("P501", Fault::P501),
        ("P500", Fault::P500),
        ("garbage body", Fault::Garbage),
        ("truncated JSON", Fault::Truncated),
        ("empty body", Fault::Empty),
        ("apply then drop the connection", Fault::ApplyThenDrop),
    ]
}

fn expect(fault: Fault) -> Expect {
    let (short, words, retried) = match fault {
        Fault::Latency(_) | Fault::Hang => ("timed out", "did not answer in time", true),
        Fault::RateLimited { .. } => ("throttled", "throttling requests (HTTP 429)", true),
        Fault::ServerError(500) => ("server error", "server error (HTTP 500", true),
        Fault::ServerError(503) => ("server error", "server error (HTTP 503", true),
        Fault::ServerError(_) => ("server error", "server error (HTTP", true),
        Fault::P501 => ("server error", "temporarily unavailable (P501", true),
        Fault::P500 => ("rejected (P500)", "(P500, unknown exception", false),
        Fault::Garbage | Fault::Truncated | Fault::Empty => {
            ("bad response", "could not be read", false)
        }
        Fault::ApplyThenDrop => ("offline", "Could not reach P100", true),
        Fault::LockForAnotherTrade | Fault::ForeignDetailsId | Fault::EchoKey => {
            unreachable!("the matrix covers transport faults; the lies are in tests/soak.rs")
        }
    };
    Expect {
        short,
        words,
        retried,
    }
}

fn client(base_url: &str, key: &str) -> ApiClient {
    let retry = RetryPolicy {
        max_attempts: READ_ATTEMPTS,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
    };
    harness::client_with(base_url, key, TIMEOUT, retry)
}

fn config(dir: &tempfile::TempDir) -> DeskConfig {
    let mut config = DeskConfig::new(&dir.path().join("journal.jsonl"));
    // "Not in the history" becomes a verdict only after the slowest request could have landed.
    config.reconcile = ReconcilePolicy {
        first: Duration::from_millis(100),
        max: Duration::from_millis(400),
        misses: 3,
        min_span: SLOW * 2,
        ..ReconcilePolicy::default()
    };
    config
}

/// A fresh sandbox (rate limit off: the faults are the only throttling) and a desk on it.
async fn start(dir: &tempfile::TempDir) -> (SandboxHandle, Desk) {
    let sandbox = harness::start_sandbox(SandboxOptions {
        rate_limit: None,
        ..harness::fast_sandbox_options()
    })
    .await;
    sandbox.set_default_order_payer(Some(PayerScript::PayInFull));
    let desk = Desk::start(client(sandbox.base_url(), sandbox.api_key()), config(dir));
    (sandbox, desk)
}

fn rule(endpoint: Endpoint, fault: Fault, count: u32) -> FaultRule {
    FaultRule::next(Some(endpoint), fault, count)
}

/// How many requests a read makes before it gives up on this fault.
fn read_attempts(fault: Fault) -> u32 {
    // A Retry-After longer than the client's longest backoff is not waited out inside one
    // read: the read fails at once and the desk's own retry comes after the Retry-After.
    if let Fault::RateLimited {
        retry_after: Some(_),
    } = fault
    {
        return 1;
    }
    if expect(fault).retried {
        READ_ATTEMPTS
    } else {
        1
    }
}

/// A message the user reads: words, one line, no bytes of a raw body.
fn assert_readable(case: &str, message: &str) {
    assert!(
        !message.chars().any(char::is_control),
        "{case}: control characters in {message:?}"
    );
    assert!(
        message.chars().count() < 400,
        "{case}: a message, not a dump: {message}"
    );
    assert!(!message.contains("<html"), "{case}: raw body in {message}");
}

/// No request reached the sandbox before the Retry-After of an earlier 429 ran out.
fn assert_retry_after_honoured(case: &str, fault: Fault, log: &[RequestRecord], anchor: Anchor) {
    let Fault::RateLimited {
        retry_after: Some(retry_after),
    } = fault
    else {
        return;
    };
    let throttled: Vec<&RequestRecord> = log.iter().filter(|r| r.status == Some(429)).collect();
    assert!(!throttled.is_empty(), "{case}: the fault fired");
    for answer in throttled {
        let not_before = match retry_after {
            RetryAfter::Seconds(seconds) => answer.at + Duration::from_secs(seconds),
            // The header names a whole second: the earliest it can name is the answer time plus
            // the wait, rounded down to the second.
            RetryAfter::HttpDate(wait) => {
                anchor.instant_of(floor_second(anchor.system_of(answer.at) + wait))
            }
        };
        // A request that arrived within moments of the 429 leaving may have been sent before
        // the client could read it (another task, a loaded machine): only later ones count.
        // Since every request waits for the desk's one budget, the start-up reads leave a slot
        // (25 ms at 40/s) apart, so one of them often passes the gate just before the 429 is
        // read; on a loaded 2-core machine reading it can take over 50 ms.
        let answered = answer.answered_at.unwrap_or(answer.at) + Duration::from_millis(150);
        for later in log.iter().filter(|r| r.at > answered) {
            assert!(
                later.at >= not_before,
                "{case}: {} {} sent {:?} before the Retry-After ran out",
                later.method,
                later.path,
                not_before - later.at
            );
        }
    }
}

/// Converts between the sandbox log's `Instant`s and wall-clock time.
#[derive(Clone, Copy)]
struct Anchor {
    system: SystemTime,
    instant: Instant,
}

impl Anchor {
    fn now() -> Self {
        Self {
            system: SystemTime::now(),
            instant: Instant::now(),
        }
    }

    fn system_of(self, at: Instant) -> SystemTime {
        if at >= self.instant {
            self.system + (at - self.instant)
        } else {
            self.system - (self.instant - at)
        }
    }

    fn instant_of(self, at: SystemTime) -> Instant {
        match at.duration_since(self.system) {
            Ok(after) => self.instant + after,
            Err(before) => self.instant - before.duration(),
        }
    }
}

fn floor_second(at: SystemTime) -> SystemTime {
    let since = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    SystemTime::UNIX_EPOCH + Duration::from_secs(since.as_secs())
}

fn notice_has(probe: &Probe, words: &str) -> bool {
    probe.notice.as_deref().is_some_and(|n| n.contains(words))
}

// ---------------------------------------------------------------------------------------------
// Pane reads: balances and history.

async fn pane_read_case(endpoint: Endpoint, name: &str, fault: Fault) {
    let (pane, what) = match endpoint {
        Endpoint::Balances => (0, "Balances"),
        _ => (1, "History"),
    };
    let case = format!("{what} under {name}");
    let dir = tempfile::tempdir().expect("tempdir");
    let anchor = Anchor::now();
    let (sandbox, mut desk) = start(&dir).await;
    desk.wait_for("first load", |p| p.balances_loaded && p.history_len > 0)
        .await;
    let expected = expect(fault);
    sandbox
        .faults()
        .push(rule(endpoint, fault, read_attempts(fault)));
    desk.key('r');
    let failed = desk
        .wait_for(&format!("{case}: stale"), |p| {
            p.stale[pane].as_deref() == Some(expected.short)
        })
        .await;
    assert!(
        sandbox.faults().is_empty(),
        "{case}: every attempt used the fault"
    );
    let notice = failed.notice.clone().unwrap_or_default();
    assert!(
        notice.starts_with(&format!("{what} not refreshed")) && notice.contains(expected.words),
        "{case}: {notice}"
    );
    assert_readable(&case, &notice);
    assert!(
        failed.screen.contains("stale since"),
        "{case}: {}",
        failed.screen
    );
    // The fault is gone: the pane comes back by itself, no key pressed.
    desk.wait_for(&format!("{case}: recovered"), |p| p.stale[pane].is_none())
        .await;
    assert_retry_after_honoured(&case, fault, &sandbox.request_log(), anchor);
    desk.quit().await;
    sandbox.shutdown().await;
}

/// Runs `case` for every fault at once (each case has its own sandbox).
async fn every_fault<Case, Run>(case: Case)
where
    Case: Fn(&'static str, Fault) -> Run,
    Run: Future<Output = ()>,
{
    join_all(faults().into_iter().map(|(name, fault)| case(name, fault))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balances_under_every_fault() {
    every_fault(|name, fault| pane_read_case(Endpoint::Balances, name, fault)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_under_every_fault() {
    every_fault(|name, fault| pane_read_case(Endpoint::Transactions, name, fault)).await;
}

// ---------------------------------------------------------------------------------------------
// Ticket reads: the indicative quote, the order rates, and both locks.

/// The exchange ticket's indicative quote, or the order ticket's rates.
async fn indicative_case(endpoint: Endpoint, name: &str, fault: Fault) {
    let order = endpoint == Endpoint::OrderRates;
    let case = format!("{endpoint:?} under {name}");
    let dir = tempfile::tempdir().expect("tempdir");
    let (sandbox, mut desk) = start(&dir).await;
    desk.select_balance("usdc").await;
    sandbox
        .faults()
        .push(rule(endpoint, fault, read_attempts(fault)));
    if order {
        desk.key('o');
    } else {
        desk.key('x');
        desk.type_text("10");
    }
    let failed = desk
        .wait_for(&format!("{case}: explained"), |p| {
            matches!(&p.indicative, Some(Err(_)))
        })
        .await;
    let Some(Err(message)) = failed.indicative else {
        unreachable!("waited for it");
    };
    assert!(message.contains(expect(fault).words), "{case}: {message}");
    assert_readable(&case, &message);
    // Nothing is stuck: reopening the order ticket, or the next keystroke, asks again.
    if order {
        desk.press(crossterm::event::KeyCode::Esc);
        desk.key('o');
    } else {
        desk.key('0');
    }
    desk.wait_for(&format!("{case}: indicative"), |p| {
        matches!(p.indicative, Some(Ok(())))
    })
    .await;
    desk.quit().await;
    sandbox.shutdown().await;
}

async fn lock_case(endpoint: Endpoint, name: &str, fault: Fault) {
    let order = endpoint == Endpoint::OrderLock;
    let case = format!("{endpoint:?} under {name}");
    let dir = tempfile::tempdir().expect("tempdir");
    let (sandbox, mut desk) = start(&dir).await;
    desk.select_balance("usdc").await;
    desk.key(if order { 'o' } else { 'x' });
    desk.wait_for("ticket", |p| p.ticket.as_deref() == Some("editing"))
        .await;
    desk.type_text(if order { "346.59" } else { "10" });
    // The order lock is a POST: sent once, never retried.
    let attempts = if order { 1 } else { read_attempts(fault) };
    sandbox.faults().push(rule(endpoint, fault, attempts));
    desk.press(crossterm::event::KeyCode::Enter);
    let failed = desk
        .wait_for(&format!("{case}: refused"), |p| {
            p.ticket
                .as_deref()
                .is_some_and(|t| t.starts_with("rejected"))
        })
        .await;
    let message = failed.ticket.unwrap_or_default();
    assert!(
        message.contains("could not be locked") && message.contains(expect(fault).words),
        "{case}: {message}"
    );
    assert_readable(&case, &message);
    assert!(sandbox.faults().is_empty(), "{case}: attempts as expected");
    // `l` locks again in one key once the fault is gone.
    desk.key('l');
    desk.wait_for(&format!("{case}: relocked"), |p| {
        p.ticket.as_deref() == Some("locked")
    })
    .await;
    let locks = sandbox
        .request_log()
        .iter()
        .filter(|r| r.endpoint == Some(endpoint))
        .count();
    assert_eq!(
        locks,
        attempts as usize + 1,
        "{case}: no extra lock requests"
    );
    desk.quit().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_quote_under_every_fault() {
    every_fault(|name, fault| indicative_case(Endpoint::ExchangeRate, name, fault)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_rates_under_every_fault() {
    every_fault(|name, fault| indicative_case(Endpoint::OrderRates, name, fault)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_lock_under_every_fault() {
    every_fault(|name, fault| lock_case(Endpoint::ExchangeLock, name, fault)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_lock_under_every_fault() {
    every_fault(|name, fault| lock_case(Endpoint::OrderLock, name, fault)).await;
}

// ---------------------------------------------------------------------------------------------
// Watching: the details reads of the poller.

async fn details_case(endpoint: Endpoint, name: &str, fault: Fault) {
    let order = endpoint == Endpoint::OrderDetails;
    let case = format!("{endpoint:?} under {name}");
    let dir = tempfile::tempdir().expect("tempdir");
    let (sandbox, mut desk) = start(&dir).await;
    if order {
        desk.lock_order("usdc", "346.59").await;
    } else {
        desk.lock_exchange("usdc", "10").await;
    }
    // Hold the row in flight until the failed check has been seen.
    sandbox.pause_processing(true);
    // The poller tries each check once (it retries on its own schedule, within its budget).
    sandbox.faults().push(rule(endpoint, fault, 1));
    desk.key('y');
    let expected = expect(fault);
    let failed = desk
        .wait_for(&format!("{case}: unchecked"), |p| {
            p.stale[2].as_deref() == Some(expected.short)
        })
        .await;
    let row = failed.live.first().expect("the row");
    assert!(
        !row.phase.is_final() && row.check_failed.is_some(),
        "{case}: nothing guessed: {row:?}"
    );
    assert!(failed.screen.contains("! unchecked for"), "{case}");
    assert!(
        notice_has(&failed, expected.words),
        "{case}: {:?}",
        failed.notice
    );
    assert_readable(&case, failed.notice.as_deref().unwrap_or_default());
    sandbox.pause_processing(false);
    let done = desk
        .wait_for(&format!("{case}: final"), |p| {
            p.live
                .first()
                .is_some_and(|r| r.phase.label() == "COMPLETED")
                && p.stale[2].is_none()
        })
        .await;
    assert!(done.live.first().is_some_and(|r| r.check_failed.is_none()));
    desk.quit().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_details_under_every_fault() {
    every_fault(|name, fault| details_case(Endpoint::ExchangeDetails, name, fault)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_details_under_every_fault() {
    every_fault(|name, fault| details_case(Endpoint::OrderDetails, name, fault)).await;
}

// ---------------------------------------------------------------------------------------------
// Money-moving POSTs: exchange and order create.

/// What P100 did with a POST under this fault, in the sandbox's rules.
fn applied(fault: Fault) -> bool {
    matches!(
        fault,
        Fault::Latency(_) | Fault::Truncated | Fault::ApplyThenDrop
    )
}

/// Whether the desk can know the outcome from the answer alone.
fn clear_refusal(fault: Fault) -> bool {
    matches!(fault, Fault::RateLimited { .. })
}

async fn post_case(endpoint: Endpoint, name: &str, fault: Fault) {
    let order = endpoint == Endpoint::OrderCreate;
    let case = format!("{endpoint:?} under {name}");
    let dir = tempfile::tempdir().expect("tempdir");
    let (sandbox, mut desk) = start(&dir).await;
    if order {
        desk.lock_order("usdc", "346.59").await;
    } else {
        desk.lock_exchange("usdc", "10").await;
    }
    sandbox.faults().push(rule(endpoint, fault, 1));
    desk.key('y');
    let executions = |sandbox: &SandboxHandle| {
        let e = sandbox.executions();
        if order { e.orders } else { e.exchanges }
    };
    let settled = if clear_refusal(fault) {
        // Refused before P100 did anything: said in words, nothing pending.
        let refused = desk
            .wait_for(&format!("{case}: refused"), |p| {
                p.ticket
                    .as_deref()
                    .is_some_and(|t| t.starts_with("rejected"))
            })
            .await;
        let message = refused.ticket.clone().unwrap_or_default();
        assert!(message.contains(expect(fault).words), "{case}: {message}");
        assert_readable(&case, &message);
        assert!(
            refused.live.iter().all(|r| r.phase.is_final()),
            "{case}: nothing pending: {:?}",
            refused.live
        );
        refused
    } else {
        // The answer was lost or unreadable: Unknown, then read back from P100.
        let unknown = desk
            .wait_for(&format!("{case}: unknown"), |p| {
                p.live.first().is_some_and(|r| r.phase.label() == "UNKNOWN")
            })
            .await;
        let row = unknown.live.first().expect("row");
        let Phase::Unknown { reason } = &row.phase else {
            unreachable!("waited for it");
        };
        assert!(reason.contains("outcome is unknown"), "{case}: {reason}");
        assert_readable(&case, reason);
        desk.wait_for(&format!("{case}: reconciled"), |p| {
            p.live
                .first()
                .is_some_and(|r| reconciled(r, applied(fault)))
        })
        .await
    };
    assert_eq!(
        executions(&sandbox),
        u32::from(applied(fault)),
        "{case}: applied at most once, and only by the one POST"
    );
    let posts = sandbox
        .request_log()
        .iter()
        .filter(|r| r.endpoint == Some(endpoint))
        .count();
    assert_eq!(posts, 1, "{case}: one confirmation, one POST");
    if let Some(id) = settled.live.first().and_then(|r| r.remote_id.clone()) {
        let known = if order {
            sandbox.order_status(&id).is_some()
        } else {
            sandbox.exchange_status(&id).is_some()
        };
        assert!(known, "{case}: the id read back is P100's");
    }
    desk.quit().await;
    // The journal has the intent and exactly one outcome for it.
    let replay = journal::replay_file(&dir.path().join("journal.jsonl")).expect("journal");
    assert_eq!(replay.records.len(), 1, "{case}");
    assert!(replay.damaged_lines.is_empty(), "{case}");
    sandbox.shutdown().await;
}

/// The row reached the verdict P100's state supports: queued (or beyond) when it was applied,
/// "not applied" when it was not.
fn reconciled(row: &LiveRow, applied: bool) -> bool {
    match &row.phase {
        Phase::Unknown { .. } | Phase::Sending => false,
        Phase::Failed { reason } if !applied => reason.starts_with("Not applied"),
        _ if applied => row.remote_id.is_some(),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_post_under_every_fault() {
    every_fault(|name, fault| post_case(Endpoint::Exchange, name, fault)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_create_under_every_fault() {
    every_fault(|name, fault| post_case(Endpoint::OrderCreate, name, fault)).await;
}

// ---------------------------------------------------------------------------------------------
// Connection refused: nothing listens on the port.

/// A loopback port nothing listens on (bound, then released).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_marks_panes_offline_and_they_recover_when_p100_is_back() {
    let port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let options = SandboxOptions {
        port,
        rate_limit: None,
        ..harness::fast_sandbox_options()
    };
    let base_url = format!("http://127.0.0.1:{port}");
    let mut desk = Desk::start(client(&base_url, &options.api_key), config(&dir));
    let offline = desk
        .wait_for("both panes offline", |p| {
            p.stale[0].as_deref() == Some("offline") && p.stale[1].as_deref() == Some("offline")
        })
        .await;
    assert!(
        notice_has(&offline, "Could not reach P100"),
        "{:?}",
        offline.notice
    );
    assert_readable("refused", offline.notice.as_deref().unwrap_or_default());
    assert!(offline.screen.contains("offline"), "{}", offline.screen);
    // P100 comes back on the same address: the desk notices by itself.
    let sandbox = harness::start_sandbox(options).await;
    desk.wait_for("recovered", |p| {
        p.balances_loaded && p.stale[0].is_none() && p.stale[1].is_none() && p.history_len > 0
    })
    .await;
    desk.quit().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_on_confirm_is_not_sent_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (sandbox, mut desk) = start(&dir).await;
    desk.lock_exchange("usdc", "10").await;
    assert_eq!(sandbox.executions().exchanges, 0);
    // P100 goes away between the lock and the confirmation.
    sandbox.shutdown().await;
    desk.key('y');
    let refused = desk
        .wait_for("refused", |p| {
            p.ticket
                .as_deref()
                .is_some_and(|t| t.starts_with("rejected"))
        })
        .await;
    let message = refused.ticket.clone().unwrap_or_default();
    assert!(message.contains("Could not reach P100"), "{message}");
    assert!(
        !message.contains("unknown"),
        "a refused connection never reached P100: {message}"
    );
    assert!(
        refused.live.iter().all(|r| r.phase.is_final()),
        "nothing pending"
    );
    desk.quit().await;
    let replay = journal::replay_file(&dir.path().join("journal.jsonl")).expect("journal");
    assert_eq!(replay.records.len(), 1);
    assert_eq!(replay.records[0].standing, journal::Standing::Finished);
}
