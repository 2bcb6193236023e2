//! Sound for MIDI: a built-in polyphonic General-MIDI-ish synth that needs no
//! files (a few oscillator + envelope patches per program family, and noise /
//! sine drum kits on channel 10), or a SoundFont 2 played by rustysynth.
//! Both sit behind [`Synth`]: MIDI messages in, stereo audio out. Everything a
//! synth needs is allocated in [`Synth::prepare`]; [`Synth::message`] and
//! [`Synth::render`] never allocate, lock or do I/O (they run on the audio thread).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::smf::MidiError;

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

#[derive(Debug, Clone, Copy, PartialEq)]
enum Wave {
    Sine,
    Piano,
    Organ,
    Saw,
    Square,
    Triangle,
    Noise,
}

/// A sound recipe: oscillator, envelope (seconds), filter and noise.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Patch {
    wave: Wave,
    attack: f32,
    /// Seconds the decay takes to fall 60 dB (toward `sustain`).
    decay: f32,
    sustain: f32,
    /// Seconds the release takes to fall 60 dB, when the voice ends.
    release: f32,
    /// Low-pass cutoff as a multiple of the note frequency.
    cutoff: f32,
    noise: f32,
    /// Pitch sweep: start at `sweep` × pitch, falling with time constant `sweep_time`.
    sweep: f32,
    sweep_time: f32,
    highpass: bool,
    gain: f32,
}

const fn patch(wave: Wave, attack: f32, decay: f32, sustain: f32, release: f32, cutoff: f32) -> Patch {
    Patch {
        wave,
        attack,
        decay,
        sustain,
        release,
        cutoff,
        noise: 0.0,
        sweep: 1.0,
        sweep_time: 0.05,
        highpass: false,
        gain: 1.0,
    }
}

/// The patch for a General MIDI program (by family of eight).
fn melodic_patch(program: u8) -> Patch {
    match program / 8 {
        0 => patch(Wave::Piano, 0.002, 1.2, 0.0, 0.25, 10.0),
        1 => patch(Wave::Sine, 0.001, 0.7, 0.0, 0.4, 20.0),
        2 => patch(Wave::Organ, 0.01, 1.0, 1.0, 0.06, 20.0),
        3 => patch(Wave::Saw, 0.002, 0.8, 0.0, 0.12, 4.0),
        4 => Patch { gain: 1.3, ..patch(Wave::Saw, 0.004, 0.5, 0.45, 0.08, 3.0) },
        5 | 6 => Patch { gain: 0.8, ..patch(Wave::Saw, 0.12, 1.0, 0.9, 0.35, 5.0) },
        7 => patch(Wave::Saw, 0.04, 0.6, 0.8, 0.12, 6.0),
        8 => patch(Wave::Square, 0.03, 0.6, 0.8, 0.1, 4.0),
        9 => Patch { noise: 0.05, ..patch(Wave::Triangle, 0.05, 0.6, 0.85, 0.12, 8.0) },
        10 => Patch { gain: 0.7, ..patch(Wave::Square, 0.004, 0.5, 0.9, 0.1, 8.0) },
        11 => Patch { gain: 0.8, ..patch(Wave::Saw, 0.35, 1.5, 0.8, 0.8, 3.0) },
        12 => patch(Wave::Triangle, 0.2, 1.5, 0.7, 1.0, 10.0),
        13 => patch(Wave::Saw, 0.002, 0.6, 0.0, 0.15, 5.0),
        14 => patch(Wave::Sine, 0.001, 0.4, 0.0, 0.2, 20.0),
        _ => Patch { gain: 0.5, ..patch(Wave::Noise, 0.05, 1.0, 0.6, 0.5, 4.0) },
    }
}

