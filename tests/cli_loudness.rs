//! `coremusic convert --normalize LUFS [--true-peak DBTP] [--album]` and
//! `--verify` as a user meets them: outputs land at the target loudness (by
//! our meter and by ffmpeg's `ebur128` when present), never above the
//! true-peak ceiling, an album keeps its balance, and verified outputs say so.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use common::tools::Rng;

fn coremusic() -> Command {
    Command::new(env!("CARGO_BIN_EXE_coremusic"))
}

/// A 16-bit stereo WAV at 48 kHz: tones and noise scaled by `gain_db`, with
/// `clicks` short full-height spikes (a high crest factor: the true peak,
/// not the loudness, then limits the gain).
fn music(dir: &Path, name: &str, seconds: f64, gain_db: f64, clicks: bool) -> PathBuf {
    let path = dir.join(name);
    let mut w = common::hound_int(&path, 48000, 2, 16);
    let g = 10f64.powf(gain_db / 20.0);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let frames = (seconds * 48000.0) as usize;
    for f in 0..frames {
        let t = f as f64 / 48000.0;
        for c in 0..2 {
            let tone = (t * (220.0 + 110.0 * c as f64) * std::f64::consts::TAU).sin() * 0.3
                + (t * 1760.0 * std::f64::consts::TAU).sin() * 0.1;
            let noise = ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.2;
            let mut v = (tone + noise) * g;
            if clicks && f % 24000 < 3 {
                v = 0.7;
            }
            w.write_sample((v * 32767.0).round().clamp(-32768.0, 32767.0) as i16).unwrap();
        }
    }
    w.finalize().unwrap();
    path
}

/// `convert ... --json`: exit code and the parsed events.
fn convert_json(args: &[&std::ffi::OsStr]) -> (Option<i32>, Vec<serde_json::Value>, String) {
    let mut cmd = coremusic();
    cmd.arg("convert").args(args).arg("--json");
    let done = common::tools::run_with_deadline(&mut cmd, std::time::Duration::from_secs(300));
    let events = done.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (done.code, events, done.stderr)
}

fn converted<'a>(events: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    events
        .iter()
        .find(|e| e["event"] == "converted" && e["input"].as_str().is_some_and(|i| i.ends_with(name)))
        .unwrap_or_else(|| panic!("no converted event for {name}: {events:?}"))
}

/// Our meter on a file: (integrated LUFS, true peak dBTP).
fn measure(path: &Path) -> (f64, f64) {
    let a = coremusic::analysis::loudness::analyze(path, |_| {}, &AtomicBool::new(false)).unwrap();
    (a.levels.integrated_lufs.unwrap(), a.levels.true_peak_dbtp.unwrap())
}

/// ffmpeg's `ebur128=peak=true` on a file: (I, true peak), or `None` without ffmpeg.
fn ffmpeg_measure(path: &Path) -> Option<(f64, f64)> {
    let summary = common::tools::ffmpeg_ebur128(path)?;
    Some((summary.value("I:"), summary.value("Peak:")))
}

