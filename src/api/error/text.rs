//! The words an `ApiError` shows the user: a sentence for a dialog, a few words for a stale
//! marker, and the meaning of each documented P-code.

use std::fmt::Write as _;
use std::time::Duration;

use super::{ApiError, AuthFailure};

/// The meaning of the P-codes P100 documents, in words for the user (case-insensitive).
pub fn friendly_code(code: &str) -> Option<&'static str> {
    Some(match code.trim().to_ascii_uppercase().as_str() {
        "P403" => "the request did not pass validation",
        "P410" => "invalid currency",
        "P412" => "user does not exist",
        "P418" => "partner not found",
        "P424" => "a source or destination is required",
        "P428" => "SEPA transfer not found",
        "P433" => "insufficient funds",
        "P462" => "the order rate lock is invalid or expired; lock the rate again",
        "P500" => "unknown exception on P100's side",
        "P501" => "P100 is temporarily unavailable",
        _ => return None,
    })
}

impl AuthFailure {
    fn explanation(self) -> &'static str {
        match self {
            Self::MissingKey => "the request carried no API key",
            Self::WrongKey => {
                "the API key was not accepted (check it belongs to this environment, \
                 staging or production)"
            }
            Self::IpNotAllowed => "this computer's IP address is not on P100's allow-list",
            Self::Unspecified => "P100 rejected the credentials",
        }
    }
}

impl ApiError {
    /// One plain sentence for a dialog or the status bar, with the P-code when there is one.
    pub fn user_message(&self) -> String {
        match self {
            Self::Unauthorized(failure) => {
                let tag = failure.suffix().unwrap_or("HTTP 401");
                format!("Access denied ({tag}): {}.", failure.explanation())
            }
            Self::Validation { messages } => {
                let details = if messages.is_empty() {
                    String::from("no details given")
                } else {
                    messages.join("; ")
                };
                format!("P100 rejected the request as invalid (P403): {details}.")
            }
            Self::Business {
                status,
                code,
                name,
                message,
            } => business_message(*status, code, name.as_deref(), message),
            Self::RateLimited { retry_after } => match retry_after {
                Some(wait) => format!(
                    "P100 is throttling requests (HTTP 429); waiting {} before the next one.",
                    format_wait(*wait)
                ),
                None => "P100 is throttling requests (HTTP 429); slowing down.".to_owned(),
            },
            Self::Transient {
                status,
                code,
                message,
            } => {
                let mut text = match code.as_deref() {
                    Some(code) => format!("P100 is temporarily unavailable ({code}"),
                    None => format!("P100 had a server error (HTTP {status}"),
                };
                text.push(')');
                push_detail(&mut text, message);
                text.push_str("; try again shortly.");
                text
            }
            Self::Timeout => "P100 did not answer in time.".to_owned(),
            Self::Network { message } => format!("Could not reach P100: {message}."),
            // The body itself goes to the log (see `response::decode`), not on screen: it is
            // whatever the server or a proxy sent, not words for a treasurer.
            Self::Decode { message, excerpt } if excerpt.is_empty() => {
                format!("P100 sent a response that could not be read ({message}).")
            }
            Self::Decode { message, .. } => format!(
                "P100 sent a response that could not be read ({message}); the log file has its \
                 first bytes."
            ),
            Self::OutcomeUnknown { cause } => format!(
                "The request was sent but its outcome is unknown: {} It may have been applied; \
                 check its status before sending it again.",
                cause.user_message()
            ),
            Self::Config { message } => format!("The API settings are invalid: {message}."),
            Self::Request { message } => format!("The request could not be built: {message}."),
        }
    }

    /// A few words for a "stale" marker on a pane.
    pub fn short_reason(&self) -> String {
        match self {
            Self::Unauthorized(failure) => match failure.suffix() {
                Some(suffix) => format!("access denied ({suffix})"),
                None => "access denied".to_owned(),
            },
            Self::Validation { .. } => "invalid request (P403)".to_owned(),
            Self::Business { status, code, .. } if code.is_empty() => {
                format!("rejected (HTTP {status})")
            }
            Self::Business { code, .. } => format!("rejected ({code})"),
            Self::RateLimited { .. } => "throttled".to_owned(),
            Self::Transient { .. } => "server error".to_owned(),
            Self::Timeout => "timed out".to_owned(),
            Self::Network { .. } => "offline".to_owned(),
            Self::Decode { .. } => "bad response".to_owned(),
            Self::OutcomeUnknown { .. } => "outcome unknown".to_owned(),
            Self::Config { .. } => "bad settings".to_owned(),
            Self::Request { .. } => "bad request".to_owned(),
        }
    }
}

