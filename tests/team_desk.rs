//! The desk on a team relay, through the real desk loop (TestBackend, scripted keys) against a
//! real PostgreSQL, the relay and the sandbox over loopback: push, team rows, approvals.
//!
//! Needs P100_TEST_DATABASE_URL (see README "Team"); without it outside CI each test says why
//! and returns, in CI it fails.

#[path = "support/harness.rs"]
mod harness;
mod relay_support;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use harness::{Desk, DeskConfig, Probe};
use p100_desk::relay::{RelayHandle, Role};
use relay_support::{Team, four_eyes_above, test_settings};
use tokio::sync::watch;

/// A desk whose profile says its server is a relay, speaking to `base_url` as `token`.
fn relay_desk(base_url: &str, token: &str, dir: &Path, name: &str) -> Desk {
    let client = harness::client_for(base_url, token);
    let mut config = DeskConfig::new(&dir.join(format!("{name}.jsonl")));
    name.clone_into(&mut config.session.profile);
    config.setup = Some(Box::new(|app| app.team.relay = true));
    Desk::start(client, config)
}

fn row_with_id<'a>(probe: &'a Probe, id: &str) -> Option<&'a p100_desk::app::live::LiveRow> {
    probe
        .live
        .iter()
        .find(|row| row.remote_id.as_deref() == Some(id))
}

/// Alice's and Bob's desks on `team`'s relay with `role`, once each shows `push: live`.
async fn alice_and_bob(team: &Team, role: Role, dir: &Path) -> (Desk, Desk) {
    let alice_token = team.operator("alice", role).await;
    let bob_token = team.operator("bob", role).await;
    let mut alice = relay_desk(team.relay.base_url(), &alice_token, dir, "alice");
    let mut bob = relay_desk(team.relay.base_url(), &bob_token, dir, "bob");
    for desk in [&mut alice, &mut bob] {
        desk.wait_for("push: live", |p| p.screen.contains("push: live"))
            .await;
    }
    (alice, bob)
}

/// The id of the desk's own row once the relay accepted it (it may be final already).
async fn own_pending_id(desk: &mut Desk) -> String {
    let probe = desk
        .wait_for("own row accepted with an id", |p| {
            p.live
                .iter()
                .any(|row| !row.key.starts_with("team") && row.remote_id.is_some())
        })
        .await;
    probe
        .live
        .iter()
        .find(|row| !row.key.starts_with("team") && row.remote_id.is_some())
        .and_then(|row| row.remote_id.clone())
        .expect("an id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_desks_on_one_relay_see_each_others_pending_rows_within_two_seconds() {
    let Some(team) = Team::start(test_settings()).await else {
        return;
    };
    let sandbox = &team.sandbox;
    // The queue holds still, so both trades stay pending while the desks look.
    sandbox.pause_processing(true);
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut alice, mut bob) = alice_and_bob(&team, Role::Trader, dir.path()).await;

    alice.lock_exchange("eth", "0.01").await;
    alice.key('y');
    let alice_id = own_pending_id(&mut alice).await;
    let seen_from = Instant::now();
    let at_bob = bob
        .wait_for("alice's row at bob's desk", |p| {
            row_with_id(p, &alice_id).is_some() && p.screen.contains("by alice")
        })
        .await;
    assert!(
        seen_from.elapsed() < Duration::from_secs(2),
        "bob saw alice's row after {:?}",
        seen_from.elapsed()
    );
    // Held in the queue: pending at bob's desk too.
    assert!(
        row_with_id(&at_bob, &alice_id).is_some_and(|row| !row.phase.is_final()),
        "{:?}",
        row_with_id(&at_bob, &alice_id)
    );

    bob.lock_exchange("eth", "0.02").await;
    bob.key('y');
    let bob_id = own_pending_id(&mut bob).await;
    let seen_from = Instant::now();
    let at_alice = alice
        .wait_for("bob's row at alice's desk", |p| {
            row_with_id(p, &bob_id).is_some() && p.screen.contains("by bob")
        })
        .await;
    assert!(seen_from.elapsed() < Duration::from_secs(2));
    // Each desk marks its own row as its own, once (never also as a team copy).
    assert!(at_alice.screen.contains("by you (this desk)"));
    assert_eq!(
        at_alice
            .live
            .iter()
            .filter(|row| row.remote_id.as_deref() == Some(alice_id.as_str()))
            .count(),
        1
    );

    // The queue moves: both desks see both rows final, pushed by the relay's poller.
    sandbox.pause_processing(false);
    for desk in [&mut alice, &mut bob] {
        desk.wait_for("both rows COMPLETED", |p| {
            [&alice_id, &bob_id]
                .iter()
                .all(|id| row_with_id(p, id).is_some_and(|row| row.phase.label() == "COMPLETED"))
        })
        .await;
    }
    assert_eq!(sandbox.executions().exchanges, 2);
    alice.quit().await;
    bob.quit().await;
    // Another desk's trade is not written into this desk's journal.
    let journal = std::fs::read_to_string(dir.path().join("alice.jsonl")).expect("journal");
    assert!(!journal.contains(&bob_id), "{journal}");
    assert!(journal.contains(&alice_id));
    team.shutdown().await;
}

