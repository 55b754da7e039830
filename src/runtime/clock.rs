//! The time the loop tells the app: the system's wall clock, or (for paused-clock tests) a wall
//! time that moves with tokio's clock, so a test that lets tokio advance sees "updated 20s ago".

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    /// `Utc::now()`: what the desk runs with.
    #[default]
    System,
    /// `wall` at tokio's `origin`, plus the tokio time elapsed since.
    Tokio {
        origin: Instant,
        wall: DateTime<Utc>,
    },
}

impl Clock {
    /// A clock that follows tokio's from now on (paused or not).
    pub fn tokio() -> Self {
        Self::Tokio {
            origin: Instant::now(),
            wall: Utc::now(),
        }
    }

    pub fn now(self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            Self::Tokio { origin, wall } => {
                let elapsed = TimeDelta::from_std(origin.elapsed()).unwrap_or(TimeDelta::MAX);
                wall.checked_add_signed(elapsed).unwrap_or(wall)
            }
        }
    }
}

/// Time from `now` to the next minute boundary, when the header clock (HH:MM) changes.
pub fn until_next_minute(now: DateTime<Utc>) -> Duration {
    let into_minute = Duration::from_secs(u64::from(now.second()))
        + Duration::from_nanos(u64::from(now.nanosecond() % 1_000_000_000));
    Duration::from_secs(60).saturating_sub(into_minute) + Duration::from_millis(5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_minute_is_within_a_minute() {
        let now = Utc::now();
        assert!(until_next_minute(now) <= Duration::from_millis(60_005));
        let Some(on_the_minute) = now.with_second(0).and_then(|t| t.with_nanosecond(0)) else {
            return;
        };
        let half = on_the_minute + TimeDelta::seconds(30);
        assert_eq!(until_next_minute(half), Duration::from_millis(30_005));
    }

    #[tokio::test(start_paused = true)]
    async fn the_tokio_clock_moves_with_paused_time() {
        let clock = Clock::tokio();
        let start = clock.now();
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!((clock.now() - start).num_seconds(), 10);
    }
}
