//! How numbers are written on screen and typed in: the `number_format` setting, with one parse and
//! one display function per format so that what the desk shows is what it accepts back.
//!
//! Parsing takes the text whole: it is either exactly one valid amount or an error saying why.
//! No character is ever dropped or rewritten (`1,5` is never `15`, `1e3` never `13`).

use std::fmt::{self, Write as _};
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer};
use thiserror::Error;

use crate::money::{MAX_SCALE, scale_of};

/// Decimals shown by default; amounts with more significant digits still show all of them.
const DISPLAY_DECIMALS_CAP: u32 = 8;

/// The user's way of writing numbers: which character groups thousands and which one starts the
/// decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NumberFormat {
    /// `1,234.56` (the default: English, P100's own documents).
    #[default]
    CommaDot,
    /// `1.234,56` (German, Italian, Spanish...).
    DotComma,
    /// `1 234,56` (French, Nordic, Polish...; a no-break or thin space is accepted too).
    SpaceComma,
    /// `1'234.56` (Swiss).
    ApostropheDot,
}

/// Why a typed amount was not accepted; the sentence is shown under the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    #[error("enter an amount")]
    Empty,
    #[error("use {decimal} for decimals ({example})")]
    WrongDecimalSeparator {
        decimal: char,
        example: &'static str,
    },
    #[error("digits and one {decimal} only ({example})")]
    NotDigits {
        decimal: char,
        example: &'static str,
    },
    #[error("only one {decimal} is allowed")]
    TwoDecimalSeparators { decimal: char },
    #[error("'{group}' groups thousands in threes only ({example})")]
    BadGrouping { group: char, example: &'static str },
    #[error("the amount must be positive (no sign)")]
    Signed,
    #[error("the amount must be positive")]
    NotPositive,
    #[error("{currency} allows at most {allowed} decimals")]
    TooManyDecimals { currency: String, allowed: u32 },
    #[error("the amount is too large")]
    TooLarge,
}

/// A `number_format` setting that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "unknown number format '{0}': use one of \"1,234.56\", \"1.234,56\", \"1 234,56\", \"1'234.56\""
)]
pub struct UnknownNumberFormat(pub String);

impl NumberFormat {
    pub const ALL: [NumberFormat; 4] = [
        NumberFormat::CommaDot,
        NumberFormat::DotComma,
        NumberFormat::SpaceComma,
        NumberFormat::ApostropheDot,
    ];