fn business_message(status: u16, code: &str, name: Option<&str>, message: &str) -> String {
    if code.is_empty() {
        let mut text = format!("P100 rejected the request (HTTP {status})");
        push_detail(&mut text, message);
        text.push('.');
        return text;
    }
    let meaning = friendly_code(code)
        .map(str::to_owned)
        .or_else(|| name.map(|name| name.replace(['-', '_'], " ")));
    let mut text = format!("P100 rejected the request ({code}");
    if let Some(meaning) = meaning {
        let _ = write!(text, ", {meaning}");
    }
    text.push(')');
    push_detail(&mut text, message);
    text.push('.');
    text
}

/// Appends `: detail` unless the detail is empty.
fn push_detail(text: &mut String, detail: &str) {
    let detail = detail.trim().trim_end_matches('.');
    if !detail.is_empty() {
        let _ = write!(text, ": {detail}");
    }
}

fn format_wait(wait: Duration) -> String {
    let secs = wait.as_secs();
    if secs == 0 {
        "a moment".to_owned()
    } else if secs < 120 {
        format!("{secs} s")
    } else {
        format!("{} min", secs.div_ceil(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_read_in_plain_words() {
        let error = ApiError::Business {
            status: 400,
            code: "P433".into(),
            name: Some("insufficient-funds".into()),
            message: "Balance too low.".into(),
        };
        assert_eq!(error.friendly(), Some("insufficient funds"));
        assert_eq!(
            error.user_message(),
            "P100 rejected the request (P433, insufficient funds): Balance too low."
        );
        assert_eq!(error.short_reason(), "rejected (P433)");
        assert_eq!(error.code(), Some("P433"));
    }
    #[test]
    fn unknown_codes_keep_their_name_and_message() {
        let error = ApiError::Business {
            status: 409,
            code: "P999".into(),
            name: Some("brand-new-thing".into()),
            message: "Something new".into(),
        };
        assert_eq!(error.friendly(), None);
        assert_eq!(
            error.user_message(),
            "P100 rejected the request (P999, brand new thing): Something new."
        );
    }
    #[test]
    fn messages_name_the_code_or_status() {
        let validation = ApiError::Validation {
            messages: vec!["amount must be positive".into(), "currency missing".into()],
        };
        assert_eq!(
            validation.user_message(),
            "P100 rejected the request as invalid (P403): amount must be positive; currency missing."
        );
        let p501 = ApiError::Transient {
            status: 400,
            code: Some("P501".into()),
            message: "Service unavailable".into(),
        };
        assert!(p501.user_message().contains("(P501)"));
        assert_eq!(p501.short_reason(), "server error");
        let no_code = ApiError::Business {
            status: 404,
            code: String::new(),
            name: None,
            message: "Not Found".into(),
        };
        assert_eq!(
            no_code.user_message(),
            "P100 rejected the request (HTTP 404): Not Found."
        );
        assert_eq!(no_code.code(), None);
        let wrong_key = ApiError::Unauthorized(AuthFailure::WrongKey);
        assert!(wrong_key.user_message().starts_with("Access denied (xo2)"));
        assert_eq!(wrong_key.short_reason(), "access denied (xo2)");
    }
    #[test]
    fn outcome_unknown_explains_the_cause() {
        let error = ApiError::OutcomeUnknown {
            cause: Box::new(ApiError::Timeout),
        };
        let text = error.user_message();
        assert!(text.contains("outcome is unknown"), "{text}");
        assert!(text.contains("did not answer in time"), "{text}");
        assert_eq!(error.short_reason(), "outcome unknown");
    }
    #[test]
    fn rate_limit_wait_is_readable() {
        let error = ApiError::RateLimited {
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));
        assert!(error.user_message().contains("waiting 3 s"));
        assert_eq!(error.short_reason(), "throttled");
    }
}
