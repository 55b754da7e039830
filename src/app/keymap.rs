//! The one table of key bindings: it dispatches keys and generates the help overlay, so the two
//! can never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::selection::Nav;

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

/// What a key means in the dashboard (outside text fields and dialogs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    FocusNext,
    FocusPrev,
    Focus(Pane),
    Nav(Nav),
    Open,
    Back,
    Refresh,
    Filter,
    Help,
    Dismiss,
    CopyAddress,
    NewExchange,
    NewOrder,
    /// Write the focused view to a CSV file in the data dir.
    Export,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Pane(Pane),
}

#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

const fn plain(code: KeyCode) -> Key {
    Key {
        code,
        modifiers: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    plain(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::CONTROL,
    }
}

pub struct Binding {
    pub keys: &'static [Key],
    /// How the keys are written in the help overlay and hints.
    pub label: &'static str,
    pub action: Action,
    pub scope: Scope,
    pub help: &'static str,
}

/// Every binding of the dashboard. Order is the help overlay's order.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[plain(KeyCode::Tab)],
        label: "Tab",
        action: Action::FocusNext,
        scope: Scope::Global,
        help: "next pane",
    },
    Binding {
        keys: &[
            plain(KeyCode::BackTab),
            Key {
                code: KeyCode::BackTab,
                modifiers: KeyModifiers::SHIFT,
            },
        ],
        label: "S-Tab",
        action: Action::FocusPrev,
        scope: Scope::Global,
        help: "previous pane",
    },
    Binding {
        keys: &[ch('1')],
        label: "1",
        action: Action::Focus(Pane::Balances),
        scope: Scope::Global,
        help: "balances",
    },
    Binding {
        keys: &[ch('2')],
        label: "2",
        action: Action::Focus(Pane::History),
        scope: Scope::Global,
        help: "history",
    },
    Binding {
        keys: &[ch('3')],
        label: "3",
        action: Action::Focus(Pane::Live),
        scope: Scope::Global,
        help: "live",
    },
    Binding {
        keys: &[ch('j'), plain(KeyCode::Down)],
        label: "j/↓",
        action: Action::Nav(Nav::Down),
        scope: Scope::Global,
        help: "down",
    },
    Binding {
        keys: &[ch('k'), plain(KeyCode::Up)],
        label: "k/↑",
        action: Action::Nav(Nav::Up),
        scope: Scope::Global,
        help: "up",
    },
    Binding {
        keys: &[ch('g'), plain(KeyCode::Home)],
        label: "g",
        action: Action::Nav(Nav::Top),
        scope: Scope::Global,
        help: "first row",
    },
    Binding {
        keys: &[
            ch('G'),
            Key {
                code: KeyCode::Char('G'),
                modifiers: KeyModifiers::SHIFT,
            },
            plain(KeyCode::End),
        ],
        label: "G",
        action: Action::Nav(Nav::Bottom),
        scope: Scope::Global,
        help: "last row",
    },
    Binding {
        keys: &[plain(KeyCode::PageUp)],
        label: "PgUp",
        action: Action::Nav(Nav::PageUp),
        scope: Scope::Global,
        help: "page up",
    },
    Binding {
        keys: &[plain(KeyCode::PageDown)],
        label: "PgDn",
        action: Action::Nav(Nav::PageDown),
        scope: Scope::Global,
        help: "page down",
    },
    Binding {
        keys: &[plain(KeyCode::Enter)],
        label: "Enter",
        action: Action::Open,
        scope: Scope::Global,
        help: "details",
    },
    Binding {
        keys: &[plain(KeyCode::Esc)],
        label: "Esc",
        action: Action::Back,
        scope: Scope::Global,
        help: "back / clear filter",
    },
    Binding {
        keys: &[ch('r')],
        label: "r",
        action: Action::Refresh,
        scope: Scope::Global,
        help: "refresh now",
    },
    Binding {
        keys: &[ch('x')],
        label: "x",
        action: Action::NewExchange,
        scope: Scope::Global,
        help: "new exchange",
    },
    Binding {
        keys: &[ch('o')],
        label: "o",
        action: Action::NewOrder,
        scope: Scope::Global,
        help: "new order",
    },
    Binding {
        keys: &[ch('/')],
        label: "/",
        action: Action::Filter,
        scope: Scope::Pane(Pane::History),
        help: "filter history",
    },
    Binding {
        keys: &[ch('c')],
        label: "c",
        action: Action::CopyAddress,
        scope: Scope::Pane(Pane::Live),
        help: "copy wallet address",
    },
    Binding {
        keys: &[ch('d')],
        label: "d",
        action: Action::Dismiss,
        scope: Scope::Pane(Pane::Live),
        help: "dismiss a final row",
    },
    Binding {
        keys: &[ch('e')],
        label: "e",
        action: Action::Export,
        scope: Scope::Global,
        help: "export view to CSV",
    },
    Binding {
        keys: &[ch('?')],
        label: "?",
        action: Action::Help,
        scope: Scope::Global,
        help: "help",
    },
    Binding {
        keys: &[ch('q'), ctrl('c')],
        label: "q",
        action: Action::Quit,
        scope: Scope::Global,
        help: "quit",
    },
];

