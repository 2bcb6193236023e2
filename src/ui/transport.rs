//! The transport bar: play/pause, stop, position, loop, output device and
//! volume. It decides what "play" means (the selected file from the
//! waveform's playhead, or resume) and returns that as an [`Action`]; it
//! never touches the engine or the device itself.

use std::ops::Range;
use std::path::Path;

use super::action::Action;
use super::audio::{device_picker, AudioLink, Playing};
use super::waveform::format_time;
use crate::engine::PlayState;

/// Space: play / pause.
pub const PLAY_SHORTCUT: egui::Key = egui::Key::Space;

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

    /// Draws the bar and returns what was asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui, link: &AudioLink, cue: &Cue<'_>) -> Vec<Action> {
        let mut out = Vec::new();
        ui.horizontal(|ui| {
            let playing = link.state == PlayState::Playing;
            let label = if playing { "Pause" } else { "Play" };
            let can_play = cue.path.is_some() || link.state != PlayState::Stopped;
            if ui.add_enabled(can_play, egui::Button::new(label)).on_hover_text("Play / pause (space)").clicked() {
                out.extend(self.play_pause(link, cue));
            }
            if ui
                .add_enabled(link.state != PlayState::Stopped, egui::Button::new("Stop"))
                .on_hover_text("Stop")
                .clicked()
            {
                out.push(Action::Stop);
            }
            let before = self.loop_on;
            ui.toggle_value(&mut self.loop_on, "Loop").on_hover_text("Loop the selection (or the whole file)");
            if before != self.loop_on && link.state != PlayState::Stopped {
                out.push(Action::SetLoop(self.region(cue)));
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
            ui.label("Volume");
            let vol =
                ui.add(egui::Slider::new(&mut self.volume_db, -60.0..=6.0).show_value(false)).accessible_name("Volume");
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
