//! Test data made at test time: small signals written by hound (an
//! independent writer) and broken files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A hound writer of `bits`-bit integer PCM at `path`.
pub fn hound_int(
    path: &Path,
    rate: u32,
    channels: u16,
    bits: u16,
) -> hound::WavWriter<std::io::BufWriter<std::fs::File>> {
    let spec =
        hound::WavSpec { channels, sample_rate: rate, bits_per_sample: bits, sample_format: hound::SampleFormat::Int };
    hound::WavWriter::create(path, spec).expect("hound create")
}

/// A 16-bit WAV of a 440 Hz sine written by hound.
pub fn hound_wav(dir: &Path, name: &str, rate: u32, channels: u16, frames: u32) -> PathBuf {
    let path = dir.join(name);
    let mut w = hound_int(&path, rate, channels, 16);
    for i in 0..frames {
        let v = ((i as f32 * 440.0 / rate as f32 * std::f32::consts::TAU).sin() * 12000.0) as i16;
        for c in 0..channels {
            w.write_sample(v / (c as i16 + 1)).expect("hound write");
        }
    }
    w.finalize().expect("hound finalize");
    path
}

/// `seconds` of a `freq` Hz sine of peak `amplitude` (1 is full scale), the
/// same on each of `channels`, 48 kHz 24-bit, written by hound.
pub fn hound_sine24(dir: &Path, name: &str, channels: u16, freq: f64, amplitude: f64, seconds: f64) -> PathBuf {
    let path = dir.join(name);
    let mut w = hound_int(&path, 48000, channels, 24);
    for i in 0..(48000.0 * seconds) as usize {
        let x = amplitude * (std::f64::consts::TAU * freq * i as f64 / 48000.0).sin();
        let s = (x * 8_388_607.0).round() as i32;
        for _ in 0..channels {
            w.write_sample(s).expect("hound write");
        }
    }
    w.finalize().expect("hound finalize");
    path
}

/// A file holding `bytes`.
pub fn file_with(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}
pub mod flac;
#[cfg(feature = "gui")]
pub mod gui;
pub mod tools;
