//! The relay's one way to P100: a thin forwarder that adds the team's key (`x-api-key`, marked
//! sensitive), follows the desk client's rules (no redirects, no retries, timeouts, a body
//! cap) and takes every echo of the key out of the answer before anyone sees it.

use std::fmt;
use std::time::Duration;

use axum::body::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;

use super::RelayError;

/// Far above any documented P100 answer; a bigger one is cut off as a failure.
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;
/// What replaces the key wherever P100 echoed it.
const REDACTED: &str = "[redacted]";

/// A complete answer from P100.
#[derive(Debug, Clone)]
pub struct UpstreamAnswer {
    pub status: StatusCode,
    pub retry_after: Option<HeaderValue>,
    /// JSON (or whatever P100 sent), with the key removed.
    pub body: Bytes,
}

impl UpstreamAnswer {
    /// The body as JSON, when it is.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Why no complete answer came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamFailure {
    /// The connection was never made: P100 saw nothing.
    NotSent,
    /// The request left (timeout, reset, cut-off or oversized answer): it may have been applied.
    MaybeReceived,
}

/// The forwarder. Cloning shares the connection pool.
#[derive(Clone)]
pub struct Upstream {
    http: reqwest::Client,
    base_url: String,
    key: Option<HeaderValue>,
    secret: SecretString,
}

impl fmt::Debug for Upstream {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Upstream")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    pub fn new(base_url: &str, key: SecretString, timeout: Duration) -> Result<Self, RelayError> {
        let base_url = base_url.trim_end_matches('/').to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(RelayError::Setup(format!(
                "the upstream URL must start with http:// or https://: {base_url}"
            )));
        }
        let header = if key.expose_secret().is_empty() {
            None
        } else {
            let mut value = HeaderValue::from_str(key.expose_secret()).map_err(|_| {
                RelayError::Setup(
                    "the P100 key contains characters that cannot be sent in a header".into(),
                )
            })?;
            value.set_sensitive(true);
            Some(value)
        };
        let http = reqwest::Client::builder()
            .user_agent(concat!("p100-desk-relay/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .pool_idle_timeout(Duration::from_secs(20))
            .build()
            .map_err(|error| RelayError::Setup(format!("HTTP client: {error}")))?;
        Ok(Self {
            http,
            base_url,
            key: header,
            secret: key,
        })
    }

    /// Sends one request, once. `path_and_query` starts with `/`.
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        json_body: Option<Bytes>,
    ) -> Result<UpstreamAnswer, UpstreamFailure> {
        let url = format!("{}{path_and_query}", self.base_url);
        let mut request = self.http.request(method.clone(), url);
        if let Some(key) = &self.key {
            request = request.header("x-api-key", key.clone());
        }
        if let Some(body) = json_body {
            request = request
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body);
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                let failure = if error.is_connect() {
                    UpstreamFailure::NotSent
                } else {
                    UpstreamFailure::MaybeReceived
                };
                tracing::warn!(%method, path = path_and_query, ?failure, "P100 request failed");
                return Err(failure);
            }
        };
        let status = response.status();
        let retry_after = response.headers().get(RETRY_AFTER).cloned();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                        tracing::warn!(path = path_and_query, "P100 answer over the size cap");
                        return Err(UpstreamFailure::MaybeReceived);
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(_) => return Err(UpstreamFailure::MaybeReceived),
            }
        }
        Ok(UpstreamAnswer {
            status,
            retry_after,
            body: Bytes::from(without_key(&body, self.secret.expose_secret())),
        })
    }
}

/// The body with every echo of `key` replaced. A JSON body is decoded first, so an echo in any
/// escaped spelling (`\u0063...`) is found in the decoded text; anything else is searched raw.
/// Keys under 8 characters are left alone (as in the desk's client: they would erase ordinary
/// words and are no secret).
fn without_key(body: &[u8], key: &str) -> Vec<u8> {
    if key.len() < 8 {
        return body.to_vec();
    }
    if let Ok(mut value) = serde_json::from_slice::<Value>(body) {
        if scrub(&mut value, key) {
            return serde_json::to_vec(&value).unwrap_or_default();
        }
        return body.to_vec();
    }
    let text = String::from_utf8_lossy(body);
    if text.contains(key) {
        text.replace(key, REDACTED).into_bytes()
    } else {
        body.to_vec()
    }
}

/// Replaces the key in every string and object key; true if anything changed.
fn scrub(value: &mut Value, key: &str) -> bool {
    match value {
        Value::String(text) if text.contains(key) => {
            *text = text.replace(key, REDACTED);
            true
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, item| scrub(item, key) | changed),
        Value::Object(map) => {
            let mut changed = false;
            if map.keys().any(|name| name.contains(key)) {
                let entries = std::mem::take(map);
                for (name, item) in entries {
                    map.insert(name.replace(key, REDACTED), item);
                }
                changed = true;
            }
            map.values_mut()
                .fold(changed, |changed, item| scrub(item, key) | changed)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_keys_are_removed_in_any_spelling() {
        let key = "team-secret-key-123";
        let escaped = br#"{"errorMessage":"bad key \u0074eam-secret-key-123","x":[1]}"#;
        let cleaned = String::from_utf8(without_key(escaped, key)).expect("utf-8");
        assert!(!cleaned.contains("secret-key"), "{cleaned}");
        assert!(cleaned.contains(REDACTED));
        let raw = b"<html>team-secret-key-123</html>";
        let cleaned = String::from_utf8(without_key(raw, key)).expect("utf-8");
        assert_eq!(cleaned, "<html>[redacted]</html>");
        let untouched = br#"{"amount": 1.50}"#;
        assert_eq!(without_key(untouched, key), untouched.to_vec());
    }
}
