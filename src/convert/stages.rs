//! The converter pipeline between a reader and a writer, chosen once per
//! file: an exact integer path when nothing but the container changes (or the
//! depth grows), otherwise float through mixer → resampler → quantiser with
//! dither. Buffers are allocated once.

use super::file::{default_sample, CHUNK_FRAMES};
use super::options::ConvertOptions;
use crate::dsp::dither::Quantizer;
use crate::dsp::mix::ChannelMixer;
use crate::dsp::resample::{Block, ParallelResampler, Quality, ResampleError, Resampler};
use crate::format::{ChannelLayout, SampleFormat};
use crate::io::{AudioFile, AudioWriter, FileError, OutputFormat, StreamInfo, WriteError};
use rayon::prelude::*;

/// Frames decoded per step when resampling (1 MB of stereo f32).
const RESAMPLE_CHUNK_FRAMES: usize = 2 * CHUNK_FRAMES;

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    /// Frames per second.
    pub rate: u32,
    /// Channels.
    pub channels: usize,
    /// Stored sample format.
    pub sample: SampleFormat,
    /// Significant bits when fewer than the container's (kept from the source).
    pub bits: Option<u32>,
}

impl Target {
    /// The target for a source and the options (source values where unset).
    pub fn choose(info: &StreamInfo, format: OutputFormat, opts: &ConvertOptions) -> Target {
        let sample = opts.bits.map_or_else(|| default_sample(info.sample_format, format), |b| b.sample_format());
        let bits = match (opts.bits, info.sample_format, info.bits_per_sample) {
            (None, Some(src), Some(b)) if src == sample && !sample.is_float() && b < sample.bits() => Some(b),
            _ => None,
        };
        Target {
            rate: opts.rate.unwrap_or_else(|| format.rate_for(info.sample_rate())),
            channels: opts.channels.map_or_else(|| info.channels().min(format.max_channels()), usize::from),
            sample,
            bits,
        }
    }

    /// Significant bits written.
    pub fn valid_bits(&self) -> u32 {
        self.bits.unwrap_or(self.sample.bits())
    }
}

/// The per-file pipeline and its buffers.
pub struct Stages {
    in_ch: usize,
    out_ch: usize,
    /// `Some(shift)`: integers straight through, shifted left to the wider depth.
    exact_shift: Option<u32>,
    mixer: Option<ChannelMixer>,
    resampler: Option<SplitResampler>,
    /// Linear gain applied in float after mixing (`--normalize`).
    gain: Option<f32>,
    quantizer: Option<Quantizer>,
    read_i: Vec<i32>,
    read_f: Vec<f32>,
    mixed: Vec<f32>,
    resampled: Vec<f32>,
    quantized: Vec<i32>,
    frames: usize,
}

