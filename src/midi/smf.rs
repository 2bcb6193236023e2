//! Standard MIDI Files (formats 0, 1 and 2) to and from the [`Sequence`]
//! model, through midly. Reading is forgiving the way real files need: a track
//! whose length overruns the file, a missing end-of-track, junk after the last
//! track, unknown chunks, stray note-offs and hanging note-ons are read as far
//! as they go and reported in [`Sequence::warnings`]. A file that is not MIDI is
//! an error naming the file. Note-on with velocity 0 is a note-off; overlapping
//! notes on one key are paired first-in-first-out. No audio here.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use midly::num::{u15, u24, u28, u4, u7};
use midly::{MetaMessage, MidiMessage, PitchBend, TrackEvent, TrackEventKind};

use super::model::{Event, EventKind, Note, Sequence, SmfFormat, TextKind, Timing, Track};
use super::warning::SmfWarning;

/// Reading or writing a MIDI file failed.
#[derive(Debug, thiserror::Error)]
pub enum MidiError {
    /// The file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is not a MIDI file, or too damaged to read.
    #[error("{}: {what}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: SmfError,
    },
    /// The sequence cannot be stored as a Standard MIDI File.
    #[error("{}: cannot write: {what}", path.display())]
    Unwritable {
        /// The file.
        path: PathBuf,
        /// Why.
        what: String,
    },
    /// A SoundFont could not be loaded.
    #[error("{}: not a usable SoundFont 2 file: {what}", path.display())]
    SoundFont {
        /// The .sf2 file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// Rendering failed (writing the audio file, or cancelled).
    #[error("{}: {what}", path.display())]
    Render {
        /// The output file.
        path: PathBuf,
        /// What went wrong.
        what: super::render::RenderError,
    },
}

/// Reads a MIDI file (also RIFF RMID). Damage that can be read around becomes
/// [`Sequence::warnings`].
pub fn read_smf(path: &Path) -> Result<Sequence, MidiError> {
    let bytes = std::fs::read(path).map_err(|source| MidiError::Io { path: path.to_path_buf(), source })?;
    parse_smf(&bytes).map_err(|what| MidiError::Invalid { path: path.to_path_buf(), what })
}

/// Writes `seq` as a Standard MIDI File (a format-0 sequence with several
/// tracks is written as format 1). The file is replaced in one step: the
/// bytes go to a temporary file in the same folder, are synced, and the
/// temporary file is renamed over `path`, so a full disk, a crash or a kill
/// mid-write leaves the old file as it was (and no temporary file behind).
pub fn write_smf(seq: &Sequence, path: &Path) -> Result<(), MidiError> {
    let bytes = smf_bytes(seq).map_err(|what| MidiError::Unwritable { path: path.to_path_buf(), what })?;
    crate::io::place::write_atomically(path, &bytes)
        .map_err(|source| MidiError::Io { path: path.to_path_buf(), source })
}

/// Why bytes could not be read as a Standard MIDI File (without a path:
/// [`MidiError::Invalid`] adds it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmfError {
    /// No `MThd` header where one must be.
    #[error("not a MIDI file (no MThd header)")]
    NotMidi,
    /// An SMPTE division of −128 frames per second (no such rate exists).
    #[error("damaged MIDI header: an SMPTE division of -128 frames per second")]
    SmpteDivision,
    /// The header is there but cannot be read (the reader's words).
    #[error("damaged MIDI header: {0}")]
    DamagedHeader(String),
}

