//! `ConfigError`: every way configuration can fail, worded for the person who has to fix it.

use std::path::PathBuf;

/// Why the configuration could not be resolved. No variant ever holds the API key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file (or a file it names) could not be read.
    #[error("cannot read {what} {}: {source}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The config file is not valid TOML, or a value in it is wrong; points at the spot.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        path: PathBuf,
        /// 1-based.
        line: usize,
        /// 1-based, counted in characters.
        column: usize,
        message: String,
    },

    /// A value is wrong in a way only visible after parsing (or it came from env / CLI).
    /// `setting` names where it came from, e.g. `P100_ENVIRONMENT` or `[profiles.prod] base_url`.
    #[error("{setting}: {message}")]
    Invalid { setting: String, message: String },

    #[error("{}", unknown_profile_message(name, available, config_path.as_ref()))]
    UnknownProfile {
        name: String,
        available: Vec<String>,
        config_path: Option<PathBuf>,
    },

    /// A remote target (stage, production, custom server) without any key.
    #[error("{}", missing_key_message(profile, environment, base_url))]
    MissingKey {
        profile: String,
        environment: String,
        base_url: String,
    },

    /// `P100_API_KEY` is set, but nothing says which server it belongs to.
    #[error(
        "P100_API_KEY is set but no profile or server is selected: set P100_ENVIRONMENT \
         (stage or production) or P100_BASE_URL, choose a profile with --profile, \
         or pass --sandbox to use the built-in sandbox"
    )]
    KeyWithoutServer,

    /// The key (from `source`: a file path or `P100_API_KEY`) is empty or cannot be sent.
    #[error("the API key from {source_name} {problem}")]
    BadKey {
        source_name: String,
        problem: &'static str,
    },

    /// A production secret or config file that group or others may read.
    #[error(
        "refusing to use {what} {}: its mode {mode:04o} lets group or others access it, \
         and profile \"{profile}\" is production; run: chmod 600 {}",
        path.display(),
        path.display()
    )]
    InsecurePermissions {
        what: &'static str,
        path: PathBuf,
        mode: u32,
        profile: String,
    },

    /// Neither `--data-dir`, `P100_DATA_DIR`, the config file nor the platform gave a data dir.
    #[error(
        "no data directory: the platform has no home directory; pass --data-dir or set \
         P100_DATA_DIR"
    )]
    NoDataDir,
}

fn missing_key_message(profile: &str, environment: &str, base_url: &str) -> String {
    // The implicit profile has no [profiles.env] table to add a key_file to.
    let hint = if profile == super::ENV_PROFILE {
        "set P100_API_KEY".to_owned()
    } else {
        format!("set P100_API_KEY, or add key_file = \"/path/to/key\" to [profiles.{profile}]")
    };
    format!("profile \"{profile}\" talks to {environment} at {base_url} but has no API key: {hint}")
}

fn unknown_profile_message(
    name: &str,
    available: &[String],
    config_path: Option<&PathBuf>,
) -> String {
    let place = config_path.map_or_else(
        || "there is no config file".to_owned(),
        |path| format!("{} has no [profiles.{name}]", path.display()),
    );
    let known = if available.is_empty() {
        "sandbox (built in)".to_owned()
    } else {
        available.join(", ")
    };
    format!("unknown profile \"{name}\": {place}; known profiles: {known}")
}
