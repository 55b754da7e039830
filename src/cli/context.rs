//! What every headless command starts from: the resolved config (the dashboard's layers and
//! profiles), file logging, and the shared API client (the embedded sandbox when no server is
//! configured, said on stderr).

use crate::api::ApiClient;
use crate::config::{self, CliOverrides, ResolvedConfig};
use crate::logging::{self, LogGuard};
use crate::sandbox::{Pace, SandboxHandle};
use crate::session;

use super::exit::{CliError, Exit};

/// The global flags, as `main` parsed them.
#[derive(Debug, Clone)]
pub struct Globals {
    pub overrides: CliOverrides,
    /// The embedded sandbox's pace (`--sandbox-pace`, hidden, for tests).
    pub sandbox_pace: Pace,
    /// `P100_LOG`.
    pub log_spec: Option<String>,
}

/// Resolves the config and prints its warnings on stderr.
pub fn load_config(globals: &Globals) -> Result<ResolvedConfig, CliError> {
    let config = config::load(&globals.overrides)?;
    for warning in &config.warnings {
        eprintln!("p100-desk: warning: {warning}");
    }
    Ok(config)
}

/// A connected command: config, client, and the embedded sandbox if one was started.
pub struct Connected {
    pub config: ResolvedConfig,
    pub client: ApiClient,
    sandbox: Option<SandboxHandle>,
    _log: Option<LogGuard>,
}

impl Connected {
    /// Stops the embedded sandbox, if one runs.
    pub async fn close(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
    }
}

/// Logs to the data dir's log file like the dashboard; a log that cannot be opened is a
/// warning here (a script's output matters more than its log).
pub fn start_logging(config: &ResolvedConfig, globals: &Globals) -> Option<LogGuard> {
    match logging::init_file(&config.data_dir, globals.log_spec.as_deref()) {
        Ok(guard) => Some(guard),
        Err(error) => {
            eprintln!("p100-desk: warning: no log file: {error}");
            None
        }
    }
}

/// Says on stderr that the data is the sandbox's, so nobody mistakes it for their account.
pub fn announce_sandbox() {
    eprintln!(
        "p100-desk: using the built-in sandbox: freshly seeded test data, not a real account \
         (for a real server pass --profile, or set P100_API_KEY and P100_ENVIRONMENT)"
    );
}

/// Resolves the config, starts logging and connects (starting the sandbox if it is the target).
pub async fn connect(globals: &Globals) -> Result<Connected, CliError> {
    let config = load_config(globals)?;
    let log = start_logging(&config, globals);
    let (client, sandbox) = session::connect(&config, globals.sandbox_pace)
        .await
        .map_err(|error| {
            let exit = match error {
                session::SessionError::Client(_) => Exit::Config,
                session::SessionError::Sandbox(_) => Exit::Failure,
            };
            CliError::new(exit, error.to_string())
        })?;
    if sandbox.is_some() {
        announce_sandbox();
    }
    tracing::info!(profile = %config.profile, target = %config.target, "headless command");
    Ok(Connected {
        config,
        client,
        sandbox,
        _log: log,
    })
}
