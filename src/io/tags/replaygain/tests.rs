use super::*;
use crate::format::SampleFormat;
use crate::io::{create_writer, AudioFile, OutputFormat, WriterSpec};

fn rg(track: f64, album: Option<f64>) -> ReplayGain {
    ReplayGain { track_gain_db: track, track_peak: 0.5, album_gain_db: album, album_peak: album.map(|_| 0.75) }
}

/// A file written by our own writer, with a title, and its samples.
fn written(dir: &Path, name: &str, format: OutputFormat) -> (PathBuf, Vec<i32>) {
    let path = dir.join(name);
    let spec = WriterSpec { format, sample_rate: 44100, channels: 2, sample: SampleFormat::S16, bits: None };
    let mut w = create_writer(Box::new(std::fs::File::create(&path).unwrap()), spec).unwrap();
    let mut tags = Tags::default();
    tags.push("title", "Tagged once");
    w.set_tags(&tags).unwrap();
    let audio: Vec<i32> = (0..2 * 30_000).map(|i| ((i as f64 * 0.031).sin() * 9000.0) as i32).collect();
    w.write_i32(&audio).unwrap();
    w.finish().unwrap();
    (path, audio)
}

#[test]
fn flac_wav_and_aiff_get_the_tags_and_keep_their_audio() {
    let dir = tempfile::tempdir().unwrap();
    for (name, format) in [("a.flac", OutputFormat::Flac), ("b.wav", OutputFormat::Wav), ("c.aiff", OutputFormat::Aiff)]
    {
        let (path, audio) = written(dir.path(), name, format);
        write_replaygain(&path, &rg(-6.518, None)).unwrap();
        // A second run replaces the values instead of adding to them.
        write_replaygain(&path, &rg(-7.25, Some(-8.0))).unwrap();
        let mut f = AudioFile::open(&path).unwrap();
        let tags = f.info().tags.clone();
        assert_eq!(tags.get("title"), Some("Tagged once"), "{name}: other tags are kept");
        assert_eq!(tags.get("replaygain_track_gain"), Some("-7.25 dB"), "{name}: {tags:?}");
        assert_eq!(tags.get("replaygain_album_gain"), Some("-8.00 dB"), "{name}");
        assert_eq!(tags.get("replaygain_album_peak"), Some("0.750000"), "{name}");
        let n = tags.0.iter().filter(|(k, _)| k == "replaygain_track_gain").count();
        assert_eq!(n, 1, "{name}: the old value must go");
        assert_eq!(ReplayGain::from_tags(&tags), Some(rg(-7.25, Some(-8.0))), "{name}");
        assert_eq!(f.read_all_i32().unwrap(), audio, "{name}: the audio changed");
        if format == OutputFormat::Flac {
            assert_eq!(f.verified(), Some(true), "the FLAC's MD5 must stay valid");
        }
    }
}

#[test]
fn an_mp3s_id3_tag_is_rewritten_in_place_and_the_frames_do_not_move() {
    let dir = tempfile::tempdir().unwrap();
    // An ID3v2.3 tag with a title and an old gain, 200 bytes of padding, then "MPEG frames".
    let mut frames = Vec::new();
    for (id, data) in [(&b"TIT2"[..], &b"\x00Song"[..]), (b"TXXX", b"\x00replaygain_track_gain\x00+1.00 dB")] {
        frames.extend_from_slice(id);
        frames.extend_from_slice(&(data.len() as u32).to_be_bytes());
        frames.extend_from_slice(&[0, 0]);
        frames.extend_from_slice(data);
    }
    let body_len = frames.len() + 200;
    let mut file = b"ID3\x03\x00\x00".to_vec();
    file.extend_from_slice(&to_syncsafe(body_len));
    file.extend_from_slice(&frames);
    file.resize(10 + body_len, 0);
    let audio: Vec<u8> = (0..5000u32).map(|i| if i % 417 == 0 { 0xFF } else { (i * 7) as u8 }).collect();
    file.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
    file.extend_from_slice(&audio);
    let path = dir.path().join("song.mp3");
    std::fs::write(&path, &file).unwrap();
    write_replaygain(&path, &rg(-6.52, None)).unwrap();
    let out = std::fs::read(&path).unwrap();
    assert_eq!(out.len(), file.len(), "the tag fitted in its padding");
    assert_eq!(&out[10 + body_len..], &file[10 + body_len..], "audio bytes changed");
    let mut tags = Tags::default();
    crate::io::tags::parse_id3v2(&out[..10 + body_len], &mut tags);
    assert_eq!(tags.get("title"), Some("Song"));
    assert_eq!(tags.get("replaygain_track_gain"), Some("-6.52 dB"));
    assert_eq!(tags.0.iter().filter(|(k, _)| k == "replaygain_track_gain").count(), 1);

    // No tag at all: a new ID3v2.4 tag goes in front.
    let bare = dir.path().join("bare.mp3");
    std::fs::write(&bare, &file[10 + body_len..]).unwrap();
    write_replaygain(&bare, &rg(2.0, Some(1.5))).unwrap();
    let out = std::fs::read(&bare).unwrap();
    let len = id3_len(&out).unwrap();
    assert_eq!(&out[..4], b"ID3\x04");
    assert_eq!(&out[len..], &file[10 + body_len..]);
    let mut tags = Tags::default();
    crate::io::tags::parse_id3v2(&out[..len], &mut tags);
    assert_eq!(tags.get("replaygain_album_gain"), Some("1.50 dB"));
}

#[test]
fn what_cannot_be_tagged_is_a_clear_error_and_stays_untouched() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, says) in [
        ("x.ogg", &b"OggS\x00\x02rest of an ogg page"[..], "Ogg"),
        ("x.m4a", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "MPEG-4"),
        ("x.txt", b"hello, not audio", "not a FLAC"),
        ("cut.flac", b"fLaC\x00\x00\x00\x22\x00\x10", "past the end"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let e = write_replaygain(&path, &rg(-1.0, None)).unwrap_err().to_string();
        assert!(e.contains(name) && e.contains(says), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }
}
