//! When to send again: the read retry policy (full-jitter backoff), `Retry-After` parsing, and
//! the client-wide throttle gate that holds every request until the server's wait is over.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;

/// The longest `Retry-After` honoured. A larger value (or an absurd date) is clamped so that a
/// misbehaving server or proxy cannot freeze the client for days; an hour is already longer
/// than anyone watches a throttled dashboard.
pub const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// The longest pause the throttle gate holds by default, whatever the server asks
/// (`[trading] max_throttle_pause_secs`): a `Retry-After: 3600` from a misbehaving proxy must
/// not silence the desk for an hour.
pub const DEFAULT_MAX_PAUSE: Duration = Duration::from_secs(120);

/// How reads are retried. POSTs are never retried, whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included; 1 means "never retry". 0 is treated as 1.
    pub max_attempts: u32,
    /// The backoff ceiling before the first retry; it doubles with every retry.
    pub base_delay: Duration,
    /// The backoff ceiling never grows past this.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// The upper bound of the wait before retry number `retry_index` (0 for the first retry):
    /// `min(max_delay, base_delay * 2^retry_index)`.
    pub fn backoff_ceiling(&self, retry_index: u32) -> Duration {
        let factor = 1_u32.checked_shl(retry_index).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// A full-jitter wait before retry number `retry_index`: uniform in
    /// `0..=backoff_ceiling(retry_index)`, at millisecond resolution. Full jitter spreads
    /// clients that failed together, so they do not come back together.
    pub fn backoff_delay<R: Rng + ?Sized>(&self, retry_index: u32, rng: &mut R) -> Duration {
        let ceiling = self.backoff_ceiling(retry_index);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.random_range(0..=ceiling_ms))
    }

    /// `max_attempts`, with 0 read as 1: a request is always sent at least once.
    pub fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }
}

/// Parses a `Retry-After` value: delta-seconds (`"120"`) or an HTTP-date
/// (`"Wed, 21 Oct 2015 07:28:00 GMT"`), relative to `now`. A date in the past means "now"
/// (zero). Anything else is `None`. The result is clamped to [`LONGEST_RETRY_AFTER`].
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits but too long for u64 is still "a very long time", not garbage.
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(LONGEST_RETRY_AFTER))
}

/// The instant before which this client sends nothing, shared by every clone of the client.
///
/// A server's `Retry-After` (or our own backoff after a bare 429) is a statement about the
/// whole client, not one request, so reads, POSTs and retries all wait here.
///
/// Every pause is capped ([`DEFAULT_MAX_PAUSE`] unless configured). A money-moving POST never
/// waits past its lock: [`ThrottleGate::wait_open_before`] refuses instead.
#[derive(Debug, Default)]
pub(crate) struct ThrottleGate {
    state: Mutex<GateState>,
}

#[derive(Debug)]
struct GateState {
    until: Option<Instant>,
    /// 429s without `Retry-After` in a row, client-wide: the backoff exponent for the next one.
    bare_rate_limits: u32,
    /// No pause is held longer than this.
    max_pause: Duration,
}

impl Default for GateState {
    fn default() -> Self {
        Self {
            until: None,
            bare_rate_limits: 0,
            max_pause: DEFAULT_MAX_PAUSE,
        }
    }
}

impl ThrottleGate {
    fn with_state<T>(&self, f: impl FnOnce(&mut GateState) -> T) -> T {
        // A panic while holding this lock cannot leave the state inconsistent (plain values),
        // so a poisoned lock is still usable.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut state)
    }

    /// The instant the gate opens, if it is still closed at `now`.
    pub(crate) fn until(&self, now: Instant) -> Option<Instant> {
        self.with_state(|state| state.until.filter(|until| *until > now))
    }

    /// Sets the longest pause held from now on (a zero cap is read as one second).
    pub(crate) fn set_max_pause(&self, max_pause: Duration) {
        self.with_state(|state| state.max_pause = max_pause.max(Duration::from_secs(1)));
    }

    /// Keeps the gate closed for at least `wait` (capped) from `now`; never shortens it.
    /// Returns the wait actually held.
    pub(crate) fn hold_for(&self, now: Instant, wait: Duration) -> Duration {
        self.with_state(|state| {
            let wait = wait.min(state.max_pause);
            if let Some(at) = now.checked_add(wait) {
                if state.until.is_none_or(|until| until < at) {
                    state.until = Some(at);
                }
            }
            wait
        })
    }

    /// A 429 came without `Retry-After`: closes the gate for a backoff that grows with every
    /// bare 429 in a row, and returns that wait.
    pub(crate) fn hold_after_bare_rate_limit<R: Rng + ?Sized>(
        &self,
        now: Instant,
        policy: &RetryPolicy,
        rng: &mut R,
    ) -> Duration {
        let strikes = self.with_state(|state| {
            state.bare_rate_limits = state.bare_rate_limits.saturating_add(1);
            state.bare_rate_limits
        });
        let wait = policy.backoff_delay(strikes - 1, rng);
        self.hold_for(now, wait)
    }

    /// Any answer other than 429 ends a run of bare 429s.
    pub(crate) fn note_not_rate_limited(&self) {
        self.with_state(|state| state.bare_rate_limits = 0);
    }

    /// Waits until the gate is open. Re-checks after each sleep, because another request may
    /// have pushed the instant further while this one slept.
    pub(crate) async fn wait_open(&self) {
        while let Some(until) = self.until(Instant::now()) {
            tokio::time::sleep_until(until.into()).await;
        }
    }

