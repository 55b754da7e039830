//! The randomized soak: at least 1,000 exchange and order attempts, typed into the real loop,
//! against fast sandboxes that inject random faults on every endpoint. Then the faults stop,
//! and the invariants that make the desk trustworthy with money are checked:
//!
//! - every confirmation was sent at most once (one POST carrying its intent id, never two),
//!   every POST the server received carries one, a POST that never arrived is journaled as
//!   moving nothing, and the sandbox executed exactly the attempts the desk ended up knowing
//!   an id for: none lost, none twice;
//! - every journal intent has exactly one send outcome (accepted, rejected or unknown), every
//!   unknown exactly one reconciliation, and every intent a final status: nothing left open;
//! - no row is left Unknown once the faults stop (a row the history cannot decide is left
//!   Ambiguous for the operator, never guessed; those are counted);
//! - 0 false reconciliation claims: no remote id is held by two intents of the journal, even
//!   with final rows dismissed between attempts (so the Live pane forgets them);
//! - every set of balances ever drawn is one the API sent;
//! - a quarter of the faults are lies (a lock for another trade, details about another id, the
//!   key echoed with one character escaped, a 429 asking for 45 s): no lying lock is confirmed,
//!   no POST leaves after its lock expired, no byte of the key reaches the journal.
//!
//! `SOAK_ATTEMPTS` (default 1,024) and `SOAK_SEED` run a longer or a different soak; the counts
//! are printed (`cargo test --release --test soak -- --nocapture`).

