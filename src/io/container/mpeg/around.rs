//! Tags around MPEG audio: ID3v2 at the head (possibly several), APEv2,
//! Lyrics3 and ID3v1 at the tail, found without trusting their sizes and
//! read into one [`Tags`] by precedence.

use super::*;

pub(super) fn syncsafe(b: &[u8]) -> u64 {
    b.iter().take(4).fold(0u64, |acc, &c| (acc << 7) | u64::from(c & 0x7F))
}

/// A tag found around the audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TagKind {
    Id3v2,
    Ape,
    Id3v1,
    Other,
}

/// The end of the ID3v2 tags (and a leading APE tag) at `pos`, or `pos`.
pub(super) fn skip_head_tags<R: Read + Seek + ?Sized>(
    w: &mut Window<'_, R>,
    mut pos: u64,
    found: &mut Vec<(TagKind, Range<u64>)>,
) -> u64 {
    loop {
        let Some(h) = w.get(pos, 10).map(<[u8]>::to_vec) else { return pos };
        if &h[..3] == b"ID3" && h[3] < 0xFF && h[4] < 0xFF && h[6..10].iter().all(|&c| c < 0x80) {
            let footer = if h[5] & 0x10 != 0 { 10 } else { 0 };
            let next = pos.saturating_add(10 + footer + syncsafe(&h[6..10]));
            found.push((TagKind::Id3v2, pos..next));
            pos = next;
            continue;
        }
        if let Some(a) = w.get(pos, 32).map(<[u8]>::to_vec) {
            if &a[..8] == b"APETAGEX" {
                let size = u64::from(u32::from_le_bytes([a[12], a[13], a[14], a[15]]));
                let next = pos.saturating_add(32 + size);
                found.push((TagKind::Ape, pos..next));
                pos = next;
                continue;
            }
        }
        return pos;
    }
}

/// The start of the tags at the end of the audio that ends at `end`
/// (ID3v1, APEv2, Lyrics3 v1/v2, an ID3v2 with a footer), or `end`.
pub(super) fn strip_tail_tags<R: Read + Seek + ?Sized>(
    w: &mut Window<'_, R>,
    start: u64,
    mut end: u64,
    found: &mut Vec<(TagKind, Range<u64>)>,
) -> u64 {
    // Each pass removes one tag; a handful is all real files have.
    for _ in 0..16 {
        let before = end;
        if end >= start + 128 && w.get(end - 128, 3) == Some(b"TAG") {
            found.push((TagKind::Id3v1, end - 128..end));
            end -= 128;
        }
        if end >= start + 32 {
            if let Some(f) = w.get(end - 32, 32).map(<[u8]>::to_vec) {
                if &f[..8] == b"APETAGEX" {
                    let size = u64::from(u32::from_le_bytes([f[12], f[13], f[14], f[15]]));
                    let flags = u32::from_le_bytes([f[20], f[21], f[22], f[23]]);
                    let header = if flags & (1 << 31) != 0 { 32 } else { 0 };
                    let at = end.saturating_sub(size + header).max(start);
                    found.push((TagKind::Ape, at..end));
                    end = at;
                }
            }
        }
        if end >= start + 15 {
            if let Some(l) = w.get(end - 15, 15).map(<[u8]>::to_vec) {
                if &l[6..] == b"LYRICS200" {
                    let size = std::str::from_utf8(&l[..6]).ok().and_then(|s| s.parse::<u64>().ok());
                    if let Some(size) = size {
                        let at = end.saturating_sub(15 + size);
                        if at >= start && w.get(at, 11) == Some(b"LYRICSBEGIN") {
                            found.push((TagKind::Other, at..end));
                            end = at;
                        }
                    }
                } else if &l[6..] == b"LYRICSEND" {
                    // Lyrics3 v1: LYRICSBEGIN within 5100 bytes before.
                    let from = end.saturating_sub(9 + 5100).max(start);
                    if let Some(b) = w.get(from, (end - 9 - from) as usize).map(<[u8]>::to_vec) {
                        if let Some(i) = b.windows(11).rposition(|x| x == b"LYRICSBEGIN") {
                            found.push((TagKind::Other, from + i as u64..end));
                            end = from + i as u64;
                        }
                    }
                }
            }
        }
        if end >= start + 10 {
            if let Some(f) = w.get(end - 10, 10).map(<[u8]>::to_vec) {
                if &f[..3] == b"3DI" && f[6..10].iter().all(|&c| c < 0x80) {
                    let at = end.saturating_sub(20 + syncsafe(&f[6..10])).max(start);
                    found.push((TagKind::Id3v2, at..end));
                    end = at;
                }
            }
        }
        if end == before {
            break;
        }
    }
    end
}

/// The most bytes of one tag read for its text (a bigger tag keeps its first part).
pub(super) const MAX_TAG_READ: u64 = 64 << 20;

/// Parses the tags found, each kind into its own [`Tags`], then merges them
/// by precedence: ID3v2 wins over APEv2, which wins over ID3v1.
pub(super) fn read_tags<R: Read + Seek + ?Sized>(w: &mut Window<'_, R>, found: &[(TagKind, Range<u64>)]) -> Tags {
    let mut by_kind = [Tags::default(), Tags::default(), Tags::default()];
    for (kind, range) in found {
        let slot = match kind {
            TagKind::Id3v2 => 0,
            TagKind::Ape => 1,
            TagKind::Id3v1 => 2,
            TagKind::Other => continue,
        };
        let end = range.end.min(w.len).min(range.start.saturating_add(MAX_TAG_READ));
        let Some(bytes) = read_range(w, range.start..end) else { continue };
        let t = &mut by_kind[slot];
        match kind {
            TagKind::Id3v2 => tags::parse_id3v2(&bytes, t),
            TagKind::Ape => tags::parse_ape(&bytes, t),
            _ => tags::parse_id3v1(&bytes, t),
        }
    }
    let [mut out, ape, v1] = by_kind;
    tags::merge_fallback(&mut out, ape);
    tags::merge_fallback(&mut out, v1);
    out
}

/// The bytes of `range` (which the caller bounded), read straight from the source.
pub(super) fn read_range<R: Read + Seek + ?Sized>(w: &mut Window<'_, R>, range: Range<u64>) -> Option<Vec<u8>> {
    let n = usize::try_from(range.end.checked_sub(range.start)?).ok()?;
    let mut v = vec![0u8; n];
    w.src.seek(SeekFrom::Start(range.start)).ok()?;
    w.src.read_exact(&mut v).ok()?;
    // The window's buffer no longer matches where the source stands; it is
    // keyed by position, not by the source's cursor, so it stays valid.
    Some(v)
}
