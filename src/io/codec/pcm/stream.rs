//! The stream engine shared by the WAVE, AIFF and CAF readers: the data
//! chunk read in blocks (PCM, G.711, IMA and MS ADPCM), decoded into the
//! caller's buffers, with exact seeking.

use super::*;

/// What the bytes of a data chunk hold.
#[derive(Debug, Clone)]
pub(crate) enum Coding {
    /// Linear PCM.
    Pcm(PcmLayout),
    /// G.711 A-law, one byte per sample.
    Alaw,
    /// G.711 µ-law, one byte per sample.
    Ulaw,
    /// IMA ADPCM in WAVE/DVI blocks of `block` bytes, `frames` frames each.
    ImaWav { block: usize, frames: usize },
    /// Apple `ima4`: 34-byte packets of 64 frames per channel.
    Ima4,
    /// Microsoft ADPCM blocks of `block` bytes, `frames` frames each, with the coefficient pairs.
    MsAdpcm { block: usize, frames: usize, coefs: Vec<(i32, i32)> },
}

impl Coding {
    /// Bytes and frames of one block (one frame for PCM and G.711).
    pub(crate) fn block_shape(&self, channels: usize) -> (usize, usize) {
        match self {
            Coding::Pcm(l) => (l.bytes as usize * channels, 1),
            Coding::Alaw | Coding::Ulaw => (channels, 1),
            Coding::ImaWav { block, frames } | Coding::MsAdpcm { block, frames, .. } => (*block, *frames),
            Coding::Ima4 => (34 * channels, 64),
        }
    }

    /// Frames decodable from a final, partial block of `len` bytes.
    fn partial_frames(&self, len: usize, channels: usize) -> usize {
        match self {
            Coding::ImaWav { frames, .. } => adpcm::ima_wav_block_frames(len, channels).min(*frames),
            Coding::MsAdpcm { frames, .. } => adpcm::ms_block_frames(len, channels).min(*frames),
            _ => 0,
        }
    }
}

/// Where a stream's samples are and how they are coded: what a container
/// parser hands to [`PcmStream::open`].
pub(crate) struct StreamSpec {
    pub data_start: u64,
    /// Bytes of the data chunk as the header gives them (clamped to the file here).
    pub data_len: u64,
    pub channels: usize,
    pub coding: Coding,
    /// The frame count the header states, if it states one (AIFF COMM, WAVE fact, CAF pakt).
    pub header_frames: Option<u64>,
}

/// Decodes a data chunk block by block, from a mapped slice when the
/// source has one, otherwise through one byte buffer allocated at open.
pub(crate) struct PcmStream {
    source: Source,
    data_start: u64,
    data_len: u64,
    channels: usize,
    coding: Coding,
    block_bytes: usize,
    frames_per_block: usize,
    frames: u64,
    pos: u64,
    file_pos: u64,
    buf: Vec<u8>,
    cache: Vec<i16>,
    cache_block: u64,
    cache_frames: usize,
    warnings: Vec<Warning>,
}

pub(super) const IO_BUF: usize = 256 << 10;
pub(super) const MAX_BLOCK: usize = 1 << 24;

