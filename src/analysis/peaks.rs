//! The peaks pyramid behind the waveform view: for every channel, the
//! minimum, maximum and mean square of the samples in buckets of 256 frames,
//! and again for buckets 4×, 16×, 64×… as large, up to one bucket for the
//! whole file. A pixel column of any width is then answered from a handful of
//! buckets of the right level ([`PeakPyramid::column_range`]), so a three-hour
//! file zooms from the whole file down to single samples without reading it
//! again; below one bucket per column the view reads the actual samples
//! ([`SampleWindow`]).
//!
//! Building reads the whole file once, in parallel segments (rayon), each
//! segment decoding through its own buffered reader of the file (never a
//! memory map: a file truncated meanwhile must end the build with an error,
//! not kill the process), with progress and a cancel flag. No buffer is
//! sized from a frame count a header claims: each segment's buckets are
//! allocated only once its start has been reached by an exact seek. Pyramids are cached on disk ([`PeakCache`]) under a versioned,
//! checksummed header naming the source's path, size and modification time;
//! a cache that does not match or does not check out is rebuilt, never
//! trusted. This module must not be called from the UI thread: every entry
//! point here reads files.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;

use crate::io::{AudioReader, FileError, ReadError, Source};

/// Frames per bucket of the finest level.
pub const BASE_FRAMES: u64 = 256;
/// Each level's buckets hold this many of the level below.
pub const LEVEL_FACTOR: u64 = 4;
/// Frames read per decode call while building.
const CHUNK_FRAMES: usize = 16 * 1024;
/// Level-0 buckets per parallel segment (4 Mi frames: 16 MB of 16-bit stereo).
const SEGMENT_BUCKETS: usize = 16 * 1024;
/// Cache file magic and format version.
const MAGIC: &[u8; 8] = b"CMPEAKS\0";
const VERSION: u32 = 1;

/// Why a pyramid could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PeakError {
    /// The audio file could not be opened or decoded.
    #[error(transparent)]
    File(#[from] FileError),
    /// The caller set the cancel flag.
    #[error("cancelled")]
    Cancelled,
}

/// One bucket of one channel: the smallest and largest sample and the mean
/// of the squared samples over the frames it covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Peak {
    /// Smallest sample.
    pub min: f32,
    /// Largest sample.
    pub max: f32,
    /// Mean square (its square root is the RMS).
    pub mean_square: f32,
}

impl Peak {
    const EMPTY: Peak = Peak { min: 0.0, max: 0.0, mean_square: 0.0 };
}

/// What a pixel column shows: the sample range and the RMS of its frames.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnPeak {
    /// Smallest sample in the column.
    pub min: f32,
    /// Largest sample in the column.
    pub max: f32,
    /// Root mean square of the column's samples.
    pub rms: f32,
}

/// How far a build has got: frames done out of frames in the file.
/// Shared between the building threads and whoever shows the progress.
#[derive(Debug, Default)]
pub struct BuildProgress {
    done: AtomicU64,
    total: AtomicU64,
}

impl BuildProgress {
    /// A fresh counter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Done as a fraction in 0..=1 (0 while the length is not known yet).
    pub fn fraction(&self) -> f32 {
        let total = self.total.load(Ordering::Relaxed);
        if total == 0 {
            return 0.0;
        }
        (self.done.load(Ordering::Relaxed) as f64 / total as f64).clamp(0.0, 1.0) as f32
    }

    /// Frames done so far.
    pub fn frames_done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    fn start(&self, total: u64) {
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    fn add(&self, frames: u64) {
        self.done.fetch_add(frames, Ordering::Relaxed);
    }
}

/// One level: `frames_per_bucket` frames per bucket, buckets interleaved by
/// channel (`bucket * channels + channel`).
#[derive(Debug, Clone, PartialEq)]
struct Level {
    frames_per_bucket: u64,
    peaks: Vec<Peak>,
}

/// The min/max/RMS pyramid of one audio file; see the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct PeakPyramid {
    channels: usize,
    sample_rate: u32,
    frames: u64,
    levels: Vec<Level>,
}

/// Where [`PeakCache::load_or_build`] got its pyramid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Read from a cache file that matched the source and checked out.
    Hit,
    /// Built (there was no cache file) and saved.
    Built,
    /// Built because the cache file was unusable (the reason), and saved.
    Rebuilt(String),
    /// Built, but the cache could not be written (the reason); the pyramid is fine.
    NotSaved(String),
}

impl PeakPyramid {
    /// Reads `path` once and builds its pyramid, in parallel where the
    /// format seeks exactly (PCM and lossless codecs), sequentially otherwise.
    /// `progress` counts frames as they are done; setting `cancel` stops the
    /// build soon after with [`PeakError::Cancelled`].
    pub fn build(path: &Path, progress: &BuildProgress, cancel: &AtomicBool) -> Result<PeakPyramid, PeakError> {
        let reader = open_reader(path)?;
        let info = reader.info();
        let channels = info.channels();
        let sample_rate = info.sample_rate();
        if channels == 0 {
            return Err(FileError::new(path, ReadError::malformed(0, "the stream has no channels")).into());
        }
        let exact = info.codec.is_lossless();
        match info.frames {
            Some(frames) if exact && frames > 0 => {
                progress.start(frames);
                match build_parallel(path, reader, channels, frames, progress, cancel) {
                    Ok(level0) => Ok(Self::from_level0(channels, sample_rate, frames, level0)),
                    Err(ParallelError::Cancelled) => Err(PeakError::Cancelled),
                    Err(ParallelError::File(e)) => Err(e.into()),
                    // The file is shorter than its header says, or a segment could not
                    // seek exactly: one sequential pass copes with both.
                    Err(ParallelError::Irregular) => build_sequential(path, open_reader(path)?, progress, cancel),
                }
            }
            _ => {
                progress.start(info.frames.unwrap_or(0));
                build_sequential(path, reader, progress, cancel)
            }
        }
    }

