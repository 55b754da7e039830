//! `ApiError`: every way a P100 call can fail, what each means for retrying and for a POST's
//! outcome, and the words the user sees for it.
//!
//! An `ApiError` holds only classified facts (status, P-code, the server's message, a short
//! sanitized excerpt): never headers, the request, or the key.

use std::time::Duration;

mod text;

pub use text::friendly_code;

/// Which of P100's documented 401 suffixes came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// `xo1`: the request carried no key.
    MissingKey,
    /// `xo2`: the key is wrong (or belongs to the other environment).
    WrongKey,
    /// `xo3`: the caller's IP is not on the production allow-list.
    IpNotAllowed,
    /// A 401 without a recognisable suffix.
    Unspecified,
}

impl AuthFailure {
    /// Finds the earliest `xo1`/`xo2`/`xo3` anywhere in a 401 body, case-insensitively, so both
    /// `Access Denied. xo2` and `{"message":"Access Denied xo2"}` are understood.
    pub fn from_body(body: &str) -> Self {
        let lower = body.to_ascii_lowercase();
        [
            ("xo1", Self::MissingKey),
            ("xo2", Self::WrongKey),
            ("xo3", Self::IpNotAllowed),
        ]
        .into_iter()
        .filter_map(|(suffix, failure)| lower.find(suffix).map(|at| (at, failure)))
        .min_by_key(|(at, _)| *at)
        .map_or(Self::Unspecified, |(_, failure)| failure)
    }

    /// The documented suffix, if one was recognised.
    pub fn suffix(self) -> Option<&'static str> {
        match self {
            Self::MissingKey => Some("xo1"),
            Self::WrongKey => Some("xo2"),
            Self::IpNotAllowed => Some("xo3"),
            Self::Unspecified => None,
        }
    }
}

/// A failed P100 call, classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// HTTP 401.
    #[error("access denied ({})", .0.suffix().unwrap_or("no reason given"))]
    Unauthorized(AuthFailure),

    /// P403: the request did not pass P100's validation; one entry per message.
    #[error("validation failed (P403): {}", .messages.join("; "))]
    Validation { messages: Vec<String> },

    /// Any other rejection with a 4xx status: a P-code (kept verbatim, known or not) or, when
    /// the body carried none, an empty `code`.
    #[error("rejected with {} (HTTP {status}): {message}", if code.is_empty() { "no code" } else { code.as_str() })]
    Business {
        status: u16,
        code: String,
        name: Option<String>,
        message: String,
    },

    /// HTTP 429. `retry_after` is the server's `Retry-After`, when it sent one.
    #[error("rate limited (HTTP 429)")]
    RateLimited { retry_after: Option<Duration> },

    /// A failure that may pass: HTTP 5xx, 408, or P501 (which P100 sends as HTTP 400).
    #[error("temporary failure (HTTP {status}{}): {message}", code.as_ref().map(|c| format!(", {c}")).unwrap_or_default())]
    Transient {
        status: u16,
        code: Option<String>,
        message: String,
    },

    /// No answer within the configured time.
    #[error("timed out")]
    Timeout,

    /// The connection failed or broke (refused, reset, closed early).
    #[error("network error: {message}")]
    Network { message: String },

    /// The answer could not be understood. `excerpt` is the start of the body, sanitized.
    #[error("unreadable response: {message}")]
    Decode { message: String, excerpt: String },

    /// A POST that may have been applied by P100 although no clear answer came back. Must never
    /// be re-sent blindly: reconcile through the details endpoint or the history first.
    #[error("outcome unknown: {cause}")]
    OutcomeUnknown { cause: Box<ApiError> },

    /// The client settings are unusable (bad base URL, a key that cannot be sent as a header).
    #[error("invalid API settings: {message}")]
    Config { message: String },

    /// The request could not be built; nothing was sent.
    #[error("could not build the request: {message}")]
    Request { message: String },
}

