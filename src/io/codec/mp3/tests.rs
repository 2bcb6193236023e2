use super::*;
use crate::format::SampleFormat;

fn spec(rate: u32, channels: u16) -> WriterSpec {
    WriterSpec {
        format: OutputFormat::Mp3,
        sample_rate: rate,
        channels,
        sample: SampleFormat::F32,
        bits: None,
        expected_frames: None,
    }
}

fn tone(frames: usize, ch: usize) -> Vec<f32> {
    (0..frames * ch).map(|i| ((i / ch) as f32 * 0.03 * (1 + i % ch) as f32).sin() * 0.5).collect()
}

/// Writes `frames` of a tone through an MP3 writer into `path`.
fn write(path: &std::path::Path, rate: u32, ch: u16, frames: usize, settings: &EncoderSettings, tags: &Tags) {
    let file = std::fs::File::create(path).unwrap();
    let mut w: Box<dyn AudioWriter> =
        Box::new(Mp3Writer::new(Box::new(std::io::BufWriter::new(file)), spec(rate, ch), settings).unwrap());
    w.set_tags(tags).unwrap();
    for c in tone(frames, ch.into()).chunks(5000 * usize::from(ch)) {
        w.write_f32(c).unwrap();
    }
    w.finish().unwrap();
}

/// The writers' shared tag set (less `encoder`, which the MP3 writer
/// replaces), a second comment (a `TXXX`) and a key of no frame of its own.
fn sample_tags() -> Tags {
    let mut t = crate::io::writer::tag_tests::special_sets()[0].clone();
    t.0.retain(|(k, _)| k != "encoder");
    t.push("comment", "second");
    t.push("mood", "calm");
    t
}

/// Every mode and rate reads back with the exact length (the LAME header's
/// delay and padding), the channels and rate, and the tags. (ffmpeg's
/// length of the same files: tests/mp3_length.rs.)
#[test]
fn reads_back_gapless_with_tags() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (44_100, 2, 44_100 * 2 + 17, EncoderSettings::mp3_vbr(2)),
        (48_000, 1, 12_345, EncoderSettings::mp3_vbr(0)),
        (44_100, 2, 1000, EncoderSettings::mp3_cbr(192)),
        (32_000, 2, 33_333, EncoderSettings::mp3_cbr(320)),
        (22_050, 1, 22_050, EncoderSettings::mp3_cbr(64)),
        (8_000, 1, 8_001, EncoderSettings::mp3_vbr(9)),
        (44_100, 2, 0, EncoderSettings::default()),
    ];
    let tags = sample_tags();
    for (rate, ch, frames, settings) in cases {
        let path = dir.path().join(format!("t{rate}_{ch}_{frames}.mp3"));
        write(&path, rate, ch, frames, &settings, &tags);
        let mut f = crate::io::AudioFile::open(&path).unwrap();
        let info = f.info().clone();
        let what = format!("{rate} Hz {ch} ch {frames} frames {settings:?}");
        assert_eq!(info.sample_rate(), rate, "{what}");
        assert_eq!(info.channels(), usize::from(ch), "{what}");
        let back = f.read_all().unwrap();
        assert_eq!(back.len(), frames * usize::from(ch), "{what}: not gapless");
        for (k, v) in &tags.0 {
            assert!(info.tags.0.iter().any(|(a, b)| a == k && b == v), "{what}: {k}={v} lost: {:?}", info.tags);
        }
    }
}

/// The decoded tone is close to the source once LAME's delay is trimmed
/// (a wrong delay would shift it and show as a large error).
#[test]
fn the_tone_survives_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.mp3");
    write(&path, 44_100, 2, 44_100, &EncoderSettings::mp3_cbr(320), &Tags::default());
    let back = crate::io::AudioFile::open(&path).unwrap().read_all().unwrap();
    let want = tone(44_100, 2);
    let (mut err, mut sig) = (0f64, 0f64);
    for (a, b) in back.iter().zip(&want).skip(2 * 2000) {
        err += f64::from(a - b).powi(2);
        sig += f64::from(*b).powi(2);
    }
    let snr = 10.0 * (sig / err).log10();
    assert!(snr > 20.0, "SNR {snr:.1} dB: the delay is not trimmed right");
}

#[test]
fn bad_specs_are_refused() {
    let sink = || -> Box<dyn WriteSeek> { Box::new(std::io::Cursor::new(Vec::new())) };
    let e = Mp3Writer::new(sink(), spec(96_000, 2), &Default::default()).err().unwrap().to_string();
    assert!(e.contains("96000 Hz"), "{e}");
    let e = Mp3Writer::new(sink(), spec(44_100, 6), &Default::default()).err().unwrap().to_string();
    assert!(e.contains("6 channels"), "{e}");
    let e = Mp3Writer::new(sink(), spec(44_100, 2), &EncoderSettings::mp3_cbr(100)).err().unwrap().to_string();
    assert!(e.contains("100 kb/s"), "{e}");
}
