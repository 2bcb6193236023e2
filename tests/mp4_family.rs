//! The MPEG-4 family as users meet it: AAC and ALAC in `.m4a`, audiobooks in
//! `.m4b` with chapters (QuickTime text tracks and Nero `chpl`), `.3gp` and
//! `.3g2` phone recordings, fragmented files, `co64`, the audio track behind a
//! video track, cut-off downloads. Files are made by ffmpeg at test time
//! (skipped cleanly without it) and crafted by rewriting their boxes; every
//! length is checked three ways: `info --json`, a full decode, and ffprobe.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::tools::{ffmpeg, ffmpeg_has_encoder, have, run};

fn coremusic() -> Command {
    Command::new(env!("CARGO_BIN_EXE_coremusic"))
}

/// Makes `name` from a 3 s tone (plus `pre` inputs) with ffmpeg, or `None`
/// when this ffmpeg cannot.
fn make(dir: &Path, name: &str, rate: u32, pre: &[&str], args: &[&str]) -> Option<PathBuf> {
    let path = dir.join(name);
    let mut c = ffmpeg();
    c.args(["-f", "lavfi", "-i", &format!("sine=f=300:d=3:r={rate}")]).args(pre).args(args).arg(&path);
    match run(&mut c) {
        Ok(_) => Some(path),
        Err(e) => {
            eprintln!("note: ffmpeg could not make {name} here ({e}), skipped");
            None
        }
    }
}

