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
mod tests {
    use super::*;
    use crate::format::FourCC;
    use crate::io::symphonia::tests::{ffmpeg_f32, has_encoder, have_ffmpeg, read_all_f32, snr_db};
    use crate::io::{AudioReader, Codec, Container, Source};
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// Stereo, music-like: two tones and pink noise.
    const STEREO: &str = "sine=f=440:d=3[a];sine=f=1234:d=3[b];anoisesrc=d=3:c=pink:a=0.1:seed=1[c];\
                          [a][b][c]amix=inputs=3,aformat=channel_layouts=stereo";
    /// Mono for SILK at 12 kb/s: a wobbling tone with a little noise.
    const MONO: &str = "sine=f=220:d=3,vibrato=f=5:d=0.5[a];anoisesrc=d=3:c=pink:a=0.05:seed=2[b];\
                        [a][b]amix=inputs=2,aformat=sample_rates=16000:channel_layouts=mono";
    /// Mono, speech-like for seeking: syllable-rate bursts of band-passed
    /// noise. (SILK's long-term predictor makes a steady tone converge only
    /// slowly after a seek, in libopus as here.)
    const SPEECHY: &str = "anoisesrc=d=3:c=pink:a=0.5:seed=4,bandpass=f=700:width_type=o:w=2,\
                           tremolo=f=4:d=0.9,aformat=sample_rates=16000:channel_layouts=mono";
    /// 5.1: a different tone (and some noise) in every channel.
    const SURROUND: &str = "sine=f=300:d=3[a];sine=f=500:d=3[b];sine=f=700:d=3[c];\
                            sine=f=60:d=3[d];sine=f=1100:d=3[e];anoisesrc=d=3:c=pink:a=0.2:seed=3[f];\
                            [a][b][c][d][e][f]join=inputs=6:channel_layout=5.1";

    fn make(dir: &Path, name: &str, graph: &str, args: &[&str]) -> PathBuf {
        let path = dir.join(name);
        let st = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y", "-filter_complex", graph])
            .args(["-c:a", "libopus"])
            .args(args)
            .arg(&path)
            .status()
            .expect("ffmpeg runs");
        assert!(st.success(), "ffmpeg failed making {name}");
        path
    }

    /// ffmpeg's decode as f32 with the given decoder (`opus` is ffmpeg's own,
    /// `libopus` the reference library).
    fn ffmpeg_with(path: &Path, decoder: &str) -> Vec<f32> {
        let out = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-c:a", decoder, "-i"])
            .arg(path)
            .args(["-f", "f32le", "-"])
            .output()
            .expect("ffmpeg runs");
        assert!(out.status.success(), "ffmpeg failed decoding {}", path.display());
        out.stdout.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
    }

    fn has_decoder(name: &str) -> bool {
        let out = Command::new("ffmpeg").args(["-hide_banner", "-decoders"]).output().expect("ffmpeg runs");
        String::from_utf8_lossy(&out.stdout).lines().any(|l| l.split_whitespace().nth(1) == Some(name))
    }

    fn ready() -> bool {
        have_ffmpeg() && has_encoder("libopus")
    }

