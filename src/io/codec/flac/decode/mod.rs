//! CoreMusic's own FLAC decoder: native FLAC streams (`fLaC` + metadata
//! blocks, or bare frames), decoded bit-exactly as libFLAC (`flac -d`) does.
//!
//! It reads STREAMINFO, SEEKTABLE and VORBIS_COMMENT and skips every other
//! metadata block by its length; decodes fixed and variable block-size
//! streams of 1–8 channels and 4–32 bits; verifies every header CRC-8 and
//! frame CRC-16 and resynchronises past damage with a warning (a frame whose
//! CRC-16 fails is replaced by silence of its length, as libFLAC does); and
//! seeks exactly (SEEKTABLE, else bisection over frame headers, then decode
//! and skip). It never trusts STREAMINFO sizes: buffers are sized for the
//! largest block a frame header can describe, and decoding runs until the
//! data ends whatever `total_samples` says. It must not allocate per read
//! call, panic on any bytes, or loop without consuming input.
//!
//! The length it reports is the one really there: at open it finds the last
//! whole frame from the end of the file (a backward search for a frame
//! header whose CRC-8 and CRC-16 check out, no full decode) and reads its
//! sample number, then decodes the few bytes after it as playback would, so
//! the count agrees exactly with a decode to the end; a STREAMINFO that
//! claims more (a file cut short) or nothing (streamed encoders) gives a
//! warning or no warning, never the wrong length. While it decodes a stream
//! from the start it checks STREAMINFO's MD5 of the audio (on a thread of
//! its own, see `verify.rs`) and reports a mismatch as damage.

use std::io::{Read, Seek, SeekFrom};

mod change;
mod input;
mod length;
mod open;
mod seek;

use super::frame::{decode_frame, parse_header, FrameError, FrameHeader, HeaderError, MAX_BLOCK};
use super::md5::Md5;
use super::verify::Md5Check;
use crate::format::{int_to_f32, AudioFormat, ChannelLayout, FourCC, SampleFormat};
use crate::io::probe::id3v2_len;
use crate::io::Span;
use crate::io::{AudioReader, Codec, Container, MediaSource, ReadError, ReadResult, Source, StreamInfo, Tags, Warning};
use input::*;
pub use open::{first_whole_frame, BARE_SEARCH};

/// Read window for sources that are not in memory: larger than any valid frame.
const WINDOW: usize = 4 << 20;
/// Bytes read from a file per refill, at most.
const CHUNK: usize = 256 << 10;
/// Bytes read by the first refill after a seek (more than most frames).
const SEEK_CHUNK: usize = 16 << 10;
/// Warnings kept before the rest are counted only.
const MAX_WARNINGS: usize = 64;
/// Below this byte span seeking stops bisecting and decodes forward.
const BISECT_MIN: u64 = 64 << 10;
/// A seek that found a frame at most this many blocks before its target
/// decodes forward from there instead of searching on.
const SEEK_DECODE_BLOCKS: u64 = 2;
/// Bytes at the end of the file searched backwards for the last whole frame.
const TAIL_SCAN: u64 = 16 << 20;
/// Frame headers (CRC-8 valid) tried there before giving up.
const TAIL_TRIES: usize = 64;
/// The fewest bytes a frame can take: a 6-byte header, one 12-bit CONSTANT
/// subframe padded to 2 bytes, the CRC-16.
const MIN_FRAME_BYTES: u64 = 10;

/// What an attempt to decode a frame at the current position gave.
enum Outcome {
    Frame {
        h: FrameHeader,
        crc_ok: bool,
    },
    Truncated {
        offset: u64,
    },
    End,
    Bad {
        offset: u64,
        why: &'static str,
    },
    /// A valid frame header whose rate, channels or sample size differ from
    /// the stream's (see `change.rs`).
    Changed {
        offset: u64,
        h: FrameHeader,
    },
}

/// A verified frame found while seeking.
#[derive(Debug, Clone, Copy)]
struct Found {
    pos: u64,
    sample: u64,
    block: u64,
}

/// Decoder of native FLAC streams. See the module documentation.
pub struct FlacReader {
    info: StreamInfo,
    input: Input,
    rate: u32,
    bps: u32,
    channels: usize,
    /// Decoded block, one buffer of [`MAX_BLOCK`] samples per channel.
    ch32: Vec<Vec<i32>>,
    /// 64-bit predictor buffers, only for 32-bit streams (33-bit side channel).
    ch64: Vec<Vec<i64>>,
    block_len: usize,
    block_pos: usize,
    block_start: u64,
    next_start: u64,
    audio_start: u64,
    first_frame: u64,
    first_number: u64,
    nominal_block: u64,
    seektable: Vec<(u64, u64)>,
    total_samples: u64,
    ended: bool,
    total_checked: bool,
    warnings: Vec<Warning>,
    warnings_dropped: usize,
    /// Variable block size (frame headers carry sample numbers).
    variable: bool,
    /// The blocking-strategy bit of the frame headers (clear in Flake's old
    /// variable block-size files, where `variable` is still true).
    variable_bit: bool,
    /// The stream has a STREAMINFO block.
    has_streaminfo: bool,
    /// Frames found at open (see [`FlacReader::measure`]), `None` when unknown.
    measured: Option<u64>,
    /// True while [`FlacReader::measure`] decodes the tail: no hashing, no final checks.
    measuring: bool,
    /// STREAMINFO's MD5 of the audio, unless absent or all zeros (unknown).
    md5_want: Option<[u8; 16]>,
    /// True while the stream is decoded from its start with no seek: the MD5 can be checked.
    hashing: bool,
    check: Option<Md5Check>,
    verified: Option<bool>,
}

