//! Write → read round trips through the public API, as property tests:
//! every writer (WAV, AIFF, CAF, FLAC) × every sample format it takes (u8,
//! s16, s24, s32, f32, f64; FLAC integers only) × 1..8 channels × 0..3000
//! frames × odd valid depths (e.g. 20 bits in s24) must read back bit-exactly
//! through `read_i32` and `read_f32`; a smaller number of cases is also decoded
//! by independent readers (hound for WAV, symphonia for all four). Reading in
//! chunks, reading everything and reading after `seek(n)` must agree for PCM
//! and FLAC files.
//!
//! While the FLAC writer is still the placeholder that refuses everything
//! ("in progress"), FLAC cases are skipped with a note (FLAC seeking is then
//! checked on files from the `flac` tool).

mod common;

use std::fs::File;
use std::io::{BufWriter, Cursor};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

use common::tools::{self, have, Rng};
use coremusic::format::{f32_to_int, int_to_f32, SampleFormat};
use coremusic::io::{create_writer, AudioFile, OutputFormat, WriteError, WriterSpec};
use proptest::prelude::*;

const FORMATS: [OutputFormat; 4] = [OutputFormat::Wav, OutputFormat::Aiff, OutputFormat::Caf, OutputFormat::Flac];
const SAMPLES: [SampleFormat; 6] =
    [SampleFormat::U8, SampleFormat::S16, SampleFormat::S24, SampleFormat::S32, SampleFormat::F32, SampleFormat::F64];
const RATES: [u32; 6] = [8000, 22050, 44100, 48000, 96000, 192000];

/// One round trip: what to write.
#[derive(Debug, Clone)]
struct Trip {
    spec: WriterSpec,
    frames: usize,
    seed: u64,
    /// Write integers through `write_f32` (exact up to 24 bits).
    via_f32: bool,
}

impl Trip {
    fn bits(&self) -> u32 {
        self.spec.valid_bits()
    }
}

/// Significant bits below the container's: s16 → 9..=15, s24 → 17..=23, s32 → 25..=31.
fn odd_bits(sample: SampleFormat, pick: u32) -> Option<u32> {
    match sample {
        SampleFormat::S16 => Some(9 + pick % 7),
        SampleFormat::S24 => Some(17 + pick % 7),
        SampleFormat::S32 => Some(25 + pick % 7),
        _ => None,
    }
}

fn trip_strategy() -> impl Strategy<Value = Trip> {
    (
        0..FORMATS.len(),
        0..SAMPLES.len(),
        1u16..=8,
        0usize..3000,
        any::<u64>(),
        any::<bool>(),
        any::<bool>(),
        any::<u32>(),
        0..RATES.len(),
    )
        .prop_map(|(f, s, channels, frames, seed, odd, via_f32, pick, r)| {
            let format = FORMATS[f];
            let mut sample = SAMPLES[s];
            if format == OutputFormat::Flac && sample.is_float() {
                sample = SAMPLES[s % 4];
            }
            let bits = if odd { odd_bits(sample, pick) } else { None };
            let spec = WriterSpec { format, sample_rate: RATES[r], channels, sample, bits, expected_frames: None };
            let via_f32 = via_f32 && !sample.is_float() && spec.valid_bits() <= 24;
            Trip { spec, frames, seed, via_f32 }
        })
}

/// The samples of a trip: integers of the valid depth (with the extremes), or floats in [-1, 1).
fn samples(t: &Trip) -> (Vec<i32>, Vec<f32>) {
    let n = t.frames * t.spec.channels as usize;
    let mut rng = Rng(t.seed | 1);
    if t.spec.sample.is_float() {
        let f = (0..n)
            .map(|i| match i % 97 {
                0 => -1.0,
                1 => 0.0,
                _ => ((rng.next_u64() >> 40) as f64 / (1u64 << 23) as f64 - 1.0) as f32,
            })
            .collect();
        (Vec::new(), f)
    } else {
        let bits = t.bits();
        let (min, max) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
        let span = (max - min + 1) as u64;
        let ints = (0..n)
            .map(|i| match i % 101 {
                0 => min as i32,
                1 => max as i32,
                _ => (min + (rng.next_u64() % span) as i64) as i32,
            })
            .collect();
        (ints, Vec::new())
    }
}

static FLAC_NOTE: Once = Once::new();

/// True when `e` is the placeholder FLAC writer's refusal (skip, with a note once).
fn flac_writer_missing(spec: &WriterSpec, e: &WriteError) -> bool {
    let missing = spec.format == OutputFormat::Flac && e.to_string().contains("in progress");
    if missing {
        FLAC_NOTE.call_once(|| eprintln!("note: FLAC writer not there yet ({e}); FLAC round trips skipped"));
    }
    missing
}