    /// Decodes through the probe (`coremusic::io::open`) and against ffmpeg
    /// (its libopus decoder when it has one, the reference implementation;
    /// else its own): same frame count, sample-aligned, every channel at
    /// least 60 dB SNR. Returns the SNR in dB.
    fn compare(path: &Path, channels: usize) -> f64 {
        let mut r = crate::io::open(path).expect("coremusic opens the .opus");
        let info = r.info().clone();
        assert_eq!(info.codec, Codec::Opus);
        assert_eq!(info.container, Container::Ogg);
        assert_eq!(info.format.format_id, FourCC::OPUS);
        assert_eq!(info.sample_rate(), 48000);
        assert_eq!(info.sample_format, None);
        assert_eq!(info.bits_per_sample, None);
        assert_eq!(info.channels(), channels);
        let ours = read_all_f32(r.as_mut());
        let native = ffmpeg_f32(path);
        let reference = has_decoder("libopus").then(|| ffmpeg_with(path, "libopus"));
        let warnings = r.take_warnings();
        eprintln!(
            "{}: {} frames (header {:?}), ffmpeg {} frames, SNR vs ffmpeg's opus decoder {:.1} dB, \
             vs libopus {}, layout {}, warnings {warnings:?}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or(""),
            ours.len() / channels,
            info.frames,
            native.len() / channels,
            snr_db(&ours, &native),
            reference.as_ref().map_or("-".to_string(), |t| format!("{:.1} dB", snr_db(&ours, t))),
            info.layout.describe(),
        );
        assert_eq!(ours.len(), native.len(), "frame count differs from ffmpeg");
        let theirs = reference.unwrap_or(native);
        let snr = snr_db(&ours, &theirs);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(ours.len(), theirs.len(), "frame count differs from ffmpeg");
        assert_eq!(info.frames, Some((ours.len() / channels) as u64));
        let n = ours.len();
        let ch = channels;
        let shifted = snr_db(&ours[ch..n], &theirs[..n - ch]);
        assert!(snr > shifted + 10.0, "not aligned: {snr} vs shifted {shifted}");
        // Channel by channel (catches a wrong surround order).
        for c in 0..ch {
            let a: Vec<f32> = ours.iter().skip(c).step_by(ch).copied().collect();
            let b: Vec<f32> = theirs.iter().skip(c).step_by(ch).copied().collect();
            let s = snr_db(&a, &b);
            assert!(s >= 60.0, "channel {c}: SNR {s:.1} dB");
        }
        snr
    }

    #[test]
    fn stereo_matches_ffmpeg() {
        if !ready() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = make(dir.path(), "s.opus", STEREO, &["-b:a", "128k"]);
        let snr = compare(&path, 2);
        assert!(snr >= 60.0, "stereo SNR {snr}");
        let r = crate::io::open(&path).expect("open");
        assert_eq!(r.info().layout.describe(), "Stereo");
    }

    #[test]
    fn mono_silk_matches_ffmpeg() {
        if !ready() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = make(dir.path(), "m.opus", MONO, &["-b:a", "12k", "-application", "voip"]);
        let snr = compare(&path, 1);
        assert!(snr >= 60.0, "mono SILK SNR {snr}");
    }

    #[test]
    fn surround_5_1_matches_ffmpeg() {
        if !ready() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = make(dir.path(), "6.opus", SURROUND, &["-b:a", "256k", "-mapping_family", "1"]);
        let snr = compare(&path, 6);
        assert!(snr >= 60.0, "5.1 SNR {snr}");
        let r = crate::io::open(&path).expect("open");
        eprintln!("5.1 layout: {}", r.info().layout.describe());
    }

    /// After a seek the fixed-point decoder has converged (400 ms pre-roll):
    /// CELT audio equals a straight decode, or nearly (≥ 60 dB), from the
    /// first frame; SILK is close (its predictor needs longer); all aligned.
    #[test]
    fn seeks_are_accurate() {
        if !ready() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let stereo = make(dir.path(), "s.opus", STEREO, &["-b:a", "128k"]);
        let mono = make(dir.path(), "m.opus", SPEECHY, &["-b:a", "12k", "-application", "voip"]);
        let surround = make(dir.path(), "6.opus", SURROUND, &["-b:a", "256k", "-mapping_family", "1"]);
        seek_report(&stereo, Some(60.0));
        seek_report(&surround, Some(60.0));
        seek_report(&mono, Some(30.0));
    }

