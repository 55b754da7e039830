//! When a pane's data was last loaded, whether a load is running, and why it is stale; when
//! each live row's status last changed; and when an "N ago" text on screen next changes.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::App;
use super::live::{LiveRow, LiveRows, Phase, Touched};

/// A failed refresh: the pane keeps showing its last data, marked stale since the first failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    pub since: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Freshness {
    pub loaded_at: Option<DateTime<Utc>>,
    pub loading: bool,
    pub stale: Option<Stale>,
}

impl Freshness {
    pub fn start(&mut self) {
        self.loading = true;
    }

    pub fn succeeded(&mut self, now: DateTime<Utc>) {
        self.loading = false;
        self.loaded_at = Some(now);
        self.stale = None;
    }

    /// Records a failure; `since` stays at the first failure of a run of failures.
    pub fn failed(&mut self, now: DateTime<Utc>, reason: String) {
        self.loading = false;
        let since = self.stale.as_ref().map_or(now, |stale| stale.since);
        self.stale = Some(Stale { since, reason });
    }

    /// Nothing loaded yet and nothing failed: the pane shows "loading".
    pub fn is_first_load(&self) -> bool {
        self.loaded_at.is_none() && self.stale.is_none()
    }
}

/// When each live row's status last changed, so "12s ago" on a row counts from its last status
/// change, not from its creation. A row first seen counts from its last recorded event (its
/// `updated_at`: the journal's last line for a resumed row, the send for a new one); later, from
/// the answer that brought a different status.
#[derive(Debug, Clone, Default)]
pub struct StatusClock {
    since: HashMap<String, (StatusKey, DateTime<Utc>)>,
}

/// A phase as compared for "did the status change": the API's word for pending rows, the
/// phase itself otherwise (an ambiguity's highlighted candidate is not a status change).
#[derive(Debug, Clone, PartialEq, Eq)]
enum StatusKey {
    Pending(String),
    Other(std::mem::Discriminant<Phase>),
}

impl StatusKey {
    fn of(phase: &Phase) -> Self {
        match phase {
            Phase::Pending { status } => Self::Pending(status.clone()),
            other => Self::Other(std::mem::discriminant(other)),
        }
    }

    fn is(&self, phase: &Phase) -> bool {
        match (self, phase) {
            (Self::Pending(old), Phase::Pending { status }) => old == status,
            (Self::Other(old), other) => {
                !matches!(other, Phase::Pending { .. }) && *old == std::mem::discriminant(other)
            }
            _ => false,
        }
    }
}

impl StatusClock {
    /// Notes the statuses of every row in `rows` as of `now` (O(rows)).
    pub fn observe(&mut self, rows: &[LiveRow], now: DateTime<Utc>) {
        for row in rows {
            self.note(row, now);
        }
        self.forget_gone(rows.len(), |key| rows.iter().any(|row| row.key == key));
    }

    /// Notes the statuses of the rows added or changed since the last call (after every
    /// message): O(changes), so a poll answer costs the same with 100 or 10,000 rows.
    pub fn observe_changed(&mut self, rows: &mut LiveRows, now: DateTime<Utc>) {
        match rows.take_touched() {
            Touched::All => {}
            Touched::Rows(changed) => {
                for row in changed {
                    self.note(row, now);
                }
                return;
            }
        }
        for row in rows.iter() {
            self.note(row, now);
        }
        self.forget_gone(rows.len(), |key| rows.position_of_key(key).is_some());
    }

    fn note(&mut self, row: &LiveRow, now: DateTime<Utc>) {
        match self.since.get_mut(&row.key) {
            Some((key, _)) if key.is(&row.phase) => {}
            Some(entry) => *entry = (StatusKey::of(&row.phase), now),
            None => {
                let first = row.updated_at.min(now);
                self.since
                    .insert(row.key.clone(), (StatusKey::of(&row.phase), first));
            }
        }
    }

    /// Dismissed rows may come back (`u`): forget them only when many are gone.
    fn forget_gone(&mut self, rows: usize, holds: impl Fn(&str) -> bool) {
        if self.since.len() > 2 * rows + 64 {
            self.since.retain(|key, _| holds(key));
        }
    }

    /// Since when the row has had its current status, if it was observed.
    pub fn since(&self, key: &str) -> Option<DateTime<Utc>> {
        self.since.get(key).map(|(_, at)| *at)
    }
}

/// The next moment after `now` at which an "N ago" text counted from `since` must be redrawn:
/// every 10 s under a minute, then each minute, hour, day, as its largest unit moves.
pub fn next_age_change(since: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    let age = (now - since).num_seconds().max(0);
    let step = match age {
        0..60 => 10,
        60..3_600 => 60,
        3_600..86_400 => 3_600,
        _ => 86_400,
    };
    let next = since + TimeDelta::seconds((age / step + 1) * step);
    // A time in the future (clock skew) reads "just now" until it passes.
    next.max(now + TimeDelta::seconds(1))
}

