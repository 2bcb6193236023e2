//! The settings of the lossy encoders (MP3, Opus, AAC): what `convert`'s
//! `--quality V2`, `--bitrate 128k`, `--vbr`/`--cbr`, `--complexity` and
//! `--application` mean, and the named presets ("MP3 V2", "Opus 128k"…).
//!
//! One struct for all three codecs, each taking the fields that apply to it
//! (the others are ignored), so a preset file and the Batch panel carry one
//! thing. Checking happens here ([`EncoderSettings::check`]), before any file
//! is opened, so a bad bitrate is a usage error and not a half-written file.

/// Opus's application hint (libopus's `OPUS_APPLICATION_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpusApplication {
    /// Music and anything not speech (the default).
    #[default]
    Audio,
    /// Speech: favours intelligibility.
    Voip,
    /// The lowest delay (CELT only, 2.5 ms look-ahead).
    Lowdelay,
}

/// How the lossy encoders spend bits. `None` fields take the codec's default:
/// MP3 V2 (VBR), Opus 128 kb/s VBR for stereo (64 kb/s mono), complexity 10,
/// application `audio`; AAC 256 kb/s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EncoderSettings {
    /// MP3 VBR quality, LAME's `-V`: 0 (best, ~245 kb/s) to 9 (~65 kb/s).
    pub vbr_quality: Option<u8>,
    /// Bitrate in kb/s: MP3 CBR (16–320, one of [`MP3_BITRATES`]); Opus's
    /// target (6–510); AAC's target.
    pub bitrate: Option<u32>,
    /// `Some(true)` variable, `Some(false)` constant bitrate. MP3: a bitrate
    /// means CBR, none VBR; Opus and AAC: VBR unless `false`.
    pub vbr: Option<bool>,
    /// Encoder effort. MP3: LAME's `-q` 0 (best, slowest) to 9; Opus: 0 to 10 (best).
    pub complexity: Option<u8>,
    /// Opus's application hint.
    pub application: Option<OpusApplication>,
}

/// The MP3 CBR bitrates (kb/s) offered: MPEG-1 Layer III's (32–48 kHz)
/// but 56, and MPEG-2's lowest (16, 24) for 16–24 kHz; LAME checks that
/// the rate and bitrate go together.
pub const MP3_BITRATES: [u32; 15] = [16, 24, 32, 40, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];

impl EncoderSettings {
    /// MP3 VBR at LAME's `-V q` (0–9).
    pub fn mp3_vbr(q: u8) -> Self {
        EncoderSettings { vbr_quality: Some(q), vbr: Some(true), ..Default::default() }
    }

    /// MP3 at a constant `kbps`.
    pub fn mp3_cbr(kbps: u32) -> Self {
        EncoderSettings { bitrate: Some(kbps), vbr: Some(false), ..Default::default() }
    }

    /// Opus VBR at `kbps`.
    pub fn opus(kbps: u32) -> Self {
        EncoderSettings { bitrate: Some(kbps), ..Default::default() }
    }

    /// True when nothing is set (every codec's defaults).
    pub fn is_default(&self) -> bool {
        *self == EncoderSettings::default()
    }

