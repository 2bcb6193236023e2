//! Tests of the FLAC decoder: hand-crafted streams (variable block size,
//! 33-bit side channels), damaged, truncated and lying files, measured
//! lengths and the MD5 check. Nothing here runs a tool: the comparisons
//! with `flac` (its files, `flac -d`, `flac -t`) are in `tests/flac_tools.rs`.

use super::*;
use crate::io::codec::flac::crc::{crc16, crc8};
use crate::test_support::flac_craft::{
    craft_frame, crafted, damage_never_panics, decode_all, decode_bytes, signal as gen, split_metadata, streaminfo,
};
use crate::test_support::XorShift64 as Rng;

#[test]
fn f32_output_is_scaled() {
    let pcm = gen(0, 5000, 2, 24, 3);
    let bytes = own_encode(&pcm, 2, 24, 48000);
    let mut r = FlacReader::new(Source::memory(bytes)).unwrap();
    let mut f = vec![0f32; 10000];
    assert_eq!(r.read_f32(&mut f).unwrap(), 5000);
    for (a, b) in f.iter().zip(pcm.iter()) {
        assert_eq!(*a, int_to_f32(*b, 24));
    }
}

#[test]
fn crafted_variable_block_size_streams() {
    let sizes = [1usize, 17, 256, 1000, 4096, 3, 65535, 2, 777, 4608, 12, 31];
    for (ch, bps) in [(2usize, 16u32), (2, 32), (2, 24), (1, 8), (3, 20), (2, 12), (8, 16)] {
        for with_header in [true, false] {
            let (file, pcm) = crafted(ch, bps, &sizes, with_header, bps as u64 * 31 + ch as u64);
            let mut r = FlacReader::new(Source::memory(file.clone())).unwrap();
            assert_eq!(r.info().bits_per_sample, Some(bps));
            assert_eq!(r.info().format.frames_per_packet, 0);
            let (got, w) = decode_all(&mut r);
            assert!(w.is_empty(), "{w:?}");
            assert!(got == pcm, "{ch}ch {bps}bit header {with_header}");
            // Exact seeks.
            let total = pcm.len() / ch;
            let mut r = FlacReader::new(Source::memory(file)).unwrap();
            for t in [0usize, 1, 18, 274, 5000, 70000, total - 1, 5370, 300, total] {
                assert_eq!(r.seek(t as u64).unwrap(), t as u64);
                let mut b = vec![0i32; ch * 3];
                let n = r.read_i32(&mut b).unwrap();
                assert_eq!(n, (total - t).min(3));
                assert!(b[..n * ch] == pcm[t * ch..(t + n) * ch], "seek {t}");
            }
        }
    }
}

#[test]
fn crafted_bad_crc_resyncs() {
    let (file, pcm) = crafted(2, 16, &[1000, 1000, 1000, 1000], true, 9);
    // Frame starts, from their headers' sample numbers.
    let mut offsets = Vec::new();
    let mut i = 0;
    while offsets.len() < 4 {
        if let Ok(h) = crate::io::codec::flac::frame::parse_header(&file[i..]) {
            if h.number == 1000 * offsets.len() as u64 {
                offsets.push(i);
            }
        }
        i += 1;
    }
    // Damage the body of the second frame (sample data, not the header).
    let mut bad = file.clone();
    bad[offsets[1] + (offsets[2] - offsets[1]) / 2] ^= 0x40;
    let (got, w) = decode_bytes(&bad);
    assert!(!w.is_empty());
    assert_eq!(got.len(), pcm.len());
    assert!(got[..2000] == pcm[..2000]);
    assert!(got[2000..4000].iter().all(|&v| v == 0));
    assert!(got[4000..] == pcm[4000..]);
    // Damage the header of the third frame: it is skipped.
    let mut bad = file.clone();
    bad[offsets[2] + 2] ^= 0x01;
    let (got, w) = decode_bytes(&bad);
    assert!(!w.is_empty());
    assert_eq!(got.len(), pcm.len() - 2000);
    assert!(got[..4000] == pcm[..4000] && got[4000..] == pcm[6000..]);
}

/// Random damage (flipped bytes, cuts) never panics, never hangs, and never
/// yields more than a bounded amount of audio (crafted streams and our
/// encoder's; `flac`'s own files in `tests/flac_tools.rs`).
#[test]
fn mutated_streams_never_panic() {
    let files = [
        crafted(2, 16, &[100, 300, 7, 1000], true, 1).0,
        crafted(2, 32, &[50, 60, 70], false, 2).0,
        own_encode(&gen(4, 20000, 2, 16, 4), 2, 16, 44100),
        own_encode(&gen(4, 8000, 2, 32, 4), 2, 32, 44100),
        own_encode(&gen(0, 8000, 1, 24, 4), 1, 24, 44100),
    ];
    damage_never_panics(&files, 12345);
}

// ---------------------------------------------------------------------------
// Lengths really there, sample rate 0, MD5 checks (issue 12 items 1, 2, 11;
// issue 13 item 14).

