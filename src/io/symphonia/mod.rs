//! Compressed formats through symphonia: MP4/M4A (AAC, ALAC), MPEG audio
//! (MP1/2/3), AAC in ADTS, Ogg (Vorbis, Opus, FLAC) and Matroska, plus ALAC
//! in CAF ([`open_caf_compressed`]). Opus is decoded by [`opus::OpusDecoder`]
//! (over `ropus`), registered next to symphonia's own codecs ([`codecs`]).
//!
//! [`SymphoniaReader`] adapts symphonia's demuxer and decoder to
//! [`AudioReader`]: it decodes one packet at a time and copies it straight
//! from the decoder's own buffer into the caller's (no per-call allocation),
//! keeping what did not fit for the next call. It applies what symphonia
//! leaves to the caller: the MP4 edit list (AAC priming and padding) and
//! sample-exact seeking (seek to the packet, then drop frames up to the one
//! asked for) and the Ogg Opus pre-skip. MP3 and Ogg end trimming is
//! symphonia's own.
//!
//! Third-party code is not trusted: every call into symphonia runs behind
//! `catch_unwind`, and a panic poisons the reader (every later call returns
//! the same [`ReadError::Decoder`]). A packet that fails to decode is skipped
//! with a warning, as ffmpeg does; a file that ends inside a packet ends
//! cleanly with a warning; too many failures or packets without audio in a row
//! are an error, never an endless loop. This module must not panic on any
//! input nor allocate in `read_*`.

use crate::io::codec::opus;
use crate::io::container::mp4::edits as mp4;
use crate::io::container::mpeg;

mod mp4_format;

use std::io::{Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use symphonia::core::audio::sample::SampleFormat as SymSampleFormat;
use symphonia::core::audio::{Channels, GenericAudioBufferRef};
use symphonia::core::codecs::audio::well_known as ids;
use symphonia::core::codecs::audio::{AudioCodecId, AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::codecs::registry::CodecRegistry;
use symphonia::core::errors::{Error as SymError, SeekErrorKind};
use symphonia::core::formats::probe::Hint as SymHint;
use symphonia::core::formats::well_known as fmt_ids;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo, Track, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::{MetadataOptions, MetadataRevision, RawValue, StandardTag, Tag};
use symphonia::core::units::{TimeBase, Timestamp};

use crate::format::{AudioFormat, ChannelLayout, FourCC, SampleFormat};
use crate::io::{AudioReader, Codec, Container, MediaSource, ReadError, ReadResult, Source, StreamInfo, Tags};

/// Which symphonia format reader the probe chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// MPEG-4 / QuickTime.
    Mp4,
    /// MPEG audio (MP1/2/3).
    MpegAudio,
    /// AAC ADTS.
    Adts,
    /// Ogg.
    Ogg,
    /// Matroska / WebM.
    Matroska,
}

impl Hint {
    fn extension(self) -> &'static str {
        match self {
            Hint::Mp4 => "m4a",
            Hint::MpegAudio => "mp3",
            Hint::Adts => "aac",
            Hint::Ogg => "ogg",
            Hint::Matroska => "mkv",
        }
    }

    fn container(self) -> Container {
        match self {
            Hint::Mp4 => Container::Mp4,
            Hint::MpegAudio => Container::MpegAudio,
            Hint::Adts => Container::Adts,
            Hint::Ogg => Container::Ogg,
            Hint::Matroska => Container::Matroska,
        }
    }
}

/// Packets in a row that may fail to decode before the stream is given up.
const MAX_FAILED_IN_A_ROW: u32 = 200;
/// Packets in a row that may give no audio (other tracks, empty packets) before giving up.
const MAX_SILENT_IN_A_ROW: u32 = 20_000;
/// Decode warnings kept word for word; later ones are only counted.
const MAX_WARNINGS: usize = 20;

/// [`Source`] as symphonia's media source, maybe followed by `zeros` zero
/// bytes (the missing end of a cut MPEG audio frame, see [`mpeg::MpegScan::zero_tail`]).
struct SymSource {
    src: Source,
    len: u64,
    zeros: u64,
    pos: u64,
}

impl SymSource {
    fn new(src: Source, zeros: u64) -> Self {
        let len = MediaSource::byte_len(&src);
        SymSource { src, len, zeros, pos: 0 }
    }
}

impl Read for SymSource {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos < self.len {
            let n = self.src.read(buf)?;
            self.pos += n as u64;
            if n > 0 || self.zeros == 0 {
                return Ok(n);
            }
            self.pos = self.len;
        }
        let left = (self.len + self.zeros).saturating_sub(self.pos);
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        buf[..n].fill(0);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SymSource {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        if self.zeros == 0 {
            self.pos = self.src.seek(pos)?;
            return Ok(self.pos);
        }
        let total = self.len + self.zeros;
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => total.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        }
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.src.seek(SeekFrom::Start(target.min(self.len)))?;
        self.pos = target;
        Ok(target)
    }
}

impl symphonia::core::io::MediaSource for SymSource {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len + self.zeros)
    }
}

/// Symphonia's default codecs plus CoreMusic's Opus decoder.
pub fn codecs() -> &'static CodecRegistry {
    static REGISTRY: OnceLock<CodecRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut registry);
        registry.register_audio_decoder::<opus::OpusDecoder>();
        registry
    })
}

/// Runs `f`, turning a panic into the message of the poisoning error.
fn guard<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        format!("the {what} crashed on this file: {msg}")
    })
}

fn sym_err(what: &str, e: SymError) -> ReadError {
    match e {
        SymError::IoError(io) if io.kind() != std::io::ErrorKind::UnexpectedEof => ReadError::Io(io),
        SymError::Unsupported(f) => ReadError::unsupported(format!("{what}: {f}")),
        e => ReadError::Decoder(format!("{what}: {e}")),
    }
}

/// What CoreMusic calls a symphonia codec, its four-character code, and
/// whether it is lossless.
fn codec_of(id: AudioCodecId) -> (Codec, FourCC) {
    use ids::*;
    match id {
        CODEC_ID_ALAC => (Codec::Alac, FourCC::ALAC),
        CODEC_ID_AAC => (Codec::Aac, FourCC::AAC),
        CODEC_ID_MP3 => (Codec::Mp3, FourCC::MP3),
        CODEC_ID_MP2 => (Codec::Mp2, FourCC(*b".mp2")),
        CODEC_ID_MP1 => (Codec::Mp1, FourCC(*b".mp1")),
        CODEC_ID_VORBIS => (Codec::Vorbis, FourCC::VORBIS),
        CODEC_ID_OPUS => (Codec::Opus, FourCC::OPUS),
        CODEC_ID_FLAC => (Codec::Flac, FourCC::FLAC),
        CODEC_ID_PCM_ALAW => (Codec::Alaw, FourCC::ALAW),
        CODEC_ID_PCM_MULAW => (Codec::Ulaw, FourCC::ULAW),
        CODEC_ID_ADPCM_IMA_QT | CODEC_ID_ADPCM_IMA_WAV => (Codec::ImaAdpcm, FourCC::IMA4),
        CODEC_ID_ADPCM_MS => (Codec::MsAdpcm, FourCC::MS_ADPCM),
        id if (CODEC_ID_PCM_S32LE..=CODEC_ID_PCM_F64BE_PLANAR).contains(&id) => (Codec::Pcm, FourCC::LPCM),
        other => {
            let name =
                codecs().get_audio_decoder(other).map(|d| d.codec.info.short_name.to_string()).unwrap_or_else(|| {
                    match other {
                        CODEC_ID_AC3 => "ac3".into(),
                        CODEC_ID_EAC3 => "eac3".into(),
                        CODEC_ID_WAVPACK => "wavpack".into(),
                        CODEC_ID_SPEEX => "speex".into(),
                        CODEC_ID_DCA => "dts".into(),
                        CODEC_ID_TRUEHD => "truehd".into(),
                        other => format!("codec {other}"),
                    }
                });
            (Codec::Other(name), FourCC(*b"????"))
        }
    }
}

