//! Opening a FLAC stream, step by step: the ID3v2 tags some taggers put in
//! front, the metadata blocks (STREAMINFO, SEEKTABLE, VORBIS_COMMENT), the
//! first frame header (the nominal block size, and the format when there is
//! no STREAMINFO), the stream's format, then its real length
//! ([`FlacReader::measure`]). Nothing is decoded but the few frames at the
//! end that the length needs.

use super::*;

/// STREAMINFO's fields the decoder uses.
struct StreamInfoBlock {
    /// Largest block size, 0 when not given.
    max_block: u32,
    rate: u32,
    channels: u32,
    bps: u32,
    total: u64,
    md5: [u8; 16],
}

/// What the metadata blocks hold.
#[derive(Default)]
struct Metadata {
    streaminfo: Option<StreamInfoBlock>,
    /// (sample, byte offset from the first frame) of each seek point.
    seektable: Vec<(u64, u64)>,
    tags: Tags,
    /// Bytes before the first frame of a bare stream.
    skipped: u64,
    /// Rules of the metadata the file breaks (STREAMINFO missing or not first).
    broken: Vec<String>,
}

/// Where the stream's frames start after any ID3v2 tags in front.
fn skip_id3v2(source: &mut Source, len: u64) -> ReadResult<u64> {
    let mut pos = 0u64;
    loop {
        let mut head = [0u8; 10];
        let n = read_at(source, pos, &mut head)?;
        let l = id3v2_len(&head[..n]);
        if l == 0 || pos.saturating_add(l) >= len {
            return Ok(pos);
        }
        pos += l;
    }
}

/// Reads the metadata blocks from `pos` (just after `fLaC`); returns them
/// and where the audio starts.
fn read_metadata(source: &mut Source, mut pos: u64, len: u64) -> ReadResult<(Metadata, u64)> {
    let mut meta = Metadata::default();
    let mut index = 0;
    loop {
        let mut bh = [0u8; 4];
        if read_at(source, pos, &mut bh)? < 4 {
            return Err(ReadError::truncated(len, "a FLAC metadata block header"));
        }
        let last = bh[0] & 0x80 != 0;
        let ty = bh[0] & 0x7F;
        let blen = u32::from_be_bytes([0, bh[1], bh[2], bh[3]]) as u64;
        let body = pos + 4;
        let end = body + blen;
        if end > len {
            return Err(ReadError::truncated(
                len,
                format!("FLAC metadata block of type {ty} (starts at byte {pos}, {blen} bytes)"),
            ));
        }
        if matches!(ty, 0 | 3 | 4) {
            let mut data = vec![0u8; blen as usize];
            read_at(source, body, &mut data)?;
            match ty {
                0 => {
                    if blen < 34 {
                        return Err(ReadError::malformed(pos, format!("STREAMINFO of {blen} bytes, expected 34")));
                    }
                    if meta.streaminfo.is_none() {
                        meta.streaminfo = Some(parse_streaminfo(&data));
                        if index > 0 {
                            meta.broken.push(format!(
                                "STREAMINFO is metadata block {} (byte {pos}); FLAC requires it first",
                                index + 1
                            ));
                        }
                    }
                }
                3 => {
                    for p in data.chunks_exact(18) {
                        let sample = u64::from_be_bytes([p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]]);
                        let off = u64::from_be_bytes([p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]]);
                        if sample != u64::MAX {
                            meta.seektable.push((sample, off));
                        }
                    }
                    meta.seektable.sort_unstable();
                }
                _ => {
                    crate::io::tags::parse_vorbis_comment(&data, &mut meta.tags);
                    if let Some(what) = vorbis_comment_overruns(&data) {
                        meta.broken.push(format!("the VORBIS_COMMENT block (byte {pos}) {what}"));
                    }
                }
            }
        }
        pos = end;
        index += 1;
        if last {
            if meta.streaminfo.is_none() {
                meta.broken.push(
                    "the metadata has no STREAMINFO block; rate, channels and sample size come from the frame headers"
                        .to_string(),
                );
            }
            return Ok((meta, pos));
        }
    }
}

/// STREAMINFO's fields from its body (34 bytes or more).
fn parse_streaminfo(data: &[u8]) -> StreamInfoBlock {
    let b = |i: usize| data.get(i).copied().unwrap_or(0);
    let v = u64::from_be_bytes([b(10), b(11), b(12), b(13), b(14), b(15), b(16), b(17)]);
    StreamInfoBlock {
        max_block: u16::from_be_bytes([b(2), b(3)]) as u32,
        rate: (v >> 44) as u32,
        channels: ((v >> 41) & 7) as u32 + 1,
        bps: ((v >> 36) & 31) as u32 + 1,
        total: v & ((1 << 36) - 1),
        md5: data.get(18..34).and_then(|m| m.try_into().ok()).unwrap_or([0; 16]),
    }
}