    /// The setting's value, which is also how 1234.56 looks in this format.
    pub fn example(self) -> &'static str {
        match self {
            NumberFormat::CommaDot => "1,234.56",
            NumberFormat::DotComma => "1.234,56",
            NumberFormat::SpaceComma => "1 234,56",
            NumberFormat::ApostropheDot => "1'234.56",
        }
    }

    pub fn decimal_separator(self) -> char {
        match self {
            NumberFormat::CommaDot | NumberFormat::ApostropheDot => '.',
            NumberFormat::DotComma | NumberFormat::SpaceComma => ',',
        }
    }

    /// The character written between groups of three digits.
    pub fn group_separator(self) -> char {
        match self {
            NumberFormat::CommaDot => ',',
            NumberFormat::DotComma => '.',
            NumberFormat::SpaceComma => ' ',
            NumberFormat::ApostropheDot => '\'',
        }
    }

    /// Whether `c` is accepted as this format's group separator in input (a pasted French amount
    /// carries a no-break or narrow no-break space; a Swiss one may carry a typographic ’).
    fn is_group_char(self, c: char) -> bool {
        match self {
            NumberFormat::SpaceComma => matches!(c, ' ' | '\u{a0}' | '\u{202f}'),
            NumberFormat::ApostropheDot => matches!(c, '\'' | '\u{2019}'),
            NumberFormat::CommaDot | NumberFormat::DotComma => c == self.group_separator(),
        }
    }

    /// Parses a positive number written in this format, whole. Surrounding spaces are ignored
    /// (they change nothing); every other character must be a digit, the one decimal separator,
    /// or a group separator that groups the integer part correctly.
    pub fn parse(self, input: &str) -> Result<Decimal, AmountError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        let decimal = self.decimal_separator();
        let example = self.example();
        if text.starts_with(['-', '+', '\u{2212}']) {
            return Err(AmountError::Signed);
        }
        let mut digits = String::with_capacity(text.len());
        let mut integer_groups: Vec<usize> = vec![0];
        let mut in_fraction = false;
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                if !in_fraction && let Some(last) = integer_groups.last_mut() {
                    *last += 1;
                }
            } else if c == decimal {
                if in_fraction {
                    return Err(AmountError::TwoDecimalSeparators { decimal });
                }
                in_fraction = true;
                digits.push('.');
            } else if self.is_group_char(c) {
                if in_fraction && matches!(c, '.' | ',') {
                    // `1,234.5` typed in `1.234,56`: the other convention, swapped whole.
                    return Err(AmountError::WrongDecimalSeparator { decimal, example });
                }
                if in_fraction {
                    return Err(AmountError::BadGrouping {
                        group: self.group_separator(),
                        example,
                    });
                }
                integer_groups.push(0);
            } else if matches!(c, '.' | ',') {
                // The other convention's decimal separator (or a group sign in the wrong place).
                return Err(AmountError::WrongDecimalSeparator { decimal, example });
            } else {
                return Err(AmountError::NotDigits { decimal, example });
            }
        }
        if integer_groups.len() > 1 {
            let grouped_correctly = integer_groups.iter().enumerate().all(|(index, &len)| {
                if index == 0 {
                    (1..=3).contains(&len)
                } else {
                    len == 3
                }
            });
            if !grouped_correctly {
                // `1,5` in the default format is a decimal comma, not a thousands group.
                let looks_decimal = !in_fraction
                    && integer_groups.len() == 2
                    && integer_groups.last().is_some_and(|&len| len != 3);
                return Err(
                    if looks_decimal && matches!(self.group_separator(), ',' | '.') {
                        AmountError::WrongDecimalSeparator { decimal, example }
                    } else {
                        AmountError::BadGrouping {
                            group: self.group_separator(),
                            example,
                        }
                    },
                );
            }
        }
        if !digits.chars().any(|c| c.is_ascii_digit()) {
            return Err(AmountError::NotDigits { decimal, example });
        }
        let normalized = if digits.starts_with('.') {
            format!("0{digits}")
        } else {
            digits
        };
        let value = Decimal::from_str(normalized.trim_end_matches('.'))
            .map_err(|_| AmountError::TooLarge)?;
        if value.is_zero() {
            return Err(AmountError::NotPositive);
        }
        Ok(value)
    }

    /// Parses an amount of `currency`: [`parse`](Self::parse), then refuses (never rounds) more
    /// decimals than the currency carries. Unknown currencies allow up to [`MAX_SCALE`].
    pub fn parse_amount(self, input: &str, currency: &str) -> Result<Decimal, AmountError> {
        let value = self.parse(input)?;
        let decimals = input
            .trim()
            .split_once(self.decimal_separator())
            .map_or(0, |(_, fraction)| fraction.chars().count());
        let allowed = scale_of(currency).unwrap_or(MAX_SCALE);
        if decimals > allowed as usize {
            return Err(AmountError::TooManyDecimals {
                currency: currency.trim().to_ascii_uppercase(),
                allowed,
            });
        }
        Ok(value)
    }

    /// A decimal written exactly as it is (every digit it carries), grouped in this format.
    pub fn format_decimal(self, value: Decimal) -> String {
        self.group(&value.to_string())
    }

    /// An amount of `currency`, padded to the currency's display decimals and never hiding a
    /// significant digit (an 18-decimal ETH dust amount stays exact).
    pub fn format_amount(self, amount: Decimal, currency: &str) -> String {
        let normalized = amount.normalize();
        let minimum = scale_of(currency).map_or(2, |scale| scale.min(DISPLAY_DECIMALS_CAP));
        let mut padded = normalized;
        padded.rescale(normalized.scale().max(minimum));
        self.group(&padded.to_string())
    }

    /// An indicative EUR value we computed (amount x rate): two decimals, half away from zero.
    /// Never for a balance the API sent.
    pub fn format_eur(self, value: Decimal) -> String {
        let mut rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        rounded.rescale(2);
        self.group(&rounded.to_string())
    }

    /// A rate, exactly, without trailing zeros and without grouping (rates are read digit by
    /// digit, not by magnitude), with this format's decimal separator.
    pub fn format_rate(self, rate: Decimal) -> String {
        rate.normalize()
            .to_string()
            .replace('.', &self.decimal_separator().to_string())
    }

    /// Groups the integer part of a plain decimal string (`-1234.5`) and swaps the separator.
    fn group(self, plain: &str) -> String {
        let (sign, unsigned) = plain
            .strip_prefix('-')
            .map_or(("", plain), |rest| ("-", rest));
        let (integer, fraction) = unsigned
            .split_once('.')
            .map_or((unsigned, None), |(i, f)| (i, Some(f)));
        let mut out = String::with_capacity(plain.len() + integer.len() / 3 + 1);
        out.push_str(sign);
        for (index, digit) in integer.chars().enumerate() {
            if index > 0 && (integer.len() - index) % 3 == 0 {
                out.push(self.group_separator());
            }
            out.push(digit);
        }
        if let Some(fraction) = fraction {
            let _ = write!(out, "{}{fraction}", self.decimal_separator());
        }
        out
    }
}

