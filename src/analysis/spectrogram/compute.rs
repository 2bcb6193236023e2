//! The numbers: windowed real FFTs (realfft), power averaged per column, in
//! dB; and a whole picture computed on all cores.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rayon::prelude::*;
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use super::*;

/// One FFT size and window, with its buffers: turns spans of samples into
/// power spectra. Allocates only when made.
pub struct Analyzer {
    settings: Settings,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    input: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// Power of a bin → (amplitude of a sine)², per bin.
    norm: Vec<f32>,
}

impl Analyzer {
    /// Plans the FFT of `settings` (checked first).
    pub fn new(settings: Settings) -> Result<Analyzer, SpectrogramError> {
        settings.validate()?;
        let n = settings.fft_size;
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let window = settings.window.coefficients(n);
        let sum: f64 = window.iter().map(|&w| w as f64).sum();
        // A sine of amplitude A centred on bin k has |X[k]| = A·Σw/2 (A·Σw at DC and Nyquist).
        let norm = (0..settings.bins())
            .map(|k| {
                let g = if k == 0 || k == n / 2 { 1.0 / sum } else { 2.0 / sum };
                (g * g) as f32
            })
            .collect();
        Ok(Analyzer {
            settings,
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
            window,
            norm,
        })
    }

    /// The settings it was made with.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// Bins per spectrum.
    pub fn bins(&self) -> usize {
        self.settings.bins()
    }

    /// Adds the power spectrum of `samples` (at least `fft_size` long; the
    /// rest is ignored) to `acc` (`bins()` long), scaled so that a sine of
    /// amplitude A centred on a bin adds A².
    pub fn accumulate(&mut self, samples: &[f32], acc: &mut [f32]) {
        for ((i, &x), &w) in self.input.iter_mut().zip(samples).zip(&self.window) {
            *i = x * w;
        }
        if self.fft.process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch).is_err() {
            return; // lengths are fixed at construction; cannot happen
        }
        for ((a, c), &g) in acc.iter_mut().zip(&self.spectrum).zip(&self.norm) {
            *a += c.norm_sqr() * g;
        }
    }
}

/// Writes the mean of `count` accumulated spectra in dB (floored at [`SILENCE_DB`]).
pub fn power_to_db(acc: &[f32], count: usize, out: &mut [f32]) {
    let inv = 1.0 / count.max(1) as f32;
    for (o, &p) in out.iter_mut().zip(acc) {
        let p = p * inv;
        *o = if p > 1e-20 { (10.0 * p.log10()).max(SILENCE_DB) } else { SILENCE_DB };
    }
}

/// The frame boundaries of `cols` equal columns spanning `start..end` (`cols + 1` values).
pub fn column_bounds(start: u64, end: u64, cols: usize) -> Vec<u64> {
    let span = end.saturating_sub(start) as f64;
    (0..=cols).map(|c| start + (span * c as f64 / cols.max(1) as f64).round() as u64).collect()
}

/// Where the windows of column `a..b` start: one centred window when the
/// column is no wider than the FFT; else windows side by side across it,
/// at most `max_ffts` of them spread evenly.
fn window_starts(a: u64, b: u64, n: usize, max_ffts: Option<usize>, out: &mut Vec<i64>) {
    let len = b.saturating_sub(a);
    let n64 = n as u64;
    let mid = (a + b) as i64 / 2;
    if len <= n64 {
        out.push(mid - n as i64 / 2);
        return;
    }
    let mut k = (len / n64) as usize;
    if let Some(m) = max_ffts {
        k = k.min(m.max(1));
    }
    if k <= 1 {
        out.push(mid - n as i64 / 2);
        return;
    }
    let room = (len - n64) as f64;
    out.extend((0..k).map(|i| a as i64 + (room * i as f64 / (k - 1) as f64).round() as i64));
}

/// How many windows a column averages, and how exactly they are placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Windows {
    /// Side by side across the column: every sample counts.
    All,
    /// At most this many, spread evenly.
    AtMost(usize),
    /// At most this many, each where the reader lands cheaply within its
    /// share of the column ([`MonoReader::read_near`]): a look at the
    /// column for the view, which a compressed file gives from the frame
    /// its seek finds instead of decoding on to an exact sample.
    Near(usize),
}

impl Windows {
    fn cap(self) -> Option<usize> {
        match self {
            Windows::All => None,
            Windows::AtMost(k) | Windows::Near(k) => Some(k),
        }
    }
}

/// The largest span read in one piece (mono frames) when the windows are dense.
const MAX_BLOCK: u64 = 1 << 23;

