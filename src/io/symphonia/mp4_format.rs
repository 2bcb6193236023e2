//! The MPEG-4 family through CoreMusic's own demuxer
//! ([`crate::io::container::mp4::demux`]) and symphonia's decoders: the
//! demuxer is wrapped as a symphonia [`FormatReader`] so that the adapter's
//! decoding, trimming, seeking and warnings apply unchanged. Tags are still
//! read by symphonia's `ilst` parser, run over the `moov/udta` and
//! `moov/meta` boxes alone (so that a box it trips on elsewhere — a Nero
//! `chpl`, a text track — cannot cost the audio).

use std::io::Cursor;

use symphonia::core::codecs::audio::well_known as ids;
use symphonia::core::codecs::audio::AudioCodecParameters;
use symphonia::core::codecs::CodecParameters;
use symphonia::core::errors::{Error as SymError, Result as SymResult, SeekErrorKind};
use symphonia::core::formats::well_known as fmt_ids;
use symphonia::core::formats::{FormatInfo, FormatOptions, FormatReader, MediaInfo, SeekMode, SeekTo, SeekedTo, Track};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::{Metadata, MetadataLog};
use symphonia::core::packet::Packet;
use symphonia::core::units::{Duration, TimeBase, Timestamp};

use super::{read_tags, SymSource};
use crate::format::{AudioFormat, ChannelLayout, FourCC};
use crate::io::codec::aac_sbr;
use crate::io::container::mp4::demux::{parse_asc, AacConfig, AacProfile, DemuxError, Mp4Demuxer, SampleCodec};
use crate::io::container::mp4::edits::Edit;
use crate::io::described::DescribedOnly;
use crate::io::{ReadError, Source, StreamInfo, Tags, Warning};

const INFO: FormatInfo =
    FormatInfo { format: fmt_ids::FORMAT_ID_ISOMP4, short_name: "coremusic-mp4", long_name: "MPEG-4 (CoreMusic)" };

/// CoreMusic's MP4 demuxer as a symphonia format reader.
pub(super) struct Mp4Format {
    demux: Option<Mp4Demuxer<Source>>,
    tracks: Vec<Track>,
    log: MetadataLog,
    media: MediaInfo,
}

impl Mp4Format {
    fn demux(&mut self) -> SymResult<&mut Mp4Demuxer<Source>> {
        self.demux.as_mut().ok_or(SymError::DecodeError("mp4: the demuxer is gone"))
    }
}

/// What [`open`] found beside the track: the edit to apply, the tags, the
/// chapters and the warnings of the demuxer.
pub(super) struct Opened {
    pub format: Mp4Format,
    pub edit: Option<Edit>,
    pub tags: Tags,
    pub chapters: Vec<crate::io::Chapter>,
    pub warnings: Vec<Warning>,
    /// Set when the track is AAC that symphonia's decoder refuses (HE-AAC,
    /// more than two channels…): the file is described, not decoded.
    pub undecodable: Option<DescribedOnly>,
    /// For an AAC track symphonia takes: the same description, used when
    /// not one of its packets decodes (a damaged file). Its read error is
    /// set by the caller.
    pub fallback: Option<(crate::io::Container, AacConfig, u64)>,
}

