//! Tests across the MIDI room: SMF round trips covering every event kind,
//! damaged files, undo/redo as a property, the player's timing and the offline render.

use proptest::prelude::*;

use super::*;

/// A sequence holding every kind of event, overlapping same-key notes, a
/// zero-length note and several channels.
pub(crate) fn every_event_kind() -> Sequence {
    let mut seq = Sequence::new(96);
    seq.tracks.push(Track::new("Conductor", 0));
    seq.push_event(0, 0, EventKind::Tempo(500_000));
    seq.push_event(
        0,
        0,
        EventKind::TimeSignature {
            numerator: 3,
            denominator_pow: 2,
            clocks_per_click: 24,
            thirty_seconds_per_quarter: 8,
        },
    );
    seq.push_event(0, 0, EventKind::KeySignature { sharps: -3, minor: true });
    seq.push_event(0, 0, EventKind::Text(TextKind::Copyright, b"(c) nobody".to_vec()));
    seq.push_event(0, 96, EventKind::Text(TextKind::Marker, b"Verse".to_vec()));
    seq.push_event(0, 192, EventKind::Tempo(400_000));
    seq.push_event(0, 200, EventKind::Meta(0x54, vec![0x60, 0, 0, 0, 0]));
    seq.push_event(0, 210, EventKind::Meta(0x7F, vec![0x43, 1, 2]));
    seq.push_event(0, 220, EventKind::Meta(0x21, vec![1]));
    seq.push_event(0, 230, EventKind::Text(TextKind::CuePoint, b"cue".to_vec()));
    let mut piano = Track::new("Piano", 0);
    piano.program = Some(0);
    seq.tracks.push(piano);
    seq.push_note(1, 0, 96, 60, 100);
    seq.push_note(1, 48, 96, 60, 90); // overlaps the first on the same key
    seq.push_note(1, 96, 0, 64, 80); // zero length
    seq.push_note(1, 96, 48, 67, 127);
    seq.push_event(1, 10, EventKind::Controller { channel: 0, controller: 7, value: 90 });
    seq.push_event(1, 20, EventKind::PitchBend { channel: 0, value: -8192 });
    seq.push_event(1, 30, EventKind::PitchBend { channel: 0, value: 8191 });
    seq.push_event(1, 40, EventKind::ChannelAftertouch { channel: 0, pressure: 33 });
    seq.push_event(1, 50, EventKind::PolyAftertouch { channel: 0, key: 60, pressure: 44 });
    seq.push_event(1, 60, EventKind::Program { channel: 0, program: 5 });
    seq.push_event(1, 70, EventKind::Text(TextKind::Lyric, b"la".to_vec()));
    seq.push_event(1, 80, EventKind::SysEx(vec![0x7E, 0x7F, 0x09, 0x01, 0xF7]));
    seq.push_event(1, 90, EventKind::Escape(vec![0xF8]));
    seq.push_event(1, 95, EventKind::Text(TextKind::InstrumentName, b"Grand".to_vec()));
    let mut drums = Track::new("Drums", 9);
    drums.program = Some(0);
    seq.tracks.push(drums);
    for i in 0..8 {
        seq.push_note(2, i * 24, 12, 36 + (i % 4) as u8 * 2, 100);
    }
    seq.tracks[2].end_tick = 1000;
    seq
}

/// Notes without ids (ids are handed out afresh on each read).
type NoteFields = (u64, u64, u8, u8, u8, u8);
type TrackContent = (String, u8, Option<u8>, Vec<NoteFields>, Vec<Event>, u64);

fn content(seq: &Sequence) -> Vec<TrackContent> {
    seq.tracks
        .iter()
        .map(|t| {
            let notes =
                t.notes.iter().map(|n| (n.start, n.length, n.channel, n.key, n.velocity, n.release_velocity)).collect();
            (t.name.clone(), t.channel, t.program, notes, t.events.clone(), t.last_tick())
        })
        .collect()
}

#[test]
fn every_event_kind_survives_write_and_read() {
    let seq = every_event_kind();
    let bytes = smf_bytes(&seq).unwrap();
    let back = parse_smf(&bytes).unwrap();
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    assert_eq!(content(&back), content(&seq));
    // And again: the bytes are stable.
    assert_eq!(smf_bytes(&back).unwrap(), bytes);
}

