use super::*;
use crate::format::SampleFormat;

fn spec(rate: u32, channels: u16) -> WriterSpec {
    WriterSpec::new(OutputFormat::Mp3, rate, channels, SampleFormat::F32)
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

/// A near seek (a zoomed-out spectrogram's) with a slack of a second or
/// more lands within the slack on the audio it reports: on a CBR stream it
/// goes by the byte rate (symphonia's coarse seek: within an MPEG frame of
/// the true place), on a VBR one it is exact (the byte rate would be off by
/// seconds there).
#[test]
fn near_seeks_land_within_the_slack_on_the_audio_they_report() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 22_050u32;
    let mut rng = crate::test_support::Rng(3);
    // Loud and quiet stretches, so that a VBR stream's rate swings.
    let samples: Vec<f32> =
        (0..40 * rate as usize).map(|i| rng.unit() as f32 * if (i / 50_000) % 2 == 0 { 0.6 } else { 0.01 }).collect();
    for (settings, cbr) in [(EncoderSettings::mp3_cbr(128), true), (EncoderSettings::mp3_vbr(2), false)] {
        let path = dir.path().join("n.mp3");
        let file = std::fs::File::create(&path).unwrap();
        let mut w = Mp3Writer::new(Box::new(std::io::BufWriter::new(file)), spec(rate, 1), &settings).unwrap();
        w.write_f32(&samples).unwrap();
        Box::new(w).finish().unwrap();
        let all = crate::io::AudioFile::open(&path).unwrap().read_all().unwrap();
        let mut r = crate::io::open(&path).unwrap();
        let total = r.info().frames.unwrap();
        let mut buf = vec![0f32; 1000];
        for k in 1..12u64 {
            let target = k * 69_989 % (total - 40_000);
            let slack = 2 * u64::from(rate);
            let at = r.seek_near(target, slack).unwrap();
            assert!(at.abs_diff(target) <= slack, "{target} ± {slack} landed at {at}");
            assert_eq!(r.read_f32(&mut buf).unwrap(), buf.len());
            // Where the samples read really are in the whole decode.
            let within = if cbr { 2 * 576 } else { 0 };
            let lag = (-within..=within).find(|&lag: &i64| {
                let p = (at as i64 + lag) as usize;
                buf.iter().zip(&all[p..]).all(|(a, b)| a == b)
            });
            assert!(lag.is_some(), "cbr {cbr}: the audio read at {at} is not within {within} frames of it");
        }
        // An exact seek after near ones is still exact.
        assert_eq!(r.seek(123_456).unwrap(), 123_456);
        let n = r.read_f32(&mut buf).unwrap();
        assert!(buf[..n] == all[123_456..123_456 + n]);
    }
}
