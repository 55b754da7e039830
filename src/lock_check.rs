//! Checks a rate lock against the request it answers, before anything can be confirmed.
//!
//! A lock is the server's word on what will be executed, and a proxy, a bug or a hostile server
//! must not decide the trade: what the user typed (the intent) is the truth. These functions are
//! pure (no UI, no I/O, no clock: `now` is passed in), so the dashboard and the headless CLI
//! refuse and warn alike. A refused lock is never confirmable; an accepted one may carry warnings,
//! which the caller shows and answers by asking for the amount to be typed again.
//!
//! The POST that follows an accepted lock is built from the intent plus the lock id only (see
//! `ExchangeIntent::request`), never from the lock's echo of pair and amount.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use crate::api::models::{Currency, ExchangeLock, ExchangeRequest, OrderLock};
use crate::money;
use crate::number_format::NumberFormat;

/// The limits a lock is held to. Defaults follow P100-API.md; each is configurable
/// (`[trading]` in the config file, see `config::trading`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockPolicy {
    /// A locked rate further than this (percent) from the last indicative quote is warned about.
    pub max_rate_deviation_pct: Decimal,
    /// The exchange fee the docs give (1.49 %, negotiable), deducted from what is received:
    /// `amountTo` may fall short of `amount x rate` by this much (plus rounding) unwarned.
    pub exchange_fee_pct: Decimal,
    /// An expiry further than this from now is warned about (a lock is "valid for a limited
    /// time"; a far expiry suggests a server that does not mean it).
    pub max_lock_lifetime: Duration,
}

impl Default for LockPolicy {
    fn default() -> Self {
        Self {
            max_rate_deviation_pct: Decimal::new(2, 0),
            exchange_fee_pct: Decimal::new(149, 2),
            max_lock_lifetime: Duration::minutes(10),
        }
    }
}

/// An exchange as the user asked for it (validated input, not a server echo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeIntent {
    pub from: Currency,
    pub to: Currency,
    pub amount: Decimal,
}

impl ExchangeIntent {
    /// The `POST /v1/partner/exchange` body: the intent plus the lock id, nothing of the lock's
    /// echo. Call only with a lock [`check_exchange_lock`] accepted.
    pub fn request(&self, lock_id: &str) -> ExchangeRequest {
        ExchangeRequest {
            amount: self.amount,
            currency_from: self.from.clone(),
            currency_to: self.to.clone(),
            lock_id: lock_id.to_owned(),
        }
    }
}

/// An order as the user asked for it: the crypto the payer sends, its network, and the fiat
/// amount to settle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderIntent {
    pub currency: Currency,
    /// Lower-case network slug (`polygon`).
    pub network: String,
    pub fiat_amount: Decimal,
    /// The fiat orders settle into (EUR per the docs).
    pub fiat: Currency,
}

/// What a check concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockVerdict {
    /// The lock must not be confirmed; nothing may be sent on it.
    Refused(LockRefusal),
    /// The lock matches the request. Any warning means the amount must be typed again before
    /// the confirm key works.
    Accepted { warnings: Vec<LockWarning> },
}

impl LockVerdict {
    pub fn is_refused(&self) -> bool {
        matches!(self, Self::Refused(_))
    }
}

/// Why a lock was refused. Amounts and currencies are as asked and as the lock said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockRefusal {
    /// The lock id is empty (or only blanks): there is nothing to confirm.
    NoLockId,
    /// The exchange lock is for another pair.
    PairMismatch {
        asked: (Currency, Currency),
        locked: (Currency, Currency),
    },
    /// The exchange lock is for another amount.
    AmountMismatch { asked: Decimal, locked: Decimal },
    /// The order lock is for another crypto.
    CurrencyMismatch { asked: Currency, locked: Currency },
    /// The order lock is for another network.
    NetworkMismatch { asked: String, locked: String },
    /// The order lock settles into another fiat currency.
    DestinationMismatch { asked: Currency, locked: Currency },
    /// An amount or rate of the lock is zero or negative.
    NotPositive { what: &'static str, value: Decimal },
    /// The lock had already expired when it was checked.
    Expired { expires_at: DateTime<Utc> },
    /// `amount x rate` cannot be computed (absurd magnitudes).
    Unrepresentable,
}