/// Encodes with the project's own encoder (4096-sample fixed blocks).
fn own_encode(samples: &[i32], ch: usize, bps: u32, rate: u32) -> Vec<u8> {
    own_encode_expecting(samples, ch, bps, rate, None)
}

/// [`own_encode`], told the length to expect (a SEEKTABLE then comes first).
fn own_encode_expecting(samples: &[i32], ch: usize, bps: u32, rate: u32, expected: Option<u64>) -> Vec<u8> {
    use crate::format::SampleFormat;
    use crate::io::{create_writer, OutputFormat, WriterSpec};
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("own.flac");
    let spec = WriterSpec {
        format: OutputFormat::Flac,
        sample_rate: rate,
        channels: ch as u16,
        sample: SampleFormat::for_int_bits(bps).unwrap(),
        bits: Some(bps),
        expected_frames: expected,
    };
    let mut w = create_writer(Box::new(std::fs::File::create(&p).unwrap()), spec).unwrap();
    w.write_i32(samples).unwrap();
    w.finish().unwrap();
    std::fs::read(&p).unwrap()
}

/// Where the audio starts and where each frame starts and ends (walking the
/// frames as the decoder does).
fn frame_spans(bytes: &[u8]) -> (usize, Vec<(usize, usize)>) {
    let (_, audio) = split_metadata(bytes);
    let start = bytes.len() - audio.len();
    let h0 = parse_header(&bytes[start..]).unwrap();
    let bps = StreamInfoBlockTest::bps(bytes);
    let mut ch = vec![vec![0i32; MAX_BLOCK]; h0.channels as usize];
    let mut spans = Vec::new();
    let mut pos = start;
    while pos < bytes.len() {
        let h = parse_header(&bytes[pos..]).unwrap();
        let len = decode_frame::<i32>(&bytes[pos..], &h, bps, &mut ch).unwrap();
        spans.push((pos, pos + len));
        pos += len;
    }
    (start, spans)
}

struct StreamInfoBlockTest;
impl StreamInfoBlockTest {
    fn bps(bytes: &[u8]) -> u32 {
        ((bytes[20] as u32 & 1) << 4 | (bytes[21] as u32 >> 4)) + 1
    }
}

/// Sets STREAMINFO's total sample count (36 bits at bytes 21..26 of the file).
fn set_total(bytes: &mut [u8], total: u64) {
    bytes[21] = (bytes[21] & 0xF0) | ((total >> 32) as u8 & 0x0F);
    bytes[22..26].copy_from_slice(&(total as u32).to_be_bytes());
}

/// `info`'s frame count (from the backward search) equals what a decode to
/// the end gives, through memory and file sources, at cuts everywhere: in the
/// metadata, right after STREAMINFO, at and around every frame boundary, and
/// inside frames. A cut file says what its header claimed.
#[test]
fn measured_length_agrees_with_decoding_at_every_cut() {
    let dir = tempfile::tempdir().unwrap();
    let pcm = gen(4, 30000, 2, 16, 21);
    let bytes = own_encode(&pcm, 2, 16, 44100);
    let (audio_start, spans) = frame_spans(&bytes);
    assert!(spans.len() >= 7);
    let mut cuts: Vec<usize> = (0..audio_start + 3).collect();
    for &(s, e) in &spans {
        cuts.extend([s.saturating_sub(1), s, s + 1, s + 5, s + 17, (s + e) / 2, e - 3, e - 2, e - 1, e]);
    }
    cuts.extend((audio_start..bytes.len()).step_by(211));
    cuts.retain(|&c| c <= bytes.len());
    cuts.sort_unstable();
    cuts.dedup();
    let mut opened = 0;
    for &cut in &cuts {
        let part = &bytes[..cut];
        let Ok(mut r) = FlacReader::new(Source::memory(part.to_vec())) else {
            assert!(cut < audio_start, "cut {cut} in the audio must open");
            continue;
        };
        opened += 1;
        let claimed = r.info().frames;
        let open_warnings = r.take_warnings();
        let (got, _) = decode_all(&mut r);
        let n = got.len() / 2;
        assert_eq!(claimed, Some(n as u64), "cut {cut}");
        assert!(got[..] == pcm[..got.len()], "cut {cut}");
        // Whole frames before the cut decode; a partial one does not.
        let whole: usize = spans.iter().filter(|&&(_, e)| e <= cut).count();
        assert_eq!(n, (whole * 4096).min(30000), "cut {cut}");
        if n < 30000 {
            assert!(
                open_warnings
                    .iter()
                    .any(|w| matches!(w, Warning::StreamInfoCutShort { claimed, .. } if claimed.to_string() == "30000 frames (0:00.680)")),
                "cut {cut}: {open_warnings:?}"
            );
        } else {
            assert!(open_warnings.is_empty(), "cut {cut}: {open_warnings:?}");
        }
        if cut % 7 == 0 || n == 0 {
            let p = dir.path().join("cut.flac");
            std::fs::write(&p, part).unwrap();
            let mut r = FlacReader::new(Source::open(&p).unwrap()).unwrap();
            assert_eq!(r.info().frames, Some(n as u64), "file source, cut {cut}");
            assert_eq!(decode_all(&mut r).0.len(), got.len());
        }
    }
    assert!(opened > spans.len() * 5);
}

