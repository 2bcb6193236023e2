//! What a file sounds like, computed from its samples: loudness and levels
//! ([`loudness`]) and the waveform's min/max/RMS pyramid ([`peaks`]).
//!
//! Reads through [`crate::io`] and computes with [`crate::dsp`]; it never
//! draws and never writes audio.

pub mod loudness;
// unsafe: memory-maps the peaks disk cache (see peaks.rs).
#[allow(unsafe_code)]
pub mod peaks;
