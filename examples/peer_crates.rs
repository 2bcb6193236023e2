//! CoreMusic next to the Rust crate a user would otherwise pick, in one run:
//! hound for WAV, symphonia for FLAC (plus the `flac` tool when installed),
//! rubato for resampling. Prints a markdown table (README, Performance).
//!
//! ```text
//! cargo run --release --example peer_crates --no-default-features -- [--runs N] [--dir DIR] [--keep]
//! ```
//!
//! Test files are written with CoreMusic's own writers into DIR (default a
//! fresh folder under the temp dir, removed at the end unless `--keep`): a
//! ~100 MB 16-bit stereo 44.1 kHz WAV (567 s of pink noise with a few tones)
//! and the same audio as FLAC from CoreMusic's encoder. Every job runs N
//! times (default 5; the resamplers 3) from the page cache and the best wall
//! time is kept, with the process's CPU time of that run (user + system, all
//! threads; children for the `flac` tool). Every decoder's samples are summed
//! and checked against the WAV's, so no job can skip work.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use coremusic::dsp::measure::fit_sine;
use coremusic::dsp::{resample_all, resample_parallel, Quality, Resampler};
use coremusic::format::SampleFormat;
use coremusic::io::{create_writer, OutputFormat, WriterSpec};
use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, Resampler as _, SincInterpolationParameters, SincInterpolationType,
    WindowFunction,
};
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const RATE: u32 = 44100;
/// 100 MB of 16-bit stereo.
const FRAMES: usize = 25_000_000;

/// CPU seconds (user + system) of this process, or of its waited-for children.
fn cpu_seconds(children: bool) -> f64 {
    #[cfg(unix)]
    {
        // SAFETY: getrusage only writes the struct it is given.
        #[allow(unsafe_code)]
        unsafe {
            let mut u: libc::rusage = std::mem::zeroed();
            let who = if children { libc::RUSAGE_CHILDREN } else { libc::RUSAGE_SELF };
            if libc::getrusage(who, &mut u) != 0 {
                return f64::NAN;
            }
            let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
            s(u.ru_utime) + s(u.ru_stime)
        }
    }
    #[cfg(not(unix))]
    {
        let _ = children;
        f64::NAN
    }
}

/// Best wall time of `runs` calls, the CPU time of that call, and its result
/// (all results must agree).
fn best<T: PartialEq + std::fmt::Debug>(
    runs: usize,
    children: bool,
    mut f: impl FnMut() -> Res<T>,
) -> Res<(f64, f64, T)> {
    let mut out: Option<(f64, f64, T)> = None;
    for _ in 0..runs {
        let c0 = cpu_seconds(children);
        let t0 = Instant::now();
        let v = f()?;
        let wall = t0.elapsed().as_secs_f64();
        let cpu = cpu_seconds(children) - c0;
        match &mut out {
            Some((w, c, prev)) => {
                if *prev != v {
                    return Err(format!("runs disagree: {prev:?} then {v:?}").into());
                }
                if wall < *w {
                    (*w, *c) = (wall, cpu);
                }
            }
            None => out = Some((wall, cpu, v)),
        }
    }
    out.ok_or_else(|| "no runs".into())
}

/// Pink noise (Paul Kellet's filter on xorshift white noise) with three
/// tones, 16-bit stereo: noisy enough that FLAC keeps about 60 %.
fn signal(frames: usize) -> Vec<i32> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut b = [[0f64; 7]; 2];
    let mut out = Vec::with_capacity(frames * 2);
    for n in 0..frames {
        let t = n as f64 / RATE as f64;
        let tones = 0.15 * (2.0 * std::f64::consts::PI * 220.0 * t).sin()
            + 0.08 * (2.0 * std::f64::consts::PI * 1318.5 * t).sin()
            + 0.03 * (2.0 * std::f64::consts::PI * 5274.0 * t).sin();
        for bc in &mut b {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let w = (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            bc[0] = 0.99886 * bc[0] + w * 0.0555179;
            bc[1] = 0.99332 * bc[1] + w * 0.0750759;
            bc[2] = 0.96900 * bc[2] + w * 0.1538520;
            bc[3] = 0.86650 * bc[3] + w * 0.3104856;
            bc[4] = 0.55000 * bc[4] + w * 0.5329522;
            bc[5] = -0.7616 * bc[5] - w * 0.0168980;
            let pink = bc[0] + bc[1] + bc[2] + bc[3] + bc[4] + bc[5] + bc[6] + w * 0.5362;
            bc[6] = w * 0.115926;
            let v = (0.004 * pink + tones) * 32768.0;
            out.push(v.round().clamp(-32768.0, 32767.0) as i32);
        }
    }
    out
}

