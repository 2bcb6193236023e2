//! The transport bar: go to start, play/pause, stop, go to end, loop, the
//! position, the output device and the volume. Its buttons ask the command
//! table ([`Action::Command`]), as the Transport menu and the keys do; the
//! table's commands come back here to learn what "play" means (the selected
//! file from the waveform's playhead, or resume). It never touches the
//! engine or the device itself.

use std::ops::Range;
use std::path::Path;

use super::action::Action;
use super::audio::{device_picker, AudioLink, Playing};
use super::commands::{entry_of, shortcut_text, Command};
use super::waveform::format_time;
use crate::engine::PlayState;

/// What the transport needs to know about the file in view.
#[derive(Debug, Clone, Default)]
pub struct Cue<'a> {
    /// The file to play (the selected one).
    pub path: Option<&'a Path>,
    /// Where to start (the waveform's playhead), in file frames.
    pub from_frame: u64,
    /// The waveform's selection, looped when loop is on.
    pub selection: Option<Range<u64>>,
    /// The file's length in seconds, when known.
    pub duration_s: Option<f64>,
}

/// The transport bar's own state.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct TransportBar {
    /// Loop the selection (or the whole file).
    pub loop_on: bool,
    /// Volume in dB.
    pub volume_db: f32,
}

impl Default for TransportBar {
    fn default() -> Self {
        TransportBar { loop_on: false, volume_db: 0.0 }
    }
}

impl TransportBar {
    /// Play ↔ pause, as the button and the space bar do.
    pub fn play_pause(&self, link: &AudioLink, cue: &Cue<'_>) -> Option<Action> {
        let same = match (&link.playing, cue.path) {
            (Playing::File(f), Some(p)) => f.path == p,
            _ => false,
        };
        match link.state {
            PlayState::Playing | PlayState::Paused if same || cue.path.is_none() => Some(Action::TogglePause),
            _ => cue.path.map(|path| Action::PlayFile {
                path: path.to_path_buf(),
                from_frame: cue.from_frame,
                looping: self.region(cue),
            }),
        }
    }

    fn region(&self, cue: &Cue<'_>) -> Option<(u64, u64)> {
        if !self.loop_on {
            return None;
        }
        match &cue.selection {
            Some(r) if r.end > r.start => Some((r.start, r.end)),
            _ => Some((0, u64::MAX)),
        }
    }

    /// Loop on ↔ off (the Loop button and ⌘L): while a file plays, the engine
    /// starts or stops looping at once.
    pub fn toggle_loop(&mut self, link: &AudioLink, cue: &Cue<'_>) -> Option<Action> {
        self.loop_on = !self.loop_on;
        let file_plays = link.state != PlayState::Stopped && matches!(link.playing, Playing::File(_));
        (file_plays && (self.loop_on || link.looping.is_some())).then(|| Action::SetLoop(self.region(cue)))
    }

    /// Draws the bar and returns what was asked for. Its buttons are commands
    /// of the table ([`Action::Command`]), enabled as `can` says, so a button,
    /// its shortcut and its menu item do one thing.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        link: &AudioLink,
        cue: &Cue<'_>,
        can: impl Fn(Command) -> bool,
    ) -> Vec<Action> {
        let mut out = Vec::new();
        // Wrapped (the output picker goes to a second row in a narrow
        // window); what is on it depends on the width alone, never on
        // playing, so the bar does not jump when playback starts.
        ui.horizontal_wrapped(|ui| {
            let narrow = ui.available_width() < TRANSPORT_NARROW_BELOW;
            let play = if link.state == PlayState::Playing { "Pause" } else { "Play" };
            let loop_on = self.loop_on;
            // (command, its text, a symbol that a screen reader says by the table's title, a toggle's state)
            for (command, text, symbol, selected) in [
                (Command::GoToStart, "⏮", true, None),
                (Command::PlayPause, play, false, None),
                (Command::Stop, "Stop", false, None),
                (Command::GoToEnd, "⏭", true, None),
                (Command::ToggleLoop, "Loop", false, Some(loop_on)),
            ] {
                let name = if symbol { entry_of(command).map_or(text, |e| e.title) } else { text };
                out.extend(button(ui, can(command), command, (text, name), selected));
            }
            ui.separator();
            let hours = cue.duration_s.is_some_and(|d| d >= 3600.0);
            let pos = if link.state == PlayState::Stopped { 0.0 } else { link.position_s };
            let total = match &link.playing {
                Playing::File(f) => f.duration_s.or(cue.duration_s),
                _ => cue.duration_s,
            };
            let text = match total {
                Some(t) => format!("{} / {}", format_time(pos, 3, hours), format_time(t, 3, hours)),
                None => format_time(pos, 3, hours),
            };
            ui.monospace(text);
            ui.separator();
            if narrow {
                ui.spacing_mut().slider_width = 70.0;
            } else {
                ui.label("Volume");
            }
            let vol = ui
                .add(egui::Slider::new(&mut self.volume_db, -60.0..=6.0).show_value(false))
                .on_hover_text("Volume")
                .accessible_name("Volume");
            ui.monospace(if self.volume_db <= -60.0 {
                "  −∞ dB".to_string()
            } else {
                format!("{:+5.1} dB", self.volume_db)
            });
            if vol.changed() {
                out.push(Action::SetGain(self.gain()));
            }
            ui.separator();
            out.extend(device_picker(ui, "transport-device", "Output: ", "Output device", link));
        });
        let levels = link.levels.as_ref().filter(|_| link.state != PlayState::Stopped);
        if super::meters::ui(ui, levels) {
            out.push(Action::ResetMeters);
        }
        out
    }
}

/// Below this width (points) the transport bar drops the word "Volume" and
/// shortens the slider, to keep to one row in a 700-point window.
const TRANSPORT_NARROW_BELOW: f32 = 760.0;

/// One button of the bar asking for `command`: `text` shown, `name` spoken,
/// the table's title and shortcut in the tooltip; `selected` for a toggle.
fn button(
    ui: &mut egui::Ui,
    enabled: bool,
    command: Command,
    (text, name): (&str, &str),
    selected: Option<bool>,
) -> Option<Action> {
    let title = entry_of(command).map_or(name, |e| e.title);
    let hint = match shortcut_text(ui.ctx(), command) {
        Some(keys) => format!("{title} ({keys})"),
        None => title.to_string(),
    };
    // Play and Pause take the same room: nothing after them moves when playback starts.
    let min_w = if command == Command::PlayPause { 52.0 } else { 0.0 };
    let r = ui
        .add_enabled(enabled, egui::Button::new(text).selected(selected == Some(true)).min_size(egui::vec2(min_w, 0.0)))
        .on_hover_text(hint);
    let role = if selected.is_some() { egui::Role::CheckBox } else { egui::Role::Button };
    r.widget_info(|| {
        let mut info = egui::WidgetInfo::labeled(role, enabled, name);
        info.selected = selected;
        info
    });
    r.clicked().then_some(Action::Command(command))
}

impl TransportBar {
    /// The volume as a linear gain.
    pub fn gain(&self) -> f32 {
        if self.volume_db <= -60.0 {
            0.0
        } else {
            10f32.powf(self.volume_db / 20.0)
        }
    }
}
