//! The sequence model: what a MIDI file holds, in a form that is easy to edit
//! and to play. Notes are whole objects (start, length, key, velocities) with
//! stable ids; every other event is kept as it was read so a file survives a
//! read → write → read round trip. This module only holds data: reading and
//! writing files lives in `smf`, edits with undo in `edit`, timing in `tempo`.

use super::tempo::TempoMap;

/// A note's identity: stays the same through moves, resizes and undo, so a
/// UI can keep a selection across edits. Unique within one [`Sequence`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct NoteId(pub u64);

/// One note: a note-on / note-off pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Note {
    /// Stable identity.
    pub id: NoteId,
    /// Start, in ticks from the start of the track.
    pub start: u64,
    /// Length in ticks (0 is allowed: on and off at the same tick).
    pub length: u64,
    /// MIDI channel, 0–15.
    pub channel: u8,
    /// Key number, 0–127 (60 = middle C).
    pub key: u8,
    /// Note-on velocity, 1–127.
    pub velocity: u8,
    /// Note-off (release) velocity, 0–127 (64 when the file used note-on with velocity 0).
    pub release_velocity: u8,
}

impl Note {
    /// The tick its note-off falls on.
    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.length)
    }
}

/// Which kind of text a text meta event holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextKind {
    /// Any text (FF 01).
    Text,
    /// Copyright notice (FF 02).
    Copyright,
    /// Track / sequence name (FF 03) other than the one in [`Track::name`].
    TrackName,
    /// Instrument name (FF 04).
    InstrumentName,
    /// Lyric syllable (FF 05).
    Lyric,
    /// Marker (FF 06).
    Marker,
    /// Cue point (FF 07).
    CuePoint,
    /// Program name (FF 08).
    ProgramName,
    /// Device name (FF 09).
    DeviceName,
}

/// Every event that is not a note.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// Control change.
    Controller {
        /// Channel 0–15.
        channel: u8,
        /// Controller number 0–127.
        controller: u8,
        /// Value 0–127.
        value: u8,
    },
    /// Pitch bend, −8192..=8191 (0 is centre).
    PitchBend {
        /// Channel 0–15.
        channel: u8,
        /// Bend, −8192..=8191.
        value: i16,
    },
    /// Channel pressure.
    ChannelAftertouch {
        /// Channel 0–15.
        channel: u8,
        /// Pressure 0–127.
        pressure: u8,
    },
    /// Polyphonic key pressure.
    PolyAftertouch {
        /// Channel 0–15.
        channel: u8,
        /// Key 0–127.
        key: u8,
        /// Pressure 0–127.
        pressure: u8,
    },
    /// Program change.
    Program {
        /// Channel 0–15.
        channel: u8,
        /// Program 0–127 (General MIDI numbering minus one).
        program: u8,
    },
    /// Set tempo, microseconds per quarter note.
    Tempo(u32),
    /// Time signature.
    TimeSignature {
        /// Beats per bar.
        numerator: u8,
        /// The beat is a 1/2^denominator_pow note.
        denominator_pow: u8,
        /// MIDI clocks per metronome click.
        clocks_per_click: u8,
        /// Notated 32nd notes per quarter note.
        thirty_seconds_per_quarter: u8,
    },
    /// Key signature.
    KeySignature {
        /// Sharps (> 0) or flats (< 0).
        sharps: i8,
        /// Minor key.
        minor: bool,
    },
    /// A text meta event (lyrics, markers, ...), bytes as stored.
    Text(TextKind, Vec<u8>),
    /// System exclusive message (bytes after F0).
    SysEx(Vec<u8>),
    /// Escape sequence (F7), raw bytes.
    Escape(Vec<u8>),
    /// Any other meta event: type byte and data, kept verbatim.
    Meta(u8, Vec<u8>),
}

