//! Load: 1,000 pending rows watched at once by the real event loop, against the fast sandbox over
//! loopback. Everything is read back from the sandbox's request log: the details requests stay
//! within the poller's budget in every 1-second window, at most `max_concurrent` are in flight,
//! every row is polled before any row is polled twice, and once every row is final the poller
//! asks for nothing but the one row still watched.
//!
//! Why the real loop (rows resumed from a journal) rather than `poller::run` alone: what stops
//! the requests for a final row is the app noticing the final status and sending a smaller
//! watch set, so only the whole loop can show that the poller goes quiet.

#[path = "support/harness.rs"]
mod harness;
#[path = "support/journal_lines.rs"]
mod journal_lines;
#[path = "support/lying_p100.rs"]
mod lying_p100;

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use futures::StreamExt;
use harness::{Desk, DeskConfig};
use journal_lines::{accepted_exchange, dec, entry};
use p100_desk::api::ApiClient;
use p100_desk::api::models::{Currency, ExchangeRequest, OrderLockRequest};
use p100_desk::app::App;
use p100_desk::app::live::LiveKind;
use p100_desk::journal::{self, Entry, Event};
use p100_desk::poller::PollSettings;
use p100_desk::sandbox::{
    Endpoint, ExchangeStatus, Fault, FaultRule, OrderStatus, RequestRecord, SandboxHandle,
    SandboxOptions,
};
use tokio::time::Instant;

/// Rows pending at once; the first `EXCHANGES` are exchanges, the rest orders.
const ROWS: usize = 1_000;
const EXCHANGES: usize = 600;
/// The poller's budget. 1,000 rows need two full passes (one while the sandbox holds them,
/// one to see them final): at 200 requests/s that is about 10 s; at 50/s it would be 40 s.
const BUDGET: u32 = 200;
const MAX_CONCURRENT: usize = 4;
/// Latency injected into every details request while the rows drain, so that the
/// concurrency limit (4 in flight / 25 ms = 160 requests/s) binds before the budget does.
const LATENCY: Duration = Duration::from_millis(25);
/// A row the sandbox does not know (404): it stays watched at the slowest pace, so the poller
/// is provably still running while it leaves the final rows alone.
const SENTINEL: &str = "00000000-0000-4000-8000-00000000dead";
/// POSTs in flight at once while setting up.
const SETUP_CONCURRENCY: usize = 8;

fn poll_settings() -> PollSettings {
    PollSettings {
        first_check: Duration::from_millis(50),
        max_interval: Duration::from_millis(500),
        max_requests_per_second: BUDGET,
        max_concurrent: MAX_CONCURRENT,
    }
}

/// Locks and queues one exchange (or creates one order) in the sandbox; returns the journal
/// lines the desk would have written for it.
async fn create_row(client: &ApiClient, n: usize) -> [Entry; 2] {
    let intent = format!("load-{n:04}");
    if n < EXCHANGES {
        let lock = client
            .exchange_lock(&Currency::new("usdc"), &Currency::new("eur"), dec("10"))
            .await
            .expect("exchange lock");
        let accepted = client
            .execute_exchange(&ExchangeRequest {
                amount: lock.amount,
                currency_from: lock.currency_from.clone(),
                currency_to: lock.currency_to.clone(),
                lock_id: lock.lock_id.clone(),
            })
            .await
            .expect("exchange queued");
        [
            entry(
                &intent,
                Event::ExchangeIntent {
                    from: "usdc".into(),
                    to: "eur".into(),
                    amount: lock.amount,
                    amount_to: lock.amount_to,
                    rate: lock.rate,
                    lock_id: lock.lock_id,
                },
            ),
            entry(
                &intent,
                Event::Accepted {
                    remote_id: accepted.exchange_id,
                    attempt: None,
                },
            ),
        ]
    } else {
        let lock = client
            .order_lock(&OrderLockRequest {
                currency: Currency::new("usdc"),
                amount: dec("20"),
                network: "polygon".into(),
            })
            .await
            .expect("order lock");
        let created = client.create_order(&lock.lock_id).await.expect("order");
        [
            entry(
                &intent,
                Event::OrderIntent {
                    currency: "usdc".into(),
                    network: "polygon".into(),
                    fiat_amount: dec("20"),
                    fiat_currency: "eur".into(),
                    crypto_amount: lock.amount,
                    rate: lock.rate,
                    lock_id: lock.lock_id,
                },
            ),
            entry(
                &intent,
                Event::Accepted {
                    remote_id: created.order_id,
                    attempt: None,
                },
            ),
        ]
    }
}

