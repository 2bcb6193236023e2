//! Text tags, one file per tag format, each holding its parser and (where
//! CoreMusic writes the format) its writer: [`riff_info`] (RIFF `LIST`/`INFO`),
//! [`id3v2`] (MP3 heads, WAV/AIFF `id3 `/`ID3 ` chunks), [`id3v1`], [`ape`]
//! (APEv2), [`aiff_text`] (NAME, AUTH, ANNO, (c) ), [`caf_info`] (CAF `info`),
//! [`vorbis`] (FLAC and Ogg comments) and [`ilst`] (iTunes MP4, writer only).
//! This file holds what they share: the `Sink` that enforces the budgets,
//! and the text helpers; [`keys`] is the one table from native keys to common names.
//!
//! Every parser takes the bytes of one tag (the caller finds them in the file)
//! and adds what it understands to a [`Tags`], with keys normalised across
//! formats: `title`, `artist`, `album`, `album_artist`, `date`, `genre`,
//! `comment`, `track`, `disc`, `composer`, `copyright`, `encoder`, and the
//! lower-cased native key for anything else. The parsers are total: they must
//! never panic on any bytes, never read outside the slice, and never allocate
//! more than a small multiple of the input, whatever the sizes in the tag say.
//! Damaged parts are skipped silently (tags are a courtesy, not the audio).
//!
//! The writers only build bytes (the container writers decide where they go)
//! and never fail: a tag a format has no field for is left out, and tags past
//! [`MAX_TAG_BYTES`] are dropped.
//!
//! Why our own and not lofty (first 0.22.4 on mutagen 1.48.1's 100 test
//! files, again 0.25.5 in `tests/tags_lofty.rs` with crafted cases, both
//! writers and a real-folder comparison, `benches/tags_lofty.sh`; each module
//! says where lofty fell short on it): lofty never panicked, but it reads whole files, not tag bytes a
//! container walker has found, and one damaged tag fails the whole file
//! (`issue_21.id3`: "Found an extended header…", `id3v23_unsynch.id3`,
//! `multiplexed.spx`, `52-too-short-block-size.flac`: no tags at all, where
//! mutagen reads 8, 0, 0 and 6). Its lengths repeat the errors this project
//! fixed (`apev2-lyricsv2.mp3` 210.97 s, a cut `vbri.mp3` 222.2 s, where the
//! audio is 1.93 s and 0.44 s), and it hands ID3v1 and ID3v2 back side by side,
//! so the precedence rule (ID3v2 over APEv2 over ID3v1) stays ours anyway. It
//! does read WavPack/APE/Musepack tags, which CoreMusic does not open.

use std::borrow::Cow;

use crate::io::Tags;

pub mod aiff_text;
pub mod ape;
pub mod caf_info;
#[doc(hidden)]
pub mod craft;
pub mod id3v1;
pub mod id3v2;
pub mod ilst;
pub mod keys;
pub mod picture;
pub mod replaygain;
pub mod riff_info;
pub mod vorbis;

pub use aiff_text::{aiff_text_chunks, aiff_text_id, parse_aiff_text};
pub use ape::{ape_tag, parse_ape};
pub use caf_info::{caf_info_chunk, caf_info_key, parse_caf_info};
pub use id3v1::{id3v1_genre, parse_id3v1, ID3V1_GENRES};
pub use id3v2::{id3v2_tag, parse_id3v2};
pub use ilst::{holds_tag as ilst_holds_tag, ilst_box};
pub use picture::{read_cover, Picture};
pub use replaygain::{write_replaygain, ReplayGain, TagWriteError};
pub use riff_info::{parse_riff_info, riff_info_chunk, riff_info_id};
pub use vorbis::{parse_vorbis_comment, vorbis_comment_body, vorbis_key};

// ---------------------------------------------------------------------------
// Small helpers.

/// At most this many tags are kept: real files have a few dozen, and
/// [`Tags::push`] compares each new tag with all the others, so a crafted tag
/// with millions of tiny values must not make parsing quadratic.
pub const MAX_TAGS: usize = 1024;

/// The most text (keys plus values, in bytes) one parser call adds for
/// `input_len` bytes of tag: `4 * input_len + 256`. Values decode to at most
/// 3× their bytes (U+FFFD for a bad byte); the limit also stops a long key
/// repeated for each of many tiny values (TXXX, APE) from growing
/// quadratically.
pub fn output_budget(input_len: usize) -> usize {
    input_len.saturating_mul(4).saturating_add(256)
}

/// Where a parser call puts its tags, enforcing [`MAX_TAGS`] and [`output_budget`].
struct Sink<'a> {
    tags: &'a mut Tags,
    budget: usize,
}

impl<'a> Sink<'a> {
    fn new(tags: &'a mut Tags, input_len: usize) -> Self {
        Sink { tags, budget: output_budget(input_len) }
    }

    /// True when nothing more will be added and parsing should stop.
    fn full(&self) -> bool {
        self.budget == 0 || self.tags.0.len() >= MAX_TAGS
    }

    /// [`Tags::push`] while within the limits; past them, stops for good.
    fn add(&mut self, key: &str, value: &str) {
        let cost = key.len().saturating_add(value.len());
        if self.full() || cost > self.budget {
            self.budget = 0;
            return;
        }
        self.budget -= cost;
        self.tags.push(key, value);
    }
}

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u32_be(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// ISO-8859-1: every byte is the code point of the same value.
fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| c as char).collect()
}

/// UTF-8 when the bytes are valid UTF-8, otherwise Latin-1 (what old Windows
/// and Mac taggers wrote).
fn utf8_or_latin1(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(latin1(b)),
    }
}

/// The bytes before the first NUL.
fn until_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// Adds the entries of `lower` whose key `into` does not have: for a file
/// with several tags of different worth (ID3v2 over APEv2 over ID3v1), the
/// better one wins per key instead of both values being kept. All of a
/// key's values in `lower` come along (an APEv2 `Artist` of `A\0B`).
pub fn merge_fallback(into: &mut Tags, lower: Tags) {
    let had: std::collections::BTreeSet<String> = into.0.iter().map(|(k, _)| k.clone()).collect();
    into.0.extend(lower.0.into_iter().filter(|(k, _)| !had.contains(k)));
}

/// The most tag text (keys and values, in bytes) one file gets: entries that
/// would take a tag block past it are left out. Well under the 16 MiB a FLAC
/// metadata block holds and the readers' tag chunk limit.
pub const MAX_TAG_BYTES: usize = 8 << 20;

/// The entries of `tags` that `id` names, in order, while their text stays
/// within [`MAX_TAG_BYTES`].
pub(crate) fn mapped<'a, T>(
    tags: &'a Tags,
    id: impl Fn(&str) -> Option<T> + 'a,
) -> impl Iterator<Item = (T, &'a str)> + 'a {
    let mut used = 0usize;
    tags.0.iter().filter_map(move |(k, v)| {
        let id = id(k)?;
        let cost = k.len().saturating_add(v.len()).saturating_add(16);
        if used.saturating_add(cost) > MAX_TAG_BYTES {
            return None;
        }
        used += cost;
        Some((id, v.as_str()))
    })
}

#[cfg(test)]
mod tests;
