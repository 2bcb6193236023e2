//! `SymphoniaReader::open(_, Hint::Mp4)` on arbitrary bytes: MP4 family (m4a/m4b/3gp/mov: AAC, ALAC).
//! Driven by the shared driver (bounded full decode, seeks, reads); lengths
//! and seeks may be estimates. Panics inside symphonia unwind to the reader's
//! panic boundary and become errors; any other panic is a bug.
#![no_main]

use coremusic::io::symphonia::{Hint, SymphoniaReader};
use coremusic_fuzz::{let_symphonia_panics_unwind, open_and_drive, Exactness};
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: let_symphonia_panics_unwind(), |data: &[u8]| {
    open_and_drive(data, Exactness::Estimated, |s| SymphoniaReader::open(s, Hint::Mp4).ok());
});
