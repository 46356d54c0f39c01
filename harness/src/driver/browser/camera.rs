//! The phone's camera: finds and decodes the QR code in a screenshot of the desktop (PNG),
//! as a phone pointed at the screen would, with no help from the page's markup.

use std::io::Cursor;

use anyhow::{Context as _, bail};

/// The text of the first readable QR code in a PNG image.
pub fn read_qr(png_bytes: &[u8]) -> anyhow::Result<String> {
    let (width, height, luma) = greyscale(png_bytes)?;
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| luma[y * width + x]);
    let grids = image.detect_grids();
    if grids.is_empty() {
        bail!("no QR code in the {width}x{height} screenshot");
    }
    let mut last = None;
    for grid in grids {
        match grid.decode() {
            Ok((_, text)) => return Ok(text),
            Err(e) => last = Some(e),
        }
    }
    bail!("a QR code in the screenshot could not be read: {last:?}")
}

/// Decodes a PNG to 8-bit luma (ITU-R BT.601 weights), whatever its colour type.
fn greyscale(png_bytes: &[u8]) -> anyhow::Result<(usize, usize, Vec<u8>)> {
    let mut decoder = png::Decoder::new(Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().context("the screenshot is not a PNG")?;
    let size = reader
        .output_buffer_size()
        .context("the screenshot is too large")?;
    let mut buf = vec![0; size];
    let info = reader
        .next_frame(&mut buf)
        .context("decoding the screenshot")?;
    let channels = info.color_type.samples();
    let (width, height) = (info.width as usize, info.height as usize);
    let luma = buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|px| match px {
            [g] | [g, _] => *g,
            [r, g, b, ..] => {
                let y = 299 * u32::from(*r) + 587 * u32::from(*g) + 114 * u32::from(*b);
                u8::try_from(y / 1000).unwrap_or(u8::MAX)
            }
            _ => 0,
        })
        .collect();
    Ok((width, height, luma))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG of `text` as a QR code: `scale` pixels per module, a quiet zone, on a grey page
    /// with other content beside it (as on the desktop's screen).
    fn screenshot(text: &str, scale: usize) -> Vec<u8> {
        let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
        let modules = code.width();
        let colors = code.to_colors();
        let (w, h) = (modules * scale + 200, modules * scale + 120);
        let mut rgb = vec![230u8; w * h * 3];
        for y in 0..h {
            for x in 0..w {
                let (mx, my) = (x.checked_sub(100), y.checked_sub(60));
                let dark = match (mx, my) {
                    (Some(mx), Some(my)) if mx < modules * scale && my < modules * scale => {
                        colors[(my / scale) * modules + mx / scale] == qrcode::Color::Dark
                    }
                    _ => x < 40 && y % 7 == 0,
                };
                let i = (y * w + x) * 3;
                let v = if dark { 20 } else { 250 };
                rgb[i..i + 3].copy_from_slice(&[v, v, v]);
            }
        }
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w as u32, h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.write_header().unwrap().write_image_data(&rgb).unwrap();
        out
    }

    #[test]
    fn reads_the_url_in_a_screenshot() {
        let url = "http://idp.localhost:9230/cis/qr/tk-0123456789abcdef";
        assert_eq!(read_qr(&screenshot(url, 4)).unwrap(), url);
    }

    #[test]
    fn says_when_there_is_no_code() {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, 64, 64);
        enc.set_color(png::ColorType::Grayscale);
        enc.write_header()
            .unwrap()
            .write_image_data(&[255; 64 * 64])
            .unwrap();
        let err = read_qr(&out).unwrap_err().to_string();
        assert!(err.contains("no QR code"), "{err}");
        assert!(read_qr(b"not a png").is_err());
    }
}