/// Opens an MPEG-4 file with CoreMusic's demuxer.
/// On failure the source comes back when another reader may try it.
pub(super) fn open(source: Source) -> Result<Opened, (ReadError, Option<Source>)> {
    let len = crate::io::MediaSource::byte_len(&source);
    let mut d = Mp4Demuxer::open(source, len).map_err(|(e, s)| {
        let e = match e {
            DemuxError::NoAudio => ReadError::unsupported("MPEG-4 file: it has no audio track (video or data only)"),
            DemuxError::CutOff(at) => ReadError::truncated(at, "the movie box (moov)"),
            DemuxError::Damaged(what) => ReadError::UnknownFormat(format!("a damaged MPEG-4 file: {what}")),
        };
        (e, Some(s))
    })?;
    let t = d.track.clone();
    let codec = match &t.codec {
        SampleCodec::Aac { .. } => ids::CODEC_ID_AAC,
        SampleCodec::Mp3 => ids::CODEC_ID_MP3,
        SampleCodec::Alac { .. } => ids::CODEC_ID_ALAC,
        SampleCodec::Flac { .. } => ids::CODEC_ID_FLAC,
        SampleCodec::Opus => ids::CODEC_ID_OPUS,
        SampleCodec::Other(name) => {
            let what = match &d.brand {
                b"3gp4" | b"3gp5" | b"3gp6" | b"3gp7" | b"3gg6" | b"3ge6" | b"3g2a" | b"3g2b" | b"3g2c" | b"kddi" => {
                    "3GPP"
                }
                _ => "MPEG-4",
            };
            let e = ReadError::unsupported(format!("codec: {name} in {what} (CoreMusic does not decode it)"));
            return Err((e, Some(d.into_inner())));
        }
    };
    let extra: Option<Box<[u8]>> = match &t.codec {
        SampleCodec::Aac { config, .. } if config.len() >= 2 => Some(config.clone().into_boxed_slice()),
        SampleCodec::Alac { cookie } => Some(cookie.clone().into_boxed_slice()),
        SampleCodec::Flac { streaminfo } => Some(streaminfo.clone().into_boxed_slice()),
        _ => None,
    };
    let mut params = AudioCodecParameters::new();
    params.for_codec(codec);
    if t.sample_rate > 0 {
        params.with_sample_rate(t.sample_rate);
    }
    if let Some(e) = extra {
        params.with_extra_data(e);
    }
    if matches!(t.codec, SampleCodec::Aac { .. }) {
        params.with_max_frames_per_packet(1024);
    }
    if !matches!(t.codec, SampleCodec::Aac { .. } | SampleCodec::Alac { .. } | SampleCodec::Flac { .. }) {
        if let Some(c) = channels(t.channels) {
            params.with_channels(c);
        }
    }
    let ts = t.timescale.max(1);
    let frames_at = |v: u64, rate: u32| {
        ((v as u128 * rate.max(1) as u128 + ts as u128 / 2) / ts as u128).min(u64::MAX as u128) as u64
    };
    let frames = |v: u64| frames_at(v, t.sample_rate);
    let mut track = Track::new(t.id);
    track.with_codec_params(CodecParameters::Audio(params));
    if let Some(tb) = TimeBase::try_new(1, ts) {
        track.with_time_base(tb);
    }
    track.num_frames = Some(frames(t.lead).saturating_add(frames(t.keep)));
    let edit = (t.lead > 0 || t.keep > 0).then_some(Edit {
        media_time: t.lead,
        segment_duration: t.keep,
        media_timescale: ts,
        movie_timescale: ts,
    });
    let tags = tags_of(&d.meta_boxes);
    let chapters: Vec<crate::io::Chapter> =
        d.chapters.iter().map(|c| crate::io::Chapter { start_s: c.start_s, title: c.title.clone() }).collect();
    let warnings = d.warnings.clone();
    let fallback = match &t.codec {
        SampleCodec::Aac { config, .. } => {
            parse_asc(config).map(|a| (crate::io::Container::Mp4, a, frames_at(t.keep, a.sample_rate)))
        }
        _ => None,
    };
    let undecodable = match &t.codec {
        SampleCodec::Aac { config, .. } => parse_asc(config).and_then(|a| {
            // AAC-LC whose packets carry SBR data: HE-AAC at twice the rate.
            let a = if implicit_sbr(&mut d, &a) {
                AacConfig { profile: AacProfile::He, sample_rate: 2 * a.sample_rate, ..a }
            } else {
                a
            };
            undecodable(crate::io::Container::Mp4, a, frames_at(t.keep, a.sample_rate), &tags, &chapters)
        }),
        _ => None,
    };
    let format =
        Mp4Format { demux: Some(d), tracks: vec![track], log: MetadataLog::default(), media: MediaInfo::default() };
    Ok(Opened { format, edit, tags, chapters, warnings, undecodable, fallback })
}

