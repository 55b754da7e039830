//! Printable text: what a server sends, made safe for a terminal, a CSV cell or a printout.
//!
//! Nothing the server sends is trusted to be printable (P100-API.md, tolerance rules). A raw
//! escape sequence can rewrite the screen or the terminal's title, a bidirectional override
//! can make `1000 EUR -> BTC` read as something else, and a stray carriage return can hide
//! the start of a line. [`printable`] replaces all of them; the API models apply it where
//! server strings are decoded, so nothing downstream can forget it.

use std::borrow::Cow;

/// What replaces an unprintable character or a whole escape sequence.
pub const REPLACEMENT: char = char::REPLACEMENT_CHARACTER;

const ESC: char = '\u{1b}';
const BEL: char = '\u{7}';
/// C1 "string terminator", "control sequence introducer" and "operating system command".
const C1_ST: char = '\u{9c}';
const C1_CSI: char = '\u{9b}';
const C1_OSC: char = '\u{9d}';

/// Bidirectional formatting characters: embeddings and overrides (U+202A-202E), isolates
/// (U+2066-2069), the left-to-right / right-to-left marks (U+200E/F) and the Arabic letter
/// mark (U+061C). They reorder what follows them on screen.
pub fn is_bidi_control(ch: char) -> bool {
    matches!(ch, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Characters that must never reach the screen as they are: C0 and C1 controls (DEL
/// included), bidirectional controls, and the Unicode line and paragraph separators.
pub fn is_unprintable(ch: char) -> bool {
    ch.is_control() || is_bidi_control(ch) || matches!(ch, '\u{2028}' | '\u{2029}')
}

/// `text` with every escape sequence (CSI, OSC, DCS and the like, in their 7-bit and C1
/// forms) replaced by one [`REPLACEMENT`], tabs and line breaks by a space, and every other
/// unprintable character by [`REPLACEMENT`]. Borrows when the text is already clean.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unprintable) {
        return Cow::Borrowed(text);
    }
    let mut clean = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\t' | '\n' | '\r' | '\u{2028}' | '\u{2029}' => clean.push(' '),
            ESC => {
                match chars.next() {
                    Some('[') => skip_control_sequence(&mut chars),
                    Some(']' | 'P' | 'X' | '^' | '_') => skip_control_string(&mut chars),
                    // Other two-character sequences (ESC 7, ESC c, ESC ( B ...).
                    Some(next) if (' '..='/').contains(&next) => {
                        chars.next();
                    }
                    _ => {}
                }
                clean.push(REPLACEMENT);
            }
            C1_CSI => {
                skip_control_sequence(&mut chars);
                clean.push(REPLACEMENT);
            }
            C1_OSC | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => {
                skip_control_string(&mut chars);
                clean.push(REPLACEMENT);
            }
            other if is_unprintable(other) => clean.push(REPLACEMENT),
            other => clean.push(other),
        }
    }
    Cow::Owned(clean)
}

/// [`printable`] as an owned `String`.
pub fn printable_owned(text: String) -> String {
    match printable(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(clean) => clean,
    }
}

/// Skips the rest of a CSI sequence: parameter and intermediate bytes, then one final byte.
/// Stops early at anything that cannot be part of it (it is then printed or replaced itself).
fn skip_control_sequence(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(&next) = chars.peek() {
        if ('\u{30}'..='\u{3f}').contains(&next) || (' '..='/').contains(&next) {
            chars.next();
        } else {
            if ('\u{40}'..='\u{7e}').contains(&next) {
                chars.next();
            }
            return;
        }
    }
}

/// Skips an OSC / DCS / SOS / PM / APC body up to its terminator (BEL, ESC \ or C1 ST). An
/// unterminated string swallows the rest of the text, as a terminal would.
fn skip_control_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(next) = chars.next() {
        match next {
            BEL | C1_ST => return,
            ESC => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// serde helpers: `#[serde(deserialize_with = "crate::printable::de::string")]` on every
/// server string that may be shown, exported or printed.
pub mod de {
    use serde::{Deserialize, Deserializer};

    /// A string made printable as it is decoded.
    pub fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        String::deserialize(deserializer).map(super::printable_owned)
    }

    /// An optional string (null or missing with `#[serde(default)]`), made printable.
    pub fn string_opt<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<String>, D::Error> {
        Ok(Option::<String>::deserialize(deserializer)?.map(super::printable_owned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: char = REPLACEMENT;

    #[test]
    fn clean_text_is_borrowed_unchanged() {
        for text in ["", "EUR 1,520.75", "Überweisung · 東京", "a-b_c.d"] {
            assert!(matches!(printable(text), Cow::Borrowed(same) if same == text));
        }
    }

    #[test]
    fn escape_sequences_become_one_replacement() {
        assert_eq!(printable("a\u{1b}[2Jb"), format!("a{R}b"));
        assert_eq!(printable("a\u{1b}[38;5;196mred"), format!("a{R}red"));
        // OSC 0 (window title) and OSC 8 (hyperlink), terminated by BEL or ST.
        assert_eq!(printable("x\u{1b}]0;pwned\u{7}y"), format!("x{R}y"));
        assert_eq!(
            printable("\u{1b}]8;;https://evil\u{1b}\\click\u{1b}]8;;\u{1b}\\"),
            format!("{R}click{R}")
        );
        assert_eq!(printable("a\u{9b}31mb"), format!("a{R}b"));
        assert_eq!(printable("a\u{9d}0;t\u{9c}b"), format!("a{R}b"));
        assert_eq!(printable("a\u{1b}(Bb"), format!("a{R}b"));
        assert_eq!(printable("end\u{1b}"), format!("end{R}"));
        assert_eq!(printable("\u{1b}]unterminated"), format!("{R}"));
    }

    #[test]
    fn controls_and_bidi_are_replaced_and_breaks_become_spaces() {
        assert_eq!(printable("a\tb\nc\rd"), "a b c d");
        assert_eq!(printable("a\u{0}b\u{7f}c\u{85}"), format!("a{R}b{R}c{R}"));
        for bidi in [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{061c}',
        ] {
            assert_eq!(
                printable(&format!("1{bidi}2")),
                format!("1{R}2"),
                "{bidi:?}"
            );
        }
        assert_eq!(printable("a\u{2028}b"), "a b");
    }

    #[test]
    fn nothing_unprintable_survives() {
        let hostile = "\u{1b}[?1049l\u{1b}]52;c;aGk=\u{7}\u{202e}\u{9b}\u{0}\r\u{2066}ok";
        let clean = printable(hostile);
        assert!(!clean.chars().any(is_unprintable), "{clean:?}");
        assert!(clean.ends_with("ok"));
    }
}
