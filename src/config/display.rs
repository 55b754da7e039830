//! The `[display]` table: how the screens look (theme, dates, time zone, reporting currency).
//! Nothing here changes what is sent to P100; the journal and exports stay UTC whatever it says.

use std::fmt::Write as _;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::error::ConfigError;

/// The colour themes. `NO_COLOR` (no-color.org) wins over every one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThemeName {
    /// Colours for a dark terminal background (the default).
    #[default]
    Dark,
    /// Colours for a light terminal background.
    Light,
    /// Bold, saturated colours on explicit backgrounds, for low vision and bright rooms.
    HighContrast,
}

impl ThemeName {
    pub const ALL: [ThemeName; 3] = [ThemeName::Dark, ThemeName::Light, ThemeName::HighContrast];

    pub fn as_str(self) -> &'static str {
        match self {
            ThemeName::Dark => "dark",
            ThemeName::Light => "light",
            ThemeName::HighContrast => "high-contrast",
        }
    }

    /// The theme after this one, for `:theme` without a name.
    #[must_use]
    pub fn next(self) -> ThemeName {
        match self {
            ThemeName::Dark => ThemeName::Light,
            ThemeName::Light => ThemeName::HighContrast,
            ThemeName::HighContrast => ThemeName::Dark,
        }
    }
}

impl FromStr for ThemeName {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase();
        ThemeName::ALL
            .into_iter()
            .find(|name| name.as_str() == wanted)
            .ok_or_else(|| {
                format!(
                    "unknown theme \"{}\"; expected dark, light or high-contrast",
                    text.trim()
                )
            })
    }
}

/// Where times are shown: the machine's zone, UTC, a named (IANA) zone, or a fixed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeZoneSetting {
    #[default]
    Local,
    Utc,
    /// An IANA name such as "Europe/Berlin": the header can say "CET".
    Named(Tz),
    Fixed(FixedOffset),
}

impl FromStr for TimeZoneSetting {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        match trimmed.to_ascii_lowercase().as_str() {
            "local" => return Ok(Self::Local),
            "utc" | "z" | "+00:00" => return Ok(Self::Utc),
            _ => {}
        }
        if let Ok(zone) = trimmed.parse::<Tz>() {
            return Ok(Self::Named(zone));
        }
        // "+01:00" / "-05:30": chrono parses an offset alone through a `%:z` format.
        let bad = || {
            format!(
                "unknown timezone \"{trimmed}\"; expected \"local\", \"UTC\", an IANA name like \"Europe/Berlin\" or an offset like \"+01:00\""
            )
        };
        let (sign, rest) = match trimmed.as_bytes().first() {
            Some(b'+') => (1, &trimmed[1..]),
            Some(b'-') => (-1, &trimmed[1..]),
            _ => return Err(bad()),
        };
        let (hours, minutes) = rest.split_once(':').ok_or_else(bad)?;
        let hours: i32 = hours.parse().map_err(|_| bad())?;
        let minutes: i32 = minutes.parse().map_err(|_| bad())?;
        if !(0..=23).contains(&hours) || !(0..=59).contains(&minutes) {
            return Err(bad());
        }
        FixedOffset::east_opt(sign * (hours * 3_600 + minutes * 60))
            .map(Self::Fixed)
            .ok_or_else(bad)
    }
}

/// The zone times are shown in, as of one moment: its offset and what the header calls it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownZone {
    pub offset: FixedOffset,
    /// "CET", "EST", "UTC"; "UTC+05:30" where the zone has no lettered abbreviation or is
    /// not known by name.
    pub label: String,
}

/// The machine's zone: its offset now, and its IANA name when one can be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalZone {
    pub offset: FixedOffset,
    pub name: Option<Tz>,
}

impl LocalZone {
    /// Reads `TZ` (an IANA name, optionally after ':'), else the system's zone (the
    /// /etc/localtime link on Linux, via iana-time-zone). A name whose offset now differs from
    /// the one the C library reports is not trusted (a `TZ` POSIX rule, a stale link).
    pub fn detect(now: DateTime<Utc>) -> Self {
        let offset = chrono::Local.offset_from_utc_datetime(&now.naive_utc());
        let from_env = std::env::var("TZ")
            .ok()
            .and_then(|text| text.trim_start_matches(':').parse::<Tz>().ok());
        let name = from_env
            .or_else(|| {
                iana_time_zone::get_timezone()
                    .ok()
                    .and_then(|text| text.parse::<Tz>().ok())
            })
            .filter(|zone| zone_offset(*zone, now) == offset);
        Self { offset, name }
    }
}

