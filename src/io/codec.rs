//! PLACEHOLDER being written by a helper.

use super::{AudioReader, ReadError, ReadResult, Source};

/// Which symphonia format reader the probe chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// MPEG-4 / QuickTime.
    Mp4,
    /// MPEG audio (MP1/2/3).
    MpegAudio,
    /// AAC ADTS.
    Adts,
    /// Ogg.
    Ogg,
    /// Matroska / WebM.
    Matroska,
}

/// Reader.
pub struct SymphoniaReader;

impl SymphoniaReader {
    /// Opens.
    pub fn open(_source: Source, _hint: Hint) -> ReadResult<Box<dyn AudioReader>> {
        Err(ReadError::unsupported("symphonia (in progress)"))
    }
}
