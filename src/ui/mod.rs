//! The window: an eframe app with a file list on the left, tabs in the
//! middle and a status bar at the bottom. Each panel is its own type with the
//! same contract (the egui demo's habit, see [`action`]): a `logic()` run
//! every frame whether its tab shows or not, and a `ui()` that draws; both
//! return [`Action`]s, which [`CoreMusicApp::apply`] alone carries out. The
//! UI thread never reads a file or touches a device: it sends work to
//! background jobs ([`jobs`]) and commands to the engine, and draws what they
//! send back.

pub mod action;
pub mod audio;
mod bars;
mod batch;
pub mod commands;
mod files;
mod first_screen;
pub mod fonts;
mod inspector;
pub mod jobs;
pub mod latency;
pub mod menu;
pub mod meters;
// unsafe: one AppKit constant read (the pasteboard's text type), see its SAFETY note.
#[cfg(target_os = "macos")]
#[allow(unsafe_code)]
mod menu_macos;
pub mod open_events;
pub mod piano_roll;
pub mod preferences;
// unsafe (macOS): one libc call that reads this process's resident memory, see its SAFETY note.
#[cfg_attr(target_os = "macos", allow(unsafe_code))]
pub mod profiler;
// unsafe (macOS): clearing the system's recent documents takes a nil sender, see its SAFETY note.
#[cfg_attr(target_os = "macos", allow(unsafe_code))]
pub mod recent;
mod redraw_bench;
mod text_focus;
pub mod transport;
pub mod waveform;

use std::path::PathBuf;

pub use audio::AudioLink;
pub use batch::{BatchPanel, Row, Summary};
pub use files::{FileEntry, FileList, FileState};
pub use inspector::InspectorPanel;
pub use latency::LatencyPanel;
pub use profiler::Profiler;
pub use transport::{Cue, TransportBar};
pub use waveform::WaveformView;

use crate::engine::{EngineConfig, PlayState};
pub use action::{Action, Panel, PanelCtx};
pub use commands::Command;
pub use menu::Windows;
pub use piano_roll::{PianoRollPanel, RollZoom};
pub use preferences::Preferences;
pub use recent::RecentFiles;

/// The tabs of the main area. Waveform, MIDI, Batch and Latency join this
/// list as the engine rooms behind them land.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, Default)]
pub enum Tab {
    /// What the selected file is.
    #[default]
    Inspector,
    /// The selected file's waveform.
    Waveform,
    /// Batch conversion of queued files and folders.
    Batch,
    /// Device, rate and buffer size, with live timing plots.
    Latency,
    /// The piano roll: MIDI files edited, played and rendered.
    Midi,
}

impl Tab {
    /// Every tab, in the order shown.
    pub const ALL: [Tab; 5] = [Tab::Inspector, Tab::Waveform, Tab::Midi, Tab::Batch, Tab::Latency];

    /// The label on the tab.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Inspector => "Inspector",
            Tab::Waveform => "Waveform",
            Tab::Batch => "Batch",
            Tab::Latency => "Latency",
            Tab::Midi => "MIDI",
        }
    }
}

/// Settings kept between runs.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The tab shown last.
    pub tab: Tab,
    /// The folder the open dialog starts in.
    pub last_folder: Option<PathBuf>,
    /// Loop and volume.
    pub transport: TransportBar,
    /// The profiler side panel is open.
    pub profiler_open: bool,
    /// The SoundFont the piano roll plays with (`None`: the built-in synth).
    pub soundfont: Option<PathBuf>,
    /// File ▸ Open Recent.
    pub recent: RecentFiles,
    /// CoreMusic ▸ Preferences….
    pub prefs: Preferences,
    /// The piano roll's zoom when the window closed.
    pub midi_zoom: Option<RollZoom>,
    /// The Waveform tab's view mode and spectrogram settings.
    pub spectrogram: Option<waveform::SpectrogramPrefs>,
}

/// Where the settings are kept in eframe's storage.
pub(crate) const SETTINGS_KEY: &str = "coremusic.settings";

