//! `p100-desk exchange`: lock, check the lock against the request, print the terms, and send
//! only when the guard holds (`--min-rate`, `--max-rate`, or `--interactive` typing the amount
//! again). A guard that does not hold sends nothing. `--watch` follows it to its final status.

use std::time::Duration;

use clap::{ArgGroup, Args};
use rust_decimal::Decimal;
use serde::Serialize;
use tokio::time::Instant;

use super::args::{iso, parse_duration};
use super::context::Globals;
use super::exit::{CliError, Exit};
use super::output::{self, Align, Column, Format, Record, StreamFormat, col};
use super::text::printable;
use super::trade::{self, ANSWER_WAIT, Desk};
use crate::api::models::ExchangeLock;
use crate::app::live::{LiveKind, LiveRow, Phase};
use crate::app::money_actions::TradeLock;
use crate::app::msg::Msg;
use crate::app::ticket::{ExchangeTicket, Stage, Ticket};
use crate::lock_check::exchange_fee;

/// How long `--watch` follows an exchange when `--timeout` is not given.
const WATCH_WAIT: Duration = Duration::from_secs(30 * 60);

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("guard").required(true).args(["min_rate", "max_rate", "interactive"])))]
pub struct ExchangeArgs {
    /// The currency sold (one of your balances), e.g. eth.
    #[arg(long, value_name = "C")]
    pub from: String,
    /// The currency bought, e.g. eur.
    #[arg(long, value_name = "C")]
    pub to: String,
    /// How much of --from to sell (at most the currency's decimals; `.` as the decimal point).
    #[arg(long, value_name = "X")]
    pub amount: String,
    /// Send only if the locked rate is at least R (units of --to per unit of --from).
    #[arg(long, value_name = "R")]
    pub min_rate: Option<Decimal>,
    /// Send only if the locked rate is at most R.
    #[arg(long, value_name = "R")]
    pub max_rate: Option<Decimal>,
    /// Show the terms and ask on the terminal, typing the amount again (also allows amounts
    /// above the profile's max_exchange_eur).
    #[arg(long)]
    pub interactive: bool,
    /// After sending, follow the exchange to COMPLETED or FAILED.
    #[arg(long)]
    pub watch: bool,
    /// How long to wait for the answer (or, with --watch, the final status).
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The exchange as it ended. JSON field names are stable (README, "JSON shapes").
#[derive(Debug, Serialize)]
pub struct ExchangeResult {
    pub intent: String,
    pub exchange_id: Option<String>,
    /// QUEUED, PROCESSING, COMPLETED, FAILED, UNKNOWN, ...
    pub status: String,
    /// pending, succeeded, failed or unknown.
    pub outcome: &'static str,
    #[serde(rename = "final")]
    pub is_final: bool,
    pub from: String,
    pub to: String,
    pub amount: String,
    /// What the lock said will be received (the server's `amountTo`, fee deducted).
    pub amount_to: String,
    pub rate: String,
    /// amount x rate - amount_to, when positive: the fee deducted from what is received.
    pub fee: Option<String>,
    pub lock_id: String,
    pub lock_expires_at: String,
    pub reason: Option<String>,
}

impl Record for ExchangeResult {
    fn columns() -> &'static [Column] {
        const COLUMNS: &[Column] = &[
            col("exchange_id", 36, Align::Left),
            col("status", 10, Align::Status),
            col("outcome", 9, Align::Left),
            col("amount", 14, Align::Right),
            col("from", 4, Align::Left),
            col("amount_to", 14, Align::Right),
            col("to", 4, Align::Left),
            col("rate", 12, Align::Right),
            col("fee", 10, Align::Right),
            col("intent", 30, Align::Left),
            col("reason", 0, Align::Left),
        ];
        COLUMNS
    }

    fn cells(&self) -> Vec<String> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        vec![
            text(&self.exchange_id),
            self.status.clone(),
            self.outcome.to_owned(),
            self.amount.clone(),
            self.from.clone(),
            self.amount_to.clone(),
            self.to.clone(),
            self.rate.clone(),
            text(&self.fee),
            self.intent.clone(),
            text(&self.reason),
        ]
    }
}

/// pending, succeeded, failed or unknown, from a Live row's phase.
pub fn outcome(phase: &Phase) -> &'static str {
    match phase {
        Phase::Completed => "succeeded",
        Phase::Failed { .. } | Phase::Expired => "failed",
        Phase::Unknown { .. } | Phase::Ambiguous { .. } | Phase::Sending => "unknown",
        Phase::Pending { .. } => "pending",
    }
}

/// The fee the lock implies, as the dashboard's ticket shows it (one computation, in
/// `lock_check`): amount x rate - amountTo cut to the receiving currency's scale, when positive.
fn fee(lock: &ExchangeLock) -> Option<Decimal> {
    exchange_fee(lock).filter(|fee| *fee > Decimal::ZERO)
}