/// A loopback front for the relay that can cut its event stream (open streams end, new ones
/// get 503) while every other request passes through.
struct StreamCutter {
    upstream: String,
    http: reqwest::Client,
    cut: watch::Sender<bool>,
}

async fn pass(
    State(front): State<Arc<StreamCutter>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = format!(
        "{}{}",
        front.upstream,
        uri.path_and_query().map_or("/", |path| path.as_str())
    );
    let is_events = uri.path() == "/relay/v1/events";
    if is_events && *front.cut.borrow() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let mut request = front.http.request(method, &target).body(body.to_vec());
    for name in ["x-api-key", "idempotency-key", "content-type", "accept"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value.clone());
        }
    }
    let Ok(answer) = request.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = answer.status();
    let content_type = answer.headers().get("content-type").cloned();
    let body = if is_events {
        let cut = front.cut.subscribe();
        Body::from_stream(futures::stream::unfold(
            (answer, cut),
            |(mut answer, mut cut)| async move {
                let chunk = tokio::select! {
                    chunk = answer.chunk() => chunk.ok().flatten(),
                    _ = cut.wait_for(|cut| *cut) => None,
                };
                chunk.map(|chunk| (Ok::<_, std::io::Error>(chunk), (answer, cut)))
            },
        ))
    } else {
        Body::from(answer.bytes().await.unwrap_or_default())
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response.headers_mut().insert("content-type", content_type);
    }
    response
}

