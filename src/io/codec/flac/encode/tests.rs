//! Tests of the FLAC encoder: round trips through symphonia, STREAMINFO,
//! batching, and the Vorbis comment block.

use super::*;
use crate::format::SampleFormat;
use crate::io::writer::OutputFormat;
use std::path::Path;

fn spec(channels: u16, bits: u32, rate: u32) -> WriterSpec {
    let sample = SampleFormat::for_int_bits(bits).unwrap_or(SampleFormat::S32);
    let sample = if sample == SampleFormat::U8 { SampleFormat::U8 } else { sample };
    WriterSpec {
        format: OutputFormat::Flac,
        sample_rate: rate,
        channels,
        sample,
        bits: if bits == sample.bits() { None } else { Some(bits) },
        expected_frames: None,
    }
}

/// Small deterministic generator (xorshift64*).
use crate::test_support::Rng;

#[derive(Clone, Copy, Debug)]
enum Sig {
    Sine,
    Noise,
    Silence,
    Square,
    Chirp,
    Music,
}

/// `frames` interleaved frames of `sig` at `bits`.
fn generate(sig: Sig, frames: usize, ch: usize, bits: u32, rate: u32, seed: u64) -> Vec<i32> {
    let full = ((1i64 << (bits - 1)) - 1) as f64;
    let mut rng = Rng(seed | 1);
    let mut out = Vec::with_capacity(frames * ch);
    let notes = [220.0, 277.18, 329.63, 440.0, 523.25, 659.25, 587.33, 392.0];
    for i in 0..frames {
        let t = i as f64 / rate as f64;
        for c in 0..ch {
            let v = match sig {
                Sig::Sine => 0.7 * (2.0 * std::f64::consts::PI * (440.0 + 110.0 * c as f64) * t).sin(),
                Sig::Noise => 0.9 * rng.unit(),
                Sig::Silence => 0.0,
                Sig::Square => {
                    if (t * (100.0 + 50.0 * c as f64)).fract() < 0.5 {
                        0.5
                    } else {
                        -0.5
                    }
                }
                Sig::Chirp => {
                    let f0 = 50.0;
                    let k = 4000.0 + 500.0 * c as f64;
                    0.8 * (2.0 * std::f64::consts::PI * (f0 * t + 0.5 * k * t * t)).sin()
                }
                Sig::Music => {
                    let note = (t * 4.0) as usize;
                    let env_t = (t * 4.0).fract();
                    let env = (1.0 - (-env_t * 40.0).exp()) * (-env_t * 3.0).exp();
                    let f = notes[(note + c) % notes.len()];
                    let mut s = 0.0;
                    for h in 1..5 {
                        s += (2.0 * std::f64::consts::PI * f * h as f64 * t).sin() / (h * h) as f64;
                    }
                    0.45 * env * s + 0.1 * (2.0 * std::f64::consts::PI * 110.0 * t).sin() + 0.002 * rng.unit()
                }
            };
            out.push((v * full).round().clamp(-full - 1.0, full) as i32);
        }
    }
    out
}

fn encode_file(dir: &Path, name: &str, spec: WriterSpec, samples: &[i32]) -> std::path::PathBuf {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).unwrap();
    let mut w = Box::new(FlacWriter::new(Box::new(file), spec).unwrap());
    // Odd-sized writes exercise the batching.
    let ch = usize::from(spec.channels);
    for chunk in samples.chunks(ch * 1237) {
        w.write_i32(chunk).unwrap();
    }
    w.finish().unwrap();
    path
}

