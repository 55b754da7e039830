//! The detail overlays (balance, transaction, live row) and the error dialog: every field
//! spelled out, full ids, in a `dialog` box.

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
use crate::money;

pub fn balance(frame: &mut Frame, area: Rect, app: &App, id: &str, options: &RenderOptions) {
    let Some(row) = app.balances.rows.iter().find(|row| row.id == id) else {
        gone(
            frame,
            area,
            "Balance",
            "This balance is no longer listed.",
            options,
        );
        return;
    };
    let title = format!("Balance · {}", row.currency);
    let items = balance_items(row, app, options);
    show(frame, area, &title, items, options);
}

fn balance_items(row: &BalanceRow, app: &App, options: &RenderOptions) -> Vec<Item> {
    let rate = row.rate.map_or_else(
        || "none sent: left out of the total".into(),
        |rate| format!("{} EUR per {}", money::format_rate(rate), row.currency),
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
                money::format_eur(value)
            )
        },
    );
    let mut items = vec![
        field(
            "Amount",
            format::amount_with_currency(row.amount, &row.currency),
        ),
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
            items.push(field(
                "Wallet",
                wallet.clone().unwrap_or_else(|| "none yet".into()),
            ));
            if networks.is_empty() {
                items.push(field("Networks", "none listed".into()));
            }
            for (name, config) in networks {
                items.extend(network_items(row, name, config));
            }
        }
    }
    items.push(field("Id", row.id.clone()));
    items
}

/// "polygon (amoy, testnet)" and its deposit and withdrawal limits.
fn network_items(row: &BalanceRow, name: &str, config: &NetworkConfig) -> Vec<Item> {
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
        value.map_or_else(
            || "-".into(),
            |v| format::amount_with_currency(v, &row.currency),
        )
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
    let Some(row) = app.history.find(id).map(|row| row.to_transaction()) else {
        let message = "This transaction is no longer loaded.";
        gone(frame, area, "Transaction", message, options);
        return;
    };
    let mut items = vec![
        field("Type", row.kind.as_str().to_string()),
        styled_field(
            "Status",
            row.status.as_str().to_string(),
            history::status_style(&row.status, theme),
        ),
        field(
            "Amount",
            format::amount_with_currency(row.amount, &row.currency),
        ),
    ];
    if let Some(currency) = &row.currency_to {
        let to = row.amount_to.map_or_else(
            || currency.to_string(),
            |amount| format::amount_with_currency(amount, currency),
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
    show(frame, area, "Transaction", items, options);
}

pub fn live(frame: &mut Frame, area: Rect, app: &App, key: &str, options: &RenderOptions) {
    let Some(row) = app.live.rows.iter().find(|row| row.key == key) else {
        gone(frame, area, "In flight", "This row was dismissed.", options);
        return;
    };
    let title = format!("{} · {}", row.kind_label(), row.phase.label());
    let mut items = live_items(row, app, options);
    // A QR code of the wallet address, so the payer can scan it off the screen; only when the
    // whole code fits (a cut QR code scans as nothing, or worse).
    let address = match &row.kind {
        LiveKind::Order(order) => order.wallet_address.as_deref(),
        LiveKind::Exchange(_) => None,
    };
    if let Some(qr) = address.and_then(super::qr::lines) {
        let room = usize::from(area.height).saturating_sub(items.len() + 4);
        if qr.len() < room {
            items.push(dialog::text(Line::styled(
                "Scan to pay:",
                options.theme.muted,
            )));
            items.extend(qr.into_iter().map(|line| dialog::text(Line::raw(line))));
        }
    }
    show(frame, area, &title, items, options);
}

fn live_items(row: &LiveRow, app: &App, options: &RenderOptions) -> Vec<Item> {
    let theme = &options.theme;
    let offset = options.utc_offset;
    let mut items = vec![
        styled_field(
            "Status",
            row.phase.label(),
            live::phase_style(&row.phase, theme),
        ),
        spans_field("Progress", live::waiting_for(row, app, theme, false)),
        field("Amounts", live::amounts(row)),
    ];
    // A failure's reason is already the progress line; an unknown outcome needs its why.
    if let Phase::Unknown { reason } = &row.phase {
        items.push(styled_field(
            "Why unknown",
            format!("{reason}; reading the state back, never sent again"),
            theme.unknown,
        ));
    }
    match &row.kind {
        LiveKind::Exchange(leg) => items.push(field(
            "Rate",
            format!(
                "{} {} per {}",
                money::format_rate(leg.rate),
                leg.to,
                leg.from
            ),
        )),
        LiveKind::Order(order) => items.extend(order_items(order, app, options)),
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

fn order_items(order: &OrderLeg, app: &App, options: &RenderOptions) -> Vec<Item> {
    let theme = &options.theme;
    let mut items = vec![field("Network", order.network.clone())];
    if let Some((done, required)) = order.confirmations {
        items.push(field("Confirmations", format!("{done}/{required}")));
    }
    if let Some(received) = order.received {
        let mut text = format::amount_with_currency(received, &order.currency);
        if let Some(required) = order.required {
            text = format!(
                "{text} of {}",
                format::amount_with_currency(required, &order.currency)
            );
        }
        let style = if order.is_underpaid() {
            text.push_str("  ! UNDERPAID");
            theme.error
        } else {
            Style::new()
        };
        items.push(styled_field("Received", text, style));
    }
    if let Some(until) = order.payment_expires_at {
        let when = format!(
            "{} ({})",
            format::full_time(until, options.utc_offset),
            format::time_left(until, app.now)
        );
        items.push(field("Pay by", when));
    }
    if let Some(hash) = &order.transaction_hash {
        items.push(field("Tx hash", hash.clone()));
    }
    // The address alone on its line, unstyled, so a mouse selection copies just it.
    items.push(dialog::text(Line::styled(
        "Wallet address (c copies it)",
        theme.muted,
    )));
    items.push(dialog::text(Line::raw(
        order
            .wallet_address
            .clone()
            .unwrap_or_else(|| "not generated yet".into()),
    )));
    items
}

/// The dialog for a failed action: it stays until the user closes it.
pub fn error(frame: &mut Frame, area: Rect, title: &str, message: &str, options: &RenderOptions) {
    let items = message
        .lines()
        .map(|line| dialog::text(Line::raw(line.to_string())))
        .collect();
    let title = format!("! {title}");
    dialog::show(
        frame,
        area,
        &title,
        items,
        options.theme.error_border,
        options,
    );
}

fn gone(frame: &mut Frame, area: Rect, title: &str, message: &str, options: &RenderOptions) {
    let items = vec![dialog::text(Line::styled(
        message.to_string(),
        options.theme.muted,
    ))];
    show(frame, area, title, items, options);
}

fn show(frame: &mut Frame, area: Rect, title: &str, items: Vec<Item>, options: &RenderOptions) {
    dialog::show(
        frame,
        area,
        title,
        items,
        options.theme.overlay_border,
        options,
    );
}
