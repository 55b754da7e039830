//! The live pane's model: every exchange and order this desk watches, until it is final and
//! the user dismisses it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::freshness::Stale;
use super::reconcile::Candidate;
use super::selection::Selection;
use crate::api::RemoteId;
use crate::api::models::{Currency, ExchangeDetails, OrderDetails, OrderStatus};
use crate::journal::{Entry, Event};

mod watch;
pub use watch::{WatchChange, WatchRule, WatchTarget, WatchedSet};

/// Where a watched row stands. Only what the API said moves a row to a final phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// The POST is on its way; no answer yet.
    Sending,
    /// Queued or in progress; `status` is the API's own word for it.
    Pending { status: String },
    /// The POST may or may not have been applied (timeout, dropped connection, 5xx). We read
    /// state back until we know; we never re-send.
    Unknown { reason: String },
    /// Final: the API said COMPLETED.
    Completed,
    /// Final: failed, with the P-code and message when the API gave one.
    Failed { reason: String },
    /// Final: an order whose payment window closed.
    Expired,
    /// The history holds more than one row that could be this attempt, or one outside the
    /// time window around its send: the desk does not guess. The user resolves it (mark applied
    /// as one of the `candidates`, or mark not applied); `chosen` is the one highlighted.
    Ambiguous {
        candidates: Vec<Candidate>,
        chosen: usize,
    },
}

impl Phase {
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Completed | Self::Failed { .. } | Self::Expired)
    }

    /// Watched by the poller: pending, or unknown with an id to read back.
    pub fn needs_watching(&self) -> bool {
        matches!(self, Self::Pending { .. } | Self::Unknown { .. })
    }

    /// The word shown in the status column (never colour alone).
    pub fn label(&self) -> String {
        match self {
            Self::Sending => "SENDING".into(),
            Self::Pending { status } => status.clone(),
            Self::Unknown { .. } => "UNKNOWN".into(),
            Self::Completed => "COMPLETED".into(),
            Self::Failed { .. } => "FAILED".into(),
            Self::Expired => "EXPIRED".into(),
            Self::Ambiguous { .. } => "AMBIGUOUS".into(),
        }
    }
}

