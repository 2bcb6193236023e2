//! FLAC made by hand (checksums, crafted frames and streams): the library's
//! `io::codec::flac::craft`, which the unit tests use too.

#[allow(unused_imports)]
pub use coremusic::io::codec::flac::craft::*;
