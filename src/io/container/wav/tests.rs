use super::*;
use crate::format::SampleFormat::{self, *};
use crate::io::codec::adpcm::tests::{ima_wav_encode_block, ms_encode_block};
use crate::io::codec::pcm::test_util::*;
use crate::io::writer::OutputFormat;
use crate::io::AudioReader;
use crate::io::AudioWriter;
use crate::io::{Codec, Container};

fn u16b(v: u16, be: bool) -> [u8; 2] {
    if be {
        v.to_be_bytes()
    } else {
        v.to_le_bytes()
    }
}
fn u32b(v: u32, be: bool) -> [u8; 4] {
    if be {
        v.to_be_bytes()
    } else {
        v.to_le_bytes()
    }
}

fn fmt(be: bool, tag: u16, ch: u16, rate: u32, align: u16, bits: u16, ext: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&u16b(tag, be));
    v.extend_from_slice(&u16b(ch, be));
    v.extend_from_slice(&u32b(rate, be));
    v.extend_from_slice(&u32b(rate * align as u32, be));
    v.extend_from_slice(&u16b(align, be));
    v.extend_from_slice(&u16b(bits, be));
    if !ext.is_empty() || tag != 1 {
        v.extend_from_slice(&u16b(ext.len() as u16, be));
        v.extend_from_slice(ext);
    }
    v
}

/// A RIFF-style file; `pad` false leaves out pad bytes after odd chunks.
fn riff(magic: &[u8; 4], be: bool, chunks: &[(&[u8; 4], &[u8])], pad: bool) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(magic);
    v.extend_from_slice(&[0; 4]);
    v.extend_from_slice(b"WAVE");
    for (id, body) in chunks {
        v.extend_from_slice(*id);
        v.extend_from_slice(&u32b(body.len() as u32, be));
        v.extend_from_slice(body);
        if pad && body.len() % 2 == 1 {
            v.push(0);
        }
    }
    let n = v.len() as u32 - 8;
    v[4..8].copy_from_slice(&u32b(n, be));
    v
}

fn s16_bytes(s: &[i32], be: bool) -> Vec<u8> {
    s.iter().flat_map(|&x| u16b(x as i16 as u16, be)).collect()
}

#[test]
fn writer_round_trips_every_format_and_channel_count() {
    for sample in [U8, S16, S24, S32, F32, F64] {
        for ch in [1u16, 2, 6] {
            let bits = if sample.is_float() { 32 } else { sample.bits() };
            let data = ramp(3001, ch as usize, bits);
            let bytes = write_i32(spec(OutputFormat::Wav, ch, sample, None), &data);
            for mut r in [open(&bytes), open_buffered(&bytes).1] {
                let info = r.info().clone();
                assert_eq!(info.container, Container::Wav);
                assert_eq!(info.frames, Some(3001));
                assert_eq!(info.channels(), ch as usize);
                assert_eq!(info.sample_format, Some(sample));
                let back = all_i32(r.as_mut());
                if sample == F32 {
                    // 32-bit ints through f32 lose the low bits.
                    for (a, b) in data.iter().zip(&back) {
                        assert!((*a as i64 - *b as i64).abs() <= 128, "{a} {b}");
                    }
                } else {
                    assert_eq!(back, data, "{sample} {ch}");
                }
            }
            if ch > 2 {
                assert_eq!(open(&bytes).info().layout.describe(), "5.1");
            }
        }
    }
}

#[test]
fn f32_round_trip_and_hound_agree() {
    for sample in [U8, S16, S24, S32, F32] {
        let f: Vec<f32> = (0..2000).map(|i| ((i as f32 * 0.013).sin() * 0.8 * 128.0).round() / 128.0).collect();
        let bytes = write_f32(spec(OutputFormat::Wav, 2, sample, None), &f);
        let ours = all_f32(open(&bytes).as_mut());
        assert_eq!(ours, f, "{sample}");
        // hound reads our file identically.
        let mut h = hound::WavReader::new(std::io::Cursor::new(bytes.clone())).unwrap();
        let ours_i = all_i32(open(&bytes).as_mut());
        let theirs: Vec<i32> = if sample == F32 {
            h.samples::<f32>().map(|s| crate::io::codec::pcm::tests_clip(s.unwrap())).collect()
        } else {
            h.samples::<i32>().map(|s| s.unwrap()).collect()
        };
        assert_eq!(ours_i, theirs, "{sample}");
        // symphonia too.
        assert_eq!(symphonia_f32(&bytes), ours, "{sample}");
    }
}

