//! The tag parsers against ffmpeg/ffprobe and metaflac: files tagged by
//! ffmpeg (WAV, AIFF, CAF, FLAC, MP3 with ID3v2.3/2.4 and ID3v1, WavPack with
//! APE) and by metaflac must give every value ffprobe reports, under the same
//! common name. Skipped (with a note) without the tools.

mod common;

use common::tools::have;

use coremusic::format::SampleFormat;
use coremusic::io::tags::{
    parse_aiff_text, parse_ape, parse_caf_info, parse_id3v1, parse_id3v2, parse_riff_info, parse_vorbis_comment,
};
use coremusic::io::{create_writer, OutputFormat, Tags, WriterSpec};

fn tags_of(f: impl FnOnce(&mut Tags)) -> Tags {
    let mut t = Tags::default();
    f(&mut t);
    t
}

/// Finds the tags in a file the way the readers will, with this module's parsers.
fn tags_in_file(bytes: &[u8]) -> Tags {
    let mut t = Tags::default();
    let word = |b: &[u8], at: usize| -> [u8; 4] { b.get(at..at + 4).and_then(|w| w.try_into().ok()).unwrap_or([0; 4]) };
    let be = |b: &[u8], at: usize| u32::from_be_bytes(word(b, at)) as usize;
    let le = |b: &[u8], at: usize| u32::from_le_bytes(word(b, at)) as usize;
    match bytes.get(..4) {
        Some(b"RIFF") => {
            let mut pos = 12;
            while pos + 8 <= bytes.len() {
                let (id, size) = (&bytes[pos..pos + 4], le(bytes, pos + 4));
                let data = &bytes[pos + 8..(pos + 8 + size).min(bytes.len())];
                if id == b"LIST" && data.starts_with(b"INFO") {
                    parse_riff_info(&data[4..], &mut t);
                } else if id == b"id3 " || id == b"ID3 " {
                    parse_id3v2(data, &mut t);
                }
                pos += 8 + size + (size & 1);
            }
        }
        Some(b"FORM") => {
            let mut pos = 12;
            while pos + 8 <= bytes.len() {
                let (id, size) = (&bytes[pos..pos + 4], be(bytes, pos + 4));
                let data = &bytes[pos + 8..(pos + 8 + size).min(bytes.len())];
                if id == b"ID3 " || id == b"id3 " {
                    parse_id3v2(data, &mut t);
                } else {
                    let id4 = [id[0], id[1], id[2], id[3]];
                    if matches!(&id4, b"NAME" | b"AUTH" | b"(c) " | b"ANNO") {
                        parse_aiff_text(id4, data, &mut t);
                    }
                }
                pos += 8 + size + (size & 1);
            }
        }
        Some(b"caff") => {
            let mut pos = 8;
            while pos + 12 <= bytes.len() {
                let id = &bytes[pos..pos + 4];
                let size = u64::from_be_bytes(bytes[pos + 4..pos + 12].try_into().unwrap()) as usize;
                let data = &bytes[pos + 12..(pos + 12 + size).min(bytes.len())];
                if id == b"info" {
                    parse_caf_info(data, &mut t);
                }
                pos += 12 + size;
            }
        }
        Some(b"fLaC") => {
            let mut pos = 4;
            while pos + 4 <= bytes.len() {
                let kind = bytes[pos] & 0x7F;
                let size = be(&[0, bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]], 0);
                if kind == 4 {
                    parse_vorbis_comment(&bytes[pos + 4..(pos + 4 + size).min(bytes.len())], &mut t);
                }
                if bytes[pos] & 0x80 != 0 {
                    break;
                }
                pos += 4 + size;
            }
        }
        Some(b"wvpk") => parse_ape(bytes, &mut t),
        Some([b'I', b'D', b'3', _]) => {
            // The tag's size: 10 header bytes + a 28-bit syncsafe size (+ 10 for a footer).
            let size = bytes.get(6..10).map_or(0, |s| s.iter().fold(0usize, |n, &b| (n << 7) | usize::from(b & 0x7F)));
            let footer = if bytes.get(5).is_some_and(|f| f & 0x10 != 0) { 10 } else { 0 };
            let n = 10 + size + footer;
            parse_id3v2(&bytes[..n.min(bytes.len())], &mut t);
        }
        _ => {}
    }
    t
}