fn info_json(path: &Path) -> serde_json::Value {
    let out = coremusic().args(["info", "--json"]).arg(path).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn ffprobe(path: &Path) -> serde_json::Value {
    let out = run(Command::new("ffprobe")
        .args(["-v", "error", "-show_streams", "-show_format", "-show_chapters"])
        .args(["-of", "json"])
        .arg(path))
    .unwrap();
    serde_json::from_slice(&out).unwrap()
}

/// ffprobe's duration of the first audio stream, in seconds.
fn ffprobe_audio_duration(p: &serde_json::Value) -> f64 {
    let s = p["streams"].as_array().unwrap().iter().find(|s| s["codec_type"] == "audio").expect("an audio stream");
    s["duration"].as_str().unwrap().parse().unwrap()
}

/// Frames a full decode gives.
fn decoded_frames(path: &Path) -> u64 {
    let mut f = coremusic::io::AudioFile::open(path).unwrap_or_else(|e| panic!("{e}"));
    let ch = f.info().channels();
    (f.read_all().unwrap().len() / ch) as u64
}

/// `info --json`, a decode and ffprobe agree on the length; returns the JSON.
fn agrees(path: &Path, rate: u32) -> serde_json::Value {
    let j = info_json(path);
    assert!(j.get("error").is_none(), "{}: {j}", path.display());
    let frames = j["frames"].as_u64().unwrap();
    assert_eq!(decoded_frames(path), frames, "{}: decode and info disagree", path.display());
    let theirs = ffprobe_audio_duration(&ffprobe(path));
    let ours = j["duration_s"].as_f64().unwrap();
    assert!((ours - theirs).abs() <= 1.5 / rate as f64, "{}: ours {ours} s, ffprobe {theirs} s", path.display());
    eprintln!("{}: {frames} frames, {ours} s (ffprobe {theirs} s)", path.file_name().unwrap().to_string_lossy());
    j
}

fn ready() -> bool {
    let ok = have("ffmpeg") && have("ffprobe") && ffmpeg_has_encoder("aac");
    if !ok {
        eprintln!("note: ffmpeg/ffprobe with an AAC encoder not available, test skipped");
    }
    ok
}

const CONTAINERS: [&[u8; 4]; 8] = [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"tref"];

/// Replaces a box (type, body) with `Some(bytes)` (empty to drop it), or keeps it.
type Edit<'a> = &'a dyn Fn(&[u8; 4], &[u8]) -> Option<Vec<u8>>;

/// Rebuilds a box tree, letting `f` replace any box.
fn rewrite(data: &[u8], f: Edit<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 8 <= data.len() {
        let size = u32::from_be_bytes(data[pos..pos + 4].try_into().unwrap()) as usize;
        let size = if size == 0 { data.len() - pos } else { size };
        let kind: [u8; 4] = data[pos + 4..pos + 8].try_into().unwrap();
        let body = &data[pos + 8..pos + size];
        if let Some(new) = f(&kind, body) {
            out.extend_from_slice(&new);
        } else if &kind == b"stsd" || &kind == b"mp4a" {
            // Boxes with fields before their children: 8 bytes (version,
            // flags, entry count) and the 28 of an audio sample entry.
            let at = if &kind == b"stsd" { 8 } else { 28 };
            let mut b = body[..at].to_vec();
            b.extend_from_slice(&rewrite(&body[at..], f));
            out.extend_from_slice(&boxed(&kind, &b));
        } else if CONTAINERS.contains(&&kind) {
            out.extend_from_slice(&boxed(&kind, &rewrite(body, f)));
        } else {
            out.extend_from_slice(&data[pos..pos + size]);
        }
        pos += size;
    }
    out
}

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

/// A Nero `chpl` body (version 1) for `(start_s, title)` pairs.
fn chpl(chapters: &[(f64, &str)]) -> Vec<u8> {
    let mut b = vec![1, 0, 0, 0, 0, 0, 0, 0, chapters.len() as u8];
    for (start, title) in chapters {
        b.extend_from_slice(&((start * 1e7).round() as u64).to_be_bytes());
        b.push(title.len() as u8);
        b.extend_from_slice(title.as_bytes());
    }
    b
}

#[test]
fn audiobooks_podcasts_and_phone_recordings_read_like_ffprobe() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let meta = common::file_with(
        d,
        "chapters.txt",
        b";FFMETADATA1\ntitle=Book\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=One\n\
          [CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=3000\ntitle=Two \xc3\xa9\n",
    );
    let chap_args = ["-i", meta.to_str().unwrap()];
    let aac = ["-map", "0:a", "-map_metadata", "1", "-map_chapters", "1", "-c:a", "aac", "-b:a", "64k"];
    let mut made = Vec::new();
    made.extend(make(d, "book.m4b", 44100, &chap_args, &aac));
    made.extend(make(d, "fast.m4a", 44100, &[], &["-c:a", "aac", "-movflags", "+faststart"]));
    made.extend(make(d, "frag.m4a", 44100, &[], &["-c:a", "aac", "-movflags", "frag_keyframe+empty_moov"]));
    made.extend(make(d, "a.3g2", 22050, &[], &["-c:a", "aac", "-f", "3g2"]));
    made.extend(make(d, "a.3gp", 8000, &[], &["-c:a", "aac", "-f", "3gp"]));
    if ffmpeg_has_encoder("alac") {
        made.extend(make(d, "alac.m4a", 48000, &[], &["-c:a", "alac"]));
    }
    if ffmpeg_has_encoder("mpeg4") {
        let video = ["-f", "lavfi", "-i", "testsrc=d=3:s=64x48:r=10"];
        made.extend(make(
            d,
            "vfirst.mp4",
            44100,
            &video,
            &["-map", "1:v", "-map", "0:a", "-c:v", "mpeg4", "-c:a", "aac"],
        ));
    }
    for path in &made {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let rate = if name.ends_with("3g2") {
            22050
        } else if name.ends_with("3gp") {
            8000
        } else if name.starts_with("alac") {
            48000
        } else {
            44100
        };
        let j = agrees(path, rate);
        assert_eq!(j["container"], "mp4");
        assert_eq!(j["sample_rate"], rate);
        assert_eq!(j["warnings"].as_array().map_or(0, |w| w.len()), 0, "{name}: {j}");
        // Priming is removed: exactly the 3 s that went in (fragmented files
        // have no edit list to say so, and ffprobe counts it too).
        if !name.starts_with("frag") {
            assert_eq!(j["frames"], 3 * rate, "{name}");
        }
    }
    // The audiobook: chapters in JSON (and as ffprobe lists them), tags, human text.
    let book = d.join("book.m4b");
    if book.exists() {
        let j = info_json(&book);
        assert_eq!(j["tags"]["title"], "Book");
        let ch = j["chapters"].as_array().expect("chapters");
        assert_eq!(ch.len(), 2, "{j}");
        assert_eq!(ch[0]["title"], "One");
        assert_eq!(ch[0]["start_s"], 0.0);
        assert_eq!(ch[1]["title"], "Two é");
        assert!((ch[1]["start_s"].as_f64().unwrap() - 1.5).abs() < 1e-3);
        let p = ffprobe(&book);
        assert_eq!(p["chapters"].as_array().unwrap().len(), 2);
        let out = coremusic().arg("info").arg(&book).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Chapters:      2") && text.contains("Two é"), "{text}");
        // Without `tref/chap` the text track is only a track beside the audio:
        // the Nero `chpl` ffmpeg also writes gives the chapters.
        let bytes = std::fs::read(&book).unwrap();
        let no_tref = rewrite(&bytes, &|k, _| (k == b"tref").then(Vec::new));
        let path = common::file_with(d, "no-tref.m4b", &no_tref);
        let j = agrees(&path, 44100);
        assert_eq!(j["chapters"].as_array().map(|c| c.len()), Some(2), "{j}");
        assert_eq!(j["chapters"][1]["title"], "Two é");
    }
    // The files without chapters have no "chapters" field.
    assert!(info_json(&d.join("fast.m4a")).get("chapters").is_none());
}

