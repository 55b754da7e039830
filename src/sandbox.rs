//! The built-in simulated P100 Partner API server (axum, 127.0.0.1 only).
//!
//! It serves the paths and JSON shapes of `/work/shared/P100-API.md` from a seeded treasury
//! (`assets/sandbox-seed.json`): rate locks that expire, exchanges that go PENDING ->
//! PROCESSING -> COMPLETED (or FAILED with P433 when funds are short at processing time),
//! orders with a simulated payer, an `x-api-key` check, a token-bucket rate limit, and fault
//! knobs for tests. It shares no code with `crate::api`: it writes its own JSON, so a client
//! model bug cannot hide by being mirrored.
//!
//! # Running it
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use p100_desk::sandbox::{self, Pace, SandboxOptions};
//! let options = SandboxOptions { port: 8100, pace: Pace::Human, ..SandboxOptions::default() };
//! // Serves until Ctrl-C; the callback runs once the server accepts connections.
//! sandbox::run_until_ctrl_c(options, |handle| {
//!     println!("P100 sandbox on {} (x-api-key: {})", handle.base_url(), handle.api_key());
//! })
//! .await
//! # }
//! ```
//! In tests, `spawn` with `Pace::Fast` and `port: 0`, point the client at
//! [`SandboxHandle::base_url`], steer it with the handle's methods, and finish with
//! [`SandboxHandle::shutdown`].
//!
//! # Sandbox choices (behaviour the public docs do not pin down)
//! - Every creating POST answers 201; unknown exchange/order ids answer 404
//!   `{"errorCode":"P404","errorName":"exchange-not-found"|"order-not-found",...}`; unknown
//!   routes 404 P404 `not-found`; a wrong method 405 P405 `method-not-allowed`.
//! - 429 bodies are `{"message":"Too Many Requests"}` with `Retry-After` in seconds; the
//!   limit applies to authenticated requests only (after the key check).
//! - History: `limit` must be 1..=200 and `page` >= 1 (else 400 P403); a queued exchange or
//!   order adds a PENDING row at once, with the exchange/order id as the row id, which turns
//!   SUCCESSFUL or FAILED (orders: EXPIRED -> FAILED) with it.
//! - Prices: seeded EUR values drifting +-0.4 % over a 10-minute cycle; exchanges carry a
//!   0.5 % spread, orders 1 %. Exchange `amountTo` is rounded down, the order crypto amount up.
//! - Orders need 3 confirmations; the payer pays in full 80 %, underpays 12 %, never pays 8 %
//!   of the time unless scripted; `expiresAt` is the payment deadline (null before the wallet
//!   exists and once fully paid). An underpayment is not credited.
//! - The inactive `gbp` account cannot be exchanged (400 P403).

mod addresses;
mod currency;
mod engine;
mod exchanges;
mod faults;
mod gate;
mod ledger;
mod lies;
mod orders;
mod pricing;
mod rate_limit;
mod request_log;
mod routes;
mod seed;
#[cfg(test)]
mod seed_gen;
mod server;
mod synthetic;
mod timing;
mod wire;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use engine::{Executions, PayerScript};
pub use exchanges::ExchangeStatus;
pub use faults::{Endpoint, Fault, FaultRule, Faults, RetryAfter};
pub use orders::OrderStatus;
pub use rate_limit::RateLimit;
pub use request_log::RequestRecord;
pub use routes::MAX_PAGE_LIMIT;

use server::Shared;

/// How long `shutdown` waits for open requests before cutting them off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// How fast simulated time runs: queue transitions, wallet generation, the payer, lock TTLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// For tests: each transition within 20-100 ms; locks live 2 s; payment window 600 ms.
    Fast,
    /// For the demo: each transition 2-5 s; locks live 30 s; payment window 60 s.
    Human,
}

