//! Opening a stream: our own MP4 demuxer or symphonia's, the MPEG audio
//! scan, the decoder, the edit list and gapless trims, and a first packet
//! decoded to prove the stream plays.

use super::*;
use crate::io::codec::{aac_adts, aac_sbr};
use crate::io::container::mp4::demux::{AacConfig, AacProfile};
use crate::io::described::DescribedOnly;
use crate::io::source::read_up_to;

impl SymphoniaReader {
    /// Opens a stream the probe identified as `hint`: MP4, MPEG audio, ADTS,
    /// Ogg or Matroska. Reads the headers and decodes the first packet, so a
    /// stream that cannot be decoded at all fails here.
    pub fn open(source: Source, hint: Hint) -> ReadResult<Box<dyn AudioReader>> {
        if hint == Hint::Mp4 {
            return Self::open_mp4(source);
        }
        let mut source = source;
        if hint == Hint::Adts {
            if let Some(he) = adts_implicit_sbr(&mut source)? {
                return Ok(Box::new(he));
            }
            // The length from the frames themselves, as ffmpeg decodes them
            // (symphonia's is a guess from the first frames' sizes).
            let walk = adts_walk(&mut source)?;
            let mut reader = Self::open_with(source, Some(hint))?;
            reader.drop_priming(walk.priming());
            if walk.whole {
                reader.info.frames = Some(walk.frames());
                reader.limit = Some(walk.frames());
            }
            return Ok(Box::new(reader));
        }
        if hint == Hint::Ogg {
            // The end from the last whole pages: symphonia leaves the length
            // unknown when the last page is cut off.
            let len = MediaSource::byte_len(&source);
            let tail = crate::io::container::ogg::tail(&mut source, len)?;
            source.seek(SeekFrom::Start(0))?;
            let mut reader = Self::open_with(source, Some(hint))?;
            if reader.info.frames.is_none() {
                reader.info.frames = tail.granule(reader.track_id).map(|g| g.saturating_sub(reader.lead));
            }
            if let Some(at) = tail.cut_at {
                reader.warn(Warning::OggPageCut { at });
            }
            return Ok(Box::new(reader));
        }
        Ok(Box::new(Self::open_with(source, Some(hint))?))
    }

    /// An MPEG-4 file: decoded, or only described when its AAC is a kind
    /// symphonia's decoder refuses (HE-AAC, more than two channels).
    fn open_mp4(source: Source) -> ReadResult<Box<dyn AudioReader>> {
        match mp4_format::open(source) {
            Ok(o) => {
                let mut o = o;
                if let Some(u) = o.undecodable.take() {
                    return Ok(Box::new(u.with_warnings(o.warnings)));
                }
                let fallback = o.fallback.take();
                let (tags, chapters, warnings) = (o.tags.clone(), o.chapters.clone(), o.warnings.clone());
                match (Self::from_opened(o), fallback) {
                    (Ok(r), _) => Ok(Box::new(r)),
                    // Not one packet decodes: the track is described from its
                    // config, and every read says why.
                    (Err(ReadError::Decoder(_) | ReadError::Unsupported(_)), Some((c, a, frames))) => {
                        let why = "AAC data: not one of its packets decodes (a damaged file?)".to_string();
                        let d = mp4_format::described(c, a, frames, &tags, &chapters, why);
                        Ok(Box::new(d.with_warnings(warnings)))
                    }
                    (Err(e), _) => Err(e),
                }
            }
            Err((e, Some(mut back))) => {
                back.seek(SeekFrom::Start(0))?;
                Ok(Box::new(Self::open_symphonia(back, Some(Hint::Mp4)).map_err(|_| e)?))
            }
            Err((e, None)) => Err(e),
        }
    }

    /// Drops `n` frames at the start of the output (an encoder's priming
    /// that no header records), after the first block was decoded.
    fn drop_priming(&mut self, n: u64) {
        let here = ((self.end - self.cur) as u64).min(n);
        self.cur += here as usize;
        self.discard += n - here;
        self.lead += n;
    }

    fn from_opened(o: mp4_format::Opened) -> ReadResult<Self> {
        let mut reader = Self::from_format(Box::new(o.format), Container::Mp4, o.edit, None)?;
        reader.info.tags = o.tags;
        reader.chapters = o.chapters;
        let mut w = o.warnings;
        w.append(&mut reader.warnings);
        reader.warnings = w;
        Ok(reader)
    }

    pub(super) fn open_with(source: Source, hint: Option<Hint>) -> ReadResult<Self> {
        if hint == Some(Hint::Mp4) {
            // CoreMusic's own MP4 demuxer first; symphonia's reader is kept
            // for what it does not take (PCM in QuickTime…).
            match mp4_format::open(source) {
                Ok(o) => return Self::from_opened(o),
                Err((e, Some(mut back))) => {
                    back.seek(SeekFrom::Start(0))?;
                    return Self::open_symphonia(back, hint).map_err(|_| e);
                }
                Err((e, None)) => return Err(e),
            }
        }
        Self::open_symphonia(source, hint)
    }