#[path = "support/harness.rs"]
mod harness;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use crossterm::event::KeyCode;
use futures::future::join_all;
use harness::{BalanceSet, Desk, DeskConfig};
use p100_desk::api::ApiClient;
use p100_desk::api::RetryPolicy;
use p100_desk::api::models::Balances;
use p100_desk::app::live::Phase;
use p100_desk::app::reconcile::ReconcilePolicy;
use p100_desk::sandbox::{
    Endpoint, Fault, FaultRule, PayerScript, RetryAfter, SandboxHandle, SandboxOptions,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

/// Desks run side by side, each with its own sandbox, so the soak is bounded by waiting, not
/// by one long sequence.
const DESKS: usize = 8;
const TIMEOUT: Duration = Duration::from_millis(300);

const ENDPOINTS: [Endpoint; 10] = [
    Endpoint::Balances,
    Endpoint::Transactions,
    Endpoint::ExchangeRate,
    Endpoint::ExchangeLock,
    Endpoint::Exchange,
    Endpoint::ExchangeDetails,
    Endpoint::OrderRates,
    Endpoint::OrderLock,
    Endpoint::OrderCreate,
    Endpoint::OrderDetails,
];

fn random_fault(rng: &mut StdRng) -> (&'static str, Fault) {
    match rng.random_range(0..12) {
        0 => (
            "latency",
            Fault::Latency(TIMEOUT + Duration::from_millis(200)),
        ),
        1 => (
            "429 seconds",
            Fault::RateLimited {
                retry_after: Some(RetryAfter::Seconds(1)),
            },
        ),
        2 => (
            "429 date",
            Fault::RateLimited {
                retry_after: Some(RetryAfter::HttpDate(Duration::from_secs(1))),
            },
        ),
        3 => ("429 bare", Fault::RateLimited { retry_after: None }),
        4 => ("500", Fault::ServerError(500)),
        5 => ("503", Fault::ServerError(503)),
        6 => ("P501", Fault::P501),
        7 => ("P500", Fault::P500),
        8 => ("garbage", Fault::Garbage),
        9 => ("truncated", Fault::Truncated),
        10 => ("empty", Fault::Empty),
        _ => ("apply then drop", Fault::ApplyThenDrop),
    }
}

/// A lie instead of a fault, aimed where it can mislead: a lock for another trade (locks), an
/// answer about another id (details), the key echoed back with one character escaped, or a
/// 429 asking for 45 s (anywhere; the desk caps it, see `client`).
fn random_lie(rng: &mut StdRng) -> (&'static str, Fault, Endpoint) {
    let pick =
        |rng: &mut StdRng, endpoints: &[Endpoint]| endpoints[rng.random_range(0..endpoints.len())];
    match rng.random_range(0..4) {
        0 => (
            "lie: lock for another trade",
            Fault::LockForAnotherTrade,
            pick(rng, &[Endpoint::ExchangeLock, Endpoint::OrderLock]),
        ),
        1 => (
            "lie: details about another id",
            Fault::ForeignDetailsId,
            pick(rng, &[Endpoint::ExchangeDetails, Endpoint::OrderDetails]),
        ),
        2 => ("lie: key echoed", Fault::EchoKey, pick(rng, &ENDPOINTS)),
        _ => (
            "late 429, Retry-After 45",
            Fault::RateLimited {
                retry_after: Some(RetryAfter::Seconds(45)),
            },
            pick(rng, &ENDPOINTS),
        ),
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(default)
}

/// What one desk did and saw.
#[derive(Debug, Default)]
struct Tally {
    attempts: u64,
    confirmations: u64,
    lock_failures: u64,
    faults: BTreeMap<&'static str, u64>,
    posts: u64,
    /// Confirmations whose POST the sandbox never saw (see `check_posts`): each journaled as
    /// refused or unknown-then-absent, never as queued.
    posts_never_arrived: u64,
    executions: u64,
    accepted: u64,
    rejected: u64,
    unknown: u64,
    reconciled_found: u64,
    reconciled_absent: u64,
    finals: u64,
    balance_sets_checked: u64,
    dismissals: u64,
    /// Unknown outcomes the history could not decide: left for the operator.
    ambiguous: u64,
    /// Remote ids held by more than one intent of the journal: must stay 0.
    false_claims: u64,
    /// Money POSTs the sandbox received after their lock had expired: must stay 0.
    expired_lock_posts: u64,
    /// Locks refused because they named another trade (journaled `lock_refused`).
    locks_refused_as_lies: u64,
    /// Journals holding the key in any spelling: must stay 0.
    key_leaks: u64,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.attempts += other.attempts;
        self.confirmations += other.confirmations;
        self.lock_failures += other.lock_failures;
        for (name, count) in &other.faults {
            *self.faults.entry(name).or_default() += count;
        }
        self.posts += other.posts;
        self.posts_never_arrived += other.posts_never_arrived;
        self.executions += other.executions;
        self.accepted += other.accepted;
        self.rejected += other.rejected;
        self.unknown += other.unknown;
        self.reconciled_found += other.reconciled_found;
        self.reconciled_absent += other.reconciled_absent;
        self.finals += other.finals;
        self.balance_sets_checked += other.balance_sets_checked;
        self.dismissals += other.dismissals;
        self.ambiguous += other.ambiguous;
        self.false_claims += other.false_claims;
        self.expired_lock_posts += other.expired_lock_posts;
        self.locks_refused_as_lies += other.locks_refused_as_lies;
        self.key_leaks += other.key_leaks;
    }
}

fn client(base_url: &str, key: &str) -> ApiClient {
    let retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
    };
    let client = harness::client_with(base_url, key, TIMEOUT, retry);
    // The configurable cap on a server-asked pause, short so a "Retry-After: 45" costs the
    // soak seconds, not minutes (the rule that a pause never pushes a POST past its lock is
    // checked with the sandbox's count of expired-lock POSTs).
    client.set_max_throttle_pause(Duration::from_secs(2));
    client
}

