//! The config file's TOML schema and parsing it into typed sections with line:column errors.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::error::ConfigError;
use super::timing::{PollingSection, TimeoutsSection, in_range};
use crate::api::paths::ApiPaths;

/// The whole file. Every table refuses unknown keys, so a typo is an error, not a silent default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ConfigFile {
    /// The profile to use when neither `--profile` nor `P100_PROFILE` picks one.
    pub profile: Option<String>,
    /// Journal and logs; relative paths are relative to the config file's directory.
    pub data_dir: Option<PathBuf>,
    pub profiles: BTreeMap<String, ProfileSection>,
    pub timeouts: TimeoutsSection,
    pub polling: PollingSection,
    pub history: super::history_section::HistorySection,
    pub journal: super::journal_section::JournalSection,
    pub api: ApiSection,
    pub trading: super::trading::TradingSection,
    /// How numbers are shown and typed (`"1,234.56"`, `"1.234,56"`, `"1 234,56"`, `"1'234.56"`).
    pub number_format: Option<crate::number_format::NumberFormat>,
    /// Remapped keys, per mode (see `config/keys.rs`).
    pub keys: super::keys::KeysSection,
    pub display: super::display::DisplaySection,
}

/// `[api]`: `[api.paths]`, the cap on answer bodies and an extra CA certificate.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ApiSection {
    pub paths: ApiPaths,
    /// A larger answer is refused as "response too large" (default 8).
    #[serde(deserialize_with = "in_range::<_, 1, 1024>")]
    pub max_response_mib: u64,
    /// A PEM file of certificates trusted besides the built-in roots (a team relay's own CA);
    /// relative to the config file's directory.
    pub ca_cert: Option<PathBuf>,
}

impl Default for ApiSection {
    fn default() -> Self {
        Self {
            paths: ApiPaths::default(),
            max_response_mib: (crate::api::DEFAULT_MAX_RESPONSE_BYTES / (1024 * 1024)) as u64,
            ca_cert: None,
        }
    }
}

/// `[profiles.<name>]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileSection {
    /// Absent means sandbox, unless `base_url` names a server.
    pub environment: Option<EnvironmentName>,
    pub base_url: Option<String>,
    pub key_file: Option<PathBuf>,
    /// Present only to turn an inline key into a pointed error; it never holds a value.
    #[serde(default, deserialize_with = "reject_inline_key", rename = "api_key")]
    pub _api_key: Option<()>,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default, deserialize_with = "positive_eur_amount")]
    pub max_exchange_eur: Option<Decimal>,
    #[serde(default)]
    pub bell: bool,
    /// The server is a team relay (`p100-desk relay serve`): open its event stream.
    #[serde(default)]
    pub relay: bool,
}

impl ProfileSection {
    /// The profile used when nothing else is configured: the built-in sandbox.
    pub fn built_in_sandbox() -> Self {
        Self {
            environment: Some(EnvironmentName::Sandbox),
            ..Self::default()
        }
    }
}

/// The `environment` value of a profile (and of `P100_ENVIRONMENT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum EnvironmentName {
    Sandbox,
    #[serde(alias = "staging")]
    Stage,
    Production,
}

impl FromStr for EnvironmentName {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sandbox" => Ok(Self::Sandbox),
            "stage" | "staging" => Ok(Self::Stage),
            "production" => Ok(Self::Production),
            other => Err(format!(
                "unknown environment \"{other}\"; expected sandbox, stage or production"
            )),
        }
    }
}

impl ConfigFile {
    /// Parses the file's text; errors name `path` and the 1-based line and column.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|error| {
            let (line, column) = error
                .span()
                .map_or((1, 1), |span| line_and_column(text, span.start));
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                // message() rather than Display: Display quotes source lines, and a source line
                // is the one place a misplaced secret could be echoed.
                message: error.message().trim().to_owned(),
            }
        })
    }
}

/// 1-based line and column (in characters) of a byte offset into `text`.
pub(crate) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn reject_inline_key<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<()>, D::Error> {
    // Consume the value without looking at it, then refuse: the key lives in a key file
    // (mode 600) or in P100_API_KEY, never in a file that gets shared and committed.
    de::IgnoredAny::deserialize(deserializer)?;
    Err(de::Error::custom(
        "the API key does not belong in the config file: put it in a file named by \
         key_file (chmod 600), or set P100_API_KEY",
    ))
}

