//! `EnvVars`: the environment variables configuration reads, captured once so resolution is pure.

use std::collections::BTreeMap;
use std::fmt;

/// The API key; wins over a profile's `key_file`.
pub const API_KEY: &str = "P100_API_KEY";
/// Selects a profile when `--profile` is not given.
pub const PROFILE: &str = "P100_PROFILE";
/// `sandbox`, `stage` or `production`; overrides the profile's `environment`.
pub const ENVIRONMENT: &str = "P100_ENVIRONMENT";
/// Overrides the profile's `base_url`.
pub const BASE_URL: &str = "P100_BASE_URL";
/// Overrides the data dir (journal, logs).
pub const DATA_DIR: &str = "P100_DATA_DIR";
/// The log filter (`tracing_subscriber::EnvFilter` syntax); read by `logging`, not here.
pub const LOG: &str = "P100_LOG";
/// `1`/`true`/`yes`: the server is a team relay (as `relay = true` in a profile).
pub const RELAY: &str = "P100_RELAY";
/// Used to expand a leading `~/` in paths from the config file.
pub const HOME: &str = "HOME";

/// A snapshot of environment variables. Empty values count as unset, so `P100_API_KEY= cmd`
/// clears a key rather than sending an empty one. Debug shows names only: values may be secret.
#[derive(Clone, Default)]
pub struct EnvVars {
    values: BTreeMap<String, String>,
}

impl EnvVars {
    /// The `P100_*` variables and `HOME` of this process. Values that are not UTF-8 are skipped.
    pub fn from_process() -> Self {
        std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
            .filter(|(name, _)| name.starts_with("P100_") || name == HOME)
            .collect()
    }

    /// The value of `name`, or `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for EnvVars {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(pairs: I) -> Self {
        Self {
            values: pairs
                .into_iter()
                .map(|(name, value)| (name.into(), value.into()))
                .collect(),
        }
    }
}

impl fmt::Debug for EnvVars {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_set().entries(self.values.keys()).finish()
    }
}

/// Whether a flag variable says yes (`1`, `true`, `yes`, `on`, any case).
pub fn is_yes(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_unset() {
        let env: EnvVars = [(API_KEY, ""), (PROFILE, "prod")].into_iter().collect();
        assert_eq!(env.get(API_KEY), None);
        assert_eq!(env.get(PROFILE), Some("prod"));
    }

    #[test]
    fn debug_shows_names_not_values() {
        let env: EnvVars = [(API_KEY, "sk-secret-123")].into_iter().collect();
        let shown = format!("{env:?}");
        assert!(shown.contains(API_KEY));
        assert!(!shown.contains("sk-secret-123"));
    }
}
