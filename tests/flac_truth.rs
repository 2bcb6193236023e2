//! FLAC files told truly, through the command line as a user meets them:
//! a file cut short reports the length really there (and what its header
//! claimed) in `info`, `info --json`, and agrees with `convert` and a
//! decode to the end; `info --verify` checks STREAMINFO's MD5 as `flac -t`
//! does; a sample rate of 0 is damage, not "0 Hz". Every file is made here
//! by the project's own encoder, then cut or patched.

mod common;

use common::flac::{crc16, crc8};

use std::path::{Path, PathBuf};
use std::process::Command;

use coremusic::format::SampleFormat;
use coremusic::io::{create_writer, AudioFile, OutputFormat, WriterSpec};

/// Music-like 16-bit stereo, `frames` long, with a noisy stretch (raw-coded
/// subframes, where one flipped bit changes one sample).
fn signal(frames: usize) -> Vec<i32> {
    let mut seed = 7u32;
    let mut out = Vec::with_capacity(frames * 2);
    for i in 0..frames {
        seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
        let noise = (seed >> 16) as i32 - 32768;
        let t = i as f64 / 44100.0;
        let tone = ((t * 440.0 * std::f64::consts::TAU).sin() * 12000.0) as i32;
        let v = if (i / 8192) % 3 == 1 { noise } else { tone + noise / 64 };
        out.push(v.clamp(-32768, 32767));
        out.push((v / 2).clamp(-32768, 32767));
    }
    out
}

/// Encodes with the project's own FLAC encoder.
fn encode(path: &Path, samples: &[i32]) -> Vec<u8> {
    let spec = WriterSpec::new(OutputFormat::Flac, 44100, 2, SampleFormat::S16);
    let mut w = create_writer(Box::new(std::fs::File::create(path).unwrap()), spec).unwrap();
    w.write_i32(samples).unwrap();
    w.finish().unwrap();
    std::fs::read(path).unwrap()
}

fn coremusic(args: &[&str], files: &[&Path]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_coremusic")).args(args).args(files).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str], file: &Path) -> (i32, serde_json::Value) {
    let (code, out, err) = coremusic(args, &[file]);
    let v = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    (code, v)
}

fn decoded_frames(path: &Path) -> u64 {
    let mut f = AudioFile::open(path).unwrap();
    let n = f.read_all_i32().unwrap().len() as u64;
    n / f.channels() as u64
}

/// Where each frame starts: frame `k` (fewer than 128 here, so a one-byte
/// number) is the first sync after frame `k - 1` whose number is `k` and
/// whose header CRC-8 checks out (our encoder's headers are 6 bytes).
fn frame_starts(bytes: &[u8], audio_start: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = audio_start;
    while i + 6 < bytes.len() {
        let k = out.len();
        if bytes[i] == 0xFF
            && bytes[i + 1] == 0xF8
            && bytes[i + 4] as usize == k
            && crc8(&bytes[i..i + 5]) == bytes[i + 5]
        {
            out.push(i);
            i += 6;
        } else {
            i += 1;
        }
    }
    out
}

fn audio_start(bytes: &[u8]) -> usize {
    let mut pos = 4;
    loop {
        let last = bytes[pos] & 0x80 != 0;
        let len = u32::from_be_bytes([0, bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]]) as usize;
        pos += 4 + len;
        if last {
            return pos;
        }
    }
}

/// `info`, `info --json`, a decode to the end and `convert` agree on the
/// length of cut files: inside a frame, at a frame boundary, right after the
/// metadata; the header's claim is a warning.
#[test]
fn cut_files_agree_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full.flac");
    let pcm = signal(441_000); // 10 s
    let bytes = encode(&full, &pcm);
    let start = audio_start(&bytes);
    let frames = frame_starts(&bytes, start);
    assert!(frames.len() > 50);
    let (code, v) = json(&["info", "--json"], &full);
    assert_eq!((code, v["frames"].as_u64()), (0, Some(441_000)));
    assert!(v["warnings"].as_array().unwrap().is_empty(), "{v}");

    let cuts = [start, start + 1, frames[10], frames[40] + 333, bytes.len() * 2 / 5, bytes.len() - 1];
    for (i, &cut) in cuts.iter().enumerate() {
        let p = common::file_with(dir.path(), &format!("cut{i}.flac"), &bytes[..cut]);
        let real = decoded_frames(&p);
        assert!(real < 441_000);
        let (code, v) = json(&["info", "--json"], &p);
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["frames"].as_u64(), Some(real), "cut at {cut}: {v}");
        let dur = v["duration_s"].as_f64().unwrap();
        assert!((dur - real as f64 / 44100.0).abs() < 1e-9, "{v}");
        let warned = v["warnings"].as_array().unwrap().iter().any(|w| {
            let w = w.as_str().unwrap_or("");
            w.contains("STREAMINFO says 441000 frames (0:10.000)") && w.contains("cut short")
        });
        assert!(warned, "{v}");
        let (_, text, _) = coremusic(&["info"], &[&p]);
        assert!(text.contains(&format!("Frames:        {real}\n")), "{text}");
        assert!(text.contains("cut short"), "{text}");
        let out = dir.path().join(format!("cut{i}.wav"));
        let (code, _, err) = coremusic(&["convert", "-o", out.to_str().unwrap()], &[&p]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(decoded_frames(&out), real, "convert of cut {cut}");
    }
}

