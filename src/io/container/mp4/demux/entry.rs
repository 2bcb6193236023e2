//! What an audio sample entry says: the codec (AAC from `esds` and its
//! AudioSpecificConfig, ALAC, FLAC, MP3…), rate, channels and bits.

use super::*;

/// Reads a descriptor length (1–4 bytes of 7 bits).
pub(super) fn desc_len(b: &[u8], at: &mut usize) -> Option<usize> {
    let mut n = 0usize;
    for _ in 0..4 {
        let x = *b.get(*at)?;
        *at += 1;
        n = (n << 7) | (x & 0x7f) as usize;
        if x & 0x80 == 0 {
            return Some(n);
        }
    }
    Some(n)
}

/// `(objectTypeIndication, DecoderSpecificInfo)` of an `esds` body.
pub(super) fn parse_esds(esds: &[u8]) -> Option<(u8, Vec<u8>)> {
    let b = full(esds)?.1;
    let mut at = 0usize;
    if *b.get(at)? == 0x03 {
        at += 1;
        desc_len(b, &mut at)?;
        at += 2; // ES_ID
        let flags = *b.get(at)?;
        at += 1;
        if flags & 0x80 != 0 {
            at += 2;
        }
        if flags & 0x40 != 0 {
            at += 1 + *b.get(at)? as usize;
        }
        if flags & 0x20 != 0 {
            at += 2;
        }
    }
    if *b.get(at)? != 0x04 {
        return None;
    }
    at += 1;
    let len = desc_len(b, &mut at)?;
    let end = at.checked_add(len)?.min(b.len());
    let oti = *b.get(at)?;
    let mut p = at + 13;
    while p < end {
        let tag = *b.get(p)?;
        p += 1;
        let l = desc_len(b, &mut p)?;
        if tag == 0x05 {
            return Some((oti, b.get(p..p.checked_add(l)?.min(b.len()))?.to_vec()));
        }
        p = p.checked_add(l)?;
    }
    Some((oti, Vec::new()))
}

/// What an AAC AudioSpecificConfig says about the audio a decoder gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AacConfig {
    /// The profile: AAC-LC (or another plain object type), HE-AAC (SBR) or
    /// HE-AACv2 (SBR + parametric stereo).
    pub profile: AacProfile,
    /// The core coder's object type (2 for AAC-LC, also under SBR).
    pub object_type: u32,
    /// Output sample rate: with SBR, the extension rate (twice the core's).
    pub sample_rate: u32,
    /// Output channels: from the channel configuration or the program
    /// config element. With SBR a mono core plays as stereo, since
    /// parametric stereo may come in any frame (decoders that support it,
    /// ffmpeg's among them, output stereo), unless the config says outright
    /// that it is absent.
    /// 0 when the config does not say.
    pub channels: u32,
}

/// The AAC family member a stream is coded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AacProfile {
    /// AAC-LC or another object type without SBR.
    Plain,
    /// HE-AAC (AAC-LC + spectral band replication).
    He,
    /// HE-AACv2 (HE-AAC + parametric stereo).
    HeV2,
}

/// MSB-first bits of a short config; reads past the end give zeros.
struct Bits<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn take(&mut self, n: u32) -> u32 {
        let mut v = 0u32;
        for _ in 0..n {
            let bit = self.b.get(self.pos / 8).map_or(0, |x| (x >> (7 - self.pos % 8)) & 1);
            v = (v << 1) | bit as u32;
            self.pos += 1;
        }
        v
    }

    fn left(&self) -> usize {
        (self.b.len() * 8).saturating_sub(self.pos)
    }

    fn object_type(&mut self) -> u32 {
        match self.take(5) {
            31 => 32 + self.take(6),
            ot => ot,
        }
    }

    fn rate(&mut self) -> Option<u32> {
        const RATES: [u32; 13] =
            [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
        match self.take(4) {
            15 => Some(self.take(24)),
            i => RATES.get(i as usize).copied(),
        }
    }

    /// The channels a program_config_element places (front, side, back
    /// elements count 2 when they are channel pairs; LFEs count 1).
    fn pce_channels(&mut self) -> u32 {
        self.take(4 + 2 + 4); // element tag, object type, rate index
        let (front, side, back) = (self.take(4), self.take(4), self.take(4));
        let lfe = self.take(2);
        let (assoc, cc) = (self.take(3), self.take(4));
        for _ in 0..3 {
            if self.take(1) == 1 {
                self.take(4);
            }
        }
        let mut n = lfe;
        for _ in 0..front + side + back {
            n += 1 + self.take(1);
            self.take(4);
        }
        self.take(4 * lfe + 4 * assoc + 5 * cc);
        n
    }
}

