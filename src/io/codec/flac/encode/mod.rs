//! CoreMusic's own FLAC encoder: [`FlacWriter`] turns interleaved integer
//! samples into a FLAC stream with the techniques of libFLAC's `-5` preset
//! (4096-sample blocks, best-of-four stereo decorrelation, FIXED orders
//! 0-4, tukey(0.5)-windowed LPC up to order 8, Rice partition orders up to
//! 5 with escapes, CONSTANT/VERBATIM fallbacks, wasted-bits removal).
//! Blocks are gathered into batches whose frames are encoded in parallel
//! with rayon and written in order; the MD5 of the input is computed
//! alongside. The header (STREAMINFO, then a VORBIS_COMMENT block when
//! [`AudioWriter::set_tags`] gave tags) goes down just before the first
//! frame, and `finish` seeks back to patch STREAMINFO. It never writes a
//! stream it cannot describe: out-of-range samples are refused, and float
//! input is rejected by the caller (`create_writer`) and here.

use std::io::{Seek, SeekFrom, Write};

use rayon::prelude::*;

use super::md5::Md5;
use crate::format::f32_to_int;
use crate::io::tags::vorbis_comment_body;
use crate::io::writer::{check_sample_range, AudioWriter, WriteSeek, WriterSpec};
use crate::io::{Tags, WriteError};
use frame::{BlockEncoder, StreamParams};
use lpc::MAX_LPC_ORDER;

// unsafe: the AVX2 frame encoder, called only after runtime detection.
#[allow(unsafe_code)]
mod frame;
mod lpc;

/// Samples per channel in every block but the last.
const BLOCK_SIZE: usize = 4096;
/// Samples packed per MD5 update.
const MD5_CHUNK: usize = 16384;
/// Frames converted per step of `write_f32`.
const CONVERT_FRAMES: usize = 4096;
/// Largest sample rate accepted: STREAMINFO holds 20 bits, but libFLAC
/// before 1.4 and symphonia stop at 655 350 Hz, the largest rate a frame
/// header can spell out.
const MAX_SAMPLE_RATE: u32 = 655_350;
/// Largest frame number a fixed-block-size stream can carry (31 bits).
const MAX_FRAMES: u64 = 1 << 31;
/// Seconds between SEEKTABLE points (`flac`'s default, `-S 10s`).
const SEEK_POINT_SECONDS: u64 = 10;
/// Bytes per seek point: sample number, byte offset, samples in the frame.
const SEEK_POINT_BYTES: usize = 18;
/// Seek points at most: 182 hours at one per 10 s, 1.2 MB (a metadata
/// block holds 932 067).
const MAX_SEEK_POINTS: u64 = 1 << 16;
/// The sample number of a placeholder point.
const PLACEHOLDER: u64 = u64::MAX;

/// Writes a FLAC stream (a STREAMINFO block, a VORBIS_COMMENT block when
/// there are tags, a PICTURE block when there is a cover, then frames) to a
/// seekable sink.
pub struct FlacWriter {
    sink: Box<dyn WriteSeek>,
    /// Whether `fLaC` and the metadata blocks have been written.
    header_written: bool,
    /// The VORBIS_COMMENT body to write after STREAMINFO.
    comments: Option<Vec<u8>>,
    /// The PICTURE body (the cover), after the comments.
    picture: Option<Vec<u8>>,
    params: StreamParams,
    /// Where the 34 STREAMINFO bytes start in the sink.
    streaminfo_at: u64,
    /// The SEEKTABLE reserved for the expected length: where its body
    /// starts in the sink (set when the header is written), and its points
    /// (sample, byte offset from the first frame, samples), filled as the
    /// frames they point at are written; the rest stay placeholders.
    seektable_at: u64,
    seek_points: Vec<(u64, u64, u16)>,
    /// Samples between seek points.
    seek_interval: u64,
    /// Bytes of frames written so far.
    frame_bytes: u64,
    /// Interleaved samples waiting for a full batch.
    pending: Vec<i32>,
    batch_samples: usize,
    encoders: Vec<BlockEncoder>,
    md5: Md5,
    md5_buf: Vec<u8>,
    convert: Vec<i32>,
    frames_written: u64,
    total_samples: u64,
    min_frame: u32,
    max_frame: u32,
}