/// A money amount in EUR from a TOML string ("2500.50") or integer (2500); a float is refused
/// because it cannot hold money exactly. Must be greater than zero.
fn positive_eur_amount<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {
    struct AmountVisitor;

    impl Visitor<'_> for AmountVisitor {
        type Value = Decimal;

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str("an amount in EUR as a string (\"2500.50\") or an integer")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Decimal, E> {
            Decimal::from_str(text.trim()).map_err(|_| {
                E::custom(format!(
                    "\"{text}\" is not an amount; write it like \"2500.50\""
                ))
            })
        }

        fn visit_i64<E: de::Error>(self, whole: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(whole))
        }

        fn visit_u64<E: de::Error>(self, whole: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(whole))
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Decimal, E> {
            Err(E::custom(
                "write the amount as a string, e.g. \"2500.50\": a TOML float cannot hold \
                 money exactly",
            ))
        }
    }

    let amount = deserializer.deserialize_any(AmountVisitor)?;
    if amount <= Decimal::ZERO {
        return Err(de::Error::custom(format!(
            "max_exchange_eur must be greater than zero, got {amount}"
        )));
    }
    Ok(Some(amount))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        ConfigFile::parse(Path::new("test.toml"), text)
    }

    #[test]
    fn empty_file_is_all_defaults() {
        let file = parse("").expect("empty file parses");
        assert!(file.profile.is_none());
        assert!(file.profiles.is_empty());
        assert_eq!(file.api.paths, ApiPaths::default());
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 6), (2, 1));
        // "é" is two bytes (7 and 8) but one column, so byte 9 is column 3.
        assert_eq!(line_and_column(text, 9), (2, 3));
        // An offset inside a character counts from its start.
        assert_eq!(line_and_column(text, 8), (2, 2));
        assert_eq!(line_and_column(text, 999), (3, 1));
    }

    #[test]
    fn amount_from_string_or_integer() {
        let file = parse(
            "[profiles.a]\nmax_exchange_eur = \"2500.50\"\n[profiles.b]\nmax_exchange_eur = 300\n",
        )
        .expect("valid");
        assert_eq!(
            file.profiles["a"].max_exchange_eur,
            Some(Decimal::new(250_050, 2))
        );
        assert_eq!(
            file.profiles["b"].max_exchange_eur,
            Some(Decimal::from(300))
        );
    }

    #[test]
    fn amount_as_float_is_refused_at_its_line() {
        let error = parse("[profiles.a]\nmax_exchange_eur = 2500.5\n").expect_err("float");
        let ConfigError::Parse { line, message, .. } = error else {
            panic!("expected a parse error, got {error:?}");
        };
        assert_eq!(line, 2);
        assert!(message.contains("as a string"), "{message}");
    }

    #[test]
    fn zero_or_negative_amount_is_refused() {
        for text in ["\"0\"", "-5", "\"-1.00\""] {
            let error = parse(&format!("[profiles.a]\nmax_exchange_eur = {text}\n"))
                .expect_err("not positive");
            assert!(error.to_string().contains("greater than zero"), "{error}");
        }
    }

    #[test]
    fn inline_key_is_refused_without_echoing_it() {
        let error = parse("[profiles.a]\napi_key = \"sk-very-secret\"\n").expect_err("inline");
        let text = error.to_string();
        assert!(text.contains("test.toml:2:"), "{text}");
        assert!(text.contains("key_file"), "{text}");
        assert!(!text.contains("sk-very-secret"), "{text}");
    }

    #[test]
    fn environment_names_parse_in_any_case() {
        assert_eq!("Stage".parse(), Ok(EnvironmentName::Stage));
        assert_eq!("staging".parse(), Ok(EnvironmentName::Stage));
        assert_eq!(" PRODUCTION ".parse(), Ok(EnvironmentName::Production));
        assert!("prod".parse::<EnvironmentName>().is_err());
    }
}
