//! The documented exit codes of the headless commands, and the one-line error that goes with
//! each (printed on stderr; never a panic or a backtrace).

use std::fmt;
use std::process::ExitCode;

use crate::api::error::ApiError;
use crate::config::ConfigError;

/// Why a command stopped. The numbers are documented in README ("Exit codes") and stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done (also: the reader closed the pipe, e.g. `| head`).
    Ok = 0,
    /// An unexpected failure (e.g. stdout cannot be written).
    Failure = 1,
    /// The config, an argument or a start-up file is wrong (clap uses 2 for bad arguments too).
    Config = 2,
    /// A watched exchange or order ended FAILED or EXPIRED.
    Failed = 3,
    /// `--timeout` passed before everything watched was final.
    Timeout = 4,
    /// P100 refused the key (HTTP 401 xo1/xo2/xo3).
    Auth = 5,
    /// P100 could not be reached or kept failing (network, timeout, 5xx, P501, 429, unreadable).
    Network = 6,
    /// P100 refused the request (a P-code: validation, insufficient funds, not found, ...).
    Refused = 7,
    /// `--min-rate`, `--max-rate`, `--max-crypto` or the typed confirmation did not hold:
    /// nothing was sent.
    GuardNotMet = 8,
    /// The desk's own safety rules refused it before sending: read-only, above the profile's
    /// limit, a lock that differs from the request or has expired, no writable journal.
    Blocked = 9,
    /// A money-moving request's outcome is still unknown (the answer was lost and the
    /// history does not show it yet). It was not re-sent; the dashboard keeps reconciling it.
    Unknown = 10,
}

impl Exit {
    pub fn code(self) -> ExitCode {
        ExitCode::from(self as u8)
    }
}

/// A failed command: its exit code and one line for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
}

impl CliError {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
        }
    }

    /// `what` failed with `error`, classified into its exit code.
    pub fn api(what: &str, error: &ApiError) -> Self {
        Self::new(api_exit(error), format!("{what}: {}", error.user_message()))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl From<ConfigError> for CliError {
    fn from(error: ConfigError) -> Self {
        Self::new(Exit::Config, error.to_string())
    }
}

/// The exit code an API failure maps to.
pub fn api_exit(error: &ApiError) -> Exit {
    match error {
        ApiError::Unauthorized(_) => Exit::Auth,
        ApiError::Validation { .. } | ApiError::Business { .. } => Exit::Refused,
        ApiError::OutcomeUnknown { .. } => Exit::Unknown,
        ApiError::Config { .. } | ApiError::Request { .. } => Exit::Config,
        ApiError::RateLimited { .. }
        | ApiError::Transient { .. }
        | ApiError::Timeout
        | ApiError::Network { .. }
        | ApiError::Decode { .. } => Exit::Network,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::AuthFailure;

    #[test]
    fn api_failures_map_to_their_documented_codes() {
        assert_eq!(
            api_exit(&ApiError::Unauthorized(AuthFailure::WrongKey)),
            Exit::Auth
        );
        assert_eq!(api_exit(&ApiError::Timeout), Exit::Network);
        let p433 = ApiError::Business {
            status: 400,
            code: "P433".into(),
            name: None,
            message: String::new(),
        };
        assert_eq!(api_exit(&p433), Exit::Refused);
        let unknown = ApiError::OutcomeUnknown {
            cause: Box::new(ApiError::Timeout),
        };
        assert_eq!(api_exit(&unknown), Exit::Unknown);
        assert_eq!(Exit::GuardNotMet as u8, 8);
    }
}