fn write_file(path: &Path, format: OutputFormat, samples: &[i32]) -> Res<()> {
    let sink = Box::new(BufWriter::with_capacity(1 << 20, File::create(path)?));
    let spec = WriterSpec::new(format, RATE, 2, SampleFormat::S16);
    let mut w = create_writer(sink, spec)?;
    for chunk in samples.chunks(2 * 65536) {
        w.write_i32(chunk)?;
    }
    w.finish()?;
    Ok(())
}

/// Sum of the samples (wrapping) and their count: what every decoder must give.
type Check = (i64, u64);

fn checksum(samples: &[i32]) -> Check {
    (samples.iter().map(|&s| s as i64).sum(), samples.len() as u64)
}

fn coremusic_i32(path: &Path) -> Res<Check> {
    let mut r = coremusic::io::open(path)?;
    let mut buf = vec![0i32; 16384 * 2];
    let (mut sum, mut n) = (0i64, 0u64);
    loop {
        let frames = r.read_i32(&mut buf)?;
        if frames == 0 {
            break;
        }
        sum += buf[..frames * 2].iter().map(|&s| s as i64).sum::<i64>();
        n += frames as u64 * 2;
    }
    if r.verified() == Some(false) {
        return Err("coremusic: MD5 mismatch".into());
    }
    Ok((sum, n))
}

fn coremusic_f32(path: &Path) -> Res<Check> {
    let mut r = coremusic::io::open(path)?;
    let mut buf = vec![0f32; 16384 * 2];
    let (mut sum, mut n) = (0i64, 0u64);
    loop {
        let frames = r.read_f32(&mut buf)?;
        if frames == 0 {
            break;
        }
        sum += buf[..frames * 2].iter().map(|&s| (s * 32768.0) as i64).sum::<i64>();
        n += frames as u64 * 2;
    }
    Ok((sum, n))
}

fn hound_i32(path: &Path) -> Res<Check> {
    let mut r = hound::WavReader::open(path)?;
    let (mut sum, mut n) = (0i64, 0u64);
    for s in r.samples::<i32>() {
        sum += s? as i64;
        n += 1;
    }
    Ok((sum, n))
}

/// hound gives integers only for an integer file; the user scales them.
fn hound_f32(path: &Path) -> Res<Check> {
    let mut r = hound::WavReader::open(path)?;
    let scale = 1.0 / (1u32 << (r.spec().bits_per_sample - 1)) as f32;
    let (mut sum, mut n) = (0i64, 0u64);
    for s in r.samples::<i32>() {
        let v = s? as f32 * scale;
        sum += (v * 32768.0) as i64;
        n += 1;
    }
    Ok((sum, n))
}

