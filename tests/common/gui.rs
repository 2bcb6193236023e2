//! What the window tests share: files dropped on the window, and stepping the
//! UI until something has happened (the limit only guards against a hang; no
//! test depends on how long work takes).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use coremusic::ui::CoreMusicApp;
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
    let engine = coremusic::engine::EngineConfig {
        device: coremusic::engine::DeviceChoice::Sim,
        clock: coremusic::engine::Clock::Virtual,
        ..Default::default()
    };
    CoreMusicApp::with_engine(&egui::Context::default(), Default::default(), engine)
}
