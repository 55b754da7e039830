//! `p100-desk watch ID...`: prints each status change until every id is final, with the
//! dashboard's poller (first check soon, backoff, Retry-After for all, the request budget).
//! Exit 0 when all succeeded, 3 when any failed or expired, 4 on `--timeout`.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use clap::Args;
use serde::Serialize;
use tokio::sync::mpsc;

use super::args::{Kind, iso, parse_duration};
use super::context::{self, Globals};
use super::details::{self, DetailsRecord, Outcome};
use super::exit::{CliError, Exit, api_exit};
use super::output::{Align, Column, Record, RecordWriter, StreamFormat, col};
use crate::app::live::{WatchChange, WatchTarget};
use crate::app::msg::Msg;
use crate::poller;
use crate::session;

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// One or more exchangeIds or orderIds.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<String>,
    /// What the ids name (default: each tried as an exchange, then as an order).
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    /// Give up after this long (e.g. 90s, 10m, 1h); default: wait until all are final.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    #[arg(long, value_enum, default_value_t = StreamFormat::Table)]
    pub format: StreamFormat,
}

/// One observed status, with when it was seen.
#[derive(Debug, Serialize)]
pub struct WatchEvent {
    pub at: String,
    #[serde(flatten)]
    pub details: DetailsRecord,
}

impl Record for WatchEvent {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("at", 24, Align::Left),
            col("kind", 8, Align::Left),
            col("id", 36, Align::Left),
            col("status", 26, Align::Status),
            col("outcome", 9, Align::Left),
            col("wallet_address", 0, Align::Left),
            col("error", 0, Align::Left),
        ];
        COLUMNS
    }

    fn cells(&self) -> Vec<String> {
        let d = &self.details;
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        vec![
            self.at.clone(),
            d.kind.to_owned(),
            d.id.clone(),
            d.status.clone(),
            format!("{:?}", d.outcome).to_lowercase(),
            text(&d.wallet_address),
            text(&d.error),
        ]
    }
}

/// What is known of one watched id.
struct Watched {
    target: WatchTarget,
    last: Option<DetailsRecord>,
    last_error: Option<String>,
}

pub async fn run(args: &WatchArgs, globals: &Globals) -> Result<(), CliError> {
    let connected = context::connect(globals).await?;
    let settings = session::poll_settings(&connected.config);
    let deadline = args
        .timeout
        .map(|timeout| tokio::time::Instant::now() + timeout);
    let mut writer = RecordWriter::<WatchEvent>::stdout(args.format);
    let result = follow(&connected.client, args, settings, deadline, &mut writer).await;
    connected.close().await;
    writer.finish()?;
    result
}

/// Watches every id to its end; the answer is the exit the ids call for.
async fn follow(
    client: &crate::api::ApiClient,
    args: &WatchArgs,
    settings: poller::PollSettings,
    deadline: Option<tokio::time::Instant>,
    writer: &mut RecordWriter<WatchEvent>,
) -> Result<(), CliError> {
    let mut watched: BTreeMap<String, Watched> = BTreeMap::new();
    for id in &args.ids {
        if watched.contains_key(id) {
            continue;
        }
        // The first read also tells an exchange from an order.
        let record = details::fetch(client, id, args.kind).await?;
        let target = if record.kind == "order" {
            WatchTarget::Order(id.clone())
        } else {
            WatchTarget::Exchange(id.clone())
        };
        writer.write(&event(record.clone()))?;
        writer.flush()?;
        watched.insert(
            id.clone(),
            Watched {
                target,
                last: Some(record),
                last_error: None,
            },
        );
    }
    // The ids named on the command line (a few): the poller is told them, then each change
    // (an id whose answer went final leaves).
    let mut told = pending_targets(&watched);
    let (watch_tx, watch_rx) = mpsc::unbounded_channel();
    let _ = watch_tx.send(WatchChange::adding(told.clone()));
    let (to_app, mut answers) = mpsc::unbounded_channel::<Msg>();
    // The dashboard's poller, as the runtime runs it: one attempt per check, its own budget.
    let poller_task = tokio::spawn(poller::run(
        client.single_attempt().without_budget(),
        settings,
        crate::api::RequestBudget::new(settings.max_requests_per_second),
        watch_rx,
        to_app,
    ));
    let outcome = loop {
        let targets = pending_targets(&watched);
        if targets.is_empty() {
            break Ok(());
        }
        let change = change_between(&told, &targets);
        if !change.is_empty() {
            let _ = watch_tx.send(change);
        }
        told = targets;
        let answer = tokio::select! {
            Some(answer) = answers.recv() => answer,
            () = sleep_until(deadline) => break Err(timeout_error(&watched)),
        };
        let (id, result) = match answer {
            Msg::ExchangePolled { id, result } => (id, result.map(|d| DetailsRecord::exchange(&d))),
            Msg::OrderPolled { id, result } => (id, result.map(|d| DetailsRecord::order(&d))),
            _ => continue,
        };
        let Some(entry) = watched.get_mut(&id) else {
            continue;
        };
        match result {
            Ok(record) => match details::checked(&id, record) {
                Ok(record) => {
                    entry.last_error = None;
                    if entry
                        .last
                        .as_ref()
                        .is_none_or(|last| changed(last, &record))
                    {
                        writer.write(&event(record.clone()))?;
                        writer.flush()?;
                    }
                    entry.last = Some(record);
                }
                Err(error) => note_error(entry, &id, &error.message),
            },
            // A key that is refused will not start working: stop, with its exit code.
            Err(error) if api_exit(&error) == Exit::Auth => {
                break Err(CliError::api(&format!("watching {id}"), &error));
            }
            Err(error) => note_error(entry, &id, &error.user_message()),
        }
    };
    poller_task.abort();
    outcome?;
    let failed: Vec<&str> = watched
        .iter()
        .filter(|(_, w)| {
            w.last
                .as_ref()
                .is_some_and(|r| r.outcome == Outcome::Failed)
        })
        .map(|(id, _)| id.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::new(
            Exit::Failed,
            format!("did not succeed: {}", failed.join(", ")),
        ))
    }
}

