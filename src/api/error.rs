//! PLACEHOLDER until the client branch lands (it replaces this file whole).
use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("timed out")]
    Timeout,
    #[error("throttled")]
    RateLimited { retry_after: Option<Duration> },
    #[error("network: {message}")]
    Network { message: String },
}

impl ApiError {
    pub fn user_message(&self) -> String {
        self.to_string()
    }
    pub fn short_reason(&self) -> String {
        self.to_string()
    }
    pub fn retry_after(&self) -> Option<Duration> {
        None
    }
    pub fn outcome_unknown(&self) -> bool {
        false
    }
}

impl ApiError {
    pub fn is_lock_problem(&self) -> bool {
        false
    }
}
