//! Configuration layering through the public API: defaults, file, environment, command line,
//! key handling and permission rules, plus the binary's exit code on a bad file.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use p100_desk::api::paths::ApiPaths;
use p100_desk::config::{
    self, CliOverrides, ConfigError, EnvVars, Environment, FileText, PRODUCTION_URL,
    ResolvedConfig, STAGE_URL, Sources, Target,
};
use rust_decimal::Decimal;
use secrecy::ExposeSecret;

const PLATFORM_DATA_DIR: &str = "/platform/data";
const SECRET: &str = "sk-live-TOPSECRET-4242";

fn file(text: &str) -> FileText {
    FileText {
        path: PathBuf::from("/etc/p100/config.toml"),
        text: text.to_owned(),
        mode: Some(0o600),
    }
}

fn env(pairs: &[(&str, &str)]) -> EnvVars {
    pairs.iter().copied().collect()
}

/// A key-file reader that must not be called.
fn no_key_file(path: &Path) -> std::io::Result<FileText> {
    panic!("the key file {} should not have been read", path.display())
}

/// A key-file reader serving `SECRET` with mode 0600 from any path, remembering the path.
struct FakeKeyFiles {
    read: Cell<Option<PathBuf>>,
    mode: u32,
}

impl FakeKeyFiles {
    fn new(mode: u32) -> Self {
        Self {
            read: Cell::new(None),
            mode,
        }
    }

    fn read(&self, path: &Path) -> FileText {
        self.read.set(Some(path.to_path_buf()));
        FileText {
            path: path.to_path_buf(),
            text: format!("{SECRET}\n"),
            mode: Some(self.mode),
        }
    }
}

fn resolve_with(
    file: Option<&FileText>,
    env: &EnvVars,
    cli: &CliOverrides,
    read_key_file: &dyn Fn(&Path) -> std::io::Result<FileText>,
) -> Result<ResolvedConfig, ConfigError> {
    config::resolve(
        &Sources {
            file,
            env,
            cli,
            platform_data_dir: Some(Path::new(PLATFORM_DATA_DIR)),
        },
        read_key_file,
    )
}

fn remote(config: &ResolvedConfig) -> (Environment, &str, &str) {
    match &config.target {
        Target::Remote {
            environment,
            base_url,
            api_key,
        } => (*environment, base_url, api_key.expose_secret()),
        Target::Sandbox => panic!("expected a remote target, got the sandbox"),
    }
}

const PROFILES: &str = r#"
profile = "stage"

[profiles.stage]
environment = "stage"
key_file = "keys/stage.key"
max_exchange_eur = "2500.50"
bell = true

[profiles.prod]
environment = "production"
key_file = "/secure/prod.key"
read_only = true

[profiles.nokey]
environment = "production"
"#;

