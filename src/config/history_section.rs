//! `[history]`: how much transaction history the desk keeps loaded.

use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::app::history::{DEFAULT_MAX_LOADED_ROWS, MAX_PAGE_SIZE, MIN_PAGE_SIZE, PAGE_LIMIT};

/// `[history]` as written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HistorySection {
    /// Rows held at most; beyond it the end far from the selection is dropped and fetched
    /// again when scrolled back to. At least two pages, at most 10,000,000.
    #[serde(deserialize_with = "row_cap")]
    pub max_loaded_rows: usize,
    /// Rows asked for per history page (the `limit` of `GET /v1/partner/transactions`), 10 to
    /// 1,000. The cap on loaded rows is raised to two pages when it is smaller.
    #[serde(deserialize_with = "page_size")]
    pub page_size: u32,
}

impl Default for HistorySection {
    fn default() -> Self {
        Self {
            max_loaded_rows: DEFAULT_MAX_LOADED_ROWS,
            page_size: PAGE_LIMIT,
        }
    }
}

fn page_size<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    // Signed, so that a negative size gets the same message as any other size out of range.
    let value = i64::deserialize(deserializer)?;
    match u32::try_from(value) {
        Ok(rows) if (MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&rows) => Ok(rows),
        _ => Err(de::Error::custom(format!(
            "must be between {MIN_PAGE_SIZE} and {MAX_PAGE_SIZE} rows"
        ))),
    }
}

const MAX_CAP: usize = 10_000_000;

fn row_cap<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    let value = u64::deserialize(deserializer)?;
    let min = 2 * PAGE_LIMIT as usize;
    match usize::try_from(value) {
        Ok(rows) if (min..=MAX_CAP).contains(&rows) => Ok(rows),
        _ => Err(de::Error::custom(format!(
            "must be between {min} and {MAX_CAP}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_range() {
        assert_eq!(HistorySection::default().max_loaded_rows, 200_000);
        let section: HistorySection = toml::from_str("max_loaded_rows = 5000").expect("valid");
        assert_eq!(section.max_loaded_rows, 5_000);
        for bad in ["max_loaded_rows = 3", "max_loaded_rows = 99999999999"] {
            let error = toml::from_str::<HistorySection>(bad).expect_err(bad);
            assert!(error.message().contains("between"), "{error}");
        }
    }

    #[test]
    fn page_size_default_range_and_where_a_bad_one_is() {
        assert_eq!(HistorySection::default().page_size, 50);
        let section: HistorySection = toml::from_str("page_size = 1000").expect("valid");
        assert_eq!(section.page_size, 1_000);
        let section: HistorySection = toml::from_str("page_size = 10").expect("valid");
        assert_eq!(section.page_size, 10);
        for bad in [
            "page_size = 9",
            "page_size = 1001",
            "page_size = 5000000000",
        ] {
            let error = toml::from_str::<HistorySection>(bad).expect_err(bad);
            assert!(
                error.message().contains("between 10 and 1000 rows"),
                "{error}"
            );
        }
        // The error points at the value (the file's loader turns the span into line:column).
        let text = "max_loaded_rows = 5000\npage_size = 0\n";
        let error = toml::from_str::<HistorySection>(text).expect_err("0");
        let span = error.span().expect("a span");
        assert_eq!(&text[span], "0");
        let negative = toml::from_str::<HistorySection>("page_size = -5").expect_err("-5");
        assert!(negative.span().is_some(), "{negative}");
    }
}
