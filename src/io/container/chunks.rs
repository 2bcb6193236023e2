//! The chunk walk shared by the IFF-style containers: RIFF/RIFX/RF64/BW64
//! WAVE, FORM AIFF/AIFC and CAF. Each is a header followed by chunks of
//! `(id, size, body)`; they differ only in the width and byte order of the
//! size, whether an odd body is padded, and where the first chunk starts.
//! [`ChunkWalker`] reads the headers one by one, checks each id, and moves
//! past each body with its format's pad rule, clamping every offset so that a
//! size near `u64::MAX` cannot wrap. What a chunk *means* (which sizes are
//! "to the end of the file", when the walk may stop) stays with each reader.
//!
//! Must not read chunk bodies (the readers do, with their own caps) nor trust
//! a size beyond saturating arithmetic. Symphonia's
//! `symphonia-format-riff/src/common.rs` is the model.
//!
//! The writers' shared step is here too: [`patch_at`], the seek back to fill
//! a size that was unknown when its header was written.

use std::io::{Seek, SeekFrom, Write};

use crate::io::codec::pcm::{plausible_id, read_at};
use crate::io::{MediaSource, ReadError, ReadResult, Source, WriteError};

/// How a container lays out its chunk headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// RIFF-style: a 4-byte id and a 32-bit size in the given byte order;
    /// odd bodies are padded to even, except where a writer forgot the pad
    /// byte and the next id starts right after the body.
    Riff {
        /// RIFX (big-endian sizes) rather than RIFF.
        big_endian: bool,
    },
    /// FORM (AIFF/AIFC): a 4-byte id, a big-endian 32-bit size, odd bodies
    /// always padded.
    Form,
    /// CAF: a 4-byte id and a big-endian signed 64-bit size, no padding.
    Caf,
}

impl Layout {
    fn header_len(self) -> u64 {
        match self {
            Layout::Riff { .. } | Layout::Form => 8,
            Layout::Caf => 12,
        }
    }
}

/// One chunk header as it stands in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chunk {
    /// The four-character id.
    pub id: [u8; 4],
    /// Byte offset of the header.
    pub at: u64,
    /// Byte offset of the body.
    pub body: u64,
    /// The size field as written: 32 bits widened for RIFF and FORM, the
    /// two's-complement bits of CAF's signed size (see [`Chunk::signed_size`]).
    pub size: u64,
}

impl Chunk {
    /// CAF's size as the signed number it is (`-1`: to the end of the file).
    pub fn signed_size(&self) -> i64 {
        self.size as i64
    }
}

/// What the walk found next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// A chunk header.
    Chunk(Chunk),
    /// Bytes that are not a chunk id where a header should start.
    NotAChunk {
        /// Where.
        at: u64,
        /// The four bytes found.
        found: [u8; 4],
    },
    /// Fewer bytes than a header left: the walk is over.
    End,
}

/// Reads chunk headers from `start` to the end of the file.
pub(crate) struct ChunkWalker {
    layout: Layout,
    off: u64,
    file_len: u64,
}

impl ChunkWalker {
    /// A walk over `source` that starts with a header at `start`.
    pub fn new(source: &Source, layout: Layout, start: u64) -> Self {
        ChunkWalker { layout, off: start, file_len: source.byte_len() }
    }

    /// The length of the file walked.
    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    /// Bytes of the file from `offset` to its end.
    pub fn rest_from(&self, offset: u64) -> u64 {
        self.file_len.saturating_sub(offset)
    }

    /// The next header. CAF ids are not checked (its ids are any four bytes);
    /// RIFF and FORM ids must be printable ASCII.
    pub fn next(&mut self, source: &mut Source) -> ReadResult<Next> {
        let hlen = self.layout.header_len();
        if self.off.saturating_add(hlen) > self.file_len {
            return Ok(Next::End);
        }
        let mut h = [0u8; 12];
        read_at(source, self.off, &mut h[..hlen as usize])?;
        let id = [h[0], h[1], h[2], h[3]];
        let size = match self.layout {
            Layout::Riff { big_endian: false } => u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as u64,
            Layout::Riff { big_endian: true } | Layout::Form => u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as u64,
            Layout::Caf => u64::from_be_bytes([h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11]]),
        };
        if self.layout != Layout::Caf && !plausible_id(&id) {
            return Ok(Next::NotAChunk { at: self.off, found: id });
        }
        Ok(Next::Chunk(Chunk { id, at: self.off, body: self.off + hlen, size }))
    }

    /// Moves past `chunk`, whose body the reader takes to be `size` bytes
    /// (its size field, or what the reader made of it), with the layout's pad
    /// rule.
    pub fn skip(&mut self, source: &mut Source, chunk: &Chunk, size: u64) -> ReadResult<()> {
        let end = chunk.body.saturating_add(size);
        self.off = match self.layout {
            Layout::Riff { .. } if size % 2 == 1 => {
                // Pad byte, unless the writer forgot it and the next id is right there.
                let padded = end.saturating_add(1);
                if !id_at(source, padded)? && id_at(source, end)? {
                    end
                } else {
                    padded
                }
            }
            Layout::Form => end.saturating_add(size % 2),
            Layout::Riff { .. } | Layout::Caf => end,
        };
        Ok(())
    }
}