fn container_of(format: symphonia::core::formats::FormatId, hint: Container) -> Container {
    match format {
        fmt_ids::FORMAT_ID_ISOMP4 => Container::Mp4,
        fmt_ids::FORMAT_ID_MP1 | fmt_ids::FORMAT_ID_MP2 | fmt_ids::FORMAT_ID_MP3 => Container::MpegAudio,
        fmt_ids::FORMAT_ID_ADTS => Container::Adts,
        fmt_ids::FORMAT_ID_OGG => Container::Ogg,
        fmt_ids::FORMAT_ID_MKV => Container::Matroska,
        fmt_ids::FORMAT_ID_CAF => Container::Caf,
        fmt_ids::FORMAT_ID_FLAC => Container::Flac,
        fmt_ids::FORMAT_ID_WAVE => Container::Wav,
        fmt_ids::FORMAT_ID_AIFF => Container::Aiff,
        _ => hint,
    }
}

fn layout_of(channels: &Channels, count: u32) -> ChannelLayout {
    match channels {
        Channels::Positioned(p) if p.bits() >> 18 == 0 => ChannelLayout::from_mask(p.bits() as u32, count),
        Channels::Positioned(_) | Channels::Discrete(_) | Channels::Ambisonic(_) | Channels::Custom(_) => {
            ChannelLayout::discrete(count)
        }
        _ => ChannelLayout::default_for(count),
    }
}

/// CoreMusic's key for a symphonia tag.
fn tag_key(tag: &Tag) -> String {
    let std = match &tag.std {
        Some(StandardTag::TrackTitle(_)) => "title",
        Some(StandardTag::Artist(_)) => "artist",
        Some(StandardTag::Album(_)) => "album",
        Some(StandardTag::AlbumArtist(_)) => "album_artist",
        Some(StandardTag::Composer(_)) => "composer",
        Some(StandardTag::Genre(_)) => "genre",
        Some(StandardTag::Comment(_)) => "comment",
        Some(StandardTag::TrackNumber(_)) => "track",
        Some(StandardTag::TrackTotal(_)) => "track_total",
        Some(StandardTag::DiscNumber(_)) => "disc",
        Some(StandardTag::DiscTotal(_)) => "disc_total",
        Some(StandardTag::Encoder(_)) => "encoder",
        Some(StandardTag::Copyright(_)) => "copyright",
        Some(StandardTag::Lyrics(_)) => "lyrics",
        Some(
            StandardTag::RecordingDate(_)
            | StandardTag::RecordingYear(_)
            | StandardTag::ReleaseDate(_)
            | StandardTag::ReleaseYear(_),
        ) => "date",
        _ => "",
    };
    if std.is_empty() {
        // Atoms symphonia does not map itself (©wrt is the iTunes composer).
        match tag.raw.key.as_str() {
            "\u{a9}wrt" => "composer".to_string(),
            key => key.to_ascii_lowercase(),
        }
    } else {
        std.to_string()
    }
}

fn push_revision(tags: &mut Tags, rev: &MetadataRevision) {
    let all = rev.media.tags.iter().chain(rev.per_track.iter().flat_map(|t| t.metadata.tags.iter()));
    for tag in all {
        let value = match &tag.raw.value {
            RawValue::String(s) => s.to_string(),
            RawValue::StringList(l) => l.join("; "),
            RawValue::UnsignedInt(v) => v.to_string(),
            RawValue::SignedInt(v) => v.to_string(),
            RawValue::Float(v) => v.to_string(),
            RawValue::Boolean(v) => v.to_string(),
            _ => continue,
        };
        tags.push(&tag_key(tag), &value);
    }
}

fn read_tags(format: &mut dyn FormatReader) -> Tags {
    let mut tags = Tags::default();
    let mut log = format.metadata();
    loop {
        if let Some(rev) = log.current() {
            push_revision(&mut tags, rev);
        }
        if log.pop().is_none() {
            break;
        }
    }
    tags
}

/// The bit depth and average bit rate of an ALAC magic cookie (Apple's
/// `ALACSpecificConfig`, maybe behind `frma` and `alac` atom headers).
fn alac_cookie(extra: &[u8]) -> Option<(u32, u32)> {
    let mut c = extra;
    for atom in [b"frma", b"alac"] {
        if c.get(4..8) == Some(&atom[..]) {
            c = c.get(12..)?;
        }
    }
    let depth = u32::from(*c.get(5)?);
    let rate = u32::from_be_bytes(c.get(16..20)?.try_into().ok()?);
    (1..=32).contains(&depth).then_some((depth, rate))
}

/// Converts between the track's timestamps and frames at the output rate.
#[derive(Debug, Clone, Copy)]
struct Clock {
    time_base: Option<TimeBase>,
    rate: u32,
}

impl Clock {
    fn frames_of(&self, ts: i64) -> i64 {
        match self.time_base {
            Some(tb) if self.rate > 0 => {
                let v = ts as i128 * tb.numer.get() as i128 * self.rate as i128 / tb.denom.get() as i128;
                v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
            }
            _ => ts,
        }
    }

    fn ts_of(&self, frames: u64) -> i64 {
        match self.time_base {
            Some(tb) if self.rate > 0 => {
                let v = frames as i128 * tb.denom.get() as i128 / (tb.numer.get() as i128 * self.rate as i128);
                v.clamp(0, i64::MAX as i128) as i64
            }
            _ => i64::try_from(frames).unwrap_or(i64::MAX),
        }
    }
}

/// A decoder for one audio track of a symphonia format.
pub struct SymphoniaReader {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    info: StreamInfo,
    codec_label: String,
    channels: usize,
    /// Right shift from symphonia's full-scale i32 to the stream's depth.
    int_shift: u32,
    clock: Clock,
    /// Frames of the decoder's last buffer still to hand out: `cur..end`.
    cur: usize,
    end: usize,
    /// Output frame index of the next frame handed out.
    position: u64,
    /// Media frames before output frame 0 (MP4 edit list priming).
    lead: u64,
    /// Output frames the stream holds at most (edit list), if bounded.
    limit: Option<u64>,
    /// Frames decoded before a seek target (see `preroll` in `from_format`).
    preroll: u64,
    /// Frames still to drop (priming at the start, then up to a seek target).
    discard: u64,
    /// After a seek: the media frame asked for, settled on the first decoded packet.
    seek_target: Option<u64>,
    eof: bool,
    decoded_any: bool,
    failed: u64,
    failed_in_a_row: u32,
    warned_truncated: bool,
    poisoned: Option<String>,
    /// An error met after frames were already handed out, for the next call.
    pending_error: Option<ReadError>,
    warnings: Vec<String>,
    warnings_dropped: u64,
    /// Chapter marks (MP4).
    chapters: Vec<crate::io::Chapter>,
    /// MPEG audio whose length CoreMusic found itself ([`mpeg::scan`]): the
    /// demuxer's end trimming (from its own estimate) is undone and `limit`
    /// cuts at the scanned length instead.
    own_end: bool,
}

