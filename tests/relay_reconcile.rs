//! Unknown outcomes at the relay, against the real PostgreSQL and the sandbox: a money POST
//! whose answer never came back is read back from P100's history (never re-sent), and a
//! repeated POST with the same Idempotency-Key then gets what the history showed: the id
//! (applied, the answer dropped), or "not applied" (failed before applying), with the team
//! journal recording the reconciliation. An id another intent holds is never claimed.

mod relay_support;

use std::time::Duration;

use p100_desk::relay::{self, RelaySettings, Role};
use p100_desk::sandbox::{Endpoint, Fault, FaultRule};
use serde_json::Value;

use relay_support::{Desk, Team, eventually};

const WAIT: Duration = Duration::from_secs(15);

fn settings() -> RelaySettings {
    RelaySettings {
        reconcile_every: Duration::from_millis(100),
        reconcile_min_span: Duration::from_millis(600),
        ..relay_support::test_settings()
    }
}

/// The team journal's rows for `key` with event `event`.
async fn journal_rows(relay: &relay::RelayHandle, key: &str, event: &str) -> Vec<Value> {
    relay::team_journal(relay.pool(), 1000)
        .await
        .expect("team journal")
        .into_iter()
        .filter(|entry| entry.event == event && entry.subject.as_deref() == Some(key))
        .map(|entry| entry.detail)
        .collect()
}

/// Repeats the POST until the relay's answer is no longer "outcome unknown".
async fn settled(desk: &Desk, path: &str, key: &str, body: &Value) -> (u16, Value) {
    let answer = std::sync::Arc::new(std::sync::Mutex::new((0, Value::Null)));
    eventually(WAIT, "the unknown outcome to be reconciled", || {
        let answer = std::sync::Arc::clone(&answer);
        async move {
            let (status, body) = desk.post(path, Some(key), body).await;
            let done = body["errorCode"].as_str() != Some("R502");
            *answer.lock().expect("answer") = (status, body);
            done
        }
    })
    .await;
    answer.lock().expect("answer").clone()
}

