//! The Spectrogram view with one lane per channel, driven with
//! egui_kittest: the cursor readout of each lane reads its own channel's
//! generated tone, the FFT size is chosen in its box, and the view toggles
//! back to the waveform alone. Also the window's bars at 700 points wide:
//! nothing overlaps, and nothing moves when playback starts.
#![cfg(feature = "gui")]

mod common;

use common::gui::*;

use std::path::{Path, PathBuf};

use coremusic::analysis::peaks::PeakCache;
use coremusic::ui::waveform::ViewMode;
use coremusic::ui::CoreMusicApp;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;

fn harness(cache: &Path, size: [f32; 2]) -> App {
    let mut app = new_app();
    app.waveform.set_cache(PeakCache::new(cache));
    Harness::builder().with_size(size).build_ui_state(|ui, app: &mut CoreMusicApp| app.show(ui), app)
}

/// 2 s of 48 kHz 24-bit stereo: 1 kHz at −20 dBFS on the left, 3 kHz at −30 dBFS on the right.
fn two_tones(dir: &Path) -> PathBuf {
    let path = dir.join("two-tones.wav");
    let mut w = common::hound_int(&path, 48000, 2, 24);
    let sine = |amp: f64, hz: f64, i: usize| {
        let x = amp * (std::f64::consts::TAU * hz * i as f64 / 48000.0).sin();
        (x * 8_388_607.0).round() as i32
    };
    for i in 0..96_000 {
        w.write_sample(sine(0.1, 1000.0, i)).unwrap();
        w.write_sample(sine(10f64.powf(-1.5), 3000.0, i)).unwrap();
    }
    w.finalize().unwrap();
    path
}

/// The window showing `wav` on the Waveform tab.
fn on_waveform_tab(dir: &Path, wav: &Path, size: [f32; 2]) -> App {
    let mut h = harness(&dir.join("cache"), size);
    drop_files(&mut h, &[wav]);
    step_until(&mut h, "probing", |a| !a.busy() && a.files.counts().2 == 0);
    h.get_by_label("Waveform").click();
    h.run_steps(2);
    step_until(&mut h, "the waveform", |a| a.waveform.is_ready() || a.waveform.error().is_some());
    h
}

/// Moves the pointer to `freq` Hz in the middle of spectrogram lane `lane`; the readout's (Hz, dB).
fn read_lane(h: &mut App, lane: usize, freq: f64) -> (f64, f64) {
    let v = h.state().waveform.visible_range();
    let p = h.state().waveform.spectrogram_lane_point(lane, (v.start + v.end) / 2, freq).expect("the lane");
    h.input_mut().events.push(egui::Event::PointerMoved(p));
    h.run_steps(3);
    let text = h.state().waveform.spectrogram.readout.clone().expect("a readout");
    h.get_by_label(&format!("Cursor {text}"));
    let parts: Vec<&str> = text.split(" · ").collect();
    (parts[1].trim_end_matches(" Hz").parse().unwrap(), parts[2].trim_end_matches(" dB").parse().unwrap())
}

#[test]
fn each_channel_lane_reads_its_own_tone_and_the_view_toggles_back() {
    let dir = tempfile::tempdir().unwrap();
    let wav = two_tones(dir.path());
    let mut h = on_waveform_tab(dir.path(), &wav, [1100.0, 760.0]);
    h.get_by_label("Spectrogram").click();
    h.run_steps(2);
    h.get_by_label("Per channel").click();
    h.run_steps(2);
    assert!(h.state().waveform.spectrogram.per_channel);
    step_until(&mut h, "the tiles of both lanes", |a| a.waveform.spectrogram.complete());

    let (hz, db) = read_lane(&mut h, 0, 1000.0);
    assert!((hz - 1000.0).abs() <= 1.0 && (db + 20.0).abs() <= 0.3, "left: {hz} Hz {db} dB");
    let (hz, db) = read_lane(&mut h, 1, 3000.0);
    assert!((hz - 3000.0).abs() <= 1.0 && (db + 30.0).abs() <= 0.3, "right: {hz} Hz {db} dB");
    // Over the left lane, 3 kHz is not there: the loudest thing near it is far below the tones.
    let (_, db) = read_lane(&mut h, 0, 3000.0);
    assert!(db < -60.0, "{db} dB");

    // A longer FFT chosen in its box: new tiles, the same reading.
    h.get_by_label("FFT").click();
    h.run_steps(2);
    h.get_by_label("8192").click();
    h.run_steps(2);
    assert_eq!(h.state().waveform.spectrogram.settings.fft_size, 8192);
    step_until(&mut h, "the 8192-point tiles", |a| a.waveform.spectrogram.complete());
    let (hz, db) = read_lane(&mut h, 0, 1000.0);
    assert!((hz - 1000.0).abs() <= 0.5 && (db + 20.0).abs() <= 0.3, "left, FFT 8192: {hz} Hz {db} dB");

    // Back to the waveform alone (the view switch's button, after the tab's): the spectrogram's settings leave the bar.
    h.get_all_by_label("Waveform").nth(1).expect("the view switch").click();
    h.run_steps(2);
    assert_eq!(h.state().waveform.mode, ViewMode::Waveform);
    assert!(h.query_by_label("FFT").is_none());
    assert!(h.query_by_label("Per channel").is_none());
}

/// The labels of the window's top bars, each of which must show whole.
const TOOLBAR: [&str; 8] = ["Open…", "Inspector", "Waveform", "MIDI", "Batch", "Latency", "Profiler", "Loop"];

#[test]
fn at_700_points_the_bars_do_not_overlap_and_do_not_move_when_playing() {
    let dir = tempfile::tempdir().unwrap();
    let wav = two_tones(dir.path());
    let mut h = on_waveform_tab(dir.path(), &wav, [700.0, 600.0]);
    let rects: Vec<egui::Rect> = TOOLBAR.iter().map(|l| h.get_all_by_label(l).next().unwrap().rect()).collect();
    for (i, a) in rects.iter().enumerate() {
        assert!(a.right() <= 700.0, "{} is cut off: {a:?}", TOOLBAR[i]);
        for (j, b) in rects.iter().enumerate().skip(i + 1) {
            assert!(!a.intersects(*b), "{} overlaps {}: {a:?} {b:?}", TOOLBAR[i], TOOLBAR[j]);
        }
    }
    let output = h.get_by_label("Output device").rect();
    assert!(output.right() <= 700.0, "the output picker is cut off: {output:?}");

    // Playing changes Play to Pause and fills the meters row: nothing below moves.
    let heading = h.get_by_label("Waveform of two-tones.wav").rect();
    let volume = h.get_by_label("Volume").rect();
    h.get_by_label("Play").click();
    h.run_steps(2);
    step_until(&mut h, "playing", |a| a.audio.playing_path().is_some());
    // The bar shows Pause from the frame after the engine says it plays.
    h.run_steps(2);
    h.get_by_label("Pause");
    assert_eq!(h.get_by_label("Waveform of two-tones.wav").rect(), heading);
    assert_eq!(h.get_by_label("Volume").rect(), volume);
}
