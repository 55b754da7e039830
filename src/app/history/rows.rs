//! The loaded history rows, stored compactly (texts in one arena, enums and currencies as small
//! codes) in a deque with stable sequence numbers, and indexed by id.
//!
//! A row is named by its `Seq`: rows pushed on top get smaller numbers, rows appended get larger
//! ones, so a row keeps its number while rows arrive or are dropped at either end, and its
//! position is `seq - front_seq`: O(1). The id index maps a 32-bit hash of the id to the seq of
//! the first row with that id; the rare hash collision goes to a small map keyed by the id
//! itself, so no id is ever stored twice in the common case. Two rows with the same id (a server
//! that sends an id twice) are both kept: the first is indexed, later ones are listed per id.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::api::models::{Currency, Transaction, TransactionStatus, TransactionType};

/// A row's stable name (wrapping: positions are differences, so only the count must fit).
pub type Seq = u32;

/// A piece of the text arena; `len == NONE` means "no text".
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    const NONE: Span = Span {
        start: 0,
        len: u32::MAX,
    };

    fn is_none(self) -> bool {
        self.len == u32::MAX
    }
}

/// One row: 64 bytes (one cache line), texts excluded.
#[derive(Debug, Clone)]
struct CompactRow {
    amount: Decimal,
    amount_to: Decimal,
    /// Microseconds since the epoch; `i64::MIN` when the row had no (readable) time.
    created_micros: i64,
    id: Span,
    description: Span,
    status: u16,
    currency: u16,
    /// 0 when the row has no other leg; otherwise the code + 1.
    currency_to: u16,
    /// A handful of types exist (see [`KIND_CODES`]): one byte, so the row fits 64.
    kind: u8,
    has_amount_to: bool,
}

/// Distinct transaction types kept (the API has seven); past it, "(too many distinct values)".
const KIND_CODES: usize = 1 << 8;
/// Distinct statuses and currencies kept.
const WIDE_CODES: usize = u16::MAX as usize;

/// Room added when the rows or the text arena are full: an eighth of what they hold, so the
/// slack is at most 12.5% (doubling would leave up to half of it unused) and a push stays O(1)
/// amortized.
fn growth(len: usize, at_least: usize) -> usize {
    (len / 8).max(at_least)
}

/// Values interned to `u16` codes. A hostile server could send more distinct statuses than
/// that; past the limit the value is kept as the last code's text, said to be unreadable.
#[derive(Debug)]
struct Interned<T> {
    values: Vec<T>,
    codes: HashMap<T, u16>,
}

impl<T> Default for Interned<T> {
    fn default() -> Self {
        Self {
            values: Vec::new(),
            codes: HashMap::new(),
        }
    }
}

impl<T: Clone + Eq + std::hash::Hash> Interned<T> {
    /// The value's code below `limit` (at most `u16::MAX`): codes up to `limit - 2` name
    /// values, and `limit - 1` names the `overflow` value, which every further value gets.
    fn code(&mut self, value: &T, limit: usize, overflow: impl FnOnce() -> T) -> u16 {
        if let Some(&code) = self.codes.get(value) {
            return code;
        }
        let last = limit.clamp(1, usize::from(u16::MAX)) - 1;
        let code = u16::try_from(self.values.len().min(last)).unwrap_or(u16::MAX - 1);
        if self.values.len() >= last {
            if self.values.len() == last {
                self.values.push(overflow());
            }
            return code;
        }
        self.values.push(value.clone());
        self.codes.insert(value.clone(), code);
        code
    }

    fn get(&self, code: u16) -> &T {
        &self.values[usize::from(code)]
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }
}

/// A borrowed view of one loaded row.
#[derive(Clone, Copy)]
pub struct RowView<'a> {
    store: &'a RowStore,
    row: &'a CompactRow,
    seq: Seq,
}

impl<'a> RowView<'a> {
    pub fn seq(&self) -> Seq {
        self.seq
    }

