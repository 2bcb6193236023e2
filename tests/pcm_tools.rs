//! WAV and AIFF files made by sox and ffmpeg (IMA and MS ADPCM, A-law,
//! µ-law, W64, RF64, WAVE_FORMAT_EXTENSIBLE, AIFF-C float and IMA4) must read
//! as those tools decode them, and a WAV whose nBlockAlign disagrees with its
//! sample size must read the samples ffmpeg reads. Skipped (with a note)
//! without the tool.

mod common;

use common::tools::have;

use std::process::Command;

use coremusic::io::AudioReader;

fn run(cmd: &mut Command) -> Vec<u8> {
    common::tools::run(cmd).expect("the tool runs")
}

/// Little-endian 16-bit samples from raw bytes.
fn s16le(b: &[u8]) -> Vec<i32> {
    b.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]]) as i32).collect()
}

/// Opens a file held in memory through the probe.
fn open(bytes: &[u8]) -> Box<dyn AudioReader> {
    coremusic::io::open_source(coremusic::io::Source::memory(bytes.to_vec())).expect("opens")
}

fn all_i32(r: &mut dyn AudioReader) -> Vec<i32> {
    let ch = r.info().channels();
    let (mut out, mut buf) = (Vec::new(), vec![0i32; 1000 * ch]);
    loop {
        let n = r.read_i32(&mut buf).expect("read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n * ch]);
    }
}

fn all_f32(r: &mut dyn AudioReader) -> Vec<f32> {
    let ch = r.info().channels();
    let (mut out, mut buf) = (Vec::new(), vec![0f32; 1000 * ch]);
    loop {
        let n = r.read_f32(&mut buf).expect("read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n * ch]);
    }
}

/// A 24-bit 3-channel WAV whose nBlockAlign (4) disagrees with its samples
/// (9 bytes a frame): ffmpeg reads the samples CoreMusic reads (by the sample size).
#[test]
fn block_align_that_disagrees_with_the_sample_size_reads_as_ffmpeg() {
    if !have("ffmpeg") {
        return;
    }
    let frames = 50usize;
    let samples: Vec<i32> = (0..frames * 3).map(|i| (i as i32 * 40_009) % 8_000_000 - 4_000_000).collect();
    let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()[..3].to_vec()).collect();
    let mut fmt = Vec::new();
    for v in [1u16, 3] {
        fmt.extend_from_slice(&v.to_le_bytes());
    }
    fmt.extend_from_slice(&44100u32.to_le_bytes());
    fmt.extend_from_slice(&(44100u32 * 4).to_le_bytes());
    fmt.extend_from_slice(&4u16.to_le_bytes());
    fmt.extend_from_slice(&24u16.to_le_bytes());
    let mut bytes = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
    bytes.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&fmt);
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&(data.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&data);
    let riff = (bytes.len() - 8) as u32;
    bytes[4..8].copy_from_slice(&riff.to_le_bytes());
    assert_eq!(all_i32(open(&bytes).as_mut()), samples, "CoreMusic reads other samples");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("align.wav");
    std::fs::write(&path, &bytes).unwrap();
    let out = run(Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(&path).args(["-f", "s32le", "-"]));
    let theirs: Vec<i32> = out.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) >> 8).collect();
    assert_eq!(theirs, samples, "ffmpeg reads other samples");
}

#[test]
fn sox_ima_adpcm_and_alaw_match_sox_decode() {
    if !have("sox") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (enc, ch) in [("ima-adpcm", 1), ("ima-adpcm", 2), ("a-law", 2), ("u-law", 1), ("ms-adpcm", 2), ("ms-adpcm", 1)]
    {
        let p = dir.path().join(format!("{enc}{ch}.wav"));
        run(Command::new("sox")
            .args(["-n", "-r", "44100", "-c", &ch.to_string(), "-e", enc])
            .arg(&p)
            .args(["synth", "0.3", "sine", "440", "sine", "1000"]));
        let raw = run(Command::new("sox").arg(&p).args(["-e", "signed", "-b", "16", "-t", "raw", "-"]));
        let want = s16le(&raw);
        let bytes = std::fs::read(&p).unwrap();
        let mut r = open(&bytes);
        let got = all_i32(r.as_mut());
        // sox decodes the padding of the last ADPCM block too; the fact chunk says where the audio ends.
        assert_eq!(got.len(), 13230 * ch, "{enc} {ch}");
        let want = &want[..got.len()];
        if enc == "ms-adpcm" {
            // sox predicts with a flooring shift where Microsoft's reference truncates.
            let err = got.iter().zip(want).map(|(a, b)| (a - b).abs()).max().unwrap();
            assert!(err <= 256, "{enc} {ch}: {err}");
        } else {
            assert!(got == want, "{enc} {ch}");
        }
    }
}

