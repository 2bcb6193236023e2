//! Opens arbitrary bytes with the probe and drives whatever reader it picks:
//! f32 reads, a seek to a frame taken from the data, i32 reads. Any panic,
//! overflow, out-of-bounds access or runaway allocation is a bug.
#![no_main]

use coremusic::io::{open_source, Source};
use libfuzzer_sys::fuzz_target;

/// Reads per phase: enough to walk through a small file, bounded for speed.
const MAX_CALLS: usize = 64;
/// Frames per read buffer: small, so block boundaries get crossed often.
const FRAMES: usize = 37;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = open_source(Source::memory(data.to_vec())) else {
        return;
    };
    let channels = reader.info().channels().clamp(1, 256);
    let frames = reader.info().frames;
    let mut f = vec![0f32; channels * FRAMES];
    for _ in 0..MAX_CALLS {
        match reader.read_f32(&mut f) {
            Ok(0) | Err(_) => break,
            Ok(n) => assert!(
                n <= FRAMES,
                "read_f32 returned {n} frames for a {FRAMES}-frame buffer"
            ),
        }
    }
    // A seek target from the data's last bytes: inside the stream or anywhere.
    let mut seed = [0u8; 8];
    let tail = &data[data.len().saturating_sub(8)..];
    seed[..tail.len()].copy_from_slice(tail);
    let seed = u64::from_le_bytes(seed);
    let target = if seed & 1 == 0 {
        seed % frames.unwrap_or(0).saturating_add(1)
    } else {
        seed
    };
    let _ = reader.seek(target);
    let mut i = vec![0i32; channels * FRAMES];
    for _ in 0..MAX_CALLS {
        match reader.read_i32(&mut i) {
            Ok(0) | Err(_) => break,
            Ok(n) => assert!(
                n <= FRAMES,
                "read_i32 returned {n} frames for a {FRAMES}-frame buffer"
            ),
        }
    }
    let _ = reader.seek(0);
    let _ = reader.read_f32(&mut f);
    let _ = reader.take_warnings();
});
