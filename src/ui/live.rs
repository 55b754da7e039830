//! The live pane: every exchange and order in flight or just finished, three lines each: what
//! and where it stands, the amounts, and what it waits for.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, List, ListItem};

use super::theme::Theme;
use super::{RenderOptions, cells, format, pane};
use crate::api::models::Currency;
use crate::app::App;
use crate::app::freshness::Freshness;
use crate::app::keymap::Pane;
use crate::app::live::{ExchangeLeg, LiveKind, LiveRow, OrderLeg, Phase};
use crate::number_format::NumberFormat;
use rust_decimal::Decimal;

/// Lines per live row.
pub const ROW_LINES: u16 = 3;

/// The height that shows every row; one line when nothing is in flight (the pane is then only
/// its title, and history gets the rows).
pub fn wanted_height(app: &App) -> u16 {
    // The banner wraps; at most `BANNER_LINES` of it are asked for.
    let banner = if journal_banner(app).is_some() {
        BANNER_LINES
    } else {
        0
    };
    if app.live.rows.is_empty() && banner == 0 {
        return 1;
    }
    cells(app.live.rows.len())
        .saturating_mul(ROW_LINES)
        .max(1)
        .saturating_add(2)
        .saturating_add(banner)
}

/// The empty pane: a single title line, "[3] Live · Nothing in flight".
fn collapsed(frame: &mut Frame, area: Rect, focused: bool, options: &RenderOptions) {
    let theme = &options.theme;
    let (border_style, border_type) = theme.pane_border(focused);
    let name_style = if focused {
        theme.title_focused
    } else {
        theme.title
    };
    let title = Line::from(vec![
        Span::styled(
            format!(" [{}] {} ", pane::number(Pane::Live), Pane::Live.title()),
            name_style,
        ),
        Span::styled(" Nothing in flight ", theme.muted),
    ]);
    let block = Block::new()
        .borders(Borders::TOP)
        .border_type(border_type)
        .border_style(border_style)
        .title_top(title);
    frame.render_widget(block, area);
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, options: &RenderOptions) {
    let theme = &options.theme;
    let live = &app.live;
    let focused = app.focus == Pane::Live;
    if live.rows.is_empty() && area.height < 3 {
        collapsed(frame, area, focused, options);
        return;
    }
    let in_flight = live.in_flight();
    let banner_lines = banner_lines_for(app, usize::from(area.width.saturating_sub(2)), theme)
        .map_or(0, |lines| cells(lines.len()));
    let rows_height = usize::from(area.height.saturating_sub(2 + banner_lines) / ROW_LINES);
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
    let mut inner = block.inner(area);
    frame.render_widget(block, area);
    // What keeps the journal from being trusted stays on screen, not only in a passing notice.
    if let Some(banner) = banner_lines_for(app, usize::from(inner.width), theme) {
        let height = cells(banner.len()).min(inner.height);
        let lines: Vec<Line> = banner.into_iter().map(Line::from).collect();
        let area = Rect { height, ..inner };
        frame.render_widget(ratatui::widgets::Paragraph::new(lines), area);
        inner.y += height;
        inner.height -= height;
    }

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

/// Lines the journal banner may take at most (it wraps in a narrow pane).
const BANNER_LINES: u16 = 3;

/// The journal banner wrapped to `width`, at most [`BANNER_LINES`] lines.
fn banner_lines_for(app: &App, width: usize, theme: &Theme) -> Option<Vec<Vec<Span<'static>>>> {
    let banner = journal_banner(app)?;
    let mut lines = format::wrap_spans(&[Span::styled(format!(" ! {banner}"), theme.error)], width);
    lines.truncate(usize::from(BANNER_LINES));
    Some(lines)
}

/// The journal problem to show above the rows: locked by another desk, not writable, or
/// damaged lines skipped at start.
pub fn journal_banner(app: &App) -> Option<String> {
    if let Some(problem) = app.records.journal_problem() {
        return Some(format!("Trading is off: {problem}"));
    }
    app.records.replay_warnings.last().cloned()
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
    let mut first = vec![
        Span::raw(marker),
        Span::raw(format!("{:<8} ", row.kind_label())),
        Span::styled(row.phase.label(), phase_style(&row.phase, theme)),
        Span::styled(
            // Counted from the last status change, not from the row's creation.
            format!(
                "  {}",
                format::age(
                    app.screen.status.since(&row.key).unwrap_or(row.created_at),
                    app.now
                )
            ),
            theme.muted,
        ),
    ];
    // On a team relay every row says who placed it; this desk's own say so.
    if app.team.relay {
        first.push(match app.team.placed_by(&row.key) {
            Some(operator) => Span::styled(format!("  by {operator}"), theme.info),
            None => Span::styled("  by you (this desk)", theme.muted),
        });
    }
    let second = vec![Span::raw(format!(
        "    {}",
        amounts(row, app.keyboard.number_format)
    ))];
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
        Phase::Unknown { .. } | Phase::Ambiguous { .. } => theme.unknown,
        Phase::Completed => theme.ok,
        Phase::Failed { .. } => theme.error,
        Phase::Expired => theme.muted,
    }
}

