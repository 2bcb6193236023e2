//! `coremusic info` as a user runs it: human and JSON Lines output, a broken
//! file among good ones, exit status.

mod common;

use std::process::Command;

fn coremusic() -> Command {
    Command::new(env!("CARGO_BIN_EXE_coremusic"))
}

#[test]
fn info_json_reports_every_field_and_errors_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = common::hound_wav(dir.path(), "tone.wav", 44100, 2, 44100);
    let text = common::file_with(dir.path(), "notes.mp3", b"this is a text file renamed to mp3\n");
    let empty = common::file_with(dir.path(), "empty.wav", b"");
    let out = coremusic().args(["info", "--json"]).arg(&good).arg(&text).arg(&empty).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a failed file makes the exit status 1");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "{stdout}");

    let g = &lines[0];
    assert_eq!(g["path"], good.to_str().unwrap());
    assert_eq!(g["container"], "wav");
    assert_eq!(g["codec"], "pcm");
    assert_eq!(g["sample_rate"], 44100);
    assert_eq!(g["channels"], 2);
    assert_eq!(g["bits_per_sample"], 16);
    assert_eq!(g["sample_format"], "s16");
    assert_eq!(g["frames"], 44100);
    assert_eq!(g["duration_s"], 1.0);
    assert_eq!(g["bit_rate"], 44100 * 2 * 16);
    assert!(g["tags"].is_object());

    assert_eq!(lines[1]["path"], text.to_str().unwrap());
    let e = lines[1]["error"].as_str().unwrap();
    assert!(e.contains("text"), "{e}");
    let e = lines[2]["error"].as_str().unwrap();
    assert!(e.contains("empty"), "{e}");
}

#[test]
fn info_human_output_is_aligned_and_names_broken_files() {
    let dir = tempfile::tempdir().unwrap();
    let good = common::hound_wav(dir.path(), "mono.wav", 48000, 1, 4800);
    let out = coremusic().arg("info").arg(&good).output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("Sample rate:   48000 Hz"), "{s}");
    assert!(s.contains("Channels:      1 (Mono)"), "{s}");
    assert!(s.contains("Duration:      0:00.100"), "{s}");

    let junk = common::file_with(dir.path(), "junk.wav", &[0x13u8; 300]);
    let out = coremusic().arg("info").arg(&junk).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("junk.wav") && err.contains("not an audio file"), "{err}");
}

#[test]
fn info_on_a_folder_or_missing_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.wav");
    let out = coremusic().args(["info", "--json"]).arg(&missing).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let s = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = s.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines[0]["error"].as_str().unwrap().to_lowercase().contains("no such file"), "{s}");
    assert!(lines[1]["error"].as_str().unwrap().contains("folder"), "{s}");
}

/// Audiobooks (.m4b) carry a chapter track beside the audio: the audio track
/// is the one reported and decoded.
#[test]
fn an_m4b_audiobook_with_chapters_reads_like_ffmpeg() {
    if Command::new("ffmpeg").arg("-version").output().is_err() {
        eprintln!("note: ffmpeg not on PATH, test skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let meta = common::file_with(
        dir.path(),
        "chapters.txt",
        b";FFMETADATA1\ntitle=My Audiobook\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=One\n\
          [CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=3000\ntitle=Two\n",
    );
    let book = dir.path().join("book.m4b");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=300:d=3", "-i"])
        .arg(&meta)
        .args(["-map", "0", "-map_metadata", "1", "-map_chapters", "1", "-c:a", "aac", "-b:a", "64k"])
        .arg(&book)
        .status()
        .unwrap();
    if !made.success() {
        eprintln!("note: ffmpeg could not make an m4b here, test skipped");
        return;
    }
    let out = coremusic().args(["info", "--json"]).arg(&book).output().unwrap();
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["codec"], "aac");
    assert_eq!(j["frames"], 3 * 44100);
    assert_eq!(j["tags"]["title"], "My Audiobook");
    let all = coremusic::io::AudioFile::open(&book).unwrap().read_all().unwrap();
    assert_eq!(all.len(), 3 * 44100);
}

