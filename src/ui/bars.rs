//! The bars around the tabs: the toolbar (Open…, the tabs, the profiler and
//! the theme), the transport bar (whose buttons ask the command table) and
//! the status bar (files, messages and the engine's figures).

use super::commands::{self, Command};
use super::{preferences, Action, AudioLink, CoreMusicApp, Cue, Tab, TransportBar};

/// Below this width (points) the toolbar is compact (see [`CoreMusicApp::toolbar`]).
const TOOLBAR_COMPACT_BELOW: f32 = 820.0;

/// The transport bar's commands (each one of its buttons).
const TRANSPORT: [Command; 5] =
    [Command::GoToStart, Command::PlayPause, Command::Stop, Command::GoToEnd, Command::ToggleLoop];

impl CoreMusicApp {
    /// The transport bar; its buttons are enabled as their commands are.
    pub(super) fn transport_bar(&mut self, ui: &mut egui::Ui) -> Vec<Action> {
        let enabled: Vec<Command> = TRANSPORT.into_iter().filter(|&c| self.command_enabled(c)).collect();
        let selected = self.files.selected_entry().map(|e| e.path.clone());
        let cue = self.cue(selected.as_deref());
        self.settings.transport.ui(ui, &self.audio, &cue, |c| enabled.contains(&c))
    }

    /// Carries out what the transport decides (`f`: play/pause, loop) for the selected file.
    pub(super) fn transport(&mut self, f: impl FnOnce(&mut TransportBar, &AudioLink, &Cue<'_>) -> Option<Action>) {
        let selected = self.files.selected_entry().map(|e| e.path.clone());
        let cue = self.cue(selected.as_deref());
        if let Some(action) = f(&mut self.settings.transport, &self.audio, &cue) {
            self.apply(action);
        }
    }

    /// The toolbar. Narrower than [`TOOLBAR_COMPACT_BELOW`] (a window of
    /// 700 points) it drops the title and puts the theme in a menu, so that
    /// the tabs and the Profiler button never overlap.
    pub(super) fn toolbar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let compact = ui.available_width() < TOOLBAR_COMPACT_BELOW;
            if !compact {
                ui.heading("CoreMusic");
                ui.separator();
            }
            // The toolbar's buttons ask the command table, as the menus and the keys do.
            if ui
                .button("Open…")
                .on_hover_text("Open audio files (⌘O), or drop files and folders on the window")
                .clicked()
            {
                self.asked.push(Command::Open);
            }
            ui.separator();
            for tab in Tab::ALL {
                let hint = commands::shortcut_text(ui.ctx(), Command::ShowTab(tab)).unwrap_or_default();
                if ui.selectable_label(self.settings.tab == tab, tab.label()).on_hover_text(hint).clicked() {
                    self.asked.push(Command::ShowTab(tab));
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let theme = self.settings.prefs.theme;
                let chosen = if compact {
                    ui.menu_button(format!("Theme: {}", theme.label()), |ui| preferences::theme_buttons(ui, theme))
                        .inner
                        .flatten()
                } else {
                    preferences::theme_buttons(ui, theme)
                };
                if let Some(t) = chosen {
                    self.settings.prefs.theme = t;
                }
                ui.separator();
                if ui
                    .selectable_label(self.profiler.open, "Profiler")
                    .on_hover_text("Live engine, UI and memory figures (⇧⌘P)")
                    .clicked()
                {
                    self.asked.push(Command::ToggleProfiler);
                }
            });
        });
    }

    pub(super) fn status_bar(&mut self, ui: &mut egui::Ui) {
        // The engine figures sit on the right; messages take what is left and are cut short.
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            engine_status(ui, &self.audio);
            ui.separator();
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                let (ready, failed, pending) = self.files.counts();
                let n = ready + failed + pending;
                ui.label(format!("{n} file{}", if n == 1 { "" } else { "s" }));
                if failed > 0 {
                    ui.colored_label(ui.visuals().error_fg_color, format!("{failed} unreadable"));
                }
                if self.busy() || pending > 0 {
                    ui.spinner();
                    ui.label("reading…");
                }
                let warn = ui.visuals().warn_fg_color;
                if let Some(n) = &self.notice {
                    ui.add(egui::Label::new(egui::RichText::new(n).color(warn)).truncate());
                }
                if let Some(e) = self.jobs.last_error() {
                    ui.add(egui::Label::new(egui::RichText::new(e).color(warn)).truncate());
                }
                if let Some(e) = &self.audio.last_error {
                    ui.add(egui::Label::new(egui::RichText::new(e).color(warn)).truncate());
                } else if let Some((asked, why)) = &self.audio.fell_back {
                    ui.add(
                        egui::Label::new(egui::RichText::new("no sound device: playing on the simulated one").weak())
                            .truncate(),
                    )
                    .on_hover_text(format!("{asked}: {why}"));
                }
            });
        });
    }
}

/// Device, rate, buffer, latency, load and xruns — on every tab (drawn right to left).
fn engine_status(ui: &mut egui::Ui, audio: &AudioLink) {
    let s = &audio.stats;
    let xruns = egui::RichText::new(format!("{} xruns", s.xruns));
    if s.xruns > 0 {
        ui.label(xruns.color(ui.visuals().error_fg_color));
    } else {
        ui.label(xruns);
    }
    ui.separator();
    ui.label(format!("load {:.0}%", s.load_p99 * 100.0)).on_hover_text("p99 callback time / period");
    ui.separator();
    match &audio.device {
        Some(d) => {
            let ms = d.latency_frames as f64 * 1e3 / d.sample_rate.max(1) as f64;
            ui.label(format!("{ms:.1} ms")).on_hover_text("output latency");
            ui.separator();
            ui.label(format!("{} frames", d.buffer_frames));
            ui.separator();
            ui.label(format!("{:.1} kHz", d.sample_rate as f64 / 1000.0));
            ui.separator();
            ui.label(&d.name);
        }
        None => {
            ui.label("no device");
        }
    }
}
