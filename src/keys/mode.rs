//! The modes of the desk, as `App::mode()` derives them from state, and the scopes a binding row
//! names (one mode, or a family such as "every dashboard pane").

use crate::app::keymap::Pane;
use crate::app::ticket::StageKind;

/// What has the keyboard right now. Exactly one mode at a time; nothing else decides what a key
/// does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The terminal is below the minimum size: only quitting works, nothing acts unseen.
    TooSmall,
    /// Quit was asked with rows in flight: a second `q` (or `y`) quits.
    QuitConfirm,
    Dashboard(Pane),
    /// Typing the history filter.
    Filter,
    Help,
    /// A balance or transaction detail.
    Detail,
    /// A live row's detail (it can copy the wallet address).
    LiveDetail,
    /// A failed action's message.
    Error,
    MessageLog,
    CommandLine,
    Ticket(StageKind),
    /// The team's four-eyes proposals (`A`, on a relay).
    Approvals,
    /// One proposal's terms under review: the approve key counts after they were shown.
    ApprovalReview,
}

impl Mode {
    /// Every mode, for the walk-every-mode test and the README tables.
    pub const ALL: [Mode; 19] = [
        Mode::Dashboard(Pane::Balances),
        Mode::Dashboard(Pane::History),
        Mode::Dashboard(Pane::Live),
        Mode::Filter,
        Mode::Help,
        Mode::Detail,
        Mode::LiveDetail,
        Mode::Error,
        Mode::MessageLog,
        Mode::CommandLine,
        Mode::Approvals,
        Mode::ApprovalReview,
        Mode::Ticket(StageKind::Editing),
        Mode::Ticket(StageKind::Locking),
        Mode::Ticket(StageKind::Locked),
        Mode::Ticket(StageKind::Submitting),
        Mode::Ticket(StageKind::Rejected),
        Mode::QuitConfirm,
        Mode::TooSmall,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Mode::TooSmall => "Terminal too small",
            Mode::QuitConfirm => "Quit?",
            Mode::Dashboard(Pane::Balances) => "Balances pane",
            Mode::Dashboard(Pane::History) => "History pane",
            Mode::Dashboard(Pane::Live) => "Live pane",
            Mode::Filter => "Filter line",
            Mode::Help => "Help",
            Mode::Detail => "Detail",
            Mode::LiveDetail => "Live row detail",
            Mode::Error => "Error",
            Mode::MessageLog => "Message log",
            Mode::CommandLine => "Command line",
            Mode::Approvals => "Approvals",
            Mode::ApprovalReview => "Approval review",
            Mode::Ticket(StageKind::Editing) => "Ticket: editing",
            Mode::Ticket(StageKind::Locking) => "Ticket: locking",
            Mode::Ticket(StageKind::Locked) => "Ticket: locked rate",
            Mode::Ticket(StageKind::Submitting) => "Ticket: sending",
            Mode::Ticket(StageKind::Rejected) => "Ticket: refused",
        }
    }
}

/// Which modes a binding row applies to. Its name is the `[keys.<scope>]` section in config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every mode (Ctrl-C).
    Everywhere,
    /// Every dashboard pane.
    Dashboard,
    Pane(Pane),
    Only(Mode),
}

impl Scope {
    pub const ALL: [Scope; 19] = [
        Scope::Everywhere,
        Scope::Dashboard,
        Scope::Pane(Pane::Balances),
        Scope::Pane(Pane::History),
        Scope::Pane(Pane::Live),
        Scope::Only(Mode::Filter),
        Scope::Only(Mode::Help),
        Scope::Only(Mode::Detail),
        Scope::Only(Mode::LiveDetail),
        Scope::Only(Mode::Error),
        Scope::Only(Mode::MessageLog),
        Scope::Only(Mode::CommandLine),
        Scope::Only(Mode::Approvals),
        Scope::Only(Mode::ApprovalReview),
        Scope::Only(Mode::Ticket(StageKind::Editing)),
        Scope::Only(Mode::Ticket(StageKind::Locked)),
        Scope::Only(Mode::Ticket(StageKind::Rejected)),
        Scope::Only(Mode::QuitConfirm),
        Scope::Only(Mode::TooSmall),
    ];

    pub fn covers(self, mode: Mode) -> bool {
        match self {
            Scope::Everywhere => true,
            Scope::Dashboard => matches!(mode, Mode::Dashboard(_)),
            Scope::Pane(pane) => mode == Mode::Dashboard(pane),
            Scope::Only(only) => only == mode,
        }
    }

    /// The config section name: `[keys.dashboard]`, `[keys.ticket-locked]`.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Everywhere => "global",
            Scope::Dashboard => "dashboard",
            Scope::Pane(Pane::Balances) => "balances",
            Scope::Pane(Pane::History) => "history",
            Scope::Pane(Pane::Live) => "live",
            Scope::Only(mode) => match mode {
                Mode::Filter => "filter",
                Mode::Help => "help",
                Mode::Detail => "detail",
                Mode::LiveDetail => "live-detail",
                Mode::Error => "error",
                Mode::MessageLog => "log",
                Mode::CommandLine => "command",
                Mode::Approvals => "approvals",
                Mode::ApprovalReview => "approval-review",
                Mode::Ticket(StageKind::Editing) => "ticket-editing",
                Mode::Ticket(StageKind::Locking) => "ticket-locking",
                Mode::Ticket(StageKind::Locked) => "ticket-locked",
                Mode::Ticket(StageKind::Submitting) => "ticket-submitting",
                Mode::Ticket(StageKind::Rejected) => "ticket-rejected",
                Mode::QuitConfirm => "quit",
                Mode::TooSmall => "too-small",
                Mode::Dashboard(Pane::Balances) => "balances",
                Mode::Dashboard(Pane::History) => "history",
                Mode::Dashboard(Pane::Live) => "live",
            },
        }
    }

    pub fn from_name(name: &str) -> Option<Scope> {
        Self::ALL.into_iter().find(|scope| scope.name() == name)
    }
}