#[test]
fn formats_0_and_2_and_smpte_round_trip() {
    let mut seq = Sequence::new(480);
    seq.format = SmfFormat::Single;
    seq.push_note(0, 0, 10, 60, 100);
    seq.push_event(0, 5, EventKind::Controller { channel: 3, controller: 64, value: 127 });
    let back = parse_smf(&smf_bytes(&seq).unwrap()).unwrap();
    assert_eq!(back.format, SmfFormat::Single);
    assert_eq!(content(&back), content(&seq));

    seq.format = SmfFormat::Sequential;
    seq.timing = Timing::Smpte { fps: 29, ticks_per_frame: 80 };
    seq.push_note(1, 0, 10, 62, 100);
    let back = parse_smf(&smf_bytes(&seq).unwrap()).unwrap();
    assert_eq!(back.format, SmfFormat::Sequential);
    assert_eq!(back.timing, Timing::Smpte { fps: 29, ticks_per_frame: 80 });
    assert_eq!(back.timing.ticks_per_quarter(), None);
    assert_eq!(content(&back), content(&seq));
    assert_eq!(seq.track_offsets(), vec![0, 10]);
}

/// Hand-made bytes: running status, note-on velocity 0 as note-off, overlapping
/// same-key notes paired first in, first out.
#[test]
fn running_status_velocity_zero_and_fifo_pairing() {
    let track: Vec<u8> = vec![
        0x00, 0x90, 60, 100, // on A
        0x10, 60, 90, // running status: on B (same key) at 16
        0x10, 60, 0, // running status, vel 0: off → A (first in) at 32
        0x10, 0x80, 60, 30, // off → B at 48, release 30
        0x00, 0xFF, 0x2F, 0x00,
    ];
    let mut file = b"MThd\0\0\0\x06\0\0\0\x01\0\x60MTrk".to_vec();
    file.extend((track.len() as u32).to_be_bytes());
    file.extend(&track);
    let seq = parse_smf(&file).unwrap();
    assert!(seq.warnings.is_empty(), "{:?}", seq.warnings);
    let notes: Vec<_> =
        seq.tracks[0].notes.iter().map(|n| (n.start, n.length, n.velocity, n.release_velocity)).collect();
    assert_eq!(notes, vec![(0, 32, 100, 64), (16, 32, 90, 30)]);
    assert_eq!(seq.tracks[0].end_tick, 48);
}

fn smf(tracks: &[&[u8]]) -> Vec<u8> {
    let mut file = b"MThd\0\0\0\x06\0\x01".to_vec();
    file.extend((tracks.len() as u16).to_be_bytes());
    file.extend([0x01, 0xE0]);
    for t in tracks {
        file.extend(b"MTrk");
        file.extend((t.len() as u32).to_be_bytes());
        file.extend(*t);
    }
    file
}

