//! The typed P100 Partner API client: one shared HTTP client, the secret key, retries for reads.
//!
//! Reads (`get`) are retried with full-jitter backoff when the failure may pass. POSTs are sent
//! exactly once; when one may have been applied without a clear answer it fails with
//! [`ApiError::OutcomeUnknown`] and the caller reconciles instead of re-sending.

pub mod base_url;
pub mod budget;
mod endpoints;
pub mod error;
mod http;
mod key_echo;
mod listing;
pub mod models;
pub mod paths;
pub mod remote_id;
mod response;
pub mod retry;
mod rows;
pub mod sse;
pub mod team;

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use secrecy::SecretString;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use base_url::{BaseUrl, BaseUrlError, KnownServer};
pub use budget::{Priority, RequestBudget};
pub use error::{ApiError, AuthFailure};
pub use paths::ApiPaths;
pub use remote_id::{RemoteId, RemoteIdError};
pub use retry::RetryPolicy;

use http::{SendFailure, Transport};

/// Everything needed to talk to one P100 environment.
///
/// `Debug` shows the key as `[REDACTED]` (`SecretString`).
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// `https://partner-api-stage.p100.io` or similar: no `/v1` (the paths carry it).
    pub base_url: String,
    pub api_key: SecretString,
    pub paths: ApiPaths,
    pub connect_timeout: Duration,
    /// The whole request, connect to last body byte.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
}

impl ApiSettings {
    /// Settings with the default paths, timeouts (5 s connect, 20 s request) and retry policy.
    pub fn new(base_url: impl Into<String>, api_key: SecretString) -> Self {
        Self {
            base_url: base_url.into(),
            api_key,
            paths: ApiPaths::default(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            retry: RetryPolicy::default(),
        }
    }
}

/// The largest answer read by default: far above any documented P100 answer (a page of 50
/// history rows is a few KiB), far below what would hurt the desk's memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// A P100 client. Cloning is cheap and clones share the connection pool and throttle gate.
#[derive(Debug, Clone)]
pub struct ApiClient {
    transport: Arc<Transport>,
    paths: Arc<ApiPaths>,
    /// Reads are tried once (see [`ApiClient::single_attempt`]).
    single_attempt: bool,
    /// A larger answer is a "response too large" error, read no further.
    max_response_bytes: usize,
    /// The desk's own budget every request waits for (none: the CLI and most tests).
    budget: Option<RequestBudget>,
    /// The class its reads wait as, instead of each endpoint's own.
    priority: Option<Priority>,
}

impl ApiClient {
    /// Builds the client. Fails on an unusable base URL or a key that cannot be a header value.
    pub fn new(settings: ApiSettings) -> Result<Self, ApiError> {
        Self::build(settings, None)
    }

    /// Builds a client that also trusts the PEM certificate(s) in `ca_pem` (`[api] ca_cert`,
    /// `--ca-cert`): for a team relay whose certificate is not in the system's store.
    pub fn new_trusting(settings: ApiSettings, ca_pem: &[u8]) -> Result<Self, ApiError> {
        Self::build(settings, Some(ca_pem))
    }

    fn build(settings: ApiSettings, ca_pem: Option<&[u8]>) -> Result<Self, ApiError> {
        let transport = Transport::new(&settings, ca_pem)?;
        Ok(Self {
            transport: Arc::new(transport),
            paths: Arc::new(settings.paths),
            single_attempt: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            budget: None,
            priority: None,
        })
    }

    /// The same client with another cap on answer bodies (`[api] max_response_mib`).
    #[must_use]
    pub fn with_max_response_bytes(self, max_response_bytes: usize) -> Self {
        Self {
            max_response_bytes,
            ..self
        }
    }

    /// The same client (pool, key, throttle gate) whose reads are tried once: for a caller
    /// that retries on its own schedule and counts every request against its own budget,
    /// like the poller.
    #[must_use]
    pub fn single_attempt(&self) -> Self {
        Self {
            single_attempt: true,
            ..self.clone()
        }
    }

    /// The same client whose every request (retries included) waits for `budget`, shared
    /// with its clones: the desk's one budget for everything it sends.
    #[must_use]
    pub fn with_budget(&self, budget: RequestBudget) -> Self {
        Self {
            budget: Some(budget),
            ..self.clone()
        }
    }

