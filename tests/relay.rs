//! The team relay against the real PostgreSQL (P100_TEST_DATABASE_URL) and the fast sandbox as
//! P100: operators and roles, one upstream POST per Idempotency-Key across desks and
//! replicas, team rows, poller hand-over, webhooks, four eyes, and the key kept from desks.

mod relay_support;

use std::time::Duration;

use p100_desk::relay::{self, Role};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use relay_support::{
    Desk, Team, UPSTREAM_KEY, WEBHOOK_TOKEN, eventually, four_eyes_above, fresh_database, operator,
    start_relay, start_sandbox, test_settings,
};

const WAIT: Duration = Duration::from_secs(10);

async fn count(database_url: &str, sql: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(database_url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    let driver = tokio::spawn(connection);
    let value: i64 = client.query_one(sql, &[]).await.expect("count").get(0);
    drop(client);
    let _ = driver.await;
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_tokens_and_revocation() {
    let Some(team) = Team::start(test_settings()).await else {
        return;
    };
    let (db, relay) = (&team.db, &team.relay);
    let viewer = team.desk("vic", Role::Viewer).await;
    let trader_token = team.operator("tom", Role::Trader).await;
    let trader = Desk::new(relay, &trader_token);

    let (status, balances) = viewer.get("/v1/partner/balances").await;
    assert_eq!(status, 200, "{balances}");
    assert!(balances["fiatBalances"].is_array());
    let (status, refused) = viewer
        .get("/v1/partner/exchange/lock?currencyFrom=eth&currencyTo=eur&amount=1")
        .await;
    assert_eq!((status, refused["errorCode"].as_str()), (403, Some("R403")));
    let (status, _) = viewer
        .post(
            "/v1/partner/exchange",
            Some("k-viewer"),
            &json!({"lockId": "x"}),
        )
        .await;
    assert_eq!(status, 403);
    let nobody = Desk {
        token: String::new(),
        ..viewer.clone()
    };
    assert_eq!(nobody.get("/v1/partner/balances").await.0, 401);
    let wrong = Desk {
        token: format!("{trader_token}x"),
        ..viewer.clone()
    };
    assert_eq!(wrong.get("/v1/partner/balances").await.0, 401);
    // An unknown path is not forwarded with the team's key.
    assert_eq!(viewer.get("/v1/anything/else").await.0, 404);

    assert_eq!(trader.get("/v1/partner/balances").await.0, 200);
    assert!(
        relay::revoke_operator(relay.pool(), "tom")
            .await
            .expect("revoke")
    );
    let (status, body) = trader.get("/v1/partner/balances").await;
    assert_eq!((status, body["errorCode"].as_str()), (401, Some("R401")));

    // Only a hash is stored: the token appears nowhere in the database.
    let leaks = count(
        db,
        &format!(
            "SELECT count(*) FROM operators WHERE encode(token_hash, 'escape') LIKE '%{}%'
                  OR name LIKE '%{trader_token}%'",
            &trader_token[8..]
        ),
    )
    .await;
    assert_eq!(leaks, 0);
    team.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_print_the_token_alone() {
    let Some(db) = fresh_database().await else {
        return;
    };
    let binary = env!("CARGO_BIN_EXE_p100-desk");
    let add = std::process::Command::new(binary)
        .args([
            "relay",
            "operator",
            "add",
            "alice",
            "--role",
            "trader",
            "--database-url",
            &db,
        ])
        .output()
        .expect("binary runs");
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let stdout = String::from_utf8(add.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout:?}");
    assert!(lines[0].starts_with("p100op_") && lines[0].len() > 60);
    let list = std::process::Command::new(binary)
        .args(["relay", "operator", "list", "--database-url", &db])
        .output()
        .expect("binary runs");
    let listing = String::from_utf8(list.stdout).expect("utf-8");
    assert!(
        listing.contains("alice") && listing.contains("trader"),
        "{listing}"
    );
    assert!(!listing.contains(lines[0]), "list never shows tokens");
    let again = std::process::Command::new(binary)
        .args([
            "relay",
            "operator",
            "add",
            "alice",
            "--role",
            "viewer",
            "--database-url",
            &db,
        ])
        .output()
        .expect("binary runs");
    assert!(!again.status.success(), "a live name is not re-issued");
    assert!(again.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_key_is_one_upstream_post_across_desks_and_replicas() {
    let Some(db) = fresh_database().await else {
        return;
    };
    let sandbox = start_sandbox().await;
    let first = start_relay(&db, &sandbox, test_settings()).await;
    let second = start_relay(&db, &sandbox, test_settings()).await;
    let alice = Desk::new(&first, &operator(&first, "alice", Role::Trader).await);
    let bob = Desk::new(&second, &operator(&first, "bob", Role::Trader).await);
    // P100 is slow to answer, so the second POST arrives while the first is in flight.
    sandbox.faults().push(p100_desk::sandbox::FaultRule::next(
        Some(p100_desk::sandbox::Endpoint::Exchange),
        p100_desk::sandbox::Fault::Latency(Duration::from_millis(300)),
        1,
    ));
    let lock = alice.lock_exchange("0.5").await;
    let key = "intent-7f3a";
    let (a, b) = tokio::join!(
        alice.post_exchange(&lock, key),
        bob.post_exchange(&lock, key)
    );
    let answers = [a, b];
    let accepted: Vec<&(u16, Value)> = answers
        .iter()
        .filter(|(status, _)| *status == 201)
        .collect();
    assert_eq!(accepted.len(), 1, "{answers:?}");
    let other = answers
        .iter()
        .find(|(status, _)| *status != 201)
        .expect("one more");
    assert_eq!(
        (other.0, other.1["errorCode"].as_str()),
        (503, Some("R425")),
        "in progress"
    );
    assert_eq!(sandbox.executions().exchanges, 1);
    // Later repeats, at either replica, get the stored answer.
    let exchange_id = accepted[0].1["exchangeId"].clone();
    for desk in [&alice, &bob] {
        let (status, body) = desk.post_exchange(&lock, key).await;
        assert_eq!((status, &body["exchangeId"]), (201, &exchange_id));
    }
    // The same key for other terms is refused, and nothing is sent.
    let other_lock = alice.lock_exchange("0.25").await;
    let (status, body) = alice.post_exchange(&other_lock, key).await;
    assert_eq!((status, body["errorCode"].as_str()), (422, Some("R422")));
    // A POST without a key, or on a lock the relay never handed out, is refused.
    let body = json!({"amount": "0.25", "currencyFrom": "eth", "currencyTo": "eur",
                      "lockId": other_lock["lockId"]});
    assert_eq!(alice.post("/v1/partner/exchange", None, &body).await.0, 400);
    let forged =
        json!({"amount": "0.25", "currencyFrom": "eth", "currencyTo": "eur", "lockId": "forged"});
    assert_eq!(
        alice
            .post("/v1/partner/exchange", Some("k2"), &forged)
            .await
            .0,
        404
    );
    assert_eq!(sandbox.executions().exchanges, 1);
    let intents = count(
        &db,
        "SELECT count(*) FROM team_journal WHERE event = 'intent'",
    )
    .await;
    assert_eq!(intents, 1);
    first.shutdown().await;
    second.shutdown().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desks_see_each_others_pending_rows_within_two_seconds() {
    let Some(team) = Team::start(test_settings()).await else {
        return;
    };
    let sandbox = &team.sandbox;
    sandbox.pause_processing(true);
    let alice = team.desk("alice", Role::Trader).await;
    let bob = team.desk("bob", Role::Viewer).await;
    let events = bob
        .http
        .get(format!("{}/relay/v1/events", bob.base))
        .header("x-api-key", &bob.token)
        .send()
        .await
        .expect("event stream");
    assert_eq!(events.status().as_u16(), 200);
    let mut stream = events;
    let started = tokio::time::Instant::now();
    let (status, accepted) = alice.exchange("0.3", "alice-intent-1").await;
    assert_eq!(status, 201, "{accepted}");
    let mut seen = String::new();
    while !seen.contains("event: outcome") {
        let chunk = tokio::time::timeout_at(started + Duration::from_secs(2), stream.chunk())
            .await
            .expect("bob hears of alice's exchange within 2 s")
            .expect("stream open")
            .expect("a chunk");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("\"operator\":\"alice\""), "{seen}");
    let (status, pending) = bob.get("/relay/v1/team/pending").await;
    assert_eq!(status, 200);
    let rows = pending["pending"].as_array().expect("rows");
    assert!(
        rows.iter()
            .any(|row| row["id"] == accepted["exchangeId"] && row["operator"] == "alice"),
        "{pending}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    team.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poll_moves_to_the_other_replica_when_the_leader_dies() {
    let Some(db) = fresh_database().await else {
        return;
    };
    let sandbox = start_sandbox().await;
    let first = start_relay(&db, &sandbox, test_settings()).await;
    eventually(WAIT, "the first relay leads", || async {
        first.is_poller_leader()
    })
    .await;
    let second = start_relay(&db, &sandbox, test_settings()).await;
    let alice = Desk::new(&second, &operator(&second, "alice", Role::Trader).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!second.is_poller_leader(), "one leader at a time");
    first.shutdown().await;
    eventually(WAIT, "the second relay takes over", || async {
        second.is_poller_leader()
    })
    .await;
    let (status, accepted) = alice.exchange("0.2", "after-handover").await;
    assert_eq!(status, 201, "{accepted}");
    let id = accepted["exchangeId"].as_str().expect("id").to_owned();
    eventually(WAIT, "the new leader's poll finalizes the row", || {
        let db = db.clone();
        let id = id.clone();
        async move {
            count(
                &db,
                &format!("SELECT count(*) FROM watched WHERE transaction_id = '{id}' AND final"),
            )
            .await
                == 1
        }
    })
    .await;
    let (status, details) = alice.get(&format!("/v1/exchange/details/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(details["status"], "COMPLETED", "{details}");
    second.shutdown().await;
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_need_the_token_and_are_stored_once() {
    let mut settings = test_settings();
    // The poller stays out of the way: the webhook is what finalizes the row here.
    settings.recheck_every = Duration::from_secs(3600);
    let Some(team) = Team::start(settings).await else {
        return;
    };
    let (db, sandbox, relay) = (&team.db, &team.sandbox, &team.relay);
    sandbox.pause_processing(true);
    let alice = team.desk("alice", Role::Trader).await;
    let (status, accepted) = alice.exchange("0.1", "webhook-intent").await;
    assert_eq!(status, 201);
    let id = accepted["exchangeId"].as_str().expect("id").to_owned();
    let http = reqwest::Client::new();
    let url = format!("{}/webhooks/p100", relay.base_url());
    let event = json!({"event_type": "exchange.status_changed",
                       "data": {"exchangeId": id, "status": "COMPLETED"}});
    for authorization in [None, Some("wrong-token"), Some("")] {
        let mut request = http.post(&url).json(&event);
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        assert_eq!(request.send().await.expect("answer").status().as_u16(), 401);
    }
    assert_eq!(count(db, "SELECT count(*) FROM webhook_events").await, 0);
    for _ in 0..5 {
        let response = http
            .post(&url)
            .header("Authorization", WEBHOOK_TOKEN)
            .json(&event)
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.json::<Value>().await.expect("json"), json!({}));
    }
    assert_eq!(count(db, "SELECT count(*) FROM webhook_events").await, 1);
    assert_eq!(
        count(db, "SELECT max(deliveries)::int8 FROM webhook_events").await,
        5
    );
    eventually(WAIT, "the webhook finalizes the watched row", || {
        let alice = alice.clone();
        let id = id.clone();
        async move { alice.get(&format!("/v1/exchange/details/{id}")).await.1["status"] == "COMPLETED" }
    })
    .await;
    // A flat deposit event for nothing the team watches is stored too.
    let flat = json!({"externalUserId": "u1", "cryptoDepositId": "d1", "amount": 0.001,
                      "currency": "eth", "status": "WAITING_FOR_TR_DATA"});
    let response = http
        .post(&url)
        .header("Authorization", WEBHOOK_TOKEN)
        .json(&flat)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(count(db, "SELECT count(*) FROM webhook_events").await, 2);
    let health = http
        .get(format!("{}/webhook/health", relay.base_url()))
        .send()
        .await
        .expect("answer");
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(
        count(
            db,
            "SELECT count(*) FROM team_journal WHERE event = 'status'"
        )
        .await,
        1
    );
    team.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_eyes_above_the_limit() {
    let Some(team) = Team::start(four_eyes_above(100)).await else {
        return;
    };
    let (db, sandbox) = (&team.db, &team.sandbox);
    let ann = team.desk("ann", Role::Approver).await;
    let carol = team.desk("carol", Role::Approver).await;
    let tom = team.desk("tom", Role::Trader).await;

    // Small trades need nobody.
    assert_eq!(ann.exchange("0.01", "small").await.0, 201);
    // A large one is refused and proposed.
    let (status, refused) = ann.exchange("1", "large-1").await;
    assert_eq!(
        (status, refused["errorCode"].as_str()),
        (409, Some("R409")),
        "{refused}"
    );
    assert_eq!(sandbox.executions().exchanges, 1);
    let (_, proposals) = tom.get("/relay/v1/proposals").await;
    let proposal = proposals["proposals"][0].clone();
    assert_eq!(
        (proposal["proposer"].as_str(), proposal["state"].as_str()),
        (Some("ann"), Some("pending"))
    );
    let approve = format!("/relay/v1/proposals/{}/approve", proposal["id"]);
    // Nobody approves their own; a trader cannot approve at all.
    let (status, body) = ann.post(&approve, None, &json!({})).await;
    assert_eq!((status, body["errorCode"].as_str()), (403, Some("R403")));
    assert_eq!(body["errorName"], "self-approval");
    assert_eq!(tom.post(&approve, None, &json!({})).await.0, 403);
    let (status, approved) = carol.post(&approve, None, &json!({})).await;
    assert_eq!(
        (status, approved["state"].as_str()),
        (200, Some("approved")),
        "{approved}"
    );
    assert_eq!(
        carol.post(&approve, None, &json!({})).await.0,
        409,
        "approved once"
    );

    // Outside the approved terms (another amount): refused, nothing sent.
    let (status, _) = ann.exchange("2", "large-other").await;
    assert_eq!(status, 409);
    assert_eq!(sandbox.executions().exchanges, 1);
    // Within them: sent once; the approval is then used up.
    let (status, accepted) = ann.exchange("1", "large-approved").await;
    assert_eq!(status, 201, "{accepted}");
    assert_eq!(sandbox.executions().exchanges, 2);
    let (status, again) = ann.exchange("1", "large-approved-again").await;
    assert_eq!((status, again["errorCode"].as_str()), (409, Some("R409")));
    assert_eq!(sandbox.executions().exchanges, 2);
    let approvals = count(
        db,
        "SELECT count(*) FROM team_journal WHERE event = 'approval' AND operator = 'carol'",
    )
    .await;
    assert_eq!(approvals, 1);
    team.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_p100_key_reaches_no_desk_and_no_table() {
    let Some(team) = Team::start(test_settings()).await else {
        return;
    };
    let db = &team.db;
    let alice = team.desk("alice", Role::Trader).await;
    let mut seen = String::new();
    for path in [
        "/v1/partner/balances",
        "/v1/partner/transactions?page=1&limit=50",
        "/v1/order/rates",
    ] {
        seen.push_str(&alice.get(path).await.1.to_string());
    }
    let (status, accepted) = alice.exchange("0.1", "canary-intent").await;
    assert_eq!(status, 201);
    seen.push_str(&accepted.to_string());
    let id = accepted["exchangeId"].as_str().expect("id");
    seen.push_str(
        &alice
            .get(&format!("/v1/exchange/details/{id}"))
            .await
            .1
            .to_string(),
    );
    seen.push_str(&alice.get("/relay/v1/journal").await.1.to_string());
    assert!(!seen.contains(UPSTREAM_KEY), "a desk saw the P100 key");
    let (client, connection) = tokio_postgres::connect(db, tokio_postgres::NoTls)
        .await
        .expect("connect");
    let driver = tokio::spawn(connection);
    for table in [
        "operators",
        "locks",
        "intents",
        "watched",
        "webhook_events",
        "proposals",
        "team_journal",
    ] {
        let dump: Option<String> = client
            .query_one(
                &format!("SELECT string_agg(t::text, ' ') FROM {table} t"),
                &[],
            )
            .await
            .expect("dump")
            .get(0);
        assert!(
            !dump.unwrap_or_default().contains(UPSTREAM_KEY),
            "the key is in {table}"
        );
    }
    drop(client);
    let _ = driver.await;
    team.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_client_sends_its_intent_id_as_the_key() {
    use p100_desk::api::models::{Currency, ExchangeRequest};
    use p100_desk::api::{ApiClient, ApiSettings};
    let Some(team) = Team::start(test_settings()).await else {
        return;
    };
    let (sandbox, relay) = (&team.sandbox, &team.relay);
    let token = team.operator("alice", Role::Trader).await;
    let client = ApiClient::new(ApiSettings::new(
        relay.base_url(),
        secrecy::SecretString::from(token),
    ))
    .expect("client");
    let (eth, eur) = (Currency::new("eth"), Currency::new("eur"));
    let amount = Decimal::new(5, 2);
    let lock = client
        .exchange_lock(&eth, &eur, amount)
        .await
        .expect("lock via the relay");
    let request = ExchangeRequest {
        amount,
        currency_from: eth,
        currency_to: eur,
        lock_id: lock.lock_id.clone(),
    };
    let first = client
        .execute_exchange_keyed(&request, "journal-intent-42")
        .await
        .expect("sent");
    // The same intent again (a second desk, a replayed script) is answered from the store.
    let again = client
        .execute_exchange_keyed(&request, "journal-intent-42")
        .await
        .expect("stored answer");
    assert_eq!(first.exchange_id, again.exchange_id);
    assert_eq!(sandbox.executions().exchanges, 1);
    team.shutdown().await;
}

/// The canary scan extended to a desk binary on the relay: `balances`, `history` and a guarded
/// `exchange --watch` at TRACE with alice's operator token. Nothing the desk wrote (stdout,
/// stderr, its log file, its journal) holds the P100 key. Its memory cannot either: every
/// answer the relay gives a desk is checked for the key above, and the desk is started with
/// nothing else that could carry it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_binary_on_the_relay_writes_no_p100_key() {
    let Some(team) = Team::start(test_settings()).await else {
        return;
    };
    let (sandbox, relay) = (&team.sandbox, &team.relay);
    let token = team.operator("alice", Role::Trader).await;
    let home = tempfile::tempdir().expect("tempdir");
    let data = home.path().join("data");
    let run = |args: &'static [&'static str]| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_p100-desk"));
        command
            .arg("--base-url")
            .arg(relay.base_url())
            .args(args)
            .env_clear()
            .env("HOME", home.path())
            .env("P100_DATA_DIR", &data)
            .env("P100_API_KEY", &token)
            .env("P100_LOG", "trace")
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null());
        async move { command.output().await.expect("run the desk binary") }
    };
    let mut written = Vec::new();
    for (args, expected) in [
        (&["balances", "--format", "json"][..], 0),
        (&["history", "--format", "ndjson", "--limit", "20"][..], 0),
        (
            &[
                "exchange",
                "--from",
                "eur",
                "--to",
                "eth",
                "--amount",
                "10",
                "--min-rate",
                "0.00000001",
                "--watch",
                "--format",
                "json",
            ][..],
            0,
        ),
    ] {
        let output = run(args).await;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(expected), "{args:?}: {stderr}");
        written.extend_from_slice(&output.stdout);
        written.extend_from_slice(&output.stderr);
    }
    assert_eq!(sandbox.executions().exchanges, 1, "the exchange went once");
    let mut files = 0;
    let mut stack = vec![data.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the data dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files += 1;
                written.extend(std::fs::read(&path).expect("read a written file"));
            }
        }
    }
    assert!(files >= 2, "the journal and the log file were written");
    let text = String::from_utf8_lossy(&written);
    assert!(text.contains("exchange_intent"), "the journal was scanned");
    assert!(!text.contains(UPSTREAM_KEY), "the P100 key reached a desk");
    assert!(
        text.contains(&token[..8]) || !text.contains(&token),
        "(the operator token is the desk's own key: kept from its files as well)"
    );
    assert!(
        !text.contains(&token),
        "the desk's own key is in its output or files"
    );
    team.shutdown().await;
}