/// Parses MIDI file bytes. The error says what is wrong (without a path).
pub fn parse_smf(raw: &[u8]) -> Result<Sequence, SmfError> {
    // An SMPTE division of -128 frames per second: midly negates it and
    // overflows. No such frame rate exists; refuse the header first.
    let mthd = raw.windows(4).take(64).position(|w| w == b"MThd");
    if let Some(at) = mthd {
        if raw.get(at + 12) == Some(&0x80) {
            return Err(SmfError::SmpteDivision);
        }
    }
    let (header, tracks) = midly::parse(raw).map_err(|e| {
        if raw.get(..4) == Some(b"MThd") || raw.get(..4) == Some(b"RIFF") {
            SmfError::DamagedHeader(e.to_string())
        } else {
            SmfError::NotMidi
        }
    })?;
    let format = match header.format {
        midly::Format::SingleTrack => SmfFormat::Single,
        midly::Format::Parallel => SmfFormat::Parallel,
        midly::Format::Sequential => SmfFormat::Sequential,
    };
    let timing = match header.timing {
        midly::Timing::Metrical(t) => Timing::Metrical(t.as_int().max(1)),
        midly::Timing::Timecode(fps, tpf) => Timing::Smpte { fps: fps.as_int(), ticks_per_frame: tpf.max(1) },
    };
    let mut warnings = Vec::new();
    if let midly::Timing::Metrical(t) = header.timing {
        if t.as_int() == 0 {
            warnings.push(SmfWarning::ZeroTicksPerQuarter);
        }
    }
    let declared = raw.get(10..12).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let chunks = scan_chunks(tracks.unread(), &mut warnings);
    if let Some(n) = declared {
        if usize::from(n) != chunks.len() && raw.get(..4) == Some(b"MThd") {
            warnings.push(SmfWarning::TrackCountDiffers { declared: n, present: chunks.len() });
        }
    }
    let mut seq = Sequence { format, timing, tracks: Vec::with_capacity(chunks.len()), warnings, next_id: 1 };
    // Note-ons waiting for their note-off, per (channel, key): made once and
    // reused by every track (a file of many tiny tracks costs no more).
    let mut pending: Vec<VecDeque<(u64, u8, super::NoteId)>> = Vec::new();
    pending.resize_with(16 * 128, VecDeque::new);
    for (i, data) in chunks.into_iter().enumerate() {
        let track = read_track(&mut seq, i, data, &mut pending);
        seq.tracks.push(track);
    }
    if seq.warnings.len() > MAX_WARNINGS {
        let more = seq.warnings.len() - MAX_WARNINGS;
        seq.warnings.truncate(MAX_WARNINGS);
        seq.warnings.push(SmfWarning::More { count: more });
    }
    Ok(seq)
}

/// Track chunks read at most: a MIDI file's header counts tracks in 16 bits,
/// and a file cannot be written back with more.
pub const MAX_TRACKS: usize = u16::MAX as usize;
/// Warnings kept for one file (the rest are counted).
const MAX_WARNINGS: usize = 100;
/// Unknown chunks named one by one in the warnings (the rest are counted).
const NAMED_UNKNOWN_CHUNKS: usize = 10;

/// Splits the bytes after the header into track chunks, reading around damage.
/// At most [`MAX_TRACKS`] are kept, so the memory a file can ask for stays
/// bounded by what such a file can hold.
fn scan_chunks<'a>(mut raw: &'a [u8], warnings: &mut Vec<SmfWarning>) -> Vec<&'a [u8]> {
    let mut tracks = Vec::new();
    let (mut chunks, mut extra_tracks, mut unknown, mut unknown_bytes) = (0usize, 0usize, 0usize, 0usize);
    loop {
        if raw.is_empty() {
            break;
        }
        let (Some(id), Some(len)) = (raw.get(..4), raw.get(4..8)) else {
            warnings.push(SmfWarning::TrailingJunk { bytes: raw.len() });
            break;
        };
        if !id.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
            warnings.push(SmfWarning::TrailingJunk { bytes: raw.len() });
            break;
        }
        chunks += 1;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let body = raw.get(8..).unwrap_or(&[]);
        let data = if len > body.len() {
            warnings.push(SmfWarning::ChunkCut { chunk: chunks, id: four(id), declared: len, remain: body.len() });
            raw = &[];
            body
        } else {
            raw = body.get(len..).unwrap_or(&[]);
            body.get(..len).unwrap_or(&[])
        };
        if id == b"MTrk" {
            if tracks.len() < MAX_TRACKS {
                tracks.push(data);
            } else {
                extra_tracks += 1;
            }
        } else {
            unknown += 1;
            unknown_bytes += data.len();
            if unknown <= NAMED_UNKNOWN_CHUNKS {
                warnings.push(SmfWarning::UnknownChunk { id: four(id), bytes: data.len() });
            }
        }
    }
    if unknown > NAMED_UNKNOWN_CHUNKS {
        warnings.push(SmfWarning::MoreUnknownChunks { count: unknown - NAMED_UNKNOWN_CHUNKS, bytes: unknown_bytes });
    }
    if extra_tracks > 0 {
        warnings.push(SmfWarning::TooManyTracks { ignored: extra_tracks });
    }
    tracks
}

