//! Converting one file: open any readable input, carry it through channel
//! mixing, sample-rate conversion and bit-depth reduction (with dither) into
//! any writer, streaming in chunks with constant memory. The output is written
//! to a temporary file beside the target and renamed into place only when
//! complete; on error or cancel the temporary file is removed. An input is
//! never written over.

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
use crate::io::{create_writer_with, AudioFile, AudioWriter, FileError, OutputFormat, WriteError, WriterSpec};

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
    let spec = WriterSpec {
        format,
        sample_rate: target.rate,
        channels: target.channels as u16,
        sample: target.sample,
        bits: target.bits,
    };
    let gain_db = extras.loudness.map_or(0.0, |l| l.gain_db);
    let mut stages = Stages::with_gain(&info, &target, opts, gain_db)
        .map_err(|e| ConvertError::Refused { path: input.to_path_buf(), what: e.to_string() })?;

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

/// Samples on their way to the writer thread.
enum Block {
    Int(Vec<i32>),
    Float(Vec<f32>),
}

/// Runs a writer on its own thread: writes are queued (a few blocks deep,
/// so memory stays bounded; emptied blocks come back to be refilled) and the
/// first error comes back on the next call. The thread stops at its own
/// first error; dropped without [`AudioWriter::finish`] (the conversion
/// failed or was cancelled), it is told to stop, drops what is queued
/// without encoding it, and is waited for, so nothing writes to the
/// temporary file once it is being removed.
struct ThreadedWriter {
    blocks: Option<crossbeam_channel::Sender<Block>>,
    free: crossbeam_channel::Receiver<Block>,
    thread: Option<std::thread::JoinHandle<Result<(), WriteError>>>,
    stop: std::sync::Arc<AtomicBool>,
}

impl ThreadedWriter {
    fn start(mut inner: Box<dyn AudioWriter>) -> Self {
        let (tx, rx) = crossbeam_channel::bounded::<Block>(4);
        let (give_back, free) = crossbeam_channel::bounded::<Block>(6);
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("coremusic-writer".into())
            .spawn(move || {
                for block in rx {
                    if stopped.load(Ordering::Relaxed) {
                        return Err(WriteError::Encoder("stopped".into()));
                    }
                    match &block {
                        Block::Int(v) => inner.write_i32(v)?,
                        Block::Float(v) => inner.write_f32(v)?,
                    }
                    let _ = give_back.try_send(block);
                }
                if stopped.load(Ordering::Relaxed) {
                    return Err(WriteError::Encoder("stopped".into()));
                }
                inner.finish()
            })
            .ok();
        ThreadedWriter { blocks: thread.is_some().then_some(tx), free, thread, stop }
    }

    fn send(&mut self, block: Block) -> Result<(), WriteError> {
        let sent = self.blocks.as_ref().is_some_and(|tx| tx.send(block).is_ok());
        if sent {
            Ok(())
        } else {
            // The thread stopped: report why.
            self.blocks = None;
            Err(self.join().err().unwrap_or_else(|| WriteError::Encoder("the writer thread stopped".into())))
        }
    }

    fn join(&mut self) -> Result<(), WriteError> {
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(WriteError::Encoder("the writer thread panicked".into())),
            None => Err(WriteError::Encoder("the writer thread could not start".into())),
        }
    }
}

impl Drop for ThreadedWriter {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.stop.store(true, Ordering::Relaxed);
            self.blocks = None;
            let _ = self.join();
        }
    }
}

impl AudioWriter for ThreadedWriter {
    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError> {
        let mut v = match self.free.try_recv() {
            Ok(Block::Float(v)) => v,
            _ => Vec::with_capacity(interleaved.len()),
        };
        v.clear();
        v.extend_from_slice(interleaved);
        self.send(Block::Float(v))
    }

    fn write_i32(&mut self, interleaved: &[i32]) -> Result<(), WriteError> {
        let mut v = match self.free.try_recv() {
            Ok(Block::Int(v)) => v,
            _ => Vec::with_capacity(interleaved.len()),
        };
        v.clear();
        v.extend_from_slice(interleaved);
        self.send(Block::Int(v))
    }

