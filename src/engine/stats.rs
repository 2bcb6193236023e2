//! Callback statistics, published lock-free: the audio callback writes
//! atomics ([`SharedStats`]), any thread reads a [`StatsSnapshot`] from them.
//!
//! Callback durations go into a histogram of log2 buckets (bucket `b` holds
//! durations in `[2^b, 2^(b+1))` ns), from which p50/p99 are interpolated.
//! Load is duration / period. Nothing the callback calls here allocates,
//! locks or blocks; a reset is requested with a flag the callback honours.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::Instant;

/// Buckets of the duration histogram: bucket `b` holds `[2^b, 2^(b+1))` ns
/// (bucket 0 also holds 0); the last one holds everything above 2^31 ns.
pub const HIST_BUCKETS: usize = 32;

/// The statistics the callback writes and everyone else reads.
#[derive(Debug, Default)]
pub struct SharedStats {
    callbacks: AtomicU64,
    xruns: AtomicU64,
    late_wakeups: AtomicU64,
    underruns: AtomicU64,
    underrun_frames: AtomicU64,
    hist: [AtomicU64; HIST_BUCKETS],
    max_ns: AtomicU64,
    sum_ns: AtomicU64,
    jitter_max_ns: AtomicU64,
    jitter_sum_ns: AtomicU64,
    jitter_count: AtomicU64,
    ring_fill: AtomicU64,
    ring_capacity: AtomicU64,
    sample_rate: AtomicU32,
    buffer_frames: AtomicU32,
    channels: AtomicU32,
    latency_frames: AtomicU64,
    realtime: AtomicBool,
    reset: AtomicBool,
}

/// Callback durations in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct CallbackTimes {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Longest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

/// Lateness of callback starts against the nominal period, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Jitter {
    /// Mean absolute deviation of the interval between callbacks from the period.
    pub mean: f64,
    /// Largest deviation.
    pub max: f64,
}

/// A copy of the statistics at one moment, cheap to take (a few dozen atomic loads).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct StatsSnapshot {
    /// Stream rate in Hz.
    pub sample_rate: u32,
    /// Frames per callback (the period).
    pub buffer_frames: u32,
    /// Output channels.
    pub channels: u32,
    /// Callbacks since the last reset.
    pub callbacks: u64,
    /// Device over/underruns: late callbacks (simulated device), xrun errors
    /// (cpal), processor overloads (CoreAudio).
    pub xruns: u64,
    /// Of the xruns, those where the device thread was woken only after the
    /// deadline had already passed: the operating system's (or virtual
    /// machine's) lateness, not the callback's work. Simulated device only.
    pub late_wakeups: u64,
    /// Whether the device thread runs at real-time priority.
    pub realtime_priority: bool,
    /// Callbacks that found the playback ring short and played silence.
    pub underruns: u64,
    /// Frames of silence those underruns played.
    pub underrun_frames: u64,
    /// Callback durations.
    pub callback_us: CallbackTimes,
    /// p50 callback time / period.
    pub load_p50: f64,
    /// p99 callback time / period.
    pub load_p99: f64,
    /// Longest callback time / period.
    pub load_max: f64,
    /// Regularity of callback starts.
    pub jitter_us: Jitter,
    /// Frames waiting in the playback ring.
    pub ring_fill_frames: u64,
    /// Size of the playback ring in frames (0 when no file plays).
    pub ring_capacity_frames: u64,
    /// Output latency in frames: buffer + device latency + safety offset.
    pub output_latency_frames: u64,
    /// The same in milliseconds.
    pub output_latency_ms: f64,
    /// The duration histogram (see [`HIST_BUCKETS`]).
    pub histogram: [u64; HIST_BUCKETS],
}

/// The histogram bucket of a duration in ns.
pub fn bucket_of(ns: u64) -> usize {
    let b = 63 - (ns | 1).leading_zeros() as usize;
    b.min(HIST_BUCKETS - 1)
}

/// The `q` quantile (0..=1) of a log2 histogram, in ns, interpolated linearly
/// inside its bucket and never above `max_ns`. 0 for an empty histogram.
pub fn percentile_ns(hist: &[u64; HIST_BUCKETS], max_ns: u64, q: f64) -> f64 {
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return 0.0;
    }
    let rank = (q.clamp(0.0, 1.0) * total as f64).ceil().max(1.0);
    let mut below = 0u64;
    for (b, &n) in hist.iter().enumerate() {
        if n > 0 && (below + n) as f64 >= rank {
            let lo = if b == 0 { 0.0 } else { (1u64 << b) as f64 };
            let hi = (1u64 << (b + 1)) as f64;
            let within = (rank - below as f64) / n as f64;
            return (lo + (hi - lo) * within).min(max_ns as f64);
        }
        below += n;
    }
    max_ns as f64
}

