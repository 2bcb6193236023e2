//! Editing the notes: add, delete, quantize, transpose, tracks, undo and redo,
//! all through the [`Editor`] so that each is one undo step.

use super::*;

impl PianoRollPanel {
    pub(super) fn add_note_at(&mut self, tick: f64, key: u8) -> Option<NoteId> {
        let tpq = self.tpq();
        let start = self.snap.floor(tick, tpq);
        let len = self.draw_length.or(self.snap.ticks(tpq)).unwrap_or(u64::from(tpq) / 4).max(1);
        let track = self.current_track.min(self.editor.sequence().tracks.len().saturating_sub(1));
        match self.editor.add_note(track, start, len, key, 100) {
            Ok(id) => {
                self.selection = BTreeSet::from([id]);
                self.preview(key, 100);
                Some(id)
            }
            Err(e) => {
                self.status = Some((e.to_string(), true));
                None
            }
        }
    }

    /// Appends an empty track (piano) on the next free channel and makes it the
    /// current track; one undo step. Refused with a message when no channel is free.
    pub fn add_track(&mut self) {
        let Some(channel) = self.editor.free_channel() else {
            self.status =
                Some(("No free MIDI channel for a new track: all 15 melodic channels are in use".into(), true));
            return;
        };
        let n = self.editor.sequence().tracks.len();
        let mut track = Track::new(&format!("Track {}", n + 1), channel);
        track.program = Some(0);
        self.current_track = self.editor.add_track(track);
        self.mix.resize(self.editor.sequence().tracks.len(), TrackMix::default());
        self.status = Some((format!("Added Track {} on channel {}", n + 1, u16::from(channel) + 1), false));
    }

    pub(super) fn delete_selection(&mut self) {
        let ids = self.selection();
        self.editor.delete(&ids);
        self.selection.clear();
    }

    pub(super) fn targets(&self) -> Vec<NoteId> {
        if self.selection.is_empty() {
            self.editor
                .sequence()
                .tracks
                .get(self.current_track)
                .map(|t| t.notes.iter().map(|n| n.id).collect())
                .unwrap_or_default()
        } else {
            self.selection()
        }
    }

    /// Quantizes the selection (or the current track when nothing is selected)
    /// to the snap grid with [`Self::quantize_strength`].
    pub fn quantize(&mut self) {
        let Some(grid) = self.snap.ticks(self.tpq()) else {
            self.status = Some(("Choose a snap grid to quantize to".into(), true));
            return;
        };
        let ids = self.targets();
        let q = Quantize { grid, strength: f64::from(self.quantize_strength.clamp(0.0, 1.0)), swing: 0.0 };
        if let Err(e) = self.editor.quantize(&ids, q) {
            self.status = Some((e.to_string(), true));
        }
    }

    /// Transposes the selection (or the current track) by `semitones`.
    pub fn transpose(&mut self, semitones: i32) {
        let ids = self.targets();
        self.editor.transpose(&ids, semitones);
    }

    pub(super) fn undo(&mut self) {
        self.drag = None;
        self.editor.undo();
        self.prune_selection();
    }

    pub(super) fn redo(&mut self) {
        self.drag = None;
        self.editor.redo();
        self.prune_selection();
    }

    pub(super) fn prune_selection(&mut self) {
        let ed = &self.editor;
        self.selection.retain(|id| ed.note(*id).is_some());
    }
}
