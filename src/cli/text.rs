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

/// A CSV text cell a spreadsheet will not run as a formula.
pub fn defused(cell: String) -> String {
    if cell.starts_with(['=', '+', '@', '-']) && cell.parse::<rust_decimal::Decimal>().is_err() {
        format!("'{cell}")
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_but_numbers_kept() {
        assert_eq!(defused("=HYPERLINK(1)".into()), "'=HYPERLINK(1)");
        assert_eq!(defused("-12.5".into()), "-12.5");
        assert_eq!(defused("@x".into()), "'@x");
        assert_eq!(defused("eur".into()), "eur");
    }
}
