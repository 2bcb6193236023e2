//! Note edits as commands with undo and redo. Every edit becomes a list of
//! primitive changes (insert, remove, replace one note; set a track's
//! program; append a track) that can be replayed
//! backwards; a drag is many small edits grouped into one undo step with
//! [`Editor::begin_group`] / [`Editor::end_group`]. Note ids never change, so
//! a UI keeps its selection across edits, undo and redo. Ids the sequence no
//! longer holds are skipped (a stale selection is not an error). No I/O.

use std::collections::HashMap;
use std::ops::{Range, RangeInclusive};

use super::model::{Note, NoteId, Sequence, Track};

/// An edit that cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The track index does not exist.
    #[error("there is no track {0}")]
    NoTrack(usize),
    /// A value out of range (key, velocity, grid...).
    #[error("{0}")]
    Invalid(String),
}

/// One primitive, reversible change.
#[derive(Debug, Clone, PartialEq)]
enum Change {
    Insert {
        track: usize,
        note: Note,
    },
    Remove {
        track: usize,
        note: Note,
    },
    Replace {
        track: usize,
        old: Note,
        new: Note,
    },
    Program {
        track: usize,
        old: Option<u8>,
        new: Option<u8>,
    },
    /// A track appended at `index` (undo removes it again).
    AddTrack {
        index: usize,
        track: Box<Track>,
    },
}

/// One undo step: a name for the menu and its changes in the order applied.
#[derive(Debug, Clone, PartialEq)]
struct Step {
    name: String,
    changes: Vec<Change>,
}

/// Quantize settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantize {
    /// Grid in ticks (e.g. ticks_per_quarter / 4 for sixteenths); at least 1.
    pub grid: u64,
    /// How far to move toward the grid, 0.0 (not at all) ..= 1.0 (onto it).
    pub strength: f64,
    /// Delay of every second grid line, as a fraction of half a grid step:
    /// 0.0 straight, 2/3 a triplet feel, 1.0 at most.
    pub swing: f64,
}

/// A note on the clipboard, relative to the earliest copied start.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ClipNote {
    offset: u64,
    note: Note,
}

/// A sequence with an undo history and a clipboard.
#[derive(Debug, Clone)]
pub struct Editor {
    seq: Sequence,
    undo: Vec<Step>,
    redo: Vec<Step>,
    group: Option<Step>,
    group_depth: u32,
    clipboard: Vec<ClipNote>,
    revision: u64,
}

fn insert_sorted(notes: &mut Vec<Note>, note: Note) {
    let at = notes.partition_point(|n| (n.start, n.id) < (note.start, note.id));
    notes.insert(at, note);
}

fn remove_sorted(notes: &mut Vec<Note>, note: &Note) -> Option<Note> {
    let at = notes.partition_point(|n| (n.start, n.id) < (note.start, note.id));
    match notes.get(at) {
        Some(n) if n.id == note.id => Some(notes.remove(at)),
        _ => notes.iter().position(|n| n.id == note.id).map(|i| notes.remove(i)),
    }
}

fn apply(seq: &mut Sequence, change: &Change, forward: bool) {
    let (track, remove, insert) = match (change, forward) {
        (Change::Program { track, old, new }, _) => {
            if let Some(t) = seq.tracks.get_mut(*track) {
                t.program = if forward { *new } else { *old };
            }
            return;
        }
        (Change::AddTrack { index, track }, true) => {
            seq.tracks.insert((*index).min(seq.tracks.len()), (**track).clone());
            return;
        }
        (Change::AddTrack { index, .. }, false) => {
            if *index < seq.tracks.len() {
                seq.tracks.remove(*index);
            }
            return;
        }
        (Change::Insert { track, note }, true) | (Change::Remove { track, note }, false) => (*track, None, Some(note)),
        (Change::Remove { track, note }, true) | (Change::Insert { track, note }, false) => (*track, Some(note), None),
        (Change::Replace { track, old, new }, true) => (*track, Some(old), Some(new)),
        (Change::Replace { track, old, new }, false) => (*track, Some(new), Some(old)),
    };
    let Some(t) = seq.tracks.get_mut(track) else { return };
    if let Some(n) = remove {
        remove_sorted(&mut t.notes, n);
    }
    if let Some(n) = insert {
        insert_sorted(&mut t.notes, *n);
    }
}

