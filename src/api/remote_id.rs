//! `RemoteId`: an exchange or order id from P100, checked to be usable in a request path.
//!
//! Ids are opaque, but an id is only useful if we can ask about it again: an empty id, `.` or
//! `..` (which a URL parser turns into "the parent path"), an id with a slash or a backslash
//! (another path segment), control, bidirectional-override or replacement characters (text
//! that was not printable when it arrived), whitespace, or an absurdly long id cannot name
//! one exchange or order. A 2xx whose id is refused here is an accepted request whose id we
//! do not know: the caller treats the row as Unknown and reconciles it, never polls it.

use std::fmt;
use std::fmt::Write as _;

use crate::printable::is_unprintable;

/// Longest id accepted. P100's ids are UUIDs (36 characters); this leaves room for other
/// formats while keeping a hostile "id" from filling the screen, the journal and the URL.
pub const MAX_ID_CHARS: usize = 128;

/// A validated remote id. Always non-empty, a single path segment and printable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RemoteId(String);

/// Why a server-sent id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteIdError {
    #[error("the id is empty")]
    Empty,
    #[error("the id \"{0}\" names a path, not an exchange or order")]
    DotSegment(String),
    #[error("the id contains a slash or backslash")]
    PathSeparator,
    #[error("the id contains spaces, control characters or unprintable text")]
    Unprintable,
    #[error("the id is longer than {MAX_ID_CHARS} characters")]
    TooLong,
}

impl RemoteId {
    /// Checks a server-sent id. Nothing is trimmed or repaired: an id that needs repairing is
    /// not the id P100 would recognise.
    pub fn parse(raw: &str) -> Result<Self, RemoteIdError> {
        if raw.is_empty() {
            return Err(RemoteIdError::Empty);
        }
        if raw.chars().count() > MAX_ID_CHARS {
            return Err(RemoteIdError::TooLong);
        }
        if raw == "." || raw == ".." {
            return Err(RemoteIdError::DotSegment(raw.to_owned()));
        }
        if raw.contains(['/', '\\']) {
            return Err(RemoteIdError::PathSeparator);
        }
        if raw
            .chars()
            .any(|ch| ch.is_whitespace() || ch == char::REPLACEMENT_CHARACTER || is_unprintable(ch))
        {
            return Err(RemoteIdError::Unprintable);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id percent-encoded as one path segment: only unreserved characters (RFC 3986)
    /// stay as they are, so the id can never add a segment, a query or a fragment.
    pub fn path_segment(&self) -> String {
        let mut encoded = String::with_capacity(self.0.len());
        for byte in self.0.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
                encoded.push(char::from(byte));
            } else {
                let _ = write!(encoded, "%{byte:02X}");
            }
        }
        encoded
    }
}

impl fmt::Display for RemoteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RemoteId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for RemoteId {
    type Err = RemoteIdError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_ids_are_kept_exactly() {
        for id in [
            "3f0aeaa7-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
            "663318af",
            "a.b",
            "x~y_z",
            "é-1",
        ] {
            assert_eq!(RemoteId::parse(id).expect(id).as_str(), id);
        }
    }

    #[test]
    fn unusable_ids_are_refused() {
        let refused = [
            ("", RemoteIdError::Empty),
            (".", RemoteIdError::DotSegment(".".into())),
            ("..", RemoteIdError::DotSegment("..".into())),
            ("../x", RemoteIdError::PathSeparator),
            ("a/b", RemoteIdError::PathSeparator),
            ("a\\b", RemoteIdError::PathSeparator),
            ("a\u{1b}[2Jb", RemoteIdError::Unprintable),
            ("a\nb", RemoteIdError::Unprintable),
            ("a\u{7f}", RemoteIdError::Unprintable),
            ("a\u{202e}b", RemoteIdError::Unprintable),
            ("a\u{fffd}", RemoteIdError::Unprintable),
            (" id", RemoteIdError::Unprintable),
            ("id ", RemoteIdError::Unprintable),
        ];
        for (raw, why) in refused {
            assert_eq!(RemoteId::parse(raw), Err(why), "{raw:?}");
        }
        let long = "a".repeat(MAX_ID_CHARS + 1);
        assert_eq!(RemoteId::parse(&long), Err(RemoteIdError::TooLong));
        assert!(RemoteId::parse(&"a".repeat(MAX_ID_CHARS)).is_ok());
    }

    #[test]
    fn path_segment_encodes_everything_but_unreserved() {
        let id = RemoteId::parse("a?b#c%d&é").expect("usable");
        assert_eq!(id.path_segment(), "a%3Fb%23c%25d%26%C3%A9");
        let id = RemoteId::parse("3f0a-eaa7.x~_").expect("usable");
        assert_eq!(id.path_segment(), "3f0a-eaa7.x~_");
    }
}
