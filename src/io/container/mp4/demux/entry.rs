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

/// Sample rate and channel count of an AAC AudioSpecificConfig.
pub(super) fn asc_rate_channels(asc: &[u8]) -> Option<(u32, u32)> {
    const RATES: [u32; 13] = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
    let bits = u64::from_be_bytes({
        let mut a = [0u8; 8];
        let n = asc.len().min(8);
        a[..n].copy_from_slice(&asc[..n]);
        a
    });
    let mut pos = 0u32;
    let mut take = |n: u32| {
        let v = (bits << pos) >> (64 - n);
        pos += n;
        v as u32
    };
    let mut ot = take(5);
    if ot == 31 {
        ot = 32 + take(6);
    }
    let _ = ot;
    let fi = take(4);
    let rate = if fi == 15 { take(24) } else { *RATES.get(fi as usize)? };
    let ch = take(4);
    Some((rate, ch))
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
                if let Some((r, c)) = asc_rate_channels(&config) {
                    if r > 0 {
                        rate = r;
                    }
                    if c > 0 {
                        channels = c;
                    }
                }
                SampleCodec::Aac { config: plain_asc(config) }
            }
            Some((0x69 | 0x6B, _)) => SampleCodec::Mp3,
            Some((0xA5, _)) => other("ac3"),
            Some((0xA6, _)) => other("eac3"),
            Some((0xA9 | 0xAC, _)) => other("dts"),
            Some((0xAD, _)) => other("opus"),
            Some((0xE1, _)) => other("QCELP"),
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
