//! Compaction: intents that are over (a final status, a rejection, or proven never applied)
//! and older than the configured age move from the live journal to its archive, so the replay
//! at start-up reads only what is recent or still open.
//!
//! Beside a journal `main-production.jsonl` live two files:
//! - `main-production.archive.jsonl`: the archived lines, verbatim and in order, append-only;
//! - `main-production.archive.index`: one JSON line per compaction, naming every intent it
//!   archived (with its remote id, so the desk still knows every id the journal ever gave an
//!   intent and never lets another intent claim it) and the archive's length once that
//!   compaction's lines were on disk (`archive_len`): what lies beyond the last `archive_len`
//!   was never committed.
//!
//! The order makes a crash at any point lose nothing: the archive is appended and synced, then
//! the index line is appended and synced, then the live journal is rewritten without the
//! archived lines into a temporary file (locked before it replaces the journal, synced), which
//! is renamed over the journal, and the directory synced. Until the rename the live journal
//! still holds every line. On the next run an archive longer than its index says is cut back
//! (those lines are still live and are archived again), and intents the index already names
//! are dropped from the live journal without being written twice. Readers of archive + live
//! (`p100-desk journal`) read the archive only up to its committed length and drop lines that
//! appear in both, which happens only when a crash fell between the index and the rename.
//!
//! Compaction runs only on a journal this desk holds locked, and only on Unix (it replaces a
//! file other processes may have open).

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Entry, Event, Journal, JournalStore, Replay, ReplayFold, Standing, each_line, read_lines,
    replay_file,
};

/// How old (its last line) a finished intent must be before it is archived, when the config
/// does not say (`[journal] archive_after_days`).
pub const DEFAULT_ARCHIVE_AFTER_DAYS: u32 = 90;

/// `<stem>.archive.jsonl` beside the journal.
pub fn archive_path(journal: &Path) -> PathBuf {
    sibling(journal, ".archive.jsonl")
}

/// `<stem>.archive.index` beside the journal.
pub fn index_path(journal: &Path) -> PathBuf {
    sibling(journal, ".archive.index")
}

/// Where the rewritten live journal is prepared (not `.jsonl`: no reader takes it for one).
fn temp_path(journal: &Path) -> PathBuf {
    sibling(journal, ".compact.tmp")
}

fn sibling(journal: &Path, suffix: &str) -> PathBuf {
    let stem = journal
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    journal.with_file_name(format!("{stem}{suffix}"))
}

/// Whether `path` is an archive (read up to its committed length), not a live journal.
pub fn is_archive(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name.to_string_lossy().ends_with(".archive.jsonl"))
}

/// An intent the archive holds, as its index names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedIntent {
    pub intent: String,
    #[serde(default)]
    pub remote_id: Option<String>,
}

/// One line of the index: what one compaction archived.
#[derive(Debug, Serialize, Deserialize)]
struct Batch {
    /// The archive's length before this compaction's lines.
    #[serde(default)]
    archive_from: u64,
    archive_len: u64,
    intents: Vec<ArchivedIntent>,
}

/// The index read back.
#[derive(Debug, Default)]
struct Index {
    /// The archive's length after the last committed compaction.
    committed: u64,
    /// Where the last committed compaction's lines start in the archive.
    last_from: u64,
    intents: Vec<ArchivedIntent>,
    /// Bytes up to the end of the last whole line (a torn last line is cut before appending).
    whole_len: u64,
}

/// The index beside `journal`; `None` when there is none.
fn read_index(journal: &Path) -> io::Result<Option<Index>> {
    let file = match File::open(index_path(journal)) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let mut index = Index::default();
    let mut offset = 0u64;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = io::BufRead::read_until(&mut reader, b'\n', &mut line)?;
        if read == 0 || line.last() != Some(&b'\n') {
            break;
        }
        offset += read as u64;
        index.whole_len = offset;
        // A damaged line names intents we cannot know; the rest still count.
        if let Ok(batch) = serde_json::from_slice::<Batch>(&line) {
            index.committed = batch.archive_len;
            index.last_from = batch.archive_from;
            index.intents.extend(batch.intents);
        }
    }
    Ok(Some(index))
}

