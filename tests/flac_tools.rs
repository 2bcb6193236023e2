//! FLAC against the reference tools, `flac` and `metaflac` (each test skips
//! with a note when its tool is missing). The encoder: every file it writes
//! passes `flac -t` with warnings as errors (so its MD5 is right) and
//! `flac -d` gives back the samples written, in every depth and channel
//! count; it stays within 1 % of `flac -5`'s size; metaflac reads its Vorbis
//! comments. The decoder: bit-exact with the source and with `flac -d` on
//! files made by `flac` at many settings, through metadata blocks, ID3v2,
//! lying STREAMINFO, truncation, damage and garbage, and seeks exactly.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::flac::{damage_never_panics, decode_all, decode_bytes, signal as gen, split_metadata};
use common::tools::{have, Rng};
use coremusic::format::SampleFormat;
use coremusic::io::codec::flac::{looks_like_frame_header, FlacReader};
use coremusic::io::{create_writer, AudioReader, Container, OutputFormat, Source, Tags, WriterSpec};

/// The writer spec for `bits`-bit integer FLAC.
fn spec(format: OutputFormat, channels: u16, bits: u32, rate: u32) -> WriterSpec {
    let sample = SampleFormat::for_int_bits(bits).unwrap_or(SampleFormat::S32);
    WriterSpec {
        format,
        sample_rate: rate,
        channels,
        sample,
        bits: (bits != sample.bits()).then_some(bits),
        expected_frames: None,
    }
}

/// Writes `samples` with the project's own writer (odd-sized writes, to
/// exercise the FLAC encoder's batching), with `tags`.
fn write(path: &Path, spec: WriterSpec, samples: &[i32], tags: &Tags) {
    let file = std::fs::File::create(path).unwrap();
    let mut w = create_writer(Box::new(file), spec).unwrap();
    w.set_tags(tags).unwrap();
    for chunk in samples.chunks(usize::from(spec.channels) * 1237) {
        w.write_i32(chunk).unwrap();
    }
    w.finish().unwrap();
}

/// Music-like (decaying harmonic notes, a drone and a little noise), or
/// noise when `noisy`; `frames` interleaved frames of `bits` bits.
fn music(frames: usize, ch: usize, bits: u32, rate: u32, noisy: bool, seed: u64) -> Vec<i32> {
    let full = ((1i64 << (bits - 1)) - 1) as f64;
    let mut rng = Rng(seed | 1);
    let notes = [220.0, 277.18, 329.63, 440.0, 523.25, 659.25, 587.33, 392.0];
    let mut out = Vec::with_capacity(frames * ch);
    for i in 0..frames {
        let t = i as f64 / rate as f64;
        for c in 0..ch {
            let noise = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            let v = if noisy {
                0.9 * noise
            } else {
                let env_t = (t * 4.0).fract();
                let env = (1.0 - (-env_t * 40.0).exp()) * (-env_t * 3.0).exp();
                let f = notes[((t * 4.0) as usize + c) % notes.len()];
                let s: f64 = (1..5).map(|h| (std::f64::consts::TAU * f * h as f64 * t).sin() / (h * h) as f64).sum();
                0.45 * env * s + 0.1 * (std::f64::consts::TAU * 110.0 * t).sin() + 0.002 * noise
            };
            out.push((v * full).round().clamp(-full - 1.0, full) as i32);
        }
    }
    out
}

/// `flac -t` (MD5 verified, warnings are errors) and `flac -d` give back `samples`.
fn flac_agrees(path: &Path, samples: &[i32], bits: u32) {
    // An empty stream's total of 0 reads as "unknown", which flac warns about.
    let strict = if samples.is_empty() { "-s" } else { "-w" };
    let t = Command::new("flac").args(["-t", "-s", strict]).arg(path).output().unwrap();
    assert!(t.status.success(), "flac -t failed on {}: {}", path.display(), String::from_utf8_lossy(&t.stderr));
    let got = flac_decode(path.parent().unwrap(), &std::fs::read(path).unwrap(), bits);
    assert_eq!(got.len(), samples.len(), "decoded length of {}", path.display());
    assert!(got == samples, "flac -d differs from the input for {}", path.display());
}

