//! Starting the sandbox: the state shared by handlers, middleware and the engine task, the
//! router, and the two background tasks (HTTP server, engine).

use std::collections::VecDeque;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use chrono::Utc;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::SandboxOptions;
use super::engine::{self, World, lock_world};
use super::faults::Faults;
use super::gate::gate;
use super::rate_limit::{RateLimit, TokenBucket};
use super::request_log::RequestLog;
use super::routes;
use super::seed::{SEED_JSON, load};
use super::synthetic;
use super::timing::{Clock, Timing};

/// How many served balances bodies are remembered (a demo running for days stays bounded).
const SERVED_BALANCES_KEPT: usize = 4096;

/// Mixed into the seed for the fault dice, so fault rolls never shift engine choices.
const FAULT_SEED_SALT: u64 = 0xFA_0175;

/// What handlers, the middleware, the engine task and the handle share.
pub struct Shared {
    pub api_key: String,
    pub world: Arc<Mutex<World>>,
    /// Wakes the engine task when something was queued, paused or resumed.
    pub poke: Arc<Notify>,
    pub faults: Faults,
    pub log: RequestLog,
    bucket: Mutex<TokenBucket>,
    /// The last balances bodies served (bounded), so tests can prove a client shows only
    /// balances the API actually sent.
    served_balances: Mutex<VecDeque<Value>>,
    /// Turns true when the sandbox stops (hung requests and the engine watch it).
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub fn world(&self) -> MutexGuard<'_, World> {
        lock_world(&self.world)
    }

    /// Takes a rate-limit token, or says how long until one is free.
    pub fn take_token(&self, now: Instant) -> Result<(), Duration> {
        self.bucket().try_take(now)
    }

    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.bucket().set_limit(limit, Instant::now());
    }

    /// Remembers a balances body as it is sent, keeping the last `SERVED_BALANCES_KEPT`.
    pub fn note_served_balances(&self, body: &Value) {
        let mut served = self
            .served_balances
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if served.len() == SERVED_BALANCES_KEPT {
            served.pop_front();
        }
        served.push_back(body.clone());
    }

    pub fn served_balances(&self) -> Vec<Value> {
        let served = self
            .served_balances
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        served.iter().cloned().collect()
    }

    fn bucket(&self) -> MutexGuard<'_, TokenBucket> {
        self.bucket.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A started sandbox's parts.
pub struct Running {
    pub shared: Arc<Shared>,
    pub address: SocketAddr,
    pub stop: watch::Sender<bool>,
    pub server: JoinHandle<io::Result<()>>,
    pub engine: JoinHandle<()>,
}

/// Binds 127.0.0.1, builds the world from the seed, and starts both tasks.
pub async fn start(options: &SandboxOptions) -> io::Result<Running> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, options.port)).await?;
    let address = listener.local_addr()?;
    let origin = Instant::now();
    let origin_wall = Utc::now();
    let mut ledger = load(SEED_JSON, origin_wall).map_err(io::Error::other)?;
    if options.history_rows > 0 {
        let oldest = ledger.oldest_row_at().unwrap_or(origin_wall);
        ledger.extend_history(synthetic::rows(options.history_rows, oldest));
    }
    let world = World::new(
        ledger,
        Timing::for_pace(options.pace, options.lock_ttl),
        Clock::new(origin, origin_wall),
        options.seed,
    );
    let (stop, shutdown) = watch::channel(false);
    let shared = Arc::new(Shared {
        api_key: options.api_key.clone(),
        world: Arc::new(Mutex::new(world)),
        poke: Arc::new(Notify::new()),
        faults: Faults::new(options.seed ^ FAULT_SEED_SALT),
        log: RequestLog::new(origin),
        bucket: Mutex::new(TokenBucket::new(options.rate_limit, origin)),
        served_balances: Mutex::new(VecDeque::new()),
        shutdown: shutdown.clone(),
    });
    let engine = tokio::spawn(engine::drive(
        Arc::clone(&shared.world),
        Arc::clone(&shared.poke),
        shutdown.clone(),
    ));
    let app = router(Arc::clone(&shared));
    let mut server_shutdown = shutdown;
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                // An error means the handle is gone: stop as well.
                let _ = server_shutdown.wait_for(|stopping| *stopping).await;
            })
            .await
    });
    Ok(Running {
        shared,
        address,
        stop,
        server,
        engine,
    })
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/partner/balances", get(routes::balances))
        .route("/v1/partner/transactions", get(routes::transactions))
        .route("/v1/partner/exchange/rate", get(routes::exchange_rate))
        .route("/v1/partner/exchange/lock", get(routes::exchange_lock))
        .route("/v1/partner/exchange", post(routes::exchange))
        .route("/v1/exchange/details/{id}", get(routes::exchange_details))
        .route("/v1/order/rates", get(routes::order_rates))
        .route("/v1/order/lock-rate", post(routes::order_lock))
        .route("/v1/order", post(routes::order_create))
        .route("/v1/order/details/{id}", get(routes::order_details))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(from_fn_with_state(Arc::clone(&shared), gate))
        .with_state(shared)
}
