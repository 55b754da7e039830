//! What is recorded must be true (issue 9, items 4 to 8), against a P100 that lies, a disk
//! that fills and a second desk on the same journal, through the real event loop on loopback:
//!
//! - reconciliation never claims an id another intent of the journal holds, and says
//!   "ambiguous" (the user decides, journaled with their name) rather than guess;
//! - an answer about another id is ignored; an id held by two attempts is flagged on both and
//!   applied to neither; a final is journaled once;
//! - SUCCESSFUL is a success; an accepted POST without a usable id is reconciled, never polled;
//!   an id P100 keeps answering 404 for is shown as unknown to P100 and still watched;
//! - a failed journal write is repaired in place and turns trading off until a write succeeds;
//!   an `accepted` line resumes its attempt when the intent line is damaged;
//! - one desk per journal: the second one is read-only and says which process holds it.

#[path = "support/full_disk.rs"]
mod full_disk;
#[path = "support/harness.rs"]
mod harness;
#[path = "support/lying_p100.rs"]
mod lying_p100;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::KeyCode;
use harness::{Desk, DeskConfig, Probe, eventually};
use lying_p100::{Answer, KEY, LyingP100};
use p100_desk::app::live::{LiveRow, Phase};
use p100_desk::app::reconcile::ReconcilePolicy;
use p100_desk::journal::{self, Attempt, Entry, Event, Journal};
use rust_decimal::Decimal;
use serde_json::json;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal")
}

/// A desk on the lying P100, with quick reconciliation and an operator called "alice".
fn config(journal_path: &Path) -> DeskConfig {
    let mut config = DeskConfig::new(journal_path);
    config.reconcile = ReconcilePolicy {
        first: Duration::from_millis(50),
        max: Duration::from_millis(200),
        misses: 3,
        min_span: Duration::from_millis(300),
        ..ReconcilePolicy::default()
    };
    config.setup = Some(Box::new(|app| {
        app.records.operator = "alice".into();
        app.records.not_known_after = Duration::from_millis(300);
        app.records.journal_check_every = Duration::from_millis(100);
    }));
    config
}

fn start(p100: &LyingP100, config: DeskConfig) -> Desk {
    Desk::start(harness::client_for(&p100.base_url, KEY), config)
}

/// Locks `amount` USDC -> EUR and confirms it.
async fn exchange(desk: &mut Desk, amount: &str) {
    desk.lock_exchange("usdc", amount).await;
    desk.key('y');
}

fn row_of<'a>(probe: &'a Probe, amount: &str) -> Option<&'a LiveRow> {
    probe.live.iter().find(|row| match &row.kind {
        p100_desk::app::live::LiveKind::Exchange(leg) => leg.amount == dec(amount),
        p100_desk::app::live::LiveKind::Order(_) => false,
    })
}

fn entries(path: &Path) -> Vec<Entry> {
    let (entries, damaged) = journal::read_entries(path).expect("journal readable");
    assert!(damaged.is_empty(), "damaged lines {damaged:?}");
    entries
}

fn finals(path: &Path) -> Vec<Entry> {
    entries(path)
        .into_iter()
        .filter(|e| matches!(e.event, Event::Final { .. }))
        .collect()
}

fn line(intent: &str, minutes_ago: i64, event: Event) -> Entry {
    Entry {
        at: Utc::now() - chrono::Duration::minutes(minutes_ago),
        profile: "flow".into(),
        environment: "custom".into(),
        intent: intent.into(),
        event,
    }
}

fn exchange_intent(amount: &str) -> Event {
    Event::ExchangeIntent {
        from: "usdc".into(),
        to: "eur".into(),
        amount: dec(amount),
        amount_to: dec(amount) * dec("0.9"),
        rate: dec("0.9"),
        lock_id: "lock-0".into(),
    }
}