fn key_matches(key: &Key, event: &KeyEvent) -> bool {
    if key.code != event.code {
        return false;
    }
    // Terminals differ on whether an upper-case letter or BackTab carries SHIFT: ignore SHIFT
    // for characters and BackTab, match every other modifier exactly.
    let relevant = !KeyModifiers::SHIFT;
    let ignores_shift = matches!(event.code, KeyCode::Char(_) | KeyCode::BackTab);
    if ignores_shift {
        (key.modifiers & relevant) == (event.modifiers & relevant)
    } else {
        key.modifiers == event.modifiers
    }
}

/// The dashboard action for a key with `focus` on a pane, if any.
pub fn action_for(event: &KeyEvent, focus: Pane) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    BINDINGS
        .iter()
        .filter(|binding| match binding.scope {
            Scope::Global => true,
            Scope::Pane(pane) => pane == focus,
        })
        .find(|binding| binding.keys.iter().any(|key| key_matches(key, event)))
        .map(|binding| binding.action)
}

/// Short hints for the status bar: the focused pane's own keys first, then the common ones.
pub fn hints(focus: Pane) -> Vec<(&'static str, &'static str)> {
    let own = BINDINGS
        .iter()
        .filter(|b| b.scope == Scope::Pane(focus))
        .map(|b| (b.label, b.help));
    let common = BINDINGS
        .iter()
        .filter(|b| {
            matches!(
                b.action,
                Action::Open
                    | Action::NewExchange
                    | Action::NewOrder
                    | Action::Refresh
                    | Action::Help
                    | Action::Quit
            )
        })
        .map(|b| (b.label, b.help));
    own.chain(common).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn every_binding_dispatches_to_its_own_action() {
        for binding in BINDINGS {
            let focus = match binding.scope {
                Scope::Global => Pane::Balances,
                Scope::Pane(pane) => pane,
            };
            for k in binding.keys {
                let event = KeyEvent::new(k.code, k.modifiers);
                assert_eq!(
                    action_for(&event, focus),
                    Some(binding.action),
                    "{} ({})",
                    binding.label,
                    binding.help
                );
            }
        }
    }

    #[test]
    fn pane_keys_only_work_in_their_pane() {
        assert_eq!(
            action_for(&key(KeyCode::Char('/')), Pane::History),
            Some(Action::Filter)
        );
        assert_eq!(action_for(&key(KeyCode::Char('/')), Pane::Balances), None);
        assert_eq!(
            action_for(&key(KeyCode::Char('d')), Pane::Live),
            Some(Action::Dismiss)
        );
        assert_eq!(action_for(&key(KeyCode::Char('d')), Pane::History), None);
    }

    #[test]
    fn shifted_letters_and_ctrl_c_resolve() {
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(
            action_for(&shifted, Pane::History),
            Some(Action::Nav(Nav::Bottom))
        );
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&ctrl_c, Pane::Live), Some(Action::Quit));
        let plain_c = key(KeyCode::Char('c'));
        assert_eq!(action_for(&plain_c, Pane::Live), Some(Action::CopyAddress));
    }

    #[test]
    fn focus_cycles_through_all_panes() {
        for pane in Pane::ALL {
            assert_eq!(pane.next().prev(), pane);
        }
        assert_eq!(Pane::Live.next(), Pane::Balances);
    }
}