#[test]
fn ffmpeg_ms_adpcm_matches_ffmpeg_decode() {
    if !have("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (codec, ch) in [("adpcm_ms", 1), ("adpcm_ms", 2), ("adpcm_ima_wav", 2)] {
        let p = dir.path().join(format!("{codec}{ch}.wav"));
        run(common::tools::ffmpeg()
            .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=0.3", "-ac", &ch.to_string(), "-c:a", codec])
            .arg(&p));
        let raw = run(common::tools::ffmpeg().arg("-i").arg(&p).args(["-f", "s16le", "-"]));
        let want = s16le(&raw);
        let got = all_i32(open(&std::fs::read(&p).unwrap()).as_mut());
        assert_eq!(got.len(), want.len(), "{codec} {ch}");
        if codec == "adpcm_ms" {
            assert_eq!(got, want, "{codec} {ch}");
        } else {
            // ffmpeg's IMA WAV step uses (2d+1)·step/8, the reference a shift-and-add: off by a few.
            let err = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).max().unwrap();
            assert!(err <= 64, "{codec} {ch}: {err}");
        }
    }
}

#[test]
fn ffmpeg_w64_rf64_and_extensible_24_bit() {
    if !have("ffmpeg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in [
        ("a.w64", &["-c:a", "pcm_s24le"][..]),
        ("b.wav", &["-c:a", "pcm_s24le", "-rf64", "always"][..]),
        ("c.wav", &["-c:a", "pcm_f32le", "-ac", "6"][..]),
    ] {
        let p = dir.path().join(name);
        run(common::tools::ffmpeg().args(["-f", "lavfi", "-i", "sine=frequency=440:duration=0.2"]).args(args).arg(&p));
        let want = common::tools::ffmpeg_f32(&p).expect("ffmpeg decodes");
        let got = all_f32(open(&std::fs::read(&p).unwrap()).as_mut());
        assert!(got == want, "{name}");
    }
}

#[test]
fn sox_and_ffmpeg_aiff_files() {
    if have("sox") {
        let dir = tempfile::tempdir().unwrap();
        for (args, ext) in [
            (&["-b", "24"][..], "aiff"),
            (&["-e", "floating-point", "-b", "32"][..], "aifc"),
            (&["-e", "u-law"][..], "aifc"),
        ] {
            let p = dir.path().join(format!("x.{ext}"));
            run(Command::new("sox")
                .args(["-n", "-r", "48000", "-c", "2"])
                .args(args)
                .arg(&p)
                .args(["synth", "0.2", "sine", "440"]));
            let raw = run(Command::new("sox").arg(&p).args(["-e", "floating-point", "-b", "32", "-t", "raw", "-"]));
            let want: Vec<f32> = raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            let got = all_f32(open(&std::fs::read(&p).unwrap()).as_mut());
            assert_eq!(got.len(), want.len(), "{args:?}");
            let err = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(err <= 1.0 / 8_388_608.0, "{args:?}: {err}");
        }
    }
    if have("ffmpeg") {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("q.aifc");
        run(common::tools::ffmpeg()
            .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=0.2", "-ac", "2", "-c:a", "adpcm_ima_qt"])
            .arg(&p));
        let raw = run(common::tools::ffmpeg().arg("-i").arg(&p).args(["-f", "s16le", "-"]));
        let want = s16le(&raw);
        let got = all_i32(open(&std::fs::read(&p).unwrap()).as_mut());
        assert_eq!(got.len(), want.len());
        // ffmpeg carries the exact predictor over packet boundaries; each packet's header
        // keeps its top 9 bits, so a fresh start differs by less than 128.
        let err = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).max().unwrap();
        assert!(err < 128 * 2, "{err}");
    }
}
