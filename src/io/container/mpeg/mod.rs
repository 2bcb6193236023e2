//! MPEG audio (MP1/MP2/MP3) streams as files hold them: the tags around the
//! audio (ID3v2 at the start; APEv2, Lyrics3 and ID3v1 at the end), the
//! frame headers, and the Xing/Info/VBRI header with LAME's encoder delay and
//! padding. [`scan`] finds how many frames of audio a file really holds —
//! what the decoder will produce — without decoding anything.
//!
//! The length is the audio frames present times the samples per frame, minus
//! the encoder delay and padding the LAME tag records (as ffmpeg and afinfo
//! report it). A Xing/VBRI frame count is trusted only when the byte count
//! beside it fits in the bytes present; otherwise (a cut file, or no such
//! header) every frame header is walked, which reads the file once but
//! decodes nothing. Tag bytes are never counted as audio, and a frame is
//! only believed when the next one follows where its length says (no false
//! syncs in tags or junk).
//!
//! Total: never panics, never reads outside the file, allocates one buffer.

use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;

use crate::io::{tags, Tags};

mod around;
use around::*;

/// What [`scan`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpegScan {
    /// Sample rate of the first frame, in Hz.
    pub sample_rate: u32,
    /// Samples per channel in each frame: 384 (Layer I), 1152, or 576 (Layer III, MPEG-2/2.5).
    pub samples_per_frame: u32,
    /// 1, 2 or 3.
    pub layer: u8,
    /// Frames of audio the file holds (the Xing/Info/VBRI frame not counted).
    pub frames: u64,
    /// Frames the Xing/VBRI header announces, when it has a count.
    pub header_frames: Option<u64>,
    /// Samples a gapless decoder drops at the start: the LAME tag's encoder
    /// delay plus the decoder's own 529; 0 without a LAME tag.
    pub delay: u32,
    /// Samples a gapless decoder drops at the end: the LAME tag's padding
    /// less 529; 0 without a LAME tag.
    pub padding: u32,
    /// Byte range of the audio frames (tags excluded).
    pub audio: std::ops::Range<u64>,
    /// True when the header's count was used as is (its byte count fits the file).
    pub from_header: bool,
    /// Bytes the last frame lacks at the end of the file (a cut file): a
    /// decoder reads them as zeros, as ffmpeg does, and the frame counts.
    pub zero_tail: u64,
    /// The text of the tags around the audio, the better tag winning per key:
    /// ID3v2, then APEv2, then ID3v1 (a 30-byte fallback) fill only what the
    /// ones before left empty.
    pub tags: Tags,
    /// Every frame at one bit rate: an `Info` header (as LAME and ffmpeg
    /// mark a CBR stream), or, with no header to trust, every frame walked
    /// at the first one's rate. A time is then a byte position.
    pub constant_bit_rate: bool,
}

impl MpegScan {
    /// PCM frames (samples per channel) a gapless decoder produces from
    /// `mpeg_frames`, the padding dropped only when the stream's end is there.
    fn pcm(&self, mpeg_frames: u64, whole: bool) -> u64 {
        let padding = if whole { u64::from(self.padding) } else { 0 };
        mpeg_frames.saturating_mul(u64::from(self.samples_per_frame)).saturating_sub(u64::from(self.delay) + padding)
    }

    /// Samples dropped at the start as ffmpeg drops them: the delay, except
    /// in a very short file whose LAME delay and padding reach into the same
    /// frames (LAME 3.97 writes such tags for inputs shorter than a frame).
    /// There the frames that carry end padding end the start skip, so only
    /// the whole frames before the padding are skipped; equal to `delay` for
    /// every file whose numbers fit.
    fn front_trim(&self) -> u32 {
        let spf = u64::from(self.samples_per_frame);
        if self.is_truncated() || spf == 0 || self.padding == 0 {
            return self.delay;
        }
        let first_padded = self.frames.saturating_mul(spf).saturating_sub(u64::from(self.padding));
        let before = first_padded / spf;
        if before == 0 {
            return self.delay;
        }
        u64::from(self.delay).min(before * spf) as u32
    }

    /// Whether fewer frames are present than the header announces.
    pub fn is_truncated(&self) -> bool {
        self.header_frames.is_some_and(|h| self.frames < h)
    }

    /// The length in PCM frames: the frames present, minus delay and padding
    /// (the padding only when the last frame is there).
    pub fn pcm_frames(&self) -> u64 {
        self.pcm(self.frames, !self.is_truncated())
    }