/// Writes a trip to `dir`; `Ok(None)` when the FLAC writer is not there yet.
fn write(dir: &Path, t: &Trip, ints: &[i32], floats: &[f32]) -> Result<Option<PathBuf>, String> {
    let path = dir.join(format!("trip.{}", t.spec.format.extension()));
    let sink = Box::new(BufWriter::new(File::create(&path).map_err(|e| e.to_string())?));
    let mut w = match create_writer(sink, t.spec) {
        Ok(w) => w,
        Err(e) if flac_writer_missing(&t.spec, &e) => return Ok(None),
        Err(e) => return Err(format!("create_writer: {e}")),
    };
    // Several calls of uneven size, as a real writer loop makes them.
    let ch = t.spec.channels as usize;
    let step = (t.seed as usize % 700 + 1) * ch;
    if t.spec.sample.is_float() {
        for part in floats.chunks(step) {
            w.write_f32(part).map_err(|e| format!("write_f32: {e}"))?;
        }
    } else if t.via_f32 {
        let f: Vec<f32> = ints.iter().map(|&v| int_to_f32(v, t.bits())).collect();
        for part in f.chunks(step) {
            w.write_f32(part).map_err(|e| format!("write_f32: {e}"))?;
        }
    } else {
        for part in ints.chunks(step) {
            w.write_i32(part).map_err(|e| format!("write_i32: {e}"))?;
        }
    }
    w.finish().map_err(|e| format!("finish: {e}"))?;
    Ok(Some(path))
}

/// The sample format a reader reports for what `spec` wrote.
fn expected_sample_format(spec: &WriterSpec) -> SampleFormat {
    if spec.format == OutputFormat::Flac {
        SampleFormat::for_int_bits(spec.valid_bits()).unwrap()
    } else {
        spec.sample
    }
}

