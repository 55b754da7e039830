//! The one binding table: every key of every mode, its action, its help text and the condition
//! under which it is offered. Dispatch, the status bar, dialog key lines, the help overlay and
//! README's key tables are all read from it, so a hint cannot lie.

use super::action::Action;
use super::key::{KeyCode, KeyPress};
use super::mode::{Mode, Scope};
use crate::app::keymap::Pane;
use crate::app::ticket::StageKind;

/// When a binding is offered (shown in hints and help). A binding whose condition does not hold
/// is hidden; its key still reaches the action, which says why it does nothing (read-only `x`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Money-moving tickets are allowed in this session (not read-only).
    TradingAllowed,
    /// The history has a filter to clear.
    FilterSet,
    /// The focused ticket field is a choice (currency, network): Up/Down cycles it.
    ChoiceField,
    /// The lock can still be confirmed (not expired, retype matched when required).
    LockConfirmable,
    /// The lock has expired (offer a new one instead of confirming).
    LockExpired,
    /// The selected live row has a wallet address to copy.
    HasAddress,
    /// The ticket's focused field is its amount and the kind has a maximum (`Ctrl-A` fills the
    /// whole balance; an order, paid by its payer, has none).
    AmountFocused,
    /// The selected live row is an ambiguous reconciliation waiting for the user's word.
    SelectedAmbiguous,
    /// The selected live row is final, so it may be dismissed (pressed on a row in flight, the
    /// key says why not).
    SelectedFinal,
    /// The desk's server is a team relay.
    OnRelay,
    /// The highlighted proposal can be approved by this desk's operator (pending, not their
    /// own, an approver).
    CanApprove,
    /// The reviewed proposal's terms have been on screen long enough for the approve key.
    ApprovalCounts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub scope: Scope,
    pub keys: Vec<KeyPress>,
    pub action: Action,
    pub help: &'static str,
    pub when: Option<Condition>,
    /// Shown in the status bar / dialog key line (otherwise only in help).
    pub in_bar: bool,
}

