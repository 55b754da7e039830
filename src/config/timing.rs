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
    #[serde(deserialize_with = "in_range::<_, 1, MAX_CONNECT_MS>")]
    pub connect_ms: u64,
    #[serde(deserialize_with = "in_range::<_, 1, MAX_REQUEST_MS>")]
    pub request_ms: u64,
}

// Upper bounds: far above any sensible setting, far below where adding the value to a clock
// reading overflows (`refresh_secs = 9223372036854775807` used to panic the timer).
/// 5 minutes.
const MAX_CONNECT_MS: u64 = 300_000;
/// 1 hour.
const MAX_REQUEST_MS: u64 = 3_600_000;
/// 1 hour.
const MAX_FIRST_CHECK_MS: u64 = 3_600_000;
/// 1 day.
const MAX_INTERVAL_MS: u64 = 86_400_000;
/// 1 day.
const MAX_REFRESH_SECS: u64 = 86_400;
/// Far above any API's rate limit.
const MAX_REQUESTS_PER_SECOND: u64 = 1_000;

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
    #[serde(deserialize_with = "in_range::<_, 1, MAX_FIRST_CHECK_MS>")]
    pub first_check_ms: u64,
    #[serde(deserialize_with = "in_range::<_, 1, MAX_INTERVAL_MS>")]
    pub max_interval_ms: u64,
    #[serde(deserialize_with = "in_range::<_, 1, MAX_REFRESH_SECS>")]
    pub refresh_secs: u64,
    #[serde(deserialize_with = "requests_per_second")]
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

/// A whole number from `MIN` to `MAX`: zero is always a mistake for a timeout or interval,
/// and a huge one overflows the clock. The error carries the value's place in the file.
pub(crate) fn in_range<'de, D: Deserializer<'de>, const MIN: u64, const MAX: u64>(
    deserializer: D,
) -> Result<u64, D::Error> {
    let value = i64::deserialize(deserializer)?;
    match u64::try_from(value) {
        Ok(value) if (MIN..=MAX).contains(&value) => Ok(value),
        _ if value < 1 && MIN >= 1 => Err(de::Error::custom(format!(
            "must be greater than zero (from {MIN} to {MAX}), got {value}"
        ))),
        _ => Err(de::Error::custom(format!(
            "must be from {MIN} to {MAX}, got {value}"
        ))),
    }
}

fn requests_per_second<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NonZeroU32, D::Error> {
    let value = in_range::<D, 1, MAX_REQUESTS_PER_SECOND>(deserializer)?;
    u32::try_from(value)
        .ok()
        .and_then(NonZeroU32::new)
        .ok_or_else(|| de::Error::custom("must be greater than zero"))
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
    fn huge_and_negative_numbers_are_refused() {
        for text in [
            "refresh_secs = 9223372036854775807",
            "refresh_secs = 86401",
            "max_interval_ms = -1",
            "max_requests_per_second = 4294967296",
            "max_requests_per_second = 1001",
        ] {
            let error = toml::from_str::<PollingSection>(text).expect_err(text);
            assert!(error.message().contains("must be"), "{text}: {error}");
            assert!(error.span().is_some(), "{text}");
        }
        let error = toml::from_str::<TimeoutsSection>("request_ms = 3600001").expect_err("big");
        assert!(error.message().contains("from 1 to 3600000"), "{error}");
        let ok: PollingSection = toml::from_str("refresh_secs = 86400").expect("the largest");
        assert_eq!(ok.refresh_secs, 86_400);
    }

    #[test]
    fn first_check_cannot_exceed_the_cap() {
        let section: PollingSection =
            toml::from_str("first_check_ms = 5000\nmax_interval_ms = 2000").expect("valid toml");
        let error = section.resolve().expect_err("inconsistent");
        assert!(error.to_string().contains("first_check_ms"), "{error}");
    }
}