    /// The cached pyramid of `path` from the default cache folder
    /// ([`PeakCache::default_location`]), or a fresh build saved there.
    pub fn load_or_build(path: &Path, progress: &BuildProgress, cancel: &AtomicBool) -> Result<PeakPyramid, PeakError> {
        PeakCache::default_location().load_or_build(path, progress, cancel).map(|(p, _)| p)
    }

    /// The pyramid of interleaved samples in memory (tests and generated audio).
    pub fn from_samples(channels: usize, sample_rate: u32, samples: &[f32]) -> PeakPyramid {
        let channels = channels.max(1);
        let frames = (samples.len() / channels) as u64;
        let mut level0 = Vec::with_capacity(bucket_count(frames, BASE_FRAMES) as usize * channels);
        let mut acc = vec![Acc::EMPTY; channels];
        for bucket in samples[..frames as usize * channels].chunks(BASE_FRAMES as usize * channels) {
            accumulate(bucket, channels, &mut acc);
            let n = (bucket.len() / channels) as f64;
            level0.extend(acc.iter_mut().map(|a| a.take(n)));
        }
        Self::from_level0(channels, sample_rate, frames, level0)
    }

    fn from_level0(channels: usize, sample_rate: u32, frames: u64, level0: Vec<Peak>) -> PeakPyramid {
        let mut levels = vec![Level { frames_per_bucket: BASE_FRAMES, peaks: level0 }];
        while let Some(below) = levels.last() {
            let below_buckets = below.peaks.len() / channels;
            if below_buckets <= 1 {
                break;
            }
            let fpb = below.frames_per_bucket.saturating_mul(LEVEL_FACTOR);
            let up = reduce_level(&below.peaks, channels, below.frames_per_bucket, frames);
            levels.push(Level { frames_per_bucket: fpb, peaks: up });
        }
        PeakPyramid { channels, sample_rate, frames, levels }
    }

    /// Channels.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Frames per second of the source.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Frames in the source.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        self.frames as f64 / self.sample_rate.max(1) as f64
    }

    /// Frames per bucket of each level, finest first.
    pub fn level_sizes(&self) -> Vec<u64> {
        self.levels.iter().map(|l| l.frames_per_bucket).collect()
    }

    /// The buckets of `level` for `channel` (for tests and exports).
    pub fn level_peaks(&self, level: usize, channel: usize) -> Vec<Peak> {
        match self.levels.get(level) {
            Some(l) if channel < self.channels => {
                l.peaks.iter().skip(channel).step_by(self.channels).copied().collect()
            }
            _ => Vec::new(),
        }
    }

    /// The level a column of `frames_per_column` frames should read: the
    /// coarsest whose buckets are no wider than the column.
    pub fn level_for(&self, frames_per_column: f64) -> usize {
        let mut best = 0;
        for (i, l) in self.levels.iter().enumerate() {
            if l.frames_per_bucket as f64 <= frames_per_column {
                best = i;
            }
        }
        best
    }

    /// Min, max and RMS of `channel` over frames `start_frame..end_frame`,
    /// from the buckets of the right level that overlap that span (so a
    /// column narrower than [`BASE_FRAMES`] gets its whole base bucket: read
    /// the samples there, see [`SampleWindow`]). `None` for a channel that
    /// does not exist or a span past the end.
    pub fn column_range(&self, channel: usize, start_frame: u64, end_frame: u64) -> Option<ColumnPeak> {
        if channel >= self.channels || start_frame >= self.frames {
            return None;
        }
        let end = end_frame.clamp(start_frame.saturating_add(1), self.frames);
        let level = self.levels.get(self.level_for((end - start_frame) as f64))?;
        let fpb = level.frames_per_bucket;
        let first = start_frame / fpb;
        let last = end.div_ceil(fpb);
        let mut out = ColumnPeak { min: f32::INFINITY, max: f32::NEG_INFINITY, rms: 0.0 };
        let mut sum = 0.0f64;
        let mut count = 0.0f64;
        for b in first..last {
            let Some(p) = level.peaks.get(b as usize * self.channels + channel) else { break };
            out.min = out.min.min(p.min);
            out.max = out.max.max(p.max);
            let n = bucket_frames(b, fpb, self.frames) as f64;
            sum += p.mean_square as f64 * n;
            count += n;
        }
        if count == 0.0 {
            return None;
        }
        out.rms = (sum / count).sqrt() as f32;
        Some(out)
    }
}

