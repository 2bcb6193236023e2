use super::cache::*;
use super::*;
use crate::format::SampleFormat;
use crate::io::{create_writer, OutputFormat, WriterSpec};

fn write_wav(path: &Path, channels: u16, samples: &[f32]) {
    let file = std::fs::File::create(path).unwrap();
    let spec = WriterSpec::new(OutputFormat::Wav, 8000, channels, SampleFormat::S16);
    let mut w = create_writer(Box::new(std::io::BufWriter::new(file)), spec).unwrap();
    w.write_f32(samples).unwrap();
    w.finish().unwrap();
}

/// A deterministic stereo signal quantised to 16 bits (so the file holds it exactly).
fn signal(frames: usize) -> Vec<f32> {
    let mut seed = 7u32;
    (0..frames * 2)
        .map(|i| {
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            let x = if i % 2 == 0 { (i as f32 * 0.001).sin() * 0.7 } else { ((seed >> 8) as f32 / 16777216.0) - 0.5 };
            (x * 32768.0).round() / 32768.0
        })
        .collect()
}

/// Brute force: min, max, rms of a channel over a frame range.
fn brute(samples: &[f32], ch: usize, start: usize, end: usize) -> (f32, f32, f32) {
    let xs: Vec<f32> = samples.iter().skip(start * 2 + ch).step_by(2).take(end - start).copied().collect();
    let mn = xs.iter().copied().fold(f32::INFINITY, f32::min);
    let mx = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let rms = (xs.iter().map(|&x| (x * x) as f64).sum::<f64>() / xs.len() as f64).sqrt() as f32;
    (mn, mx, rms)
}

#[test]
fn levels_grow_by_four_up_to_one_bucket() {
    let s = signal(1_000_000);
    let p = PeakPyramid::from_samples(2, 8000, &s);
    let sizes = p.level_sizes();
    assert_eq!(sizes[0], 256);
    assert_eq!(sizes[1], 1024);
    assert_eq!(p.level_peaks(sizes.len() - 1, 0).len(), 1);
    assert_eq!(p.level_peaks(0, 1).len(), 1_000_000usize.div_ceil(256));
    // The top bucket is the whole file.
    let top = p.level_peaks(sizes.len() - 1, 1)[0];
    let (mn, mx, rms) = brute(&s, 1, 0, 1_000_000);
    assert_eq!((top.min, top.max), (mn, mx));
    assert!((top.mean_square.sqrt() - rms).abs() < 1e-4);
}

#[test]
fn column_range_on_bucket_boundaries_is_exact() {
    let s = signal(300_000);
    let p = PeakPyramid::from_samples(2, 8000, &s);
    for (start, end) in [(0, 256), (1024, 3072), (4096, 4096 * 3), (0, 300_000), (299_776, 300_000)] {
        for ch in 0..2 {
            let c = p.column_range(ch, start, end).unwrap();
            let (mn, mx, rms) = brute(&s, ch, start as usize, end as usize);
            assert_eq!((c.min, c.max), (mn, mx), "{start}..{end} ch{ch}");
            assert!((c.rms - rms).abs() < 1e-4, "{start}..{end} ch{ch}: {} vs {rms}", c.rms);
        }
    }
    assert!(p.column_range(2, 0, 10).is_none());
    assert!(p.column_range(0, 300_000, 300_010).is_none());
    // A span reaching past the end is clamped; a reversed one still answers one frame's bucket.
    assert!(p.column_range(0, 299_000, u64::MAX).is_some());
    assert!(p.column_range(0, 10, 5).is_some());
}

#[test]
fn column_range_covers_an_unaligned_span() {
    let s = signal(200_000);
    let p = PeakPyramid::from_samples(2, 8000, &s);
    let c = p.column_range(0, 1000, 9000).unwrap();
    let (mn, mx, _) = brute(&s, 0, 1000, 9000);
    // Buckets overlapping the span: never narrower than the truth.
    assert!(c.min <= mn && c.max >= mx);
    // The coarsest level whose buckets fit in the column: 4096 ≤ 8000 < 16384.
    assert_eq!(p.level_for(8000.0), 2);
}

