//! The command line (`:`): parsing and running a command, and Tab completion. A command opens
//! things already reachable by keys (a ticket pre-filled, a filter, an overlay); it never locks
//! or confirms anything by itself.

use super::cmd::Cmd;
use super::keymap::Pane;
use super::ticket::{ExchangeField, OrderField, Ticket};
use super::{App, Level, Overlay};
use crate::api::models::Currency;
use crate::keys::Mode;
use crate::keys::commands::{self, Arg, CommandKind};

impl App {
    /// Enter on the command line: runs it, or says what is wrong and keeps the text to fix.
    pub(super) fn run_command_line(&mut self) -> Vec<Cmd> {
        let Some(line) = self.keyboard.command.clone() else {
            return Vec::new();
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((&word, args)) = words.split_first() else {
            self.keyboard.command = None;
            return Vec::new();
        };
        let Some(command) = commands::find(word) else {
            let names: Vec<&str> = self.offered_commands().map(|c| c.name).collect();
            self.note(
                Level::Warning,
                format!("Unknown command :{word}; commands: {}", names.join(", ")),
            );
            return Vec::new();
        };
        let takes_text = command.args == [Arg::Text];
        if !takes_text && args.len() > command.args.len() {
            self.note(
                Level::Warning,
                format!("Too many words; use {}", command.usage),
            );
            return Vec::new();
        }
        self.keyboard.command = None;
        match command.kind {
            CommandKind::Exchange => self.command_exchange(args),
            CommandKind::Order => self.command_order(args),
            CommandKind::Filter => {
                let text = line
                    .trim_start()
                    .strip_prefix(word)
                    .unwrap_or_default()
                    .trim();
                self.focus = Pane::History;
                self.history.set_filter(text.to_string());
                Vec::new()
            }
            CommandKind::Help => {
                self.keyboard.help_from = Mode::Dashboard(self.focus);
                self.overlay = Some(Overlay::Help);
                Vec::new()
            }
            CommandKind::Log => {
                self.keyboard.log.scroll_up = 0;
                self.overlay = Some(Overlay::MessageLog);
                Vec::new()
            }
            CommandKind::Refresh => {
                self.note(Level::Info, "Refreshing balances and history");
                self.refresh()
            }
            CommandKind::Export => self.export_view(),
            CommandKind::Theme => {
                match args {
                    [] => self.set_theme(None),
                    [name] => match name.parse() {
                        Ok(theme) => self.set_theme(Some(theme)),
                        Err(message) => self.note(Level::Warning, message),
                    },
                    _ => self.note(
                        Level::Warning,
                        "Too many words; use :theme [dark|light|high-contrast]",
                    ),
                }
                Vec::new()
            }
            CommandKind::Quit => self.on_action(crate::keys::Action::Quit, self.mode()),
        }
    }

    /// `:x FROM TO AMOUNT`: the exchange ticket with what was given filled in, focus on the
    /// first field left empty (or the amount). Validation and the quote run as if typed.
    fn command_exchange(&mut self, args: &[&str]) -> Vec<Cmd> {
        let mut cmds = self.open_exchange_ticket();
        let Some(Ticket::Exchange(t)) = self.ticket.as_mut() else {
            return cmds;
        };
        if let Some(from) = args.first() {
            t.from = from.to_ascii_uppercase();
        }
        if let Some(to) = args.get(1) {
            t.to = to.to_ascii_uppercase();
        }
        if let Some(amount) = args.get(2) {
            t.amount = (*amount).to_string();
        }
        t.field = ExchangeField::Amount;
        cmds.extend(self.ticket_changed());
        cmds
    }

    /// `:o CRYPTO NETWORK EUR`: the order ticket, filled in the same way.
    fn command_order(&mut self, args: &[&str]) -> Vec<Cmd> {
        let mut cmds = self.open_order_ticket();
        let Some(Ticket::Order(t)) = self.ticket.as_mut() else {
            return cmds;
        };
        if let Some(currency) = args.first() {
            t.currency = currency.to_ascii_uppercase();
        }
        if let Some(network) = args.get(1) {
            t.network = network.to_ascii_lowercase();
        }
        if let Some(amount) = args.get(2) {
            t.amount = (*amount).to_string();
        }
        t.field = OrderField::Amount;
        cmds.extend(self.ticket_changed());
        cmds
    }

    /// Tab on the command line: completes the word at the end (a command name, a currency,
    /// a network). One candidate: filled in; several: the common start, and the list as a note.
    pub(super) fn complete_command_line(&mut self) {
        let Some(line) = self.keyboard.command.clone() else {
            return;
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        let ends_with_space = line.ends_with(' ') || line.is_empty();
        let index = if ends_with_space {
            words.len()
        } else {
            words.len() - 1
        };
        let partial = if ends_with_space { "" } else { words[index] };
        let candidates: Vec<String> = if index == 0 {
            self.offered_commands()
                .flat_map(|c| std::iter::once(c.name).chain(c.alias))
                .filter(|name| name.starts_with(partial))
                .map(str::to_string)
                .collect()
        } else {
            let Some(command) = commands::find(words[0]) else {
                return;
            };
            match command.args.get(index - 1) {
                Some(Arg::Currency) => self.currency_names(false),
                Some(Arg::Crypto) => self.currency_names(true),
                Some(Arg::Network) => words
                    .get(index - 1)
                    .and_then(|currency| self.balances.find(&Currency::new(currency)))
                    .map(super::balances::BalanceRow::networks)
                    .unwrap_or_default(),
                _ => Vec::new(),
            }
            .into_iter()
            .filter(|name| name.starts_with(&partial.to_ascii_lowercase()))
            .collect()
        };
        let completed = match candidates.as_slice() {
            [] => {
                self.note(Level::Info, format!("Nothing completes \"{partial}\""));
                return;
            }
            [only] => format!("{only} "),
            several => {
                self.note(Level::Info, format!("Could be: {}", several.join(" ")));
                common_prefix(several)
            }
        };
        let kept = &line[..line.len() - partial.len()];
        self.keyboard.command = Some(format!("{kept}{completed}"));
    }

    fn currency_names(&self, crypto_only: bool) -> Vec<String> {
        self.balances
            .rows
            .iter()
            .filter(|row| !crypto_only || !row.networks().is_empty())
            .map(|row| row.currency.as_str().to_ascii_lowercase())
            .collect()
    }
}

fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut prefix = first.clone();
    for word in &words[1..] {
        while !word.starts_with(&prefix) {
            prefix.pop();
        }
    }
    prefix
}
