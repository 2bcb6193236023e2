//! Broken files, as a user meets them: through `coremusic info --json` (run
//! with a deadline: a hang is killed and fails the test; under a virtual
//! memory limit where `ulimit` works, so a huge allocation from a lying header
//! fails too) and through `AudioFile::open` + `read_all` (in a thread with a
//! deadline).
//!
//! What each kind of damage must give:
//! - Not audio at all (empty, random bytes, text renamed to .mp3, MIDI, APE,
//!   WavPack), or headers that cannot describe a stream (zero channels, zero
//!   sample rate, AIFF without SSND, a file cut inside its headers): a clear
//!   error naming the file — the JSON line has the `path` and an `error`
//!   containing the problem (`empty`, `text`, `MIDI`, `unsupported codec`,
//!   `channel`, `rate`, `SSND`…), the exit status is 1, `AudioFile::open`
//!   fails with a `FileError` whose message starts with the path.
//! - A truncated but readable file (WAV, FLAC or MP3 cut in the middle of a
//!   frame; a WAV whose data chunk claims more than the file holds): it opens,
//!   decoding gives exactly the frames that are really there — the samples
//!   that were written, bit-exact for PCM and FLAC — then ends cleanly, and a
//!   warning says what was wrong (in `take_warnings()` and, when the headers
//!   already show it, in the JSON `warnings`). A partial last frame is dropped.
//! - Nothing panics, hangs or allocates more than the file can justify.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use common::tools::{self, have, run, Rng};
use coremusic::io::AudioFile;

const DEADLINE: Duration = Duration::from_secs(60);

/// What a broken file must give.
#[derive(Debug, Clone)]
enum Want {
    /// An error whose message contains every word (case-insensitive).
    Error(&'static [&'static str]),
    /// Opens and decodes these samples (interleaved i32 at the file's depth),
    /// with a warning. `frames_in_json`: the frame count `info` must report
    /// (`None`: not checked).
    Partial { samples: Vec<i32>, channels: usize, frames_in_json: Option<u64>, json_warns: bool },
    /// Opens and decodes at least `min_frames` frames, with a warning (lossy).
    PartialLossy { min_frames: u64, max_frames: u64 },
}

struct Bad {
    name: &'static str,
    path: PathBuf,
    want: Want,
}

// ---------------------------------------------------------------------------
// Builders.

fn le16(v: u16) -> [u8; 2] {
    v.to_le_bytes()
}
fn le32(v: u32) -> [u8; 4] {
    v.to_le_bytes()
}

/// A canonical PCM WAVE file; `data_size` overrides the data chunk's size field.
fn wav(channels: u16, rate: u32, bits: u16, data: &[u8], data_size: Option<u32>) -> Vec<u8> {
    let block = channels.wrapping_mul(bits / 8);
    let mut f = Vec::new();
    f.extend_from_slice(b"RIFF");
    f.extend_from_slice(&le32(36 + data.len() as u32));
    f.extend_from_slice(b"WAVEfmt ");
    f.extend_from_slice(&le32(16));
    f.extend_from_slice(&le16(1));
    f.extend_from_slice(&le16(channels));
    f.extend_from_slice(&le32(rate));
    f.extend_from_slice(&le32(rate.wrapping_mul(block as u32)));
    f.extend_from_slice(&le16(block));
    f.extend_from_slice(&le16(bits));
    f.extend_from_slice(b"data");
    f.extend_from_slice(&le32(data_size.unwrap_or(data.len() as u32)));
    f.extend_from_slice(data);
    f
}

/// An 80-bit extended float holding `rate` (0 → all zero bytes).
fn ext80(rate: u32) -> [u8; 10] {
    let mut out = [0u8; 10];
    if rate == 0 {
        return out;
    }
    let e = 31 - rate.leading_zeros();
    out[..2].copy_from_slice(&((16383 + e) as u16).to_be_bytes());
    out[2..].copy_from_slice(&((rate as u64) << (63 - e)).to_be_bytes());
    out
}

