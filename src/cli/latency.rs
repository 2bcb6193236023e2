//! `coremusic latency`: runs the output device (the simulated one runs on its
//! real-time clock) for a while and reports callback timing, load, xruns and
//! output latency; `--sweep` tries buffer sizes from 16 to 4096 frames and
//! recommends the smallest with no xrun and p99 load under 70 %; `--report`
//! draws p99 load and xruns per buffer size (PNG or SVG).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::engine::{Command, DeviceChoice, Engine, EngineConfig, Event, StatsSnapshot};

/// Buffer sizes `--sweep` tries.
pub const SWEEP: [u32; 9] = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
/// The p99 load under which a buffer size is recommended.
pub const MAX_LOAD: f64 = 0.70;

/// Arguments of `coremusic latency`.
#[derive(Debug, clap::Args)]
pub struct LatencyArgs {
    /// Output device: a name, `sim` for the simulated device, or `default`.
    #[arg(long, value_name = "NAME|sim", default_value = "default")]
    pub device: String,
    /// Sample rate in Hz (the device's own when not given).
    #[arg(long, value_name = "HZ")]
    pub rate: Option<u32>,
    /// Frames per callback.
    #[arg(long, value_name = "FRAMES", conflicts_with = "sweep")]
    pub buffer: Option<u32>,
    /// Try 16, 32, …, 4096 frames and recommend one.
    #[arg(long)]
    pub sweep: bool,
    /// Seconds to run (per buffer size with --sweep).
    #[arg(long, value_name = "S")]
    pub seconds: Option<f64>,
    /// Synthetic DSP load per callback, in µs.
    #[arg(long, value_name = "US", default_value_t = 0)]
    pub load_us: u32,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Draw p99 load and xruns per buffer size into FILE.png or FILE.svg.
    #[arg(long, value_name = "FILE.png|svg")]
    pub report: Option<PathBuf>,
}

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
    /// Callback durations (µs).
    pub callback_us: Times,
    /// p99 callback time / period.
    pub load_p99: f64,
    /// Output latency in ms.
    pub output_latency_ms: f64,
    /// Mean and largest deviation of callback starts from the period (µs).
    pub jitter_us: crate::engine::stats::Jitter,
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
    fn new(device: &str, s: &StatsSnapshot, load_us: u32) -> Self {
        LatencyReport {
            device: device.to_string(),
            sample_rate: s.sample_rate,
            buffer_frames: s.buffer_frames,
            callbacks: s.callbacks,
            xruns: s.xruns,
            callback_us: Times { p50: s.callback_us.p50, p99: s.callback_us.p99, max: s.callback_us.max },
            load_p99: s.load_p99,
            output_latency_ms: s.output_latency_ms,
            jitter_us: s.jitter_us,
            load_us,
        }
    }

    fn human(&self) -> String {
        format!(
            "{:>5} frames @ {} Hz  {:>7.2} ms  callbacks {:>7}  xruns {:>4}  callback p50 {:>7.1} µs  p99 {:>7.1} µs  max {:>8.1} µs  load p99 {:>5.1}%  jitter max {:.0} µs",
            self.buffer_frames,
            self.sample_rate,
            self.output_latency_ms,
            self.callbacks,
            self.xruns,
            self.callback_us.p50,
            self.callback_us.p99,
            self.callback_us.max,
            self.load_p99 * 100.0,
            self.jitter_us.max
        )
    }
}

/// The smallest buffer with no xrun and p99 load under [`MAX_LOAD`].
pub fn recommend(reports: &[LatencyReport]) -> Option<u32> {
    reports.iter().filter(|r| r.xruns == 0 && r.load_p99 < MAX_LOAD).map(|r| r.buffer_frames).min()
}

/// Runs the measurement; 0 when it ran, 1 when the report could not be written, 2 on bad usage.
pub fn run(args: &LatencyArgs) -> i32 {
    let seconds = args.seconds.unwrap_or(if args.sweep { 1.0 } else { 5.0 });
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0) {
        eprintln!("coremusic: --seconds {seconds}: give a duration above 0 and up to 3600");
        return 2;
    }
    if let Some(rate) = args.rate {
        if !(1000..=768_000).contains(&rate) {
            eprintln!("coremusic: --rate {rate}: give 1000 to 768000 Hz");
            return 2;
        }
    }
    let buffer = args.buffer.unwrap_or(256);
    if !(1..=65_536).contains(&buffer) {
        eprintln!("coremusic: --buffer {buffer}: give 1 to 65536 frames");
        return 2;
    }
    if let Some(r) = &args.report {
        if report_kind(r).is_none() {
            eprintln!("coremusic: --report {}: the file must end in .png or .svg", r.display());
            return 2;
        }
    }
    let sizes: Vec<u32> = if args.sweep { SWEEP.to_vec() } else { vec![buffer] };
    let engine = Engine::start(EngineConfig {
        device: DeviceChoice::parse(&args.device),
        sample_rate: args.rate,
        buffer_frames: sizes.first().copied().unwrap_or(buffer),
        dsp_load_us: args.load_us,
        ..EngineConfig::default()
    });
    let mut reports = Vec::new();
    for &size in &sizes {
        engine.send(Command::SetBufferSize(size));
        engine.sync(Duration::from_secs(10));
        drain(&engine);
        std::thread::sleep(Duration::from_millis(200)); // warm-up
        engine.send(Command::ResetStats);
        engine.sync(Duration::from_secs(10));
        std::thread::sleep(Duration::from_secs_f64(seconds));
        let name = engine.device().map(|d| d.name).unwrap_or_else(|| "none".into());
        let r = LatencyReport::new(&name, &engine.stats(), args.load_us);
        if !args.json {
            println!("{}", r.human());
        }
        reports.push(r);
        drain(&engine);
    }
    drop(engine);
    let recommended = recommend(&reports);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        let line = if args.sweep {
            let first = reports.first();
            serde_json::json!({
                "device": first.map(|r| r.device.clone()),
                "sample_rate": first.map(|r| r.sample_rate),
                "load_us": args.load_us,
                "sweep": reports,
                "recommended_buffer_frames": recommended,
            })
        } else {
            serde_json::to_value(reports.first()).unwrap_or(serde_json::Value::Null)
        };
        let _ = writeln!(out, "{line}");
    } else if args.sweep {
        match recommended {
            Some(n) => {
                let _ = writeln!(out, "recommended buffer: {n} frames (no xrun, p99 load under 70%)");
            }
            None => {
                let _ = writeln!(out, "no buffer size ran without xruns under 70% p99 load");
            }
        }
    }
    if let Some(path) = &args.report {
        if let Err(e) = draw_report(path, &reports) {
            eprintln!("coremusic: {}: cannot write the report: {e}", path.display());
            return 1;
        }
    }
    0
}

/// Prints device notes (fallback to the simulated device, errors) on stderr.
fn drain(engine: &Engine) {
    for e in engine.events().try_iter() {
        match e {
            Event::FellBackToSim { requested, reason } => {
                eprintln!("coremusic: device '{requested}' not usable ({reason}); measuring the simulated device")
            }
            Event::Error(e) => eprintln!("coremusic: {e}"),
            _ => {}
        }
    }
}

enum ReportKind {
    Png,
    Svg,
}

fn report_kind(path: &Path) -> Option<ReportKind> {
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
