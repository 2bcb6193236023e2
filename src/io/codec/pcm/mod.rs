//! The shared sample codec and stream engine of the native PCM containers
//! (WAVE, AIFF, CAF): how stored sample bytes become interleaved f32/i32
//! ([`decode_f32`], [`decode_i32`]) and back ([`encode_f32`], [`encode_i32`]),
//! plus the block reader every container reader drives.
//!
//! The hot loops are specialised per layout (bytes per sample, endianness,
//! signedness, int/float) through const generics, and the layout is
//! dispatched once per call, never per sample, so the compiler vectorises
//! them. Integers are read right-justified at their valid bits (the valid
//! bits are the top bits of the container, as WAVE and AIFF store them) and
//! scaled to f32 with [`crate::format::int_to_f32`]. Nothing here may panic on
//! file bytes or allocate in a read call.

mod stream;

pub(crate) use stream::*;

use std::io::{self, Read, Seek, SeekFrom};

use crate::format::{f32_to_int, flags as format_flags, AudioFormat, ChannelLayout, FourCC, SampleFormat};

use super::adpcm;
use super::g711;
use crate::io::{Codec, Container, MediaSource, ReadError, ReadResult, Source, StreamInfo, Tags, Warning, WriteError};

/// How one stored sample is laid out in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcmLayout {
    /// Bytes per stored sample (the container), 1..=8.
    pub bytes: u32,
    /// Significant bits (the top bits of the container), 1..=bytes×8.
    pub valid_bits: u32,
    /// Integer samples are offset binary (8-bit WAVE, AIFF-C `raw `).
    pub unsigned: bool,
    /// IEEE float (`bytes` is 4 or 8).
    pub float: bool,
    /// Stored most significant byte first.
    pub big_endian: bool,
}

impl PcmLayout {
    /// A signed (or unsigned) integer layout; `None` when the sizes are impossible.
    pub fn int(bytes: u32, valid_bits: u32, unsigned: bool, big_endian: bool) -> Option<Self> {
        if !(1..=8).contains(&bytes) || valid_bits == 0 || valid_bits > bytes * 8 {
            return None;
        }
        Some(PcmLayout { bytes, valid_bits, unsigned, float: false, big_endian })
    }

    /// An IEEE float layout of 4 or 8 bytes; `None` otherwise.
    pub fn float(bytes: u32, big_endian: bool) -> Option<Self> {
        // Lazily: `bytes * 8` must not be computed for an absurd `bytes`.
        matches!(bytes, 4 | 8).then(|| PcmLayout {
            bytes,
            valid_bits: bytes * 8,
            unsigned: false,
            float: true,
            big_endian,
        })
    }

    /// The depth of [`decode_i32`]'s output: the valid bits, at most 32
    /// (64-bit integers keep their top 32 bits); 32 for floats.
    pub fn out_bits(&self) -> u32 {
        if self.float {
            32
        } else {
            self.valid_bits.min(32)
        }
    }

    /// The sample format that holds decoded samples without loss.
    pub fn sample_format(&self) -> SampleFormat {
        if self.float {
            if self.bytes == 8 {
                SampleFormat::F64
            } else {
                SampleFormat::F32
            }
        } else {
            SampleFormat::for_int_bits(self.out_bits()).unwrap_or(SampleFormat::S32)
        }
    }

    fn shift(&self) -> u32 {
        32 - self.out_bits()
    }

    fn flip(&self) -> u32 {
        if self.unsigned {
            0x8000_0000
        } else {
            0
        }
    }
}

/// Loads the top (at most) 32 bits of an `N`-byte container, left-justified.
#[inline(always)]
fn load<const N: usize, const BE: bool>(c: &[u8]) -> u32 {
    let take = if N > 4 { 4 } else { N };
    let mut v = 0u32;
    let mut i = 0;
    while i < take {
        let b = if BE { c[i] } else { c[N - 1 - i] };
        v |= (b as u32) << (24 - 8 * i);
        i += 1;
    }
    v
}

/// Stores a left-justified 32-bit value into an `N`-byte container (low bytes 0 beyond 4).
#[inline(always)]
fn store<const N: usize, const BE: bool>(v: u32, c: &mut [u8]) {
    let mut i = 0;
    while i < N {
        let b = if i < 4 { (v >> (24 - 8 * i)) as u8 } else { 0 };
        if BE {
            c[i] = b;
        } else {
            c[N - 1 - i] = b;
        }
        i += 1;
    }
}