/// An AIFF file (big-endian 16-bit) with COMM and, if `data` is given, SSND.
fn aiff(channels: u16, rate: u32, frames: u32, data: Option<&[u8]>) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(b"AIFFCOMM");
    body.extend_from_slice(&18u32.to_be_bytes());
    body.extend_from_slice(&channels.to_be_bytes());
    body.extend_from_slice(&frames.to_be_bytes());
    body.extend_from_slice(&16u16.to_be_bytes());
    body.extend_from_slice(&ext80(rate));
    if let Some(d) = data {
        body.extend_from_slice(b"SSND");
        body.extend_from_slice(&(8 + d.len() as u32).to_be_bytes());
        body.extend_from_slice(&[0; 8]);
        body.extend_from_slice(d);
    }
    let mut f = b"FORM".to_vec();
    f.extend_from_slice(&(body.len() as u32).to_be_bytes());
    f.extend_from_slice(&body);
    f
}

/// A CAF file of little-endian 16-bit linear PCM.
fn caf(channels: u32, rate: f64, data: &[u8]) -> Vec<u8> {
    let mut f = b"caff\x00\x01\x00\x00desc".to_vec();
    f.extend_from_slice(&32u64.to_be_bytes());
    f.extend_from_slice(&rate.to_be_bytes());
    f.extend_from_slice(b"lpcm");
    f.extend_from_slice(&(4u32 | 2).to_be_bytes()); // signed integer, little-endian
    f.extend_from_slice(&(2 * channels).to_be_bytes());
    f.extend_from_slice(&1u32.to_be_bytes());
    f.extend_from_slice(&channels.to_be_bytes());
    f.extend_from_slice(&16u32.to_be_bytes());
    f.extend_from_slice(b"data");
    f.extend_from_slice(&(4 + data.len() as u64).to_be_bytes());
    f.extend_from_slice(&0u32.to_be_bytes());
    f.extend_from_slice(data);
    f
}

/// A small standard MIDI file: one track, one note.
fn midi() -> Vec<u8> {
    let mut f = b"MThd\0\0\0\x06\0\0\0\x01\x01\xe0MTrk".to_vec();
    let track = [0x00, 0x90, 60, 100, 0x83, 0x60, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00];
    f.extend_from_slice(&(track.len() as u32).to_be_bytes());
    f.extend_from_slice(&track);
    f
}

fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut v: Vec<u8> = (0..n).map(|_| (rng.next_u64() >> 56) as u8).collect();
    v[0] = 0x37; // not a sync byte: the content is "random", not "MPEG"
    v
}

fn s16le(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|&x| (x as i16).to_le_bytes()).collect()
}

