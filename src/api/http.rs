//! One HTTP exchange with P100: the throttle gate, the secret `x-api-key` header, timeouts,
//! request logging, and what a transport failure means (could anything have reached P100?).

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use secrecy::ExposeSecret as _;

use super::ApiSettings;
use super::error::ApiError;
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
    /// The key as it may come back in an answer: as sent, and JSON-escaped (see `without_key`).
    key_echoes: Vec<Vec<u8>>,
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
    pub(crate) fn new(settings: &ApiSettings) -> Result<Self, ApiError> {
        let base_url = validate_base_url(&settings.base_url)?;
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
        let http = reqwest::Client::builder()
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
            key_echoes: echo_forms(key),
            policy: settings.retry,
            gate: ThrottleGate::default(),
        })
    }

    /// Sends one request once the throttle gate is open and reads the whole answer.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        json_body: Option<Vec<u8>>,
    ) -> Result<Answer, SendFailure> {
        self.send_keyed(method, path, query, json_body, None).await
    }

    /// `send` with an `Idempotency-Key` header (the journal intent id of a money POST): a team
    /// relay sends each key upstream once; P100 itself ignores the header.
    pub(crate) async fn send_keyed(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        json_body: Option<Vec<u8>>,
        idempotency_key: Option<&str>,
    ) -> Result<Answer, SendFailure> {
        let url = self.url(path, query).map_err(SendFailure::NotSent)?;
        self.gate.wait_open().await;

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
        self.note_throttling(status, retry_after);

        let body = match response.bytes().await {
            Ok(body) => self.without_key(&body),
            Err(error) => {
                let failure = SendFailure::MaybeReceived(body_read_error(&error));
                tracing::debug!(%method, path, status = status.as_u16(), elapsed_ms = elapsed_ms(started), error = %failure_text(&failure), "P100 answer cut off");
                return Err(failure);
            }
        };
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
            body,
        })
    }

    /// The body with every copy of our key replaced. Parts of an answer reach the screen and
    /// the log (error messages and names, the start of an unreadable body); a server or proxy
    /// that echoes the request ("invalid key sk-...") must not carry the key there.
    fn without_key(&self, body: &[u8]) -> Vec<u8> {
        self.key_echoes
            .iter()
            .fold(body.to_vec(), |body, form| redact(&body, form))
    }

    /// Closes the gate for everybody when the server asked for a pause (or sent a bare 429).
    fn note_throttling(&self, status: StatusCode, retry_after: Option<Duration>) {
        let now = Instant::now();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = match retry_after {
                Some(wait) => {
                    self.gate.hold_for(now, wait);
                    wait
                }
                None => self
                    .gate
                    .hold_after_bare_rate_limit(now, &self.policy, &mut rand::rng()),
            };
            tracing::debug!(
                wait_ms = wait.as_millis(),
                "P100 rate limit; holding requests"
            );
        } else {
            self.gate.note_not_rate_limited();
            if let Some(wait) = retry_after {
                self.gate.hold_for(now, wait);
            }
        }
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

/// Accepts `http(s)://host[:port][/prefix]` and returns it without a trailing slash.
pub(crate) fn validate_base_url(raw: &str) -> Result<String, ApiError> {
    let invalid = |why: &str| ApiError::Config {
        message: format!("base URL {raw:?} {why}"),
    };
    let url =
        Url::parse(raw.trim()).map_err(|error| invalid(&format!("is not a URL ({error})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Credentials in a URL end up in logs; the key belongs in `api_key`.
        return Err(invalid("must not contain a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not contain a query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
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

/// The byte strings that spell `key` in an answer: the key itself and, when they differ, its
/// JSON-escaped forms (`"` and `\`, and `/` as `\/`, which many JSON encoders write), since
/// an echoed key in a JSON error message is decoded back into plain text.
fn echo_forms(key: &str) -> Vec<Vec<u8>> {
    let mut forms: Vec<Vec<u8>> = Vec::new();
    // A string this short occurs in ordinary answers (a key "eur" would erase every currency)
    // and is no secret; P100's keys are far longer.
    if key.chars().count() < MIN_REDACTED_KEY_CHARS {
        return forms;
    }
    let quoted = serde_json::to_string(key).unwrap_or_default();
    let escaped = quoted
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(key);
    for form in [
        key.to_owned(),
        escaped.to_owned(),
        escaped.replace('/', "\\/"),
    ] {
        if !forms.iter().any(|known| *known == form.as_bytes()) {
            forms.push(form.into_bytes());
        }
    }
    forms
}

/// Keys shorter than this are not removed from answers (see `echo_forms`).
const MIN_REDACTED_KEY_CHARS: usize = 8;

/// What replaces the key in a server's answer.
const REDACTED: &[u8] = b"[REDACTED]";

/// `body` with every occurrence of `secret` replaced by [`REDACTED`].
fn redact(body: &[u8], secret: &[u8]) -> Vec<u8> {
    if secret.is_empty() {
        return body.to_vec();
    }
    let mut clean = Vec::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest
        .windows(secret.len())
        .position(|window| window == secret)
    {
        clean.extend_from_slice(&rest[..at]);
        clean.extend_from_slice(REDACTED);
        rest = &rest[at + secret.len()..];
    }
    clean.extend_from_slice(rest);
    clean
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
    fn base_url_is_normalised() {
        assert_eq!(
            validate_base_url("https://partner-api-stage.p100.io/").expect("valid"),
            "https://partner-api-stage.p100.io"
        );
        assert_eq!(
            validate_base_url("http://127.0.0.1:8080").expect("valid"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            validate_base_url(" http://proxy.local/p100/ ").expect("valid"),
            "http://proxy.local/p100"
        );
    }

    #[test]
    fn the_key_is_redacted_from_answers() {
        assert_eq!(
            redact(b"key sk-1 is wrong; sk-1sk-1", b"sk-1"),
            b"key [REDACTED] is wrong; [REDACTED][REDACTED]"
        );
        assert_eq!(redact(b"sk-", b"sk-1"), b"sk-");
        assert_eq!(redact(b"", b"sk-1"), b"");
        assert_eq!(redact(b"{\"a\":1}", b""), b"{\"a\":1}");
    }

    #[test]
    fn json_escaped_echoes_of_the_key_are_known() {
        assert_eq!(echo_forms("plain-key"), vec![b"plain-key".to_vec()]);
        assert_eq!(
            echo_forms(r#"a/b"c\d-key"#),
            vec![
                br#"a/b"c\d-key"#.to_vec(),
                br#"a/b\"c\\d-key"#.to_vec(),
                br#"a\/b\"c\\d-key"#.to_vec(),
            ]
        );
        assert!(echo_forms("").is_empty());
        // Too short to be a P100 key, and common enough to be in any answer.
        assert!(echo_forms("eur").is_empty());
    }

    #[test]
    fn bad_base_urls_are_refused() {
        for bad in [
            "",
            "partner-api.p100.io",
            "ftp://partner-api.p100.io",
            "https://user:pw@partner-api.p100.io",
            "https://partner-api.p100.io/?x=1",
            "https://partner-api.p100.io/#frag",
        ] {
            assert!(
                matches!(validate_base_url(bad), Err(ApiError::Config { .. })),
                "{bad:?} was accepted"
            );
        }
    }
}
