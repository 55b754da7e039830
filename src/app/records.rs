//! What the desk must keep true about its journal: which intent holds which remote id (so no
//! other intent can claim it), which intents have their final line, the warnings kept for each
//! row, ids P100 keeps answering 404 for, and whether the journal can be written at all.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::journal::archive::ArchivedIntent;
use crate::journal::{IntentRecord, Standing};

/// How long a details endpoint may answer 404 for an accepted id before the row says "P100
/// does not know this id" (still watched, at the poller's slowest pace).
pub const NOT_KNOWN_AFTER: Duration = Duration::from_secs(10 * 60);

/// How often a journal that failed a write is tried again (a small check line), so trading
/// comes back by itself once the disk has room.
pub const JOURNAL_CHECK_EVERY: Duration = Duration::from_secs(5);

/// The name journaled with a user's decision when the OS gives none.
pub const UNKNOWN_OPERATOR: &str = "unknown user";

#[derive(Debug, Clone)]
pub struct Records {
    /// Remote id -> every intent that holds it, in the order they got it (normally one).
    holders: HashMap<String, Vec<String>>,
    /// The ids more than one intent holds (almost always none): asked on every poll answer, so
    /// the usual answer costs one emptiness test, not a lookup of its id among every claim.
    shared: HashSet<String>,
    /// Intents whose final line is written or queued: a final is journaled once.
    finals: HashSet<String>,
    /// Per intent: warnings kept for the row's detail (replay damage, answers ignored).
    notes: HashMap<String, Vec<String>>,
    /// Journal-wide warnings from the replay at start (damaged lines), kept on screen.
    pub replay_warnings: Vec<String>,
    /// Per intent: when its details endpoint started answering 404 (reset by any other answer).
    not_found_since: HashMap<String, DateTime<Utc>>,
    /// See [`NOT_KNOWN_AFTER`]; tests shorten it.
    pub not_known_after: Duration,
    /// See [`JOURNAL_CHECK_EVERY`]; tests shorten it.
    pub journal_check_every: Duration,
    /// Why the journal cannot be written right now. Trading is off while this is set.
    pub journal_down: Option<String>,
    /// A journal check is scheduled (one at a time).
    pub(super) journal_check_pending: bool,
    /// `App::trading_blocked` was set because of `journal_down` (and is cleared with it).
    pub(super) blocked_trading: bool,
    /// The journal belongs to another desk: this session is read-only, and this says why.
    pub journal_locked: Option<String>,
    /// Who resolves ambiguous reconciliations here (the OS user), journaled with each decision.
    pub operator: String,
}

impl Default for Records {
    fn default() -> Self {
        Self {
            holders: HashMap::new(),
            shared: HashSet::new(),
            finals: HashSet::new(),
            notes: HashMap::new(),
            replay_warnings: Vec::new(),
            not_found_since: HashMap::new(),
            not_known_after: NOT_KNOWN_AFTER,
            journal_check_every: JOURNAL_CHECK_EVERY,
            journal_down: None,
            journal_check_pending: false,
            blocked_trading: false,
            journal_locked: None,
            operator: UNKNOWN_OPERATOR.to_string(),
        }
    }
}

impl Records {
    /// Everything the replayed journal says: every id any intent holds (live, final or
    /// dismissed alike) and every intent already final.
    pub fn load(&mut self, records: &[IntentRecord]) {
        for record in records {
            if let Some(id) = &record.remote_id {
                self.claim(&record.intent, id);
            }
            if record.standing == Standing::Finished {
                self.finals.insert(record.intent.clone());
            }
        }
    }

    /// The intents the journal's archive holds (all finished): their ids stay theirs, so no
    /// intent can claim an id an archived one was given, and none is finalized again.
    pub fn load_archived(&mut self, archived: &[ArchivedIntent]) {
        for intent in archived {
            if let Some(id) = &intent.remote_id {
                self.claim(&intent.intent, id);
            }
            self.finals.insert(intent.intent.clone());
        }
    }

    /// Records that `intent` holds `remote_id` (accepted, reconciled or resolved as it).
    pub fn claim(&mut self, intent: &str, remote_id: &str) {
        let holders = self.holders.entry(remote_id.to_string()).or_default();
        if !holders.iter().any(|holder| holder == intent) {
            holders.push(intent.to_string());
            if holders.len() == 2 {
                self.shared.insert(remote_id.to_string());
            }
        }
    }

    /// The intents holding `remote_id`.
    pub fn holders(&self, remote_id: &str) -> &[String] {
        self.holders.get(remote_id).map_or(&[], Vec::as_slice)
    }

