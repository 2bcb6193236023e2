//! CoreMusic ▸ Preferences… (⌘,): the output device and buffer size, the
//! default conversion preset, the SoundFont, the theme, and the peaks cache
//! (its folder, a size cap, Clear cache). What is chosen is kept in the
//! app's settings, applied at once (the device and buffer size to the running
//! engine, the cache to the waveform, the preset to the Batch tab) and again
//! at the next launch. Everything that
//! touches a file (the file dialogs, loading the preset, measuring and
//! clearing the cache) runs on a background thread and reports back over a
//! channel; the window only draws.

use std::path::PathBuf;

use crossbeam_channel::{unbounded, Receiver, Sender};

use super::action::Action;
use super::audio::{device_picker, AudioLink};
use crate::analysis::peaks::{CacheUsage, PeakCache};
use crate::convert::ConvertOptions;

/// The buffer sizes offered (frames per callback).
pub const BUFFER_SIZES: [u32; 7] = [64, 128, 256, 512, 1024, 2048, 4096];
/// The peaks cache's default size cap, in MB.
pub const DEFAULT_CACHE_MB: u64 = 1024;

/// Light, dark, or as the system is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Theme {
    /// Follow the system's appearance.
    #[default]
    System,
    /// Always dark.
    Dark,
    /// Always light.
    Light,
}

impl Theme {
    /// Every choice, as shown.
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Dark, Theme::Light];

    /// Its name in the window.
    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "System",
            Theme::Dark => "Dark",
            Theme::Light => "Light",
        }
    }

    /// egui's equivalent.
    pub fn egui(self) -> egui::ThemePreference {
        match self {
            Theme::System => egui::ThemePreference::System,
            Theme::Dark => egui::ThemePreference::Dark,
            Theme::Light => egui::ThemePreference::Light,
        }
    }
}

/// The preferences kept between runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Preferences {
    /// The output device opened at launch (`None`: the system default).
    pub output_device: Option<String>,
    /// Frames per callback asked for at launch (`None`: the device's choice).
    pub buffer_frames: Option<u32>,
    /// A conversion preset (TOML, as `convert --preset`) the Batch tab starts with.
    pub conversion_preset: Option<PathBuf>,
    /// The theme.
    pub theme: Theme,
    /// Where waveform peaks are cached (`None`: the system's cache folder).
    pub peaks_cache_dir: Option<PathBuf>,
    /// The peaks cache's size cap in MB (0: no limit).
    pub peaks_cache_mb: u64,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            output_device: None,
            buffer_frames: None,
            conversion_preset: None,
            theme: Theme::System,
            peaks_cache_dir: None,
            peaks_cache_mb: DEFAULT_CACHE_MB,
        }
    }
}

impl Preferences {
    /// The peaks cache these preferences describe.
    pub fn peak_cache(&self) -> PeakCache {
        let cache = match &self.peaks_cache_dir {
            Some(dir) => PeakCache::new(dir.clone()),
            None => PeakCache::default_location(),
        };
        cache.with_cap((self.peaks_cache_mb > 0).then(|| self.peaks_cache_mb.saturating_mul(1 << 20)))
    }

    /// What the engine must be told at launch to match (device, then buffer).
    pub fn engine_actions(&self) -> Vec<Action> {
        let mut out = Vec::new();
        if let Some(d) = &self.output_device {
            out.push(Action::OpenDevice(d.clone()));
        }
        if let Some(b) = self.buffer_frames {
            out.push(Action::SetBuffer(b));
        }
        out
    }
}

/// What a background task of the window reports.
#[derive(Debug)]
pub enum PrefsEvent {
    /// A file dialog closed.
    Picked(Pick, Option<PathBuf>),
    /// The preset was read (or why not).
    Preset(Result<Box<ConvertOptions>, String>),
    /// The cache was measured.
    Usage(Result<CacheUsage, String>),
    /// The cache was cleared.
    Cleared(Result<CacheUsage, String>),
}

/// What a file dialog of the window is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The conversion preset.
    Preset,
    /// The SoundFont.
    SoundFont,
    /// The peaks cache folder.
    CacheDir,
}

