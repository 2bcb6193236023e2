//! Level meters for what is playing: per channel the sample peak and the
//! true peak (ITU-R BS.1770 4× oversampled, through `ebur128`) of the last
//! 100 ms with a 2-second hold, and the RMS of the last 300 ms; for the
//! programme the EBU R128 momentary (400 ms), short-term (3 s) and
//! integrated loudness. Fed interleaved blocks of any size off the audio
//! thread; a reading comes out every 100 ms of audio. Numbers in, numbers
//! out: it never touches a device or a file.

use std::collections::VecDeque;

use ebur128::{EbuR128, Mode};

/// How long a peak is held before the hold follows the level down, in seconds.
pub const HOLD_S: f64 = 2.0;
/// Audio per reading, in seconds.
pub const READING_S: f64 = 0.1;
/// The RMS window, in readings (300 ms).
const RMS_READINGS: usize = 3;
/// The level shown for digital silence, in dB.
pub const FLOOR_DB: f32 = -120.0;

/// One channel's levels, in dBFS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelLevels {
    /// Sample peak of the last 100 ms.
    pub peak_db: f32,
    /// Highest sample peak of the last 2 s.
    pub peak_hold_db: f32,
    /// True peak (4× oversampled) of the last 100 ms, dBTP.
    pub true_peak_db: f32,
    /// Highest true peak of the last 2 s.
    pub true_peak_hold_db: f32,
    /// RMS of the last 300 ms.
    pub rms_db: f32,
}

/// A reading of all the meters.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelReadings {
    /// Per channel.
    pub channels: Vec<ChannelLevels>,
    /// EBU R128 momentary loudness (400 ms), LUFS.
    pub momentary_lufs: f32,
    /// Short-term loudness (3 s), LUFS.
    pub short_term_lufs: f32,
    /// Integrated loudness since the meter started or was reset (gated), LUFS.
    pub integrated_lufs: f32,
    /// Seconds of audio the integrated loudness covers (since the meter
    /// started or was reset).
    pub integrated_s: f64,
}

/// dB of an amplitude, floored at [`FLOOR_DB`].
pub fn amplitude_db(a: f64) -> f32 {
    if a > 0.0 {
        ((20.0 * a.log10()) as f32).max(FLOOR_DB)
    } else {
        FLOOR_DB
    }
}

fn lufs(r: Result<f64, ebur128::Error>) -> f32 {
    match r {
        Ok(l) if l.is_finite() => (l as f32).max(FLOOR_DB),
        _ => FLOOR_DB,
    }
}

/// The streaming meters; see the module docs.
pub struct LevelMeter {
    channels: usize,
    sample_rate: u32,
    /// Readings since the meter started or was reset.
    readings: u64,
    r128: Option<EbuR128>,
    per_reading: usize,
    filled: usize,
    peak: Vec<f32>,
    sq: Vec<f64>,
    true_peak: Vec<f64>,
    /// Recent readings' (peak, true peak, mean square) per channel, newest last.
    history: VecDeque<Vec<(f32, f32, f64)>>,
}

impl LevelMeter {
    /// Meters for `channels` at `sample_rate` Hz.
    pub fn new(channels: usize, sample_rate: u32) -> LevelMeter {
        let channels = channels.max(1);
        let modes = Mode::M | Mode::S | Mode::I | Mode::TRUE_PEAK;
        let r128 = EbuR128::new(channels as u32, sample_rate.max(1), modes).ok();
        let per_reading = ((sample_rate.max(1) as f64 * READING_S).round() as usize).max(1);
        let keep = (HOLD_S / READING_S).round() as usize;
        LevelMeter {
            channels,
            sample_rate,
            readings: 0,
            r128,
            per_reading,
            filled: 0,
            peak: vec![0.0; channels],
            sq: vec![0.0; channels],
            true_peak: vec![0.0; channels],
            history: VecDeque::with_capacity(keep + 1),
        }
    }

    /// Starts again from nothing: integrated loudness, peak holds and
    /// the RMS and loudness windows (what a meter's Reset does).
    pub fn reset(&mut self) {
        *self = LevelMeter::new(self.channels, self.sample_rate);
    }