/// An AAC track that symphonia's decoder refuses (it decodes AAC-LC in one
/// or two channels only), told truly: the profile, the output rate (with
/// SBR twice the core rate), the channels of the config and the length of
/// the sample table. Every read fails with a message that names what is
/// not supported. `None` when symphonia decodes this config.
pub(super) fn undecodable(
    container: crate::io::Container,
    a: AacConfig,
    frames: u64,
    tags: &Tags,
    chapters: &[crate::io::Chapter],
) -> Option<DescribedOnly> {
    let why = match a.profile {
        AacProfile::He => "HE-AAC decoding is not supported".to_string(),
        AacProfile::HeV2 => "HE-AACv2 decoding is not supported".to_string(),
        AacProfile::Plain if a.object_type != 2 => {
            let name = match a.object_type {
                1 => "AAC Main",
                3 => "AAC SSR",
                4 => "AAC LTP",
                _ => "AAC",
            };
            format!("{name} (object type {}, not AAC-LC): decoding is not supported", a.object_type)
        }
        AacProfile::Plain if a.channels > 2 => {
            format!("AAC with {} channels: decoding more than 2 channels is not supported", a.channels)
        }
        AacProfile::Plain => return None,
    };
    Some(described(container, a, frames, tags, chapters, format!("codec: {why}")))
}

/// An AAC track described from its config (see [`undecodable`]) with `why`
/// as the error of every read, and a [`Warning::CannotDecode`] saying so.
pub(super) fn described(
    container: crate::io::Container,
    a: AacConfig,
    frames: u64,
    tags: &Tags,
    chapters: &[crate::io::Chapter],
    why: String,
) -> DescribedOnly {
    let (name, fourcc) = match a.profile {
        AacProfile::He => ("aac_he", *b"aach"),
        AacProfile::HeV2 => ("aac_he_v2", *b"aacp"),
        AacProfile::Plain => ("aac", *b"aac "),
    };
    let per_packet = if a.profile == AacProfile::Plain { 1024 } else { 2048 };
    let channels = a.channels.max(1);
    let info = StreamInfo {
        container,
        codec: crate::io::Codec::Other(name.into()),
        format: AudioFormat::compressed(a.sample_rate as f64, FourCC(fourcc), channels, per_packet),
        sample_format: None,
        bits_per_sample: None,
        frames: Some(frames),
        layout: ChannelLayout::default_for(channels),
        bit_rate: None,
        tags: tags.clone(),
    };
    let what = why.strip_prefix("codec: ").unwrap_or(&why).to_string();
    DescribedOnly::new(info, why).with_chapters(chapters.to_vec()).with_warnings(vec![Warning::CannotDecode { what }])
}

/// True when `a` is plain AAC-LC (no SBR signalled) but every one of the
/// track's first packets (up to [`aac_sbr::BLOCKS_TO_CHECK`]) carries SBR
/// data: implicit signalling. The demuxer is moved back to the start.
fn implicit_sbr(d: &mut Mp4Demuxer<Source>, a: &AacConfig) -> bool {
    if a.profile != AacProfile::Plain || a.object_type != 2 || a.channels > 2 {
        return false;
    }
    let mut buf = Vec::new();
    let mut seen = 0;
    let mut all = true;
    while seen < aac_sbr::BLOCKS_TO_CHECK && all {
        match d.read_packet(&mut buf) {
            Ok(Some(_)) => {
                all = aac_sbr::block_has_sbr(&buf);
                seen += 1;
            }
            _ => break,
        }
    }
    d.seek(0);
    all && seen > 0
}

fn channels(n: u32) -> Option<symphonia::core::audio::Channels> {
    use symphonia::core::audio::{Channels, Position};
    match n {
        0 => None,
        1 => Some(Channels::Positioned(Position::FRONT_CENTER)),
        2 => Some(Channels::Positioned(Position::FRONT_LEFT | Position::FRONT_RIGHT)),
        n => u16::try_from(n).ok().map(Channels::Discrete),
    }
}