/// A chunk id (the four bytes before its length).
fn four(id: &[u8]) -> [u8; 4] {
    let mut a = [0; 4];
    for (d, s) in a.iter_mut().zip(id) {
        *d = *s;
    }
    a
}

/// The byte after an event's delta time (its status byte, or a data byte when
/// it relies on running status).
fn status_after_delta(raw: &[u8]) -> Option<u8> {
    let delta = raw.iter().take(4).position(|b| b & 0x80 == 0)?;
    raw.get(delta + 1).copied()
}

fn text_kind(m: &MetaMessage) -> Option<(TextKind, Vec<u8>)> {
    Some(match *m {
        MetaMessage::Text(b) => (TextKind::Text, b.to_vec()),
        MetaMessage::Copyright(b) => (TextKind::Copyright, b.to_vec()),
        MetaMessage::TrackName(b) => (TextKind::TrackName, b.to_vec()),
        MetaMessage::InstrumentName(b) => (TextKind::InstrumentName, b.to_vec()),
        MetaMessage::Lyric(b) => (TextKind::Lyric, b.to_vec()),
        MetaMessage::Marker(b) => (TextKind::Marker, b.to_vec()),
        MetaMessage::CuePoint(b) => (TextKind::CuePoint, b.to_vec()),
        MetaMessage::ProgramName(b) => (TextKind::ProgramName, b.to_vec()),
        MetaMessage::DeviceName(b) => (TextKind::DeviceName, b.to_vec()),
        _ => return None,
    })
}

fn meta_kind(m: &MetaMessage) -> Option<EventKind> {
    if let Some((k, b)) = text_kind(m) {
        return Some(EventKind::Text(k, b));
    }
    Some(match *m {
        MetaMessage::TrackNumber(n) => EventKind::Meta(0x00, n.map(|n| n.to_be_bytes().to_vec()).unwrap_or_default()),
        MetaMessage::MidiChannel(c) => EventKind::Meta(0x20, vec![c.as_int()]),
        MetaMessage::MidiPort(p) => EventKind::Meta(0x21, vec![p.as_int()]),
        MetaMessage::Tempo(t) => EventKind::Tempo(t.as_int()),
        MetaMessage::SmpteOffset(s) => {
            let code = match s.fps().as_int() {
                24 => 0u8,
                25 => 1,
                29 => 2,
                _ => 3,
            };
            EventKind::Meta(0x54, vec![code << 5 | s.hour(), s.minute(), s.second(), s.frame(), s.subframe()])
        }
        MetaMessage::TimeSignature(n, d, c, b) => EventKind::TimeSignature {
            numerator: n,
            denominator_pow: d,
            clocks_per_click: c,
            thirty_seconds_per_quarter: b,
        },
        MetaMessage::KeySignature(sharps, minor) => EventKind::KeySignature { sharps, minor },
        MetaMessage::SequencerSpecific(b) => EventKind::Meta(0x7F, b.to_vec()),
        MetaMessage::Unknown(t, b) => EventKind::Meta(t, b.to_vec()),
        MetaMessage::EndOfTrack => return None,
        _ => return None,
    })
}

