//! The spectrogram lanes of the Waveform tab: the same time axis, zoom,
//! scroll, selection and playhead as the waveform, drawn from tiles that
//! [`crate::analysis::spectrogram::tiles::TileEngine`] computes in the
//! background. This thread only sends the wanted tiles (visible first),
//! uploads finished ones as textures and draws them — a coarser tile
//! stands in, stretched, until the right one arrives. The cursor readout
//! shows time, frequency and level of the loudest tone near the cursor.
//!
//! Uploads are throttled so that no frame stalls when many tiles arrive at
//! once: at most [`UPLOADS_PER_FRAME`] tiles per frame (the rest wait for the
//! next frames, asked for with a repaint) — except the first look of a
//! blank lane (a new file), uploaded in one frame — and a tile that replaces a
//! texture (its coarse look, another look, a tile scrolled out of view)
//! rewrites that texture in place instead of allocating a new one.

use std::collections::{HashMap, HashSet};

use egui::{Color32, Pos2, Rect, Stroke, TextureHandle, TextureOptions, Vec2};

use crate::analysis::spectrogram::scale::{ColourMap, FreqScale, Look};
use crate::analysis::spectrogram::tiles::{
    level_for, tiles_covering, TileData, TileEngine, TileEvent, TileKey, TileRequest, DEFAULT_BUDGET_BYTES,
};
use crate::analysis::spectrogram::{ChannelPick, Settings, WindowKind};

/// Picture rows per tile texture (the lane stretches them).
const TILE_ROWS: usize = 512;
/// Textures kept at most (512 KiB each).
const MAX_TEXTURES: usize = 192;
/// Coarser levels tried as stand-ins for a tile not ready yet.
const STAND_IN_LEVELS: u32 = 8;
/// Tiles turned into textures per frame at most (512 KiB each).
pub const UPLOADS_PER_FRAME: usize = 2;
/// FFT sizes offered.
pub const FFT_SIZES: [usize; 8] = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768];

/// What the Waveform tab shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ViewMode {
    /// The waveform only.
    #[default]
    Waveform,
    /// The spectrogram only.
    Spectrogram,
    /// Waveform above, spectrogram below.
    Split,
}

impl ViewMode {
    /// Every mode, in toolbar order.
    pub const ALL: [ViewMode; 3] = [ViewMode::Waveform, ViewMode::Spectrogram, ViewMode::Split];

    /// The toolbar label.
    pub fn label(self) -> &'static str {
        match self {
            ViewMode::Waveform => "Waveform",
            ViewMode::Spectrogram => "Spectrogram",
            ViewMode::Split => "Split",
        }
    }
}

struct Shown {
    texture: TextureHandle,
    look_id: u64,
    data: std::sync::Arc<TileData>,
}

/// The spectrogram's settings, tile engine and textures.
pub struct SpectrogramLanes {
    /// FFT size and window.
    pub settings: Settings,
    /// Frequency scale, dB floor and range, colours.
    pub look: Look,
    /// One lane per channel (else one lane of the mix).
    pub per_channel: bool,
    look_id: u64,
    engine: Option<TileEngine>,
    textures: HashMap<TileKey, Shown>,
    /// Finished tiles not uploaded yet (one per key, the newest), oldest first.
    pending: std::collections::VecDeque<crate::analysis::spectrogram::tiles::TileImage>,
    asked: Vec<TileKey>,
    /// The tiles of the screen as last drawn (`asked` without the edges).
    visible: Vec<TileKey>,
    asked_look: u64,
    error: Option<String>,
    /// The last cursor readout.
    pub readout: Option<String>,
    /// The lanes as last drawn: rect and channel.
    lanes: Vec<(Rect, ChannelPick)>,
}

impl Default for SpectrogramLanes {
    fn default() -> Self {
        SpectrogramLanes {
            settings: Settings::default(),
            look: Look { rows: TILE_ROWS, floor_db: -120.0, range_db: 120.0, ..Look::default() },
            per_channel: false,
            look_id: 1,
            engine: None,
            textures: HashMap::new(),
            pending: std::collections::VecDeque::new(),
            asked: Vec::new(),
            visible: Vec::new(),
            asked_look: 0,
            error: None,
            readout: None,
            lanes: Vec::new(),
        }
    }
}

