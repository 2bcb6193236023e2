//! ALAC through the probe, as the app opens it: in CAF (`open_caf_compressed`)
//! and in MP4/M4A (symphonia with the ALAC decoder). Seeded with ALAC files;
//! whatever else the mutations turn them into is driven too.
#![no_main]

use coremusic_fuzz::{let_symphonia_panics_unwind, probe_and_drive};
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: let_symphonia_panics_unwind(), |data: &[u8]| {
    probe_and_drive(data);
});
