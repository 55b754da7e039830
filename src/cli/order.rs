//! `p100-desk order`: lock an order rate, check the lock against the request, and create the
//! order only when the guard holds (`--max-crypto`, or `--interactive` typing the amount
//! again); then print the wallet address once P100 has generated it (`--qr`: as a QR code on
//! the terminal). `--watch` follows the order to its final status.

use std::time::Duration;

use clap::{ArgGroup, Args};
use rust_decimal::Decimal;
use serde::Serialize;
use tokio::time::Instant;

use super::args::{iso, parse_duration};
use super::context::Globals;
use super::exchange::outcome;
use super::exit::{CliError, Exit};
use super::output::{self, Align, Column, Format, Record, StreamFormat, col};
use super::text::printable;
use super::trade::{self, ANSWER_WAIT, Desk};
use crate::api::models::{Currency, OrderLock};
use crate::app::App;
use crate::app::balances::BalanceKind;
use crate::app::live::{LiveKind, LiveRow, Phase};
use crate::app::money_actions::TradeLock;
use crate::app::msg::Msg;
use crate::app::ticket::{OrderTicket, Stage, Ticket};
use crate::ui::qr;

/// How long `--watch` follows an order when `--timeout` is not given (payers take time).
const WATCH_WAIT: Duration = Duration::from_secs(2 * 60 * 60);

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("guard").required(true).args(["max_crypto", "interactive"])))]
pub struct OrderArgs {
    /// The crypto the payer sends (one of your balances), e.g. usdc.
    #[arg(long, value_name = "C")]
    pub currency: String,
    /// The network it is sent on, e.g. polygon.
    #[arg(long, value_name = "N")]
    pub network: String,
    /// The fiat (EUR) the order settles.
    #[arg(long, value_name = "FIAT")]
    pub amount: String,
    /// Create the order only if the payer must send at most X of the crypto.
    #[arg(long, value_name = "X")]
    pub max_crypto: Option<Decimal>,
    /// Show the terms and ask on the terminal, typing the amount again.
    #[arg(long)]
    pub interactive: bool,
    /// After creating it, follow the order to COMPLETED, FAILED or EXPIRED.
    #[arg(long)]
    pub watch: bool,
    /// Also draw the wallet address as a QR code on the terminal (stderr).
    #[arg(long)]
    pub qr: bool,
    /// How long to wait for the wallet address (or, with --watch, the final status).
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The order as it ended. JSON field names are stable (README, "JSON shapes").
#[derive(Debug, Serialize)]
pub struct OrderResult {
    pub intent: String,
    pub order_id: Option<String>,
    pub status: String,
    pub outcome: &'static str,
    #[serde(rename = "final")]
    pub is_final: bool,
    pub currency: String,
    pub network: String,
    pub fiat_amount: String,
    pub fiat_currency: String,
    /// What the payer must send, as locked.
    pub crypto_amount: String,
    pub rate: String,
    pub lock_id: String,
    /// Where the payer sends; null until generated and once the order is final.
    pub wallet_address: Option<String>,
    pub received_amount: Option<String>,
    pub payment_expires_at: Option<String>,
    pub reason: Option<String>,
}

impl Record for OrderResult {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("order_id", 36, Align::Left),
            col("status", 26, Align::Status),
            col("outcome", 9, Align::Left),
            col("fiat_amount", 12, Align::Right),
            col("crypto_amount", 16, Align::Right),
            col("currency", 8, Align::Left),
            col("network", 8, Align::Left),
            col("wallet_address", 42, Align::Left),
            col("intent", 30, Align::Left),
            col("reason", 0, Align::Left),
        ];
        COLUMNS
    }

    fn cells(&self) -> Vec<String> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        vec![
            text(&self.order_id),
            self.status.clone(),
            self.outcome.to_owned(),
            self.fiat_amount.clone(),
            self.crypto_amount.clone(),
            self.currency.clone(),
            self.network.clone(),
            text(&self.wallet_address),
            self.intent.clone(),
            text(&self.reason),
        ]
    }
}

