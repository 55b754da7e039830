//! The balances pane: one row per balance with its indicative value in the reporting currency,
//! fiat status and crypto networks in columns of their own, and the indicative total.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::{RenderOptions, cells, format, pane};
use crate::api::models::{Currency, FiatStatus, unreadable_summary};
use crate::app::App;
use crate::app::balances::{BalanceKind, BalanceRow};
use crate::app::keymap::Pane;
use crate::number_format::NumberFormat;
use rust_decimal::Decimal;

/// Borders, the column header and the total line.
const CHROME_ROWS: u16 = 4;
/// The least room the networks column gets before it is cut with "…".
const NETWORKS_MIN_WIDTH: usize = 8;

/// What the values are shown in: the configured reporting currency when a balance gives its
/// rate, EUR otherwise (every rate P100 sends is EUR per unit).
struct Reporting {
    currency: Currency,
    /// EUR per unit of `currency`.
    eur_per_unit: Decimal,
    /// Set when the configured currency had no rate and EUR is used instead.
    fallback_from: Option<String>,
    /// How digits are written (the `number_format` setting, from the app's keyboard settings).
    format: NumberFormat,
}

impl Reporting {
    fn of(app: &App, options: &RenderOptions) -> Self {
        let wanted = options.reporting_currency.as_str();
        let format = app.keyboard.number_format;
        let eur = || Self {
            currency: Currency::new("eur"),
            eur_per_unit: Decimal::ONE,
            fallback_from: None,
            format,
        };
        if wanted.eq_ignore_ascii_case("eur") {
            return eur();
        }
        let rate = app
            .balances
            .rows
            .iter()
            .find(|row| row.currency.as_str().eq_ignore_ascii_case(wanted))
            .and_then(|row| row.rate)
            .filter(|rate| *rate > Decimal::ZERO);
        match rate {
            Some(eur_per_unit) => Self {
                currency: Currency::new(wanted),
                eur_per_unit,
                fallback_from: None,
                format,
            },
            None => Self {
                fallback_from: Some(wanted.to_ascii_uppercase()),
                ..eur()
            },
        }
    }

    fn value(&self, eur: Decimal) -> Option<Decimal> {
        eur.checked_div(self.eur_per_unit)
    }

    fn text(&self, eur: Option<Decimal>) -> String {
        eur.and_then(|eur| self.value(eur)).map_or_else(
            || "-".into(),
            |value| format::indicative(value, self.format),
        )
    }
}

/// The columns' widths, from every row: balances are few, and steady columns read better.
struct Widths {
    currency: usize,
    amount: usize,
    value: usize,
    /// 0 when no balance is fiat.
    status: usize,
    networks: usize,
}

impl Widths {
    fn of(app: &App, reporting: &Reporting, total_text: &str) -> Self {
        let rows = &app.balances.rows;
        let widest = |texts: &mut dyn Iterator<Item = String>, least: usize| {
            texts
                .map(|t| format::width(&t))
                .max()
                .unwrap_or(0)
                .max(least)
        };
        let any_fiat = rows
            .iter()
            .any(|row| matches!(row.kind, BalanceKind::Fiat { .. }));
        let any_crypto = rows
            .iter()
            .any(|row| matches!(row.kind, BalanceKind::Crypto { .. }));
        Self {
            currency: widest(
                &mut rows.iter().map(|r| r.currency.to_string()),
                "Total".len(),
            ),
            amount: widest(
                &mut rows
                    .iter()
                    .map(|r| format::amount_at_scale(r.amount, &r.currency, reporting.format)),
                "Amount".len(),
            ),
            value: widest(
                &mut rows.iter().map(|r| reporting.text(r.eur_value())),
                format::width(total_text).max(value_header(reporting).len()),
            ),
            status: if any_fiat {
                widest(&mut rows.iter().map(fiat_status), "Status".len())
            } else {
                0
            },
            networks: if any_crypto {
                widest(&mut rows.iter().map(networks_text), "Networks".len())
            } else {
                0
            },
        }
    }

    /// Marker, currency, amount and value with their gaps.
    fn numbers(&self) -> usize {
        1 + 1 + self.currency + 1 + self.amount + 1 + self.value
    }

