//! Reading an answer from P100: decoding 2xx bodies, and classifying every other status from a
//! tolerant read of its error body into an `ApiError`.

use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{ApiError, AuthFailure};
use super::key_echo::ECHOED_KEY;

/// How much of a body a `Decode` error keeps for the user.
const EXCERPT_CHARS: usize = 120;
/// Longest server-provided text (message, name, code) kept in an error.
const FIELD_CHARS: usize = 300;

/// A complete HTTP answer: status, the server's `Retry-After` and the whole body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: Vec<u8>,
    /// The body carried the API key (now redacted from `body`): a 2xx is not used at all.
    pub(crate) echoed_key: bool,
}

impl Answer {
    /// The decoded value of a 2xx answer, or the error any other answer stands for.
    pub(crate) fn into_value<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        if self.status.is_success() && self.echoed_key {
            Err(ApiError::Decode {
                message: ECHOED_KEY.to_owned(),
                excerpt: String::new(),
            })
        } else if self.status.is_success() {
            decode(&self.body)
        } else {
            Err(error_from_status(self.status, self.retry_after, &self.body))
        }
    }
}

/// Decodes a successful body; a body that does not fit `T` is a `Decode` error with an excerpt.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|error| {
        let message = if body.iter().all(u8::is_ascii_whitespace) {
            "the body was empty".to_owned()
        } else {
            sanitize(&error.to_string(), FIELD_CHARS)
        };
        let excerpt = excerpt(body);
        tracing::warn!(%message, %excerpt, "unreadable response body");
        ApiError::Decode { message, excerpt }
    })
}

/// Classifies a non-2xx answer. Error bodies are read tolerantly: JSON with
/// `errorCode`/`errorName`/`errorMessage` when present, else whatever the status says.
pub(crate) fn error_from_status(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
) -> ApiError {
    let status_code = status.as_u16();
    if status == StatusCode::UNAUTHORIZED {
        return ApiError::Unauthorized(AuthFailure::from_body(&String::from_utf8_lossy(body)));
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return ApiError::RateLimited { retry_after };
    }
    let fields = ErrorFields::parse(body);
    let is_code = |wanted: &str| {
        fields
            .code
            .as_deref()
            .is_some_and(|code| code.eq_ignore_ascii_case(wanted))
    };
    let message = if fields.messages.is_empty() {
        status.canonical_reason().unwrap_or_default().to_owned()
    } else {
        fields.messages.join("; ")
    };

    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT || is_code("P501") {
        ApiError::Transient {
            status: status_code,
            code: fields.code.clone(),
            message,
        }
    } else if is_code("P403") && status.is_client_error() {
        ApiError::Validation {
            messages: fields.messages,
        }
    } else if status.is_client_error() {
        ApiError::Business {
            status: status_code,
            message,
            code: fields.code.unwrap_or_default(),
            name: fields.name,
        }
    } else {
        // 1xx/3xx: redirects are not followed (they could carry the key to another host).
        let excerpt = excerpt(body);
        tracing::warn!(status = status_code, %excerpt, "unexpected HTTP status");
        ApiError::Decode {
            message: format!("unexpected HTTP {status_code}"),
            excerpt,
        }
    }
}

/// What a P100 error body says, however much of it was there.
#[derive(Debug, Default, PartialEq, Eq)]
struct ErrorFields {
    code: Option<String>,
    name: Option<String>,
    /// `errorMessage` split on `;` (P403 lists several), trimmed, empties dropped.
    messages: Vec<String>,
}

impl ErrorFields {
    fn parse(body: &[u8]) -> Self {
        let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
            return Self::default();
        };
        let text = |key: &str| object.get(key).and_then(scalar_text);
        let messages = ["errorMessage", "message", "error"]
            .iter()
            .filter_map(|key| object.get(*key).map(message_list))
            .find(|messages| !messages.is_empty())
            .unwrap_or_default();
        Self {
            code: text("errorCode"),
            name: text("errorName"),
            messages,
        }
    }
}

/// A string or number as sanitized text; anything else (or blank) is absent.
fn scalar_text(value: &Value) -> Option<String> {
    let raw = match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => return None,
    };
    let clean = sanitize(&raw, FIELD_CHARS);
    (!clean.is_empty()).then_some(clean)
}

/// `"a; b"` or `["a", "b"]` as a list of messages.
fn message_list(value: &Value) -> Vec<String> {
    let parts: Vec<String> = match value {
        Value::Array(items) => items.iter().filter_map(scalar_text).collect(),
        other => scalar_text(other).into_iter().collect(),
    };
    parts
        .iter()
        .flat_map(|part| part.split(';'))
        .map(|part| part.trim().to_owned())
        .filter(|part| !part.is_empty())
        .collect()
}

