//! Keeping the API key out of answers: in the raw bytes and after JSON decoding.
//!
//! A server or proxy that echoes the request ("invalid key sk-...") must not carry the key to
//! the screen, the log or the journal. Raw redaction catches the key as sent and its common
//! JSON-escaped spellings; a decoded check catches every other spelling (`\u0063` for one
//! character, escaped slashes, ...), since JSON decoding turns them all back into the key.

use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;

/// Keys shorter than this are not removed from answers: a string this short occurs in
/// ordinary answers (a key "eur" would erase every currency) and is no secret; P100's keys
/// are far longer.
pub(crate) const MIN_REDACTED_KEY_CHARS: usize = 8;

/// What replaces the key in a server's answer.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// What a 2xx answer that contained the key becomes: it is not used for anything.
pub(crate) const ECHOED_KEY: &str = "the server echoed your key: answer discarded";

/// The key and the byte strings that spell it in an answer.
pub(crate) struct KeyEchoes {
    /// `None` when the key is too short to redact (see [`MIN_REDACTED_KEY_CHARS`]).
    key: Option<SecretString>,
    /// The key as sent and its JSON-escaped forms.
    forms: Vec<Vec<u8>>,
}

/// An answer's body with the key removed, and whether it had to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Scrubbed {
    pub(crate) body: Vec<u8>,
    pub(crate) echoed: bool,
}

impl KeyEchoes {
    pub(crate) fn new(key: &str) -> Self {
        let forms = echo_forms(key);
        let key = (!forms.is_empty()).then(|| SecretString::from(key.to_owned()));
        Self { key, forms }
    }

    /// `body` with every raw and decoded occurrence of the key replaced by [`REDACTED`].
    pub(crate) fn scrub(&self, body: &[u8]) -> Scrubbed {
        let Some(key) = &self.key else {
            return Scrubbed {
                body: body.to_vec(),
                echoed: false,
            };
        };
        let mut echoed = false;
        let mut clean = body.to_vec();
        for form in &self.forms {
            if let Some(redacted) = redact(&clean, form) {
                clean = redacted;
                echoed = true;
            }
        }
        // A decoded JSON string differs from its raw bytes only through escapes: without a
        // backslash left, the raw pass has seen every spelling (and the costly parse is skipped).
        if clean.contains(&b'\\')
            && let Ok(mut value) = serde_json::from_slice::<Value>(&clean)
            && scrub_value(&mut value, key.expose_secret())
        {
            echoed = true;
            clean = serde_json::to_vec(&value).unwrap_or_default();
        }
        Scrubbed {
            body: clean,
            echoed,
        }
    }
}

/// Replaces the key in every string and object key of `value`; true if it was there.
fn scrub_value(value: &mut Value, key: &str) -> bool {
    match value {
        Value::String(text) => scrub_text(text, key),
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |found, item| scrub_value(item, key) | found),
        Value::Object(object) => {
            let mut found = false;
            if object.keys().any(|name| name.contains(key)) {
                let entries = std::mem::take(object);
                for (mut name, item) in entries {
                    found |= scrub_text(&mut name, key);
                    object.insert(name, item);
                }
            }
            object
                .values_mut()
                .fold(found, |found, item| scrub_value(item, key) | found)
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn scrub_text(text: &mut String, key: &str) -> bool {
    if text.contains(key) {
        *text = text.replace(key, REDACTED);
        true
    } else {
        false
    }
}

/// The byte strings that spell `key` in an answer: the key itself and, when they differ, its
/// JSON-escaped forms (`"` and `\`, and `/` as `\/`, which many JSON encoders write).
fn echo_forms(key: &str) -> Vec<Vec<u8>> {
    let mut forms: Vec<Vec<u8>> = Vec::new();
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

/// `body` with every occurrence of `secret` replaced by [`REDACTED`]; `None` if there was none.
fn redact(body: &[u8], secret: &[u8]) -> Option<Vec<u8>> {
    if secret.is_empty() || body.len() < secret.len() {
        return None;
    }
    let mut clean = Vec::with_capacity(body.len());
    let mut rest = body;
    let mut found = false;
    while let Some(at) = rest
        .windows(secret.len())
        .position(|window| window == secret)
    {
        found = true;
        clean.extend_from_slice(&rest[..at]);
        clean.extend_from_slice(REDACTED.as_bytes());
        rest = &rest[at + secret.len()..];
    }
    clean.extend_from_slice(rest);
    found.then_some(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrub(key: &str, body: &str) -> (String, bool) {
        let scrubbed = KeyEchoes::new(key).scrub(body.as_bytes());
        (
            String::from_utf8(scrubbed.body).expect("utf-8"),
            scrubbed.echoed,
        )
    }

    #[test]
    fn the_key_is_redacted_from_raw_answers() {
        assert_eq!(
            redact(b"key sk-1 is wrong; sk-1sk-1", b"sk-1").expect("found"),
            b"key [REDACTED] is wrong; [REDACTED][REDACTED]"
        );
        assert_eq!(redact(b"sk-", b"sk-1"), None);
        assert_eq!(redact(b"", b"sk-1"), None);
        assert_eq!(redact(b"{\"a\":1}", b""), None);
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
        assert!(echo_forms("eur").is_empty());
    }

    #[test]
    fn any_json_spelling_of_the_key_is_found_after_decoding() {
        let key = "clean-key-123";
        for body in [
            r#"{"lockId":"\u0063lean-key-123"}"#,
            r#"{"lockId":"x\u0063\u006Cean-key-123y"}"#,
            r#"[{"a":{"b":["clean\u002dkey-123"]}}]"#,
            r#"{"\u0063lean-key-123":1}"#,
        ] {
            let (clean, echoed) = scrub(key, body);
            assert!(echoed, "{body}");
            let decoded: Value = serde_json::from_str(&clean).expect("still JSON");
            assert!(!decoded.to_string().contains(key), "{clean}");
            assert!(clean.contains(REDACTED), "{clean}");
        }
    }

    #[test]
    fn answers_without_the_key_are_untouched() {
        let body = r#"{"amount":412.607142000000000001,"note":"caf\u00e9 \"x\""}"#;
        assert_eq!(scrub("clean-key-123", body), (body.to_owned(), false));
        assert!(!scrub("eur", r#"{"name":"eur"}"#).1);
    }
}
