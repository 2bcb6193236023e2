//! RIFF `LIST`/`INFO`: the tag chunk of WAV (and RF64/W64) files.
//!
//! Kept over lofty 0.25.5 (`tests/tags_lofty.rs`): lofty drops a Latin-1
//! value (`IPRD` "Caf\xE9"), a sub-chunk or list whose size runs past its end
//! (we keep the bytes there), and refuses the whole WAV when the list is over
//! its 16 MiB allocation limit (we skip the chunk and read the audio). Where
//! a file has INFO and an `id3 ` chunk that disagree, the WAV reader keeps
//! both values (`title: From INFO; From id3`); lofty and mutagen show the
//! ID3 one, ffprobe the INFO one. Our AIFF and WAV writers rely on reading
//! both, so this stays as it is.

use std::borrow::Cow;

use super::keys::{common_name, native_id, TagFormat};
use super::{latin1, mapped, u32_le, until_nul, utf8_or_latin1, Sink};
use crate::io::Tags;

/// Parses the body of a RIFF `LIST` chunk of type `INFO` (the bytes after the
/// 4-byte `INFO` type): `INAM`→title, `IART`→artist, `IPRD`→album,
/// `ICRD`→date, `IGNR`→genre, `ICMT`→comment, `ITRK`/`IPRT`→track, others by their lower-cased id.
///
/// Each sub-chunk is an id, a little-endian size and NUL-terminated text,
/// padded to an even length; text is UTF-8 when valid, else Latin-1. A size
/// running past the end keeps the text that is there and stops.
pub fn parse_riff_info(body: &[u8], tags: &mut Tags) {
    let tags = &mut Sink::new(tags, body.len());
    let mut pos = 0usize;
    while let (Some(id), Some(size)) = (body.get(pos..pos.saturating_add(4)), u32_le(body, pos.saturating_add(4))) {
        if tags.full() {
            return;
        }
        if !id.iter().all(|&c| c.is_ascii_alphanumeric() || c == b' ') {
            return; // Not a sub-chunk: garbage or a broken writer.
        }
        let start = pos + 8;
        let end = start.saturating_add(size as usize).min(body.len());
        let text = utf8_or_latin1(until_nul(&body[start..end]));
        let key = common_name(TagFormat::RiffInfo, id).map_or_else(|| Cow::Owned(latin1(id)), Cow::Borrowed);
        tags.add(&key, &text);
        // Sub-chunks are padded to an even size.
        pos = start.saturating_add(size as usize).saturating_add(size as usize & 1);
    }
}

// ---------------------------------------------------------------------------
// Writer.

/// The RIFF INFO id for a tag key, if INFO has one.
pub fn riff_info_id(key: &str) -> Option<&'static [u8; 4]> {
    native_id(TagFormat::RiffInfo, key)
}

/// A whole RIFF `LIST` chunk of type `INFO` (header included) holding the
/// tags INFO has ids for, as NUL-terminated UTF-8 padded to even sizes;
/// empty when there is nothing to store. Its length is even.
pub fn riff_info_chunk(tags: &Tags) -> Vec<u8> {
    let mut body = b"INFO".to_vec();
    for (id, value) in mapped(tags, riff_info_id) {
        let len = value.len() + 1;
        body.extend_from_slice(id);
        body.extend_from_slice(&(len as u32).to_le_bytes());
        body.extend_from_slice(value.as_bytes());
        body.push(0);
        if len % 2 == 1 {
            body.push(0);
        }
    }
    if body.len() == 4 {
        return Vec::new();
    }
    let mut chunk = b"LIST".to_vec();
    chunk.extend_from_slice(&(body.len() as u32).to_le_bytes());
    chunk.extend_from_slice(&body);
    chunk
}
