//! The status bar: the last notice (with a text mark for its level) and the keys that work now.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use super::{RenderOptions, format};
use crate::app::keymap::{self, Action};
use crate::app::{App, Level, Overlay};

/// The notice line and the hints line.
pub const HEIGHT: u16 = 2;

pub fn render(frame: &mut Frame, area: Rect, app: &App, options: &RenderOptions) {
    let theme = &options.theme;
    let notice = app.notice.as_ref().map_or_else(Line::default, |notice| {
        let (mark, style) = match notice.level {
            Level::Info => ("i", theme.info),
            Level::Warning => ("!", theme.warning),
            Level::Error => ("!!", theme.error),
        };
        Line::from(vec![
            Span::styled(format!(" {mark} "), style),
            Span::styled(notice.text.clone(), style),
            Span::styled(
                format!("  ({})", format::age(notice.at, app.now)),
                theme.muted,
            ),
        ])
    });
    let hints = Line::from(hint_spans(&hints(app), usize::from(area.width), theme));
    frame.render_widget(Paragraph::new(vec![notice, hints]), area);
}

/// The keys that work in the current mode: a dialog, the filter line, or the focused pane.
fn hints(app: &App) -> Vec<(&'static str, &'static str)> {
    match &app.overlay {
        Some(Overlay::LiveDetail(_)) => vec![("c", "copy wallet address"), ("Enter/Esc", "close")],
        Some(Overlay::Help) => vec![("?/Esc", "close")],
        Some(_) => vec![("Enter/Esc", "close")],
        None if app.history.filter_editing => {
            vec![("type", "filter"), ("Enter", "keep"), ("Esc", "clear")]
        }
        None => {
            // Tab first: with three panes, moving between them is the first thing to learn.
            let mut hints: Vec<_> = keymap::BINDINGS
                .iter()
                .filter(|b| b.action == Action::FocusNext)
                .map(|b| (b.label, b.help))
                .collect();
            hints.extend(keymap::hints(app.focus));
            hints
        }
    }
}

/// The hints that fit in `width`, whole. When not all fit, "? help" is kept first (it leads to
/// every other key), then the others in order; they are shown in their own order.
fn hint_spans(
    hints: &[(&'static str, &'static str)],
    width: usize,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let hint_width = |(key, help): &(&str, &str)| format::width(key) + 1 + format::width(help);
    let is_help = |hint: &&(&str, &str)| hint.1 == "help";
    let by_priority = hints
        .iter()
        .filter(is_help)
        .chain(hints.iter().filter(|hint| !is_help(hint)));
    let mut used = 1;
    let mut kept = Vec::new();
    for hint in by_priority {
        let needed = hint_width(hint) + if kept.is_empty() { 0 } else { 2 };
        if used + needed <= width {
            used += needed;
            kept.push(*hint);
        }
    }
    let mut spans = vec![Span::raw(" ")];
    for hint in hints.iter().filter(|hint| kept.contains(hint)) {
        if spans.len() > 1 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(hint.0, theme.key));
        spans.push(Span::styled(format!(" {}", hint.1), theme.muted));
    }
    spans
}
