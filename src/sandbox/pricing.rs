//! Prices: each currency's EUR value (seeded, drifting slowly and deterministically), exchange
//! quotes with a spread, and order (crypto -> EUR) rates.
//!
//! Everything here is a sandbox choice; the real API does not publish its pricing.

use std::time::Duration;

use rust_decimal::{Decimal, RoundingStrategy};

use super::currency::round_significant;
use super::ledger::Ledger;

/// One full up-and-down swing of the drift.
const DRIFT_PERIOD_MS: u64 = 10 * 60 * 1000;
/// Half the peak-to-peak drift: prices move within +-0.4 % of the seeded value.
const DRIFT_AMPLITUDE: Decimal = Decimal::from_parts(4, 0, 0, false, 3);
/// The partner gets 0.5 % less than mid on an exchange.
const EXCHANGE_SPREAD: Decimal = Decimal::from_parts(5, 0, 0, false, 3);
/// The documented exchange fee (P100-API.md, Fees page: 1.49 %, negotiable), deducted from
/// what is received: "Exchange 100 EUR to DOGE (rate ~0.182) -> fee 1.49 EUR -> receives
/// ~541.26 DOGE", i.e. `amountTo = amount x rate x (1 - 0.0149)`, while `rate` itself is the
/// rate before the fee. The desk's lock check (`[trading] exchange_fee_pct`, default 1.49)
/// holds the lock to the same figure.
pub const EXCHANGE_FEE: Decimal = Decimal::from_parts(149, 0, 0, false, 4);
/// P100 pays 1 % less than mid for crypto an order sells.
const ORDER_SPREAD: Decimal = Decimal::from_parts(1, 0, 0, false, 2);
/// Significant digits of an exchange rate.
const EXCHANGE_RATE_DIGITS: u32 = 8;
/// Significant digits of an order rate (the documented example is `"0.84"`).
const ORDER_RATE_DIGITS: u32 = 6;

/// A priced conversion of `amount` of `from` into `amount_to` of `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub from: String,
    pub to: String,
    pub amount: Decimal,
    pub rate: Decimal,
    pub amount_to: Decimal,
}

/// A triangle wave in `1 - A ..= 1 + A`, shifted by `phase` so currencies do not move in step.
/// Integer maths only, so the same elapsed time always gives the same price.
pub fn drift_factor(elapsed: Duration, phase: usize) -> Decimal {
    let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    let shift = u64::try_from(phase)
        .unwrap_or(0)
        .wrapping_mul(DRIFT_PERIOD_MS / 7);
    let position = elapsed_ms.wrapping_add(shift) % DRIFT_PERIOD_MS;
    let half = DRIFT_PERIOD_MS / 2;
    let distance = if position < half {
        position
    } else {
        DRIFT_PERIOD_MS - position
    };
    let unit = Decimal::from(distance) * Decimal::TWO / Decimal::from(half) - Decimal::ONE;
    Decimal::ONE + DRIFT_AMPLITUDE * unit
}

/// The value of one unit of `currency` in EUR at `elapsed` since start. EUR itself is fixed.
pub fn eur_value(ledger: &Ledger, currency: &str, elapsed: Duration) -> Option<Decimal> {
    let (index, account) = ledger
        .accounts()
        .iter()
        .enumerate()
        .find(|(_, account)| account.name == currency)?;
    if currency == "eur" {
        return Some(Decimal::ONE);
    }
    let value = account.eur_value * drift_factor(elapsed, index);
    Some(round_significant(value, 10))
}

/// How many `to` one `from` buys, spread included.
pub fn exchange_rate(from_value: Decimal, to_value: Decimal) -> Option<Decimal> {
    if to_value.is_zero() {
        return None;
    }
    let mid = from_value.checked_div(to_value)?;
    Some(round_significant(
        mid * (Decimal::ONE - EXCHANGE_SPREAD),
        EXCHANGE_RATE_DIGITS,
    ))
}

/// What `amount` at `rate` buys after the exchange fee, `amount x rate x (1 - fee)`, at the
/// target scale, rounded down (sandbox choice: never pay out a fraction the rate did not earn).
pub fn convert(amount: Decimal, rate: Decimal, to_scale: u32) -> Option<Decimal> {
    Some(
        amount
            .checked_mul(rate)?
            .checked_mul(Decimal::ONE - EXCHANGE_FEE)?
            .round_dp_with_strategy(to_scale, RoundingStrategy::ToZero),
    )
}

/// EUR paid per unit of crypto on an order.
pub fn order_rate(crypto_value: Decimal) -> Decimal {
    round_significant(
        crypto_value * (Decimal::ONE - ORDER_SPREAD),
        ORDER_RATE_DIGITS,
    )
}

/// The crypto a payer must send so that `fiat` is covered at `rate`, rounded up to the
/// crypto's scale (never short by a fraction of a unit).
pub fn crypto_for_fiat(fiat: Decimal, rate: Decimal, crypto_scale: u32) -> Option<Decimal> {
    Some(
        fiat.checked_div(rate)?
            .round_dp_with_strategy(crypto_scale, RoundingStrategy::AwayFromZero),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::currency::parse_decimal;

    fn dec(text: &str) -> Decimal {
        parse_decimal(text).expect("valid decimal")
    }

    #[test]
    fn drift_stays_within_the_amplitude_and_repeats() {
        for step in 0..40u64 {
            let factor = drift_factor(Duration::from_secs(step * 17), 3);
            assert!(factor >= dec("0.996") && factor <= dec("1.004"), "{factor}");
        }
        let period = Duration::from_millis(DRIFT_PERIOD_MS);
        assert_eq!(
            drift_factor(Duration::from_secs(42), 1),
            drift_factor(Duration::from_secs(42) + period, 1)
        );
        assert_eq!(drift_factor(Duration::ZERO, 0), dec("0.996"));
        assert_eq!(
            drift_factor(Duration::from_millis(DRIFT_PERIOD_MS / 2), 0),
            dec("1.004")
        );
    }

    #[test]
    fn exchange_rates_carry_the_spread() {
        assert_eq!(
            exchange_rate(dec("2300"), Decimal::ONE),
            Some(dec("2288.5"))
        );
        assert_eq!(exchange_rate(Decimal::ONE, Decimal::ZERO), None);
        // 22885 less the 1.49 % fee (340.9865), rounded down to the cent.
        assert_eq!(convert(dec("10"), dec("2288.5"), 2), Some(dec("22544.01")));
        assert_eq!(convert(dec("0.333"), dec("1.5"), 2), Some(dec("0.49")));
        // The Fees page's own example: 100 EUR to DOGE at ~0.182 EUR a DOGE receives ~541.26.
        let per_eur = Decimal::ONE / dec("0.182");
        let doge = convert(dec("100"), per_eur, 8).expect("priced");
        assert_eq!(doge.round_dp(2), dec("541.26"));
    }

    #[test]
    fn order_amounts_cover_the_fiat() {
        let rate = order_rate(dec("0.848484"));
        assert_eq!(rate, dec("0.839999"));
        let crypto = crypto_for_fiat(dec("346.59"), dec("0.84"), 6).expect("priced");
        assert_eq!(crypto, dec("412.607143"));
        assert!(crypto * dec("0.84") >= dec("346.59"));
    }
}