fn zone_offset(zone: Tz, now: DateTime<Utc>) -> FixedOffset {
    zone.offset_from_utc_datetime(&now.naive_utc()).fix()
}

/// "UTC" or "UTC+01:00": the name of an offset alone.
pub fn offset_label(offset: FixedOffset) -> String {
    if offset.local_minus_utc() == 0 {
        "UTC".into()
    } else {
        format!("UTC{offset}")
    }
}

/// The zone's abbreviation at `now` when it has one in letters ("CET", "EDT"); the tz
/// database writes "+03" for zones without one, and those get the offset's name instead.
fn zone_label(zone: Tz, now: DateTime<Utc>) -> String {
    let abbreviation = now.with_timezone(&zone).format("%Z").to_string();
    if abbreviation.is_empty() || abbreviation.starts_with(['+', '-']) {
        offset_label(zone_offset(zone, now))
    } else {
        abbreviation
    }
}

impl TimeZoneSetting {
    /// The offset and label to show times with at `now`, given the machine's zone (read once
    /// at start-up by the caller).
    pub fn shown(self, local: LocalZone, now: DateTime<Utc>) -> ShownZone {
        let (offset, label) = match self {
            Self::Local => match local.name {
                Some(zone) => (local.offset, zone_label(zone, now)),
                None => (local.offset, offset_label(local.offset)),
            },
            Self::Utc => (Utc.fix(), "UTC".to_string()),
            Self::Named(zone) => (zone_offset(zone, now), zone_label(zone, now)),
            Self::Fixed(offset) => (offset, offset_label(offset)),
        };
        ShownZone { offset, label }
    }
}

/// The default `date_format`: ISO, with the year, so no row reads as another year's.
pub const DEFAULT_DATE_FORMAT: &str = "%Y-%m-%d %H:%M";

/// `[display]` as written in the file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DisplaySection {
    pub theme: Option<ThemeName>,
    pub date_format: Option<String>,
    pub timezone: Option<String>,
    pub reporting_currency: Option<String>,
}

/// The display settings after checking, for the screens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplaySettings {
    pub theme: ThemeName,
    /// chrono `strftime` text for rows not from today (today's rows show `HH:MM`).
    pub date_format: String,
    pub timezone: TimeZoneSetting,
    /// The currency of the balances' indicative values and total (lower case, e.g. "eur").
    pub reporting_currency: String,
}

impl Default for DisplaySettings {
    fn default() -> Self {
        Self {
            theme: ThemeName::Dark,
            date_format: DEFAULT_DATE_FORMAT.into(),
            timezone: TimeZoneSetting::Local,
            reporting_currency: "eur".into(),
        }
    }
}

impl DisplaySection {
    /// Checks the table; a bad value is an error naming the key (the app does not start on a
    /// setting it would silently ignore).
    pub fn resolve(&self) -> Result<DisplaySettings, ConfigError> {
        self.check().map_err(|message| ConfigError::Invalid {
            setting: "[display]".into(),
            message,
        })
    }

    fn check(&self) -> Result<DisplaySettings, String> {
        let defaults = DisplaySettings::default();
        let date_format = match &self.date_format {
            Some(format) => check_date_format(format)?,
            None => defaults.date_format,
        };
        let timezone = match &self.timezone {
            Some(text) => text.parse().map_err(|e| format!("timezone: {e}"))?,
            None => defaults.timezone,
        };
        let reporting_currency = match &self.reporting_currency {
            Some(text) => check_currency(text)?,
            None => defaults.reporting_currency,
        };
        Ok(DisplaySettings {
            theme: self.theme.unwrap_or_default(),
            date_format,
            timezone,
            reporting_currency,
        })
    }
}

/// A `date_format` chrono can write, and that says at least the day: a format that chrono
/// cannot write would panic inside `to_string`, so it is refused here, once.
fn check_date_format(format: &str) -> Result<String, String> {
    let mut sample = String::new();
    let written = write!(sample, "{}", Utc::now().format(format)).is_ok();
    if !written || format.trim().is_empty() {
        return Err(format!(
            "date_format \"{format}\" is not a chrono format such as \"{DEFAULT_DATE_FORMAT}\""
        ));
    }
    if sample.chars().count() > 24 {
        return Err(format!(
            "date_format \"{format}\" is longer than 24 characters once written"
        ));
    }
    Ok(format.to_string())
}

