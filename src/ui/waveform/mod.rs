//! The Waveform tab and its widget, [`WaveformView`]: one lane per channel
//! under a time ruler, drawn column by column from the peaks pyramid
//! ([`crate::analysis::peaks`]) at any zoom from the whole file down to single
//! samples; click places the playhead, drag selects, ⌘/Ctrl-scroll, pinch
//! and +/− zoom, scrolling and the arrow keys move along, Home/End jump.
//!
//! The view never reads a file on the UI thread: the pyramid is built (or
//! loaded from the cache) by a background thread with progress, and the
//! samples for the deepest zoom come from a second background thread that
//! reads the span around what is shown. The spectrogram does not wait for
//! the pyramid: given the file's length from its header ([`Timeline`]), its
//! lanes, the ruler, zoom and selection work while the peak pass runs, and
//! that pass gives way to the tiles of the screen shown (see
//! [`crate::analysis::spectrogram::tiles`]). The transport drives it through
//! [`WaveformView::playhead`], [`WaveformView::set_playhead`] and
//! [`WaveformView::selection`].

mod analyser;
mod input;
mod paint;
pub mod spectrogram;
pub mod spectrogram_prefs;
mod toolbar;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{unbounded, Receiver, Sender};
use egui::{Color32, Pos2, Rect, Sense, Stroke, Vec2};

use super::action::Action;
use super::{FileEntry, FileState};
use crate::analysis::peaks::{BuildProgress, ColumnPeak, PeakCache, PeakError, PeakPyramid, SampleWindow, BASE_FRAMES};
use crate::io::FileError;
use crate::report::info::format_duration;
pub use analyser::Analyser;
pub use paint::format_time;
use paint::zoom_text;
pub use spectrogram::{SpectrogramLanes, ViewMode};
pub use spectrogram_prefs::SpectrogramPrefs;

/// Height of the time ruler, in points.
const RULER_H: f32 = 22.0;
/// Gap between channel lanes, in points.
const LANE_GAP: f32 = 4.0;
/// The deepest zoom: this many points per sample.
const MAX_POINTS_PER_FRAME: f64 = 64.0;
/// The accessible name of the drawing area (what tests click).
pub const WAVEFORM_LABEL: &str = "Waveform display";

enum Load {
    Empty,
    Building { progress: Arc<BuildProgress>, cancel: Arc<AtomicBool>, done: Receiver<Result<PeakPyramid, PeakError>> },
    Ready(Arc<PeakPyramid>),
    Failed(String),
}

/// The sample reader thread's mailbox: requests in (start, frames), windows out.
struct SampleFeed {
    requests: Sender<(u64, usize)>,
    windows: Receiver<Result<SampleWindow, FileError>>,
    asked: Option<(u64, usize)>,
}

/// The time axis of a file: what zoom, scroll, the ruler and the
/// spectrogram need. From the file's header until the pyramid is ready,
/// then from the pyramid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    /// Frames in the file.
    pub frames: u64,
    /// Frames per second.
    pub sample_rate: u32,
    /// Channels.
    pub channels: usize,
}

impl Timeline {
    /// The header's figures of a probed file (`None` when its length is not known).
    pub fn of_info(info: &crate::io::FileInfo) -> Option<Timeline> {
        let frames = info.frames.filter(|&f| f > 0)?;
        (info.sample_rate > 0 && info.channels > 0).then_some(Timeline {
            frames,
            sample_rate: info.sample_rate,
            channels: info.channels as usize,
        })
    }

    fn of_pyramid(p: &PeakPyramid) -> Timeline {
        Timeline { frames: p.frames(), sample_rate: p.sample_rate(), channels: p.channels() }
    }

    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        self.frames as f64 / self.sample_rate.max(1) as f64
    }
}

/// A zoomable, scrollable waveform of one file; see the module docs.
pub struct WaveformView {
    path: Option<PathBuf>,
    load: Load,
    /// The file's length from its header, until the pyramid is ready.
    header: Option<Timeline>,
    cache: PeakCache,
    feed: Option<SampleFeed>,
    window: Option<Arc<SampleWindow>>,
    /// Frame at the left edge.
    view_start: f64,
    /// Frames per point; 0 until the first draw fits the whole file.
    frames_per_point: f64,
    width: f32,
    playhead: u64,
    selection: Option<(u64, u64)>,
    drag_anchor: Option<u64>,
    last_draw_us: f64,
    /// Waveform, spectrogram or both.
    pub mode: ViewMode,
    /// The spectrogram's settings and tiles.
    pub spectrogram: SpectrogramLanes,
    /// The spectrum analyser of the selection or the playhead.
    pub analyser: Analyser,
}

