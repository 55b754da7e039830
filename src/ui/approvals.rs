//! The Approvals view (`A`, on a team relay): the team's four-eyes proposals (pair, amount,
//! indicative rate, maximum deviation, proposer, age, state), why the highlighted one cannot
//! be approved from this desk, and the review of the one about to be approved.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::{RenderOptions, format};
use crate::api::team::Proposal;
use crate::app::App;
use crate::app::team::{APPROVE_DELAY, describe_terms_in};
use crate::number_format::NumberFormat;
use rust_decimal::Decimal;

/// Proposal numbers are written exactly, ungrouped, with the `number_format`'s decimal mark.
fn number(value: Option<Decimal>, nf: NumberFormat) -> String {
    value.map_or_else(|| "?".to_owned(), |value| nf.format_rate(value))
}

fn amount(proposal: &Proposal, nf: NumberFormat) -> String {
    number(proposal.amount(), nf)
}

fn rate(proposal: &Proposal, nf: NumberFormat) -> String {
    number(proposal.indicative_rate(), nf)
}

fn deviation(proposal: &Proposal, nf: NumberFormat) -> String {
    match proposal.max_deviation() {
        Some(deviation) => format!("±{}%", number(Some(deviation * Decimal::ONE_HUNDRED), nf)),
        None => "?".to_owned(),
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, options: &RenderOptions) {
    let theme = &options.theme;
    let team = &app.team;
    let width = area.width.saturating_sub(4).max(10);
    let dialog = super::full_overlay(area);
    let pending = team.proposals.iter().filter(|p| p.is_pending()).count();
    let me = team.me.as_ref().map_or_else(
        || "operator not known yet".to_owned(),
        |me| format!("you: {} ({})", me.name, me.role),
    );
    let title = format!(" Approvals · {pending} pending · {me} ");
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.overlay_border)
        .title(Line::styled(title, theme.title_focused))
        .title_bottom(
            super::key_line::for_mode(app, usize::from(width.saturating_sub(4)), theme)
                .right_aligned(),
        );
    let inner = block.inner(dialog);
    let line_width = usize::from(inner.width);
    let mut lines: Vec<Line<'static>> = Vec::new();

    // The review replaces the list: only the terms being approved are on screen.
    if let Some(review) = &team.review
        && let Some(proposal) = team.proposals.iter().find(|p| p.id == review.id)
    {
        lines.extend(review_lines(app, proposal, line_width, options));
    } else {
        lines.extend(list_lines(
            app,
            line_width,
            usize::from(inner.height),
            options,
        ));
    }
    frame.render_widget(Clear, dialog);
    frame.render_widget(block, dialog);
    frame.render_widget(Paragraph::new(lines), inner);
}

fn list_lines(
    app: &App,
    width: usize,
    height: usize,
    options: &RenderOptions,
) -> Vec<Line<'static>> {
    let theme = &options.theme;
    let team = &app.team;
    let mut lines = Vec::new();
    if let Some(error) = &team.proposals_error {
        lines.push(format::fit_spans(
            vec![Span::styled(
                format!(" ! proposals not read: {error}"),
                theme.error,
            )],
            width,
        ));
    }
    if team.proposals.is_empty() {
        let text = if team.proposals_loaded {
            " No proposals. A trade above the team's approval limit becomes one."
        } else {
            " Reading proposals…"
        };
        lines.push(Line::styled(text, theme.muted));
        return lines;
    }
    lines.push(format::fit_spans(
        vec![Span::styled(
            format!(
                "  {:<4}{:<9}{:>9} {:<16} {:>9} {:>6} {:<10}{:>4}",
                "#", "state", "amount", "pair", "ind. rate", "max ±", "proposer", "age"
            ),
            theme.table_header,
        )],
        width,
    ));
    // Room for the header, the rows, and two lines saying why the highlighted one is not
    // offered.
    let rows_room = height.saturating_sub(lines.len() + 2).max(1);
    let selected_at = team
        .selected
        .and_then(|id| team.proposals.iter().position(|p| p.id == id))
        .unwrap_or(0);
    let start = selected_at.saturating_sub(rows_room.saturating_sub(1));
    for (index, proposal) in team
        .proposals
        .iter()
        .enumerate()
        .skip(start)
        .take(rows_room)
    {
        lines.push(proposal_line(
            app,
            proposal,
            index == selected_at,
            width,
            options,
        ));
    }
    lines.push(Line::raw(""));
    if let Some(why) = team.why_not_approvable() {
        lines.push(format::fit_spans(
            vec![Span::styled(format!(" Not offered: {why}."), theme.warning)],
            width,
        ));
    } else if let Some(proposal) = team.selected_proposal() {
        lines.push(format::fit_spans(
            vec![Span::styled(
                format!(
                    " a reviews #{}: {}, proposed by {}",
                    proposal.id,
                    describe_terms_in(proposal, app.keyboard.number_format),
                    proposal.proposer
                ),
                theme.muted,
            )],
            width,
        ));
    }
    lines
}

