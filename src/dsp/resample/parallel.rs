//! A streaming resampler that uses two cores on one stream by cutting each
//! call's output into two time blocks. The ratio is an exact rational `L/M`,
//! so output frame `k` depends only on the input around `k·M/L`: each block
//! gets a converter started at its first output frame (see
//! [`Resampler::restart_at`]) that reads the input window it needs, overlap
//! included, from the caller's chunk and a short kept tail. The result is bit
//! for bit the one [`Resampler`] gives, whatever the chunk sizes.
//!
//! The same cut can instead be handed out as [`Block`]s, each carrying the
//! input it needs, to be computed by [`BlockWorker`]s on threads the caller
//! runs (in any order; the caller puts the outputs back in sequence).
//!
//! It must not hold more than one filter length of past input, start threads
//! of its own (it uses rayon's pool), or allocate once its buffers have grown
//! to the caller's chunk size.

use super::{Quality, ResampleError, Resampler, Table};

/// Output frames below which one call is computed on one core (splitting
/// costs a filter length of input re-read per block).
const MIN_SPLIT: usize = 4096;

/// The input a block converter reads: the kept tail then the new chunk, both
/// interleaved, `tail` starting at absolute frame `tail_base` and `chunk`
/// right after it.
struct Source<'a> {
    tail: &'a [f32],
    tail_base: u64,
    chunk: &'a [f32],
    /// Absolute frame after the last one available.
    end: u64,
    /// Set once the stream has ended: its length in frames.
    total_in: Option<u64>,
}

impl Resampler {
    /// Fills `out` with the output frames from this converter's position on,
    /// reading input from `src`. Returns the samples written (all of `out`
    /// unless `src` lacks input, which callers rule out).
    fn fill_from(&mut self, src: &Source, out: &mut [f32]) -> usize {
        let ch = self.channels;
        let chunk_base = src.tail_base + (src.tail.len() / ch) as u64;
        let mut done = 0;
        loop {
            done += self.produce_into(&mut out[done..]) * ch;
            if done >= out.len() {
                return done;
            }
            if self.frames_in < src.end {
                let f = self.frames_in;
                let from = if f >= chunk_base {
                    src.chunk.get(((f - chunk_base) as usize) * ch..)
                } else if f >= src.tail_base {
                    src.tail.get(((f - src.tail_base) as usize) * ch..)
                } else {
                    None
                };
                match from {
                    Some(data) if !data.is_empty() => {
                        if self.feed(data) == 0 && self.producible() == 0 {
                            return done;
                        }
                    }
                    _ => return done,
                }
            } else if let Some(n_in) = src.total_in {
                if self.total_out.is_none() {
                    self.total_out = Some(self.bank.output_frames(n_in));
                } else if self.out_pos >= self.total_out.unwrap_or(0) {
                    return done;
                } else {
                    self.pad_silence();
                }
            } else {
                return done;
            }
        }
    }
}

/// A streaming sample-rate converter with the interface of [`Resampler`]
/// that computes each call's output in two halves on two cores (when rayon's
/// pool has two threads and the call gives at least a few thousand frames).
///
/// ```
/// use coremusic::dsp::resample::{ParallelResampler, Quality, Resampler};
/// let input: Vec<f32> = (0..2 * 50_000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
/// let (mut par, mut one) = (ParallelResampler::new(44100, 48000, 2, Quality::High)?, Resampler::new(44100, 48000, 2, Quality::High)?);
/// let (mut a, mut b) = (Vec::new(), Vec::new());
/// for chunk in input.chunks(20_000) {
///     par.process(chunk, &mut a);
///     one.process(chunk, &mut b);
/// }
/// par.finish(&mut a);
/// one.finish(&mut b);
/// assert_eq!(a, b); // bit for bit
/// # Ok::<(), coremusic::dsp::ResampleError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ParallelResampler {
    /// The two block converters (the first also serves equal rates whole).
    workers: [Resampler; 2],
    channels: usize,
    /// Input frames kept for outputs still to come, from `tail_base`.
    tail: Vec<f32>,
    tail_base: u64,
    /// Whole input frames taken so far.
    frames_in: u64,
    /// Next output frame.
    out_pos: u64,
    /// Samples of a partial frame left by the last call.
    stash: Vec<f32>,
    finished: bool,
    split: bool,
}

