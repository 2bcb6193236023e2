//! Containers: how the audio sits in a file. Each reader walks its
//! container's chunks or boxes, checks every size against the file, and hands
//! the sample bytes to a codec from [`crate::io::codec`]; each writer lays
//! chunks out around an encoder.
//!
//! Must not decode samples itself (that is the codecs' job) nor trust any
//! size it reads before checking it against what the file holds.

pub mod aiff;
pub mod caf;
pub(crate) mod chunks;
pub mod mp4;
pub mod mpeg;
pub mod ogg;
pub(crate) mod pcm_file;
pub mod wav;
