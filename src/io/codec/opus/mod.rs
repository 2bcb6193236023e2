//! Opus for symphonia: an [`AudioDecoder`] over `ropus` (a pure-Rust port
//! of the fixed-point libopus decoder), so the symphonia adapter decodes
//! Ogg Opus like any other codec.
//!
//! The decoder reads the stream's `OpusHead` (the codec's `extra_data`):
//! channel mapping family 0 (mono, stereo) runs one Opus decoder, family 1
//! (Vorbis channel order, up to 8 channels) runs the multistream decoder with
//! the head's mapping table and reorders the channels into symphonia's
//! canonical (WAVE mask) order. The head's output gain is applied by the
//! decoder, as libopus does. Output is 16-bit at 48 kHz, planar, with the
//! packet's start/end trims applied; the pre-skip is the caller's (the
//! adapter drops it as lead-in so that seeking stays sample-accurate).
//!
//! Must not panic on any header or packet bytes (the head is validated
//! before it reaches `ropus`, whose calls the adapter also runs behind its
//! panic boundary), and must not allocate per packet: the interleaved
//! scratch and the planar buffer are sized once for the longest Opus packet
//! (120 ms).

use symphonia::core::audio::{
    AsGenericAudioBufferRef, AudioBuffer, AudioMut, AudioSpec, Channels, GenericAudioBufferRef, Position,
};
use symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS;
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions, FinalizeResult};
use symphonia::core::codecs::registry::{RegisterableAudioDecoder, SupportedAudioCodec};
use symphonia::core::codecs::CodecInfo;
use symphonia::core::errors::{Error as SymError, Result as SymResult};
use symphonia::core::packet::PacketRef;

use ropus::opus::decoder::OpusDecoder as RopusDecoder;
use ropus::opus::multistream::OpusMSDecoder;

/// Opus always decodes at 48 kHz here.
pub(crate) const OPUS_RATE: u32 = 48_000;
/// The longest Opus packet: 120 ms at 48 kHz.
const MAX_FRAMES: usize = 5760;
/// Channels the Vorbis mapping (family 1) defines.
const MAX_CHANNELS: usize = 8;
/// Frames decoded before a seek target so the decoder has converged
/// (RFC 7845 §4.6 recommends at least 80 ms).
pub(crate) const SEEK_PREROLL: u64 = 19200;

const INFO: CodecInfo =
    CodecInfo { short_name: "opus", long_name: "Opus (ropus, fixed-point libopus port)", profiles: &[] };

/// The fields of an `OpusHead` (RFC 7845 §5.1) the decoder needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OpusHead {
    /// Output channels (1..=8).
    pub channels: usize,
    /// Frames at 48 kHz to drop from the start of the decoded stream.
    pub pre_skip: u16,
    /// Output gain in Q7.8 dB.
    pub gain: i16,
    /// Channel mapping family: 0 or 1.
    pub family: u8,
    /// Opus streams in each packet.
    pub streams: u8,
    /// How many of the streams are stereo (coupled).
    pub coupled: u8,
    /// For each output channel (in Vorbis order), the decoded channel it
    /// takes, or 255 for silence.
    pub mapping: [u8; MAX_CHANNELS],
}

impl OpusHead {
    /// Parses and validates an identification header. Every field the
    /// decoders rely on is checked here, so `ropus` never sees a bad layout.
    /// Refusals of what is valid but not handled are
    /// [`SymError::Unsupported`]; broken headers are [`SymError::DecodeError`].
    pub fn parse(b: &[u8]) -> SymResult<Self> {
        use SymError::{DecodeError as Bad, Unsupported};
        if b.get(..8) != Some(&b"OpusHead"[..]) {
            return Err(Unsupported("opus: the codec setup is not an OpusHead"));
        }
        let field = |at: usize| b.get(at).copied().ok_or(Bad("opus: the OpusHead is cut short"));
        let version = field(8)?;
        if version >> 4 != 0 {
            return Err(Unsupported("opus: OpusHead version 16 or later"));
        }
        let channels = usize::from(field(9)?);
        let pre_skip = u16::from_le_bytes([field(10)?, field(11)?]);
        let gain = i16::from_le_bytes([field(16)?, field(17)?]);
        let family = field(18)?;
        let mut mapping = [255u8; MAX_CHANNELS];
        let (streams, coupled) = match family {
            0 => {
                if !(1..=2).contains(&channels) {
                    return Err(Bad("opus: mapping family 0 allows only 1 or 2 channels"));
                }
                mapping[0] = 0;
                mapping[1] = 1;
                (1u8, (channels - 1) as u8)
            }
            1 => {
                if !(1..=MAX_CHANNELS).contains(&channels) {
                    return Err(Bad("opus: mapping family 1 allows 1 to 8 channels"));
                }
                let streams = field(19)?;
                let coupled = field(20)?;
                if streams == 0 || coupled > streams {
                    return Err(Bad("opus: bad stream counts in the OpusHead"));
                }
                let decoded = u16::from(streams) + u16::from(coupled);
                if decoded > 255 {
                    return Err(Bad("opus: too many streams in the OpusHead"));
                }
                let table = b.get(21..21 + channels).ok_or(Bad("opus: the OpusHead mapping table is cut short"))?;
                for (m, &t) in mapping.iter_mut().zip(table) {
                    if t != 255 && u16::from(t) >= decoded {
                        return Err(Bad("opus: the OpusHead mapping table names a missing channel"));
                    }
                    *m = t;
                }
                (streams, coupled)
            }
            2 | 3 => return Err(Unsupported("opus: ambisonic channel mapping (family 2/3)")),
            _ => return Err(Unsupported("opus: channel mapping family other than 0 and 1")),
        };
        Ok(OpusHead { channels, pre_skip, gain, family, streams, coupled, mapping })
    }
}

