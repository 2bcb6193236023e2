//! Cover art: finding the picture a source file carries (FLAC `PICTURE`
//! blocks, ID3v2 `APIC`, MP4 `covr`, Ogg `METADATA_BLOCK_PICTURE`, through
//! symphonia's metadata readers) and laying it out for the lossy writers:
//! an ID3v2.4 `APIC` frame for MP3, a FLAC picture block (base64, in a
//! Vorbis comment) for Ogg Opus.
//!
//! Reading is a courtesy: a file whose metadata cannot be read, or that has
//! no picture, gives `None`, never an error; symphonia runs behind a panic
//! boundary. Pictures larger than [`MAX_PICTURE_BYTES`] are left out.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::{MetadataOptions, StandardTag, StandardVisualKey, Visual};

/// Pictures above this size are not carried over (a cover is rarely over 1 MB).
pub const MAX_PICTURE_BYTES: usize = 16 << 20;

/// An embedded picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// Media type, e.g. `image/jpeg`.
    pub mime: String,
    /// ID3v2/FLAC picture type: 3 front cover, 4 back cover, 0 other.
    pub kind: u8,
    /// Free text.
    pub description: String,
    /// The encoded image.
    pub data: Vec<u8>,
}

/// The media type of an image from its first bytes (JPEG, PNG, GIF), if known.
fn sniff_mime(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(b"\x89PNG") {
        Some("image/png")
    } else if data.starts_with(b"GIF8") {
        Some("image/gif")
    } else {
        None
    }
}

fn from_visual(v: &Visual) -> Option<Picture> {
    if v.data.is_empty() || v.data.len() > MAX_PICTURE_BYTES {
        return None;
    }
    let mime = v.media_type.clone().filter(|m| m.contains('/')).or_else(|| sniff_mime(&v.data).map(String::from))?;
    let kind = match v.usage {
        Some(StandardVisualKey::FrontCover) => 3,
        Some(StandardVisualKey::BackCover) => 4,
        _ => 0,
    };
    // The description (FLAC, APIC) comes as a tag of the picture.
    let description = v
        .tags
        .iter()
        .find_map(|t| match &t.std {
            Some(StandardTag::Description(d)) => Some(d.to_string()),
            _ => None,
        })
        .unwrap_or_default();
    Some(Picture { mime, kind, description, data: v.data.to_vec() })
}

/// The front cover `path` carries, else its first picture; `None` when it
/// has none or its metadata cannot be read.
pub fn read_cover(path: &Path) -> Option<Picture> {
    let file = std::fs::File::open(path).ok()?;
    let mss = MediaSourceStream::new(Box::new(file), MediaSourceStreamOptions::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    catch_unwind(AssertUnwindSafe(|| {
        let probe = symphonia::default::get_probe();
        let mut format = probe.probe(&hint, mss, FormatOptions::default(), MetadataOptions::default()).ok()?;
        let mut found: Vec<Picture> = Vec::new();
        let mut log = format.metadata();
        loop {
            if let Some(rev) = log.current() {
                let all = rev.media.visuals.iter().chain(rev.per_track.iter().flat_map(|t| &t.metadata.visuals));
                found.extend(all.filter_map(from_visual));
            }
            if log.pop().is_none() {
                break;
            }
        }
        let front = found.iter().position(|p| p.kind == 3).unwrap_or(0);
        (!found.is_empty()).then(|| found.swap_remove(front))
    }))
    .ok()
    .flatten()
}

/// The body of an ID3v2.4 `APIC` frame (UTF-8 description).
pub fn apic_body(p: &Picture) -> Vec<u8> {
    let mut b = Vec::with_capacity(p.data.len() + p.mime.len() + p.description.len() + 4);
    b.push(3);
    b.extend_from_slice(p.mime.as_bytes());
    b.push(0);
    b.push(p.kind);
    b.extend_from_slice(p.description.as_bytes());
    b.push(0);
    b.extend_from_slice(&p.data);
    b
}

/// A FLAC `PICTURE` metadata block body (also the content of a Vorbis
/// comment's `METADATA_BLOCK_PICTURE`, base64-encoded). Width, height,
/// depth and colours are 0 (unknown), which readers accept.
pub fn flac_picture_block(p: &Picture) -> Vec<u8> {
    let mut b = Vec::with_capacity(p.data.len() + p.mime.len() + p.description.len() + 32);
    b.extend_from_slice(&u32::from(p.kind).to_be_bytes());
    b.extend_from_slice(&(p.mime.len() as u32).to_be_bytes());
    b.extend_from_slice(p.mime.as_bytes());
    b.extend_from_slice(&(p.description.len() as u32).to_be_bytes());
    b.extend_from_slice(p.description.as_bytes());
    b.extend_from_slice(&[0; 16]);
    b.extend_from_slice(&(p.data.len() as u32).to_be_bytes());
    b.extend_from_slice(&p.data);
    b
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }

    #[test]
    fn unreadable_files_have_no_cover() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("junk.mp3");
        std::fs::write(&p, b"ID3\x04\x00\x00\x7f\x7f\x7f\x7fjunk").unwrap();
        assert_eq!(read_cover(&p), None);
        assert_eq!(read_cover(&dir.path().join("missing.flac")), None);
    }
}
