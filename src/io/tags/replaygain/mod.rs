//! ReplayGain 2.0 tags: the values ([`ReplayGain`]), reading them back from
//! a file's [`Tags`], and writing them into a file without touching its
//! audio (like rsgain and loudgain): Vorbis comments in FLAC, ID3v2.3/2.4
//! `TXXX` frames in MP3 and in the `id3 ` / `ID3 ` chunk of WAV and AIFF,
//! R128 gain fields in Ogg Opus ([`ogg`]) and iTunes freeform items in
//! MPEG-4 ([`mp4`]). Every other tag and every audio byte stays as it was;
//! the new file replaces the old one atomically
//! ([`crate::io::place::write_atomically`]). Ogg Vorbis and FLAC-in-Ogg give
//! [`TagWriteError::Unsupported`].

mod mp4;
mod ogg;

pub use ogg::R128_REFERENCE_LUFS;

use std::path::{Path, PathBuf};

use crate::io::Tags;

/// The loudness ReplayGain 2.0 brings music to, LUFS.
pub const REFERENCE_LUFS: f64 = -18.0;

/// Track (and album) gain and peak, as ReplayGain 2.0 stores them.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ReplayGain {
    /// Gain to the reference, dB.
    pub track_gain_db: f64,
    /// Peak, linear (1.0 = full scale).
    pub track_peak: f64,
    /// The album's gain, dB.
    pub album_gain_db: Option<f64>,
    /// The album's peak, linear.
    pub album_peak: Option<f64>,
}

impl ReplayGain {
    /// The tag fields, upper-case names and ReplayGain's text forms
    /// (`-6.52 dB`, `0.987654`).
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("REPLAYGAIN_TRACK_GAIN", format!("{:.2} dB", self.track_gain_db)),
            ("REPLAYGAIN_TRACK_PEAK", format!("{:.6}", self.track_peak)),
        ];
        if let Some(g) = self.album_gain_db {
            v.push(("REPLAYGAIN_ALBUM_GAIN", format!("{g:.2} dB")));
        }
        if let Some(p) = self.album_peak {
            v.push(("REPLAYGAIN_ALBUM_PEAK", format!("{p:.6}")));
        }
        v
    }

    /// The values in a file's tags (`replaygain_track_gain`…), when it has
    /// a track gain.
    pub fn from_tags(tags: &Tags) -> Option<ReplayGain> {
        Self::from_lookup(|k| tags.get(k))
    }

    /// [`ReplayGain::from_tags`] for tags as [`crate::io::FileInfo`] holds them.
    pub fn from_map(tags: &std::collections::BTreeMap<String, String>) -> Option<ReplayGain> {
        Self::from_lookup(|k| tags.get(k).map(String::as_str))
    }

    fn from_lookup<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Option<ReplayGain> {
        let number = |key: &str| -> Option<f64> {
            let v = get(key)?.trim();
            let v = v.strip_suffix("dB").or_else(|| v.strip_suffix("db")).unwrap_or(v).trim();
            v.parse::<f64>().ok().filter(|x| x.is_finite())
        };
        let r128 = |key: &str| get(key).and_then(ogg::gain_of_r128);
        // Opus files carry R128 gains (−23 LUFS, no peaks) instead.
        if let (None, Some(track)) = (number("replaygain_track_gain"), r128("r128_track_gain")) {
            return Some(ReplayGain {
                track_gain_db: track,
                track_peak: f64::NAN,
                album_gain_db: r128("r128_album_gain"),
                album_peak: None,
            });
        }
        Some(ReplayGain {
            track_gain_db: number("replaygain_track_gain")?,
            track_peak: number("replaygain_track_peak").unwrap_or(f64::NAN),
            album_gain_db: number("replaygain_album_gain"),
            album_peak: number("replaygain_album_peak"),
        })
    }
}

/// Why a file was not rewritten, before its path is attached.
enum Refusal {
    Damaged(String),
    Unsupported(String),
}

impl From<String> for Refusal {
    fn from(what: String) -> Self {
        Refusal::Damaged(what)
    }
}

impl From<&str> for Refusal {
    fn from(what: &str) -> Self {
        Refusal::Damaged(what.into())
    }
}

/// Why tags could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TagWriteError {
    /// Reading or replacing the file failed (the file is untouched).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A kind of file whose tags CoreMusic does not write.
    #[error("{}: {what}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What it is and why.
        what: String,
    },
    /// The file's structure is damaged; nothing was written.
    #[error("{}: {what}; its tags were not changed", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
}

