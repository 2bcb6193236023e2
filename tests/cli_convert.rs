//! `coremusic convert` and the batch runner as a user meets them: lossless
//! round trips stay bit-exact, resampling gives the exact length, broken
//! inputs fail alone, nothing is ever written over an input or left half-done.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use coremusic::convert::{batch_process_parallel, plan, BatchEvent, ConvertError, ConvertOptions, EventLog, Outcome};

fn coremusic() -> Command {
    Command::new(env!("CARGO_BIN_EXE_coremusic"))
}

fn samples(path: &Path) -> Vec<i32> {
    coremusic::io::AudioFile::open(path).unwrap().read_all_i32().unwrap()
}

/// A 24-bit stereo WAV of noise-like content (hound).
fn wav24(dir: &Path, name: &str, frames: u32) -> PathBuf {
    let path = dir.join(name);
    let mut w = common::hound_int(&path, 44100, 2, 24);
    let mut s = 12345u32;
    for i in 0..frames * 2 {
        s = s.wrapping_mul(1103515245).wrapping_add(12345);
        let tone = ((i / 2) as f64 * 0.05).sin() * 3_000_000.0;
        w.write_sample(tone as i32 + ((s >> 8) as i32 % 100_000)).unwrap();
    }
    w.finalize().unwrap();
    path
}

fn leftovers(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for e in walk(dir) {
        let name = e.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("coremusic-part") {
            found.push(name);
        }
    }
    found
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn wav_to_flac_to_aiff_to_caf_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    let src = wav24(dir.path(), "src.wav", 30_000);
    let flac = dir.path().join("a.flac");
    let aiff = dir.path().join("b.aiff");
    let caf = dir.path().join("c.caf");
    for (from, to) in [(&src, &flac), (&flac, &aiff), (&aiff, &caf)] {
        let st = coremusic().arg("convert").arg(from).arg("-o").arg(to).status().unwrap();
        assert!(st.success(), "{} → {}", from.display(), to.display());
    }
    let want = samples(&src);
    assert_eq!(samples(&flac), want);
    assert_eq!(samples(&aiff), want);
    assert_eq!(samples(&caf), want);
    let info = coremusic::io::inspect(&caf).unwrap();
    assert_eq!((info.sample_rate, info.channels, info.bits_per_sample), (44100, 2, Some(24)));
    // int → float is exact too.
    let f32_path = dir.path().join("d.wav");
    assert!(coremusic()
        .arg("convert")
        .arg(&src)
        .arg("-o")
        .arg(&f32_path)
        .args(["--bits", "32f"])
        .status()
        .unwrap()
        .success());
    let f = coremusic::io::AudioFile::open(&f32_path).unwrap().read_all().unwrap();
    let back: Vec<i32> = f.iter().map(|&x| coremusic::format::f32_to_int(x, 24)).collect();
    assert_eq!(back, want);
}

#[test]
fn resampling_gives_the_exact_length_and_reducing_depth_dithers() {
    let dir = tempfile::tempdir().unwrap();
    let src = wav24(dir.path(), "src.wav", 44_101);
    let out = dir.path().join("out.wav");
    let st = coremusic()
        .arg("convert")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .args(["--rate", "48000", "--bits", "16"])
        .status()
        .unwrap();
    assert!(st.success());
    let info = coremusic::io::inspect(&out).unwrap();
    assert_eq!(info.sample_rate, 48000);
    assert_eq!(info.bits_per_sample, Some(16));
    // ceil(44101 × 160 / 147)
    assert_eq!(info.frames, Some((44_101u64 * 160).div_ceil(147)));

    // 24 → 16 without resampling: dithered output differs from plain rounding
    // by at most one step, and not everywhere equal to it.
    let d = dir.path().join("dithered.wav");
    let r = dir.path().join("rounded.wav");
    assert!(coremusic().arg("convert").arg(&src).arg("-o").arg(&d).args(["--bits", "16"]).status().unwrap().success());
    assert!(coremusic()
        .arg("convert")
        .arg(&src)
        .arg("-o")
        .arg(&r)
        .args(["--bits", "16", "--no-dither"])
        .status()
        .unwrap()
        .success());
    let (sd, sr) = (samples(&d), samples(&r));
    assert_eq!(sd.len(), sr.len());
    assert!(sd.iter().zip(&sr).all(|(a, b)| (a - b).abs() <= 2));
    assert!(sd.iter().zip(&sr).any(|(a, b)| a != b), "dither changed nothing");
    let rounded: Vec<i32> = samples(&src).iter().map(|&v| ((v as f64) / 256.0).round() as i32).collect();
    assert_eq!(sr, rounded);
}