/// Computes the columns between consecutive `bounds` (frames) into `out`
/// (`(bounds.len() - 1) * bins` dB values, column after column). Reads the
/// whole span at once when the windows cover most of it, else window by
/// window. Stops with [`SpectrogramError::Cancelled`] when `cancel` is set.
pub fn compute_columns(
    reader: &mut MonoReader,
    pick: ChannelPick,
    analyzer: &mut Analyzer,
    bounds: &[u64],
    windows: Windows,
    cancel: &AtomicBool,
    out: &mut [f32],
) -> Result<(), SpectrogramError> {
    let max_ffts = windows.cap();
    let n = analyzer.settings.fft_size;
    let bins = analyzer.bins();
    let cols = bounds.len().saturating_sub(1);
    let mut starts = Vec::new();
    let mut firsts = Vec::with_capacity(cols + 1);
    for w in bounds.windows(2) {
        firsts.push(starts.len());
        window_starts(w[0], w[1], n, max_ffts, &mut starts);
    }
    firsts.push(starts.len());
    let (Some(&lo), Some(&hi)) = (starts.iter().min(), starts.iter().max()) else { return Ok(()) };
    let span = (hi - lo) as u64 + n as u64;
    let dense = span <= MAX_BLOCK && span <= 2 * (starts.len() as u64 * n as u64).max(4 * n as u64);
    let mut block = Vec::new();
    if dense {
        block.resize(span as usize, 0.0);
        reader.read(lo, pick, &mut block)?;
    }
    let mut frame = vec![0f32; n];
    let mut acc = vec![0f32; bins];
    for c in 0..cols {
        if cancel.load(Ordering::Relaxed) {
            return Err(SpectrogramError::Cancelled);
        }
        acc.fill(0.0);
        let mine = &starts[firsts[c]..firsts[c + 1]];
        // How far a window may move and stay in its share of the column.
        let slack = match windows {
            Windows::Near(_) => (bounds[c + 1] - bounds[c]).saturating_sub(n as u64) / (2 * mine.len().max(1) as u64),
            _ => 0,
        };
        for &s in mine {
            if dense {
                let at = (s - lo) as usize;
                analyzer.accumulate(&block[at..at + n], &mut acc);
            } else {
                reader.read_near(s, slack, pick, &mut frame)?;
                analyzer.accumulate(&frame, &mut acc);
            }
        }
        power_to_db(&acc, mine.len(), &mut out[c * bins..(c + 1) * bins]);
    }
    Ok(())
}

/// A finished spectrogram of a span: `columns` × `bins` levels in dB.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    /// FFT size and window.
    pub settings: Settings,
    /// Frames per second of the source.
    pub sample_rate: u32,
    /// First frame of the span.
    pub start: u64,
    /// One past the last frame.
    pub end: u64,
    /// Columns (time).
    pub columns: usize,
    /// Levels in dB, column after column, `bins()` per column (DC first).
    pub levels: Vec<f32>,
}

impl Picture {
    /// Computes `columns` columns of `pick` over frames `start..end` of
    /// `source`, in parallel on all cores (each worker with its own reader).
    /// `max_ffts` caps the windows per column (`None`: every sample counts).
    pub fn compute(
        source: &AudioSource,
        pick: ChannelPick,
        settings: Settings,
        (start, end): (u64, u64),
        columns: usize,
        max_ffts: Option<usize>,
        cancel: &AtomicBool,
    ) -> Result<Picture, SpectrogramError> {
        settings.validate()?;
        if let ChannelPick::Channel(c) = pick {
            if c >= source.channels() {
                return Err(SpectrogramError::Settings(format!(
                    "channel {} does not exist: the file has {} channel{}",
                    c + 1,
                    source.channels(),
                    if source.channels() == 1 { "" } else { "s" }
                )));
            }
        }
        let end = end.min(source.frames());
        if start >= end || columns == 0 {
            return Err(SpectrogramError::Settings("there is no audio in the span asked for".into()));
        }
        let bins = settings.bins();
        let bounds = column_bounds(start, end, columns);
        let per_task = columns.div_ceil(rayon::current_num_threads() * 4).max(1);
        let mut levels = vec![0f32; columns * bins];
        levels
            .par_chunks_mut(per_task * bins)
            .enumerate()
            .map_init(
                || None::<(MonoReader, Analyzer)>,
                |state, (i, out)| {
                    if state.is_none() {
                        *state = Some((source.reader()?, Analyzer::new(settings)?));
                    }
                    let Some((reader, analyzer)) = state.as_mut() else { return Ok(()) };
                    let first = i * per_task;
                    let cols = out.len() / bins;
                    let windows = max_ffts.map_or(Windows::All, Windows::AtMost);
                    compute_columns(reader, pick, analyzer, &bounds[first..=first + cols], windows, cancel, out)
                },
            )
            .collect::<Result<(), SpectrogramError>>()?;
        Ok(Picture { settings, sample_rate: source.sample_rate(), start, end, columns, levels })
    }

    /// Bins per column.
    pub fn bins(&self) -> usize {
        self.settings.bins()
    }

    /// The level of `bin` in `column`, in dB.
    pub fn level(&self, column: usize, bin: usize) -> Option<f32> {
        if bin >= self.bins() {
            return None;
        }
        self.levels.get(column * self.bins() + bin).copied()
    }
}