/// Every intent archived beside `journal`, each once (from the index; from the archive itself
/// when its index is gone). The desk loads these at start: their ids stay claimed.
pub fn archived_intents(journal: &Path) -> io::Result<Vec<ArchivedIntent>> {
    let mut intents = match read_index(journal)? {
        Some(index) => index.intents,
        None => intents_in_archive(journal)?,
    };
    let mut seen = HashSet::new();
    intents.retain(|archived| seen.insert(archived.intent.clone()));
    Ok(intents)
}

/// The intents in the archive file itself (the index rebuilt).
fn intents_in_archive(journal: &Path) -> io::Result<Vec<ArchivedIntent>> {
    let replay = replay_file(&archive_path(journal))?;
    Ok(replay
        .records
        .into_iter()
        .map(|record| ArchivedIntent {
            intent: record.intent,
            remote_id: record.remote_id,
        })
        .collect())
}

/// The committed lines of the archive at `archive` (its index's `archive_len`; all of it when
/// the index is gone), with the numbers of unreadable lines.
pub fn read_archive(archive: &Path) -> io::Result<(Vec<Entry>, Vec<usize>)> {
    let file = match File::open(archive) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Ok((Vec::new(), Vec::new()));
        }
        Err(error) => return Err(error),
    };
    let journal = archive.with_file_name(
        archive
            .file_name()
            .map(|name| name.to_string_lossy().replace(".archive.jsonl", ".jsonl"))
            .unwrap_or_default(),
    );
    let limit = read_index(&journal)?.map_or(u64::MAX, |index| index.committed);
    read_lines(BufReader::with_capacity(1 << 16, file.take(limit)))
}

/// A journal file as `p100-desk journal` reads it: an archive up to its committed length, a
/// live journal whole.
pub fn read_any(path: &Path) -> io::Result<(Vec<Entry>, Vec<usize>)> {
    if is_archive(path) {
        read_archive(path)
    } else {
        super::read_entries(path)
    }
}

/// The journal at `path` and its archive as one: oldest first, each line once.
pub fn read_with_archive(path: &Path) -> io::Result<Vec<Entry>> {
    let (mut entries, _) = read_archive(&archive_path(path))?;
    entries.extend(super::read_entries(path)?.0);
    sort_and_dedupe(&mut entries);
    Ok(entries)
}

/// Sorts by time (stably) and drops lines that appear twice: after a crash between a
/// compaction's index and its rename, an intent's lines are in the archive and still live.
/// Two lines are the same line only when every field is equal.
pub fn sort_and_dedupe(entries: &mut Vec<Entry>) {
    entries.sort_by_key(|entry| entry.at);
    let mut kept: Vec<Entry> = Vec::with_capacity(entries.len());
    let mut run_start = 0;
    for entry in entries.drain(..) {
        if kept.last().is_none_or(|last| last.at != entry.at) {
            run_start = kept.len();
        }
        // Only lines with the same time can be copies: the run is short.
        if !kept[run_start..].contains(&entry) {
            kept.push(entry);
        }
    }
    *entries = kept;
}

/// What a compaction did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Compaction {
    /// Intents moved to the archive.
    pub intents: usize,
    /// Lines moved (intents' lines, and old write checks and refused locks).
    pub lines: usize,
    /// Lines an earlier, interrupted compaction had archived already: dropped from the live
    /// journal, not written twice.
    pub already_archived: usize,
    /// Lines left in the live journal.
    pub kept: usize,
}

/// The points a compaction passes; tests stop after each one, as a crash would (or, with
/// `ReopenFails`, make the reopening of the renamed journal fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    ArchiveSynced,
    IndexSynced,
    TempSynced,
    Renamed,
    ReopenFails,
}

/// Where appends go when the compacted journal replaced the old file but could not be opened
/// for appending: nowhere. Every append fails, so trading stops with the journal's banner,
/// instead of writing on to the replaced file, which no replay reads again.
#[derive(Debug)]
struct Replaced;