impl Binding {
    /// How the keys are written in hints: `j/↓`.
    pub fn label(&self) -> String {
        self.keys
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// Keys other engineers' features take; the table leaves them free and config may not bind them.
pub const RESERVED: &[(Scope, KeyPress, &str)] = &[];

struct Row(
    Scope,
    &'static [KeyPress],
    Action,
    &'static str,
    Option<Condition>,
    bool,
);

const fn k(code: KeyCode) -> KeyPress {
    KeyPress::plain(code)
}

const ENTER: KeyPress = k(KeyCode::Enter);
const ESC: KeyPress = k(KeyCode::Esc);

/// The defaults, in help order (within a mode, rows show in this order).
const DEFAULTS: &[Row] = &[
    Row(
        Scope::Only(Mode::TooSmall),
        &[KeyPress::ch('q')],
        Action::Quit,
        "quit",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::QuitConfirm),
        &[KeyPress::ch('q'), KeyPress::ch('y')],
        Action::Quit,
        "quit now",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::QuitConfirm),
        &[KeyPress::ch('n'), ESC],
        Action::QuitCancel,
        "stay",
        None,
        true,
    ),
    // Dashboard: Tab first, with three panes moving between them is the first thing to learn.
    Row(
        Scope::Dashboard,
        &[k(KeyCode::Tab)],
        Action::FocusNext,
        "next pane",
        None,
        true,
    ),
    Row(
        Scope::Dashboard,
        &[k(KeyCode::BackTab)],
        Action::FocusPrev,
        "previous pane",
        None,
        false,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('1')],
        Action::FocusBalances,
        "balances",
        None,
        false,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('2')],
        Action::FocusHistory,
        "history",
        None,
        false,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('3')],
        Action::FocusLive,
        "live",
        None,
        false,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('j'), k(KeyCode::Down)],
        Action::Down,
        "down",
        None,
        false,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('k'), k(KeyCode::Up)],
        Action::Up,
        "up",
        None,
        false,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('g'), k(KeyCode::Home)],
        Action::Top,
        "first row",
        None,
        false,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('G'), k(KeyCode::End)],
        Action::Bottom,
        "last row",
        None,
        false,
    ),
    Row(
        Scope::Dashboard,
        &[k(KeyCode::PageUp)],
        Action::PageUp,
        "page up",
        None,
        false,
    ),
    Row(
        Scope::Dashboard,
        &[k(KeyCode::PageDown)],
        Action::PageDown,
        "page down",
        None,
        false,
    ),
    Row(
        Scope::Pane(Pane::History),
        &[KeyPress::ch('/')],
        Action::Filter,
        "filter history",
        None,
        true,
    ),
    Row(
        Scope::Pane(Pane::History),
        &[ESC],
        Action::ClearFilter,
        "clear filter",
        Some(Condition::FilterSet),
        true,
    ),
    Row(
        Scope::Pane(Pane::Live),
        &[KeyPress::ch('c')],
        Action::CopyAddress,
        "copy wallet address",
        Some(Condition::HasAddress),
        true,
    ),
    Row(
        Scope::Pane(Pane::Live),
        &[KeyPress::ch(']')],
        Action::NextCandidate,
        "ambiguous: next candidate",
        Some(Condition::SelectedAmbiguous),
        true,
    ),
    Row(
        Scope::Pane(Pane::Live),
        &[KeyPress::ch('a')],
        Action::MarkApplied,
        "ambiguous: mark applied as it",
        Some(Condition::SelectedAmbiguous),
        true,
    ),
    Row(
        Scope::Pane(Pane::Live),
        &[KeyPress::ch('n')],
        Action::MarkNotApplied,
        "ambiguous: mark not applied",
        Some(Condition::SelectedAmbiguous),
        true,
    ),
    Row(
        Scope::Only(Mode::LiveDetail),
        &[KeyPress::ch(']')],
        Action::NextCandidate,
        "ambiguous: next candidate",
        Some(Condition::SelectedAmbiguous),
        true,
    ),
    Row(
        Scope::Only(Mode::LiveDetail),
        &[KeyPress::ch('a')],
        Action::MarkApplied,
        "ambiguous: mark applied as it",
        Some(Condition::SelectedAmbiguous),
        true,
    ),
    Row(
        Scope::Only(Mode::LiveDetail),
        &[KeyPress::ch('n')],
        Action::MarkNotApplied,
        "ambiguous: mark not applied",
        Some(Condition::SelectedAmbiguous),
        true,
    ),
    Row(
        Scope::Pane(Pane::Live),
        &[KeyPress::ch('d')],
        Action::Dismiss,
        "dismiss a final row",
        Some(Condition::SelectedFinal),
        true,
    ),
    Row(
        Scope::Dashboard,
        &[ENTER],
        Action::Open,
        "details",
        None,
        true,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('r')],
        Action::Refresh,
        "refresh now",
        None,
        true,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('x')],
        Action::NewExchange,
        "new exchange",
        Some(Condition::TradingAllowed),
        true,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('o')],
        Action::NewOrder,
        "new order",
        Some(Condition::TradingAllowed),
        true,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('e')],
        Action::Export,
        "export this view (CSV)",
        None,
        false,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('t')],
        Action::ToggleUtc,
        "local time / UTC",
        None,
        false,
    ),
    Row(
        Scope::Pane(Pane::Live),
        &[KeyPress::ch('u')],
        Action::UndoDismiss,
        "undo the last dismiss",
        None,
        false,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('L')],
        Action::MessageLog,
        "message log",
        None,
        false,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('A')],
        Action::Approvals,
        "approvals (team relay)",
        Some(Condition::OnRelay),
        false,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch(':')],
        Action::CommandLine,
        "command line",
        None,
        false,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('?'), k(KeyCode::F(1))],
        Action::Help,
        "help",
        None,
        true,
    ),
    Row(
        Scope::Dashboard,
        &[KeyPress::ch('q')],
        Action::Quit,
        "quit",
        None,
        true,
    ),
    // The filter line: everything else types into it.
    Row(
        Scope::Only(Mode::Filter),
        &[ENTER],
        Action::FilterKeep,
        "keep filter",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Filter),
        &[ESC],
        Action::FilterCancel,
        "clear filter",
        None,
        true,
    ),
    // The command line.
    Row(
        Scope::Only(Mode::CommandLine),
        &[ENTER],
        Action::CommandRun,
        "run",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::CommandLine),
        &[k(KeyCode::Tab)],
        Action::CommandComplete,
        "complete",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::CommandLine),
        &[ESC],
        Action::CommandCancel,
        "cancel",
        None,
        true,
    ),
    // Overlays.
    Row(
        Scope::Only(Mode::LiveDetail),
        &[KeyPress::ch('c')],
        Action::CopyAddress,
        "copy wallet address",
        Some(Condition::HasAddress),
        true,
    ),
    Row(
        Scope::Only(Mode::MessageLog),
        &[KeyPress::ch('k'), k(KeyCode::Up)],
        Action::Up,
        "older",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::MessageLog),
        &[KeyPress::ch('j'), k(KeyCode::Down)],
        Action::Down,
        "newer",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Approvals),
        &[KeyPress::ch('k'), k(KeyCode::Up)],
        Action::Up,
        "up",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Approvals),
        &[KeyPress::ch('j'), k(KeyCode::Down)],
        Action::Down,
        "down",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Approvals),
        &[KeyPress::ch('a')],
        Action::ReviewApproval,
        "review to approve",
        Some(Condition::CanApprove),
        true,
    ),
    Row(
        Scope::Only(Mode::Approvals),
        &[KeyPress::ch('r')],
        Action::Refresh,
        "reload",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Approvals),
        &[ESC, KeyPress::ch('q'), KeyPress::ch('A')],
        Action::Close,
        "close",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::ApprovalReview),
        &[KeyPress::ch('A')],
        Action::ApproveProposal,
        "approve",
        Some(Condition::ApprovalCounts),
        true,
    ),
    Row(
        Scope::Only(Mode::ApprovalReview),
        &[ESC, KeyPress::ch('n')],
        Action::ApprovalBack,
        "back, not approved",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Help),
        &[ESC, KeyPress::ch('?'), KeyPress::ch('q'), k(KeyCode::F(1))],
        Action::Close,
        "close",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Detail),
        &[ENTER, ESC, KeyPress::ch('q')],
        Action::Close,
        "close",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::LiveDetail),
        &[ENTER, ESC, KeyPress::ch('q')],
        Action::Close,
        "close",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Error),
        &[ENTER, ESC, KeyPress::ch('q')],
        Action::Close,
        "close",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::MessageLog),
        &[ESC, KeyPress::ch('q'), KeyPress::ch('L')],
        Action::Close,
        "close",
        None,
        true,
    ),
    // Tickets. Editing: every other key edits the focused field.
    Row(
        Scope::Only(Mode::Ticket(StageKind::Editing)),
        &[k(KeyCode::Tab)],
        Action::TicketNextField,
        "next field",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Editing)),
        &[k(KeyCode::BackTab)],
        Action::TicketPrevField,
        "previous field",
        None,
        false,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Editing)),
        &[k(KeyCode::Up)],
        Action::TicketChoosePrev,
        "previous choice",
        Some(Condition::ChoiceField),
        true,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Editing)),
        &[k(KeyCode::Down)],
        Action::TicketChooseNext,
        "next choice",
        Some(Condition::ChoiceField),
        true,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Editing)),
        &[KeyPress::ctrl('a')],
        Action::TicketMax,
        "max (all of the balance)",
        Some(Condition::AmountFocused),
        true,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Editing)),
        &[ENTER],
        Action::TicketLock,
        "lock rate",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Locked)),
        &[KeyPress::ch('y')],
        Action::TicketConfirm,
        "CONFIRM",
        Some(Condition::LockConfirmable),
        true,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Locked)),
        &[KeyPress::ch('l')],
        Action::TicketLock,
        "lock a new rate",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Locked)),
        &[KeyPress::ch('e')],
        Action::TicketBackToEdit,
        "edit",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Locked)),
        &[KeyPress::ch('n'), ESC],
        Action::TicketCancel,
        "cancel",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Rejected)),
        &[KeyPress::ch('l')],
        Action::TicketLock,
        "lock again",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Rejected)),
        &[KeyPress::ch('e')],
        Action::TicketBackToEdit,
        "edit",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Rejected)),
        &[ESC],
        Action::TicketCancel,
        "close",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Editing)),
        &[ESC],
        Action::TicketCancel,
        "cancel",
        None,
        true,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Locking)),
        &[ESC],
        Action::TicketCancel,
        "cancel",
        None,
        true,
    ),
    // Help from a ticket or a typing mode lists that mode's keys (F1 where ? would be typed).
    Row(
        Scope::Only(Mode::Ticket(StageKind::Editing)),
        &[k(KeyCode::F(1))],
        Action::Help,
        "help",
        None,
        false,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Locking)),
        &[KeyPress::ch('?'), k(KeyCode::F(1))],
        Action::Help,
        "help",
        None,
        false,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Locked)),
        &[KeyPress::ch('?'), k(KeyCode::F(1))],
        Action::Help,
        "help",
        None,
        false,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Submitting)),
        &[KeyPress::ch('?'), k(KeyCode::F(1))],
        Action::Help,
        "help",
        None,
        false,
    ),
    Row(
        Scope::Only(Mode::Ticket(StageKind::Rejected)),
        &[KeyPress::ch('?'), k(KeyCode::F(1))],
        Action::Help,
        "help",
        None,
        false,
    ),
    Row(
        Scope::Only(Mode::Filter),
        &[k(KeyCode::F(1))],
        Action::Help,
        "help",
        None,
        false,
    ),
    Row(
        Scope::Only(Mode::CommandLine),
        &[k(KeyCode::F(1))],
        Action::Help,
        "help",
        None,
        false,
    ),
    // Everywhere, last: a mode's own rows come first in its help.
    Row(
        Scope::Everywhere,
        &[KeyPress::ctrl('c')],
        Action::Quit,
        "quit",
        None,
        false,
    ),
];