fn read_at(src: &mut Source, pos: u64, buf: &mut [u8]) -> ReadResult<usize> {
    src.seek(SeekFrom::Start(pos))?;
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(n)
}

impl FlacReader {
    fn warn(&mut self, w: Warning) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(w);
        } else {
            self.warnings_dropped += 1;
        }
    }

    /// The stream position of a frame, from its header.
    fn header_sample(&self, h: &FrameHeader) -> u64 {
        let s = if h.variable || self.variable { h.number } else { h.number.saturating_mul(self.nominal_block) };
        s.saturating_sub(self.first_number)
    }

    /// Decodes the frame at the current position into `ch32`.
    fn try_frame(&mut self) -> ReadResult<Outcome> {
        loop {
            let (data, offset, eof) = self.input.window();
            if data.is_empty() {
                if !eof && self.input.fill()? {
                    continue;
                }
                return Ok(Outcome::End);
            }
            let h = match parse_header(data) {
                Err(HeaderError::NeedMore) => None,
                Err(HeaderError::Invalid) => return Ok(Outcome::Bad { offset, why: "not a valid frame header" }),
                Ok(h) => {
                    if self.format_differs(&h) {
                        return Ok(Outcome::Changed { offset, h });
                    }
                    Some(h)
                }
            };
            let res = match &h {
                None => Err(FrameError::NeedMore),
                Some(h) if self.bps == 32 => decode_frame::<i64>(data, h, 32, &mut self.ch64),
                Some(h) => decode_frame::<i32>(data, h, self.bps, &mut self.ch32),
            };
            let res = match (res, h) {
                (Ok(len), Some(h)) => Ok((h, len)),
                (Ok(_), None) => Err((FrameError::NeedMore, None)),
                (Err(e), h) => Err((e, h)),
            };
            match res {
                Ok((h, len)) => {
                    let bs = h.block_size as usize;
                    if self.bps == 32 {
                        for (d, s) in self.ch32.iter_mut().zip(self.ch64.iter()) {
                            for (d, s) in d[..bs].iter_mut().zip(s[..bs].iter()) {
                                *d = *s as i32;
                            }
                        }
                    }
                    self.input.advance(len);
                    return Ok(Outcome::Frame { h, crc_ok: true });
                }
                Err((FrameError::Crc(len), Some(h))) => {
                    let bs = h.block_size as usize;
                    for c in self.ch32.iter_mut() {
                        c[..bs].fill(0);
                    }
                    self.input.advance(len);
                    return Ok(Outcome::Frame { h, crc_ok: false });
                }
                Err((FrameError::NeedMore, _)) => {
                    if !eof && self.input.fill()? {
                        continue;
                    }
                    if eof {
                        return Ok(Outcome::Truncated { offset });
                    }
                    return Ok(Outcome::Bad { offset, why: "a frame larger than any valid one" });
                }
                Err((FrameError::Bad(why), _)) => return Ok(Outcome::Bad { offset, why }),
                Err((FrameError::Crc(_), None)) => return Ok(Outcome::Bad { offset, why: "bad frame" }),
            }
        }
    }

    /// Decodes the next block; false at the end of the stream.
    fn next_block(&mut self) -> ReadResult<bool> {
        if self.ended {
            return Ok(false);
        }
        let mut lost: Option<(u64, &'static str)> = None;
        loop {
            let frame_off = self.input.offset();
            match self.try_frame()? {
                Outcome::Frame { h, crc_ok } => {
                    if let Some((at, why)) = lost.take() {
                        self.warn(Warning::LostSync { at, why, skipped: Some(frame_off.saturating_sub(at)) });
                    }
                    let bs = h.block_size as usize;
                    if !crc_ok {
                        self.warn(Warning::DamagedFrame { first: self.next_start, end: self.next_start + bs as u64 });
                    }
                    self.block_start = self.next_start;
                    self.block_len = bs;
                    self.block_pos = 0;
                    self.next_start += bs as u64;
                    if self.hashing && !self.measuring {
                        let bps = self.bps;
                        self.check.get_or_insert_with(|| Md5Check::new(bps)).feed(&self.ch32, bs);
                    }
                    return Ok(true);
                }
                Outcome::Truncated { offset } => {
                    if let Some((at, why)) = lost.take() {
                        self.warn(Warning::LostSync { at, why, skipped: None });
                    }
                    self.warn(Warning::CutInsideFrame { at: offset });
                    let rest = self.input.window().0.len();
                    self.input.advance(rest);
                    self.finish();
                    return Ok(false);
                }
                Outcome::End => {
                    if let Some((at, why)) = lost.take() {
                        self.warn(Warning::JunkAtEnd { at, bytes: self.input.len.saturating_sub(at), why });
                    }
                    self.finish();
                    return Ok(false);
                }
                Outcome::Changed { offset, h } if lost.is_none() && self.really_changes(&h)? => {
                    return Err(self.change_error(offset, &h));
                }
                Outcome::Changed { offset, .. } => {
                    if lost.is_none() {
                        lost = Some((offset, "a frame header of another format"));
                    }
                    self.input.advance(1);
                    sync(&mut self.input)?;
                }
                Outcome::Bad { offset, why } => {
                    if lost.is_none() {
                        lost = Some((offset, why));
                    }
                    self.input.advance(1);
                    sync(&mut self.input)?;
                }
            }
        }
    }

    fn finish(&mut self) {
        self.ended = true;
        if self.measuring {
            return;
        }
        if !self.total_checked {
            self.total_checked = true;
            match self.measured {
                Some(m) if m != self.next_start => {
                    self.warn(Warning::DecodedOtherThanMeasured { decoded: self.next_start, measured: m })
                }
                None if self.total_samples != 0 && self.total_samples != self.next_start => {
                    self.warn(Warning::DecodedOtherThanHeader { claimed: self.total_samples, decoded: self.next_start })
                }
                _ => {}
            }
        }
        if std::mem::take(&mut self.hashing) {
            let got = match self.check.take() {
                Some(c) => c.finish(),
                None => Md5::new().finish(),
            };
            if let Some(want) = self.md5_want {
                let ok = got == want;
                self.verified = Some(ok);
                if !ok {
                    self.warn(Warning::Md5Mismatch { got, want });
                }
            }
        }
    }

    fn emit<T: Copy>(&mut self, out: &mut [T], conv: impl Fn(i32) -> T) -> ReadResult<usize> {
        let ch = self.channels;
        let want = out.len() / ch;
        let mut done = 0;
        while done < want {
            if self.block_pos >= self.block_len {
                if !self.next_block()? {
                    break;
                }
                continue;
            }
            let n = (self.block_len - self.block_pos).min(want - done);
            let dst = &mut out[done * ch..(done + n) * ch];
            let from = self.block_pos;
            match ch {
                1 => {
                    for (d, s) in dst.iter_mut().zip(self.ch32[0][from..from + n].iter()) {
                        *d = conv(*s);
                    }
                }
                2 => {
                    let (l, r) = (&self.ch32[0][from..from + n], &self.ch32[1][from..from + n]);
                    for ((d, a), b) in dst.chunks_exact_mut(2).zip(l.iter()).zip(r.iter()) {
                        d[0] = conv(*a);
                        d[1] = conv(*b);
                    }
                }
                _ => {
                    for (c, src) in self.ch32.iter().enumerate() {
                        for (d, s) in dst[c..].iter_mut().step_by(ch).zip(src[from..from + n].iter()) {
                            *d = conv(*s);
                        }
                    }
                }
            }
            self.block_pos += n;
            done += n;
        }
        Ok(done)
    }

    /// Drops the position's block so the next read decodes afresh.
    fn reset_block(&mut self, start: u64) {
        self.block_len = 0;
        self.block_pos = 0;
        self.block_start = start;
        self.next_start = start;
        self.ended = false;
    }
}

