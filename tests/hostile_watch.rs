//! A hostile P100 against the poller and the watch set, through the real event loop: rows are
//! resumed from journal lines written up front, the lying P100 answers their details as each
//! test scripts (and changes its mind mid-run), and what the desk did is read back from the
//! Live rows, the journal and P100's own request log.
//!
//! The rule under test: nothing is shown as done until the API says so, and a lying server
//! never makes the desk apply an answer to the wrong row, stop watching a row still in flight,
//! or keep polling a row after it is final. Each probe:
//!
//! 1. an answer about another id (even one the desk watches) saying COMPLETED is applied to
//!    neither row, and the row asked about is still polled;
//! 2. an answer flipping final then back (COMPLETED, then PROCESSING): final once in the
//!    journal, and the row is not asked about again while another row keeps being polled;
//! 3. one remote id held by two intents (both in flight, or one already final, or one exchange
//!    and one order): no answer is applied to either, and the id stays polled;
//! 4. a 404 for ever next to a COMPLETED: the completed row goes quiet, the 404 one is polled;
//! 5. an order P100 says EXPIRED: final, journaled once, no more polls.
//!
//! "Not asked again" is measured against another row that stays pending: its checks are
//! counted from P100's log, so the test waits for that row to be polled N more times (a
//! condition), never for a fixed time.

#[path = "support/harness.rs"]
mod harness;
#[path = "support/journal_lines.rs"]
mod journal_lines;
#[path = "support/lying_p100.rs"]
mod lying_p100;

use std::path::Path;
use std::time::Duration;

use harness::{AppSetup, Desk, DeskConfig, Probe};
use journal_lines::{accepted_exchange, accepted_order, entry};
use lying_p100::{Answer, KEY, LyingP100};
use p100_desk::app::live::{LiveRow, Phase, WatchTarget};
use p100_desk::journal::{self, Entry, Event};
use p100_desk::poller::PollSettings;
use tokio::time::Instant;

/// Checks of the steady row to wait for while counting a quiet row's requests: at the
/// `max_interval` of 200 ms below, 15 checks are about 3 s of polling.
const QUIET_CHECKS: usize = 15;

/// Fast checks (50 ms first, 200 ms cap) and a budget that never binds for a handful of rows.
fn poll_settings() -> PollSettings {
    PollSettings {
        first_check: Duration::from_millis(50),
        max_interval: Duration::from_millis(200),
        max_requests_per_second: 100,
        max_concurrent: 4,
    }
}

/// A desk on the lying P100 that resumes `lines`, once every row is on screen.
async fn resume(p100: &LyingP100, path: &Path, lines: &[Entry], rows: usize) -> Desk {
    resume_with(p100, path, lines, rows, None).await
}

/// [`resume`], with `setup` run on the app before its loop starts.
async fn resume_with(
    p100: &LyingP100,
    path: &Path,
    lines: &[Entry],
    rows: usize,
    setup: Option<AppSetup>,
) -> Desk {
    journal_lines::write(path, lines);
    let mut config = DeskConfig::new(path);
    config.poll = poll_settings();
    config.setup = setup;
    let mut desk = Desk::start(harness::client_for(&p100.base_url, KEY), config);
    desk.wait_for("every row resumed", |p| p.live.len() == rows)
        .await;
    desk
}

fn exchange_path(id: &str) -> String {
    format!("/v1/exchange/details/{id}")
}

fn order_path(id: &str) -> String {
    format!("/v1/order/details/{id}")
}

/// How many requests P100 saw at exactly `path` (not a prefix: `x-1` is not `x-10`).
fn asked(p100: &LyingP100, path: &str) -> usize {
    p100.seen().iter().filter(|(_, seen)| seen == path).count()
}

