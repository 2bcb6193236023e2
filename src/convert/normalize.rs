//! Loudness normalisation (`convert --normalize LUFS [--true-peak DBTP]
//! [--album]`): a measuring pass decodes each input once through the same
//! channel mix the conversion will use and feeds an EBU R128 meter; then one
//! gain per file (or one for the whole batch) is chosen, lowered where the
//! true-peak ceiling demands it (no limiter), and applied by the pipeline in
//! float before dither and quantisation.
//!
//! This room only measures and decides; it never writes a file.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::file::{output_format, ConvertError};
use super::options::{ConvertOptions, NormalizeOptions};
use super::stages::{Stages, Target};
use crate::dsp::loudness::{album_loudness, linear_to_db, ClipRule, LoudnessError, LoudnessMeter, LoudnessReport};
use crate::dsp::true_peak::PeakRefiner;
use crate::format::{ChannelLayout, SampleFormat};
use crate::io::{AudioFile, AudioWriter, WriteError};

/// What the measuring pass found for one input (as the output's channels
/// will carry it).
pub struct Measurement {
    /// Integrated loudness, LUFS (`None`: nothing above the −70 LUFS gate).
    pub lufs: Option<f64>,
    /// Highest true peak, dBTP (`None`: digital silence).
    pub true_peak_dbtp: Option<f64>,
    /// The meter itself, kept for the album's loudness.
    meter: LoudnessMeter,
}

impl std::fmt::Debug for Measurement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Measurement").field("lufs", &self.lufs).field("true_peak_dbtp", &self.true_peak_dbtp).finish()
    }
}

/// The gain chosen for one file and what it does to its loudness.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LoudnessChange {
    /// Integrated loudness before, LUFS (`None`: silent, left as is).
    pub before_lufs: Option<f64>,
    /// True peak before, dBTP.
    pub before_true_peak_dbtp: Option<f64>,
    /// The gain applied, dB.
    pub gain_db: f64,
    /// Integrated loudness after, LUFS: measured on the written output when
    /// `after_measured`, else before plus the gain.
    pub after_lufs: Option<f64>,
    /// True peak after, dBTP: measured when `after_measured`, else before
    /// plus the gain.
    pub after_true_peak_dbtp: Option<f64>,
    /// True when the `after_*` figures were measured on the written output
    /// (decoded again) rather than computed.
    pub after_measured: bool,
    /// True when the true-peak ceiling lowered the gain below what the
    /// target asked for (the output is quieter than the target).
    pub ceiling_bound: bool,
    /// The loudness the gain was computed from: the file's own, or the
    /// album's with `--album`.
    pub reference_lufs: Option<f64>,
}

impl LoudnessChange {
    /// This change with the `after_*` figures of `output`, the written file's measurement.
    pub fn measured(mut self, output: &LoudnessReport) -> Self {
        self.after_lufs = output.integrated_lufs;
        self.after_true_peak_dbtp = output.true_peak_dbtp;
        self.after_measured = true;
        self
    }

    /// One line for people: `-20.3 -> -14.0 LUFS (+6.3 dB)`, and why it
    /// stopped short when the ceiling bound it.
    pub fn describe(&self) -> String {
        let lufs = |v: Option<f64>| v.map_or("silent".to_string(), |l| format!("{l:.1}"));
        let mut s = format!("{} -> {} LUFS ({:+.2} dB)", lufs(self.before_lufs), lufs(self.after_lufs), self.gain_db);
        if self.ceiling_bound {
            if let Some(tp) = self.after_true_peak_dbtp {
                s.push_str(&format!(", gain lowered by the true-peak ceiling (peak {tp:.1} dBTP)"));
            }
        }
        s
    }
}

/// An [`AudioWriter`] that measures instead of writing: the BS.1770 meter
/// and a finer true-peak estimate.
struct MeterSink<'a>(&'a mut LoudnessMeter, &'a mut PeakRefiner);

impl AudioWriter for MeterSink<'_> {
    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError> {
        self.1.push(interleaved);
        self.0.push(interleaved).map_err(|e| WriteError::Encoder(e.to_string()))
    }
    fn write_i32(&mut self, _: &[i32]) -> Result<(), WriteError> {
        Err(WriteError::Encoder("the loudness meter takes float samples".into()))
    }
    fn finish(self: Box<Self>) -> Result<(), WriteError> {
        Ok(())
    }
}

