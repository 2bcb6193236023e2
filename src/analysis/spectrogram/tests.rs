use std::sync::atomic::AtomicBool;

use super::scale::*;
use super::spectrum::*;
use super::tiles::*;
use super::*;
use crate::format::SampleFormat;
use crate::io::{create_writer, OutputFormat, WriterSpec};

fn sine(freq: f64, amp: f64, rate: u32, frames: usize, channels: usize) -> Vec<f32> {
    (0..frames)
        .flat_map(|i| {
            let x = (amp * (std::f64::consts::TAU * freq * i as f64 / rate as f64).sin()) as f32;
            std::iter::repeat_n(x, channels)
        })
        .collect()
}

fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[f32]) {
    write_as(path, OutputFormat::Wav, SampleFormat::F32, rate, channels, samples);
}

fn write_as(path: &Path, format: OutputFormat, sample: SampleFormat, rate: u32, channels: u16, samples: &[f32]) {
    let file = std::fs::File::create(path).unwrap();
    let spec = WriterSpec::new(format, rate, channels, sample);
    let mut w = create_writer(Box::new(std::io::BufWriter::new(file)), spec).unwrap();
    w.write_f32(samples).unwrap();
    w.finish().unwrap();
}

#[test]
fn analyser_reads_a_1_khz_tone_at_minus_20_dbfs_exactly() {
    let amp = 10f64.powf(-20.0 / 20.0);
    let samples = sine(1000.0, amp, 48000, 96000, 1);
    let s = Spectrum::of_samples(1, 48000, &samples, ChannelPick::Mixed, ANALYSER_SETTINGS).unwrap();
    let t = s.strongest().unwrap();
    assert_eq!(format!("{:.1} Hz {:.1} dB", t.freq_hz, t.level_db), "1000.0 Hz -20.0 dB");
    // Off-bin tones and every FFT size of the analyser's Blackman-Harris window:
    // within 0.04 Hz and 0.04 dB. (Hann's main lobe is less parabolic in dB: up to 0.3 dB off.)
    for f0 in [997.0, 1003.3, 440.0, 12345.6] {
        let samples = sine(f0, amp, 48000, 96000, 1);
        for n in [4096, 8192, 16384, 32768] {
            let st = Settings { fft_size: n, window: WindowKind::BlackmanHarris };
            let t = Spectrum::of_samples(1, 48000, &samples, ChannelPick::Mixed, st).unwrap().strongest().unwrap();
            assert!((t.freq_hz - f0).abs() < 0.04 && (t.level_db + 20.0).abs() < 0.04, "{f0} Hz, FFT {n}: {t:?}");
        }
    }
}

#[test]
fn peak_hold_keeps_the_highest_level_per_bin() {
    let loud = sine(3000.0, 0.5, 48000, 8192, 1);
    let quiet = sine(3000.0, 0.05, 48000, 8192, 1);
    let st = Settings::default();
    let a = Spectrum::of_samples(1, 48000, &loud, ChannelPick::Mixed, st).unwrap();
    let mut b = Spectrum::of_samples(1, 48000, &quiet, ChannelPick::Mixed, st).unwrap();
    b.hold_from(&a);
    let k = (3000.0 / b.bin_hz()).round() as usize;
    assert!(b.hold[k] > b.levels[k] + 15.0);
    assert_eq!(b.hold[k], a.levels[k]);
}

#[test]
fn a_tone_is_brightest_in_its_own_bin_in_every_column() {
    let rate = 8000;
    let samples = sine(1000.0, 0.5, rate, rate as usize * 2, 2);
    let source = AudioSource::from_samples(2, rate, Arc::new(samples));
    let st = Settings { fft_size: 512, window: WindowKind::BlackmanHarris };
    let p = Picture::compute(&source, ChannelPick::Channel(1), st, (0, u64::MAX), 40, None, &AtomicBool::new(false))
        .unwrap();
    assert_eq!(p.columns, 40);
    for c in 0..40 {
        let col = &p.levels[c * p.bins()..(c + 1) * p.bins()];
        let (k, &db) = col.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
        assert_eq!(k, 64, "column {c}"); // 1000 Hz / (8000/512 Hz per bin)
        assert!((db - 20.0 * 0.5f32.log10()).abs() < 0.1, "column {c}: {db}");
        assert!(col[200] < -80.0, "far from the tone is quiet: {}", col[200]);
    }
    let err = Picture::compute(&source, ChannelPick::Channel(2), st, (0, 100), 4, None, &AtomicBool::new(false));
    assert!(err.unwrap_err().to_string().contains("channel 3 does not exist"));
}