impl SymphoniaReader {
    /// Opens a stream the probe identified as `hint`: MP4, MPEG audio, ADTS,
    /// Ogg or Matroska. Reads the headers and decodes the first packet, so a
    /// stream that cannot be decoded at all fails here.
    pub fn open(source: Source, hint: Hint) -> ReadResult<Box<dyn AudioReader>> {
        Ok(Box::new(Self::open_with(source, Some(hint))?))
    }

    fn open_with(source: Source, hint: Option<Hint>) -> ReadResult<Self> {
        if hint == Some(Hint::Mp4) {
            // CoreMusic's own MP4 demuxer first; symphonia's reader is kept
            // for what it does not take (PCM in QuickTime…).
            match mp4_format::open(source) {
                Ok(o) => {
                    let mut reader = Self::from_format(Box::new(o.format), Container::Mp4, o.edit, None)?;
                    reader.info.tags = o.tags;
                    reader.chapters = o.chapters;
                    let mut w = o.warnings;
                    w.append(&mut reader.warnings);
                    reader.warnings = w;
                    return Ok(reader);
                }
                Err((e, Some(mut back))) => {
                    back.seek(SeekFrom::Start(0))?;
                    return Self::open_symphonia(back, hint).map_err(|_| e);
                }
                Err((e, None)) => return Err(e),
            }
        }
        Self::open_symphonia(source, hint)
    }

    fn open_symphonia(mut source: Source, hint: Option<Hint>) -> ReadResult<Self> {
        let len = MediaSource::byte_len(&source);
        let edit = if hint == Some(Hint::Mp4) {
            let edit = mp4::first_audio_edit(&mut source, len);
            source.seek(SeekFrom::Start(0))?;
            edit
        } else {
            None
        };
        // MPEG audio: the real length, from the frames present (symphonia's
        // guess counts tag bytes as audio and trusts a cut file's Xing header).
        let scan = if hint == Some(Hint::MpegAudio) {
            let scan = mpeg::scan(&mut source, len);
            source.seek(SeekFrom::Start(0))?;
            scan
        } else {
            None
        };
        let mss = MediaSourceStream::new(
            Box::new(SymSource::new(source, scan.as_ref().map_or(0, |s| s.zero_tail))),
            MediaSourceStreamOptions::default(),
        );
        let hint_container = hint.map_or(Container::Caf, Hint::container);
        let what = format!("{} reader", hint_container.long_name());
        let format: Box<dyn FormatReader> = match hint {
            Some(h) => {
                let mut sym_hint = SymHint::new();
                sym_hint.with_extension(h.extension());
                let probed = guard(&what, || {
                    symphonia::default::get_probe().probe(
                        &sym_hint,
                        mss,
                        FormatOptions::default(),
                        MetadataOptions::default(),
                    )
                })
                .map_err(ReadError::Decoder)?;
                probed.map_err(|e| match e {
                    SymError::IoError(io) if io.kind() != std::io::ErrorKind::UnexpectedEof => ReadError::Io(io),
                    e => ReadError::UnknownFormat(format!("no {} stream found ({e})", hint_container.long_name())),
                })?
            }
            None => {
                let made =
                    guard(&what, || symphonia::default::formats::CafReader::try_new(mss, FormatOptions::default()))
                        .map_err(ReadError::Decoder)?;
                Box::new(made.map_err(|e| sym_err("CAF", e))?)
            }
        };
        Self::from_format(format, hint_container, edit, scan)
    }

