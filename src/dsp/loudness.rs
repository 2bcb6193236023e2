//! Programme loudness and level statistics of a stream: EBU R128 integrated
//! loudness and loudness range (through the `ebur128` crate), true peak
//! (ITU-R BS.1770, [`TruePeakMeter`]: the crate's interpolator, faster), sample peak, DC offset and clipped samples per channel.
//! The loudness range follows EBU Tech 3342 with the short-term loudness
//! taken every 100 ms (as ffmpeg's `ebur128` filter does; the crate's own
//! range samples once a second and reads up to ~1 LU apart on level steps),
//! kept in a fixed 0.01 LU histogram.
//!
//! [`LoudnessMeter`] is a streaming analyser fed interleaved f32 blocks of any
//! size. It must not open files or keep samples: everything it needs is
//! allocated in [`LoudnessMeter::new`]. A block does not allocate; the only
//! growth is the integrated-loudness gating history inside `ebur128` (one
//! `f64` per 100 ms of audio, amortised doubling), kept exact rather than
//! binned so that the figures match ffmpeg's `ebur128` filter. The loudness filter and the 4×
//! oversampled true-peak scan are independent, so a large block runs them side
//! by side on the caller's rayon pool (`rayon::join`); the results are the same
//! either way.

use ebur128::{EbuR128, Mode};

use super::true_peak::TruePeakMeter;
use crate::format::{Channel, ChannelLayout};

/// Bins of the short-term loudness histogram: 0.01 LU from −70 to +30 LUFS.
const RANGE_BINS: usize = 10_000;

/// 100 ms hops in a short-term (3 s) window.
const HOPS_PER_WINDOW: usize = 30;

/// Short-term loudness every 100 ms, for the loudness range (EBU Tech 3342).
/// Each hop's energy is read once (a 100 ms window) and the short-term
/// energy is the mean of the last 30: the same sum as the meter's own 3 s
/// window, without summing every sample 30 times over.
#[derive(Debug, Clone)]
struct RangeMeter {
    hop: usize,
    since_hop: usize,
    hops: u64,
    /// The last 30 hops' mean-square (K-weighted, channel-weighted) energies.
    energies: [f64; HOPS_PER_WINDOW],
    histogram: Box<[u32]>,
    energy_sum: f64,
    count: u64,
}

impl RangeMeter {
    fn new(rate: u32) -> Self {
        // ebur128's 100 ms, rounded the same way.
        let hop = ((rate as usize).saturating_add(5) / 10).max(1);
        RangeMeter {
            hop,
            since_hop: 0,
            hops: 0,
            energies: [0.0; HOPS_PER_WINDOW],
            histogram: vec![0; RANGE_BINS].into(),
            energy_sum: 0.0,
            count: 0,
        }
    }

    /// Feeds `block` to `meter` in pieces that end on 100 ms boundaries and
    /// records the short-term loudness at each one once 3 s have gone by.
    fn push(&mut self, meter: &mut EbuR128, block: &[f32], channels: usize) -> Result<(), ebur128::Error> {
        let mut rest = block;
        while !rest.is_empty() {
            let take = ((self.hop - self.since_hop) * channels).min(rest.len());
            let (now, later) = rest.split_at(take);
            meter.add_frames_f32(now)?;
            self.since_hop += now.len() / channels;
            rest = later;
            if self.since_hop >= self.hop {
                self.since_hop = 0;
                // BS.1770: L = −0.691 + 10·log10(energy), back to the energy.
                let energy = meter.loudness_window(100).map_or(0.0, |l| 10f64.powf((l + 0.691) / 10.0));
                self.energies[(self.hops % HOPS_PER_WINDOW as u64) as usize] = energy;
                self.hops += 1;
                if self.hops >= HOPS_PER_WINDOW as u64 {
                    let mean = self.energies.iter().sum::<f64>() / HOPS_PER_WINDOW as f64;
                    self.record(-0.691 + 10.0 * mean.log10());
                }
            }
        }
        Ok(())
    }

    fn record(&mut self, lufs: f64) {
        if !lufs.is_finite() || lufs < -70.0 {
            return; // the absolute gate (and −∞)
        }
        let bin = (((lufs + 70.0) * 100.0) as usize).min(RANGE_BINS - 1);
        if let Some(b) = self.histogram.get_mut(bin) {
            *b = b.saturating_add(1);
        }
        self.energy_sum += 10f64.powf(lufs / 10.0);
        self.count += 1;
    }