/// Decodes `input` once and measures it as `output` will carry it (the
/// conversion's channel mix; the rate is kept, as resampling does not
/// change loudness). `progress` gets 0..=1; `cancel` stops it.
pub fn measure(
    input: &Path,
    output: &Path,
    opts: &ConvertOptions,
    progress: &mut dyn FnMut(f64),
    cancel: &AtomicBool,
) -> Result<Measurement, ConvertError> {
    let mut file = AudioFile::open(input)?;
    let info = file.info().clone();
    let refused = |what: String| ConvertError::Refused { path: input.to_path_buf(), what };
    let format =
        output_format(output, opts).map_err(|what| ConvertError::Refused { path: output.to_path_buf(), what })?;
    let chosen = Target::choose(&info, format, opts);
    let target = Target { rate: info.sample_rate(), channels: chosen.channels, sample: SampleFormat::F32, bits: None };
    let mut stages = Stages::new(&info, &target, opts).map_err(|e| refused(e.to_string()))?;
    let mut meter = meter_for(target.rate, target.channels, &info.layout).map_err(|e| refused(e.to_string()))?;
    let mut refiner = PeakRefiner::new(target.channels);
    let total = info.frames;
    let mut done = 0u64;
    {
        let mut sink = MeterSink(&mut meter, &mut refiner);
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(ConvertError::Cancelled);
            }
            let n = stages.pull(&mut file)?;
            if n == 0 {
                break;
            }
            done += n as u64;
            stages.push(&mut sink, false).map_err(|e| refused(format!("cannot measure the loudness: {e}")))?;
            if let Some(t) = total.filter(|&t| t > 0) {
                progress((done as f64 / t as f64).min(1.0));
            }
        }
    }
    let report = meter.report();
    // The higher of the two true-peak readings: BS.1770's 4× can read a few
    // tenths of a dB under the waveform (and under other meters).
    let refined = linear_to_db(f64::from(refiner.peak()));
    let true_peak_dbtp = match (report.true_peak_dbtp, refined) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    Ok(Measurement { lufs: report.integrated_lufs, true_peak_dbtp, meter })
}

/// A meter for `channels` at `rate`, weighting them as `source` (the
/// input's layout) when the channels are the source's, else as the default
/// layout for that count.
pub(crate) fn meter_for(rate: u32, channels: usize, source: &ChannelLayout) -> Result<LoudnessMeter, LoudnessError> {
    let layout =
        if source.channels.len() == channels { source.clone() } else { ChannelLayout::default_for(channels as u32) };
    LoudnessMeter::with_layout(rate, &layout, ClipRule::default())
        .or_else(|_| LoudnessMeter::new(rate, channels, ClipRule::default()))
}

/// What a [`MeteringWriter`] measured, readable once it finished.
#[derive(Clone)]
pub(crate) struct WrittenLoudness(Arc<Mutex<(LoudnessMeter, Option<String>)>>);

impl WrittenLoudness {
    /// The meter's report, or why the samples could not be measured.
    pub(crate) fn report(&self) -> Result<LoudnessReport, String> {
        let guard = self.0.lock().map_err(|_| "the written samples' meter was lost".to_string())?;
        match &guard.1 {
            Some(why) => Err(why.clone()),
            None => Ok(guard.0.report()),
        }
    }
}

/// Passes samples to the writer inside and meters them on the way: the
/// "after" loudness of a lossless output, whose samples decode back exactly
/// as written, without decoding it again. Integers are scaled as the
/// readers scale them (2^-(bits-1)); floats go in as they are.
pub(crate) struct MeteringWriter {
    inner: Box<dyn AudioWriter>,
    shared: WrittenLoudness,
    scale: f32,
    floats: Vec<f32>,
}

impl MeteringWriter {
    /// Wraps `inner`, whose integer samples have `bits` bits, metering with `meter`.
    pub(crate) fn wrap(
        inner: Box<dyn AudioWriter>,
        meter: LoudnessMeter,
        bits: u32,
    ) -> (Box<dyn AudioWriter>, WrittenLoudness) {
        let shared = WrittenLoudness(Arc::new(Mutex::new((meter, None))));
        let scale = (-(f64::from(bits.clamp(1, 32)) - 1.0)).exp2() as f32;
        (Box::new(MeteringWriter { inner, shared: shared.clone(), scale, floats: Vec::new() }), shared)
    }

    fn meter(&self, samples: &[f32]) {
        if let Ok(mut g) = self.shared.0.lock() {
            if g.1.is_none() {
                if let Err(e) = g.0.push(samples) {
                    g.1 = Some(format!("cannot be measured: {e}"));
                }
            }
        }
    }
}