    fn from_format(
        mut format: Box<dyn FormatReader>,
        hint: Container,
        edit: Option<mp4::Edit>,
        scan: Option<mpeg::MpegScan>,
    ) -> ReadResult<Self> {
        let container = container_of(format.format_info().format, hint);
        let track: Track =
            format.tracks().iter().find(|t| t.track_type() == Some(TrackType::Audio)).cloned().ok_or_else(|| {
                ReadError::unsupported(format!("{}: the file has no audio track", container.long_name()))
            })?;
        let params: AudioCodecParameters = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .cloned()
            .ok_or_else(|| ReadError::unsupported("an audio track without codec parameters"))?;
        let (codec, fourcc) = codec_of(params.codec);
        if let Codec::Other(name) = &codec {
            return Err(ReadError::unsupported(format!("codec: {name} in {}", container.long_name())));
        }
        if codec == Codec::Opus && container != Container::Ogg {
            // Outside Ogg the pre-skip and end trimming are not handed over.
            return Err(ReadError::unsupported(format!(
                "codec: Opus in {} (only Ogg Opus is decoded)",
                container.long_name()
            )));
        }
        let codec_label = format!("{} decoder", codec.name());
        let made =
            guard(&codec_label, || codecs().make_audio_decoder(&params, &AudioDecoderOptions::default().gapless(true)))
                .map_err(ReadError::Decoder)?;
        let decoder = made.map_err(|e| sym_err(&codec_label, e))?;
        let tags = read_tags(format.as_mut());
        // The decoder has read the codec's own setup (ALAC's cookie…): prefer its view.
        let dec_params = decoder.codec_params().clone();
        let cookie = match codec {
            Codec::Alac => params.extra_data.as_deref().and_then(alac_cookie),
            _ => None,
        };
        let params = AudioCodecParameters {
            bits_per_sample: cookie.map(|c| c.0).or(dec_params.bits_per_sample).or(params.bits_per_sample),
            sample_format: dec_params.sample_format.or(params.sample_format),
            max_frames_per_packet: dec_params.max_frames_per_packet.or(params.max_frames_per_packet),
            sample_rate: params.sample_rate.or(dec_params.sample_rate),
            channels: params.channels.clone().or(dec_params.channels),
            ..params
        };

        let rate = params.sample_rate.unwrap_or(0);
        let count = params.channels.as_ref().map_or(0, |c| c.count()) as u32;
        let lossless = codec.is_lossless();
        let is_float = matches!(params.sample_format, Some(SymSampleFormat::F32 | SymSampleFormat::F64));
        let bits = if lossless {
            if is_float {
                Some(if matches!(params.sample_format, Some(SymSampleFormat::F64)) { 64 } else { 32 })
            } else {
                params.bits_per_sample.filter(|b| (1..=32).contains(b))
            }
        } else {
            None
        };
        let sample_format = match (lossless, is_float, bits) {
            (false, _, _) => None,
            (true, true, Some(64)) => Some(SampleFormat::F64),
            (true, true, _) => Some(SampleFormat::F32),
            (true, false, Some(b)) => SampleFormat::for_int_bits(b),
            (true, false, None) => None,
        };
        let int_shift = match (is_float, bits) {
            (false, Some(b)) => 32 - b,
            _ => 0,
        };
        let known = params.max_frames_per_packet.and_then(|f| u32::try_from(f).ok());
        let frames_per_packet = match codec {
            Codec::Vorbis | Codec::Opus => 0,
            Codec::Mp3 | Codec::Mp2 => 1152,
            Codec::Mp1 => 384,
            Codec::Aac => known.unwrap_or(1024),
            _ => known.unwrap_or(0),
        };
        // Frames decoded before a seek target so that the decoder's overlap
        // and bit reservoir are primed when it is reached.
        let preroll = match codec {
            Codec::Aac => 2 * u64::from(frames_per_packet.max(1024)),
            Codec::Mp3 | Codec::Mp2 | Codec::Mp1 => 3 * 1152,
            Codec::Vorbis => 8192,
            Codec::Opus => opus::SEEK_PREROLL,
            _ => 0,
        };
        let mut fmt = AudioFormat::compressed(rate as f64, fourcc, count, frames_per_packet);
        if let Some(b) = bits.filter(|_| lossless) {
            fmt.bits_per_channel = b;
        }
        if codec == Codec::Pcm {
            if let Some(sf) = sample_format {
                fmt = AudioFormat::linear_pcm(rate as f64, count, sf, false);
            }
        }
        let (lead, limit) = match edit {
            Some(e) if rate > 0 => e.in_frames(rate),
            // Ogg Opus granule positions count the pre-skip, which symphonia's
            // Ogg reader leaves in the stream: it is lead-in, like an MP4
            // edit list's priming, so that seeks stay sample-accurate.
            _ if codec == Codec::Opus => (u64::from(track.delay.unwrap_or(0)), None),
            _ => (0, None),
        };
        // A scan that agrees with the decoder's rate replaces symphonia's count.
        let scan = scan.filter(|s| {
            matches!(codec, Codec::Mp3 | Codec::Mp2 | Codec::Mp1) && s.sample_rate == rate && s.samples_per_frame > 0
        });
        let limit = scan.as_ref().map(mpeg::MpegScan::pcm_frames).or(limit);
        // The scan's tags, read by precedence (ID3v2 over APE over ID3v1),
        // instead of symphonia's, which joins them all.
        let tags = match scan.as_ref() {
            Some(s) if !s.tags.is_empty() => s.tags.clone(),
            _ => tags,
        };
        let frames = match (limit, track.num_frames) {
            (Some(keep), _) => Some(keep),
            // For Ogg Opus this is num_frames − pre-skip.
            (None, Some(n)) => Some(n.saturating_sub(lead)),
            (None, None) => None,
        };
        let info = StreamInfo {
            container,
            codec,
            format: fmt,
            sample_format,
            bits_per_sample: bits,
            frames,
            layout: params.channels.as_ref().map_or_else(|| ChannelLayout::default_for(count), |c| layout_of(c, count)),
            // ALAC cookies often carry the PCM rate (ffmpeg writes it) as avgBitRate:
            // the report averages over the file instead.
            bit_rate: None,
            tags,
        };
        let mut reader = SymphoniaReader {
            format,
            decoder,
            track_id: track.id,
            info,
            codec_label,
            channels: count as usize,
            int_shift,
            clock: Clock { time_base: track.time_base, rate },
            cur: 0,
            end: 0,
            position: 0,
            lead,
            limit,
            preroll,
            discard: lead,
            seek_target: None,
            eof: false,
            decoded_any: false,
            failed: 0,
            failed_in_a_row: 0,
            warned_truncated: false,
            poisoned: None,
            pending_error: None,
            warnings: Vec::new(),
            warnings_dropped: 0,
            chapters: Vec::new(),
            own_end: scan.is_some(),
        };
        if let Some(w) = scan.as_ref().and_then(mpeg::MpegScan::truncation_warning) {
            reader.warned_truncated = true;
            reader.warn(w);
        }
        // Decode the first packet: it proves the stream decodes and tells the
        // real channel count and rate (HE-AAC, parametric stereo).
        reader.next_block()?;
        if reader.decoded_any {
            let spec_channels;
            let spec_rate;
            {
                let buf = reader.decoder.last_decoded();
                spec_channels = buf.spec().channels().count() as u32;
                spec_rate = buf.spec().rate();
                if reader.channels == 0 || reader.channels != spec_channels as usize {
                    reader.info.layout = layout_of(buf.spec().channels(), spec_channels);
                }
            }
            if spec_channels != reader.info.format.channels_per_frame {
                reader.info.format.channels_per_frame = spec_channels;
                reader.channels = spec_channels as usize;
            }
            if spec_rate > 0 && spec_rate != rate {
                reader.info.format.sample_rate = spec_rate as f64;
                reader.clock.rate = spec_rate;
            }
        } else if reader.failed > 0 {
            return Err(ReadError::Decoder(format!(
                "no packet of this {} stream could be decoded ({} failed)",
                reader.info.codec.name(),
                reader.failed
            )));
        }
        if reader.channels == 0 {
            if reader.decoded_any {
                return Err(ReadError::unsupported("a stream with no channels"));
            }
            // An empty stream: nothing will ever be read.
            reader.info.format.channels_per_frame = 1;
            reader.info.layout = ChannelLayout::default_for(1);
            reader.channels = 1;
        }
        Ok(reader)
    }

