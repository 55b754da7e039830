//! Side effects `App::update` asks for, as values the runtime executes and tests inspect.

use super::live::WatchTarget;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    Quit,
    LoadBalances,
    LoadHistory {
        page: u32,
        limit: u32,
    },
    /// The complete set the poller must watch now (it replaces the previous set).
    Watch(Vec<WatchTarget>),
    /// Ring the terminal bell (when enabled in config).
    Bell,
    /// Put text on the system clipboard (OSC 52).
    CopyToClipboard(String),
}