/// One proposal as a row, sized to fit 80 columns whole (the age without its "ago").
fn proposal_line(
    app: &App,
    proposal: &Proposal,
    selected: bool,
    width: usize,
    options: &RenderOptions,
) -> Line<'static> {
    let theme = &options.theme;
    let team = &app.team;
    let marker = if selected { "▶ " } else { "  " };
    let proposer = if team.is_mine(proposal) {
        format!("{} (you)", proposal.proposer)
    } else {
        proposal.proposer.clone()
    };
    let state_style = if proposal.is_pending() {
        theme.pending
    } else {
        theme.muted
    };
    let row_style = if selected {
        theme.selected
    } else {
        Style::new()
    };
    // Sized to fit 80 columns whole: the age without its "ago".
    let age = format::age(proposal.created_at, app.now);
    let mut spans = vec![
        Span::raw(format!("{marker}{:<4}", format!("#{}", proposal.id))),
        Span::styled(format!("{:<9}", proposal.state.to_uppercase()), state_style),
        Span::raw(format!(
            "{:>9} {:<16} {:>9} {:>6} {:<10}{:>4}",
            amount(proposal, app.keyboard.number_format),
            proposal.pair(),
            rate(proposal, app.keyboard.number_format),
            deviation(proposal, app.keyboard.number_format),
            proposer,
            age.trim_end_matches(" ago"),
        )),
    ];
    if let Some(approver) = &proposal.approver {
        spans.push(Span::styled(
            format!("  approved by {approver}"),
            theme.muted,
        ));
    }
    format::fit_spans(spans, width).style(row_style)
}

fn review_lines(
    app: &App,
    proposal: &Proposal,
    width: usize,
    options: &RenderOptions,
) -> Vec<Line<'static>> {
    let theme = &options.theme;
    // Wrapped one column in, each line indented like the fields.
    let fit = |spans: Vec<Span<'static>>| {
        format::wrap_spans(&spans, width.saturating_sub(1).max(1))
            .into_iter()
            .map(|mut line| {
                line.insert(0, Span::raw(" "));
                line
            })
            .collect::<Vec<_>>()
    };
    let mut spans: Vec<Vec<Span<'static>>> = Vec::new();
    spans.push(vec![Span::styled(
        format!(
            " Approve proposal #{} by {}?",
            proposal.id, proposal.proposer
        ),
        theme.title_focused,
    )]);
    spans.push(Vec::new());
    let nf = app.keyboard.number_format;
    let field = |name: &str, value: String| {
        vec![
            Span::styled(format!("   {name:<16}"), theme.muted),
            Span::raw(value),
        ]
    };
    spans.push(field(
        "Sell",
        format!("{} {}", amount(proposal, nf), proposal.pair()),
    ));
    spans.push(field("Indicative rate", rate(proposal, nf)));
    spans.push(field("Max deviation", deviation(proposal, nf)));
    if let Some(value) = &proposal.amount_eur {
        // The relay's own digits; only the decimal mark follows the setting (unreadable: as sent).
        let shown = value.parse::<Decimal>().map_or_else(
            |_| value.clone(),
            |_| value.replace('.', &nf.decimal_separator().to_string()),
        );
        spans.push(field("Value", format!("{shown} EUR")));
    }
    spans.push(field(
        "Proposed",
        format!(
            "{} by {}",
            format::age(proposal.created_at, app.now),
            proposal.proposer
        ),
    ));
    spans.push(Vec::new());
    spans.extend(fit(vec![Span::styled(
        format!(
            "Approving lets {} lock and send these terms once (the locked rate within the \
             deviation). Nothing is sent to P100 now.",
            proposal.proposer
        ),
        theme.muted,
    )]));
    spans.push(Vec::new());
    let status = if app.team.approving.is_some() {
        Span::styled(" Sending the approval…", theme.pending)
    } else if app.approval_counts() {
        let key = app
            .keyboard
            .keymap
            .key_for(
                crate::keys::Mode::ApprovalReview,
                crate::keys::Action::ApproveProposal,
            )
            .map_or_else(|| "the approve key".to_owned(), |key| key.to_string());
        Span::styled(format!(" Press {key} to approve."), theme.warning)
    } else {
        let left = app
            .team
            .review
            .as_ref()
            .and_then(|review| review.shown_at)
            .map_or(APPROVE_DELAY, |shown| APPROVE_DELAY - (app.now - shown))
            .max(chrono::Duration::zero());
        let tenths = (left.num_milliseconds() + 99) / 100;
        Span::styled(
            format!(
                " Read the terms: approving counts in {}.{} s",
                tenths / 10,
                tenths % 10
            ),
            theme.muted,
        )
    };
    spans.push(vec![status]);
    spans.into_iter().map(Line::from).collect()
}
