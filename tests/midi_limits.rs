//! Counts taken from a MIDI file drive no allocation beyond what the file's
//! size can hold (issue 12, item 8): a file of a million empty `MTrk` chunks
//! once made a million tracks with 64 KB of note bookkeeping each. A counting
//! allocator measures the bytes asked for while the file is parsed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use coremusic::midi::{parse_smf, MAX_TRACKS};

struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static TOTAL: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        TOTAL.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let now = NOW.fetch_add(new_size, Ordering::Relaxed) + new_size;
        PEAK.fetch_max(now, Ordering::Relaxed);
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
        TOTAL.fetch_add(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A format-1 header declaring `declared` tracks, then `chunks` empty `MTrk` chunks.
fn empty_tracks(declared: u16, chunks: usize) -> Vec<u8> {
    let mut f = b"MThd\0\0\0\x06\0\x01".to_vec();
    f.extend(declared.to_be_bytes());
    f.extend([0, 96]);
    for _ in 0..chunks {
        f.extend(b"MTrk\0\0\0\0");
    }
    f
}

/// One measurement at a time (the counters are global).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// (peak bytes in use above the start, bytes asked for in all) while `f` runs.
fn measure<T>(f: impl FnOnce() -> T) -> (usize, usize, T) {
    let _one = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let base = NOW.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let total = TOTAL.load(Ordering::Relaxed);
    let out = f();
    (PEAK.load(Ordering::Relaxed) - base, TOTAL.load(Ordering::Relaxed) - total, out)
}

#[test]
fn a_million_empty_track_chunks_cost_what_the_file_holds() {
    let file = empty_tracks(u16::MAX, 1_000_000);
    let (peak, total, seq) = measure(|| parse_smf(&file).unwrap());
    assert_eq!(seq.tracks.len(), MAX_TRACKS);
    assert!(seq.warnings.iter().any(|w| w.to_string().contains("1000000 track chunks")), "{:?}", &seq.warnings[..3]);
    assert!(seq.warnings.len() <= 101, "warnings are capped: {}", seq.warnings.len());
    // 8 MB of file: before the fix, 64 KB per track (64 GB asked for in all).
    let limit = 4 * file.len();
    assert!(peak < limit, "peak {peak} bytes for a {} byte file", file.len());
    assert!(total < 2 * limit, "{total} bytes asked for in all");
}

#[test]
fn many_tiny_tracks_and_unknown_chunks_stay_small() {
    // 60 000 tracks of one event each, and 100 000 unknown chunks.
    let mut file = empty_tracks(60_000, 0);
    for _ in 0..60_000 {
        file.extend(b"MTrk\0\0\0\x04\0\xFF\x2F\0");
    }
    for _ in 0..100_000 {
        file.extend(b"JUNK\0\0\0\0");
    }
    let (peak, total, seq) = measure(|| parse_smf(&file).unwrap());
    assert_eq!(seq.tracks.len(), 60_000);
    assert!(seq.warnings.len() < 20, "{:?}", seq.warnings);
    assert!(peak < 16 * file.len(), "peak {peak} for {} bytes", file.len());
    assert!(total < 32 * file.len(), "{total} asked for, {} bytes of file", file.len());
}
