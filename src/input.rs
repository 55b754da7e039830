//! Text fields: the edits a focused field takes (typing, a movable cursor, word and line
//! deletion, bracketed paste), applied to a `String` and a cursor kept beside it.
//!
//! Written here rather than with tui-input because the fields live as plain `String`s inside the
//! ticket and history state (which other code reads and validates); a cursor beside each string
//! gives the same behaviour without changing those types.

use crate::keys::{KeyCode, KeyPress};

/// The longest text a one-line field holds (far above any amount, currency or filter).
pub const MAX_FIELD_CHARS: usize = 200;

/// One edit of the focused field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextEdit {
    Insert(char),
    /// Bracketed paste: inserted whole at the cursor.
    Paste(String),
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    /// Ctrl-W: the word before the cursor (and the spaces after it).
    DeleteWordBack,
    /// Ctrl-U: everything before the cursor.
    DeleteToStart,
    /// Ctrl-K: everything after the cursor.
    DeleteToEnd,
}

impl TextEdit {
    /// The edit a key makes in a text field, if any (the table's bindings are looked up first).
    pub fn for_key(key: KeyPress) -> Option<TextEdit> {
        if let Some(c) = key.typed_char() {
            return Some(TextEdit::Insert(c));
        }
        let edit = match (key.code, key.mods.ctrl) {
            (KeyCode::Backspace, _) | (KeyCode::Char('h'), true) => TextEdit::Backspace,
            (KeyCode::Delete, _) | (KeyCode::Char('d'), true) => TextEdit::Delete,
            (KeyCode::Left, _) | (KeyCode::Char('b'), true) => TextEdit::Left,
            (KeyCode::Right, _) | (KeyCode::Char('f'), true) => TextEdit::Right,
            (KeyCode::Home, _) | (KeyCode::Char('a'), true) => TextEdit::Home,
            (KeyCode::End, _) | (KeyCode::Char('e'), true) => TextEdit::End,
            (KeyCode::Char('w'), true) => TextEdit::DeleteWordBack,
            (KeyCode::Char('u'), true) => TextEdit::DeleteToStart,
            (KeyCode::Char('k'), true) => TextEdit::DeleteToEnd,
            _ => return None,
        };
        Some(edit)
    }
}

/// What became of an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The text changed.
    Changed,
    /// Only the cursor moved (or nothing happened).
    Unchanged,
    /// Refused whole, with the reason to show; the text is as it was.
    Refused(String),
}

/// A text and its cursor (in characters), edited in place.
pub struct Field<'a> {
    pub text: &'a mut String,
    pub cursor: &'a mut usize,
}

impl Field<'_> {
    /// Applies `edit`; `allowed` decides which characters the field takes (a refused character
    /// refuses the whole insert or paste: nothing is dropped silently).
    pub fn apply(&mut self, edit: &TextEdit, allowed: impl Fn(char) -> bool) -> Applied {
        let len = self.text.chars().count();
        *self.cursor = (*self.cursor).min(len);
        let at = *self.cursor;
        match edit {
            TextEdit::Insert(c) => self.insert(&c.to_string(), &allowed),
            TextEdit::Paste(text) => self.insert(text, &allowed),
            TextEdit::Backspace if at > 0 => {
                self.remove(at - 1, at);
                *self.cursor = at - 1;
                Applied::Changed
            }
            TextEdit::Delete if at < len => {
                self.remove(at, at + 1);
                Applied::Changed
            }
            TextEdit::Left => {
                *self.cursor = at.saturating_sub(1);
                Applied::Unchanged
            }
            TextEdit::Right => {
                *self.cursor = (at + 1).min(len);
                Applied::Unchanged
            }
            TextEdit::Home => {
                *self.cursor = 0;
                Applied::Unchanged
            }
            TextEdit::End => {
                *self.cursor = len;
                Applied::Unchanged
            }
            TextEdit::DeleteWordBack if at > 0 => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut start = at;
                while start > 0 && chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                while start > 0 && !chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                self.remove(start, at);
                *self.cursor = start;
                Applied::Changed
            }
            TextEdit::DeleteToStart if at > 0 => {
                self.remove(0, at);
                *self.cursor = 0;
                Applied::Changed
            }
            TextEdit::DeleteToEnd if at < len => {
                self.remove(at, len);
                Applied::Changed
            }
            _ => Applied::Unchanged,
        }
    }

    fn insert(&mut self, text: &str, allowed: &impl Fn(char) -> bool) -> Applied {
        // A terminal copies a line with its line break: one trailing break is not content.
        let text = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(text);
        if let Some(bad) = text.chars().find(|c| c.is_control() || !allowed(*c)) {
            let shown = if bad.is_control() {
                format!("U+{:04X}", u32::from(bad))
            } else {
                format!("'{bad}'")
            };
            return Applied::Refused(format!("{shown} cannot be typed here"));
        }
        let added = text.chars().count();
        if added == 0 {
            return Applied::Unchanged;
        }
        if self.text.chars().count() + added > MAX_FIELD_CHARS {
            return Applied::Refused(format!(
                "the field holds at most {MAX_FIELD_CHARS} characters"
            ));
        }
        let byte = byte_index(self.text, *self.cursor);
        self.text.insert_str(byte, text);
        *self.cursor += added;
        Applied::Changed
    }

    fn remove(&mut self, from: usize, to: usize) {
        let start = byte_index(self.text, from);
        let end = byte_index(self.text, to);
        self.text.replace_range(start..end, "");
    }
}

