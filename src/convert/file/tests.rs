use super::*;
use crate::format::SampleFormat;
use crate::io::{create_writer, AudioWriter};

/// A sink that accepts `room` bytes, then reports a full disk.
struct FullDisk {
    room: usize,
}

impl std::io::Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left on device"));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::io::Seek for FullDisk {
    fn seek(&mut self, _: std::io::SeekFrom) -> std::io::Result<u64> {
        Ok(0)
    }
}

/// A real file that fills up after `room` bytes (a disk with little space left).
struct SmallDisk {
    file: File,
    room: u64,
}

impl std::io::Write for SmallDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let pos = std::io::Seek::stream_position(&mut self.file)?;
        let fits = self.room.saturating_sub(pos).min(buf.len() as u64) as usize;
        if fits == 0 && !buf.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left on device"));
        }
        self.file.write(&buf[..fits])
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl std::io::Seek for SmallDisk {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.file.seek(to)
    }
}

/// The full disk through the whole pipeline of a conversion, for the
/// exact path, resampling (writer thread) and each encoder: the error
/// names the output, nothing is left behind, the input is untouched.
#[test]
fn a_full_disk_fails_cleanly_with_nothing_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    let spec = WriterSpec::new(OutputFormat::Wav, 44100, 2, SampleFormat::S16);
    let mut w = create_writer(Box::new(File::create(&input).unwrap()), spec).unwrap();
    let mut s = 1u32;
    let audio: Vec<i32> = (0..2 * 200_000)
        .map(|i| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((i as f64 * 0.01).sin() * 12000.0) as i32 + (s >> 20) as i32 - 2048
        })
        .collect();
    w.write_i32(&audio).unwrap();
    w.finish().unwrap();
    let before = std::fs::read(&input).unwrap();
    // The lossy writers too (on the writer thread, through an encoder).
    let mut cases =
        vec![("wav", None), ("wav", Some(48000)), ("flac", Some(48000)), ("m4a", None), ("aiff", None), ("opus", None)];
    if !cfg!(target_os = "macos") {
        cases.push(("mp3", None));
    }
    for (ext, rate) in cases {
        let output = dir.path().join(format!("out.{ext}"));
        let opts = ConvertOptions { rate, ..ConvertOptions::default() };
        // The lossy outputs are smaller than 100 KB in all.
        let room = if matches!(ext, "opus" | "mp3") { 20_000 } else { 100_000 };
        let small = move |file: File| -> Box<dyn WriteSeek> { Box::new(SmallDisk { file, room }) };
        let extras = Extras { loudness: None, before_verify: &|_| {}, resample_threads: 2 };
        let r = convert_through(&input, &output, &opts, &mut |_, _| {}, &AtomicBool::new(false), &small, &extras);
        let e = r.err().unwrap_or_else(|| panic!("{ext} {rate:?}: a full disk went unnoticed"));
        assert!(matches!(e, ConvertError::Write { .. }), "{ext} {rate:?}: {e}");
        let msg = e.to_string();
        assert!(msg.contains("no space left") && msg.contains(&format!("out.{ext}")), "{msg}");
        assert!(!output.exists(), "{ext}: an output was left");
        let names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        assert_eq!(names, vec!["in.wav".to_string()], "{ext} {rate:?}: left behind");
        assert_eq!(std::fs::read(&input).unwrap(), before);
    }
}

