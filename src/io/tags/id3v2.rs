//! ID3v2 (2.2, 2.3, 2.4): in MP3 heads and in WAV/AIFF `id3 `/`ID3 ` chunks.
//!
//! Kept over lofty 0.25.5 (`tests/tags_lofty.rs`; relaxed parsing): lofty
//! reads no frame of an unsynchronised 2.3 tag with an extended header; with
//! the plain (not syncsafe) 2.4 frame sizes iTunes wrote it cuts the title to
//! 72 of 200 bytes and loses the frames after it; it leaves `(17)(18)` as a
//! 2.4 genre; it keeps only the last of two `TPE1` frames and folds every
//! `COMM` (iTunNORM, CDDB ids) into the comment (mutagen's `silence-44-s.mp3`,
//! `id3v1v2-combined.mp3`); and it refuses the whole MP3 for one frame's
//! unknown text encoding byte. Where ours is worse: the broken `TYER` of
//! `bad-TYER-frame.mp3` gives the date "þÿ" (as ffprobe does; mutagen and
//! relaxed lofty leave it out, lofty's default mode refuses the file).

use super::id3v1::id3v1_genre;
use super::keys::{common_name, TagFormat};
use std::borrow::Cow;

use super::{latin1, u32_be, Sink};
use crate::io::Tags;

/// Undoes ID3 unsynchronisation: every `FF 00` becomes `FF`.
fn unsync(b: &[u8]) -> Cow<'_, [u8]> {
    if !b.windows(2).any(|w| w == [0xFF, 0x00]) {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut prev_ff = false;
    for &c in b {
        if prev_ff && c == 0 {
            prev_ff = false;
            continue;
        }
        out.push(c);
        prev_ff = c == 0xFF;
    }
    Cow::Owned(out)
}

fn syncsafe(b: &[u8]) -> u32 {
    b.iter().fold(0u32, |acc, &c| (acc << 7) | (c & 0x7F) as u32)
}