/// Reads one track's events into the model. `pending` holds note-ons waiting
/// for their note-off per (channel, key): (start, velocity, id), oldest
/// first; it is empty on entry and left empty.
///
/// Running status kept across a meta or sysex event (which the SMF rules
/// forbid, as those events cancel it) is read the way mido and most
/// sequencers read it: with the last channel status, and a warning.
fn read_track(
    seq: &mut Sequence,
    index: usize,
    data: &[u8],
    pending: &mut [VecDeque<(u64, u8, super::NoteId)>],
) -> Track {
    let mut track = Track::default();
    let mut tick = 0u64;
    let mut channel: Option<u8> = None;
    let mut seen_note = false;
    let mut ended = false;
    let (mut stray_offs, mut after_end) = (0usize, 0usize);
    let mut events = midly::EventIter::new(data);
    // The last channel status, which a meta or sysex event does not cancel here.
    let mut last_status: Option<u8> = None;
    let (mut kept_across, mut damaged_at) = (0usize, None);
    loop {
        let rest = events.unread();
        if rest.is_empty() {
            break;
        }
        if events.running_status().is_none() {
            if let (Some(status), Some(b)) = (last_status, status_after_delta(rest)) {
                if b < 0x80 {
                    *events.running_status_mut() = Some(status);
                    kept_across += 1;
                }
            }
        }
        let Some(Ok(ev)) = events.next() else {
            damaged_at = Some(data.len() - rest.len());
            break;
        };
        if matches!(ev.kind, TrackEventKind::Midi { .. }) {
            last_status = events.running_status();
        }
        if ended {
            after_end += 1;
            continue;
        }
        tick = tick.saturating_add(u64::from(ev.delta.as_int()));
        match ev.kind {
            TrackEventKind::Midi { channel: ch, message } => {
                let ch = ch.as_int();
                channel.get_or_insert(ch);
                let slot = usize::from(ch) * 128;
                let kind = match message {
                    MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                        seen_note = true;
                        let id = seq.new_id();
                        if let Some(q) = pending.get_mut(slot + usize::from(key.as_int())) {
                            q.push_back((tick, vel.as_int(), id));
                        }
                        continue;
                    }
                    MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                        let release = match message {
                            MidiMessage::NoteOff { vel, .. } => vel.as_int(),
                            _ => 64,
                        };
                        let k = key.as_int();
                        match pending.get_mut(slot + usize::from(k)).and_then(VecDeque::pop_front) {
                            Some((start, velocity, id)) => track.notes.push(Note {
                                id,
                                start,
                                length: tick - start,
                                channel: ch,
                                key: k,
                                velocity,
                                release_velocity: release,
                            }),
                            None => stray_offs += 1,
                        }
                        continue;
                    }
                    MidiMessage::Aftertouch { key, vel } => {
                        EventKind::PolyAftertouch { channel: ch, key: key.as_int(), pressure: vel.as_int() }
                    }
                    MidiMessage::Controller { controller, value } => {
                        EventKind::Controller { channel: ch, controller: controller.as_int(), value: value.as_int() }
                    }
                    MidiMessage::ProgramChange { program } => {
                        let p = program.as_int();
                        if tick == 0 && !seen_note && track.program.is_none() && channel == Some(ch) {
                            track.program = Some(p);
                            continue;
                        }
                        EventKind::Program { channel: ch, program: p }
                    }
                    MidiMessage::ChannelAftertouch { vel } => {
                        EventKind::ChannelAftertouch { channel: ch, pressure: vel.as_int() }
                    }
                    MidiMessage::PitchBend { bend } => EventKind::PitchBend { channel: ch, value: bend.as_int() },
                };
                track.events.push(Event { tick, kind });
            }
            TrackEventKind::SysEx(b) => track.events.push(Event { tick, kind: EventKind::SysEx(b.to_vec()) }),
            TrackEventKind::Escape(b) => track.events.push(Event { tick, kind: EventKind::Escape(b.to_vec()) }),
            TrackEventKind::Meta(MetaMessage::EndOfTrack) => {
                ended = true;
                track.end_tick = tick;
            }
            TrackEventKind::Meta(MetaMessage::TrackName(b)) if tick == 0 && track.name.is_empty() => {
                match std::str::from_utf8(b) {
                    Ok(s)
                        if !s.is_empty()
                            && track
                                .events
                                .iter()
                                .all(|e| !matches!(e.kind, EventKind::Text(TextKind::TrackName, _))) =>
                    {
                        track.name = s.to_string()
                    }
                    _ => track.events.push(Event { tick, kind: EventKind::Text(TextKind::TrackName, b.to_vec()) }),
                }
            }
            TrackEventKind::Meta(m) => {
                if let Some(kind) = meta_kind(&m) {
                    track.events.push(Event { tick, kind });
                }
            }
        }
    }
    let n = index + 1;
    if kept_across > 0 {
        seq.warnings.push(SmfWarning::RunningStatusAfterMeta { track: n, events: kept_across });
    }
    if let Some(at) = damaged_at.filter(|_| !ended) {
        seq.warnings.push(SmfWarning::DamagedEvent { track: n, at, len: data.len() });
    }
    if !ended {
        seq.warnings.push(SmfWarning::NoEndOfTrack { track: n });
        track.end_tick = tick;
    }
    if after_end > 0 {
        seq.warnings.push(SmfWarning::EventsAfterEnd { track: n, events: after_end });
    }
    if stray_offs > 0 {
        seq.warnings.push(SmfWarning::StrayNoteOffs { track: n, count: stray_offs });
    }
    let mut hanging = 0usize;
    for (slot, q) in pending.iter_mut().enumerate() {
        for (start, velocity, id) in q.drain(..) {
            hanging += 1;
            track.notes.push(Note {
                id,
                start,
                length: track.end_tick.saturating_sub(start),
                channel: (slot / 128) as u8,
                key: (slot % 128) as u8,
                velocity,
                release_velocity: 64,
            });
        }
    }
    if hanging > 0 {
        seq.warnings.push(SmfWarning::HangingNotes { track: n, count: hanging });
    }
    track.channel = channel.unwrap_or(0);
    track.notes.sort_by_key(|n| (n.start, n.id));
    track
}

