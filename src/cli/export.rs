//! CSV exports for the dashboard's `e`: the same columns as the headless commands, each file
//! starting with an "as of" line, written next to the journal in the data dir.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::args::iso;
use super::balances::BalanceRecord;
use super::history::TransactionRecord;
use super::output::{Align, Record};
use super::text::defused;
use crate::api::models::Transaction;
use crate::app::balances::BalanceRow;
use crate::journal;

/// What a dashboard export holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportSource {
    /// Rows already rendered as CSV (the view as shown).
    Csv { rows: usize, text: String },
    /// The journal file, read when the export is written.
    Journal(PathBuf),
}

fn csv_of<R: Record>(records: &[R]) -> String {
    let mut out = String::new();
    let header: Vec<&str> = R::columns().iter().map(|c| c.name).collect();
    let _ = writeln!(out, "{}", csv_line(header.iter().map(|h| (*h).to_owned())));
    for record in records {
        let cells = record
            .cells()
            .into_iter()
            .zip(R::columns())
            .map(|(cell, column)| match column.align {
                Align::Right => cell,
                Align::Left | Align::Status => defused(&cell),
            });
        let _ = writeln!(out, "{}", csv_line(cells));
    }
    out
}

fn csv_line(cells: impl Iterator<Item = String>) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let cells: Vec<String> = cells.collect();
    let _ = writer.write_record(&cells);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).trim_end().to_owned()
}

/// The history rows as shown (already filtered), as CSV.
pub fn history_csv(rows: &[&Transaction]) -> ExportSource {
    let records: Vec<TransactionRecord> = rows.iter().map(|tx| TransactionRecord::of(tx)).collect();
    ExportSource::Csv {
        rows: records.len(),
        text: csv_of(&records),
    }
}

/// The balances as shown, as CSV.
pub fn balances_csv(rows: &[BalanceRow]) -> ExportSource {
    let records: Vec<BalanceRecord> = rows.iter().map(BalanceRecord::of).collect();
    ExportSource::Csv {
        rows: records.len(),
        text: csv_of(&records),
    }
}

/// Writes the export to `path` (never over an existing file): the "as of" line, then the CSV.
/// Returns how many rows it holds.
pub fn write(
    path: &Path,
    source: &ExportSource,
    what: &str,
    as_of: DateTime<Utc>,
) -> std::io::Result<usize> {
    let (rows, text) = match source {
        ExportSource::Csv { rows, text } => (*rows, text.clone()),
        ExportSource::Journal(journal_path) => {
            // The archive too: an export of the journal is all of it.
            let entries = journal::archive::read_with_archive(journal_path)?;
            (entries.len(), journal::to_csv(&entries))
        }
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    writeln!(file, "# {what} as of {}, {rows} row(s)", iso(as_of))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(rows)
}
