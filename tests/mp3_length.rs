//! MP3 lengths against ffmpeg: files made with ffmpeg's libmp3lame (CBR and
//! VBR, MPEG-1 and MPEG-2, tags before and after the audio, cut short), and
//! for each one `inspect`'s frame count must equal what decoding to the end
//! gives, what ffmpeg decodes, and ffprobe's duration. A cut file must say
//! what its header claimed. Skipped (with a note) without ffmpeg/libmp3lame.
//! And the other way round: MP3s our writer makes (LAME header with delay
//! and padding) decode in ffmpeg to exactly the frames written.

mod common;

use std::path::{Path, PathBuf};

use common::tools::{ffmpeg, ffmpeg_has_encoder, have, run};
use coremusic::io::{inspect, AudioFile};

fn skip() -> bool {
    if !have("ffmpeg") || !have("ffprobe") || !ffmpeg_has_encoder("libmp3lame") {
        eprintln!("skipped: needs ffmpeg, ffprobe and libmp3lame");
        return true;
    }
    false
}

fn make(dir: &Path, name: &str, seconds: f64, rate: u32, channels: u32, args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let src = format!("sine=frequency=440:sample_rate={rate}:duration={seconds}");
    run(ffmpeg()
        .args(["-f", "lavfi", "-i", &src, "-ac", &channels.to_string(), "-c:a", "libmp3lame"])
        .args(args)
        .arg(&path))
    .expect("ffmpeg encodes");
    path
}

/// Frames ffmpeg decodes (s16, per channel).
fn ffmpeg_frames(path: &Path, channels: u64) -> u64 {
    let raw = run(ffmpeg().arg("-i").arg(path).args(["-f", "s16le", "-"])).expect("ffmpeg decodes");
    raw.len() as u64 / 2 / channels
}

fn ffprobe_duration(path: &Path) -> f64 {
    let out = run(std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=duration", "-of", "csv=p=0"])
        .arg(path))
    .expect("ffprobe");
    String::from_utf8_lossy(&out).trim().parse().unwrap_or(f64::NAN)
}

/// inspect's frames, decoded frames, warnings.
fn ours(path: &Path) -> (u64, u64, Vec<String>) {
    let info = inspect(path).expect("inspect");
    let mut f = AudioFile::open(path).expect("open");
    let decoded = (f.read_all().expect("decode").len() / f.channels()) as u64;
    let mut warnings: Vec<String> = info.warnings.iter().map(ToString::to_string).collect();
    warnings.extend(f.take_warnings().iter().map(ToString::to_string));
    (info.frames.expect("a length"), decoded, warnings)
}

/// An APEv2 tag (header and footer) and a Lyrics3v2 tag, as taggers append them.
fn ape_and_lyrics() -> Vec<u8> {
    let value = "a long comment. ".repeat(300).into_bytes();
    let mut t = coremusic::io::tags::ape_tag(&[("Comment", &value)], true);
    let mut lyrics = b"LYRICSBEGININD0000210LYR00100".to_vec();
    lyrics.extend([b'l'; 100]);
    let n = lyrics.len();
    lyrics.extend(format!("{n:06}LYRICS200").as_bytes());
    t.extend(lyrics);
    t
}

