//! Writing audio files: one [`AudioWriter`] trait, one writer per container,
//! chosen by [`OutputFormat`].

use std::io::{Seek, Write};
use std::path::Path;

use crate::format::SampleFormat;

use super::{aiff, caf, flac, wav, WriteError};

/// The file formats CoreMusic writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// WAVE (RF64 above 4 GB).
    Wav,
    /// AIFF (AIFF-C for float).
    Aiff,
    /// Core Audio Format.
    Caf,
    /// FLAC.
    Flac,
}

impl OutputFormat {
    /// From a file extension (`wav`, `aif`, `aiff`, `aifc`, `caf`, `flac`).
    pub fn from_extension(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "wav" | "wave" => Some(OutputFormat::Wav),
            "aif" | "aiff" | "aifc" => Some(OutputFormat::Aiff),
            "caf" => Some(OutputFormat::Caf),
            "flac" => Some(OutputFormat::Flac),
            _ => None,
        }
    }

    /// The usual extension.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Wav => "wav",
            OutputFormat::Aiff => "aiff",
            OutputFormat::Caf => "caf",
            OutputFormat::Flac => "flac",
        }
    }

    /// Whether this format can store `sample` losslessly.
    pub fn supports(self, sample: SampleFormat) -> bool {
        match self {
            OutputFormat::Flac => !sample.is_float(),
            _ => true,
        }
    }
}

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WriterSpec {
    /// Container.
    pub format: OutputFormat,
    /// Frames per second.
    pub sample_rate: u32,
    /// Channels per frame.
    pub channels: u16,
    /// Stored sample format.
    pub sample: SampleFormat,
    /// Significant bits for integer formats, when fewer than the container's
    /// (e.g. 20 in S24); `None` means all of them.
    pub bits: Option<u32>,
}

impl WriterSpec {
    /// Significant bits per sample.
    pub fn valid_bits(&self) -> u32 {
        self.bits.unwrap_or(self.sample.bits())
    }
}

/// A byte sink a writer can seek back in (to patch sizes when finishing).
pub trait WriteSeek: Write + Seek + Send {}
impl<T: Write + Seek + Send> WriteSeek for T {}

/// Encodes interleaved frames into a file.
pub trait AudioWriter: Send {
    /// Appends frames given as f32 in [-1, 1) (clipped and rounded for integer formats).
    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError>;
    /// Appends frames given as integers of the spec's depth (right-justified, as [`super::AudioReader::read_i32`] gives them).
    fn write_i32(&mut self, interleaved: &[i32]) -> Result<(), WriteError>;
    /// Patches headers and flushes. The file is incomplete until this returns Ok.
    fn finish(self: Box<Self>) -> Result<(), WriteError>;
}

/// A writer for `spec` on `sink`.
pub fn create_writer(sink: Box<dyn WriteSeek>, spec: WriterSpec) -> Result<Box<dyn AudioWriter>, WriteError> {
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(WriteError::Usage("a file needs at least one channel and a sample rate above 0".into()));
    }
    if !spec.format.supports(spec.sample) {
        return Err(WriteError::Unsupported(format!(
            "{} cannot store {} samples",
            spec.format.extension(),
            spec.sample
        )));
    }
    Ok(match spec.format {
        OutputFormat::Wav => Box::new(wav::WavWriter::new(sink, spec)?),
        OutputFormat::Aiff => Box::new(aiff::AiffWriter::new(sink, spec)?),
        OutputFormat::Caf => Box::new(caf::CafWriter::new(sink, spec)?),
        OutputFormat::Flac => Box::new(flac::FlacWriter::new(sink, spec)?),
    })
}