/// Tags of the `udta`/`meta` boxes, read by symphonia from a stand-in file
/// that holds only them (Nero chapters left out).
fn tags_of(meta_boxes: &[u8]) -> Tags {
    if meta_boxes.is_empty() {
        return Tags::default();
    }
    let mut kept = Vec::new();
    for (k, body) in crate::io::container::mp4::boxes::iter(meta_boxes) {
        if &k == b"udta" {
            let mut inner = Vec::new();
            for (k2, b2) in crate::io::container::mp4::boxes::iter(body) {
                if &k2 != b"chpl" {
                    push_box(&mut inner, &k2, b2);
                }
            }
            push_box(&mut kept, b"udta", &inner);
        } else {
            push_box(&mut kept, &k, body);
        }
    }
    let mut mvhd = vec![0u8; 100];
    mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
    mvhd[20..24].copy_from_slice(&0x0001_0000u32.to_be_bytes());
    mvhd[24..26].copy_from_slice(&0x0100u16.to_be_bytes());
    mvhd[96..100].copy_from_slice(&1u32.to_be_bytes());
    let mut moov = Vec::new();
    push_box(&mut moov, b"mvhd", &mvhd);
    moov.extend_from_slice(&kept);
    let mut file = Vec::new();
    push_box(&mut file, b"ftyp", b"M4A \0\0\0\0M4A isom");
    push_box(&mut file, b"moov", &moov);
    let mss = MediaSourceStream::new(Box::new(Cursor::new(file)), MediaSourceStreamOptions::default());
    let made = super::guard("MPEG-4 tag reader", || {
        symphonia::default::formats::IsoMp4Reader::try_new(mss, FormatOptions::default())
    });
    match made {
        Ok(Ok(mut r)) => read_tags(&mut r),
        _ => Tags::default(),
    }
}

fn push_box(out: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(&(body.len() as u32 + 8).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
}

impl FormatReader for Mp4Format {
    fn format_info(&self) -> &FormatInfo {
        &INFO
    }

    fn media_info(&self) -> &MediaInfo {
        &self.media
    }

    fn metadata(&mut self) -> Metadata<'_> {
        self.log.metadata()
    }

    fn seek(&mut self, _mode: SeekMode, to: SeekTo) -> SymResult<SeekedTo> {
        let track_id = self.tracks.first().map_or(0, |t| t.id);
        let ts = match to {
            SeekTo::Timestamp { ts, .. } => ts.get().max(0) as u64,
            SeekTo::Time { .. } => return Err(SymError::SeekError(SeekErrorKind::Unseekable)),
        };
        let d = self.demux()?;
        if ts >= d.media_duration() {
            return Err(SymError::SeekError(SeekErrorKind::OutOfRange));
        }
        let actual = d.seek(ts);
        Ok(SeekedTo {
            track_id,
            required_ts: Timestamp::new(ts as i64),
            actual_ts: Timestamp::new(actual.min(i64::MAX as u64) as i64),
        })
    }

    fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    fn next_packet(&mut self) -> SymResult<Option<Packet>> {
        let track_id = self.tracks.first().map_or(0, |t| t.id);
        let d = self.demux()?;
        let mut buf = Vec::with_capacity(d.max_sample as usize);
        match d.read_packet(&mut buf)? {
            None => Ok(None),
            Some((ts, dur)) => Ok(Some(Packet::new(
                track_id,
                Timestamp::new(ts.min(i64::MAX as u64) as i64),
                Duration::new(dur as u64),
                buf,
            ))),
        }
    }

    fn into_inner<'s>(mut self: Box<Self>) -> MediaSourceStream<'s>
    where
        Self: 's,
    {
        let source = match self.demux.take() {
            Some(d) => d.into_inner(),
            None => Source::memory(Vec::new()),
        };
        MediaSourceStream::new(Box::new(SymSource::new(source, 0)), MediaSourceStreamOptions::default())
    }
}
