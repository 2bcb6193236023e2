//! The level meters under the transport, driven as a user would with
//! egui_kittest on the virtual-clock simulated device: play a generated
//! −20 dBFS sine and read −20.0 dBFS sample peak and true peak and −23.0 dB
//! RMS (a sine's RMS is 3 dB under its peak), and its loudness.
#![cfg(feature = "gui")]

mod common;

use common::gui::*;

use std::path::{Path, PathBuf};
use std::time::Duration;

use egui_kittest::kittest::Queryable;

/// 5 s of a 997 Hz sine at −20 dBFS (amplitude 0.1) on both channels, 48 kHz, 24-bit.
fn tone(dir: &Path) -> PathBuf {
    common::hound_sine24(dir, "minus20.wav", 2, 997.0, 0.1, 5.0)
}

/// The window playing `wav` (dropped on it, then Play).
fn playing(dir: &Path, wav: &Path) -> App {
    let mut h = window(player_app(&dir.join("cache")), [1400.0, 760.0]);
    drop_files(&mut h, &[wav]);
    step_until(&mut h, "probing", |a| !a.busy() && a.files.counts().2 == 0);
    h.get_by_label("Play").click();
    h.run_steps(2);
    step_until(&mut h, "the file to load", |a| a.audio.playing_path().map(|p| p.as_path()) == Some(wav));
    h
}

/// Plays `steps` × 10 callbacks of 512 frames (107 ms at 48 kHz each) on the virtual clock.
fn play(h: &mut App, steps: usize) {
    for _ in 0..steps {
        tick(h, 10);
        std::thread::sleep(Duration::from_millis(20)); // the metering thread reads the tap every 15 ms
        h.run_steps(1);
    }
}

#[test]
fn meters_show_a_minus_20_dbfs_sine_as_minus_20() {
    let dir = tempfile::tempdir().unwrap();
    let wav = tone(dir.path());
    let mut h = playing(dir.path(), &wav);
    // About 1.5 s of audio (the device runs at 48 kHz like the file: no resampling).
    play(&mut h, 14);
    step_until(&mut h, "meter readings", |a| a.audio.levels.as_ref().is_some_and(|l| l.momentary_lufs > -60.0));
    let levels = h.state().audio.levels.clone().unwrap();
    assert_eq!(levels.channels.len(), 2);
    assert_eq!(h.get_all_by_label("Peak −20.0 dBFS").count(), 2, "{levels:?}");
    assert_eq!(h.get_all_by_label("TP −20.0 dBTP").count(), 2, "{levels:?}");
    assert_eq!(h.get_all_by_label("RMS −23.0 dB").count(), 2, "{levels:?}");
    // Both channels of a 997 Hz sine at −20 dBFS: −20 + 3 (two channels) − 3 (sine) ≈ −20 LUFS, K-weighted.
    assert!((levels.momentary_lufs + 20.0).abs() < 0.5, "{levels:?}");
    let f = coremusic::ui::meters::format_db;
    h.get_by_label(&format!(
        "M {}  S {}  I {} LUFS",
        f(levels.momentary_lufs),
        f(levels.short_term_lufs),
        f(levels.integrated_lufs)
    ));
}

#[test]
fn reset_starts_the_integrated_loudness_again() {
    let dir = tempfile::tempdir().unwrap();
    let wav = tone(dir.path());
    let mut h = playing(dir.path(), &wav);
    play(&mut h, 14);
    step_until(&mut h, "a second of readings", |a| a.audio.levels.as_ref().is_some_and(|l| l.integrated_s >= 1.0));
    let before = h.state().audio.levels.clone().unwrap();
    assert!((before.integrated_lufs + 20.0).abs() < 0.5, "{before:?}");

    h.get_by_label("Reset meters").click();
    h.run_steps(2);
    play(&mut h, 6);
    step_until(&mut h, "readings after the reset", |a| {
        a.audio.levels.as_ref().is_some_and(|l| l.integrated_s > 0.0 && l.integrated_s < before.integrated_s)
    });
    let after = h.state().audio.levels.clone().unwrap();
    assert!(after.integrated_s <= 0.7, "the integrated loudness covers only what played since the reset: {after:?}");
    // The tone goes on: after 400 ms the integrated loudness reads it again.
    step_until(&mut h, "the integrated loudness again", |a| {
        a.audio.levels.as_ref().is_some_and(|l| l.integrated_lufs > -60.0 && l.integrated_s < before.integrated_s)
    });
}
