//! Opens arbitrary bytes with the probe (from a `Source::memory`) and drives
//! whatever reader it picks with the shared driver (`coremusic_fuzz::drive`):
//! a bounded full decode, then seeks (one taken from the data, the middle, the
//! last frame, the end, past the end, `u64::MAX`, 0) each followed by reads.
//! Any panic, overflow, out-of-bounds access, hang or runaway allocation is a
//! bug; panics inside symphonia are left to unwind to `io::symphonia`'s panic
//! boundary (see `let_symphonia_panics_unwind`).
#![no_main]

use coremusic_fuzz::{let_symphonia_panics_unwind, probe_and_drive};
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: let_symphonia_panics_unwind(), |data: &[u8]| {
    probe_and_drive(data);
});
