//! Codec throughput: the ALAC and FLAC encoders (10 MB of 16-bit stereo
//! into an M4A or FLAC file held in memory; FLAC's includes the STREAMINFO
//! MD5) and the Opus decoder (a 60 s stereo 128 kb/s file made by
//! ffmpeg's libopus; skipped with a note when ffmpeg or libopus is missing).
//! `benches/compare.sh` puts CoreMusic next to ffmpeg on the same material.
//!
//! Run: `cargo bench --bench codecs`

use std::hint::black_box;
use std::io::Cursor;
use std::path::PathBuf;
use std::process::Command;

use coremusic::format::SampleFormat;
use coremusic::io::{create_writer, OutputFormat, WriterSpec};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Music-like 16-bit stereo: two tones, one enveloped, and a little noise.
fn music(frames: usize) -> Vec<i32> {
    let mut seed = 11u32;
    let mut out = Vec::with_capacity(frames * 2);
    for f in 0..frames {
        let t = f as f64 / 44100.0;
        seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
        let noise = f64::from(seed >> 16) / 65536.0 - 0.5;
        let env = 0.5 + 0.5 * (t * 0.7).sin();
        let v =
            0.3 * env * (t * 220.0 * std::f64::consts::TAU).sin() + 0.15 * (t * 330.0 * std::f64::consts::TAU).sin();
        out.push(((v + 0.001 * noise) * 32767.0) as i32);
        out.push(((0.8 * v - 0.001 * noise) * 32767.0) as i32);
    }
    out
}

/// 10 MB of 16-bit stereo encoded to `format` into a file held in memory.
fn encode_10mb(c: &mut Criterion, format: OutputFormat, group: &str) {
    let samples = music(10 * 1024 * 1024 / 4);
    let spec = WriterSpec::new(format, 44100, 2, SampleFormat::S16);
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Bytes((samples.len() * 2) as u64));
    g.sample_size(10);
    g.bench_function("coremusic", |b| {
        b.iter(|| {
            let sink = Cursor::new(Vec::with_capacity(8 << 20));
            let mut w = create_writer(Box::new(sink), spec).expect("writer");
            for chunk in samples.chunks(65536) {
                w.write_i32(chunk).expect("write");
            }
            w.finish().expect("finish");
        })
    });
    g.finish();
}

fn alac_encode(c: &mut Criterion) {
    encode_10mb(c, OutputFormat::Alac, "alac_encode_s16_stereo_10MB");
}

/// FLAC at the default level, STREAMINFO MD5 included (`flac -5`'s work).
fn flac_encode(c: &mut Criterion) {
    encode_10mb(c, OutputFormat::Flac, "flac_encode_s16_stereo_10MB");
}

/// A 60 s stereo Opus file made by ffmpeg (cached between runs), if it can.
fn opus_file() -> Option<PathBuf> {
    let dir = std::env::temp_dir().join("coremusic-bench");
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("bench-60s.opus");
    if path.exists() {
        return Some(path);
    }
    let graph = "sine=f=440:d=60[a];sine=f=1234:d=60[b];anoisesrc=d=60:c=pink:a=0.1:seed=1[c];\
                 [a][b][c]amix=inputs=3,aformat=channel_layouts=stereo";
    let made = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-filter_complex", graph, "-c:a", "libopus", "-b:a", "128k"])
        .arg(&path)
        .status()
        .is_ok_and(|s| s.success());
    made.then_some(path)
}

fn opus_decode(c: &mut Criterion) {
    let Some(path) = opus_file() else {
        eprintln!("note: no ffmpeg with libopus to make the Opus file; opus_decode skipped");
        return;
    };
    let mut g = c.benchmark_group("opus_decode_stereo_60s");
    g.throughput(Throughput::Elements(60 * 48000));
    g.sample_size(10);
    g.bench_function("coremusic", |b| {
        let mut buf = vec![0f32; 4096 * 2];
        b.iter(|| {
            let mut r = coremusic::io::open(&path).expect("open");
            let mut frames = 0usize;
            loop {
                let n = r.read_f32(&mut buf).expect("read");
                if n == 0 {
                    break;
                }
                frames += n;
            }
            black_box(frames)
        })
    });
    g.finish();
}

criterion_group!(benches, alac_encode, flac_encode, opus_decode);
criterion_main!(benches);
