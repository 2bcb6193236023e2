//! `coremusic convert` to the lossy formats as a user meets it: an
//! extension or format CoreMusic cannot write is a clear error with nothing
//! written; MP3 and Ogg Opus outputs read back with our reader and (when
//! installed) ffmpeg/ffprobe with the exact length (gapless), channels,
//! rate and tags; sources at rates MP3/Opus cannot hold are resampled.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::tools::{have, run};
use coremusic::format::SampleFormat;
use coremusic::io::{create_writer, OutputFormat, Tags, WriterSpec};

fn coremusic() -> Command {
    Command::new(env!("CARGO_BIN_EXE_coremusic"))
}

/// A WAV made with our writer: a tone per channel, tagged.
fn source(dir: &Path, name: &str, rate: u32, channels: u16, frames: usize, sample: SampleFormat) -> PathBuf {
    let path = dir.join(name);
    let spec = WriterSpec { format: OutputFormat::Wav, sample_rate: rate, channels, sample, bits: None };
    let mut w = create_writer(Box::new(std::fs::File::create(&path).unwrap()), spec).unwrap();
    let mut tags = Tags::default();
    tags.push("title", "Lossy Tone");
    tags.push("artist", "CoreMusic Tests");
    tags.push("album", "Generated");
    w.set_tags(&tags).unwrap();
    w.write_f32(&common::tools::tone_signal(frames, channels.into(), rate)).unwrap();
    w.finish().unwrap();
    path
}

/// Runs convert; returns (exit code, stdout, stderr).
fn convert(args: &[&str]) -> (i32, String, String) {
    let o = coremusic().arg("convert").args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// The `frames_out` of the JSON `converted` event.
fn frames_out(stdout: &str) -> u64 {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "converted")
        .and_then(|v| v["frames_out"].as_u64())
        .unwrap_or_else(|| panic!("no converted event in {stdout}"))
}

/// What ffprobe says of the first stream and the tags (keys lower-cased);
/// `None` without ffprobe.
fn ffprobe(path: &Path) -> Option<(u32, u32, Vec<(String, String)>)> {
    if !have("ffprobe") {
        eprintln!("ffprobe not installed: skipping its check");
        return None;
    }
    let out =
        run(Command::new("ffprobe").args(["-v", "error", "-show_format", "-show_streams", "-of", "json"]).arg(path))
            .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let s = &v["streams"][0];
    let rate = s["sample_rate"].as_str().and_then(|r| r.parse().ok()).unwrap();
    let channels = s["channels"].as_u64().unwrap() as u32;
    let mut tags = Vec::new();
    for t in [&v["format"]["tags"], &s["tags"]] {
        if let Some(m) = t.as_object() {
            tags.extend(m.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap_or_default().to_string())));
        }
    }
    Some((rate, channels, tags))
}

/// Interleaved samples ffmpeg decodes; `None` without ffmpeg.
fn ffmpeg_samples(path: &Path) -> Option<usize> {
    if !have("ffmpeg") {
        eprintln!("ffmpeg not installed: skipping its check");
        return None;
    }
    Some(run(common::tools::ffmpeg().arg("-i").arg(path).args(["-f", "s16le", "-"])).unwrap().len() / 2)
}

/// Everything a lossy output must be: our reader's and ffmpeg's frame count
/// exactly `frames`, the channels and rate, the tags.
fn check_output(path: &Path, frames: u64, channels: u32, rate: u32) {
    let mut f = coremusic::io::AudioFile::open(path).unwrap();
    let info = f.info().clone();
    assert_eq!(info.sample_rate(), rate, "{}", path.display());
    assert_eq!(info.channels() as u32, channels, "{}", path.display());
    let back = f.read_all().unwrap();
    assert_eq!(back.len() as u64, frames * u64::from(channels), "{}: our reader's length", path.display());
    assert_eq!(info.tags.get("title"), Some("Lossy Tone"), "{}", path.display());
    assert_eq!(info.tags.get("album"), Some("Generated"));
    if let Some(n) = ffmpeg_samples(path) {
        assert_eq!(n as u64, frames * u64::from(channels), "{}: ffmpeg's length (not gapless)", path.display());
    }
    if let Some((r, c, tags)) = ffprobe(path) {
        assert_eq!((r, c), (rate, channels), "{}: ffprobe", path.display());
        let has = |k: &str, v: &str| tags.iter().any(|(a, b)| a == k && b == v);
        assert!(has("title", "Lossy Tone") && has("artist", "CoreMusic Tests"), "{}: {tags:?}", path.display());
    }
}