fn symphonia_decode(path: &Path, bits: u32) -> Vec<i32> {
    use symphonia::core::codecs::audio::AudioDecoderOptions;
    use symphonia::core::formats::probe::Hint;
    use symphonia::core::formats::{FormatOptions, TrackType};
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    let file = Box::new(std::fs::File::open(path).unwrap());
    let mss = MediaSourceStream::new(file, Default::default());
    let mut hint = Hint::new();
    hint.with_extension("flac");
    let mut format = symphonia::default::get_probe()
        .probe(&hint, mss, FormatOptions::default(), MetadataOptions::default())
        .unwrap();
    let track = format.default_track(TrackType::Audio).unwrap();
    let id = track.id;
    let mut dec = symphonia::default::get_codecs()
        .make_audio_decoder(track.codec_params.as_ref().unwrap().audio().unwrap(), &AudioDecoderOptions::default())
        .unwrap();
    let mut out = Vec::new();
    let mut tmp = Vec::new();
    while let Some(packet) = format.next_packet().unwrap() {
        if packet.track_id != id {
            continue;
        }
        let buf = dec.decode(&packet).unwrap();
        tmp.resize(buf.samples_interleaved(), 0i32);
        buf.copy_to_slice_interleaved(&mut tmp);
        out.extend_from_slice(&tmp);
    }
    if bits < 32 {
        for v in &mut out {
            *v >>= 32 - bits;
        }
    }
    out
}

fn pack_le(samples: &[i32], bits: u32) -> Vec<u8> {
    let bytes = bits.div_ceil(8) as usize;
    let mut out = Vec::with_capacity(samples.len() * bytes);
    for v in samples {
        out.extend_from_slice(&v.to_le_bytes()[..bytes]);
    }
    out
}

struct Info {
    min_block: u16,
    max_block: u16,
    min_frame: u32,
    max_frame: u32,
    rate: u32,
    channels: u32,
    bits: u32,
    total: u64,
    md5: [u8; 16],
}

fn parse_streaminfo(file: &[u8]) -> Info {
    assert_eq!(&file[..4], b"fLaC");
    assert_eq!(file[4] & 0x7F, 0);
    let s = &file[8..42];
    let packed = u64::from_be_bytes(s[10..18].try_into().unwrap());
    Info {
        min_block: u16::from_be_bytes([s[0], s[1]]),
        max_block: u16::from_be_bytes([s[2], s[3]]),
        min_frame: u32::from_be_bytes([0, s[4], s[5], s[6]]),
        max_frame: u32::from_be_bytes([0, s[7], s[8], s[9]]),
        rate: (packed >> 44) as u32,
        channels: ((packed >> 41) & 7) as u32 + 1,
        bits: ((packed >> 36) & 31) as u32 + 1,
        total: packed & ((1 << 36) - 1),
        md5: s[18..34].try_into().unwrap(),
    }
}

/// Encodes, then checks STREAMINFO and symphonia's decode (libFLAC's is in
/// `tests/flac_tools.rs`).
fn round_trip(dir: &Path, name: &str, samples: &[i32], ch: u16, bits: u32, rate: u32) -> usize {
    let path = encode_file(dir, name, spec(ch, bits, rate), samples);
    let bytes = std::fs::read(&path).unwrap();
    let info = parse_streaminfo(&bytes);
    let frames = samples.len() / usize::from(ch);
    assert_eq!((info.min_block, info.max_block), (4096, 4096));
    assert_eq!((info.rate, info.channels, info.bits), (rate, u32::from(ch), bits));
    assert_eq!(info.total, frames as u64);
    let mut md5 = Md5::new();
    md5.update(&pack_le(samples, bits));
    assert_eq!(info.md5, md5.finish(), "{name}: MD5");
    let nframes = frames.div_ceil(BLOCK_SIZE);
    let body = (bytes.len() - 42) as u64;
    if nframes == 1 {
        assert_eq!((u64::from(info.min_frame), u64::from(info.max_frame)), (body, body), "{name}");
    } else if nframes > 1 {
        assert!(info.min_frame <= info.max_frame);
        assert!(u64::from(info.min_frame) * nframes as u64 <= body, "{name}");
        assert!(u64::from(info.max_frame) * nframes as u64 >= body, "{name}");
    } else {
        assert_eq!((info.min_frame, info.max_frame, body), (0, 0, 0));
    }
    if frames > 0 {
        let dec = symphonia_decode(&path, bits);
        assert_eq!(dec.len(), samples.len(), "{name}: symphonia length");
        assert!(dec == samples, "{name}: symphonia decode differs");
    }
    bytes.len()
}

