//! Ogg Opus: ReplayGain as the R128 gain fields of the `OpusTags` packet
//! (RFC 7845 §5.2.1): `R128_TRACK_GAIN` / `R128_ALBUM_GAIN`, Q7.8 fixed
//! point dB to apply on top of the `OpusHead` output gain to reach −23 LUFS.
//! The output gain itself and every audio page stay as they were; when the
//! new comment packet needs more or fewer pages than the old one, the pages
//! after it get new sequence numbers (and CRCs), nothing else. Like rsgain,
//! `REPLAYGAIN_*` fields are removed from Opus files (the RFC says not to
//! use them there) and no peaks are stored.

use super::{is_replaygain_key, vorbis_with, Refusal, ReplayGain, REFERENCE_LUFS};
use crate::io::container::ogg::{crc_table, page_crc};

/// The loudness the R128 gains of Opus refer to, LUFS.
pub const R128_REFERENCE_LUFS: f64 = -23.0;

/// The R128 fields for `rg`: its gains moved from the ReplayGain reference
/// (−18 LUFS) to −23 LUFS, as Q7.8 integers (`-1670` is −6.52 dB).
pub(super) fn r128_fields(rg: &ReplayGain) -> Vec<(&'static str, String)> {
    let q78 = |gain_db: f64| {
        let q = ((gain_db + R128_REFERENCE_LUFS - REFERENCE_LUFS) * 256.0).round();
        (q.clamp(-32768.0, 32767.0) as i32).to_string()
    };
    let mut v = vec![("R128_TRACK_GAIN", q78(rg.track_gain_db))];
    if let Some(g) = rg.album_gain_db {
        v.push(("R128_ALBUM_GAIN", q78(g)));
    }
    v
}

/// The ReplayGain (−18 LUFS reference) gain of an R128 Q7.8 field value.
pub(super) fn gain_of_r128(value: &str) -> Option<f64> {
    let q: i32 = value.trim().parse().ok()?;
    (-32768..=32767).contains(&q).then(|| f64::from(q) / 256.0 + REFERENCE_LUFS - R128_REFERENCE_LUFS)
}

/// Fields a new set of gains replaces in an Opus file.
fn is_gain_key(key: &[u8]) -> bool {
    is_replaygain_key(key)
        || key.eq_ignore_ascii_case(b"R128_TRACK_GAIN")
        || key.eq_ignore_ascii_case(b"R128_ALBUM_GAIN")
}

/// One page: where it starts, where its body starts, where it ends.
struct Page {
    start: usize,
    body: usize,
    end: usize,
    flags: u8,
    serial: u32,
    sequence: u32,
}

fn page_at(bytes: &[u8], at: usize) -> Result<Page, String> {
    let h = bytes.get(at..at + 27).filter(|h| &h[..4] == b"OggS" && h[4] == 0);
    let h = h.ok_or_else(|| format!("no Ogg page where one should start (byte {at})"))?;
    let le32 = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    let n = usize::from(h[26]);
    let lacing = bytes.get(at + 27..at + 27 + n).ok_or_else(|| format!("the Ogg page at byte {at} is cut short"))?;
    let end = at + 27 + n + lacing.iter().map(|&l| usize::from(l)).sum::<usize>();
    if end > bytes.len() {
        return Err(format!("the Ogg page at byte {at} is cut short"));
    }
    Ok(Page { start: at, body: at + 27 + n, end, flags: h[5], serial: le32(14), sequence: le32(18) })
}

