//! Damaged-file robustness: every native kind, made in the test with the
//! project's writers (or by hand for the codecs no writer makes), has bytes
//! flipped at deterministic positions and is truncated at many lengths; each
//! variant must open or fail cleanly, read to the end in a bounded number of
//! calls and seek, without panicking.

use super::*;
use crate::format::SampleFormat::{self, *};
use crate::io::codec::pcm::test_util::{spec, write_i32};
use crate::io::writer::OutputFormat;

/// Read calls allowed before a read loop counts as a hang: far more than
/// any variant of the small seeds can legitimately need.
const MAX_CALLS: usize = 20_000;
/// Frames per read buffer (odd, so block boundaries are crossed mid-buffer).
const BUF_FRAMES: usize = 101;

use crate::test_support::XorShift64 as Rng;

fn signal(frames: usize, ch: usize, bits: u32) -> Vec<i32> {
    let max = ((1i64 << (bits - 1)) - 1) as f64;
    (0..frames * ch).map(|i| ((i as f64 * 0.031).sin() * max * 0.8) as i32).collect()
}

fn writer_seed(format: OutputFormat, ch: u16, sample: SampleFormat) -> Vec<u8> {
    let bits = if sample.is_float() { 32 } else { sample.bits() };
    write_i32(spec(format, ch, sample, None), &signal(300, ch as usize, bits))
}

/// A FLAC seed from the project's writer.
fn flac_seed(ch: u16, bits: u32, frames: usize) -> Vec<u8> {
    let sample = if bits == 16 { S16 } else { S24 };
    write_i32(spec(OutputFormat::Flac, ch, sample, None), &signal(frames, ch as usize, bits))
}

/// A RIFF WAVE with a hand-made fmt chunk and `data` as the audio bytes.
fn wav(tag: u16, ch: u16, block_align: u16, bits: u16, ext: &[u8], fact: Option<u32>, data: &[u8]) -> Vec<u8> {
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&tag.to_le_bytes());
    fmt.extend_from_slice(&ch.to_le_bytes());
    fmt.extend_from_slice(&8000u32.to_le_bytes());
    fmt.extend_from_slice(&8000u32.to_le_bytes());
    fmt.extend_from_slice(&block_align.to_le_bytes());
    fmt.extend_from_slice(&bits.to_le_bytes());
    fmt.extend_from_slice(&(ext.len() as u16).to_le_bytes());
    fmt.extend_from_slice(ext);
    let mut body = b"WAVEfmt ".to_vec();
    body.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
    body.extend_from_slice(&fmt);
    if let Some(n) = fact {
        body.extend_from_slice(b"fact\x04\0\0\0");
        body.extend_from_slice(&n.to_le_bytes());
    }
    body.extend_from_slice(b"data");
    body.extend_from_slice(&(data.len() as u32).to_le_bytes());
    body.extend_from_slice(data);
    let mut v = b"RIFF".to_vec();
    v.extend_from_slice(&(body.len() as u32).to_le_bytes());
    v.extend_from_slice(&body);
    v
}

/// A CAF of Apple IMA4 packets (any bytes decode).
fn caf_ima4(ch: u32, packets: usize, rng: &mut Rng) -> Vec<u8> {
    let mut v = b"caff\0\x01\0\0desc".to_vec();
    v.extend_from_slice(&32i64.to_be_bytes());
    v.extend_from_slice(&8000f64.to_be_bytes());
    v.extend_from_slice(b"ima4");
    for x in [0, 34 * ch, 64, ch, 0] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    let data: Vec<u8> = (0..34 * ch as usize * packets).map(|_| rng.next() as u8).collect();
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(data.len() as i64 + 4).to_be_bytes());
    v.extend_from_slice(&[0; 4]);
    v.extend_from_slice(&data);
    v
}

fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = Rng(0x5eed_cafe_f00d_beef);
    let mut noise = |n: usize| -> Vec<u8> { (0..n).map(|_| rng.next() as u8).collect() };
    let ima_block = 256u16; // stereo: 2×4 header bytes + 248 bytes = 497 frames
    let ms_block = 256u16; // stereo: 14 header bytes + 242 bytes = 244 frames
    let ms_ext = [&244u16.to_le_bytes()[..], &7u16.to_le_bytes(), &[0u8; 28]].concat();
    vec![
        ("wav u8", writer_seed(OutputFormat::Wav, 1, U8)),
        ("wav s16 stereo", writer_seed(OutputFormat::Wav, 2, S16)),
        ("wav s24", writer_seed(OutputFormat::Wav, 1, S24)),
        ("wav f32", writer_seed(OutputFormat::Wav, 2, F32)),
        ("wav s16 6ch extensible", writer_seed(OutputFormat::Wav, 6, S16)),
        ("wav ima adpcm", wav(0x11, 2, ima_block, 4, &497u16.to_le_bytes(), Some(900), &noise(512))),
        ("wav ms adpcm", wav(2, 2, ms_block, 4, &ms_ext, None, &noise(600))),
        ("wav alaw", wav(6, 1, 1, 8, &[], None, &noise(301))),
        ("wav ulaw", wav(7, 2, 2, 8, &[], None, &noise(400))),
        ("aiff s16", writer_seed(OutputFormat::Aiff, 2, S16)),
        ("aiff f32 (aifc)", writer_seed(OutputFormat::Aiff, 1, F32)),
        ("caf s24", writer_seed(OutputFormat::Caf, 2, S24)),
        ("caf f64", writer_seed(OutputFormat::Caf, 1, F64)),
        ("caf ima4", caf_ima4(2, 5, &mut Rng(7))),
        ("flac s16 stereo", flac_seed(2, 16, 700)),
        ("flac s24", flac_seed(1, 24, 400)),
        // The MP4 demuxer (its boxes and sample tables) over ALAC packets.
        ("m4a alac", writer_seed(OutputFormat::Alac, 2, S16)),
    ]
}

/// Opens `bytes` (from memory, or through a file read without mapping when
/// `file` is given), reads to the end (f32, then i32 after seeks), and
/// checks every call returns at most a buffer of frames and the loops end.
fn exercise(name: &str, what: &str, bytes: Vec<u8>, file: Option<&Path>) -> bool {
    let source = match file {
        Some(path) => {
            std::fs::write(path, &bytes).unwrap();
            Source::open_unmapped(path).unwrap()
        }
        None => Source::memory(bytes),
    };
    let Ok(mut r) = open_source(source) else { return false };
    let ch = r.info().channels().max(1);
    // A flipped channel count can be large: keep the buffers small then.
    let buf_frames = if ch > 64 { 3 } else { BUF_FRAMES };
    let mut f = vec![0f32; buf_frames * ch];
    let mut i = vec![0i32; buf_frames * ch];
    let mut read_to_end = |r: &mut Box<dyn AudioReader>, int: bool| {
        for _ in 0..MAX_CALLS {
            let n = if int { r.read_i32(&mut i) } else { r.read_f32(&mut f) };
            match n {
                Ok(0) | Err(_) => return,
                Ok(n) => assert!(n <= buf_frames, "{name} {what}: {n} frames for a {buf_frames}-frame buffer"),
            }
        }
        panic!("{name} {what}: still reading after {MAX_CALLS} calls");
    };
    read_to_end(&mut r, false);
    let frames = r.info().frames.unwrap_or(0);
    for target in [0, frames / 3, frames.saturating_sub(1), u64::MAX] {
        let _ = r.seek(target);
        read_to_end(&mut r, true);
    }
    let _ = r.take_warnings();
    true
}

#[test]
fn damaged_and_truncated_files_never_panic_or_hang() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged");
    // Every fourth variant goes through a file, the buffered (non-slice) path.
    let via = |k: usize| (k % 4 == 3).then_some(path.as_path());
    for (name, seed) in seeds() {
        let mut opened = 0;
        // The undamaged seed must open and read.
        let mut r = open_source(Source::memory(seed.clone())).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut buf = vec![0f32; 4096 * r.info().channels()];
        assert!(r.read_f32(&mut buf).unwrap() > 0, "{name}: no audio");
        let len = seed.len();
        for k in 0..200 {
            let mut bytes = seed.clone();
            // Half the flips land in the first 128 bytes, where the headers are.
            let at = if k % 2 == 0 { rng.below(len.min(128)) } else { rng.below(len) };
            bytes[at] ^= (rng.below(255) + 1) as u8;
            opened += exercise(name, &format!("with byte {at} flipped"), bytes, via(k)) as usize;
        }
        for k in 0..50 {
            let cut = rng.below(len);
            opened += exercise(name, &format!("cut to {cut} bytes"), seed[..cut].to_vec(), via(k)) as usize;
        }
        // Most single-byte flips leave a file that still opens: the damage
        // must reach the decoders, not just the header checks.
        assert!(opened > 125, "{name}: only {opened} of 250 variants opened");
    }
}
