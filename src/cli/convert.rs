//! `coremusic convert IN... -o OUT [options]`: files or folders to a file or
//! a folder, on every core, with a progress bar (or JSON Lines events), a
//! summary, and Ctrl-C that stops cleanly.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use coremusic::convert::{
    batch_process_parallel, named_preset, plan, BatchEvent, BatchMeter, BitDepth, ConvertError, ConvertOptions,
    NormalizeOptions, Outcome, Quality,
};
use coremusic::io::codec::lossy::{parse_bitrate as parse_bitrate_kbps, parse_vbr_quality};
use coremusic::io::{EncoderSettings, OpusApplication, OutputFormat};

/// Arguments of `coremusic convert`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// Input files or folders (folders are searched for audio files).
    #[arg(required = true, value_name = "IN")]
    pub inputs: Vec<PathBuf>,
    /// Output file (one input) or folder.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Output format: wav, aiff, caf, flac, alac (.m4a), mp3, opus or aac (.m4a, macOS). Default: from OUT's
    /// extension, or WAV for a folder.
    #[arg(short = 'f', long, value_parser = parse_format)]
    pub format: Option<OutputFormat>,
    /// Output sample rate in Hz.
    #[arg(long)]
    pub rate: Option<u32>,
    /// Output channels.
    #[arg(long)]
    pub channels: Option<u16>,
    /// Output depth: 8, 16, 24, 32, 32f or 64f.
    #[arg(long, value_parser = parse_bits)]
    pub bits: Option<BitDepth>,
    /// afconvert-style data format, e.g. `LEI16`, `I24@48000`, `F32`.
    #[arg(short = 'd', value_name = "FORMAT", value_parser = parse_data_format)]
    pub data_format: Option<(BitDepth, Option<u32>)>,
    /// Resampling quality (low, medium, high, max), or for MP3 LAME's VBR quality V0 (best) to V9.
    #[arg(long, value_parser = parse_quality)]
    pub quality: Option<QualityArg>,
    /// Lossy bitrate in kb/s (`128k`, `192`): MP3 CBR, Opus and AAC target.
    #[arg(short = 'b', long, value_parser = parse_bitrate)]
    pub bitrate: Option<u32>,
    /// Variable bitrate (the default for MP3 without --bitrate, Opus and AAC).
    #[arg(long, conflicts_with = "cbr")]
    pub vbr: bool,
    /// Constant bitrate (MP3: 192 kb/s without --bitrate).
    #[arg(long)]
    pub cbr: bool,
    /// Encoder effort: MP3 0 (best) to 9 (LAME's -q); Opus 0 to 10 (best, the default).
    #[arg(long, value_name = "N")]
    pub complexity: Option<u8>,
    /// Opus application: audio (default), voip or lowdelay.
    #[arg(long, value_parser = parse_application)]
    pub application: Option<OpusApplication>,
    /// Do not dither when reducing the depth.
    #[arg(long)]
    pub no_dither: bool,
    /// Files converted at once (default: all cores).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Read options from a TOML preset file, or a built-in preset ("MP3 V2", "MP3 320k", "Opus 128k",
    /// "FLAC"…); flags given here win.
    #[arg(long, value_name = "FILE|NAME")]
    pub preset: Option<PathBuf>,
    /// Write the options in effect to a TOML preset.
    #[arg(long, value_name = "FILE")]
    pub save_preset: Option<PathBuf>,
    /// Mirror input folders under OUT.
    #[arg(long)]
    pub keep_tree: bool,
    /// Replace outputs that exist (never an input).
    #[arg(long)]
    pub overwrite: bool,
    /// JSON Lines events instead of a progress bar.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub loudness: LoudnessArgs,
}