#[test]
fn damaged_files_are_read_as_far_as_they_go() {
    let good: &[u8] = &[0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00];
    // Track length overruns the file.
    let mut over = smf(&[good]);
    let at = over.len() - good.len() - 4;
    over[at..at + 4].copy_from_slice(&1000u32.to_be_bytes());
    let seq = parse_smf(&over).unwrap();
    assert_eq!(seq.note_count(), 1);
    assert!(seq.warnings.iter().any(|w| w.to_string().contains("declares 1000 bytes")), "{:?}", seq.warnings);
    // Missing end-of-track, and a hanging note.
    let seq = parse_smf(&smf(&[&[0x00, 0x90, 60, 100, 0x60, 0x90, 62, 100, 0x10, 0x80, 60, 0]])).unwrap();
    assert_eq!(seq.note_count(), 2);
    assert!(seq.warnings.iter().any(|w| w.to_string().contains("no end-of-track")));
    assert!(seq.warnings.iter().any(|w| w.to_string().contains("never released")));
    assert_eq!(seq.tracks[0].notes[1].end(), 0x70);
    // Junk after the last track.
    let mut junk = smf(&[good]);
    junk.extend([0u8, 1, 2, 0xFF, 0xFE, 9, 9, 9, 9, 9]);
    let seq = parse_smf(&junk).unwrap();
    assert_eq!(seq.note_count(), 1);
    assert!(seq.warnings.iter().any(|w| w.to_string().contains("junk")), "{:?}", seq.warnings);
    // A stray note-off, an unknown chunk, a track count that lies.
    let mut odd = smf(&[&[0x00, 0x80, 61, 0, 0x00, 0xFF, 0x2F, 0x00]]);
    odd.extend(b"XFIH\0\0\0\x02ab");
    odd[11] = 3;
    let seq = parse_smf(&odd).unwrap();
    assert!(seq.warnings.iter().any(|w| w.to_string().contains("without a note-on")));
    assert!(seq.warnings.iter().any(|w| w.to_string().contains("unknown 'XFIH'")));
    assert!(seq.warnings.iter().any(|w| w.to_string().contains("declares 3 tracks")));
    // Truncated in the middle of an event.
    let seq = parse_smf(&smf(&[&[0x00, 0x90, 60, 100, 0x60, 0x80]])).unwrap();
    assert_eq!(seq.note_count(), 1);
    // Not MIDI at all: a clear error naming the file.
    assert!(parse_smf(b"RIFF\0\0\0\0WAVE").is_err());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("song.mid");
    std::fs::write(&p, b"ID3 this is an mp3").unwrap();
    let e = read_smf(&p).unwrap_err().to_string();
    assert!(e.contains("song.mid") && e.contains("not a MIDI file"), "{e}");
    for n in 0..14 {
        let _ = parse_smf(&smf(&[good])[..n]);
    }
}

proptest! {
    #[test]
    fn any_bytes_after_a_header_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut file = b"MThd\0\0\0\x06\0\x01\0\x02\x01\xE0MTrk".to_vec();
        file.extend(tail);
        let _ = parse_smf(&file);
    }

    #[test]
    fn random_sequences_round_trip(notes in proptest::collection::vec((0u64..5000, 0u64..500, 0u8..128, 1u8..128, 0u8..16), 0..200)) {
        let mut seq = Sequence::new(480);
        for (start, len, key, vel, ch) in notes {
            let id = seq.push_note(usize::from(ch % 3), start, len, key, vel);
            let (t, i) = seq.find_note(id).unwrap();
            seq.tracks[t].notes[i].channel = ch;
        }
        let once = parse_smf(&smf_bytes(&seq).unwrap()).unwrap();
        let twice = parse_smf(&smf_bytes(&once).unwrap()).unwrap();
        prop_assert_eq!(content(&once), content(&twice));
        prop_assert_eq!(once.note_count(), seq.note_count());
    }
}

#[derive(Debug, Clone)]
enum Op {
    Add(u64, u64, u8, u8),
    Delete(usize),
    Move(usize, i64, i32),
    Resize(usize, i64),
    Velocity(usize, u8),
    Quantize(u64, u8, u8),
    Transpose(i32),
    CopyPaste(usize, u64),
    Group(Vec<(usize, i64, i32)>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u64..2000, 0u64..400, 0u8..128, 1u8..128).prop_map(|(a, b, c, d)| Op::Add(a, b, c, d)),
        (0usize..50).prop_map(Op::Delete),
        (0usize..50, -500i64..500, -20i32..20).prop_map(|(a, b, c)| Op::Move(a, b, c)),
        (0usize..50, -300i64..300).prop_map(|(a, b)| Op::Resize(a, b)),
        (0usize..50, 0u8..=255).prop_map(|(a, b)| Op::Velocity(a, b)),
        (1u64..200, 0u8..=100, 0u8..=100).prop_map(|(a, b, c)| Op::Quantize(a, b, c)),
        (-30i32..30).prop_map(Op::Transpose),
        (0usize..50, 0u64..3000).prop_map(|(a, b)| Op::CopyPaste(a, b)),
        proptest::collection::vec((0usize..50, -50i64..50, -3i32..3), 1..6).prop_map(Op::Group),
    ]
}

fn pick(ed: &Editor, i: usize) -> Vec<NoteId> {
    let all: Vec<NoteId> = ed.sequence().tracks.iter().flat_map(|t| t.notes.iter().map(|n| n.id)).collect();
    if all.is_empty() {
        return all;
    }
    all.iter().copied().skip(i % all.len()).step_by(3).collect()
}

