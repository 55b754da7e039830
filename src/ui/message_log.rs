//! The message log overlay (`L`): every notice since the start, newest at the bottom, each with
//! its time and full text wrapped (nothing cut, unlike the status bar).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::{RenderOptions, format};
use crate::app::{App, Level};

pub fn render(frame: &mut Frame, area: Rect, app: &App, options: &RenderOptions) {
    let theme = &options.theme;
    let log = &app.keyboard.log;
    let width = area.width.saturating_sub(4).max(10);
    // Above the status bar (its notice line stays in sight), one row below the header.
    let height = area
        .height
        .saturating_sub(1 + super::status_bar::HEIGHT)
        .max(3);
    let dialog = super::centered(area, width, height);
    let dialog = Rect {
        y: area.y.saturating_add(1).min(dialog.y),
        ..dialog
    };
    let title = format!(" Messages ({}) ", format::count(log.len() as u64));
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.overlay_border)
        .title(Line::styled(title, theme.title_focused))
        .title_bottom(
            super::key_line::for_mode(app, usize::from(width.saturating_sub(4)), theme)
                .right_aligned(),
        );
    let inner = block.inner(dialog);
    let text_width = usize::from(inner.width.saturating_sub(1)).max(1);
    let mut lines: Vec<Line<'static>> = Vec::new();
    if log.dropped > 0 {
        lines.push(Line::styled(
            format!(" {} older messages were dropped", log.dropped),
            theme.muted,
        ));
    }
    if log.is_empty() {
        lines.push(Line::styled(" No messages yet.", theme.muted));
    }
    for notice in log.entries() {
        let (mark, style) = match notice.level {
            Level::Info => ("i ", theme.info),
            Level::Warning => ("! ", theme.warning),
            Level::Error => ("!!", theme.error),
        };
        let stamp = format::clock_seconds(notice.at, options.utc_offset);
        let spans = vec![
            Span::styled(format!(" {stamp} "), theme.muted),
            Span::styled(format!("{mark} "), style),
            Span::styled(notice.text.clone(), style),
        ];
        for wrapped in format::wrap_spans(&spans, text_width) {
            lines.push(Line::from(wrapped));
        }
    }
    // Newest at the bottom; scrolling up shows older lines.
    let visible = usize::from(inner.height);
    let end = lines.len().saturating_sub(log.scroll_up);
    let start = end.saturating_sub(visible);
    let shown: Vec<Line<'static>> = lines[start..end].to_vec();
    frame.render_widget(Clear, dialog);
    frame.render_widget(block, dialog);
    frame.render_widget(Paragraph::new(shown), inner);
}
