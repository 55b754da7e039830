//! When a pane's refresh failed, try again well before the slow refresh timer: a stale balance
//! is worse than an extra request. The wait doubles per failure in a row (capped) and is never
//! shorter than the server's Retry-After; one retry is scheduled at a time.

use std::time::Duration;

/// The backoff between retries of a failed pane refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleRetry {
    pub first: Duration,
    pub max: Duration,
}

impl Default for StaleRetry {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(5),
            max: Duration::from_secs(60),
        }
    }
}

/// The retry state: failures in a row, and which scheduled retry is the live one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetryState {
    failures: u32,
    /// The sequence number of the scheduled retry, while one is pending.
    pending: Option<u64>,
    seq: u64,
}

impl RetryState {
    /// A refresh failed: returns `(seq, wait)` for a new retry, or `None` when one is already
    /// scheduled (it will refresh both panes anyway).
    pub fn failed(
        &mut self,
        policy: StaleRetry,
        retry_after: Option<Duration>,
    ) -> Option<(u64, Duration)> {
        self.failures = self.failures.saturating_add(1);
        if self.pending.is_some() {
            return None;
        }
        let doublings = self.failures.saturating_sub(1).min(16);
        let backoff = policy
            .first
            .saturating_mul(1u32 << doublings)
            .min(policy.max);
        let wait = retry_after.map_or(backoff, |server| server.max(backoff));
        self.seq += 1;
        self.pending = Some(self.seq);
        Some((self.seq, wait))
    }

    /// Everything loaded: the next failure starts the backoff from the beginning.
    pub fn recovered(&mut self) {
        self.failures = 0;
    }

    /// The retry `seq` is due; true when it is the live one (a refresh should run).
    pub fn due(&mut self, seq: u64) -> bool {
        if self.pending == Some(seq) {
            self.pending = None;
            true
        } else {
            false
        }
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: StaleRetry = StaleRetry {
        first: Duration::from_secs(5),
        max: Duration::from_secs(60),
    };

    #[test]
    fn backoff_doubles_to_the_cap_and_resets_after_recovery() {
        let mut state = RetryState::default();
        let mut waits = Vec::new();
        for _ in 0..6 {
            let (seq, wait) = state.failed(POLICY, None).expect("nothing pending");
            assert!(state.due(seq));
            waits.push(wait.as_secs());
        }
        assert_eq!(waits, [5, 10, 20, 40, 60, 60]);
        state.recovered();
        assert_eq!(
            state.failed(POLICY, None).map(|(_, w)| w.as_secs()),
            Some(5)
        );
    }

    #[test]
    fn one_retry_at_a_time_and_stale_timers_are_ignored() {
        let mut state = RetryState::default();
        let (first, _) = state.failed(POLICY, None).expect("scheduled");
        assert_eq!(
            state.failed(POLICY, None),
            None,
            "the pending retry covers both panes"
        );
        assert!(!state.due(first + 7));
        assert!(state.due(first));
        assert!(!state.due(first), "a retry fires once");
    }

    #[test]
    fn never_sooner_than_retry_after() {
        let mut state = RetryState::default();
        let (_, wait) = state
            .failed(POLICY, Some(Duration::from_secs(90)))
            .expect("scheduled");
        assert_eq!(wait, Duration::from_secs(90));
    }
}