/// Where things are for one draw: the time axis of the view.
pub(super) struct Axis {
    pub view_start: f64,
    pub frames_per_point: f64,
    pub frames: u64,
    pub sample_rate: u32,
    pub channels: usize,
    pub ppp: f32,
}

impl Axis {
    fn x_of(&self, rect: Rect, frame: f64) -> f32 {
        rect.left() + ((frame - self.view_start) / self.frames_per_point) as f32
    }

    fn frame_at(&self, rect: Rect, x: f32) -> u64 {
        ((self.view_start + (x - rect.left()) as f64 * self.frames_per_point).max(0.0) as u64).min(self.frames)
    }
}

impl SpectrogramLanes {
    /// Starts a tile engine for `path` (opened on the engine's thread); drops the old tiles.
    pub fn open(&mut self, path: &std::path::Path, ctx: &egui::Context) {
        let ctx = ctx.clone();
        self.engine = Some(TileEngine::open(path, DEFAULT_BUDGET_BYTES, move || ctx.request_repaint()));
        self.textures.clear();
        self.pending.clear();
        self.asked.clear();
        self.visible.clear();
        self.error = None;
        self.readout = None;
    }

    /// The tile engine's first-look flag ([`TileEngine::first_look_flag`]), once a file is open.
    pub fn first_look_flag(&self) -> Option<std::sync::Arc<std::sync::atomic::AtomicBool>> {
        self.engine.as_ref().map(TileEngine::first_look_flag)
    }

    /// True when every tile of the screen as last drawn is shown in the
    /// current look, at least coarse: the first complete look of the screen.
    pub fn first_look_complete(&self) -> bool {
        let (n, _, shown) = self.first_look_progress();
        n > 0 && shown == n
    }

    /// Of the tiles of the screen as last drawn: how many, how many have
    /// arrived from the engine (in the current look, at least coarse), how
    /// many are shown.
    pub fn first_look_progress(&self) -> (usize, usize, usize) {
        let shown = |k: &TileKey| self.textures.get(k).is_some_and(|s| s.look_id == self.look_id);
        let waiting = |k: &TileKey| self.pending.iter().any(|p| p.data.key == *k && p.look_id == self.look_id);
        let arrived = self.visible.iter().filter(|k| shown(k) || waiting(k)).count();
        (self.visible.len(), arrived, self.visible.iter().filter(|k| shown(k)).count())
    }

    /// Why the spectrogram cannot be shown.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The look changed (scale, floor, range, colours): tiles are repainted from the cache.
    pub fn look_changed(&mut self) {
        self.look_id += 1;
    }

    /// True when every tile the last draw wanted is shown, complete (not
    /// coarse), in the current look.
    pub fn complete(&self) -> bool {
        !self.asked.is_empty() && self.asked.iter().all(|k| self.textures.get(k).is_some_and(|s| self.is_final(s)))
    }

    fn is_final(&self, shown: &Shown) -> bool {
        shown.look_id == self.look_id && !shown.data.coarse
    }

    /// The screen point of `frame` and `freq` Hz in lane `lane` as last drawn.
    fn point_of(&self, lane: usize, axis_start: f64, fpp: f64, frame: u64, freq: f64, nyquist: f64) -> Option<Pos2> {
        let (rect, _) = self.lanes.get(lane)?;
        let x = rect.left() + ((frame as f64 - axis_start) / fpp) as f32;
        let y = rect.bottom() - (self.look.scale.height_of(freq, nyquist) as f32) * rect.height();
        Some(Pos2::new(x, y))
    }

    fn picks(&self, channels: usize) -> Vec<ChannelPick> {
        if self.per_channel && channels > 1 {
            (0..channels).map(ChannelPick::Channel).collect()
        } else {
            vec![ChannelPick::Mixed]
        }
    }

