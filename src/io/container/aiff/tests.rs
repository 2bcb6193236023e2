use super::*;
use crate::format::SampleFormat::*;
use crate::io::codec::adpcm::tests::ima4_encode_packet;
use crate::io::codec::pcm::test_util::*;
use crate::io::writer::OutputFormat;
use crate::io::{AudioReader, Codec};

fn form(kind: &[u8; 4], chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut v = b"FORM\0\0\0\0".to_vec();
    v.extend_from_slice(kind);
    for (id, body) in chunks {
        v.extend_from_slice(*id);
        v.extend_from_slice(&(body.len() as u32).to_be_bytes());
        v.extend_from_slice(body);
        if body.len() % 2 == 1 {
            v.push(0);
        }
    }
    let n = v.len() as u32 - 8;
    v[4..8].copy_from_slice(&n.to_be_bytes());
    v
}

fn comm(ch: i16, frames: u32, bits: i16, rate: u32, compression: Option<&[u8; 4]>) -> Vec<u8> {
    let mut v = ch.to_be_bytes().to_vec();
    v.extend_from_slice(&frames.to_be_bytes());
    v.extend_from_slice(&bits.to_be_bytes());
    v.extend_from_slice(&encode_extended(rate));
    if let Some(c) = compression {
        v.extend_from_slice(c);
        v.extend_from_slice(b"\0\0");
    }
    v
}

fn ssnd(data: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8; 8];
    v.extend_from_slice(data);
    v
}

#[test]
fn extended_rates_parse_exactly() {
    for r in [1u32, 8000, 11025, 22050, 44100, 48000, 96000, 192000, 352800, 4_000_000] {
        assert_eq!(parse_extended(&encode_extended(r)), Some(r as f64));
    }
    // 44100 as Apple writes it.
    assert_eq!(parse_extended(&[0x40, 0x0E, 0xAC, 0x44, 0, 0, 0, 0, 0, 0]), Some(44100.0));
    assert_eq!(parse_extended(&[0x7f, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0]), None);
    assert_eq!(parse_extended(&[0; 10]), Some(0.0));
}

#[test]
fn writer_round_trips_and_symphonia_agrees() {
    for sample in [U8, S16, S24, S32, F32, F64] {
        for ch in [1u16, 2, 5] {
            let bits = if sample.is_float() { 32 } else { sample.bits() };
            let data = ramp(1501, ch as usize, bits);
            let bytes = write_i32(spec(OutputFormat::Aiff, ch, sample, None), &data);
            for mut r in [open(&bytes), open_buffered(&bytes).1] {
                let want = if sample.is_float() { Container::Aifc } else { Container::Aiff };
                assert_eq!(r.info().container, want);
                assert_eq!(r.info().frames, Some(1501));
                let back = all_i32(r.as_mut());
                if sample == F32 {
                    assert!(data.iter().zip(&back).all(|(a, b)| (*a as i64 - *b as i64).abs() <= 128));
                } else {
                    assert!(back == data, "{sample} {ch}");
                }
            }
            if sample != F64 {
                let ours = all_f32(open(&bytes).as_mut());
                assert!(symphonia_f32(&bytes) == ours, "symphonia {sample} {ch}");
            }
        }
    }
    // 20 significant bits in 3 bytes.
    let data = ramp(300, 2, 20);
    let bytes = write_i32(spec(OutputFormat::Aiff, 2, S24, Some(20)), &data);
    let mut r = open(&bytes);
    assert_eq!(r.info().bits_per_sample, Some(20));
    assert_eq!(all_i32(r.as_mut()), data);
}

