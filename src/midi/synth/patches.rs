//! The built-in synth's sounds: one oscillator + envelope + filter patch per
//! General MIDI program family, and the drum kit on channel 10.

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Wave {
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
pub(super) struct Patch {
    pub(super) wave: Wave,
    pub(super) attack: f32,
    /// Seconds the decay takes to fall 60 dB (toward `sustain`).
    pub(super) decay: f32,
    pub(super) sustain: f32,
    /// Seconds the release takes to fall 60 dB, when the voice ends.
    pub(super) release: f32,
    /// Low-pass cutoff as a multiple of the note frequency.
    pub(super) cutoff: f32,
    pub(super) noise: f32,
    /// Pitch sweep: start at `sweep` × pitch, falling with time constant `sweep_time`.
    pub(super) sweep: f32,
    pub(super) sweep_time: f32,
    pub(super) highpass: bool,
    pub(super) gain: f32,
}

pub(super) const fn patch(wave: Wave, attack: f32, decay: f32, sustain: f32, release: f32, cutoff: f32) -> Patch {
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
pub(super) fn melodic_patch(program: u8) -> Patch {
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
pub(super) fn drum_patch(key: u8) -> (Patch, f32) {
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