fn is_frame_id(id: &[u8]) -> bool {
    !id.is_empty() && id.iter().all(|&c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Splits ID3 text in `encoding` at its terminators (one NUL byte, or an
/// aligned NUL pair for UTF-16) and decodes each piece.
fn id3_strings(encoding: u8, data: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    match encoding {
        1 | 2 => {
            // Big-endian unless a BOM (or, lacking any, the byte pattern) says otherwise.
            let mut little = encoding == 1 && guess_utf16_le(data);
            let mut start = 0;
            let mut i = 0;
            while i + 1 < data.len() {
                if data[i] == 0 && data[i + 1] == 0 {
                    out.push(utf16(&data[start..i], encoding == 1, &mut little));
                    start = i + 2;
                }
                i += 2;
            }
            if start < data.len() {
                out.push(utf16(&data[start..], encoding == 1, &mut little));
            }
        }
        _ => {
            for piece in data.split(|&c| c == 0) {
                out.push(match encoding {
                    3 => String::from_utf8_lossy(piece).into_owned(),
                    _ => latin1(piece),
                });
            }
        }
    }
    out
}

/// For BOM-less UTF-16 in a frame that should have one: mostly-zero odd bytes
/// mean little-endian Latin text.
fn guess_utf16_le(data: &[u8]) -> bool {
    match data {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => {
            let (mut even, mut odd) = (0usize, 0usize);
            for pair in data.chunks_exact(2) {
                even += (pair[0] == 0) as usize;
                odd += (pair[1] == 0) as usize;
            }
            odd > even
        }
    }
}

fn utf16(b: &[u8], with_bom: bool, little: &mut bool) -> String {
    let mut b = b;
    if with_bom && b.len() >= 2 {
        if b[0] == 0xFF && b[1] == 0xFE {
            *little = true;
            b = &b[2..];
        } else if b[0] == 0xFE && b[1] == 0xFF {
            *little = false;
            b = &b[2..];
        }
    }
    let le = *little;
    let units =
        b.chunks_exact(2).map(|p| if le { u16::from_le_bytes([p[0], p[1]]) } else { u16::from_be_bytes([p[0], p[1]]) });
    char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
}

/// Splits off the first terminated string in `encoding`, returning it and the rest.
fn id3_take_string(encoding: u8, data: &[u8]) -> (String, &[u8]) {
    let (end, skip) = if encoding == 1 || encoding == 2 {
        let mut i = 0;
        loop {
            if i + 1 >= data.len() {
                break (data.len(), 0);
            }
            if data[i] == 0 && data[i + 1] == 0 {
                break (i, 2);
            }
            i += 2;
        }
    } else {
        match data.iter().position(|&c| c == 0) {
            Some(i) => (i, 1),
            None => (data.len(), 0),
        }
    };
    let first = id3_strings(encoding, &data[..end]).into_iter().next().unwrap_or_default();
    let rest = data.get(end + skip..).unwrap_or(&[]);
    (first, rest)
}

/// Turns a TCON value into genre names: `(17)` → Rock, `(17)(18)` → Rock and
/// Techno, `(4)Eurodisco` → Eurodisco (the text refines the number), `((x` →
/// `(x`, a bare `17` → Rock, `(RX)`/`(CR)` → Remix/Cover.
pub(super) fn tcon_genres(value: &str, out: &mut Vec<String>) {
    let v = value.trim();
    if !v.is_empty() && v.len() <= 3 && v.bytes().all(|c| c.is_ascii_digit()) {
        match v.parse::<u32>().ok().and_then(id3v1_genre) {
            Some(name) => out.push(name.to_string()),
            None if v == "255" => {}
            None => out.push(v.to_string()),
        }
        return;
    }
    let mut rest = v;
    let mut found = Vec::new();
    loop {
        if rest.starts_with("((") {
            rest = &rest[1..];
            break;
        }
        let Some(inner_and_more) = rest.strip_prefix('(') else {
            break;
        };
        let Some(close) = inner_and_more.find(')') else {
            break;
        };
        let inner = &inner_and_more[..close];
        let name = match inner {
            "RX" => Some("Remix".to_string()),
            "CR" => Some("Cover".to_string()),
            n if !n.is_empty() && n.len() <= 3 && n.bytes().all(|c| c.is_ascii_digit()) => {
                n.parse::<u32>().ok().and_then(id3v1_genre).map(str::to_string)
            }
            _ => break,
        };
        found.extend(name);
        rest = &inner_and_more[close + 1..];
    }
    let rest = rest.trim();
    if !rest.is_empty() {
        // The text refines (replaces) the last numeric genre.
        found.pop();
        found.push(rest.to_string());
    }
    out.extend(found);
}

/// The normalised key of an ID3v2.3/2.4 text frame.
fn id3_text_key(id: &[u8]) -> Cow<'static, str> {
    common_name(TagFormat::Id3v2, id).map_or_else(|| Cow::Owned(latin1(id).to_ascii_lowercase()), Cow::Borrowed)
}

/// ID3v2.2 three-letter ids as their ID3v2.3 equivalents.
fn id3v22_id(id: &[u8]) -> Option<&'static [u8; 4]> {
    Some(match id {
        b"TT2" => b"TIT2",
        b"TP1" => b"TPE1",
        b"TP2" => b"TPE2",
        b"TAL" => b"TALB",
        b"TYE" => b"TYER",
        b"TCO" => b"TCON",
        b"TRK" => b"TRCK",
        b"TPA" => b"TPOS",
        b"TCM" => b"TCOM",
        b"TCR" => b"TCOP",
        b"TSS" => b"TSSE",
        b"TEN" => b"TENC",
        b"TXX" => b"TXXX",
        b"COM" => b"COMM",
        b"ULT" => b"USLT",
        _ => return None,
    })
}

/// Adds one frame's text (its data after the frame header and any extra
/// header bytes). `id` is a 2.3/2.4 id, or a 2.2 one with no 2.3 equivalent.
fn id3_frame(id: &[u8], data: &[u8], tags: &mut Sink<'_>) {
    let Some((&encoding, text)) = data.split_first() else {
        return;
    };
    if encoding > 3 {
        return;
    }
    match id {
        b"TXXX" => {
            let (desc, rest) = id3_take_string(encoding, text);
            let key = if desc.trim().is_empty() { "txxx".to_string() } else { desc.to_lowercase() };
            for v in id3_strings(encoding, rest) {
                tags.add(&key, &v);
            }
        }
        b"COMM" | b"USLT" => {
            let Some(text) = text.get(3..) else { return }; // language
            let (desc, rest) = id3_take_string(encoding, text);
            let d = desc.trim().to_lowercase();
            let key = if id == b"USLT" {
                "lyrics".to_string()
            } else if matches!(d.as_str(), "" | "comment" | "comments" | "description" | "id3v1 comment") {
                "comment".to_string()
            } else {
                d
            };
            // The text is one string (it may hold newlines), not a list.
            let value = id3_strings(encoding, rest).into_iter().next().unwrap_or_default();
            tags.add(&key, &value);
        }
        _ if id.first() == Some(&b'T') => {
            let key = id3_text_key(id);
            let values = id3_strings(encoding, text);
            if id == b"TCON" || id == b"TCO" {
                let mut genres = Vec::new();
                for v in &values {
                    tcon_genres(v, &mut genres);
                }
                for g in genres {
                    tags.add(&key, &g);
                }
            } else {
                for v in values {
                    tags.add(&key, &v);
                }
            }
        }
        _ => {} // APIC, PRIV, GEOB, URLs, binary frames…
    }
}

/// Parses an ID3v2.2/2.3/2.4 tag starting with `ID3`.
///
/// Handles all four text encodings, whole-tag (2.2/2.3) and per-frame (2.4)
/// unsynchronisation, the extended header, syncsafe frame sizes in 2.4 (and
/// iTunes' plain ones), NUL-separated multiple values, `COMM`, `TXXX`, numeric
/// `TCON` genres. Compressed, encrypted and binary frames are skipped.
pub fn parse_id3v2(tag: &[u8], tags: &mut Tags) {
    let tags = &mut Sink::new(tags, tag.len());
    let Some(header) = tag.get(..10) else { return };
    if &header[..3] != b"ID3" {
        return;
    }
    let version = header[3];
    let flags = header[5];
    if !(2..=4).contains(&version) {
        return;
    }
    let size = syncsafe(&header[6..10]) as usize;
    let body = &tag[10..tag.len().min(size.saturating_add(10))];
    if version == 2 && flags & 0x40 != 0 {
        return; // 2.2 "compression": no scheme was ever defined.
    }
    let tag_unsync = flags & 0x80 != 0;
    // 2.2 and 2.3 unsynchronise the whole tag, 2.4 each frame.
    let body: Cow<'_, [u8]> = if tag_unsync && version < 4 { unsync(body) } else { Cow::Borrowed(body) };
    let body: &[u8] = &body;
    let mut pos = 0usize;
    if version >= 3 && flags & 0x40 != 0 {
        // Extended header: 2.3 gives its size without the size field, 2.4 with it (syncsafe).
        let Some(ext) = body.get(..4) else { return };
        pos = if version == 3 {
            (u32_be(ext, 0).unwrap_or(0) as usize).saturating_add(4)
        } else {
            syncsafe(ext) as usize
        };
    }
    if version == 2 {
        parse_id3v22_frames(body, pos, tags);
        return;
    }
    while let Some(head) = body.get(pos..pos.saturating_add(10)) {
        if tags.full() {
            return;
        }
        let id = &head[..4];
        if !is_frame_id(id) {
            return; // Padding (zeros) or garbage.
        }
        let raw = &head[4..8];
        let start = pos + 10;
        let size = if version == 4 {
            let safe = syncsafe(raw) as usize;
            let plain = u32_be(raw, 0).unwrap_or(0) as usize;
            if raw.iter().any(|&c| c & 0x80 != 0)
                || (!next_frame_ok(body, start.saturating_add(safe))
                    && next_frame_ok(body, start.saturating_add(plain)))
            {
                plain // iTunes wrote plain sizes in 2.4 tags.
            } else {
                safe
            }
        } else {
            u32_be(raw, 0).unwrap_or(0) as usize
        };
        let fflags = head[9];
        let end = start.saturating_add(size).min(body.len());
        let mut data = &body[start..end];
        pos = start.saturating_add(size);
        let (compressed, encrypted, grouping) = if version == 3 {
            (fflags & 0x80 != 0, fflags & 0x40 != 0, fflags & 0x20 != 0)
        } else {
            (fflags & 0x08 != 0, fflags & 0x04 != 0, fflags & 0x40 != 0)
        };
        if compressed || encrypted {
            continue;
        }
        if grouping {
            data = data.get(1..).unwrap_or(&[]);
        }
        if version == 4 {
            if fflags & 0x01 != 0 {
                data = data.get(4..).unwrap_or(&[]); // Data length indicator.
            }
            if tag_unsync || fflags & 0x02 != 0 {
                id3_frame(id, &unsync(data), tags);
                continue;
            }
        }
        id3_frame(id, data, tags);
    }
}

/// True when a frame may start at `pos`: the end of the tag, padding, or a frame id.
fn next_frame_ok(body: &[u8], pos: usize) -> bool {
    pos == body.len() || body.get(pos) == Some(&0) || body.get(pos..pos.saturating_add(4)).is_some_and(is_frame_id)
}

fn parse_id3v22_frames(body: &[u8], mut pos: usize, tags: &mut Sink<'_>) {
    while let Some(head) = body.get(pos..pos.saturating_add(6)) {
        if tags.full() {
            return;
        }
        let id = &head[..3];
        if !is_frame_id(id) {
            return;
        }
        let size = ((head[3] as usize) << 16) | ((head[4] as usize) << 8) | head[5] as usize;
        let start = pos + 6;
        let end = start.saturating_add(size).min(body.len());
        let data = &body[start..end];
        pos = start.saturating_add(size);
        match id3v22_id(id) {
            Some(id4) => id3_frame(id4, data, tags),
            None => id3_frame(id, data, tags),
        }
    }
}

// ---------------------------------------------------------------------------
// Writing (ID3v2.4, UTF-8): the head of CoreMusic's MP3 files.

/// The ID3v2.4 text frame for a normalised key, if it has one of its own.
fn id3_frame_id(key: &str) -> Option<&'static [u8; 4]> {
    Some(match key {
        "title" => b"TIT2",
        "artist" => b"TPE1",
        "album" => b"TALB",
        "album_artist" => b"TPE2",
        "date" => b"TDRC",
        "genre" => b"TCON",
        "track" => b"TRCK",
        "disc" => b"TPOS",
        "composer" => b"TCOM",
        "copyright" => b"TCOP",
        "encoder" => b"TSSE",
        "encoded_by" => b"TENC",
        _ => return None,
    })
}