#[test]
fn a_built_file_matches_the_samples_in_parallel_and_in_sequence() {
    let dir = tempfile::tempdir().unwrap();
    // More than one parallel segment, and a partial last bucket.
    let frames = SEGMENT_BUCKETS * 256 * 2 + 1000;
    let s = signal(frames);
    let path = dir.path().join("a.wav");
    write_wav(&path, 2, &s);
    let progress = BuildProgress::new();
    let built = PeakPyramid::build(&path, &progress, &AtomicBool::new(false)).unwrap();
    assert_eq!(progress.fraction(), 1.0);
    let expected = PeakPyramid::from_samples(2, 8000, &s);
    assert_eq!(built.frames(), frames as u64);
    assert_eq!(built.level_sizes(), expected.level_sizes());
    for level in 0..built.level_sizes().len() {
        for ch in 0..2 {
            let (a, b) = (built.level_peaks(level, ch), expected.level_peaks(level, ch));
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert_eq!((x.min, x.max), (y.min, y.max));
                assert!((x.mean_square - y.mean_square).abs() <= 1e-5 * y.mean_square.max(1e-3));
            }
        }
    }
    let seq = build_sequential(&path, open_reader(&path).unwrap(), &progress, &AtomicBool::new(false)).unwrap();
    assert_eq!(seq.level_sizes(), built.level_sizes());
    assert_eq!(seq.level_peaks(0, 1).len(), built.level_peaks(0, 1).len());
}

#[test]
fn cancel_stops_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.wav");
    write_wav(&path, 2, &signal(100_000));
    let r = PeakPyramid::build(&path, &BuildProgress::new(), &AtomicBool::new(true));
    assert!(matches!(r, Err(PeakError::Cancelled)));
}

#[test]
fn a_broken_file_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.wav");
    std::fs::write(&path, b"RIFF\x10\x00\x00\x00WAVEjunkjunk").unwrap();
    let e = PeakPyramid::build(&path, &BuildProgress::new(), &AtomicBool::new(false)).unwrap_err();
    assert!(e.to_string().contains("broken.wav"), "{e}");
    let e = PeakPyramid::build(&dir.path().join("none.wav"), &BuildProgress::new(), &AtomicBool::new(false));
    assert!(e.is_err());
}

#[test]
fn the_cache_is_used_then_rebuilt_when_corrupt_or_stale() {
    let dir = tempfile::tempdir().unwrap();
    let cache = PeakCache::new(dir.path().join("cache"));
    let path = dir.path().join("x.wav");
    write_wav(&path, 2, &signal(50_000));
    let p = BuildProgress::new();
    let no = AtomicBool::new(false);
    let (a, o) = cache.load_or_build(&path, &p, &no).unwrap();
    assert_eq!(o, CacheOutcome::Built);
    let (b, o) = cache.load_or_build(&path, &p, &no).unwrap();
    assert_eq!(o, CacheOutcome::Hit);
    assert_eq!(a, b);
    // Flip one byte in the data: the checksum catches it.
    let file = cache.file_for(&path).unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&file, &bytes).unwrap();
    let (c, o) = cache.load_or_build(&path, &p, &no).unwrap();
    assert!(matches!(o, CacheOutcome::Rebuilt(ref why) if why.contains("checksum")), "{o:?}");
    assert_eq!(a, c);
    // Truncated, and empty.
    std::fs::write(&file, &bytes[..100]).unwrap();
    assert!(matches!(cache.load_or_build(&path, &p, &no).unwrap().1, CacheOutcome::Rebuilt(_)));
    std::fs::write(&file, b"").unwrap();
    assert!(matches!(cache.load_or_build(&path, &p, &no).unwrap().1, CacheOutcome::Rebuilt(_)));
    assert_eq!(cache.load_or_build(&path, &p, &no).unwrap().1, CacheOutcome::Hit);
}