    /// Tech 3342: gate 20 LU below the mean, then the 10th to 95th percentile.
    fn range(&self) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let gate = 10.0 * (self.energy_sum / self.count as f64).log10() - 20.0;
        let first = ((gate + 70.0) * 100.0).ceil().clamp(0.0, RANGE_BINS as f64) as usize;
        let kept = self.histogram.get(first..)?;
        let n: u64 = kept.iter().map(|&c| u64::from(c)).sum();
        if n == 0 {
            return None;
        }
        // The k-th value (1-based) with k = round(q·n), as ffmpeg picks them.
        let at = |q: f64| {
            let k = (q * n as f64 + 0.5) as u64;
            let mut seen = 0u64;
            for (i, &c) in kept.iter().enumerate() {
                seen += u64::from(c);
                if c > 0 && seen >= k {
                    return -70.0 + (first + i) as f64 / 100.0;
                }
            }
            30.0
        };
        Some(at(0.95) - at(0.10))
    }
}

/// Blocks of at least this many frames run loudness and true peak in parallel.
const PARALLEL_FRAMES: usize = 2048;

/// Why a meter cannot be built or fed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoudnessError {
    /// The stream's shape is outside what BS.1770 metering supports here.
    #[error("loudness cannot be measured for {0}")]
    Unsupported(String),
    /// A block that is not a whole number of frames.
    #[error("a block of {samples} samples is not a whole number of {channels}-channel frames")]
    PartialFrame {
        /// Samples in the block.
        samples: usize,
        /// Channels per frame.
        channels: usize,
    },
}

/// What counts as a clipped sample.
///
/// A sample is at *full scale* when its magnitude is at least
/// [`full_scale`](Self::full_scale). Clipping is a *run* of at least
/// [`min_run`](Self::min_run) consecutive full-scale samples in one channel
/// (either sign): one full-scale sample is a legitimate peak, three in a row
/// almost never happen in unclipped audio. This is Audacity's *Find Clipping*
/// rule with its default start threshold of 3; ocenaudio counts the same way.
/// Every sample of such a run is counted, so a run of 5 adds 5 to
/// [`ChannelLevels::clipped_samples`] and 1 to [`ChannelLevels::clip_runs`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipRule {
    /// Magnitude at or above which a sample is at full scale.
    pub full_scale: f32,
    /// Consecutive full-scale samples that make a clip (at least 1).
    pub min_run: u32,
}

impl ClipRule {
    /// Full scale for a stream of `bits`-bit integers decoded to f32 with
    /// CoreMusic's scaling (`2^-(bits-1)`): the largest positive code
    /// (`1 − 2^-(bits-1)`) or the most negative (−1.0). For float streams pass
    /// `None`: full scale is then 1.0 (and anything beyond it).
    pub fn for_bits(bits: Option<u32>) -> Self {
        let full_scale = match bits {
            Some(b @ 2..=32) => (1.0 - (-(f64::from(b) - 1.0)).exp2()) as f32,
            _ => 1.0,
        };
        ClipRule { full_scale, min_run: 3 }
    }
}

impl Default for ClipRule {
    /// The rule for float data: |x| ≥ 1.0, runs of 3.
    fn default() -> Self {
        ClipRule::for_bits(None)
    }
}

/// Levels of one channel.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChannelLevels {
    /// Largest |sample| (linear, 1.0 = full scale).
    pub sample_peak: f64,
    /// Largest |sample| after 4× oversampling (linear); at least `sample_peak`.
    pub true_peak: f64,
    /// Mean of the samples (linear; 0.01 = 1 % of full scale).
    pub dc_offset: f64,
    /// Samples inside clipped runs (see [`ClipRule`]).
    pub clipped_samples: u64,
    /// Clipped runs (see [`ClipRule`]).
    pub clip_runs: u64,
}

