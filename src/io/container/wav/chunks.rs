//! The WAVE family's chunks: `fmt ` (every codec and WAVE_FORMAT_EXTENSIBLE),
//! and the walks over RIFF/RIFX/RF64 and Wave64 chunk lists that find
//! `fmt `, `data`, `fact`, `ds64` and the tags without trusting a size.

use super::*;

/// What the fmt chunk says.
pub(super) struct Fmt {
    pub(super) channels: u32,
    pub(super) rate: u32,
    pub(super) coding: Coding,
    pub(super) layout: ChannelLayout,
    /// A header lie that still leaves the audio readable (a wrong nBlockAlign).
    pub(super) warning: Option<Warning>,
}

pub(super) fn codec_name(tag: u16) -> &'static str {
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

/// A codec the fmt chunk names that the native reader does not decode
/// (MPEG audio, GSM 6.10, Ogg Vorbis…): enough to describe the stream.
pub(super) struct Foreign {
    /// The format tag (the SubFormat's for WAVE_FORMAT_EXTENSIBLE).
    pub(super) tag: u16,
    pub(super) channels: u32,
    pub(super) rate: u32,
    /// nAvgBytesPerSec.
    pub(super) byte_rate: u32,
}

impl Foreign {
    /// "WAVE codec 0x0031 (GSM 6.10)".
    pub(super) fn describe(&self) -> String {
        format!("WAVE codec 0x{:04X} ({})", self.tag, codec_name(self.tag))
    }
}

/// What the fmt chunk describes: a stream the native reader decodes, or another codec.
pub(super) enum FmtKind {
    Native(Fmt),
    Foreign(Foreign),
}

pub(super) fn parse_fmt(b: &[u8], be: bool, off: u64) -> ReadResult<FmtKind> {
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
        warning = Some(Warning::BlockAlignMismatch { block_align, channels, bits, frame_bytes: channels * bytes });
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
        _ => return Ok(FmtKind::Foreign(Foreign { tag: sub, channels, rate, byte_rate: u32at(8) })),
    };
    Ok(FmtKind::Native(Fmt { channels, rate, coding, layout, warning }))
}

pub(super) struct Walk {
    pub(super) fmt: Option<(u64, Vec<u8>)>,
    pub(super) data: Option<(u64, u64)>,
    pub(super) fact: Option<u64>,
    pub(super) ds64: Option<(u64, u64)>,
    pub(super) tags: Tags,
    pub(super) warnings: Vec<Warning>,
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

pub(super) fn riff_walk(source: &mut Source, flavor: Flavor, walk: &mut Walk) -> ReadResult<()> {
    let be = flavor == Flavor::Rifx;
    let mut walker = ChunkWalker::new(source, Layout::Riff { big_endian: be }, 12);
    let file_len = walker.file_len();
    let mut first = true;
    loop {
        let c = match walker.next(source)? {
            Next::Chunk(c) => c,
            Next::End => return Ok(()),
            Next::NotAChunk { at, .. } if walk.data.is_some() => {
                walk.warnings.push(Warning::NotAChunk { at, after_audio: true });
                return Ok(());
            }
            Next::NotAChunk { at, found } => return Err(not_a_chunk(at, &found, "'fmt ' or 'data'")),
        };
        let (id, off, body) = (c.id, c.at, c.body);
        let size32 = c.size as u32;
        let mut size = c.size;
        if first && flavor == Flavor::Rf64 && &id == b"ds64" {
            let b = read_body(source, body, 24)?;
            if b.len() < 24 {
                return Err(ReadError::truncated(file_len, "the ds64 chunk"));
            }
            walk.ds64 = Some((le_u64(&b[8..16]), le_u64(&b[16..24])));
        }
        first = false;
        if &id == b"data" {
            let rest = walker.rest_from(body);
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
                walk.warnings.push(Warning::Rf64SizedChunk { id: show(&id), at: off });
            }
            walk.chunk(source, &id, body, size, be)?;
        }
        walker.skip(source, &c, size)?;
    }
}

fn show(id: &[u8]) -> String {
    String::from_utf8_lossy(id).into_owned()
}

pub(super) fn w64_walk(source: &mut Source, walk: &mut Walk) -> ReadResult<()> {
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
