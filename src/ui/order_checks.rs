//! What the order ticket says before money is asked of a payer: a crypto amount below the
//! network's `minDeposit` (likely lost or stuck), and what is known of the payment window.

use ratatui::text::{Line, Span};
use rust_decimal::Decimal;

use super::format;
use super::theme::Theme;
use crate::api::models::Currency;
use crate::app::App;
use crate::app::balances::{BalanceKind, BalancesPane};
use crate::app::ticket::OrderTicket;
use crate::number_format::NumberFormat;

/// The `minDeposit` P100 lists for `currency` on `network`, if any.
pub fn min_deposit(balances: &BalancesPane, currency: &Currency, network: &str) -> Option<Decimal> {
    let row = balances.find(currency)?;
    let BalanceKind::Crypto { networks, .. } = &row.kind else {
        return None;
    };
    networks
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(network))
        .and_then(|(_, config)| config.deposit.as_ref())
        .and_then(|deposit| deposit.min_deposit)
}

/// "! Below min deposit 5.000000 USDC on polygon: may be lost" when the payer's
/// amount is under the network's minimum; `indicative` says the amount is from a rate, not a lock.
pub fn min_deposit_warning(
    balances: &BalancesPane,
    currency: &Currency,
    network: &str,
    crypto_amount: Decimal,
    indicative: bool,
    nf: NumberFormat,
    theme: &Theme,
) -> Option<Line<'static>> {
    let minimum = min_deposit(balances, currency, network)?;
    if crypto_amount >= minimum {
        return None;
    }
    // One short line: the ticket has a fixed height, and the amount is on the line above
    // ("Payer sends", or the indicative rate while editing).
    let basis = if indicative { " (at this rate)" } else { "" };
    Some(Line::from(Span::styled(
        format!(
            "  ! Below min deposit {} on {network}{basis}: may be lost",
            format::amount_full(minimum, currency, nf),
        ),
        theme.warning,
    )))
}

/// The warning while the ticket is edited, from the indicative rate (EUR per unit): the
/// crypto amount is the fiat to settle divided by it. Before any lock is asked for.
pub fn indicative_warning(app: &App, ticket: &OrderTicket, theme: &Theme) -> Option<Line<'static>> {
    let valid = ticket.validate(&app.balances).ok()?;
    let rate = ticket
        .indicative_rate()
        .filter(|rate| *rate > Decimal::ZERO)?;
    let crypto = valid.fiat_amount.checked_div(rate)?;
    min_deposit_warning(
        &app.balances,
        &valid.currency,
        &valid.network,
        crypto,
        true,
        ticket.number_format,
        theme,
    )
}

/// The payment window, as far as it is known before the order exists: P100 sets it when the
/// order is created and sends it with the order's details.
pub fn payment_window_line(theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(
        "  Payment window: set by P100 once created; Live counts it down",
        theme.muted,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::balances::BalancesPane;

    fn pane() -> BalancesPane {
        let mut pane = BalancesPane::default();
        let balances = serde_json::from_str(
            r#"{"fiatBalances": [], "cryptoBalances": [{"id": "c1", "amount": "1", "name": "usdc",
                "wallet": "0x2e90", "rate": 0.96, "networkConfig": {"polygon": {
                "deposit": {"minDeposit": 5}}, "ethereum": {}}}]}"#,
        )
        .expect("balances");
        pane.load(balances, chrono::Utc::now());
        pane
    }

    #[test]
    fn warns_only_below_the_networks_minimum() {
        let pane = pane();
        let usdc = Currency::new("usdc");
        let theme = Theme::color();
        let warn = |amount: i64, network: &str| {
            min_deposit_warning(
                &pane,
                &usdc,
                network,
                Decimal::new(amount, 1),
                true,
                NumberFormat::default(),
                &theme,
            )
            .map(|line| line.to_string())
        };
        let below = warn(32, "polygon").expect("3.2 < 5");
        assert!(
            below.contains("Below min deposit 5.000000 USDC on polygon (at this rate)"),
            "{below}"
        );
        assert_eq!(warn(50, "polygon"), None, "the minimum itself is fine");
        assert_eq!(warn(1, "ethereum"), None, "no minimum listed");
        assert_eq!(warn(1, "tron"), None, "unknown network");
    }
}
