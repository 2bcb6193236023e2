//! The fuzz targets' reader driver ("open, full decode (bounded), seeks,
//! near seeks, reads" for any [`AudioReader`]), here so that the fuzz crate
//! (`fuzz/`) and the replay of its findings (`tests/fuzz_regressions.rs`)
//! take the same steps. Not part of the supported API.

use super::AudioReader;

/// Read calls in the full decode: far more than any input within the fuzzer's
/// `-max_len` can need (so a reader that never reaches its end is a hang),
/// small enough to keep a run fast.
pub const MAX_CALLS: usize = 4096;
/// Reads after each seek.
pub const CALLS_AFTER_SEEK: usize = 4;
/// Frames per read buffer: odd and small, so block boundaries are crossed mid-buffer.
pub const FRAMES: usize = 37;

/// How exact the reader's length and seeks must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exactness {
    /// A native reader (WAV, AIFF, CAF, FLAC): a seek lands within the stated length.
    Exact,
    /// A symphonia reader: lengths can be estimates, seeks approximate.
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

/// Drives an open reader: a full decode as f32 (at most [`MAX_CALLS`] reads),
/// then seeks to a frame taken from `seed`, the middle, the last frame, the
/// end, past the end, `u64::MAX` and 0, each followed by i32 or f32 reads (a
/// full decode again after the first), then near seeks with a slack taken
/// from `seed`. Every read must fit its buffer; an exact reader must land
/// within its stated length. (A hang is left to libFuzzer's `-timeout`.)
pub fn drive(reader: &mut dyn AudioReader, seed: u64, exactness: Exactness) {
    let channels = reader.info().channels().clamp(1, 256);
    let frames = reader.info().frames;
    // A huge channel count gets a small buffer: keep a run cheap.
    let buf_frames = if channels > 64 { 3 } else { FRAMES };
    let mut f = vec![0f32; channels * buf_frames];
    let mut i = vec![0i32; channels * buf_frames];
    read_f32s(reader, &mut f, buf_frames, MAX_CALLS);
    let known = frames.unwrap_or(0);
    let from_seed = if seed & 1 == 0 { seed % known.saturating_add(1) } else { seed };
    let lands = |at: u64, target: u64, how: &str| {
        if let (Some(total), Exactness::Exact) = (frames, exactness) {
            assert!(at <= total.max(target), "{how}({target}) landed at {at} in a {total}-frame stream");
        }
    };
    let targets = [from_seed, known / 2, known.saturating_sub(1), known, known.saturating_add(1), u64::MAX, 0];
    for (k, &target) in targets.iter().enumerate() {
        if let Ok(at) = reader.seek(target) {
            lands(at, target, "seek");
        }
        let calls = if k == 0 { MAX_CALLS } else { CALLS_AFTER_SEEK };
        if k % 2 == 0 {
            read_i32s(reader, &mut i, buf_frames, calls);
        } else {
            read_f32s(reader, &mut f, buf_frames, calls);
        }
    }
    let slack = (seed >> 8) % known.saturating_add(2);
    for target in [from_seed, known / 3, known.saturating_sub(1), 0] {
        if let Ok(at) = reader.seek_near(target, slack) {
            lands(at, target, "seek_near");
        }
        read_f32s(reader, &mut f, buf_frames, CALLS_AFTER_SEEK);
    }
    let _ = reader.take_warnings();
}

/// A seek target taken from the data's last 8 bytes.
pub fn seed_of(data: &[u8]) -> u64 {
    let mut seed = [0u8; 8];
    let tail = &data[data.len().saturating_sub(8)..];
    seed[..tail.len()].copy_from_slice(tail);
    u64::from_le_bytes(seed)
}
