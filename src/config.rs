//! Configuration: defaults < config file < environment < command line, resolved into one value.
//!
//! [`resolve`] is pure: it takes the config file's text, a snapshot of the environment and the
//! command-line overrides, and reads nothing else except a key file through the reader it is
//! given. [`load`] is the thin impure shell the binary uses: it finds and reads the files.

mod display;
mod env_vars;
mod error;
mod file;
pub mod history_section;
pub mod journal_section;
mod keys;
mod secret_file;
mod target;
mod timing;
mod trading;

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;

pub use display::{
    DEFAULT_DATE_FORMAT, DisplaySettings, LocalZone, ShownZone, ThemeName, TimeZoneSetting,
    offset_label,
};
pub use env_vars::{API_KEY, BASE_URL, DATA_DIR, ENVIRONMENT, EnvVars, HOME, LOG, PROFILE, RELAY};
pub use error::ConfigError;
pub use keys::{KeyboardSettings, keyboard_from_text};
pub use secret_file::FileText;
pub use target::{Environment, PRODUCTION_URL, STAGE_URL, Target};
pub use timing::{Polling, Timeouts};
pub use trading::Trading;

use crate::api::paths::ApiPaths;
use file::{ConfigFile, ProfileSection};
use target::{TargetInputs, resolve_target};

/// The name of the profile that always exists: the built-in sandbox.
pub const SANDBOX_PROFILE: &str = "sandbox";
/// The profile name used when no profile is selected and only environment variables (or
/// `--base-url`) describe the server.
pub const ENV_PROFILE: &str = "env";
/// The config file's name inside the platform config dir.
pub const CONFIG_FILE_NAME: &str = "config.toml";

/// Everything the app needs to know to start, after every layer has had its say.
/// Debug is safe to log: the key is a `SecretString`, which prints as redacted.
#[derive(Debug, Clone)]
pub struct ResolvedConfig {
    /// The selected profile's name (`sandbox` or `env` when built in).
    pub profile: String,
    pub target: Target,
    pub timeouts: Timeouts,
    pub polling: Polling,
    /// `[history]`: rows kept loaded.
    pub history: history_section::HistorySection,
    /// `[journal]`: when finished intents are archived.
    pub journal: journal_section::JournalSection,
    pub paths: ApiPaths,
    /// `[api] max_response_mib` in bytes: the cap on every answer's body.
    pub max_response_bytes: usize,
    /// `--ca-cert` or `[api] ca_cert`: PEM certificates the client trusts besides the built-in
    /// roots (a team relay with its own certificate).
    pub ca_cert: Option<PathBuf>,
    /// Hide and refuse every money-moving action.
    pub read_only: bool,
    /// Largest amount, in EUR, one exchange may move; `None` means no limit.
    pub max_exchange_eur: Option<Decimal>,
    /// Ring the terminal bell when a pending action reaches a final status.
    pub bell: bool,
    /// The server is a team relay: the desk opens its event stream (`relay = true` in the
    /// profile, or `P100_RELAY=1`).
    pub relay: bool,
    /// `[trading]`: lock checks and the throttle cap.
    pub trading: Trading,
    /// `[display]`: theme, dates, time zone, reporting currency.
    pub display: DisplaySettings,
    /// Journal and logs live here.
    pub data_dir: PathBuf,
    /// The config file that was read, if any.
    pub config_path: Option<PathBuf>,
    /// Things the user should fix but that do not stop the app (e.g. a group-readable key file).
    pub warnings: Vec<String>,
    /// The key table (with `[keys]` applied) and the number format.
    pub keyboard: KeyboardSettings,
}

/// The command-line layer. The API key is deliberately absent: a key on the command line ends
/// up in shell history and in every process listing.
#[derive(Debug, Clone, Default)]
pub struct CliOverrides {
    /// `--config`: read by [`load`]; [`resolve`] receives the file's text instead.
    pub config: Option<PathBuf>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--sandbox`: the built-in sandbox whatever the profile or environment says.
    pub sandbox: bool,
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--read-only`: can only turn read-only on, never off.
    pub read_only: bool,
    /// `--ca-cert`: wins over `[api] ca_cert`.
    pub ca_cert: Option<PathBuf>,
}

/// The inputs of [`resolve`], each gathered up front by the caller.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The config file, if there is one.
    pub file: Option<&'a FileText>,
    pub env: &'a EnvVars,
    pub cli: &'a CliOverrides,
    /// The platform's data dir, used when no layer names one.
    pub platform_data_dir: Option<&'a Path>,
}

