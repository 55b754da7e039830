//! Server text made safe to print: to a terminal, a pipe, a CSV a spreadsheet opens.
//!
//! Nothing the server sends is trusted to be printable (P100-API.md, tolerance rules); the
//! cleaning itself is `crate::printable`, shared with the dashboard.

/// `raw` made printable by the one function the whole desk uses at its trust boundary
/// ([`crate::printable::printable`]): escape sequences, control characters and bidirectional
/// controls replaced.
pub fn printable(raw: &str) -> String {
    crate::printable::printable(raw).into_owned()
}

/// A CSV cell made printable, which a spreadsheet will not run as a formula: the one defuser
/// for every CSV the desk writes (headless commands, exports, the journal).
///
/// A cell starting like a formula (`=`, `+`, `-`, `@`, or a tab or carriage return before
/// one) gets a leading `'`, which makes it text; a cell that is a number (`-12.5`) is left as
/// it is, so numeric columns stay numbers.
pub fn defused(cell: &str) -> String {
    let clean = crate::printable::printable(cell);
    let risky = |text: &str| text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if (risky(cell) || risky(&clean)) && clean.parse::<rust_decimal::Decimal>().is_err() {
        format!("'{clean}")
    } else {
        clean.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_but_numbers_kept() {
        assert_eq!(defused("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(defused("-12.5"), "-12.5");
        assert_eq!(defused("+3"), "+3");
        assert_eq!(defused("-2+3"), "'-2+3");
        assert_eq!(defused("@x"), "'@x");
        assert_eq!(defused("eur"), "eur");
        assert_eq!(defused(""), "");
    }

    #[test]
    fn control_characters_before_a_formula_are_defused_and_made_printable() {
        for raw in ["\t=1+1", "\r=1+1"] {
            let cell = defused(raw);
            assert!(cell.starts_with('\''), "{raw:?} -> {cell:?}");
            assert!(!cell.contains(['\t', '\r']), "{raw:?} -> {cell:?}");
        }
        let cell = defused("\u{1b}[31m=cmd");
        assert!(!cell.contains('\u{1b}'), "{cell:?}");
    }
}
