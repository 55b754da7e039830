//! The command line's commands: actions with arguments, listed here once for dispatch,
//! completion and the help overlay.

use super::table::Condition;

/// What a command does; the app runs it (`App::run_command_line`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    Exchange,
    Order,
    Filter,
    Help,
    Log,
    Refresh,
    Export,
    Theme,
    Quit,
}

/// What an argument position completes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// A currency we hold.
    Currency,
    /// A crypto currency with networks.
    Crypto,
    /// A network of the crypto currency before it.
    Network,
    Amount,
    Text,
}

#[derive(Debug, Clone, Copy)]
pub struct Command {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: CommandKind,
    pub args: &'static [Arg],
    /// How it is written in help: `:x FROM TO AMOUNT`.
    pub usage: &'static str,
    pub help: &'static str,
    /// Offered (in help and completion) only while this holds, as a binding row's condition:
    /// the commands that open a money ticket are hidden on a read-only desk.
    pub when: Option<Condition>,
}

pub const COMMANDS: &[Command] = &[
    Command {
        name: "exchange",
        alias: Some("x"),
        kind: CommandKind::Exchange,
        args: &[Arg::Currency, Arg::Currency, Arg::Amount],
        usage: ":x FROM TO AMOUNT",
        help: "exchange ticket, filled in",
        when: Some(Condition::TradingAllowed),
    },
    Command {
        name: "order",
        alias: Some("o"),
        kind: CommandKind::Order,
        args: &[Arg::Crypto, Arg::Network, Arg::Amount],
        usage: ":o CRYPTO NET EUR",
        help: "order ticket, filled in",
        when: Some(Condition::TradingAllowed),
    },
    Command {
        name: "filter",
        alias: None,
        kind: CommandKind::Filter,
        args: &[Arg::Text],
        usage: ":filter TEXT",
        help: "filter history",
        when: None,
    },
    Command {
        name: "log",
        alias: None,
        kind: CommandKind::Log,
        args: &[],
        usage: ":log",
        help: "message log",
        when: None,
    },
    Command {
        name: "export",
        alias: None,
        kind: CommandKind::Export,
        args: &[],
        usage: ":export",
        help: "export this view (CSV)",
        when: None,
    },
    Command {
        name: "theme",
        alias: None,
        kind: CommandKind::Theme,
        args: &[Arg::Text],
        usage: ":theme NAME",
        help: "dark, light, high-contrast",
        when: None,
    },
    Command {
        name: "refresh",
        alias: None,
        kind: CommandKind::Refresh,
        args: &[],
        usage: ":refresh",
        help: "refresh now",
        when: None,
    },
    Command {
        name: "help",
        alias: None,
        kind: CommandKind::Help,
        args: &[],
        usage: ":help",
        help: "keys and commands",
        when: None,
    },
    Command {
        name: "quit",
        alias: Some("q"),
        kind: CommandKind::Quit,
        args: &[],
        usage: ":quit",
        help: "quit",
        when: None,
    },
];

/// The command named `word` (full name or alias).
pub fn find(word: &str) -> Option<&'static Command> {
    COMMANDS
        .iter()
        .find(|command| command.name == word || command.alias == Some(word))
}
