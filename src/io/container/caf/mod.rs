//! Apple Core Audio Format read natively for linear PCM (integer and float,
//! either endianness), G.711 and `ima4`; other formats in CAF (ALAC, AAC…)
//! are refused as unsupported, naming the format, so the probe can hand them
//! to a general decoder. Written as little-endian linear PCM.
//!
//! CAF chunk sizes are 64-bit and a data size of −1 means "to the end of the
//! file". Nothing here trusts a size beyond the file or panics on any bytes.

use std::io::Write;

use crate::format::{Channel, ChannelLayout, FourCC};

use crate::io::codec::pcm::{
    self, native_reader_impl, read_at, read_body, Coding, PcmLayout, PcmStream, StreamSpec, MAX_TAG_CHUNK,
};
use crate::io::container::chunks::{patch_at, push_chunk_header, ChunkWalker, Layout, Next};
use crate::io::container::pcm_file::{PcmBody, PcmFileWriter};
use crate::io::tags::caf_info_chunk;
use crate::io::writer::{WriteSeek, WriterSpec};
use crate::io::{tags, Container, MediaSource, ReadError, ReadResult, Source, StreamInfo, Tags, Warning, WriteError};

/// CAF's `kCAFLinearPCMFormatFlagIsFloat`.
const CAF_FLOAT: u32 = 1;
/// CAF's `kCAFLinearPCMFormatFlagIsLittleEndian`.
const CAF_LITTLE_ENDIAN: u32 = 2;
/// `kCAFChannelLayoutTag_UseChannelBitmap`.
const USE_BITMAP: u32 = 1 << 16;
/// `kCAFChannelLayoutTag_UseChannelDescriptions`.
const USE_DESCRIPTIONS: u32 = 0;

/// Reads Core Audio Format files.
pub struct CafReader {
    info: StreamInfo,
    stream: PcmStream,
    warnings: Vec<Warning>,
}

native_reader_impl!(CafReader);

struct Desc {
    rate: f64,
    id: [u8; 4],
    flags: u32,
    bytes_per_packet: u32,
    frames_per_packet: u32,
    channels: u32,
    bits: u32,
}

fn be32(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

fn be64(b: &[u8], i: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[i..i + 8]);
    u64::from_be_bytes(x)
}

fn parse_desc(b: &[u8], off: u64) -> ReadResult<Desc> {
    if b.len() < 32 {
        return Err(ReadError::malformed(off, format!("the desc chunk is {} bytes; it needs 32", b.len())));
    }
    let d = Desc {
        rate: f64::from_bits(be64(b, 0)),
        id: [b[8], b[9], b[10], b[11]],
        flags: be32(b, 12),
        bytes_per_packet: be32(b, 16),
        frames_per_packet: be32(b, 20),
        channels: be32(b, 24),
        bits: be32(b, 28),
    };
    if !(d.rate.is_finite() && d.rate > 0.0 && d.rate < 4.0e9) {
        return Err(ReadError::malformed(off, format!("desc: the sample rate (mSampleRate) is {}", d.rate)));
    }
    if d.channels == 0 {
        return Err(ReadError::malformed(off + 24, "desc: the channel count (mChannelsPerFrame) is 0"));
    }
    if d.channels > u16::MAX as u32 {
        return Err(ReadError::malformed(off + 24, format!("desc: {} channels (mChannelsPerFrame)", d.channels)));
    }
    Ok(d)
}

