//! Shared set-up for the relay tests: a fresh database per test on the PostgreSQL named by
//! P100_TEST_DATABASE_URL (`.ci/run` starts one), the fast sandbox as upstream, relays,
//! operators, and a small HTTP client speaking to the relay as a desk would.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use p100_desk::relay::{self, RelayHandle, RelayOptions, RelaySettings, Role};
use p100_desk::sandbox::{self, Pace, SandboxHandle, SandboxOptions};
use secrecy::SecretString;
use serde_json::{Value, json};

pub const DATABASE_URL: &str = "P100_TEST_DATABASE_URL";
pub const UPSTREAM_KEY: &str = "team-upstream-key-canary-7Q2x";
pub const WEBHOOK_TOKEN: &str = "webhook-token-for-tests-31";

/// A database of its own for one test, or `None` (with the reason printed) outside CI when
/// no PostgreSQL is configured. In CI a missing URL fails the test: nothing skips silently.
pub async fn fresh_database() -> Option<String> {
    let Ok(base) = std::env::var(DATABASE_URL) else {
        assert!(
            std::env::var("CI").map_or(true, |ci| ci != "true"),
            "{DATABASE_URL} is not set in CI: .ci/run starts PostgreSQL and exports it"
        );
        eprintln!(
            "skipped: set {DATABASE_URL} (e.g. `source .ci/postgres.sh && p100_pg_start`, see \
             README \"Team\") to run the relay tests"
        );
        return None;
    };
    let name = format!("relay_test_{}", uuid::Uuid::new_v4().simple());
    let (client, connection) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
        .await
        .expect("connect to the test PostgreSQL");
    let driver = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    drop(client);
    let _ = driver.await;
    let (without_query, query) = base
        .split_once('?')
        .map_or((base.as_str(), None), |(a, b)| (a, Some(b)));
    let (server, _) = without_query.rsplit_once('/').expect("URL has a database");
    Some(match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    })
}

pub fn sandbox_options() -> SandboxOptions {
    SandboxOptions {
        api_key: UPSTREAM_KEY.into(),
        pace: Pace::Fast,
        lock_ttl: Some(Duration::from_secs(30)),
        rate_limit: None,
        ..SandboxOptions::default()
    }
}

pub async fn start_sandbox() -> SandboxHandle {
    sandbox::spawn(sandbox_options())
        .await
        .expect("sandbox starts")
}

pub fn test_settings() -> RelaySettings {
    RelaySettings {
        recheck_every: Duration::from_millis(100),
        poll_every: Duration::from_millis(50),
        leader_retry: Duration::from_millis(100),
        budget_per_second: 50,
        details_max_age: Duration::from_secs(2),
        ..RelaySettings::default()
    }
}

pub async fn start_relay(
    database_url: &str,
    sandbox: &SandboxHandle,
    settings: RelaySettings,
) -> RelayHandle {
    relay::spawn(RelayOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: database_url.to_owned(),
        upstream_url: sandbox.base_url().to_owned(),
        upstream_key: SecretString::from(UPSTREAM_KEY),
        webhook_token: Some(SecretString::from(WEBHOOK_TOKEN)),
        paths: p100_desk::api::ApiPaths::default(),
        settings,
        upstream_timeout: Duration::from_secs(5),
    })
    .await
    .expect("relay starts")
}

pub async fn operator(relay: &RelayHandle, name: &str, role: Role) -> String {
    relay::add_operator(relay.pool(), name, role)
        .await
        .expect("operator added")
}

/// Settings under which a money POST above `limit_eur` needs another approver's approval.
pub fn four_eyes_above(limit_eur: i64) -> RelaySettings {
    RelaySettings {
        approval_above_eur: Some(rust_decimal::Decimal::new(limit_eur, 0)),
        ..test_settings()
    }
}

/// What most relay tests start from: a fresh database, the fast sandbox as P100, and one relay
/// on them.
pub struct Team {
    pub db: String,
    pub sandbox: SandboxHandle,
    pub relay: RelayHandle,
}

impl Team {
    /// `None` where [`fresh_database`] has none (outside CI, with the reason printed).
    pub async fn start(settings: RelaySettings) -> Option<Self> {
        let db = fresh_database().await?;
        let sandbox = start_sandbox().await;
        let relay = start_relay(&db, &sandbox, settings).await;
        Some(Self { db, sandbox, relay })
    }

    /// A new operator's token.
    pub async fn operator(&self, name: &str, role: Role) -> String {
        operator(&self.relay, name, role).await
    }

    /// A desk's HTTP view of the relay as a new operator.
    pub async fn desk(&self, name: &str, role: Role) -> Desk {
        Desk::new(&self.relay, &self.operator(name, role).await)
    }

    pub async fn shutdown(self) {
        self.relay.shutdown().await;
        self.sandbox.shutdown().await;
    }
}

/// Waits for `condition` up to `timeout`, checking every 20 ms.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if condition().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A desk's view of the relay: an operator token and plain HTTP.
#[derive(Clone)]
pub struct Desk {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Desk {
    pub fn new(relay: &RelayHandle, token: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: relay.base_url().to_owned(),
            token: token.to_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("x-api-key", &self.token)
            .send()
            .await
            .expect("relay answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-api-key", &self.token)
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.expect("relay answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Locks `amount` eth -> eur; panics unless the relay hands out a lock.
    pub async fn lock_exchange(&self, amount: &str) -> Value {
        let (status, lock) = self
            .get(&format!(
                "/v1/partner/exchange/lock?currencyFrom=eth&currencyTo=eur&amount={amount}"
            ))
            .await;
        assert_eq!(status, 200, "lock: {lock}");
        lock
    }

    /// Locks and posts an exchange under `key`; returns the POST's status and body.
    pub async fn exchange(&self, amount: &str, key: &str) -> (u16, Value) {
        let lock = self.lock_exchange(amount).await;
        self.post_exchange(&lock, key).await
    }

    pub async fn post_exchange(&self, lock: &Value, key: &str) -> (u16, Value) {
        let body = json!({"amount": lock["amount"], "currencyFrom": "eth", "currencyTo": "eur",
                          "lockId": lock["lockId"]});
        self.post("/v1/partner/exchange", Some(key), &body).await
    }
}