/// The broken corpus; cases needing a missing tool are left out with a note.
fn make(dir: &Path) -> Vec<Bad> {
    let mut out = Vec::new();
    let add = |out: &mut Vec<Bad>, name: &'static str, file: &str, bytes: Vec<u8>, want: Want| {
        let path = common::file_with(dir, file, &bytes);
        out.push(Bad { name, path, want });
    };
    let err = Want::Error;

    // Not audio at all.
    add(&mut out, "empty", "empty.wav", Vec::new(), err(&["empty"]));
    add(&mut out, "random bytes", "random.wav", random_bytes(4096, 7), err(&["not an audio file"]));
    add(&mut out, "random bytes .flac", "random.flac", random_bytes(777, 9), err(&["not an audio file"]));
    add(&mut out, "text renamed to .mp3", "notes.mp3", b"Shopping list:\n- milk\n- eggs\n".repeat(20), err(&["text"]));
    add(&mut out, "MIDI file", "song.mid", midi(), err(&["MIDI"]));
    add(&mut out, "MIDI file renamed .wav", "song.wav", midi(), err(&["MIDI"]));
    let mut ape = b"MAC \x96\x0f\0\0".to_vec();
    ape.extend(random_bytes(500, 3));
    add(&mut out, "APE magic", "a.ape", ape, err(&["unsupported codec", "Monkey"]));
    let mut wv = b"wvpk".to_vec();
    wv.extend(random_bytes(500, 5));
    add(&mut out, "WavPack magic", "a.wv", wv, err(&["unsupported codec", "WavPack"]));
    let mut junk = b"RIFF\x00\x10\x00\x00WAVE".to_vec();
    junk.extend(random_bytes(4096, 11).into_iter().map(|b| b | 0x80));
    add(&mut out, "RIFF WAVE then random bytes", "junk.wav", junk, err(&[]));
    let mut flac_junk = b"fLaC".to_vec();
    flac_junk.extend(random_bytes(4096, 13));
    add(&mut out, "fLaC then random bytes", "junk.flac", flac_junk, err(&[]));

    // Headers that cannot describe a stream.
    add(&mut out, "WAV zero channels", "zero-ch.wav", wav(0, 44100, 16, &[0; 400], None), err(&["channel"]));
    add(&mut out, "WAV zero sample rate", "zero-rate.wav", wav(2, 0, 16, &[0; 400], None), err(&["nSamplesPerSec"]));
    add(&mut out, "AIFF zero channels", "zero-ch.aiff", aiff(0, 44100, 100, Some(&[0; 400])), err(&["channel"]));
    add(&mut out, "AIFF zero sample rate", "zero-rate.aiff", aiff(2, 0, 100, Some(&[0; 400])), err(&["rate"]));
    add(&mut out, "AIFF missing SSND", "no-ssnd.aiff", aiff(2, 44100, 100, None), err(&["SSND"]));
    add(&mut out, "CAF zero channels", "zero-ch.caf", caf(0, 44100.0, &[0; 400]), err(&["channel"]));
    add(&mut out, "CAF zero sample rate", "zero-rate.caf", caf(2, 0.0, &[0; 400]), err(&["rate"]));
    let hdr = wav(2, 44100, 16, &[], None);
    add(&mut out, "WAV cut inside fmt", "cut-fmt.wav", hdr[..30].to_vec(), err(&["fmt"]));

    // Truncated but readable.
    let src = tools::int_signal(1000, 2, 16, 21);
    let full = wav(2, 44100, 16, &s16le(&src), None);
    let cut = 44 + 500 * 4 + 3; // 500 whole frames and 3 bytes of the next
    add(
        &mut out,
        "WAV truncated mid-frame",
        "cut.wav",
        full[..cut].to_vec(),
        Want::Partial { samples: src[..1000].to_vec(), channels: 2, frames_in_json: Some(500), json_warns: true },
    );
    add(
        &mut out,
        "WAV data chunk larger than the file",
        "big-data.wav",
        wav(2, 44100, 16, &s16le(&src), Some(0x7FFF_FFF0)),
        Want::Partial { samples: src.clone(), channels: 2, frames_in_json: Some(1000), json_warns: true },
    );
    add(
        &mut out,
        "WAV header only (data claims 4000 bytes, has none)",
        "header-only.wav",
        wav(2, 44100, 16, &[], Some(4000)),
        Want::Partial { samples: Vec::new(), channels: 2, frames_in_json: Some(0), json_warns: true },
    );
    // COMM claims all 2000 frames; the cut leaves 1499 and a byte.
    let mut aiff_cut =
        aiff(1, 22050, 2000, Some(&src.iter().flat_map(|&v| (v as i16).to_be_bytes()).collect::<Vec<_>>()));
    aiff_cut.truncate(aiff_cut.len() - 1001);
    add(
        &mut out,
        "AIFF truncated mid-frame (COMM claims more)",
        "cut.aiff",
        aiff_cut,
        Want::Partial { samples: src[..1499].to_vec(), channels: 1, frames_in_json: Some(1499), json_warns: true },
    );

    // FLAC from the reference encoder, cut in the middle of a frame and inside STREAMINFO.
    if have("flac") {
        let src = tools::int_signal(20000, 2, 16, 33);
        let raw = dir.join("flac-src.raw");
        std::fs::write(&raw, s16le(&src)).unwrap();
        let full = dir.join("flac-full.flac");
        run(Command::new("flac")
            .args(["--silent", "--force", "--force-raw-format", "--endian=little", "--sign=signed"])
            .args(["--channels=2", "--bps=16", "--sample-rate=44100", "--blocksize=4096", "--no-padding", "-o"])
            .arg(&full)
            .arg(&raw))
        .expect("flac");
        let bytes = std::fs::read(&full).unwrap();
        // Find where frame 3 (of 5) starts: a frame sync 0xFFF8 after the metadata.
        let frame_starts: Vec<usize> =
            (42..bytes.len() - 1).filter(|&i| bytes[i] == 0xFF && bytes[i + 1] == 0xF8).collect();
        let cut_at =
            frame_starts.iter().copied().filter(|&i| i > bytes.len() / 2).min().unwrap_or(bytes.len() / 2) + 40;
        let path = common::file_with(dir, "cut.flac", &bytes[..cut_at]);
        out.push(Bad {
            name: "FLAC truncated mid-frame",
            path,
            // Whole frames before the cut decode; which ones is checked against the source.
            // `info` finds the length from the last whole frame and warns of the header's claim.
            want: Want::Partial { samples: src, channels: 2, frames_in_json: None, json_warns: true },
        });
        let path = common::file_with(dir, "cut-streaminfo.flac", &bytes[..20]);
        out.push(Bad { name: "FLAC cut inside STREAMINFO", path, want: Want::Error(&["20"]) });
        // STREAMINFO marked as the last metadata block, and nothing after it.
        let mut header_only = bytes[..42].to_vec();
        header_only[4] |= 0x80;
        let path = common::file_with(dir, "header-only.flac", &header_only);
        out.push(Bad {
            name: "FLAC header only (STREAMINFO, no frames)",
            path,
            want: Want::Partial { samples: Vec::new(), channels: 2, frames_in_json: Some(0), json_warns: true },
        });
        let path = common::file_with(dir, "cut-metadata.flac", &bytes[..42]);
        out.push(Bad { name: "FLAC cut between metadata blocks", path, want: Want::Error(&["42", "metadata"]) });
    } else {
        eprintln!("skipping FLAC cases: `flac` is not installed");
    }

    // MP3 from ffmpeg, cut in the middle of a frame, and cut to less than a frame.
    if have("ffmpeg") && tools::ffmpeg_has_encoder("libmp3lame") {
        let full = dir.join("full.mp3");
        run(tools::ffmpeg()
            .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=1", "-c:a", "libmp3lame"])
            .args(["-b:a", "128k"])
            .arg(&full))
        .expect("ffmpeg mp3");
        let bytes = std::fs::read(&full).unwrap();
        let path = common::file_with(dir, "cut.mp3", &bytes[..bytes.len() / 2 + 200]);
        // 1 s at 128 kbit/s cut in half: about 0.5 s of audio (±2 frames of 1152).
        out.push(Bad {
            name: "MP3 truncated mid-frame",
            path,
            want: Want::PartialLossy { min_frames: 17000, max_frames: 26000 },
        });
        // Only the Xing/Info frame and a few bytes of audio: no audio frame is whole.
        let first_sync =
            (0..bytes.len() - 1).filter(|&i| bytes[i] == 0xFF && bytes[i + 1] & 0xE0 == 0xE0).nth(1).unwrap_or(400);
        let path = common::file_with(dir, "tiny.mp3", &bytes[..first_sync + 60]);
        out.push(Bad { name: "MP3 truncated to less than a frame", path, want: Want::Error(&["MPEG"]) });
        // An MPEG sync word followed by noise: must fail or end, not scan forever.
        let mut sync_junk = vec![0xFF, 0xFB, 0x90, 0x00];
        sync_junk.extend(random_bytes(1 << 20, 17));
        let path = common::file_with(dir, "sync-junk.mp3", &sync_junk);
        out.push(Bad { name: "MPEG sync then 1 MB of noise", path, want: Want::Error(&["MPEG"]) });
    } else {
        eprintln!("skipping MP3 cases: ffmpeg with libmp3lame is not installed");
    }
    out
}