/// Writes `rg` into the file at `path`, replacing any ReplayGain fields it
/// had and keeping everything else.
pub fn write_replaygain(path: &Path, rg: &ReplayGain) -> Result<(), TagWriteError> {
    let io = |source| TagWriteError::Io { path: path.to_path_buf(), source };
    let bytes = std::fs::read(path).map_err(io)?;
    let damaged = |what: String| TagWriteError::Damaged { path: path.to_path_buf(), what };
    let unsupported = |what: &str| TagWriteError::Unsupported { path: path.to_path_buf(), what: what.into() };
    let refused = |r: Refusal| match r {
        Refusal::Damaged(what) => damaged(what),
        Refusal::Unsupported(what) => unsupported(&what),
    };
    let fields = rg.fields();
    let out = if bytes.starts_with(b"fLaC") {
        flac_with(&bytes, &fields).map_err(damaged)?
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE" {
        chunks_with(&bytes, &fields, false).map_err(damaged)?
    } else if bytes.len() >= 12 && &bytes[..4] == b"FORM" && matches!(&bytes[8..12], b"AIFF" | b"AIFC") {
        chunks_with(&bytes, &fields, true).map_err(damaged)?
    } else if bytes.starts_with(b"OggS") {
        ogg::opus_with(&bytes, rg).map_err(refused)?
    } else if bytes.get(4..8) == Some(b"ftyp") {
        mp4::mp4_with(&bytes, &fields).map_err(refused)?
    } else if bytes.starts_with(b"ID3") || (bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        let old = if bytes.starts_with(b"ID3") {
            id3_len(&bytes).ok_or_else(|| damaged("a cut ID3v2 tag".into()))?
        } else {
            0
        };
        if bytes[old..].starts_with(b"fLaC") {
            return Err(unsupported("a FLAC file behind an ID3v2 tag: not rewritten"));
        }
        let tag = id3_with(bytes.get(..old).filter(|t| !t.is_empty()), &fields, old).map_err(damaged)?;
        let mut out = tag;
        out.extend_from_slice(&bytes[old..]);
        out
    } else {
        return Err(unsupported("not a FLAC, MP3, WAV, AIFF, Ogg Opus or MPEG-4 file"));
    };
    crate::io::place::write_atomically(path, &out).map_err(io)
}

fn is_replaygain_key(key: &[u8]) -> bool {
    key.len() >= 11 && key[..11].eq_ignore_ascii_case(b"REPLAYGAIN_")
}

// ---------------------------------------------------------------------------
// FLAC: the VORBIS_COMMENT block.

/// The FLAC file with its Vorbis comments' ReplayGain fields replaced; a
/// PADDING block absorbs the change in size when it can.
fn flac_with(bytes: &[u8], fields: &[(&str, String)]) -> Result<Vec<u8>, String> {
    let mut blocks: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut pos = 4usize;
    loop {
        let h = bytes.get(pos..pos + 4).ok_or("its metadata blocks are cut short")?;
        let (last, kind) = (h[0] & 0x80 != 0, h[0] & 0x7F);
        let len = u32::from_be_bytes([0, h[1], h[2], h[3]]) as usize;
        let body = bytes.get(pos + 4..pos + 4 + len).ok_or("a metadata block runs past the end")?;
        blocks.push((kind, body.to_vec()));
        pos += 4 + len;
        if last {
            break;
        }
        if kind == 127 {
            return Err("an invalid metadata block type (127)".into());
        }
    }
    if blocks.first().map(|b| b.0) != Some(0) {
        return Err("the first metadata block is not STREAMINFO".into());
    }
    let total = |blocks: &[(u8, Vec<u8>)]| blocks.iter().map(|b| 4 + b.1.len()).sum::<usize>() as isize;
    let old_total = total(&blocks);
    match blocks.iter().position(|b| b.0 == 4) {
        Some(i) => blocks[i].1 = vorbis_with(&blocks[i].1, fields, is_replaygain_key)?,
        None => blocks.insert(1, (4, vorbis_with(&[], fields, is_replaygain_key)?)),
    }
    // A PADDING block takes up the difference, so the audio does not move.
    let grow = total(&blocks) - old_total;
    if let Some(p) = blocks.iter().position(|b| b.0 == 1) {
        let room = blocks[p].1.len() as isize - grow;
        if room >= 0 {
            blocks[p].1.resize(room as usize, 0);
        }
    }
    let mut out = Vec::with_capacity(bytes.len() + 1024);
    out.extend_from_slice(b"fLaC");
    let n = blocks.len();
    for (i, (kind, body)) in blocks.iter().enumerate() {
        if body.len() >= 1 << 24 {
            return Err("a metadata block would exceed 16 MiB".into());
        }
        let len = (body.len() as u32).to_be_bytes();
        out.push(kind | if i + 1 == n { 0x80 } else { 0 });
        out.extend_from_slice(&len[1..]);
        out.extend_from_slice(body);
    }
    out.extend_from_slice(&bytes[pos..]);
    Ok(out)
}