fn run(ed: &mut Editor, op: &Op) {
    match op {
        Op::Add(s, l, k, v) => {
            ed.add_note((*k as usize) % 2, *s, *l, *k, *v).unwrap();
        }
        Op::Delete(i) => ed.delete(&pick(ed, *i)),
        Op::Move(i, t, k) => ed.move_notes(&pick(ed, *i), *t, *k),
        Op::Resize(i, t) => ed.resize(&pick(ed, *i), *t),
        Op::Velocity(i, v) => ed.set_velocity(&pick(ed, *i), *v),
        Op::Quantize(g, s, w) => {
            let ids = pick(ed, 0);
            let q = Quantize { grid: *g, strength: f64::from(*s) / 100.0, swing: f64::from(*w) / 100.0 };
            ed.quantize(&ids, q).unwrap();
        }
        Op::Transpose(k) => ed.transpose(&pick(ed, 1), *k),
        Op::CopyPaste(i, at) => {
            ed.copy(&pick(ed, *i));
            ed.paste(1, *at).unwrap();
        }
        Op::Group(moves) => {
            ed.begin_group("Drag");
            for (i, t, k) in moves {
                ed.move_notes(&pick(ed, *i), *t, *k);
            }
            ed.end_group();
        }
    }
}

fn steps(ed: &Editor) -> usize {
    let mut e = ed.clone();
    let mut n = 0;
    while e.undo() {
        n += 1;
    }
    n
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn undo_all_restores_and_redo_all_replays(ops in proptest::collection::vec(op(), 1..25)) {
        let mut seq = Sequence::new(96);
        seq.tracks.push(Track::new("A", 0));
        seq.tracks.push(Track::new("B", 1));
        for i in 0..12u64 {
            seq.push_note((i % 2) as usize, i * 37, 50 + i, 40 + i as u8 * 3, 90);
        }
        let before = seq.clone();
        let mut ed = Editor::new(seq);
        for o in &ops {
            run(&mut ed, o);
        }
        let after = ed.sequence().clone();
        let n = steps(&ed);
        for _ in 0..n {
            prop_assert!(ed.undo());
        }
        prop_assert!(!ed.undo());
        prop_assert_eq!(ed.sequence(), &before);
        for _ in 0..n {
            prop_assert!(ed.redo());
        }
        prop_assert!(!ed.redo());
        prop_assert_eq!(ed.sequence(), &after);
        // Ids stay unique.
        let ids: std::collections::HashSet<_> = ed.sequence().tracks.iter().flat_map(|t| t.notes.iter().map(|n| n.id)).collect();
        prop_assert_eq!(ids.len(), ed.sequence().note_count());
    }
}

