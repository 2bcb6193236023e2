//! `coremusic tag --replaygain` on lossy and MPEG-4 files, checked with
//! ffmpeg: Ogg Opus gets R128 gains (Q7.8 relative to −23 LUFS, the
//! `OpusHead` output gain untouched), .m4a (AAC from ffmpeg with its `moov`
//! first, ALAC from us with it last) gets iTunes freeform ReplayGain items;
//! ffmpeg decodes the same samples before and after, ffprobe reads the tags,
//! and `info --json` reads them back. Skipped without ffmpeg.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn coremusic() -> Command {
    Command::new(env!("CARGO_BIN_EXE_coremusic"))
}

/// A 3-second 48 kHz stereo tone-and-noise WAV at `gain_db`.
fn source(dir: &Path, name: &str, gain_db: f32) -> PathBuf {
    let path = dir.join(name);
    let mut w = common::hound_int(&path, 48000, 2, 16);
    let g = 10f32.powf(gain_db / 20.0);
    for (i, v) in common::tools::float_signal(3 * 48000, 2, 7).iter().enumerate() {
        let tone = ((i / 2) as f32 * 0.04).sin() * 0.4;
        w.write_sample(((tone + v * 0.2) * g * 32767.0).round().clamp(-32768.0, 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
    path
}

/// ffprobe's format and stream tags of a file, keys lower-cased.
fn probe_tags(path: &Path) -> serde_json::Map<String, serde_json::Value> {
    let out = common::tools::run(
        Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "format_tags:stream_tags", "-of", "json"])
            .arg(path),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let mut tags = serde_json::Map::new();
    let streams = v["streams"].as_array().cloned().unwrap_or_default();
    for t in streams.iter().map(|s| &s["tags"]).chain([&v["format"]["tags"]]) {
        for (k, val) in t.as_object().into_iter().flatten() {
            tags.insert(k.to_lowercase(), val.clone());
        }
    }
    tags
}

/// Tags the files of `dir` as one album; per file its `info --json` replaygain.
fn tag_album(dir: &Path, files: &[&Path]) -> Vec<serde_json::Value> {
    let before: Vec<Vec<i32>> = files.iter().map(|f| common::tools::ffmpeg_s32(f).unwrap()).collect();
    let o = coremusic().args(["tag", "--replaygain", "--album", "--json"]).arg(dir).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    files
        .iter()
        .zip(before)
        .map(|(f, old)| {
            assert!(common::tools::ffmpeg_s32(f).unwrap() == old, "{}: ffmpeg decodes other samples now", f.display());
            let (code, info, err) = common::tools::info_json(&[*f]);
            assert_eq!(code, Some(0), "{err}");
            info[0]["replaygain"].clone()
        })
        .collect()
}

/// Our meter's integrated loudness of a file.
fn lufs(path: &Path) -> f64 {
    let a = coremusic::analysis::loudness::analyze(path, |_| {}, &Default::default()).unwrap();
    a.levels.integrated_lufs.unwrap()
}

#[test]
fn opus_files_get_r128_gains_that_ffprobe_reads() {
    if !common::tools::ffmpeg_has_encoder("libopus") {
        eprintln!("note: ffmpeg with libopus not found, test skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("album");
    std::fs::create_dir_all(&dir).unwrap();
    let ours = dir.join("ours.opus");
    let o = coremusic().arg("convert").arg(source(tmp.path(), "a.wav", -3.0)).arg("-o").arg(&ours).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let theirs = dir.join("theirs.opus");
    common::tools::run(
        common::tools::ffmpeg()
            .arg("-i")
            .arg(source(tmp.path(), "b.wav", -15.0))
            .args(["-c:a", "libopus", "-b:a", "96k", "-metadata", "title=Kept"])
            .arg(&theirs),
    )
    .unwrap();
    let heads: Vec<Vec<u8>> = [&ours, &theirs].iter().map(|p| std::fs::read(p).unwrap()[..47].to_vec()).collect();
    let rgs = tag_album(&dir, &[&ours, &theirs]);
    for (i, path) in [&ours, &theirs].into_iter().enumerate() {
        assert_eq!(std::fs::read(path).unwrap()[..47], heads[i], "{}: the OpusHead changed", path.display());
        let tags = probe_tags(path);
        let q: i32 = tags["r128_track_gain"].as_str().unwrap().parse().unwrap();
        let want = -23.0 - lufs(path);
        assert!((f64::from(q) / 256.0 - want).abs() <= 0.5 / 256.0 + 1e-9, "{}: {q} vs {want} dB", path.display());
        assert!(tags.contains_key("r128_album_gain"), "{tags:?}");
        assert!(!tags.contains_key("replaygain_track_gain"), "{tags:?}");
        let rg = &rgs[i];
        assert!((rg["track_gain_db"].as_f64().unwrap() - (want + 5.0)).abs() < 0.01, "{rg}");
    }
    assert_eq!(probe_tags(&theirs)["title"], "Kept");
}

#[test]
fn m4a_files_get_itunes_replaygain_items_that_ffprobe_reads() {
    if !common::tools::have("ffmpeg") {
        eprintln!("note: ffmpeg not found, test skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("album");
    std::fs::create_dir_all(&dir).unwrap();
    let alac = dir.join("ours.m4a");
    let o = coremusic().arg("convert").arg(source(tmp.path(), "a.wav", -3.0)).arg("-o").arg(&alac).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let aac = dir.join("theirs.m4a");
    common::tools::run(
        common::tools::ffmpeg()
            .arg("-i")
            .arg(source(tmp.path(), "b.wav", -15.0))
            .args(["-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", "-metadata", "title=Kept"])
            .arg(&aac),
    )
    .unwrap();
    let rgs = tag_album(&dir, &[&alac, &aac]);
    for (i, path) in [&alac, &aac].into_iter().enumerate() {
        let tags = probe_tags(path);
        let gain = tags["replaygain_track_gain"].as_str().unwrap();
        let want = -18.0 - lufs(path);
        let got: f64 = gain.trim_end_matches(" dB").parse().unwrap();
        assert!((got - want).abs() <= 0.006, "{}: {gain} vs {want}", path.display());
        assert!(tags.contains_key("replaygain_album_gain") && tags.contains_key("replaygain_track_peak"), "{tags:?}");
        assert!((rgs[i]["track_gain_db"].as_f64().unwrap() - got).abs() < 1e-9, "{}", rgs[i]);
    }
    assert_eq!(probe_tags(&aac)["title"], "Kept");
}
