//! What the WAVE, AIFF and CAF writers share: a header written up front, the
//! samples encoded into one data chunk ([`PcmData`], buffered and written in
//! large blocks), and at finish the tag chunks after the data and the sizes
//! patched into the header. Each container says only what differs — its
//! header, its tag chunks, its size limit and its finish — by implementing
//! [`PcmFileWriter`]; the [`AudioWriter`] methods are written once, here.

use std::io::Write;

use crate::io::codec::pcm::{PcmData, PcmLayout};
use crate::io::writer::{AudioWriter, WriteSeek, WriterSpec};
use crate::io::{Tags, WriteError};

/// The part of a PCM container writer that is the same in every container.
pub struct PcmBody {
    pub(crate) sink: Box<dyn WriteSeek>,
    pub(crate) data: PcmData,
    /// The tag chunks written after the data at finish (even length, maybe empty).
    pub(crate) tags: Vec<u8>,
}

impl PcmBody {
    /// The layout `spec`'s samples are stored in (`big_endian` as the
    /// container wants, 8-bit unsigned when `unsigned8`), for `a_file` ("a
    /// WAVE file", named when the spec has no channel or no rate).
    pub(crate) fn layout(
        spec: &WriterSpec,
        a_file: &str,
        big_endian: bool,
        unsigned8: bool,
    ) -> Result<PcmLayout, WriteError> {
        if spec.channels == 0 || spec.sample_rate == 0 {
            return Err(WriteError::Usage(format!("{a_file} needs at least one channel and a sample rate above 0")));
        }
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

    /// Writes `header` to `sink` and gets ready for `channels`-sample frames in `layout`.
    pub(crate) fn start(
        mut sink: Box<dyn WriteSeek>,
        header: &[u8],
        layout: PcmLayout,
        channels: usize,
    ) -> Result<Self, WriteError> {
        sink.write_all(header)?;
        Ok(PcmBody { sink, data: PcmData::new(layout, channels), tags: Vec::new() })
    }

    /// Refuses a partial frame; gives the data chunk's size after `samples` more.
    fn check(&self, samples: usize) -> Result<u64, WriteError> {
        self.data.check(samples)?;
        Ok(self.data.bytes_after(samples))
    }
}

/// A PCM container writer: the container-specific part around a [`PcmBody`].
/// Every such writer is an [`AudioWriter`].
pub trait PcmFileWriter: Send {
    /// The shared part.
    fn body(&mut self) -> &mut PcmBody;
    /// The tag chunks `tags` make in this container (empty for none).
    fn tag_chunks(tags: &Tags) -> Vec<u8>
    where
        Self: Sized;
    /// Refuses to grow the data chunk to `bytes` when the container cannot
    /// hold that much (the default holds any size).
    fn check_size(&self, bytes: u64) -> Result<(), WriteError> {
        let _ = bytes;
        Ok(())
    }
    /// Writes what follows the data (padding, tags) and patches the header;
    /// the data is all written when this is called.
    fn finish_file(self: Box<Self>) -> Result<(), WriteError>;
}

impl<T: PcmFileWriter> AudioWriter for T {
    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError> {
        let bytes = self.body().check(interleaved.len())?;
        self.check_size(bytes)?;
        let b = self.body();
        b.data.write_f32(&mut b.sink, interleaved)
    }

    fn write_i32(&mut self, interleaved: &[i32]) -> Result<(), WriteError> {
        let bytes = self.body().check(interleaved.len())?;
        self.check_size(bytes)?;
        let b = self.body();
        b.data.write_i32(&mut b.sink, interleaved)
    }

    fn set_tags(&mut self, tags: &Tags) -> Result<(), WriteError> {
        self.body().tags = T::tag_chunks(tags);
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), WriteError> {
        let b = self.body();
        b.data.flush(&mut b.sink)?;
        self.finish_file()
    }
}
