//! `coremusic spectrogram FILE -o OUT.png`: the spectrogram of a file (or a
//! span of it, one channel or the mix) as a PNG with axes and a colour bar,
//! like `sox spectrogram` — computed on every core, every sample counted.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use coremusic::analysis::spectrogram::scale::{ColourMap, FreqScale, Look};
use coremusic::analysis::spectrogram::{AudioSource, ChannelPick, Picture, Settings, WindowKind, MAX_FFT, MIN_FFT};
use coremusic::report::spectrogram_png::draw_png;

/// Arguments of `coremusic spectrogram`.
#[derive(Debug, clap::Args)]
pub struct SpectrogramArgs {
    /// The audio file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The PNG to write (replaced if it exists).
    #[arg(short, long, value_name = "OUT.png")]
    pub output: PathBuf,
    /// Size of the spectrogram itself in pixels, axes and colour bar not counted (like sox's -x and -y).
    #[arg(long, value_name = "WxH", default_value = "1000x513")]
    pub size: String,
    /// Start of the span, in seconds.
    #[arg(long, value_name = "S", default_value_t = 0.0)]
    pub start: f64,
    /// Length of the span, in seconds (to the end when not given).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// One channel (1 = left), instead of the mix of all.
    #[arg(long, value_name = "N")]
    pub channel: Option<usize>,
    /// Analysis window: hann, hamming or blackman-harris.
    #[arg(long, value_name = "NAME", default_value = "hann")]
    pub window: String,
    /// FFT size, a power of two from 256 to 32768 (by default the smallest with a bin per pixel row).
    #[arg(long, value_name = "N")]
    pub fft: Option<usize>,
    /// Frequency axis: lin, log or mel.
    #[arg(long, value_name = "lin|log|mel", default_value = "lin")]
    pub scale: String,
    /// The quietest level shown, in dBFS.
    #[arg(long, value_name = "DB", default_value_t = -120.0, allow_hyphen_values = true)]
    pub floor: f32,
    /// dB from the quietest level shown to the loudest.
    #[arg(long, value_name = "DB", default_value_t = 120.0)]
    pub range: f32,
    /// Grey levels instead of colours.
    #[arg(long)]
    pub grey: bool,
}

/// Makes the picture; 0 when written, 1 when the file could not be read or
/// the picture written, 2 on bad usage.
pub fn run(args: &SpectrogramArgs) -> i32 {
    let usage = |msg: String| {
        eprintln!("coremusic: {msg}");
        2
    };
    let Some((w, h)) = parse_size(&args.size) else {
        return usage(format!("--size {}: give WIDTHxHEIGHT, each 16 to 16384 pixels, e.g. 1200x513", args.size));
    };
    let Some(window) = WindowKind::parse(&args.window) else {
        return usage(format!("--window {}: give hann, hamming or blackman-harris", args.window));
    };
    let Some(scale) = FreqScale::parse(&args.scale) else {
        return usage(format!("--scale {}: give lin, log or mel", args.scale));
    };
    let fft = args.fft.unwrap_or_else(|| (2 * (h - 1)).next_power_of_two().clamp(MIN_FFT, MAX_FFT));
    let settings = Settings { fft_size: fft, window };
    if let Err(e) = settings.validate() {
        return usage(format!("--fft: {e}"));
    }
    if !(args.start.is_finite() && args.start >= 0.0) || args.duration.is_some_and(|d| !(d.is_finite() && d > 0.0)) {
        return usage("--start must be 0 or more and --duration above 0 (seconds)".into());
    }
    if !(args.floor.is_finite() && args.range.is_finite() && args.range >= 1.0) {
        return usage("--floor must be a level in dB and --range at least 1 dB".into());
    }
    let pick = match args.channel {
        None => ChannelPick::Mixed,
        Some(0) => return usage("--channel counts from 1 (1 = left)".into()),
        Some(n) => ChannelPick::Channel(n - 1),
    };
    let started = Instant::now();
    let source = match AudioSource::open(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("coremusic: {e}");
            return 1;
        }
    };
    let rate = source.sample_rate() as f64;
    let start = (args.start * rate).round() as u64;
    if start >= source.frames() {
        eprintln!(
            "coremusic: {}: --start {} s is past the end ({:.3} s)",
            args.file.display(),
            args.start,
            source.frames() as f64 / rate
        );
        return 1;
    }
    let end = args.duration.map_or(u64::MAX, |d| start.saturating_add((d * rate).round() as u64)).min(source.frames());
    let cancel = AtomicBool::new(false);
    let picture = match Picture::compute(&source, pick, settings, (start, end), w, None, &cancel) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("coremusic: {}: {e}", args.file.display());
            return 1;
        }
    };
    let look = Look {
        scale,
        floor_db: args.floor,
        range_db: args.range,
        colours: if args.grey { ColourMap::Grey } else { ColourMap::Heat },
        rows: h,
    };
    let name = args.file.file_name().map_or_else(|| args.file.display().to_string(), |n| n.to_string_lossy().into());
    let channel = match pick {
        ChannelPick::Mixed if source.channels() > 1 => "mix".to_string(),
        ChannelPick::Mixed => "mono".to_string(),
        ChannelPick::Channel(c) => format!("channel {}", c + 1),
    };
    let title = format!("{name} — {channel}, FFT {fft} {}, {} Hz", window.name(), source.sample_rate());
    if let Err(e) = draw_png(&args.output, &picture, &look, &title) {
        eprintln!("coremusic: {e}");
        return 1;
    }
    eprintln!("{}: {} × {} spectrogram in {:.2} s", args.output.display(), w, h, started.elapsed().as_secs_f64());
    0
}

fn parse_size(s: &str) -> Option<(usize, usize)> {
    let (w, h) = s.to_ascii_lowercase().split_once('x').map(|(a, b)| (a.trim().parse().ok(), b.trim().parse().ok()))?;
    let (w, h): (usize, usize) = (w?, h?);
    ((16..=16384).contains(&w) && (16..=16384).contains(&h)).then_some((w, h))
}
