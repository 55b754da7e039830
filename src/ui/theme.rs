//! The styles every widget draws with: a colour theme and a monochrome one for `NO_COLOR`.
//!
//! Colour only ever repeats what the text already says (status words, "▶", "!"), so the
//! monochrome theme loses no meaning: it uses bold, reverse and dim instead.

use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::BorderType;

use crate::app::EnvBadge;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// Secondary text: ages, hints' descriptions, column headers' rules.
    pub muted: Style,
    pub border: Style,
    pub border_focused: Style,
    /// Focus is also told by the border's shape, not only its colour.
    pub border_type: BorderType,
    pub border_type_focused: BorderType,
    pub title: Style,
    pub title_focused: Style,
    pub table_header: Style,
    /// The selected row of the focused pane.
    pub selected: Style,
    /// The selected row of a pane without focus (the "▶" marker still shows it).
    pub selected_unfocused: Style,
    /// Rows that are final and only wait to be dismissed.
    pub final_row: Style,
    pub ok: Style,
    pub pending: Style,
    pub unknown: Style,
    pub error: Style,
    pub warning: Style,
    pub info: Style,
    /// The "stale since" mark on a pane whose refresh failed.
    pub stale: Style,
    /// Key names in hints and help.
    pub key: Style,
    pub badge_sandbox: Style,
    pub badge_stage: Style,
    pub badge_production: Style,
    pub badge_custom: Style,
    pub read_only: Style,
    /// Overlay frames.
    pub overlay_border: Style,
    pub error_border: Style,
}

impl Theme {
    /// The default theme, for terminals with colour.
    pub fn color() -> Self {
        let bold = Modifier::BOLD;
        let badge = |color: Color| {
            Style::new()
                .fg(color)
                .add_modifier(Modifier::REVERSED | Modifier::BOLD)
        };
        Self {
            muted: Style::new().fg(Color::DarkGray),
            border: Style::new().fg(Color::DarkGray),
            border_focused: Style::new().fg(Color::Cyan).add_modifier(bold),
            border_type: BorderType::Plain,
            border_type_focused: BorderType::Thick,
            title: Style::new(),
            title_focused: Style::new().fg(Color::Cyan).add_modifier(bold),
            table_header: Style::new()
                .fg(Color::Gray)
                .add_modifier(Modifier::UNDERLINED),
            selected: Style::new().bg(Color::DarkGray).add_modifier(bold),
            selected_unfocused: Style::new().add_modifier(bold),
            final_row: Style::new().add_modifier(Modifier::DIM),
            ok: Style::new().fg(Color::Green),
            pending: Style::new().fg(Color::Yellow),
            unknown: Style::new().fg(Color::Magenta).add_modifier(bold),
            error: Style::new().fg(Color::Red).add_modifier(bold),
            warning: Style::new().fg(Color::Yellow).add_modifier(bold),
            info: Style::new().fg(Color::Cyan),
            stale: Style::new().fg(Color::Yellow).add_modifier(bold),
            key: Style::new().fg(Color::Cyan).add_modifier(bold),
            badge_sandbox: badge(Color::Green),
            badge_stage: badge(Color::Yellow),
            badge_production: badge(Color::Red),
            badge_custom: badge(Color::Magenta),
            read_only: badge(Color::Yellow),
            overlay_border: Style::new().fg(Color::Cyan),
            error_border: Style::new().fg(Color::Red).add_modifier(bold),
        }
    }

    /// No colour at all (https://no-color.org): modifiers only.
    pub fn monochrome() -> Self {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let reversed = Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD);
        Self {
            muted: Style::new().add_modifier(Modifier::DIM),
            border: Style::new(),
            border_focused: bold,
            border_type: BorderType::Plain,
            border_type_focused: BorderType::Thick,
            title: Style::new(),
            title_focused: bold,
            table_header: Style::new().add_modifier(Modifier::UNDERLINED),
            selected: reversed,
            selected_unfocused: bold,
            final_row: Style::new().add_modifier(Modifier::DIM),
            ok: Style::new(),
            pending: Style::new().add_modifier(Modifier::ITALIC),
            unknown: bold,
            error: bold,
            warning: bold,
            info: Style::new(),
            stale: reversed,
            key: bold,
            badge_sandbox: reversed,
            badge_stage: reversed,
            badge_production: reversed,
            badge_custom: reversed,
            read_only: reversed,
            overlay_border: bold,
            error_border: bold,
        }
    }

    /// Monochrome when `NO_COLOR` holds a non-empty value, as no-color.org specifies. The caller
    /// reads the variable once at start-up; rendering never reads the environment.
    pub fn for_no_color(no_color: Option<&std::ffi::OsStr>) -> Self {
        match no_color {
            Some(value) if !value.is_empty() => Self::monochrome(),
            _ => Self::color(),
        }
    }

    pub fn badge(&self, environment: EnvBadge) -> Style {
        match environment {
            EnvBadge::Sandbox => self.badge_sandbox,
            EnvBadge::Stage => self.badge_stage,
            EnvBadge::Production => self.badge_production,
            EnvBadge::Custom => self.badge_custom,
        }
    }

    pub fn pane_border(&self, focused: bool) -> (Style, BorderType) {
        if focused {
            (self.border_focused, self.border_type_focused)
        } else {
            (self.border, self.border_type)
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Self::color()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn no_color_picks_monochrome_only_when_set_and_non_empty() {
        assert_eq!(Theme::for_no_color(None), Theme::color());
        assert_eq!(Theme::for_no_color(Some(OsStr::new(""))), Theme::color());
        assert_eq!(
            Theme::for_no_color(Some(OsStr::new("1"))),
            Theme::monochrome()
        );
    }
}
