//! One HTTP exchange with P100: the throttle gate, the secret `x-api-key` header, timeouts,
//! request logging, and what a transport failure means (could anything have reached P100?).

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use secrecy::ExposeSecret as _;

use super::ApiSettings;
use super::base_url::BaseUrl;
use super::error::ApiError;
use super::key_echo::KeyEchoes;
use super::response::Answer;
use super::retry::{RetryPolicy, ThrottleGate, parse_retry_after};

/// Why an exchange produced no complete answer, split by whether P100 may have seen it.
#[derive(Debug)]
pub(crate) enum SendFailure {
    /// Nothing reached the server: the connection was never made or the request never built.
    NotSent(ApiError),
    /// The request left; it may or may not have been received and acted on.
    MaybeReceived(ApiError),
}

impl SendFailure {
    pub(crate) fn into_error(self) -> ApiError {
        match self {
            Self::NotSent(error) | Self::MaybeReceived(error) => error,
        }
    }
}

/// The shared state behind every clone of an `ApiClient`.
pub(crate) struct Transport {
    http: reqwest::Client,
    /// Validated, without a trailing slash; paths are appended to it.
    base_url: String,
    /// Marked sensitive, so hyper and `Debug` never print it. `None` when the key is empty, so
    /// the server answers with its "no key" 401 (xo1) rather than "wrong key".
    api_key: Option<HeaderValue>,
    /// The key as it may come back in an answer, raw or JSON-escaped.
    key_echoes: KeyEchoes,
    pub(crate) policy: RetryPolicy,
    pub(crate) gate: ThrottleGate,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base_url", &self.base_url)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// `ca_pem`: PEM certificates trusted besides the built-in roots (a team relay's own CA).
    pub(crate) fn new(settings: &ApiSettings, ca_pem: Option<&[u8]>) -> Result<Self, ApiError> {
        let base_url = BaseUrl::parse(&settings.base_url)
            .map_err(|why| ApiError::Config {
                message: format!("base URL {:?} {why}", settings.base_url),
            })?
            .as_str()
            .to_owned();
        let key = settings.api_key.expose_secret();
        let api_key = if key.is_empty() {
            None
        } else {
            let mut value = HeaderValue::from_str(key).map_err(|_| ApiError::Config {
                message: "the API key contains characters that cannot be sent in a header"
                    .to_owned(),
            })?;
            value.set_sensitive(true);
            Some(value)
        };
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = ca_pem {
            let roots = reqwest::Certificate::from_pem_bundle(pem)
                .ok()
                .filter(|roots| !roots.is_empty())
                .ok_or_else(|| ApiError::Config {
                    message: "the CA certificate file holds no PEM CERTIFICATE".to_owned(),
                })?;
            for root in roots {
                builder = builder.add_root_certificate(root);
            }
        }
        let http = builder
            .user_agent(concat!("p100-desk/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            // reqwest strips only well-known credential headers on a cross-host redirect, not
            // `x-api-key`; P100 does not redirect, so none is followed.
            .redirect(reqwest::redirect::Policy::none())
            // "A POST is sent once" must hold below us too.
            .retry(reqwest::retry::never())
            // A POST written onto a pooled connection the server has just closed comes back as
            // OutcomeUnknown; dropping idle connections well before common 60 s server
            // keep-alives makes that rare.
            .pool_idle_timeout(Duration::from_secs(20))
            .build()
            .map_err(|error| ApiError::Config {
                message: format!("the HTTP client could not start: {}", root_cause(&error)),
            })?;
        Ok(Self {
            http,
            base_url,
            api_key,
            key_echoes: KeyEchoes::new(key),
            policy: settings.retry,
            gate: ThrottleGate::default(),
        })
    }

    /// Sends one request once the throttle gate is open and reads the whole answer, at most
    /// `body_limit` bytes of it.
    ///
    /// With a `deadline`, the request is sent before it or not at all: when the gate stays
    /// closed past it, nothing is sent and the answer is `NotSent(RateLimited)` with the wait
    /// still left (a money-moving POST must not leave after its lock has expired).
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        json_body: Option<Vec<u8>>,
        body_limit: usize,
        deadline: Option<Instant>,
    ) -> Result<Answer, SendFailure> {
        self.send_keyed(method, path, query, json_body, body_limit, deadline, None)
            .await
    }

    /// `send` with an `Idempotency-Key` header (the journal intent id of a money POST): a team
    /// relay sends each key upstream once; P100 itself ignores the header.
    // One request's parts, each used once; a struct would only rename them.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn send_keyed(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        json_body: Option<Vec<u8>>,
        body_limit: usize,
        deadline: Option<Instant>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, SendFailure> {
        let url = self.url(path, query).map_err(SendFailure::NotSent)?;
        match deadline {
            None => self.gate.wait_open().await,
            Some(deadline) => {
                if Instant::now() >= deadline {
                    return Err(SendFailure::NotSent(ApiError::Request {
                        message: "its lock ran out before it could leave, so nothing was sent"
                            .to_owned(),
                    }));
                }
                if let Err(until) = self.gate.wait_open_before(deadline).await {
                    let left = until.saturating_duration_since(Instant::now());
                    tracing::debug!(%method, path, wait_ms = left.as_millis(), "P100 pause outlasts the deadline; not sent");
                    return Err(SendFailure::NotSent(ApiError::RateLimited {
                        retry_after: Some(left),
                    }));
                }
            }
        }

        let mut request = self.http.request(method.clone(), url);
        if let Some(key) = &self.api_key {
            request = request.header("x-api-key", key.clone());
        }
        if let Some(key) = idempotency_key.and_then(|key| HeaderValue::from_str(key).ok()) {
            request = request.header("idempotency-key", key);
        }
        if let Some(body) = json_body {
            request = request
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body);
        }

        let started = Instant::now();
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                let failure = classify_send_error(&error);
                tracing::debug!(%method, path, elapsed_ms = elapsed_ms(started), error = %failure_text(&failure), "P100 request failed");
                return Err(failure);
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        // A pause the server asked for is told on as the wait the client holds (capped):
        // whoever honours it (the poller pauses every row) never waits past the cap.
        let held = self.note_throttling(status, retry_after);
        let retry_after = retry_after.map(|asked| held.unwrap_or(asked));

        let body = match read_capped(response, body_limit).await {
            Ok(body) => self.key_echoes.scrub(&body),
            // An error answer is classified by its status alone when its body is too large
            // (a 429 stays a 429); a 2xx without its body is unusable.
            Err(BodyError::TooLarge(_)) if !status.is_success() => {
                tracing::warn!(%method, path, status = status.as_u16(), "P100 error answer too large; body ignored");
                self.key_echoes.scrub(&[])
            }
            Err(BodyError::TooLarge(error) | BodyError::Read(error)) => {
                let failure = SendFailure::MaybeReceived(error);
                tracing::debug!(%method, path, status = status.as_u16(), elapsed_ms = elapsed_ms(started), error = %failure_text(&failure), "P100 answer not read");
                return Err(failure);
            }
        };
        if body.echoed {
            tracing::warn!(%method, path, status = status.as_u16(), "P100 answer echoed the API key; redacted");
        }
        tracing::debug!(
            %method,
            path,
            status = status.as_u16(),
            elapsed_ms = elapsed_ms(started),
            "P100 request"
        );
        Ok(Answer {
            status,
            retry_after,
            body: body.body,
            echoed_key: body.echoed,
        })
    }

