//! A stream CoreMusic can describe but not decode (GSM 6.10 or Ogg Vorbis
//! inside a WAVE file…): `info` and the Inspector show what it is — codec,
//! rate, channels, length — and every read says why it cannot be played.

use crate::io::{AudioReader, Chapter, ReadError, ReadResult, StreamInfo, Warning};

/// A reader whose stream is described only: [`AudioReader::info`] is
/// complete, reads and seeks fail with an "unsupported" error naming what
/// cannot be decoded.
pub struct DescribedOnly {
    info: StreamInfo,
    chapters: Vec<Chapter>,
    why: String,
    warnings: Vec<Warning>,
}

impl DescribedOnly {
    /// `info` describes the stream; `why` is the error every read gives
    /// (e.g. "WAVE codec 0x0031 (GSM 6.10)").
    pub fn new(info: StreamInfo, why: String) -> DescribedOnly {
        DescribedOnly { info, chapters: Vec::new(), why, warnings: Vec::new() }
    }

    /// The file's chapter marks.
    pub fn with_chapters(self, chapters: Vec<Chapter>) -> DescribedOnly {
        DescribedOnly { chapters, ..self }
    }

    /// Warnings already found (a cut file…), given out by
    /// [`AudioReader::take_warnings`] before those already given.
    pub fn with_warnings(self, mut warnings: Vec<Warning>) -> DescribedOnly {
        warnings.extend(self.warnings);
        DescribedOnly { warnings, ..self }
    }

    fn refuse<T>(&self) -> ReadResult<T> {
        Err(ReadError::unsupported(self.why.clone()))
    }
}

impl AudioReader for DescribedOnly {
    fn info(&self) -> &StreamInfo {
        &self.info
    }

    fn read_f32(&mut self, _out: &mut [f32]) -> ReadResult<usize> {
        self.refuse()
    }

    fn read_i32(&mut self, _out: &mut [i32]) -> ReadResult<usize> {
        self.refuse()
    }

    fn seek(&mut self, _frame: u64) -> ReadResult<u64> {
        self.refuse()
    }

    fn chapters(&self) -> &[Chapter] {
        &self.chapters
    }

    fn take_warnings(&mut self) -> Vec<Warning> {
        std::mem::take(&mut self.warnings)
    }
}

/// A reader whose stream another reader decodes, described as its outer
/// file: MPEG audio in a WAVE file is decoded by the MPEG reader but
/// reported as WAVE with the WAVE file's tags.
pub struct Rewrapped {
    inner: Box<dyn AudioReader>,
    info: StreamInfo,
    /// The outer file's warnings, given out first.
    warnings: Vec<Warning>,
}

impl Rewrapped {
    /// `inner` with `info` reported in place of its own, and `warnings` about the outer file.
    pub fn with_warnings(inner: Box<dyn AudioReader>, info: StreamInfo, warnings: Vec<Warning>) -> Rewrapped {
        Rewrapped { inner, info, warnings }
    }
}

impl AudioReader for Rewrapped {
    fn info(&self) -> &StreamInfo {
        &self.info
    }

    fn read_f32(&mut self, out: &mut [f32]) -> ReadResult<usize> {
        self.inner.read_f32(out)
    }

    fn read_i32(&mut self, out: &mut [i32]) -> ReadResult<usize> {
        self.inner.read_i32(out)
    }

    fn seek(&mut self, frame: u64) -> ReadResult<u64> {
        self.inner.seek(frame)
    }

    fn seek_near(&mut self, frame: u64, slack: u64) -> ReadResult<u64> {
        self.inner.seek_near(frame, slack)
    }

    fn verified(&self) -> Option<bool> {
        self.inner.verified()
    }

    fn skip_checksum(&mut self) {
        self.inner.skip_checksum()
    }

    fn chapters(&self) -> &[Chapter] {
        self.inner.chapters()
    }

    fn take_warnings(&mut self) -> Vec<Warning> {
        let mut w = std::mem::take(&mut self.warnings);
        w.extend(self.inner.take_warnings());
        w
    }
}
