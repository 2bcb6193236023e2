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

use std::io::{Seek, SeekFrom, Write};

use crate::format::ChannelLayout;

use crate::io::codec::adpcm;
use crate::io::codec::pcm::{
    self, native_reader_impl, plausible_id, read_at, read_body, Coding, PcmData, PcmLayout, PcmStream, StreamSpec,
    MAX_TAG_CHUNK,
};
use crate::io::tags::riff_info_chunk;
use crate::io::writer::{AudioWriter, WriteSeek, WriterSpec};
use crate::io::{tags, Container, MediaSource, ReadError, ReadResult, Source, StreamInfo, Tags, WriteError};

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
    warnings: Vec<String>,
}

native_reader_impl!(WavReader);

/// What the fmt chunk says.
struct Fmt {
    channels: u32,
    rate: u32,
    coding: Coding,
    layout: ChannelLayout,
    /// A header lie that still leaves the audio readable (a wrong nBlockAlign).
    warning: Option<String>,
}

fn codec_name(tag: u16) -> &'static str {
    match tag {
        0x0000 => "unknown",
        0x0010 => "OKI ADPCM",
        0x0014 => "Yamaha G.723 ADPCM",
        0x0020 => "Yamaha ADPCM",
        0x0022 => "DSP Group TrueSpeech",
        0x0031 => "GSM 6.10",
        0x0040 => "G.721 ADPCM",
        0x0042 => "G.723.1",
        0x0045 | 0x0064 => "G.726 ADPCM",
        0x0050 => "MPEG Layer I/II",
        0x0055 => "MPEG Layer III",
        0x0092 => "Dolby AC-3 over S/PDIF",
        0x00FF | 0x1600 | 0x1601 | 0x1602 | 0x1610 => "AAC",
        0x0160..=0x0163 => "Windows Media Audio",
        0x0200 => "Creative ADPCM",
        0x2000 => "Dolby AC-3",
        0x2001 => "DTS",
        0x674F..=0x6771 => "Ogg Vorbis",
        0x704F | 0x7051 => "Opus",
        0xF1AC => "FLAC",
        _ => "not a codec CoreMusic knows",
    }
}

fn parse_fmt(b: &[u8], be: bool, off: u64) -> ReadResult<Fmt> {
    if b.len() < 16 {
        return Err(ReadError::malformed(off, format!("the fmt chunk is {} bytes; it needs at least 16", b.len())));
    }
    let u16at = |i: usize| {
        let x = [b[i], b[i + 1]];
        if be {
            u16::from_be_bytes(x)
        } else {
            u16::from_le_bytes(x)
        }
    };
    let u32at = |i: usize| {
        let x = [b[i], b[i + 1], b[i + 2], b[i + 3]];
        if be {
            u32::from_be_bytes(x)
        } else {
            u32::from_le_bytes(x)
        }
    };
    let tag = u16at(0);
    let channels = u16at(2) as u32;
    let rate = u32at(4);
    let block_align = u16at(12) as u32;
    let bits = u16at(14) as u32;
    if channels == 0 {
        return Err(ReadError::malformed(off + 2, "fmt: the channel count (nChannels) is 0"));
    }
    if rate == 0 {
        return Err(ReadError::malformed(off + 4, "fmt: the sample rate (nSamplesPerSec) is 0"));
    }
    if block_align == 0 {
        return Err(ReadError::malformed(off + 12, "fmt: the block size (nBlockAlign) is 0"));
    }
    let cb = if b.len() >= 18 { u16at(16) as usize } else { 0 };
    let ext = b.get(18..(18 + cb).min(b.len())).unwrap_or(&[]);
    let mut sub = tag;
    let mut valid = bits;
    let mut mask = 0;
    if tag == 0xFFFE {
        if b.len() < 40 {
            return Err(ReadError::malformed(
                off,
                format!("a WAVE_FORMAT_EXTENSIBLE fmt chunk of {} bytes; it needs 40", b.len()),
            ));
        }
        let vb = u16at(18) as u32;
        mask = u32at(20);
        sub = (u32at(24) & 0xffff) as u16;
        // sox writes RIFX's SubFormat code as a big-endian 16-bit value at the
        // start of the GUID (00 01 00 00 …) rather than a big-endian Data1.
        if be && sub == 0 && u16at(24) != 0 && u16at(26) == 0 {
            sub = u16at(24);
        }
        if vb != 0 && matches!(sub, 1 | 3) {
            valid = vb;
        }
    }
    let layout =
        if mask != 0 { ChannelLayout::from_mask(mask, channels) } else { ChannelLayout::default_for(channels) };
    let bad_align = |why: &str| {
        ReadError::malformed(off + 12, format!("fmt: nBlockAlign {block_align} for {channels} channels {why}"))
    };
    let mut warning = None;
    // ffmpeg and scipy trust wBitsPerSample over a block size that disagrees
    // with it (real files have nBlockAlign 4 for 3 channels of 24 bits): so
    // does CoreMusic, and says so.
    let mut trust_bits = |bytes: u32| {
        warning = Some(format!(
            "fmt: nBlockAlign {block_align} disagrees with {channels} channels of {bits}-bit samples; \
             read as {} bytes a frame, as the sample size says",
            channels * bytes
        ));
        channels * bytes
    };
    let coding = match sub {
        1 => {
            if bits == 0 {
                return Err(ReadError::malformed(off + 14, "fmt: wBitsPerSample is 0"));
            }
            let mut container = block_align / channels;
            if block_align % channels != 0 || container * 8 < bits || container > 8 {
                if bits > 64 {
                    return Err(bad_align(&format!("does not fit {bits}-bit samples")));
                }
                container = trust_bits(bits.div_ceil(8)) / channels;
            }
            let valid = valid.clamp(1, bits);
            Coding::Pcm(PcmLayout::int(container, valid, container == 1, be).ok_or_else(|| bad_align("is impossible"))?)
        }
        3 => {
            if !matches!(bits, 32 | 64) {
                return Err(ReadError::unsupported(format!("WAVE float samples of {bits} bits")));
            }
            if block_align != channels * bits / 8 {
                trust_bits(bits / 8);
            }
            Coding::Pcm(PcmLayout::float(bits / 8, be).ok_or_else(|| bad_align("is impossible"))?)
        }
        6 | 7 => {
            if block_align != channels {
                return Err(bad_align("does not match 8-bit G.711 samples"));
            }
            if sub == 6 {
                Coding::Alaw
            } else {
                Coding::Ulaw
            }
        }
        0x11 => {
            if bits != 4 {
                return Err(ReadError::unsupported(format!("WAVE IMA ADPCM with {bits}-bit codes (only 4)")));
            }
            let max = adpcm::ima_wav_block_frames(block_align as usize, channels as usize);
            if max == 0 {
                return Err(bad_align("is smaller than the IMA ADPCM block header"));
            }
            let spb = if ext.len() >= 2 { u16at(18) as usize } else { 0 };
            let frames = if spb > 0 && spb < max { spb } else { max };
            Coding::ImaWav { block: block_align as usize, frames }
        }
        2 => {
            if bits != 4 {
                return Err(ReadError::unsupported(format!("WAVE MS ADPCM with {bits}-bit codes (only 4)")));
            }
            let max = adpcm::ms_block_frames(block_align as usize, channels as usize);
            if max == 0 {
                return Err(bad_align("is smaller than the MS ADPCM block header"));
            }
            let spb = if ext.len() >= 2 { u16at(18) as usize } else { 0 };
            let frames = if spb > 0 && spb < max { spb } else { max };
            let n = if ext.len() >= 4 { u16at(20) as usize } else { 0 };
            let coefs: Vec<(i32, i32)> = (0..n)
                .take_while(|k| 22 + 4 * k + 4 <= 18 + ext.len())
                .map(|k| (u16at(22 + 4 * k) as i16 as i32, u16at(24 + 4 * k) as i16 as i32))
                .collect();
            let coefs = if coefs.len() < 7 { adpcm::MS_STANDARD_COEFS.to_vec() } else { coefs };
            Coding::MsAdpcm { block: block_align as usize, frames, coefs }
        }
        _ => {
            return Err(ReadError::unsupported(format!("WAVE codec 0x{sub:04X} ({})", codec_name(sub))));
        }
    };
    Ok(Fmt { channels, rate, coding, layout, warning })
}