impl Replaced {
    fn error() -> io::Error {
        io::Error::other("the journal was compacted but could not be reopened: restart the desk")
    }
}

impl JournalStore for Replaced {
    fn append_bytes(&mut self, _bytes: &[u8]) -> io::Result<()> {
        Err(Self::error())
    }

    fn sync(&mut self) -> io::Result<()> {
        Err(Self::error())
    }

    fn truncate(&mut self, _len: u64) -> io::Result<()> {
        Err(Self::error())
    }

    fn size(&mut self) -> io::Result<u64> {
        Err(Self::error())
    }
}

impl Journal {
    /// Moves every intent that is finished and whose last line is older than `older_than` to
    /// the archive, with write checks and refused locks older than that (when any intent
    /// moves); see the module comment for the order that makes a crash harmless. Pending,
    /// unknown and unanswered intents, and lines that cannot be read, stay live. Nothing
    /// happens on a journal opened through a test's store, or off Unix.
    pub fn compact(&mut self, older_than: DateTime<Utc>) -> io::Result<Compaction> {
        let mut replay = replay_file(&self.path)?;
        self.compact_replayed(&mut replay, older_than)
    }

    /// [`Journal::compact`], planned from `replay`: this journal as just read, after it was
    /// opened (start-up reads the live journal once, for the plan and the desk alike). When
    /// intents move, `replay` becomes the rewritten journal's, folded from the lines as they
    /// were copied, so the desk resumes from what a fresh read would give without one.
    pub fn compact_replayed(
        &mut self,
        replay: &mut Replay,
        older_than: DateTime<Utc>,
    ) -> io::Result<Compaction> {
        self.compact_until(replay, older_than, None)
    }

    fn compact_until(
        &mut self,
        replay: &mut Replay,
        older_than: DateTime<Utc>,
        stop_after: Option<Step>,
    ) -> io::Result<Compaction> {
        if !self.file_backed || !cfg!(unix) {
            return Ok(Compaction::default());
        }
        if self.needs_repair {
            self.repair()?;
        }
        let path = self.path.clone();
        let archive = archive_path(&path);

        let moving = moving_intents(replay, older_than);
        let plan = Plan { moving, older_than };
        // Old checks and refused locks go along with intents, never alone: they are rare, and
        // looking for them would read the journal once more at every start.
        if plan.moving.is_empty() {
            return Ok(Compaction::default());
        }

        let index = self.prepare_archive(&archive)?;
        let mut archive_file = OpenOptions::new().append(true).open(&archive)?;
        let temp = temp_path(&path);
        let temp_file = private_file(&temp)?;
        // Locked before it becomes the journal, so no desk can lock the new file first.
        if fs4::FileExt::try_lock(&temp_file).is_err() {
            return Err(io::Error::other(
                "the compaction's temporary file is locked by another process",
            ));
        }
        let (mut report, newly, rewritten) =
            plan.split(&path, &archive, &index, &mut archive_file, &temp_file)?;
        archive_file.sync_data()?;
        let archive_len = archive_file.metadata()?.len();
        if stop_after == Some(Step::ArchiveSynced) {
            return Ok(report);
        }

        report.intents = newly.len();
        commit_batch(
            &path,
            replay,
            Batch {
                archive_from: index.committed,
                archive_len,
                intents: newly,
            },
        )?;
        if stop_after == Some(Step::IndexSynced) {
            return Ok(report);
        }

        temp_file.sync_all()?;
        if stop_after == Some(Step::TempSynced) {
            return Ok(report);
        }
        std::fs::rename(&temp, &path)?;
        // The live journal is the rewritten one from here on, and so is the desk's replay. The
        // lock moves to it at once (the old file, unlocked now, is gone from the directory: a
        // desk that locks it sees that and tries again).
        *replay = rewritten;
        self.lock.file = temp_file;
        if stop_after == Some(Step::Renamed) {
            return Ok(report);
        }
        // Appends go to the new file, or nowhere: never on to the old one, which no replay
        // will read again. Before anything else can fail (a directory sync).
        let reopened = if stop_after == Some(Step::ReopenFails) {
            Err(io::Error::other(
                "the compacted journal could not be reopened",
            ))
        } else {
            super::journal_file(&path).and_then(|mut store| {
                let len = JournalStore::size(&mut store)?;
                Ok((store, len))
            })
        };
        match reopened {
            Ok((store, len)) => {
                self.store = Box::new(store);
                self.whole_len = len;
            }
            Err(error) => {
                self.store = Box::new(Replaced);
                self.refuses_appends = true;
                return Err(error);
            }
        }
        sync_dir(&path)?;
        tracing::info!(
            intents = report.intents,
            lines = report.lines,
            kept = report.kept,
            "journal compacted"
        );
        Ok(report)
    }

