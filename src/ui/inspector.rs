//! The Inspector tab: everything `coremusic info` knows about the selected
//! file, laid out like afinfo, or the reason it cannot be read.

use super::{FileEntry, FileState};
use crate::cli::info::{format_bytes, format_duration};
use crate::io::{Container, FileInfo};

/// The Inspector tab (stateless: it draws the selected entry).
#[derive(Debug, Default)]
pub struct InspectorPanel;

impl InspectorPanel {
    /// Draws the selected file's report.
    pub fn ui(&mut self, ui: &mut egui::Ui, entry: Option<&FileEntry>) {
        let Some(entry) = entry else {
            ui.centered_and_justified(|ui| {
                ui.label("No file selected. Drop audio files on the window to inspect them.")
            });
            return;
        };
        ui.heading(entry.name());
        ui.label(egui::RichText::new(entry.path.display().to_string()).weak());
        ui.separator();
        match &entry.state {
            FileState::Reading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Reading…");
                });
            }
            FileState::Failed(msg) => {
                ui.colored_label(ui.visuals().error_fg_color, "This file cannot be read:");
                ui.label(msg);
            }
            FileState::Ready(info) => {
                let sample = match (info.sample_format, info.bits_per_sample) {
                    (Some(f), Some(b)) if b != f.bits() => format!("{f} ({b} significant bits)"),
                    (Some(f), _) => f.to_string(),
                    (None, _) => "lossy (decoded to float)".into(),
                };
                let rows: Vec<(&str, String)> = vec![
                    (
                        "Container",
                        Container::from_name(&info.container).map_or(info.container.clone(), |c| c.long_name().into()),
                    ),
                    ("Codec", format!("{} ('{}')", info.codec, info.format.format_id)),
                    ("Sample rate", format!("{} Hz", info.sample_rate)),
                    ("Channels", format!("{} ({})", info.channels, info.channel_layout)),
                    ("Sample format", sample),
                    ("Stored as", stored_as(info)),
                    ("Frames", info.frames.map_or("unknown".into(), |f| f.to_string())),
                    ("Duration", info.duration_s.map_or("unknown".into(), format_duration)),
                    (
                        "Bit rate",
                        info.bit_rate.map_or("unknown".into(), |b| format!("{:.1} kbit/s", b as f64 / 1000.0)),
                    ),
                    ("File size", format_bytes(info.file_size)),
                ];
                egui::Grid::new("inspector-grid").num_columns(2).striped(true).spacing([24.0, 6.0]).show(ui, |ui| {
                    for (k, v) in rows {
                        ui.label(egui::RichText::new(k).strong());
                        ui.label(v);
                        ui.end_row();
                    }
                });
                ui.add_space(12.0);
                ui.strong("Tags");
                if info.tags.is_empty() {
                    ui.label(egui::RichText::new("none").weak());
                } else {
                    egui::Grid::new("tags-grid").num_columns(2).spacing([24.0, 4.0]).show(ui, |ui| {
                        for (k, v) in &info.tags {
                            ui.label(k);
                            ui.label(v);
                            ui.end_row();
                        }
                    });
                }
                for w in &info.warnings {
                    ui.add_space(8.0);
                    ui.colored_label(ui.visuals().warn_fg_color, format!("⚠ {w}"));
                }
            }
        }
    }
}

/// How the samples sit in the file: PCM flags, or the codec's packet size.
fn stored_as(info: &FileInfo) -> String {
    let f = &info.format;
    if f.is_pcm() {
        return format!("{} bits, {}, {} bytes per frame", f.bits_per_channel, f.describe_flags(), f.bytes_per_frame);
    }
    match f.frames_per_packet {
        0 => "compressed, packets of varying length".into(),
        n => format!("compressed, {n} frames per packet"),
    }
}
