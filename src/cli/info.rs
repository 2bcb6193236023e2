//! `coremusic info FILE... [--json] [--loudness]`: what each file is, like
//! afinfo; with `--loudness` also its EBU R128 loudness, loudness range, true
//! and sample peak, DC offset and clipped samples (read through the whole file);
//! with `--verify` it decodes each file to check the checksum it carries
//! (FLAC's MD5, as `flac -t` does) and says `intact` or `damaged`.

use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;

use coremusic::analysis::loudness::{analyze, Analysis};
use coremusic::io::{inspect, verify, FileInfo};
use coremusic::report::info::{human, human_levels, json_levels};

/// Arguments of `coremusic info`.
#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// Audio files to inspect.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print one JSON object per file (JSON Lines).
    #[arg(long)]
    pub json: bool,
    /// Also measure EBU R128 loudness, loudness range, true peak, sample peak,
    /// DC offset and clipping (decodes the whole file).
    #[arg(long)]
    pub loudness: bool,
    /// Decode each file to check the checksum it carries (FLAC's MD5 of the
    /// audio, as `flac -t` does): prints `Integrity: intact` or `damaged`
    /// (JSON `"verified": true/false`, `null` when the file carries no
    /// checksum); the exit status is 1 when any file is damaged.
    #[arg(long)]
    pub verify: bool,
}

/// One file's report: what it is, and its levels when asked for.
type Report = Result<(FileInfo, Option<Analysis>), String>;

fn report(path: &std::path::Path, loudness: bool, check: bool) -> Report {
    let info = if check { verify(path) } else { inspect(path) }.map_err(|e| e.error.to_string())?;
    let levels = if loudness {
        let never = std::sync::atomic::AtomicBool::new(false);
        Some(analyze(path, |_| {}, &never).map_err(|e| e.error.to_string())?)
    } else {
        None
    };
    Ok((info, levels))
}

/// Inspects every file in parallel and prints the reports in the order given.
/// Returns 1 when any file could not be read.
pub fn run(args: &InfoArgs) -> i32 {
    let reports: Vec<Report> = args.files.par_iter().map(|p| report(p, args.loudness, args.verify)).collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = 0;
    for (i, (path, report)) in args.files.iter().zip(&reports).enumerate() {
        let written = match report {
            Ok((info, levels)) if args.json => serde_json::to_value(info)
                .map(|mut v| {
                    if let (Some(a), Some(obj)) = (levels, v.as_object_mut()) {
                        obj.extend(json_levels(&a.levels));
                    }
                    if let Some(obj) = v.as_object_mut() {
                        let rg = coremusic::io::tags::ReplayGain::from_map(&info.tags);
                        obj.insert("replaygain".into(), serde_json::to_value(rg).unwrap_or_default());
                    }
                    if let (true, Some(obj)) = (args.verify, v.as_object_mut()) {
                        obj.entry("verified").or_insert(serde_json::Value::Null);
                    }
                    v
                })
                .and_then(|v| serde_json::to_writer(&mut out, &v))
                .map_err(std::io::Error::other)
                .and_then(|_| writeln!(out)),
            Ok((info, levels)) => {
                let sep = if i > 0 { "\n" } else { "" };
                let mut extra = levels.as_ref().map(|a| human_levels(&a.levels)).unwrap_or_default();
                if args.verify && info.verified.is_none() {
                    extra.push_str("Integrity:     not checked (the file carries no checksum)\n");
                }
                write!(out, "{sep}{}{extra}", human(info))
            }
            Err(e) => {
                failed += 1;
                if args.json {
                    let line = serde_json::json!({ "path": path, "error": e });
                    writeln!(out, "{line}")
                } else {
                    let _ = out.flush();
                    eprintln!("coremusic: {}: {e}", path.display());
                    Ok(())
                }
            }
        };
        if written.is_err() {
            return 1; // stdout closed (e.g. piped into `head`)
        }
    }
    let _ = out.flush();
    let damaged = reports.iter().any(|r| matches!(r, Ok((i, _)) if i.verified == Some(false)));
    i32::from(failed > 0 || damaged)
}