/// Frames in bucket `b` of a level with `fpb` frames per bucket (the last one may be short).
fn bucket_frames(b: u64, fpb: u64, frames: u64) -> u64 {
    let start = b.saturating_mul(fpb);
    frames.saturating_sub(start).min(fpb)
}

fn bucket_count(frames: u64, fpb: u64) -> u64 {
    frames.div_ceil(fpb.max(1))
}

/// Combines every [`LEVEL_FACTOR`] buckets of a level into one of the next.
fn reduce_level(below: &[Peak], channels: usize, below_fpb: u64, frames: u64) -> Vec<Peak> {
    let below_buckets = below.len() / channels;
    let group = LEVEL_FACTOR as usize;
    let buckets = below_buckets.div_ceil(group);
    let mut out = Vec::with_capacity(buckets * channels);
    for g in 0..buckets {
        for c in 0..channels {
            let mut p = Peak { min: f32::INFINITY, max: f32::NEG_INFINITY, mean_square: 0.0 };
            let mut sum = 0.0f64;
            let mut count = 0.0f64;
            for b in g * group..((g + 1) * group).min(below_buckets) {
                if let Some(q) = below.get(b * channels + c) {
                    p.min = p.min.min(q.min);
                    p.max = p.max.max(q.max);
                    let n = bucket_frames(b as u64, below_fpb, frames) as f64;
                    sum += q.mean_square as f64 * n;
                    count += n;
                }
            }
            if count == 0.0 {
                p = Peak::EMPTY;
            } else {
                p.mean_square = (sum / count) as f32;
            }
            out.push(p);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Building.

/// Running min/max/sum of squares of one channel.
#[derive(Debug, Clone, Copy)]
struct Acc {
    min: f32,
    max: f32,
    sq: f64,
}

impl Acc {
    const EMPTY: Acc = Acc { min: f32::INFINITY, max: f32::NEG_INFINITY, sq: 0.0 };

    /// The bucket of `frames` frames seen so far; resets.
    fn take(&mut self, frames: f64) -> Peak {
        let p = if frames > 0.0 && self.min <= self.max {
            Peak { min: self.min, max: self.max, mean_square: (self.sq / frames) as f32 }
        } else {
            Peak::EMPTY
        };
        *self = Acc::EMPTY;
        p
    }
}

/// Adds interleaved `samples` (whole frames) to the per-channel accumulators.
/// Lanes of 16 samples keep the hot loop in SIMD registers when 16 is a
/// multiple of the channel count (1, 2, 4, 8, 16 channels).
fn accumulate(samples: &[f32], channels: usize, acc: &mut [Acc]) {
    const L: usize = 16;
    if channels == 0 || acc.len() < channels {
        return;
    }
    let mut rest = samples;
    if L % channels == 0 {
        let mut mn = [f32::INFINITY; L];
        let mut mx = [f32::NEG_INFINITY; L];
        let mut sq = [0.0f32; L];
        let mut chunks = samples.chunks_exact(L);
        for c in &mut chunks {
            for j in 0..L {
                let x = c[j];
                mn[j] = if x < mn[j] { x } else { mn[j] };
                mx[j] = if x > mx[j] { x } else { mx[j] };
                sq[j] += x * x;
            }
        }
        for j in 0..L {
            let a = &mut acc[j % channels];
            a.min = a.min.min(mn[j]);
            a.max = a.max.max(mx[j]);
            a.sq += sq[j] as f64;
        }
        rest = chunks.remainder();
    }
    for frame in rest.chunks_exact(channels) {
        for (a, &x) in acc.iter_mut().zip(frame) {
            a.min = a.min.min(x);
            a.max = a.max.max(x);
            a.sq += (x * x) as f64;
        }
    }
}

/// Opens a buffered reader of the file (each caller gets its own, so
/// parallel segments share nothing).
fn open_reader(path: &Path) -> Result<Box<dyn AudioReader>, FileError> {
    let source = Source::open(path).map_err(|e| FileError::new(path, e))?;
    crate::io::open_source(source).map_err(|e| FileError::new(path, e))
}

enum ParallelError {
    Cancelled,
    File(FileError),
    /// A segment could not seek to its start or ended early.
    Irregular,
}

fn build_parallel(
    path: &Path,
    first: Box<dyn AudioReader>,
    channels: usize,
    frames: u64,
    progress: &BuildProgress,
    cancel: &AtomicBool,
) -> Result<Vec<Peak>, ParallelError> {
    let seg_span = SEGMENT_BUCKETS as u64 * BASE_FRAMES;
    let segments = frames.div_ceil(seg_span);
    // The first reader (already open) serves the first worker; the others open their own.
    let spare = std::sync::Mutex::new(Some(first));
    // Each segment allocates its own buckets once its reader stands at its start,
    // so a frame count no file could hold allocates nothing before it fails.
    let parts: Vec<Vec<Peak>> = (0..segments)
        .into_par_iter()
        .map_init(
            || {
                let reader = spare.lock().ok().and_then(|mut s| s.take());
                (reader, Vec::new(), vec![Acc::EMPTY; channels])
            },
            |(reader, buf, acc), i| {
                if cancel.load(Ordering::Relaxed) {
                    return Err(ParallelError::Cancelled);
                }
                if reader.is_none() {
                    *reader = Some(open_reader(path).map_err(ParallelError::File)?);
                }
                let Some(r) = reader.as_mut() else { return Err(ParallelError::Irregular) };
                let start = i * seg_span;
                let seg_frames = frames.saturating_sub(start).min(seg_span);
                match r.seek(start) {
                    Ok(at) if at == start => {}
                    Ok(_) => return Err(ParallelError::Irregular),
                    Err(e) => return Err(ParallelError::File(FileError::new(path, e))),
                }
                if buf.is_empty() {
                    buf.resize(CHUNK_FRAMES * channels, 0f32);
                }
                let mut out = vec![Peak::EMPTY; bucket_count(seg_frames, BASE_FRAMES) as usize * channels];
                segment_peaks(r.as_mut(), path, channels, seg_frames, buf, acc, &mut out, progress, cancel)?;
                Ok(out)
            },
        )
        .collect::<Result<_, _>>()?;
    Ok(parts.concat())
}

/// Reads `seg_frames` frames from `r` into base buckets `out`.
#[allow(clippy::too_many_arguments)]
fn segment_peaks(
    r: &mut dyn AudioReader,
    path: &Path,
    channels: usize,
    seg_frames: u64,
    buf: &mut [f32],
    acc: &mut [Acc],
    out: &mut [Peak],
    progress: &BuildProgress,
    cancel: &AtomicBool,
) -> Result<(), ParallelError> {
    let base = BASE_FRAMES as usize;
    let mut left = seg_frames;
    let mut in_bucket = 0usize;
    let mut bucket = 0usize;
    while left > 0 {
        if cancel.load(Ordering::Relaxed) {
            return Err(ParallelError::Cancelled);
        }
        let want = (left.min(CHUNK_FRAMES as u64) as usize) * channels;
        let n = r.read_f32(&mut buf[..want]).map_err(|e| ParallelError::File(FileError::new(path, e)))?;
        if n == 0 {
            return Err(ParallelError::Irregular);
        }
        let mut s = buf.get(..n * channels).unwrap_or(&[]);
        while !s.is_empty() {
            let take = (base - in_bucket).min(s.len() / channels);
            let (now, later) = s.split_at(take * channels);
            accumulate(now, channels, acc);
            in_bucket += take;
            s = later;
            if in_bucket == base {
                put_bucket(out, bucket, channels, acc, base);
                bucket += 1;
                in_bucket = 0;
            }
        }
        left -= n as u64;
        progress.add(n as u64);
    }
    if in_bucket > 0 {
        put_bucket(out, bucket, channels, acc, in_bucket);
    }
    Ok(())
}

fn put_bucket(out: &mut [Peak], bucket: usize, channels: usize, acc: &mut [Acc], frames: usize) {
    if let Some(dst) = out.get_mut(bucket * channels..(bucket + 1) * channels) {
        for (d, a) in dst.iter_mut().zip(acc.iter_mut()) {
            *d = a.take(frames as f64);
        }
    }
}

fn build_sequential(
    path: &Path,
    mut r: Box<dyn AudioReader>,
    progress: &BuildProgress,
    cancel: &AtomicBool,
) -> Result<PeakPyramid, PeakError> {
    let info = r.info();
    let channels = info.channels().max(1);
    let sample_rate = info.sample_rate();
    let base = BASE_FRAMES as usize;
    let mut buf = vec![0f32; CHUNK_FRAMES * channels];
    let mut acc = vec![Acc::EMPTY; channels];
    let mut level0 = Vec::new();
    let mut in_bucket = 0usize;
    let mut frames = 0u64;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(PeakError::Cancelled);
        }
        let n = r.read_f32(&mut buf).map_err(|e| FileError::new(path, e))?;
        if n == 0 {
            break;
        }
        let mut s = buf.get(..n * channels).unwrap_or(&[]);
        while !s.is_empty() {
            let take = (base - in_bucket).min(s.len() / channels);
            let (now, later) = s.split_at(take * channels);
            accumulate(now, channels, &mut acc);
            in_bucket += take;
            s = later;
            if in_bucket == base {
                level0.extend(acc.iter_mut().map(|a| a.take(base as f64)));
                in_bucket = 0;
            }
        }
        frames += n as u64;
        progress.add(n as u64);
    }
    if in_bucket > 0 {
        level0.extend(acc.iter_mut().map(|a| a.take(in_bucket as f64)));
    }
    Ok(PeakPyramid::from_level0(channels, sample_rate, frames, level0))
}

// ---------------------------------------------------------------------------
// Samples for the deepest zoom.

/// A span of decoded samples, for columns narrower than a base bucket
/// (where the pyramid is too coarse) and for drawing single samples.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleWindow {
    /// First frame held.
    pub start: u64,
    /// Channels per frame.
    pub channels: usize,
    /// Interleaved samples.
    pub samples: Vec<f32>,
}