/// symphonia's FLAC demuxer and decoder, samples copied out interleaved as i32.
fn symphonia_flac(path: &Path, verify: bool) -> Res<Check> {
    let mss = MediaSourceStream::new(Box::new(File::open(path)?), MediaSourceStreamOptions::default());
    let mut format = symphonia::default::formats::FlacReader::try_new(mss, FormatOptions::default())?;
    let track =
        format.tracks().iter().find(|t| t.track_type() == Some(TrackType::Audio)).ok_or("symphonia: no audio track")?;
    let (track_id, params) =
        (track.id, track.codec_params.as_ref().and_then(|p| p.audio()).cloned().ok_or("symphonia: no params")?);
    let opts = AudioDecoderOptions::default().verify(verify);
    let mut dec = symphonia::default::codecs::FlacDecoder::try_new(&params, &opts)?;
    // Copied out as i32 the samples are left-justified (full scale).
    let shift = 32 - params.bits_per_sample.ok_or("symphonia: no bit depth")?;
    let mut buf = vec![0i32; 65536 * 2];
    let (mut sum, mut n) = (0i64, 0u64);
    while let Some(packet) = format.next_packet()? {
        if packet.track_id != track_id {
            continue;
        }
        let decoded = dec.decode(&packet)?;
        let len = decoded.frames() * decoded.num_planes();
        decoded.copy_to_slice_interleaved::<i32, _>(&mut buf[..len]);
        sum += buf[..len].iter().map(|&s| (s >> shift) as i64).sum::<i64>();
        n += len as u64;
    }
    if verify && dec.finalize().verify_ok != Some(true) {
        return Err("symphonia: MD5 not verified".into());
    }
    Ok((sum, n))
}

