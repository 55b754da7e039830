//! A dialog box: centred over a cleared area, sized to its content, holding "label  value"
//! fields whose long values wrap under themselves (or move to their own line, whole, when they
//! are one long token such as an address, so a mouse selection copies them).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::{RenderOptions, cells, centered, format, key_line};
use crate::app::App;

/// Field names are padded to this width so values line up.
const LABEL_WIDTH: usize = 14;
/// The widest a dialog gets: enough for an IBAN, a wallet address or a full id beside a label.
const MAX_WIDTH: u16 = 84;
const MIN_WIDTH: u16 = 30;
/// Below this many columns for the value, values go under their label instead of beside it.
const MIN_VALUE_WIDTH: usize = 12;

/// One entry of a dialog.
pub enum Item {
    Field {
        name: String,
        value: Vec<Span<'static>>,
    },
    Text(Line<'static>),
}

pub fn field(name: &str, value: String) -> Item {
    styled_field(name, value, Style::new())
}

pub fn styled_field(name: &str, value: String, style: Style) -> Item {
    spans_field(name, vec![Span::styled(value, style)])
}

pub fn spans_field(name: &str, value: Vec<Span<'static>>) -> Item {
    Item::Field {
        name: name.to_string(),
        value,
    }
}

pub fn text(line: Line<'static>) -> Item {
    Item::Text(line)
}

impl Item {
    fn natural_width(&self) -> usize {
        match self {
            Item::Field { value, .. } => {
                LABEL_WIDTH + 1 + value.iter().map(Span::width).sum::<usize>()
            }
            Item::Text(line) => line.width(),
        }
    }

    /// The screen lines of this item in `width` columns.
    fn lines(self, width: usize, label_style: Style) -> Vec<Line<'static>> {
        match self {
            Item::Text(line) => format::wrap_spans(&line.spans, width)
                .into_iter()
                .map(|spans| Line::from(spans).style(line.style))
                .collect(),
            Item::Field { name, value } => field_lines(&name, value, width, label_style),
        }
    }
}

fn field_lines(
    name: &str,
    value: Vec<Span<'static>>,
    width: usize,
    label_style: Style,
) -> Vec<Line<'static>> {
    let label = Span::styled(format!("{name:<LABEL_WIDTH$} "), label_style);
    let room = width.saturating_sub(LABEL_WIDTH + 1);
    let value_width: usize = value.iter().map(Span::width).sum();
    if value_width <= room {
        let mut spans = vec![label];
        spans.extend(value);
        return vec![Line::from(spans)];
    }
    let one_token = value.iter().all(|span| !span.content.trim().contains(' '));
    if room < MIN_VALUE_WIDTH || (one_token && value_width <= width) {
        // Under the label, from the left edge.
        let mut lines = vec![Line::from(label)];
        lines.extend(
            format::wrap_spans(&value, width)
                .into_iter()
                .map(Line::from),
        );
        return lines;
    }
    let indent = " ".repeat(LABEL_WIDTH + 1);
    format::wrap_spans(&value, room)
        .into_iter()
        .enumerate()
        .map(|(index, spans)| {
            let first = if index == 0 {
                label.clone()
            } else {
                Span::raw(indent.clone())
            };
            Line::from(std::iter::once(first).chain(spans).collect::<Vec<_>>())
        })
        .collect()
}

/// Draws `items` in a centred box titled `title`, with the keys of the current mode (from the
/// binding table) on its bottom border, or under the items when they do not fit on one line.
pub fn show(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    title: &str,
    items: Vec<Item>,
    border: Style,
    options: &RenderOptions,
) {
    let theme = &options.theme;
    let title = format!(" {title} ");
    let natural = items
        .iter()
        .map(Item::natural_width)
        .chain([format::width(&title), key_line::natural_width(app)])
        .max()
        .unwrap_or(0);
    let width = cells(natural + 4)
        .clamp(MIN_WIDTH, MAX_WIDTH)
        .min(area.width);
    // One column of padding inside each border.
    let text_width = usize::from(width.saturating_sub(4)).max(1);
    let mut lines: Vec<Line> = items
        .into_iter()
        .flat_map(|item| item.lines(text_width, theme.muted))
        .collect();
    // Two border columns and a space before the corner.
    let mut keys = key_line::lines(app, usize::from(width.saturating_sub(3)), theme);
    let footer = if keys.len() == 1 {
        keys.pop().map(|mut line| {
            line.push_span(Span::raw(" "));
            line
        })
    } else {
        // Too many keys for the border: they go under the items, every one of them.
        lines.push(Line::default());
        lines.extend(keys);
        None
    };
    let dialog = centered(area, width, cells(lines.len() + 2));
    let mut block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(border)
        .title(Line::styled(title, theme.title_focused));
    if let Some(footer) = footer {
        block = block.title_bottom(footer.right_aligned());
    }
    let inner = block.inner(dialog);
    let text_area = Rect {
        x: inner.x.saturating_add(1).min(inner.right()),
        width: inner.width.saturating_sub(2),
        ..inner
    };
    frame.render_widget(Clear, dialog);
    frame.render_widget(block, dialog);
    frame.render_widget(Paragraph::new(lines), text_area);
}
