//! What every ticket shares: the stages from editing to a locked rate with its countdown, the
//! lock clock and the choice helpers. Each kind's form is a file of its own (`ticket/*.rs`),
//! listed once in `money_actions!`.

mod exchange;
mod order;

pub use exchange::{ExchangeField, ExchangeTicket, ValidExchange};
pub use order::{ORDER_FIAT, OrderField, OrderRatesRequest, OrderTicket, ValidOrder};

use chrono::{DateTime, Utc};

use super::balances::{BalanceKind, BalancesPane};
use crate::api::models::Currency;
use crate::lock_check::LockWarning;

/// Confirm is refused this long before `expiresAt`: the POST must reach P100 while the lock
/// still holds, allowing for latency and clock skew.
pub const LOCK_SAFETY_MARGIN_MS: i64 = 2_000;

/// A confirm counts only once the locked terms have been on screen this long: a `y` typed
/// ahead, or pressed the instant the lock arrived, confirms terms nobody could have read.
pub const CONFIRM_DELAY_MS: i64 = 500;

/// Where a ticket is in its life.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage<L> {
    Editing,
    /// The lock request is on its way.
    Locking,
    /// A rate is locked and passed the lock check. `retype` is `Some` when the amount must be
    /// typed again before `y` works: above the profile's limit, or `warnings` to look at.
    Locked {
        lock: L,
        retype: Option<String>,
        warnings: Vec<LockWarning>,
        /// When a frame first showed these terms (`None` until one did).
        shown_at: Option<DateTime<Utc>>,
    },
    /// The money-moving POST is on its way; the ticket closes when it answers. It must leave
    /// before `deadline` (the lock's expiry less the safety margin) or not at all.
    Submitting {
        deadline: DateTime<Utc>,
    },
    /// The lock or the POST was refused; `l` locks again.
    Rejected {
        message: String,
    },
    /// Confirm was refused because P100 asked us to pause until `until`, after the lock's
    /// deadline: nothing was sent; `l` locks again.
    Throttled {
        until: DateTime<Utc>,
    },
}

/// The stage of a ticket without its data, for key handling and display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    Editing,
    Locking,
    Locked,
    Submitting,
    Rejected,
}

impl<L> Stage<L> {
    pub fn kind(&self) -> StageKind {
        match self {
            Stage::Editing => StageKind::Editing,
            Stage::Locking => StageKind::Locking,
            Stage::Locked { .. } => StageKind::Locked,
            Stage::Submitting { .. } => StageKind::Submitting,
            Stage::Rejected { .. } | Stage::Throttled { .. } => StageKind::Rejected,
        }
    }

    /// The refusal shown in a rejected ticket. Times are UTC here; the dialog shows them in
    /// the user's offset.
    pub fn rejection(&self) -> Option<String> {
        match self {
            Stage::Rejected { message } => Some(message.clone()),
            Stage::Throttled { until } => {
                Some(throttled_message(&until.format("%H:%M:%S UTC").to_string()))
            }
            _ => None,
        }
    }

    /// How long until a confirm counts: zero once the terms have been on screen for
    /// [`CONFIRM_DELAY_MS`], the whole delay while no frame has shown them yet.
    pub fn confirm_wait(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        let Stage::Locked { shown_at, .. } = self else {
            return None;
        };
        let delay = chrono::Duration::milliseconds(CONFIRM_DELAY_MS);
        // Clamped to the delay: `now` is the last message's time, a frame may be newer.
        Some(shown_at.map_or(delay, |shown| {
            (shown + delay - now).clamp(chrono::Duration::zero(), delay)
        }))
    }

    /// The lock shown, in the locked view.
    pub fn lock(&self) -> Option<&L> {
        match self {
            Stage::Locked { lock, .. } => Some(lock),
            _ => None,
        }
    }

    /// The amount typed again in the locked view, when one is asked for.
    pub fn retype(&self) -> Option<&str> {
        match self {
            Stage::Locked { retype, .. } => retype.as_deref(),
            _ => None,
        }
    }

    pub fn retype_mut(&mut self) -> Option<&mut String> {
        match self {
            Stage::Locked { retype, .. } => retype.as_mut(),
            _ => None,
        }
    }

