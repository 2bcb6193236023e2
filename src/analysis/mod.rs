//! What a file sounds like, computed from its samples: loudness and levels
//! ([`loudness`]), the waveform's min/max/RMS pyramid ([`peaks`]) and the
//! spectrogram tiles and spectrum analyser ([`spectrogram`]).
//!
//! Reads through [`crate::io`] and computes with [`crate::dsp`]; it never
//! draws and never writes audio.

pub mod loudness;
pub mod peaks;
pub mod replaygain;
pub mod spectrogram;
