//! The application state and its one update function: `update(Msg) -> Vec<Cmd>`, no I/O, no
//! terminal, no clock (the runtime passes `now`), so every behaviour is a plain unit test.

pub mod answers;
pub mod balances;
pub mod check_pace;
pub mod cmd;
pub mod command_line;
pub mod export;
pub mod final_refresh;
pub mod freshness;
pub mod history;
pub mod journal_health;
pub mod keyboard;
pub mod keymap;
pub mod live;
pub mod message_log;
pub mod money_actions;
pub mod msg;
pub mod reconcile;
pub mod records;
pub mod screen;
pub mod selection;
pub mod stale_retry;
pub mod submit;
pub mod team;
pub mod text_fields;
pub mod ticket;
pub mod ticket_actions;
pub mod trade_kind;
pub mod trading;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use self::balances::BalancesPane;
use self::cmd::Cmd;
use self::final_refresh::FinalRefresh;
use self::history::{HistoryPane, PageWhy};
use self::keyboard::Keyboard;
use self::keymap::Pane;
use self::live::{LiveKind, LivePane, WatchRule, WatchTarget, WatchedSet};
use self::msg::Msg;
use self::reconcile::{ReconcilePolicy, Reconciling};
use self::records::Records;
use self::stale_retry::{RetryState, StaleRetry};
use self::ticket::Ticket;
use crate::api::error::ApiError;
use crate::journal;

/// Which P100 environment the desk talks to; shown as the header badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvBadge {
    Sandbox,
    Stage,
    Production,
    /// A `--base-url` server that is neither of the documented ones.
    Custom,
}

impl EnvBadge {
    pub fn label(self) -> &'static str {
        match self {
            EnvBadge::Sandbox => "SANDBOX",
            EnvBadge::Stage => "STAGE",
            EnvBadge::Production => "PRODUCTION",
            EnvBadge::Custom => "CUSTOM",
        }
    }
}

/// Facts about the session that do not change while it runs.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub environment: EnvBadge,
    pub profile: String,
    pub read_only: bool,
    pub bell: bool,
    /// Above this EUR value a confirmation needs the amount typed again.
    pub max_exchange_eur: Option<rust_decimal::Decimal>,
}

/// A full-screen layer over the dashboard; it has the keyboard while open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help,
    BalanceDetail(String),
    TransactionDetail(String),
    LiveDetail(String),
    /// An action failed: stays until dismissed.
    Error {
        title: String,
        message: String,
    },
    /// Every notice since the start (`L`).
    MessageLog,
    /// The team's four-eyes proposals (`A`, on a relay).
    Approvals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

/// The status bar's message: the last thing worth telling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub level: Level,
    pub at: DateTime<Utc>,
}

/// What the last API exchange says about the connection, for the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Online,
    Throttled,
    Offline(String),
}

pub struct App {
    pub session: SessionInfo,
    /// The time of the last message, passed in by the runtime (or a test).
    pub now: DateTime<Utc>,
    pub focus: Pane,
    pub overlay: Option<Overlay>,
    pub balances: BalancesPane,
    pub history: HistoryPane,
    pub live: LivePane,
    /// The poller's pace, to tell how often each row is really checked.
    pub check_pace: check_pace::CheckPace,
    pub notice: Option<Notice>,
    pub connection: Connection,
    /// The open exchange or order ticket; it has the keyboard (below an error overlay).
    pub ticket: Option<Ticket>,
    /// Set when trading must stay off (e.g. the journal cannot be written).
    pub trading_blocked: Option<String>,
    /// How rate locks are checked before a confirm counts (`[trading]`).
    pub lock_policy: crate::lock_check::LockPolicy,
    /// Until when P100 asked the client to pause (told by the runtime), if it did.
    pub throttled_until: Option<DateTime<Utc>>,
    /// What waits for the desk's own request budget ("throttled by our own budget: history
    /// waits" in the header while not empty).
    pub budget_waiting: crate::api::budget::Waiting,
    /// What the poller was told to watch, to send only changes.
    watched: WatchedSet,
    ticket_seq: u64,
    intent_counter: u64,
    reconciling: HashMap<String, Reconciling>,
    /// How soon a failed pane refresh is tried again (tests shorten it).
    pub stale_retry: StaleRetry,
    retry: RetryState,
    /// How unknown outcomes are read back (tests shorten it).
    pub reconcile_policy: ReconcilePolicy,
    /// Where `e` writes exports (set by the session; `None`: export unavailable).
    pub export_paths: Option<export::ExportPaths>,
    /// Refreshes caused by rows going final, coalesced.
    final_refresh: FinalRefresh,
    /// What the journal holds (claimed ids, finals) and whether it can be written.
    pub records: Records,
    /// Key table, number format, terminal size, quit question, cursor, command line, log.
    pub keyboard: Keyboard,
    /// Time zone, theme, undo and the `:` command line.
    pub screen: screen::ScreenState,
    /// The team relay's share (push, team rows, proposals); inert off a relay.
    pub team: team::TeamState,
    pub should_quit: bool,
}

