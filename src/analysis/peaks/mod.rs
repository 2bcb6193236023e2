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
///
/// A build can be told to give way ([`BuildProgress::giving_way_to`]): while
/// the flag is up (the spectrogram reading the tiles of the screen shown),
/// the build pauses between chunks, so that the disk serves what is on
/// screen first. A pause lasts at most [`GIVE_WAY_MAX`]; then the build
/// goes on whatever the flag says, so it is never held up for long.
#[derive(Debug, Default)]
pub struct BuildProgress {
    done: AtomicU64,
    total: AtomicU64,
    give_way: Option<std::sync::Arc<AtomicBool>>,
}

/// The longest a build pauses for [`BuildProgress::giving_way_to`]'s flag at a time.
pub const GIVE_WAY_MAX: std::time::Duration = std::time::Duration::from_secs(2);

impl BuildProgress {
    /// A fresh counter.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh counter for a build that pauses while `flag` is up (see the type's docs).
    pub fn giving_way_to(flag: std::sync::Arc<AtomicBool>) -> Self {
        BuildProgress { give_way: Some(flag), ..Self::default() }
    }

    /// Waits while the give-way flag is up, at most [`GIVE_WAY_MAX`] (or until `cancel`).
    fn give_way(&self, cancel: &AtomicBool) {
        let Some(flag) = &self.give_way else { return };
        let started = std::time::Instant::now();
        while flag.load(Ordering::Relaxed) && !cancel.load(Ordering::Relaxed) && started.elapsed() < GIVE_WAY_MAX {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
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

mod build;
mod cache;
mod window;

use build::*;
pub use cache::{CacheUsage, PeakCache};
pub use window::SampleWindow;

#[cfg(test)]
mod tests;