impl Default for WaveformView {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for WaveformView {
    fn drop(&mut self) {
        self.cancel_build();
    }
}

impl WaveformView {
    /// An empty view using the default peaks cache.
    pub fn new() -> Self {
        WaveformView {
            path: None,
            load: Load::Empty,
            header: None,
            cache: PeakCache::default_location(),
            feed: None,
            window: None,
            view_start: 0.0,
            frames_per_point: 0.0,
            width: 0.0,
            playhead: 0,
            selection: None,
            drag_anchor: None,
            last_draw_us: 0.0,
            mode: ViewMode::Waveform,
            spectrogram: SpectrogramLanes::default(),
            analyser: Analyser::default(),
        }
    }

    /// Keeps peaks in `cache` instead of the default location (tests use a temporary folder).
    pub fn set_cache(&mut self, cache: PeakCache) {
        self.cache = cache;
    }

    /// Starts showing `path`: its pyramid is loaded or built in the background,
    /// and `ctx` is woken as that progresses. Resets zoom, playhead and selection.
    pub fn open(&mut self, path: &Path, ctx: &egui::Context) {
        self.open_with_header(path, None, ctx);
    }

    /// Like [`WaveformView::open`], with the file's length from its header:
    /// the spectrogram then shows before the pyramid is ready.
    pub fn open_with_header(&mut self, path: &Path, header: Option<Timeline>, ctx: &egui::Context) {
        self.cancel_build();
        self.reset_view(Some(path.to_path_buf()));
        self.header = header;
        // The tiles first: the peak pass gives way to the first look of the screen shown.
        self.spectrogram.open(path, ctx);
        let progress = Arc::new(match self.spectrogram.first_look_flag() {
            Some(flag) => BuildProgress::giving_way_to(flag),
            None => BuildProgress::new(),
        });
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = unbounded();
        let job = {
            let (path, progress, cancel, cache, ctx) =
                (path.to_path_buf(), progress.clone(), cancel.clone(), self.cache.clone(), ctx.clone());
            move || {
                let r = cache.load_or_build(&path, &progress, &cancel).map(|(p, _)| p);
                let _ = tx.send(r);
                ctx.request_repaint();
            }
        };
        match std::thread::Builder::new().name("coremusic-peaks".into()).spawn(job) {
            Ok(_) => self.load = Load::Building { progress, cancel, done: rx },
            Err(e) => self.load = Load::Failed(format!("could not start reading peaks: {e}")),
        }
        self.feed = start_sample_feed(path.to_path_buf(), ctx.clone());
    }

    /// Shows a pyramid made elsewhere (generated audio, benches). Samples for
    /// the deepest zoom are read from `path` when it is a file.
    pub fn set_pyramid(&mut self, path: &Path, pyramid: Arc<PeakPyramid>, ctx: &egui::Context) {
        self.cancel_build();
        self.reset_view(Some(path.to_path_buf()));
        self.load = Load::Ready(pyramid);
        self.feed = start_sample_feed(path.to_path_buf(), ctx.clone());
        self.spectrogram.open(path, ctx);
    }

    fn reset_view(&mut self, path: Option<PathBuf>) {
        self.path = path;
        self.header = None;
        self.window = None;
        self.view_start = 0.0;
        self.frames_per_point = 0.0;
        self.playhead = 0;
        self.selection = None;
        self.drag_anchor = None;
    }

    fn cancel_build(&mut self) {
        if let Load::Building { cancel, .. } = &self.load {
            cancel.store(true, Ordering::Relaxed);
        }
    }

    /// The file shown (or being read).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The pyramid, once it is ready.
    pub fn pyramid(&self) -> Option<&PeakPyramid> {
        match &self.load {
            Load::Ready(p) => Some(p),
            _ => None,
        }
    }

    /// True once the waveform can be drawn.
    pub fn is_ready(&self) -> bool {
        matches!(self.load, Load::Ready(_))
    }

    /// The time axis: the pyramid's once ready, the header's while it is
    /// built; `None` before, or when the file cannot be shown.
    pub fn timeline(&self) -> Option<Timeline> {
        match &self.load {
            Load::Ready(p) => Some(Timeline::of_pyramid(p)),
            Load::Building { .. } => self.header,
            Load::Empty | Load::Failed(_) => None,
        }
    }

