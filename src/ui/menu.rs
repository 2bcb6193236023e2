//! The menu bar, drawn from the command table ([`super::commands`]). On
//! macOS it is the system's menu bar (muda, see `menu_macos`); on Linux and
//! Windows, and in tests, the same menus are drawn by egui at the top of the
//! window. Either way a chosen item is a [`Command`] run by
//! [`CoreMusicApp::run_command`], and items enable, disable and rename
//! themselves from [`CoreMusicApp::command_enabled`] and
//! [`CoreMusicApp::command_title`].

use super::commands::{menu_entries, shortcut_text, Command, Menu, COMMANDS};
use super::CoreMusicApp;

/// The small windows the menus open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Windows {
    /// CoreMusic > About CoreMusic.
    pub about: bool,
    /// CoreMusic > Preferences….
    pub preferences: bool,
    /// Help > CoreMusic Help.
    pub help: bool,
}

/// The title of File > Open Recent.
pub const OPEN_RECENT: &str = "Open Recent";
/// The title of File > Open Recent > Clear Menu.
pub const CLEAR_MENU: &str = "Clear Menu";

/// The system's menu bar when there is one (macOS); `None` elsewhere, where
/// [`menu_bar`] draws the menus in the window.
pub struct SystemMenu {
    #[cfg(target_os = "macos")]
    native: super::menu_macos::NativeMenu,
}

impl std::fmt::Debug for SystemMenu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SystemMenu")
    }
}

impl SystemMenu {
    /// Installs the menu bar in the running application (macOS only: `None`
    /// elsewhere). Call it on the main thread once the application has
    /// launched; `ctx` is woken when an item is chosen.
    pub fn install(ctx: &egui::Context) -> Option<SystemMenu> {
        #[cfg(target_os = "macos")]
        return super::menu_macos::NativeMenu::install(ctx).map(|native| SystemMenu { native });
        #[cfg(not(target_os = "macos"))]
        {
            let _ = ctx;
            None
        }
    }

    /// The commands chosen since the last call (an Edit command chosen while
    /// a text field has the keyboard goes to the field, as from the in-window menu).
    pub fn poll(&mut self) -> Vec<Command> {
        #[cfg(target_os = "macos")]
        return self.native.poll();
        #[cfg(not(target_os = "macos"))]
        Vec::new()
    }

    /// Brings titles, enabled and checked states and Open Recent up to date
    /// (only what changed is touched).
    pub fn sync(&mut self, app: &CoreMusicApp) {
        #[cfg(target_os = "macos")]
        self.native.sync(app);
        #[cfg(not(target_os = "macos"))]
        let _ = app;
    }
}

/// Draws the menus in the window (Linux, Windows, tests) and runs what is
/// chosen; true while one of them is open.
pub fn menu_bar(app: &mut CoreMusicApp, ui: &mut egui::Ui) -> bool {
    let mut chosen = None;
    let mut open = false;
    egui::MenuBar::new().ui(ui, |ui| {
        for menu in Menu::ALL {
            let r = ui.menu_button(menu.title(), |ui| {
                for e in menu_entries(menu) {
                    if e.separator_before {
                        ui.separator();
                    }
                    if item(app, ui, e.command) {
                        chosen = Some(e.command);
                    }
                    if e.recent_after {
                        if let Some(c) = recent_menu(app, ui) {
                            chosen = Some(c);
                        }
                    }
                }
            });
            open |= r.inner.is_some();
            let title = menu.title();
            r.response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::MenuItem, true, format!("{title} menu")));
        }
    });
    if let Some(c) = chosen {
        app.try_command(&ui.ctx().clone(), c);
    }
    open
}

/// One menu item; true when clicked.
fn item(app: &CoreMusicApp, ui: &mut egui::Ui, command: Command) -> bool {
    let title = app.command_title(command);
    let checked = app.command_checked(command);
    // A checked item (the tab shown, the profiler, loop) is drawn highlighted.
    let mut button = egui::Button::new(&title).selected(checked == Some(true));
    if let Some(s) = shortcut_text(ui.ctx(), command) {
        button = button.shortcut_text(s);
    }
    let enabled = app.command_enabled(command);
    let r = ui.add_enabled(enabled, button);
    let role = if checked.is_some() { egui::Role::MenuItemCheckBox } else { egui::Role::MenuItem };
    r.widget_info(|| {
        let mut info = egui::WidgetInfo::labeled(role, enabled, &title);
        info.selected = checked;
        info
    });
    r.clicked()
}

