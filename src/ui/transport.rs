//! The transport bar: play/pause, stop, position, loop, output device and
//! volume. It decides what "play" means (the selected file from the
//! waveform's playhead, or resume) and sends that to the engine through
//! [`AudioLink`]; it never touches the device itself.

use std::ops::Range;
use std::path::Path;

use super::audio::{AudioLink, Playing};
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
    pub fn play_pause(&mut self, link: &mut AudioLink, cue: &Cue<'_>) {
        let same = match (&link.playing, cue.path) {
            (Playing::File(f), Some(p)) => f.path == p,
            _ => false,
        };
        match link.state {
            PlayState::Playing | PlayState::Paused if same || cue.path.is_none() => link.toggle_pause(),
            _ => {
                if let Some(path) = cue.path {
                    link.looping = self.region(cue);
                    link.play_file(path, cue.from_frame);
                }
            }
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

    /// Draws the bar.
    pub fn ui(&mut self, ui: &mut egui::Ui, link: &mut AudioLink, cue: &Cue<'_>) {
        ui.horizontal(|ui| {
            let playing = link.state == PlayState::Playing;
            let label = if playing { "Pause" } else { "Play" };
            let can_play = cue.path.is_some() || link.state != PlayState::Stopped;
            if ui.add_enabled(can_play, egui::Button::new(label)).on_hover_text("Play / pause (space)").clicked() {
                self.play_pause(link, cue);
            }
            if ui
                .add_enabled(link.state != PlayState::Stopped, egui::Button::new("Stop"))
                .on_hover_text("Stop")
                .clicked()
            {
                link.stop();
            }
            let before = self.loop_on;
            ui.toggle_value(&mut self.loop_on, "Loop").on_hover_text("Loop the selection (or the whole file)");
            if before != self.loop_on && link.state != PlayState::Stopped {
                let region = self.region(cue);
                link.set_loop(region);
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
                link.set_gain(self.gain());
            }
            ui.separator();
            let current = link.device.as_ref().map(|d| d.name.clone()).unwrap_or_else(|| "—".into());
            let mut chosen = None;
            egui::ComboBox::from_id_salt("transport-device")
                .selected_text(format!("Output: {current}"))
                .show_ui(ui, |ui| {
                    for name in &link.devices {
                        if ui.selectable_label(*name == current, name).clicked() {
                            chosen = Some(name.clone());
                        }
                    }
                })
                .response
                .accessible_name("Output device");
            if let Some(name) = chosen.filter(|n| *n != current) {
                link.open_device(&name);
            }
        });
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
