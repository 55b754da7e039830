//! The typed P100 Partner API client: one shared HTTP client, the secret key, retries for reads.

pub mod error;
mod listing;
pub mod models;
pub mod paths;
