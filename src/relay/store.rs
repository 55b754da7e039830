//! The relay's PostgreSQL: the connection pool, dedicated connections, migrations at start.

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::RelayError;

mod embedded {
    refinery::embed_migrations!("src/relay/migrations");
}

/// Advisory lock key held while migrating, so two relays starting together do not race.
const MIGRATION_LOCK: i64 = 0x7031_3030_6d69_6772; // "p100migr"

/// Connections the pool keeps per relay process.
const POOL_SIZE: usize = 12;

/// Parses the URL, runs the migrations and builds the pool.
pub async fn open(database_url: &str) -> Result<Pool, RelayError> {
    let config: tokio_postgres::Config = database_url
        .parse()
        .map_err(|error| RelayError::Database(format!("bad database URL: {error}")))?;
    migrate(&config).await?;
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .build()
        .map_err(|error| RelayError::Database(error.to_string()))
}

/// A connection outside the pool (the poller's advisory lock, LISTEN): its task ends when
/// the client is dropped, which releases session locks and subscriptions.
pub async fn dedicated(
    config: &tokio_postgres::Config,
) -> Result<
    (
        tokio_postgres::Client,
        tokio_postgres::Connection<tokio_postgres::Socket, tokio_postgres::tls::NoTlsStream>,
    ),
    RelayError,
> {
    config.connect(NoTls).await.map_err(RelayError::from)
}

async fn migrate(config: &tokio_postgres::Config) -> Result<(), RelayError> {
    let (mut client, connection) = dedicated(config).await?;
    let driver = tokio::spawn(connection);
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let result = embedded::migrations::runner()
        .run_async(&mut client)
        .await
        .map(|_| ())
        .map_err(|error| RelayError::Database(format!("migrations failed: {error}")));
    // Dropping the connection releases the advisory lock too.
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    drop(client);
    let _ = driver.await;
    result
}

/// A pooled connection, or the error to answer with.
pub async fn connection(pool: &Pool) -> Result<deadpool_postgres::Object, RelayError> {
    pool.get()
        .await
        .map_err(|error| RelayError::Database(format!("no database connection: {error}")))
}