#[test]
fn reads_what_hound_writes() {
    for (bits, float) in [(8u16, false), (16, false), (24, false), (32, false), (32, true)] {
        let mut cur = std::io::Cursor::new(Vec::new());
        let spec = hound::WavSpec {
            channels: 3,
            sample_rate: 48000,
            bits_per_sample: bits,
            sample_format: if float { hound::SampleFormat::Float } else { hound::SampleFormat::Int },
        };
        let data = ramp(500, 3, bits as u32);
        {
            let mut w = hound::WavWriter::new(&mut cur, spec).unwrap();
            for &s in &data {
                if float {
                    w.write_sample(s as f32 / 2147483648.0).unwrap();
                } else {
                    w.write_sample(s).unwrap();
                }
            }
            w.finalize().unwrap();
        }
        let mut r = open(cur.get_ref());
        assert_eq!(r.info().sample_rate(), 48000);
        let back = all_i32(r.as_mut());
        if float {
            let f = all_f32(open(cur.get_ref()).as_mut());
            let want: Vec<f32> = data.iter().map(|&s| s as f32 / 2147483648.0).collect();
            assert_eq!(f, want);
        } else {
            assert_eq!(back, data, "{bits}");
        }
    }
}

#[test]
fn odd_depths_use_extensible_and_read_back() {
    for (sample, bits) in [(S16, 12u32), (S24, 20), (S32, 24)] {
        let data = ramp(777, 2, bits);
        let bytes = write_i32(spec(OutputFormat::Wav, 2, sample, Some(bits)), &data);
        assert_eq!(u16::from_le_bytes([bytes[56], bytes[57]]), 0xFFFE);
        let mut r = open(&bytes);
        assert_eq!(r.info().bits_per_sample, Some(bits));
        assert_eq!(r.info().format.bits_per_channel, bits);
        assert_eq!(all_i32(r.as_mut()), data);
        let f = all_f32(open(&bytes).as_mut());
        assert_eq!(f[5], crate::format::int_to_f32(data[5], bits));
    }
    // 20-bit plain PCM (wBitsPerSample 20, not a multiple of 8) in a 3-byte container.
    let vals = [(1 << 19) - 1, -(1 << 19), 5, -5];
    let body: Vec<u8> = vals
        .iter()
        .flat_map(|&v: &i32| {
            let u = (v << 12) as u32;
            [(u >> 8) as u8, (u >> 16) as u8, (u >> 24) as u8]
        })
        .collect();
    let f = riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 1, 1, 8000, 3, 20, &[])), (b"data", &body)], true);
    let mut r = open(&f);
    assert_eq!(r.info().bits_per_sample, Some(20));
    assert_eq!(r.info().sample_format, Some(S24));
    assert_eq!(all_i32(r.as_mut()), vals);
}

#[test]
fn rifx_is_big_endian() {
    let data = [1000, -2000, 32767, -32768];
    let f = riff(
        b"RIFX",
        true,
        &[(b"fmt ", &fmt(true, 1, 2, 22050, 4, 16, &[])), (b"data", &s16_bytes(&data, true))],
        true,
    );
    let mut r = open(&f);
    assert_eq!(r.info().container, Container::Rifx);
    assert!(r.info().format.is_big_endian());
    assert_eq!(all_i32(r.as_mut()), data);
}

#[test]
fn wave64_is_read() {
    let data = [7, -7, 300, -300, 12345, 0];
    let fmtb = fmt(false, 1, 2, 44100, 4, 16, &[]);
    let pcm = s16_bytes(&data, false);
    let mut v = Vec::new();
    v.extend_from_slice(&W64_RIFF);
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&W64_WAVE);
    let mut chunk = |id: &[u8; 4], suffix: &[u8; 12], body: &[u8]| {
        v.extend_from_slice(id);
        v.extend_from_slice(suffix);
        v.extend_from_slice(&(body.len() as u64 + 24).to_le_bytes());
        v.extend_from_slice(body);
        while v.len() % 8 != 0 {
            v.push(0);
        }
    };
    chunk(b"fmt ", &W64_AUDIO_SUFFIX, &fmtb);
    chunk(b"junk", &W64_AUDIO_SUFFIX, &[1, 2, 3]);
    chunk(b"data", &W64_AUDIO_SUFFIX, &pcm);
    let n = v.len() as u64;
    v[16..24].copy_from_slice(&n.to_le_bytes());
    let mut r = open(&v);
    assert_eq!(r.info().container, Container::Wave64);
    assert_eq!(r.info().frames, Some(3));
    assert_eq!(all_i32(r.as_mut()), data);
}

