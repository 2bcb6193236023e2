//! AIFF and AIFF-C read natively (big- and little-endian PCM of any depth,
//! `raw ` unsigned 8-bit, 32/64-bit float, G.711, Apple `ima4`), and AIFF
//! (integers) / AIFF-C (`fl32`/`fl64`) written.
//!
//! The COMM sample rate is an 80-bit IEEE extended float, parsed exactly
//! here. The reader never trusts a chunk size beyond the file's length and
//! never panics on any bytes.

use std::io::{Seek, SeekFrom, Write};

use crate::format::{ChannelLayout, FourCC};

use crate::io::codec::pcm::{
    self, native_reader_impl, read_at, read_body, Coding, PcmLayout, PcmStream, StreamSpec, MAX_TAG_CHUNK,
};
use crate::io::container::chunks::{not_a_chunk, ChunkWalker, Layout, Next};
use crate::io::container::pcm_file::{PcmBody, PcmFileWriter};
use crate::io::tags::aiff_text_chunks;
use crate::io::writer::{WriteSeek, WriterSpec};
use crate::io::{tags, Container, MediaSource, ReadError, ReadResult, Source, StreamInfo, Tags, Warning, WriteError};

/// Reads AIFF and AIFF-C files.
pub struct AiffReader {
    info: StreamInfo,
    stream: PcmStream,
    warnings: Vec<Warning>,
}

native_reader_impl!(AiffReader);

/// Parses an 80-bit IEEE 754 extended float (big-endian), as AIFF stores
/// sample rates. Returns `None` for NaN and infinities.
pub fn parse_extended(b: &[u8; 10]) -> Option<f64> {
    let sign = b[0] & 0x80 != 0;
    let exp = (u16::from_be_bytes([b[0], b[1]]) & 0x7fff) as i32;
    let mut m = [0u8; 8];
    m.copy_from_slice(&b[2..10]);
    let mant = u64::from_be_bytes(m);
    if exp == 0x7fff {
        return None;
    }
    if mant == 0 {
        return Some(if sign { -0.0 } else { 0.0 });
    }
    // value = mant × 2^(exp − 16383 − 63); scale in two steps so neither overflows early.
    let e = exp - 16383 - 63;
    let v = (mant as f64) * 2f64.powi(e / 2) * 2f64.powi(e - e / 2);
    Some(if sign { -v } else { v })
}

/// Encodes a positive integer rate as an 80-bit extended float.
pub fn encode_extended(rate: u32) -> [u8; 10] {
    let mut out = [0u8; 10];
    if rate == 0 {
        return out;
    }
    let v = rate as u64;
    let shift = v.leading_zeros();
    let exp = (16383 + 63 - shift) as u16;
    out[..2].copy_from_slice(&exp.to_be_bytes());
    out[2..].copy_from_slice(&(v << shift).to_be_bytes());
    out
}

struct Comm {
    channels: u32,
    frames: u64,
    bits: u32,
    rate: f64,
    compression: [u8; 4],
}

fn parse_comm(b: &[u8], off: u64, aifc: bool) -> ReadResult<Comm> {
    if b.len() < 18 {
        return Err(ReadError::malformed(off, format!("the COMM chunk is {} bytes; it needs 18", b.len())));
    }
    let channels = i16::from_be_bytes([b[0], b[1]]);
    let frames = u32::from_be_bytes([b[2], b[3], b[4], b[5]]) as u64;
    let bits = i16::from_be_bytes([b[6], b[7]]);
    let mut ext = [0u8; 10];
    ext.copy_from_slice(&b[8..18]);
    if channels <= 0 {
        return Err(ReadError::malformed(off, format!("COMM: the channel count (numChannels) is {channels}")));
    }
    let rate = parse_extended(&ext).unwrap_or(f64::NAN);
    if !(rate.is_finite() && rate > 0.0 && rate < 4.0e9) {
        return Err(ReadError::malformed(
            off + 8,
            format!("COMM: the sample rate (sampleRate) is {rate}, not a positive finite number"),
        ));
    }
    let compression = if aifc {
        if b.len() < 22 {
            return Err(ReadError::malformed(off, "an AIFF-C COMM chunk without its compressionType"));
        }
        [b[18], b[19], b[20], b[21]]
    } else {
        *b"NONE"
    };
    Ok(Comm { channels: channels as u32, frames, bits: bits.max(0) as u32, rate, compression })
}

