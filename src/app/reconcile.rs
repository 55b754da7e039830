//! Unknown outcomes and restarts: reading state back from the history until an attempt is
//! found, proven absent, or found ambiguous (then the user decides), and resuming what the
//! journal says was in flight. A remote id some intent of the journal holds is never claimed
//! by another.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::answers::printable;
use super::cmd::{Cmd, ReconcileQuery};
use super::live::{LiveKind, LiveRow, Phase, usable_remote_id};
use super::{App, Level, short_id};
use crate::api::error::ApiError;
use crate::api::models::{Currency, TransactionType};
use crate::journal::{Event, IntentRecord, Standing};

/// How an unknown outcome is read back. The history may lag the POST a little, so one empty
/// read proves nothing: an attempt is declared "not applied" only after `misses` successful
/// history reads found nothing, spread over at least `min_span`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcilePolicy {
    /// The first look after the unknown outcome.
    pub first: Duration,
    /// The backoff cap between looks.
    pub max: Duration,
    pub misses: u32,
    pub min_span: Duration,
    /// A history row is the attempt only if it was created within this before the send (clock
    /// skew between this machine and P100) ...
    pub window_before: Duration,
    /// ... or within this after it (P100's queue).
    pub window_after: Duration,
    /// How far before the send the history is read, so that a lookalike just outside the
    /// window is seen and makes the verdict ambiguous instead of being ignored.
    pub lookback: Duration,
}

impl ReconcilePolicy {
    /// The same policy, waiting at least `span` before any "not applied" verdict.
    #[must_use]
    pub fn with_min_span_at_least(self, span: Duration) -> Self {
        Self {
            min_span: self.min_span.max(span),
            ..self
        }
    }
}

impl Default for ReconcilePolicy {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(1),
            max: Duration::from_secs(16),
            misses: 3,
            min_span: Duration::from_secs(5),
            window_before: Duration::from_secs(2 * 60),
            window_after: Duration::from_secs(10 * 60),
            lookback: Duration::from_secs(60 * 60),
        }
    }
}

/// Progress of reconciling one unknown attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciling {
    pub misses: u32,
    pub first_miss_at: Option<DateTime<Utc>>,
    pub delay: Duration,
}

/// A history row that could be the attempt: same kind, pair and amount, claimed by no intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub created_at: Option<DateTime<Utc>>,
    pub status: String,
    pub amount: Decimal,
    pub currency: Currency,
    pub currency_to: Option<Currency>,
    pub amount_to: Option<Decimal>,
    /// Created inside the time window around the send (set by the app, not the search).
    pub in_window: bool,
}

/// How the history's candidates decide an unknown attempt (also the team relay's rule).
pub enum Verdict {
    /// Exactly one candidate, inside the window, and nothing else alike.
    Found(String),
    /// Nothing alike in the history (yet).
    Nothing,
    /// Two or more, or one outside the window: the user decides.
    Ambiguous(Vec<Candidate>),
}

/// One candidate inside the time window around `sent_at` is the attempt; none is nothing (yet);
/// anything else is for a person to decide. Marks each candidate's `in_window`.
pub fn verdict(
    mut candidates: Vec<Candidate>,
    sent_at: DateTime<Utc>,
    policy: &ReconcilePolicy,
) -> Verdict {
    let before = chrono::Duration::from_std(policy.window_before).unwrap_or_default();
    let after = chrono::Duration::from_std(policy.window_after).unwrap_or_default();
    candidates.dedup_by(|a, b| a.id == b.id);
    for candidate in &mut candidates {
        candidate.in_window = candidate
            .created_at
            .is_some_and(|at| at >= sent_at - before && at <= sent_at + after);
    }
    match candidates.as_slice() {
        [] => Verdict::Nothing,
        [only] if only.in_window => Verdict::Found(only.id.clone()),
        _ => Verdict::Ambiguous(candidates),
    }
}

