//! `[history]`: how much transaction history the desk keeps loaded.

use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::app::history::{DEFAULT_MAX_LOADED_ROWS, PAGE_LIMIT};

/// `[history]` as written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HistorySection {
    /// Rows held at most; beyond it the end far from the selection is dropped and fetched
    /// again when scrolled back to. At least two pages, at most 10,000,000.
    #[serde(deserialize_with = "row_cap")]
    pub max_loaded_rows: usize,
}

impl Default for HistorySection {
    fn default() -> Self {
        Self {
            max_loaded_rows: DEFAULT_MAX_LOADED_ROWS,
        }
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
}