    /// Closes the gate for everybody when the server asked for a pause: a 429 (with its
    /// `Retry-After`, or a growing backoff without one) or a 503 with `Retry-After`. Only those
    /// two pause the client: a `Retry-After` on any other answer is not a request to slow down
    /// (and a hostile one on a details poll must not hold a confirmed POST). Every pause is
    /// capped by the gate. Returns the pause held, if one is.
    fn note_throttling(
        &self,
        status: StatusCode,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let now = Instant::now();
        let wait = if status == StatusCode::TOO_MANY_REQUESTS {
            Some(match retry_after {
                Some(wait) => self.gate.hold_for(now, wait),
                None => self
                    .gate
                    .hold_after_bare_rate_limit(now, &self.policy, &mut rand::rng()),
            })
        } else {
            self.gate.note_not_rate_limited();
            retry_after
                .filter(|_| status == StatusCode::SERVICE_UNAVAILABLE)
                .map(|wait| self.gate.hold_for(now, wait))
        };
        if let Some(wait) = wait {
            tracing::debug!(
                status = status.as_u16(),
                wait_ms = wait.as_millis(),
                "P100 asked for a pause; holding requests"
            );
        }
        wait
    }

    /// Opens a long-lived `GET` (a relay's server-sent events) with the key, past the gate.
    /// The client's whole-request timeout would cut the stream, so this request gets a day;
    /// the caller notices a silent stream by its own read timeout. A non-2xx answer is the
    /// error it stands for.
    pub(crate) async fn open_stream(&self, path: &str) -> Result<reqwest::Response, ApiError> {
        const STREAM_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
        let url = self.url(path, &[])?;
        self.gate.wait_open().await;
        let mut request = self
            .http
            .get(url)
            .timeout(STREAM_LIFETIME)
            .header(reqwest::header::ACCEPT, "text/event-stream");
        if let Some(key) = &self.api_key {
            request = request.header("x-api-key", key.clone());
        }
        let response = request
            .send()
            .await
            .map_err(|error| classify_send_error(&error).into_error())?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = read_capped(response, 64 * 1024)
            .await
            .map_or_else(|_| Vec::new(), |body| self.key_echoes.scrub(&body).body);
        Err(Answer {
            status,
            retry_after: None,
            body,
            echoed_key: false,
        }
        .into_value::<serde_json::Value>()
        .err()
        .unwrap_or(ApiError::Decode {
            message: "the event stream answered without an error".to_owned(),
            excerpt: String::new(),
        }))
    }

