//! WAVE files that hold a codec other than PCM, G.711 or ADPCM, as real
//! collections have them: MPEG audio in WAVE (format tags 0x0055 and 0x0050,
//! common in broadcast archives) is decoded through the MPEG reader and
//! reported as WAVE with the WAVE file's tags; any other codec (GSM 6.10,
//! Ogg Vorbis in WAVE…) is described — rate, channels, length from the
//! `fact` chunk or the byte rate — and `convert` refuses it clearly,
//! naming the file and the codec, writing nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use coremusic::format::SampleFormat;
use coremusic::io::{create_writer, OutputFormat, WriterSpec};

fn coremusic() -> Command {
    Command::new(env!("CARGO_BIN_EXE_coremusic"))
}

/// A RIFF WAVE file of `chunks`, each padded to an even size.
fn riff(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut body = b"WAVE".to_vec();
    for (id, data) in chunks {
        body.extend_from_slice(*id);
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        if data.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

/// A fmt chunk: tag, channels, rate, byte rate, block align, bits, extra bytes.
fn fmt(tag: u16, channels: u16, rate: u32, byte_rate: u32, align: u16, bits: u16, extra: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    for v in [tag, channels] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.extend_from_slice(&rate.to_le_bytes());
    f.extend_from_slice(&byte_rate.to_le_bytes());
    f.extend_from_slice(&align.to_le_bytes());
    f.extend_from_slice(&bits.to_le_bytes());
    f.extend_from_slice(&(extra.len() as u16).to_le_bytes());
    f.extend_from_slice(extra);
    f
}

fn info_json(path: &Path) -> serde_json::Value {
    let o = coremusic().args(["info", "--json"]).arg(path).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn a_codec_coremusic_cannot_decode_is_described_and_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    // GSM 6.10 as Windows writes it: 65-byte blocks of 320 samples, 1625 bytes/s at 8 kHz.
    let blocks = 20;
    let data: Vec<u8> = (0..blocks * 65).map(|i| (i * 37 % 251) as u8).collect();
    let fact = ((blocks * 320) as u32).to_le_bytes();
    let bytes =
        riff(&[(b"fmt ", &fmt(0x31, 1, 8000, 1625, 65, 0, &320u16.to_le_bytes())), (b"fact", &fact), (b"data", &data)]);
    let gsm = common::file_with(dir.path(), "memo.wav", &bytes);
    let v = info_json(&gsm);
    assert_eq!(v["container"], "wav");
    assert_eq!(v["codec"], "GSM 6.10");
    assert_eq!(v["sample_rate"], 8000);
    assert_eq!(v["channels"], 1);
    assert_eq!(v["frames"], 6400, "the fact chunk's length");
    assert!(v["warnings"].to_string().contains("cannot decode"), "{v}");
    let o = coremusic().arg("info").arg(&gsm).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Sample format: none: CoreMusic cannot decode this codec"), "{text}");

    // Without a fact chunk the length comes from the byte rate.
    let bytes = riff(&[(b"fmt ", &fmt(0x31, 1, 8000, 1625, 65, 0, &320u16.to_le_bytes())), (b"data", &data)]);
    let no_fact = common::file_with(dir.path(), "nofact.wav", &bytes);
    assert_eq!(info_json(&no_fact)["frames"], 6400);

    // convert names the file and the codec, exits with failure and writes nothing.
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let o = coremusic().arg("convert").arg(&gsm).arg("-o").arg(out_dir.join("memo.flac")).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("memo.wav") && err.contains("GSM 6.10"), "{err}");
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 0, "nothing written");
    // The library says so at the first read, and the reader opens (for info).
    let mut r = coremusic::io::open(&gsm).unwrap();
    let mut buf = [0f32; 64];
    let e = r.read_f32(&mut buf).unwrap_err().to_string();
    assert!(e.contains("0x0031"), "{e}");
}

/// An MP3 made by our own encoder, or `None` where it is not built.
fn mp3_of_tone(dir: &Path) -> Option<PathBuf> {
    OutputFormat::Mp3.available().ok()?;
    let path = dir.join("tone.mp3");
    let spec = WriterSpec::new(OutputFormat::Mp3, 44100, 2, SampleFormat::F32);
    let mut w = create_writer(Box::new(std::fs::File::create(&path).unwrap()), spec).unwrap();
    w.write_f32(&common::tools::tone_signal(44100, 2, 44100)).unwrap();
    w.finish().unwrap();
    Some(path)
}

fn decode_all(path: &Path) -> Vec<f32> {
    let mut r = coremusic::io::open(path).unwrap();
    let mut all = Vec::new();
    let mut buf = vec![0f32; 4096];
    loop {
        let n = r.read_f32(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n * 2]);
    }
    all
}

#[test]
fn mpeg_audio_in_a_wave_file_plays_like_the_mp3_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mp3) = mp3_of_tone(dir.path()) else {
        eprintln!("skipped: no MP3 encoder in this build");
        return;
    };
    let stream = std::fs::read(&mp3).unwrap();
    // MPEGLAYER3WAVEFORMAT: wID, fdwFlags, nBlockSize, nFramesPerBlock, nCodecDelay.
    let mut extra = Vec::new();
    for v in [1u16, 2, 418, 1, 0] {
        extra.extend_from_slice(&v.to_le_bytes());
    }
    let mut list = b"INFO".to_vec();
    list.extend_from_slice(b"INAM");
    list.extend_from_slice(&6u32.to_le_bytes());
    list.extend_from_slice(b"Tone!\0");
    let bytes = riff(&[(b"fmt ", &fmt(0x55, 2, 44100, 16000, 1, 0, &extra)), (b"LIST", &list), (b"data", &stream)]);
    let wav = common::file_with(dir.path(), "broadcast.wav", &bytes);

    let (a, b) = (info_json(&mp3), info_json(&wav));
    assert_eq!(b["container"], "wav");
    assert_eq!(b["codec"], "mp3");
    assert_eq!(b["frames"], a["frames"], "the same length as the MP3 (encoder delay and padding trimmed)");
    assert_eq!(b["tags"]["title"], "Tone!", "{b}");
    assert_eq!(decode_all(&wav), decode_all(&mp3), "the same samples");

    // ffmpeg reads the same file as MP3 in WAVE with the same sample rate and channels.
    if common::tools::have("ffprobe") {
        let o = Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels", "-of", "csv=p=0"])
            .arg(&wav)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "mp3,44100,2");
    }
}