    /// Makes the archive and its index consistent before a compaction appends to them: an
    /// index exists (created empty and synced before the first line is archived, so an
    /// archive without one means the index was lost, and it is rebuilt from the archive); a
    /// torn index line is cut; archive bytes past the last committed length are cut (they were
    /// never committed, and their lines are still live).
    fn prepare_archive(&self, archive: &Path) -> io::Result<Index> {
        let index_file = index_path(&self.path);
        let index = if let Some(index) = read_index(&self.path)? {
            index
        } else {
            {
                let archive_len = std::fs::metadata(archive).map_or(0, |meta| meta.len());
                let mut file = private_file_append(&index_file)?;
                if archive_len > 0 {
                    cut_torn_tail(archive)?;
                    let batch = Batch {
                        archive_from: 0,
                        archive_len: std::fs::metadata(archive)?.len(),
                        intents: intents_in_archive(&self.path)?,
                    };
                    let mut line = serde_json::to_vec(&batch).map_err(io::Error::other)?;
                    line.push(b'\n');
                    file.write_all(&line)?;
                }
                file.sync_data()?;
                sync_dir(&self.path)?;
                read_index(&self.path)?.unwrap_or_default()
            }
        };
        let index_len = std::fs::metadata(&index_file)?.len();
        if index_len > index.whole_len {
            let file = OpenOptions::new().write(true).open(&index_file)?;
            file.set_len(index.whole_len)?;
            file.sync_data()?;
        }
        let archive_file = private_file_append(archive)?;
        let archive_len = archive_file.metadata()?.len();
        if archive_len < index.committed {
            return Err(io::Error::other(format!(
                "{} is shorter than its index says ({archive_len} < {} bytes): not compacted",
                archive.display(),
                index.committed
            )));
        }
        if archive_len > index.committed {
            archive_file.set_len(index.committed)?;
        }
        archive_file.sync_all()?;
        sync_dir(&self.path)?;
        Ok(index)
    }
}

/// What moves to the archive.
struct Plan {
    moving: HashSet<String>,
    older_than: DateTime<Utc>,
}

impl Plan {
    /// A line that belongs to no intent: a write check, a refused lock, an approval given
    /// from this desk.
    fn intentless(entry: &Entry) -> bool {
        matches!(
            entry.event,
            Event::Check { .. } | Event::LockRefused { .. } | Event::Approval { .. }
        )
    }

    /// An intentless line older than the cutoff.
    fn loose(&self, entry: &Entry) -> bool {
        Self::intentless(entry) && entry.at < self.older_than
    }

    fn moves(&self, entry: &Entry) -> bool {
        self.loose(entry) || (!Self::intentless(entry) && self.moving.contains(&entry.intent))
    }