/// A drum sound for a GM percussion key (channel 10): (patch, pitch in Hz).
fn drum_patch(key: u8) -> (Patch, f32) {
    let noise_hit = |decay: f32, cutoff_hz: f32, highpass: bool, gain: f32| {
        (Patch { highpass, gain, ..patch(Wave::Noise, 0.0005, decay, 0.0, decay * 0.5, 1.0) }, cutoff_hz)
    };
    match key {
        35 | 36 => {
            (Patch { sweep: 3.0, sweep_time: 0.03, gain: 2.2, ..patch(Wave::Sine, 0.0005, 0.25, 0.0, 0.1, 30.0) }, 50.0)
        }
        38 | 40 => (
            Patch {
                noise: 0.7,
                sweep: 1.5,
                sweep_time: 0.02,
                gain: 1.3,
                ..patch(Wave::Sine, 0.0005, 0.12, 0.0, 0.08, 30.0)
            },
            190.0,
        ),
        37 | 39 => noise_hit(0.08, 1500.0, true, 1.2),
        42 | 44 => noise_hit(0.04, 7000.0, true, 0.8),
        46 => noise_hit(0.25, 7000.0, true, 0.7),
        49 | 52 | 55 | 57 => noise_hit(1.0, 5000.0, true, 0.7),
        51 | 53 | 59 => noise_hit(0.6, 8000.0, true, 0.45),
        41 | 43 | 45 | 47 | 48 | 50 => {
            let hz = 80.0 + f32::from(key.saturating_sub(41)) * 18.0;
            (Patch { sweep: 1.6, sweep_time: 0.05, gain: 1.6, ..patch(Wave::Sine, 0.0005, 0.3, 0.0, 0.1, 30.0) }, hz)
        }
        _ => (
            Patch { noise: 0.3, gain: 0.8, ..patch(Wave::Triangle, 0.0005, 0.1, 0.0, 0.05, 8.0) },
            200.0 + f32::from(key) * 5.0,
        ),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    Off,
    Attack,
    Decay,
    Release,
}

#[derive(Debug, Clone, Copy)]
struct Voice {
    stage: Stage,
    channel: u8,
    key: u8,
    /// Note-off received while the sustain pedal was down.
    held: bool,
    age: u64,
    wave: Wave,
    /// Phase as a 32-bit fraction of a cycle.
    phase: u32,
    /// Phase increment per sample at zero bend.
    base_inc: f32,
    sweep: f32,
    sweep_mul: f32,
    env: f32,
    attack_inc: f32,
    decay_mul: f32,
    sustain: f32,
    release_mul: f32,
    lp: f32,
    lp_coef: f32,
    noise: f32,
    tone: f32,
    highpass: bool,
    /// Velocity × patch gain.
    level: f32,
}

impl Voice {
    const OFF: Voice = Voice {
        stage: Stage::Off,
        channel: 0,
        key: 0,
        held: false,
        age: 0,
        wave: Wave::Sine,
        phase: 0,
        base_inc: 0.0,
        sweep: 1.0,
        sweep_mul: 1.0,
        env: 0.0,
        attack_inc: 1.0,
        decay_mul: 1.0,
        sustain: 0.0,
        release_mul: 0.0,
        lp: 0.0,
        lp_coef: 1.0,
        noise: 0.0,
        tone: 1.0,
        highpass: false,
        level: 0.0,
    };
}

#[derive(Debug, Clone, Copy)]
struct Channel {
    program: u8,
    volume: u8,
    expression: u8,
    pan: u8,
    sustain: bool,
    /// Bend in semitones (value × range).
    bend: f32,
    bend_raw: i16,
    bend_range: f32,
    rpn: (u8, u8),
    /// The last parameter selected was an NRPN: data entry goes nowhere.
    nrpn: bool,
}

impl Channel {
    const RESET: Channel = Channel {
        program: 0,
        volume: 100,
        expression: 127,
        pan: 64,
        sustain: false,
        bend: 0.0,
        bend_raw: 0,
        bend_range: 2.0,
        rpn: (127, 127),
        nrpn: false,
    };

    fn gains(&self) -> (f32, f32) {
        let v = f32::from(self.volume) / 127.0 * f32::from(self.expression) / 127.0;
        let v = v * v;
        let p = f32::from(self.pan.min(127)) / 127.0 * std::f32::consts::FRAC_PI_2;
        (v * p.cos(), v * p.sin())
    }
}

/// The built-in synth (see the module docs).
#[derive(Debug, Clone)]
pub struct BuiltinSynth {
    rate: f32,
    voices: Vec<Voice>,
    channels: [Channel; 16],
    sine: Vec<f32>,
    noise_state: u32,
    clock: u64,
}

impl Default for BuiltinSynth {
    fn default() -> Self {
        Self::new(48_000)
    }
}

#[inline(always)]
fn poly_blep(t: f32, dt: f32) -> f32 {
    if t < dt {
        let x = t / dt;
        x + x - x * x - 1.0
    } else if t > 1.0 - dt {
        let x = (t - 1.0) / dt;
        x * x + x + x + 1.0
    } else {
        0.0
    }
}

impl BuiltinSynth {
    /// A synth at `sample_rate` Hz.
    pub fn new(sample_rate: u32) -> Self {
        let sine = (0..=TABLE).map(|i| (i as f64 / TABLE as f64 * std::f64::consts::TAU).sin() as f32).collect();
        BuiltinSynth {
            rate: sample_rate.max(1) as f32,
            voices: vec![Voice::OFF; MAX_VOICES],
            channels: [Channel::RESET; 16],
            sine,
            noise_state: 0x1234_5678,
            clock: 0,
        }
    }

    /// Voices sounding (attack, decay or release).
    pub fn active_voices(&self) -> usize {
        self.voices.iter().filter(|v| v.stage != Stage::Off).count()
    }

    fn time_mul(&self, seconds: f32) -> f32 {
        // Multiplier per sample that decays by 1/e in `seconds`.
        (-1.0 / (seconds.max(1e-4) * self.rate)).exp()
    }

    fn fade_mul(&self, seconds: f32) -> f32 {
        // Multiplier per sample that falls 60 dB (to the voice-off level) in `seconds`.
        (SILENT.ln() / (seconds.max(1e-4) * self.rate)).exp()
    }

    fn note_on(&mut self, ch: u8, key: u8, vel: u8) {
        let c = usize::from(ch & 15);
        // The same key on the same channel: release the old one first.
        for v in self.voices.iter_mut() {
            if v.stage != Stage::Off && v.stage != Stage::Release && v.channel == ch && v.key == key {
                v.stage = Stage::Release;
                v.held = false;
            }
        }
        let slot = match self.voices.iter().position(|v| v.stage == Stage::Off) {
            Some(i) => i,
            None => {
                let releasing = self
                    .voices
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.stage == Stage::Release)
                    .min_by(|a, b| a.1.env.total_cmp(&b.1.env))
                    .map(|(i, _)| i);
                releasing
                    .unwrap_or_else(|| self.voices.iter().enumerate().min_by_key(|(_, v)| v.age).map_or(0, |(i, _)| i))
            }
        };
        let (p, hz) = if c == 9 {
            drum_patch(key)
        } else {
            let prog = self.channels.get(c).map_or(0, |s| s.program);
            (melodic_patch(prog), 440.0 * ((f32::from(key) - 69.0) / 12.0).exp2())
        };
        let cutoff_hz = if p.wave == Wave::Noise && c == 9 { hz } else { hz * p.cutoff };
        let cutoff_hz = cutoff_hz.min(self.rate * 0.45);
        let vel = f32::from(vel.min(127)) / 127.0;
        self.clock += 1;
        let voice = Voice {
            stage: Stage::Attack,
            channel: ch,
            key,
            held: false,
            age: self.clock,
            wave: p.wave,
            phase: 0,
            base_inc: hz / self.rate,
            sweep: p.sweep,
            sweep_mul: self.time_mul(p.sweep_time),
            env: 0.0,
            attack_inc: 1.0 / (p.attack.max(1e-4) * self.rate),
            decay_mul: self.fade_mul(p.decay),
            sustain: p.sustain,
            release_mul: self.fade_mul(p.release),
            lp: 0.0,
            lp_coef: 1.0 - (-std::f32::consts::TAU * cutoff_hz / self.rate).exp(),
            noise: if p.wave == Wave::Noise { 1.0 } else { p.noise },
            tone: if p.wave == Wave::Noise { 0.0 } else { 1.0 - p.noise },
            highpass: p.highpass,
            level: vel * vel * p.gain * MASTER,
        };
        if let Some(v) = self.voices.get_mut(slot) {
            *v = voice;
        }
    }

    fn note_off(&mut self, ch: u8, key: u8) {
        let sustain = self.channels.get(usize::from(ch & 15)).is_some_and(|c| c.sustain);
        for v in self.voices.iter_mut() {
            if v.stage != Stage::Off && v.stage != Stage::Release && v.channel == ch && v.key == key && !v.held {
                if sustain {
                    v.held = true;
                } else {
                    v.stage = Stage::Release;
                }
                break;
            }
        }
    }

    fn release_channel(&mut self, ch: u8, immediate: bool) {
        for v in self.voices.iter_mut().filter(|v| v.channel == ch) {
            if immediate {
                v.stage = Stage::Off;
            } else if v.stage != Stage::Off {
                v.stage = Stage::Release;
                v.held = false;
            }
        }
    }

    /// Handles one channel message (status byte with channel, two data bytes).
    pub fn message(&mut self, status: u8, d1: u8, d2: u8) {
        let ch = status & 0x0F;
        let Some(c) = self.channels.get_mut(usize::from(ch)) else { return };
        match status & 0xF0 {
            0x90 if d2 > 0 => self.note_on(ch, d1 & 0x7F, d2),
            0x80 | 0x90 => self.note_off(ch, d1 & 0x7F),
            0xC0 => c.program = d1 & 0x7F,
            0xE0 => {
                let raw = (i16::from(d2 & 0x7F) << 7 | i16::from(d1 & 0x7F)) - 0x2000;
                c.bend_raw = raw;
                c.bend = f32::from(raw) / 8192.0 * c.bend_range;
            }
            0xB0 => match d1 {
                7 => c.volume = d2,
                10 => c.pan = d2,
                11 => c.expression = d2,
                64 => {
                    let down = d2 >= 64;
                    c.sustain = down;
                    if !down {
                        for v in self.voices.iter_mut() {
                            if v.channel == ch && v.held {
                                v.held = false;
                                v.stage = Stage::Release;
                            }
                        }
                    }
                }
                101 => {
                    c.rpn.0 = d2;
                    c.nrpn = false;
                }
                100 => {
                    c.rpn.1 = d2;
                    c.nrpn = false;
                }
                99 | 98 => c.nrpn = true,
                6 if c.rpn == (0, 0) && !c.nrpn => {
                    c.bend_range = f32::from(d2.min(24));
                    c.bend = f32::from(c.bend_raw) / 8192.0 * c.bend_range;
                }
                120 => self.release_channel(ch, true),
                123 => self.release_channel(ch, false),
                121 => {
                    let program = c.program;
                    *c = Channel { program, ..Channel::RESET };
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// Releases every note (or silences at once when `immediate`) and lifts the sustain pedals.
    pub fn all_notes_off(&mut self, immediate: bool) {
        for c in self.channels.iter_mut() {
            c.sustain = false;
        }
        for ch in 0..16 {
            self.release_channel(ch, immediate);
        }
    }

    /// Back to power-on: no voices, controllers and programs reset.
    pub fn reset(&mut self) {
        self.all_notes_off(true);
        self.channels = [Channel::RESET; 16];
    }

    /// Adds `left.len()` frames of every voice into `left` and `right` (which
    /// the caller cleared). Real-time safe.
    ///
    /// Each voice runs in blocks of up to [`BLOCK`] frames: the envelope and the
    /// pitch sweep are worked out once per block (exactly, from their per-sample
    /// recurrences) and ramped linearly across it, the waveform is chosen once
    /// per block, and the oscillator is a 32-bit phase accumulator (harmonics
    /// wrap for free; the sine comes from an interpolated table).
    pub fn render_add(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        let (left, right) = (&mut left[..n], &mut right[..n]);
        let sine = &self.sine[..];
        let mut noise_state = self.noise_state;
        for v in self.voices.iter_mut() {
            if v.stage == Stage::Off {
                continue;
            }
            let ch = self.channels.get(usize::from(v.channel & 15)).copied().unwrap_or(Channel::RESET);
            let (gl, gr) = ch.gains();
            let (gl, gr) = (gl * v.level, gr * v.level);
            let inc = v.base_inc * (ch.bend / 12.0).exp2();
            let dt = inc.min(0.5);
            for (l, r) in left.chunks_mut(BLOCK).zip(right.chunks_mut(BLOCK)) {
                let k = l.len().min(r.len());
                if k == 0 || v.stage == Stage::Off {
                    break;
                }
                // Envelope: from its value now to its value after `k` samples, linearly.
                let env0 = v.env;
                v.advance_env(k);
                let env_step = (v.env - env0) / k as f32;
                // Pitch: the sweep's start and end increments, linearly.
                let inc0 = phase_inc(inc * v.sweep);
                if v.sweep != 1.0 {
                    v.sweep = 1.0 + (v.sweep - 1.0) * v.sweep_mul.powi(k as i32);
                    if (v.sweep - 1.0).abs() < 1e-4 {
                        v.sweep = 1.0;
                    }
                }
                let inc1 = phase_inc(inc * v.sweep);
                let inc_step = ((i64::from(inc1) - i64::from(inc0)) / k as i64) as i32;
                let mut b = Block { phase: v.phase, inc: inc0, inc_step, env: env0, env_step, lp: v.lp, gl, gr };
                let c = v.lp_coef;
                let (tone, noise) = (v.tone, v.noise);
                let ns = &mut noise_state;
                // Dispatch once per block on the filter kind, the noise mix and the waveform.
                macro_rules! osc {
                    (|$p:ident| $e:expr) => {
                        match (v.highpass, noise > 0.0) {
                            (true, true) => b.run::<true>(l, r, c, |$p| tone * $e + noise * white(ns)),
                            (false, true) => b.run::<false>(l, r, c, |$p| tone * $e + noise * white(ns)),
                            (true, false) => b.run::<true>(l, r, c, |$p| $e),
                            (false, false) => b.run::<false>(l, r, c, |$p| $e),
                        }
                    };
                }
                match v.wave {
                    Wave::Sine => osc!(|p| table(sine, p)),
                    Wave::Piano => osc!(|p| table(sine, p)
                        + 0.35 * table(sine, p.wrapping_mul(2))
                        + 0.12 * table(sine, p.wrapping_mul(3))),
                    Wave::Organ => osc!(|p| table(sine, p)
                        + 0.5 * table(sine, p.wrapping_mul(2))
                        + 0.3 * table(sine, p.wrapping_mul(4))),
                    Wave::Saw => osc!(|p| {
                        let t = unit(p);
                        2.0 * t - 1.0 - poly_blep(t, dt)
                    }),
                    Wave::Square => osc!(|p| {
                        let t = unit(p);
                        let q = if t < 0.5 { 1.0 } else { -1.0 };
                        q + poly_blep(t, dt) - poly_blep(unit(p.wrapping_add(1 << 31)), dt)
                    }),
                    Wave::Triangle => osc!(|p| 4.0 * (unit(p) - 0.5).abs() - 1.0),
                    Wave::Noise => osc!(|_p| 0.0),
                }
                v.lp = b.lp;
                v.phase = b.phase;
            }
        }
        self.noise_state = noise_state;
    }
}

/// Frames per envelope / pitch step in [`BuiltinSynth::render_add`].
const BLOCK: usize = 32;

impl Voice {
    /// Moves the envelope `k` samples on (the same recurrences as per sample,
    /// in closed form), turning the voice off when it has fallen silent.
    fn advance_env(&mut self, k: usize) {
        let mut left = k as i32;
        if self.stage == Stage::Attack {
            let need = ((1.0 - self.env) / self.attack_inc).ceil().max(1.0);
            if need > left as f32 {
                self.env += self.attack_inc * left as f32;
                return;
            }
            left -= need as i32;
            self.env = 1.0;
            self.stage = Stage::Decay;
        }
        match self.stage {
            Stage::Decay => {
                self.env = self.sustain + (self.env - self.sustain) * self.decay_mul.powi(left);
                if self.sustain == 0.0 && self.env < SILENT {
                    self.stage = Stage::Off;
                }
            }
            Stage::Release => {
                self.env *= self.release_mul.powi(left);
                if self.env < SILENT {
                    self.stage = Stage::Off;
                }
            }
            Stage::Attack | Stage::Off => {}
        }
    }
}

/// One voice's state across a block, with its per-sample ramps.
#[derive(Clone, Copy)]
struct Block {
    phase: u32,
    inc: u32,
    inc_step: i32,
    env: f32,
    env_step: f32,
    lp: f32,
    gl: f32,
    gr: f32,
}

impl Block {
    /// Runs the oscillator `osc(phase)` through the one-pole filter (coefficient
    /// `c`; its high-pass complement when `HIGHPASS`) and the envelope, adding
    /// the result panned into `l` and `r`.
    #[inline(always)]
    fn run<const HIGHPASS: bool>(&mut self, l: &mut [f32], r: &mut [f32], c: f32, mut osc: impl FnMut(u32) -> f32) {
        let mut b = *self;
        for (l, r) in l.iter_mut().zip(r.iter_mut()) {
            b.env += b.env_step;
            let x = osc(b.phase);
            b.phase = b.phase.wrapping_add(b.inc);
            b.inc = b.inc.wrapping_add_signed(b.inc_step);
            b.lp += c * (x - b.lp);
            let y = if HIGHPASS { x - b.lp } else { b.lp } * b.env;
            *l += y * b.gl;
            *r += y * b.gr;
        }
        *self = b;
    }
}

/// A phase increment (cycles per sample, up to 0.5) as a 32-bit fraction of a cycle.
#[inline]
fn phase_inc(cycles: f32) -> u32 {
    (f64::from(cycles.clamp(0.0, 0.5)) * 4_294_967_296.0) as u32
}

/// A 32-bit phase as a fraction of a cycle in [0, 1).
#[inline(always)]
fn unit(phase: u32) -> f32 {
    // The top 24 bits (exact in an f32, so always below 1.0), through i32 for a single conversion.
    (phase >> 8) as i32 as f32 * (1.0 / 16_777_216.0)
}

/// The next white-noise sample in [-1, 1) (xorshift32).
#[inline(always)]
fn white(state: &mut u32) -> f32 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    (x >> 9) as i32 as f32 * (2.0 / 8_388_608.0) - 1.0
}

#[inline(always)]
fn table(sine: &[f32], phase: u32) -> f32 {
    // TABLE is 2^10 entries: the phase's top 10 bits index it, the next 22 interpolate.
    let i = (phase >> 22) as usize;
    let frac = (phase & 0x003F_FFFF) as i32 as f32 * (1.0 / 4_194_304.0);
    match (sine.get(i), sine.get(i + 1)) {
        (Some(a), Some(b)) => a + (b - a) * frac,
        _ => 0.0,
    }
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

/// A loaded SoundFont (shared, read-only).
#[derive(Clone)]
pub struct SoundFontData(Arc<rustysynth::SoundFont>);

impl std::fmt::Debug for SoundFontData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoundFontData").field("presets", &self.0.get_presets().len()).finish()
    }
}

impl SoundFontData {
    /// Loads a .sf2 file; a damaged or unsupported file is an error naming it.
    pub fn load(path: &Path) -> Result<Self, MidiError> {
        let bytes = std::fs::read(path).map_err(|source| MidiError::Io { path: path.to_path_buf(), source })?;
        Self::from_bytes(bytes, path)
    }

    /// Loads a SoundFont from bytes in memory; `name` stands for the file in errors.
    pub fn from_bytes(bytes: Vec<u8>, name: &Path) -> Result<Self, MidiError> {
        let bad = |what: String| MidiError::SoundFont { path: name.to_path_buf(), what };
        // rustysynth allocates what a chunk states before reading it: every
        // size must fit in what holds it first.
        check_riff_sizes(&bytes).map_err(bad)?;
        // rustysynth indexes into the file's tables; keep a damaged file from taking the program down.
        let parsed = std::panic::catch_unwind(move || rustysynth::SoundFont::new(&mut std::io::Cursor::new(bytes)))
            .map_err(|_| bad("the file's tables are inconsistent".into()))?;
        let sf = parsed.map_err(|e| bad(e.to_string()))?;
        if sf.get_presets().is_empty() {
            return Err(bad("it holds no presets".into()));
        }
        let sf = Arc::new(sf);
        validate_font(&sf).map_err(bad)?;
        Ok(SoundFontData(sf))
    }
}

/// Checks that every chunk of a SoundFont's RIFF tree (`RIFF` → `LIST` →
/// sub-chunks) states a size that fits in what holds it, so that no size
/// read from the file can make the parser allocate more than the file holds.
fn check_riff_sizes(bytes: &[u8]) -> Result<(), String> {
    fn walk(data: &[u8], depth: u32) -> Result<(), String> {
        let mut pos = 0usize;
        while pos + 8 <= data.len() {
            let id = &data[pos..pos + 4];
            let size = u32::from_le_bytes([data[pos + 4], data[pos + 5], data[pos + 6], data[pos + 7]]) as usize;
            let body = pos + 8;
            if size > data.len() - body {
                return Err(format!(
                    "chunk '{}' states {size} bytes where {} remain (damaged or cut short)",
                    String::from_utf8_lossy(id),
                    data.len() - body
                ));
            }
            if depth < 2 && (id == b"RIFF" || id == b"LIST") && size >= 4 {
                walk(&data[body + 4..body + size], depth + 1)?;
            }
            pos = body + size + (size & 1);
        }
        Ok(())
    }
    if bytes.get(..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"sfbk") {
        return Err("not a SoundFont 2 file (no RIFF sfbk header)".into());
    }
    walk(bytes, 0)
}

/// Sample rate of the validation render.
const VALIDATE_RATE: i32 = 22_050;
/// Frames each preset plays during validation (long enough to run through short loops).
const VALIDATE_FRAMES: usize = 2048;

/// Plays every preset of a font once, off the audio thread, so a font that
/// rustysynth parses but cannot play (tables that point outside the sample
/// data, and the like) is refused when it loads instead of panicking on the
/// audio thread later. Each preset plays the lowest, middle and highest key
/// of each of its regions at once, for [`VALIDATE_FRAMES`] frames.
fn validate_font(sf: &Arc<rustysynth::SoundFont>) -> Result<(), String> {
    let settings = rustysynth::SynthesizerSettings::new(VALIDATE_RATE);
    let mut synth =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rustysynth::Synthesizer::new(sf, &settings)))
            .map_err(|_| "its instruments are inconsistent (the synth could not be built)".to_string())?
            .map_err(|e| e.to_string())?;
    let (mut l, mut r) = (vec![0.0f32; 256], vec![0.0f32; 256]);
    for preset in sf.get_presets() {
        let (bank, patch) = (preset.get_bank_number(), preset.get_patch_number());
        // Bank 128 is the percussion bank: channel 10 reaches it.
        let channel = if bank >= 128 { 9 } else { 0 };
        let mut keys: Vec<(i32, i32)> = Vec::new();
        for region in preset.get_regions() {
            for velocity in [100, 1] {
                let inside: Vec<i32> = (0..128).filter(|&k| region.contains(k, velocity)).collect();
                if let (Some(&lo), Some(&hi)) = (inside.first(), inside.last()) {
                    for k in [lo, (lo + hi) / 2, hi] {
                        if !keys.iter().any(|&(key, _)| key == k) {
                            keys.push((k, velocity));
                        }
                    }
                }
            }
        }
        let played = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            synth.reset();
            synth.process_midi_message(channel, 0xB0, 0, (bank - if channel == 9 { 128 } else { 0 }).clamp(0, 127));
            synth.process_midi_message(channel, 0xC0, patch.clamp(0, 127), 0);
            for &(k, velocity) in &keys {
                synth.note_on(channel, k, velocity);
            }
            for _ in 0..VALIDATE_FRAMES / l.len() {
                synth.render(&mut l, &mut r);
            }
            synth.note_off_all(false);
            synth.render(&mut l, &mut r);
        }));
        if played.is_err() || l.iter().chain(&r).any(|x| !x.is_finite()) {
            return Err(format!(
                "preset {bank}:{patch} (\"{}\") cannot be played: the file is damaged",
                preset.get_name()
            ));
        }
    }
    Ok(())
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
mod tests {
    use super::*;