fn event(details: DetailsRecord) -> WatchEvent {
    WatchEvent {
        at: iso(Utc::now()),
        details,
    }
}

/// A change worth a line: the status, or what a payer needs (the wallet, confirmations).
fn changed(last: &DetailsRecord, now: &DetailsRecord) -> bool {
    last.status != now.status
        || last.wallet_address != now.wallet_address
        || last.confirmations != now.confirmations
        || last.received_amount != now.received_amount
}

/// What the poller is told when the ids still pending go from `told` to `targets` (both
/// sorted): an id leaves when its answer is final, and comes back if a later answer is not.
fn change_between(told: &[WatchTarget], targets: &[WatchTarget]) -> WatchChange {
    WatchChange {
        removed: told
            .iter()
            .filter(|target| targets.binary_search(target).is_err())
            .cloned()
            .collect(),
        added: targets
            .iter()
            .filter(|target| told.binary_search(target).is_err())
            .cloned()
            .collect(),
    }
}

fn pending_targets(watched: &BTreeMap<String, Watched>) -> Vec<WatchTarget> {
    let mut targets: Vec<WatchTarget> = watched
        .values()
        .filter(|w| !w.last.as_ref().is_some_and(|r| r.is_final))
        .map(|w| w.target.clone())
        .collect();
    targets.sort();
    targets
}

/// A failing check is said once on stderr (not on every retry); watching goes on.
fn note_error(entry: &mut Watched, id: &str, message: &str) {
    if entry.last_error.as_deref() != Some(message) {
        eprintln!("p100-desk: {id}: check failed, will retry: {message}");
        entry.last_error = Some(message.to_owned());
    }
}

fn timeout_error(watched: &BTreeMap<String, Watched>) -> CliError {
    let pending: Vec<String> = watched
        .iter()
        .filter(|(_, w)| !w.last.as_ref().is_some_and(|r| r.is_final))
        .map(|(id, w)| {
            let status = w.last.as_ref().map_or("unknown", |r| r.status.as_str());
            format!("{id} ({status})")
        })
        .collect();
    CliError::new(
        Exit::Timeout,
        format!("timed out; still not final: {}", pending.join(", ")),
    )
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_poller_is_told_ids_that_went_final_and_ids_that_came_back() {
        let a = WatchTarget::Exchange("a".into());
        let b = WatchTarget::Exchange("b".into());
        let c = WatchTarget::Order("c".into());
        let told = vec![a.clone(), b.clone()];
        assert!(change_between(&told, &told).is_empty());
        // b went final; c's later answer was not final after all.
        assert_eq!(
            change_between(&told, &[a.clone(), c.clone()]),
            WatchChange {
                removed: vec![b],
                added: vec![c],
            }
        );
        assert_eq!(
            change_between(std::slice::from_ref(&a), &[]),
            WatchChange::removing(vec![a])
        );
    }
}
