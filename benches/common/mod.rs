//! What the benches share: the generated test WAVs, kept between runs in the
//! temporary folder.

use std::path::{Path, PathBuf};

use coremusic::format::SampleFormat;
use coremusic::io::{OutputFormat, WriterSpec};

/// Writes `frames` of 16-bit stereo 44.1 kHz noise under a slow envelope (cached between runs).
pub fn test_wav(dir: &Path, name: &str, frames: u64) -> PathBuf {
    let path = dir.join(name);
    if std::fs::metadata(&path).is_ok_and(|m| m.len() >= frames * 4) {
        return path;
    }
    let file = std::fs::File::create(&path).expect("create bench file");
    let spec = WriterSpec::new(OutputFormat::Wav, 44100, 2, SampleFormat::S16);
    let mut w = coremusic::io::create_writer(Box::new(std::io::BufWriter::new(file)), spec).expect("writer");
    let mut buf = Vec::with_capacity(2 * 65536);
    let mut seed = 1u32;
    let mut start = 0u64;
    while start < frames {
        buf.clear();
        let n = (frames - start).min(65536);
        let env = 0.2 + 0.7 * ((start as f32 / 44100.0 / 7.0).sin() * 0.5 + 0.5);
        for _ in 0..n {
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            let s = env * ((seed >> 16) as f32 / 32768.0 - 1.0);
            buf.push(s);
            buf.push(0.5 * s);
        }
        w.write_f32(&buf).expect("write");
        start += n;
    }
    w.finish().expect("finish");
    path
}

pub fn bench_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("coremusic-bench");
    std::fs::create_dir_all(&dir).expect("bench dir");
    dir
}