impl App {
    /// Unknown outcomes still being looked for in the history.
    pub fn reconciling_count(&self) -> usize {
        self.reconciling.len()
    }

    pub(super) fn on_reconcile_due(&mut self, intent: &str) -> Vec<Cmd> {
        let Some(row) = self.live.rows.iter().find(|row| row.key == intent) else {
            return Vec::new();
        };
        if !matches!(row.phase, Phase::Unknown { .. }) || row.remote_id.is_some() {
            return Vec::new();
        }
        let sent_at = row.created_at;
        let since = sent_at
            - chrono::Duration::from_std(self.reconcile_policy.lookback).unwrap_or_default();
        // Every id any intent of the journal holds (live, final or dismissed): never a match.
        let exclude = self.records.claimed_ids();
        let query = match &row.kind {
            LiveKind::Exchange(leg) => ReconcileQuery {
                kind: TransactionType::Exchange,
                currency: leg.from.clone(),
                amount: leg.amount,
                currency_to: Some(leg.to.clone()),
                sent_at,
                since,
                exclude,
            },
            LiveKind::Order(leg) => ReconcileQuery {
                kind: TransactionType::Order,
                currency: leg.fiat_currency.clone(),
                amount: leg.fiat_amount,
                currency_to: None,
                sent_at,
                since,
                exclude,
            },
        };
        vec![Cmd::Reconcile {
            intent: intent.to_string(),
            query,
        }]
    }

    pub(super) fn on_reconciled(
        &mut self,
        intent: &str,
        result: Result<Vec<Candidate>, ApiError>,
    ) -> Vec<Cmd> {
        let now = self.now;
        let policy = self.reconcile_policy;
        let Some(sent_at) = self
            .live
            .rows
            .iter()
            .find(|row| row.key == intent)
            .map(|row| row.created_at)
        else {
            self.reconciling.remove(intent);
            return Vec::new();
        };
        // Claims may have changed since the search was sent: check again, here.
        let result = result.map(|candidates| {
            candidates
                .into_iter()
                .filter(|c| !self.records.held_by_another(&c.id, intent))
                .collect::<Vec<_>>()
        });
        let Some(state) = self.reconciling.get_mut(intent) else {
            return Vec::new();
        };
        state.delay = (state.delay * 2).clamp(policy.first * 2, policy.max.max(policy.first * 2));
        let again = state.delay;
        let outcome = match result.map(|candidates| verdict(candidates, sent_at, &policy)) {
            Ok(Verdict::Found(remote_id)) => {
                Some((Some(remote_id), "found in the transaction history"))
            }
            Ok(Verdict::Nothing) => {
                state.misses += 1;
                let first = *state.first_miss_at.get_or_insert(now);
                let span_ok = (now - first).to_std().unwrap_or_default() >= policy.min_span;
                (state.misses >= policy.misses && span_ok)
                    .then_some((None, "not in the transaction history: it was not applied"))
            }
            Ok(Verdict::Ambiguous(candidates)) => {
                self.reconciling.remove(intent);
                return self.ambiguous(intent, candidates);
            }
            // Could not read the history: look again later; this proves nothing.
            Err(_) => None,
        };
        let Some((remote_id, note)) = outcome else {
            return vec![Cmd::ScheduleReconcile {
                intent: intent.to_string(),
                after: again,
            }];
        };
        self.reconciling.remove(intent);
        let entry = self.journal_entry(
            intent,
            Event::Reconciled {
                remote_id: remote_id.clone(),
                note: note.to_string(),
            },
        );
        match &remote_id {
            Some(id) => self.records.claim(intent, id),
            None => {
                self.records.mark_final(intent);
            }
        }
        if let Some(mut row) = self.live.find_by_key_mut(intent) {
            row.updated_at = now;
            match &remote_id {
                Some(id) => {
                    row.remote_id = Some(id.clone());
                    row.phase = Phase::Pending {
                        status: "RECONCILED".into(),
                    };
                }
                None => {
                    row.phase = Phase::Failed {
                        reason: format!("Not applied: {note}"),
                    };
                }
            }
        }
        let text = match &remote_id {
            Some(id) => format!(
                "Unknown outcome resolved: {} was queued; watching it",
                short_id(id)
            ),
            None => "Unknown outcome resolved: it was not applied (nothing moved)".to_string(),
        };
        self.note(Level::Info, text);
        vec![Cmd::Journal(entry)]
    }

