//! The `[keys]` table (remapped keys, per mode section) and the `number_format` setting, resolved
//! into the keyboard settings the app starts with. Every mistake is a config error at its line
//! and column: an unknown section, action or key name, a clash within one mode, a protected
//! money key.
//!
//! ```toml
//! number_format = "1.234,56"
//! [keys.dashboard]
//! refresh = "ctrl-r"
//! quit = ["q", "ctrl-q"]
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

use super::error::ConfigError;
use super::file::line_and_column;
use super::secret_file::FileText;
use crate::keys::{KeyPress, Keymap, parse_key};
use crate::number_format::NumberFormat;

/// `[keys.<section>] <action> = "key" | ["key", ...]`, as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub(crate) struct KeysSection(BTreeMap<String, BTreeMap<String, Spanned<KeyList>>>);

/// One or more key names, each parsed (a bad name is an error at its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyList(Vec<KeyPress>);

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;

        impl<'de> Visitor<'de> for ListVisitor {
            type Value = KeyList;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a key name (\"ctrl-r\") or a list of key names")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<KeyList, E> {
                parse_key(text)
                    .map(|key| KeyList(vec![key]))
                    .map_err(E::custom)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyList, A::Error> {
                let mut keys = Vec::new();
                while let Some(text) = seq.next_element::<String>()? {
                    keys.push(parse_key(&text).map_err(de::Error::custom)?);
                }
                Ok(KeyList(keys))
            }
        }

        deserializer.deserialize_any(ListVisitor)
    }
}

/// What the keyboard starts with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyboardSettings {
    pub keymap: Keymap,
    pub number_format: NumberFormat,
}

/// Applies `[keys]` over the default table and checks the result.
pub(crate) fn resolve(
    section: &KeysSection,
    number_format: Option<NumberFormat>,
    file: Option<&FileText>,
) -> Result<KeyboardSettings, ConfigError> {
    let mut keymap = Keymap::default();
    let mut applied: Vec<(&Spanned<KeyList>, &str)> = Vec::new();
    for (scope, actions) in &section.0 {
        for (action, keys) in actions {
            keymap
                .rebind(scope, action, &keys.get_ref().0)
                .map_err(|error| at(file, keys, &format!("[keys.{scope}] {action}: {error}")))?;
            applied.push((keys, scope));
        }
    }
    if let Err(error) = keymap.check() {
        // Blame the last entry that binds the offending key (the one that broke the rule).
        let text = error.to_string();
        let culprit = applied
            .iter()
            .rev()
            .find(|(keys, _)| {
                keys.get_ref().0.iter().any(|key| {
                    text.starts_with(&key.to_string()) || text.contains(&format!(" {key}"))
                })
            })
            .or_else(|| applied.last());
        return Err(match culprit {
            Some((keys, scope)) => at(file, keys, &format!("[keys.{scope}]: {text}")),
            None => ConfigError::Invalid {
                setting: "[keys]".into(),
                message: text,
            },
        });
    }
    Ok(KeyboardSettings {
        keymap,
        number_format: number_format.unwrap_or_default(),
    })
}

fn at(file: Option<&FileText>, spanned: &Spanned<KeyList>, message: &str) -> ConfigError {
    match file {
        Some(file) => {
            let (line, column) = line_and_column(&file.text, spanned.span().start);
            ConfigError::Parse {
                path: file.path.clone(),
                line,
                column,
                message: message.to_string(),
            }
        }
        None => ConfigError::Invalid {
            setting: "[keys]".into(),
            message: message.to_string(),
        },
    }
}

/// For tests: parse a file's text and resolve its keyboard settings.
pub fn keyboard_from_text(path: &Path, text: &str) -> Result<KeyboardSettings, ConfigError> {
    let file = FileText {
        path: path.to_path_buf(),
        text: text.to_string(),
        mode: None,
    };
    let parsed = super::file::ConfigFile::parse(path, text)?;
    resolve(&parsed.keys, parsed.number_format, Some(&file))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::keymap::Pane;
    use crate::keys::{Action, Mode};

    fn load(text: &str) -> Result<KeyboardSettings, ConfigError> {
        keyboard_from_text(Path::new("c.toml"), text)
    }

    fn error_at(text: &str) -> (usize, usize, String) {
        match load(text).expect_err("config error") {
            ConfigError::Parse {
                line,
                column,
                message,
                ..
            } => (line, column, message),
            other => panic!("expected a located error, got {other:?}"),
        }
    }

    #[test]
    fn remapped_keys_and_the_number_format_apply() {
        let settings = load(
            "number_format = \"1.234,56\"\n[keys.dashboard]\nrefresh = \"ctrl-r\"\nquit = [\"q\", \"ctrl-q\"]\n",
        )
        .expect("valid");
        assert_eq!(settings.number_format, NumberFormat::DotComma);
        let mode = Mode::Dashboard(Pane::Live);
        assert_eq!(
            settings.keymap.resolve(mode, KeyPress::ctrl('r')),
            Some(Action::Refresh)
        );
        assert_eq!(settings.keymap.resolve(mode, KeyPress::ch('r')), None);
        assert_eq!(
            settings.keymap.resolve(mode, KeyPress::ctrl('q')),
            Some(Action::Quit)
        );
        assert_eq!(load("").expect("empty"), KeyboardSettings::default());
    }

    #[test]
    fn mistakes_are_errors_at_their_line_and_column() {
        let (line, column, message) = error_at("[keys.dashboard]\nrefresh = \"hyper-r\"\n");
        assert_eq!((line, column), (2, 11), "{message}");
        assert!(message.contains("unknown key name"), "{message}");

        let (line, _, message) = error_at("[keys.dashbord]\nrefresh = \"R\"\n");
        assert_eq!(line, 2);
        assert!(
            message.contains("unknown key section \"dashbord\""),
            "{message}"
        );

        let (line, _, message) = error_at("[keys.dashboard]\nrefresh-everything = \"R\"\n");
        assert_eq!(line, 2);
        assert!(message.contains("not an action"), "{message}");

        let (line, _, message) = error_at("[keys.dashboard]\nhelp = \"h\"\nrefresh = \"q\"\n");
        assert_eq!(line, 3, "{message}");
        assert!(message.contains("bound twice"), "{message}");

        let (line, _, message) = error_at("[keys.ticket-locked]\nconfirm = \"Enter\"\n");
        assert_eq!(line, 2);
        assert!(message.contains("confirm cannot be Enter"), "{message}");

        let (_, _, message) = error_at("[keys.ticket-locked]\nconfirm = \"x\"\n");
        assert!(message.contains("opens a ticket"), "{message}");

        let (_, _, message) = error_at("[keys.ticket-locked]\nconfirm = \"l\"\n");
        assert!(message.contains("bound twice"), "{message}");

        let (line, _, message) = error_at("number_format = \"1,234\"\n");
        assert_eq!(line, 1);
        assert!(message.contains("unknown number format"), "{message}");
    }

    #[test]
    fn swapping_two_keys_is_not_a_clash() {
        let settings = load("[keys.dashboard]\nrefresh = \"q\"\nquit = \"r\"\n").expect("swap");
        let mode = Mode::Dashboard(Pane::Balances);
        assert_eq!(
            settings.keymap.resolve(mode, KeyPress::ch('q')),
            Some(Action::Refresh)
        );
        assert_eq!(
            settings.keymap.resolve(mode, KeyPress::ch('r')),
            Some(Action::Quit)
        );
    }
}