    /// Waits until the gate is open, unless it stays closed past `deadline`: then returns at
    /// once with the instant it opens, and the caller sends nothing. A money-moving POST is
    /// sent before its lock's deadline or not at all.
    pub(crate) async fn wait_open_before(&self, deadline: Instant) -> Result<(), Instant> {
        while let Some(until) = self.until(Instant::now()) {
            if until > deadline {
                return Err(until);
            }
            tokio::time::sleep_until(until.into()).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
        }
    }

    #[test]
    fn ceiling_doubles_then_caps() {
        let policy = policy();
        let ceilings: Vec<u128> = (0..8)
            .map(|n| policy.backoff_ceiling(n).as_millis())
            .collect();
        assert_eq!(ceilings, [250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(policy.backoff_ceiling(u32::MAX), Duration::from_secs(8));
    }

    #[test]
    fn backoff_stays_within_zero_and_the_ceiling() {
        let policy = policy();
        let mut rng = StdRng::seed_from_u64(7);
        for retry_index in 0..10 {
            let ceiling = policy.backoff_ceiling(retry_index);
            let mut longest = Duration::ZERO;
            for _ in 0..200 {
                let delay = policy.backoff_delay(retry_index, &mut rng);
                assert!(delay <= ceiling, "{delay:?} > {ceiling:?}");
                longest = longest.max(delay);
            }
            // Full jitter covers the range: 200 draws all landing in the lower half would
            // mean the ceiling is not what the RNG is drawing against.
            assert!(
                longest * 2 >= ceiling,
                "retry {retry_index}: max {longest:?}"
            );
        }
    }

    #[test]
    fn zero_base_delay_means_no_wait() {
        let policy = RetryPolicy {
            base_delay: Duration::ZERO,
            ..policy()
        };
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(policy.backoff_delay(3, &mut rng), Duration::ZERO);
    }

    #[test]
    fn zero_attempts_still_sends_once() {
        let policy = RetryPolicy {
            max_attempts: 0,
            ..policy()
        };
        assert_eq!(policy.attempts(), 1);
    }

    #[test]
    fn retry_after_in_seconds() {
        let now = SystemTime::now();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(LONGEST_RETRY_AFTER)
        );
    }

    #[test]
    fn retry_after_as_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_400); // 07:26:40 GMT
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(80))
        );
        // A date already past means "go ahead now".
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        // A date far away is clamped.
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 2100 23:59:59 GMT", now),
            Some(LONGEST_RETRY_AFTER)
        );
    }

    #[test]
    fn retry_after_garbage_is_none() {
        let now = SystemTime::now();
        for garbage in ["", "soon", "-5", "1.5", "Wed, 99 Oct 2015 07:28:00 GMT"] {
            assert_eq!(parse_retry_after(garbage, now), None, "{garbage:?}");
        }
    }

    #[test]
    fn gate_only_moves_later() {
        let gate = ThrottleGate::default();
        let now = Instant::now();
        assert_eq!(gate.until(now), None);
        gate.hold_for(now, Duration::from_secs(5));
        gate.hold_for(now, Duration::from_secs(1));
        assert_eq!(gate.until(now), Some(now + Duration::from_secs(5)));
        // Once the instant has passed the gate reads as open.
        assert_eq!(gate.until(now + Duration::from_secs(6)), None);
    }

    #[test]
    fn bare_rate_limits_back_off_further_each_time_until_reset() {
        let gate = ThrottleGate::default();
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(60),
            ..policy()
        };
        let mut rng = StdRng::seed_from_u64(3);
        let now = Instant::now();
        for strike in 0..4 {
            let wait = gate.hold_after_bare_rate_limit(now, &policy, &mut rng);
            assert!(wait <= policy.backoff_ceiling(strike));
        }
        gate.note_not_rate_limited();
        let wait = gate.hold_after_bare_rate_limit(now, &policy, &mut rng);
        assert!(wait <= policy.backoff_ceiling(0));
    }

    #[test]
    fn pauses_are_capped() {
        let gate = ThrottleGate::default();
        let now = Instant::now();
        assert_eq!(
            gate.hold_for(now, Duration::from_secs(3600)),
            DEFAULT_MAX_PAUSE
        );
        assert_eq!(gate.until(now), Some(now + DEFAULT_MAX_PAUSE));
        let gate = ThrottleGate::default();
        gate.set_max_pause(Duration::from_secs(5));
        assert_eq!(
            gate.hold_for(now, Duration::from_secs(45)),
            Duration::from_secs(5)
        );
        assert_eq!(gate.until(now), Some(now + Duration::from_secs(5)));
    }

    #[tokio::test]
    async fn a_pause_past_the_deadline_refuses_at_once() {
        let gate = ThrottleGate::default();
        let start = Instant::now();
        gate.hold_for(start, Duration::from_secs(45));
        let refused = gate
            .wait_open_before(start + Duration::from_secs(10))
            .await
            .expect_err("the gate opens after the deadline");
        assert_eq!(refused, start + Duration::from_secs(45));
        assert!(start.elapsed() < Duration::from_secs(5), "it did not wait");
        // A pause that ends before the deadline is waited out.
        let gate = ThrottleGate::default();
        gate.hold_for(start, Duration::from_millis(30));
        gate.wait_open_before(start + Duration::from_secs(10))
            .await
            .expect("opens in time");
        assert!(start.elapsed() >= Duration::from_millis(30));
    }

    #[tokio::test]
    async fn wait_open_returns_once_the_instant_has_passed() {
        let gate = ThrottleGate::default();
        let start = Instant::now();
        gate.hold_for(start, Duration::from_millis(50));
        gate.wait_open().await;
        assert!(start.elapsed() >= Duration::from_millis(50));
        assert_eq!(gate.until(Instant::now()), None);
    }
}