fn coding_for(c: &Comm, off: u64) -> ReadResult<Coding> {
    let bits = c.bits;
    let int = |be: bool, unsigned: bool| {
        let bytes = bits.div_ceil(8);
        PcmLayout::int(bytes, bits, unsigned, be)
            .map(Coding::Pcm)
            .ok_or_else(|| ReadError::malformed(off + 6, format!("COMM: a sample size (sampleSize) of {bits} bits")))
    };
    let fixed = |bytes: u32, be: bool| {
        Ok(Coding::Pcm(PcmLayout { bytes, valid_bits: bytes * 8, unsigned: false, float: false, big_endian: be }))
    };
    match &c.compression {
        b"NONE" | b"twos" => int(true, false),
        b"sowt" => int(false, false),
        b"raw " => int(true, true),
        b"in24" => fixed(3, true),
        b"in32" => fixed(4, true),
        b"42ni" => fixed(3, false),
        b"23ni" => fixed(4, false),
        b"fl32" | b"FL32" => {
            Ok(Coding::Pcm(PcmLayout { bytes: 4, valid_bits: 32, unsigned: false, float: true, big_endian: true }))
        }
        b"fl64" | b"FL64" => {
            Ok(Coding::Pcm(PcmLayout { bytes: 8, valid_bits: 64, unsigned: false, float: true, big_endian: true }))
        }
        b"ulaw" | b"ULAW" => Ok(Coding::Ulaw),
        b"alaw" | b"ALAW" => Ok(Coding::Alaw),
        b"ima4" => Ok(Coding::Ima4),
        other => Err(ReadError::unsupported(format!("AIFF-C compression '{}'", FourCC(*other)))),
    }
}

impl AiffReader {
    /// Parses the headers of an AIFF or AIFF-C file and gets ready to decode.
    pub fn new(mut source: Source) -> ReadResult<Self> {
        let file_len = source.byte_len();
        let mut head = [0u8; 12];
        if read_at(&mut source, 0, &mut head)? < 12 {
            return Err(ReadError::truncated(file_len, "the AIFF header"));
        }
        let aifc = match (&head[..4], &head[8..12]) {
            (b"FORM", b"AIFF") => false,
            (b"FORM", b"AIFC") => true,
            _ => return Err(ReadError::malformed(0, "not an AIFF file: expected 'FORM....AIFF' or 'AIFC'")),
        };
        let mut comm = None;
        let mut ssnd: Option<(u64, u64)> = None;
        let mut tags = Tags::default();
        let mut warnings = Vec::new();
        let mut walker = ChunkWalker::new(&source, Layout::Form, 12);
        loop {
            let c = match walker.next(&mut source)? {
                Next::Chunk(c) => c,
                Next::End => break,
                Next::NotAChunk { at, .. } if ssnd.is_some() && comm.is_some() => {
                    warnings.push(Warning::NotAChunk { at, after_audio: false });
                    break;
                }
                Next::NotAChunk { at, found } => return Err(not_a_chunk(at, &found, "'COMM' or 'SSND'")),
            };
            let (id, size, body) = (c.id, c.size, c.body);
            match &id {
                b"COMM" => comm = Some(parse_comm(&read_body(&mut source, body, size.min(256))?, body, aifc)?),
                b"SSND" => {
                    let mut s = [0u8; 8];
                    if read_at(&mut source, body, &mut s)? < 8 {
                        return Err(ReadError::truncated(file_len, "the SSND chunk header"));
                    }
                    let offset = u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as u64;
                    let start = body + 8 + offset;
                    // A size of 0 (streamed) means to the end of the file.
                    let len = if size == 0 { file_len.saturating_sub(start) } else { size.saturating_sub(8 + offset) };
                    ssnd = Some((start, len));
                }
                b"NAME" | b"AUTH" | b"(c) " | b"ANNO" if size <= MAX_TAG_CHUNK => {
                    tags::parse_aiff_text(id, &read_body(&mut source, body, size)?, &mut tags);
                }
                b"ID3 " | b"id3 " if size <= MAX_TAG_CHUNK => {
                    tags::parse_id3v2(&read_body(&mut source, body, size)?, &mut tags);
                }
                _ => {}
            }
            if size == 0 && &id == b"SSND" {
                break;
            }
            walker.skip(&mut source, &c, size)?;
        }
        let Some(comm) = comm else {
            return Err(ReadError::malformed(file_len, "the file has no COMM chunk (the AIFF format description)"));
        };
        let coding = coding_for(&comm, 0)?;
        let (header_frames, data) = match (ssnd, comm.frames) {
            (Some((start, len)), _) => {
                let frames = if matches!(coding, Coding::Ima4) { comm.frames.saturating_mul(64) } else { comm.frames };
                (Some(frames), (start, len))
            }
            (None, 0) => (Some(0), (file_len, 0)),
            (None, n) => {
                return Err(ReadError::malformed(
                    file_len,
                    format!("the COMM chunk promises {n} frames but the file has no SSND chunk (the audio)"),
                ))
            }
        };
        let stream = PcmStream::open(
            source,
            StreamSpec {
                data_start: data.0,
                data_len: data.1,
                channels: comm.channels as usize,
                coding: coding.clone(),
                header_frames,
            },
            &mut warnings,
        )?;
        let container = if aifc { Container::Aifc } else { Container::Aiff };
        let layout = ChannelLayout::default_for(comm.channels);
        let info = pcm::stream_info(container, comm.rate, comm.channels, &coding, &stream, layout, tags);
        Ok(AiffReader { info, stream, warnings })
    }
}