impl SampleWindow {
    /// Decodes up to `frames` frames of `path` from `start` (fewer at the end).
    pub fn read(path: &Path, start: u64, frames: usize) -> Result<SampleWindow, FileError> {
        let mut r = open_reader(path)?;
        let channels = r.info().channels().max(1);
        let at = r.seek(start).map_err(|e| FileError::new(path, e))?;
        let want = frames.saturating_mul(channels);
        let mut samples = vec![0f32; want];
        let mut got = 0;
        while got < want {
            let n = r.read_f32(&mut samples[got..]).map_err(|e| FileError::new(path, e))?;
            if n == 0 {
                break;
            }
            got += n * channels;
        }
        samples.truncate(got);
        Ok(SampleWindow { start: at, channels, samples })
    }

    /// Frames held.
    pub fn frames(&self) -> u64 {
        (self.samples.len() / self.channels.max(1)) as u64
    }

    /// One past the last frame held.
    pub fn end(&self) -> u64 {
        self.start + self.frames()
    }

    /// True when every frame of `start..end` is held.
    pub fn covers(&self, start: u64, end: u64) -> bool {
        start >= self.start && end <= self.end()
    }

    /// The sample of `channel` at absolute `frame`, if held.
    pub fn sample(&self, channel: usize, frame: u64) -> Option<f32> {
        if channel >= self.channels || frame < self.start {
            return None;
        }
        let i = usize::try_from(frame - self.start).ok()?.checked_mul(self.channels)?.checked_add(channel)?;
        self.samples.get(i).copied()
    }