#[test]
fn our_encoder_passes_flac_t_and_decodes_back_in_flac_d() {
    if !have("flac") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // (channels, bits, rate, frames, noise)
    let cases: &[(u16, u32, u32, usize, bool)] = &[
        (1, 16, 44100, 10000, false),
        (2, 16, 44100, 9000, true),
        (2, 8, 11025, 7000, false),
        (6, 24, 96000, 9000, false),
        (2, 20, 192000, 12000, false),
        (2, 24, 48000, 8192, false),
        (6, 16, 44100, 6000, true),
        (1, 8, 8000, 4097, false),
        (1, 24, 96000, 5000, true),
        (8, 12, 22050, 5000, false),
        (3, 4, 8000, 3000, false),
        (2, 32, 44100, 9000, false),
        (2, 32, 44100, 5000, true),
        (2, 17, 32000, 4096, false),
        (2, 16, 655350, 5000, false),
        (1, 16, 655349, 5000, false),
        (1, 16, 100001, 300, false),
        (1, 16, 44100, 1, false),
        (2, 16, 44100, 0, false),
    ];
    for (i, &(ch, bits, rate, frames, noisy)) in cases.iter().enumerate() {
        let samples = music(frames, usize::from(ch), bits, rate, noisy, i as u64 + 7);
        let path = dir.path().join(format!("{i}_{ch}ch_{bits}b_{rate}.flac"));
        write(&path, spec(OutputFormat::Flac, ch, bits, rate), &samples, &Tags::default());
        flac_agrees(&path, &samples, bits);
    }
    // Wasted bits, full-scale extremes in every depth, and lengths around a block.
    let mut wasted = music(6000, 2, 16, 44100, false, 3);
    wasted.iter_mut().for_each(|v| *v &= !0xFF);
    let mut more = vec![(2u16, 16u32, wasted)];
    for bits in [8u32, 16, 24, 32] {
        let (lo, hi) = if bits == 32 { (i32::MIN, i32::MAX) } else { (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) };
        more.push((2, bits, (0..5000).map(|i| if (i / 3) % 2 == 0 { lo } else { hi }).collect()));
    }
    for len in [1usize, 2, 7, 16, 20, 4095, 4097, 8191] {
        for (ch, bits) in [(2u16, 16u32), (1, 24), (3, 8)] {
            more.push((ch, bits, music(len, usize::from(ch), bits, 44100, false, len as u64)));
        }
    }
    for (i, (ch, bits, samples)) in more.iter().enumerate() {
        let path = dir.path().join(format!("more{i}.flac"));
        write(&path, spec(OutputFormat::Flac, *ch, *bits, 48000), samples, &Tags::default());
        flac_agrees(&path, samples, *bits);
    }
}

#[test]
fn our_encoder_is_within_one_percent_of_flac_5() {
    if !have("flac") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = music(44100 * 3, 2, 16, 44100, false, 11);
    let (ours, wav, reference) = (dir.path().join("ours.flac"), dir.path().join("in.wav"), dir.path().join("ref.flac"));
    write(&ours, spec(OutputFormat::Flac, 2, 16, 44100), &s, &Tags::default());
    write(&wav, spec(OutputFormat::Wav, 2, 16, 44100), &s, &Tags::default());
    let r = Command::new("flac").args(["-5", "-s", "-f", "-o"]).arg(&reference).arg(&wav).output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let (size, theirs) = (std::fs::metadata(&ours).unwrap().len(), std::fs::metadata(&reference).unwrap().len());
    eprintln!("ours {size} bytes, flac -5 {theirs} bytes");
    assert!(size * 100 <= theirs * 101, "ours {size} vs flac -5 {theirs}");
}