    /// The length the Xing/VBRI header announces, in PCM frames, if any.
    pub fn header_pcm_frames(&self) -> Option<u64> {
        self.header_frames.map(|f| self.pcm(f, true))
    }

    /// A warning when the header announces more audio than the file holds
    /// ("header says 0:10.0, the file holds 0:04.0").
    pub fn truncation_warning(&self) -> Option<crate::io::Warning> {
        let said = self.header_pcm_frames()?;
        let held = self.pcm_frames();
        // Less than two frames apart: a muxer's rounding, not a lost tail.
        if said <= held.saturating_add(2 * u64::from(self.samples_per_frame)) {
            return None;
        }
        Some(crate::io::Warning::MpegHeaderLonger { claimed: said, present: held, rate: f64::from(self.sample_rate) })
    }
}

// ---------------------------------------------------------------------------
// Frame headers.

/// One parsed MPEG audio frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// 1 (MPEG-1), 2 (MPEG-2) or 25 (MPEG-2.5).
    pub version: u8,
    /// 1, 2 or 3.
    pub layer: u8,
    /// kbit/s.
    pub bitrate: u32,
    /// Hz.
    pub sample_rate: u32,
    /// Channels (1 or 2).
    pub channels: u32,
    /// Bytes in the frame, header included.
    pub len: u32,
    /// Samples per channel.
    pub samples: u32,
}

const BITRATES: [[u16; 15]; 5] = [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448], // V1 L1
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],    // V1 L2
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],     // V1 L3
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],    // V2 L1
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],         // V2 L2, L3
];

impl FrameHeader {
    /// Parses 4 header bytes; `None` for anything that is not a valid,
    /// fixed-bitrate frame header (free format is not walked).
    pub fn parse(b: [u8; 4]) -> Option<FrameHeader> {
        if b[0] != 0xFF || b[1] & 0xE0 != 0xE0 {
            return None;
        }
        let version = match (b[1] >> 3) & 3 {
            0 => 25,
            2 => 2,
            3 => 1,
            _ => return None,
        };
        let layer = match (b[1] >> 1) & 3 {
            1 => 3,
            2 => 2,
            3 => 1,
            _ => return None,
        };
        let bitrate_index = usize::from(b[2] >> 4);
        let rate_index = usize::from((b[2] >> 2) & 3);
        if bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 || b[3] & 3 == 2 {
            return None;
        }
        let padding = u32::from((b[2] >> 1) & 1);
        let table = match (version, layer) {
            (1, l) => usize::from(l) - 1,
            (_, 1) => 3,
            _ => 4,
        };
        let bitrate = u32::from(BITRATES[table][bitrate_index]);
        let base = [44_100, 48_000, 32_000][rate_index];
        let sample_rate = match version {
            1 => base,
            2 => base / 2,
            _ => base / 4,
        };
        let channels = if b[3] >> 6 == 3 { 1 } else { 2 };
        let (samples, len) = match layer {
            1 => (384, (12 * bitrate * 1000 / sample_rate + padding) * 4),
            2 => (1152, 144 * bitrate * 1000 / sample_rate + padding),
            _ if version == 1 => (1152, 144 * bitrate * 1000 / sample_rate + padding),
            _ => (576, 72 * bitrate * 1000 / sample_rate + padding),
        };
        Some(FrameHeader { version, layer, bitrate, sample_rate, channels, len, samples })
    }

    /// Whether `other` can be the next frame of the same stream.
    fn same_stream(&self, other: &FrameHeader) -> bool {
        self.version == other.version && self.layer == other.layer && self.sample_rate == other.sample_rate
    }

    /// Offset of a Xing/Info header inside the frame (after the side info).
    fn xing_offset(&self) -> usize {
        match (self.version == 1, self.channels == 1) {
            (true, false) => 36,
            (true, true) => 21,
            (false, false) => 21,
            (false, true) => 13,
        }
    }
}

// ---------------------------------------------------------------------------
// Reading through a window.

/// Reads a source through one buffer, refilled when a read falls outside it.
struct Window<'a, R: Read + Seek + ?Sized> {
    src: &'a mut R,
    len: u64,
    buf: Vec<u8>,
    base: u64,
}

const WINDOW: usize = 256 << 10;

impl<'a, R: Read + Seek + ?Sized> Window<'a, R> {
    fn new(src: &'a mut R, len: u64) -> Self {
        Window { src, len, buf: Vec::new(), base: 0 }
    }

