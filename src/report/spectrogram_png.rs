//! The spectrogram picture of `coremusic spectrogram` (PNG, drawn with
//! plotters): the spectrogram itself at exactly the size asked (like
//! `sox spectrogram -x W -y H`), a time axis below, a frequency axis on the
//! left (linear, log or mel ticks), a colour bar in dB on the right and a
//! title. The picture is written beside the target and renamed into place,
//! so a failure leaves nothing behind.

use std::path::Path;

use plotters::element::BitMapElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::latency_chart::{register_chart_font, ChartError, FONT};
use crate::analysis::spectrogram::scale::{paint, FreqScale, Look, RowMap, LOG_MIN_HZ};
use crate::analysis::spectrogram::Picture;

/// Space left of the spectrogram (frequency labels), in pixels.
pub const LEFT: u32 = 78;
/// Space right of it (the colour bar and its labels).
pub const RIGHT: u32 = 96;
/// Space above it (the title).
pub const TOP: u32 = 34;
/// Space below it (time labels).
pub const BOTTOM: u32 = 48;

/// The whole picture's size for a spectrogram of `w` × `h` pixels.
pub fn picture_size(w: u32, h: u32) -> (u32, u32) {
    (w + LEFT + RIGHT, h + TOP + BOTTOM)
}

/// Draws `picture` (one column per pixel) painted with `look` (`look.rows`
/// rows) into the PNG `path`, titled `title`.
pub fn draw_png(path: &Path, picture: &Picture, look: &Look, title: &str) -> Result<(), ChartError> {
    register_chart_font()?;
    let (w, h) = picture_size(picture.columns as u32, look.rows as u32);
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    draw(&mut rgb, picture, look, title)?;
    super::picture_file::write_png(path, &rgb, (w, h))
}

fn draw(buffer: &mut [u8], picture: &Picture, look: &Look, title: &str) -> Result<(), ChartError> {
    let (w, h) = (picture.columns as u32, look.rows as u32);
    let size = picture_size(w, h);
    let root = BitMapBackend::with_buffer(buffer, size).into_drawing_area();
    let err = |e: DrawingAreaErrorKind<_>| ChartError::Draw(e.to_string());
    root.fill(&WHITE).map_err(err)?;
    let text = |s: u32| (FONT, s).into_font().color(&BLACK);
    root.draw_text(title, &text(16), (LEFT as i32, 9)).map_err(err)?;

    // The spectrogram, pixel for pixel.
    let bins = picture.bins();
    let nyquist = picture.sample_rate as f64 / 2.0;
    let map = RowMap::new(look.scale, look.rows, bins, nyquist);
    let mut rgba = Vec::new();
    paint(&picture.levels, bins, &map, look, &mut rgba);
    let rgb: Vec<u8> = rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let (x0, y0) = (LEFT as i32, TOP as i32);
    if let Some(img) = BitMapElement::with_owned_buffer((x0, y0), (w, h), rgb) {
        root.draw(&img).map_err(err)?;
    }
    root.draw(&Rectangle::new([(x0 - 1, y0 - 1), (x0 + w as i32, y0 + h as i32)], BLACK)).map_err(err)?;

    // Time axis.
    let rate = picture.sample_rate.max(1) as f64;
    let (t0, t1) = (picture.start as f64 / rate, picture.end as f64 / rate);
    let px_per_s = w as f64 / (t1 - t0).max(1e-9);
    let step = nice_step(90.0 / px_per_s);
    let mut t = (t0 / step).ceil() * step;
    while t <= t1 + 1e-9 {
        let x = x0 + ((t - t0) * px_per_s).round() as i32;
        let yb = y0 + h as i32;
        root.draw(&PathElement::new(vec![(x, yb), (x, yb + 5)], BLACK)).map_err(err)?;
        let label = time_label(t, step);
        root.draw_text(&label, &text(12).pos(Pos::new(HPos::Center, VPos::Top)), (x, yb + 8)).map_err(err)?;
        t += step;
    }
    let xlabel = "Time (s)";
    root.draw_text(xlabel, &text(13).pos(Pos::new(HPos::Center, VPos::Top)), (x0 + w as i32 / 2, y0 + h as i32 + 27))
        .map_err(err)?;

    // Frequency axis.
    for f in freq_ticks(look.scale, nyquist, h) {
        let y = y0 + ((1.0 - look.scale.height_of(f, nyquist)) * h as f64).round() as i32;
        root.draw(&PathElement::new(vec![(x0 - 6, y), (x0 - 1, y)], BLACK)).map_err(err)?;
        let label = if f >= 1000.0 { format!("{}k", trim(f / 1000.0)) } else { trim(f) };
        root.draw_text(&label, &text(12).pos(Pos::new(HPos::Right, VPos::Center)), (x0 - 9, y)).map_err(err)?;
    }
    let ylabel = (FONT, 13).into_font().color(&BLACK).transform(FontTransform::Rotate270);
    root.draw_text("Frequency (Hz)", &ylabel.pos(Pos::new(HPos::Center, VPos::Center)), (14, y0 + h as i32 / 2))
        .map_err(err)?;

    // Colour bar: floor at the bottom, floor + range at the top.
    let bx = x0 + w as i32 + 14;
    let bw = 16u32;
    let bar: Vec<u8> = (0..h)
        .flat_map(|r| {
            let c = look.colours.rgb(1.0 - (r as f32 + 0.5) / h as f32);
            std::iter::repeat_n(c, bw as usize).flatten()
        })
        .collect();
    if let Some(img) = BitMapElement::with_owned_buffer((bx, y0), (bw, h), bar) {
        root.draw(&img).map_err(err)?;
    }
    root.draw(&Rectangle::new([(bx - 1, y0 - 1), (bx + bw as i32, y0 + h as i32)], BLACK)).map_err(err)?;
    let db_step = nice_step((look.range_db as f64) * 40.0 / h as f64).max(1.0);
    let top_db = (look.floor_db + look.range_db) as f64;
    let mut db = (look.floor_db as f64 / db_step).ceil() * db_step;
    while db <= top_db + 1e-9 {
        let y = y0 + ((top_db - db) / look.range_db as f64 * h as f64).round() as i32;
        root.draw(&PathElement::new(vec![(bx + bw as i32, y), (bx + bw as i32 + 4, y)], BLACK)).map_err(err)?;
        root.draw_text(&trim(db), &text(12).pos(Pos::new(HPos::Left, VPos::Center)), (bx + bw as i32 + 7, y))
            .map_err(err)?;
        db += db_step;
    }
    root.draw_text("dBFS", &text(12), (bx - 2, y0 - 18)).map_err(err)?;
    root.present().map_err(err)
}

