//! The history pane: transactions newest first, built only for the rows on screen, with paging
//! progress and the filter line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use super::theme::Theme;
use super::{RenderOptions, cells, format, pane};
use crate::api::models::TransactionStatus;
use crate::app::history::rows::RowView;
use crate::app::keymap::Pane;
use crate::app::{App, short_id};

/// Columns whose width does not depend on the rows.
const TIME_WIDTH: usize = 11; // "02-13 11:29"
const TYPE_WIDTH: usize = 17; // CRYPTO_WITHDRAWAL, the longest documented type
const TYPE_MIN_WIDTH: usize = 8;
const STATUS_WIDTH: usize = 10; // SUCCESSFUL
const ID_WIDTH: usize = 8;

pub fn render(frame: &mut Frame, area: Rect, app: &App, options: &RenderOptions) {
    let history = &app.history;
    let theme = &options.theme;
    let focused = app.focus == Pane::History;

    let mut extra = Vec::new();
    if !history.is_empty() {
        extra.push(Span::styled(count_text(app), theme.muted));
    }
    if history.searching() {
        extra.push(Span::styled(" searching… ", theme.pending));
    }
    if history.loading_page.is_some_and(|page| page > 1) {
        extra.push(Span::styled(" loading more… ", theme.pending));
    }
    let refreshing = history.loading_page == Some(1) && history.freshness.loaded_at.is_some();
    let right = pane::freshness(&history.freshness, refreshing, app.now, options);
    let mut block = pane::block(Pane::History, focused, area, extra, right, options);
    if let Some(filter) = filter_line(app, theme) {
        block = block.title_bottom(filter);
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let empty_text = if history.searching() {
        "Searching…".to_string()
    } else if history.filter.is_empty() {
        "No transactions yet.".to_string()
    } else {
        format!(
            "No loaded transaction matches \"{}\". Esc clears the filter.",
            history.filter
        )
    };
    if let Some(lines) = pane::empty_state(
        &history.freshness,
        history.visible_len() > 0,
        &empty_text,
        options,
    ) {
        pane::message(frame, inner, lines);
        return;
    }
    table(frame, inner, app, focused, options);
}

/// "150/1,234", or with a filter "12 match · 150/1,234".
fn count_text(app: &App) -> String {
    let history = &app.history;
    let loaded = format::count(history.len() as u64);
    let mut text = match history.total {
        Some(total) => format!("{loaded}/{}", format::count(total)),
        None => loaded,
    };
    if !history.filter.is_empty() {
        text = format!(
            "{} match · {text}",
            format::count(history.visible_len() as u64)
        );
    }
    format!(" {text} ")
}

/// "/ usdc█" while typing, "/ usdc  Esc clears" once applied; nothing without a filter.
fn filter_line(app: &App, theme: &Theme) -> Option<Line<'static>> {
    let history = &app.history;
    if history.filter_editing {
        return Some(Line::from(vec![
            Span::styled(" / ", theme.key),
            Span::raw(history.filter.clone()),
            Span::styled("█", theme.key),
            Span::raw(" "),
        ]));
    }
    if history.filter.is_empty() {
        return None;
    }
    Some(Line::from(vec![
        Span::styled(" / ", theme.key),
        Span::raw(history.filter.clone()),
        Span::styled("  Esc clears ", theme.muted),
    ]))
}

/// Which optional columns fit, and how wide the type column is.
struct Columns {
    type_width: usize,
    leg: bool,
    id: bool,
}

/// Fits the columns into `room`: first drop the id, then shorten the type, then drop the
/// exchange's other leg. Time, status and amount always stay.
fn fit_columns(room: usize, amount_width: usize, leg_width: usize) -> Columns {
    let fixed = 1 + TIME_WIDTH + STATUS_WIDTH + amount_width + 4;
    let total = |type_width: usize, leg: bool, id: bool| {
        fixed
            + type_width
            + if leg && leg_width > 0 {
                leg_width + 1
            } else {
                0
            }
            + if id { ID_WIDTH + 1 } else { 0 }
    };
    if total(TYPE_WIDTH, true, true) <= room {
        return Columns {
            type_width: TYPE_WIDTH,
            leg: true,
            id: true,
        };
    }
    for leg in [true, false] {
        let without_type = total(0, leg, false);
        if without_type + TYPE_MIN_WIDTH <= room {
            return Columns {
                type_width: (room - without_type).min(TYPE_WIDTH),
                leg,
                id: false,
            };
        }
    }
    Columns {
        type_width: TYPE_MIN_WIDTH,
        leg: false,
        id: false,
    }
}

