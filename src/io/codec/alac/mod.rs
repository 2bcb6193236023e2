//! Apple Lossless (ALAC) output: [`AlacM4aWriter`] encodes interleaved
//! integer samples with CoreMusic's own ALAC encoder (after Apple's
//! open-source one: stereo mixing search, adaptive predictor of order 4 or
//! 8, adaptive Golomb-Rice coding, uncompressed escape) and muxes the packets
//! into an MPEG-4 file with [`crate::io::container::mp4::mux`]. Packets of 4096 frames are
//! encoded in parallel (rayon) and written in order. It never writes samples
//! it cannot represent: out-of-range values, float input and depths other
//! than 16, 20, 24 and 32 bits are refused.

mod bits;
mod encode;

use rayon::prelude::*;

use crate::format::f32_to_int;
use crate::io::container::mp4::mux::{M4aMuxer, SampleEntry};
use crate::io::writer::{check_sample_range, AudioWriter, WriteSeek, WriterSpec};
use crate::io::WriteError;
use encode::{PacketEncoder, FRAME_LENGTH, KB, MB0, PB0};

/// Highest sample rate accepted.
const MAX_SAMPLE_RATE: u32 = 384_000;
/// Frames converted per step of `write_f32`.
const CONVERT_FRAMES: usize = 4096;

/// Writes an `.m4a` file holding one ALAC track.
pub struct AlacM4aWriter {
    mux: M4aMuxer,
    channels: usize,
    bits: u32,
    sample_rate: u32,
    pending: Vec<i32>,
    batch_samples: usize,
    encoders: Vec<PacketEncoder>,
    convert: Vec<i32>,
    max_packet: u32,
    bytes: u64,
}

impl AlacM4aWriter {
    /// Starts an ALAC `.m4a` for `spec` on `sink`: integer samples of 16, 20,
    /// 24 or 32 valid bits, 1 to 8 channels (input in WAVE channel order),
    /// 1 to 384 000 Hz. Writes `ftyp` and the `mdat` header at once.
    pub fn new(sink: Box<dyn WriteSeek>, spec: WriterSpec) -> Result<Self, WriteError> {
        let bits =
            spec.lossless_bits("ALAC", |b| matches!(b, 16 | 20 | 24 | 32), "16, 20, 24 or 32-bit", MAX_SAMPLE_RATE)?;
        let channels = usize::from(spec.channels);
        let packets = (2 * rayon::current_num_threads()).clamp(8, 32);
        let encoders = (0..packets)
            .map(|_| PacketEncoder::new(channels, bits))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| WriteError::Unsupported(format!("no ALAC layout for {channels} channels")))?;
        let batch_samples = packets * FRAME_LENGTH * channels;
        Ok(AlacM4aWriter {
            mux: M4aMuxer::new(sink)?,
            channels,
            bits,
            sample_rate: spec.sample_rate,
            pending: Vec::with_capacity(batch_samples),
            batch_samples,
            encoders,
            convert: Vec::with_capacity(CONVERT_FRAMES * channels),
            max_packet: 0,
            bytes: 0,
        })
    }

    fn push(&mut self, mut samples: &[i32]) -> Result<(), WriteError> {
        while !samples.is_empty() {
            let take = (self.batch_samples - self.pending.len()).min(samples.len());
            self.pending.extend_from_slice(&samples[..take]);
            samples = &samples[take..];
            if self.pending.len() == self.batch_samples {
                self.encode_pending()?;
            }
        }
        Ok(())
    }

    fn encode_pending(&mut self) -> Result<(), WriteError> {
        let packet_samples = FRAME_LENGTH * self.channels;
        let packets = self.pending.len().div_ceil(packet_samples);
        if packets == 0 {
            return Ok(());
        }
        let pending = &self.pending[..];
        self.encoders[..packets]
            .par_iter_mut()
            .zip(pending.par_chunks(packet_samples))
            .for_each(|(enc, chunk)| enc.encode(chunk));
        for (enc, chunk) in self.encoders[..packets].iter().zip(self.pending.chunks(packet_samples)) {
            let frames = (chunk.len() / self.channels) as u32;
            self.mux.write_packet(&enc.out, frames)?;
            let len = enc.out.len() as u32;
            self.max_packet = self.max_packet.max(len);
            self.bytes += u64::from(len);
        }
        self.pending.clear();
        Ok(())
    }

    fn check_frames(&self, len: usize) -> Result<(), WriteError> {
        if len % self.channels != 0 {
            return Err(WriteError::Usage(format!(
                "{len} samples are not a whole number of {}-channel frames",
                self.channels
            )));
        }
        Ok(())
    }

    /// The ALACSpecificConfig (magic cookie), 24 bytes.
    fn cookie(&self) -> [u8; 24] {
        let frames = self.mux.frames();
        let avg = if frames > 0 {
            (self.bytes as u128 * 8 * u128::from(self.sample_rate) / u128::from(frames)).min(u128::from(u32::MAX))
                as u32
        } else {
            0
        };
        let mut c = [0u8; 24];
        c[0..4].copy_from_slice(&(FRAME_LENGTH as u32).to_be_bytes());
        c[4] = 0;
        c[5] = self.bits as u8;
        c[6] = PB0;
        c[7] = MB0;
        c[8] = KB;
        c[9] = self.channels as u8;
        c[10..12].copy_from_slice(&255u16.to_be_bytes());
        c[12..16].copy_from_slice(&self.max_packet.to_be_bytes());
        c[16..20].copy_from_slice(&avg.to_be_bytes());
        c[20..24].copy_from_slice(&self.sample_rate.to_be_bytes());
        c
    }
}

