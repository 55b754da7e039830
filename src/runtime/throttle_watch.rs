//! Tells the app when the client-wide pause P100 asked for starts, moves or ends, so the header
//! can say "throttled until HH:MM:SS" and a confirm can be refused before anything is sent.

use std::time::Instant;

use chrono::Utc;

use crate::api::ApiClient;
use crate::app::msg::Msg;

/// The pause last reported to the app.
#[derive(Debug, Default)]
pub(super) struct ThrottleWatch {
    reported: Option<Instant>,
}

impl ThrottleWatch {
    /// `Msg::Throttle` when the client's pause differs from the one last reported.
    pub(super) fn changed(&mut self, client: &ApiClient) -> Option<Msg> {
        let until = client.throttled_until();
        if until == self.reported {
            return None;
        }
        self.reported = until;
        let until = until.and_then(|until| {
            let left = until.saturating_duration_since(Instant::now());
            chrono::Duration::from_std(left)
                .ok()
                .and_then(|left| Utc::now().checked_add_signed(left))
        });
        Some(Msg::Throttle { until })
    }
}