impl App {
    pub fn new(session: SessionInfo, now: DateTime<Utc>) -> Self {
        Self {
            session,
            now,
            focus: Pane::Balances,
            overlay: None,
            balances: BalancesPane::default(),
            history: HistoryPane::default(),
            live: LivePane::default(),
            check_pace: check_pace::CheckPace::default(),
            notice: None,
            connection: Connection::Connecting,
            ticket: None,
            trading_blocked: None,
            lock_policy: crate::lock_check::LockPolicy::default(),
            throttled_until: None,
            budget_waiting: crate::api::budget::Waiting::default(),
            watched: WatchedSet::default(),
            ticket_seq: 0,
            intent_counter: 0,
            reconciling: HashMap::new(),
            stale_retry: StaleRetry::default(),
            retry: RetryState::default(),
            reconcile_policy: ReconcilePolicy::default(),
            export_paths: None,
            final_refresh: FinalRefresh::default(),
            records: Records::default(),
            keyboard: Keyboard::default(),
            screen: screen::ScreenState::default(),
            team: team::TeamState::default(),
            should_quit: false,
        }
    }

    /// The first commands: load both panes.
    pub fn init(&mut self) -> Vec<Cmd> {
        self.refresh()
    }

    pub fn update(&mut self, msg: Msg, now: DateTime<Utc>) -> Vec<Cmd> {
        self.now = now;
        let mut cmds = match msg {
            Msg::Key(key) => self.on_key(key),
            Msg::Paste(text) => self.on_paste(text),
            Msg::Resize { width, height } => {
                self.keyboard.size = Some((width, height));
                Vec::new()
            }
            Msg::Tick => {
                self.history.continue_search();
                Vec::new()
            }
            Msg::RefreshDue => self.refresh(),
            Msg::RetryRefreshDue { seq } => {
                if self.retry.due(seq) {
                    self.refresh()
                } else {
                    Vec::new()
                }
            }
            Msg::FinalRefreshDue => self.on_final_refresh_due(),
            Msg::BalancesLoaded(result) => self.on_balances(result),
            Msg::HistoryLoaded { page, result } => self.on_history(page, result),
            Msg::ExchangePolled { id, result } => self.on_exchange_polled(&id, result),
            Msg::OrderPolled { id, result } => self.on_order_polled(&id, result),
            Msg::PriceDue { seq } => self.on_price_due(seq),
            Msg::Priced { seq, result } => {
                self.on_priced(seq, result);
                Vec::new()
            }
            Msg::Locked { seq, result } => self.on_locked(seq, result),
            Msg::Submitted { intent, result } => self.on_submitted_answer(&intent, result),
            Msg::ReconcileDue { intent } => self.on_reconcile_due(&intent),
            Msg::Reconciled { intent, result } => self.on_reconciled(&intent, result),
            Msg::JournalFailed { error } => self.on_journal_failed(&error),
            Msg::JournalWritten => self.on_journal_written(),
            Msg::JournalCheckDue => self.on_journal_check_due(),
            Msg::Throttle { until } => {
                self.throttled_until = until;
                Vec::new()
            }
            Msg::OwnBudget(waiting) => {
                self.budget_waiting = waiting;
                Vec::new()
            }
            Msg::Exported(result) => {
                self.on_exported(result);
                Vec::new()
            }
            Msg::TeamIdentity(result) => {
                self.on_team_identity(result);
                Vec::new()
            }
            Msg::Push(link) => self.on_push(link),
            Msg::TeamPushed(event) => self.on_team_event(&event),
            Msg::TeamPending(result) => self.on_team_pending(result),
            Msg::ProposalsLoaded(result) => {
                self.on_proposals(result);
                Vec::new()
            }
            Msg::ProposalApproved { id, result } => self.on_proposal_approved(id, result),
        };
        if let Some(watch) = self.watch_changes() {
            cmds.push(watch);
        }
        self.screen.status.observe_changed(&mut self.live.rows, now);
        cmds
    }

