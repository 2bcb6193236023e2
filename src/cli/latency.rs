//! `coremusic latency`: runs the output device (the simulated one runs on its
//! real-time clock) for a while and reports callback timing, load, xruns and
//! output latency; `--sweep` tries buffer sizes from 16 to 4096 frames and
//! recommends the smallest with no xrun and p99 load under 70 %; `--report`
//! draws p99 load and xruns per buffer size (PNG or SVG).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use coremusic::engine::latency::{recommend, LatencyReport, SWEEP};
use coremusic::engine::{Command, DeviceChoice, Engine, EngineConfig, Event, MAX_DSP_LOAD_US};
use coremusic::report::latency_chart::{draw_report, report_kind};

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
    /// Synthetic DSP load per callback, in µs (0 to 1000000).
    #[arg(long, value_name = "US", default_value_t = 0)]
    pub load_us: u32,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Draw p99 load and xruns per buffer size into FILE.png or FILE.svg.
    #[arg(long, value_name = "FILE.png|svg")]
    pub report: Option<PathBuf>,
    /// Replace the --report file if it exists.
    #[arg(long, requires = "report")]
    pub overwrite: bool,
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
    if args.load_us > MAX_DSP_LOAD_US {
        eprintln!(
            "coremusic: --load-us {}: give 0 to {MAX_DSP_LOAD_US} µs (a callback busy for more than a second \
             measures nothing)",
            args.load_us
        );
        return 2;
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
        // Asked before measuring, as `convert` and `midi render` do: a file
        // (or a link) already there is replaced only when asked.
        if !args.overwrite && std::fs::symlink_metadata(r).is_ok() {
            eprintln!("coremusic: {}: exists (use --overwrite to replace it)", r.display());
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
            println!("{}", human(&r));
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

fn human(r: &LatencyReport) -> String {
    format!(
        "{:>5} frames @ {} Hz  {:>7.2} ms  callbacks {:>7}  xruns {:>4} ({} late wake-ups)  callback p50 {:>7.1} µs  p99 {:>7.1} µs  max {:>8.1} µs  load p99 {:>5.1}%  jitter max {:.0} µs",
        r.buffer_frames,
        r.sample_rate,
        r.output_latency_ms,
        r.callbacks,
        r.xruns,
        r.late_wakeups,
        r.callback_us.p50,
        r.callback_us.p99,
        r.callback_us.max,
        r.load_p99 * 100.0,
        r.jitter_us.max
    )
}
