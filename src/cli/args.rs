//! Argument types the headless commands share: kinds, durations, dates.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use clap::ValueEnum;

/// `--kind`: what an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Exchange,
    Order,
}

/// `30s`, `5m`, `2h`, `1h30m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = 0u64;
    let mut digits = String::new();
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(format!("\"{text}\": use e.g. 90s, 5m or 1h")),
        };
        let value: u64 = digits
            .parse()
            .map_err(|_| format!("\"{text}\": a number must come before '{ch}'"))?;
        total = total.saturating_add(value.saturating_mul(unit));
        digits.clear();
    }
    if !digits.is_empty() || text.is_empty() {
        return Err(format!("\"{text}\": use e.g. 90s, 5m or 1h"));
    }
    Ok(Duration::from_secs(total))
}

/// A point in time given as `2026-02-13` (UTC midnight) or RFC 3339 (`2026-02-13T11:30:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeArg {
    pub at: DateTime<Utc>,
    /// A bare date: as an upper bound it means "to the end of that day".
    pub date_only: bool,
}

impl TimeArg {
    /// The instant from which rows are included (`--since`).
    pub fn from(self) -> DateTime<Utc> {
        self.at
    }

    /// The instant before which rows are included (`--until`, exclusive).
    pub fn until(self) -> DateTime<Utc> {
        if self.date_only {
            self.at + chrono::Duration::days(1)
        } else {
            self.at + chrono::Duration::milliseconds(1)
        }
    }
}

pub fn parse_time(text: &str) -> Result<TimeArg, String> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let at = date
            .and_hms_opt(0, 0, 0)
            .map(|naive| naive.and_utc())
            .ok_or_else(|| format!("\"{text}\" is not a date"))?;
        return Ok(TimeArg {
            at,
            date_only: true,
        });
    }
    DateTime::parse_from_rfc3339(text)
        .map(|at| TimeArg {
            at: at.with_timezone(&Utc),
            date_only: false,
        })
        .map_err(|_| format!("\"{text}\": use 2026-02-13 or 2026-02-13T11:30:00Z"))
}

/// ISO-8601 UTC with milliseconds, the one time format of every headless output.
pub fn iso(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("5m3").is_err());
    }

    #[test]
    fn dates_and_times() {
        let day = parse_time("2026-02-13").expect("date");
        assert!(day.date_only);
        assert_eq!(iso(day.from()), "2026-02-13T00:00:00.000Z");
        assert_eq!(iso(day.until()), "2026-02-14T00:00:00.000Z");
        let exact = parse_time("2026-02-13T11:30:00+01:00").expect("time");
        assert_eq!(iso(exact.from()), "2026-02-13T10:30:00.000Z");
        assert!(parse_time("13/02/2026").is_err());
    }
}