#[test]
fn rf64_when_data_passes_the_limit() {
    let data = ramp(1000, 2, 24);
    let sink = Shared::default();
    let w = WavWriter::new(Box::new(sink.clone()), spec(OutputFormat::Wav, 2, S24, None)).unwrap().rf64_above(1000);
    let mut w: Box<dyn AudioWriter> = Box::new(w);
    w.write_i32(&data).unwrap();
    w.finish().unwrap();
    let bytes = sink.0.lock().unwrap().get_ref().clone();
    assert_eq!(&bytes[..4], b"RF64");
    assert_eq!(&bytes[12..16], b"ds64");
    let mut r = open(&bytes);
    assert_eq!(r.info().container, Container::Rf64);
    assert_eq!(r.info().frames, Some(1000));
    assert_eq!(all_i32(r.as_mut()), data);
    // Below the limit it stays RIFF with a JUNK chunk.
    let bytes = write_i32(spec(OutputFormat::Wav, 2, S24, None), &data);
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[12..16], b"JUNK");
    // A hand-made BW64 whose ds64 holds the size and whose data chunk says -1.
    let pcm = s16_bytes(&[1, 2, 3, 4], false);
    let mut ds = Vec::new();
    ds.extend_from_slice(&0u64.to_le_bytes());
    ds.extend_from_slice(&(pcm.len() as u64).to_le_bytes());
    ds.extend_from_slice(&2u64.to_le_bytes());
    ds.extend_from_slice(&0u32.to_le_bytes());
    let mut f = riff(
        b"BW64",
        false,
        &[(b"ds64", &ds), (b"fmt ", &fmt(false, 1, 2, 8000, 4, 16, &[])), (b"data", &pcm), (b"LIST", b"INFOxxxx")],
        true,
    );
    let at = f.len() - 8 - 8 - pcm.len() - 4;
    f[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(all_i32(open(&f).as_mut()), [1, 2, 3, 4]);
}

#[test]
fn float_writer_adds_fact_and_64_bit_works() {
    let f: Vec<f32> = vec![0.5, -0.25, 0.125, -1.0];
    let bytes = write_f32(spec(OutputFormat::Wav, 1, F64, None), &f);
    let pos = bytes.windows(4).position(|w| w == b"fact").unwrap();
    assert_eq!(u32::from_le_bytes(bytes[pos + 8..pos + 12].try_into().unwrap()), 4);
    let mut r = open(&bytes);
    assert_eq!(r.info().sample_format, Some(F64));
    assert_eq!(r.info().bits_per_sample, Some(64));
    assert_eq!(all_f32(r.as_mut()), f);
}

#[test]
fn g711_and_64_bit_int() {
    let codes: Vec<u8> = (0..=255).collect();
    for (tag, table) in [(6u16, &crate::io::codec::g711::ALAW_TO_I16), (7, &crate::io::codec::g711::ULAW_TO_I16)] {
        let f = riff(b"RIFF", false, &[(b"fmt ", &fmt(false, tag, 1, 8000, 1, 8, &[])), (b"data", &codes)], true);
        let mut r = open(&f);
        assert_eq!(r.info().codec, if tag == 6 { Codec::Alaw } else { Codec::Ulaw });
        assert_eq!(r.info().bits_per_sample, Some(16));
        assert_eq!(r.info().bit_rate, Some(64000));
        let want: Vec<i32> = table.iter().map(|&v| v as i32).collect();
        assert_eq!(all_i32(r.as_mut()), want);
    }
    let vals: [i64; 2] = [-5i64 << 32 | 0x1234, 7i64 << 32];
    let body: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
    let f = riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 1, 1, 8000, 8, 64, &[])), (b"data", &body)], true);
    let mut r = open(&f);
    assert_eq!(r.info().bits_per_sample, Some(32));
    assert_eq!(all_i32(r.as_mut()), [-5, 7]);
}

