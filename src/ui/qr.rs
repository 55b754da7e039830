//! A QR code of a wallet address drawn with half blocks, so a payer can scan it off the screen.

use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

/// The QR code as text lines (two modules per character cell), light on dark as phone
/// cameras expect; `None` if the text cannot be encoded.
pub fn lines(text: &str) -> Option<Vec<String>> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let rendered = code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build();
    Some(rendered.lines().map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_becomes_a_square_block_of_text() {
        let qr = lines("0x2e90aa1b2c3d4e5f60718293a4b5c6d7e8f90a1b").expect("encodes");
        let width = qr[0].chars().count();
        assert!(width >= 21, "at least a version 1 code with its quiet zone");
        assert!(qr.iter().all(|line| line.chars().count() == width));
        // Two modules per cell: about half as many lines as columns.
        assert!(qr.len() * 2 >= width && qr.len() * 2 <= width + 2);
    }
}