/// Variable block size streams (sample numbers in the headers), cut anywhere.
#[test]
fn measured_length_of_variable_block_streams() {
    let sizes = [1usize, 17, 256, 1000, 4096, 3, 777, 4608, 12, 31];
    let (bytes, pcm) = crafted(2, 16, &sizes, true, 3);
    for cut in (42..=bytes.len()).step_by(37).chain([bytes.len() - 1, bytes.len()]) {
        let mut r = FlacReader::new(Source::memory(bytes[..cut].to_vec())).unwrap();
        let claimed = r.info().frames;
        let (got, _) = decode_all(&mut r);
        assert_eq!(claimed, Some(got.len() as u64 / 2), "cut {cut}");
        assert!(got[..] == pcm[..got.len()]);
    }
}

/// STREAMINFO total 0 (streamed encoders): the length is found, no warning.
/// A header claiming fewer samples than there are: the real count, a warning.
/// Flake's old variable block size (the FLAC testbench's subset file 27):
/// frame headers with the blocking bit clear that carry sample numbers, and
/// STREAMINFO block sizes that differ. Read as libFLAC reads them: the length
/// found from the end (total stated or 0), the decode and exact seeks agree
/// with the samples written.
#[test]
fn old_flake_variable_block_size_is_read_by_sample_numbers() {
    let sizes = [4608usize, 576, 1152, 4608, 4608, 2304, 700];
    let total: usize = sizes.iter().sum();
    let mut rng = Rng(7);
    let (mut file, mut pcm) = (b"fLaC\x80\0\0\x22".to_vec(), Vec::new());
    file.extend(streaminfo(44100, 1, 16, total as u64, 576, 4608));
    let (mut number, mut starts) = (0, Vec::new());
    for &bs in &sizes {
        let chan: Vec<i64> = (0..bs).map(|_| (rng.next() % 65536) as i64 - 32768).collect();
        pcm.extend(chan.iter().map(|&v| v as i32));
        starts.push((file.len(), number));
        file.extend(craft_frame(&[chan], 16, 0, number, false));
        number += bs as u64;
    }
    // Every header gives its own sample number, which the search from the
    // end (files over 16 MiB) and the seek bisection rely on.
    let r = FlacReader::new(Source::memory(file.clone())).unwrap();
    for &(at, sample) in &starts {
        assert_eq!(r.header_sample(&parse_header(&file[at..]).unwrap()), sample);
    }
    for stated in [true, false] {
        let mut f = file.clone();
        if !stated {
            set_total(&mut f, 0);
        }
        let mut r = FlacReader::new(Source::memory(f.clone())).unwrap();
        assert_eq!(r.info().frames, Some(total as u64), "total stated: {stated}");
        let (got, w) = decode_all(&mut r);
        assert!(got == pcm, "total stated: {stated}: {w:?}");
        let mut r = FlacReader::new(Source::memory(f)).unwrap();
        for t in [0usize, 5000, 4608 + 576 + 10, 13000, total - 1, 7] {
            assert_eq!(r.seek(t as u64).unwrap(), t as u64);
            let mut b = [0i32; 3];
            let n = r.read_i32(&mut b).unwrap();
            assert!(b[..n] == pcm[t..t + n] && n == (total - t).min(3), "seek {t}");
        }
    }
}

#[test]
fn unknown_or_understated_total_gives_the_real_length() {
    let pcm = gen(0, 20000, 1, 24, 8);
    let mut bytes = own_encode(&pcm, 1, 24, 48000);
    set_total(&mut bytes, 0);
    let mut r = FlacReader::new(Source::memory(bytes.clone())).unwrap();
    assert_eq!(r.info().frames, Some(20000));
    assert!(r.take_warnings().is_empty());
    assert_eq!(decode_all(&mut r).0.len(), 20000);
    set_total(&mut bytes, 5000);
    let mut r = FlacReader::new(Source::memory(bytes)).unwrap();
    assert_eq!(r.info().frames, Some(20000));
    let w = r.take_warnings();
    assert!(w.iter().any(|w| w.to_string().contains("STREAMINFO says 5000 frames")), "{w:?}");
}