/// The Preferences window's running state (not kept).
#[derive(Debug)]
pub struct PreferencesWindow {
    tx: Sender<PrefsEvent>,
    rx: Receiver<PrefsEvent>,
    /// The cache's size as last measured.
    pub usage: Option<Result<CacheUsage, String>>,
    /// The last message (e.g. "Cleared 12 files").
    pub message: Option<String>,
    measured: bool,
}

impl Default for PreferencesWindow {
    fn default() -> Self {
        let (tx, rx) = unbounded();
        PreferencesWindow { tx, rx, usage: None, message: None, measured: false }
    }
}

/// What the window asks the app to do after a frame.
#[derive(Debug, Default)]
pub struct PrefsOutcome {
    /// Engine actions (device, buffer).
    pub actions: Vec<Action>,
    /// The theme changed.
    pub theme: Option<Theme>,
    /// A SoundFont was chosen (`Some(None)`: back to the built-in synth).
    pub soundfont: Option<Option<PathBuf>>,
    /// The cache folder or cap changed.
    pub cache: Option<PeakCache>,
    /// The conversion preset was read: the Batch tab's options.
    pub preset: Option<ConvertOptions>,
}

impl PreferencesWindow {
    fn spawn(&self, ctx: &egui::Context, job: impl FnOnce() -> PrefsEvent + Send + 'static) {
        let (tx, ctx) = (self.tx.clone(), ctx.clone());
        let _ = std::thread::Builder::new().name("coremusic-prefs".into()).spawn(move || {
            let _ = tx.send(job());
            ctx.request_repaint();
        });
    }

    /// Reads the preset in the background; its options arrive through [`Self::show`]'s outcome.
    pub fn load_preset(&self, ctx: &egui::Context, path: PathBuf) {
        self.spawn(ctx, move || {
            PrefsEvent::Preset(ConvertOptions::load(&path).map(Box::new).map_err(|e| e.to_string()))
        });
    }

    fn measure(&mut self, ctx: &egui::Context, cache: PeakCache) {
        self.measured = true;
        self.spawn(ctx, move || {
            PrefsEvent::Usage(cache.usage().map_err(|e| format!("{}: {e}", cache.dir().display())))
        });
    }

    fn pick(&self, ctx: &egui::Context, what: Pick) {
        self.spawn(ctx, move || {
            let dialog = rfd::AsyncFileDialog::new();
            let chosen = match what {
                Pick::Preset => super::jobs::block_on(
                    dialog.set_title("Default conversion preset").add_filter("Preset (TOML)", &["toml"]).pick_file(),
                ),
                Pick::SoundFont => super::jobs::block_on(
                    dialog.set_title("Choose a SoundFont").add_filter("SoundFont", &["sf2", "SF2"]).pick_file(),
                ),
                Pick::CacheDir => super::jobs::block_on(dialog.set_title("Peaks cache folder").pick_folder()),
            };
            PrefsEvent::Picked(what, chosen.map(|f| f.path().to_path_buf()))
        });
    }

    /// Background results that arrived (applied to `prefs`); the app applies the outcome.
    pub fn poll(&mut self, ctx: &egui::Context, prefs: &mut Preferences) -> PrefsOutcome {
        let mut out = PrefsOutcome::default();
        for event in self.rx.try_iter().collect::<Vec<_>>() {
            match event {
                PrefsEvent::Picked(_, None) => {}
                PrefsEvent::Picked(Pick::Preset, Some(path)) => {
                    prefs.conversion_preset = Some(path.clone());
                    self.load_preset(ctx, path);
                }
                PrefsEvent::Picked(Pick::SoundFont, Some(path)) => out.soundfont = Some(Some(path)),
                PrefsEvent::Picked(Pick::CacheDir, Some(path)) => {
                    prefs.peaks_cache_dir = Some(path);
                    out.cache = Some(prefs.peak_cache());
                    self.measure(ctx, prefs.peak_cache());
                }
                PrefsEvent::Preset(Ok(opts)) => {
                    self.message = Some("Preset loaded: the Batch tab uses it".into());
                    out.preset = Some(*opts);
                }
                PrefsEvent::Preset(Err(e)) => self.message = Some(e),
                PrefsEvent::Usage(u) => self.usage = Some(u),
                PrefsEvent::Cleared(r) => {
                    self.message = Some(match r {
                        Ok(u) => format!("Cleared {} files ({})", u.files, megabytes(u.bytes)),
                        Err(e) => e,
                    });
                    self.measure(ctx, prefs.peak_cache());
                }
            }
        }
        out
    }

