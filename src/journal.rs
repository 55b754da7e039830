//! The append-only audit journal of money-moving actions (JSONL in the data dir).
//!
//! Every step is written and fsynced before the request it describes is sent, and again with
//! its outcome, so a crash or restart never loses an action that may have moved money: on start
//! the journal is replayed and every intent still pending or unknown is watched again.
//!
//! A failed append (a full disk) is cut back to the last whole line before anything else is
//! written, so a damaged line loses only itself; an `accepted` line repeats its attempt, so it
//! resumes even without its intent line. The file is locked while a desk has it open: a second
//! desk gets [`JournalLocked`] (and the pid from the lock file next to it), while readers such
//! as `p100-desk journal` still read it.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub mod archive;
mod wire;

/// One line of the journal. Written by the derived form; read through [`wire::Line`] (the same
/// format, read in one pass).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "wire::Line")]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub profile: String,
    pub environment: String,
    /// Our id for the attempt; every line about it carries the same one.
    pub intent: String,
    #[serde(flatten)]
    pub event: Event,
}

/// Every [`Event`] that opens no attempt, as one pattern. A `match` that reads an intent's
/// terms names the intent variants and this, with no wildcard: a new variant is then an error
/// at each such match until it is placed, here or among the intents, once.
macro_rules! non_intent_events {
    () => {
        $crate::journal::Event::Accepted { .. }
            | $crate::journal::Event::Rejected { .. }
            | $crate::journal::Event::Unknown { .. }
            | $crate::journal::Event::Reconciled { .. }
            | $crate::journal::Event::Final { .. }
            | $crate::journal::Event::Resolved { .. }
            | $crate::journal::Event::Check { .. }
            | $crate::journal::Event::Approval { .. }
            | $crate::journal::Event::LockRefused { .. }
    };
}
pub(crate) use non_intent_events;

/// What happened. Amounts and rates are written as decimal strings, exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// About to send `POST /v1/partner/exchange` (written before sending).
    ExchangeIntent {
        from: String,
        to: String,
        amount: Decimal,
        amount_to: Decimal,
        rate: Decimal,
        lock_id: String,
    },
    /// About to send `POST /v1/order` (written before sending).
    OrderIntent {
        currency: String,
        network: String,
        fiat_amount: Decimal,
        fiat_currency: String,
        crypto_amount: Decimal,
        rate: Decimal,
        lock_id: String,
    },
    /// 2xx: queued, with the id to watch. `attempt` repeats what was sent, so the attempt is
    /// resumed from this line alone when its intent line is damaged (older lines lack it).
    Accepted {
        remote_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attempt: Option<Attempt>,
    },
    /// A clear rejection: nothing was queued.
    Rejected { reason: String },
    /// The request may or may not have been applied.
    Unknown { reason: String },
    /// Reconciliation found the attempt under this id (or established it was never applied).
    Reconciled {
        remote_id: Option<String>,
        note: String,
    },
    /// The API reported a final status.
    Final {
        status: String,
        reason: Option<String>,
    },
    /// A user resolved an ambiguous reconciliation: applied as `remote_id`, or not applied.
    Resolved {
        remote_id: Option<String>,
        /// The OS user who decided.
        by: String,
        note: String,
    },
    /// Written only to learn whether a journal that failed a write can be written again; it
    /// belongs to no attempt and replay skips it.
    Check { note: String },
    /// A four-eyes approval given from this desk (team relay): `step` is `sending` (written
    /// before the POST), `approved` or `refused: why`. Not an attempt: replay passes over it.
    Approval {
        proposal: i64,
        proposer: String,
        terms: String,
        step: String,
    },
    /// A rate lock the lock check refused (`lock_check`): nothing was sent on it. Not an
    /// attempt, so replay passes over it; `kind` is `exchange` or `order`.
    LockRefused {
        kind: String,
        lock_id: String,
        reason: String,
    },
}

/// The terms of an intent line in the same columns for every kind: what `p100-desk journal
/// --summary` and the CSV export show of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntentTerms<'a> {
    /// The line's `event` name (`exchange_intent`, `order_intent`).
    pub event: &'static str,
    /// `exchange` or `order`.
    pub kind: &'static str,
    /// Exchange: the amount sold; order: the crypto the payer sends.
    pub amount: Decimal,
    pub currency: &'a str,
    /// Exchange: the amount received; order: the fiat it settles.
    pub amount_to: Decimal,
    pub currency_to: &'a str,
    /// Orders only.
    pub network: Option<&'a str>,
    pub rate: Decimal,
    pub lock_id: &'a str,
}

