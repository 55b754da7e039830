//! The application state and its one update function: `update(Msg) -> Vec<Cmd>`, no I/O, no
//! terminal, no clock (the runtime passes `now`), so every behaviour is a plain unit test.

pub mod balances;
pub mod check_pace;
pub mod cmd;
pub mod final_refresh;
pub mod freshness;
pub mod history;
pub mod keymap;
pub mod live;
pub mod msg;
pub mod reconcile;
pub mod selection;
pub mod stale_retry;
pub mod submit;
pub mod ticket;
pub mod trading;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use self::balances::BalancesPane;
use self::cmd::Cmd;
use self::final_refresh::FinalRefresh;
use self::history::{HistoryPane, PAGE_LIMIT};
use self::keymap::{Action, Pane, action_for};
use self::live::{LiveKind, LivePane, LiveRow, WatchTarget};
use self::msg::Msg;
use self::reconcile::{ReconcilePolicy, Reconciling};
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
    /// The watch set last sent to the poller, to send only changes.
    watched: Vec<WatchTarget>,
    ticket_seq: u64,
    intent_counter: u64,
    reconciling: HashMap<String, Reconciling>,
    /// How soon a failed pane refresh is tried again (tests shorten it).
    pub stale_retry: StaleRetry,
    retry: RetryState,
    /// How unknown outcomes are read back (tests shorten it).
    pub reconcile_policy: ReconcilePolicy,
    /// Refreshes caused by rows going final, coalesced.
    final_refresh: FinalRefresh,
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
            watched: Vec::new(),
            ticket_seq: 0,
            intent_counter: 0,
            reconciling: HashMap::new(),
            stale_retry: StaleRetry::default(),
            retry: RetryState::default(),
            reconcile_policy: ReconcilePolicy::default(),
            final_refresh: FinalRefresh::default(),
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
            Msg::Key(key) => self.on_key(&key),
            Msg::Paste(text) => self.on_paste(&text),
            Msg::Resize => Vec::new(),
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
            Msg::QuoteDue { seq } => self.on_quote_due(seq),
            Msg::ExchangeQuoted { seq, result } => {
                self.on_quoted(seq, result);
                Vec::new()
            }
            Msg::ExchangeLocked { seq, result } => {
                self.on_exchange_locked(seq, result);
                Vec::new()
            }
            Msg::ExchangeSubmitted { intent, result } => {
                self.on_exchange_submitted(&intent, result)
            }
            Msg::OrderRatesLoaded(result) => {
                self.on_order_rates(result);
                Vec::new()
            }
            Msg::OrderLocked { seq, result } => {
                self.on_order_locked(seq, result);
                Vec::new()
            }
            Msg::OrderSubmitted { intent, result } => self.on_order_submitted(&intent, result),
            Msg::ReconcileDue { intent } => self.on_reconcile_due(&intent),
            Msg::Reconciled { intent, result } => self.on_reconciled(&intent, result),
            Msg::JournalFailed { error } => {
                self.note(Level::Error, format!("Journal write failed: {error}"));
                Vec::new()
            }
        };
        if let Some(watch) = self.watch_changes() {
            cmds.push(watch);
        }
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
            cmds.push(Cmd::LoadHistory {
                page,
                limit: PAGE_LIMIT,
            });
        }
        cmds
    }

    fn note(&mut self, level: Level, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            level,
            at: self.now,
        });
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
                Vec::new()
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

    fn on_exchange_polled(
        &mut self,
        id: &str,
        result: Result<crate::api::models::ExchangeDetails, ApiError>,
    ) -> Vec<Cmd> {
        self.on_polled(id, result, "Exchange", LiveRow::apply_exchange)
    }

    fn on_order_polled(
        &mut self,
        id: &str,
        result: Result<crate::api::models::OrderDetails, ApiError>,
    ) -> Vec<Cmd> {
        self.on_polled(id, result, "Order", LiveRow::apply_order)
    }

    /// A details answer for a watched row: applies it, or marks the row's status as unchecked
    /// since the first failure (the row keeps its last known status: nothing is guessed).
    fn on_polled<T>(
        &mut self,
        id: &str,
        result: Result<T, ApiError>,
        what: &str,
        apply: impl FnOnce(&mut LiveRow, &T, DateTime<Utc>) -> bool,
    ) -> Vec<Cmd> {
        let now = self.now;
        let Some(row) = self.live.find_by_remote_mut(id) else {
            return Vec::new(); // a stale reply for a row no longer watched
        };
        match result {
            Ok(details) => {
                row.check_failed = None;
                if apply(row, &details, now) {
                    let text = format!("{what} {} is {}", short_id(id), row.phase.label());
                    let (key, event) = (row.key.clone(), submit::final_event(&row.phase));
                    return self.finalized(text, &key, event);
                }
            }
            Err(error) => {
                let since = row.check_failed.as_ref().map_or(now, |stale| stale.since);
                row.check_failed = Some(freshness::Stale {
                    since,
                    reason: error.short_reason(),
                });
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

    /// `Cmd::Watch` when the set of rows to poll changed since it was last sent.
    fn watch_changes(&mut self) -> Option<Cmd> {
        if self.live.still_watching(&self.watched) {
            return None;
        }
        let targets = self.live.watch_targets();
        self.watched.clone_from(&targets);
        Some(Cmd::Watch(targets))
    }

    fn on_paste(&mut self, text: &str) -> Vec<Cmd> {
        if self.history.filter_editing {
            let clean: String = text.chars().filter(|c| !c.is_control()).collect();
            let filter = format!("{}{clean}", self.history.filter);
            self.history.set_filter(filter);
        }
        Vec::new()
    }

    fn on_key(&mut self, key: &KeyEvent) -> Vec<Cmd> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if self.overlay.is_some() {
            return self.on_overlay_key(key);
        }
        if self.ticket.is_some() {
            if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
                self.should_quit = true;
                return vec![Cmd::Quit];
            }
            return self.on_ticket_key(key);
        }
        if self.history.filter_editing {
            self.on_filter_key(key);
            return Vec::new();
        }
        match action_for(key, self.focus) {
            Some(action) => self.on_action(action),
            None => Vec::new(),
        }
    }

    fn on_overlay_key(&mut self, key: &KeyEvent) -> Vec<Cmd> {
        let closes = matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q'))
            || (key.code == KeyCode::Char('?') && self.overlay == Some(Overlay::Help));
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.should_quit = true;
            return vec![Cmd::Quit];
        }
        if closes {
            self.overlay = None;
            return Vec::new();
        }
        if key.code == KeyCode::Char('c') {
            if let Some(Overlay::LiveDetail(_)) = &self.overlay {
                return self.copy_address();
            }
        }
        Vec::new()
    }

    fn on_filter_key(&mut self, key: &KeyEvent) {
        match key.code {
            KeyCode::Enter => self.history.filter_editing = false,
            KeyCode::Esc => {
                self.history.filter_editing = false;
                self.history.set_filter(String::new());
            }
            KeyCode::Backspace => {
                let mut filter = self.history.filter.clone();
                filter.pop();
                self.history.set_filter(filter);
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                let filter = format!("{}{c}", self.history.filter);
                self.history.set_filter(filter);
            }
            _ => {}
        }
    }

    fn on_action(&mut self, action: Action) -> Vec<Cmd> {
        match action {
            Action::Quit => {
                self.should_quit = true;
                return vec![Cmd::Quit];
            }
            Action::FocusNext => self.focus = self.focus.next(),
            Action::FocusPrev => self.focus = self.focus.prev(),
            Action::Focus(pane) => self.focus = pane,
            Action::Nav(nav) => return self.navigate(nav),
            Action::Open => self.open_detail(),
            Action::Back => {
                if self.focus == Pane::History && !self.history.filter.is_empty() {
                    self.history.set_filter(String::new());
                }
            }
            Action::Refresh => {
                self.note(Level::Info, "Refreshing balances and history");
                return self.refresh();
            }
            Action::Filter => self.history.filter_editing = true,
            Action::Help => self.overlay = Some(Overlay::Help),
            Action::Dismiss => {
                if !self.live.dismiss_selected() && self.live.selected().is_some() {
                    self.note(
                        Level::Warning,
                        "Only a final row can be dismissed; this one is still in flight",
                    );
                }
            }
            Action::CopyAddress => return self.copy_address(),
            Action::NewExchange => return self.open_exchange_ticket(),
            Action::NewOrder => return self.open_order_ticket(),
        }
        Vec::new()
    }

    fn navigate(&mut self, nav: selection::Nav) -> Vec<Cmd> {
        match self.focus {
            Pane::Balances => {
                let ids: Vec<&str> = self.balances.rows.iter().map(|r| r.id.as_str()).collect();
                self.balances.selection.apply(&ids, nav);
            }
            Pane::History => {
                if let Some(page) = self.history.navigate(nav) {
                    return vec![Cmd::LoadHistory {
                        page,
                        limit: PAGE_LIMIT,
                    }];
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

    fn copy_address(&mut self) -> Vec<Cmd> {
        let address = self.live.selected().and_then(|row| match &row.kind {
            LiveKind::Order(order) => order.wallet_address.clone(),
            LiveKind::Exchange(_) => None,
        });
        if let Some(address) = address {
            self.note(Level::Info, format!("Copied wallet address {address}"));
            vec![Cmd::CopyToClipboard(address)]
        } else {
            self.note(Level::Warning, "No wallet address to copy yet");
            Vec::new()
        }
    }

    /// How soon the screen must be redrawn although nothing happened, or `None` to sleep until
    /// the next event: only while something on screen moves on its own.
    pub fn animation_interval(&self) -> Option<std::time::Duration> {
        // A lock countdown is on screen: tick 4 times a second, only while it is visible.
        let countdown =
            self.overlay.is_none() && self.ticket.as_ref().and_then(Ticket::lock_expiry).is_some();
        // A history search still running: the next slice on the next loop turn.
        if self.history.searching() {
            return Some(std::time::Duration::from_millis(1));
        }
        countdown.then(|| std::time::Duration::from_millis(250))
    }
}

/// The first 8 characters of an id, enough to tell rows apart on screen.
pub fn short_id(id: &str) -> &str {
    id.char_indices()
        .nth(8)
        .map_or(id, |(index, _)| &id[..index])
}
