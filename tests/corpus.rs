//! The format corpus: every container/codec variant the readers claim,
//! generated at test time by the project's own writers, hound, sox, flac and
//! ffmpeg (a case whose tool or encoder is missing is skipped with a note).
//!
//! For each file: `inspect` must report the right container, codec, rate,
//! channels, bits, sample format and frame count (exact for PCM and lossless
//! codecs), and decoding through `AudioFile` must match an independent
//! reference — hound for WAV, `ffmpeg -f s32le`/`f32le` for everything else
//! — bit-exactly for PCM, G.711, ADPCM and lossless codecs, sample-aligned
//! with an SNR of at least 60 dB for lossy ones. Where the samples that went
//! in are known exactly they are checked too. Finally `coremusic info --json`
//! runs on the whole corpus at once: one valid JSON line per file, right
//! fields, exit 0.
//!
//! Failures are collected and reported together, one line per case.

#![allow(clippy::type_complexity)] // the variant tables are tuples on purpose: one line per file

mod common;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::tools::{self, ffmpeg, have, run};
use coremusic::format::{int_to_f32, SampleFormat};
use coremusic::io::{create_writer, inspect, AudioFile, OutputFormat, WriterSpec};

const RATE: u32 = 44100;
/// 0.1 s: short enough to keep the corpus fast, longer than one FLAC block.
const FRAMES: usize = 4410;
/// Lossy cases: long enough for a stable SNR.
const LOSSY_FRAMES: usize = 22050;

/// What went into a file, when known exactly.
#[derive(Clone, Debug)]
enum Source {
    /// Right-justified integers of the file's significant bits.
    Int(Vec<i32>),
    /// Float samples.
    Float(Vec<f32>),
    /// What went into a lossy codec (for alignment and distance, not equality).
    Lossy(Vec<f32>),
}

/// How the independent reference decodes a file.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Reference {
    /// hound (WAV with int or f32 samples); ffmpeg when hound refuses the file.
    Hound,
    /// `ffmpeg -f s32le`, shifted down to the file's bits: must be bit-exact.
    FfmpegInt,
    /// `ffmpeg -f f32le`: must be bit-exact.
    FfmpegFloat,
    /// `sox -t raw`, shifted down to the file's bits: must be bit-exact.
    Sox,
    /// `ffmpeg -f s32le` for a codec where decoders legitimately differ a
    /// little (Apple ima4: ffmpeg carries the predictor across packets when the
    /// header agrees within 127, CoreMusic decodes each packet alone, which
    /// makes seeking exact): same length, at least as close to the input as
    /// ffmpeg, SNR against ffmpeg ≥ 40 dB (about 47 dB is measured; the codec
    /// itself is at about 26 dB from the input).
    FfmpegNear,
    /// `ffmpeg -f f32le`: same length, SNR ≥ 60 dB.
    FfmpegLossy,
}

/// One corpus file and what it must give.
#[derive(Clone, Debug)]
struct Case {
    name: String,
    path: PathBuf,
    container: &'static str,
    codec: &'static str,
    rate: u32,
    channels: u32,
    bits: Option<u32>,
    sample_format: Option<&'static str>,
    /// Exact frame count (`None` for lossy codecs, where it is an estimate).
    frames: Option<u64>,
    source: Source,
    reference: Reference,
}

/// Cases whose checks found a bug in src/: left out of the main run and
/// run alone by an `#[ignore = "BUG: ..."]` test below.
const KNOWN_BUGS: &[&str] = &[];

type Made = Vec<Result<Case, String>>;

fn sample_name(bits: u32, float: bool) -> &'static str {
    match (float, bits) {
        (true, 64) => "f64",
        (true, _) => "f32",
        (false, 1..=8) => "u8",
        (false, 9..=16) => "s16",
        (false, 17..=24) => "s24",
        _ => "s32",
    }
}

/// A linear PCM / lossless case with exact expectations.
#[allow(clippy::too_many_arguments)]
fn lossless(
    name: String,
    path: PathBuf,
    container: &'static str,
    codec: &'static str,
    channels: u32,
    bits: u32,
    float: bool,
    source: Source,
    reference: Reference,
) -> Case {
    let frames = match &source {
        Source::Int(v) => v.len() / channels as usize,
        Source::Float(v) => v.len() / channels as usize,
        Source::Lossy(_) => FRAMES,
    } as u64;
    Case {
        name,
        path,
        container,
        codec,
        rate: RATE,
        channels,
        bits: Some(bits),
        sample_format: Some(sample_name(bits, float)),
        frames: Some(frames),
        source,
        reference,
    }
}

/// Writes `source` with the project's own writer.
fn write_ours(
    path: &Path,
    format: OutputFormat,
    sample: SampleFormat,
    bits: Option<u32>,
    ch: u16,
    src: &Source,
) -> Result<(), String> {
    let sink = Box::new(BufWriter::new(File::create(path).map_err(|e| e.to_string())?));
    let spec = WriterSpec { format, sample_rate: RATE, channels: ch, sample, bits, expected_frames: None };
    let mut w = create_writer(sink, spec).map_err(|e| format!("create_writer {spec:?}: {e}"))?;
    match src {
        Source::Int(v) => w.write_i32(v),
        Source::Float(v) => w.write_f32(v),
        Source::Lossy(_) => unreachable!(),
    }
    .map_err(|e| e.to_string())?;
    w.finish().map_err(|e| e.to_string())
}

