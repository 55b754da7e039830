//! The status bar: the last notice (with a text mark for its level), or the command line while it
//! is open, and the keys of the current mode, generated from the binding table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{RenderOptions, format};
use crate::app::keyboard::FieldId;
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
    let hints = super::key_line::for_mode(app, usize::from(area.width), theme);
    frame.render_widget(Paragraph::new(vec![first, hints]), area);
}
