//! The tempo map: tick ↔ seconds in both directions, fast. Tempo changes are
//! turned into segments once (start tick, start second, seconds per tick) and
//! each conversion is one binary search. Also holds the time and key
//! signatures a piano roll draws bars with. Pure data; no I/O.

use super::model::{EventKind, Sequence, Timing};

/// The default tempo when a file sets none: 120 BPM.
pub const DEFAULT_TEMPO_US: u32 = 500_000;

/// One stretch of constant tempo.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TempoSegment {
    /// First tick of the segment.
    pub tick: u64,
    /// Seconds at that tick.
    pub seconds: f64,
    /// Microseconds per quarter note (0 for SMPTE timing).
    pub us_per_quarter: u32,
    /// Seconds per tick in this segment.
    pub seconds_per_tick: f64,
}

/// A time signature from a tick on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSignature {
    /// Where it starts.
    pub tick: u64,
    /// Beats per bar.
    pub numerator: u8,
    /// Beat unit (4 = quarter note).
    pub denominator: u32,
}

/// A key signature from a tick on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySignature {
    /// Where it starts.
    pub tick: u64,
    /// Sharps (> 0) or flats (< 0).
    pub sharps: i8,
    /// Minor key.
    pub minor: bool,
}

/// Tempo changes, time signatures and key signatures of a sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct TempoMap {
    segments: Vec<TempoSegment>,
    /// Time signatures in tick order (empty means 4/4).
    pub time_signatures: Vec<TimeSignature>,
    /// Key signatures in tick order.
    pub key_signatures: Vec<KeySignature>,
    timing: Timing,
}

impl TempoMap {
    /// A map from `(tick, microseconds per quarter)` changes (any order; a later
    /// change at the same tick wins). SMPTE timing ignores tempo changes.
    pub fn new(timing: Timing, changes: &[(u64, u32)]) -> Self {
        let mut segments = Vec::new();
        match timing {
            Timing::Smpte { .. } => {
                let spt = 1.0 / timing.smpte_ticks_per_second().unwrap_or(1.0);
                segments.push(TempoSegment { tick: 0, seconds: 0.0, us_per_quarter: 0, seconds_per_tick: spt });
            }
            Timing::Metrical(tpq) => {
                let tpq = f64::from(tpq.max(1));
                let mut sorted: Vec<(u64, u32)> = changes.to_vec();
                sorted.sort_by_key(|c| c.0);
                let seg = |tick, seconds, us: u32| TempoSegment {
                    tick,
                    seconds,
                    us_per_quarter: us,
                    seconds_per_tick: f64::from(us) / 1e6 / tpq,
                };
                segments.push(seg(0, 0.0, DEFAULT_TEMPO_US));
                for (tick, us) in sorted {
                    let us = us.max(1);
                    let Some(last) = segments.last_mut() else { continue };
                    if tick == last.tick {
                        *last = seg(last.tick, last.seconds, us);
                    } else {
                        let seconds = last.seconds + (tick - last.tick) as f64 * last.seconds_per_tick;
                        segments.push(seg(tick, seconds, us));
                    }
                }
            }
        }
        TempoMap { segments, time_signatures: Vec::new(), key_signatures: Vec::new(), timing }
    }

    /// The map of a sequence: tempo and signature events of every track (placed
    /// at their track's offset for format 2).
    pub fn from_sequence(seq: &Sequence) -> Self {
        let offsets = seq.track_offsets();
        let mut changes = Vec::new();
        let mut ts = Vec::new();
        let mut ks = Vec::new();
        for (t, off) in seq.tracks.iter().zip(offsets) {
            for e in &t.events {
                let tick = e.tick.saturating_add(off);
                match e.kind {
                    EventKind::Tempo(us) => changes.push((tick, us)),
                    EventKind::TimeSignature { numerator, denominator_pow, .. } => ts.push(TimeSignature {
                        tick,
                        numerator,
                        denominator: 1u32.checked_shl(u32::from(denominator_pow)).unwrap_or(4),
                    }),
                    EventKind::KeySignature { sharps, minor } => ks.push(KeySignature { tick, sharps, minor }),
                    _ => {}
                }
            }
        }
        let mut map = TempoMap::new(seq.timing, &changes);
        ts.sort_by_key(|s| s.tick);
        ks.sort_by_key(|s| s.tick);
        map.time_signatures = ts;
        map.key_signatures = ks;
        map
    }