/// The table in use: the defaults, with the config file's `[keys]` applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Self {
            bindings: DEFAULTS
                .iter()
                .map(|Row(scope, keys, action, help, when, in_bar)| Binding {
                    scope: *scope,
                    keys: keys.to_vec(),
                    action: *action,
                    help,
                    when: *when,
                    in_bar: *in_bar,
                })
                .collect(),
        }
    }
}

/// Why a `[keys]` entry cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error("unknown key section \"{0}\"; sections are: {sections}", sections = section_names())]
    UnknownScope(String),
    #[error("\"{action}\" is not an action of [keys.{scope}]; its actions are: {known}")]
    UnknownAction {
        scope: &'static str,
        action: String,
        known: String,
    },
    #[error("{key} is bound twice in {mode}: to {first} and to {second}")]
    Clash {
        key: String,
        mode: &'static str,
        first: &'static str,
        second: &'static str,
    },
    #[error("{key} in {mode} is kept for {what}")]
    Reserved {
        key: String,
        mode: &'static str,
        what: &'static str,
    },
    #[error(
        "{key} would stop the character being typed in {mode}; bind a key with ctrl- or a named key"
    )]
    TypesText { key: String, mode: &'static str },
    #[error("confirm cannot be {key}: {why}")]
    ProtectedConfirm { key: String, why: &'static str },
    #[error("an action needs at least one key (\"{action}\" in [keys.{scope}])")]
    NoKeys { scope: &'static str, action: String },
}

fn section_names() -> String {
    Scope::ALL
        .iter()
        .map(|scope| scope.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Keymap {
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The action `key` triggers in `mode`, if any (conditions do not block dispatch).
    pub fn resolve(&self, mode: Mode, key: KeyPress) -> Option<Action> {
        self.for_mode(mode)
            .find(|binding| binding.keys.contains(&key))
            .map(|binding| binding.action)
    }

    /// The bindings of `mode`, its own rows first, in table order.
    pub fn for_mode(&self, mode: Mode) -> impl Iterator<Item = &Binding> {
        self.bindings
            .iter()
            .filter(move |binding| binding.scope.covers(mode))
    }

    /// The keys of the first binding of `action` in `mode`, for sentences such as "press l to
    /// lock a new rate".
    pub fn key_for(&self, mode: Mode, action: Action) -> Option<KeyPress> {
        self.for_mode(mode)
            .find(|binding| binding.action == action)
            .and_then(|binding| binding.keys.first().copied())
    }

    /// Replaces the keys of `action` in section `scope` (every row of that scope with that
    /// action). The result is checked with [`Keymap::check`] by the caller once all are applied.
    pub fn rebind(
        &mut self,
        scope: &str,
        action: &str,
        keys: &[KeyPress],
    ) -> Result<(), KeymapError> {
        let scope =
            Scope::from_name(scope).ok_or_else(|| KeymapError::UnknownScope(scope.into()))?;
        if keys.is_empty() {
            return Err(KeymapError::NoKeys {
                scope: scope.name(),
                action: action.into(),
            });
        }
        let mut found = false;
        for binding in self
            .bindings
            .iter_mut()
            .filter(|b| b.scope == scope && b.action.name() == action)
        {
            binding.keys = keys.to_vec();
            found = true;
        }
        if found {
            Ok(())
        } else {
            let mut known: Vec<&str> = self
                .bindings
                .iter()
                .filter(|b| b.scope == scope)
                .map(|b| b.action.name())
                .collect();
            known.dedup();
            Err(KeymapError::UnknownAction {
                scope: scope.name(),
                action: action.into(),
                known: known.join(", "),
            })
        }
    }

    /// Every rule a table must keep: one action per key per mode, reserved keys free, typing
    /// modes keep their characters, and the confirm key protected.
    pub fn check(&self) -> Result<(), KeymapError> {
        for mode in Mode::ALL {
            let rows: Vec<&Binding> = self.for_mode(mode).collect();
            for (index, row) in rows.iter().enumerate() {
                for key in &row.keys {
                    if let Some(other) = rows[..index]
                        .iter()
                        .find(|earlier| earlier.keys.contains(key) && earlier.action != row.action)
                    {
                        return Err(KeymapError::Clash {
                            key: key.to_string(),
                            mode: mode.title(),
                            first: other.action.name(),
                            second: row.action.name(),
                        });
                    }
                    if let Some((_, _, what)) = RESERVED
                        .iter()
                        .find(|(scope, reserved, _)| scope.covers(mode) && reserved == key)
                    {
                        return Err(KeymapError::Reserved {
                            key: key.to_string(),
                            mode: mode.title(),
                            what,
                        });
                    }
                    if types_text(mode) && key.typed_char().is_some() {
                        return Err(KeymapError::TypesText {
                            key: key.to_string(),
                            mode: mode.title(),
                        });
                    }
                }
            }
        }
        self.check_confirm()
    }

    /// Confirm can never be Enter (pressed by habit), nor a key that opens a ticket (a double
    /// press would open and confirm), nor a digit or separator (typed into the retype field).
    fn check_confirm(&self) -> Result<(), KeymapError> {
        let locked = Mode::Ticket(StageKind::Locked);
        let openers: Vec<KeyPress> = self
            .bindings
            .iter()
            .filter(|b| matches!(b.action, Action::NewExchange | Action::NewOrder))
            .flat_map(|b| b.keys.iter().copied())
            .collect();
        for binding in self
            .for_mode(locked)
            .filter(|b| b.action == Action::TicketConfirm)
        {
            for key in &binding.keys {
                let why = if key.code == KeyCode::Enter {
                    Some("Enter is pressed by habit; confirm needs a distinct key")
                } else if openers.contains(key) {
                    Some("it opens a ticket, so a double press would open and confirm")
                } else if key
                    .typed_char()
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '\''))
                {
                    Some("it is typed into the amount when a retype is asked")
                } else {
                    None
                };
                if let Some(why) = why {
                    return Err(KeymapError::ProtectedConfirm {
                        key: key.to_string(),
                        why,
                    });
                }
            }
        }
        self.check_approve()
    }

    /// Approve lets someone else's money move: like confirm, never Enter or `y` (pressed by
    /// habit), nor a key that opened the review (a double press would review and approve).
    fn check_approve(&self) -> Result<(), KeymapError> {
        let reviewers: Vec<KeyPress> = self
            .bindings
            .iter()
            .filter(|b| b.action == Action::ReviewApproval)
            .flat_map(|b| b.keys.iter().copied())
            .collect();
        for binding in self
            .for_mode(Mode::ApprovalReview)
            .filter(|b| b.action == Action::ApproveProposal)
        {
            for key in &binding.keys {
                let why = if key.code == KeyCode::Enter || key.typed_char() == Some('y') {
                    Some("Enter and y are pressed by habit; approving needs a distinct key")
                } else if reviewers.contains(key) {
                    Some("it opens the review, so a double press would review and approve")
                } else {
                    None
                };
                if let Some(why) = why {
                    return Err(KeymapError::ProtectedConfirm {
                        key: key.to_string(),
                        why,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Modes where printable characters go into a text field.
pub fn types_text(mode: Mode) -> bool {
    matches!(
        mode,
        Mode::Filter | Mode::CommandLine | Mode::Ticket(StageKind::Editing)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_table_keeps_every_rule() {
        assert_eq!(Keymap::default().check(), Ok(()));
    }

    #[test]
    fn ctrl_c_quits_in_every_mode_and_q_alone_when_too_small() {
        let keymap = Keymap::default();
        for mode in Mode::ALL {
            assert_eq!(
                keymap.resolve(mode, KeyPress::ctrl('c')),
                Some(Action::Quit),
                "{mode:?}"
            );
        }
        let too_small: Vec<Action> = keymap.for_mode(Mode::TooSmall).map(|b| b.action).collect();
        assert_eq!(too_small, vec![Action::Quit, Action::Quit]);
        assert_eq!(keymap.resolve(Mode::TooSmall, KeyPress::ch('x')), None);
        assert_eq!(keymap.resolve(Mode::TooSmall, KeyPress::ch('y')), None);
        assert_eq!(keymap.resolve(Mode::TooSmall, ENTER), None);
    }

    #[test]
    fn pane_keys_only_work_in_their_pane() {
        let keymap = Keymap::default();
        let history = Mode::Dashboard(Pane::History);
        let balances = Mode::Dashboard(Pane::Balances);
        assert_eq!(
            keymap.resolve(history, KeyPress::ch('/')),
            Some(Action::Filter)
        );
        assert_eq!(keymap.resolve(balances, KeyPress::ch('/')), None);
        assert_eq!(
            keymap.resolve(Mode::Dashboard(Pane::Live), KeyPress::ch('d')),
            Some(Action::Dismiss)
        );
        assert_eq!(keymap.resolve(history, KeyPress::ch('d')), None);
    }

    #[test]
    fn rebinding_applies_and_rules_are_enforced() {
        let mut keymap = Keymap::default();
        keymap
            .rebind("dashboard", "refresh", &[KeyPress::ctrl('r')])
            .expect("rebind");
        assert_eq!(keymap.check(), Ok(()));
        let dashboard = Mode::Dashboard(Pane::Balances);
        assert_eq!(
            keymap.resolve(dashboard, KeyPress::ctrl('r')),
            Some(Action::Refresh)
        );
        assert_eq!(keymap.resolve(dashboard, KeyPress::ch('r')), None);

        let mut clash = Keymap::default();
        clash
            .rebind("dashboard", "refresh", &[KeyPress::ch('q')])
            .expect("rebind");
        assert!(matches!(clash.check(), Err(KeymapError::Clash { .. })));

        for (key, bad) in [
            (ENTER, "Enter"),
            (KeyPress::ch('x'), "x"),
            (KeyPress::ch('5'), "5"),
        ] {
            let mut confirm = Keymap::default();
            confirm
                .rebind("ticket-locked", "confirm", &[key])
                .expect("rebind");
            assert!(
                matches!(confirm.check(), Err(KeymapError::ProtectedConfirm { .. })),
                "{bad}"
            );
        }
        let mut confirm_is_cancel = Keymap::default();
        confirm_is_cancel
            .rebind("ticket-locked", "confirm", &[KeyPress::ch('n')])
            .expect("rebind");
        assert!(matches!(
            confirm_is_cancel.check(),
            Err(KeymapError::Clash { .. })
        ));

        let mut typing = Keymap::default();
        typing
            .rebind("filter", "keep", &[KeyPress::ch('k')])
            .expect("rebind");
        assert!(matches!(typing.check(), Err(KeymapError::TypesText { .. })));

        // `t` is taken (local time / UTC): taking it for refresh is a clash.
        let mut taken = Keymap::default();
        taken
            .rebind("dashboard", "refresh", &[KeyPress::ch('t')])
            .expect("rebind");
        assert!(matches!(taken.check(), Err(KeymapError::Clash { .. })));

        let mut keymap = Keymap::default();
        assert!(matches!(
            keymap.rebind("dashbord", "refresh", &[KeyPress::ch('R')]),
            Err(KeymapError::UnknownScope(_))
        ));
        assert!(matches!(
            keymap.rebind("dashboard", "refresh-all", &[KeyPress::ch('R')]),
            Err(KeymapError::UnknownAction { .. })
        ));
    }
}
