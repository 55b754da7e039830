//! `[timeouts]` and `[polling]`: HTTP time limits and how often the app asks the API for news.

use std::num::NonZeroU32;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use super::error::ConfigError;

/// HTTP time limits for every API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP + TLS connect.
    pub connect: Duration,
    /// The whole request, connect included.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        TimeoutsSection::default().resolve()
    }
}

/// How the poller paces itself (see DESIGN.md, "Poller").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polling {
    /// Delay before the first status check of a new pending exchange or order.
    pub first_check: Duration,
    /// Cap of the per-row backoff (2, 4, 8 ... seconds).
    pub max_interval: Duration,
    /// The slow timer for balances and transaction history.
    pub refresh: Duration,
    /// Global request budget across everything the app sends.
    pub max_requests_per_second: NonZeroU32,
}

impl Default for Polling {
    fn default() -> Self {
        let section = PollingSection::default();
        Self {
            first_check: Duration::from_millis(section.first_check_ms),
            max_interval: Duration::from_millis(section.max_interval_ms),
            refresh: Duration::from_secs(section.refresh_secs),
            max_requests_per_second: section.max_requests_per_second,
        }
    }
}

/// Below the API's (undocumented) rate limit with room to spare.
const DEFAULT_REQUESTS_PER_SECOND: NonZeroU32 = match NonZeroU32::new(5) {
    Some(budget) => budget,
    None => NonZeroU32::MIN,
};

/// `[timeouts]` as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct TimeoutsSection {
    #[serde(deserialize_with = "positive")]
    pub connect_ms: u64,
    #[serde(deserialize_with = "positive")]
    pub request_ms: u64,
}

impl Default for TimeoutsSection {
    fn default() -> Self {
        Self {
            connect_ms: 5_000,
            request_ms: 20_000,
        }
    }
}

impl TimeoutsSection {
    pub fn resolve(&self) -> Timeouts {
        Timeouts {
            connect: Duration::from_millis(self.connect_ms),
            request: Duration::from_millis(self.request_ms),
        }
    }
}

/// `[polling]` as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct PollingSection {
    #[serde(deserialize_with = "positive")]
    pub first_check_ms: u64,
    #[serde(deserialize_with = "positive")]
    pub max_interval_ms: u64,
    #[serde(deserialize_with = "positive")]
    pub refresh_secs: u64,
    pub max_requests_per_second: NonZeroU32,
}

impl Default for PollingSection {
    fn default() -> Self {
        Self {
            first_check_ms: 1_000,
            max_interval_ms: 30_000,
            refresh_secs: 60,
            max_requests_per_second: DEFAULT_REQUESTS_PER_SECOND,
        }
    }
}

impl PollingSection {
    pub fn resolve(&self) -> Result<Polling, ConfigError> {
        if self.first_check_ms > self.max_interval_ms {
            return Err(ConfigError::Invalid {
                setting: "[polling] first_check_ms".into(),
                message: format!(
                    "{} is larger than max_interval_ms ({}); the first check cannot wait \
                     longer than the backoff cap",
                    self.first_check_ms, self.max_interval_ms
                ),
            });
        }
        Ok(Polling {
            first_check: Duration::from_millis(self.first_check_ms),
            max_interval: Duration::from_millis(self.max_interval_ms),
            refresh: Duration::from_secs(self.refresh_secs),
            max_requests_per_second: self.max_requests_per_second,
        })
    }
}

/// A duration count that must be above zero: a zero timeout or interval is always a mistake.
fn positive<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let value = u64::deserialize(deserializer)?;
    if value == 0 {
        return Err(de::Error::custom("must be greater than zero"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_design() {
        let polling = Polling::default();
        assert_eq!(polling.first_check, Duration::from_secs(1));
        assert_eq!(polling.max_interval, Duration::from_secs(30));
        assert_eq!(polling.refresh, Duration::from_secs(60));
        assert_eq!(polling.max_requests_per_second.get(), 5);
        let timeouts = Timeouts::default();
        assert_eq!(timeouts.connect, Duration::from_secs(5));
        assert_eq!(timeouts.request, Duration::from_secs(20));
    }

    #[test]
    fn zero_is_refused() {
        let error = toml::from_str::<TimeoutsSection>("connect_ms = 0").expect_err("zero");
        assert!(error.message().contains("greater than zero"));
        let error =
            toml::from_str::<PollingSection>("max_requests_per_second = 0").expect_err("zero");
        assert!(!error.message().is_empty());
    }

    #[test]
    fn first_check_cannot_exceed_the_cap() {
        let section: PollingSection =
            toml::from_str("first_check_ms = 5000\nmax_interval_ms = 2000").expect("valid toml");
        let error = section.resolve().expect_err("inconsistent");
        assert!(error.to_string().contains("first_check_ms"), "{error}");
    }
}
