//! The symphonia adapter against ffmpeg: ALAC (M4A, CAF, 24-bit), FLAC in
//! Ogg, AAC (M4A, ADTS), MP3 and Vorbis made by ffmpeg must decode as ffmpeg
//! decodes them (bit-exactly for the lossless ones, aligned and with a high
//! SNR for the lossy ones), keep their tags and seek sample-accurately.
//! Skipped (with a note) without ffmpeg or the encoder a test needs.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::tools::{ffmpeg_has_encoder, have, read_all_f32};
use coremusic::format::{int_to_f32, FourCC, SampleFormat};
use coremusic::io::symphonia::{open_caf_compressed, Hint, SymphoniaReader};
use coremusic::io::{AudioReader, Codec, Container, Source};

fn have_ffmpeg() -> bool {
    let ok = have("ffmpeg");
    if !ok {
        eprintln!("note: ffmpeg not on PATH, test skipped");
    }
    ok
}

fn has_encoder(name: &str) -> bool {
    let ok = ffmpeg_has_encoder(name);
    if !ok {
        eprintln!("note: ffmpeg has no {name} encoder, test skipped");
    }
    ok
}

fn ffmpeg_raw(path: &Path, fmt: &str) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args(["-f", fmt, "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "ffmpeg failed decoding {}", path.display());
    out.stdout
}

fn ffmpeg_f32(path: &Path) -> Vec<f32> {
    ffmpeg_raw(path, "f32le").chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

fn ffmpeg_s16(path: &Path) -> Vec<i32> {
    ffmpeg_raw(path, "s16le").chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]]) as i32).collect()
}

fn open_path(path: &Path, hint: Hint) -> Box<dyn AudioReader> {
    SymphoniaReader::open(Source::open(path).expect("open"), hint).expect("symphonia open")
}

fn read_all_i32(r: &mut dyn AudioReader) -> Vec<i32> {
    let ch = r.info().channels();
    let mut buf = vec![0i32; 1500 * ch];
    let mut all = Vec::new();
    loop {
        let n = r.read_i32(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n * ch]);
    }
    all
}

/// SNR of `got` against the reference `want`, in dB.
fn snr_db(got: &[f32], want: &[f32]) -> f64 {
    common::tools::snr_db(want, got)
}

/// A signal with some texture: two tones and pink noise, stereo.
const SOURCE: &str = "sine=f=440:d=3[a];sine=f=1234:d=3[b];anoisesrc=d=3:c=pink:a=0.1:seed=42[c];\
                      [a][b][c]amix=inputs=3,aformat=channel_layouts=stereo";

fn make(dir: &Path, name: &str, codec_args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let mut args = vec!["-hide_banner", "-loglevel", "error", "-y", "-filter_complex", SOURCE];
    args.extend_from_slice(codec_args);
    args.push(path.to_str().expect("utf-8 path"));
    let st = Command::new("ffmpeg").args(&args).status().expect("ffmpeg runs");
    assert!(st.success(), "ffmpeg failed making {name}");
    path
}

/// Decodes a lossy file both ways; checks frame counts and alignment and returns the SNR.
fn lossy_vs_ffmpeg(path: &Path, hint: Hint, codec: Codec, container: Container) -> f64 {
    let mut r = open_path(path, hint);
    assert_eq!(r.info().codec, codec);
    assert_eq!(r.info().container, container);
    assert_eq!(r.info().sample_format, None);
    let ch = r.info().channels();
    assert_eq!(ch, 2);
    let ours = read_all_f32(r.as_mut());
    let theirs = ffmpeg_f32(path);
    let snr = snr_db(&ours, &theirs);
    let warnings = r.take_warnings();
    eprintln!(
        "{}: {} frames (header {:?}), ffmpeg {} frames, SNR {snr:.1} dB, warnings {:?}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or(""),
        ours.len() / ch,
        r.info().frames,
        theirs.len() / ch,
        warnings
    );
    if container == Container::Mp4 {
        // ffmpeg drops the edit list's priming but keeps the encoder's
        // padding at the end; CoreMusic honours the whole edit.
        assert_eq!(Some((ours.len() / ch) as u64), r.info().frames);
        assert!(theirs.len() >= ours.len() && theirs.len() - ours.len() < 2048 * ch);
    } else {
        assert_eq!(ours.len(), theirs.len(), "frame count differs from ffmpeg");
    }
    let n = ours.len().min(theirs.len());
    // Sample-aligned: shifting by one frame must make it much worse.
    let shifted = snr_db(&ours[ch..n], &theirs[..n - ch]);
    assert!(snr > shifted + 10.0, "not aligned: {snr} vs shifted {shifted}");
    snr
}

