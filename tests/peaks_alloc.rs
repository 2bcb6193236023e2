//! Counts taken from a file's headers never size an allocation beyond what
//! the file can hold: a 100-byte FLAC claiming 2^36 samples on 8 channels
//! once made the waveform's peak pyramid ask for ~26 GB. A counting
//! allocator records the largest single request (and refuses absurd ones,
//! so a regression fails here instead of swapping).

mod common;

use common::flac::{crc16, crc8};

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use coremusic::analysis::peaks::{BuildProgress, PeakPyramid};
use coremusic::io::AudioFile;

struct Counting;

static LARGEST: AtomicUsize = AtomicUsize::new(0);
/// Requests above this fail (the test then aborts: a regression).
const REFUSE: usize = 1 << 30;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        if layout.size() > REFUSE {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        if new_size > REFUSE {
            return std::ptr::null_mut();
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// STREAMINFO claiming 2^36 - 1 samples of 8-channel 16-bit 44.1 kHz audio,
/// then `frames` frames of 256 samples (8 CONSTANT subframes each).
fn liar(frames: u8) -> Vec<u8> {
    let mut f = b"fLaC\x80\x00\x00\x22".to_vec();
    f.extend([0x01, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0, 0]);
    let v: u64 = (44100u64 << 44) | (7u64 << 41) | (15u64 << 36) | ((1u64 << 36) - 1);
    f.extend(v.to_be_bytes());
    f.extend([0u8; 16]);
    for n in 0..frames {
        let mut fr = vec![0xFF, 0xF8, 0x69, 0x78, n, 0xFF];
        fr.push(crc8(&fr));
        for c in 0..8u8 {
            fr.extend([0x00, 0x00, c]);
        }
        let crc = crc16(&fr);
        fr.extend(crc.to_be_bytes());
        f.extend(fr);
    }
    f
}

#[test]
fn a_tiny_file_claiming_2_pow_36_samples_allocates_little() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = liar(1);
    assert!(bytes.len() <= 100, "{}", bytes.len());
    let path = common::file_with(dir.path(), "liar.flac", &bytes);
    let info = coremusic::io::inspect(&path).unwrap();
    assert_eq!(info.frames, Some(256));
    assert!(info.warnings.iter().any(|w| w.to_string().contains("cut short")), "{:?}", info.warnings);

    LARGEST.store(0, Ordering::Relaxed);
    let never = AtomicBool::new(false);
    let pyramid = PeakPyramid::build(&path, &BuildProgress::default(), &never).unwrap();
    assert_eq!(pyramid.frames(), 256);
    let mut f = AudioFile::open(&path).unwrap();
    assert_eq!(f.read_all().unwrap().len(), 256 * 8);
    assert_eq!(f.read_all_i32().unwrap().len(), 0);
    let largest = LARGEST.load(Ordering::Relaxed);
    // The decoder's fixed block buffers (8 × 64 Ki samples) are the largest thing.
    assert!(largest <= 8 << 20, "largest allocation {largest} bytes");
}