impl ParallelResampler {
    /// A converter from `from_hz` to `to_hz` for `channels` interleaved channels.
    pub fn new(from_hz: u32, to_hz: u32, channels: usize, quality: Quality) -> Result<Self, ResampleError> {
        let first = Resampler::new(from_hz, to_hz, channels, quality)?;
        Ok(ParallelResampler {
            workers: [first.clone(), first],
            channels,
            tail: Vec::new(),
            tail_base: 0,
            frames_in: 0,
            out_pos: 0,
            stash: Vec::with_capacity(channels),
            finished: false,
            split: rayon::current_num_threads() > 1,
        })
    }

    /// Whether calls are split in two (false: one core, the same bits).
    pub fn set_split(&mut self, split: bool) {
        self.split = split;
    }

    /// Interleaved channels per frame.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Output frames a stream of `frames_in` input frames gives in all.
    pub fn output_frames(&self, frames_in: u64) -> u64 {
        self.workers[0].output_frames(frames_in)
    }

    /// Output frames produced so far.
    pub fn frames_out(&self) -> u64 {
        if self.is_identity() {
            self.workers[0].frames_out()
        } else {
            self.out_pos
        }
    }

    fn is_identity(&self) -> bool {
        matches!(self.workers[0].bank.table, Table::Identity)
    }

    /// Takes interleaved input of any length (a partial frame is kept for the
    /// next call) and appends every output frame it completes to `output`.
    /// Returns the frames appended. After [`finish`](Self::finish) it takes
    /// nothing and returns 0.
    pub fn process(&mut self, input: &[f32], output: &mut Vec<f32>) -> usize {
        if self.is_identity() {
            return self.workers[0].process(input, output);
        }
        if self.finished {
            return 0;
        }
        let chunk = self.take_input(input);
        let end = self.producible_end();
        let n = self.run(chunk, end, None, output);
        self.keep_tail(chunk);
        n
    }