#[test]
fn alac_m4a_is_bit_exact() {
    if !have_ffmpeg() || !has_encoder("alac") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = make(dir.path(), "a.m4a", &["-c:a", "alac", "-sample_fmt", "s16p"]);
    let mut r = open_path(&path, Hint::Mp4);
    let info = r.info().clone();
    assert_eq!(info.codec, Codec::Alac);
    assert_eq!(info.container, Container::Mp4);
    assert_eq!(info.bits_per_sample, Some(16));
    assert_eq!(info.sample_format, Some(SampleFormat::S16));
    assert_eq!(info.format.format_id, FourCC::ALAC);
    assert_eq!(info.format.bits_per_channel, 16);
    assert_eq!(info.layout.describe(), "Stereo");
    let ours = read_all_i32(r.as_mut());
    let theirs = ffmpeg_s16(&path);
    assert_eq!(ours.len(), theirs.len());
    assert!(ours == theirs, "ALAC differs from ffmpeg");
    assert_eq!(info.frames, Some((theirs.len() / 2) as u64));
    // f32 is the same samples scaled.
    let mut r = open_path(&path, Hint::Mp4);
    let f = read_all_f32(r.as_mut());
    assert!(f.iter().zip(&theirs).all(|(a, b)| *a == int_to_f32(*b, 16)));
}

#[test]
fn alac_24_bit_and_caf() {
    if !have_ffmpeg() || !has_encoder("alac") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let m4a = make(dir.path(), "a24.m4a", &["-c:a", "alac", "-sample_fmt", "s32p"]);
    let caf = make(dir.path(), "a.caf", &["-c:a", "alac", "-sample_fmt", "s16p"]);
    let mut r = open_path(&m4a, Hint::Mp4);
    assert_eq!(r.info().bits_per_sample, Some(24));
    assert_eq!(r.info().sample_format, Some(SampleFormat::S24));
    let ours = read_all_i32(r.as_mut());
    let theirs: Vec<i32> =
        ffmpeg_raw(&m4a, "s32le").chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) >> 8).collect();
    assert!(ours == theirs, "24-bit ALAC differs ({} vs {} samples)", ours.len(), theirs.len());

    let mut r = open_caf_compressed(Source::open(&caf).expect("open")).expect("caf");
    assert_eq!(r.info().container, Container::Caf);
    assert_eq!(r.info().codec, Codec::Alac);
    let ours = read_all_i32(r.as_mut());
    let theirs = ffmpeg_s16(&caf);
    assert!(ours == theirs, "ALAC in CAF differs ({} vs {} samples)", ours.len(), theirs.len());
    // ffmpeg's CAF muxer counts whole packets in `pakt`: the header may
    // overstate by less than one packet, which is no truncation.
    let header = r.info().frames.expect("frames");
    let real = (theirs.len() / 2) as u64;
    assert!(header >= real && header - real < 4096, "header {header}, real {real}");
    assert!(r.take_warnings().is_empty());
}

#[test]
fn flac_in_ogg_is_bit_exact() {
    if !have_ffmpeg() || !has_encoder("flac") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = make(dir.path(), "f.oga", &["-c:a", "flac", "-sample_fmt", "s16"]);
    let mut r = open_path(&path, Hint::Ogg);
    assert_eq!(r.info().codec, Codec::Flac);
    assert_eq!(r.info().bits_per_sample, Some(16));
    let ours = read_all_i32(r.as_mut());
    let theirs = ffmpeg_s16(&path);
    assert!(ours == theirs, "FLAC in Ogg differs ({} vs {} samples)", ours.len(), theirs.len());
}

#[test]
fn aac_m4a_matches_ffmpeg() {
    if !have_ffmpeg() || !has_encoder("aac") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = make(dir.path(), "a.m4a", &["-c:a", "aac", "-b:a", "192k"]);
    let snr = lossy_vs_ffmpeg(&path, Hint::Mp4, Codec::Aac, Container::Mp4);
    assert!(snr > 40.0, "AAC SNR {snr}");
    let r = open_path(&path, Hint::Mp4);
    assert_eq!(r.info().format.format_id, FourCC::AAC);
    assert_eq!(r.info().format.frames_per_packet, 1024);
}

#[test]
fn aac_adts_matches_ffmpeg() {
    if !have_ffmpeg() || !has_encoder("aac") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = make(dir.path(), "a.aac", &["-c:a", "aac", "-b:a", "192k"]);
    let snr = lossy_vs_ffmpeg(&path, Hint::Adts, Codec::Aac, Container::Adts);
    assert!(snr > 40.0, "ADTS SNR {snr}");
}

