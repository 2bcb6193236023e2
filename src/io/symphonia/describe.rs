//! What symphonia found, in CoreMusic's words: codec and container names,
//! channel layouts, tags, and the ALAC cookie's depth and rate.

use super::*;

/// What CoreMusic calls a symphonia codec, its four-character code, and
/// whether it is lossless.
pub(super) fn codec_of(id: AudioCodecId) -> (Codec, FourCC) {
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

pub(super) fn container_of(format: symphonia::core::formats::FormatId, hint: Container) -> Container {
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

pub(super) fn layout_of(channels: &Channels, count: u32) -> ChannelLayout {
    match channels {
        Channels::Positioned(p) if p.bits() >> 18 == 0 => ChannelLayout::from_mask(p.bits() as u32, count),
        Channels::Positioned(_) | Channels::Discrete(_) | Channels::Ambisonic(_) | Channels::Custom(_) => {
            ChannelLayout::discrete(count)
        }
        _ => ChannelLayout::default_for(count),
    }
}

/// CoreMusic's key for a symphonia tag.
pub(super) fn tag_key(tag: &Tag) -> String {
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
        // iTunes freeform items (`----:com.apple.iTunes:replaygain_…`) and Vorbis fields alike.
        Some(StandardTag::ReplayGainTrackGain(_)) => "replaygain_track_gain",
        Some(StandardTag::ReplayGainTrackPeak(_)) => "replaygain_track_peak",
        Some(StandardTag::ReplayGainAlbumGain(_)) => "replaygain_album_gain",
        Some(StandardTag::ReplayGainAlbumPeak(_)) => "replaygain_album_peak",
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

pub(super) fn push_revision(tags: &mut Tags, rev: &MetadataRevision) {
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

pub(super) fn read_tags(format: &mut dyn FormatReader) -> Tags {
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
pub(super) fn alac_cookie(extra: &[u8]) -> Option<(u32, u32)> {
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
