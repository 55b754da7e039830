//! Relay errors and their answers: P100-shaped bodies with relay codes (`R...`), so a desk's
//! client shows them like any P100 error.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// What can go wrong inside the relay. `Refused` is an answer to the caller; the others are
/// the relay's own trouble (500, details only in the log).
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("{message}")]
    Refused {
        status: StatusCode,
        code: &'static str,
        name: &'static str,
        message: String,
    },
    #[error("database: {0}")]
    Database(String),
    #[error("{0}")]
    Setup(String),
}

impl RelayError {
    pub fn refused(
        status: StatusCode,
        code: &'static str,
        name: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::Refused {
            status,
            code,
            name,
            message: message.into(),
        }
    }

    /// 401 for a missing, unknown or revoked operator token (like P100's xo1/xo2).
    pub fn unauthorized(message: &str) -> Self {
        Self::refused(StatusCode::UNAUTHORIZED, "R401", "access-denied", message)
    }

    /// 403: the operator's role does not allow this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::refused(StatusCode::FORBIDDEN, "R403", "role-not-allowed", message)
    }

    /// 400 with a relay validation code.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::refused(StatusCode::BAD_REQUEST, "R400", "invalid-request", message)
    }
}

impl From<tokio_postgres::Error> for RelayError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Database(error.to_string())
    }
}

impl IntoResponse for RelayError {
    fn into_response(self) -> Response {
        match self {
            Self::Refused {
                status,
                code,
                name,
                message,
            } => (
                status,
                Json(json!({"errorCode": code, "errorName": name, "errorMessage": message})),
            )
                .into_response(),
            Self::Database(_) | Self::Setup(_) => {
                tracing::error!(error = %self, "relay failure");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({"errorCode": "R500", "errorName": "relay-failure",
                        "errorMessage": "the relay could not complete the request"})),
                )
                    .into_response()
            }
        }
    }
}
