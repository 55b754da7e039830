//! Output for machines on stdout in the chosen format (table, JSON, CSV, NDJSON), streamed row
//! by row; a reader that goes away (`| head`) ends the command quietly with exit 0.

use std::io::{self, IsTerminal, Write};

use clap::ValueEnum;
use serde::Serialize;

use super::exit::{CliError, Exit};
use super::text::defused;

/// `--format` of the commands that print one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// `--format` of the commands that stream rows (history, watch, journal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StreamFormat {
    Table,
    Json,
    Csv,
    /// One JSON object per line, written as each row arrives.
    Ndjson,
}

impl From<Format> for StreamFormat {
    fn from(format: Format) -> Self {
        match format {
            Format::Table => Self::Table,
            Format::Json => Self::Json,
            Format::Csv => Self::Csv,
        }
    }
}

/// How a column is laid out in a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    /// Numbers: right-aligned so decimals line up.
    Right,
    /// A status word: coloured when colour is on.
    Status,
}

/// One column of a table or CSV.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    /// The minimum width in a table (longer values are never cut: ids are copied from here).
    pub width: usize,
    pub align: Align,
}

pub const fn col(name: &'static str, width: usize, align: Align) -> Column {
    Column { name, width, align }
}

/// A row that can be printed in every format: JSON through serde, tables and CSV by cells.
pub trait Record: Serialize {
    fn columns() -> &'static [Column];
    /// One printable cell per column (amounts as exact decimal strings, empty for none).
    fn cells(&self) -> Vec<String>;
}

/// Colour on stdout: only for a terminal, and never with `NO_COLOR` set.
pub fn colour_enabled() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// An output error, classified: a closed pipe is a quiet, successful end.
pub fn write_error(error: &io::Error) -> CliError {
    if error.kind() == io::ErrorKind::BrokenPipe {
        CliError::new(Exit::Ok, String::new())
    } else {
        CliError::new(Exit::Failure, format!("cannot write the output: {error}"))
    }
}

fn csv_error(error: csv::Error) -> CliError {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => write_error(&error),
        other => CliError::new(Exit::Failure, format!("cannot write CSV: {other:?}")),
    }
}

/// Where the rows go.
enum Sink {
    Plain(Box<dyn Write + Send>),
    Csv(Box<csv::Writer<Box<dyn Write + Send>>>),
}

/// Writes records of one type in one format, as they come.
pub struct RecordWriter<R: Record> {
    format: StreamFormat,
    sink: Sink,
    colour: bool,
    rows: usize,
    _record: std::marker::PhantomData<fn(&R)>,
}

impl<R: Record> RecordWriter<R> {
    /// A writer to stdout.
    pub fn stdout(format: StreamFormat) -> Self {
        Self::new(
            format,
            Box::new(io::BufWriter::with_capacity(64 * 1024, io::stdout())),
            colour_enabled(),
        )
    }

