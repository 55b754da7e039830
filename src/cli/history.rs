//! `p100-desk history`: every page of the transaction history, streamed as it arrives in
//! constant memory, each transaction once even when new rows shift the pages while paging.
//! Filters the API does not document (dates, type, status) are applied here, on the client.

use std::collections::{HashSet, VecDeque};
use std::fmt::Write as _;
use std::io::IsTerminal;

use chrono::{DateTime, Utc};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::args::{TimeArg, iso, parse_time};
use super::context::{self, Globals};
use super::exit::CliError;
use super::output::{Align, Column, Record, RecordWriter, StreamFormat, col};
use super::text::printable;
use crate::api::models::{Transaction, TransactionStatus, TransactionType};

/// The largest page asked for. [assumed]: P100 documents no maximum; the sandbox allows 200.
const MAX_PAGE_SIZE: i64 = 200;

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only rows created at or after this (2026-02-13 is UTC midnight, or RFC 3339).
    #[arg(long, value_name = "DATE", value_parser = parse_time)]
    pub since: Option<TimeArg>,
    /// Only rows created up to this (a bare date includes that whole UTC day).
    #[arg(long, value_name = "DATE", value_parser = parse_time)]
    pub until: Option<TimeArg>,
    /// Only this type (repeatable): EXCHANGE, ORDER, SEPA_TRANSFER, SEPA_DEPOSIT,
    /// CRYPTO_WITHDRAWAL, CRYPTO_DEPOSIT, TRANSFER.
    #[arg(long = "type", value_name = "T")]
    pub types: Vec<String>,
    /// Only this status (repeatable): PENDING, PROCESSING, SUCCESSFUL (= COMPLETED), FAILED.
    #[arg(long = "status", value_name = "S")]
    pub statuses: Vec<String>,
    /// Stop after this many matching rows (default: all of them).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Rows asked for per request.
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=MAX_PAGE_SIZE))]
    pub page_size: u32,
    #[arg(long, value_enum, default_value_t = StreamFormat::Table)]
    pub format: StreamFormat,
}

/// One transaction as printed. JSON field names are stable (README, "JSON shapes").
#[derive(Debug, Serialize)]
pub struct TransactionRecord {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    /// Exactly as the API sent it.
    pub amount: String,
    pub currency: String,
    /// Exchanges: what was received.
    pub amount_to: Option<String>,
    pub currency_to: Option<String>,
    pub created_at: Option<String>,
    pub description: Option<String>,
}

impl TransactionRecord {
    pub fn of(tx: &Transaction) -> Self {
        Self {
            id: printable(&tx.id),
            kind: printable(tx.kind.as_str()),
            status: printable(tx.status.as_str()),
            amount: tx.amount.to_string(),
            currency: printable(tx.currency.as_str()),
            amount_to: tx.amount_to.map(|amount| amount.to_string()),
            currency_to: tx.currency_to.as_ref().map(|c| printable(c.as_str())),
            created_at: tx.created_at.map(iso),
            description: tx.description.as_deref().map(printable),
        }
    }
}

impl Record for TransactionRecord {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("created_at", 24, Align::Left),
            col("type", 17, Align::Left),
            col("status", 10, Align::Status),
            col("amount", 16, Align::Right),
            col("currency", 8, Align::Left),
            col("amount_to", 16, Align::Right),
            col("currency_to", 11, Align::Left),
            col("id", 36, Align::Left),
            col("description", 0, Align::Left),
        ];
        COLUMNS
    }

    fn cells(&self) -> Vec<String> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        vec![
            text(&self.created_at),
            self.kind.clone(),
            self.status.clone(),
            self.amount.clone(),
            self.currency.clone(),
            text(&self.amount_to),
            text(&self.currency_to),
            self.id.clone(),
            text(&self.description),
        ]
    }
}

/// What a row must match; empty lists match everything.
#[derive(Debug, Default)]
pub struct HistoryFilter {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub types: Vec<TransactionType>,
    pub statuses: Vec<TransactionStatus>,
}

/// SUCCESSFUL and COMPLETED are the same final success (P100-API.md).
fn same_status(a: &TransactionStatus, b: &TransactionStatus) -> bool {
    let success = |s: &TransactionStatus| {
        matches!(
            s,
            TransactionStatus::Successful | TransactionStatus::Completed
        )
    };
    a == b || (success(a) && success(b))
}

impl HistoryFilter {
    fn of(args: &HistoryArgs) -> Self {
        Self {
            since: args.since.map(TimeArg::from),
            until: args.until.map(TimeArg::until),
            types: args
                .types
                .iter()
                .map(|t| TransactionType::parse(t))
                .collect(),
            statuses: args
                .statuses
                .iter()
                .map(|s| TransactionStatus::parse(s))
                .collect(),
        }
    }

    pub fn matches(&self, tx: &Transaction) -> bool {
        let time_ok = match tx.created_at {
            Some(at) => {
                self.since.is_none_or(|since| at >= since) && self.until.is_none_or(|u| at < u)
            }
            // A row without a readable time cannot be placed in a date range.
            None => self.since.is_none() && self.until.is_none(),
        };
        time_ok
            && (self.types.is_empty() || self.types.contains(&tx.kind))
            && (self.statuses.is_empty()
                || self.statuses.iter().any(|s| same_status(s, &tx.status)))
    }