impl App {
    /// When the screen must next be redrawn although nothing happened, for the "ago" texts on
    /// screen (panes' "updated 40s ago", live rows' status ages); `None` when none is shown.
    /// Pure: the runtime sleeps until the earliest of this, the next minute and its timers.
    pub fn next_redraw_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let panes = [&self.balances.freshness, &self.history.freshness]
            .into_iter()
            .filter(|freshness| freshness.stale.is_none())
            .filter_map(|freshness| freshness.loaded_at);
        let rows = self
            .live
            .rows
            .iter()
            .map(|row| self.screen.status.since(&row.key).unwrap_or(row.created_at));
        panes
            .chain(rows)
            .map(|since| next_age_change(since, now))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::Currency;
    use crate::app::live::{ExchangeLeg, LiveKind};
    use crate::app::{EnvBadge, SessionInfo};
    use rust_decimal::Decimal;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::seconds(1_800_000_000 + seconds)
    }

    fn row(key: &str, phase: Phase, updated: i64) -> LiveRow {
        LiveRow {
            key: key.into(),
            remote_id: Some(format!("{key}-remote")),
            lock_id: "lock".into(),
            kind: LiveKind::Exchange(ExchangeLeg {
                from: Currency::new("usdc"),
                to: Currency::new("eur"),
                amount: Decimal::ONE,
                amount_to: Decimal::ONE,
                rate: Decimal::ONE,
            }),
            phase,
            created_at: at(0),
            updated_at: at(updated),
            check_failed: None,
        }
    }

    fn pending(status: &str) -> Phase {
        Phase::Pending {
            status: status.into(),
        }
    }

    #[test]
    fn an_age_text_is_redrawn_every_10_s_under_a_minute_then_as_its_unit_moves() {
        let since = at(0);
        assert_eq!(next_age_change(since, at(0)), at(10));
        assert_eq!(next_age_change(since, at(3)), at(10));
        assert_eq!(next_age_change(since, at(10)), at(20));
        assert_eq!(next_age_change(since, at(59)), at(60));
        assert_eq!(next_age_change(since, at(61)), at(120));
        assert_eq!(next_age_change(since, at(3_599)), at(3_600));
        assert_eq!(next_age_change(since, at(3_700)), at(7_200));
        assert_eq!(next_age_change(since, at(90_000)), at(172_800));
        // A time ahead of ours (skew): soon, never in the past.
        assert_eq!(next_age_change(at(100), at(0)), at(110));
        for now in 0..4_000 {
            assert!(next_age_change(since, at(now)) > at(now));
        }
    }

    #[test]
    fn a_status_counts_from_its_last_change_not_from_each_check() {
        let mut clock = StatusClock::default();
        let mut rows = vec![row("a", pending("PENDING"), 5)];
        clock.observe(&rows, at(6));
        assert_eq!(
            clock.since("a"),
            Some(at(5)),
            "first seen: its last recorded event"
        );
        // A check that brings the same status changes nothing.
        rows[0].updated_at = at(30);
        clock.observe(&rows, at(30));
        assert_eq!(clock.since("a"), Some(at(5)));
        rows[0].phase = pending("PROCESSING");
        clock.observe(&rows, at(40));
        assert_eq!(clock.since("a"), Some(at(40)));
        rows[0].phase = Phase::Completed;
        clock.observe(&rows, at(50));
        clock.observe(&rows, at(70));
        assert_eq!(clock.since("a"), Some(at(50)));
        assert_eq!(clock.since("b"), None);
    }

    #[test]
    fn the_next_redraw_is_the_first_age_text_to_change() {
        let session = SessionInfo {
            environment: EnvBadge::Sandbox,
            profile: "test".into(),
            read_only: false,
            bell: false,
            max_exchange_eur: None,
        };
        let mut app = App::new(session, at(0));
        assert_eq!(app.next_redraw_at(at(0)), None, "no age on screen");
        app.balances.freshness.succeeded(at(0));
        assert_eq!(app.next_redraw_at(at(4)), Some(at(10)));
        assert_eq!(app.next_redraw_at(at(10)), Some(at(20)));
        app.history.freshness.succeeded(at(15));
        assert_eq!(app.next_redraw_at(at(21)), Some(at(25)));
        // A stale pane shows "stale since HH:MM:SS", no age.
        app.history.freshness.failed(at(22), "offline".into());
        assert_eq!(app.next_redraw_at(at(22)), Some(at(30)));
        app.live.rows.push_back(row("a", pending("PENDING"), 27));
        app.screen.status.observe(&app.live.rows, at(27));
        assert_eq!(app.next_redraw_at(at(28)), Some(at(30)));
        assert_eq!(app.next_redraw_at(at(31)), Some(at(37)));
    }
}