/// Whether an id P100 sent can name a resource in a URL path (see [`RemoteId::parse`]). An
/// accepted POST whose id fails this is an unknown outcome to reconcile, never polled at a
/// broken path.
pub fn usable_remote_id(id: &str) -> bool {
    RemoteId::parse(id).is_ok()
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeLeg {
    pub from: Currency,
    pub to: Currency,
    pub amount: Decimal,
    pub amount_to: Decimal,
    pub rate: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderLeg {
    /// The crypto the payer sends.
    pub currency: Currency,
    pub network: String,
    /// The fiat to settle.
    pub fiat_amount: Decimal,
    pub fiat_currency: Currency,
    /// The crypto amount the lock asked for.
    pub crypto_amount: Decimal,
    pub wallet_address: Option<String>,
    pub confirmations: Option<(u32, u32)>,
    pub received: Option<Decimal>,
    pub required: Option<Decimal>,
    pub transaction_hash: Option<String>,
    pub payment_expires_at: Option<DateTime<Utc>>,
}

impl OrderLeg {
    pub fn is_underpaid(&self) -> bool {
        match (self.received, self.required) {
            (Some(received), Some(required)) => received > Decimal::ZERO && received < required,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum LiveKind {
    Exchange(ExchangeLeg),
    Order(OrderLeg),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LiveRow {
    /// Our own id for the attempt (the journal's intent id); stable before the API gives one.
    pub key: String,
    /// The exchangeId or orderId, once known.
    pub remote_id: Option<String>,
    pub lock_id: String,
    pub kind: LiveKind,
    pub phase: Phase,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while the details checks of this row fail (since the first failure, and why); the
    /// row's status is then only as fresh as `updated_at`.
    pub check_failed: Option<Stale>,
}

impl LiveKind {
    /// The leg an intent line describes (`None` for lines that are not intents).
    fn of_intent(event: &Event) -> Option<Self> {
        match event {
            Event::ExchangeIntent {
                from,
                to,
                amount,
                amount_to,
                rate,
                ..
            } => Some(Self::Exchange(ExchangeLeg {
                from: Currency::new(from),
                to: Currency::new(to),
                amount: *amount,
                amount_to: *amount_to,
                rate: *rate,
            })),
            Event::OrderIntent {
                currency,
                network,
                fiat_amount,
                fiat_currency,
                crypto_amount,
                ..
            } => Some(Self::Order(OrderLeg {
                currency: Currency::new(currency),
                network: network.clone(),
                fiat_amount: *fiat_amount,
                fiat_currency: Currency::new(fiat_currency),
                crypto_amount: *crypto_amount,
                wallet_address: None,
                confirmations: None,
                received: None,
                required: Some(*crypto_amount),
                transaction_hash: None,
                payment_expires_at: None,
            })),
            crate::journal::non_intent_events!() => None,
        }
    }
}

impl LiveRow {
    /// The row for an attempt, from its journal intent line: what the Live pane shows is
    /// exactly what the journal recorded.
    pub fn from_intent(entry: &Entry, phase: Phase) -> Option<Self> {
        let kind = LiveKind::of_intent(&entry.event)?;
        let lock_id = match &entry.event {
            Event::ExchangeIntent { lock_id, .. } | Event::OrderIntent { lock_id, .. } => {
                lock_id.clone()
            }
            _ => String::new(),
        };
        Some(Self {
            key: entry.intent.clone(),
            remote_id: None,
            lock_id,
            kind,
            phase,
            created_at: entry.at,
            updated_at: entry.at,
            check_failed: None,
        })
    }

    pub fn kind_label(&self) -> &'static str {
        match self.kind {
            LiveKind::Exchange(_) => "EXCHANGE",
            LiveKind::Order(_) => "ORDER",
        }
    }

    /// Pending with the API's word `status` (most answers repeat it: nothing is allocated then).
    fn set_pending(&mut self, status: &str) {
        if !matches!(&self.phase, Phase::Pending { status: held } if held == status) {
            self.phase = Phase::Pending {
                status: status.to_string(),
            };
        }
    }

    /// Applies an exchange details answer. Returns true when the row just became final.
    pub fn apply_exchange(&mut self, details: &ExchangeDetails, now: DateTime<Utc>) -> bool {
        let was_final = self.phase.is_final();
        match &details.status {
            status if status.is_success() => self.phase = Phase::Completed,
            status if status.is_failure() => {
                self.phase = Phase::Failed {
                    reason: failure_reason(
                        details.error_code.as_deref(),
                        details.error_message.as_deref(),
                    ),
                };
            }
            other => self.set_pending(other.as_str()),
        }
        if let LiveKind::Exchange(leg) = &mut self.kind
            && let Some(amount_to) = details.amount_to
        {
            leg.amount_to = amount_to;
        }
        self.updated_at = now;
        !was_final && self.phase.is_final()
    }

    /// Applies an order details answer. Returns true when the row just became final.
    pub fn apply_order(&mut self, details: &OrderDetails, now: DateTime<Utc>) -> bool {
        let was_final = self.phase.is_final();
        match &details.status {
            status if status.is_success() => self.phase = Phase::Completed,
            OrderStatus::Expired => self.phase = Phase::Expired,
            status if status.is_failure() => {
                self.phase = Phase::Failed {
                    reason: "the order failed".into(),
                };
            }
            other => self.set_pending(other.as_str()),
        }
        if let LiveKind::Order(leg) = &mut self.kind {
            leg.wallet_address.clone_from(&details.wallet_address);
            leg.confirmations = details.confirmations.zip(details.required_confirmations);
            leg.received = details.received_amount;
            leg.required = details.total_amount_required.or(leg.required);
            leg.transaction_hash.clone_from(&details.transaction_hash);
            leg.payment_expires_at = details.expires_at;
        }
        self.updated_at = now;
        !was_final && self.phase.is_final()
    }
}

/// "P433: insufficient funds" from what the details endpoint said.
pub fn failure_reason(code: Option<&str>, message: Option<&str>) -> String {
    match (code, message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        (None, Some(message)) => message.to_string(),
        (None, None) => "failed (no reason given)".into(),
    }
}

/// The Live pane's rows, newest first, indexed so that a poll answer finds its row in O(1)
/// whatever the number of rows: by intent key and by remote id, each row named by a sequence
/// number so that its position is one subtraction. Reading is a plain slice (`Deref`); every
/// change goes through a method or a [`RowMut`], which keeps the index, the in-flight count
/// and the watch keys touched (see [`watch`]) right.
#[derive(Debug, Default)]
pub struct LiveRows {
    rows: Vec<LiveRow>,
    /// The sequence number of `rows[0]`; `rows[i]` is `first + i`. Adding on top lowers it,
    /// adding at the bottom leaves it: both O(1) in the index. Only an insertion or removal in
    /// the middle (a dismiss, an undo: a key press) renumbers everything.
    first: i64,
    by_key: HashMap<String, i64>,
    /// Every row holding a remote id, of either kind: more than one is a shared id.
    by_remote: RemoteIndex,
    in_flight: usize,
    /// The watch keys (remote id and kind) whose watching may have changed since
    /// [`LiveRows::watch_change`] last ran: each row change notes its keys before and after.
    watch_keys: Vec<watch::WatchKey>,
    /// Every row was renumbered meanwhile: [`LiveRows::watch_change`] compares every row.
    watch_all: bool,
    /// Rows added, or whose status changed, since [`LiveRows::take_touched`] last ran
    /// (sequence numbers), so that whoever follows statuses (the "N s ago" clock) looks at
    /// those rows only: an answer that repeats a row's status touches nothing there.
    touched: Vec<i64>,
    /// Everything was renumbered (or changed) since then: look at every row.
    touched_all: bool,
}

/// What [`LiveRows::take_touched`] hands over.
pub enum Touched<'a> {
    All,
    Rows(TouchedRows<'a>),
}

/// The rows added or changed, in the order they were touched (a row touched twice comes
/// twice); the list's buffer is kept for the next message, so following them allocates nothing.
pub struct TouchedRows<'a> {
    rows: &'a [LiveRow],
    first: i64,
    seqs: std::vec::Drain<'a, i64>,
}

impl<'a> Iterator for TouchedRows<'a> {
    type Item = &'a LiveRow;

    fn next(&mut self) -> Option<&'a LiveRow> {
        let rows = self.rows;
        let first = self.first;
        self.seqs.by_ref().find_map(|seq| {
            usize::try_from(seq - first)
                .ok()
                .and_then(|index| rows.get(index))
        })
    }
}

/// A remote id as the index keys it: P100's ids are UUIDs, kept as their 128 bits (compared
/// inline, no heap string to chase); any other id as its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum RemoteKey {
    Uuid(u128),
    Text(Box<str>),
}

impl RemoteKey {
    fn of(id: &str) -> Self {
        canonical_uuid(id).map_or_else(|| Self::Text(id.into()), Self::Uuid)
    }

    /// The id's text: a UUID's bits give back exactly the canonical text they were read from.
    fn text(&self) -> String {
        match self {
            Self::Uuid(bits) => {
                let hex = format!("{bits:032x}");
                format!(
                    "{}-{}-{}-{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..]
                )
            }
            Self::Text(text) => text.to_string(),
        }
    }
}

/// The 128 bits of `id` when it is a UUID in canonical form (lower-case hex, hyphens at 8, 13,
/// 18 and 23), so that the bits name exactly one text; anything else (upper case included)
/// is kept as text.
fn canonical_uuid(id: &str) -> Option<u128> {
    let bytes = id.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut bits: u128 = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        if matches!(at, 8 | 13 | 18 | 23) {
            if byte != b'-' {
                return None;
            }
            continue;
        }
        let digit = match byte {
            b'0'..=b'9' => byte - b'0',
            b'a'..=b'f' => byte - b'a' + 10,
            _ => return None,
        };
        bits = (bits << 4) | u128::from(digit);
    }
    Some(bits)
}

/// The rows holding one remote id: nearly always one, kept inline.
#[derive(Debug, Clone)]
enum Holders {
    One(i64),
    Many(Vec<i64>),
}

impl Holders {
    fn as_slice(&self) -> &[i64] {
        match self {
            Self::One(seq) => std::slice::from_ref(seq),
            Self::Many(seqs) => seqs,
        }
    }

    fn push(&mut self, seq: i64) {
        match self {
            Self::One(first) => *self = Self::Many(vec![*first, seq]),
            Self::Many(seqs) => seqs.push(seq),
        }
    }

    /// Removes `seq`; true when none is left.
    fn remove(&mut self, seq: i64) -> bool {
        match self {
            Self::One(held) => *held == seq,
            Self::Many(seqs) => {
                seqs.retain(|&held| held != seq);
                match *seqs.as_slice() {
                    [] => true,
                    [only] => {
                        *self = Self::One(only);
                        false
                    }
                    _ => false,
                }
            }
        }
    }
}

/// Rows by remote id: UUIDs in one map keyed by their bits, other ids in one keyed by text, so
/// one lookup of a UUID touches the table alone.
#[derive(Debug, Default)]
struct RemoteIndex {
    uuids: HashMap<u128, Holders>,
    texts: HashMap<Box<str>, Holders>,
}

impl RemoteIndex {
    fn get(&self, id: &str) -> Option<&Holders> {
        match canonical_uuid(id) {
            Some(bits) => self.uuids.get(&bits),
            None => self.texts.get(id),
        }
    }

    fn get_key_ref(&self, key: &RemoteKey) -> Option<&Holders> {
        match key {
            RemoteKey::Uuid(bits) => self.uuids.get(bits),
            RemoteKey::Text(text) => self.texts.get(text),
        }
    }

    fn get_key(&mut self, key: &RemoteKey) -> Option<&mut Holders> {
        match key {
            RemoteKey::Uuid(bits) => self.uuids.get_mut(bits),
            RemoteKey::Text(text) => self.texts.get_mut(text),
        }
    }

    fn add(&mut self, key: RemoteKey, seq: i64) {
        let entry = match key {
            RemoteKey::Uuid(bits) => self.uuids.entry(bits),
            RemoteKey::Text(text) => {
                match self.texts.get_mut(&text) {
                    Some(holders) => holders.push(seq),
                    None => {
                        self.texts.insert(text, Holders::One(seq));
                    }
                }
                return;
            }
        };
        entry
            .and_modify(|holders| holders.push(seq))
            .or_insert(Holders::One(seq));
    }

    fn remove(&mut self, key: &RemoteKey, seq: i64) {
        let empty = self.get_key(key).is_some_and(|holders| holders.remove(seq));
        if empty {
            match key {
                RemoteKey::Uuid(bits) => {
                    self.uuids.remove(bits);
                }
                RemoteKey::Text(text) => {
                    self.texts.remove(text);
                }
            }
        }
    }

    fn clear(&mut self) {
        self.uuids.clear();
        self.texts.clear();
    }
}

impl std::ops::Deref for LiveRows {
    type Target = [LiveRow];

    fn deref(&self) -> &[LiveRow] {
        &self.rows
    }
}

/// The sequence number of the row at `index` (a Vec index always fits an i64).
fn seq_at(first: i64, index: usize) -> i64 {
    first.saturating_add(i64::try_from(index).unwrap_or(i64::MAX))
}

impl<'a> IntoIterator for &'a LiveRows {
    type Item = &'a LiveRow;
    type IntoIter = std::slice::Iter<'a, LiveRow>;

    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

impl LiveRows {
    fn position(&self, seq: i64) -> Option<usize> {
        usize::try_from(seq - self.first)
            .ok()
            .filter(|&index| index < self.rows.len())
    }

    fn index_row(&mut self, index: usize) {
        let seq = seq_at(self.first, index);
        let row = &self.rows[index];
        self.by_key.insert(row.key.clone(), seq);
        if let Some(id) = &row.remote_id {
            let remote = RemoteKey::of(id);
            self.watch_keys.push(watch::WatchKey {
                is_order: row.is_order(),
                remote: remote.clone(),
            });
            self.by_remote.add(remote, seq);
        }
        if !row.phase.is_final() {
            self.in_flight += 1;
        }
        self.touched.push(seq);
    }

    /// Renumbers every row from 0 (after a change in the middle): O(N), on a key press or a
    /// team list re-read only. The watch set is then compared in full (a row removed here
    /// leaves no key behind).
    fn reindex(&mut self) {
        self.touched.clear();
        self.touched_all = true;
        self.first = 0;
        self.by_key.clear();
        self.by_remote.clear();
        self.in_flight = 0;
        for index in 0..self.rows.len() {
            self.index_row(index);
        }
        self.watch_keys.clear();
        self.watch_all = true;
    }

    /// Adds a row on top (the newest).
    pub fn push_front(&mut self, row: LiveRow) {
        self.rows.insert(0, row);
        self.first -= 1;
        self.index_row(0);
    }

    /// Adds a row at the bottom (the oldest; a journal replay adds them in this order).
    pub fn push_back(&mut self, row: LiveRow) {
        self.rows.push(row);
        self.index_row(self.rows.len() - 1);
    }

    /// Puts a row at `index` (clamped to the end).
    pub fn insert(&mut self, index: usize, row: LiveRow) {
        let index = index.min(self.rows.len());
        self.rows.insert(index, row);
        self.reindex();
    }

    pub fn remove(&mut self, index: usize) -> Option<LiveRow> {
        (index < self.rows.len()).then(|| {
            let row = self.rows.remove(index);
            self.reindex();
            row
        })
    }

    /// Keeps only the rows `keep` accepts, in order; O(N) (a team list re-read, not an answer).
    pub fn retain(&mut self, keep: impl FnMut(&LiveRow) -> bool) {
        let before = self.rows.len();
        self.rows.retain(keep);
        if self.rows.len() != before {
            self.reindex();
        }
    }

    /// The row at `index`, to change; the index follows the change when it is dropped.
    pub fn get_mut(&mut self, index: usize) -> Option<RowMut<'_>> {
        let row = self.rows.get(index)?;
        let before = Before {
            remote: row.remote_id.as_deref().map(RemoteKey::of),
            was_final: row.phase.is_final(),
            is_order: row.is_order(),
            verdicts: WatchRule::verdicts(&row.phase),
            status: status_fingerprint(&row.phase),
        };
        Some(RowMut {
            rows: self,
            index,
            before,
        })
    }

    pub fn position_of_key(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).and_then(|&seq| self.position(seq))
    }

    /// The first row (newest first) of this kind holding `remote_id`.
    pub fn position_of_remote(&self, remote_id: &str, is_order: bool) -> Option<usize> {
        self.remote_row(remote_id, is_order).map(|(index, _)| index)
    }

    /// The first row (newest first) of this kind holding `remote_id`, and how many rows of any
    /// kind hold it (more than one: a shared id): one lookup for a poll answer.
    pub fn remote_row(&self, remote_id: &str, is_order: bool) -> Option<(usize, usize)> {
        let seqs = self.by_remote.get(remote_id)?.as_slice();
        let index = seqs
            .iter()
            .filter_map(|&seq| self.position(seq))
            .filter(|&index| matches!(self.rows[index].kind, LiveKind::Order(_)) == is_order)
            .min()?;
        Some((index, seqs.len()))
    }

    /// How many rows (of any kind) carry `remote_id`.
    pub fn holding(&self, remote_id: &str) -> usize {
        self.by_remote
            .get(remote_id)
            .map_or(0, |holders| holders.as_slice().len())
    }

    /// Rows not final: kept as a count, not counted per frame.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The rows added or changed since the last call (O(changes), not O(rows)).
    pub fn take_touched(&mut self) -> Touched<'_> {
        if std::mem::take(&mut self.touched_all) {
            // reindex() ran after the seqs were noted: `index_row` refilled them; drop them.
            self.touched.clear();
            return Touched::All;
        }
        Touched::Rows(TouchedRows {
            rows: &self.rows,
            first: self.first,
            seqs: self.touched.drain(..),
        })
    }
}