async fn start_cutter(relay: &RelayHandle) -> (String, Arc<StreamCutter>) {
    let front = Arc::new(StreamCutter {
        upstream: relay.base_url().to_owned(),
        http: reqwest::Client::new(),
        cut: watch::channel(false).0,
    });
    let app = axum::Router::new()
        .fallback(pass)
        .with_state(Arc::clone(&front));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}"), front)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_stream_shows_push_down_and_rows_still_reach_final_by_polling() {
    let Some(team) = Team::start(test_settings()).await else {
        return;
    };
    let token = team.operator("alice", Role::Trader).await;
    let (front_url, front) = start_cutter(&team.relay).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut desk = relay_desk(&front_url, &token, dir.path(), "alice");
    desk.wait_for("push: live", |p| p.screen.contains("push: live"))
        .await;

    front.cut.send_replace(true);
    desk.wait_for("push: down, polling", |p| {
        p.screen.contains("push: down, polling")
    })
    .await;

    // With no events coming, the row still reaches its final status: the desk polls.
    desk.lock_exchange("eth", "0.01").await;
    desk.key('y');
    let done = desk
        .wait_for("COMPLETED by polling", |p| {
            p.live
                .first()
                .is_some_and(|row| row.phase.label() == "COMPLETED")
        })
        .await;
    assert!(done.screen.contains("push: down, polling"));
    assert_eq!(team.sandbox.executions().exchanges, 1);

    // The stream comes back by itself (reconnect with backoff).
    front.cut.send_replace(false);
    desk.wait_for("push: live again", |p| p.screen.contains("push: live"))
        .await;
    desk.quit().await;
    team.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_approves_through_the_approvals_view_and_the_post_then_goes_once() {
    let Some(team) = Team::start(four_eyes_above(100)).await else {
        return;
    };
    let sandbox = &team.sandbox;
    // Alice may approve too, but never her own proposal.
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut alice, mut bob) = alice_and_bob(&team, Role::Approver, dir.path()).await;

    // Above the limit: refused by the relay, told plainly, nothing reaches P100.
    alice.lock_exchange("eth", "1").await;
    alice.key('y');
    let refused = alice
        .wait_for("approval required", |p| {
            p.ticket
                .as_deref()
                .is_some_and(|t| t.starts_with("rejected:") && t.contains("proposal"))
        })
        .await;
    let told = refused.ticket.clone().unwrap_or_default();
    assert!(told.contains("Another approver must approve it"), "{told}");
    assert!(told.contains("approvers: bob"), "{told}");
    assert_eq!(sandbox.executions().exchanges, 0);
    alice.press(crossterm::event::KeyCode::Esc);
    alice.press(crossterm::event::KeyCode::Esc);

    // Alice's own proposal: the approve key is not offered, and the view says why.
    alice.key('A');
    let own = alice
        .wait_for("alice's approvals view", |p| {
            p.screen.contains("#1") && p.screen.contains("is your own")
        })
        .await;
    assert!(own.screen.contains("alice (you)"), "{}", own.screen);
    assert!(!own.screen.contains("review to approve"), "{}", own.screen);
    alice.key('a');
    alice
        .wait_for("why not", |p| {
            p.notice
                .as_deref()
                .is_some_and(|n| n.contains("Cannot approve") && n.contains("your own"))
        })
        .await;
    alice.press(crossterm::event::KeyCode::Esc);

    // Bob reviews and approves with the distinct key, after the terms were shown.
    bob.key('A');
    bob.wait_for("bob's approvals view", |p| {
        p.screen.contains("#1") && p.screen.contains("alice") && p.screen.contains("a review")
    })
    .await;
    bob.key('a');
    let review = bob
        .wait_for("the review counts", |p| {
            p.screen.contains("Approve proposal #1 by alice?")
                && p.screen.contains("Press A to approve.")
        })
        .await;
    assert!(review.screen.contains("1 ETH→EUR"), "{}", review.screen);
    bob.key('A');
    bob.wait_for("approved", |p| {
        p.notice
            .as_deref()
            .is_some_and(|n| n.starts_with("Approved proposal #1"))
    })
    .await;
    assert_eq!(sandbox.executions().exchanges, 0, "approving sends nothing");

    // Alice locks and confirms the same terms again: sent once.
    alice.press(crossterm::event::KeyCode::Esc);
    alice.lock_exchange("eth", "1").await;
    alice.key('y');
    let id = own_pending_id(&mut alice).await;
    assert!(!id.is_empty());
    relay_support::eventually(Duration::from_secs(10), "one upstream POST", || async {
        sandbox.executions().exchanges == 1
    })
    .await;
    alice
        .wait_for("COMPLETED", |p| {
            row_with_id(p, &id).is_some_and(|row| row.phase.label() == "COMPLETED")
        })
        .await;
    assert_eq!(sandbox.executions().exchanges, 1);
    alice.quit().await;
    bob.quit().await;
    // Bob's desk journaled the approval before and after sending it.
    let journal = std::fs::read_to_string(dir.path().join("bob.jsonl")).expect("bob's journal");
    let steps: Vec<&str> = journal
        .lines()
        .filter(|line| line.contains("\"event\":\"approval\""))
        .collect();
    assert_eq!(steps.len(), 2, "{journal}");
    assert!(steps[0].contains("\"step\":\"sending\""), "{journal}");
    assert!(steps[1].contains("\"step\":\"approved\""), "{journal}");
    team.shutdown().await;
}
