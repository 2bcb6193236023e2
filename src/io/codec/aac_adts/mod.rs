//! The length of an ADTS stream, counted as ffmpeg decodes it. Each ADTS
//! frame carries raw data blocks of 1024 samples, but a block that holds no
//! channel element (only fill or data-stream elements: faac writes one with
//! its name at the start of every stream) gives no audio in ffmpeg's
//! decoder, so such blocks are counted out of the length and skipped by the
//! decoder ([`raw_block_has_audio`]). The frames are walked by their
//! headers ([`walk`]); symphonia's own count is a guess from the first
//! frames' average size.
//! Nothing here can panic or loop on any bytes: every read is bounded.

use std::io::{Read, Seek, SeekFrom};

use crate::io::source::read_up_to;

/// Element ids of a raw data block (ISO 14496-3 4.5.2.1).
const ID_DSE: u32 = 4;
const ID_PCE: u32 = 5;
const ID_FIL: u32 = 6;
const ID_END: u32 = 7;
/// Elements looked at in one block before it is taken to hold audio.
const MAX_ELEMENTS: usize = 16;
/// Bytes of a frame read to classify its block: the longest element run
/// that can come before the first channel element is a few hundred bytes.
const CLASSIFY_BYTES: usize = 1024;

/// MSB-first bit reader over a byte slice; reads past the end give `None`.
struct Bits<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn take(&mut self, n: usize) -> Option<u32> {
        let end = self.pos.checked_add(n)?;
        if end > self.b.len() * 8 {
            return None;
        }
        let mut v = 0u32;
        for i in self.pos..end {
            v = (v << 1) | u32::from((self.b[i / 8] >> (7 - i % 8)) & 1);
        }
        self.pos = end;
        Some(v)
    }

    fn skip_bytes(&mut self, n: usize) -> Option<()> {
        let end = self.pos.checked_add(n.checked_mul(8)?)?;
        (end <= self.b.len() * 8).then(|| self.pos = end)
    }
}

/// Whether an ADTS frame's payload gives audio: [`raw_block_has_audio`] on
/// its first bytes, the same ones [`walk`] reads, so that the length and
/// the decoder always agree.
pub(crate) fn gives_audio(payload: &[u8]) -> bool {
    raw_block_has_audio(&payload[..payload.len().min(CLASSIFY_BYTES - 9)])
}

/// False only when the raw data block `block` is, element by element, data
/// stream and fill elements up to `ID_END`: a block that ffmpeg decodes to
/// nothing. Any channel element, a program config, or bytes that do not
/// read as such a run count as audio (the block is then left to the
/// decoder).
pub(crate) fn raw_block_has_audio(block: &[u8]) -> bool {
    leading_elements(block).audio
}

/// What the data and fill elements at the start of a raw data block say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Leading {
    /// Not only data and fill elements up to `ID_END` (see [`raw_block_has_audio`]).
    audio: bool,
    /// A fill element names faac ("libfaac 1.28"), whose streams start with
    /// 1024 samples of encoder delay and no edit list: ffmpeg's decoder
    /// drops them when it reads this name.
    faac: bool,
}

fn leading_elements(block: &[u8]) -> Leading {
    let mut b = Bits { b: block, pos: 0 };
    let mut faac = false;
    for _ in 0..MAX_ELEMENTS {
        let read = match b.take(3) {
            Some(ID_END) => return Leading { audio: false, faac },
            Some(ID_DSE) => skip_dse(&mut b),
            Some(ID_FIL) => skip_fil(&mut b).map(|payload| faac |= names_faac(block, payload)),
            Some(ID_PCE) | Some(_) | None => break,
        };
        if read.is_none() {
            break;
        }
    }
    Leading { audio: true, faac }
}

/// True when the first raw data block of a stream marks it as faac's: the
/// 1024 samples of encoder delay it starts with are to be dropped.
pub(crate) fn names_faac_priming(block: &[u8]) -> bool {
    leading_elements(&block[..block.len().min(CLASSIFY_BYTES - 9)]).faac
}

/// A data stream element after its id: tag, alignment flag, count, bytes.
fn skip_dse(b: &mut Bits) -> Option<()> {
    b.take(4)?;
    let align = b.take(1)? == 1;
    let mut count = b.take(8)? as usize;
    if count == 255 {
        count += b.take(8)? as usize;
    }
    if align {
        b.pos = b.pos.div_ceil(8) * 8;
    }
    b.skip_bytes(count)
}

