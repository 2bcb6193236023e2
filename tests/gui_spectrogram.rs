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

fn harness(cache: &Path) -> App {
    let mut app = new_app();
    app.waveform.set_cache(PeakCache::new(cache));
    window(app, [1100.0, 700.0])
}

/// `seconds` of a 1 kHz sine at −20 dBFS (amplitude 0.1), mono, 48 kHz, 24-bit.
fn tone(dir: &Path, seconds: f64) -> PathBuf {
    common::hound_sine24(dir, "tone.wav", 1, 1000.0, 0.1, seconds)
}

/// The window with `wav` open on the Waveform tab, its waveform drawn.
fn on_waveform_tab(dir: &Path, wav: &Path) -> Harness<'static, CoreMusicApp> {
    let mut h = harness(&dir.join("cache"));
    drop_files(&mut h, &[wav]);
    step_until(&mut h, "probing", |a| !a.busy() && a.files.counts().2 == 0);
    h.get_by_label("Waveform").click();
    h.run_steps(2);
    step_until(&mut h, "the waveform", |a| a.waveform.is_ready() || a.waveform.error().is_some());
    h
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
    let mut h = on_waveform_tab(dir.path(), &wav);

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

/// eframe's storage kept in one JSON file, as a restart finds it.
struct FileStorage(PathBuf, std::collections::BTreeMap<String, String>);

impl FileStorage {
    fn open(file: PathBuf) -> Self {
        let map = std::fs::read(&file).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        FileStorage(file, map)
    }
}

impl eframe::Storage for FileStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.1.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.1.insert(key.to_string(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.1.remove(key);
    }
    fn flush(&mut self) {
        std::fs::write(&self.0, serde_json::to_vec(&self.1).unwrap()).unwrap();
    }
}

#[test]
fn the_spectrogram_settings_survive_a_restart() {
    use coremusic::analysis::spectrogram::scale::{ColourMap, FreqScale};
    use coremusic::analysis::spectrogram::WindowKind;
    use coremusic::ui::Settings;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("storage.json");
    let wav = tone(dir.path(), 1.0);
    {
        let mut h = on_waveform_tab(dir.path(), &wav);
        h.get_by_label("Split").click();
        h.run_steps(2);
        h.get_by_label("Grey").click();
        h.run_steps(2);
        let s = &mut h.state_mut().waveform.spectrogram;
        s.settings.fft_size = 8192;
        s.settings.window = WindowKind::BlackmanHarris;
        s.look.scale = FreqScale::Mel;
        s.look.floor_db = -90.0;
        s.look.range_db = 70.0;
        s.per_channel = true;
        h.run_steps(2);
        let mut storage = FileStorage::open(file.clone());
        eframe::App::save(h.state_mut(), &mut storage);
        eframe::Storage::flush(&mut storage);
    }

    // The restart.
    let storage = FileStorage::open(file);
    let settings = Settings::load(Some(&storage));
    let engine = coremusic::engine::EngineConfig {
        device: coremusic::engine::DeviceChoice::Sim,
        clock: coremusic::engine::Clock::Virtual,
        ..Default::default()
    };
    let app = CoreMusicApp::with_engine(&egui::Context::default(), settings, engine);
    assert_eq!(app.waveform.mode, ViewMode::Split);
    let s = &app.waveform.spectrogram;
    assert_eq!((s.settings.fft_size, s.settings.window), (8192, WindowKind::BlackmanHarris));
    assert_eq!((s.look.scale, s.look.floor_db, s.look.range_db), (FreqScale::Mel, -90.0, 70.0));
    assert_eq!(s.look.colours, ColourMap::Grey);
    assert!(s.per_channel);

    // Values this version does not know keep the defaults.
    let odd = coremusic::ui::waveform::SpectrogramPrefs {
        mode: "Sideways".into(),
        fft_size: 1000,
        window: "square".into(),
        scale: "bark".into(),
        floor_db: f32::NAN,
        ..Default::default()
    };
    let mut view = coremusic::ui::WaveformView::new();
    view.apply_spectrogram_prefs(&odd);
    assert_eq!(view.mode, ViewMode::Waveform);
    assert_eq!(view.spectrogram.settings, coremusic::analysis::spectrogram::Settings::default());
    assert_eq!(view.spectrogram.look.scale, FreqScale::Linear);
    assert_eq!(view.spectrogram.look.floor_db, -120.0);
}