async fn soak_one_desk(seed: u64, attempts: u64) -> Tally {
    let mut rng = StdRng::seed_from_u64(seed);
    let sandbox = harness::start_sandbox(SandboxOptions {
        rate_limit: None,
        seed,
        ..harness::fast_sandbox_options()
    })
    .await;
    sandbox.set_default_order_payer(Some(PayerScript::PayInFull));
    // Enough that no exchange fails for funds: the soak is about faults, not P433.
    sandbox
        .set_balance("usdc", Decimal::from(10_000_000))
        .expect("usdc");
    let dir = tempfile::tempdir().expect("tempdir");
    let journal_path = dir.path().join("journal.jsonl");
    let mut config = DeskConfig::new(&journal_path);
    // Small frames: the soak is about state, and every message redraws.
    config.size = (100, 30);
    config.reconcile = ReconcilePolicy {
        first: Duration::from_millis(50),
        max: Duration::from_millis(200),
        misses: 3,
        min_span: Duration::from_secs(1),
        ..ReconcilePolicy::default()
    };
    let mut desk = Desk::start(client(sandbox.base_url(), sandbox.api_key()), config);
    desk.select_balance("usdc").await;

    let mut tally = Tally::default();
    for attempt in 0..attempts {
        // Half the attempts run with a fault armed somewhere; it fires on the next request to
        // that endpoint, whenever that comes (this attempt, a refresh, or a later one).
        if rng.random_bool(0.5) {
            let (name, fault, endpoint) = if rng.random_bool(0.25) {
                random_lie(&mut rng)
            } else {
                let endpoint = ENDPOINTS[rng.random_range(0..ENDPOINTS.len())];
                let (name, fault) = random_fault(&mut rng);
                (name, fault, endpoint)
            };
            sandbox
                .faults()
                .push(FaultRule::next(Some(endpoint), fault, 1));
            *tally.faults.entry(name).or_default() += 1;
        }
        let context = format!("desk seed {seed}, attempt {attempt}");
        one_attempt(&mut desk, &mut rng, &mut tally, &context).await;
        // Now and then the user dismisses the oldest final row: the Live pane forgets it, the
        // journal does not, and no later reconciliation may claim its id.
        if rng.random_bool(0.3) {
            dismiss_a_final_row(&mut desk, &mut tally, &context).await;
        }
    }

    // The faults stop. Everything in flight must reach a final status on its own.
    sandbox.faults().clear();
    let settled = desk
        .wait_for(&format!("desk seed {seed}: all rows final"), |p| {
            p.live
                .iter()
                .all(|row| row.phase.is_final() || matches!(row.phase, Phase::Ambiguous { .. }))
        })
        .await;
    let ambiguous: HashSet<String> = settled
        .live
        .iter()
        .filter(|row| matches!(row.phase, Phase::Ambiguous { .. }))
        .map(|row| row.key.clone())
        .collect();
    tally.ambiguous = ambiguous.len() as u64;
    assert!(
        !settled
            .live
            .iter()
            .any(|r| matches!(r.phase, Phase::Unknown { .. })),
        "seed {seed}: every Unknown reconciled"
    );
    // Read after the desk stopped, so no refresh lands between the two reads.
    let shown = desk.balances_seen_after_quit().await;
    check_balances(seed, &sandbox, shown, &mut tally);
    let journal = check_journal(seed, &journal_path, &ambiguous, &mut tally);
    check_posts(seed, &sandbox, &journal, &mut tally);
    check_executions(seed, &sandbox, &journal.ids, &mut tally);
    check_no_lie_got_through(seed, &sandbox, &journal_path, &mut tally);
    sandbox.shutdown().await;
    tally
}

/// No POST went out on an expired lock, and not one byte of the key (plain or with its first
/// character escaped, as the lying server sends it) reached the journal.
fn check_no_lie_got_through(
    seed: u64,
    sandbox: &SandboxHandle,
    journal: &std::path::Path,
    tally: &mut Tally,
) {
    let executions = sandbox.executions();
    tally.expired_lock_posts += u64::from(executions.expired_lock_posts);
    assert_eq!(
        executions.expired_lock_posts, 0,
        "seed {seed}: a money POST left after its lock expired"
    );
    let key = sandbox.api_key();
    let text = std::fs::read_to_string(journal).expect("journal");
    let escaped: String = key
        .chars()
        .next()
        .map(|first| format!("\\u{:04x}{}", u32::from(first), &key[first.len_utf8()..]))
        .unwrap_or_default();
    let leaked = text.contains(key) || text.contains(&escaped);
    tally.key_leaks += u64::from(leaked);
    assert!(!leaked, "seed {seed}: the key reached the journal");
}