#[test]
fn crafted_boxes_co64_nero_chapters_and_foreign_codecs() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // ffmpeg's default layout: mdat before moov, so moov can grow freely.
    let Some(plain) = make(d, "plain.m4a", 44100, &[], &["-c:a", "aac", "-b:a", "96k"]) else { return };
    let bytes = std::fs::read(&plain).unwrap();
    let reference = agrees(&plain, 44100);

    // 32-bit chunk offsets rewritten as 64-bit ones.
    let co64 = rewrite(&bytes, &|k, body| {
        (k == b"stco").then(|| {
            let n = u32::from_be_bytes(body[4..8].try_into().unwrap()) as usize;
            let mut b = body[..8].to_vec();
            for i in 0..n {
                let off = u32::from_be_bytes(body[8 + 4 * i..12 + 4 * i].try_into().unwrap());
                b.extend_from_slice(&(off as u64).to_be_bytes());
            }
            boxed(b"co64", &b)
        })
    });
    assert_ne!(co64, bytes);
    let path = common::file_with(d, "co64.m4a", &co64);
    let j = agrees(&path, 44100);
    assert_eq!(j["frames"], reference["frames"]);
    let a = coremusic::io::AudioFile::open(&plain).unwrap().read_all().unwrap();
    let b = coremusic::io::AudioFile::open(&path).unwrap().read_all().unwrap();
    assert!(a == b, "co64 decodes differently");

    // A Nero chapter list in moov/udta, by hand.
    let nero = chpl(&[(0.0, "Prologue"), (1.25, "Chapter 1"), (2.5, "")]);
    let with_chpl = rewrite(&bytes, &|k, body| {
        (k == b"moov").then(|| {
            let mut b = rewrite(body, &|k, _| (k == b"udta").then(Vec::new));
            b.extend_from_slice(&boxed(b"udta", &boxed(b"chpl", &nero)));
            boxed(b"moov", &b)
        })
    });
    let path = common::file_with(d, "nero.m4b", &with_chpl);
    let j = agrees(&path, 44100);
    let ch = j["chapters"].as_array().expect("chapters");
    assert_eq!(ch.len(), 3, "{j}");
    assert_eq!(ch[1]["title"], "Chapter 1");
    assert_eq!(ch[1]["start_s"], 1.25);
    assert_eq!(ffprobe(&path)["chapters"].as_array().unwrap().len(), 3);
    // A chapter list cut short keeps the chapters that are whole.
    let cut = rewrite(&bytes, &|k, body| {
        (k == b"moov").then(|| {
            let mut b = body.to_vec();
            b.extend_from_slice(&boxed(b"udta", &boxed(b"chpl", &nero[..nero.len() - 5])));
            boxed(b"moov", &b)
        })
    });
    let j = info_json(&common::file_with(d, "nero-cut.m4b", &cut));
    assert_eq!(j["chapters"].as_array().map(|c| c.len()), Some(2), "{j}");

    // A codec CoreMusic does not decode is named, with the brand's family.
    let Some(gp) = make(d, "amr.3gp", 8000, &[], &["-c:a", "aac", "-f", "3gp"]) else { return };
    let mut b = std::fs::read(&gp).unwrap();
    let at = b.windows(4).position(|w| w == b"mp4a").expect("mp4a entry");
    b[at..at + 4].copy_from_slice(b"samr");
    let j = info_json(&common::file_with(d, "amr.3gp", &b));
    let e = j["error"].as_str().expect("an error");
    assert!(e.contains("AMR-NB") && e.contains("3GPP"), "{e}");
}

