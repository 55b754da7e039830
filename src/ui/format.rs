//! Text for the screen: times in the user's offset, ages ("12s ago"), counts, amounts with their
//! currency, and cutting text to a width. Digits are written in the user's `number_format`
//! (passed in from `App::keyboard`, never read from a global): the dashboard shows numbers the
//! way its amount fields parse them.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use ratatui::text::{Line, Span};
use rust_decimal::Decimal;

use crate::api::models::Currency;
use crate::money;
use crate::number_format::NumberFormat;

/// "11:30".
pub fn clock(time: DateTime<Utc>, offset: FixedOffset) -> String {
    time.with_timezone(&offset).format("%H:%M").to_string()
}

/// "11:29:48".
pub fn clock_seconds(time: DateTime<Utc>, offset: FixedOffset) -> String {
    time.with_timezone(&offset).format("%H:%M:%S").to_string()
}

/// "2026-02-13 11:30", the header clock.
pub fn date_clock(time: DateTime<Utc>, offset: FixedOffset) -> String {
    time.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A row's time: "11:29" when it is from today (in `offset`), otherwise the date with the
/// year in `date_format` (checked at start-up, see `config::DisplaySettings`).
pub fn row_time(
    time: DateTime<Utc>,
    now: DateTime<Utc>,
    offset: FixedOffset,
    date_format: &str,
) -> String {
    let local = time.with_timezone(&offset);
    if local.date_naive() == now.with_timezone(&offset).date_naive() {
        return local.format("%H:%M").to_string();
    }
    let mut text = String::new();
    if write!(text, "{}", local.format(date_format)).is_err() {
        // An unwritable format was refused at start-up; never panic on one anyway.
        text = local.format(crate::config::DEFAULT_DATE_FORMAT).to_string();
    }
    text
}

/// The widest `row_time` can be in `date_format`: the time column's width, from the setting
/// alone (never from the rows on screen).
pub fn row_time_width(date_format: &str) -> usize {
    // A date with two-digit day, month, hour and minute, and a long month name.
    let sample = Utc
        .with_ymd_and_hms(2026, 12, 30, 23, 59, 59)
        .single()
        .map(|at| at.fixed_offset());
    let mut text = String::new();
    let written = sample.is_some_and(|at| write!(text, "{}", at.format(date_format)).is_ok());
    if written { width(&text).max(5) } else { 16 }
}

/// "2026-02-13 11:29:48 +00:00", for detail views where nothing may be left out.
pub fn full_time(time: DateTime<Utc>, offset: FixedOffset) -> String {
    time.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string()
}

/// A duration in its largest whole unit: "12s", "4m", "3h", "2d".
pub fn duration_short(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3_600 => format!("{}m", seconds / 60),
        3_600..86_400 => format!("{}h", seconds / 3_600),
        _ => format!("{}d", seconds / 86_400),
    }
}

/// "12s ago"; "just now" under a second, and for a time in the future (clock skew).
pub fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - since).num_seconds();
    if seconds < 1 {
        "just now".into()
    } else {
        format!("{} ago", duration_short(seconds))
    }
}

/// "in 14m", or "passed" once `until` is behind `now`.
pub fn time_left(until: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (until - now).num_seconds();
    if seconds <= 0 {
        "passed".into()
    } else {
        format!("in {}", duration_short(seconds))
    }
}

/// An integer with thousands separators in the user's `number_format`: "1,234", "1.234".
pub fn count(value: u64, format: NumberFormat) -> String {
    format.format_decimal(Decimal::from(value))
}

/// Marks an amount shown with fewer digits than it has (the detail view has them all).
pub const MORE_DIGITS: char = '…';

/// The one place a number's digits are written for the screen: grouping and decimal mark come
/// from the user's `number_format` (the same setting the amount fields parse with, so what is
/// shown can be typed back). `decimals` is the least number of decimals to show; a value with
/// more keeps them all.
pub fn number(value: Decimal, decimals: u32, format: NumberFormat) -> String {
    let normalized = value.normalize();
    let mut padded = normalized;
    padded.rescale(normalized.scale().max(decimals));
    format.format_decimal(padded)
}

/// Every digit of an amount, padded to its currency's scale: for detail views and copies.
pub fn amount_full(amount: Decimal, currency: &Currency, format: NumberFormat) -> String {
    format!("{} {currency}", amount_digits(amount, currency, format))
}