/// A fill element after its id: count (escaped when 15), bytes. Gives the
/// bit range of the payload.
fn skip_fil(b: &mut Bits) -> Option<std::ops::Range<usize>> {
    let mut count = b.take(4)? as usize;
    if count == 15 {
        // 15 + esc_count − 1 (ISO 14496-3 4.4.2.7), which is 14 when esc_count is 0.
        count = 14 + b.take(8)? as usize;
    }
    let start = b.pos;
    b.skip_bytes(count)?;
    Some(start..b.pos)
}

/// Whether the fill payload at bits `payload` of `block` is an `EXT_FILL`
/// extension whose text (17 bits in, as ffmpeg reads it) starts with
/// "libfaac" and a version, "libfaac 1.28".
fn names_faac(block: &[u8], payload: std::ops::Range<usize>) -> bool {
    let mut b = Bits { b: block, pos: payload.start };
    if payload.len() < 13 + 7 * 8 || b.take(4) != Some(0) || b.take(13).is_none() {
        return false;
    }
    let mut text = Vec::new();
    while b.pos + 8 <= payload.end && text.len() < 32 {
        text.push(b.take(8).unwrap_or(0) as u8);
    }
    let Some(rest) = text.strip_prefix(b"libfaac ") else {
        return false;
    };
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    digits > 0 && rest.get(digits) == Some(&b'.') && rest.get(digits + 1).is_some_and(u8::is_ascii_digit)
}

/// What [`walk`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct AdtsWalk {
    /// Raw data blocks in the frames walked.
    pub blocks: u64,
    /// Blocks among them that hold no channel element.
    pub silent: u64,
    /// True when the walk reached the end of the data (or a tag after it,
    /// or a last frame cut short): the count is the stream's. False when
    /// the chain of headers broke in the middle (damage a decoder may
    /// resynchronise past).
    pub whole: bool,
    /// The first block names faac: 1024 samples of priming to drop.
    pub faac: bool,
}

impl AdtsWalk {
    /// Output frames: 1024 for each block that holds audio, less faac's priming.
    pub fn frames(&self) -> u64 {
        (self.blocks - self.silent).saturating_mul(1024).saturating_sub(self.priming())
    }

    /// Output frames dropped at the start (faac's encoder delay).
    pub fn priming(&self) -> u64 {
        if self.faac {
            1024
        } else {
            0
        }
    }
}

/// Walks the ADTS frames from `start` by their lengths, to the end of the
/// stream (`len` bytes) or the first bytes that are not an ADTS header.
pub(crate) fn walk<R: Read + Seek + ?Sized>(src: &mut R, start: u64, len: u64) -> std::io::Result<AdtsWalk> {
    let mut w = AdtsWalk::default();
    let mut at = start;
    let mut buf = vec![0u8; CLASSIFY_BYTES];
    loop {
        if at.saturating_add(7) > len {
            w.whole = true;
            break;
        }
        src.seek(SeekFrom::Start(at))?;
        let want = (len - at).min(CLASSIFY_BYTES as u64) as usize;
        let n = read_up_to(src, &mut buf[..want])?;
        let h = &buf[..n];
        if h.len() < 7 || h[0] != 0xFF || h[1] & 0xF6 != 0xF0 {
            // A tag after the audio ends it as cleanly as the file's end.
            w.whole = [&b"TAG"[..], b"APETAGEX", b"ID3", b"LYRICS"].iter().any(|t| h.starts_with(t));
            break;
        }
        let size = (u64::from(h[3] & 3) << 11) | (u64::from(h[4]) << 3) | u64::from(h[5] >> 5);
        let head = if h[1] & 1 == 1 { 7 } else { 9 };
        if size <= head {
            break;
        }
        if at + size > len {
            // A last frame cut short: the decoder cannot read it.
            w.whole = true;
            break;
        }
        let blocks = u64::from(h[6] & 3) + 1;
        w.blocks += blocks;
        if blocks == 1 {
            let payload = &h[(head as usize).min(h.len())..h.len().min(size as usize)];
            if !gives_audio(payload) {
                w.silent += 1;
            }
            if w.blocks == 1 {
                w.faac = names_faac_priming(payload);
            }
        }
        at += size;
    }
    Ok(w)
}

#[cfg(test)]
mod tests;