    /// Min, max and RMS of `channel` over `start_frame..end_frame` (at least
    /// one frame), from the samples held; `None` where nothing is held.
    pub fn column_range(&self, channel: usize, start_frame: u64, end_frame: u64) -> Option<ColumnPeak> {
        let end = end_frame.max(start_frame + 1).min(self.end());
        let start = start_frame.max(self.start);
        if channel >= self.channels || start >= end {
            return None;
        }
        let mut out = ColumnPeak { min: f32::INFINITY, max: f32::NEG_INFINITY, rms: 0.0 };
        let mut sq = 0.0f64;
        for f in start..end {
            let x = self.sample(channel, f)?;
            out.min = out.min.min(x);
            out.max = out.max.max(x);
            sq += (x * x) as f64;
        }
        out.rms = (sq / (end - start) as f64).sqrt() as f32;
        Some(out)
    }
}

// ---------------------------------------------------------------------------
// The disk cache.

/// A folder of cached pyramids, one file per source named by a hash of its
/// path, size and modification time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeakCache {
    dir: PathBuf,
}

/// What identifies a source's content well enough to reuse its peaks.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SourceKey {
    path: Vec<u8>,
    size: u64,
    mtime_ns: u64,
}

impl PeakCache {
    /// A cache in `dir` (created when first written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        PeakCache { dir: dir.into() }
    }

    /// `$XDG_CACHE_HOME/coremusic/peaks`, else `~/Library/Caches/coremusic/peaks`
    /// on macOS and `~/.cache/coremusic/peaks` elsewhere (the system temporary
    /// folder when there is no home).
    pub fn default_location() -> Self {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| {
                    if cfg!(target_os = "macos") {
                        PathBuf::from(h).join("Library/Caches")
                    } else {
                        PathBuf::from(h).join(".cache")
                    }
                })
            })
            .unwrap_or_else(std::env::temp_dir);
        PeakCache { dir: base.join("coremusic").join("peaks") }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cache file for `path` as it is now (its size and mtime are part of the name).
    pub fn file_for(&self, path: &Path) -> std::io::Result<PathBuf> {
        let key = source_key(path)?;
        let mut h = Hasher::new();
        h.write(&key.path);
        h.write(&key.size.to_le_bytes());
        h.write(&key.mtime_ns.to_le_bytes());
        Ok(self.dir.join(format!("{:016x}.peaks", h.finish())))
    }

    /// The cached pyramid of `path` when a cache file matches it and checks
    /// out; otherwise builds it ([`PeakPyramid::build`]) and saves it. Cache
    /// problems never fail the call; they show in the [`CacheOutcome`].
    pub fn load_or_build(
        &self,
        path: &Path,
        progress: &BuildProgress,
        cancel: &AtomicBool,
    ) -> Result<(PeakPyramid, CacheOutcome), PeakError> {
        let key = source_key(path).map_err(|e| FileError::new(path, e))?;
        let file = self.file_for(path).map_err(|e| FileError::new(path, e))?;
        let stale = match std::fs::read(&file) {
            Ok(bytes) => match decode(&bytes, &key) {
                Ok(p) => {
                    progress.start(p.frames);
                    progress.add(p.frames);
                    return Ok((p, CacheOutcome::Hit));
                }
                Err(why) => Some(why),
            },
            Err(_) => None,
        };
        let pyramid = PeakPyramid::build(path, progress, cancel)?;
        let outcome = match self.save(&file, &pyramid, &key) {
            Err(e) => CacheOutcome::NotSaved(format!("{}: {e}", file.display())),
            Ok(()) => match stale {
                Some(why) => CacheOutcome::Rebuilt(why),
                None => CacheOutcome::Built,
            },
        };
        Ok((pyramid, outcome))
    }

    fn save(&self, file: &Path, p: &PeakPyramid, key: &SourceKey) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let bytes = encode(p, key);
        // Written whole to a temporary name and renamed, so a reader never sees half a file.
        let tmp = file.with_extension(format!("tmp{}", std::process::id()));
        let written = std::fs::File::create(&tmp).and_then(|mut f| f.write_all(&bytes));
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, file)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(())
    }
}