/// What to start the sandbox with. Build it with `..SandboxOptions::default()` so that new
/// fields do not break callers.
#[derive(Clone)]
pub struct SandboxOptions {
    /// The key clients must send in `x-api-key`.
    pub api_key: String,
    /// 0 picks a free port.
    pub port: u16,
    pub pace: Pace,
    /// Seed for every random choice (step lengths, payer behaviour, addresses, fault dice), so
    /// runs repeat. Ids are still fresh random UUIDs, so they never repeat across runs.
    pub seed: u64,
    /// How long an exchange or order rate lock stays valid; `None` uses the pace's default.
    pub lock_ttl: Option<Duration>,
    /// The built-in rate limit; `None` disables it. Default: 50/s, burst 100.
    pub rate_limit: Option<RateLimit>,
    /// Extra settled history rows, older than the seeded ones (scale tests, benchmarks).
    pub history_rows: usize,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            api_key: "sandbox".into(),
            port: 0,
            pace: Pace::Human,
            seed: 100,
            lock_ttl: None,
            rate_limit: Some(RateLimit::default()),
            history_rows: 0,
        }
    }
}

impl fmt::Debug for SandboxOptions {
    /// The key is redacted: keys never appear in Debug output.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SandboxOptions")
            .field("api_key", &"[redacted]")
            .field("port", &self.port)
            .field("pace", &self.pace)
            .field("seed", &self.seed)
            .field("lock_ttl", &self.lock_ttl)
            .field("rate_limit", &self.rate_limit)
            .field("history_rows", &self.history_rows)
            .finish()
    }
}

/// `set_balance` was given a currency the sandbox has no account for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sandbox has no {0} account")]
pub struct UnknownCurrency(pub String);

/// A running sandbox. Dropping it does not stop the server; call [`SandboxHandle::shutdown`].
///
/// Besides the URL and key, it is the test control surface: fault injection
/// ([`faults`](Self::faults)), counters and the request log, order payer scripts, pausing the
/// queue, and forcing balances or lock expiry.
pub struct SandboxHandle {
    base_url: String,
    address: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: JoinHandle<io::Result<()>>,
    engine: JoinHandle<()>,
}

impl fmt::Debug for SandboxHandle {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SandboxHandle")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT` (no trailing slash, no `/v1`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The key clients must send in `x-api-key`.
    pub fn api_key(&self) -> &str {
        &self.shared.api_key
    }

    /// The fault rules: `handle.faults().push(FaultRule { .. })`, `handle.faults().clear()`.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// How many exchanges were queued and orders created (each counts once, however the
    /// client learnt of it).
    pub fn executions(&self) -> Executions {
        self.shared.world().executions
    }

    /// The balances bodies served so far (the last few thousand), oldest first.
    pub fn served_balances(&self) -> Vec<serde_json::Value> {
        self.shared.served_balances()
    }