#[test]
fn cut_off_downloads_report_what_is_there() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(fast) = make(d, "fast.m4a", 44100, &[], &["-c:a", "aac", "-movflags", "+faststart"]) else { return };
    let bytes = std::fs::read(&fast).unwrap();
    // moov first: cut inside mdat keeps the packets that are whole.
    let path = common::file_with(d, "cut.m4a", &bytes[..bytes.len() * 6 / 10]);
    let j = info_json(&path);
    let frames = j["frames"].as_u64().unwrap();
    assert!(frames > 44100 && frames < 3 * 44100, "{j}");
    assert_eq!(decoded_frames(&path), frames);
    let w = j["warnings"].as_array().unwrap();
    assert!(w.iter().any(|w| w.as_str().unwrap().contains("the header says 0:03.000")), "{j}");
    // mdat first: cut before moov is complete: a clear error.
    let Some(plain) = make(d, "plain.m4a", 44100, &[], &["-c:a", "aac"]) else { return };
    let bytes = std::fs::read(&plain).unwrap();
    let j = info_json(&common::file_with(d, "nomoov.m4a", &bytes[..bytes.len() - 200]));
    let e = j["error"].as_str().expect("an error");
    assert!(e.contains("moov"), "{e}");
}

/// Damaged audiobooks, fragmented files and 3g2s (bytes flipped, often in
/// the boxes; cut at many lengths) open or fail cleanly and read to an end
/// in a bounded number of calls: no panic, no hang.
#[test]
fn damaged_mp4_family_files_never_panic_or_hang() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let meta = common::file_with(d, "c.txt", b";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=500\ntitle=A\n");
    let mut seeds = Vec::new();
    let chap = ["-i", meta.to_str().unwrap()];
    let short = ["-t", "0.5", "-map", "0:a", "-map_chapters", "1", "-c:a", "aac", "-b:a", "32k"];
    seeds.extend(make(d, "s.m4b", 8000, &chap, &short));
    seeds.extend(make(d, "s.m4a", 8000, &[], &["-t", "0.5", "-c:a", "aac", "-movflags", "frag_keyframe+empty_moov"]));
    seeds.extend(make(d, "s.3g2", 8000, &[], &["-t", "0.5", "-c:a", "aac", "-f", "3g2"]));
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rng = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for seed in seeds {
        let bytes = std::fs::read(&seed).unwrap();
        let moov = bytes.windows(4).position(|w| w == b"moov").unwrap_or(0);
        for k in 0..300 {
            let mut b = bytes.clone();
            let len = b.len();
            if k % 6 == 5 {
                b.truncate((rng() % len as u64) as usize);
            } else {
                // Most flips land in moov, where the sizes and counts are.
                let at = if k % 2 == 0 { moov + (rng() % 600) as usize } else { (rng() % len as u64) as usize };
                let at = at.min(len - 1);
                b[at] ^= (rng() % 255 + 1) as u8;
            }
            let Ok(mut r) = coremusic::io::open_source(coremusic::io::Source::memory(b)) else { continue };
            let ch = r.info().channels().clamp(1, 64);
            let mut buf = vec![0f32; 97 * ch];
            let mut calls = 0;
            while let Ok(n) = r.read_f32(&mut buf) {
                if n == 0 {
                    break;
                }
                calls += 1;
                assert!(calls < 20_000, "{}: variant {k} never ends", seed.display());
            }
            let _ = r.seek(r.info().frames.unwrap_or(0) / 2);
            let _ = r.read_f32(&mut buf);
            let _ = r.take_warnings();
        }
    }
}