    fn warn(&mut self, msg: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(msg);
        } else {
            self.warnings_dropped += 1;
        }
    }

    fn poison(&mut self, msg: String) -> ReadError {
        self.poisoned = Some(msg.clone());
        ReadError::Decoder(msg)
    }

    fn finish(&mut self) {
        self.eof = true;
        self.cur = 0;
        self.end = 0;
        if !self.warned_truncated && self.seek_target.is_none() {
            if let Some(total) = self.info.frames {
                // Less than a packet short is a muxer rounding up to whole
                // packets (ffmpeg's ALAC in CAF), not a lost tail.
                let slack = u64::from(self.info.format.frames_per_packet.max(1));
                if self.position.saturating_add(slack) <= total && self.limit.is_none_or(|l| self.position < l) {
                    self.warned_truncated = true;
                    self.warn(format!(
                        "the stream ends after {} of the {} frames its header announces (truncated file?)",
                        self.position, total
                    ));
                }
            }
        }
    }

    /// Decodes the next packet of the track into the decoder's buffer and
    /// sets `cur..end`. Returns false at the end of the stream.
    fn next_block(&mut self) -> ReadResult<bool> {
        let mut silent = 0u32;
        loop {
            if self.eof {
                return Ok(false);
            }
            if self.limit.is_some_and(|l| self.position >= l) {
                self.eof = true;
                return Ok(false);
            }
            silent += 1;
            if silent > MAX_SILENT_IN_A_ROW {
                return Err(self.poison(format!("{MAX_SILENT_IN_A_ROW} packets in a row gave no audio")));
            }
            let label = format!("{} demuxer", self.info.container.long_name());
            let next = match guard(&label, || self.format.next_packet()) {
                Ok(r) => r,
                Err(msg) => return Err(self.poison(msg)),
            };
            let mut packet = match next {
                Ok(Some(p)) => p,
                Ok(None) => {
                    self.finish();
                    return Ok(false);
                }
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    if !self.warned_truncated {
                        self.warned_truncated = true;
                        self.warn(format!(
                            "the file ends inside a packet after {} frames (truncated file)",
                            self.position.saturating_add((self.end - self.cur) as u64)
                        ));
                    }
                    self.finish();
                    return Ok(false);
                }
                Err(SymError::ResetRequired) => {
                    self.warn("the stream changes format midway (chained stream); only the first part is read".into());
                    self.finish();
                    return Ok(false);
                }
                Err(SymError::DecodeError(e)) => {
                    self.failed += 1;
                    self.failed_in_a_row += 1;
                    if self.failed_in_a_row > MAX_FAILED_IN_A_ROW {
                        return Err(
                            self.poison(format!("the demuxer failed {MAX_FAILED_IN_A_ROW} times in a row: {e}"))
                        );
                    }
                    self.warn(format!("skipped damaged data: {e}"));
                    continue;
                }
                Err(e) => return Err(sym_err(&label, e)),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            if self.own_end {
                packet.trim_end = symphonia::core::units::Duration::ZERO;
            }
            let channels = self.channels;
            let codec_label = self.codec_label.clone();
            let decoded = match guard(&codec_label, || {
                self.decoder.decode(&packet).map(|b: GenericAudioBufferRef<'_>| (b.frames(), b.num_planes()))
            }) {
                Ok(r) => r,
                Err(msg) => return Err(self.poison(msg)),
            };
            let (frames, planes) = match decoded {
                Ok(fp) => fp,
                Err(SymError::DecodeError(_) | SymError::IoError(_) | SymError::LimitError(_)) => {
                    let e = decoded.err().map(|e| e.to_string()).unwrap_or_default();
                    self.failed += 1;
                    self.failed_in_a_row += 1;
                    if self.failed_in_a_row > MAX_FAILED_IN_A_ROW {
                        return Err(
                            self.poison(format!("{MAX_FAILED_IN_A_ROW} packets in a row failed to decode (last: {e})"))
                        );
                    }
                    let at = self.clock.frames_of(packet.pts.get());
                    self.warn(format!("skipped a packet that does not decode (near frame {at}): {e}"));
                    continue;
                }
                Err(e) => return Err(sym_err(&codec_label, e)),
            };
            self.failed_in_a_row = 0;
            if frames == 0 {
                continue;
            }
            if channels != 0 && planes != channels {
                self.failed += 1;
                self.warn(format!("skipped a packet with {planes} channels in a {channels}-channel stream"));
                continue;
            }
            self.decoded_any = true;
            self.cur = 0;
            self.end = frames;
            if let Some(target) = self.seek_target.take() {
                let start = self.clock.frames_of(packet.pts.get().saturating_add_unsigned(packet.trim_start.get()));
                let start = start.max(0) as u64;
                if start <= target {
                    self.discard = target - start;
                } else {
                    // Landed after the target (a stream that cannot go back that far).
                    self.discard = 0;
                    self.position = start.saturating_sub(self.lead);
                }
            }
            if self.discard > 0 {
                let d = self.discard.min(frames as u64) as usize;
                self.cur = d;
                self.discard -= d as u64;
                if self.cur == self.end {
                    silent = 0;
                    continue;
                }
            }
            if let Some(l) = self.limit {
                let left = l.saturating_sub(self.position);
                let have = (self.end - self.cur) as u64;
                if have > left {
                    self.end = self.cur + left as usize;
                }
            }
            return Ok(true);
        }
    }

    /// Fills `out` with whole frames; `copy` moves `n` frames from the
    /// decoder's buffer (starting at `cur`) into a slice.
    fn fill<T: Copy>(
        &mut self,
        out: &mut [T],
        copy: fn(&GenericAudioBufferRef<'_>, std::ops::Range<usize>, &mut [T]),
    ) -> ReadResult<usize> {
        if let Some(msg) = &self.poisoned {
            return Err(ReadError::Decoder(msg.clone()));
        }
        if let Some(e) = self.pending_error.take() {
            return Err(e);
        }
        let ch = self.channels.max(1);
        let want = out.len() / ch;
        let mut done = 0usize;
        while done < want {
            if self.cur < self.end {
                let n = (want - done).min(self.end - self.cur);
                let range = self.cur..self.cur + n;
                let dst = &mut out[done * ch..(done + n) * ch];
                let decoder = &self.decoder;
                if let Err(msg) = guard(&self.codec_label, || copy(&decoder.last_decoded(), range, dst)) {
                    return Err(self.poison(msg));
                }
                self.cur += n;
                done += n;
                self.position += n as u64;
                continue;
            }
            match self.next_block() {
                Ok(true) => {}
                Ok(false) => break,
                // Hand out what was decoded; the error comes with the next call.
                Err(e) if done > 0 => {
                    self.pending_error = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        if done == 0 && self.eof && !self.decoded_any && self.failed > 0 {
            return Err(ReadError::Decoder(format!(
                "no packet of this {} stream could be decoded",
                self.info.codec.name()
            )));
        }
        Ok(done)
    }
}

fn copy_f32(buf: &GenericAudioBufferRef<'_>, range: std::ops::Range<usize>, dst: &mut [f32]) {
    buf.slice(range).copy_to_slice_interleaved(dst);
}

fn copy_i32(buf: &GenericAudioBufferRef<'_>, range: std::ops::Range<usize>, dst: &mut [i32]) {
    buf.slice(range).copy_to_slice_interleaved(dst);
}

impl AudioReader for SymphoniaReader {
    fn info(&self) -> &StreamInfo {
        &self.info
    }

    fn read_f32(&mut self, out: &mut [f32]) -> ReadResult<usize> {
        self.fill(out, copy_f32)
    }

    fn read_i32(&mut self, out: &mut [i32]) -> ReadResult<usize> {
        let n = self.fill(out, copy_i32)?;
        if self.int_shift > 0 {
            let shift = self.int_shift;
            for s in &mut out[..n * self.channels] {
                *s >>= shift;
            }
        }
        Ok(n)
    }

    fn seek(&mut self, frame: u64) -> ReadResult<u64> {
        if let Some(msg) = &self.poisoned {
            return Err(ReadError::Decoder(msg.clone()));
        }
        let total = self.info.frames.or(self.limit);
        let target = total.map_or(frame, |t| frame.min(t));
        self.cur = 0;
        self.end = 0;
        self.discard = 0;
        self.failed_in_a_row = 0;
        self.pending_error = None;
        if total == Some(target) {
            self.position = target;
            self.eof = true;
            return Ok(target);
        }
        let media = target.saturating_add(self.lead);
        let ts = self.clock.ts_of(media.saturating_sub(self.preroll));
        let label = format!("{} demuxer", self.info.container.long_name());
        let track_id = self.track_id;
        let seeked = match guard(&label, || {
            self.format.seek(SeekMode::Accurate, SeekTo::Timestamp { ts: Timestamp::new(ts), track_id })
        }) {
            Ok(r) => r,
            Err(msg) => return Err(self.poison(msg)),
        };
        match seeked {
            Ok(_) => {}
            Err(SymError::SeekError(SeekErrorKind::OutOfRange)) => {
                self.position = target;
                self.eof = true;
                return Ok(target);
            }
            Err(e) => return Err(sym_err(&label, e)),
        }
        if let Err(msg) = guard(&self.codec_label, || self.decoder.reset()) {
            return Err(self.poison(msg));
        }
        self.eof = false;
        self.position = target;
        self.seek_target = Some(media);
        if !self.next_block()? {
            self.seek_target = None;
            self.position = target;
        }
        // A damaged packet timestamp can put the decoder past the stream's end:
        // the seek contract clamps to the end.
        if let Some(t) = total.filter(|&t| self.position > t) {
            self.position = t;
            self.cur = 0;
            self.end = 0;
            self.eof = true;
        }
        Ok(self.position)
    }

    fn chapters(&self) -> &[crate::io::Chapter] {
        &self.chapters
    }

    fn take_warnings(&mut self) -> Vec<String> {
        let mut w = std::mem::take(&mut self.warnings);
        if self.warnings_dropped > 0 {
            w.push(format!("… and {} more problems of the same kind", self.warnings_dropped));
            self.warnings_dropped = 0;
        }
        w
    }
}

/// Opens a CAF file whose codec is not linear PCM (ALAC, AAC…) with
/// symphonia's CAF reader.
pub fn open_caf_compressed(mut source: Source) -> ReadResult<Box<dyn AudioReader>> {
    let valid = caf_valid_frames(&mut source);
    source.seek(std::io::SeekFrom::Start(0))?;
    let mut reader = SymphoniaReader::open_with(source, None)?;
    // symphonia counts whole packets; the `pakt` chunk says how many frames are real.
    if let Some(v) = valid {
        reader.info.frames = Some(reader.info.frames.map_or(v, |f| f.min(v)));
    }
    Ok(Box::new(reader))
}

/// The real frame count of a compressed CAF from its `pakt` chunk. Some
/// writers (ffmpeg) round `mNumberValidFrames` up to whole packets; for ALAC
/// the last packet's own header then gives the exact count.
fn caf_valid_frames(source: &mut Source) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let len = source.byte_len();
    let (mut pos, mut fpp, mut alac, mut data_body, mut pakt) = (8u64, 0u64, false, None, None);
    for _ in 0..4096 {
        if pos.checked_add(12)? > len {
            break;
        }
        source.seek(SeekFrom::Start(pos)).ok()?;
        let mut head = [0u8; 12];
        source.read_exact(&mut head).ok()?;
        let size = i64::from_be_bytes(head[4..12].try_into().ok()?);
        let body = pos + 12;
        let body_len = if size < 0 { len.saturating_sub(body) } else { size as u64 };
        match &head[0..4] {
            b"desc" => {
                let mut d = [0u8; 32];
                source.read_exact(&mut d).ok()?;
                alac = &d[8..12] == b"alac";
                fpp = u64::from(u32::from_be_bytes(d[20..24].try_into().ok()?));
            }
            b"data" => data_body = Some(body + 4),
            b"pakt" => {
                let mut p = vec![0u8; body_len.min(len).min(64 << 20) as usize];
                source.read_exact(&mut p).ok()?;
                pakt = Some(p);
            }
            _ => {}
        }
        if size < 0 {
            break;
        }
        pos = body.checked_add(size as u64)?;
    }
    let p = pakt?;
    let packets = u64::try_from(i64::from_be_bytes(p.get(0..8)?.try_into().ok()?)).ok()?;
    let valid = u64::try_from(i64::from_be_bytes(p.get(8..16)?.try_into().ok()?)).ok()?;
    let remainder = u32::from_be_bytes(p.get(20..24)?.try_into().ok()?);
    if !(alac && fpp > 0 && remainder == 0 && packets > 0 && valid == packets.checked_mul(fpp)?) {
        return (valid > 0).then_some(valid);
    }
    // Sum the sizes of all packets but the last (BER variable-length integers).
    let mut offset = 0u64;
    let mut table = p.get(24..)?.iter();
    for _ in 0..packets - 1 {
        let mut v = 0u64;
        loop {
            let b = *table.next()?;
            v = v.checked_mul(128)? | u64::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
        }
        offset = offset.checked_add(v)?;
    }
    source.seek(SeekFrom::Start(data_body?.checked_add(offset)?)).ok()?;
    let mut h = [0u8; 7];
    source.read_exact(&mut h).ok()?;
    let bits = u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], 0]);
    // element(3) tag(4) unused(12) partial(1) shift(2) escape(1) [count(32)]
    let partial = (bits >> (63 - 19)) & 1 == 1;
    let last = if partial { (bits >> (64 - 23 - 32)) & 0xffff_ffff } else { fpp };
    (packets - 1).checked_mul(fpp)?.checked_add(last.min(fpp))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    pub(crate) fn have_ffmpeg() -> bool {
        let ok = Command::new("ffmpeg").arg("-version").output().map(|o| o.status.success()).unwrap_or(false);
        if !ok {
            eprintln!("note: ffmpeg not on PATH, test skipped");
        }
        ok
    }

    pub(crate) fn has_encoder(name: &str) -> bool {
        let out = Command::new("ffmpeg").args(["-hide_banner", "-encoders"]).output().expect("ffmpeg runs");
        let ok = String::from_utf8_lossy(&out.stdout).lines().any(|l| l.split_whitespace().nth(1) == Some(name));
        if !ok {
            eprintln!("note: ffmpeg has no {name} encoder, test skipped");
        }
        ok
    }

    /// A signal with some texture: two tones and pink noise, stereo.
    const SOURCE: &str = "sine=f=440:d=3[a];sine=f=1234:d=3[b];anoisesrc=d=3:c=pink:a=0.1:seed=42[c];\
                          [a][b][c]amix=inputs=3,aformat=channel_layouts=stereo";

    fn make(dir: &Path, name: &str, codec_args: &[&str]) -> PathBuf {
        let path = dir.join(name);
        let mut args = vec!["-hide_banner", "-loglevel", "error", "-y", "-filter_complex", SOURCE];
        args.extend_from_slice(codec_args);
        args.push(path.to_str().expect("utf-8 path"));
        let st = Command::new("ffmpeg").args(&args).status().expect("ffmpeg runs");
        assert!(st.success(), "ffmpeg failed making {name}");
        path
    }

    pub(super) fn ffmpeg_raw(path: &Path, fmt: &str) -> Vec<u8> {
        let out = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-i"])
            .arg(path)
            .args(["-f", fmt, "-"])
            .output()
            .expect("ffmpeg runs");
        assert!(out.status.success(), "ffmpeg failed decoding {}", path.display());
        out.stdout
    }

    pub(crate) fn ffmpeg_f32(path: &Path) -> Vec<f32> {
        ffmpeg_raw(path, "f32le").chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
    }

    pub(super) fn ffmpeg_s16(path: &Path) -> Vec<i32> {
        ffmpeg_raw(path, "s16le").chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]]) as i32).collect()
    }

    pub(super) fn open_path(path: &Path, hint: Hint) -> Box<dyn AudioReader> {
        SymphoniaReader::open(Source::open(path).expect("open"), hint).expect("symphonia open")
    }

    /// Reads everything in odd-sized chunks (to exercise packet remainders).
    pub(crate) fn read_all_f32(r: &mut dyn AudioReader) -> Vec<f32> {
        let ch = r.info().channels();
        let mut buf = vec![0f32; 777 * ch];
        let mut all = Vec::new();
        loop {
            let n = r.read_f32(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n * ch]);
        }
        all
    }

    pub(super) fn read_all_i32(r: &mut dyn AudioReader) -> Vec<i32> {
        let ch = r.info().channels();
        let mut buf = vec![0i32; 1500 * ch];
        let mut all = Vec::new();
        loop {
            let n = r.read_i32(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n * ch]);
        }
        all
    }

    pub(crate) fn snr_db(got: &[f32], want: &[f32]) -> f64 {
        let (mut s, mut e) = (0f64, 0f64);
        for (g, w) in got.iter().zip(want) {
            s += (*w as f64).powi(2);
            e += (*g as f64 - *w as f64).powi(2);
        }
        10.0 * (s / e.max(1e-30)).log10()
    }

    /// Decodes a lossy file both ways; checks frame counts and alignment and returns the SNR.
    fn lossy_vs_ffmpeg(path: &Path, hint: Hint, codec: Codec, container: Container) -> f64 {
        let mut r = open_path(path, hint);
        assert_eq!(r.info().codec, codec);
        assert_eq!(r.info().container, container);
        assert_eq!(r.info().sample_format, None);
        let ch = r.info().channels();
        assert_eq!(ch, 2);
        let ours = read_all_f32(r.as_mut());
        let theirs = ffmpeg_f32(path);
        let snr = snr_db(&ours, &theirs);
        let warnings = r.take_warnings();
        eprintln!(
            "{}: {} frames (header {:?}), ffmpeg {} frames, SNR {snr:.1} dB, warnings {:?}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or(""),
            ours.len() / ch,
            r.info().frames,
            theirs.len() / ch,
            warnings
        );
        if container == Container::Mp4 {
            // ffmpeg drops the edit list's priming but keeps the encoder's
            // padding at the end; CoreMusic honours the whole edit.
            assert_eq!(Some((ours.len() / ch) as u64), r.info().frames);
            assert!(theirs.len() >= ours.len() && theirs.len() - ours.len() < 2048 * ch);
        } else {
            assert_eq!(ours.len(), theirs.len(), "frame count differs from ffmpeg");
        }
        let n = ours.len().min(theirs.len());
        // Sample-aligned: shifting by one frame must make it much worse.
        let shifted = snr_db(&ours[ch..n], &theirs[..n - ch]);
        assert!(snr > shifted + 10.0, "not aligned: {snr} vs shifted {shifted}");
        snr
    }

    #[test]
    fn alac_m4a_is_bit_exact() {
        if !have_ffmpeg() || !has_encoder("alac") {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = make(dir.path(), "a.m4a", &["-c:a", "alac", "-sample_fmt", "s16p"]);
        let mut r = open_path(&path, Hint::Mp4);
        let info = r.info().clone();
        assert_eq!(info.codec, Codec::Alac);
        assert_eq!(info.container, Container::Mp4);
        assert_eq!(info.bits_per_sample, Some(16));
        assert_eq!(info.sample_format, Some(SampleFormat::S16));
        assert_eq!(info.format.format_id, FourCC::ALAC);
        assert_eq!(info.format.bits_per_channel, 16);
        assert_eq!(info.layout.describe(), "Stereo");
        let ours = read_all_i32(r.as_mut());
        let theirs = ffmpeg_s16(&path);
        assert_eq!(ours.len(), theirs.len());
        assert!(ours == theirs, "ALAC differs from ffmpeg");
        assert_eq!(info.frames, Some((theirs.len() / 2) as u64));
        // f32 is the same samples scaled.
        let mut r = open_path(&path, Hint::Mp4);
        let f = read_all_f32(r.as_mut());
        assert!(f.iter().zip(&theirs).all(|(a, b)| *a == crate::format::int_to_f32(*b, 16)));
    }

    #[test]
    fn alac_24_bit_and_caf() {
        if !have_ffmpeg() || !has_encoder("alac") {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let m4a = make(dir.path(), "a24.m4a", &["-c:a", "alac", "-sample_fmt", "s32p"]);
        let caf = make(dir.path(), "a.caf", &["-c:a", "alac", "-sample_fmt", "s16p"]);
        let mut r = open_path(&m4a, Hint::Mp4);
        assert_eq!(r.info().bits_per_sample, Some(24));
        assert_eq!(r.info().sample_format, Some(SampleFormat::S24));
        let ours = read_all_i32(r.as_mut());
        let theirs: Vec<i32> = ffmpeg_raw(&m4a, "s32le")
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) >> 8)
            .collect();
        assert!(ours == theirs, "24-bit ALAC differs ({} vs {} samples)", ours.len(), theirs.len());

        let mut r = open_caf_compressed(Source::open(&caf).expect("open")).expect("caf");
        assert_eq!(r.info().container, Container::Caf);
        assert_eq!(r.info().codec, Codec::Alac);
        let ours = read_all_i32(r.as_mut());
        let theirs = ffmpeg_s16(&caf);
        assert!(ours == theirs, "ALAC in CAF differs ({} vs {} samples)", ours.len(), theirs.len());
        // ffmpeg's CAF muxer counts whole packets in `pakt`: the header may
        // overstate by less than one packet, which is no truncation.
        let header = r.info().frames.expect("frames");
        let real = (theirs.len() / 2) as u64;
        assert!(header >= real && header - real < 4096, "header {header}, real {real}");
        assert!(r.take_warnings().is_empty());
    }

    #[test]
    fn flac_in_ogg_is_bit_exact() {
        if !have_ffmpeg() || !has_encoder("flac") {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = make(dir.path(), "f.oga", &["-c:a", "flac", "-sample_fmt", "s16"]);
        let mut r = open_path(&path, Hint::Ogg);
        assert_eq!(r.info().codec, Codec::Flac);
        assert_eq!(r.info().bits_per_sample, Some(16));
        let ours = read_all_i32(r.as_mut());
        let theirs = ffmpeg_s16(&path);
        assert!(ours == theirs, "FLAC in Ogg differs ({} vs {} samples)", ours.len(), theirs.len());
    }

    #[test]
    fn aac_m4a_matches_ffmpeg() {
        if !have_ffmpeg() || !has_encoder("aac") {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = make(dir.path(), "a.m4a", &["-c:a", "aac", "-b:a", "192k"]);
        let snr = lossy_vs_ffmpeg(&path, Hint::Mp4, Codec::Aac, Container::Mp4);
        assert!(snr > 40.0, "AAC SNR {snr}");
        let r = open_path(&path, Hint::Mp4);
        assert_eq!(r.info().format.format_id, FourCC::AAC);
        assert_eq!(r.info().format.frames_per_packet, 1024);
    }

    #[test]
    fn aac_adts_matches_ffmpeg() {
        if !have_ffmpeg() || !has_encoder("aac") {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = make(dir.path(), "a.aac", &["-c:a", "aac", "-b:a", "192k"]);
        let snr = lossy_vs_ffmpeg(&path, Hint::Adts, Codec::Aac, Container::Adts);
        assert!(snr > 40.0, "ADTS SNR {snr}");
    }

    #[test]
    fn mp3_matches_ffmpeg_and_keeps_tags() {
        if !have_ffmpeg() || !has_encoder("libmp3lame") {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = make(
            dir.path(),
            "a.mp3",
            &[
                "-c:a",
                "libmp3lame",
                "-b:a",
                "256k",
                "-metadata",
                "title=Song",
                "-metadata",
                "artist=Band",
                "-metadata",
                "album=Disc",
                "-metadata",
                "track=3",
                "-metadata",
                "date=2024",
            ],
        );
        let snr = lossy_vs_ffmpeg(&path, Hint::MpegAudio, Codec::Mp3, Container::MpegAudio);
        assert!(snr > 40.0, "MP3 SNR {snr}");
        let r = open_path(&path, Hint::MpegAudio);
        let tags = &r.info().tags;
        assert_eq!(tags.get("title"), Some("Song"), "{tags:?}");
        assert_eq!(tags.get("artist"), Some("Band"));
        assert_eq!(tags.get("album"), Some("Disc"));
        assert_eq!(tags.get("track"), Some("3"));
        assert_eq!(tags.get("date"), Some("2024"));
        assert_eq!(r.info().format.frames_per_packet, 1152);
    }

    #[test]
    fn vorbis_matches_ffmpeg() {
        if !have_ffmpeg() || !has_encoder("libvorbis") {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = make(dir.path(), "a.ogg", &["-c:a", "libvorbis", "-q:a", "6", "-metadata", "title=Song"]);
        let snr = lossy_vs_ffmpeg(&path, Hint::Ogg, Codec::Vorbis, Container::Ogg);
        assert!(snr > 40.0, "Vorbis SNR {snr}");
        let r = open_path(&path, Hint::Ogg);
        assert_eq!(r.info().tags.get("title"), Some("Song"));
    }

    /// Seeks to several frames and checks the audio there equals a straight decode.
    pub(super) fn check_seeks(path: &Path, hint: Hint, exact: bool) {
        let mut r = open_path(path, hint);
        let ch = r.info().channels();
        let all = read_all_f32(r.as_mut());
        let frames = (all.len() / ch) as u64;
        for target in [0u64, 1, 1023, 1024, 4097, frames / 3, frames / 2 + 17, frames - 100, frames, frames + 5] {
            let landed = r.seek(target).expect("seek");
            assert_eq!(landed, target.min(frames), "seek landed elsewhere");
            let mut buf = vec![0f32; 500 * ch];
            let n = r.read_f32(&mut buf).expect("read after seek");
            let expect = (frames - landed).min(500) as usize;
            assert_eq!(n, expect, "frames after seek to {target}");
            let at = landed as usize * ch;
            let want = &all[at..at + n * ch];
            if exact {
                assert!(buf[..n * ch] == *want, "audio after seek to {target} differs");
            } else if n > 0 {
                let snr = snr_db(&buf[..n * ch], want);
                assert!(snr > 30.0, "{}: audio after seek to {target}: SNR {snr}", path.display());
            }
        }
    }

    #[test]
    fn seeks_are_sample_accurate() {
        if !have_ffmpeg() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        if has_encoder("alac") {
            let path = make(dir.path(), "a.m4a", &["-c:a", "alac"]);
            check_seeks(&path, Hint::Mp4, true);
        }
        if has_encoder("aac") {
            let path = make(dir.path(), "b.m4a", &["-c:a", "aac", "-b:a", "192k"]);
            check_seeks(&path, Hint::Mp4, false);
        }
        if has_encoder("libmp3lame") {
            let path = make(dir.path(), "c.mp3", &["-c:a", "libmp3lame", "-b:a", "256k"]);
            check_seeks(&path, Hint::MpegAudio, false);
        }
        if has_encoder("libvorbis") {
            let path = make(dir.path(), "d.ogg", &["-c:a", "libvorbis"]);
            check_seeks(&path, Hint::Ogg, false);
        }
    }

    #[test]
    fn truncated_mp3_decodes_what_is_there() {
        if !have_ffmpeg() || !has_encoder("libmp3lame") {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = make(dir.path(), "a.mp3", &["-c:a", "libmp3lame", "-b:a", "128k"]);
        let mut bytes = std::fs::read(&path).expect("read");
        let full = open_path(&path, Hint::MpegAudio).info().frames.expect("frames");
        bytes.truncate(bytes.len() * 6 / 10 + 77);
        let mut r = SymphoniaReader::open(Source::memory(bytes), Hint::MpegAudio).expect("open truncated");
        let got = read_all_f32(r.as_mut()).len() / 2;
        let warnings = r.take_warnings();
        eprintln!("truncated mp3: {got} of {full} frames, warnings {warnings:?}");
        assert!(got as u64 > full / 2 && (got as u64) < full, "{got} of {full}");
        assert!(!warnings.is_empty(), "no warning for a truncated file");
    }

    #[test]
    fn text_and_noise_are_errors_not_hangs() {
        let text = b"This is not an MP3 file at all, only some words.\n".repeat(200);
        assert!(SymphoniaReader::open(Source::memory(text.clone()), Hint::MpegAudio).is_err());
        assert!(crate::io::open_source(Source::memory(text)).is_err());

        // An ADTS-looking header followed by noise.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut noise: Vec<u8> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        noise[..7].copy_from_slice(&[0xFF, 0xF1, 0x50, 0x80, 0x2E, 0x7F, 0xFC]);
        match SymphoniaReader::open(Source::memory(noise.clone()), Hint::Adts) {
            Err(e) => eprintln!("noise: open failed: {e}"),
            Ok(mut r) => {
                let mut buf = vec![0f32; 4096];
                let mut total = 0usize;
                let mut err = None;
                for _ in 0..100_000 {
                    match r.read_f32(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => total += n,
                        Err(e) => {
                            err = Some(e);
                            break;
                        }
                    }
                }
                eprintln!("noise: read {total} frames, then {err:?}");
                assert!(err.is_some() || total == 0, "noise decoded as audio");
            }
        }
        // Noise behind every other hint: no panic, no hang.
        for hint in [Hint::Mp4, Hint::MpegAudio, Hint::Ogg, Hint::Matroska] {
            if let Ok(mut r) = SymphoniaReader::open(Source::memory(noise.clone()), hint) {
                let mut buf = vec![0f32; 4096];
                while let Ok(n) = r.read_f32(&mut buf) {
                    if n == 0 {
                        break;
                    }
                }
            }
        }
    }

    /// A demuxer that gives one good PCM packet and then panics.
    struct Crashing {
        tracks: Vec<Track>,
        log: symphonia::core::meta::MetadataLog,
        sent: bool,
        media: symphonia::core::formats::MediaInfo,
        mss: Option<MediaSourceStream<'static>>,
    }

    impl FormatReader for Crashing {
        fn format_info(&self) -> &symphonia::core::formats::FormatInfo {
            const INFO: symphonia::core::formats::FormatInfo = symphonia::core::formats::FormatInfo {
                format: fmt_ids::FORMAT_ID_MKV,
                short_name: "crash",
                long_name: "crash",
            };
            &INFO
        }
        fn media_info(&self) -> &symphonia::core::formats::MediaInfo {
            &self.media
        }
        fn metadata(&mut self) -> symphonia::core::meta::Metadata<'_> {
            self.log.metadata()
        }
        fn seek(
            &mut self,
            _: SeekMode,
            _: SeekTo,
        ) -> symphonia::core::errors::Result<symphonia::core::formats::SeekedTo> {
            panic!("seek exploded")
        }
        fn tracks(&self) -> &[Track] {
            &self.tracks
        }
        fn next_packet(&mut self) -> symphonia::core::errors::Result<Option<symphonia::core::packet::Packet>> {
            if self.sent {
                panic!("demuxer exploded");
            }
            self.sent = true;
            let data = vec![0u8; 64 * 4];
            Ok(Some(symphonia::core::packet::Packet::new(1, Timestamp::new(0), 64u64.into(), data)))
        }
        fn into_inner<'s>(mut self: Box<Self>) -> MediaSourceStream<'s>
        where
            Self: 's,
        {
            self.mss.take().expect("stream")
        }
    }

    #[test]
    fn panics_poison_the_reader() {
        let msg = guard("test decoder", || -> u32 { panic!("boom") }).unwrap_err();
        assert!(msg.contains("the test decoder crashed on this file: boom"), "{msg}");

        let mut params = AudioCodecParameters::new();
        params
            .for_codec(ids::CODEC_ID_PCM_S16LE)
            .with_sample_rate(48000)
            .with_bits_per_sample(16)
            .with_channels(Channels::Positioned(
                symphonia::core::audio::Position::FRONT_LEFT | symphonia::core::audio::Position::FRONT_RIGHT,
            ))
            .with_max_frames_per_packet(64);
        let mut track = Track::new(1);
        track.with_codec_params(symphonia::core::codecs::CodecParameters::Audio(params));
        let mss = MediaSourceStream::new(Box::new(std::io::Cursor::new(Vec::<u8>::new())), Default::default());
        let fake = Crashing {
            tracks: vec![track],
            log: Default::default(),
            sent: false,
            media: Default::default(),
            mss: Some(mss),
        };
        let mut r = SymphoniaReader::from_format(Box::new(fake), Container::Matroska, None, None).expect("open");
        assert_eq!(r.info().codec, Codec::Pcm);
        let mut buf = [0i32; 256];
        assert_eq!(r.read_i32(&mut buf).expect("the good packet"), 64);
        let e = r.read_i32(&mut buf).unwrap_err().to_string();
        assert!(e.contains("crashed on this file: demuxer exploded"), "{e}");
        // Poisoned: the same error again, without calling into symphonia.
        assert_eq!(r.read_i32(&mut buf).unwrap_err().to_string(), e);
        assert_eq!(r.seek(0).unwrap_err().to_string(), e);
    }
}