fn byte_index(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}

/// The text with a thin bar at the cursor, for drawing a focused field.
pub fn with_cursor(text: &str, cursor: usize) -> String {
    let byte = byte_index(text, cursor);
    format!("{}▏{}", &text[..byte], &text[byte..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(start: &str, cursor: usize, edits: &[TextEdit]) -> (String, usize) {
        let mut text = start.to_string();
        let mut at = cursor;
        for edit in edits {
            Field {
                text: &mut text,
                cursor: &mut at,
            }
            .apply(edit, |_| true);
        }
        (text, at)
    }

    #[test]
    fn the_cursor_moves_and_edits_happen_at_it() {
        use TextEdit::*;
        assert_eq!(run("15", 2, &[Left, Insert('.')]), ("1.5".into(), 2));
        assert_eq!(run("1.5", 3, &[Home, Delete]), (".5".into(), 0));
        assert_eq!(run("abc", 0, &[End, Backspace]), ("ab".into(), 2));
        assert_eq!(run("abc", 0, &[Left, Backspace]), ("abc".into(), 0));
        assert_eq!(run("abc", 3, &[Right, Delete]), ("abc".into(), 3));
        assert_eq!(
            run("usdc polygon", 12, &[DeleteWordBack]),
            ("usdc ".into(), 5)
        );
        assert_eq!(run("usdc  ", 6, &[DeleteWordBack]), (String::new(), 0));
        assert_eq!(run("12345", 3, &[DeleteToStart]), ("45".into(), 0));
        assert_eq!(run("12345", 3, &[DeleteToEnd]), ("123".into(), 3));
        assert_eq!(run("€1", 1, &[Insert('x')]), ("€x1".into(), 2));
        assert_eq!(run("ab", 1, &[Paste("XY".into())]), ("aXYb".into(), 3));
    }

    #[test]
    fn a_paste_is_taken_whole_or_refused_whole() {
        let mut text = String::from("1");
        let mut at = 1;
        let mut field = Field {
            text: &mut text,
            cursor: &mut at,
        };
        assert_eq!(
            field.apply(&TextEdit::Paste("0,5\n".into()), |_| true),
            Applied::Changed
        );
        assert_eq!(
            field.apply(&TextEdit::Paste("1\u{1b}[31m".into()), |_| true),
            Applied::Refused("U+001B cannot be typed here".into())
        );
        assert_eq!(
            field.apply(&TextEdit::Insert('x'), |c| c.is_ascii_digit()),
            Applied::Refused("'x' cannot be typed here".into())
        );
        assert_eq!(text, "10,5");
        assert_eq!(at, 4);
    }

    #[test]
    fn keys_map_to_edits() {
        assert_eq!(
            TextEdit::for_key(KeyPress::ch('a')),
            Some(TextEdit::Insert('a'))
        );
        assert_eq!(
            TextEdit::for_key(KeyPress::ctrl('w')),
            Some(TextEdit::DeleteWordBack)
        );
        assert_eq!(
            TextEdit::for_key(KeyPress::ctrl('u')),
            Some(TextEdit::DeleteToStart)
        );
        assert_eq!(
            TextEdit::for_key(KeyPress::plain(KeyCode::Home)),
            Some(TextEdit::Home)
        );
        assert_eq!(TextEdit::for_key(KeyPress::ctrl('c')), None);
        assert_eq!(TextEdit::for_key(KeyPress::plain(KeyCode::Enter)), None);
        assert_eq!(with_cursor("1.5", 1), "1▏.5");
    }
}
