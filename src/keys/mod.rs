//! The keyboard: key presses, modes, the one binding table and key names for the config file.
//! `App` sees only [`KeyPress`] and [`Action`]; crossterm stops at [`KeyPress::from_crossterm`].

pub mod action;
pub mod commands;
pub mod key;
pub mod mode;
pub mod parse;
pub mod readme;
pub mod table;

pub use action::Action;
pub use key::{KeyCode, KeyPress, Mods};
pub use mode::{Mode, Scope};
pub use parse::{KeyNameError, parse_key};
pub use table::{Binding, Condition, Keymap, KeymapError};
