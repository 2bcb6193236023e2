//! Latency measurements as data: one [`LatencyReport`] per buffer size (the
//! `coremusic latency --json` fields) and the recommendation rule. Shared by
//! the command line and the window's Latency tab; nothing here runs a device
//! or draws (the chart is [`crate::report::latency_chart`]).

use super::StatsSnapshot;

/// Buffer sizes `--sweep` tries.
pub const SWEEP: [u32; 9] = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
/// The p99 load under which a buffer size is recommended.
pub const MAX_LOAD: f64 = 0.70;

/// One measured configuration, with the field names of the CLI contract.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LatencyReport {
    /// Device name.
    pub device: String,
    /// Rate in Hz.
    pub sample_rate: u32,
    /// Frames per callback.
    pub buffer_frames: u32,
    /// Callbacks measured.
    pub callbacks: u64,
    /// Device xruns.
    pub xruns: u64,
    /// Of the xruns, those that began with the device thread woken after its
    /// deadline (the system's lateness, not the callback's work; see
    /// [`StatsSnapshot::late_wakeups`]).
    pub late_wakeups: u64,
    /// Whether the device thread ran at real-time priority.
    pub realtime_priority: bool,
    /// Callback durations (µs).
    pub callback_us: Times,
    /// p99 callback time / period.
    pub load_p99: f64,
    /// Output latency in ms.
    pub output_latency_ms: f64,
    /// Mean and largest deviation of callback starts from the period (µs).
    pub jitter_us: super::stats::Jitter,
    /// Synthetic load per callback (µs).
    pub load_us: u32,
}

/// p50/p99/max in µs.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Times {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Longest.
    pub max: f64,
}

impl LatencyReport {
    /// The report of one snapshot.
    pub fn new(device: &str, s: &StatsSnapshot, load_us: u32) -> Self {
        LatencyReport {
            device: device.to_string(),
            sample_rate: s.sample_rate,
            buffer_frames: s.buffer_frames,
            callbacks: s.callbacks,
            xruns: s.xruns,
            late_wakeups: s.late_wakeups,
            realtime_priority: s.realtime_priority,
            callback_us: Times { p50: s.callback_us.p50, p99: s.callback_us.p99, max: s.callback_us.max },
            load_p99: s.load_p99,
            output_latency_ms: s.output_latency_ms,
            jitter_us: s.jitter_us,
            load_us,
        }
    }
}

/// The smallest buffer with no xrun and p99 load under [`MAX_LOAD`].
pub fn recommend(reports: &[LatencyReport]) -> Option<u32> {
    reports.iter().filter(|r| r.xruns == 0 && r.load_p99 < MAX_LOAD).map(|r| r.buffer_frames).min()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A report on the simulated device with `xruns` and p99 `load` (for tests here and in `report`).
    pub(crate) fn r(buffer: u32, xruns: u64, load: f64) -> LatencyReport {
        LatencyReport {
            device: "sim".into(),
            sample_rate: 48_000,
            buffer_frames: buffer,
            callbacks: 100,
            xruns,
            late_wakeups: 0,
            realtime_priority: false,
            callback_us: Times { p50: 1.0, p99: 2.0, max: 3.0 },
            load_p99: load,
            output_latency_ms: 1.0,
            jitter_us: Default::default(),
            load_us: 0,
        }
    }

    #[test]
    fn recommends_the_smallest_clean_buffer() {
        let reports = [r(16, 3, 0.9), r(32, 0, 0.8), r(64, 0, 0.5), r(128, 0, 0.2)];
        assert_eq!(recommend(&reports), Some(64));
        assert_eq!(recommend(&[r(16, 1, 0.1)]), None);
    }
}
