//! The simulated back office: the `World` state (books, locks, queued exchanges, orders), the
//! scheduler that advances queued items when their next step is due, and the background task
//! that drives it. Exchange and order rules live in `exchanges.rs` and `orders.rs`.
//!
//! Every random choice (step lengths, the payer, addresses) comes from RNGs seeded from
//! `SandboxOptions::seed`, and items due at the same moment are stepped in creation order, so
//! a run with the same requests makes the same choices. Ids are the exception: they are fresh
//! v4 UUIDs, because a client's journal outlives a sandbox run and must never mistake a new
//! exchange for an old one with a repeated id.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::exchanges::{Exchange, ExchangeLock};
use super::ledger::Ledger;
use super::orders::{Order, OrderLock};
use super::timing::{Clock, Timing};

/// Why a request was refused; routes turn each into the documented HTTP error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// HTTP 400 P403 with the messages joined by `"; "`.
    Invalid(Vec<String>),
    /// HTTP 400 P410 invalid-currency.
    UnknownCurrency(String),
    /// HTTP 404 P462 invalid-order-lock.
    InvalidOrderLock(String),
}

impl Rejection {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(vec![message.into()])
    }
}

/// How the simulated payer of an order behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayerScript {
    /// Sends the full amount; the order is confirmed and COMPLETED.
    PayInFull,
    /// Sends part of the amount (`PARTIALLY_PAID`), then the order expires.
    Underpay,
    /// Never pays; the order EXPIRES after the payment window.
    NeverPay,
}

/// Counts of money-moving requests the sandbox applied, so tests can prove nothing ran twice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Executions {
    /// `POST /v1/partner/exchange` calls that queued an exchange.
    pub exchanges: u32,
    /// `POST /v1/order` calls that created an order.
    pub orders: u32,
    /// Money POSTs (exchange or order) that arrived after their lock had expired, and were
    /// refused for it: a desk must never send one, so the soak checks this stays 0.
    pub expired_lock_posts: u32,
}

/// Everything the simulated server knows. Lives behind one mutex; never held across `.await`.
pub struct World {
    pub ledger: Ledger,
    pub timing: Timing,
    pub clock: Clock,
    /// Step lengths, the payer's choices, partial amounts.
    pub rng: StdRng,
    /// Addresses and hashes: a separate stream, so generating one never shifts a transition.
    shapes: StdRng,
    pub exchange_locks: HashMap<String, ExchangeLock>,
    pub order_locks: HashMap<String, OrderLock>,
    pub exchanges: HashMap<String, Exchange>,
    pub orders: HashMap<String, Order>,
    next_seq: u64,
    paused_since: Option<Instant>,
    payer_queue: VecDeque<PayerScript>,
    default_payer: Option<PayerScript>,
    pub executions: Executions,
}

/// A queued item the scheduler can step.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Exchange(String),
    Order(String),
}

impl World {
    pub fn new(ledger: Ledger, timing: Timing, clock: Clock, seed: u64) -> Self {
        Self {
            ledger,
            timing,
            clock,
            rng: StdRng::seed_from_u64(seed),
            shapes: StdRng::seed_from_u64(seed ^ 0x5A_A9E5),
            exchange_locks: HashMap::new(),
            order_locks: HashMap::new(),
            exchanges: HashMap::new(),
            orders: HashMap::new(),
            next_seq: 0,
            paused_since: None,
            payer_queue: VecDeque::new(),
            default_payer: None,
            executions: Executions::default(),
        }
    }

    /// `count` random characters from `alphabet`, from the seeded shapes stream.
    pub fn random_text(&mut self, alphabet: &[u8], count: usize) -> String {
        (0..count)
            .map(|_| {
                let index = self.shapes.random_range(0..alphabet.len());
                char::from(alphabet.get(index).copied().unwrap_or(b'0'))
            })
            .collect()
    }