/// The first frame header from the start of the audio (one that agrees
/// with STREAMINFO, when there is one), and its offset; leaves `input` at
/// `audio_start`.
fn first_frame(
    input: &mut Input,
    si: Option<&StreamInfoBlock>,
    audio_start: u64,
) -> ReadResult<Option<(u64, FrameHeader)>> {
    let mut first = None;
    loop {
        let (data, off, eof) = input.window();
        match parse_header(data) {
            Ok(h) if si.is_none_or(|s| s.channels == h.channels && h.bps.is_none_or(|b| b == s.bps)) => {
                first = Some((off, h));
                break;
            }
            Err(HeaderError::NeedMore) if !eof => {
                if !input.fill()? {
                    break;
                }
                continue;
            }
            Err(HeaderError::NeedMore) if data.is_empty() => break,
            _ => {}
        }
        input.advance(1);
        if !sync(input)? {
            break;
        }
    }
    input.seek_to(audio_start)?;
    Ok(first)
}

/// Rate, channels and bits per sample: STREAMINFO's, else the first frame
/// header's. A rate of 0 from both is damage.
fn stream_format(
    si: Option<&StreamInfoBlock>,
    first: Option<&(u64, FrameHeader)>,
    audio_start: u64,
) -> ReadResult<(u32, u32, u32)> {
    let (rate, channels, bps) = match (si, first) {
        (Some(s), f) => {
            let rate = if s.rate != 0 { s.rate } else { f.and_then(|(_, h)| h.rate).unwrap_or(0) };
            (rate, s.channels, s.bps)
        }
        (None, Some((off, h))) => {
            let Some(bps) = h.bps else {
                return Err(ReadError::malformed(
                    *off,
                    "the frame header refers to a STREAMINFO block the stream lacks (bits per sample)",
                ));
            };
            (h.rate.unwrap_or(0), h.channels, bps)
        }
        (None, None) => return Err(ReadError::malformed(audio_start, "no FLAC frame found")),
    };
    if rate == 0 {
        return Err(ReadError::malformed(
            first.map_or(audio_start, |(off, _)| *off),
            "sample rate 0 (neither STREAMINFO nor the frame headers give a rate)",
        ));
    }
    Ok((rate, channels, bps))
}

/// The channel layout: the default for the count, or the WAVEFORMATEXTENSIBLE
/// mask that `flac` keeps in a tag when the source had one.
fn layout_of(tags: &Tags, channels: u32) -> ChannelLayout {
    let mask = tags
        .get("waveformatextensible_channel_mask")
        .and_then(|m| u32::from_str_radix(m.trim_start_matches("0x").trim_start_matches("0X"), 16).ok());
    match mask {
        Some(mask) if mask.count_ones() == channels => ChannelLayout::from_mask(mask, channels),
        _ => ChannelLayout::default_for(channels),
    }
}

/// Bytes searched for the first frame of a stream that starts neither with
/// `fLaC` nor with a frame header (a broadcast picked up mid-frame).
pub const BARE_SEARCH: usize = 64 << 10;

/// Where the first whole FLAC frame in `head` starts: a header whose CRC-8
/// checks out, that gives its own sample size, and whose frame decodes with
/// a good CRC-16 inside `head`. `None` when there is none.
pub fn first_whole_frame(head: &[u8]) -> Option<usize> {
    let mut k = 0;
    while let Some(p) = head.get(k..)?.windows(2).position(|w| w[0] == 0xFF && w[1] & 0xFE == 0xF8) {
        let at = k + p;
        if let Ok(h) = parse_header(&head[at..]) {
            if let Some(bps) = h.bps {
                let mut scratch = vec![vec![0i64; h.block_size as usize]; h.channels as usize];
                if decode_frame::<i64>(&head[at..], &h, bps, &mut scratch).is_ok() {
                    return Some(at);
                }
            }
        }
        k = at + 1;
    }
    None
}

/// How a VORBIS_COMMENT body breaks its own lengths: a count of comments
/// or a length that runs past the block. `None` when it is whole.
fn vorbis_comment_overruns(body: &[u8]) -> Option<String> {
    let u32_at = |p: usize| body.get(p..p.checked_add(4)?).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let vendor = u32_at(0)? as usize;
    let mut pos = 4usize.saturating_add(vendor);
    let Some(count) = u32_at(pos) else {
        return Some("ends before its comment count".to_string());
    };
    pos += 4;
    for i in 0..count {
        let Some(len) = u32_at(pos) else {
            return Some(format!("says it holds {count} comments but ends after {i}"));
        };
        pos = pos.saturating_add(4).saturating_add(len as usize);
        if pos > body.len() {
            return Some(format!("has comment {} running past its end", i + 1));
        }
    }
    None
}

