//! From the keyboard to the state: the pane enum, `App::mode()`, and the dispatch of a key press
//! through the binding table to an action (or to a text edit of the focused field).

use super::cmd::Cmd;
use super::selection::Nav;
use super::ticket::{Ticket, each_kind};
use super::trade_kind::TradeKind;
use super::{App, Level, Overlay};
use crate::input::TextEdit;
use crate::keys::{Action, Binding, Condition, KeyPress, Mode};

/// The three panes, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Balances,
    History,
    Live,
}

impl Pane {
    pub const ALL: [Pane; 3] = [Pane::Balances, Pane::History, Pane::Live];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Balances => "Balances",
            Pane::History => "History",
            Pane::Live => "Live",
        }
    }

    #[must_use]
    pub fn next(self) -> Pane {
        match self {
            Pane::Balances => Pane::History,
            Pane::History => Pane::Live,
            Pane::Live => Pane::Balances,
        }
    }

    #[must_use]
    pub fn prev(self) -> Pane {
        match self {
            Pane::Balances => Pane::Live,
            Pane::History => Pane::Balances,
            Pane::Live => Pane::History,
        }
    }
}

/// One key hint as drawn: the keys' label, what it does, and the action behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub keys: Vec<KeyPress>,
    pub label: String,
    pub help: &'static str,
    pub action: Action,
}

impl Hint {
    fn of(binding: &Binding) -> Self {
        Self {
            keys: binding.keys.clone(),
            label: binding.label(),
            help: binding.help,
            action: binding.action,
        }
    }
}

impl App {
    /// What has the keyboard, derived from state. Nothing else decides what a key does.
    pub fn mode(&self) -> Mode {
        if self.keyboard.too_small() {
            return Mode::TooSmall;
        }
        if self.keyboard.quit_asked {
            return Mode::QuitConfirm;
        }
        match &self.overlay {
            Some(Overlay::Help) => return Mode::Help,
            Some(Overlay::BalanceDetail(_) | Overlay::TransactionDetail(_)) => return Mode::Detail,
            Some(Overlay::LiveDetail(_)) => return Mode::LiveDetail,
            Some(Overlay::Error { .. }) => return Mode::Error,
            Some(Overlay::MessageLog) => return Mode::MessageLog,
            Some(Overlay::Approvals) if self.team.review.is_some() => {
                return Mode::ApprovalReview;
            }
            Some(Overlay::Approvals) => return Mode::Approvals,
            None => {}
        }
        if let Some(ticket) = &self.ticket {
            return Mode::Ticket(ticket.stage_kind());
        }
        if self.keyboard.command.is_some() {
            return Mode::CommandLine;
        }
        if self.history.filter_editing {
            return Mode::Filter;
        }
        Mode::Dashboard(self.focus)
    }

    /// The bindings offered in `mode` now (their condition holds), in table order.
    pub fn offered(&self, mode: Mode) -> Vec<Hint> {
        self.keyboard
            .keymap
            .for_mode(mode)
            .filter(|binding| binding.when.is_none_or(|c| self.condition_holds(c)))
            .map(Hint::of)
            .collect()
    }

    /// The hints for the status bar and dialog key lines of the current mode.
    pub fn key_hints(&self) -> Vec<Hint> {
        self.hints_in(self.mode())
    }

    /// The key-line hints of `mode` (the too-small notice is drawn from the screen's size, a
    /// frame before the resize message makes it the mode).
    pub fn hints_in(&self, mode: Mode) -> Vec<Hint> {
        self.keyboard
            .keymap
            .for_mode(mode)
            .filter(|binding| binding.in_bar)
            .filter(|binding| binding.when.is_none_or(|c| self.condition_holds(c)))
            .map(Hint::of)
            .collect()
    }

    /// The key of `action` in `mode` as the table has it now, for sentences that name a key
    /// ("press l to lock a new rate"), so a remap shows there too.
    pub fn key_name(&self, mode: Mode, action: Action) -> String {
        self.keyboard
            .keymap
            .key_for(mode, action)
            .map_or_else(|| action.name().to_string(), |key| key.to_string())
    }