fn ima_file(data: &[i16], ch: usize, frames_per_block: usize, fact: Option<u32>) -> (Vec<u8>, Vec<i32>) {
    let mut blocks = Vec::new();
    let mut recon = Vec::new();
    for b in data.chunks(frames_per_block * ch) {
        let mut b = b.to_vec();
        b.resize(frames_per_block * ch, 0);
        let (bytes, r) = ima_wav_encode_block(&b, ch);
        blocks.extend(bytes);
        recon.extend(r.iter().map(|&v| v as i32));
    }
    let align = (4 * ch + (frames_per_block - 1) / 8 * 4 * ch) as u16;
    let ext = (frames_per_block as u16).to_le_bytes();
    let fmtb = fmt(false, 0x11, ch as u16, 22050, align, 4, &ext);
    let factb = fact.map(|n| n.to_le_bytes().to_vec()).unwrap_or_default();
    let mut chunks: Vec<(&[u8; 4], &[u8])> = vec![(b"fmt ", &fmtb)];
    if fact.is_some() {
        chunks.push((b"fact", &factb));
    }
    chunks.push((b"data", &blocks));
    (riff(b"RIFF", false, &chunks, true), recon)
}

#[test]
fn ima_adpcm_decodes_and_seeks_exactly() {
    for ch in [1usize, 2] {
        let data: Vec<i16> = ramp(1000, ch, 16).iter().map(|&v| v as i16).collect();
        let (f, recon) = ima_file(&data, ch, 505, Some(1000));
        let mut r = open(&f);
        assert_eq!(r.info().codec, Codec::ImaAdpcm);
        assert_eq!(r.info().frames, Some(1000));
        let all = all_i32(r.as_mut());
        assert_eq!(all, recon[..1000 * ch]);
        for target in [0u64, 1, 504, 505, 506, 999, 700] {
            assert_eq!(r.seek(target).unwrap(), target);
            let mut buf = vec![0i32; 3 * ch];
            let n = r.read_i32(&mut buf).unwrap();
            let t = target as usize * ch;
            assert_eq!(&buf[..n * ch], &all[t..t + n * ch], "seek {target}");
        }
        assert_eq!(r.seek(5000).unwrap(), 1000);
        // Without a fact chunk the padded last block counts in full.
        assert_eq!(open(&ima_file(&data, ch, 505, None).0).info().frames, Some(1010));
    }
}

#[test]
fn ms_adpcm_decodes() {
    for ch in [1usize, 2] {
        let fpb = 2 + 2 * 50 / ch * ch / ch;
        let data: Vec<i16> = ramp(fpb * 3, ch, 16).iter().map(|&v| (v / 2) as i16).collect();
        let mut blocks = Vec::new();
        let mut recon = Vec::new();
        for b in data.chunks(fpb * ch) {
            let (bytes, r) = ms_encode_block(b, ch);
            blocks.extend(bytes);
            recon.extend(r.iter().map(|&v| v as i32));
        }
        let align = (blocks.len() / 3) as u16;
        let mut ext = Vec::new();
        ext.extend_from_slice(&(fpb as u16).to_le_bytes());
        ext.extend_from_slice(&7u16.to_le_bytes());
        for (a, b) in crate::io::codec::adpcm::MS_STANDARD_COEFS {
            ext.extend_from_slice(&(a as i16).to_le_bytes());
            ext.extend_from_slice(&(b as i16).to_le_bytes());
        }
        let f = riff(
            b"RIFF",
            false,
            &[(b"fmt ", &fmt(false, 2, ch as u16, 8000, align, 4, &ext)), (b"data", &blocks)],
            true,
        );
        let mut r = open(&f);
        assert_eq!(r.info().codec, Codec::MsAdpcm);
        assert_eq!(r.info().frames, Some(fpb as u64 * 3));
        let all = all_i32(r.as_mut());
        assert_eq!(all, recon);
        r.seek(fpb as u64 + 7).unwrap();
        let mut b = vec![0i32; ch];
        r.read_i32(&mut b).unwrap();
        assert_eq!(b, all[(fpb + 7) * ch..(fpb + 8) * ch]);
    }
}

