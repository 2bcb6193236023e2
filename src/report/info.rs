//! How a file's facts read: the afinfo-like text block of `coremusic info`
//! and the Inspector, the `--loudness` fields (text and JSON), and the small
//! formatters for durations, sizes and levels that every face shares.

use crate::dsp::loudness::LoudnessReport;
use crate::io::{Container, FileInfo, Warning};

/// The file's ReplayGain tags in words (`track -6.52 dB, peak 0.987654;
/// album …`), when it has them.
pub fn replaygain_line(info: &FileInfo) -> Option<String> {
    let rg = crate::io::tags::ReplayGain::from_map(&info.tags)?;
    let mut s = format!("track {:+.2} dB", rg.track_gain_db);
    if rg.track_peak.is_finite() {
        s.push_str(&format!(", peak {:.6}", rg.track_peak));
    }
    if let Some(g) = rg.album_gain_db {
        s.push_str(&format!("; album {g:+.2} dB"));
        if let Some(p) = rg.album_peak {
            s.push_str(&format!(", peak {p:.6}"));
        }
    }
    Some(s)
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
        (None, _) if info.warnings.iter().any(|w| matches!(w, Warning::CannotDecode { .. })) => {
            "none: CoreMusic cannot decode this codec".to_string()
        }
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
    if let Some(ok) = info.verified {
        rows.push(("Integrity", integrity(ok).to_string()));
    }
    let mut s = String::new();
    for (k, v) in rows {
        s.push_str(&format!("{:<15}{v}\n", format!("{k}:")));
    }
    if !info.tags.is_empty() {
        s.push_str("Tags:\n");
        for (k, v) in &info.tags {
            s.push_str(&format!("  {:<13}{}\n", format!("{k}:"), clip_value(v)));
        }
    }
    if let Some(rg) = replaygain_line(info) {
        s.push_str(&format!("ReplayGain:    {rg}\n"));
    }
    if !info.chapters.is_empty() {
        s.push_str(&format!("Chapters:      {}\n", info.chapters.len()));
        for c in &info.chapters {
            s.push_str(&format!("  {:<13}{}\n", format_duration(c.start_s), c.title));
        }
    }
    for w in &info.warnings {
        s.push_str(&format!("Warning:       {w}\n"));
    }
    s
}

/// How a checksum verdict reads: `intact`, or `damaged: MD5 mismatch`.
pub fn integrity(ok: bool) -> &'static str {
    if ok {
        "intact"
    } else {
        "damaged: MD5 mismatch"
    }
}

/// The `--loudness` fields of `info --json`. Silence (−∞) is `null`.
pub fn json_levels(l: &LoudnessReport) -> serde_json::Map<String, serde_json::Value> {
    let round = |v: Option<f64>, places: i32| v.map(|x| (x * 10f64.powi(places)).round() / 10f64.powi(places));
    let mut m = serde_json::Map::new();
    m.insert("loudness_lufs".into(), round(l.integrated_lufs, 2).into());
    m.insert("loudness_range_lu".into(), round(l.range_lu, 2).into());
    m.insert("true_peak_dbtp".into(), round(l.true_peak_dbtp, 2).into());
    m.insert("sample_peak_dbfs".into(), round(l.sample_peak_dbfs, 2).into());
    m.insert("dc_offset".into(), l.channels.iter().map(|c| c.dc_offset).collect::<Vec<f64>>().into());
    m.insert("clipped_samples".into(), l.clipped_samples().into());
    m
}

/// The `--loudness` lines of the human report (afinfo-style `Key: value`).
pub fn human_levels(l: &LoudnessReport) -> String {
    let db = format_db;
    let loudness = match (l.integrated_lufs, l.range_lu) {
        (Some(i), Some(r)) => format!("{i:.1} LUFS integrated, range {r:.1} LU"),
        (Some(i), None) => format!("{i:.1} LUFS integrated"),
        _ => "silent".to_string(),
    };
    let dc: Vec<String> = l.channels.iter().map(|c| format_dc(c.dc_offset)).collect();
    let clips: u64 = l.channels.iter().map(|c| c.clip_runs).sum();
    let rows = [
        ("Loudness", loudness),
        ("True peak", db(l.true_peak_dbtp, "dBTP")),
        ("Sample peak", db(l.sample_peak_dbfs, "dBFS")),
        ("DC offset", dc.join(", ")),
        ("Clipped", format!("{} samples in {clips} runs", l.clipped_samples())),
    ];
    rows.iter().map(|(k, v)| format!("{:<15}{v}\n", format!("{k}:"))).collect()
}

/// A level to one decimal (`-23.0 LUFS`), or `silent` for `None` (−∞).
/// Never `-0.0`.
pub fn format_db(v: Option<f64>, unit: &str) -> String {
    v.map_or("silent".to_string(), |x| format!("{:.1} {unit}", if x.abs() < 0.05 { 0.0 } else { x }))
}

/// A DC offset as a percentage of full scale (`+0.012 %`).
pub fn format_dc(dc: f64) -> String {
    let pct = dc * 100.0;
    // No "-0.000 %" for a tiny negative offset.
    format!("{:+.3} %", if pct.abs() < 0.0005 { 0.0 } else { pct })
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

/// Characters of a tag value shown before it is clipped.
pub const CLIP_CHARS: usize = 200;
/// Lines of a tag value shown before it is clipped.
pub const CLIP_LINES: usize = 3;

/// A tag value as shown to a person: whole when short, else its first
/// [`CLIP_CHARS`] characters or [`CLIP_LINES`] lines and `… (16.0 MB)` with
/// the whole size. Looks at the start of the value only, so a 16 MB value
/// costs no more than a short one (the window calls this every frame).
pub fn clip_value(v: &str) -> std::borrow::Cow<'_, str> {
    let mut lines = 0;
    let mut cut = None;
    for (n, (i, c)) in v.char_indices().enumerate() {
        if n == CLIP_CHARS {
            cut = Some(i);
            break;
        }
        if c == '\n' {
            lines += 1;
            if lines == CLIP_LINES {
                cut = Some(i);
                break;
            }
        }
    }
    match cut {
        Some(i) if i < v.len() => {
            std::borrow::Cow::Owned(format!("{}… ({})", v[..i].trim_end(), format_bytes(v.len() as u64)))
        }
        _ => std::borrow::Cow::Borrowed(v),
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
    #[test]
    fn long_tag_values_are_clipped_with_their_size() {
        assert_eq!(super::clip_value("short"), "short");
        let big = "x".repeat(16_000_000);
        let c = super::clip_value(&big);
        assert!(c.starts_with(&"x".repeat(200)) && c.ends_with("… (16.0 MB)"), "{}", &c[190..]);
        assert_eq!(super::clip_value("a\nb\nc\nd and more"), "a\nb\nc… (16 bytes)");
        assert_eq!(super::clip_value("a\nb\nc"), "a\nb\nc");
        let wide = "é".repeat(300);
        assert!(super::clip_value(&wide).starts_with(&"é".repeat(200)));
    }

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