    /// Whether an intent other than `intent` holds `remote_id`: then `intent` may never claim it.
    pub fn held_by_another(&self, remote_id: &str, intent: &str) -> bool {
        self.holders(remote_id)
            .iter()
            .any(|holder| holder != intent)
    }

    /// Whether more than one intent holds `remote_id`: answers about it apply to none of them.
    pub fn is_shared(&self, remote_id: &str) -> bool {
        !self.shared.is_empty() && self.shared.contains(remote_id)
    }

    /// Every id some intent holds, sorted (for the reconciliation's exclusions).
    pub fn claimed_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.holders.keys().cloned().collect();
        ids.sort_unstable();
        ids
    }

    /// Marks `intent` final; false when it already was (its final line must not be written
    /// again).
    pub fn mark_final(&mut self, intent: &str) -> bool {
        self.finals.insert(intent.to_string())
    }

    pub fn is_final(&self, intent: &str) -> bool {
        self.finals.contains(intent)
    }

    /// Keeps a warning about one row for its detail view (once).
    pub fn note_row(&mut self, intent: &str, text: impl Into<String>) {
        let text = text.into();
        let notes = self.notes.entry(intent.to_string()).or_default();
        if !notes.contains(&text) {
            notes.push(text);
        }
    }

    /// The warnings kept about one row, oldest first.
    pub fn row_notes(&self, intent: &str) -> &[String] {
        self.notes.get(intent).map_or(&[], Vec::as_slice)
    }

    /// A 404 from the details endpoint at `now`; returns since when they have come.
    pub fn not_found(&mut self, intent: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        *self
            .not_found_since
            .entry(intent.to_string())
            .or_insert(now)
    }

    /// Any answer other than a 404 ends a run of them.
    pub fn found(&mut self, intent: &str) {
        // Most answers end no run of 404s: no lookup of the intent then.
        if !self.not_found_since.is_empty() {
            self.not_found_since.remove(intent);
        }
    }

    /// Since when P100 has not known this row's id, once that has lasted `not_known_after`.
    pub fn not_known_since(&self, intent: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let since = *self.not_found_since.get(intent)?;
        let lasted = (now - since).to_std().unwrap_or_default();
        (lasted >= self.not_known_after).then_some(since)
    }

    /// What keeps the journal from being trusted with a new trade, for the banner.
    pub fn journal_problem(&self) -> Option<&str> {
        self.journal_locked
            .as_deref()
            .or(self.journal_down.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_shared_once_a_second_intent_claims_it_and_stays_so() {
        let mut records = Records::default();
        assert!(!records.is_shared("rid"));
        records.claim("ex-1", "rid");
        records.claim("ex-1", "rid");
        assert!(!records.is_shared("rid"), "one intent, claimed twice");
        records.claim("ex-2", "other");
        assert!(!records.is_shared("rid") && !records.is_shared("other"));
        records.claim("ex-2", "rid");
        assert!(records.is_shared("rid"));
        records.claim("ex-3", "rid");
        assert!(records.is_shared("rid") && !records.is_shared("other"));
        assert_eq!(records.holders("rid"), ["ex-1", "ex-2", "ex-3"]);
    }

    #[test]
    fn an_id_is_shared_once_two_intents_hold_it_and_a_final_counts_once() {
        let mut records = Records::default();
        records.claim("a", "ex-1");
        records.claim("a", "ex-1");
        assert!(!records.is_shared("ex-1"));
        assert!(records.held_by_another("ex-1", "b"));
        assert!(!records.held_by_another("ex-1", "a"));
        records.claim("b", "ex-1");
        assert!(records.is_shared("ex-1"));
        assert!(records.mark_final("a"));
        assert!(!records.mark_final("a"), "a final is journaled once");
    }

    #[test]
    fn not_known_only_after_the_threshold_and_reset_by_another_answer() {
        let mut records = Records {
            not_known_after: Duration::from_secs(60),
            ..Records::default()
        };
        let start = DateTime::<Utc>::UNIX_EPOCH;
        records.not_found("a", start);
        records.not_found("a", start + chrono::Duration::seconds(30));
        assert_eq!(
            records.not_known_since("a", start + chrono::Duration::seconds(59)),
            None
        );
        assert_eq!(
            records.not_known_since("a", start + chrono::Duration::seconds(60)),
            Some(start)
        );
        records.found("a");
        assert_eq!(
            records.not_known_since("a", start + chrono::Duration::hours(1)),
            None
        );
    }
}