/// The smallest of 1, 2, 5 × 10^k at least `min`.
fn nice_step(min: f64) -> f64 {
    if !(min.is_finite() && min > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(min.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * p).find(|s| *s >= min).unwrap_or(10.0 * p)
}

fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn time_label(t: f64, step: f64) -> String {
    let decimals = if step >= 1.0 { 0 } else { (-step.log10()).ceil() as usize };
    if t >= 60.0 && step >= 1.0 {
        format!("{}:{:02}", (t / 60.0).floor() as u64, (t % 60.0).round() as u64)
    } else {
        format!("{t:.decimals$}")
    }
}

/// Frequencies to label: even steps on a linear axis, 1-2-5 per decade on log
/// and mel, thinned so that labels are at least 18 pixels apart.
pub fn freq_ticks(scale: FreqScale, nyquist: f64, height: u32) -> Vec<f64> {
    let candidates: Vec<f64> = match scale {
        FreqScale::Linear => {
            let step = nice_step(nyquist * 40.0 / height.max(1) as f64);
            (0..).map(|i| i as f64 * step).take_while(|f| *f <= nyquist).collect()
        }
        FreqScale::Log | FreqScale::Mel => {
            let mut v = vec![0.0];
            let mut decade = 10.0;
            while decade <= nyquist {
                v.extend([1.0, 2.0, 5.0].iter().map(|m| m * decade).filter(|f| *f <= nyquist));
                decade *= 10.0;
            }
            v
        }
    };
    let mut out: Vec<f64> = Vec::new();
    let mut last_y = f64::NEG_INFINITY;
    for f in candidates {
        let y = scale.height_of(f, nyquist) * height as f64;
        if (scale != FreqScale::Log || f >= LOG_MIN_HZ) && y - last_y >= 18.0 {
            out.push(f);
            last_y = y;
        }
    }
    out
}
