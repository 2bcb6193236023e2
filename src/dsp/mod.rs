//! Signal processing on samples in memory: sample-rate conversion, bit-depth
//! reduction with dither, channel mixing. No files, no threads of its own, no
//! allocation per call once a processor is built.

pub mod dither;
pub mod mix;