    /// Takes `input` in: completes a frame left partial by the last call
    /// (it joins the tail), keeps a new partial frame for the next call, and
    /// returns the whole frames that follow the tail.
    fn take_input<'a>(&mut self, input: &'a [f32]) -> &'a [f32] {
        let ch = self.channels;
        let mut rest = input;
        if !self.stash.is_empty() {
            let take = (ch - self.stash.len()).min(rest.len());
            self.stash.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.stash.len() == ch {
                // The completed frame joins the tail, just before the chunk.
                self.tail.extend_from_slice(&self.stash);
                self.stash.clear();
                self.frames_in += 1;
            }
        }
        let whole = rest.len() / ch * ch;
        let (chunk, partial) = rest.split_at(whole);
        self.stash.extend_from_slice(partial);
        self.frames_in += (whole / ch) as u64;
        chunk
    }

    /// Ends the stream (the input is taken as followed by silence) and
    /// appends the rest of the output, so that the stream's total is exactly
    /// `ceil(frames_in · to / from)`. A partial frame left over is dropped.
    pub fn finish(&mut self, output: &mut Vec<f32>) -> usize {
        if self.is_identity() {
            return self.workers[0].finish(output);
        }
        if self.finished {
            return 0;
        }
        self.finished = true;
        self.stash.clear();
        let total = self.output_frames(self.frames_in);
        let n = self.run(&[], total, Some(self.frames_in), output);
        self.tail.clear();
        n
    }

    /// Forgets the stream: the next `process` starts a new one.
    pub fn reset(&mut self) {
        self.workers.iter_mut().for_each(Resampler::reset);
        self.tail.clear();
        self.stash.clear();
        (self.tail_base, self.frames_in, self.out_pos, self.finished) = (0, 0, 0, false);
    }

    /// The first output frame whose window reaches past the input so far.
    fn producible_end(&self) -> u64 {
        let bank = &self.workers[0].bank;
        let (l, m) = (bank.l as u128, bank.m as u128);
        let limit = self.frames_in as i64 + bank.half as i64 - bank.taps as i64;
        if limit <= 0 {
            return 0;
        }
        (limit as u128 * l).div_ceil(m).min(u64::MAX as u128) as u64
    }

    /// Computes output frames `out_pos..end` into `output`.
    fn run(&mut self, chunk: &[f32], end: u64, total_in: Option<u64>, output: &mut Vec<f32>) -> usize {
        let ch = self.channels;
        let n = usize::try_from(end.saturating_sub(self.out_pos)).unwrap_or(0);
        if n == 0 {
            return 0;
        }
        let src = Source { tail: &self.tail, tail_base: self.tail_base, chunk, end: self.frames_in, total_in };
        let old = output.len();
        output.resize(old + n * ch, 0.0);
        let out = &mut output[old..];
        let [w0, w1] = &mut self.workers;
        w0.restart_at(self.out_pos);
        if self.split && n >= MIN_SPLIT {
            let mid = n / 2;
            w1.restart_at(self.out_pos + mid as u64);
            let (a, b) = out.split_at_mut(mid * ch);
            rayon::join(|| w0.fill_from(&src, a), || w1.fill_from(&src, b));
        } else {
            w0.fill_from(&src, out);
        }
        self.out_pos = end;
        n
    }

    /// Keeps the input the next output's window starts at, and after it.
    fn keep_tail(&mut self, chunk: &[f32]) {
        let ch = self.channels;
        let bank = &self.workers[0].bank;
        let n = (self.out_pos as u128 * bank.m as u128 / bank.l as u128) as i64;
        let first = n - bank.half as i64 + 1 - bank.shift(self.out_pos) as i64;
        // The tail always ends at `frames_in` (empty when the next window
        // starts beyond it, as when downsampling by a large ratio).
        let keep = (first.max(0) as u64).max(self.tail_base).min(self.frames_in);
        let chunk_base = self.tail_base + (self.tail.len() / ch) as u64;
        if keep >= chunk_base {
            let from = usize::try_from(keep - chunk_base).unwrap_or(usize::MAX).saturating_mul(ch);
            self.tail.clear();
            self.tail.extend_from_slice(chunk.get(from..).unwrap_or(&[]));
        } else {
            self.tail.drain(..(keep - self.tail_base) as usize * ch);
            self.tail.extend_from_slice(chunk);
        }
        self.tail_base = keep;
    }
}

/// A run of output frames to compute with the input its filter windows
/// need, cut from a stream by [`ParallelResampler::cut`] and computed by a
/// [`BlockWorker`] on any thread.
#[derive(Debug, Clone)]
pub struct Block {
    /// Interleaved input from absolute frame `base` on.
    input: Vec<f32>,
    base: u64,
    /// Absolute frame after the last one available in the stream so far.
    end: u64,
    /// Set for the block that ends the stream: its length in frames.
    total_in: Option<u64>,
    /// First output frame, and how many.
    k0: u64,
    frames: usize,
}

impl Block {
    /// Output frames this block gives.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Gives back the input buffer, to be reused for a later block.
    pub fn into_input(self) -> Vec<f32> {
        self.input
    }
}

/// Computes [`Block`]s of one stream: a converter of its own, for one thread.
#[derive(Debug, Clone)]
pub struct BlockWorker {
    r: Resampler,
}