impl LockRefusal {
    /// True for refusals that mean "the lock is about something else", as opposed to a lock
    /// that is unusable in itself.
    pub fn is_mismatch(&self) -> bool {
        matches!(
            self,
            Self::PairMismatch { .. }
                | Self::AmountMismatch { .. }
                | Self::CurrencyMismatch { .. }
                | Self::NetworkMismatch { .. }
                | Self::DestinationMismatch { .. }
        )
    }

    /// The detail alone ("it is for 400 USDC, you asked for 1 EUR"), canonical (`.` decimals):
    /// for the journal.
    pub fn detail(&self) -> String {
        self.detail_in(NumberFormat::default())
    }

    /// The detail with its numbers written in `nf`, for people.
    pub fn detail_in(&self, nf: NumberFormat) -> String {
        match self {
            Self::NoLockId => "it has no lock id".to_owned(),
            Self::PairMismatch { asked, locked } => format!(
                "it is for {} → {}, you asked for {} → {}",
                locked.0, locked.1, asked.0, asked.1
            ),
            Self::AmountMismatch { asked, locked } => format!(
                "it is for an amount of {}, you asked for {}",
                plain(*locked, nf),
                plain(*asked, nf)
            ),
            Self::CurrencyMismatch { asked, locked } => {
                format!("it is for {locked}, you asked for {asked}")
            }
            Self::NetworkMismatch { asked, locked } => {
                format!("it is for the {locked} network, you asked for {asked}")
            }
            Self::DestinationMismatch { asked, locked } => {
                format!("it settles into {locked}, you asked for {asked}")
            }
            Self::NotPositive { what, value } => format!("its {what} is {}", plain(*value, nf)),
            Self::Expired { expires_at } => format!(
                "it had already expired ({}) when it arrived",
                expires_at.format("%H:%M:%S UTC")
            ),
            Self::Unrepresentable => "its amount times its rate cannot be computed".to_owned(),
        }
    }
}

impl fmt::Display for LockRefusal {
    /// In the default number format; the desk shows [`LockRefusal::text`] in the user's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(NumberFormat::default()))
    }
}

impl LockRefusal {
    /// The sentence for people, its numbers written in `nf`.
    pub fn text(&self, nf: NumberFormat) -> String {
        let headline = if self.is_mismatch() {
            "The server's lock does not match your request"
        } else {
            "The server's lock is unusable"
        };
        format!("{headline}: nothing was sent ({}).", self.detail_in(nf))
    }
}

/// Something about an accepted lock that a person should look at before confirming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockWarning {
    /// The locked rate is further than the policy allows from the last indicative quote.
    RateDeviation {
        quoted: Decimal,
        locked: Decimal,
        /// Percent, rounded to two decimals.
        deviation_pct: Decimal,
        max_pct: Decimal,
    },
    /// An exchange's `amountTo` falls short of `amount x rate` by more than the documented fee.
    FeeAboveDocumented {
        expected: Decimal,
        received: Decimal,
        currency: Currency,
        /// Percent of `expected`, rounded to two decimals.
        fee_pct: Decimal,
        max_pct: Decimal,
    },
    /// An exchange's `amountTo` is more than `amount x rate`: the lock contradicts itself.
    ReceivesMoreThanRate {
        expected: Decimal,
        received: Decimal,
        currency: Currency,
    },
    /// An order's crypto amount times its rate is not the fiat amount asked for.
    OrderAmountInconsistent {
        crypto_amount: Decimal,
        crypto: Currency,
        settles: Decimal,
        asked: Decimal,
    },
    /// The lock's expiry is further away than the policy allows.
    LongExpiry {
        expires_at: DateTime<Utc>,
        max: Duration,
    },
}

impl fmt::Display for LockWarning {
    /// In the default number format; the ticket shows [`LockWarning::text`] in the user's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(NumberFormat::default()))
    }
}

