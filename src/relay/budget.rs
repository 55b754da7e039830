//! The relay's request budget towards P100 for reads it makes on the team's behalf (the
//! poller, details refreshes, rates for four eyes): evenly spaced, never a burst after a lull.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::{Interval, MissedTickBehavior};

/// At most `per_second` permits a second (one more at the very start).
#[derive(Debug)]
pub struct Budget {
    ticks: Mutex<Interval>,
}

impl Budget {
    pub fn new(per_second: u32) -> Self {
        let per_second = per_second.max(1);
        let mut ticks = tokio::time::interval(Duration::from_secs(1) / per_second);
        // After a quiet spell the next permit comes at once and the rest are spaced again,
        // instead of the missed ticks firing together.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self {
            ticks: Mutex::new(ticks),
        }
    }

    /// Waits for the next permit.
    pub async fn acquire(&self) {
        self.ticks.lock().await.tick().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn permits_are_spaced() {
        let budget = Budget::new(10);
        let start = tokio::time::Instant::now();
        for _ in 0..11 {
            budget.acquire().await;
        }
        // The first is immediate, the next ten 100 ms apart.
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
