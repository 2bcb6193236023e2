//! Building a pyramid: one pass over the file, in parallel segments where
//! the format seeks exactly, sequentially otherwise; progress and cancel.

use super::*;

/// Running min/max/sum of squares of one channel.
#[derive(Debug, Clone, Copy)]
pub(super) struct Acc {
    min: f32,
    max: f32,
    sq: f64,
}

impl Acc {
    pub(super) const EMPTY: Acc = Acc { min: f32::INFINITY, max: f32::NEG_INFINITY, sq: 0.0 };

    /// The bucket of `frames` frames seen so far; resets.
    pub(super) fn take(&mut self, frames: f64) -> Peak {
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
pub(super) fn accumulate(samples: &[f32], channels: usize, acc: &mut [Acc]) {
    pub(super) const L: usize = 16;
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
pub(super) fn open_reader(path: &Path) -> Result<Box<dyn AudioReader>, FileError> {
    let source = Source::open(path).map_err(|e| FileError::new(path, e))?;
    crate::io::open_source(source).map_err(|e| FileError::new(path, e))
}

pub(super) enum ParallelError {
    Cancelled,
    File(FileError),
    /// A segment could not seek to its start or ended early.
    Irregular,
}

pub(super) fn build_parallel(
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
pub(super) fn segment_peaks(
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
        progress.give_way(cancel);
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

pub(super) fn put_bucket(out: &mut [Peak], bucket: usize, channels: usize, acc: &mut [Acc], frames: usize) {
    if let Some(dst) = out.get_mut(bucket * channels..(bucket + 1) * channels) {
        for (d, a) in dst.iter_mut().zip(acc.iter_mut()) {
            *d = a.take(frames as f64);
        }
    }
}

pub(super) fn build_sequential(
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
        progress.give_way(cancel);
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