fn ffprobe_tags(path: &std::path::Path) -> Vec<(String, String)> {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "quiet", "-show_format", "-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ffprobe json");
    let mut v = Vec::new();
    if let Some(map) = json["format"]["tags"].as_object() {
        for (k, val) in map {
            v.push((k.to_ascii_lowercase(), val.as_str().unwrap_or_default().to_string()));
        }
    }
    v
}

#[test]
fn cross_check_ffmpeg_written_tags() {
    if !have("ffmpeg") || !have("ffprobe") {
        eprintln!("ffmpeg/ffprobe not on PATH: skipping the cross-check");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let long = "L".repeat(300);
    let meta = [
        ("title", "Tïtle ☃"),
        ("artist", "Ärtist"),
        ("album", long.as_str()),
        ("date", "2021"),
        ("genre", "Rock"),
        ("comment", "A comment"),
        ("track", "3/9"),
        ("disc", "2"),
        ("composer", "Comp"),
        ("copyright", "(C) Me"),
        ("album_artist", "Various"),
    ];
    let cases: &[(&str, &[&str])] = &[
        ("a.wav", &[]),
        ("b.wav", &["-write_id3v2", "1"]),
        ("a.aiff", &[]),
        ("b.aiff", &["-write_id3v2", "1"]),
        ("a.caf", &[]),
        ("a.flac", &[]),
        ("a.mp3", &[]),
        ("b.mp3", &["-id3v2_version", "3"]),
        ("c.mp3", &["-id3v2_version", "3", "-metadata", "genre=(17)"]),
        ("a.wv", &[]),
    ];
    let mut checked = 0;
    for (name, extra) in cases {
        let path = dir.path().join(name);
        let mut cmd = std::process::Command::new("ffmpeg");
        cmd.args(["-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=0.05"]);
        for (k, v) in meta {
            cmd.arg("-metadata").arg(format!("{k}={v}"));
        }
        cmd.args(*extra).arg(&path);
        if !cmd.status().is_ok_and(|s| s.success()) {
            eprintln!("ffmpeg cannot write {name}: skipped");
            continue;
        }
        let expected = ffprobe_tags(&path);
        let ours = tags_in_file(&std::fs::read(&path).unwrap());
        assert!(!expected.is_empty(), "{name}: ffprobe found no tags");
        for (k, v) in &expected {
            assert_eq!(ours.get(k), Some(v.as_str()), "{name}: key {k}; ours {ours:?}");
            checked += 1;
        }
    }
    eprintln!("cross-checked {checked} tag values against ffprobe");
    assert!(checked > 50);
}

#[test]
fn cross_check_metaflac_and_id3v1() {
    if !have("ffmpeg") || !have("ffprobe") {
        eprintln!("ffmpeg/ffprobe not on PATH: skipping the cross-check");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // ID3v1 only (no v2): the last 128 bytes.
    let mp3 = dir.path().join("v1.mp3");
    let ok = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=0.05", "-write_id3v2", "0", "-write_id3v1", "1"])
        .args([
            "-metadata",
            "title=Old",
            "-metadata",
            "artist=Timer",
            "-metadata",
            "genre=Jazz",
            "-metadata",
            "track=4",
        ])
        .arg(&mp3)
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        let bytes = std::fs::read(&mp3).unwrap();
        let ours = tags_of(|t| parse_id3v1(&bytes, t));
        let expected = ffprobe_tags(&mp3);
        assert!(!expected.is_empty());
        // ffprobe's `encoder` here comes from the LAME header, not the tag.
        for (k, v) in expected.iter().filter(|(k, _)| k != "encoder") {
            assert_eq!(ours.get(k), Some(v.as_str()), "id3v1 key {k}; ours {ours:?}");
        }
    }
    if have("metaflac") {
        let flac = dir.path().join("m.flac");
        assert!(std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=0.05"])
            .arg(&flac)
            .status()
            .is_ok_and(|s| s.success()));
        assert!(std::process::Command::new("metaflac")
            .args([
                "--remove-all-tags",
                "--set-tag=TITLE=Flac ☃",
                "--set-tag=ALBUMARTIST=AA",
                "--set-tag=TRACKNUMBER=7"
            ])
            .args(["--set-tag=REPLAYGAIN_TRACK_GAIN=-1.00 dB", "--set-tag=DESCRIPTION=Desc"])
            .arg(&flac)
            .status()
            .is_ok_and(|s| s.success()));
        let ours = tags_in_file(&std::fs::read(&flac).unwrap());
        assert_eq!(ours.get("title"), Some("Flac ☃"));
        assert_eq!(ours.get("album_artist"), Some("AA"));
        assert_eq!(ours.get("track"), Some("7"));
        assert_eq!(ours.get("replaygain_track_gain"), Some("-1.00 dB"));
        assert_eq!(ours.get("comment"), Some("Desc"));
        let expected = ffprobe_tags(&flac);
        assert!(expected.iter().any(|(k, v)| k == "title" && v == "Flac ☃"));
    } else {
        eprintln!("metaflac not on PATH: skipping");
    }
}

// --- CoreMusic's tag writers, read by ffprobe -------------------------------

/// The values written (non-ASCII, one per common name ffprobe knows).
const WRITTEN: [(&str, &str); 10] = [
    ("title", "Björk — Jóga"),
    ("artist", "Björk"),
    ("album", "Homogenic"),
    ("date", "1997"),
    ("genre", "Electronic"),
    ("comment", "日本語のコメント ✓"),
    ("track", "3/10"),
    ("composer", "Björk Guðmundsdóttir"),
    ("copyright", "© 1997 One Little Indian"),
    ("encoder", "CoreMusic"),
];

/// The format tags ffprobe sees, keys lower-cased.
fn ffprobe_map(path: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    ffprobe_tags(path).into_iter().collect()
}

/// Writes [`WRITTEN`] through `format` (`frames` of 8-bit mono, so odd
/// lengths pad) and checks that ffprobe reports every `(our key, ffprobe
/// key)` pair with the value written.
fn ffprobe_agrees(format: OutputFormat, frames: usize, names: &[(&str, &str)]) {
    if !have("ffprobe") {
        eprintln!("ffprobe not on PATH: skipping its check");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(format!("t.{}", format.extension()));
    let spec = WriterSpec::new(format, 8000, 1, SampleFormat::U8);
    let mut w = create_writer(Box::new(std::fs::File::create(&path).expect("create")), spec).expect("writer");
    w.set_tags(&tags_of(|t| WRITTEN.iter().for_each(|(k, v)| t.push(k, v)))).expect("set_tags");
    w.write_i32(&(0..frames as i32).map(|i| (i % 256) - 128).collect::<Vec<_>>()).expect("write");
    w.finish().expect("finish");
    let got = ffprobe_map(&path);
    for (ours, theirs) in names {
        let want = WRITTEN.iter().find(|(k, _)| k == ours).map(|(_, v)| *v);
        assert_eq!(got.get(*theirs).map(String::as_str), want, "{format:?} {ours} as {theirs}: {got:?}");
    }
}

#[test]
fn ffprobe_reads_the_wav_info_chunk() {
    for frames in [1000, 999] {
        ffprobe_agrees(
            OutputFormat::Wav,
            frames,
            &[
                ("title", "title"),
                ("artist", "artist"),
                ("album", "album"),
                ("date", "date"),
                ("genre", "genre"),
                ("comment", "comment"),
                ("track", "track"),
                ("copyright", "copyright"),
                ("encoder", "encoder"),
            ],
        );
    }
}

#[test]
fn ffprobe_reads_the_flac_vorbis_comments() {
    ffprobe_agrees(
        OutputFormat::Flac,
        1000,
        &[
            ("title", "title"),
            ("artist", "artist"),
            ("album", "album"),
            ("date", "date"),
            ("genre", "genre"),
            ("comment", "comment"),
            ("track", "track"),
            ("composer", "composer"),
            ("copyright", "copyright"),
            ("encoder", "encoder"),
        ],
    );
}

#[test]
fn ffprobe_reads_the_aiff_text_chunks() {
    ffprobe_agrees(
        OutputFormat::Aiff,
        999,
        &[("title", "title"), ("artist", "author"), ("copyright", "copyright"), ("comment", "comment")],
    );
}

#[test]
fn ffprobe_reads_the_caf_info_chunk() {
    ffprobe_agrees(
        OutputFormat::Caf,
        1000,
        &[
            ("title", "title"),
            ("artist", "artist"),
            ("album", "album"),
            ("date", "year"),
            ("genre", "genre"),
            ("comment", "comments"),
            ("track", "track number"),
            ("copyright", "copyright"),
            ("composer", "composer"),
            ("encoder", "encoding application"),
        ],
    );
}