impl SharedStats {
    /// Records the stream shape (called off the audio thread when a stream opens).
    pub(crate) fn set_stream(&self, sample_rate: u32, buffer_frames: u32, channels: u32, latency_frames: u64) {
        self.sample_rate.store(sample_rate, Relaxed);
        self.buffer_frames.store(buffer_frames, Relaxed);
        self.channels.store(channels, Relaxed);
        self.latency_frames.store(latency_frames, Relaxed);
    }

    /// Asks the callback to clear the counters at its next run; also clears
    /// them now, for streams that are not running.
    pub(crate) fn request_reset(&self) {
        self.clear();
        self.reset.store(true, Relaxed);
    }

    fn clear(&self) {
        for a in [
            &self.callbacks,
            &self.xruns,
            &self.late_wakeups,
            &self.underruns,
            &self.underrun_frames,
            &self.max_ns,
            &self.sum_ns,
            &self.jitter_max_ns,
            &self.jitter_sum_ns,
            &self.jitter_count,
        ] {
            a.store(0, Relaxed);
        }
        for h in &self.hist {
            h.store(0, Relaxed);
        }
    }

    /// Counts device xruns (any thread; real-time safe).
    pub(crate) fn add_xruns(&self, n: u64) {
        self.xruns.fetch_add(n, Relaxed);
    }

    /// Counts xruns that began with a late wake-up of the device thread
    /// (call [`SharedStats::add_xruns`] too; real-time safe).
    pub(crate) fn add_late_wakeups(&self, n: u64) {
        self.late_wakeups.fetch_add(n, Relaxed);
    }

    /// Records whether the device thread got real-time priority.
    pub(crate) fn set_realtime(&self, realtime: bool) {
        self.realtime.store(realtime, Relaxed);
    }

    /// Counts a short ring (real-time safe).
    pub(crate) fn add_underrun(&self, frames: u64) {
        self.underruns.fetch_add(1, Relaxed);
        self.underrun_frames.fetch_add(frames, Relaxed);
    }

    /// Publishes the ring level (real-time safe).
    pub(crate) fn set_ring(&self, fill: u64, capacity: u64) {
        self.ring_fill.store(fill, Relaxed);
        self.ring_capacity.store(capacity, Relaxed);
    }

    /// Takes a snapshot.
    pub fn snapshot(&self) -> StatsSnapshot {
        let mut histogram = [0u64; HIST_BUCKETS];
        for (h, a) in histogram.iter_mut().zip(&self.hist) {
            *h = a.load(Relaxed);
        }
        let callbacks = self.callbacks.load(Relaxed);
        let max_ns = self.max_ns.load(Relaxed);
        let sum_ns = self.sum_ns.load(Relaxed);
        let sample_rate = self.sample_rate.load(Relaxed);
        let buffer_frames = self.buffer_frames.load(Relaxed);
        let period_ns = if sample_rate > 0 { buffer_frames as f64 * 1e9 / sample_rate as f64 } else { 0.0 };
        let p50 = percentile_ns(&histogram, max_ns, 0.5);
        let p99 = percentile_ns(&histogram, max_ns, 0.99);
        let load = |ns: f64| if period_ns > 0.0 { ns / period_ns } else { 0.0 };
        let jitter_count = self.jitter_count.load(Relaxed);
        let latency_frames = self.latency_frames.load(Relaxed);
        StatsSnapshot {
            sample_rate,
            buffer_frames,
            channels: self.channels.load(Relaxed),
            callbacks,
            xruns: self.xruns.load(Relaxed),
            late_wakeups: self.late_wakeups.load(Relaxed),
            realtime_priority: self.realtime.load(Relaxed),
            underruns: self.underruns.load(Relaxed),
            underrun_frames: self.underrun_frames.load(Relaxed),
            callback_us: CallbackTimes {
                p50: p50 / 1e3,
                p99: p99 / 1e3,
                max: max_ns as f64 / 1e3,
                mean: if callbacks > 0 { sum_ns as f64 / callbacks as f64 / 1e3 } else { 0.0 },
            },
            load_p50: load(p50),
            load_p99: load(p99),
            load_max: load(max_ns as f64),
            jitter_us: Jitter {
                mean: if jitter_count > 0 {
                    self.jitter_sum_ns.load(Relaxed) as f64 / jitter_count as f64 / 1e3
                } else {
                    0.0
                },
                max: self.jitter_max_ns.load(Relaxed) as f64 / 1e3,
            },
            ring_fill_frames: self.ring_fill.load(Relaxed),
            ring_capacity_frames: self.ring_capacity.load(Relaxed),
            output_latency_frames: latency_frames,
            output_latency_ms: if sample_rate > 0 { latency_frames as f64 * 1e3 / sample_rate as f64 } else { 0.0 },
            histogram,
        }
    }
}