/// Raw input for the command-line tools: integers as full-scale s32le, or f32le.
fn raw_input(dir: &Path, name: &str, src: &Source, bits: u32) -> PathBuf {
    let path = dir.join(format!("{name}.raw"));
    let bytes = match src {
        Source::Int(v) => {
            let shifted: Vec<i32> = v.iter().map(|&x| x << (32 - bits)).collect();
            tools::s32le_bytes(&shifted)
        }
        Source::Float(v) | Source::Lossy(v) => tools::f32le_bytes(v),
    };
    std::fs::write(&path, bytes).expect("write raw input");
    path
}

/// `ffmpeg -f s32le|f32le -ar R -ac C -i raw ARGS out`.
fn ffmpeg_from_raw(raw: &Path, float: bool, rate: u32, ch: u32, args: &[&str], out: &Path) -> Result<(), String> {
    run(ffmpeg()
        .args(["-f", if float { "f32le" } else { "s32le" }, "-ar", &rate.to_string(), "-ac", &ch.to_string(), "-i"])
        .arg(raw)
        .args(args)
        .arg(out))
    .map(|_| ())
}

fn int_src(ch: usize, bits: u32, seed: u64) -> Source {
    Source::Int(tools::int_signal(FRAMES, ch, bits, seed))
}

fn float_src(ch: usize, seed: u64) -> Source {
    Source::Float(tools::float_signal(FRAMES, ch, seed))
}

// ---------------------------------------------------------------------------
// Producers.

/// A G.711 or ADPCM file from ffmpeg. These decode to 16 bits and must match
/// the reference decoder bit-exactly, except where decoders legitimately
/// differ (see [`Reference::FfmpegNear`]; IMA in WAV is checked against sox,
/// since ffmpeg's IMA WAV decoder multiplies instead of the reference
/// shift-and-add and is a few LSB off).
#[allow(clippy::too_many_arguments)]
fn coded(
    dir: &Path,
    name: &str,
    ext: &str,
    mux: &[&str],
    enc: &str,
    container: &'static str,
    codec: &'static str,
    ch: u32,
    seed: u64,
) -> Result<Case, String> {
    let Source::Int(input) = int_src(ch as usize, 16, seed) else { unreachable!() };
    let raw = raw_input(dir, name, &Source::Int(input.clone()), 16);
    let path = dir.join(format!("{name}.{ext}"));
    let mut args = vec!["-c:a", enc];
    args.extend_from_slice(mux);
    ffmpeg_from_raw(&raw, false, RATE, ch, &args, &path)?;
    let adpcm = codec.contains("adpcm");
    let reference = match (codec, container) {
        ("ima_adpcm", "wav") if have("sox") => Reference::Sox,
        ("ima_adpcm", "wav") => Reference::FfmpegNear,
        ("ima_adpcm", _) => Reference::FfmpegNear,
        _ => Reference::FfmpegInt,
    };
    Ok(Case {
        name: name.into(),
        path,
        container,
        codec,
        rate: RATE,
        channels: ch,
        bits: Some(16),
        sample_format: Some("s16"),
        // ADPCM files may end in a padded block: the count is checked against decoding.
        frames: if adpcm { None } else { Some(FRAMES as u64) },
        source: Source::Lossy(input.iter().map(|&v| int_to_f32(v, 16)).collect()),
        reference,
    })
}

/// WAV, AIFF and CAF from the project's own writers.
fn ours(dir: &Path) -> Made {
    let mut made = Vec::new();
    let variants: [(SampleFormat, Option<u32>, u16); 10] = [
        (SampleFormat::U8, None, 1),
        (SampleFormat::S16, None, 2),
        (SampleFormat::S24, None, 2),
        (SampleFormat::S32, None, 2),
        (SampleFormat::F32, None, 2),
        (SampleFormat::F64, None, 1),
        (SampleFormat::S16, Some(12), 2),
        (SampleFormat::S24, Some(20), 2),
        (SampleFormat::S24, None, 6),
        (SampleFormat::S16, None, 8),
    ];
    for (format, container) in [(OutputFormat::Wav, "wav"), (OutputFormat::Aiff, "aiff"), (OutputFormat::Caf, "caf")] {
        for (i, &(sample, bits, ch)) in variants.iter().enumerate() {
            let b = bits.unwrap_or(sample.bits());
            let name = format!("ours-{container}-{sample}-{b}bit-{ch}ch");
            let path = dir.join(format!("{name}.{}", format.extension()));
            let src =
                if sample.is_float() { float_src(ch as usize, i as u64) } else { int_src(ch as usize, b, i as u64) };
            let container = if format == OutputFormat::Aiff && sample.is_float() { "aifc" } else { container };
            made.push(write_ours(&path, format, sample, bits, ch, &src).map(|_| {
                let reference = if format == OutputFormat::Wav {
                    Reference::Hound
                } else if sample.is_float() {
                    Reference::FfmpegFloat
                } else {
                    Reference::FfmpegInt
                };
                lossless(name, path, container, "pcm", ch as u32, b, sample.is_float(), src, reference)
            }));
        }
    }
    // FLAC: the writer may not exist yet (a placeholder refusing everything).
    for (bits, ch) in [(8u32, 1u16), (16, 2), (24, 2), (20, 6), (12, 1)] {
        let sample = SampleFormat::for_int_bits(bits).unwrap();
        let name = format!("ours-flac-{bits}bit-{ch}ch");
        let path = dir.join(format!("{name}.flac"));
        let src = int_src(ch as usize, bits, bits as u64);
        let bits_opt = (bits != sample.bits()).then_some(bits);
        made.push(match write_ours(&path, OutputFormat::Flac, sample, bits_opt, ch, &src) {
            Err(e) if e.contains("in progress") => Err(format!("{name}: the FLAC writer is not there yet ({e})")),
            r => r.map(|_| lossless(name, path, "flac", "flac", ch as u32, bits, false, src, Reference::FfmpegInt)),
        });
    }
    made
}