/// The result of a measurement. Levels in dB are `None` for digital silence
/// (−∞), and loudness is `None` when no 400 ms block rises above the −70 LUFS
/// absolute gate.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoudnessReport {
    /// Frames measured.
    pub frames: u64,
    /// Integrated (gated) loudness, EBU R128 / BS.1770-4, in LUFS.
    pub integrated_lufs: Option<f64>,
    /// Loudness range (EBU Tech 3342) in LU; `None` with no loudness.
    pub range_lu: Option<f64>,
    /// Highest true peak of any channel, dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Highest sample peak of any channel, dBFS.
    pub sample_peak_dbfs: Option<f64>,
    /// Per-channel levels.
    pub channels: Vec<ChannelLevels>,
}

impl LoudnessReport {
    /// Clipped samples over all channels.
    pub fn clipped_samples(&self) -> u64 {
        self.channels.iter().map(|c| c.clipped_samples).sum()
    }
}

/// `20·log10(x)`, or `None` for 0 (and anything not a positive number).
pub fn linear_to_db(x: f64) -> Option<f64> {
    (x > 0.0 && x.is_finite()).then(|| 20.0 * x.log10())
}

/// Per-channel running statistics (no allocation after construction).
#[derive(Debug, Clone)]
struct Running {
    peak: Vec<f32>,
    sum: Vec<f64>,
    run: Vec<u32>,
    clipped: Vec<u64>,
    runs: Vec<u64>,
}

impl Running {
    fn new(channels: usize) -> Self {
        Running {
            peak: vec![0.0; channels],
            sum: vec![0.0; channels],
            run: vec![0; channels],
            clipped: vec![0; channels],
            runs: vec![0; channels],
        }
    }

    fn push(&mut self, block: &[f32], rule: ClipRule) {
        let channels = self.peak.len();
        let min_run = rule.min_run.max(1);
        for c in 0..channels {
            let (Some(peak), Some(sum), Some(run), Some(clipped), Some(runs)) = (
                self.peak.get_mut(c),
                self.sum.get_mut(c),
                self.run.get_mut(c),
                self.clipped.get_mut(c),
                self.runs.get_mut(c),
            ) else {
                continue;
            };
            let (mut p, mut s, mut r) = (*peak, 0.0f64, *run);
            for &x in block.iter().skip(c).step_by(channels) {
                let a = x.abs();
                // NaN never raises the peak and is never full scale.
                p = p.max(a);
                s += f64::from(x);
                if a >= rule.full_scale {
                    r = r.saturating_add(1);
                    if r == min_run {
                        *clipped += u64::from(min_run);
                        *runs += 1;
                    } else if r > min_run {
                        *clipped += 1;
                    }
                } else {
                    r = 0;
                }
            }
            *peak = p;
            *sum += s;
            *run = r;
        }
    }
}

/// A streaming loudness and level meter; see the module docs.
///
/// ```
/// use coremusic::dsp::loudness::{ClipRule, LoudnessMeter};
/// let rate = 48000;
/// let amp = 10f32.powf(-23.0 / 20.0);
/// let mut meter = LoudnessMeter::new(rate, 2, ClipRule::default()).unwrap();
/// let block: Vec<f32> = (0..rate as usize * 5)
///     .flat_map(|i| {
///         let v = amp * (i as f32 * 1000.0 / rate as f32 * std::f32::consts::TAU).sin();
///         [v, v]
///     })
///     .collect();
/// meter.push(&block).unwrap();
/// let lufs = meter.report().integrated_lufs.unwrap();
/// assert!((lufs + 23.0).abs() < 0.1, "{lufs}");
/// ```
pub struct LoudnessMeter {
    channels: usize,
    loudness: EbuR128,
    range: RangeMeter,
    true_peak: TruePeakMeter,
    running: Running,
    clip: ClipRule,
    frames: u64,
}

