//! `p100-desk balances`: every balance at its own scale with its EUR value and status or
//! networks, and the indicative total labelled with the time of its rates.

use chrono::{DateTime, Utc};
use clap::Args;
use rust_decimal::Decimal;
use serde::Serialize;

use super::args::iso;
use super::context::{self, Globals};
use super::exit::CliError;
use super::output::{self, Align, Column, Format, Record, StreamFormat, col};
use super::text::printable;
use crate::app::balances::{BalanceKind, BalanceRow, BalancesPane};
use crate::money;

#[derive(Debug, Args)]
pub struct BalancesArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// One balance as printed. JSON field names are stable (README, "JSON shapes").
#[derive(Debug, Serialize)]
pub struct BalanceRecord {
    pub currency: String,
    /// `fiat` or `crypto`.
    pub kind: &'static str,
    /// Exactly as the API sent it, padded to the currency's scale (never rounded).
    pub amount: String,
    /// EUR per unit, as sent; null when the API sent none.
    pub rate: Option<String>,
    /// amount x rate, indicative; null without a rate.
    pub eur_value: Option<String>,
    /// Fiat: ACTIVE, WAITING_TO_BE_ACTIVATED or the API's word; crypto: null.
    pub status: Option<String>,
    /// Crypto: the networks in networkConfig; fiat: empty.
    pub networks: Vec<String>,
    pub iban: Option<String>,
    /// The one wallet P100 reports for the currency: not known to be valid on every network.
    pub wallet: Option<String>,
}

/// The whole answer in JSON.
#[derive(Debug, Serialize)]
struct BalancesReport<'a> {
    /// When the balances and their rates were read.
    rates_at: String,
    balances: &'a [BalanceRecord],
    /// Sum of `eur_value`, indicative (at `rates_at`).
    total_eur: String,
    /// Balances without a rate, left out of the total.
    unpriced: usize,
}

/// Pads to the currency's scale without ever dropping a digit the API sent.
pub fn at_scale(amount: Decimal, currency: &str) -> String {
    let mut shown = amount;
    if let Some(scale) = money::scale_of(currency) {
        if shown.scale() < scale {
            shown.rescale(scale);
        }
    }
    shown.to_string()
}

fn eur_string(value: Decimal) -> String {
    let mut rounded =
        value.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded.to_string()
}

impl BalanceRecord {
    pub fn of(row: &BalanceRow) -> Self {
        let currency = printable(row.currency.as_str());
        let (kind, status, iban, wallet) = match &row.kind {
            BalanceKind::Fiat { iban, status } => (
                "fiat",
                Some(printable(status.as_str())),
                iban.as_deref().map(printable),
                None,
            ),
            BalanceKind::Crypto { wallet, .. } => {
                ("crypto", None, None, wallet.as_deref().map(printable))
            }
        };
        Self {
            amount: at_scale(row.amount, &currency),
            rate: row.rate.map(|rate| rate.normalize().to_string()),
            eur_value: row.eur_value().map(eur_string),
            status,
            networks: row.networks().iter().map(|n| printable(n)).collect(),
            iban,
            wallet,
            kind,
            currency,
        }
    }
}

impl Record for BalanceRecord {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("currency", 8, Align::Left),
            col("kind", 6, Align::Left),
            col("amount", 20, Align::Right),
            col("rate_eur", 12, Align::Right),
            col("eur_value", 14, Align::Right),
            col("status", 8, Align::Status),
            col("networks", 8, Align::Left),
        ];
        COLUMNS
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.currency.clone(),
            self.kind.to_owned(),
            self.amount.clone(),
            self.rate.clone().unwrap_or_default(),
            self.eur_value.clone().unwrap_or_default(),
            self.status.clone().unwrap_or_default(),
            self.networks.join(" "),
        ]
    }
}

pub async fn run(args: &BalancesArgs, globals: &Globals) -> Result<(), CliError> {
    let connected = context::connect(globals).await?;
    let answer = connected.client.balances().await;
    connected.close().await;
    let balances = answer.map_err(|error| CliError::api("balances", &error))?;
    let now = Utc::now();
    // The dashboard's own model: same rows, same EUR values, same total.
    let mut pane = BalancesPane::default();
    pane.load(balances, now);
    print(&pane, now, args.format)
}

fn print(pane: &BalancesPane, rates_at: DateTime<Utc>, format: Format) -> Result<(), CliError> {
    let records: Vec<BalanceRecord> = pane.rows.iter().map(BalanceRecord::of).collect();
    let (total, unpriced) = pane.total_eur();
    match format {
        Format::Json => output::print_json(&BalancesReport {
            rates_at: iso(rates_at),
            balances: &records,
            total_eur: eur_string(total),
            unpriced,
        }),
        Format::Csv | Format::Table => {
            output::print_records(StreamFormat::from(format), &records)?;
            let unpriced_note = if unpriced > 0 {
                format!(" ({unpriced} balance(s) without a rate left out)")
            } else {
                String::new()
            };
            let line = format!(
                "Total ≈ {} EUR (indicative) at the rates of {}{unpriced_note}",
                money::format_eur(total),
                iso(rates_at)
            );
            // A table is for people: the total follows it. A CSV stays rows only.
            if format == Format::Table {
                output::print_line(&line)
            } else {
                eprintln!("{line}");
                Ok(())
            }
        }
    }
}