    pub(super) fn open_symphonia(mut source: Source, hint: Option<Hint>) -> ReadResult<Self> {
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
        if hint == Some(Hint::Ogg) {
            // A video-only Ogg (Theora, with no Vorbis or Opus beside it)
            // says so, rather than symphonia's "no stream found".
            let mut head = vec![0u8; crate::io::container::ogg::BOS_SCAN];
            let n = crate::io::source::read_up_to(&mut source, &mut head)?;
            source.seek(SeekFrom::Start(0))?;
            if let Some(names) = crate::io::container::ogg::streams_without_audio(&head[..n]) {
                return Err(ReadError::UnknownFormat(format!(
                    "an Ogg file with no audio stream (it holds {})",
                    names.join(", ")
                )));
            }
        }
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

    pub(super) fn from_format(
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
        // For a near seek, MPEG audio decodes one frame before the target:
        // with the frames holding the bit reservoir (which symphonia's seek
        // goes back to), that frame's overlap and filter bank state make the
        // target's samples those of a decode from the start.
        let near_preroll = match codec {
            Codec::Mp3 | Codec::Mp2 | Codec::Mp1 => 1152,
            _ => preroll,
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
        let skip_silent_blocks = codec == Codec::Aac && container == Container::Adts;
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
            near_preroll,
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
            coarse_seeks: scan.as_ref().is_some_and(|s| s.constant_bit_rate),
            front_trim: scan.as_ref().and_then(|s| {
                let demuxer_delay = i64::from(track.delay.unwrap_or(0));
                let delay = i64::from(s.delay);
                (delay < demuxer_delay).then_some(FrontTrim {
                    demuxer_delay,
                    delay,
                    frame: u64::from(s.samples_per_frame),
                })
            }),
            skip_silent_blocks,
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
}

/// Bytes read from the start of an ADTS stream to look for SBR data.
const ADTS_HEAD: usize = 64 << 10;

/// An ADTS stream whose headers say AAC-LC but whose frames carry SBR data
/// (implicit HE-AAC, see [`aac_sbr`]): described at the output rate with
/// the length of the frames present, never decoded. `None` for any other
/// stream; the source is moved back to its start either way.
fn adts_implicit_sbr(source: &mut Source) -> ReadResult<Option<DescribedOnly>> {
    let mut head = vec![0u8; ADTS_HEAD];
    source.seek(SeekFrom::Start(0))?;
    let n = read_up_to(source, &mut head)?;
    let skip = crate::io::probe::id3v2_len(&head[..n]);
    source.seek(SeekFrom::Start(skip))?;
    let n = read_up_to(source, &mut head)?;
    let head = &head[..n];
    let found = head.get(..7).filter(|_| aac_sbr::adts_has_sbr(head)).map(|h| {
        // ADTS profile = object type − 1; rate index; channel configuration.
        let object_type = u32::from(h[2] >> 6) + 1;
        let rate_index = usize::from((h[2] >> 2) & 15);
        let channels = u32::from(((h[2] & 1) << 2) | (h[3] >> 6));
        (object_type, rate_index, channels)
    });
    let result = match found {
        Some((2, rate_index, channels)) if rate_index < AAC_RATES.len() && (1..=2).contains(&channels) => {
            let core = AAC_RATES[rate_index];
            // Two output frames per core frame with SBR.
            let len = MediaSource::byte_len(source);
            let walk = aac_adts::walk(source, skip, len)?;
            let frames = (2 * (walk.blocks - walk.silent) * 1024).saturating_sub(walk.priming());
            let lc = AacConfig { profile: AacProfile::Plain, object_type: 2, sample_rate: core, channels };
            let a = mp4_format::implicit_he(lc, channels == 1 && aac_sbr::adts_has_ps(head));
            mp4_format::undecodable(Container::Adts, a, frames, &Tags::default(), &[])
        }
        _ => None,
    };
    source.seek(SeekFrom::Start(0))?;
    Ok(result)
}

/// The AAC sampling frequency table (ISO 14496-3 1.6.3.4).
const AAC_RATES: [u32; 13] = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/// The ADTS frames after any ID3v2 tag, walked by their headers; the
/// source is moved back to its start.
fn adts_walk(source: &mut Source) -> ReadResult<aac_adts::AdtsWalk> {
    let len = MediaSource::byte_len(source);
    let mut head = [0u8; 10];
    source.seek(SeekFrom::Start(0))?;
    let n = read_up_to(source, &mut head)?;
    let skip = crate::io::probe::id3v2_len(&head[..n]).min(len);
    let walk = aac_adts::walk(source, skip, len)?;
    source.seek(SeekFrom::Start(0))?;
    Ok(walk)
}
