//! AIFF text chunks: `NAME`, `AUTH`, `(c) `, `ANNO`.
//!
//! lofty 0.25.5 reads the same values from every AIFF we tried (crafted,
//! mutagen's six `.aif`, ffmpeg's, ours: `tests/tags_lofty.rs`). Kept anyway:
//! lofty parses whole files only, so the reader would open each file a
//! second time for a 20-line parser, and lofty refuses the whole file for a
//! text chunk over 16 MiB, where the reader skips it and plays the audio.

use std::borrow::Cow;

use super::keys::{common_name, native_id, TagFormat};
use super::{latin1, mapped, until_nul, utf8_or_latin1, Sink};
use crate::io::Tags;

/// Parses an AIFF text chunk: `NAME`→title, `AUTH`→artist, `(c) `→copyright, `ANNO`→comment.
///
/// Other ids are kept under their lower-cased, trimmed id when printable. An
/// `ANNO` with a NUL inside is cut there.
pub fn parse_aiff_text(id: [u8; 4], body: &[u8], tags: &mut Tags) {
    let tags = &mut Sink::new(tags, body.len());
    let key = match common_name(TagFormat::AiffText, &id) {
        Some(common) => Cow::Borrowed(common),
        None if id.iter().all(|&c| (0x20..0x7F).contains(&c)) => Cow::Owned(latin1(&id)),
        None => return,
    };
    tags.add(&key, &utf8_or_latin1(until_nul(body)));
}

// ---------------------------------------------------------------------------
// Writer.

/// The AIFF text chunk id for a tag key, if AIFF has one.
pub fn aiff_text_id(key: &str) -> Option<&'static [u8; 4]> {
    native_id(TagFormat::AiffText, key)
}

/// AIFF text chunks (`NAME`, `AUTH`, `(c) `, `ANNO`), headers included, in
/// the order of the tags, each padded to an even size; empty when there is
/// nothing to store.
pub fn aiff_text_chunks(tags: &Tags) -> Vec<u8> {
    let mut out = Vec::new();
    for (id, value) in mapped(tags, aiff_text_id) {
        out.extend_from_slice(id);
        out.extend_from_slice(&(value.len() as u32).to_be_bytes());
        out.extend_from_slice(value.as_bytes());
        if value.len() % 2 == 1 {
            out.push(0);
        }
    }
    out
}