/// A 100-byte file claiming 2^36 - 1 samples on 8 channels reports the few
/// frames it holds; nothing is sized from the claim.
#[test]
fn a_tiny_file_claiming_2_pow_36_samples_holds_what_it_holds() {
    let chans: Vec<Vec<i64>> = (0..8).map(|c| vec![c as i64; 40]).collect();
    let mut f = b"fLaC".to_vec();
    f.push(0x80);
    f.extend([0, 0, 34]);
    f.extend(streaminfo(44100, 8, 16, (1 << 36) - 1, 40, 40));
    f.extend(craft_frame(&chans, 16, 7, 0, false));
    assert!(f.len() < 100, "{}", f.len());
    let mut r = FlacReader::new(Source::memory(f)).unwrap();
    assert_eq!(r.info().frames, Some(40));
    assert!(r.take_warnings().iter().any(|w| matches!(w, Warning::StreamInfoCutShort { .. })));
    assert_eq!(decode_all(&mut r).0.len(), 320);
}

/// Rewrites a crafted frame's rate code to 0 ("see STREAMINFO") with both CRCs fixed.
fn rate_code_zero(frame: &mut [u8]) {
    frame[2] &= 0xF0;
    let hlen = parse_header_len_unchecked(frame);
    frame[hlen - 1] = crc8(&frame[..hlen - 1]);
    let n = frame.len();
    let crc = crc16(&frame[..n - 2]);
    frame[n - 2..].copy_from_slice(&crc.to_be_bytes());
}

/// Header length of a crafted frame (16-bit block size code, no rate bytes).
fn parse_header_len_unchecked(frame: &[u8]) -> usize {
    let extra = match frame[4].leading_ones() {
        0 => 0,
        n => n as usize - 1,
    };
    4 + 1 + extra + 2 + 1
}

/// Sample rate 0 in STREAMINFO and in every frame header: an error that says
/// the file is damaged, never "0 Hz". A rate in the frame headers rescues a
/// STREAMINFO with 0.
#[test]
fn sample_rate_zero_is_damage() {
    let chans = vec![vec![1i64; 100], vec![2i64; 100]];
    let mut frame = craft_frame(&chans, 16, 1, 0, false);
    let head = |rate: u32| {
        let mut f = b"fLaC".to_vec();
        f.push(0x80);
        f.extend([0, 0, 34]);
        f.extend(streaminfo(rate, 2, 16, 100, 100, 100));
        f
    };
    // The frame gives 44100: that is the rate.
    let mut ok = head(0);
    ok.extend(&frame);
    assert_eq!(FlacReader::new(Source::memory(ok)).unwrap().info().sample_rate(), 44100);
    rate_code_zero(&mut frame);
    assert!(parse_header(&frame).is_ok());
    let mut good = head(44100);
    good.extend(&frame);
    assert_eq!(FlacReader::new(Source::memory(good)).unwrap().info().frames, Some(100));
    let mut bad = head(0);
    bad.extend(&frame);
    let e = FlacReader::new(Source::memory(bad)).err().expect("rate 0 must be refused").to_string();
    assert!(e.contains("damaged") && e.contains("sample rate 0"), "{e}");
    // Bare frames with rate code 0 and no STREAMINFO at all.
    let e = FlacReader::new(Source::memory(frame)).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("damaged"), "{e}");
}

/// Flips one bit of a frame's last subframe with the CRC-16 fixed up, so the
/// frame decodes cleanly with one sample changed; returns the damaged file.
fn damage_quietly(bytes: &[u8]) -> Vec<u8> {
    let (_, spans) = frame_spans(bytes);
    let (s, e) = spans[spans.len() / 2];
    for back in 3..(e - s - 20) {
        for bit in 0..8 {
            let mut f = bytes.to_vec();
            f[e - back] ^= 1 << bit;
            let crc = crc16(&f[s..e - 2]);
            f[e - 2..e].copy_from_slice(&crc.to_be_bytes());
            let Ok(mut r) = FlacReader::new(Source::memory(f.clone())) else { continue };
            let n = r.info().frames;
            let (got, w) = decode_all(&mut r);
            if n == Some(got.len() as u64 / r.info().channels() as u64)
                && w.iter().all(|w| w.contains("MD5"))
                && w.len() == 1
            {
                return f;
            }
        }
    }
    panic!("no quiet damage found");
}