    /// The whole width every column needs, without borders.
    fn natural(&self) -> usize {
        let status = if self.status > 0 { 1 + self.status } else { 0 };
        let networks = if self.networks > 0 {
            1 + self.networks
        } else {
            0
        };
        self.numbers() + status + networks
    }
}

fn value_header(reporting: &Reporting) -> String {
    format!("≈ {}", reporting.currency)
}

/// "272,181.98" and "indicative, rates of 11:29 (2 unpriced)".
fn total_texts(app: &App, reporting: &Reporting, options: &RenderOptions) -> (String, String) {
    let balances = &app.balances;
    let (total, unpriced) = balances.total_eur();
    let at = balances
        .rates_at
        .map_or_else(|| "-".into(), |at| format::clock(at, options.utc_offset));
    let mut note = format!("indicative, rates of {at}");
    if unpriced > 0 {
        let _ = write!(note, " ({unpriced} unpriced)");
    }
    if let Some(wanted) = &reporting.fallback_from {
        let _ = write!(note, "; in EUR: no rate for {wanted}");
    }
    (reporting.text(Some(total)), note)
}

/// The width that shows every column in full, borders included: the wide layout gives the
/// balances this much and history the rest.
pub fn wanted_width(app: &App, options: &RenderOptions) -> u16 {
    let reporting = Reporting::of(app, options);
    let (total, _) = total_texts(app, &reporting, options);
    cells(Widths::of(app, &reporting, &total).natural() + 2)
}

/// Whether the total's note fits beside it, or needs a line of its own.
fn note_fits(app: &App, inner_width: usize, options: &RenderOptions) -> bool {
    let reporting = Reporting::of(app, options);
    let (total, note) = total_texts(app, &reporting, options);
    let widths = Widths::of(app, &reporting, &total);
    widths.numbers() + 1 + format::width(&note) <= inner_width
}

/// The height that shows every balance (or the one-line message when there are none) in a
/// pane `width` columns wide.
pub fn wanted_height(app: &App, width: u16, options: &RenderOptions) -> u16 {
    let rows = (app.balances.rows.len() + app.balances.unreadable.len()).max(1);
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
    let [table_area, total_area, note_area] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(u16::from(note_line)),
    ])
    .areas(inner);
    table(frame, table_area, app, (offset, rows_height), options);
    total(frame, (total_area, note_area), app, note_line, options);
}

fn table(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    (offset, rows_height): (usize, usize),
    options: &RenderOptions,
) {
    let theme = &options.theme;
    let balances = &app.balances;
    let focused = app.focus == Pane::Balances;
    let selected = balances.selected_index();
    let reporting = Reporting::of(app, options);
    let (total_text, _) = total_texts(app, &reporting, options);
    let mut widths = Widths::of(app, &reporting, &total_text);
    // Networks take what is left, down to a few columns, then are cut with "…".
    let room = usize::from(area.width);
    if widths.networks > 0 {
        let status = if widths.status > 0 {
            1 + widths.status
        } else {
            0
        };
        widths.networks = room
            .saturating_sub(widths.numbers() + status + 1)
            .max(NETWORKS_MIN_WIDTH.min(widths.networks));
    }
    let mut rows = Vec::with_capacity(rows_height);
    for (index, row) in balances
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows_height)
    {
        let is_selected = selected == Some(index);
        let style = match (is_selected, focused) {
            (true, true) => theme.selected,
            (true, false) => theme.selected_unfocused,
            _ => Style::new(),
        };
        rows.push(balance_row(row, is_selected, &reporting, &widths, options).style(style));
    }
    // Items P100 sent that could not be read stay visible as rows of their own, with what
    // was wrong (the field and the JSON type of its value), after the readable ones.
    for bad in &balances.unreadable {
        if rows.len() >= rows_height {
            break;
        }
        let what = bad.field.as_deref().unwrap_or("item");
        let mut cells_of_row = vec![
            Cell::new("!"),
            Cell::new(format::fit(
                bad.id.as_deref().map_or("?", crate::app::short_id),
                widths.currency,
            )),
            Cell::new(Line::from(format::fit("unreadable", widths.amount)).right_aligned()),
            Cell::new(Line::from("-").right_aligned()),
        ];
        if widths.status > 0 || widths.networks > 0 {
            cells_of_row.push(Cell::new(format!("{what}: {}", bad.json_type)));
        }
        rows.push(Row::new(cells_of_row).style(theme.warning));
    }

    let mut header = vec![
        Cell::new(""),
        Cell::new("Cur"),
        Cell::new(Line::from("Amount").right_aligned()),
        Cell::new(Line::from(value_header(&reporting)).right_aligned()),
    ];
    let mut constraints = vec![
        Constraint::Length(1),
        Constraint::Length(cells(widths.currency)),
        Constraint::Length(cells(widths.amount)),
        Constraint::Length(cells(widths.value)),
    ];
    if widths.status > 0 {
        header.push(Cell::new("Status"));
        constraints.push(Constraint::Length(cells(widths.status)));
    }
    if widths.networks > 0 {
        header.push(Cell::new("Networks"));
        constraints.push(Constraint::Length(cells(widths.networks)));
    }
    let table = Table::new(rows, constraints).header(Row::new(header).style(theme.table_header));
    frame.render_widget(table, area);
}