impl PcmStream {
    /// Checks the spec against the file's real length and sets up buffers.
    pub(crate) fn open(source: Source, spec: StreamSpec, warnings: &mut Vec<Warning>) -> ReadResult<Self> {
        let channels = spec.channels;
        if channels == 0 {
            return Err(ReadError::malformed(0, "the channel count is 0"));
        }
        let (block_bytes, frames_per_block) = spec.coding.block_shape(channels);
        if block_bytes == 0 || frames_per_block == 0 {
            return Err(ReadError::malformed(0, "a block of 0 bytes or 0 frames"));
        }
        let file_len = source.byte_len();
        let available = file_len.saturating_sub(spec.data_start);
        let mut data_len = spec.data_len;
        if data_len > available {
            warnings.push(Warning::DataChunkCut { claimed: spec.data_len, present: available, start: spec.data_start });
            data_len = available;
        }
        let full_blocks = data_len / block_bytes as u64;
        let rest = (data_len % block_bytes as u64) as usize;
        let partial = spec.coding.partial_frames(rest, channels) as u64;
        let mut frames = full_blocks.saturating_mul(frames_per_block as u64).saturating_add(partial);
        if rest > 0 && frames_per_block == 1 {
            warnings.push(Warning::PartialFrame { bytes: rest });
        }
        if let Some(h) = spec.header_frames {
            if h < frames {
                frames = h;
            } else if h > frames {
                warnings.push(Warning::FewerFramesThanHeader { claimed: h, present: frames });
            }
        }
        if block_bytes > MAX_BLOCK || frames_per_block > MAX_BLOCK {
            return Err(ReadError::malformed(
                spec.data_start,
                format!("a block of {block_bytes} bytes and {frames_per_block} frames is beyond any real file"),
            ));
        }
        let buf_len = if source.as_slice().is_some() { 0 } else { (IO_BUF / block_bytes).max(1) * block_bytes };
        let cache_len = if frames_per_block == 1 { 0 } else { frames_per_block.saturating_mul(channels) };
        Ok(PcmStream {
            source,
            data_start: spec.data_start,
            data_len,
            channels,
            coding: spec.coding,
            block_bytes,
            frames_per_block,
            frames,
            pos: 0,
            file_pos: u64::MAX,
            buf: vec![0; buf_len],
            cache: vec![0; cache_len],
            cache_block: u64::MAX,
            cache_frames: 0,
            warnings: Vec::new(),
        })
    }

    /// Frames in the stream.
    pub(crate) fn frames(&self) -> u64 {
        self.frames
    }

    /// Bytes per second times 8, from the block shape.
    pub(crate) fn bit_rate(&self, rate: f64) -> Option<u64> {
        let r = rate * self.block_bytes as f64 * 8.0 / self.frames_per_block as f64;
        (r.is_finite() && r > 0.0).then(|| r.round() as u64)
    }

    /// Warnings raised while reading (drained).
    pub(crate) fn take_warnings(&mut self) -> Vec<Warning> {
        std::mem::take(&mut self.warnings)
    }

    /// Moves to `frame`, clamped to the end.
    pub(crate) fn seek(&mut self, frame: u64) -> u64 {
        self.pos = frame.min(self.frames);
        self.pos
    }

