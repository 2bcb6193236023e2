//! Opens arbitrary bytes with the probe (from a `Source::memory`) and drives
//! whatever reader it picks: f32 reads, seeks to several frames (one taken
//! from the data, the middle, the last frame, the end, past the end, 0) each
//! followed by a few i32 or f32 reads. Any panic, overflow, out-of-bounds
//! access, hang or runaway allocation is a bug.
//!
//! Panics inside symphonia are the exception: `io::symphonia` runs symphonia
//! behind `catch_unwind` and turns them into errors, so the panic hook lets
//! them unwind instead of aborting (a panic codec.rs fails to catch still
//! reaches libfuzzer-sys's own `catch_unwind`, which aborts).
#![no_main]

use coremusic::io::{detect, open_source, AudioReader, Codec, Detected, Source};
use libfuzzer_sys::fuzz_target;

/// Reads in the first pass: enough to walk through a small file, bounded for speed.
const MAX_CALLS: usize = 64;
/// Reads after each seek.
const CALLS_AFTER_SEEK: usize = 4;
/// Frames per read buffer: small, so block boundaries get crossed often.
const FRAMES: usize = 37;

fn read_f32s(reader: &mut dyn AudioReader, buf: &mut [f32], calls: usize) {
    for _ in 0..calls {
        match reader.read_f32(buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => assert!(n <= FRAMES, "read_f32 returned {n} frames for a {FRAMES}-frame buffer"),
        }
    }
}

fn read_i32s(reader: &mut dyn AudioReader, buf: &mut [i32], calls: usize) {
    for _ in 0..calls {
        match reader.read_i32(buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => assert!(n <= FRAMES, "read_i32 returned {n} frames for a {FRAMES}-frame buffer"),
        }
    }
}

/// Wraps libfuzzer-sys's aborting panic hook: panics raised in symphonia's
/// source are left to unwind to codec.rs's panic boundary.
fn let_symphonia_panics_unwind() {
    let aborting = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_symphonia = info.location().is_some_and(|l| l.file().contains("/symphonia"));
        if !in_symphonia {
            aborting(info);
        }
    }));
}

fuzz_target!(init: let_symphonia_panics_unwind(), |data: &[u8]| {
    let Ok(mut reader) = open_source(Source::memory(data.to_vec())) else {
        return;
    };
    let channels = reader.info().channels().clamp(1, 256);
    let frames = reader.info().frames;
    // The native readers state the length exactly and must land within it
    // (symphonia's lengths can be estimates, and its seeks are codec.rs's).
    let native = matches!(
        detect(&data[..data.len().min(64)]),
        Ok(Detected::Wave | Detected::Aiff | Detected::Caf | Detected::Flac)
    )
        && matches!(
            reader.info().codec,
            Codec::Pcm | Codec::Alaw | Codec::Ulaw | Codec::ImaAdpcm | Codec::MsAdpcm | Codec::Flac
        );
    let mut f = vec![0f32; channels * FRAMES];
    let mut i = vec![0i32; channels * FRAMES];
    read_f32s(reader.as_mut(), &mut f, MAX_CALLS);
    // A seek target from the data's last bytes: inside the stream or anywhere.
    let mut seed = [0u8; 8];
    let tail = &data[data.len().saturating_sub(8)..];
    seed[..tail.len()].copy_from_slice(tail);
    let seed = u64::from_le_bytes(seed);
    let known = frames.unwrap_or(0);
    let from_data = if seed & 1 == 0 { seed % known.saturating_add(1) } else { seed };
    let targets = [from_data, known / 2, known.saturating_sub(1), known, known.saturating_add(1), u64::MAX, 0];
    for (k, &target) in targets.iter().enumerate() {
        if let Ok(at) = reader.seek(target) {
            if let (Some(total), true) = (frames, native) {
                assert!(at <= total.max(target), "seek({target}) landed at {at} in a {total}-frame stream");
            }
        }
        if k % 2 == 0 {
            read_i32s(reader.as_mut(), &mut i, if k == 0 { MAX_CALLS } else { CALLS_AFTER_SEEK });
        } else {
            read_f32s(reader.as_mut(), &mut f, CALLS_AFTER_SEEK);
        }
    }
    let _ = reader.take_warnings();
});
