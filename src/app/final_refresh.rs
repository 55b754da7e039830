//! Refreshing balances and history after rows go final, at most once per gap: a burst of finals
//! (1,000 rows settling together) costs one refresh per gap, not one per row, yet the last final
//! of a burst is always followed by a refresh.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::App;
use super::cmd::Cmd;

/// The least time between two refreshes caused by finals.
pub const FINAL_REFRESH_GAP: Duration = Duration::from_secs(2);

/// When finals last refreshed the panes, and whether a later refresh is booked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FinalRefresh {
    pub last_at: Option<DateTime<Utc>>,
    /// A `Cmd::ScheduleFinalRefresh` is on its way back as `Msg::FinalRefreshDue`.
    pub booked: bool,
}

impl App {
    /// A row just went final: refresh now, or book one refresh for when the gap ends.
    pub(super) fn refresh_for_final(&mut self) -> Vec<Cmd> {
        if self.final_refresh.booked {
            return Vec::new();
        }
        // A clock that went backwards counts as "just refreshed": the booking still comes back.
        let elapsed = self
            .final_refresh
            .last_at
            .map(|at| (self.now - at).to_std().unwrap_or(Duration::ZERO));
        match elapsed {
            Some(elapsed) if elapsed < FINAL_REFRESH_GAP => {
                self.final_refresh.booked = true;
                vec![Cmd::ScheduleFinalRefresh {
                    after: FINAL_REFRESH_GAP.saturating_sub(elapsed),
                }]
            }
            // A load already running may have been answered before this final: refreshing
            // now would be skipped, so book one for when it is done.
            _ if self.is_loading() => {
                self.final_refresh.booked = true;
                vec![Cmd::ScheduleFinalRefresh {
                    after: FINAL_REFRESH_GAP,
                }]
            }
            _ => {
                self.final_refresh.last_at = Some(self.now);
                self.refresh()
            }
        }
    }

    /// The booked refresh is due. If a load is still running it may have started before the
    /// last final, so wait another gap rather than skip the refresh.
    pub(super) fn on_final_refresh_due(&mut self) -> Vec<Cmd> {
        self.final_refresh.booked = false;
        if self.is_loading() {
            self.final_refresh.booked = true;
            return vec![Cmd::ScheduleFinalRefresh {
                after: FINAL_REFRESH_GAP,
            }];
        }
        self.final_refresh.last_at = Some(self.now);
        self.refresh()
    }

    fn is_loading(&self) -> bool {
        self.balances.freshness.loading || self.history.loading_page.is_some()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rust_decimal::Decimal;

    use super::*;
    use crate::api::models::{Currency, ExchangeDetails, ExchangeStatus};
    use crate::app::live::{ExchangeLeg, LiveKind, LiveRow, Phase};
    use crate::app::msg::Msg;
    use crate::app::{EnvBadge, SessionInfo};

    fn at(millis: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_770_982_200_000 + millis)
            .single()
            .expect("valid time")
    }

    fn app_with_pending(rows: u32) -> App {
        let session = SessionInfo {
            environment: EnvBadge::Sandbox,
            profile: "treasury".into(),
            read_only: false,
            bell: false,
            max_exchange_eur: None,
        };
        let mut app = App::new(session, at(0));
        for n in 0..rows {
            app.live.push(LiveRow {
                key: format!("k{n}"),
                remote_id: Some(format!("x{n}")),
                lock_id: "lock".into(),
                kind: LiveKind::Exchange(ExchangeLeg {
                    from: Currency::new("usdc"),
                    to: Currency::new("eur"),
                    amount: Decimal::ONE,
                    amount_to: Decimal::ONE,
                    rate: Decimal::ONE,
                }),
                phase: Phase::Pending {
                    status: "PENDING".into(),
                },
                created_at: at(0),
                updated_at: at(0),
                check_failed: None,
            });
        }
        app
    }

    fn completed(n: u32) -> Msg {
        Msg::ExchangePolled {
            id: format!("x{n}"),
            result: Ok(ExchangeDetails::status_only(
                format!("x{n}"),
                ExchangeStatus::Completed,
            )),
        }
    }

    fn loads(cmds: &[Cmd]) -> usize {
        cmds.iter()
            .filter(|cmd| matches!(cmd, Cmd::LoadBalances | Cmd::LoadHistory { .. }))
            .count()
    }

    fn bookings(cmds: &[Cmd]) -> Vec<Duration> {
        cmds.iter()
            .filter_map(|cmd| match cmd {
                Cmd::ScheduleFinalRefresh { after } => Some(*after),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_burst_of_finals_refreshes_once_now_and_once_after_the_gap() {
        let mut app = app_with_pending(100);
        let first = app.update(completed(0), at(0));
        assert_eq!(loads(&first), 2, "the first final refreshes at once");
        app.update(
            Msg::BalancesLoaded(Err(crate::api::error::ApiError::Timeout)),
            at(50),
        );
        app.update(
            Msg::HistoryLoaded {
                page: 1,
                result: Err(crate::api::error::ApiError::Timeout),
            },
            at(50),
        );
        let second = app.update(completed(1), at(500));
        assert_eq!(loads(&second), 0);
        assert_eq!(bookings(&second), vec![Duration::from_millis(1_500)]);
        for n in 2..100 {
            let cmds = app.update(completed(n), at(500 + i64::from(n)));
            assert_eq!((loads(&cmds), bookings(&cmds).len()), (0, 0), "final {n}");
        }
        assert_eq!(loads(&app.update(Msg::FinalRefreshDue, at(2_000))), 2);
    }

    #[test]
    fn a_booked_refresh_waits_for_a_load_still_running() {
        let mut app = app_with_pending(2);
        app.update(completed(0), at(0));
        app.update(completed(1), at(100));
        // The loads started by the first final have not answered yet: they may predate the
        // second final, so the booked refresh looks again a gap later instead of skipping.
        let due = app.update(Msg::FinalRefreshDue, at(2_000));
        assert_eq!(loads(&due), 0);
        assert_eq!(bookings(&due), vec![FINAL_REFRESH_GAP]);
    }

    #[test]
    fn a_final_during_a_running_load_books_a_refresh_after_it() {
        let mut app = app_with_pending(1);
        assert_eq!(loads(&app.update(Msg::RefreshDue, at(0))), 2);
        // The slow refresh is still loading when the row goes final: its answer may predate
        // the final, so a refresh is booked rather than skipped.
        let cmds = app.update(completed(0), at(10));
        assert_eq!(loads(&cmds), 0);
        assert_eq!(bookings(&cmds), vec![FINAL_REFRESH_GAP]);
    }

    #[test]
    fn finals_a_gap_apart_each_refresh_at_once() {
        let mut app = app_with_pending(2);
        assert_eq!(loads(&app.update(completed(0), at(0))), 2);
        app.update(
            Msg::BalancesLoaded(Err(crate::api::error::ApiError::Timeout)),
            at(10),
        );
        app.update(
            Msg::HistoryLoaded {
                page: 1,
                result: Err(crate::api::error::ApiError::Timeout),
            },
            at(10),
        );
        assert_eq!(loads(&app.update(completed(1), at(2_000))), 2);
    }
}
