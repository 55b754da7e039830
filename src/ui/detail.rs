//! The detail overlays (balance, transaction, live row) and the error dialog: every field
//! spelled out, full ids, in a `dialog` box.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use rust_decimal::Decimal;

use super::dialog::{self, Item, field, spans_field, styled_field};
use super::{RenderOptions, format, history, live};
use crate::api::models::NetworkConfig;
use crate::app::App;
use crate::app::balances::{BalanceKind, BalanceRow};
use crate::app::live::{LiveKind, LiveRow, OrderLeg, Phase};
use crate::keys::{Action, Mode};
use crate::number_format::NumberFormat;

pub fn balance(frame: &mut Frame, area: Rect, app: &App, id: &str, options: &RenderOptions) {
    let Some(row) = app.balances.rows.iter().find(|row| row.id == id) else {
        gone(
            frame,
            area,
            app,
            "Balance",
            "This balance is no longer listed.",
            options,
        );
        return;
    };
    let title = format!("Balance · {}", row.currency);
    let items = balance_items(row, app, options);
    show(frame, area, app, &title, items, options);
}

fn balance_items(row: &BalanceRow, app: &App, options: &RenderOptions) -> Vec<Item> {
    let nf = app.keyboard.number_format;
    let eur = crate::api::models::Currency::new("eur");
    let rate = row.rate.map_or_else(
        || "none sent: left out of the total".into(),
        |rate| format::rate_line(rate, &row.currency, &eur, nf),
    );
    let value = row.eur_value().map_or_else(
        || "-".into(),
        |value| {
            let at = app.balances.rates_at.map_or_else(
                || "-".into(),
                |at| format::clock_seconds(at, options.utc_offset),
            );
            format!(
                "{} EUR (indicative, rates of {at})",
                format::indicative(value, nf)
            )
        },
    );
    let mut items = vec![
        field("Amount", format::amount_full(row.amount, &row.currency, nf)),
        field("Rate", rate),
        field("EUR value", value),
    ];
    match &row.kind {
        BalanceKind::Fiat { iban, .. } => {
            items.push(field("Status", row.status_text()));
            items.push(field(
                "IBAN",
                iban.clone().unwrap_or_else(|| "none yet".into()),
            ));
        }
        BalanceKind::Crypto { wallet, networks } => {
            items.extend(wallet_items(wallet.as_deref(), networks));
            if networks.is_empty() {
                items.push(field("Networks", "none listed".into()));
            }
            for (name, config) in networks {
                items.extend(network_items(row, name, config, nf));
            }
        }
    }
    items.push(field("Id", row.id.clone()));
    items
}

/// The balance's wallet with what P100 says about it: one address for the whole balance, not
/// one per network, so it is never shown as "the address for network X" without saying so.
fn wallet_items(wallet: Option<&str>, networks: &[(String, NetworkConfig)]) -> Vec<Item> {
    let Some(wallet) = wallet else {
        return vec![field("Wallet", "none yet".into())];
    };
    let names: Vec<&str> = networks.iter().map(|(name, _)| name.as_str()).collect();
    let scope = match names.as_slice() {
        [] => "P100 lists no network for this balance: do not deposit to it".to_string(),
        [one] => format!("for {one}, the only network of this balance"),
        many => format!(
            "one address for all networks of this balance ({}), as P100 reports it; \
             check the network with P100 before depositing",
            many.join(", ")
        ),
    };
    vec![
        dialog::text(Line::styled("Wallet address", Style::new())),
        // Alone on its line, so a mouse selection copies just it.
        dialog::text(Line::raw(wallet.to_string())),
        field("  networks", scope),
    ]
}

/// "polygon (amoy, testnet)" and its deposit and withdrawal limits.
fn network_items(
    row: &BalanceRow,
    name: &str,
    config: &NetworkConfig,
    nf: NumberFormat,
) -> Vec<Item> {
    let kind = config
        .mainnet
        .map(|mainnet| if mainnet { "mainnet" } else { "testnet" });
    let details: Vec<&str> = config.name.as_deref().into_iter().chain(kind).collect();
    let title = if details.is_empty() {
        name.to_string()
    } else {
        format!("{name} ({})", details.join(", "))
    };
    let amount = |value: Option<Decimal>| {
        value.map_or_else(|| "-".into(), |v| format::amount_full(v, &row.currency, nf))
    };
    let withdrawal = config.withdrawal.as_ref();
    vec![
        field("Network", title),
        field(
            "  min deposit",
            amount(config.deposit.as_ref().and_then(|d| d.min_deposit)),
        ),
        field(
            "  withdraw fee",
            amount(withdrawal.and_then(|w| w.fee_withdrawal)),
        ),
        field(
            "  min withdraw",
            amount(withdrawal.and_then(|w| w.min_withdrawal)),
        ),
    ]
}