#[test]
fn aifc_compression_types() {
    let vals = [1000i32, -1000, 32767, -32768];
    let be: Vec<u8> = vals.iter().flat_map(|&v| (v as i16).to_be_bytes()).collect();
    let le: Vec<u8> = vals.iter().flat_map(|&v| (v as i16).to_le_bytes()).collect();
    for (c, body) in [(b"NONE", &be), (b"twos", &be), (b"sowt", &le)] {
        let f = form(b"AIFC", &[(b"COMM", &comm(2, 2, 16, 44100, Some(c))), (b"SSND", &ssnd(body))]);
        assert_eq!(all_i32(open(&f).as_mut()), vals, "{:?}", c);
    }
    let f = form(b"AIFC", &[(b"COMM", &comm(1, 3, 8, 8000, Some(b"raw "))), (b"SSND", &ssnd(&[0, 128, 255]))]);
    assert_eq!(all_i32(open(&f).as_mut()), [-128, 0, 127]);
    let f = form(b"AIFF", &[(b"COMM", &comm(1, 3, 8, 8000, None)), (b"SSND", &ssnd(&[0x80, 0, 0x7f]))]);
    assert_eq!(all_i32(open(&f).as_mut()), [-128, 0, 127]);
    let v24 = [0x80u8, 0, 0, 0x7f, 0xff, 0xff];
    let f = form(b"AIFC", &[(b"COMM", &comm(1, 2, 24, 8000, Some(b"in24"))), (b"SSND", &ssnd(&v24))]);
    assert_eq!(all_i32(open(&f).as_mut()), [-8388608, 8388607]);
    let f = form(b"AIFC", &[(b"COMM", &comm(1, 1, 32, 8000, Some(b"23ni"))), (b"SSND", &ssnd(&(-7i32).to_le_bytes()))]);
    assert_eq!(all_i32(open(&f).as_mut()), [-7]);
    let fl: Vec<u8> = [0.5f32, -0.25].iter().flat_map(|v| v.to_be_bytes()).collect();
    let f = form(b"AIFC", &[(b"COMM", &comm(1, 2, 32, 8000, Some(b"FL32"))), (b"SSND", &ssnd(&fl))]);
    assert_eq!(all_f32(open(&f).as_mut()), [0.5, -0.25]);
    let codes: Vec<u8> = (0..=255).collect();
    let f = form(b"AIFC", &[(b"COMM", &comm(1, 256, 16, 8000, Some(b"ulaw"))), (b"SSND", &ssnd(&codes))]);
    let mut r = open(&f);
    assert_eq!(r.info().codec, Codec::Ulaw);
    let want: Vec<i32> = crate::io::codec::g711::ULAW_TO_I16.iter().map(|&v| v as i32).collect();
    assert_eq!(all_i32(r.as_mut()), want);
    let f = form(b"AIFC", &[(b"COMM", &comm(1, 256, 16, 8000, Some(b"ALAW"))), (b"SSND", &ssnd(&codes))]);
    let want: Vec<i32> = crate::io::codec::g711::ALAW_TO_I16.iter().map(|&v| v as i32).collect();
    assert_eq!(all_i32(open(&f).as_mut()), want);
    let e = AiffReader::new(Source::memory(form(
        b"AIFC",
        &[(b"COMM", &comm(1, 1, 16, 8000, Some(b"GSM "))), (b"SSND", &ssnd(&[0; 2]))],
    )));
    assert!(e.err().unwrap().to_string().contains("GSM "));
}

#[test]
fn ima4_packets_decode_and_seek() {
    for ch in [1usize, 2] {
        let data: Vec<i16> = ramp(64 * 5, ch, 16).iter().map(|&v| (v / 4) as i16).collect();
        let mut body = Vec::new();
        let mut recon = Vec::new();
        for p in data.chunks(64 * ch) {
            let (b, r) = ima4_encode_packet(p, ch);
            body.extend(b);
            recon.extend(r.iter().map(|&v| v as i32));
        }
        let f = form(b"AIFC", &[(b"COMM", &comm(ch as i16, 5, 16, 44100, Some(b"ima4"))), (b"SSND", &ssnd(&body))]);
        let mut r = open(&f);
        assert_eq!(r.info().codec, Codec::ImaAdpcm);
        assert_eq!(r.info().frames, Some(320));
        let all = all_i32(r.as_mut());
        assert!(all == recon);
        r.seek(130).unwrap();
        let mut b = vec![0i32; 2 * ch];
        r.read_i32(&mut b).unwrap();
        assert_eq!(b, all[130 * ch..132 * ch]);
    }
}