/// One exchange or order: open the ticket, type an amount, lock, and confirm when locked.
async fn one_attempt(desk: &mut Desk, rng: &mut StdRng, tally: &mut Tally, context: &str) {
    tally.attempts += 1;
    let order = rng.random_bool(0.4);
    desk.key(if order { 'o' } else { 'x' });
    desk.wait_for(&format!("{context}: ticket"), |p| {
        p.ticket.as_deref() == Some("editing")
    })
    .await;
    let whole = if order {
        rng.random_range(20..400)
    } else {
        rng.random_range(1..50)
    };
    desk.type_text(&format!("{whole}.{:02}", rng.random_range(0..100)));
    desk.press(KeyCode::Enter);
    let locked = desk
        .wait_for(&format!("{context}: lock answered"), |p| {
            p.ticket
                .as_deref()
                .is_some_and(|t| t == "locked" || t.starts_with("rejected"))
        })
        .await;
    if locked.ticket.as_deref() == Some("locked") {
        desk.key('y');
        tally.confirmations += 1;
        desk.wait_for(&format!("{context}: submitted"), |p| {
            p.ticket
                .as_deref()
                .is_none_or(|t| t.starts_with("rejected"))
        })
        .await;
    } else {
        tally.lock_failures += 1;
    }
    desk.press(KeyCode::Esc);
    desk.wait_for(&format!("{context}: ticket closed"), |p| {
        p.ticket.is_none() && p.overlay.is_none()
    })
    .await;
}

/// Focuses Live, selects the oldest row and dismisses it if it is final.
async fn dismiss_a_final_row(desk: &mut Desk, tally: &mut Tally, context: &str) {
    let before = desk.wait_for(context, |_| true).await.live.len();
    desk.key('3');
    desk.key('G');
    desk.key('d');
    // `?` after `d`: once the help shows, `d` was handled.
    desk.key('?');
    let after = desk
        .wait_for(&format!("{context}: dismiss handled"), |p| {
            p.overlay.as_deref() == Some("Help")
        })
        .await;
    desk.press(KeyCode::Esc);
    if after.live.len() < before {
        tally.dismissals += 1;
    }
    desk.key('1');
    desk.wait_for(&format!("{context}: help closed"), |p| p.overlay.is_none())
        .await;
}