    /// The history cannot say which row is the attempt: the row says so and lists them; the
    /// user decides (nothing is journaled until then, and a restart looks again).
    fn ambiguous(&mut self, intent: &str, candidates: Vec<Candidate>) -> Vec<Cmd> {
        let count = candidates.len();
        let inside = candidates.iter().filter(|c| c.in_window).count();
        let text = format!(
            "Ambiguous: {count} history row(s) could be this attempt ({inside} inside the time \
             window); nothing is assumed. Press Enter to see them, ] to pick one, a to mark it \
             applied as that id, n to mark it not applied"
        );
        self.records.note_row(intent, text.clone());
        if let Some(mut row) = self.live.find_by_key_mut(intent) {
            row.updated_at = self.now;
            row.phase = Phase::Ambiguous {
                candidates,
                chosen: 0,
            };
        }
        self.note(Level::Warning, text);
        Vec::new()
    }

    /// The row a resolution key acts on: the one whose detail is open, else the selected one.
    fn resolution_target(&self) -> Option<String> {
        if let Some(super::Overlay::LiveDetail(key)) = &self.overlay {
            return Some(key.clone());
        }
        self.live.selected().map(|row| row.key.clone())
    }

    /// Whether the row a resolution key would act on is ambiguous (the keys are offered then).
    pub fn selected_is_ambiguous(&self) -> bool {
        self.resolution_target().is_some_and(|key| {
            self.live
                .rows
                .iter()
                .any(|row| row.key == key && matches!(row.phase, Phase::Ambiguous { .. }))
        })
    }

    /// `]`: highlight the next candidate of an ambiguous row.
    pub fn next_candidate(&mut self) -> Vec<Cmd> {
        let Some(key) = self.resolution_target() else {
            return Vec::new();
        };
        if let Some(mut row) = self.live.find_by_key_mut(&key)
            && let LiveRow {
                phase: Phase::Ambiguous { candidates, chosen },
                ..
            } = &mut *row
        {
            *chosen = (*chosen + 1) % candidates.len().max(1);
        } else {
            self.note(
                Level::Warning,
                "Only an ambiguous row has candidates to pick",
            );
        }
        Vec::new()
    }

    /// `a`: the user says the attempt was applied, as the highlighted candidate's id.
    pub fn mark_applied(&mut self) -> Vec<Cmd> {
        let Some(key) = self.resolution_target() else {
            return Vec::new();
        };
        let chosen = match self.live.rows.iter().find(|row| row.key == key) {
            Some(LiveRow {
                phase: Phase::Ambiguous { candidates, chosen },
                ..
            }) => candidates.get(*chosen).cloned(),
            _ => None,
        };
        let Some(candidate) = chosen else {
            self.note(
                Level::Warning,
                "Only an ambiguous row can be marked applied",
            );
            return Vec::new();
        };
        if self.records.held_by_another(&candidate.id, &key) || !usable_remote_id(&candidate.id) {
            self.note(
                Level::Warning,
                format!(
                    "{} is held by another attempt (or unusable): pick another candidate",
                    printable(&candidate.id)
                ),
            );
            return Vec::new();
        }
        let operator = self.records.operator.clone();
        let entry = self.journal_entry(
            &key,
            Event::Resolved {
                remote_id: Some(candidate.id.clone()),
                by: operator.clone(),
                note: format!("marked applied as {} by {operator}", candidate.id),
            },
        );
        self.records.claim(&key, &candidate.id);
        let now = self.now;
        if let Some(mut row) = self.live.find_by_key_mut(&key) {
            row.remote_id = Some(candidate.id.clone());
            row.updated_at = now;
            row.phase = Phase::Pending {
                status: "RESOLVED".into(),
            };
        }
        self.note(
            Level::Info,
            format!(
                "Marked applied as {} (by {operator}); watching it",
                short_id(&candidate.id)
            ),
        );
        vec![Cmd::Journal(entry)]
    }

