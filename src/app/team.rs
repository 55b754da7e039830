//! The desk's share of a team relay: who this desk's operator is, whether the relay's event
//! stream is live (`push: live` / `push: down, polling`), the team's pending rows in Live with
//! who placed them, and the four-eyes proposals of the Approvals view (`A`).
//!
//! Only used when the profile says the server is a relay (`relay = true` or `P100_RELAY=1`);
//! a desk on plain P100 never builds any of it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::cmd::Cmd;
use super::live::{ExchangeLeg, LiveKind, LiveRow, OrderLeg, Phase, WatchTarget};
use super::{App, Level, Overlay};
use crate::api::error::ApiError;
use crate::api::models::{Currency, ExchangeStatus, OrderStatus};
use crate::api::team::{Proposal, PushedEvent, TeamIdentity, TeamRow, decimal};
use crate::journal::Event;
use crate::number_format::NumberFormat;

/// Live keys of rows another desk placed: `team:<exchange or order id>`.
pub const TEAM_ROW_PREFIX: &str = "team:";
/// Live keys of another desk's POST still without an answer: `team-intent:<idempotency key>`.
pub const TEAM_INTENT_PREFIX: &str = "team-intent:";

/// How long an approval's terms must have been on screen before its key counts (as a trade
/// confirmation's).
pub const APPROVE_DELAY: chrono::Duration = chrono::Duration::milliseconds(500);

/// The relay's event stream as the header tells it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Push {
    /// Not a relay desk, or not connected yet.
    #[default]
    Off,
    /// Events arrive: rows change at once and pending rows are not polled.
    Live,
    /// The stream dropped: rows are polled at the relay until it is back.
    Down { reason: String },
}

/// What the push task tells the app about the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushLink {
    Live,
    Down { reason: String },
}

/// The approval being reviewed: its key counts once the terms have been drawn for
/// [`APPROVE_DELAY`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub id: i64,
    /// When a frame first showed the review (set by the runtime through `frame_drawn`).
    pub shown_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
pub struct TeamState {
    /// The profile says the server is a team relay.
    pub relay: bool,
    /// The operator behind this desk's token, once the relay said.
    pub me: Option<TeamIdentity>,
    pub push: Push,
    /// Who placed each row another desk placed (by Live key).
    pub placed_by: HashMap<String, String>,
    /// Newest first, as the relay lists them.
    pub proposals: Vec<Proposal>,
    pub proposals_loaded: bool,
    pub proposals_error: Option<String>,
    /// The highlighted proposal of the Approvals view (by id, so a reload keeps it).
    pub selected: Option<i64>,
    pub review: Option<Review>,
    /// An approval POST on its way (one at a time).
    pub approving: Option<i64>,
    pending_read: PendingRead,
}

/// The team-pending read: one at a time, and one more when asked for meanwhile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum PendingRead {
    #[default]
    Idle,
    Loading,
    LoadingThenAgain,
}

impl TeamState {
    pub fn push_live(&self) -> bool {
        self.push == Push::Live
    }

    /// The header's words, or `None` for a desk that is not on a relay.
    pub fn push_label(&self) -> Option<&'static str> {
        if !self.relay {
            return None;
        }
        Some(match self.push {
            Push::Off => "push: connecting",
            Push::Live => "push: live",
            Push::Down { .. } => "push: down, polling",
        })
    }

    /// Who placed the row with this Live key: `None` for this desk's own rows.
    pub fn placed_by(&self, key: &str) -> Option<&str> {
        self.placed_by.get(key).map(String::as_str)
    }

    pub fn selected_proposal(&self) -> Option<&Proposal> {
        let id = self.selected?;
        self.proposals.iter().find(|proposal| proposal.id == id)
    }

    /// Whether this desk proposed `proposal` (its operator did).
    pub fn is_mine(&self, proposal: &Proposal) -> bool {
        self.me
            .as_ref()
            .is_some_and(|me| me.name == proposal.proposer)
    }

    /// Why the highlighted proposal cannot be approved from here, or `None` when it can.
    pub fn why_not_approvable(&self) -> Option<String> {
        self.why_not_approvable_id(self.selected)
    }

    fn why_not_approvable_id(&self, id: Option<i64>) -> Option<String> {
        let Some(proposal) = id.and_then(|id| self.proposals.iter().find(|p| p.id == id)) else {
            return Some("no proposal selected".into());
        };
        if !proposal.is_pending() {
            return Some(format!("proposal #{} is {}", proposal.id, proposal.state));
        }
        let Some(me) = &self.me else {
            return Some("the relay has not said who this desk's operator is yet".into());
        };
        if me.name == proposal.proposer {
            return Some(format!(
                "proposal #{} is your own: another approver must approve it",
                proposal.id
            ));
        }
        if !me.can_approve() {
            return Some(format!(
                "{} is a {}: only approvers approve proposals",
                me.name, me.role
            ));
        }
        if self.approving.is_some() {
            return Some("an approval is already on its way".into());
        }
        None
    }

    fn wants_pending(&mut self) -> Option<Cmd> {
        if self.pending_read == PendingRead::Idle {
            self.pending_read = PendingRead::Loading;
            return Some(Cmd::LoadTeamPending);
        }
        self.pending_read = PendingRead::LoadingThenAgain;
        None
    }

    /// Moves the highlight by `step` rows (clamped).
    pub fn move_selection(&mut self, step: isize) {
        if self.proposals.is_empty() {
            self.selected = None;
            return;
        }
        let at = self
            .selected
            .and_then(|id| self.proposals.iter().position(|p| p.id == id))
            .unwrap_or(0);
        let last = self.proposals.len() - 1;
        let next = at.saturating_add_signed(step).min(last);
        self.selected = Some(self.proposals[next].id);
    }
}

