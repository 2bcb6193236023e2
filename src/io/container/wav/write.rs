//! The WAVE writer (RIFF, turning RF64 at finish; tags after the data).

use super::*;

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
    pub(super) fn rf64_above(mut self, bytes: u64) -> Self {
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
