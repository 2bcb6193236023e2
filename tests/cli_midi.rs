//! `coremusic midi info` and `midi render` as a user runs them, and a
//! cross-check of our MIDI files against Python's mido (skipped when absent).

use std::path::Path;
use std::process::Command;

use coremusic::midi::{read_smf, write_smf, EventKind, Sequence, SmfFormat, TextKind, Timing, Track};

fn coremusic() -> Command {
    Command::new(env!("CARGO_BIN_EXE_coremusic"))
}

/// Two tracks at 96 tpq: a tempo change at tick 192 (120 → 60 BPM), 3 notes, end at tick 384.
fn song() -> Sequence {
    let mut seq = Sequence::new(96);
    seq.tracks.push(Track::new("Tempo", 0));
    seq.push_event(0, 0, EventKind::Tempo(500_000));
    seq.push_event(0, 192, EventKind::Tempo(1_000_000));
    seq.push_event(
        0,
        0,
        EventKind::TimeSignature {
            numerator: 4,
            denominator_pow: 2,
            clocks_per_click: 24,
            thirty_seconds_per_quarter: 8,
        },
    );
    seq.tracks.push(Track::new("Lead", 0));
    seq.push_note(1, 0, 96, 60, 100);
    seq.push_note(1, 96, 96, 64, 100);
    seq.push_note(1, 192, 96, 67, 100);
    seq.push_event(1, 10, EventKind::Text(TextKind::Lyric, b"la".to_vec()));
    seq.tracks[1].end_tick = 384;
    seq
}

#[test]
fn info_json_fields_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("song.mid");
    write_smf(&song(), &good).unwrap();
    let mut smpte = song();
    smpte.timing = Timing::Smpte { fps: 25, ticks_per_frame: 40 };
    let smpte_path = dir.path().join("smpte.mid");
    write_smf(&smpte, &smpte_path).unwrap();
    let mut patterns = song();
    patterns.format = SmfFormat::Sequential;
    let f2 = dir.path().join("patterns.mid");
    write_smf(&patterns, &f2).unwrap();
    let bad = dir.path().join("notmidi.mid");
    std::fs::write(&bad, b"hello, this is text").unwrap();

    let out = coremusic().args(["midi", "info", "--json"]).args([&good, &smpte_path, &f2, &bad]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    let g = &lines[0];
    assert_eq!(g["path"], good.to_str().unwrap());
    assert_eq!(g["format"], 1);
    assert_eq!(g["tracks"], 2);
    assert_eq!(g["ticks_per_quarter"], 96);
    assert_eq!(g["notes"], 3);
    assert_eq!(g["tempo_changes"], 2);
    assert_eq!(g["end_tick"], 384);
    // 192 ticks at 120 BPM (1 s) + 192 ticks at 60 BPM (2 s).
    assert!((g["duration_s"].as_f64().unwrap() - 3.0).abs() < 1e-9);
    assert!(lines[1]["ticks_per_quarter"].is_null());
    assert!((lines[1]["duration_s"].as_f64().unwrap() - 0.384).abs() < 1e-9);
    assert_eq!(lines[2]["format"], 2);
    assert!(lines[2]["duration_s"].is_null());
    assert_eq!(lines[3]["path"], bad.to_str().unwrap());
    let e = lines[3]["error"].as_str().unwrap();
    assert!(e.contains("notmidi.mid") && e.contains("not a MIDI file"), "{e}");

    let out = coremusic().args(["midi", "info"]).arg(&good).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"Lead\": channel 1, 3 notes, 1 events, keys 60–67, 1 lyrics"), "{text}");
    assert!(text.contains("Duration:      0:03.000"), "{text}");
}