impl BlockWorker {
    /// Replaces `out` with the block's output frames (interleaved), bit for
    /// bit what a [`Resampler`] fed the whole stream gives for them.
    pub fn run(&mut self, block: &Block, out: &mut Vec<f32>) {
        let ch = self.r.channels;
        // Every sample is written below: only growth needs filling.
        out.resize(block.frames * ch, 0.0);
        if matches!(self.r.bank.table, Table::Identity) {
            // Never cut (equal rates pass through `process`); nothing to compute.
            out.clear();
            return;
        }
        self.r.restart_at(block.k0);
        let src =
            Source { tail: &[], tail_base: block.base, chunk: &block.input, end: block.end, total_in: block.total_in };
        let done = self.r.fill_from(&src, out);
        out.truncate(done);
    }
}

impl ParallelResampler {
    /// A worker for the blocks [`cut`](Self::cut) gives.
    pub fn worker(&self) -> BlockWorker {
        BlockWorker { r: self.workers[0].clone() }
    }

    /// Whether the rates are equal (samples pass through [`process`](Self::process); nothing is cut).
    pub fn is_passthrough(&self) -> bool {
        self.is_identity()
    }

    /// Takes input as [`process`](Self::process) does but, instead of
    /// computing the output frames it completes, returns them as a block to
    /// compute elsewhere (None when there are none, or the rates are equal).
    /// `buf` is reused for the block's input. Blocks follow each other in
    /// output order.
    pub fn cut(&mut self, input: &[f32], buf: Vec<f32>) -> Option<Block> {
        if self.is_identity() || self.finished {
            return None;
        }
        let chunk = self.take_input(input);
        let end = self.producible_end();
        let block = self.block(chunk, end, None, buf);
        self.keep_tail(chunk);
        block
    }

    /// Ends the stream as [`finish`](Self::finish) does, returning the rest
    /// of the output as a block to compute (None when there is none).
    pub fn cut_finish(&mut self, buf: Vec<f32>) -> Option<Block> {
        if self.is_identity() || self.finished {
            return None;
        }
        self.finished = true;
        self.stash.clear();
        let total = self.output_frames(self.frames_in);
        let block = self.block(&[], total, Some(self.frames_in), buf);
        self.tail.clear();
        block
    }

    /// The block of output frames `out_pos..end`: the tail and `chunk` copied into `buf`.
    fn block(&mut self, chunk: &[f32], end: u64, total_in: Option<u64>, mut buf: Vec<f32>) -> Option<Block> {
        let frames = usize::try_from(end.saturating_sub(self.out_pos)).unwrap_or(0);
        if frames == 0 {
            return None;
        }
        buf.clear();
        buf.extend_from_slice(&self.tail);
        buf.extend_from_slice(chunk);
        let block = Block { input: buf, base: self.tail_base, end: self.frames_in, total_in, k0: self.out_pos, frames };
        self.out_pos = end;
        Some(block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(frames: usize, ch: usize) -> Vec<f32> {
        let mut s = 0x1234_5678_9abc_def1u64;
        (0..frames * ch)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((i / ch) as f32 * 0.003 * (1 + i % ch) as f32).sin() * 0.5 + (s >> 40) as f32 / (1u64 << 26) as f32
                    - 0.125
            })
            .collect()
    }

    fn serial(from: u32, to: u32, ch: usize, q: Quality, input: &[f32]) -> Vec<f32> {
        let mut r = Resampler::new(from, to, ch, q).unwrap();
        let mut out = Vec::new();
        r.process(input, &mut out);
        r.finish(&mut out);
        out
    }

