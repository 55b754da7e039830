//! Server text made safe to print: to a terminal, a pipe, a CSV a spreadsheet opens.
//!
//! Nothing the server sends is trusted to be printable (P100-API.md, tolerance rules): control
//! characters (escape sequences) and bidirectional overrides are removed before any output.

/// `raw` without control characters (each run becomes one space) and without bidirectional
/// controls, which could make an id or an amount read differently from what it is.
pub fn printable(raw: &str) -> String {
    let mut clean = String::with_capacity(raw.len());
    let mut gap = false;
    for ch in raw.chars() {
        if is_bidi_control(ch) {
            continue;
        }
        if ch.is_control() {
            gap = true;
            continue;
        }
        if gap && !clean.is_empty() {
            clean.push(' ');
        }
        gap = false;
        clean.push(ch);
    }
    clean
}

/// A CSV text cell a spreadsheet will not run as a formula.
pub fn defused(cell: String) -> String {
    if cell.starts_with(['=', '+', '@', '-']) && cell.parse::<rust_decimal::Decimal>().is_err() {
        format!("'{cell}")
    } else {
        cell
    }
}

fn is_bidi_control(ch: char) -> bool {
    matches!(
        ch,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_overrides_are_removed() {
        assert_eq!(printable("a\u{1b}[2Jb"), "a [2Jb");
        assert_eq!(printable("ab\u{202E}cd"), "abcd");
        assert_eq!(printable("line\r\nnext"), "line next");
        assert_eq!(printable("plain"), "plain");
    }

    #[test]
    fn formulas_are_defused_but_numbers_kept() {
        assert_eq!(defused("=HYPERLINK(1)".into()), "'=HYPERLINK(1)");
        assert_eq!(defused("-12.5".into()), "-12.5");
        assert_eq!(defused("@x".into()), "'@x");
        assert_eq!(defused("eur".into()), "eur");
    }
}