/// An `esds` box whose decoder config is the AudioSpecificConfig `asc`.
fn esds(asc: &[u8]) -> Vec<u8> {
    let desc = |tag: u8, body: &[u8]| {
        let mut d = vec![tag, body.len() as u8];
        d.extend_from_slice(body);
        d
    };
    let mut dcd = vec![0x40, 0x15, 0, 0x18, 0, 0, 1, 0xf4, 0, 0, 1, 0xf4, 0];
    dcd.extend(desc(5, asc));
    let mut es = vec![0, 1, 0];
    es.extend(desc(4, &dcd));
    es.extend(desc(6, &[2]));
    let mut body = vec![0u8; 4];
    body.extend(desc(3, &es));
    boxed(b"esds", &body)
}

/// Runs `convert` on `path`; returns its stderr, asserting it failed and
/// left no output file.
fn convert_fails(path: &Path) -> String {
    let out_path = path.with_extension("out.wav");
    let out = coremusic().arg("convert").arg(path).arg("-o").arg(&out_path).output().unwrap();
    assert!(!out.status.success(), "{}: convert succeeded", path.display());
    assert!(!out_path.exists(), "{}: convert left an output file", path.display());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// HE-AAC, HE-AACv2 and 5.1 AAC, which symphonia's AAC decoder refuses:
/// `info` tells what they are (the SBR output rate, twice the core's; the
/// channels of the config; the length of the sample table, as ffprobe),
/// and `convert` fails naming the file and what is not supported. The
/// HE-AAC files are AAC-LC files whose config is rewritten to signal SBR
/// (and PS) explicitly, as HE-AAC encoders write it.
#[test]
fn he_aac_and_multichannel_aac_are_told_truly_and_refused_clearly() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(core) = make(d, "core.m4a", 22050, &[], &["-ac", "2", "-c:a", "aac"]) else { return };
    let Some(mono) = make(d, "mono.m4a", 24000, &[], &["-ac", "1", "-c:a", "aac"]) else { return };
    let Some(six) = make(d, "six.m4a", 48000, &[], &["-ac", "6", "-c:a", "aac"]) else { return };
    // Object type 5 (SBR), core 22050 Hz stereo, SBR at 44100 Hz, then AAC-LC.
    let he = rewrite(&std::fs::read(&core).unwrap(), &|k, _| (k == b"esds").then(|| esds(&[0x2B, 0x92, 0x08, 0x00])));
    // Object type 29 (PS), core 24000 Hz mono, SBR at 48000 Hz: stereo out.
    let v2 = rewrite(&std::fs::read(&mono).unwrap(), &|k, _| (k == b"esds").then(|| esds(&[0xEB, 0x09, 0x88, 0x00])));
    // SBR on a mono core (no PS signalled), explicit and backward-compatible:
    // played as stereo, as the standard's PS-capable decoders and ffmpeg do.
    let he_mono =
        rewrite(&std::fs::read(&mono).unwrap(), &|k, _| (k == b"esds").then(|| esds(&[0x2B, 0x09, 0x88, 0x00])));
    let he_mono_bc =
        rewrite(&std::fs::read(&mono).unwrap(), &|k, _| (k == b"esds").then(|| esds(&[0x13, 0x08, 0x56, 0xE5, 0x98])));
    let cases = [
        (common::file_with(d, "he.m4a", &he), "aac_he", 44100, 2, "HE-AAC decoding is not supported"),
        (common::file_with(d, "v2.m4b", &v2), "aac_he_v2", 48000, 2, "HE-AACv2 decoding is not supported"),
        (common::file_with(d, "he-mono.m4a", &he_mono), "aac_he", 48000, 2, "HE-AAC decoding is not supported"),
        (common::file_with(d, "he-mono-bc.m4a", &he_mono_bc), "aac_he", 48000, 2, "HE-AAC decoding is not supported"),
        (six, "aac", 48000, 6, "decoding more than 2 channels is not supported"),
    ];
    for (path, codec, rate, channels, refusal) in cases {
        let j = info_json(&path);
        assert!(j.get("error").is_none(), "{}: {j}", path.display());
        assert_eq!(j["codec"], codec, "{j}");
        assert_eq!(j["sample_rate"], rate, "{j}");
        assert_eq!(j["channels"], channels, "{j}");
        let p = ffprobe(&path);
        let s = p["streams"].as_array().unwrap().iter().find(|s| s["codec_type"] == "audio").unwrap();
        assert_eq!(s["sample_rate"].as_str(), Some(rate.to_string().as_str()), "ffprobe: {s}");
        assert_eq!(s["channels"], channels, "ffprobe: {s}");
        let (ours, theirs) = (j["duration_s"].as_f64().unwrap(), ffprobe_audio_duration(&p));
        assert!((ours - theirs).abs() <= 1.5 / rate as f64, "{}: ours {ours} s, ffprobe {theirs} s", path.display());
        assert_eq!(j["frames"].as_u64(), Some((ours * rate as f64).round() as u64), "{j}");
        let e = convert_fails(&path);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(e.contains(refusal) && e.contains(&name), "{e}");
    }
}