#[test]
fn generated_signals_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(Sig, u16, u32, u32, usize)] = &[
        (Sig::Sine, 1, 16, 44100, 10000),
        (Sig::Noise, 2, 16, 44100, 9000),
        (Sig::Silence, 2, 16, 8000, 5000),
        (Sig::Square, 2, 8, 11025, 7000),
        (Sig::Chirp, 6, 24, 96000, 9000),
        (Sig::Music, 2, 20, 192000, 12000),
        (Sig::Music, 2, 24, 48000, 8192),
        (Sig::Music, 6, 16, 44100, 6000),
        (Sig::Chirp, 1, 8, 8000, 4097),
        (Sig::Noise, 1, 24, 96000, 5000),
        (Sig::Sine, 8, 12, 22050, 5000),
        (Sig::Square, 3, 4, 8000, 3000),
        (Sig::Music, 2, 32, 44100, 9000),
        (Sig::Noise, 2, 32, 44100, 5000),
        (Sig::Chirp, 2, 17, 32000, 4096),
        (Sig::Music, 2, 16, 655350, 5000),
        (Sig::Music, 1, 16, 655349, 5000),
        (Sig::Sine, 1, 16, 100001, 300),
        (Sig::Music, 1, 16, 44100, 1),
        (Sig::Sine, 2, 16, 44100, 0),
    ];
    for (i, &(sig, ch, bits, rate, n)) in cases.iter().enumerate() {
        let samples = generate(sig, n, usize::from(ch), bits, rate, i as u64 + 7);
        let name = format!("{i}_{sig:?}_{ch}ch_{bits}b_{rate}.flac");
        round_trip(dir.path(), &name, &samples, ch, bits, rate);
    }
}

#[test]
fn wasted_bits_and_extremes() {
    let dir = tempfile::tempdir().unwrap();
    // 16-bit samples that only use the top 8 bits.
    let mut s = generate(Sig::Music, 6000, 2, 16, 44100, 3);
    for v in &mut s {
        *v &= !0xFF;
    }
    round_trip(dir.path(), "wasted.flac", &s, 2, 16, 44100);
    // Full-scale extremes, alternating, in every depth.
    for bits in [8u32, 16, 24, 32] {
        let lo = if bits == 32 { i32::MIN } else { -(1 << (bits - 1)) };
        let hi = if bits == 32 { i32::MAX } else { (1 << (bits - 1)) - 1 };
        let s: Vec<i32> = (0..5000).map(|i| if (i / 3) % 2 == 0 { lo } else { hi }).collect();
        round_trip(dir.path(), &format!("extreme{bits}.flac"), &s, 2, bits, 48000);
    }
}

#[test]
fn tiny_and_partial_blocks_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    for len in (1..=20).chain([4095, 4097, 8191]) {
        for (ch, bits) in [(2u16, 16u32), (1, 24), (3, 8)] {
            let s = generate(Sig::Music, len, usize::from(ch), bits, 44100, len as u64);
            round_trip(dir.path(), &format!("t{len}_{ch}_{bits}.flac"), &s, ch, bits, 44100);
        }
    }
}

#[test]
fn compresses_music_like_signals() {
    let dir = tempfile::tempdir().unwrap();
    let s = generate(Sig::Music, 44100 * 3, 2, 16, 44100, 11);
    let size = round_trip(dir.path(), "music.flac", &s, 2, 16, 44100);
    assert!(size < s.len() * 2 * 6 / 10, "music compressed to {size} bytes of {}", s.len() * 2);
}

