//! Latency measurements as data: one [`LatencyReport`] per buffer size (the
//! `coremusic latency --json` fields), the recommendation rule, and the chart
//! (PNG or SVG, drawn with plotters). Shared by the command line and the
//! window's Latency tab; nothing here runs a device.

use std::path::Path;

use super::StatsSnapshot;

/// Buffer sizes `--sweep` tries.
pub const SWEEP: [u32; 9] = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
/// The p99 load under which a buffer size is recommended.
pub const MAX_LOAD: f64 = 0.70;

/// One measured configuration, with the field names of the CLI contract.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LatencyReport {
    /// Device name.
    pub device: String,
    /// Rate in Hz.
    pub sample_rate: u32,
    /// Frames per callback.
    pub buffer_frames: u32,
    /// Callbacks measured.
    pub callbacks: u64,
    /// Device xruns.
    pub xruns: u64,
    /// Of the xruns, those that began with the device thread woken after its
    /// deadline (the system's lateness, not the callback's work; see
    /// [`StatsSnapshot::late_wakeups`]).
    pub late_wakeups: u64,
    /// Whether the device thread ran at real-time priority.
    pub realtime_priority: bool,
    /// Callback durations (µs).
    pub callback_us: Times,
    /// p99 callback time / period.
    pub load_p99: f64,
    /// Output latency in ms.
    pub output_latency_ms: f64,
    /// Mean and largest deviation of callback starts from the period (µs).
    pub jitter_us: super::stats::Jitter,
    /// Synthetic load per callback (µs).
    pub load_us: u32,
}

/// p50/p99/max in µs.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Times {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Longest.
    pub max: f64,
}

impl LatencyReport {
    /// The report of one snapshot.
    pub fn new(device: &str, s: &StatsSnapshot, load_us: u32) -> Self {
        LatencyReport {
            device: device.to_string(),
            sample_rate: s.sample_rate,
            buffer_frames: s.buffer_frames,
            callbacks: s.callbacks,
            xruns: s.xruns,
            late_wakeups: s.late_wakeups,
            realtime_priority: s.realtime_priority,
            callback_us: Times { p50: s.callback_us.p50, p99: s.callback_us.p99, max: s.callback_us.max },
            load_p99: s.load_p99,
            output_latency_ms: s.output_latency_ms,
            jitter_us: s.jitter_us,
            load_us,
        }
    }
}

/// The smallest buffer with no xrun and p99 load under [`MAX_LOAD`].
pub fn recommend(reports: &[LatencyReport]) -> Option<u32> {
    reports.iter().filter(|r| r.xruns == 0 && r.load_p99 < MAX_LOAD).map(|r| r.buffer_frames).min()
}

/// What a report file is, by its extension.
pub enum ReportKind {
    /// A PNG image.
    Png,
    /// An SVG drawing.
    Svg,
}

/// The kind of chart `path` asks for, from its extension.
pub fn report_kind(path: &Path) -> Option<ReportKind> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "png" => Some(ReportKind::Png),
        "svg" => Some(ReportKind::Svg),
        _ => None,
    }
}

/// Draws the report: top, p99 load per buffer size (bars; green under 70 %,
/// red with xruns, amber otherwise; the 70 % line dashed); bottom, xruns
/// (log scale). No text: plotters has no font without a font file.
pub fn draw_report(path: &Path, reports: &[LatencyReport]) -> Result<(), String> {
    use plotters::prelude::*;
    fn draw<DB: DrawingBackend>(
        root: DrawingArea<DB, plotters::coord::Shift>,
        reports: &[LatencyReport],
    ) -> Result<(), String>
    where
        DB::ErrorType: 'static,
    {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(err)?;
        let (w, h) = root.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        let n = reports.len().max(1) as i32;
        let margin = 20;
        let top_h = (h - 3 * margin) * 2 / 3;
        let bot_y0 = margin * 2 + top_h;
        let bot_h = h - bot_y0 - margin;
        let slot = (w - 2 * margin) / n;
        let max_load = reports.iter().map(|r| r.load_p99).fold(1.0f64, f64::max);
        let max_x = reports.iter().map(|r| r.xruns).max().unwrap_or(0).max(1) as f64;
        for (y0, hh) in [(margin, top_h), (bot_y0, bot_h)] {
            root.draw(&Rectangle::new([(margin, y0), (w - margin, y0 + hh)], BLACK.stroke_width(1))).map_err(err)?;
        }
        for (i, r) in reports.iter().enumerate() {
            let x0 = margin + i as i32 * slot + slot / 6;
            let x1 = margin + (i as i32 + 1) * slot - slot / 6;
            let bar = ((r.load_p99 / max_load).clamp(0.0, 1.0) * top_h as f64) as i32;
            let color = if r.xruns > 0 {
                RED
            } else if r.load_p99 < MAX_LOAD {
                GREEN
            } else {
                RGBColor(230, 160, 0)
            };
            root.draw(&Rectangle::new([(x0, margin + top_h - bar), (x1, margin + top_h)], color.filled()))
                .map_err(err)?;
            let xb = if r.xruns == 0 { 0 } else { (((r.xruns as f64).ln_1p() / max_x.ln_1p()) * bot_h as f64) as i32 };
            root.draw(&Rectangle::new([(x0, bot_y0 + bot_h - xb), (x1, bot_y0 + bot_h)], RED.filled())).map_err(err)?;
        }
        // the 70 % line
        let y = margin + top_h - ((MAX_LOAD / max_load) * top_h as f64) as i32;
        let mut x = margin;
        while x < w - margin {
            root.draw(&PathElement::new(vec![(x, y), ((x + 8).min(w - margin), y)], BLUE.stroke_width(2)))
                .map_err(err)?;
            x += 16;
        }
        root.present().map_err(err)
    }
    match report_kind(path) {
        Some(ReportKind::Png) => draw(BitMapBackend::new(path, (900, 500)).into_drawing_area(), reports),
        Some(ReportKind::Svg) => draw(SVGBackend::new(path, (900, 500)).into_drawing_area(), reports),
        None => Err("the file must end in .png or .svg".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(buffer: u32, xruns: u64, load: f64) -> LatencyReport {
        LatencyReport {
            device: "sim".into(),
            sample_rate: 48_000,
            buffer_frames: buffer,
            callbacks: 100,
            xruns,
            late_wakeups: 0,
            realtime_priority: false,
            callback_us: Times { p50: 1.0, p99: 2.0, max: 3.0 },
            load_p99: load,
            output_latency_ms: 1.0,
            jitter_us: Default::default(),
            load_us: 0,
        }
    }

    #[test]
    fn recommends_the_smallest_clean_buffer() {
        let reports = [r(16, 3, 0.9), r(32, 0, 0.8), r(64, 0, 0.5), r(128, 0, 0.2)];
        assert_eq!(recommend(&reports), Some(64));
        assert_eq!(recommend(&[r(16, 1, 0.1)]), None);
    }

    #[test]
    fn draws_png_and_svg_reports() {
        let dir = tempfile::tempdir().unwrap();
        let reports = [r(16, 3, 0.9), r(32, 0, 0.8), r(64, 0, 0.5), r(128, 0, 0.2)];
        for name in ["r.png", "r.svg"] {
            let p = dir.path().join(name);
            draw_report(&p, &reports).unwrap();
            assert!(std::fs::metadata(&p).unwrap().len() > 100);
        }
        assert!(draw_report(&dir.path().join("r.txt"), &reports).is_err());
    }
}