/// The sentinel's journal lines: an exchange the sandbox never heard of.
fn sentinel_lines() -> Vec<Entry> {
    accepted_exchange("load-sentinel", SENTINEL)
}

fn is_details(record: &RequestRecord) -> bool {
    matches!(
        record.endpoint,
        Some(Endpoint::ExchangeDetails | Endpoint::OrderDetails)
    )
}

/// The exchange or order id a details request asked for.
fn details_id(record: &RequestRecord) -> &str {
    record.path.rsplit('/').next().unwrap_or_default()
}

/// The details requests, in arrival order.
fn details_log(records: &[RequestRecord]) -> Vec<&RequestRecord> {
    let mut details: Vec<&RequestRecord> = records.iter().filter(|r| is_details(r)).collect();
    // The log is in arrival order already; sorting keeps the windows below independent of it.
    details.sort_by_key(|r| r.at);
    details
}

/// The most arrivals in one half-open window `[t, t + width)`, over every window that starts
/// at an arrival (the fullest window always starts at one). `arrivals` must be sorted.
fn max_in_window(arrivals: &[Instant], width: Duration) -> usize {
    let mut most = 0;
    let mut end = 0;
    for (start, &at) in arrivals.iter().enumerate() {
        while end < arrivals.len() && arrivals[end] < at + width {
            end += 1;
        }
        most = most.max(end - start);
    }
    most
}

fn polls_of(records: &[RequestRecord], id: &str, after: Instant) -> usize {
    records
        .iter()
        .filter(|r| is_details(r) && details_id(r) == id && r.at > after)
        .count()
}