/// The total under the value column, its label in the currency column, the note beside it or
/// on the next line.
fn total(
    frame: &mut Frame,
    (total_area, note_area): (Rect, Rect),
    app: &App,
    note_line: bool,
    options: &RenderOptions,
) {
    let theme = &options.theme;
    let reporting = Reporting::of(app, options);
    let (total_text, note) = total_texts(app, &reporting, options);
    let widths = Widths::of(app, &reporting, &total_text);
    let numbers = format!(
        "  {:<cur$} {:>amount$} {:>value$}",
        "Total",
        "",
        total_text,
        cur = widths.currency,
        amount = widths.amount,
        value = widths.value,
    );
    let mut spans = vec![Span::styled(numbers, theme.title_focused)];
    if note_line {
        let line = Line::styled(format!("  {note}"), theme.muted).right_aligned();
        frame.render_widget(Paragraph::new(line), note_area);
    } else {
        spans.push(Span::styled(format!(" {note}"), theme.muted));
    }
    let line = format::fit_spans(spans, usize::from(total_area.width));
    frame.render_widget(Paragraph::new(line), total_area);
}

/// A fiat balance's status in P100's own word (`WAITING_TO_BE_ACTIVATED` in full); empty for
/// crypto.
fn fiat_status(row: &BalanceRow) -> String {
    match &row.kind {
        BalanceKind::Fiat { status, .. } => match status {
            FiatStatus::Active => "ACTIVE".into(),
            FiatStatus::WaitingToBeActivated => "WAITING_TO_BE_ACTIVATED".into(),
            FiatStatus::Other(raw) => raw.clone(),
        },
        BalanceKind::Crypto { .. } => String::new(),
    }
}

/// A crypto balance's networks, "ethereum, polygon"; empty for fiat.
fn networks_text(row: &BalanceRow) -> String {
    match &row.kind {
        BalanceKind::Crypto { networks, .. } if networks.is_empty() => "none listed".into(),
        BalanceKind::Crypto { .. } => row.networks().join(", "),
        BalanceKind::Fiat { .. } => String::new(),
    }
}

fn balance_row(
    row: &BalanceRow,
    selected: bool,
    reporting: &Reporting,
    widths: &Widths,
    options: &RenderOptions,
) -> Row<'static> {
    let theme = &options.theme;
    let status_style = match &row.kind {
        BalanceKind::Fiat {
            status: FiatStatus::Active,
            ..
        } => theme.ok,
        BalanceKind::Fiat { .. } => theme.warning,
        BalanceKind::Crypto { .. } => Style::new(),
    };
    // The column is as wide as the widest amount, so nothing is cut; the fit is a guard.
    let amount = format::fit(
        &format::amount_at_scale(row.amount, &row.currency, reporting.format),
        widths.amount,
    );
    let mut row_cells = vec![
        Cell::new(if selected { "▶" } else { " " }),
        Cell::new(row.currency.to_string()),
        Cell::new(Line::from(amount).right_aligned()),
        Cell::new(Line::from(reporting.text(row.eur_value())).right_aligned()),
    ];
    if widths.status > 0 {
        row_cells.push(Cell::new(Span::styled(fiat_status(row), status_style)));
    }
    if widths.networks > 0 {
        row_cells.push(Cell::new(format::fit(&networks_text(row), widths.networks)));
    }
    Row::new(row_cells)
}
