use super::*;
use crate::format::SampleFormat::*;
use crate::io::codec::adpcm::tests::ima4_encode_packet;
use crate::io::codec::pcm::test_util::*;
use crate::io::writer::OutputFormat;
use crate::io::Codec;

fn caf(desc: &[u8], extra: &[(&[u8; 4], Vec<u8>)], data: &[u8], size_minus_one: bool) -> Vec<u8> {
    let mut v = b"caff\0\x01\0\0".to_vec();
    let mut chunk = |id: &[u8; 4], body: &[u8], size: i64| {
        v.extend_from_slice(id);
        v.extend_from_slice(&size.to_be_bytes());
        v.extend_from_slice(body);
    };
    chunk(b"desc", desc, desc.len() as i64);
    for (id, b) in extra {
        chunk(id, b, b.len() as i64);
    }
    let mut d = vec![0u8; 4];
    d.extend_from_slice(data);
    chunk(b"data", &d, if size_minus_one { -1 } else { d.len() as i64 });
    v
}

fn desc(rate: f64, id: &[u8; 4], flags: u32, bpp: u32, fpp: u32, ch: u32, bits: u32) -> Vec<u8> {
    let mut v = rate.to_be_bytes().to_vec();
    v.extend_from_slice(id);
    for x in [flags, bpp, fpp, ch, bits] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v
}

#[test]
fn absurd_lpcm_sample_sizes_are_refused() {
    // Found by fuzzing: 0x2000_0000 bytes per sample overflowed `bytes * 8`.
    for flags in [CAF_FLOAT, 0] {
        for bits in [0, 32] {
            let d = desc(44100.0, b"lpcm", flags, 0x2000_0000, 1, 1, bits);
            let bytes = caf(&d, &[], &[0; 64], false);
            assert!(CafReader::new(Source::memory(bytes)).is_err(), "flags {flags} bits {bits}");
        }
    }
}

#[test]
fn writer_round_trips_and_symphonia_agrees() {
    for sample in [U8, S16, S24, S32, F32, F64] {
        for ch in [1u16, 2, 6] {
            let bits = if sample.is_float() { 32 } else { sample.bits() };
            let data = ramp(1200, ch as usize, bits);
            let bytes = write_i32(spec(OutputFormat::Caf, ch, sample, None), &data);
            for mut r in [open(&bytes), open_buffered(&bytes).1] {
                assert_eq!(r.info().container, Container::Caf);
                assert_eq!(r.info().frames, Some(1200));
                let back = all_i32(r.as_mut());
                if sample == F32 {
                    assert!(data.iter().zip(&back).all(|(a, b)| (*a as i64 - *b as i64).abs() <= 128));
                } else {
                    assert!(back == data, "{sample} {ch}");
                }
            }
            if ch == 6 {
                assert_eq!(open(&bytes).info().layout.describe(), "5.1");
            }
            if !matches!(sample, U8 | F64) {
                let ours = all_f32(open(&bytes).as_mut());
                assert!(symphonia_f32(&bytes) == ours, "symphonia {sample} {ch}");
            }
        }
    }
}

#[test]
fn big_endian_g711_ima4_and_streamed_data() {
    let be: Vec<u8> = [5i16, -5, 300, -300].iter().flat_map(|v| v.to_be_bytes()).collect();
    let f = caf(&desc(48000.0, b"lpcm", 0, 4, 1, 2, 16), &[], &be, true);
    let mut r = open(&f);
    assert!(r.info().format.is_big_endian());
    assert_eq!(all_i32(r.as_mut()), [5, -5, 300, -300]);
    let codes: Vec<u8> = (0..=255).collect();
    let f = caf(&desc(8000.0, b"alaw", 0, 1, 1, 1, 8), &[], &codes, false);
    let want: Vec<i32> = crate::io::codec::g711::ALAW_TO_I16.iter().map(|&v| v as i32).collect();
    assert_eq!(all_i32(open(&f).as_mut()), want);
    let data: Vec<i16> = ramp(128, 2, 16).iter().map(|&v| (v / 4) as i16).collect();
    let mut body = Vec::new();
    let mut recon = Vec::new();
    for p in data.chunks(128) {
        let (b, r) = ima4_encode_packet(p, 2);
        body.extend(b);
        recon.extend(r.iter().map(|&v| v as i32));
    }
    let mut pakt = 2i64.to_be_bytes().to_vec();
    pakt.extend_from_slice(&100i64.to_be_bytes());
    pakt.extend_from_slice(&[0; 8]);
    let f = caf(&desc(44100.0, b"ima4", 0, 68, 64, 2, 0), &[(b"pakt", pakt)], &body, false);
    let mut r = open(&f);
    assert_eq!(r.info().codec, Codec::ImaAdpcm);
    assert_eq!(r.info().frames, Some(100));
    assert!(all_i32(r.as_mut()) == recon[..200]);
    // Descriptions-based channel layout.
    let mut chan = vec![0u8; 12];
    chan[11] = 2;
    for label in [3u32, 4] {
        chan.extend_from_slice(&label.to_be_bytes());
        chan.extend_from_slice(&[0; 16]);
    }
    let f = caf(&desc(48000.0, b"lpcm", 2, 4, 1, 2, 16), &[(b"chan", chan)], &[0; 8], false);
    assert_eq!(open(&f).info().layout.describe(), "C LFE");
}

#[test]
fn other_formats_are_named_and_broken_files_are_clear() {
    let e = |b: Vec<u8>| CafReader::new(Source::memory(b)).err().map(|e| e.to_string()).unwrap_or_default();
    let alac = e(caf(&desc(44100.0, b"alac", 0, 0, 4096, 2, 0), &[], &[0; 10], false));
    assert!(alac.contains("unsupported") && alac.contains("alac"), "{alac}");
    assert!(e(vec![]).contains("ends"));
    assert!(e(b"caff\0\x01\0\0".to_vec()).contains("desc"));
    assert!(e(caf(&desc(0.0, b"lpcm", 0, 4, 1, 2, 16), &[], &[], false)).contains("mSampleRate"));
    assert!(e(caf(&desc(8000.0, b"lpcm", 0, 4, 1, 0, 16), &[], &[], false)).contains("mChannelsPerFrame"));
    assert!(e(caf(&desc(8000.0, b"lpcm", 0, 3, 1, 2, 16), &[], &[], false)).contains("desc"));
    let full = write_i32(spec(OutputFormat::Caf, 2, S16, None), &ramp(100, 2, 16));
    for cut in 0..full.len() {
        if let Ok(mut r) = CafReader::new(Source::memory(full[..cut].to_vec())) {
            all_i32(&mut r);
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]
    #[test]
    fn prop_round_trip(ch in 1u16..9, which in 0usize..6, frames in 0usize..300, seed in 0u64..1000) {
        let sample = [U8, S16, S24, S32, F32, F64][which];
        let data = scrambled(frames * ch as usize, seed, sample);
        let bytes = write_i32(spec(OutputFormat::Caf, ch, sample, None), &data);
        proptest::prop_assert_eq!(all_i32(open(&bytes).as_mut()), data);
    }
}

mod tag_tests {
    use crate::io::writer::tag_tests::*;
    use crate::io::writer::OutputFormat::Caf;

    #[test]
    fn tags_round_trip() {
        for t in special_sets() {
            round_trip(Caf, &t, 1001);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn random_tags_round_trip(t in arb_tags()) {
            round_trip(Caf, &t, 37);
        }
    }
}