/// Why no pipeline can take a stream to a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StagesError {
    /// The stream or the target has no channels.
    #[error("a channel count of 0 is not possible")]
    NoChannels,
    /// The channel mix given does not fit the stream and the target.
    #[error("the channel mix takes {mix_in} channels to {mix_out}, but the file has {file} and {wanted} are wanted")]
    MixMismatch {
        /// Channels the mix takes.
        mix_in: usize,
        /// Channels the mix makes.
        mix_out: usize,
        /// Channels the file has.
        file: usize,
        /// Channels wanted.
        wanted: usize,
    },
    /// The target rate is 0.
    #[error("a sample rate of 0 Hz is not possible")]
    NoRate,
    /// No standard mix between the layouts.
    #[error(transparent)]
    Mix(#[from] crate::dsp::mix::MixError),
    /// The resampler cannot take these rates.
    #[error(transparent)]
    Resample(#[from] crate::dsp::resample::ResampleError),
}

impl Stages {
    /// Chooses the pipeline; `Err` says why the conversion is impossible.
    pub fn new(info: &StreamInfo, target: &Target, opts: &ConvertOptions) -> Result<Stages, StagesError> {
        Stages::with_mixer(info, target, opts, None)
    }

    /// [`Stages::new`] with an explicit channel mixer (a channel map or a
    /// layout) in place of the standard mix between the channel counts; its
    /// output count must be `target.channels`.
    pub fn with_mixer(
        info: &StreamInfo,
        target: &Target,
        opts: &ConvertOptions,
        mixer: Option<ChannelMixer>,
    ) -> Result<Stages, StagesError> {
        Stages::build(info, target, opts, mixer, None)
    }

    /// [`Stages::new`] with a gain of `gain_db` dB applied in float, after
    /// mixing and before resampling and quantising (loudness
    /// normalisation). A gain of exactly 0 dB keeps the bit-exact path.
    pub fn with_gain(
        info: &StreamInfo,
        target: &Target,
        opts: &ConvertOptions,
        gain_db: f64,
    ) -> Result<Stages, StagesError> {
        let gain = (gain_db != 0.0).then(|| 10f64.powf(gain_db / 20.0) as f32);
        Stages::build(info, target, opts, None, gain)
    }

    fn build(
        info: &StreamInfo,
        target: &Target,
        opts: &ConvertOptions,
        mixer: Option<ChannelMixer>,
        gain: Option<f32>,
    ) -> Result<Stages, StagesError> {
        let in_ch = info.channels();
        let out_ch = target.channels;
        if in_ch == 0 || out_ch == 0 {
            return Err(StagesError::NoChannels);
        }
        if let Some(m) = &mixer {
            if m.inputs() != in_ch || m.outputs() != out_ch {
                return Err(StagesError::MixMismatch {
                    mix_in: m.inputs(),
                    mix_out: m.outputs(),
                    file: in_ch,
                    wanted: out_ch,
                });
            }
        }
        let mixer = mixer.filter(|m| !(m.is_identity() && in_ch == out_ch));
        if target.rate == 0 {
            return Err(StagesError::NoRate);
        }
        let src_rate = info.sample_rate();
        let resample = target.rate != src_rate;
        let mix = in_ch != out_ch || mixer.is_some();
        let src_bits = info.bits_per_sample.filter(|_| info.sample_format.is_some_and(|s| !s.is_float()));
        let exact_shift = match src_bits {
            Some(b) if !mix && !resample && gain.is_none() && !target.sample.is_float() && target.valid_bits() >= b => {
                Some(target.valid_bits() - b)
            }
            _ => None,
        };
        let mixer = if let Some(m) = mixer {
            Some(m)
        } else if mix {
            let from = if info.layout.channels.len() == in_ch {
                info.layout.clone()
            } else {
                ChannelLayout::default_for(in_ch as u32)
            };
            Some(ChannelMixer::between(&from, &ChannelLayout::default_for(out_ch as u32))?)
        } else {
            None
        };
        let resampler =
            if resample { Some(SplitResampler::new(src_rate, target.rate, out_ch, opts.quality)?) } else { None };
        // Reducing depth, or requantising processed audio: dither (when asked).
        let processed = mix || resample || gain.is_some() || src_bits.is_none();
        let reduces = src_bits.is_none_or(|b| target.valid_bits() < b);
        let quantizer = (exact_shift.is_none() && !target.sample.is_float()).then(|| {
            Quantizer::new(target.valid_bits(), opts.dither && (reduces || processed) && target.valid_bits() < 32)
        });
        // Resampling reads larger chunks: each half of one runs on another
        // core for a millisecond or two, long enough to be worth waking it.
        let float_chunk = if resample { RESAMPLE_CHUNK_FRAMES } else { CHUNK_FRAMES };
        Ok(Stages {
            in_ch,
            out_ch,
            exact_shift,
            mixer,
            resampler,
            gain,
            quantizer,
            read_i: vec![0; if exact_shift.is_some() { CHUNK_FRAMES * in_ch } else { 0 }],
            read_f: vec![0.0; if exact_shift.is_some() { 0 } else { float_chunk * in_ch }],
            mixed: Vec::with_capacity(CHUNK_FRAMES * out_ch),
            resampled: Vec::new(),
            quantized: Vec::new(),
            frames: 0,
        })
    }

    /// Moves the quantiser (float to integers, with dither) into a writer
    /// wrapped around `writer`, so that it runs where that writer runs (on a
    /// writer thread, in parallel with resampling). Same samples, same bits.
    pub fn quantize_in(&mut self, writer: Box<dyn AudioWriter>) -> Box<dyn AudioWriter> {
        match self.quantizer.take() {
            Some(quantizer) => Box::new(QuantizingWriter { quantizer, inner: writer, buf: Vec::new() }),
            None => writer,
        }
    }

    /// Resamples on `workers` threads of its own from now on (when there is
    /// a resampler and `workers` ≥ 1): each chunk's output is computed on one
    /// of them while the next chunks are read, and comes out of
    /// [`push`](Self::push) a few chunks later, in order and with the same
    /// bits. The threads end when the stages are dropped.
    pub fn resample_on_threads(&mut self, workers: usize) {
        if let Some(r) = &mut self.resampler {
            r.start_pool(workers);
        }
    }

    /// The frames written for `frames_in` read: the resampler's count
    /// when the rate changes.
    pub fn output_frames(&self, frames_in: u64) -> u64 {
        self.resampler.as_ref().map_or(frames_in, |r| r.output_frames(frames_in))
    }

    /// True when samples go through untouched (bit-exact).
    pub fn is_exact(&self) -> bool {
        self.exact_shift.is_some()
    }

    /// Reads the next chunk; returns the frames read (0 at the end).
    pub fn pull(&mut self, file: &mut AudioFile) -> Result<usize, FileError> {
        self.frames = if self.exact_shift.is_some() {
            file.read_i32(&mut self.read_i)?
        } else {
            file.read_f32(&mut self.read_f)?
        };
        Ok(self.frames)
    }

    /// Processes the chunk last pulled (or, with `last`, flushes the
    /// resampler's tail) and writes it; returns the frames written.
    pub fn push(&mut self, writer: &mut dyn AudioWriter, last: bool) -> Result<u64, WriteError> {
        if let Some(shift) = self.exact_shift {
            if last {
                return Ok(0);
            }
            let samples = &mut self.read_i[..self.frames * self.in_ch];
            if shift > 0 {
                samples.iter_mut().for_each(|s| *s <<= shift);
            }
            writer.write_i32(samples)?;
            return Ok(self.frames as u64);
        }
        let input: &[f32] = if last { &[] } else { &self.read_f[..self.frames * self.in_ch] };
        let mixed: &[f32] = match (&self.mixer, self.gain) {
            (Some(m), gain) => {
                m.process(input, &mut self.mixed);
                if let Some(g) = gain {
                    self.mixed.iter_mut().for_each(|s| *s *= g);
                }
                &self.mixed
            }
            (None, Some(g)) => {
                self.mixed.clear();
                self.mixed.extend(input.iter().map(|s| s * g));
                &self.mixed
            }
            (None, None) => input,
        };
        let out: &[f32] = match &mut self.resampler {
            Some(r) => {
                r.run(mixed, last, &mut self.resampled)?;
                &self.resampled
            }
            None => mixed,
        };
        if out.is_empty() {
            return Ok(0);
        }
        match &mut self.quantizer {
            Some(q) => {
                self.quantized.resize(out.len(), 0);
                q.quantize(out, &mut self.quantized);
                writer.write_i32(&self.quantized)?;
            }
            None => writer.write_f32(out)?,
        }
        Ok((out.len() / self.out_ch) as u64)
    }
}

/// Quantises float samples before an integer writer.
struct QuantizingWriter {
    quantizer: Quantizer,
    inner: Box<dyn AudioWriter>,
    buf: Vec<i32>,
}

impl AudioWriter for QuantizingWriter {
    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError> {
        self.buf.resize(interleaved.len(), 0);
        self.quantizer.quantize(interleaved, &mut self.buf);
        self.inner.write_i32(&self.buf)
    }

    fn write_i32(&mut self, interleaved: &[i32]) -> Result<(), WriteError> {
        self.inner.write_i32(interleaved)
    }

    fn set_tags(&mut self, tags: &crate::io::Tags) -> Result<(), WriteError> {
        self.inner.set_tags(tags)
    }

    fn finish(self: Box<Self>) -> Result<(), WriteError> {
        self.inner.finish()
    }
}

/// A resampler on both cores: split into channel pairs that run in parallel
/// for files of four or more channels, into two time blocks per chunk
/// ([`ParallelResampler`]) for fewer. The filters are independent per channel
/// and per output frame, so the output is bit-identical to one resampler.
struct SplitResampler {
    channels: usize,
    /// One to three channels: time blocks.
    whole: Option<ParallelResampler>,
    groups: Vec<Group>,
    /// Threads computing `whole`'s blocks, once started.
    pool: Option<Pool>,
}

/// A job for a pool thread: sequence number, block, buffer for its output.
type Job = (u64, Block, Vec<f32>);
/// A finished job: sequence number, output, the block's input buffer back.
type Done = (u64, Vec<f32>, Vec<f32>);

/// Threads that compute the blocks of one stream; outputs are put back in order here.
struct Pool {
    jobs: Option<crossbeam_channel::Sender<Job>>,
    done: crossbeam_channel::Receiver<Done>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// Sequence number of the next block cut, and of the next to hand out.
    next_seq: u64,
    next_out: u64,
    /// Finished out of order, waiting for their turn.
    ready: std::collections::BTreeMap<u64, Vec<f32>>,
    free_in: Vec<Vec<f32>>,
    free_out: Vec<Vec<f32>>,
    /// Blocks submitted and not yet handed out at most.
    max_in_flight: usize,
}

impl Pool {
    fn start(whole: &ParallelResampler, workers: usize) -> Option<Pool> {
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
        let (done_tx, done) = crossbeam_channel::unbounded::<Done>();
        let mut threads = Vec::new();
        for i in 0..workers {
            let (rx, done_tx, mut worker) = (rx.clone(), done_tx.clone(), whole.worker());
            let t = std::thread::Builder::new().name(format!("coremusic-resample-{i}")).spawn(move || {
                for (seq, block, mut out) in rx {
                    worker.run(&block, &mut out);
                    if done_tx.send((seq, out, block.into_input())).is_err() {
                        return;
                    }
                }
            });
            match t {
                Ok(t) => threads.push(t),
                Err(_) => break,
            }
        }
        if threads.is_empty() {
            return None;
        }
        let max_in_flight = 2 * threads.len() + 1;
        Some(Pool {
            jobs: Some(tx),
            done,
            threads,
            next_seq: 0,
            next_out: 0,
            ready: Default::default(),
            free_in: Vec::new(),
            free_out: Vec::new(),
            max_in_flight,
        })
    }

    fn in_flight(&self) -> usize {
        (self.next_seq - self.next_out) as usize
    }

    fn submit(&mut self, block: Block) -> Result<(), WriteError> {
        let out = self.free_out.pop().unwrap_or_default();
        let sent = self.jobs.as_ref().is_some_and(|tx| tx.send((self.next_seq, block, out)).is_ok());
        if !sent {
            return Err(Self::stopped());
        }
        self.next_seq += 1;
        Ok(())
    }

    fn stopped() -> WriteError {
        WriteError::Encoder("a resampling thread stopped".into())
    }

    /// Appends to `out` the blocks due, in order: waits while more than
    /// `keep` are in flight, then takes what is ready.
    fn collect(&mut self, keep: usize, out: &mut Vec<f32>) -> Result<(), WriteError> {
        loop {
            while let Some(v) = self.ready.remove(&self.next_out) {
                if out.is_empty() {
                    // Hand the block over whole (its buffer is reused later).
                    self.free_out.push(std::mem::replace(out, v));
                } else {
                    out.extend_from_slice(&v);
                    self.free_out.push(v);
                }
                self.next_out += 1;
            }
            let r = if self.in_flight() > keep {
                self.done.recv().map_err(|_| Self::stopped())
            } else {
                match self.done.try_recv() {
                    Ok(d) => Ok(d),
                    Err(crossbeam_channel::TryRecvError::Empty) => return Ok(()),
                    Err(_) => Err(Self::stopped()),
                }
            };
            let (seq, v, input) = r?;
            self.ready.insert(seq, v);
            self.free_in.push(input);
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.jobs = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

struct Group {
    first: usize,
    count: usize,
    resampler: Resampler,
    input: Vec<f32>,
    output: Vec<f32>,
}

impl SplitResampler {
    fn new(from: u32, to: u32, channels: usize, quality: Quality) -> Result<Self, ResampleError> {
        // Stereo pairs are the resampler's fastest kernel: split only files of
        // four or more channels, into pairs (a mono split of a stereo file
        // doubles the work and is slower on two cores than one stereo filter).
        let per = if channels >= 4 && rayon::current_num_threads() > 1 { 2 } else { channels };
        if per == channels {
            let whole = ParallelResampler::new(from, to, channels, quality)?;
            return Ok(SplitResampler { channels, whole: Some(whole), groups: Vec::new(), pool: None });
        }
        let mut groups = Vec::new();
        let mut first = 0;
        while first < channels {
            let count = per.min(channels - first);
            groups.push(Group {
                first,
                count,
                resampler: Resampler::new(from, to, count, quality)?,
                input: Vec::with_capacity(CHUNK_FRAMES * count),
                output: Vec::new(),
            });
            first += count;
        }
        Ok(SplitResampler { channels, whole: None, groups, pool: None })
    }

    /// Output frames a stream of `frames_in` input frames gives in all.
    fn output_frames(&self, frames_in: u64) -> u64 {
        match (&self.whole, self.groups.first()) {
            (Some(whole), _) => whole.output_frames(frames_in),
            (None, Some(g)) => g.resampler.output_frames(frames_in),
            (None, None) => frames_in,
        }
    }

    /// Computes time blocks on `workers` threads of its own from now on
    /// (before any input; for channel groups it keeps rayon).
    fn start_pool(&mut self, workers: usize) {
        if let Some(whole) = &self.whole {
            if workers > 0 && self.pool.is_none() && !whole.is_passthrough() && whole.frames_out() == 0 {
                self.pool = Pool::start(whole, workers);
            }
        }
    }

    /// Resamples `input` (or, with `last`, flushes the tail) into `out`
    /// (cleared first). With a pool, `out` gets the blocks finished so far in
    /// order (all of them with `last`).
    fn run(&mut self, input: &[f32], last: bool, out: &mut Vec<f32>) -> Result<(), WriteError> {
        out.clear();
        let ch = self.channels;
        if let (Some(whole), Some(pool)) = (&mut self.whole, &mut self.pool) {
            let buf = pool.free_in.pop().unwrap_or_default();
            let block = if last { whole.cut_finish(buf) } else { whole.cut(input, buf) };
            if let Some(b) = block {
                pool.submit(b)?;
            }
            let keep = if last { 0 } else { pool.max_in_flight - 1 };
            return pool.collect(keep, out);
        }
        if let Some(whole) = &mut self.whole {
            if last {
                whole.finish(out);
            } else {
                whole.process(input, out);
            }
            return Ok(());
        }
        let frames = input.len() / ch;
        self.groups.par_iter_mut().for_each(|g| {
            g.input.clear();
            if !last {
                for f in input.chunks_exact(ch).take(frames) {
                    g.input.extend_from_slice(&f[g.first..g.first + g.count]);
                }
            }
            g.output.clear();
            if last {
                g.resampler.finish(&mut g.output);
            } else {
                g.resampler.process(&g.input, &mut g.output);
            }
        });
        let out_frames = self.groups.iter().map(|g| g.output.len() / g.count).min().unwrap_or(0);
        out.resize(out_frames * ch, 0.0);
        for g in &self.groups {
            for (dst, src) in out.chunks_exact_mut(ch).zip(g.output.chunks_exact(g.count)) {
                dst[g.first..g.first + g.count].copy_from_slice(src);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_resampling_is_bit_identical_to_one_resampler() {
        for ch in [1usize, 2, 3, 6] {
            let input: Vec<f32> =
                (0..10_000 * ch).map(|i| ((i / ch) as f32 * 0.013 * (1 + i % ch) as f32).sin() * 0.7).collect();
            let mut whole = Resampler::new(44100, 48000, ch, Quality::High).unwrap();
            let mut want = Vec::new();
            for c in input.chunks(3000 * ch) {
                whole.process(c, &mut want);
            }
            whole.finish(&mut want);
            for workers in [0usize, 1, 2, 3] {
                let mut split = SplitResampler::new(44100, 48000, ch, Quality::High).unwrap();
                split.start_pool(workers);
                let (mut got, mut step) = (Vec::new(), Vec::new());
                for c in input.chunks(3000 * ch) {
                    split.run(c, false, &mut step).unwrap();
                    got.extend_from_slice(&step);
                }
                split.run(&[], true, &mut step).unwrap();
                got.extend_from_slice(&step);
                assert_eq!(got.len(), want.len(), "{ch} channels, {workers} threads");
                assert!(got == want, "{ch} channels, {workers} threads: bits differ");
            }
        }
    }
}