fn result(row: &LiveRow, lock: &OrderLock) -> Option<OrderResult> {
    let LiveKind::Order(leg) = &row.kind else {
        return None;
    };
    let reason = match &row.phase {
        Phase::Failed { reason } | Phase::Unknown { reason } => Some(printable(reason)),
        _ => None,
    };
    Some(OrderResult {
        intent: row.key.clone(),
        order_id: row.remote_id.as_deref().map(printable),
        status: printable(&row.phase.label()),
        outcome: outcome(&row.phase),
        is_final: row.phase.is_final(),
        currency: printable(leg.currency.as_str()),
        network: printable(&leg.network),
        fiat_amount: leg.fiat_amount.to_string(),
        fiat_currency: printable(leg.fiat_currency.as_str()),
        crypto_amount: leg.crypto_amount.to_string(),
        rate: lock.rate.to_string(),
        lock_id: printable(&lock.lock_id),
        // A final order must not be paid any more: its address is not offered.
        wallet_address: leg
            .wallet_address
            .as_deref()
            .filter(|_| !row.phase.is_final())
            .map(printable),
        received_amount: leg.received.map(|amount| amount.to_string()),
        payment_expires_at: leg.payment_expires_at.map(iso),
        reason,
    })
}

/// The network's `minDeposit` from the balances, if P100 gave one.
fn min_deposit(app: &App, currency: &Currency, network: &str) -> Option<Decimal> {
    let row = app.balances.find(currency)?;
    let BalanceKind::Crypto { networks, .. } = &row.kind else {
        return None;
    };
    networks
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(network))
        .and_then(|(_, config)| config.deposit.as_ref()?.min_deposit)
}

pub async fn run(args: &OrderArgs, globals: &Globals) -> Result<(), CliError> {
    let mut desk = Box::pin(Desk::open(globals)).await?;
    let outcome = order(&mut desk, args).await;
    desk.close().await;
    outcome
}

