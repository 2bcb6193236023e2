//! Writing a finished picture to its file: beside the target first, renamed
//! into place only when complete ([`crate::io::place`]), so a full disk, a
//! kill or a drawing error never leaves a half-written chart, and the file
//! it replaces (when replacing was asked for) stays whole until then.

use std::path::Path;

use super::latency_chart::ChartError;

/// Writes `rgb` (8-bit RGB rows, `size` = width × height pixels) as a PNG to `path`.
pub fn write_png(path: &Path, rgb: &[u8], size: (u32, u32)) -> Result<(), ChartError> {
    let part = crate::io::place::part_path(path);
    let r = encode_png(&part, rgb, size)
        .and_then(|()| crate::io::place::place(&part, path, true).map_err(|e| e.to_string()));
    if r.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    r.map_err(|e| ChartError::Draw(format!("{}: {e}", path.display())))
}

/// Writes `text` (an SVG drawing) to `path`.
pub fn write_text(path: &Path, text: &str) -> Result<(), ChartError> {
    crate::io::place::write_atomically(path, text.as_bytes())
        .map_err(|e| ChartError::Draw(format!("{}: {e}", path.display())))
}

fn encode_png(path: &Path, rgb: &[u8], (w, h): (u32, u32)) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())
}
