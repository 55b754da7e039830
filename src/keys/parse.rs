//! Key names as written in the config file's `[keys]` table: `"ctrl-r"`, `"Enter"`, `"S-Tab"`,
//! `"f5"`, `"?"`. Case-insensitive except for a single letter (`"G"` is Shift-g).

use thiserror::Error;

use super::key::{KeyCode, KeyPress, Mods};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyNameError {
    #[error("empty key name")]
    Empty,
    #[error(
        "unknown key name \"{0}\": use a character (\"x\", \"?\"), a named key (Enter, Esc, Tab, \
         S-Tab, Backspace, Del, Up, Down, Left, Right, Home, End, PgUp, PgDn, Space, F1..F12), \
         optionally with ctrl- or alt-"
    )]
    Unknown(String),
}

/// Parses one key name.
pub fn parse_key(text: &str) -> Result<KeyPress, KeyNameError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(KeyNameError::Empty);
    }
    let unknown = || KeyNameError::Unknown(trimmed.to_string());
    let mut mods = Mods::default();
    let mut shift = false;
    let mut rest = trimmed;
    // A single "-" is the minus key; "ctrl--" is Ctrl and minus.
    while rest.chars().count() > 1 {
        let Some((prefix, tail)) = rest.split_once('-') else {
            break;
        };
        if tail.is_empty() {
            break;
        }
        match prefix.to_ascii_lowercase().as_str() {
            "ctrl" | "c" | "control" => mods.ctrl = true,
            "alt" | "a" | "m" | "meta" => mods.alt = true,
            "shift" | "s" => shift = true,
            _ => return Err(unknown()),
        }
        rest = tail;
    }
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (Some('←'), None) => KeyCode::Left,
        (Some('→'), None) => KeyCode::Right,
        (Some('↑'), None) => KeyCode::Up,
        (Some('↓'), None) => KeyCode::Down,
        (Some(c), None) => {
            let c = if shift { c.to_ascii_uppercase() } else { c };
            let c = if mods.ctrl { c.to_ascii_lowercase() } else { c };
            if c.is_control() {
                return Err(unknown());
            }
            KeyCode::Char(c)
        }
        _ => match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" | "ret" | "cr" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if shift => KeyCode::BackTab,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "backspace" | "bs" => KeyCode::Backspace,
            "del" | "delete" => KeyCode::Delete,
            "ins" | "insert" => KeyCode::Insert,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pgdown" | "pagedown" => KeyCode::PageDown,
            "space" => KeyCode::Char(' '),
            "minus" => KeyCode::Char('-'),
            name => match name.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                Some(n @ 1..=24) => KeyCode::F(n),
                _ => return Err(unknown()),
            },
        },
    };
    Ok(KeyPress { code, mods })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_names_parse() {
        assert_eq!(parse_key("ctrl-r"), Ok(KeyPress::ctrl('r')));
        assert_eq!(parse_key("Ctrl-R"), Ok(KeyPress::ctrl('r')));
        assert_eq!(parse_key("C-r"), Ok(KeyPress::ctrl('r')));
        assert_eq!(parse_key("Enter"), Ok(KeyPress::plain(KeyCode::Enter)));
        assert_eq!(
            parse_key("shift-tab"),
            Ok(KeyPress::plain(KeyCode::BackTab))
        );
        assert_eq!(parse_key("S-Tab"), Ok(KeyPress::plain(KeyCode::BackTab)));
        assert_eq!(parse_key("G"), Ok(KeyPress::ch('G')));
        assert_eq!(parse_key("shift-g"), Ok(KeyPress::ch('G')));
        assert_eq!(parse_key("?"), Ok(KeyPress::ch('?')));
        assert_eq!(parse_key("-"), Ok(KeyPress::ch('-')));
        assert_eq!(parse_key("f5"), Ok(KeyPress::plain(KeyCode::F(5))));
        assert_eq!(parse_key("space"), Ok(KeyPress::ch(' ')));
        assert_eq!(parse_key("PgDn"), Ok(KeyPress::plain(KeyCode::PageDown)));
    }

    #[test]
    fn nonsense_is_refused() {
        assert_eq!(parse_key(""), Err(KeyNameError::Empty));
        for bad in [
            "ctrl-",
            "hyper-x",
            "enterr",
            "f99",
            "xy",
            "ctrl-shift-meta-nope",
        ] {
            assert!(parse_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_label_parses_back_to_its_key() {
        for key in [
            KeyPress::ctrl('c'),
            KeyPress::ch('x'),
            KeyPress::ch('G'),
            KeyPress::plain(KeyCode::BackTab),
            KeyPress::plain(KeyCode::PageUp),
            KeyPress::plain(KeyCode::Up),
            KeyPress::ch(' '),
            KeyPress::plain(KeyCode::F(2)),
        ] {
            assert_eq!(parse_key(&key.to_string()), Ok(key), "{key}");
        }
    }
}
