//! Reading, writing and inspecting audio files.
//!
//! Every container and codec sits behind one trait, [`AudioReader`]; the
//! probe ([`open`]) picks a reader by looking at the bytes, never the
//! extension. Readers decode into caller-owned buffers ([`AudioReader::read_f32`],
//! [`AudioReader::read_i32`]) without allocating per call; [`AudioFile`] is the
//! convenient layer on top (chunks, read all, seek). Writers sit behind
//! [`AudioWriter`].
//!
//! This room must not panic on any input: damaged, truncated or lying files
//! give a [`ReadError`] (or a warning when what is there is still playable),
//! and third-party decoders run behind a panic boundary.

pub mod described;
mod error;
#[doc(hidden)]
pub mod exercise;
mod file;
mod info;
mod probe;
mod source;
mod warning;
pub mod writer;

pub mod codec;
pub mod container;
// unsafe: the exclusive-rename system calls (renameat2, renamex_np) and a
// signal-0 probe of whether a process lives; plain C strings and integers.
#[allow(unsafe_code)]
pub mod place;
pub mod scan;
pub mod symphonia;
pub mod tags;

pub use codec::lossy::{EncoderSettings, OpusApplication};
pub use error::{FileError, ReadError, WriteError};
pub use file::{AudioFile, Chunks};
pub use info::{inspect, verify, Chapter, Codec, Container, FileInfo, StreamInfo, Tags};
pub use probe::{detect, open, open_source, Detected};
pub use source::{MediaSource, Source};
pub use warning::{Span, Warning, WarningClass};
pub use writer::{create_writer, create_writer_with, AudioWriter, OutputFormat, WriterSpec, MP3_RATES};

/// Result of reading.
pub type ReadResult<T> = Result<T, ReadError>;

/// One decoder: a container and codec, positioned at a frame of its stream.
///
/// Buffers are interleaved: sample `c` of frame `f` is at `f * channels + c`.
/// A call fills as many whole frames as fit in `out` (fewer only at the end of
/// the stream) and returns how many it wrote; 0 means the end. Calls must not
/// allocate once the reader is open.
pub trait AudioReader: Send {
    /// What the stream is. Fixed once the reader is open.
    fn info(&self) -> &StreamInfo;

    /// Decodes the next frames as f32 in [-1, 1). Integers are scaled by
    /// `2^-(bits-1)` ([`crate::format::int_to_f32`]), so up to 24 bits this is exact.
    fn read_f32(&mut self, out: &mut [f32]) -> ReadResult<usize>;

    /// Decodes the next frames as signed integers in the stream's own depth
    /// (`bits_per_sample`, right-justified: a 16-bit sample is in −32768..=32767,
    /// 8-bit unsigned is made signed). Float streams are scaled to 32 bits with
    /// clipping; 64-bit integer streams keep their top 32 bits.
    fn read_i32(&mut self, out: &mut [i32]) -> ReadResult<usize>;

    /// Moves to `frame` (clamped to the end) and returns where it landed, which
    /// is exactly `frame` for PCM and lossless codecs.
    fn seek(&mut self, frame: u64) -> ReadResult<u64>;

    /// Moves to some frame within `slack` frames of `frame`, wherever
    /// landing there is cheaper than landing exactly (a compressed stream
    /// reaches an exact frame by decoding forward from a block boundary),
    /// and returns where it landed. For a caller that wants a look at a
    /// place rather than the place itself, such as a zoomed-out
    /// spectrogram's column. Exact ([`Self::seek`]) by default.
    fn seek_near(&mut self, frame: u64, slack: u64) -> ReadResult<u64> {
        let _ = slack;
        self.seek(frame)
    }

    /// Whether the decoded audio matched a checksum the file carries (FLAC's
    /// STREAMINFO MD5): `Some(true)` intact, `Some(false)` damaged, `None`
    /// not known (no checksum, not yet decoded to the end from the start, or
    /// a seek made the check impossible).
    fn verified(&self) -> Option<bool> {
        None
    }

    /// Leaves the file's own checksum (FLAC's MD5) unchecked from here on,
    /// for a caller that proves the decoded samples another way (`convert
    /// --verify` compares them with a hash of what it wrote), so that no
    /// time goes to it; [`Self::verified`] is then `None`. No-op by default.
    fn skip_checksum(&mut self) {}

    /// Problems met so far that did not stop decoding (a truncated last
    /// frame, a header that understates the data…), drained by the call.
    fn take_warnings(&mut self) -> Vec<Warning> {
        Vec::new()
    }

    /// Chapter marks of the file, in order (empty for most formats).
    fn chapters(&self) -> &[Chapter] {
        &[]
    }
}
