//! Measures the resampler (`coremusic::dsp`) and converts files with it: the
//! project's side of `benches/resample_quality.sh`.
//!
//! ```text
//! resample_probe quality [low|medium|high|max]   # THD+N, passband, stopband of the project
//! resample_probe analyze FILE FREQ AMP [EDGE]    # the same figures for another tool's float WAV
//! resample_probe convert IN OUT RATE [QUALITY]   # file → file, streamed, timed
//! resample_probe convert-parallel IN OUT RATE [QUALITY] [THREADS]   # whole file in memory
//! resample_probe speed SECONDS [QUALITY]        # 44.1→48 kHz stereo in memory, best of 3
//! ```
//! `analyze` fits a sine of FREQ Hz to channel 0 (skipping EDGE frames at each
//! end, default 2000) and prints THD+N, the gain against an input of peak AMP,
//! and the total level against that input (for stopband files).

use std::time::Instant;

use coremusic::dsp::measure::{channel, fit_sine, power, power_ratio_db};
use coremusic::dsp::{resample_all, resample_parallel, Quality};

const PI2: f64 = 2.0 * std::f64::consts::PI;

fn sine(freq: f64, rate: u32, seconds: f64, amp: f64) -> Vec<f32> {
    let n = (rate as f64 * seconds) as usize;
    (0..n).map(|k| (amp * (PI2 * freq * k as f64 / rate as f64).sin()) as f32).collect()
}

fn parse_quality(s: Option<&String>) -> Quality {
    match s.map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("low") => Quality::Low,
        Some("medium") => Quality::Medium,
        Some("max") => Quality::Max,
        _ => Quality::High,
    }
}

fn quality(q: Quality) -> Result<(), Box<dyn std::error::Error>> {
    let edge = 2000;
    let thd = |freq: f64| -> Result<f64, Box<dyn std::error::Error>> {
        let out = resample_all(&sine(freq, 44100, 2.0, 0.5), 1, 44100, 48000, q)?;
        Ok(fit_sine(&out[edge..out.len() - edge], freq / 48000.0).thd_n_db())
    };
    let out = resample_all(&sine(20000.0, 44100, 2.0, 0.5), 1, 44100, 48000, q)?;
    let pass = 20.0 * (fit_sine(&out[edge..out.len() - edge], 20000.0 / 48000.0).amplitude / 0.5).log10();
    let input = sine(23000.0, 48000, 2.0, 0.5);
    let out = resample_all(&input, 1, 48000, 44100, q)?;
    let stop = power_ratio_db(power(&out[edge..out.len() - edge]), power(&input));
    println!("thd_n_1k_db {:.1}", thd(1000.0)?);
    println!("thd_n_19k_db {:.1}", thd(19000.0)?);
    println!("passband_20k_db {pass:.4}");
    println!("stopband_23k_db {stop:.1}");
    Ok(())
}

fn analyze(path: &str, freq: f64, amp: f64, edge: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut r = hound::WavReader::open(path)?;
    let spec = r.spec();
    let ch = spec.channels as usize;
    let all: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().collect::<Result<_, _>>()?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>().map(|s| s.map(|v| v as f32 * scale)).collect::<Result<_, _>>()?
        }
    };
    let x = channel(&all, ch, 0);
    if x.len() <= 2 * edge + 16 {
        return Err(format!("{path}: only {} frames", x.len()).into());
    }
    let x = &x[edge..x.len() - edge];
    let fit = fit_sine(x, freq / spec.sample_rate as f64);
    println!("frames {}", all.len() / ch.max(1));
    println!("thd_n_db {:.1}", fit.thd_n_db());
    println!("gain_db {:.4}", 20.0 * (fit.amplitude / amp).log10());
    println!("level_db {:.1}", power_ratio_db(power(x), 0.5 * amp * amp));
    Ok(())
}