/// At most one POST per confirmation, and none without one: every money POST the sandbox
/// received carries the journal intent id of a confirmation as its `Idempotency-Key` (the
/// desk sends it with each), and no key arrived twice.
///
/// A confirmation whose POST never arrived is allowed only where the journal says it moved
/// nothing: refused before it left (`rejected`, e.g. no connection within the 300 ms
/// timeout) or left and lost (`unknown`, then reconciled as absent, or left ambiguous for the
/// operator); the sandbox executed none of those (checked by `check_executions`). The sandbox
/// logs a request when its middleware runs, not when the desk writes it: on a starved machine
/// (8 desks and 8 sandboxes on 2 runtime threads, under a loaded CI) the desk's client can
/// time out and drop the connection before the sandbox reads the request, and the sandbox
/// then never sees it (or the connection is never made). The old comparison of the two counts
/// failed once under heavy load with seed 24303 ("113 POSTs for 114 confirmations"); reruns
/// did not repeat it, and this check says which intent and what its journal holds if it does.
fn check_posts(seed: u64, sandbox: &SandboxHandle, journal: &JournalView, tally: &mut Tally) {
    let mut posts_per_intent: HashMap<String, u64> = HashMap::new();
    for post in sandbox
        .request_log()
        .into_iter()
        .filter(|r| r.endpoint.is_some_and(Endpoint::moves_money))
    {
        tally.posts += 1;
        let key = post.idempotency_key.clone().unwrap_or_default();
        assert!(
            journal.events.contains_key(&key),
            "seed {seed}: a money POST that no confirmation sent: {post:?}"
        );
        *posts_per_intent.entry(key).or_default() += 1;
    }
    for (intent, events) in &journal.events {
        match posts_per_intent.get(intent).copied().unwrap_or_default() {
            1 => {}
            0 => {
                let sent_nothing = events.iter().any(|e| e == "rejected")
                    || (events.iter().any(|e| e == "unknown")
                        && !events.iter().any(|e| e == "final"));
                assert!(
                    sent_nothing,
                    "seed {seed}: {intent} never reached the sandbox, yet its journal says \
                     it was queued: {events:?}"
                );
                tally.posts_never_arrived += 1;
                println!("seed {seed}: {intent}: its POST never reached the sandbox: {events:?}");
            }
            twice => panic!("seed {seed}: {intent} was POSTed {twice} times: {events:?}"),
        }
    }
    assert_eq!(
        tally.posts + tally.posts_never_arrived,
        tally.confirmations,
        "seed {seed}: POSTs"
    );
}

/// The sandbox ran exactly what the journal holds an id for (and perhaps the ambiguous ones,
/// which the operator decides).
fn check_executions(seed: u64, sandbox: &SandboxHandle, claims: &[String], tally: &mut Tally) {
    let executions = sandbox.executions();
    tally.executions = u64::from(executions.exchanges + executions.orders);
    let desk_ids = claims;
    let known = desk_ids.len() as u64;
    assert!(
        known <= tally.executions && tally.executions <= known + tally.ambiguous,
        "seed {seed}: {} executions, the journal holds {known} ids and {} rows are ambiguous",
        tally.executions,
        tally.ambiguous
    );
    for id in desk_ids {
        assert!(
            sandbox.exchange_status(id).is_some() || sandbox.order_status(id).is_some(),
            "seed {seed}: {id} is not P100's"
        );
    }
}

/// Every set of balances drawn is one the sandbox served.
fn check_balances(seed: u64, sandbox: &SandboxHandle, shown: Vec<BalanceSet>, tally: &mut Tally) {
    let served: HashSet<BalanceSet> = sandbox
        .served_balances()
        .into_iter()
        .map(|body| {
            // Through bytes, as the client reads it (amounts may be JSON numbers or strings).
            let bytes = serde_json::to_vec(&body).expect("served JSON");
            let balances: Balances = serde_json::from_slice(&bytes).expect("a served body decodes");
            let fiat = balances
                .fiat_balances
                .iter()
                .map(|b| (b.name.clone(), b.amount));
            let crypto = balances
                .crypto_balances
                .iter()
                .map(|b| (b.name.clone(), b.amount));
            fiat.chain(crypto)
                .map(|(name, amount)| (name.as_str().to_string(), amount))
                .collect()
        })
        .collect();
    for set in shown.into_iter().filter(|set| !set.is_empty()) {
        assert!(
            served.contains(&set),
            "seed {seed}: balances shown that the API never sent: {set:?}"
        );
        tally.balance_sets_checked += 1;
    }
}

/// What the journal says of the desk's intents, for the checks against the sandbox.
struct JournalView {
    /// Every remote id the journal holds, one per intent that holds one.
    ids: Vec<String>,
    /// Each intent's events, in order.
    events: HashMap<String, Vec<String>>,
}