/// A float WAV of `samples` (interleaved), written by hound.
fn float_wav(dir: &std::path::Path, name: &str, rate: u32, channels: u16, samples: &[f32]) -> std::path::PathBuf {
    let path = dir.join(name);
    let spec =
        hound::WavSpec { channels, sample_rate: rate, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for &s in samples {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
    path
}

/// A sine at `dbfs` peak in every channel.
fn sine(rate: u32, channels: usize, freq: f64, dbfs: f64, seconds: f64) -> Vec<f32> {
    let amp = 10f64.powf(dbfs / 20.0);
    (0..(f64::from(rate) * seconds) as usize)
        .flat_map(|i| {
            let v = (amp * (i as f64 * freq / f64::from(rate) * std::f64::consts::TAU).sin()) as f32;
            std::iter::repeat_n(v, channels)
        })
        .collect()
}

/// Noise whose level steps between `levels_db` every `step_s` seconds (so
/// that its loudness range is not zero), different in each channel. It is
/// white noise through a 4-sample moving average, so it has little energy
/// near Nyquist, like music: on full-band white noise the true-peak readings
/// of the `ebur128` crate (48-tap 4× interpolator) and ffmpeg (192 kHz
/// swresample) differ by about 1 dB.
fn stepped_noise(rate: u32, channels: usize, levels_db: &[f64], step_s: f64, seed: u64) -> Vec<f32> {
    let mut rng = common::tools::Rng(seed | 1);
    let step = (f64::from(rate) * step_s) as usize;
    let mut out = Vec::new();
    for &db in levels_db {
        let amp = 10f64.powf(db / 20.0);
        let mut last = vec![[0.0f64; 4]; channels];
        for i in 0..step * channels {
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            let h = &mut last[i % channels];
            h.rotate_right(1);
            h[0] = u;
            out.push((h.iter().sum::<f64>() / 4.0 * 2.0 * amp) as f32);
        }
    }
    out
}

fn info_loudness_json(files: &[&std::path::Path]) -> (Option<i32>, Vec<serde_json::Value>) {
    let out = coremusic().args(["info", "--loudness", "--json"]).args(files).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines = stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    (out.status.code(), lines)
}

#[test]
fn info_loudness_json_has_the_design_fields_and_a_broken_file_errors_alone() {
    let dir = tempfile::tempdir().unwrap();
    let tone = float_wav(dir.path(), "tone.wav", 48000, 2, &sine(48000, 2, 1000.0, -23.0, 10.0));
    let silent = float_wav(dir.path(), "silent.wav", 44100, 1, &vec![0.0; 44100 * 2]);
    let junk = common::file_with(dir.path(), "junk.wav", b"RIFF\x10\x00\x00\x00WAVEjunkjunk");
    let (code, lines) = info_loudness_json(&[&tone, &junk, &silent]);
    assert_eq!(code, Some(1), "the broken file makes the status 1");
    assert_eq!(lines.len(), 3);
    let t = &lines[0];
    assert_eq!(t["sample_rate"], 48000, "the info fields are still there");
    let lufs = t["loudness_lufs"].as_f64().unwrap();
    assert!((lufs + 23.0).abs() <= 0.1, "EBU Tech 3341 case 1: {lufs}");
    assert!(t["loudness_range_lu"].as_f64().unwrap() < 0.1);
    let sp = t["sample_peak_dbfs"].as_f64().unwrap();
    assert!((sp + 23.0).abs() < 0.02, "{sp}");
    let tp = t["true_peak_dbtp"].as_f64().unwrap();
    assert!(tp >= sp && tp < -22.8, "{tp}");
    assert_eq!(t["clipped_samples"], 0);
    assert_eq!(t["dc_offset"].as_array().unwrap().len(), 2);

    assert!(lines[1]["error"].as_str().unwrap().len() > 5, "{}", lines[1]);
    assert_eq!(lines[1]["path"], junk.to_str().unwrap());

    let s = &lines[2];
    for k in ["loudness_lufs", "loudness_range_lu", "true_peak_dbtp", "sample_peak_dbfs"] {
        assert!(s[k].is_null(), "silence has no {k} (−inf is not JSON): {s}");
    }
}

#[test]
fn info_loudness_human_lines_say_silent_dc_and_clipping() {
    let dir = tempfile::tempdir().unwrap();
    let silent = float_wav(dir.path(), "silent.wav", 44100, 2, &vec![0.0; 44100 * 2 * 2]);
    // A 16-bit file: a quiet sine on a +5 % DC offset, hard-clipped for 4 samples twice.
    let path = dir.path().join("clipped.wav");
    let mut w = common::hound_int(&path, 44100, 1, 16);
    for i in 0..44100 {
        let v = match i {
            1000..=1003 => i16::MAX,
            2000..=2003 => i16::MIN,
            _ => (1638.4 + 3000.0 * (i as f64 * 0.05).sin()).round() as i16,
        };
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
    let out = coremusic().args(["info", "--loudness"]).arg(&silent).arg(&path).output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("Loudness:      silent"), "{s}");
    assert!(s.contains("True peak:     silent"), "{s}");
    assert!(s.contains("Sample peak:   0.0 dBFS"), "{s}");
    assert!(s.contains("Clipped:       8 samples in 2 runs"), "{s}");
    assert!(s.contains("DC offset:     +5.0"), "{s}");
    assert!(s.contains("LUFS integrated"), "{s}");
}

/// ffmpeg's `ebur128` filter on the same files: integrated loudness and range
/// within 0.1 LU, true peak within 0.1 dB.
#[test]
fn loudness_matches_ffmpeg_ebur128() {
    if !common::tools::have("ffmpeg") {
        eprintln!("note: ffmpeg not on PATH, test skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = [
        float_wav(dir.path(), "sine48.wav", 48000, 2, &sine(48000, 2, 1000.0, -23.0, 12.0)),
        float_wav(dir.path(), "sine44-mono.wav", 44100, 1, &sine(44100, 1, 3150.0, -9.0, 8.0)),
        float_wav(dir.path(), "noise.wav", 48000, 2, &stepped_noise(48000, 2, &[-20.0, -32.0, -26.0, -14.0], 4.0, 7)),
        common::hound_wav(dir.path(), "hound16.wav", 44100, 2, 44100 * 6),
    ];
    let refs: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    let (code, lines) = info_loudness_json(&refs);
    assert_eq!(code, Some(0));
    for (path, ours) in files.iter().zip(&lines) {
        let summary = common::tools::ffmpeg_ebur128(path).unwrap();
        let value = |key: &str| summary.value(key);
        let name = path.file_name().unwrap().to_string_lossy();
        for (field, key, tol) in
            [("loudness_lufs", "I:", 0.1), ("loudness_range_lu", "LRA:", 0.1), ("true_peak_dbtp", "Peak:", 0.1)]
        {
            let (a, b) = (ours[field].as_f64().unwrap(), value(key));
            eprintln!("{name}: {field} coremusic {a:.2}, ffmpeg {b:.1}");
            assert!((a - b).abs() <= tol + 1e-9, "{name}: {field} {a} vs ffmpeg {b}");
        }
    }
}
