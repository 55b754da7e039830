//! The balances pane: one row per balance with its EUR value, and the indicative total.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::{RenderOptions, cells, format, pane};
use crate::api::models::{FiatStatus, unreadable_summary};
use crate::app::App;
use crate::app::balances::{BalanceKind, BalanceRow};
use crate::app::keymap::Pane;
use crate::money;

/// Borders, the column header and the total line.
const CHROME_ROWS: u16 = 4;

/// The columns' widths, from every row: balances are few, and steady columns read better.
struct Widths {
    currency: usize,
    amount: usize,
    eur: usize,
}

impl Widths {
    fn of(app: &App, total_text: &str) -> Self {
        let rows = &app.balances.rows;
        let max = |texts: &mut dyn Iterator<Item = String>, least: usize| {
            texts
                .map(|t| format::width(&t))
                .max()
                .unwrap_or(0)
                .max(least)
        };
        Self {
            currency: max(
                &mut rows.iter().map(|r| r.currency.to_string()),
                "Total".len(),
            ),
            amount: max(
                &mut rows
                    .iter()
                    .map(|r| money::format_amount(r.amount, r.currency.as_str())),
                "Amount".len(),
            ),
            eur: max(
                &mut rows.iter().map(eur_text),
                format::width(total_text).max("≈ EUR".len()),
            ),
        }
    }

    /// What is left for the status column in `inner_width`.
    fn status_room(&self, inner_width: usize) -> usize {
        inner_width.saturating_sub(1 + self.currency + self.amount + self.eur + 4)
    }
}

/// "272,181.98" and "indicative, rates of 11:29 (2 unpriced)".
fn total_texts(app: &App, options: &RenderOptions) -> (String, String) {
    let balances = &app.balances;
    let (total, unpriced) = balances.total_eur();
    let at = balances
        .rates_at
        .map_or_else(|| "-".into(), |at| format::clock(at, options.utc_offset));
    let mut note = format!("indicative, rates of {at}");
    if unpriced > 0 {
        let _ = write!(note, " ({unpriced} unpriced)");
    }
    (money::format_eur(total), note)
}

/// Whether the total's note fits beside it, or needs a line of its own.
fn note_fits(app: &App, inner_width: usize, options: &RenderOptions) -> bool {
    let (total, note) = total_texts(app, options);
    Widths::of(app, &total).status_room(inner_width) >= format::width(&note)
}

/// The height that shows every balance (or the one-line message when there are none) in a
/// pane `width` columns wide.
pub fn wanted_height(app: &App, width: u16, options: &RenderOptions) -> u16 {
    let rows = app.balances.rows.len().max(1);
    let inner_width = usize::from(width.saturating_sub(2));
    let note_line =
        u16::from(!app.balances.rows.is_empty() && !note_fits(app, inner_width, options));
    cells(rows)
        .saturating_add(CHROME_ROWS)
        .saturating_add(note_line)
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
    let note_line = !note_fits(app, usize::from(area.width.saturating_sub(2)), options);
    let rows_height = usize::from(
        area.height
            .saturating_sub(CHROME_ROWS + u16::from(note_line)),
    );
    let offset = balances.selection.visible_offset(
        balances.selected_index(),
        balances.rows.len(),
        rows_height,
    );
    let mut extra = pane::position(offset, rows_height, balances.rows.len(), options);
    if let Some(summary) = unreadable_summary(balances.unreadable.len()) {
        extra.push(Span::styled(format!(" {summary} "), options.theme.warning));
    }
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
    let (table_area, note_area) = if note_line {
        let [table_area, note_area] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
        (table_area, Some(note_area))
    } else {
        (inner, None)
    };
    table(
        frame,
        table_area,
        app,
        (offset, rows_height),
        note_area,
        options,
    );
}

fn table(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    (offset, rows_height): (usize, usize),
    note_area: Option<Rect>,
    options: &RenderOptions,
) {
    let theme = &options.theme;
    let balances = &app.balances;
    let focused = app.focus == Pane::Balances;
    let selected = balances.selected_index();
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

    let (total_text, note) = total_texts(app, options);
    let widths = Widths::of(app, &total_text);
    let header = Row::new([
        Cell::new(""),
        Cell::new("Cur"),
        Cell::new(Line::from("Amount").right_aligned()),
        Cell::new(Line::from("≈ EUR").right_aligned()),
        Cell::new("Status"),
    ])
    .style(theme.table_header);
    // The total sits under the EUR column, its label in the currency column.
    let note_cell = if note_area.is_none() {
        Cell::new(Span::styled(note.clone(), theme.muted))
    } else {
        Cell::new("")
    };
    let footer = Row::new([
        Cell::new(""),
        Cell::new("Total"),
        Cell::new(""),
        Cell::new(Line::from(total_text).right_aligned()),
        note_cell,
    ])
    .style(theme.title_focused);
    let constraints = [
        Constraint::Length(1),
        Constraint::Length(cells(widths.currency)),
        Constraint::Length(cells(widths.amount)),
        Constraint::Length(cells(widths.eur)),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, constraints).header(header).footer(footer);
    frame.render_widget(table, area);
    if let Some(note_area) = note_area {
        let line = Line::styled(format!("  {note}"), theme.muted).right_aligned();
        frame.render_widget(Paragraph::new(line), note_area);
    }
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
    let amount = money::format_amount(row.amount, row.currency.as_str());
    Row::new([
        Cell::new(if selected { "▶" } else { " " }),
        Cell::new(row.currency.to_string()),
        Cell::new(Line::from(amount).right_aligned()),
        Cell::new(Line::from(eur_text(row)).right_aligned()),
        Cell::new(Span::styled(status, status_style)),
    ])
}