    /// Takes finished tiles from the tile engine and uploads them (the
    /// waveform panel's `logic()` calls this every frame).
    pub(super) fn poll(&mut self, ctx: &egui::Context) {
        let Some(engine) = &self.engine else { return };
        for ev in engine.finished() {
            match ev {
                TileEvent::Ready(img) => {
                    // A newer image of the same tile (complete after coarse) replaces the waiting one.
                    self.pending.retain(|p| p.data.key != img.data.key);
                    self.pending.push_back(img);
                }
                TileEvent::Failed(e) => self.error = Some(e),
            }
        }
        // A blank lane (a new file or FFT: not even a stand-in to stretch)
        // takes its first look whole, in one frame; after that, tiles
        // replacing what is shown are spread over frames.
        let blank = !self.textures.keys().any(|k| k.settings == self.settings);
        let budget = if blank { UPLOADS_PER_FRAME.max(self.visible.len()) } else { UPLOADS_PER_FRAME };
        for img in self.pending.drain(..self.pending.len().min(budget)) {
            // The tiles are opaque: premultiplied is the same and skips a per-pixel division.
            let image = egui::ColorImage::from_rgba_premultiplied([img.width, img.height], &img.rgba);
            let key = img.data.key;
            let size = [img.width, img.height];
            // Reuse a texture: this tile's own, else one no longer wanted (when the cache is full).
            let mut reuse = self.textures.remove(&key).map(|s| s.texture);
            if reuse.is_none() && self.textures.len() >= MAX_TEXTURES {
                let wanted: HashSet<&TileKey> = self.asked.iter().collect();
                let spare = self
                    .textures
                    .iter()
                    .filter(|(k, s)| !wanted.contains(k) && s.texture.size() == size)
                    .max_by_key(|(k, _)| k.level)
                    .map(|(k, _)| *k);
                reuse = spare.and_then(|k| self.textures.remove(&k)).map(|s| s.texture);
            }
            let texture = match reuse {
                Some(mut t) if t.size() == size => {
                    t.set_partial([0, 0], image, TextureOptions::LINEAR);
                    t
                }
                _ => ctx.load_texture(format!("spectrogram-{key:?}"), image, TextureOptions::LINEAR),
            };
            self.textures.insert(key, Shown { texture, look_id: img.look_id, data: img.data });
        }
        if !self.pending.is_empty() {
            ctx.request_repaint();
        }
        if self.textures.len() > MAX_TEXTURES {
            let wanted: HashSet<TileKey> = self.asked.iter().copied().collect();
            let mut spare: Vec<TileKey> = self.textures.keys().filter(|k| !wanted.contains(k)).copied().collect();
            spare.sort_by_key(|k| std::cmp::Reverse(k.level));
            for k in spare.into_iter().take(self.textures.len() - MAX_TEXTURES) {
                self.textures.remove(&k);
            }
        }
    }

