//! The headless commands: the same desk for scripts (balances, history, status, watch, a
//! guarded exchange and order, the journal, paths, config check), on the dashboard's client,
//! config, journal, limits and safety rules. Machine output on stdout, people's on stderr.

pub mod args;
mod balances;
mod config_check;
pub mod context;
mod details;
mod exchange;
pub mod exit;
pub mod export;
mod history;
mod journal;
mod order;
pub mod output;
mod paths;
mod status;
pub mod text;
mod trade;
mod watch;

use std::process::ExitCode;

use clap::Subcommand;

pub use context::Globals;
pub use exit::{CliError, Exit};

/// The headless subcommands (flattened into the binary's command list).
#[derive(Debug, Subcommand)]
pub enum HeadlessCommand {
    /// Every balance at its own scale, its EUR value and the indicative total.
    Balances(balances::BalancesArgs),
    /// Every transaction (all pages, streamed), with client-side filters.
    History(history::HistoryArgs),
    /// The details of one exchange or order.
    Status(status::StatusArgs),
    /// Print each status change of exchanges or orders until all are final.
    Watch(watch::WatchArgs),
    /// Lock a rate and exchange, only if the guard holds (--min-rate, --max-rate or
    /// --interactive).
    Exchange(exchange::ExchangeArgs),
    /// Lock an order rate and create the order, only if the guard holds (--max-crypto or
    /// --interactive); prints the wallet address.
    Order(order::OrderArgs),
    /// The audit journal of money-moving actions: every line, or one row per intent.
    Journal(journal::JournalArgs),
    /// Where the config, data, journal and log files are.
    Paths(paths::PathsArgs),
    /// Check the config file and print the resolved profile (without the key).
    Config {
        #[command(subcommand)]
        command: config_check::ConfigCommand,
    },
}

/// Runs one headless command; errors become one line on stderr and their exit code.
pub async fn run(command: &HeadlessCommand, globals: &Globals) -> ExitCode {
    let result = match command {
        HeadlessCommand::Balances(args) => balances::run(args, globals).await,
        HeadlessCommand::History(args) => history::run(args, globals).await,
        HeadlessCommand::Status(args) => status::run(args, globals).await,
        HeadlessCommand::Watch(args) => watch::run(args, globals).await,
        HeadlessCommand::Exchange(args) => Box::pin(exchange::run(args, globals)).await,
        HeadlessCommand::Order(args) => Box::pin(order::run(args, globals)).await,
        HeadlessCommand::Journal(args) if args.team => {
            let url = args.database_url.clone().unwrap_or_default();
            return crate::relay::cli::print_team_journal(&url).await;
        }
        HeadlessCommand::Journal(args) => journal::run(args, globals),
        HeadlessCommand::Paths(args) => paths::run(args, globals),
        HeadlessCommand::Config { command } => config_check::run(command, globals),
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