    /// Creation order of queued items, used to step simultaneous items deterministically.
    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// The next order's payer: a scripted one if queued, else the default, else a seeded
    /// draw (sandbox choice: 80 % pay in full, 12 % underpay, 8 % never pay).
    pub fn take_payer(&mut self) -> PayerScript {
        if let Some(script) = self.payer_queue.pop_front() {
            return script;
        }
        if let Some(script) = self.default_payer {
            return script;
        }
        match self.rng.random_range(0..100u32) {
            0..80 => PayerScript::PayInFull,
            80..92 => PayerScript::Underpay,
            _ => PayerScript::NeverPay,
        }
    }

    pub fn queue_payer(&mut self, script: PayerScript) {
        self.payer_queue.push_back(script);
    }

    pub fn set_default_payer(&mut self, script: Option<PayerScript>) {
        self.default_payer = script;
    }

    pub fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }

    /// Holds every queued item where it is. On resume, every pending deadline moves by the
    /// time spent paused, so an order does not expire because the test paused it.
    pub fn set_paused(&mut self, paused: bool, now: Instant) {
        match (paused, self.paused_since) {
            (true, None) => self.paused_since = Some(now),
            (false, Some(since)) => {
                self.paused_since = None;
                let held = now.saturating_duration_since(since);
                for exchange in self.exchanges.values_mut() {
                    exchange.due = exchange.due.map(|due| due + held);
                }
                for order in self.orders.values_mut() {
                    order.due = order.due.map(|due| due + held);
                    order.payment_deadline = order.payment_deadline.map(|at| at + held);
                }
            }
            _ => {}
        }
    }

    /// When the scheduler must next wake up; `None` if nothing is queued or processing is
    /// paused.
    pub fn next_due(&self) -> Option<Instant> {
        if self.is_paused() {
            return None;
        }
        let exchanges = self.exchanges.values().filter_map(|item| item.due);
        let orders = self.orders.values().filter_map(|item| item.due);
        exchanges.chain(orders).min()
    }

    /// Performs every step due at `now`, earliest first, then creation order.
    pub fn advance(&mut self, now: Instant) {
        if self.is_paused() {
            return;
        }
        let mut due: Vec<(Instant, u64, Item)> = Vec::new();
        for item in self.exchanges.values() {
            if let Some(at) = item.due.filter(|at| *at <= now) {
                due.push((at, item.seq, Item::Exchange(item.id.clone())));
            }
        }
        for item in self.orders.values() {
            if let Some(at) = item.due.filter(|at| *at <= now) {
                due.push((at, item.seq, Item::Order(item.id.clone())));
            }
        }
        due.sort_by_key(|entry| (entry.0, entry.1));
        for (_, _, item) in due {
            match item {
                Item::Exchange(id) => self.step_exchange(&id, now),
                Item::Order(id) => self.step_order(&id, now),
            }
        }
    }

    /// Makes every outstanding exchange and order lock expire now (a test shortcut).
    pub fn expire_locks(&mut self, now: Instant) {
        for lock in self.exchange_locks.values_mut() {
            lock.expires_at = lock.expires_at.min(now);
        }
        for lock in self.order_locks.values_mut() {
            lock.expires_at = lock.expires_at.min(now);
        }
    }
}

/// A fresh random UUID v4 (not seeded: see the module doc).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Locks the world, recovering from a poisoned mutex: the state is plain data, and a
/// panicking test thread must not take the whole sandbox down with it.
pub fn lock_world(world: &Mutex<World>) -> MutexGuard<'_, World> {
    world.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The background task: sleeps until the next step is due (or until poked because something
/// was queued, paused or resumed), performs it, and stops when `shutdown` turns true.
pub async fn drive(
    world: Arc<Mutex<World>>,
    poke: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let next = lock_world(&world).next_due();
        tokio::select! {
            () = sleep_until_or_forever(next) => lock_world(&world).advance(Instant::now()),
            () = poke.notified() => {}
            changed = shutdown.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

async fn sleep_until_or_forever(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
