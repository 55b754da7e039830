//! Text for the screen: times in the user's offset, ages ("12s ago"), counts, amounts with their
//! currency, and cutting text to a width. Money digits come from `crate::money`.

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::text::{Line, Span};
use rust_decimal::Decimal;

use crate::api::models::Currency;
use crate::money;

/// "11:30".
pub fn clock(time: DateTime<Utc>, offset: FixedOffset) -> String {
    time.with_timezone(&offset).format("%H:%M").to_string()
}

/// "11:29:48".
pub fn clock_seconds(time: DateTime<Utc>, offset: FixedOffset) -> String {
    time.with_timezone(&offset).format("%H:%M:%S").to_string()
}

/// "02-13 11:29", the history column.
pub fn month_day_time(time: DateTime<Utc>, offset: FixedOffset) -> String {
    time.with_timezone(&offset)
        .format("%m-%d %H:%M")
        .to_string()
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

/// An integer with thousands separators: "1,234".
pub fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// "412.607142 USDC": the amount at its currency's scale, then the currency.
pub fn amount_with_currency(amount: Decimal, currency: &Currency) -> String {
    format!(
        "{} {currency}",
        money::format_amount(amount, currency.as_str())
    )
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
        assert_eq!(month_day_time(at(23, 59, 0), cet), "02-14 00:59");
        assert_eq!(full_time(at(11, 30, 5), cet), "2026-02-13 12:30:05 +01:00");
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
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234), "1,234");
        assert_eq!(count(100_000), "100,000");
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
