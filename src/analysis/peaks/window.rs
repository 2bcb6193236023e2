//! Samples for the deepest zoom: a span of decoded samples for columns
//! narrower than a base bucket, and for drawing single samples.

use super::*;

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
