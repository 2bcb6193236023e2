//! Decode throughput: a 10 MB and a 100 MB 16-bit stereo WAV decoded to
//! interleaved f32, through the low-level reader (caller-owned buffer) and
//! the high-level `AudioFile` (chunks, read_all), and through a buffered
//! (not memory-mapped) source. The high-level overhead goal is ≤ 2 %. `benches/compare.sh` puts these next to ffmpeg and `cat`.
//!
//! Run: `cargo bench --bench decode`

use std::hint::black_box;
use std::path::{Path, PathBuf};

use coremusic::format::SampleFormat;
use coremusic::io::{AudioFile, AudioReader, OutputFormat, Source, WriterSpec};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Writes `bytes` of 16-bit stereo 44.1 kHz music-like audio (cached between runs).
fn test_wav(dir: &Path, bytes: usize) -> PathBuf {
    let path = dir.join(format!("bench-{}mb.wav", bytes >> 20));
    if path.exists() {
        return path;
    }
    let frames = bytes / 4;
    let file = std::fs::File::create(&path).expect("create bench file");
    let spec = WriterSpec::new(OutputFormat::Wav, 44100, 2, SampleFormat::S16);
    let mut w = coremusic::io::create_writer(Box::new(std::io::BufWriter::new(file)), spec).expect("writer");
    let mut buf = Vec::with_capacity(8192);
    let mut seed = 1u32;
    for start in (0..frames).step_by(4096) {
        buf.clear();
        for i in start..(start + 4096).min(frames) {
            let t = i as f32 / 44100.0;
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            let noise = (seed >> 16) as f32 / 65536.0 - 0.5;
            let s = 0.4 * (t * 440.0 * std::f32::consts::TAU).sin() + 0.05 * noise;
            buf.push(s);
            buf.push(0.8 * s);
        }
        w.write_f32(&buf).expect("write");
    }
    w.finish().expect("finish");
    path
}

/// Reads `f` to the end through `buf`; the frames read.
fn read_through(f: &mut dyn AudioReader, buf: &mut [f32]) -> usize {
    let mut total = 0usize;
    loop {
        let n = f.read_f32(buf).expect("read");
        if n == 0 {
            return total;
        }
        total += n;
        black_box(&buf);
    }
}

fn decode(c: &mut Criterion) {
    let dir = std::env::temp_dir().join("coremusic-bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    for mb in [10usize, 100] {
        let path = test_wav(&dir, mb << 20);
        let len = std::fs::metadata(&path).expect("stat").len();
        let mut g = c.benchmark_group(format!("decode_wav_s16_stereo_{mb}MB"));
        g.throughput(Throughput::Bytes(len));
        g.sample_size(if mb >= 100 { 10 } else { 30 });
        g.bench_function("low_level_read_f32", |b| {
            let mut buf = vec![0f32; 16384 * 2];
            b.iter(|| read_through(coremusic::io::open(&path).expect("open").as_mut(), &mut buf))
        });
        g.bench_function("high_level_for_each_chunk", |b| {
            b.iter(|| {
                let mut f = AudioFile::open(&path).expect("open");
                f.for_each_chunk(16384, |c| {
                    black_box(c);
                })
                .expect("read")
            })
        });
        g.bench_function("high_level_chunks_iter", |b| {
            b.iter(|| {
                let mut f = AudioFile::open(&path).expect("open");
                f.chunks(16384).map(|c| c.expect("read").len()).sum::<usize>()
            })
        });
        g.bench_function("buffered_read_f32", |b| {
            let mut buf = vec![0f32; 16384 * 2];
            b.iter(|| {
                let source = Source::open_unmapped(&path).expect("open");
                read_through(coremusic::io::open_source(source).expect("open").as_mut(), &mut buf)
            })
        });
        g.finish();
    }
}

criterion_group!(benches, decode);
criterion_main!(benches);
