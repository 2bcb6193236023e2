//! What audio *is*, independent of any file: the stream description
//! ([`AudioFormat`], CoreAudio's AudioStreamBasicDescription), four-character
//! codes, sample formats and channel layouts.
//!
//! This room holds plain data and pure conversions only. It must not read
//! files, allocate per sample, or know about any container.

mod channels;
mod fourcc;
mod sample;

pub use channels::{Channel, ChannelLayout};
pub use fourcc::FourCC;
pub use sample::{f32_to_int, int_to_f32, round_to_i32, SampleFormat};

/// Bit flags of [`AudioFormat::format_flags`], with CoreAudio's values.
pub mod flags {
    /// Samples are IEEE floating point.
    pub const IS_FLOAT: u32 = 1 << 0;
    /// Samples are stored big-endian.
    pub const IS_BIG_ENDIAN: u32 = 1 << 1;
    /// Integer samples are signed.
    pub const IS_SIGNED_INTEGER: u32 = 1 << 2;
    /// Sample bits fill their bytes (no padding).
    pub const IS_PACKED: u32 = 1 << 3;
    /// When not packed, samples are aligned to the high bits.
    pub const IS_ALIGNED_HIGH: u32 = 1 << 4;
    /// Each channel is in its own buffer.
    pub const IS_NON_INTERLEAVED: u32 = 1 << 5;
}

/// A stream description: the Rust equivalent of CoreAudio's
/// `AudioStreamBasicDescription`.
///
/// For linear PCM every field is exact. For compressed formats
/// `bytes_per_packet` is 0 when packets vary in size, and
/// `bits_per_channel` is 0 when the codec has no fixed sample depth.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct AudioFormat {
    /// Frames per second.
    pub sample_rate: f64,
    /// The codec, e.g. `lpcm`, `alac`, `aac `, `flac`.
    pub format_id: FourCC,
    /// See [`flags`].
    pub format_flags: u32,
    /// Bytes in one packet, or 0 if packets vary in size.
    pub bytes_per_packet: u32,
    /// Frames in one packet (1 for PCM), or 0 if it varies.
    pub frames_per_packet: u32,
    /// Bytes in one frame of PCM, or 0 for compressed formats.
    pub bytes_per_frame: u32,
    /// Channels in one frame.
    pub channels_per_frame: u32,
    /// Significant bits of one sample, or 0 if not applicable.
    pub bits_per_channel: u32,
}

impl AudioFormat {
    /// Interleaved, packed linear PCM of the given sample format.
    pub fn linear_pcm(sample_rate: f64, channels: u32, sample: SampleFormat, big_endian: bool) -> Self {
        let bytes = sample.bytes() as u32;
        let mut format_flags = flags::IS_PACKED;
        if sample.is_float() {
            format_flags |= flags::IS_FLOAT;
        } else if sample != SampleFormat::U8 {
            format_flags |= flags::IS_SIGNED_INTEGER;
        }
        if big_endian {
            format_flags |= flags::IS_BIG_ENDIAN;
        }
        AudioFormat {
            sample_rate,
            format_id: FourCC::LPCM,
            format_flags,
            bytes_per_packet: bytes * channels,
            frames_per_packet: 1,
            bytes_per_frame: bytes * channels,
            channels_per_frame: channels,
            bits_per_channel: sample.bits(),
        }
    }

    /// A compressed format with variable packets.
    pub fn compressed(sample_rate: f64, format_id: FourCC, channels: u32, frames_per_packet: u32) -> Self {
        AudioFormat {
            sample_rate,
            format_id,
            format_flags: 0,
            bytes_per_packet: 0,
            frames_per_packet,
            bytes_per_frame: 0,
            channels_per_frame: channels,
            bits_per_channel: 0,
        }
    }

    /// True for linear PCM.
    pub fn is_pcm(&self) -> bool {
        self.format_id == FourCC::LPCM
    }

    /// True when [`flags::IS_FLOAT`] is set.
    pub fn is_float(&self) -> bool {
        self.format_flags & flags::IS_FLOAT != 0
    }

    /// True when [`flags::IS_BIG_ENDIAN`] is set.
    pub fn is_big_endian(&self) -> bool {
        self.format_flags & flags::IS_BIG_ENDIAN != 0
    }

    /// True when [`flags::IS_NON_INTERLEAVED`] is set.
    pub fn is_non_interleaved(&self) -> bool {
        self.format_flags & flags::IS_NON_INTERLEAVED != 0
    }

    /// The flags as words, e.g. `signed integer, packed, little-endian`.
    pub fn describe_flags(&self) -> String {
        let mut words = Vec::new();
        if self.is_float() {
            words.push("float");
        } else if self.format_flags & flags::IS_SIGNED_INTEGER != 0 {
            words.push("signed integer");
        } else if self.is_pcm() {
            words.push("unsigned integer");
        }
        if self.format_flags & flags::IS_PACKED != 0 {
            words.push("packed");
        }
        if self.is_pcm() {
            words.push(if self.is_big_endian() { "big-endian" } else { "little-endian" });
        }
        if self.is_non_interleaved() {
            words.push("non-interleaved");
        }
        words.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_pcm_fields_match_coreaudio() {
        let f = AudioFormat::linear_pcm(44100.0, 2, SampleFormat::S16, false);
        assert_eq!(f.bytes_per_frame, 4);
        assert_eq!(f.bytes_per_packet, 4);
        assert_eq!(f.frames_per_packet, 1);
        assert_eq!(f.bits_per_channel, 16);
        assert_eq!(f.format_flags, flags::IS_PACKED | flags::IS_SIGNED_INTEGER);
        let f = AudioFormat::linear_pcm(48000.0, 1, SampleFormat::F32, true);
        assert!(f.is_float() && f.is_big_endian());
        assert_eq!(f.describe_flags(), "float, packed, big-endian");
    }
}
