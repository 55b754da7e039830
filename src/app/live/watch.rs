//! The watch set: which Live rows the poller checks, told to it as changes.
//!
//! The poller is told which rows join and which leave, never the whole set again, so that a row
//! getting its id or going final costs the app and the poller O(1) (a few hash lookups) with
//! 10,000 rows in flight, not a walk over all of them. [`LiveRows`] notes the watch keys its
//! changes touch (a row's remote id and kind, before and after); [`LiveRows::watch_change`]
//! looks at those keys only and compares them with what the poller was told
//! ([`WatchedSet`]). Only a renumbering of the rows (a dismiss, an undo, a team list re-read:
//! O(N) by themselves) and a change of rule compare every row.

use std::collections::HashSet;

use super::{LiveKind, LiveRow, LiveRows, Phase, RemoteKey};

/// What the poller should watch: kind and remote id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WatchTarget {
    Exchange(String),
    Order(String),
}

impl WatchTarget {
    pub fn new(is_order: bool, id: String) -> Self {
        if is_order {
            Self::Order(id)
        } else {
            Self::Exchange(id)
        }
    }
}

/// Which rows the poller must check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WatchRule {
    /// Every row in flight that has an id: pending, or unknown and read back.
    #[default]
    InFlight,
    /// Only unknown rows: while a team relay pushes P100's events, those move pending rows.
    /// An unknown outcome's answer may never be an event (the relay may not have seen the
    /// POST's outcome either): it is read back.
    UnknownOnly,
}

impl WatchRule {
    const ALL: [Self; 2] = [Self::InFlight, Self::UnknownOnly];

    pub fn wants(self, phase: &Phase) -> bool {
        match self {
            Self::InFlight => phase.needs_watching(),
            Self::UnknownOnly => matches!(phase, Phase::Unknown { .. }),
        }
    }

    /// Each rule's verdict on `phase`: a change of phase that changes none of them leaves the
    /// watch set as it is under any rule.
    pub(super) fn verdicts(phase: &Phase) -> [bool; 2] {
        Self::ALL.map(|rule| rule.wants(phase))
    }
}

/// A change of the watch set, as the app tells the poller. Each row appears once; nothing is
/// in both lists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WatchChange {
    pub removed: Vec<WatchTarget>,
    pub added: Vec<WatchTarget>,
}

impl WatchChange {
    pub fn adding(added: Vec<WatchTarget>) -> Self {
        Self {
            removed: Vec::new(),
            added,
        }
    }

    pub fn removing(removed: Vec<WatchTarget>) -> Self {
        Self {
            removed,
            added: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty()
    }
}

/// What the poller was told to watch (the sum of every [`WatchChange`] sent), and under which
/// rule, so that the next change is computed against it. Kept by index key (a UUID as its
/// bits), so that looking a row up here hashes 17 bytes and allocates nothing; the id's text
/// is made only for a row that joins or leaves.
#[derive(Debug, Default)]
pub struct WatchedSet {
    told: HashSet<WatchKey>,
    rule: WatchRule,
}

impl WatchedSet {
    pub fn len(&self) -> usize {
        self.told.len()
    }

    pub fn is_empty(&self) -> bool {
        self.told.is_empty()
    }

    /// The set, sorted (for tests and diagnostics: O(N log N)).
    pub fn sorted(&self) -> Vec<WatchTarget> {
        let mut targets: Vec<WatchTarget> = self.told.iter().map(WatchKey::target).collect();
        targets.sort();
        targets
    }
}

/// A remote id and kind: one row the poller may watch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct WatchKey {
    pub(super) is_order: bool,
    pub(super) remote: RemoteKey,
}

impl WatchKey {
    fn target(&self) -> WatchTarget {
        WatchTarget::new(self.is_order, self.remote.text())
    }
}

impl LiveRow {
    pub fn is_order(&self) -> bool {
        matches!(self.kind, LiveKind::Order(_))
    }