impl AudioWriter for MeteringWriter {
    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError> {
        self.meter(interleaved);
        self.inner.write_f32(interleaved)
    }
    fn write_i32(&mut self, interleaved: &[i32]) -> Result<(), WriteError> {
        let mut floats = std::mem::take(&mut self.floats);
        floats.clear();
        floats.extend(interleaved.iter().map(|&v| v as f32 * self.scale));
        self.meter(&floats);
        self.floats = floats;
        self.inner.write_i32(interleaved)
    }
    fn set_tags(&mut self, tags: &crate::io::Tags) -> Result<(), WriteError> {
        self.inner.set_tags(tags)
    }
    fn set_picture(&mut self, picture: &crate::io::tags::Picture) -> Result<(), WriteError> {
        self.inner.set_picture(picture)
    }
    fn finish(self: Box<Self>) -> Result<(), WriteError> {
        self.inner.finish()
    }
}

/// Decodes the written `output` once into `meter`.
pub(crate) fn measure_written(output: &Path, meter: &mut LoudnessMeter) -> Result<(), String> {
    let mut file = AudioFile::open(output).map_err(|e| e.to_string())?;
    let channels = meter.channels();
    if file.info().channels() != channels {
        return Err(format!("{}: {} channels, not {channels}", output.display(), file.info().channels()));
    }
    let mut buf = vec![0f32; 16384 * channels];
    loop {
        let n = file.read_f32(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(());
        }
        meter.push(&buf[..n * channels]).map_err(|e| e.to_string())?;
    }
}

/// The gain for each measured file (`None` where measuring failed): its own,
/// or with `album` one gain for all from their loudness as one programme and
/// their highest true peak.
pub fn choose_gains(measured: &[Option<&Measurement>], norm: &NormalizeOptions) -> Vec<Option<LoudnessChange>> {
    if norm.album {
        let meters: Vec<&LoudnessMeter> = measured.iter().flatten().map(|m| &m.meter).collect();
        let album = album_loudness(&meters);
        let peak = measured.iter().flatten().filter_map(|m| m.true_peak_dbtp).reduce(f64::max);
        let (gain, bound) = gain_for(album, peak, norm);
        measured.iter().map(|m| m.map(|m| change(m, gain, bound, album))).collect()
    } else {
        measured.iter().map(|m| m.map(|m| track_change(m, norm))).collect()
    }
}

/// The gain for one file on its own.
pub fn track_change(m: &Measurement, norm: &NormalizeOptions) -> LoudnessChange {
    let (gain, bound) = gain_for(m.lufs, m.true_peak_dbtp, norm);
    change(m, gain, bound, m.lufs)
}

fn change(m: &Measurement, gain_db: f64, ceiling_bound: bool, reference_lufs: Option<f64>) -> LoudnessChange {
    LoudnessChange {
        before_lufs: m.lufs,
        before_true_peak_dbtp: m.true_peak_dbtp,
        gain_db,
        after_lufs: m.lufs.map(|l| l + gain_db),
        after_true_peak_dbtp: m.true_peak_dbtp.map(|p| p + gain_db),
        after_measured: false,
        ceiling_bound,
        reference_lufs,
    }
}

/// Headroom kept under the ceiling for what follows the measurement
/// (resampling's own interpolation, dither) and for other true-peak meters:
/// ffmpeg's `ebur128` (4× through swresample) reads up to about 0.1 dB
/// above the BS.1770 filter on clicks.
pub const CEILING_MARGIN_DB: f64 = 0.1;

/// The gain that takes `lufs` to the target, and whether the ceiling
/// lowered it. Silence (no loudness) gets 0 dB.
fn gain_for(lufs: Option<f64>, peak: Option<f64>, norm: &NormalizeOptions) -> (f64, bool) {
    let Some(lufs) = lufs else { return (0.0, false) };
    let wanted = norm.target_lufs - lufs;
    match peak {
        Some(p) if p + wanted > norm.true_peak_dbtp - CEILING_MARGIN_DB => {
            (norm.true_peak_dbtp - CEILING_MARGIN_DB - p, true)
        }
        _ => (wanted, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(album: bool) -> NormalizeOptions {
        NormalizeOptions { target_lufs: -14.0, true_peak_dbtp: -1.0, album }
    }

    #[test]
    fn the_ceiling_lowers_the_gain_and_says_so() {
        assert_eq!(gain_for(Some(-20.0), Some(-10.0), &norm(false)), (6.0, false));
        let (g, bound) = gain_for(Some(-20.0), Some(-3.0), &norm(false));
        assert!(bound && (g - (2.0 - CEILING_MARGIN_DB)).abs() < 1e-9, "{g}");
        assert_eq!(gain_for(None, None, &norm(false)), (0.0, false), "silence is left alone");
        // A loud file comes down whatever its peak.
        assert_eq!(gain_for(Some(-8.0), Some(0.0), &norm(false)), (-6.0, false));
    }
}