/// The whole app's state.
pub struct CoreMusicApp {
    /// Persisted settings.
    pub settings: Settings,
    /// The files opened so far and what the prober found.
    pub files: FileList,
    /// The Inspector tab.
    pub inspector: InspectorPanel,
    /// The Batch tab.
    pub batch: BatchPanel,
    /// The Waveform tab.
    pub waveform: WaveformView,
    /// The Latency tab.
    pub latency: LatencyPanel,
    /// The audio engine as the window sees it.
    pub audio: AudioLink,
    /// Live figures of the whole program.
    pub profiler: Profiler,
    /// The MIDI tab (piano roll).
    pub midi: PianoRollPanel,
    jobs: jobs::Jobs,
    /// The playhead the window last gave the waveform (a different one means the user moved it).
    shown_playhead: Option<u64>,
    /// Files the operating system asks us to open (Finder, the Dock icon), polled every frame.
    open_queue: Option<open_events::OpenQueue>,
    /// Which menu windows are open.
    pub windows: Windows,
    /// The Preferences window's running state.
    pub prefs_window: preferences::PreferencesWindow,
    /// A message for the status bar (e.g. a recent file that is gone).
    pub notice: Option<String>,
    /// The macOS menu bar (`None` elsewhere: the menus are drawn in the window).
    system_menu: Option<menu::SystemMenu>,
    /// Commands panels asked for this frame ([`Action::Command`]), run after the panels drew.
    asked: Vec<Command>,
    /// The MIDI file last noted in Open Recent.
    noted_midi: Option<PathBuf>,
    /// Whether [`fonts::definitions`] has been given to the window's context.
    fonts_installed: bool,
    /// The text field Edit ▸ Copy, Paste… go to instead of the piano roll.
    text_focus: text_focus::TextFocus,
    /// Files dropped on the window, for [`Command::OpenDropped`].
    dropped: Vec<PathBuf>,
    /// `--bench-first-screen`: the measurement under way.
    first_screen: Option<first_screen::FirstScreenBench>,
    /// `--bench-redraw`: the measurement under way.
    redraw_bench: Option<redraw_bench::RedrawBench>,
}

impl CoreMusicApp {
    /// A new app on the default output device; `ctx` is used to wake the UI
    /// when background work finishes.
    pub fn new(ctx: &egui::Context, settings: Settings) -> Self {
        Self::with_engine(ctx, settings, EngineConfig::default())
    }

    /// A new app whose audio engine starts with `engine` (tests use a
    /// virtual-clock simulated device).
    pub fn with_engine(ctx: &egui::Context, settings: Settings, engine: EngineConfig) -> Self {
        let mut audio = AudioLink::start(engine);
        let gain = settings.transport.gain();
        if gain != 1.0 {
            audio.set_gain(gain);
        }
        let mut profiler = Profiler::default();
        profiler.open = settings.profiler_open;
        let mut midi = PianoRollPanel::new();
        if let Some(font) = settings.soundfont.clone() {
            midi.load_soundfont(font);
        }
        if let Some(zoom) = settings.midi_zoom {
            midi.set_zoom(zoom);
        }
        let mut waveform = WaveformView::new();
        if let Some(p) = &settings.spectrogram {
            waveform.apply_spectrogram_prefs(p);
        }
        let mut app = CoreMusicApp {
            settings,
            files: FileList::default(),
            inspector: InspectorPanel,
            batch: BatchPanel::default(),
            waveform,
            latency: LatencyPanel::default(),
            audio,
            profiler,
            midi,
            jobs: jobs::Jobs::start(ctx.clone()),
            shown_playhead: None,
            open_queue: None,
            windows: Windows::default(),
            prefs_window: preferences::PreferencesWindow::default(),
            notice: None,
            system_menu: None,
            asked: Vec::new(),
            noted_midi: None,
            fonts_installed: false,
            text_focus: Default::default(),
            dropped: Vec::new(),
            first_screen: None,
            redraw_bench: None,
        };
        app.apply_preferences(ctx);
        // Stale Open Recent entries go once the jobs thread has looked (no file check on this thread).
        if !app.settings.recent.is_empty() {
            app.jobs.send(jobs::Job::CheckRecent(app.settings.recent.entries().to_vec()));
        }
        app
    }