/// The callback's side: remembers the previous start to measure jitter.
#[derive(Debug, Default)]
pub(crate) struct StatsRecorder {
    last_start: Option<Instant>,
}

impl StatsRecorder {
    /// Records one callback that started at `start`, ran `ns` nanoseconds and
    /// was expected `period_ns` after the previous one (real-time safe).
    pub(crate) fn record(&mut self, shared: &SharedStats, start: Option<Instant>, ns: u64, period_ns: u64) {
        if shared.reset.swap(false, Relaxed) {
            shared.clear();
            self.last_start = None;
        }
        shared.callbacks.fetch_add(1, Relaxed);
        shared.hist[bucket_of(ns)].fetch_add(1, Relaxed);
        shared.sum_ns.fetch_add(ns, Relaxed);
        shared.max_ns.fetch_max(ns, Relaxed);
        if let Some(start) = start {
            if let Some(last) = self.last_start {
                let interval = start.saturating_duration_since(last).as_nanos().min(u64::MAX as u128) as u64;
                let dev = interval.abs_diff(period_ns);
                shared.jitter_sum_ns.fetch_add(dev, Relaxed);
                shared.jitter_count.fetch_add(1, Relaxed);
                shared.jitter_max_ns.fetch_max(dev, Relaxed);
            }
            self.last_start = Some(start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_log2() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1), 0);
        assert_eq!(bucket_of(2), 1);
        assert_eq!(bucket_of(3), 1);
        assert_eq!(bucket_of(1024), 10);
        assert_eq!(bucket_of(2047), 10);
        assert_eq!(bucket_of(u64::MAX), HIST_BUCKETS - 1);
    }

    #[test]
    fn percentiles_interpolate_inside_buckets() {
        let mut h = [0u64; HIST_BUCKETS];
        h[10] = 100; // 100 callbacks in [1024, 2048) ns
        assert_eq!(percentile_ns(&h, 5000, 0.5), 1024.0 + 1024.0 * 0.5);
        assert_eq!(percentile_ns(&h, 5000, 0.99), 1024.0 + 1024.0 * 0.99);
        // never above the true max
        assert_eq!(percentile_ns(&h, 1500, 0.99), 1500.0);
        h[20] = 1; // one slow outlier among 101: p99 stays in the fast bucket, p100 is the outlier
        assert!(percentile_ns(&h, 2_000_000, 0.99) <= 2048.0);
        assert!(percentile_ns(&h, 2_000_000, 1.0) >= 1_048_576.0);
        assert_eq!(percentile_ns(&[0; HIST_BUCKETS], 0, 0.5), 0.0);
    }

    #[test]
    fn snapshot_computes_load_and_latency() {
        let s = SharedStats::default();
        s.set_stream(48_000, 480, 2, 960); // 10 ms period, 20 ms latency
        let mut r = StatsRecorder::default();
        for _ in 0..99 {
            r.record(&s, None, 1_500_000, 10_000_000); // 1.5 ms in bucket 20 [1.048, 2.097) ms
        }
        r.record(&s, None, 9_000_000, 10_000_000);
        let snap = s.snapshot();
        assert_eq!(snap.callbacks, 100);
        assert_eq!(snap.callback_us.max, 9000.0);
        assert!((snap.load_max - 0.9).abs() < 1e-9);
        assert!(snap.load_p50 > 0.1 && snap.load_p50 < 0.21, "{}", snap.load_p50);
        assert!((snap.output_latency_ms - 20.0).abs() < 1e-9);
        assert!((snap.callback_us.mean - (99.0 * 1500.0 + 9000.0) / 100.0).abs() < 1e-6);
        s.request_reset();
        r.record(&s, None, 1000, 10_000_000);
        assert_eq!(s.snapshot().callbacks, 1);
    }

    #[test]
    fn jitter_is_deviation_from_the_period() {
        let s = SharedStats::default();
        let mut r = StatsRecorder::default();
        let t0 = Instant::now();
        r.record(&s, Some(t0), 10, 1_000_000);
        r.record(&s, Some(t0 + std::time::Duration::from_micros(1200)), 10, 1_000_000);
        let snap = s.snapshot();
        assert!((snap.jitter_us.max - 200.0).abs() < 1e-6);
    }
}