/// A 28-bit syncsafe integer (7 bits per byte).
fn syncsafe_bytes(n: usize) -> [u8; 4] {
    [(n >> 21) as u8 & 0x7F, (n >> 14) as u8 & 0x7F, (n >> 7) as u8 & 0x7F, n as u8 & 0x7F]
}

fn id3_push_frame(out: &mut Vec<u8>, id: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(id);
    out.extend_from_slice(&syncsafe_bytes(body.len()));
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(body);
}

/// An ID3v2.4 tag (UTF-8 text frames; several values of a key NUL-separated
/// in one frame, as 2.4 allows; the first comment as `COMM`, any others and
/// keys without a frame of their own as `TXXX`), followed by `padding` zero
/// bytes; `None` when there is nothing to store. Stays within
/// [`super::MAX_TAG_BYTES`] (later entries are left out). A `picture`
/// goes in an `APIC` frame.
pub fn id3v2_tag(tags: &Tags, picture: Option<&super::Picture>, padding: usize) -> Option<Vec<u8>> {
    let mut order: Vec<&str> = Vec::new();
    let mut values: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    let mut comment: Option<&str> = None;
    let mut used = 0usize;
    for (k, v) in &tags.0 {
        used = used.saturating_add(k.len() + v.len() + 16);
        if used > super::MAX_TAG_BYTES || k.is_empty() || k.contains('\0') {
            continue;
        }
        if k == "comment" && comment.is_none() {
            comment = Some(v);
            continue;
        }
        let list = values.entry(k.as_str()).or_insert_with(|| {
            order.push(k.as_str());
            Vec::new()
        });
        list.push(v.as_str());
    }
    let mut frames = Vec::new();
    if let Some(c) = comment {
        let mut body = vec![3u8];
        body.extend_from_slice(b"eng\0");
        body.extend_from_slice(c.as_bytes());
        id3_push_frame(&mut frames, b"COMM", &body);
    }
    for key in order {
        let joined = values[key].join("\0");
        let mut body = vec![3u8];
        match id3_frame_id(key) {
            Some(id) => {
                body.extend_from_slice(joined.as_bytes());
                id3_push_frame(&mut frames, id, &body);
            }
            None => {
                body.extend_from_slice(key.to_ascii_uppercase().as_bytes());
                body.push(0);
                body.extend_from_slice(joined.as_bytes());
                id3_push_frame(&mut frames, b"TXXX", &body);
            }
        }
    }
    if let Some(p) = picture {
        id3_push_frame(&mut frames, b"APIC", &super::picture::apic_body(p));
    }
    if frames.is_empty() {
        return None;
    }
    let mut tag = Vec::with_capacity(10 + frames.len() + padding);
    tag.extend_from_slice(b"ID3\x04\x00\x00");
    tag.extend_from_slice(&syncsafe_bytes(frames.len() + padding));
    tag.extend_from_slice(&frames);
    tag.resize(tag.len() + padding, 0);
    Some(tag)
}