/// STREAMINFO's MD5 is checked while decoding from the start: intact files
/// say so, a frame changed with its CRC-16 fixed up is caught ("damaged: MD5
/// mismatch"), as `flac -t` catches it; no check when the MD5 is all zeros
/// or after a seek.
#[test]
fn md5_is_checked_while_decoding() {
    for (ch, bps, kind) in [(2usize, 16u32, 3u32), (1, 24, 3), (2, 8, 4), (3, 20, 3)] {
        let pcm = gen(kind, 20000, ch, bps, 5);
        let bytes = own_encode(&pcm, ch, bps, 44100);
        let mut r = FlacReader::new(Source::memory(bytes.clone())).unwrap();
        assert_eq!(r.verified(), None);
        let (got, w) = decode_all(&mut r);
        assert!(got == pcm && w.is_empty(), "{w:?}");
        assert_eq!(r.verified(), Some(true), "{ch} ch {bps} bits");

        let bad = damage_quietly(&bytes);
        let mut r = FlacReader::new(Source::memory(bad.clone())).unwrap();
        let (_, w) = decode_all(&mut r);
        assert_eq!(r.verified(), Some(false));
        assert!(w.iter().any(|w| w.starts_with("damaged: MD5 mismatch")), "{w:?}");
        // All-zero MD5: unknown, not checked.
        let mut zero = bad.clone();
        zero[26..42].fill(0);
        let mut r = FlacReader::new(Source::memory(zero)).unwrap();
        let (_, w) = decode_all(&mut r);
        assert_eq!(r.verified(), None);
        assert!(w.is_empty(), "{w:?}");
        // A seek makes the check impossible.
        let mut r = FlacReader::new(Source::memory(bad.clone())).unwrap();
        r.seek(0).unwrap();
        let _ = decode_all(&mut r);
        assert_eq!(r.verified(), None);
        // A caller that proves the samples itself skips it: no verdict, no warning.
        let mut r = FlacReader::new(Source::memory(bad)).unwrap();
        r.skip_checksum();
        let (_, w) = decode_all(&mut r);
        assert_eq!(r.verified(), None);
        assert!(w.is_empty(), "{w:?}");
    }
    // A cut file is damaged too.
    let pcm = gen(0, 20000, 2, 16, 5);
    let bytes = own_encode(&pcm, 2, 16, 44100);
    let mut r = FlacReader::new(Source::memory(bytes[..bytes.len() - 100].to_vec())).unwrap();
    let _ = decode_all(&mut r);
    assert_eq!(r.verified(), Some(false));
}