/// Parses an AudioSpecificConfig (ISO 14496-3 1.6.2.1): object type, rates
/// and channels, with SBR and PS signalled explicitly (object type 5 or 29
/// first) or backward-compatibly (a sync extension after the
/// GASpecificConfig). `None` when the rate index is reserved.
pub fn parse_asc(asc: &[u8]) -> Option<AacConfig> {
    let mut b = Bits { b: asc, pos: 0 };
    let mut object_type = b.object_type();
    let core_rate = b.rate()?;
    let ch_config = b.take(4);
    let mut profile = AacProfile::Plain;
    // The backward-compatible PS flag, when the config has one.
    let mut ps_flag = None;
    let mut rate = core_rate;
    if object_type == 5 || object_type == 29 {
        profile = if object_type == 29 { AacProfile::HeV2 } else { AacProfile::He };
        rate = b.rate()?;
        object_type = b.object_type();
    }
    let mut channels = match ch_config {
        1..=6 => ch_config,
        7 => 8,
        11 => 7,
        12 | 14 => 8,
        13 => 24,
        _ => 0,
    };
    // GASpecificConfig: frame length, core coder delay, extension flag.
    if matches!(object_type, 1..=4 | 6 | 7 | 17 | 19..=23) {
        b.take(1);
        if b.take(1) == 1 {
            b.take(14);
        }
        let extension = b.take(1);
        if ch_config == 0 {
            channels = b.pce_channels();
        }
        if matches!(object_type, 6 | 20) {
            b.take(3);
        }
        if extension == 1 {
            if object_type == 22 {
                b.take(16);
            }
            if matches!(object_type, 17 | 19 | 20 | 23) {
                b.take(3);
            }
            b.take(1);
        }
        // Backward-compatible SBR / PS signalling.
        if profile == AacProfile::Plain
            && b.left() >= 16
            && b.take(11) == 0x2b7
            && b.object_type() == 5
            && b.take(1) == 1
        {
            profile = AacProfile::He;
            rate = b.rate().unwrap_or(2 * core_rate);
            if b.left() >= 12 && b.take(11) == 0x548 {
                ps_flag = Some(b.take(1) == 1);
                if ps_flag == Some(true) {
                    profile = AacProfile::HeV2;
                }
            }
        }
    }
    if profile != AacProfile::Plain && channels == 1 && ps_flag != Some(false) {
        channels = 2;
    }
    if object_type == 36 {
        if let Some((als_rate, als_channels)) = als_config(asc) {
            (rate, channels) = (als_rate, als_channels);
        }
    }
    Some(AacConfig { profile, object_type, sample_rate: rate, channels })
}

/// MPEG-4 ALS (object type 36) keeps its rate and channels in its own
/// ALSSpecificConfig after the AudioSpecificConfig's header (whose
/// channel configuration is 0): the `ALS\0` id, the rate (32 bits), the
/// sample count (32) and channels − 1 (16).
fn als_config(asc: &[u8]) -> Option<(u32, u32)> {
    let at = asc.windows(4).take(16).position(|w| w == b"ALS\0")?;
    let c = asc.get(at + 4..at + 14)?;
    let rate = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
    let channels = u32::from(u16::from_be_bytes([c[8], c[9]])) + 1;
    (rate > 0).then_some((rate, channels))
}

/// An AudioSpecificConfig that claims more than it holds — an AAC-LC config
/// of two or three bytes whose `dependsOnCoreCoder` bit is set, with no room
/// for the 14-bit delay that must follow (real audiobooks have this) — is
/// rewritten to the plain two-byte form, as ffmpeg reads it. Any other
/// config is kept as it is.
pub(super) fn plain_asc(config: Vec<u8>) -> Vec<u8> {
    if config.len() < 2 || config.len() > 3 {
        return config;
    }
    let ot = config[0] >> 3;
    let fi = ((config[0] & 7) << 1) | (config[1] >> 7);
    let depends_on_core = config[1] & 2 != 0;
    if ot == 2 && fi < 13 && depends_on_core {
        return vec![config[0], config[1] & 0xF8];
    }
    config
}