#[test]
fn file_reads_match_memory_reads_at_any_offset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.wav");
    let mut rng = crate::test_support::Rng(99);
    let samples: Vec<f32> = (0..300_000).map(|_| rng.unit() as f32 * 0.5).collect();
    write_wav(&path, 44100, 2, &samples);
    let file = AudioSource::open(&path).unwrap();
    let mem = AudioSource::from_samples(2, 44100, Arc::new(samples));
    assert_eq!(file.frames(), mem.frames());
    let (mut fr, mut mr) = (file.reader().unwrap(), mem.reader().unwrap());
    // Forwards, backwards, across gaps shorter and longer than a read-through, past both ends.
    for (start, len, pick) in [
        (-100i64, 300usize, ChannelPick::Mixed),
        (1000, 5000, ChannelPick::Channel(0)),
        (7000, 10, ChannelPick::Channel(1)),
        (500, 70_000, ChannelPick::Mixed),
        (140_000, 20_000, ChannelPick::Channel(1)),
        (149_990, 40, ChannelPick::Mixed),
        (200_000, 10, ChannelPick::Mixed),
    ] {
        let (mut a, mut b) = (vec![9.0; len], vec![7.0; len]);
        fr.read(start, pick, &mut a).unwrap();
        mr.read(start, pick, &mut b).unwrap();
        assert_eq!(a, b, "{start} {len} {pick:?}");
    }
}

#[test]
fn bad_settings_and_files_are_clear_errors() {
    let e = Analyzer::new(Settings { fft_size: 1000, window: WindowKind::Hann }).err().unwrap();
    assert!(e.to_string().contains("power of two"), "{e}");
    assert!(Analyzer::new(Settings { fft_size: 65536, window: WindowKind::Hann }).is_err());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noise.wav");
    std::fs::write(&path, b"this is not audio at all, just text").unwrap();
    let e = AudioSource::open(&path).err().unwrap().to_string();
    assert!(e.contains("noise.wav"), "{e}");
    assert_eq!(WindowKind::parse("BH"), Some(WindowKind::BlackmanHarris));
    assert_eq!(FreqScale::parse("mel"), Some(FreqScale::Mel));
}

#[test]
fn scales_map_both_ways_and_rows_pick_the_right_bins() {
    for s in FreqScale::ALL {
        for f in [25.0, 440.0, 1000.0, 15000.0] {
            let y = s.height_of(f, 22050.0);
            assert!((s.freq_at(y, 22050.0) - f).abs() < 1e-6 * f, "{s:?} {f}");
        }
    }
    // 8 rows over 9 bins linearly: row 0 (top) is the highest frequencies.
    let map = RowMap::new(FreqScale::Linear, 4, 9, 4000.0);
    let mut col = vec![-120.0f32; 9];
    col[8] = 0.0;
    assert_eq!(map.level(0, &col), 0.0);
    assert_eq!(map.level(3, &col), -120.0);
    let mut rgba = Vec::new();
    let look = Look { rows: 4, ..Look::default() };
    paint(&col, 9, &map, &look, &mut rgba);
    assert_eq!(rgba.len(), 4 * 4);
    assert_eq!(&rgba[..4], &[255, 255, 255, 255]); // 0 dB is the top of the range: white
    assert_eq!(&rgba[12..], &[0, 0, 0, 255]);
}

