//! Money: per-currency scales, strict parsing of user input, display, and JSON (string or number).
//!
//! Every amount and rate is a [`Decimal`]; nothing here touches a float. serde_json runs with
//! `arbitrary_precision`, so a JSON number such as `412.607142` reaches us as its exact digits.

use rust_decimal::Decimal;
use thiserror::Error;

/// The most decimals we accept from user input for a currency P100 does not document (18, the
/// ERC-20 maximum). Documented currencies use their own, smaller scale (see [`scale_of`]).
pub const MAX_SCALE: u32 = 18;

/// The number of decimals a currency's amounts carry, for the currencies P100 documents.
/// Unknown currencies return `None`: we keep whatever the API sent.
///
/// From P100's documented amount strings (see P100-API.md (rev)): eth and pol are 8, not the
/// chains' 18, and a documented P403 reads "Amount can have at most 8 decimal places".
pub fn scale_of(currency: &str) -> Option<u32> {
    let scale = match currency.trim().to_ascii_lowercase().as_str() {
        "eur" => 2,
        "btc" | "ltc" | "doge" | "eth" | "pol" => 8,
        "usdc" | "usdt" | "eurt" => 6,
        _ => return None,
    };
    Some(scale)
}

/// Whether the currency is a fiat currency (its balance has an IBAN, orders settle into it).
pub fn is_fiat(currency: &str) -> bool {
    currency.trim().eq_ignore_ascii_case("eur")
}

pub use crate::number_format::AmountError;
use crate::number_format::NumberFormat;

/// Parses what a user typed as an amount of `currency`, in the default number format
/// (`1,234.56`); the desk's own setting goes through [`crate::number_format::NumberFormat`].
///
/// The text is taken whole: digits, one `.`, and `,` only where it groups thousands. Rejects
/// (never rounds, never strips) more decimals than the currency allows, signs, exponents, `_`.
pub fn parse_amount(input: &str, currency: &str) -> Result<Decimal, AmountError> {
    crate::number_format::NumberFormat::default().parse_amount(input, currency)
}

/// Formats an amount in the default number format (`1,234.56`), padded to the currency's
/// display decimals, with every significant digit the value carries (an 18-decimal ETH dust
/// amount stays exact). For the headless CLI's lines for people; the dashboard writes numbers in
/// the user's `number_format` (see `ui::format` and [`NumberFormat`]).
pub fn format_amount(amount: Decimal, currency: &str) -> String {
    NumberFormat::default().format_amount(amount, currency)
}

/// Formats an indicative EUR value in the default number format: two decimals (half away from
/// zero) with separators. Only for values we computed (amount x rate), never for a balance the
/// API sent.
pub fn format_eur(value: Decimal) -> String {
    NumberFormat::default().format_eur(value)
}

/// Formats a rate exactly, without trailing zeros (canonical: `.` decimals, no grouping).
pub fn format_rate(rate: Decimal) -> String {
    NumberFormat::default().format_rate(rate)
}

/// The value in EUR of `amount` at `rate` (EUR per unit), for indicative totals.
pub fn eur_value(amount: Decimal, rate: Decimal) -> Option<Decimal> {
    amount.checked_mul(rate)
}

/// The most significant digits a [`Decimal`] holds (a 96-bit mantissa).
pub const MAX_SIGNIFICANT_DIGITS: u32 = 28;

/// Why a server-sent number was not taken.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExactError {
    #[error("\"{0}\" is not a number")]
    NotANumber(String),
    /// More significant digits than a `Decimal` holds, or too large: reading it would round.
    #[error(
        "not representable: {0} has more than {MAX_SIGNIFICANT_DIGITS} significant digits or is too large"
    )]
    NotRepresentable(String),
}

/// Parses a decimal exactly, or refuses it: never rounds. Trailing zeros after the point are
/// not significant (`1.50000000000000000000000000000000` is `1.5`); a value a `Decimal`
/// cannot hold exactly (more than 28 significant digits, or beyond its range) is
/// [`ExactError::NotRepresentable`]. Scientific notation is read too.
pub fn parse_exact(text: &str) -> Result<Decimal, ExactError> {
    let trimmed = text.trim();
    let shown = || {
        let mut cut: String = trimmed.chars().take(40).collect();
        if cut.len() < trimmed.len() {
            cut.push('…');
        }
        crate::printable::printable_owned(cut)
    };
    let (mantissa, exponent) = match trimmed.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => match exponent.parse::<i32>() {
            Ok(exponent) => (mantissa, Some(exponent)),
            Err(_) => return Err(ExactError::NotANumber(shown())),
        },
        None => (trimmed, None),
    };
    if !is_plain_number(mantissa) {
        return Err(ExactError::NotANumber(shown()));
    }
    let exact = plain_exact(mantissa).and_then(|value| match exponent {
        None | Some(0) => Some(value),
        Some(exponent) => scale_by_power_of_ten(value, exponent),
    });
    exact.ok_or_else(|| ExactError::NotRepresentable(shown()))
}