    /// Every request received so far, in arrival order.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.shared.log.snapshot()
    }

    /// Forgets the requests logged so far.
    pub fn clear_request_log(&self) {
        self.shared.log.clear();
    }

    /// The status of exchange `id`, if it exists.
    pub fn exchange_status(&self, id: &str) -> Option<ExchangeStatus> {
        self.shared.world().exchanges.get(id).map(|e| e.status)
    }

    /// Every status exchange `id` has been in, oldest first (empty if unknown).
    pub fn exchange_transitions(&self, id: &str) -> Vec<ExchangeStatus> {
        let world = self.shared.world();
        world
            .exchanges
            .get(id)
            .map(|e| e.transitions.clone())
            .unwrap_or_default()
    }

    /// The ids of every exchange queued so far, oldest first.
    pub fn exchange_ids(&self) -> Vec<String> {
        let world = self.shared.world();
        let mut exchanges: Vec<_> = world.exchanges.values().collect();
        exchanges.sort_by_key(|e| e.seq);
        exchanges.into_iter().map(|e| e.id.clone()).collect()
    }

    /// The status of order `id`, if it exists.
    pub fn order_status(&self, id: &str) -> Option<OrderStatus> {
        self.shared.world().orders.get(id).map(|o| o.status)
    }

    /// Every status order `id` has been in, oldest first (empty if unknown).
    pub fn order_transitions(&self, id: &str) -> Vec<OrderStatus> {
        let world = self.shared.world();
        world
            .orders
            .get(id)
            .map(|o| o.transitions.clone())
            .unwrap_or_default()
    }

    /// Scripts the payer of the next order created (queued: call it n times for n orders).
    pub fn set_next_order_payer(&self, script: PayerScript) {
        self.shared.world().queue_payer(script);
    }

    /// The payer of every order with no scripted payer; `None` restores the seeded mix.
    pub fn set_default_order_payer(&self, script: Option<PayerScript>) {
        self.shared.world().set_default_payer(script);
    }

    /// `true` holds every queued exchange and order where it is (e.g. so a restart test sees
    /// PENDING rows); `false` resumes, with their deadlines moved by the time held.
    pub fn pause_processing(&self, paused: bool) {
        self.shared.world().set_paused(paused, Instant::now());
        self.shared.poke.notify_one();
    }

    /// Overwrites a balance, e.g. to force a late P433 on a queued exchange.
    pub fn set_balance(&self, currency: &str, amount: Decimal) -> Result<(), UnknownCurrency> {
        if self.shared.world().ledger.set_balance(currency, amount) {
            Ok(())
        } else {
            Err(UnknownCurrency(currency.to_owned()))
        }
    }

    /// A balance as the sandbox holds it.
    pub fn balance(&self, currency: &str) -> Option<Decimal> {
        self.shared.world().ledger.balance(currency)
    }

    /// Replaces the built-in rate limit (`None` disables it) and refills the bucket.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.shared.set_rate_limit(limit);
    }

    /// Makes every exchange and order lock issued so far expire now.
    pub fn expire_locks(&self) {
        self.shared.world().expire_locks(Instant::now());
    }

    /// Stops the server and the engine and waits for them to finish. Hung requests are
    /// answered 503; anything still open after a short grace period is cut off.
    pub async fn shutdown(self) {
        self.stop.send_replace(true);
        let server_abort = self.server.abort_handle();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.server)
            .await
            .is_err()
        {
            server_abort.abort();
        }
        let engine_abort = self.engine.abort_handle();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.engine)
            .await
            .is_err()
        {
            engine_abort.abort();
        }
    }
}

/// Starts the sandbox on 127.0.0.1 and returns once it accepts connections.
pub async fn spawn(options: SandboxOptions) -> io::Result<SandboxHandle> {
    let running = server::start(&options).await?;
    Ok(SandboxHandle {
        base_url: format!("http://{}", running.address),
        address: running.address,
        shared: running.shared,
        stop: running.stop,
        server: running.server,
        engine: running.engine,
    })
}

/// Runs the sandbox until Ctrl-C (for `p100-desk sandbox`). `on_ready` runs once it accepts
/// connections, e.g. to print the URL.
pub async fn run_until_ctrl_c(
    options: SandboxOptions,
    on_ready: impl FnOnce(&SandboxHandle),
) -> io::Result<()> {
    let handle = spawn(options).await?;
    on_ready(&handle);
    let outcome = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_key() {
        let options = SandboxOptions {
            api_key: "very-secret-key".into(),
            ..SandboxOptions::default()
        };
        let shown = format!("{options:?}");
        assert!(!shown.contains("very-secret-key"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[tokio::test]
    async fn the_handle_hides_the_key_and_serves_on_loopback() {
        let handle = spawn(SandboxOptions {
            api_key: "very-secret-key".into(),
            pace: Pace::Fast,
            ..SandboxOptions::default()
        })
        .await
        .expect("sandbox starts");
        assert!(!format!("{handle:?}").contains("very-secret-key"));
        assert!(handle.base_url().starts_with("http://127.0.0.1:"));
        assert_eq!(handle.api_key(), "very-secret-key");
        assert_eq!(
            handle.set_balance("xyz", Decimal::ONE),
            Err(UnknownCurrency("xyz".into()))
        );
        assert_eq!(handle.set_balance("eur", Decimal::ONE), Ok(()));
        assert_eq!(handle.balance("eur"), Some(Decimal::ONE));
        handle.shutdown().await;
    }
}