/// WAV from hound.
fn hound_wavs(dir: &Path) -> Made {
    let mut made = Vec::new();
    for (i, (bits, float, ch)) in
        [(8u16, false, 1u16), (16, false, 2), (24, false, 2), (32, false, 1), (32, true, 2), (16, false, 6)]
            .into_iter()
            .enumerate()
    {
        let name = format!("hound-wav-{}{bits}-{ch}ch", if float { "f" } else { "i" });
        let path = dir.join(format!("{name}.wav"));
        let spec = hound::WavSpec {
            channels: ch,
            sample_rate: RATE,
            bits_per_sample: bits,
            sample_format: if float { hound::SampleFormat::Float } else { hound::SampleFormat::Int },
        };
        let src = if float {
            float_src(ch as usize, 100 + i as u64)
        } else {
            int_src(ch as usize, bits as u32, 100 + i as u64)
        };
        let write = || -> Result<(), hound::Error> {
            let mut w = hound::WavWriter::create(&path, spec)?;
            match &src {
                Source::Int(v) => v.iter().try_for_each(|&s| w.write_sample(s))?,
                Source::Float(v) => v.iter().try_for_each(|&s| w.write_sample(s))?,
                Source::Lossy(_) => unreachable!(),
            }
            w.finalize()
        };
        made.push(
            write()
                .map_err(|e| format!("{name}: hound: {e}"))
                .map(|_| lossless(name, path, "wav", "pcm", ch as u32, bits as u32, float, src, Reference::Hound)),
        );
    }
    made
}

