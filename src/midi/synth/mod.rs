//! Sound for MIDI: a built-in polyphonic General-MIDI-ish synth that needs no
//! files (a few oscillator + envelope patches per program family, and noise /
//! sine drum kits on channel 10), or a SoundFont 2 played by rustysynth.
//! Both sit behind [`Synth`]: MIDI messages in, stereo audio out. Everything a
//! synth needs is allocated in [`Synth::prepare`]; [`Synth::message`] and
//! [`Synth::render`] never allocate, lock or do I/O (they run on the audio thread).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::smf::MidiError;

mod builtin;
mod patches;
mod soundfont;

pub use builtin::BuiltinSynth;
use patches::*;
pub use soundfont::{sine_soundfont, SoundFontData};

/// Voices of the built-in synth; the quietest releasing (else the oldest) voice is stolen beyond this.
pub const MAX_VOICES: usize = 64;
/// Sine table size, 2^10 (the top 10 bits of a 32-bit phase index it).
const TABLE: usize = 1 << 10;
const MASTER: f32 = 0.18;
const SILENT: f32 = 1e-3;

/// Which synth plays a sequence.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SynthChoice {
    /// The built-in synth (no files needed).
    #[default]
    Builtin,
    /// A SoundFont 2 file played by rustysynth.
    SoundFont(PathBuf),
}

/// Keeps a stereo sum under full scale without hard clipping: linear up to
/// 0.8, then a smooth knee toward 1.0.
#[inline]
pub fn soft_limit(x: f32) -> f32 {
    let a = x.abs();
    if a <= 0.8 {
        x
    } else {
        let over = (a - 0.8) / 0.2;
        (0.8 + 0.199 * over / (1.0 + over)).copysign(x)
    }
}

enum Engine {
    Builtin(Box<BuiltinSynth>),
    SoundFont { font: SoundFontData, synth: Option<Box<rustysynth::Synthesizer>> },
}

/// A synth: built-in or SoundFont. Create it off the audio thread, call
/// [`Synth::prepare`] there, then `message` / `render` are real-time safe.
pub struct Synth {
    engine: Engine,
    rate: u32,
}

impl std::fmt::Debug for Synth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.engine {
            Engine::Builtin(_) => "builtin",
            Engine::SoundFont { .. } => "soundfont",
        };
        f.debug_struct("Synth").field("kind", &kind).field("rate", &self.rate).finish()
    }
}

impl Synth {
    /// The built-in synth.
    pub fn builtin() -> Self {
        Synth { engine: Engine::Builtin(Box::new(BuiltinSynth::new(48_000))), rate: 48_000 }
    }

    /// A SoundFont synth (the font loads now; the player is made in `prepare`).
    pub fn soundfont(font: SoundFontData) -> Self {
        Synth { engine: Engine::SoundFont { font, synth: None }, rate: 0 }
    }

    /// The synth a [`SynthChoice`] names (loads the .sf2 file).
    pub fn from_choice(choice: &SynthChoice) -> Result<Self, MidiError> {
        Ok(match choice {
            SynthChoice::Builtin => Synth::builtin(),
            SynthChoice::SoundFont(p) => Synth::soundfont(SoundFontData::load(p)?),
        })
    }

    /// Sizes the synth for `sample_rate` (off the audio thread; may allocate).
    pub fn prepare(&mut self, sample_rate: u32) {
        let rate = sample_rate.clamp(1_000, 384_000);
        if rate == self.rate {
            return;
        }
        self.rate = rate;
        match &mut self.engine {
            Engine::Builtin(b) => **b = BuiltinSynth::new(rate),
            Engine::SoundFont { font, synth } => {
                let mut settings = rustysynth::SynthesizerSettings::new(rate as i32);
                settings.enable_reverb_and_chorus = true;
                *synth = rustysynth::Synthesizer::new(&font.0, &settings).ok().map(Box::new);
            }
        }
    }

    /// One channel message: `status` with its channel in the low nibble.
    pub fn message(&mut self, status: u8, d1: u8, d2: u8) {
        match &mut self.engine {
            Engine::Builtin(b) => b.message(status, d1, d2),
            Engine::SoundFont { synth: Some(s), .. } => s.process_midi_message(
                i32::from(status & 0x0F),
                i32::from(status & 0xF0),
                i32::from(d1 & 0x7F),
                i32::from(d2 & 0x7F),
            ),
            Engine::SoundFont { synth: None, .. } => {}
        }
    }

    /// Releases all notes (at once when `immediate`).
    pub fn all_notes_off(&mut self, immediate: bool) {
        match &mut self.engine {
            Engine::Builtin(b) => b.all_notes_off(immediate),
            Engine::SoundFont { synth: Some(s), .. } => {
                for ch in 0..16 {
                    s.process_midi_message(ch, 0xB0, 64, 0);
                }
                s.note_off_all(immediate);
            }
            Engine::SoundFont { synth: None, .. } => {}
        }
    }

    /// Back to power-on state (programs and controllers too).
    pub fn reset(&mut self) {
        match &mut self.engine {
            Engine::Builtin(b) => b.reset(),
            Engine::SoundFont { synth: Some(s), .. } => s.reset(),
            Engine::SoundFont { synth: None, .. } => {}
        }
    }

    /// Whether nothing is sounding (SoundFont: unknown, so `None`).
    pub fn is_idle(&self) -> Option<bool> {
        match &self.engine {
            Engine::Builtin(b) => Some(b.active_voices() == 0),
            Engine::SoundFont { .. } => None,
        }
    }

    /// Writes `left.len()` frames into `left` and `right` (replacing them).
    pub fn render(&mut self, left: &mut [f32], right: &mut [f32]) {
        match &mut self.engine {
            Engine::Builtin(b) => {
                left.fill(0.0);
                right.fill(0.0);
                b.render_add(left, right);
            }
            Engine::SoundFont { synth: Some(s), .. } => s.render(left, right),
            Engine::SoundFont { synth: None, .. } => {
                left.fill(0.0);
                right.fill(0.0);
            }
        }
    }
}

#[cfg(test)]
mod tests;