/// Waits (at most `PATIENCE`) until P100 saw `path` asked `times` times in all.
async fn asked_times(p100: &LyingP100, path: &str, times: usize) {
    let deadline = Instant::now() + harness::PATIENCE;
    loop {
        let now = asked(p100, path);
        if now >= times {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{path} asked {now} times, not {times}, within {:?}",
            harness::PATIENCE
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `path` is asked `more` times more than it was so far.
async fn asked_more(p100: &LyingP100, path: &str, more: usize) {
    let from = asked(p100, path);
    asked_times(p100, path, from + more).await;
}

fn row<'a>(probe: &'a Probe, key: &str) -> &'a LiveRow {
    probe
        .live
        .iter()
        .find(|row| row.key == key)
        .unwrap_or_else(|| panic!("no row {key}: {:#?}", probe.live))
}

fn entries(path: &Path) -> Vec<Entry> {
    let (entries, damaged) = journal::read_entries(path).expect("journal readable");
    assert!(damaged.is_empty(), "damaged lines {damaged:?}");
    entries
}

/// The final lines of the journal: (intent, status).
fn finals(path: &Path) -> Vec<(String, String)> {
    entries(path)
        .into_iter()
        .filter_map(|e| match e.event {
            Event::Final { status, .. } => Some((e.intent, status)),
            _ => None,
        })
        .collect()
}

/// While `steady` is polled [`QUIET_CHECKS`] more times, `quiet` is not asked at all; returns
/// how often `quiet` was asked in all.
async fn stays_quiet(p100: &LyingP100, quiet: &str, steady: &str) -> usize {
    // The change that removes `quiet` may still be on its way to the poller when the row is
    // drawn final (one request may already be out): count from two checks of `steady` later,
    // when the poller has read it.
    asked_more(p100, steady, 2).await;
    let before = asked(p100, quiet);
    asked_more(p100, steady, QUIET_CHECKS).await;
    let after = asked(p100, quiet);
    assert_eq!(
        after,
        before,
        "{quiet} asked {} more times while {steady} was checked {QUIET_CHECKS} times",
        after - before
    );
    after
}

// ---------------------------------------------------------------------------------------------
// 1. An answer about another id.

/// P100 answers the details of `ex-asked` with a COMPLETED about `ex-other`, an id the desk
/// also watches. Neither row moves (the answer is about another id than the one asked, so it
/// counts for nobody), the asked row keeps being polled, and once P100 answers honestly the
/// row goes final once and quiet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_about_another_id_is_applied_to_neither_and_the_row_stays_polled() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    let (asked_id, other) = ("ex-asked", "ex-other");
    p100.exchange_details(asked_id, Answer::exchange(other, "COMPLETED"));
    p100.exchange_details(other, Answer::exchange(other, "QUEUED"));
    let lines: Vec<Entry> = accepted_exchange("asked", asked_id)
        .into_iter()
        .chain(accepted_exchange("other", other))
        .collect();
    let mut desk = resume(&p100, &path, &lines, 2).await;

    desk.wait_for("the foreign answer flagged", |p| {
        row(p, "asked")
            .check_failed
            .as_ref()
            .is_some_and(|stale| stale.reason.contains("another id"))
    })
    .await;
    asked_more(&p100, &exchange_path(asked_id), 5).await;
    let probe = desk.probe();
    let (asked_row, other_row) = (row(&probe, "asked"), row(&probe, "other"));
    assert!(
        matches!(asked_row.phase, Phase::Pending { .. }),
        "the asked row moved on a foreign answer: {:?}",
        asked_row.phase
    );
    assert_eq!(
        other_row.phase,
        Phase::Pending {
            status: "QUEUED".into()
        },
        "the answer was applied to the row it names"
    );
    assert!(finals(&path).is_empty(), "{:?}", finals(&path));

    // The honest answer counts, once, and the row goes quiet.
    p100.exchange_details(asked_id, Answer::exchange(asked_id, "COMPLETED"));
    desk.wait_for("the asked row completed", |p| {
        row(p, "asked").phase == Phase::Completed
    })
    .await;
    let quiet = stays_quiet(&p100, &exchange_path(asked_id), &exchange_path(other)).await;
    let app = desk.quit().await;
    assert_eq!(finals(&path), vec![("asked".into(), "COMPLETED".into())]);
    assert_eq!(app.watched(), vec![WatchTarget::Exchange(other.into())]);
    eprintln!("foreign answer: {asked_id} asked {quiet} times in all");
}

// ---------------------------------------------------------------------------------------------
// 2. Final, then not final.