    /// When a frame first showed the locked terms, in the locked view.
    pub fn shown_at_mut(&mut self) -> Option<&mut Option<DateTime<Utc>>> {
        match self {
            Stage::Locked { shown_at, .. } => Some(shown_at),
            _ => None,
        }
    }

    /// The deadline of a POST on its way.
    pub fn submit_deadline(&self) -> Option<DateTime<Utc>> {
        match self {
            Stage::Submitting { deadline } => Some(*deadline),
            _ => None,
        }
    }
}

/// Why a confirm was refused during a server-requested pause; `until` is already formatted.
pub fn throttled_message(until: &str) -> String {
    format!(
        "P100 asked us to wait until {until}; the lock expires first: nothing was sent, `l` re-locks"
    )
}

/// How a lock stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockClock {
    /// Confirmable; whole seconds left (for display) and milliseconds left.
    Live { seconds_left: i64, millis_left: i64 },
    /// Too close to expiry (within the safety margin) or past it.
    Expired,
}

pub fn lock_clock(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> LockClock {
    let millis_left = (expires_at - now).num_milliseconds();
    if millis_left <= LOCK_SAFETY_MARGIN_MS {
        LockClock::Expired
    } else {
        LockClock::Live {
            seconds_left: (millis_left - LOCK_SAFETY_MARGIN_MS + 999) / 1000,
            millis_left,
        }
    }
}

/// The next currency we hold after (or before) `current`, for Up/Down in a currency field.
pub fn cycle_currency(
    current: &str,
    balances: &BalancesPane,
    step: isize,
    crypto_only: bool,
) -> Option<String> {
    let options: Vec<&Currency> = balances
        .rows
        .iter()
        .filter(|row| !crypto_only || matches!(row.kind, BalanceKind::Crypto { .. }))
        .map(|row| &row.currency)
        .collect();
    cycle(
        &options.iter().map(ToString::to_string).collect::<Vec<_>>(),
        current,
        step,
    )
}

/// The option after (or before) `current` in `options`, wrapping; the first when not found.
pub fn cycle(options: &[String], current: &str, step: isize) -> Option<String> {
    if options.is_empty() {
        return None;
    }
    let len = isize::try_from(options.len()).ok()?;
    let index = options
        .iter()
        .position(|option| option.eq_ignore_ascii_case(current))
        .and_then(|index| isize::try_from(index).ok())
        .map_or(0, |index| (index + step).rem_euclid(len));
    options.get(usize::try_from(index).ok()?).cloned()
}

// The open ticket and `each_kind!` are generated from the one list of kinds.
pub use super::money_actions::Ticket;
pub(crate) use super::money_actions::each_kind;

impl Ticket {
    pub fn seq(&self) -> u64 {
        each_kind!(self, t => t.seq)
    }

    pub fn stage_kind(&self) -> StageKind {
        each_kind!(self, t => t.stage.kind())
    }

    /// The refusal message of a rejected ticket.
    pub fn rejection(&self) -> Option<String> {
        each_kind!(self, t => t.stage.rejection())
    }

    /// See [`Stage::confirm_wait`].
    pub fn confirm_wait(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        each_kind!(self, t => t.stage.confirm_wait(now))
    }

    /// The amount typed again in the locked view, when one is asked for.
    pub fn retype_mut(&mut self) -> Option<&mut String> {
        each_kind!(self, t => t.stage.retype_mut())
    }

    /// When the current lock expires, if a lock is shown.
    pub fn lock_expiry(&self) -> Option<DateTime<Utc>> {
        each_kind!(self, t => t.stage.lock().map(|lock| trade_expiry(t, lock)))
    }
}

/// The expiry of `lock`, typed by the form it belongs to.
fn trade_expiry<K: super::trade_kind::TradeKind>(_: &K, lock: &K::Lock) -> DateTime<Utc> {
    K::expires_at(lock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::{Balances, CryptoBalance, FiatBalance, FiatStatus, NetworkConfig};
    use rust_decimal::Decimal;
    use std::collections::BTreeMap;
    use std::str::FromStr;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("decimal")
    }

    fn pane() -> BalancesPane {
        let mut networks = BTreeMap::new();
        networks.insert("polygon".to_string(), NetworkConfig::default());
        networks.insert("ethereum".to_string(), NetworkConfig::default());
        let mut pane = BalancesPane::default();
        pane.load(
            Balances {
                fiat_balances: vec![FiatBalance {
                    id: "f".into(),
                    amount: dec("1000.00"),
                    name: Currency::new("eur"),
                    rate: Some(Decimal::ONE),
                    iban: None,
                    status: FiatStatus::Active,
                }],
                crypto_balances: vec![CryptoBalance {
                    id: "c".into(),
                    amount: dec("50.000000"),
                    name: Currency::new("usdc"),
                    wallet: None,
                    rate: Some(dec("0.9")),
                    network_config: networks,
                }],
                unreadable: Vec::new(),
            },
            Utc::now(),
        );
        pane
    }

    #[test]
    fn exchange_validation_reports_each_problem() {
        let balances = pane();
        let mut ticket = ExchangeTicket::new("usdc", "eur", 1);
        ticket.amount = "10.5".into();
        assert_eq!(
            ticket.validate(&balances),
            Ok(ValidExchange {
                from: Currency::new("usdc"),
                to: Currency::new("eur"),
                amount: dec("10.5")
            })
        );
        ticket.amount = "10.1234567".into();
        assert_eq!(
            ticket.validate(&balances),
            Err(vec!["Amount: USDC allows at most 6 decimals".to_string()])
        );
        ticket.amount = "50.000001".into();
        assert_eq!(
            ticket.validate(&balances),
            Err(vec![
                "Amount is above the available 50.000000 USDC".to_string()
            ])
        );
        ticket.to = "USDC".into();
        ticket.amount = "0".into();
        let problems = ticket.validate(&balances).expect_err("two problems");
        assert_eq!(problems.len(), 2, "{problems:?}");
        ticket.from = "DOGE".into();
        let problems = ticket.validate(&balances).expect_err("unknown currency");
        assert!(problems[0].contains("DOGE is not one of your balances"));
    }

    #[test]
    fn order_validation_limits_networks_to_the_currency() {
        let balances = pane();
        let mut ticket = OrderTicket::new("usdc", "polygon", 1);
        ticket.amount = "346.59".into();
        assert!(ticket.validate(&balances).is_ok());
        ticket.network = "tron".into();
        let problems = ticket.validate(&balances).expect_err("bad network");
        assert_eq!(problems, vec!["Network: choose one of ethereum, polygon"]);
        ticket.currency = "eur".into();
        let problems = ticket.validate(&balances).expect_err("fiat");
        assert!(problems[0].contains("no networks"), "{problems:?}");
        ticket.currency = "usdc".into();
        ticket.network = "polygon".into();
        ticket.amount = "1.001".into();
        assert!(ticket.validate(&balances).is_err());
    }

    #[test]
    fn lock_clock_keeps_a_safety_margin() {
        let now = Utc::now();
        let at = |ms| now + chrono::Duration::milliseconds(ms);
        assert_eq!(
            lock_clock(at(30_000), now),
            LockClock::Live {
                seconds_left: 28,
                millis_left: 30_000
            }
        );
        assert_eq!(lock_clock(at(2_000), now), LockClock::Expired);
        assert_eq!(lock_clock(at(-5), now), LockClock::Expired);
        assert!(matches!(
            lock_clock(at(2_001), now),
            LockClock::Live {
                seconds_left: 1,
                ..
            }
        ));
    }

    #[test]
    fn cycling_wraps_and_starts_at_the_first() {
        let options = vec!["A".to_string(), "B".to_string(), "C".to_string()];
        assert_eq!(cycle(&options, "b", 1).as_deref(), Some("C"));
        assert_eq!(cycle(&options, "C", 1).as_deref(), Some("A"));
        assert_eq!(cycle(&options, "A", -1).as_deref(), Some("C"));
        assert_eq!(cycle(&options, "zzz", 1).as_deref(), Some("A"));
        assert_eq!(cycle(&[], "A", 1), None);
        assert_eq!(
            cycle_currency("EUR", &pane(), 1, false).as_deref(),
            Some("USDC")
        );
        assert_eq!(
            cycle_currency("", &pane(), 1, true).as_deref(),
            Some("USDC")
        );
    }
}