    /// Draws the lanes into `area` (split between the channels shown) and
    /// asks for the tiles they need. `hover` is the pointer, for the readout.
    pub(super) fn draw(&mut self, painter: &egui::Painter, area: Rect, axis: &Axis, hover: Option<Pos2>) {
        let picks = self.picks(axis.channels);
        let gap = 4.0;
        let lane_h = ((area.height() - gap * (picks.len() - 1) as f32) / picks.len() as f32).max(8.0);
        let fpc = axis.frames_per_point / axis.ppp as f64;
        let level = level_for(fpc);
        let start = axis.view_start.max(0.0) as u64;
        let end = ((axis.view_start + axis.frames_per_point * area.width() as f64).ceil() as u64).min(axis.frames);
        let nyquist = axis.sample_rate as f64 / 2.0;
        let mut wanted = Vec::new();
        self.lanes.clear();
        self.readout = None;
        for (i, &pick) in picks.iter().enumerate() {
            let lane = Rect::from_min_size(
                Pos2::new(area.left(), area.top() + i as f32 * (lane_h + gap)),
                Vec2::new(area.width(), lane_h),
            );
            self.lanes.push((lane, pick));
            painter.rect_filled(lane, 0.0, Color32::BLACK);
            let lane_painter = painter.with_clip_rect(lane);
            // Stand-ins first (coarsest at the bottom), then the tiles of this zoom.
            let mut shown: Vec<(&TileKey, &Shown)> = self
                .textures
                .iter()
                .filter(|(k, _)| {
                    k.settings == self.settings
                        && k.pick == pick
                        && k.level >= level
                        && k.level <= level + STAND_IN_LEVELS
                        && k.start() < end
                        && k.start() + k.span() > start
                })
                .collect();
            shown.sort_by_key(|(k, _)| std::cmp::Reverse(k.level));
            for (k, s) in shown {
                let x0 = axis.x_of(lane, k.start() as f64);
                let x1 = axis.x_of(lane, (k.start() + k.span()) as f64);
                let r = Rect::from_x_y_ranges(x0..=x1, lane.y_range());
                let uv = Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0));
                lane_painter.image(s.texture.id(), r, uv, Color32::WHITE);
            }
            self.draw_freq_axis(&lane_painter, lane, nyquist);
            wanted.extend(tiles_covering(self.settings, pick, level, (start, end)));
            if let Some(p) = hover.filter(|p| lane.contains(*p)) {
                self.readout = self.readout_at(axis, lane, pick, level, p, nyquist);
            }
        }
        self.visible.clone_from(&wanted);
        // One tile beyond each edge too, once the visible ones are asked for.
        if let (Some(first), Some(last)) = (wanted.iter().map(|k| k.index).min(), wanted.iter().map(|k| k.index).max())
        {
            let n = wanted.len();
            for i in 0..n {
                let k = wanted[i];
                for idx in [first.checked_sub(1), Some(last + 1)].into_iter().flatten() {
                    let more = TileKey { index: idx, ..k };
                    if more.start() < axis.frames && !wanted.contains(&more) {
                        wanted.push(more);
                    }
                }
            }
        }
        let missing: Vec<TileKey> =
            wanted.iter().copied().filter(|k| self.textures.get(k).is_none_or(|s| !self.is_final(s))).collect();
        let missing: Vec<TileKey> = missing
            .into_iter()
            .filter(|k| !self.pending.iter().any(|p| p.data.key == *k && !p.data.coarse && p.look_id == self.look_id))
            .collect();
        if (wanted != self.asked || self.asked_look != self.look_id) && !missing.is_empty() {
            if let Some(engine) = &self.engine {
                engine.request(TileRequest { tiles: missing, look: self.look, look_id: self.look_id });
            }
        }
        self.asked = wanted;
        self.asked_look = self.look_id;
    }

    fn draw_freq_axis(&self, painter: &egui::Painter, lane: Rect, nyquist: f64) {
        let font = egui::FontId::proportional(10.0);
        let color = Color32::from_gray(200);
        let ticks = crate::report::spectrogram_png::freq_ticks(self.look.scale, nyquist, lane.height() as u32);
        for f in ticks {
            let y = lane.bottom() - self.look.scale.height_of(f, nyquist) as f32 * lane.height();
            if y < lane.top() + 8.0 || y > lane.bottom() - 4.0 {
                continue;
            }
            painter.hline(lane.left()..=lane.left() + 5.0, y, Stroke::new(1.0, color));
            let label = if f >= 1000.0 { format!("{}k", f / 1000.0) } else { format!("{f}") };
            painter.text(Pos2::new(lane.left() + 7.0, y), egui::Align2::LEFT_CENTER, label, font.clone(), color);
        }
    }

    /// "time · frequency · level" of the loudest tone within a few pixels of the pointer.
    fn readout_at(
        &self,
        axis: &Axis,
        lane: Rect,
        pick: ChannelPick,
        level: u32,
        p: Pos2,
        nyquist: f64,
    ) -> Option<String> {
        let frame = axis.frame_at(lane, p.x);
        let y_of = |y: f32| ((lane.bottom() - y) / lane.height()) as f64;
        let (lo, hi) =
            (self.look.scale.freq_at(y_of(p.y + 4.0), nyquist), self.look.scale.freq_at(y_of(p.y - 4.0), nyquist));
        let data = (level..=level + STAND_IN_LEVELS).find_map(|l| {
            let key = tiles_covering(self.settings, pick, l, (frame, frame + 1)).into_iter().next()?;
            self.textures.get(&key).map(|s| s.data.clone())
        })?;
        let (freq, db) = data.peak_near(frame, lo, hi, axis.sample_rate)?;
        let t = super::format_time(frame as f64 / axis.sample_rate.max(1) as f64, 3, false);
        Some(format!("{t} · {freq:.0} Hz · {db:.1} dB"))
    }

    /// The toolbar: FFT size, window, scale, floor and range, lanes. Each
    /// box names itself in its text ("FFT 2048"), so that a wrapping bar
    /// never parts a name from its box.
    pub fn controls(&mut self, ui: &mut egui::Ui, channels: usize) {
        let before = (self.settings, self.look, self.per_channel);
        egui::ComboBox::from_id_salt("spectrogram-fft")
            .width(82.0)
            .selected_text(format!("FFT {}", self.settings.fft_size))
            .show_ui(ui, |ui| {
                for n in FFT_SIZES {
                    ui.selectable_value(&mut self.settings.fft_size, n, n.to_string());
                }
            })
            .response
            .on_hover_text("FFT size (samples per window)")
            .accessible_name("FFT");
        egui::ComboBox::from_id_salt("spectrogram-window")
            .width(150.0)
            .selected_text(format!("window {}", self.settings.window.name()))
            .show_ui(ui, |ui| {
                for w in WindowKind::ALL {
                    ui.selectable_value(&mut self.settings.window, w, w.name());
                }
            })
            .response
            .accessible_name("Window");
        egui::ComboBox::from_id_salt("spectrogram-scale")
            .width(82.0)
            .selected_text(format!("scale {}", self.look.scale.name()))
            .show_ui(ui, |ui| {
                for s in FreqScale::ALL {
                    ui.selectable_value(&mut self.look.scale, s, s.name());
                }
            })
            .response
            .on_hover_text("Frequency scale: linear, logarithmic or mel")
            .accessible_name("Scale");
        ui.add(
            egui::DragValue::new(&mut self.look.floor_db)
                .range(-200.0..=-20.0)
                .speed(1.0)
                .prefix("floor ")
                .suffix(" dB"),
        );
        ui.add(
            egui::DragValue::new(&mut self.look.range_db).range(20.0..=200.0).speed(1.0).prefix("range ").suffix(" dB"),
        );
        let mut grey = self.look.colours == ColourMap::Grey;
        ui.checkbox(&mut grey, "Grey");
        self.look.colours = if grey { ColourMap::Grey } else { ColourMap::Heat };
        if channels > 1 {
            ui.checkbox(&mut self.per_channel, "Per channel");
        }
        if before.1 != self.look {
            self.look_changed();
        }
        if before.0 != self.settings || before.2 != self.per_channel {
            self.asked.clear();
        }
    }
}

