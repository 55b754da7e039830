//! The team relay (`p100-desk relay`): holds the P100 key, speaks P100's paths to the desks
//! with operator tokens, sends each money POST once for the whole team (Idempotency-Key in
//! PostgreSQL), takes P100's webhooks, polls for the team from one leader, asks a second
//! person above a limit, and pushes changes to desks (SSE over LISTEN/NOTIFY).
//!
//! In tests: [`spawn`] with a database URL and the sandbox as upstream, then
//! [`RelayHandle::base_url`]; several instances on one database behave like replicas.

mod approvals;
mod budget;
pub mod cli;
mod error;
mod events;
mod intents;
mod journal;
mod locks;
mod money;
pub mod operators;
mod poller;
mod reconcile;
mod server;
mod store;
mod team;
mod tls;
mod upstream;
mod watched;
mod webhooks;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::Deserialize;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

pub use error::RelayError;
pub use events::TeamEvent;
pub use journal::TeamEntry;
pub use operators::{OperatorRow, Role};
pub use tls::TlsFiles;

use crate::api::ApiPaths;

/// The relay's own settings (`relay serve --settings relay.toml`, flags override).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelaySettings {
    /// A money POST worth more than this (EUR) needs an approved proposal; `None`: never.
    pub approval_above_eur: Option<Decimal>,
    /// How far (a fraction: 0.01 = 1 %) the locked rate may move from the approved
    /// indicative rate.
    pub max_deviation: Decimal,
    /// A desk's details request is answered from the store when its copy is this fresh.
    #[serde(with = "seconds")]
    pub details_max_age: Duration,
    /// Reads per second the relay makes on the team's behalf (poller, stale details, rates).
    pub budget_per_second: u32,
    /// The poller checks a pending row again after this long.
    #[serde(with = "seconds")]
    pub recheck_every: Duration,
    /// The poller sleeps this long when nothing is due.
    #[serde(with = "seconds")]
    pub poll_every: Duration,
    /// Followers try for the poller lock this often.
    #[serde(with = "seconds")]
    pub leader_retry: Duration,
    /// An unknown outcome is first read back from the history after this long; later looks
    /// back off from it (up to 16 s).
    #[serde(with = "seconds")]
    pub reconcile_every: Duration,
    /// An unknown outcome is "not applied" only after three empty history reads spread over
    /// at least this long (the history may lag the POST).
    #[serde(with = "seconds")]
    pub reconcile_min_span: Duration,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            approval_above_eur: None,
            max_deviation: Decimal::new(1, 2),
            details_max_age: Duration::from_secs(5),
            budget_per_second: 10,
            recheck_every: Duration::from_secs(2),
            poll_every: Duration::from_millis(250),
            leader_retry: poller::LEADER_RETRY,
            reconcile_every: Duration::from_secs(1),
            reconcile_min_span: Duration::from_secs(10),
        }
    }
}

mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let seconds = f64::deserialize(deserializer)?;
        Duration::try_from_secs_f64(seconds).map_err(serde::de::Error::custom)
    }
}

/// What to start a relay with.
#[derive(Clone)]
pub struct RelayOptions {
    pub listen: SocketAddr,
    pub database_url: String,
    /// P100 (or the sandbox): no trailing slash, no `/v1`.
    pub upstream_url: String,
    pub upstream_key: SecretString,
    /// The token P100 sends in `Authorization` with each webhook; `None` refuses them all.
    pub webhook_token: Option<SecretString>,
    pub paths: ApiPaths,
    pub settings: RelaySettings,
    pub upstream_timeout: Duration,
}

impl fmt::Debug for RelayOptions {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("RelayOptions")
            .field("listen", &self.listen)
            .field("upstream_url", &self.upstream_url)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A running relay. Dropping it does not stop it; call [`RelayHandle::shutdown`].
pub struct RelayHandle {
    base_url: String,
    address: SocketAddr,
    leader: watch::Receiver<bool>,
    pool: Pool,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    server: JoinHandle<std::io::Result<()>>,
}

impl fmt::Debug for RelayHandle {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("RelayHandle")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl RelayHandle {
    /// `http://127.0.0.1:PORT` (or `https://` with TLS): the P100-compatible front.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Whether this process polls for the team right now.
    pub fn is_poller_leader(&self) -> bool {
        *self.leader.borrow()
    }

