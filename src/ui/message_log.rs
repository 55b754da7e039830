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
    let dialog = super::full_overlay(area);
    let title = format!(
        " Messages ({}) ",
        format::count(log.len() as u64, app.keyboard.number_format)
    );
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
    // Pinned at the top: how many older messages went, and where every one is.
    let mut pinned: Vec<Line<'static>> = Vec::new();
    if let Some(dropped) = log.dropped_text(app.keyboard.number_format) {
        let spans = [Span::styled(format!(" {dropped}"), theme.warning)];
        for wrapped in format::wrap_spans(&spans, text_width) {
            pinned.push(Line::from(wrapped));
        }
    }
    if log.is_empty() {
        pinned.push(Line::styled(" No messages yet.", theme.muted));
    }
    let pinned_height = pinned.len().min(usize::from(inner.height));
    let visible = usize::from(inner.height) - pinned_height;
    // Newest at the bottom; scrolling up shows older lines. Only the entries that can show are
    // wrapped, newest first, so a full log (10,000) costs a screenful per frame, not all of it.
    let wanted = visible + log.scroll_up;
    let mut newest_first: Vec<Line<'static>> = Vec::new();
    for notice in log.entries().rev() {
        if newest_first.len() >= wanted {
            break;
        }
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
        let wrapped = format::wrap_spans(&spans, text_width);
        newest_first.extend(wrapped.into_iter().rev().map(Line::from));
    }
    // Scrolled past the oldest: the oldest screenful stays.
    let skip = log
        .scroll_up
        .min(newest_first.len().saturating_sub(visible));
    let mut shown: Vec<Line<'static>> = pinned;
    shown.truncate(pinned_height);
    shown.extend(
        newest_first
            .into_iter()
            .skip(skip)
            .take(visible)
            .collect::<Vec<_>>()
            .into_iter()
            .rev(),
    );
    frame.render_widget(Clear, dialog);
    frame.render_widget(block, dialog);
    frame.render_widget(Paragraph::new(shown), inner);
}