fn int_to_i32<const N: usize, const BE: bool>(src: &[u8], out: &mut [i32], flip: u32, shift: u32) {
    for (o, c) in out.iter_mut().zip(src.chunks_exact(N)) {
        *o = ((load::<N, BE>(c) ^ flip) as i32) >> shift;
    }
}

fn int_to_f32<const N: usize, const BE: bool>(src: &[u8], out: &mut [f32], flip: u32, shift: u32, scale: f32) {
    for (o, c) in out.iter_mut().zip(src.chunks_exact(N)) {
        *o = (((load::<N, BE>(c) ^ flip) as i32) >> shift) as f32 * scale;
    }
}

#[inline(always)]
fn clip_to_i32(v: f64) -> i32 {
    crate::format::round_to_i32(v * 2147483648.0)
}

fn f32s<const BE: bool>(src: &[u8]) -> impl Iterator<Item = f32> + '_ {
    src.chunks_exact(4).map(|c| {
        let b = [c[0], c[1], c[2], c[3]];
        f32::from_bits(if BE { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    })
}

fn f64s<const BE: bool>(src: &[u8]) -> impl Iterator<Item = f64> + '_ {
    src.chunks_exact(8).map(|c| {
        let b = [c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]];
        f64::from_bits(if BE { u64::from_be_bytes(b) } else { u64::from_le_bytes(b) })
    })
}

macro_rules! dispatch_int {
    ($l:expr, $f:ident, $($arg:expr),*) => {
        match ($l.bytes, $l.big_endian) {
            (1, _) => $f::<1, false>($($arg),*),
            (2, false) => $f::<2, false>($($arg),*),
            (2, true) => $f::<2, true>($($arg),*),
            (3, false) => $f::<3, false>($($arg),*),
            (3, true) => $f::<3, true>($($arg),*),
            (4, false) => $f::<4, false>($($arg),*),
            (4, true) => $f::<4, true>($($arg),*),
            (5, false) => $f::<5, false>($($arg),*),
            (5, true) => $f::<5, true>($($arg),*),
            (6, false) => $f::<6, false>($($arg),*),
            (6, true) => $f::<6, true>($($arg),*),
            (7, false) => $f::<7, false>($($arg),*),
            (7, true) => $f::<7, true>($($arg),*),
            (8, false) => $f::<8, false>($($arg),*),
            _ => $f::<8, true>($($arg),*),
        }
    };
}

/// Decodes whole samples of `src` into `out` as f32 and returns how many:
/// the smaller of the samples in `src` and `out.len()`.
pub fn decode_f32(layout: &PcmLayout, src: &[u8], out: &mut [f32]) -> usize {
    let n = (src.len() / layout.bytes as usize).min(out.len());
    let src = &src[..n * layout.bytes as usize];
    let out = &mut out[..n];
    if layout.float {
        match (layout.bytes, layout.big_endian) {
            (4, false) => out.iter_mut().zip(f32s::<false>(src)).for_each(|(o, v)| *o = v),
            (4, true) => out.iter_mut().zip(f32s::<true>(src)).for_each(|(o, v)| *o = v),
            (_, false) => out.iter_mut().zip(f64s::<false>(src)).for_each(|(o, v)| *o = v as f32),
            (_, true) => out.iter_mut().zip(f64s::<true>(src)).for_each(|(o, v)| *o = v as f32),
        }
    } else {
        let scale = crate::format::int_to_f32(1, layout.out_bits());
        let (flip, shift) = (layout.flip(), layout.shift());
        dispatch_int!(layout, int_to_f32, src, out, flip, shift, scale);
    }
    n
}

