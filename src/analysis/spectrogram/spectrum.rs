//! The spectrum analyser: the averaged power spectrum of a span (the
//! selection, or one FFT at the playhead), peak hold across updates, and
//! the strongest tone read exactly — parabolic interpolation of the peak
//! bin and its neighbours in dB, on levels already corrected for the
//! window's coherent gain, so a 1 kHz sine at −20 dBFS reads 1000.0 Hz and
//! −20.0 dB.

use std::sync::atomic::AtomicBool;

use super::*;

/// The analyser's settings: Blackman-Harris, whose main lobe is nearly a
/// parabola in dB, so the interpolated peak is within 0.04 dB and a few
/// hundredths of a Hz (Hann would be up to 0.3 dB off between bins).
pub const ANALYSER_SETTINGS: Settings = Settings { fft_size: 16384, window: WindowKind::BlackmanHarris };

/// The most windows averaged for one spectrum (spread evenly over a long span).
pub const MAX_AVERAGED: usize = 256;

/// A tone found in a spectrum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tone {
    /// Its frequency in Hz.
    pub freq_hz: f64,
    /// Its level in dBFS (the level of a sine of that amplitude).
    pub level_db: f64,
}

/// An averaged power spectrum with its peak hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// FFT size and window.
    pub settings: Settings,
    /// Frames per second of the source.
    pub sample_rate: u32,
    /// Mean level per bin in dB (DC first).
    pub levels: Vec<f32>,
    /// The highest level each bin has shown since the hold was reset.
    pub hold: Vec<f32>,
}

impl Spectrum {
    /// The spectrum of frames `start..end` of `pick`: the mean power of up to
    /// [`MAX_AVERAGED`] windows across the span (one window centred on it
    /// when it is shorter than the FFT).
    pub fn measure(
        reader: &mut MonoReader,
        pick: ChannelPick,
        settings: Settings,
        sample_rate: u32,
        (start, end): (u64, u64),
    ) -> Result<Spectrum, SpectrogramError> {
        let mut analyzer = Analyzer::new(settings)?;
        let mut levels = vec![SILENCE_DB; settings.bins()];
        let never = AtomicBool::new(false);
        compute_columns(
            reader,
            pick,
            &mut analyzer,
            &[start, end.max(start + 1)],
            Windows::AtMost(MAX_AVERAGED),
            &never,
            &mut levels,
        )?;
        Ok(Spectrum { settings, sample_rate, hold: levels.clone(), levels })
    }

    /// The spectrum of interleaved samples in memory (all frames, `pick`).
    pub fn of_samples(
        channels: usize,
        sample_rate: u32,
        samples: &[f32],
        pick: ChannelPick,
        settings: Settings,
    ) -> Result<Spectrum, SpectrogramError> {
        let source = AudioSource::from_samples(channels, sample_rate, Arc::new(samples.to_vec()));
        Spectrum::measure(&mut source.reader()?, pick, settings, sample_rate, (0, source.frames()))
    }

    /// Keeps the higher of this spectrum's hold and `previous`'s, bin by bin
    /// (the same settings; otherwise the hold starts afresh).
    pub fn hold_from(&mut self, previous: &Spectrum) {
        if previous.settings == self.settings && previous.hold.len() == self.hold.len() {
            for (h, &p) in self.hold.iter_mut().zip(&previous.hold) {
                *h = h.max(p);
            }
        }
    }

    /// Hz between bins.
    pub fn bin_hz(&self) -> f64 {
        self.sample_rate as f64 / self.settings.fft_size as f64
    }

    /// The strongest tone above DC: the loudest bin (bins 0 and 1 left out),
    /// refined by a parabola through it and its neighbours.
    pub fn strongest(&self) -> Option<Tone> {
        let l = &self.levels;
        let (k, _) = l.iter().enumerate().skip(2).take(l.len().saturating_sub(3)).max_by(|a, b| a.1.total_cmp(b.1))?;
        Some(self.refine(k))
    }

    /// The tone at bin `k`, refined by parabolic interpolation in dB.
    pub fn refine(&self, k: usize) -> Tone {
        let (d, level_db) = parabolic_peak(&self.levels, k);
        Tone { freq_hz: (k as f64 + d) * self.bin_hz(), level_db }
    }
}

/// The peak of the parabola through bins `k - 1`, `k`, `k + 1` of `levels`
/// (dB): its offset from `k` in bins (−0.5..=0.5) and its level. At the
/// edges, bin `k` itself.
pub fn parabolic_peak(levels: &[f32], k: usize) -> (f64, f64) {
    let Some(&y1) = levels.get(k) else { return (0.0, SILENCE_DB as f64) };
    let y1 = y1 as f64;
    let (Some(&y0), Some(&y2)) = (k.checked_sub(1).and_then(|i| levels.get(i)), levels.get(k + 1)) else {
        return (0.0, y1);
    };
    let (y0, y2) = (y0 as f64, y2 as f64);
    let den = y0 - 2.0 * y1 + y2;
    let d = if den.abs() > 1e-12 { (0.5 * (y0 - y2) / den).clamp(-0.5, 0.5) } else { 0.0 };
    (d, y1 - 0.25 * (y0 - y2) * d)
}
