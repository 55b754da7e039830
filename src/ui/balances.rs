//! The balances pane: one row per balance with its EUR value, and the indicative total.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use super::{RenderOptions, cells, format, pane};
use crate::api::models::FiatStatus;
use crate::app::App;
use crate::app::balances::{BalanceKind, BalanceRow};
use crate::app::keymap::Pane;
use crate::money;

/// Borders, the column header and the total line.
const CHROME_ROWS: u16 = 4;

/// The height that shows every balance (or the one-line message when there are none).
pub fn wanted_height(app: &App) -> u16 {
    let rows = app.balances.rows.len().max(1);
    cells(rows).saturating_add(CHROME_ROWS)
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, options: &RenderOptions) {
    let balances = &app.balances;
    let focused = app.focus == Pane::Balances;
    let has_data = balances.freshness.loaded_at.is_some();
    let right = pane::freshness(
        &balances.freshness,
        balances.freshness.loading && has_data,
        app.now,
        options,
    );
    let rows_height = usize::from(area.height.saturating_sub(CHROME_ROWS));
    let extra = pane::position(
        balances.selection.visible_offset(
            balances.selected_index(),
            balances.rows.len(),
            rows_height,
        ),
        rows_height,
        balances.rows.len(),
        options,
    );
    let block = pane::block(Pane::Balances, focused, area, extra, right, options);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    if let Some(lines) = pane::empty_state(
        &balances.freshness,
        !balances.rows.is_empty(),
        "No balances on this account.",
        options,
    ) {
        pane::message(frame, inner, lines);
        return;
    }
    table(frame, inner, app, focused, options);
}

fn table(frame: &mut Frame, inner: Rect, app: &App, focused: bool, options: &RenderOptions) {
    let theme = &options.theme;
    let balances = &app.balances;
    let rows_height = usize::from(inner.height.saturating_sub(2));
    let selected = balances.selected_index();
    let offset = balances
        .selection
        .visible_offset(selected, balances.rows.len(), rows_height);
    let visible = balances
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows_height);

    let mut rows = Vec::with_capacity(rows_height);
    for (index, row) in visible {
        let is_selected = selected == Some(index);
        let style = match (is_selected, focused) {
            (true, true) => theme.selected,
            (true, false) => theme.selected_unfocused,
            _ => Style::new(),
        };
        rows.push(balance_row(row, is_selected, options).style(style));
    }

    let (total, unpriced) = balances.total_eur();
    let total_text = money::format_eur(total);
    let mut note = format!(
        "indicative, rates of {}",
        balances
            .rates_at
            .map_or_else(|| "-".into(), |at| format::clock(at, options.utc_offset))
    );
    if unpriced > 0 {
        let _ = write!(note, " ({unpriced} unpriced)");
    }

    // Column widths from every row: balances are few, and stable columns read better.
    let currency_width = balances
        .rows
        .iter()
        .map(|row| format::width(&row.currency.to_string()))
        .max()
        .unwrap_or(0)
        .max("Total".len());
    let amount_width = balances
        .rows
        .iter()
        .map(|row| format::width(&money::format_amount(row.amount, row.currency.as_str())))
        .max()
        .unwrap_or(0)
        .max("Amount".len());
    let eur_width = balances
        .rows
        .iter()
        .map(|row| format::width(&eur_text(row)))
        .chain([format::width(&total_text), "≈ EUR".len()])
        .max()
        .unwrap_or(0);

    let header = Row::new([
        Cell::new(""),
        Cell::new("Cur"),
        Cell::new(Line::from("Amount").right_aligned()),
        Cell::new(Line::from("≈ EUR").right_aligned()),
        Cell::new("Status"),
    ])
    .style(theme.table_header);
    // Total under the EUR column; the label sits in the currency column (at least 5 wide).
    let footer = Row::new([
        Cell::new(""),
        Cell::new("Total"),
        Cell::new(""),
        Cell::new(Line::from(total_text).right_aligned()),
        Cell::new(Span::styled(note, theme.muted)),
    ])
    .style(theme.title_focused);
    let widths = [
        Constraint::Length(1),
        Constraint::Length(cells(currency_width)),
        Constraint::Length(cells(amount_width)),
        Constraint::Length(cells(eur_width)),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths).header(header).footer(footer);
    frame.render_widget(table, inner);
}

fn eur_text(row: &BalanceRow) -> String {
    row.eur_value()
        .map_or_else(|| "-".into(), money::format_eur)
}

fn balance_row(row: &BalanceRow, selected: bool, options: &RenderOptions) -> Row<'static> {
    let theme = &options.theme;
    let status_style = match &row.kind {
        BalanceKind::Fiat {
            status: FiatStatus::Active,
            ..
        } => theme.ok,
        BalanceKind::Fiat { .. } => theme.warning,
        BalanceKind::Crypto { .. } => Style::new(),
    };
    let status = match row.status_text() {
        text if text.is_empty() => "-".to_string(),
        text => text,
    };
    Row::new([
        Cell::new(if selected { "▶" } else { " " }),
        Cell::new(row.currency.to_string()),
        Cell::new(
            Line::from(money::format_amount(row.amount, row.currency.as_str())).right_aligned(),
        ),
        Cell::new(Line::from(eur_text(row)).right_aligned()),
        Cell::new(Span::styled(status, status_style)),
    ])
}
