//! FLAC: a decoder of our own that decodes exactly as libFLAC does, and an
//! encoder. PLACEHOLDER being written by helpers.

mod bitreader;
mod decode;
mod encode;
mod frame;

pub use decode::{looks_like_frame_header, FlacReader};
pub use encode::FlacWriter;