    /// The target the poller watches for this row under `rule`, if it watches it.
    pub(super) fn watch_target(&self, rule: WatchRule) -> Option<WatchTarget> {
        self.watch_key(rule).as_ref().map(WatchKey::target)
    }

    fn watch_key(&self, rule: WatchRule) -> Option<WatchKey> {
        if !rule.wants(&self.phase) {
            return None;
        }
        let id = self.remote_id.as_deref()?;
        Some(WatchKey {
            is_order: self.is_order(),
            remote: RemoteKey::of(id),
        })
    }
}

impl LiveRows {
    /// The next [`watch_change`](Self::watch_change) compares every row (a new poller, or a
    /// new record of what it was told).
    pub fn rewatch_all(&mut self) {
        self.watch_keys.clear();
        self.watch_all = true;
    }

    /// Whether some row of this kind holding this id is to be watched under `rule` (nearly
    /// always one row to look at: ids are shared only by a lying server).
    fn wanted(&self, key: &WatchKey, rule: WatchRule) -> bool {
        self.by_remote
            .get_key_ref(&key.remote)
            .is_some_and(|holders| {
                holders
                    .as_slice()
                    .iter()
                    .filter_map(|&seq| self.position(seq))
                    .map(|index| &self.rows[index])
                    .any(|row| row.is_order() == key.is_order && rule.wants(&row.phase))
            })
    }

