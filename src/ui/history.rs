//! The history pane: transactions newest first, built only for the rows on screen, with paging
//! progress and the filter line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use super::theme::Theme;
use super::{RenderOptions, cells, format, pane};
use crate::api::models::{TransactionStatus, unreadable_summary};
use crate::app::history::Seek;
use crate::app::history::rows::RowView;
use crate::app::keymap::Pane;
use crate::app::{App, short_id};
use crate::keys::{Action, Mode};

/// The column widths. Every one is fixed, or decided from the pane's width and the settings
/// alone: scrolling never changes the header (a value too wide is cut with "…").
const TYPE_WIDTH: usize = 17; // CRYPTO_WITHDRAWAL, the longest documented type
const TYPE_MIN_WIDTH: usize = 12;
const STATUS_WIDTH: usize = 10; // SUCCESSFUL
/// "12,500.000000 USDC" and "1,234.56789012 BTC" fit; a larger amount is cut on the right.
const AMOUNT_WIDTH: usize = 20;
/// "→ " and an amount.
const LEG_WIDTH: usize = AMOUNT_WIDTH + 2;
const ID_WIDTH: usize = 8;
const DESCRIPTION_MIN_WIDTH: usize = 12;

pub fn render(frame: &mut Frame, area: Rect, app: &App, options: &RenderOptions) {
    let history = &app.history;
    let theme = &options.theme;
    let focused = app.focus == Pane::History;

    let mut extra = Vec::new();
    // While `G` loads pages, the progress line says how far it got instead of the count.
    let seeking = history.seek_progress().is_some_and(|p| p.page.is_some());
    if !history.is_empty() && !seeking {
        extra.push(Span::styled(count_text(app), theme.muted));
    }
    if history.searching() {
        extra.push(Span::styled(" searching… ", theme.pending));
    }
    if let Some(text) = progress_text(app) {
        extra.push(Span::styled(text, theme.pending));
    }
    if let Some(summary) = unreadable_summary(history.unreadable.len()) {
        extra.push(Span::styled(format!(" {summary} "), theme.warning));
    }
    let refreshing = history.loading_page == Some(1) && history.freshness.loaded_at.is_some();
    let right = pane::freshness(&history.freshness, refreshing, app.now, options);
    let mut block = pane::block(Pane::History, focused, area, extra, right, options);
    if let Some(filter) = filter_line(app, theme) {
        block = block.title_bottom(filter);
    }
    let inner = block.inner(area);
    // Records the pane's height even while there are no rows (PgUp/PgDn page by it, and a
    // pane taller than the rows held asks for the next page).
    let rows_height = usize::from(inner.height.saturating_sub(1));
    let offset = history.selection.visible_offset(
        history.selected_index(),
        history.visible_len(),
        rows_height,
    );
    // The oldest row is on screen: say that nothing older exists.
    if history.at_end_of_history()
        && history.visible_len() > 0
        && offset + rows_height >= history.visible_len()
    {
        block = block.title_bottom(Line::styled(" end of history ", theme.muted).right_aligned());
    }
    frame.render_widget(block, area);

    let empty_text = if history.searching() {
        "Searching…".to_string()
    } else if history.filter.is_empty() {
        "No transactions yet.".to_string()
    } else {
        let clears = app
            .keyboard
            .keymap
            .key_for(Mode::Dashboard(Pane::History), Action::ClearFilter)
            .map_or_else(String::new, |key| format!(" {key} clears the filter."));
        format!(
            "No loaded transaction matches \"{}\".{clears}",
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

/// "150/1,234", or with a filter "12 matches · 150/1,234".
fn count_text(app: &App) -> String {
    let history = &app.history;
    let nf = app.keyboard.number_format;
    let loaded = format::count(history.len() as u64, nf);
    let mut text = if history.first_page > 1 {
        // The top is not held (`G` jumped, or the cap dropped it): say which rows are.
        let above = history.rows_above();
        let range = format!(
            "{}–{}",
            format::count(above + 1, nf),
            format::count(above + history.len() as u64, nf)
        );
        match history.total {
            Some(total) => format!("{range} of {}", format::count(total, nf)),
            None => range,
        }
    } else {
        let mut text = match history.total {
            Some(total) => format!("{loaded}/{}", format::count(total, nf)),
            None => loaded,
        };
        if history.exhausted {
            text.push_str(" · all loaded");
        }
        text
    };
    if !history.filter.is_empty() {
        let matches = history.visible_len();
        let word = if matches == 1 { "match" } else { "matches" };
        text = format!("{} {word} · {text}", format::count(matches as u64, nf));
    }
    format!(" {text} ")
}

/// While `G` / `g` loads pages: "loading history… 1,200 of 5,000" (or "page 7…" without a
/// total); while a page below the first loads otherwise: "loading more…".
fn progress_text(app: &App) -> Option<String> {
    let history = &app.history;
    let nf = app.keyboard.number_format;
    if let Some(progress) = history.seek_progress() {
        let page = progress.page?;
        return Some(match (progress.seek, progress.total) {
            (Seek::End, Some(total)) => format!(
                " loading history… {} of {} ",
                format::count(progress.through.min(total), nf),
                format::count(total, nf)
            ),
            (Seek::End, None) => format!(
                " loading history… page {}… ",
                format::count(page.into(), nf)
            ),
            (Seek::Top, _) => " loading the newest rows… ".to_string(),
        });
    }
    history
        .loading_page
        .is_some_and(|page| page > 1)
        .then(|| " loading more… ".to_string())
}

/// "/ usdc█" while typing, "/ usdc  Esc clears" once applied; nothing without a filter.
fn filter_line(app: &App, theme: &Theme) -> Option<Line<'static>> {
    let history = &app.history;
    if history.filter_editing {
        return Some(Line::from(vec![
            Span::styled(" / ", theme.key),
            Span::raw(crate::input::with_cursor(
                &history.filter,
                app.cursor_of(crate::app::keyboard::FieldId::Filter, &history.filter),
            )),
            Span::raw(" "),
        ]));
    }
    if history.filter.is_empty() {
        return None;
    }
    // The clearing key as the table has it now (a remap shows here too).
    let clears = app
        .keyboard
        .keymap
        .key_for(Mode::Dashboard(Pane::History), Action::ClearFilter)
        .map_or_else(String::new, |key| format!("  {key} clears "));
    Some(Line::from(vec![
        Span::styled(" / ", theme.key),
        Span::raw(history.filter.clone()),
        Span::styled(clears, theme.muted),
    ]))
}

/// The columns for a pane `room` cells wide, in a fixed priority: time, type, status and
/// amount always; then the exchange's other leg, the id, the description, each only if the one
/// before it fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    pub time_width: usize,
    pub type_width: usize,
    pub leg: bool,
    pub id: bool,
    /// The description's width; 0 when it is not shown.
    pub description: usize,
}

impl Columns {
    pub fn fit(room: usize, time_width: usize) -> Self {
        // The marker, then each column after a one-cell gap.
        let base = 1 + (1 + time_width) + (1 + STATUS_WIDTH) + (1 + AMOUNT_WIDTH) + 1;
        let type_width = room.saturating_sub(base).clamp(TYPE_MIN_WIDTH, TYPE_WIDTH);
        let mut used = base + type_width;
        let mut take = |width: usize| {
            let fits = used + 1 + width <= room;
            if fits {
                used += 1 + width;
            }
            fits
        };
        let leg = take(LEG_WIDTH);
        let id = leg && take(ID_WIDTH);
        let description = if id && take(DESCRIPTION_MIN_WIDTH) {
            DESCRIPTION_MIN_WIDTH + room.saturating_sub(used)
        } else {
            0
        };
        Self {
            time_width,
            type_width,
            leg,
            id,
            description,
        }
    }

    fn header(&self) -> Vec<Cell<'static>> {
        let mut header = vec![
            Cell::new(""),
            Cell::new("Time"),
            Cell::new("Type"),
            Cell::new("Status"),
            Cell::new(Line::from("Amount").right_aligned()),
        ];
        if self.leg {
            header.push(Cell::new("Other leg"));
        }
        if self.id {
            header.push(Cell::new("Id"));
        }
        if self.description > 0 {
            header.push(Cell::new("Description"));
        }
        header
    }

    fn widths(&self) -> Vec<Constraint> {
        let mut widths = vec![
            Constraint::Length(1),
            Constraint::Length(cells(self.time_width)),
            Constraint::Length(cells(self.type_width)),
            Constraint::Length(cells(STATUS_WIDTH)),
            Constraint::Length(cells(AMOUNT_WIDTH)),
        ];
        if self.leg {
            widths.push(Constraint::Length(cells(LEG_WIDTH)));
        }
        if self.id {
            widths.push(Constraint::Length(cells(ID_WIDTH)));
        }
        if self.description > 0 {
            widths.push(Constraint::Length(cells(self.description)));
        }
        widths
    }

    /// The header's text, for tests that check it never changes.
    pub fn header_text(&self) -> String {
        self.header_names().join(" ")
    }

    fn header_names(&self) -> Vec<&'static str> {
        let mut names = vec!["Time", "Type", "Status", "Amount"];
        if self.leg {
            names.push("Other leg");
        }
        if self.id {
            names.push("Id");
        }
        if self.description > 0 {
            names.push("Description");
        }
        names
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
    let columns = Columns::fit(
        usize::from(inner.width),
        format::row_time_width(&options.date_format),
    );

    // Only the rows on screen are read and formatted, whatever the history's length.
    let mut rows = Vec::with_capacity(end - offset);
    for n in offset..end {
        let Some(row) = history.visible_row(n) else {
            continue;
        };
        let text = RowText::new(row, app, options);
        let is_selected = selected == Some(n);
        let style = match (is_selected, focused) {
            (true, true) => theme.selected,
            (true, false) => theme.selected_unfocused,
            _ => Style::new(),
        };
        let mut row_cells = vec![
            Cell::new(if is_selected { "▶" } else { " " }),
            Cell::new(format::fit(&text.time, columns.time_width)),
            Cell::new(format::fit(row.kind().as_str(), columns.type_width)),
            Cell::new(Span::styled(
                format::fit(row.status().as_str(), STATUS_WIDTH),
                status_style(row.status(), theme),
            )),
            Cell::new(Line::from(format::fit(&text.amount, AMOUNT_WIDTH)).right_aligned()),
        ];
        if columns.leg {
            row_cells.push(Cell::new(format::fit(&text.leg, LEG_WIDTH)));
        }
        if columns.id {
            row_cells.push(Cell::new(Span::styled(text.id, theme.muted)));
        }
        if columns.description > 0 {
            let description = row.description().unwrap_or("");
            row_cells.push(Cell::new(Span::styled(
                format::fit(description, columns.description),
                theme.muted,
            )));
        }
        rows.push(Row::new(row_cells).style(style));
    }

    let table = Table::new(rows, columns.widths())
        .header(Row::new(columns.header()).style(theme.table_header));
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
    fn new(row: RowView<'_>, app: &App, options: &RenderOptions) -> Self {
        let leg = match (row.currency_to(), row.amount_to()) {
            (Some(currency), Some(amount)) => {
                format!(
                    "→ {}",
                    format::amount_with_currency(amount, currency, app.keyboard.number_format)
                )
            }
            (Some(currency), None) => format!("→ {currency}"),
            _ => String::new(),
        };
        Self {
            time: row.created_at().map_or_else(
                || "-".into(),
                |at| format::row_time(at, app.now, options.utc_offset, &options.date_format),
            ),
            amount: format::amount_with_currency(
                row.amount(),
                row.currency(),
                app.keyboard.number_format,
            ),
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
    fn columns_join_in_priority_order_as_the_pane_widens() {
        let narrow = Columns::fit(78, 16);
        assert_eq!(narrow.header_text(), "Time Type Status Amount");
        assert_eq!(narrow.type_width, TYPE_WIDTH);
        let cramped = Columns::fit(60, 16);
        assert_eq!(cramped.type_width, TYPE_MIN_WIDTH);
        assert!(!cramped.leg);
        let wide = Columns::fit(118, 16);
        assert_eq!(
            wide.header_text(),
            "Time Type Status Amount Other leg Id Description"
        );
        assert!(wide.description >= DESCRIPTION_MIN_WIDTH);
        let leg_only = Columns::fit(92, 16);
        assert!(leg_only.leg && !leg_only.id);
        for room in 0..300 {
            let columns = Columns::fit(room, 16);
            assert!(!columns.id || columns.leg);
            assert!(columns.description == 0 || columns.id);
        }
    }
}