/// A Vorbis comment body with the fields whose keys `replaced` picks
/// dropped and `fields` added (vendor, other fields and any bytes after
/// them kept byte for byte); an empty `body` starts a new one.
fn vorbis_with(body: &[u8], fields: &[(&str, String)], replaced: fn(&[u8]) -> bool) -> Result<Vec<u8>, String> {
    let u32_at = |at: usize| -> Result<usize, String> {
        body.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| "its Vorbis comment block is cut short".to_string())
    };
    let mut kept: Vec<&[u8]> = Vec::new();
    let mut tail: &[u8] = &[];
    let vendor: &[u8] = if body.is_empty() {
        b"CoreMusic"
    } else {
        let vlen = u32_at(0)?;
        let vendor = body.get(4..4 + vlen).ok_or("its Vorbis comment vendor runs past the block")?;
        let count = u32_at(4 + vlen)?;
        let mut pos = 8 + vlen;
        for _ in 0..count {
            let len = u32_at(pos)?;
            let entry = body.get(pos + 4..pos + 4 + len).ok_or("a Vorbis comment runs past the block")?;
            let key = entry.split(|&c| c == b'=').next().unwrap_or(entry);
            if !replaced(key) {
                kept.push(entry);
            }
            pos += 4 + len;
        }
        tail = &body[pos..];
        vendor
    };
    let added: Vec<Vec<u8>> = fields.iter().map(|(k, v)| format!("{k}={v}").into_bytes()).collect();
    let mut out = Vec::new();
    out.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    out.extend_from_slice(vendor);
    out.extend_from_slice(&((kept.len() + added.len()) as u32).to_le_bytes());
    for e in kept.iter().copied().chain(added.iter().map(Vec::as_slice)) {
        out.extend_from_slice(&(e.len() as u32).to_le_bytes());
        out.extend_from_slice(e);
    }
    out.extend_from_slice(tail);
    Ok(out)
}

// ---------------------------------------------------------------------------
// ID3v2: TXXX frames.

fn syncsafe(b: &[u8]) -> usize {
    b.iter().fold(0usize, |acc, &c| (acc << 7) | usize::from(c & 0x7F))
}

fn to_syncsafe(n: usize) -> [u8; 4] {
    [(n >> 21 & 0x7F) as u8, (n >> 14 & 0x7F) as u8, (n >> 7 & 0x7F) as u8, (n & 0x7F) as u8]
}

/// Bytes of the ID3v2 tag at the start of `bytes` (header, body, footer).
fn id3_len(bytes: &[u8]) -> Option<usize> {
    let h = bytes.get(..10)?;
    let footer = if h[3] == 4 && h[5] & 0x10 != 0 { 10 } else { 0 };
    let len = 10 + syncsafe(&h[6..10]) + footer;
    (len <= bytes.len()).then_some(len)
}

/// The description of a TXXX frame's data (encoding byte first).
fn txxx_description(data: &[u8]) -> Vec<u8> {
    let Some((&enc, text)) = data.split_first() else { return Vec::new() };
    match enc {
        1 | 2 => {
            let units: Vec<u16> = text
                .chunks_exact(2)
                .map(|c| if enc == 2 { u16::from_be_bytes([c[0], c[1]]) } else { u16::from_le_bytes([c[0], c[1]]) })
                .take_while(|&u| u != 0)
                .collect();
            // A big-endian BOM read as little-endian: read again.
            let units: Vec<u16> = match units.first() {
                Some(0xFFFE) => units.iter().skip(1).map(|u| u.swap_bytes()).collect(),
                Some(0xFEFF) => units[1..].to_vec(),
                _ => units,
            };
            String::from_utf16_lossy(&units).into_bytes()
        }
        _ => text.iter().copied().take_while(|&c| c != 0).collect(),
    }
}

