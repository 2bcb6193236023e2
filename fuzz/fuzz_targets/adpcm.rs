//! The ADPCM decoders, reached on every run: the first 4 bytes choose a valid
//! header (IMA ADPCM in WAV, MS ADPCM in WAV, `ima4` in AIFF-C, `ima4` in
//! CAF; 1 or 2 channels; the block size; whether a `fact` chunk / stated size
//! is there; for MS ADPCM, the standard or fuzzed coefficients) and the rest
//! is the data chunk. Opened with the probe and driven with the shared driver.
#![no_main]

use coremusic::io::codec::adpcm::{ima_wav_block_frames, ms_block_frames};
use coremusic_fuzz::{
    aifc_file, caf_file, let_symphonia_panics_unwind, ms_adpcm_ext, probe_and_drive, wav_file, Config, MS_COEFS,
};
use libfuzzer_sys::fuzz_target;

const RATES: [u32; 4] = [8000, 22050, 44100, 48000];

fuzz_target!(init: let_symphonia_panics_unwind(), |data: &[u8]| {
    let (c, payload) = Config::split(data, 4);
    let ch = 1 + (c.byte(1) & 1) as u16;
    let rate = RATES[(c.byte(1) >> 1) as usize % 4];
    // Block sizes: the usual powers of two per channel, or any size at all.
    let block = if c.byte(2) & 0x80 == 0 {
        (32usize << (c.byte(2) % 6)) * ch as usize
    } else {
        (c.byte(2) & 0x7F) as usize * 4 + 1
    };
    let with_size = c.byte(3) & 1 == 1;
    let file = match c.byte(0) % 4 {
        0 => {
            let fpb = ima_wav_block_frames(block, ch as usize);
            let blocks = payload.len().div_ceil(block.max(1));
            let fact = with_size.then_some((blocks * fpb) as u32);
            wav_file(0x11, ch, rate, block as u16, 4, &(fpb as u16).to_le_bytes(), fact, payload)
        }
        1 => {
            let fpb = ms_block_frames(block, ch as usize);
            let ext = if c.byte(3) & 2 == 0 {
                ms_adpcm_ext(fpb as u16, &MS_COEFS)
            } else {
                // Coefficients from the payload's first 28 bytes (7 pairs).
                let coefs: Vec<(i16, i16)> = payload
                    .chunks_exact(4)
                    .take(7)
                    .map(|p| (i16::from_le_bytes([p[0], p[1]]), i16::from_le_bytes([p[2], p[3]])))
                    .collect();
                ms_adpcm_ext(fpb as u16, &coefs)
            };
            let fact = with_size.then_some((payload.len() / block.max(1) * fpb) as u32);
            wav_file(2, ch, rate, block as u16, 4, &ext, fact, payload)
        }
        2 => {
            let packets = payload.len() / (34 * ch as usize);
            aifc_file(ch as i16, packets as u32, 16, rate, b"ima4", payload)
        }
        _ => caf_file(b"ima4", 0, 34 * ch as u32, 64, ch as u32, 0, rate as f64, !with_size, payload),
    };
    probe_and_drive(&file);
});