// ---------------------------------------------------------------------------
// Checks.

fn contains_all(msg: &str, words: &[&str]) -> bool {
    let m = msg.to_lowercase();
    words.iter().all(|w| m.contains(&w.to_lowercase()))
}

/// What `open_and_read` gives: `read_all_i32`, `read_all`, channels, warnings.
type Decoded = (Vec<i32>, Vec<f32>, usize, Vec<String>);

/// Opens and reads everything in a thread; fails if it takes longer than the deadline.
fn open_and_read(path: &Path) -> Result<Decoded, String> {
    let (tx, rx) = mpsc::channel();
    let p = path.to_path_buf();
    std::thread::spawn(move || {
        let r = (|| {
            let mut f = AudioFile::open(&p).map_err(|e| e.to_string())?;
            let ch = f.channels();
            let floats = f.read_all().map_err(|e| e.to_string())?;
            let mut warnings: Vec<String> = f.take_warnings().iter().map(ToString::to_string).collect();
            let mut f = AudioFile::open(&p).map_err(|e| e.to_string())?;
            let ints = f.read_all_i32().map_err(|e| e.to_string())?;
            warnings.extend(f.take_warnings().iter().map(ToString::to_string));
            Ok((ints, floats, ch, warnings))
        })();
        let _ = tx.send(r);
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(r) => r,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{}: AudioFile::open + read_all still running after {DEADLINE:?} (a hang)", path.display())
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{}: AudioFile::open + read_all panicked", path.display()),
    }
}

/// `coremusic info --json` under a 4 GiB address-space limit where `ulimit -v` works.
fn info_json_limited(paths: &[&Path]) -> (Option<i32>, Vec<serde_json::Value>, String) {
    let limited = Command::new("sh").args(["-c", "ulimit -v 4194304"]).status().is_ok_and(|s| s.success());
    if !limited {
        eprintln!("note: no `ulimit -v`: the CLI runs without a memory limit");
        return tools::info_json(paths);
    }
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "ulimit -v 4194304 && exec \"$0\" info --json \"$@\"", env!("CARGO_BIN_EXE_coremusic")])
        .args(paths);
    let done = tools::run_with_deadline(&mut cmd, DEADLINE);
    let lines = done
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}\nstderr: {}", done.stderr)))
        .collect();
    (done.code, lines, done.stderr)
}

