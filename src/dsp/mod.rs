//! Pure signal processing: sample-rate conversion ([`resample`]), bit-depth
//! reduction with dither ([`dither`]), channel mixing ([`mix`]), loudness and
//! levels ([`loudness`]) and the measurements used to prove them ([`measure`]).
//!
//! This room only turns numbers into numbers. It must not open files, start
//! threads of its own (the parallel helpers borrow a rayon pool for one call),
//! or allocate per call once an object is built: streaming state is sized at
//! construction and callers own every output buffer.

// unsafe: one AVX2 quantiser, called only after runtime detection.
#[allow(unsafe_code)]
pub mod dither;
pub mod loudness;
pub mod measure;
pub mod meter;
pub mod mix;
pub mod render;
pub mod resample;
pub mod true_peak;

pub use render::{Render, Silence};
pub use resample::{resample_all, resample_parallel, Quality, ResampleError, Resampler};