#[test]
fn odd_chunks_with_and_without_pad_and_tags() {
    let data = [1, 2, 3, 4];
    for pad in [true, false] {
        let f = riff(
            b"RIFF",
            false,
            &[
                (b"fmt ", &fmt(false, 1, 1, 8000, 2, 16, &[])),
                (b"odd ", b"abc"),
                (b"LIST", b"INFOINAM\x05\0\0\0Song\0"),
                (b"data", &s16_bytes(&data, false)),
            ],
            pad,
        );
        let mut r = open(&f);
        assert_eq!(all_i32(r.as_mut()), data, "pad {pad}");
    }
}

fn err(bytes: &[u8]) -> String {
    match crate::io::open_source(Source::memory(bytes.to_vec())) {
        Ok(_) => panic!("opened"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn broken_files_give_clear_errors_or_warnings() {
    let good_fmt = fmt(false, 1, 2, 8000, 4, 16, &[]);
    assert!(WavReader::new(Source::memory(vec![])).is_err());
    assert!(err(b"RIFF\0\0\0\0WAVE").contains("fmt"));
    assert!(err(&riff(b"RIFF", false, &[(b"fmt ", &good_fmt)], true)).contains("data"));
    assert!(err(&riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 1, 0, 8000, 4, 16, &[])), (b"data", &[0; 4])], true))
        .contains("nChannels"));
    assert!(err(&riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 1, 2, 0, 4, 16, &[])), (b"data", &[0; 4])], true))
        .contains("nSamplesPerSec"));
    // A block size that disagrees with the sample size: the sample size
    // wins (as in ffmpeg and scipy), with a warning.
    let mut r = WavReader::new(Source::memory(riff(
        b"RIFF",
        false,
        &[(b"fmt ", &fmt(false, 1, 2, 8000, 3, 16, &[])), (b"data", &[0; 8])],
        true,
    )))
    .unwrap();
    assert_eq!(r.info().frames, Some(2));
    assert!(r.take_warnings().iter().any(|w| matches!(w, Warning::BlockAlignMismatch { block_align: 3, .. })));
    let e = err(&riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 0x55, 2, 8000, 1, 0, &[])), (b"data", &[0; 4])], true));
    assert!(e.contains("WAVE codec 0x0055 (MPEG Layer III)"), "{e}");
    let mut junk = b"RIFF\0\0\0\0WAVE".to_vec();
    junk.extend((0..200u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8 | 0x80));
    assert!(err(&junk).contains("chunk id"));
    // Data size larger than the file, and a partial last frame: frames that exist, warnings.
    let mut f = riff(b"RIFF", false, &[(b"fmt ", &good_fmt), (b"data", &s16_bytes(&[1, 2, 3, 4, 5], false))], true);
    f.pop(); // drop the pad byte and one byte of the last frame
    let at = f.len() - 9 - 4;
    f[at..at + 4].copy_from_slice(&1000u32.to_le_bytes());
    let mut r = open(&f);
    assert_eq!(r.info().frames, Some(2));
    let w = r.take_warnings();
    assert!(w.iter().any(|w| matches!(w, Warning::DataChunkCut { .. })), "{w:?}");
    assert!(w.iter().any(|w| matches!(w, Warning::PartialFrame { .. })), "{w:?}");
    assert_eq!(all_i32(r.as_mut()), [1, 2, 3, 4]);
    // Streamed: data size 0 and 0xFFFFFFFF mean "to the end".
    for size in [0u32, u32::MAX] {
        let mut f = riff(b"RIFF", false, &[(b"fmt ", &good_fmt), (b"data", &s16_bytes(&[9, 8, 7, 6], false))], true);
        let at = f.len() - 8 - 4;
        f[at..at + 4].copy_from_slice(&size.to_le_bytes());
        assert_eq!(all_i32(open(&f).as_mut()), [9, 8, 7, 6]);
    }
}

