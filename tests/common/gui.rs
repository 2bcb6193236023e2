//! What the window tests share: files dropped on the window, and stepping the
//! UI until something has happened (the limit only guards against a hang; no
//! test depends on how long work takes).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use coremusic::analysis::peaks::PeakCache;
use coremusic::engine::{Clock, DeviceChoice, EngineConfig};
use coremusic::ui::{CoreMusicApp, Settings};
use egui_kittest::Harness;

/// The window under test.
pub type App = Harness<'static, CoreMusicApp>;

/// A file dropped on the window.
#[derive(Debug)]
pub struct Dropped(pub PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Drops `paths` on the window and runs one frame.
pub fn drop_files<P: AsRef<Path>>(h: &mut App, paths: &[P]) {
    for p in paths {
        h.input_mut().dropped_files.push(Arc::new(Dropped(p.as_ref().to_path_buf())));
    }
    h.step();
}

/// Steps until `done` holds, then two more frames; fails naming `what`
/// after two minutes.
pub fn step_until(h: &mut App, what: &str, done: impl Fn(&CoreMusicApp) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        h.step();
        assert!(start.elapsed() < Duration::from_secs(120), "{what} never happened");
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run_steps(2);
}

/// The app with default settings on a virtual-clock simulated device: no
/// sound card is opened (or looked for), and nothing plays unless a test
/// steps the clock.
pub fn new_app() -> CoreMusicApp {
    app_with(Settings::default())
}

/// The app with `settings` on that simulated device.
pub fn app_with(settings: Settings) -> CoreMusicApp {
    CoreMusicApp::with_engine(&egui::Context::default(), settings, sim_engine())
}

/// A player: [`new_app`] on 512-frame buffers, its peak cache in `cache`.
pub fn player_app(cache: &Path) -> CoreMusicApp {
    let engine = EngineConfig { buffer_frames: 512, ..sim_engine() };
    let mut app = CoreMusicApp::with_engine(&egui::Context::default(), Settings::default(), engine);
    app.waveform.set_cache(PeakCache::new(cache));
    app
}

fn sim_engine() -> EngineConfig {
    EngineConfig { device: DeviceChoice::Sim, clock: Clock::Virtual, ..Default::default() }
}

/// `app` in a window of `size` points.
pub fn window(app: CoreMusicApp, size: [f32; 2]) -> App {
    Harness::builder().with_size(size).build_ui_state(|ui, app: &mut CoreMusicApp| app.show(ui), app)
}

/// Opens the Batch tab and drops `files` on it (a few frames each).
pub fn batch_with<P: AsRef<Path>>(h: &mut App, files: &[P]) {
    use egui_kittest::kittest::Queryable;
    h.get_by_label("Batch").click();
    h.run_steps(2);
    drop_files(h, files);
    h.run_steps(2);
}

/// Runs `callbacks` periods of the simulated device and waits until the
/// engine has handled them.
pub fn tick(h: &mut App, callbacks: usize) {
    let clock = h.state().audio.engine().virtual_clock().expect("a virtual clock");
    clock.step(callbacks);
    assert!(h.state().audio.engine().sync(Duration::from_secs(30)));
}