    /// What changed in the watch set under `rule` since `watched` was last brought up to date,
    /// and brings it up to date: O(keys touched) since then, O(N) after a renumbering or a
    /// change of rule. `None` when nothing changed (most poll answers).
    pub fn watch_change(
        &mut self,
        watched: &mut WatchedSet,
        rule: WatchRule,
    ) -> Option<WatchChange> {
        if rule != watched.rule {
            watched.rule = rule;
            self.watch_all = true;
        }
        let mut change = WatchChange::default();
        if std::mem::take(&mut self.watch_all) {
            self.watch_keys.clear();
            let wanted: HashSet<WatchKey> = self
                .rows
                .iter()
                .filter_map(|row| row.watch_key(rule))
                .collect();
            change.removed = watched
                .told
                .difference(&wanted)
                .map(WatchKey::target)
                .collect();
            change.added = wanted
                .difference(&watched.told)
                .map(WatchKey::target)
                .collect();
            change.removed.sort();
            change.added.sort();
            watched.told = wanted;
        } else {
            let mut keys = std::mem::take(&mut self.watch_keys);
            for key in keys.drain(..) {
                if self.wanted(&key, rule) {
                    if !watched.told.contains(&key) {
                        change.added.push(key.target());
                        watched.told.insert(key);
                    }
                } else if watched.told.remove(&key) {
                    change.removed.push(key.target());
                }
            }
            // The buffer is kept for the next change.
            self.watch_keys = keys;
        }
        (!change.is_empty()).then_some(change)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{pending, row};
    use super::super::{LivePane, Phase};
    use super::*;

    fn unknown() -> Phase {
        Phase::Unknown {
            reason: "timeout".into(),
        }
    }

    fn exchange(id: &str) -> WatchTarget {
        WatchTarget::Exchange(id.into())
    }

    fn order(id: &str) -> WatchTarget {
        WatchTarget::Order(id.into())
    }

    const UUID: &str = "3f0aeaa7-1c2d-4e5f-8a9b-0123456789ab";

    #[test]
    fn each_change_of_a_row_sends_only_that_row() {
        let mut pane = LivePane::default();
        let mut watched = WatchedSet::default();
        let rule = WatchRule::InFlight;
        pane.push(row("a", Some("id-b"), false, pending()));
        pane.push(row("b", Some(UUID), true, pending()));
        pane.push(row("c", None, false, Phase::Sending));
        assert_eq!(
            pane.rows.watch_change(&mut watched, rule),
            Some(WatchChange::adding(vec![exchange("id-b"), order(UUID)]))
        );
        assert_eq!(pane.rows.watch_change(&mut watched, rule), None);

        // The sending row gets its id: one more to watch.
        {
            let mut top = pane.rows.get_mut(0).expect("a row");
            top.remote_id = Some("id-c".into());
            top.phase = pending();
        }
        assert_eq!(
            pane.rows.watch_change(&mut watched, rule),
            Some(WatchChange::adding(vec![exchange("id-c")]))
        );

        // An answer that changes the status word only: nothing to tell.
        pane.rows.get_mut(1).expect("a row").phase = Phase::Pending {
            status: "PROCESSING".into(),
        };
        assert_eq!(pane.rows.watch_change(&mut watched, rule), None);

        // A row (a UUID, kept as its bits) goes final: that row leaves, by its text.
        pane.rows.get_mut(1).expect("a row").phase = Phase::Completed;
        assert_eq!(
            pane.rows.watch_change(&mut watched, rule),
            Some(WatchChange::removing(vec![order(UUID)]))
        );

        // Same id, other kind: one leaves, the other joins.
        let other = pane.rows[1].kind.clone();
        pane.rows.get_mut(0).expect("a row").kind = other;
        assert_eq!(
            pane.rows.watch_change(&mut watched, rule),
            Some(WatchChange {
                removed: vec![exchange("id-c")],
                added: vec![order("id-c")],
            })
        );
        assert_eq!(watched.sorted(), pane.watch_targets());
    }

    #[test]
    fn a_shared_id_is_watched_while_any_of_its_rows_needs_it() {
        let mut pane = LivePane::default();
        let mut watched = WatchedSet::default();
        let rule = WatchRule::InFlight;
        pane.push(row("a", Some("x-1"), false, pending()));
        pane.push(row("b", Some("x-1"), false, pending()));
        assert_eq!(
            pane.rows.watch_change(&mut watched, rule),
            Some(WatchChange::adding(vec![exchange("x-1")]))
        );
        pane.find_by_key_mut("a").expect("a").phase = Phase::Completed;
        assert_eq!(pane.rows.watch_change(&mut watched, rule), None);
        pane.find_by_key_mut("b").expect("b").phase = Phase::Completed;
        assert_eq!(
            pane.rows.watch_change(&mut watched, rule),
            Some(WatchChange::removing(vec![exchange("x-1")]))
        );
    }

    #[test]
    fn a_change_of_rule_compares_every_row_and_after_it_changes_are_small_again() {
        let mut pane = LivePane::default();
        let mut watched = WatchedSet::default();
        pane.push(row("a", Some("ex-1"), false, pending()));
        pane.push(row("b", Some("ex-2"), false, unknown()));
        assert_eq!(
            pane.rows
                .watch_change(&mut watched, WatchRule::InFlight)
                .map(|change| change.added.len()),
            Some(2)
        );
        // Push goes live: the pending row is left to the relay's events.
        assert_eq!(
            pane.rows.watch_change(&mut watched, WatchRule::UnknownOnly),
            Some(WatchChange::removing(vec![exchange("ex-1")]))
        );
        // A pending row turning unknown joins under this rule (not under the other).
        pane.find_by_key_mut("a").expect("a").phase = unknown();
        assert_eq!(
            pane.rows.watch_change(&mut watched, WatchRule::UnknownOnly),
            Some(WatchChange::adding(vec![exchange("ex-1")]))
        );
        pane.find_by_key_mut("b").expect("b").phase = pending();
        assert_eq!(
            pane.rows.watch_change(&mut watched, WatchRule::UnknownOnly),
            Some(WatchChange::removing(vec![exchange("ex-2")]))
        );
        // Push goes down: everything in flight is polled again.
        assert_eq!(
            pane.rows.watch_change(&mut watched, WatchRule::InFlight),
            Some(WatchChange::adding(vec![exchange("ex-2")]))
        );
        assert_eq!(watched.sorted(), pane.watch_targets());
    }

    #[test]
    fn a_renumbering_compares_every_row_and_loses_no_removal() {
        let mut pane = LivePane::default();
        let mut watched = WatchedSet::default();
        let rule = WatchRule::InFlight;
        pane.push(row("a", Some("ex-1"), false, pending()));
        pane.push(row("b", Some("ex-2"), false, pending()));
        pane.push(row("c", Some("ex-3"), false, pending()));
        let _ = pane.rows.watch_change(&mut watched, rule);
        // The middle row goes final and is dismissed before anyone asks (one update).
        pane.find_by_key_mut("b").expect("b").phase = Phase::Completed;
        pane.selection.select("b", 1);
        assert!(pane.dismiss_selected());
        pane.rows
            .insert(1, row("d", Some("ex-4"), false, pending()));
        assert_eq!(
            pane.rows.watch_change(&mut watched, rule),
            Some(WatchChange {
                removed: vec![exchange("ex-2")],
                added: vec![exchange("ex-4")],
            })
        );
        assert_eq!(watched.sorted(), pane.watch_targets());
    }

    #[test]
    fn many_changes_in_one_update_add_up_to_the_set_the_rows_want() {
        // A small random walk over every way a row changes: after each burst of changes, the
        // changes sent, applied in order to a set of their own (as the poller applies them),
        // add up to the set the rows want.
        let mut pane = LivePane::default();
        let mut watched = WatchedSet::default();
        let mut poller: HashSet<WatchTarget> = HashSet::new();
        let phases = [pending(), unknown(), Phase::Completed, Phase::Sending];
        // A UUID with leading zeros (its bits print back with them), one in upper case (kept
        // as text: another id), and plain texts.
        let ids = [
            "x-1",
            "x-2",
            UUID,
            "00000000-0000-4000-8000-00000000000a",
            "3F0AEAA7-1C2D-4E5F-8A9B-0123456789AB",
        ];
        for n in 0..8 {
            pane.push(row(&format!("r{n}"), None, n % 3 == 0, Phase::Sending));
        }
        let mut seed: u64 = 7;
        let mut next = move |bound: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap_or(0) % bound
        };
        let mut added = 8;
        for step in 0..2_000 {
            let index = next(pane.rows.len());
            match next(7) {
                // A dismiss (renumbers), then a row added in the middle or on top.
                5 => {
                    pane.rows.remove(index);
                    added += 1;
                    let fresh = row(
                        &format!("r{added}"),
                        Some(ids[next(ids.len())]),
                        next(2) == 0,
                        phases[next(phases.len())].clone(),
                    );
                    if next(2) == 0 {
                        pane.rows.insert(next(pane.rows.len() + 1), fresh);
                    } else {
                        pane.push(fresh);
                    }
                }
                choice => {
                    let other_kind = pane.rows[next(pane.rows.len())].kind.clone();
                    let mut row = pane.rows.get_mut(index).expect("a row");
                    match choice {
                        0 | 1 => row.phase = phases[next(phases.len())].clone(),
                        2 => row.remote_id = Some(ids[next(ids.len())].to_string()),
                        3 => row.remote_id = None,
                        _ => row.kind = other_kind,
                    }
                }
            }
            if step % 5 == 4 {
                let rule = if step % 200 < 100 {
                    WatchRule::InFlight
                } else {
                    WatchRule::UnknownOnly
                };
                if let Some(change) = pane.rows.watch_change(&mut watched, rule) {
                    for gone in &change.removed {
                        assert!(poller.remove(gone), "step {step}: {gone:?} was not watched");
                    }
                    for new in change.added {
                        assert!(poller.insert(new), "step {step}: added twice");
                    }
                }
                let wanted: HashSet<WatchTarget> = pane
                    .rows
                    .iter()
                    .filter_map(|row| row.watch_target(rule))
                    .collect();
                assert_eq!(poller, wanted, "step {step}");
                assert_eq!(watched.len(), wanted.len(), "step {step}");
            }
        }
    }
}