    /// True when the Spectrogram (or Split) view shows the first look of
    /// every tile of the screen (what `--bench-first-screen` waits for).
    pub fn first_screen_shown(&self) -> bool {
        self.mode != ViewMode::Waveform && self.spectrogram.first_look_complete()
    }

    /// Build progress in 0..=1 while the pyramid is being made.
    pub fn progress(&self) -> Option<f32> {
        match &self.load {
            Load::Building { progress, .. } => Some(progress.fraction()),
            _ => None,
        }
    }

    /// Why the file could not be shown.
    pub fn error(&self) -> Option<&str> {
        match &self.load {
            Load::Failed(e) => Some(e),
            _ => None,
        }
    }

    fn frames(&self) -> u64 {
        self.timeline().map_or(0, |t| t.frames)
    }

    /// The playhead, in frames from the start.
    pub fn playhead(&self) -> u64 {
        self.playhead
    }

    /// Moves the playhead (clamped to the file) — the transport calls this as it plays.
    pub fn set_playhead(&mut self, frame: u64) {
        self.playhead = frame.min(self.frames());
    }

    /// The selected frames, if any (what "loop the selection" plays).
    pub fn selection(&self) -> Option<Range<u64>> {
        self.selection.map(|(a, b)| a..b)
    }

    /// Sets or clears the selection (clamped to the file; an empty range clears it).
    pub fn set_selection(&mut self, range: Option<Range<u64>>) {
        let n = self.frames();
        self.selection = range.map(|r| (r.start.min(n), r.end.min(n))).filter(|(a, b)| a < b);
    }

    /// The frames shown, from the left edge to the right.
    pub fn visible_range(&self) -> Range<u64> {
        let start = self.view_start.max(0.0) as u64;
        let end = (self.view_start + self.frames_per_point * self.width as f64).ceil().max(0.0) as u64;
        start..end.min(self.frames()).max(start)
    }

    /// Frames per point at the current zoom (0 before the first draw).
    pub fn frames_per_point(&self) -> f64 {
        self.frames_per_point
    }

    /// True when the samples of the whole visible span are held (what the
    /// deepest zoom draws from; read in the background after each zoom or scroll).
    pub fn samples_ready(&self) -> bool {
        let v = self.visible_range();
        self.window.as_ref().is_some_and(|w| w.covers(v.start, v.end))
    }

    /// How long the last draw of the lanes took, in microseconds.
    pub fn last_draw_us(&self) -> f64 {
        self.last_draw_us
    }

    /// Multiplies the frames per point by `factor` (< 1 zooms in), keeping
    /// `anchor` (a frame) where it is on screen.
    pub fn zoom_by(&mut self, factor: f64, anchor: f64) {
        if !(factor.is_finite() && factor > 0.0) || self.frames_per_point <= 0.0 {
            return;
        }
        let x = (anchor - self.view_start) / self.frames_per_point;
        self.frames_per_point = (self.frames_per_point * factor).clamp(self.min_fpp(), self.max_fpp());
        self.view_start = anchor - x * self.frames_per_point;
        self.clamp_view();
    }

    /// Zooms in 2× around the playhead when it is shown, else the middle.
    pub fn zoom_in(&mut self) {
        let a = self.zoom_anchor();
        self.zoom_by(0.5, a);
    }

    /// Zooms out 2× (at most to the whole file).
    pub fn zoom_out(&mut self) {
        let a = self.zoom_anchor();
        self.zoom_by(2.0, a);
    }

    /// Shows the whole file.
    pub fn show_all(&mut self) {
        self.frames_per_point = self.max_fpp();
        self.view_start = 0.0;
    }

    /// Moves the view by `frames` (negative: towards the start).
    pub fn scroll_by(&mut self, frames: f64) {
        self.view_start += frames;
        self.clamp_view();
    }

    fn zoom_anchor(&self) -> f64 {
        let v = self.visible_range();
        if v.contains(&self.playhead) {
            self.playhead as f64
        } else {
            (v.start + v.end) as f64 / 2.0
        }
    }

    fn min_fpp(&self) -> f64 {
        1.0 / MAX_POINTS_PER_FRAME
    }

    fn max_fpp(&self) -> f64 {
        (self.frames() as f64 / self.width.max(1.0) as f64).max(self.min_fpp())
    }

    fn clamp_view(&mut self) {
        let span = self.frames_per_point * self.width as f64;
        let max_start = (self.frames() as f64 - span).max(0.0);
        self.view_start = self.view_start.clamp(0.0, max_start);
    }