/// P100 says COMPLETED, then changes its mind (PROCESSING). The row stays final, the journal
/// has one final line, and the row is not asked about again while a pending row is checked
/// [`QUIET_CHECKS`] more times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_final_answer_taken_back_stays_final_once_and_is_not_polled_again() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    let flip = "6c1f2a90-0000-4000-8000-00000000f11b";
    let steady = "6c1f2a90-0000-4000-8000-0000005ea0d7";
    p100.exchange_details(flip, Answer::exchange(flip, "PROCESSING"));
    p100.exchange_details(steady, Answer::exchange(steady, "PROCESSING"));
    let lines: Vec<Entry> = accepted_exchange("flip", flip)
        .into_iter()
        .chain(accepted_exchange("steady", steady))
        .collect();
    let mut desk = resume(&p100, &path, &lines, 2).await;
    desk.wait_for("the flipper processing", |p| {
        row(p, "flip").phase.label() == "PROCESSING"
    })
    .await;

    p100.exchange_details(flip, Answer::exchange(flip, "COMPLETED"));
    desk.wait_for("the flipper completed", |p| {
        row(p, "flip").phase == Phase::Completed
    })
    .await;
    // The lie: it was not final after all.
    p100.exchange_details(flip, Answer::exchange(flip, "PROCESSING"));
    let quiet = stays_quiet(&p100, &exchange_path(flip), &exchange_path(steady)).await;
    let probe = desk.probe();
    assert_eq!(row(&probe, "flip").phase, Phase::Completed);
    assert_eq!(row(&probe, "steady").phase.label(), "PROCESSING");
    let app = desk.quit().await;
    assert_eq!(finals(&path), vec![("flip".into(), "COMPLETED".into())]);
    assert_eq!(app.watched(), vec![WatchTarget::Exchange(steady.into())]);
    eprintln!("final then not: the flipper asked {quiet} times in all");
}

// ---------------------------------------------------------------------------------------------
// 3. One remote id, two intents.

/// Two intents of the journal were both accepted as `ex-shared`, and two more (an exchange and
/// an order) as `x-both`; P100 answers COMPLETED for each. Nothing is applied to any of them
/// (it is not known which attempt P100 means), every row is flagged, and both ids (both kinds
/// of `x-both`) keep being polled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_two_intents_hold_is_applied_to_neither_and_stays_polled() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    let (shared, both) = ("ex-shared", "x-both");
    p100.exchange_details(shared, Answer::exchange(shared, "COMPLETED"));
    p100.exchange_details(both, Answer::exchange(both, "COMPLETED"));
    p100.order_details(both, Answer::order(both, "COMPLETED"));
    let lines: Vec<Entry> = [
        accepted_exchange("first", shared),
        accepted_exchange("second", shared),
        accepted_exchange("both-x", both),
        accepted_order("both-o", both),
    ]
    .concat();
    let mut desk = resume(&p100, &path, &lines, 4).await;
    // The pane has room for two of the four rows: those on screen are flagged.
    desk.wait_for("the rows on screen flagged", |p| {
        p.screen.matches("id held by another attempt").count() >= 2
    })
    .await;
    for path in [exchange_path(shared), exchange_path(both), order_path(both)] {
        asked_more(&p100, &path, 5).await;
    }
    let probe = desk.probe();
    for key in ["first", "second", "both-x", "both-o"] {
        let row = row(&probe, key);
        assert!(
            matches!(row.phase, Phase::Pending { .. }),
            "{key} moved on an answer about a shared id: {:?}",
            row.phase
        );
    }
    let app = desk.quit().await;
    for row in &app.live.rows {
        assert!(app.shares_remote_id(row), "{} not flagged", row.key);
    }
    assert!(finals(&path).is_empty(), "{:?}", finals(&path));
    assert_eq!(
        app.watched(),
        vec![
            WatchTarget::Exchange(shared.into()),
            WatchTarget::Exchange(both.into()),
            WatchTarget::Order(both.into()),
        ]
    );
}

