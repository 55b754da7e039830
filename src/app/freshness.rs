//! When a pane's data was last loaded, whether a load is running, and why it is stale.

use chrono::{DateTime, Utc};

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
