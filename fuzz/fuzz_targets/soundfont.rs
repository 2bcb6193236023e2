//! SoundFonts: `SoundFontData::from_bytes` (what `load` does after reading the
//! file) on arbitrary bytes must load or give an error; a font that loads
//! plays a short note on a few presets (program 0, a program from the data, a
//! bank-select plus program, drums on channel 10) through `Synth`.
//!
//! rustysynth panics on some damaged fonts while loading; `from_bytes` catches
//! them (the contract), so those may unwind. A panic while rendering is a bug:
//! it would be on the audio thread.
#![no_main]

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use coremusic::midi::{SoundFontData, Synth};
use libfuzzer_sys::fuzz_target;

/// Frames per render call.
const BLOCK: usize = 256;

static LOADING: AtomicBool = AtomicBool::new(false);

fn let_load_panics_unwind() {
    let aborting = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !LOADING.load(Ordering::Relaxed) {
            aborting(info);
        }
    }));
}

fuzz_target!(init: let_load_panics_unwind(), |data: &[u8]| {
    LOADING.store(true, Ordering::Relaxed);
    let font = SoundFontData::from_bytes(data.to_vec(), Path::new("fuzz.sf2"));
    LOADING.store(false, Ordering::Relaxed);
    let Ok(font) = font else {
        return;
    };
    let program = data.get(data.len() / 2).copied().unwrap_or(0) & 0x7F;
    let mut synth = Synth::soundfont(font);
    synth.prepare(22_050);
    let (mut l, mut r) = (vec![0f32; BLOCK], vec![0f32; BLOCK]);
    // (channel, bank, program, key)
    for (ch, bank, prog, key) in [(0u8, 0u8, 0u8, 60u8), (1, 0, program, 72), (2, 1, program, 48), (9, 0, 0, 36)] {
        synth.message(0xB0 | ch, 0, bank);
        synth.message(0xC0 | ch, prog, 0);
        synth.message(0x90 | ch, key, 100);
        synth.render(&mut l, &mut r);
        synth.message(0xE0 | ch, 0, 0x7F);
        synth.render(&mut l, &mut r);
        synth.message(0x80 | ch, key, 0);
        synth.render(&mut l, &mut r);
    }
    synth.all_notes_off(true);
    synth.render(&mut l, &mut r);
});