fn coding_for(d: &Desc, off: u64) -> ReadResult<Coding> {
    let bad = |what: String| ReadError::malformed(off, format!("desc: {what}"));
    match &d.id {
        b"lpcm" => {
            if d.frames_per_packet != 1 || d.bytes_per_packet == 0 || d.bytes_per_packet % d.channels != 0 {
                return Err(bad(format!(
                    "linear PCM with {} bytes and {} frames per packet for {} channels",
                    d.bytes_per_packet, d.frames_per_packet, d.channels
                )));
            }
            let bytes = d.bytes_per_packet / d.channels;
            let be = d.flags & CAF_LITTLE_ENDIAN == 0;
            let layout = if d.flags & CAF_FLOAT != 0 {
                PcmLayout::float(bytes, be)
            } else {
                let bits = if d.bits == 0 { bytes.saturating_mul(8) } else { d.bits };
                PcmLayout::int(bytes, bits, false, be)
            };
            layout.map(Coding::Pcm).ok_or_else(|| {
                bad(format!("{}-bit samples in {bytes}-byte containers (mBitsPerChannel/mBytesPerPacket)", d.bits))
            })
        }
        b"ulaw" | b"alaw" => {
            if d.bytes_per_packet != d.channels || d.frames_per_packet != 1 {
                return Err(bad(format!(
                    "G.711 with {} bytes per packet for {} channels",
                    d.bytes_per_packet, d.channels
                )));
            }
            Ok(if &d.id == b"ulaw" { Coding::Ulaw } else { Coding::Alaw })
        }
        b"ima4" => {
            if d.bytes_per_packet as u64 != 34 * d.channels as u64 || d.frames_per_packet != 64 {
                return Err(bad(format!(
                    "ima4 with {} bytes and {} frames per packet (expected {} and 64)",
                    d.bytes_per_packet,
                    d.frames_per_packet,
                    34 * d.channels as u64
                )));
            }
            Ok(Coding::Ima4)
        }
        other => Err(ReadError::unsupported(format!("CAF audio format '{}' (not decoded natively)", FourCC(*other)))),
    }
}

fn parse_chan(b: &[u8], channels: u32) -> Option<ChannelLayout> {
    if b.len() < 12 {
        return None;
    }
    let tag = be32(b, 0);
    let bitmap = be32(b, 4);
    let n = be32(b, 8);
    match tag {
        USE_BITMAP if bitmap != 0 && bitmap.count_ones() >= channels => {
            Some(ChannelLayout::from_mask(bitmap, channels))
        }
        // The descriptions must all be in the chunk before any room is made for them.
        USE_DESCRIPTIONS if n == channels && (b.len() as u64 - 12) / 20 >= u64::from(channels) => {
            let mut chans = Vec::with_capacity(channels as usize);
            for i in 0..channels as usize {
                let label = b.get(12 + 20 * i..16 + 20 * i).map(|l| be32(l, 0))?;
                let c = if (1..=18).contains(&label) {
                    ChannelLayout::from_mask(1 << (label - 1), 1).channels.first().copied()?
                } else {
                    Channel::Discrete(i as u16)
                };
                chans.push(c);
            }
            Some(ChannelLayout { channels: chans })
        }
        _ => None,
    }
}

impl CafReader {
    /// Parses the headers of a CAF file and gets ready to decode.
    pub fn new(mut source: Source) -> ReadResult<Self> {
        let file_len = source.byte_len();
        let mut head = [0u8; 8];
        if read_at(&mut source, 0, &mut head)? < 8 {
            return Err(ReadError::truncated(file_len, "the CAF header"));
        }
        if &head[..4] != b"caff" {
            return Err(ReadError::malformed(0, "not a CAF file: expected 'caff'"));
        }
        let version = u16::from_be_bytes([head[4], head[5]]);
        if version != 1 {
            return Err(ReadError::unsupported(format!("CAF version {version} (only 1)")));
        }
        let mut desc = None;
        let mut data: Option<(u64, u64)> = None;
        let mut chan = None;
        let mut valid_frames = None;
        let mut tags = Tags::default();
        let mut warnings = Vec::new();
        let mut walker = ChunkWalker::new(&source, Layout::Caf, 8);
        while let Next::Chunk(c) = walker.next(&mut source)? {
            let (id, off, body) = (c.id, c.at, c.body);
            let size = c.signed_size();
            let rest = walker.rest_from(body);
            if &id == b"data" {
                let len = if size == -1 || size as u64 > rest { rest } else { size as u64 };
                if size != -1 && size as u64 > rest {
                    warnings.push(Warning::CafDataCut { claimed: size, present: rest });
                }
                if len < 4 {
                    return Err(ReadError::truncated(file_len, "the CAF data chunk's edit count"));
                }
                data = Some((body + 4, len - 4));
                if len == rest {
                    break;
                }
            } else if size < 0 {
                return Err(ReadError::malformed(
                    off + 4,
                    format!("chunk '{}' has a negative size {size}", FourCC(id)),
                ));
            }
            let size = size as u64;
            match &id {
                b"desc" => desc = Some((body, read_body(&mut source, body, size.min(64))?)),
                b"chan" if size <= 1 << 20 => chan = Some(read_body(&mut source, body, size)?),
                b"pakt" => {
                    let b = read_body(&mut source, body, 24)?;
                    if b.len() == 24 {
                        valid_frames = Some(be64(&b, 8));
                    }
                }
                b"info" if size <= MAX_TAG_CHUNK => {
                    tags::parse_caf_info(&read_body(&mut source, body, size)?, &mut tags)
                }
                _ => {}
            }
            walker.skip(&mut source, &c, size)?;
        }
        let Some((desc_off, desc_bytes)) = desc else {
            return Err(ReadError::malformed(file_len, "the file has no desc chunk (the CAF format description)"));
        };
        let d = parse_desc(&desc_bytes, desc_off)?;
        let coding = coding_for(&d, desc_off)?;
        let Some((data_start, data_len)) = data else {
            return Err(ReadError::malformed(file_len, "the file has no data chunk (the audio)"));
        };
        let header_frames = if matches!(coding, Coding::Ima4) { valid_frames } else { None };
        let stream = PcmStream::open(
            source,
            StreamSpec { data_start, data_len, channels: d.channels as usize, coding: coding.clone(), header_frames },
            &mut warnings,
        )?;
        let layout =
            chan.and_then(|c| parse_chan(&c, d.channels)).unwrap_or_else(|| ChannelLayout::default_for(d.channels));
        let info = pcm::stream_info(Container::Caf, d.rate, d.channels, &coding, &stream, layout, tags);
        Ok(CafReader { info, stream, warnings })
    }
}