    /// The constant-tempo segments, in tick order (at least one).
    pub fn segments(&self) -> &[TempoSegment] {
        &self.segments
    }

    /// The timing the map was built for.
    pub fn timing(&self) -> Timing {
        self.timing
    }

    fn segment_at_tick(&self, tick: u64) -> Option<&TempoSegment> {
        let i = self.segments.partition_point(|s| s.tick <= tick);
        self.segments.get(i.saturating_sub(1))
    }

    /// Seconds from the start at `tick`.
    pub fn tick_to_seconds(&self, tick: u64) -> f64 {
        match self.segment_at_tick(tick) {
            Some(s) => s.seconds + (tick - s.tick) as f64 * s.seconds_per_tick,
            None => 0.0,
        }
    }

    /// Seconds at a fractional tick.
    pub fn tick_f64_to_seconds(&self, tick: f64) -> f64 {
        let t = tick.max(0.0);
        match self.segment_at_tick(t as u64) {
            Some(s) => s.seconds + (t - s.tick as f64) * s.seconds_per_tick,
            None => 0.0,
        }
    }

    /// The (fractional) tick at `seconds` from the start.
    pub fn seconds_to_tick_f64(&self, seconds: f64) -> f64 {
        let secs = if seconds.is_finite() { seconds.max(0.0) } else { 0.0 };
        let i = self.segments.partition_point(|s| s.seconds <= secs);
        match self.segments.get(i.saturating_sub(1)) {
            Some(s) if s.seconds_per_tick > 0.0 => s.tick as f64 + (secs - s.seconds) / s.seconds_per_tick,
            Some(s) => s.tick as f64,
            None => 0.0,
        }
    }

    /// The tick at `seconds`, rounded to the nearest tick.
    pub fn seconds_to_tick(&self, seconds: f64) -> u64 {
        let t = self.seconds_to_tick_f64(seconds).round();
        if t >= u64::MAX as f64 {
            u64::MAX
        } else {
            t as u64
        }
    }

    /// Beats per minute at `tick` (`None` for SMPTE timing).
    pub fn bpm_at(&self, tick: u64) -> Option<f64> {
        match self.segment_at_tick(tick) {
            Some(s) if s.us_per_quarter > 0 => Some(60e6 / f64::from(s.us_per_quarter)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_tempo_map() {
        // 480 tpq: 120 BPM for 960 ticks (1 s), then 60 BPM (1 s per quarter) for 480 ticks, then 240 BPM.
        let map = TempoMap::new(Timing::Metrical(480), &[(960, 1_000_000), (1440, 250_000)]);
        assert_eq!(map.tick_to_seconds(0), 0.0);
        assert!((map.tick_to_seconds(480) - 0.5).abs() < 1e-12);
        assert!((map.tick_to_seconds(960) - 1.0).abs() < 1e-12);
        assert!((map.tick_to_seconds(1200) - 1.5).abs() < 1e-12);
        assert!((map.tick_to_seconds(1440) - 2.0).abs() < 1e-12);
        assert!((map.tick_to_seconds(1920) - 2.25).abs() < 1e-12);
        for tick in [0u64, 1, 479, 960, 1000, 1440, 1441, 100_000] {
            assert_eq!(map.seconds_to_tick(map.tick_to_seconds(tick)), tick);
        }
        assert!((map.seconds_to_tick_f64(1.75) - 1320.0).abs() < 1e-9);
        assert_eq!(map.bpm_at(1000), Some(60.0));
    }

    #[test]
    fn tempo_at_tick_zero_replaces_default_and_smpte_is_linear() {
        let map = TempoMap::new(Timing::Metrical(96), &[(0, 600_000)]);
        assert_eq!(map.segments().len(), 1);
        assert!((map.tick_to_seconds(96) - 0.6).abs() < 1e-12);
        // 25 fps × 40 ticks = 1000 ticks per second; tempo events do not matter.
        let smpte = TempoMap::new(Timing::Smpte { fps: 25, ticks_per_frame: 40 }, &[(10, 1)]);
        assert!((smpte.tick_to_seconds(2500) - 2.5).abs() < 1e-12);
        assert_eq!(smpte.seconds_to_tick(0.25), 250);
        let df = TempoMap::new(Timing::Smpte { fps: 29, ticks_per_frame: 1 }, &[]);
        assert!((df.tick_to_seconds(30_000) - 1001.0).abs() < 1e-9);
    }
}