/// Resolves the configuration from its layers. `read_key_file` is called at most once, only
/// when the target is remote, `P100_API_KEY` is unset and the profile names a `key_file`.
pub fn resolve(
    sources: &Sources<'_>,
    read_key_file: &dyn Fn(&Path) -> std::io::Result<FileText>,
) -> Result<ResolvedConfig, ConfigError> {
    let Sources {
        file,
        env,
        cli,
        platform_data_dir,
    } = *sources;
    let mut warnings = Vec::new();
    let parsed = match file {
        Some(file) => ConfigFile::parse(&file.path, &file.text)?,
        None => ConfigFile::default(),
    };
    let config_dir = file
        .and_then(|file| file.path.parent())
        .filter(|dir| !dir.as_os_str().is_empty());

    let (profile_name, profile) = select_profile(&parsed, file, env, cli, &mut warnings)?;
    let target = resolve_target(
        &TargetInputs {
            profile_name: &profile_name,
            profile: &profile,
            env,
            cli,
            config_file: file,
        },
        read_key_file,
        &mut warnings,
    )?;
    check_paths(&parsed.api.paths)?;
    let keyboard = keys::resolve(&parsed.keys, parsed.number_format, file)?;

    let data_dir = if let Some(dir) = &cli.data_dir {
        dir.clone()
    } else if let Some(dir) = env.get(DATA_DIR) {
        PathBuf::from(dir)
    } else if let Some(dir) = &parsed.data_dir {
        expand_path(dir, config_dir, env.get(HOME))
    } else {
        platform_data_dir
            .map(Path::to_path_buf)
            .ok_or(ConfigError::NoDataDir)?
    };

    Ok(ResolvedConfig {
        profile: profile_name,
        target,
        timeouts: parsed.timeouts.resolve(),
        polling: parsed.polling.resolve()?,
        max_response_bytes: usize::try_from(parsed.api.max_response_mib)
            .unwrap_or(usize::MAX)
            .saturating_mul(1024 * 1024),
        ca_cert: cli.ca_cert.clone().or_else(|| {
            parsed
                .api
                .ca_cert
                .as_deref()
                .map(|path| expand_path(path, config_dir, env.get(HOME)))
        }),
        history: parsed.history,
        journal: parsed.journal,
        paths: parsed.api.paths,
        read_only: profile.read_only || cli.read_only,
        max_exchange_eur: profile.max_exchange_eur,
        bell: profile.bell,
        relay: profile.relay || env.get(RELAY).is_some_and(env_vars::is_yes),
        trading: parsed.trading.resolve(),
        display: parsed.display.resolve()?,
        data_dir,
        config_path: file.map(|file| file.path.clone()),
        warnings,
        keyboard,
    })
}

/// Picks the profile: `--sandbox`, `--profile`, `P100_PROFILE`, the file's `profile`, then a
/// server described by `--base-url` or environment variables alone, then the built-in sandbox.
fn select_profile(
    parsed: &ConfigFile,
    file: Option<&FileText>,
    env: &EnvVars,
    cli: &CliOverrides,
    warnings: &mut Vec<String>,
) -> Result<(String, ProfileSection), ConfigError> {
    if cli.sandbox {
        if let Some(name) = cli
            .profile
            .as_deref()
            .filter(|name| *name != SANDBOX_PROFILE)
        {
            return Err(ConfigError::Invalid {
                setting: "--sandbox".into(),
                message: format!("cannot be combined with --profile {name}"),
            });
        }
        if cli.base_url.is_some() {
            return Err(ConfigError::Invalid {
                setting: "--sandbox".into(),
                message: "cannot be combined with --base-url".into(),
            });
        }
    }
    let chosen = if cli.sandbox {
        Some(SANDBOX_PROFILE)
    } else {
        cli.profile
            .as_deref()
            .or_else(|| env.get(PROFILE))
            .or(parsed.profile.as_deref())
    };
    if let Some(name) = chosen {
        return match parsed.profiles.get(name) {
            Some(profile) => Ok((name.to_owned(), profile.clone())),
            None if name == SANDBOX_PROFILE => {
                Ok((name.to_owned(), ProfileSection::built_in_sandbox()))
            }
            None => Err(ConfigError::UnknownProfile {
                name: name.to_owned(),
                available: profile_names(parsed),
                config_path: file.map(|file| file.path.clone()),
            }),
        };
    }
    if cli.base_url.is_some() || env.get(BASE_URL).is_some() || env.get(ENVIRONMENT).is_some() {
        return Ok((ENV_PROFILE.to_owned(), ProfileSection::default()));
    }
    if env.get(API_KEY).is_some() {
        return Err(ConfigError::KeyWithoutServer);
    }
    if !parsed.profiles.is_empty() {
        warnings.push(format!(
            "no profile selected, so the built-in sandbox is used; set profile = \"...\" at the \
             top of the config file or pass --profile (defined: {})",
            profile_names(parsed).join(", ")
        ));
    }
    let sandbox = parsed
        .profiles
        .get(SANDBOX_PROFILE)
        .cloned()
        .unwrap_or_else(ProfileSection::built_in_sandbox);
    Ok((SANDBOX_PROFILE.to_owned(), sandbox))
}

