//! The live pane: every exchange and order in flight or just finished, three lines each: what
//! and where it stands, the amounts, and what it waits for.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{List, ListItem};

use super::theme::Theme;
use super::{RenderOptions, cells, format, pane};
use crate::app::App;
use crate::app::freshness::Freshness;
use crate::app::keymap::Pane;
use crate::app::live::{ExchangeLeg, LiveKind, LiveRow, OrderLeg, Phase};

/// Lines per live row.
pub const ROW_LINES: u16 = 3;

/// The height that shows every row (or the empty line).
pub fn wanted_height(app: &App) -> u16 {
    let lines = cells(app.live.rows.len()).saturating_mul(ROW_LINES).max(1);
    lines.saturating_add(2)
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, options: &RenderOptions) {
    let theme = &options.theme;
    let live = &app.live;
    let focused = app.focus == Pane::Live;
    let in_flight = live.in_flight();
    let rows_height = usize::from(area.height.saturating_sub(2) / ROW_LINES);
    let selected = live.selected_index();
    let offset = live
        .selection
        .visible_offset(selected, live.rows.len(), rows_height);
    let mut extra = Vec::new();
    if in_flight > 0 {
        extra.push(Span::styled(
            format!(" {in_flight} in flight "),
            theme.pending,
        ));
    }
    // Freshness is told: when the budget, not the backoff, sets the pace, say how stale a row
    // may be.
    if let Some(pace) = app.check_pace.describe(in_flight) {
        extra.push(Span::styled(format!(" {pace} "), theme.warning));
    }
    extra.extend(pane::position(
        offset,
        rows_height,
        live.rows.len(),
        options,
    ));
    // The pane is stale while any in-flight row's status checks fail.
    let checks = Freshness {
        stale: live.stale().cloned(),
        ..Freshness::default()
    };
    let right = pane::freshness(&checks, false, app.now, options);
    let block = pane::block(Pane::Live, focused, area, extra, right, options);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    if live.rows.is_empty() {
        pane::message(
            frame,
            inner,
            vec![Line::styled(" Nothing in flight.", theme.muted)],
        );
        return;
    }
    let width = usize::from(inner.width);
    let items: Vec<ListItem> = live
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows_height.max(1))
        .map(|(index, row)| {
            let is_selected = selected == Some(index);
            let mut style = if row.phase.is_final() {
                theme.final_row
            } else {
                Style::new()
            };
            style = match (is_selected, focused) {
                (true, true) => style.patch(theme.selected),
                (true, false) => style.patch(theme.selected_unfocused),
                _ => style,
            };
            ListItem::new(row_text(row, is_selected, width, app, options)).style(style)
        })
        .collect();
    frame.render_widget(List::new(items), inner);
}

fn row_text(
    row: &LiveRow,
    selected: bool,
    width: usize,
    app: &App,
    options: &RenderOptions,
) -> Text<'static> {
    let theme = &options.theme;
    let marker = if selected { "▶ " } else { "  " };
    let first = vec![
        Span::raw(marker),
        Span::raw(format!("{:<8} ", row.kind_label())),
        Span::styled(row.phase.label(), phase_style(&row.phase, theme)),
        Span::styled(
            format!("  {}", format::age(row.created_at, app.now)),
            theme.muted,
        ),
    ];
    let second = vec![Span::raw(format!("    {}", amounts(row)))];
    let mut third = vec![Span::raw("    ")];
    third.extend(waiting_for(row, app, theme, true));
    Text::from(
        [first, second, third]
            .into_iter()
            .map(|spans| format::fit_spans(spans, width))
            .collect::<Vec<_>>(),
    )
}

/// The colour that repeats a phase's label.
pub fn phase_style(phase: &Phase, theme: &Theme) -> Style {
    match phase {
        Phase::Sending | Phase::Pending { .. } => theme.pending,
        Phase::Unknown { .. } => theme.unknown,
        Phase::Completed => theme.ok,
        Phase::Failed { .. } => theme.error,
        Phase::Expired => theme.muted,
    }
}