#[test]
fn defaults_without_file_or_env_are_the_sandbox() {
    let config = resolve_with(None, &env(&[]), &CliOverrides::default(), &no_key_file)
        .expect("defaults resolve");
    assert_eq!(config.profile, "sandbox");
    assert!(config.target.is_sandbox());
    assert_eq!(config.paths, ApiPaths::default());
    assert_eq!(config.timeouts.connect, Duration::from_secs(5));
    assert_eq!(config.polling.first_check, Duration::from_secs(1));
    assert_eq!(config.polling.max_interval, Duration::from_secs(30));
    assert_eq!(config.polling.refresh, Duration::from_secs(60));
    assert_eq!(config.polling.max_requests_per_second.get(), 5);
    assert!(!config.read_only);
    assert!(!config.bell);
    assert_eq!(config.max_exchange_eur, None);
    assert_eq!(config.data_dir, PathBuf::from(PLATFORM_DATA_DIR));
    assert_eq!(config.config_path, None);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn no_data_dir_anywhere_is_an_error() {
    let error = config::resolve(
        &Sources {
            file: None,
            env: &env(&[]),
            cli: &CliOverrides::default(),
            platform_data_dir: None,
        },
        &no_key_file,
    )
    .expect_err("no data dir");
    assert!(matches!(error, ConfigError::NoDataDir));
}

#[test]
fn file_selects_a_profile_and_reads_its_key_file() {
    let keys = FakeKeyFiles::new(0o600);
    let config = resolve_with(
        Some(&file(PROFILES)),
        &env(&[]),
        &CliOverrides::default(),
        &|path| Ok(keys.read(path)),
    )
    .expect("stage profile resolves");
    assert_eq!(config.profile, "stage");
    assert_eq!(remote(&config), (Environment::Stage, STAGE_URL, SECRET));
    // Relative key files are relative to the config file's directory.
    assert_eq!(
        keys.read.take(),
        Some(PathBuf::from("/etc/p100/keys/stage.key"))
    );
    assert_eq!(config.max_exchange_eur, Some(Decimal::new(250_050, 2)));
    assert!(config.bell);
    assert!(!config.read_only);
    assert_eq!(
        config.config_path,
        Some(PathBuf::from("/etc/p100/config.toml"))
    );
}

#[test]
fn file_sections_override_defaults() {
    let text = r#"
data_dir = "state"
[timeouts]
connect_ms = 750
[polling]
max_requests_per_second = 2
refresh_secs = 15
[api.paths]
balances = "/v2/balances"
"#;
    let config = resolve_with(
        Some(&file(text)),
        &env(&[]),
        &CliOverrides::default(),
        &no_key_file,
    )
    .expect("valid");
    assert_eq!(config.timeouts.connect, Duration::from_millis(750));
    assert_eq!(config.timeouts.request, Duration::from_secs(20));
    assert_eq!(config.polling.max_requests_per_second.get(), 2);
    assert_eq!(config.polling.refresh, Duration::from_secs(15));
    assert_eq!(config.paths.balances, "/v2/balances");
    assert_eq!(config.paths.order_create, ApiPaths::default().order_create);
    assert_eq!(config.data_dir, PathBuf::from("/etc/p100/state"));
}

#[test]
fn env_overrides_the_file() {
    let keys = FakeKeyFiles::new(0o600);
    let environment = env(&[
        ("P100_PROFILE", "prod"),
        ("P100_BASE_URL", "https://proxy.example.com/"),
        ("P100_DATA_DIR", "/env/data"),
    ]);
    let config = resolve_with(
        Some(&file(PROFILES)),
        &environment,
        &CliOverrides::default(),
        &|path| Ok(keys.read(path)),
    )
    .expect("prod via env");
    assert_eq!(config.profile, "prod");
    // A declared production profile keeps production rules behind another URL.
    assert_eq!(
        remote(&config),
        (Environment::Production, "https://proxy.example.com", SECRET)
    );
    assert!(config.read_only);
    assert_eq!(config.data_dir, PathBuf::from("/env/data"));
}

#[test]
fn env_key_wins_over_the_key_file() {
    let environment = env(&[("P100_API_KEY", "  env-key-1  ")]);
    let config = resolve_with(
        Some(&file(PROFILES)),
        &environment,
        &CliOverrides::default(),
        &no_key_file,
    )
    .expect("key from env");
    assert_eq!(remote(&config).2, "env-key-1");
}

#[test]
fn env_environment_overrides_the_profile() {
    let keys = FakeKeyFiles::new(0o600);
    let config = resolve_with(
        Some(&file(PROFILES)),
        &env(&[("P100_ENVIRONMENT", "production")]),
        &CliOverrides::default(),
        &|path| Ok(keys.read(path)),
    )
    .expect("stage profile pointed at production");
    assert_eq!(remote(&config).0, Environment::Production);
    assert_eq!(remote(&config).1, PRODUCTION_URL);

    let error = resolve_with(
        None,
        &env(&[("P100_ENVIRONMENT", "prod"), ("P100_API_KEY", "k")]),
        &CliOverrides::default(),
        &no_key_file,
    )
    .expect_err("unknown environment");
    assert!(
        error.to_string().starts_with("P100_ENVIRONMENT:"),
        "{error}"
    );
}

#[test]
fn env_alone_describes_a_remote_without_a_file() {
    let config = resolve_with(
        None,
        &env(&[
            ("P100_API_KEY", "demo"),
            ("P100_BASE_URL", "http://127.0.0.1:18080"),
        ]),
        &CliOverrides::default(),
        &no_key_file,
    )
    .expect("remote from env");
    assert_eq!(config.profile, "env");
    assert_eq!(
        remote(&config),
        (Environment::Custom, "http://127.0.0.1:18080", "demo")
    );

    let config = resolve_with(
        None,
        &env(&[("P100_API_KEY", "k"), ("P100_ENVIRONMENT", "stage")]),
        &CliOverrides::default(),
        &no_key_file,
    )
    .expect("stage from env");
    assert_eq!(remote(&config), (Environment::Stage, STAGE_URL, "k"));
}

#[test]
fn cli_base_url_with_env_key_needs_no_file() {
    let cli = CliOverrides {
        base_url: Some("http://127.0.0.1:18080".into()),
        ..CliOverrides::default()
    };
    let config = resolve_with(None, &env(&[("P100_API_KEY", "demo")]), &cli, &no_key_file)
        .expect("remote from --base-url");
    assert_eq!(config.profile, "env");
    assert_eq!(
        remote(&config),
        (Environment::Custom, "http://127.0.0.1:18080", "demo")
    );
}

#[test]
fn env_key_without_any_server_is_an_error() {
    let error = resolve_with(
        None,
        &env(&[("P100_API_KEY", SECRET)]),
        &CliOverrides::default(),
        &no_key_file,
    )
    .expect_err("which server?");
    assert!(matches!(error, ConfigError::KeyWithoutServer));
    assert!(error.to_string().contains("--sandbox"));
    assert!(!error.to_string().contains(SECRET));
}

#[test]
fn cli_overrides_env_and_file() {
    let keys = FakeKeyFiles::new(0o600);
    let cli = CliOverrides {
        profile: Some("prod".into()),
        base_url: Some("http://localhost:9999".into()),
        data_dir: Some(PathBuf::from("/cli/data")),
        read_only: true,
        ..CliOverrides::default()
    };
    let environment = env(&[
        ("P100_PROFILE", "stage"),
        ("P100_BASE_URL", "https://env.example.com"),
        ("P100_DATA_DIR", "/env/data"),
    ]);
    let config = resolve_with(Some(&file(PROFILES)), &environment, &cli, &|path| {
        Ok(keys.read(path))
    })
    .expect("cli wins");
    assert_eq!(config.profile, "prod");
    assert_eq!(remote(&config).1, "http://localhost:9999");
    assert_eq!(config.data_dir, PathBuf::from("/cli/data"));
    assert!(config.read_only);
}

#[test]
fn cli_read_only_turns_it_on_for_any_profile() {
    let cli = CliOverrides {
        read_only: true,
        ..CliOverrides::default()
    };
    let config = resolve_with(None, &env(&[]), &cli, &no_key_file).expect("sandbox");
    assert!(config.read_only);
}

#[test]
fn cli_sandbox_forces_the_sandbox() {
    let cli = CliOverrides {
        sandbox: true,
        ..CliOverrides::default()
    };
    let environment = env(&[
        ("P100_API_KEY", SECRET),
        ("P100_ENVIRONMENT", "production"),
        ("P100_PROFILE", "prod"),
    ]);
    let config =
        resolve_with(Some(&file(PROFILES)), &environment, &cli, &no_key_file).expect("sandbox");
    assert_eq!(config.profile, "sandbox");
    assert!(config.target.is_sandbox());

    let both = CliOverrides {
        sandbox: true,
        profile: Some("prod".into()),
        ..CliOverrides::default()
    };
    assert!(resolve_with(None, &env(&[]), &both, &no_key_file).is_err());
}

#[test]
fn bad_toml_names_the_file_line_and_column() {
    let text = "profile = \"sandbox\"\n\n[timeouts]\nconnect_ms = = 5\n";
    let error = resolve_with(
        Some(&file(text)),
        &env(&[]),
        &CliOverrides::default(),
        &no_key_file,
    )
    .expect_err("bad toml");
    let ConfigError::Parse { line, column, .. } = &error else {
        panic!("expected a parse error, got {error:?}");
    };
    assert_eq!(*line, 4);
    assert!(*column > 1);
    assert!(
        error.to_string().starts_with("/etc/p100/config.toml:4:"),
        "{error}"
    );
}

#[test]
fn history_page_size_is_read_and_a_bad_one_is_named_by_line_and_column() {
    let good = "profile = \"sandbox\"\n[history]\npage_size = 1000\n";
    let resolved = resolve_with(
        Some(&file(good)),
        &env(&[]),
        &CliOverrides::default(),
        &no_key_file,
    )
    .expect("valid");
    assert_eq!(resolved.history.page_size, 1_000);
    for bad in ["0", "5000", "-1"] {
        let text = format!("profile = \"sandbox\"\n[history]\npage_size = {bad}\n");
        let error = resolve_with(
            Some(&file(&text)),
            &env(&[]),
            &CliOverrides::default(),
            &no_key_file,
        )
        .expect_err(bad);
        let ConfigError::Parse { line, column, .. } = &error else {
            panic!("expected a parse error, got {error:?}");
        };
        assert_eq!((*line, *column), (3, 13), "{bad}: {error}");
        assert!(
            error
                .to_string()
                .contains("must be between 10 and 1000 rows"),
            "{error}"
        );
    }
}

#[test]
fn unknown_key_is_an_error_at_its_line() {
    let text = "[profiles.stage]\nenvironment = \"stage\"\nkey_fiel = \"x\"\n";
    let error = resolve_with(
        Some(&file(text)),
        &env(&[]),
        &CliOverrides::default(),
        &no_key_file,
    )
    .expect_err("typo");
    let message = error.to_string();
    assert!(
        message.starts_with("/etc/p100/config.toml:3:1:"),
        "{message}"
    );
    assert!(message.contains("key_fiel"), "{message}");

    let error = resolve_with(
        Some(&file("[polling]\nfirst_check = 5\n")),
        &env(&[]),
        &CliOverrides::default(),
        &no_key_file,
    )
    .expect_err("typo in polling");
    assert!(error.to_string().contains(":2:1:"), "{error}");

    let error = resolve_with(
        Some(&file("[api.paths]\nbalance = \"/v1/x\"\n")),
        &env(&[]),
        &CliOverrides::default(),
        &no_key_file,
    )
    .expect_err("typo in api.paths");
    assert!(error.to_string().contains(":2:1:"), "{error}");
    assert!(error.to_string().contains("balance"), "{error}");
}

#[test]
fn unknown_profile_lists_the_known_ones() {
    let cli = CliOverrides {
        profile: Some("staging".into()),
        ..CliOverrides::default()
    };
    let error =
        resolve_with(Some(&file(PROFILES)), &env(&[]), &cli, &no_key_file).expect_err("unknown");
    let message = error.to_string();
    assert!(message.contains("\"staging\""), "{message}");
    assert!(message.contains("nokey, prod, sandbox, stage"), "{message}");
}

#[test]
fn production_without_a_key_is_a_clear_error() {
    let cli = CliOverrides {
        profile: Some("nokey".into()),
        ..CliOverrides::default()
    };
    let error =
        resolve_with(Some(&file(PROFILES)), &env(&[]), &cli, &no_key_file).expect_err("no key");
    assert!(matches!(error, ConfigError::MissingKey { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("\"nokey\""), "{message}");
    assert!(message.contains("production"), "{message}");
    assert!(message.contains("P100_API_KEY"), "{message}");
    assert!(message.contains("key_file"), "{message}");
}

#[test]
fn missing_key_file_names_the_path() {
    let error = resolve_with(
        Some(&file(PROFILES)),
        &env(&[]),
        &CliOverrides::default(),
        &|path| FileText::read(path),
    )
    .expect_err("no such key file");
    assert!(
        error.to_string().contains("/etc/p100/keys/stage.key"),
        "{error}"
    );
}

#[test]
fn debug_of_the_resolved_config_hides_the_key() {
    let keys = FakeKeyFiles::new(0o600);
    let config = resolve_with(
        Some(&file(PROFILES)),
        &env(&[]),
        &CliOverrides::default(),
        &|path| Ok(keys.read(path)),
    )
    .expect("resolves");
    assert_eq!(remote(&config).2, SECRET);
    for shown in [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{:?}", config.target),
        config.target.to_string(),
    ] {
        assert!(!shown.contains(SECRET), "key leaked: {shown}");
        assert!(!shown.contains("TOPSECRET"), "key leaked: {shown}");
    }
    assert!(format!("{config:?}").contains("REDACTED"));
}

#[test]
fn example_config_is_valid_and_every_profile_resolves() {
    let example_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let mut example = FileText::read(&example_path).expect("config.example.toml");
    example.mode = Some(0o600);
    let keys = FakeKeyFiles::new(0o600);
    let home = env(&[("HOME", "/home/ann")]);
    let config = resolve_with(
        Some(&example),
        &home,
        &CliOverrides::default(),
        &no_key_file,
    )
    .expect("example resolves");
    assert_eq!(config.profile, "sandbox");
    assert!(config.target.is_sandbox());
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    assert_eq!(config.paths, ApiPaths::default());

    for (profile, environment) in [
        ("stage", Environment::Stage),
        ("production", Environment::Production),
        ("local", Environment::Custom),
    ] {
        let cli = CliOverrides {
            profile: Some(profile.into()),
            ..CliOverrides::default()
        };
        let config = resolve_with(Some(&example), &home, &cli, &|path| Ok(keys.read(path)))
            .unwrap_or_else(|error| panic!("profile {profile}: {error}"));
        assert_eq!(remote(&config).0, environment, "profile {profile}");
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    }
    assert_eq!(
        keys.read.take(),
        Some(example_path.parent().expect("dir").join("local.key"))
    );
}

#[cfg(unix)]
mod permissions {
    //! Real files with real modes, read through `FileText::read`.
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    struct Files {
        _dir: tempfile::TempDir,
        config: PathBuf,
    }

    /// A config file selecting `profile`, with a key file next to it; each with its own mode.
    fn files(environment: &str, config_mode: u32, key_mode: u32) -> Files {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("api.key");
        std::fs::write(&key, format!("{SECRET}\n")).expect("write key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(key_mode))
            .expect("chmod key");
        let config = dir.path().join("config.toml");
        let text = format!(
            "profile = \"p\"\n[profiles.p]\nenvironment = \"{environment}\"\nkey_file = \"api.key\"\n"
        );
        std::fs::write(&config, text).expect("write config");
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(config_mode))
            .expect("chmod config");
        Files { _dir: dir, config }
    }

    fn resolve_files(files: &Files) -> Result<ResolvedConfig, ConfigError> {
        let text = FileText::read(&files.config).expect("read config");
        resolve_with(Some(&text), &env(&[]), &CliOverrides::default(), &|path| {
            FileText::read(path)
        })
    }

    #[test]
    fn private_files_are_accepted_for_production() {
        let files = files("production", 0o600, 0o400);
        let config = resolve_files(&files).expect("private files");
        assert_eq!(remote(&config).2, SECRET);
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    }

    #[test]
    fn readable_key_file_is_refused_for_production() {
        let files = files("production", 0o600, 0o644);
        let error = resolve_files(&files).expect_err("refused");
        let ConfigError::InsecurePermissions { what, mode, .. } = &error else {
            panic!("expected a permission error, got {error:?}");
        };
        assert_eq!((*what, *mode), ("key file", 0o644));
        assert!(error.to_string().contains("chmod 600"), "{error}");
    }

    #[test]
    fn readable_config_file_is_refused_for_production() {
        let files = files("production", 0o640, 0o600);
        let error = resolve_files(&files).expect_err("refused");
        assert!(
            matches!(
                error,
                ConfigError::InsecurePermissions {
                    what: "config file",
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn readable_files_only_warn_for_stage() {
        let files = files("stage", 0o644, 0o604);
        let config = resolve_files(&files).expect("stage runs");
        assert_eq!(config.warnings.len(), 2, "{:?}", config.warnings);
        assert!(config.warnings.iter().any(|w| w.contains("config file")));
        assert!(config.warnings.iter().any(|w| w.contains("key file")));
        assert!(config.warnings.iter().all(|w| !w.contains(SECRET)));
    }

    #[test]
    fn sandbox_ignores_permissions() {
        let files = files("sandbox", 0o666, 0o666);
        let config = resolve_files(&files).expect("sandbox");
        assert!(config.target.is_sandbox());
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    }
}

#[test]
fn production_is_recognised_however_its_url_is_written() {
    for url in [
        "https://partner-api.p100.io",
        "HTTPS://Partner-API.P100.IO/",
        "https://partner-api.p100.io.",
        "https://partner-api.p100.io:443",
    ] {
        let env = env(&[("P100_BASE_URL", url), ("P100_API_KEY", SECRET)]);
        let config = resolve_with(None, &env, &CliOverrides::default(), &no_key_file)
            .unwrap_or_else(|error| panic!("{url}: {error}"));
        let (environment, base_url, _) = remote(&config);
        assert_eq!(environment, Environment::Production, "{url}");
        assert_eq!(base_url, PRODUCTION_URL, "{url}");
    }
}

#[test]
fn only_loopback_may_use_plain_http_for_stage_and_production() {
    for (environment, url) in [
        ("production", "http://127.example.com:8080"),
        ("stage", "http://127.example.com:8080"),
        ("stage", "http://10.0.0.5"),
        ("stage", "http://partner-api-stage.p100.io"),
    ] {
        let env = env(&[
            ("P100_ENVIRONMENT", environment),
            ("P100_BASE_URL", url),
            ("P100_API_KEY", SECRET),
        ]);
        let error =
            resolve_with(None, &env, &CliOverrides::default(), &no_key_file).expect_err(url);
        assert!(error.to_string().contains("plain http"), "{url}: {error}");
        assert!(!error.to_string().contains(SECRET));
    }
    for url in [
        "http://127.0.0.1:18080",
        "http://localhost:18080",
        "http://[::1]:18080",
    ] {
        let env = env(&[
            ("P100_ENVIRONMENT", "production"),
            ("P100_BASE_URL", url),
            ("P100_API_KEY", SECRET),
        ]);
        let config = resolve_with(None, &env, &CliOverrides::default(), &no_key_file)
            .unwrap_or_else(|error| panic!("{url}: {error}"));
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    }
}

mod binary {
    //! The built binary: start-up errors are printed and exit with code 2.
    use super::*;

    fn p100_desk(data_dir: &Path) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_p100-desk"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("P100_") {
                command.env_remove(name);
            }
        }
        command.env("P100_DATA_DIR", data_dir);
        command
    }

    #[test]
    fn bad_config_exits_2_naming_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            "profile = \"sandbox\"\n[polling]\nrefresh_secs = \"soon\"\n",
        )
        .expect("write");
        let output = p100_desk(dir.path())
            .arg("--config")
            .arg(&config)
            .output()
            .expect("run p100-desk");
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let expected = format!("{}:3:", config.display());
        assert!(stderr.contains(&expected), "{stderr}");
        assert!(output.stdout.is_empty());
    }

    #[test]
    fn production_without_key_exits_2() {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = p100_desk(dir.path())
            .arg("--config")
            .arg(dir.path().join("missing.toml"))
            .output()
            .expect("run p100-desk");
        assert_eq!(output.status.code(), Some(2), "missing explicit config");

        let output = p100_desk(dir.path())
            .env("P100_ENVIRONMENT", "production")
            .arg("--config")
            .arg(write_empty_config(dir.path()))
            .output()
            .expect("run p100-desk");
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("no API key"), "{stderr}");
    }

    /// An empty config file, private (a production target refuses a readable one).
    fn write_empty_config(dir: &Path) -> PathBuf {
        let path = dir.join("empty.toml");
        std::fs::write(&path, "").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        path
    }

    /// Runs the command to its end, or kills it after `limit` (a hang is a failure).
    fn output_within(mut command: Command, limit: Duration) -> std::process::Output {
        use std::process::Stdio;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run p100-desk");
        let deadline = std::time::Instant::now() + limit;
        loop {
            if child.try_wait().expect("wait").is_some() {
                return child.wait_with_output().expect("output");
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let output = child.wait_with_output().expect("output");
                panic!(
                    "p100-desk did not finish within {limit:?}: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A private config file whose stage profile reads its key from `key_file`.
    fn stage_config(dir: &Path, key_file: &Path) -> PathBuf {
        let path = dir.join("stage.toml");
        std::fs::write(
            &path,
            format!(
                "profile = \"stage\"\n[profiles.stage]\nenvironment = \"stage\"\n\
                 base_url = \"http://127.0.0.1:9\"\nkey_file = \"{}\"\n",
                key_file.display()
            ),
        )
        .expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        path
    }

    #[cfg(unix)]
    #[test]
    fn key_file_that_is_not_a_small_regular_file_exits_2() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("key.fifo");
        let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
        assert!(made.success());
        let sparse = dir.path().join("huge.key");
        std::fs::File::create(&sparse)
            .and_then(|file| file.set_len(1 << 30))
            .expect("a 1 GiB sparse file");
        let cases = [
            (fifo, "FIFO"),
            (PathBuf::from("/dev/zero"), "character device"),
            (dir.path().to_path_buf(), "directory"),
            (sparse, "larger than 4 KiB"),
        ];
        for (key_file, why) in cases {
            let config = stage_config(dir.path(), &key_file);
            let mut command = p100_desk(dir.path());
            command.arg("--config").arg(&config);
            let output = output_within(command, Duration::from_secs(20));
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{key_file:?}: {stderr}");
            assert!(stderr.contains("key file"), "{stderr}");
            assert!(stderr.contains(why), "{key_file:?}: {stderr}");
        }
    }

    #[test]
    fn config_numbers_out_of_range_exit_2_with_line_and_column() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (text, line, column) in [
            ("[polling]\nrefresh_secs = 9223372036854775807\n", 2, 16),
            ("[timeouts]\n\nrequest_ms = 0\n", 3, 14),
            ("[polling]\nmax_requests_per_second = 100000\n", 2, 27),
            ("[api]\nmax_response_mib = 4096\n", 2, 20),
        ] {
            let config = dir.path().join("numbers.toml");
            std::fs::write(&config, format!("profile = \"sandbox\"\n{text}")).expect("write");
            let mut command = p100_desk(dir.path());
            command.arg("--config").arg(&config);
            let output = output_within(command, Duration::from_secs(20));
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{text}: {stderr}");
            let place = format!("{}:{}:{}:", config.display(), line + 1, column);
            assert!(
                stderr.contains(&place),
                "{text}: expected {place} in {stderr}"
            );
            assert!(stderr.contains("must be"), "{stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }

    #[test]
    fn help_shows_the_data_dir_and_log_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = p100_desk(dir.path())
            .arg("--help")
            .output()
            .expect("run p100-desk");
        assert!(output.status.success());
        let stdout = String::from_utf8_lossy(&output.stdout);
        let log_file = dir.path().join("logs").join("p100-desk.log");
        assert!(stdout.contains(&log_file.display().to_string()), "{stdout}");
        assert!(stdout.contains("--read-only"), "{stdout}");
        assert!(stdout.contains("P100_API_KEY"), "{stdout}");
    }
}