#[test]
fn write_f32_and_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.flac");
    let floats: Vec<f32> = (0..3000).map(|i| ((i as f32) * 0.01).sin() * 0.5).collect();
    let mut w = Box::new(FlacWriter::new(Box::new(std::fs::File::create(&path).unwrap()), spec(1, 16, 8000)).unwrap());
    w.write_f32(&floats).unwrap();
    assert!(matches!(w.write_i32(&[40000]), Err(WriteError::Usage(_))));
    w.finish().unwrap();
    let want: Vec<i32> = floats.iter().map(|&v| f32_to_int(v, 16)).collect();
    assert_eq!(symphonia_decode(&path, 16), want);

    let mut w = FlacWriter::new(Box::new(std::io::Cursor::new(Vec::new())), spec(2, 16, 8000)).unwrap();
    assert!(matches!(w.write_i32(&[1, 2, 3]), Err(WriteError::Usage(_))));
    let float = WriterSpec { sample: SampleFormat::F32, bits: None, ..spec(2, 16, 8000) };
    assert!(matches!(
        FlacWriter::new(Box::new(std::io::Cursor::new(Vec::new())), float),
        Err(WriteError::Unsupported(_))
    ));
    assert!(FlacWriter::new(Box::new(std::io::Cursor::new(Vec::new())), spec(9, 16, 8000)).is_err());
    assert!(FlacWriter::new(Box::new(std::io::Cursor::new(Vec::new())), spec(1, 16, 655_351)).is_err());
    let three = WriterSpec { bits: Some(3), ..spec(1, 8, 8000) };
    assert!(FlacWriter::new(Box::new(std::io::Cursor::new(Vec::new())), three).is_err());
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        #[test]
        fn random_blocks_round_trip(
            ch in 1u16..=3,
            bits_idx in 0usize..7,
            len in prop_oneof![1usize..20, 20usize..300, 4090usize..4200, 8180usize..8200],
            smooth in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let bits = [4u32, 8, 12, 16, 20, 24, 32][bits_idx];
            let mut rng = Rng(seed | 1);
            let n = len * usize::from(ch);
            let lo = if bits == 32 { i64::from(i32::MIN) } else { -(1i64 << (bits - 1)) };
            let hi = if bits == 32 { i64::from(i32::MAX) } else { (1i64 << (bits - 1)) - 1 };
            let mut acc = 0i64;
            let samples: Vec<i32> = (0..n)
                .map(|_| {
                    if smooth {
                        let step = (rng.unit() * (hi as f64) / 64.0) as i64;
                        acc = (acc + step).clamp(lo, hi);
                        acc as i32
                    } else {
                        (lo + (rng.next() % ((hi - lo + 1) as u64)) as i64) as i32
                    }
                })
                .collect();
            let dir = tempfile::tempdir().unwrap();
            round_trip(dir.path(), "p.flac", &samples, ch, bits, 44100);
        }
    }
}

mod tag_tests {
    use crate::io::writer::tag_tests::*;
    use crate::io::writer::OutputFormat::Flac;
    use crate::io::Tags;

    #[test]
    fn tags_round_trip() {
        for t in special_sets() {
            round_trip(Flac, &t, 5000);
        }
    }

    /// The metadata block headers: (last flag, type, length).
    fn blocks(bytes: &[u8]) -> Vec<(bool, u8, usize)> {
        assert_eq!(&bytes[..4], b"fLaC");
        let mut out = Vec::new();
        let mut pos = 4;
        loop {
            let h = &bytes[pos..pos + 4];
            let len = u32::from_be_bytes([0, h[1], h[2], h[3]]) as usize;
            out.push((h[0] & 0x80 != 0, h[0] & 0x7F, len));
            pos += 4 + len;
            if h[0] & 0x80 != 0 {
                return out;
            }
        }
    }

    #[test]
    fn last_block_flag_and_streaminfo() {
        let dir = tempfile::tempdir().expect("tempdir");
        let audio = samples(10_000, 2, 16);
        let (tagged, plain) = (dir.path().join("tagged.flac"), dir.path().join("plain.flac"));
        let tags = &special_sets()[0];
        write(&tagged, Flac, 2, tags, &audio);
        write(&plain, Flac, 2, &Tags::default(), &audio);
        let t = std::fs::read(&tagged).expect("read");
        let b = blocks(&t);
        assert_eq!(b.len(), 2);
        assert_eq!((b[0].0, b[0].1, b[0].2), (false, 0, 34));
        assert_eq!((b[1].0, b[1].1), (true, 4));
        assert_eq!(blocks(&std::fs::read(&plain).expect("read")), vec![(true, 0, 34)]);
        // The frames and STREAMINFO are the same with and without tags.
        let p = std::fs::read(&plain).expect("read");
        assert_eq!(t[8..42], p[8..42]);
        assert_eq!(t[46 + b[1].2..], p[42..]);
    }

