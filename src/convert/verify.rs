//! `convert --verify`: proving an output once it is in place. While a file
//! is written, [`HashingWriter`] keeps a running 64-bit hash of the samples
//! exactly as they reach the encoder (after resampling, dither and
//! quantisation: the pipeline is deterministic), so no second copy of the
//! audio is kept. Afterwards the output is decoded again and hashed the same
//! way: a lossless output must give the same hash and sample count
//! (bit-exact), a lossy one ([`OutputFormat::is_lossy`]) must decode end to
//! end to the same channel count and length. The same decoding pass can
//! feed a loudness meter (the measured loudness of a normalised output).
//!
//! This room reads outputs; removing one that failed is the caller's job.

use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::dsp::loudness::LoudnessMeter;
use crate::io::{AudioFile, AudioWriter, OutputFormat, Tags, WriteError};

/// Frames decoded at a time while verifying.
const VERIFY_FRAMES: usize = 16384;

/// Lossy outputs may differ from the frames written by this much (a
/// decoder that does not trim the encoder's delay), in seconds.
const LOSSY_LENGTH_SLACK_S: f64 = 0.05;

/// A running hash of interleaved samples. Samples are taken in pairs, each
/// pair one 64-bit word (`first | second << 32`), and word `j` goes to lane
/// `j % 8`; each lane takes `h = (rotl(h, 5) ^ w) · K` with `K` odd. Eight
/// independent lanes of one multiply per two samples keep the CPU's
/// multiplier busy every cycle (a quarter of the time four lanes of one
/// sample each took). Samples short of a whole round of 16 wait in
/// `pending`, so how the stream is cut into calls does not matter. Every
/// step is a bijection of `h`, and `w ↦ (c ^ w) · K` is one-to-one, so any
/// single changed sample always changes the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleHash {
    lanes: [u64; LANES],
    /// Samples of an unfinished round (zero past `samples % ROUND`).
    pending: [u32; ROUND],
    /// Samples hashed.
    pub samples: u64,
}

const K: u64 = 0x517c_c1b7_2722_0a95;
const LANES: usize = 8;
/// Samples per round: two to each lane.
const ROUND: usize = 2 * LANES;

impl Default for SampleHash {
    fn default() -> Self {
        SampleHash {
            lanes: [
                0x243f_6a88_85a3_08d3,
                0x1319_8a2e_0370_7344,
                0xa409_3822_299f_31d0,
                0x082e_fa98_ec4e_6c89,
                0x4528_21e6_38d0_1377,
                0xbe54_66cf_34e9_0c6c,
                0xc0ac_29b7_c97c_50dd,
                0x3f84_d5b5_b547_0917,
            ],
            pending: [0; ROUND],
            samples: 0,
        }
    }
}

impl SampleHash {
    #[inline(always)]
    fn round(lanes: &mut [u64; LANES], s: &[u32; ROUND]) {
        for (j, h) in lanes.iter_mut().enumerate() {
            let w = u64::from(s[2 * j]) | u64::from(s[2 * j + 1]) << 32;
            *h = (h.rotate_left(5) ^ w).wrapping_mul(K);
        }
    }

    fn add<T: Copy>(&mut self, values: &[T], word: impl Fn(T) -> u32) {
        let mut rest = values;
        let open = (self.samples % ROUND as u64) as usize;
        if open != 0 {
            // Finish the round a previous call left open.
            let take = rest.len().min(ROUND - open);
            for (p, &x) in self.pending[open..open + take].iter_mut().zip(&rest[..take]) {
                *p = word(x);
            }
            self.samples += take as u64;
            rest = &rest[take..];
            if open + take < ROUND {
                return;
            }
            let pending = self.pending;
            Self::round(&mut self.lanes, &pending);
            self.pending = [0; ROUND];
        }
        let mut rounds = rest.chunks_exact(ROUND);
        let mut lanes = self.lanes;
        for r in &mut rounds {
            let mut s = [0u32; ROUND];
            for (o, &x) in s.iter_mut().zip(r) {
                *o = word(x);
            }
            Self::round(&mut lanes, &s);
        }
        self.lanes = lanes;
        let tail = rounds.remainder();
        for (p, &x) in self.pending.iter_mut().zip(tail) {
            *p = word(x);
        }
        self.samples += rest.len() as u64;
    }