#[test]
fn render_writes_a_wav() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("song.mid");
    write_smf(&song(), &input).unwrap();
    let output = dir.path().join("song.wav");
    let out = coremusic()
        .args(["midi", "render"])
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .args(["--rate", "44100"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let r = hound::WavReader::open(&output).unwrap();
    assert_eq!(r.spec().sample_rate, 44100);
    assert!(r.duration() >= 3 * 44100);
    // A bad SoundFont: clear error, no output left.
    let sf = dir.path().join("bad.sf2");
    std::fs::write(&sf, b"not a soundfont").unwrap();
    let out2 = dir.path().join("other.wav");
    let out = coremusic()
        .args(["midi", "render"])
        .arg(&input)
        .arg("-o")
        .arg(&out2)
        .arg("--soundfont")
        .arg(&sf)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad.sf2"), "{err}");
    assert!(!out2.exists());
}

const MIDO_DUMP: &str = r#"
import mido, sys
m = mido.MidiFile(sys.argv[1])
print(m.type, m.ticks_per_beat)
for i, t in enumerate(m.tracks):
    tick = 0
    for msg in t:
        tick += msg.time
        ty = msg.type
        if ty == 'note_on' and msg.velocity == 0: d = f"note_off {msg.channel} {msg.note} 64"
        elif ty == 'note_on': d = f"note_on {msg.channel} {msg.note} {msg.velocity}"
        elif ty == 'note_off': d = f"note_off {msg.channel} {msg.note} {msg.velocity}"
        elif ty == 'control_change': d = f"cc {msg.channel} {msg.control} {msg.value}"
        elif ty == 'pitchwheel': d = f"bend {msg.channel} {msg.pitch}"
        elif ty == 'aftertouch': d = f"chanpress {msg.channel} {msg.value}"
        elif ty == 'polytouch': d = f"polypress {msg.channel} {msg.note} {msg.value}"
        elif ty == 'program_change': d = f"program {msg.channel} {msg.program}"
        elif ty == 'set_tempo': d = f"tempo {msg.tempo}"
        elif ty == 'time_signature': d = f"timesig {msg.numerator} {msg.denominator} {msg.clocks_per_click} {msg.notated_32nd_notes_per_beat}"
        elif ty == 'key_signature': d = f"keysig {msg.key}"
        elif ty in ('text', 'copyright', 'track_name', 'instrument_name', 'lyrics', 'marker', 'cue_marker'): d = f"{ty} {getattr(msg, 'text', getattr(msg, 'name', ''))}"
        elif ty == 'sysex': d = "sysex " + " ".join(map(str, msg.data))
        else: d = ty
        print(i, tick, d)
"#;

fn ours(seq: &Sequence) -> Vec<String> {
    let major = ["Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#"];
    let minor = ["Abm", "Ebm", "Bbm", "Fm", "Cm", "Gm", "Dm", "Am", "Em", "Bm", "F#m", "C#m", "G#m", "D#m", "A#m"];
    let mut v = Vec::new();
    for (i, t) in seq.tracks.iter().enumerate() {
        if !t.name.is_empty() {
            v.push(format!("{i} 0 track_name {}", t.name));
        }
        if let Some(p) = t.program {
            v.push(format!("{i} 0 program {} {p}", t.channel));
        }
        for n in &t.notes {
            v.push(format!("{i} {} note_on {} {} {}", n.start, n.channel, n.key, n.velocity));
            v.push(format!("{i} {} note_off {} {} {}", n.end(), n.channel, n.key, n.release_velocity));
        }
        for e in &t.events {
            let d = match &e.kind {
                EventKind::Controller { channel, controller, value } => format!("cc {channel} {controller} {value}"),
                EventKind::PitchBend { channel, value } => format!("bend {channel} {value}"),
                EventKind::ChannelAftertouch { channel, pressure } => format!("chanpress {channel} {pressure}"),
                EventKind::PolyAftertouch { channel, key, pressure } => format!("polypress {channel} {key} {pressure}"),
                EventKind::Program { channel, program } => format!("program {channel} {program}"),
                EventKind::Tempo(us) => format!("tempo {us}"),
                EventKind::TimeSignature {
                    numerator,
                    denominator_pow,
                    clocks_per_click,
                    thirty_seconds_per_quarter,
                } => {
                    format!(
                        "timesig {numerator} {} {clocks_per_click} {thirty_seconds_per_quarter}",
                        1u32 << denominator_pow
                    )
                }
                EventKind::KeySignature { sharps, minor: m } => {
                    let table = if *m { &minor } else { &major };
                    format!("keysig {}", table[(*sharps + 7) as usize])
                }
                EventKind::Text(k, b) => {
                    let ty = match k {
                        TextKind::Text => "text",
                        TextKind::Copyright => "copyright",
                        TextKind::TrackName => "track_name",
                        TextKind::InstrumentName => "instrument_name",
                        TextKind::Lyric => "lyrics",
                        TextKind::Marker => "marker",
                        TextKind::CuePoint => "cue_marker",
                        _ => "other_text",
                    };
                    format!("{ty} {}", String::from_utf8_lossy(b))
                }
                EventKind::SysEx(b) => {
                    let body = b.strip_suffix(&[0xF7]).unwrap_or(b);
                    format!("sysex {}", body.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" "))
                }
                EventKind::Meta(0x21, _) => "midi_port".into(),
                EventKind::Meta(0x54, _) => "smpte_offset".into(),
                EventKind::Meta(0x7F, _) => "sequencer_specific".into(),
                other => format!("{other:?}"),
            };
            v.push(format!("{i} {} {d}", e.tick));
        }
        v.push(format!("{i} {} end_of_track", t.last_tick()));
    }
    v.sort();
    v
}