    /// The command-line commands offered now (in help and completion), by the same conditions
    /// as the binding table's rows: `:x` and `:o` are absent on a read-only desk.
    pub fn offered_commands(
        &self,
    ) -> impl Iterator<Item = &'static crate::keys::commands::Command> {
        crate::keys::commands::COMMANDS
            .iter()
            .filter(|command| command.when.is_none_or(|c| self.condition_holds(c)))
    }

    pub fn condition_holds(&self, condition: Condition) -> bool {
        match condition {
            Condition::TradingAllowed => !self.session.read_only,
            Condition::FilterSet => !self.history.filter.is_empty(),
            Condition::ChoiceField => self
                .ticket
                .as_ref()
                .is_some_and(|ticket| each_kind!(ticket, t => !t.amount_focused())),
            Condition::LockConfirmable => self.confirm_counts(),
            Condition::LockExpired => !self.lock_confirmable(),
            Condition::HasAddress => self.selected_address().is_some(),
            Condition::SelectedFinal => {
                self.live.selected().is_some_and(|row| row.phase.is_final())
            }
            // Offered only where it fills something (not on an order, paid by its payer).
            Condition::AmountFocused => {
                self.ticket_amount_focused()
                    && self
                        .ticket
                        .as_ref()
                        .is_some_and(|ticket| each_kind!(ticket, t => t.has_max()))
            }
            Condition::SelectedAmbiguous => self.selected_is_ambiguous(),
            Condition::OnRelay => self.team.relay,
            Condition::CanApprove => self.team.why_not_approvable().is_none(),
            Condition::ApprovalCounts => self.approval_counts(),
        }
    }

    fn lock_confirmable(&self) -> bool {
        use super::ticket::{LockClock, lock_clock};
        self.ticket
            .as_ref()
            .and_then(Ticket::lock_expiry)
            .is_some_and(|expires| lock_clock(expires, self.now) != LockClock::Expired)
    }

    /// Whether a `y` now would count: the lock is live and its terms have been on screen for
    /// the confirm delay (until then the locked view says "confirm in 0.5 s").
    fn confirm_counts(&self) -> bool {
        self.lock_confirmable()
            && self
                .ticket
                .as_ref()
                .and_then(|t| t.confirm_wait(self.now))
                .is_some_and(|wait| wait <= chrono::Duration::zero())
    }

    /// A key press: the table's action for the mode, else an edit of the focused field.
    pub(super) fn on_key(&mut self, key: KeyPress) -> Vec<Cmd> {
        let mode = self.mode();
        if let Some(action) = self.keyboard.keymap.resolve(mode, key) {
            return self.on_action(action, mode);
        }
        if mode == Mode::TooSmall {
            return Vec::new(); // nothing acts unseen behind the notice
        }
        match (self.focused_field(), TextEdit::for_key(key)) {
            (Some(field), Some(edit)) => self.on_text_edit(field, &edit),
            _ => Vec::new(),
        }
    }

    /// Bracketed paste: into the focused field whole, or a word saying why not.
    pub(super) fn on_paste(&mut self, text: String) -> Vec<Cmd> {
        if self.mode() == Mode::TooSmall {
            return Vec::new();
        }
        if let Some(field) = self.focused_field() {
            return self.on_text_edit(field, &TextEdit::Paste(text));
        }
        self.note(
            Level::Warning,
            "Paste ignored: no text field has the keyboard",
        );
        Vec::new()
    }

    pub fn on_action(&mut self, action: Action, mode: Mode) -> Vec<Cmd> {
        match action {
            Action::Quit => return self.request_quit(),
            Action::QuitCancel => self.keyboard.quit_asked = false,
            Action::FocusNext => self.focus = self.focus.next(),
            Action::FocusPrev => self.focus = self.focus.prev(),
            Action::FocusBalances => self.focus = Pane::Balances,
            Action::FocusHistory => self.focus = Pane::History,
            Action::FocusLive => self.focus = Pane::Live,
            Action::Up | Action::Down if mode == Mode::MessageLog => {
                if action == Action::Up {
                    self.keyboard.log.scroll_older();
                } else {
                    self.keyboard.log.scroll_newer();
                }
            }
            Action::Up | Action::Down if mode == Mode::Approvals => {
                self.team
                    .move_selection(if action == Action::Up { -1 } else { 1 });
            }
            Action::Refresh if mode == Mode::Approvals => return vec![Cmd::LoadProposals],
            Action::Up => return self.navigate(Nav::Up),
            Action::Down => return self.navigate(Nav::Down),
            Action::Top => return self.navigate(Nav::Top),
            Action::Bottom => return self.navigate(Nav::Bottom),
            Action::PageUp => return self.navigate(Nav::PageUp),
            Action::PageDown => return self.navigate(Nav::PageDown),
            Action::Open => self.open_detail(),
            Action::ClearFilter => self.history.set_filter(String::new()),
            Action::Refresh => {
                self.note(Level::Info, "Refreshing balances and history");
                return self.refresh();
            }
            Action::Filter => self.history.filter_editing = true,
            Action::Help => {
                self.keyboard.help_from = mode;
                self.overlay = Some(Overlay::Help);
            }
            Action::Dismiss => self.dismiss_selected_row(),
            Action::UndoDismiss => self.undo_dismiss(),
            Action::ToggleUtc => self.toggle_utc(),
            Action::Export => return self.export_view(),
            Action::CopyAddress => return self.copy_address(),
            Action::NextCandidate => return self.next_candidate(),
            Action::MarkApplied => return self.mark_applied(),
            Action::MarkNotApplied => return self.mark_not_applied(),
            Action::NewExchange => return self.open_exchange_ticket(),
            Action::NewOrder => return self.open_order_ticket(),
            Action::MessageLog => {
                self.keyboard.log.scroll_up = 0;
                self.overlay = Some(Overlay::MessageLog);
            }
            Action::CommandLine => self.keyboard.command = Some(String::new()),
            Action::Close => self.overlay = None,
            Action::FilterKeep => self.history.filter_editing = false,
            Action::FilterCancel => {
                self.history.filter_editing = false;
                self.history.set_filter(String::new());
            }
            Action::TicketCancel => self.cancel_ticket(),
            Action::TicketLock => return self.request_lock(),
            Action::TicketConfirm => return self.confirm(),
            Action::TicketMax => return self.ticket_max(),
            Action::TicketBackToEdit => return self.ticket_back_to_edit(),
            Action::TicketNextField => self.next_field(),
            Action::TicketPrevField => self.prev_field(),
            Action::TicketChoosePrev => return self.choose(-1),
            Action::TicketChooseNext => return self.choose(1),
            Action::CommandRun => return self.run_command_line(),
            Action::CommandComplete => self.complete_command_line(),
            Action::CommandCancel => self.keyboard.command = None,
            Action::Approvals => return self.open_approvals(),
            Action::ReviewApproval => self.review_approval(),
            Action::ApproveProposal => return self.confirm_approval(),
            Action::ApprovalBack => self.team.review = None,
        }
        Vec::new()
    }

    /// `q` or Ctrl-C: quits, but first asks when rows are in flight (a second press quits).
    fn request_quit(&mut self) -> Vec<Cmd> {
        if self.in_flight() == 0 || self.keyboard.quit_asked {
            self.should_quit = true;
            return vec![Cmd::Quit];
        }
        self.keyboard.quit_asked = true;
        Vec::new()
    }

    /// This desk's own rows whose outcome is still open (a ticket being sent already has its
    /// live row): the ones its journal resumes. Other desks' rows on a relay are not counted:
    /// quitting leaves them to the relay (see [`App::team_in_flight`]).
    pub fn in_flight(&self) -> usize {
        self.live.in_flight().saturating_sub(self.team_in_flight())
    }

    /// Other desks' rows still in flight on a team relay, which watches them whether or not
    /// this desk runs. O(rows), asked on a quit key and while the question shows, never per
    /// answer; 0 at once off a relay.
    pub fn team_in_flight(&self) -> usize {
        if !self.team.relay {
            return 0;
        }
        self.live
            .rows
            .iter()
            .filter(|row| super::team::is_team_key(&row.key) && !row.phase.is_final())
            .count()
    }

    /// The question shown while quitting waits for a second press.
    pub fn quit_question(&self) -> String {
        let team_rows = self.team_in_flight();
        let rows = self.live.in_flight().saturating_sub(team_rows);
        let team = match team_rows {
            0 => String::new(),
            1 => "1 team row is watched by the relay".to_owned(),
            others => format!("{others} team rows are watched by the relay"),
        };
        // The question stays open while rows settle: once none is left, say so.
        if rows == 0 {
            return if team.is_empty() {
                "Nothing is in flight any more. Quit?".to_owned()
            } else {
                format!("Nothing of this desk is in flight any more ({team}). Quit?")
            };
        }
        let noun = if rows == 1 { "row" } else { "rows" };
        let fate = match (
            self.session.environment == super::EnvBadge::Sandbox,
            rows == 1,
        ) {
            (true, true) => "the embedded sandbox forgets it",
            (true, false) => "the embedded sandbox forgets them",
            (false, true) => "it resumes on next start",
            (false, false) => "they resume on next start",
        };
        let team = if team.is_empty() {
            team
        } else {
            format!("; {team}")
        };
        format!("{rows} {noun} in flight: {fate}{team}. Quit anyway?")
    }
}
