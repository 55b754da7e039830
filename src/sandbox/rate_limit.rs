//! The sandbox's built-in rate limit: one token bucket shared by every authenticated request.
//!
//! The real limit is undocumented (P100-API.md: Rate limiting [assumed]); the sandbox answers
//! 429 with `Retry-After` in whole seconds when the bucket is empty.

use std::time::Duration;

use tokio::time::Instant;

/// Sustained requests per second and the burst allowed on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Tokens added per second.
    pub per_second: u32,
    /// Bucket size: how many requests may arrive at once after a quiet spell.
    pub burst: u32,
}

impl Default for RateLimit {
    /// Sandbox choice: generous, so only tests that aim for it ever see a 429.
    fn default() -> Self {
        Self {
            per_second: 50,
            burst: 100,
        }
    }
}

/// A token bucket; `None` limit lets everything through.
#[derive(Debug)]
pub struct TokenBucket {
    limit: Option<RateLimit>,
    tokens: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limit: Option<RateLimit>, now: Instant) -> Self {
        Self {
            limit,
            tokens: limit.map_or(0.0, |limit| f64::from(limit.burst)),
            refilled_at: now,
        }
    }

    /// Replaces the limit and refills the bucket.
    pub fn set_limit(&mut self, limit: Option<RateLimit>, now: Instant) {
        *self = Self::new(limit, now);
    }

    /// Takes a token, or says how long until one is available.
    pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let rate = f64::from(limit.per_second.max(1));
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(f64::from(limit.burst.max(1)));
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / rate))
        }
    }
}

/// `Retry-After` seconds for a wait: rounded up, at least 1.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    let whole = wait.as_secs();
    let rounded = if wait.subsec_nanos() > 0 {
        whole + 1
    } else {
        whole
    };
    rounded.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_bucket_refills_at_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(
            Some(RateLimit {
                per_second: 2,
                burst: 3,
            }),
            start,
        );
        for _ in 0..3 {
            assert_eq!(bucket.try_take(start), Ok(()));
        }
        let wait = bucket.try_take(start).expect_err("empty bucket");
        assert_eq!(retry_after_seconds(wait), 1);
        assert!(bucket.try_take(start + Duration::from_millis(499)).is_err());
        assert_eq!(bucket.try_take(start + Duration::from_secs(1)), Ok(()));
    }

    #[test]
    fn no_limit_lets_everything_through() {
        let now = Instant::now();
        let mut bucket = TokenBucket::new(None, now);
        for _ in 0..10_000 {
            assert_eq!(bucket.try_take(now), Ok(()));
        }
        bucket.set_limit(Some(RateLimit::default()), now);
        assert_eq!(bucket.try_take(now), Ok(()));
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
    }
}