fn table(frame: &mut Frame, inner: Rect, app: &App, focused: bool, options: &RenderOptions) {
    let theme = &options.theme;
    let history = &app.history;
    let rows_height = usize::from(inner.height.saturating_sub(1));
    let selected = history.selected_index();
    let len = history.visible_len();
    let offset = history.selection.visible_offset(selected, len, rows_height);
    let end = offset.saturating_add(rows_height).min(len);

    // Only the rows on screen are read and formatted, whatever the history's length.
    let shown: Vec<(usize, RowView<'_>)> = (offset..end)
        .filter_map(|n| history.visible_row(n).map(|row| (n, row)))
        .collect();
    let texts: Vec<RowText> = shown
        .iter()
        .map(|(_, row)| RowText::new(*row, options))
        .collect();
    let amount_width = texts
        .iter()
        .map(|t| format::width(&t.amount))
        .max()
        .unwrap_or(0)
        .max("Amount".len());
    let leg_width = texts
        .iter()
        .map(|t| format::width(&t.leg))
        .max()
        .unwrap_or(0);
    let columns = fit_columns(usize::from(inner.width), amount_width, leg_width);
    let show_leg = columns.leg && leg_width > 0;

    let mut rows = Vec::with_capacity(shown.len());
    for ((n, row), text) in shown.iter().zip(texts) {
        let is_selected = selected == Some(*n);
        let style = match (is_selected, focused) {
            (true, true) => theme.selected,
            (true, false) => theme.selected_unfocused,
            _ => Style::new(),
        };
        let mut row_cells = vec![
            Cell::new(if is_selected { "▶" } else { " " }),
            Cell::new(text.time),
            Cell::new(format::fit(row.kind().as_str(), columns.type_width)),
            Cell::new(Span::styled(
                format::fit(row.status().as_str(), STATUS_WIDTH),
                status_style(row.status(), theme),
            )),
            Cell::new(Line::from(text.amount).right_aligned()),
        ];
        if show_leg {
            row_cells.push(Cell::new(text.leg));
        }
        if columns.id {
            row_cells.push(Cell::new(Span::styled(text.id, theme.muted)));
        }
        rows.push(Row::new(row_cells).style(style));
    }

    let mut header = vec![
        Cell::new(""),
        Cell::new("Time"),
        Cell::new("Type"),
        Cell::new("Status"),
        Cell::new(Line::from("Amount").right_aligned()),
    ];
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(cells(TIME_WIDTH)),
        Constraint::Length(cells(columns.type_width)),
        Constraint::Length(cells(STATUS_WIDTH)),
        Constraint::Length(cells(amount_width)),
    ];
    if show_leg {
        header.push(Cell::new("Exchanged to"));
        widths.push(Constraint::Length(cells(leg_width)));
    }
    if columns.id {
        header.push(Cell::new("Id"));
        widths.push(Constraint::Length(cells(ID_WIDTH)));
    }
    let table = Table::new(rows, widths).header(Row::new(header).style(theme.table_header));
    frame.render_widget(table, inner);
}

/// The formatted text of one row.
struct RowText {
    time: String,
    amount: String,
    leg: String,
    id: String,
}

impl RowText {
    fn new(row: RowView<'_>, options: &RenderOptions) -> Self {
        let leg = match (row.currency_to(), row.amount_to()) {
            (Some(currency), Some(amount)) => {
                format!("→ {}", format::amount_with_currency(amount, currency))
            }
            (Some(currency), None) => format!("→ {currency}"),
            _ => String::new(),
        };
        Self {
            time: row.created_at().map_or_else(
                || "-".into(),
                |at| format::month_day_time(at, options.utc_offset),
            ),
            amount: format::amount_with_currency(row.amount(), row.currency()),
            leg,
            id: short_id(row.id()).to_string(),
        }
    }
}

pub fn status_style(status: &TransactionStatus, theme: &Theme) -> Style {
    match status {
        TransactionStatus::Successful | TransactionStatus::Completed => theme.ok,
        TransactionStatus::Failed => theme.error,
        TransactionStatus::Pending | TransactionStatus::Processing => theme.pending,
        TransactionStatus::Other(_) => Style::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_give_way_in_order_id_type_leg() {
        let all = fit_columns(200, 18, 15);
        assert!(all.id && all.leg && all.type_width == TYPE_WIDTH);
        let no_id = fit_columns(78, 18, 15);
        assert!(!no_id.id && no_id.leg);
        let short_type = fit_columns(70, 18, 15);
        assert!(!short_type.id && short_type.leg && short_type.type_width < TYPE_WIDTH);
        let no_leg = fit_columns(60, 18, 15);
        assert!(!no_leg.leg && no_leg.type_width >= TYPE_MIN_WIDTH);
        let tiny = fit_columns(10, 18, 15);
        assert_eq!(tiny.type_width, TYPE_MIN_WIDTH);
    }
}
