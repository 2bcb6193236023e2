//! CAF `info` chunk: a count, then key/value C strings. lofty 0.25.5 has no
//! CAF support (it refuses a CAF file, or finds no tags in it).

use super::keys::{common_text_key as common_key, native_key, TagFormat};
use super::{mapped, u32_be, Sink};
use crate::io::Tags;

/// Parses the body of a CAF `info` chunk (a count, then key/value C strings).
///
/// Keys map as `year`→date, `track number`→track, `comments`→comment,
/// `encoding application`→encoder; the rest keep their own lower-cased name.
pub fn parse_caf_info(body: &[u8], tags: &mut Tags) {
    let tags = &mut Sink::new(tags, body.len());
    let Some(count) = u32_be(body, 0) else { return };
    let mut rest = &body[4..];
    for _ in 0..count {
        if tags.full() {
            return;
        }
        let Some(k) = rest.iter().position(|&c| c == 0) else {
            return;
        };
        let key = &rest[..k];
        rest = &rest[k + 1..];
        let (value, next) = match rest.iter().position(|&c| c == 0) {
            Some(v) => (&rest[..v], &rest[v + 1..]),
            None => (rest, &[][..]), // Unterminated last value: keep it.
        };
        rest = next;
        tags.add(&common_key(&String::from_utf8_lossy(key)), &String::from_utf8_lossy(value));
        if rest.is_empty() {
            return;
        }
    }
}

// ---------------------------------------------------------------------------
// Writer.

/// The CAF `info` key for a tag key, if CAF has one.
pub fn caf_info_key(key: &str) -> Option<&'static str> {
    native_key(TagFormat::CafInfo, key).and_then(|k| std::str::from_utf8(k).ok())
}

/// A whole CAF `info` chunk (header included): a big-endian count, then
/// key and value C strings; empty when there is nothing to store.
pub fn caf_info_chunk(tags: &Tags) -> Vec<u8> {
    let mut body = 0u32.to_be_bytes().to_vec();
    let mut count = 0u32;
    for (key, value) in mapped(tags, caf_info_key) {
        body.extend_from_slice(key.as_bytes());
        body.push(0);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
        count += 1;
    }
    if count == 0 {
        return Vec::new();
    }
    body[..4].copy_from_slice(&count.to_be_bytes());
    let mut chunk = b"info".to_vec();
    chunk.extend_from_slice(&(body.len() as u64).to_be_bytes());
    chunk.extend_from_slice(&body);
    chunk
}
