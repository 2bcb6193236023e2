//! APEv2 (and APEv1 footers): the tag block at the end of MP3, Musepack,
//! WavPack and Monkey's Audio files.
//!
//! Kept over lofty 0.25.5 (`tests/tags_lofty.rs`): lofty does not find an
//! APEv2 tag that sits before a Lyrics3v2 tag, as taggers append them
//! (crafted, and mutagen's `apev2-lyricsv2.mp3`: its ReplayGain is lost and
//! the ID3v1 title shown instead).

use super::keys::common_text_key as common_key;
use super::{latin1, u32_le, Sink};
use crate::io::Tags;

/// An APEv2 tag block: `items` as (key, value) pairs with item flags 0
/// (UTF-8 text; a value is written as given, so binary bytes go in too),
/// then the 32-byte footer, preceded by the matching header when
/// `with_header`. What [`parse_ape`] reads; taggers append it to MP3 files,
/// and the tests build damaged and tagged MP3s with it.
pub fn ape_tag(items: &[(&str, &[u8])], with_header: bool) -> Vec<u8> {
    let mut body = Vec::new();
    for (key, value) in items {
        body.extend((value.len() as u32).to_le_bytes());
        body.extend(0u32.to_le_bytes());
        body.extend(key.as_bytes());
        body.push(0);
        body.extend(*value);
    }
    let block = |flags: u32| {
        let mut b = b"APETAGEX".to_vec();
        b.extend(2000u32.to_le_bytes());
        b.extend(((body.len() + 32) as u32).to_le_bytes());
        b.extend((items.len() as u32).to_le_bytes());
        b.extend(flags.to_le_bytes());
        b.extend([0u8; 8]);
        b
    };
    // Bit 31: the tag has a header; bit 29: this block is the header.
    let has_header = if with_header { 1 << 31 } else { 0 };
    let mut t = if with_header { block(has_header | 1 << 29) } else { Vec::new() };
    t.extend(&body);
    t.extend(block(has_header));
    t
}

/// Parses an APEv1/APEv2 tag at the end of a file: `tag` ends with the
/// 32-byte `APETAGEX` footer (an ID3v1 tag after it is allowed), or starts
/// with the APEv2 header. Only UTF-8 text items are read; binary and
/// locator items are skipped; NUL-separated multiple values are split.
pub fn parse_ape(tag: &[u8], tags: &mut Tags) {
    let tags = &mut Sink::new(tags, tag.len());
    let is_ape = |at: usize| tag.get(at..at.saturating_add(8)) == Some(b"APETAGEX".as_slice());
    let len = tag.len();
    // Items and where they are: before a footer, or after a header.
    let footer_at = [len.checked_sub(32), len.checked_sub(160)].into_iter().flatten().find(|&at| is_ape(at));
    let (items, count) = if let Some(at) = footer_at {
        let size = u32_le(tag, at + 12).unwrap_or(0) as usize; // Items + footer.
        let count = u32_le(tag, at + 16).unwrap_or(0);
        let items_len = size.saturating_sub(32).min(at);
        (&tag[at - items_len..at], count)
    } else if is_ape(0) {
        let size = u32_le(tag, 12).unwrap_or(0) as usize;
        let count = u32_le(tag, 16).unwrap_or(0);
        let end = size.min(len).max(32);
        (tag.get(32..end).unwrap_or(&[]), count)
    } else {
        return;
    };
    let mut pos = 0usize;
    for _ in 0..count {
        if tags.full() {
            return;
        }
        let (Some(vsize), Some(iflags)) = (u32_le(items, pos), u32_le(items, pos.saturating_add(4))) else {
            return;
        };
        let key_start = pos + 8;
        let Some(klen) = items.get(key_start..).and_then(|k| k.iter().position(|&c| c == 0)) else {
            return;
        };
        let key = &items[key_start..key_start + klen];
        let vstart = key_start + klen + 1;
        let vend = vstart.saturating_add(vsize as usize);
        let Some(value) = items.get(vstart..vend.min(items.len())) else {
            return;
        };
        pos = vend;
        if key.is_empty() || !key.iter().all(|&c| (0x20..0x7F).contains(&c)) {
            return; // Keys are printable ASCII: this is not an item.
        }
        if (iflags >> 1) & 3 != 0 {
            continue; // Binary or external locator.
        }
        let key = common_key(&latin1(key));
        for v in String::from_utf8_lossy(value).split('\0') {
            tags.add(&key, v);
        }
    }
}