/// The start of a body, safe to show in a terminal: at most `EXCERPT_CHARS` characters,
/// control characters (escape sequences included) replaced by spaces.
pub(crate) fn excerpt(body: &[u8]) -> String {
    sanitize(&String::from_utf8_lossy(body), EXCERPT_CHARS)
}

/// Replaces control characters with spaces, collapses runs of whitespace, trims, and cuts at
/// `max_chars` (marking the cut with `…`). Server text is shown in a terminal, where a raw
/// escape sequence could rewrite the screen.
fn sanitize(text: &str, max_chars: usize) -> String {
    let mut clean = String::with_capacity(text.len().min(max_chars * 4));
    let mut count = 0;
    let mut pending_space = false;
    for ch in text.chars() {
        if ch.is_control() || ch.is_whitespace() {
            pending_space = !clean.is_empty();
            continue;
        }
        if count + usize::from(pending_space) >= max_chars {
            clean.push('…');
            return clean;
        }
        if pending_space {
            clean.push(' ');
            count += 1;
            pending_space = false;
        }
        clean.push(ch);
        count += 1;
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(status: u16, body: &str) -> ApiError {
        let status = StatusCode::from_u16(status).expect("valid status");
        error_from_status(status, None, body.as_bytes())
    }

    #[test]
    fn validation_messages_are_split_and_trimmed() {
        let error = classify(400, r#"{"errorCode":"P403","errorMessage":"a;  b ; ;c"}"#);
        assert_eq!(
            error,
            ApiError::Validation {
                messages: vec!["a".into(), "b".into(), "c".into()]
            }
        );
        let listed = classify(400, r#"{"errorCode":"P403","errorMessage":["x","y"]}"#);
        assert_eq!(
            listed,
            ApiError::Validation {
                messages: vec!["x".into(), "y".into()]
            }
        );
    }

    #[test]
    fn business_error_keeps_code_name_and_message() {
        let error = classify(
            404,
            r#"{"errorCode":"P462","errorName":"invalid-order-lock","errorMessage":"Lock expired"}"#,
        );
        assert_eq!(
            error,
            ApiError::Business {
                status: 404,
                code: "P462".into(),
                name: Some("invalid-order-lock".into()),
                message: "Lock expired".into(),
            }
        );
    }

    #[test]
    fn p501_is_transient_even_as_400() {
        let error = classify(400, r#"{"errorCode":"P501","errorMessage":"Try later"}"#);
        assert_eq!(
            error,
            ApiError::Transient {
                status: 400,
                code: Some("P501".into()),
                message: "Try later".into(),
            }
        );
    }

    #[test]
    fn garbage_error_bodies_fall_back_to_the_status() {
        assert_eq!(
            classify(404, "<html>nope</html>"),
            ApiError::Business {
                status: 404,
                code: String::new(),
                name: None,
                message: "Not Found".into(),
            }
        );
        assert_eq!(
            classify(502, ""),
            ApiError::Transient {
                status: 502,
                code: None,
                message: "Bad Gateway".into(),
            }
        );
        assert!(matches!(classify(302, ""), ApiError::Decode { .. }));
    }

    #[test]
    fn numeric_codes_and_plain_message_fields_are_accepted() {
        let error = classify(418, r#"{"errorCode":433,"message":"teapot"}"#);
        assert_eq!(
            error,
            ApiError::Business {
                status: 418,
                code: "433".into(),
                name: None,
                message: "teapot".into(),
            }
        );
    }

    #[test]
    fn server_text_is_sanitized_and_capped() {
        let hostile = format!(
            r#"{{"errorCode":"P999","errorMessage":"bad\u001b[2Jthing\nhere{}"}}"#,
            "x".repeat(1000)
        );
        let ApiError::Business { message, .. } = classify(400, &hostile) else {
            panic!("expected a business error");
        };
        assert!(message.starts_with("bad [2Jthing here"), "{message}");
        assert!(!message.chars().any(char::is_control));
        assert_eq!(message.chars().count(), FIELD_CHARS + 1); // + the ellipsis
    }

    #[test]
    fn excerpt_is_short_and_clean() {
        assert_eq!(excerpt(b"  {\"a\":\n\t1} "), "{\"a\": 1}");
        let long = "y".repeat(500);
        let cut = excerpt(long.as_bytes());
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt(&[0xff, 0xfe, b'o', b'k']), "\u{fffd}\u{fffd}ok");
    }

    #[test]
    fn decode_failures_say_what_came() {
        let empty = decode::<Value>(b"").expect_err("empty body");
        assert_eq!(
            empty,
            ApiError::Decode {
                message: "the body was empty".into(),
                excerpt: String::new(),
            }
        );
        let ApiError::Decode { excerpt, .. } =
            decode::<Value>(b"{\"truncated\": [1, 2").expect_err("bad")
        else {
            panic!("expected decode");
        };
        assert_eq!(excerpt, "{\"truncated\": [1, 2");
    }
}
