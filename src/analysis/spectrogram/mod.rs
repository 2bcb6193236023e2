//! The spectrogram: short-time power spectra of a file, in dB, column by
//! column, for the `coremusic spectrogram` picture and the window's
//! Spectrogram view; and the spectrum analyser's averaged FFT ([`spectrum`]).
//!
//! A column covers a span of frames. Narrower than the FFT, it is one window
//! centred on the span; wider, it is the mean power of windows laid side by
//! side across it (every sample counts, as in `sox spectrogram`), or of at
//! most `max_ffts` windows spread evenly over it when the caller wants speed
//! over completeness (the window's first screen of a long file). Levels are
//! dBFS of a sine: the window's coherent gain is divided out, so a full-scale
//! sine centred on a bin reads 0 dB.
//!
//! [`tiles`] cuts the time axis into tiles of [`tiles::TILE_COLS`] columns at
//! power-of-two hops, computes them in the background on all cores (visible
//! tiles first) and keeps them in a memory-bounded LRU cache; [`scale`] maps
//! them to pictures (frequency scale, dB floor and range, colour map).
//!
//! Reads files through [`crate::io`]; never from the UI thread.

pub mod compute;
pub mod scale;
pub mod spectrum;
pub mod tiles;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::io::{AudioReader, FileError, ReadError, Source};

pub use compute::{column_bounds, compute_columns, Analyzer, Picture, Windows};

/// The smallest FFT size offered.
pub const MIN_FFT: usize = 256;
/// The largest FFT size offered.
pub const MAX_FFT: usize = 32768;
/// The lowest level a column reports, in dB (digital silence).
pub const SILENCE_DB: f32 = -200.0;

/// Why a spectrogram could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SpectrogramError {
    /// The audio file could not be opened or decoded.
    #[error(transparent)]
    File(#[from] FileError),
    /// The settings cannot be used (the message says which and why).
    #[error("{0}")]
    Settings(String),
    /// The caller asked it to stop.
    #[error("cancelled")]
    Cancelled,
}

/// The analysis window applied before each FFT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WindowKind {
    /// Hann (raised cosine): the usual choice.
    #[default]
    Hann,
    /// Hamming: narrower main lobe, higher far side lobes.
    Hamming,
    /// 4-term Blackman-Harris: side lobes under −92 dB, for a wide dB range.
    BlackmanHarris,
}

impl WindowKind {
    /// Every window, in menu order.
    pub const ALL: [WindowKind; 3] = [WindowKind::Hann, WindowKind::Hamming, WindowKind::BlackmanHarris];

    /// The name used on the command line and in menus.
    pub fn name(self) -> &'static str {
        match self {
            WindowKind::Hann => "hann",
            WindowKind::Hamming => "hamming",
            WindowKind::BlackmanHarris => "blackman-harris",
        }
    }

    /// The window named `s` (case-insensitive; `bh` and `blackmanharris` too).
    pub fn parse(s: &str) -> Option<WindowKind> {
        match s.to_ascii_lowercase().as_str() {
            "hann" | "hanning" => Some(WindowKind::Hann),
            "hamming" => Some(WindowKind::Hamming),
            "blackman-harris" | "blackmanharris" | "bh" => Some(WindowKind::BlackmanHarris),
            _ => None,
        }
    }

    /// The `n` coefficients of the window (periodic form, as for spectral analysis).
    pub fn coefficients(self, n: usize) -> Vec<f32> {
        use std::f64::consts::TAU;
        (0..n)
            .map(|i| {
                let x = TAU * i as f64 / n as f64;
                let w = match self {
                    WindowKind::Hann => 0.5 - 0.5 * x.cos(),
                    WindowKind::Hamming => 0.54 - 0.46 * x.cos(),
                    WindowKind::BlackmanHarris => {
                        0.35875 - 0.48829 * x.cos() + 0.14128 * (2.0 * x).cos() - 0.01168 * (3.0 * x).cos()
                    }
                };
                w as f32
            })
            .collect()
    }
}

/// FFT size and window: what a column's numbers depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Settings {
    /// Samples per FFT, a power of two in [`MIN_FFT`]..=[`MAX_FFT`].
    pub fft_size: usize,
    /// The window.
    pub window: WindowKind,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { fft_size: 2048, window: WindowKind::Hann }
    }
}

impl Settings {
    /// Checks the FFT size.
    pub fn validate(&self) -> Result<(), SpectrogramError> {
        if !self.fft_size.is_power_of_two() || !(MIN_FFT..=MAX_FFT).contains(&self.fft_size) {
            return Err(SpectrogramError::Settings(format!(
                "FFT size {}: give a power of two from {MIN_FFT} to {MAX_FFT}",
                self.fft_size
            )));
        }
        Ok(())
    }

