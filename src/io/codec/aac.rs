//! AAC in .m4a: everything but the encoder, so that it is shared and tested
//! on every platform. The encoder is AudioToolbox's AudioConverter (the one
//! afconvert and Music.app use), in the thin macOS-only glue
//! [`super::aac_mac`]; it hands over 1024-frame packets, its magic cookie
//! and its priming. This file turns the cookie into the `esds` box of an
//! `mp4a` sample entry, and the priming and padding into the `iTunSMPB`
//! gapless tag, and the packets go through the same [`M4aMuxer`] as ALAC.
//!
//! [`M4aMuxer`]: crate::io::container::mp4::mux::M4aMuxer

use crate::io::container::mp4::mux::SampleEntry;

/// Frames in an AAC-LC packet.
pub const AAC_FRAMES_PER_PACKET: u32 = 1024;

/// One MPEG-4 descriptor: tag, the size in the 4-byte form, body.
fn descriptor(tag: u8, body: &[u8]) -> Vec<u8> {
    let n = body.len() as u32;
    let mut d = vec![tag, 0x80 | (n >> 21) as u8 & 0x7F, 0x80 | (n >> 14) as u8 & 0x7F, 0x80 | (n >> 7) as u8 & 0x7F];
    d.push(n as u8 & 0x7F);
    d.extend_from_slice(body);
    d
}

/// The AudioSpecificConfig inside a magic cookie: AudioToolbox gives an
/// `ES_Descriptor` (tag 3) holding it in its `DecSpecificInfo` (tag 5);
/// a short cookie that is no descriptor is the config itself.
pub fn audio_specific_config(cookie: &[u8]) -> Option<Vec<u8>> {
    if cookie.first() != Some(&3) {
        return (2..=16).contains(&cookie.len()).then(|| cookie.to_vec());
    }
    // Walk the descriptors (into 3 and 4) until tag 5.
    let mut at = 0usize;
    while at < cookie.len() {
        let tag = cookie[at];
        let (mut len, mut i) = (0usize, at + 1);
        for _ in 0..4 {
            let b = *cookie.get(i)?;
            i += 1;
            len = (len << 7) | usize::from(b & 0x7F);
            if b & 0x80 == 0 {
                break;
            }
        }
        match tag {
            // ES_Descriptor: ES_ID (2) and flags (1), then its children.
            3 => at = i + 3,
            // DecoderConfigDescriptor: 13 bytes of fields, then its children.
            4 => at = i + 13,
            5 => return cookie.get(i..i.checked_add(len)?).map(<[u8]>::to_vec),
            _ => at = i.checked_add(len)?,
        }
    }
    None
}

/// The `esds` box (header included) of an `mp4a` sample entry for `asc`.
pub fn esds_box(asc: &[u8], avg_bitrate: u32, max_packet: u32) -> Vec<u8> {
    let mut config = vec![0x40, 0x15];
    config.extend_from_slice(&max_packet.to_be_bytes()[1..]);
    config.extend_from_slice(&avg_bitrate.max(1).to_be_bytes());
    config.extend_from_slice(&avg_bitrate.max(1).to_be_bytes());
    config.extend_from_slice(&descriptor(5, asc));
    let mut es = vec![0, 0, 0];
    es.extend_from_slice(&descriptor(4, &config));
    es.extend_from_slice(&descriptor(6, &[2]));
    let body = [&[0u8, 0, 0, 0][..], &descriptor(3, &es)].concat();
    let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(b"esds");
    b.extend_from_slice(&body);
    b
}

/// The `mp4a` sample entry for an AAC stream.
pub fn mp4a_entry(channels: u16, sample_rate: u32, esds: Vec<u8>) -> SampleEntry {
    SampleEntry { fourcc: *b"mp4a", channels, bits: 16, sample_rate, extra_boxes: esds }
}

/// The `iTunSMPB` value (Apple's gapless information): priming frames,
/// padding frames, then the frames of real audio.
pub fn itunsmpb(priming: u32, padding: u32, frames: u64) -> String {
    format!(
        " 00000000 {priming:08X} {padding:08X} {frames:016X} 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_is_found_in_a_cookie() {
        // An ES_Descriptor as AudioToolbox gives it: AAC-LC 44.1 kHz stereo (0x12 0x10).
        let asc = [0x12, 0x10];
        let esds = esds_box(&asc, 256_000, 1536);
        let cookie = &esds[12..];
        assert_eq!(audio_specific_config(cookie), Some(asc.to_vec()));
        assert_eq!(audio_specific_config(&asc), Some(asc.to_vec()));
        assert_eq!(audio_specific_config(&[3, 0x80]), None);
        assert_eq!(audio_specific_config(&[]), None);
        assert_eq!(&esds[4..8], b"esds");
        assert_eq!(u32::from_be_bytes([esds[0], esds[1], esds[2], esds[3]]) as usize, esds.len());
    }

    #[test]
    fn the_gapless_tag_has_apples_layout() {
        let s = itunsmpb(2112, 448, 441_000);
        assert!(s.starts_with(" 00000000 00000840 000001C0 000000000006BAA8 "), "{s}");
        assert_eq!(s.split_whitespace().count(), 12);
    }
}