impl ApiError {
    /// Whether a read may be sent again: the failure may pass by itself.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Transient { .. }
                | Self::RateLimited { .. }
                | Self::Timeout
                | Self::Network { .. }
        )
    }

    /// Whether this is a POST that may have been applied: the row is Unknown until reconciled.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Self::OutcomeUnknown { .. })
    }

    /// How long the server asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            Self::OutcomeUnknown { cause } => cause.retry_after(),
            _ => None,
        }
    }

    /// The P-code this error carries (`P433`, `P403`, `P501` ...), if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Validation { .. } => Some("P403"),
            Self::Business { code, .. } if !code.is_empty() => Some(code),
            Self::Transient { code, .. } => code.as_deref(),
            Self::OutcomeUnknown { cause } => cause.code(),
            _ => None,
        }
    }

    /// Whether the failure says the rate lock is no longer usable, so the user should lock a
    /// new rate: P462 (documented), or a rejection whose name or message is about the lock
    /// (the exchange lock's errors are not documented, so this is read from the words).
    pub fn is_lock_problem(&self) -> bool {
        match self {
            Self::Business {
                code,
                name,
                message,
                ..
            } => {
                code.eq_ignore_ascii_case("P462")
                    || name.as_deref().is_some_and(mentions_lock)
                    || mentions_lock(message)
            }
            Self::Validation { messages } => messages.iter().any(|text| mentions_lock(text)),
            _ => false,
        }
    }

    /// The P-code's meaning for a `Business` error; `None` for unknown codes and other classes.
    pub fn friendly(&self) -> Option<&'static str> {
        match self {
            Self::Business { code, .. } => friendly_code(code),
            _ => None,
        }
    }
}

/// "lock", "lockId", "Lock expired", but not "blocked": the word must not continue another.
fn mentions_lock(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.match_indices("lock").any(|(at, _)| {
        !lower[..at]
            .chars()
            .next_back()
            .is_some_and(|before| before.is_ascii_alphabetic())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_suffix_is_found_anywhere() {
        assert_eq!(
            AuthFailure::from_body("Access Denied xo1"),
            AuthFailure::MissingKey
        );
        assert_eq!(
            AuthFailure::from_body(r#"{"message":"Access Denied. XO2"}"#),
            AuthFailure::WrongKey
        );
        assert_eq!(
            AuthFailure::from_body("xo3: denied"),
            AuthFailure::IpNotAllowed
        );
        assert_eq!(
            AuthFailure::from_body("Access Denied"),
            AuthFailure::Unspecified
        );
        assert_eq!(AuthFailure::from_body(""), AuthFailure::Unspecified);
        // The first suffix wins when a body somehow carries two.
        assert_eq!(
            AuthFailure::from_body("xo3 (was xo1)"),
            AuthFailure::IpNotAllowed
        );
    }
    #[test]
    fn retryable_classes() {
        let transient = ApiError::Transient {
            status: 503,
            code: None,
            message: String::new(),
        };
        assert!(transient.is_retryable());
        assert!(ApiError::Timeout.is_retryable());
        assert!(ApiError::RateLimited { retry_after: None }.is_retryable());
        assert!(
            ApiError::Network {
                message: "refused".into()
            }
            .is_retryable()
        );
        assert!(!ApiError::Unauthorized(AuthFailure::WrongKey).is_retryable());
        assert!(!ApiError::Validation { messages: vec![] }.is_retryable());
        let unknown = ApiError::OutcomeUnknown {
            cause: Box::new(transient),
        };
        assert!(!unknown.is_retryable());
        assert!(unknown.outcome_unknown());
    }
    #[test]
    fn lock_problems_are_recognised() {
        let business = |code: &str, name: Option<&str>, message: &str| ApiError::Business {
            status: 400,
            code: code.into(),
            name: name.map(Into::into),
            message: message.into(),
        };
        assert!(business("P462", None, "").is_lock_problem());
        assert!(business("P999", Some("lock-expired"), "").is_lock_problem());
        assert!(business("P999", None, "The rate Lock has expired").is_lock_problem());
        assert!(!business("P999", None, "Account blocked").is_lock_problem());
        assert!(!business("P433", Some("insufficient-funds"), "").is_lock_problem());
        let validation = ApiError::Validation {
            messages: vec!["lockId must not be empty".into()],
        };
        assert!(validation.is_lock_problem());
        assert!(!ApiError::Timeout.is_lock_problem());
    }
}
