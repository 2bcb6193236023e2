//! The spectrogram's settings as they are kept between runs (in the app's
//! [`crate::ui::Settings`]): view mode, FFT size, window, frequency scale,
//! dB floor and range, colours, lanes per channel or mixed. Names rather
//! than enum values are stored, so a value this version does not know
//! (an edited file, a newer version) falls back to the default.

use super::spectrogram::{ViewMode, FFT_SIZES};
use crate::analysis::spectrogram::scale::{ColourMap, FreqScale};
use crate::analysis::spectrogram::WindowKind;

/// The spectrogram's settings kept between runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SpectrogramPrefs {
    /// "Waveform", "Spectrogram" or "Split".
    pub mode: String,
    /// Samples per FFT.
    pub fft_size: usize,
    /// The window's name (`hann`, `hamming`, `blackman-harris`).
    pub window: String,
    /// The frequency scale's name (`lin`, `log`, `mel`).
    pub scale: String,
    /// The dB floor (the bottom of the colour scale).
    pub floor_db: f32,
    /// The dB range the colours span.
    pub range_db: f32,
    /// Grey instead of the heat colours.
    pub grey: bool,
    /// One lane per channel instead of the mix.
    pub per_channel: bool,
}

impl Default for SpectrogramPrefs {
    fn default() -> Self {
        super::WaveformView::new().spectrogram_prefs()
    }
}

impl super::WaveformView {
    /// The settings to keep.
    pub fn spectrogram_prefs(&self) -> SpectrogramPrefs {
        let s = &self.spectrogram;
        SpectrogramPrefs {
            mode: self.mode.label().to_string(),
            fft_size: s.settings.fft_size,
            window: s.settings.window.name().to_string(),
            scale: s.look.scale.name().to_string(),
            floor_db: s.look.floor_db,
            range_db: s.look.range_db,
            grey: s.look.colours == ColourMap::Grey,
            per_channel: s.per_channel,
        }
    }

    /// Takes kept settings back; each value that is not valid keeps the current one.
    pub fn apply_spectrogram_prefs(&mut self, p: &SpectrogramPrefs) {
        if let Some(m) = ViewMode::ALL.into_iter().find(|m| m.label() == p.mode) {
            self.mode = m;
        }
        let s = &mut self.spectrogram;
        if FFT_SIZES.contains(&p.fft_size) {
            s.settings.fft_size = p.fft_size;
        }
        if let Some(w) = WindowKind::parse(&p.window) {
            s.settings.window = w;
        }
        if let Some(f) = FreqScale::parse(&p.scale) {
            s.look.scale = f;
        }
        if p.floor_db.is_finite() {
            s.look.floor_db = p.floor_db.clamp(-200.0, -20.0);
        }
        if p.range_db.is_finite() {
            s.look.range_db = p.range_db.clamp(20.0, 200.0);
        }
        s.look.colours = if p.grey { ColourMap::Grey } else { ColourMap::Heat };
        s.per_channel = p.per_channel;
        s.look_changed();
    }
}
