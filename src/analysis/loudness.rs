//! Loudness and level analysis of a whole file: [`analyze`] streams the file
//! through a [`LoudnessMeter`] chunk by chunk (memory stays flat whatever the
//! length), reports progress, and stops early when asked to.
//!
//! This is background work for the CLI and the window: it must not be called
//! on a UI or audio thread, and it never keeps the decoded audio.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::dsp::loudness::{ClipRule, LoudnessMeter, LoudnessReport};
use crate::io::{AudioFile, FileError, ReadError};

/// Frames decoded and measured at a time (big enough for the meter to use two threads).
pub const CHUNK_FRAMES: usize = 32768;

/// How far an analysis has come.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Frames measured so far.
    pub frames_done: u64,
    /// Frames in the file, when the header says.
    pub frames_total: Option<u64>,
}

impl Progress {
    /// Done so far as 0.0–1.0, or `None` when the length is unknown.
    pub fn fraction(&self) -> Option<f32> {
        self.frames_total.filter(|&t| t > 0).map(|t| (self.frames_done as f64 / t as f64).clamp(0.0, 1.0) as f32)
    }
}

/// The result of [`analyze`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Analysis {
    /// The file.
    pub path: PathBuf,
    /// Its sample rate in Hz.
    pub sample_rate: u32,
    /// What the meter found.
    pub levels: LoudnessReport,
    /// What full scale meant for the clip count (see [`ClipRule`]).
    #[serde(skip)]
    pub clip_rule: ClipRule,
    /// The file's own checksum, checked on the way (FLAC's MD5): `true`
    /// intact, `false` damaged, `None` when the file carries none.
    #[serde(skip)]
    pub verified: Option<bool>,
}

/// The error [`analyze`] returns when `cancel` was set: an
/// [`std::io::ErrorKind::Interrupted`] I/O error. Test with [`is_cancelled`].
pub fn cancelled(path: &Path) -> FileError {
    FileError::new(path, std::io::Error::new(std::io::ErrorKind::Interrupted, "analysis cancelled"))
}

/// True when `e` says the analysis was cancelled rather than failed.
pub fn is_cancelled(e: &FileError) -> bool {
    matches!(&e.error, ReadError::Io(io) if io.kind() == std::io::ErrorKind::Interrupted)
}

/// Measures the loudness (EBU R128), true and sample peak, DC offset and
/// clipped samples of the file at `path`.
///
/// `progress` is called after every chunk ([`CHUNK_FRAMES`] frames) and
/// once at the end; `cancel` is checked before every chunk, and when it is set
/// the analysis stops with the [`cancelled`] error. The clip rule follows the
/// stream's depth ([`ClipRule::for_bits`]; lossy and float streams use 1.0).
pub fn analyze(
    path: impl AsRef<Path>,
    progress: impl FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<Analysis, FileError> {
    analyze_keeping_meter(path, progress, cancel).map(|(a, _)| a)
}

/// [`analyze`], also handing back the meter (to measure several files as
/// one programme: [`crate::dsp::loudness::album_loudness`]).
pub fn analyze_keeping_meter(
    path: impl AsRef<Path>,
    mut progress: impl FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<(Analysis, LoudnessMeter), FileError> {
    let path = path.as_ref();
    let mut file = AudioFile::open(path)?;
    let info = file.info();
    let integer_bits = match info.sample_format {
        Some(f) if !f.is_float() => info.bits_per_sample.or(Some(f.bits())),
        _ => None,
    };
    let clip_rule = ClipRule::for_bits(integer_bits);
    let sample_rate = info.sample_rate();
    let frames_total = info.frames;
    let mut meter = LoudnessMeter::with_layout(sample_rate, &info.layout, clip_rule)
        .or_else(|_| LoudnessMeter::new(sample_rate, info.channels(), clip_rule))
        .map_err(|e| FileError::new(path, ReadError::Unsupported(e.to_string())))?;
    let channels = meter.channels();
    let mut buf = vec![0.0f32; CHUNK_FRAMES * channels];
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(cancelled(path));
        }
        let n = file.read_f32(&mut buf)?;
        if n == 0 {
            break;
        }
        let block = buf.get(..n * channels).unwrap_or(&buf);
        meter.push(block).map_err(|e| FileError::new(path, ReadError::Decoder(e.to_string())))?;
        progress(Progress { frames_done: meter.frames(), frames_total });
    }
    progress(Progress { frames_done: meter.frames(), frames_total: Some(meter.frames()) });
    let verified = file.verified();
    let analysis = Analysis { path: path.to_path_buf(), sample_rate, levels: meter.report(), clip_rule, verified };
    Ok((analysis, meter))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_wav(path: &Path, rate: u32, channels: usize, samples: &[f32]) {
        let spec = hound::WavSpec {
            channels: channels as u16,
            sample_rate: rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for &s in samples {
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
    }

    #[test]
    fn a_file_is_measured_with_progress_and_can_be_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tone.wav");
        let amp = 10f32.powf(-23.0 / 20.0);
        let x: Vec<f32> = (0..48000 * 4)
            .flat_map(|i| {
                let v = amp * (i as f32 * 1000.0 / 48000.0 * std::f32::consts::TAU).sin();
                [v, v]
            })
            .collect();
        write_wav(&path, 48000, 2, &x);
        let mut calls = Vec::new();
        let a = analyze(&path, |p| calls.push(p), &AtomicBool::new(false)).unwrap();
        assert!((a.levels.integrated_lufs.unwrap() + 23.0).abs() <= 0.1);
        assert_eq!(a.levels.frames, 48000 * 4);
        assert!(calls.len() >= 2);
        assert_eq!(calls.last().and_then(|p| p.fraction()), Some(1.0));
        assert!(calls.windows(2).all(|w| w[0].frames_done <= w[1].frames_done));

        let e = analyze(&path, |_| {}, &AtomicBool::new(true)).unwrap_err();
        assert!(is_cancelled(&e), "{e}");
        assert!(e.to_string().contains("tone.wav"));
    }

    #[test]
    fn a_broken_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk.wav");
        std::fs::write(&path, b"RIFF\x10\x00\x00\x00WAVEjunkjunk").unwrap();
        let e = analyze(&path, |_| {}, &AtomicBool::new(false)).unwrap_err();
        assert!(!is_cancelled(&e));
        assert!(e.to_string().contains("junk.wav"), "{e}");
    }
}
