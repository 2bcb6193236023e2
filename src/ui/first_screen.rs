//! `coremusic --bench-first-screen FILE`: how long after the program
//! started the window shows the first screen of a file's spectrogram, as the
//! user sees it — the window opened, the file probed, the tiles of the
//! screen read and uploaded (at least their first, coarse look). The run
//! opens FILE on the Waveform tab in the Spectrogram view (Split stays
//! Split), with a fresh, empty peaks cache so the file is never seen
//! before, prints the times on stdout, and closes the window. Settings are
//! not saved. Drop the page cache first for a cold run.

use std::path::PathBuf;
use std::time::Instant;

use super::waveform::ViewMode;
use super::{CoreMusicApp, Tab};
use crate::analysis::peaks::PeakCache;

/// A first-screen measurement in progress.
pub(crate) struct FirstScreenBench {
    /// When the process started.
    started: Instant,
    /// When the app asked for the file to be opened (the window is up).
    opened: Instant,
    /// The empty peaks cache of this run, removed at the end.
    cache_dir: PathBuf,
    done: bool,
    /// Seconds after `opened` of each step seen, and the frames drawn.
    probed: Option<f64>,
    asked: Option<f64>,
    arrived: Option<f64>,
    frames: u32,
}

impl FirstScreenBench {
    /// Sets `app` up for the measurement; `started` is the process's start.
    pub(crate) fn begin(app: &mut CoreMusicApp, started: Instant) -> Self {
        let cache_dir = std::env::temp_dir().join(format!("coremusic-first-screen-{}", std::process::id()));
        app.waveform.set_cache(PeakCache::new(&cache_dir));
        app.settings.tab = Tab::Waveform;
        if app.waveform.mode == ViewMode::Waveform {
            app.waveform.mode = ViewMode::Spectrogram;
        }
        FirstScreenBench {
            started,
            opened: Instant::now(),
            cache_dir,
            done: false,
            probed: None,
            asked: None,
            arrived: None,
            frames: 0,
        }
    }

    /// After each frame: once the screen is shown, prints the times and closes the window.
    pub(crate) fn frame_drawn(&mut self, app: &CoreMusicApp, ctx: &egui::Context) {
        if self.done {
            return;
        }
        self.frames += 1;
        let now = self.opened.elapsed().as_secs_f64();
        let probed = app.files.selected_entry().is_some_and(|e| matches!(e.state, super::FileState::Ready(_)));
        let (n, arrived, _) = app.waveform.spectrogram.first_look_progress();
        for (step, reached) in
            [(&mut self.probed, probed), (&mut self.asked, n > 0), (&mut self.arrived, n > 0 && arrived == n)]
        {
            if reached && step.is_none() {
                *step = Some(now);
            }
        }
        if !app.waveform.first_screen_shown() {
            return;
        }
        self.done = true;
        let peaks = match (app.waveform.is_ready(), app.waveform.progress()) {
            (true, _) => "ready".to_string(),
            (false, Some(f)) => format!("{:.0}% built", f * 100.0),
            (false, None) => "not started".to_string(),
        };
        let at = |t: Option<f64>| t.map_or("—".to_string(), |t| format!("{t:.3}"));
        println!(
            "first screen of the spectrogram: {:.3} s after start ({:.3} s after the window asked to open the file); \
             peaks then: {peaks}; steps after the open: probed {}, tiles asked {}, all {n} arrived {}, shown {:.3} \
             ({} frames)",
            self.started.elapsed().as_secs_f64(),
            now,
            at(self.probed),
            at(self.asked),
            at(self.arrived),
            now,
            self.frames,
        );
        let _ = std::fs::remove_dir_all(&self.cache_dir);
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }
}

impl Drop for FirstScreenBench {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.cache_dir);
    }
}
