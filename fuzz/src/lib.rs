//! What every fuzz target shares: the reader driver ("open, full decode
//! (bounded), seeks, reads" for any [`AudioReader`]), the panic hook that lets
//! symphonia's panics reach `io::symphonia`'s panic boundary, and the header
//! builders the codec targets wrap around the fuzz bytes so the codec is
//! reached on every run.
//!
//! Only `coremusic` and `std` are used here, so the same steps replay in the
//! main crate's `tests/fuzz_regressions.rs` (which keeps a copy of [`drive`]:
//! change both together).

use coremusic::io::container::aiff::encode_extended;
use coremusic::io::{detect, open_source, AudioReader, Codec, Detected, Source};

/// Read calls in the full decode: far more than any input within the fuzzer's
/// `-max_len` can need (so a reader that never reaches its end is a hang),
/// small enough to keep a run fast.
pub const MAX_CALLS: usize = 4096;
/// Reads after each seek.
pub const CALLS_AFTER_SEEK: usize = 4;
/// Frames per read buffer: odd and small, so block boundaries are crossed mid-buffer.
pub const FRAMES: usize = 37;

/// How exact the reader's length and seeks must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exactness {
    /// A native reader (WAV, AIFF, CAF, FLAC): a seek lands within the stated length.
    Exact,
    /// A symphonia reader: lengths can be estimates, seeks approximate.
    Estimated,
}

/// Wraps libfuzzer-sys's aborting panic hook so that panics raised in
/// symphonia's own source unwind to the `catch_unwind` in `io::symphonia`,
/// which turns them into errors (the contract). Any other panic aborts.
pub fn let_symphonia_panics_unwind() {
    let aborting = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_symphonia = info.location().is_some_and(|l| l.file().contains("/symphonia"));
        if !in_symphonia {
            aborting(info);
        }
    }));
}

fn read_f32s(reader: &mut dyn AudioReader, buf: &mut [f32], frames: usize, calls: usize) {
    for _ in 0..calls {
        match reader.read_f32(buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => assert!(n <= frames, "read_f32 returned {n} frames for a {frames}-frame buffer"),
        }
    }
}

fn read_i32s(reader: &mut dyn AudioReader, buf: &mut [i32], frames: usize, calls: usize) {
    for _ in 0..calls {
        match reader.read_i32(buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => assert!(n <= frames, "read_i32 returned {n} frames for a {frames}-frame buffer"),
        }
    }
}

/// Drives an open reader: a full decode as f32 (at most [`MAX_CALLS`] reads),
/// then seeks to a frame taken from `seed`, the middle, the last frame, the
/// end, past the end, `u64::MAX` and 0, each followed by i32 or f32 reads (a
/// full decode again after the first). Every read must fit its buffer; an
/// exact reader must land within its stated length. (A hang is left to
/// libFuzzer's `-timeout`.)
pub fn drive(reader: &mut dyn AudioReader, seed: u64, exactness: Exactness) {
    let channels = reader.info().channels().clamp(1, 256);
    let frames = reader.info().frames;
    // A huge channel count gets a small buffer: keep a run cheap.
    let buf_frames = if channels > 64 { 3 } else { FRAMES };
    let mut f = vec![0f32; channels * buf_frames];
    let mut i = vec![0i32; channels * buf_frames];
    read_f32s(reader, &mut f, buf_frames, MAX_CALLS);
    let known = frames.unwrap_or(0);
    let from_seed = if seed & 1 == 0 { seed % known.saturating_add(1) } else { seed };
    let targets = [from_seed, known / 2, known.saturating_sub(1), known, known.saturating_add(1), u64::MAX, 0];
    for (k, &target) in targets.iter().enumerate() {
        if let Ok(at) = reader.seek(target) {
            if let (Some(total), Exactness::Exact) = (frames, exactness) {
                assert!(at <= total.max(target), "seek({target}) landed at {at} in a {total}-frame stream");
            }
        }
        let calls = if k == 0 { MAX_CALLS } else { CALLS_AFTER_SEEK };
        if k % 2 == 0 {
            read_i32s(reader, &mut i, buf_frames, calls);
        } else {
            read_f32s(reader, &mut f, buf_frames, calls);
        }
    }
    let _ = reader.take_warnings();
}

/// A seek target taken from the data's last 8 bytes.
pub fn seed_of(data: &[u8]) -> u64 {
    let mut seed = [0u8; 8];
    let tail = &data[data.len().saturating_sub(8)..];
    seed[..tail.len()].copy_from_slice(tail);
    u64::from_le_bytes(seed)
}

/// Opens `data` from memory with `open` and drives the reader when it opens.
pub fn open_and_drive(data: &[u8], exactness: Exactness, open: impl FnOnce(Source) -> Option<Box<dyn AudioReader>>) {
    if let Some(mut reader) = open(Source::memory(data.to_vec())) {
        drive(reader.as_mut(), seed_of(data), exactness);
    }
}

/// Boxes a native reader's result for [`open_and_drive`].
pub fn boxed<R: AudioReader + 'static, E>(r: Result<R, E>) -> Option<Box<dyn AudioReader>> {
    r.ok().map(|r| Box::new(r) as Box<dyn AudioReader>)
}