    /// Seeks to several frames; the audio there must equal a straight decode,
    /// or (`min_snr`) be that close to it and sample-aligned.
    fn seek_report(path: &Path, min_snr: Option<f64>) {
        let mut r = crate::io::open(path).expect("open");
        let ch = r.info().channels();
        let all = read_all_f32(r.as_mut());
        let frames = (all.len() / ch) as u64;
        let mut report = Vec::new();
        for target in [0u64, 1, 311, 960, 4097, 20000, frames / 3, frames / 2 + 17, frames - 100, frames, frames + 5] {
            let landed = r.seek(target).expect("seek");
            assert_eq!(landed, target.min(frames), "seek landed elsewhere");
            let mut buf = vec![0f32; 2000 * ch];
            let n = r.read_f32(&mut buf).expect("read after seek");
            assert_eq!(n as u64, (frames - landed).min(2000), "frames after seek to {target}");
            let at = landed as usize * ch;
            let got = &buf[..n * ch];
            let want = &all[at..at + n * ch];
            if got == want {
                report.push(format!("{target}: exact"));
            } else {
                let snr = snr_db(got, want);
                report.push(format!("{target}: {snr:.1} dB"));
                let min = min_snr.unwrap_or(f64::INFINITY);
                assert!(snr >= min, "audio after seek to {target}: SNR {snr}");
                let shifted = snr_db(&got[ch..], &want[..want.len() - ch]);
                assert!(snr > shifted + 10.0, "seek to {target} not aligned");
            }
        }
        eprintln!("{} seeks: {}", path.file_name().and_then(|n| n.to_str()).unwrap_or(""), report.join(", "));
    }

