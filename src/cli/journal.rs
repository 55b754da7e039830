//! `p100-desk journal`: the audit journal of money-moving actions, every line (oldest first)
//! or, with `--summary`, one row per intent: what was asked, the id, the outcome, the final
//! status, the times. Amounts stay in numeric columns; currencies have their own.

use std::path::{Path, PathBuf};

use clap::Args;
use rust_decimal::Decimal;
use serde::Serialize;

use super::args::{TimeArg, iso, parse_time};
use super::context::Globals;
use super::exit::{CliError, Exit};
use super::output::{self, Align, Column, Record, StreamFormat, col, write_error};
use super::text::printable;
use crate::config;
use crate::journal::{self, Entry, Event};

#[derive(Debug, Args)]
pub struct JournalArgs {
    /// Only what happened at or after this (2026-02-13 or RFC 3339); with --summary, intents
    /// opened since then.
    #[arg(long, value_name = "DATE", value_parser = parse_time)]
    pub since: Option<TimeArg>,
    /// One row per intent instead of one per journal line.
    #[arg(long)]
    pub summary: bool,
    #[arg(long, value_enum, default_value_t = StreamFormat::Table)]
    pub format: StreamFormat,
    /// The old spelling of `--format csv`.
    #[arg(long, hide = true)]
    pub csv: bool,
    /// The team journal from a relay's database instead (same as `relay journal`).
    #[arg(long, requires = "database_url")]
    pub team: bool,
    /// The relay's PostgreSQL, for --team (also: P100_RELAY_DATABASE_URL).
    #[arg(long, env = crate::relay::cli::DATABASE_URL, value_name = "URL")]
    pub database_url: Option<String>,
}

/// One intent, folded from its journal lines. JSON field names are stable (README).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IntentSummary {
    pub intent: String,
    pub profile: String,
    pub environment: String,
    /// `exchange` or `order`.
    pub kind: &'static str,
    pub opened_at: String,
    /// Exchange: the amount sold; order: the crypto the payer sends.
    pub amount: String,
    pub currency: String,
    /// Exchange: the amount received; order: the fiat it settles.
    pub amount_to: String,
    pub currency_to: String,
    /// Orders only.
    pub network: Option<String>,
    pub rate: String,
    pub lock_id: String,
    /// The exchangeId or orderId, once known.
    pub remote_id: Option<String>,
    /// `unanswered` (no outcome written: the process stopped around the request),
    /// `accepted`, `rejected`, `unknown`, `reconciled` (found after an unknown outcome) or
    /// `not_applied` (proven absent after an unknown outcome).
    pub outcome: &'static str,
    /// COMPLETED, FAILED, EXPIRED, ... once final.
    pub final_status: Option<String>,
    pub reason: Option<String>,
    pub last_at: String,
    pub final_at: Option<String>,
}

impl Record for IntentSummary {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("opened_at", 24, Align::Left),
            col("kind", 8, Align::Left),
            col("amount", 14, Align::Right),
            col("currency", 8, Align::Left),
            col("amount_to", 14, Align::Right),
            col("currency_to", 11, Align::Left),
            col("network", 7, Align::Left),
            col("rate", 12, Align::Right),
            col("outcome", 11, Align::Left),
            col("final_status", 12, Align::Status),
            col("remote_id", 36, Align::Left),
            col("intent", 30, Align::Left),
            col("profile", 8, Align::Left),
            col("environment", 11, Align::Left),
            col("lock_id", 36, Align::Left),
            col("last_at", 24, Align::Left),
            col("final_at", 24, Align::Left),
            col("reason", 0, Align::Left),
        ];
        COLUMNS
    }

    fn cells(&self) -> Vec<String> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        vec![
            self.opened_at.clone(),
            self.kind.to_owned(),
            self.amount.clone(),
            self.currency.clone(),
            self.amount_to.clone(),
            self.currency_to.clone(),
            text(&self.network),
            self.rate.clone(),
            self.outcome.to_owned(),
            text(&self.final_status),
            text(&self.remote_id),
            self.intent.clone(),
            self.profile.clone(),
            self.environment.clone(),
            self.lock_id.clone(),
            self.last_at.clone(),
            text(&self.final_at),
            text(&self.reason),
        ]
    }
}

fn number(value: Decimal) -> String {
    value.to_string()
}

impl journal::Fold for IntentSummary {
    fn open(entry: Entry, _recovered_from: Option<usize>) -> Option<Self> {
        Self::opened(&entry)
    }

    fn apply(&mut self, entry: &Entry) {
        self.fold(entry);
    }
}

impl IntentSummary {
    /// The summary an intent line opens; `None` for other lines.
    fn opened(entry: &Entry) -> Option<Self> {
        let terms = entry.event.terms()?;
        Some(Self {
            intent: printable(&entry.intent),
            profile: printable(&entry.profile),
            environment: printable(&entry.environment),
            kind: terms.kind,
            opened_at: iso(entry.at),
            amount: number(terms.amount),
            currency: printable(terms.currency),
            amount_to: number(terms.amount_to),
            currency_to: printable(terms.currency_to),
            network: terms.network.map(printable),
            rate: number(terms.rate),
            lock_id: printable(terms.lock_id),
            remote_id: None,
            outcome: "unanswered",
            final_status: None,
            reason: None,
            last_at: iso(entry.at),
            final_at: None,
        })
    }

