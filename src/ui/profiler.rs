//! The profiler: how the whole program is doing, live — engine load and
//! xruns, conversion throughput, the UI's own frame time and the memory in
//! use. Memory is sampled by a small background thread (twice a second) so
//! the UI thread never reads anything but an atomic.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::action::Action;
use super::audio::AudioLink;

/// How many UI frames the frame-time figures cover.
const FRAMES: usize = 240;

/// Live figures of the whole program.
pub struct Profiler {
    /// Shown as a side panel.
    pub open: bool,
    frame_ms: VecDeque<f64>,
    last_frame: Option<Instant>,
    rss: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    /// The conversion throughput to show (MB/s), set by the Batch tab while it runs.
    pub convert_mb_s: Option<f64>,
}

impl Default for Profiler {
    fn default() -> Self {
        let rss = Arc::new(AtomicU64::new(resident_bytes().unwrap_or(0)));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (rss.clone(), stop.clone());
        let _ = std::thread::Builder::new().name("coremusic-memory".into()).spawn(move || {
            while !s.load(Relaxed) {
                if let Some(b) = resident_bytes() {
                    r.store(b, Relaxed);
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        });
        Profiler {
            open: false,
            frame_ms: VecDeque::with_capacity(FRAMES),
            last_frame: None,
            rss,
            stop,
            convert_mb_s: None,
        }
    }
}

impl Drop for Profiler {
    fn drop(&mut self) {
        self.stop.store(true, Relaxed);
    }
}

impl Profiler {
    /// Records that a frame is being drawn (call once per frame).
    pub fn frame(&mut self) {
        let now = Instant::now();
        if let Some(last) = self.last_frame.replace(now) {
            if self.frame_ms.len() == FRAMES {
                self.frame_ms.pop_front();
            }
            self.frame_ms.push_back(now.duration_since(last).as_secs_f64() * 1e3);
        }
    }

    /// Memory in use (resident), in bytes, when the platform tells.
    pub fn memory_bytes(&self) -> Option<u64> {
        Some(self.rss.load(Relaxed)).filter(|&b| b > 0)
    }

    /// Median and worst time between recent frames, in ms.
    pub fn frame_times(&self) -> Option<(f64, f64)> {
        if self.frame_ms.is_empty() {
            return None;
        }
        let mut v: Vec<f64> = self.frame_ms.iter().copied().collect();
        v.sort_by(f64::total_cmp);
        Some((v[v.len() / 2], v[v.len() - 1]))
    }

    /// The per-frame work, run whichever tab shows. Nothing to poll: the memory
    /// figure is sampled by the profiler's own thread into an atomic, and the
    /// frame times are recorded by [`Profiler::frame`]. Returns what the
    /// app should do (nothing yet; the same contract as the other panels).
    pub fn logic(&mut self) -> Vec<Action> {
        Vec::new()
    }

    /// Draws the side panel's contents; returns what the app should do
    /// (nothing yet).
    pub fn ui(&mut self, ui: &mut egui::Ui, link: &AudioLink) -> Vec<Action> {
        self.draw(ui, link);
        Vec::new()
    }

    fn draw(&mut self, ui: &mut egui::Ui, link: &AudioLink) {
        ui.heading("Profiler");
        egui::Grid::new("profiler").num_columns(2).striped(true).show(ui, |ui| {
            let s = &link.stats;
            ui.label("Engine load p99");
            ui.label(format!("{:.1}%", s.load_p99 * 100.0));
            ui.end_row();
            ui.label("Callback p99 / max");
            ui.label(format!("{:.0} / {:.0} µs", s.callback_us.p99, s.callback_us.max));
            ui.end_row();
            ui.label("Xruns / underruns");
            ui.label(format!("{} / {}", s.xruns, s.underruns));
            ui.end_row();
            ui.label("Jitter (mean / max)");
            ui.label(format!("{:.0} / {:.0} µs", s.jitter_us.mean, s.jitter_us.max));
            ui.end_row();
            ui.label("Ring buffer");
            if s.ring_capacity_frames > 0 {
                ui.label(format!("{:.0}% full", 100.0 * s.ring_fill_frames as f64 / s.ring_capacity_frames as f64));
            } else {
                ui.label("—");
            }
            ui.end_row();
            ui.label("Conversion");
            ui.label(self.convert_mb_s.map_or("idle".to_string(), |m| format!("{m:.0} MB/s")));
            ui.end_row();
            ui.label("UI frame (median / worst)");
            ui.label(self.frame_times().map_or("—".to_string(), |(m, w)| format!("{m:.1} / {w:.1} ms")));
            ui.end_row();
            ui.label("Memory in use");
            ui.label(self.memory_bytes().map_or("—".to_string(), |b| format!("{:.1} MB", b as f64 / 1e6)));
            ui.end_row();
        });
        ui.add_space(6.0);
        ui.label("Engine load (%)");
        let load: Vec<[f64; 2]> = link.history.iter().map(|p| [p.t, p.load_p99 * 100.0]).collect();
        Plot::new("profiler-load")
            .height(110.0)
            .allow_scroll(false)
            .include_y(0.0)
            .show(ui, |p| p.line(Line::new("load p99", PlotPoints::from(load))));
        ui.label("UI frame time (ms)");
        let frames: Vec<[f64; 2]> = self.frame_ms.iter().enumerate().map(|(i, &ms)| [i as f64, ms]).collect();
        Plot::new("profiler-frames")
            .height(110.0)
            .allow_scroll(false)
            .include_y(0.0)
            .legend(Legend::default())
            .show(ui, |p| p.line(Line::new("frame", PlotPoints::from(frames))));
    }
}

/// Resident memory of this process, in bytes.
#[cfg(target_os = "linux")]
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Resident memory of this process, in bytes.
#[cfg(target_os = "macos")]
fn resident_bytes() -> Option<u64> {
    // SAFETY: proc_pidinfo writes at most `size` bytes into the zeroed struct we own.
    unsafe {
        let mut info: libc::proc_taskinfo = std::mem::zeroed();
        let size = std::mem::size_of::<libc::proc_taskinfo>() as libc::c_int;
        let n = libc::proc_pidinfo(
            libc::getpid(),
            libc::PROC_PIDTASKINFO,
            0,
            (&mut info as *mut libc::proc_taskinfo).cast(),
            size,
        );
        (n == size).then_some(info.pti_resident_size)
    }
}

/// Resident memory of this process, in bytes.
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn resident_bytes() -> Option<u64> {
    None
}

impl super::action::Panel for Profiler {
    fn logic(&mut self, _: &super::action::PanelCtx<'_>) -> Vec<Action> {
        Profiler::logic(self)
    }
}