#[test]
fn extensions_and_formats_that_cannot_be_written_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), "in.wav", 44_100, 2, 4410, SampleFormat::S16);
    let s = src.to_str().unwrap();
    let aac_here = if cfg!(target_os = "macos") { None } else { Some("macOS") };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["-o", "out.xyz"], ".xyz"),
        (vec!["-o", "out.aac"], ".aac"),
        (vec!["-f", "flac", "-o", "out.mp3"], "cannot hold FLAC"),
        (vec!["-f", "mp3", "-o", "out.wav"], "cannot hold MP3"),
        (vec!["-o", "out.mp3", "--bits", "16"], "no bit depth"),
        (vec!["-o", "out.flac", "--bitrate", "128k"], "not FLAC"),
        (vec!["-o", "out.mp3", "--bitrate", "100k"], "100 kb/s"),
        (vec!["-o", "out.opus", "--quality", "V2"], "for MP3"),
        (vec!["-f", "aac", "-o", "out.m4a"], aac_here.unwrap_or("")),
    ];
    for (args, says) in cases {
        if says.is_empty() {
            continue;
        }
        let mut all = vec![s];
        let out = dir.path().join(args[args.iter().position(|a| *a == "-o").unwrap() + 1]);
        let args: Vec<&str> =
            args.iter().map(|a| if a.starts_with("out.") { out.to_str().unwrap() } else { a }).collect();
        all.extend(&args);
        let (code, _, err) = convert(&all);
        assert_ne!(code, 0, "{args:?} succeeded");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(names(dir.path()), vec!["in.wav".to_string()], "{args:?} left a file");
    }
    let (code, _, err) = convert(&[s, "-f", "ogg-vorbis", "-o", "x.ogg"]);
    assert_eq!(code, 2, "an unknown --format is a usage error: {err}");
    assert!(err.contains("mp3, opus or aac"), "{err}");
}

#[cfg(not(target_os = "macos"))]
#[test]
fn mp3_outputs_are_gapless_tagged_and_at_an_mpeg_rate() {
    let dir = tempfile::tempdir().unwrap();
    let cd = dir.path();
    // 44.1 kHz stereo, VBR V2, the rate kept.
    let src = source(cd, "cd.wav", 44_100, 2, 44_100 * 3 + 7, SampleFormat::S16);
    let out = cd.join("v2.mp3");
    let (code, stdout, err) =
        convert(&[src.to_str().unwrap(), "-o", out.to_str().unwrap(), "--quality", "V2", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(frames_out(&stdout), 44_100 * 3 + 7);
    check_output(&out, 44_100 * 3 + 7, 2, 44_100);
    // 96 kHz 24-bit 6 channels, CBR 192: down to 48 kHz and stereo.
    let hi = source(cd, "hi.wav", 96_000, 6, 96_000 * 2, SampleFormat::S24);
    let out = cd.join("cbr.mp3");
    let (code, stdout, err) =
        convert(&[hi.to_str().unwrap(), "-o", out.to_str().unwrap(), "-f", "mp3", "--bitrate", "192k", "--json"]);
    assert_eq!(code, 0, "{err}");
    let frames = frames_out(&stdout);
    assert!(frames.abs_diff(96_000) <= 1, "{frames}");
    check_output(&out, frames, 2, 48_000);
    // CBR: every frame the same size, so the bitrate is the one asked.
    if let Some((_, _, _)) = ffprobe(&out) {
        let o = run(Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "format=bit_rate", "-of", "csv=p=0"])
            .arg(&out))
        .unwrap();
        let br: f64 = String::from_utf8_lossy(&o).trim().parse().unwrap();
        assert!((br / 192_000.0 - 1.0).abs() < 0.05, "bit rate {br}");
    }
}

#[test]
fn opus_outputs_are_gapless_tagged_and_at_48k() {
    let dir = tempfile::tempdir().unwrap();
    let cd = dir.path();
    let src = source(cd, "cd.wav", 44_100, 2, 44_100 * 2 + 3, SampleFormat::S16);
    let out = cd.join("o.opus");
    let (code, stdout, err) = convert(&[
        src.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--bitrate",
        "128k",
        "--complexity",
        "5",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let frames = frames_out(&stdout);
    assert!(frames.abs_diff((44_100 * 2 + 3) * 48_000 / 44_100) <= 1, "{frames}");
    check_output(&out, frames, 2, 48_000);
    // Mono at 48 kHz goes through untouched in length; CBR and voip work.
    let mono = source(cd, "mono.wav", 48_000, 1, 48_000 + 5, SampleFormat::F32);
    let out = cd.join("m.opus");
    let (code, _, err) = convert(&[
        mono.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--cbr",
        "--bitrate",
        "32k",
        "--application",
        "voip",
    ]);
    assert_eq!(code, 0, "{err}");
    check_output(&out, 48_005, 1, 48_000);
}

/// A folder through a built-in preset: every file converted, named `.opus`.
#[test]
fn a_batch_through_a_named_preset() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    for i in 0..3 {
        source(&inputs, &format!("{i}.wav"), 44_100, 2, 10_000 + i * 1000, SampleFormat::S16);
    }
    let out = dir.path().join("out");
    let (code, _, err) = convert(&[inputs.to_str().unwrap(), "-o", out.to_str().unwrap(), "--preset", "Opus 128k"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(names(&out), vec!["0.opus", "1.opus", "2.opus"]);
    for n in names(&out) {
        let f = coremusic::io::AudioFile::open(out.join(&n)).unwrap();
        assert_eq!(f.info().sample_rate(), 48_000);
    }
}