/// "10.00000000 ETH → 25,001.20 EUR" or "346.59 EUR ← 412.607142 USDC on polygon", at the
/// currencies' scales (with "…" where more digits exist).
pub fn amounts(row: &LiveRow, nf: NumberFormat) -> String {
    amounts_with(row, nf, format::amount_with_currency)
}

/// The same with every digit, for the detail view.
pub fn amounts_full(row: &LiveRow, nf: NumberFormat) -> String {
    amounts_with(row, nf, format::amount_full)
}

/// How one amount is written: a `ui::format` function taking the digits' `number_format`.
type AmountText = fn(Decimal, &Currency, NumberFormat) -> String;

fn amounts_with(row: &LiveRow, nf: NumberFormat, amount: AmountText) -> String {
    match &row.kind {
        LiveKind::Exchange(leg) => exchange_amounts(leg, nf, amount),
        LiveKind::Order(leg) => order_amounts(leg, nf, amount),
    }
}

fn exchange_amounts(leg: &ExchangeLeg, nf: NumberFormat, amount: AmountText) -> String {
    format!(
        "{} → {}",
        amount(leg.amount, &leg.from, nf),
        amount(leg.amount_to, &leg.to, nf)
    )
}

fn order_amounts(leg: &OrderLeg, nf: NumberFormat, amount: AmountText) -> String {
    format!(
        "{} ← {} on {}",
        amount(leg.fiat_amount, &leg.fiat_currency, nf),
        amount(leg.crypto_amount, &leg.currency, nf),
        leg.network
    )
}

/// "short by 12.34 USDC" for an underpaid order, at the currency's scale.
pub fn shortfall(order: &OrderLeg, nf: NumberFormat) -> Option<String> {
    if !order.is_underpaid() {
        return None;
    }
    let short = order.required?.checked_sub(order.received?)?;
    Some(format!(
        "short by {}",
        format::amount_full(short, &order.currency, nf)
    ))
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
    if app.shares_remote_id(row) {
        spans.push(Span::styled(
            "! id held by another attempt too: no answer applied · ",
            theme.error,
        ));
    }
    if let (Some(since), false) = (
        app.records.not_known_since(&row.key, app.now),
        row.phase.is_final(),
    ) {
        spans.push(Span::styled(
            format!(
                "! P100 does not know this id (404 for {}) · ",
                format::duration_short((app.now - since).num_seconds())
            ),
            theme.error,
        ));
    }
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
        // The dismiss key as the table has it now (a remap shows here too).
        let key = app.key_name(
            crate::keys::Mode::Dashboard(Pane::Live),
            crate::keys::Action::Dismiss,
        );
        Span::styled(format!(" · {key} to dismiss"), theme.muted)
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
        (Phase::Ambiguous { candidates, chosen }, _) => {
            let picked = candidates
                .get(*chosen)
                .map_or("-", |candidate| crate::app::short_id(&candidate.id));
            vec![Span::styled(
                format!(
                    "ambiguous: {} candidate(s), decide · ] next · a applied as {picked} · n not applied",
                    candidates.len()
                ),
                theme.unknown,
            )]
        }
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
    let nf = app.keyboard.number_format;
    if let Some(short) = shortfall(order, nf) {
        parts.push(Span::styled(format!("! UNDERPAID, {short}"), theme.error));
    }
    if let Some((done, required)) = order.confirmations {
        parts.push(Span::raw(format!("confirmations {done}/{required}")));
    }
    if let Some(received) = order.received {
        let required = order.required.unwrap_or(order.crypto_amount);
        parts.push(Span::raw(format!(
            "received {} of {}",
            format::amount_at_scale(received, &order.currency, nf),
            format::amount_with_currency(required, &order.currency, nf)
        )));
    }
    if parts.is_empty() {
        parts.push(Span::styled("awaiting payment", theme.pending));
    }
    // Time left to pay comes first while money is still expected: it is what a payer must act
    // on. Under five minutes it turns into a warning.
    let fully_paid = matches!((order.received, order.required), (Some(r), Some(q)) if r >= q);
    if let (Some(until), false) = (order.payment_expires_at, fully_paid) {
        parts.insert(0, time_left_span(until, app, theme));
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

/// "pay within 14m" (a warning under five minutes), or "payment window passed".
pub fn time_left_span(
    until: chrono::DateTime<chrono::Utc>,
    app: &App,
    theme: &Theme,
) -> Span<'static> {
    let seconds = (until - app.now).num_seconds();
    if seconds <= 0 {
        return Span::styled("payment window passed", theme.error);
    }
    let text = format!("pay within {}", format::duration_short(seconds));
    let style = if seconds < 300 {
        theme.warning
    } else {
        theme.pending
    };
    Span::styled(text, style)
}
