//! The typed P100 Partner API client: one shared HTTP client, the secret key, retries for reads.

pub mod error;
pub mod models;
pub mod paths;