#[test]
fn a_batch_with_a_broken_file_converts_the_rest_and_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("in");
    std::fs::create_dir_all(inbox.join("sub")).unwrap();
    common::hound_wav(&inbox, "one.wav", 44100, 2, 5000);
    common::hound_wav(&inbox, "two.wav", 22050, 1, 5000);
    common::hound_wav(&inbox.join("sub"), "three.wav", 48000, 2, 5000);
    common::file_with(&inbox, "broken.wav", b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00garbage");
    let out = dir.path().join("out");
    let o = coremusic()
        .arg("convert")
        .arg(&inbox)
        .arg("-o")
        .arg(&out)
        .args(["--format", "flac", "--json", "--keep-tree"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "a failure makes the exit status 1");
    let lines: Vec<serde_json::Value> =
        String::from_utf8(o.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary = lines.iter().find(|l| l["event"] == "summary").unwrap();
    assert_eq!(summary["converted"], 3);
    assert_eq!(summary["failed"], 1);
    let failed = lines.iter().find(|l| l["event"] == "failed").unwrap();
    assert!(failed["input"].as_str().unwrap().ends_with("broken.wav"));
    assert!(!failed["error"].as_str().unwrap().is_empty());
    assert!(out.join("in/one.flac").exists() && out.join("in/sub/three.flac").exists(), "--keep-tree mirrors folders");
    assert!(!out.join("in/broken.flac").exists(), "no output for a failed input");
    assert!(leftovers(&out).is_empty());

    // Again: everything that exists is skipped, nothing is overwritten.
    let o = coremusic()
        .arg("convert")
        .arg(&inbox)
        .arg("-o")
        .arg(&out)
        .args(["--format", "flac", "--keep-tree"])
        .output()
        .unwrap();
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("skipped 3"), "{err}");
}

#[test]
fn an_input_is_never_written_over() {
    let dir = tempfile::tempdir().unwrap();
    let src = common::hound_wav(dir.path(), "keep.wav", 44100, 2, 1000);
    let before = std::fs::read(&src).unwrap();
    let o = coremusic()
        .arg("convert")
        .arg(&src)
        .arg("-o")
        .arg(&src)
        .args(["--overwrite", "--bits", "24"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8(o.stderr).unwrap().contains("never writes over an input"));
    // The same file through another spelling of its path.
    let other = dir.path().join(".").join("keep.wav");
    let o = coremusic().arg("convert").arg(&src).arg("-o").arg(&other).args(["--overwrite"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read(&src).unwrap(), before);
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn cancelling_mid_batch_leaves_no_partial_files_and_inputs_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<PathBuf> =
        (0..6).map(|i| common::hound_wav(dir.path(), &format!("f{i}.wav"), 44100, 2, 200_000)).collect();
    let before: Vec<Vec<u8>> = inputs.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let out = dir.path().join("out");
    let opts = ConvertOptions { rate: Some(48000), ..Default::default() };
    let p = plan(&inputs, &out, &opts);
    std::fs::create_dir_all(&out).unwrap();
    let cancel = AtomicBool::new(false);
    let log = EventLog::default();
    let on_event = |e: BatchEvent| {
        if matches!(e, BatchEvent::Progress { .. }) {
            cancel.store(true, Ordering::SeqCst); // the user presses cancel as soon as work is under way
        }
        log.push(e);
    };
    let results = batch_process_parallel(&p.items, &opts, 2, &on_event, &cancel);
    assert_eq!(results.len(), 6);
    assert!(results.iter().any(|r| matches!(r, Err(ConvertError::Cancelled))));
    for (r, item) in results.iter().zip(&p.items) {
        if let Ok(Outcome::Converted(_)) = r {
            assert!(item.output.exists());
        } else {
            assert!(!item.output.exists(), "{} left behind", item.output.display());
        }
    }
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    for (p, b) in inputs.iter().zip(before) {
        assert_eq!(std::fs::read(p).unwrap(), b);
    }
}

#[test]
fn presets_hold_every_option() {
    let dir = tempfile::tempdir().unwrap();
    let src = common::hound_wav(dir.path(), "s.wav", 44100, 2, 4410);
    let preset = dir.path().join("mono48.toml");
    let out1 = dir.path().join("a.wav");
    let st = coremusic()
        .arg("convert")
        .arg(&src)
        .arg("-o")
        .arg(&out1)
        .args(["--rate", "48000", "--channels", "1", "--save-preset"])
        .arg(&preset)
        .status()
        .unwrap();
    assert!(st.success());
    let out2 = dir.path().join("b.caf");
    assert!(coremusic()
        .arg("convert")
        .arg(&src)
        .arg("-o")
        .arg(&out2)
        .arg("--preset")
        .arg(&preset)
        .status()
        .unwrap()
        .success());
    let info = coremusic::io::inspect(&out2).unwrap();
    assert_eq!((info.container.as_str(), info.sample_rate, info.channels), ("caf", 48000, 1));
}

#[test]
#[cfg(unix)]
fn save_preset_never_writes_over_an_input_or_any_other_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = common::hound_wav(dir.path(), "s.wav", 44100, 2, 4410);
    let other = common::hound_wav(dir.path(), "other.wav", 8000, 1, 100);
    let dangling = dir.path().join("dangling.toml");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
    let before: Vec<Vec<u8>> = [&src, &other].iter().map(|p| std::fs::read(p).unwrap()).collect();
    let out = dir.path().join("out.wav");
    for (target, says) in
        [(&src, "not a CoreMusic preset"), (&other, "not a CoreMusic preset"), (&dangling, "not a CoreMusic preset")]
    {
        let o =
            coremusic().arg("convert").arg(&src).arg("-o").arg(&out).arg("--save-preset").arg(target).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(says) && err.contains(&*target.file_name().unwrap().to_string_lossy()), "{err}");
        assert!(!out.exists(), "converted after refusing the preset");
    }
    let o =
        coremusic().arg("convert").arg(&src).arg("-o").arg(&out).arg("--save-preset").arg(dir.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("a folder"));
    for (p, b) in [&src, &other].iter().zip(before) {
        assert_eq!(std::fs::read(p).unwrap(), b, "{} was changed", p.display());
    }
    assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
    assert!(!dir.path().join("nowhere").exists());

    // A preset is replaced by the new one.
    let preset = dir.path().join("p.toml");
    for rate in ["48000", "96000"] {
        let st = coremusic()
            .arg("convert")
            .arg(&src)
            .arg("-o")
            .arg(dir.path().join(format!("{rate}.wav")))
            .args(["--rate", rate, "--save-preset"])
            .arg(&preset)
            .status()
            .unwrap();
        assert!(st.success());
    }
    assert_eq!(ConvertOptions::load(&preset).unwrap().rate, Some(96000));
}

/// A 16-bit stereo 44.1 kHz FLAC `tagged.flac` in `dir` holding `tags` and
/// `frames` frames of a constant.
fn tagged_flac(dir: &Path, tags: &[(&str, &str)], frames: usize) -> PathBuf {
    let src = dir.join("tagged.flac");
    let spec = coremusic::io::WriterSpec::new(
        coremusic::io::OutputFormat::Flac,
        44100,
        2,
        coremusic::format::SampleFormat::S16,
    );
    let mut w = coremusic::io::create_writer(Box::new(std::fs::File::create(&src).unwrap()), spec).unwrap();
    let mut t = coremusic::io::Tags::default();
    for (k, v) in tags {
        t.push(k, v);
    }
    w.set_tags(&t).unwrap();
    w.write_i32(&vec![100; frames * 2]).unwrap();
    w.finish().unwrap();
    src
}

#[test]
fn tags_are_carried_over() {
    let dir = tempfile::tempdir().unwrap();
    let src = tagged_flac(dir.path(), &[("title", "Jóga"), ("artist", "Björk")], 1000);
    for ext in ["wav", "aiff", "caf", "flac"] {
        let out = dir.path().join(format!("copy.{ext}"));
        assert!(coremusic().arg("convert").arg(&src).arg("-o").arg(&out).status().unwrap().success());
        let info = coremusic::io::inspect(&out).unwrap();
        assert_eq!(info.tags.get("title").map(String::as_str), Some("Jóga"), "{ext}");
        assert_eq!(info.tags.get("artist").map(String::as_str), Some("Björk"), "{ext}");
    }
}

#[test]
fn alac_m4a_output_is_bit_exact_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let src = wav24(dir.path(), "src.wav", 10_000);
    let m4a = dir.path().join("out.m4a");
    assert!(coremusic().arg("convert").arg(&src).arg("-o").arg(&m4a).status().unwrap().success());
    let info = coremusic::io::inspect(&m4a).unwrap();
    assert_eq!((info.container.as_str(), info.codec.as_str()), ("mp4", "alac"));
    assert_eq!((info.frames, info.bits_per_sample), (Some(10_000), Some(24)));
    assert_eq!(samples(&m4a), samples(&src));
    // `--format alac` into a folder names the outputs .m4a.
    let out = dir.path().join("folder");
    assert!(coremusic().arg("convert").arg(&src).arg("-o").arg(&out).args(["-f", "alac"]).status().unwrap().success());
    assert!(out.join("src.m4a").exists());
}

