//! FLAC: a decoder of our own that decodes exactly as libFLAC does, and an
//! encoder. PLACEHOLDER being written by helpers.

mod bitwriter;
mod decode;
mod encode;
mod encode_frame;
mod encode_lpc;
mod md5;

pub use decode::{looks_like_frame_header, FlacReader};
pub use encode::FlacWriter;
