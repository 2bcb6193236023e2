//! The Opus decoder against ffmpeg: stereo (CELT), mono SILK and 5.1 files
//! made by ffmpeg's libopus must decode as libopus decodes them (same frame
//! count, sample-aligned, every channel at least 60 dB SNR), seek accurately,
//! apply the header's output gain and decode what a cut file holds.
//! Skipped (with a note) without ffmpeg or its libopus encoder.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::tools::{ffmpeg_f32, ffmpeg_has_encoder, have, read_all_f32};
use coremusic::format::FourCC;
use coremusic::io::{Codec, Container, Source};

/// SNR of `got` against the reference `want`, in dB.
fn snr_db(got: &[f32], want: &[f32]) -> f64 {
    common::tools::snr_db(want, got)
}

/// Stereo, music-like: two tones and pink noise.
const STEREO: &str = "sine=f=440:d=3[a];sine=f=1234:d=3[b];anoisesrc=d=3:c=pink:a=0.1:seed=1[c];\
                      [a][b][c]amix=inputs=3,aformat=channel_layouts=stereo";
/// Mono for SILK at 12 kb/s: a wobbling tone with a little noise.
const MONO: &str = "sine=f=220:d=3,vibrato=f=5:d=0.5[a];anoisesrc=d=3:c=pink:a=0.05:seed=2[b];\
                    [a][b]amix=inputs=2,aformat=sample_rates=16000:channel_layouts=mono";
/// Mono, speech-like for seeking: syllable-rate bursts of band-passed
/// noise. (SILK's long-term predictor makes a steady tone converge only
/// slowly after a seek, in libopus as here.)
const SPEECHY: &str = "anoisesrc=d=3:c=pink:a=0.5:seed=4,bandpass=f=700:width_type=o:w=2,\
                       tremolo=f=4:d=0.9,aformat=sample_rates=16000:channel_layouts=mono";
/// 5.1: a different tone (and some noise) in every channel.
const SURROUND: &str = "sine=f=300:d=3[a];sine=f=500:d=3[b];sine=f=700:d=3[c];\
                        sine=f=60:d=3[d];sine=f=1100:d=3[e];anoisesrc=d=3:c=pink:a=0.2:seed=3[f];\
                        [a][b][c][d][e][f]join=inputs=6:channel_layout=5.1";

fn make(dir: &Path, name: &str, graph: &str, args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let st = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-filter_complex", graph])
        .args(["-c:a", "libopus"])
        .args(args)
        .arg(&path)
        .status()
        .expect("ffmpeg runs");
    assert!(st.success(), "ffmpeg failed making {name}");
    path
}