fn target_of(row: &LiveRow) -> Option<WatchTarget> {
    let id = row.remote_id.clone()?;
    Some(WatchTarget::new(row.is_order(), id))
}

/// Whether a Live key is a row of another desk (never in this desk's journal).
pub fn is_team_key(key: &str) -> bool {
    key.starts_with(TEAM_ROW_PREFIX) || key.starts_with(TEAM_INTENT_PREFIX)
}

/// A final status word, for an exchange or an order.
fn is_final_status(is_order: bool, status: &str) -> bool {
    if is_order {
        OrderStatus::parse(status).is_final()
    } else {
        ExchangeStatus::parse(status).is_final()
    }
}

/// The Live row for a team row another desk placed.
fn row_of(team: &TeamRow, now: DateTime<Utc>) -> Option<LiveRow> {
    let text = |field: &str| {
        team.terms
            .get(field)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    let number = |field: &str| decimal(team.terms.get(field)).unwrap_or(Decimal::ZERO);
    let kind = if team.kind == "order" {
        LiveKind::Order(OrderLeg {
            currency: Currency::new(&text("currency")),
            network: text("network"),
            fiat_amount: number("amount"),
            fiat_currency: Currency::new(&text("destinationCurrency")),
            crypto_amount: number("cryptoAmount"),
            wallet_address: None,
            confirmations: None,
            received: None,
            required: decimal(team.terms.get("cryptoAmount")),
            transaction_hash: None,
            payment_expires_at: None,
        })
    } else {
        LiveKind::Exchange(ExchangeLeg {
            from: Currency::new(&text("currencyFrom")),
            to: Currency::new(&text("currencyTo")),
            amount: number("amount"),
            amount_to: number("amountTo"),
            rate: number("rate"),
        })
    };
    let (key, remote_id, phase) = match (&team.id, &team.idempotency_key) {
        (Some(id), _) => (
            format!("{TEAM_ROW_PREFIX}{id}"),
            Some(id.clone()),
            Phase::Pending {
                status: team.status.clone(),
            },
        ),
        (None, Some(intent)) => (
            format!("{TEAM_INTENT_PREFIX}{intent}"),
            None,
            if team.status == "UNKNOWN" {
                Phase::Unknown {
                    reason: "the relay has no clear answer from P100 yet".into(),
                }
            } else {
                Phase::Sending
            },
        ),
        (None, None) => return None,
    };
    let at = team.created_at.unwrap_or(now);
    Some(LiveRow {
        key,
        remote_id,
        lock_id: text("lockId"),
        kind,
        phase,
        created_at: at,
        // The relay's list does not say when the status last changed: the row's age counts
        // from when it was placed (never less than it is), not from when this desk saw it.
        updated_at: at,
        check_failed: None,
    })
}

impl App {
    /// The relay said who this desk's operator is (or that it is no relay).
    pub(super) fn on_team_identity(&mut self, result: Result<TeamIdentity, ApiError>) {
        match result {
            Ok(me) => {
                self.note(
                    Level::Info,
                    format!("Team relay: signed in as {} ({})", me.name, me.role),
                );
                self.team.me = Some(me);
            }
            Err(error) => {
                // Tolerant: a server that is no relay is used like plain P100 from here on.
                self.team.relay = false;
                self.note(
                    Level::Warning,
                    format!(
                        "The server did not answer as a team relay ({}): no push, rows are \
                         polled",
                        error.short_reason()
                    ),
                );
            }
        }
    }

    pub(super) fn on_push(&mut self, link: PushLink) -> Vec<Cmd> {
        match link {
            PushLink::Live => {
                let was_down = matches!(self.team.push, Push::Down { .. });
                self.team.push = Push::Live;
                if was_down {
                    self.note(Level::Info, "Push from the relay is back");
                }
                // Whatever happened while the stream was away is read again.
                let mut cmds: Vec<Cmd> = self.team.wants_pending().into_iter().collect();
                cmds.push(Cmd::LoadProposals);
                cmds
            }
            PushLink::Down { reason } => {
                if !matches!(self.team.push, Push::Down { .. }) {
                    self.note(
                        Level::Warning,
                        format!("Push from the relay is down ({reason}): polling the relay"),
                    );
                }
                self.team.push = Push::Down { reason };
                Vec::new()
            }
        }
    }

    pub(super) fn on_team_event(&mut self, event: &PushedEvent) -> Vec<Cmd> {
        match event.kind.as_str() {
            "status" => {
                let status = event.status.clone().unwrap_or_default();
                let Some(mut row) = self.live.find_by_remote_mut(&event.id) else {
                    // A row this desk does not show yet (placed elsewhere): read the team's.
                    return self.team.wants_pending().into_iter().collect();
                };
                if row.phase.is_final() {
                    return Vec::new();
                }
                let is_order = matches!(row.kind, LiveKind::Order(_));
                if is_final_status(is_order, &status) {
                    // A final goes through the details answer (journal, refresh, amounts).
                    return target_of(&row).map(Cmd::CheckNow).into_iter().collect();
                }
                if !status.is_empty() {
                    row.phase = Phase::Pending { status };
                    row.updated_at = self.now;
                    row.check_failed = None;
                }
                Vec::new()
            }
            "proposal" | "approval" => vec![Cmd::LoadProposals],
            "hello" => Vec::new(),
            // intent, outcome, lagged, anything new: the team's rows are read again.
            _ => self.team.wants_pending().into_iter().collect(),
        }
    }

    /// The team's pending rows: another desk's rows join Live (with who placed them), rows
    /// that left the list (final while nobody listened) are checked at once.
    pub(super) fn on_team_pending(&mut self, result: Result<Vec<TeamRow>, ApiError>) -> Vec<Cmd> {
        let again = self.team.pending_read == PendingRead::LoadingThenAgain;
        self.team.pending_read = PendingRead::Idle;
        let mut cmds = Vec::new();
        if again {
            cmds.extend(self.team.wants_pending());
        }
        let rows = match result {
            Ok(rows) => rows,
            Err(error) => {
                self.note(
                    Level::Warning,
                    format!("Team rows not read: {}", error.user_message()),
                );
                return cmds;
            }
        };
        let listed_ids: std::collections::HashSet<&str> =
            rows.iter().filter_map(|row| row.id.as_deref()).collect();
        let listed_intents: std::collections::HashSet<String> = rows
            .iter()
            .filter_map(|row| row.idempotency_key.as_deref())
            .map(|key| format!("{TEAM_INTENT_PREFIX}{key}"))
            .collect();
        // Another desk's unanswered POSTs are shown while the relay lists them.
        let gone: Vec<String> = self
            .live
            .rows
            .iter()
            .filter(|row| row.key.starts_with(TEAM_INTENT_PREFIX))
            .filter(|row| !listed_intents.contains(&row.key))
            .map(|row| row.key.clone())
            .collect();
        if !gone.is_empty() {
            self.live.rows.retain(|row| !gone.contains(&row.key));
            for key in &gone {
                self.team.placed_by.remove(key);
            }
            let ids: Vec<&str> = self.live.rows.iter().map(|row| row.key.as_str()).collect();
            self.live.selection.follow(&ids);
        }
        // Pending rows the relay no longer lists went final meanwhile: read them now.
        for row in &self.live.rows {
            if matches!(row.phase, Phase::Pending { .. })
                && row
                    .remote_id
                    .as_deref()
                    .is_some_and(|id| !listed_ids.contains(id))
                && let Some(target) = target_of(row)
            {
                cmds.push(Cmd::CheckNow(target));
            }
        }
        for team_row in &rows {
            self.merge_team_row(team_row, &mut cmds);
        }
        cmds
    }

    fn merge_team_row(&mut self, team_row: &TeamRow, cmds: &mut Vec<Cmd>) {
        let now = self.now;
        if let Some(id) = &team_row.id {
            if let Some(mut row) = self.live.find_by_remote_mut(id) {
                let is_order = matches!(row.kind, LiveKind::Order(_));
                if !row.phase.is_final()
                    && !is_final_status(is_order, &team_row.status)
                    && matches!(row.phase, Phase::Pending { .. })
                {
                    row.phase = Phase::Pending {
                        status: team_row.status.clone(),
                    };
                }
                return;
            }
        }
        if let Some(intent) = &team_row.idempotency_key {
            // This desk's own POST still on its way: its row is already there.
            if self.live.find_by_key_mut(intent).is_some()
                || self
                    .live
                    .find_by_key_mut(&format!("{TEAM_INTENT_PREFIX}{intent}"))
                    .is_some()
            {
                return;
            }
        }
        let Some(row) = row_of(team_row, now) else {
            return;
        };
        let is_order = matches!(row.kind, LiveKind::Order(_));
        if is_final_status(is_order, &team_row.status)
            && let Some(target) = target_of(&row)
        {
            cmds.push(Cmd::CheckNow(target));
        }
        self.team
            .placed_by
            .insert(row.key.clone(), team_row.operator.clone());
        // Added below the rows already there: the user's selection stays where it was.
        self.live.rows.push_back(row);
        if self.live.rows.len() == 1 {
            let key = self.live.rows[0].key.clone();
            self.live.selection.select(&key, 0);
        }
    }

    /// This desk's own POST was accepted as `remote_id`: a team row for the same id (read
    /// from the relay before the answer arrived here) is the same trade, shown once.
    /// Found through the rows' key index: O(1) on every own POST answer; only when a copy is
    /// there (rare: the relay's push beat the answer) does removing it renumber the rows.
    pub(super) fn forget_team_copy(&mut self, remote_id: &str) {
        let key = format!("{TEAM_ROW_PREFIX}{remote_id}");
        let Some(index) = self.live.rows.position_of_key(&key) else {
            return;
        };
        self.live.rows.remove(index);
        self.team.placed_by.remove(&key);
        let ids: Vec<&str> = self.live.rows.iter().map(|row| row.key.as_str()).collect();
        self.live.selection.follow(&ids);
    }

    pub(super) fn on_proposals(&mut self, result: Result<Vec<Proposal>, ApiError>) {
        match result {
            Ok(proposals) => {
                self.team.proposals = proposals;
                self.team.proposals_loaded = true;
                self.team.proposals_error = None;
                let still_there = self
                    .team
                    .selected
                    .is_some_and(|id| self.team.proposals.iter().any(|p| p.id == id));
                if !still_there {
                    self.team.selected = self.team.proposals.first().map(|p| p.id);
                }
                if self.team.review.as_ref().is_some_and(|review| {
                    self.team.why_not_approvable_id(Some(review.id)).is_some()
                }) && self.team.approving.is_none()
                {
                    self.team.review = None;
                }
            }
            Err(error) => self.team.proposals_error = Some(error.user_message()),
        }
    }

    /// `A`: the Approvals view, read fresh.
    pub(super) fn open_approvals(&mut self) -> Vec<Cmd> {
        if !self.team.relay {
            self.note(
                Level::Warning,
                "Approvals need a team relay (relay = true in the profile)",
            );
            return Vec::new();
        }
        self.overlay = Some(Overlay::Approvals);
        self.team.review = None;
        vec![Cmd::LoadProposals]
    }

    /// `a` on a proposal: shows its terms for review; a second, distinct key approves.
    pub(super) fn review_approval(&mut self) {
        if let Some(why) = self.team.why_not_approvable() {
            self.note(Level::Warning, format!("Cannot approve: {why}"));
            return;
        }
        if let Some(id) = self.team.selected {
            self.team.review = Some(Review { id, shown_at: None });
        }
    }

    /// After every frame: the review's terms count as seen from the first frame showing them.
    pub fn approval_drawn(&mut self, now: DateTime<Utc>) {
        let visible = self.mode() == crate::keys::Mode::ApprovalReview;
        if let Some(review) = self.team.review.as_mut() {
            if !visible {
                review.shown_at = None;
            } else if review.shown_at.is_none() {
                review.shown_at = Some(now);
            }
        }
    }

    /// Whether the approve key counts now: the terms have been on screen long enough.
    pub fn approval_counts(&self) -> bool {
        self.team.review.as_ref().is_some_and(|review| {
            review
                .shown_at
                .is_some_and(|shown| self.now - shown >= APPROVE_DELAY)
        }) && self.team.approving.is_none()
    }

    /// The approve key: journal, then send the approval once.
    pub(super) fn confirm_approval(&mut self) -> Vec<Cmd> {
        let Some(review) = self.team.review.clone() else {
            return Vec::new();
        };
        if !self.approval_counts() {
            self.note(
                Level::Warning,
                "Not approved: read the terms first (the key counts 0.5 s after they appear)",
            );
            return Vec::new();
        }
        if let Some(why) = self.team.why_not_approvable_id(Some(review.id)) {
            self.team.review = None;
            self.note(Level::Warning, format!("Cannot approve: {why}"));
            return Vec::new();
        }
        let Some(proposal) = self.team.proposals.iter().find(|p| p.id == review.id) else {
            return Vec::new();
        };
        let entry = self.journal_entry(
            &format!("approval-{}", review.id),
            Event::Approval {
                proposal: review.id,
                proposer: proposal.proposer.clone(),
                terms: describe_terms(proposal),
                step: "sending".into(),
            },
        );
        self.team.approving = Some(review.id);
        vec![Cmd::ApproveProposal {
            id: review.id,
            entry,
        }]
    }

    pub(super) fn on_proposal_approved(
        &mut self,
        id: i64,
        result: Result<Proposal, String>,
    ) -> Vec<Cmd> {
        self.team.approving = None;
        self.team.review = None;
        match result {
            Ok(proposal) => {
                self.note(
                    Level::Info,
                    format!(
                        "Approved proposal #{id} ({}); {} may now lock and confirm it",
                        describe_terms_in(&proposal, self.keyboard.number_format),
                        proposal.proposer
                    ),
                );
                if let Some(known) = self.team.proposals.iter_mut().find(|p| p.id == id) {
                    *known = proposal;
                }
            }
            Err(why) => self.note(Level::Error, format!("Proposal #{id} not approved: {why}")),
        }
        vec![Cmd::LoadProposals]
    }
}

/// "12.5 ETH→EUR at ~2500 (±1%)": the terms an approver approves.
pub fn describe_terms(proposal: &Proposal) -> String {
    describe_terms_in(proposal, NumberFormat::default())
}

/// [`describe_terms`] with the numbers in `format` (ungrouped, the format's decimal mark): for
/// people (the Approvals view, messages). The journal keeps the canonical `describe_terms`.
pub fn describe_terms_in(proposal: &Proposal, format: NumberFormat) -> String {
    let number =
        |value: Option<Decimal>| value.map_or_else(|| "?".to_owned(), |v| format.format_rate(v));
    let amount = number(proposal.amount());
    let rate = number(proposal.indicative_rate());
    let deviation = number(
        proposal
            .max_deviation()
            .map(|deviation| deviation * Decimal::ONE_HUNDRED),
    );
    format!("{amount} {} at ~{rate} (±{deviation}%)", proposal.pair())
}

/// The plain words for a POST the relay refused with `R409 approval-required`: nothing was
/// sent, a proposal was created, and who can approve it (the relay's message names the
/// proposal and the approvers). `None` for any other error.
pub fn approval_required(error: &ApiError) -> Option<String> {
    let ApiError::Business { code, message, .. } = error else {
        return None;
    };
    if !code.eq_ignore_ascii_case("R409") {
        return None;
    }
    let relay_says = crate::printable::printable(message);
    Some(format!(
        "Not sent: above the team's approval limit, so the relay created a proposal instead \
         (nothing went to P100). Another approver must approve it in their Approvals view (A); \
         then lock and confirm again. The relay says: {relay_says}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::live::WatchChange;
    use crate::app::msg::Msg;
    use crate::app::{EnvBadge, SessionInfo};
    use serde_json::json;

    fn t(ms: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::milliseconds(1_000_000 + ms)
    }

    fn relay_app(me: &str, role: &str) -> App {
        let mut app = App::new(
            SessionInfo {
                environment: EnvBadge::Custom,
                profile: "team".into(),
                read_only: false,
                bell: false,
                max_exchange_eur: None,
            },
            t(0),
        );
        app.team.relay = true;
        app.update(
            Msg::TeamIdentity(Ok(TeamIdentity {
                name: me.into(),
                role: role.into(),
            })),
            t(0),
        );
        app
    }

    fn own_row(key: &str, id: &str, phase: Phase) -> LiveRow {
        LiveRow {
            key: key.into(),
            remote_id: Some(id.into()),
            lock_id: "lock".into(),
            kind: LiveKind::Exchange(ExchangeLeg {
                from: Currency::new("eth"),
                to: Currency::new("eur"),
                amount: Decimal::ONE,
                amount_to: Decimal::ONE,
                rate: Decimal::ONE,
            }),
            phase,
            created_at: t(0),
            updated_at: t(0),
            check_failed: None,
        }
    }

    fn pending(status: &str) -> Phase {
        Phase::Pending {
            status: status.into(),
        }
    }

    fn team_row(id: &str, operator: &str) -> TeamRow {
        serde_json::from_value(json!({
            "id": id, "kind": "exchange", "operator": operator, "status": "QUEUED",
            "terms": {"currencyFrom": "eth", "currencyTo": "eur", "amount": "0.5",
                      "rate": "2500", "amountTo": "1250"}
        }))
        .expect("team row")
    }

    fn watches(cmds: &[Cmd]) -> Option<&WatchChange> {
        cmds.iter().find_map(|cmd| match cmd {
            Cmd::Watch(change) => Some(change),
            _ => None,
        })
    }

    #[test]
    fn push_live_leaves_pending_rows_to_events_and_down_polls_them_again() {
        let mut app = relay_app("bob", "trader");
        app.live.push(own_row("own-1", "ex-1", pending("QUEUED")));
        app.live.push(own_row(
            "own-2",
            "ex-2",
            Phase::Unknown {
                reason: "timeout".into(),
            },
        ));
        let cmds = app.update(Msg::Tick, t(1));
        let both = vec![
            WatchTarget::Exchange("ex-1".into()),
            WatchTarget::Exchange("ex-2".into()),
        ];
        assert_eq!(watches(&cmds), Some(&WatchChange::adding(both.clone())));
        assert_eq!(app.team.push_label(), Some("push: connecting"));

        let cmds = app.update(Msg::Push(PushLink::Live), t(2));
        assert_eq!(app.team.push_label(), Some("push: live"));
        // Only the unknown is still polled; the team's rows are read again.
        assert_eq!(
            watches(&cmds),
            Some(&WatchChange::removing(vec![WatchTarget::Exchange(
                "ex-1".into()
            )]))
        );
        assert_eq!(app.watched(), vec![WatchTarget::Exchange("ex-2".into())]);
        assert!(cmds.contains(&Cmd::LoadTeamPending));
        assert!(cmds.contains(&Cmd::LoadProposals));

        let cmds = app.update(
            Msg::Push(PushLink::Down {
                reason: "the relay closed the stream".into(),
            }),
            t(3),
        );
        assert_eq!(app.team.push_label(), Some("push: down, polling"));
        assert_eq!(
            watches(&cmds),
            Some(&WatchChange::adding(vec![WatchTarget::Exchange(
                "ex-1".into()
            )]))
        );
        assert_eq!(app.watched(), both);
    }

    #[test]
    fn a_server_that_is_no_relay_is_used_like_plain_p100() {
        let mut app = relay_app("bob", "trader");
        app.team.me = None;
        app.update(
            Msg::TeamIdentity(Err(ApiError::Business {
                status: 404,
                code: String::new(),
                name: None,
                message: "not found".into(),
            })),
            t(1),
        );
        assert_eq!(app.team.push_label(), None);
        assert!(!app.condition_holds(crate::keys::Condition::OnRelay));
    }

    #[test]
    fn a_pushed_status_applies_at_once_and_a_final_is_read_back() {
        let mut app = relay_app("bob", "trader");
        app.live.push(own_row("own-1", "ex-1", pending("QUEUED")));
        let status = |status: &str| PushedEvent {
            kind: "status".into(),
            id: "ex-1".into(),
            operator: "bob".into(),
            status: Some(status.into()),
        };
        let cmds = app.update(Msg::TeamPushed(status("PROCESSING")), t(1));
        assert_eq!(app.live.rows[0].phase, pending("PROCESSING"));
        assert!(!cmds.iter().any(|cmd| matches!(cmd, Cmd::CheckNow(_))));
        // A final goes through the details answer (journal, refresh), never guessed.
        let cmds = app.update(Msg::TeamPushed(status("COMPLETED")), t(2));
        assert!(cmds.contains(&Cmd::CheckNow(WatchTarget::Exchange("ex-1".into()))));
        assert_eq!(app.live.rows[0].phase, pending("PROCESSING"));
        // An unknown id: the team's rows are read again (once at a time).
        let mut unknown = status("QUEUED");
        unknown.id = "ex-9".into();
        let cmds = app.update(Msg::TeamPushed(unknown.clone()), t(3));
        assert!(cmds.contains(&Cmd::LoadTeamPending));
        let cmds = app.update(Msg::TeamPushed(unknown), t(4));
        assert!(!cmds.contains(&Cmd::LoadTeamPending), "one read at a time");
        let cmds = app.update(Msg::TeamPending(Ok(Vec::new())), t(5));
        assert!(
            cmds.contains(&Cmd::LoadTeamPending),
            "the one asked meanwhile"
        );
    }

    #[test]
    fn team_rows_join_live_once_with_who_placed_them_and_own_rows_stay_own() {
        let mut app = relay_app("bob", "trader");
        app.live.push(own_row("own-1", "ex-1", pending("QUEUED")));
        let rows = vec![team_row("ex-1", "bob"), team_row("ex-2", "alice")];
        app.update(Msg::TeamPending(Ok(rows.clone())), t(1));
        app.update(Msg::TeamPending(Ok(rows)), t(2));
        assert_eq!(app.live.rows.len(), 2);
        assert_eq!(app.team.placed_by("own-1"), None);
        let team_key = format!("{TEAM_ROW_PREFIX}ex-2");
        assert_eq!(app.team.placed_by(&team_key), Some("alice"));
        // The selection stayed on the user's row.
        assert_eq!(
            app.live.selected().map(|row| row.key.as_str()),
            Some("own-1")
        );

        // Alice's row goes final: shown, refreshed, but not written into this desk's journal.
        let details = serde_json::from_value(json!({
            "exchangeId": "ex-2", "status": "COMPLETED", "currencyFrom": "eth",
            "currencyTo": "eur", "amount": "0.5"
        }))
        .expect("details");
        let cmds = app.update(
            Msg::ExchangePolled {
                id: "ex-2".into(),
                result: Ok(details),
            },
            t(3),
        );
        assert!(app.live.rows[1].phase.is_final());
        assert!(!cmds.iter().any(|cmd| matches!(cmd, Cmd::Journal(_))));
        assert!(
            app.notice
                .as_ref()
                .is_some_and(|n| n.text.contains("placed by alice"))
        );
    }

    #[test]
    fn a_pending_row_the_relay_no_longer_lists_is_read_at_once() {
        let mut app = relay_app("bob", "trader");
        app.live.push(own_row("own-1", "ex-1", pending("QUEUED")));
        let cmds = app.update(Msg::TeamPending(Ok(Vec::new())), t(1));
        assert!(cmds.contains(&Cmd::CheckNow(WatchTarget::Exchange("ex-1".into()))));
    }

    #[test]
    fn an_own_post_answer_replaces_the_team_copy_the_relay_listed_first() {
        let mut app = relay_app("bob", "trader");
        // Bob's own POST is still on its way when the relay lists it as a team row.
        let mut sending = own_row("own-1", "ex-1", Phase::Sending);
        sending.remote_id = None;
        app.live.push(sending);
        let rows = vec![team_row("ex-1", "bob"), team_row("ex-2", "alice")];
        app.update(Msg::TeamPending(Ok(rows)), t(1));
        let keys = |app: &App| -> Vec<String> {
            app.live.rows.iter().map(|row| row.key.clone()).collect()
        };
        assert_eq!(keys(&app), ["own-1", "team:ex-1", "team:ex-2"]);
        let accepted = |id: &str| {
            crate::app::money_actions::TradeAccepted::Exchange(
                crate::api::models::ExchangeAccepted {
                    exchange_id: id.into(),
                },
            )
        };
        app.update(
            Msg::Submitted {
                intent: "own-1".into(),
                result: Ok(accepted("ex-1")),
            },
            t(2),
        );
        // Shown once, as this desk's own; the index still finds every row that is left.
        assert_eq!(keys(&app), ["own-1", "team:ex-2"]);
        assert_eq!(app.team.placed_by("team:ex-1"), None);
        assert_eq!(app.live.rows.position_of_key("team:ex-2"), Some(1));
        assert_eq!(app.live.rows[0].remote_id.as_deref(), Some("ex-1"));
        assert_eq!(app.live.in_flight(), 2);
        // An answer with no team copy leaves the team's rows alone.
        let mut second = own_row("own-2", "ex-3", Phase::Sending);
        second.remote_id = None;
        app.live.push(second);
        app.update(
            Msg::Submitted {
                intent: "own-2".into(),
                result: Ok(accepted("ex-3")),
            },
            t(3),
        );
        assert_eq!(keys(&app), ["own-2", "own-1", "team:ex-2"]);
    }

    #[test]
    fn another_desks_unanswered_post_shows_while_listed() {
        let mut app = relay_app("bob", "trader");
        let sending: TeamRow = serde_json::from_value(json!({
            "idempotencyKey": "intent-a", "kind": "exchange", "operator": "alice",
            "status": "SENDING", "terms": {"currencyFrom": "eth", "currencyTo": "eur",
            "amount": "0.5"}
        }))
        .expect("row");
        app.update(Msg::TeamPending(Ok(vec![sending])), t(1));
        assert_eq!(app.live.rows[0].phase, Phase::Sending);
        app.update(Msg::TeamPending(Ok(vec![team_row("ex-7", "alice")])), t(2));
        assert_eq!(app.live.rows.len(), 1);
        assert_eq!(app.live.rows[0].remote_id.as_deref(), Some("ex-7"));
    }

    fn proposal(id: i64, proposer: &str) -> Proposal {
        serde_json::from_value(json!({
            "id": id, "kind": "exchange", "proposer": proposer,
            "terms": {"currencyFrom": "eth", "currencyTo": "eur", "amount": "12.5"},
            "amountEur": "31250.00", "indicativeRate": "2500", "maxDeviation": "0.01",
            "state": "pending", "createdAt": "2026-02-13T11:27:00Z"
        }))
        .expect("proposal")
    }

    #[test]
    fn approving_needs_review_then_the_distinct_key_after_half_a_second() {
        use crate::keys::{KeyPress, Mode};
        let mut app = relay_app("bob", "approver");
        app.update(Msg::Key(KeyPress::ch('A')), t(0));
        assert_eq!(app.mode(), Mode::Approvals);
        app.update(
            Msg::ProposalsLoaded(Ok(vec![proposal(9, "carol"), proposal(8, "bob")])),
            t(0),
        );
        // A straight `A` in the list approves nothing (it closes the view).
        assert_eq!(app.team.selected, Some(9));
        app.update(Msg::Key(KeyPress::ch('a')), t(10));
        assert_eq!(app.mode(), Mode::ApprovalReview);
        // Before the terms were drawn, and within 0.5 s of it: not counted.
        assert!(app.update(Msg::Key(KeyPress::ch('A')), t(20)).is_empty());
        app.approval_drawn(t(30));
        assert!(app.update(Msg::Key(KeyPress::ch('A')), t(400)).is_empty());
        assert!(app.update(Msg::Key(KeyPress::ch('y')), t(600)).is_empty());
        assert!(
            app.update(
                Msg::Key(KeyPress::plain(crate::keys::KeyCode::Enter)),
                t(600)
            )
            .is_empty()
        );
        let cmds = app.update(Msg::Key(KeyPress::ch('A')), t(600));
        let Some(Cmd::ApproveProposal { id, entry }) = cmds.first() else {
            panic!("approve asked for: {cmds:?}");
        };
        assert_eq!(*id, 9);
        assert!(matches!(
            &entry.event,
            Event::Approval { proposal: 9, step, .. } if step == "sending"
        ));
        // One at a time: a second press while it is on its way sends nothing.
        assert!(app.update(Msg::Key(KeyPress::ch('A')), t(700)).is_empty());
    }

    #[test]
    fn an_own_proposal_is_not_offered_and_says_why() {
        use crate::keys::{Action, KeyPress, Mode};
        let mut app = relay_app("bob", "approver");
        app.update(Msg::Key(KeyPress::ch('A')), t(0));
        app.update(Msg::ProposalsLoaded(Ok(vec![proposal(8, "bob")])), t(0));
        assert!(
            !app.offered(Mode::Approvals)
                .iter()
                .any(|hint| hint.action == Action::ReviewApproval)
        );
        app.update(Msg::Key(KeyPress::ch('a')), t(10));
        assert_eq!(app.mode(), Mode::Approvals);
        assert!(
            app.notice
                .as_ref()
                .is_some_and(|n| n.text.contains("your own"))
        );
        // A trader is not offered approving either.
        let mut trader = relay_app("tom", "trader");
        trader.update(Msg::Key(KeyPress::ch('A')), t(0));
        trader.update(Msg::ProposalsLoaded(Ok(vec![proposal(9, "carol")])), t(0));
        assert!(
            trader
                .team
                .why_not_approvable()
                .is_some_and(|why| why.contains("only approvers"))
        );
    }

    #[test]
    fn approval_required_says_a_proposal_was_made_and_who_approves() {
        let error = ApiError::Business {
            status: 409,
            code: "R409".into(),
            name: Some("approval-required".into()),
            message: "above the team's approval limit (2500 EUR > 100 EUR): proposal #3 waits \
                      for an approver (approvers: bob, carol); lock and confirm again once it \
                      is approved"
                .into(),
        };
        let told = approval_required(&error).expect("told");
        assert!(told.starts_with("Not sent"), "{told}");
        assert!(told.contains("proposal #3") && told.contains("approvers: bob, carol"));
        let other = ApiError::Business {
            status: 409,
            code: "P409".into(),
            name: None,
            message: "x".into(),
        };
        assert_eq!(approval_required(&other), None);
    }
}