#[allow(clippy::too_many_lines)] // one flow, read top to bottom: lock, check, guard, send, wait
async fn order(desk: &mut Desk, args: &OrderArgs) -> Result<(), CliError> {
    let mut ticket = OrderTicket::new(&args.currency, &args.network, 1);
    ticket.amount = args.amount.trim().to_owned();
    let intent = ticket.validate(&desk.app.balances).map_err(|problems| {
        CliError::new(
            Exit::Config,
            format!("cannot order: {}", problems.join("; ")),
        )
    })?;
    // The indicative rates the lock is compared with, as the ticket loads them.
    ticket.rates = desk.client.order_rates().await.ok();
    ticket.requested = Some(intent.clone());
    ticket.stage = Stage::Locking;
    desk.app.ticket = Some(Ticket::Order(ticket));
    let request = crate::api::models::OrderLockRequest {
        currency: intent.currency.clone(),
        amount: intent.fiat_amount,
        network: intent.network.clone(),
    };
    let lock = desk.client.order_lock(&request).await;
    if let Err(error) = &lock {
        return Err(CliError::api("the order rate could not be locked", error));
    }
    desk.update(Msg::Locked {
        seq: 1,
        result: lock.map(TradeLock::Order),
    });
    let minimum = min_deposit(&desk.app, &intent.currency, &intent.network);
    let Some(Ticket::Order(ticket)) = &mut desk.app.ticket else {
        return Err(CliError::new(Exit::Failure, "the ticket was lost"));
    };
    let (lock, mut needs_typing) = match &ticket.stage {
        Stage::Locked {
            lock,
            retype,
            warnings,
            ..
        } => {
            for warning in warnings {
                eprintln!("p100-desk: warning: {warning}");
            }
            (lock.clone(), retype.is_some())
        }
        other => {
            let message = other
                .rejection()
                .unwrap_or_else(|| "the lock was refused".into());
            return Err(CliError::new(Exit::Blocked, printable(&message)));
        }
    };
    eprintln!(
        "p100-desk: locked an order of {} {} paid with {} {} on {} at {} (lock {}, until {})",
        intent.fiat_amount,
        intent.fiat,
        lock.amount,
        intent.currency,
        intent.network,
        lock.rate,
        printable(&lock.lock_id),
        iso(lock.expires_at)
    );
    // The terms are on the terminal now: as on the dashboard, a confirm counts only once they
    // have stood there for the confirm delay.
    if let Stage::Locked { shown_at, .. } = &mut ticket.stage {
        *shown_at = Some(chrono::Utc::now());
    }
    if let Some(minimum) = minimum.filter(|minimum| lock.amount < *minimum) {
        eprintln!(
            "p100-desk: warning: {} {} is below the {} network's minimum deposit of {minimum}: \
             a payment this small is likely to be lost or stuck",
            lock.amount, intent.currency, intent.network
        );
        needs_typing = true;
    }
    if let Some(max) = args.max_crypto.filter(|max| lock.amount > *max) {
        return Err(CliError::new(
            Exit::GuardNotMet,
            format!(
                "the payer would send {} {}, above --max-crypto {max}: nothing was sent",
                lock.amount, intent.currency
            ),
        ));
    }
    if args.interactive {
        let typed = trade::ask_amount(&format!(
            "Type the amount ({} {}) again to create this order, or Enter to cancel: ",
            intent.fiat_amount, intent.fiat
        ))?;
        if typed.is_empty() {
            return Err(CliError::new(
                Exit::GuardNotMet,
                "cancelled: nothing was sent",
            ));
        }
        if let Stage::Locked { retype, .. } = &mut ticket.stage {
            *retype = Some(typed);
        }
    } else if needs_typing {
        return Err(CliError::new(
            Exit::Blocked,
            "above the profile's max_exchange_eur, below the minimum deposit, or the lock has \
             warnings (above): refused without --interactive; nothing was sent",
        ));
    }
    trade::wait_out_the_confirm_delay(desk).await;
    let cmds = desk.app.confirm();
    let Some(key) = trade::submitted_key(&cmds) else {
        let exit = if args.interactive {
            Exit::GuardNotMet
        } else {
            Exit::Blocked
        };
        return Err(CliError::new(
            exit,
            format!("{}: nothing was sent", desk.last_note()),
        ));
    };
    let wait = if args.watch {
        args.timeout.unwrap_or(WATCH_WAIT)
    } else {
        args.timeout.unwrap_or(ANSWER_WAIT)
    };
    let mut last = None;
    let mut shown_address: Option<String> = None;
    let qr_wanted = args.qr;
    desk.run_until(cmds, Instant::now() + wait, |app| {
        let row = app.live.rows.iter().find(|row| row.key == key);
        let Some(row) = row else {
            return true;
        };
        trade::progress_line(row, &mut last);
        let address = match &row.kind {
            LiveKind::Order(leg) if !row.phase.is_final() => leg.wallet_address.clone(),
            _ => None,
        };
        if let Some(address) = address.filter(|a| shown_address.as_ref() != Some(a)) {
            show_address(&printable(&address), qr_wanted);
            shown_address = Some(address);
        }
        if args.watch {
            row.phase.is_final()
        } else {
            // Without --watch: done once the payer can be told where to pay (or it ended).
            shown_address.is_some() || (trade::settled(Some(row), false) && !is_waiting(row))
        }
    })
    .await;
    let row = desk.row(&key).cloned();
    if let Some(record) = row.as_ref().and_then(|row| result(row, &lock)) {
        match args.format {
            Format::Json => output::print_json(&record)?,
            format => output::print_records(StreamFormat::from(format), &[record])?,
        }
    }
    trade::exit_for(row.as_ref())
}

/// Queued but no wallet yet: keep waiting for the address.
fn is_waiting(row: &LiveRow) -> bool {
    matches!(row.phase, Phase::Pending { .. })
}

fn show_address(address: &str, qr_wanted: bool) {
    eprintln!("p100-desk: pay to {address}");
    if qr_wanted {
        match qr::lines(address, None) {
            Some(lines) => {
                for line in lines {
                    eprintln!("{line}");
                }
            }
            None => eprintln!("p100-desk: the address cannot be drawn as a QR code"),
        }
    }
}