/// The digits of `amount_full`, without the currency.
pub fn amount_digits(amount: Decimal, currency: &Currency, format: NumberFormat) -> String {
    number(
        amount,
        money::scale_of(currency.as_str()).unwrap_or(2),
        format,
    )
}

/// "412.607142 USDC" in lists: the amount at its currency's scale, then the currency; a value
/// with more digits than the scale (an 18-decimal ETH amount) is cut, never rounded, and ends
/// in `…` so nobody takes it for the whole value.
pub fn amount_with_currency(amount: Decimal, currency: &Currency, format: NumberFormat) -> String {
    format!("{} {currency}", amount_at_scale(amount, currency, format))
}

/// The digits of `amount_with_currency`, without the currency.
pub fn amount_at_scale(amount: Decimal, currency: &Currency, format: NumberFormat) -> String {
    let Some(scale) = money::scale_of(currency.as_str()) else {
        // A currency P100 does not document: no known scale to cut at, so every digit.
        return number(amount, 2, format);
    };
    let cut = amount.trunc_with_scale(scale);
    if cut == amount {
        number(amount, scale, format)
    } else {
        let mut text = number(cut, scale, format);
        text.push(MORE_DIGITS);
        text
    }
}

/// An indicative value we computed (amount x rate), two decimals: "1,234.57".
pub fn indicative(value: Decimal, format: NumberFormat) -> String {
    format.format_eur(value)
}

/// A rate, exact, grouped, without trailing zeros: "57,852.859".
pub fn rate(value: Decimal, format: NumberFormat) -> String {
    number(value, 0, format)
}

/// One style for every rate on screen: "1 BTC = 57,852.859 EUR".
pub fn rate_line(
    rate_value: Decimal,
    from: &Currency,
    to: &Currency,
    format: NumberFormat,
) -> String {
    format!("1 {from} = {} {to}", rate(rate_value, format))
}

/// How many terminal columns `text` takes.
pub fn width(text: &str) -> usize {
    Span::raw(text).width()
}