/// ffmpeg's decode as f32 with the given decoder (`opus` is ffmpeg's own,
/// `libopus` the reference library).
fn ffmpeg_with(path: &Path, decoder: &str) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-c:a", decoder, "-i"])
        .arg(path)
        .args(["-f", "f32le", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "ffmpeg failed decoding {}", path.display());
    out.stdout.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

fn has_decoder(name: &str) -> bool {
    let out = Command::new("ffmpeg").args(["-hide_banner", "-decoders"]).output().expect("ffmpeg runs");
    String::from_utf8_lossy(&out.stdout).lines().any(|l| l.split_whitespace().nth(1) == Some(name))
}

fn ready() -> bool {
    let ok = have("ffmpeg") && ffmpeg_has_encoder("libopus");
    if !ok {
        eprintln!("note: needs ffmpeg with libopus, test skipped");
    }
    ok
}

/// Decodes through the probe (`coremusic::io::open`) and against ffmpeg
/// (its libopus decoder when it has one, the reference implementation;
/// else its own): same frame count, sample-aligned, every channel at
/// least 60 dB SNR. Returns the SNR in dB.
fn compare(path: &Path, channels: usize) -> f64 {
    let mut r = coremusic::io::open(path).expect("coremusic opens the .opus");
    let info = r.info().clone();
    assert_eq!(info.codec, Codec::Opus);
    assert_eq!(info.container, Container::Ogg);
    assert_eq!(info.format.format_id, FourCC::OPUS);
    assert_eq!(info.sample_rate(), 48000);
    assert_eq!(info.sample_format, None);
    assert_eq!(info.bits_per_sample, None);
    assert_eq!(info.channels(), channels);
    let ours = read_all_f32(r.as_mut());
    let native = ffmpeg_f32(path).expect("ffmpeg decodes");
    let reference = has_decoder("libopus").then(|| ffmpeg_with(path, "libopus"));
    let warnings = r.take_warnings();
    eprintln!(
        "{}: {} frames (header {:?}), ffmpeg {} frames, SNR vs ffmpeg's opus decoder {:.1} dB, \
         vs libopus {}, layout {}, warnings {warnings:?}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or(""),
        ours.len() / channels,
        info.frames,
        native.len() / channels,
        snr_db(&ours, &native),
        reference.as_ref().map_or("-".to_string(), |t| format!("{:.1} dB", snr_db(&ours, t))),
        info.layout.describe(),
    );
    assert_eq!(ours.len(), native.len(), "frame count differs from ffmpeg");
    let theirs = reference.unwrap_or(native);
    let snr = snr_db(&ours, &theirs);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(ours.len(), theirs.len(), "frame count differs from ffmpeg");
    assert_eq!(info.frames, Some((ours.len() / channels) as u64));
    let n = ours.len();
    let ch = channels;
    let shifted = snr_db(&ours[ch..n], &theirs[..n - ch]);
    assert!(snr > shifted + 10.0, "not aligned: {snr} vs shifted {shifted}");
    // Channel by channel (catches a wrong surround order).
    for c in 0..ch {
        let a: Vec<f32> = ours.iter().skip(c).step_by(ch).copied().collect();
        let b: Vec<f32> = theirs.iter().skip(c).step_by(ch).copied().collect();
        let s = snr_db(&a, &b);
        assert!(s >= 60.0, "channel {c}: SNR {s:.1} dB");
    }
    snr
}

#[test]
fn stereo_matches_ffmpeg() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = make(dir.path(), "s.opus", STEREO, &["-b:a", "128k"]);
    let snr = compare(&path, 2);
    assert!(snr >= 60.0, "stereo SNR {snr}");
    let r = coremusic::io::open(&path).expect("open");
    assert_eq!(r.info().layout.describe(), "Stereo");
}

#[test]
fn mono_silk_matches_ffmpeg() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = make(dir.path(), "m.opus", MONO, &["-b:a", "12k", "-application", "voip"]);
    let snr = compare(&path, 1);
    assert!(snr >= 60.0, "mono SILK SNR {snr}");
}

#[test]
fn surround_5_1_matches_ffmpeg() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = make(dir.path(), "6.opus", SURROUND, &["-b:a", "256k", "-mapping_family", "1"]);
    let snr = compare(&path, 6);
    assert!(snr >= 60.0, "5.1 SNR {snr}");
    let r = coremusic::io::open(&path).expect("open");
    eprintln!("5.1 layout: {}", r.info().layout.describe());
}

/// After a seek the fixed-point decoder has converged (400 ms pre-roll):
/// CELT audio equals a straight decode, or nearly (≥ 60 dB), from the
/// first frame; SILK is close (its predictor needs longer); all aligned.
#[test]
fn seeks_are_accurate() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let stereo = make(dir.path(), "s.opus", STEREO, &["-b:a", "128k"]);
    let mono = make(dir.path(), "m.opus", SPEECHY, &["-b:a", "12k", "-application", "voip"]);
    let surround = make(dir.path(), "6.opus", SURROUND, &["-b:a", "256k", "-mapping_family", "1"]);
    seek_report(&stereo, Some(60.0));
    seek_report(&surround, Some(60.0));
    seek_report(&mono, Some(30.0));
}

