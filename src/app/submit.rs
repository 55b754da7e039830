//! Submitting a confirmed ticket: the intent for the journal, the row in Live, the one POST,
//! and what its answer means for the row (queued, refused, or unknown and to be reconciled).

use rust_decimal::Decimal;

use super::cmd::Cmd;
use super::keymap::Pane;
use super::live::{LiveRow, Phase};
use super::msg::SubmitError;
use super::reconcile::Reconciling;
use super::ticket::{ORDER_FIAT, Stage, Ticket};
use super::{App, Level, Overlay, short_id};
use crate::api::models::{
    Currency, ExchangeAccepted, ExchangeLock, ExchangeRequest, OrderCreated, OrderLock,
};
use crate::journal::{Entry, Event};

impl App {
    fn new_intent(&mut self, prefix: &str) -> String {
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

    pub fn submit_exchange(&mut self, lock: ExchangeLock) -> Vec<Cmd> {
        let intent = self.new_intent("ex");
        let entry = self.journal_entry(
            &intent,
            Event::ExchangeIntent {
                from: lock.currency_from.as_str().to_string(),
                to: lock.currency_to.as_str().to_string(),
                amount: lock.amount,
                amount_to: lock.amount_to,
                rate: lock.rate,
                lock_id: lock.lock_id.clone(),
            },
        );
        self.push_sending_row(&entry);
        vec![Cmd::SubmitExchange {
            intent: entry,
            request: ExchangeRequest {
                amount: lock.amount,
                currency_from: lock.currency_from,
                currency_to: lock.currency_to,
                lock_id: lock.lock_id,
            },
        }]
    }

    pub fn submit_order(&mut self, lock: OrderLock, fiat_amount: Decimal) -> Vec<Cmd> {
        let intent = self.new_intent("or");
        let network = lock.network.clone().unwrap_or_else(|| match &self.ticket {
            Some(Ticket::Order(t)) => t.network.clone(),
            _ => String::new(),
        });
        let fiat = lock
            .destination_currency
            .clone()
            .unwrap_or_else(|| Currency::new(ORDER_FIAT));
        let entry = self.journal_entry(
            &intent,
            Event::OrderIntent {
                currency: lock.currency.as_str().to_string(),
                network,
                fiat_amount,
                fiat_currency: fiat.as_str().to_string(),
                crypto_amount: lock.amount,
                rate: lock.rate,
                lock_id: lock.lock_id.clone(),
            },
        );
        self.push_sending_row(&entry);
        vec![Cmd::SubmitOrder {
            intent: entry,
            lock_id: lock.lock_id,
        }]
    }

    pub(super) fn on_exchange_submitted(
        &mut self,
        intent: &str,
        result: Result<ExchangeAccepted, SubmitError>,
    ) -> Vec<Cmd> {
        self.on_submitted(
            intent,
            result.map(|accepted| accepted.exchange_id),
            "Exchange",
        )
    }

    pub(super) fn on_order_submitted(
        &mut self,
        intent: &str,
        result: Result<OrderCreated, SubmitError>,
    ) -> Vec<Cmd> {
        self.on_submitted(intent, result.map(|created| created.order_id), "Order")
    }

    /// The one answer to a money-moving POST. Queued: watch it. Refused: say why, nothing is
    /// pending. Unknown: say so and reconcile by reading back; never re-send.
    fn on_submitted(
        &mut self,
        intent: &str,
        result: Result<String, SubmitError>,
        what: &str,
    ) -> Vec<Cmd> {
        let now = self.now;
        let Some(row) = self.live.find_by_key_mut(intent) else {
            return Vec::new();
        };
        row.updated_at = now;
        match result {
            Ok(remote_id) => {
                row.phase = Phase::Pending {
                    status: "QUEUED".into(),
                };
                let text = format!("{what} {} queued; watching it", short_id(&remote_id));
                row.remote_id = Some(remote_id);
                self.ticket = None;
                self.focus = Pane::Live;
                self.note(Level::Info, text);
                Vec::new()
            }
            Err(SubmitError::Api(error)) if error.outcome_unknown() => {
                row.phase = Phase::Unknown {
                    reason: error.user_message(),
                };
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
                    SubmitError::Api(error) => error.user_message(),
                    SubmitError::Journal(error) => format!(
                        "Not sent: the journal could not record it ({error}). Nothing was submitted."
                    ),
                };
                row.phase = Phase::Failed {
                    reason: message.clone(),
                };
                let relockable =
                    matches!(&failure, SubmitError::Api(error) if error.is_lock_problem());
                let stage_message = if relockable {
                    format!("{message}\nPress l to lock a new rate.")
                } else {
                    message.clone()
                };
                match self.ticket.as_mut() {
                    Some(Ticket::Exchange(t)) => {
                        t.stage = Stage::Rejected {
                            message: stage_message,
                        }
                    }
                    Some(Ticket::Order(t)) => {
                        t.stage = Stage::Rejected {
                            message: stage_message,
                        }
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