    /// Draws the window while `open`; returns what changed.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        open: &mut bool,
        prefs: &mut Preferences,
        soundfont: Option<&std::path::Path>,
        audio: &AudioLink,
    ) -> PrefsOutcome {
        let mut out = self.poll(ctx, prefs);
        if !*open {
            self.measured = false;
            return out;
        }
        if !self.measured {
            self.measure(ctx, prefs.peak_cache());
        }
        egui::Window::new("Preferences").open(open).resizable(false).collapsible(false).show(ctx, |ui| {
            egui::Grid::new("prefs").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
                self.audio_rows(ui, prefs, audio, &mut out);
                self.file_rows(ui, prefs, soundfont, &mut out);
                ui.label("Theme");
                ui.horizontal(|ui| {
                    for t in Theme::ALL {
                        if ui.selectable_label(prefs.theme == t, t.label()).clicked() && prefs.theme != t {
                            prefs.theme = t;
                            out.theme = Some(t);
                            ui.ctx().set_theme(t.egui());
                        }
                    }
                });
                ui.end_row();
                self.cache_rows(ui, prefs, &mut out);
            });
            if let Some(m) = &self.message {
                ui.separator();
                ui.label(m);
            }
        });
        out
    }

    fn audio_rows(&mut self, ui: &mut egui::Ui, prefs: &mut Preferences, audio: &AudioLink, out: &mut PrefsOutcome) {
        ui.label("Output device");
        if let Some(a) = device_picker(ui, "prefs-device", "", "Default output device", audio) {
            if let Action::OpenDevice(name) = &a {
                prefs.output_device = Some(name.clone());
            }
            out.actions.push(a);
        }
        ui.end_row();
        ui.label("Buffer size");
        let current = audio.device.as_ref().map(|d| d.buffer_frames).or(prefs.buffer_frames).unwrap_or(512);
        let mut b = current;
        egui::ComboBox::from_id_salt("prefs-buffer")
            .selected_text(format!("{b} frames"))
            .show_ui(ui, |ui| {
                for x in BUFFER_SIZES {
                    ui.selectable_value(&mut b, x, format!("{x} frames"));
                }
            })
            .response
            .accessible_name("Default buffer size");
        if b != current {
            prefs.buffer_frames = Some(b);
            out.actions.push(Action::SetBuffer(b));
        }
        ui.end_row();
    }

    fn file_rows(
        &mut self,
        ui: &mut egui::Ui,
        prefs: &mut Preferences,
        soundfont: Option<&std::path::Path>,
        out: &mut PrefsOutcome,
    ) {
        let ctx = ui.ctx().clone();
        ui.label("Conversion preset");
        ui.horizontal(|ui| {
            ui.label(prefs.conversion_preset.as_deref().map_or("none (the Batch tab's defaults)".into(), short));
            if ui
                .button("Choose…")
                .on_hover_text("A preset saved from the Batch tab or written for convert --preset")
                .clicked()
            {
                self.pick(&ctx, Pick::Preset);
            }
            if prefs.conversion_preset.is_some() && ui.button("None").clicked() {
                prefs.conversion_preset = None;
                out.preset = Some(ConvertOptions::default());
            }
        });
        ui.end_row();
        ui.label("SoundFont");
        ui.horizontal(|ui| {
            ui.label(soundfont.map_or("built-in synth".into(), short));
            if ui.button("Choose…").on_hover_text("The instruments the piano roll plays and renders with").clicked() {
                self.pick(&ctx, Pick::SoundFont);
            }
            if soundfont.is_some() && ui.button("Built-in").clicked() {
                out.soundfont = Some(None);
            }
        });
        ui.end_row();
    }

    fn cache_rows(&mut self, ui: &mut egui::Ui, prefs: &mut Preferences, out: &mut PrefsOutcome) {
        let ctx = ui.ctx().clone();
        ui.label("Peaks cache");
        ui.horizontal(|ui| {
            let dir = prefs.peak_cache().dir().to_path_buf();
            ui.label(dir.display().to_string()).on_hover_text("Waveform overviews, kept so files open at once");
            if ui.button("Choose…").clicked() {
                self.pick(&ctx, Pick::CacheDir);
            }
            if prefs.peaks_cache_dir.is_some() && ui.button("Default").clicked() {
                prefs.peaks_cache_dir = None;
                out.cache = Some(prefs.peak_cache());
                self.measure(&ctx, prefs.peak_cache());
            }
        });
        ui.end_row();
        ui.label("Cache size limit");
        ui.horizontal(|ui| {
            let mut mb = prefs.peaks_cache_mb;
            let r = ui
                .add(egui::DragValue::new(&mut mb).range(0..=1_000_000).speed(16).suffix(" MB"))
                .on_hover_text("The least recently used files go first; 0: no limit");
            r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::SpinButton, true, "Cache size limit"));
            if mb != prefs.peaks_cache_mb {
                prefs.peaks_cache_mb = mb;
                out.cache = Some(prefs.peak_cache());
            }
            match &self.usage {
                Some(Ok(u)) => ui.label(format!("{} files, {}", u.files, megabytes(u.bytes))),
                Some(Err(e)) => ui.colored_label(ui.visuals().warn_fg_color, e),
                None => ui.spinner(),
            };
            if ui.button("Clear cache").on_hover_text("Remove every cached waveform overview").clicked() {
                let cache = prefs.peak_cache();
                self.spawn(&ctx, move || {
                    PrefsEvent::Cleared(cache.clear().map_err(|e| format!("{}: {e}", cache.dir().display())))
                });
            }
        });
        ui.end_row();
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / f64::from(1u32 << 20))
}