#[test]
fn edits_do_what_they_say() {
    let mut seq = Sequence::new(96);
    seq.tracks.push(Track::new("A", 2));
    let mut ed = Editor::new(seq);
    let a = ed.add_note(0, 10, 20, 60, 100).unwrap();
    let b = ed.add_note(0, 100, 20, 64, 100).unwrap();
    assert_eq!(ed.note(a).unwrap().1.channel, 2);
    assert!(ed.add_note(3, 0, 1, 60, 1).is_err());
    // A drag is one undo step.
    ed.begin_group("Drag");
    for _ in 0..10 {
        ed.move_notes(&[a, b], 5, 0);
    }
    ed.end_group();
    assert_eq!(ed.note(a).unwrap().1.start, 60);
    assert_eq!(ed.undo_name(), Some("Drag"));
    ed.undo();
    assert_eq!(ed.note(a).unwrap().1.start, 10);
    ed.redo();
    // Moves are limited to the key range and tick 0, keeping the group's shape.
    ed.move_notes(&[a, b], -1000, 100);
    let (na, nb) = (*ed.note(a).unwrap().1, *ed.note(b).unwrap().1);
    assert_eq!((na.start, na.key, nb.start, nb.key), (0, 123, 90, 127));
    // Quantize to 48 with full strength, then swing.
    ed.quantize(&[b], Quantize { grid: 48, strength: 1.0, swing: 0.0 }).unwrap();
    assert_eq!(ed.note(b).unwrap().1.start, 96);
    ed.move_notes(&[b], -40, 0); // 56
    ed.quantize(&[b], Quantize { grid: 48, strength: 1.0, swing: 0.5 }).unwrap();
    assert_eq!(ed.note(b).unwrap().1.start, 60); // 48 + 0.5 × 24
    ed.quantize(&[b], Quantize { grid: 48, strength: 0.5, swing: 0.0 }).unwrap();
    assert_eq!(ed.note(b).unwrap().1.start, 54);
    assert!(ed.quantize(&[b], Quantize { grid: 0, strength: 1.0, swing: 0.0 }).is_err());
    // Region selection, copy and paste with new ids.
    assert_eq!(ed.select_region(Some(0), 0..10, 0..=127), vec![a]);
    assert_eq!(ed.select_region(None, 0..1000, 127..=127), vec![b]);
    ed.copy(&[a, b]);
    let pasted = ed.paste(0, 1000).unwrap();
    assert_eq!(pasted.len(), 2);
    assert!(!pasted.contains(&a) && !pasted.contains(&b));
    assert_eq!(ed.note(pasted[0]).unwrap().1.start, 1000);
    ed.set_velocity(&pasted, 0);
    assert_eq!(ed.note(pasted[1]).unwrap().1.velocity, 1);
    ed.resize(&pasted, -1000);
    assert_eq!(ed.note(pasted[1]).unwrap().1.length, 1);
    ed.delete(&[a]);
    assert!(ed.note(a).is_none());
    ed.undo();
    assert!(ed.note(a).is_some());
}

#[test]
fn player_fires_events_on_their_sample() {
    // One note at exactly 0.5 s (tick 480 at 120 BPM, 480 tpq) on an organ that sustains.
    let mut seq = Sequence::new(480);
    let mut t = Track::new("", 0);
    t.program = Some(16);
    seq.tracks.push(t);
    seq.push_note(0, 480, 480, 69, 127);
    let (mut p, mut h) = Player::new(&seq, Synth::builtin());
    crate::dsp::Render::prepare(&mut p, 1000, 2, 64);
    h.play();
    let mut out = vec![0.0f32; 2 * 700];
    crate::dsp::Render::render(&mut p, &mut out);
    let first = out.chunks(2).position(|f| f[0] != 0.0).unwrap();
    // The note-on lands on frame 500, where the sine starts at phase 0: the first nonzero sample is 501.
    assert_eq!(first, 501);
    assert!((h.position_s() - 0.7).abs() < 1e-9);
    // Stop: silence soon after, position back to the start.
    h.stop();
    let mut out = vec![0.0f32; 2 * 2000];
    crate::dsp::Render::render(&mut p, &mut out);
    assert_eq!(h.position_s(), 0.0);
    assert!(out[out.len() - 100..].iter().all(|x| x.abs() < 1e-3));
    // Tempo scale 2: the note comes at 0.25 s of wall time.
    h.set_tempo_scale(2.0);
    h.play();
    let mut out = vec![0.0f32; 2 * 400];
    crate::dsp::Render::render(&mut p, &mut out);
    assert_eq!(out.chunks(2).position(|f| f[0] != 0.0), Some(251));
    // Loop 0.4–0.6 s: the playhead stays inside.
    h.set_loop(Some((0.4, 0.6)));
    h.seek(0.45);
    let mut out = vec![0.0f32; 2 * 1000];
    crate::dsp::Render::render(&mut p, &mut out);
    assert!((0.4..0.6).contains(&h.position_s()), "{}", h.position_s());
}