    /// Streams the live journal at `path` into the archive (lines that move and were not
    /// archived by an interrupted run already) and `temp` (every other line, unreadable ones
    /// included), names the intents newly archived, and folds the lines kept into the replay
    /// of the rewritten journal.
    fn split(
        &self,
        path: &Path,
        archive: &Path,
        index: &Index,
        archive_file: &mut File,
        temp: &File,
    ) -> io::Result<(Compaction, Vec<ArchivedIntent>, Replay)> {
        let already: HashSet<&str> = index.intents.iter().map(|a| a.intent.as_str()).collect();
        // Checks and refused locks are no intent the index names: those the last compaction
        // archived (still live if it stopped before its rename) are found by their lines.
        let last_loose: Vec<Entry> = {
            let mut file = File::open(archive)?;
            file.seek(SeekFrom::Start(index.last_from))?;
            let range = index.committed.saturating_sub(index.last_from);
            let (entries, _) = read_lines(BufReader::new(file.take(range)))?;
            entries
                .into_iter()
                .filter(|entry| self.loose(entry))
                .collect()
        };
        let mut report = Compaction::default();
        let mut newly: Vec<ArchivedIntent> = Vec::new();
        let mut to_archive = BufWriter::new(archive_file);
        let mut to_live = BufWriter::new(temp);
        let mut seen_new = HashSet::new();
        let mut rewritten = ReplayFold::default();
        each_line(BufReader::new(File::open(path)?), |_, line| {
            match serde_json::from_slice::<Entry>(line) {
                Ok(entry) if self.moves(&entry) => {
                    let loose = self.loose(&entry);
                    let archived = if loose {
                        last_loose.contains(&entry)
                    } else {
                        already.contains(entry.intent.as_str())
                    };
                    if archived {
                        report.already_archived += 1;
                        return Ok(());
                    }
                    if !loose && seen_new.insert(entry.intent.clone()) {
                        newly.push(ArchivedIntent {
                            intent: entry.intent.clone(),
                            remote_id: None,
                        });
                    }
                    report.lines += 1;
                    to_archive.write_all(line)?;
                    to_archive.write_all(b"\n")
                }
                // Unreadable lines stay where they are: nothing can say whose they are.
                read => {
                    report.kept += 1;
                    to_live.write_all(line)?;
                    to_live.write_all(b"\n")?;
                    // The rewritten file has no blank lines: this is its line `kept`.
                    rewritten.line(report.kept, read.ok());
                    Ok(())
                }
            }
        })?;
        to_archive.flush()?;
        to_live.flush()?;
        Ok((report, newly, rewritten.finish()))
    }
}

/// The intents of `replay` that move: finished, with their last line before `older_than`. An
/// id opened twice moves only if every intent under it may.
fn moving_intents(replay: &super::Replay, older_than: DateTime<Utc>) -> HashSet<String> {
    let mut moving = HashSet::new();
    let mut staying = HashSet::new();
    for record in &replay.records {
        if record.standing == Standing::Finished && record.last_at < older_than {
            moving.insert(record.intent.clone());
        } else {
            staying.insert(record.intent.clone());
        }
    }
    moving.retain(|intent| !staying.contains(intent));
    moving
}

/// Appends `batch` to the index, with each intent's remote id from `replay` (the last id it
/// was given), and syncs it: from here on the batch's archive lines are committed.
fn commit_batch(journal: &Path, replay: &super::Replay, mut batch: Batch) -> io::Result<()> {
    let ids: HashMap<&str, &Option<String>> = replay
        .records
        .iter()
        .map(|record| (record.intent.as_str(), &record.remote_id))
        .collect();
    for archived in &mut batch.intents {
        archived.remote_id = ids
            .get(archived.intent.as_str())
            .and_then(|id| (*id).clone());
    }
    let mut line = serde_json::to_vec(&batch).map_err(io::Error::other)?;
    line.push(b'\n');
    let mut index_file = OpenOptions::new().append(true).open(index_path(journal))?;
    index_file.write_all(&line)?;
    index_file.sync_data()
}

/// Cuts a file back to the end of its last whole line.
fn cut_torn_tail(path: &Path) -> io::Result<()> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let len = file.metadata()?.len();
    let mut end = len;
    let mut byte = [0u8; 1];
    while end > 0 {
        file.seek(SeekFrom::Start(end - 1))?;
        file.read_exact(&mut byte)?;
        if byte[0] == b'\n' {
            break;
        }
        end -= 1;
    }
    if end < len {
        file.set_len(end)?;
        file.sync_data()?;
    }
    Ok(())
}

/// A new file only this user can read (created or emptied), for writing.
fn private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).write(true).truncate(true);
    private(&mut options).open(path)
}