impl AudioReader for FlacReader {
    fn info(&self) -> &StreamInfo {
        &self.info
    }

    fn read_f32(&mut self, out: &mut [f32]) -> ReadResult<usize> {
        let bits = self.bps;
        self.emit(out, |v| int_to_f32(v, bits))
    }

    fn read_i32(&mut self, out: &mut [i32]) -> ReadResult<usize> {
        self.emit(out, |v| v)
    }

    fn seek(&mut self, target: u64) -> ReadResult<u64> {
        self.seek_within(target, 0)
    }

    /// Lands on the first frame the search finds within `slack` of the
    /// target, with no decoding forward (a look at a place, not the place).
    fn seek_near(&mut self, target: u64, slack: u64) -> ReadResult<u64> {
        self.seek_within(target, slack)
    }

    fn verified(&self) -> Option<bool> {
        self.verified
    }

    fn skip_checksum(&mut self) {
        self.hashing = false;
        self.check = None;
    }

    fn take_warnings(&mut self) -> Vec<Warning> {
        if self.warnings_dropped > 0 {
            let n = std::mem::take(&mut self.warnings_dropped);
            self.warnings.push(Warning::MoreOfTheSame { count: n as u64, and: false });
        }
        std::mem::take(&mut self.warnings)
    }
}

/// True when `head` starts with a FLAC frame header (sync 0xFFF8/0xFFF9,
/// valid fields) whose CRC-8 checks out.
pub fn looks_like_frame_header(head: &[u8]) -> bool {
    parse_header(head).is_ok()
}

#[cfg(test)]
mod tests;