    /// The same client without a budget: for a caller that has already waited for it (the
    /// poller takes its slot before it chooses the row to ask about).
    #[must_use]
    pub fn without_budget(&self) -> Self {
        Self {
            budget: None,
            ..self.clone()
        }
    }

    /// The same client whose reads wait as `priority` (a prefetch, a reconciling read).
    #[must_use]
    pub fn at_priority(&self, priority: Priority) -> Self {
        Self {
            priority: Some(priority),
            ..self.clone()
        }
    }

    /// The budget this client waits for, if any.
    pub fn budget(&self) -> Option<&RequestBudget> {
        self.budget.as_ref()
    }

    /// Waits for the budget (if there is one) as `priority`, or as the class this client was
    /// given with [`ApiClient::at_priority`].
    async fn admit(&self, priority: Priority) {
        if let Some(budget) = &self.budget {
            let priority = if priority == Priority::Money {
                priority
            } else {
                self.priority.unwrap_or(priority)
            };
            budget.acquire(priority).await;
        }
    }

    /// The paths this client uses.
    pub fn paths(&self) -> &ApiPaths {
        &self.paths
    }

    /// While the server has asked for a pause: the instant requests may flow again.
    pub fn throttled_until(&self) -> Option<Instant> {
        self.transport.gate.until(Instant::now())
    }

    /// `GET path?query`, decoded as `T`. Retryable failures are retried with full-jitter
    /// backoff up to the policy's attempts, never sooner than a `Retry-After`. A `Retry-After`
    /// longer than the policy's `max_delay` is returned as `RateLimited` at once (the gate still
    /// holds every later request), so a caller is not stuck inside one call for minutes.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ApiError> {
        self.get_as(Priority::Check, path, query).await
    }

    /// [`ApiClient::get`] whose every attempt waits for the budget as `priority`.
    pub async fn get_as<T: DeserializeOwned>(
        &self,
        priority: Priority,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ApiError> {
        let policy = self.transport.policy;
        let attempts = if self.single_attempt {
            1
        } else {
            policy.attempts()
        };
        let mut retry_index = 0;
        loop {
            self.admit(priority).await;
            let error = match self
                .transport
                .send(
                    Method::GET,
                    path,
                    query,
                    None,
                    self.max_response_bytes,
                    None,
                )
                .await
            {
                Ok(answer) => match answer.into_value() {
                    Ok(value) => return Ok(value),
                    Err(error) => error,
                },
                Err(failure) => failure.into_error(),
            };
            let server_wait = error.retry_after().unwrap_or_default();
            if !error.is_retryable()
                || retry_index + 1 >= attempts
                || server_wait > policy.max_delay
            {
                return Err(error);
            }
            let wait = policy
                .backoff_delay(retry_index, &mut rand::rng())
                .max(server_wait);
            retry_index += 1;
            tracing::debug!(path, retry = retry_index, wait_ms = wait.as_millis(), %error, "retrying P100 read");
            tokio::time::sleep(wait).await;
        }
    }

    /// `POST path` with a JSON body, decoded as `T`. Sent exactly once, never retried.
    ///
    /// A failure after the request may have reached P100 (timeout or broken connection after
    /// sending, 5xx, P500, P501, an unreadable 2xx) is [`ApiError::OutcomeUnknown`]. A request
    /// that never connected, 401, 429, P403 and other clear rejections are returned as they are.
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        // A money POST never waits for the budget; it takes its slot.
        self.admit(Priority::Money).await;
        self.post_once(path, body, unknown_if_maybe_applied, None, None)
            .await
    }