    fn finish(mut self: Box<Self>) -> Result<(), WriteError> {
        self.blocks = None;
        self.join()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::SampleFormat;
    use crate::io::create_writer;

    /// A sink that accepts `room` bytes, then reports a full disk.
    struct FullDisk {
        room: usize,
    }

    impl std::io::Write for FullDisk {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left on device"));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl std::io::Seek for FullDisk {
        fn seek(&mut self, _: std::io::SeekFrom) -> std::io::Result<u64> {
            Ok(0)
        }
    }

    /// A real file that fills up after `room` bytes (a disk with little space left).
    struct SmallDisk {
        file: File,
        room: u64,
    }

    impl std::io::Write for SmallDisk {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let pos = std::io::Seek::stream_position(&mut self.file)?;
            let fits = self.room.saturating_sub(pos).min(buf.len() as u64) as usize;
            if fits == 0 && !buf.is_empty() {
                return Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left on device"));
            }
            self.file.write(&buf[..fits])
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.file.flush()
        }
    }

    impl std::io::Seek for SmallDisk {
        fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
            self.file.seek(to)
        }
    }

    /// The full disk through the whole pipeline of a conversion, for the
    /// exact path, resampling (writer thread) and each encoder: the error
    /// names the output, nothing is left behind, the input is untouched.
    #[test]
    fn a_full_disk_fails_cleanly_with_nothing_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.wav");
        let spec = WriterSpec {
            format: OutputFormat::Wav,
            sample_rate: 44100,
            channels: 2,
            sample: SampleFormat::S16,
            bits: None,
        };
        let mut w = create_writer(Box::new(File::create(&input).unwrap()), spec).unwrap();
        let mut s = 1u32;
        let audio: Vec<i32> = (0..2 * 200_000)
            .map(|i| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((i as f64 * 0.01).sin() * 12000.0) as i32 + (s >> 20) as i32 - 2048
            })
            .collect();
        w.write_i32(&audio).unwrap();
        w.finish().unwrap();
        let before = std::fs::read(&input).unwrap();
        // The lossy writers too (on the writer thread, through an encoder).
        let mut cases = vec![
            ("wav", None),
            ("wav", Some(48000)),
            ("flac", Some(48000)),
            ("m4a", None),
            ("aiff", None),
            ("opus", None),
        ];
        if !cfg!(target_os = "macos") {
            cases.push(("mp3", None));
        }
        for (ext, rate) in cases {
            let output = dir.path().join(format!("out.{ext}"));
            let opts = ConvertOptions { rate, ..ConvertOptions::default() };
            // The lossy outputs are smaller than 100 KB in all.
            let room = if matches!(ext, "opus" | "mp3") { 20_000 } else { 100_000 };
            let small = move |file: File| -> Box<dyn WriteSeek> { Box::new(SmallDisk { file, room }) };
            let extras = Extras { loudness: None, before_verify: &|_| {}, resample_threads: 2 };
            let r = convert_through(&input, &output, &opts, &mut |_, _| {}, &AtomicBool::new(false), &small, &extras);
            let e = r.err().unwrap_or_else(|| panic!("{ext} {rate:?}: a full disk went unnoticed"));
            assert!(matches!(e, ConvertError::Write { .. }), "{ext} {rate:?}: {e}");
            let msg = e.to_string();
            assert!(msg.contains("no space left") && msg.contains(&format!("out.{ext}")), "{msg}");
            assert!(!output.exists(), "{ext}: an output was left");
            let names: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into())
                .collect();
            assert_eq!(names, vec!["in.wav".to_string()], "{ext} {rate:?}: left behind");
            assert_eq!(std::fs::read(&input).unwrap(), before);
        }
    }

    /// `--verify`: an output damaged between being placed and being
    /// decoded again fails the file and is removed; an intact one is
    /// proved bit-exact, also through resampling and dither.
    #[test]
    fn verification_catches_an_output_damaged_after_writing() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.wav");
        let spec = WriterSpec {
            format: OutputFormat::Wav,
            sample_rate: 44100,
            channels: 2,
            sample: SampleFormat::S24,
            bits: None,
        };
        let mut w = create_writer(Box::new(File::create(&input).unwrap()), spec).unwrap();
        let audio: Vec<i32> = (0..2 * 50_000).map(|i| ((i as f64 * 0.013).sin() * 4_000_000.0) as i32).collect();
        w.write_i32(&audio).unwrap();
        w.finish().unwrap();
        let sink = |f| -> Box<dyn WriteSeek> { Box::new(BufWriter::new(f)) };
        let run = |out: &str, rate: Option<u32>, bits: Option<BitDepth>, hook: &dyn Fn(&Path)| {
            let opts = ConvertOptions { rate, bits, verify: true, ..ConvertOptions::default() };
            let extras = Extras { loudness: None, before_verify: hook, resample_threads: 1 };
            let output = dir.path().join(out);
            convert_through(&input, &output, &opts, &mut |_, _| {}, &AtomicBool::new(false), &sink, &extras)
        };
        for (out, rate, bits) in
            [("a.flac", None, None), ("b.flac", Some(48000), Some(BitDepth::S16)), ("c.wav", None, Some(BitDepth::F32))]
        {
            match run(out, rate, bits, &|_| {}) {
                Ok(Outcome::Converted(s)) => {
                    assert!(matches!(s.verified, Some(Verification::BitExact { .. })), "{out}: {:?}", s.verified)
                }
                other => panic!("{out}: {other:?}"),
            }
        }
        // One sample changed in the middle of the data, after the rename.
        let flip = |p: &Path| {
            let mut bytes = std::fs::read(p).unwrap();
            let at = bytes.len() / 2;
            bytes[at] ^= 0x10;
            std::fs::write(p, bytes).unwrap();
        };
        let e = run("d.wav", None, None, &flip).unwrap_err();
        assert!(matches!(e, ConvertError::Verify { .. }), "{e}");
        let msg = e.to_string();
        assert!(msg.contains("d.wav") && msg.contains("other samples") && msg.contains("removed"), "{msg}");
        assert!(!dir.path().join("d.wav").exists(), "a failed output must not stay");
        // Cut short: the length is wrong (or the end does not decode).
        let cut = |p: &Path| {
            let bytes = std::fs::read(p).unwrap();
            std::fs::write(p, &bytes[..bytes.len() - 600]).unwrap();
        };
        let e = run("e.flac", None, None, &cut).unwrap_err();
        assert!(matches!(e, ConvertError::Verify { .. }), "{e}");
        assert!(!dir.path().join("e.flac").exists());
    }

    /// A slow writer that counts what it encodes.
    struct Slow {
        writes: std::sync::Arc<std::sync::atomic::AtomicUsize>,
        finished: std::sync::Arc<AtomicBool>,
    }

    impl AudioWriter for Slow {
        fn write_f32(&mut self, _: &[f32]) -> Result<(), WriteError> {
            std::thread::sleep(Duration::from_millis(30));
            self.writes.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
        fn write_i32(&mut self, _: &[i32]) -> Result<(), WriteError> {
            std::thread::sleep(Duration::from_millis(30));
            self.writes.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
        fn finish(self: Box<Self>) -> Result<(), WriteError> {
            self.finished.store(true, Ordering::SeqCst);
            Ok(())
        }
    }

    /// A conversion that fails or is cancelled drops its writer: the writer
    /// thread stops at once (what is queued is not encoded, the file is not
    /// finished) and is gone before the temporary file is removed.
    #[test]
    fn a_dropped_threaded_writer_stops_encoding() {
        let writes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let finished = std::sync::Arc::new(AtomicBool::new(false));
        let inner = Box::new(Slow { writes: writes.clone(), finished: finished.clone() });
        let mut w: Box<dyn AudioWriter> = Box::new(ThreadedWriter::start(inner));
        for _ in 0..5 {
            w.write_f32(&[0.0; 64]).unwrap();
        }
        drop(w);
        let at_drop = writes.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(writes.load(Ordering::SeqCst), at_drop, "the writer thread went on encoding after the drop");
        assert!(at_drop < 5, "every queued block was encoded ({at_drop})");
        assert!(!finished.load(Ordering::SeqCst), "a dropped writer finished the file");
    }

    #[test]
    fn the_writer_thread_reports_a_full_disk() {
        let spec = WriterSpec {
            format: OutputFormat::Wav,
            sample_rate: 48000,
            channels: 2,
            sample: SampleFormat::S16,
            bits: None,
        };
        let inner = create_writer(Box::new(FullDisk { room: 100_000 }), spec).unwrap();
        let mut w: Box<dyn AudioWriter> = Box::new(ThreadedWriter::start(inner));
        let block = vec![0.25f32; 65536];
        let mut failed = None;
        for _ in 0..100 {
            if let Err(e) = w.write_f32(&block) {
                failed = Some(e);
                break;
            }
        }
        let e = failed.unwrap_or_else(|| w.finish().unwrap_err());
        assert!(e.to_string().contains("no space left"), "{e}");
    }
}
