//! The Opus encoders behind [`super::opus_encode::OpusWriter`]: the system's
//! libopus (float build, through `audiopus`) on Linux and Windows, ropus (the
//! pure-Rust fixed-point port) on macOS and when asked for, and ropus's
//! multistream encoder for 3 to 8 channels (RFC 7845 mapping family 1, the
//! Vorbis channel order) everywhere.
//!
//! Everything else about the file (Ogg paging, pre-skip, granules, tags,
//! cover) is the writer's and the same for every encoder.

use ropus::{Application, Bitrate, Channels, Encoder, OpusMSEncoder};

use super::lossy::{EncoderSettings, OpusApplication};
use crate::io::WriteError;

/// Which Opus encoder makes the packets of a mono or stereo stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpusEngine {
    /// The system's libopus (not in macOS builds).
    Libopus,
    /// ropus, the pure-Rust fixed-point port of libopus.
    Ropus,
}

impl OpusEngine {
    /// The build's encoder: libopus where it is linked (not macOS), else ropus.
    /// `COREMUSIC_OPUS_ENCODER=ropus` picks ropus anywhere (for comparing
    /// the two, as `benches/lossy_compare.sh` does).
    pub fn for_build() -> Self {
        if cfg!(target_os = "macos") || std::env::var("COREMUSIC_OPUS_ENCODER").is_ok_and(|v| v == "ropus") {
            OpusEngine::Ropus
        } else {
            OpusEngine::Libopus
        }
    }
}

/// The most channels written (mapping family 1 ends at 7.1).
pub const MAX_OPUS_CHANNELS: usize = 8;

/// One encoder, coding 20 ms frames of interleaved f32.
pub(crate) enum OpusCoder {
    Ropus(Box<Encoder>),
    /// With an i16 frame buffer (ropus's multistream encoder takes 16 bits).
    Surround(Box<OpusMSEncoder>, Vec<i16>),
    #[cfg(not(target_os = "macos"))]
    Libopus(audiopus::coder::Encoder),
}

/// The mapping family 1 header fields: streams, coupled streams, and the
/// stream channel of each output channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mapping {
    pub streams: u8,
    pub coupled: u8,
    pub table: Vec<u8>,
}

fn encoder_error(e: impl std::fmt::Display) -> WriteError {
    WriteError::Encoder(format!("opus: {e}"))
}

fn code_error(what: &str, code: i32) -> WriteError {
    WriteError::Encoder(format!("opus: {what} failed (libopus error {code})"))
}

/// WAVE/SMPTE channel order (what CoreMusic's readers give) to the Vorbis
/// order of mapping family 1: entry `i` is the source channel of Vorbis
/// channel `i`, for 3 to 8 channels.
pub(crate) fn vorbis_order(channels: usize) -> &'static [usize] {
    match channels {
        3 => &[0, 2, 1],                // L C R
        4 => &[0, 1, 2, 3],             // FL FR RL RR
        5 => &[0, 2, 1, 3, 4],          // FL C FR RL RR
        6 => &[0, 2, 1, 4, 5, 3],       // FL C FR RL RR LFE
        7 => &[0, 2, 1, 5, 6, 4, 3],    // FL C FR SL SR RC LFE
        8 => &[0, 2, 1, 6, 7, 4, 5, 3], // FL C FR SL SR RL RR LFE
        _ => &[0, 1],
    }
}

