//! The Batch tab's loudness options, driven as a user would: tick
//! "Normalise to" (−14 LUFS), "Verify outputs" and "Write ReplayGain tags",
//! convert generated files, and read each file's loudness before and after,
//! "verified" and the ReplayGain gain in the list and the summary.
#![cfg(feature = "gui")]

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use common::gui::*;
use egui_kittest::kittest::Queryable;

/// A 16-bit stereo WAV at 44.1 kHz: a chord and some noise at `gain_db`.
fn tone(dir: &Path, name: &str, gain_db: f64) -> PathBuf {
    let path = dir.join(name);
    let mut w = common::hound_int(&path, 44100, 2, 16);
    let g = 10f64.powf(gain_db / 20.0);
    let mut rng = common::tools::Rng(77);
    for f in 0..44100 * 4 {
        let t = f as f64 / 44100.0;
        for c in 0..2 {
            let v = ((t * (261.6 + 65.4 * c as f64) * std::f64::consts::TAU).sin() * 0.4
                + ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.1)
                * g;
            w.write_sample((v * 32767.0).round() as i16).unwrap();
        }
    }
    w.finalize().unwrap();
    path
}

#[test]
fn normalising_and_verifying_a_batch_shows_the_loudness_before_and_after() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("in");
    std::fs::create_dir_all(&inbox).unwrap();
    let files = vec![tone(&inbox, "quiet.wav", -24.0), tone(&inbox, "loud.wav", -3.0)];
    let app = new_app();
    let mut h = window(app, [1200.0, 800.0]);
    batch_with(&mut h, &files);
    h.get_by_label("Normalise to").click();
    h.get_by_label("Verify outputs (decode each again and compare)").click();
    h.get_by_label("Write ReplayGain tags").click();
    h.run_steps(2);
    let opts = &h.state().batch.opts;
    assert_eq!(opts.normalize.map(|n| n.target_lufs), Some(-14.0), "ticking Normalise sets −14 LUFS");
    assert!(opts.verify && opts.replaygain);
    h.get_by_label("Convert").click();
    step_until(&mut h, "the batch", |a| a.batch.summary.is_some());
    h.get_by_label("2 converted, 0 skipped, 0 failed, 2 verified");
    // Each row: its loudness before → after, and how it was proved.
    assert_eq!(h.query_all_by_label_contains("-> -14.0 LUFS").count(), 2);
    assert!(h.query_all_by_label_contains("verified: bit-exact").count() == 2);
    assert!(h.query_all_by_label_contains("ReplayGain -4.00 dB").count() >= 1, "−14 LUFS is 4 dB above −18");
    for name in ["quiet.flac", "loud.flac"] {
        let out = inbox.join("Converted").join(name);
        let a = coremusic::analysis::loudness::analyze(&out, |_| {}, &AtomicBool::new(false)).unwrap();
        let lufs = a.levels.integrated_lufs.unwrap();
        assert!((lufs + 14.0).abs() <= 0.5, "{name}: {lufs} LUFS");
        assert!(a.levels.true_peak_dbtp.unwrap() <= -1.0, "{name}");
    }
}

/// "After" is the output's loudness measured again, not before plus the
/// gain: an Opus output (lossy, 48 kHz) normalised to −16 LUFS without
/// verification (its own measuring pass) and a FLAC with it (the verifying
/// pass measures) both read within 0.5 LU of the target, and agree with our
/// meter run on the written file.
#[test]
fn the_loudness_after_is_measured_on_the_output() {
    for (preset, ext, verify) in [("Opus 128k", "opus", false), ("FLAC", "flac", true)] {
        let dir = tempfile::tempdir().unwrap();
        let inbox = dir.path().join("in");
        std::fs::create_dir_all(&inbox).unwrap();
        let files = vec![tone(&inbox, "quiet.wav", -20.0)];
        let app = new_app();
        let mut h = window(app, [1200.0, 800.0]);
        batch_with(&mut h, &files);
        h.get_by_label(preset).click();
        // The rows move (a lossy format hides bit depth and dither).
        h.run_steps(2);
        h.get_by_label("Normalise to").click();
        if verify {
            h.get_by_label("Verify outputs (decode each again and compare)").click();
        }
        h.run_steps(2);
        h.state_mut().batch.opts.normalize.as_mut().unwrap().target_lufs = -16.0;
        h.get_by_label("Convert").click();
        step_until(&mut h, "the batch", |a| a.batch.summary.is_some());
        let summary = h.state().batch.summary.clone().unwrap();
        assert_eq!((summary.converted, summary.failed), (1, 0), "{preset}: {:?}", h.state().batch.rows);
        let row = h.state().batch.rows[0].loudness.clone();
        let after: f64 = row
            .split("-> ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no loudness after in {row:?}"));
        assert!((after + 16.0).abs() <= 0.5, "{preset}: {row}");
        assert_eq!(h.query_all_by_label_contains(&format!("-> {after:.1} LUFS")).count(), 1, "{row}");
        let out = inbox.join("Converted").join(format!("quiet.{ext}"));
        let a = coremusic::analysis::loudness::analyze(&out, |_| {}, &AtomicBool::new(false)).unwrap();
        let lufs = a.levels.integrated_lufs.unwrap();
        assert!((lufs - after).abs() <= 0.05, "{preset}: the row says {after}, the output measures {lufs}");
    }
}