fn result(row: &LiveRow, lock: &ExchangeLock) -> ExchangeResult {
    let (from, to, amount, amount_to, rate) = match &row.kind {
        LiveKind::Exchange(leg) => (
            leg.from.as_str().to_owned(),
            leg.to.as_str().to_owned(),
            leg.amount,
            leg.amount_to,
            leg.rate,
        ),
        LiveKind::Order(_) => (
            String::new(),
            String::new(),
            Decimal::ZERO,
            Decimal::ZERO,
            Decimal::ZERO,
        ),
    };
    let reason = match &row.phase {
        Phase::Failed { reason } | Phase::Unknown { reason } => Some(printable(reason)),
        _ => None,
    };
    ExchangeResult {
        intent: row.key.clone(),
        exchange_id: row.remote_id.as_deref().map(printable),
        status: printable(&row.phase.label()),
        outcome: outcome(&row.phase),
        is_final: row.phase.is_final(),
        from: printable(&from),
        to: printable(&to),
        amount: amount.to_string(),
        amount_to: amount_to.to_string(),
        rate: rate.to_string(),
        fee: fee(lock).map(|fee| fee.normalize().to_string()),
        lock_id: printable(&lock.lock_id),
        lock_expires_at: iso(lock.expires_at),
        reason,
    }
}

pub async fn run(args: &ExchangeArgs, globals: &Globals) -> Result<(), CliError> {
    let mut desk = Box::pin(Desk::open(globals)).await?;
    let outcome = exchange(&mut desk, args).await;
    desk.close().await;
    outcome
}

#[allow(clippy::too_many_lines)] // one flow, read top to bottom: lock, check, guard, send, wait
async fn exchange(desk: &mut Desk, args: &ExchangeArgs) -> Result<(), CliError> {
    let mut ticket = ExchangeTicket::new(&args.from, &args.to, 1);
    ticket.amount = args.amount.trim().to_owned();
    // The dashboard's validation: known currencies, positive, the currency's decimals, funds.
    let intent = ticket.validate(&desk.app.balances).map_err(|problems| {
        CliError::new(
            Exit::Config,
            format!("cannot exchange: {}", problems.join("; ")),
        )
    })?;
    // The indicative quote the lock is compared with, as the ticket has it while typing.
    ticket.quote = desk
        .client
        .exchange_rate(&intent.from, &intent.to, intent.amount)
        .await
        .ok();
    ticket.requested = Some(intent.clone());
    ticket.stage = Stage::Locking;
    desk.app.ticket = Some(Ticket::Exchange(ticket));
    let lock = desk
        .client
        .exchange_lock(&intent.from, &intent.to, intent.amount)
        .await;
    if let Err(error) = &lock {
        return Err(CliError::api("the rate could not be locked", error));
    }
    // The lock is checked, the limit applied and a refusal journaled by the ticket itself.
    desk.update(Msg::Locked {
        seq: 1,
        result: lock.map(TradeLock::Exchange),
    });
    let Some(Ticket::Exchange(ticket)) = &mut desk.app.ticket else {
        return Err(CliError::new(Exit::Failure, "the ticket was lost"));
    };
    let (lock, needs_typing) = match &ticket.stage {
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
        "p100-desk: locked {} {} -> {} {} at {}{} (lock {}, until {})",
        intent.amount,
        intent.from,
        lock.amount_to,
        intent.to,
        lock.rate,
        fee(&lock)
            .map(|fee| format!(", fee {} {}", fee.normalize(), intent.to))
            .unwrap_or_default(),
        printable(&lock.lock_id),
        iso(lock.expires_at)
    );
    // The terms are on the terminal now: as on the dashboard, a confirm counts only once they
    // have stood there for the confirm delay.
    if let Stage::Locked { shown_at, .. } = &mut ticket.stage {
        *shown_at = Some(chrono::Utc::now());
    }
    if let Some(min) = args.min_rate.filter(|min| lock.rate < *min) {
        return Err(CliError::new(
            Exit::GuardNotMet,
            format!(
                "the locked rate {} is below --min-rate {min}: nothing was sent",
                lock.rate
            ),
        ));
    }
    if let Some(max) = args.max_rate.filter(|max| lock.rate > *max) {
        return Err(CliError::new(
            Exit::GuardNotMet,
            format!(
                "the locked rate {} is above --max-rate {max}: nothing was sent",
                lock.rate
            ),
        ));
    }
    if args.interactive {
        let typed = trade::ask_amount(&format!(
            "Type the amount ({} {}) again to send this exchange, or Enter to cancel: ",
            intent.amount, intent.from
        ))?;
        if typed.is_empty() {
            return Err(CliError::new(
                Exit::GuardNotMet,
                "cancelled: nothing was sent",
            ));
        }
        // The ticket's own confirm compares what was typed with the amount.
        if let Stage::Locked { retype, .. } = &mut ticket.stage {
            *retype = Some(typed);
        }
    } else if needs_typing {
        return Err(CliError::new(
            Exit::Blocked,
            "above the profile's max_exchange_eur, or the lock has warnings (above): refused \
             without --interactive; nothing was sent",
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
    desk.run_until(cmds, Instant::now() + wait, |app| {
        let row = app.live.rows.iter().find(|row| row.key == key);
        if let Some(row) = row {
            trade::progress_line(row, &mut last);
        }
        trade::settled(row, args.watch)
    })
    .await;
    let row = desk.row(&key).cloned();
    if let Some(row) = &row {
        let record = result(row, &lock);
        match args.format {
            Format::Json => output::print_json(&record)?,
            format => output::print_records(StreamFormat::from(format), &[record])?,
        }
    }
    trade::exit_for(row.as_ref())
}