/// A file only this user can read, created if missing, for appending.
fn private_file_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    private(&mut options).open(path)
}

fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

/// Syncs the directory holding `path`, so a created or renamed file survives a power loss.
fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{IntentRecord, Journal};
    use chrono::Duration;
    use rust_decimal::Decimal;

    fn at(days_ago: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default() - Duration::days(days_ago)
    }

    fn now() -> DateTime<Utc> {
        at(0)
    }

    fn line(intent: &str, days_ago: i64, event: Event) -> Entry {
        Entry {
            at: at(days_ago),
            profile: "main".into(),
            environment: "production".into(),
            intent: intent.into(),
            event,
        }
    }

    fn opened(intent: &str, days_ago: i64) -> Entry {
        line(
            intent,
            days_ago,
            Event::ExchangeIntent {
                from: "usdc".into(),
                to: "eur".into(),
                amount: Decimal::new(15_000, 2),
                amount_to: Decimal::new(13_801, 2),
                rate: Decimal::new(920_080, 6),
                lock_id: format!("lock-{intent}"),
            },
        )
    }

    fn accepted(intent: &str, days_ago: i64, id: &str) -> Entry {
        line(
            intent,
            days_ago,
            Event::Accepted {
                remote_id: id.into(),
                attempt: None,
            },
        )
    }

    fn completed(intent: &str, days_ago: i64) -> Entry {
        line(
            intent,
            days_ago,
            Event::Final {
                status: "COMPLETED".into(),
                reason: None,
            },
        )
    }

    /// A journal a year in use: old finished intents (one completed, one rejected, one proven
    /// never applied), old ones still open (pending, unknown, unanswered), a recent finished
    /// one, an old write check, and a damaged line.
    fn history() -> Vec<Entry> {
        vec![
            opened("done", 200),
            accepted("done", 200, "ex-done"),
            completed("done", 199),
            opened("rejected", 190),
            line(
                "rejected",
                190,
                Event::Rejected {
                    reason: "P433".into(),
                },
            ),
            line(
                "check",
                180,
                Event::Check {
                    note: "disk back".into(),
                },
            ),
            opened("absent", 170),
            line(
                "absent",
                170,
                Event::Unknown {
                    reason: "timed out".into(),
                },
            ),
            line(
                "absent",
                169,
                Event::Reconciled {
                    remote_id: None,
                    note: "not in the history".into(),
                },
            ),
            opened("pending", 160),
            accepted("pending", 160, "ex-pending"),
            opened("unknown", 150),
            line(
                "unknown",
                150,
                Event::Unknown {
                    reason: "timed out".into(),
                },
            ),
            opened("unanswered", 140),
            opened("recent", 2),
            accepted("recent", 2, "ex-recent"),
            completed("recent", 1),
        ]
    }

    const DAMAGED: &str = "{\"at\":\"2026-01-0";

    /// Writes `history()` with a damaged line after the fifth, and returns the directory.
    fn written() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("main-production.jsonl");
        let mut text = String::new();
        for (n, entry) in history().iter().enumerate() {
            text.push_str(&serde_json::to_string(entry).expect("json"));
            text.push('\n');
            if n == 4 {
                text.push_str(DAMAGED);
                text.push('\n');
            }
        }
        std::fs::write(&path, text).expect("write");
        (dir, path)
    }

    fn intents_in(path: &Path) -> Vec<String> {
        let (entries, _) = read_any(path).expect("read");
        let mut intents: Vec<String> = entries.into_iter().map(|e| e.intent).collect();
        intents.dedup();
        intents
    }

    fn cutoff() -> DateTime<Utc> {
        now() - Duration::days(90)
    }

    /// After a full compaction: exactly the finished old intents (and the old check) are in
    /// the archive, once each, and everything else is live; archive + live is what was written.
    fn assert_compacted(path: &Path) {
        assert_eq!(
            intents_in(&archive_path(path)),
            ["done", "rejected", "check", "absent"]
        );
        assert_eq!(
            intents_in(path),
            ["pending", "unknown", "unanswered", "recent"]
        );
        let (archived, _) = read_archive(&archive_path(path)).expect("archive");
        assert_eq!(archived.len(), 9, "each archived line once: {archived:#?}");
        let live = std::fs::read_to_string(path).expect("live");
        assert!(live.contains(DAMAGED), "an unreadable line stays live");
        assert_eq!(read_with_archive(path).expect("all"), {
            let mut all = history();
            all.sort_by_key(|entry| entry.at);
            all
        });
        assert_eq!(
            archived_intents(path).expect("index"),
            [
                ("done", Some("ex-done")),
                ("rejected", None),
                ("absent", None)
            ]
            .map(|(intent, id)| ArchivedIntent {
                intent: intent.into(),
                remote_id: id.map(Into::into),
            })
        );
    }

    #[test]
    fn compaction_moves_only_finished_old_intents() {
        let (_dir, path) = written();
        let mut journal = Journal::open(&path).expect("open");
        let report = journal.compact(cutoff()).expect("compact");
        assert_eq!(report.intents, 3);
        assert_eq!(report.lines, 9);
        assert_eq!(report.kept, 9);
        assert_compacted(&path);
        // The desk keeps writing to the new live journal, and a second run has nothing to do.
        journal.append(&completed("pending", 0)).expect("append");
        assert_eq!(
            journal.compact(cutoff()).expect("again"),
            Compaction::default()
        );
        let replay = replay_file(&path).expect("replay");
        let pending: &IntentRecord = replay
            .records
            .iter()
            .find(|record| record.intent == "pending")
            .expect("pending");
        assert_eq!(pending.standing, Standing::Finished);
        assert_eq!(replay.damaged_lines, vec![1]);
    }

    #[test]
    fn the_replay_handed_back_is_what_reading_the_compacted_journal_gives() {
        let (_dir, path) = written();
        // A blank line, and an accepted line whose intent line was lost (replay resumes the
        // attempt from it and names its line): numbered as in the rewritten file.
        let lost = opened("lost", 3);
        let recovered = Entry {
            event: Event::Accepted {
                remote_id: "ex-lost".into(),
                attempt: crate::journal::Attempt::of_intent(&lost.event),
            },
            ..lost
        };
        let mut file = OpenOptions::new().append(true).open(&path).expect("append");
        let line = serde_json::to_string(&recovered).expect("json");
        write!(file, "\n{line}\n").expect("write");
        drop(file);
        let mut journal = Journal::open(&path).expect("open");
        let mut replay = replay_file(&path).expect("replay");
        assert_eq!(replay.records.len(), 8, "{:#?}", replay.records);
        let report = journal
            .compact_replayed(&mut replay, cutoff())
            .expect("compact");
        assert_eq!(report.intents, 3);
        let fresh = replay_file(&path).expect("fresh replay");
        assert_eq!(replay.records, fresh.records);
        assert_eq!(replay.damaged_lines, fresh.damaged_lines);
        assert_eq!(replay.damaged_lines, vec![1]);
        let lost = replay
            .records
            .iter()
            .find(|record| record.intent == "lost")
            .expect("resumed from its accepted line");
        assert!(
            lost.notes
                .iter()
                .any(|note| note.starts_with("journal line 10:")),
            "{:?}",
            lost.notes
        );
        // Nothing to move: the replay is left as it was read.
        let before = replay.records.clone();
        assert_eq!(
            journal
                .compact_replayed(&mut replay, cutoff())
                .expect("again"),
            Compaction::default()
        );
        assert_eq!(replay.records, before);
    }

    #[test]
    fn a_crash_after_any_step_loses_nothing_and_the_next_run_finishes_it() {
        for step in [
            Step::ArchiveSynced,
            Step::IndexSynced,
            Step::TempSynced,
            Step::Renamed,
        ] {
            let (_dir, path) = written();
            let mut journal = Journal::open(&path).expect("open");
            let mut replay = replay_file(&path).expect("replay");
            journal
                .compact_until(&mut replay, cutoff(), Some(step))
                .expect("stopped");
            drop(journal);
            // The replay handed back is the live journal's, renamed or not.
            let fresh = replay_file(&path).expect("fresh replay");
            assert_eq!(replay.records, fresh.records, "{step:?}");
            assert_eq!(replay.damaged_lines, fresh.damaged_lines, "{step:?}");
            // Between the crash and the next run, everything is readable exactly once.
            let mut all = history();
            all.sort_by_key(|entry| entry.at);
            assert_eq!(read_with_archive(&path).expect("read"), all, "{step:?}");
            let known: Vec<String> = archived_intents(&path)
                .expect("index")
                .into_iter()
                .map(|a| a.intent)
                .collect();
            let replay = replay_file(&path).expect("replay");
            for intent in ["done", "rejected", "absent"] {
                assert!(
                    known.iter().any(|k| k == intent)
                        || replay.records.iter().any(|r| r.intent == intent),
                    "{step:?}: {intent} known to the desk"
                );
            }
            let mut journal = Journal::open(&path).expect("reopen");
            journal.compact(cutoff()).expect("finish");
            assert_compacted(&path);
        }
    }

    #[test]
    fn a_journal_that_cannot_be_reopened_after_its_rename_refuses_every_append() {
        let (_dir, path) = written();
        let mut journal = Journal::open(&path).expect("open");
        let mut replay = replay_file(&path).expect("replay");
        journal
            .compact_until(&mut replay, cutoff(), Some(Step::ReopenFails))
            .expect_err("the reopen fails");
        // Refused, not written to the replaced file where no replay would find it.
        journal
            .append(&completed("pending", 0))
            .expect_err("nowhere to append");
        assert!(
            journal.refuses_appends(),
            "the desk can tell, before any confirm"
        );
        assert_compacted(&path);
        let fresh = replay_file(&path).expect("fresh replay");
        assert_eq!(replay.records, fresh.records);
        // The new file is still this desk's: a second desk is refused.
        let error = Journal::open(&path).expect_err("held");
        assert!(
            crate::journal::JournalLocked::of(&error).is_some(),
            "{error}"
        );
    }

    #[test]
    fn a_torn_archive_tail_is_cut_and_a_lost_index_rebuilt() {
        let (_dir, path) = written();
        Journal::open(&path)
            .expect("open")
            .compact(cutoff())
            .expect("compact");
        // A later compaction died mid-write of the archive, and the index went missing.
        let mut archive = OpenOptions::new()
            .append(true)
            .open(archive_path(&path))
            .expect("archive");
        archive.write_all(b"{\"at\":\"20").expect("torn");
        std::fs::remove_file(index_path(&path)).expect("index gone");
        assert_eq!(archived_intents(&path).expect("from archive").len(), 3);
        let mut journal = Journal::open(&path).expect("open");
        journal.append(&completed("unknown", 120)).expect("append");
        journal.compact(cutoff()).expect("compact");
        assert_eq!(
            intents_in(&archive_path(&path)),
            ["done", "rejected", "check", "absent", "unknown"]
        );
        let (_, damaged) = read_archive(&archive_path(&path)).expect("archive");
        assert!(damaged.is_empty(), "torn tail cut: {damaged:?}");
        assert_eq!(archived_intents(&path).expect("index").len(), 4);
    }

    #[test]
    fn a_desk_waiting_on_the_replaced_file_does_not_get_the_journal() {
        let (_dir, path) = written();
        let mut journal = Journal::open(&path).expect("open");
        let waiting = {
            let path = path.clone();
            std::thread::spawn(move || Journal::open(&path).map(drop))
        };
        journal.compact(cutoff()).expect("compact");
        let second = waiting.join().expect("thread");
        let error = second.expect_err("the journal is still held");
        assert!(
            crate::journal::JournalLocked::of(&error).is_some(),
            "{error}"
        );
        // And one that comes after the compaction is refused too.
        let error = Journal::open(&path).expect_err("held");
        assert!(
            crate::journal::JournalLocked::of(&error).is_some(),
            "{error}"
        );
        drop(journal);
        Journal::open(&path).expect("free once the desk closes");
    }
}
