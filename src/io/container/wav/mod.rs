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
pub use write::WavWriter;

use std::io::Write;

use crate::format::ChannelLayout;

use crate::io::codec::adpcm;
use crate::io::codec::pcm::{
    self, native_reader_impl, read_at, read_body, Coding, PcmLayout, PcmStream, StreamSpec, MAX_TAG_CHUNK,
};
use crate::io::container::chunks::{not_a_chunk, patch_at, push_chunk_header, ChunkWalker, Layout, Next};
use crate::io::tags::riff_info_chunk;
use crate::io::writer::{WriteSeek, WriterSpec};
use crate::io::{
    tags, AudioReader, Container, MediaSource, ReadError, ReadResult, Source, StreamInfo, Tags, Warning, WriteError,
};

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

/// What the headers say besides the fmt chunk, before a decoder is chosen.
struct Parsed {
    source: Source,
    container: Container,
    data_start: u64,
    data_len: u64,
    fact: Option<u64>,
    tags: Tags,
    warnings: Vec<Warning>,
}

/// Opens a WAVE-family file: PCM, float, G.711 and ADPCM natively, MPEG
/// audio (format tags 0x0050 and 0x0055) through the MPEG reader over the
/// `data` chunk, any other codec described but not decodable.
pub fn open_reader(source: Source) -> ReadResult<Box<dyn AudioReader>> {
    let (p, foreign) = match parse(source)? {
        (p, FmtKind::Native(fmt)) => return Ok(Box::new(WavReader::from_parsed(p, fmt)?)),
        (p, FmtKind::Foreign(f)) => (p, f),
    };
    if matches!(foreign.tag, 0x0050 | 0x0055) {
        return mpeg_inside(p, &foreign);
    }
    let Parsed { container, data_len, fact, tags, mut warnings, .. } = p;
    let frames = fact.or_else(|| {
        (foreign.byte_rate > 0).then(|| (data_len as u128 * foreign.rate as u128 / foreign.byte_rate as u128) as u64)
    });
    let info = StreamInfo {
        container,
        codec: crate::io::Codec::Other(codec_name(foreign.tag).to_string()),
        format: crate::format::AudioFormat::compressed(
            foreign.rate as f64,
            crate::format::FourCC([b'm', b's', (foreign.tag >> 8) as u8, foreign.tag as u8]),
            foreign.channels,
            0,
        ),
        sample_format: None,
        bits_per_sample: None,
        frames,
        layout: ChannelLayout::default_for(foreign.channels),
        bit_rate: (foreign.byte_rate > 0).then_some(foreign.byte_rate as u64 * 8),
        tags,
    };
    let what = foreign.describe();
    warnings.push(Warning::CannotDecode { what: what.clone() });
    Ok(Box::new(crate::io::described::DescribedOnly::new(info, what).with_warnings(warnings)))
}

/// MPEG audio in the `data` chunk: decoded (and its length found) by the
/// MPEG reader, reported as the WAVE file with its tags.
fn mpeg_inside(p: Parsed, foreign: &Foreign) -> ReadResult<Box<dyn AudioReader>> {
    let Parsed { source, container, data_start, data_len, tags, mut warnings, .. } = p;
    let window = Source::window(source, data_start, data_len)?;
    let mut inner = crate::io::symphonia::SymphoniaReader::open(window, crate::io::symphonia::Hint::MpegAudio)
        .map_err(|e| ReadError::unsupported(format!("{} whose data does not decode: {e}", foreign.describe())))?;
    let mut info = inner.info().clone();
    info.container = container;
    if !tags.is_empty() {
        info.tags = tags;
    }
    if info.sample_rate() != foreign.rate || info.channels() != foreign.channels as usize {
        warnings.push(Warning::FmtDisagrees {
            fmt: (foreign.rate, foreign.channels),
            stream: (info.sample_rate(), info.channels() as u32),
        });
    }
    warnings.extend(inner.take_warnings());
    Ok(Box::new(crate::io::described::Rewrapped::with_warnings(inner, info, warnings)))
}

fn parse(mut source: Source) -> ReadResult<(Parsed, FmtKind)> {
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
    let mut walk = Walk { fmt: None, data: None, fact: None, ds64: None, tags: Tags::default(), warnings: Vec::new() };
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
    let container = match flavor {
        Flavor::Riff => Container::Wav,
        Flavor::Rifx => Container::Rifx,
        Flavor::Rf64 => Container::Rf64,
        Flavor::W64 => Container::Wave64,
    };
    let p =
        Parsed { source, container, data_start, data_len, fact: walk.fact, tags: walk.tags, warnings: walk.warnings };
    Ok((p, fmt))
}

impl WavReader {
    /// Parses the headers of a WAVE-family file and gets ready to decode.
    /// A codec the native reader does not decode is an error here;
    /// [`open_reader`] describes those too (and decodes MPEG audio).
    pub fn new(source: Source) -> ReadResult<Self> {
        match parse(source)? {
            (p, FmtKind::Native(fmt)) => Self::from_parsed(p, fmt),
            (_, FmtKind::Foreign(f)) => Err(ReadError::unsupported(f.describe())),
        }
    }

    fn from_parsed(p: Parsed, fmt: Fmt) -> ReadResult<Self> {
        let Parsed { source, container, data_start, data_len, fact, tags, mut warnings } = p;
        let header_frames = match fmt.coding {
            Coding::ImaWav { .. } | Coding::MsAdpcm { .. } => fact,
            _ => None,
        };
        warnings.extend(fmt.warning);
        let coding = fmt.coding;
        let stream = PcmStream::open(
            source,
            StreamSpec { data_start, data_len, channels: fmt.channels as usize, coding: coding.clone(), header_frames },
            &mut warnings,
        )?;
        let info = pcm::stream_info(container, fmt.rate as f64, fmt.channels, &coding, &stream, fmt.layout, tags);
        Ok(WavReader { info, stream, warnings })
    }
}

// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests;
