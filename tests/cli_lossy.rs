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
    let spec = WriterSpec::new(OutputFormat::Wav, rate, channels, sample);
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

/// Rate, channels and tags (keys lower-cased) as ffprobe reports them.
type Probed = (u32, u32, Vec<(String, String)>);

/// What ffprobe says of the first stream and the tags; `None` without ffprobe.
fn ffprobe(path: &Path) -> Option<Probed> {
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
    let mac = cfg!(target_os = "macos");
    let aac_here = if mac { None } else { Some("macOS") };
    // macOS builds have no MP3 encoder: that is what they say first.
    let mp3 = |why: &'static str| if mac { "not in macOS builds" } else { why };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["-o", "out.xyz"], ".xyz"),
        (vec!["-o", "out.aac"], ".aac"),
        (vec!["-f", "flac", "-o", "out.mp3"], "cannot hold FLAC"),
        (vec!["-f", "mp3", "-o", "out.wav"], "cannot hold MP3"),
        (vec!["-o", "out.mp3", "--bits", "16"], mp3("no bit depth")),
        (vec!["-o", "out.flac", "--bitrate", "128k"], "not FLAC"),
        (vec!["-o", "out.mp3", "--bitrate", "100k"], mp3("100 kb/s")),
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

/// A 1×1 PNG.
#[cfg(not(target_os = "macos"))]
const PNG: [u8; 70] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0x60, 0xf8, 0x5f, 0x0f, 0x00, 0x02, 0x87, 0x01, 0x80, 0xeb, 0x47, 0xba,
    0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Whether ffprobe sees an attached picture stream in `path` (`None` without ffprobe).
#[cfg(not(target_os = "macos"))]
fn ffprobe_has_cover(path: &Path) -> Option<bool> {
    if !have("ffprobe") {
        return None;
    }
    Some(common::tools::ffprobe_streams(path).iter().any(|(kind, codec, _)| kind == "video" && codec == "png"))
}

/// Cover art goes over: an Opus file with a cover (written through the
/// library) converts to MP3 with it in `APIC`, and back to Opus with it in
/// `METADATA_BLOCK_PICTURE`; our reader and ffprobe find it each time.
#[cfg(not(target_os = "macos"))]
#[test]
fn cover_art_is_carried_over() {
    use coremusic::io::tags::{read_cover, Picture};
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.opus");
    let spec = WriterSpec::new(OutputFormat::Opus, 48_000, 2, SampleFormat::F32);
    let mut w = create_writer(Box::new(std::fs::File::create(&first).unwrap()), spec).unwrap();
    let mut tags = Tags::default();
    tags.push("title", "Lossy Tone");
    tags.push("artist", "CoreMusic Tests");
    tags.push("album", "Generated");
    w.set_tags(&tags).unwrap();
    let cover = Picture { mime: "image/png".into(), kind: 3, description: String::new(), data: PNG.to_vec() };
    w.set_picture(&cover).unwrap();
    w.write_f32(&common::tools::tone_signal(48_000, 2, 48_000)).unwrap();
    w.finish().unwrap();
    assert_eq!(read_cover(&first).map(|p| p.data), Some(PNG.to_vec()), "our Opus writer's cover");
    let mp3 = dir.path().join("second.mp3");
    let (code, _, err) = convert(&[first.to_str().unwrap(), "-o", mp3.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let third = dir.path().join("third.opus");
    let (code, _, err) = convert(&[mp3.to_str().unwrap(), "-o", third.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for p in [&first, &mp3, &third] {
        let got = read_cover(p).unwrap_or_else(|| panic!("{}: no cover", p.display()));
        assert_eq!((got.mime.as_str(), got.kind, &got.data[..]), ("image/png", 3, &PNG[..]), "{}", p.display());
        if let Some(has) = ffprobe_has_cover(p) {
            assert!(has, "{}: ffprobe sees no cover", p.display());
        }
        check_output(p, 48_000, 2, 48_000);
    }
}

/// The amplitude of the `hz` tone in channel `c` of `frames` (interleaved, `ch` channels, 48 kHz).
fn tone_level(samples: &[f32], ch: usize, c: usize, hz: f64) -> f64 {
    let (mut re, mut im) = (0f64, 0f64);
    for (i, f) in samples.chunks_exact(ch).enumerate() {
        let w = i as f64 / 48_000.0 * hz * std::f64::consts::TAU;
        re += f64::from(f[c]) * w.cos();
        im += f64::from(f[c]) * w.sin();
    }
    (re * re + im * im).sqrt() / (samples.len() / ch) as f64
}

/// 5.1 goes out as Opus mapping family 1 (ropus's multistream encoder):
/// gapless in our reader and ffmpeg, 6 channels, and each channel's tone
/// where it was (the Vorbis order is written, ffmpeg gives its own back).
#[test]
fn surround_opus_keeps_its_channels_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), "six.wav", 48_000, 6, 48_000 + 11, SampleFormat::F32);
    let out = dir.path().join("six.opus");
    let (code, _, err) = convert(&[src.to_str().unwrap(), "-o", out.to_str().unwrap(), "--bitrate", "384k"]);
    assert_eq!(code, 0, "{err}");
    check_output(&out, 48_011, 6, 48_000);
    if !have("ffmpeg") {
        return;
    }
    let back = common::tools::ffmpeg_f32(&out).unwrap();
    // Channel c carries 440 × (c + 1) Hz (tone_signal); the LFE (3) is low-passed by design.
    for c in [0usize, 1, 2, 4, 5] {
        let levels: Vec<f64> = (0..6).map(|k| tone_level(&back, 6, c, 440.0 * (k + 1) as f64)).collect();
        let best = (0..6).max_by(|&a, &b| levels[a].total_cmp(&levels[b])).unwrap();
        assert_eq!(best, c, "ffmpeg's channel {c} holds the tone of channel {best}: {levels:?}");
    }
    // Nine channels asked for are more than mapping family 1 holds: a clear error.
    let nine = source(dir.path(), "nine.wav", 48_000, 9, 4_800, SampleFormat::F32);
    let n = dir.path().join("n.opus");
    let (code, _, err) = convert(&[nine.to_str().unwrap(), "-o", n.to_str().unwrap(), "--channels", "9"]);
    assert_ne!(code, 0);
    assert!(!n.exists());
    assert!(err.contains("not 9 channels"), "{err}");
}

/// Both Opus encoders through the CLI: the build's (libopus off macOS) and
/// ropus (`COREMUSIC_OPUS_ENCODER=ropus`) are gapless and say who made the file.
#[test]
fn both_opus_encoders_are_gapless() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path(), "cd.wav", 44_100, 2, 44_100 + 77, SampleFormat::S16);
    let want = if cfg!(target_os = "macos") { "ropus" } else { "libopus" };
    for (env, name) in [(None, want), (Some("ropus"), "ropus")] {
        let out = dir.path().join(format!("{name}.opus"));
        let mut cmd = coremusic();
        cmd.args(["convert", src.to_str().unwrap(), "-o", out.to_str().unwrap(), "--json"]);
        if let Some(v) = env {
            cmd.env("COREMUSIC_OPUS_ENCODER", v);
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let frames = frames_out(&String::from_utf8_lossy(&o.stdout));
        assert!(frames.abs_diff((44_100 + 77) * 48_000 / 44_100) <= 1, "{frames}");
        check_output(&out, frames, 2, 48_000);
        let f = coremusic::io::AudioFile::open(&out).unwrap();
        assert_eq!(f.info().tags.get("encoder"), Some(format!("CoreMusic ({name})").as_str()));
    }
}
