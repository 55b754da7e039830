//! Side effects `App::update` asks for, as values the runtime executes and tests inspect.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::live::{WatchChange, WatchTarget};
use super::money_actions::{LockRequest, MoneyPost, PriceRequest};
use crate::api::models::{Currency, TransactionType};
use crate::journal::Entry;

/// How to recognise an attempt in the transaction history when its POST outcome is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileQuery {
    pub kind: TransactionType,
    pub currency: Currency,
    pub amount: Decimal,
    /// The other leg of an exchange.
    pub currency_to: Option<Currency>,
    /// When the attempt was sent (its intent line): the time window is around it.
    pub sent_at: DateTime<Utc>,
    /// History rows older than this are not read: the search stops there. Earlier than the
    /// window, so a lookalike just outside it is seen (and makes the verdict ambiguous).
    pub since: DateTime<Utc>,
    /// Ids some intent of the journal already holds: never a candidate.
    pub exclude: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    Quit,
    LoadBalances,
    LoadHistory {
        page: u32,
        limit: u32,
        /// Whether the user asked for it or it is fetched ahead (its place in the budget).
        why: super::history::PageWhy,
    },
    /// Rows that join and leave the poller's watch set (never the whole set again: a change
    /// costs the poller what it changes).
    Watch(WatchChange),
    /// Ring the terminal bell (when enabled in config).
    Bell,
    /// Put text on the system clipboard (OSC 52).
    CopyToClipboard(String),
    /// Send `Msg::RetryRefreshDue { seq }` after `after` (a failed refresh tries again).
    ScheduleRefresh {
        seq: u64,
        after: Duration,
    },
    /// Send `Msg::FinalRefreshDue` after `after`.
    ScheduleFinalRefresh {
        after: Duration,
    },
    /// Send `Msg::PriceDue { seq }` after `after` (the debounce of an indicative price).
    SchedulePrice {
        seq: u64,
        after: Duration,
    },
    /// Ask for an indicative price; answers `Msg::Priced`.
    LoadPrice {
        seq: u64,
        request: PriceRequest,
    },
    /// Ask for a rate lock; answers `Msg::Locked`.
    Lock {
        seq: u64,
        request: LockRequest,
    },
    /// Journal `intent` (fsync), then send `post` ONCE, then journal the outcome; answers
    /// `Msg::Submitted`. Sent before `deadline` (the lock's expiry less the safety margin) or
    /// not at all.
    Submit {
        intent: Entry,
        post: MoneyPost,
        deadline: DateTime<Utc>,
    },
    /// Send `Msg::ReconcileDue { intent }` after `after`.
    ScheduleReconcile {
        intent: String,
        after: Duration,
    },
    /// Look for the attempt in the history; answers `Msg::Reconciled`.
    Reconcile {
        intent: String,
        query: ReconcileQuery,
    },
    /// Write an export file (never over an existing one); answers `Msg::Exported`.
    Export {
        path: std::path::PathBuf,
        what: String,
        source: crate::cli::export::ExportSource,
        as_of: DateTime<Utc>,
    },
    /// Append a line to the journal (outcomes the app learns: reconciled, final); answers
    /// `Msg::JournalWritten` or `Msg::JournalFailed`.
    Journal(Entry),
    /// Send `Msg::JournalCheckDue` after `after`.
    ScheduleJournalCheck {
        after: Duration,
    },
    /// Read one row's details now (a pushed final status); answers like the poller does.
    CheckNow(WatchTarget),
    /// Read the team's pending rows from the relay; answers `Msg::TeamPending`.
    LoadTeamPending,
    /// Read the four-eyes proposals; answers `Msg::ProposalsLoaded`.
    LoadProposals,
    /// Journal `entry` (fsync), then approve proposal `id` ONCE, then journal the outcome;
    /// answers `Msg::ProposalApproved`.
    ApproveProposal {
        id: i64,
        entry: Entry,
    },
}
