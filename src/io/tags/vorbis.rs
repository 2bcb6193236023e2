//! Vorbis comments: FLAC `VORBIS_COMMENT` blocks, Ogg Vorbis/Opus comment headers.
//!
//! Kept over lofty 0.25.5 (`tests/tags_lofty.rs`): the values agree on every
//! well-formed block, but lofty refuses the whole FLAC when one entry's
//! length or the entry count runs past the block (we keep the entries before
//! it), and for mutagen's `52-too-short-block-size.flac`. Ogg files' comments
//! are read by symphonia, not here. (lofty shows the vendor string as an
//! `EncoderSoftware` tag; we do not count it as a tag.)

use super::keys::{common_text_key as common_key, native_key, TagFormat};
use super::{latin1, mapped, u32_le, Sink};
use crate::io::Tags;

/// Parses a Vorbis comment block (FLAC VORBIS_COMMENT body, Ogg comment header body without its packet type).
///
/// Little-endian vendor length and vendor string (skipped), a count, then
/// `KEY=value` entries with case-insensitive keys: `TRACKNUMBER`→track,
/// `DISCNUMBER`→disc, `ALBUMARTIST`→album_artist, `DESCRIPTION`→comment, and
/// other keys lower-cased (`REPLAYGAIN_TRACK_GAIN`→replaygain_track_gain).
pub fn parse_vorbis_comment(body: &[u8], tags: &mut Tags) {
    let tags = &mut Sink::new(tags, body.len());
    let Some(vendor_len) = u32_le(body, 0) else {
        return;
    };
    let mut pos = 4usize.saturating_add(vendor_len as usize);
    let Some(count) = u32_le(body, pos) else {
        return;
    };
    pos += 4;
    for _ in 0..count {
        if tags.full() {
            return;
        }
        let Some(len) = u32_le(body, pos) else { return };
        let start = pos + 4;
        let end = start.saturating_add(len as usize);
        // A length past the end keeps what is there (a truncated block).
        let entry = &body[start.min(body.len())..end.min(body.len())];
        pos = end;
        let Some(eq) = entry.iter().position(|&c| c == b'=') else {
            continue;
        };
        let key = &entry[..eq];
        if key.is_empty() || !key.iter().all(|&c| (0x20..0x7E).contains(&c)) {
            continue;
        }
        tags.add(&common_key(&latin1(key)), &String::from_utf8_lossy(&entry[eq + 1..]));
        if pos >= body.len() {
            return;
        }
    }
}

// ---------------------------------------------------------------------------
// Writer.

/// The Vorbis comment field name for a tag key: the usual names for the
/// normalised keys, any other key upper-cased, `None` when the key cannot be
/// a field name (empty, `=`, or outside printable ASCII).
pub fn vorbis_key(key: &str) -> Option<String> {
    if let Some(known) = native_key(TagFormat::Vorbis, key).and_then(|k| std::str::from_utf8(k).ok()) {
        return Some(known.to_string());
    }
    if key.is_empty() || !key.bytes().all(|c| (0x20..0x7E).contains(&c) && c != b'=') {
        return None;
    }
    Some(key.to_ascii_uppercase())
}

/// The body of a FLAC `VORBIS_COMMENT` metadata block (vendor `CoreMusic`,
/// then `KEY=value` fields); `None` when there is nothing to store.
pub fn vorbis_comment_body(tags: &Tags) -> Option<Vec<u8>> {
    const VENDOR: &[u8] = b"CoreMusic";
    let mut body = Vec::new();
    body.extend_from_slice(&(VENDOR.len() as u32).to_le_bytes());
    body.extend_from_slice(VENDOR);
    body.extend_from_slice(&0u32.to_le_bytes());
    let mut count = 0u32;
    for (key, value) in mapped(tags, vorbis_key) {
        body.extend_from_slice(&((key.len() + 1 + value.len()) as u32).to_le_bytes());
        body.extend_from_slice(key.as_bytes());
        body.push(b'=');
        body.extend_from_slice(value.as_bytes());
        count += 1;
    }
    if count == 0 {
        return None;
    }
    let at = 4 + VENDOR.len();
    body[at..at + 4].copy_from_slice(&count.to_le_bytes());
    Some(body)
}