/// An ID3v2 tag holding `old`'s frames (if any) without their ReplayGain
/// TXXX frames, plus `fields`; at least `keep_len` bytes long (padded) so
/// that what follows does not move when it fits.
fn id3_with(old: Option<&[u8]>, fields: &[(&str, String)], keep_len: usize) -> Result<Vec<u8>, String> {
    let mut version = 4u8;
    let mut frames: Vec<u8> = Vec::new();
    if let Some(tag) = old {
        version = tag[3];
        let flags = tag[5];
        if !(3..=4).contains(&version) {
            return Err(format!("an ID3v2.{version} tag (only 2.3 and 2.4 are rewritten)"));
        }
        if flags & 0x80 != 0 {
            return Err("an unsynchronised ID3v2 tag (not rewritten)".into());
        }
        let body = &tag[10..10 + syncsafe(&tag[6..10])];
        let mut pos = 0usize;
        if flags & 0x40 != 0 {
            // The extended header is optional: it is left out.
            let ext = body.get(..4).ok_or("a cut extended header")?;
            pos = if version == 3 {
                u32::from_be_bytes([ext[0], ext[1], ext[2], ext[3]]) as usize + 4
            } else {
                syncsafe(ext)
            };
        }
        while let Some(h) = body.get(pos..pos + 10) {
            if h[0] == 0 {
                break; // padding
            }
            let size =
                if version == 4 { syncsafe(&h[4..8]) } else { u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize };
            let frame = body.get(pos..pos + 10 + size).ok_or("an ID3v2 frame runs past the tag")?;
            // Frames with format flags (compressed, encrypted, unsynchronised) are kept as they are.
            let plain = h[9] == 0;
            let drop = &h[..4] == b"TXXX" && plain && is_replaygain_key(&txxx_description(&frame[10..]));
            if !drop {
                frames.extend_from_slice(frame);
            }
            pos += 10 + size;
        }
    }
    for (k, v) in fields {
        // UTF-8 in 2.4, Latin-1 in 2.3 (the values are ASCII).
        let mut data = vec![if version == 4 { 3 } else { 0 }];
        data.extend_from_slice(k.as_bytes());
        data.push(0);
        data.extend_from_slice(v.as_bytes());
        frames.extend_from_slice(b"TXXX");
        let size = if version == 4 { to_syncsafe(data.len()) } else { (data.len() as u32).to_be_bytes() };
        frames.extend_from_slice(&size);
        frames.extend_from_slice(&[0, 0]);
        frames.extend_from_slice(&data);
    }
    let mut body_len = frames.len();
    if keep_len >= 10 + body_len {
        body_len = keep_len - 10;
    } else {
        body_len += 1024; // room for the next edit
    }
    if body_len >= 1 << 28 {
        return Err("the ID3v2 tag would exceed 256 MiB".into());
    }
    let mut out = Vec::with_capacity(10 + body_len);
    out.extend_from_slice(b"ID3");
    out.extend_from_slice(&[version, 0, 0]);
    out.extend_from_slice(&to_syncsafe(body_len));
    out.extend_from_slice(&frames);
    out.resize(10 + body_len, 0);
    Ok(out)
}

// ---------------------------------------------------------------------------
// WAV and AIFF: the ID3 chunk.

/// The RIFF/WAVE (little-endian sizes) or FORM/AIFF (big-endian) file with
/// its `id3 ` / `ID3 ` chunk replaced or added at the end.
fn chunks_with(bytes: &[u8], fields: &[(&str, String)], big_endian: bool) -> Result<Vec<u8>, String> {
    let size_of = |b: &[u8]| {
        let a = [b[0], b[1], b[2], b[3]];
        (if big_endian { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) }) as usize
    };
    let put = |n: usize| if big_endian { (n as u32).to_be_bytes() } else { (n as u32).to_le_bytes() };
    let end = (8 + size_of(&bytes[4..8])).min(bytes.len());
    let mut out = bytes[..12].to_vec();
    let mut pos = 12usize;
    let mut old_tag: Option<&[u8]> = None;
    while pos + 8 <= end {
        let id = &bytes[pos..pos + 4];
        let len = size_of(&bytes[pos + 4..pos + 8]);
        let data = bytes
            .get(pos + 8..pos + 8 + len)
            .ok_or_else(|| format!("its '{}' chunk runs past the end of the file", String::from_utf8_lossy(id)))?;
        let next = (pos + 8 + len + (len & 1)).min(end);
        if id.eq_ignore_ascii_case(b"id3 ") {
            old_tag = Some(data);
        } else {
            out.extend_from_slice(&bytes[pos..next]);
            if len & 1 == 1 && next == pos + 8 + len {
                out.push(0); // a missing pad byte
            }
        }
        pos = next;
    }
    let old = old_tag.filter(|t| t.starts_with(b"ID3") && id3_len(t).is_some());
    let tag = id3_with(old.map(|t| &t[..id3_len(t).unwrap_or(t.len())]), fields, 0)?;
    out.extend_from_slice(if big_endian { b"ID3 " } else { b"id3 " });
    out.extend_from_slice(&put(tag.len()));
    out.extend_from_slice(&tag);
    if tag.len() & 1 == 1 {
        out.push(0);
    }
    if out.len() - 8 > u32::MAX as usize {
        return Err("the file would exceed 4 GiB".into());
    }
    let total = put(out.len() - 8);
    out[4..8].copy_from_slice(&total);
    // Bytes after the RIFF/FORM chunk (rare) are kept after it.
    out.extend_from_slice(&bytes[end..]);
    Ok(out)
}

#[cfg(test)]
mod tests;
