//! Unknown outcomes and restarts: reading state back from the history until an attempt is
//! found or proven absent, and resuming what the journal says was in flight.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::cmd::{Cmd, ReconcileQuery};
use super::live::{LiveKind, LiveRow, Phase};
use super::{App, Level, short_id};
use crate::api::error::ApiError;
use crate::api::models::TransactionType;
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

impl App {
    /// Unknown outcomes still being looked for in the history.
    pub fn reconciling_count(&self) -> usize {
        self.reconciling.len()
    }

    pub(super) fn on_reconcile_due(&mut self, intent: &str) -> Vec<Cmd> {
        let exclude: Vec<String> = self
            .live
            .rows
            .iter()
            .filter_map(|row| row.remote_id.clone())
            .collect();
        let Some(row) = self.live.rows.iter().find(|row| row.key == intent) else {
            return Vec::new();
        };
        if !matches!(row.phase, Phase::Unknown { .. }) || row.remote_id.is_some() {
            return Vec::new();
        }
        // Allow for clock skew between this machine and P100.
        let since = row.created_at - chrono::Duration::minutes(2);
        let query = match &row.kind {
            LiveKind::Exchange(leg) => ReconcileQuery {
                kind: TransactionType::Exchange,
                currency: leg.from.clone(),
                amount: leg.amount,
                currency_to: Some(leg.to.clone()),
                since,
                exclude,
            },
            LiveKind::Order(leg) => ReconcileQuery {
                kind: TransactionType::Order,
                currency: leg.fiat_currency.clone(),
                amount: leg.fiat_amount,
                currency_to: None,
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
        result: Result<Option<String>, ApiError>,
    ) -> Vec<Cmd> {
        let now = self.now;
        let policy = self.reconcile_policy;
        let Some(state) = self.reconciling.get_mut(intent) else {
            return Vec::new();
        };
        state.delay = (state.delay * 2).clamp(policy.first * 2, policy.max.max(policy.first * 2));
        let again = state.delay;
        let outcome = match result {
            Ok(Some(remote_id)) => Some((Some(remote_id), "found in the transaction history")),
            Ok(None) => {
                state.misses += 1;
                let first = *state.first_miss_at.get_or_insert(now);
                let span_ok = (now - first).to_std().unwrap_or_default() >= policy.min_span;
                (state.misses >= policy.misses && span_ok)
                    .then_some((None, "not in the transaction history: it was not applied"))
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
        if let Some(row) = self.live.find_by_key_mut(intent) {
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

    /// Rows from the journal that were still in flight when the desk last stopped: watched
    /// again (or reconciled) before any ticket can be opened.
    pub fn resume(&mut self, records: &[IntentRecord], damaged_lines: &[usize]) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        for record in records.iter().filter(|r| r.standing != Standing::Finished) {
            let phase = match (&record.remote_id, &record.standing) {
                (Some(_), _) => Phase::Pending {
                    status: "RESUMED".into(),
                },
                (None, _) => Phase::Unknown {
                    reason: "the desk stopped before the outcome was known".into(),
                },
            };
            let unknown = matches!(phase, Phase::Unknown { .. });
            let Some(mut row) = LiveRow::from_intent(&record.opened, phase) else {
                continue;
            };
            row.remote_id.clone_from(&record.remote_id);
            row.updated_at = record.last_at;
            self.live.rows.push(row);
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
            self.note(
                Level::Warning,
                format!(
                    "Journal: {} unreadable line(s) skipped ({:?}); resumed {resumed} in flight",
                    damaged_lines.len(),
                    damaged_lines
                ),
            );
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
