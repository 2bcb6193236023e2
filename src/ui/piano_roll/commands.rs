//! What the app's command table ([`crate::ui::commands`]) asks of the piano
//! roll: the document commands (save, render), the Edit menu (undo and redo,
//! cut, copy, paste, select all, delete), zoom, play and the cursor, and the
//! zoom kept between runs. The roll's own toolbar buttons ask the table too
//! ([`Action::Command`]), so every trigger ends up here.

use super::*;
use crate::ui::commands::Command;

/// The piano roll's zoom, kept between runs: points per quarter note and the key rows' height.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RollZoom {
    /// Horizontal zoom: points per quarter note.
    pub px_per_quarter: f32,
    /// Vertical zoom: the height of one key row in points.
    pub key_height: f32,
}

impl PianoRollPanel {
    /// Whether there is a document worth saving: a file was opened or saved, or something was edited.
    pub fn has_document(&self) -> bool {
        self.path.is_some() || self.is_dirty()
    }

    /// File ▸ Save (`as_new`: Save As…). A document without a file asks where.
    pub fn save_document(&mut self, ctx: &egui::Context, as_new: bool) {
        self.save(ctx, as_new);
    }

    /// File ▸ Render MIDI to WAV…: asks where, then renders in the background.
    pub fn render_dialog(&mut self, ctx: &egui::Context) {
        if self.render.is_some() {
            return;
        }
        let dir = self.path.as_ref().and_then(|p| p.parent().map(Path::to_path_buf));
        let name = self.path.as_ref().map(|p| file_name(&p.with_extension("wav")));
        self.io.pick(ctx, Pick::RenderWav, dir, Some(name.unwrap_or_else(|| "Untitled.wav".into())));
    }

    /// Edit ▸ Undo.
    pub fn undo_edit(&mut self) {
        self.undo();
    }

    /// Edit ▸ Redo.
    pub fn redo_edit(&mut self) {
        self.redo();
    }

    /// Edit ▸ Copy: the selected notes to the roll's clipboard.
    pub fn copy(&mut self) {
        self.editor.copy(&self.selection());
    }

    /// Edit ▸ Cut.
    pub fn cut(&mut self) {
        self.copy();
        self.delete_selection();
    }

    /// Edit ▸ Paste: at the cursor, on the current track; the pasted notes become the selection.
    pub fn paste(&mut self) {
        if !self.editor.has_clipboard() {
            return;
        }
        match self.editor.paste(self.current_track, self.cursor_tick) {
            Ok(ids) => self.selection = ids.into_iter().collect(),
            Err(e) => self.status = Some((e.to_string(), true)),
        }
    }

    /// Edit ▸ Delete.
    pub fn delete_selected(&mut self) {
        if !self.selection.is_empty() {
            self.delete_selection();
        }
    }

    /// Edit ▸ Select All: every note of every track.
    pub fn select_all(&mut self) {
        self.selection = self.editor.sequence().tracks.iter().flat_map(|t| t.notes.iter().map(|n| n.id)).collect();
    }

    /// View ▸ Zoom In / Out: time `factor` times wider.
    pub fn zoom_time(&mut self, factor: f32) {
        self.zoom_x(factor, None);
    }

    /// View ▸ Zoom to Fit: the whole sequence in view.
    pub fn zoom_fit(&mut self) {
        self.fit_pending = true;
    }

    /// Transport ▸ Play/Pause on the MIDI tab: play from the cursor, or stop.
    pub fn play_or_stop(&mut self) {
        if self.playing.is_some() {
            self.stop();
        } else {
            self.play();
        }
    }

    /// Transport ▸ Go to Start / End: the cursor to the first tick or the last note's end.
    pub fn go_to(&mut self, end: bool) {
        let seq = self.editor.sequence();
        self.cursor_tick =
            if end { seq.tracks.iter().flat_map(|t| t.notes.iter().map(Note::end)).max().unwrap_or(0) } else { 0 };
        self.view.scroll_tick = (self.cursor_tick as f64
            - f64::from(self.view.grid.width()) / 2.0 / f64::from(self.view.px_per_tick.max(1e-6)))
        .max(0.0);
        self.seek_to_cursor();
    }

    /// The zoom to keep between runs.
    pub fn zoom(&self) -> RollZoom {
        RollZoom { px_per_quarter: self.view.px_per_tick * f32::from(self.tpq()), key_height: self.view.key_height }
    }

    /// Restores a kept zoom (instead of fitting the first document to the window).
    pub fn set_zoom(&mut self, zoom: RollZoom) {
        let tpq = f32::from(self.tpq());
        if zoom.px_per_quarter.is_finite() && zoom.px_per_quarter > 0.0 {
            self.view.px_per_tick = (zoom.px_per_quarter / tpq).clamp(2.0 / tpq, 1200.0 / tpq);
        }
        if zoom.key_height.is_finite() {
            self.view.key_height = zoom.key_height.clamp(MIN_ROW, MAX_ROW);
        }
        self.fit_pending = false;
    }

    /// A button of the roll's toolbar asks the app's command table for `command`.
    pub(super) fn ask(&mut self, command: Command) {
        self.actions.push(Action::Command(command));
    }
}
