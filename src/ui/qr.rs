//! A QR code for paying an order, drawn with half blocks in explicit dark-on-light colours and
//! a quiet zone, and what it encodes: the bare address, or a payment URI with the amount where
//! the network's URI scheme is standard.

use qrcode::{Color as Module, QrCode};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use rust_decimal::Decimal;

/// Modules of light margin round the code; the QR specification asks for four.
const QUIET_ZONE: usize = 4;

/// What the code encodes for an order paid in `currency` on `network`.
///
/// Only schemes whose amount unit is unambiguous get a URI: BIP-21 (`bitcoin:`, and
/// `litecoin:` which copies it) in whole coins, and EIP-681 (`ethereum:`) for ether itself on
/// Ethereum, in wei. A token (USDC on polygon) would need the token contract's address, which
/// P100 does not send: a wrong URI could send the wrong asset, so those get the bare address.
pub fn payload(address: &str, currency: &str, network: &str, amount: Decimal) -> String {
    let currency = currency.to_ascii_lowercase();
    let network = network.to_ascii_lowercase();
    let amount = amount.normalize();
    match (currency.as_str(), network.as_str()) {
        ("btc", "btc" | "bitcoin") => format!("bitcoin:{address}?amount={amount}"),
        ("ltc", "ltc" | "litecoin") => format!("litecoin:{address}?amount={amount}"),
        ("eth", "ethereum") => match wei(amount) {
            Some(wei) => format!("ethereum:{address}?value={wei}"),
            None => address.to_string(),
        },
        _ => address.to_string(),
    }
}

/// `amount` ETH in wei, exactly, or `None` if it is not a whole number of wei or too large.
fn wei(amount: Decimal) -> Option<String> {
    let scale = amount.scale();
    if scale > 18 {
        return None;
    }
    // The mantissa and the missing zeros, in text: no float, no overflow of Decimal's 96 bits.
    let mantissa = amount.mantissa();
    if mantissa <= 0 {
        return None;
    }
    let zeros = "0".repeat(usize::try_from(18 - scale).ok()?);
    Some(format!("{mantissa}{zeros}"))
}

/// The code as styled lines, two modules per cell: dark modules black, light ones white,
/// whatever the terminal's colours (`colours`), with the quiet zone. With `None` (no colour),
/// the terminal's own colours are used and dark modules are drawn as ink. `None` if the text
/// cannot be encoded.
pub fn lines(text: &str, colours: Option<(Color, Color)>) -> Option<Vec<Line<'static>>> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let width = code.width();
    let modules = code.to_colors();
    let size = width + 2 * QUIET_ZONE;
    let dark = |x: usize, y: usize| {
        let (Some(cx), Some(cy)) = (x.checked_sub(QUIET_ZONE), y.checked_sub(QUIET_ZONE)) else {
            return false;
        };
        cx < width && cy < width && modules[cy * width + cx] == Module::Dark
    };
    let mut out = Vec::with_capacity(size.div_ceil(2));
    for y in (0..size).step_by(2) {
        let mut spans = Vec::with_capacity(size);
        for x in 0..size {
            let (top, bottom) = (dark(x, y), y + 1 < size && dark(x, y + 1));
            spans.push(cell(top, bottom, colours));
        }
        out.push(Line::from(merge(spans)));
    }
    Some(out)
}

/// One character cell holding two modules.
fn cell(top: bool, bottom: bool, colours: Option<(Color, Color)>) -> Span<'static> {
    match colours {
        // "▀" in the top module's colour over the bottom module's: every cell sets both, so
        // nothing is left to the terminal's background.
        Some((dark, light)) => {
            let pick = |is_dark: bool| if is_dark { dark } else { light };
            Span::styled("▀", Style::new().fg(pick(top)).bg(pick(bottom)))
        }
        None => Span::raw(match (top, bottom) {
            (true, true) => "█",
            (true, false) => "▀",
            (false, true) => "▄",
            (false, false) => " ",
        }),
    }
}

/// Joins neighbouring cells of the same style, so a line is a few spans, not fifty.
fn merge(spans: Vec<Span<'static>>) -> Vec<Span<'static>> {
    let mut out: Vec<Span<'static>> = Vec::new();
    for span in spans {
        match out.last_mut() {
            Some(last) if last.style == span.style => {
                let joined = format!("{}{}", last.content, span.content);
                last.content = joined.into();
            }
            _ => out.push(span),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_becomes_a_square_block_with_explicit_colours() {
        let qr = lines(
            "0x2e90aa1b2c3d4e5f60718293a4b5c6d7e8f90a1b",
            Some((Color::Black, Color::White)),
        )
        .expect("encodes");
        let width = qr[0].width();
        assert!(width >= 21 + 2 * QUIET_ZONE, "a code and its quiet zone");
        assert!(qr.iter().all(|line| line.width() == width));
        // Two modules per cell: about half as many lines as columns.
        assert!(qr.len() * 2 >= width && qr.len() * 2 <= width + 2);
        for line in &qr {
            for span in &line.spans {
                assert!(span.style.fg.is_some() && span.style.bg.is_some());
            }
        }
        // The quiet zone: the first line is light on light.
        let first = &qr[0].spans[0].style;
        assert_eq!(
            (first.fg, first.bg),
            (Some(Color::White), Some(Color::White))
        );
    }

    #[test]
    fn payment_uris_only_where_the_scheme_and_unit_are_standard() {
        let amount = Decimal::new(125, 3); // 0.125
        assert_eq!(
            payload("tb1qabc", "btc", "btc", amount),
            "bitcoin:tb1qabc?amount=0.125"
        );
        assert_eq!(
            payload("0xabc", "eth", "ethereum", amount),
            "ethereum:0xabc?value=125000000000000000"
        );
        // A token on an EVM chain: the bare address, never a URI that could name the wrong asset.
        assert_eq!(payload("0xabc", "usdc", "polygon", amount), "0xabc");
        assert_eq!(payload("0xabc", "usdc", "ethereum", amount), "0xabc");
        assert_eq!(wei(Decimal::new(1, 19)), None);
    }
}
