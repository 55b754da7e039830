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
use crate::app::ticket::{
    ExchangeField, ExchangeTicket, LockClock, ORDER_FIAT, OrderField, OrderTicket, Stage, Ticket,
    lock_clock, throttled_message,
};
use crate::lock_check::{LockWarning, exchange_fee};
use crate::money::{format_amount, format_rate};

const WIDTH: u16 = 66;
const HEIGHT: u16 = 17;

/// Draws the open ticket centered over the dashboard.
pub fn render(frame: &mut Frame, area: Rect, app: &App, ticket: &Ticket, options: &RenderOptions) {
    let theme = &options.theme;
    let (title, lines) = match ticket {
        Ticket::Exchange(t) => (" New exchange ", exchange_lines(app, t, options)),
        Ticket::Order(t) => (" New order ", order_lines(app, t, options)),
    };
    // Warnings make the locked view taller; it grows rather than cut them off.
    let height = HEIGHT.max(u16::try_from(lines.len() + 2).unwrap_or(u16::MAX));
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

fn field<'a>(label: &'a str, value: &str, focused: bool, editing: bool, theme: &Theme) -> Line<'a> {
    let marker = if focused && editing { "▶ " } else { "  " };
    let shown = if focused && editing {
        format!("{value}▏")
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

fn keys<'a>(pairs: &[(&'a str, &'a str)], theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    for (key, what) in pairs {
        spans.push(Span::styled(format!(" {key} "), theme.key));
        spans.push(Span::styled(format!("{what}  "), theme.muted));
    }
    Line::from(spans)
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

fn editing_keys<'a>(arrows: &'a str, theme: &Theme) -> Line<'a> {
    keys(
        &[
            ("Tab", "field"),
            ("↑↓", arrows),
            ("Enter", "lock rate"),
            ("Esc", "cancel"),
        ],
        theme,
    )
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
    vec![
        Line::from(Span::styled(waiting, theme.pending)),
        keys(&[("Esc", "cancel")], theme),
    ]
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
        .map(|row| format!("available {}", format_amount(row.amount, from.as_str())))
        .unwrap_or_default();
    let mut lines = vec![
        Line::default(),
        field(
            "Sell",
            &t.from,
            t.field == ExchangeField::From,
            editing,
            theme,
        ),
        field("Buy", &t.to, t.field == ExchangeField::To, editing, theme),
        field(
            "Amount",
            &t.amount,
            t.field == ExchangeField::Amount,
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
                }
                Err(problems) => lines.extend(problem_lines(problems, theme)),
            }
            lines.push(Line::default());
            lines.push(editing_keys("currency", theme));
        }
        Stage::Locking => lines.extend(locking_lines(app, options)),
        Stage::Locked {
            lock,
            retype,
            warnings,
        } => {
            lines.extend(exchange_lock_lines(lock, theme));
            let asked = t
                .requested
                .as_ref()
                .map_or(lock.amount, |intent| intent.amount);
            lines.extend(confirm_lines(
                &Confirm {
                    expires_at: lock.expires_at,
                    now: app.now,
                    retype: retype.as_deref(),
                    warnings,
                    amount: asked,
                },
                theme,
            ));
        }
        Stage::Submitting => lines.extend(submitting_lines(theme)),
        Stage::Rejected { message } => lines.extend(rejected_lines(message, theme)),
        Stage::Throttled { until } => lines.extend(throttled_lines(*until, options)),
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
}

/// The countdown, the lock's warnings and the confirm keys; an expired lock disables `y` and
/// says so.
fn confirm_lines<'a>(confirm: &Confirm<'_>, theme: &Theme) -> Vec<Line<'a>> {
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
                        "  ! {why}: type the amount ({}) to confirm: {typed}▏",
                        confirm.amount
                    ),
                    theme.warning,
                )));
            } else {
                lines.push(Line::default());
            }
            lines.push(keys(
                &[("y", "CONFIRM"), ("n/Esc", "cancel"), ("l", "re-lock")],
                theme,
            ));
        }
        LockClock::Expired => {
            lines.push(Line::from(Span::styled(
                "  ! Lock expired: confirm is disabled.",
                theme.error,
            )));
            lines.push(Line::default());
            lines.push(keys(&[("l", "lock a new rate"), ("Esc", "cancel")], theme));
        }
    }
    lines
}

/// Confirm was refused during P100's pause: until when, in the user's offset.
fn throttled_lines<'a>(until: DateTime<Utc>, options: &RenderOptions) -> Vec<Line<'a>> {
    let until = format::clock_seconds(until, options.utc_offset);
    rejected_lines(&throttled_message(&until), &options.theme)
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

fn rejected_lines<'a>(message: &str, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines: Vec<Line> = message
        .lines()
        .map(|line| Line::from(Span::styled(format!("  ! {line}"), theme.error)))
        .collect();
    lines.push(Line::default());
    lines.push(keys(&[("l", "lock again"), ("Esc", "close")], theme));
    lines
}

fn order_lines<'a>(app: &App, t: &OrderTicket, options: &RenderOptions) -> Vec<Line<'a>> {
    let theme = &options.theme;
    let editing = t.stage == Stage::Editing;
    let networks = app
        .balances
        .find(&Currency::new(&t.currency))
        .map(crate::app::balances::BalanceRow::networks)
        .unwrap_or_default();
    let mut lines = vec![
        Line::default(),
        field(
            "Crypto",
            &t.currency,
            t.field == OrderField::Currency,
            editing,
            theme,
        ),
        field(
            "Network",
            &t.network,
            t.field == OrderField::Network,
            editing,
            theme,
        ),
        field(
            "Settle EUR",
            &t.amount,
            t.field == OrderField::Amount,
            editing,
            theme,
        ),
        Line::from(Span::styled(
            format!(
                "  networks: {}",
                if networks.is_empty() {
                    "-".into()
                } else {
                    networks.join(", ")
                }
            ),
            theme.muted,
        )),
        Line::default(),
    ];
    match &t.stage {
        Stage::Editing => {
            match t.validate(&app.balances) {
                Ok(_) => {
                    let quote = t.indicative_rate().map(|rate| {
                        vec![Span::raw(format!(
                            "1 {} = {} EUR",
                            t.currency,
                            format_rate(rate)
                        ))]
                    });
                    lines.push(indicative(quote, t.rates_error.as_deref(), theme));
                }
                Err(problems) => lines.extend(problem_lines(problems, theme)),
            }
            lines.push(Line::default());
            lines.push(editing_keys("choose", theme));
        }
        Stage::Locking => lines.extend(locking_lines(app, options)),
        Stage::Locked {
            lock,
            retype,
            warnings,
        } => {
            let fiat = t
                .requested
                .as_ref()
                .map_or(Decimal::ZERO, |intent| intent.fiat_amount);
            lines.extend(order_lock_lines(lock, fiat, theme));
            lines.extend(confirm_lines(
                &Confirm {
                    expires_at: lock.expires_at,
                    now: app.now,
                    retype: retype.as_deref(),
                    warnings,
                    amount: fiat,
                },
                theme,
            ));
        }
        Stage::Submitting => lines.extend(submitting_lines(theme)),
        Stage::Rejected { message } => lines.extend(rejected_lines(message, theme)),
        Stage::Throttled { until } => lines.extend(throttled_lines(*until, options)),
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
