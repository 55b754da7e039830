//! What a key can mean: every action the desk takes from the keyboard (or the command line),
//! with the name it has in the config file's `[keys]` table.

/// One thing the user can ask for. Text typed into a field is not an action: it is a
/// [`crate::input::TextEdit`] for the focused field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Quit (asks first when rows are in flight; a second press quits).
    Quit,
    /// Leave the quit question without quitting.
    QuitCancel,
    FocusNext,
    FocusPrev,
    FocusBalances,
    FocusHistory,
    FocusLive,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    ClearFilter,
    Refresh,
    Filter,
    Help,
    Dismiss,
    CopyAddress,
    NewExchange,
    NewOrder,
    MessageLog,
    CommandLine,
    /// Close the overlay on top.
    Close,
    /// Keep the typed filter and leave the filter line.
    FilterKeep,
    /// Clear the filter and leave the filter line.
    FilterCancel,
    TicketCancel,
    /// Validate and lock a rate (also: lock again after a refusal or expiry).
    TicketLock,
    /// Confirm the locked terms: the only key that moves money.
    TicketConfirm,
    /// Fill the amount with the whole available balance.
    TicketMax,
    /// From the locked or refused view back to the form, fields kept.
    TicketBackToEdit,
    TicketNextField,
    TicketPrevField,
    TicketChoosePrev,
    TicketChooseNext,
    CommandRun,
    CommandComplete,
    CommandCancel,
    /// Write the focused view (history as filtered, or the journal) to a CSV file.
    Export,
    /// Local time / UTC, everywhere on screen.
    ToggleUtc,
    /// Bring back the last dismissed live row.
    UndoDismiss,
    /// An ambiguous reconciliation: highlight its next candidate.
    NextCandidate,
    /// An ambiguous reconciliation: the user says it was applied, as the highlighted candidate.
    MarkApplied,
    /// An ambiguous reconciliation: the user says it was not applied.
    MarkNotApplied,
    /// The team's four-eyes proposals (on a relay).
    Approvals,
    /// Review the highlighted proposal's terms before approving it.
    ReviewApproval,
    /// Approve the reviewed proposal: the second, distinct key (it lets another person move
    /// money above the team's limit).
    ApproveProposal,
    /// Leave the review without approving.
    ApprovalBack,
}

impl Action {
    pub const ALL: [Action; 49] = [
        Action::Quit,
        Action::QuitCancel,
        Action::FocusNext,
        Action::FocusPrev,
        Action::FocusBalances,
        Action::FocusHistory,
        Action::FocusLive,
        Action::Up,
        Action::Down,
        Action::Top,
        Action::Bottom,
        Action::PageUp,
        Action::PageDown,
        Action::Open,
        Action::ClearFilter,
        Action::Refresh,
        Action::Filter,
        Action::Help,
        Action::Dismiss,
        Action::CopyAddress,
        Action::NewExchange,
        Action::NewOrder,
        Action::MessageLog,
        Action::CommandLine,
        Action::Close,
        Action::FilterKeep,
        Action::FilterCancel,
        Action::TicketCancel,
        Action::TicketLock,
        Action::TicketConfirm,
        Action::TicketMax,
        Action::TicketBackToEdit,
        Action::TicketNextField,
        Action::TicketPrevField,
        Action::TicketChoosePrev,
        Action::TicketChooseNext,
        Action::CommandRun,
        Action::CommandComplete,
        Action::CommandCancel,
        Action::Export,
        Action::ToggleUtc,
        Action::UndoDismiss,
        Action::NextCandidate,
        Action::MarkApplied,
        Action::MarkNotApplied,
        Action::Approvals,
        Action::ReviewApproval,
        Action::ApproveProposal,
        Action::ApprovalBack,
    ];

    /// The action's name in `[keys]` (kebab-case).
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::QuitCancel => "stay",
            Action::FocusNext => "next-pane",
            Action::FocusPrev => "previous-pane",
            Action::FocusBalances => "balances",
            Action::FocusHistory => "history",
            Action::FocusLive => "live",
            Action::Up => "up",
            Action::Down => "down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::PageUp => "page-up",
            Action::PageDown => "page-down",
            Action::Open => "open",
            Action::ClearFilter => "clear-filter",
            Action::Refresh => "refresh",
            Action::Filter => "filter",
            Action::Help => "help",
            Action::Dismiss => "dismiss",
            Action::CopyAddress => "copy-address",
            Action::NewExchange => "new-exchange",
            Action::NewOrder => "new-order",
            Action::MessageLog => "message-log",
            Action::CommandLine => "command-line",
            Action::Close => "close",
            Action::FilterKeep => "keep",
            Action::FilterCancel | Action::TicketCancel | Action::CommandCancel => "cancel",
            Action::TicketLock => "lock",
            Action::TicketConfirm => "confirm",
            Action::TicketMax => "max",
            Action::TicketBackToEdit => "edit",
            Action::TicketNextField => "next-field",
            Action::TicketPrevField => "previous-field",
            Action::TicketChoosePrev => "choose-previous",
            Action::TicketChooseNext => "choose-next",
            Action::CommandRun => "run",
            Action::CommandComplete => "complete",
            Action::Export => "export",
            Action::ToggleUtc => "toggle-utc",
            Action::UndoDismiss => "undo-dismiss",
            Action::NextCandidate => "next-candidate",
            Action::MarkApplied => "mark-applied",
            Action::MarkNotApplied => "mark-not-applied",
            Action::Approvals => "approvals",
            Action::ReviewApproval => "review",
            Action::ApproveProposal => "approve",
            Action::ApprovalBack => "back",
        }
    }

    /// Whether this action moves money or opens the way to it (its keys are protected).
    pub fn is_money(self) -> bool {
        matches!(
            self,
            Action::TicketConfirm
                | Action::NewExchange
                | Action::NewOrder
                | Action::ApproveProposal
        )
    }
}
