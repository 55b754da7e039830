//! The status bar: the last notice (with a text mark for its level), or the command line while it
//! is open, and the keys of the current mode, generated from the binding table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use super::{RenderOptions, format};
use crate::app::keyboard::FieldId;
use crate::app::keymap::Hint;
use crate::app::{App, Level};
use crate::input::with_cursor;

/// The notice line and the hints line.
pub const HEIGHT: u16 = 2;

pub fn render(frame: &mut Frame, area: Rect, app: &App, options: &RenderOptions) {
    let theme = &options.theme;
    let first = if let Some(command) = &app.keyboard.command {
        let at = app.cursor_of(FieldId::Command, command);
        Line::from(vec![
            Span::styled(" :", theme.key),
            Span::raw(with_cursor(command, at)),
        ])
    } else {
        app.notice.as_ref().map_or_else(Line::default, |notice| {
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
        })
    };
    let hints = Line::from(hint_spans(&app.key_hints(), usize::from(area.width), theme));
    frame.render_widget(Paragraph::new(vec![first, hints]), area);
}

/// The hints that fit in `width`, whole. When not all fit, the help key is kept first (it leads
/// to every other key), then the others in order; they are shown in their own order.
pub fn hint_spans(hints: &[Hint], width: usize, theme: &Theme) -> Vec<Span<'static>> {
    let hint_width = |hint: &Hint| format::width(&hint.label) + 1 + format::width(hint.help);
    let is_help = |hint: &&Hint| hint.action == crate::keys::Action::Help;
    let by_priority = hints
        .iter()
        .filter(is_help)
        .chain(hints.iter().filter(|hint| !is_help(hint)));
    let mut used = 1;
    let mut kept: Vec<&Hint> = Vec::new();
    for hint in by_priority {
        let needed = hint_width(hint) + if kept.is_empty() { 0 } else { 2 };
        if used + needed <= width {
            used += needed;
            kept.push(hint);
        }
    }
    let mut spans = vec![Span::raw(" ")];
    for hint in hints.iter().filter(|hint| kept.contains(hint)) {
        if spans.len() > 1 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(hint.label.clone(), theme.key));
        spans.push(Span::styled(format!(" {}", hint.help), theme.muted));
    }
    spans
}
