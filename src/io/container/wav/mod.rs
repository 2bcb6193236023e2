//! WAVE in all its wrappers — RIFF, big-endian RIFX, RF64/BW64 (ds64 sizes)
//! and Sony Wave64 — read natively: PCM of any depth, IEEE float, G.711,
//! IMA and Microsoft ADPCM, WAVE_FORMAT_EXTENSIBLE; and written as WAVE
//! (turning into RF64 at finish when the data outgrows 4 GiB).
//!
//! The parser walks chunks without trusting their sizes: sizes are checked
//! against the file, odd chunks are padded (or not, for writers that forget
//! the pad byte), and anything it cannot decode is named in the error. It
//! must not panic on any bytes or allocate from header values beyond the
//! file's length.

mod chunks;
mod write;

use chunks::*;
pub(crate) use write::writer_layout;
pub use write::WavWriter;

use std::io::Write;

use crate::format::ChannelLayout;

use crate::io::codec::adpcm;
use crate::io::codec::pcm::{
    self, native_reader_impl, read_at, read_body, Coding, PcmData, PcmLayout, PcmStream, StreamSpec, MAX_TAG_CHUNK,
};
use crate::io::container::chunks::{not_a_chunk, patch_at, push_chunk_header, ChunkWalker, Layout, Next};
use crate::io::tags::riff_info_chunk;
use crate::io::writer::{AudioWriter, WriteSeek, WriterSpec};
use crate::io::{tags, Container, MediaSource, ReadError, ReadResult, Source, StreamInfo, Tags, Warning, WriteError};

const W64_RIFF: [u8; 16] = *b"riff\x2E\x91\xCF\x11\xA5\xD6\x28\xDB\x04\xC1\x00\x00";
const W64_WAVE: [u8; 16] = *b"wave\xF3\xAC\xD3\x11\x8C\xD1\x00\xC0\x4F\x8E\xDB\x8A";
const W64_AUDIO_SUFFIX: [u8; 12] = *b"\xF3\xAC\xD3\x11\x8C\xD1\x00\xC0\x4F\x8E\xDB\x8A";
const W64_RIFF_SUFFIX: [u8; 12] = *b"\x2E\x91\xCF\x11\xA5\xD6\x28\xDB\x04\xC1\x00\x00";
/// The tail of the KSDATAFORMAT_SUBTYPE GUIDs after the 16-bit format tag.
const SUBTYPE_TAIL: [u8; 14] = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Riff,
    Rifx,
    Rf64,
    W64,
}

/// Reads WAVE, RIFX, RF64/BW64 and Wave64 files.
pub struct WavReader {
    info: StreamInfo,
    stream: PcmStream,
    warnings: Vec<Warning>,
}

native_reader_impl!(WavReader);

impl WavReader {
    /// Parses the headers of a WAVE-family file and gets ready to decode.
    pub fn new(mut source: Source) -> ReadResult<Self> {
        let file_len = source.byte_len();
        let mut head = [0u8; 40];
        let n = read_at(&mut source, 0, &mut head)?;
        let flavor = if n >= 40 && head[..16] == W64_RIFF && head[24..40] == W64_WAVE {
            Flavor::W64
        } else if n >= 12 && &head[8..12] == b"WAVE" {
            match &head[..4] {
                b"RIFF" => Flavor::Riff,
                b"RIFX" => Flavor::Rifx,
                b"RF64" | b"BW64" => Flavor::Rf64,
                _ => return Err(ReadError::malformed(0, "expected 'RIFF', 'RIFX', 'RF64' or 'BW64'")),
            }
        } else if n < 12 {
            return Err(ReadError::truncated(file_len, "the WAVE header"));
        } else {
            return Err(ReadError::malformed(0, "not a WAVE file: expected 'RIFF....WAVE' or a Wave64 header"));
        };
        let mut walk =
            Walk { fmt: None, data: None, fact: None, ds64: None, tags: Tags::default(), warnings: Vec::new() };
        match flavor {
            Flavor::W64 => w64_walk(&mut source, &mut walk)?,
            _ => riff_walk(&mut source, flavor, &mut walk)?,
        }
        let Some((fmt_off, fmt_bytes)) = walk.fmt.take() else {
            return Err(ReadError::malformed(file_len, "the file has no 'fmt ' chunk (the WAVE format description)"));
        };
        let fmt = parse_fmt(&fmt_bytes, flavor == Flavor::Rifx, fmt_off)?;
        let Some((data_start, data_len)) = walk.data else {
            return Err(ReadError::malformed(file_len, "the file has no 'data' chunk (the audio)"));
        };
        let header_frames = match fmt.coding {
            Coding::ImaWav { .. } | Coding::MsAdpcm { .. } => walk.fact,
            _ => None,
        };
        let mut warnings = walk.warnings;
        warnings.extend(fmt.warning);
        let coding = fmt.coding;
        let stream = PcmStream::open(
            source,
            StreamSpec { data_start, data_len, channels: fmt.channels as usize, coding: coding.clone(), header_frames },
            &mut warnings,
        )?;
        let container = match flavor {
            Flavor::Riff => Container::Wav,
            Flavor::Rifx => Container::Rifx,
            Flavor::Rf64 => Container::Rf64,
            Flavor::W64 => Container::Wave64,
        };
        let info = pcm::stream_info(container, fmt.rate as f64, fmt.channels, &coding, &stream, fmt.layout, walk.tags);
        Ok(WavReader { info, stream, warnings })
    }
}

// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests;
