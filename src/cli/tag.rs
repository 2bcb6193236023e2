//! `coremusic tag --replaygain FILE...|FOLDER [--album] [--json]`: measure
//! each file (EBU R128, in parallel) and write ReplayGain 2.0 tags into it
//! without touching its audio, like rsgain and loudgain.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use coremusic::analysis::replaygain::replaygain_of;
use coremusic::io::scan::audio_files_in;
use coremusic::io::tags::{write_replaygain, ReplayGain};

/// Arguments of `coremusic tag`.
#[derive(Debug, clap::Args)]
pub struct TagArgs {
    /// Files or folders (folders are searched for audio files).
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Write ReplayGain 2.0 track gain and peak (reference -18 LUFS).
    #[arg(long, required = true)]
    pub replaygain: bool,
    /// Also the album gain and peak, from all the files as one album.
    #[arg(long)]
    pub album: bool,
    /// One JSON object per file instead of text.
    #[arg(long)]
    pub json: bool,
}

/// One line for people: `track -6.52 dB, peak 0.987654; album …`.
pub fn describe(rg: &ReplayGain) -> String {
    let mut s = format!("track {:+.2} dB, peak {:.6}", rg.track_gain_db, rg.track_peak);
    if let (Some(g), Some(p)) = (rg.album_gain_db, rg.album_peak) {
        s.push_str(&format!("; album {g:+.2} dB, peak {p:.6}"));
    }
    s
}

/// Runs the command; exit status 0 all tagged, 1 any failed.
pub fn run(args: &TagArgs) -> i32 {
    let mut files = Vec::new();
    let mut failed = 0usize;
    let mut out = std::io::stdout();
    let mut report = |path: &std::path::Path, result: Result<&ReplayGain, String>| {
        if args.json {
            let v = match result {
                Ok(rg) => serde_json::json!({"path": path, "replaygain": rg}),
                Err(e) => serde_json::json!({"path": path, "error": e}),
            };
            let _ = writeln!(out, "{v}");
        } else {
            match result {
                Ok(rg) => println!("{}: {}", path.display(), describe(rg)),
                Err(e) => eprintln!("coremusic: {e}"),
            }
        }
    };
    for input in &args.inputs {
        if input.is_dir() {
            audio_files_in(input, &mut files, &mut |p| eprintln!("note: {p}"));
        } else {
            files.push(input.clone());
        }
    }
    if files.is_empty() {
        eprintln!("coremusic: no audio files found to tag");
        return 1;
    }
    let values = replaygain_of(&files, args.album, &|_| {}, &AtomicBool::new(false));
    for (path, value) in files.iter().zip(values) {
        let written = value
            .map_err(|e| e.to_string())
            .and_then(|rg| write_replaygain(path, &rg).map(|_| rg).map_err(|e| e.to_string()));
        if written.is_err() {
            failed += 1;
        }
        report(path, written.as_ref().map_err(Clone::clone));
    }
    i32::from(failed > 0)
}
