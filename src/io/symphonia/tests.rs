use super::*;

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
    fn seek(&mut self, _: SeekMode, _: SeekTo) -> symphonia::core::errors::Result<symphonia::core::formats::SeekedTo> {
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

/// Implicit SBR: AAC-LC at 22050 Hz (the ADTS header, or the MP4's
/// AudioSpecificConfig) whose blocks carry SBR fill elements is HE-AAC at
/// 44100 Hz, told truly and refused with the explicit case's message; the
/// same blocks without SBR decode (as silence) at 22050 Hz.
#[test]
fn implicit_sbr_is_he_aac_at_twice_the_rate() {
    use crate::io::codec::aac::{esds_box, mp4a_entry};
    use crate::io::codec::aac_sbr::tests::{adts, block, ps_block};
    use crate::io::container::mp4::mux::M4aMuxer;
    let sbr = block(&[(0xD, 9), (0, 2)]);
    let plain = block(&[]);
    let packets = 12usize;
    let adts_of = |b: &[u8]| (0..packets).flat_map(|_| adts(b, false)).collect::<Vec<u8>>();
    let dir = tempfile::tempdir().unwrap();
    let m4a_of = |name: &str, b: &[u8]| {
        let path = dir.path().join(name);
        let mut mux = M4aMuxer::new(Box::new(std::fs::File::create(&path).unwrap())).unwrap();
        for _ in 0..packets {
            mux.write_packet(b, 1024).unwrap();
        }
        // AAC-LC, 22050 Hz, mono.
        mux.finish(&mp4a_entry(1, 22050, esds_box(&[0x13, 0x88], 32000, 64))).unwrap();
        Source::memory(std::fs::read(&path).unwrap())
    };
    // SBR data with parametric stereo: HE-AACv2.
    let ps = ps_block();
    let cases = [
        (Source::memory(adts_of(&sbr)), Hint::Adts, Container::Adts, "aac_he", "HE-AAC decoding"),
        (m4a_of("sbr.m4a", &sbr), Hint::Mp4, Container::Mp4, "aac_he", "HE-AAC decoding"),
        (Source::memory(adts_of(&ps)), Hint::Adts, Container::Adts, "aac_he_v2", "HE-AACv2 decoding"),
        (m4a_of("ps.m4a", &ps), Hint::Mp4, Container::Mp4, "aac_he_v2", "HE-AACv2 decoding"),
    ];
    for (source, hint, container, codec, refusal) in cases {
        let mut r = SymphoniaReader::open(source, hint).unwrap();
        let info = r.info().clone();
        assert_eq!(info.container, container);
        assert_eq!(info.codec, Codec::Other(codec.into()), "{container:?}");
        // A mono core with SBR plays as stereo.
        assert_eq!((info.sample_rate(), info.channels()), (44100, 2), "{container:?}");
        assert_eq!(info.frames, Some(packets as u64 * 2048), "{container:?}");
        let e = r.read_f32(&mut [0.0; 4096]).unwrap_err().to_string();
        assert!(e.contains(refusal), "{container:?}: {e}");
    }
    let plain_cases = [(Source::memory(adts_of(&plain)), Hint::Adts), (m4a_of("plain.m4a", &plain), Hint::Mp4)];
    for (source, hint) in plain_cases {
        let mut r = SymphoniaReader::open(source, hint).unwrap();
        assert_eq!((r.info().codec.clone(), r.info().sample_rate()), (Codec::Aac, 22050), "{hint:?}");
        let mut buf = vec![0.0f32; 4096];
        let mut total = 0;
        loop {
            match r.read_f32(&mut buf).unwrap() {
                0 => break,
                n => {
                    assert!(buf[..n].iter().all(|s| *s == 0.0));
                    total += n;
                }
            }
        }
        assert!(total > 0, "{hint:?}: nothing decoded");
    }
}