fn flac_tool(path: &Path) -> Res<()> {
    // Its warning for a zeroed MD5 goes to stderr; the exit status still counts.
    let st = Command::new("flac")
        .args(["-d", "-f", "-s", "-o", "/dev/null"])
        .arg(path)
        .stderr(std::process::Stdio::null())
        .status()?;
    if !st.success() {
        return Err(format!("flac -d failed: {st}").into());
    }
    Ok(())
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Zeroes STREAMINFO's MD5 (bytes 26..42: "fLaC", a block header, 18 bytes
/// of fields): decoders then have nothing to check.
fn zero_md5(path: &Path) -> Res<()> {
    let mut f = std::fs::OpenOptions::new().read(true).write(true).open(path)?;
    let mut head = [0u8; 8];
    f.read_exact(&mut head)?;
    if &head[..4] != b"fLaC" || head[4] & 0x7f != 0 {
        return Err("STREAMINFO is not the first block".into());
    }
    f.seek(SeekFrom::Start(26))?;
    f.write_all(&[0u8; 16])?;
    Ok(())
}

/// rubato's resamplers as set up here (see `rubato_sinc_params`).
#[derive(Clone, Copy)]
enum Rubato {
    Fft,
    Sinc,
}

/// rubato's documented top setting for its asynchronous sinc resampler:
/// 256 taps, Blackman-Harris² window, cutoff chosen by rubato, 256-times
/// oversampled table, cubic interpolation between table points.
fn rubato_sinc_params() -> SincInterpolationParameters {
    SincInterpolationParameters::new(256, WindowFunction::BlackmanHarris2)
        .oversampling_factor(256)
        .interpolation(SincInterpolationType::Cubic)
}

fn rubato(kind: Rubato, input: &[f32], channels: usize, from: u32, to: u32) -> Res<Vec<f32>> {
    let frames = input.len() / channels;
    let adapter = InterleavedSlice::new(input, channels, frames)?;
    let out = match kind {
        // rubato's advice for a fixed ratio offline: `Fft` with `process_all`.
        Rubato::Fft => Fft::<f32>::new(from as usize, to as usize, 1024, channels, FixedSync::Both)?
            .process_all(&adapter, frames, None)?,
        Rubato::Sinc => Async::<f32>::new_sinc(
            to as f64 / from as f64,
            1.0,
            &rubato_sinc_params(),
            1024,
            channels,
            FixedAsync::Input,
        )?
        .process_all(&adapter, frames, None)?,
    };
    Ok(out.take_data())
}

/// THD+N in dB of a 0.5-amplitude tone of `freq` Hz resampled 44.1 → 48 kHz
/// (2 s mono, 2,000 frames skipped at each end).
fn thd_n(f: &dyn Fn(&[f32]) -> Res<Vec<f32>>, freq: f64) -> Res<f64> {
    let input: Vec<f32> = (0..2 * RATE as usize)
        .map(|k| (0.5 * (2.0 * std::f64::consts::PI * freq * k as f64 / 44100.0).sin()) as f32)
        .collect();
    let out = f(&input)?;
    let edge = 2000;
    Ok(fit_sine(&out[edge..out.len() - edge], freq / 48000.0).thd_n_db())
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

struct Row {
    job: &'static str,
    tool: String,
    wall: f64,
    cpu: f64,
    mb: f64,
}

fn main() -> Res<()> {
    let mut runs = 5usize;
    let mut dir: Option<PathBuf> = None;
    let mut keep = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().ok_or("--runs N")?.parse()?,
            "--dir" => dir = Some(args.next().ok_or("--dir DIR")?.into()),
            "--keep" => keep = true,
            _ => return Err(format!("unknown argument {a}").into()),
        }
    }
    let dir = match dir {
        Some(d) => {
            std::fs::create_dir_all(&d)?;
            d
        }
        None => {
            let d = std::env::temp_dir().join(format!("coremusic-peers-{}", std::process::id()));
            std::fs::create_dir_all(&d)?;
            d
        }
    };
    let res_runs = runs.clamp(1, 3);
    eprintln!("load before: {}", load());

    let wav = dir.join("noise-100mb.wav");
    let flac = dir.join("noise.flac");
    let samples = signal(FRAMES);
    let want = checksum(&samples);
    if !wav.exists() {
        write_file(&wav, OutputFormat::Wav, &samples)?;
    }
    if !flac.exists() {
        write_file(&flac, OutputFormat::Flac, &samples)?;
    }
    let wav_mb = std::fs::metadata(&wav)?.len() as f64 / 1e6;
    let flac_mb = std::fs::metadata(&flac)?.len() as f64 / 1e6;
    let seconds = FRAMES as f64 / RATE as f64;
    eprintln!("files: {wav_mb:.1} MB WAV, {flac_mb:.1} MB FLAC, {seconds:.0} s each; {runs} runs");

    let mut rows: Vec<Row> = Vec::new();
    let mut push = |job, tool: &str, (wall, cpu, got): (f64, f64, Check), mb: f64| -> Res<()> {
        if got != want {
            return Err(format!("{tool}: samples {got:?}, expected {want:?}").into());
        }
        eprintln!("{job} | {tool}: {wall:.3} s");
        rows.push(Row { job, tool: tool.into(), wall, cpu, mb });
        Ok(())
    };

    // WAV. The f32 checksum is of the samples scaled back to 16 bits, which is exact.
    push("WAV → i32", "coremusic `open` + `read_i32`", best(runs, false, || coremusic_i32(&wav))?, wav_mb)?;
    push("WAV → i32", "hound `samples::<i32>()`", best(runs, false, || hound_i32(&wav))?, wav_mb)?;
    push("WAV → f32", "coremusic `read_f32`", best(runs, false, || coremusic_f32(&wav))?, wav_mb)?;
    push("WAV → f32", "hound `samples::<i32>()` × 2⁻¹⁵", best(runs, false, || hound_f32(&wav))?, wav_mb)?;

    // FLAC, with the MD5 check, then with the MD5 zeroed (nothing to check).
    push("FLAC → i32, MD5 checked", "coremusic `FlacReader`", best(runs, false, || coremusic_i32(&flac))?, flac_mb)?;
    push(
        "FLAC → i32, MD5 checked",
        "symphonia `FlacReader` + `FlacDecoder` (verify)",
        best(runs, false, || symphonia_flac(&flac, true))?,
        flac_mb,
    )?;
    let flac_on_path = have("flac");
    if flac_on_path {
        let (w, c, ()) = best(runs, true, || flac_tool(&flac))?;
        push("FLAC → i32, MD5 checked", "`flac -d -o /dev/null` (process)", (w, c, want), flac_mb)?;
    }
    zero_md5(&flac)?;
    push("FLAC → i32, no MD5", "coremusic `FlacReader`", best(runs, false, || coremusic_i32(&flac))?, flac_mb)?;
    push(
        "FLAC → i32, no MD5",
        "symphonia `FlacReader` + `FlacDecoder`",
        best(runs, false, || symphonia_flac(&flac, false))?,
        flac_mb,
    )?;
    if flac_on_path {
        let (w, c, ()) = best(runs, true, || flac_tool(&flac))?;
        push("FLAC → i32, no MD5", "`flac -d -o /dev/null` (process)", (w, c, want), flac_mb)?;
    }

    // Resampling in memory, 44.1 → 48 kHz stereo f32, whole signal.
    let input: Vec<f32> = samples.iter().map(|&s| s as f32 / 32768.0).collect();
    drop(samples);
    let out_frames = Resampler::new(44100, 48000, 2, Quality::High)?.output_frames(FRAMES as u64);
    let taps = Resampler::new(44100, 48000, 2, Quality::High)?.taps();
    let mut res_rows: Vec<(&str, f64, f64, usize, f64, f64)> = Vec::new();
    type ResJob<'a> = (&'a str, Box<dyn Fn(&[f32], usize) -> Res<Vec<f32>>>);
    let jobs: Vec<ResJob> = vec![
        (
            "coremusic `Resampler`, High, 1 thread",
            Box::new(|x: &[f32], ch| Ok(resample_all(x, ch, 44100, 48000, Quality::High)?)),
        ),
        (
            "coremusic `resample_parallel`, High, 2 threads",
            Box::new(|x: &[f32], ch| Ok(resample_parallel(x, ch, 44100, 48000, Quality::High, 2)?)),
        ),
        (
            "rubato `Fft` (`new`, chunk 1024, `process_all`)",
            Box::new(|x: &[f32], ch| rubato(Rubato::Fft, x, ch, 44100, 48000)),
        ),
        (
            "rubato `Async::new_sinc` (256 taps, BH², ×256, cubic)",
            Box::new(|x: &[f32], ch| rubato(Rubato::Sinc, x, ch, 44100, 48000)),
        ),
    ];
    for (name, f) in &jobs {
        let (wall, cpu, len) = best(res_runs, false, || Ok(f(&input, 2)?.len()))?;
        let t1k = thd_n(&|x| f(x, 1), 1000.0)?;
        let t19k = thd_n(&|x| f(x, 1), 19000.0)?;
        eprintln!("resample | {name}: {wall:.3} s, {} frames, THD+N {t1k:.1} / {t19k:.1} dB", len / 2);
        res_rows.push((name, wall, cpu, len / 2, t1k, t19k));
    }
    let load_after = load();

    println!("Load average before/after: see stderr; after: {load_after}. Files: {wav_mb:.1} MB 16-bit stereo 44.1 kHz WAV ({seconds:.0} s), the same audio as a {flac_mb:.1} MB FLAC (CoreMusic's encoder). Best of {runs} (resampling: best of {res_runs}), from the page cache.\n");
    println!("| job | tool | best wall | CPU of that run | MB/s of file | × coremusic's time |");
    println!("|---|---|---|---|---|---|");
    let mut base = 0.0;
    let mut last_job = "";
    for r in &rows {
        if r.job != last_job {
            base = r.wall;
            last_job = r.job;
        }
        println!(
            "| {} | {} | {:.3} s | {:.2} s | {:.0} | {:.2}× |",
            r.job,
            r.tool,
            r.wall,
            r.cpu,
            r.mb / r.wall,
            r.wall / base
        );
    }
    println!(
        "\nResampling 44.1 → 48 kHz, stereo f32 in memory ({FRAMES} → {out_frames} frames; coremusic High: {taps} taps, 140 dB design stopband, flat to 20 kHz); THD+N of a 0.5-amplitude tone, 2 s mono:\n"
    );
    println!(
        "| resampler | best wall | CPU of that run | × real time | × coremusic 1 thread | THD+N 1 kHz | THD+N 19 kHz |"
    );
    println!("|---|---|---|---|---|---|---|");
    let base = res_rows[0].1;
    for (name, wall, cpu, frames, t1k, t19k) in &res_rows {
        if *frames as u64 != out_frames {
            eprintln!("note: {name} gave {frames} frames, coremusic {out_frames}");
        }
        println!(
            "| {name} | {wall:.3} s | {cpu:.2} s | {:.0}× | {:.2}× | {t1k:.1} dB | {t19k:.1} dB |",
            seconds / wall,
            wall / base
        );
    }
    if !keep {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}
