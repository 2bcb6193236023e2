//! The Spectrogram view of the Waveform tab, driven as a user would with
//! egui_kittest: switch to it, wait for the tiles, zoom, and read the cursor
//! readout over a generated 1 kHz tone at −20 dBFS.
#![cfg(feature = "gui")]

mod common;

use common::gui::*;

use std::path::{Path, PathBuf};

use coremusic::analysis::peaks::PeakCache;
use coremusic::ui::waveform::ViewMode;
use coremusic::ui::CoreMusicApp;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;

fn harness(cache: &Path) -> Harness<'static, CoreMusicApp> {
    let mut app = new_app();
    app.waveform.set_cache(PeakCache::new(cache));
    Harness::builder().with_size([1100.0, 700.0]).build_ui_state(|ui, app: &mut CoreMusicApp| app.show(ui), app)
}

/// `seconds` of a 1 kHz sine at −20 dBFS (amplitude 0.1), mono, 48 kHz, 24-bit.
fn tone(dir: &Path, seconds: f64) -> PathBuf {
    let path = dir.join("tone.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48000,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for i in 0..(48000.0 * seconds) as usize {
        let x = 0.1 * (std::f64::consts::TAU * 1000.0 * i as f64 / 48000.0).sin();
        w.write_sample((x * 8_388_607.0).round() as i32).unwrap();
    }
    w.finalize().unwrap();
    path
}

/// The numbers of the cursor readout: "Cursor 0:01.000 · 1000 Hz · -20.0 dB".
fn readout(h: &Harness<'static, CoreMusicApp>) -> (String, f64, f64) {
    let text = h.state().waveform.spectrogram.readout.clone().expect("a readout");
    h.get_by_label(&format!("Cursor {text}"));
    let parts: Vec<&str> = text.split(" · ").collect();
    let hz = parts[1].trim_end_matches(" Hz").parse().unwrap();
    let db = parts[2].trim_end_matches(" dB").parse().unwrap();
    (parts[0].to_string(), hz, db)
}

#[test]
fn the_spectrogram_view_zooms_and_reads_a_1_khz_tone_at_minus_20_db() {
    let dir = tempfile::tempdir().unwrap();
    let wav = tone(dir.path(), 4.0);
    let mut h = harness(&dir.path().join("cache"));
    drop_files(&mut h, &[&wav]);
    step_until(&mut h, "probing", |a| !a.busy() && a.files.counts().2 == 0);
    h.get_by_label("Waveform").click();
    h.run_steps(2);
    step_until(&mut h, "the waveform", |a| a.waveform.is_ready() || a.waveform.error().is_some());

    h.get_by_label("Spectrogram").click();
    h.run_steps(2);
    assert_eq!(h.state().waveform.mode, ViewMode::Spectrogram);
    step_until(&mut h, "the spectrogram tiles", |a| a.waveform.spectrogram.complete());
    assert_eq!(h.state().waveform.spectrogram.error(), None);
    h.get_by_label("FFT");
    assert!(h.query_by_label("Per channel").is_none(), "a mono file has one lane only");
    let whole = h.state().waveform.visible_range();
    assert_eq!(whole, 0..192_000);

    // Zoom in twice with the + button: half, then a quarter of the file, new tiles computed.
    for want in [96_000, 48_000] {
        h.get_by_label("+").click();
        h.run_steps(2);
        let v = h.state().waveform.visible_range();
        assert_eq!(v.end - v.start, want);
        step_until(&mut h, "the zoomed tiles", |a| a.waveform.spectrogram.complete());
    }

    // The cursor over the tone in the middle of the screen reads it.
    let v = h.state().waveform.visible_range();
    let mid = (v.start + v.end) / 2;
    let p = h.state().waveform.spectrogram_point(mid, 1000.0).unwrap();
    h.input_mut().events.push(egui::Event::PointerMoved(p));
    h.run_steps(3);
    let (time, hz, db) = readout(&h);
    assert!(time.starts_with("0:0"), "{time}");
    assert!((hz - 1000.0).abs() <= 1.0, "{hz} Hz");
    // A Hann FFT of 2048 between bins: within 0.3 dB after interpolation.
    assert!((db + 20.0).abs() <= 0.3, "{db} dB");

    // Split keeps both: the waveform above, the spectrogram below.
    h.get_by_label("Split").click();
    h.run_steps(2);
    assert_eq!(h.state().waveform.mode, ViewMode::Split);
    step_until(&mut h, "the split view", |a| a.waveform.spectrogram.complete());

    // The spectrum analyser at the playhead reads the tone exactly.
    h.get_by_label("Analyser").click();
    h.run_steps(2);
    step_until(&mut h, "the analyser", |a| a.waveform.analyser.reading().is_some());
    assert_eq!(h.state().waveform.analyser.reading().as_deref(), Some("1000.0 Hz · -20.0 dB"));
    h.get_by_label("Peak 1000.0 Hz · -20.0 dB");
}