    /// [`ApiClient::post`] that is sent before `deadline` or not at all: when the client-wide
    /// pause (a server's `Retry-After`) lasts past it, nothing is sent and the answer is
    /// `RateLimited` with the wait left. For money-moving POSTs on a lock that expires.
    pub async fn post_before<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        deadline: Instant,
    ) -> Result<T, ApiError> {
        self.admit(Priority::Money).await;
        self.post_once(path, body, unknown_if_maybe_applied, Some(deadline), None)
            .await
    }

    /// A money POST (see [`ApiClient::post_before`]) carrying `Idempotency-Key: <intent id>`,
    /// so a team relay sends it upstream once whichever desk or replica it reaches (P100
    /// itself ignores the header). `deadline` as in `post_before`, when there is one.
    pub async fn post_keyed<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        intent_id: &str,
        deadline: Option<Instant>,
    ) -> Result<T, ApiError> {
        self.admit(Priority::Money).await;
        self.post_once(
            path,
            body,
            unknown_if_maybe_applied,
            deadline,
            Some(intent_id),
        )
        .await
    }

    /// Sets the longest pause a server's `Retry-After` may impose on this client and its clones
    /// (default [`retry::DEFAULT_MAX_PAUSE`]).
    pub fn set_max_throttle_pause(&self, max_pause: Duration) {
        self.transport.gate.set_max_pause(max_pause);
    }

    /// `POST path` for something that moves no money (a rate lock): sent once, never retried,
    /// and its failures returned as they are. A lost answer needs no reconciling: the caller
    /// simply asks again.
    pub async fn post_without_effects<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.admit(Priority::Trade).await;
        self.post_once(path, body, std::convert::identity, None, None)
            .await
    }

    /// Sends one POST; `after_sending` classifies a failure that may have reached P100.
    async fn post_once<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        after_sending: fn(ApiError) -> ApiError,
        deadline: Option<Instant>,
        idempotency_key: Option<&str>,
    ) -> Result<T, ApiError> {
        let json = serde_json::to_vec(body).map_err(|error| ApiError::Request {
            message: format!("the body could not be encoded: {error}"),
        })?;
        match self
            .transport
            .send_keyed(
                Method::POST,
                path,
                &[],
                Some(json),
                self.max_response_bytes,
                deadline,
                idempotency_key,
            )
            .await
        {
            Ok(answer) => answer.into_value().map_err(after_sending),
            Err(SendFailure::NotSent(error)) => Err(error),
            Err(SendFailure::MaybeReceived(error)) => Err(after_sending(error)),
        }
    }
}

/// Wraps a POST failure in `OutcomeUnknown` when P100 may have applied the request anyway.
fn unknown_if_maybe_applied(error: ApiError) -> ApiError {
    let maybe_applied = match &error {
        ApiError::Transient { .. }
        | ApiError::Timeout
        | ApiError::Network { .. }
        | ApiError::Decode { .. } => true,
        ApiError::Business { code, .. } => code.eq_ignore_ascii_case("P500"),
        _ => false,
    };
    if maybe_applied {
        ApiError::OutcomeUnknown {
            cause: Box::new(error),
        }
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_debug_hides_the_key() {
        let settings = ApiSettings::new("http://127.0.0.1:1", SecretString::from("s3cr3t-key"));
        let shown = format!("{settings:?}");
        assert!(!shown.contains("s3cr3t-key"), "{shown}");
        assert!(shown.contains("REDACTED"), "{shown}");
        let client = ApiClient::new(settings).expect("valid settings");
        let shown = format!("{client:?}");
        assert!(!shown.contains("s3cr3t-key"), "{shown}");
    }

    #[test]
    fn key_that_cannot_be_a_header_is_a_config_error_without_the_key() {
        let settings = ApiSettings::new("http://127.0.0.1:1", SecretString::from("bad\nkey"));
        let error = ApiClient::new(settings).expect_err("newline in key");
        assert!(matches!(error, ApiError::Config { .. }));
        assert!(!error.to_string().contains("bad"));
        assert!(!error.user_message().contains("bad\nkey"));
    }

    #[test]
    fn post_failures_that_may_have_applied_become_unknown() {
        let p500 = ApiError::Business {
            status: 400,
            code: "P500".into(),
            name: None,
            message: String::new(),
        };
        assert!(unknown_if_maybe_applied(p500).outcome_unknown());
        assert!(unknown_if_maybe_applied(ApiError::Timeout).outcome_unknown());
        let p433 = ApiError::Business {
            status: 400,
            code: "P433".into(),
            name: None,
            message: String::new(),
        };
        assert!(!unknown_if_maybe_applied(p433).outcome_unknown());
        assert!(
            !unknown_if_maybe_applied(ApiError::RateLimited { retry_after: None })
                .outcome_unknown()
        );
        assert!(
            !unknown_if_maybe_applied(ApiError::Unauthorized(AuthFailure::WrongKey))
                .outcome_unknown()
        );
    }
}
