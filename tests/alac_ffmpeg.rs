//! The ALAC writer against ffmpeg: files written by CoreMusic (16, 20, 24 and
//! 32 bits; 1 to 6 channels; odd lengths; full-scale squares and noise) must
//! decode bit-exactly with ffmpeg, and ffprobe must report their codec, rate
//! and exact length. Skipped (with a note) without ffmpeg/ffprobe.

mod common;

use std::process::Command;

use common::tools::{have, int_signal, Rng};
use coremusic::format::SampleFormat;
use coremusic::io::{create_writer, OutputFormat, WriterSpec};

fn full_scale(bits: u32) -> (i32, i32) {
    let hi = if bits == 32 { i32::MAX } else { (1 << (bits - 1)) - 1 };
    (-hi - 1, hi)
}

/// Encodes `samples` to ALAC in an M4A file at `path`, in uneven write calls.
fn encode(path: &std::path::Path, samples: &[i32], channels: u16, bits: u32) {
    let sample = match bits {
        16 => SampleFormat::S16,
        20 | 24 => SampleFormat::S24,
        _ => SampleFormat::S32,
    };
    let spec = WriterSpec {
        format: OutputFormat::Alac,
        sample_rate: 48000,
        channels,
        sample,
        bits: if bits == sample.bits() { None } else { Some(bits) },

        expected_frames: None,
    };
    let file = std::fs::File::create(path).expect("create");
    let mut w = create_writer(Box::new(std::io::BufWriter::new(file)), spec).expect("writer");
    for chunk in samples.chunks(1234 * usize::from(channels)) {
        w.write_i32(chunk).expect("write");
    }
    w.finish().expect("finish");
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
                let mut s = int_signal(frames, ch, bits, 3 + frames as u64);
                if frames > 10_000 {
                    // A stretch of full-scale square and of noise too.
                    let (lo, hi) = full_scale(bits);
                    let mut rng = Rng(7);
                    for (i, v) in s[..5000 * ch].iter_mut().enumerate() {
                        *v = if (i / ch / 30) % 2 == 0 { hi } else { lo };
                    }
                    for v in &mut s[20_000 * ch..30_000 * ch] {
                        *v = (rng.next_u64() >> 32) as i32 >> (32 - bits);
                    }
                }
                let path = dir.path().join(format!("t{bits}_{channels}_{frames}.m4a"));
                encode(&path, &s, channels, bits);
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

/// ffmpeg orders 3 to 6 ALAC channels as symphonia does (they part at 7 and 8).
#[test]
fn ffmpeg_decodes_multichannel() {
    if !have("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for channels in 3u16..=6 {
        let s = int_signal(6000, channels as usize, 24, u64::from(channels) * 3);
        let path = dir.path().join(format!("m{channels}.m4a"));
        encode(&path, &s, channels, 24);
        let got = ffmpeg_decode(&path);
        let want: Vec<i32> = s.iter().map(|&v| v << 8).collect();
        assert!(got == want, "{channels} channels differ");
    }
}
