//! Converting one file: open any readable input, carry it through channel
//! mixing, sample-rate conversion and bit-depth reduction (with dither) into
//! any writer, streaming in chunks with constant memory. The output is written
//! to a temporary file beside the target and renamed into place only when
//! complete; on error or cancel the temporary file is removed. An input is
//! never written over.

mod threaded;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::normalize::{measure, measure_written, meter_for, track_change, LoudnessChange, MeteringWriter};
use super::options::{BitDepth, ConvertOptions};
use super::stages::{Stages, Target};
use super::verify::{verify_output, HashingWriter, Verification};
use crate::format::SampleFormat;
use crate::io::place::PartFile;
use crate::io::writer::WriteSeek;
use crate::io::{create_writer_with, AudioFile, FileError, OutputFormat, WriteError, WriterSpec};
use threaded::ThreadedWriter;

/// Frames decoded per step: large enough to amortise calls, small enough
/// that memory stays flat whatever the file's size.
pub const CHUNK_FRAMES: usize = 16384;

/// Why a file was not converted.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The input could not be read.
    #[error(transparent)]
    Read(#[from] FileError),
    /// The output could not be written.
    #[error("{}: {source}", path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// What went wrong.
        source: WriteError,
    },
    /// The conversion was refused before anything was written.
    #[error("{}: {what}", path.display())]
    Refused {
        /// The file concerned.
        path: PathBuf,
        /// Why.
        what: String,
    },
    /// Stopped by the user; nothing was left behind.
    #[error("cancelled")]
    Cancelled,
    /// `--verify` found the output in place to differ from what was
    /// written; the output was removed.
    #[error("{}: verification failed: {what}; the output was removed", path.display())]
    Verify {
        /// The output.
        path: PathBuf,
        /// What differed.
        what: String,
    },
}

/// What converting one file did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConvertStats {
    /// The input.
    pub input: PathBuf,
    /// The output written.
    pub output: PathBuf,
    /// Frames read.
    pub frames_in: u64,
    /// Frames written.
    pub frames_out: u64,
    /// Seconds of audio converted.
    pub audio_seconds: f64,
    /// Wall time taken.
    pub elapsed: Duration,
    /// Bytes of input.
    pub bytes_in: u64,
    /// Problems in the input that did not stop the conversion.
    pub warnings: Vec<crate::io::Warning>,
    /// With `--normalize`: the loudness before, the gain, the loudness after.
    pub loudness: Option<Box<LoudnessChange>>,
    /// With `--verify`: how the output in place was proved.
    pub verified: Option<Verification>,
    /// With ReplayGain tagging: the values written into the output.
    pub replaygain: Option<Box<crate::io::tags::ReplayGain>>,
}

/// A converted file, or one left alone.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Written.
    Converted(ConvertStats),
    /// Not written, and why (the output exists and `overwrite` is off).
    Skipped {
        /// The output that exists.
        output: PathBuf,
        /// Why it was skipped.
        reason: String,
    },
}

/// True when `a` and `b` name the same existing file (through links and `..`).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// The format to write the file `output` in: the option, else its
/// extension's. `Err` says why neither works (an extension CoreMusic does not
/// write, one naming another format than the option, a format this build
/// cannot write, encoder settings or a depth the format does not take).
pub fn output_format(output: &Path, opts: &ConvertOptions) -> Result<OutputFormat, String> {
    let format = OutputFormat::for_output(output, opts.format)?;
    check_format(format, opts)?;
    Ok(format)
}

/// Why `opts` cannot make a `format` file in this build, if they cannot.
pub(crate) fn check_format(format: OutputFormat, opts: &ConvertOptions) -> Result<(), String> {
    format.available()?;
    opts.encoder.check(format)?;
    if format.is_lossy() && opts.bits.is_some() {
        return Err(format!("{} has no bit depth: leave out --bits", format.label()));
    }
    Ok(())
}

/// Converts `input` to `output`. `progress` is called after each chunk with
/// the frames read so far and the total when known; `cancel` is checked
/// between chunks.
pub fn convert_file(
    input: &Path,
    output: &Path,
    opts: &ConvertOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
    cancel: &AtomicBool,
) -> Result<Outcome, ConvertError> {
    let loudness = match &opts.normalize {
        Some(norm) => {
            let m = measure(input, output, opts, &mut |f| progress((f * 1000.0) as u64, Some(2000)), cancel)?;
            Some(track_change(&m, norm))
        }
        None => None,
    };
    let mut second_half = |done: u64, total: Option<u64>| match (loudness.is_some(), total) {
        (true, Some(t)) if t > 0 => progress(1000 + done.saturating_mul(1000) / t, Some(2000)),
        _ => progress(done, total),
    };
    convert_sharing(input, output, opts, &mut second_half, cancel, 1, loudness)
}

