//! Round trips of [`AlacM4aWriter`] through symphonia (via `io::open_source`)
//! and ffmpeg, on signals generated here.

use super::*;
use crate::format::SampleFormat;
use crate::io::writer::OutputFormat;
use crate::io::{open_source, Source};
use std::io::Cursor;
use std::process::Command;
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

fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("-version").output().map(|o| o.status.success()).unwrap_or(false);
    if !ok {
        eprintln!("note: {tool} not on PATH, skipping");
    }
    ok
}

fn ffmpeg_decode(path: &std::path::Path) -> Vec<i32> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "s32le", "-"])
        .output()
        .expect("ffmpeg");
    assert!(out.status.success(), "ffmpeg on {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    out.stdout.chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

#[test]
fn ffmpeg_decodes_bit_exactly() {
    if !have("ffmpeg") || !have("ffprobe") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for bits in [16, 20, 24, 32] {
        for channels in [1u16, 2] {
            for frames in [1usize, 4095, 4097, 2 * 48000 + 5] {
                let ch = channels as usize;
                let mut s = music(frames, ch, bits, 3 + frames as u64);
                if frames > 10_000 {
                    // A stretch of full-scale square and of noise too.
                    let (lo, hi) = full_scale(bits);
                    let mut rng = Rng(7);
                    for (i, v) in s[..5000 * ch].iter_mut().enumerate() {
                        *v = if (i / ch / 30) % 2 == 0 { hi } else { lo };
                    }
                    for v in &mut s[20_000 * ch..30_000 * ch] {
                        *v = (rng.next() >> 32) as i32 >> (32 - bits);
                    }
                }
                let bytes = encode(&s, channels, bits, 48000);
                let path = dir.path().join(format!("t{bits}_{channels}_{frames}.m4a"));
                std::fs::write(&path, &bytes).expect("write");
                if std::env::var_os("ALAC_KEEP").is_some() {
                    std::fs::write(std::env::temp_dir().join(path.file_name().expect("name")), &bytes).expect("keep");
                }
                let got = ffmpeg_decode(&path);
                let want: Vec<i32> = s.iter().map(|&v| v << (32 - bits)).collect();
                assert_eq!(got.len(), want.len(), "{bits} bit {channels} ch {frames} frames: length");
                if let Some(i) = got.iter().zip(&want).position(|(a, b)| a != b) {
                    panic!("{bits} bit {channels} ch {frames}: ffmpeg differs at {i}: {} vs {}", got[i], want[i]);
                }
                let probe = Command::new("ffprobe")
                    .args([
                        "-v",
                        "error",
                        "-show_entries",
                        "stream=codec_name,duration_ts,sample_rate,channels",
                        "-of",
                        "csv=p=0",
                    ])
                    .arg(&path)
                    .output()
                    .expect("ffprobe");
                let text = String::from_utf8_lossy(&probe.stdout).to_string();
                assert!(text.starts_with("alac,48000,"), "ffprobe says {text}");
                assert!(text.trim().ends_with(&format!(",{frames}")), "ffprobe says {text}");
            }
        }
    }
}

/// Speed and size against `ffmpeg -c:a alac` on 100 MB of 16-bit stereo.
/// Run with `cargo test --release --lib io::codec::alac::tests::bench -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_against_ffmpeg() {
    if !have("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let frames = 100 * 1024 * 1024 / 4;
    let s = music(frames, 2, 16, 11);
    let wav = dir.path().join("in.wav");
    let mut hw = hound::WavWriter::create(
        &wav,
        hound::WavSpec {
            channels: 2,
            sample_rate: 44100,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        },
    )
    .expect("wav");
    for &v in &s {
        hw.write_sample(v as i16).expect("wav write");
    }
    hw.finalize().expect("wav finalize");

    let ours = dir.path().join("ours.m4a");
    let t = std::time::Instant::now();
    let file = std::io::BufWriter::new(std::fs::File::create(&ours).expect("create"));
    let mut w = Box::new(AlacM4aWriter::new(Box::new(file), spec(2, 16, 44100)).expect("writer"));
    for chunk in s.chunks(65536) {
        w.write_i32(chunk).expect("write");
    }
    w.finish().expect("finish");
    let our_time = t.elapsed();

    let theirs = dir.path().join("ffmpeg.m4a");
    let t = std::time::Instant::now();
    let st = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&wav)
        .args(["-c:a", "alac"])
        .arg(&theirs)
        .status()
        .expect("ffmpeg");
    let ff_time = t.elapsed();
    assert!(st.success());
    let a = std::fs::metadata(&ours).expect("meta").len();
    let b = std::fs::metadata(&theirs).expect("meta").len();
    eprintln!(
        "ours: {a} bytes in {our_time:.2?}; ffmpeg: {b} bytes in {ff_time:.2?}; size ratio {:.4}",
        a as f64 / b as f64
    );
    let got = ffmpeg_decode(&ours);
    assert!(got.len() == s.len() && got.iter().zip(&s).all(|(&g, &v)| g == v << 16), "ffmpeg decode differs");
}

/// ffmpeg orders 3 to 6 ALAC channels as symphonia does (they part at 7 and 8).
#[test]
fn ffmpeg_decodes_multichannel() {
    if !have("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for channels in 3u16..=6 {
        let s = music(6000, channels as usize, 24, u64::from(channels) * 3);
        let path = dir.path().join(format!("m{channels}.m4a"));
        std::fs::write(&path, encode(&s, channels, 24, 48000)).expect("write");
        let got = ffmpeg_decode(&path);
        let want: Vec<i32> = s.iter().map(|&v| v << 8).collect();
        assert!(got == want, "{channels} channels differ");
    }
}