/// `--verify`: an output damaged between being placed and being
/// decoded again fails the file and is removed; an intact one is
/// proved bit-exact, also through resampling and dither.
#[test]
fn verification_catches_an_output_damaged_after_writing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    let spec = WriterSpec::new(OutputFormat::Wav, 44100, 2, SampleFormat::S24);
    let mut w = create_writer(Box::new(File::create(&input).unwrap()), spec).unwrap();
    let audio: Vec<i32> = (0..2 * 50_000).map(|i| ((i as f64 * 0.013).sin() * 4_000_000.0) as i32).collect();
    w.write_i32(&audio).unwrap();
    w.finish().unwrap();
    let sink = |f| -> Box<dyn WriteSeek> { Box::new(BufWriter::new(f)) };
    let run = |out: &str, rate: Option<u32>, bits: Option<BitDepth>, hook: &dyn Fn(&Path)| {
        let opts = ConvertOptions { rate, bits, verify: true, ..ConvertOptions::default() };
        let extras = Extras { loudness: None, before_verify: hook, resample_threads: 1 };
        let output = dir.path().join(out);
        convert_through(&input, &output, &opts, &mut |_, _| {}, &AtomicBool::new(false), &sink, &extras)
    };
    for (out, rate, bits) in
        [("a.flac", None, None), ("b.flac", Some(48000), Some(BitDepth::S16)), ("c.wav", None, Some(BitDepth::F32))]
    {
        match run(out, rate, bits, &|_| {}) {
            Ok(Outcome::Converted(s)) => {
                assert!(matches!(s.verified, Some(Verification::BitExact { .. })), "{out}: {:?}", s.verified)
            }
            other => panic!("{out}: {other:?}"),
        }
    }
    // One sample changed in the middle of the data, after the rename.
    let flip = |p: &Path| {
        let mut bytes = std::fs::read(p).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 0x10;
        std::fs::write(p, bytes).unwrap();
    };
    let e = run("d.wav", None, None, &flip).unwrap_err();
    assert!(matches!(e, ConvertError::Verify { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("d.wav") && msg.contains("other samples") && msg.contains("removed"), "{msg}");
    assert!(!dir.path().join("d.wav").exists(), "a failed output must not stay");
    // Cut short: the length is wrong (or the end does not decode).
    let cut = |p: &Path| {
        let bytes = std::fs::read(p).unwrap();
        std::fs::write(p, &bytes[..bytes.len() - 600]).unwrap();
    };
    let e = run("e.flac", None, None, &cut).unwrap_err();
    assert!(matches!(e, ConvertError::Verify { .. }), "{e}");
    assert!(!dir.path().join("e.flac").exists());
}

/// A slow writer that counts what it encodes.
struct Slow {
    writes: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    finished: std::sync::Arc<AtomicBool>,
}

impl AudioWriter for Slow {
    fn write_f32(&mut self, _: &[f32]) -> Result<(), WriteError> {
        std::thread::sleep(Duration::from_millis(30));
        self.writes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    fn write_i32(&mut self, _: &[i32]) -> Result<(), WriteError> {
        std::thread::sleep(Duration::from_millis(30));
        self.writes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    fn finish(self: Box<Self>) -> Result<(), WriteError> {
        self.finished.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// A conversion that fails or is cancelled drops its writer: the writer
/// thread stops at once (what is queued is not encoded, the file is not
/// finished) and is gone before the temporary file is removed.
#[test]
fn a_dropped_threaded_writer_stops_encoding() {
    let writes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let finished = std::sync::Arc::new(AtomicBool::new(false));
    let inner = Box::new(Slow { writes: writes.clone(), finished: finished.clone() });
    let mut w: Box<dyn AudioWriter> = Box::new(ThreadedWriter::start(inner));
    for _ in 0..5 {
        w.write_f32(&[0.0; 64]).unwrap();
    }
    drop(w);
    let at_drop = writes.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(250));
    assert_eq!(writes.load(Ordering::SeqCst), at_drop, "the writer thread went on encoding after the drop");
    assert!(at_drop < 5, "every queued block was encoded ({at_drop})");
    assert!(!finished.load(Ordering::SeqCst), "a dropped writer finished the file");
}

#[test]
fn the_writer_thread_reports_a_full_disk() {
    let spec = WriterSpec::new(OutputFormat::Wav, 48000, 2, SampleFormat::S16);
    let inner = create_writer(Box::new(FullDisk { room: 100_000 }), spec).unwrap();
    let mut w: Box<dyn AudioWriter> = Box::new(ThreadedWriter::start(inner));
    let block = vec![0.25f32; 65536];
    let mut failed = None;
    for _ in 0..100 {
        if let Err(e) = w.write_f32(&block) {
            failed = Some(e);
            break;
        }
    }
    let e = failed.unwrap_or_else(|| w.finish().unwrap_err());
    assert!(e.to_string().contains("no space left"), "{e}");
}

/// A FLAC output gets a SEEKTABLE for the length the conversion writes: a
/// point every 10 s of the output, at its own rate when it resamples.
#[test]
fn a_flac_output_has_a_seek_point_every_ten_seconds_of_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    let spec = WriterSpec::new(OutputFormat::Wav, 8000, 1, SampleFormat::S16);
    let mut w = create_writer(Box::new(File::create(&input).unwrap()), spec).unwrap();
    // 25.5 s: points at 0, 10 and 20 s.
    let audio: Vec<i32> = (0..204_000).map(|i| ((i as f64 * 0.05).sin() * 9000.0) as i32).collect();
    w.write_i32(&audio).unwrap();
    w.finish().unwrap();
    let sink = |f| -> Box<dyn WriteSeek> { Box::new(BufWriter::new(f)) };
    for (out, rate) in [("same.flac", None), ("up.flac", Some(16_000u32))] {
        let opts = ConvertOptions { rate, ..ConvertOptions::default() };
        let extras = Extras { loudness: None, before_verify: &|_| {}, resample_threads: 1 };
        let output = dir.path().join(out);
        let r = convert_through(&input, &output, &opts, &mut |_, _| {}, &AtomicBool::new(false), &sink, &extras);
        assert!(matches!(r, Ok(Outcome::Converted(_))), "{out}: {r:?}");
        let bytes = std::fs::read(&output).unwrap();
        // The SEEKTABLE comes right after STREAMINFO.
        assert_eq!(bytes[42] & 0x7F, 3, "{out}: a SEEKTABLE");
        let len = u32::from_be_bytes([0, bytes[43], bytes[44], bytes[45]]) as usize;
        assert_eq!(len, 3 * 18, "{out}: three points");
        let points: Vec<u64> =
            (0..3).map(|k| u64::from_be_bytes(bytes[46 + k * 18..54 + k * 18].try_into().unwrap())).collect();
        let second = u64::from(rate.unwrap_or(8000)) * 10;
        for (k, &p) in points.iter().enumerate() {
            let target = k as u64 * second;
            assert!(p <= target && target < p + 4096, "{out}: point {k} at {p}, for {target}");
        }
    }
}