impl EventKind {
    /// The channel of a channel event.
    pub fn channel(&self) -> Option<u8> {
        match *self {
            EventKind::Controller { channel, .. }
            | EventKind::PitchBend { channel, .. }
            | EventKind::ChannelAftertouch { channel, .. }
            | EventKind::PolyAftertouch { channel, .. }
            | EventKind::Program { channel, .. } => Some(channel),
            _ => None,
        }
    }
}

/// A non-note event at a tick.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Event {
    /// Absolute tick from the start of the track.
    pub tick: u64,
    /// What happens.
    pub kind: EventKind,
}

/// One track.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Track {
    /// Track name (the first FF 03 at tick 0), empty when none.
    pub name: String,
    /// The track's channel: the channel new notes get (the first channel event's when read).
    pub channel: u8,
    /// The program set at the start (a program change at tick 0 before any note), if any.
    pub program: Option<u8>,
    /// Notes, ordered by (start, id).
    pub notes: Vec<Note>,
    /// Other events, ordered by tick (file order within a tick).
    pub events: Vec<Event>,
    /// The tick of the end-of-track event as read (the written one is at least the last event's tick).
    pub end_tick: u64,
}

impl Track {
    /// A new empty track on `channel`.
    pub fn new(name: &str, channel: u8) -> Self {
        Track { name: name.to_string(), channel: channel.min(15), ..Track::default() }
    }

    /// The last tick anything happens on: notes' ends, events, end-of-track.
    pub fn last_tick(&self) -> u64 {
        let notes = self.notes.iter().map(Note::end).max().unwrap_or(0);
        let events = self.events.last().map_or(0, |e| e.tick);
        notes.max(events).max(self.end_tick)
    }

    /// Restores the orders the fields promise (after pushing notes or events directly).
    pub fn sort(&mut self) {
        self.notes.sort_by_key(|n| (n.start, n.id));
        self.events.sort_by_key(|e| e.tick);
    }
}

/// How ticks relate to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Timing {
    /// Ticks per quarter note (tempo events then give the quarter note's length).
    Metrical(u16),
    /// SMPTE: frames per second (24, 25, 29 = 29.97 drop-frame, 30) and ticks per frame.
    Smpte {
        /// 24, 25, 29 or 30.
        fps: u8,
        /// Subdivisions of a frame.
        ticks_per_frame: u8,
    },
}

impl Timing {
    /// Ticks per quarter note for metrical timing, `None` for SMPTE.
    pub fn ticks_per_quarter(&self) -> Option<u16> {
        match *self {
            Timing::Metrical(t) => Some(t),
            Timing::Smpte { .. } => None,
        }
    }

    /// Ticks per second for SMPTE timing (29 means 30000/1001 frames per second).
    pub fn smpte_ticks_per_second(&self) -> Option<f64> {
        match *self {
            Timing::Metrical(_) => None,
            Timing::Smpte { fps, ticks_per_frame } => {
                let fps = if fps == 29 { 30_000.0 / 1001.0 } else { f64::from(fps) };
                Some(fps * f64::from(ticks_per_frame.max(1)))
            }
        }
    }
}

/// The Standard MIDI File format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum SmfFormat {
    /// Format 0: one track holding all channels.
    Single,
    /// Format 1: parallel tracks sharing one tempo map.
    Parallel,
    /// Format 2: independent sequential patterns.
    Sequential,
}

impl SmfFormat {
    /// 0, 1 or 2.
    pub fn number(self) -> u8 {
        match self {
            SmfFormat::Single => 0,
            SmfFormat::Parallel => 1,
            SmfFormat::Sequential => 2,
        }
    }
}

/// A whole MIDI sequence.
#[derive(Debug, Clone)]
pub struct Sequence {
    /// File format (0, 1, 2).
    pub format: SmfFormat,
    /// Tick timing.
    pub timing: Timing,
    /// The tracks (format 1: the first usually holds the tempo map).
    pub tracks: Vec<Track>,
    /// Problems found while reading (the sequence holds what could be read).
    pub warnings: Vec<super::SmfWarning>,
    pub(crate) next_id: u64,
}

