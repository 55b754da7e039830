//! The exchange and order ticket dialogs: the form with live validation and an indicative rate,
//! then the locked rate with its countdown and the explicit `y` to confirm.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};
use rust_decimal::Decimal;

use super::RenderOptions;
use super::format::{self, amount_with_currency};
use super::theme::Theme;
use crate::api::models::{Currency, ExchangeLock, OrderLock};
use crate::app::App;
use crate::app::keyboard::FieldId;
use crate::app::ticket::{
    ExchangeField, ExchangeTicket, LockClock, ORDER_FIAT, OrderField, OrderTicket, Stage, Ticket,
    lock_clock, throttled_message,
};
use crate::input::with_cursor;
use crate::lock_check::{LockWarning, exchange_fee};
use crate::money::{self, format_amount, format_rate};

const WIDTH: u16 = 66;
// Two lines more than the exchange needs: the order's minimum-deposit warning and payment window.
const HEIGHT: u16 = 19;

/// Draws the open ticket centered over the dashboard.
pub fn render(frame: &mut Frame, area: Rect, app: &App, ticket: &Ticket, options: &RenderOptions) {
    let theme = &options.theme;
    let (title, lines) = match ticket {
        Ticket::Exchange(t) => (" New exchange ", exchange_lines(app, t, options)),
        Ticket::Order(t) => (" New order ", order_lines(app, t, options)),
    };
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
    app.session
        .max_exchange_eur
        .map(|limit| format!("limit {} EUR per {per}", money::format_eur(limit)))
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

fn exchange_lines<'a>(app: &App, t: &ExchangeTicket, options: &RenderOptions) -> Vec<Line<'a>> {
    let theme = &options.theme;
    let editing = t.stage == Stage::Editing;
    let from = Currency::new(&t.from);
    let available = app
        .balances
        .find(&from)
        .map(|row| format!("available {}", format_amount(row.amount, from.as_str())));
    let available = [available, limit_text(app, "exchange")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    let cursor = |field: ExchangeField| {
        let text = match field {
            ExchangeField::From => &t.from,
            ExchangeField::To => &t.to,
            ExchangeField::Amount => &t.amount,
        };
        (t.field == field).then(|| app.cursor_of(FieldId::Exchange(field), text))
    };
    let mut lines = vec![
        Line::default(),
        field("Sell", &t.from, cursor(ExchangeField::From), editing, theme),
        field("Buy", &t.to, cursor(ExchangeField::To), editing, theme),
        field(
            "Amount",
            &t.amount,
            cursor(ExchangeField::Amount),
            editing,
            theme,
        ),
        Line::from(Span::styled(format!("  {available}"), theme.muted)),
        Line::default(),
    ];
    match &t.stage {
        Stage::Editing => {
            match t.validate(&app.balances) {
                Ok(valid) => {
                    let quote = t.quote.as_ref().map(|quote| {
                        let to = quote.amount_to.map_or_else(String::new, |to| {
                            format!("  → {} {}", format_amount(to, valid.to.as_str()), valid.to)
                        });
                        vec![
                            Span::raw(format!(
                                "1 {} = {} {}",
                                valid.from,
                                format_rate(quote.rate),
                                valid.to
                            )),
                            Span::styled(to, theme.muted),
                        ]
                    });
                    lines.push(indicative(quote, t.quote_error.as_deref(), theme));
                    if app.needs_retype(&valid.from, valid.amount) {
                        lines.push(above_limit_line(app, "exchange", theme));
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
            lines.extend(exchange_lock_lines(lock, theme));
            let asked = t
                .requested
                .as_ref()
                .map_or(lock.amount, |intent| intent.amount);
            lines.extend(confirm_lines(
                app,
                &Confirm {
                    expires_at: lock.expires_at,
                    now: app.now,
                    retype: retype.as_deref(),
                    warnings,
                    amount: asked,
                    cursor: retype
                        .as_deref()
                        .map_or(0, |typed| app.cursor_of(FieldId::Retype, typed)),
                    wait: t.stage.confirm_wait(app.now).unwrap_or_default(),
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

fn exchange_lock_lines<'a>(lock: &ExchangeLock, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = vec![
        detail(
            "You sell",
            amount_with_currency(lock.amount, &lock.currency_from),
            theme,
        ),
        detail(
            "You receive",
            amount_with_currency(lock.amount_to, &lock.currency_to),
            theme,
        ),
        detail(
            "Rate",
            format!(
                "1 {} = {} {}",
                lock.currency_from,
                format_rate(lock.rate),
                lock.currency_to
            ),
            theme,
        ),
    ];
    // What is received is the server's amountTo; where it differs from amount x rate, the
    // difference is the fee (P100 deducts it from what is received).
    if let Some(fee) = exchange_fee(lock).filter(|fee| *fee > Decimal::ZERO) {
        lines.push(detail(
            "Fee",
            format!(
                "{} (amount x rate - what you receive)",
                amount_with_currency(fee, &lock.currency_to)
            ),
            theme,
        ));
    }
    lines.push(detail("Lock", lock.lock_id.clone(), theme));
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
            format!("  ! {warning}"),
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
                        confirm.amount,
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

// One stage after another, top to bottom as drawn; splitting it would scatter the dialog.
#[allow(clippy::too_many_lines)]
fn order_lines<'a>(app: &App, t: &OrderTicket, options: &RenderOptions) -> Vec<Line<'a>> {
    let theme = &options.theme;
    let editing = t.stage == Stage::Editing;
    let networks = app
        .balances
        .find(&Currency::new(&t.currency))
        .map(crate::app::balances::BalanceRow::networks)
        .unwrap_or_default();
    let cursor = |field: OrderField| {
        let text = match field {
            OrderField::Currency => &t.currency,
            OrderField::Network => &t.network,
            OrderField::Amount => &t.amount,
        };
        (t.field == field).then(|| app.cursor_of(FieldId::Order(field), text))
    };
    let mut lines = vec![
        Line::default(),
        field(
            "Crypto",
            &t.currency,
            cursor(OrderField::Currency),
            editing,
            theme,
        ),
        field(
            "Network",
            &t.network,
            cursor(OrderField::Network),
            editing,
            theme,
        ),
        field(
            "Settle EUR",
            &t.amount,
            cursor(OrderField::Amount),
            editing,
            theme,
        ),
        Line::from(Span::styled(
            format!(
                "  networks: {}{}",
                if networks.is_empty() {
                    "-".into()
                } else {
                    networks.join(", ")
                },
                limit_text(app, "order").map_or_else(String::new, |limit| format!(" · {limit}"))
            ),
            theme.muted,
        )),
        Line::default(),
    ];
    match &t.stage {
        Stage::Editing => {
            match t.validate(&app.balances) {
                Ok(valid) => {
                    let quote = t.indicative_rate().map(|rate| {
                        vec![Span::raw(format!(
                            "1 {} = {} EUR",
                            t.currency,
                            format_rate(rate)
                        ))]
                    });
                    lines.push(indicative(quote, t.rates_error.as_deref(), theme));
                    lines.extend(super::order_checks::indicative_warning(app, t, theme));
                    if app.needs_retype(&valid.fiat, valid.fiat_amount) {
                        lines.push(above_limit_line(app, "order", theme));
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
            let fiat = t
                .requested
                .as_ref()
                .map_or(Decimal::ZERO, |intent| intent.fiat_amount);
            lines.extend(order_lock_lines(lock, fiat, theme));
            lines.extend(super::order_checks::min_deposit_warning(
                &app.balances,
                &lock.currency,
                lock.network.as_deref().unwrap_or(&t.network),
                lock.amount,
                false,
                theme,
            ));
            lines.push(super::order_checks::payment_window_line(theme));
            lines.extend(confirm_lines(
                app,
                &Confirm {
                    expires_at: lock.expires_at,
                    now: app.now,
                    retype: retype.as_deref(),
                    warnings,
                    amount: fiat,
                    cursor: retype
                        .as_deref()
                        .map_or(0, |typed| app.cursor_of(FieldId::Retype, typed)),
                    wait: t.stage.confirm_wait(app.now).unwrap_or_default(),
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

fn order_lock_lines<'a>(lock: &OrderLock, fiat: Decimal, theme: &Theme) -> Vec<Line<'a>> {
    let destination = lock
        .destination_currency
        .clone()
        .unwrap_or_else(|| Currency::new(ORDER_FIAT));
    let network = lock
        .network
        .as_deref()
        .map_or_else(String::new, |n| format!(" on {n}"));
    vec![
        detail(
            "Payer sends",
            format!(
                "{}{network}",
                amount_with_currency(lock.amount, &lock.currency)
            ),
            theme,
        ),
        detail(
            "You receive",
            amount_with_currency(fiat, &destination),
            theme,
        ),
        detail(
            "Rate",
            format!(
                "1 {} = {} {destination}",
                lock.currency,
                format_rate(lock.rate)
            ),
            theme,
        ),
        detail("Lock", lock.lock_id.clone(), theme),
    ]
}