    /// Channels metered.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Feeds interleaved `samples` (whole frames); calls `on_reading` for
    /// every 100 ms of audio completed.
    pub fn push(&mut self, samples: &[f32], mut on_reading: impl FnMut(LevelReadings)) {
        let ch = self.channels;
        let mut rest = &samples[..samples.len() / ch * ch];
        while !rest.is_empty() {
            let take = ((self.per_reading - self.filled) * ch).min(rest.len());
            let (now, later) = rest.split_at(take);
            for frame in now.chunks_exact(ch) {
                for (c, &x) in frame.iter().enumerate() {
                    self.peak[c] = self.peak[c].max(x.abs());
                    self.sq[c] += (x as f64) * (x as f64);
                }
            }
            if let Some(m) = &mut self.r128 {
                if m.add_frames_f32(now).is_ok() {
                    for c in 0..ch {
                        if let Ok(tp) = m.prev_true_peak(c as u32) {
                            self.true_peak[c] = self.true_peak[c].max(tp);
                        }
                    }
                }
            }
            self.filled += now.len() / ch;
            rest = later;
            if self.filled >= self.per_reading {
                on_reading(self.reading());
            }
        }
    }

    fn reading(&mut self) -> LevelReadings {
        let n = self.filled.max(1) as f64;
        let now: Vec<(f32, f32, f64)> =
            (0..self.channels).map(|c| (self.peak[c], self.true_peak[c] as f32, self.sq[c] / n)).collect();
        self.history.push_back(now);
        while self.history.len() > (HOLD_S / READING_S).round() as usize {
            self.history.pop_front();
        }
        self.filled = 0;
        self.readings += 1;
        self.peak.fill(0.0);
        self.sq.fill(0.0);
        self.true_peak.fill(0.0);
        let last = self.history.len() - 1;
        let channels = (0..self.channels)
            .map(|c| {
                let (p, tp, _) = self.history[last][c];
                let hold = self.history.iter().map(|h| h[c].0).fold(0.0f32, f32::max);
                let tp_hold = self.history.iter().map(|h| h[c].1).fold(0.0f32, f32::max);
                let recent: Vec<f64> = self.history.iter().rev().take(RMS_READINGS).map(|h| h[c].2).collect();
                let ms = recent.iter().sum::<f64>() / recent.len().max(1) as f64;
                ChannelLevels {
                    peak_db: amplitude_db(p as f64),
                    peak_hold_db: amplitude_db(hold as f64),
                    true_peak_db: amplitude_db(tp as f64),
                    true_peak_hold_db: amplitude_db(tp_hold as f64),
                    rms_db: amplitude_db(ms.sqrt()),
                }
            })
            .collect();
        let (m, s, i) = match &self.r128 {
            Some(r) => (lufs(r.loudness_momentary()), lufs(r.loudness_shortterm()), lufs(r.loudness_global())),
            None => (FLOOR_DB, FLOOR_DB, FLOOR_DB),
        };
        let integrated_s = self.readings as f64 * READING_S;
        LevelReadings { channels, momentary_lufs: m, short_term_lufs: s, integrated_lufs: i, integrated_s }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minus_20_dbfs_sine_reads_minus_20_peak_and_minus_23_rms() {
        let rate = 48000;
        let amp = 0.1f64;
        let samples: Vec<f32> = (0..rate as usize * 4)
            .flat_map(|i| {
                let x = (amp * (std::f64::consts::TAU * 997.0 * i as f64 / rate as f64).sin()) as f32;
                [x, x * 0.5]
            })
            .collect();
        let mut m = LevelMeter::new(2, rate);
        let mut last = None;
        let mut count = 0;
        for block in samples.chunks(4096 * 2) {
            m.push(block, |r| {
                count += 1;
                last = Some(r)
            });
        }
        assert_eq!(count, 40, "one reading per 100 ms");
        let r = last.clone().unwrap();
        let l = r.channels[0];
        assert_eq!(format!("{:.1} {:.1} {:.1}", l.peak_db, l.peak_hold_db, l.rms_db), "-20.0 -20.0 -23.0");
        assert!((l.true_peak_db + 20.0).abs() < 0.1, "{l:?}");
        assert_eq!(format!("{:.1}", r.channels[1].peak_db), "-26.0");
        // A 997 Hz sine at -20 dBFS on the left and -26 on the right: about -22 LUFS.
        assert!((-24.0..-20.0).contains(&r.integrated_lufs), "{r:?}");
        assert!((r.momentary_lufs - r.integrated_lufs).abs() < 0.2, "{r:?}");
        // Silence: the sample peak falls at once, the hold stays for 2 s.
        let silence = vec![0f32; 2 * 4800];
        m.push(&silence, |r| last = Some(r));
        let l = last.clone().unwrap().channels[0];
        assert_eq!(l.peak_db, FLOOR_DB);
        assert_eq!(format!("{:.1}", l.peak_hold_db), "-20.0");
        for _ in 0..20 {
            m.push(&silence, |r| last = Some(r));
        }
        assert_eq!(last.unwrap().channels[0].peak_hold_db, FLOOR_DB);
    }
}