impl LockWarning {
    /// The warning for people, its amounts and rates written in `nf` (the `number_format`
    /// setting, so the screen reads the way its amount fields parse).
    pub fn text(&self, nf: NumberFormat) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_in(&mut out, nf);
        out
    }

    fn write_in(&self, f: &mut impl fmt::Write, nf: NumberFormat) -> fmt::Result {
        match self {
            Self::RateDeviation {
                quoted,
                locked,
                deviation_pct,
                max_pct,
            } => write!(
                f,
                "rate {} is {}% from the indicative {} (over {}%)",
                nf.format_rate(*locked),
                plain(*deviation_pct, nf),
                nf.format_rate(*quoted),
                plain(*max_pct, nf),
            ),
            Self::FeeAboveDocumented {
                expected,
                received,
                currency,
                fee_pct,
                max_pct,
            } => write!(
                f,
                "you receive {} {currency}, {}% below amount x rate ({} {currency}); the \
                 documented fee is {}%",
                nf.format_amount(*received, currency.as_str()),
                plain(*fee_pct, nf),
                nf.format_amount(*expected, currency.as_str()),
                plain(*max_pct, nf),
            ),
            Self::ReceivesMoreThanRate {
                expected,
                received,
                currency,
            } => write!(
                f,
                "the lock says you receive {} {currency}, more than amount x rate ({} \
                 {currency})",
                nf.format_amount(*received, currency.as_str()),
                nf.format_amount(*expected, currency.as_str()),
            ),
            Self::OrderAmountInconsistent {
                crypto_amount,
                crypto,
                settles,
                asked,
            } => write!(
                f,
                "{} {crypto} at the locked rate is {} EUR, not the {} EUR asked",
                nf.format_amount(*crypto_amount, crypto.as_str()),
                nf.format_eur(*settles),
                nf.format_eur(*asked),
            ),
            Self::LongExpiry { expires_at, max } => write!(
                f,
                "the lock claims to hold until {}, longer than the {} min expected",
                expires_at.format("%Y-%m-%d %H:%M:%S UTC"),
                max.num_minutes()
            ),
        }
    }
}

/// A percentage as it is (trailing zeros kept), with `nf`'s decimal mark.
fn plain(value: Decimal, nf: NumberFormat) -> String {
    value
        .to_string()
        .replace('.', &nf.decimal_separator().to_string())
}

/// Checks an exchange lock against the exchange asked for.
///
/// Refused: an empty lock id, another pair, another amount (compared by value, so `10` and
/// `10.000000` are the same amount; any other digit is not), a non-positive amount, rate or
/// `amountTo`, or an expiry already past. Warned: the rate too far from `last_quote` (the last
/// indicative rate for this pair, if one arrived), `amountTo` below `amount x rate` by more than
/// the fee (or above it), an expiry further than the policy's maximum.
pub fn check_exchange_lock(
    intent: &ExchangeIntent,
    lock: &ExchangeLock,
    policy: &LockPolicy,
    last_quote: Option<Decimal>,
    now: DateTime<Utc>,
) -> LockVerdict {
    match exchange_refusal(intent, lock, now) {
        Some(refusal) => LockVerdict::Refused(refusal),
        None => match lock.amount.checked_mul(lock.rate) {
            None => LockVerdict::Refused(LockRefusal::Unrepresentable),
            Some(expected) => {
                let mut warnings = Vec::new();
                warnings.extend(rate_warning(last_quote, lock.rate, policy));
                warnings.extend(fee_warning(
                    expected,
                    lock.amount_to,
                    &lock.currency_to,
                    policy,
                ));
                warnings.extend(expiry_warning(lock.expires_at, now, policy));
                LockVerdict::Accepted { warnings }
            }
        },
    }
}