/// A row being changed; when dropped, the index learns what changed (its remote id, whether
/// it is final, which watch keys it touched), in O(1).
pub struct RowMut<'a> {
    rows: &'a mut LiveRows,
    index: usize,
    before: Before,
}

/// What the index holds about a row before a change (no copy of a UUID's text).
struct Before {
    remote: Option<RemoteKey>,
    was_final: bool,
    is_order: bool,
    /// Whether each [`WatchRule`] wanted it watched.
    verdicts: [bool; 2],
    status: u64,
}

/// What a `RowMut` remembers of a row's status word before a change, so that an answer
/// repeating the word (most answers do) copies nothing: a fingerprint of the phase's kind and,
/// for a pending row, the API's word. A collision (about 1 in 2^64) would only leave that
/// row's "N ago" counting from its previous change; what the clock keeps per row is the word
/// itself (`freshness::StatusClock`).
fn status_fingerprint(phase: &Phase) -> u64 {
    use std::hash::{Hash, Hasher};
    // SipHash with fixed keys: the same word gives the same fingerprint within the process.
    let mut hasher = std::hash::DefaultHasher::new();
    std::mem::discriminant(phase).hash(&mut hasher);
    if let Phase::Pending { status } = phase {
        status.hash(&mut hasher);
    }
    hasher.finish()
}

