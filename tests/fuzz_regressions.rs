//! Every input that once crashed a fuzz target (`fuzz/`), replayed through
//! the library with the same steps the target takes. `drive` is a copy of
//! `fuzz/src/lib.rs`'s driver (the fuzz crate is a workspace of its own and
//! links libFuzzer, so it cannot be a dependency here): change both together.
//!
//! A regression whose bug is not fixed yet is `#[ignore = "BUG: ..."]`.

use std::path::Path;

use coremusic::io::{detect, open_source, AudioReader, Codec, Detected, Source};

const MAX_CALLS: usize = 4096;
const CALLS_AFTER_SEEK: usize = 4;
const FRAMES: usize = 37;

#[derive(Clone, Copy, PartialEq)]
enum Exactness {
    Exact,
    Estimated,
}

fn read_f32s(reader: &mut dyn AudioReader, buf: &mut [f32], frames: usize, calls: usize) {
    for _ in 0..calls {
        match reader.read_f32(buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => assert!(n <= frames, "read_f32 returned {n} frames for a {frames}-frame buffer"),
        }
    }
}

fn read_i32s(reader: &mut dyn AudioReader, buf: &mut [i32], frames: usize, calls: usize) {
    for _ in 0..calls {
        match reader.read_i32(buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => assert!(n <= frames, "read_i32 returned {n} frames for a {frames}-frame buffer"),
        }
    }
}

/// The fuzz driver: bounded full decode, seeks, reads.
fn drive(reader: &mut dyn AudioReader, seed: u64, exactness: Exactness) {
    let channels = reader.info().channels().clamp(1, 256);
    let frames = reader.info().frames;
    let buf_frames = if channels > 64 { 3 } else { FRAMES };
    let mut f = vec![0f32; channels * buf_frames];
    let mut i = vec![0i32; channels * buf_frames];
    read_f32s(reader, &mut f, buf_frames, MAX_CALLS);
    let known = frames.unwrap_or(0);
    let from_seed = if seed & 1 == 0 { seed % known.saturating_add(1) } else { seed };
    let targets = [from_seed, known / 2, known.saturating_sub(1), known, known.saturating_add(1), u64::MAX, 0];
    for (k, &target) in targets.iter().enumerate() {
        if let Ok(at) = reader.seek(target) {
            if let (Some(total), Exactness::Exact) = (frames, exactness) {
                assert!(at <= total.max(target), "seek({target}) landed at {at} in a {total}-frame stream");
            }
        }
        let calls = if k == 0 { MAX_CALLS } else { CALLS_AFTER_SEEK };
        if k % 2 == 0 {
            read_i32s(reader, &mut i, buf_frames, calls);
        } else {
            read_f32s(reader, &mut f, buf_frames, calls);
        }
    }
    let _ = reader.take_warnings();
}

fn seed_of(data: &[u8]) -> u64 {
    let mut seed = [0u8; 8];
    let tail = &data[data.len().saturating_sub(8)..];
    seed[..tail.len()].copy_from_slice(tail);
    u64::from_le_bytes(seed)
}

/// What `probe_open`, `alac`, `adpcm` and `g711` do (the last two after
/// building their header: the bytes kept here are the whole file).
fn probe_and_drive(data: &[u8]) {
    let Ok(mut reader) = open_source(Source::memory(data.to_vec())) else {
        return;
    };
    let native_container = matches!(
        detect(&data[..data.len().min(64)]),
        Ok(Detected::Wave | Detected::Aiff | Detected::Caf | Detected::Flac)
    );
    let native_codec = matches!(
        reader.info().codec,
        Codec::Pcm | Codec::Alaw | Codec::Ulaw | Codec::ImaAdpcm | Codec::MsAdpcm | Codec::Flac
    );
    let exactness = if native_container && native_codec { Exactness::Exact } else { Exactness::Estimated };
    drive(reader.as_mut(), seed_of(data), exactness);
}

/// What the single-reader targets (`wav`, `aiff`, `caf`, `flac`, `mp4`, `mp3`, `ogg_opus`) do.
fn open_and_drive(data: &[u8], exactness: Exactness, open: impl FnOnce(Source) -> Option<Box<dyn AudioReader>>) {
    if let Some(mut reader) = open(Source::memory(data.to_vec())) {
        drive(reader.as_mut(), seed_of(data), exactness);
    }
}

#[allow(dead_code)]
fn boxed<R: AudioReader + 'static, E>(r: Result<R, E>) -> Option<Box<dyn AudioReader>> {
    r.ok().map(|r| Box::new(r) as Box<dyn AudioReader>)
}

/// What the `preset` target does.
#[allow(dead_code)]
fn preset(text: &str) {
    use coremusic::convert::ConvertOptions;
    let path = Path::new("fuzz.toml");
    if let Ok(options) = ConvertOptions::from_toml_str(text, path) {
        let dir = tempfile::tempdir().unwrap();
        let saved = dir.path().join("p.toml");
        options.save(&saved).unwrap();
        assert_eq!(ConvertOptions::load(&saved).unwrap(), options);
    }
}

/// Decodes base64 (the regressions are stored as text).
#[allow(dead_code)]
fn b64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=').map(val).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (k, &d)| n | (u32::from(d) << (18 - 6 * k)));
        out.extend(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[test]
fn the_driver_runs_on_trivial_inputs() {
    for data in [&b""[..], b"RIFF", b"fLaC\0\0\0\x22", b"caff\0\x01\0\0", b"FORM\0\0\0\x04AIFC"] {
        probe_and_drive(data);
        open_and_drive(data, Exactness::Estimated, |s| open_source(s).ok());
    }
    assert_eq!(b64("TWFu"), b"Man");
    assert_eq!(b64("TWE="), b"Ma");
}