/// The file's profile names plus the built-in sandbox, sorted.
fn profile_names(parsed: &ConfigFile) -> Vec<String> {
    let mut names: Vec<String> = parsed.profiles.keys().cloned().collect();
    if !parsed.profiles.contains_key(SANDBOX_PROFILE) {
        names.push(SANDBOX_PROFILE.to_owned());
        names.sort();
    }
    names
}

/// `[api.paths]` overrides must be absolute paths, and details paths need their `{id}`.
fn check_paths(paths: &ApiPaths) -> Result<(), ConfigError> {
    let all = [
        ("balances", &paths.balances),
        ("transactions", &paths.transactions),
        ("exchange_rate", &paths.exchange_rate),
        ("exchange_lock", &paths.exchange_lock),
        ("exchange", &paths.exchange),
        ("exchange_details", &paths.exchange_details),
        ("order_rates", &paths.order_rates),
        ("order_lock", &paths.order_lock),
        ("order_create", &paths.order_create),
        ("order_details", &paths.order_details),
    ];
    for (name, path) in all {
        let needs_id = name.ends_with("_details");
        let problem = if !path.starts_with('/') {
            Some("must start with /")
        } else if path.contains(['?', '#', ' ']) {
            Some("must not contain ?, # or spaces")
        } else if needs_id && !path.contains("{id}") {
            Some("must contain {id}, where the exchange or order id goes")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(ConfigError::Invalid {
                setting: format!("[api.paths] {name}"),
                message: format!("\"{path}\" {problem}"),
            });
        }
    }
    Ok(())
}

/// Expands a leading `~/` with `home`, and makes a relative path relative to `base_dir` (the
/// config file's directory), so a config file means the same from any working directory.
pub(crate) fn expand_path(path: &Path, base_dir: Option<&Path>, home: Option<&str>) -> PathBuf {
    if let (Ok(rest), Some(home)) = (path.strip_prefix("~"), home) {
        return Path::new(home).join(rest);
    }
    match base_dir {
        Some(base) if path.is_relative() => base.join(path),
        _ => path.to_path_buf(),
    }
}

/// The platform's directories for p100-desk (`None` when there is no home directory).
fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("io", "p100", "p100-desk")
}

/// Where the config file is looked for when `--config` is not given.
pub fn default_config_path() -> Option<PathBuf> {
    project_dirs().map(|dirs| dirs.config_dir().join(CONFIG_FILE_NAME))
}

/// The platform data dir, before `--data-dir`, `P100_DATA_DIR` or the file's `data_dir`.
pub fn platform_data_dir() -> Option<PathBuf> {
    project_dirs().map(|dirs| dirs.data_dir().to_path_buf())
}

/// Reads the real environment and files and resolves. An explicit `--config` must exist; the
/// default config file may be absent (then only defaults, environment and CLI apply).
pub fn load(cli: &CliOverrides) -> Result<ResolvedConfig, ConfigError> {
    let read_config = |path: &Path| {
        FileText::read(path).map_err(|source| ConfigError::Read {
            what: "config file",
            path: path.to_path_buf(),
            source,
        })
    };
    let file = match (&cli.config, default_config_path()) {
        (Some(path), _) => Some(read_config(path)?),
        (None, Some(path)) if path.exists() => Some(read_config(&path)?),
        (None, _) => None,
    };
    let env = EnvVars::from_process();
    let platform_data_dir = platform_data_dir();
    resolve(
        &Sources {
            file: file.as_ref(),
            env: &env,
            cli,
            platform_data_dir: platform_data_dir.as_deref(),
        },
        &FileText::read_key,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_path_handles_home_and_relative() {
        let base = Some(Path::new("/etc/p100"));
        assert_eq!(
            expand_path(Path::new("~/keys/p100"), base, Some("/home/ann")),
            PathBuf::from("/home/ann/keys/p100")
        );
        assert_eq!(
            expand_path(Path::new("key"), base, None),
            PathBuf::from("/etc/p100/key")
        );
        assert_eq!(
            expand_path(Path::new("/abs/key"), base, Some("/home/ann")),
            PathBuf::from("/abs/key")
        );
        assert_eq!(
            expand_path(Path::new("key"), None, None),
            PathBuf::from("key")
        );
    }

    #[test]
    fn default_paths_pass_the_check() {
        check_paths(&ApiPaths::default()).expect("defaults are valid");
    }

    #[test]
    fn bad_override_paths_are_named() {
        let paths = ApiPaths {
            order_details: "/v1/order/details".into(),
            ..ApiPaths::default()
        };
        let error = check_paths(&paths).expect_err("no {id}");
        assert!(
            error.to_string().starts_with("[api.paths] order_details"),
            "{error}"
        );
        let paths = ApiPaths {
            balances: "v1/balances".into(),
            ..ApiPaths::default()
        };
        assert!(check_paths(&paths).is_err());
    }
}