#[test]
fn metaflac_reads_our_vorbis_comments() {
    if !have("metaflac") || !have("flac") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("tagged.flac");
    let pairs = [
        ("title", "Björk — Jóga"),
        ("artist", "Björk"),
        ("album_artist", "Björk"),
        ("date", "1997"),
        ("comment", "日本語のコメント ✓"),
        ("track", "3/10"),
        ("disc", "1"),
        ("composer", "Björk Guðmundsdóttir"),
        ("copyright", "© 1997 One Little Indian"),
    ];
    let mut tags = Tags::default();
    pairs.iter().for_each(|(k, v)| tags.push(k, v));
    write(&path, spec(OutputFormat::Flac, 2, 16, 44100), &music(10_000, 2, 16, 44100, false, 1), &tags);
    let out = Command::new("metaflac").arg("--export-tags-to=-").arg(&path).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "TITLE=Björk — Jóga",
        "ARTIST=Björk",
        "ALBUMARTIST=Björk",
        "DATE=1997",
        "COMMENT=日本語のコメント ✓",
        "TRACKNUMBER=3/10",
        "DISCNUMBER=1",
        "COMPOSER=Björk Guðmundsdóttir",
        "COPYRIGHT=© 1997 One Little Indian",
    ] {
        assert!(text.lines().any(|l| l == want), "metaflac lacks {want}: {text}");
    }
    let t = Command::new("flac").args(["-t", "-s", "-w"]).arg(&path).output().unwrap();
    assert!(t.status.success(), "flac -t: {}", String::from_utf8_lossy(&t.stderr));
}

// ---------------------------------------------------------------------
// The decoder against files made by `flac`.

fn raw_bytes(samples: &[i32], bps: u32) -> Vec<u8> {
    let b = bps.div_ceil(8) as usize;
    let mut out = Vec::with_capacity(samples.len() * b);
    for &s in samples {
        out.extend_from_slice(&s.to_le_bytes()[..b]);
    }
    out
}

fn from_raw(bytes: &[u8], bps: u32) -> Vec<i32> {
    let b = bps.div_ceil(8) as usize;
    bytes
        .chunks_exact(b)
        .map(|c| {
            let mut v = [0u8; 4];
            v[..b].copy_from_slice(c);
            let x = i32::from_le_bytes(v);
            let s = 32 - 8 * b as u32;
            (x << s) >> s
        })
        .collect()
}

/// A WAVE_FORMAT_EXTENSIBLE file: samples left-justified in whole bytes,
/// `bps` valid bits (for depths the raw input of `flac` refuses).
fn wav_bytes(samples: &[i32], ch: usize, bps: u32, rate: u32) -> Vec<u8> {
    let container = bps.div_ceil(8) * 8;
    let b = (container / 8) as usize;
    let mut data = Vec::with_capacity(samples.len() * b);
    for &s in samples {
        let v = s << (container - bps);
        if container == 8 {
            data.push((v + 128) as u8);
        } else {
            data.extend_from_slice(&v.to_le_bytes()[..b]);
        }
    }
    let mut w = b"RIFF".to_vec();
    w.extend(((4 + 8 + 40 + 8 + data.len()) as u32).to_le_bytes());
    w.extend(b"WAVEfmt ");
    w.extend(40u32.to_le_bytes());
    w.extend(0xFFFEu16.to_le_bytes());
    w.extend((ch as u16).to_le_bytes());
    w.extend(rate.to_le_bytes());
    w.extend((rate * (ch * b) as u32).to_le_bytes());
    w.extend(((ch * b) as u16).to_le_bytes());
    w.extend((container as u16).to_le_bytes());
    w.extend(22u16.to_le_bytes());
    w.extend((bps as u16).to_le_bytes());
    w.extend(0u32.to_le_bytes());
    w.extend([1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]);
    w.extend(b"data");
    w.extend((data.len() as u32).to_le_bytes());
    w.extend(data);
    w
}

fn flac_encode(dir: &Path, samples: &[i32], ch: usize, bps: u32, rate: u32, args: &[&str]) -> Vec<u8> {
    let out = dir.join("out.flac");
    let mut cmd = Command::new("flac");
    cmd.args(["--silent", "-f"]);
    let input = if bps % 8 == 0 {
        let raw = dir.join("in.raw");
        std::fs::write(&raw, raw_bytes(samples, bps)).unwrap();
        cmd.args(["--force-raw-format", "--endian=little", "--sign=signed"])
            .arg(format!("--channels={ch}"))
            .arg(format!("--bps={bps}"))
            .arg(format!("--sample-rate={rate}"));
        raw
    } else {
        let wav = dir.join("in.wav");
        std::fs::write(&wav, wav_bytes(samples, ch, bps, rate)).unwrap();
        wav
    };
    let st = cmd.args(args).arg("-o").arg(&out).arg(&input).output().unwrap();
    assert!(st.status.success(), "flac failed: {}", String::from_utf8_lossy(&st.stderr));
    std::fs::read(&out).unwrap()
}