    /// Uses the system's menu bar (macOS) instead of drawing the menus in the window.
    pub fn use_system_menu(&mut self, menu: menu::SystemMenu) {
        self.system_menu = Some(menu);
    }

    /// Opens, from the next frame on, every path pushed onto `queue` (as
    /// [`Self::open_paths`] does with files named on the command line); a
    /// push wakes the UI through `ctx`. The window uses
    /// [`open_events::system_queue`], fed by macOS's "open documents" events.
    pub fn receive_opens(&mut self, ctx: &egui::Context, queue: open_events::OpenQueue) {
        queue.set_waker(ctx);
        self.open_queue = Some(queue);
    }

    /// Queues files or folders to be opened (probed in the background).
    pub fn open_paths(&mut self, paths: Vec<PathBuf>) {
        // MIDI files go to the piano roll.
        for p in &paths {
            self.note_recent(p);
        }
        let (midi, paths): (Vec<PathBuf>, Vec<PathBuf>) = paths.into_iter().partition(|p| piano_roll::is_midi_file(p));
        if let Some(last) = midi.into_iter().last() {
            self.midi.open_path(last);
            self.settings.tab = Tab::Midi;
        }
        if paths.is_empty() {
            return;
        }
        if let Some(folder) =
            paths.first().and_then(|p| if p.is_dir() { Some(p.clone()) } else { p.parent().map(|d| d.to_path_buf()) })
        {
            self.settings.last_folder = Some(folder);
        }
        self.jobs.send(jobs::Job::Open(paths));
    }

    /// True while the background prober still has work.
    pub fn busy(&self) -> bool {
        self.jobs.busy()
    }