    /// Blocks cut across chunk boundaries, odd lengths, odd chunk sizes
    /// (partial frames), several ratios: the same bits as one serial pass.
    #[test]
    fn bit_identical_to_one_resampler_across_chunks_and_odd_lengths() {
        for &(from, to) in &[(44100u32, 48000u32), (48000, 44100), (44100, 96000), (96000, 8000), (44100, 44101)] {
            for ch in [1usize, 2, 3] {
                for frames in [0usize, 1, 7, 4095, 20_011, 61_003] {
                    let input = signal(frames, ch);
                    let want = serial(from, to, ch, Quality::High, &input);
                    for chunk in [1usize, 999, 8191 * ch + 1, 40_000 * ch] {
                        let mut r = ParallelResampler::new(from, to, ch, Quality::High).unwrap();
                        r.set_split(true);
                        let mut got = Vec::new();
                        for c in input.chunks(chunk) {
                            r.process(c, &mut got);
                        }
                        r.finish(&mut got);
                        assert_eq!(got.len(), want.len(), "{from}→{to} {ch} ch {frames} frames chunk {chunk}");
                        assert!(got == want, "{from}→{to} {ch} ch {frames} frames chunk {chunk}: bits differ");
                        assert_eq!(r.frames_out() as usize * ch, got.len());
                    }
                }
            }
        }
    }

    #[test]
    fn length_is_ceil_of_frames_times_ratio_and_memory_stays_small() {
        let mut r = ParallelResampler::new(44100, 48000, 2, Quality::High).unwrap();
        r.set_split(true);
        let chunk = signal(16384, 2);
        let mut out = Vec::new();
        for _ in 0..50 {
            out.clear();
            r.process(&chunk, &mut out);
            assert!(r.tail.len() <= 2 * (r.workers[0].taps() + 8), "tail {}", r.tail.len());
        }
        out.clear();
        r.finish(&mut out);
        assert_eq!(r.frames_out(), (50u64 * 16384 * 48000).div_ceil(44100));
    }

    #[test]
    fn equal_rates_pass_through_and_reset_starts_again() {
        let input = signal(5000, 2);
        let mut r = ParallelResampler::new(48000, 48000, 2, Quality::High).unwrap();
        let mut out = Vec::new();
        r.process(&input, &mut out);
        r.finish(&mut out);
        assert_eq!(out, input);
        let mut r = ParallelResampler::new(44100, 48000, 2, Quality::Low).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        r.process(&input, &mut a);
        r.finish(&mut a);
        r.reset();
        r.process(&input, &mut b);
        r.finish(&mut b);
        assert_eq!(a, b);
    }

    /// Blocks computed out of order by separate workers, put back in
    /// sequence: the same bits as one serial pass.
    #[test]
    fn blocks_computed_anywhere_give_the_serial_bits() {
        for &(from, to) in &[(44100u32, 48000u32), (48000, 44100), (96000, 8000), (44100, 44101)] {
            for ch in [1usize, 2, 3] {
                for frames in [0usize, 5, 20_011, 61_003] {
                    let input = signal(frames, ch);
                    let want = serial(from, to, ch, Quality::High, &input);
                    for chunk in [1usize, 7777 * ch + 1, 30_000 * ch] {
                        let mut cutter = ParallelResampler::new(from, to, ch, Quality::High).unwrap();
                        let mut blocks: Vec<Block> =
                            input.chunks(chunk).filter_map(|c| cutter.cut(c, Vec::new())).collect();
                        blocks.extend(cutter.cut_finish(Vec::new()));
                        let (mut w0, mut w1) = (cutter.worker(), cutter.worker());
                        let mut outs = vec![Vec::new(); blocks.len()];
                        // Back to front, alternating workers.
                        for (i, b) in blocks.iter().enumerate().rev() {
                            if i % 2 == 0 { &mut w0 } else { &mut w1 }.run(b, &mut outs[i]);
                            assert_eq!(outs[i].len(), b.frames() * ch);
                        }
                        let got: Vec<f32> = outs.concat();
                        assert_eq!(got.len(), want.len(), "{from}→{to} {ch} ch {frames} frames chunk {chunk}");
                        assert!(got == want, "{from}→{to} {ch} ch {frames} frames chunk {chunk}: bits differ");
                    }
                }
            }
        }
    }
}