/// Decodes whole samples of `src` into `out` as right-justified integers of
/// [`PcmLayout::out_bits`] bits (floats scaled to 32 bits with clipping) and
/// returns how many.
pub fn decode_i32(layout: &PcmLayout, src: &[u8], out: &mut [i32]) -> usize {
    let n = (src.len() / layout.bytes as usize).min(out.len());
    let src = &src[..n * layout.bytes as usize];
    let out = &mut out[..n];
    if layout.float {
        match (layout.bytes, layout.big_endian) {
            (4, false) => out.iter_mut().zip(f32s::<false>(src)).for_each(|(o, v)| *o = clip_to_i32(v as f64)),
            (4, true) => out.iter_mut().zip(f32s::<true>(src)).for_each(|(o, v)| *o = clip_to_i32(v as f64)),
            (_, false) => out.iter_mut().zip(f64s::<false>(src)).for_each(|(o, v)| *o = clip_to_i32(v)),
            (_, true) => out.iter_mut().zip(f64s::<true>(src)).for_each(|(o, v)| *o = clip_to_i32(v)),
        }
    } else {
        let (flip, shift) = (layout.flip(), layout.shift());
        dispatch_int!(layout, int_to_i32, src, out, flip, shift);
    }
    n
}

fn ints_from_i32<const N: usize, const BE: bool>(src: &[i32], dst: &mut [u8], flip: u32, bits: u32) {
    let (lo, hi) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
    for (v, c) in src.iter().zip(dst.chunks_exact_mut(N)) {
        let v = (*v as i64).clamp(lo, hi) as i32;
        store::<N, BE>(((v as u32) << (32 - bits)) ^ flip, c);
    }
}

fn ints_from_f32<const N: usize, const BE: bool>(src: &[f32], dst: &mut [u8], flip: u32, bits: u32) {
    for (v, c) in src.iter().zip(dst.chunks_exact_mut(N)) {
        store::<N, BE>(((f32_to_int(*v, bits) as u32) << (32 - bits)) ^ flip, c);
    }
}

fn put_floats(layout: &PcmLayout, values: impl Iterator<Item = f64>, dst: &mut [u8]) {
    match (layout.bytes, layout.big_endian) {
        (4, be) => {
            for (v, c) in values.zip(dst.chunks_exact_mut(4)) {
                let b = if be { (v as f32).to_be_bytes() } else { (v as f32).to_le_bytes() };
                c.copy_from_slice(&b);
            }
        }
        (_, be) => {
            for (v, c) in values.zip(dst.chunks_exact_mut(8)) {
                let b = if be { v.to_be_bytes() } else { v.to_le_bytes() };
                c.copy_from_slice(&b);
            }
        }
    }
}

fn grow(dst: &mut Vec<u8>, samples: usize, bytes: u32) -> usize {
    let start = dst.len();
    dst.resize(start + samples * bytes as usize, 0);
    start
}

/// Appends `src` (f32 in [-1, 1)) to `dst` in `layout`, rounding and clipping
/// integers with [`crate::format::f32_to_int`] at the valid bits (at most 32).
pub fn encode_f32(layout: &PcmLayout, src: &[f32], dst: &mut Vec<u8>) {
    let start = grow(dst, src.len(), layout.bytes);
    let out = &mut dst[start..];
    if layout.float {
        if layout.bytes == 4 {
            // Straight copy of the bits: no rounding through f64 and back.
            for (v, c) in src.iter().zip(out.chunks_exact_mut(4)) {
                c.copy_from_slice(&if layout.big_endian { v.to_be_bytes() } else { v.to_le_bytes() });
            }
        } else {
            put_floats(layout, src.iter().map(|&v| v as f64), out);
        }
    } else {
        let (flip, bits) = (layout.flip(), layout.out_bits());
        dispatch_int!(layout, ints_from_f32, src, out, flip, bits);
    }
}

/// Appends `src` (right-justified integers of [`PcmLayout::out_bits`] bits,
/// clipped to that range; for floats, integers scaled to 32 bits) to `dst` in `layout`.
pub fn encode_i32(layout: &PcmLayout, src: &[i32], dst: &mut Vec<u8>) {
    let start = grow(dst, src.len(), layout.bytes);
    let out = &mut dst[start..];
    if layout.float {
        put_floats(layout, src.iter().map(|&v| v as f64 / 2147483648.0), out);
    } else if (layout.bytes, layout.valid_bits, layout.unsigned, layout.big_endian) == (2, 16, false, false) {
        // 16-bit little-endian signed (WAV, the commonest): a saturating
        // narrowing that vectorises; the same bytes as the general path.
        for (v, c) in src.iter().zip(out.chunks_exact_mut(2)) {
            c.copy_from_slice(&((*v).clamp(-32768, 32767) as i16).to_le_bytes());
        }
    } else {
        let (flip, bits) = (layout.flip(), layout.out_bits());
        dispatch_int!(layout, ints_from_i32, src, out, flip, bits);
    }
}