impl std::ops::Deref for RowMut<'_> {
    type Target = LiveRow;

    fn deref(&self) -> &LiveRow {
        &self.rows.rows[self.index]
    }
}

impl std::ops::DerefMut for RowMut<'_> {
    fn deref_mut(&mut self) -> &mut LiveRow {
        &mut self.rows.rows[self.index]
    }
}

impl Drop for RowMut<'_> {
    fn drop(&mut self) {
        let seq = seq_at(self.rows.first, self.index);
        let row = &self.rows.rows[self.index];
        let Before {
            remote: old_remote,
            was_final,
            is_order: was_order,
            verdicts,
            status,
        } = &self.before;
        if *status != status_fingerprint(&row.phase) {
            self.rows.touched.push(seq);
        }
        let remote = row.remote_id.as_deref().map(RemoteKey::of);
        let remote_changed = remote != *old_remote;
        if remote_changed {
            if let Some(old) = old_remote {
                self.rows.by_remote.remove(old, seq);
            }
            if let Some(new) = &remote {
                self.rows.by_remote.add(new.clone(), seq);
            }
        }
        let is_final = row.phase.is_final();
        if is_final != *was_final {
            if is_final {
                self.rows.in_flight -= 1;
            } else {
                self.rows.in_flight += 1;
            }
        }
        // Whether the poller watches this row's id can have changed: note the key it had and
        // the key it has (the id as its index key: no copy of a UUID's text).
        let is_order = row.is_order();
        if remote_changed || is_order != *was_order || WatchRule::verdicts(&row.phase) != *verdicts
        {
            if let Some(old) = old_remote {
                self.rows.watch_keys.push(watch::WatchKey {
                    is_order: *was_order,
                    remote: old.clone(),
                });
            }
            if let Some(new) = remote {
                self.rows.watch_keys.push(watch::WatchKey {
                    is_order,
                    remote: new,
                });
            }
        }
    }
}