/// A track whose sample table is empty (no samples, no fragments) but
/// whose headers give a length: 0 frames, as decoding gives (ffprobe
/// repeats the header), with a warning quoting the header's length. A table
/// without `stts` shares the header's duration among its samples, and
/// decoding agrees.
#[test]
fn empty_sample_tables_hold_no_frames_and_quote_the_header() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(plain) = make(d, "plain.m4a", 22050, &[], &["-c:a", "aac"]) else { return };
    let bytes = std::fs::read(&plain).unwrap();
    let empty = rewrite(&bytes, &|k, _| match k {
        b"stts" | b"stsc" | b"stco" => Some(boxed(k, &[0; 8])),
        b"stsz" => Some(boxed(k, &[0; 12])),
        _ => None,
    });
    let path = common::file_with(d, "empty.m4b", &empty);
    let j = info_json(&path);
    // ffprobe repeats the header's length; the file holds nothing, so
    // `info` says 0 frames (as `convert` decodes) and quotes the header.
    let theirs = ffprobe_audio_duration(&ffprobe(&path));
    assert_eq!(j["frames"].as_u64(), Some(0), "{j}");
    let w = j["warnings"].as_array().unwrap();
    assert!(theirs > 0.0 && w.iter().any(|w| w.as_str().unwrap().contains("holds no audio samples")), "{j}");
    assert_eq!(decoded_frames(&path), 0);

    let no_stts = rewrite(&bytes, &|k, _| (k == b"stts").then(|| boxed(k, &[0; 8])));
    agrees(&common::file_with(d, "no-stts.m4a", &no_stts), 22050);
}

