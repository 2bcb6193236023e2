//! The window: an eframe app with a file list on the left, tabs in the
//! middle and a status bar at the bottom. Each panel is its own type with a
//! `ui` method (the egui demo's habit). The UI thread never reads a file or
//! touches a device: it sends work to background jobs ([`jobs`]) and draws
//! what they send back.

mod batch;
mod files;
mod inspector;
pub mod jobs;
pub mod piano_roll;

use std::path::PathBuf;

pub use batch::{BatchPanel, Row, Summary};
pub use files::{FileEntry, FileList, FileState};
pub use inspector::InspectorPanel;
pub use piano_roll::{PianoRollAction, PianoRollPanel};

/// The tabs of the main area. Waveform, MIDI, Batch and Latency join this
/// list as the engine rooms behind them land.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
pub enum Tab {
    /// What the selected file is.
    #[default]
    Inspector,
    /// Batch conversion of queued files and folders.
    Batch,
    /// The piano roll: MIDI files edited, played and rendered.
    Midi,
}

impl Tab {
    /// Every tab, in the order shown.
    pub const ALL: [Tab; 3] = [Tab::Inspector, Tab::Batch, Tab::Midi];

    /// The label on the tab.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Inspector => "Inspector",
            Tab::Batch => "Batch",
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
}

/// ⌘O on macOS, Ctrl+O elsewhere.
pub const OPEN_SHORTCUT: egui::KeyboardShortcut = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::O);

const SETTINGS_KEY: &str = "coremusic.settings";

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
    /// The MIDI tab (piano roll).
    pub midi: PianoRollPanel,
    jobs: jobs::Jobs,
}

impl CoreMusicApp {
    /// A new app; `ctx` is used to wake the UI when background work finishes.
    pub fn new(ctx: &egui::Context, settings: Settings) -> Self {
        CoreMusicApp {
            settings,
            files: FileList::default(),
            inspector: InspectorPanel,
            batch: BatchPanel::default(),
            midi: PianoRollPanel::new(),
            jobs: jobs::Jobs::start(ctx.clone()),
        }
    }

    /// Queues files or folders to be opened (probed in the background).
    pub fn open_paths(&mut self, paths: Vec<PathBuf>) {
        // MIDI files go to the piano roll.
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
        self.apply_events();
        self.handle_input(ui.ctx());

        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        egui::Panel::left("files").resizable(true).default_size(280.0).show(ui, |ui| {
            self.files.ui(ui);
        });
        egui::CentralPanel::default().show(ui, |ui| match self.settings.tab {
            Tab::Inspector => self.inspector.ui(ui, self.files.selected_entry()),
            Tab::Batch => {
                let opened: Vec<PathBuf> = self.files.entries.iter().map(|e| e.path.clone()).collect();
                self.batch.ui(ui, &opened)
            }
            Tab::Midi => {
                for action in self.midi.ui(ui) {
                    self.route_midi(action);
                }
            }
        });
    }

    /// Sends what the piano roll asks for to the sound engine (one arm per action).
    fn route_midi(&mut self, action: PianoRollAction) {
        match action {
            // The engine (a `Box<dyn Render>` producer) lands in parallel; until then nothing sounds.
            PianoRollAction::Play(_render) => {}
            PianoRollAction::Preview { render: _render, .. } => {}
            PianoRollAction::Stop => {}
        }
    }

    fn apply_events(&mut self) {
        for event in self.jobs.events() {
            // A MIDI file chosen in the open dialog goes to the piano roll.
            if let jobs::JobEvent::Queued { path, .. } = &event {
                if piano_roll::is_midi_file(path) {
                    self.midi.open_path(path.clone());
                    self.settings.tab = Tab::Midi;
                    continue;
                }
            }
            self.files.apply(event);
        }
    }

    fn handle_input(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).collect());
        if !dropped.is_empty() {
            // On the Batch tab a drop queues files for conversion; elsewhere it opens them.
            if self.settings.tab == Tab::Batch {
                self.batch.enqueue(dropped);
            } else {
                self.open_paths(dropped);
            }
        }
        if ctx.input_mut(|i| i.consume_shortcut(&OPEN_SHORTCUT)) {
            if self.settings.tab == Tab::Midi {
                self.midi.open_dialog();
            } else {
                self.jobs.send(jobs::Job::PickFiles(self.settings.last_folder.clone()));
            }
        }
        let (up, down) = ctx.input(|i| (i.key_pressed(egui::Key::ArrowUp), i.key_pressed(egui::Key::ArrowDown)));
        if self.settings.tab != Tab::Midi && ctx.memory(|m| m.focused().is_none()) {
            self.files.move_selection(i32::from(down) - i32::from(up));
        }
    }

    fn toolbar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("CoreMusic");
            ui.separator();
            if ui
                .button("Open…")
                .on_hover_text("Open audio files (⌘O), or drop files and folders on the window")
                .clicked()
            {
                self.jobs.send(jobs::Job::PickFiles(self.settings.last_folder.clone()));
            }
            ui.separator();
            for tab in Tab::ALL {
                ui.selectable_value(&mut self.settings.tab, tab, tab.label());
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                theme_picker(ui);
            });
        });
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let (ready, failed, pending) = self.files.counts();
            ui.label(format!("{} files", ready + failed + pending));
            if failed > 0 {
                ui.colored_label(ui.visuals().error_fg_color, format!("{failed} unreadable"));
            }
            if self.busy() || pending > 0 {
                ui.spinner();
                ui.label("reading…");
            }
            if let Some(e) = self.jobs.last_error() {
                ui.colored_label(ui.visuals().warn_fg_color, e);
            }
        });
    }
}

/// Light / Dark / System, in words (the default fonts have no sun and moon glyphs).
fn theme_picker(ui: &mut egui::Ui) {
    let mut pref = ui.ctx().options(|o| o.theme_preference);
    let before = pref;
    for (p, label) in [
        (egui::ThemePreference::System, "System"),
        (egui::ThemePreference::Dark, "Dark"),
        (egui::ThemePreference::Light, "Light"),
    ]
    .into_iter()
    .rev()
    {
        ui.selectable_value(&mut pref, p, label);
    }
    if pref != before {
        ui.ctx().set_theme(pref);
    }
}

impl eframe::App for CoreMusicApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
    }
}

/// Opens the window, with `files` already queued.
pub fn run(files: Vec<PathBuf>) -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("CoreMusic")
            .with_inner_size([1100.0, 700.0])
            .with_min_inner_size([640.0, 400.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "CoreMusic",
        options,
        Box::new(move |cc| {
            let settings: Settings = cc.storage.and_then(|s| eframe::get_value(s, SETTINGS_KEY)).unwrap_or_default();
            let mut app = CoreMusicApp::new(&cc.egui_ctx, settings);
            if !files.is_empty() {
                app.open_paths(files);
            }
            Ok(Box::new(app))
        }),
    )
}
