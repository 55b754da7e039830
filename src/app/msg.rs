//! Messages into `App::update`: input, timers, and the answers of background tasks.

use crate::keys::KeyPress;

use super::money_actions::{TradeAccepted, TradeLock, TradePrice};
use super::reconcile::Candidate;
use super::team::PushLink;
use crate::api::error::ApiError;
use crate::api::models::{Balances, ExchangeDetails, OrderDetails, TransactionPage};
use crate::api::team::{Proposal, PushedEvent, TeamIdentity, TeamRow};

/// Why a money-moving request did not get an answer from the API.
#[derive(Debug)]
pub enum SubmitError {
    /// The journal could not record the intent, so the request was NOT sent.
    Journal(String),
    /// The API (or the way to it) answered with an error; see `ApiError::outcome_unknown`.
    Api(ApiError),
}

#[derive(Debug)]
pub enum Msg {
    /// A key press (releases never reach the app).
    Key(KeyPress),
    /// Text pasted in one go (bracketed paste), for amounts and filters.
    Paste(String),
    /// The terminal's size (at start and on every change): redraw, and below the minimum
    /// only quitting works.
    Resize {
        width: u16,
        height: u16,
    },
    /// The animation/clock tick: only time moved.
    Tick,
    /// The slow refresh timer fired.
    RefreshDue,
    /// The retry of a failed refresh (`Cmd::ScheduleRefresh`) is due.
    RetryRefreshDue {
        seq: u64,
    },
    /// The refresh booked after rows went final is due (`Cmd::ScheduleFinalRefresh`).
    FinalRefreshDue,
    BalancesLoaded(Result<Balances, ApiError>),
    HistoryLoaded {
        page: u32,
        result: Result<TransactionPage, ApiError>,
    },
    /// The poller read an exchange's details.
    ExchangePolled {
        id: String,
        result: Result<ExchangeDetails, ApiError>,
    },
    /// The poller read an order's details.
    OrderPolled {
        id: String,
        result: Result<OrderDetails, ApiError>,
    },
    /// The debounce for an indicative price ran out (`Cmd::SchedulePrice`).
    PriceDue {
        seq: u64,
    },
    /// The indicative price the ticket asked for at `seq` (`Cmd::LoadPrice`).
    Priced {
        seq: u64,
        result: Result<TradePrice, ApiError>,
    },
    /// The rate lock the ticket asked for at `seq` (`Cmd::Lock`).
    Locked {
        seq: u64,
        result: Result<TradeLock, ApiError>,
    },
    /// The answer to the money-moving POST of the attempt `intent` (`Cmd::Submit`).
    Submitted {
        intent: String,
        result: Result<TradeAccepted, SubmitError>,
    },
    /// Time to look for an attempt whose outcome is unknown.
    ReconcileDue {
        intent: String,
    },
    /// What the history said: every row that could be the attempt (none claimed by another
    /// intent); the app decides whether that is one match, none, or ambiguous.
    Reconciled {
        intent: String,
        result: Result<Vec<Candidate>, ApiError>,
    },
    /// The client-wide pause P100 asked for (429, or 503 with `Retry-After`) changed: until
    /// when nothing is sent, or `None` once requests flow again.
    Throttle {
        until: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Which kinds of request wait for the desk's own budget now (empty: none).
    OwnBudget(crate::api::budget::Waiting),
    /// The export `Cmd::Export` asked for: its file and row count, or why it failed.
    Exported(Result<(std::path::PathBuf, usize), String>),
    /// A journal line could not be written (after the request: the outcome is still shown).
    /// The journal was repaired; trading stays off until a write succeeds.
    JournalFailed {
        error: String,
    },
    /// A journal line the app asked for is on disk.
    JournalWritten,
    /// Time to check whether a journal that failed can be written again.
    JournalCheckDue,
    /// The relay said who this desk's operator is (or did not answer as a relay).
    TeamIdentity(Result<TeamIdentity, ApiError>),
    /// The relay's event stream opened or dropped.
    Push(PushLink),
    /// One event the relay pushed.
    TeamPushed(PushedEvent),
    /// The team's pending rows (`Cmd::LoadTeamPending`).
    TeamPending(Result<Vec<TeamRow>, ApiError>),
    /// The four-eyes proposals (`Cmd::LoadProposals`).
    ProposalsLoaded(Result<Vec<Proposal>, ApiError>),
    /// The answer to an approval (`Cmd::ApproveProposal`): the approved proposal, or why not
    /// (the relay's refusal, or the journal that could not record it: then nothing was sent).
    ProposalApproved {
        id: i64,
        result: Result<Proposal, String>,
    },
}