    /// Why these settings cannot drive `format`'s encoder, if they cannot.
    pub fn check(&self, format: crate::io::OutputFormat) -> Result<(), String> {
        use crate::io::OutputFormat::{Aac, Mp3, Opus};
        if !format.is_lossy() && !self.is_default() {
            return Err(format!(
                "--quality V0..V9, --bitrate, --vbr/--cbr, --complexity and --application are for MP3, Opus and AAC, not {}",
                format.label()
            ));
        }
        if let Some(q) = self.vbr_quality {
            if q > 9 {
                return Err(format!("VBR quality V{q} does not exist: use V0 (best) to V9"));
            }
            if format != Mp3 {
                return Err(format!("VBR quality V{q} is for MP3; {} takes --bitrate", format.label()));
            }
        }
        match format {
            Mp3 => {
                if let Some(b) = self.bitrate {
                    if !MP3_BITRATES.contains(&b) {
                        return Err(format!("MP3 has no {b} kb/s bitrate: use one of {MP3_BITRATES:?} kb/s"));
                    }
                    if self.vbr_quality.is_some() || self.vbr == Some(true) {
                        return Err("give MP3 either --quality V0..V9 (VBR) or --bitrate (CBR), not both".into());
                    }
                }
                if self.complexity.is_some_and(|c| c > 9) {
                    return Err("MP3 --complexity is LAME's -q: 0 (best) to 9 (fastest)".into());
                }
            }
            Opus => {
                if let Some(b) = self.bitrate.filter(|b| !(6..=510).contains(b)) {
                    return Err(format!("Opus has no {b} kb/s bitrate: use 6 to 510 kb/s"));
                }
                if self.complexity.is_some_and(|c| c > 10) {
                    return Err("Opus --complexity is 0 to 10 (best)".into());
                }
            }
            Aac => {
                if let Some(b) = self.bitrate.filter(|b| !(16..=320).contains(b)) {
                    return Err(format!("AAC has no {b} kb/s bitrate here: use 16 to 320 kb/s"));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A short description, e.g. `V2`, `CBR 192 kb/s`, `128 kb/s VBR`.
    pub fn describe(&self, format: crate::io::OutputFormat) -> String {
        use crate::io::OutputFormat::{Aac, Mp3, Opus};
        match format {
            Mp3 => match self.bitrate {
                Some(b) => format!("CBR {b} kb/s"),
                None => format!("V{}", self.vbr_quality.unwrap_or(2)),
            },
            Opus | Aac => {
                let kbps = self.bitrate.unwrap_or(if format == Opus { 128 } else { 256 });
                let mode = if self.vbr == Some(false) { "CBR" } else { "VBR" };
                format!("{kbps} kb/s {mode}")
            }
            _ => String::new(),
        }
    }
}

/// `tags` with the `encoder` entries replaced by `name` (the source's
/// encoder did not make this file).
pub(crate) fn with_encoder(tags: &crate::io::Tags, name: &str) -> crate::io::Tags {
    let mut out = crate::io::Tags(tags.0.iter().filter(|(k, _)| k != "encoder").cloned().collect());
    out.push("encoder", name);
    out
}

/// Parses `128k`, `128`, `128kbps` or `128000` as kb/s.
pub fn parse_bitrate(s: &str) -> Option<u32> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.trim_end_matches("bps").trim_end_matches("b/s");
    let n: u32 = t.strip_suffix('k').unwrap_or(t).parse().ok()?;
    // A plain number of bits per second.
    let kbps = if n >= 1000 && !t.ends_with('k') { n / 1000 } else { n };
    (kbps > 0).then_some(kbps)
}

/// Parses `V0`..`V9` (or `v2`, `-V2`) as LAME's VBR quality.
pub fn parse_vbr_quality(s: &str) -> Option<u8> {
    let t = s.trim().trim_start_matches('-');
    let d = t.strip_prefix('V').or_else(|| t.strip_prefix('v'))?;
    d.parse::<u8>().ok().filter(|q| *q <= 9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::OutputFormat;

    #[test]
    fn bitrates_and_qualities_parse() {
        assert_eq!(parse_bitrate("128k"), Some(128));
        assert_eq!(parse_bitrate("192"), Some(192));
        assert_eq!(parse_bitrate("96000"), Some(96));
        assert_eq!(parse_bitrate("64kbps"), Some(64));
        assert_eq!(parse_bitrate("fast"), None);
        assert_eq!(parse_vbr_quality("V2"), Some(2));
        assert_eq!(parse_vbr_quality("-V0"), Some(0));
        assert_eq!(parse_vbr_quality("V10"), None);
        assert_eq!(parse_vbr_quality("high"), None);
    }

    #[test]
    fn settings_are_checked_against_the_codec() {
        assert!(EncoderSettings::mp3_vbr(2).check(OutputFormat::Mp3).is_ok());
        assert!(EncoderSettings::mp3_cbr(192).check(OutputFormat::Mp3).is_ok());
        let e = EncoderSettings::mp3_cbr(100).check(OutputFormat::Mp3).unwrap_err();
        assert!(e.contains("100 kb/s"), "{e}");
        let e = EncoderSettings::mp3_vbr(2).check(OutputFormat::Opus).unwrap_err();
        assert!(e.contains("for MP3"), "{e}");
        assert!(EncoderSettings::opus(128).check(OutputFormat::Opus).is_ok());
        assert!(EncoderSettings::opus(600).check(OutputFormat::Opus).is_err());
        assert_eq!(EncoderSettings::mp3_vbr(2).describe(OutputFormat::Mp3), "V2");
        assert_eq!(EncoderSettings::mp3_cbr(192).describe(OutputFormat::Mp3), "CBR 192 kb/s");
        assert_eq!(EncoderSettings::opus(128).describe(OutputFormat::Opus), "128 kb/s VBR");
    }
}
