//! What reading a Standard MIDI File read around: the problems that did not
//! stop the read. Made here as data; it becomes words only where it is shown,
//! through `Display` (the sentence `coremusic midi info` prints), and JSON
//! carries that sentence too — as [`crate::io::Warning`] does for audio.

use std::fmt;

use super::smf::MAX_TRACKS;

/// A problem met while reading a MIDI file; the [`super::Sequence`] holds
/// what could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmfWarning {
    // ---- The header.
    /// The header gives 0 ticks per quarter note (1 is used).
    ZeroTicksPerQuarter,
    /// The header's track count is not the number of track chunks.
    TrackCountDiffers {
        /// Tracks the header declares.
        declared: u16,
        /// Track chunks in the file.
        present: usize,
    },

    // ---- The chunks.
    /// Bytes after the last track that are not a chunk.
    TrailingJunk {
        /// How many bytes.
        bytes: usize,
    },
    /// A chunk declares more bytes than the file holds after its header.
    ChunkCut {
        /// Which chunk, counting from 1.
        chunk: usize,
        /// Its id.
        id: [u8; 4],
        /// Bytes it declares.
        declared: usize,
        /// Bytes the file holds after its header.
        remain: usize,
    },
    /// A chunk that is not a track was skipped.
    UnknownChunk {
        /// Its id.
        id: [u8; 4],
        /// Its length in bytes.
        bytes: usize,
    },
    /// More unknown chunks were skipped than are named one by one.
    MoreUnknownChunks {
        /// Unknown chunks not named.
        count: usize,
        /// Bytes of all unknown chunks.
        bytes: usize,
    },
    /// More track chunks than a MIDI file can hold ([`MAX_TRACKS`]).
    TooManyTracks {
        /// Track chunks ignored after the first [`MAX_TRACKS`].
        ignored: usize,
    },

    // ---- A track (numbered from 1).
    /// Events use running status right after a meta or sysex event.
    RunningStatusAfterMeta {
        /// The track.
        track: usize,
        /// How many events.
        events: usize,
    },
    /// An event cannot be read; the track stops there.
    DamagedEvent {
        /// The track.
        track: usize,
        /// Its byte in the track chunk.
        at: usize,
        /// The track chunk's length.
        len: usize,
    },
    /// The track has no end-of-track event.
    NoEndOfTrack {
        /// The track.
        track: usize,
    },
    /// Events after end-of-track were ignored.
    EventsAfterEnd {
        /// The track.
        track: usize,
        /// How many events.
        events: usize,
    },
    /// Note-offs without a note-on were ignored.
    StrayNoteOffs {
        /// The track.
        track: usize,
        /// How many note-offs.
        count: usize,
    },
    /// Notes never released end at the end of the track.
    HangingNotes {
        /// The track.
        track: usize,
        /// How many notes.
        count: usize,
    },

    /// Warnings not kept one by one.
    More {
        /// How many.
        count: usize,
    },
}

impl fmt::Display for SmfWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SmfWarning as W;
        let name = |id: &[u8; 4]| String::from_utf8_lossy(id).into_owned();
        match self {
            W::ZeroTicksPerQuarter => write!(f, "the header gives 0 ticks per quarter note; using 1"),
            W::TrackCountDiffers { declared, present } => {
                write!(f, "the header declares {declared} tracks, the file holds {present}")
            }
            W::TrailingJunk { bytes } => write!(f, "{bytes} bytes of junk after the last track, ignored"),
            W::ChunkCut { chunk, id, declared, remain } => write!(
                f,
                "chunk {chunk} ('{}') declares {declared} bytes but only {remain} remain; reading what is there",
                name(id)
            ),
            W::UnknownChunk { id, bytes } => write!(f, "skipped an unknown '{}' chunk of {bytes} bytes", name(id)),
            W::MoreUnknownChunks { count, bytes } => {
                write!(f, "skipped {count} more unknown chunks ({bytes} bytes of unknown chunks in all)")
            }
            W::TooManyTracks { ignored } => write!(
                f,
                "the file holds {} track chunks; a MIDI file holds at most {MAX_TRACKS}: the last {ignored} are ignored",
                MAX_TRACKS + ignored
            ),
            W::RunningStatusAfterMeta { track, events } => write!(
                f,
                "track {track}: {events} events use running status right after a meta or sysex event, which the \
                 MIDI file rules forbid; read with the channel status before it"
            ),
            W::DamagedEvent { track, at, len } => {
                write!(f, "track {track}: the event at byte {at} of {len} cannot be read; stopped there")
            }
            W::NoEndOfTrack { track } => {
                write!(f, "track {track} has no end-of-track event (truncated?); read what is there")
            }
            W::EventsAfterEnd { track, events } => write!(f, "track {track}: {events} events after end-of-track ignored"),
            W::StrayNoteOffs { track, count } => {
                write!(f, "track {track}: {count} note-offs without a note-on ignored")
            }
            W::HangingNotes { track, count } => {
                write!(f, "track {track}: {count} notes never released; they end at the end of the track")
            }
            W::More { count } => write!(f, "… and {count} more warnings"),
        }
    }
}

/// JSON carries the sentence, as `coremusic midi info` prints it.
impl serde::Serialize for SmfWarning {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