/// Speaker positions of the Vorbis channel order (RFC 7845 §5.1.1.2) for
/// 1 to 8 channels, in stream order.
fn vorbis_positions(channels: usize) -> &'static [Position] {
    const FL: Position = Position::FRONT_LEFT;
    const FR: Position = Position::FRONT_RIGHT;
    const FC: Position = Position::FRONT_CENTER;
    const LFE: Position = Position::LFE1;
    const RL: Position = Position::REAR_LEFT;
    const RR: Position = Position::REAR_RIGHT;
    const RC: Position = Position::REAR_CENTER;
    const SL: Position = Position::SIDE_LEFT;
    const SR: Position = Position::SIDE_RIGHT;
    match channels {
        // Mono is labelled front-left, as symphonia's Ogg reader does.
        1 => &[FL],
        2 => &[FL, FR],
        3 => &[FL, FC, FR],
        4 => &[FL, FR, RL, RR],
        5 => &[FL, FC, FR, RL, RR],
        6 => &[FL, FC, FR, RL, RR, LFE],
        7 => &[FL, FC, FR, SL, SR, RC, LFE],
        8 => &[FL, FC, FR, SL, SR, RL, RR, LFE],
        _ => &[],
    }
}

/// The output channels and, for each output plane (canonical, ascending
/// mask order), the stream channel it takes.
fn channel_order(channels: usize) -> (Channels, [usize; MAX_CHANNELS]) {
    let positions = vorbis_positions(channels);
    let mut order = [0usize; MAX_CHANNELS];
    let mut mask = Position::empty();
    for p in positions {
        mask |= *p;
    }
    let mut sorted: [(u64, usize); MAX_CHANNELS] = [(u64::MAX, 0); MAX_CHANNELS];
    for (i, p) in positions.iter().enumerate() {
        sorted[i] = (p.bits(), i);
    }
    sorted[..positions.len()].sort_unstable();
    for (o, (_, src)) in order.iter_mut().zip(sorted.iter()) {
        *o = *src;
    }
    (Channels::Positioned(mask), order)
}

enum Inner {
    /// Family 0: one stream.
    Single(Box<RopusDecoder>),
    /// Family 1: several streams and a mapping table.
    Multi(Box<OpusMSDecoder>),
}

/// A symphonia [`AudioDecoder`] for Opus over `ropus`.
pub struct OpusDecoder {
    params: AudioCodecParameters,
    inner: Inner,
    channels: usize,
    /// Output plane → channel of the interleaved decoder output.
    order: [usize; MAX_CHANNELS],
    /// Interleaved decoder output, `MAX_FRAMES * channels`.
    scratch: Vec<i16>,
    buf: AudioBuffer<i16>,
    gapless: bool,
}

fn ropus_message(code: i32) -> &'static str {
    match code {
        -1 => "opus: bad argument to the decoder",
        -2 => "opus: the packet decodes to more than 120 ms",
        -3 => "opus: internal decoder error",
        -4 => "opus: corrupted packet",
        _ => "opus: the packet does not decode",
    }
}