#[derive(Debug, Default)]
pub struct LivePane {
    /// Newest first.
    pub rows: LiveRows,
    pub selection: Selection,
}

impl LivePane {
    /// The oldest failing check among rows still in flight: the pane is stale since then.
    pub fn stale(&self) -> Option<&Stale> {
        self.rows
            .iter()
            .filter(|row| !row.phase.is_final())
            .filter_map(|row| row.check_failed.as_ref())
            .min_by_key(|stale| stale.since)
    }

    pub fn selected_index(&self) -> Option<usize> {
        self.selection
            .locate(self.rows.len(), |index| self.rows[index].key.as_str())
    }

    pub fn selected(&self) -> Option<&LiveRow> {
        self.selected_index().map(|index| &self.rows[index])
    }

    pub fn find_by_key_mut(&mut self, key: &str) -> Option<RowMut<'_>> {
        let index = self.rows.position_of_key(key)?;
        self.rows.get_mut(index)
    }

    pub fn find_by_remote_mut(&mut self, remote_id: &str) -> Option<RowMut<'_>> {
        let index = [
            self.rows.position_of_remote(remote_id, false),
            self.rows.position_of_remote(remote_id, true),
        ]
        .into_iter()
        .flatten()
        .min()?;
        self.rows.get_mut(index)
    }

    /// How many rows (of any kind) carry `remote_id`: more than one means the id is shared and
    /// no answer about it may be applied to any of them.
    pub fn rows_holding(&self, remote_id: &str) -> usize {
        self.rows.holding(remote_id)
    }

    /// Adds a row on top and selects it.
    pub fn push(&mut self, row: LiveRow) {
        let key = row.key.clone();
        self.rows.push_front(row);
        self.selection.select(&key, 0);
    }

    /// Removes the selected row if it is final. Pending rows cannot be dismissed: they are
    /// money in flight.
    pub fn dismiss_selected(&mut self) -> bool {
        let Some(index) = self.selected_index() else {
            return false;
        };
        if !self.rows[index].phase.is_final() {
            return false;
        }
        self.rows.remove(index);
        let ids: Vec<&str> = self.rows.iter().map(|row| row.key.as_str()).collect();
        self.selection.follow(&ids);
        true
    }

    /// Every row the poller must watch while it polls them all, sorted, each once: the whole
    /// set, O(N) (for tests and counts; the poller is told changes, see [`watch`]).
    pub fn watch_targets(&self) -> Vec<WatchTarget> {
        let mut targets: Vec<WatchTarget> = self
            .rows
            .iter()
            .filter_map(|row| row.watch_target(WatchRule::InFlight))
            .collect();
        targets.sort();
        targets.dedup();
        targets
    }

    /// Rows still in flight (not final), for the header and the quit confirmation.
    pub fn in_flight(&self) -> usize {
        self.rows.in_flight()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn row(key: &str, remote: Option<&str>, order: bool, phase: Phase) -> LiveRow {
        let kind = if order {
            LiveKind::Order(OrderLeg {
                currency: Currency::new("usdc"),
                network: "polygon".into(),
                fiat_amount: Decimal::ONE,
                fiat_currency: Currency::new("eur"),
                crypto_amount: Decimal::ONE,
                wallet_address: None,
                confirmations: None,
                received: None,
                required: None,
                transaction_hash: None,
                payment_expires_at: None,
            })
        } else {
            LiveKind::Exchange(ExchangeLeg {
                from: Currency::new("usdc"),
                to: Currency::new("eur"),
                amount: Decimal::ONE,
                amount_to: Decimal::ONE,
                rate: Decimal::ONE,
            })
        };
        LiveRow {
            key: key.into(),
            remote_id: remote.map(str::to_string),
            lock_id: "lock".into(),
            kind,
            phase,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
            check_failed: None,
        }
    }

    pub(super) fn pending() -> Phase {
        Phase::Pending {
            status: "PENDING".into(),
        }
    }

    #[test]
    fn only_ids_that_can_name_a_resource_are_usable() {
        for good in ["3f0aeaa7-1c2d", "ex_1", "a.b", "ORDER:9", "a?b"] {
            assert!(usable_remote_id(good), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "a\\b", " x", "x\u{1b}[2J"] {
            assert!(!usable_remote_id(bad), "{bad:?}");
        }
        assert!(!usable_remote_id(
            &"x".repeat(crate::api::remote_id::MAX_ID_CHARS + 1)
        ));
    }

    #[test]
    fn successful_and_unsuccessful_are_finals_for_orders_too() {
        let details = |status: &str| -> OrderDetails {
            serde_json::from_value(serde_json::json!({
                "orderId": "o-1", "status": status, "cryptocurrency": "usdc"
            }))
            .expect("details")
        };
        let mut success = row("a", Some("o-1"), true, pending());
        assert!(success.apply_order(&details("successful"), DateTime::<Utc>::UNIX_EPOCH));
        assert_eq!(success.phase, Phase::Completed);
        let mut failure = row("b", Some("o-1"), true, pending());
        assert!(failure.apply_order(&details("UNSUCCESSFUL"), DateTime::<Utc>::UNIX_EPOCH));
        assert!(matches!(failure.phase, Phase::Failed { .. }));
    }

    #[test]
    fn uuids_are_indexed_by_their_bits_and_other_ids_by_their_text() {
        let lower = "3f0aeaa7-1c2d-4e5f-8a9b-0123456789ab";
        assert_eq!(
            canonical_uuid(lower),
            Some(0x3f0a_eaa7_1c2d_4e5f_8a9b_0123_4567_89ab)
        );
        // The bits give the text back (what the poller is told when the row leaves).
        assert_eq!(RemoteKey::of(lower).text(), lower);
        assert_eq!(RemoteKey::of("ex_1").text(), "ex_1");
        for other in [
            "3F0AEAA7-1c2d-4e5f-8a9b-0123456789ab",
            "3f0aeaa7-1c2d-4e5f-8a9b-0123456789a",
            "3f0aeaa7x1c2d-4e5f-8a9b-0123456789ab",
            "3f0aeaa7-1c2d-4e5f-8a9b-0123456789ag",
            "ex_1",
        ] {
            assert_eq!(canonical_uuid(other), None, "{other}");
        }
        // Upper and lower case are two ids (P100's ids are opaque): two rows, not one shared.
        let upper = lower.to_uppercase();
        let mut pane = LivePane::default();
        pane.push(row("a", Some(lower), false, pending()));
        pane.push(row("b", Some(&upper), false, pending()));
        assert_eq!(pane.rows_holding(lower), 1);
        assert_eq!(pane.rows_holding(&upper), 1);
        // A third row takes the lower-case id: shared; when it lets go, held once again.
        pane.push(row("c", None, false, Phase::Sending));
        pane.find_by_key_mut("c").expect("c").remote_id = Some(lower.into());
        assert_eq!(pane.rows.remote_row(lower, false), Some((0, 2)));
        assert_eq!(pane.rows.remote_row(lower, true), None, "kinds never mix");
        pane.find_by_key_mut("c").expect("c").remote_id = None;
        assert_eq!(pane.rows.remote_row(lower, false), Some((2, 1)));
        assert_eq!(pane.rows.remote_row(&upper, false), Some((1, 1)));
    }

    #[test]
    fn the_index_follows_every_change() {
        let mut pane = LivePane::default();
        pane.push(row("a", Some("x-1"), false, pending()));
        pane.push(row("b", Some("o-1"), true, pending()));
        pane.rows.push_back(row("c", None, false, Phase::Sending));
        // Newest first: b, a, c.
        assert_eq!(pane.rows.position_of_key("b"), Some(0));
        assert_eq!(pane.rows.position_of_key("c"), Some(2));
        assert_eq!(pane.rows.position_of_remote("x-1", false), Some(1));
        assert_eq!(
            pane.rows.position_of_remote("x-1", true),
            None,
            "kinds never mix"
        );
        assert_eq!(pane.in_flight(), 3);

        // c gets the id a holds: a shared id, held twice.
        pane.find_by_key_mut("c").expect("c").remote_id = Some("x-1".into());
        assert_eq!(pane.rows_holding("x-1"), 2);
        pane.find_by_key_mut("a").expect("a").phase = Phase::Completed;
        assert_eq!(pane.in_flight(), 2);

        // A dismiss in the middle renumbers; every lookup still lands on its row.
        pane.selection.select("a", 1);
        assert!(pane.dismiss_selected());
        assert_eq!(pane.rows.position_of_key("a"), None);
        assert_eq!(pane.rows.position_of_key("c"), Some(1));
        assert_eq!(pane.rows.position_of_remote("x-1", false), Some(1));
        assert_eq!(pane.rows_holding("x-1"), 1);
        pane.rows.insert(0, row("d", Some("x-2"), false, pending()));
        pane.push(row("e", None, false, Phase::Sending));
        for (index, key) in ["e", "d", "b", "c"].iter().enumerate() {
            assert_eq!(pane.rows.position_of_key(key), Some(index), "{key}");
        }
        assert_eq!(pane.rows.position_of_remote("x-2", false), Some(1));
        assert_eq!(pane.in_flight(), 4);
    }
}