impl std::fmt::Debug for LoudnessMeter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoudnessMeter")
            .field("channels", &self.channels)
            .field("rate", &self.loudness.rate())
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl LoudnessMeter {
    /// A meter for `channels` channels at `rate` Hz, with the default
    /// speaker weighting for that count (5.1: L R C LFE Ls Rs, LFE ignored).
    pub fn new(rate: u32, channels: usize, clip: ClipRule) -> Result<Self, LoudnessError> {
        Self::with_layout(rate, &ChannelLayout::default_for(channels.min(u32::MAX as usize) as u32), clip)
    }

    /// A meter whose channel weights follow `layout`: surround channels count
    /// +1.5 dB, the LFE is left out, others count once (BS.1770-4).
    pub fn with_layout(rate: u32, layout: &ChannelLayout, clip: ClipRule) -> Result<Self, LoudnessError> {
        let channels = layout.channels.len();
        if channels == 0 || channels > 64 {
            return Err(LoudnessError::Unsupported(format!("{channels} channels (1 to 64 can be measured)")));
        }
        if !(16..=2_822_400).contains(&rate) {
            return Err(LoudnessError::Unsupported(format!("a sample rate of {rate} Hz")));
        }
        let make = |mode| {
            EbuR128::new(channels as u32, rate, mode)
                .map_err(|e| LoudnessError::Unsupported(format!("{channels} channels at {rate} Hz ({e})")))
        };
        let mut loudness = make(Mode::I | Mode::S)?;
        let true_peak = TruePeakMeter::new(rate, channels);
        if channels > 1 {
            let map: Vec<ebur128::Channel> = layout.channels.iter().map(|&c| weight_of(c)).collect();
            loudness
                .set_channel_map(&map)
                .map_err(|e| LoudnessError::Unsupported(format!("this channel layout ({e})")))?;
        }
        Ok(LoudnessMeter {
            channels,
            loudness,
            range: RangeMeter::new(rate),
            true_peak,
            running: Running::new(channels),
            clip,
            frames: 0,
        })
    }

    /// Channels per frame.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Frames measured so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Measures a block of interleaved frames (any length that is a whole
    /// number of frames). Large blocks are measured on two threads of the
    /// current rayon pool.
    pub fn push(&mut self, block: &[f32]) -> Result<(), LoudnessError> {
        if block.len() % self.channels != 0 {
            return Err(LoudnessError::PartialFrame { samples: block.len(), channels: self.channels });
        }
        let frames = block.len() / self.channels;
        let channels = self.channels;
        let (loudness, range, true_peak, running, clip) =
            (&mut self.loudness, &mut self.range, &mut self.true_peak, &mut self.running, self.clip);
        let mut left = || {
            running.push(block, clip);
            range.push(loudness, block, channels)
        };
        let mut right = || true_peak.push(block);
        let (a, ()) = if frames >= PARALLEL_FRAMES { rayon::join(left, right) } else { (left(), right()) };
        // The only errors ebur128 returns for a well-formed block are impossible
        // here (shape checked above); report them rather than hide them.
        a.map_err(|e| LoudnessError::Unsupported(format!("this block ({e})")))?;
        self.frames += frames as u64;
        Ok(())
    }

    /// The figures so far (cheap; the meter can go on measuring).
    pub fn report(&self) -> LoudnessReport {
        let integrated = self.loudness.loudness_global().ok().filter(|l| l.is_finite());
        let range = integrated.and_then(|_| self.range.range());
        let n = self.frames.max(1) as f64;
        let channels: Vec<ChannelLevels> = (0..self.channels)
            .map(|c| {
                let sample_peak = self.running.peak.get(c).map_or(0.0, |&p| f64::from(p));
                let tp = self.true_peak.peak(c);
                ChannelLevels {
                    sample_peak,
                    true_peak: tp.max(sample_peak),
                    dc_offset: self.running.sum.get(c).map_or(0.0, |s| s / n),
                    clipped_samples: self.running.clipped.get(c).copied().unwrap_or(0),
                    clip_runs: self.running.runs.get(c).copied().unwrap_or(0),
                }
            })
            .collect();
        let max = |f: fn(&ChannelLevels) -> f64| channels.iter().map(f).fold(0.0, f64::max);
        LoudnessReport {
            frames: self.frames,
            integrated_lufs: integrated,
            range_lu: range,
            true_peak_dbtp: linear_to_db(max(|c| c.true_peak)),
            sample_peak_dbfs: linear_to_db(max(|c| c.sample_peak)),
            channels,
        }
    }
}

/// The integrated loudness of several streams measured as one programme
/// (ReplayGain's album gain, `--normalize --album`): the gating runs over the
/// 400 ms blocks of all of them together, so it is not an average of their
/// own figures. `None` when nothing rises above the absolute gate.
pub fn album_loudness(meters: &[&LoudnessMeter]) -> Option<f64> {
    EbuR128::loudness_global_multiple(meters.iter().map(|m| &m.loudness)).ok().filter(|l| l.is_finite())
}