#[test]
fn broken_aiff() {
    let e = |b: Vec<u8>| AiffReader::new(Source::memory(b)).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e(vec![]).contains("ends"));
    assert!(e(b"FORM\0\0\0\x04AIFF".to_vec()).contains("COMM"));
    assert!(e(form(b"AIFF", &[(b"COMM", &comm(1, 10, 16, 8000, None))])).contains("SSND"));
    assert!(e(form(b"AIFF", &[(b"COMM", &comm(0, 1, 16, 8000, None)), (b"SSND", &ssnd(&[0; 2]))])).contains("channel"));
    assert!(e(form(b"AIFF", &[(b"COMM", &comm(1, 1, 16, 0, None)), (b"SSND", &ssnd(&[0; 2]))])).contains("sample rate"));
    // COMM with 0 frames and no SSND: a valid empty file.
    let mut r = AiffReader::new(Source::memory(form(b"AIFF", &[(b"COMM", &comm(1, 0, 16, 8000, None))]))).unwrap();
    assert_eq!(r.info().frames, Some(0));
    assert_eq!(all_i32(&mut r), Vec::<i32>::new());
    // COMM promising more than is there: the frames that exist and a warning.
    let f = form(b"AIFF", &[(b"COMM", &comm(1, 100, 16, 8000, None)), (b"SSND", &ssnd(&[0, 1, 0, 2, 0]))]);
    let mut r = AiffReader::new(Source::memory(f)).unwrap();
    assert_eq!(r.info().frames, Some(2));
    assert!(!r.take_warnings().is_empty());
    assert_eq!(all_i32(&mut r), [1, 2]);
    let full = write_i32(spec(OutputFormat::Aiff, 2, S24, None), &ramp(100, 2, 24));
    for cut in 0..full.len() {
        if let Ok(mut r) = AiffReader::new(Source::memory(full[..cut].to_vec())) {
            all_i32(&mut r);
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]
    #[test]
    fn prop_round_trip(ch in 1u16..7, which in 0usize..6, frames in 0usize..300, seed in 0u64..1000) {
        let sample = [U8, S16, S24, S32, F32, F64][which];
        let data = scrambled(frames * ch as usize, seed, sample);
        let bytes = write_i32(spec(OutputFormat::Aiff, ch, sample, None), &data);
        proptest::prop_assert_eq!(all_i32(open(&bytes).as_mut()), data);
    }
}

mod tag_tests {
    use crate::io::writer::tag_tests::*;
    use crate::io::writer::OutputFormat::Aiff;

    #[test]
    fn tags_round_trip() {
        for t in special_sets() {
            round_trip(Aiff, &t, 1001);
        }
        // Odd-length audio (mono 8-bit, odd frames) is padded before the tags.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("odd.aiff");
        let spec = crate::io::WriterSpec::new(Aiff, 8000, 1, crate::format::SampleFormat::U8);
        let tags = &special_sets()[0];
        let audio: Vec<i32> = (0..999).map(|i| (i % 256) - 128).collect();
        let mut w =
            crate::io::create_writer(Box::new(std::fs::File::create(&path).expect("create")), spec).expect("writer");
        w.set_tags(tags).expect("tags");
        w.write_i32(&audio).expect("write");
        w.finish().expect("finish");
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(u32::from_be_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize, bytes.len() - 8);
        let (got, back) = read(&path);
        assert_eq!(got, expected(Aiff, tags));
        assert_eq!(back, audio);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn random_tags_round_trip(t in arb_tags()) {
            round_trip(Aiff, &t, 37);
        }
    }
}