    #[test]
    fn tags_after_a_write_are_refused() {
        let spec = crate::io::WriterSpec::new(Flac, 8000, 1, crate::format::SampleFormat::S16);
        let sink = tempfile::tempfile().expect("tempfile");
        let mut w = crate::io::create_writer(Box::new(sink), spec).expect("writer");
        w.write_i32(&[1, 2, 3]).expect("write");
        assert!(w.set_tags(&special_sets()[0]).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn random_tags_round_trip(t in arb_tags()) {
            round_trip(Flac, &t, 37);
        }
    }
}

/// The SEEKTABLE block's points: (sample, offset, samples), placeholders included.
fn seek_points(file: &[u8]) -> Option<Vec<(u64, u64, u16)>> {
    let mut pos = 4;
    loop {
        let (last, kind) = (file[pos] & 0x80 != 0, file[pos] & 0x7F);
        let len = u32::from_be_bytes([0, file[pos + 1], file[pos + 2], file[pos + 3]]) as usize;
        if kind == 3 {
            let body = &file[pos + 4..pos + 4 + len];
            let points = body
                .chunks_exact(18)
                .map(|p| {
                    let n = |r: std::ops::Range<usize>| u64::from_be_bytes(p[r].try_into().unwrap());
                    (n(0..8), n(8..16), u16::from_be_bytes([p[16], p[17]]))
                })
                .collect();
            return Some(points);
        }
        if last {
            return None;
        }
        pos += 4 + len;
    }
}

#[test]
fn a_seektable_points_every_ten_seconds_at_the_frames_there() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 8000;
    // 35.5 s expected, 25.2 s written: points at 0, 10 and 20 s, one placeholder.
    let samples = generate(Sig::Music, 201_600, 2, 16, rate, 7);
    let spec = WriterSpec { expected_frames: Some(284_000), ..spec(2, 16, rate) };
    let path = encode_file(dir.path(), "seek.flac", spec, &samples);
    let bytes = std::fs::read(&path).unwrap();
    let points = seek_points(&bytes).expect("a SEEKTABLE");
    assert_eq!(points.len(), 4);
    assert_eq!(points[3], (u64::MAX, 0, 0), "the point past the end stays a placeholder");
    // The audio starts after the last metadata block.
    let mut audio = 4;
    loop {
        let len = u32::from_be_bytes([0, bytes[audio + 1], bytes[audio + 2], bytes[audio + 3]]) as usize;
        let last = bytes[audio] & 0x80 != 0;
        audio += 4 + len;
        if last {
            break;
        }
    }
    for (k, &(sample, offset, n)) in points[..3].iter().enumerate() {
        let target = k as u64 * 10 * u64::from(rate);
        assert!(sample <= target && target < sample + u64::from(n), "point {k}: {sample}+{n} holds {target}");
        assert_eq!(sample % BLOCK_SIZE as u64, 0);
        assert_eq!(n as usize, BLOCK_SIZE);
        let at = audio + offset as usize;
        assert!(crate::io::codec::flac::decode::looks_like_frame_header(&bytes[at..]), "point {k}: a frame at {at}");
    }
    // Our reader finds its way by the table: exact seeks land.
    let mut r = crate::io::open(&path).unwrap();
    let mut buf = vec![0i32; 2 * 50];
    for target in [0u64, 80_000, 80_001, 163_999, 201_550] {
        assert_eq!(r.seek(target).unwrap(), target);
        let n = r.read_i32(&mut buf).unwrap();
        let want = &samples[target as usize * 2..(target as usize + n) * 2];
        assert_eq!(&buf[..n * 2], want, "at {target}");
    }
}

#[test]
fn no_seektable_without_an_expected_length() {
    let dir = tempfile::tempdir().unwrap();
    let samples = generate(Sig::Sine, 100_000, 1, 16, 8000, 3);
    let path = encode_file(dir.path(), "none.flac", spec(1, 16, 8000), &samples);
    assert!(seek_points(&std::fs::read(&path).unwrap()).is_none());
    // An expected length of 0 (or none known) writes none either.
    let spec = WriterSpec { expected_frames: Some(0), ..spec(1, 16, 8000) };
    let path = encode_file(dir.path(), "zero.flac", spec, &samples);
    assert!(seek_points(&std::fs::read(&path).unwrap()).is_none());
}