/// What the first frame says about the block-size rules: a block larger
/// than STREAMINFO's maximum, of 65536 samples (more than STREAMINFO can
/// state), or under 16 samples when more frames of a fixed block size follow.
fn block_rule(h: &FrameHeader, max_block: u32, more_follow: bool) -> Option<String> {
    let bs = h.block_size;
    if bs > 65535 {
        Some(format!("a frame of {bs} samples: FLAC allows at most 65535 (STREAMINFO cannot state more)"))
    } else if max_block >= 16 && bs > max_block {
        Some(format!("a frame of {bs} samples where STREAMINFO says blocks are at most {max_block}"))
    } else if bs < 16 && more_follow && !h.variable {
        Some(format!(
            "a frame of {bs} sample{} that is not the last: FLAC allows blocks under 16 samples only at the end",
            if bs == 1 { "" } else { "s" }
        ))
    } else {
        None
    }
}

impl FlacReader {
    /// Opens a FLAC stream: `fLaC` and metadata (after an optional ID3v2
    /// tag), or bare frames from the first byte. Reads the metadata, the
    /// first frame header and the frames at the end that give the length.
    pub fn new(mut source: Source) -> ReadResult<FlacReader> {
        let len = source.byte_len();
        let pos = skip_id3v2(&mut source, len)?;
        let mut magic = [0u8; 4];
        let n = read_at(&mut source, pos, &mut magic)?;
        let (meta, audio_start) = if n == 4 && magic == *b"fLaC" {
            read_metadata(&mut source, pos + 4, len)?
        } else {
            let mut head = vec![0u8; BARE_SEARCH];
            let n = read_at(&mut source, pos, &mut head)?;
            let mut meta = Metadata::default();
            let start = match parse_header(&head[..n]) {
                Ok(_) => pos,
                Err(_) => match first_whole_frame(&head[..n]) {
                    Some(k) => {
                        meta.skipped = k as u64;
                        pos + k as u64
                    }
                    None => return Err(ReadError::malformed(pos, "expected `fLaC` or a FLAC frame header")),
                },
            };
            (meta, start)
        };
        let mut input = Input::new(source, audio_start)?;
        let si = meta.streaminfo.as_ref();
        let si_max_block = si.map_or(0, |s| s.max_block);
        let first = first_frame(&mut input, si, audio_start)?;
        let (rate, channels, bps) = stream_format(si, first.as_ref(), audio_start)?;
        // A STREAMINFO with no frame after it is an empty stream (0 frames), not an unknown length.
        let empty = first.is_none() && si.is_some();
        let (first_frame, first_number, nominal_block, variable) = match first {
            Some((off, h)) => {
                let nb = h.block_size as u64;
                let first_number = if h.variable { h.number } else { h.number.saturating_mul(nb) };
                (off, first_number, nb, h.variable)
            }
            None => (len, 0, 4096, false),
        };
        let mut format = AudioFormat::compressed(
            rate as f64,
            FourCC::FLAC,
            channels,
            if variable { 0 } else { nominal_block as u32 },
        );
        format.bits_per_channel = bps;
        let info = StreamInfo {
            container: Container::Flac,
            codec: Codec::Flac,
            format,
            sample_format: SampleFormat::for_int_bits(bps),
            bits_per_sample: Some(bps),
            frames: None,
            layout: layout_of(&meta.tags, channels),
            bit_rate: None,
            tags: meta.tags,
        };
        let ch = channels as usize;
        let ch64 = if bps == 32 { vec![vec![0i64; MAX_BLOCK]; ch] } else { Vec::new() };
        let mut reader = FlacReader {
            info,
            input,
            rate,
            bps,
            channels: ch,
            ch32: vec![vec![0i32; MAX_BLOCK]; ch],
            ch64,
            block_len: 0,
            block_pos: 0,
            block_start: 0,
            next_start: 0,
            audio_start,
            first_frame,
            first_number,
            nominal_block,
            seektable: meta.seektable,
            total_samples: meta.streaminfo.as_ref().map_or(0, |s| s.total),
            ended: false,
            total_checked: false,
            warnings: Vec::new(),
            warnings_dropped: 0,
            measured: None,
            measuring: false,
            md5_want: meta.streaminfo.as_ref().map(|s| s.md5).filter(|m| *m != [0; 16]),
            hashing: false,
            check: None,
            verified: None,
            variable,
            has_streaminfo: meta.streaminfo.is_some(),
        };
        if meta.skipped > 0 {
            reader.warn(Warning::JunkAtStart { bytes: meta.skipped });
        }
        for what in meta.broken {
            reader.warn(Warning::FlacRuleBroken { what });
        }
        reader.measure(empty)?;
        let max_block = si_max_block;
        if let Some((_, h)) = first {
            let more = reader.info.frames.is_none_or(|n| n > h.block_size as u64);
            if let Some(what) = block_rule(&h, max_block, more) {
                reader.warn(Warning::FlacRuleBroken { what });
            }
        }
        Ok(reader)
    }
}