/// Decodes with `flac -d` to WAVE and reads the samples back right-justified.
fn flac_decode(dir: &Path, flac: &[u8], bps: u32) -> Vec<i32> {
    let inp = dir.join("ref.flac");
    let out = dir.join("ref.wav");
    std::fs::write(&inp, flac).unwrap();
    let st = Command::new("flac").args(["-d", "--silent", "-f", "-o"]).arg(&out).arg(&inp).output().unwrap();
    assert!(st.status.success(), "flac -d failed: {}", String::from_utf8_lossy(&st.stderr));
    let w = std::fs::read(&out).unwrap();
    let mut pos = 12;
    let mut container = 0;
    while pos + 8 <= w.len() {
        let len = u32::from_le_bytes([w[pos + 4], w[pos + 5], w[pos + 6], w[pos + 7]]) as usize;
        if &w[pos..pos + 4] == b"fmt " {
            container = u16::from_le_bytes([w[pos + 22], w[pos + 23]]) as u32;
        }
        if &w[pos..pos + 4] == b"data" {
            let data = &w[pos + 8..(pos + 8 + len).min(w.len())];
            if container == 8 {
                return data.iter().map(|&b| ((b as i32) - 128) >> (8 - bps)).collect();
            }
            return from_raw(data, container).into_iter().map(|v| v >> (container - bps)).collect();
        }
        pos += 8 + len + (len & 1);
    }
    panic!("no data chunk in flac -d output");
}

/// Decodes through a file source (the refilled window path).
fn decode_file(dir: &Path, bytes: &[u8]) -> (Vec<i32>, Vec<String>) {
    let p = dir.join("file.flac");
    std::fs::write(&p, bytes).unwrap();
    let mut r = FlacReader::new(Source::open_unmapped(&p).unwrap()).unwrap();
    decode_all(&mut r)
}

fn join_metadata(blocks: &[(u8, Vec<u8>)], audio: &[u8]) -> Vec<u8> {
    let mut out = b"fLaC".to_vec();
    for (i, (ty, body)) in blocks.iter().enumerate() {
        let last = if i + 1 == blocks.len() { 0x80 } else { 0 };
        out.push(ty | last);
        out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        out.extend_from_slice(body);
    }
    out.extend_from_slice(audio);
    out
}