impl FlacWriter {
    /// Starts a FLAC stream for `spec` on `sink`: integer samples of 4 to 32
    /// valid bits, 1 to 8 channels, 1 to 655 350 Hz. The header, with the
    /// STREAMINFO placeholder that [`AudioWriter::finish`] patches, is
    /// written with the first frame.
    pub fn new(mut sink: Box<dyn WriteSeek>, spec: WriterSpec) -> Result<FlacWriter, WriteError> {
        let bps = spec.lossless_bits("FLAC", |b| (4..=32).contains(&b), "4 to 32-bit", MAX_SAMPLE_RATE)?;
        let channels = usize::from(spec.channels);
        let params = StreamParams {
            channels,
            bps,
            sample_rate: spec.sample_rate,
            max_lpc_order: MAX_LPC_ORDER,
            qlp_precision: StreamParams::default_precision(bps, BLOCK_SIZE),
        };
        let blocks = (2 * rayon::current_num_threads()).clamp(8, 32);
        let batch_samples = blocks * BLOCK_SIZE * channels;
        let start = sink.stream_position()?;
        let seek_interval = SEEK_POINT_SECONDS * u64::from(spec.sample_rate.max(1));
        // One point at 0 and every interval before the end; no more than
        // [`MAX_SEEK_POINTS`], whatever length a header claims.
        let points = spec.expected_frames.filter(|&n| n > 0).map_or(0, |n| (n - 1) / seek_interval + 1);
        let points = points.min(MAX_SEEK_POINTS) as usize;
        Ok(FlacWriter {
            sink,
            header_written: false,
            comments: None,
            picture: None,
            params,
            streaminfo_at: start + 8,
            seektable_at: 0,
            seek_points: vec![(PLACEHOLDER, 0, 0); points],
            seek_interval,
            frame_bytes: 0,
            pending: Vec::with_capacity(batch_samples),
            batch_samples,
            encoders: (0..blocks).map(|_| BlockEncoder::new(channels)).collect(),
            md5: Md5::new(),
            md5_buf: vec![0; MD5_CHUNK * 4],
            convert: Vec::with_capacity(CONVERT_FRAMES * channels),
            frames_written: 0,
            total_samples: 0,
            min_frame: 0,
            max_frame: 0,
        })
    }

    /// Writes `fLaC`, the STREAMINFO placeholder and the tags, once.
    fn write_header(&mut self) -> Result<(), WriteError> {
        if self.header_written {
            return Ok(());
        }
        // Type 4 (VORBIS_COMMENT; the serialiser keeps it under 2^24
        // bytes) and type 6 (PICTURE; `set_picture` took only one that fits).
        // Type 3 (SEEKTABLE) first: placeholders, filled in by `finish`.
        let seektable = vec![0xFF; self.seek_points.len() * SEEK_POINT_BYTES];
        let blocks: Vec<(u8, &Vec<u8>)> = [
            (3u8, (!seektable.is_empty()).then_some(&seektable)),
            (4, self.comments.as_ref()),
            (6, self.picture.as_ref()),
        ]
        .into_iter()
        .filter_map(|(t, b)| Some((t, b?)))
        .collect();
        let mut head = Vec::with_capacity(42 + blocks.iter().map(|(_, b)| b.len() + 4).sum::<usize>());
        head.extend_from_slice(b"fLaC");
        // Type 0 (STREAMINFO), 34 bytes; the last block unless others follow.
        head.extend_from_slice(&[if blocks.is_empty() { 0x80 } else { 0 }, 0, 0, 34]);
        head.extend_from_slice(&self.streaminfo(None));
        let start = self.streaminfo_at - 8;
        for (i, (kind, body)) in blocks.iter().enumerate() {
            if *kind == 3 {
                self.seektable_at = start + head.len() as u64 + 4;
            }
            let len = u32::try_from(body.len()).unwrap_or(u32::MAX).min((1 << 24) - 1);
            head.push(if i + 1 == blocks.len() { 0x80 | kind } else { *kind });
            head.extend_from_slice(&len.to_be_bytes()[1..]);
            head.extend_from_slice(&body[..len as usize]);
        }
        self.sink.write_all(&head)?;
        self.header_written = true;
        Ok(())
    }