/// Every intent: exactly one send outcome, one reconciliation per unknown, and a final status
/// exactly when P100 queued it (accepted, or found by reconciliation).
fn check_journal(
    seed: u64,
    path: &std::path::Path,
    ambiguous: &HashSet<String>,
    tally: &mut Tally,
) -> JournalView {
    #[derive(Debug, Default)]
    struct Lines {
        events: Vec<String>,
        found: u64,
        absent: u64,
        remote_id: Option<String>,
    }
    let text = std::fs::read_to_string(path).expect("journal");
    let mut intents: HashMap<String, Lines> = HashMap::new();
    for line in text.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).expect("every line is JSON");
        let intent = entry["intent"].as_str().expect("intent").to_string();
        let event = entry["event"].as_str().expect("event").to_string();
        // A lock the desk refused (a lying server's lock for another trade) sent nothing and
        // opened no attempt: it is counted, not checked as an intent.
        if event == "lock_refused" {
            tally.locks_refused_as_lies += 1;
            continue;
        }
        let lines = intents.entry(intent).or_default();
        if let Some(id) = entry["remote_id"].as_str() {
            lines.remote_id = Some(id.to_string());
        }
        if event == "reconciled" {
            if entry["remote_id"].is_string() {
                lines.found += 1;
            } else {
                lines.absent += 1;
            }
        }
        lines.events.push(event);
    }
    assert_eq!(
        intents.len() as u64,
        tally.confirmations,
        "seed {seed}: intents"
    );
    for (intent, lines) in &intents {
        let list = &lines.events;
        let count = |name: &str| list.iter().filter(|e| e.as_str() == name).count() as u64;
        assert!(
            list.first().is_some_and(|first| first.ends_with("_intent")),
            "seed {seed}: {intent} starts with its intent: {list:?}"
        );
        let (accepted, rejected, unknown) =
            (count("accepted"), count("rejected"), count("unknown"));
        assert_eq!(
            accepted + rejected + unknown,
            1,
            "seed {seed}: {intent}: {list:?}"
        );
        let undecided = u64::from(ambiguous.contains(intent));
        assert_eq!(
            lines.found + lines.absent + undecided,
            unknown,
            "seed {seed}: {intent}: {list:?}"
        );
        let queued = accepted + lines.found;
        assert_eq!(count("final"), queued, "seed {seed}: {intent}: {list:?}");
        tally.accepted += accepted;
        tally.rejected += rejected;
        tally.unknown += unknown;
        tally.reconciled_found += lines.found;
        tally.reconciled_absent += lines.absent;
        tally.finals += count("final");
    }
    let mut holders: HashMap<&str, u64> = HashMap::new();
    for id in intents
        .values()
        .filter_map(|lines| lines.remote_id.as_deref())
    {
        *holders.entry(id).or_default() += 1;
    }
    tally.false_claims = holders.values().filter(|&&count| count > 1).count() as u64;
    assert_eq!(
        tally.false_claims, 0,
        "seed {seed}: remote ids held by two intents: {holders:?}"
    );
    let mut ids: Vec<String> = holders.keys().map(|id| (*id).to_string()).collect();
    ids.sort();
    JournalView {
        ids,
        events: intents
            .into_iter()
            .map(|(intent, lines)| (intent, lines.events))
            .collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_attempts_under_random_faults_keep_every_invariant() {
    let seed = env_number("SOAK_SEED", 0x5EED);
    let attempts = env_number("SOAK_ATTEMPTS", 1024);
    let per_desk = attempts.div_ceil(DESKS as u64);
    let tallies =
        join_all((0..DESKS as u64).map(|desk| soak_one_desk(seed.wrapping_add(desk), per_desk)))
            .await;
    let mut total = Tally::default();
    for tally in &tallies {
        total.add(tally);
    }
    println!("soak (seed {seed}): {total:#?}");
    assert!(total.attempts >= attempts);
    assert!(total.confirmations > total.attempts / 2, "{total:?}");
    assert!(
        total.unknown > 0,
        "the faults made some outcomes unknown: {total:?}"
    );
    assert!(total.balance_sets_checked > 0);
    assert!(
        total.dismissals > 0,
        "final rows were dismissed between attempts: {total:?}"
    );
    assert_eq!(total.false_claims, 0, "{total:?}");
}
