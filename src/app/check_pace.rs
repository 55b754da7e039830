//! How often each watched row is really checked within the request budget, so the screen tells
//! the pace instead of promising "always fresh": with 1,000 rows at 5 requests/s a row is
//! checked every 3m30s, however short the backoff cap.

use std::time::Duration;

/// The poller's pace settings, as the app needs them to tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckPace {
    pub max_requests_per_second: u32,
    /// The backoff cap: a row is checked at least this often while the budget allows it.
    pub max_interval: Duration,
}

impl Default for CheckPace {
    fn default() -> Self {
        Self {
            max_requests_per_second: 5,
            max_interval: Duration::from_secs(30),
        }
    }
}

impl CheckPace {
    /// The time one full round of checks takes with `watched` rows at the budget: the
    /// budget's own spacing of starts (a little over 1 s / rate) per row.
    pub fn round(&self, watched: usize) -> Duration {
        let rows = u32::try_from(watched).unwrap_or(u32::MAX);
        crate::api::budget::spacing(self.max_requests_per_second).saturating_mul(rows)
    }

    /// The budget, not the backoff, sets the pace: each row waits longer than the cap.
    pub fn binds(&self, watched: usize) -> bool {
        self.round(watched) > self.max_interval
    }

    /// "each row checked every 3m30s at 5 req/s", when the budget binds.
    pub fn describe(&self, watched: usize) -> Option<String> {
        self.binds(watched).then(|| {
            format!(
                "each row checked every {} at {} req/s",
                human(self.round(watched)),
                self.max_requests_per_second
            )
        })
    }
}

/// "45s", "3m20s", "1h02m".
fn human(duration: Duration) -> String {
    let seconds = duration.as_secs() + u64::from(duration.subsec_millis() > 0);
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3_600 => format!("{}m{:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h{:02}m", seconds / 3_600, seconds % 3_600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pace_is_told_only_when_the_budget_binds() {
        let pace = CheckPace::default();
        assert_eq!(
            pace.describe(100),
            None,
            "100 rows: 21 s, within the 30 s cap"
        );
        assert_eq!(
            pace.describe(1_000).as_deref(),
            Some("each row checked every 3m30s at 5 req/s")
        );
        assert_eq!(
            pace.describe(10_000).as_deref(),
            Some("each row checked every 35m00s at 5 req/s")
        );
        assert_eq!(human(Duration::from_secs(7_300)), "2h01m");
    }
}