pub fn transaction(frame: &mut Frame, area: Rect, app: &App, id: &str, options: &RenderOptions) {
    let theme = &options.theme;
    let nf = app.keyboard.number_format;
    let Some(row) = app.history.find(id).map(|row| row.to_transaction()) else {
        let message = "This transaction is no longer loaded.";
        gone(frame, area, app, "Transaction", message, options);
        return;
    };
    let mut items = vec![
        field("Type", row.kind.as_str().to_string()),
        styled_field(
            "Status",
            row.status.as_str().to_string(),
            history::status_style(&row.status, theme),
        ),
        field("Amount", format::amount_full(row.amount, &row.currency, nf)),
    ];
    if let Some(currency) = &row.currency_to {
        let to = row.amount_to.map_or_else(
            || currency.to_string(),
            |amount| format::amount_full(amount, currency, nf),
        );
        items.push(field("Exchanged to", to));
    }
    let created = row.created_at.map_or_else(
        || "-".into(),
        |at| format::full_time(at, options.utc_offset),
    );
    items.push(field("Created", created));
    items.push(field(
        "Description",
        row.description.clone().unwrap_or_else(|| "-".into()),
    ));
    items.push(field("Id", row.id.clone()));
    show(frame, area, app, "Transaction", items, options);
}

pub fn live(frame: &mut Frame, area: Rect, app: &App, key: &str, options: &RenderOptions) {
    let Some(row) = app.live.rows.iter().find(|row| row.key == key) else {
        gone(
            frame,
            area,
            app,
            "In flight",
            "This row was dismissed.",
            options,
        );
        return;
    };
    let title = format!("{} · {}", row.kind_label(), row.phase.label());
    let mut items = live_items(row, app, options);
    if let LiveKind::Order(order) = &row.kind {
        items.extend(qr_items(row, order, (area, app.now), items.len(), options));
    }
    show(frame, area, app, &title, items, options);
}

/// The QR code to pay an open order with its address, or why it is not shown. Only an order
/// still waiting for money gets one, and only when the whole code fits (a cut QR code scans as
/// nothing, or worse).
fn qr_items(
    row: &LiveRow,
    order: &OrderLeg,
    (area, now): (Rect, DateTime<Utc>),
    used: usize,
    options: &RenderOptions,
) -> Vec<Item> {
    let theme = &options.theme;
    let Some(address) = order.wallet_address.as_deref() else {
        return Vec::new();
    };
    // Fully paid: a code would invite a second payment.
    let paid = matches!((order.received, order.required), (Some(got), Some(due)) if got >= due);
    if !accepts_payment(row, order, now) || paid {
        return Vec::new();
    }
    let amount = order.required.unwrap_or(order.crypto_amount);
    let due = amount
        .checked_sub(order.received.unwrap_or_default())
        .filter(|due| *due > Decimal::ZERO)
        .unwrap_or(amount);
    let payload = super::qr::payload(address, order.currency.as_str(), &order.network, due);
    let Some(qr) = super::qr::lines(&payload, theme.qr) else {
        return Vec::new();
    };
    // Two lines for the caption and the encoded text, two for the frame, two for the footer.
    let room = usize::from(area.height).saturating_sub(used + 6);
    let fits_across = qr.first().map_or(0, Line::width) + 4 <= usize::from(area.width);
    if qr.len() > room || !fits_across {
        return vec![dialog::text(Line::styled(
            "Enlarge the terminal to see the QR code (the address above is complete).",
            theme.muted,
        ))];
    }
    let mut items = vec![dialog::text(Line::styled(
        format!("Scan to pay on {}:", order.network),
        theme.muted,
    ))];
    items.extend(qr.into_iter().map(dialog::text));
    items.push(dialog::text(Line::styled(
        format!("encodes {payload}"),
        theme.muted,
    )));
    items
}

/// Whether the order may still be paid: not final, not of unknown outcome, and its payment
/// window not passed by the clock (P100 may say EXPIRED only at its next answer).
fn accepts_payment(row: &LiveRow, order: &OrderLeg, now: DateTime<Utc>) -> bool {
    !row.phase.is_final()
        && !matches!(row.phase, Phase::Unknown { .. })
        && order.payment_expires_at.is_none_or(|until| until > now)
}

fn live_items(row: &LiveRow, app: &App, options: &RenderOptions) -> Vec<Item> {
    let theme = &options.theme;
    let offset = options.utc_offset;
    let nf = app.keyboard.number_format;
    let mut items = vec![
        styled_field(
            "Status",
            row.phase.label(),
            live::phase_style(&row.phase, theme),
        ),
        spans_field("Progress", live::waiting_for(row, app, theme, false)),
        field("Amounts", live::amounts_full(row, nf)),
    ];
    // A failure's reason is already the progress line; an unknown outcome needs its why.
    if let Phase::Unknown { reason } = &row.phase {
        items.push(styled_field(
            "Why unknown",
            format!("{reason}; reading the state back, never sent again"),
            theme.unknown,
        ));
    }
    if let Phase::Ambiguous { candidates, chosen } = &row.phase {
        items.extend(candidate_items(candidates, *chosen, nf, options));
    }
    for note in app.records.row_notes(&row.key) {
        items.push(styled_field("Note", note.clone(), theme.warning));
    }
    match &row.kind {
        LiveKind::Exchange(leg) => {
            items.push(field(
                "Rate",
                format::rate_line(leg.rate, &leg.from, &leg.to, nf),
            ));
        }
        LiveKind::Order(order) => items.extend(order_items(row, order, app, options)),
    }
    let remote = row.remote_id.clone().unwrap_or_else(|| "none yet".into());
    items.extend([
        field("Id", remote),
        field("Lock id", row.lock_id.clone()),
        field("Journal key", row.key.clone()),
        field("Created", format::full_time(row.created_at, offset)),
        field("Updated", format::full_time(row.updated_at, offset)),
    ]);
    items
}