/// `text` cut to at most `max` columns, ending in "…" when something was cut.
pub fn fit(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let mut bytes = [0u8; 4];
        let w = width(c.encode_utf8(&mut bytes));
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `spans` cut to at most `max` columns, ending in "…" when something was cut; each piece keeps
/// its style.
pub fn fit_spans(spans: Vec<Span<'static>>, max: usize) -> Line<'static> {
    let total: usize = spans.iter().map(Span::width).sum();
    if total <= max {
        return Line::from(spans);
    }
    let mut out = Vec::new();
    // Room for the text, keeping one column for the ellipsis.
    let mut room = max.saturating_sub(1);
    for span in spans {
        let span_width = span.width();
        if span_width <= room {
            room -= span_width;
            out.push(span);
            continue;
        }
        // This span reaches the edge: keep what fits, then the ellipsis in its style.
        let mut kept = String::new();
        for c in span.content.chars() {
            let mut bytes = [0u8; 4];
            let w = width(c.encode_utf8(&mut bytes));
            if w > room {
                break;
            }
            room -= w;
            kept.push(c);
        }
        if max > 0 {
            kept.push('…');
        }
        out.push(Span::styled(kept, span.style));
        break;
    }
    Line::from(out)
}

/// Breaks `spans` into lines of at most `max` columns, between words where it can and inside a
/// word longer than a line. Styles are kept; spaces at a break are dropped.
pub fn wrap_spans(spans: &[Span<'static>], max: usize) -> Vec<Vec<Span<'static>>> {
    let max = max.max(1);
    let mut lines: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut used = 0;
    for span in spans {
        for word in span.content.split_inclusive(' ') {
            let word_width = width(word.trim_end());
            if used > 0 && used + word_width > max {
                lines.push(Vec::new());
                used = 0;
            }
            let mut rest = if used == 0 { word.trim_start() } else { word };
            // A word longer than a whole line is cut where the line ends.
            while width(rest.trim_end()) > max.saturating_sub(used) {
                let mut taken = 0;
                let mut split = rest.len();
                for (index, c) in rest.char_indices() {
                    let mut bytes = [0u8; 4];
                    let w = width(c.encode_utf8(&mut bytes));
                    if used + taken + w > max {
                        split = index;
                        break;
                    }
                    taken += w;
                }
                if split == 0 {
                    break;
                }
                let (head, tail) = rest.split_at(split);
                push_piece(&mut lines, head, span);
                lines.push(Vec::new());
                used = 0;
                rest = tail;
            }
            if !rest.is_empty() {
                push_piece(&mut lines, rest, span);
                used += width(rest);
            }
        }
    }
    for line in &mut lines {
        if let Some(last) = line.last_mut() {
            let trimmed = last.content.trim_end().to_string();
            last.content = trimmed.into();
        }
    }
    lines
}

fn push_piece(lines: &mut [Vec<Span<'static>>], text: &str, like: &Span<'static>) {
    if let Some(line) = lines.last_mut() {
        line.push(Span::styled(text.to_string(), like.style));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 13, h, m, s)
            .single()
            .expect("valid time")
    }

    #[test]
    fn times_follow_the_offset() {
        let utc = FixedOffset::east_opt(0).expect("offset");
        let cet = FixedOffset::east_opt(3_600).expect("offset");
        assert_eq!(clock(at(11, 30, 5), utc), "11:30");
        assert_eq!(clock(at(11, 30, 5), cet), "12:30");
        assert_eq!(clock_seconds(at(11, 30, 5), utc), "11:30:05");
        assert_eq!(date_clock(at(23, 59, 0), cet), "2026-02-14 00:59");
        assert_eq!(full_time(at(11, 30, 5), cet), "2026-02-13 12:30:05 +01:00");
    }

    #[test]
    fn rows_from_today_show_the_time_others_the_date_with_the_year() {
        let utc = FixedOffset::east_opt(0).expect("offset");
        let cet = FixedOffset::east_opt(3_600).expect("offset");
        let now = at(11, 30, 0);
        assert_eq!(row_time(at(9, 5, 0), now, utc, "%Y-%m-%d %H:%M"), "09:05");
        let yesterday = at(9, 5, 0) - chrono::Duration::days(1);
        assert_eq!(
            row_time(yesterday, now, utc, "%Y-%m-%d %H:%M"),
            "2026-02-12 09:05"
        );
        assert_eq!(row_time(yesterday, now, utc, "%d.%m.%Y"), "12.02.2026");
        // 23:30 UTC on the 12th is already the 13th in CET: "today" follows the zone shown.
        let late = at(23, 30, 0) - chrono::Duration::days(1);
        assert_eq!(row_time(late, now, cet, "%Y-%m-%d %H:%M"), "00:30");
        assert_eq!(
            row_time(late, now, utc, "%Y-%m-%d %H:%M"),
            "2026-02-12 23:30"
        );
        assert_eq!(row_time_width("%Y-%m-%d %H:%M"), 16);
        assert_eq!(row_time_width("%H:%M"), 5);
    }

    #[test]
    fn list_amounts_stop_at_the_scale_and_say_so() {
        let eth = Currency::new("eth");
        let eur = Currency::new("eur");
        let en = NumberFormat::CommaDot;
        let dec = |text: &str| text.parse::<Decimal>().expect("decimal");
        assert_eq!(
            amount_with_currency(dec("0.535886661234567891"), &eth, en),
            "0.53588666… ETH"
        );
        assert_eq!(amount_with_currency(dec("0.5"), &eth, en), "0.50000000 ETH");
        assert_eq!(
            amount_with_currency(dec("1208.52"), &eur, en),
            "1,208.52 EUR"
        );
        // Cut, never rounded up: 0.99999999|9 is not shown as 1.00000000.
        assert_eq!(
            amount_with_currency(dec("0.999999999"), &eth, en),
            "0.99999999… ETH"
        );
        assert_eq!(
            amount_full(dec("0.535886661234567891"), &eth, en),
            "0.535886661234567891 ETH"
        );
        assert_eq!(
            rate_line(dec("57852.85900"), &Currency::new("btc"), &eur, en),
            "1 BTC = 57,852.859 EUR"
        );
        assert_eq!(indicative(dec("1234.565"), en), "1,234.57");
    }

    #[test]
    fn screen_numbers_follow_the_number_format() {
        let eth = Currency::new("eth");
        let eur = Currency::new("eur");
        let btc = Currency::new("btc");
        let dec = |text: &str| text.parse::<Decimal>().expect("decimal");
        let de = NumberFormat::DotComma;
        assert_eq!(
            amount_with_currency(dec("1234.5"), &eur, de),
            "1.234,50 EUR"
        );
        assert_eq!(
            amount_with_currency(dec("0.535886661234567891"), &eth, de),
            "0,53588666… ETH"
        );
        assert_eq!(
            amount_full(dec("1234567.535886661234567891"), &eth, de),
            "1.234.567,535886661234567891 ETH"
        );
        assert_eq!(
            rate_line(dec("57852.859"), &btc, &eur, de),
            "1 BTC = 57.852,859 EUR"
        );
        assert_eq!(indicative(dec("-1234.565"), de), "-1.234,57");
        assert_eq!(count(1_234_567, de), "1.234.567");
        let fr = NumberFormat::SpaceComma;
        assert_eq!(
            amount_with_currency(dec("1234.5"), &eur, fr),
            "1 234,50 EUR"
        );
        assert_eq!(indicative(dec("0"), fr), "0,00");
        assert_eq!(count(1_234, fr), "1 234");
        let ch = NumberFormat::ApostropheDot;
        assert_eq!(
            amount_with_currency(dec("1234.5"), &eur, ch),
            "1'234.50 EUR"
        );
        assert_eq!(
            rate_line(dec("57852.859"), &btc, &eur, ch),
            "1 BTC = 57'852.859 EUR"
        );
        // What the screen shows, each amount field takes back as the same value.
        for format in NumberFormat::ALL {
            for text in ["1234567.5", "0.00000001", "999.99", "1000"] {
                let shown = amount_digits(dec(text), &btc, format);
                assert_eq!(format.parse(&shown), Ok(dec(text)), "{format}: {shown}");
            }
        }
    }

    #[test]
    fn ages_use_the_largest_unit() {
        let now = at(11, 30, 0);
        assert_eq!(age(at(11, 30, 0), now), "just now");
        assert_eq!(age(at(11, 31, 0), now), "just now");
        assert_eq!(age(at(11, 29, 48), now), "12s ago");
        assert_eq!(age(at(11, 26, 0), now), "4m ago");
        assert_eq!(age(at(8, 0, 0), now), "3h ago");
        assert_eq!(time_left(at(11, 44, 0), now), "in 14m");
        assert_eq!(time_left(at(11, 0, 0), now), "passed");
    }

    #[test]
    fn counts_group_thousands() {
        let en = NumberFormat::CommaDot;
        assert_eq!(count(0, en), "0");
        assert_eq!(count(999, en), "999");
        assert_eq!(count(1_234, en), "1,234");
        assert_eq!(count(100_000, en), "100,000");
    }

    #[test]
    fn fit_spans_keeps_styles_and_marks_the_cut() {
        let spans = vec![
            Span::raw("! UNDERPAID"),
            Span::raw(" · "),
            Span::raw("received 300"),
        ];
        assert_eq!(fit_spans(spans.clone(), 100).width(), 26);
        let cut = fit_spans(spans, 16);
        assert_eq!(cut.width(), 16);
        assert_eq!(cut.to_string(), "! UNDERPAID · r…");
    }

    fn texts(lines: &[Vec<Span<'static>>]) -> Vec<String> {
        lines
            .iter()
            .map(|spans| spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn wrap_breaks_between_words_and_inside_long_ones() {
        let spans = vec![Span::raw("received 300.5 of "), Span::raw("412.6 USDC")];
        assert_eq!(
            texts(&wrap_spans(&spans, 14)),
            ["received 300.5", "of 412.6 USDC"]
        );
        let hash = vec![Span::raw("0x84a1c2e3f4a5")];
        assert_eq!(texts(&wrap_spans(&hash, 6)), ["0x84a1", "c2e3f4", "a5"]);
        assert_eq!(
            texts(&wrap_spans(&spans, 100)),
            ["received 300.5 of 412.6 USDC"]
        );
        for width in 1..30 {
            for line in wrap_spans(&spans, width) {
                assert!(line.iter().map(Span::width).sum::<usize>() <= width);
            }
        }
    }

    #[test]
    fn fit_cuts_with_an_ellipsis() {
        assert_eq!(fit("CRYPTO_WITHDRAWAL", 20), "CRYPTO_WITHDRAWAL");
        assert_eq!(fit("CRYPTO_WITHDRAWAL", 8), "CRYPTO_…");
        assert_eq!(fit("abc", 1), "…");
        assert_eq!(fit("abc", 0), "");
    }
}
