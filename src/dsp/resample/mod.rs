//! Sample-rate conversion by an exact rational ratio with a polyphase
//! Kaiser-windowed-sinc filter bank.
//!
//! The rates are reduced by their gcd to `L/M` (output/input; 44100→48000 is
//! 160/147). Output frame `k` is the input signal at time `k·M/L` input frames,
//! i.e. `k / to_hz` seconds: the filter is evaluated centred on that instant,
//! so there is no delay to compensate and the output is time-aligned with the
//! input. When the L-cycle is short the bank holds one precomputed phase per
//! output position; when it is long (44100→44101, odd rates) it holds a fixed
//! number of phase intervals and interpolates each coefficient quadratically
//! in the fractional position, which keeps the error below the stopband.
//!
//! The input is taken as if preceded and followed by silence; a stream of `n`
//! input frames gives exactly `ceil(n·L/M)` output frames, whatever the chunk
//! sizes it was fed in, and the same bits as [`resample_all`] and
//! [`resample_parallel`]. The filter is designed in f64 and applied in f32
//! with many independent accumulators (fused multiply-add where the CPU has it).
//!
//! Nothing here reads files or starts threads of its own, and [`Resampler::process`]
//! allocates nothing except to grow the caller's output `Vec`.

mod bank;
mod design;
// unsafe: calls the AVX2/FMA kernels only after runtime detection says the
// CPU has them, with every index checked by the safe caller (see kernel.rs).
#[allow(unsafe_code)]
mod kernel;
mod parallel;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use rayon::prelude::*;

use bank::{Bank, Table};
use design::Design;
use kernel::{Cursor, Isa, Planes, LANES};
pub use parallel::{Block, BlockWorker, ParallelResampler};

/// The most channels a [`Resampler`] takes.
pub const MAX_CHANNELS: usize = 64;
/// The largest ratio between the two rates, either way.
pub const MAX_RATIO: u32 = 256;

/// Bandwidth and stopband presets, in the spirit of soxr's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    /// 80 dB stopband, flat to 80 % of the lower Nyquist. Shortest filter.
    Low,
    /// 100 dB stopband, flat to 87 %.
    Medium,
    /// 140 dB design stopband, flat to 91 % (20 kHz at 44.1 kHz).
    #[default]
    High,
    /// 175 dB design stopband, flat to 95 % (the widest band). Its longer
    /// filter sums more f32 products, so its measured THD+N (about −139 dB)
    /// is a little above `High`'s (about −142 dB): choose it for bandwidth,
    /// not for noise.
    Max,
}

impl Quality {
    /// Designed stopband attenuation in dB.
    pub fn attenuation_db(self) -> f64 {
        match self {
            Quality::Low => 80.0,
            Quality::Medium => 100.0,
            Quality::High => 140.0,
            Quality::Max => 175.0,
        }
    }

    /// End of the flat passband as a fraction of the lower Nyquist frequency.
    /// The stopband starts at that Nyquist, so nothing above it aliases.
    pub fn passband(self) -> f64 {
        match self {
            Quality::Low => 0.80,
            Quality::Medium => 0.87,
            Quality::High => 0.91,
            Quality::Max => 0.95,
        }
    }

    /// Phase intervals of an interpolated bank (used when the L-cycle is long).
    fn interp_phases(self) -> usize {
        match self {
            Quality::Low => 64,
            Quality::Medium => 128,
            Quality::High => 256,
            Quality::Max => 512,
        }
    }
}

/// Why a resampler cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResampleError {
    /// A sample rate of 0.
    #[error("sample rates must be above 0 (got {from} → {to} Hz)")]
    ZeroRate {
        /// Input rate.
        from: u32,
        /// Output rate.
        to: u32,
    },
    /// No channels, or more than [`MAX_CHANNELS`].
    #[error("{0} channels: a resampler takes 1 to {MAX_CHANNELS}")]
    Channels(usize),
    /// The rates differ by more than [`MAX_RATIO`].
    #[error("{from} → {to} Hz is beyond the 1:{MAX_RATIO} ratio a resampler takes")]
    Ratio {
        /// Input rate.
        from: u32,
        /// Output rate.
        to: u32,
    },
}

