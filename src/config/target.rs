//! `Target`: which server the app talks to (built-in sandbox or a remote URL) and with which key.

use std::fmt;
use std::path::Path;

use secrecy::SecretString;

use crate::api::{BaseUrl, KnownServer};

use super::env_vars::{self, EnvVars};
use super::error::ConfigError;
use super::file::{EnvironmentName, ProfileSection};
use super::secret_file::{FileText, check_private, parse_key};
use super::{CliOverrides, expand_path};

/// P100's staging API (test money).
pub const STAGE_URL: &str = "https://partner-api-stage.p100.io";
/// P100's production API (real money).
pub const PRODUCTION_URL: &str = "https://partner-api.p100.io";

/// Which rules apply to a remote server. Production is real money: the strictest checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Stage,
    Production,
    /// Any other server, e.g. a sandbox started with `p100-desk sandbox`.
    Custom,
}

impl fmt::Display for Environment {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::Stage => "stage",
            Self::Production => "production",
            Self::Custom => "a custom server",
        })
    }
}

/// The server the app talks to. Debug never shows the key (`SecretString` redacts itself).
#[derive(Debug, Clone)]
pub enum Target {
    /// Start the built-in simulated server on loopback; it needs no key from the user.
    Sandbox,
    Remote {
        environment: Environment,
        /// No trailing slash and no `/v1`: the API paths carry that.
        base_url: String,
        api_key: SecretString,
    },
}

impl Target {
    pub fn is_sandbox(&self) -> bool {
        matches!(self, Self::Sandbox)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sandbox => formatter.write_str("the built-in sandbox"),
            Self::Remote {
                environment,
                base_url,
                ..
            } => write!(formatter, "{environment} at {base_url}"),
        }
    }
}

/// What target resolution reads. The key file is read through `read_key_file` only when the
/// target is remote and `P100_API_KEY` is not set.
pub(crate) struct TargetInputs<'a> {
    pub profile_name: &'a str,
    pub profile: &'a ProfileSection,
    pub env: &'a EnvVars,
    pub cli: &'a CliOverrides,
    pub config_file: Option<&'a FileText>,
}

pub(crate) fn resolve_target(
    inputs: &TargetInputs<'_>,
    read_key_file: &dyn Fn(&Path) -> std::io::Result<FileText>,
    warnings: &mut Vec<String>,
) -> Result<Target, ConfigError> {
    if inputs.cli.sandbox {
        return Ok(Target::Sandbox);
    }
    let profile_setting = |key: &str| format!("[profiles.{}] {key}", inputs.profile_name);
    let environment = match inputs.env.get(env_vars::ENVIRONMENT) {
        Some(text) => Some(text.parse().map_err(|message| ConfigError::Invalid {
            setting: env_vars::ENVIRONMENT.into(),
            message,
        })?),
        None => inputs.profile.environment,
    };
    let base_url = if let Some(url) = &inputs.cli.base_url {
        Some((url.as_str(), "--base-url".to_owned()))
    } else if let Some(url) = inputs.env.get(env_vars::BASE_URL) {
        Some((url, env_vars::BASE_URL.to_owned()))
    } else {
        inputs
            .profile
            .base_url
            .as_deref()
            .map(|url| (url, profile_setting("base_url")))
    };

    let (environment, base_url) = match (environment, base_url) {
        (None | Some(EnvironmentName::Sandbox), None) => return Ok(Target::Sandbox),
        (Some(EnvironmentName::Stage), None) => (Environment::Stage, STAGE_URL.to_owned()),
        (Some(EnvironmentName::Production), None) => {
            (Environment::Production, PRODUCTION_URL.to_owned())
        }
        (Some(name), Some((url, setting))) => {
            let parsed = parse_base_url(url, &setting)?;
            // A declared stage/production profile keeps its rules even behind a proxy URL,
            // and P100's production host gets production's rules whatever was declared.
            let environment = match (name, classify(&parsed)) {
                (_, Environment::Production) | (EnvironmentName::Production, _) => {
                    Environment::Production
                }
                (EnvironmentName::Stage, _) => Environment::Stage,
                (EnvironmentName::Sandbox, by_url) => by_url,
            };
            (
                environment,
                check_base_url(&parsed, &setting, environment, warnings)?,
            )
        }
        (None, Some((url, setting))) => {
            let parsed = parse_base_url(url, &setting)?;
            let environment = classify(&parsed);
            (
                environment,
                check_base_url(&parsed, &setting, environment, warnings)?,
            )
        }
    };

    if let Some(config_file) = inputs.config_file {
        check_private(
            config_file,
            "config file",
            environment,
            inputs.profile_name,
            warnings,
        )?;
    }
    let api_key = load_key(inputs, environment, &base_url, read_key_file, warnings)?;
    Ok(Target::Remote {
        environment,
        base_url,
        api_key,
    })
}

/// A URL without a declared environment still gets production rules if it is production,
/// however its host is written (case, a trailing dot, the default port).
fn classify(url: &BaseUrl) -> Environment {
    match url.known_server() {
        Some(KnownServer::Production) => Environment::Production,
        Some(KnownServer::Stage) => Environment::Stage,
        None => Environment::Custom,
    }
}

