//! Cover art into the lossless outputs: a cover read from an Ogg Opus
//! (`METADATA_BLOCK_PICTURE`) or an MP3 (`APIC`) goes into FLAC as a
//! PICTURE block and into ALAC .m4a as `covr`, and from each of those on to
//! the other; our reader
//! finds it every time, and ffprobe shows it as an attached picture. The
//! ffprobe checks are skipped (with a note) without ffprobe.

mod common;

use std::path::Path;
use std::process::Command;

use common::tools::{ffprobe_streams, have};
use coremusic::format::SampleFormat;
use coremusic::io::tags::{read_cover, Picture};
use coremusic::io::{create_writer, OutputFormat, Tags, WriterSpec};

/// A 1×1 PNG.
const PNG: [u8; 70] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0x60, 0xf8, 0x5f, 0x0f, 0x00, 0x02, 0x87, 0x01, 0x80, 0xeb, 0x47, 0xba,
    0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn convert(from: &Path, to: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_coremusic")).arg("convert").arg(from).arg("-o").arg(to).output().unwrap();
    assert!(o.status.success(), "{} -> {}: {}", from.display(), to.display(), String::from_utf8_lossy(&o.stderr));
}

#[test]
fn covers_go_into_flac_and_alac_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.opus");
    let spec = WriterSpec::new(OutputFormat::Opus, 48_000, 2, SampleFormat::F32);
    let mut w = create_writer(Box::new(std::fs::File::create(&first).unwrap()), spec).unwrap();
    let mut tags = Tags::default();
    tags.push("title", "Covered");
    w.set_tags(&tags).unwrap();
    let cover = Picture { mime: "image/png".into(), kind: 3, description: "front".into(), data: PNG.to_vec() };
    w.set_picture(&cover).unwrap();
    w.write_f32(&common::tools::tone_signal(24_000, 2, 48_000)).unwrap();
    w.finish().unwrap();

    let flac = dir.path().join("a.flac");
    let m4a = dir.path().join("b.m4a");
    let flac2 = dir.path().join("c.flac");
    let m4a2 = dir.path().join("d.m4a");
    convert(&first, &flac); // Opus picture -> FLAC PICTURE
    convert(&flac, &m4a); // FLAC PICTURE -> covr
    convert(&m4a, &flac2); // covr -> FLAC PICTURE
    convert(&flac, &m4a2);
    let mut outputs = vec![flac.clone(), m4a.clone(), flac2, m4a2];
    if !cfg!(target_os = "macos") {
        // MP3 (APIC) -> FLAC PICTURE and covr (MP3 is not written on macOS).
        let mp3 = dir.path().join("e.mp3");
        convert(&first, &mp3);
        let (flac3, m4a3) = (dir.path().join("f.flac"), dir.path().join("g.m4a"));
        convert(&mp3, &flac3);
        convert(&mp3, &m4a3);
        outputs.extend([flac3, m4a3]);
    }
    let probe = have("ffprobe");
    if !probe {
        eprintln!("note: ffprobe not installed, its checks skipped");
    }
    for p in &outputs {
        let got = read_cover(p).unwrap_or_else(|| panic!("{}: our reader finds no cover", p.display()));
        assert_eq!((got.mime.as_str(), &got.data[..]), ("image/png", &PNG[..]), "{}", p.display());
        let f = coremusic::io::AudioFile::open(p).unwrap();
        assert_eq!(f.info().tags.get("title"), Some("Covered"), "{}", p.display());
        assert_eq!(f.info().frames, Some(24_000), "{}", p.display());
        if probe {
            let streams = ffprobe_streams(p);
            assert!(
                streams.iter().any(|(t, c, a)| t == "video" && c == "png" && *a),
                "{}: ffprobe sees no attached picture: {streams:?}",
                p.display()
            );
            assert!(streams.iter().any(|(t, ..)| t == "audio"), "{}: {streams:?}", p.display());
        }
    }
    // FLAC keeps the picture's type and description.
    let got = read_cover(&flac).unwrap();
    assert_eq!((got.kind, got.description.as_str()), (3, "front"));
    // Without a cover nothing is added.
    let plain = dir.path().join("plain.wav");
    convert(&first, &plain);
    let plain_flac = dir.path().join("plain.flac");
    convert(&plain, &plain_flac);
    assert!(read_cover(&plain_flac).is_none());
    if probe {
        assert!(ffprobe_streams(&plain_flac).iter().all(|(t, ..)| t == "audio"));
    }
}