/// Apple's channel layout tag for the ALAC order of `channels` (3..=8).
fn layout_tag(channels: usize) -> Option<u32> {
    let tag = match channels {
        3 => 113,
        4 => 116,
        5 => 120,
        6 => 124,
        7 => 142,
        8 => 127,
        _ => return None,
    };
    Some((tag << 16) | channels as u32)
}

fn full_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(body.len() + 12);
    v.extend_from_slice(&((body.len() + 12) as u32).to_be_bytes());
    v.extend_from_slice(kind);
    v.extend_from_slice(&[0; 4]);
    v.extend_from_slice(body);
    v
}

impl AudioWriter for AlacM4aWriter {
    fn write_i32(&mut self, interleaved: &[i32]) -> Result<(), WriteError> {
        self.check_frames(interleaved.len())?;
        check_sample_range(interleaved, self.bits)?;
        self.push(interleaved)
    }

    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError> {
        self.check_frames(interleaved.len())?;
        let bits = self.bits;
        let mut conv = std::mem::take(&mut self.convert);
        let mut result = Ok(());
        for chunk in interleaved.chunks(CONVERT_FRAMES * self.channels) {
            conv.clear();
            conv.extend(chunk.iter().map(|&v| f32_to_int(v, bits)));
            result = self.push(&conv);
            if result.is_err() {
                break;
            }
        }
        self.convert = conv;
        result
    }

    fn set_tags(&mut self, tags: &crate::io::Tags) -> Result<(), WriteError> {
        self.mux.set_tags(tags);
        Ok(())
    }

    fn set_picture(&mut self, picture: &crate::io::tags::Picture) -> Result<(), WriteError> {
        self.mux.set_cover(picture);
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), WriteError> {
        self.encode_pending()?;
        let mut extra = full_box(b"alac", &self.cookie());
        if let Some(tag) = layout_tag(self.channels) {
            let mut body = tag.to_be_bytes().to_vec();
            body.extend_from_slice(&[0; 8]);
            extra.extend_from_slice(&full_box(b"chan", &body));
        }
        let entry = SampleEntry {
            fourcc: *b"alac",
            channels: self.channels as u16,
            bits: self.bits as u16,
            sample_rate: self.sample_rate,
            extra_boxes: extra,
        };
        let AlacM4aWriter { mux, .. } = *self;
        mux.finish(&entry)
    }
}

#[cfg(test)]
mod tests;