    #[test]
    fn every_family_and_drum_sounds_and_dies_away() {
        let mut s = BuiltinSynth::new(48_000);
        let (mut l, mut r) = (vec![0.0f32; 4800], vec![0.0f32; 4800]);
        for program in (0..128).step_by(8) {
            s.reset();
            s.message(0xC0, program, 0);
            s.message(0x90, 60, 100);
            s.message(0x99, 36 + program / 8, 100);
            l.fill(0.0);
            r.fill(0.0);
            s.render_add(&mut l, &mut r);
            let peak = l.iter().chain(&r).fold(0.0f32, |m, x| m.max(x.abs()));
            assert!(peak > 0.01, "program {program} is silent");
            assert!(peak < 1.0, "program {program} peaks at {peak}");
            s.message(0x80, 60, 0);
            s.message(0x89, 36 + program / 8, 0);
            for _ in 0..200 {
                s.render_add(&mut l, &mut r);
            }
            assert_eq!(s.active_voices(), 0, "program {program} never ends");
        }
    }

    #[test]
    fn sustain_pedal_holds_and_voices_are_stolen() {
        let mut s = BuiltinSynth::new(48_000);
        let (mut l, mut r) = (vec![0.0f32; 64], vec![0.0f32; 64]);
        s.message(0xC0, 16, 0); // organ: sustains
        s.message(0xB0, 64, 127);
        s.message(0x90, 60, 100);
        s.message(0x80, 60, 0);
        s.render_add(&mut l, &mut r);
        assert_eq!(s.active_voices(), 1);
        assert!(s.voices.iter().any(|v| v.held));
        s.message(0xB0, 64, 0);
        assert!(s.voices.iter().all(|v| !v.held));
        for k in 0..100 {
            s.message(0x90, k, 100);
        }
        assert_eq!(s.active_voices(), MAX_VOICES);
    }

    #[test]
    fn soft_limit_never_reaches_full_scale() {
        for x in [0.0f32, 0.5, 0.8, 0.9, 1.0, 3.0, 1e9] {
            assert!(soft_limit(x) < 1.0 && soft_limit(-x) > -1.0);
            assert!(soft_limit(x) >= x.min(0.8));
        }
    }
}
