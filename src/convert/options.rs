//! What a conversion should produce: target format, rate, channels, depth,
//! quality — the options of `coremusic convert` and of a saved preset (TOML).

use std::path::Path;

pub use crate::dsp::resample::Quality;
use crate::format::SampleFormat;
use crate::io::{EncoderSettings, OutputFormat};

/// Target sample depth (`--bits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BitDepth {
    /// Unsigned 8-bit.
    #[serde(rename = "8")]
    U8,
    /// Signed 16-bit.
    #[serde(rename = "16")]
    S16,
    /// Signed 24-bit.
    #[serde(rename = "24")]
    S24,
    /// Signed 32-bit.
    #[serde(rename = "32")]
    S32,
    /// 32-bit float.
    #[serde(rename = "32f")]
    F32,
    /// 64-bit float.
    #[serde(rename = "64f")]
    F64,
}

impl BitDepth {
    /// Parses `8`, `16`, `24`, `32`, `32f`, `64f`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "8" => BitDepth::U8,
            "16" => BitDepth::S16,
            "24" => BitDepth::S24,
            "32" => BitDepth::S32,
            "32f" => BitDepth::F32,
            "64f" => BitDepth::F64,
            _ => return None,
        })
    }

    /// The sample format stored.
    pub fn sample_format(self) -> SampleFormat {
        match self {
            BitDepth::U8 => SampleFormat::U8,
            BitDepth::S16 => SampleFormat::S16,
            BitDepth::S24 => SampleFormat::S24,
            BitDepth::S32 => SampleFormat::S32,
            BitDepth::F32 => SampleFormat::F32,
            BitDepth::F64 => SampleFormat::F64,
        }
    }
}

/// Everything a conversion can be told. `None` keeps the source's value.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConvertOptions {
    /// Output container; `None` follows the output's extension (WAV for a folder).
    pub format: Option<OutputFormat>,
    /// Output sample rate.
    pub rate: Option<u32>,
    /// Output channel count.
    pub channels: Option<u16>,
    /// Output depth.
    pub bits: Option<BitDepth>,
    /// Resampling quality.
    pub quality: Quality,
    /// TPDF dither when the depth is reduced.
    pub dither: bool,
    /// Replace outputs that exist (never an input).
    pub overwrite: bool,
    /// Mirror input folders under the output folder.
    pub keep_tree: bool,
    /// Parallel files (0 = all cores).
    pub jobs: usize,
    /// Loudness normalisation (`--normalize`); `None` leaves the level alone.
    pub normalize: Option<NormalizeOptions>,
    /// Decode each output again once it is in place and prove it (`--verify`).
    pub verify: bool,
    /// How the lossy encoders (MP3, Opus, AAC) spend bits; a `[encoder]`
    /// table in a preset.
    #[serde(skip_serializing_if = "EncoderSettings::is_default")]
    pub encoder: EncoderSettings,
    /// Measure each output and write ReplayGain 2.0 track tags into it.
    pub replaygain: bool,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            format: None,
            rate: None,
            channels: None,
            bits: None,
            quality: Quality::High,
            dither: true,
            overwrite: false,
            keep_tree: false,
            jobs: 0,
            normalize: None,
            verify: false,
            encoder: EncoderSettings::default(),
            replaygain: false,
        }
    }
}

/// `--normalize LUFS [--true-peak DBTP] [--album]`: one gain per file (or
/// per batch) that brings the integrated loudness to `target_lufs`, lowered
/// where it would take the true peak above `true_peak_dbtp` (no limiter).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NormalizeOptions {
    /// Integrated loudness wanted, LUFS (EBU R128).
    pub target_lufs: f64,
    /// True-peak ceiling, dBTP.
    pub true_peak_dbtp: f64,
    /// One gain for the whole batch from its loudness as one programme
    /// (ReplayGain's album mode) instead of one per file.
    pub album: bool,
}

impl Default for NormalizeOptions {
    fn default() -> Self {
        NormalizeOptions { target_lufs: -14.0, true_peak_dbtp: -1.0, album: false }
    }
}

