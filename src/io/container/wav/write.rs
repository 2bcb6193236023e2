//! The WAVE writer (RIFF, turning RF64 at finish; tags after the data).

use super::*;
use crate::io::container::pcm_file::{PcmBody, PcmFileWriter};

/// Writes WAVE: PCM 8 (unsigned) to 32 bits, float 32/64 (with a fact
/// chunk), WAVE_FORMAT_EXTENSIBLE for odd depths and more than two channels.
/// A 28-byte JUNK chunk is reserved after the RIFF header (EBU Tech 3306) so
/// that a file whose data passes 4 GiB becomes RF64 at [`AudioWriter::finish`].
/// Tags go in a `LIST`/`INFO` chunk after the data, written at finish.
pub struct WavWriter {
    body: PcmBody,
    data_start: u64,
    fact_at: Option<u64>,
    rf64_above: u64,
}

impl WavWriter {
    /// Writes the header for `spec` and gets ready for samples.
    pub fn new(sink: Box<dyn WriteSeek>, spec: WriterSpec) -> Result<Self, WriteError> {
        let layout = PcmBody::layout(&spec, "a WAVE file", false, true)?;
        let ch = spec.channels as u32;
        let block = layout.bytes * ch;
        if block > u16::MAX as u32 {
            return Err(WriteError::Unsupported(format!("{} channels of {} in WAVE", ch, spec.sample)));
        }
        let tag: u16 = if layout.float { 3 } else { 1 };
        let extensible = ch > 2 || (!layout.float && layout.valid_bits < layout.bytes * 8);
        let mut h = Vec::with_capacity(128);
        h.extend_from_slice(b"RIFF\0\0\0\0WAVE");
        push_chunk_header(&mut h, b"JUNK", &28u32.to_le_bytes());
        h.extend_from_slice(&[0; 28]);
        let fmt_len: u32 = if extensible {
            40
        } else if layout.float {
            18
        } else {
            16
        };
        push_chunk_header(&mut h, b"fmt ", &fmt_len.to_le_bytes());
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
            push_chunk_header(&mut h, b"fact", &4u32.to_le_bytes());
            fact_at = Some(h.len() as u64);
            h.extend_from_slice(&0u32.to_le_bytes());
        }
        push_chunk_header(&mut h, b"data", &0u32.to_le_bytes());
        Ok(WavWriter {
            body: PcmBody::start(sink, &h, layout, ch as usize)?,
            data_start: h.len() as u64,
            fact_at,
            rf64_above: u32::MAX as u64,
        })
    }

    #[cfg(test)]
    pub(super) fn rf64_above(mut self, bytes: u64) -> Self {
        self.rf64_above = bytes;
        self
    }
}

impl PcmFileWriter for WavWriter {
    fn body(&mut self) -> &mut PcmBody {
        &mut self.body
    }

    fn tag_chunks(tags: &Tags) -> Vec<u8> {
        riff_info_chunk(tags)
    }

    fn finish_file(mut self: Box<Self>) -> Result<(), WriteError> {
        let PcmBody { sink: s, data, tags } = &mut self.body;
        let (frames, data) = (data.frames(), data.bytes);
        if data % 2 == 1 {
            s.write_all(&[0])?;
        }
        s.write_all(tags)?;
        let riff = self.data_start - 8 + data + data % 2 + tags.len() as u64;
        if riff > self.rf64_above || data > self.rf64_above {
            patch_at(s, 0, b"RF64\xFF\xFF\xFF\xFF")?;
            // The JUNK chunk the header reserved becomes the ds64 chunk.
            let mut ds = Vec::with_capacity(36);
            push_chunk_header(&mut ds, b"ds64", &28u32.to_le_bytes());
            ds.extend_from_slice(&riff.to_le_bytes());
            ds.extend_from_slice(&data.to_le_bytes());
            ds.extend_from_slice(&frames.to_le_bytes());
            ds.extend_from_slice(&0u32.to_le_bytes());
            patch_at(s, 12, &ds)?;
            patch_at(s, self.data_start - 4, &u32::MAX.to_le_bytes())?;
        } else {
            patch_at(s, 4, &(riff as u32).to_le_bytes())?;
            patch_at(s, self.data_start - 4, &(data as u32).to_le_bytes())?;
        }
        if let Some(at) = self.fact_at {
            patch_at(s, at, &(frames.min(u32::MAX as u64) as u32).to_le_bytes())?;
        }
        s.flush()?;
        Ok(())
    }
}