    /// The Ogg page checksum (CRC-32, polynomial 0x04c11db7, unreflected).
    fn ogg_crc(data: &[u8]) -> u32 {
        let mut crc = 0u32;
        for &b in data {
            crc ^= u32::from(b) << 24;
            for _ in 0..8 {
                crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04c1_1db7 } else { crc << 1 };
            }
        }
        crc
    }

    /// One Ogg page holding whole `packets` (fewer than 255 segments).
    fn ogg_page(kind: u8, granule: u64, seq: u32, packets: &[&[u8]]) -> Vec<u8> {
        let mut lacing = Vec::new();
        for p in packets {
            lacing.extend(std::iter::repeat_n(255u8, p.len() / 255));
            lacing.push((p.len() % 255) as u8);
        }
        assert!(lacing.len() < 256);
        let mut page = b"OggS\0".to_vec();
        page.push(kind);
        page.extend_from_slice(&granule.to_le_bytes());
        page.extend_from_slice(&0x0C0F_FEE0u32.to_le_bytes());
        page.extend_from_slice(&seq.to_le_bytes());
        page.extend_from_slice(&[0; 4]);
        page.push(lacing.len() as u8);
        page.extend_from_slice(&lacing);
        for p in packets {
            page.extend_from_slice(p);
        }
        let crc = ogg_crc(&page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        page
    }

    fn opus_head(channels: u8, pre_skip: u16, gain: i16, family: u8, table: &[u8]) -> Vec<u8> {
        let mut h = b"OpusHead".to_vec();
        h.push(1);
        h.push(channels);
        h.extend_from_slice(&pre_skip.to_le_bytes());
        h.extend_from_slice(&48000u32.to_le_bytes());
        h.extend_from_slice(&gain.to_le_bytes());
        h.push(family);
        h.extend_from_slice(table);
        h
    }

    fn opus_tags() -> Vec<u8> {
        let mut t = b"OpusTags".to_vec();
        t.extend_from_slice(&4u32.to_le_bytes());
        t.extend_from_slice(b"test");
        t.extend_from_slice(&0u32.to_le_bytes());
        t
    }

    use crate::test_support::XorShift64 as Rng;

    /// Reads until the end or an error, never more than `cap` calls.
    fn drain(r: &mut dyn AudioReader, cap: usize) -> (usize, Option<String>) {
        let mut buf = vec![0f32; 4096 * r.info().channels().max(1)];
        let mut total = 0;
        for _ in 0..cap {
            match r.read_f32(&mut buf) {
                Ok(0) => return (total, None),
                Ok(n) => total += n,
                Err(e) => return (total, Some(e.to_string())),
            }
        }
        panic!("the reader did not end after {cap} reads");
    }

    #[test]
    fn head_parsing_validates_everything() {
        let stereo = opus_head(2, 312, -256, 0, &[]);
        let h = OpusHead::parse(&stereo).expect("valid stereo head");
        assert_eq!((h.channels, h.pre_skip, h.gain, h.streams, h.coupled), (2, 312, -256, 1, 1));
        let six = opus_head(6, 312, 0, 1, &[4, 2, 0, 4, 1, 2, 3, 5]);
        let h = OpusHead::parse(&six).expect("valid 5.1 head");
        assert_eq!(&h.mapping[..6], &[0, 4, 1, 2, 3, 5]);
        let bad: [(&str, Vec<u8>); 9] = [
            ("short", stereo[..15].to_vec()),
            ("magic", b"OpusHeaX".iter().chain(&stereo[8..]).copied().collect()),
            ("no channels", opus_head(0, 0, 0, 0, &[])),
            ("3 ch family 0", opus_head(3, 0, 0, 0, &[])),
            ("9 ch family 1", opus_head(9, 0, 0, 1, &[9, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])),
            ("no streams", opus_head(2, 0, 0, 1, &[0, 0, 0, 1])),
            ("coupled > streams", opus_head(2, 0, 0, 1, &[1, 2, 0, 1])),
            ("table cut", opus_head(6, 0, 0, 1, &[4, 2, 0, 4, 1])),
            ("table names channel 6", opus_head(6, 0, 0, 1, &[4, 2, 0, 4, 1, 2, 3, 6])),
        ];
        for (what, b) in bad {
            assert!(OpusHead::parse(&b).is_err(), "{what} accepted");
        }
        assert!(matches!(OpusHead::parse(&opus_head(4, 0, 0, 2, &[1, 0, 0, 1, 2, 3])), Err(SymError::Unsupported(_))));
        // Muted channels (255) are allowed.
        assert!(OpusHead::parse(&opus_head(2, 0, 0, 1, &[1, 0, 0, 255])).is_ok());
        // Fuzz: any bytes after the magic, no panic.
        let mut rng = Rng(0x1234_5678_9ABC_DEF1);
        for _ in 0..20_000 {
            let n = (rng.next() % 40) as usize;
            let mut b = b"OpusHead".to_vec();
            b.extend(rng.bytes(n));
            if let Ok(h) = OpusHead::parse(&b) {
                assert!((1..=8).contains(&h.channels));
            }
        }
    }

    #[test]
    fn bad_mapping_table_is_an_error() {
        // Family 1, 6 channels, 4 streams (2 coupled) = 6 decoded channels; the table names 6.
        let head = opus_head(6, 312, 0, 1, &[4, 2, 0, 4, 1, 2, 3, 6]);
        let mut file = ogg_page(2, 0, 0, &[&head]);
        file.extend(ogg_page(0, 0, 1, &[&opus_tags()]));
        file.extend(ogg_page(4, 960, 2, &[&[0xFC, 0xFF, 0xFE]]));
        let e = crate::io::open_source(Source::memory(file)).err().expect("refused");
        assert!(e.to_string().contains("mapping table"), "{e}");
    }

    /// Ogg pages of random bytes behind a valid OpusHead: no panic, no hang;
    /// what does not decode is skipped with warnings or ends in an error.
    #[test]
    fn random_packets_are_no_panic_no_hang() {
        for (seed, channels, family) in [(1u64, 2u8, 0u8), (2, 1, 0), (3, 6, 1), (4, 2, 0)] {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed);
            let head = if family == 1 {
                opus_head(channels, 312, 0, 1, &[4, 2, 0, 4, 1, 2, 3, 5])
            } else {
                opus_head(channels, 312, 0, 0, &[])
            };
            let mut file = ogg_page(2, 0, 0, &[&head]);
            file.extend(ogg_page(0, 0, 1, &[&opus_tags()]));
            let mut granule = 0u64;
            for seq in 2..40u32 {
                let packets: Vec<Vec<u8>> = (0..10)
                    .map(|_| {
                        let n = 1 + (rng.next() % 300) as usize;
                        rng.bytes(n)
                    })
                    .collect();
                let refs: Vec<&[u8]> = packets.iter().map(|p| p.as_slice()).collect();
                granule += 9600;
                file.extend(ogg_page(if seq == 39 { 4 } else { 0 }, granule, seq, &refs));
            }
            // And a page whose body is pure noise (a bad checksum, then resync).
            let mut junk = ogg_page(0, granule + 960, 40, &[&rng.bytes(200)]);
            let len = junk.len();
            junk[30..len].copy_from_slice(&rng.bytes(len - 30));
            file.extend(junk);
            match crate::io::open_source(Source::memory(file)) {
                Err(e) => eprintln!("random packets ({channels} ch): open failed: {e}"),
                Ok(mut r) => {
                    let (frames, err) = drain(r.as_mut(), 10_000);
                    let warnings = r.take_warnings();
                    eprintln!(
                        "random packets ({channels} ch): {frames} frames, error {err:?}, {} warnings (first {:?})",
                        warnings.len(),
                        warnings.first()
                    );
                    // Nothing is handed out past the last granule position.
                    assert!(frames as u64 <= granule);
                }
            }
        }
    }

    /// OpusHead followed by random bytes in the header page itself.
    #[test]
    fn random_header_bytes_are_errors() {
        let mut rng = Rng(0xDEAD_BEEF_0BAD_F00D);
        let mut errors = 0;
        for _ in 0..300 {
            let mut head = b"OpusHead".to_vec();
            let n = 11 + (rng.next() % 20) as usize;
            head.extend(rng.bytes(n));
            let mut file = ogg_page(2, 0, 0, &[&head]);
            file.extend(ogg_page(0, 0, 1, &[&opus_tags()]));
            file.extend(ogg_page(4, 960, 2, &[&[0xFC, 0xFF, 0xFE]]));
            match crate::io::open_source(Source::memory(file)) {
                Err(_) => errors += 1,
                Ok(mut r) => {
                    drain(r.as_mut(), 1000);
                }
            }
        }
        eprintln!("random OpusHead bodies: {errors} of 300 refused at open");
        assert!(errors > 200, "only {errors} of 300 random heads refused");
    }

    #[test]
    fn output_gain_is_applied() {
        if !ready() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = make(dir.path(), "s.opus", STEREO, &["-b:a", "128k"]);
        let mut bytes = std::fs::read(&path).expect("read");
        // Patch the first page: OpusHead gain = −6 dB (Q7.8), new checksum.
        let segs = usize::from(bytes[26]);
        let body: usize = bytes[27..27 + segs].iter().map(|&l| usize::from(l)).sum();
        let head = 27 + segs;
        assert_eq!(&bytes[head..head + 8], b"OpusHead");
        bytes[head + 16..head + 18].copy_from_slice(&(-6i16 * 256).to_le_bytes());
        bytes[22..26].fill(0);
        let crc = ogg_crc(&bytes[..head + body]);
        bytes[22..26].copy_from_slice(&crc.to_le_bytes());
        let quiet = dir.path().join("quiet.opus");
        std::fs::write(&quiet, &bytes).expect("write");

        let snr = compare(&quiet, 2);
        assert!(snr >= 60.0, "gain −6 dB: SNR {snr}");
        let loud = read_all_f32(crate::io::open(&path).expect("open").as_mut());
        let soft = read_all_f32(crate::io::open(&quiet).expect("open").as_mut());
        let rms = |v: &[f32]| (v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        let ratio = rms(&soft) / rms(&loud);
        eprintln!("output gain −6 dB: level ratio {ratio:.4} (expect {:.4})", 10f64.powf(-6.0 / 20.0));
        assert!((ratio - 10f64.powf(-6.0 / 20.0)).abs() < 0.005, "ratio {ratio}");
    }

    #[test]
    fn truncated_file_decodes_what_is_there() {
        if !ready() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = make(dir.path(), "s.opus", STEREO, &["-b:a", "128k"]);
        let full = read_all_f32(crate::io::open(&path).expect("open").as_mut());
        let mut bytes = std::fs::read(&path).expect("read");
        bytes.truncate(bytes.len() * 6 / 10 + 77);
        // Symphonia hands out the packets of whole (checksummed) pages: the
        // frames there are those up to the last complete page's granule
        // position, less the pre-skip (OpusHead at byte 28, pre-skip at +10).
        assert_eq!(&bytes[28..36], b"OpusHead");
        let pre_skip = u64::from(u16::from_le_bytes([bytes[38], bytes[39]]));
        let (mut pos, mut last) = (0usize, 0u64);
        while let Some(&segs) = bytes.get(pos + 26) {
            let hdr = 27 + usize::from(segs);
            let Some(lacing) = bytes.get(pos + 27..pos + hdr) else { break };
            let end = pos + hdr + lacing.iter().map(|&l| usize::from(l)).sum::<usize>();
            if end > bytes.len() {
                break;
            }
            let granule = i64::from_le_bytes(bytes[pos + 6..pos + 14].try_into().expect("8"));
            if granule > 0 {
                last = granule as u64;
            }
            pos = end;
        }
        let mut r = crate::io::open_source(Source::memory(bytes)).expect("open truncated");
        let got = read_all_f32(r.as_mut());
        let warnings = r.take_warnings();
        eprintln!(
            "truncated opus: {} of {} frames (whole pages hold {}), warnings {warnings:?}",
            got.len() / 2,
            full.len() / 2,
            last - pre_skip
        );
        assert_eq!((got.len() / 2) as u64, last - pre_skip);
        assert!(got.len() < full.len());
        assert!(got[..] == full[..got.len()], "the frames there differ from a full decode");
        assert!(!warnings.is_empty(), "no warning for a truncated file");
    }

    /// Decode speed of a 60 s stereo file, against ffmpeg. Prints only; run with
    /// `cargo test --release --lib opus_decode_speed -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn opus_decode_speed() {
        if !ready() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let graph = "sine=f=440:d=60[a];sine=f=1234:d=60[b];anoisesrc=d=60:c=pink:a=0.1:seed=1[c];\
                     [a][b][c]amix=inputs=3,aformat=channel_layouts=stereo";
        let path = make(dir.path(), "long.opus", graph, &["-b:a", "128k"]);
        let mut best = f64::MAX;
        let mut frames = 0;
        for _ in 0..3 {
            let t = std::time::Instant::now();
            let mut r = crate::io::open(&path).expect("open");
            let mut buf = vec![0f32; 4096 * 2];
            frames = 0;
            loop {
                let n = r.read_f32(&mut buf).expect("read");
                if n == 0 {
                    break;
                }
                frames += n;
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        let mut ff = f64::MAX;
        for _ in 0..3 {
            let t = std::time::Instant::now();
            let st = Command::new("ffmpeg")
                .args(["-hide_banner", "-loglevel", "error", "-i"])
                .arg(&path)
                .args(["-f", "s16le", "-y", "/dev/null"])
                .status()
                .expect("ffmpeg");
            assert!(st.success());
            ff = ff.min(t.elapsed().as_secs_f64());
        }
        let secs = frames as f64 / 48000.0;
        eprintln!(
            "60 s stereo Opus: coremusic {:.3} s ({:.0}× real time), ffmpeg {:.3} s ({:.0}× real time)",
            best,
            secs / best,
            ff,
            secs / ff
        );
    }
}