    /// Folds a later line about the same intent in.
    fn fold(&mut self, entry: &Entry) {
        self.last_at = iso(entry.at);
        match &entry.event {
            Event::Accepted { remote_id, .. } => {
                self.remote_id = Some(printable(remote_id));
                self.outcome = "accepted";
            }
            Event::Rejected { reason } => {
                self.outcome = "rejected";
                self.reason = Some(printable(reason));
            }
            Event::Unknown { reason } => {
                self.outcome = "unknown";
                self.reason = Some(printable(reason));
            }
            Event::Reconciled { remote_id, note } => {
                self.reason = Some(printable(note));
                match remote_id {
                    Some(id) => {
                        self.remote_id = Some(printable(id));
                        self.outcome = "reconciled";
                    }
                    None => self.outcome = "not_applied",
                }
            }
            Event::Final { status, reason } => {
                self.final_status = Some(printable(status));
                self.final_at = Some(iso(entry.at));
                if let Some(reason) = reason {
                    self.reason = Some(printable(reason));
                }
            }
            // A person decided an ambiguous reconciliation: applied as this id, or not.
            Event::Resolved {
                remote_id,
                by,
                note,
            } => {
                self.reason = Some(printable(&format!("{note} (by {by})")));
                match remote_id {
                    Some(id) => {
                        self.remote_id = Some(printable(id));
                        self.outcome = "resolved_applied";
                    }
                    None => self.outcome = "resolved_not_applied",
                }
            }
            // A second intent line under the same id (of any kind), and lines that belong to
            // no attempt.
            _ => {}
        }
    }
}

/// One summary per intent, in the order intents were opened, grouped by the same rules as the
/// desk's replay (`journal::Folder`): an intent whose intent line is lost but whose accepted
/// line repeats it is shown; other lines about an intent with no intent line are counted, not
/// guessed at. A refused lock sent nothing and opened no intent: it is left out here (the plain
/// listing shows it).
pub fn summarize(entries: Vec<Entry>) -> (Vec<IntentSummary>, usize) {
    let mut folder = journal::Folder::<IntentSummary>::default();
    for (number, entry) in entries.into_iter().enumerate() {
        folder.push(entry, number + 1);
    }
    (folder.intents, folder.orphans.len())
}

/// The data dir from the resolved config; when the config cannot be resolved (the journal
/// must stay readable then), from `--data-dir`, `P100_DATA_DIR` or the platform.
fn data_dir(globals: &Globals) -> Result<PathBuf, CliError> {
    match config::load(&globals.overrides) {
        Ok(config) => Ok(config.data_dir),
        Err(error) => {
            let fallback = globals
                .overrides
                .data_dir
                .clone()
                .or_else(|| std::env::var_os(config::DATA_DIR).map(PathBuf::from))
                .or_else(config::platform_data_dir);
            match fallback {
                Some(dir) => {
                    eprintln!("p100-desk: warning: config not used ({error})");
                    Ok(dir)
                }
                None => Err(CliError::new(Exit::Config, "no data dir: pass --data-dir")),
            }
        }
    }
}

/// Every readable line of every journal file in the data dir (live journals and their
/// archives alike), oldest first.
fn read_all(folder: &Path) -> Vec<Entry> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut entries = Vec::new();
    for file in &files {
        // An archive counts up to its committed length (journal/archive.rs).
        match journal::archive::read_any(file) {
            Ok((mut read, damaged)) => {
                if !damaged.is_empty() {
                    eprintln!(
                        "p100-desk: {}: unreadable lines {damaged:?} skipped",
                        file.display()
                    );
                }
                entries.append(&mut read);
            }
            Err(error) => eprintln!("p100-desk: {}: {error}", file.display()),
        }
    }
    // Oldest first, and a line both archived and still live (a compaction stopped between
    // its index and its rename) once.
    journal::archive::sort_and_dedupe(&mut entries);
    entries
}

pub fn run(args: &JournalArgs, globals: &Globals) -> Result<(), CliError> {
    let folder = data_dir(globals)?.join("journal");
    let mut entries = read_all(&folder);
    if let Some(profile) = &globals.overrides.profile {
        entries.retain(|entry| &entry.profile == profile);
    }
    let format = if args.csv {
        StreamFormat::Csv
    } else {
        args.format
    };
    let since = args.since.map(TimeArg::from);
    if args.summary {
        let (mut summaries, orphans) = summarize(entries);
        if let Some(since) = since {
            let since = iso(since);
            // ISO-8601 UTC with fixed precision sorts as text.
            summaries.retain(|summary| summary.opened_at >= since);
        }
        if orphans > 0 {
            eprintln!("p100-desk: {orphans} journal line(s) name an intent with no intent line");
        }
        return output::print_records(format, &summaries);
    }
    if let Some(since) = since {
        entries.retain(|entry| entry.at >= since);
    }
    print_lines(format, &entries, &folder)
}

fn print_lines(format: StreamFormat, entries: &[Entry], folder: &Path) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match format {
        StreamFormat::Csv => out.write_all(journal::to_csv(entries).as_bytes()),
        StreamFormat::Json => {
            drop(out);
            return output::print_json(&entries);
        }
        StreamFormat::Ndjson => entries.iter().try_for_each(|entry| {
            serde_json::to_writer(&mut out, entry)?;
            out.write_all(b"\n")
        }),
        StreamFormat::Table if entries.is_empty() => {
            writeln!(out, "No journal entries in {}", folder.display())
        }
        StreamFormat::Table => entries
            .iter()
            .try_for_each(|entry| writeln!(out, "{}", printable(&journal::describe(entry)))),
    };
    written
        .and_then(|()| out.flush())
        .map_err(|error| write_error(&error))
}