    /// The `n` bytes at `pos` (n ≤ WINDOW), or `None` past the end or on an I/O error.
    fn get(&mut self, pos: u64, n: usize) -> Option<&[u8]> {
        let end = pos.checked_add(n as u64)?;
        if end > self.len || n > WINDOW {
            return None;
        }
        let have = self.base..self.base + self.buf.len() as u64;
        if pos < have.start || end > have.end {
            let want = (self.len - pos).min(WINDOW as u64) as usize;
            self.buf.resize(want, 0);
            self.src.seek(SeekFrom::Start(pos)).ok()?;
            let mut got = 0;
            while got < want {
                match self.src.read(&mut self.buf[got..]) {
                    Ok(0) => break,
                    Ok(k) => got += k,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            self.buf.truncate(got);
            self.base = pos;
            if got < n {
                return None;
            }
        }
        let at = (pos - self.base) as usize;
        self.buf.get(at..at + n)
    }

    fn header(&mut self, pos: u64) -> Option<FrameHeader> {
        let b = self.get(pos, 4)?;
        FrameHeader::parse([b[0], b[1], b[2], b[3]])
    }
}

// ---------------------------------------------------------------------------
// Xing / Info / VBRI / LAME.

#[derive(Debug, Default)]
struct VbrHeader {
    /// An `Info` header (a CBR stream), not `Xing` or `VBRI`.
    info: bool,
    frames: Option<u64>,
    bytes: Option<u64>,
    delay: u32,
    padding: u32,
}

/// The Layer III decoder's own delay (samples), which LAME's numbers leave out.
const DECODER_DELAY: u32 = 529;

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// The Xing/Info or VBRI header inside `frame` (the whole first frame), if any.
fn vbr_header(h: &FrameHeader, frame: &[u8]) -> Option<VbrHeader> {
    let x = h.xing_offset();
    let tag = frame.get(x..x + 4)?;
    if tag == b"Xing" || tag == b"Info" {
        let flags = be32(frame, x + 4)?;
        let mut at = x + 8;
        let mut v = VbrHeader { info: tag == b"Info", ..VbrHeader::default() };
        if flags & 1 != 0 {
            v.frames = be32(frame, at).map(u64::from);
            at += 4;
        }
        if flags & 2 != 0 {
            v.bytes = be32(frame, at).map(u64::from);
            at += 4;
        }
        if flags & 4 != 0 {
            at += 100;
        }
        if flags & 8 != 0 {
            at += 4;
        }
        // The LAME tag (also written by ffmpeg as "Lavc"/"Lavf"): delay and
        // padding are two 12-bit numbers 21 bytes in.
        if let Some(enc) = frame.get(at..at + 4) {
            // As ffmpeg and symphonia: only these encoders' numbers are trusted,
            // and the decoder's own 529-sample delay moves from the end to the start.
            if enc == b"LAME" || enc == b"Lavc" || enc == b"Lavf" {
                if let Some(d) = frame.get(at + 21..at + 24) {
                    let delay = (u32::from(d[0]) << 4) | (u32::from(d[1]) >> 4);
                    let padding = (u32::from(d[1] & 0x0F) << 8) | u32::from(d[2]);
                    v.delay = delay + DECODER_DELAY;
                    v.padding = padding.saturating_sub(DECODER_DELAY);
                }
            }
        }
        return Some(v);
    }
    // VBRI sits 32 bytes after the header, whatever the mode.
    if frame.get(36..40)? == b"VBRI" {
        return Some(VbrHeader {
            bytes: be32(frame, 46).map(u64::from),
            frames: be32(frame, 50).map(u64::from),
            ..VbrHeader::default()
        });
    }
    None
}

// ---------------------------------------------------------------------------
// The scan.

/// Frames that must follow a candidate where their lengths say before it is
/// believed (fewer when the audio ends first).
const CHAIN: usize = 3;

/// Bytes searched for the first frame after the head tags.
const SYNC_SEARCH: u64 = 1 << 20;

/// Whether a frame starts at `pos` with `CHAIN - 1` more following it (or the
/// audio ending after fewer: exactly, or inside a second frame whose header
/// agrees, as in a cut file of two frames).
fn chain_at<R: Read + Seek + ?Sized>(w: &mut Window<'_, R>, pos: u64, end: u64) -> Option<FrameHeader> {
    let first = w.header(pos)?;
    let mut at = pos;
    let mut h = first;
    for i in 1..CHAIN {
        at = at.checked_add(u64::from(h.len))?;
        if at == end {
            return Some(first);
        }
        if at > end {
            return (i > 1).then_some(first);
        }
        let next = w.header(at)?;
        if !first.same_stream(&next) {
            return None;
        }
        h = next;
    }
    Some(first)
}

/// The first believable frame at or after `from`, searching at most `limit` bytes.
fn find_frame<R: Read + Seek + ?Sized>(
    w: &mut Window<'_, R>,
    from: u64,
    end: u64,
    limit: u64,
    first: bool,
) -> Option<(u64, FrameHeader)> {
    let stop = from.saturating_add(limit).min(end);
    let mut pos = from;
    while pos < stop {
        let n = ((stop - pos).min(WINDOW as u64 - 4) as usize).max(1);
        let chunk = w.get(pos, (n + 3).min((end - pos) as usize))?.to_vec();
        for i in 0..n.min(chunk.len()) {
            if chunk[i] == 0xFF && chunk.get(i + 1).is_some_and(|&b| b & 0xE0 == 0xE0) {
                let at = pos + i as u64;
                if let Some(h) = chain_at(w, at, end) {
                    return Some((at, h));
                }
                // The stream's first frame may carry a Xing/Info/VBRI header,
                // which is proof enough even when junk or a cut follows it.
                if first {
                    if let Some(h) = w.header(at) {
                        let n = (h.len as usize).min((end - at) as usize);
                        if w.get(at, n).is_some_and(|f| vbr_header(&h, f).is_some()) {
                            return Some((at, h));
                        }
                    }
                }
            }
        }
        pos += n as u64;
    }
    None
}

/// Scans an MPEG audio file of `len` bytes: tags skipped, the Xing/VBRI
/// header read, frames counted. `None` when no run of valid frames is found
/// (free-format streams, not MPEG audio).
pub fn scan<R: Read + Seek + ?Sized>(src: &mut R, len: u64) -> Option<MpegScan> {
    let mut w = Window::new(src, len);
    let mut found = Vec::new();
    let head = skip_head_tags(&mut w, 0, &mut found).min(len);
    let end = strip_tail_tags(&mut w, head, len, &mut found);
    let tags = read_tags(&mut w, &found);
    let (first_pos, first) = find_frame(&mut w, head, end, SYNC_SEARCH, true)?;
    let frame_len = first.len as usize;
    let vbr = w.get(first_pos, frame_len.min((end - first_pos) as usize)).and_then(|f| vbr_header(&first, f));
    let mut scan = MpegScan {
        sample_rate: first.sample_rate,
        samples_per_frame: first.samples,
        layer: first.layer,
        frames: 0,
        header_frames: None,
        delay: 0,
        padding: 0,
        audio: first_pos..end,
        from_header: false,
        zero_tail: 0,
        tags,
        constant_bit_rate: false,
    };
    let mut pos = first_pos;
    if let Some(v) = &vbr {
        scan.header_frames = v.frames;
        scan.delay = v.delay;
        scan.padding = v.padding;
        pos += u64::from(first.len);
        // The header's byte count covers the stream from its own frame on;
        // if those bytes are all here (a frame of slack), its count holds.
        let present = end - first_pos;
        if let (Some(frames), Some(bytes)) = (v.frames, v.bytes) {
            if bytes <= present.saturating_add(u64::from(first.len)) && bytes >= present / 2 {
                scan.frames = frames;
                scan.from_header = true;
                scan.constant_bit_rate = v.info;
                scan.delay = scan.front_trim();
                return Some(scan);
            }
        }
    }
    // Walk every frame.
    let mut rate = None;
    let mut constant = true;
    while pos < end {
        match w.header(pos) {
            Some(h) if first.same_stream(&h) => {
                constant &= *rate.get_or_insert(h.bitrate) == h.bitrate;
                let next = pos + u64::from(h.len);
                if next > end {
                    // A cut last frame (or one running into a tag): decoders
                    // fill what is missing and give a whole frame.
                    scan.frames += 1;
                    scan.zero_tail = next.saturating_sub(len);
                    break;
                }
                scan.frames += 1;
                pos = next;
            }
            _ => match find_frame(&mut w, pos + 1, end, end - pos, false) {
                Some((at, _)) => pos = at,
                None => break,
            },
        }
    }
    scan.constant_bit_rate = constant && scan.frames > 0;
    scan.delay = scan.front_trim();
    Some(scan)
}

#[cfg(test)]
mod tests;