fn check_library(b: &Bad) -> Vec<String> {
    let mut problems = Vec::new();
    let file_len = std::fs::metadata(&b.path).unwrap().len();
    let shown = b.path.display().to_string();
    match (&b.want, open_and_read(&b.path)) {
        (Want::Error(words), Err(e)) => {
            if !e.starts_with(&shown) {
                problems.push(format!("the error does not name the file: {e}"));
            }
            if !contains_all(&e, words) {
                problems.push(format!("the error should mention {words:?}: {e}"));
            }
        }
        (Want::Error(_), Ok((ints, _, _, w))) => {
            problems.push(format!("opened and decoded {} samples (warnings {w:?}) instead of an error", ints.len()))
        }
        (_, Err(e)) => problems.push(format!("should open and decode what is there, got: {e}")),
        (Want::Partial { samples, channels, .. }, Ok((ints, floats, ch, warnings))) => {
            if ch != *channels {
                problems.push(format!("{ch} channels (want {channels})"));
            }
            // The frames that are really there: a whole-frame prefix of what was written.
            if ints.len() % ch.max(1) != 0 || ints.len() > samples.len() || ints[..] != samples[..ints.len()] {
                let i = ints.iter().zip(samples).position(|(a, b)| a != b);
                problems.push(format!(
                    "decoded {} samples, not a prefix of the {} written (first difference at {i:?})",
                    ints.len(),
                    samples.len()
                ));
            }
            if floats.len() != ints.len() {
                problems.push(format!("read_all gave {} samples, read_all_i32 {}", floats.len(), ints.len()));
            }
            if b.name.contains("FLAC truncated") && (ints.is_empty() || ints.len() == samples.len()) {
                problems.push(format!(
                    "decoded {} of {} samples: want the whole frames before the cut",
                    ints.len(),
                    samples.len()
                ));
            }
            if b.name.contains("WAV truncated") && ints.len() != 500 * 2 {
                problems.push(format!("decoded {} samples, want the 500 whole frames", ints.len()));
            }
            if warnings.is_empty() {
                problems.push("no warning".into());
            }
            let cap_bytes = floats.capacity() as u64 * 4;
            if cap_bytes > 64 * file_len + (1 << 20) {
                problems.push(format!("read_all reserved {cap_bytes} bytes for a {file_len}-byte file"));
            }
        }
        (Want::PartialLossy { min_frames, max_frames }, Ok((ints, floats, ch, warnings))) => {
            let frames = (floats.len() / ch.max(1)) as u64;
            if frames < *min_frames || frames > *max_frames {
                problems.push(format!("decoded {frames} frames (want {min_frames}..={max_frames})"));
            }
            if ints.len() != floats.len() {
                problems.push(format!("read_all gave {} samples, read_all_i32 {}", floats.len(), ints.len()));
            }
            if *min_frames > 0 && warnings.is_empty() {
                problems.push("no warning".into());
            }
        }
    }
    problems
}