impl Editor {
    /// Starts editing `seq` with an empty history.
    pub fn new(mut seq: Sequence) -> Self {
        seq.reseed_ids();
        Editor {
            seq,
            undo: Vec::new(),
            redo: Vec::new(),
            group: None,
            group_depth: 0,
            clipboard: Vec::new(),
            revision: 0,
        }
    }

    /// The sequence as edited so far.
    pub fn sequence(&self) -> &Sequence {
        &self.seq
    }

    /// Gives the sequence back, dropping the history.
    pub fn into_sequence(self) -> Sequence {
        self.seq
    }

    /// Changes every time the notes change (edit, undo, redo): a cheap "is my copy stale" check.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Whether there is something to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty() || self.group.as_ref().is_some_and(|g| !g.changes.is_empty())
    }

    /// Whether there is something to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// The name of the step [`Editor::undo`] would undo ("Move", "Quantize"...).
    pub fn undo_name(&self) -> Option<&str> {
        self.undo.last().map(|s| s.name.as_str())
    }

    /// The name of the step [`Editor::redo`] would redo.
    pub fn redo_name(&self) -> Option<&str> {
        self.redo.last().map(|s| s.name.as_str())
    }

    /// Starts grouping edits into one undo step named `name` (e.g. at the start
    /// of a drag). Groups nest; the outermost name wins.
    pub fn begin_group(&mut self, name: &str) {
        if self.group_depth == 0 {
            self.group = Some(Step { name: name.to_string(), changes: Vec::new() });
        }
        self.group_depth += 1;
    }

    /// Ends a group begun with [`Editor::begin_group`]; the outermost end makes
    /// the group one undo step (nothing when it changed nothing).
    pub fn end_group(&mut self) {
        if self.group_depth == 0 {
            return;
        }
        self.group_depth -= 1;
        if self.group_depth == 0 {
            if let Some(step) = self.group.take() {
                if !step.changes.is_empty() {
                    self.undo.push(step);
                }
            }
        }
    }

    fn close_groups(&mut self) {
        while self.group_depth > 0 {
            self.end_group();
        }
    }

    fn commit(&mut self, name: &str, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        for c in &changes {
            apply(&mut self.seq, c, true);
        }
        self.revision += 1;
        self.redo.clear();
        match &mut self.group {
            Some(g) => g.changes.extend(changes),
            None => self.undo.push(Step { name: name.to_string(), changes }),
        }
    }

    /// Undoes the last step (closing an open group first). False when there was none.
    pub fn undo(&mut self) -> bool {
        self.close_groups();
        let Some(step) = self.undo.pop() else { return false };
        for c in step.changes.iter().rev() {
            apply(&mut self.seq, c, false);
        }
        self.revision += 1;
        self.redo.push(step);
        true
    }

    /// Redoes the last undone step. False when there was none.
    pub fn redo(&mut self) -> bool {
        self.close_groups();
        let Some(step) = self.redo.pop() else { return false };
        for c in &step.changes {
            apply(&mut self.seq, c, true);
        }
        self.revision += 1;
        self.undo.push(step);
        true
    }

    /// Where each id lives: id → (track, note).
    fn locate(&self, ids: &[NoteId]) -> Vec<(usize, Note)> {
        let want: std::collections::HashSet<NoteId> = ids.iter().copied().collect();
        let mut found = Vec::with_capacity(want.len());
        for (ti, t) in self.seq.tracks.iter().enumerate() {
            for n in &t.notes {
                if want.contains(&n.id) {
                    found.push((ti, *n));
                }
            }
        }
        found
    }

    fn replace_all(&mut self, name: &str, ids: &[NoteId], f: impl Fn(&Note) -> Note) {
        let changes = self
            .locate(ids)
            .into_iter()
            .filter_map(|(track, old)| {
                let new = f(&old);
                (new != old).then_some(Change::Replace { track, old, new })
            })
            .collect();
        self.commit(name, changes);
    }

    /// Adds a note on the track's channel and returns its id.
    pub fn add_note(
        &mut self,
        track: usize,
        start: u64,
        length: u64,
        key: u8,
        velocity: u8,
    ) -> Result<NoteId, EditError> {
        let channel = self.seq.tracks.get(track).ok_or(EditError::NoTrack(track))?.channel;
        if key > 127 {
            return Err(EditError::Invalid(format!("key {key} is outside 0–127")));
        }
        let id = self.seq.new_id();
        let note = Note { id, start, length, channel, key, velocity: velocity.clamp(1, 127), release_velocity: 64 };
        self.commit("Add note", vec![Change::Insert { track, note }]);
        Ok(id)
    }

    /// Deletes notes.
    pub fn delete(&mut self, ids: &[NoteId]) {
        let changes = self.locate(ids).into_iter().map(|(track, note)| Change::Remove { track, note }).collect();
        self.commit("Delete", changes);
    }

    /// Moves notes by `ticks` and `keys` together; the shift is limited so that
    /// no note goes before tick 0 or outside keys 0–127 (the group keeps its shape).
    pub fn move_notes(&mut self, ids: &[NoteId], ticks: i64, keys: i32) {
        let found = self.locate(ids);
        let min_start = found.iter().map(|(_, n)| n.start).min().unwrap_or(0);
        let min_key = found.iter().map(|(_, n)| i32::from(n.key)).min().unwrap_or(0);
        let max_key = found.iter().map(|(_, n)| i32::from(n.key)).max().unwrap_or(127);
        let ticks = ticks.max(-(i64::try_from(min_start).unwrap_or(i64::MAX)));
        let keys = keys.clamp(-min_key, 127 - max_key);
        let name = if ticks == 0 { "Transpose" } else { "Move" };
        self.replace_all(name, ids, |n| Note {
            start: n.start.saturating_add_signed(ticks),
            key: (i32::from(n.key) + keys).clamp(0, 127) as u8,
            ..*n
        });
    }

    /// Transposes notes by `semitones` (limited to the key range, as [`Editor::move_notes`]).
    pub fn transpose(&mut self, ids: &[NoteId], semitones: i32) {
        self.move_notes(ids, 0, semitones);
    }

    /// Changes note lengths by `ticks` (each note keeps at least 1 tick).
    pub fn resize(&mut self, ids: &[NoteId], ticks: i64) {
        self.replace_all("Resize", ids, |n| Note { length: n.length.saturating_add_signed(ticks).max(1), ..*n });
    }

    /// Sets note lengths to `length` ticks (at least 1).
    pub fn set_length(&mut self, ids: &[NoteId], length: u64) {
        self.replace_all("Resize", ids, |n| Note { length: length.max(1), ..*n });
    }

    /// Sets note-on velocity (clamped to 1–127).
    pub fn set_velocity(&mut self, ids: &[NoteId], velocity: u8) {
        let v = velocity.clamp(1, 127);
        self.replace_all("Velocity", ids, |n| Note { velocity: v, ..*n });
    }

    /// Moves note starts toward the (swung) grid.
    pub fn quantize(&mut self, ids: &[NoteId], q: Quantize) -> Result<(), EditError> {
        if q.grid == 0 {
            return Err(EditError::Invalid("the quantize grid must be at least 1 tick".into()));
        }
        if !(0.0..=1.0).contains(&q.strength) || !(0.0..=1.0).contains(&q.swing) {
            return Err(EditError::Invalid("quantize strength and swing must be between 0 and 1".into()));
        }
        let grid = q.grid;
        let target = |k: u64| -> f64 {
            let base = k as f64 * grid as f64;
            if k % 2 == 1 {
                base + q.swing * grid as f64 / 2.0
            } else {
                base
            }
        };
        self.replace_all("Quantize", ids, |n| {
            let k = n.start / grid;
            let s = n.start as f64;
            let (a, b) = (target(k), target(k.saturating_add(1)));
            let t = if k > 0 && (target(k - 1) - s).abs() < (a - s).abs() { target(k - 1) } else { a };
            let t = if (b - s).abs() < (t - s).abs() { b } else { t };
            let moved = (s + (t - s) * q.strength).round().max(0.0);
            Note { start: moved as u64, ..*n }
        });
        Ok(())
    }

    /// The ids of notes that overlap ticks `ticks` and keys `keys` (inclusive),
    /// in one track or all, in track then time order.
    pub fn select_region(&self, track: Option<usize>, ticks: Range<u64>, keys: RangeInclusive<u8>) -> Vec<NoteId> {
        select_region(&self.seq, track, ticks, keys)
    }

    /// Copies notes to the clipboard (replacing what it held).
    pub fn copy(&mut self, ids: &[NoteId]) {
        let found = self.locate(ids);
        let first = found.iter().map(|(_, n)| n.start).min().unwrap_or(0);
        self.clipboard = found.into_iter().map(|(_, note)| ClipNote { offset: note.start - first, note }).collect();
    }

    /// Whether the clipboard holds notes.
    pub fn has_clipboard(&self) -> bool {
        !self.clipboard.is_empty()
    }

    /// Pastes the clipboard into `track` with its earliest note at `tick`;
    /// the new notes get new ids (returned) and the track's channel.
    pub fn paste(&mut self, track: usize, tick: u64) -> Result<Vec<NoteId>, EditError> {
        let channel = self.seq.tracks.get(track).ok_or(EditError::NoTrack(track))?.channel;
        let clip = self.clipboard.clone();
        let mut ids = Vec::with_capacity(clip.len());
        let mut changes = Vec::with_capacity(clip.len());
        for c in clip {
            let id = self.seq.new_id();
            ids.push(id);
            let note = Note { id, start: tick.saturating_add(c.offset), channel, ..c.note };
            changes.push(Change::Insert { track, note });
        }
        self.commit("Paste", changes);
        Ok(ids)
    }

    /// Sets the program a track starts with (`None`: no program change), as one undo step.
    pub fn set_program(&mut self, track: usize, program: Option<u8>) -> Result<(), EditError> {
        let old = self.seq.tracks.get(track).ok_or(EditError::NoTrack(track))?.program;
        if let Some(p) = program.filter(|p| *p > 127) {
            return Err(EditError::Invalid(format!("program {p} is outside 0–127")));
        }
        if old != program {
            self.commit("Program", vec![Change::Program { track, old, new: program }]);
        }
        Ok(())
    }

    /// The lowest MIDI channel (0–15) no track uses, leaving out channel 10
    /// (index 9, General MIDI drums); `None` when all fifteen are taken.
    pub fn free_channel(&self) -> Option<u8> {
        (0u8..16).filter(|c| *c != 9).find(|c| self.seq.tracks.iter().all(|t| t.channel != *c))
    }

    /// Appends `track` (its notes get fresh ids) as one undo step and returns its index.
    pub fn add_track(&mut self, mut track: Track) -> usize {
        for n in &mut track.notes {
            n.id = self.seq.new_id();
        }
        track.sort();
        let index = self.seq.tracks.len();
        self.commit("Add track", vec![Change::AddTrack { index, track: Box::new(track) }]);
        index
    }

    /// A note by id.
    pub fn note(&self, id: NoteId) -> Option<(usize, &Note)> {
        let (t, i) = self.seq.find_note(id)?;
        Some((t, self.seq.tracks.get(t)?.notes.get(i)?))
    }
}