#[test]
fn tiles_come_back_visible_first_and_from_the_cache_the_second_time() {
    let rate = 8000;
    let samples = sine(1000.0, 0.5, rate, rate as usize * 20, 1);
    let source = AudioSource::from_samples(1, rate, Arc::new(samples));
    let st = Settings { fft_size: 256, window: WindowKind::Hann };
    // One tile of 256 columns at hop 64 is 16384 frames: 20 s at 8 kHz is 10 tiles.
    let one_tile = std::mem::size_of::<f32>() * TILE_COLS * st.bins();
    let engine = TileEngine::start(source, 4 * one_tile, || {});
    let keys = tiles_covering(st, ChannelPick::Mixed, 6, (0, 160_000));
    assert_eq!(keys.len(), 10);
    assert_eq!(keys[0].index, 5, "the middle first");
    let look = Look { rows: 64, ..Look::default() };
    engine.request(TileRequest { tiles: keys.clone(), look, look_id: 1 });
    let mut got = Vec::new();
    while got.len() < 10 {
        match engine.wait().unwrap() {
            TileEvent::Ready(t) => got.push(t),
            TileEvent::Failed(e) => panic!("{e}"),
        }
    }
    assert_eq!(got[0].data.key.index, 5);
    assert_eq!(engine.computed(), 10);
    assert!(engine.cached_bytes() <= 4 * one_tile, "the cache stays in its budget");
    let t = &got[3];
    assert_eq!(t.rgba.len(), TILE_COLS * 64 * 4);
    let level = t.data.level_at(t.data.key.start() + 100, 1000.0, rate).unwrap();
    assert!((level - 20.0 * 0.5f32.log10()).abs() < 1.5, "{level}");
    // The last asked are still cached: asking again computes nothing.
    let last = got[9].data.key;
    engine.request(TileRequest { tiles: vec![last], look, look_id: 2 });
    match engine.wait().unwrap() {
        TileEvent::Ready(t) => assert_eq!((t.data.key, t.look_id), (last, 2)),
        TileEvent::Failed(e) => panic!("{e}"),
    }
    assert_eq!(engine.computed(), 10);
    assert_eq!(level_for(1.0), 0);
    assert_eq!(level_for(1000.0), 9);
}

#[test]
fn zoomed_out_tiles_come_coarse_first_then_complete_and_only_the_complete_one_is_kept() {
    let rate = 8000;
    let samples = sine(1000.0, 0.5, rate, rate as usize * 120, 1);
    let source = AudioSource::from_samples(1, rate, Arc::new(samples));
    let st = Settings { fft_size: 256, window: WindowKind::Hann };
    let engine = TileEngine::start(source, DEFAULT_BUDGET_BYTES, || {});
    // Hop 512 = 2 FFTs per column: worth a coarse pass (one window per column).
    let keys = tiles_covering(st, ChannelPick::Mixed, 9, (0, 960_000));
    assert_eq!(keys.len(), 8);
    assert!(keys.iter().all(|k| k.has_coarse_pass()));
    assert!(!TileKey { level: 8, ..keys[0] }.has_coarse_pass(), "hop 256 = one FFT: nothing to skip");
    let look = Look { rows: 32, ..Look::default() };
    engine.request(TileRequest { tiles: keys.clone(), look, look_id: 1 });
    let mut got = Vec::new();
    while got.iter().filter(|t: &&TileImage| !t.data.coarse).count() < keys.len() {
        match engine.wait().unwrap() {
            TileEvent::Ready(t) => got.push(t),
            TileEvent::Failed(e) => panic!("{e}"),
        }
    }
    // Every tile's coarse look comes before any complete tile.
    let coarse: Vec<TileKey> = got.iter().take(keys.len()).map(|t| t.data.key).collect();
    assert!(got[..keys.len()].iter().all(|t| t.data.coarse));
    assert_eq!(coarse, keys, "coarse looks in the order asked");
    for t in &got {
        let level = t.data.level_at(t.data.key.start() + 100, 1000.0, rate).unwrap();
        assert!((level - 20.0 * 0.5f32.log10()).abs() < 1.5, "coarse {}: {level}", t.data.coarse);
    }
    assert_eq!(engine.computed(), keys.len(), "coarse looks are not counted as computed tiles");
    // Asked again: straight from the cache, complete.
    engine.request(TileRequest { tiles: vec![keys[0]], look, look_id: 2 });
    match engine.wait().unwrap() {
        TileEvent::Ready(t) => assert!(!t.data.coarse && t.look_id == 2),
        TileEvent::Failed(e) => panic!("{e}"),
    }
    assert_eq!(engine.computed(), keys.len());
}