    /// Adds integer samples.
    pub fn add_i32(&mut self, s: &[i32]) {
        self.add(s, |v| v as u32);
    }

    /// Adds float samples (by their bits; what kind of samples were written
    /// is kept beside the hash, so the two never meet).
    pub fn add_f32(&mut self, s: &[f32]) {
        self.add(s, f32::to_bits);
    }
}

/// What the writer saw: integer samples, float samples, or both (then only
/// the length can be checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Kind {
    #[default]
    None,
    Int,
    Float,
    Mixed,
}

#[derive(Debug, Default)]
struct Seen {
    hash: SampleHash,
    kind: Kind,
}

/// The hash of what a [`HashingWriter`] passed on, readable after it finished.
#[derive(Debug, Clone, Default)]
pub struct WrittenDigest(Arc<Mutex<Seen>>);

/// Passes samples to the writer inside and hashes them on the way.
pub struct HashingWriter {
    inner: Box<dyn AudioWriter>,
    seen: WrittenDigest,
}

impl HashingWriter {
    /// Wraps `inner`; the digest fills as samples pass.
    pub fn wrap(inner: Box<dyn AudioWriter>) -> (Box<dyn AudioWriter>, WrittenDigest) {
        let seen = WrittenDigest::default();
        (Box::new(HashingWriter { inner, seen: seen.clone() }), seen)
    }

    fn note(&self, kind: Kind, f: impl FnOnce(&mut SampleHash)) {
        if let Ok(mut s) = self.seen.0.lock() {
            s.kind = match s.kind {
                Kind::None => kind,
                k if k == kind => k,
                _ => Kind::Mixed,
            };
            f(&mut s.hash);
        }
    }
}

impl AudioWriter for HashingWriter {
    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError> {
        self.note(Kind::Float, |h| h.add_f32(interleaved));
        self.inner.write_f32(interleaved)
    }
    fn write_i32(&mut self, interleaved: &[i32]) -> Result<(), WriteError> {
        self.note(Kind::Int, |h| h.add_i32(interleaved));
        self.inner.write_i32(interleaved)
    }
    fn set_tags(&mut self, tags: &Tags) -> Result<(), WriteError> {
        self.inner.set_tags(tags)
    }
    fn set_picture(&mut self, picture: &crate::io::tags::Picture) -> Result<(), WriteError> {
        self.inner.set_picture(picture)
    }
    fn finish(self: Box<Self>) -> Result<(), WriteError> {
        self.inner.finish()
    }
}

/// How an output was proved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// Decoded to exactly the samples written (count and hash).
    BitExact {
        /// Samples compared.
        samples: u64,
    },
    /// A lossy output decoded end to end with the channels and length expected.
    Decodable {
        /// Frames decoded.
        frames: u64,
    },
}

impl std::fmt::Display for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verification::BitExact { samples } => write!(f, "verified: bit-exact ({samples} samples)"),
            Verification::Decodable { frames } => write!(f, "verified: decodable, {frames} frames"),
        }
    }
}

