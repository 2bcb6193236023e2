//! Four-character codes (`lpcm`, `aac `, `caff`…), both ways between text and bytes.

use std::fmt;

/// A four-character code as CoreAudio and the IFF family of containers use them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FourCC(pub [u8; 4]);

impl FourCC {
    /// Linear PCM.
    pub const LPCM: FourCC = FourCC(*b"lpcm");
    /// Apple Lossless.
    pub const ALAC: FourCC = FourCC(*b"alac");
    /// MPEG-4 AAC.
    pub const AAC: FourCC = FourCC(*b"aac ");
    /// FLAC.
    pub const FLAC: FourCC = FourCC(*b"flac");
    /// MPEG-1/2 Layer III.
    pub const MP3: FourCC = FourCC(*b".mp3");
    /// Opus.
    pub const OPUS: FourCC = FourCC(*b"opus");
    /// Vorbis (not a CoreAudio code; CoreMusic's own).
    pub const VORBIS: FourCC = FourCC(*b"vorb");
    /// ITU G.711 A-law.
    pub const ALAW: FourCC = FourCC(*b"alaw");
    /// ITU G.711 µ-law.
    pub const ULAW: FourCC = FourCC(*b"ulaw");
    /// IMA 4:1 ADPCM (Apple's `ima4` and the WAV variant).
    pub const IMA4: FourCC = FourCC(*b"ima4");
    /// Microsoft ADPCM (CoreAudio's code).
    pub const MS_ADPCM: FourCC = FourCC([b'm', b's', 0, 2]);

    /// The code from a big-endian `u32`, as CoreAudio stores it.
    pub const fn from_u32(v: u32) -> Self {
        FourCC(v.to_be_bytes())
    }

    /// The code as a big-endian `u32`.
    pub const fn to_u32(self) -> u32 {
        u32::from_be_bytes(self.0)
    }

    /// Parses exactly four ASCII characters, e.g. `"aac "`.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        (b.len() == 4).then(|| FourCC([b[0], b[1], b[2], b[3]]))
    }
}

impl fmt::Display for FourCC {
    /// Printable codes as text (`aac `); others as `0x6d730002`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.iter().all(|b| (0x20..0x7f).contains(b)) {
            for &b in &self.0 {
                write!(f, "{}", b as char)?;
            }
            Ok(())
        } else {
            write!(f, "0x{:08x}", self.to_u32())
        }
    }
}

impl fmt::Debug for FourCC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCC('{self}')")
    }
}

impl serde::Serialize for FourCC {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_both_ways() {
        assert_eq!(FourCC::parse("aac "), Some(FourCC::AAC));
        assert_eq!(FourCC::from_u32(0x6c70636d), FourCC::LPCM);
        assert_eq!(FourCC::LPCM.to_u32(), 0x6c70636d);
        assert_eq!(FourCC::AAC.to_string(), "aac ");
        assert_eq!(FourCC::MS_ADPCM.to_string(), "0x6d730002");
        assert_eq!(FourCC::parse("toolong"), None);
    }
}