impl super::WaveformView {
    /// The view switch (Waveform / Spectrogram / Split), the spectrogram's
    /// settings and its cursor readout.
    pub(super) fn view_bar(&mut self, ui: &mut egui::Ui, channels: usize) {
        ui.horizontal_wrapped(|ui| {
            for m in ViewMode::ALL {
                ui.selectable_value(&mut self.mode, m, m.label());
            }
            ui.toggle_value(&mut self.analyser.open, "Analyser")
                .on_hover_text("The spectrum of the selection, or at the playhead, with peak hold");
            if self.mode != ViewMode::Waveform {
                ui.separator();
                self.spectrogram.controls(ui, channels);
                // Always there (a dash without a cursor), so that the bar
                // does not gain or lose a row as the pointer comes and goes.
                ui.separator();
                let text = match &self.spectrogram.readout {
                    Some(r) => format!("Cursor {r}"),
                    None => "Cursor —".to_string(),
                };
                // Whole on one row (moved to the next when it does not fit), never split.
                ui.add(egui::Label::new(text).extend());
                if let Some(e) = self.spectrogram.error() {
                    ui.colored_label(ui.visuals().error_fg_color, e.to_string());
                }
            }
        });
    }

    /// The screen point of `frame` and `freq` Hz in the first spectrogram lane (tests).
    pub fn spectrogram_point(&self, frame: u64, freq: f64) -> Option<Pos2> {
        self.spectrogram_lane_point(0, frame, freq)
    }

    /// The screen point of `frame` and `freq` Hz in spectrogram lane `lane`
    /// (0 the first; one lane per channel when per channel) as last drawn (tests).
    pub fn spectrogram_lane_point(&self, lane: usize, frame: u64, freq: f64) -> Option<Pos2> {
        let nyquist = self.timeline()?.sample_rate as f64 / 2.0;
        self.spectrogram.point_of(lane, self.view_start, self.frames_per_point, frame, freq, nyquist)
    }
}