/// Notes of `seq` overlapping ticks `ticks` (a zero-length note counts when
/// its start is inside) and keys `keys`, in one track or all.
pub fn select_region(seq: &Sequence, track: Option<usize>, ticks: Range<u64>, keys: RangeInclusive<u8>) -> Vec<NoteId> {
    let mut out = Vec::new();
    for (ti, t) in seq.tracks.iter().enumerate() {
        if track.is_some_and(|want| want != ti) {
            continue;
        }
        // Notes are sorted by start: nothing starting at or after the range end overlaps.
        let stop = t.notes.partition_point(|n| n.start < ticks.end);
        for n in t.notes.iter().take(stop) {
            let overlaps = n.end() > ticks.start || (n.length == 0 && n.start >= ticks.start);
            if overlaps && keys.contains(&n.key) {
                out.push(n.id);
            }
        }
    }
    out
}

/// A map from note id to (track, index) for quick look-ups by a UI.
pub fn index_notes(seq: &Sequence) -> HashMap<NoteId, (usize, usize)> {
    let mut map = HashMap::with_capacity(seq.note_count());
    for (ti, t) in seq.tracks.iter().enumerate() {
        for (ni, n) in t.notes.iter().enumerate() {
            map.insert(n.id, (ti, ni));
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_tracks() -> Sequence {
        let mut seq = Sequence::new(480);
        seq.tracks.push(Track::new("A", 0));
        seq.tracks.push(Track::new("B", 1));
        seq.push_note(0, 0, 480, 60, 100);
        seq
    }

    #[test]
    fn program_changes_are_one_undo_step_each() {
        let mut ed = Editor::new(two_tracks());
        let r0 = ed.revision();
        ed.set_program(1, Some(33)).unwrap();
        assert_eq!(ed.sequence().tracks[1].program, Some(33));
        assert_ne!(ed.revision(), r0);
        assert_eq!(ed.undo_name(), Some("Program"));
        ed.set_program(1, Some(33)).unwrap(); // no change, no step
        ed.set_program(1, None).unwrap();
        assert!(ed.undo());
        assert_eq!(ed.sequence().tracks[1].program, Some(33));
        assert!(ed.undo());
        assert_eq!(ed.sequence().tracks[1].program, None);
        assert!(!ed.can_undo());
        assert!(ed.redo());
        assert_eq!(ed.sequence().tracks[1].program, Some(33));
        assert_eq!(ed.set_program(5, Some(1)), Err(EditError::NoTrack(5)));
        assert!(ed.set_program(0, Some(200)).is_err());
    }

    #[test]
    fn added_tracks_take_the_next_free_channel_and_undo_removes_them() {
        let mut ed = Editor::new(two_tracks());
        assert_eq!(ed.free_channel(), Some(2));
        let i = ed.add_track(Track::new("C", 2));
        assert_eq!((i, ed.sequence().tracks.len()), (2, 3));
        assert_eq!(ed.undo_name(), Some("Add track"));
        // notes drawn on the new track undo first, then the track itself
        let id = ed.add_note(i, 0, 10, 64, 90).unwrap();
        assert_eq!(ed.note(id).map(|(t, _)| t), Some(2));
        assert!(ed.undo());
        assert!(ed.undo());
        assert_eq!(ed.sequence().tracks.len(), 2);
        assert!(ed.redo());
        assert!(ed.redo());
        assert_eq!(ed.sequence().tracks[2].notes.len(), 1);
        assert_eq!(ed.sequence().tracks[2].name, "C");

        // channel 10 (drums) is skipped; sixteen tracks leave none free
        let mut seq = Sequence::new(480);
        for c in 0..9 {
            seq.tracks.push(Track::new("", c));
        }
        let mut ed = Editor::new(seq);
        assert_eq!(ed.free_channel(), Some(10));
        for c in 10..16 {
            ed.add_track(Track::new("", c));
        }
        assert_eq!(ed.free_channel(), None);
    }
}
