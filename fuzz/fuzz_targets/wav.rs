//! `WavReader::new` on arbitrary bytes (RIFF/RIFX/RF64/BW64 WAVE and Wave64), driven by the shared driver (bounded
//! full decode, seeks, reads). A native reader: its seeks must land within
//! the length it states.
#![no_main]

use coremusic::io::container::wav::WavReader;
use coremusic_fuzz::{boxed, let_symphonia_panics_unwind, open_and_drive, Exactness};
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: let_symphonia_panics_unwind(), |data: &[u8]| {
    open_and_drive(data, Exactness::Exact, |s| boxed(WavReader::new(s)));
});
