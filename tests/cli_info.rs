//! `coremusic info` as a user runs it: human and JSON Lines output, a broken
//! file among good ones, exit status.

mod common;

use std::process::Command;

fn coremusic() -> Command {
    Command::new(env!("CARGO_BIN_EXE_coremusic"))
}

#[test]
fn info_json_reports_every_field_and_errors_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = common::hound_wav(dir.path(), "tone.wav", 44100, 2, 44100);
    let text = common::file_with(dir.path(), "notes.mp3", b"this is a text file renamed to mp3\n");
    let empty = common::file_with(dir.path(), "empty.wav", b"");
    let out = coremusic().args(["info", "--json"]).arg(&good).arg(&text).arg(&empty).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a failed file makes the exit status 1");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "{stdout}");

    let g = &lines[0];
    assert_eq!(g["path"], good.to_str().unwrap());
    assert_eq!(g["container"], "wav");
    assert_eq!(g["codec"], "pcm");
    assert_eq!(g["sample_rate"], 44100);
    assert_eq!(g["channels"], 2);
    assert_eq!(g["bits_per_sample"], 16);
    assert_eq!(g["sample_format"], "s16");
    assert_eq!(g["frames"], 44100);
    assert_eq!(g["duration_s"], 1.0);
    assert_eq!(g["bit_rate"], 44100 * 2 * 16);
    assert!(g["tags"].is_object());

    assert_eq!(lines[1]["path"], text.to_str().unwrap());
    let e = lines[1]["error"].as_str().unwrap();
    assert!(e.contains("text"), "{e}");
    let e = lines[2]["error"].as_str().unwrap();
    assert!(e.contains("empty"), "{e}");
}

#[test]
fn info_human_output_is_aligned_and_names_broken_files() {
    let dir = tempfile::tempdir().unwrap();
    let good = common::hound_wav(dir.path(), "mono.wav", 48000, 1, 4800);
    let out = coremusic().arg("info").arg(&good).output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("Sample rate:   48000 Hz"), "{s}");
    assert!(s.contains("Channels:      1 (Mono)"), "{s}");
    assert!(s.contains("Duration:      0:00.100"), "{s}");

    let junk = common::file_with(dir.path(), "junk.wav", &[0x13u8; 300]);
    let out = coremusic().arg("info").arg(&junk).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("junk.wav") && err.contains("not an audio file"), "{err}");
}

#[test]
fn info_on_a_folder_or_missing_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.wav");
    let out = coremusic().args(["info", "--json"]).arg(&missing).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let s = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = s.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines[0]["error"].as_str().unwrap().to_lowercase().contains("no such file"), "{s}");
    assert!(lines[1]["error"].as_str().unwrap().contains("folder"), "{s}");
}

/// Audiobooks (.m4b) carry a chapter track beside the audio: the audio track
/// is the one reported and decoded.
#[test]
fn an_m4b_audiobook_with_chapters_reads_like_ffmpeg() {
    if Command::new("ffmpeg").arg("-version").output().is_err() {
        eprintln!("note: ffmpeg not on PATH, test skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let meta = common::file_with(
        dir.path(),
        "chapters.txt",
        b";FFMETADATA1\ntitle=My Audiobook\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=One\n\
          [CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=3000\ntitle=Two\n",
    );
    let book = dir.path().join("book.m4b");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=300:d=3", "-i"])
        .arg(&meta)
        .args(["-map", "0", "-map_metadata", "1", "-map_chapters", "1", "-c:a", "aac", "-b:a", "64k"])
        .arg(&book)
        .status()
        .unwrap();
    if !made.success() {
        eprintln!("note: ffmpeg could not make an m4b here, test skipped");
        return;
    }
    let out = coremusic().args(["info", "--json"]).arg(&book).output().unwrap();
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["codec"], "aac");
    assert_eq!(j["frames"], 3 * 44100);
    assert_eq!(j["tags"]["title"], "My Audiobook");
    let all = coremusic::io::AudioFile::open(&book).unwrap().read_all().unwrap();
    assert_eq!(all.len(), 3 * 44100);
}