    /// The 34 STREAMINFO bytes for what has been written so far.
    fn streaminfo(&self, md5: Option<[u8; 16]>) -> [u8; 34] {
        let mut s = [0u8; 34];
        let bs = BLOCK_SIZE as u16;
        s[0..2].copy_from_slice(&bs.to_be_bytes());
        s[2..4].copy_from_slice(&bs.to_be_bytes());
        s[4..7].copy_from_slice(&self.min_frame.to_be_bytes()[1..]);
        s[7..10].copy_from_slice(&self.max_frame.to_be_bytes()[1..]);
        let total = if self.total_samples < (1 << 36) { self.total_samples } else { 0 };
        let packed: u64 = (u64::from(self.params.sample_rate) << 44)
            | ((self.params.channels as u64 - 1) << 41)
            | (u64::from(self.params.bps - 1) << 36)
            | total;
        s[10..18].copy_from_slice(&packed.to_be_bytes());
        if let Some(m) = md5 {
            s[18..].copy_from_slice(&m);
        }
        s
    }

    /// Appends interleaved samples (a whole number of frames, already range-checked).
    fn push(&mut self, mut samples: &[i32]) -> Result<(), WriteError> {
        while !samples.is_empty() {
            let room = self.batch_samples - self.pending.len();
            let take = room.min(samples.len());
            self.pending.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.pending.len() == self.batch_samples {
                self.encode_pending()?;
            }
        }
        Ok(())
    }

    /// Encodes everything pending (the last block may be short) and writes the frames.
    fn encode_pending(&mut self) -> Result<(), WriteError> {
        let ch = self.params.channels;
        let block_samples = BLOCK_SIZE * ch;
        let blocks = self.pending.len().div_ceil(block_samples);
        if blocks == 0 {
            return Ok(());
        }
        if self.frames_written + blocks as u64 > MAX_FRAMES {
            return Err(WriteError::Unsupported("stream too long for FLAC frame numbers".into()));
        }
        self.write_header()?;
        let first = self.frames_written;
        let FlacWriter { pending, encoders, md5, md5_buf, params, .. } = self;
        let params = &*params;
        let pending = &pending[..];
        rayon::join(
            || md5_feed(md5, md5_buf, pending, params.bps),
            || {
                encoders[..blocks]
                    .par_iter_mut()
                    .zip(pending.par_chunks(block_samples))
                    .enumerate()
                    .for_each(|(i, (enc, chunk))| enc.encode(chunk, params, first + i as u64));
            },
        );
        for (i, enc) in self.encoders[..blocks].iter().enumerate() {
            // The point each frame starts at or after, when it is the first
            // such frame (a point between two frame starts takes the earlier).
            let first_sample = self.frames_written * BLOCK_SIZE as u64;
            let k = first_sample.div_ceil(self.seek_interval) as usize;
            let last = first_sample + (BLOCK_SIZE as u64) - 1;
            if let Some(p) = self.seek_points.get_mut(k).filter(|_| k as u64 * self.seek_interval <= last) {
                let samples = (self.pending.len() / ch - i * BLOCK_SIZE).min(BLOCK_SIZE) as u16;
                *p = (first_sample, self.frame_bytes, samples);
            }
            self.sink.write_all(&enc.out)?;
            self.frame_bytes += enc.out.len() as u64;
            let len = u32::try_from(enc.out.len()).unwrap_or(u32::MAX).min((1 << 24) - 1);
            self.min_frame = if self.frames_written == 0 { len } else { self.min_frame.min(len) };
            self.max_frame = self.max_frame.max(len);
            self.frames_written += 1;
        }
        self.total_samples += (self.pending.len() / ch) as u64;
        self.pending.clear();
        Ok(())
    }