/// A streaming sample-rate converter for interleaved f32 frames.
///
/// ```
/// use coremusic::dsp::{Quality, Resampler};
/// let mut r = Resampler::new(44100, 48000, 2, Quality::High)?;
/// let input = vec![0.0f32; 2 * 44100];
/// let mut out = Vec::new();
/// for chunk in input.chunks(1000) {
///     r.process(chunk, &mut out);
/// }
/// r.finish(&mut out);
/// assert_eq!(out.len(), 2 * 48000);
/// # Ok::<(), coremusic::dsp::ResampleError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Resampler {
    bank: Arc<Bank>,
    from: u32,
    to: u32,
    quality: Quality,
    channels: usize,
    isa: Isa,
    /// `channels` planes of `cap` frames: the input window, deinterleaved.
    buf: Vec<f32>,
    cap: usize,
    /// Absolute input frame at plane position 0 (negative: leading silence).
    base: i64,
    len: usize,
    /// Frames still to drop from the input (their window was never needed).
    skip: u64,
    /// Input frames taken so far (absolute index of the next one).
    frames_in: u64,
    /// Next output frame and its input frame `floor(k·M/L)`.
    out_pos: u64,
    n: i64,
    cur: Cursor,
    /// Set by `finish`: the exact number of output frames.
    total_out: Option<u64>,
    /// A partial frame left over from the last `process` call.
    stash: [f32; MAX_CHANNELS],
    stash_len: usize,
}

impl Resampler {
    /// A converter from `from_hz` to `to_hz` for `channels` interleaved channels.
    pub fn new(from_hz: u32, to_hz: u32, channels: usize, quality: Quality) -> Result<Resampler, ResampleError> {
        if channels == 0 || channels > MAX_CHANNELS {
            return Err(ResampleError::Channels(channels));
        }
        let bank = Arc::new(Bank::new(from_hz, to_hz, quality)?);
        Ok(Resampler::at_output(bank, from_hz, to_hz, quality, channels, 0))
    }

    /// A converter whose next output frame is `k0` (input before it starts at
    /// the first frame its window needs). `k0 = 0` is the start of a stream.
    fn at_output(bank: Arc<Bank>, from: u32, to: u32, quality: Quality, channels: usize, k0: u64) -> Resampler {
        let (l, m) = (bank.l, bank.m);
        let n0 = (k0 as u128 * m as u128 / l as u128) as i64;
        let first = n0 - bank.half as i64 + 1 - bank.shift(k0) as i64;
        let cap = bank.taps + bank.taps.max(2048);
        let lead = (-first).max(0) as usize;
        let is_identity = matches!(bank.table, Table::Identity);
        // Keep in step with `restart_at`.
        Resampler {
            from,
            to,
            quality,
            channels,
            isa: Isa::detect(),
            buf: if is_identity { Vec::new() } else { vec![0f32; cap * channels] },
            cap,
            base: first,
            len: lead,
            skip: 0,
            frames_in: first.max(0) as u64,
            out_pos: k0,
            n: n0,
            cur: Cursor { off: 0, kk: bank.position(k0), ph: (k0 as u128 * m as u128 % l as u128) as u64 },
            total_out: None,
            stash: [0f32; MAX_CHANNELS],
            stash_len: 0,
            bank,
        }
    }

    /// Moves this converter to output frame `k0` of a new pass over the
    /// stream, as [`Resampler::at_output`] would build it, keeping its buffer.
    fn restart_at(&mut self, k0: u64) {
        let (l, m) = (self.bank.l, self.bank.m);
        let n0 = (k0 as u128 * m as u128 / l as u128) as i64;
        let first = n0 - self.bank.half as i64 + 1 - self.bank.shift(k0) as i64;
        let lead = ((-first).max(0) as usize).min(self.cap);
        if !self.buf.is_empty() {
            for c in 0..self.channels {
                self.buf[c * self.cap..c * self.cap + lead].fill(0.0);
            }
        }
        self.base = first;
        self.len = lead;
        self.skip = 0;
        self.frames_in = first.max(0) as u64;
        self.out_pos = k0;
        self.n = n0;
        self.cur = Cursor { off: 0, kk: self.bank.position(k0), ph: (k0 as u128 * m as u128 % l as u128) as u64 };
        self.total_out = None;
        self.stash_len = 0;
    }