/// "10.00000000 ETH → 25,001.20 EUR" or "346.59 EUR ← 412.607142 USDC on polygon".
pub fn amounts(row: &LiveRow) -> String {
    match &row.kind {
        LiveKind::Exchange(leg) => exchange_amounts(leg),
        LiveKind::Order(leg) => order_amounts(leg),
    }
}

fn exchange_amounts(leg: &ExchangeLeg) -> String {
    format!(
        "{} → {}",
        format::amount_with_currency(leg.amount, &leg.from),
        format::amount_with_currency(leg.amount_to, &leg.to)
    )
}

fn order_amounts(leg: &OrderLeg) -> String {
    format!(
        "{} ← {} on {}",
        format::amount_with_currency(leg.fiat_amount, &leg.fiat_currency),
        format::amount_with_currency(leg.crypto_amount, &leg.currency),
        leg.network
    )
}

/// What the row waits for, or how it ended (with the dismiss key when `dismiss_hint`). The most
/// important word comes first, so a narrow pane that cuts the line still shows it.
pub fn waiting_for(
    row: &LiveRow,
    app: &App,
    theme: &Theme,
    dismiss_hint: bool,
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    if let (Some(stale), false) = (&row.check_failed, row.phase.is_final()) {
        // The status shown is the last one P100 gave; say so before anything else.
        spans.push(Span::styled(
            format!(
                "! unchecked for {} ({}) · ",
                format::duration_short((app.now - stale.since).num_seconds()),
                stale.reason
            ),
            theme.stale,
        ));
    }
    spans.extend(phase_spans(row, app, theme, dismiss_hint));
    spans
}

fn phase_spans(row: &LiveRow, app: &App, theme: &Theme, dismiss_hint: bool) -> Vec<Span<'static>> {
    let dismiss = if dismiss_hint {
        Span::styled(" · d to dismiss", theme.muted)
    } else {
        Span::raw("")
    };
    match (&row.phase, &row.kind) {
        (Phase::Sending, _) => vec![Span::styled("sending…", theme.pending)],
        (Phase::Unknown { reason }, _) => vec![Span::styled(
            format!("outcome unknown: reconciling ({reason})"),
            theme.unknown,
        )],
        (Phase::Completed, _) => vec![Span::raw("done"), dismiss],
        (Phase::Failed { reason }, _) => {
            vec![Span::styled(format!("! {reason}"), theme.error), dismiss]
        }
        (Phase::Expired, _) => vec![Span::raw("payment window closed"), dismiss],
        (Phase::Pending { .. }, LiveKind::Exchange(_)) => {
            vec![Span::styled("waiting for P100 to settle", theme.pending)]
        }
        (Phase::Pending { .. }, LiveKind::Order(order)) => order_progress(order, app, theme),
    }
}

fn order_progress(order: &OrderLeg, app: &App, theme: &Theme) -> Vec<Span<'static>> {
    if order.wallet_address.is_none() {
        return vec![Span::styled("wallet pending", theme.pending)];
    }
    let mut parts: Vec<Span<'static>> = Vec::new();
    if order.is_underpaid() {
        parts.push(Span::styled("! UNDERPAID", theme.error));
    }
    if let Some((done, required)) = order.confirmations {
        parts.push(Span::raw(format!("confirmations {done}/{required}")));
    }
    if let Some(received) = order.received {
        let required = order.required.unwrap_or(order.crypto_amount);
        parts.push(Span::raw(format!(
            "received {} of {}",
            crate::money::format_amount(received, order.currency.as_str()),
            format::amount_with_currency(required, &order.currency)
        )));
    }
    if parts.is_empty() {
        parts.push(Span::styled("awaiting payment", theme.pending));
        if let Some(until) = order.payment_expires_at {
            parts.push(Span::raw(format!(
                "expires {}",
                format::time_left(until, app.now)
            )));
        }
    }
    let mut spans = Vec::with_capacity(parts.len() * 2);
    for (index, part) in parts.into_iter().enumerate() {
        if index > 0 {
            spans.push(Span::styled(" · ", theme.muted));
        }
        spans.push(part);
    }
    spans
}