impl Event {
    /// The terms of an intent line (`None` for every other line): the one place that reads
    /// the kinds' intent events as columns.
    pub fn terms(&self) -> Option<IntentTerms<'_>> {
        match self {
            Event::ExchangeIntent {
                from,
                to,
                amount,
                amount_to,
                rate,
                lock_id,
            } => Some(IntentTerms {
                event: "exchange_intent",
                kind: "exchange",
                amount: *amount,
                currency: from,
                amount_to: *amount_to,
                currency_to: to,
                network: None,
                rate: *rate,
                lock_id,
            }),
            Event::OrderIntent {
                currency,
                network,
                fiat_amount,
                fiat_currency,
                crypto_amount,
                rate,
                lock_id,
            } => Some(IntentTerms {
                event: "order_intent",
                kind: "order",
                amount: *crypto_amount,
                currency,
                amount_to: *fiat_amount,
                currency_to: fiat_currency,
                network: Some(network),
                rate: *rate,
                lock_id,
            }),
            non_intent_events!() => None,
        }
    }

    /// Whether this line opens an attempt (an intent line, of any kind).
    pub fn is_intent(&self) -> bool {
        self.terms().is_some()
    }
}

/// What an attempt sent, repeated on its `accepted` line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Attempt {
    Exchange {
        from: String,
        to: String,
        amount: Decimal,
        amount_to: Decimal,
        rate: Decimal,
    },
    Order {
        currency: String,
        network: String,
        fiat_amount: Decimal,
        fiat_currency: String,
        crypto_amount: Decimal,
        rate: Decimal,
    },
}

impl Attempt {
    /// The attempt an intent line describes (`None` for other lines).
    pub fn of_intent(event: &Event) -> Option<Self> {
        match event {
            Event::ExchangeIntent {
                from,
                to,
                amount,
                amount_to,
                rate,
                ..
            } => Some(Self::Exchange {
                from: from.clone(),
                to: to.clone(),
                amount: *amount,
                amount_to: *amount_to,
                rate: *rate,
            }),
            Event::OrderIntent {
                currency,
                network,
                fiat_amount,
                fiat_currency,
                crypto_amount,
                rate,
                ..
            } => Some(Self::Order {
                currency: currency.clone(),
                network: network.clone(),
                fiat_amount: *fiat_amount,
                fiat_currency: fiat_currency.clone(),
                crypto_amount: *crypto_amount,
                rate: *rate,
            }),
            non_intent_events!() => None,
        }
    }

    /// An intent line rebuilt from an `accepted` line whose own intent line was lost; the
    /// lock id is not known any more and says so.
    fn as_intent(&self) -> Event {
        let lock_id = LOST_LOCK_ID.to_string();
        match self.clone() {
            Self::Exchange {
                from,
                to,
                amount,
                amount_to,
                rate,
            } => Event::ExchangeIntent {
                from,
                to,
                amount,
                amount_to,
                rate,
                lock_id,
            },
            Self::Order {
                currency,
                network,
                fiat_amount,
                fiat_currency,
                crypto_amount,
                rate,
            } => Event::OrderIntent {
                currency,
                network,
                fiat_amount,
                fiat_currency,
                crypto_amount,
                rate,
                lock_id,
            },
        }
    }
}

/// The lock id of an intent rebuilt from its `accepted` line.
pub const LOST_LOCK_ID: &str = "(intent line lost)";

/// Where an intent stands after replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Intent written, no outcome: the process died around the request. Treat as unknown.
    Unanswered,
    Pending,
    Unknown,
    Finished,
}

/// An intent and everything known about it, folded from its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentRecord {
    pub intent: String,
    pub opened: Entry,
    pub remote_id: Option<String>,
    pub standing: Standing,
    pub last_at: DateTime<Utc>,
    /// What replay had to work around for this intent (shown in the row's detail).
    pub notes: Vec<String>,
}

/// The result of reading a journal back.
#[derive(Debug, Default)]
pub struct Replay {
    pub records: Vec<IntentRecord>,
    /// Lines that could not be read (a torn last line after a crash, or damage), by number.
    pub damaged_lines: Vec<usize>,
}

impl Replay {
    /// Intents still in flight: to be watched (or reconciled) again.
    pub fn open_intents(&self) -> impl Iterator<Item = &IntentRecord> {
        self.records
            .iter()
            .filter(|record| record.standing != Standing::Finished)
    }
}

/// Where journal lines go: the file in production, a fault-injecting store in tests (a disk
/// that fills up). Appends always go to the end.
pub trait JournalStore: Send + fmt::Debug {
    /// Appends all of `bytes`, or fails (possibly after writing part of them).
    fn append_bytes(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Waits until what was written is on disk.
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the store back to `len` bytes.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
    /// The current length in bytes.
    fn size(&mut self) -> io::Result<u64>;
}

impl JournalStore for File {
    fn append_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        Write::write_all(self, bytes)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }

    fn size(&mut self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }
}