#[test]
fn matches_flac_cli_across_formats() {
    if !have("flac") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // (channels, bps, rate, kind, frames, extra args)
    type Case<'a> = (usize, u32, u32, u32, usize, &'a [&'a str]);
    let cases: &[Case] = &[
        (2, 16, 44100, 0, 50000, &["-0"]),
        (2, 16, 44100, 4, 50000, &["-5"]),
        (2, 16, 48000, 0, 40000, &["-8"]),
        (1, 8, 8000, 4, 20000, &["-8"]),
        (1, 12, 22050, 0, 20000, &["-5"]),
        (2, 20, 96000, 4, 30000, &["-8"]),
        (2, 24, 96000, 0, 30000, &["-8"]),
        (2, 24, 192000, 4, 30000, &["-3"]),
        (2, 4, 16000, 4, 20000, &["-5", "--lax"]),
        (1, 32, 44100, 0, 20000, &["-8"]),
        (2, 32, 44100, 3, 12000, &["-8"]),
        (2, 32, 44100, 2, 12000, &["-5"]),
        (2, 32, 44100, 4, 20000, &["-8", "--lax", "-l", "32"]),
        (3, 16, 44100, 4, 20000, &["-5"]),
        (4, 16, 44100, 0, 20000, &["-8"]),
        (5, 24, 48000, 4, 15000, &["-5"]),
        (6, 16, 48000, 0, 15000, &["-8"]),
        (7, 16, 48000, 4, 10000, &["-5"]),
        (8, 24, 48000, 0, 10000, &["-8"]),
        (2, 16, 12345, 0, 20000, &["-5"]),
        (2, 16, 200000, 0, 20000, &["-5", "--lax"]),
        (1, 16, 96010, 0, 20000, &["-5", "--lax"]),
        (1, 16, 700000, 0, 20000, &["-5", "--lax"]),
        (2, 16, 44100, 0, 20000, &["--blocksize=192"]),
        (2, 16, 44100, 4, 20000, &["--blocksize=576"]),
        (2, 16, 44100, 0, 20000, &["--blocksize=100", "--lax"]),
        (2, 16, 44100, 0, 20000, &["--blocksize=1000", "--lax"]),
        (2, 16, 44100, 4, 200000, &["--blocksize=65535", "--lax", "-8"]),
        (2, 16, 44100, 4, 30000, &["--blocksize=16", "--lax"]),
        (2, 16, 44100, 2, 30000, &["-8", "-r", "8", "--lax"]),
        (2, 24, 44100, 4, 30000, &["-8", "-l", "32", "--lax", "-p"]),
        (1, 16, 44100, 1, 20000, &["-5"]),
        (2, 16, 44100, 0, 0, &["-5"]),
        (2, 16, 44100, 0, 1, &["-5"]),
    ];
    for (i, &(ch, bps, rate, kind, frames, args)) in cases.iter().enumerate() {
        let mut pcm = gen(kind, frames, ch, bps, i as u64 + 7);
        if i == 6 {
            // Wasted bits: low 4 bits zero.
            for s in pcm.iter_mut() {
                *s &= !15;
            }
        }
        let bytes = flac_encode(dir.path(), &pcm, ch, bps, rate, args);
        let (got, warnings) = decode_bytes(&bytes);
        assert!(got == pcm, "case {i} {ch}ch {bps}bit {rate}Hz {args:?}: differs from the source");
        assert!(warnings.is_empty(), "case {i}: {warnings:?}");
        let r = FlacReader::new(Source::memory(bytes.clone())).unwrap();
        let info = r.info();
        assert_eq!(info.channels(), ch);
        assert_eq!(info.bits_per_sample, Some(bps));
        assert_eq!(info.format.bits_per_channel, bps);
        assert_eq!(info.sample_rate(), rate);
        assert_eq!(info.frames, Some(frames as u64), "an empty stream is 0 frames, not unknown");
        assert_eq!(info.container, Container::Flac);
        if i % 4 == 0 {
            let reference = flac_decode(dir.path(), &bytes, bps);
            assert!(got == reference, "case {i}: differs from flac -d");
            let (via_file, _) = decode_file(dir.path(), &bytes);
            assert!(via_file == pcm, "case {i}: file path differs");
        }
    }
}

#[test]
fn skips_metadata_blocks_and_id3_and_decodes_bare_frames() {
    if !have("flac") || !have("metaflac") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pcm = gen(4, 30000, 2, 16, 11);
    let bytes = flac_encode(dir.path(), &pcm, 2, 16, 44100, &["-5", "-T", "TITLE=Hello", "--padding=100000"]);
    let f = dir.path().join("meta.flac");
    std::fs::write(&f, &bytes).unwrap();
    let pic = dir.path().join("pic.bin");
    std::fs::write(&pic, vec![0xAB; 300_000]).unwrap();
    let st = Command::new("metaflac")
        .arg(format!("--import-picture-from=3|image/png|cover|10x10x24|{}", pic.display()))
        .arg(&f)
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let cue = dir.path().join("x.cue");
    std::fs::write(&cue, "FILE \"x.wav\" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n").unwrap();
    let st =
        Command::new("metaflac").arg(format!("--import-cuesheet-from={}", cue.display())).arg(&f).output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let bytes = std::fs::read(&f).unwrap();
    let (mut blocks, audio) = split_metadata(&bytes);
    assert!(blocks.iter().any(|b| b.0 == 6) && blocks.iter().any(|b| b.0 == 5));
    // An unknown block type and an APPLICATION block.
    blocks.insert(1, (100, vec![0x55; 777]));
    blocks.insert(2, (2, b"TEST and some data".to_vec()));
    let bytes = join_metadata(&blocks, &audio);
    let (got, w) = decode_bytes(&bytes);
    assert!(got == pcm && w.is_empty(), "{w:?}");

    // ID3v2 in front.
    let mut id3 = b"ID3\x03\x00\x00\x00\x00\x01\x10".to_vec();
    id3.extend(vec![0u8; 0x90]);
    id3.extend_from_slice(&bytes);
    let (got, w) = decode_bytes(&id3);
    assert!(got == pcm && w.is_empty(), "{w:?}");

    // No fLaC, no STREAMINFO: the frames alone.
    let mut r = FlacReader::new(Source::memory(audio.clone())).unwrap();
    // No total anywhere: the length is found from the last frame.
    assert_eq!(r.info().frames, Some(pcm.len() as u64 / 2));
    assert_eq!(r.info().sample_rate(), 44100);
    assert_eq!(r.info().bits_per_sample, Some(16));
    let (got, w) = decode_all(&mut r);
    assert!(got == pcm && w.is_empty(), "{w:?}");
    assert!(looks_like_frame_header(&audio));
    assert!(!looks_like_frame_header(&[0xFF, 0xF9, 0x50, 0x80, 0x00, 0x00, 0x00]));
    assert!(!looks_like_frame_header(&[]));
    // Seeking in the bare stream.
    let mut r = FlacReader::new(Source::memory(audio)).unwrap();
    for t in [12345u64, 0, 29999, 4096, 30000, 40000] {
        let at = r.seek(t).unwrap();
        assert_eq!(at, t.min(30000));
        let mut b = [0i32; 2];
        let n = r.read_i32(&mut b).unwrap();
        if t < 30000 {
            assert_eq!(n, 1);
            assert_eq!(&b[..], &pcm[t as usize * 2..t as usize * 2 + 2]);
        } else {
            assert_eq!(n, 0);
        }
    }
}

#[test]
fn lying_streaminfo_still_decodes_everything() {
    if !have("flac") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pcm = gen(0, 40000, 2, 16, 5);
    let bytes = flac_encode(dir.path(), &pcm, 2, 16, 44100, &["-5", "--no-padding"]);
    let (mut blocks, audio) = split_metadata(&bytes);
    let si = &mut blocks[0].1;
    si[0..2].copy_from_slice(&16u16.to_be_bytes()); // min block size
    si[2..4].copy_from_slice(&16u16.to_be_bytes()); // max block size
    si[7..10].copy_from_slice(&[0, 0, 20]); // max frame size
                                            // total samples = 1000 (low 36 bits of bytes 13..18).
    si[13] &= 0xF0;
    si[14..18].copy_from_slice(&1000u32.to_be_bytes());
    let bytes = join_metadata(&blocks, &audio);
    let mut r = FlacReader::new(Source::memory(bytes.clone())).unwrap();
    // The length is the one really there, found from the last frame.
    assert_eq!(r.info().frames, Some(40000));
    let (got, w) = decode_all(&mut r);
    assert!(got == pcm);
    assert!(w.iter().any(|w| w.contains("STREAMINFO")), "{w:?}");
    // Seeking past the claimed end works too.
    let mut r = FlacReader::new(Source::memory(bytes)).unwrap();
    assert_eq!(r.seek(30000).unwrap(), 30000);
    let mut b = [0i32; 2];
    r.read_i32(&mut b).unwrap();
    assert_eq!(&b[..], &pcm[60000..60002]);
}

#[test]
fn truncation_damage_and_garbage() {
    if !have("flac") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pcm = gen(4, 60000, 2, 16, 9);
    let bytes = flac_encode(dir.path(), &pcm, 2, 16, 44100, &["-5", "--blocksize=1024"]);
    let (_, audio) = split_metadata(&bytes);
    let audio_start = bytes.len() - audio.len();
    for cut in [audio_start + 1, audio_start + 20, bytes.len() / 3, bytes.len() / 2 + 7, bytes.len() - 1] {
        let (got, w) = decode_bytes(&bytes[..cut]);
        assert!(got.len() < pcm.len() && got[..] == pcm[..got.len()], "cut {cut}");
        assert!(!w.is_empty(), "cut {cut}: no warning");
        let (got2, _) = decode_file(dir.path(), &bytes[..cut]);
        assert!(got2 == got);
    }
    // Cut inside the metadata: an error, not a panic.
    assert!(FlacReader::new(Source::memory(bytes[..audio_start - 3].to_vec())).is_err());
    assert!(FlacReader::new(Source::memory(Vec::new())).is_err());
    assert!(FlacReader::new(Source::memory(b"fLaC".to_vec())).is_err());

    // A damaged byte in a middle frame: the frames around it are intact.
    for (k, off) in [bytes.len() / 2, bytes.len() / 2 + 333, audio_start + audio.len() / 4].into_iter().enumerate() {
        let mut bad = bytes.clone();
        bad[off] ^= 0x10 << (k % 3);
        for (got, w) in [decode_bytes(&bad), decode_file(dir.path(), &bad)] {
            assert!(!w.is_empty(), "no warning");
            assert!(got.len() <= pcm.len() && got.len() + 2 * 1024 * 2 >= pcm.len());
            let same_head = got.iter().zip(pcm.iter()).take_while(|(a, b)| a == b).count();
            let same_tail = got.iter().rev().zip(pcm.iter().rev()).take_while(|(a, b)| a == b).count();
            assert!(same_head + same_tail + 2 * 1024 * 2 >= pcm.len(), "head {same_head} tail {same_tail}");
        }
    }

    // Random bytes after a valid STREAMINFO, and random bytes alone.
    let (blocks, _) = split_metadata(&bytes);
    let mut rng = Rng(77);
    for len in [0usize, 1, 5, 100, 10_000, 300_000] {
        let junk: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        let f = join_metadata(&blocks[..1], &junk);
        if let Ok(mut r) = FlacReader::new(Source::memory(f)) {
            let (got, _) = decode_all(&mut r);
            assert!(got.len() < 1 << 22);
            let _ = r.seek(1000);
        }
        let _ = FlacReader::new(Source::memory(junk));
    }
    // Junk full of frame syncs.
    let mut junk = Vec::new();
    for _ in 0..50_000 {
        junk.extend_from_slice(&[0xFF, 0xF8 | (rng.next_u64() & 1) as u8, rng.next_u64() as u8, rng.next_u64() as u8]);
    }
    let f = join_metadata(&blocks[..1], &junk);
    if let Ok(mut r) = FlacReader::new(Source::memory(f)) {
        let _ = decode_all(&mut r);
    }
}

#[test]
fn seeks_exactly() {
    if !have("flac") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pcm = gen(4, 400_000, 2, 16, 21);
    for args in [&["-5"][..], &["-5", "--no-seektable"][..], &["-8", "--blocksize=4608", "-S", "1000x"][..]] {
        let bytes = flac_encode(dir.path(), &pcm, 2, 16, 44100, args);
        let p = dir.path().join("seek.flac");
        std::fs::write(&p, &bytes).unwrap();
        for mut r in [
            FlacReader::new(Source::memory(bytes.clone())).unwrap(),
            FlacReader::new(Source::open_unmapped(&p).unwrap()).unwrap(),
        ] {
            let mut rng = Rng(3);
            let mut buf = vec![0i32; 2 * 700];
            let mut targets: Vec<u64> = (0..25).map(|_| rng.next_u64() % 400_000).collect();
            targets.extend([0, 1, 4095, 4096, 4097, 399_999, 400_000, 500_000]);
            for t in targets {
                assert_eq!(r.seek(t).unwrap(), t.min(400_000), "{args:?}");
                let n = r.read_i32(&mut buf).unwrap();
                let want = (400_000 - t.min(400_000)).min(700) as usize;
                assert_eq!(n, want);
                let s = t.min(400_000) as usize * 2;
                assert!(buf[..n * 2] == pcm[s..s + n * 2], "{args:?} seek {t}");
            }
            assert!(r.take_warnings().is_empty());
        }
    }
}

/// Crafted streams (variable block size, 33-bit side channels, VERBATIM and
/// CONSTANT subframes, written bit by bit in `tests/common/flac.rs`, which
/// the unit tests use too) decode in `flac -d` to the samples they were
/// made from: the crafting the decoder's unit tests trust is right.
#[test]
fn crafted_streams_match_flac_d() {
    if !have("flac") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (ch, bps) in [(2usize, 16u32), (2, 32), (1, 24)] {
        let (file, pcm) = common::flac::crafted(ch, bps, &[100, 4096, 7, 1152, 65535, 3], true, 5);
        let reference = flac_decode(dir.path(), &file, bps);
        assert!(reference == pcm, "{ch}ch {bps}bit: the crafted stream does not decode as expected in flac -d");
        let (ours, w) = decode_bytes(&file);
        assert!(ours == pcm && w.is_empty(), "{ch}ch {bps}bit: {w:?}");
    }
}

/// Random damage (flipped bits, cuts) to files `flac` made (LPC up to order
/// 32, 32-bit samples) never panics, never hangs, and never yields more than
/// a bounded amount of audio.
#[test]
fn flac_made_files_mutated_never_panic() {
    if !have("flac") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = [
        flac_encode(dir.path(), &gen(4, 20000, 2, 16, 4), 2, 16, 44100, &["-8", "--blocksize=1024"]),
        flac_encode(dir.path(), &gen(4, 8000, 2, 32, 4), 2, 32, 44100, &["-8", "--blocksize=512"]),
        flac_encode(dir.path(), &gen(0, 8000, 1, 24, 4), 1, 24, 44100, &["-8", "-l", "32", "--lax"]),
    ];
    damage_never_panics(&files, 12345);
}

/// Our integrity verdict agrees with `flac -t`: our encoder's file is intact
/// for both; the same file with one bit of its last frame flipped and the
/// frame's CRC-16 fixed up (so it decodes cleanly to one wrong sample) is
/// damaged for both ("damaged: MD5 mismatch").
#[test]
fn integrity_verdict_agrees_with_flac_t() {
    if !have("flac") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let flac_t = |bytes: &[u8]| {
        let p = dir.path().join("t.flac");
        std::fs::write(&p, bytes).unwrap();
        Command::new("flac").args(["-t", "--silent"]).arg(&p).status().unwrap().success()
    };
    for (ch, bps) in [(2usize, 16u32), (1, 24), (2, 8), (3, 20)] {
        let pcm = gen(3, 20000, ch, bps, 5);
        let path = dir.path().join("own.flac");
        write(&path, spec(OutputFormat::Flac, ch as u16, bps, 44100), &pcm, &Tags::default());
        let bytes = std::fs::read(&path).unwrap();
        let mut r = FlacReader::new(Source::memory(bytes.clone())).unwrap();
        let (got, w) = decode_all(&mut r);
        assert!(got == pcm && w.is_empty(), "{w:?}");
        assert_eq!(r.verified(), Some(true));
        assert!(flac_t(&bytes), "flac -t must pass our encoder's file");

        // The last frame ends at the end of the file; its start is the last
        // header found from the end.
        let start = (0..bytes.len() - 16).rev().find(|&i| looks_like_frame_header(&bytes[i..])).unwrap();
        let end = bytes.len();
        let mut quiet = None;
        'search: for back in 3..(end - start - 20) {
            for bit in 0..8 {
                let mut f = bytes.clone();
                f[end - back] ^= 1 << bit;
                let crc = common::flac::crc16(&f[start..end - 2]);
                f[end - 2..].copy_from_slice(&crc.to_be_bytes());
                let mut r = FlacReader::new(Source::memory(f.clone())).unwrap();
                let (got, w) = decode_all(&mut r);
                if got.len() == pcm.len() && w.len() == 1 && w[0].starts_with("damaged: MD5 mismatch") {
                    assert_eq!(r.verified(), Some(false));
                    quiet = Some(f);
                    break 'search;
                }
            }
        }
        let bad = quiet.expect("a quiet one-bit damage");
        assert!(!flac_t(&bad), "{ch} ch {bps} bits: flac -t must fail the damaged file");
    }
}