/// [`convert_file`] while `concurrent` files convert at once (a batch): the
/// resampler threads of each file share the cores instead of each file
/// starting one per core.
pub(crate) fn convert_sharing(
    input: &Path,
    output: &Path,
    opts: &ConvertOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
    cancel: &AtomicBool,
    concurrent: usize,
    loudness: Option<LoudnessChange>,
) -> Result<Outcome, ConvertError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = (cores / concurrent.max(1)).clamp(1, 4);
    let sink = |f| -> Box<dyn WriteSeek> { Box::new(BufWriter::with_capacity(1 << 20, f)) };
    let extras = Extras { loudness, before_verify: &|_| {}, resample_threads: threads };
    convert_through(input, output, opts, progress, cancel, &sink, &extras)
}

/// What a conversion gets besides its options: the gain chosen by the
/// measuring pass, and (for tests) a hook run between placing the output
/// and verifying it.
pub(crate) struct Extras<'a> {
    pub(crate) loudness: Option<LoudnessChange>,
    pub(crate) before_verify: &'a dyn Fn(&Path),
    /// Threads of its own the resampler may start.
    pub(crate) resample_threads: usize,
}

/// [`convert_file`] writing through `sink` around the temporary file (tests
/// put a full disk there).
fn convert_through(
    input: &Path,
    output: &Path,
    opts: &ConvertOptions,
    progress: &mut dyn FnMut(u64, Option<u64>),
    cancel: &AtomicBool,
    sink: &dyn Fn(File) -> Box<dyn WriteSeek>,
    extras: &Extras,
) -> Result<Outcome, ConvertError> {
    let started = Instant::now();
    if same_file(input, output) {
        return Err(ConvertError::Refused {
            path: output.to_path_buf(),
            what: "is the input itself; CoreMusic never writes over an input".into(),
        });
    }
    if output.exists() && !opts.overwrite {
        return Ok(Outcome::Skipped {
            output: output.to_path_buf(),
            reason: "exists (use --overwrite to replace it)".into(),
        });
    }
    if output.is_dir() {
        return Err(ConvertError::Refused { path: output.to_path_buf(), what: "is a folder".into() });
    }
    let mut file = AudioFile::open(input)?;
    let info = file.info().clone();
    let format =
        output_format(output, opts).map_err(|what| ConvertError::Refused { path: output.to_path_buf(), what })?;
    let target = Target::choose(&info, format, opts);
    let gain_db = extras.loudness.map_or(0.0, |l| l.gain_db);
    let mut stages = Stages::with_gain(&info, &target, opts, gain_db)
        .map_err(|e| ConvertError::Refused { path: input.to_path_buf(), what: e.to_string() })?;
    let spec = WriterSpec {
        format,
        sample_rate: target.rate,
        channels: target.channels as u16,
        sample: target.sample,
        bits: target.bits,
        expected_frames: info.frames.map(|f| stages.output_frames(f)),
    };

    let write_err = |source: WriteError| ConvertError::Write { path: output.to_path_buf(), source };
    let (part, out_file) = PartFile::create(output).map_err(|e| write_err(WriteError::Io(e)))?;
    let mut writer = create_writer_with(sink(out_file), spec, &opts.encoder).map_err(write_err)?;
    let mut digest = None;
    if opts.verify {
        let (hashing, d) = HashingWriter::wrap(writer);
        writer = hashing;
        digest = Some(d);
    }
    // A normalised lossless output is metered as it is written (its samples
    // decode back exactly); a lossy one is decoded again below, as the
    // listener hears it.
    let mut written_loudness = None;
    if extras.loudness.is_some() && !format.is_lossy() {
        if let Ok(meter) = meter_for(target.rate, target.channels, &info.layout) {
            let bits = target.bits.unwrap_or(target.sample.bits());
            let (metering, shared) = MeteringWriter::wrap(writer, meter, bits);
            writer = metering;
            written_loudness = Some(shared);
        }
    }
    writer.set_tags(&info.tags).map_err(write_err)?;
    // Cover art goes over to the formats that hold one (not WAV, AIFF, CAF).
    let holds_cover = !matches!(format, OutputFormat::Wav | OutputFormat::Aiff | OutputFormat::Caf);
    if let Some(cover) = holds_cover.then(|| crate::io::tags::read_cover(input)).flatten() {
        writer.set_picture(&cover).map_err(write_err)?;
    }
    if target.rate != info.sample_rate() || format.is_lossy() {
        // Resample on threads of its own, one block per chunk with no wait
        // between chunks, while this thread reads ahead; quantise, encode
        // and write on another.
        stages.resample_on_threads(extras.resample_threads);
        writer = Box::new(ThreadedWriter::start(stages.quantize_in(writer)));
    } else if extras.resample_threads > 1 {
        // A core to spare: encode and write on it while this thread
        // decodes (a FLAC's decoding, MD5 packing and interleaving here,
        // the WAV packing and the writes there).
        writer = Box::new(ThreadedWriter::start(stages.quantize_in(writer)));
    }

    let total = info.frames;
    let (mut frames_in, mut frames_out) = (0u64, 0u64);
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(ConvertError::Cancelled);
        }
        let n = stages.pull(&mut file)?;
        if n == 0 {
            break;
        }
        frames_in += n as u64;
        frames_out += stages.push(&mut *writer, false).map_err(write_err)?;
        progress(frames_in, total);
    }
    frames_out += stages.push(&mut *writer, true).map_err(write_err)?;
    writer.finish().map_err(write_err)?;
    if cancel.load(Ordering::Relaxed) {
        return Err(ConvertError::Cancelled);
    }
    // Exclusive unless overwriting: an output that appeared meanwhile stays.
    match part.place(output, opts.overwrite) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && !opts.overwrite => {
            return Ok(Outcome::Skipped {
                output: output.to_path_buf(),
                reason: "appeared while converting, and was left alone (use --overwrite to replace it)".into(),
            });
        }
        Err(e) => return Err(write_err(WriteError::Io(e))),
    }
    // A normalised output's loudness is measured, not computed: as it was
    // written (lossless), else in the verifying pass when there is one, else
    // by decoding it once more.
    let mut after_meter = extras
        .loudness
        .filter(|_| written_loudness.is_none())
        .and_then(|_| meter_for(target.rate, target.channels, &info.layout).ok());
    let verified = match &digest {
        Some(digest) => {
            (extras.before_verify)(output);
            match verify_output(output, format, target.channels, frames_out, digest, after_meter.as_mut()) {
                Ok(v) => Some(v),
                Err(what) => {
                    let _ = std::fs::remove_file(output);
                    return Err(ConvertError::Verify { path: output.to_path_buf(), what });
                }
            }
        }
        None => None,
    };
    let mut warnings = file.take_warnings();
    let mut loudness = extras.loudness;
    if let (Some(change), Some(written)) = (loudness.as_mut(), written_loudness.as_ref()) {
        match written.report() {
            Ok(report) => *change = change.measured(&report),
            Err(why) => warnings.push(crate::io::Warning::OutputNotMeasured { why }),
        }
    }
    if let (Some(change), Some(meter)) = (loudness.as_mut(), after_meter.as_mut()) {
        let measured = if digest.is_some() { Ok(()) } else { measure_written(output, meter) };
        match measured {
            Ok(()) => *change = change.measured(&meter.report()),
            Err(e) => warnings.push(crate::io::Warning::OutputNotMeasured { why: e.to_string() }),
        }
    }
    // Tags are a courtesy: an output that cannot take them is still converted.
    let replaygain = match opts.replaygain.then(|| tag_replaygain(output)) {
        Some(Ok(rg)) => Some(Box::new(rg)),
        Some(Err(e)) => {
            warnings.push(crate::io::Warning::TagsNotWritten { why: e.to_string() });
            None
        }
        None => None,
    };
    Ok(Outcome::Converted(ConvertStats {
        input: input.to_path_buf(),
        output: output.to_path_buf(),
        frames_in,
        frames_out,
        audio_seconds: frames_in as f64 / info.format.sample_rate.max(1.0),
        elapsed: started.elapsed(),
        bytes_in: std::fs::metadata(input).map(|m| m.len()).unwrap_or(0),
        warnings,
        loudness: loudness.map(Box::new),
        verified,
        replaygain,
    }))
}