struct Walk {
    fmt: Option<(u64, Vec<u8>)>,
    data: Option<(u64, u64)>,
    fact: Option<u64>,
    ds64: Option<(u64, u64)>,
    tags: Tags,
    warnings: Vec<String>,
}

fn le_u64(b: &[u8]) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[..8]);
    u64::from_le_bytes(x)
}

impl Walk {
    fn chunk(&mut self, source: &mut Source, id: &[u8], body: u64, size: u64, be: bool) -> ReadResult<()> {
        match id {
            b"fmt " => self.fmt = Some((body, read_body(source, body, size.min(1 << 16))?)),
            b"fact" => {
                let b = read_body(source, body, 4)?;
                if b.len() == 4 {
                    let x = [b[0], b[1], b[2], b[3]];
                    self.fact = Some(if be { u32::from_be_bytes(x) } else { u32::from_le_bytes(x) } as u64);
                }
            }
            b"LIST" | b"list" if (4..=MAX_TAG_CHUNK).contains(&size) => {
                let b = read_body(source, body, size)?;
                if b.len() >= 4 && (&b[..4] == b"INFO" || &b[..4] == b"info") {
                    tags::parse_riff_info(&b[4..], &mut self.tags);
                }
            }
            b"id3 " | b"ID3 " if size <= MAX_TAG_CHUNK => {
                let b = read_body(source, body, size)?;
                tags::parse_id3v2(&b, &mut self.tags);
            }
            _ => {}
        }
        Ok(())
    }
}

fn riff_walk(source: &mut Source, flavor: Flavor, walk: &mut Walk) -> ReadResult<()> {
    let file_len = source.byte_len();
    let be = flavor == Flavor::Rifx;
    let mut off = 12u64;
    let mut first = true;
    while off.saturating_add(8) <= file_len {
        let mut h = [0u8; 8];
        read_at(source, off, &mut h)?;
        let id = [h[0], h[1], h[2], h[3]];
        if !plausible_id(&id) {
            if walk.data.is_some() {
                walk.warnings.push(format!("bytes after the audio at {off} are not a chunk; ignored"));
                return Ok(());
            }
            return Err(ReadError::malformed(
                off,
                format!("expected a chunk id (like 'fmt ' or 'data'), found bytes {:02x?}", id),
            ));
        }
        let sx = [h[4], h[5], h[6], h[7]];
        let size32 = if be { u32::from_be_bytes(sx) } else { u32::from_le_bytes(sx) };
        let body = off + 8;
        let mut size = size32 as u64;
        if first && flavor == Flavor::Rf64 && &id == b"ds64" {
            let b = read_body(source, body, 24)?;
            if b.len() < 24 {
                return Err(ReadError::truncated(file_len, "the ds64 chunk"));
            }
            walk.ds64 = Some((le_u64(&b[8..16]), le_u64(&b[16..24])));
        }
        first = false;
        if &id == b"data" {
            let rest = file_len - body;
            if flavor == Flavor::Rf64 && size32 == u32::MAX {
                size = walk.ds64.map(|d| d.0).unwrap_or(rest);
            } else if size32 == 0 || size32 == u32::MAX {
                // A streamed WAVE whose writer never came back to patch the size.
                size = rest;
            }
            walk.data = Some((body, size));
            if size >= rest {
                return Ok(());
            }
        } else {
            if flavor == Flavor::Rf64 && size32 == u32::MAX {
                walk.warnings.push(format!("chunk {} at byte {off} has an RF64 table size; skipped", show(&id)));
            }
            walk.chunk(source, &id, body, size, be)?;
        }
        let end = body.saturating_add(size);
        off = if size % 2 == 1 {
            // Pad byte, unless the writer forgot it and the next id is right there.
            let padded = end.saturating_add(1);
            if !id_at(source, padded)? && id_at(source, end)? {
                end
            } else {
                padded
            }
        } else {
            end
        };
    }
    Ok(())
}