/// What an audio sample entry says: codec, rate, channels, bits.
pub(super) type EntryFacts = (SampleCodec, u32, u32, u32);

/// The codec, rate, channels and bits of an audio sample entry.
pub(super) fn parse_audio_entry(kind: [u8; 4], e: &[u8]) -> EntryFacts {
    let version = be16(e, 8).unwrap_or(0);
    let mut channels = be16(e, 16).unwrap_or(0) as u32;
    let mut bits = be16(e, 18).unwrap_or(0) as u32;
    let mut rate = be32(e, 24).unwrap_or(0) >> 16;
    let children_at = match version {
        1 => 44,
        2 => {
            rate =
                be64(e, 32).map(f64::from_bits).filter(|r| r.is_finite() && *r > 0.0 && *r < 1e7).unwrap_or(0.0) as u32;
            channels = be32(e, 40).unwrap_or(0);
            bits = be32(e, 48).unwrap_or(0);
            64
        }
        _ => 28,
    };
    let kids = e.get(children_at..).unwrap_or(&[]);
    // QuickTime puts the codec boxes inside a `wave` box.
    let find = |k: &[u8; 4]| child(kids, k).or_else(|| child(kids, b"wave").and_then(|w| child(w, k)));
    let other = |s: &str| SampleCodec::Other(s.to_string());
    let codec = match &kind {
        b"mp4a" => match find(b"esds").and_then(parse_esds) {
            Some((0x40 | 0x66 | 0x67 | 0x68, config)) => {
                let parsed = parse_asc(&config);
                if let Some(a) = parsed {
                    if a.sample_rate > 0 {
                        rate = a.sample_rate;
                    }
                    if a.channels > 0 {
                        channels = a.channels;
                    }
                }
                SampleCodec::Aac { config: plain_asc(config), profile: parsed.map_or(AacProfile::Plain, |a| a.profile) }
            }
            Some((0x69 | 0x6B, _)) => SampleCodec::Mp3,
            Some((0xA5, _)) => other("ac3"),
            Some((0xA6, _)) => other("eac3"),
            Some((0xA9 | 0xAC, _)) => other("dts"),
            Some((0xAD, _)) => other("opus"),
            Some((0xE1, _)) => other("QCELP"),
            // Not registered; Nero's writer and ffmpeg use it for Vorbis.
            Some((0xDD, _)) => other("vorbis"),
            Some((oti, _)) => SampleCodec::Other(format!("MPEG-4 object type 0x{oti:02x}")),
            None => other("mp4a without a decoder configuration (esds)"),
        },
        b".mp3" | b"ms\0\x55" => SampleCodec::Mp3,
        b"alac" => match find(b"alac").and_then(full) {
            Some((_, cookie)) if cookie.len() >= 24 => {
                channels = cookie[9] as u32;
                bits = cookie[5] as u32;
                rate = be32(cookie, 20).unwrap_or(rate);
                SampleCodec::Alac { cookie: cookie.to_vec() }
            }
            _ => other("ALAC without its configuration"),
        },
        b"fLaC" => match find(b"dfLa").and_then(full) {
            Some((_, blocks)) if blocks.len() >= 4 + 34 && blocks[0] & 0x7f == 0 => {
                SampleCodec::Flac { streaminfo: blocks[4..38].to_vec() }
            }
            _ => other("FLAC without its STREAMINFO"),
        },
        b"Opus" => SampleCodec::Opus,
        b"samr" => other("AMR-NB"),
        b"sawb" => other("AMR-WB"),
        b"sawp" => other("AMR-WB+"),
        b"sqcp" => other("QCELP"),
        b"sevc" => other("EVRC"),
        b"ssmv" => other("SMV"),
        b"ac-3" => other("ac3"),
        b"ec-3" => other("eac3"),
        b"ac-4" => other("ac4"),
        b"dtsc" | b"dtsh" | b"dtsl" | b"dtse" => other("dts"),
        b"mha1" | b"mhm1" => other("MPEG-H 3D Audio"),
        k => SampleCodec::Other(format!("'{}'", fourcc_text(k))),
    };
    (codec, rate, channels, bits)
}
