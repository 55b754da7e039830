//! What each kind of ticket shows in the one dialog layout: its title, field rows, the line
//! under them, its indicative price and warnings while editing, and its locked terms. Every
//! number is written in the ticket's `number_format`, the one its amount field parses with.

use ratatui::text::{Line, Span};
use rust_decimal::Decimal;

use super::{detail, limit_text};
use crate::api::models::{Currency, ExchangeLock, OrderLock};
use crate::app::App;
use crate::app::keyboard::FieldId;
use crate::app::ticket::{ExchangeField, ExchangeTicket, ORDER_FIAT, OrderField, OrderTicket};
use crate::app::trade_kind::TradeKind;
use crate::lock_check::{ExchangeIntent, OrderIntent, exchange_fee};
use crate::ui::format::amount_with_currency;
use crate::ui::order_checks;
use crate::ui::theme::Theme;

/// A ticket form as the dialog draws it.
pub trait TicketView: TradeKind {
    /// The dialog's title (" New exchange ").
    fn dialog_title(&self) -> &'static str;
    /// The fields, top to bottom: label, text, and the id the cursor and focus know it by.
    fn field_rows(&self) -> Vec<(&'static str, &str, FieldId)>;
    /// The muted line under the fields (what can be spent or chosen, the profile's limit).
    fn under_fields(&self, app: &App) -> String;
    /// The indicative price of a valid form, as spans after "Indicative: " (`None`: none yet).
    fn indicative<'a>(&self, intent: &Self::Intent, theme: &Theme) -> Option<Vec<Span<'a>>>;
    /// Why there is no indicative price, when it could not be read.
    fn price_error(&self) -> Option<&str>;
    /// Warnings while a valid form is edited, before anything is locked.
    fn editing_warnings(&self, app: &App, theme: &Theme) -> Vec<Line<'static>>;
    /// The locked terms, above the countdown.
    fn locked_terms<'a>(&self, app: &App, lock: &Self::Lock, theme: &Theme) -> Vec<Line<'a>>;
    /// The amount as the user asked for it: what must be typed again to confirm.
    fn asked_amount(&self, lock: &Self::Lock) -> Decimal;
}

impl TicketView for ExchangeTicket {
    fn dialog_title(&self) -> &'static str {
        " New exchange "
    }

    fn field_rows(&self) -> Vec<(&'static str, &str, FieldId)> {
        vec![
            ("Sell", &self.from, FieldId::Exchange(ExchangeField::From)),
            ("Buy", &self.to, FieldId::Exchange(ExchangeField::To)),
            (
                "Amount",
                &self.amount,
                FieldId::Exchange(ExchangeField::Amount),
            ),
        ]
    }

    fn under_fields(&self, app: &App) -> String {
        let nf = self.number_format;
        let from = Currency::new(&self.from);
        let available = app
            .balances
            .find(&from)
            .map(|row| format!("available {}", nf.format_amount(row.amount, from.as_str())));
        [available, limit_text(app, Self::KIND)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ")
    }

    fn indicative<'a>(&self, valid: &ExchangeIntent, theme: &Theme) -> Option<Vec<Span<'a>>> {
        self.quote.as_ref().map(|quote| {
            let to = quote.amount_to.map_or_else(String::new, |to| {
                format!(
                    "  → {} {}",
                    self.number_format.format_amount(to, valid.to.as_str()),
                    valid.to
                )
            });
            vec![
                Span::raw(format!(
                    "1 {} = {} {}",
                    valid.from,
                    self.number_format.format_rate(quote.rate),
                    valid.to
                )),
                Span::styled(to, theme.muted),
            ]
        })
    }

    fn price_error(&self) -> Option<&str> {
        self.quote_error.as_deref()
    }

    fn editing_warnings(&self, _app: &App, _theme: &Theme) -> Vec<Line<'static>> {
        Vec::new()
    }