impl OpusCoder {
    /// An encoder for `channels` at 48 kHz with `settings` (already
    /// checked); the mapping when it is multistream.
    pub fn new(
        engine: OpusEngine,
        channels: usize,
        settings: &EncoderSettings,
    ) -> Result<(Self, Option<Mapping>), WriteError> {
        let app = settings.application.unwrap_or_default();
        let complexity = settings.complexity.unwrap_or(10);
        let vbr = settings.vbr.unwrap_or(true);
        if channels > 2 {
            let ropus_app = match app {
                OpusApplication::Audio => ropus::OPUS_APPLICATION_AUDIO,
                OpusApplication::Voip => ropus::OPUS_APPLICATION_VOIP,
                OpusApplication::Lowdelay => ropus::OPUS_APPLICATION_RESTRICTED_LOWDELAY,
            };
            let (mut e, streams, coupled, table) = OpusMSEncoder::new_surround(48_000, channels as i32, 1, ropus_app)
                .map_err(|c| code_error("the surround encoder", c))?;
            // opusenc's default: 64 kb/s a stream and 32 more for a coupled one.
            let kbps = settings.bitrate.map_or(64 * streams + 32 * coupled, |b| b as i32);
            for (what, code) in [
                ("bitrate", e.set_bitrate(kbps * 1000)),
                ("complexity", e.set_complexity(i32::from(complexity))),
                ("vbr", e.set_vbr(i32::from(vbr))),
                ("vbr constraint", e.set_vbr_constraint(0)),
            ] {
                if code != ropus::OPUS_OK {
                    return Err(code_error(what, code));
                }
            }
            let mapping = Mapping { streams: streams as u8, coupled: coupled as u8, table };
            return Ok((OpusCoder::Surround(Box::new(e), Vec::with_capacity(960 * channels)), Some(mapping)));
        }
        let kbps = settings.bitrate.unwrap_or(if channels == 1 { 64 } else { 128 });
        match engine {
            #[cfg(not(target_os = "macos"))]
            OpusEngine::Libopus => {
                use audiopus::{coder::Encoder as Lib, Application as A, Bitrate as B, Channels as C, SampleRate};
                let a = match app {
                    OpusApplication::Audio => A::Audio,
                    OpusApplication::Voip => A::Voip,
                    OpusApplication::Lowdelay => A::LowDelay,
                };
                let c = if channels == 1 { C::Mono } else { C::Stereo };
                let mut e = Lib::new(SampleRate::Hz48000, c, a).map_err(encoder_error)?;
                e.set_bitrate(B::BitsPerSecond(kbps as i32 * 1000)).map_err(encoder_error)?;
                e.set_complexity(complexity).map_err(encoder_error)?;
                e.set_vbr(vbr).map_err(encoder_error)?;
                // Unconstrained VBR, as opusenc and ffmpeg's libopus use by default.
                e.set_vbr_constraint(false).map_err(encoder_error)?;
                Ok((OpusCoder::Libopus(e), None))
            }
            _ => {
                let application = match app {
                    OpusApplication::Audio => Application::Audio,
                    OpusApplication::Voip => Application::Voip,
                    OpusApplication::Lowdelay => Application::RestrictedLowDelay,
                };
                let ch = if channels == 1 { Channels::Mono } else { Channels::Stereo };
                let e = Encoder::builder(48_000, ch, application)
                    .bitrate(Bitrate::Bits(kbps * 1000))
                    .complexity(complexity)
                    .vbr(vbr)
                    .vbr_constraint(false)
                    .build()
                    .map_err(encoder_error)?;
                Ok((OpusCoder::Ropus(Box::new(e)), None))
            }
        }
    }

    /// The encoder's look-ahead in 48 kHz frames (the pre-skip).
    pub fn lookahead(&self) -> Result<u32, WriteError> {
        Ok(match self {
            OpusCoder::Ropus(e) => e.lookahead(),
            OpusCoder::Surround(e, _) => e.get_lookahead().max(0) as u32,
            #[cfg(not(target_os = "macos"))]
            OpusCoder::Libopus(e) => e.lookahead().map_err(encoder_error)?,
        })
    }

    /// The name recorded in the `encoder` tag.
    pub fn name(&self) -> &'static str {
        match self {
            OpusCoder::Ropus(_) | OpusCoder::Surround(..) => "CoreMusic (ropus)",
            #[cfg(not(target_os = "macos"))]
            OpusCoder::Libopus(_) => "CoreMusic (libopus)",
        }
    }

    /// Codes one 20 ms frame of interleaved `pcm` (in the writer's channel
    /// order) into `out`; the packet's length.
    pub fn encode(&mut self, pcm: &[f32], out: &mut [u8]) -> Result<usize, WriteError> {
        match self {
            OpusCoder::Ropus(e) => e.encode_float(pcm, out).map_err(encoder_error),
            OpusCoder::Surround(e, buf) => {
                let ch = e.nb_channels() as usize;
                let order = vorbis_order(ch);
                buf.clear();
                for frame in pcm.chunks_exact(ch) {
                    buf.extend(order.iter().map(|&s| (frame[s] * 32768.0).round().clamp(-32768.0, 32767.0) as i16));
                }
                let frames = (pcm.len() / ch) as i32;
                let n = e.encode(buf, frames, out, out.len() as i32).map_err(|c| code_error("encoding", c))?;
                Ok(n as usize)
            }
            #[cfg(not(target_os = "macos"))]
            OpusCoder::Libopus(e) => e.encode_float(pcm, out).map_err(encoder_error),
        }
    }
}
