//! p100-desk: a terminal treasury dashboard for the P100 Partner API, with a built-in sandbox.
//!
//! The library holds everything; `main.rs` is a thin binary over it so that `tests/` and
//! `benches/` exercise the same code the user runs.

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod core_dumps;
pub mod input;
pub mod journal;
pub mod keys;
pub mod lock_check;
pub mod logging;
pub mod money;
pub mod number_format;
pub mod poller;
pub mod printable;
pub mod relay;
pub mod runtime;
pub mod sandbox;
pub mod session;
pub mod terminal;
pub mod ui;
