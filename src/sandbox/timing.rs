//! Simulated time: how long each step takes at a given pace, and the mapping from the
//! monotonic clock the engine schedules on to the wall-clock timestamps the API writes.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rand::Rng;
use tokio::time::Instant;

use super::Pace;

/// Durations of one pace. All are sandbox choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Shortest time one queue/order transition takes.
    pub step_min: Duration,
    /// Longest time one queue/order transition takes.
    pub step_max: Duration,
    /// How long an exchange or order rate lock stays valid.
    pub lock_ttl: Duration,
    /// How long an order waits for (the rest of) its payment before it expires.
    pub payment_window: Duration,
}

impl Timing {
    /// The defaults of `pace`, with the lock TTL overridden when given.
    pub fn for_pace(pace: Pace, lock_ttl: Option<Duration>) -> Self {
        let base = match pace {
            Pace::Fast => Self {
                step_min: Duration::from_millis(20),
                step_max: Duration::from_millis(100),
                lock_ttl: Duration::from_secs(2),
                payment_window: Duration::from_millis(600),
            },
            Pace::Human => Self {
                step_min: Duration::from_secs(2),
                step_max: Duration::from_secs(5),
                lock_ttl: Duration::from_secs(30),
                payment_window: Duration::from_secs(60),
            },
        };
        Self {
            lock_ttl: lock_ttl.unwrap_or(base.lock_ttl),
            ..base
        }
    }

    /// A random step length in `step_min..=step_max`, whole milliseconds.
    pub fn step(&self, rng: &mut impl Rng) -> Duration {
        let min = u64::try_from(self.step_min.as_millis()).unwrap_or(u64::MAX);
        let max = u64::try_from(self.step_max.as_millis())
            .unwrap_or(u64::MAX)
            .max(min);
        Duration::from_millis(rng.random_range(min..=max))
    }
}

/// Maps engine instants to wall-clock time: `origin_wall` is what the wall clock read at
/// `origin`. Keeping one origin makes every timestamp follow from the monotonic clock, so
/// unit tests can drive time by hand.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: Instant,
    origin_wall: DateTime<Utc>,
}

impl Clock {
    pub fn new(origin: Instant, origin_wall: DateTime<Utc>) -> Self {
        Self {
            origin,
            origin_wall,
        }
    }

    /// Time since the sandbox started.
    pub fn elapsed(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.origin)
    }

    /// The wall-clock time of `at`.
    pub fn wall(&self, at: Instant) -> DateTime<Utc> {
        let offset = chrono::Duration::from_std(self.elapsed(at)).unwrap_or_default();
        self.origin_wall + offset
    }
}

/// ISO-8601 UTC with milliseconds and `Z`: `2026-02-13T11:28:46.569Z`.
pub fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn timestamps_follow_the_monotonic_clock() {
        let origin = Instant::now();
        let wall = Utc
            .with_ymd_and_hms(2026, 2, 13, 11, 28, 46)
            .single()
            .expect("valid time");
        let clock = Clock::new(origin, wall);
        let later = origin + Duration::from_millis(1569);
        assert_eq!(iso(clock.wall(later)), "2026-02-13T11:28:47.569Z");
        assert_eq!(clock.elapsed(later), Duration::from_millis(1569));
        assert_eq!(clock.wall(origin), wall);
    }

    #[test]
    fn steps_stay_in_the_pace_range() {
        let timing = Timing::for_pace(Pace::Fast, None);
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..100 {
            let step = timing.step(&mut rng);
            assert!(step >= timing.step_min && step <= timing.step_max);
        }
        let human = Timing::for_pace(Pace::Human, Some(Duration::from_secs(5)));
        assert_eq!(human.lock_ttl, Duration::from_secs(5));
        assert_eq!(human.step_min, Duration::from_secs(2));
    }
}