/// The BS.1770 weighting of a speaker.
fn weight_of(c: Channel) -> ebur128::Channel {
    use ebur128::Channel as W;
    match c {
        Channel::Lfe => W::Unused,
        Channel::FrontLeft => W::Left,
        Channel::FrontRight => W::Right,
        Channel::FrontCenter => W::Center,
        Channel::BackLeft | Channel::SideLeft => W::LeftSurround,
        Channel::BackRight | Channel::SideRight => W::RightSurround,
        _ => W::Center,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, channels: usize, freq: f64, dbfs: f64, seconds: f64) -> Vec<f32> {
        let amp = 10f64.powf(dbfs / 20.0);
        let n = (f64::from(rate) * seconds) as usize;
        (0..n)
            .flat_map(|i| {
                let v = (amp * (i as f64 * freq / f64::from(rate) * std::f64::consts::TAU).sin()) as f32;
                std::iter::repeat_n(v, channels)
            })
            .collect()
    }

    fn measure(rate: u32, channels: usize, x: &[f32], block_frames: usize) -> LoudnessReport {
        let mut m = LoudnessMeter::new(rate, channels, ClipRule::default()).unwrap();
        for b in x.chunks(block_frames * channels) {
            m.push(b).unwrap();
        }
        m.report()
    }

    /// EBU Tech 3341 case 1: a 1 kHz stereo sine at −23 dBFS reads −23.0 LUFS.
    #[test]
    fn tech_3341_sine_reads_minus_23() {
        for rate in [44100, 48000] {
            let r = measure(rate, 2, &sine(rate, 2, 1000.0, -23.0, 20.0), 4096);
            let i = r.integrated_lufs.unwrap();
            assert!((i + 23.0).abs() <= 0.1, "{rate}: {i}");
            assert!(r.range_lu.unwrap() < 0.1, "{:?}", r.range_lu);
            let sp = r.sample_peak_dbfs.unwrap();
            assert!((sp + 23.0).abs() < 0.01, "{sp}");
            assert!(r.true_peak_dbtp.unwrap() >= sp);
            assert!((r.true_peak_dbtp.unwrap() + 23.0).abs() < 0.1);
        }
        // −33 dBFS reads −33 (case 2).
        let r = measure(48000, 2, &sine(48000, 2, 1000.0, -33.0, 20.0), 4096);
        assert!((r.integrated_lufs.unwrap() + 33.0).abs() <= 0.1);
    }

    /// Tech 3342-style range: 20 s at −20 then 20 s at −30 LUFS gives LRA 10 LU.
    #[test]
    fn loudness_range_of_two_levels_is_their_difference() {
        let mut x = sine(48000, 2, 1000.0, -20.0, 20.0);
        x.extend(sine(48000, 2, 1000.0, -30.0, 20.0));
        let r = measure(48000, 2, &x, 4800);
        assert!((r.range_lu.unwrap() - 10.0).abs() <= 0.1, "{:?}", r.range_lu);
    }

    #[test]
    fn block_size_and_threads_do_not_change_the_figures() {
        let x = sine(44100, 2, 997.0, -12.0, 6.0);
        let a = measure(44100, 2, &x, 17); // sequential
        let b = measure(44100, 2, &x, 65536); // parallel
        assert_eq!(a.integrated_lufs, b.integrated_lufs);
        assert_eq!(a.range_lu, b.range_lu);
        assert_eq!(a.true_peak_dbtp, b.true_peak_dbtp);
        for (x, y) in a.channels.iter().zip(&b.channels) {
            // The DC sum is rounded per block: equal to far below any display.
            assert!((x.dc_offset - y.dc_offset).abs() < 1e-12);
            let same = ChannelLevels { dc_offset: x.dc_offset, ..y.clone() };
            assert_eq!(x, &same);
        }
    }

    #[test]
    fn silence_has_no_loudness_and_no_peaks() {
        let r = measure(48000, 2, &vec![0.0; 48000 * 2 * 3], 4096);
        assert_eq!(r.integrated_lufs, None);
        assert_eq!(r.range_lu, None);
        assert_eq!(r.true_peak_dbtp, None);
        assert_eq!(r.sample_peak_dbfs, None);
        assert_eq!(r.clipped_samples(), 0);
        // Nothing measured at all is silence too, not a panic.
        let r = LoudnessMeter::new(8000, 1, ClipRule::default()).unwrap().report();
        assert_eq!((r.frames, r.integrated_lufs), (0, None));
    }

    #[test]
    fn dc_offset_is_the_mean_per_channel() {
        let x: Vec<f32> = (0..48000).flat_map(|i| [0.25 + if i % 2 == 0 { 0.5 } else { -0.5 }, -0.1]).collect();
        let r = measure(48000, 2, &x, 1000);
        assert!((r.channels[0].dc_offset - 0.25).abs() < 1e-9);
        assert!((r.channels[1].dc_offset + 0.1).abs() < 1e-6);
        assert!((r.channels[0].sample_peak - 0.75).abs() < 1e-9);
    }

    #[test]
    fn clipped_samples_are_runs_of_full_scale_across_blocks() {
        let rule = ClipRule::for_bits(Some(16));
        let fs = rule.full_scale;
        assert_eq!(fs, 32767.0 / 32768.0);
        // Channel 0: a lone peak (not clipping), a run of 2 (not), a run of 5
        // split over two blocks, a negative run of 3. Channel 1: beyond full scale.
        let mut ch0 = [0.0f32; 40];
        ch0[2] = fs;
        ch0[6] = fs;
        ch0[7] = -1.0;
        for s in &mut ch0[10..15] {
            *s = fs;
        }
        for s in &mut ch0[20..23] {
            *s = -1.0;
        }
        let mut ch1 = [0.5f32; 40];
        for s in &mut ch1[30..34] {
            *s = 1.5;
        }
        let x: Vec<f32> = ch0.iter().zip(&ch1).flat_map(|(&a, &b)| [a, b]).collect();
        let mut m = LoudnessMeter::new(48000, 2, rule).unwrap();
        m.push(&x[..24]).unwrap(); // ends at frame 12, inside the run of 5
        m.push(&x[24..]).unwrap();
        let r = m.report();
        assert_eq!((r.channels[0].clipped_samples, r.channels[0].clip_runs), (8, 2));
        assert_eq!((r.channels[1].clipped_samples, r.channels[1].clip_runs), (4, 1));
        assert_eq!(r.clipped_samples(), 12);
        // A stricter rule: single full-scale samples count.
        let mut m = LoudnessMeter::new(48000, 2, ClipRule { full_scale: fs, min_run: 1 }).unwrap();
        m.push(&x).unwrap();
        assert_eq!(m.report().channels[0].clipped_samples, 1 + 2 + 5 + 3);
    }

    #[test]
    fn bad_shapes_are_errors_not_panics() {
        assert!(LoudnessMeter::new(48000, 0, ClipRule::default()).is_err());
        assert!(LoudnessMeter::new(48000, 65, ClipRule::default()).is_err());
        assert!(LoudnessMeter::new(0, 2, ClipRule::default()).is_err());
        assert!(LoudnessMeter::new(u32::MAX, 2, ClipRule::default()).is_err());
        let mut m = LoudnessMeter::new(48000, 2, ClipRule::default()).unwrap();
        assert!(matches!(m.push(&[0.0; 3]), Err(LoudnessError::PartialFrame { .. })));
        // NaN and infinities do not panic.
        m.push(&[f32::NAN, f32::INFINITY, -f32::INFINITY, 0.0]).unwrap();
        let _ = m.report();
    }

    #[test]
    fn surround_channels_weigh_more_and_lfe_not_at_all() {
        let rate = 48000;
        let tone = sine(rate, 1, 1000.0, -30.0, 5.0);
        let in_channel = |k: usize| -> Vec<f32> {
            tone.iter().flat_map(|&v| (0..6).map(move |c| if c == k { v } else { 0.0 })).collect()
        };
        let front = measure(rate, 6, &in_channel(0), 4096).integrated_lufs.unwrap();
        let surround = measure(rate, 6, &in_channel(4), 4096).integrated_lufs.unwrap();
        assert!((surround - front - 1.5).abs() < 0.05, "{front} {surround}");
        assert_eq!(measure(rate, 6, &in_channel(3), 4096).integrated_lufs, None);
    }
}