/// The data chunk of the WAVE, AIFF and CAF writers: interleaved samples
/// encoded in one layout, buffered, and written in blocks of about 1 MiB.
pub(crate) struct PcmData {
    layout: PcmLayout,
    channels: usize,
    buf: Vec<u8>,
    /// Bytes handed to the sink so far.
    pub(crate) bytes: u64,
}

/// Buffered bytes that trigger a write to the sink.
const FLUSH_AT: usize = 1 << 20;

impl PcmData {
    /// An empty data chunk of `channels`-sample frames in `layout`.
    pub(crate) fn new(layout: PcmLayout, channels: usize) -> Self {
        PcmData { layout, channels, buf: Vec::with_capacity(FLUSH_AT + (64 << 10)), bytes: 0 }
    }

    /// Bytes the chunk would hold after `samples` more (written or buffered).
    pub(crate) fn bytes_after(&self, samples: usize) -> u64 {
        self.bytes + self.buf.len() as u64 + samples as u64 * self.layout.bytes as u64
    }

    /// Whole frames handed to the sink so far.
    pub(crate) fn frames(&self) -> u64 {
        self.bytes / (self.layout.bytes as u64 * self.channels as u64)
    }

    /// Refuses a partial frame.
    pub(crate) fn check(&self, samples: usize) -> Result<(), WriteError> {
        if samples % self.channels != 0 {
            return Err(WriteError::Usage(format!(
                "{samples} samples are not a whole number of {}-channel frames",
                self.channels
            )));
        }
        Ok(())
    }

    /// Encodes f32 samples (see [`encode_f32`]).
    pub(crate) fn write_f32(&mut self, sink: &mut dyn io::Write, samples: &[f32]) -> Result<(), WriteError> {
        for part in samples.chunks(FLUSH_AT / 8) {
            encode_f32(&self.layout, part, &mut self.buf);
            self.flush_if_full(sink)?;
        }
        Ok(())
    }

    /// Encodes integer samples (see [`encode_i32`]).
    pub(crate) fn write_i32(&mut self, sink: &mut dyn io::Write, samples: &[i32]) -> Result<(), WriteError> {
        for part in samples.chunks(FLUSH_AT / 8) {
            encode_i32(&self.layout, part, &mut self.buf);
            self.flush_if_full(sink)?;
        }
        Ok(())
    }

    fn flush_if_full(&mut self, sink: &mut dyn io::Write) -> Result<(), WriteError> {
        if self.buf.len() >= FLUSH_AT {
            self.flush(sink)?;
        }
        Ok(())
    }