/// The history rows an ambiguous attempt could be, the highlighted one marked.
fn candidate_items(
    candidates: &[crate::app::reconcile::Candidate],
    chosen: usize,
    nf: NumberFormat,
    options: &RenderOptions,
) -> Vec<Item> {
    let mut items = vec![dialog::text(Line::styled(
        "Candidates (] next · a mark applied as the marked one · n mark not applied):",
        options.theme.unknown,
    ))];
    for (index, candidate) in candidates.iter().enumerate() {
        let marker = if index == chosen { "▶" } else { " " };
        let created = candidate.created_at.map_or_else(
            || "time unknown".into(),
            |at| format::full_time(at, options.utc_offset),
        );
        let window = if candidate.in_window {
            "inside the window"
        } else {
            "OUTSIDE the window"
        };
        let to = candidate
            .currency_to
            .as_ref()
            .map_or_else(String::new, |to| {
                candidate.amount_to.map_or_else(
                    || format!(" → {to}"),
                    |amount| format!(" → {}", format::amount_with_currency(amount, to, nf)),
                )
            });
        items.push(dialog::text(Line::raw(format!(
            "{marker} {}  {}{to}  {created}  {}  {window}",
            crate::app::answers::printable(&candidate.id),
            format::amount_with_currency(candidate.amount, &candidate.currency, nf),
            candidate.status,
        ))));
    }
    items
}

fn order_items(row: &LiveRow, order: &OrderLeg, app: &App, options: &RenderOptions) -> Vec<Item> {
    let theme = &options.theme;
    let open = accepts_payment(row, order, app.now);
    let nf = app.keyboard.number_format;
    let mut items = vec![field("Network", order.network.clone())];
    if let Some((done, required)) = order.confirmations {
        items.push(field("Confirmations", format!("{done}/{required}")));
    }
    if let Some(received) = order.received {
        let mut text = format::amount_full(received, &order.currency, nf);
        if let Some(required) = order.required {
            text = format!(
                "{text} of {}",
                format::amount_full(required, &order.currency, nf)
            );
        }
        let style = match live::shortfall(order, nf) {
            Some(short) => {
                text = format!("{text}  ! UNDERPAID, {short}");
                theme.error
            }
            None => Style::new(),
        };
        items.push(styled_field("Received", text, style));
    }
    if let (Some(until), true) = (order.payment_expires_at, open) {
        let when = format!(
            "{} ({})",
            format::full_time(until, options.utc_offset),
            format::time_left(until, app.now)
        );
        items.push(field("Pay by", when));
        items.push(spans_field(
            "Time left",
            vec![live::time_left_span(until, app, theme)],
        ));
    }
    if let Some(hash) = &order.transaction_hash {
        items.push(field("Tx hash", hash.clone()));
    }
    // The address alone on its line, unstyled, so a mouse selection copies just it.
    let (label, label_style) = if open {
        // The copy key as the table has it now (a remap shows here too).
        let copies = app
            .keyboard
            .keymap
            .key_for(Mode::LiveDetail, Action::CopyAddress)
            .map_or_else(String::new, |key| format!(" ({key} copies it)"));
        (
            format!("Wallet address on {}{copies}", order.network),
            theme.muted,
        )
    } else {
        (
            "Order closed: do not pay to this address".to_string(),
            theme.error,
        )
    };
    items.push(dialog::text(Line::styled(label, label_style)));
    items.push(dialog::text(Line::raw(
        order
            .wallet_address
            .clone()
            .unwrap_or_else(|| "not generated yet".into()),
    )));
    items
}

/// The dialog for a failed action: it stays until the user closes it.
pub fn error(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    title: &str,
    message: &str,
    options: &RenderOptions,
) {
    let items = message
        .lines()
        .map(|line| dialog::text(Line::raw(line.to_string())))
        .collect();
    let title = format!("! {title}");
    dialog::show(
        frame,
        area,
        app,
        &title,
        items,
        options.theme.error_border,
        options,
    );
}

fn gone(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    title: &str,
    message: &str,
    options: &RenderOptions,
) {
    let items = vec![dialog::text(Line::styled(
        message.to_string(),
        options.theme.muted,
    ))];
    show(frame, area, app, title, items, options);
}

fn show(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    title: &str,
    items: Vec<Item>,
    options: &RenderOptions,
) {
    dialog::show(
        frame,
        area,
        app,
        title,
        items,
        options.theme.overlay_border,
        options,
    );
}
