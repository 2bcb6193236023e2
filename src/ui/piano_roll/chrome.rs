//! Around the roll: the toolbar, the status line, the tracks list and the
//! discard question.

use super::paint::track_rgb;
use super::*;
use crate::ui::commands::Command;

/// The Undo and Redo buttons' least width, so that naming the step
/// ("Undo Quantize") does not push the rest of the row along.
const UNDO_WIDTH: f32 = 120.0;

impl PianoRollPanel {
    pub(super) fn toolbar(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        // Two rows whose contents do not depend on state: a button never moves
        // because another one's label changed (Undo ↔ Undo Quantize).
        ui.horizontal_wrapped(|ui| {
            // Every button here asks the app's command table, like the menu and the keys.
            if ui.button("New").on_hover_text("A new empty sequence (⌘N)").clicked() {
                self.ask(Command::NewMidi);
            }
            if ui.button("Open MIDI…").on_hover_text("Open a .mid file (⌘O), or drop one on the window").clicked() {
                self.ask(Command::Open);
            }
            if ui.add_enabled(self.has_document(), egui::Button::new("Save")).on_hover_text("Save (⌘S)").clicked() {
                self.ask(Command::Save);
            }
            if ui
                .add_enabled(self.has_document(), egui::Button::new("Save As…"))
                .on_hover_text("Save to a new file (⇧⌘S)")
                .clicked()
            {
                self.ask(Command::SaveAs);
            }
            let can_render = self.render.is_none() && self.has_document();
            if ui.add_enabled(can_render, egui::Button::new("Render to WAV…")).on_hover_text("⌘R").clicked() {
                self.ask(Command::RenderMidi);
            }
            self.sound_ui(ui, &ctx);
            ui.separator();
            let undo = self.editor.undo_name().map_or("Undo".to_string(), |n| format!("Undo {n}"));
            let width = egui::vec2(UNDO_WIDTH, 0.0);
            if ui
                .add_enabled(self.editor.can_undo(), egui::Button::new(undo).min_size(width))
                .on_hover_text("⌘Z")
                .clicked()
            {
                self.ask(Command::Undo);
            }
            let redo = self.editor.redo_name().map_or("Redo".to_string(), |n| format!("Redo {n}"));
            if ui
                .add_enabled(self.editor.can_redo(), egui::Button::new(redo).min_size(width))
                .on_hover_text("⇧⌘Z")
                .clicked()
            {
                self.ask(Command::Redo);
            }
            ui.separator();
            let (label, hint) = if self.playing.is_some() {
                ("Stop", "Stop (space)")
            } else {
                ("Play", "Play from the cursor (space)")
            };
            if ui.add(egui::Button::new(label).min_size(egui::vec2(40.0, 0.0))).on_hover_text(hint).clicked() {
                self.ask(Command::PlayPause);
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.selectable_value(&mut self.tool, Tool::Select, "Select")
                .on_hover_text("Click selects; drag on empty grid selects a region; double-click draws");
            ui.selectable_value(&mut self.tool, Tool::Draw, "Draw")
                .on_hover_text("Click or drag on empty grid draws a note");
            ui.separator();
            egui::ComboBox::new("midi_snap", "Snap").width(64.0).selected_text(self.snap.label()).show_ui(ui, |ui| {
                for s in Snap::ALL {
                    ui.selectable_value(&mut self.snap, s, s.label());
                }
            });
            let can_q = self.snap != Snap::Off;
            if ui
                .add_enabled(can_q, egui::Button::new("Quantize"))
                .on_hover_text("Move the selected notes (or the whole track) toward the snap grid")
                .clicked()
            {
                self.quantize();
            }
            ui.spacing_mut().slider_width = 70.0;
            ui.add(egui::Slider::new(&mut self.quantize_strength, 0.0..=1.0).text("strength").fixed_decimals(2))
                .on_hover_text("How far quantize moves notes: 1 = onto the grid");
            ui.separator();
            ui.label("Transpose");
            for (label, by) in [("−12", -12), ("−1", -1), ("+1", 1), ("+12", 12)] {
                if ui.button(label).on_hover_text("Selected notes (or the whole track); ↑/↓, ⇧ for octaves").clicked()
                {
                    self.transpose(by);
                }
            }
            ui.separator();
            ui.label("Zoom");
            if ui.button("−").on_hover_text("Zoom out (−, or ⌘-scroll / pinch on the grid)").clicked() {
                self.zoom_x(0.8, None);
            }
            if ui.button("+").on_hover_text("Zoom in (+, or ⌘-scroll / pinch on the grid)").clicked() {
                self.zoom_x(1.25, None);
            }
            ui.label("Rows");
            let h = self.view.key_height;
            if ui
                .add_enabled(h > MIN_ROW, egui::Button::new("Shorter"))
                .on_hover_text("Shorter key rows (Cmd/Ctrl+Alt-scroll on the grid)")
                .clicked()
            {
                self.zoom_rows(0.8, None);
            }
            if ui
                .add_enabled(h < MAX_ROW, egui::Button::new("Taller"))
                .on_hover_text("Taller key rows (Cmd/Ctrl+Alt-scroll on the grid)")
                .clicked()
            {
                self.zoom_rows(1.25, None);
            }
        });
    }

    pub(super) fn status_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let name = self.path.as_deref().map(file_name).unwrap_or_else(|| "Untitled".into());
            let dirty = if self.is_dirty() { " •" } else { "" };
            ui.strong(format!("{name}{dirty}"));
            let seq = self.editor.sequence();
            ui.label(format!("{} notes", seq.note_count()));
            if !self.selection.is_empty() {
                ui.label(format!("{} selected", self.selection.len()));
            }
            let tick = self.playhead_tick().map_or(self.cursor_tick, |t| t.max(0.0) as u64);
            ui.label(format!("at {}", self.bar_beat(tick)));
            if let Some(bpm) = seq.tempo_map().bpm_at(tick) {
                ui.label(format!("{bpm:.1} BPM"));
            }
            if self.io.busy() && self.render.is_none() {
                ui.spinner();
            }
            if let Some(job) = &self.render {
                ui.add(egui::ProgressBar::new(job.progress()).desired_width(140.0).show_percentage());
                if ui.button("Cancel").clicked() {
                    job.cancel();
                }
            }
            if let Some((msg, err)) = &self.status {
                if *err {
                    ui.colored_label(ui.visuals().error_fg_color, msg);
                } else {
                    ui.label(msg);
                }
            }
        });
    }

    /// "bar.beat.tick" of a tick (bars and beats from the time signatures).
    pub(super) fn bar_beat(&self, tick: u64) -> String {
        let map = self.editor.sequence().tempo_map();
        let tpq = self.tpq();
        let lines = grid_lines(&map, tpq, 0.0, tick as f64, None, 100_000);
        let mut bar = 1;
        let mut beat = 1;
        let mut beat_tick = 0;
        for (t, k) in lines {
            match k {
                LineKind::Bar(n) => {
                    bar = n;
                    beat = 1;
                    beat_tick = t;
                }
                LineKind::Beat => {
                    beat += 1;
                    beat_tick = t;
                }
                LineKind::Sub => {}
            }
        }
        format!("{bar}.{beat}.{:03}", tick.saturating_sub(beat_tick))
    }

    pub(super) fn tracks_list(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("Tracks");
            let free = self.editor.free_channel().is_some();
            let hint = if free {
                "A new empty track on the next free MIDI channel (undo removes it)"
            } else {
                "All 15 melodic channels are in use"
            };
            if ui.add_enabled(free, egui::Button::new("Add track")).on_hover_text(hint).clicked() {
                self.add_track();
            }
        });
        let seq = self.editor.sequence();
        let rows: Vec<(String, u8, usize)> = seq
            .tracks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let name = if t.name.trim().is_empty() { format!("Track {}", i + 1) } else { t.name.clone() };
                (name, t.channel, t.notes.len())
            })
            .collect();
        for (i, (name, channel, notes)) in rows.into_iter().enumerate() {
            ui.separator();
            ui.horizontal(|ui| {
                let (r, g, b) = track_rgb(i, ui.visuals().dark_mode);
                let (swatch, _) = ui.allocate_exact_size(Vec2::new(10.0, 16.0), Sense::hover());
                ui.painter().rect_filled(swatch, 2.0, Color32::from_rgb(r, g, b));
                if ui
                    .selectable_label(self.current_track == i, name)
                    .on_hover_text("New notes are drawn on this track")
                    .clicked()
                {
                    self.current_track = i;
                }
            });
            ui.horizontal(|ui| {
                if let Some(m) = self.mix.get_mut(i) {
                    if ui.toggle_value(&mut m.mute, "M").on_hover_text("Mute").changed() {
                        self.mix_changed = true;
                    }
                    if ui.toggle_value(&mut m.solo, "S").on_hover_text("Solo").changed() {
                        self.mix_changed = true;
                    }
                }
                ui.label(format!("ch {} · {notes} notes", u16::from(channel) + 1));
            });
            if channel == 9 {
                ui.label("Drums (channel 10)");
            } else if let Some(before) = self.editor.sequence().tracks.get(i).map(|t| t.program) {
                let mut program = before;
                let p = &mut program;
                let text = p.map_or("(no program)", program_name);
                let combo = egui::ComboBox::from_id_salt(("midi_program", i)).width(180.0).selected_text(text).show_ui(
                    ui,
                    |ui| {
                        for (n, name) in GM_PROGRAMS.iter().enumerate() {
                            ui.selectable_value(p, Some(n as u8), format!("{} {}", n + 1, name));
                        }
                    },
                );
                let enabled = ui.is_enabled();
                combo.response.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::ComboBox, enabled, format!("Program of track {}", i + 1))
                });
                if program != before {
                    if let Err(e) = self.editor.set_program(i, program) {
                        self.status = Some((e.to_string(), true));
                    }
                }
            }
        }
    }

    pub(super) fn discard_modal(&mut self, ctx: &egui::Context) {
        let Some(pending) = self.guard.clone() else { return };
        let name = self.path.as_deref().map(file_name).unwrap_or_else(|| "Untitled".into());
        let quitting = pending == Pending::Quit;
        #[derive(PartialEq)]
        enum Answer {
            Save,
            Discard,
            Cancel,
        }
        let mut choice = None;
        let modal = egui::Modal::new(egui::Id::unique("midi_discard")).show(ctx, |ui| {
            ui.set_width(340.0);
            if quitting {
                ui.heading("Save changes before closing?");
                ui.label(format!("{name} has changes that are not saved. They are lost if you close without saving."));
            } else {
                ui.heading("Discard changes?");
                ui.label(format!("{name} has changes that are not saved. They are lost if you go on."));
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if quitting && ui.button("Save").clicked() {
                    choice = Some(Answer::Save);
                }
                if ui.button("Discard").clicked() {
                    choice = Some(Answer::Discard);
                }
                if ui.button("Cancel").clicked() {
                    choice = Some(Answer::Cancel);
                }
            });
        });
        if modal.should_close() && choice.is_none() {
            choice = Some(Answer::Cancel);
        }
        match choice {
            Some(Answer::Save) => {
                self.guard = None;
                self.close_after_save = true;
                self.save(ctx, false);
            }
            Some(Answer::Discard) => {
                self.guard = None;
                self.perform(ctx, pending);
            }
            Some(Answer::Cancel) => self.guard = None,
            None => {}
        }
    }
}