    /// `n`: the user says the attempt was not applied.
    pub fn mark_not_applied(&mut self) -> Vec<Cmd> {
        let Some(key) = self.resolution_target() else {
            return Vec::new();
        };
        let ambiguous = self
            .live
            .rows
            .iter()
            .any(|row| row.key == key && matches!(row.phase, Phase::Ambiguous { .. }));
        if !ambiguous {
            self.note(
                Level::Warning,
                "Only an ambiguous row can be marked not applied",
            );
            return Vec::new();
        }
        let operator = self.records.operator.clone();
        let note = format!("marked not applied by {operator}");
        let entry = self.journal_entry(
            &key,
            Event::Resolved {
                remote_id: None,
                by: operator,
                note: note.clone(),
            },
        );
        self.records.mark_final(&key);
        let now = self.now;
        if let Some(mut row) = self.live.find_by_key_mut(&key) {
            row.updated_at = now;
            row.phase = Phase::Failed {
                reason: format!("Not applied: {note}"),
            };
        }
        self.note(Level::Info, format!("Not applied: {note}"));
        vec![Cmd::Journal(entry)]
    }

    /// Rows from the journal that were still in flight when the desk last stopped: watched
    /// again (or reconciled) before any ticket can be opened. Every id the journal knows is
    /// claimed first, so no reconciliation can hand it to another intent.
    pub fn resume(&mut self, records: &[IntentRecord], damaged_lines: &[usize]) -> Vec<Cmd> {
        self.records.load(records);
        let mut cmds = Vec::new();
        for record in records.iter().filter(|r| r.standing != Standing::Finished) {
            let usable = record
                .remote_id
                .as_deref()
                .filter(|id| usable_remote_id(id));
            let phase = match usable {
                Some(_) => Phase::Pending {
                    status: "RESUMED".into(),
                },
                None => Phase::Unknown {
                    reason: "the desk stopped before the outcome was known".into(),
                },
            };
            let unknown = usable.is_none();
            let Some(mut row) = LiveRow::from_intent(&record.opened, phase) else {
                continue;
            };
            row.remote_id = usable.map(str::to_string);
            row.updated_at = record.last_at;
            for note in &record.notes {
                self.records.note_row(&record.intent, note.clone());
            }
            self.live.rows.push_back(row);
            if unknown {
                self.reconciling
                    .insert(record.intent.clone(), Reconciling::default());
                cmds.push(Cmd::ScheduleReconcile {
                    intent: record.intent.clone(),
                    after: self.reconcile_policy.first,
                });
            }
        }
        let ids: Vec<&str> = self.live.rows.iter().map(|r| r.key.as_str()).collect();
        self.live.selection.follow(&ids);
        let resumed = self.live.rows.len();
        if !damaged_lines.is_empty() {
            let warning = format!(
                "Journal: {} unreadable line(s) skipped ({:?}); resumed {resumed} in flight",
                damaged_lines.len(),
                damaged_lines
            );
            self.records.replay_warnings.push(warning.clone());
            self.note(Level::Warning, warning);
        } else if resumed > 0 {
            self.note(
                Level::Info,
                format!("Resumed watching {resumed} row(s) from the journal"),
            );
        }
        if let Some(watch) = self.watch_changes() {
            cmds.push(watch);
        }
        cmds
    }
}