    fn locked_terms<'a>(&self, _app: &App, lock: &ExchangeLock, theme: &Theme) -> Vec<Line<'a>> {
        let nf = self.number_format;
        let mut lines = vec![
            detail(
                "You sell",
                amount_with_currency(lock.amount, &lock.currency_from, nf),
                theme,
            ),
            detail(
                "You receive",
                amount_with_currency(lock.amount_to, &lock.currency_to, nf),
                theme,
            ),
            detail(
                "Rate",
                format!(
                    "1 {} = {} {}",
                    lock.currency_from,
                    nf.format_rate(lock.rate),
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
                    amount_with_currency(fee, &lock.currency_to, nf)
                ),
                theme,
            ));
        }
        lines.push(detail("Lock", lock.lock_id.clone(), theme));
        lines
    }

    fn asked_amount(&self, lock: &ExchangeLock) -> Decimal {
        self.requested
            .as_ref()
            .map_or(lock.amount, |intent| intent.amount)
    }
}

impl TicketView for OrderTicket {
    fn dialog_title(&self) -> &'static str {
        " New order "
    }

    fn field_rows(&self) -> Vec<(&'static str, &str, FieldId)> {
        vec![
            (
                "Crypto",
                &self.currency,
                FieldId::Order(OrderField::Currency),
            ),
            (
                "Network",
                &self.network,
                FieldId::Order(OrderField::Network),
            ),
            (
                "Settle EUR",
                &self.amount,
                FieldId::Order(OrderField::Amount),
            ),
        ]
    }

    fn under_fields(&self, app: &App) -> String {
        let networks = app
            .balances
            .find(&Currency::new(&self.currency))
            .map(crate::app::balances::BalanceRow::networks)
            .unwrap_or_default();
        format!(
            "networks: {}{}",
            if networks.is_empty() {
                "-".into()
            } else {
                networks.join(", ")
            },
            limit_text(app, Self::KIND).map_or_else(String::new, |limit| format!(" · {limit}"))
        )
    }

    fn indicative<'a>(&self, _valid: &OrderIntent, _theme: &Theme) -> Option<Vec<Span<'a>>> {
        self.indicative_rate().map(|rate| {
            vec![Span::raw(format!(
                "1 {} = {} EUR",
                self.currency,
                self.number_format.format_rate(rate)
            ))]
        })
    }

    fn price_error(&self) -> Option<&str> {
        self.rates_error.as_deref()
    }

    fn editing_warnings(&self, app: &App, theme: &Theme) -> Vec<Line<'static>> {
        order_checks::indicative_warning(app, self, theme)
            .into_iter()
            .collect()
    }

    fn locked_terms<'a>(&self, app: &App, lock: &OrderLock, theme: &Theme) -> Vec<Line<'a>> {
        let nf = self.number_format;
        let fiat = self.asked_amount(lock);
        let destination = lock
            .destination_currency
            .clone()
            .unwrap_or_else(|| Currency::new(ORDER_FIAT));
        let network = lock
            .network
            .as_deref()
            .map_or_else(String::new, |n| format!(" on {n}"));
        let mut lines = vec![
            detail(
                "Payer sends",
                format!(
                    "{}{network}",
                    amount_with_currency(lock.amount, &lock.currency, nf)
                ),
                theme,
            ),
            detail(
                "You receive",
                amount_with_currency(fiat, &destination, nf),
                theme,
            ),
            detail(
                "Rate",
                format!(
                    "1 {} = {} {destination}",
                    lock.currency,
                    nf.format_rate(lock.rate)
                ),
                theme,
            ),
            detail("Lock", lock.lock_id.clone(), theme),
        ];
        lines.extend(order_checks::min_deposit_warning(
            &app.balances,
            &lock.currency,
            lock.network.as_deref().unwrap_or(&self.network),
            lock.amount,
            false,
            nf,
            theme,
        ));
        lines.push(order_checks::payment_window_line(theme));
        lines
    }

    fn asked_amount(&self, _lock: &OrderLock) -> Decimal {
        self.requested
            .as_ref()
            .map_or(Decimal::ZERO, |intent| intent.fiat_amount)
    }
}