/// A path as the window shows it: the file name, or the whole path when it has none.
fn short(path: &std::path::Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// Light / Dark / System as three buttons (words: the default fonts have no
/// sun and moon glyphs), drawn right to left; the choice when it changed.
pub fn theme_buttons(ui: &mut egui::Ui, current: Theme) -> Option<Theme> {
    let mut chosen = None;
    for t in Theme::ALL.into_iter().rev() {
        if ui.selectable_label(current == t, t.label()).clicked() && current != t {
            chosen = Some(t);
        }
    }
    if let Some(t) = chosen {
        ui.ctx().set_theme(t.egui());
    }
    chosen
}

impl super::CoreMusicApp {
    /// The kept preferences, at launch: device and buffer, the peaks cache,
    /// the theme, and the conversion preset (read in the background).
    pub(super) fn apply_preferences(&mut self, ctx: &egui::Context) {
        for action in self.settings.prefs.engine_actions() {
            self.apply(action);
        }
        self.waveform.set_cache(self.settings.prefs.peak_cache());
        ctx.set_theme(self.settings.prefs.theme.egui());
        if let Some(preset) = self.settings.prefs.conversion_preset.clone() {
            self.prefs_window.load_preset(ctx, preset);
        }
    }
}

impl super::Settings {
    /// The settings kept in `storage` (defaults without). Nothing here looks
    /// at the disk: the app drops Open Recent's stale entries once a
    /// background job has checked them.
    pub fn load(storage: Option<&dyn eframe::Storage>) -> super::Settings {
        storage.and_then(|s| eframe::get_value(s, super::SETTINGS_KEY)).unwrap_or_default()
    }

    /// Writes the settings into `storage` (eframe calls [`eframe::App::save`] on exit and every 30 s).
    pub fn store(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, super::SETTINGS_KEY, self);
    }
}
