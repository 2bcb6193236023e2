//! What every fuzz target shares: the reader driver ("open, full decode
//! (bounded), seeks, reads" for any [`AudioReader`]), the panic hook that lets
//! symphonia's panics reach `io::symphonia`'s panic boundary, and the header
//! builders the codec targets wrap around the fuzz bytes so the codec is
//! reached on every run.
//!
//! The driver itself is the library's `io::exercise`, so the same steps
//! replay in the main crate's `tests/fuzz_regressions.rs`.

use coremusic::io::container::aiff::encode_extended;
use coremusic::io::{detect, open_source, AudioReader, Codec, Detected, Source};

pub use coremusic::io::exercise::{drive, seed_of, Exactness};

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