/// Seeks to several frames; the audio there must equal a straight decode,
/// or (`min_snr`) be that close to it and sample-aligned.
fn seek_report(path: &Path, min_snr: Option<f64>) {
    let mut r = coremusic::io::open(path).expect("open");
    let ch = r.info().channels();
    let all = read_all_f32(r.as_mut());
    let frames = (all.len() / ch) as u64;
    let mut report = Vec::new();
    for target in [0u64, 1, 311, 960, 4097, 20000, frames / 3, frames / 2 + 17, frames - 100, frames, frames + 5] {
        let landed = r.seek(target).expect("seek");
        assert_eq!(landed, target.min(frames), "seek landed elsewhere");
        let mut buf = vec![0f32; 2000 * ch];
        let n = r.read_f32(&mut buf).expect("read after seek");
        assert_eq!(n as u64, (frames - landed).min(2000), "frames after seek to {target}");
        let at = landed as usize * ch;
        let got = &buf[..n * ch];
        let want = &all[at..at + n * ch];
        if got == want {
            report.push(format!("{target}: exact"));
        } else {
            let snr = snr_db(got, want);
            report.push(format!("{target}: {snr:.1} dB"));
            let min = min_snr.unwrap_or(f64::INFINITY);
            assert!(snr >= min, "audio after seek to {target}: SNR {snr}");
            let shifted = snr_db(&got[ch..], &want[..want.len() - ch]);
            assert!(snr > shifted + 10.0, "seek to {target} not aligned");
        }
    }
    eprintln!("{} seeks: {}", path.file_name().and_then(|n| n.to_str()).unwrap_or(""), report.join(", "));
}

/// The Ogg page checksum (CRC-32, polynomial 0x04c11db7, unreflected).
fn ogg_crc(data: &[u8]) -> u32 {
    let step = |c: u32, _| if c & 0x8000_0000 != 0 { (c << 1) ^ 0x04c1_1db7 } else { c << 1 };
    data.iter().fold(0u32, |crc, &b| (0..8).fold(crc ^ (u32::from(b) << 24), step))
}

#[test]
fn output_gain_is_applied() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = make(dir.path(), "s.opus", STEREO, &["-b:a", "128k"]);
    let mut bytes = std::fs::read(&path).expect("read");
    // Patch the first page: OpusHead gain = −6 dB (Q7.8), new checksum.
    let segs = usize::from(bytes[26]);
    let body: usize = bytes[27..27 + segs].iter().map(|&l| usize::from(l)).sum();
    let head = 27 + segs;
    assert_eq!(&bytes[head..head + 8], b"OpusHead");
    bytes[head + 16..head + 18].copy_from_slice(&(-6i16 * 256).to_le_bytes());
    bytes[22..26].fill(0);
    let crc = ogg_crc(&bytes[..head + body]);
    bytes[22..26].copy_from_slice(&crc.to_le_bytes());
    let quiet = dir.path().join("quiet.opus");
    std::fs::write(&quiet, &bytes).expect("write");

    let snr = compare(&quiet, 2);
    assert!(snr >= 60.0, "gain −6 dB: SNR {snr}");
    let loud = read_all_f32(coremusic::io::open(&path).expect("open").as_mut());
    let soft = read_all_f32(coremusic::io::open(&quiet).expect("open").as_mut());
    let rms = |v: &[f32]| (v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
    let ratio = rms(&soft) / rms(&loud);
    eprintln!("output gain −6 dB: level ratio {ratio:.4} (expect {:.4})", 10f64.powf(-6.0 / 20.0));
    assert!((ratio - 10f64.powf(-6.0 / 20.0)).abs() < 0.005, "ratio {ratio}");
}

