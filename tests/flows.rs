//! Flows: the real event loop with scripted keys against the sandbox over loopback.

#[path = "support/harness.rs"]
mod harness;

use std::str::FromStr;
use std::time::Duration;

use crossterm::event::KeyCode;
use harness::{Desk, DeskConfig, Probe};
use p100_desk::app::live::{LiveKind, Phase};
use p100_desk::journal;
use p100_desk::sandbox::{Endpoint, Fault, FaultRule, PayerScript, SandboxOptions};
use rust_decimal::Decimal;

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("decimal")
}

fn first_live(probe: &Probe) -> Option<&p100_desk::app::live::LiveRow> {
    probe.live.first()
}

fn phase_is(probe: &Probe, label: &str) -> bool {
    first_live(probe).is_some_and(|row| row.phase.label() == label)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_shows_balances_and_history_from_the_sandbox() {
    let sandbox = harness::start_sandbox(harness::fast_sandbox_options()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let mut desk = Desk::start(client, DeskConfig::new(&dir.path().join("journal.jsonl")));
    let probe = desk
        .wait_for("balances and history", |p| {
            p.balances_loaded && p.history_len > 0
        })
        .await;
    assert!(probe.balance("eur").is_some(), "{:?}", probe.balances);
    assert!(probe.screen.contains("EUR"), "{}", probe.screen);
    assert!(probe.screen.contains("History"), "{}", probe.screen);
    // `G` goes to the end of the history: the sandbox tells its total, so the last page
    // comes directly.
    desk.key('2');
    desk.key('G');
    desk.wait_for("the end of the history", |p| {
        p.screen.contains("end of history") && p.screen.contains("251–300 of 300")
    })
    .await;
    desk.quit().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_runs_to_completed_and_balances_move() {
    let sandbox = harness::start_sandbox(harness::fast_sandbox_options()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let journal_path = dir.path().join("journal.jsonl");
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let mut desk = Desk::start(client, DeskConfig::new(&journal_path));
    let before = desk.wait_for("balances", |p| p.balances_loaded).await;
    let usdc_before = before.balance("usdc").expect("usdc");
    desk.lock_exchange("usdc", "100").await;
    desk.key('y');
    let done = desk
        .wait_for("COMPLETED and balances refreshed", |p| {
            phase_is(p, "COMPLETED") && p.balance("usdc") == Some(usdc_before - dec("100"))
        })
        .await;
    assert!(
        first_live(&done)
            .and_then(|r| r.remote_id.clone())
            .is_some()
    );
    assert_eq!(sandbox.executions().exchanges, 1);
    desk.quit().await;
    // The journal holds the intent, the acceptance and the final status, in that order.
    let replay = journal::replay_file(&journal_path).expect("journal");
    assert_eq!(replay.records.len(), 1);
    assert_eq!(replay.records[0].standing, journal::Standing::Finished);
    let lines = std::fs::read_to_string(&journal_path).expect("journal text");
    let events: Vec<&str> = ["exchange_intent", "accepted", "final"]
        .into_iter()
        .filter(|event| lines.contains(&format!("\"event\":\"{event}\"")))
        .collect();
    assert_eq!(events.len(), 3, "{lines}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_lock_blocks_confirm_and_relock_works() {
    let sandbox = harness::start_sandbox(SandboxOptions {
        // Confirmable for about 2 s (the desk keeps a 2 s safety margin), then expired.
        lock_ttl: Some(Duration::from_secs(4)),
        ..harness::fast_sandbox_options()
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let mut desk = Desk::start(client, DeskConfig::new(&dir.path().join("journal.jsonl")));
    desk.lock_exchange("usdc", "10").await;
    // The countdown reaches the safety margin: confirm is refused and says why.
    desk.wait_for("expired lock shown", |p| p.screen.contains("Lock expired"))
        .await;
    desk.key('y');
    desk.wait_for("refusal", |p| {
        p.notice.as_deref().is_some_and(|n| n.contains("expired"))
    })
    .await;
    assert_eq!(sandbox.executions().exchanges, 0);
    desk.key('l');
    desk.wait_for("a fresh lock", |p| {
        p.ticket.as_deref() == Some("locked") && p.screen.contains("CONFIRM")
    })
    .await;
    desk.key('y');
    desk.wait_for("COMPLETED", |p| phase_is(p, "COMPLETED"))
        .await;
    assert_eq!(sandbox.executions().exchanges, 1);
    desk.quit().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_insufficient_funds_fails_after_the_2xx() {
    let sandbox = harness::start_sandbox(harness::fast_sandbox_options()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let mut desk = Desk::start(client, DeskConfig::new(&dir.path().join("journal.jsonl")));
    desk.lock_exchange("usdc", "100").await;
    // Funds leave the account between the lock and the processing: P100 accepts the POST and
    // fails it later.
    sandbox.pause_processing(true);
    desk.key('y');
    desk.wait_for("queued", |p| {
        first_live(p).is_some_and(|r| r.remote_id.is_some())
    })
    .await;
    sandbox.set_balance("usdc", dec("1")).expect("usdc exists");
    sandbox.pause_processing(false);
    let failed = desk.wait_for("FAILED", |p| phase_is(p, "FAILED")).await;
    let Some(Phase::Failed { reason }) = first_live(&failed).map(|r| r.phase.clone()) else {
        panic!("failed row");
    };
    assert!(reason.contains("P433"), "{reason}");
    assert_eq!(sandbox.executions().exchanges, 1);
    desk.quit().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connection_after_apply_is_unknown_then_reconciled_never_resent() {
    let sandbox = harness::start_sandbox(harness::fast_sandbox_options()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let mut desk = Desk::start(client, DeskConfig::new(&dir.path().join("journal.jsonl")));
    desk.lock_exchange("usdc", "100").await;
    sandbox.faults().push(FaultRule {
        endpoint: Some(Endpoint::Exchange),
        fault: Fault::ApplyThenDrop,
        remaining: Some(1),
    });
    desk.key('y');
    desk.wait_for("UNKNOWN", |p| phase_is(p, "UNKNOWN")).await;
    let done = desk
        .wait_for("reconciled to COMPLETED", |p| phase_is(p, "COMPLETED"))
        .await;
    assert!(
        first_live(&done)
            .and_then(|r| r.remote_id.clone())
            .is_some()
    );
    assert_eq!(sandbox.executions().exchanges, 1, "never re-sent");
    desk.quit().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_goes_through_every_status_to_completed() {
    let sandbox = harness::start_sandbox(SandboxOptions {
        rate_limit: None,
        ..harness::fast_sandbox_options()
    })
    .await;
    sandbox.set_next_order_payer(PayerScript::PayInFull);
    let dir = tempfile::tempdir().expect("tempdir");
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    // Poll faster than the fast sandbox moves, so the desk shows every status on the way.
    let mut config = DeskConfig::new(&dir.path().join("journal.jsonl"));
    config.poll = p100_desk::poller::PollSettings {
        first_check: Duration::from_millis(5),
        max_interval: Duration::from_millis(10),
        max_requests_per_second: 400,
        max_concurrent: 4,
    };
    let mut desk = Desk::start(client, config);
    desk.lock_order("usdc", "346.59").await;
    desk.key('y');
    // Every status the desk showed, in order (the loop redraws on each change).
    let seen = std::sync::Mutex::new(Vec::<String>::new());
    let done = desk
        .wait_for("order COMPLETED", |p| {
            if let (Some(row), Ok(mut seen)) = (first_live(p), seen.lock()) {
                let label = row.phase.label();
                if seen.last() != Some(&label) {
                    seen.push(label);
                }
            }
            phase_is(p, "COMPLETED")
        })
        .await;
    let seen = seen.into_inner().unwrap_or_default();
    let expected = [
        "WAITING_FOR_WALLET_ADDRESS",
        "WAITING_FOR_PAYMENT",
        "WAITING_FOR_CONFIRMATION",
        "COMPLETED",
    ];
    let positions: Vec<Option<usize>> = expected
        .iter()
        .map(|status| seen.iter().position(|s| s == status))
        .collect();
    assert!(
        positions.iter().all(Option::is_some) && positions.windows(2).all(|w| w[0] < w[1]),
        "statuses seen: {seen:?}"
    );
    let Some(LiveKind::Order(order)) = first_live(&done).map(|r| r.kind.clone()) else {
        panic!("order row");
    };
    assert!(order.wallet_address.is_some());
    assert_eq!(order.confirmations.map(|(x, y)| x >= y), Some(true));
    assert_eq!(sandbox.executions().orders, 1);
    desk.quit().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_resumes_a_pending_exchange_from_the_journal() {
    let sandbox = harness::start_sandbox(harness::fast_sandbox_options()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let journal_path = dir.path().join("journal.jsonl");
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let mut desk = Desk::start(client.clone(), DeskConfig::new(&journal_path));
    sandbox.pause_processing(true);
    desk.lock_exchange("usdc", "25").await;
    desk.key('y');
    desk.wait_for("pending", |p| {
        first_live(p).is_some_and(|r| r.remote_id.is_some())
    })
    .await;
    desk.quit().await;
    // A new desk on the same journal watches the exchange again, before any ticket.
    let mut desk = Desk::start(client, DeskConfig::new(&journal_path));
    desk.wait_for("resumed row", |p| {
        first_live(p).is_some_and(|r| r.phase.label() == "RESUMED" || r.phase.label() == "PENDING")
    })
    .await;
    sandbox.pause_processing(false);
    desk.wait_for("COMPLETED after restart", |p| phase_is(p, "COMPLETED"))
        .await;
    assert_eq!(sandbox.executions().exchanges, 1);
    desk.quit().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p462_on_order_create_is_explained_and_relock_recovers() {
    let sandbox = harness::start_sandbox(harness::fast_sandbox_options()).await;
    sandbox.set_next_order_payer(PayerScript::PayInFull);
    let dir = tempfile::tempdir().expect("tempdir");
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let mut desk = Desk::start(client, DeskConfig::new(&dir.path().join("journal.jsonl")));
    desk.select_balance("usdc").await;
    desk.key('o');
    desk.wait_for("order ticket", |p| p.ticket.as_deref() == Some("editing"))
        .await;
    desk.type_text("120");
    desk.press(KeyCode::Enter);
    desk.wait_for("locked order rate", |p| {
        p.ticket.as_deref() == Some("locked")
    })
    .await;
    // P100 drops the lock on its side (the desk's countdown still runs).
    sandbox.expire_locks();
    desk.key('y');
    let refused = desk
        .wait_for("P462 explained", |p| {
            p.ticket
                .as_deref()
                .is_some_and(|t| t.starts_with("rejected"))
        })
        .await;
    let message = refused.ticket.unwrap_or_default();
    assert!(message.contains("P462"), "{message}");
    assert!(message.contains("l to lock"), "{message}");
    assert_eq!(sandbox.executions().orders, 0);
    desk.key('l');
    desk.wait_for("a fresh order lock", |p| {
        p.ticket.as_deref() == Some("locked") && p.screen.contains("CONFIRM")
    })
    .await;
    desk.key('y');
    desk.wait_for("order created", |p| {
        p.live.iter().any(|row| row.remote_id.is_some())
    })
    .await;
    assert_eq!(sandbox.executions().orders, 1);
    desk.quit().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirm_typed_ahead_of_the_lock_is_dropped_and_the_terms_show_first() {
    let sandbox = harness::start_sandbox(harness::fast_sandbox_options()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let mut config = DeskConfig::new(&dir.path().join("journal.jsonl"));
    config.record_frames = true;
    let mut desk = Desk::start(client, config);
    desk.select_balance("usdc").await;
    desk.key('x');
    desk.wait_for("exchange ticket", |p| {
        p.ticket.as_deref() == Some("editing")
    })
    .await;
    // `y` right behind Enter: it reaches the desk before the lock's terms could be read.
    desk.type_text("10");
    desk.press(KeyCode::Enter);
    desk.key('y');
    let locked = desk
        .wait_for("confirmable lock", |p| {
            p.ticket.as_deref() == Some("locked")
        })
        .await;
    assert!(locked.live.is_empty(), "nothing sent: {:?}", locked.live);
    assert!(
        desk.frames()
            .iter()
            .any(|frame| frame.contains("confirm in 0.")),
        "the locked view said when a confirm would count"
    );
    desk.key('y');
    desk.wait_for("queued", |p| {
        p.live.first().is_some_and(|row| row.remote_id.is_some())
    })
    .await;
    assert_eq!(sandbox.executions().exchanges, 1);
    desk.quit().await;
    sandbox.shutdown().await;
}

/// A tall terminal: the history pane fills itself page by page (no key pressed), and `G` goes
/// to the real end of the history (the last page, told by the total), marked as such.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tall_pane_fills_itself_and_g_reaches_the_end_of_history() {
    let sandbox = harness::start_sandbox(SandboxOptions {
        history_rows: 3_000,
        ..harness::fast_sandbox_options()
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = harness::client_for(sandbox.base_url(), sandbox.api_key());
    let mut config = DeskConfig::new(&dir.path().join("journal.jsonl"));
    // 200x60 with the panes stacked tall enough that one page of 50 does not fill history.
    config.size = (200, 160);
    let mut desk = Desk::start(client, config);
    let filled = desk
        .wait_for("the pane filled past one page", |p| p.history_len > 50)
        .await;
    assert!(
        !filled.screen.contains("end of history"),
        "{}",
        filled.screen
    );
    desk.key('2');
    desk.key('G');
    let end = desk
        .wait_for("the end of the history", |p| {
            p.screen.contains("end of history")
        })
        .await;
    assert!(
        end.history_len < 500,
        "jumped, not loaded page by page: {}",
        end.history_len
    );
    desk.quit().await;
    sandbox.shutdown().await;
}

/// "updated 10s ago" becomes "updated 20s ago" with no input and no answer: the loop's idle
/// wake-up follows the ages on screen. Paused clock: tokio jumps to each wake-up.
#[tokio::test(start_paused = true)]
async fn the_updated_age_moves_on_by_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Nothing is ever sent: both panes are "loading" already, so the loop asks for nothing.
    let client = harness::client_for("http://127.0.0.1:9", "unused-key");
    let mut config = DeskConfig::new(&dir.path().join("journal.jsonl"));
    config.tokio_clock = true;
    config.setup = Some(Box::new(|app| {
        let loaded = app.now - chrono::TimeDelta::seconds(5);
        app.balances.freshness.succeeded(loaded);
        app.balances.freshness.start();
        app.history.request_page(1);
    }));
    let mut desk = Desk::start(client, config);
    desk.wait_for("updated 10s ago", |p| p.screen.contains("updated 10s ago"))
        .await;
    desk.wait_for("updated 20s ago", |p| p.screen.contains("updated 20s ago"))
        .await;
    desk.quit().await;
}