impl OpusDecoder {
    /// Makes a decoder from the codec parameters, whose `extra_data` must be
    /// the stream's `OpusHead`.
    pub fn try_new(params: &AudioCodecParameters, opts: &AudioDecoderOptions) -> SymResult<Self> {
        if params.codec != CODEC_ID_OPUS {
            return Err(SymError::Unsupported("opus: not an Opus stream"));
        }
        let extra =
            params.extra_data.as_deref().ok_or(SymError::Unsupported("opus: no OpusHead in the codec setup"))?;
        let head = OpusHead::parse(extra)?;
        let rate = OPUS_RATE as i32;
        let gain = i32::from(head.gain);
        let inner = if head.family == 0 {
            let mut d =
                RopusDecoder::new(rate, head.channels as i32).map_err(|c| SymError::DecodeError(ropus_message(c)))?;
            d.set_gain(gain).map_err(|c| SymError::DecodeError(ropus_message(c)))?;
            Inner::Single(Box::new(d))
        } else {
            let mut d = OpusMSDecoder::new(
                rate,
                head.channels as i32,
                i32::from(head.streams),
                i32::from(head.coupled),
                &head.mapping[..head.channels],
            )
            .map_err(|c| SymError::DecodeError(ropus_message(c)))?;
            d.set_gain(gain);
            Inner::Multi(Box::new(d))
        };
        let (own_channels, own_order) = channel_order(head.channels);
        // Family 0 is never reordered; family 1 is Vorbis order.
        let order = if head.family == 0 { [0, 1, 2, 3, 4, 5, 6, 7] } else { own_order };
        let channels = match &params.channels {
            Some(c @ Channels::Positioned(_)) if c.count() == head.channels => c.clone(),
            _ => own_channels,
        };
        let mut out_params = params.clone();
        out_params
            .with_sample_rate(OPUS_RATE)
            .with_sample_format(symphonia::core::audio::sample::SampleFormat::S16)
            .with_channels(channels.clone())
            .with_max_frames_per_packet(MAX_FRAMES as u64);
        Ok(OpusDecoder {
            params: out_params,
            inner,
            channels: head.channels,
            order,
            scratch: vec![0i16; MAX_FRAMES * head.channels],
            buf: AudioBuffer::new(AudioSpec::new(OPUS_RATE, channels), MAX_FRAMES),
            gapless: opts.gapless,
        })
    }

    fn decode_inner(&mut self, packet: &PacketRef<'_>) -> SymResult<()> {
        let data = packet.data;
        if data.is_empty() {
            return Err(SymError::DecodeError("opus: empty packet"));
        }
        let len = i32::try_from(data.len()).map_err(|_| SymError::DecodeError("opus: packet too large"))?;
        let max = MAX_FRAMES as i32;
        let decoded = match &mut self.inner {
            Inner::Single(d) => d.decode(Some(data), &mut self.scratch, max, false),
            Inner::Multi(d) => d.decode(Some(data), len, &mut self.scratch, max, false),
        };
        let n = decoded.map_err(|c| SymError::DecodeError(ropus_message(c)))?;
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n <= MAX_FRAMES)
            .ok_or(SymError::DecodeError("opus: the decoder returned a bad length"))?;
        self.buf.render_uninit(Some(n));
        let ch = self.channels;
        let src = &self.scratch[..n * ch];
        match ch {
            1 => {
                if let Some(p) = self.buf.plane_mut(0) {
                    p[..n].copy_from_slice(src);
                }
            }
            2 => {
                if let Some((l, r)) = self.buf.plane_pair_mut(0, 1) {
                    for ((l, r), f) in l[..n].iter_mut().zip(&mut r[..n]).zip(src.chunks_exact(2)) {
                        *l = f[0];
                        *r = f[1];
                    }
                }
            }
            _ => {
                for (plane, &from) in self.order[..ch].iter().enumerate() {
                    if let Some(p) = self.buf.plane_mut(plane) {
                        for (d, s) in p[..n].iter_mut().zip(src.iter().skip(from).step_by(ch)) {
                            *d = *s;
                        }
                    }
                }
            }
        }
        if self.gapless {
            let start = usize::try_from(packet.trim_start.get()).unwrap_or(usize::MAX);
            let end = usize::try_from(packet.trim_end.get()).unwrap_or(usize::MAX);
            self.buf.trim(start, end);
        }
        Ok(())
    }
}

impl AudioDecoder for OpusDecoder {
    fn reset(&mut self) {
        match &mut self.inner {
            Inner::Single(d) => d.reset(),
            Inner::Multi(d) => d.reset(),
        }
        self.buf.clear();
    }

    fn codec_info(&self) -> &CodecInfo {
        &INFO
    }

    fn codec_params(&self) -> &AudioCodecParameters {
        &self.params
    }

    fn decode_ref(&mut self, packet: &PacketRef<'_>) -> SymResult<GenericAudioBufferRef<'_>> {
        self.buf.clear();
        match self.decode_inner(packet) {
            Ok(()) => Ok(self.buf.as_generic_audio_buffer_ref()),
            Err(e) => {
                self.buf.clear();
                Err(e)
            }
        }
    }

    fn finalize(&mut self) -> FinalizeResult {
        FinalizeResult::default()
    }

    fn last_decoded(&self) -> GenericAudioBufferRef<'_> {
        self.buf.as_generic_audio_buffer_ref()
    }
}

impl RegisterableAudioDecoder for OpusDecoder {
    fn try_registry_new(params: &AudioCodecParameters, opts: &AudioDecoderOptions) -> SymResult<Box<dyn AudioDecoder>>
    where
        Self: Sized,
    {
        Ok(Box::new(OpusDecoder::try_new(params, opts)?))
    }

    fn supported_codecs() -> &'static [SupportedAudioCodec] {
        &[SupportedAudioCodec { id: CODEC_ID_OPUS, info: INFO }]
    }
}

#[cfg(test)]
mod tests;