    /// The relay's database pool (for `operator add` in the same process, and tests).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Stops serving and polling; the poller's lock session ends with it, so another relay
    /// takes over the poll.
    pub async fn shutdown(self) {
        self.stop.send_replace(true);
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            let _ = task.await;
        }
        let server = self.server.abort_handle();
        // Open event streams would hold a graceful stop forever: they are cut after a grace.
        if tokio::time::timeout(Duration::from_secs(2), self.server)
            .await
            .is_err()
        {
            server.abort();
        }
        self.pool.close();
    }
}

/// Opens the relay's database (migrations run here), for the operator commands.
pub async fn open_store(database_url: &str) -> Result<Pool, RelayError> {
    store::open(database_url).await
}

/// Adds an operator; the token is returned once and only its hash is stored.
pub async fn add_operator(pool: &Pool, name: &str, role: Role) -> Result<String, RelayError> {
    operators::add(pool, name, role).await
}

/// Revokes an operator's token at once.
pub async fn revoke_operator(pool: &Pool, name: &str) -> Result<bool, RelayError> {
    operators::revoke(pool, name).await
}

/// The team journal's newest `limit` rows, oldest first.
pub async fn team_journal(pool: &Pool, limit: i64) -> Result<Vec<TeamEntry>, RelayError> {
    journal::read(pool, limit).await
}

/// Starts a relay serving plain HTTP: migrations, the server, the LISTEN task and the poller
/// contender.
pub async fn spawn(options: RelayOptions) -> Result<RelayHandle, RelayError> {
    start(options, None).await
}

/// Starts a relay serving HTTPS with the certificate and key in `tls`.
pub async fn spawn_tls(options: RelayOptions, tls: &TlsFiles) -> Result<RelayHandle, RelayError> {
    // Read before anything starts, so a bad file fails the start, not the first desk.
    let config = tls.server_config()?;
    start(options, Some(config)).await
}

async fn start(
    options: RelayOptions,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<RelayHandle, RelayError> {
    let db_config: tokio_postgres::Config = options
        .database_url
        .parse()
        .map_err(|error| RelayError::Database(format!("bad database URL: {error}")))?;
    let pool = store::open(&options.database_url).await?;
    let upstream = upstream::Upstream::new(
        &options.upstream_url,
        options.upstream_key.clone(),
        options.upstream_timeout,
    )?;
    let (events, _) = broadcast::channel(1024);
    let (leader_tx, leader) = watch::channel(false);
    let relay = Arc::new(server::Relay {
        pool: pool.clone(),
        upstream,
        paths: options.paths.clone(),
        budget: budget::Budget::new(options.settings.budget_per_second),
        settings: options.settings.clone(),
        webhook_token: options.webhook_token.clone(),
        events: events.clone(),
        leader: leader.clone(),
        rates: money::EurRates::default(),
    });
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|error| {
            RelayError::Setup(format!("cannot listen on {}: {error}", options.listen))
        })?;
    let address = listener
        .local_addr()
        .map_err(|error| RelayError::Setup(error.to_string()))?;
    let tasks = vec![
        tokio::spawn(events::listen(db_config.clone(), events)),
        tokio::spawn(poller::run(Arc::clone(&relay), db_config, leader_tx)),
    ];
    let (stop, mut stopped) = watch::channel(false);
    let app = server::router(relay);
    let scheme = if tls.is_some() { "https" } else { "http" };
    let server = match tls {
        None => tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await
        }),
        Some(config) => {
            let listener = listener
                .into_std()
                .map_err(|error| RelayError::Setup(error.to_string()))?;
            let handle = axum_server::Handle::new();
            let server = axum_server::from_tcp_rustls(
                listener,
                axum_server::tls_rustls::RustlsConfig::from_config(config),
            )
            .map_err(|error| RelayError::Setup(format!("TLS listener: {error}")))?
            .handle(handle.clone());
            tokio::spawn(async move {
                // Ends with the server: `stop` is sent, or the server task is aborted.
                let watcher = tokio::spawn(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                    // The same grace `shutdown` gives open event streams.
                    handle.graceful_shutdown(Some(Duration::from_secs(2)));
                });
                let result = server.serve(app.into_make_service()).await;
                watcher.abort();
                result
            })
        }
    };
    Ok(RelayHandle {
        base_url: format!("{scheme}://{address}"),
        address,
        leader,
        pool,
        stop,
        tasks,
        server,
    })
}
