//! Submitting a confirmed ticket: the intent for the journal, the row in Live, the one POST,
//! and what its answer means for the row (queued, refused, or unknown and to be reconciled).

use chrono::{DateTime, Utc};

use super::cmd::Cmd;
use super::keymap::Pane;
use super::live::{LiveRow, Phase};
use super::money_actions::TradeAccepted;
use super::msg::SubmitError;
use super::reconcile::Reconciling;
use super::ticket::{Stage, each_kind};
use super::trade_kind::TradeKind;
use super::{App, Level, Overlay, short_id};
use crate::api::error::ApiError;
use crate::journal::{Entry, Event};

impl App {
    pub(super) fn new_intent(&mut self, prefix: &str) -> String {
        self.intent_counter += 1;
        format!(
            "{prefix}-{}-{}",
            self.now.format("%Y%m%dT%H%M%S%3f"),
            self.intent_counter
        )
    }

    pub(super) fn journal_entry(&self, intent: &str, event: Event) -> Entry {
        Entry {
            at: self.now,
            profile: self.session.profile.clone(),
            environment: self.session.environment.label().to_ascii_lowercase(),
            intent: intent.to_string(),
            event,
        }
    }

    /// The Live row of an attempt about to be sent, built from its journal intent.
    fn push_sending_row(&mut self, entry: &Entry) {
        if let Some(row) = LiveRow::from_intent(entry, Phase::Sending) {
            self.live.push(row);
        }
    }

    /// The action the user confirmed: the journal line and the POST come from the intent
    /// (what was typed) plus the lock's id; the rate and amounts journaled are the ones the
    /// user saw. The POST must leave before `deadline` or not at all.
    pub(super) fn submit<K: TradeKind>(
        &mut self,
        intent: &K::Intent,
        lock: &K::Lock,
        deadline: DateTime<Utc>,
    ) -> Vec<Cmd> {
        let key = self.new_intent(K::INTENT_PREFIX);
        let entry = self.journal_entry(&key, K::intent_event(intent, lock));
        self.push_sending_row(&entry);
        vec![Cmd::Submit {
            intent: entry,
            post: K::wrap_post(K::post(intent, lock)),
            deadline,
        }]
    }

    /// P100's answer to a money-moving POST: the remote id is claimed for the intent (its
    /// record) and the row follows it.
    pub(super) fn on_submitted_answer(
        &mut self,
        intent: &str,
        result: Result<TradeAccepted, SubmitError>,
    ) -> Vec<Cmd> {
        let result = result.map(|accepted| accepted.remote_id().to_string());
        if let Ok(remote_id) = &result {
            self.records.claim(intent, remote_id);
            // On a relay the team's copy of this row may have arrived first: ours replaces it.
            self.forget_team_copy(remote_id);
        }
        self.on_submitted(intent, result)
    }

    /// The one answer to a money-moving POST. Queued: watch it. Refused: say why, nothing is
    /// pending. Unknown: say so and reconcile by reading back; never re-send.
    fn on_submitted(&mut self, intent: &str, result: Result<String, SubmitError>) -> Vec<Cmd> {
        let now = self.now;
        let Some(mut row) = self.live.find_by_key_mut(intent) else {
            return Vec::new();
        };
        row.updated_at = now;
        // "Exchange", "Order": the row was built from the attempt's own intent line.
        let what = title_case(row.kind_label());
        let what = what.as_str();
        match result {
            Ok(remote_id) => {
                row.phase = Phase::Pending {
                    status: "QUEUED".into(),
                };
                let text = format!("{what} {} queued; watching it", short_id(&remote_id));
                row.remote_id = Some(remote_id);
                drop(row);
                self.ticket = None;
                self.focus = Pane::Live;
                self.note(Level::Info, text);
                Vec::new()
            }
            Err(SubmitError::Api(error)) if error.outcome_unknown() => {
                row.phase = Phase::Unknown {
                    reason: error.user_message(),
                };
                drop(row);
                self.ticket = None;
                self.focus = Pane::Live;
                self.note(
                    Level::Warning,
                    format!(
                        "{what}: outcome unknown ({}); checking, it will not be re-sent",
                        error.short_reason()
                    ),
                );
                self.reconciling
                    .insert(intent.to_string(), Reconciling::default());
                vec![Cmd::ScheduleReconcile {
                    intent: intent.to_string(),
                    after: self.reconcile_policy.first,
                }]
            }
            Err(failure) => {
                let message = match &failure {
                    SubmitError::Api(error) if super::team::approval_required(error).is_some() => {
                        super::team::approval_required(error).unwrap_or_default()
                    }
                    SubmitError::Api(error) => error.user_message(),
                    SubmitError::Journal(error) => format!(
                        "Not sent: the journal could not record it ({error}). Nothing was submitted."
                    ),
                };
                row.phase = Phase::Failed {
                    reason: message.clone(),
                };
                drop(row);
                self.log_only(Level::Error, format!("{what} refused: {message}"));
                let relockable =
                    matches!(&failure, SubmitError::Api(error) if error.is_lock_problem());
                let stage_message = if relockable {
                    format!("{message}\nPress l to lock a new rate.")
                } else {
                    message.clone()
                };
                // Not sent because P100's pause outlasts the lock: say until when, and that
                // `l` locks again. (A shorter 429 is explained as it is.)
                let deadline = self
                    .ticket
                    .as_ref()
                    .and_then(|ticket| each_kind!(ticket, t => t.stage.submit_deadline()));
                let paused_until = match &failure {
                    SubmitError::Api(ApiError::RateLimited {
                        retry_after: Some(wait),
                    }) => chrono::Duration::from_std(*wait)
                        .ok()
                        .map(|wait| now + wait),
                    _ => None,
                }
                .filter(|until| deadline.is_some_and(|deadline| *until > deadline));
                match self.ticket.as_mut() {
                    Some(ticket) => {
                        each_kind!(ticket, t => t.stage = refused(paused_until, stage_message));
                    }
                    None => {
                        self.overlay = Some(Overlay::Error {
                            title: format!("{what} refused"),
                            message,
                        });
                    }
                }
                Vec::new()
            }
        }
    }
}

/// "EXCHANGE" as "Exchange", for the start of a message.
fn title_case(label: &str) -> String {
    let lower = label.to_lowercase();
    let mut chars = lower.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The stage of a ticket whose POST was refused: throttled (until when) or rejected (why).
fn refused<L>(paused_until: Option<DateTime<Utc>>, message: String) -> Stage<L> {
    match paused_until {
        Some(until) => Stage::Throttled { until },
        None => Stage::Rejected { message },
    }
}

/// Journal line for a row that just became final.
pub(super) fn final_event(phase: &Phase) -> Event {
    let reason = match phase {
        Phase::Failed { reason } => Some(reason.clone()),
        _ => None,
    };
    Event::Final {
        status: phase.label(),
        reason,
    }
}
