//! The G.711 decoders (µ-law, A-law), reached on every run: the first 2
//! bytes choose a valid header (WAV, AIFF-C with either case of the
//! compression type, CAF; 1 to 4 channels; the rate; a stated or streamed CAF
//! data size) and the rest is the data chunk. Opened with the probe and
//! driven with the shared driver.
#![no_main]

use coremusic_fuzz::{aifc_file, caf_file, let_symphonia_panics_unwind, probe_and_drive, wav_file, Config};
use libfuzzer_sys::fuzz_target;

const RATES: [u32; 4] = [8000, 11025, 16000, 44100];

fuzz_target!(init: let_symphonia_panics_unwind(), |data: &[u8]| {
    let (c, payload) = Config::split(data, 2);
    let ulaw = c.byte(0) & 1 == 1;
    let ch = 1 + (c.byte(1) & 3) as u16;
    let rate = RATES[(c.byte(1) >> 2) as usize % 4];
    let file = match (c.byte(0) >> 1) % 3 {
        0 => wav_file(if ulaw { 7 } else { 6 }, ch, rate, ch, 8, &[], None, payload),
        1 => {
            let kind = match (ulaw, c.byte(0) & 8 == 0) {
                (true, true) => b"ulaw",
                (true, false) => b"ULAW",
                (false, true) => b"alaw",
                (false, false) => b"ALAW",
            };
            aifc_file(ch as i16, (payload.len() / ch as usize) as u32, 16, rate, kind, payload)
        }
        _ => {
            let kind = if ulaw { b"ulaw" } else { b"alaw" };
            caf_file(kind, 0, ch as u32, 1, ch as u32, 8, rate as f64, c.byte(0) & 16 != 0, payload)
        }
    };
    probe_and_drive(&file);
});