    fn check_frames(&self, len: usize) -> Result<(), WriteError> {
        if len % self.params.channels != 0 {
            return Err(WriteError::Usage(format!(
                "{len} samples are not a whole number of {}-channel frames",
                self.params.channels
            )));
        }
        Ok(())
    }
}

/// Feeds `samples` to the MD5 as libFLAC does: little-endian, (bps+7)/8 bytes each.
fn md5_feed(md5: &mut Md5, buf: &mut [u8], samples: &[i32], bps: u32) {
    let bytes = bps.div_ceil(8) as usize;
    for chunk in samples.chunks(MD5_CHUNK) {
        let out = &mut buf[..chunk.len() * bytes];
        match bytes {
            1 => {
                for (o, &v) in out.iter_mut().zip(chunk) {
                    *o = v as u8;
                }
            }
            2 => {
                for (o, &v) in out.chunks_exact_mut(2).zip(chunk) {
                    o.copy_from_slice(&(v as i16).to_le_bytes());
                }
            }
            3 => {
                for (o, &v) in out.chunks_exact_mut(3).zip(chunk) {
                    o.copy_from_slice(&v.to_le_bytes()[..3]);
                }
            }
            _ => {
                for (o, &v) in out.chunks_exact_mut(4).zip(chunk) {
                    o.copy_from_slice(&v.to_le_bytes());
                }
            }
        }
        md5.update(out);
    }
}

impl AudioWriter for FlacWriter {
    fn write_i32(&mut self, interleaved: &[i32]) -> Result<(), WriteError> {
        self.check_frames(interleaved.len())?;
        check_sample_range(interleaved, self.params.bps)?;
        self.push(interleaved)
    }

    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError> {
        self.check_frames(interleaved.len())?;
        let bps = self.params.bps;
        let mut conv = std::mem::take(&mut self.convert);
        let step = CONVERT_FRAMES * self.params.channels;
        let mut result = Ok(());
        for chunk in interleaved.chunks(step) {
            conv.clear();
            conv.extend(chunk.iter().map(|&v| f32_to_int(v, bps)));
            result = self.push(&conv);
            if result.is_err() {
                break;
            }
        }
        self.convert = conv;
        result
    }

    fn set_tags(&mut self, tags: &Tags) -> Result<(), WriteError> {
        if self.header_written || !self.pending.is_empty() {
            return Err(WriteError::Usage("FLAC tags must be set before the first write".into()));
        }
        self.comments = vorbis_comment_body(tags);
        Ok(())
    }

    /// The cover as a PICTURE block; one of 16 MiB or more (more than a
    /// metadata block holds) is left out.
    fn set_picture(&mut self, picture: &crate::io::tags::Picture) -> Result<(), WriteError> {
        if self.header_written || !self.pending.is_empty() {
            return Err(WriteError::Usage("a FLAC picture must be set before the first write".into()));
        }
        let body = crate::io::tags::picture::flac_picture_block(picture);
        self.picture = (body.len() < 1 << 24).then_some(body);
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), WriteError> {
        self.encode_pending()?;
        self.write_header()?;
        let digest = std::mem::replace(&mut self.md5, Md5::new()).finish();
        let info = self.streaminfo(Some(digest));
        self.sink.seek(SeekFrom::Start(self.streaminfo_at))?;
        self.sink.write_all(&info)?;
        if !self.seek_points.is_empty() {
            // The points found, in order, then placeholders (points past
            // the end, or a second point in one frame at very low rates).
            let found = self.seek_points.iter().filter(|p| p.0 != PLACEHOLDER);
            let rest = std::iter::repeat_n(&(PLACEHOLDER, 0, 0), self.seek_points.len() - found.clone().count());
            let mut table = Vec::with_capacity(self.seek_points.len() * SEEK_POINT_BYTES);
            for &(sample, offset, samples) in found.chain(rest) {
                table.extend_from_slice(&sample.to_be_bytes());
                table.extend_from_slice(&offset.to_be_bytes());
                table.extend_from_slice(&samples.to_be_bytes());
            }
            self.sink.seek(SeekFrom::Start(self.seektable_at))?;
            self.sink.write_all(&table)?;
        }
        self.sink.seek(SeekFrom::End(0))?;
        self.sink.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