/// Implicit SBR through the command line: an ADTS file whose headers say
/// AAC-LC at 22050 Hz mono but whose every frame ends in an SBR fill
/// element is HE-AAC at 44100 Hz in `info --json` (2048 frames a packet),
/// in stereo as a mono core with SBR plays (ffprobe agrees, when present),
/// and `convert` refuses it as the explicit case, leaving no output. No
/// encoder here writes SBR, so the frames are made by hand: a silent single
/// channel element, a fill element of SBR data, a padding fill element, END.
#[test]
fn implicit_sbr_adts_is_he_aac_and_refused() {
    const BLOCK: [u8; 17] =
        [0x00, 0xC8, 0x00, 0x06, 0x9D, 0x92, 0x49, 0x24, 0x92, 0x49, 0x24, 0x92, 0x49, 0x2C, 0x40, 0xB4, 0xBC];
    let len = 7 + BLOCK.len();
    // MPEG-4 ADTS, no CRC, AAC-LC (profile 1), 22050 Hz (index 7), one channel.
    let header = [0xFF, 0xF1, 0x5C, 0x40, (len >> 3) as u8, ((len & 7) << 5) as u8 | 0x1F, 0xFC];
    let frame: Vec<u8> = header.iter().chain(BLOCK.iter()).copied().collect();
    let dir = tempfile::tempdir().unwrap();
    let path = common::file_with(dir.path(), "implicit.aac", &frame.repeat(20));
    let j = info_json(&path);
    assert!(j.get("error").is_none(), "{j}");
    assert_eq!(j["codec"], "aac_he", "{j}");
    assert_eq!(j["sample_rate"], 44100, "{j}");
    assert_eq!(j["channels"], 2, "{j}");
    assert_eq!(j["frames"].as_u64(), Some(20 * 2048), "{j}");
    if have("ffprobe") {
        let p = ffprobe(&path);
        let s = &p["streams"][0];
        assert_eq!((s["sample_rate"].as_str(), s["channels"].as_u64()), (Some("44100"), Some(2)), "ffprobe: {s}");
        let theirs = ffprobe_audio_duration(&p);
        assert!((theirs - 20.0 * 2048.0 / 44100.0).abs() < 1e-3, "ffprobe: {theirs} s");
    }
    let e = convert_fails(&path);
    assert!(e.contains("HE-AAC decoding is not supported") && e.contains("implicit.aac"), "{e}");
}

/// An MP4 whose AAC packets do not decode (damaged bytes: here every
/// packet starts with a coupling channel element, which symphonia's
/// decoder refuses, as a CRLF-mangled or overwritten file does) and that is
/// cut short: `info` describes the track from its config (codec, rate,
/// channels, the length present, "truncated" and "cannot decode" warnings)
/// and `convert` fails naming the file and why, writing nothing.
#[test]
fn mp4_aac_that_does_not_decode_is_described_and_refused() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let Some(plain) = make(d, "plain.m4a", 44100, &[], &["-ac", "2", "-c:a", "aac", "-movflags", "+faststart"]) else {
        return;
    };
    let mut bytes = std::fs::read(&plain).unwrap();
    let at = bytes.windows(4).position(|w| w == b"mdat").expect("an mdat box") - 4;
    let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    bytes[at + 8..at + size].fill(0x40);
    bytes.truncate(at + size / 2);
    let path = common::file_with(d, "damaged.m4a", &bytes);
    let j = info_json(&path);
    assert_eq!(
        (j["codec"].as_str(), j["sample_rate"].as_u64(), j["channels"].as_u64()),
        (Some("aac"), Some(44100), Some(2))
    );
    let frames = j["frames"].as_u64().unwrap();
    assert!(frames > 0 && frames < 3 * 44100 * 3 / 4, "{j}");
    let warnings = j["warnings"].to_string();
    assert!(warnings.contains("truncated") && warnings.contains("cannot decode"), "{warnings}");
    let err = convert_fails(&path);
    assert!(err.contains("damaged.m4a") && err.contains("not one of its packets decodes"), "{err}");
}