    /// The same converter running another build of the loops (to test each).
    #[cfg(test)]
    fn with_isa(mut self, isa: Isa) -> Resampler {
        self.isa = isa;
        self
    }

    /// Input rate in Hz.
    pub fn from_hz(&self) -> u32 {
        self.from
    }

    /// Output rate in Hz.
    pub fn to_hz(&self) -> u32 {
        self.to
    }

    /// Interleaved channels per frame.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The preset this converter was built with.
    pub fn quality(&self) -> Quality {
        self.quality
    }

    /// The reduced ratio `(L, M)`: L output frames for every M input frames.
    pub fn ratio(&self) -> (u64, u64) {
        (self.bank.l, self.bank.m)
    }

    /// Filter taps per output sample (0 when the rates are equal).
    pub fn taps(&self) -> usize {
        self.bank.taps
    }

    /// Whether the filter bank interpolates between phases (long L-cycles).
    pub fn is_interpolated(&self) -> bool {
        matches!(self.bank.table, Table::Interp { .. })
    }

    /// Output frames a stream of `frames_in` input frames gives in all:
    /// `ceil(frames_in · to / from)`.
    pub fn output_frames(&self, frames_in: u64) -> u64 {
        self.bank.output_frames(frames_in)
    }

    /// Output frames produced so far.
    pub fn frames_out(&self) -> u64 {
        self.out_pos
    }

    /// Forgets the stream: the next `process` starts a new one.
    pub fn reset(&mut self) {
        *self = Resampler::at_output(self.bank.clone(), self.from, self.to, self.quality, self.channels, 0);
    }

    /// Takes interleaved input of any length (a partial frame is kept for the
    /// next call) and appends every output frame it completes to `output`.
    /// Returns the frames appended. After [`finish`](Self::finish) it takes
    /// nothing and returns 0 until [`reset`](Self::reset).
    pub fn process(&mut self, input: &[f32], output: &mut Vec<f32>) -> usize {
        if self.total_out.is_some() {
            return 0;
        }
        let ch = self.channels;
        let mut rest = input;
        let mut written = 0;
        if self.stash_len > 0 {
            let take = (ch - self.stash_len).min(rest.len());
            self.stash[self.stash_len..self.stash_len + take].copy_from_slice(&rest[..take]);
            self.stash_len += take;
            rest = &rest[take..];
            if self.stash_len == ch {
                let frame = self.stash;
                self.stash_len = 0;
                written += self.push_frames(&frame[..ch], output);
            }
        }
        let whole = rest.len() / ch * ch;
        written += self.push_frames(&rest[..whole], output);
        let tail = &rest[whole..];
        self.stash[..tail.len()].copy_from_slice(tail);
        self.stash_len += tail.len();
        written
    }

    /// Ends the stream: the input is taken as followed by silence and the
    /// remaining output is appended, so that the stream's total is exactly
    /// [`output_frames`](Self::output_frames)`(input frames)`. A partial frame
    /// left over is dropped. Returns the frames appended.
    pub fn finish(&mut self, output: &mut Vec<f32>) -> usize {
        if self.total_out.is_some() {
            return 0;
        }
        self.stash_len = 0;
        let total = self.bank.output_frames(self.frames_in);
        self.total_out = Some(total);
        if self.buf.is_empty() {
            return 0;
        }
        let mut written = 0;
        loop {
            written += self.drain(output);
            if self.out_pos >= total {
                return written;
            }
            self.pad_silence();
        }
    }