fn write_journal(path: &Path, lines: &[Entry]) {
    let mut journal = Journal::open(path).expect("journal");
    for entry in lines {
        journal.append(entry).expect("append");
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Reconciliation never claims what another intent owns.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_never_claims_an_id_a_finished_intent_holds() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    // An earlier 10 USDC exchange, accepted as ex-A, completed and dismissed.
    write_journal(
        &path,
        &[
            line("ex-earlier", 1, exchange_intent("10")),
            line(
                "ex-earlier",
                1,
                Event::Accepted {
                    remote_id: "ex-A".into(),
                    attempt: None,
                },
            ),
            line(
                "ex-earlier",
                1,
                Event::Final {
                    status: "COMPLETED".into(),
                    reason: None,
                },
            ),
        ],
    );
    p100.history_exchange(
        "ex-A",
        "usdc",
        "10",
        Utc::now() - chrono::Duration::minutes(1),
    );
    // The new 10 USDC exchange is never applied, and its answer is lost.
    p100.answer_exchange_post(Answer::bad_gateway());
    let mut desk = start(&p100, config(&path));
    exchange(&mut desk, "10").await;
    let done = desk
        .wait_for("declared not applied", |p| {
            row_of(p, "10").is_some_and(|row| {
                matches!(&row.phase, Phase::Failed { reason } if reason.starts_with("Not applied"))
            })
        })
        .await;
    assert_eq!(row_of(&done, "10").and_then(|r| r.remote_id.clone()), None);
    desk.quit().await;
    let claims: Vec<(String, Option<String>)> = entries(&path)
        .into_iter()
        .filter_map(|e| match e.event {
            Event::Reconciled { remote_id, .. } => Some((e.intent, remote_id)),
            _ => None,
        })
        .collect();
    assert_eq!(claims.len(), 1, "{claims:?}");
    assert_eq!(claims[0].1, None, "ex-A belongs to ex-earlier: {claims:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_lookalikes_are_ambiguous_and_the_user_decides_with_a_key() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    let now = Utc::now();
    p100.history_exchange("ex-X", "usdc", "10", now - chrono::Duration::seconds(20));
    p100.history_exchange("ex-Y", "usdc", "10", now - chrono::Duration::seconds(10));
    p100.exchange_details("ex-X", Answer::exchange("ex-X", "COMPLETED"));
    p100.answer_exchange_post(Answer::bad_gateway());
    let mut desk = start(&p100, config(&path));
    exchange(&mut desk, "10").await;
    desk.wait_for("ambiguous", |p| {
        row_of(p, "10").is_some_and(|row| matches!(row.phase, Phase::Ambiguous { .. }))
    })
    .await;
    // The detail lists both candidates; ] picks the second (ex-X), a marks it applied.
    desk.press(KeyCode::Enter);
    desk.wait_for("the candidates listed", |p| {
        p.screen.contains("ex-X") && p.screen.contains("ex-Y") && p.screen.contains("Candidates")
    })
    .await;
    desk.key(']');
    desk.key('a');
    let done = desk
        .wait_for("applied as ex-X and completed", |p| {
            row_of(p, "10").is_some_and(|row| {
                row.phase == Phase::Completed && row.remote_id.as_deref() == Some("ex-X")
            })
        })
        .await;
    assert!(done.notice.is_some());
    desk.quit().await;
    let resolved: Vec<Event> = entries(&path)
        .into_iter()
        .map(|e| e.event)
        .filter(|e| matches!(e, Event::Resolved { .. } | Event::Reconciled { .. }))
        .collect();
    assert!(
        matches!(resolved.as_slice(), [Event::Resolved { remote_id: Some(id), by, .. }]
            if id == "ex-X" && by == "alice"),
        "{resolved:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookalike_outside_the_window_is_ambiguous_and_can_be_marked_not_applied() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    // 30 minutes before the send: the same pair and amount, but not this attempt's time.
    p100.history_exchange(
        "ex-old",
        "usdc",
        "10",
        Utc::now() - chrono::Duration::minutes(30),
    );
    p100.answer_exchange_post(Answer::bad_gateway());
    let mut desk = start(&p100, config(&path));
    exchange(&mut desk, "10").await;
    desk.wait_for("ambiguous", |p| {
        row_of(p, "10").is_some_and(|row| matches!(row.phase, Phase::Ambiguous { .. }))
    })
    .await;
    desk.key('n');
    desk.wait_for("marked not applied", |p| {
        row_of(p, "10").is_some_and(
            |row| matches!(&row.phase, Phase::Failed { reason } if reason.contains("by alice")),
        )
    })
    .await;
    desk.quit().await;
    assert!(entries(&path).iter().any(|e| matches!(
        &e.event,
        Event::Resolved { remote_id: None, by, .. } if by == "alice"
    )));
    // Replayed, the attempt is finished: nothing to resume.
    let replay = journal::replay_file(&path).expect("replay");
    assert_eq!(replay.open_intents().count(), 0);
}

// ---------------------------------------------------------------------------------------------
// 5. An answer is about what was asked.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_about_another_id_are_ignored_with_a_warning() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    p100.answer_exchange_post(Answer::json(200, &json!({"exchangeId": "ex-1"})));
    p100.exchange_details("ex-1", Answer::exchange("ex-OTHER", "COMPLETED"));
    let mut desk = start(&p100, config(&path));
    exchange(&mut desk, "10").await;
    let probe = desk
        .wait_for("the foreign answer ignored", |p| {
            row_of(p, "10").is_some_and(|row| {
                row.check_failed
                    .as_ref()
                    .is_some_and(|stale| stale.reason.contains("another id"))
            })
        })
        .await;
    assert!(!row_of(&probe, "10").is_some_and(|r| r.phase.is_final()));
    assert!(finals(&path).is_empty());
    // The honest answer counts, once.
    p100.exchange_details("ex-1", Answer::exchange("ex-1", "COMPLETED"));
    desk.wait_for("completed", |p| {
        row_of(p, "10").is_some_and(|row| row.phase == Phase::Completed)
    })
    .await;
    desk.quit().await;
    assert_eq!(finals(&path).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_id_on_two_attempts_is_flagged_on_both_and_applied_to_neither() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    p100.answer_exchange_post(Answer::json(200, &json!({"exchangeId": "ex-same"})));
    p100.exchange_details("ex-same", Answer::exchange("ex-same", "COMPLETED"));
    let mut desk = start(&p100, config(&path));
    exchange(&mut desk, "10").await;
    desk.wait_for("the first completed", |p| {
        row_of(p, "10").is_some_and(|row| row.phase == Phase::Completed)
    })
    .await;
    // The second exchange is "accepted" under the very same id.
    exchange(&mut desk, "20").await;
    desk.wait_for("both rows flagged", |p| {
        row_of(p, "20").is_some_and(|row| row.remote_id.as_deref() == Some("ex-same"))
            && p.screen.matches("id held by another attempt").count() >= 2
    })
    .await;
    let asked = p100.hits("/v1/exchange/details/ex-same");
    eventually("a few more details answers", || async {
        p100.hits("/v1/exchange/details/ex-same") >= asked + 3
    })
    .await;
    let app = desk.quit().await;
    let second = app
        .live
        .rows
        .iter()
        .find(|row| matches!(&row.kind, p100_desk::app::live::LiveKind::Exchange(leg) if leg.amount == dec("20")))
        .expect("second row");
    assert!(!second.phase.is_final(), "{:?}", second.phase);
    let finals = finals(&path);
    assert_eq!(
        finals.len(),
        1,
        "one final, for the first attempt: {finals:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Statuses, unusable ids, ids P100 does not know.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn successful_is_a_final_success() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    p100.answer_exchange_post(Answer::json(200, &json!({"exchangeId": "ex-s"})));
    p100.exchange_details("ex-s", Answer::exchange("ex-s", "successful"));
    let mut desk = start(&p100, config(&path));
    exchange(&mut desk, "10").await;
    desk.wait_for("completed", |p| {
        row_of(p, "10").is_some_and(|row| row.phase == Phase::Completed)
    })
    .await;
    desk.quit().await;
    assert!(matches!(
        finals(&path).as_slice(),
        [Entry { event: Event::Final { status, .. }, .. }] if status == "COMPLETED"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_post_with_an_unusable_id_is_reconciled_never_polled() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    p100.answer_exchange_post(Answer::json(200, &json!({"exchangeId": ".."})));
    p100.history_exchange("ex-real", "usdc", "10", Utc::now());
    p100.exchange_details("ex-real", Answer::exchange("ex-real", "COMPLETED"));
    let mut desk = start(&p100, config(&path));
    exchange(&mut desk, "10").await;
    desk.wait_for("reconciled as ex-real and completed", |p| {
        row_of(p, "10").is_some_and(|row| {
            row.phase == Phase::Completed && row.remote_id.as_deref() == Some("ex-real")
        })
    })
    .await;
    desk.quit().await;
    let details: Vec<String> = p100
        .seen()
        .into_iter()
        .map(|(_, path)| path)
        .filter(|path| path.starts_with("/v1/exchange/") && path != "/v1/exchange/details/ex-real")
        .collect();
    assert!(details.is_empty(), "polled at a broken path: {details:?}");
    let outcomes: Vec<Event> = entries(&path)
        .into_iter()
        .map(|e| e.event)
        .filter(|e| matches!(e, Event::Accepted { .. } | Event::Unknown { .. }))
        .collect();
    assert!(
        matches!(outcomes.as_slice(), [Event::Unknown { .. }]),
        "{outcomes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_p100_keeps_answering_404_for_is_shown_and_still_watched() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    p100.answer_exchange_post(Answer::json(200, &json!({"exchangeId": "ex-ghost"})));
    let mut desk = start(&p100, config(&path));
    exchange(&mut desk, "10").await;
    desk.wait_for("P100 does not know this id", |p| {
        p.screen.contains("P100 does not know this id")
    })
    .await;
    let asked = p100.hits("/v1/exchange/details/ex-ghost");
    eventually("still watched", || async {
        p100.hits("/v1/exchange/details/ex-ghost") > asked
    })
    .await;
    // Once P100 knows it, the row moves on.
    p100.exchange_details("ex-ghost", Answer::exchange("ex-ghost", "COMPLETED"));
    desk.wait_for("completed", |p| {
        row_of(p, "10").is_some_and(|row| row.phase == Phase::Completed)
            && !p.screen.contains("P100 does not know this id")
    })
    .await;
    desk.quit().await;
}

// ---------------------------------------------------------------------------------------------
// 7. The journal survives a full disk.

#[test]
fn a_failed_append_is_cut_back_to_the_last_whole_line_before_anything_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    let (store, disk) = full_disk::FullDisk::open(&path);
    let mut journal = Journal::with_store(&path, Box::new(store)).expect("journal");
    journal
        .append(&line("a", 0, exchange_intent("1")))
        .expect("room");
    let whole = std::fs::read(&path).expect("read");
    // Room for half a line: the write tears, and the tear is cut off at once.
    disk.leave_room(&path, 40);
    assert!(journal.append(&line("b", 0, exchange_intent("2"))).is_err());
    assert_eq!(std::fs::read(&path).expect("read"), whole);
    disk.fill(&path);
    assert!(journal.append(&line("c", 0, exchange_intent("3"))).is_err());
    assert_eq!(std::fs::read(&path).expect("read"), whole);
    disk.free();
    journal
        .append(&line("d", 0, exchange_intent("4")))
        .expect("room again");
    let replay = journal::replay_file(&path).expect("replay");
    assert!(
        replay.damaged_lines.is_empty(),
        "{:?}",
        replay.damaged_lines
    );
    let intents: Vec<&str> = replay.records.iter().map(|r| r.intent.as_str()).collect();
    assert_eq!(intents, vec!["a", "d"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_turns_trading_off_on_screen_until_a_write_succeeds() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    p100.answer_exchange_post(Answer::json(200, &json!({"exchangeId": "ex-1"})));
    p100.exchange_details("ex-1", Answer::exchange("ex-1", "PROCESSING"));
    let (store, capacity) = full_disk::FullDisk::open(&path);
    let mut config = config(&path);
    config.journal_store = Some(Box::new(store));
    let mut desk = start(&p100, config);
    exchange(&mut desk, "10").await;
    desk.wait_for("watched", |p| {
        row_of(p, "10").is_some_and(
            |row| matches!(&row.phase, Phase::Pending { status } if status == "PROCESSING"),
        )
    })
    .await;
    // The disk fills; the final cannot be written.
    capacity.fill(&path);
    p100.exchange_details("ex-1", Answer::exchange("ex-1", "COMPLETED"));
    desk.wait_for("trading off, on screen", |p| {
        p.trading_blocked.is_some() && p.screen.contains("Trading is off")
    })
    .await;
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.ends_with('\n'), "repaired to a whole line: {text:?}");
    // `x` opens no ticket: once the help opened by the next key shows, `x` was handled.
    desk.key('x');
    desk.key('?');
    let refused = desk
        .wait_for("help open", |p| p.overlay.as_deref() == Some("Help"))
        .await;
    assert_eq!(refused.ticket, None);
    desk.press(KeyCode::Esc);
    // Room again: the next check line is written and trading comes back.
    capacity.free();
    desk.wait_for("trading back on", |p| {
        p.trading_blocked.is_none() && !p.screen.contains("Trading is off")
    })
    .await;
    desk.quit().await;
    let replay = journal::replay_file(&path).expect("replay");
    assert!(
        replay.damaged_lines.is_empty(),
        "{:?}",
        replay.damaged_lines
    );
    assert_eq!(replay.records.len(), 1);
}

#[test]
fn an_accepted_line_resumes_its_attempt_when_the_intent_line_is_damaged() {
    let accepted = line(
        "ex-b",
        1,
        Event::Accepted {
            remote_id: "ex-B".into(),
            attempt: Attempt::of_intent(&exchange_intent("25")),
        },
    );
    let mut text = String::new();
    text.push_str(&serde_json::to_string(&line("ex-a", 2, exchange_intent("10"))).expect("json"));
    text.push('\n');
    // ex-b's intent line was torn and glued to garbage.
    text.push_str(
        "{\"at\":\"2026-12-01T10:00:00Z\",\"profile\":\"flow\",\"intent\":\"ex-b\",\"ev\n",
    );
    text.push_str(&serde_json::to_string(&accepted).expect("json"));
    text.push('\n');
    let replay = journal::replay(text.as_bytes()).expect("replay");
    assert_eq!(replay.damaged_lines, vec![2]);
    let mut app = p100_desk::app::App::new(
        p100_desk::app::SessionInfo {
            environment: p100_desk::app::EnvBadge::Custom,
            profile: "flow".into(),
            read_only: false,
            bell: false,
            max_exchange_eur: None,
        },
        Utc::now(),
    );
    let cmds = app.resume(&replay.records, &replay.damaged_lines);
    let row = app
        .live
        .rows
        .iter()
        .find(|row| row.key == "ex-b")
        .expect("ex-b resumed from its accepted line");
    assert_eq!(row.remote_id.as_deref(), Some("ex-B"));
    assert!(
        matches!(&row.kind, p100_desk::app::live::LiveKind::Exchange(leg) if leg.amount == dec("25"))
    );
    assert!(
        cmds.iter().any(|cmd| matches!(cmd,
        p100_desk::app::cmd::Cmd::Watch(change)
            if change.added.contains(&p100_desk::app::live::WatchTarget::Exchange("ex-B".into()))))
    );
    // The warnings stay readable: in the row's detail and on the Live pane, not only a notice.
    assert!(!app.records.row_notes("ex-b").is_empty());
    assert!(
        app.records
            .replay_warnings
            .iter()
            .any(|w| w.contains("unreadable"))
    );
}

// ---------------------------------------------------------------------------------------------
// 8. One desk per journal.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_desk_on_the_same_journal_is_read_only_and_names_the_first() {
    let p100 = LyingP100::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("journal.jsonl");
    write_journal(
        &path,
        &[
            line("ex-open", 1, exchange_intent("10")),
            line(
                "ex-open",
                1,
                Event::Accepted {
                    remote_id: "ex-open".into(),
                    attempt: None,
                },
            ),
        ],
    );
    p100.exchange_details("ex-open", Answer::exchange("ex-open", "PROCESSING"));
    let mut first_config = config(&path);
    first_config.via_session = true;
    let mut first = start(&p100, first_config);
    first
        .wait_for("the first desk resumed", |p| {
            !p.live.is_empty() && p.balances_loaded
        })
        .await;
    let mut second_config = config(&path);
    second_config.via_session = true;
    let mut second = start(&p100, second_config);
    let pid = std::process::id();
    let probe = second
        .wait_for("the read-only banner", |p| {
            // The banner wraps in the narrow pane: look for its parts.
            p.screen.contains("in use by another")
                && p.screen.contains(&format!("(process {pid})"))
                && p.screen.contains("READ-ONLY")
        })
        .await;
    assert!(probe.live.is_empty(), "the second desk resumes nothing");
    second.key('x');
    second.key('?');
    let refused = second
        .wait_for("help open", |p| p.overlay.as_deref() == Some("Help"))
        .await;
    assert_eq!(refused.ticket, None, "tickets are refused");
    second.press(KeyCode::Esc);
    // The CLI still reads the journal while it is locked.
    assert_eq!(entries(&path).len(), 2);
    second.quit().await;
    first.quit().await;
    // Once the first desk is gone, the journal opens for writing again.
    let mut third_config = config(&path);
    third_config.via_session = true;
    let mut third = start(&p100, third_config);
    let probe = third
        .wait_for("resumed, writable", |p| !p.live.is_empty())
        .await;
    assert!(!probe.screen.contains("in use by another desk"));
    assert_eq!(probe.trading_blocked, None);
    third.quit().await;
}
