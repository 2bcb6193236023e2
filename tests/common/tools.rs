//! Independent references for the integration tests: the `ffmpeg`, `sox`
//! and `flac` command-line tools (optional: a test skips with a note when one
//! is missing), test signals, signal-to-noise ratio, and running the
//! `coremusic` binary with a deadline so that a hang fails instead of
//! blocking the suite.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// True when `tool` runs (`-version` or `--version`); cached per tool. The
/// first time a tool is found missing, says that the tests needing it skip.
pub fn have(tool: &str) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<String, bool>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(&ok) = cache.lock().unwrap().get(tool) {
        return ok;
    }
    let runs = |flag: &str| {
        Command::new(tool)
            .arg(flag)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    let ok = runs("-version") || runs("--version");
    if !ok {
        eprintln!("note: `{tool}` is not on PATH; the checks that need it are skipped");
    }
    cache.lock().unwrap().insert(tool.to_string(), ok);
    ok
}

/// True when this machine's ffmpeg has the encoder `name` (e.g. `libopus`).
pub fn ffmpeg_has_encoder(name: &str) -> bool {
    static LIST: OnceLock<String> = OnceLock::new();
    let list = LIST.get_or_init(|| {
        if !have("ffmpeg") {
            return String::new();
        }
        Command::new("ffmpeg")
            .args(["-hide_banner", "-encoders"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    });
    list.lines().any(|l| l.split_whitespace().nth(1) == Some(name))
}

/// Runs `cmd`, returning stdout, or an error with its stderr.
pub fn run(cmd: &mut Command) -> Result<Vec<u8>, String> {
    let o = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !o.status.success() {
        return Err(format!("{cmd:?} failed: {}", String::from_utf8_lossy(&o.stderr)));
    }
    Ok(o.stdout)
}

/// An `ffmpeg` command with the usual quiet flags.
pub fn ffmpeg() -> Command {
    let mut c = Command::new("ffmpeg");
    c.args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"]);
    c
}

/// Decodes `path` with ffmpeg into interleaved signed 32-bit integers
/// (full scale: a 16-bit sample `v` comes out as `v << 16`).
pub fn ffmpeg_s32(path: &Path) -> Result<Vec<i32>, String> {
    let raw = run(ffmpeg().arg("-i").arg(path).args(["-f", "s32le", "-"]))?;
    Ok(raw.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

/// Decodes `path` with ffmpeg into interleaved f32.
pub fn ffmpeg_f32(path: &Path) -> Result<Vec<f32>, String> {
    let raw = run(ffmpeg().arg("-i").arg(path).args(["-f", "f32le", "-"]))?;
    Ok(raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

/// Decodes `path` with sox into interleaved signed 32-bit integers (full scale).
pub fn sox_s32(path: &Path) -> Result<Vec<i32>, String> {
    let raw = run(Command::new("sox").arg("-D").arg(path).args([
        "-t",
        "raw",
        "-e",
        "signed-integer",
        "-b",
        "32",
        "-L",
        "-",
    ]))?;
    Ok(raw.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

/// Signal-to-noise ratio of `test` against `reference` in dB (∞ when equal).
pub fn snr_db(reference: &[f32], test: &[f32]) -> f64 {
    let n = reference.len().min(test.len());
    let (mut sig, mut err) = (0f64, 0f64);
    for i in 0..n {
        let r = reference[i] as f64;
        sig += r * r;
        let d = r - test[i] as f64;
        err += d * d;
    }
    if err == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (sig / err).log10()
    }
}

/// A deterministic pseudo-random generator (xorshift), so tests need no crate.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// Interleaved test samples of `bits` significant bits, right-justified:
/// a different sine per channel, some noise, and the extreme values
/// (minimum, maximum, −1, 0, 1) at the start of every channel.
pub fn int_signal(frames: usize, channels: usize, bits: u32, seed: u64) -> Vec<i32> {
    let max = ((1i64 << (bits - 1)) - 1) as f64;
    let mut rng = Rng(seed | 1);
    let mut out = Vec::with_capacity(frames * channels);
    let extremes = [-(max as i64) - 1, max as i64, -1, 0, 1];
    for f in 0..frames {
        for c in 0..channels {
            let v = if f < extremes.len() {
                extremes[(f + c) % extremes.len()]
            } else {
                let t = f as f64 / 44100.0;
                let s = (t * (220.0 * (c as f64 + 1.0)) * std::f64::consts::TAU).sin() * 0.7;
                let noise = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 0.2 - 0.1;
                ((s + noise) * max).round().clamp(-max - 1.0, max) as i64
            };
            out.push(v as i32);
        }
    }
    out
}

/// Interleaved float test samples in [-1, 1): sines, noise, and exact values
/// (−1, 0, 0.5, a subnormal-free tiny value) at the start.
pub fn float_signal(frames: usize, channels: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng(seed | 1);
    let specials = [-1.0f32, 0.0, 0.5, -0.25, 1.0e-7];
    let mut out = Vec::with_capacity(frames * channels);
    for f in 0..frames {
        for c in 0..channels {
            let v = if f < specials.len() {
                specials[(f + c) % specials.len()]
            } else {
                let t = f as f64 / 44100.0;
                let s = (t * (330.0 * (c as f64 + 1.0)) * std::f64::consts::TAU).sin() * 0.6;
                let noise = (rng.next_u64() >> 40) as f64 / (1u64 << 24) as f64 * 0.2 - 0.1;
                (s + noise) as f32
            };
            out.push(v);
        }
    }
    out
}

/// A smooth signal for lossy codecs: a sine per channel plus a rising
/// chirp, so that lining it up with a decode has exactly one answer.
pub fn tone_signal(frames: usize, channels: usize, rate: u32) -> Vec<f32> {
    let mut out = Vec::with_capacity(frames * channels);
    for f in 0..frames {
        let t = f as f64 / rate as f64;
        for c in 0..channels {
            let a = (t * 440.0 * (c as f64 + 1.0) * std::f64::consts::TAU).sin() * 0.2;
            let chirp = ((200.0 * t + 3000.0 * t * t) * std::f64::consts::TAU).sin() * 0.2;
            out.push((a + chirp) as f32);
        }
    }
    out
}

/// The frame offset `o` in `-max..=max` for which `test[f + o]` best matches
/// `reference[f]` (normalised cross-correlation over the first channel).
pub fn best_offset(reference: &[f32], test: &[f32], channels: usize, max: i64) -> i64 {
    let frames_ref = (reference.len() / channels) as i64;
    let frames_test = (test.len() / channels) as i64;
    let (start, len) = (frames_ref / 4, (frames_ref / 2).min(8192));
    let mut best = (f64::MIN, 0i64);
    for off in -max..=max {
        let (mut dot, mut energy) = (0f64, 1e-12f64);
        for f in (start..start + len).step_by(2) {
            let j = f + off;
            if j < 0 || j >= frames_test {
                continue;
            }
            let x = reference[f as usize * channels] as f64;
            let y = test[j as usize * channels] as f64;
            dot += x * y;
            energy += y * y;
        }
        let score = dot / energy.sqrt();
        if score > best.0 {
            best = (score, off);
        }
    }
    best.1
}

/// Decodes `path` with sox and scales to `bits` (right-justified).
pub fn sox_int(path: &Path, bits: u32) -> Result<Vec<i32>, String> {
    Ok(sox_s32(path)?.into_iter().map(|v| v >> (32 - bits)).collect())
}

/// Raw little-endian bytes of 32-bit integers.
pub fn s32le_bytes(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Raw little-endian bytes of f32 samples.
pub fn f32le_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// What a process did before its deadline.
pub struct Finished {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// Everything it wrote to stderr.
    pub stderr: String,
}

/// Runs `cmd` to completion, killing it and panicking if it is still running
/// after `deadline` (a hang is a failure, never a blocked suite).
pub fn run_with_deadline(cmd: &mut Command, deadline: Duration) -> Finished {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let mut out_pipe = child.stdout.take().expect("stdout pipe");
    let mut err_pipe = child.stderr.take().expect("stderr pipe");
    let out_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out_pipe.read_to_end(&mut s);
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{cmd:?} was still running after {deadline:?}: killed (a hang)");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("waiting for {cmd:?}: {e}"),
        }
    };
    let stdout = String::from_utf8_lossy(&out_thread.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_thread.join().unwrap_or_default()).into_owned();
    Finished { code: status.code(), stdout, stderr }
}

/// `coremusic info --json FILE...` with a 60 s deadline, parsed line by line.
pub fn info_json(files: &[&Path]) -> (Option<i32>, Vec<serde_json::Value>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_coremusic"));
    cmd.args(["info", "--json"]).args(files);
    let done = run_with_deadline(&mut cmd, Duration::from_secs(60));
    let lines = done
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {l}")))
        .collect();
    (done.code, lines, done.stderr)
}

/// Reads everything in odd-sized chunks (to exercise packet remainders).
pub fn read_all_f32(r: &mut dyn coremusic::io::AudioReader) -> Vec<f32> {
    let ch = r.info().channels();
    let mut buf = vec![0f32; 777 * ch];
    let mut all = Vec::new();
    loop {
        let n = r.read_f32(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n * ch]);
    }
    all
}

/// ffmpeg's `ebur128=peak=true` summary of `path`: `value("I:")`,
/// `value("LRA:")`, `value("Peak:")` read its lines. `None` without ffmpeg.
pub fn ffmpeg_ebur128(path: &Path) -> Option<Ebur128Summary> {
    if !have("ffmpeg") {
        return None;
    }
    let out = Command::new("ffmpeg")
        .args(["-nostats", "-hide_banner", "-nostdin", "-i"])
        .arg(path)
        .args(["-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    Some(Ebur128Summary(err.rsplit("Summary:").next().unwrap().to_string()))
}

/// The summary ffmpeg's `ebur128` filter prints at the end.
pub struct Ebur128Summary(String);

impl Ebur128Summary {
    /// The number after `key` (e.g. `"I:"`) on its summary line.
    pub fn value(&self, key: &str) -> f64 {
        let line = self.0.lines().find(|l| l.trim_start().starts_with(key)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }
}

/// ffprobe's streams of `path`: (codec_type, codec_name, attached_pic).
pub fn ffprobe_streams(path: &Path) -> Vec<(String, String, bool)> {
    let out = run(Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_type,codec_name:stream_disposition=attached_pic"])
        .args(["-of", "json"])
        .arg(path))
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    v["streams"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| {
            (
                s["codec_type"].as_str().unwrap_or_default().to_string(),
                s["codec_name"].as_str().unwrap_or_default().to_string(),
                s["disposition"]["attached_pic"] == 1,
            )
        })
        .collect()
}