    /// Every row of the page is older than `--since`: later pages (older, newest first) cannot
    /// match. Only a whole page counts, as the order is [assumed].
    fn page_is_past(&self, page: &[Transaction]) -> bool {
        let Some(since) = self.since else {
            return false;
        };
        !page.is_empty()
            && page
                .iter()
                .all(|tx| tx.created_at.is_some_and(|at| at < since))
    }
}

/// The ids of the last rows seen, to drop a row that a new arrival pushed from one page onto
/// the next. Bounded: memory stays flat however long the history is.
pub struct RecentIds {
    order: VecDeque<String>,
    set: HashSet<String>,
    capacity: usize,
}

impl RecentIds {
    pub fn new(capacity: usize) -> Self {
        Self {
            order: VecDeque::with_capacity(capacity + 1),
            set: HashSet::with_capacity(capacity + 1),
            capacity,
        }
    }

    /// True the first time `id` is seen within the window.
    pub fn insert(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        self.set.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        if self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

/// How a history run went, for the line on stderr.
#[derive(Debug, Default)]
struct Tally {
    pages: u32,
    scanned: u64,
    written: usize,
    /// Rows seen twice: each is one new row that arrived at the top while paging.
    shifted: u64,
    first_total: Option<u64>,
    last_total: Option<u64>,
}

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} {pos}/{len} rows read ({per_sec})")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar
}

pub async fn run(args: &HistoryArgs, globals: &Globals) -> Result<(), CliError> {
    let connected = context::connect(globals).await?;
    let filter = HistoryFilter::of(args);
    let mut writer = RecordWriter::<TransactionRecord>::stdout(args.format);
    let result = stream(&connected.client, args, &filter, &mut writer).await;
    connected.close().await;
    let (tally, failure) = match result {
        Ok(tally) => (tally, None),
        Err((tally, error)) => (tally, Some(error)),
    };
    // Rows already written stay valid output (a JSON array is closed) even after a failure.
    writer.finish()?;
    report(&tally);
    match failure {
        None => Ok(()),
        Some(error) => Err(error),
    }
}

async fn stream(
    client: &crate::api::ApiClient,
    args: &HistoryArgs,
    filter: &HistoryFilter,
    writer: &mut RecordWriter<TransactionRecord>,
) -> Result<Tally, (Tally, CliError)> {
    let mut tally = Tally::default();
    let mut seen = RecentIds::new(usize::try_from(args.page_size).unwrap_or(100) * 2);
    let progress = progress_bar();
    let mut page = 1u32;
    loop {
        let data = match client.transactions(page, args.page_size).await {
            Ok(data) => data,
            Err(error) => {
                let what = format!("history (stopped at page {page})");
                return Err((tally, CliError::api(&what, &error)));
            }
        };
        tally.pages = page;
        if page == 1 {
            tally.first_total = data.total;
            if let Some(total) = data.total {
                progress.set_length(total);
            }
        }
        tally.last_total = data.total;
        let count = data.transactions.len();
        let past = filter.page_is_past(&data.transactions);
        for tx in &data.transactions {
            tally.scanned += 1;
            if !seen.insert(&tx.id) {
                tally.shifted += 1;
                continue;
            }
            if !filter.matches(tx) {
                continue;
            }
            if let Err(error) = writer.write(&TransactionRecord::of(tx)) {
                return Err((tally, error));
            }
            tally.written += 1;
            if args.limit.is_some_and(|limit| tally.written >= limit) {
                progress.finish_and_clear();
                return Ok(tally);
            }
        }
        progress.inc(count as u64);
        if let Err(error) = writer.flush() {
            return Err((tally, error));
        }
        if count < args.page_size as usize || past {
            break;
        }
        page += 1;
    }
    progress.finish_and_clear();
    Ok(tally)
}

fn report(tally: &Tally) {
    let mut line = format!(
        "p100-desk: {} transaction(s) written, {} read from {} page(s)",
        tally.written, tally.scanned, tally.pages
    );
    let grown = match (tally.first_total, tally.last_total) {
        (Some(first), Some(last)) if last > first => last - first,
        _ => 0,
    };
    let arrived = grown.max(tally.shifted);
    if arrived > 0 {
        let _ = write!(
            line,
            "; {arrived} new transaction(s) arrived while paging (not listed, and nothing \
             listed twice: run again to include them)"
        );
    }
    eprintln!("{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_drops_repeats_and_forgets_old_ids() {
        let mut seen = RecentIds::new(2);
        assert!(seen.insert("a"));
        assert!(!seen.insert("a"));
        assert!(seen.insert("b"));
        assert!(seen.insert("c"));
        assert!(seen.insert("a"), "a left the window of 2");
        assert_eq!(seen.set.len(), 2);
    }

    #[test]
    fn successful_and_completed_filter_alike() {
        assert!(same_status(
            &TransactionStatus::Completed,
            &TransactionStatus::Successful
        ));
        assert!(!same_status(
            &TransactionStatus::Failed,
            &TransactionStatus::Successful
        ));
    }
}
