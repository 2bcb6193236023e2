//! The built-in synth: voices (oscillator, envelope, one-pole filter),
//! channels (program, volume, pan, bend, sustain) and block rendering.
//! Nothing here allocates after [`BuiltinSynth::new`].

use super::*;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Stage {
    Off,
    Attack,
    Decay,
    Release,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Voice {
    pub(super) stage: Stage,
    pub(super) channel: u8,
    pub(super) key: u8,
    /// Note-off received while the sustain pedal was down.
    pub(super) held: bool,
    pub(super) age: u64,
    pub(super) wave: Wave,
    /// Phase as a 32-bit fraction of a cycle.
    pub(super) phase: u32,
    /// Phase increment per sample at zero bend.
    pub(super) base_inc: f32,
    pub(super) sweep: f32,
    pub(super) sweep_mul: f32,
    pub(super) env: f32,
    pub(super) attack_inc: f32,
    pub(super) decay_mul: f32,
    pub(super) sustain: f32,
    pub(super) release_mul: f32,
    pub(super) lp: f32,
    pub(super) lp_coef: f32,
    pub(super) noise: f32,
    pub(super) tone: f32,
    pub(super) highpass: bool,
    /// Velocity × patch gain.
    pub(super) level: f32,
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
pub(super) struct Channel {
    pub(super) program: u8,
    pub(super) volume: u8,
    pub(super) expression: u8,
    pub(super) pan: u8,
    pub(super) sustain: bool,
    /// Bend in semitones (value × range).
    pub(super) bend: f32,
    pub(super) bend_raw: i16,
    pub(super) bend_range: f32,
    pub(super) rpn: (u8, u8),
    /// The last parameter selected was an NRPN: data entry goes nowhere.
    pub(super) nrpn: bool,
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

    pub(super) fn gains(&self) -> (f32, f32) {
        let v = f32::from(self.volume) / 127.0 * f32::from(self.expression) / 127.0;
        let v = v * v;
        let p = f32::from(self.pan.min(127)) / 127.0 * std::f32::consts::FRAC_PI_2;
        (v * p.cos(), v * p.sin())
    }
}

/// The built-in synth (see the module docs).
#[derive(Debug, Clone)]
pub struct BuiltinSynth {
    pub(super) rate: f32,
    pub(super) voices: Vec<Voice>,
    pub(super) channels: [Channel; 16],
    pub(super) sine: Vec<f32>,
    pub(super) noise_state: u32,
    pub(super) clock: u64,
}

impl Default for BuiltinSynth {
    fn default() -> Self {
        Self::new(48_000)
    }
}

#[inline(always)]
pub(super) fn poly_blep(t: f32, dt: f32) -> f32 {
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

    pub(super) fn time_mul(&self, seconds: f32) -> f32 {
        // Multiplier per sample that decays by 1/e in `seconds`.
        (-1.0 / (seconds.max(1e-4) * self.rate)).exp()
    }

    pub(super) fn fade_mul(&self, seconds: f32) -> f32 {
        // Multiplier per sample that falls 60 dB (to the voice-off level) in `seconds`.
        (SILENT.ln() / (seconds.max(1e-4) * self.rate)).exp()
    }

    pub(super) fn note_on(&mut self, ch: u8, key: u8, vel: u8) {
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

    pub(super) fn note_off(&mut self, ch: u8, key: u8) {
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

    pub(super) fn release_channel(&mut self, ch: u8, immediate: bool) {
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
pub(super) const BLOCK: usize = 32;

impl Voice {
    /// Moves the envelope `k` samples on (the same recurrences as per sample,
    /// in closed form), turning the voice off when it has fallen silent.
    pub(super) fn advance_env(&mut self, k: usize) {
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
pub(super) struct Block {
    pub(super) phase: u32,
    pub(super) inc: u32,
    pub(super) inc_step: i32,
    pub(super) env: f32,
    pub(super) env_step: f32,
    pub(super) lp: f32,
    pub(super) gl: f32,
    pub(super) gr: f32,
}

impl Block {
    /// Runs the oscillator `osc(phase)` through the one-pole filter (coefficient
    /// `c`; its high-pass complement when `HIGHPASS`) and the envelope, adding
    /// the result panned into `l` and `r`.
    #[inline(always)]
    pub(super) fn run<const HIGHPASS: bool>(
        &mut self,
        l: &mut [f32],
        r: &mut [f32],
        c: f32,
        mut osc: impl FnMut(u32) -> f32,
    ) {
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
pub(super) fn phase_inc(cycles: f32) -> u32 {
    (f64::from(cycles.clamp(0.0, 0.5)) * 4_294_967_296.0) as u32
}

/// A 32-bit phase as a fraction of a cycle in [0, 1).
#[inline(always)]
pub(super) fn unit(phase: u32) -> f32 {
    // The top 24 bits (exact in an f32, so always below 1.0), through i32 for a single conversion.
    (phase >> 8) as i32 as f32 * (1.0 / 16_777_216.0)
}

/// The next white-noise sample in [-1, 1) (xorshift32).
#[inline(always)]
pub(super) fn white(state: &mut u32) -> f32 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    (x >> 9) as i32 as f32 * (2.0 / 8_388_608.0) - 1.0
}

#[inline(always)]
pub(super) fn table(sine: &[f32], phase: u32) -> f32 {
    // TABLE is 2^10 entries: the phase's top 10 bits index it, the next 22 interpolate.
    let i = (phase >> 22) as usize;
    let frac = (phase & 0x003F_FFFF) as i32 as f32 * (1.0 / 4_194_304.0);
    match (sine.get(i), sine.get(i + 1)) {
        (Some(a), Some(b)) => a + (b - a) * frac,
        _ => 0.0,
    }
}