/// Another desk holds the journal: the error inside `io::Error` (kind `WouldBlock`) that
/// [`Journal::open`] returns then, with the other process id when its lock file names one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", match .pid {
    Some(pid) => format!("the journal is in use by another desk (process {pid})"),
    None => "the journal is in use by another desk".to_string(),
})]
pub struct JournalLocked {
    pub pid: Option<u32>,
}

impl JournalLocked {
    /// The `JournalLocked` inside an error from [`Journal::open`], if that is what it was.
    pub fn of(error: &io::Error) -> Option<&Self> {
        error.get_ref()?.downcast_ref::<Self>()
    }
}

/// How long opening waits for a lock that is being released (a desk that just quit).
const LOCK_PATIENCE: Duration = Duration::from_secs(1);

/// The lock file next to a journal, holding the pid of the desk that has it open.
pub fn lock_file_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(OsString::from).unwrap_or_default();
    name.push(".lock");
    path.with_file_name(name)
}

/// The exclusive lock on a journal (released when dropped).
#[derive(Debug)]
struct JournalLock {
    /// Holds the OS lock while open.
    file: File,
    pid_file: PathBuf,
}

impl Drop for JournalLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.pid_file);
    }
}

impl JournalLock {
    /// Locks `path` exclusively (an OS lock, gone with the process), waiting briefly for a
    /// desk that is just closing it, and writes this process id into the lock file.
    ///
    /// The lock is on the journal file itself, and compaction replaces that file (a rename,
    /// with the new file locked first): a desk that got its lock on the file just replaced
    /// holds a file no one reads, so it checks that what it locked is still the journal at
    /// `path`, and tries again on the new one if not.
    fn acquire(path: &Path) -> io::Result<Self> {
        let deadline = std::time::Instant::now() + LOCK_PATIENCE;
        let mut file = open_for_lock(path)?;
        loop {
            // fs4's flock/LockFileEx (std's `File::try_lock` needs Rust 1.89).
            match fs4::FileExt::try_lock(&file) {
                Ok(()) if is_at(&file, path)? => break,
                Ok(()) => file = open_for_lock(path)?,
                Err(fs4::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(fs4::TryLockError::WouldBlock) => {
                    let pid = std::fs::read_to_string(lock_file_path(path))
                        .ok()
                        .and_then(|text| text.trim().parse().ok());
                    return Err(io::Error::new(
                        io::ErrorKind::WouldBlock,
                        JournalLocked { pid },
                    ));
                }
                Err(fs4::TryLockError::Error(error)) => return Err(error),
            }
        }
        let pid_file = lock_file_path(path);
        std::fs::write(&pid_file, format!("{}\n", std::process::id()))?;
        Ok(Self { file, pid_file })
    }
}

/// The journal opened for appending (created private to this user).
fn journal_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true).read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

fn open_for_lock(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
}

/// Whether `file` is the file now at `path` (not one a compaction has renamed over).
#[cfg(unix)]
fn is_at(file: &File, path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt as _;
    let (held, current) = (file.metadata()?, std::fs::metadata(path));
    Ok(current.is_ok_and(|current| current.dev() == held.dev() && current.ino() == held.ino()))
}

/// Compaction (the only thing that replaces the file) is Unix-only, so the file at `path` is
/// the one opened.
#[cfg(not(unix))]
#[allow(clippy::unnecessary_wraps)]
fn is_at(_file: &File, _path: &Path) -> io::Result<bool> {
    Ok(true)
}

/// An open journal, appended to and synced line by line, locked against a second desk.
///
/// A failed append (a full disk) may leave part of a line behind: the journal is then cut
/// back to its last whole line and synced before anything else is written, so the next line
/// never glues onto a torn one.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    store: Box<dyn JournalStore>,
    /// The length up to the end of the last whole line.
    whole_len: u64,
    /// A failed append left the store past `whole_len` (or its repair failed).
    needs_repair: bool,
    /// Opened on the real file (not a test's store): only then can it be compacted.
    file_backed: bool,
    /// A compaction replaced the file but could not reopen it: every append is refused until
    /// the desk restarts (`journal/archive.rs`).
    refuses_appends: bool,
    lock: JournalLock,
}