    /// Reads `len` bytes at data offset `off` into `self.buf[..len]`; returns how many arrived.
    fn fill(&mut self, off: u64, len: usize) -> io::Result<usize> {
        let at = self.data_start + off;
        if self.file_pos != at {
            self.source.seek(SeekFrom::Start(at))?;
            self.file_pos = at;
        }
        let mut n = 0;
        while n < len {
            match self.source.read(&mut self.buf[n..len]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.file_pos = u64::MAX;
                    return Err(e);
                }
            }
        }
        self.file_pos = at + n as u64;
        Ok(n)
    }

    fn cut_short(&mut self, at_frame: u64) {
        self.warnings.push(Warning::EndedEarly { claimed: self.frames, read: at_frame });
        self.frames = at_frame;
        self.pos = at_frame;
    }

    /// Decodes the next frames into `out`; returns frames written.
    pub(crate) fn read<T: OutSample>(&mut self, out: &mut [T]) -> ReadResult<usize> {
        let ch = self.channels;
        let want = ((out.len() / ch) as u64).min(self.frames - self.pos) as usize;
        if want == 0 {
            return Ok(0);
        }
        if self.frames_per_block == 1 {
            self.read_direct(&mut out[..want * ch])
        } else {
            self.read_blocks(&mut out[..want * ch])
        }
    }

    fn read_direct<T: OutSample>(&mut self, out: &mut [T]) -> ReadResult<usize> {
        let ch = self.channels;
        let fb = self.block_bytes;
        let want = out.len() / ch;
        let off = self.pos * fb as u64;
        if let Some(all) = self.source.as_slice() {
            let start = (self.data_start + off) as usize;
            let bytes = all.get(start..).unwrap_or(&[]);
            let bytes = &bytes[..bytes.len().min(want * fb)];
            let got = bytes.len() / fb;
            T::decode_bytes(&self.coding, &bytes[..got * fb], &mut out[..got * ch]);
            self.pos += got as u64;
            if got < want {
                self.cut_short(self.pos);
            }
            return Ok(got);
        }
        let per = (self.buf.len() / fb).max(1);
        let mut done = 0;
        while done < want {
            let n = per.min(want - done);
            let off = (self.pos + done as u64) * fb as u64;
            let got = self.fill(off, n * fb)? / fb;
            T::decode_bytes(&self.coding, &self.buf[..got * fb], &mut out[done * ch..(done + got) * ch]);
            done += got;
            if got < n {
                self.pos += done as u64;
                self.cut_short(self.pos);
                return Ok(done);
            }
        }
        self.pos += done as u64;
        Ok(done)
    }

    fn decode_block(&mut self, block: u64) -> ReadResult<()> {
        let off = block * self.block_bytes as u64;
        let len = (self.data_len.saturating_sub(off)).min(self.block_bytes as u64) as usize;
        let ch = self.channels;
        let frames = if let Some(all) = self.source.as_slice() {
            let start = (self.data_start + off) as usize;
            let bytes = all.get(start..).unwrap_or(&[]);
            let bytes = &bytes[..bytes.len().min(len)];
            decode_block_bytes(&self.coding, bytes, ch, &mut self.cache)
        } else {
            let got = self.fill(off, len)?;
            decode_block_bytes(&self.coding, &self.buf[..got], ch, &mut self.cache)
        };
        self.cache_block = block;
        self.cache_frames = frames;
        Ok(())
    }

    fn read_blocks<T: OutSample>(&mut self, out: &mut [T]) -> ReadResult<usize> {
        let ch = self.channels;
        let want = out.len() / ch;
        let fpb = self.frames_per_block as u64;
        let mut done = 0;
        while done < want {
            let block = self.pos / fpb;
            let skip = (self.pos % fpb) as usize;
            if self.cache_block != block {
                self.decode_block(block)?;
            }
            let n = self.cache_frames.saturating_sub(skip).min(want - done);
            if n == 0 {
                let at = self.pos;
                self.cut_short(at);
                break;
            }
            T::from_i16(&self.cache[skip * ch..(skip + n) * ch], &mut out[done * ch..(done + n) * ch]);
            done += n;
            self.pos += n as u64;
        }
        Ok(done)
    }
}

pub(super) fn decode_block_bytes(coding: &Coding, bytes: &[u8], ch: usize, cache: &mut [i16]) -> usize {
    match coding {
        Coding::ImaWav { frames, .. } => adpcm::decode_ima_wav_block(bytes, ch, *frames, cache),
        Coding::Ima4 => adpcm::decode_ima4_packet(bytes, ch, cache),
        Coding::MsAdpcm { frames, coefs, .. } => adpcm::decode_ms_block(bytes, ch, *frames, coefs, cache),
        _ => 0,
    }
}

/// An output sample type of the readers: f32 or i32.
pub(crate) trait OutSample: Copy {
    /// Decodes PCM or G.711 bytes (whole samples) into `out` (same count).
    fn decode_bytes(coding: &Coding, src: &[u8], out: &mut [Self]);
    /// Converts 16-bit decoded ADPCM.
    fn from_i16(src: &[i16], out: &mut [Self]);
}

impl OutSample for f32 {
    fn decode_bytes(coding: &Coding, src: &[u8], out: &mut [f32]) {
        match coding {
            Coding::Pcm(l) => {
                decode_f32(l, src, out);
            }
            Coding::Alaw => g711::alaw_to_f32(src, out),
            Coding::Ulaw => g711::ulaw_to_f32(src, out),
            _ => {}
        }
    }
    fn from_i16(src: &[i16], out: &mut [f32]) {
        for (o, &v) in out.iter_mut().zip(src) {
            *o = v as f32 * (1.0 / 32768.0);
        }
    }
}

impl OutSample for i32 {
    fn decode_bytes(coding: &Coding, src: &[u8], out: &mut [i32]) {
        match coding {
            Coding::Pcm(l) => {
                decode_i32(l, src, out);
            }
            Coding::Alaw => g711::alaw_to_i32(src, out),
            Coding::Ulaw => g711::ulaw_to_i32(src, out),
            _ => {}
        }
    }
    fn from_i16(src: &[i16], out: &mut [i32]) {
        for (o, &v) in out.iter_mut().zip(src) {
            *o = v as i32;
        }
    }
}