#[test]
fn each_file_reaches_the_target_and_stays_under_the_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = music(dir.path(), "quiet.wav", 6.0, -22.0, false);
    let loud = music(dir.path(), "loud.wav", 6.0, 0.0, false);
    let spiky = music(dir.path(), "spiky.wav", 6.0, -20.0, true);
    let out = dir.path().join("out");
    let (code, events, err) = convert_json(&[
        quiet.as_os_str(),
        loud.as_os_str(),
        spiky.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "-f".as_ref(),
        "flac".as_ref(),
        "--normalize".as_ref(),
        "-16".as_ref(),
        "--verify".as_ref(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(events.iter().filter(|e| e["event"] == "measured").count(), 3);
    for name in ["quiet", "loud", "spiky"] {
        let e = converted(&events, &format!("{name}.wav"));
        let l = &e["loudness"];
        let bound = l["ceiling_bound"].as_bool().unwrap();
        assert_eq!(bound, name == "spiky", "{name}: {l}");
        assert_eq!(e["verified"], true, "{e}");
        let path = out.join(format!("{name}.flac"));
        let (lufs, tp) = measure(&path);
        let expected = l["after_lufs"].as_f64().unwrap();
        eprintln!("{name}: {l} measured {lufs:.2} LUFS {tp:.2} dBTP");
        if bound {
            assert!(expected < -16.5, "{name}: a bound gain reaches {expected}");
        } else {
            assert!((expected + 16.0).abs() < 1e-6, "{name}: {expected}");
        }
        assert!((lufs - expected).abs() <= 0.1, "{name}: measured {lufs}, expected {expected}");
        assert!(tp <= -1.0, "{name}: true peak {tp} above the ceiling");
        if let Some((i, peak)) = ffmpeg_measure(&path) {
            eprintln!("{name}: ffmpeg I {i} LUFS, true peak {peak} dBTP");
            assert!((i - expected).abs() <= 0.5, "{name}: ffmpeg {i}, expected {expected}");
            assert!(peak <= -1.0, "{name}: ffmpeg true peak {peak}");
        }
    }
}

/// Without `--verify`, a lossless output's loudness after is metered on the
/// samples as they were written (not decoded again) and agrees with
/// measuring the file; in 24-bit WAV, 16-bit FLAC and float WAV alike.
#[test]
fn the_loudness_after_of_a_lossless_output_is_metered_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = music(dir.path(), "quiet.wav", 4.0, -20.0, false);
    for (ext, bits) in [("flac", "16"), ("wav", "24"), ("wav", "32f")] {
        let out = dir.path().join(format!("out-{bits}.{ext}"));
        let args = [quiet.as_os_str(), "-o".as_ref(), out.as_os_str(), "--bits".as_ref(), bits.as_ref()];
        let (code, events, err) = convert_json(&[&args[..], &["--normalize".as_ref(), "-16".as_ref()]].concat());
        assert_eq!(code, Some(0), "{err}");
        let l = &converted(&events, "quiet.wav")["loudness"];
        assert_eq!(l["after_measured"], true, "{l}");
        let after = l["after_lufs"].as_f64().unwrap();
        let (lufs, _) = measure(&out);
        assert!((lufs - after).abs() <= 0.01, "{ext} {bits}: metered {after}, the file measures {lufs}");
        assert!((after + 16.0).abs() <= 0.1, "{ext} {bits}: {after}");
    }
}

#[test]
fn album_mode_keeps_the_balance_between_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = music(dir.path(), "a.wav", 5.0, -6.0, false);
    let b = music(dir.path(), "b.wav", 5.0, -18.0, false);
    let out = dir.path().join("album");
    let (code, events, err) = convert_json(&[
        a.as_os_str(),
        b.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--normalize".as_ref(),
        "-20".as_ref(),
        "--true-peak".as_ref(),
        "-2".as_ref(),
        "--album".as_ref(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (ea, eb) = (converted(&events, "a.wav"), converted(&events, "b.wav"));
    let gain = ea["loudness"]["gain_db"].as_f64().unwrap();
    assert_eq!(gain, eb["loudness"]["gain_db"].as_f64().unwrap(), "one gain for the album");
    let reference = ea["loudness"]["reference_lufs"].as_f64().unwrap();
    assert!((reference + gain + 20.0).abs() < 1e-6, "the album, not a file, reaches the target");
    let (la, _) = measure(&out.join("a.wav"));
    let (lb, _) = measure(&out.join("b.wav"));
    assert!(((la - lb) - 12.0).abs() < 0.2, "the 12 LU between the files is kept: {la} {lb}");
    let before_a = ea["loudness"]["before_lufs"].as_f64().unwrap();
    assert!((la - (before_a + gain)).abs() <= 0.1, "{la} vs {before_a} + {gain}");
}

#[test]
fn silence_is_left_alone_and_the_text_summary_tells_the_gain() {
    let dir = tempfile::tempdir().unwrap();
    let silent = dir.path().join("silent.wav");
    let mut w = common::hound_int(&silent, 44100, 1, 16);
    for _ in 0..44100 {
        w.write_sample(0i16).unwrap();
    }
    w.finalize().unwrap();
    let tone = music(dir.path(), "tone.wav", 3.0, -12.0, false);
    let out = dir.path().join("o");
    let o = coremusic()
        .arg("convert")
        .args([&silent, &tone])
        .arg("-o")
        .arg(&out)
        .args(["--normalize", "-23", "--verify"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("silent -> silent LUFS (+0.00 dB)"), "{err}");
    assert!(err.contains("-> -23.0 LUFS"), "{err}");
    assert!(err.contains("verified 2"), "{err}");
    assert!(err.contains("bit-exact"), "{err}");
    let a = coremusic::io::AudioFile::open(out.join("silent.wav")).unwrap().read_all_i32().unwrap();
    assert!(a.iter().all(|&s| s == 0), "silence stays silence");
}

#[test]
fn bad_targets_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let tone = music(dir.path(), "tone.wav", 0.5, -12.0, false);
    for args in [vec!["--normalize", "5"], vec!["--normalize", "-14", "--true-peak", "9"], vec!["--album"]] {
        let o =
            coremusic().arg("convert").arg(&tone).arg("-o").arg(dir.path().join("x.wav")).args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(!dir.path().join("x.wav").exists());
    }
}

/// `coremusic tag --replaygain --album`: values agree with our meter and
/// ffmpeg's `ebur128` (within 0.1 dB), the audio decodes to the same samples
/// before and after, the FLAC's MD5 stays valid (our check and `flac -t`),
/// and `info --json` reads them back.
#[test]
fn replaygain_tags_are_written_without_touching_the_audio() {
    let dir = tempfile::tempdir().unwrap();
    let album = dir.path().join("album");
    std::fs::create_dir_all(&album).unwrap();
    let a = music(&album, "a.wav", 4.0, -4.0, false);
    let src = music(dir.path(), "b-src.wav", 4.0, -16.0, false);
    let b = album.join("b.flac");
    let o = coremusic().arg("convert").arg(&src).arg("-o").arg(&b).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let decode = |p: &Path| coremusic::io::AudioFile::open(p).unwrap().read_all_i32().unwrap();
    let before = [decode(&a), decode(&b)];
    let o = coremusic().args(["tag", "--replaygain", "--album", "--json"]).arg(&album).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let album_gain = lines[0]["replaygain"]["album_gain_db"].as_f64().unwrap();
    for (path, old) in [(&a, &before[0]), (&b, &before[1])] {
        assert_eq!(&decode(path), old, "{}: the audio changed", path.display());
        let (lufs, _) = measure(path);
        let (code, info, _) = common::tools::info_json(&[path.as_path()]);
        assert_eq!(code, Some(0));
        let rg = &info[0]["replaygain"];
        let gain = rg["track_gain_db"].as_f64().unwrap();
        assert!((gain - (-18.0 - lufs)).abs() <= 0.006, "{}: {rg} vs {lufs} LUFS", path.display());
        assert!((rg["album_gain_db"].as_f64().unwrap() - album_gain).abs() < 0.006, "{rg}");
        if let Some((i, _)) = ffmpeg_measure(path) {
            assert!((gain - (-18.0 - i)).abs() <= 0.1, "{}: gain {gain}, ffmpeg {i} LUFS", path.display());
        }
    }
    // The album lies between its two tracks' gains.
    let gains: Vec<f64> = lines.iter().map(|l| l["replaygain"]["track_gain_db"].as_f64().unwrap()).collect();
    assert!(album_gain > gains[0].min(gains[1]) && album_gain < gains[0].max(gains[1]), "{gains:?} {album_gain}");
    let (_, v, _) = {
        let mut cmd = coremusic();
        cmd.args(["info", "--json", "--verify"]).arg(&b);
        let d = common::tools::run_with_deadline(&mut cmd, std::time::Duration::from_secs(60));
        (d.code, serde_json::from_str::<serde_json::Value>(d.stdout.trim()).unwrap(), d.stderr)
    };
    assert_eq!(v["verified"], true, "the FLAC MD5 must stay valid: {v}");
    if common::tools::have("flac") {
        let t = Command::new("flac").arg("-t").arg("-s").arg(&b).output().unwrap();
        assert!(t.status.success(), "flac -t: {}", String::from_utf8_lossy(&t.stderr));
    }
}

/// An MP3 made by ffmpeg (when it has LAME): tagged in place, ffmpeg
/// decodes the same samples before and after and reads the tags back.
#[test]
fn an_mp3_is_tagged_and_decodes_the_same() {
    if !common::tools::ffmpeg_has_encoder("libmp3lame") {
        eprintln!("note: ffmpeg with libmp3lame not found, test skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wav = music(dir.path(), "s.wav", 3.0, -8.0, false);
    let mp3 = dir.path().join("s.mp3");
    common::tools::run(
        common::tools::ffmpeg()
            .arg("-i")
            .arg(&wav)
            .args(["-c:a", "libmp3lame", "-q:a", "4", "-metadata", "title=Kept"])
            .arg(&mp3),
    )
    .unwrap();
    let before = common::tools::ffmpeg_s32(&mp3).unwrap();
    let o = coremusic().args(["tag", "--replaygain"]).arg(&mp3).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(common::tools::ffmpeg_s32(&mp3).unwrap(), before, "the audio changed");
    let probe = common::tools::run(
        Command::new("ffprobe").args(["-v", "error", "-show_entries", "format_tags", "-of", "json"]).arg(&mp3),
    )
    .unwrap();
    let text = String::from_utf8_lossy(&probe).to_lowercase();
    assert!(text.contains("replaygain_track_gain") && text.contains("\"title\": \"kept\""), "{text}");
}