/// `--normalize`, `--true-peak`, `--album` and `--verify`.
#[derive(Debug, clap::Args)]
pub struct LoudnessArgs {
    /// Bring each file to this integrated loudness (EBU R128, LUFS), e.g. -14 or -23.
    #[arg(long, value_name = "LUFS", allow_negative_numbers = true)]
    pub normalize: Option<f64>,
    /// True-peak ceiling for --normalize (dBTP, default -1): the gain is lowered, never limited.
    #[arg(long, value_name = "DBTP", allow_negative_numbers = true, requires = "normalize")]
    pub true_peak: Option<f64>,
    /// With --normalize: one gain for all files, from their loudness as one album.
    #[arg(long, requires = "normalize")]
    pub album: bool,
    /// Decode every output again once it is in place and prove it (bit-exact for lossless formats).
    #[arg(long)]
    pub verify: bool,
}

impl LoudnessArgs {
    fn apply(&self, o: &mut ConvertOptions) -> Result<(), String> {
        if let Some(target) = self.normalize {
            if !(-70.0..=0.0).contains(&target) {
                return Err(format!("--normalize {target}: the target must be between -70 and 0 LUFS"));
            }
            let mut n = o.normalize.unwrap_or_default();
            n.target_lufs = target;
            n.true_peak_dbtp = self.true_peak.unwrap_or(NormalizeOptions::default().true_peak_dbtp);
            n.album |= self.album;
            if !(-30.0..=3.0).contains(&n.true_peak_dbtp) {
                return Err(format!("--true-peak {}: the ceiling must be between -30 and +3 dBTP", n.true_peak_dbtp));
            }
            o.normalize = Some(n);
        }
        o.verify |= self.verify;
        Ok(())
    }
}

fn parse_format(s: &str) -> Result<OutputFormat, String> {
    OutputFormat::from_name(s).ok_or_else(|| format!("unknown format '{s}': use {}", OutputFormat::names()))
}

/// `--quality`: the resampler's, or an MP3 VBR level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QualityArg {
    /// Resampling quality.
    Resample(Quality),
    /// LAME's `-V`.
    Vbr(u8),
}

fn parse_bitrate(s: &str) -> Result<u32, String> {
    parse_bitrate_kbps(s).ok_or_else(|| format!("unknown bitrate '{s}': use e.g. 128k or 192"))
}

fn parse_application(s: &str) -> Result<OpusApplication, String> {
    match s.to_ascii_lowercase().as_str() {
        "audio" | "music" => Ok(OpusApplication::Audio),
        "voip" | "speech" => Ok(OpusApplication::Voip),
        "lowdelay" | "low-delay" => Ok(OpusApplication::Lowdelay),
        _ => Err(format!("unknown application '{s}': use audio, voip or lowdelay")),
    }
}

fn parse_bits(s: &str) -> Result<BitDepth, String> {
    BitDepth::parse(s).ok_or_else(|| format!("unknown depth '{s}': use 8, 16, 24, 32, 32f or 64f"))
}

fn parse_quality(s: &str) -> Result<QualityArg, String> {
    if let Some(q) = parse_vbr_quality(s) {
        return Ok(QualityArg::Vbr(q));
    }
    match s {
        "low" => Ok(QualityArg::Resample(Quality::Low)),
        "medium" => Ok(QualityArg::Resample(Quality::Medium)),
        "high" => Ok(QualityArg::Resample(Quality::High)),
        "max" | "very-high" => Ok(QualityArg::Resample(Quality::Max)),
        _ => Err(format!("unknown quality '{s}': use low, medium, high or max (resampling), or V0..V9 (MP3)")),
    }
}