/// Reads a config byte off the front of the fuzz input.
pub struct Config<'a> {
    bytes: &'a [u8],
}

impl<'a> Config<'a> {
    /// The first `n` bytes configure; the rest is the payload.
    pub fn split(data: &'a [u8], n: usize) -> (Config<'a>, &'a [u8]) {
        let n = n.min(data.len());
        (Config { bytes: &data[..n] }, &data[n..])
    }

    /// Config byte `k` (0 when the input is shorter).
    pub fn byte(&self, k: usize) -> u8 {
        self.bytes.get(k).copied().unwrap_or(0)
    }
}

/// A RIFF WAVE file: a `fmt ` chunk (`ext` is the cbSize extension), an
/// optional `fact` chunk and `data` as the audio bytes.
#[allow(clippy::too_many_arguments)]
pub fn wav_file(
    tag: u16,
    ch: u16,
    rate: u32,
    block_align: u16,
    bits: u16,
    ext: &[u8],
    fact: Option<u32>,
    data: &[u8],
) -> Vec<u8> {
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&tag.to_le_bytes());
    fmt.extend_from_slice(&ch.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate.saturating_mul(u32::from(block_align))).to_le_bytes());
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
    if data.len() % 2 == 1 {
        body.push(0);
    }
    let mut v = b"RIFF".to_vec();
    v.extend_from_slice(&(body.len() as u32).to_le_bytes());
    v.extend_from_slice(&body);
    v
}

/// An AIFF-C file: COMM (`frames` as stated, `compression` as the type) and
/// SSND with `data`.
pub fn aifc_file(ch: i16, frames: u32, bits: i16, rate: u32, compression: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut comm = ch.to_be_bytes().to_vec();
    comm.extend_from_slice(&frames.to_be_bytes());
    comm.extend_from_slice(&bits.to_be_bytes());
    comm.extend_from_slice(&encode_extended(rate));
    comm.extend_from_slice(compression);
    comm.extend_from_slice(b"\0\0");
    let mut ssnd = vec![0u8; 8];
    ssnd.extend_from_slice(data);
    let mut v = b"FORM\0\0\0\0AIFC".to_vec();
    for (id, body) in [(b"FVER", &0xA280_5140u32.to_be_bytes()[..]), (b"COMM", &comm), (b"SSND", &ssnd)] {
        v.extend_from_slice(id);
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

/// A CAF file: `desc` as given and a `data` chunk (its size stated, or -1 =
/// "to the end of the file" when `streamed`).
#[allow(clippy::too_many_arguments)]
pub fn caf_file(
    format: &[u8; 4],
    flags: u32,
    bytes_per_packet: u32,
    frames_per_packet: u32,
    ch: u32,
    bits: u32,
    rate: f64,
    streamed: bool,
    data: &[u8],
) -> Vec<u8> {
    let mut v = b"caff\0\x01\0\0desc".to_vec();
    v.extend_from_slice(&32i64.to_be_bytes());
    v.extend_from_slice(&rate.to_be_bytes());
    v.extend_from_slice(format);
    for x in [flags, bytes_per_packet, frames_per_packet, ch, bits] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v.extend_from_slice(b"data");
    let size = if streamed { -1 } else { data.len() as i64 + 4 };
    v.extend_from_slice(&size.to_be_bytes());
    v.extend_from_slice(&[0; 4]); // edit count
    v.extend_from_slice(data);
    v
}

/// The seven standard MS ADPCM coefficient pairs.
pub const MS_COEFS: [(i16, i16); 7] = [(256, 0), (512, -256), (0, 0), (192, 64), (240, 0), (460, -208), (392, -232)];

/// The `fmt ` extension of an MS ADPCM WAV: frames per block and the coefficients.
pub fn ms_adpcm_ext(frames_per_block: u16, coefs: &[(i16, i16)]) -> Vec<u8> {
    let mut v = frames_per_block.to_le_bytes().to_vec();
    v.extend_from_slice(&(coefs.len() as u16).to_le_bytes());
    for (a, b) in coefs {
        v.extend_from_slice(&a.to_le_bytes());
        v.extend_from_slice(&b.to_le_bytes());
    }
    v
}

/// Opens `data` with the probe, as the app does, and drives whatever reader it
/// picks. The native readers (WAV, AIFF, CAF, FLAC with their own codecs) are
/// held to exact seeks; symphonia's readers are not.
pub fn probe_and_drive(data: &[u8]) {
    let Ok(mut reader) = open_source(Source::memory(data.to_vec())) else {
        return;
    };
    let native_container = matches!(
        detect(&data[..data.len().min(64)]),
        Ok(Detected::Wave | Detected::Aiff | Detected::Caf | Detected::Flac)
    );
    let native_codec = matches!(
        reader.info().codec,
        Codec::Pcm | Codec::Alaw | Codec::Ulaw | Codec::ImaAdpcm | Codec::MsAdpcm | Codec::Flac
    );
    let exactness = if native_container && native_codec { Exactness::Exact } else { Exactness::Estimated };
    drive(reader.as_mut(), seed_of(data), exactness);
}