    /// The panel's per-frame work, run whichever tab shows: opens the
    /// selected file once its header is read, then takes finished work
    /// (the peak pyramid, sample windows, spectrogram tiles) from the
    /// background threads, so loading goes on while the tab is hidden.
    /// The drawing code only draws.
    pub fn logic(&mut self, ctx: &egui::Context, entry: Option<&FileEntry>) -> Vec<Action> {
        if let Some(entry) = entry {
            if let FileState::Ready(info) = &entry.state {
                if self.path.as_deref() != Some(entry.path.as_path()) {
                    self.open_with_header(&entry.path, Timeline::of_info(info), ctx);
                }
            }
        }
        self.poll(ctx);
        self.spectrogram.poll(ctx);
        Vec::new()
    }

    /// Takes finished work from the background threads.
    fn poll(&mut self, ctx: &egui::Context) {
        if let Load::Building { done, .. } = &self.load {
            match done.try_recv() {
                Ok(Ok(p)) => self.load = Load::Ready(Arc::new(p)),
                Ok(Err(e)) => self.load = Load::Failed(e.to_string()),
                Err(crossbeam_channel::TryRecvError::Empty) => {}
                Err(crossbeam_channel::TryRecvError::Disconnected) => {
                    self.load = Load::Failed("reading the peaks stopped unexpectedly".into())
                }
            }
        }
        if let Some(feed) = &mut self.feed {
            for w in feed.windows.try_iter() {
                match w {
                    Ok(w) => self.window = Some(Arc::new(w)),
                    // The pyramid still draws; a failed window only loses the finest detail.
                    Err(_) => self.window = None,
                }
                feed.asked = None;
                ctx.request_repaint();
            }
        }
    }

