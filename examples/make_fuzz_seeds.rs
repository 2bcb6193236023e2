//! Writes small valid seed inputs for the fuzz targets with the project's own
//! writers and encoders: `fuzz/corpus/<target>/`. `fuzz/make_seeds.sh` runs it
//! and adds files made by ffmpeg, sox and flac when they are installed.
//!
//! `cargo run --no-default-features --example make_fuzz_seeds -- fuzz/corpus`

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use coremusic::convert::{BitDepth, ConvertOptions, Quality};
use coremusic::format::SampleFormat::{self, *};
use coremusic::io::{create_writer, OutputFormat, Tags, WriterSpec};
use coremusic::midi::{smf_bytes, EventKind, Sequence, TextKind, Timing, Track};

type Res = Result<(), Box<dyn std::error::Error>>;

fn signal(frames: usize, ch: usize, bits: u32) -> Vec<i32> {
    let max = ((1i64 << (bits.min(32) - 1)) - 1) as f64;
    (0..frames * ch).map(|i| ((i as f64 * 0.031 + (i % ch) as f64).sin() * max * 0.8) as i32).collect()
}

/// One file from a project writer.
fn write(
    path: &Path,
    format: OutputFormat,
    ch: u16,
    rate: u32,
    sample: SampleFormat,
    frames: usize,
    tags: bool,
) -> Res {
    let spec = WriterSpec::new(format, rate, ch, sample);
    let mut w = create_writer(Box::new(BufWriter::new(File::create(path)?)), spec)?;
    if tags {
        let mut t = Tags::default();
        t.0.push(("title".into(), "Seed".into()));
        t.0.push(("artist".into(), "CoreMusic".into()));
        w.set_tags(&t)?;
    }
    if sample.is_float() {
        let s: Vec<f32> = signal(frames, ch as usize, 16).iter().map(|&x| x as f32 / 32768.0).collect();
        w.write_f32(&s)?;
    } else {
        w.write_i32(&signal(frames, ch as usize, sample.bits()))?;
    }
    w.finish()?;
    Ok(())
}

