//! MIDI numbers. Goals: 10,000 notes — build the sequence, write the SMF and
//! read it back — in ≤ 2 ms together; offline render of a typical 16-channel
//! song with the built-in synth at ≥ 200× real time (48 kHz stereo).
//!
//! Run: `cargo bench --bench midi --no-default-features`
//! (the render figure: 30 s of song ÷ the `render_30s` time).

use std::hint::black_box;

use coremusic::midi::{parse_smf, render_offline, smf_bytes, EventKind, Sequence, Synth, Track};
use criterion::{criterion_group, Criterion};

/// 16 tracks on channels 0–15 (10 = drums), `notes` notes in all, at 120 BPM
/// and 480 ticks per quarter: melodic lines in eighths, chords, a drum groove.
fn song(notes: usize, programs: bool) -> Sequence {
    let mut seq = Sequence::new(480);
    for ch in 0..16u8 {
        let mut t = Track::new(&format!("Track {}", ch + 1), ch);
        if programs {
            t.program = Some(ch.wrapping_mul(8) % 128);
        }
        seq.tracks.push(t);
    }
    seq.push_event(0, 0, EventKind::Tempo(500_000));
    let per_track = notes / 16;
    for ch in 0..16usize {
        for i in 0..per_track {
            let (start, len, key) = if ch == 9 {
                (i as u64 * 240, 120, [36u8, 42, 38, 42][i % 4])
            } else if ch % 4 == 3 {
                // Chords: three notes a half note apart.
                ((i / 3) as u64 * 960, 900, 48 + [0u8, 4, 7][i % 3] + (i / 3 % 5) as u8)
            } else {
                (i as u64 * 240, 200, 36 + ((i * 7 + ch * 5) % 48) as u8)
            };
            seq.push_note(ch, start, len, key, 70 + (i % 50) as u8);
        }
        if ch != 9 {
            seq.push_event(ch, 0, EventKind::Controller { channel: ch as u8, controller: 10, value: (ch * 8) as u8 });
        }
    }
    seq
}

fn bench(c: &mut Criterion) {
    c.bench_function("10k_notes_create_write_read", |b| {
        b.iter(|| {
            let seq = song(10_000, true);
            let bytes = smf_bytes(&seq).expect("write");
            let back = parse_smf(&bytes).expect("read");
            black_box(back.note_count())
        })
    });

    // About 30 s of music: 16 channels, ~1,900 notes, ~14 notes sounding at once plus tails.
    let render_song = song(1_920, true);
    let map = render_song.tempo_map();
    let seconds = map.tick_to_seconds(render_song.end_tick());
    println!("render song: {:.1} s, {} notes", seconds, render_song.note_count());
    let mut g = c.benchmark_group("render");
    g.sample_size(10);
    g.bench_function("render_30s_builtin_48k_stereo", |b| {
        b.iter(|| {
            let mut sum = 0.0f32;
            let stats = render_offline(&render_song, Synth::builtin(), 48_000, &mut |_, _| {}, &mut |block| {
                sum += block.first().copied().unwrap_or(0.0);
                Ok(())
            })
            .expect("render");
            black_box((stats, sum))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);

/// `MIDI_BENCH_ONCE=smf|render` runs that workload once without criterion, for
/// instruction counts (`perf stat -e instructions`, `valgrind --tool=callgrind`)
/// that do not depend on the machine's load.
fn main() {
    match std::env::var("MIDI_BENCH_ONCE").as_deref() {
        Ok("smf") => {
            let seq = song(10_000, true);
            let bytes = smf_bytes(&seq).expect("write");
            let back = parse_smf(&bytes).expect("read");
            println!("{} notes, {} bytes", back.note_count(), bytes.len());
        }
        Ok("render") => {
            let seq = song(1_920, true);
            let mut sum = 0.0f64;
            let stats = render_offline(&seq, Synth::builtin(), 48_000, &mut |_, _| {}, &mut |block| {
                sum += block.iter().map(|x| f64::from(*x)).sum::<f64>();
                Ok(())
            })
            .expect("render");
            println!("{} frames, peak {:.4}, sum {sum:.6}", stats.frames, stats.peak);
        }
        _ => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