/// `info --verify`: intact files say so; a frame changed with its CRC-16
/// fixed up decodes cleanly but fails the MD5 ("damaged", exit 1), as
/// `flac -t` says; `convert` warns about it; a WAV has no checksum.
#[test]
fn verify_finds_quiet_damage() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.flac");
    let bytes = encode(&good, &signal(100_000));
    let (code, v) = json(&["info", "--json", "--verify"], &good);
    assert_eq!((code, v["verified"].as_bool()), (0, Some(true)), "{v}");
    let (_, text, _) = coremusic(&["info", "--verify"], &[&good]);
    assert!(text.contains("Integrity:     intact"), "{text}");

    // Frame 2 of 25 lies in the noisy stretch: flip a bit 20 bytes before its CRC-16.
    let starts = frame_starts(&bytes, audio_start(&bytes));
    assert!(starts.len() >= 24, "{}", starts.len());
    let (s, e) = (starts[2], starts[3]);
    let mut bad = bytes.clone();
    bad[e - 20] ^= 0x04;
    let crc = crc16(&bad[s..e - 2]);
    bad[e - 2..e].copy_from_slice(&crc.to_be_bytes());
    let badp = common::file_with(dir.path(), "bad.flac", &bad);
    let (code, v) = json(&["info", "--json", "--verify"], &badp);
    assert_eq!((code, v["verified"].as_bool()), (1, Some(false)), "{v}");
    let ws: Vec<&str> = v["warnings"].as_array().unwrap().iter().filter_map(|w| w.as_str()).collect();
    assert!(ws.iter().any(|w| w.starts_with("damaged: MD5 mismatch")), "{ws:?}");
    assert!(!ws.iter().any(|w| w.contains("CRC")), "the frame must decode cleanly: {ws:?}");
    let (_, text, _) = coremusic(&["info", "--verify"], &[&badp]);
    assert!(text.contains("Integrity:     damaged: MD5 mismatch"), "{text}");
    if common::tools::have("flac") {
        let t = |p: &Path| Command::new("flac").args(["-t", "--silent"]).arg(p).status().unwrap().success();
        assert!(t(&good) && !t(&badp), "flac -t disagrees");
    }
    let out = dir.path().join("bad.wav");
    let (code, o, e) = coremusic(&["convert", "-o", out.to_str().unwrap()], &[&badp]);
    assert_eq!(code, 0);
    assert!(format!("{o}{e}").contains("MD5 mismatch"), "convert must warn: {o} {e}");

    let wav: PathBuf = common::hound_wav(dir.path(), "plain.wav", 44100, 2, 1000);
    let (code, v) = json(&["info", "--json", "--verify"], &wav);
    assert_eq!(code, 0);
    assert!(v["verified"].is_null(), "{v}");
}

/// A FLAC whose STREAMINFO and frame headers both give sample rate 0 is
/// damaged: an error naming the file, exit 1, never "0 Hz".
#[test]
fn sample_rate_zero_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = b"fLaC\x80\x00\x00\x22".to_vec();
    let mut si = vec![0x01, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0, 0];
    // rate 0, 2 channels, 16 bits, 256 samples.
    let v: u64 = (1u64 << 41) | (15u64 << 36) | 256;
    si.extend(v.to_be_bytes());
    si.extend([0u8; 16]);
    f.extend(&si);
    // One frame: 256-sample block (8-bit code), rate "see STREAMINFO", stereo, 16 bits, two CONSTANT subframes.
    let mut fr = vec![0xFF, 0xF8, 0x60, 0x18, 0x00, 0xFF];
    fr.push(crc8(&fr));
    fr.extend([0x00, 0x12, 0x34, 0x00, 0x00, 0x07]);
    let crc = crc16(&fr);
    fr.extend(crc.to_be_bytes());
    f.extend(&fr);
    let p = common::file_with(dir.path(), "rate0.flac", &f);
    let (code, out, err) = coremusic(&["info"], &[&p]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("0 Hz"), "{out}");
    assert!(err.contains("rate0.flac") && err.contains("damaged") && err.contains("sample rate 0"), "{err}");
    // The same frame with 44.1 kHz in STREAMINFO reads fine.
    let mut ok = f.clone();
    ok[18] = 0x0A;
    ok[19] = 0xC4;
    ok[20] = 0x42;
    let p = common::file_with(dir.path(), "rate44k.flac", &ok);
    let (code, v) = json(&["info", "--json"], &p);
    assert_eq!((code, v["sample_rate"].as_u64(), v["frames"].as_u64()), (0, Some(44100), Some(256)), "{v}");
}