impl fmt::Display for NumberFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.example())
    }
}

impl FromStr for NumberFormat {
    type Err = UnknownNumberFormat;

    /// The setting is written as the format itself (`"1.234,56"`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|format| format.example() == text.trim())
            .ok_or_else(|| UnknownNumberFormat(text.to_string()))
    }
}

impl<'de> Deserialize<'de> for NumberFormat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("test decimal")
    }

    const EN: NumberFormat = NumberFormat::CommaDot;
    const DE: NumberFormat = NumberFormat::DotComma;
    const FR: NumberFormat = NumberFormat::SpaceComma;
    const CH: NumberFormat = NumberFormat::ApostropheDot;

    #[test]
    fn the_issue_cases_are_refused_with_a_reason() {
        let refused = |text: &str| EN.parse_amount(text, "eur").expect_err(text).to_string();
        assert_eq!(refused("1,5"), "use . for decimals (1,234.56)");
        assert_eq!(refused("1e3"), "digits and one . only (1,234.56)");
        assert_eq!(refused("12abc34"), "digits and one . only (1,234.56)");
        assert_eq!(refused("1_000"), "digits and one . only (1,234.56)");
        assert_eq!(refused("-5"), "the amount must be positive (no sign)");
        assert_eq!(refused("+5"), "the amount must be positive (no sign)");
        assert_eq!(refused("0.00"), "the amount must be positive");
        assert_eq!(refused(""), "enter an amount");
        assert_eq!(refused("1.2.3"), "only one . is allowed");
        assert_eq!(refused("."), "digits and one . only (1,234.56)");
        assert_eq!(
            refused("1,23,456"),
            "',' groups thousands in threes only (1,234.56)"
        );
        assert_eq!(refused("1.005"), "EUR allows at most 2 decimals");
        assert_eq!(refused("1 000"), "digits and one . only (1,234.56)");
        assert_eq!(
            refused("99999999999999999999999999999999"),
            "the amount is too large"
        );
    }

    #[test]
    fn correct_grouping_and_the_decimal_separator_are_accepted() {
        assert_eq!(EN.parse_amount("1,234.56", "eur"), Ok(dec("1234.56")));
        assert_eq!(EN.parse_amount("1,234,567", "eur"), Ok(dec("1234567")));
        assert_eq!(EN.parse_amount(" 12.5 ", "eur"), Ok(dec("12.5")));
        assert_eq!(EN.parse_amount(".5", "btc"), Ok(dec("0.5")));
        assert_eq!(EN.parse_amount("5.", "eur"), Ok(dec("5")));
        assert_eq!(DE.parse_amount("1.234,56", "eur"), Ok(dec("1234.56")));
        assert_eq!(DE.parse_amount("1,5", "eur"), Ok(dec("1.5")));
        assert_eq!(FR.parse_amount("1 234,56", "eur"), Ok(dec("1234.56")));
        assert_eq!(FR.parse_amount("1\u{202f}234,5", "eur"), Ok(dec("1234.5")));
        assert_eq!(CH.parse_amount("1'234.56", "eur"), Ok(dec("1234.56")));
        assert!(EN.parse_amount("0.123456789012345678", "xyz").is_ok());
    }

    #[test]
    fn each_format_refuses_the_other_decimal_separator() {
        assert_eq!(
            DE.parse("1.5").expect_err("1.5").to_string(),
            "use , for decimals (1.234,56)"
        );
        assert_eq!(
            FR.parse("1.5").expect_err("1.5").to_string(),
            "use , for decimals (1 234,56)"
        );
        assert_eq!(
            CH.parse("1,5").expect_err("1,5").to_string(),
            "use . for decimals (1'234.56)"
        );
        // The other convention's whole amount is refused, never read as another number.
        assert_eq!(
            DE.parse("1,234.5").expect_err("1,234.5").to_string(),
            "use , for decimals (1.234,56)"
        );
        assert_eq!(
            EN.parse("1.234,5").expect_err("1.234,5").to_string(),
            "use . for decimals (1,234.56)"
        );
        assert_eq!(
            CH.parse("1.234'5").expect_err("1.234'5").to_string(),
            "''' groups thousands in threes only (1'234.56)"
        );
        assert!(DE.parse("1.234.5").is_err());
        assert!(EN.parse("1,234.5,6").is_err());
        assert!(FR.parse("12 34,5").is_err());
    }

    #[test]
    fn display_round_trips_through_parse_in_every_format() {
        for format in NumberFormat::ALL {
            for text in ["1234567.5", "0.000000000000000001", "12", "999.99", "1000"] {
                let value = dec(text);
                let shown = format.format_amount(value, "xyz");
                assert_eq!(format.parse(&shown), Ok(value), "{format}: {shown}");
            }
        }
        assert_eq!(EN.format_amount(dec("1520"), "eur"), "1,520.00");
        assert_eq!(
            DE.format_amount(dec("1234567.5"), "btc"),
            "1.234.567,50000000"
        );
        assert_eq!(FR.format_amount(dec("-999.1"), "eur"), "-999,10");
        assert_eq!(CH.format_eur(dec("1234.565")), "1'234.57");
        assert_eq!(DE.format_rate(dec("0.963728000")), "0,963728");
        assert_eq!(EN.format_decimal(dec("1234.5")), "1,234.5");
    }

    #[test]
    fn each_format_writes_negatives_zero_many_decimals_and_large_groups() {
        // (value, EN, DE, FR, CH) through format_decimal (every digit, grouped).
        let cases = [
            ("0", "0", "0", "0", "0"),
            ("-0.5", "-0.5", "-0,5", "-0,5", "-0.5"),
            ("999", "999", "999", "999", "999"),
            ("1000", "1,000", "1.000", "1 000", "1'000"),
            (
                "-1234567.891",
                "-1,234,567.891",
                "-1.234.567,891",
                "-1 234 567,891",
                "-1'234'567.891",
            ),
            (
                "1234567890.000000000000000001",
                "1,234,567,890.000000000000000001",
                "1.234.567.890,000000000000000001",
                "1 234 567 890,000000000000000001",
                "1'234'567'890.000000000000000001",
            ),
        ];
        for (value, en, de, fr, ch) in cases {
            let value = dec(value);
            assert_eq!(EN.format_decimal(value), en);
            assert_eq!(DE.format_decimal(value), de);
            assert_eq!(FR.format_decimal(value), fr);
            assert_eq!(CH.format_decimal(value), ch);
        }
        // Amounts pad to the currency's decimals; zero and negatives too.
        assert_eq!(EN.format_amount(dec("0"), "eur"), "0.00");
        assert_eq!(DE.format_amount(dec("0"), "eur"), "0,00");
        assert_eq!(FR.format_amount(dec("-1234567"), "eur"), "-1 234 567,00");
        assert_eq!(
            CH.format_amount(dec("-0.000000000000000001"), "eth"),
            "-0.000000000000000001"
        );
        assert_eq!(
            DE.format_amount(dec("0.000000000000000001"), "eth"),
            "0,000000000000000001"
        );
        // Indicative EUR: two decimals, half away from zero, in each format.
        assert_eq!(EN.format_eur(dec("-1234.565")), "-1,234.57");
        assert_eq!(DE.format_eur(dec("-1234.565")), "-1.234,57");
        assert_eq!(FR.format_eur(dec("0")), "0,00");
        assert_eq!(CH.format_eur(dec("9999999.994")), "9'999'999.99");
        // Rates: exact and ungrouped, with the format's decimal mark.
        assert_eq!(EN.format_rate(dec("57852.85900")), "57852.859");
        assert_eq!(DE.format_rate(dec("-0.963728000")), "-0,963728");
        assert_eq!(FR.format_rate(dec("0")), "0");
        assert_eq!(
            CH.format_rate(dec("1.000000000000000001")),
            "1.000000000000000001"
        );
    }

    #[test]
    fn the_setting_names_the_format_itself() {
        for format in NumberFormat::ALL {
            assert_eq!(format.example().parse::<NumberFormat>(), Ok(format));
        }
        assert!("1234.56".parse::<NumberFormat>().is_err());
        assert_eq!(NumberFormat::default(), EN);
    }
}
