//! A key press as the binding table sees it: a terminal-independent code and modifiers, with the
//! one conversion from crossterm and the label used in hints, help and README.

use std::fmt;

/// Which key, without modifiers. Letters keep their case (`G` is Shift-g).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

/// Ctrl and Alt. Shift is folded into the code (`G`, `BackTab`), as terminals disagree on
/// whether they report it separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Mods {
    pub ctrl: bool,
    pub alt: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPress {
    pub code: KeyCode,
    pub mods: Mods,
}

impl KeyPress {
    pub const fn plain(code: KeyCode) -> Self {
        Self {
            code,
            mods: Mods {
                ctrl: false,
                alt: false,
            },
        }
    }

    pub const fn ch(c: char) -> Self {
        Self::plain(KeyCode::Char(c))
    }

    pub const fn ctrl(c: char) -> Self {
        Self {
            code: KeyCode::Char(c),
            mods: Mods {
                ctrl: true,
                alt: false,
            },
        }
    }

    /// A character that types itself into a text field (no Ctrl or Alt).
    pub fn typed_char(self) -> Option<char> {
        match self.code {
            KeyCode::Char(c) if !self.mods.ctrl && !self.mods.alt => Some(c),
            _ => None,
        }
    }

    /// The crossterm event as a key press; `None` for releases and keys we have no name for.
    pub fn from_crossterm(event: &crossterm::event::KeyEvent) -> Option<Self> {
        use crossterm::event::{KeyCode as C, KeyEventKind, KeyModifiers as M};
        if event.kind == KeyEventKind::Release {
            return None;
        }
        let code = match event.code {
            C::Char(c) => KeyCode::Char(c),
            C::Enter => KeyCode::Enter,
            C::Esc => KeyCode::Esc,
            C::Tab if event.modifiers.contains(M::SHIFT) => KeyCode::BackTab,
            C::Tab => KeyCode::Tab,
            C::BackTab => KeyCode::BackTab,
            C::Backspace => KeyCode::Backspace,
            C::Delete => KeyCode::Delete,
            C::Insert => KeyCode::Insert,
            C::Left => KeyCode::Left,
            C::Right => KeyCode::Right,
            C::Up => KeyCode::Up,
            C::Down => KeyCode::Down,
            C::Home => KeyCode::Home,
            C::End => KeyCode::End,
            C::PageUp => KeyCode::PageUp,
            C::PageDown => KeyCode::PageDown,
            C::F(n) => KeyCode::F(n),
            _ => return None,
        };
        let mut ctrl = event.modifiers.contains(M::CONTROL);
        // Some terminals send Ctrl-letters as upper case with SHIFT: Ctrl-C is Ctrl-c.
        let code = match code {
            KeyCode::Char(c) if ctrl && c.is_ascii_uppercase() => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            // A raw control byte some terminals pass through (0x03 for Ctrl-C).
            KeyCode::Char(c) if ('\u{1}'..='\u{1a}').contains(&c) => {
                ctrl = true;
                KeyCode::Char(char::from_u32(u32::from(c) + 0x60).unwrap_or(c))
            }
            other => other,
        };
        Some(Self {
            code,
            mods: Mods {
                ctrl,
                alt: event.modifiers.contains(M::ALT),
            },
        })
    }
}

impl fmt::Display for KeyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("S-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Insert => f.write_str("Ins"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::F(n) => write!(f, "F{n}"),
        }
    }
}

/// How a key is written on screen: `Ctrl-C`, `Alt-x`, `Enter`, `G`.
impl fmt::Display for KeyPress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.mods.alt {
            f.write_str("Alt-")?;
        }
        match self.code {
            KeyCode::Char(c) if self.mods.ctrl => write!(f, "{}", c.to_ascii_uppercase()),
            code => write!(f, "{code}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode as C, KeyEvent, KeyEventKind, KeyModifiers as M};

    fn from(code: C, mods: M) -> Option<KeyPress> {
        KeyPress::from_crossterm(&KeyEvent::new(code, mods))
    }

    #[test]
    fn terminal_variants_of_one_key_are_one_key() {
        assert_eq!(from(C::Char('G'), M::SHIFT), Some(KeyPress::ch('G')));
        assert_eq!(
            from(C::Char('C'), M::CONTROL | M::SHIFT),
            Some(KeyPress::ctrl('c'))
        );
        assert_eq!(from(C::Char('\u{3}'), M::NONE), Some(KeyPress::ctrl('c')));
        assert_eq!(
            from(C::Tab, M::SHIFT),
            Some(KeyPress::plain(KeyCode::BackTab))
        );
        assert_eq!(
            from(C::BackTab, M::SHIFT),
            Some(KeyPress::plain(KeyCode::BackTab))
        );
        let mut release = KeyEvent::new(C::Char('q'), M::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(KeyPress::from_crossterm(&release), None);
    }

    #[test]
    fn labels_read_as_written_in_help() {
        assert_eq!(KeyPress::ctrl('c').to_string(), "Ctrl-C");
        assert_eq!(KeyPress::ch('?').to_string(), "?");
        assert_eq!(KeyPress::plain(KeyCode::BackTab).to_string(), "S-Tab");
        assert_eq!(KeyPress::ch(' ').to_string(), "Space");
        assert_eq!(KeyPress::ch('x').typed_char(), Some('x'));
        assert_eq!(KeyPress::ctrl('w').typed_char(), None);
    }
}
