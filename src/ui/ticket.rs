//! The ticket dialog, drawn once for every kind of money action: the form with live validation
//! and an indicative rate, then the locked rate with its countdown and the explicit `y` to
//! confirm. What differs per kind (its fields, price, warnings and locked terms) comes from its
//! [`TicketView`] in `ticket/forms.rs`.

mod forms;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};
use rust_decimal::Decimal;

use self::forms::TicketView;
use super::RenderOptions;
use super::format;
use super::theme::Theme;
use crate::app::App;
use crate::app::keyboard::FieldId;
use crate::app::ticket::{LockClock, Stage, Ticket, each_kind, lock_clock, throttled_message};
use crate::input::with_cursor;
use crate::lock_check::LockWarning;
use crate::number_format::NumberFormat;

const WIDTH: u16 = 66;
// Two lines more than the exchange needs: the order's minimum-deposit warning and payment window.
const HEIGHT: u16 = 19;

/// Draws the open ticket centered over the dashboard.
pub fn render(frame: &mut Frame, area: Rect, app: &App, ticket: &Ticket, options: &RenderOptions) {
    let theme = &options.theme;
    let (title, lines) = each_kind!(ticket, t => (t.dialog_title(), form_lines(app, t, options)));
    // Warnings make the locked view taller (and wrap): it grows rather than cut them off.
    let inner = usize::from(WIDTH - 2);
    let rows: usize = lines
        .iter()
        .map(|line| line.width().max(1).div_ceil(inner))
        .sum();
    let height = HEIGHT.max(u16::try_from(rows + 2).unwrap_or(u16::MAX));
    let popup = super::centered(area, WIDTH, height);
    if popup.width < 4 || popup.height < 3 {
        return;
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.overlay_border)
        .title(Span::styled(title, theme.title_focused));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        popup,
    );
}

fn field<'a>(
    label: &'a str,
    value: &str,
    cursor: Option<usize>,
    editing: bool,
    theme: &Theme,
) -> Line<'a> {
    let focused = cursor.is_some();
    let marker = if focused && editing { "▶ " } else { "  " };
    let shown = if let (Some(at), true) = (cursor, editing) {
        with_cursor(value, at)
    } else {
        value.to_string()
    };
    let style = if focused && editing {
        theme.selected
    } else {
        Style::new()
    };
    Line::from(vec![
        Span::raw(marker),
        Span::styled(format!("{label:<10}"), theme.muted),
        Span::styled(format!(" {shown:<24}"), style),
    ])
}

/// The indicative rate line: the quote, or why there is none, or that it is on its way.
fn indicative<'a>(quote: Option<Vec<Span<'a>>>, error: Option<&str>, theme: &Theme) -> Line<'a> {
    match (quote, error) {
        (Some(spans), _) => {
            let mut line = vec![Span::styled("  Indicative: ", theme.muted)];
            line.extend(spans);
            Line::from(line)
        }
        (None, Some(error)) => Line::from(Span::styled(
            format!("  Indicative rate unavailable: {error}"),
            theme.warning,
        )),
        (None, None) => Line::from(Span::styled("  Indicative rate…", theme.muted)),
    }
}

/// The keys of the ticket's current stage, from the binding table (so they cannot lie).
fn stage_keys<'a>(app: &App, theme: &Theme) -> Vec<Line<'a>> {
    super::key_line::lines(app, usize::from(WIDTH - 2), theme)
}

/// "limit 500.00 EUR per exchange", when the profile has one.
fn limit_text(app: &App, per: &str) -> Option<String> {
    app.session.max_exchange_eur.map(|limit| {
        format!(
            "limit {} EUR per {per}",
            app.keyboard.number_format.format_eur(limit)
        )
    })
}

/// The warning shown while typing an amount above the limit, before anything is locked.
fn above_limit_line<'a>(app: &App, per: &str, theme: &Theme) -> Line<'a> {
    let limit = limit_text(app, per).unwrap_or_default();
    Line::from(Span::styled(
        format!("  ! Above your {limit}: you will type the amount again to confirm"),
        theme.warning,
    ))
}

fn locking_lines<'a>(app: &App, options: &RenderOptions) -> Vec<Line<'a>> {
    let theme = &options.theme;
    let waiting = match app.throttled_until.filter(|until| *until > app.now) {
        Some(until) => format!(
            "  Locking the rate… (P100 asked us to wait until {})",
            format::clock_seconds(until, options.utc_offset)
        ),
        None => "  Locking the rate…".to_owned(),
    };
    let mut lines = vec![Line::from(Span::styled(waiting, theme.pending))];
    lines.extend(stage_keys(app, theme));
    lines
}

fn problem_lines<'a>(problems: Vec<String>, theme: &Theme) -> Vec<Line<'a>> {
    problems
        .into_iter()
        .take(3)
        .map(|problem| Line::from(Span::styled(format!("  ! {problem}"), theme.warning)))
        .collect()
}

