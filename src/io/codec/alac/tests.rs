//! Round trips of [`AlacM4aWriter`] through symphonia (via `io::open_source`),
//! on signals generated here (`tests/alac_ffmpeg.rs` checks them against ffmpeg).

use super::*;
use crate::format::SampleFormat;
use crate::io::writer::OutputFormat;
use crate::io::{open_source, Source};
use std::io::Cursor;
use std::sync::{Arc, Mutex};

/// A sink whose bytes stay readable after the writer is dropped.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Cursor<Vec<u8>>>>);

impl std::io::Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.write(b)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::io::Seek for Shared {
    fn seek(&mut self, p: std::io::SeekFrom) -> std::io::Result<u64> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.seek(p)
    }
}

fn spec(channels: u16, bits: u32, rate: u32) -> WriterSpec {
    let sample = match bits {
        16 => SampleFormat::S16,
        20 | 24 => SampleFormat::S24,
        _ => SampleFormat::S32,
    };
    WriterSpec {
        format: OutputFormat::Wav,
        sample_rate: rate,
        channels,
        sample,
        bits: if bits == sample.bits() { None } else { Some(bits) },
        expected_frames: None,
    }
}

use crate::test_support::Rng;

/// Music-like: a few enveloped sines per channel plus a little noise, at `bits`.
pub(super) fn music(frames: usize, channels: usize, bits: u32, seed: u64) -> Vec<i32> {
    let mut rng = Rng(seed | 1);
    let full = ((1i64 << (bits - 1)) - 1) as f64;
    let mut out = Vec::with_capacity(frames * channels);
    for f in 0..frames {
        let t = f as f64 / 44100.0;
        for c in 0..channels {
            let env = 0.5 + 0.5 * (t * 0.7 + c as f64).sin();
            let v = 0.3 * env * (2.0 * std::f64::consts::PI * 220.0 * t).sin()
                + 0.15 * (2.0 * std::f64::consts::PI * (330.0 + 50.0 * c as f64) * t).sin() * (1.0 - env)
                + 0.1 * (2.0 * std::f64::consts::PI * 1250.0 * t).sin() * env * env;
            let n = rng.noise((full * 0.0005) as i64 + 1);
            out.push(((v * full) as i64 + n).clamp(-(full as i64) - 1, full as i64) as i32);
        }
    }
    out
}

fn encode(samples: &[i32], channels: u16, bits: u32, rate: u32) -> Vec<u8> {
    let sink = Shared::default();
    let mut w = Box::new(AlacM4aWriter::new(Box::new(sink.clone()), spec(channels, bits, rate)).expect("writer"));
    // Uneven write calls.
    let mut rest = samples;
    let step = 1234 * usize::from(channels);
    while !rest.is_empty() {
        let take = step.min(rest.len());
        w.write_i32(&rest[..take]).expect("write");
        rest = &rest[take..];
    }
    w.finish().expect("finish");
    let bytes = sink.0.lock().expect("lock").get_ref().clone();
    bytes
}

fn decode_symphonia(bytes: Vec<u8>) -> (Vec<i32>, crate::io::StreamInfo) {
    let mut r = open_source(Source::memory(bytes)).expect("open");
    let info = r.info().clone();
    let ch = info.channels();
    let mut out = Vec::new();
    let mut buf = vec![0i32; 4096 * ch.max(1)];
    loop {
        let n = r.read_i32(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n * ch]);
    }
    (out, info)
}

fn round_trip(samples: &[i32], channels: u16, bits: u32) {
    let bytes = encode(samples, channels, bits, 44100);
    let (got, info) = decode_symphonia(bytes);
    assert_eq!(info.frames, Some((samples.len() / channels as usize) as u64), "frame count");
    assert_eq!(got.len(), samples.len(), "{channels} ch {bits} bit length");
    if let Some(i) = got.iter().zip(samples).position(|(a, b)| a != b) {
        panic!("{channels} ch {bits} bit: first difference at sample {i}: {} vs {}", got[i], samples[i]);
    }
}

#[test]
fn symphonia_round_trips_all_depths_and_lengths() {
    for bits in [16, 20, 24, 32] {
        for channels in [1u16, 2] {
            for frames in [0usize, 1, 2, 9, 4095, 4096, 4097, 3 * 44100 + 17] {
                let s = music(frames, channels as usize, bits, frames as u64 + u64::from(bits));
                round_trip(&s, channels, bits);
            }
        }
    }
}

fn full_scale(bits: u32) -> (i32, i32) {
    let hi = if bits == 32 { i32::MAX } else { (1 << (bits - 1)) - 1 };
    (-hi - 1, hi)
}

#[test]
fn silence_square_and_noise_round_trip() {
    for bits in [16, 20, 24, 32] {
        let (lo, hi) = full_scale(bits);
        for channels in [1u16, 2] {
            let ch = channels as usize;
            let frames = 10_000;
            round_trip(&vec![0; frames * ch], channels, bits);
            let square: Vec<i32> = (0..frames * ch).map(|i| if (i / ch / 50) % 2 == 0 { hi } else { lo }).collect();
            round_trip(&square, channels, bits);
            let mut rng = Rng(99 + u64::from(bits));
            let noise: Vec<i32> = (0..frames * ch)
                .map(|_| if bits == 32 { rng.next() as i32 } else { rng.noise(i64::from(hi)) as i32 })
                .collect();
            round_trip(&noise, channels, bits);
            // Opposite full-scale channels stress the mixer.
            let anti: Vec<i32> = (0..frames * ch).map(|i| if i % 2 == 0 { hi } else { lo }).collect();
            round_trip(&anti, channels, bits);
        }
    }
}

#[test]
fn multichannel_round_trips() {
    for channels in 3u16..=8 {
        let s = music(9000, channels as usize, 16, u64::from(channels));
        round_trip(&s, channels, 16);
        let s = music(5000, channels as usize, 24, u64::from(channels) + 7);
        round_trip(&s, channels, 24);
    }
}

#[test]
fn compresses_music() {
    let s = music(44100 * 2, 2, 16, 5);
    let bytes = encode(&s, 2, 16, 44100);
    assert!(bytes.len() * 2 < s.len() * 2, "{} bytes for {} samples", bytes.len(), s.len());
}

#[test]
fn refuses_what_alac_cannot_store() {
    let sink = || Box::new(Shared::default()) as Box<dyn WriteSeek>;
    let mut f = spec(2, 32, 44100);
    f.sample = SampleFormat::F32;
    assert!(matches!(AlacM4aWriter::new(sink(), f), Err(WriteError::Unsupported(_))));
    let mut s8 = spec(2, 16, 44100);
    s8.bits = Some(12);
    assert!(matches!(AlacM4aWriter::new(sink(), s8), Err(WriteError::Unsupported(_))));
    assert!(matches!(AlacM4aWriter::new(sink(), spec(9, 16, 44100)), Err(WriteError::Unsupported(_))));
    assert!(matches!(AlacM4aWriter::new(sink(), spec(2, 16, 400_000)), Err(WriteError::Unsupported(_))));
    let mut w = AlacM4aWriter::new(sink(), spec(2, 16, 44100)).expect("writer");
    assert!(w.write_i32(&[40000, 0]).is_err());
    assert!(w.write_i32(&[1]).is_err());
}