impl Journal {
    /// Opens (creating if needed) the journal at `path`, with its parent directory, and locks
    /// it: a second desk on the same journal gets an error holding [`JournalLocked`].
    pub fn open(path: &Path) -> io::Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let lock = JournalLock::acquire(path)?;
        let mut file = journal_file(path)?;
        end_torn_line(&mut file)?;
        let mut journal = Self::with_lock(path, Box::new(file), lock)?;
        journal.file_backed = true;
        Ok(journal)
    }

    /// A journal writing through `store` (tests: a disk that fills), locked like [`open`].
    ///
    /// [`open`]: Self::open
    pub fn with_store(path: &Path, store: Box<dyn JournalStore>) -> io::Result<Self> {
        let lock = JournalLock::acquire(path)?;
        Self::with_lock(path, store, lock)
    }

    fn with_lock(
        path: &Path,
        mut store: Box<dyn JournalStore>,
        lock: JournalLock,
    ) -> io::Result<Self> {
        let whole_len = store.size()?;
        Ok(Self {
            path: path.to_path_buf(),
            store,
            whole_len,
            needs_repair: false,
            file_backed: false,
            refuses_appends: false,
            lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether every append is refused for the rest of this process (a compaction replaced the
    /// file and could not reopen it): the desk must not offer to trade on it.
    pub fn refuses_appends(&self) -> bool {
        self.refuses_appends
    }

    /// Appends one entry and waits until it is on disk (fsync). After a failure the journal
    /// is repaired first; if that fails too, nothing is written and the error is returned.
    pub fn append(&mut self, entry: &Entry) -> io::Result<()> {
        if self.needs_repair {
            self.repair()?;
        }
        let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
        line.push(b'\n');
        let written = self
            .store
            .append_bytes(&line)
            .and_then(|()| self.store.sync());
        match written {
            Ok(()) => {
                self.whole_len += line.len() as u64;
                Ok(())
            }
            Err(error) => {
                // Part of the line may be on disk, or all of it unsynced: either way it does
                // not count. Cut it off now (and again before the next append if this fails).
                self.needs_repair = true;
                if let Err(repair) = self.repair() {
                    tracing::error!(%repair, "journal repair after a failed append failed");
                }
                Err(error)
            }
        }
    }

    /// Cuts the journal back to its last whole line and syncs it.
    fn repair(&mut self) -> io::Result<()> {
        self.store.truncate(self.whole_len)?;
        self.store.sync()?;
        self.needs_repair = false;
        Ok(())
    }
}

/// A crash mid-write can leave a last line without its newline. Appending straight onto it
/// would glue the next entry to the torn one and lose both; end the torn line first, so only
/// it is reported damaged on replay.
fn end_torn_line(file: &mut File) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(());
    }
    let mut reader = file.try_clone()?;
    reader.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    reader.read_exact(&mut last)?;
    if last[0] != b'\n' {
        file.write_all(b"\n")?;
        file.sync_data()?;
    }
    Ok(())
}

/// Reads a journal file; a missing file is an empty journal.
pub fn replay_file(path: &Path) -> io::Result<Replay> {
    match File::open(path) {
        Ok(file) => replay(BufReader::with_capacity(1 << 16, file)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Replay::default()),
        Err(error) => Err(error),
    }
}

/// Calls `each` with every non-blank line of `reader` (without its newline) and its number
/// from 1, reading into one buffer: a line costs no allocation of its own.
pub(crate) fn each_line(
    mut reader: impl BufRead,
    mut each: impl FnMut(usize, &[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut line = Vec::with_capacity(512);
    let mut number = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        number += 1;
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        each(number, text)?;
    }
}

/// What an intent's lines fold into: the desk's [`IntentRecord`] (replay) and the
/// `p100-desk journal --summary` row both fold through [`Folder`], so lines are grouped into
/// intents by one set of rules.
pub trait Fold: Sized {
    /// The state an intent line opens (`None`: this fold cannot use it; the line counts as an
    /// orphan). `recovered_from` is the line number of the `accepted` line an intent line was
    /// rebuilt from, when its own intent line could not be read.
    fn open(entry: Entry, recovered_from: Option<usize>) -> Option<Self>;
    /// A later line about the same intent.
    fn apply(&mut self, entry: &Entry);
}

/// Groups journal lines into intents, in the order intents were opened.
#[derive(Debug)]
pub struct Folder<T> {
    pub intents: Vec<T>,
    index: HashMap<String, usize>,
    /// Lines about an intent with no intent line (and no accepted line repeating it).
    pub orphans: Vec<usize>,
}

impl<T> Default for Folder<T> {
    fn default() -> Self {
        Self {
            intents: Vec::new(),
            index: HashMap::new(),
            orphans: Vec::new(),
        }
    }
}

impl<T: Fold> Folder<T> {
    /// Folds line `number` in. A write check and a refused lock belong to no attempt: passed over.
    pub fn push(&mut self, entry: Entry, number: usize) {
        match &entry.event {
            event if event.is_intent() => {
                let intent = entry.intent.clone();
                match T::open(entry, None) {
                    Some(opened) => {
                        self.index.insert(intent, self.intents.len());
                        self.intents.push(opened);
                    }
                    None => self.orphans.push(number),
                }
            }
            // Neither belongs to an attempt: a write check, a lock refused before sending, and an
            // approval given on the Approvals view (it moves no money from this desk).
            Event::Check { .. } | Event::LockRefused { .. } | Event::Approval { .. } => {}
            event => {
                if let Some(&position) = self.index.get(&entry.intent) {
                    self.intents[position].apply(&entry);
                } else if let Event::Accepted {
                    attempt: Some(attempt),
                    ..
                } = event
                {
                    // The intent line is gone (damaged): an accepted line that repeats the
                    // attempt is enough to watch it again; anything else loses only itself.
                    let opened = Entry {
                        event: attempt.as_intent(),
                        ..entry.clone()
                    };
                    let Some(mut record) = T::open(opened, Some(number)) else {
                        self.orphans.push(number);
                        return;
                    };
                    record.apply(&entry);
                    self.index.insert(entry.intent, self.intents.len());
                    self.intents.push(record);
                } else {
                    self.orphans.push(number);
                }
            }
        }
    }
}

impl Fold for IntentRecord {
    fn open(entry: Entry, recovered_from: Option<usize>) -> Option<Self> {
        let notes = recovered_from
            .map(|number| {
                format!(
                    "journal line {number}: its intent line could not be read; resumed from \
                     its accepted line (lock id unknown)"
                )
            })
            .into_iter()
            .collect();
        Some(Self {
            intent: entry.intent.clone(),
            remote_id: None,
            standing: Standing::Unanswered,
            last_at: entry.at,
            opened: entry,
            notes,
        })
    }

    fn apply(&mut self, entry: &Entry) {
        self.last_at = entry.at;
        match &entry.event {
            Event::Accepted { remote_id, .. } => {
                self.remote_id = Some(remote_id.clone());
                self.standing = Standing::Pending;
            }
            Event::Rejected { .. } | Event::Final { .. } => self.standing = Standing::Finished,
            Event::Unknown { .. } => self.standing = Standing::Unknown,
            Event::Reconciled { remote_id, .. } | Event::Resolved { remote_id, .. } => {
                match remote_id {
                    Some(id) => {
                        self.remote_id = Some(id.clone());
                        self.standing = Standing::Pending;
                    }
                    None => self.standing = Standing::Finished,
                }
            }
            // A second intent line under the same id, and lines that belong to no attempt; each
            // named so that a new event kind cannot be passed over silently.
            Event::ExchangeIntent { .. }
            | Event::OrderIntent { .. }
            | Event::Check { .. }
            | Event::Approval { .. }
            | Event::LockRefused { .. } => {}
        }
    }
}

/// Folds journal lines into one record per intent, in the order intents were opened. Lines
/// are read one at a time into one buffer; only what each intent keeps is allocated.
pub fn replay(reader: impl BufRead) -> io::Result<Replay> {
    let mut fold = ReplayFold::default();
    each_line(reader, |number, line| {
        fold.line(number, serde_json::from_slice::<Entry>(line).ok());
        Ok(())
    })?;
    Ok(fold.finish())
}

/// A [`Replay`] built one line at a time: the start-up replay, and a compaction that folds
/// the lines it keeps while it rewrites the journal (so the rewritten file is not read again).
#[derive(Default)]
pub(crate) struct ReplayFold {
    folder: Folder<IntentRecord>,
    damaged: Vec<usize>,
}

impl ReplayFold {
    /// Line `number`, as read (`None`: it could not be read).
    pub(crate) fn line(&mut self, number: usize, entry: Option<Entry>) {
        match entry {
            Some(entry) => self.folder.push(entry, number),
            None => self.damaged.push(number),
        }
    }

    pub(crate) fn finish(self) -> Replay {
        let mut damaged = self.damaged;
        damaged.extend(self.folder.orphans);
        damaged.sort_unstable();
        Replay {
            records: self.folder.intents,
            damaged_lines: damaged,
        }
    }
}

/// The columns of the CSV export that depend on the event. Amounts and rates are numbers
/// only, each with its currency in a column of its own.
#[derive(Default)]
struct CsvRow {
    event: &'static str,
    /// `exchange` or `order` (intents and refused locks).
    kind: String,
    /// Exchange: the amount sold; order: the crypto the payer sends.
    amount: String,
    currency: String,
    /// Exchange: the amount received; order: the fiat it settles.
    amount_to: String,
    currency_to: String,
    network: String,
    rate: String,
    lock_id: String,
    remote_id: String,
    status: String,
    /// Who resolved an ambiguous reconciliation.
    by: String,
    reason: String,
}

/// The journal CSV's header, in column order.
pub const CSV_HEADER: &str = "at,profile,environment,intent,event,kind,amount,currency,amount_to,\
currency_to,network,rate,lock_id,remote_id,status,by,reason";

impl CsvRow {
    /// An intent line's row: its terms, the same columns for every kind.
    fn of_terms(terms: IntentTerms<'_>) -> Self {
        Self {
            event: terms.event,
            kind: terms.kind.into(),
            amount: terms.amount.to_string(),
            currency: terms.currency.to_owned(),
            amount_to: terms.amount_to.to_string(),
            currency_to: terms.currency_to.to_owned(),
            network: terms.network.unwrap_or_default().to_owned(),
            rate: terms.rate.to_string(),
            lock_id: terms.lock_id.to_owned(),
            ..Self::default()
        }
    }

    fn of(event: &Event) -> Self {
        match event {
            Event::Accepted { remote_id, .. } => Self {
                event: "accepted",
                remote_id: remote_id.clone(),
                ..Self::default()
            },
            Event::Resolved {
                remote_id,
                by,
                note,
            } => Self {
                event: "resolved",
                remote_id: remote_id.clone().unwrap_or_default(),
                by: by.clone(),
                reason: note.clone(),
                ..Self::default()
            },
            Event::Check { note } => Self {
                event: "check",
                reason: note.clone(),
                ..Self::default()
            },
            Event::Approval {
                proposal,
                proposer,
                terms,
                step,
            } => Self {
                event: "approval",
                remote_id: format!("proposal #{proposal}"),
                status: step.clone(),
                reason: format!("{terms}, proposed by {proposer}"),
                ..Self::default()
            },
            Event::Rejected { reason } => Self {
                event: "rejected",
                reason: reason.clone(),
                ..Self::default()
            },
            Event::Unknown { reason } => Self {
                event: "unknown",
                reason: reason.clone(),
                ..Self::default()
            },
            Event::Reconciled { remote_id, note } => Self {
                event: "reconciled",
                remote_id: remote_id.clone().unwrap_or_default(),
                reason: note.clone(),
                ..Self::default()
            },
            Event::LockRefused {
                kind,
                lock_id,
                reason,
            } => Self {
                event: "lock_refused",
                kind: kind.clone(),
                lock_id: lock_id.clone(),
                reason: reason.clone(),
                ..Self::default()
            },
            Event::Final { status, reason } => Self {
                event: "final",
                status: status.clone(),
                reason: reason.clone().unwrap_or_default(),
                ..Self::default()
            },
            // The intent lines, of every kind.
            other => other.terms().map(Self::of_terms).unwrap_or_default(),
        }
    }
}

/// The journal as CSV for export: one row per line, money as exact decimal strings in numeric
/// columns, text made printable and defused ([`crate::cli::text::defused`]).
pub fn to_csv(entries: &[Entry]) -> String {
    let mut out = String::with_capacity(CSV_HEADER.len() + 1 + entries.len() * 160);
    out.push_str(CSV_HEADER);
    out.push('\n');
    for entry in entries {
        let row = CsvRow::of(&entry.event);
        let fields = [
            entry.at.to_rfc3339().as_str(),
            &entry.profile,
            &entry.environment,
            &entry.intent,
            row.event,
            &row.kind,
            &row.amount,
            &row.currency,
            &row.amount_to,
            &row.currency_to,
            &row.network,
            &row.rate,
            &row.lock_id,
            &row.remote_id,
            &row.status,
            &row.by,
            &row.reason,
        ]
        .map(csv_field);
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// One readable line for `p100-desk journal`.
pub fn describe(entry: &Entry) -> String {
    let what = match &entry.event {
        Event::Accepted { remote_id, .. } => format!("accepted as {remote_id}"),
        Event::Resolved {
            remote_id: Some(id),
            by,
            ..
        } => format!("resolved by {by}: applied as {id}"),
        Event::Resolved {
            remote_id: None,
            by,
            ..
        } => format!("resolved by {by}: not applied"),
        Event::Check { note } => format!("journal check: {note}"),
        Event::Approval {
            proposal,
            proposer,
            terms,
            step,
        } => format!("approval of proposal #{proposal} ({terms}, by {proposer}): {step}"),
        Event::Rejected { reason } => format!("rejected: {reason}"),
        Event::Unknown { reason } => format!("outcome unknown: {reason}"),
        Event::Reconciled {
            remote_id: Some(id),
            note,
        } => format!("reconciled as {id}: {note}"),
        Event::Reconciled {
            remote_id: None,
            note,
        } => format!("reconciled: {note}"),
        Event::Final {
            status,
            reason: Some(reason),
        } => format!("final {status}: {reason}"),
        Event::Final {
            status,
            reason: None,
        } => format!("final {status}"),
        Event::LockRefused {
            kind,
            lock_id,
            reason,
        } => format!("{kind} lock {lock_id} refused, nothing sent: {reason}"),
        // The intent lines, of every kind.
        intent => intent.terms().map_or_else(String::new, describe_terms),
    };
    // Journal text holds what the server sent (ids, reasons): printable before it is printed.
    crate::printable::printable_owned(format!(
        "{}  {}/{}  {}  {what}",
        entry.at.format("%Y-%m-%d %H:%M:%S%.3fZ"),
        entry.profile,
        entry.environment,
        entry.intent
    ))
}

/// An intent's terms in words: a swap as "sold -> received", a payment on a network as "settled
/// for what is paid on it".
fn describe_terms(terms: IntentTerms<'_>) -> String {
    let IntentTerms {
        kind,
        amount,
        amount_to,
        rate,
        lock_id,
        ..
    } = terms;
    let (currency, currency_to) = (
        terms.currency.to_uppercase(),
        terms.currency_to.to_uppercase(),
    );
    match terms.network {
        None => format!(
            "{kind} intent {amount} {currency} -> {amount_to} {currency_to} at {rate} (lock {lock_id})"
        ),
        Some(network) => format!(
            "{kind} intent {amount_to} {currency_to} for {amount} {currency} on {network} at {rate} (lock {lock_id})"
        ),
    }
}

/// A CSV field: printable, defused against spreadsheet formulas, quoted when needed.
fn csv_field(raw: &str) -> String {
    let defused = crate::cli::text::defused(raw);
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// Every readable entry of a journal file (oldest first), with the numbers of the lines that
/// could not be read; a missing file has none.
pub fn read_entries(path: &Path) -> io::Result<(Vec<Entry>, Vec<usize>)> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Ok((Vec::new(), Vec::new()));
        }
        Err(error) => return Err(error),
    };
    read_lines(BufReader::with_capacity(1 << 16, file))
}

/// Every readable entry in `reader`, with the numbers of the lines that could not be read.
pub fn read_lines(reader: impl BufRead) -> io::Result<(Vec<Entry>, Vec<usize>)> {
    let mut entries = Vec::new();
    let mut damaged = Vec::new();
    each_line(reader, |number, line| {
        match serde_json::from_slice::<Entry>(line) {
            Ok(entry) => entries.push(entry),
            Err(_) => damaged.push(number),
        }
        Ok(())
    })?;
    Ok((entries, damaged))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn entry(intent: &str, event: Event) -> Entry {
        Entry {
            at: DateTime::parse_from_rfc3339("2026-02-13T11:30:00Z")
                .expect("time")
                .with_timezone(&Utc),
            profile: "main".into(),
            environment: "sandbox".into(),
            intent: intent.into(),
            event,
        }
    }

    fn exchange_intent(intent: &str) -> Entry {
        entry(
            intent,
            Event::ExchangeIntent {
                from: "eth".into(),
                to: "eur".into(),
                amount: Decimal::from_str("1.5").expect("dec"),
                amount_to: Decimal::from_str("3750.18").expect("dec"),
                rate: Decimal::from_str("2500.12").expect("dec"),
                lock_id: "lock-1".into(),
            },
        )
    }

    #[test]
    fn replay_folds_each_intent_to_where_it_stands() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("journal.jsonl");
        let mut journal = Journal::open(&path).expect("open");
        for line in [
            exchange_intent("a"),
            entry(
                "a",
                Event::Accepted {
                    remote_id: "x1".into(),
                    attempt: None,
                },
            ),
            exchange_intent("b"),
            entry(
                "b",
                Event::Unknown {
                    reason: "timed out".into(),
                },
            ),
            exchange_intent("c"),
            exchange_intent("d"),
            entry(
                "d",
                Event::Rejected {
                    reason: "P433".into(),
                },
            ),
            exchange_intent("e"),
            entry(
                "e",
                Event::Accepted {
                    remote_id: "x5".into(),
                    attempt: None,
                },
            ),
            entry(
                "e",
                Event::Final {
                    status: "COMPLETED".into(),
                    reason: None,
                },
            ),
        ] {
            journal.append(&line).expect("append");
        }
        let replay = replay_file(&path).expect("replay");
        let standings: Vec<(&str, &Standing, Option<&str>)> = replay
            .records
            .iter()
            .map(|r| (r.intent.as_str(), &r.standing, r.remote_id.as_deref()))
            .collect();
        assert_eq!(
            standings,
            vec![
                ("a", &Standing::Pending, Some("x1")),
                ("b", &Standing::Unknown, None),
                ("c", &Standing::Unanswered, None),
                ("d", &Standing::Finished, None),
                ("e", &Standing::Finished, Some("x5")),
            ]
        );
        assert_eq!(replay.open_intents().count(), 3);
        assert!(replay.damaged_lines.is_empty());
    }

    #[test]
    fn a_torn_last_line_is_reported_not_fatal() {
        let mut text = serde_json::to_string(&exchange_intent("a")).expect("json");
        text.push('\n');
        let accepted = serde_json::to_string(&entry(
            "a",
            Event::Accepted {
                remote_id: "x1".into(),
                attempt: None,
            },
        ))
        .expect("json");
        text.push_str(&accepted[..accepted.len() / 2]);
        let replay = replay(text.as_bytes()).expect("replay");
        assert_eq!(replay.damaged_lines, vec![2]);
        assert_eq!(replay.records[0].standing, Standing::Unanswered);
    }

    #[test]
    fn amounts_are_written_exactly_and_no_line_is_lost_on_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested").join("journal.jsonl");
        Journal::open(&path)
            .expect("open")
            .append(&exchange_intent("a"))
            .expect("append");
        Journal::open(&path)
            .expect("reopen")
            .append(&entry(
                "a",
                Event::Accepted {
                    remote_id: "x".into(),
                    attempt: None,
                },
            ))
            .expect("append");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(r#""amount":"1.5""#), "{text}");
        assert_eq!(text.lines().count(), 2);
        let (entries, damaged) = read_entries(&path).expect("entries");
        assert_eq!(entries.len(), 2);
        assert!(damaged.is_empty());
    }

    #[test]
    fn csv_export_quotes_and_defuses() {
        let csv = to_csv(&[
            exchange_intent("a"),
            entry(
                "a",
                Event::Rejected {
                    reason: "=HYPERLINK(\"x\"), bad".into(),
                },
            ),
        ]);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], CSV_HEADER);
        assert!(
            lines[1].contains("exchange_intent,exchange,1.5,eth,3750.18,eur,,2500.12,lock-1"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].ends_with(r#""'=HYPERLINK(""x""), bad""#),
            "{}",
            lines[2]
        );
    }

    /// Lines exactly as earlier versions wrote them (one intent of each kind, then their
    /// outcomes): they still replay, and read as the same terms, CSV rows and summary rows.
    #[test]
    fn old_intent_lines_of_both_kinds_still_replay_and_read_as_terms() {
        let old = concat!(
            r#"{"at":"2026-02-13T11:00:00Z","profile":"main","environment":"stage","intent":"ex-1","event":"exchange_intent","from":"usdc","to":"eur","amount":"100","amount_to":"90.00","rate":"0.9","lock_id":"lk-e"}"#,
            "\n",
            r#"{"at":"2026-02-13T11:00:01Z","profile":"main","environment":"stage","intent":"or-2","event":"order_intent","currency":"usdc","network":"polygon","fiat_amount":"346.59","fiat_currency":"eur","crypto_amount":"412.607142","rate":"0.84","lock_id":"lk-o"}"#,
            "\n",
            r#"{"at":"2026-02-13T11:00:02Z","profile":"main","environment":"stage","intent":"ex-1","event":"accepted","remote_id":"x-1"}"#,
            "\n",
            r#"{"at":"2026-02-13T11:00:03Z","profile":"main","environment":"stage","intent":"or-2","event":"unknown","reason":"timed out"}"#,
            "\n",
        );
        let replayed = replay(old.as_bytes()).expect("replay");
        assert!(replayed.damaged_lines.is_empty());
        let standings: Vec<(&str, &Standing)> = replayed
            .records
            .iter()
            .map(|record| (record.intent.as_str(), &record.standing))
            .collect();
        assert_eq!(
            standings,
            vec![("ex-1", &Standing::Pending), ("or-2", &Standing::Unknown)]
        );
        let (entries, damaged) = read_lines(old.as_bytes()).expect("read");
        assert!(damaged.is_empty());
        let terms: Vec<IntentTerms<'_>> = entries.iter().filter_map(|e| e.event.terms()).collect();
        assert_eq!(
            terms,
            vec![
                IntentTerms {
                    event: "exchange_intent",
                    kind: "exchange",
                    amount: Decimal::new(100, 0),
                    currency: "usdc",
                    amount_to: Decimal::new(9000, 2),
                    currency_to: "eur",
                    network: None,
                    rate: Decimal::new(9, 1),
                    lock_id: "lk-e",
                },
                IntentTerms {
                    event: "order_intent",
                    kind: "order",
                    amount: Decimal::new(412_607_142, 6),
                    currency: "usdc",
                    amount_to: Decimal::new(34659, 2),
                    currency_to: "eur",
                    network: Some("polygon"),
                    rate: Decimal::new(84, 2),
                    lock_id: "lk-o",
                },
            ]
        );
        assert!(
            describe(&entries[0])
                .ends_with("ex-1  exchange intent 100 USDC -> 90.00 EUR at 0.9 (lock lk-e)"),
            "{}",
            describe(&entries[0])
        );
        assert!(
            describe(&entries[1]).ends_with(
                "or-2  order intent 346.59 EUR for 412.607142 USDC on polygon at 0.84 (lock lk-o)"
            ),
            "{}",
            describe(&entries[1])
        );
        let csv = to_csv(&entries);
        let rows: Vec<&str> = csv.lines().collect();
        assert!(
            rows[1].ends_with("ex-1,exchange_intent,exchange,100,usdc,90.00,eur,,0.9,lk-e,,,,"),
            "{}",
            rows[1]
        );
        assert!(
            rows[2].ends_with(
                "or-2,order_intent,order,412.607142,usdc,346.59,eur,polygon,0.84,lk-o,,,,"
            ),
            "{}",
            rows[2]
        );
    }
}