#[test]
fn the_coarse_looks_are_sent_before_any_complete_tile_is_read() {
    // A batch is sent when all of it is done: if the coarse looks shared a
    // batch with complete tiles (four times the reads), the first screen
    // would wait for those too. The worker calls `wake` after each batch;
    // here `wake` holds it until the test has looked at what arrived.
    let rate = 8000;
    let samples = sine(1000.0, 0.5, rate, rate as usize * 60, 1);
    let source = AudioSource::from_samples(1, rate, Arc::new(samples));
    let st = Settings { fft_size: 256, window: WindowKind::Hann };
    let (woke_tx, woke_rx) = crossbeam_channel::unbounded::<()>();
    let (go_tx, go_rx) = crossbeam_channel::unbounded::<()>();
    let engine = TileEngine::start(source, DEFAULT_BUDGET_BYTES, move || {
        let _ = woke_tx.send(());
        let _ = go_rx.recv();
    });
    let keys = tiles_covering(st, ChannelPick::Mixed, 9, (0, 480_000));
    assert_eq!(keys.len(), 4);
    assert!(keys.len() <= IO_THREADS, "the coarse looks fit one batch");
    engine.request(TileRequest { tiles: keys.clone(), look: Look { rows: 32, ..Look::default() }, look_id: 1 });
    let mut got = Vec::new();
    // The first wake comes after the cache was looked up (nothing cached),
    // then one after each batch.
    while got.len() < keys.len() {
        woke_rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the worker wakes the window");
        for e in engine.finished() {
            match e {
                TileEvent::Ready(t) => got.push(t),
                TileEvent::Failed(e) => panic!("{e}"),
            }
        }
        assert!(got.iter().all(|t| t.data.coarse), "a complete tile came with the first looks");
        assert_eq!(engine.computed(), 0, "no complete tile was computed before the first looks were sent");
        go_tx.send(()).unwrap();
    }
    assert_eq!(got.iter().map(|t| t.data.key).collect::<Vec<_>>(), keys);
    drop(go_tx);
}

#[test]
fn near_reads_of_a_flac_file_start_within_the_slack_and_hold_its_samples() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chirp.flac");
    let rate = 8000;
    let frames = 60 * rate as usize;
    let samples: Vec<f32> = (0..frames * 2)
        .map(|i| {
            let t = (i / 2) as f64 / rate as f64;
            (0.5 * (std::f64::consts::TAU * (100.0 + 30.0 * t) * t).sin()) as f32
        })
        .collect();
    write_as(&path, OutputFormat::Flac, SampleFormat::S16, rate, 2, &samples);
    let source = AudioSource::open(&path).unwrap();
    let mut near = source.reader().unwrap();
    let mut exact = source.reader().unwrap();
    let (mut a, mut b) = (vec![0f32; 2048], vec![0f32; 2048]);
    let mut moved = 0;
    for (k, start) in (0..40).map(|k| (k, ((k * 97_001) % (frames - 4096)) as i64)) {
        let slack = [0u64, 3000, 30_000][k % 3];
        let used = near.read_near(start, slack, ChannelPick::Mixed, &mut a).unwrap();
        assert!(used.abs_diff(start) <= slack, "{start} ± {slack}: {used}");
        moved += usize::from(used != start);
        exact.read(used, ChannelPick::Mixed, &mut b).unwrap();
        assert_eq!(a, b, "the samples at {used}");
    }
    assert!(moved > 0, "some reads land on a frame boundary instead of decoding on");
    // A reader says where it stands, so the tile worker can hand a part the
    // reader nearest below it (MPEG audio seeks forward by walking frames).
    exact.read(100_000, ChannelPick::Mixed, &mut b).unwrap();
    assert_eq!(exact.position(), 100_000 + 2048);
}