    /// Draws the whole window into `ui` (the root of the frame).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.profiler.frame();
        if !self.fonts_installed {
            ui.ctx().set_fonts(fonts::definitions());
            self.fonts_installed = true;
        }
        let ctx = ui.ctx().clone();
        self.text_focus.begin_frame(&ctx);
        if let Some(paths) = self.open_queue.as_ref().map(open_events::OpenQueue::take).filter(|p| !p.is_empty()) {
            self.open_paths(paths);
        }
        self.apply_events();
        if self.audio.poll() {
            ui.ctx().request_repaint();
        }
        if self.audio.state == PlayState::Playing || !self.audio.history.is_empty() {
            // The playhead and the live plots move on their own.
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(16));
        }
        let menu_chose = self.system_menu.as_mut().map(|m| m.poll()).unwrap_or_default();
        for c in menu_chose {
            self.try_command(&ctx, c);
        }
        self.handle_input(&ctx);
        // Closing the window with unsaved MIDI edits asks first (on the MIDI tab).
        if ctx.input(|i| i.viewport().close_requested()) && !self.midi.confirm_close() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.settings.tab = Tab::Midi;
        }
        self.follow_playback();
        // Every panel's per-frame work, whichever tab is showing.
        let mut actions = {
            let pc = action::PanelCtx { egui: &ctx, selected: self.files.selected_entry(), audio: &self.audio };
            let panels: [&mut dyn action::Panel; 6] = [
                &mut self.batch,
                &mut self.latency,
                &mut self.midi,
                &mut self.waveform,
                &mut self.inspector,
                &mut self.profiler,
            ];
            panels.into_iter().flat_map(|p| p.logic(&pc)).collect::<Vec<_>>()
        };
        // The file list is what `PanelCtx::selected` borrows from.
        actions.extend(self.files.logic());
        self.profiler.convert_mb_s = self.batch.throughput_mb_s();
        self.settings.soundfont = self.midi.soundfont_path().map(|p| p.to_path_buf());
        self.settings.midi_zoom = Some(self.midi.zoom());
        if self.midi.path() != self.noted_midi.as_deref() {
            self.noted_midi = self.midi.path().map(|p| p.to_path_buf());
            if let Some(p) = self.noted_midi.clone() {
                self.note_recent(&p);
            }
        }
        actions.extend(self.menu_windows(&ctx));

        if self.system_menu.is_none() {
            let bar = egui::Panel::top("menu_bar").show(ui, |ui| menu::menu_bar(self, ui));
            self.text_focus.menu_drawn(bar.response.rect, bar.inner);
        }
        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        egui::Panel::top("transport").show(ui, |ui| actions.extend(self.transport_bar(ui)));
        if self.profiler.open {
            egui::Panel::right("profiler").resizable(true).default_size(300.0).show(ui, |ui| {
                actions.extend(self.profiler.ui(ui, &self.audio));
            });
        }
        egui::Panel::left("files").resizable(true).default_size(280.0).show(ui, |ui| {
            actions.extend(self.files.ui(ui));
        });
        egui::CentralPanel::default().show(ui, |ui| match self.settings.tab {
            Tab::Inspector => actions.extend(self.inspector.ui(ui, self.files.selected_entry())),
            Tab::Waveform => {
                self.waveform.tab_ui(ui, self.files.selected_entry());
                actions.extend(self.seek_if_moved());
            }
            Tab::Batch => {
                let opened: Vec<PathBuf> = self.files.entries.iter().map(|e| e.path.clone()).collect();
                actions.extend(self.batch.ui(ui, &opened));
            }
            Tab::Latency => actions.extend(self.latency.ui(ui, &self.audio)),
            Tab::Midi => actions.extend(self.midi.ui(ui)),
        });
        for action in actions {
            self.apply(action);
        }
        for c in std::mem::take(&mut self.asked) {
            self.try_command(&ctx, c);
        }
        if let Some(mut m) = self.system_menu.take() {
            m.sync(self);
            self.system_menu = Some(m);
        }
        if let Some(mut bench) = self.first_screen.take() {
            bench.frame_drawn(self, &ctx);
            self.first_screen = Some(bench);
        }
    }

    /// What play would play now: the selected file, from the waveform's
    /// playhead and with its selection when the waveform shows that file.
    fn cue<'a>(&self, selected: Option<&'a std::path::Path>) -> Cue<'a> {
        let shown = selected.is_some() && self.waveform.path() == selected;
        let duration_s = self.files.selected_entry().and_then(|e| match &e.state {
            FileState::Ready(info) => info.duration_s,
            _ => None,
        });
        Cue {
            path: selected,
            from_frame: if shown { self.waveform.playhead() } else { 0 },
            selection: if shown { self.waveform.selection() } else { None },
            duration_s,
        }
    }

    /// Moves the waveform's playhead with the engine's position while its file plays.
    fn follow_playback(&mut self) {
        let plays_shown = self.audio.state != PlayState::Stopped
            && self.audio.playing_path().is_some_and(|p| self.waveform.path() == Some(p.as_path()));
        if plays_shown {
            self.waveform.set_playhead(self.audio.position_frames);
            self.shown_playhead = Some(self.waveform.playhead());
        } else {
            self.shown_playhead = None;
        }
    }

    /// A click in the waveform while its file plays seeks there; a new
    /// selection while looping becomes the loop.
    fn seek_if_moved(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(shown) = self.shown_playhead else { return out };
        let now = self.waveform.playhead();
        if now != shown {
            out.push(Action::Seek(now));
            self.shown_playhead = Some(now);
        }
        if self.settings.transport.loop_on {
            let region = self.waveform.selection().map(|r| (r.start, r.end)).unwrap_or((0, u64::MAX));
            if self.audio.looping != Some(region) {
                out.push(Action::SetLoop(Some(region)));
            }
        }
        out
    }

    fn apply_events(&mut self) {
        for event in self.jobs.events() {
            match event {
                jobs::JobEvent::Picked(paths) => self.open_paths(paths),
                jobs::JobEvent::RecentGone(paths) => paths.iter().for_each(|p| self.settings.recent.remove(p)),
                // A MIDI file chosen in the open dialog goes to the piano roll.
                jobs::JobEvent::Queued { path, .. } if piano_roll::is_midi_file(&path) => {
                    self.midi.open_path(path);
                    self.settings.tab = Tab::Midi;
                }
                other => self.files.apply(other),
            }
        }
    }

    fn handle_input(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
        if !dropped.is_empty() {
            // A drop is a command of the table, as a menu item or a key is.
            self.dropped = dropped;
            self.try_command(ctx, Command::OpenDropped);
            self.dropped.clear();
        }
        // Every shortcut of the menus (⌘O, space, ⌘Z, ⌘1…) goes through the command table.
        if !self.midi.discard_question_open() {
            self.command_keys(ctx);
        }
        let (up, down) = ctx.input(|i| (i.key_pressed(egui::Key::ArrowUp), i.key_pressed(egui::Key::ArrowDown)));
        if self.settings.tab != Tab::Midi && ctx.memory(|m| m.focused().is_none()) {
            self.files.move_selection(i32::from(down) - i32::from(up));
        }
    }
}

