//! ADTS AAC lengths against ffmpeg: a stream made by ffmpeg's encoder, then
//! rewritten with a block that holds no channel element (ffmpeg decodes it
//! to nothing) and with faac's name in the first block (ffmpeg drops
//! faac's 1024 frames of priming). `inspect`'s frames, the frames decoded
//! and ffmpeg's must be equal, and the samples must match ffmpeg's.
//! Skipped (with a note) without ffmpeg's AAC encoder.

mod common;

use std::path::Path;

use common::tools::{ffmpeg, ffmpeg_f32, ffmpeg_has_encoder, have, run};
use coremusic::io::{inspect, AudioFile};

/// The ADTS frame length of the frame at `f`.
fn frame_len(f: &[u8]) -> usize {
    (usize::from(f[3] & 3) << 11) | (usize::from(f[4]) << 3) | usize::from(f[5] >> 5)
}

/// An ADTS frame with the header of `like` around `block`.
fn frame_like(like: &[u8], block: &[u8]) -> Vec<u8> {
    let len = block.len() + 7;
    let mut f = vec![0xFF, 0xF1, like[2], (like[3] & 0xFC) | (len >> 11) as u8, (len >> 3) as u8];
    f.extend([((len & 7) << 5) as u8 | 0x1F, 0xFC]);
    f.extend_from_slice(block);
    f
}

#[test]
fn adts_lengths_and_samples_agree_with_ffmpeg() {
    if !have("ffmpeg") || !ffmpeg_has_encoder("aac") {
        eprintln!("skipped: needs ffmpeg with its aac encoder");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.aac");
    run(ffmpeg().args(["-f", "lavfi", "-i", "sine=440:d=1", "-ac", "2", "-c:a", "aac"]).arg(&plain)).expect("encodes");
    let data = std::fs::read(&plain).unwrap();
    let first = frame_len(&data);
    // ID_FIL with no bytes, then ID_END: no channel element.
    let silent = frame_like(&data, &[0xC1, 0xC0]);
    let with_silent = [&data[..first], &silent, &data[first..], &silent].concat();
    // ffmpeg names itself in the first block where faac writes "libfaac 1.28".
    let at = data.windows(5).position(|w| w == b"Lavc5" || w == b"Lavc6").map(|i| i + 1);
    let mut cases = vec![("plain.aac", data.clone()), ("silent.aac", with_silent)];
    if let Some(at) = at.filter(|&i| i + 13 < first) {
        let mut faac = data.clone();
        faac[at..at + 13].copy_from_slice(b"libfaac 1.28\0");
        cases.push(("faac.aac", faac));
    }
    for (name, bytes) in cases {
        let path = common::file_with(dir.path(), name, &bytes);
        check(&path, name);
    }
}

fn check(path: &Path, name: &str) {
    let info = inspect(path).expect("inspect");
    let mut f = AudioFile::open(path).expect("open");
    let ours = f.read_all().expect("decode");
    let theirs = ffmpeg_f32(path).expect("ffmpeg decodes");
    let frames = info.frames.expect("a length");
    assert_eq!(frames, (ours.len() / 2) as u64, "{name}: info and decoding");
    assert_eq!(ours.len(), theirs.len(), "{name}: ffmpeg's length");
    let worst = ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-3, "{name}: samples differ from ffmpeg's by {worst}");
    assert!(info.warnings.is_empty(), "{name}: {:?}", info.warnings);
}