/// Streams the file through one [`Resampler`]: this thread decodes and
/// resamples 64 Ki-frame chunks, a second one encodes and writes them, so the
/// writing overlaps the arithmetic. Buffers go round in a loop: no allocation
/// per chunk once it runs.
fn convert_stream(input: &str, output: &str, rate: u32, q: Quality) -> Result<(), Box<dyn std::error::Error>> {
    let t0 = Instant::now();
    let mut file = coremusic::io::AudioFile::open(input)?;
    let info = file.info().clone();
    let ch = info.channels();
    let mut r = coremusic::dsp::Resampler::new(info.sample_rate(), rate, ch, q)?;
    let spec = coremusic::io::WriterSpec::new(
        coremusic::io::OutputFormat::Wav,
        rate,
        ch as u16,
        info.sample_format.unwrap_or(coremusic::format::SampleFormat::F32),
    );
    let sink = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(output)?);
    let mut w = coremusic::io::create_writer(Box::new(sink), spec)?;
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Vec<f32>>(3);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<f32>>();
    let chunk = 65536;
    for _ in 0..4 {
        empty_tx.send(Vec::with_capacity((chunk * 2 + 4096) * ch))?;
    }
    let writer = std::thread::spawn(move || -> Result<u64, coremusic::io::WriteError> {
        let mut frames = 0u64;
        for buf in full_rx {
            w.write_f32(&buf)?;
            frames += (buf.len() / ch) as u64;
            let _ = empty_tx.send(buf);
        }
        w.finish()?;
        Ok(frames)
    });
    let mut inbuf = vec![0f32; chunk * ch];
    let mut frames_in = 0u64;
    loop {
        let n = file.read_f32(&mut inbuf)?;
        let mut out = empty_rx.recv()?;
        out.clear();
        if n == 0 {
            r.finish(&mut out);
            full_tx.send(out)?;
            break;
        }
        frames_in += n as u64;
        r.process(&inbuf[..n * ch], &mut out);
        full_tx.send(out)?;
    }
    drop(full_tx);
    let frames_out = writer.join().map_err(|_| "the writer thread panicked")??;
    eprintln!("streamed {frames_in} → {frames_out} frames in {:.3} s", t0.elapsed().as_secs_f64());
    Ok(())
}

fn convert(input: &str, output: &str, rate: u32, q: Quality, threads: usize) -> Result<(), Box<dyn std::error::Error>> {
    let t0 = Instant::now();
    let mut file = coremusic::io::AudioFile::open(input)?;
    let info = file.info().clone();
    let samples = file.read_all()?;
    let t1 = Instant::now();
    let ch = info.channels();
    let out = resample_parallel(&samples, ch, info.sample_rate(), rate, q, threads)?;
    let t2 = Instant::now();
    let spec = coremusic::io::WriterSpec::new(
        coremusic::io::OutputFormat::Wav,
        rate,
        ch as u16,
        info.sample_format.unwrap_or(coremusic::format::SampleFormat::F32),
    );
    let sink = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(output)?);
    let mut w = coremusic::io::create_writer(Box::new(sink), spec)?;
    w.write_f32(&out)?;
    w.finish()?;
    let t3 = Instant::now();
    eprintln!(
        "read {:.3} s, resample {:.3} s ({} → {} frames), write {:.3} s, total {:.3} s",
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        samples.len() / ch.max(1),
        out.len() / ch.max(1),
        (t3 - t2).as_secs_f64(),
        (t3 - t0).as_secs_f64()
    );
    Ok(())
}

fn speed(seconds: f64, q: Quality) -> Result<(), Box<dyn std::error::Error>> {
    let mono = sine(997.0, 44100, seconds, 0.5);
    let input: Vec<f32> = mono.iter().flat_map(|&v| [v, -v]).collect();
    for threads in [1usize, 2] {
        let mut best = f64::MAX;
        for _ in 0..3 {
            let t0 = Instant::now();
            let out = resample_parallel(&input, 2, 44100, 48000, q, threads)?;
            best = best.min(t0.elapsed().as_secs_f64());
            std::hint::black_box(out);
        }
        let frames = input.len() / 2;
        println!("{threads} thread(s): {best:.3} s for {frames} frames = {:.0}× real time", seconds / best);
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| args.get(i).and_then(|s| s.parse::<f64>().ok());
    let result = match args.first().map(String::as_str) {
        Some("quality") => quality(parse_quality(args.get(1))),
        Some("speed") => speed(num(1).unwrap_or(60.0), parse_quality(args.get(2))),
        Some("analyze") if args.len() >= 4 => match (num(2), num(3)) {
            (Some(f), Some(a)) => analyze(&args[1], f, a, num(4).map_or(2000, |e| e as usize)),
            _ => Err("FREQ and AMP must be numbers".into()),
        },
        Some("convert") if args.len() >= 4 => match num(3) {
            Some(rate) => convert_stream(&args[1], &args[2], rate as u32, parse_quality(args.get(4))),
            None => Err("RATE must be a number".into()),
        },
        Some("convert-parallel") if args.len() >= 4 => match num(3) {
            Some(rate) => convert(
                &args[1],
                &args[2],
                rate as u32,
                parse_quality(args.get(4)),
                num(5).map_or(0, |t| t as usize),
            ),
            None => Err("RATE must be a number".into()),
        },
        _ => Err("usage: resample_probe quality [Q] | analyze FILE FREQ AMP [EDGE] | convert IN OUT RATE [Q] | convert-parallel IN OUT RATE [Q] [THREADS] | speed SECONDS [Q]".into()),
    };
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