/// True when the tests run as root (permissions do not stop root's writes).
fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn an_output_folder_that_cannot_be_written_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let src = wav24(dir.path(), "src.wav", 5000);
    let before = std::fs::read(&src).unwrap();
    // A regular file where the output folder should be: creation fails for
    // root too.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"not a folder").unwrap();
    let out = blocker.join("sub").join("out.flac");
    let run = coremusic().arg("convert").arg(&src).arg("-o").arg(&out).output().unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains(&blocker.display().to_string()), "the error names no path: {err}");
    assert_eq!(std::fs::read(&blocker).unwrap(), b"not a folder");
    assert_eq!(std::fs::read(&src).unwrap(), before);
    assert!(leftovers(dir.path()).is_empty());

    // A read-only folder (only meaningful when not root).
    if running_as_root() {
        eprintln!("note: running as root, where a read-only folder does not stop writes; that case is skipped");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = ro.join("out.wav");
    let run = coremusic().arg("convert").arg(&src).arg("-o").arg(&out).output().unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("out.wav") && err.to_lowercase().contains("permission"), "{err}");
    assert!(std::fs::read_dir(&ro).unwrap().next().is_none(), "something was written into the read-only folder");
}

#[test]
fn alac_m4a_carries_the_tags() {
    let dir = tempfile::tempdir().unwrap();
    let want = [
        ("title", "Jóga"),
        ("artist", "Björk"),
        ("album", "Homogenic"),
        ("album_artist", "Björk"),
        ("date", "1997"),
        ("genre", "Electronic"),
        ("comment", "日本語のコメント ✓"),
        ("composer", "Björk Guðmundsdóttir"),
        ("copyright", "© 1997 One Little Indian"),
        ("track", "3/10"),
        ("disc", "1"),
    ];
    let src = tagged_flac(dir.path(), &want, 10_000);
    let m4a = dir.path().join("out.m4a");
    assert!(coremusic().arg("convert").arg(&src).arg("-o").arg(&m4a).status().unwrap().success());
    let info = coremusic::io::inspect(&m4a).unwrap();
    for (k, v) in want {
        let v = if k == "track" { "3" } else { v };
        let got = info.tags.get(k);
        assert_eq!(got.map(String::as_str), Some(v), "{k} in {:?}", info.tags);
    }
    assert_eq!(info.tags.get("track_total").map(String::as_str), Some("10"));
    assert_eq!(samples(&m4a), samples(&src));
    // `coremusic info` shows them.
    let out = coremusic().arg("info").arg(&m4a).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Homogenic") && text.contains("Jóga"), "{text}");
    if !common::tools::have("ffprobe") {
        eprintln!("note: ffprobe not on PATH; the ffprobe check of the .m4a tags is skipped");
        return;
    }
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format_tags", "-of", "json"])
        .arg(&m4a)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&probe.stdout).unwrap();
    let t = &json["format"]["tags"];
    for (key, v) in want {
        assert_eq!(t[key].as_str(), Some(v), "ffprobe {key}: {t}");
    }
}