// ---------------------------------------------------------------------------

/// Writes CAF linear PCM. Samples are little-endian (CAF allows either
/// order; little-endian is the CPU's and costs no byte swapping), integers
/// signed, with a `chan` bitmap for more than two channels.
/// Its tags are an `info` chunk after the data.
pub struct CafWriter {
    body: PcmBody,
    data_size_at: u64,
}

impl CafWriter {
    /// Writes the header for `spec` and gets ready for samples.
    pub fn new(sink: Box<dyn WriteSeek>, spec: WriterSpec) -> Result<Self, WriteError> {
        let layout = PcmBody::layout(&spec, "a CAF file", false, false)?;
        let ch = spec.channels as u32;
        let mut h = Vec::with_capacity(128);
        h.extend_from_slice(b"caff\x00\x01\x00\x00");
        push_chunk_header(&mut h, b"desc", &32u64.to_be_bytes());
        h.extend_from_slice(&(spec.sample_rate as f64).to_be_bytes());
        h.extend_from_slice(b"lpcm");
        let flags = CAF_LITTLE_ENDIAN | if layout.float { CAF_FLOAT } else { 0 };
        h.extend_from_slice(&flags.to_be_bytes());
        h.extend_from_slice(&(layout.bytes * ch).to_be_bytes());
        h.extend_from_slice(&1u32.to_be_bytes());
        h.extend_from_slice(&ch.to_be_bytes());
        h.extend_from_slice(&layout.valid_bits.to_be_bytes());
        let mask = ChannelLayout::default_for(ch).mask();
        if ch > 2 && mask != 0 {
            push_chunk_header(&mut h, b"chan", &12u64.to_be_bytes());
            h.extend_from_slice(&USE_BITMAP.to_be_bytes());
            h.extend_from_slice(&mask.to_be_bytes());
            h.extend_from_slice(&0u32.to_be_bytes());
        }
        let data_size_at = push_chunk_header(&mut h, b"data", &(-1i64).to_be_bytes());
        h.extend_from_slice(&0u32.to_be_bytes());
        Ok(CafWriter { body: PcmBody::start(sink, &h, layout, ch as usize)?, data_size_at })
    }
}

impl PcmFileWriter for CafWriter {
    fn body(&mut self) -> &mut PcmBody {
        &mut self.body
    }

    fn tag_chunks(tags: &Tags) -> Vec<u8> {
        caf_info_chunk(tags)
    }

    fn finish_file(mut self: Box<Self>) -> Result<(), WriteError> {
        let PcmBody { sink, data, tags } = &mut self.body;
        // CAF allows chunks after the data only when its size is set, which
        // happens just below.
        sink.write_all(tags)?;
        patch_at(sink, self.data_size_at, &(data.bytes + 4).to_be_bytes())?;
        sink.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