    /// Whole frames in: appends what becomes computable.
    fn push_frames(&mut self, mut input: &[f32], output: &mut Vec<f32>) -> usize {
        let ch = self.channels;
        if self.buf.is_empty() {
            output.extend_from_slice(input);
            let frames = (input.len() / ch) as u64;
            self.frames_in += frames;
            self.out_pos += frames;
            return frames as usize;
        }
        let mut written = 0;
        loop {
            written += self.drain(output);
            if input.is_empty() {
                return written;
            }
            let k = self.feed(input);
            input = &input[k * ch..];
        }
    }

    /// Appends every output frame the window allows.
    fn drain(&mut self, output: &mut Vec<f32>) -> usize {
        let n = self.producible();
        if n == 0 {
            return 0;
        }
        let old = output.len();
        output.resize(old + n * self.channels, 0.0);
        self.produce_into(&mut output[old..])
    }

    /// Output frames computable from the frames in the window now.
    fn producible(&self) -> usize {
        let (l, m) = (self.bank.l as u128, self.bank.m as u128);
        // Output k needs inputs up to floor(kM/L) − half + taps: computable
        // while floor(kM/L) < end + half − taps + 1.
        let limit = self.base + self.len as i64 + self.bank.half as i64 - self.bank.taps as i64;
        let mut end = if limit <= 0 { 0 } else { (limit as u128 * l).div_ceil(m).min(u64::MAX as u128) as u64 };
        if let Some(total) = self.total_out {
            end = end.min(total);
        }
        usize::try_from(end.saturating_sub(self.out_pos)).unwrap_or(usize::MAX)
    }

    /// Computes up to `out.len() / channels` frames; returns how many.
    fn produce_into(&mut self, out: &mut [f32]) -> usize {
        let ch = self.channels;
        let n = (out.len() / ch).min(self.producible());
        if n == 0 {
            return 0;
        }
        let out = &mut out[..n * ch];
        let first = self.n - self.bank.half as i64 + 1;
        // first − shift ≥ base: the next output's window never starts before the plane.
        let off0 = (first - self.base) as usize;
        self.cur.off = off0;
        let planes = Planes { buf: &self.buf, cap: self.cap, channels: ch, taps: self.bank.taps };
        match &self.bank.table {
            Table::Exact { coefs, step, shift } => {
                let b = kernel::Exact { coefs: coefs.get(), step, shift };
                kernel::run_exact(self.isa, planes, b, &mut self.cur, out)
            }
            Table::Interp { coefs, phases } => {
                let b = kernel::Interp { coefs: coefs.get(), phases: *phases, l: self.bank.l, m: self.bank.m };
                kernel::run_interp(self.isa, planes, b, &mut self.cur, out)
            }
            // Equal rates never buffer: nothing to compute.
            Table::Identity => return 0,
        }
        self.n += (self.cur.off - off0) as i64;
        self.out_pos += n as u64;
        n
    }

    /// Drops the frames no later output needs, making room at the end.
    fn compact(&mut self) {
        let first = self.n - self.bank.half as i64 + 1 - self.bank.shift(self.out_pos) as i64;
        let drop = first - self.base;
        if drop <= 0 {
            return;
        }
        let drop = drop as u64;
        if drop >= self.len as u64 {
            self.skip += drop - self.len as u64;
            self.base = first;
            self.len = 0;
            return;
        }
        let drop = drop as usize;
        for c in 0..self.channels {
            let p = c * self.cap;
            self.buf.copy_within(p + drop..p + self.len, p);
        }
        self.len -= drop;
        self.base += drop as i64;
    }

    /// Deinterleaves as many whole frames of `input` as fit; returns how many.
    fn feed(&mut self, input: &[f32]) -> usize {
        let ch = self.channels;
        let frames = input.len() / ch;
        if self.skip > 0 {
            let k = self.skip.min(frames as u64);
            self.skip -= k;
            self.frames_in += k;
            return k as usize;
        }
        if self.len == self.cap {
            self.compact();
        }
        let k = (self.cap - self.len).min(frames);
        let src = &input[..k * ch];
        let (cap, len) = (self.cap, self.len);
        match ch {
            1 => self.buf[len..len + k].copy_from_slice(src),
            2 => {
                let (p0, p1) = self.buf.split_at_mut(cap);
                for ((a, b), f) in p0[len..len + k].iter_mut().zip(&mut p1[len..len + k]).zip(src.chunks_exact(2)) {
                    *a = f[0];
                    *b = f[1];
                }
            }
            _ => {
                for (i, f) in src.chunks_exact(ch).enumerate() {
                    for (c, &v) in f.iter().enumerate() {
                        self.buf[c * cap + len + i] = v;
                    }
                }
            }
        }
        self.len += k;
        self.frames_in += k as u64;
        k
    }