/// Measures the output in place and writes its ReplayGain track tags.
fn tag_replaygain(output: &Path) -> Result<crate::io::tags::ReplayGain, ConvertError> {
    let refused = |what: String| ConvertError::Refused { path: output.to_path_buf(), what };
    let paths = [output.to_path_buf()];
    let rg = crate::analysis::replaygain::replaygain_of(&paths, false, &|_| {}, &AtomicBool::new(false))
        .pop()
        .ok_or_else(|| refused("was not measured".into()))?
        .map_err(ConvertError::Read)?;
    crate::io::tags::write_replaygain(output, &rg).map_err(|e| refused(format!("ReplayGain tags not written: {e}")))?;
    Ok(rg)
}

/// The sample format to write when `--bits` is not given: the source's, or
/// the nearest the target can hold (float into FLAC or ALAC becomes 24-bit,
/// 8-bit into ALAC 16-bit); lossy
/// sources become 16-bit, as ffmpeg and afconvert make them.
pub fn default_sample(source: Option<SampleFormat>, format: OutputFormat) -> SampleFormat {
    if format.is_lossy() {
        // The lossy encoders take floats.
        return SampleFormat::F32;
    }
    match source {
        Some(s) if format.supports(s) => s,
        Some(SampleFormat::U8) if format.supports(SampleFormat::S16) => SampleFormat::S16,
        Some(_) => SampleFormat::S24,
        None => SampleFormat::S16,
    }
}

impl BitDepth {
    /// Significant bits stored.
    pub fn bits(self) -> u32 {
        self.sample_format().bits()
    }
}

#[cfg(test)]
mod tests;
