//! Currency facts the sandbox needs: decimal scales, parsing amounts, and writing them as JSON.
//!
//! Kept apart from `crate::money` on purpose: the sandbox must not share code with the client,
//! so a formatting bug on one side cannot hide by being mirrored on the other.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

/// The number of decimals an amount of `currency` carries on the wire, or `None` if the
/// sandbox does not know the currency. `gbp` is a sandbox choice: the second fiat account,
/// seeded as waiting for activation.
///
/// From P100's documented amount strings (P100-API.md, rev): eth and pol are 8 like btc, not
/// the chains' 18 ("Amount can have at most 8 decimal places"), so the sandbox refuses a
/// ninth decimal as the real API would.
pub fn scale(currency: &str) -> Option<u32> {
    match currency {
        "eur" | "gbp" => Some(2),
        "btc" | "ltc" | "doge" | "eth" | "pol" => Some(8),
        "usdc" | "usdt" | "eurt" => Some(6),
        _ => None,
    }
}

/// `value` as a decimal string with exactly the currency's number of decimals
/// (`"1520.75"`, `"12.500000"`). Rounds half away from zero if `value` carries more.
pub fn amount_string(value: Decimal, scale: u32) -> String {
    let mut rounded = value.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(scale);
    rounded.to_string()
}

/// `value` as a JSON number written exactly (`serde_json`'s `arbitrary_precision` keeps the
/// digits), trailing zeros dropped: `412.607142`, `1`.
pub fn json_number(value: Decimal) -> Value {
    let text = value.normalize().to_string();
    serde_json::Number::from_str(&text).map_or(Value::String(text), Value::Number)
}

/// Parses a decimal written as `"10"`, `"10.5"` or `"1e3"`; surrounding spaces are ignored.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let trimmed = text.trim();
    Decimal::from_str(trimmed)
        .ok()
        .or_else(|| Decimal::from_scientific(trimmed).ok())
}

/// A decimal from a JSON number or a JSON string (the API accepts both for amounts).
pub fn decimal_from_json(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(number) => parse_decimal(&number.to_string()),
        Value::String(text) => parse_decimal(text),
        _ => None,
    }
}

/// The number of decimals `value` really uses (`10.50` uses 1).
pub fn used_decimals(value: Decimal) -> u32 {
    value.normalize().scale()
}

/// Rounds to `digits` significant digits, so that a rate reads the same whatever its size
/// (`0.0000015439`, `644444.44`).
pub fn round_significant(value: Decimal, digits: u32) -> Decimal {
    if value.is_zero() {
        return value;
    }
    let mut probe = value.abs();
    let mut magnitude: i64 = 0;
    while probe >= Decimal::TEN {
        probe /= Decimal::TEN;
        magnitude += 1;
    }
    while probe < Decimal::ONE {
        probe *= Decimal::TEN;
        magnitude -= 1;
    }
    let decimals = (i64::from(digits) - 1 - magnitude).clamp(0, 28);
    let decimals = u32::try_from(decimals).unwrap_or(0);
    value
        .round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        parse_decimal(text).expect("valid decimal")
    }

    #[test]
    fn amounts_are_written_at_the_currency_scale() {
        assert_eq!(amount_string(dec("1520.75"), 2), "1520.75");
        assert_eq!(amount_string(dec("12.5"), 6), "12.500000");
        assert_eq!(amount_string(dec("0.125"), 2), "0.13");
        assert_eq!(amount_string(dec("1"), 18), "1.000000000000000000");
    }

    #[test]
    fn json_numbers_keep_every_digit() {
        let text = serde_json::to_string(&json_number(dec("412.6071420"))).expect("serializes");
        assert_eq!(text, "412.607142");
        let big = serde_json::to_string(&json_number(dec("0.000000000000000001"))).expect("ok");
        assert_eq!(big, "0.000000000000000001");
    }

    #[test]
    fn decimals_come_from_numbers_strings_and_exponents() {
        assert_eq!(
            decimal_from_json(&serde_json::json!("10.50")),
            Some(dec("10.5"))
        );
        let number: Value = serde_json::from_str("12.000001").expect("json");
        assert_eq!(decimal_from_json(&number), Some(dec("12.000001")));
        assert_eq!(parse_decimal("1e3"), Some(dec("1000")));
        assert_eq!(decimal_from_json(&Value::Bool(true)), None);
        assert_eq!(parse_decimal("ten"), None);
    }

    #[test]
    fn significant_rounding_keeps_small_and_large_rates_readable() {
        assert_eq!(
            round_significant(dec("0.00000154385964912"), 5),
            dec("0.0000015439")
        );
        assert_eq!(round_significant(dec("644444.4444"), 8), dec("644444.44"));
        assert_eq!(round_significant(dec("-2.345"), 2), dec("-2.3"));
        assert_eq!(round_significant(Decimal::ZERO, 3), Decimal::ZERO);
    }

    #[test]
    fn used_decimals_ignores_trailing_zeros() {
        assert_eq!(used_decimals(dec("10.50")), 1);
        assert_eq!(used_decimals(dec("10")), 0);
        assert_eq!(scale("usdc"), Some(6));
        assert_eq!(
            scale("eth"),
            Some(8),
            "P100 writes eth with 8 decimals, not 18"
        );
        assert_eq!(scale("pol"), Some(8));
        assert_eq!(scale("xyz"), None);
    }
}