fn source_key(path: &Path) -> std::io::Result<SourceKey> {
    let abs = std::fs::canonicalize(path)?;
    let meta = std::fs::metadata(&abs)?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos().min(u64::MAX as u128) as u64);
    Ok(SourceKey { path: abs.as_os_str().as_encoded_bytes().to_vec(), size: meta.len(), mtime_ns })
}

/// A small, stable 64-bit hash (FNV-1a over 8-byte words), for names and checksums.
struct Hasher(u64);

impl Hasher {
    fn new() -> Self {
        Hasher(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            self.0 = (self.0 ^ u64::from_le_bytes(a)).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
        }
        for &b in words.remainder() {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 ^= bytes.len() as u64;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The cache file: magic, version, the source key, the stream's shape, each
/// level's buckets as little-endian f32 (min, max, mean square), and a checksum of all that.
fn encode(p: &PeakPyramid, key: &SourceKey) -> Vec<u8> {
    let total: usize = p.levels.iter().map(|l| l.peaks.len() * 12 + 8).sum();
    let mut v = Vec::with_capacity(64 + key.path.len() + total + 8);
    v.extend_from_slice(MAGIC);
    v.extend_from_slice(&VERSION.to_le_bytes());
    v.extend_from_slice(&(key.path.len() as u32).to_le_bytes());
    v.extend_from_slice(&key.path);
    v.extend_from_slice(&key.size.to_le_bytes());
    v.extend_from_slice(&key.mtime_ns.to_le_bytes());
    v.extend_from_slice(&(p.channels as u32).to_le_bytes());
    v.extend_from_slice(&p.sample_rate.to_le_bytes());
    v.extend_from_slice(&p.frames.to_le_bytes());
    v.extend_from_slice(&(p.levels.len() as u32).to_le_bytes());
    for l in &p.levels {
        v.extend_from_slice(&l.frames_per_bucket.to_le_bytes());
        for q in &l.peaks {
            v.extend_from_slice(&q.min.to_le_bytes());
            v.extend_from_slice(&q.max.to_le_bytes());
            v.extend_from_slice(&q.mean_square.to_le_bytes());
        }
    }
    let mut h = Hasher::new();
    h.write(&v);
    v.extend_from_slice(&h.finish().to_le_bytes());
    v
}

/// Reads a cache file, checking everything: a reason when it is not the
/// pyramid of `key` as it is now.
fn decode(bytes: &[u8], key: &SourceKey) -> Result<PeakPyramid, String> {
    let (body, sum) = bytes.split_at_checked(bytes.len().wrapping_sub(8)).ok_or("the cache file is truncated")?;
    let mut h = Hasher::new();
    h.write(body);
    if sum != h.finish().to_le_bytes() {
        return Err("the cache file's checksum does not match".into());
    }
    let mut r = body;
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic).map_err(|_| "the cache file is truncated")?;
    if &magic != MAGIC {
        return Err("not a CoreMusic peaks file".into());
    }
    let version = read_u32(&mut r)?;
    if version != VERSION {
        return Err(format!("cache format version {version}, this build reads {VERSION}"));
    }
    let path_len = read_u32(&mut r)? as usize;
    let (path, rest) = r.split_at_checked(path_len).ok_or("the cache file is truncated")?;
    r = rest;
    let size = read_u64(&mut r)?;
    let mtime_ns = read_u64(&mut r)?;
    if path != key.path.as_slice() || size != key.size || mtime_ns != key.mtime_ns {
        return Err("the cache is of another file, or the file has changed".into());
    }
    let channels = read_u32(&mut r)? as usize;
    let sample_rate = read_u32(&mut r)?;
    let frames = read_u64(&mut r)?;
    let level_count = read_u32(&mut r)? as usize;
    if channels == 0 || channels > 1024 || level_count == 0 || level_count > 64 {
        return Err("the cache file's header is implausible".into());
    }
    let mut levels = Vec::with_capacity(level_count);
    for i in 0..level_count {
        let fpb = read_u64(&mut r)?;
        let expected_fpb = LEVEL_FACTOR.checked_pow(i as u32).and_then(|f| f.checked_mul(BASE_FRAMES));
        if Some(fpb) != expected_fpb {
            return Err(format!("level {i} has {fpb} frames per bucket"));
        }
        let count = usize::try_from(bucket_count(frames, fpb).max(1))
            .ok()
            .and_then(|b| b.checked_mul(channels))
            .ok_or("the cache file's header is implausible")?;
        let (data, rest) = count
            .checked_mul(12)
            .and_then(|n| r.split_at_checked(n))
            .ok_or("the cache file is shorter than its header says")?;
        r = rest;
        let mut peaks = Vec::with_capacity(count);
        for c in data.chunks_exact(12) {
            let f = |i: usize| f32::from_le_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
            let q = Peak { min: f(0), max: f(4), mean_square: f(8) };
            if !(q.min.is_finite() && q.max.is_finite() && q.mean_square.is_finite()) {
                return Err(format!("level {i} holds a value that is not a number"));
            }
            peaks.push(q);
        }
        levels.push(Level { frames_per_bucket: fpb, peaks });
    }
    if !r.is_empty() {
        return Err("the cache file has bytes after its last level".into());
    }
    let last_buckets = levels.last().map_or(0, |l| l.peaks.len() / channels);
    if last_buckets > 1 {
        return Err("the cache file stops before its coarsest level".into());
    }
    Ok(PeakPyramid { channels, sample_rate, frames, levels })
}

fn read_u32(r: &mut &[u8]) -> Result<u32, String> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b).map_err(|_| "the cache file is truncated")?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(r: &mut &[u8]) -> Result<u64, String> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b).map_err(|_| "the cache file is truncated")?;
    Ok(u64::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::SampleFormat;
    use crate::io::{create_writer, OutputFormat, WriterSpec};

    fn write_wav(path: &Path, channels: u16, samples: &[f32]) {
        let file = std::fs::File::create(path).unwrap();
        let spec = WriterSpec {
            format: OutputFormat::Wav,
            sample_rate: 8000,
            channels,
            sample: SampleFormat::S16,
            bits: None,
        };
        let mut w = create_writer(Box::new(std::io::BufWriter::new(file)), spec).unwrap();
        w.write_f32(samples).unwrap();
        w.finish().unwrap();
    }

    /// A deterministic stereo signal quantised to 16 bits (so the file holds it exactly).
    fn signal(frames: usize) -> Vec<f32> {
        let mut seed = 7u32;
        (0..frames * 2)
            .map(|i| {
                seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
                let x =
                    if i % 2 == 0 { (i as f32 * 0.001).sin() * 0.7 } else { ((seed >> 8) as f32 / 16777216.0) - 0.5 };
                (x * 32768.0).round() / 32768.0
            })
            .collect()
    }

    /// Brute force: min, max, rms of a channel over a frame range.
    fn brute(samples: &[f32], ch: usize, start: usize, end: usize) -> (f32, f32, f32) {
        let xs: Vec<f32> = samples.iter().skip(start * 2 + ch).step_by(2).take(end - start).copied().collect();
        let mn = xs.iter().copied().fold(f32::INFINITY, f32::min);
        let mx = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let rms = (xs.iter().map(|&x| (x * x) as f64).sum::<f64>() / xs.len() as f64).sqrt() as f32;
        (mn, mx, rms)
    }

    #[test]
    fn levels_grow_by_four_up_to_one_bucket() {
        let s = signal(1_000_000);
        let p = PeakPyramid::from_samples(2, 8000, &s);
        let sizes = p.level_sizes();
        assert_eq!(sizes[0], 256);
        assert_eq!(sizes[1], 1024);
        assert_eq!(p.level_peaks(sizes.len() - 1, 0).len(), 1);
        assert_eq!(p.level_peaks(0, 1).len(), 1_000_000usize.div_ceil(256));
        // The top bucket is the whole file.
        let top = p.level_peaks(sizes.len() - 1, 1)[0];
        let (mn, mx, rms) = brute(&s, 1, 0, 1_000_000);
        assert_eq!((top.min, top.max), (mn, mx));
        assert!((top.mean_square.sqrt() - rms).abs() < 1e-4);
    }

    #[test]
    fn column_range_on_bucket_boundaries_is_exact() {
        let s = signal(300_000);
        let p = PeakPyramid::from_samples(2, 8000, &s);
        for (start, end) in [(0, 256), (1024, 3072), (4096, 4096 * 3), (0, 300_000), (299_776, 300_000)] {
            for ch in 0..2 {
                let c = p.column_range(ch, start, end).unwrap();
                let (mn, mx, rms) = brute(&s, ch, start as usize, end as usize);
                assert_eq!((c.min, c.max), (mn, mx), "{start}..{end} ch{ch}");
                assert!((c.rms - rms).abs() < 1e-4, "{start}..{end} ch{ch}: {} vs {rms}", c.rms);
            }
        }
        assert!(p.column_range(2, 0, 10).is_none());
        assert!(p.column_range(0, 300_000, 300_010).is_none());
        // A span reaching past the end is clamped; a reversed one still answers one frame's bucket.
        assert!(p.column_range(0, 299_000, u64::MAX).is_some());
        assert!(p.column_range(0, 10, 5).is_some());
    }

    #[test]
    fn column_range_covers_an_unaligned_span() {
        let s = signal(200_000);
        let p = PeakPyramid::from_samples(2, 8000, &s);
        let c = p.column_range(0, 1000, 9000).unwrap();
        let (mn, mx, _) = brute(&s, 0, 1000, 9000);
        // Buckets overlapping the span: never narrower than the truth.
        assert!(c.min <= mn && c.max >= mx);
        // The coarsest level whose buckets fit in the column: 4096 ≤ 8000 < 16384.
        assert_eq!(p.level_for(8000.0), 2);
    }

    #[test]
    fn a_built_file_matches_the_samples_in_parallel_and_in_sequence() {
        let dir = tempfile::tempdir().unwrap();
        // More than one parallel segment, and a partial last bucket.
        let frames = SEGMENT_BUCKETS * 256 * 2 + 1000;
        let s = signal(frames);
        let path = dir.path().join("a.wav");
        write_wav(&path, 2, &s);
        let progress = BuildProgress::new();
        let built = PeakPyramid::build(&path, &progress, &AtomicBool::new(false)).unwrap();
        assert_eq!(progress.fraction(), 1.0);
        let expected = PeakPyramid::from_samples(2, 8000, &s);
        assert_eq!(built.frames(), frames as u64);
        assert_eq!(built.level_sizes(), expected.level_sizes());
        for level in 0..built.level_sizes().len() {
            for ch in 0..2 {
                let (a, b) = (built.level_peaks(level, ch), expected.level_peaks(level, ch));
                assert_eq!(a.len(), b.len());
                for (x, y) in a.iter().zip(&b) {
                    assert_eq!((x.min, x.max), (y.min, y.max));
                    assert!((x.mean_square - y.mean_square).abs() <= 1e-5 * y.mean_square.max(1e-3));
                }
            }
        }
        let seq = build_sequential(&path, open_reader(&path).unwrap(), &progress, &AtomicBool::new(false)).unwrap();
        assert_eq!(seq.level_sizes(), built.level_sizes());
        assert_eq!(seq.level_peaks(0, 1).len(), built.level_peaks(0, 1).len());
    }

    #[test]
    fn cancel_stops_the_build() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.wav");
        write_wav(&path, 2, &signal(100_000));
        let r = PeakPyramid::build(&path, &BuildProgress::new(), &AtomicBool::new(true));
        assert!(matches!(r, Err(PeakError::Cancelled)));
    }

    #[test]
    fn a_broken_file_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.wav");
        std::fs::write(&path, b"RIFF\x10\x00\x00\x00WAVEjunkjunk").unwrap();
        let e = PeakPyramid::build(&path, &BuildProgress::new(), &AtomicBool::new(false)).unwrap_err();
        assert!(e.to_string().contains("broken.wav"), "{e}");
        let e = PeakPyramid::build(&dir.path().join("none.wav"), &BuildProgress::new(), &AtomicBool::new(false));
        assert!(e.is_err());
    }

    #[test]
    fn the_cache_is_used_then_rebuilt_when_corrupt_or_stale() {
        let dir = tempfile::tempdir().unwrap();
        let cache = PeakCache::new(dir.path().join("cache"));
        let path = dir.path().join("x.wav");
        write_wav(&path, 2, &signal(50_000));
        let p = BuildProgress::new();
        let no = AtomicBool::new(false);
        let (a, o) = cache.load_or_build(&path, &p, &no).unwrap();
        assert_eq!(o, CacheOutcome::Built);
        let (b, o) = cache.load_or_build(&path, &p, &no).unwrap();
        assert_eq!(o, CacheOutcome::Hit);
        assert_eq!(a, b);
        // Flip one byte in the data: the checksum catches it.
        let file = cache.file_for(&path).unwrap();
        let mut bytes = std::fs::read(&file).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x40;
        std::fs::write(&file, &bytes).unwrap();
        let (c, o) = cache.load_or_build(&path, &p, &no).unwrap();
        assert!(matches!(o, CacheOutcome::Rebuilt(ref why) if why.contains("checksum")), "{o:?}");
        assert_eq!(a, c);
        // Truncated, and empty.
        std::fs::write(&file, &bytes[..100]).unwrap();
        assert!(matches!(cache.load_or_build(&path, &p, &no).unwrap().1, CacheOutcome::Rebuilt(_)));
        std::fs::write(&file, b"").unwrap();
        assert!(matches!(cache.load_or_build(&path, &p, &no).unwrap().1, CacheOutcome::Rebuilt(_)));
        assert_eq!(cache.load_or_build(&path, &p, &no).unwrap().1, CacheOutcome::Hit);
    }

    #[test]
    fn decode_rejects_a_valid_checksum_over_a_lying_header() {
        let s = signal(5000);
        let p = PeakPyramid::from_samples(2, 8000, &s);
        let key = SourceKey { path: b"/x.wav".to_vec(), size: 1, mtime_ns: 2 };
        let good = encode(&p, &key);
        assert_eq!(decode(&good, &key).unwrap(), p);
        assert!(decode(&good, &SourceKey { size: 3, ..key.clone() }).is_err());
        // Claim far more frames than the data holds, with a fresh checksum.
        let mut body = good[..good.len() - 8].to_vec();
        let frames_at = 8 + 4 + 4 + key.path.len() + 8 + 8 + 4 + 4;
        body[frames_at..frames_at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        let mut h = Hasher::new();
        h.write(&body);
        body.extend_from_slice(&h.finish().to_le_bytes());
        assert!(decode(&body, &key).is_err());
        for cut in 0..good.len() {
            assert!(decode(&good[..cut], &key).is_err());
        }
    }

    #[test]
    fn a_sample_window_reads_exact_frames() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.wav");
        let s = signal(10_000);
        write_wav(&path, 2, &s);
        let w = SampleWindow::read(&path, 9_000, 5_000).unwrap();
        assert_eq!((w.start, w.frames(), w.end()), (9_000, 1_000, 10_000));
        assert_eq!(w.sample(1, 9_500), Some(s[9_500 * 2 + 1]));
        assert_eq!(w.sample(0, 10_000), None);
        let c = w.column_range(0, 9_100, 9_200).unwrap();
        let (mn, mx, rms) = brute(&s, 0, 9_100, 9_200);
        assert_eq!((c.min, c.max), (mn, mx));
        assert!((c.rms - rms).abs() < 1e-5);
        assert!(w.column_range(0, 0, 10).is_none());
    }
}