    pub fn id(&self) -> &'a str {
        self.store.text(self.row.id).unwrap_or("")
    }

    pub fn kind(&self) -> &'a TransactionType {
        self.store.kinds.get(u16::from(self.row.kind))
    }

    pub fn status(&self) -> &'a TransactionStatus {
        self.store.statuses.get(self.row.status)
    }

    pub fn amount(&self) -> Decimal {
        self.row.amount
    }

    pub fn currency(&self) -> &'a Currency {
        self.store.currencies.get(self.row.currency)
    }

    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        (self.row.created_micros != i64::MIN)
            .then(|| DateTime::from_timestamp_micros(self.row.created_micros))
            .flatten()
    }

    pub fn description(&self) -> Option<&'a str> {
        self.store.text(self.row.description)
    }

    pub fn currency_to(&self) -> Option<&'a Currency> {
        self.row
            .currency_to
            .checked_sub(1)
            .map(|code| self.store.currencies.get(code))
    }

    pub fn amount_to(&self) -> Option<Decimal> {
        self.row.has_amount_to.then_some(self.row.amount_to)
    }

    /// The row as the API model (allocates; for detail views and exports, not per frame).
    pub fn to_transaction(&self) -> Transaction {
        Transaction {
            id: self.id().to_string(),
            kind: self.kind().clone(),
            status: self.status().clone(),
            amount: self.amount(),
            currency: self.currency().clone(),
            created_at: self.created_at(),
            description: self.description().map(str::to_string),
            currency_to: self.currency_to().cloned(),
            amount_to: self.amount_to(),
        }
    }

    /// Case-insensitive match of the filter `needle` (already lower case) against type, status,
    /// currencies, id and description; `codes` caches the verdict per interned value.
    pub(super) fn matches(&self, needle: &str, codes: &mut CodeVerdicts) -> bool {
        let store = self.store;
        codes.kind(u16::from(self.row.kind), store, needle)
            || codes.status(self.row.status, store, needle)
            || codes.currency(self.row.currency, store, needle)
            || self
                .row
                .currency_to
                .checked_sub(1)
                .is_some_and(|code| codes.currency(code, store, needle))
            || contains_ignore_case(self.id(), needle)
            || self
                .description()
                .is_some_and(|text| contains_ignore_case(text, needle))
    }
}

/// Per-query verdicts for interned values, so matching 1M rows tests each status text once.
#[derive(Debug, Default)]
pub(super) struct CodeVerdicts {
    kinds: Vec<Option<bool>>,
    statuses: Vec<Option<bool>>,
    currencies: Vec<Option<bool>>,
}

impl CodeVerdicts {
    fn cached(cache: &mut Vec<Option<bool>>, code: u16, test: impl FnOnce() -> bool) -> bool {
        let index = usize::from(code);
        if cache.len() <= index {
            cache.resize(index + 1, None);
        }
        *cache[index].get_or_insert_with(test)
    }

    fn kind(&mut self, code: u16, store: &RowStore, needle: &str) -> bool {
        Self::cached(&mut self.kinds, code, || {
            contains_ignore_case(store.kinds.get(code).as_str(), needle)
        })
    }

    fn status(&mut self, code: u16, store: &RowStore, needle: &str) -> bool {
        Self::cached(&mut self.statuses, code, || {
            contains_ignore_case(store.statuses.get(code).as_str(), needle)
        })
    }

    fn currency(&mut self, code: u16, store: &RowStore, needle: &str) -> bool {
        Self::cached(&mut self.currencies, code, || {
            contains_ignore_case(store.currencies.get(code).as_str(), needle)
        })
    }
}

/// Whether `hay` contains `needle` (lower case), ignoring case; ASCII without allocating.
pub fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if needle.is_ascii() {
        let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
        return hay.len() >= needle.len()
            && hay
                .windows(needle.len())
                .any(|window| window.eq_ignore_ascii_case(needle));
    }
    hay.to_lowercase().contains(needle)
}

type FixedHasher = BuildHasherDefault<DefaultHasher>;

fn id_hash(id: &str) -> u32 {
    let hash = FixedHasher::default().hash_one(id);
    // Both halves folded in: a 32-bit key keeps the index at 8 bytes per row.
    #[allow(clippy::cast_possible_truncation)] // the truncation is the point
    let folded = (hash ^ (hash >> 32)) as u32;
    folded
}

/// The rows, newest first, and their id index.
#[derive(Debug, Default)]
pub struct RowStore {
    rows: VecDeque<CompactRow>,
    /// The seq of `rows[0]`.
    front_seq: Seq,
    /// Ids and descriptions, concatenated; spans point into it.
    text: String,
    /// Bytes of `text` still referenced by a row; the rest is garbage from dropped rows.
    text_live: usize,
    kinds: Interned<TransactionType>,
    statuses: Interned<TransactionStatus>,
    currencies: Interned<Currency>,
    /// Hash of an id -> the first row with that id.
    by_hash: HashMap<u32, Seq, FixedHasher>,
    /// Ids whose hash another id already holds (rare): id -> first row.
    collided: HashMap<Box<str>, Seq>,
    /// Further rows with an id already indexed, in arrival order (a server that repeats ids).
    repeats: HashMap<Box<str>, Vec<Seq>>,
}