/// afconvert's `-d` data formats: `[LE|BE][U]I<bits>` or `F<bits>`, with an optional `@rate`.
fn parse_data_format(s: &str) -> Result<(BitDepth, Option<u32>), String> {
    let bad = || format!("unknown data format '{s}': try LEI16, LEI24, F32 or I16@48000");
    let (fmt, rate) = match s.split_once('@') {
        Some((f, r)) => (f, Some(r.parse::<u32>().map_err(|_| bad())?)),
        None => (s, None),
    };
    let f = fmt.trim_start_matches("LE").trim_start_matches("BE");
    let depth = match f {
        "UI8" | "I8" => BitDepth::U8,
        "I16" => BitDepth::S16,
        "I24" => BitDepth::S24,
        "I32" => BitDepth::S32,
        "F32" => BitDepth::F32,
        "F64" => BitDepth::F64,
        _ => return Err(bad()),
    };
    Ok((depth, rate))
}

impl ConvertArgs {
    /// The options in effect: the preset, then the flags.
    pub fn options(&self) -> Result<ConvertOptions, String> {
        let mut o = match &self.preset {
            Some(p) if !p.exists() && named_preset(&p.to_string_lossy()).is_some() => {
                named_preset(&p.to_string_lossy()).unwrap_or_default()
            }
            Some(p) => ConvertOptions::load(p).map_err(|e| e.to_string())?,
            None => ConvertOptions::default(),
        };
        if let Some((bits, rate)) = self.data_format {
            o.bits = Some(bits);
            o.rate = rate.or(o.rate);
        }
        o.format = self.format.or(o.format);
        o.rate = self.rate.or(o.rate);
        o.channels = self.channels.or(o.channels);
        o.bits = self.bits.or(o.bits);
        match self.quality {
            Some(QualityArg::Resample(q)) => o.quality = q,
            Some(QualityArg::Vbr(v)) => o.encoder.vbr_quality = Some(v),
            None => {}
        }
        self.encoder_flags(&mut o.encoder);
        o.dither &= !self.no_dither;
        o.jobs = self.jobs.unwrap_or(o.jobs);
        o.keep_tree |= self.keep_tree;
        o.overwrite |= self.overwrite;
        self.loudness.apply(&mut o)?;
        if o.rate == Some(0) || o.channels == Some(0) {
            return Err("--rate and --channels must be above 0".into());
        }
        Ok(o)
    }
}

impl ConvertArgs {
    /// The lossy encoder flags over the preset's.
    fn encoder_flags(&self, e: &mut EncoderSettings) {
        if self.bitrate.is_some() {
            e.bitrate = self.bitrate;
            e.vbr_quality = e.vbr_quality.filter(|_| matches!(self.quality, Some(QualityArg::Vbr(_))));
        }
        if self.vbr || self.cbr {
            e.vbr = Some(self.vbr);
        }
        e.complexity = self.complexity.or(e.complexity);
        e.application = self.application.or(e.application);
    }
}

static CANCEL: AtomicBool = AtomicBool::new(false);

/// The largest file `--save-preset` may replace: presets are a few hundred
/// bytes, and a larger file is not read to find out.
const MAX_PRESET_BYTES: u64 = 1 << 20;

/// Writes `opts` to the preset `--save-preset` names. A file already there
/// is replaced only when it is a preset itself: anything else (an input of
/// this batch, any audio file, a folder, a link to nowhere) is left alone.
fn save_preset(opts: &ConvertOptions, path: &Path) -> Result<(), String> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        let small = std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() <= MAX_PRESET_BYTES);
        if !small || ConvertOptions::load(path).is_err() {
            let what = if meta.is_dir() { "a folder" } else { "a file that is not a CoreMusic preset" };
            return Err(format!(
                "--save-preset {}: is {what}; CoreMusic never writes over it (choose another name)",
                path.display()
            ));
        }
    }
    opts.save(path).map_err(|e| e.to_string())
}

