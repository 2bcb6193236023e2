//! Codecs: how samples are coded inside a container. Integer and float PCM
//! with the ADPCM and G.711 variants, and the native FLAC and ALAC decoders
//! and encoders, plus the Opus decoder that the symphonia adapter registers.
//!
//! Codecs read from and write to byte buffers handed to them by a container;
//! they must not open files nor allocate per block once set up.

pub mod aac;
pub(crate) mod aac_adts;
#[cfg(target_os = "macos")]
// unsafe: AudioToolbox's AudioConverter (C calls with pointers to buffers
// this module owns); the safety argument is at the top of the module.
#[allow(unsafe_code)]
pub mod aac_mac;
pub(crate) mod aac_sbr;
pub mod adpcm;
pub mod alac;
pub mod flac;
pub mod g711;
pub mod lossy;
#[cfg(not(target_os = "macos"))]
pub mod mp3;
pub mod opus;
pub mod opus_coder;
pub mod opus_encode;
pub mod pcm;