#[test]
fn broken_files_through_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let bad = make(dir.path());
    let mut failures = Vec::new();
    for b in &bad {
        if KNOWN_BUGS.iter().any(|(n, _)| *n == b.name) {
            continue;
        }
        let p = check_library(b);
        if p.is_empty() {
            eprintln!("ok    {}", b.name);
        } else {
            eprintln!("FAIL  {}: {}", b.name, p.join("; "));
            failures.push(format!("{}: {}", b.name, p.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{} broken files handled badly:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn broken_files_through_info_json() {
    let dir = tempfile::tempdir().unwrap();
    let bad: Vec<Bad> =
        make(dir.path()).into_iter().filter(|b| !KNOWN_BUGS.iter().any(|(n, _)| *n == b.name)).collect();
    let paths: Vec<&Path> = bad.iter().map(|b| b.path.as_path()).collect();
    let (code, lines, stderr) = info_json_limited(&paths);
    assert_eq!(lines.len(), bad.len(), "one JSON line per file; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code, Some(1), "some files fail: exit status 1; stderr: {stderr}");
    let mut failures = Vec::new();
    for (b, j) in bad.iter().zip(&lines) {
        let mut p = Vec::new();
        if j["path"] != b.path.to_str().unwrap() {
            p.push(format!("path {} (want {})", j["path"], b.path.display()));
        }
        match (&b.want, j["error"].as_str()) {
            (Want::Error(words), Some(e)) => {
                if !contains_all(e, words) {
                    p.push(format!("error should mention {words:?}: {e}"));
                }
            }
            (Want::Error(_), None) => p.push(format!("no error: {j}")),
            (_, Some(e)) => p.push(format!("should open, got error: {e}")),
            (Want::Partial { channels, frames_in_json, json_warns, .. }, None) => {
                if j["channels"] != *channels {
                    p.push(format!("channels {}", j["channels"]));
                }
                if let Some(f) = frames_in_json {
                    if j["frames"] != *f {
                        p.push(format!("frames {} (want the {f} that exist)", j["frames"]));
                    }
                }
                if *json_warns && j["warnings"].as_array().is_none_or(|w| w.is_empty()) {
                    p.push(format!("no warning: {j}"));
                }
            }
            (Want::PartialLossy { .. }, None) => {}
        }
        if p.is_empty() {
            eprintln!("ok    {}: {}", b.name, j["error"].as_str().unwrap_or("opens"));
        } else {
            failures.push(format!("{}: {}", b.name, p.join("; ")));
        }
    }
    assert!(failures.is_empty(), "info --json:\n{}", failures.join("\n"));
}

/// Broken files whose handling is a bug in src/, with the bug's description;
/// left out of the two tests above and checked alone by the ignored tests below.
const KNOWN_BUGS: &[(&str, &str)] = &[];

#[allow(dead_code)]
fn run_one(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let bad = make(dir.path());
    let b = bad.iter().find(|b| b.name == name).expect("case exists");
    let p = check_library(b);
    let (_, lines, _) = info_json_limited(&[b.path.as_path()]);
    assert!(p.is_empty(), "{name}: {} (info: {})", p.join("; "), lines[0]);
}
