//! `coremusic spectrogram` as a user runs it: a generated tone becomes a PNG
//! that decodes, of the size asked plus axes, whose brightest row is at the
//! tone's frequency; bad input is a clear error and leaves no picture.

mod common;

use std::path::Path;
use std::process::Command;

use coremusic::report::spectrogram_png::{picture_size, LEFT, TOP};

fn coremusic() -> Command {
    Command::new(env!("CARGO_BIN_EXE_coremusic"))
}

fn write_tone(path: &Path, freq: f64, rate: u32, seconds: f64) {
    let mut w = common::hound_int(path, rate, 2, 16);
    for i in 0..(rate as f64 * seconds) as usize {
        let x = (0.5 * (std::f64::consts::TAU * freq * i as f64 / rate as f64).sin() * 32767.0) as i16;
        w.write_sample(x).unwrap(); // the tone on the left
        w.write_sample(0i16).unwrap(); // silence on the right
    }
    w.finalize().unwrap();
}

/// The PNG's size and its RGB pixels.
fn decode(path: &Path) -> ((u32, u32), Vec<u8>) {
    let dec = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    ((info.width, info.height), buf)
}

/// The row of the spectrogram area (0 = top) whose pixels are brightest in sum.
fn brightest_row(size: (u32, u32), rgb: &[u8], w: u32, h: u32) -> u32 {
    let row_sum = |r: u32| -> u64 {
        let y = TOP + r;
        (LEFT..LEFT + w).map(|x| rgb[((y * size.0 + x) * 3) as usize] as u64).sum()
    };
    (0..h).max_by_key(|&r| row_sum(r)).unwrap()
}

#[test]
fn a_tone_is_the_brightest_row_at_its_frequency() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    write_tone(&wav, 3000.0, 16000, 3.0);
    let out = dir.path().join("tone.png");
    let st = coremusic()
        .args(["spectrogram", wav.to_str().unwrap(), "-o", out.to_str().unwrap(), "--size", "300x257", "--grey"])
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let (size, rgb) = decode(&out);
    assert_eq!(size, picture_size(300, 257));
    // Linear axis, 257 rows from 8000 Hz (top) to 0: 3000 Hz is row (1 - 3000/8000) × 257 ≈ 160.6.
    let r = brightest_row(size, &rgb, 300, 257);
    let freq = 8000.0 * (1.0 - (r as f64 + 0.5) / 257.0);
    assert!((freq - 3000.0).abs() <= 8000.0 / 257.0, "brightest row {r} is {freq} Hz");

    // Log axis, one channel, a span, another window and FFT size.
    let st = coremusic()
        .args(["spectrogram", wav.to_str().unwrap(), "-o", out.to_str().unwrap(), "--size", "200x300", "--grey"])
        .args(["--scale", "log", "--channel", "1", "--start", "0.5", "--duration", "1", "--window", "bh"])
        .args(["--fft", "4096"])
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let (size, rgb) = decode(&out);
    let r = brightest_row(size, &rgb, 200, 300);
    // log axis from 20 Hz to 8000 Hz: height of 3000 Hz = ln(150)/ln(400).
    let want = (1.0 - (150f64).ln() / (400f64).ln()) * 300.0;
    assert!((r as f64 - want).abs() <= 2.0, "brightest row {r}, want {want}");

    // The silent right channel has no bright row at all.
    let st = coremusic()
        .args(["spectrogram", wav.to_str().unwrap(), "-o", out.to_str().unwrap(), "--size", "100x100", "--grey"])
        .args(["--channel", "2"])
        .output()
        .unwrap();
    assert!(st.status.success());
    let (size, rgb) = decode(&out);
    let max = (0..100u32)
        .flat_map(|r| (LEFT..LEFT + 100).map(move |x| ((TOP + r) * size.0 + x) as usize * 3))
        .map(|i| rgb[i])
        .max()
        .unwrap();
    assert_eq!(max, 0, "digital silence is black");
}

#[test]
fn bad_input_is_a_clear_error_and_leaves_no_picture() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("tone.wav");
    write_tone(&wav, 1000.0, 8000, 0.5);
    let text = dir.path().join("notes.wav");
    std::fs::write(&text, "not audio").unwrap();
    let out = dir.path().join("out.png");
    let run = |args: &[&str]| {
        let o = coremusic().arg("spectrogram").args(args).arg("-o").arg(&out).output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (code, err) = run(&[text.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(err.contains("notes.wav"), "{err}");
    let w = wav.to_str().unwrap();
    for (args, says) in [
        (vec![w, "--fft", "1000"], "power of two"),
        (vec![w, "--size", "huge"], "--size"),
        (vec![w, "--scale", "bark"], "--scale"),
        (vec![w, "--window", "kaiser"], "--window"),
        (vec![w, "--channel", "0"], "counts from 1"),
    ] {
        let (code, err) = run(&args);
        assert_eq!(code, Some(2), "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let (code, err) = run(&[w, "--channel", "3"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("channel 3 does not exist"), "{err}");
    let (code, err) = run(&[w, "--start", "5"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("past the end"), "{err}");
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains("png")));
}
