//! `[trading]`: how a rate lock is checked before a confirm counts (see `lock_check`), and the
//! longest pause a server's `Retry-After` may impose on the whole client.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::lock_check::LockPolicy;

/// The trading settings, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trading {
    pub lock_policy: LockPolicy,
    /// A `Retry-After` longer than this is cut to it (429 and 503 only pause the client).
    pub max_throttle_pause: Duration,
}

impl Default for Trading {
    fn default() -> Self {
        TradingSection::default().resolve()
    }
}

/// The longest lock lifetime or pause a setting may name: a day is already absurd for both.
const MAX_SECONDS: u64 = 24 * 60 * 60;

/// `[trading]` as written in the file. Every key is optional.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct TradingSection {
    /// Percent a locked rate may differ from the last indicative quote without a warning.
    #[serde(deserialize_with = "percent")]
    pub max_rate_deviation_pct: Decimal,
    /// The exchange fee agreed with P100, percent (the docs: 1.49, negotiable).
    #[serde(deserialize_with = "percent")]
    pub exchange_fee_pct: Decimal,
    /// A lock claiming to hold longer than this is warned about.
    #[serde(deserialize_with = "seconds")]
    pub max_lock_lifetime_secs: u64,
    /// The cap on any server-requested pause.
    #[serde(deserialize_with = "seconds")]
    pub max_throttle_pause_secs: u64,
}

impl Default for TradingSection {
    fn default() -> Self {
        let policy = LockPolicy::default();
        Self {
            max_rate_deviation_pct: policy.max_rate_deviation_pct,
            exchange_fee_pct: policy.exchange_fee_pct,
            max_lock_lifetime_secs: u64::try_from(policy.max_lock_lifetime.num_seconds())
                .unwrap_or(600),
            max_throttle_pause_secs: 120,
        }
    }
}

impl TradingSection {
    pub fn resolve(&self) -> Trading {
        let lifetime = i64::try_from(self.max_lock_lifetime_secs).unwrap_or(i64::MAX);
        Trading {
            lock_policy: LockPolicy {
                max_rate_deviation_pct: self.max_rate_deviation_pct,
                exchange_fee_pct: self.exchange_fee_pct,
                max_lock_lifetime: chrono::Duration::seconds(lifetime),
            },
            max_throttle_pause: Duration::from_secs(self.max_throttle_pause_secs),
        }
    }
}

/// A percentage from 0 to 100, as a TOML number (`1.49`, `2`) or string (`"1.49"`). Not money,
/// so a float is fine: it is read through its shortest decimal form.
fn percent<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    struct PercentVisitor;

    impl Visitor<'_> for PercentVisitor {
        type Value = Decimal;

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str("a percentage from 0 to 100, like 1.49")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Decimal, E> {
            Decimal::from_str(text.trim())
                .map_err(|_| E::custom(format!("\"{text}\" is not a number; write it like 1.49")))
        }

        fn visit_i64<E: de::Error>(self, whole: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(whole))
        }

        fn visit_u64<E: de::Error>(self, whole: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(whole))
        }

        fn visit_f64<E: de::Error>(self, value: f64) -> Result<Decimal, E> {
            Decimal::from_str(&value.to_string())
                .map_err(|_| E::custom(format!("{value} is not a usable percentage")))
        }
    }

    let value = deserializer.deserialize_any(PercentVisitor)?;
    if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
        return Err(de::Error::custom(format!(
            "must be a percentage from 0 to 100, got {value}"
        )));
    }
    Ok(value)
}

/// Whole seconds from 1 to a day.
fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let value = i128::deserialize(deserializer)?;
    if !(1..=i128::from(MAX_SECONDS)).contains(&value) {
        return Err(de::Error::custom(format!(
            "must be from 1 to {MAX_SECONDS} seconds, got {value}"
        )));
    }
    u64::try_from(value).map_err(de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct File {
        #[serde(default)]
        trading: TradingSection,
    }

    fn parse(text: &str) -> Result<Trading, String> {
        toml::from_str::<File>(text)
            .map(|file| file.trading.resolve())
            .map_err(|error| error.message().to_owned())
    }

    #[test]
    fn defaults_follow_the_docs() {
        let trading = parse("").expect("defaults");
        assert_eq!(trading, Trading::default());
        assert_eq!(trading.lock_policy, LockPolicy::default());
        assert_eq!(trading.max_throttle_pause, Duration::from_secs(120));
    }

    #[test]
    fn values_in_every_spelling() {
        let trading = parse(
            "[trading]\nmax_rate_deviation_pct = 1.5\nexchange_fee_pct = \"0.99\"\n\
             max_lock_lifetime_secs = 300\nmax_throttle_pause_secs = 30\n",
        )
        .expect("valid");
        assert_eq!(
            trading.lock_policy.max_rate_deviation_pct,
            Decimal::new(15, 1)
        );
        assert_eq!(trading.lock_policy.exchange_fee_pct, Decimal::new(99, 2));
        assert_eq!(
            trading.lock_policy.max_lock_lifetime,
            chrono::Duration::minutes(5)
        );
        assert_eq!(trading.max_throttle_pause, Duration::from_secs(30));
    }

    #[test]
    fn out_of_range_values_are_refused() {
        for text in [
            "max_rate_deviation_pct = -1",
            "exchange_fee_pct = 101",
            "exchange_fee_pct = \"lots\"",
            "max_lock_lifetime_secs = 0",
            "max_throttle_pause_secs = 9223372036854775807",
            "unknown_key = 1",
        ] {
            assert!(parse(&format!("[trading]\n{text}\n")).is_err(), "{text}");
        }
    }
}