/// The error for bytes where a chunk id should be; `like` names ids the
/// format expects (`'fmt ' or 'data'`).
pub(crate) fn not_a_chunk(at: u64, found: &[u8; 4], like: &str) -> ReadError {
    ReadError::malformed(at, format!("expected a chunk id (like {like}), found bytes {found:02x?}"))
}

fn id_at(source: &mut Source, off: u64) -> ReadResult<bool> {
    let mut id = [0u8; 4];
    Ok(read_at(source, off, &mut id)? == 4 && plausible_id(&id))
}

/// Appends a chunk header, `id` then its size field as the format writes it
/// (`4u32.to_le_bytes()` for RIFF, `12u64.to_be_bytes()` for CAF…), to a
/// header being built; returns where the size field starts, for a later
/// [`patch_at`].
pub(crate) fn push_chunk_header(h: &mut Vec<u8>, id: &[u8; 4], size: &[u8]) -> u64 {
    h.extend_from_slice(id);
    let at = h.len() as u64;
    h.extend_from_slice(size);
    at
}

/// Writes `bytes` at `at` (a size left to fill when a header was written
/// before the data) and returns the sink to its end, where writing goes on.
pub(crate) fn patch_at<W: Write + Seek + ?Sized>(sink: &mut W, at: u64, bytes: &[u8]) -> Result<(), WriteError> {
    sink.seek(SeekFrom::Start(at))?;
    sink.write_all(bytes)?;
    sink.seek(SeekFrom::End(0))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(bytes: Vec<u8>, layout: Layout, start: u64) -> Vec<Next> {
        let mut source = Source::memory(bytes);
        let mut w = ChunkWalker::new(&source, layout, start);
        let mut out = Vec::new();
        loop {
            let next = w.next(&mut source).unwrap();
            out.push(next);
            match next {
                Next::Chunk(c) => w.skip(&mut source, &c, c.size).unwrap(),
                _ => return out,
            }
        }
    }

    fn ids(steps: &[Next]) -> Vec<(String, u64)> {
        steps
            .iter()
            .filter_map(|n| match n {
                Next::Chunk(c) => Some((String::from_utf8_lossy(&c.id).into_owned(), c.at)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn riff_pads_odd_bodies_and_forgives_a_forgotten_pad() {
        let mut b = b"RIFF\0\0\0\0WAVE".to_vec();
        b.extend_from_slice(b"abcd\x03\0\0\0xyz\0"); // padded
        b.extend_from_slice(b"efgh\x01\0\0\0q"); // pad forgotten
        b.extend_from_slice(b"data\0\0\0\0");
        let steps = walk(b, Layout::Riff { big_endian: false }, 12);
        assert_eq!(ids(&steps), [("abcd".into(), 12), ("efgh".into(), 24), ("data".into(), 33)]);
        assert_eq!(steps.last(), Some(&Next::End));
    }

    #[test]
    fn form_always_pads_and_caf_never_does() {
        let mut b = b"FORM\0\0\0\0AIFF".to_vec();
        b.extend_from_slice(b"NAME\0\0\0\x01x\0COMM\0\0\0\0");
        assert_eq!(ids(&walk(b, Layout::Form, 12)), [("NAME".into(), 12), ("COMM".into(), 22)]);
        let mut c = b"caff\0\x01\0\0".to_vec();
        c.extend_from_slice(b"info\0\0\0\0\0\0\0\x01xdata\0\0\0\0\0\0\0\0");
        assert_eq!(ids(&walk(c, Layout::Caf, 8)), [("info".into(), 8), ("data".into(), 21)]);
    }

    #[test]
    fn junk_is_reported_where_it_starts_and_huge_sizes_do_not_wrap() {
        let mut b = b"RIFF\0\0\0\0WAVE".to_vec();
        b.extend_from_slice(&[0xff, 0, 1, 2, 9, 9, 9, 9]);
        let steps = walk(b, Layout::Riff { big_endian: false }, 12);
        assert_eq!(steps, [Next::NotAChunk { at: 12, found: [0xff, 0, 1, 2] }]);
        let e = not_a_chunk(12, &[0xff, 0, 1, 2], "'fmt ' or 'data'").to_string();
        assert_eq!(
            e,
            "damaged file at byte 12: expected a chunk id (like 'fmt ' or 'data'), found bytes [ff, 00, 01, 02]"
        );
        let mut c = b"caff\0\x01\0\0".to_vec();
        c.extend_from_slice(b"free\x7f\xff\xff\xff\xff\xff\xff\xff");
        let steps = walk(c, Layout::Caf, 8);
        assert_eq!(ids(&steps), [("free".into(), 8)]);
        assert_eq!(steps.last(), Some(&Next::End));
    }

    #[test]
    fn patches_land_in_place_and_writing_goes_on_at_the_end() {
        let mut h = Vec::new();
        let at = push_chunk_header(&mut h, b"data", &0u32.to_le_bytes());
        assert_eq!(at, 4);
        let mut sink = std::io::Cursor::new(h);
        sink.seek(SeekFrom::End(0)).unwrap();
        sink.write_all(b"ab").unwrap();
        patch_at(&mut sink, at, &2u32.to_le_bytes()).unwrap();
        sink.write_all(b"c").unwrap();
        assert_eq!(sink.into_inner(), b"data\x02\0\0\0abc");
    }
}