#[test]
fn mp3_lengths_agree_with_ffmpeg() {
    if skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut cases: Vec<(PathBuf, u64)> = vec![
        (make(d, "cbr.mp3", 1.9, 44100, 2, &["-b:a", "128k"]), 2),
        (make(d, "vbr.mp3", 3.0, 44100, 1, &["-q:a", "4"]), 1),
        (make(d, "mpeg2.mp3", 2.0, 22050, 1, &["-b:a", "32k"]), 1),
        (
            make(
                d,
                "short_v1_v2.mp3",
                0.16,
                44100,
                2,
                &["-id3v2_version", "3", "-write_id3v1", "1", "-metadata", "title=x"],
            ),
            2,
        ),
        (make(d, "noxing.mp3", 1.0, 48000, 2, &["-b:a", "192k", "-write_xing", "0"]), 2),
    ];
    // The 1.9 s file with APEv2 and Lyrics3v2 tags after the audio (and an ID3v1 after those).
    let tagged = d.join("tagged.mp3");
    let mut bytes = std::fs::read(&cases[0].0).expect("read");
    bytes.extend(ape_and_lyrics());
    let mut v1 = b"TAG".to_vec();
    v1.resize(128, 0);
    bytes.extend(v1);
    std::fs::write(&tagged, bytes).expect("write");
    cases.push((tagged, 2));
    let mut failures = Vec::new();
    for (path, ch) in &cases {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (frames, decoded, warnings) = ours(path);
        // ffmpeg leaves the LAME padding in when tags follow the audio: the
        // tagged file's reference is the same stream without its tags.
        let reference = if name == "tagged.mp3" { &cases[0].0 } else { path };
        let theirs = ffmpeg_frames(reference, *ch);
        let rate = inspect(path).expect("inspect").sample_rate as f64;
        let probe = ffprobe_duration(path);
        eprintln!(
            "{name}: info {frames}, decoded {decoded}, ffmpeg {theirs}, ffprobe {probe:.4}s, ours {:.4}s, {warnings:?}",
            frames as f64 / rate
        );
        if frames != decoded || frames != theirs {
            failures.push(format!("{name}: info {frames}, decoded {decoded}, ffmpeg decodes {theirs}"));
        }
        if !warnings.is_empty() {
            failures.push(format!("{name}: unexpected warnings {warnings:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cut_vbr_mp3_says_what_its_header_claimed() {
    if skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let full = make(dir.path(), "full.mp3", 10.0, 44100, 2, &["-q:a", "2"]);
    let bytes = std::fs::read(&full).expect("read");
    let cut = dir.path().join("cut.mp3");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 5]).expect("write");
    let (frames, decoded, warnings) = ours(&cut);
    let theirs = ffmpeg_frames(&cut, 2);
    eprintln!("cut: info {frames}, decoded {decoded}, ffmpeg {theirs}, {warnings:?}");
    assert_eq!(frames, decoded);
    // ffmpeg trims nothing at a cut end either; allow it one frame of difference.
    assert!(frames.abs_diff(theirs) <= 1152, "ffmpeg {theirs}");
    assert!((3.0..5.0).contains(&(frames as f64 / 44100.0)), "{frames}");
    let info = inspect(&cut).expect("inspect");
    assert!(info.warnings.iter().any(|w| w.to_string().contains("header says 0:10.0")), "{:?}", info.warnings);
}

/// Every rate our MP3 writer offers, VBR and CBR: ffmpeg trims to exactly
/// the frames written (the LAME header's delay and padding are right).
/// (ffmpeg refuses an MP3 without audio frames, so no empty file here.)
#[cfg(not(target_os = "macos"))]
#[test]
fn our_mp3s_decode_gapless_in_ffmpeg() {
    use coremusic::format::SampleFormat;
    use coremusic::io::{create_writer_with, EncoderSettings, OutputFormat, WriterSpec, MP3_RATES};
    if !have("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Every rate the writer takes, mono and stereo in turn, VBR and CBR in
    // turn, lengths that end mid-frame (a short file among them).
    for (i, rate) in MP3_RATES.into_iter().enumerate() {
        let ch: u16 = if i % 2 == 0 { 2 } else { 1 };
        let settings = if i % 3 == 0 { EncoderSettings::mp3_cbr(64) } else { EncoderSettings::mp3_vbr(i as u8) };
        let frames = if i == 4 { 1000 } else { rate as usize + 17 * i };
        let path = dir.path().join(format!("t{rate}_{ch}_{frames}.mp3"));
        let spec = WriterSpec::new(OutputFormat::Mp3, rate, ch, SampleFormat::F32);
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut w = create_writer_with(Box::new(file), spec, &settings).unwrap();
        let tone = common::tools::tone_signal(frames, ch.into(), rate);
        for c in tone.chunks(5000 * usize::from(ch)) {
            w.write_f32(c).unwrap();
        }
        w.finish().unwrap();
        let what = format!("{rate} Hz {ch} ch {frames} frames {settings:?}");
        assert_eq!(ffmpeg_frames(&path, ch.into()), frames as u64, "{what}: ffmpeg's length");
    }
}