/// One intent holding `ex-twice` is final in the journal (so not resumed into Live), the other
/// is still in flight. P100 answers FAILED for the id: the open row is not failed on it (the
/// answer may be about the other attempt), no final line is added, and the id keeps being
/// polled for the row in flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_id_stays_polled_while_one_holder_is_in_flight() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    let twice = "ex-twice";
    p100.exchange_details(twice, Answer::exchange(twice, "FAILED"));
    let mut lines = accepted_exchange("done", twice);
    lines.push(entry(
        "done",
        Event::Final {
            status: "COMPLETED".into(),
            reason: None,
        },
    ));
    lines.extend(accepted_exchange("open", twice));
    let mut desk = resume(&p100, &path, &lines, 1).await;
    asked_more(&p100, &exchange_path(twice), 8).await;
    let probe = desk
        .wait_for("the open row flagged", |p| {
            p.screen.contains("id held by another attempt")
        })
        .await;
    assert!(
        matches!(row(&probe, "open").phase, Phase::Pending { .. }),
        "the open row moved on an answer about a shared id: {:?}",
        row(&probe, "open").phase
    );
    let app = desk.quit().await;
    assert_eq!(
        finals(&path),
        vec![("done".into(), "COMPLETED".into())],
        "only the final line written up front"
    );
    assert_eq!(app.watched(), vec![WatchTarget::Exchange(twice.into())]);
}

// ---------------------------------------------------------------------------------------------
// 4. 404 for ever next to a final.

/// P100 answers 404 for ever for one row and COMPLETED for another: the completed row is
/// journaled once and goes quiet, the unknown one is shown as not known to P100 (after 200 ms
/// here) and keeps being polled, still pending: a 404 is no final.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_for_ever_stays_polled_and_the_completed_row_goes_quiet() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    let ghost = "0f0f0f0f-0000-4000-8000-00000000d404";
    let done = "0f0f0f0f-0000-4000-8000-00000000d0e5";
    p100.exchange_details(done, Answer::exchange(done, "COMPLETED"));
    let lines: Vec<Entry> = accepted_exchange("ghost", ghost)
        .into_iter()
        .chain(accepted_exchange("done", done))
        .collect();
    let setup: AppSetup = Box::new(|app| {
        app.records.not_known_after = Duration::from_millis(200);
    });
    let mut desk = resume_with(&p100, &path, &lines, 2, Some(setup)).await;
    desk.wait_for("the completed row final", |p| {
        row(p, "done").phase == Phase::Completed
    })
    .await;
    let quiet = stays_quiet(&p100, &exchange_path(done), &exchange_path(ghost)).await;
    let probe = desk
        .wait_for("the 404 shown", |p| {
            p.screen.contains("P100 does not know this id")
        })
        .await;
    let ghost_row = row(&probe, "ghost");
    assert!(
        matches!(ghost_row.phase, Phase::Pending { .. }),
        "{:?}",
        ghost_row.phase
    );
    assert!(
        ghost_row.check_failed.is_some(),
        "a 404 is shown as a failing check"
    );
    let app = desk.quit().await;
    assert_eq!(finals(&path), vec![("done".into(), "COMPLETED".into())]);
    assert_eq!(app.watched(), vec![WatchTarget::Exchange(ghost.into())]);
    eprintln!("404 next to a final: the completed row asked {quiet} times in all");
}

// ---------------------------------------------------------------------------------------------
// 5. An order that expired.

/// P100 says an order EXPIRED: it is final (EXPIRED, journaled once) and not asked about again
/// while another order, waiting for payment, keeps being polled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_order_is_final_once_and_not_polled_again() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    let (expired, waiting) = ("ord-expired", "ord-waiting");
    p100.order_details(expired, Answer::order(expired, "WAITING_FOR_PAYMENT"));
    p100.order_details(waiting, Answer::order(waiting, "WAITING_FOR_PAYMENT"));
    let lines: Vec<Entry> = accepted_order("expired", expired)
        .into_iter()
        .chain(accepted_order("waiting", waiting))
        .collect();
    let mut desk = resume(&p100, &path, &lines, 2).await;
    asked_more(&p100, &order_path(expired), 1).await;
    p100.order_details(expired, Answer::order(expired, "EXPIRED"));
    desk.wait_for("the order expired", |p| {
        row(p, "expired").phase == Phase::Expired
    })
    .await;
    let quiet = stays_quiet(&p100, &order_path(expired), &order_path(waiting)).await;
    assert_eq!(
        row(&desk.probe(), "waiting").phase.label(),
        "WAITING_FOR_PAYMENT"
    );
    let app = desk.quit().await;
    assert_eq!(finals(&path), vec![("expired".into(), "EXPIRED".into())]);
    assert_eq!(app.watched(), vec![WatchTarget::Order(waiting.into())]);
    eprintln!("expired order: asked {quiet} times in all");
}
