//! `coremusic midi info FILE... [--json]` and `coremusic midi render FILE -o
//! OUT.wav [--rate HZ] [--soundfont F.sf2] [--overwrite]`: thin faces on [`coremusic::midi`].
//! Printing happens here, nowhere else.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use coremusic::midi::{
    read_smf, render_to_wav, EventKind, MidiError, RenderError, Sequence, SmfFormat, SynthChoice, TextKind,
    RENDER_RATES,
};

/// Arguments of `coremusic midi`.
#[derive(Debug, clap::Args)]
pub struct MidiArgs {
    /// What to do with MIDI files.
    #[command(subcommand)]
    pub command: MidiCommand,
}

/// `coremusic midi` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum MidiCommand {
    /// Show what MIDI files hold: format, tracks, timing, notes, tempo, duration.
    Info(InfoArgs),
    /// Render a MIDI file to WAV with the built-in synth or a SoundFont.
    Render(RenderArgs),
}

/// Arguments of `coremusic midi info`.
#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// MIDI files (.mid, .midi, .rmi).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print one JSON object per file (JSON Lines).
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `coremusic midi render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The MIDI file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The WAV file to write.
    #[arg(short, long, value_name = "OUT.wav")]
    pub output: PathBuf,
    /// Sample rate in Hz.
    #[arg(long, value_name = "HZ", default_value_t = 48_000)]
    pub rate: u32,
    /// Play through this SoundFont 2 file instead of the built-in synth.
    #[arg(long, value_name = "FILE.sf2")]
    pub soundfont: Option<PathBuf>,
    /// Replace OUT.wav if it exists.
    #[arg(long)]
    pub overwrite: bool,
}

/// Runs `coremusic midi ...`; returns the exit status.
pub fn run(args: &MidiArgs) -> i32 {
    match &args.command {
        MidiCommand::Info(a) => info(a),
        MidiCommand::Render(a) => render(a),
    }
}

/// The `midi info --json` record for a sequence.
pub fn info_json(path: &Path, seq: &Sequence) -> serde_json::Value {
    let notes = seq.note_count();
    let tempo_changes: usize =
        seq.tracks.iter().map(|t| t.events.iter().filter(|e| matches!(e.kind, EventKind::Tempo(_))).count()).sum();
    let end_tick = seq.end_tick();
    let duration_s = (seq.format != SmfFormat::Sequential).then(|| seq.tempo_map().tick_to_seconds(end_tick));
    serde_json::json!({
        "path": path,
        "format": seq.format.number(),
        "tracks": seq.tracks.len(),
        "ticks_per_quarter": seq.timing.ticks_per_quarter(),
        "notes": notes,
        "tempo_changes": tempo_changes,
        "end_tick": end_tick,
        "duration_s": duration_s,
        "warnings": seq.warnings,
    })
}

/// The human-readable report for a sequence.
pub fn info_human(path: &Path, seq: &Sequence) -> String {
    let map = seq.tempo_map();
    let end = seq.end_tick();
    let mut s = String::new();
    let row = |s: &mut String, k: &str, v: String| s.push_str(&format!("{:<15}{v}\n", format!("{k}:")));
    row(&mut s, "File", path.display().to_string());
    let kind = match seq.format {
        SmfFormat::Single => "single track",
        SmfFormat::Parallel => "parallel tracks",
        SmfFormat::Sequential => "sequential patterns",
    };
    row(&mut s, "Format", format!("{} ({kind})", seq.format.number()));
    let timing = match seq.timing {
        coremusic::midi::Timing::Metrical(t) => format!("{t} ticks per quarter note"),
        coremusic::midi::Timing::Smpte { fps, ticks_per_frame } => {
            format!(
                "SMPTE {} fps × {ticks_per_frame} ticks per frame",
                if fps == 29 { "29.97".into() } else { fps.to_string() }
            )
        }
    };
    row(&mut s, "Timing", timing);
    let tempos = map.segments().len();
    if let Some(bpm) = map.bpm_at(0) {
        row(&mut s, "Tempo", format!("{bpm:.2} BPM at start, {tempos} segment(s)"));
    }
    if let Some(ts) = map.time_signatures.first() {
        row(&mut s, "Time signature", format!("{}/{}", ts.numerator, ts.denominator));
    }
    row(&mut s, "Notes", seq.note_count().to_string());
    row(&mut s, "End tick", end.to_string());
    if seq.format != SmfFormat::Sequential {
        row(&mut s, "Duration", coremusic::report::info::format_duration(map.tick_to_seconds(end)));
    }
    row(&mut s, "Tracks", seq.tracks.len().to_string());
    for (i, t) in seq.tracks.iter().enumerate() {
        let name = if t.name.is_empty() { "(unnamed)".to_string() } else { format!("\"{}\"", t.name) };
        let program = t.program.map_or(String::new(), |p| format!(", program {}", u16::from(p) + 1));
        let keys = t
            .notes
            .iter()
            .map(|n| n.key)
            .fold(None, |r: Option<(u8, u8)>, k| Some(r.map_or((k, k), |(a, b)| (a.min(k), b.max(k)))));
        let range = keys.map_or(String::new(), |(a, b)| format!(", keys {a}–{b}"));
        let lyrics = t.events.iter().filter(|e| matches!(e.kind, EventKind::Text(TextKind::Lyric, _))).count();
        let markers = t.events.iter().filter(|e| matches!(e.kind, EventKind::Text(TextKind::Marker, _))).count();
        let mut extra = String::new();
        if lyrics > 0 {
            extra.push_str(&format!(", {lyrics} lyrics"));
        }
        if markers > 0 {
            extra.push_str(&format!(", {markers} markers"));
        }
        s.push_str(&format!(
            "  {:>3}  {name}: channel {}{program}, {} notes, {} events{range}{extra}\n",
            i + 1,
            u16::from(t.channel) + 1,
            t.notes.len(),
            t.events.len()
        ));
    }
    for w in &seq.warnings {
        row(&mut s, "Warning", w.to_string());
    }
    s
}

fn info(args: &InfoArgs) -> i32 {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    for (i, path) in args.files.iter().enumerate() {
        let written = match read_smf(path) {
            Ok(seq) if args.json => writeln!(out, "{}", info_json(path, &seq)),
            Ok(seq) => write!(out, "{}{}", if i > 0 { "\n" } else { "" }, info_human(path, &seq)),
            Err(e) => {
                failed = true;
                if args.json {
                    writeln!(out, "{}", serde_json::json!({ "path": path, "error": e.to_string() }))
                } else {
                    let _ = out.flush();
                    eprintln!("coremusic: {e}");
                    Ok(())
                }
            }
        };
        if written.is_err() {
            return 1;
        }
    }
    let _ = out.flush();
    i32::from(failed)
}

/// Runs `midi render`: 0 done, 1 failed, 2 bad usage (a rate out of range,
/// an output that exists without `--overwrite`), 130 cancelled by Ctrl-C.
fn render(args: &RenderArgs) -> i32 {
    // Neither input (the MIDI file, the SoundFont) is ever written over.
    let inputs = std::iter::once(&args.file).chain(args.soundfont.as_ref());
    if let Some(input) = inputs.into_iter().find(|i| coremusic::convert::same_file(i, &args.output)) {
        eprintln!(
            "coremusic: {}: is the input {} itself; choose another output",
            args.output.display(),
            input.display()
        );
        return 2;
    }
    if !RENDER_RATES.contains(&args.rate) {
        eprintln!("coremusic: --rate {}: give {} to {} Hz", args.rate, RENDER_RATES.start(), RENDER_RATES.end());
        return 2;
    }
    if !args.overwrite && std::fs::symlink_metadata(&args.output).is_ok() {
        eprintln!("coremusic: {}: {}", args.output.display(), RenderError::Exists);
        return 2;
    }
    // Ctrl-C (and SIGTERM/SIGHUP) stop the render between two blocks; its
    // temporary file is removed and nothing replaces the output. A second
    // Ctrl-C (the render is stuck, e.g. loading a huge SoundFont) removes the
    // temporary file and exits at once.
    static CANCEL: AtomicBool = AtomicBool::new(false);
    let _ = ctrlc::set_handler(move || {
        if CANCEL.swap(true, Ordering::SeqCst) {
            coremusic::io::place::remove_part_files_and_exit(130, |_| {});
        }
    });
    let seq = match read_smf(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("coremusic: {e}");
            return 1;
        }
    };
    for w in &seq.warnings {
        eprintln!("coremusic: {}: warning: {w}", args.file.display());
    }
    let choice = args.soundfont.clone().map_or(SynthChoice::Builtin, SynthChoice::SoundFont);
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(1000);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40.cyan/blue} {percent:>3}%  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut progress = |done: f64, total: f64| {
        if let Some(b) = &bar {
            b.set_position((done / total.max(1e-9) * 1000.0).clamp(0.0, 1000.0) as u64);
            b.set_message(format!("{done:.1} s rendered"));
        }
    };
    let result = render_to_wav(&seq, &args.output, args.overwrite, args.rate, &choice, Some(&CANCEL), &mut progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    match result {
        Ok(stats) => {
            println!(
                "{} → {}: {:.2} s ({} frames at {} Hz, peak {:.1} dBFS)",
                args.file.display(),
                args.output.display(),
                stats.frames as f64 / f64::from(stats.sample_rate),
                stats.frames,
                stats.sample_rate,
                20.0 * f64::from(stats.peak.max(1e-10)).log10()
            );
            0
        }
        Err(MidiError::Render { what: RenderError::Cancelled, .. }) => {
            eprintln!("coremusic: {}: cancelled; nothing written", args.output.display());
            130
        }
        Err(e @ MidiError::Render { what: RenderError::Exists, .. }) => {
            eprintln!("coremusic: {e}");
            2
        }
        Err(e) => {
            eprintln!("coremusic: {e}");
            1
        }
    }
}