/// Where a new row goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Front,
    Back,
}

impl RowStore {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn front_seq(&self) -> Seq {
        self.front_seq
    }

    /// The seq of the row at `position`.
    pub fn seq_at(&self, position: usize) -> Seq {
        // Positions are below `len`, which fits a u32 (the cap is far below it).
        #[allow(clippy::cast_possible_truncation)]
        let offset = position as u32;
        self.front_seq.wrapping_add(offset)
    }

    /// The position of the row `seq`, if it is loaded.
    pub fn position(&self, seq: Seq) -> Option<usize> {
        let position = seq.wrapping_sub(self.front_seq) as usize;
        (position < self.rows.len()).then_some(position)
    }

    pub fn at(&self, position: usize) -> Option<RowView<'_>> {
        self.rows.get(position).map(|row| RowView {
            store: self,
            row,
            seq: self.seq_at(position),
        })
    }

    pub fn get(&self, seq: Seq) -> Option<RowView<'_>> {
        self.position(seq).and_then(|position| self.at(position))
    }

    fn text(&self, span: Span) -> Option<&str> {
        if span.is_none() {
            return None;
        }
        let start = span.start as usize;
        self.text.get(start..start + span.len as usize)
    }

    /// The first loaded row with this id.
    pub fn find(&self, id: &str) -> Option<Seq> {
        self.find_nth(id, 0)
    }

    /// The `nth` loaded row with this id (0 = the indexed one).
    pub fn find_nth(&self, id: &str, nth: usize) -> Option<Seq> {
        let first = match self.by_hash.get(&id_hash(id)) {
            Some(&seq) if self.get(seq).is_some_and(|row| row.id() == id) => Some(seq),
            _ => self.collided.get(id).copied(),
        }?;
        if nth == 0 {
            return Some(first);
        }
        self.repeats.get(id)?.get(nth - 1).copied()
    }

    /// Stores `tx` at one end as a new row whose id is the `nth` with that id.
    pub fn push(&mut self, tx: &Transaction, end: End, nth: usize) -> Seq {
        let row = self.compact(tx);
        if self.rows.len() == self.rows.capacity() {
            self.rows.reserve_exact(growth(self.rows.len(), 64));
        }
        let seq = match end {
            End::Front => {
                self.front_seq = self.front_seq.wrapping_sub(1);
                self.rows.push_front(row);
                self.front_seq
            }
            End::Back => {
                self.rows.push_back(row);
                self.seq_at(self.rows.len() - 1)
            }
        };
        if nth == 0 {
            let hash = id_hash(&tx.id);
            match self.by_hash.get(&hash) {
                Some(&held) if self.get(held).is_some_and(|row| row.id() != tx.id) => {
                    self.collided.insert(tx.id.as_str().into(), seq);
                }
                _ => {
                    self.by_hash.insert(hash, seq);
                }
            }
        } else {
            self.repeats
                .entry(tx.id.as_str().into())
                .or_default()
                .push(seq);
        }
        seq
    }

    /// Replaces the fields of a loaded row (same id) with a newer answer.
    pub fn update(&mut self, seq: Seq, tx: &Transaction) {
        let Some(position) = self.position(seq) else {
            return;
        };
        let old_description = self.rows[position].description;
        let same_description = self.text(old_description) == tx.description.as_deref();
        let mut row = self.compact_fields(tx);
        row.id = self.rows[position].id;
        if same_description {
            row.description = old_description;
        } else {
            self.release(old_description);
            row.description = self.store_text(tx.description.as_deref());
        }
        self.rows[position] = row;
    }

    /// Drops `count` rows from one end, with their index entries.
    pub fn drop_rows(&mut self, end: End, count: usize) {
        for _ in 0..count.min(self.rows.len()) {
            let (row, seq) = match end {
                End::Front => {
                    let seq = self.front_seq;
                    let Some(row) = self.rows.pop_front() else {
                        break;
                    };
                    self.front_seq = self.front_seq.wrapping_add(1);
                    (row, seq)
                }
                End::Back => {
                    let seq = self.seq_at(self.rows.len().saturating_sub(1));
                    let Some(row) = self.rows.pop_back() else {
                        break;
                    };
                    (row, seq)
                }
            };
            self.unindex(&row, seq);
            self.release(row.id);
            self.release(row.description);
        }
        self.compact_text_if_sparse();
    }

    fn unindex(&mut self, row: &CompactRow, seq: Seq) {
        let start = row.id.start as usize;
        let Some(id) = self.text.get(start..start + row.id.len as usize) else {
            return;
        };
        let hash = id_hash(id);
        if self.by_hash.get(&hash) == Some(&seq) {
            self.by_hash.remove(&hash);
        } else if self.collided.get(id) == Some(&seq) {
            self.collided.remove(id);
        } else if let Some(list) = self.repeats.get_mut(id) {
            list.retain(|&s| s != seq);
            if list.is_empty() {
                self.repeats.remove(id);
            }
        }
    }

    fn compact(&mut self, tx: &Transaction) -> CompactRow {
        let mut row = self.compact_fields(tx);
        row.id = self.store_text(Some(&tx.id));
        row.description = self.store_text(tx.description.as_deref());
        row
    }

    fn compact_fields(&mut self, tx: &Transaction) -> CompactRow {
        let too_many = || TransactionStatus::Other("(too many distinct values)".into());
        CompactRow {
            amount: tx.amount,
            amount_to: tx.amount_to.unwrap_or_default(),
            created_micros: tx.created_at.map_or(i64::MIN, |at| at.timestamp_micros()),
            id: Span::NONE,
            description: Span::NONE,
            kind: u8::try_from(self.kinds.code(&tx.kind, KIND_CODES, || {
                TransactionType::Other("(too many distinct values)".into())
            }))
            .unwrap_or(u8::MAX),
            status: self.statuses.code(&tx.status, WIDE_CODES, too_many),
            currency: self
                .currencies
                .code(&tx.currency, WIDE_CODES, || Currency::new("(too many)")),
            currency_to: tx.currency_to.as_ref().map_or(0, |currency| {
                self.currencies
                    .code(currency, WIDE_CODES, || Currency::new("(too many)"))
                    .saturating_add(1)
            }),
            has_amount_to: tx.amount_to.is_some(),
        }
    }

    fn store_text(&mut self, text: Option<&str>) -> Span {
        let Some(text) = text else {
            return Span::NONE;
        };
        if self.text.len() + text.len() > u32::MAX as usize {
            self.compact_text();
        }
        // Past 4 GiB of live text (not reachable with the row cap) the text is not kept.
        let (Ok(start), Ok(len)) = (u32::try_from(self.text.len()), u32::try_from(text.len()))
        else {
            return Span::NONE;
        };
        if u64::from(start) + u64::from(len) > u64::from(u32::MAX) || len == u32::MAX {
            return Span::NONE;
        }
        if self.text.capacity() - self.text.len() < text.len() {
            self.text
                .reserve_exact(growth(self.text.len(), 4_096).max(text.len()));
        }
        self.text.push_str(text);
        self.text_live += text.len();
        Span { start, len }
    }

    fn release(&mut self, span: Span) {
        if !span.is_none() {
            self.text_live = self.text_live.saturating_sub(span.len as usize);
        }
    }

    /// Rebuilds the arena once garbage outweighs live text: amortized O(1) per dropped row.
    fn compact_text_if_sparse(&mut self) {
        if self.text.len() > 64 * 1024 && self.text.len() > 2 * self.text_live {
            self.compact_text();
        }
    }

    fn compact_text(&mut self) {
        let mut text = String::with_capacity(self.text_live);
        let old = std::mem::take(&mut self.text);
        let mut copy = |span: &mut Span| {
            if span.is_none() {
                return;
            }
            let start = span.start as usize;
            let piece = &old[start..start + span.len as usize];
            span.start = u32::try_from(text.len()).unwrap_or(0);
            text.push_str(piece);
        };
        for row in &mut self.rows {
            copy(&mut row.id);
            copy(&mut row.description);
        }
        self.text_live = text.len();
        self.text = text;
    }

    /// Interned tables' sizes, for tests.
    pub fn interned(&self) -> (usize, usize, usize) {
        (self.kinds.len(), self.statuses.len(), self.currencies.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(id: &str, description: Option<&str>) -> Transaction {
        Transaction {
            id: id.into(),
            kind: TransactionType::Exchange,
            status: TransactionStatus::Pending,
            amount: Decimal::new(15, 1),
            currency: Currency::new("eur"),
            created_at: DateTime::from_timestamp_micros(1_700_000_000_123_456),
            description: description.map(str::to_string),
            currency_to: Some(Currency::new("usdc")),
            amount_to: Some(Decimal::new(17, 1)),
        }
    }

    #[test]
    fn a_row_is_64_bytes_and_reads_back_as_sent() {
        assert_eq!(std::mem::size_of::<CompactRow>(), 64);
        let mut store = RowStore::default();
        let sent = tx("a1", Some("Exchange"));
        let seq = store.push(&sent, End::Back, 0);
        assert_eq!(store.get(seq).map(|row| row.to_transaction()), Some(sent));
        let plain = Transaction {
            description: None,
            currency_to: None,
            amount_to: None,
            created_at: None,
            ..tx("b2", None)
        };
        let seq = store.push(&plain, End::Front, 0);
        assert_eq!(store.position(seq), Some(0));
        assert_eq!(store.get(seq).map(|row| row.to_transaction()), Some(plain));
    }

    #[test]
    fn ids_are_found_after_pushes_and_drops_at_both_ends() {
        let mut store = RowStore::default();
        for n in 0..100 {
            store.push(&tx(&format!("b{n}"), None), End::Back, 0);
            store.push(&tx(&format!("f{n}"), Some("x")), End::Front, 0);
        }
        let seq = store.find("b10").expect("indexed");
        assert_eq!(store.position(seq), Some(110));
        store.drop_rows(End::Front, 50);
        assert_eq!(store.find("f99"), None);
        assert_eq!(store.position(seq), Some(60));
        store.drop_rows(End::Back, 80);
        assert_eq!(store.find("b99"), None);
        assert_eq!(store.find("b10").and_then(|s| store.position(s)), Some(60));
        assert_eq!(store.len(), 70);
    }

    #[test]
    fn a_repeated_id_is_a_second_row_found_by_occurrence() {
        let mut store = RowStore::default();
        let first = store.push(&tx("same", None), End::Back, 0);
        let second = store.push(&tx("same", Some("again")), End::Back, 1);
        assert_eq!(store.find_nth("same", 0), Some(first));
        assert_eq!(store.find_nth("same", 1), Some(second));
        store.drop_rows(End::Back, 1);
        assert_eq!(store.find_nth("same", 1), None);
        assert_eq!(store.find("same"), Some(first));
    }

    #[test]
    fn the_text_arena_is_compacted_once_mostly_garbage() {
        let mut store = RowStore::default();
        let long = "d".repeat(1_000);
        for n in 0..200 {
            store.push(&tx(&format!("r{n}"), Some(&long)), End::Back, 0);
        }
        store.drop_rows(End::Front, 190);
        assert!(store.text.len() < 20_000, "{}", store.text.len());
        assert_eq!(
            store
                .find("r195")
                .and_then(|s| store.get(s))
                .map(|r| r.id()),
            Some("r195")
        );
    }

    #[test]
    fn past_its_codes_a_table_names_every_further_value_too_many() {
        let mut store = RowStore::default();
        for n in 0..300 {
            let kind = TransactionType::Other(format!("KIND_{n}"));
            store.push(
                &Transaction {
                    kind,
                    ..tx(&format!("k{n}"), None)
                },
                End::Back,
                0,
            );
        }
        let kind_of = |id: &str| {
            let seq = store.find(id).expect("held");
            store.get(seq).map(|row| row.kind().as_str().to_string())
        };
        assert_eq!(kind_of("k0").as_deref(), Some("KIND_0"));
        assert_eq!(kind_of("k254").as_deref(), Some("KIND_254"));
        for late in ["k255", "k299"] {
            assert_eq!(kind_of(late).as_deref(), Some("(too many distinct values)"));
        }
        assert_eq!(store.interned().0, KIND_CODES);
    }

    #[test]
    fn case_insensitive_contains() {
        assert!(contains_ignore_case("SEPA_DEPOSIT", "sepa"));
        assert!(contains_ignore_case("Überweisung", "über"));
        assert!(!contains_ignore_case("eur", "usdc"));
    }
}