    /// Appends silence after the end of the input (the tail after `finish`).
    fn pad_silence(&mut self) {
        self.skip = 0;
        if self.len == self.cap {
            self.compact();
        }
        let (cap, len) = (self.cap, self.len);
        for c in 0..self.channels {
            self.buf[c * cap + len..(c + 1) * cap].fill(0.0);
        }
        self.len = cap;
    }

    /// Fills `out` with the output frames from this converter's position on,
    /// reading the whole stream's input from `input` (`n_in` frames).
    fn fill_block(&mut self, input: &[f32], n_in: u64, out: &mut [f32]) {
        let ch = self.channels;
        let mut done = 0;
        loop {
            done += self.produce_into(&mut out[done..]) * ch;
            if done >= out.len() {
                return;
            }
            if self.frames_in < n_in {
                let from = self.frames_in as usize * ch;
                self.feed(&input[from..n_in as usize * ch]);
            } else if self.total_out.is_none() {
                self.total_out = Some(self.bank.output_frames(n_in));
            } else if self.out_pos >= self.total_out.unwrap_or(0) {
                return;
            } else {
                self.pad_silence();
            }
        }
    }
}

/// Converts a whole interleaved signal (a trailing partial frame is ignored).
pub fn resample_all(
    input: &[f32],
    channels: usize,
    from_hz: u32,
    to_hz: u32,
    quality: Quality,
) -> Result<Vec<f32>, ResampleError> {
    let mut r = Resampler::new(from_hz, to_hz, channels, quality)?;
    let frames = (input.len() / channels) as u64;
    let mut out = Vec::with_capacity(r.output_frames(frames) as usize * channels);
    r.process(&input[..frames as usize * channels], &mut out);
    r.finish(&mut out);
    Ok(out)
}

/// [`resample_all`] on `threads` rayon threads (0: the global pool), bit for
/// bit the same result. The output is cut into blocks; each block's converter
/// starts at its first output frame and reads the input it needs on both sides.
pub fn resample_parallel(
    input: &[f32],
    channels: usize,
    from_hz: u32,
    to_hz: u32,
    quality: Quality,
    threads: usize,
) -> Result<Vec<f32>, ResampleError> {
    let proto = Resampler::new(from_hz, to_hz, channels, quality)?;
    let n_in = (input.len() / channels) as u64;
    let input = &input[..n_in as usize * channels];
    if proto.buf.is_empty() {
        return Ok(input.to_vec());
    }
    let total = proto.output_frames(n_in) as usize;
    let mut out = vec![0f32; total * channels];
    let workers = if threads == 0 { rayon::current_num_threads() } else { threads };
    // Several blocks per thread for balance, but long enough that re-reading
    // the filter's overlap is negligible.
    let block = (total / (workers.max(1) * 4)).max(32 * proto.bank.taps).max(8192);
    let job = |out: &mut Vec<f32>| {
        out.par_chunks_mut(block * channels).enumerate().for_each(|(i, chunk)| {
            let k0 = (i * block) as u64;
            let mut r = Resampler::at_output(proto.bank.clone(), from_hz, to_hz, quality, channels, k0);
            r.fill_block(input, n_in, chunk);
        })
    };
    match (threads > 0).then(|| rayon::ThreadPoolBuilder::new().num_threads(threads).build()) {
        Some(Ok(pool)) => pool.install(|| job(&mut out)),
        _ => job(&mut out),
    }
    Ok(out)
}