#[test]
fn mp3_matches_ffmpeg_and_keeps_tags() {
    if !have_ffmpeg() || !has_encoder("libmp3lame") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = make(
        dir.path(),
        "a.mp3",
        &[
            "-c:a",
            "libmp3lame",
            "-b:a",
            "256k",
            "-metadata",
            "title=Song",
            "-metadata",
            "artist=Band",
            "-metadata",
            "album=Disc",
            "-metadata",
            "track=3",
            "-metadata",
            "date=2024",
        ],
    );
    let snr = lossy_vs_ffmpeg(&path, Hint::MpegAudio, Codec::Mp3, Container::MpegAudio);
    assert!(snr > 40.0, "MP3 SNR {snr}");
    let r = open_path(&path, Hint::MpegAudio);
    let tags = &r.info().tags;
    assert_eq!(tags.get("title"), Some("Song"), "{tags:?}");
    assert_eq!(tags.get("artist"), Some("Band"));
    assert_eq!(tags.get("album"), Some("Disc"));
    assert_eq!(tags.get("track"), Some("3"));
    assert_eq!(tags.get("date"), Some("2024"));
    assert_eq!(r.info().format.frames_per_packet, 1152);
}

#[test]
fn vorbis_matches_ffmpeg() {
    if !have_ffmpeg() || !has_encoder("libvorbis") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = make(dir.path(), "a.ogg", &["-c:a", "libvorbis", "-q:a", "6", "-metadata", "title=Song"]);
    let snr = lossy_vs_ffmpeg(&path, Hint::Ogg, Codec::Vorbis, Container::Ogg);
    assert!(snr > 40.0, "Vorbis SNR {snr}");
    let r = open_path(&path, Hint::Ogg);
    assert_eq!(r.info().tags.get("title"), Some("Song"));
}

/// Seeks to several frames and checks the audio there equals a straight decode.
fn check_seeks(path: &Path, hint: Hint, exact: bool) {
    let mut r = open_path(path, hint);
    let ch = r.info().channels();
    let all = read_all_f32(r.as_mut());
    let frames = (all.len() / ch) as u64;
    for target in [0u64, 1, 1023, 1024, 4097, frames / 3, frames / 2 + 17, frames - 100, frames, frames + 5] {
        let landed = r.seek(target).expect("seek");
        assert_eq!(landed, target.min(frames), "seek landed elsewhere");
        let mut buf = vec![0f32; 500 * ch];
        let n = r.read_f32(&mut buf).expect("read after seek");
        let expect = (frames - landed).min(500) as usize;
        assert_eq!(n, expect, "frames after seek to {target}");
        let at = landed as usize * ch;
        let want = &all[at..at + n * ch];
        if exact {
            assert!(buf[..n * ch] == *want, "audio after seek to {target} differs");
        } else if n > 0 {
            let snr = snr_db(&buf[..n * ch], want);
            assert!(snr > 30.0, "{}: audio after seek to {target}: SNR {snr}", path.display());
        }
    }
}

#[test]
fn seeks_are_sample_accurate() {
    if !have_ffmpeg() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    if has_encoder("alac") {
        let path = make(dir.path(), "a.m4a", &["-c:a", "alac"]);
        check_seeks(&path, Hint::Mp4, true);
    }
    if has_encoder("aac") {
        let path = make(dir.path(), "b.m4a", &["-c:a", "aac", "-b:a", "192k"]);
        check_seeks(&path, Hint::Mp4, false);
    }
    if has_encoder("libmp3lame") {
        let path = make(dir.path(), "c.mp3", &["-c:a", "libmp3lame", "-b:a", "256k"]);
        check_seeks(&path, Hint::MpegAudio, false);
    }
    if has_encoder("libvorbis") {
        let path = make(dir.path(), "d.ogg", &["-c:a", "libvorbis"]);
        check_seeks(&path, Hint::Ogg, false);
    }
}

#[test]
fn truncated_mp3_decodes_what_is_there() {
    if !have_ffmpeg() || !has_encoder("libmp3lame") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = make(dir.path(), "a.mp3", &["-c:a", "libmp3lame", "-b:a", "128k"]);
    let mut bytes = std::fs::read(&path).expect("read");
    let full = open_path(&path, Hint::MpegAudio).info().frames.expect("frames");
    bytes.truncate(bytes.len() * 6 / 10 + 77);
    let mut r = SymphoniaReader::open(Source::memory(bytes), Hint::MpegAudio).expect("open truncated");
    let got = read_all_f32(r.as_mut()).len() / 2;
    let warnings = r.take_warnings();
    eprintln!("truncated mp3: {got} of {full} frames, warnings {warnings:?}");
    assert!(got as u64 > full / 2 && (got as u64) < full, "{got} of {full}");
    assert!(!warnings.is_empty(), "no warning for a truncated file");
}