    /// Removes the key from a chunk of a streamed answer (it never should carry it).
    pub(crate) fn scrub_chunk(&self, chunk: &[u8]) -> Vec<u8> {
        self.key_echoes.scrub(chunk).body
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url, ApiError> {
        let separator = if path.starts_with('/') { "" } else { "/" };
        let mut url =
            Url::parse(&format!("{}{separator}{path}", self.base_url)).map_err(|error| {
                ApiError::Request {
                    message: format!("invalid path {path:?}: {error}"),
                }
            })?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(key, value)| (*key, value.as_str())));
        }
        Ok(url)
    }
}

/// A failed `send()`: before any byte left (connect phase) it is `NotSent`, otherwise the
/// request may have arrived.
fn classify_send_error(error: &reqwest::Error) -> SendFailure {
    if error.is_builder() {
        return SendFailure::NotSent(ApiError::Request {
            message: root_cause(error),
        });
    }
    if error.is_connect() {
        return SendFailure::NotSent(if error.is_timeout() {
            ApiError::Timeout
        } else {
            ApiError::Network {
                message: format!("could not connect ({})", root_cause(error)),
            }
        });
    }
    SendFailure::MaybeReceived(if error.is_timeout() {
        ApiError::Timeout
    } else {
        ApiError::Network {
            message: format!("the connection broke ({})", root_cause(error)),
        }
    })
}

fn body_read_error(error: &reqwest::Error) -> ApiError {
    if error.is_timeout() {
        ApiError::Timeout
    } else {
        ApiError::Network {
            message: format!("the answer was cut off ({})", root_cause(error)),
        }
    }
}

/// Why a body was not read.
enum BodyError {
    /// Larger than the cap: a "response too large" `Decode` error.
    TooLarge(ApiError),
    /// The connection broke or timed out while reading.
    Read(ApiError),
}

/// Reads the body chunk by chunk, refusing it as soon as it is larger than `limit` (by its
/// `content-length` or by what arrived), so an endless or huge answer is never held in memory.
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    let too_large = || {
        BodyError::TooLarge(ApiError::Decode {
            message: format!(
                "response too large: more than {}; answer discarded",
                byte_size(limit)
            ),
            excerpt: String::new(),
        })
    };
    let declared = response.content_length().unwrap_or(0);
    if usize::try_from(declared).map_or(true, |declared| declared > limit) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| BodyError::Read(body_read_error(&error)))?
    {
        if chunk.len() > limit - body.len() {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `8 MiB`, `64 KiB` or `100 bytes`.
fn byte_size(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes % KIB == 0 {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The innermost error's text ("Connection refused (os error 111)"), without reqwest's URL.
fn root_cause(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

fn failure_text(failure: &SendFailure) -> String {
    match failure {
        SendFailure::NotSent(error) => format!("not sent: {error}"),
        SendFailure::MaybeReceived(error) => format!("maybe received: {error}"),
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_written_for_people() {
        assert_eq!(byte_size(8 * 1024 * 1024), "8 MiB");
        assert_eq!(byte_size(64 * 1024), "64 KiB");
        assert_eq!(byte_size(1000), "1000 bytes");
    }
}