fn midi(channel: u8, message: MidiMessage) -> TrackEventKind<'static> {
    TrackEventKind::Midi { channel: u4::new(channel), message }
}

fn event_kind(kind: &EventKind) -> TrackEventKind<'_> {
    match kind {
        EventKind::Controller { channel, controller, value } => {
            midi(*channel, MidiMessage::Controller { controller: u7::new(*controller), value: u7::new(*value) })
        }
        EventKind::PitchBend { channel, value } => {
            midi(*channel, MidiMessage::PitchBend { bend: PitchBend::from_int(*value) })
        }
        EventKind::ChannelAftertouch { channel, pressure } => {
            midi(*channel, MidiMessage::ChannelAftertouch { vel: u7::new(*pressure) })
        }
        EventKind::PolyAftertouch { channel, key, pressure } => {
            midi(*channel, MidiMessage::Aftertouch { key: u7::new(*key), vel: u7::new(*pressure) })
        }
        EventKind::Program { channel, program } => {
            midi(*channel, MidiMessage::ProgramChange { program: u7::new(*program) })
        }
        EventKind::Tempo(us) => TrackEventKind::Meta(MetaMessage::Tempo(u24::new((*us).clamp(1, 0xFF_FFFF)))),
        EventKind::TimeSignature { numerator, denominator_pow, clocks_per_click, thirty_seconds_per_quarter } => {
            TrackEventKind::Meta(MetaMessage::TimeSignature(
                *numerator,
                *denominator_pow,
                *clocks_per_click,
                *thirty_seconds_per_quarter,
            ))
        }
        EventKind::KeySignature { sharps, minor } => TrackEventKind::Meta(MetaMessage::KeySignature(*sharps, *minor)),
        EventKind::Text(k, b) => TrackEventKind::Meta(match k {
            TextKind::Text => MetaMessage::Text(b),
            TextKind::Copyright => MetaMessage::Copyright(b),
            TextKind::TrackName => MetaMessage::TrackName(b),
            TextKind::InstrumentName => MetaMessage::InstrumentName(b),
            TextKind::Lyric => MetaMessage::Lyric(b),
            TextKind::Marker => MetaMessage::Marker(b),
            TextKind::CuePoint => MetaMessage::CuePoint(b),
            TextKind::ProgramName => MetaMessage::ProgramName(b),
            TextKind::DeviceName => MetaMessage::DeviceName(b),
        }),
        EventKind::SysEx(b) => TrackEventKind::SysEx(b),
        EventKind::Escape(b) => TrackEventKind::Escape(b),
        EventKind::Meta(t, b) => TrackEventKind::Meta(MetaMessage::Unknown(*t, b)),
    }
}

