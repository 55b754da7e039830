//! What every pane shares: its frame (focus, "[1] Balances" title, freshness on the right) and
//! the one-line messages shown instead of rows (loading, empty, not loaded).

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::RenderOptions;
use super::format;
use crate::app::freshness::Freshness;
use crate::app::keymap::Pane;

/// The number key that focuses a pane, as shown in its title.
pub fn number(pane: Pane) -> usize {
    Pane::ALL
        .iter()
        .position(|p| *p == pane)
        .map_or(0, |index| index + 1)
}

/// The frame of a pane. `extra` follows the name in the title; `right` lists the texts for the
/// top right corner from the longest to the shortest form, and the longest that still fits
/// beside the title is used (ratatui would otherwise draw one title over the other).
pub fn block<'a>(
    pane: Pane,
    focused: bool,
    area: Rect,
    extra: Vec<Span<'a>>,
    right: Vec<Line<'a>>,
    options: &RenderOptions,
) -> Block<'a> {
    let theme = &options.theme;
    let (border_style, border_type) = theme.pane_border(focused);
    let name_style = if focused {
        theme.title_focused
    } else {
        theme.title
    };
    let mut title = vec![Span::styled(
        format!(" [{}] {} ", number(pane), pane.title()),
        name_style,
    )];
    title.extend(extra);
    let title = Line::from(title);
    let room = usize::from(area.width.saturating_sub(2));
    let left_width = title.width();
    let mut block = Block::bordered()
        .border_type(border_type)
        .border_style(border_style)
        .title_top(title);
    if let Some(fitting) = right
        .into_iter()
        .find(|line| left_width + 1 + line.width() <= room)
    {
        block = block.title_top(fitting.right_aligned());
    }
    block
}

/// The freshness texts for a pane's top right corner, longest first. `refreshing` says a reload
/// is running while older data is shown.
pub fn freshness<'a>(
    freshness: &Freshness,
    refreshing: bool,
    now: DateTime<Utc>,
    options: &RenderOptions,
) -> Vec<Line<'a>> {
    let theme = &options.theme;
    if let Some(stale) = &freshness.stale {
        let since = format::clock_seconds(stale.since, options.utc_offset);
        return [
            format!(" ! stale since {since} — {} ", stale.reason),
            format!(" ! stale since {since} "),
            " ! stale ".to_string(),
        ]
        .into_iter()
        .map(|text| Line::styled(text, theme.stale))
        .collect();
    }
    if freshness.is_first_load() {
        return if freshness.loading {
            vec![Line::styled(" loading… ", theme.pending)]
        } else {
            Vec::new()
        };
    }
    let Some(loaded_at) = freshness.loaded_at else {
        return Vec::new();
    };
    let age = format::age(loaded_at, now);
    let mut texts = Vec::new();
    if refreshing {
        texts.push(format!(" updated {age} · refreshing… "));
    }
    texts.push(format!(" updated {age} "));
    texts.push(format!(" {age} "));
    texts
        .into_iter()
        .map(|text| Line::styled(text, theme.muted))
        .collect()
}

/// The body of a pane with no rows to show: loading, never loaded, or empty.
pub fn message(frame: &mut Frame, inner: Rect, lines: Vec<Line<'_>>) {
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The lines for a pane with no rows, or `None` when it has rows to draw.
pub fn empty_state<'a>(
    freshness: &Freshness,
    has_rows: bool,
    empty_text: &str,
    options: &RenderOptions,
) -> Option<Vec<Line<'a>>> {
    let theme = &options.theme;
    if has_rows {
        return None;
    }
    if let Some(stale) = &freshness.stale {
        let since = format::clock_seconds(stale.since, options.utc_offset);
        return Some(vec![
            Line::styled(
                format!(" ! Not loaded: {} (since {since})", stale.reason),
                theme.error,
            ),
            Line::styled(" r: try again", theme.muted),
        ]);
    }
    if freshness.is_first_load() {
        return Some(vec![Line::styled(" loading…", theme.pending)]);
    }
    Some(vec![Line::styled(format!(" {empty_text}"), theme.muted)])
}

/// "3-7 of 9" for the title when not every row fits, so hidden rows are never a surprise.
pub fn position<'a>(
    offset: usize,
    rows_height: usize,
    len: usize,
    options: &RenderOptions,
) -> Vec<Span<'a>> {
    if len <= rows_height || rows_height == 0 {
        return Vec::new();
    }
    let last = (offset + rows_height).min(len);
    vec![Span::styled(
        format!(" {}-{last} of {len} ", offset + 1),
        options.theme.muted,
    )]
}