#[test]
fn offline_render_has_length_sound_and_no_clipping() {
    let seq = every_event_kind();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("song.wav");
    let mut calls = 0;
    let stats = render_to_wav(&seq, &out, false, 22_050, &SynthChoice::Builtin, None, &mut |_, _| calls += 1).unwrap();
    assert!(calls > 0);
    let song = seq.tempo_map().tick_to_seconds(seq.end_tick());
    assert!((stats.song_s - song).abs() < 1e-9);
    let mut r = hound::WavReader::open(&out).unwrap();
    assert_eq!(r.spec().channels, 2);
    assert_eq!(r.spec().sample_rate, 22_050);
    let frames = u64::from(r.duration());
    assert_eq!(frames, stats.frames);
    assert!(frames as f64 >= song * 22_050.0);
    assert!((frames as f64) < (song + MAX_TAIL_S) * 22_050.0 + 2048.0);
    let samples: Vec<i32> = r.samples::<i32>().map(Result::unwrap).collect();
    let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap();
    assert!(peak > 1 << 16, "not silent");
    assert!(peak < (1 << 23) - 1, "no clipping");
    // Deterministic.
    let out2 = dir.path().join("again.wav");
    render_to_wav(&seq, &out2, false, 22_050, &SynthChoice::Builtin, None, &mut |_, _| {}).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&out2).unwrap());
    // Nothing else left in the folder.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn bad_soundfont_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let sf = dir.path().join("broken.sf2");
    std::fs::write(&sf, b"RIFF\x10\0\0\0sfbkLIST\x04\0\0\0INFO").unwrap();
    let e = render_to_wav(
        &Sequence::new(96),
        &dir.path().join("x.wav"),
        false,
        48_000,
        &SynthChoice::SoundFont(sf),
        None,
        &mut |_, _| {},
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("broken.sf2") && e.contains("SoundFont"), "{e}");
    assert!(!dir.path().join("x.wav").exists());
}

/// A tiny valid SoundFont 2: one preset (bank 0, program 0), one instrument,
/// one looped sine sample.
pub(crate) fn tiny_sf2() -> Vec<u8> {
    super::sine_soundfont(&[(0, 0)])
}

#[test]
fn soundfont_renders_through_rustysynth() {
    let dir = tempfile::tempdir().unwrap();
    let sf = dir.path().join("tiny.sf2");
    std::fs::write(&sf, tiny_sf2()).unwrap();
    let mut seq = Sequence::new(96);
    seq.tracks.push(Track::new("", 0));
    seq.push_note(0, 0, 96, 69, 120);
    let out = dir.path().join("sf.wav");
    let stats = render_to_wav(&seq, &out, false, 44_100, &SynthChoice::SoundFont(sf), None, &mut |_, _| {}).unwrap();
    assert!(stats.peak > 0.01 && stats.peak < 1.0, "peak {}", stats.peak);
    // The song is 0.5 s; the tail ends once the output stays quiet.
    assert!(stats.frames >= 22_050 && (stats.frames as f64) < (0.5 + MAX_TAIL_S) * 44_100.0 + 2048.0);
}

#[test]
fn a_font_that_parses_but_cannot_play_is_refused_when_it_loads() {
    let mut f = tiny_sf2();
    let shdr = f.windows(4).position(|w| w == b"shdr").unwrap() + 8;
    // A sample rate of 3 GHz: rustysynth's oscillator then steps past the sample data.
    f[shdr + 36..shdr + 40].copy_from_slice(&3_019_917_124u32.to_le_bytes());
    // rustysynth accepts the file, then panics while playing it.
    let sf = std::sync::Arc::new(rustysynth::SoundFont::new(&mut std::io::Cursor::new(f.clone())).unwrap());
    let played = std::panic::catch_unwind(|| {
        let mut s = rustysynth::Synthesizer::new(&sf, &rustysynth::SynthesizerSettings::new(22_050)).unwrap();
        let (mut l, mut r) = (vec![0.0f32; 256], vec![0.0f32; 256]);
        for k in [0, 63, 127] {
            s.note_on(0, k, 100);
        }
        for _ in 0..40 {
            s.render(&mut l, &mut r);
        }
    });
    assert!(played.is_err(), "the damaged font should make rustysynth panic");
    // Loading it (in the background, in the app) refuses it with a clear message.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("damaged.sf2");
    std::fs::write(&p, &f).unwrap();
    let e = SoundFontData::load(&p).unwrap_err().to_string();
    assert!(e.contains("damaged.sf2") && e.contains("\"Sine\"") && e.contains("damaged"), "{e}");
    // The intact font still loads.
    std::fs::write(&p, tiny_sf2()).unwrap();
    SoundFontData::load(&p).unwrap();
}
