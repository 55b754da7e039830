//! `p100-desk relay ...`: the command line of the team relay (serve, operators, the team
//! journal). main.rs hands over the parsed arguments.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use rust_decimal::Decimal;
use secrecy::SecretString;

use super::{RelayOptions, RelaySettings, Role};
use crate::config::{self, CliOverrides, EnvVars, Target};
use crate::sandbox::{self, Pace, SandboxOptions};

/// Where the relay's database URL may come from besides the flag.
pub const DATABASE_URL: &str = "P100_RELAY_DATABASE_URL";
/// The webhook token's environment variable.
pub const WEBHOOK_TOKEN: &str = "P100_WEBHOOK_TOKEN";

#[derive(Debug, Clone, Args)]
pub struct RelayArgs {
    #[command(subcommand)]
    pub command: RelayCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum RelayCommand {
    /// Serve the team: a P100-compatible front for desks, webhooks, one poller, four eyes.
    Serve(ServeArgs),
    /// Add, list or revoke operators (their tokens are what desks send as x-api-key).
    Operator(OperatorArgs),
    /// Print the team journal (every intent, outcome, status change and approval).
    Journal(DatabaseArg),
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArg {
    /// postgres://user@host:port/db (also: P100_RELAY_DATABASE_URL).
    #[arg(long, env = DATABASE_URL, value_name = "URL")]
    pub database_url: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. Anything but loopback needs --tls-cert/--tls-key (or
    /// --insecure-listen behind a TLS-terminating proxy).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    #[command(flatten)]
    pub database: DatabaseArg,
    /// P100 (default: the profile's stage or production URL; no profile: an embedded sandbox).
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// Relay settings (TOML: approval_above_eur, max_deviation, details_max_age, ...).
    #[arg(long, value_name = "PATH")]
    pub settings: Option<PathBuf>,
    /// Four eyes above this many EUR (overrides the settings file).
    #[arg(long, value_name = "EUR")]
    pub approval_above_eur: Option<Decimal>,
    /// A file holding the webhook token (else P100_WEBHOOK_TOKEN; without one, webhooks get 401).
    #[arg(long, value_name = "PATH")]
    pub webhook_token_file: Option<PathBuf>,
    /// Allow a non-loopback --listen without TLS (behind a TLS-terminating proxy only).
    #[arg(long)]
    pub insecure_listen: bool,
}

#[derive(Debug, Clone, Args)]
pub struct OperatorArgs {
    #[command(subcommand)]
    pub command: OperatorCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum OperatorCommand {
    /// Add an operator; its token is printed once, alone on stdout.
    Add {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// List operators (names, roles, when added or revoked; never tokens).
    List(DatabaseArg),
    /// Revoke an operator's token at once.
    Revoke {
        name: String,
        #[command(flatten)]
        database: DatabaseArg,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    text.parse()
}

/// Runs a relay command; `overrides` are the global flags (profile, config) for the key.
pub async fn run(args: &RelayArgs, overrides: &CliOverrides, env: &EnvVars) -> ExitCode {
    let result = match args.command.clone() {
        RelayCommand::Serve(serve) => run_serve(serve, overrides, env).await,
        RelayCommand::Operator(operator) => run_operator(operator).await,
        RelayCommand::Journal(database) => run_journal(&database).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("p100-desk relay: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run_operator(args: OperatorArgs) -> Result<(), String> {
    let (OperatorCommand::Add { database, .. }
    | OperatorCommand::List(database)
    | OperatorCommand::Revoke { database, .. }) = &args.command;
    let pool = super::open_store(&database.database_url)
        .await
        .map_err(|error| error.to_string())?;
    match args.command {
        OperatorCommand::Add { name, role, .. } => {
            let token = super::add_operator(&pool, &name, role)
                .await
                .map_err(|error| error.to_string())?;
            // Alone on stdout, so `TOKEN=$(p100-desk relay operator add ...)` captures it.
            println!("{token}");
            eprintln!("operator {name} ({role}) added; the token above is shown only now");
        }
        OperatorCommand::List(_) => {
            let rows = super::operators::list(&pool)
                .await
                .map_err(|error| error.to_string())?;
            for row in rows {
                let state = row.revoked_at.map_or_else(
                    || "active".to_owned(),
                    |at| format!("revoked {}", at.format("%Y-%m-%d %H:%M")),
                );
                println!(
                    "{:<24} {:<9} added {}  {state}",
                    row.name,
                    row.role,
                    row.created_at.format("%Y-%m-%d %H:%M")
                );
            }
        }
        OperatorCommand::Revoke { name, .. } => {
            if !super::revoke_operator(&pool, &name)
                .await
                .map_err(|error| error.to_string())?
            {
                return Err(format!("no active operator named {name}"));
            }
            eprintln!("operator {name} revoked");
        }
    }
    Ok(())
}

/// `p100-desk journal --team`: the team journal, printed.
pub async fn print_team_journal(database_url: &str) -> ExitCode {
    match run_journal(&DatabaseArg {
        database_url: database_url.to_owned(),
    })
    .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("p100-desk journal --team: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run_journal(args: &DatabaseArg) -> Result<(), String> {
    let pool = super::open_store(&args.database_url)
        .await
        .map_err(|error| error.to_string())?;
    let entries = super::team_journal(&pool, 10_000)
        .await
        .map_err(|error| error.to_string())?;
    if entries.is_empty() {
        println!("The team journal is empty.");
    }
    for entry in entries {
        println!("{}", entry.describe());
    }
    Ok(())
}

fn read_settings(path: Option<&PathBuf>) -> Result<RelaySettings, String> {
    let Some(path) = path else {
        return Ok(RelaySettings::default());
    };
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    toml::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))
}

fn webhook_token(args: &ServeArgs, env: &EnvVars) -> Result<Option<SecretString>, String> {
    let text = match &args.webhook_token_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|error| format!("{}: {error}", path.display()))?,
        ),
        None => env.get(WEBHOOK_TOKEN).map(str::to_owned),
    };
    Ok(text
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
        .map(SecretString::from))
}

/// Operator tokens cross the network only inside TLS: a non-loopback address needs the relay's
/// own certificate, or the operator's word that a TLS proxy sits in front.
fn check_listen(listen: SocketAddr, tls: bool, insecure_listen: bool) -> Result<(), String> {
    if listen.ip().is_loopback() || tls || insecure_listen {
        return Ok(());
    }
    Err(format!(
        "{listen} is not loopback: operator tokens would cross the network in clear. Serve \
         HTTPS with --tls-cert PEM --tls-key PEM, or, behind a TLS-terminating proxy only, pass \
         --insecure-listen"
    ))
}

async fn run_serve(args: ServeArgs, overrides: &CliOverrides, env: &EnvVars) -> Result<(), String> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(super::TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    check_listen(args.listen, tls.is_some(), args.insecure_listen)?;
    crate::logging::init_stderr(env.get(config::LOG)).map_err(|error| error.to_string())?;
    let mut settings = read_settings(args.settings.as_ref())?;
    if args.approval_above_eur.is_some() {
        settings.approval_above_eur = args.approval_above_eur;
    }
    let overrides = CliOverrides {
        base_url: args.upstream.clone().or_else(|| overrides.base_url.clone()),
        ..overrides.clone()
    };
    let resolved = config::load(&overrides).map_err(|error| error.to_string())?;
    let mut sandbox = None;
    let (upstream_url, upstream_key) = match resolved.target {
        Target::Remote {
            base_url, api_key, ..
        } => (base_url, api_key),
        Target::Sandbox => {
            let key = format!("relay-demo-{}", uuid::Uuid::new_v4().simple());
            let handle = sandbox::spawn(SandboxOptions {
                api_key: key.clone(),
                pace: Pace::Human,
                ..SandboxOptions::default()
            })
            .await
            .map_err(|error| format!("could not start the sandbox: {error}"))?;
            eprintln!(
                "no profile: the relay's upstream is an embedded sandbox at {}",
                handle.base_url()
            );
            let url = handle.base_url().to_owned();
            sandbox = Some(handle);
            (url, SecretString::from(key))
        }
    };
    let options = RelayOptions {
        listen: args.listen,
        database_url: args.database.database_url.clone(),
        upstream_url,
        upstream_key,
        webhook_token: webhook_token(&args, env)?,
        paths: resolved.paths,
        settings,
        upstream_timeout: Duration::from_secs(20),
    };
    let handle = match &tls {
        Some(tls) => super::spawn_tls(options, tls).await,
        None => super::spawn(options).await,
    }
    .map_err(|error| error.to_string())?;
    eprintln!("p100-desk relay listening on {}", handle.base_url());
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    if let Some(sandbox) = sandbox {
        sandbox.shutdown().await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_listens_without_tls_or_the_insecure_flag() {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 8787));
        let everywhere = SocketAddr::from(([0, 0, 0, 0], 8787));
        assert!(check_listen(loopback, false, false).is_ok());
        let refused = check_listen(everywhere, false, false).expect_err("clear text refused");
        assert!(refused.contains("--tls-cert"), "{refused}");
        assert!(check_listen(everywhere, true, false).is_ok());
        assert!(check_listen(everywhere, false, true).is_ok());
    }
}