    /// Reloads balances and the newest history page, unless they are already loading.
    fn refresh(&mut self) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        if !self.balances.freshness.loading {
            self.balances.freshness.start();
            cmds.push(Cmd::LoadBalances);
        }
        if let Some(page) = self.history.request_page(1) {
            cmds.push(self.history.load(page, PageWhy::Refresh));
        }
        cmds
    }

    fn note(&mut self, level: Level, text: impl Into<String>) {
        let notice = Notice {
            text: text.into(),
            level,
            at: self.now,
        };
        self.keyboard.log.push(notice.clone());
        self.notice = Some(notice);
    }

    /// Into the message log only, for what a dialog on screen already says (a failed lock, a
    /// refused POST): the log keeps it, with its time and full text, after the dialog is gone.
    fn log_only(&mut self, level: Level, text: impl Into<String>) {
        self.keyboard.log.push(Notice {
            text: text.into(),
            level,
            at: self.now,
        });
    }

    /// A warning from before the dashboard ran (config, start-up): into the message log and
    /// the status bar.
    pub fn startup_warning(&mut self, text: impl Into<String>) {
        self.note(Level::Warning, format!("Start-up warning: {}", text.into()));
    }

    /// Records what a failed background read says about the connection.
    fn background_failure(&mut self, what: &str, error: &ApiError) -> String {
        let reason = error.short_reason();
        self.connection = if error.retry_after().is_some() || reason.contains("throttl") {
            Connection::Throttled
        } else {
            Connection::Offline(reason.clone())
        };
        self.note(
            Level::Warning,
            format!("{what} not refreshed: {}", error.user_message()),
        );
        reason
    }

    fn on_balances(&mut self, result: Result<crate::api::models::Balances, ApiError>) -> Vec<Cmd> {
        match result {
            Ok(balances) => {
                self.connection = Connection::Online;
                self.balances.load(balances, self.now);
                self.note_recovery();
                Vec::new()
            }
            Err(error) => {
                let reason = self.background_failure("Balances", &error);
                self.balances.freshness.failed(self.now, reason);
                self.schedule_retry(&error)
            }
        }
    }

    fn on_history(
        &mut self,
        page: u32,
        result: Result<crate::api::models::TransactionPage, ApiError>,
    ) -> Vec<Cmd> {
        match result {
            Ok(data) => {
                self.connection = Connection::Online;
                self.history.merge(page, data, self.now);
                self.note_recovery();
                // A tall pane, or `G` under way, may want the next page now.
                self.wanted_history_page()
            }
            Err(error) => {
                let reason = self.background_failure("History", &error);
                self.history.failed(self.now, reason);
                self.schedule_retry(&error)
            }
        }
    }

    /// A pane refresh failed: try again soon (never before the server's Retry-After), so a
    /// stale pane recovers by itself once the fault clears instead of at the slow timer.
    fn schedule_retry(&mut self, error: &ApiError) -> Vec<Cmd> {
        self.retry
            .failed(self.stale_retry, error.retry_after())
            .map(|(seq, after)| Cmd::ScheduleRefresh { seq, after })
            .into_iter()
            .collect()
    }

    /// Both panes are fresh again: the next failure backs off from the start.
    fn note_recovery(&mut self) {
        if self.balances.freshness.stale.is_none() && self.history.freshness.stale.is_none() {
            self.retry.recovered();
        }
    }

    /// A watched row reached a final status: journal it, tell the user, and refresh what it
    /// changed (coalesced when many go final together).
    fn finalized(&mut self, text: String, key: &str, event: journal::Event) -> Vec<Cmd> {
        self.note(Level::Info, text);
        let mut cmds = vec![Cmd::Journal(self.journal_entry(key, event))];
        cmds.extend(self.refresh_for_final());
        if self.session.bell {
            cmds.push(Cmd::Bell);
        }
        cmds
    }

    /// `Cmd::Watch` with the rows that joined or left the poller's set since it was last told
    /// (O(rows changed); see [`live::WatchChange`]).
    fn watch_changes(&mut self) -> Option<Cmd> {
        // While the relay pushes, its events move pending rows; only unknowns are polled. When
        // push goes down, the rule changes back and every row in flight is polled again.
        let rule = if self.team.push_live() {
            WatchRule::UnknownOnly
        } else {
            WatchRule::InFlight
        };
        self.live
            .rows
            .watch_change(&mut self.watched, rule)
            .map(Cmd::Watch)
    }

    /// A new poller starts, knowing nothing: the whole watch set as one change (the one place
    /// besides a renumbering where every row is looked at). Whoever starts a poller sends this
    /// first and drops any `Cmd::Watch` computed for the poller before it (this one has them).
    pub fn poller_started(&mut self) -> Option<Cmd> {
        self.watched = WatchedSet::default();
        self.live.rows.rewatch_all();
        self.watch_changes()
    }

    /// What the poller was told to watch, sorted (for tests: O(N log N)).
    pub fn watched(&self) -> Vec<WatchTarget> {
        self.watched.sorted()
    }

    fn navigate(&mut self, nav: selection::Nav) -> Vec<Cmd> {
        match self.focus {
            Pane::Balances => {
                let ids: Vec<&str> = self.balances.rows.iter().map(|r| r.id.as_str()).collect();
                self.balances.selection.apply(&ids, nav);
            }
            Pane::History => {
                if let Some(page) = self.history.navigate(nav) {
                    return vec![self.history.load(page, PageWhy::Asked)];
                }
            }
            Pane::Live => {
                let ids: Vec<&str> = self.live.rows.iter().map(|r| r.key.as_str()).collect();
                self.live.selection.apply(&ids, nav);
            }
        }
        Vec::new()
    }

    fn open_detail(&mut self) {
        self.overlay = match self.focus {
            Pane::Balances => self
                .balances
                .selected()
                .map(|row| Overlay::BalanceDetail(row.id.clone())),
            Pane::History => self
                .history
                .selected()
                .map(|row| Overlay::TransactionDetail(row.id().to_string())),
            Pane::Live => self
                .live
                .selected()
                .map(|row| Overlay::LiveDetail(row.key.clone())),
        };
    }

    /// The wallet address of the selected live row, if it has one.
    pub fn selected_address(&self) -> Option<&str> {
        self.live.selected().and_then(|row| match &row.kind {
            LiveKind::Order(order) => order.wallet_address.as_deref(),
            LiveKind::Exchange(_) => None,
        })
    }

    fn copy_address(&mut self) -> Vec<Cmd> {
        let address = self.live.selected().and_then(|row| match &row.kind {
            LiveKind::Order(order) => order
                .wallet_address
                .clone()
                .map(|address| (address, row.phase.is_final())),
            LiveKind::Exchange(_) => None,
        });
        // Whether the terminal took the text is not knowable (OSC 52 has no answer): say what
        // was done, not "Copied". A closed order's address must not read as "pay here".
        if let Some((address, closed)) = address {
            let (level, what) = if closed {
                (Level::Warning, "order closed: do not pay to this address")
            } else {
                (Level::Info, "wallet address")
            };
            self.note(
                level,
                format!("Sent to the terminal's clipboard (OSC 52), {what}: {address}"),
            );
            vec![Cmd::CopyToClipboard(address)]
        } else {
            self.note(Level::Warning, "No wallet address to copy yet");
            Vec::new()
        }
    }

    /// How soon the screen must be redrawn although nothing happened, or `None` to sleep until
    /// the next event: only while something on screen moves on its own.
    pub fn animation_interval(&self) -> Option<std::time::Duration> {
        // A history search still running: the next slice on the next loop turn, at once (the
        // loop lets input in first; a timer of even 1 ms costs 1-2 ms a turn, 31 turns at 1M
        // rows). First, so that a countdown's slower pace cannot slow the search.
        if self.history.searching() {
            return Some(std::time::Duration::ZERO);
        }
        // A lock countdown is on screen: tick 4 times a second, only while it is visible.
        let countdown =
            self.overlay.is_none() && self.ticket.as_ref().and_then(Ticket::lock_expiry).is_some();
        if countdown {
            return Some(std::time::Duration::from_millis(250));
        }
        // An approval under review: redraw when its key starts to count.
        if self.overlay == Some(Overlay::Approvals)
            && self.team.review.is_some()
            && !self.approval_counts()
        {
            return Some(std::time::Duration::from_millis(100));
        }
        // The header says "throttled until": redraw when the pause ends.
        self.throttled_until
            .and_then(|until| (until - self.now).to_std().ok())
            .map(|left| left.max(std::time::Duration::from_millis(50)))
    }
}

/// The first 8 characters of an id, enough to tell rows apart on screen.
pub fn short_id(id: &str) -> &str {
    id.char_indices()
        .nth(8)
        .map_or(id, |(index, _)| &id[..index])
}
