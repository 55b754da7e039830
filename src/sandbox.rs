//! The built-in simulated P100 Partner API server (axum, 127.0.0.1 only).
//!
//! SKELETON: the public surface below is the contract other modules build against; the
//! sandbox helper replaces the bodies and may add to it, but keeps these names and shapes.

use std::time::Duration;

/// How fast simulated time runs: queue transitions, wallet generation, the payer, lock TTLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// For tests: transitions within tens of milliseconds.
    Fast,
    /// For the demo: a person can watch each step (seconds).
    Human,
}

/// What to start the sandbox with.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// The key clients must send in `x-api-key`.
    pub api_key: String,
    /// 0 picks a free port.
    pub port: u16,
    pub pace: Pace,
    /// Seed for every random choice (payer behaviour, ids are still UUIDs), so runs repeat.
    pub seed: u64,
    /// How long an exchange or order rate lock stays valid; `None` uses the pace's default.
    pub lock_ttl: Option<Duration>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            api_key: "sandbox".into(),
            port: 0,
            pace: Pace::Human,
            seed: 100,
            lock_ttl: None,
        }
    }
}

/// A running sandbox. Dropping it does not stop the server; call [`SandboxHandle::shutdown`].
pub struct SandboxHandle {
    base_url: String,
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT` (no trailing slash, no `/v1`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(self) {}
}

/// Starts the sandbox on 127.0.0.1 and returns once it accepts connections.
pub async fn spawn(options: SandboxOptions) -> std::io::Result<SandboxHandle> {
    let _ = options;
    Err(std::io::Error::other("sandbox not built yet"))
}