    pub fn new(format: StreamFormat, out: Box<dyn Write + Send>, colour: bool) -> Self {
        let sink = match format {
            StreamFormat::Csv => Sink::Csv(Box::new(csv::Writer::from_writer(out))),
            _ => Sink::Plain(out),
        };
        Self {
            format,
            sink,
            colour,
            rows: 0,
            _record: std::marker::PhantomData,
        }
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Writes one record (the header first, before the first one).
    pub fn write(&mut self, record: &R) -> Result<(), CliError> {
        if self.rows == 0 {
            self.header()?;
        }
        self.rows += 1;
        match (&mut self.sink, self.format) {
            (Sink::Csv(csv), _) => {
                let cells = record
                    .cells()
                    .into_iter()
                    .zip(R::columns())
                    .map(|(cell, column)| match column.align {
                        Align::Right => cell,
                        Align::Left | Align::Status => defused(&cell),
                    });
                csv.write_record(cells).map_err(csv_error)
            }
            (Sink::Plain(out), StreamFormat::Ndjson) => {
                serde_json::to_writer(&mut *out, record)
                    .map_err(|error| write_error(&io::Error::from(error)))?;
                out.write_all(b"\n").map_err(|e| write_error(&e))
            }
            (Sink::Plain(out), StreamFormat::Json) => {
                let lead: &[u8] = if self.rows == 1 { b"\n  " } else { b",\n  " };
                out.write_all(lead).map_err(|e| write_error(&e))?;
                serde_json::to_writer(&mut *out, record)
                    .map_err(|error| write_error(&io::Error::from(error)))
            }
            (Sink::Plain(out), _) => {
                let line = table_line(R::columns(), &record.cells(), self.colour);
                writeln!(out, "{line}").map_err(|e| write_error(&e))
            }
        }
    }

    fn header(&mut self) -> Result<(), CliError> {
        let names: Vec<String> = R::columns().iter().map(|c| c.name.to_owned()).collect();
        match (&mut self.sink, self.format) {
            (Sink::Csv(csv), _) => csv.write_record(&names).map_err(csv_error),
            (Sink::Plain(out), StreamFormat::Json) => {
                out.write_all(b"[").map_err(|e| write_error(&e))
            }
            (Sink::Plain(_), StreamFormat::Ndjson) => Ok(()),
            (Sink::Plain(out), _) => {
                let line = table_line(R::columns(), &names, false);
                writeln!(out, "{line}").map_err(|e| write_error(&e))
            }
        }
    }

    /// Hands buffered rows to the reader (after each page, so a pipe sees progress).
    pub fn flush(&mut self) -> Result<(), CliError> {
        match &mut self.sink {
            Sink::Csv(csv) => csv.flush().map_err(|e| write_error(&e)),
            Sink::Plain(out) => out.flush().map_err(|e| write_error(&e)),
        }
    }

    /// Ends the output: closes a JSON array (`[]` when empty), prints a table's header even
    /// with no rows, and flushes.
    pub fn finish(mut self) -> Result<(), CliError> {
        if self.rows == 0 && self.format != StreamFormat::Ndjson {
            self.header()?;
        }
        if let (Sink::Plain(out), StreamFormat::Json) = (&mut self.sink, self.format) {
            let end: &[u8] = if self.rows == 0 { b"]\n" } else { b"\n]\n" };
            out.write_all(end).map_err(|e| write_error(&e))?;
        }
        self.flush()
    }
}

/// One table line: each cell padded to its column, numbers right-aligned.
fn table_line(columns: &[Column], cells: &[String], colour: bool) -> String {
    let mut line = String::new();
    for (index, (column, cell)) in columns.iter().zip(cells).enumerate() {
        let last = index + 1 == columns.len();
        let pad = column.width.saturating_sub(cell.chars().count());
        match column.align {
            Align::Right => {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
            Align::Left | Align::Status => {
                if colour && column.align == Align::Status {
                    line.push_str(&coloured_status(cell));
                } else {
                    line.push_str(cell);
                }
                if !last {
                    line.push_str(&" ".repeat(pad));
                }
            }
        }
        if !last {
            line.push_str("  ");
        }
    }
    line
}

/// A status word in the colour that carries its meaning (the word itself stays).
fn coloured_status(word: &str) -> String {
    let code = match word {
        "COMPLETED" | "SUCCESSFUL" | "ACTIVE" => "32",
        "FAILED" | "EXPIRED" | "UNSUCCESSFUL" | "REJECTED" | "NOT_APPLIED" => "31",
        _ => "33",
    };
    format!("\u{1b}[{code}m{word}\u{1b}[0m")
}

/// Writes one serializable value as pretty JSON to stdout.
pub fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)
        .map_err(|error| write_error(&io::Error::from(error)))?;
    out.write_all(b"\n")
        .and_then(|()| out.flush())
        .map_err(|e| write_error(&e))
}

/// Prints records in `format` (one answer, not a stream).
pub fn print_records<R: Record>(format: StreamFormat, records: &[R]) -> Result<(), CliError> {
    let mut writer = RecordWriter::<R>::stdout(format);
    for record in records {
        writer.write(record)?;
    }
    writer.finish()
}

/// One line on stdout.
pub fn print_line(line: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|e| write_error(&e))
}

/// Key-value lines for people, `key  value`, aligned.
pub fn print_pairs(pairs: &[(&str, String)]) -> Result<(), CliError> {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = io::stdout().lock();
    for (key, value) in pairs {
        writeln!(out, "{key:<width$}  {value}").map_err(|e| write_error(&e))?;
    }
    out.flush().map_err(|e| write_error(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Serialize)]
    struct Row {
        id: &'static str,
        amount: &'static str,
    }

    impl Record for Row {
        fn columns() -> &'static [Column] {
            const COLUMNS: &[Column] = &[col("id", 4, Align::Left), col("amount", 8, Align::Right)];
            COLUMNS
        }
        fn cells(&self) -> Vec<String> {
            vec![self.id.into(), self.amount.into()]
        }
    }

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("buffer").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn render(format: StreamFormat, rows: &[Row]) -> String {
        let buffer = Shared::default();
        let mut writer = RecordWriter::<Row>::new(format, Box::new(buffer.clone()), false);
        for row in rows {
            writer.write(row).expect("write");
        }
        writer.finish().expect("finish");
        let bytes = buffer.0.lock().expect("buffer").clone();
        String::from_utf8(bytes).expect("utf-8")
    }

    #[test]
    fn every_format_writes_the_rows() {
        let rows = [
            Row {
                id: "a",
                amount: "1.50",
            },
            Row {
                id: "=b",
                amount: "-2",
            },
        ];
        assert_eq!(
            render(StreamFormat::Table, &rows),
            "id      amount\na         1.50\n=b          -2\n"
        );
        assert_eq!(
            render(StreamFormat::Csv, &rows),
            "id,amount\na,1.50\n'=b,-2\n"
        );
        assert_eq!(
            render(StreamFormat::Ndjson, &rows),
            "{\"id\":\"a\",\"amount\":\"1.50\"}\n{\"id\":\"=b\",\"amount\":\"-2\"}\n"
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(StreamFormat::Json, &rows)).expect("valid JSON");
        assert_eq!(json[1]["id"], "=b");
        assert_eq!(render(StreamFormat::Json, &[]), "[]\n");
        assert_eq!(render(StreamFormat::Csv, &[]), "id,amount\n");
    }
}