    /// Draws the lanes and the ruler into the rest of `ui` and handles the
    /// mouse and keys over them. Draws nothing until the time axis is known
    /// ([`WaveformView::timeline`]); the waveform's lanes show the build's
    /// progress until the pyramid is ready.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<egui::Response> {
        let tl = self.timeline()?;
        let pyramid = match &self.load {
            Load::Ready(p) => Some(p.clone()),
            _ => None,
        };
        let size = ui.available_size().max(Vec2::new(64.0, RULER_H + 32.0));
        let (rect, resp) = ui.allocate_exact_size(size, Sense::click_and_drag());
        resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, WAVEFORM_LABEL));
        let first = self.frames_per_point <= 0.0 || self.width <= 0.0;
        self.width = rect.width();
        if first {
            self.show_all();
        }
        self.frames_per_point = self.frames_per_point.clamp(self.min_fpp(), self.max_fpp());
        self.clamp_view();
        self.handle_input(ui, &resp, rect);
        self.request_samples();

        let started = std::time::Instant::now();
        let painter = ui.painter_at(rect);
        let visuals = ui.visuals();
        painter.rect_filled(rect, 2.0, visuals.extreme_bg_color);
        let below_ruler = Rect::from_min_max(Pos2::new(rect.left(), rect.top() + RULER_H), rect.max);
        let (lanes_rect, spec_rect) = match self.mode {
            ViewMode::Waveform => (below_ruler, None),
            ViewMode::Spectrogram => (Rect::NOTHING, Some(below_ruler)),
            ViewMode::Split => {
                let (a, b) = below_ruler.split_top_bottom_at_fraction(0.4);
                (a.shrink2(Vec2::new(0.0, LANE_GAP / 2.0)), Some(b.shrink2(Vec2::new(0.0, LANE_GAP / 2.0))))
            }
        };
        if let Some(area) = spec_rect {
            let axis = spectrogram::Axis {
                view_start: self.view_start,
                frames_per_point: self.frames_per_point,
                frames: tl.frames,
                sample_rate: tl.sample_rate,
                channels: tl.channels,
                ppp: ui.ctx().pixels_per_point(),
            };
            let hover = resp.hover_pos();
            self.spectrogram.draw(&painter, area, &axis, hover);
            if let Some((a, b)) = self.selection {
                let (xa, xb) = (self.frame_to_x(rect, a as f64), self.frame_to_x(rect, b as f64));
                let sel = Rect::from_x_y_ranges(xa.max(rect.left())..=xb.min(rect.right()), area.y_range());
                painter.rect_filled(sel, 0.0, visuals.selection.bg_fill.gamma_multiply(0.3));
            }
        }
        let channels = tl.channels.max(1);
        let lane_h = ((lanes_rect.height() - LANE_GAP * (channels - 1) as f32) / channels as f32).max(8.0);
        let wave = if visuals.dark_mode { Color32::from_rgb(86, 156, 255) } else { Color32::from_rgb(30, 100, 210) };
        let rms = if visuals.dark_mode { Color32::from_rgb(160, 205, 255) } else { Color32::from_rgb(110, 165, 240) };
        let grid = visuals.widgets.noninteractive.bg_stroke.color;

        // Selection under the waveform.
        if let Some((a, b)) = self.selection {
            let (xa, xb) = (self.frame_to_x(rect, a as f64), self.frame_to_x(rect, b as f64));
            let sel = Rect::from_x_y_ranges(xa.max(rect.left())..=xb.min(rect.right()), lanes_rect.y_range());
            painter.rect_filled(sel, 0.0, visuals.selection.bg_fill.gamma_multiply(0.35));
        }
        let mut mesh = egui::Mesh::default();
        let mut lines = Vec::new();
        if pyramid.is_none() && lanes_rect.is_positive() {
            self.draw_building(&painter, lanes_rect, visuals);
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
        }
        let pyramid_lanes = if lanes_rect.is_positive() { pyramid.as_ref() } else { None };
        for ch in 0..pyramid_lanes.map_or(0, |_| channels) {
            let top = lanes_rect.top() + ch as f32 * (lane_h + LANE_GAP);
            let lane = Rect::from_min_size(Pos2::new(rect.left(), top), Vec2::new(rect.width(), lane_h));
            if ch > 0 {
                let gap = Rect::from_x_y_ranges(lane.x_range(), (top - LANE_GAP)..=top);
                painter.rect_filled(gap, 0.0, visuals.panel_fill);
            }
            painter.hline(lane.x_range(), lane.center().y, Stroke::new(1.0, grid));
            let name = match (channels, ch) {
                (2, 0) => "L".to_string(),
                (2, _) => "R".to_string(),
                _ => (ch + 1).to_string(),
            };
            painter.text(
                lane.left_top() + Vec2::new(6.0, 4.0),
                egui::Align2::LEFT_TOP,
                name,
                egui::FontId::proportional(11.0),
                visuals.weak_text_color(),
            );
            if let Some(p) = pyramid_lanes {
                self.draw_lane(ui.ctx().pixels_per_point(), p, ch, lane, wave, rms, &mut mesh, &mut lines);
            }
        }
        painter.add(egui::Shape::mesh(mesh));
        painter.extend(lines);
        self.draw_ruler(&painter, rect, tl.sample_rate, tl.duration_s() >= 3600.0, visuals);
        // The playhead over everything.
        let px = self.frame_to_x(rect, self.playhead as f64);
        if rect.x_range().contains(px) {
            painter.vline(px, rect.y_range(), Stroke::new(1.5, Color32::from_rgb(235, 80, 60)));
        }
        self.last_draw_us = started.elapsed().as_secs_f64() * 1e6;
        Some(resp)
    }

    /// Below one base bucket per pixel, asks the sample thread for the span
    /// around the view (three views wide) unless it is already held or asked for.
    fn request_samples(&mut self) {
        // Columns are physical pixels: up to two per point on a Retina screen.
        if self.frames_per_point >= 2.0 * BASE_FRAMES as f64 {
            return;
        }
        let v = self.visible_range();
        let held = self.window.as_ref().is_some_and(|w| w.covers(v.start, v.end));
        let Some(feed) = &mut self.feed else { return };
        if held {
            return;
        }
        let span = (v.end - v.start).max(1);
        let start = v.start.saturating_sub(span);
        let frames = usize::try_from(span.saturating_mul(3)).unwrap_or(usize::MAX);
        let asked_covers = feed.asked.is_some_and(|(s, n)| s <= v.start && s + n as u64 >= v.end);
        if !asked_covers && feed.requests.send((start, frames)).is_ok() {
            feed.asked = Some((start, frames));
        }
    }
}

/// A thread that reads sample windows for the deepest zoom; only the latest request counts.
fn start_sample_feed(path: PathBuf, ctx: egui::Context) -> Option<SampleFeed> {
    let (req_tx, req_rx) = unbounded::<(u64, usize)>();
    let (win_tx, win_rx) = unbounded();
    let spawned = std::thread::Builder::new().name("coremusic-samples".into()).spawn(move || {
        while let Ok(mut req) = req_rx.recv() {
            while let Ok(newer) = req_rx.try_recv() {
                req = newer;
            }
            let w = SampleWindow::read(&path, req.0, req.1);
            if win_tx.send(w).is_err() {
                break;
            }
            ctx.request_repaint();
        }
    });
    spawned.ok().map(|_| SampleFeed { requests: req_tx, windows: win_rx, asked: None })
}