/// The dialog's lines for form `t` of any kind: its fields, the line under them, then its
/// stage, drawn the same way for every kind from what the kind's view provides.
fn form_lines<'a, K: TicketView>(app: &App, t: &K, options: &RenderOptions) -> Vec<Line<'a>> {
    let theme = &options.theme;
    let stage = t.stage();
    let editing = *stage == Stage::Editing;
    let focused = t.field_id();
    let mut lines = vec![Line::default()];
    for (label, text, id) in t.field_rows() {
        let cursor = (id == focused).then(|| app.cursor_of(id, text));
        lines.push(field(label, text, cursor, editing, theme));
    }
    lines.push(Line::from(Span::styled(
        format!("  {}", t.under_fields(app)),
        theme.muted,
    )));
    lines.push(Line::default());
    match stage {
        Stage::Editing => {
            match t.validate(&app.balances) {
                Ok(valid) => {
                    lines.push(indicative(
                        t.indicative(&valid, theme),
                        t.price_error(),
                        theme,
                    ));
                    lines.extend(t.editing_warnings(app, theme));
                    let (currency, amount) = K::limited_amount(&valid);
                    if app.needs_retype(currency, amount) {
                        lines.push(above_limit_line(app, K::KIND, theme));
                    }
                }
                Err(problems) => lines.extend(problem_lines(problems, theme)),
            }
            lines.push(Line::default());
            lines.extend(stage_keys(app, theme));
        }
        Stage::Locking => lines.extend(locking_lines(app, options)),
        Stage::Locked {
            lock,
            retype,
            warnings,
            ..
        } => {
            lines.extend(t.locked_terms(app, lock, theme));
            lines.extend(confirm_lines(
                app,
                &Confirm {
                    expires_at: K::expires_at(lock),
                    now: app.now,
                    retype: retype.as_deref(),
                    warnings,
                    amount: t.asked_amount(lock),
                    cursor: retype
                        .as_deref()
                        .map_or(0, |typed| app.cursor_of(FieldId::Retype, typed)),
                    wait: stage.confirm_wait(app.now).unwrap_or_default(),
                },
                theme,
            ));
        }
        Stage::Submitting { .. } => lines.extend(submitting_lines(theme)),
        Stage::Rejected { message } => lines.extend(rejected_lines(app, message, theme)),
        Stage::Throttled { until } => lines.extend(throttled_lines(app, *until, options)),
    }
    lines
}

/// One row of a locked quote: the label in its column, then the value.
fn detail<'a>(label: &str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("  {label:<13}"), theme.muted),
        Span::raw(value),
    ])
}

/// What the confirm part of a locked view shows.
struct Confirm<'w> {
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
    /// What has been typed again, when the amount must be.
    retype: Option<&'w str>,
    warnings: &'w [LockWarning],
    /// The amount as the user asked for it: what must be typed again.
    amount: Decimal,
    /// Where the cursor is in the retyped amount.
    cursor: usize,
    /// How long until a confirm counts (zero: now).
    wait: chrono::Duration,
}

/// The countdown, the lock's warnings and the confirm keys; an expired lock disables `y` and
/// says so.
fn confirm_lines<'a>(app: &App, confirm: &Confirm<'_>, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    for warning in confirm.warnings {
        lines.push(Line::from(Span::styled(
            format!("  ! {}", warning.text(app.keyboard.number_format)),
            theme.warning,
        )));
    }
    match lock_clock(confirm.expires_at, confirm.now) {
        LockClock::Live { seconds_left, .. } => {
            let filled = usize::try_from(seconds_left.clamp(0, 30)).unwrap_or(0);
            let bar = format!("{}{}", "█".repeat(filled), "░".repeat(30 - filled));
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<13}", "Expires in"), theme.muted),
                Span::styled(format!("{seconds_left:>3} s "), theme.pending),
                Span::styled(bar, theme.pending),
            ]));
            if let Some(typed) = confirm.retype {
                let why = if confirm.warnings.is_empty() {
                    "Above your limit"
                } else {
                    "Check the warnings"
                };
                lines.push(Line::from(Span::styled(
                    format!(
                        "  ! {why}: type the amount ({}) to confirm: {}",
                        typable(confirm.amount, app.keyboard.number_format),
                        with_cursor(typed, confirm.cursor)
                    ),
                    theme.warning,
                )));
            } else {
                lines.push(Line::default());
            }
            if confirm.wait > chrono::Duration::zero() {
                // Terms just drawn: `y` does not count yet (the key line leaves it out), and
                // the view says when it will.
                let tenths = (confirm.wait.num_milliseconds() + 99) / 100;
                lines.push(Line::from(Span::styled(
                    format!("  confirm in {}.{} s", tenths / 10, tenths % 10),
                    theme.muted,
                )));
            }
            lines.extend(stage_keys(app, theme));
        }
        LockClock::Expired => {
            lines.push(Line::from(Span::styled(
                "  ! Lock expired: confirm is disabled.",
                theme.error,
            )));
            lines.push(Line::default());
            lines.extend(stage_keys(app, theme));
        }
    }
    lines
}

/// The amount as it can be typed back in `nf`: its own digits, no grouping, `nf`'s decimal mark.
fn typable(amount: Decimal, nf: NumberFormat) -> String {
    amount
        .to_string()
        .replace('.', &nf.decimal_separator().to_string())
}

/// Confirm was refused during P100's pause: until when, in the user's offset.
fn throttled_lines<'a>(app: &App, until: DateTime<Utc>, options: &RenderOptions) -> Vec<Line<'a>> {
    let until = format::clock_seconds(until, options.utc_offset);
    rejected_lines(app, &throttled_message(&until), &options.theme)
}

fn submitting_lines<'a>(theme: &Theme) -> Vec<Line<'a>> {
    vec![
        Line::from(Span::styled(
            "  Sending once… the result appears in Live.",
            theme.pending,
        )),
        Line::from(Span::styled("  It will not be re-sent.", theme.muted)),
    ]
}

fn rejected_lines<'a>(app: &App, message: &str, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines: Vec<Line> = message
        .lines()
        .map(|line| Line::from(Span::styled(format!("  ! {line}"), theme.error)))
        .collect();
    lines.push(Line::default());
    lines.extend(stage_keys(app, theme));
    lines
}