/// WAV family files from ffmpeg: every PCM depth, G.711, ADPCM, RF64, W64.
fn ffmpeg_wavs(dir: &Path) -> Made {
    if !have("ffmpeg") {
        return vec![Err("ffmpeg is not installed: no ffmpeg WAV cases".into())];
    }
    let mut made = Vec::new();
    // (name, codec args, container ext/format args, container, codec, channels, bits, float, source known)
    let pcm: [(&str, &[&str], &str, &'static str, u32, u32, bool); 10] = [
        ("ff-wav-u8", &["-c:a", "pcm_u8"], "wav", "wav", 2, 8, false),
        ("ff-wav-s16", &["-c:a", "pcm_s16le"], "wav", "wav", 2, 16, false),
        ("ff-wav-s24", &["-c:a", "pcm_s24le"], "wav", "wav", 2, 24, false),
        ("ff-wav-s32", &["-c:a", "pcm_s32le"], "wav", "wav", 1, 32, false),
        ("ff-wav-f32", &["-c:a", "pcm_f32le"], "wav", "wav", 2, 32, true),
        ("ff-wav-f64", &["-c:a", "pcm_f64le"], "wav", "wav", 2, 64, true),
        ("ff-wav-s16-6ch", &["-c:a", "pcm_s16le"], "wav", "wav", 6, 16, false),
        ("ff-rf64-s24", &["-c:a", "pcm_s24le", "-rf64", "always"], "wav", "rf64", 2, 24, false),
        ("ff-w64-s16", &["-c:a", "pcm_s16le", "-f", "w64"], "w64", "w64", 2, 16, false),
        ("ff-w64-f32", &["-c:a", "pcm_f32le", "-f", "w64"], "w64", "w64", 1, 32, true),
    ];
    for (i, (name, args, ext, container, ch, bits, float)) in pcm.into_iter().enumerate() {
        let src =
            if float { float_src(ch as usize, 200 + i as u64) } else { int_src(ch as usize, bits, 200 + i as u64) };
        let raw = raw_input(dir, name, &src, bits);
        let path = dir.join(format!("{name}.{ext}"));
        let reference = match (container, float) {
            ("wav", _) => Reference::Hound,
            (_, true) => Reference::FfmpegFloat,
            _ => Reference::FfmpegInt,
        };
        made.push(
            ffmpeg_from_raw(&raw, float, RATE, ch, args, &path)
                .map(|_| lossless(name.into(), path, container, "pcm", ch, bits, float, src, reference)),
        );
    }
    for (i, (enc, codec, ch)) in [
        ("pcm_alaw", "alaw", 1),
        ("pcm_mulaw", "ulaw", 2),
        ("adpcm_ima_wav", "ima_adpcm", 2),
        ("adpcm_ms", "ms_adpcm", 2),
    ]
    .into_iter()
    .enumerate()
    {
        made.push(coded(dir, &format!("ff-wav-{codec}"), "wav", &["-f", "wav"], enc, "wav", codec, ch, 300 + i as u64));
    }
    made
}

/// RIFX, W64 and WAV from sox.
fn sox_files(dir: &Path) -> Made {
    if !have("sox") {
        return vec![Err("sox is not installed: no sox cases".into())];
    }
    let mut made = Vec::new();
    // (name, out ext, out args, container, channels, bits, float)
    let list: [(&str, &str, &[&str], &'static str, u32, u32, bool); 9] = [
        ("sox-rifx-s16", "wav", &["-B", "-b", "16"], "rifx", 2, 16, false),
        ("sox-rifx-s24", "wav", &["-B", "-b", "24"], "rifx", 1, 24, false),
        ("sox-w64-s24", "w64", &["-b", "24"], "w64", 2, 24, false),
        ("sox-wav-s24", "wav", &["-b", "24"], "wav", 2, 24, false),
        ("sox-aiff-s8", "aiff", &["-b", "8"], "aiff", 1, 8, false),
        ("sox-aiff-s16", "aiff", &["-b", "16"], "aiff", 2, 16, false),
        ("sox-aiff-s24", "aiff", &["-b", "24"], "aiff", 2, 24, false),
        ("sox-aiff-s32", "aiff", &["-b", "32"], "aiff", 1, 32, false),
        ("sox-aifc-s16", "aifc", &["-b", "16"], "aifc", 2, 16, false),
    ];
    for (i, (name, ext, args, container, ch, bits, float)) in list.into_iter().enumerate() {
        let src = int_src(ch as usize, bits, 400 + i as u64);
        let raw = raw_input(dir, name, &src, bits);
        let path = dir.join(format!("{name}.{ext}"));
        let r = run(Command::new("sox")
            .args(["-D", "-t", "raw", "-e", "signed-integer", "-b", "32", "-L", "-r", &RATE.to_string()])
            .args(["-c", &ch.to_string()])
            .arg(&raw)
            .args(args)
            .arg(&path));
        // ffmpeg 5.1 reads sox's RIFX samples as little-endian: sox is the reference there.
        let reference = match container {
            "wav" => Reference::Hound,
            "rifx" => Reference::Sox,
            _ => Reference::FfmpegInt,
        };
        made.push(r.map(|_| lossless(name.into(), path, container, "pcm", ch, bits, float, src, reference)));
    }
    made
}

/// AIFF and AIFF-C from ffmpeg: s8, big-endian ints, sowt, fl32, fl64, G.711, ima4.
fn ffmpeg_aiffs(dir: &Path) -> Made {
    if !have("ffmpeg") {
        return vec![Err("ffmpeg is not installed: no ffmpeg AIFF cases".into())];
    }
    let mut made = Vec::new();
    let pcm: [(&str, &str, &'static str, u32, u32, bool); 7] = [
        ("ff-aiff-s8", "pcm_s8", "aiff", 1, 8, false),
        ("ff-aiff-s16", "pcm_s16be", "aiff", 2, 16, false),
        ("ff-aiff-s24", "pcm_s24be", "aiff", 2, 24, false),
        ("ff-aiff-s32", "pcm_s32be", "aiff", 2, 32, false),
        ("ff-aifc-sowt", "pcm_s16le", "aifc", 2, 16, false),
        ("ff-aifc-fl32", "pcm_f32be", "aifc", 2, 32, true),
        ("ff-aifc-fl64", "pcm_f64be", "aifc", 1, 64, true),
    ];
    for (i, (name, enc, container, ch, bits, float)) in pcm.into_iter().enumerate() {
        let src =
            if float { float_src(ch as usize, 500 + i as u64) } else { int_src(ch as usize, bits, 500 + i as u64) };
        let raw = raw_input(dir, name, &src, bits);
        let path = dir.join(format!("{name}.aiff"));
        let reference = if float { Reference::FfmpegFloat } else { Reference::FfmpegInt };
        made.push(
            ffmpeg_from_raw(&raw, float, RATE, ch, &["-c:a", enc, "-f", "aiff"], &path)
                .map(|_| lossless(name.into(), path, container, "pcm", ch, bits, float, src, reference)),
        );
    }
    for (i, (enc, codec, ch)) in
        [("pcm_mulaw", "ulaw", 1), ("pcm_alaw", "alaw", 2), ("adpcm_ima_qt", "ima_adpcm", 2)].into_iter().enumerate()
    {
        made.push(coded(
            dir,
            &format!("ff-aifc-{codec}"),
            "aiff",
            &["-f", "aiff"],
            enc,
            "aifc",
            codec,
            ch,
            600 + i as u64,
        ));
    }
    made
}

/// CAF from ffmpeg: lpcm in both byte orders, int and float, and ALAC.
fn ffmpeg_cafs(dir: &Path) -> Made {
    if !have("ffmpeg") {
        return vec![Err("ffmpeg is not installed: no ffmpeg CAF cases".into())];
    }
    let mut made = Vec::new();
    let list: [(&str, &[&str], &'static str, u32, u32, bool); 10] = [
        ("ff-caf-s16be", &["-c:a", "pcm_s16be"], "pcm", 2, 16, false),
        ("ff-caf-s16le", &["-c:a", "pcm_s16le"], "pcm", 2, 16, false),
        ("ff-caf-s24le", &["-c:a", "pcm_s24le"], "pcm", 1, 24, false),
        ("ff-caf-s24be", &["-c:a", "pcm_s24be"], "pcm", 2, 24, false),
        ("ff-caf-s32be", &["-c:a", "pcm_s32be"], "pcm", 2, 32, false),
        ("ff-caf-f32le", &["-c:a", "pcm_f32le"], "pcm", 2, 32, true),
        ("ff-caf-f32be", &["-c:a", "pcm_f32be"], "pcm", 1, 32, true),
        ("ff-caf-f64le", &["-c:a", "pcm_f64le"], "pcm", 2, 64, true),
        ("ff-caf-alac16", &["-c:a", "alac", "-sample_fmt", "s16p"], "alac", 2, 16, false),
        ("ff-caf-alac24", &["-c:a", "alac", "-sample_fmt", "s32p"], "alac", 2, 24, false),
    ];
    for (i, (name, args, codec, ch, bits, float)) in list.into_iter().enumerate() {
        let src =
            if float { float_src(ch as usize, 700 + i as u64) } else { int_src(ch as usize, bits, 700 + i as u64) };
        let raw = raw_input(dir, name, &src, bits);
        let path = dir.join(format!("{name}.caf"));
        let reference = if float { Reference::FfmpegFloat } else { Reference::FfmpegInt };
        made.push(
            ffmpeg_from_raw(&raw, float, RATE, ch, args, &path)
                .map(|_| lossless(name.into(), path, "caf", codec, ch, bits, float, src, reference)),
        );
    }
    for (i, (enc, codec, ch)) in
        [("pcm_mulaw", "ulaw", 2), ("pcm_alaw", "alaw", 1), ("adpcm_ima_qt", "ima_adpcm", 1)].into_iter().enumerate()
    {
        made.push(coded(dir, &format!("ff-caf-{codec}"), "caf", &["-f", "caf"], enc, "caf", codec, ch, 650 + i as u64));
    }
    made
}

/// FLAC from the reference encoder (8/16/24 bits × 1..8 channels, and 12 and
/// 20 bits from WAV input), ffmpeg (native and in Ogg) and sox.
fn flac_files(dir: &Path) -> Made {
    let mut made = Vec::new();
    if !have("flac") {
        made.push(Err("flac is not installed: no reference-encoder FLAC cases".into()));
    } else {
        for bits in [8u32, 16, 24] {
            for ch in 1..=8u32 {
                let name = format!("flac-{bits}bit-{ch}ch");
                let src = tools::int_signal(FRAMES, ch as usize, bits, (bits * 10 + ch) as u64);
                let bytes: Vec<u8> = src.iter().flat_map(|v| v.to_le_bytes()[..bits as usize / 8].to_vec()).collect();
                let raw = dir.join(format!("{name}.raw"));
                std::fs::write(&raw, bytes).unwrap();
                let path = dir.join(format!("{name}.flac"));
                let r = run(Command::new("flac")
                    .args(["--silent", "--force", "--force-raw-format", "--endian=little", "--sign=signed"])
                    .arg(format!("--channels={ch}"))
                    .arg(format!("--bps={bits}"))
                    .arg(format!("--sample-rate={RATE}"))
                    .arg("-o")
                    .arg(&path)
                    .arg(&raw));
                made.push(r.map(|_| {
                    lossless(name, path, "flac", "flac", ch, bits, false, Source::Int(src), Reference::FfmpegInt)
                }));
            }
        }
        // Odd depths: the flac tool keeps a WAVE_FORMAT_EXTENSIBLE file's valid bits.
        for (bits, sample, ch) in [(12u32, SampleFormat::S16, 2u16), (20, SampleFormat::S24, 2)] {
            let name = format!("flac-{bits}bit-{ch}ch");
            let wav = dir.join(format!("{name}-in.wav"));
            let src = int_src(ch as usize, bits, bits as u64);
            let path = dir.join(format!("{name}.flac"));
            let r = write_ours(&wav, OutputFormat::Wav, sample, Some(bits), ch, &src).and_then(|_| {
                run(Command::new("flac").args(["--silent", "--force", "-o"]).arg(&path).arg(&wav)).map(|_| ())
            });
            made.push(
                r.map(|_| lossless(name, path, "flac", "flac", ch as u32, bits, false, src, Reference::FfmpegInt)),
            );
        }
    }
    if have("ffmpeg") {
        let list: [(&str, &[&str], &'static str, u32, u32); 3] = [
            ("ff-flac-s16", &["-c:a", "flac", "-sample_fmt", "s16"], "flac", 2, 16),
            ("ff-flac-s24", &["-c:a", "flac", "-sample_fmt", "s32", "-bits_per_raw_sample", "24"], "flac", 2, 24),
            ("ff-ogg-flac", &["-c:a", "flac", "-sample_fmt", "s16", "-f", "ogg"], "ogg", 2, 16),
        ];
        for (i, (name, args, container, ch, bits)) in list.into_iter().enumerate() {
            let src = int_src(ch as usize, bits, 800 + i as u64);
            let raw = raw_input(dir, name, &src, bits);
            let ext = if container == "ogg" { "oga" } else { "flac" };
            let path = dir.join(format!("{name}.{ext}"));
            made.push(
                ffmpeg_from_raw(&raw, false, RATE, ch, args, &path).map(|_| {
                    lossless(name.into(), path, container, "flac", ch, bits, false, src, Reference::FfmpegInt)
                }),
            );
        }
    }
    if have("sox") {
        let name = "sox-flac-s16";
        let src = int_src(2, 16, 900);
        let raw = raw_input(dir, name, &src, 16);
        let path = dir.join(format!("{name}.flac"));
        let r = run(Command::new("sox")
            .args(["-D", "-t", "raw", "-e", "signed-integer", "-b", "32", "-L", "-r", &RATE.to_string(), "-c", "2"])
            .arg(&raw)
            .args(["-b", "16"])
            .arg(&path));
        made.push(r.map(|_| lossless(name.into(), path, "flac", "flac", 2, 16, false, src, Reference::FfmpegInt)));
    }
    made
}

/// MP4 (ALAC, AAC), ADTS, MP3, Ogg Vorbis and Ogg Opus from ffmpeg.
fn ffmpeg_compressed(dir: &Path) -> Made {
    if !have("ffmpeg") {
        return vec![Err("ffmpeg is not installed: no compressed cases".into())];
    }
    let mut made = Vec::new();
    for (name, sample_fmt, bits) in [("ff-m4a-alac16", "s16p", 16u32), ("ff-m4a-alac24", "s32p", 24)] {
        let src = int_src(2, bits, bits as u64 + 1000);
        let raw = raw_input(dir, name, &src, bits);
        let path = dir.join(format!("{name}.m4a"));
        made.push(
            ffmpeg_from_raw(&raw, false, RATE, 2, &["-c:a", "alac", "-sample_fmt", sample_fmt], &path)
                .map(|_| lossless(name.into(), path, "mp4", "alac", 2, bits, false, src, Reference::FfmpegInt)),
        );
    }
    // (name, encoder, extra args, ext, container, codec, rate, channels)
    let lossy: [(&str, &str, &[&str], &str, &'static str, &'static str, u32, u32); 7] = [
        ("ff-m4a-aac", "aac", &["-b:a", "192k"], "m4a", "mp4", "aac", 44100, 2),
        ("ff-adts-aac", "aac", &["-b:a", "128k", "-f", "adts"], "aac", "adts", "aac", 48000, 2),
        ("ff-mp3", "libmp3lame", &["-b:a", "192k"], "mp3", "mp3", "mp3", 44100, 2),
        ("ff-mp3-mono", "libmp3lame", &["-q:a", "4"], "mp3", "mp3", "mp3", 22050, 1),
        ("ff-ogg-vorbis", "libvorbis", &["-q:a", "6"], "ogg", "ogg", "vorbis", 44100, 2),
        ("ff-ogg-opus", "libopus", &["-b:a", "128k"], "opus", "ogg", "opus", 48000, 2),
        ("ff-m4a-aac-mono", "aac", &["-b:a", "96k"], "m4a", "mp4", "aac", 32000, 1),
    ];
    for (name, enc, extra, ext, container, codec, rate, ch) in lossy {
        if !tools::ffmpeg_has_encoder(enc) {
            made.push(Err(format!("{name}: ffmpeg has no {enc} encoder")));
            continue;
        }
        let src = Source::Lossy(tools::tone_signal(LOSSY_FRAMES, ch as usize, rate));
        let raw = raw_input(dir, name, &src, 32);
        let path = dir.join(format!("{name}.{ext}"));
        let mut args = vec!["-c:a", enc];
        args.extend_from_slice(extra);
        let made_file = ffmpeg_from_raw(&raw, true, rate, ch, &args, &path);
        if made_file.is_ok() && codec == "opus" {
            // The Opus decoder is being built in a parallel branch: until it lands, skip with a note.
            if let Err(e) = coremusic::io::open(&path) {
                if e.to_string().contains("no Opus decoder") {
                    made.push(Err(format!("{name}: {e}")));
                    continue;
                }
            }
        }
        made.push(made_file.map(|_| Case {
            name: name.into(),
            path,
            container,
            codec,
            rate,
            channels: ch,
            bits: None,
            sample_format: None,
            frames: None,
            source: src,
            reference: Reference::FfmpegLossy,
        }));
    }
    made
}

// ---------------------------------------------------------------------------
// Checks.

/// Everything the corpus holds, generated in `dir` (families in parallel).
/// Returns the cases and the skip notes.
fn build(dir: &Path) -> (Vec<Case>, Vec<String>) {
    let producers: [fn(&Path) -> Made; 8] =
        [ours, hound_wavs, ffmpeg_wavs, sox_files, ffmpeg_aiffs, ffmpeg_cafs, flac_files, ffmpeg_compressed];
    let results: Vec<Made> = std::thread::scope(|s| {
        let handles: Vec<_> = producers.iter().map(|p| s.spawn(move || p(dir))).collect();
        handles.into_iter().map(|h| h.join().expect("producer panicked")).collect()
    });
    let (mut cases, mut notes) = (Vec::new(), Vec::new());
    for r in results.into_iter().flatten() {
        match r {
            Ok(c) => cases.push(c),
            Err(note) => notes.push(note),
        }
    }
    (cases, notes)
}

fn first_diff<T: PartialEq + std::fmt::Debug>(a: &[T], b: &[T]) -> String {
    if a.len() != b.len() {
        return format!("{} samples, reference has {}", a.len(), b.len());
    }
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => format!("sample {i}: {:?}, reference {:?}", a[i], b[i]),
        None => "equal".into(),
    }
}

/// hound's decode as right-justified integers or floats; `None` when hound refuses the file.
fn hound_decode(path: &Path) -> Option<Result<Source, String>> {
    let r = hound::WavReader::open(path).ok()?;
    let spec = r.spec();
    Some(
        match spec.sample_format {
            hound::SampleFormat::Int => r.into_samples::<i32>().collect::<Result<Vec<_>, _>>().map(Source::Int),
            hound::SampleFormat::Float => r.into_samples::<f32>().collect::<Result<Vec<_>, _>>().map(Source::Float),
        }
        .map_err(|e| format!("hound: {e}")),
    )
}

/// Checks one case; an error describes every problem found.
fn check(case: &Case) -> Result<String, String> {
    let mut problems = Vec::new();
    let mut note = String::new();
    let info = inspect(&case.path).map_err(|e| format!("inspect: {e}"))?;
    let got_sf = info.sample_format.map(|s| s.name());
    if info.container != case.container {
        problems.push(format!("container {} (want {})", info.container, case.container));
    }
    if info.codec != case.codec {
        problems.push(format!("codec {} (want {})", info.codec, case.codec));
    }
    if info.sample_rate != case.rate {
        problems.push(format!("rate {} (want {})", info.sample_rate, case.rate));
    }
    if info.channels != case.channels {
        problems.push(format!("channels {} (want {})", info.channels, case.channels));
    }
    if info.bits_per_sample != case.bits {
        problems.push(format!("bits {:?} (want {:?})", info.bits_per_sample, case.bits));
    }
    if got_sf != case.sample_format {
        problems.push(format!("sample_format {got_sf:?} (want {:?})", case.sample_format));
    }
    if case.frames.is_some() && info.frames != case.frames {
        problems.push(format!("frames {:?} (want {:?})", info.frames, case.frames));
    }
    if !info.warnings.is_empty() {
        problems.push(format!("warnings on a good file: {:?}", info.warnings));
    }

    let mut file = AudioFile::open(&case.path).map_err(|e| format!("open: {e}"))?;
    let floats = file.read_all().map_err(|e| format!("read_all: {e}"))?;
    let warnings = file.take_warnings();
    let mut file = AudioFile::open(&case.path).map_err(|e| format!("open: {e}"))?;
    let ints = file.read_all_i32().map_err(|e| format!("read_all_i32: {e}"))?;
    if !warnings.is_empty() {
        problems.push(format!("warnings while decoding a good file: {warnings:?}"));
    }
    let ch = case.channels as usize;
    if floats.len() % ch != 0 || ints.len() != floats.len() {
        problems.push(format!("read_all gave {} samples, read_all_i32 {}", floats.len(), ints.len()));
    }
    let decoded_frames = (floats.len() / ch) as u64;
    if let Some(f) = info.frames.filter(|_| case.reference != Reference::FfmpegLossy) {
        if f != decoded_frames {
            problems.push(format!("inspect says {f} frames, decoding gives {decoded_frames}"));
        }
    }

    // The samples that went in.
    match &case.source {
        Source::Int(want) => {
            if ints != *want {
                problems.push(format!("read_i32 vs written samples: {}", first_diff(&ints, want)));
            }
            let bits = case.bits.unwrap_or(32);
            let want_f: Vec<f32> = want.iter().map(|&v| int_to_f32(v, bits)).collect();
            if floats != want_f {
                problems.push(format!("read_f32 vs written samples: {}", first_diff(&floats, &want_f)));
            }
        }
        Source::Float(want) => {
            if floats != *want {
                problems.push(format!("read_f32 vs written samples: {}", first_diff(&floats, want)));
            }
        }
        Source::Lossy(_) => {}
    }

    // The independent reference.
    let mut reference = case.reference;
    if reference == Reference::Hound {
        match hound_decode(&case.path) {
            Some(Ok(Source::Int(r))) => {
                if ints != r {
                    problems.push(format!("read_i32 vs hound: {}", first_diff(&ints, &r)));
                }
                note = "hound".into();
            }
            Some(Ok(Source::Float(r))) => {
                if floats != r {
                    problems.push(format!("read_f32 vs hound: {}", first_diff(&floats, &r)));
                }
                note = "hound".into();
            }
            Some(Ok(_)) => unreachable!(),
            // hound refuses odd valid depths and 64-bit float: ffmpeg instead.
            refused => {
                if let Some(Err(e)) = refused {
                    note = format!("{e}; ");
                }
                reference = if case.sample_format.is_some_and(|s| s.starts_with('f')) {
                    Reference::FfmpegFloat
                } else {
                    Reference::FfmpegInt
                };
            }
        }
    }
    let tool = match reference {
        Reference::Hound => None,
        Reference::Sox => Some("sox"),
        _ => Some("ffmpeg"),
    };
    if let Some(tool) = tool.filter(|t| !have(t)) {
        note.push_str(&format!("no reference ({tool} missing)"));
        return if problems.is_empty() { Ok(note) } else { Err(problems.join("; ")) };
    }
    let shift = 32 - case.bits.unwrap_or(32).min(32);
    match reference {
        Reference::Hound => {}
        Reference::FfmpegInt | Reference::Sox => {
            let r: Vec<i32> = if reference == Reference::Sox {
                note.push_str("sox s32");
                tools::sox_int(&case.path, 32 - shift)?
            } else {
                note.push_str("ffmpeg s32");
                tools::ffmpeg_s32(&case.path)?.into_iter().map(|v| v >> shift).collect()
            };
            let n = ints.len().min(r.len());
            if case.frames.is_none() {
                // ADPCM: the tools decode the padding of the last block too.
                if r.len() < ints.len() || r.len() - ints.len() > 4096 * ch {
                    problems.push(format!("decoded {} samples, reference {}", ints.len(), r.len()));
                }
            } else if ints.len() != r.len() {
                problems.push(format!("decoded {} samples, reference {}", ints.len(), r.len()));
            }
            if ints[..n] != r[..n] {
                problems.push(format!("read_i32 vs reference: {}", first_diff(&ints[..n], &r[..n])));
            }
        }
        Reference::FfmpegNear => {
            let r: Vec<f32> = tools::ffmpeg_s32(&case.path)?.into_iter().map(|v| int_to_f32(v >> shift, 16)).collect();
            let n = floats.len().min(r.len());
            let snr = tools::snr_db(&r[..n], &floats[..n]);
            note.push_str(&format!("ffmpeg s32, SNR {snr:.1} dB"));
            if r.len() < floats.len() || r.len() - floats.len() > 4096 * ch {
                problems.push(format!("decoded {} samples, ffmpeg {}", floats.len(), r.len()));
            }
            // Where decoders differ, CoreMusic must be as close to the input as ffmpeg.
            if let Source::Lossy(input) = &case.source {
                let (ours_in, ff_in) = (tools::snr_db(input, &floats), tools::snr_db(input, &r));
                note.push_str(&format!(" (vs input: {ours_in:.1} dB, ffmpeg {ff_in:.1} dB)"));
                if ours_in < ff_in - 0.5 {
                    problems.push(format!("further from the input than ffmpeg: {ours_in:.1} dB vs {ff_in:.1} dB"));
                }
            }
            if snr < 40.0 {
                problems.push(format!("SNR vs ffmpeg {snr:.1} dB < 40 dB"));
            }
        }
        Reference::FfmpegFloat => {
            let r = tools::ffmpeg_f32(&case.path)?;
            note.push_str("ffmpeg f32");
            if floats != r {
                problems.push(format!("read_f32 vs ffmpeg: {}", first_diff(&floats, &r)));
            }
        }
        Reference::FfmpegLossy => {
            let Source::Lossy(input) = &case.source else { unreachable!() };
            let r = tools::ffmpeg_f32(&case.path)?;
            // Line both decodes up with the input: CoreMusic must start where
            // the input starts (gapless), or at least where ffmpeg does
            // (formats without gapless info, like ADTS).
            let ours_at = tools::best_offset(input, &floats, ch, 3000);
            let ff_at = tools::best_offset(input, &r, ch, 3000);
            if ours_at != 0 && ours_at != ff_at {
                problems.push(format!("not sample-aligned: the input starts at frame {ours_at} (ffmpeg: {ff_at})"));
            }
            let a = &floats[(ours_at.max(0) as usize * ch).min(floats.len())..];
            let b = &r[(ff_at.max(0) as usize * ch).min(r.len())..];
            let n = a.len().min(b.len());
            let snr = tools::snr_db(&b[..n], &a[..n]);
            let (ours_len, ff_len, in_len) = (floats.len() / ch, r.len() / ch, input.len() / ch);
            note = format!(
                "ffmpeg f32, SNR {snr:.1} dB, start {ours_at} (ffmpeg {ff_at}), {ours_len} frames (ffmpeg {ff_len}, input {in_len})"
            );
            if snr < 60.0 {
                problems.push(format!("SNR vs ffmpeg {snr:.1} dB < 60 dB"));
            }
            // The end: the input's length (an MP4 edit list is rounded to the
            // movie's millisecond time scale), or ffmpeg's.
            let slack = (case.rate / 1000 + 1) as usize;
            let gapless = ours_at == 0 && ours_len >= in_len && ours_len <= in_len + slack;
            if !gapless && ours_len as i64 - ours_at != ff_len as i64 - ff_at {
                problems.push(format!("length {ours_len} frames: neither the input's {in_len} nor ffmpeg's {ff_len}"));
            }
            match info.frames {
                Some(f) if (f as f64 - ours_len as f64).abs() > ours_len as f64 * 0.02 => {
                    problems.push(format!("frames estimate {f}, decoding gives {ours_len}"))
                }
                Some(_) => {}
                None => note.push_str(", frames unknown"),
            }
        }
    }
    if problems.is_empty() {
        Ok(note)
    } else {
        Err(problems.join("; "))
    }
}

/// [`check`], with a panic (in the test or the library) turned into a failure line.
fn check_caught(case: &Case) -> Result<String, String> {
    std::panic::catch_unwind(|| check(case)).unwrap_or_else(|p| {
        let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
        Err(format!("PANIC: {}", msg.unwrap_or_default()))
    })
}

fn report(cases: &[Case]) -> Vec<String> {
    let results: Vec<(String, Result<String, String>)> = std::thread::scope(|s| {
        let chunks: Vec<&[Case]> = cases.chunks(cases.len().div_ceil(2).max(1)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| s.spawn(move || chunk.iter().map(|c| (c.name.clone(), check_caught(c))).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("check panicked")).collect()
    });
    let mut failures = Vec::new();
    for (name, r) in results {
        match r {
            Ok(note) => eprintln!("ok    {name} ({note})"),
            Err(e) => {
                eprintln!("FAIL  {name}: {e}");
                failures.push(format!("{name}: {e}"));
            }
        }
    }
    failures
}

#[test]
fn every_variant_inspects_and_decodes_like_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let (cases, notes) = build(dir.path());
    for n in &notes {
        eprintln!("skipped: {n}");
    }
    let cases: Vec<Case> = cases.into_iter().filter(|c| !KNOWN_BUGS.contains(&c.name.as_str())).collect();
    assert!(cases.len() > 40 || notes.len() > 2, "the corpus is too small: {} cases", cases.len());
    let failures = report(&cases);
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));

    // `coremusic info --json` on the whole corpus at once.
    let paths: Vec<&Path> = cases.iter().map(|c| c.path.as_path()).collect();
    let (code, lines, stderr) = tools::info_json(&paths);
    assert_eq!(code, Some(0), "exit status; stderr: {stderr}");
    assert_eq!(lines.len(), cases.len(), "one JSON line per file");
    let mut bad = Vec::new();
    for (case, j) in cases.iter().zip(&lines) {
        let want = serde_json::json!({
            "path": case.path.to_str().unwrap(),
            "container": case.container,
            "codec": case.codec,
            "sample_rate": case.rate,
            "channels": case.channels,
            "bits_per_sample": case.bits,
            "sample_format": case.sample_format,
        });
        for (k, v) in want.as_object().unwrap() {
            if j[k] != *v {
                bad.push(format!("{}: {k} = {} (want {v})", case.name, j[k]));
            }
        }
        if let Some(f) = case.frames {
            if j["frames"] != f {
                bad.push(format!("{}: frames = {} (want {f})", case.name, j["frames"]));
            }
            let d = j["duration_s"].as_f64().unwrap_or(-1.0);
            if (d - f as f64 / case.rate as f64).abs() > 1e-9 {
                bad.push(format!("{}: duration_s = {d}", case.name));
            }
        }
        if j.get("error").is_some() || !j["warnings"].as_array().is_some_and(|w| w.is_empty()) {
            bad.push(format!("{}: error or warnings: {j}", case.name));
        }
    }
    assert!(bad.is_empty(), "info --json:\n{}", bad.join("\n"));
}

/// Runs one known-bug case alone (see [`KNOWN_BUGS`]).
#[allow(dead_code)]
fn run_one(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (cases, _) = build(dir.path());
    let case = cases.iter().find(|c| c.name == name).expect("case exists");
    if let Err(e) = check(case) {
        panic!("{name}: {e}");
    }
}

#[test]
fn regression_caf_alac16_frame_count_from_last_packet() {
    run_one("ff-caf-alac16");
}

#[test]
fn regression_caf_alac24_frame_count_from_last_packet() {
    run_one("ff-caf-alac24");
}

#[test]
fn regression_sox_rifx_extensible_subformat() {
    run_one("sox-rifx-s24");
}