/// Deterministic noise.
fn noise(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

fn sequences() -> Vec<(&'static str, Sequence)> {
    let mut out = Vec::new();
    // A format-1 song: tempo track plus two instrument tracks and drums.
    let mut s = Sequence::new(480);
    s.tracks.push(Track::new("tempo", 0));
    s.push_event(0, 0, EventKind::Tempo(500_000));
    s.push_event(
        0,
        0,
        EventKind::TimeSignature {
            numerator: 3,
            denominator_pow: 2,
            clocks_per_click: 24,
            thirty_seconds_per_quarter: 8,
        },
    );
    s.push_event(0, 0, EventKind::KeySignature { sharps: -2, minor: true });
    s.push_event(0, 960, EventKind::Tempo(400_000));
    s.push_event(0, 0, EventKind::Text(TextKind::TrackName, b"Seed song".to_vec()));
    for (t, ch, prog) in [(1usize, 0u8, 0u8), (2, 1, 40), (3, 9, 0)] {
        s.tracks.push(Track::new("part", ch));
        s.push_event(t, 0, EventKind::Program { channel: ch, program: prog });
        s.push_event(t, 0, EventKind::Controller { channel: ch, controller: 7, value: 100 });
        for k in 0..8u64 {
            s.push_note(t, k * 240, 200, 48 + (k as u8 * 5) % 40, 90);
        }
        s.push_event(t, 100, EventKind::PitchBend { channel: ch, value: -2000 });
        s.push_event(t, 300, EventKind::ChannelAftertouch { channel: ch, pressure: 60 });
        s.push_event(t, 400, EventKind::PolyAftertouch { channel: ch, key: 60, pressure: 30 });
        s.push_event(t, 500, EventKind::Controller { channel: ch, controller: 64, value: 127 });
    }
    s.push_event(1, 10, EventKind::SysEx(vec![0x7E, 0x7F, 0x09, 0x01, 0xF7]));
    s.push_event(1, 20, EventKind::Meta(0x7F, b"seq".to_vec()));
    out.push(("song", s));
    // A tiny single-track file.
    let mut s = Sequence::new(96);
    s.tracks.push(Track::new("", 0));
    s.push_note(0, 0, 96, 69, 120);
    out.push(("one_note", s));
    // SMPTE timing.
    let mut s = Sequence::new(96);
    s.timing = Timing::Smpte { fps: 25, ticks_per_frame: 40 };
    s.tracks.push(Track::new("", 2));
    for k in 0..4 {
        s.push_note(0, k * 500, 400, 60 + k as u8, 64);
    }
    out.push(("smpte", s));
    out
}

fn main() -> Res {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/corpus".into()));
    let dir = |t: &str| -> std::io::Result<PathBuf> {
        let d = root.join(t);
        std::fs::create_dir_all(&d)?;
        Ok(d)
    };
    let mut count = 0;
    // Containers and codecs from the project's writers; each also seeds probe_open.
    let files: &[(&str, OutputFormat, u16, u32, SampleFormat, usize, bool)] = &[
        ("wav", OutputFormat::Wav, 1, 8000, U8, 300, false),
        ("wav", OutputFormat::Wav, 2, 44_100, S16, 300, true),
        ("wav", OutputFormat::Wav, 1, 48_000, S24, 200, false),
        ("wav", OutputFormat::Wav, 2, 44_100, F32, 200, false),
        ("wav", OutputFormat::Wav, 6, 48_000, S16, 100, false),
        ("wav", OutputFormat::Wav, 1, 96_000, F64, 100, false),
        ("aiff", OutputFormat::Aiff, 2, 44_100, S16, 300, true),
        ("aiff", OutputFormat::Aiff, 1, 48_000, S24, 200, false),
        ("aiff", OutputFormat::Aiff, 1, 22_050, F32, 200, false),
        ("aiff", OutputFormat::Aiff, 3, 8000, U8, 200, false),
        ("caf", OutputFormat::Caf, 2, 44_100, S16, 300, true),
        ("caf", OutputFormat::Caf, 1, 48_000, S24, 200, false),
        ("caf", OutputFormat::Caf, 2, 96_000, F32, 100, false),
        ("caf", OutputFormat::Caf, 1, 8000, F64, 100, false),
        ("flac", OutputFormat::Flac, 2, 44_100, S16, 5000, true),
        ("flac", OutputFormat::Flac, 1, 48_000, S24, 1200, false),
        ("flac", OutputFormat::Flac, 6, 48_000, S16, 600, false),
        ("flac", OutputFormat::Flac, 1, 8000, U8, 700, false),
        ("alac", OutputFormat::Alac, 2, 44_100, S16, 5000, true),
        ("alac", OutputFormat::Alac, 1, 48_000, S24, 1200, false),
        ("alac", OutputFormat::Alac, 3, 32_000, S16, 600, false),
    ];
    for (k, &(target, format, ch, rate, sample, frames, tags)) in files.iter().enumerate() {
        let name = format!("writer_{k:02}_{ch}ch_{rate}_{sample:?}.{}", format.extension());
        let path = dir(target)?.join(&name);
        if let Err(e) = write(&path, format, ch, rate, sample, frames, tags) {
            eprintln!("{name}: {e}");
            continue;
        }
        std::fs::copy(&path, dir("probe_open")?.join(&name))?;
        if format == OutputFormat::Alac {
            std::fs::copy(&path, dir("mp4")?.join(&name))?;
        }
        count += 1;
    }
    // ADPCM: [variant, channels/rate, block, flags] + data (see fuzz_targets/adpcm.rs).
    for variant in 0..4u8 {
        for ch in 0..2u8 {
            for (block, flags) in [(3u8, 1u8), (0, 0), (0x85, 3)] {
                let mut v = vec![variant, ch | 4, block, flags];
                v.extend(noise(34 * 2 * 6 + 100, u64::from(variant) * 31 + u64::from(ch) + 1));
                std::fs::write(dir("adpcm")?.join(format!("v{variant}_c{ch}_b{block}_f{flags}")), v)?;
                count += 1;
            }
        }
    }
    // G.711: [kind, channels/rate] + data (see fuzz_targets/g711.rs).
    for kind in [0u8, 1, 2, 3, 4, 5, 9, 11, 21] {
        for ch in [0u8, 1, 3] {
            let mut v = vec![kind, ch | 8];
            v.extend(noise(301, u64::from(kind) * 7 + u64::from(ch) + 1));
            std::fs::write(dir("g711")?.join(format!("k{kind}_c{ch}")), v)?;
            count += 1;
        }
    }
    for (name, seq) in sequences() {
        std::fs::write(dir("smf")?.join(format!("{name}.mid")), smf_bytes(&seq)?)?;
        count += 1;
    }
    for (name, presets) in
        [("one", &[(0u16, 0u16)][..]), ("three", &[(0, 0), (0, 5), (128, 0)][..]), ("banks", &[(1, 5), (0, 127)][..])]
    {
        std::fs::write(dir("soundfont")?.join(format!("{name}.sf2")), coremusic::midi::sine_soundfont(presets))?;
        count += 1;
    }
    let presets = [
        ConvertOptions::default(),
        ConvertOptions {
            format: Some(OutputFormat::Flac),
            rate: Some(96_000),
            channels: Some(2),
            bits: Some(BitDepth::S24),
            quality: Quality::Max,
            dither: false,
            overwrite: true,
            keep_tree: true,
            jobs: 4,
            normalize: Some(coremusic::convert::NormalizeOptions {
                target_lufs: -16.0,
                true_peak_dbtp: -1.5,
                album: true,
            }),
            verify: true,
            replaygain: true,
            ..Default::default()
        },
        ConvertOptions { format: Some(OutputFormat::Alac), bits: Some(BitDepth::F32), ..Default::default() },
    ];
    for (k, p) in presets.iter().enumerate() {
        p.save(&dir("preset")?.join(format!("preset{k}.toml")))?;
        count += 1;
    }
    std::fs::write(
        dir("preset")?.join("hand.toml"),
        "format = \"m4a\"\nrate = 44100\nbits = \"16\"\nquality = \"low\"\n",
    )?;
    eprintln!("wrote {} seeds under {}", count + 1, root.display());
    Ok(())
}