fn exchange_refusal(
    intent: &ExchangeIntent,
    lock: &ExchangeLock,
    now: DateTime<Utc>,
) -> Option<LockRefusal> {
    if lock.lock_id.trim().is_empty() {
        return Some(LockRefusal::NoLockId);
    }
    if lock.currency_from != intent.from || lock.currency_to != intent.to {
        return Some(LockRefusal::PairMismatch {
            asked: (intent.from.clone(), intent.to.clone()),
            locked: (lock.currency_from.clone(), lock.currency_to.clone()),
        });
    }
    if let Some(refusal) = not_positive(&[
        ("amount", lock.amount),
        ("rate", lock.rate),
        ("amount to receive", lock.amount_to),
    ]) {
        return Some(refusal);
    }
    if lock.amount != intent.amount {
        return Some(LockRefusal::AmountMismatch {
            asked: intent.amount,
            locked: lock.amount,
        });
    }
    (lock.expires_at <= now).then_some(LockRefusal::Expired {
        expires_at: lock.expires_at,
    })
}

/// Checks an order lock against the order asked for.
///
/// Refused: an empty lock id, another crypto, another network (when the lock names one),
/// another destination currency (when named), a non-positive crypto amount or rate, or an expiry
/// already past. Warned: the rate too far from `last_quote` (the indicative rate of this
/// crypto and network), a crypto amount that does not settle the fiat asked for at the locked
/// rate (beyond rounding), an expiry further than the maximum. A lock that names no network
/// (tolerated: optional in the model) is taken to be for the network asked for, which is the
/// one the order is journaled with.
pub fn check_order_lock(
    intent: &OrderIntent,
    lock: &OrderLock,
    policy: &LockPolicy,
    last_quote: Option<Decimal>,
    now: DateTime<Utc>,
) -> LockVerdict {
    if let Some(refusal) = order_refusal(intent, lock, now) {
        return LockVerdict::Refused(refusal);
    }
    let Some(settles) = lock.amount.checked_mul(lock.rate) else {
        return LockVerdict::Refused(LockRefusal::Unrepresentable);
    };
    let mut warnings = Vec::new();
    warnings.extend(rate_warning(last_quote, lock.rate, policy));
    // The crypto amount is fiat / rate rounded to the crypto's scale (up or down: the docs'
    // example rounds down), so it may miss the fiat by one crypto unit's worth, plus a cent.
    let slack = lock.rate * unit_of(&lock.currency) + unit_of(&intent.fiat);
    if (settles - intent.fiat_amount).abs() > slack {
        warnings.push(LockWarning::OrderAmountInconsistent {
            crypto_amount: lock.amount,
            crypto: lock.currency.clone(),
            settles,
            asked: intent.fiat_amount,
        });
    }
    warnings.extend(expiry_warning(lock.expires_at, now, policy));
    LockVerdict::Accepted { warnings }
}

fn order_refusal(
    intent: &OrderIntent,
    lock: &OrderLock,
    now: DateTime<Utc>,
) -> Option<LockRefusal> {
    if lock.lock_id.trim().is_empty() {
        return Some(LockRefusal::NoLockId);
    }
    if lock.currency != intent.currency {
        return Some(LockRefusal::CurrencyMismatch {
            asked: intent.currency.clone(),
            locked: lock.currency.clone(),
        });
    }
    if let Some(network) = lock.network.as_deref().filter(|n| !n.trim().is_empty())
        && !network.trim().eq_ignore_ascii_case(intent.network.trim())
    {
        return Some(LockRefusal::NetworkMismatch {
            asked: intent.network.clone(),
            locked: network.trim().to_owned(),
        });
    }
    if let Some(destination) = &lock.destination_currency
        && *destination != intent.fiat
    {
        return Some(LockRefusal::DestinationMismatch {
            asked: intent.fiat.clone(),
            locked: destination.clone(),
        });
    }
    if let Some(refusal) = not_positive(&[("crypto amount", lock.amount), ("rate", lock.rate)]) {
        return Some(refusal);
    }
    (lock.expires_at <= now).then_some(LockRefusal::Expired {
        expires_at: lock.expires_at,
    })
}