/// The body a desk posts for an exchange on `lock`.
fn exchange_body(lock: &Value) -> Value {
    serde_json::json!({"amount": lock["amount"], "currencyFrom": "eth", "currencyTo": "eur",
                       "lockId": lock["lockId"]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_dropped_after_applying_is_found_in_the_history() {
    let Some(team) = Team::start(settings()).await else {
        return;
    };
    let (sandbox, relay) = (&team.sandbox, &team.relay);
    let desk = team.desk("dora", Role::Trader).await;

    // A lookalike the team already holds: same pair and amount, answered normally.
    let (status, first) = desk.exchange("0.37", "k-clear").await;
    assert_eq!(status, 201, "{first}");
    let held = first["exchangeId"].as_str().expect("id").to_owned();

    // P100 applies the next one, then drops the connection before answering.
    sandbox.faults().push(FaultRule::next(
        Some(Endpoint::Exchange),
        Fault::ApplyThenDrop,
        1,
    ));
    let lock = desk.lock_exchange("0.37").await;
    let (status, unknown) = desk.post_exchange(&lock, "k-dropped").await;
    assert_eq!(
        (status, unknown["errorCode"].as_str()),
        (502, Some("R502")),
        "{unknown}"
    );
    assert_eq!(sandbox.executions().exchanges, 2);

    let (status, answer) = settled(
        &desk,
        "/v1/partner/exchange",
        "k-dropped",
        &exchange_body(&lock),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let found = answer["exchangeId"]
        .as_str()
        .expect("reconciled id")
        .to_owned();
    assert_ne!(
        found, held,
        "the id the first intent holds is never claimed"
    );
    // It is the exchange P100 applied: in the history, and watched for the team.
    let (_, history) = desk.get("/v1/partner/transactions?page=1&limit=50").await;
    let rows = history["transactions"].as_array().expect("history rows");
    assert!(
        rows.iter()
            .any(|row| row["id"].as_str() == Some(found.as_str())),
        "{history}"
    );
    let (status, details) = desk.get(&format!("/v1/exchange/details/{found}")).await;
    assert_eq!(
        (status, details["exchangeId"].as_str()),
        (200, Some(found.as_str()))
    );
    let reconciled = journal_rows(relay, "k-dropped", "reconciled").await;
    assert_eq!(reconciled.len(), 1, "{reconciled:?}");
    assert_eq!(
        reconciled[0]["transactionId"].as_str(),
        Some(found.as_str())
    );
    // Never re-sent: P100 saw two POSTs in all, however often the desk asked again.
    assert_eq!(sandbox.executions().exchanges, 2);
    let (status, again) = desk.post_exchange(&lock, "k-dropped").await;
    assert_eq!(
        (status, again["exchangeId"].as_str()),
        (200, Some(found.as_str()))
    );
    assert_eq!(sandbox.executions().exchanges, 2);

    team.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_that_failed_before_applying_is_marked_not_applied() {
    let Some(team) = Team::start(settings()).await else {
        return;
    };
    let (sandbox, relay) = (&team.sandbox, &team.relay);
    let desk = team.desk("nils", Role::Trader).await;

    // A gateway error: P100 (the sandbox) did not apply it, but the relay cannot know that.
    sandbox.faults().push(FaultRule::next(
        Some(Endpoint::Exchange),
        Fault::ServerError(503),
        1,
    ));
    let lock = desk.lock_exchange("0.41").await;
    let (status, unknown) = desk.post_exchange(&lock, "k-failed").await;
    assert_eq!(
        (status, unknown["errorCode"].as_str()),
        (502, Some("R502")),
        "{unknown}"
    );
    let (_, pending) = desk.get("/relay/v1/team/pending").await;
    assert!(
        pending["pending"]
            .as_array()
            .is_some_and(|rows| rows.iter().any(|row| row["status"] == "UNKNOWN")),
        "{pending}"
    );

    let (status, answer) = settled(
        &desk,
        "/v1/partner/exchange",
        "k-failed",
        &exchange_body(&lock),
    )
    .await;
    assert_eq!(
        (
            status,
            answer["errorCode"].as_str(),
            answer["errorName"].as_str()
        ),
        (409, Some("R410"), Some("not-applied")),
        "{answer}"
    );
    assert_eq!(
        sandbox.executions().exchanges,
        0,
        "nothing was ever re-sent"
    );
    let reconciled = journal_rows(relay, "k-failed", "reconciled").await;
    assert_eq!(reconciled.len(), 1, "{reconciled:?}");
    assert!(reconciled[0]["transactionId"].is_null(), "{reconciled:?}");
    assert!(
        reconciled[0]["reads"]
            .as_i64()
            .is_some_and(|reads| reads >= 3)
    );
    let (_, pending) = desk.get("/relay/v1/team/pending").await;
    assert_eq!(
        pending["pending"].as_array().map(Vec::len),
        Some(0),
        "{pending}"
    );

    team.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_lookalikes_are_ambiguous_and_nothing_is_claimed() {
    // The first look waits long enough for both POSTs to have been made.
    let Some(team) = Team::start(RelaySettings {
        reconcile_every: Duration::from_secs(3),
        ..settings()
    })
    .await
    else {
        return;
    };
    let (sandbox, relay) = (&team.sandbox, &team.relay);
    let desk = team.desk("amy", Role::Trader).await;
    // Both applied, both answers dropped: the history holds two rows for either intent.
    sandbox.faults().push(FaultRule::next(
        Some(Endpoint::Exchange),
        Fault::ApplyThenDrop,
        2,
    ));
    let first = desk.lock_exchange("0.43").await;
    let second = desk.lock_exchange("0.43").await;
    assert_eq!(desk.post_exchange(&first, "k-twin-1").await.0, 502);
    assert_eq!(desk.post_exchange(&second, "k-twin-2").await.0, 502);
    assert_eq!(sandbox.executions().exchanges, 2);
    eventually(WAIT, "both to be found ambiguous", || async {
        journal_rows(relay, "k-twin-1", "reconcile-ambiguous")
            .await
            .len()
            == 1
            && journal_rows(relay, "k-twin-2", "reconcile-ambiguous")
                .await
                .len()
                == 1
    })
    .await;
    let (status, answer) = desk.post_exchange(&first, "k-twin-1").await;
    assert_eq!(
        (status, answer["errorName"].as_str()),
        (502, Some("outcome-ambiguous")),
        "{answer}"
    );
    let candidates = &journal_rows(relay, "k-twin-1", "reconcile-ambiguous").await[0];
    assert_eq!(candidates["candidates"].as_array().map(Vec::len), Some(2));
    assert!(
        journal_rows(relay, "k-twin-1", "reconciled")
            .await
            .is_empty()
    );
    assert_eq!(sandbox.executions().exchanges, 2);

    team.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_whose_answer_was_dropped_is_found_by_its_fiat_amount() {
    let Some(team) = Team::start(settings()).await else {
        return;
    };
    let sandbox = &team.sandbox;
    let desk = team.desk("otto", Role::Trader).await;
    let (status, lock) = desk
        .post(
            "/v1/order/lock-rate",
            None,
            &serde_json::json!({"currency": "usdc", "amount": "346.59", "network": "polygon"}),
        )
        .await;
    assert_eq!(status, 201, "{lock}");
    sandbox.faults().push(FaultRule::next(
        Some(Endpoint::OrderCreate),
        Fault::ApplyThenDrop,
        1,
    ));
    let body = serde_json::json!({"lockId": lock["lockId"]});
    let (status, unknown) = desk.post("/v1/order", Some("k-order"), &body).await;
    assert_eq!((status, unknown["errorCode"].as_str()), (502, Some("R502")));
    assert_eq!(sandbox.executions().orders, 1);
    let (status, answer) = settled(&desk, "/v1/order", "k-order", &body).await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["orderId"].as_str().expect("reconciled order id");
    let (status, details) = desk.get(&format!("/v1/order/details/{id}")).await;
    assert_eq!((status, details["orderId"].as_str()), (200, Some(id)));
    assert_eq!(sandbox.executions().orders, 1, "never re-sent");

    team.shutdown().await;
}
