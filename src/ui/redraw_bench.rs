//! `coremusic --bench-redraw FILE`: how long the window takes to draw a
//! frame of the Waveform tab at each zoom, with the tiles of the screen
//! already computed and uploaded (idle: nothing arriving). The run opens
//! FILE, shows it in the Spectrogram view and then the Split view, each at
//! the whole file, 16×, 256×, 4096× and the deepest zoom; at each it waits
//! until the screen is complete (every tile final, the peaks ready), then
//! times [`FRAMES`] frames of the whole UI ([`super::CoreMusicApp::show`]:
//! every panel's layout and the lanes' shapes) and prints the median and
//! the worst in wall time; eframe's own figure for the whole frame
//! (tessellation and painting included); and the UI thread's CPU time per
//! frame over the [`FRAMES`] frames, painting included (what is left once
//! the waits for a CPU on a busy machine are taken out). Settings are not
//! saved.

use std::time::{Duration, Instant};

use super::waveform::ViewMode;
use super::{CoreMusicApp, Tab};
use crate::analysis::peaks::BASE_FRAMES;

/// Frames timed at each zoom.
pub const FRAMES: usize = 60;
/// The zooms measured: how many times the whole file (`None`: the deepest).
const ZOOMS: [Option<f64>; 5] = [Some(1.0), Some(16.0), Some(256.0), Some(4096.0), None];
/// The views measured.
const MODES: [ViewMode; 2] = [ViewMode::Spectrogram, ViewMode::Split];
/// The longest wait for a screen's tiles before measuring anyway.
const WAIT_MAX: Duration = Duration::from_secs(120);

/// Nanoseconds this thread has run on a CPU (Linux: its schedstat, brought
/// up to date at each tick and switch, so good over many frames, not one),
/// `None` elsewhere.
pub(crate) fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// One frame's times, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FrameTime {
    /// Wall time of [`super::CoreMusicApp::show`].
    pub wall_ms: f64,
    /// eframe's wall time of the whole previous frame, painting included.
    pub whole_prev_ms: Option<f64>,
}

/// Times a frame: call [`FrameClock::stop`] after it.
pub(crate) struct FrameClock {
    wall: Instant,
}

impl FrameClock {
    /// Starts timing.
    pub(crate) fn start() -> Self {
        FrameClock { wall: Instant::now() }
    }

    /// The frame's times; `whole_prev_s` is eframe's `cpu_usage`.
    pub(crate) fn stop(self, whole_prev_s: Option<f32>) -> FrameTime {
        let wall_ms = self.wall.elapsed().as_secs_f64() * 1e3;
        FrameTime { wall_ms, whole_prev_ms: whole_prev_s.map(|s| s as f64 * 1e3) }
    }
}

enum Phase {
    /// Waiting for the file to show.
    Opening,
    /// Zoom set; waiting for the screen to be complete (`frames` drawn since).
    Settling {
        since: Instant,
        frames: u32,
    },
    /// Timing frames; the UI thread's CPU time when it began.
    Timing(Vec<FrameTime>, Option<u64>),
    Done,
}

/// A redraw measurement in progress.
pub(crate) struct RedrawBench {
    step: usize,
    phase: Phase,
}

impl RedrawBench {
    /// Sets `app` up for the measurement.
    pub(crate) fn begin(app: &mut CoreMusicApp) -> Self {
        app.settings.tab = Tab::Waveform;
        app.waveform.mode = MODES[0];
        println!("redraw of the Waveform tab, {FRAMES} frames at each zoom, the screen's tiles cached:");
        RedrawBench { step: 0, phase: Phase::Opening }
    }

    /// After each frame, with its times: sets the next zoom, waits, times, prints; closes the window at the end.
    pub(crate) fn frame_drawn(&mut self, app: &mut CoreMusicApp, ctx: &egui::Context, time: FrameTime) {
        ctx.request_repaint();
        let view = &mut app.waveform;
        self.phase = match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Opening if view.timeline().is_some() && view.frames_per_point() > 0.0 => {
                self.set_zoom(app);
                Phase::Settling { since: Instant::now(), frames: 0 }
            }
            Phase::Opening => Phase::Opening,
            Phase::Settling { since, frames } => {
                // Drawn at the new zoom (what `complete` looks at), every tile final, and
                // in Split the waveform's peaks (and samples, zoomed in far) held.
                let deep = view.frames_per_point() < 2.0 * BASE_FRAMES as f64;
                let wave_ready = view.is_ready() && (!deep || view.samples_ready());
                let ready = frames >= 2 && view.spectrogram.complete() && (view.mode != ViewMode::Split || wave_ready);
                if ready || since.elapsed() > WAIT_MAX {
                    if !ready {
                        println!("  (the screen was not complete after {} s: measured anyway)", WAIT_MAX.as_secs());
                    }
                    Phase::Timing(Vec::with_capacity(FRAMES), thread_cpu_ns())
                } else {
                    Phase::Settling { since, frames: frames + 1 }
                }
            }
            Phase::Timing(mut times, cpu_at_start) => {
                times.push(time);
                if times.len() < FRAMES {
                    Phase::Timing(times, cpu_at_start)
                } else {
                    let cpu = cpu_at_start.zip(thread_cpu_ns()).map(|(a, b)| b.saturating_sub(a) as f64 / 1e6);
                    println!("  {}: {}", self.describe(), summary(&times, cpu.map(|c| c / FRAMES as f64)));
                    self.step += 1;
                    if self.step == MODES.len() * ZOOMS.len() {
                        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                        Phase::Done
                    } else {
                        self.set_zoom(app);
                        Phase::Settling { since: Instant::now(), frames: 0 }
                    }
                }
            }
            Phase::Done => Phase::Done,
        };
    }

    fn set_zoom(&self, app: &mut CoreMusicApp) {
        let view = &mut app.waveform;
        view.mode = MODES[self.step / ZOOMS.len()];
        let frames = view.timeline().map_or(0, |t| t.frames) as f64;
        view.show_all();
        match ZOOMS[self.step % ZOOMS.len()] {
            Some(z) => view.zoom_by(1.0 / z, frames / 2.0),
            None => view.zoom_by(1e-12, frames / 2.0),
        }
    }

    fn describe(&self) -> String {
        let zoom = match ZOOMS[self.step % ZOOMS.len()] {
            Some(1.0) => "whole file".to_string(),
            Some(z) => format!("zoomed {z}×"),
            None => "deepest zoom".to_string(),
        };
        format!("{}, {zoom}", MODES[self.step / ZOOMS.len()].label())
    }
}

/// "median … worst …" of the frames' times; `cpu_mean_ms` the UI
/// thread's CPU per frame over them all, painting included.
fn summary(times: &[FrameTime], cpu_mean_ms: Option<f64>) -> String {
    let pick = |f: fn(&FrameTime) -> f64| {
        let mut v: Vec<f64> = times.iter().map(f).filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        match (v.get(v.len() / 2), v.last()) {
            (Some(m), Some(w)) => format!("median {m:.2} ms, worst {w:.2} ms"),
            _ => "—".to_string(),
        }
    };
    format!(
        "UI frame (wall) {}; whole frame with painting (eframe, wall) {}; UI thread's CPU per frame, painting \
         included: mean {}",
        pick(|t| t.wall_ms),
        pick(|t| t.whole_prev_ms.unwrap_or(f64::NAN)),
        cpu_mean_ms.map_or("—".to_string(), |c| format!("{c:.2} ms")),
    )
}