/// A file truncated by another program while it is read (buffered, as
/// every file is now) ends in a short read with a warning, not a crash.
#[test]
fn a_file_truncated_while_open_ends_short() {
    let dir = tempfile::tempdir().unwrap();
    let pcm = gen(3, 1 << 20, 2, 16, 9); // ~4 MB of noise: an input once memory-mapped
    let bytes = own_encode(&pcm, 2, 16, 44100);
    assert!(bytes.len() > 4 << 20);
    let p = dir.path().join("shrinks.flac");
    std::fs::write(&p, &bytes).unwrap();
    let mut r = FlacReader::new(Source::open(&p).unwrap()).unwrap();
    let mut buf = vec![0i32; 4096 * 2];
    let first = r.read_i32(&mut buf).unwrap();
    assert_eq!(first, 4096);
    std::fs::OpenOptions::new().write(true).open(&p).unwrap().set_len(1 << 20).unwrap();
    let mut total = first;
    loop {
        match r.read_i32(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
    assert!(total < 1 << 20, "{total}");
    assert!(!r.take_warnings().is_empty());
    assert_eq!(r.verified(), Some(false));
}

/// The portable frame decoder and the one `decode_frame` picks on this CPU
/// (AVX2/BMI2 where there is one) give the same samples and lengths, frame
/// by frame, on encoded music-like signals (LPC and FIXED subframes, 8 to 32
/// bits, 1 to 8 channels) and on crafted frames (every stereo coding,
/// VERBATIM, CONSTANT, variable block sizes).
#[test]
fn portable_and_dispatched_frame_decoders_agree() {
    use crate::io::codec::flac::frame::decode_frame_portable;
    let mut streams = Vec::new();
    for (kind, ch, bps) in [(0u32, 2usize, 16u32), (4, 1, 24), (2, 2, 8), (3, 6, 20), (0, 2, 32), (4, 8, 12)] {
        streams.push((own_encode(&gen(kind, 20_000, ch, bps, 7 + kind as u64), ch, bps, 44100), bps));
    }
    for (ch, bps) in [(2usize, 16u32), (2, 32), (1, 24), (3, 20)] {
        let (file, _) = crafted(ch, bps, &[1, 17, 256, 4096, 3, 4608, 31], true, 11);
        streams.push((file, bps));
    }
    for (bytes, bps) in streams {
        let (_, spans) = frame_spans(&bytes);
        let h0 = parse_header(&bytes[spans[0].0..]).unwrap();
        let nch = h0.channels as usize;
        for (start, end) in spans {
            let h = parse_header(&bytes[start..]).unwrap();
            let bs = h.block_size as usize;
            if bps == 32 {
                let (mut a, mut b) = (vec![vec![0i64; MAX_BLOCK]; nch], vec![vec![1i64; MAX_BLOCK]; nch]);
                assert_eq!(decode_frame::<i64>(&bytes[start..], &h, bps, &mut a), Ok(end - start));
                assert_eq!(decode_frame_portable::<i64>(&bytes[start..], &h, bps, &mut b), Ok(end - start));
                assert!(a.iter().zip(&b).all(|(x, y)| x[..bs] == y[..bs]), "32-bit frame at {start}");
            } else {
                let (mut a, mut b) = (vec![vec![0i32; MAX_BLOCK]; nch], vec![vec![1i32; MAX_BLOCK]; nch]);
                assert_eq!(decode_frame::<i32>(&bytes[start..], &h, bps, &mut a), Ok(end - start));
                assert_eq!(decode_frame_portable::<i32>(&bytes[start..], &h, bps, &mut b), Ok(end - start));
                assert!(a.iter().zip(&b).all(|(x, y)| x[..bs] == y[..bs]), "{nch} ch {bps}-bit frame at {start}");
            }
        }
    }
}

/// Rewrites a crafted frame's sample-rate code, both CRCs fixed.
fn set_rate_code(frame: &mut [u8], code: u8) {
    frame[2] = (frame[2] & 0xF0) | code;
    let hlen = parse_header_len_unchecked(frame);
    frame[hlen - 1] = crc8(&frame[..hlen - 1]);
    let n = frame.len();
    let crc = crc16(&frame[..n - 2]);
    frame[n - 2..].copy_from_slice(&crc.to_be_bytes());
}

/// A file of STREAMINFO (44100 Hz, `ch` channels, `bps` bits) and the frames.
fn with_streaminfo(ch: u32, bps: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut f = b"fLaC".to_vec();
    f.push(0x80);
    f.extend([0, 0, 34]);
    f.extend(streaminfo(44100, ch, bps, 0, 100, 100));
    for fr in frames {
        f.extend(fr);
    }
    f
}

/// Issue 12 (the FLAC testbench's "uncommon" 01–04 and "faulty" 03–04): a
/// stream whose rate, channel count or sample size changes at a frame
/// boundary, or whose every frame disagrees with STREAMINFO, is refused with
/// an error naming the byte and the change (as libFLAC and ffmpeg refuse it),
/// never decoded to nothing or to the frames before the change with a "lost
/// sync" warning. A header of another format met inside damage stays damage.
#[test]
fn a_format_change_is_a_clear_error_not_lost_sync() {
    let mono = |n: u64, v: i64| craft_frame(&[vec![v; 100]], 16, 0, n, false);
    let stereo = |n: u64| craft_frame(&[vec![3i64; 100], vec![-4i64; 100]], 16, 1, n, false);
    let mono24 = |n: u64| craft_frame(&[(0..100).map(|i| i << 9).collect()], 24, 0, n, false);
    let mut at48k = mono(1, 7);
    set_rate_code(&mut at48k, 0xA);
    assert_eq!(parse_header(&at48k).unwrap().rate, Some(48000));
    let cases = [
        (vec![mono(0, 1), stereo(1)], "has 2 channels, the stream began with 1 channel"),
        (vec![mono(0, 1), mono24(1)], "has 24 bits per sample, the stream began with 16 bits per sample"),
        (vec![mono(0, 1), at48k], "has 48000 Hz, the stream began with 44100 Hz"),
    ];
    for (frames, says) in cases {
        let at = frames[0].len() + 42;
        let e = FlacReader::new(Source::memory(with_streaminfo(1, 16, &frames))).err().expect("refused").to_string();
        assert!(e.contains("changes mid-stream") && e.contains(says) && e.contains(&format!("byte {at}")), "{e}");
        // Bare frames (no STREAMINFO): the first frame gives the format.
        let bare: Vec<u8> = frames.concat();
        let e = FlacReader::new(Source::memory(bare)).err().expect("refused").to_string();
        assert!(e.contains("changes mid-stream") && e.contains(says), "{e}");
    }
    // Every frame disagrees with STREAMINFO: damage at the first frame, not "0 frames".
    let e = FlacReader::new(Source::memory(with_streaminfo(1, 24, &[mono(0, 1), mono(1, 2)])))
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("damaged file at byte 42") && e.contains("STREAMINFO says 24 bits per sample"), "{e}");
    let e = FlacReader::new(Source::memory(with_streaminfo(5, 16, &[mono(0, 1)]))).err().expect("refused").to_string();
    assert!(e.contains("STREAMINFO says 5 channels but the first frame has 1 channel"), "{e}");
    // A header of another format whose frame does not check out, after a good frame: damage skipped.
    let mut broken = stereo(1);
    let n = broken.len();
    broken[n - 1] ^= 1;
    let (pcm, w) = decode_bytes(&with_streaminfo(1, 16, &[mono(0, 1), broken, mono(1, 2)]));
    assert_eq!(pcm.len(), 200, "{w:?}");
    assert!(w.iter().any(|w| w.contains("another format")), "{w:?}");
}

/// A metadata block header and body.
fn block(ty: u8, last: bool, body: &[u8]) -> Vec<u8> {
    let n = body.len() as u32;
    let mut b = vec![ty | if last { 0x80 } else { 0 }, (n >> 16) as u8, (n >> 8) as u8, n as u8];
    b.extend(body);
    b
}

/// Issue 12 (the FLAC testbench's "uncommon" 11): a stream with no `fLaC`
/// that starts mid-frame (junk, a false sync, then whole frames) is found by
/// the probe, decodes from its first whole frame, and says how many bytes it
/// passed over. Junk with no whole frame stays "not an audio file".
#[test]
fn a_stream_picked_up_mid_frame_decodes_from_its_first_whole_frame() {
    let (frames, pcm) = crafted(2, 16, &[300, 17, 4096, 1000], false, 9);
    let mut junk: Vec<u8> = (0..700u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 1).collect();
    junk[100] = 0xFF;
    junk[101] = 0xF8; // a false frame sync
    junk.extend(&frames);
    let mut r = crate::io::probe::open_source(Source::memory(junk.clone())).expect("found the frames");
    assert_eq!(r.info().frames, Some(pcm.len() as u64 / 2));
    let mut got = vec![0i32; pcm.len() + 64];
    let mut n = 0;
    loop {
        let k = r.read_i32(&mut got[n..]).unwrap();
        if k == 0 {
            break;
        }
        n += k * 2;
    }
    assert_eq!(&got[..n], &pcm[..]);
    let w: Vec<String> = r.take_warnings().iter().map(ToString::to_string).collect();
    assert!(w.iter().any(|w| w.contains("the first 700 bytes are not FLAC frames")), "{w:?}");
    let e = crate::io::probe::open_source(Source::memory(junk[..700].to_vec())).err().unwrap().to_string();
    assert!(e.contains("not an audio file"), "{e}");
}

/// Issue 12 (the FLAC testbench's "faulty" 01, 06, 07, 08, 09, 10): rules of
/// the format that decoding reads around are named in a warning at open
/// (`info` shows them), and the audio still decodes whole.
#[test]
fn broken_format_rules_are_named_and_read_around() {
    let frame = |n: u64, bs: usize| craft_frame(&[vec![n as i64; bs]], 16, 0, n, false);
    let si = |max_bs: u16| streaminfo(44100, 1, 16, 0, max_bs.min(100), max_bs);
    let mut vc = Vec::new();
    vc.extend(3u32.to_le_bytes());
    vc.extend(b"enc");
    vc.extend(10u32.to_le_bytes()); // claims 10 comments, holds 1
    vc.extend(7u32.to_le_bytes());
    vc.extend(b"TITLE=x");
    let file = |blocks: &[Vec<u8>], frames: &[Vec<u8>]| [b"fLaC".to_vec(), blocks.concat(), frames.concat()].concat();
    let frames = [frame(0, 100), frame(1, 100), frame(2, 100)];
    let cases: Vec<(Vec<u8>, &str, u64)> = vec![
        (
            file(&[block(0, true, &si(50))], &frames),
            "a frame of 100 samples where STREAMINFO says blocks are at most 50",
            300,
        ),
        (file(&[block(4, false, &vc), block(0, true, &si(100))], &frames), "STREAMINFO is metadata block 2", 300),
        (file(&[block(4, true, &vc)], &frames), "the metadata has no STREAMINFO block", 300),
        (
            file(&[block(0, false, &si(100)), block(4, true, &vc)], &frames),
            "says it holds 10 comments but ends after 1",
            300,
        ),
        (
            file(&[block(0, true, &si(100))], &[frame(0, 1), frame(1, 1), frame(2, 1)]),
            "a frame of 1 sample that is not the last",
            3,
        ),
    ];
    for (bytes, says, frames) in cases {
        let mut r = FlacReader::new(Source::memory(bytes)).unwrap();
        assert_eq!(r.info().frames, Some(frames), "{says}");
        let (pcm, w) = decode_all(&mut r);
        assert_eq!(pcm.len() as u64, frames, "{says}");
        assert!(w.iter().any(|w| w.contains(says)), "{says}: {w:?}");
    }
    // A lone short frame (the whole stream) breaks nothing.
    let mut r = FlacReader::new(Source::memory(file(&[block(0, true, &si(100))], &[frame(0, 5)]))).unwrap();
    assert!(r.take_warnings().is_empty());
}

/// Seeking guesses by interpolation: on a stream whose bit rate swings
/// (loud noise, long silence in tiny frames, quiet noise), every seek still
/// lands on the exact sample, with or without a stated total.
#[test]
fn interpolated_seeks_are_exact_where_the_bit_rate_swings() {
    let rate = 8000usize;
    let mut rng = Rng(99);
    let mut pcm: Vec<i32> = Vec::new();
    for (secs, amp) in [(20usize, 30000i64), (60, 0), (20, 20000), (20, 100), (5, 0), (10, 32000)] {
        pcm.extend((0..secs * rate).map(|_| if amp == 0 { 0 } else { (rng.next() as i64 % amp) as i32 }));
    }
    let file = own_encode(&pcm, 1, 16, rate as u32);
    assert!(file.len() > 8 * BISECT_MIN as usize, "big enough to search: {} bytes", file.len());
    let total = pcm.len();
    for stated in [true, false] {
        let mut f = file.clone();
        if !stated {
            set_total(&mut f, 0);
        }
        let mut r = FlacReader::new(Source::memory(f)).unwrap();
        assert_eq!(r.info().frames, Some(total as u64));
        let mut targets: Vec<usize> = (0..300).map(|_| (rng.next() % total as u64) as usize).collect();
        targets.extend([0, 1, 4095, 4096, 160_000, 160_001, 640_000, total - 1, total]);
        for t in targets {
            assert_eq!(r.seek(t as u64).unwrap(), t as u64);
            let mut b = [0i32; 5];
            let n = r.read_i32(&mut b).unwrap();
            assert_eq!(n, (total - t).min(5), "seek {t}");
            assert!(b[..n] == pcm[t..t + n], "seek {t} (total stated: {stated})");
        }
    }
}

#[test]
fn near_seeks_land_on_a_frame_within_the_slack_and_read_true_samples() {
    let rate = 8000usize;
    let mut rng = Rng(7);
    let mut pcm: Vec<i32> = Vec::new();
    for (secs, amp) in [(30usize, 30000i64), (30, 0), (30, 2000), (30, 25000)] {
        pcm.extend((0..secs * rate).map(|_| if amp == 0 { 0 } else { (rng.next() as i64 % amp) as i32 }));
    }
    let file = own_encode(&pcm, 1, 16, rate as u32);
    let total = pcm.len() as u64;
    let mut r = FlacReader::new(Source::memory(file)).unwrap();
    for slack in [0u64, 100, 4096, 20_000, 200_000] {
        for _ in 0..100 {
            let t = rng.next() % total;
            let at = r.seek_near(t, slack).unwrap();
            assert!(at.abs_diff(t) <= slack, "slack {slack}: {t} landed at {at}");
            if slack >= 4096 {
                assert!(at == t || at % 4096 == 0, "a wide slack lands on a frame start, not decoding on: {at}");
            }
            let mut b = [0i32; 64];
            let n = r.read_i32(&mut b).unwrap();
            let a = at as usize;
            assert_eq!(n, (pcm.len() - a).min(64));
            assert!(b[..n] == pcm[a..a + n], "slack {slack}: samples at {at}");
            // An exact seek after a near one is still exact.
            let e = rng.next() % total;
            assert_eq!(r.seek(e).unwrap(), e);
            let n = r.read_i32(&mut b).unwrap();
            assert!(b[..n] == pcm[e as usize..e as usize + n], "exact {e} after a near seek");
        }
    }
}

#[test]
fn a_seek_table_that_lies_does_not_mislead_seeking() {
    let rate = 8000usize;
    let mut rng = Rng(5);
    let pcm: Vec<i32> =
        (0..120 * rate).map(|i| ((rng.next() % 20000) as i32 - 10000) * ((i / 8000) % 3) as i32).collect();
    let total = pcm.len() as u64;
    let good = own_encode_expecting(&pcm, 1, 16, rate as u32, Some(total));
    // The SEEKTABLE is the first block after STREAMINFO: 12 points of 18 bytes.
    assert_eq!(good[42] & 0x7F, 3, "a SEEKTABLE");
    let points = 12;
    let body = 46;
    let mut lies = Vec::new();
    // Offsets shifted into the middle of frames; sample numbers off by a
    // block; points swapped out of their places.
    let mut shifted = good.clone();
    for k in 1..points {
        let at = body + k * 18 + 8;
        let off = u64::from_be_bytes(shifted[at..at + 8].try_into().unwrap()) + 777;
        shifted[at..at + 8].copy_from_slice(&off.to_be_bytes());
    }
    lies.push(("offsets", shifted));
    let mut samples_off = good.clone();
    for k in 1..points {
        let at = body + k * 18;
        let s = u64::from_be_bytes(samples_off[at..at + 8].try_into().unwrap()) + 4096;
        samples_off[at..at + 8].copy_from_slice(&s.to_be_bytes());
    }
    lies.push(("sample numbers", samples_off));
    let mut swapped = good.clone();
    let (a, b) = (body + 3 * 18 + 8, body + 9 * 18 + 8);
    let (x, y) = (swapped[a..a + 8].to_vec(), swapped[b..b + 8].to_vec());
    swapped[a..a + 8].copy_from_slice(&y);
    swapped[b..b + 8].copy_from_slice(&x);
    lies.push(("swapped offsets", swapped));
    lies.push(("the truth", good));
    for (what, file) in lies {
        let mut r = FlacReader::new(Source::memory(file)).unwrap();
        assert_eq!(r.info().frames, Some(total), "{what}");
        for _ in 0..200 {
            let t = rng.next() % total;
            assert_eq!(r.seek(t).unwrap(), t, "{what}");
            let mut b = [0i32; 8];
            let n = r.read_i32(&mut b).unwrap();
            assert!(b[..n] == pcm[t as usize..t as usize + n], "{what}: seek {t}");
            let slack = 30_000;
            let at = r.seek_near(t, slack).unwrap();
            assert!(at.abs_diff(t) <= slack, "{what}: near {t} landed at {at}");
            let n = r.read_i32(&mut b).unwrap();
            assert!(b[..n] == pcm[at as usize..at as usize + n], "{what}: near {t}, samples at {at}");
        }
    }
}