/// Decodes `output` (just written as `format` with `channels` channels and
/// `frames` frames, `digest` of its samples) and proves it, or says what
/// is wrong. With `meter`, every decoded block is also measured (as f32 on
/// the reader's scale, as [`AudioFile::read_f32`] gives it).
pub fn verify_output(
    output: &Path,
    format: OutputFormat,
    channels: usize,
    frames: u64,
    digest: &WrittenDigest,
    mut meter: Option<&mut LoudnessMeter>,
) -> Result<Verification, String> {
    let (expected, kind) = match digest.0.lock() {
        Ok(s) => (s.hash, s.kind),
        Err(_) => return Err("the written samples' hash was lost".into()),
    };
    let mut file = AudioFile::open(output).map_err(|e| format!("does not open again: {}", e.error))?;
    let got_channels = file.info().channels();
    if got_channels != channels {
        return Err(format!("decodes to {got_channels} channels, {channels} were written"));
    }
    let exact = !format.is_lossy() && matches!(kind, Kind::Int | Kind::Float);
    if exact {
        // Every sample is compared with a hash of what was written, a
        // stronger proof than the file's MD5 (and the encoder's MD5 is checked
        // against `flac -t` by the tests): no time goes to it here.
        file.skip_checksum();
    }
    let mut hash = SampleHash::default();
    let mut decoded = 0u64;
    let decode_err = |e: crate::io::ReadError| format!("does not decode: {e}");
    let measuring = meter.is_some();
    let mut measure = |block: &[f32]| match meter.as_deref_mut() {
        Some(m) => m.push(block).map_err(|e| format!("cannot be measured: {e}")),
        None => Ok(()),
    };
    if exact && kind == Kind::Int {
        let mut buf = vec![0i32; VERIFY_FRAMES * channels];
        // Integers to f32 as the readers scale them: 2^-(bits-1).
        let info = file.info();
        let bits = info.bits_per_sample.or(info.sample_format.map(|f| f.bits())).unwrap_or(32).clamp(1, 32);
        let scale = (-(f64::from(bits) - 1.0)).exp2() as f32;
        let mut floats = Vec::new();
        loop {
            let n = file.read_i32(&mut buf).map_err(|e| decode_err(e.error))?;
            if n == 0 {
                break;
            }
            hash.add_i32(&buf[..n * channels]);
            decoded += n as u64;
            if measuring {
                floats.clear();
                floats.extend(buf[..n * channels].iter().map(|&v| v as f32 * scale));
                measure(&floats)?;
            }
        }
    } else {
        let mut buf = vec![0f32; VERIFY_FRAMES * channels];
        loop {
            let n = file.read_f32(&mut buf).map_err(|e| decode_err(e.error))?;
            if n == 0 {
                break;
            }
            if exact {
                hash.add_f32(&buf[..n * channels]);
            }
            measure(&buf[..n * channels])?;
            decoded += n as u64;
        }
    }
    if file.verified() == Some(false) {
        return Err("its own checksum (MD5) does not match its audio".into());
    }
    if exact {
        if decoded != frames {
            return Err(format!("decodes to {decoded} frames, {frames} were written"));
        }
        if hash != expected {
            return Err(format!("decodes to other samples than were written ({} samples compared)", hash.samples));
        }
        return Ok(Verification::BitExact { samples: hash.samples });
    }
    let slack = (LOSSY_LENGTH_SLACK_S * f64::from(file.info().sample_rate())) as u64;
    if decoded.abs_diff(frames) > slack {
        return Err(format!("decodes to {decoded} frames, {frames} were written"));
    }
    Ok(Verification::Decodable { frames: decoded })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_single_changed_sample_changes_the_hash() {
        let x: Vec<i32> = (0..1000).map(|i| (i * 7919) % 65536 - 32768).collect();
        let mut a = SampleHash::default();
        a.add_i32(&x);
        for cut in [1, 2, 3, 15, 16, 17, 31, 333, 334, 998] {
            let mut split = SampleHash::default();
            split.add_i32(&x[..cut]);
            split.add_i32(&x[cut..cut + 1]);
            split.add_i32(&x[cut + 1..]);
            assert_eq!(a, split, "chunking must not matter ({cut})");
        }
        for i in [0, 1, 15, 16, 500, 990, 999] {
            let mut y = x.clone();
            y[i] ^= 1;
            let mut b = SampleHash::default();
            b.add_i32(&y);
            assert_ne!(a, b, "a change at {i} went unseen");
        }
    }
}