// ---------------------------------------------------------------------------

/// Writes AIFF (big-endian integers of 1 to 32 significant bits) or AIFF-C
/// (`fl32`/`fl64`). Sizes are 32-bit: data beyond 4 GiB is refused.
/// Its tags are text chunks (NAME, AUTH, `(c) `, ANNO) after SSND.
pub struct AiffWriter {
    body: PcmBody,
    comm_frames_at: u64,
    ssnd_size_at: u64,
}

const MAX_DATA: u64 = u32::MAX as u64 - 1024;

impl AiffWriter {
    /// Writes the header for `spec` and gets ready for samples.
    pub fn new(sink: Box<dyn WriteSeek>, spec: WriterSpec) -> Result<Self, WriteError> {
        let layout = PcmBody::layout(&spec, "an AIFF file", true, false)?;
        let aifc = layout.float;
        let mut h = Vec::with_capacity(128);
        h.extend_from_slice(b"FORM\0\0\0\0");
        h.extend_from_slice(if aifc { b"AIFC" } else { b"AIFF" });
        if aifc {
            h.extend_from_slice(b"FVER\0\0\0\x04");
            h.extend_from_slice(&0xA280_5140u32.to_be_bytes());
        }
        let name: &[u8] = if layout.bytes == 8 { b"\x1564-bit floating point" } else { b"\x1532-bit floating point" };
        let comm_len: u32 = if aifc { 18 + 4 + name.len() as u32 + (name.len() as u32 % 2) } else { 18 };
        h.extend_from_slice(b"COMM");
        h.extend_from_slice(&comm_len.to_be_bytes());
        h.extend_from_slice(&spec.channels.to_be_bytes());
        let comm_frames_at = h.len() as u64;
        h.extend_from_slice(&0u32.to_be_bytes());
        h.extend_from_slice(&(layout.valid_bits as u16).to_be_bytes());
        h.extend_from_slice(&encode_extended(spec.sample_rate));
        if aifc {
            h.extend_from_slice(if layout.bytes == 8 { b"fl64" } else { b"fl32" });
            h.extend_from_slice(name);
            if name.len() % 2 == 1 {
                h.push(0);
            }
        }
        h.extend_from_slice(b"SSND");
        let ssnd_size_at = h.len() as u64;
        h.extend_from_slice(&[0; 12]);
        Ok(AiffWriter { body: PcmBody::start(sink, &h, layout, spec.channels as usize)?, comm_frames_at, ssnd_size_at })
    }
}

impl PcmFileWriter for AiffWriter {
    fn body(&mut self) -> &mut PcmBody {
        &mut self.body
    }

    fn tag_chunks(tags: &Tags) -> Vec<u8> {
        aiff_text_chunks(tags)
    }

    fn check_size(&self, bytes: u64) -> Result<(), WriteError> {
        if bytes > MAX_DATA {
            return Err(WriteError::Unsupported(
                "AIFF cannot hold more than 4 GiB of audio; write WAVE (RF64) or CAF instead".into(),
            ));
        }
        Ok(())
    }

    fn finish_file(mut self: Box<Self>) -> Result<(), WriteError> {
        let PcmBody { sink: s, data, tags } = &mut self.body;
        let (frames, data) = (data.frames(), data.bytes);
        let pad = data % 2;
        if pad == 1 {
            s.write_all(&[0])?;
        }
        let mut form = self.ssnd_size_at + 4 + 8 + data + pad - 8;
        // The tags go in only while the FORM size still fits its 32 bits.
        if form + tags.len() as u64 <= u32::MAX as u64 {
            s.write_all(tags)?;
            form += tags.len() as u64;
        }
        s.seek(SeekFrom::Start(4))?;
        s.write_all(&(form as u32).to_be_bytes())?;
        s.seek(SeekFrom::Start(self.comm_frames_at))?;
        s.write_all(&(frames as u32).to_be_bytes())?;
        s.seek(SeekFrom::Start(self.ssnd_size_at))?;
        s.write_all(&((data + 8) as u32).to_be_bytes())?;
        s.seek(SeekFrom::End(0))?;
        s.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
