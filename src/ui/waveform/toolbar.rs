//! The Waveform tab around the view: the file's name, its figures and the
//! zoom buttons, the view switch and the spectrogram's settings, the
//! analyser, then the lanes. Shown as soon as the file's length is known
//! (from its header), while the peak pyramid may still be built.

use super::*;

impl WaveformView {
    /// The Waveform tab: the selected file's name, length and build progress
    /// (or why it cannot be shown) above the view.
    pub fn tab_ui(&mut self, ui: &mut egui::Ui, entry: Option<&FileEntry>) {
        let Some(entry) = entry else {
            ui.centered_and_justified(|ui| {
                ui.label("No file selected. Open or drop an audio file to see its waveform.")
            });
            return;
        };
        ui.heading(format!("Waveform of {}", entry.name()));
        let header = match &entry.state {
            FileState::Reading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Reading…");
                });
                return;
            }
            FileState::Failed(msg) => {
                ui.colored_label(ui.visuals().error_fg_color, "This file cannot be read:");
                ui.label(msg);
                return;
            }
            FileState::Ready(info) => Timeline::of_info(info),
        };
        if self.path.as_deref() != Some(entry.path.as_path()) {
            self.open_with_header(&entry.path, header, ui.ctx());
        }
        if let Load::Failed(e) = &self.load {
            ui.colored_label(ui.visuals().error_fg_color, "The waveform cannot be shown:");
            ui.label(e.clone());
            return;
        }
        let Some(tl) = self.timeline() else {
            // Building without a length from the header: the progress alone.
            if let Some(f) = self.progress() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.add(
                        egui::ProgressBar::new(f)
                            .desired_width(300.0)
                            .text(format!("Building peaks… {:.0}%", f * 100.0)),
                    );
                });
                ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
            }
            return;
        };
        self.figures_row(ui, &tl);
        self.view_bar(ui, tl.channels);
        self.analyser_panel(ui, tl.frames);
        self.ui(ui);
    }

    /// Zoom controls first, from the right; the figures take what is left
    /// and are cut short (never overlapping) in a narrow panel.
    fn figures_row(&mut self, ui: &mut egui::Ui, tl: &Timeline) {
        ui.horizontal(|ui| {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Fit").on_hover_text("Show the whole file").clicked() {
                    self.show_all();
                }
                if ui.button("−").on_hover_text("Zoom out (−)").clicked() {
                    self.zoom_out();
                }
                if ui.button("+").on_hover_text("Zoom in (+)").clicked() {
                    self.zoom_in();
                }
                ui.label(egui::RichText::new(zoom_text(self.frames_per_point)).weak());
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                    ui.label(format!(
                        "{} · {} Hz · {} ch · {} frames",
                        format_duration(tl.duration_s()),
                        tl.sample_rate,
                        tl.channels,
                        tl.frames
                    ));
                    ui.separator();
                    let rate = tl.sample_rate.max(1) as f64;
                    ui.label(format!("Playhead {}", format_duration(self.playhead as f64 / rate)));
                    if let Some(s) = self.selection() {
                        ui.separator();
                        ui.label(format!(
                            "Selection {} – {} ({})",
                            format_duration(s.start as f64 / rate),
                            format_duration(s.end as f64 / rate),
                            format_duration((s.end - s.start) as f64 / rate)
                        ));
                    }
                });
            });
        });
    }
}