#[test]
fn decode_rejects_a_valid_checksum_over_a_lying_header() {
    let s = signal(5000);
    let p = PeakPyramid::from_samples(2, 8000, &s);
    let key = SourceKey { path: b"/x.wav".to_vec(), size: 1, mtime_ns: 2 };
    let good = encode(&p, &key);
    assert_eq!(decode(&good, &key).unwrap(), p);
    assert!(decode(&good, &SourceKey { size: 3, ..key.clone() }).is_err());
    // Claim far more frames than the data holds, with a fresh checksum.
    let mut body = good[..good.len() - 8].to_vec();
    let frames_at = 8 + 4 + 4 + key.path.len() + 8 + 8 + 4 + 4;
    body[frames_at..frames_at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    let mut h = Hasher::new();
    h.write(&body);
    body.extend_from_slice(&h.finish().to_le_bytes());
    assert!(decode(&body, &key).is_err());
    for cut in 0..good.len() {
        assert!(decode(&good[..cut], &key).is_err());
    }
}

#[test]
fn a_sample_window_reads_exact_frames() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.wav");
    let s = signal(10_000);
    write_wav(&path, 2, &s);
    let w = SampleWindow::read(&path, 9_000, 5_000).unwrap();
    assert_eq!((w.start, w.frames(), w.end()), (9_000, 1_000, 10_000));
    assert_eq!(w.sample(1, 9_500), Some(s[9_500 * 2 + 1]));
    assert_eq!(w.sample(0, 10_000), None);
    let c = w.column_range(0, 9_100, 9_200).unwrap();
    let (mn, mx, rms) = brute(&s, 0, 9_100, 9_200);
    assert_eq!((c.min, c.max), (mn, mx));
    assert!((c.rms - rms).abs() < 1e-5);
    assert!(w.column_range(0, 0, 10).is_none());
}

/// Sets a file's modification time `secs` seconds after the epoch (an old, known order).
fn age(path: &Path, secs: u64) {
    let t = UNIX_EPOCH + std::time::Duration::from_secs(secs);
    std::fs::File::options().write(true).open(path).unwrap().set_modified(t).unwrap();
}

#[test]
fn a_capped_cache_drops_the_least_recently_used_files_first() {
    let dir = tempfile::tempdir().unwrap();
    let uncapped = PeakCache::new(dir.path().join("cache"));
    let (p, no) = (BuildProgress::new(), AtomicBool::new(false));
    let sources: Vec<PathBuf> = (0..3)
        .map(|i| {
            let path = dir.path().join(format!("s{i}.wav"));
            write_wav(&path, 2, &signal(20_000 + i * 1000));
            uncapped.load_or_build(&path, &p, &no).unwrap();
            path
        })
        .collect();
    let files: Vec<PathBuf> = sources.iter().map(|s| uncapped.file_for(s).unwrap()).collect();
    let sizes: Vec<u64> = files.iter().map(|f| std::fs::metadata(f).unwrap().len()).collect();
    assert_eq!(uncapped.usage().unwrap(), CacheUsage { files: 3, bytes: sizes.iter().sum() });
    // Written s0, s1, s2 in that order; then s0 was used again (a hit refreshes it).
    for (i, f) in files.iter().enumerate() {
        age(f, 1_000 + i as u64);
    }
    assert_eq!(uncapped.load_or_build(&sources[0], &p, &no).unwrap().1, CacheOutcome::Hit);
    let fresh = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
    assert!(fresh > UNIX_EPOCH + std::time::Duration::from_secs(10_000), "a hit marks the file used");
    // A foreign file in the folder is never touched.
    std::fs::write(dir.path().join("cache/notes.txt"), b"mine").unwrap();
    // Room for two: s1 (the least recently used) goes.
    let capped = uncapped.clone().with_cap(Some(sizes[0] + sizes[2]));
    let removed = capped.trim(None).unwrap();
    assert_eq!(removed, CacheUsage { files: 1, bytes: sizes[1] });
    assert!(files[0].exists() && !files[1].exists() && files[2].exists());
    // A new file over the cap makes room for itself, keeping itself.
    let tiny = capped.clone().with_cap(Some(1));
    let (_, o) = tiny.load_or_build(&sources[1], &p, &no).unwrap();
    assert_eq!(o, CacheOutcome::Built);
    assert_eq!(tiny.usage().unwrap().files, 1);
    assert!(files[1].exists());
    // Clear empties it, and leaves the foreign file.
    assert_eq!(tiny.clear().unwrap().files, 1);
    assert_eq!(tiny.usage().unwrap(), CacheUsage::default());
    assert!(dir.path().join("cache/notes.txt").exists());
    // No folder yet: an empty cache, not an error.
    assert_eq!(PeakCache::new(dir.path().join("absent")).usage().unwrap(), CacheUsage::default());
}
