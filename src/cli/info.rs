//! `coremusic info FILE... [--json]`: what each file is, like afinfo.

use std::io::Write;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::io::{inspect, Container, FileInfo};

/// Arguments of `coremusic info`.
#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    /// Audio files to inspect.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print one JSON object per file (JSON Lines).
    #[arg(long)]
    pub json: bool,
}

/// Inspects every file in parallel and prints the reports in the order given.
/// Returns 1 when any file could not be read.
pub fn run(args: &InfoArgs) -> i32 {
    let reports: Vec<Result<FileInfo, String>> =
        args.files.par_iter().map(|p| inspect(p).map_err(|e| e.error.to_string())).collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = 0;
    for (i, (path, report)) in args.files.iter().zip(&reports).enumerate() {
        let written = match report {
            Ok(info) if args.json => {
                serde_json::to_writer(&mut out, info).map_err(std::io::Error::other).and_then(|_| writeln!(out))
            }
            Ok(info) => {
                let sep = if i > 0 { "\n" } else { "" };
                write!(out, "{sep}{}", human(info))
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
    i32::from(failed > 0)
}

/// The afinfo-like text block for one file.
pub fn human(info: &FileInfo) -> String {
    let mut rows: Vec<(&str, String)> = vec![
        ("File", info.path.display().to_string()),
        (
            "Container",
            format!("{} ({})", info.container, Container::from_name(&info.container).map_or("", |c| c.long_name())),
        ),
        ("Codec", format!("{} ('{}')", info.codec, info.format.format_id)),
        ("Sample rate", format!("{} Hz", info.sample_rate)),
        ("Channels", format!("{} ({})", info.channels, info.channel_layout)),
    ];
    let mut sample = match (info.sample_format, info.bits_per_sample) {
        (Some(f), Some(b)) if b != f.bits() => format!("{f}, {b} significant bits"),
        (Some(f), _) => f.to_string(),
        (None, _) => "decoded to float (lossy codec)".to_string(),
    };
    let flags = info.format.describe_flags();
    if !flags.is_empty() {
        sample.push_str(&format!("; stored as {flags}"));
    }
    rows.push(("Sample format", sample));
    rows.push(("Frames", info.frames.map_or("unknown".into(), |f| f.to_string())));
    rows.push(("Duration", info.duration_s.map_or("unknown".into(), format_duration)));
    if let Some(b) = info.bit_rate {
        rows.push(("Bit rate", format!("{:.1} kbit/s", b as f64 / 1000.0)));
    }
    rows.push(("File size", format_bytes(info.file_size)));
    let mut s = String::new();
    for (k, v) in rows {
        s.push_str(&format!("{:<15}{v}\n", format!("{k}:")));
    }
    if !info.tags.is_empty() {
        s.push_str("Tags:\n");
        for (k, v) in &info.tags {
            s.push_str(&format!("  {:<13}{v}\n", format!("{k}:")));
        }
    }
    for w in &info.warnings {
        s.push_str(&format!("Warning:       {w}\n"));
    }
    s
}

/// `h:mm:ss.mmm` or `m:ss.mmm`.
pub fn format_duration(secs: f64) -> String {
    let ms_total = (secs * 1000.0).round() as u64;
    let (h, m, s, ms) = (ms_total / 3_600_000, ms_total / 60_000 % 60, ms_total / 1000 % 60, ms_total % 1000);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{ms:03}")
    } else {
        format!("{m}:{s:02}.{ms:03}")
    }
}

/// `1.5 MB`-style sizes (decimal units, as Finder shows them).
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_read_well() {
        assert_eq!(format_duration(0.0), "0:00.000");
        assert_eq!(format_duration(61.5), "1:01.500");
        assert_eq!(format_duration(3.0 * 3600.0 + 2.25), "3:00:02.250");
        assert_eq!(format_bytes(999), "999 bytes");
        assert_eq!(format_bytes(1_500_000), "1.5 MB");
    }
}