impl crate::ui::action::Panel for WaveformView {
    fn logic(&mut self, ctx: &crate::ui::action::PanelCtx<'_>) -> Vec<Action> {
        WaveformView::logic(self, ctx.egui, ctx.selected)
    }
}

#[cfg(test)]
mod tests {
    use super::paint::tick_step;
    use super::*;

    #[test]
    fn ruler_labels_adapt_to_zoom() {
        assert_eq!(format_time(3725.4, 0, true), "1:02:05");
        assert_eq!(format_time(65.25, 2, false), "1:05.25");
        assert_eq!(format_time(0.0001, 4, false), "0:00.0001");
        assert_eq!(tick_step(1.0, 90.0), Some((120.0, 0)));
        assert_eq!(tick_step(1000.0, 90.0), Some((0.1, 1)));
        assert_eq!(tick_step(100_000.0, 90.0), Some((0.001, 3)));
        assert_eq!(tick_step(0.0, 90.0), None);
    }

    #[test]
    fn zoom_and_scroll_stay_inside_the_file() {
        let samples: Vec<f32> = (0..48000 * 2).map(|i| (i as f32 * 0.01).sin()).collect();
        let mut v = WaveformView::new();
        let ctx = egui::Context::default();
        v.set_pyramid(Path::new("/nonexistent.wav"), Arc::new(PeakPyramid::from_samples(2, 48000, &samples)), &ctx);
        v.width = 1000.0;
        v.show_all();
        assert_eq!(v.visible_range(), 0..48000);
        v.zoom_in();
        assert_eq!(v.visible_range().end - v.visible_range().start, 24000);
        for _ in 0..40 {
            v.zoom_in();
        }
        assert!((v.frames_per_point() - 1.0 / MAX_POINTS_PER_FRAME).abs() < 1e-12);
        v.scroll_by(1e12);
        assert_eq!(v.visible_range().end, 48000);
        v.scroll_by(-1e12);
        assert_eq!(v.visible_range().start, 0);
        for _ in 0..40 {
            v.zoom_out();
        }
        assert_eq!(v.visible_range(), 0..48000);
        v.set_playhead(u64::MAX);
        assert_eq!(v.playhead(), 48000);
        #[allow(clippy::reversed_empty_ranges)]
        v.set_selection(Some(100..50));
        assert_eq!(v.selection(), None);
        v.set_selection(Some(100..u64::MAX));
        assert_eq!(v.selection(), Some(100..48000));
    }

    #[test]
    fn the_spectrogram_draws_from_the_header_while_the_peaks_are_built() {
        let ctx = egui::Context::default();
        let mut v = WaveformView::new();
        let header = Timeline { frames: 3 * 3600 * 44100, sample_rate: 44100, channels: 2 };
        v.open_with_header(Path::new("/nonexistent/peaks-3h.wav"), Some(header), &ctx);
        // The peak pass never ends here: its result is never sent.
        let (_tx, done) = unbounded();
        v.load =
            Load::Building { progress: Arc::new(BuildProgress::new()), cancel: Arc::new(AtomicBool::new(false)), done };
        v.mode = ViewMode::Spectrogram;
        let frame = |v: &mut WaveformView| {
            let input = egui::RawInput {
                screen_rect: Some(Rect::from_min_size(Pos2::ZERO, Vec2::new(1100.0, 700.0))),
                ..Default::default()
            };
            let mut drawn = false;
            let mut out = ctx.run_ui(input, |ui| drawn = v.ui(ui).is_some());
            out.textures_delta.clear(); // no renderer here
            drawn
        };
        assert!(frame(&mut v));
        assert!(!v.is_ready());
        assert_eq!(v.timeline(), Some(header));
        assert_eq!(v.visible_range(), 0..header.frames);
        let (tiles, _, _) = v.spectrogram.first_look_progress();
        assert!(tiles > 0, "the screen's tiles are asked for");
        // Zoom works on the header's length too.
        v.zoom_in();
        let span = v.visible_range().end - v.visible_range().start;
        assert!(span.abs_diff(header.frames / 2) <= 1, "{span}");
        // Without a header there is nothing to draw until the pyramid is ready.
        v.header = None;
        assert!(!frame(&mut v));
    }
}
