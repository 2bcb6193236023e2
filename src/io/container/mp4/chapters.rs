//! Chapters of an MPEG-4 file: a QuickTime text track that the audio track
//! names in `tref/chap` (what iTunes, ffmpeg and most audiobook tools write),
//! or a Nero `chpl` box in `moov/udta` (older Nero and mp4v2 audiobooks).
//! When both are there and the text track is readable it wins, as in ffmpeg.

use std::io::{Read, Seek, SeekFrom};

use super::boxes::{be16, be64};
use super::demux::{Chapter, Trak};

/// Chapters read at most.
const MAX_CHAPTERS: usize = 10_000;
/// Bytes of one chapter title read at most.
const MAX_TITLE: usize = 1024;

/// Text from bytes that may be UTF-8 or UTF-16 with a byte-order mark.
fn text(b: &[u8]) -> String {
    let s = if b.len() >= 2 && (b[..2] == [0xFE, 0xFF] || b[..2] == [0xFF, 0xFE]) {
        let le = b[0] == 0xFF;
        let units: Vec<u16> = b[2..]
            .chunks_exact(2)
            .map(|c| if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) })
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(b).into_owned()
    };
    s.trim_matches(|c: char| c == '\0' || c.is_whitespace()).to_string()
}

/// The chapters of a Nero `chpl` box body: version, flags, (4 more bytes
/// from version 1), a count, then per chapter a start in 100 ns units and a
/// length-prefixed title.
pub(crate) fn parse_chpl(b: &[u8]) -> Vec<Chapter> {
    let Some(&version) = b.first() else { return Vec::new() };
    let mut at = if version >= 1 { 8 } else { 4 };
    let Some(&count) = b.get(at) else { return Vec::new() };
    at += 1;
    let mut out = Vec::new();
    for _ in 0..count {
        let (Some(start), Some(&len)) = (be64(b, at), b.get(at + 8)) else { break };
        let Some(title) = b.get(at + 9..at + 9 + len as usize) else { break };
        out.push(Chapter { start_s: start as f64 / 1e7, title: text(title) });
        at += 9 + len as usize;
    }
    out
}

/// The chapters of the text track that `audio` names in `tref/chap`, if it
/// is there and its samples are in the file.
pub(crate) fn from_text_track<R: Read + Seek>(src: &mut R, len: u64, traks: &[Trak], audio: &Trak) -> Vec<Chapter> {
    for id in &audio.chap {
        let Some(t) = traks.iter().find(|t| t.id == *id && t.id != audio.id) else { continue };
        if !(&t.handler == b"text" || &t.handler == b"sbtl") || t.timescale == 0 {
            continue;
        }
        let mut table = t.table.clone();
        let n = table.clip_to_file(len).min(MAX_CHAPTERS as u64);
        let mut out = Vec::new();
        let mut buf = vec![0u8; MAX_TITLE + 2];
        for i in 0..n {
            let Some((offset, size)) = table.sample(i) else { break };
            let take = (size as usize).min(buf.len());
            if src.seek(SeekFrom::Start(offset)).is_err() || src.read_exact(&mut buf[..take]).is_err() {
                break;
            }
            let tlen = be16(&buf[..take], 0).unwrap_or(0) as usize;
            let title = text(buf.get(2..(2 + tlen).min(take)).unwrap_or(&[]));
            out.push(Chapter { start_s: table.start_of(i) as f64 / t.timescale as f64, title });
        }
        if !out.is_empty() {
            return out;
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nero_chapters_parse_and_stop_at_the_end() {
        let mut b = vec![1, 0, 0, 0, 0, 0, 0, 0, 2];
        b.extend_from_slice(&0u64.to_be_bytes());
        b.push(5);
        b.extend_from_slice(b"Intro");
        b.extend_from_slice(&175_070_000u64.to_be_bytes());
        b.push(3);
        b.extend_from_slice(b"Two");
        let c = parse_chpl(&b);
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].title, "Two");
        assert!((c[1].start_s - 17.507).abs() < 1e-9);
        // Cut inside the second title: the first is kept.
        assert_eq!(parse_chpl(&b[..b.len() - 1]).len(), 1);
        assert!(parse_chpl(&[]).is_empty());
        assert_eq!(text(&[0xFE, 0xFF, 0, b'h', 0, b'i']), "hi");
    }
}