#[test]
fn truncated_file_decodes_what_is_there() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = make(dir.path(), "s.opus", STEREO, &["-b:a", "128k"]);
    let full = read_all_f32(coremusic::io::open(&path).expect("open").as_mut());
    let mut bytes = std::fs::read(&path).expect("read");
    bytes.truncate(bytes.len() * 6 / 10 + 77);
    // Symphonia hands out the packets of whole (checksummed) pages: the
    // frames there are those up to the last complete page's granule
    // position, less the pre-skip (OpusHead at byte 28, pre-skip at +10).
    assert_eq!(&bytes[28..36], b"OpusHead");
    let pre_skip = u64::from(u16::from_le_bytes([bytes[38], bytes[39]]));
    let (mut pos, mut last) = (0usize, 0u64);
    while let Some(&segs) = bytes.get(pos + 26) {
        let hdr = 27 + usize::from(segs);
        let Some(lacing) = bytes.get(pos + 27..pos + hdr) else { break };
        let end = pos + hdr + lacing.iter().map(|&l| usize::from(l)).sum::<usize>();
        if end > bytes.len() {
            break;
        }
        let granule = i64::from_le_bytes(bytes[pos + 6..pos + 14].try_into().expect("8"));
        if granule > 0 {
            last = granule as u64;
        }
        pos = end;
    }
    let mut r = coremusic::io::open_source(Source::memory(bytes)).expect("open truncated");
    let got = read_all_f32(r.as_mut());
    let warnings = r.take_warnings();
    eprintln!(
        "truncated opus: {} of {} frames (whole pages hold {}), warnings {warnings:?}",
        got.len() / 2,
        full.len() / 2,
        last - pre_skip
    );
    assert_eq!((got.len() / 2) as u64, last - pre_skip);
    assert!(got.len() < full.len());
    assert!(got[..] == full[..got.len()], "the frames there differ from a full decode");
    assert!(!warnings.is_empty(), "no warning for a truncated file");
}

/// Our own surround encoder (Opus mapping family 1, ropus's multistream
/// encoder in every build): 3 to 8 channels made by ffmpeg with their
/// layouts (3.0, quad, 5.0, 5.1, 6.1, 7.1) go through `coremusic convert`
/// and come back from ffprobe with the same channel count and layout, and
/// from ffmpeg's decoder with exactly the source's frame count (gapless;
/// 48 kHz in, so no resampling).
#[test]
fn our_surround_opus_reads_back_in_ffmpeg() {
    if !have("ffmpeg") || !have("ffprobe") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let frames = 24_011usize;
    for (n, layout) in [(3usize, "3.0"), (4, "quad"), (5, "5.0"), (6, "5.1"), (7, "6.1"), (8, "7.1")] {
        let wav = dir.path().join(format!("in{n}.wav"));
        let inputs: String = (0..n).map(|i| format!("sine=f={}:d=1:sample_rate=48000[a{i}];", 200 + 150 * i)).collect();
        let pads: String = (0..n).map(|i| format!("[a{i}]")).collect();
        let graph = format!("{inputs}{pads}join=inputs={n}:channel_layout={layout},atrim=end_sample={frames}");
        common::tools::run(common::tools::ffmpeg().args(["-filter_complex", &graph, "-c:a", "pcm_s16le"]).arg(&wav))
            .expect("ffmpeg makes the source");
        let out = dir.path().join(format!("out{n}.opus"));
        let st = Command::new(env!("CARGO_BIN_EXE_coremusic"))
            .arg("convert")
            .arg(&wav)
            .arg("-o")
            .arg(&out)
            .output()
            .expect("coremusic runs");
        assert!(st.status.success(), "{n} channels: {}", String::from_utf8_lossy(&st.stderr));
        let probe = common::tools::run(
            Command::new("ffprobe")
                .args(["-v", "error", "-show_entries", "stream=channels,channel_layout,codec_name", "-of", "csv=p=0"])
                .arg(&out),
        )
        .expect("ffprobe reads it");
        let probe = String::from_utf8_lossy(&probe).trim().to_string();
        assert_eq!(probe, format!("opus,{n},{layout}"), "{n} channels: ffprobe");
        let back = ffmpeg_f32(&out).expect("ffmpeg decodes it");
        assert_eq!(back.len(), frames * n, "{n} channels: ffmpeg's length (not gapless)");
        let ours = read_all_f32(coremusic::io::open(&out).expect("we open it").as_mut());
        assert_eq!(ours.len(), frames * n, "{n} channels: our length");
    }
}
