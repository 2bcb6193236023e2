//! FLAC: a decoder of our own that decodes exactly as libFLAC does (checked
//! against `flac -d`), and an encoder that matches `flac -5` in size and beats
//! it in speed. Neither may panic on any input or allocate per frame.

mod bitreader;
mod bitwriter;
mod crc;
mod decode;
mod encode;
// unsafe: the AVX2/BMI2 frame decoder, called only after runtime detection.
#[allow(unsafe_code)]
mod frame;
mod md5;
mod verify;

pub use decode::{first_whole_frame, looks_like_frame_header, FlacReader, BARE_SEARCH};
pub use encode::FlacWriter;
