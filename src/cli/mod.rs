//! The headless commands: the same desk for scripts (balances, history, status, watch, a
//! guarded exchange and order, the journal, paths, config check), on the dashboard's client,
//! config, journal, limits and safety rules. Machine output on stdout, people's on stderr.

pub mod args;
mod balances;
pub mod context;
pub mod exit;
pub mod output;
pub mod text;

use std::process::ExitCode;

use clap::Subcommand;

pub use context::Globals;
pub use exit::{CliError, Exit};

/// The headless subcommands (flattened into the binary's command list).
#[derive(Debug, Subcommand)]
pub enum HeadlessCommand {
    /// Every balance at its own scale, its EUR value and the indicative total.
    Balances(balances::BalancesArgs),
}

/// Runs one headless command; errors become one line on stderr and their exit code.
pub async fn run(command: &HeadlessCommand, globals: &Globals) -> ExitCode {
    let result = match command {
        HeadlessCommand::Balances(args) => balances::run(args, globals).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if !error.message.is_empty() {
                eprintln!("p100-desk: {}", error.message);
            }
            error.exit.code()
        }
    }
}
