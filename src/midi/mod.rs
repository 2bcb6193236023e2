//! MIDI: the sequence model, Standard MIDI File reading and writing, note
//! edits with undo, a built-in General-MIDI-ish synth (and SoundFont 2 through
//! rustysynth), a real-time player implementing [`crate::dsp::Render`] and an
//! offline render to WAV through the same code.
//!
//! The model ([`Sequence`], [`Track`], [`Note`] with stable [`NoteId`]s) holds
//! data only; [`Editor`] changes notes with undo/redo; [`TempoMap`] converts
//! ticks and seconds. Nothing here touches the sound device: the engine plays a
//! [`Player`] through `dsp::Render`.
//!
//! ```
//! use coremusic::midi::{Editor, Sequence, Track};
//! let mut seq = Sequence::new(480);
//! seq.tracks.push(Track::new("Piano", 0));
//! let mut ed = Editor::new(seq);
//! let id = ed.add_note(0, 0, 480, 60, 100)?;
//! ed.move_notes(&[id], 240, 2);
//! ed.undo();
//! assert_eq!(ed.note(id).map(|(_, n)| (n.start, n.key)), Some((0, 60)));
//! # Ok::<(), coremusic::midi::EditError>(())
//! ```

mod chase;
mod edit;
mod model;
mod player;
mod render;
mod smf;
mod synth;
mod tempo;
mod warning;

pub use chase::{ChaseIndex, CHASE_EVERY};
pub use edit::{index_notes, select_region, EditError, Editor, Quantize};
pub use model::{Event, EventKind, Note, NoteId, Sequence, SmfFormat, TextKind, Timing, Track};
pub use player::{Player, PlayerHandle, Schedule, ScheduledEvent, Transport, MAX_EVENTS_PER_CALL};
pub use render::{
    render_offline, render_to_wav, RenderError, RenderStats, RenderSynth, MAX_TAIL_S, OFFLINE_BLOCK, RENDER_RATES,
};
pub use smf::{parse_smf, read_smf, smf_bytes, write_smf, MidiError, SmfError, MAX_TRACKS};
pub use synth::{sine_soundfont, soft_limit, BuiltinSynth, SoundFontData, Synth, SynthChoice, MAX_VOICES};
pub use tempo::{KeySignature, TempoMap, TempoSegment, TimeSignature, DEFAULT_TEMPO_US};
pub use warning::SmfWarning;

#[cfg(test)]
mod tests;