/// The midly events of one track, in writing order.
fn track_events(track: &Track) -> Result<Vec<TrackEvent<'_>>, String> {
    // (tick, class, tie-break, event): at one tick, note-offs first, then other
    // events in order, then note-ons (zero-length ones first), then their offs.
    let mut items: Vec<(u64, u8, u64, TrackEventKind)> =
        Vec::with_capacity(track.notes.len() * 2 + track.events.len() + 2);
    if !track.name.is_empty() {
        items.push((0, 0, 0, TrackEventKind::Meta(MetaMessage::TrackName(track.name.as_bytes()))));
    }
    if let Some(p) = track.program {
        items.push((0, 0, 1, midi(track.channel, MidiMessage::ProgramChange { program: u7::new(p) })));
    }
    for (i, e) in track.events.iter().enumerate() {
        items.push((e.tick, 2, i as u64, event_kind(&e.kind)));
    }
    for n in &track.notes {
        let (key, ch) = (u7::new(n.key), n.channel);
        let on = midi(ch, MidiMessage::NoteOn { key, vel: u7::new(n.velocity.max(1)) });
        let off = midi(ch, MidiMessage::NoteOff { key, vel: u7::new(n.release_velocity) });
        if n.length == 0 {
            items.push((n.start, 3, n.id.0, on));
            items.push((n.start, 4, n.id.0, off));
        } else {
            items.push((n.start, 3, (1 << 63) | n.id.0, on));
            items.push((n.end(), 1, n.id.0, off));
        }
    }
    items.sort_by_key(|i| (i.0, i.1, i.2));
    let end = items.last().map_or(0, |i| i.0).max(track.end_tick);
    let mut out = Vec::with_capacity(items.len() + 1);
    let mut last = 0u64;
    let delta = |tick: u64, last: u64| -> Result<u28, String> {
        let d = tick - last;
        u28::try_from(u32::try_from(d).unwrap_or(u32::MAX))
            .ok_or_else(|| format!("a gap of {d} ticks between two events is more than a MIDI file can hold"))
    };
    for (tick, _, _, kind) in items {
        out.push(TrackEvent { delta: delta(tick, last)?, kind });
        last = tick;
    }
    out.push(TrackEvent { delta: delta(end, last)?, kind: TrackEventKind::Meta(MetaMessage::EndOfTrack) });
    Ok(out)
}

/// The sequence as Standard MIDI File bytes.
pub fn smf_bytes(seq: &Sequence) -> Result<Vec<u8>, String> {
    if seq.tracks.len() > usize::from(u16::MAX) {
        return Err(format!("{} tracks; a MIDI file holds at most 65535", seq.tracks.len()));
    }
    let format = match seq.format {
        SmfFormat::Single if seq.tracks.len() == 1 => midly::Format::SingleTrack,
        SmfFormat::Single | SmfFormat::Parallel => midly::Format::Parallel,
        SmfFormat::Sequential => midly::Format::Sequential,
    };
    let timing = match seq.timing {
        Timing::Metrical(t) => midly::Timing::Metrical(u15::new(t.max(1))),
        Timing::Smpte { fps, ticks_per_frame } => {
            let fps = midly::Fps::from_int(fps).ok_or_else(|| format!("{fps} is not an SMPTE frame rate"))?;
            midly::Timing::Timecode(fps, ticks_per_frame)
        }
    };
    let tracks = seq.tracks.iter().map(track_events).collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(tracks.iter().map(|t| t.len() * 4 + 8).sum::<usize>() + 14);
    midly::write_std(&midly::Header::new(format, timing), tracks.iter(), &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}