fn mido_dump(path: &Path) -> Option<(String, Vec<String>)> {
    let ok = Command::new("python3").args(["-c", "import mido"]).output().ok()?.status.success();
    if !ok {
        eprintln!("note: Python mido not installed; skipping the cross-check");
        return None;
    }
    let out = Command::new("python3").args(["-c", MIDO_DUMP]).arg(path).output().ok()?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).ok()?;
    let mut lines = text.lines();
    let head = lines.next()?.to_string();
    let mut v: Vec<String> = lines.map(str::to_string).collect();
    v.sort();
    Some((head, v))
}

#[test]
fn mido_reads_what_we_read() {
    let mut seq = song();
    seq.push_event(0, 5, EventKind::KeySignature { sharps: -3, minor: true });
    seq.push_event(0, 6, EventKind::KeySignature { sharps: 2, minor: false });
    seq.push_event(0, 7, EventKind::Text(TextKind::Marker, b"Chorus".to_vec()));
    seq.push_event(0, 8, EventKind::Text(TextKind::Copyright, b"(c)".to_vec()));
    seq.push_event(0, 9, EventKind::Meta(0x7F, vec![0, 1]));
    seq.push_event(0, 9, EventKind::Meta(0x21, vec![0]));
    seq.tracks[1].program = Some(33);
    seq.push_note(1, 20, 200, 60, 80); // overlaps another note on key 60
    seq.push_note(1, 300, 0, 72, 80); // zero length
    seq.push_event(1, 30, EventKind::Controller { channel: 0, controller: 64, value: 127 });
    seq.push_event(1, 31, EventKind::PitchBend { channel: 0, value: -8192 });
    seq.push_event(1, 32, EventKind::PitchBend { channel: 0, value: 8191 });
    seq.push_event(1, 33, EventKind::ChannelAftertouch { channel: 0, pressure: 9 });
    seq.push_event(1, 34, EventKind::PolyAftertouch { channel: 0, key: 60, pressure: 10 });
    seq.push_event(1, 35, EventKind::Program { channel: 0, program: 2 });
    seq.push_event(1, 36, EventKind::SysEx(vec![0x43, 0x10, 0x4C, 0xF7]));
    seq.push_event(1, 37, EventKind::Text(TextKind::InstrumentName, b"Bass".to_vec()));
    let mut drums = Track::new("Drums", 9);
    drums.program = Some(0);
    seq.tracks.push(drums);
    for i in 0..16 {
        seq.push_note(2, i * 24, 12, 36 + (i % 3) as u8, 100);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.mid");
    write_smf(&seq, &path).unwrap();
    let back = read_smf(&path).unwrap();
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    let Some((head, theirs)) = mido_dump(&path) else { return };
    assert_eq!(head, "1 96");
    assert_eq!(ours(&back), theirs);
    // And the other way: a file mido writes (its own running status and
    // note-on velocity 0) reads to the same notes.
    let again = dir.path().join("mido.mid");
    let script = "import mido, sys\nm = mido.MidiFile(sys.argv[1])\nfor t in m.tracks:\n    for j, msg in enumerate(t):\n        if msg.type == 'note_off': t[j] = mido.Message('note_on', channel=msg.channel, note=msg.note, velocity=0, time=msg.time)\nm.save(sys.argv[2])\n";
    let out = Command::new("python3").args(["-c", script]).arg(&path).arg(&again).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let via_mido = read_smf(&again).unwrap();
    assert!(via_mido.warnings.is_empty(), "{:?}", via_mido.warnings);
    let notes = |s: &Sequence| -> Vec<_> {
        s.tracks
            .iter()
            .flat_map(|t| t.notes.iter().map(|n| (n.start, n.length, n.channel, n.key, n.velocity)))
            .collect()
    };
    assert_eq!(notes(&via_mido), notes(&back));
}