/// Why a preset could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum PresetError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The preset file.
        path: std::path::PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The TOML is not a valid preset.
    #[error("{}: not a valid preset: {message}", path.display())]
    Parse {
        /// The preset file.
        path: std::path::PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl ConvertOptions {
    /// Reads a TOML preset holding any of the options.
    pub fn load(path: &Path) -> Result<Self, PresetError> {
        let text = std::fs::read_to_string(path).map_err(|source| PresetError::Io { path: path.into(), source })?;
        Self::from_toml_str(&text, path)
    }

    /// Reads a TOML preset from text; `path` names it in errors.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Self, PresetError> {
        toml::from_str(text).map_err(|e| PresetError::Parse { path: path.into(), message: e.message().to_string() })
    }

    /// Writes these options as a TOML preset.
    pub fn save(&self, path: &Path) -> Result<(), PresetError> {
        let text = toml::to_string_pretty(self)
            .map_err(|e| PresetError::Parse { path: path.into(), message: e.to_string() })?;
        // Beside the target, then renamed over it: a failure leaves the old preset whole.
        crate::io::place::write_atomically(path, text.as_bytes())
            .map_err(|source| PresetError::Io { path: path.into(), source })
    }
}

/// The built-in presets, by the names the Batch panel shows and `--preset`
/// takes: the lossy ones people ask for (XLD's and ffmpeg's usual settings)
/// and the lossless archive copy. AAC is listed in macOS builds only.
pub fn named_presets() -> Vec<(&'static str, ConvertOptions)> {
    let lossy = |format, encoder| ConvertOptions { format: Some(format), encoder, ..Default::default() };
    let mut list = vec![
        ("MP3 V0", lossy(OutputFormat::Mp3, EncoderSettings::mp3_vbr(0))),
        ("MP3 V2", lossy(OutputFormat::Mp3, EncoderSettings::mp3_vbr(2))),
        ("MP3 320k", lossy(OutputFormat::Mp3, EncoderSettings::mp3_cbr(320))),
        ("MP3 192k", lossy(OutputFormat::Mp3, EncoderSettings::mp3_cbr(192))),
        ("Opus 96k", lossy(OutputFormat::Opus, EncoderSettings::opus(96))),
        ("Opus 128k", lossy(OutputFormat::Opus, EncoderSettings::opus(128))),
        ("Opus 192k", lossy(OutputFormat::Opus, EncoderSettings::opus(192))),
        ("AAC 256k", lossy(OutputFormat::Aac, EncoderSettings::opus(256))),
        ("FLAC", ConvertOptions { format: Some(OutputFormat::Flac), ..Default::default() }),
    ];
    list.retain(|(_, o)| o.format.is_none_or(|f| f.available().is_ok()));
    list
}

/// The built-in preset called `name` (any case, spaces or not: `mp3-v2`, `MP3 V2`).
pub fn named_preset(name: &str) -> Option<ConvertOptions> {
    let key = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    named_presets().into_iter().find(|(n, _)| key(n) == key(name)).map(|(_, o)| o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_round_trip_through_toml() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hires.toml");
        let opts = ConvertOptions {
            format: Some(OutputFormat::Flac),
            rate: Some(96000),
            bits: Some(BitDepth::S24),
            quality: Quality::Max,
            normalize: Some(NormalizeOptions { target_lufs: -16.0, true_peak_dbtp: -1.5, album: true }),
            verify: true,
            ..Default::default()
        };
        opts.save(&path).unwrap();
        assert_eq!(ConvertOptions::load(&path).unwrap(), opts);
        std::fs::write(&path, "format = \"flac\"\nbits = \"16\"\n").unwrap();
        let partial = ConvertOptions::load(&path).unwrap();
        assert_eq!(partial.bits, Some(BitDepth::S16));
        assert!(partial.dither, "unset fields keep their defaults");
        std::fs::write(&path, "colour = \"blue\"\n").unwrap();
        let e = ConvertOptions::load(&path).unwrap_err().to_string();
        assert!(e.contains("hires.toml") && e.contains("colour"), "{e}");
        // The lossy settings go in an `[encoder]` table.
        let opus = named_preset("opus-128k").unwrap();
        opus.save(&path).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("[encoder]"));
        assert_eq!(ConvertOptions::load(&path).unwrap(), opus);
    }

    #[test]
    fn named_presets_are_valid() {
        for (name, o) in named_presets() {
            let f = o.format.unwrap();
            assert!(o.encoder.check(f).is_ok(), "{name}");
            assert_eq!(named_preset(name).as_ref(), Some(&o));
        }
        assert_eq!(named_preset("Opus 128K").unwrap().encoder.bitrate, Some(128));
        assert!(named_preset("mp3 v11").is_none());
    }
}
