//! Details answers from the poller, checked before they count: an answer must be about the id
//! that was asked for, rows are found by kind and remote id, an id held by more than one row
//! or intent is applied to none of them, a final row stays final, and a final status is
//! journaled once per intent.

use chrono::{DateTime, Utc};

use super::cmd::Cmd;
use super::freshness::Stale;
use super::live::LiveRow;
use super::{App, Level, short_id, submit};
use crate::api::error::ApiError;
use crate::api::models::{ExchangeDetails, OrderDetails};

/// Why a row's status is not being updated although answers arrive.
const FOREIGN_ANSWER: &str = "P100 answered about another id";

impl App {
    pub(super) fn on_exchange_polled(
        &mut self,
        id: &str,
        result: Result<ExchangeDetails, ApiError>,
    ) -> Vec<Cmd> {
        let answered = result.as_ref().ok().map(|d| d.exchange_id.clone());
        self.on_polled(false, id, answered, result, LiveRow::apply_exchange)
    }

    pub(super) fn on_order_polled(
        &mut self,
        id: &str,
        result: Result<OrderDetails, ApiError>,
    ) -> Vec<Cmd> {
        let answered = result.as_ref().ok().map(|d| d.order_id.clone());
        self.on_polled(true, id, answered, result, LiveRow::apply_order)
    }

    /// A details answer for the row of this kind holding `id`: applies it when it may be, or
    /// marks the row's status as unchecked since the first failure (nothing is guessed).
    fn on_polled<T>(
        &mut self,
        is_order: bool,
        id: &str,
        answered: Option<String>,
        result: Result<T, ApiError>,
        apply: impl FnOnce(&mut LiveRow, &T, DateTime<Utc>) -> bool,
    ) -> Vec<Cmd> {
        let now = self.now;
        let what = if is_order { "Order" } else { "Exchange" };
        // One lookup finds the row and how many rows hold the id.
        let Some((index, holding)) = self.live.rows.remote_row(id, is_order) else {
            return Vec::new(); // a stale reply, or one about the other kind: never cross-applied
        };
        if holding > 1 || self.records.is_shared(id) {
            self.flag_shared(id, what);
            return Vec::new();
        }
        if self.live.rows[index].phase.is_final() {
            return Vec::new(); // final is final: a late or contrary answer changes nothing
        }
        match result {
            Ok(details) => {
                let answered = answered.unwrap_or_default();
                if answered != id {
                    let key = self.live.rows[index].key.clone();
                    let text = format!(
                        "{what} {}: {FOREIGN_ANSWER} ({}); answer ignored",
                        short_id(id),
                        printable(&answered)
                    );
                    self.records.note_row(&key, text.clone());
                    let Some(mut row) = self.live.rows.get_mut(index) else {
                        return Vec::new();
                    };
                    let since = row.check_failed.as_ref().map_or(now, |stale| stale.since);
                    row.check_failed = Some(Stale {
                        since,
                        reason: FOREIGN_ANSWER.into(),
                    });
                    drop(row);
                    self.note(Level::Warning, text);
                    return Vec::new();
                }
                self.records.found(&self.live.rows[index].key);
                let Some(mut row) = self.live.rows.get_mut(index) else {
                    return Vec::new();
                };
                row.check_failed = None;
                if apply(&mut row, &details, now) {
                    let text = format!("{what} {} is {}", short_id(id), row.phase.label());
                    let event = submit::final_event(&row.phase);
                    let key = row.key.clone();
                    drop(row);
                    if super::team::is_team_key(&key) {
                        // Another desk's trade: its journal and the team's hold it, not ours.
                        let by = self.team.placed_by(&key).unwrap_or("the team").to_owned();
                        self.note(Level::Info, format!("{text} (placed by {by})"));
                        return self.refresh_for_final();
                    }
                    if self.records.mark_final(&key) {
                        return self.finalized(text, &key, event);
                    }
                    self.note(Level::Info, text);
                }
            }
            Err(error) => {
                let key = self.live.rows[index].key.clone();
                if matches!(error, ApiError::Business { status: 404, .. }) {
                    let since = self.records.not_found(&key, now);
                    if self.records.not_known_since(&key, now).is_some() {
                        self.records.note_row(
                            &key,
                            format!(
                                "P100 does not know this id: 404 since {}",
                                since.format("%H:%M:%S UTC")
                            ),
                        );
                    }
                } else {
                    self.records.found(&key);
                }
                if let Some(mut row) = self.live.rows.get_mut(index) {
                    let since = row.check_failed.as_ref().map_or(now, |stale| stale.since);
                    row.check_failed = Some(Stale {
                        since,
                        reason: error.short_reason(),
                    });
                }
                self.note(
                    Level::Warning,
                    format!(
                        "{what} {} not checked: {}",
                        short_id(id),
                        error.user_message()
                    ),
                );
            }
        }
        Vec::new()
    }

    /// Flags every row and intent holding `id`: it is not known which one P100 means.
    fn flag_shared(&mut self, id: &str, what: &str) {
        let text = format!(
            "id {} is held by more than one attempt: no answer about it is applied",
            printable(id)
        );
        let mut keys: Vec<String> = self.records.holders(id).to_vec();
        for row in &self.live.rows {
            if row.remote_id.as_deref() == Some(id) && !keys.contains(&row.key) {
                keys.push(row.key.clone());
            }
        }
        for key in &keys {
            self.records.note_row(key, text.clone());
        }
        self.note(Level::Warning, format!("{what} {}: {text}", short_id(id)));
    }

    /// Whether the row's remote id is held by another intent too (flagged on screen). Every id a
    /// row gets is claimed in `records`, so this is O(1) per row when drawing.
    pub fn shares_remote_id(&self, row: &LiveRow) -> bool {
        row.remote_id
            .as_deref()
            .is_some_and(|id| self.records.is_shared(id))
    }
}

/// Server text made safe for one line (see `crate::printable`), at most 40 characters.
pub fn printable(text: &str) -> String {
    crate::printable::printable(text).chars().take(40).collect()
}