impl eframe::App for CoreMusicApp {
    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let Some(mut bench) = self.redraw_bench.take() else {
            return self.show(ui);
        };
        let clock = redraw_bench::FrameClock::start();
        self.show(ui);
        let time = clock.stop(frame.info().cpu_usage);
        bench.frame_drawn(self, ui.ctx(), time);
        self.redraw_bench = Some(bench);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.first_screen.is_some() || self.redraw_bench.is_some() {
            return; // a measurement's forced tab and view are not the user's
        }
        self.settings.spectrogram = Some(self.waveform.spectrogram_prefs());
        self.settings.store(storage);
    }
}

/// How [`run_with`] opens the window.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    /// `--bench-first-screen`: when the process started; the window then
    /// measures its first spectrogram screen (see [`first_screen`]).
    pub bench_first_screen: Option<std::time::Instant>,
    /// `--bench-redraw`: the window times its frames at each zoom (see [`redraw_bench`]).
    pub bench_redraw: bool,
}

/// Opens the window, with `files` already queued.
pub fn run(files: Vec<PathBuf>) -> eframe::Result {
    run_with(files, RunOptions::default())
}

/// Opens the window, with `files` already queued, as `options` say.
pub fn run_with(files: Vec<PathBuf>, run: RunOptions) -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("CoreMusic")
            .with_inner_size([1100.0, 700.0])
            .with_min_inner_size([640.0, 400.0])
            .with_drag_and_drop(true),
        // Size and position come back at the next launch (egui keeps the panels' splits).
        persist_window: true,
        // Before the event loop runs: documents of the launch (Finder, Dock icon) arrive early.
        event_loop_builder: Some(Box::new(|_| open_events::install_system_handler())),
        ..Default::default()
    };
    eframe::run_native(
        "CoreMusic",
        options,
        Box::new(move |cc| {
            let settings = Settings::load(cc.storage);
            let mut app = CoreMusicApp::new(&cc.egui_ctx, settings);
            // The menu bar (macOS), now that the application has launched.
            if let Some(menu) = menu::SystemMenu::install(&cc.egui_ctx) {
                app.use_system_menu(menu);
            }
            if let Some(started) = run.bench_first_screen {
                app.first_screen = Some(first_screen::FirstScreenBench::begin(&mut app, started));
            }
            if run.bench_redraw {
                app.redraw_bench = Some(redraw_bench::RedrawBench::begin(&mut app));
            }
            if !files.is_empty() {
                app.open_paths(files);
            }
            // Again now the application has launched, for documents opened from here on.
            open_events::install_system_handler();
            app.receive_opens(&cc.egui_ctx, open_events::system_queue().clone());
            Ok(Box::new(app))
        }),
    )
}