/// Creates the rows in the sandbox (held pending) and writes the journal that resumes them,
/// with the sentinel last. Returns the rows' remote ids.
async fn set_up_rows(client: &ApiClient, journal: &Path) -> HashSet<String> {
    let rows: Vec<[Entry; 2]> = futures::stream::iter(0..ROWS)
        .map(|n| {
            let client = client.clone();
            async move { create_row(&client, n).await }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect()
        .await;
    let remote_ids: HashSet<String> = rows
        .iter()
        .filter_map(|[_, accepted]| match &accepted.event {
            Event::Accepted { remote_id, .. } => Some(remote_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(remote_ids.len(), ROWS);
    // Written in one go: the desk fsyncs each line, which here would only cost time.
    let lines: Vec<Entry> = rows.into_iter().flatten().chain(sentinel_lines()).collect();
    journal_lines::write(journal, &lines);
    remote_ids
}

/// When things happened during the run.
struct Timeline {
    desk_started: Instant,
    /// Every row had been polled at least once.
    first_pass_done: Instant,
    /// The latency fault was on and the sandbox resumed: every later details request is slow.
    slow_from: Instant,
    /// The app showed every row final.
    all_final: Instant,
}

/// The poller kept to its budget: it spaces request starts 1/BUDGET apart with no burst on
/// top (a burst of 1), so a half-open 1-second window holds at most BUDGET of them. Returns
/// the fullest second.
fn assert_within_budget(details: &[&RequestRecord]) -> usize {
    let arrivals: Vec<Instant> = details.iter().map(|r| r.at).collect();
    let most = max_in_window(&arrivals, Duration::from_secs(1));
    assert!(
        most <= BUDGET as usize,
        "{most} details requests in one second, budget {BUDGET}"
    );
    most
}

/// At most MAX_CONCURRENT in flight: while every answer is held LATENCY at the sandbox, k
/// requests arriving within LATENCY of each other were all in flight together when the last
/// of them arrived. Returns the most seen together.
fn assert_within_concurrency(details: &[&RequestRecord], slow_from: Instant) -> usize {
    let slow: Vec<Instant> = details
        .iter()
        .map(|r| r.at)
        .filter(|&at| at >= slow_from)
        .collect();
    let most = max_in_window(&slow, LATENCY);
    assert!(
        most <= MAX_CONCURRENT,
        "{most} requests in flight at once, limit {MAX_CONCURRENT}"
    );
    most
}

/// No starvation: every row (and the sentinel) is polled before any row is polled twice. The
/// poller dispatches strictly in that order (most overdue first, and a polled row is due again
/// later than any row never polled); only requests in flight together can swap on the way,
/// hence MAX_CONCURRENT - 1 places of slack.
fn assert_every_row_polled_before_any_twice(details: &[&RequestRecord]) {
    let mut seen = HashSet::new();
    let mut last_first_poll = 0;
    for (index, record) in details.iter().enumerate() {
        if seen.insert(details_id(record)) {
            last_first_poll = index;
        }
    }
    assert_eq!(seen.len(), ROWS + 1, "every row polled");
    assert!(
        last_first_poll < ROWS + 1 + MAX_CONCURRENT - 1,
        "the last row was first polled as request {} of the run",
        last_first_poll + 1
    );
}

/// The poller goes quiet: after the app saw the last row final, only requests already in
/// flight (at most MAX_CONCURRENT) and at most one started before the poller read the smaller
/// watch set may still arrive for final rows; after the sentinel's second poll, none at all.
/// Returns how many arrived late.
fn assert_quiet_once_final(details: &[&RequestRecord], all_final: Instant) -> usize {
    let late: Vec<Instant> = details
        .iter()
        .filter(|r| r.at > all_final && details_id(r) != SENTINEL)
        .map(|r| r.at)
        .collect();
    assert!(
        late.len() <= MAX_CONCURRENT + 1,
        "{} requests for final rows after the last went final",
        late.len()
    );
    let sentinel_polls: Vec<Instant> = details
        .iter()
        .filter(|r| r.at > all_final && details_id(r) == SENTINEL)
        .map(|r| r.at)
        .collect();
    let quiet_from = sentinel_polls[1];
    assert!(
        late.iter().all(|&at| at < quiet_from),
        "a final row was polled after the sentinel's second poll"
    );
    late.len()
}

/// Every row ended with the status the sandbox gave it, the sentinel is still watched, and
/// every final is in the journal.
async fn assert_rows_final(app: &App, sandbox: &SandboxHandle, journal: &Path) {
    assert_eq!(app.live.rows.len(), ROWS + 1);
    for row in &app.live.rows {
        let id = row.remote_id.as_deref().expect("resumed rows have ids");
        let sandbox_status = match row.kind {
            LiveKind::Exchange(_) if id == SENTINEL => None,
            LiveKind::Exchange(_) => sandbox.exchange_status(id).map(ExchangeStatus::wire),
            LiveKind::Order(_) => sandbox.order_status(id).map(OrderStatus::wire),
        };
        match sandbox_status {
            Some(status) => assert_eq!(row.phase.label(), status, "row {id}"),
            None => assert!(!row.phase.is_final(), "the sentinel is still watched"),
        }
    }
    harness::eventually("every final journaled", || async {
        let replay = journal::replay_file(journal).expect("journal readable");
        replay.open_intents().count() == 1
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_pending_rows_stay_within_the_poll_budget() {
    let started = Instant::now();
    let sandbox = harness::start_sandbox(SandboxOptions {
        // The sandbox's own limit would answer 429 to the set-up burst; the budget under test
        // is the poller's, read from the log.
        rate_limit: None,
        ..harness::fast_sandbox_options()
    })
    .await;
    sandbox.pause_processing(true);
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let dir = tempfile::tempdir().expect("tempdir");
    let journal_path = dir.path().join("journal.jsonl");
    let remote_ids = set_up_rows(&client, &journal_path).await;
    let set_up = started.elapsed();

    // Phase 1, the sandbox holding every row pending: the budget binds.
    sandbox.clear_request_log();
    let mut config = DeskConfig::new(&journal_path);
    config.poll = poll_settings();
    let desk_started = Instant::now();
    let mut desk = Desk::start(client, config);
    harness::eventually("every row polled at least once", || async {
        let log = sandbox.request_log();
        let polled: HashSet<&str> = details_log(&log).into_iter().map(details_id).collect();
        remote_ids.iter().all(|id| polled.contains(id.as_str()))
    })
    .await;
    let first_pass_done = Instant::now();

    // Phase 2: every details answer takes LATENCY, so the concurrency limit binds, and the
    // sandbox lets the rows run to their final status.
    for endpoint in [Endpoint::ExchangeDetails, Endpoint::OrderDetails] {
        sandbox
            .faults()
            .push(FaultRule::always(Some(endpoint), Fault::Latency(LATENCY)));
    }
    // A request takes its fault after it arrives, so every one arriving from now on is slow.
    let slow_from = Instant::now();
    sandbox.pause_processing(false);
    desk.wait_for("every row final", |p| {
        p.live
            .iter()
            .filter(|row| row.remote_id.as_deref() != Some(SENTINEL))
            .all(|row| row.phase.is_final())
    })
    .await;
    let all_final = Instant::now();
    // The sentinel keeps being polled at the slowest pace: three more polls prove the poller
    // ran for at least two max_intervals while the final rows stayed quiet.
    harness::eventually("three more polls of the sentinel", || async {
        polls_of(&sandbox.request_log(), SENTINEL, all_final) >= 3
    })
    .await;
    let log = sandbox.request_log();
    let app = desk.quit().await;
    let timeline = Timeline {
        desk_started,
        first_pass_done,
        slow_from,
        all_final,
    };

    let details = details_log(&log);
    let most_per_second = assert_within_budget(&details);
    let most_in_flight = assert_within_concurrency(&details, timeline.slow_from);
    assert_every_row_polled_before_any_twice(&details);
    let late = assert_quiet_once_final(&details, timeline.all_final);
    assert_rows_final(&app, &sandbox, &journal_path).await;
    sandbox.shutdown().await;

    let others: Vec<String> = [Endpoint::Balances, Endpoint::Transactions]
        .iter()
        .map(|endpoint| {
            let count = log.iter().filter(|r| r.endpoint == Some(*endpoint)).count();
            format!("{endpoint:?} {count}")
        })
        .collect();
    eprintln!(
        "load: {ROWS} rows + 1 sentinel, set up in {set_up:.1?}; first pass {:.1?}, drain \
         {:.1?}; {} details requests, most in one second {most_per_second} (budget {BUDGET}), \
         most in flight {most_in_flight} (limit {MAX_CONCURRENT}), {late} late; also {}; \
         total {:.1?}",
        timeline.first_pass_done - timeline.desk_started,
        timeline.all_final - timeline.slow_from,
        details.len(),
        others.join(", "),
        started.elapsed()
    );
}

#[path = "support/live_load.rs"]
mod live_load;

/// Freshness is told, not promised: 1,000 rows at the default budget (5 requests/s) are each
/// checked every 3m30s (the budget spaces starts 210 ms apart), and both the Live pane and the header say so.
#[test]
fn the_live_pane_and_header_tell_the_real_check_interval() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    let app = live_load::desk_with_live_rows(live_load::LIVE_ROWS, false, 50);
    assert_eq!(
        app.check_pace,
        p100_desk::app::check_pace::CheckPace::default()
    );
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test terminal");
    let options = p100_desk::ui::RenderOptions::utc(p100_desk::ui::Theme::color());
    terminal
        .draw(|frame| p100_desk::ui::render(&app, frame, &options))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let lines: Vec<String> = (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect()
        })
        .collect();
    let told = "each row checked every 3m30s at 5 req/s";
    assert!(lines[0].contains(told), "header: {}", lines[0]);
    // The Live pane's title says it too; beside the narrow balances column it is cut at the
    // pane's edge, so the pane is checked for its start (the header has it whole).
    assert!(
        lines
            .iter()
            .skip(1)
            .any(|line| line.contains("each row checked every")),
        "the Live pane tells the pace:\n{}",
        lines.join("\n")
    );
}

/// Rows pending at once at the default budget.
const MANY_ROWS: usize = 10_000;
/// PgDn is held until this many history pages came in, one press every `KEY_REPEAT` (slower
/// than a terminal's auto-repeat: each press costs a frame, and an unoptimized test build
/// with 10,000 rows draws about ten a second).
const PAGES: usize = 4;
const KEY_REPEAT: Duration = Duration::from_millis(100);

/// A usable id the sandbox does not know: it answers 404, and the row stays watched (pending),
/// like the sentinel above. Creating 10,000 real exchanges first would cost 20,000 requests of
/// set-up for the same schedule: the poller cannot tell a 404 from a pending status.
fn unknown_id(n: usize) -> String {
    format!("00000000-0000-4000-9000-{n:012}")
}

/// The fast sandbox (no rate limit, `history_rows` extra history) and a desk at the default
/// budget resuming the [`MANY_ROWS`] journal, at 200x50: wide enough that the header holds the
/// budget notice and the pace side by side. The directory holds the journal.
async fn many_rows_desk(history_rows: usize) -> (SandboxHandle, tempfile::TempDir, Desk) {
    let sandbox = harness::start_sandbox(SandboxOptions {
        rate_limit: None,
        history_rows,
        ..harness::fast_sandbox_options()
    })
    .await;
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let dir = tempfile::tempdir().expect("tempdir");
    let journal_path = dir.path().join("journal.jsonl");
    many_rows_journal(&journal_path);
    let settings = PollSettings::default();
    assert_eq!(settings.max_requests_per_second, 5, "the default budget");
    let mut config = DeskConfig::new(&journal_path);
    config.poll = settings;
    config.size = (200, 50);
    let desk = Desk::start(client, config);
    (sandbox, dir, desk)
}

fn many_rows_journal(journal: &Path) {
    let lines: Vec<Entry> = (0..MANY_ROWS)
        .flat_map(|n| accepted_exchange(&format!("many-{n:05}"), &unknown_id(n)))
        .collect();
    journal_lines::write(journal, &lines);
}

/// One budget for everything, at the default 5 requests/s: 10,000 rows being checked, and the
/// user holding PgDn in the history meanwhile. Every request the desk sent (details, balances,
/// history pages) is counted from the sandbox's log over every 1-second window: never more
/// than 5. History still loads (one slot in five is kept from the checks), holding PgDn queues
/// pages instead of flooding, the header says "throttled by our own budget: history waits",
/// and the Live pane and the header tell the real pace: each row checked every 35m00s (starts 210 ms apart).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_pending_rows_and_history_paging_share_the_default_budget() {
    let started = Instant::now();
    // Enough history that PgDn always has another page to fetch.
    let (sandbox, _dir, mut desk) = many_rows_desk(20_000).await;
    let settings = PollSettings::default();
    let pace = "each row checked every 35m00s at 5 req/s";
    let shown = desk
        .wait_for("the real check interval told", |p| {
            p.live.len() == MANY_ROWS && p.history_len > 0 && p.screen.contains(pace)
        })
        .await;
    let header = shown.screen.lines().next().unwrap_or_default().to_string();
    assert!(header.contains(pace), "header: {header}");
    assert!(
        shown
            .screen
            .lines()
            .skip(1)
            .any(|line| line.contains("each row checked every")),
        "the Live pane tells the pace:\n{}",
        shown.screen
    );

    // Hold PgDn in the history pane while the checks go on, until four pages came in: a press
    // near the end of the rows held asks for the next page unless one is on its way (then it
    // waits for the budget). (`G` would jump straight to the last page: the total is known.)
    let pages_since = |log: &[RequestRecord], from: Instant| {
        log.iter()
            .filter(|r| r.endpoint == Some(Endpoint::Transactions) && r.at >= from)
            .count()
    };
    desk.press(crossterm::event::KeyCode::Tab);
    let held_from = Instant::now();
    let mut presses = 0;
    let mut told = false;
    while pages_since(&sandbox.request_log(), held_from) < PAGES {
        assert!(
            held_from.elapsed() < harness::PATIENCE,
            "history did not load while the rows were checked"
        );
        desk.press(crossterm::event::KeyCode::PageDown);
        presses += 1;
        tokio::time::sleep(KEY_REPEAT).await;
        told |= desk
            .screen()
            .contains("throttled by our own budget: history waits");
    }
    let held_for = held_from.elapsed();
    assert!(told, "the header said the budget holds history back");
    let log = sandbox.request_log();
    let app = desk.quit().await;
    sandbox.shutdown().await;

    let mut arrivals: Vec<Instant> = log.iter().map(|r| r.at).collect();
    arrivals.sort();
    let most = max_in_window(&arrivals, Duration::from_secs(1));
    assert!(
        most <= settings.max_requests_per_second as usize,
        "{most} requests in one second, budget {}",
        settings.max_requests_per_second
    );
    let pages = pages_since(&log, held_from);
    let details_while_paging = log
        .iter()
        .filter(|r| is_details(r) && r.at >= held_from)
        .count();
    assert!(
        details_while_paging >= pages,
        "the checks keep most of the budget: {details_while_paging} checks, {pages} pages"
    );
    assert!(app.history.len() > 50, "pages were merged");
    eprintln!(
        "load at the default budget: {MANY_ROWS} rows; {} requests in {:.1?}, most in one \
         second {most} (budget 5); G held {held_for:.1?} ({presses} presses): {pages} history \
         pages and {details_while_paging} checks since; total {:.1?}",
        log.len(),
        log.last().map_or(Duration::ZERO, |r| r.at - log[0].at),
        started.elapsed()
    );
}

/// The ids `unknown_id` makes start with this.
const UNKNOWN_PREFIX: &str = "00000000-0000-4000-9000-";

/// The row a test created during the run: its remote id is none of the 10,000 unknown ones.
fn created_row(probe: &harness::Probe) -> Option<&p100_desk::app::live::LiveRow> {
    probe.live.iter().find(|row| {
        row.remote_id
            .as_deref()
            .is_some_and(|id| !id.starts_with(UNKNOWN_PREFIX))
    })
}

/// Rows closest to a change are checked first (issue 11, goal 5): with 10,000 rows pending at
/// the default budget (a whole round takes 35 minutes), an exchange confirmed meanwhile is
/// checked about `first_check` after P100 accepted it, not behind the 10,000 (they joined in
/// bulk, from the journal: steady), and reaches its final status within seconds. Meanwhile the
/// steady rows keep being checked and every 1-second window of the sandbox's log holds at most
/// the budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_confirmed_while_ten_thousand_rows_wait_is_checked_first() {
    let started = Instant::now();
    let (sandbox, _dir, mut desk) = many_rows_desk(0).await;
    let settings = PollSettings::default();
    desk.wait_for("10,000 rows pending and being checked", |p| {
        p.live.len() == MANY_ROWS && p.screen.contains("each row checked every 35m00s")
    })
    .await;
    harness::eventually("the first rows checked", || async {
        details_log(&sandbox.request_log()).len() >= 5
    })
    .await;

    // The user confirms an exchange while the 10,000 wait.
    desk.lock_exchange("usdc", "10").await;
    desk.key('y');
    let confirmed = Instant::now();
    let done = desk
        .wait_for("the new exchange final", |p| {
            created_row(p).is_some_and(|row| row.phase.is_final())
        })
        .await;
    let final_after = confirmed.elapsed();
    let row = created_row(&done).expect("the new row");
    assert_eq!(row.phase.label(), "COMPLETED");
    let new_id = row.remote_id.clone().expect("accepted");
    let log = sandbox.request_log();
    let app = desk.quit().await;
    sandbox.shutdown().await;

    let accepted_at = log
        .iter()
        .find(|r| r.endpoint == Some(Endpoint::Exchange))
        .map(|r| r.at)
        .expect("the POST in the log");
    let details = details_log(&log);
    let checks: Vec<Instant> = details
        .iter()
        .filter(|r| details_id(r) == new_id)
        .map(|r| r.at)
        .collect();
    let first_check = checks[0] - accepted_at;
    // first_check (1 s), then the next budget slot: 210 ms at 5/s, two when the budget's
    // starvation rule gives one to the ticket's quotes or the balances.
    assert!(
        first_check < Duration::from_secs(3),
        "the new exchange was first checked {first_check:.1?} after P100 accepted it"
    );
    assert!(
        final_after < Duration::from_secs(8),
        "final {final_after:.1?} after the confirm"
    );
    // The steady rows went on meanwhile (not one was skipped for good) and the budget held.
    let steady_checks = details
        .iter()
        .filter(|r| details_id(r).starts_with(UNKNOWN_PREFIX))
        .count();
    assert!(steady_checks >= 5, "{steady_checks} checks of the 10,000");
    // Everything that waits for the budget stays within it in every 1-second window. The money
    // POST is the one request that never waits (the user confirmed it): it takes a slot, so
    // the requests after it keep the average, but it may land in a second that is full; with
    // it, one window may hold one more.
    let is_money = |r: &RequestRecord| r.endpoint == Some(Endpoint::Exchange);
    let mut arrivals: Vec<Instant> = log.iter().filter(|r| !is_money(r)).map(|r| r.at).collect();
    arrivals.sort();
    let most = max_in_window(&arrivals, Duration::from_secs(1));
    assert!(
        most <= settings.max_requests_per_second as usize,
        "{most} requests in one second, budget {}",
        settings.max_requests_per_second
    );
    let mut with_money: Vec<Instant> = log.iter().map(|r| r.at).collect();
    with_money.sort();
    let most_with_money = max_in_window(&with_money, Duration::from_secs(1));
    assert!(
        most_with_money <= settings.max_requests_per_second as usize + 1,
        "{most_with_money} requests in one second with the money POST"
    );
    assert!(
        app.live.rows.iter().filter(|r| !r.phase.is_final()).count() == MANY_ROWS,
        "the 10,000 are still pending"
    );
    eprintln!(
        "load, a new exchange among {MANY_ROWS} pending at 5 req/s: first checked \
         {first_check:.1?} after the POST ({} checks of it), final {final_after:.1?} after the \
         confirm; {steady_checks} checks of the others; most in one second {most} \
         ({most_with_money} with the POST); total {:.1?}",
        checks.len(),
        started.elapsed()
    );
}

/// Rows overdue at once in [`a_row_whose_status_changed_is_checked_before_the_overdue_rows`]:
/// a round at the default 5 requests/s takes about 12 s, longer than the backoff of its first
/// rounds (2 s, 4 s, 8 s), so every row stays overdue.
const OVERDUE_ROWS: usize = 60;

/// The ids of the details requests P100 saw, in the order it saw them.
fn details_seen(stub: &lying_p100::LyingP100) -> Vec<String> {
    stub.seen()
        .into_iter()
        .filter_map(|(_, path)| {
            path.strip_prefix("/v1/exchange/details/")
                .map(str::to_owned)
        })
        .collect()
}

/// Waits (up to 90 s: a round of the overdue rows takes about 12 s) until P100 saw `id`
/// checked `times` times.
async fn checked_times(stub: &lying_p100::LyingP100, id: &str, times: usize) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while details_seen(stub).iter().filter(|seen| *seen == id).count() < times {
        assert!(
            Instant::now() < deadline,
            "{id} was not checked {times} times"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Goal 5 through the whole loop: when more rows are due than the budget can check, a row
/// whose status just changed is checked again next, not behind every overdue row. 60 rows are
/// resumed from the journal (steady: a resume is no creation) at the default budget; one of
/// them is an exchange P100 moves from QUEUED to PROCESSING between its first and second
/// check. Counted from P100's own request log, without clocks: between its first and second
/// check the desk checked most of the others (a round: the budget binds), between its second
/// (the change) and third only a few (its first_check of 1 s at 5 requests/s, plus the one
/// take in four the steady rows keep). Without the rule the third check, too, would wait for a
/// round.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_whose_status_changed_is_checked_before_the_overdue_rows() {
    let stub = lying_p100::LyingP100::start().await;
    let mover = "11111111-0000-4000-8000-00000000beef";
    stub.exchange_details(mover, lying_p100::Answer::exchange(mover, "QUEUED"));
    let dir = tempfile::tempdir().expect("tempdir");
    let journal_path = dir.path().join("journal.jsonl");
    // The others are ids P100 does not know (404): watched, never final.
    let lines: Vec<Entry> = accepted_exchange("mover", mover)
        .into_iter()
        .chain(
            (0..OVERDUE_ROWS).flat_map(|n| accepted_exchange(&format!("o-{n:03}"), &unknown_id(n))),
        )
        .collect();
    journal_lines::write(&journal_path, &lines);
    let settings = PollSettings::default();
    assert_eq!(settings.max_requests_per_second, 5, "the default budget");
    let mut config = DeskConfig::new(&journal_path);
    config.poll = settings;
    let mut desk = Desk::start(harness::client_for(&stub.base_url, lying_p100::KEY), config);
    desk.wait_for("every row resumed", |p| p.live.len() == OVERDUE_ROWS + 1)
        .await;

    checked_times(&stub, mover, 1).await;
    stub.exchange_details(mover, lying_p100::Answer::exchange(mover, "PROCESSING"));
    checked_times(&stub, mover, 2).await;
    desk.wait_for("the change shown", |p| {
        p.live
            .iter()
            .any(|row| row.remote_id.as_deref() == Some(mover) && row.phase.label() == "PROCESSING")
    })
    .await;
    checked_times(&stub, mover, 3).await;
    stub.exchange_details(mover, lying_p100::Answer::exchange(mover, "COMPLETED"));
    desk.wait_for("the mover final", |p| {
        p.live
            .iter()
            .any(|row| row.remote_id.as_deref() == Some(mover) && row.phase.is_final())
    })
    .await;
    let seen = details_seen(&stub);
    desk.quit().await;

    let at: Vec<usize> = seen
        .iter()
        .enumerate()
        .filter(|(_, id)| *id == mover)
        .map(|(index, _)| index)
        .collect();
    let between = |from: usize, to: usize| at[to] - at[from] - 1;
    assert!(
        between(0, 1) >= OVERDUE_ROWS / 2,
        "the budget binds: {} others between its first two checks",
        between(0, 1)
    );
    assert!(
        between(1, 2) <= 20,
        "checked again {} others after its status changed (a round is {OVERDUE_ROWS})",
        between(1, 2)
    );
    eprintln!(
        "a status change among {OVERDUE_ROWS} overdue rows at 5 req/s: {} other checks between \
         its first two checks, {} between the change and the next, {} checks of it in all",
        between(0, 1),
        between(1, 2),
        at.len()
    );
}