/// An optional sign, digits, and at most one `.` with digits on at least one side.
fn is_plain_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (integer, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    !(integer.is_empty() && fraction.is_empty())
        && integer.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// A plain number as a `Decimal` without rounding: as written when that fits (so
/// `"12.500000"` keeps its 6 decimals), else without the trailing zeros of its fraction.
fn plain_exact(text: &str) -> Option<Decimal> {
    let text = text.strip_prefix('+').unwrap_or(text);
    if let Ok(value) = Decimal::from_str_exact(text) {
        return Some(value);
    }
    if !text.contains('.') {
        return None;
    }
    let shorter = text.trim_end_matches('0').trim_end_matches('.');
    let shorter = if shorter.is_empty() || shorter == "-" {
        "0"
    } else {
        shorter
    };
    Decimal::from_str_exact(shorter).ok()
}

/// `value x 10^exponent`, or `None` when that does not fit a `Decimal` exactly.
fn scale_by_power_of_ten(value: Decimal, exponent: i32) -> Option<Decimal> {
    let scale = i64::from(value.scale()) - i64::from(exponent);
    if scale >= 0 {
        let mut result = value;
        result.set_scale(u32::try_from(scale).ok()?).ok()?;
        return Some(result);
    }
    let zeros = usize::try_from(-scale).ok()?;
    if zeros > MAX_SIGNIFICANT_DIGITS as usize {
        return None;
    }
    let factor = Decimal::from_str_exact(&format!("1{}", "0".repeat(zeros))).ok()?;
    let mut whole = value;
    whole.set_scale(0).ok()?;
    whole.checked_mul(factor)
}

/// serde helpers for amounts and rates that arrive as JSON strings or numbers.
///
/// Use `#[serde(deserialize_with = "money::json::decimal")]` on fields, and pick the outgoing
/// form per endpoint with `serialize_with = "money::json::as_number"` or `as_string`.
pub mod json {
    use std::fmt;

    use rust_decimal::Decimal;
    use serde::de::{self, MapAccess, Visitor};
    use serde::{Deserialize, Deserializer, Serializer};

    /// The key serde_json's `arbitrary_precision` numbers arrive under, as their exact text.
    const NUMBER_TOKEN: &str = "$serde_json::private::Number";

    /// A decimal from a JSON string (`"12.50"`) or number (`12.50`), exactly: a value that
    /// would need rounding (more than 28 significant digits) is an error, never rounded.
    pub fn decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
        deserializer.deserialize_any(ExactDecimal)
    }

    struct ExactDecimal;

    impl<'de> Visitor<'de> for ExactDecimal {
        type Value = Decimal;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal number or a string holding one")
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(value))
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(value))
        }

        fn visit_u128<E: de::Error>(self, value: u128) -> Result<Decimal, E> {
            super::parse_exact(&value.to_string()).map_err(E::custom)
        }

        fn visit_i128<E: de::Error>(self, value: i128) -> Result<Decimal, E> {
            super::parse_exact(&value.to_string()).map_err(E::custom)
        }

        /// serde_json hands a buffered number (a `Value`) on as an `f64` only when the `f64`'s
        /// shortest text is the number's text, so the value is exact; a trailing `.0` the server
        /// wrote can be lost (`100.0` reads as `100`). Lists hand their money fields on as text
        /// for that reason (`api::rows`).
        fn visit_f64<E: de::Error>(self, value: f64) -> Result<Decimal, E> {
            if !value.is_finite() {
                return Err(E::custom("not a finite number"));
            }
            super::parse_exact(&value.to_string()).map_err(E::custom)
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Decimal, E> {
            super::parse_exact(text).map_err(E::custom)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decimal, A::Error> {
            match map.next_key::<String>()? {
                Some(key) if key == NUMBER_TOKEN => {
                    let text: String = map.next_value()?;
                    super::parse_exact(&text).map_err(de::Error::custom)
                }
                _ => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
            }
        }
    }

    /// Like [`decimal`], for optional fields: `null` and a missing field (with
    /// `#[serde(default)]`) give `None`.
    pub fn decimal_opt<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(deserialize_with = "decimal")] Decimal);
        Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(value)| value))
    }

    /// Writes a decimal as a JSON number with its exact digits (e.g. the exchange `amount`).
    pub fn as_number<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        rust_decimal::serde::arbitrary_precision::serialize(value, serializer)
    }

    /// Writes a decimal as a JSON string (e.g. the order lock `amount`).
    pub fn as_string<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::{Deserialize, Serialize};
    use std::str::FromStr;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("test decimal")
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct AsNumber {
        #[serde(deserialize_with = "json::decimal", serialize_with = "json::as_number")]
        value: Decimal,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct AsString {
        #[serde(deserialize_with = "json::decimal", serialize_with = "json::as_string")]
        value: Decimal,
        #[serde(default, deserialize_with = "json::decimal_opt")]
        optional: Option<Decimal>,
    }

    #[test]
    fn decimals_come_from_strings_and_numbers_exactly() {
        let from_number: AsNumber =
            serde_json::from_str(r#"{"value": 412.607142}"#).expect("number");
        let from_string: AsNumber =
            serde_json::from_str(r#"{"value": "412.607142"}"#).expect("string");
        assert_eq!(from_number.value, dec("412.607142"));
        assert_eq!(from_number, from_string);
        let integer: AsNumber = serde_json::from_str(r#"{"value": 10}"#).expect("integer");
        assert_eq!(integer.value, dec("10"));
        let precise: AsNumber =
            serde_json::from_str(r#"{"value": 0.123456789012345678}"#).expect("18 decimals");
        assert_eq!(precise.value, dec("0.123456789012345678"));
    }

    #[test]
    fn optional_decimals_accept_null_and_missing() {
        let missing: AsString = serde_json::from_str(r#"{"value": "1"}"#).expect("missing");
        assert_eq!(missing.optional, None);
        let null: AsString =
            serde_json::from_str(r#"{"value": "1", "optional": null}"#).expect("null");
        assert_eq!(null.optional, None);
        let number: AsString =
            serde_json::from_str(r#"{"value": "1", "optional": 849.39}"#).expect("number");
        assert_eq!(number.optional, Some(dec("849.39")));
    }

    #[test]
    fn outgoing_form_is_chosen_per_field() {
        let number = serde_json::to_string(&AsNumber {
            value: dec("10.50"),
        })
        .expect("ser");
        assert_eq!(number, r#"{"value":10.50}"#);
        let string = serde_json::to_string(&AsString {
            value: dec("346.59"),
            optional: None,
        })
        .expect("ser");
        assert_eq!(string, r#"{"value":"346.59","optional":null}"#);
    }

    #[test]
    fn garbage_amounts_are_errors_not_panics() {
        for body in [
            r#"{"value": "abc"}"#,
            r#"{"value": true}"#,
            r#"{"value": 1e400}"#,
            r#"{"value": null}"#,
        ] {
            assert!(serde_json::from_str::<AsNumber>(body).is_err(), "{body}");
        }
    }

    #[test]
    fn more_than_28_significant_digits_are_not_representable() {
        for text in [
            "1.00000000000000000000000000001",
            "0.12345678901234567890123456789",
            "123456789012345678901234567890",
            "79228162514264337593543950336",
            "1e29",
        ] {
            assert!(
                matches!(parse_exact(text), Err(ExactError::NotRepresentable(_))),
                "{text}: {:?}",
                parse_exact(text)
            );
            for body in [
                format!(r#"{{"value": {text}}}"#),
                format!(r#"{{"value": "{text}"}}"#),
            ] {
                let error = serde_json::from_str::<AsNumber>(&body).expect_err(&body);
                assert!(error.to_string().contains("not representable"), "{error}");
            }
        }
        // Exactly 28 digits, trailing zeros and exponents that fit are fine.
        assert_eq!(
            parse_exact("1234567890123456789012345678"),
            Ok(dec("1234567890123456789012345678"))
        );
        assert_eq!(
            parse_exact("1.500000000000000000000000000000000"),
            Ok(dec("1.5"))
        );
        assert_eq!(parse_exact("12.500000").map(|v| v.scale()), Ok(6));
        assert_eq!(parse_exact("1.5e3"), Ok(dec("1500")));
        assert_eq!(parse_exact("15e-1"), Ok(dec("1.5")));
        assert_eq!(parse_exact("-0.25"), Ok(dec("-0.25")));
        assert!(matches!(parse_exact("abc"), Err(ExactError::NotANumber(_))));
        assert!(matches!(
            parse_exact("1.2.3"),
            Err(ExactError::NotANumber(_))
        ));
    }

    #[test]
    fn scales_follow_the_documented_table() {
        let expected = [
            ("eur", 2),
            ("btc", 8),
            ("eth", 8),
            ("ltc", 8),
            ("doge", 8),
            ("pol", 8),
            ("usdc", 6),
            ("usdt", 6),
            ("eurt", 6),
        ];
        for (currency, scale) in expected {
            assert_eq!(scale_of(currency), Some(scale), "{currency}");
            assert_eq!(scale_of(&currency.to_uppercase()), Some(scale));
        }
        assert_eq!(scale_of("xyz"), None);
    }

    #[test]
    fn user_input_is_parsed_strictly() {
        assert_eq!(parse_amount(" 1,000.50 ", "eur"), Ok(dec("1000.50")));
        assert!(
            parse_amount("1_000", "eur").is_err(),
            "no character is dropped"
        );
        assert!(
            parse_amount("1 000", "eur").is_err(),
            "no character is dropped"
        );
        assert_eq!(parse_amount(".5", "btc"), Ok(dec("0.5")));
        assert_eq!(
            parse_amount("1.005", "eur"),
            Err(AmountError::TooManyDecimals {
                currency: "EUR".into(),
                allowed: 2
            })
        );
        assert_eq!(parse_amount("", "eur"), Err(AmountError::Empty));
        assert!(matches!(
            parse_amount("1,5", "eur"),
            Err(AmountError::WrongDecimalSeparator { .. })
        ));
        assert_eq!(parse_amount("-3", "eur"), Err(AmountError::Signed));
        assert_eq!(parse_amount("0.00", "eur"), Err(AmountError::NotPositive));
        assert!(matches!(
            parse_amount("1e5", "eur"),
            Err(AmountError::NotDigits { .. })
        ));
        assert!(matches!(
            parse_amount("1.2.3", "eur"),
            Err(AmountError::TwoDecimalSeparators { .. })
        ));
        assert!(matches!(
            parse_amount(".", "eur"),
            Err(AmountError::NotDigits { .. })
        ));
        assert_eq!(
            parse_amount("99999999999999999999999999999999", "eur"),
            Err(AmountError::TooLarge)
        );
        // Unknown currencies accept up to the largest known scale.
        assert!(parse_amount("0.123456789012345678", "xyz").is_ok());
        // P100's scales, not the chains': a ninth ETH or POL decimal is refused before any
        // request is built.
        assert_eq!(parse_amount("0.12345678", "eth"), Ok(dec("0.12345678")));
        for currency in ["eth", "pol"] {
            assert_eq!(
                parse_amount("0.123456789", currency),
                Err(AmountError::TooManyDecimals {
                    currency: currency.to_ascii_uppercase(),
                    allowed: 8
                })
            );
        }
    }

    #[test]
    fn display_pads_to_scale_and_never_hides_digits() {
        assert_eq!(format_amount(dec("1520.75"), "eur"), "1,520.75");
        assert_eq!(format_amount(dec("1520"), "eur"), "1,520.00");
        assert_eq!(format_amount(dec("12.5"), "usdc"), "12.500000");
        assert_eq!(format_amount(dec("1234567.5"), "btc"), "1,234,567.50000000");
        assert_eq!(format_amount(dec("2.5"), "eth"), "2.50000000");
        assert_eq!(
            format_amount(dec("0.000000000000000001"), "eth"),
            "0.000000000000000001"
        );
        assert_eq!(format_amount(dec("-999.1"), "eur"), "-999.10");
        assert_eq!(format_amount(dec("7.123"), "xyz"), "7.123");
        assert_eq!(format_eur(dec("1234.565")), "1,234.57");
        assert_eq!(format_eur(dec("0")), "0.00");
        assert_eq!(format_rate(dec("0.963728000")), "0.963728");
    }

    proptest! {
        #[test]
        fn money_round_trips_exactly(mantissa in any::<i64>(), scale in 0u32..=18) {
            let value = Decimal::new(mantissa, scale);
            let number = serde_json::to_string(&AsNumber { value }).expect("ser number");
            let back: AsNumber = serde_json::from_str(&number).expect("de number");
            prop_assert_eq!(back.value, value);
            prop_assert_eq!(back.value.scale(), value.scale());
            let string = serde_json::to_string(&AsString { value, optional: Some(value) })
                .expect("ser string");
            let back: AsString = serde_json::from_str(&string).expect("de string");
            prop_assert_eq!(back.value, value);
            prop_assert_eq!(back.optional, Some(value));
        }

        #[test]
        fn formatted_amounts_parse_back(mantissa in 1i64..i64::MAX, scale in 0u32..=18) {
            let value = Decimal::new(mantissa, scale);
            let shown = format_amount(value, "xyz").replace(',', "");
            prop_assert_eq!(parse_amount(&shown, "xyz"), Ok(value));
        }

        #[test]
        fn parse_never_panics(input in ".{0,40}") {
            let _ = parse_amount(&input, "eur");
        }
    }
}