fn show(id: &[u8]) -> String {
    String::from_utf8_lossy(id).into_owned()
}

fn id_at(source: &mut Source, off: u64) -> ReadResult<bool> {
    let mut id = [0u8; 4];
    Ok(read_at(source, off, &mut id)? == 4 && plausible_id(&id))
}

fn w64_walk(source: &mut Source, walk: &mut Walk) -> ReadResult<()> {
    let file_len = source.byte_len();
    let mut off = 40u64;
    while off.saturating_add(24) <= file_len {
        let mut h = [0u8; 24];
        read_at(source, off, &mut h)?;
        let size = le_u64(&h[16..24]);
        if size < 24 {
            if walk.data.is_some() {
                return Ok(());
            }
            return Err(ReadError::malformed(
                off + 16,
                format!("a Wave64 chunk size of {size}, below its 24-byte header"),
            ));
        }
        let body = off + 24;
        let len = size - 24;
        let id = &h[..4];
        let audio = h[4..16] == W64_AUDIO_SUFFIX;
        if audio && id == b"data" {
            walk.data = Some((body, len));
            if len >= file_len - body {
                return Ok(());
            }
        } else if audio && (id == b"fmt " || id == b"fact") {
            walk.chunk(source, id, body, len, false)?;
        } else if h[4..16] == W64_RIFF_SUFFIX && id == b"list" {
            walk.chunk(source, b"LIST", body, len, false)?;
        }
        off = off.saturating_add(size.saturating_add(7) & !7);
    }
    Ok(())
}

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

/// Writes WAVE: PCM 8 (unsigned) to 32 bits, float 32/64 (with a fact
/// chunk), WAVE_FORMAT_EXTENSIBLE for odd depths and more than two channels.
/// A 28-byte JUNK chunk is reserved after the RIFF header (EBU Tech 3306) so
/// that a file whose data passes 4 GiB becomes RF64 at [`AudioWriter::finish`].
/// Tags go in a `LIST`/`INFO` chunk after the data, written at finish.
pub struct WavWriter {
    sink: Box<dyn WriteSeek>,
    layout: PcmLayout,
    channels: usize,
    data: PcmData,
    data_start: u64,
    fact_at: Option<u64>,
    rf64_above: u64,
    /// The `LIST`/`INFO` chunk written after the data (even length, maybe empty).
    tags_chunk: Vec<u8>,
}

/// The PCM layout a writer stores `spec` in (`big_endian` as the container wants).
pub(crate) fn writer_layout(spec: &WriterSpec, big_endian: bool, unsigned8: bool) -> Result<PcmLayout, WriteError> {
    let bytes = spec.sample.bytes() as u32;
    let layout = if spec.sample.is_float() {
        PcmLayout::float(bytes, big_endian)
    } else {
        let valid = spec.valid_bits();
        if valid == 0 || valid > bytes * 8 {
            return Err(WriteError::Usage(format!("{valid} significant bits do not fit {} samples", spec.sample)));
        }
        PcmLayout::int(bytes, valid, bytes == 1 && unsigned8, big_endian)
    };
    layout.ok_or_else(|| WriteError::Unsupported(format!("{} samples", spec.sample)))
}

impl WavWriter {
    /// Writes the header for `spec` and gets ready for samples.
    pub fn new(mut sink: Box<dyn WriteSeek>, spec: WriterSpec) -> Result<Self, WriteError> {
        if spec.channels == 0 || spec.sample_rate == 0 {
            return Err(WriteError::Usage("a WAVE file needs at least one channel and a sample rate above 0".into()));
        }
        let layout = writer_layout(&spec, false, true)?;
        let ch = spec.channels as u32;
        let block = layout.bytes * ch;
        if block > u16::MAX as u32 {
            return Err(WriteError::Unsupported(format!("{} channels of {} in WAVE", ch, spec.sample)));
        }
        let tag: u16 = if layout.float { 3 } else { 1 };
        let extensible = ch > 2 || (!layout.float && layout.valid_bits < layout.bytes * 8);
        let mut h = Vec::with_capacity(128);
        h.extend_from_slice(b"RIFF\0\0\0\0WAVE");
        h.extend_from_slice(b"JUNK");
        h.extend_from_slice(&28u32.to_le_bytes());
        h.extend_from_slice(&[0; 28]);
        h.extend_from_slice(b"fmt ");
        let fmt_len: u32 = if extensible {
            40
        } else if layout.float {
            18
        } else {
            16
        };
        h.extend_from_slice(&fmt_len.to_le_bytes());
        h.extend_from_slice(&(if extensible { 0xFFFE } else { tag }).to_le_bytes());
        h.extend_from_slice(&(ch as u16).to_le_bytes());
        h.extend_from_slice(&spec.sample_rate.to_le_bytes());
        h.extend_from_slice(&spec.sample_rate.saturating_mul(block).to_le_bytes());
        h.extend_from_slice(&(block as u16).to_le_bytes());
        h.extend_from_slice(&((layout.bytes * 8) as u16).to_le_bytes());
        if extensible {
            h.extend_from_slice(&22u16.to_le_bytes());
            h.extend_from_slice(&(layout.valid_bits as u16).to_le_bytes());
            h.extend_from_slice(&ChannelLayout::default_for(ch).mask().to_le_bytes());
            h.extend_from_slice(&tag.to_le_bytes());
            h.extend_from_slice(&SUBTYPE_TAIL);
        } else if layout.float {
            h.extend_from_slice(&0u16.to_le_bytes());
        }
        let mut fact_at = None;
        if layout.float {
            h.extend_from_slice(b"fact");
            h.extend_from_slice(&4u32.to_le_bytes());
            fact_at = Some(h.len() as u64);
            h.extend_from_slice(&0u32.to_le_bytes());
        }
        h.extend_from_slice(b"data\0\0\0\0");
        sink.write_all(&h)?;
        Ok(WavWriter {
            sink,
            layout,
            channels: ch as usize,
            data: PcmData::new(layout, ch as usize),
            data_start: h.len() as u64,
            fact_at,
            rf64_above: u32::MAX as u64,
            tags_chunk: Vec::new(),
        })
    }

