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
    /// A team-pending read is out; another was asked for meanwhile.
    pending_loading: bool,
    pending_again: bool,
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
        if self.pending_loading {
            self.pending_again = true;
            return None;
        }
        self.pending_loading = true;
        Some(Cmd::LoadTeamPending)
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

/// Only rows whose outcome is unknown are polled while push is live: their answer may never
/// be an event (the relay may not have seen the POST's outcome either).
pub fn watched_while_pushed(rows: &[LiveRow]) -> Vec<WatchTarget> {
    let mut targets: Vec<WatchTarget> = rows
        .iter()
        .filter(|row| matches!(row.phase, Phase::Unknown { .. }))
        .filter_map(|row| target_of(row))
        .collect();
    targets.sort();
    targets
}

fn target_of(row: &LiveRow) -> Option<WatchTarget> {
    let id = row.remote_id.clone()?;
    Some(match row.kind {
        LiveKind::Order(_) => WatchTarget::Order(id),
        LiveKind::Exchange(_) => WatchTarget::Exchange(id),
    })
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
        updated_at: now,
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
            Err(error) => self.note(
                Level::Warning,
                format!(
                    "The server did not answer as a team relay ({}): no push, rows are polled",
                    error.short_reason()
                ),
            ),
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

    pub(super) fn on_team_event(&mut self, event: PushedEvent) -> Vec<Cmd> {
        match event.kind.as_str() {
            "status" => {
                let status = event.status.clone().unwrap_or_default();
                let Some(row) = self.live.find_by_remote_mut(&event.id) else {
                    // A row this desk does not show yet (placed elsewhere): read the team's.
                    return self.team.wants_pending().into_iter().collect();
                };
                if row.phase.is_final() {
                    return Vec::new();
                }
                let is_order = matches!(row.kind, LiveKind::Order(_));
                if is_final_status(is_order, &status) {
                    // A final goes through the details answer (journal, refresh, amounts).
                    return target_of(row).map(Cmd::CheckNow).into_iter().collect();
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
        self.team.pending_loading = false;
        let mut cmds = Vec::new();
        if std::mem::take(&mut self.team.pending_again) {
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
            if let Some(row) = self.live.find_by_remote_mut(id) {
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
        self.live.rows.push(row);
        if self.live.rows.len() == 1 {
            let key = self.live.rows[0].key.clone();
            self.live.selection.select(&key, 0);
        }
    }

    /// This desk's own POST was accepted as `remote_id`: a team row for the same id (read
    /// from the relay before the answer arrived here) is the same trade, shown once.
    pub(super) fn forget_team_copy(&mut self, remote_id: &str) {
        let key = format!("{TEAM_ROW_PREFIX}{remote_id}");
        if self.live.rows.iter().any(|row| row.key == key) {
            self.live.rows.retain(|row| row.key != key);
            self.team.placed_by.remove(&key);
            let ids: Vec<&str> = self.live.rows.iter().map(|row| row.key.as_str()).collect();
            self.live.selection.follow(&ids);
        }
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
                        describe_terms(&proposal),
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
    let amount = proposal
        .amount()
        .map_or_else(|| "?".to_owned(), |amount| amount.normalize().to_string());
    let rate = proposal
        .indicative_rate()
        .map_or_else(|| "?".to_owned(), |rate| rate.normalize().to_string());
    let deviation = proposal.max_deviation().map_or_else(
        || "?".to_owned(),
        |deviation| (deviation * Decimal::ONE_HUNDRED).normalize().to_string(),
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