/// Runs the conversion; exit status 0 all done, 1 any failed (or nothing to
/// convert), 2 bad usage, 130 cancelled. A first Ctrl-C cancels gracefully
/// (each file stops at its next chunk); a second one removes the unfinished
/// outputs and exits at once with 130.
pub fn run(args: &ConvertArgs) -> i32 {
    let opts = match args.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("coremusic: {e}");
            return 2;
        }
    };
    if let Some(p) = &args.save_preset {
        if let Err(e) = save_preset(&opts, p) {
            eprintln!("coremusic: {e}");
            return 2;
        }
    }
    let _ = ctrlc::set_handler(|| {
        if CANCEL.swap(true, Ordering::SeqCst) {
            // A second Ctrl-C: stop now (a stuck read or write), removing
            // the unfinished outputs first.
            coremusic::io::place::remove_part_files_and_exit(130, |n| {
                eprintln!("\ncoremusic: stopped (second Ctrl-C); {n} unfinished output(s) removed");
            });
        }
        eprintln!("\ncoremusic: cancelling; press Ctrl-C again to stop at once");
    });
    let plan = plan(&args.inputs, &args.output, &opts);
    let started = Instant::now();
    let meter = Mutex::new(BatchMeter::new(&plan.items));
    let stdout = Mutex::new(std::io::stdout());
    let bar = (!args.json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(plan.items.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40.cyan/blue} {pos}/{len} files  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let json_line = |v: serde_json::Value| {
        if let Ok(mut out) = stdout.lock() {
            let _ = writeln!(out, "{v}");
        }
    };
    for (path, why) in &plan.refused {
        if args.json {
            json_line(serde_json::json!({"event": "failed", "input": path, "error": why}));
        }
    }
    for note in &plan.notes {
        if args.json {
            json_line(serde_json::json!({"event": "note", "message": note}));
        } else {
            eprintln!("note: {note}");
        }
    }
    let items = &plan.items;
    // JSON progress lines at every tenth of a file, not every chunk.
    let tenths = Mutex::new(vec![0u8; items.len()]);
    let on_event = |e: BatchEvent| {
        let status = meter.lock().map(|mut m| {
            m.apply(&e);
            m.status()
        });
        if let (Some(bar), Ok(s)) = (&bar, &status) {
            bar.set_position(s.files_done as u64);
            let eta = s.eta.map_or(String::new(), |d| format!(", {}s left", d.as_secs()));
            bar.set_message(format!("{:.1} MB/s{eta}", s.bytes_per_s / 1e6));
        }
        if args.json {
            match &e {
                BatchEvent::Started { index } => json_line(
                    serde_json::json!({"event": "start", "input": items[*index].input, "output": items[*index].output}),
                ),
                BatchEvent::Progress { index, fraction } => {
                    let tenth = (fraction * 10.0).floor() as u8;
                    let step = tenths.lock().ok().and_then(|mut t| {
                        let slot = t.get_mut(*index)?;
                        (tenth > *slot).then(|| *slot = tenth)
                    });
                    if step.is_some() {
                        json_line(
                            serde_json::json!({"event": "progress", "input": items[*index].input, "fraction": fraction}),
                        )
                    }
                }
                BatchEvent::Measured { index, loudness } => json_line(serde_json::json!({"event": "measured",
                    "input": items[*index].input, "loudness": loudness})),
                BatchEvent::Finished { .. } => {}
            }
        }
    };
    let results = batch_process_parallel(items, &opts, opts.jobs, &on_event, &CANCEL);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }

    let (mut converted, mut skipped, mut failed, mut audio_s) = (0usize, 0usize, plan.refused.len(), 0f64);
    let mut verified = 0usize;
    let mut failures: Vec<String> = plan.refused.iter().map(|(p, why)| format!("{}: {why}", p.display())).collect();
    let cancelled = CANCEL.load(Ordering::SeqCst);
    for (item, r) in items.iter().zip(&results) {
        match r {
            Ok(Outcome::Converted(stats)) => {
                converted += 1;
                audio_s += stats.audio_seconds;
                verified += usize::from(stats.verified.is_some());
                if args.json {
                    let mut v = serde_json::json!({"event": "converted", "input": item.input, "output": item.output,
                        "frames_in": stats.frames_in, "frames_out": stats.frames_out, "seconds": stats.elapsed.as_secs_f64(),
                        "warnings": stats.warnings});
                    loudness_fields(&mut v, stats);
                    json_line(v);
                } else {
                    if let Some(l) = &stats.loudness {
                        eprintln!("{}: {}", item.output.display(), l.describe());
                    }
                    if let Some(v) = &stats.verified {
                        eprintln!("{}: {v}", item.output.display());
                    }
                    // A damaged or cut-short input converts what is there; say so.
                    for w in &stats.warnings {
                        eprintln!("warning: {}: {w}", item.input.display());
                    }
                }
            }
            Ok(Outcome::Skipped { output, reason }) => {
                skipped += 1;
                if args.json {
                    json_line(
                        serde_json::json!({"event": "skipped", "input": item.input, "output": output, "reason": reason}),
                    );
                } else {
                    eprintln!("skipped {}: {reason}", output.display());
                }
            }
            Err(ConvertError::Cancelled) => {}
            Err(e) => {
                failed += 1;
                if args.json {
                    let mut v = serde_json::json!({"event": "failed", "input": item.input, "error": e.to_string()});
                    if let ConvertError::Verify { .. } = e {
                        v["verified"] = serde_json::Value::Bool(false);
                    }
                    json_line(v);
                }
                failures.push(e.to_string());
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let speed = if secs > 0.0 { audio_s / secs } else { 0.0 };
    if args.json {
        let mut v = serde_json::json!({"event": "summary", "converted": converted, "skipped": skipped, "failed": failed,
            "cancelled": cancelled, "seconds": secs, "speed_x_realtime": speed});
        if opts.verify {
            v["verified"] = verified.into();
        }
        json_line(v);
    } else {
        for f in &failures {
            eprintln!("failed: {f}");
        }
        let proved = if opts.verify { format!(", verified {verified}") } else { String::new() };
        eprintln!(
            "{}converted {converted}, skipped {skipped}, failed {failed}{proved} in {secs:.2} s ({speed:.1}× real time)",
            if cancelled { "cancelled: " } else { "" }
        );
    }
    if cancelled {
        130
    } else if items.is_empty() && plan.refused.is_empty() {
        // Not a success: the user asked for files to be converted.
        let names: Vec<String> = args.inputs.iter().map(|p| p.display().to_string()).collect();
        let what = format!("nothing to convert: no audio files found in {}", names.join(", "));
        if args.json {
            json_line(serde_json::json!({"event": "error", "error": what}));
        } else {
            eprintln!("coremusic: {what}");
        }
        1
    } else {
        i32::from(failed > 0)
    }
}

/// The `--normalize` and `--verify` fields of a `converted` event:
/// `loudness` {`before_lufs`, `gain_db`, `after_lufs`, `ceiling_bound`, …}
/// and `verified` (`true`, with `verification` saying how).
fn loudness_fields(v: &mut serde_json::Value, stats: &coremusic::convert::ConvertStats) {
    if let Some(l) = &stats.loudness {
        v["loudness"] = serde_json::json!(l);
    }
    if let Some(how) = &stats.verified {
        v["verified"] = serde_json::Value::Bool(true);
        v["verification"] = serde_json::json!(how);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn afconvert_data_formats_parse() {
        assert_eq!(parse_data_format("LEI16").unwrap(), (BitDepth::S16, None));
        assert_eq!(parse_data_format("BEI24@48000").unwrap(), (BitDepth::S24, Some(48000)));
        assert_eq!(parse_data_format("F32").unwrap(), (BitDepth::F32, None));
        assert!(parse_data_format("aac").is_err());
        assert_eq!(parse_format("alac"), Ok(OutputFormat::Alac));
        assert_eq!(parse_format("opus"), Ok(OutputFormat::Opus));
        assert!(parse_format("xyz").unwrap_err().contains("use wav"));
    }
}
