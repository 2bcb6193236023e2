//! The Batch tab's lossy outputs, driven as a user would with egui_kittest:
//! drop WAVs, pick the "MP3 V2" preset (or "Opus 128k"), convert, and find
//! outputs that decode to the sources' length.
#![cfg(feature = "gui")]

mod common;

use common::gui::*;

use coremusic::io::OutputFormat;
use coremusic::ui::CoreMusicApp;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;

fn harness() -> App {
    window(new_app(), [1000.0, 760.0])
}

/// Drops three WAVs on the Batch tab, clicks `preset`, converts; returns the
/// output folder and the sources' frame counts.
fn convert_with(preset: &str, ext: &str, rate_out: u32) {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("in");
    std::fs::create_dir_all(&inbox).unwrap();
    let sources = [("a.wav", 44_100, 2, 30_000u32), ("b.wav", 48_000, 1, 20_000), ("c.wav", 22_050, 2, 11_025)];
    let files: Vec<_> = sources.iter().map(|(n, r, c, f)| common::hound_wav(&inbox, n, *r, *c, *f)).collect();
    let mut h = harness();
    batch_with(&mut h, &files);
    h.get_by_label(preset).click();
    h.run_steps(2);
    assert!(h.state().batch.opts.format.is_some_and(OutputFormat::is_lossy), "{preset} picked a lossy format");
    h.get_by_label("Convert").click();
    step_until(&mut h, "the batch", |a| a.batch.summary.is_some());
    h.get_by_label("3 converted, 0 skipped, 0 failed");
    let out = inbox.join("Converted");
    for (name, rate, ch, frames) in sources {
        let path = out.join(name.replace(".wav", ext));
        let mut f = coremusic::io::AudioFile::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let info = f.info().clone();
        assert_eq!(info.channels(), usize::from(ch), "{name}");
        let want_rate = if rate_out == 0 { rate } else { rate_out };
        assert_eq!(info.sample_rate(), want_rate, "{name}");
        let got = f.read_all().unwrap().len() / usize::from(ch);
        let want = u64::from(frames) * u64::from(want_rate) / u64::from(rate);
        assert!((got as u64).abs_diff(want) <= 1, "{name}: {got} frames, want {want}");
    }
}

#[cfg(not(target_os = "macos"))]
#[test]
fn the_batch_tab_converts_to_mp3_v2() {
    convert_with("MP3 V2", ".mp3", 0);
}

#[test]
fn the_batch_tab_converts_to_opus_128k() {
    convert_with("Opus 128k", ".opus", 48_000);
}

/// Bit depth and dither mean nothing to a lossy codec: their rows go when
/// a lossy preset is picked and come back with a lossless format.
#[test]
fn depth_and_dither_rows_are_hidden_for_lossy_outputs() {
    let mut h = harness();
    h.get_by_label("Batch").click();
    // Half a second, as between a user's clicks (a second click within
    // egui's double-click time of the tab's is not a fresh click).
    h.run_steps(30);
    let shown = |h: &Harness<'static, CoreMusicApp>| {
        let any = |label: &str| h.query_all_by_label(label).next().is_some();
        (any("Bit depth"), any("TPDF dither when reducing depth"))
    };
    assert_eq!(shown(&h), (true, true), "FLAC shows them");
    let mut presets = vec!["Opus 128k"];
    if cfg!(not(target_os = "macos")) {
        presets.push("MP3 V2");
    }
    for preset in presets {
        h.get_by_label(preset).click();
        h.run_steps(2);
        assert_eq!(shown(&h), (false, false), "{preset} hides them");
        h.get_by_label("FLAC").click();
        h.run_steps(2);
        assert_eq!(shown(&h), (true, true), "back to FLAC after {preset}");
    }
}