    /// Writes what is buffered.
    pub(crate) fn flush(&mut self, sink: &mut dyn io::Write) -> Result<(), WriteError> {
        sink.write_all(&self.buf)?;
        self.bytes += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Header-reading helpers shared by the container parsers.

/// Reads up to `buf.len()` bytes at `offset`; returns how many the file had.
pub(crate) fn read_at(source: &mut Source, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    source.seek(SeekFrom::Start(offset))?;
    let mut n = 0;
    while n < buf.len() {
        match source.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Reads a chunk body of `len` bytes at `offset`, or what of it the file holds
/// (never more than the file, so a lying size cannot make it allocate).
pub(crate) fn read_body(source: &mut Source, offset: u64, len: u64) -> io::Result<Vec<u8>> {
    let len = len.min(source.byte_len().saturating_sub(offset));
    let mut v = vec![0; len as usize];
    let n = read_at(source, offset, &mut v)?;
    v.truncate(n);
    Ok(v)
}

/// Largest tag chunk parsed (bigger ones, usually pictures, are skipped).
pub(crate) const MAX_TAG_CHUNK: u64 = 16 << 20;

/// True for a plausible chunk id: four printable ASCII characters.
pub(crate) fn plausible_id(id: &[u8]) -> bool {
    id.len() == 4 && id.iter().all(|b| (0x20..0x7f).contains(b))
}

/// The stored-format description (ASBD) of linear PCM in `layout`.
pub(crate) fn pcm_format(rate: f64, channels: u32, layout: &PcmLayout) -> AudioFormat {
    let mut flags = 0;
    if layout.float {
        flags |= format_flags::IS_FLOAT;
    } else if !layout.unsigned {
        flags |= format_flags::IS_SIGNED_INTEGER;
    }
    if layout.big_endian {
        flags |= format_flags::IS_BIG_ENDIAN;
    }
    if layout.valid_bits == layout.bytes * 8 {
        flags |= format_flags::IS_PACKED;
    } else {
        flags |= format_flags::IS_ALIGNED_HIGH;
    }
    let frame = layout.bytes.saturating_mul(channels);
    AudioFormat {
        sample_rate: rate,
        format_id: FourCC::LPCM,
        format_flags: flags,
        bytes_per_packet: frame,
        frames_per_packet: 1,
        bytes_per_frame: frame,
        channels_per_frame: channels,
        bits_per_channel: layout.valid_bits,
    }
}

/// The stored-format description of G.711 or ADPCM.
pub(crate) fn coded_format(rate: f64, channels: u32, coding: &Coding) -> AudioFormat {
    let (bytes, frames) = coding.block_shape(channels as usize);
    let (id, bits, frame_bytes) = match coding {
        Coding::Pcm(l) => return pcm_format(rate, channels, l),
        Coding::Alaw => (FourCC::ALAW, 8, channels),
        Coding::Ulaw => (FourCC::ULAW, 8, channels),
        Coding::ImaWav { .. } | Coding::Ima4 => (FourCC::IMA4, 0, 0),
        Coding::MsAdpcm { .. } => (FourCC::MS_ADPCM, 0, 0),
    };
    AudioFormat {
        sample_rate: rate,
        format_id: id,
        format_flags: 0,
        bytes_per_packet: bytes as u32,
        frames_per_packet: frames as u32,
        bytes_per_frame: frame_bytes,
        channels_per_frame: channels,
        bits_per_channel: bits,
    }
}

/// Builds the [`StreamInfo`] of a native stream.
pub(crate) fn stream_info(
    container: Container,
    rate: f64,
    channels: u32,
    coding: &Coding,
    stream: &PcmStream,
    layout: ChannelLayout,
    tags: Tags,
) -> StreamInfo {
    let (codec, sample_format, bits) = match coding {
        Coding::Pcm(l) => (Codec::Pcm, l.sample_format(), if l.float { l.bytes * 8 } else { l.out_bits() }),
        Coding::Alaw => (Codec::Alaw, SampleFormat::S16, 16),
        Coding::Ulaw => (Codec::Ulaw, SampleFormat::S16, 16),
        Coding::ImaWav { .. } | Coding::Ima4 => (Codec::ImaAdpcm, SampleFormat::S16, 16),
        Coding::MsAdpcm { .. } => (Codec::MsAdpcm, SampleFormat::S16, 16),
    };
    StreamInfo {
        container,
        codec,
        format: coded_format(rate, channels, coding),
        sample_format: Some(sample_format),
        bits_per_sample: Some(bits),
        frames: Some(stream.frames()),
        layout,
        bit_rate: stream.bit_rate(rate),
        tags,
    }
}

/// Implements [`crate::io::AudioReader`] for a reader struct with fields
/// `info: StreamInfo`, `stream: PcmStream` and `warnings: Vec<Warning>`.
macro_rules! native_reader_impl {
    ($t:ty) => {
        impl $crate::io::AudioReader for $t {
            fn info(&self) -> &$crate::io::StreamInfo {
                &self.info
            }
            fn read_f32(&mut self, out: &mut [f32]) -> $crate::io::ReadResult<usize> {
                self.stream.read(out)
            }
            fn read_i32(&mut self, out: &mut [i32]) -> $crate::io::ReadResult<usize> {
                self.stream.read(out)
            }
            fn seek(&mut self, frame: u64) -> $crate::io::ReadResult<u64> {
                Ok(self.stream.seek(frame))
            }
            fn take_warnings(&mut self) -> Vec<$crate::io::Warning> {
                let mut w = std::mem::take(&mut self.warnings);
                w.extend(self.stream.take_warnings());
                w
            }
        }
    };
}
pub(crate) use native_reader_impl;

#[cfg(test)]
mod tests;

/// The clipped 32-bit value [`decode_i32`] gives for a float (for tests comparing with other decoders).
#[cfg(test)]
pub(crate) fn tests_clip(v: f32) -> i32 {
    clip_to_i32(v as f64)
}

#[cfg(test)]
pub(crate) mod test_util;