/// Sequences compare by content: format, timing and tracks (not warnings or the id counter).
impl PartialEq for Sequence {
    fn eq(&self, other: &Self) -> bool {
        self.format == other.format && self.timing == other.timing && self.tracks == other.tracks
    }
}

impl Default for Sequence {
    fn default() -> Self {
        Sequence::new(480)
    }
}

impl Sequence {
    /// An empty format-1 sequence with `ticks_per_quarter` (at least 1) and no tracks.
    pub fn new(ticks_per_quarter: u16) -> Self {
        Sequence {
            format: SmfFormat::Parallel,
            timing: Timing::Metrical(ticks_per_quarter.clamp(1, 0x7FFF)),
            tracks: Vec::new(),
            warnings: Vec::new(),
            next_id: 1,
        }
    }

    /// A fresh note id.
    pub fn new_id(&mut self) -> NoteId {
        let id = NoteId(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        id
    }

    /// Adds a note to `track` (created up to that index if missing) with a fresh
    /// id and returns the id. Velocity is clamped to 1–127, key to 0–127.
    /// For building sequences; an editor uses [`super::Editor`] for undo.
    pub fn push_note(&mut self, track: usize, start: u64, length: u64, key: u8, velocity: u8) -> NoteId {
        while self.tracks.len() <= track {
            let ch = (self.tracks.len() % 16) as u8;
            self.tracks.push(Track::new("", ch));
        }
        let id = self.new_id();
        let t = &mut self.tracks[track];
        let note = Note {
            id,
            start,
            length,
            channel: t.channel,
            key: key.min(127),
            velocity: velocity.clamp(1, 127),
            release_velocity: 64,
        };
        let at = t.notes.partition_point(|n| (n.start, n.id) <= (start, id));
        t.notes.insert(at, note);
        id
    }

    /// Adds an event to `track` (created if missing), after events at the same tick.
    pub fn push_event(&mut self, track: usize, tick: u64, kind: EventKind) {
        while self.tracks.len() <= track {
            let ch = (self.tracks.len() % 16) as u8;
            self.tracks.push(Track::new("", ch));
        }
        let t = &mut self.tracks[track];
        let at = t.events.partition_point(|e| e.tick <= tick);
        t.events.insert(at, Event { tick, kind });
    }

    /// The number of notes in all tracks.
    pub fn note_count(&self) -> usize {
        self.tracks.iter().map(|t| t.notes.len()).sum()
    }

    /// The last tick of any note, event or end-of-track in any track.
    pub fn end_tick(&self) -> u64 {
        self.tracks.iter().map(Track::last_tick).max().unwrap_or(0)
    }

    /// Finds a note by id: (track index, index in `notes`).
    pub fn find_note(&self, id: NoteId) -> Option<(usize, usize)> {
        self.tracks.iter().enumerate().find_map(|(ti, t)| t.notes.iter().position(|n| n.id == id).map(|ni| (ti, ni)))
    }

    /// The tempo map (tempo changes, time and key signatures from every track;
    /// for format 2 from the tracks laid end to end, see [`Sequence::track_offsets`]).
    pub fn tempo_map(&self) -> TempoMap {
        TempoMap::from_sequence(self)
    }

    /// Where each track starts on the playing timeline, in ticks: all 0 for
    /// formats 0 and 1; for format 2 each pattern follows the previous one.
    pub fn track_offsets(&self) -> Vec<u64> {
        let mut at = 0u64;
        self.tracks
            .iter()
            .map(|t| {
                if self.format == SmfFormat::Sequential {
                    let start = at;
                    at = at.saturating_add(t.last_tick());
                    start
                } else {
                    0
                }
            })
            .collect()
    }

    /// The largest id in use plus one is the next id handed out (keeps ids unique after direct edits).
    pub(crate) fn reseed_ids(&mut self) {
        let max = self.tracks.iter().flat_map(|t| t.notes.iter().map(|n| n.id.0)).max().unwrap_or(0);
        self.next_id = self.next_id.max(max.saturating_add(1));
    }
}
