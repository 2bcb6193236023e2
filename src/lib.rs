//! CoreMusic: an audio workbench as a library.
//!
//! Open and inspect audio files ([`io::AudioFile`], [`io::inspect`]), read them
//! in any client format, write WAV/AIFF/CAF/FLAC ([`io::create_writer`]).
//! The same engine drives the `coremusic` command line and the window.
//!
//! ```no_run
//! let mut file = coremusic::io::AudioFile::open("take1.wav")?;
//! println!("{} Hz, {} channels", file.info().sample_rate(), file.channels());
//! let samples = file.read_all()?;
//! # Ok::<(), coremusic::io::FileError>(())
//! ```
#![warn(missing_docs)]
// `unsafe` is fenced: only the modules marked `#[allow(unsafe_code)]` may use
// it (SIMD kernels, system calls, platform glue), each with its argument.
#![deny(unsafe_code)]
// Every `unsafe` block says why it is sound, in a `// SAFETY:` comment above it.
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod analysis;
pub mod convert;
pub mod dsp;
pub mod engine;
pub mod format;
pub mod io;
pub mod midi;
pub mod report;
#[cfg(test)]
mod test_support;
#[cfg(feature = "gui")]
pub mod ui;
