//! `[journal]`: when finished intents leave the live journal for its archive.

use serde::Deserialize;

use crate::journal::archive::DEFAULT_ARCHIVE_AFTER_DAYS;

/// `[journal]` as written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JournalSection {
    /// Finished intents whose last line is older than this many days move to the archive
    /// when a desk starts; 0 keeps everything in the live journal.
    pub archive_after_days: u32,
}

impl Default for JournalSection {
    fn default() -> Self {
        Self {
            archive_after_days: DEFAULT_ARCHIVE_AFTER_DAYS,
        }
    }
}

impl JournalSection {
    /// How old a finished intent must be to be archived; `None`: never.
    pub fn archive_after(self) -> Option<chrono::Duration> {
        (self.archive_after_days > 0)
            .then(|| chrono::Duration::days(i64::from(self.archive_after_days)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_off() {
        assert_eq!(
            JournalSection::default().archive_after(),
            Some(chrono::Duration::days(90))
        );
        let off: JournalSection = toml::from_str("archive_after_days = 0").expect("valid");
        assert_eq!(off.archive_after(), None);
        let error = toml::from_str::<JournalSection>("archive_after = 3").expect_err("typo");
        assert!(error.message().contains("unknown field"), "{error}");
    }
}