/// The Ogg Opus file with its R128 gain fields replaced.
pub(super) fn opus_with(bytes: &[u8], rg: &ReplayGain) -> Result<Vec<u8>, Refusal> {
    let head = page_at(bytes, 0)?;
    if !bytes[head.body..head.end].starts_with(b"OpusHead") {
        return Err(Refusal::Unsupported("an Ogg file that is not Opus: ReplayGain tags are not written".into()));
    }
    let lacing = &bytes[head.start + 27..head.body];
    if head.flags & 2 == 0 || lacing.iter().filter(|&&l| l < 255).count() != 1 || lacing.last() == Some(&255) {
        return Err("its first Ogg page does not hold the OpusHead packet alone".to_string().into());
    }
    // The OpusTags packet: the pages after the head, up to the one it ends on.
    let (mut packet, mut pos, mut old_pages, mut ended) = (Vec::new(), head.end, 0u32, false);
    while !ended {
        let p = page_at(bytes, pos)?;
        if p.serial != head.serial {
            return Err(Refusal::Unsupported("a multiplexed Ogg file (several streams): not rewritten".into()));
        }
        let mut at = p.body;
        for &l in &bytes[p.start + 27..p.body] {
            if ended {
                return Err("audio shares the last page of its OpusTags packet (RFC 7845 forbids it)"
                    .to_string()
                    .into());
            }
            packet.extend_from_slice(&bytes[at..at + usize::from(l)]);
            at += usize::from(l);
            ended = l < 255;
        }
        old_pages += 1;
        pos = p.end;
    }
    let comments = packet.strip_prefix(b"OpusTags").ok_or("its second packet is not OpusTags")?;
    let mut new_packet = b"OpusTags".to_vec();
    new_packet.extend_from_slice(&vorbis_with(comments, &r128_fields(rg), is_gain_key)?);

    let table = crc_table();
    let mut out = bytes[..head.end].to_vec();
    let new_pages = lay_out(&mut out, &new_packet, head.serial, head.sequence.wrapping_add(1), &table);
    let shift = new_pages.wrapping_sub(old_pages);
    if shift == 0 {
        out.extend_from_slice(&bytes[pos..]);
        return Ok(out);
    }
    // The audio pages move by `shift` in sequence; their bytes stay otherwise.
    while pos < bytes.len() {
        let p = page_at(bytes, pos)?;
        if p.serial != head.serial {
            return Err(Refusal::Unsupported("a chained or multiplexed Ogg file: not rewritten".into()));
        }
        let at = out.len();
        out.extend_from_slice(&bytes[p.start..p.end]);
        let page = &mut out[at..];
        page[18..22].copy_from_slice(&p.sequence.wrapping_add(shift).to_le_bytes());
        page[22..26].fill(0);
        let crc = page_crc(&table, page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        pos = p.end;
    }
    Ok(out)
}

/// Lays `packet` into pages of up to 255 segments starting at `sequence`;
/// the page it ends on has granule position 0, the others −1. The page
/// count.
fn lay_out(out: &mut Vec<u8>, packet: &[u8], serial: u32, sequence: u32, table: &[u32; 256]) -> u32 {
    // 255-byte segments, then one shorter (maybe empty) that ends the packet.
    let segments = packet.len() / 255 + 1;
    let (mut done, mut pages) = (0usize, 0u32);
    while done < segments {
        let n = (segments - done).min(255);
        let last = done + n == segments;
        let mut page = Vec::with_capacity(27 + n + n * 255);
        page.extend_from_slice(b"OggS\0");
        page.push(u8::from(pages > 0));
        page.extend_from_slice(&(if last { 0 } else { u64::MAX }).to_le_bytes());
        page.extend_from_slice(&serial.to_le_bytes());
        page.extend_from_slice(&sequence.wrapping_add(pages).to_le_bytes());
        page.extend_from_slice(&[0; 4]);
        page.push(n as u8);
        let from = done * 255;
        let to = if last { packet.len() } else { (done + n) * 255 };
        for s in done..done + n {
            page.push(if s + 1 == segments { (packet.len() - s * 255) as u8 } else { 255 });
        }
        page.extend_from_slice(&packet[from..to]);
        let crc = page_crc(table, &page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&page);
        done += n;
        pages += 1;
    }
    pages
}

/// The end of the page at `at` (for the tests).
#[cfg(test)]
pub(super) fn tests_page(bytes: &[u8], at: usize) -> usize {
    page_at(bytes, at).map(|p| p.end).unwrap_or_else(|e| panic!("{e}"))
}