fn not_positive(values: &[(&'static str, Decimal)]) -> Option<LockRefusal> {
    values
        .iter()
        .find(|(_, value)| *value <= Decimal::ZERO)
        .map(|&(what, value)| LockRefusal::NotPositive { what, value })
}

/// The smallest amount of `currency` (one unit at its scale); 1e-18 for unknown currencies.
fn unit_of(currency: &Currency) -> Decimal {
    let scale = money::scale_of(currency.as_str()).unwrap_or(money::MAX_SCALE);
    Decimal::new(1, scale)
}

fn rate_warning(
    quoted: Option<Decimal>,
    locked: Decimal,
    policy: &LockPolicy,
) -> Option<LockWarning> {
    let quoted = quoted.filter(|q| *q > Decimal::ZERO)?;
    let deviation_pct = ((locked - quoted).abs() * Decimal::ONE_HUNDRED).checked_div(quoted)?;
    (deviation_pct > policy.max_rate_deviation_pct).then(|| LockWarning::RateDeviation {
        quoted,
        locked,
        deviation_pct: deviation_pct.round_dp(2),
        max_pct: policy.max_rate_deviation_pct,
    })
}

fn fee_warning(
    expected: Decimal,
    received: Decimal,
    currency: &Currency,
    policy: &LockPolicy,
) -> Option<LockWarning> {
    // `amountTo` is rounded to the currency's scale: one unit either way is rounding.
    let unit = unit_of(currency);
    let shortfall = expected - received;
    if shortfall < -unit {
        return Some(LockWarning::ReceivesMoreThanRate {
            expected,
            received,
            currency: currency.clone(),
        });
    }
    let allowed = expected.checked_mul(policy.exchange_fee_pct)? / Decimal::ONE_HUNDRED + unit;
    (shortfall > allowed).then(|| LockWarning::FeeAboveDocumented {
        expected,
        received,
        currency: currency.clone(),
        fee_pct: (shortfall * Decimal::ONE_HUNDRED)
            .checked_div(expected)
            .unwrap_or_default()
            .round_dp(2),
        max_pct: policy.exchange_fee_pct,
    })
}

fn expiry_warning(
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
    policy: &LockPolicy,
) -> Option<LockWarning> {
    (expires_at - now > policy.max_lock_lifetime).then_some(LockWarning::LongExpiry {
        expires_at,
        max: policy.max_lock_lifetime,
    })
}

/// The fee an exchange lock implies: `amount x rate - amountTo`, cut (not rounded) to the
/// receiving currency's scale, so rounding dust is not called a fee. `None` when there is no
/// difference to show (or it cannot be computed). Never used to compute what is received: that
/// is the server's `amountTo`.
pub fn exchange_fee(lock: &ExchangeLock) -> Option<Decimal> {
    let expected = lock.amount.checked_mul(lock.rate)?;
    let difference = expected - lock.amount_to;
    let scale = money::scale_of(lock.currency_to.as_str()).unwrap_or(money::MAX_SCALE);
    let shown = difference.trunc_with_scale(scale);
    (!shown.is_zero()).then_some(shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("decimal")
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    fn intent() -> ExchangeIntent {
        ExchangeIntent {
            from: Currency::new("eur"),
            to: Currency::new("usdc"),
            amount: dec("100"),
        }
    }

    /// An honest lock for `intent()`: rate 1.05, the 1.49 % fee taken from what is received.
    fn lock() -> ExchangeLock {
        ExchangeLock {
            lock_id: "lk-1".into(),
            currency_from: Currency::new("eur"),
            currency_to: Currency::new("usdc"),
            amount: dec("100.00"),
            rate: dec("1.05"),
            amount_to: dec("103.435500"),
            expires_at: now() + Duration::seconds(30),
        }
    }

    fn warnings(verdict: LockVerdict) -> Vec<LockWarning> {
        match verdict {
            LockVerdict::Accepted { warnings } => warnings,
            LockVerdict::Refused(refusal) => panic!("refused: {refusal}"),
        }
    }

    fn refusal(verdict: LockVerdict) -> LockRefusal {
        match verdict {
            LockVerdict::Refused(refusal) => refusal,
            LockVerdict::Accepted { warnings } => panic!("accepted with {warnings:?}"),
        }
    }

    fn check(lock: &ExchangeLock, quote: Option<&str>) -> LockVerdict {
        check_exchange_lock(
            &intent(),
            lock,
            &LockPolicy::default(),
            quote.map(dec),
            now(),
        )
    }

    #[test]
    fn an_honest_lock_with_the_documented_fee_passes_clean() {
        assert_eq!(warnings(check(&lock(), Some("1.049"))), vec![]);
        assert_eq!(exchange_fee(&lock()), Some(dec("1.564500")));
    }

    #[test]
    fn a_lock_for_another_pair_or_amount_is_refused() {
        let other = ExchangeLock {
            currency_from: Currency::new("usdc"),
            currency_to: Currency::new("eth"),
            amount: dec("400"),
            ..lock()
        };
        let refused = refusal(check(&other, None));
        assert!(refused.is_mismatch());
        let text = refused.to_string();
        assert!(
            text.starts_with("The server's lock does not match your request: nothing was sent"),
            "{text}"
        );
        assert!(text.contains("USDC → ETH"), "{text}");

        let more = ExchangeLock {
            amount: dec("100.01"),
            ..lock()
        };
        assert_eq!(
            refusal(check(&more, None)),
            LockRefusal::AmountMismatch {
                asked: dec("100"),
                locked: dec("100.01")
            }
        );
    }

    #[test]
    fn unusable_locks_are_refused() {
        let blank = ExchangeLock {
            lock_id: "  ".into(),
            ..lock()
        };
        assert_eq!(refusal(check(&blank, None)), LockRefusal::NoLockId);
        let negative = ExchangeLock {
            amount: dec("-100"),
            ..lock()
        };
        assert!(matches!(
            refusal(check(&negative, None)),
            LockRefusal::NotPositive { what: "amount", .. }
        ));
        let free = ExchangeLock {
            rate: Decimal::ZERO,
            ..lock()
        };
        assert!(matches!(
            refusal(check(&free, None)),
            LockRefusal::NotPositive { what: "rate", .. }
        ));
        let stale = ExchangeLock {
            expires_at: now() - Duration::seconds(1),
            ..lock()
        };
        assert!(matches!(
            refusal(check(&stale, None)),
            LockRefusal::Expired { .. }
        ));
    }

    #[test]
    fn a_rate_far_from_the_quote_is_warned() {
        let found = warnings(check(&lock(), Some("1.02")));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            matches!(&found[0], LockWarning::RateDeviation { deviation_pct, .. } if *deviation_pct == dec("2.94")),
            "{found:?}"
        );
        // Exactly at the limit is fine; no quote means nothing to compare.
        let at_limit = ExchangeLock {
            rate: dec("1.071"),
            amount_to: dec("107.1"),
            ..lock()
        };
        assert_eq!(warnings(check(&at_limit, Some("1.05"))), vec![]);
        assert_eq!(warnings(check(&lock(), None)), vec![]);
    }

    #[test]
    fn amount_to_is_held_to_the_documented_fee() {
        let greedy = ExchangeLock {
            amount_to: dec("100.000000"),
            ..lock()
        };
        let found = warnings(check(&greedy, None));
        assert!(
            matches!(&found[..], [LockWarning::FeeAboveDocumented { fee_pct, .. }] if *fee_pct == dec("4.76")),
            "{found:?}"
        );
        let generous = ExchangeLock {
            amount_to: dec("106"),
            ..lock()
        };
        assert!(matches!(
            &warnings(check(&generous, None))[..],
            [LockWarning::ReceivesMoreThanRate { .. }]
        ));
        // Rounding to the currency's scale is not a fee, and shows no fee line.
        let rounded = ExchangeLock {
            rate: dec("1.0512345678"),
            amount_to: dec("105.123456"),
            ..lock()
        };
        assert_eq!(warnings(check(&rounded, None)), vec![]);
        assert_eq!(exchange_fee(&rounded), None);
        // A negotiated fee is a setting.
        let policy = LockPolicy {
            exchange_fee_pct: Decimal::new(5, 0),
            ..LockPolicy::default()
        };
        let verdict = check_exchange_lock(&intent(), &greedy, &policy, None, now());
        assert_eq!(warnings(verdict), vec![]);
    }

    #[test]
    fn a_far_expiry_is_warned() {
        let long = ExchangeLock {
            expires_at: now() + Duration::minutes(11),
            ..lock()
        };
        assert!(matches!(
            &warnings(check(&long, None))[..],
            [LockWarning::LongExpiry { .. }]
        ));
        let ten = ExchangeLock {
            expires_at: now() + Duration::minutes(10),
            ..lock()
        };
        assert_eq!(warnings(check(&ten, None)), vec![]);
    }

    #[test]
    fn the_request_is_the_intent_plus_the_lock_id() {
        let request = intent().request("lk-9");
        assert_eq!(
            request,
            ExchangeRequest {
                amount: dec("100"),
                currency_from: Currency::new("eur"),
                currency_to: Currency::new("usdc"),
                lock_id: "lk-9".into(),
            }
        );
    }

    fn order_intent() -> OrderIntent {
        OrderIntent {
            currency: Currency::new("usdc"),
            network: "polygon".into(),
            fiat_amount: dec("346.59"),
            fiat: Currency::new("eur"),
        }
    }

    /// The documented order lock: 346.59 EUR at 0.84 is 412.607142 USDC (rounded down).
    fn order_lock() -> OrderLock {
        OrderLock {
            lock_id: "36e19a53".into(),
            amount: dec("412.607142"),
            rate: dec("0.84"),
            expires_at: now() + Duration::seconds(30),
            currency: Currency::new("usdc"),
            destination_currency: Some(Currency::new("eur")),
            network: Some("polygon".into()),
        }
    }

    fn check_order(lock: &OrderLock, quote: Option<&str>) -> LockVerdict {
        check_order_lock(
            &order_intent(),
            lock,
            &LockPolicy::default(),
            quote.map(dec),
            now(),
        )
    }

    #[test]
    fn the_documented_order_lock_passes() {
        assert_eq!(warnings(check_order(&order_lock(), Some("0.84"))), vec![]);
        let upper = OrderLock {
            network: Some("POLYGON".into()),
            ..order_lock()
        };
        assert_eq!(warnings(check_order(&upper, None)), vec![]);
    }

    #[test]
    fn an_order_lock_for_another_crypto_network_or_fiat_is_refused() {
        let crypto = OrderLock {
            currency: Currency::new("usdt"),
            ..order_lock()
        };
        assert!(matches!(
            refusal(check_order(&crypto, None)),
            LockRefusal::CurrencyMismatch { .. }
        ));
        let network = OrderLock {
            network: Some("ethereum".into()),
            ..order_lock()
        };
        assert!(matches!(
            refusal(check_order(&network, None)),
            LockRefusal::NetworkMismatch { .. }
        ));
        let fiat = OrderLock {
            destination_currency: Some(Currency::new("usdc")),
            ..order_lock()
        };
        assert!(matches!(
            refusal(check_order(&fiat, None)),
            LockRefusal::DestinationMismatch { .. }
        ));
        let empty = OrderLock {
            lock_id: String::new(),
            ..order_lock()
        };
        assert_eq!(refusal(check_order(&empty, None)), LockRefusal::NoLockId);
    }

    #[test]
    fn order_lock_warnings() {
        let older = OrderLock {
            network: None,
            destination_currency: None,
            ..order_lock()
        };
        assert_eq!(warnings(check_order(&older, None)), vec![]);
        let short = OrderLock {
            amount: dec("400"),
            ..order_lock()
        };
        assert!(matches!(
            &warnings(check_order(&short, None))[..],
            [LockWarning::OrderAmountInconsistent { .. }]
        ));
        assert!(matches!(
            &warnings(check_order(&order_lock(), Some("0.80")))[..],
            [LockWarning::RateDeviation { .. }]
        ));
    }
}
