//! The styles every widget draws with: dark, light and high-contrast colour themes, and a
//! monochrome one for `NO_COLOR`.
//!
//! Colour only ever repeats what the text already says (status words, "▶", "!"), so the
//! monochrome theme loses no meaning: it uses bold, reverse and dim instead.

use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::BorderType;

use crate::app::EnvBadge;
use crate::config::ThemeName;

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
    /// The frame drawn round the whole screen in production.
    pub production_frame: Style,
    /// QR modules: dark on light, always explicit, so a light terminal cannot invert the code.
    /// `None` only without colour (`NO_COLOR`): then the terminal's own colours are used.
    pub qr: Option<(Color, Color)>,
}

impl Theme {
    /// The theme called `name`, or monochrome when `no_color` (`NO_COLOR` wins over any theme).
    pub fn named(name: ThemeName, no_color: bool) -> Self {
        if no_color {
            return Self::monochrome();
        }
        match name {
            ThemeName::Dark => Self::color(),
            ThemeName::Light => Self::light(),
            ThemeName::HighContrast => Self::high_contrast(),
        }
    }

    /// The default theme, for terminals with colour on a dark background.
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
            production_frame: Style::new().fg(Color::Red).add_modifier(bold),
            qr: Some((Color::Black, Color::White)),
        }
    }

    /// For a light background: no yellow or cyan text (unreadable on white), darker shades
    /// from the 256-colour palette, a light grey selection bar.
    pub fn light() -> Self {
        let bold = Modifier::BOLD;
        let amber = Color::Indexed(130);
        let green = Color::Indexed(28);
        let blue = Color::Indexed(25);
        let grey = Color::Indexed(244);
        let badge = |color: Color| {
            Style::new()
                .fg(Color::White)
                .bg(color)
                .add_modifier(Modifier::BOLD)
        };
        Self {
            muted: Style::new().fg(grey),
            border: Style::new().fg(grey),
            border_focused: Style::new().fg(blue).add_modifier(bold),
            title_focused: Style::new().fg(blue).add_modifier(bold),
            table_header: Style::new()
                .fg(Color::Indexed(238))
                .add_modifier(Modifier::UNDERLINED),
            selected: Style::new()
                .bg(Color::Indexed(253))
                .fg(Color::Black)
                .add_modifier(bold),
            ok: Style::new().fg(green),
            pending: Style::new().fg(amber),
            unknown: Style::new().fg(Color::Magenta).add_modifier(bold),
            error: Style::new().fg(Color::Red).add_modifier(bold),
            warning: Style::new().fg(amber).add_modifier(bold),
            info: Style::new().fg(blue),
            stale: Style::new().fg(amber).add_modifier(bold),
            key: Style::new().fg(blue).add_modifier(bold),
            badge_sandbox: badge(green),
            badge_stage: badge(amber),
            badge_production: badge(Color::Red),
            badge_custom: badge(Color::Magenta),
            read_only: badge(amber),
            overlay_border: Style::new().fg(blue),
            ..Self::color()
        }
    }

    /// Bold, saturated colours and explicit backgrounds for the states that matter, for low
    /// vision or a bright room; focus is white and thick.
    pub fn high_contrast() -> Self {
        let bold = Modifier::BOLD;
        let on = |fg: Color, bg: Color| Style::new().fg(fg).bg(bg).add_modifier(bold);
        Self {
            muted: Style::new().fg(Color::Gray),
            border: Style::new().fg(Color::Gray),
            border_focused: Style::new().fg(Color::White).add_modifier(bold),
            border_type_focused: BorderType::Double,
            title: Style::new().fg(Color::White),
            title_focused: Style::new().fg(Color::White).add_modifier(bold),
            table_header: Style::new()
                .fg(Color::White)
                .add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED | bold),
            ok: Style::new().fg(Color::LightGreen).add_modifier(bold),
            pending: Style::new().fg(Color::LightYellow).add_modifier(bold),
            unknown: on(Color::Black, Color::LightMagenta),
            error: on(Color::White, Color::Red),
            warning: on(Color::Black, Color::LightYellow),
            info: Style::new().fg(Color::LightCyan).add_modifier(bold),
            stale: on(Color::Black, Color::LightYellow),
            key: Style::new().fg(Color::LightCyan).add_modifier(bold),
            overlay_border: Style::new().fg(Color::White).add_modifier(bold),
            error_border: Style::new().fg(Color::LightRed).add_modifier(bold),
            production_frame: Style::new().fg(Color::LightRed).add_modifier(bold),
            ..Self::color()
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
            production_frame: bold,
            qr: None,
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
        for name in ThemeName::ALL {
            assert_eq!(
                Theme::named(name, true),
                Theme::monochrome(),
                "NO_COLOR wins"
            );
        }
        assert_eq!(Theme::named(ThemeName::Dark, false), Theme::color());
        assert_ne!(Theme::named(ThemeName::Light, false), Theme::color());
        assert_ne!(Theme::named(ThemeName::HighContrast, false), Theme::color());
    }
}