fn check_currency(text: &str) -> Result<String, String> {
    let slug = text.trim().to_ascii_lowercase();
    if slug.is_empty() || slug.len() > 10 || !slug.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "reporting_currency \"{}\" is not a currency name such as \"eur\"",
            text.trim()
        ));
    }
    Ok(slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(text: &str) -> Result<DisplaySettings, String> {
        toml::from_str::<DisplaySection>(text)
            .map_err(|e| e.to_string())?
            .check()
    }

    #[test]
    fn defaults_are_dark_iso_local_eur() {
        assert_eq!(section(""), Ok(DisplaySettings::default()));
    }

    #[test]
    fn every_setting_is_read_and_checked() {
        let settings = section(
            r#"theme = "high-contrast"
               date_format = "%d.%m.%Y %H:%M"
               timezone = "-05:30"
               reporting_currency = "USDC""#,
        )
        .expect("valid");
        assert_eq!(settings.theme, ThemeName::HighContrast);
        assert_eq!(settings.date_format, "%d.%m.%Y %H:%M");
        assert_eq!(
            settings.timezone,
            TimeZoneSetting::Fixed(FixedOffset::west_opt(5 * 3_600 + 1_800).expect("offset"))
        );
        assert_eq!(settings.reporting_currency, "usdc");
        assert!(section(r#"theme = "solarized""#).is_err());
        assert!(section(r#"timezone = "Mars/Olympus""#).is_err());
        assert!(section(r#"timezone = "+25:00""#).is_err());
        assert!(section(r#"date_format = "%Q""#).is_err());
        assert!(section(r#"reporting_currency = "e u r""#).is_err());
        assert!(
            section(r#"colour = "red""#).is_err(),
            "unknown keys are refused"
        );
        assert_eq!(
            section(r#"timezone = "UTC""#).map(|s| s.timezone),
            Ok(TimeZoneSetting::Utc)
        );
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("fixed time")
            .with_timezone(&Utc)
    }

    fn named(name: &str) -> TimeZoneSetting {
        name.parse().expect("an IANA name")
    }

    #[test]
    fn named_zones_show_their_abbreviation_and_follow_the_season() {
        let winter = at("2026-01-15T12:00:00Z");
        let summer = at("2026-07-15T12:00:00Z");
        let no_local = LocalZone {
            offset: Utc.fix(),
            name: None,
        };
        let shown = |setting: TimeZoneSetting, now| setting.shown(no_local, now);
        let berlin = named("Europe/Berlin");
        assert_eq!(shown(berlin, winter).label, "CET");
        assert_eq!(shown(berlin, winter).offset.local_minus_utc(), 3_600);
        assert_eq!(shown(berlin, summer).label, "CEST");
        assert_eq!(shown(named("America/New_York"), winter).label, "EST");
        assert_eq!(shown(named("Etc/UTC"), winter).label, "UTC");
        // The tz database has no letters for Dubai ("+04"): the offset is named instead.
        assert_eq!(shown(named("Asia/Dubai"), winter).label, "UTC+04:00");
        assert_eq!(shown(TimeZoneSetting::Utc, winter).label, "UTC");
        let fixed: TimeZoneSetting = "+05:30".parse().expect("offset");
        assert_eq!(shown(fixed, winter).label, "UTC+05:30");
        assert_eq!(
            section(r#"timezone = "Europe/Berlin""#).map(|s| s.timezone),
            Ok(berlin)
        );
    }

    #[test]
    fn the_local_zone_is_named_when_known_and_its_offset_otherwise() {
        let winter = at("2026-01-15T12:00:00Z");
        let cet = FixedOffset::east_opt(3_600).expect("offset");
        let known = LocalZone {
            offset: cet,
            name: "Europe/Paris".parse().ok(),
        };
        assert_eq!(
            TimeZoneSetting::Local.shown(known, winter),
            ShownZone {
                offset: cet,
                label: "CET".into()
            }
        );
        let unknown = LocalZone {
            offset: cet,
            name: None,
        };
        assert_eq!(
            TimeZoneSetting::Local.shown(unknown, winter).label,
            "UTC+01:00"
        );
    }

    #[test]
    fn theme_names_parse_and_cycle() {
        for name in ThemeName::ALL {
            assert_eq!(name.as_str().parse(), Ok(name));
            assert_ne!(name.next(), name);
        }
        assert_eq!(" Light ".parse(), Ok(ThemeName::Light));
    }
}