/// Parses through the one validator the API client uses too ([`BaseUrl`]).
fn parse_base_url(raw: &str, setting: &str) -> Result<BaseUrl, ConfigError> {
    BaseUrl::parse(raw).map_err(|why| ConfigError::Invalid {
        setting: setting.to_owned(),
        message: format!("\"{}\" {why}", raw.trim()),
    })
}

fn load_key(
    inputs: &TargetInputs<'_>,
    environment: Environment,
    base_url: &str,
    read_key_file: &dyn Fn(&Path) -> std::io::Result<FileText>,
    warnings: &mut Vec<String>,
) -> Result<SecretString, ConfigError> {
    if let Some(key) = inputs.env.get(env_vars::API_KEY) {
        return parse_key(key, env_vars::API_KEY);
    }
    let Some(key_file) = &inputs.profile.key_file else {
        return Err(ConfigError::MissingKey {
            profile: inputs.profile_name.to_owned(),
            environment: environment.to_string(),
            base_url: base_url.to_owned(),
        });
    };
    let config_dir = inputs
        .config_file
        .and_then(|file| file.path.parent())
        .filter(|dir| !dir.as_os_str().is_empty());
    let path = expand_path(key_file, config_dir, inputs.env.get(env_vars::HOME));
    let file = read_key_file(&path).map_err(|source| ConfigError::Read {
        what: "key file",
        path: path.clone(),
        source,
    })?;
    check_private(
        &file,
        "key file",
        environment,
        inputs.profile_name,
        warnings,
    )?;
    parse_key(&file.text, &format!("key file {}", path.display()))
}

/// Applies the environment's rules to a parsed base URL and returns its normalised text.
/// Plain http leaves this machine only for a custom server (with a warning): stage and
/// production keys never travel unencrypted.
fn check_base_url(
    url: &BaseUrl,
    setting: &str,
    environment: Environment,
    warnings: &mut Vec<String>,
) -> Result<String, ConfigError> {
    if !url.is_https() && !url.is_loopback() {
        if matches!(environment, Environment::Production | Environment::Stage) {
            return Err(ConfigError::Invalid {
                setting: setting.to_owned(),
                message: format!(
                    "\"{url}\" uses plain http to another machine: the {environment} API key \
                     would travel unencrypted; use https:// (plain http is only for a server \
                     on this machine: localhost, 127.0.0.0/8 or ::1)"
                ),
            });
        }
        warnings.push(format!(
            "{setting}: {url} uses plain http to another machine; the API key travels unencrypted"
        ));
    }
    if url.path().ends_with("/v1") {
        warnings.push(format!(
            "{setting}: {url} ends in /v1, but every API path already starts with /v1; \
             the base URL is usually just the scheme and host"
        ));
    }
    Ok(url.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, environment: Environment) -> (Result<String, ConfigError>, Vec<String>) {
        let mut warnings = Vec::new();
        let result = parse_base_url(url, "test")
            .and_then(|parsed| check_base_url(&parsed, "test", environment, &mut warnings));
        (result, warnings)
    }

    fn classify_text(url: &str) -> Environment {
        classify(&BaseUrl::parse(url).expect("valid URL"))
    }

    #[test]
    fn base_url_is_normalised() {
        let (url, warnings) = check("https://example.com/", Environment::Custom);
        assert_eq!(url.expect("valid"), "https://example.com");
        assert!(warnings.is_empty());
        let (url, warnings) = check("http://127.0.0.1:18080", Environment::Production);
        assert_eq!(
            url.expect("loopback http is fine"),
            "http://127.0.0.1:18080"
        );
        assert!(warnings.is_empty());
        let (url, _) = check("http://[::1]:18080/", Environment::Production);
        assert_eq!(url.expect("loopback v6"), "http://[::1]:18080");
    }

    #[test]
    fn bad_base_urls_are_refused() {
        for url in [
            "example.com",
            "ftp://x",
            "https://",
            "https://x?a=1",
            "https://:80",
        ] {
            assert!(check(url, Environment::Custom).0.is_err(), "{url}");
        }
    }

    #[test]
    fn plain_http_elsewhere_warns_or_is_refused() {
        let (url, warnings) = check("http://10.0.0.5:8080", Environment::Custom);
        assert!(url.is_ok());
        assert_eq!(warnings.len(), 1);
        assert!(check("http://10.0.0.5", Environment::Production).0.is_err());
        assert!(check("http://10.0.0.5", Environment::Stage).0.is_err());
        // A name that merely starts like a loopback address is another machine.
        assert!(
            check("http://127.example.com", Environment::Production)
                .0
                .is_err()
        );
        let (url, warnings) = check("http://127.example.com", Environment::Custom);
        assert!(url.is_ok());
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn trailing_v1_warns() {
        let (url, warnings) = check("https://x.example/v1/", Environment::Custom);
        assert_eq!(url.expect("valid"), "https://x.example/v1");
        assert!(warnings[0].contains("/v1"));
    }

    #[test]
    fn known_urls_are_classified() {
        for production in [
            "https://partner-api.p100.io/",
            "https://PARTNER-API.P100.IO",
            "https://partner-api.p100.io.",
            "https://partner-api.p100.io:443/",
        ] {
            assert_eq!(
                classify_text(production),
                Environment::Production,
                "{production}"
            );
        }
        assert_eq!(classify_text(STAGE_URL), Environment::Stage);
        assert_eq!(classify_text("http://127.0.0.1:1"), Environment::Custom);
    }
}