    /// Frequency bins per column (`fft_size / 2 + 1`, DC to Nyquist).
    pub fn bins(&self) -> usize {
        self.fft_size / 2 + 1
    }
}

/// Which samples a column analyses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChannelPick {
    /// The mean of all channels.
    #[default]
    Mixed,
    /// One channel (0-based).
    Channel(usize),
}

#[derive(Debug, Clone)]
enum Origin {
    File(PathBuf),
    Memory(Arc<Vec<f32>>),
}

/// Where the samples come from: a file (each worker opens its own reader) or
/// interleaved samples in memory (tests, generated audio).
#[derive(Debug, Clone)]
pub struct AudioSource {
    origin: Origin,
    channels: usize,
    sample_rate: u32,
    frames: u64,
}

impl AudioSource {
    /// Opens `path` once to learn its channels, rate and length.
    pub fn open(path: &Path) -> Result<AudioSource, SpectrogramError> {
        let reader = open_reader(path)?;
        let info = reader.info();
        let (channels, sample_rate, frames) = (info.channels(), info.sample_rate(), info.frames);
        if channels == 0 || sample_rate == 0 {
            return Err(FileError::new(path, ReadError::malformed(0, "the stream has no channels or no rate")).into());
        }
        let frames = match frames {
            Some(f) => f,
            None => count_frames(path, reader)?,
        };
        Ok(AudioSource { origin: Origin::File(path.to_path_buf()), channels, sample_rate, frames })
    }

    /// Interleaved samples in memory.
    pub fn from_samples(channels: usize, sample_rate: u32, samples: Arc<Vec<f32>>) -> AudioSource {
        let channels = channels.max(1);
        let frames = (samples.len() / channels) as u64;
        AudioSource { origin: Origin::Memory(samples), channels, sample_rate: sample_rate.max(1), frames }
    }

    /// Channels per frame.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Frames per second.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Frames in the source.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The file, when the source is one.
    pub fn path(&self) -> Option<&Path> {
        match &self.origin {
            Origin::File(p) => Some(p),
            Origin::Memory(_) => None,
        }
    }

    /// A reader of mono samples (one per worker thread).
    pub fn reader(&self) -> Result<MonoReader, SpectrogramError> {
        let inner = match &self.origin {
            Origin::File(p) => {
                let source = Source::open_with_buffer(p, READ_BUFFER).map_err(|e| FileError::new(p, e))?;
                let reader = crate::io::open_source(source).map_err(|e| FileError::new(p, e))?;
                Inner::File { path: p.clone(), reader, pos: 0, buf: Vec::new() }
            }
            Origin::Memory(s) => Inner::Memory(s.clone()),
        };
        Ok(MonoReader { inner, channels: self.channels, frames: self.frames })
    }
}

enum Inner {
    File { path: PathBuf, reader: Box<dyn AudioReader>, pos: u64, buf: Vec<f32> },
    Memory(Arc<Vec<f32>>),
}

/// Reads spans of one channel, or the mean of all, as mono samples; frames
/// before the start or past the end read as zeros.
pub struct MonoReader {
    inner: Inner,
    channels: usize,
    frames: u64,
}

/// Frames decoded per read call.
const READ_FRAMES: usize = 16 * 1024;
/// The file buffer of a [`MonoReader`]: small, because zoomed out it reads
/// one window (a 2048-frame window of 16-bit stereo is 8 KiB) here and one
/// far away there, and a larger buffer would fetch bytes never used
/// (64 KiB per window with [`Source::open`]'s buffer: 8× the reads).
const READ_BUFFER: usize = 4 << 10;
/// A gap shorter than this is read through rather than sought over.
const SKIP_BY_READING: u64 = 64 * 1024;

impl MonoReader {
    /// The frame the next read continues from without a seek (0 in memory).
    pub fn position(&self) -> u64 {
        match &self.inner {
            Inner::File { pos, .. } => *pos,
            Inner::Memory(_) => 0,
        }
    }

