//! One poller for the team: whichever relay process holds the PostgreSQL advisory lock reads
//! back every pending exchange and order within the shared budget; when it dies, its session
//! ends, the lock is freed and another process takes over.

use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use futures::StreamExt as _;
use tokio::sync::watch;

use super::server::Relay;
use super::watched::Kind;
use super::{RelayError, store, team};
use crate::api::ApiPaths;

/// The advisory lock key of the team's poller ("p100poll").
const POLLER_LOCK: i64 = 0x7031_3030_706f_6c6c;
/// Requests in flight at once from the poller (the budget still spaces them).
const CONCURRENCY: usize = 4;
/// Rows taken per round.
const ROUND_ROWS: i64 = 500;

/// Competes for the lock for as long as the relay runs; `leader` says whether this process
/// polls right now.
pub async fn run(relay: Arc<Relay>, config: tokio_postgres::Config, leader: watch::Sender<bool>) {
    let retry = relay.settings.leader_retry;
    loop {
        match store::dedicated(&config).await {
            Ok((client, connection)) => {
                let driver = tokio::spawn(connection);
                loop {
                    if client.is_closed() {
                        break;
                    }
                    match client
                        .query_one("SELECT pg_try_advisory_lock($1)", &[&POLLER_LOCK])
                        .await
                    {
                        Ok(row) if row.get::<_, bool>(0) => {
                            tracing::info!("this relay polls P100 for the team");
                            leader.send_replace(true);
                            lead(&relay, &client).await;
                            leader.send_replace(false);
                            break;
                        }
                        Ok(_) => tokio::time::sleep(retry).await,
                        Err(error) => {
                            tracing::warn!(%error, "poller lock check failed");
                            break;
                        }
                    }
                }
                drop(client);
                let _ = driver.await;
            }
            Err(error) => tracing::warn!(%error, "poller connection failed"),
        }
        tokio::time::sleep(retry).await;
    }
}

/// Polls while the lock's session lives.
async fn lead(relay: &Relay, lock_session: &tokio_postgres::Client) {
    loop {
        if lock_session.simple_query("SELECT 1").await.is_err() {
            tracing::warn!("lost the poller lock's session");
            return;
        }
        // Unknown outcomes are read back by the leader alone, so the team reads the history
        // once however many relays run.
        let reconciled = match super::reconcile::round(relay).await {
            Ok(count) => count,
            Err(error) => {
                tracing::warn!(%error, "reconcile round failed");
                0
            }
        };
        match round(relay).await {
            Ok(0) if reconciled == 0 => tokio::time::sleep(relay.settings.poll_every).await,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "poll round failed");
                tokio::time::sleep(relay.settings.poll_every).await;
            }
        }
    }
}

/// One pass over the rows due for a check; returns how many were checked.
async fn round(relay: &Relay) -> Result<usize, RelayError> {
    let due = {
        let db = store::connection(&relay.pool).await?;
        db.query(
            "SELECT transaction_id, kind FROM watched
             WHERE NOT final
               AND (checked_at IS NULL OR checked_at < now() - make_interval(secs => $1::float8))
             ORDER BY checked_at NULLS FIRST LIMIT $2",
            &[&relay.settings.recheck_every.as_secs_f64(), &ROUND_ROWS],
        )
        .await?
    };
    let count = due.len();
    futures::stream::iter(due)
        .for_each_concurrent(CONCURRENCY, |row| async move {
            let id: String = row.get(0);
            let Some(kind) = Kind::parse(&row.get::<_, String>(1)) else {
                return;
            };
            if let Err(error) = check(relay, kind, &id).await {
                tracing::warn!(%error, id, "poll check failed");
            }
        })
        .await;
    Ok(count)
}

async fn check(relay: &Relay, kind: Kind, id: &str) -> Result<(), RelayError> {
    let template = match kind {
        Kind::Exchange => &relay.paths.exchange_details,
        Kind::Order => &relay.paths.order_details,
    };
    // An id that cannot be one path segment is never asked about (see `RemoteId`).
    let Some(path) = ApiPaths::with_id(template, id) else {
        return Err(RelayError::Setup(format!(
            "unusable id {id:?} is not polled"
        )));
    };
    relay.budget.acquire().await;
    let answer = relay.upstream.send(Method::GET, &path, None).await;
    if let Ok(answer) = &answer {
        if answer.status.is_success() {
            if let Some(value) = answer.json() {
                return team::store_details(relay, kind, id, &value, "poller").await;
            }
        }
    }
    // No usable answer: the row waits its turn again instead of being asked in a hot loop.
    let db = store::connection(&relay.pool).await?;
    db.execute(
        "UPDATE watched SET checked_at = now() WHERE transaction_id = $1",
        &[&id],
    )
    .await?;
    Ok(())
}

/// How long followers wait between tries for the lock, by default.
pub const LEADER_RETRY: Duration = Duration::from_millis(500);