fn check_trip(t: &Trip) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let (ints, floats) = samples(t);
    let Some(path) = write(dir.path(), t, &ints, &floats).map_err(TestCaseError::fail)? else {
        return Ok(());
    };
    let mut file = AudioFile::open(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let info = file.info().clone();
    prop_assert_eq!(info.sample_rate(), t.spec.sample_rate);
    prop_assert_eq!(info.channels(), t.spec.channels as usize);
    prop_assert_eq!(info.frames, Some(t.frames as u64));
    prop_assert_eq!(info.bits_per_sample, Some(t.bits()));
    prop_assert_eq!(info.sample_format, Some(expected_sample_format(&t.spec)));
    let got_f = file.read_all().map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(file.take_warnings().is_empty());
    let mut file = AudioFile::open(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let got_i = file.read_all_i32().map_err(|e| TestCaseError::fail(e.to_string()))?;
    if t.spec.sample.is_float() {
        prop_assert!(got_f == floats, "read_f32 differs from what was written");
        // Float streams come out of read_i32 scaled to 32 bits (rounding may differ by one).
        prop_assert_eq!(got_i.len(), floats.len());
        for (i, (&g, &f)) in got_i.iter().zip(&floats).enumerate() {
            let want = f32_to_int(f, 32);
            prop_assert!((g as i64 - want as i64).abs() <= 1, "read_i32 sample {}: {} for {} (want {})", i, g, f, want);
        }
    } else {
        prop_assert!(got_i == ints, "read_i32 differs from what was written");
        let want_f: Vec<f32> = ints.iter().map(|&v| int_to_f32(v, t.bits())).collect();
        prop_assert!(got_f == want_f, "read_f32 differs from int_to_f32 of what was written");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_writer_reads_back_bit_exactly(t in trip_strategy()) {
        check_trip(&t)?;
    }
}

/// Every (format, sample format, odd depth) combination once, so that none is
/// left to chance.
#[test]
fn every_combination_once() {
    let mut n = 0;
    for format in FORMATS {
        for sample in SAMPLES {
            if !format.supports(sample) {
                let spec = WriterSpec::new(format, 44100, 1, sample);
                assert!(create_writer(Box::new(Cursor::new(Vec::new())), spec).is_err(), "{spec:?} must be refused");
                continue;
            }
            for bits in [None, odd_bits(sample, 3)].into_iter().collect::<std::collections::BTreeSet<_>>() {
                for channels in [1u16, 2, 3, 8] {
                    let spec = WriterSpec { format, sample_rate: 44100, channels, sample, bits, expected_frames: None };
                    let t = Trip { spec, frames: 777, seed: n + 1, via_f32: false };
                    check_trip(&t).unwrap_or_else(|e| panic!("{t:?}: {e}"));
                    n += 1;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Independent readers.

/// symphonia's decode as interleaved full-scale i32 (integers) or f32 (floats).
fn symphonia_decode(path: &Path, float: bool) -> Result<(Vec<i32>, Vec<f32>), String> {
    use symphonia::core::codecs::audio::AudioDecoderOptions;
    use symphonia::core::errors::Error;
    use symphonia::core::formats::probe::Hint;
    use symphonia::core::formats::{FormatOptions, TrackType};
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;

    let file = File::open(path).map_err(|e| e.to_string())?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let mut format = symphonia::default::get_probe()
        .probe(&hint, mss, FormatOptions::default(), MetadataOptions::default())
        .map_err(|e| format!("symphonia probe: {e}"))?;
    let track = format.default_track(TrackType::Audio).ok_or("symphonia: no audio track")?;
    let id = track.id;
    let params = track.codec_params.as_ref().and_then(|p| p.audio()).ok_or("symphonia: no audio parameters")?;
    let mut dec = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .map_err(|e| format!("symphonia decoder: {e}"))?;
    let (mut ints, mut floats) = (Vec::new(), Vec::new());
    let (mut ti, mut tf): (Vec<i32>, Vec<f32>) = (Vec::new(), Vec::new());
    loop {
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(format!("symphonia packet: {e}")),
        };
        if packet.track_id != id {
            continue;
        }
        let buf = dec.decode(&packet).map_err(|e| format!("symphonia decode: {e}"))?;
        if float {
            tf.resize(buf.samples_interleaved(), 0.0);
            buf.copy_to_slice_interleaved(&mut tf);
            floats.extend_from_slice(&tf);
        } else {
            ti.resize(buf.samples_interleaved(), 0);
            buf.copy_to_slice_interleaved(&mut ti);
            ints.extend_from_slice(&ti);
        }
    }
    Ok((ints, floats))
}

fn check_independent(t: &Trip) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let (ints, floats) = samples(t);
    let Some(path) = write(dir.path(), t, &ints, &floats).map_err(TestCaseError::fail)? else {
        return Ok(());
    };
    let float = t.spec.sample.is_float();
    let shift = 32 - t.bits().min(32);
    // symphonia, every format; ffmpeg for what symphonia does not support (8-bit CAF).
    let (si, sf) = match symphonia_decode(&path, float) {
        Err(e) if e.contains("unsupported") && have("ffmpeg") => {
            let r = if float {
                (Vec::new(), tools::ffmpeg_f32(&path).map_err(TestCaseError::fail)?)
            } else {
                (tools::ffmpeg_s32(&path).map_err(TestCaseError::fail)?, Vec::new())
            };
            eprintln!("note: {e}; ffmpeg used instead for {:?}", t.spec);
            r
        }
        r => r.map_err(|e| TestCaseError::fail(format!("{t:?}: {e}")))?,
    };
    if float {
        prop_assert!(sf == floats, "symphonia reads other floats ({} vs {} samples)", sf.len(), floats.len());
    } else {
        let want: Vec<i32> = ints.iter().map(|&v| ((v as i64) << shift) as i32).collect();
        if si != want {
            let i = si.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(si.len().min(want.len()));
            return Err(TestCaseError::fail(format!(
                "symphonia: {} samples (want {}), first difference at {i}: {:?} vs {:?}",
                si.len(),
                want.len(),
                si.get(i),
                want.get(i)
            )));
        }
    }
    // hound, WAV files it understands (not odd depths in WAVE_FORMAT_EXTENSIBLE, not f64).
    if t.spec.format == OutputFormat::Wav && t.spec.bits.is_none() && t.spec.sample != SampleFormat::F64 {
        let r = hound::WavReader::open(&path).map_err(|e| TestCaseError::fail(format!("hound: {e}")))?;
        prop_assert_eq!(r.spec().channels, t.spec.channels);
        prop_assert_eq!(r.spec().sample_rate, t.spec.sample_rate);
        if float {
            let h: Vec<f32> = r.into_samples::<f32>().collect::<Result<_, _>>().unwrap();
            prop_assert!(h == floats, "hound reads other floats");
        } else {
            let h: Vec<i32> = r.into_samples::<i32>().collect::<Result<_, _>>().unwrap();
            prop_assert!(h == ints, "hound reads other integers");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn independent_readers_agree(t in trip_strategy().prop_filter("symphonia needs audio", |t| t.frames > 0)) {
        check_independent(&t)?;
    }
}

// ---------------------------------------------------------------------------
// chunks, read_all and seek.

/// A PCM file from the project's writers, or a FLAC file from the `flac` tool
/// (or the project's FLAC writer when it exists).
fn seek_file(dir: &Path, kind: usize, channels: u16, frames: usize, seed: u64) -> Option<PathBuf> {
    let format = FORMATS[kind % 4];
    let sample = [SampleFormat::S16, SampleFormat::S24, SampleFormat::F32, SampleFormat::U8][kind / 4 % 4];
    let sample = if format == OutputFormat::Flac && sample.is_float() { SampleFormat::S16 } else { sample };
    let spec = WriterSpec::new(format, 48000, channels, sample);
    let t = Trip { spec, frames, seed, via_f32: false };
    let (ints, floats) = samples(&t);
    if let Some(p) = write(dir, &t, &ints, &floats).expect("write") {
        return Some(p);
    }
    // The FLAC writer is not there yet: the reference encoder.
    if !have("flac") {
        return None;
    }
    let t = Trip { spec: WriterSpec { sample: SampleFormat::S16, ..spec }, frames, seed, via_f32: false };
    let (ints, _) = samples(&t);
    let raw = dir.join("in.raw");
    let bytes: Vec<u8> = ints.iter().flat_map(|v| (*v as i16).to_le_bytes()).collect();
    std::fs::write(&raw, bytes).unwrap();
    let path = dir.join("ref.flac");
    let blocksize = ["--blocksize=192", "--blocksize=576", "--blocksize=4096"][seed as usize % 3];
    tools::run(
        Command::new("flac")
            .args(["--silent", "--force", "--force-raw-format", "--endian=little", "--sign=signed", "--bps=16"])
            .arg(blocksize)
            .arg(format!("--channels={channels}"))
            .arg("--sample-rate=48000")
            .arg("-o")
            .arg(&path)
            .arg(&raw),
    )
    .expect("flac");
    Some(path)
}

fn check_seek(
    kind: usize,
    channels: u16,
    frames: usize,
    seed: u64,
    targets: &[u64],
    chunk: usize,
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let Some(path) = seek_file(dir.path(), kind, channels, frames, seed) else {
        return Ok(());
    };
    let ch = channels as usize;
    let mut file = AudioFile::open(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let all = file.read_all().map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(all.len(), frames * ch);

    let mut file = AudioFile::open(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut joined = Vec::new();
    for c in file.chunks(chunk) {
        let c = c.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(!c.is_empty() && c.len() <= chunk * ch && c.len() % ch == 0);
        joined.extend_from_slice(&c);
    }
    prop_assert!(joined == all, "chunks({}) differ from read_all", chunk);

    // Seek from wherever the previous read left off, then read a little.
    let mut file = AudioFile::open(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut buf = vec![0f32; chunk * ch];
    for &target in targets {
        let target = target % (frames as u64 + 2);
        let landed = file.seek(target).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(landed, target.min(frames as u64), "seek({}) landed elsewhere", target);
        let n = file.read_f32(&mut buf).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let from = landed as usize * ch;
        let want = &all[from..(from + chunk * ch).min(all.len())];
        prop_assert_eq!(n * ch, want.len(), "frames read after seek({})", target);
        prop_assert!(&buf[..n * ch] == want, "samples after seek({}) differ from read_all()[{}..]", target, landed);
    }
    // And the whole rest after one seek equals the tail.
    let n0 = targets.first().copied().unwrap_or(0) % (frames as u64 + 1);
    file.seek(n0).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let rest = file.read_all().map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(rest[..] == all[n0 as usize * ch..], "read_all after seek({}) differs from the tail", n0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn seek_chunks_and_read_all_agree(
        kind in 0usize..16,
        channels in 1u16..=8,
        frames in 0usize..12000,
        seed in any::<u64>(),
        targets in prop::collection::vec(any::<u64>(), 1..6),
        chunk in 1usize..5000,
    ) {
        check_seek(kind, channels, frames, seed, &targets, chunk)?;
    }
}

/// An empty stream of every writer reads back as 0 frames (a FLAC whose
/// STREAMINFO says 0 samples and holds no frame is empty, not of unknown length).
#[test]
fn empty_files_read_back_as_zero_frames() {
    for format in [OutputFormat::Wav, OutputFormat::Aiff, OutputFormat::Caf, OutputFormat::Flac] {
        for sample in [SampleFormat::U8, SampleFormat::S16, SampleFormat::S24] {
            let t = Trip { spec: WriterSpec::new(format, 8000, 1, sample), frames: 0, seed: 0, via_f32: false };
            if let Err(e) = check_trip(&t) {
                panic!("{format:?} {sample:?}: {e}");
            }
        }
    }
}