/// A 24-bit 3-channel WAV whose nBlockAlign (4) disagrees with its
/// samples (9 bytes a frame): read by the sample size, with a warning
/// (`tests/pcm_tools.rs` checks that ffmpeg reads the same samples).
#[test]
fn block_align_that_disagrees_with_the_sample_size() {
    let frames = 50usize;
    let samples: Vec<i32> = (0..frames * 3).map(|i| (i as i32 * 40_009) % 8_000_000 - 4_000_000).collect();
    let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()[..3].to_vec()).collect();
    let bytes = riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 1, 3, 44100, 4, 24, &[])), (b"data", &data)], true);
    let mut r = WavReader::new(Source::memory(bytes.clone())).expect("read by the sample size");
    assert_eq!(r.info().frames, Some(frames as u64));
    assert_eq!(r.info().channels(), 3);
    assert_eq!(r.info().bits_per_sample, Some(24));
    let w = r.take_warnings();
    assert!(w.iter().any(|w| w.to_string().contains("nBlockAlign 4") && w.to_string().contains("9 bytes")), "{w:?}");
    let mut out = vec![0i32; frames * 3];
    assert_eq!(r.read_i32(&mut out).unwrap(), frames);
    assert_eq!(out, samples);
    // Float with a wrong block size too; and an impossible depth stays an error.
    let f = riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 3, 2, 8000, 2, 32, &[])), (b"data", &[0; 16])], true);
    let mut r = WavReader::new(Source::memory(f)).expect("float");
    assert_eq!(r.info().frames, Some(2));
    assert!(!r.take_warnings().is_empty());
    let bad = riff(b"RIFF", false, &[(b"fmt ", &fmt(false, 1, 2, 8000, 3, 72, &[])), (b"data", &[0; 4])], true);
    assert!(err(&bad).contains("nBlockAlign"));
}

#[test]
fn truncated_prefixes_never_panic() {
    let data = ramp(300, 2, 16);
    let full = write_i32(spec(OutputFormat::Wav, 2, S16, None), &data);
    for cut in 0..full.len() {
        if let Ok(mut r) = WavReader::new(Source::memory(full[..cut].to_vec())) {
            let got = all_i32(&mut r);
            assert_eq!(&got[..], &data[..got.len()]);
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    #[test]
    fn prop_round_trip(ch in 1u16..9, which in 0usize..6, frames in 0usize..400, seed in 0u64..1000) {
        let sample = [U8, S16, S24, S32, F32, F64][which];
        let data = scrambled(frames * ch as usize, seed, sample);
        let bytes = write_i32(spec(OutputFormat::Wav, ch, sample, None), &data);
        let back = all_i32(open(&bytes).as_mut());
        proptest::prop_assert_eq!(back, data);
    }
}

#[allow(dead_code)]
fn _uses(_: SampleFormat) {}

/// The tags a WAVE file carries, written and read back.
mod tags {
    use super::*;
    use crate::format::SampleFormat;
    use crate::io::writer::tag_tests::*;
    use crate::io::writer::OutputFormat::Wav;

    #[test]
    fn tags_round_trip() {
        for t in special_sets() {
            round_trip(Wav, &t, 1001);
        }
    }

    #[test]
    fn tags_after_odd_data_and_in_rf64() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tags = &special_sets()[0];
        for rf64 in [false, true] {
            let path = dir.path().join(format!("odd{rf64}.wav"));
            let spec = WriterSpec::new(Wav, 8000, 1, SampleFormat::U8);
            let audio: Vec<i32> = (0..999).map(|i| (i % 256) - 128).collect();
            let w = WavWriter::new(Box::new(std::fs::File::create(&path).expect("create")), spec).expect("writer");
            let mut w = Box::new(if rf64 { w.rf64_above(500) } else { w });
            w.set_tags(tags).expect("tags");
            w.write_i32(&audio).expect("write");
            w.finish().expect("finish");
            let bytes = std::fs::read(&path).expect("read");
            let riff = if rf64 {
                assert_eq!(&bytes[..4], b"RF64");
                u64::from_le_bytes(bytes[20..28].try_into().expect("8 bytes"))
            } else {
                u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as u64
            };
            assert_eq!(riff, bytes.len() as u64 - 8);
            let (got, back) = read(&path);
            assert_eq!(got, expected(Wav, tags));
            assert_eq!(back, audio);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn random_tags_round_trip(t in arb_tags()) {
            round_trip(Wav, &t, 37);
        }
    }
}