    #[cfg(test)]
    fn rf64_above(mut self, bytes: u64) -> Self {
        self.rf64_above = bytes;
        self
    }
}

impl AudioWriter for WavWriter {
    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError> {
        self.data.check(interleaved.len())?;
        self.data.write_f32(&mut self.sink, interleaved)
    }

    fn write_i32(&mut self, interleaved: &[i32]) -> Result<(), WriteError> {
        self.data.check(interleaved.len())?;
        self.data.write_i32(&mut self.sink, interleaved)
    }

    fn set_tags(&mut self, tags: &Tags) -> Result<(), WriteError> {
        self.tags_chunk = riff_info_chunk(tags);
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), WriteError> {
        self.data.flush(&mut self.sink)?;
        let data = self.data.bytes;
        if data % 2 == 1 {
            self.sink.write_all(&[0])?;
        }
        self.sink.write_all(&self.tags_chunk)?;
        let riff = self.data_start - 8 + data + data % 2 + self.tags_chunk.len() as u64;
        let frames = data / (self.layout.bytes as u64 * self.channels as u64);
        let s = &mut self.sink;
        if riff > self.rf64_above || data > self.rf64_above {
            s.seek(SeekFrom::Start(0))?;
            s.write_all(b"RF64\xFF\xFF\xFF\xFF")?;
            s.seek(SeekFrom::Start(12))?;
            let mut ds = Vec::with_capacity(36);
            ds.extend_from_slice(b"ds64");
            ds.extend_from_slice(&28u32.to_le_bytes());
            ds.extend_from_slice(&riff.to_le_bytes());
            ds.extend_from_slice(&data.to_le_bytes());
            ds.extend_from_slice(&frames.to_le_bytes());
            ds.extend_from_slice(&0u32.to_le_bytes());
            s.write_all(&ds)?;
            s.seek(SeekFrom::Start(self.data_start - 4))?;
            s.write_all(&u32::MAX.to_le_bytes())?;
        } else {
            s.seek(SeekFrom::Start(4))?;
            s.write_all(&(riff as u32).to_le_bytes())?;
            s.seek(SeekFrom::Start(self.data_start - 4))?;
            s.write_all(&(data as u32).to_le_bytes())?;
        }
        if let Some(at) = self.fact_at {
            s.seek(SeekFrom::Start(at))?;
            s.write_all(&(frames.min(u32::MAX as u64) as u32).to_le_bytes())?;
        }
        s.seek(SeekFrom::End(0))?;
        s.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::format::SampleFormat::{self, *};
    use crate::io::codec::adpcm::tests::{ima_wav_encode_block, ms_encode_block};
    use crate::io::codec::pcm::test_util::*;
    use crate::io::writer::OutputFormat;
    use crate::io::AudioReader;
    use crate::io::{Codec, Container};

    fn u16b(v: u16, be: bool) -> [u8; 2] {
        if be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32b(v: u32, be: bool) -> [u8; 4] {
        if be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn fmt(be: bool, tag: u16, ch: u16, rate: u32, align: u16, bits: u16, ext: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&u16b(tag, be));
        v.extend_from_slice(&u16b(ch, be));
        v.extend_from_slice(&u32b(rate, be));
        v.extend_from_slice(&u32b(rate * align as u32, be));
        v.extend_from_slice(&u16b(align, be));
        v.extend_from_slice(&u16b(bits, be));
        if !ext.is_empty() || tag != 1 {
            v.extend_from_slice(&u16b(ext.len() as u16, be));
            v.extend_from_slice(ext);
        }
        v
    }

    /// A RIFF-style file; `pad` false leaves out pad bytes after odd chunks.
    fn riff(magic: &[u8; 4], be: bool, chunks: &[(&[u8; 4], &[u8])], pad: bool) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(magic);
        v.extend_from_slice(&[0; 4]);
        v.extend_from_slice(b"WAVE");
        for (id, body) in chunks {
            v.extend_from_slice(*id);
            v.extend_from_slice(&u32b(body.len() as u32, be));
            v.extend_from_slice(body);
            if pad && body.len() % 2 == 1 {
                v.push(0);
            }
        }
        let n = v.len() as u32 - 8;
        v[4..8].copy_from_slice(&u32b(n, be));
        v
    }

    fn s16_bytes(s: &[i32], be: bool) -> Vec<u8> {
        s.iter().flat_map(|&x| u16b(x as i16 as u16, be)).collect()
    }

    #[test]
    fn writer_round_trips_every_format_and_channel_count() {
        for sample in [U8, S16, S24, S32, F32, F64] {
            for ch in [1u16, 2, 6] {
                let bits = if sample.is_float() { 32 } else { sample.bits() };
                let data = ramp(3001, ch as usize, bits);
                let bytes = write_i32(spec(OutputFormat::Wav, ch, sample, None), &data);
                for mut r in [open(&bytes), open_buffered(&bytes).1] {
                    let info = r.info().clone();
                    assert_eq!(info.container, Container::Wav);
                    assert_eq!(info.frames, Some(3001));
                    assert_eq!(info.channels(), ch as usize);
                    assert_eq!(info.sample_format, Some(sample));
                    let back = all_i32(r.as_mut());
                    if sample == F32 {
                        // 32-bit ints through f32 lose the low bits.
                        for (a, b) in data.iter().zip(&back) {
                            assert!((*a as i64 - *b as i64).abs() <= 128, "{a} {b}");
                        }
                    } else {
                        assert_eq!(back, data, "{sample} {ch}");
                    }
                }
                if ch > 2 {
                    assert_eq!(open(&bytes).info().layout.describe(), "5.1");
                }
            }
        }
    }

    #[test]
    fn f32_round_trip_and_hound_agree() {
        for sample in [U8, S16, S24, S32, F32] {
            let f: Vec<f32> = (0..2000).map(|i| ((i as f32 * 0.013).sin() * 0.8 * 128.0).round() / 128.0).collect();
            let bytes = write_f32(spec(OutputFormat::Wav, 2, sample, None), &f);
            let ours = all_f32(open(&bytes).as_mut());
            assert_eq!(ours, f, "{sample}");
            // hound reads our file identically.
            let mut h = hound::WavReader::new(std::io::Cursor::new(bytes.clone())).unwrap();
            let ours_i = all_i32(open(&bytes).as_mut());
            let theirs: Vec<i32> = if sample == F32 {
                h.samples::<f32>().map(|s| crate::io::codec::pcm::tests_clip(s.unwrap())).collect()
            } else {
                h.samples::<i32>().map(|s| s.unwrap()).collect()
            };
            assert_eq!(ours_i, theirs, "{sample}");
            // symphonia too.
            assert_eq!(symphonia_f32(&bytes), ours, "{sample}");
        }
    }

    #[test]
    fn reads_what_hound_writes() {
        for (bits, float) in [(8u16, false), (16, false), (24, false), (32, false), (32, true)] {
            let mut cur = std::io::Cursor::new(Vec::new());
            let spec = hound::WavSpec {
                channels: 3,
                sample_rate: 48000,
                bits_per_sample: bits,
                sample_format: if float { hound::SampleFormat::Float } else { hound::SampleFormat::Int },
            };
            let data = ramp(500, 3, bits as u32);
            {
                let mut w = hound::WavWriter::new(&mut cur, spec).unwrap();
                for &s in &data {
                    if float {
                        w.write_sample(s as f32 / 2147483648.0).unwrap();
                    } else {
                        w.write_sample(s).unwrap();
                    }
                }
                w.finalize().unwrap();
            }
            let mut r = open(cur.get_ref());
            assert_eq!(r.info().sample_rate(), 48000);
            let back = all_i32(r.as_mut());
            if float {
                let f = all_f32(open(cur.get_ref()).as_mut());
                let want: Vec<f32> = data.iter().map(|&s| s as f32 / 2147483648.0).collect();
                assert_eq!(f, want);
            } else {
                assert_eq!(back, data, "{bits}");
            }
        }
    }

    #[test]
    fn odd_depths_use_extensible_and_read_back() {
        for (sample, bits) in [(S16, 12u32), (S24, 20), (S32, 24)] {
            let data = ramp(777, 2, bits);
            let bytes = write_i32(spec(OutputFormat::Wav, 2, sample, Some(bits)), &data);
            assert_eq!(u16::from_le_bytes([bytes[56], bytes[57]]), 0xFFFE);
            let mut r = open(&bytes);
            assert_eq!(r.info().bits_per_sample, Some(bits));
            assert_eq!(r.info().format.bits_per_channel, bits);
            assert_eq!(all_i32(r.as_mut()), data);
            let f = all_f32(open(&bytes).as_mut());
            assert_eq!(f[5], crate::format::int_to_f32(data[5], bits));
        }
        // 20-bit plain PCM (wBitsPerSample 20, not a multiple of 8) in a 3-byte container.
        let vals = [(1 << 19) - 1, -(1 << 19), 5, -5];
        let body: Vec<u8> = vals
            .iter()
            .flat_map(|&v: &i32| {
                let u = (v << 12) as u32;
                [(u >> 8) as u8, (u >> 16) as u8, (u >> 24) as u8]
            })
            .collect();
        let f = riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 1, 1, 8000, 3, 20, &[])), (b"data", &body)], true);
        let mut r = open(&f);
        assert_eq!(r.info().bits_per_sample, Some(20));
        assert_eq!(r.info().sample_format, Some(S24));
        assert_eq!(all_i32(r.as_mut()), vals);
    }

    #[test]
    fn rifx_is_big_endian() {
        let data = [1000, -2000, 32767, -32768];
        let f = riff(
            b"RIFX",
            true,
            &[(b"fmt ", &fmt(true, 1, 2, 22050, 4, 16, &[])), (b"data", &s16_bytes(&data, true))],
            true,
        );
        let mut r = open(&f);
        assert_eq!(r.info().container, Container::Rifx);
        assert!(r.info().format.is_big_endian());
        assert_eq!(all_i32(r.as_mut()), data);
    }

    #[test]
    fn wave64_is_read() {
        let data = [7, -7, 300, -300, 12345, 0];
        let fmtb = fmt(false, 1, 2, 44100, 4, 16, &[]);
        let pcm = s16_bytes(&data, false);
        let mut v = Vec::new();
        v.extend_from_slice(&W64_RIFF);
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&W64_WAVE);
        let mut chunk = |id: &[u8; 4], suffix: &[u8; 12], body: &[u8]| {
            v.extend_from_slice(id);
            v.extend_from_slice(suffix);
            v.extend_from_slice(&(body.len() as u64 + 24).to_le_bytes());
            v.extend_from_slice(body);
            while v.len() % 8 != 0 {
                v.push(0);
            }
        };
        chunk(b"fmt ", &W64_AUDIO_SUFFIX, &fmtb);
        chunk(b"junk", &W64_AUDIO_SUFFIX, &[1, 2, 3]);
        chunk(b"data", &W64_AUDIO_SUFFIX, &pcm);
        let n = v.len() as u64;
        v[16..24].copy_from_slice(&n.to_le_bytes());
        let mut r = open(&v);
        assert_eq!(r.info().container, Container::Wave64);
        assert_eq!(r.info().frames, Some(3));
        assert_eq!(all_i32(r.as_mut()), data);
    }

    #[test]
    fn rf64_when_data_passes_the_limit() {
        let data = ramp(1000, 2, 24);
        let sink = Shared::default();
        let w = WavWriter::new(Box::new(sink.clone()), spec(OutputFormat::Wav, 2, S24, None)).unwrap().rf64_above(1000);
        let mut w: Box<dyn AudioWriter> = Box::new(w);
        w.write_i32(&data).unwrap();
        w.finish().unwrap();
        let bytes = sink.0.lock().unwrap().get_ref().clone();
        assert_eq!(&bytes[..4], b"RF64");
        assert_eq!(&bytes[12..16], b"ds64");
        let mut r = open(&bytes);
        assert_eq!(r.info().container, Container::Rf64);
        assert_eq!(r.info().frames, Some(1000));
        assert_eq!(all_i32(r.as_mut()), data);
        // Below the limit it stays RIFF with a JUNK chunk.
        let bytes = write_i32(spec(OutputFormat::Wav, 2, S24, None), &data);
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(&bytes[12..16], b"JUNK");
        // A hand-made BW64 whose ds64 holds the size and whose data chunk says -1.
        let pcm = s16_bytes(&[1, 2, 3, 4], false);
        let mut ds = Vec::new();
        ds.extend_from_slice(&0u64.to_le_bytes());
        ds.extend_from_slice(&(pcm.len() as u64).to_le_bytes());
        ds.extend_from_slice(&2u64.to_le_bytes());
        ds.extend_from_slice(&0u32.to_le_bytes());
        let mut f = riff(
            b"BW64",
            false,
            &[(b"ds64", &ds), (b"fmt ", &fmt(false, 1, 2, 8000, 4, 16, &[])), (b"data", &pcm), (b"LIST", b"INFOxxxx")],
            true,
        );
        let at = f.len() - 8 - 8 - pcm.len() - 4;
        f[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(all_i32(open(&f).as_mut()), [1, 2, 3, 4]);
    }

    #[test]
    fn float_writer_adds_fact_and_64_bit_works() {
        let f: Vec<f32> = vec![0.5, -0.25, 0.125, -1.0];
        let bytes = write_f32(spec(OutputFormat::Wav, 1, F64, None), &f);
        let pos = bytes.windows(4).position(|w| w == b"fact").unwrap();
        assert_eq!(u32::from_le_bytes(bytes[pos + 8..pos + 12].try_into().unwrap()), 4);
        let mut r = open(&bytes);
        assert_eq!(r.info().sample_format, Some(F64));
        assert_eq!(r.info().bits_per_sample, Some(64));
        assert_eq!(all_f32(r.as_mut()), f);
    }

    #[test]
    fn g711_and_64_bit_int() {
        let codes: Vec<u8> = (0..=255).collect();
        for (tag, table) in [(6u16, &crate::io::codec::g711::ALAW_TO_I16), (7, &crate::io::codec::g711::ULAW_TO_I16)] {
            let f = riff(b"RIFF", false, &[(b"fmt ", &fmt(false, tag, 1, 8000, 1, 8, &[])), (b"data", &codes)], true);
            let mut r = open(&f);
            assert_eq!(r.info().codec, if tag == 6 { Codec::Alaw } else { Codec::Ulaw });
            assert_eq!(r.info().bits_per_sample, Some(16));
            assert_eq!(r.info().bit_rate, Some(64000));
            let want: Vec<i32> = table.iter().map(|&v| v as i32).collect();
            assert_eq!(all_i32(r.as_mut()), want);
        }
        let vals: [i64; 2] = [-5i64 << 32 | 0x1234, 7i64 << 32];
        let body: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let f = riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 1, 1, 8000, 8, 64, &[])), (b"data", &body)], true);
        let mut r = open(&f);
        assert_eq!(r.info().bits_per_sample, Some(32));
        assert_eq!(all_i32(r.as_mut()), [-5, 7]);
    }

    fn ima_file(data: &[i16], ch: usize, frames_per_block: usize, fact: Option<u32>) -> (Vec<u8>, Vec<i32>) {
        let mut blocks = Vec::new();
        let mut recon = Vec::new();
        for b in data.chunks(frames_per_block * ch) {
            let mut b = b.to_vec();
            b.resize(frames_per_block * ch, 0);
            let (bytes, r) = ima_wav_encode_block(&b, ch);
            blocks.extend(bytes);
            recon.extend(r.iter().map(|&v| v as i32));
        }
        let align = (4 * ch + (frames_per_block - 1) / 8 * 4 * ch) as u16;
        let ext = (frames_per_block as u16).to_le_bytes();
        let fmtb = fmt(false, 0x11, ch as u16, 22050, align, 4, &ext);
        let factb = fact.map(|n| n.to_le_bytes().to_vec()).unwrap_or_default();
        let mut chunks: Vec<(&[u8; 4], &[u8])> = vec![(b"fmt ", &fmtb)];
        if fact.is_some() {
            chunks.push((b"fact", &factb));
        }
        chunks.push((b"data", &blocks));
        (riff(b"RIFF", false, &chunks, true), recon)
    }

    #[test]
    fn ima_adpcm_decodes_and_seeks_exactly() {
        for ch in [1usize, 2] {
            let data: Vec<i16> = ramp(1000, ch, 16).iter().map(|&v| v as i16).collect();
            let (f, recon) = ima_file(&data, ch, 505, Some(1000));
            let mut r = open(&f);
            assert_eq!(r.info().codec, Codec::ImaAdpcm);
            assert_eq!(r.info().frames, Some(1000));
            let all = all_i32(r.as_mut());
            assert_eq!(all, recon[..1000 * ch]);
            for target in [0u64, 1, 504, 505, 506, 999, 700] {
                assert_eq!(r.seek(target).unwrap(), target);
                let mut buf = vec![0i32; 3 * ch];
                let n = r.read_i32(&mut buf).unwrap();
                let t = target as usize * ch;
                assert_eq!(&buf[..n * ch], &all[t..t + n * ch], "seek {target}");
            }
            assert_eq!(r.seek(5000).unwrap(), 1000);
            // Without a fact chunk the padded last block counts in full.
            assert_eq!(open(&ima_file(&data, ch, 505, None).0).info().frames, Some(1010));
        }
    }

    #[test]
    fn ms_adpcm_decodes() {
        for ch in [1usize, 2] {
            let fpb = 2 + 2 * 50 / ch * ch / ch;
            let data: Vec<i16> = ramp(fpb * 3, ch, 16).iter().map(|&v| (v / 2) as i16).collect();
            let mut blocks = Vec::new();
            let mut recon = Vec::new();
            for b in data.chunks(fpb * ch) {
                let (bytes, r) = ms_encode_block(b, ch);
                blocks.extend(bytes);
                recon.extend(r.iter().map(|&v| v as i32));
            }
            let align = (blocks.len() / 3) as u16;
            let mut ext = Vec::new();
            ext.extend_from_slice(&(fpb as u16).to_le_bytes());
            ext.extend_from_slice(&7u16.to_le_bytes());
            for (a, b) in crate::io::codec::adpcm::MS_STANDARD_COEFS {
                ext.extend_from_slice(&(a as i16).to_le_bytes());
                ext.extend_from_slice(&(b as i16).to_le_bytes());
            }
            let f = riff(
                b"RIFF",
                false,
                &[(b"fmt ", &fmt(false, 2, ch as u16, 8000, align, 4, &ext)), (b"data", &blocks)],
                true,
            );
            let mut r = open(&f);
            assert_eq!(r.info().codec, Codec::MsAdpcm);
            assert_eq!(r.info().frames, Some(fpb as u64 * 3));
            let all = all_i32(r.as_mut());
            assert_eq!(all, recon);
            r.seek(fpb as u64 + 7).unwrap();
            let mut b = vec![0i32; ch];
            r.read_i32(&mut b).unwrap();
            assert_eq!(b, all[(fpb + 7) * ch..(fpb + 8) * ch]);
        }
    }

    #[test]
    fn odd_chunks_with_and_without_pad_and_tags() {
        let data = [1, 2, 3, 4];
        for pad in [true, false] {
            let f = riff(
                b"RIFF",
                false,
                &[
                    (b"fmt ", &fmt(false, 1, 1, 8000, 2, 16, &[])),
                    (b"odd ", b"abc"),
                    (b"LIST", b"INFOINAM\x05\0\0\0Song\0"),
                    (b"data", &s16_bytes(&data, false)),
                ],
                pad,
            );
            let mut r = open(&f);
            assert_eq!(all_i32(r.as_mut()), data, "pad {pad}");
        }
    }

    fn err(bytes: &[u8]) -> String {
        match crate::io::open_source(Source::memory(bytes.to_vec())) {
            Ok(_) => panic!("opened"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn broken_files_give_clear_errors_or_warnings() {
        let good_fmt = fmt(false, 1, 2, 8000, 4, 16, &[]);
        assert!(WavReader::new(Source::memory(vec![])).is_err());
        assert!(err(b"RIFF\0\0\0\0WAVE").contains("fmt"));
        assert!(err(&riff(b"RIFF", false, &[(b"fmt ", &good_fmt)], true)).contains("data"));
        assert!(err(&riff(
            b"RIFF",
            false,
            &[(b"fmt ", &fmt(false, 1, 0, 8000, 4, 16, &[])), (b"data", &[0; 4])],
            true
        ))
        .contains("nChannels"));
        assert!(err(&riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 1, 2, 0, 4, 16, &[])), (b"data", &[0; 4])], true))
            .contains("nSamplesPerSec"));
        // A block size that disagrees with the sample size: the sample size
        // wins (as in ffmpeg and scipy), with a warning.
        let mut r = WavReader::new(Source::memory(riff(
            b"RIFF",
            false,
            &[(b"fmt ", &fmt(false, 1, 2, 8000, 3, 16, &[])), (b"data", &[0; 8])],
            true,
        )))
        .unwrap();
        assert_eq!(r.info().frames, Some(2));
        assert!(r.take_warnings().iter().any(|w| w.contains("nBlockAlign 3")));
        let e =
            err(&riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 0x55, 2, 8000, 1, 0, &[])), (b"data", &[0; 4])], true));
        assert!(e.contains("WAVE codec 0x0055 (MPEG Layer III)"), "{e}");
        let mut junk = b"RIFF\0\0\0\0WAVE".to_vec();
        junk.extend((0..200u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8 | 0x80));
        assert!(err(&junk).contains("chunk id"));
        // Data size larger than the file, and a partial last frame: frames that exist, warnings.
        let mut f = riff(b"RIFF", false, &[(b"fmt ", &good_fmt), (b"data", &s16_bytes(&[1, 2, 3, 4, 5], false))], true);
        f.pop(); // drop the pad byte and one byte of the last frame
        let at = f.len() - 9 - 4;
        f[at..at + 4].copy_from_slice(&1000u32.to_le_bytes());
        let mut r = open(&f);
        assert_eq!(r.info().frames, Some(2));
        let w = r.take_warnings();
        assert!(w.iter().any(|w| w.contains("claims")), "{w:?}");
        assert!(w.iter().any(|w| w.contains("partial")), "{w:?}");
        assert_eq!(all_i32(r.as_mut()), [1, 2, 3, 4]);
        // Streamed: data size 0 and 0xFFFFFFFF mean "to the end".
        for size in [0u32, u32::MAX] {
            let mut f =
                riff(b"RIFF", false, &[(b"fmt ", &good_fmt), (b"data", &s16_bytes(&[9, 8, 7, 6], false))], true);
            let at = f.len() - 8 - 4;
            f[at..at + 4].copy_from_slice(&size.to_le_bytes());
            assert_eq!(all_i32(open(&f).as_mut()), [9, 8, 7, 6]);
        }
    }

    /// A 24-bit 3-channel WAV whose nBlockAlign (4) disagrees with its
    /// samples (9 bytes a frame): read by the sample size, with a warning
    /// (`tests/pcm_tools.rs` checks that ffmpeg reads the same samples).
    #[test]
    fn block_align_that_disagrees_with_the_sample_size() {
        let frames = 50usize;
        let samples: Vec<i32> = (0..frames * 3).map(|i| (i as i32 * 40_009) % 8_000_000 - 4_000_000).collect();
        let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()[..3].to_vec()).collect();
        let bytes = riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 1, 3, 44100, 4, 24, &[])), (b"data", &data)], true);
        let mut r = WavReader::new(Source::memory(bytes.clone())).expect("read by the sample size");
        assert_eq!(r.info().frames, Some(frames as u64));
        assert_eq!(r.info().channels(), 3);
        assert_eq!(r.info().bits_per_sample, Some(24));
        let w = r.take_warnings();
        assert!(w.iter().any(|w| w.contains("nBlockAlign 4") && w.contains("9 bytes")), "{w:?}");
        let mut out = vec![0i32; frames * 3];
        assert_eq!(r.read_i32(&mut out).unwrap(), frames);
        assert_eq!(out, samples);
        // Float with a wrong block size too; and an impossible depth stays an error.
        let f = riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 3, 2, 8000, 2, 32, &[])), (b"data", &[0; 16])], true);
        let mut r = WavReader::new(Source::memory(f)).expect("float");
        assert_eq!(r.info().frames, Some(2));
        assert!(!r.take_warnings().is_empty());
        let bad = riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 1, 2, 8000, 3, 72, &[])), (b"data", &[0; 4])], true);
        assert!(err(&bad).contains("nBlockAlign"));
    }

    #[test]
    fn truncated_prefixes_never_panic() {
        let data = ramp(300, 2, 16);
        let full = write_i32(spec(OutputFormat::Wav, 2, S16, None), &data);
        for cut in 0..full.len() {
            if let Ok(mut r) = WavReader::new(Source::memory(full[..cut].to_vec())) {
                let got = all_i32(&mut r);
                assert_eq!(&got[..], &data[..got.len()]);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        #[test]
        fn prop_round_trip(ch in 1u16..9, which in 0usize..6, frames in 0usize..400, seed in 0u64..1000) {
            let sample = [U8, S16, S24, S32, F32, F64][which];
            let data = scrambled(frames * ch as usize, seed, sample);
            let bytes = write_i32(spec(OutputFormat::Wav, ch, sample, None), &data);
            let back = all_i32(open(&bytes).as_mut());
            proptest::prop_assert_eq!(back, data);
        }
    }

    #[allow(dead_code)]
    fn _uses(_: SampleFormat) {}
}

#[cfg(test)]
mod tag_tests {
    use super::*;
    use crate::format::SampleFormat;
    use crate::io::writer::tag_tests::*;
    use crate::io::writer::OutputFormat::Wav;

    #[test]
    fn tags_round_trip() {
        for t in special_sets() {
            round_trip(Wav, &t, 1001);
        }
    }

    #[test]
    fn tags_after_odd_data_and_in_rf64() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tags = &special_sets()[0];
        for rf64 in [false, true] {
            let path = dir.path().join(format!("odd{rf64}.wav"));
            let spec = WriterSpec { format: Wav, sample_rate: 8000, channels: 1, sample: SampleFormat::U8, bits: None };
            let audio: Vec<i32> = (0..999).map(|i| (i % 256) - 128).collect();
            let w = WavWriter::new(Box::new(std::fs::File::create(&path).expect("create")), spec).expect("writer");
            let mut w = Box::new(if rf64 { w.rf64_above(500) } else { w });
            w.set_tags(tags).expect("tags");
            w.write_i32(&audio).expect("write");
            w.finish().expect("finish");
            let bytes = std::fs::read(&path).expect("read");
            let riff = if rf64 {
                assert_eq!(&bytes[..4], b"RF64");
                u64::from_le_bytes(bytes[20..28].try_into().expect("8 bytes"))
            } else {
                u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as u64
            };
            assert_eq!(riff, bytes.len() as u64 - 8);
            let (got, back) = read(&path);
            assert_eq!(got, expected(Wav, tags));
            assert_eq!(back, audio);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn random_tags_round_trip(t in arb_tags()) {
            round_trip(Wav, &t, 37);
        }
    }
}