/// File > Open Recent > (the files, then Clear Menu); the command chosen.
fn recent_menu(app: &CoreMusicApp, ui: &mut egui::Ui) -> Option<Command> {
    let mut chosen = None;
    let r = ui.menu_button(OPEN_RECENT, |ui| {
        let n = app.settings.recent.entries().len();
        if n == 0 {
            ui.add_enabled(false, egui::Label::new("No recent files"));
        }
        for i in 0..n {
            if item(app, ui, Command::OpenRecent(i)) {
                chosen = Some(Command::OpenRecent(i));
            }
        }
        ui.separator();
        if item(app, ui, Command::ClearRecent) {
            chosen = Some(Command::ClearRecent);
        }
    });
    r.response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::MenuItem, true, OPEN_RECENT));
    chosen
}

/// The Help window's list of every command with a shortcut, as the platform writes it.
pub fn shortcut_list(ctx: &egui::Context) -> Vec<(String, &'static str, String)> {
    COMMANDS
        .iter()
        .filter_map(|e| shortcut_text(ctx, e.command).map(|s| (e.menu.title().to_string(), e.title, s)))
        .collect()
}

impl CoreMusicApp {
    /// The windows the menus open: Preferences, About and Help. Returns what
    /// Preferences asks of the engine.
    pub(super) fn menu_windows(&mut self, ctx: &egui::Context) -> Vec<super::Action> {
        let mut open = self.windows.preferences;
        let soundfont = self.midi.soundfont_path().map(|p| p.to_path_buf());
        let out = self.prefs_window.show(ctx, &mut open, &mut self.settings.prefs, soundfont.as_deref(), &self.audio);
        self.windows.preferences = open;
        if let Some(font) = out.soundfont {
            match font {
                Some(path) => self.midi.load_soundfont(path),
                None => self.midi.use_builtin_synth(),
            }
        }
        if let Some(cache) = out.cache {
            self.waveform.set_cache(cache);
        }
        if let Some(opts) = out.preset {
            self.batch.opts = opts;
        }
        let mut about = self.windows.about;
        egui::Window::new("About CoreMusic").open(&mut about).resizable(false).collapsible(false).show(ctx, |ui| {
            ui.heading(format!("CoreMusic {}", env!("CARGO_PKG_VERSION")));
            ui.label(env!("CARGO_PKG_DESCRIPTION"));
            ui.label(format!("License: {}", env!("CARGO_PKG_LICENSE")));
        });
        self.windows.about = about;
        let mut help = self.windows.help;
        egui::Window::new("CoreMusic Help").open(&mut help).default_width(460.0).show(ctx, help_text);
        self.windows.help = help;
        out.actions
    }
}

/// The user guide: what each tab is for, then every shortcut.
fn help_text(ui: &mut egui::Ui) {
    egui::ScrollArea::vertical().max_height(480.0).show(ui, |ui| {
        for (title, text) in [
            ("Opening files", "File > Open… (or drop files and folders on the window, or on the Dock icon). MIDI files open in the MIDI tab; File > Open Recent lists the last ones."),
            ("Inspector", "What the selected file is: container, codec, rate, channels, depth, length and tags."),
            ("Waveform", "Click to place the playhead, drag to select, scroll or pinch to zoom; space plays the selection or from the playhead."),
            ("MIDI", "A piano roll: draw, move and resize notes, quantize, transpose, undo every step; play with the built-in synth or a SoundFont, render to WAV."),
            ("Batch", "Queue files or folders, pick a format and convert them on every core; File > Convert Selected Files… queues the selected file."),
            ("Latency", "Device, rate and buffer size with live callback timing; Find lowest safe buffer tries them in turn."),
            ("Preferences", "Output device and buffer, the default conversion preset, the SoundFont, the theme and the peaks cache (folder, size limit, Clear cache)."),
        ] {
            ui.strong(title);
            ui.label(text);
            ui.add_space(6.0);
        }
        ui.separator();
        ui.strong("Shortcuts");
        egui::Grid::new("help_shortcuts").striped(true).show(ui, |ui| {
            for (menu, title, keys) in shortcut_list(ui.ctx()) {
                ui.label(menu);
                ui.label(title);
                ui.monospace(keys);
                ui.end_row();
            }
        });
    });
}