    /// Fills `out` with the frames of `pick` from a start within `slack`
    /// of `start`, wherever the file's reader lands more cheaply than on
    /// `start` itself ([`AudioReader::seek_near`]); returns the start used.
    /// Exactly [`MonoReader::read`] when the slack is 0, in memory, or
    /// where no seek is needed.
    pub fn read_near(
        &mut self,
        start: i64,
        slack: u64,
        pick: ChannelPick,
        out: &mut [f32],
    ) -> Result<i64, SpectrogramError> {
        let frames = self.frames;
        let mut used = start;
        if let Inner::File { path, reader, pos, .. } = &mut self.inner {
            let from = start.max(0) as u64;
            let seeks = from < *pos || from - *pos >= SKIP_BY_READING;
            if slack > 0 && start >= 0 && from < frames && seeks {
                let at = reader.seek_near(from, slack).map_err(|e| FileError::new(&*path, e))?;
                *pos = at;
                if at.abs_diff(from) <= slack {
                    used = at as i64;
                }
            }
        }
        self.read(used, pick, out)?;
        Ok(used)
    }

    /// Fills `out` with frames `start..start + out.len()` of `pick`.
    pub fn read(&mut self, start: i64, pick: ChannelPick, out: &mut [f32]) -> Result<(), SpectrogramError> {
        out.fill(0.0);
        let ch = self.channels;
        let (lead, from) = if start < 0 { ((-start) as usize, 0u64) } else { (0, start as u64) };
        if lead >= out.len() || from >= self.frames {
            return Ok(());
        }
        let want = ((self.frames - from) as usize).min(out.len() - lead);
        let dst = &mut out[lead..lead + want];
        match &mut self.inner {
            Inner::Memory(s) => {
                let base = from as usize * ch;
                mix_into(dst, &s[base..base + want * ch], ch, pick);
            }
            Inner::File { path, reader, pos, buf } => {
                if from < *pos || from - *pos >= SKIP_BY_READING {
                    let at = reader.seek(from).map_err(|e| FileError::new(&*path, e))?;
                    *pos = at;
                }
                if buf.is_empty() {
                    buf.resize(READ_FRAMES * ch, 0.0);
                }
                // An inexact seek may land after `from`: the frames before it stay silent.
                let end = from + want as u64;
                while *pos < end {
                    let take = ((end - *pos) as usize).min(READ_FRAMES);
                    let n = reader.read_f32(&mut buf[..take * ch]).map_err(|e| FileError::new(&*path, e))?;
                    if n == 0 {
                        break; // shorter than claimed: the rest stays silent
                    }
                    if *pos + n as u64 <= from {
                        *pos += n as u64; // still in a read-through gap
                        continue;
                    }
                    let skip = from.saturating_sub(*pos) as usize;
                    let at = (*pos + skip as u64 - from) as usize;
                    let at = at.min(dst.len());
                    mix_into(&mut dst[at..], &buf[skip * ch..n * ch], ch, pick);
                    *pos += n as u64;
                }
            }
        }
        Ok(())
    }
}

/// Writes the frames of interleaved `src` (`ch` channels) as `pick` into
/// `dst`, as many as both hold. Mono and the stereo mix have their own
/// loops, which the compiler vectorises (the general one it cannot).
fn mix_into(dst: &mut [f32], src: &[f32], ch: usize, pick: ChannelPick) {
    match (pick, ch) {
        (ChannelPick::Mixed | ChannelPick::Channel(0), 1) => {
            let n = dst.len().min(src.len());
            dst[..n].copy_from_slice(&src[..n]);
        }
        (ChannelPick::Mixed, 2) => {
            for (d, f) in dst.iter_mut().zip(src.chunks_exact(2)) {
                *d = (f[0] + f[1]) * 0.5;
            }
        }
        _ => {
            for (d, frame) in dst.iter_mut().zip(src.chunks_exact(ch)) {
                *d = mix(frame, pick);
            }
        }
    }
}

fn mix(frame: &[f32], pick: ChannelPick) -> f32 {
    match pick {
        ChannelPick::Channel(c) => frame.get(c).copied().unwrap_or(0.0),
        ChannelPick::Mixed => frame.iter().sum::<f32>() / frame.len().max(1) as f32,
    }
}

fn open_reader(path: &Path) -> Result<Box<dyn AudioReader>, FileError> {
    let source = Source::open(path).map_err(|e| FileError::new(path, e))?;
    crate::io::open_source(source).map_err(|e| FileError::new(path, e))
}

/// Reads a stream whose header does not say its length through once to count its frames.
fn count_frames(path: &Path, mut reader: Box<dyn AudioReader>) -> Result<u64, SpectrogramError> {
    let ch = reader.info().channels().max(1);
    let mut buf = vec![0f32; READ_FRAMES * ch];
    let mut frames = 0u64;
    loop {
        let n = reader.read_f32(&mut buf).map_err(|e| FileError::new(path, e))?;
        if n == 0 {
            return Ok(frames);
        }
        frames += n as u64;
    }
}

#[cfg(test)]
mod tests;
