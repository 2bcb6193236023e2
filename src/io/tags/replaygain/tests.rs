use super::*;
use crate::format::SampleFormat;
use crate::io::{create_writer, AudioFile, OutputFormat, WriterSpec};

fn rg(track: f64, album: Option<f64>) -> ReplayGain {
    ReplayGain { track_gain_db: track, track_peak: 0.5, album_gain_db: album, album_peak: album.map(|_| 0.75) }
}

/// A file written by our own writer, with a title, and its samples.
fn written(dir: &Path, name: &str, format: OutputFormat) -> (PathBuf, Vec<i32>) {
    let path = dir.join(name);
    let spec = WriterSpec::new(format, 44100, 2, SampleFormat::S16);
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
        ("x.m4a", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "'ftyp' box"),
        ("nomoov.m4a", b"\x00\x00\x00\x10ftypM4A \x00\x00\x00\x00", "no 'moov'"),
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

/// An Ogg Opus file from our writer (48 kHz stereo), with `comment` as a tag.
fn opus_file(dir: &Path, name: &str, comment: &str) -> PathBuf {
    let path = dir.join(name);
    let spec = WriterSpec::new(OutputFormat::Opus, 48000, 2, SampleFormat::F32);
    let mut w = create_writer(Box::new(std::fs::File::create(&path).unwrap()), spec).unwrap();
    let mut tags = Tags::default();
    tags.push("title", "Tagged once");
    tags.push("comment", comment);
    tags.push("replaygain_track_gain", "+1.00 dB");
    w.set_tags(&tags).unwrap();
    let audio: Vec<f32> = (0..2 * 48_000).map(|i| (i as f32 * 0.021).sin() * 0.3).collect();
    w.write_f32(&audio).unwrap();
    w.finish().unwrap();
    path
}

/// Every page's CRC is right and the sequence numbers count up from 0.
fn check_pages(bytes: &[u8]) -> usize {
    let table = crate::io::container::ogg::crc_table();
    let (mut pos, mut n) = (0, 0u32);
    while pos < bytes.len() {
        let p = ogg::tests_page(bytes, pos);
        let mut page = bytes[pos..p].to_vec();
        let want = u32::from_le_bytes(page[22..26].try_into().unwrap());
        page[22..26].fill(0);
        assert_eq!(crate::io::container::ogg::page_crc(&table, &page), want, "page {n}: CRC");
        assert_eq!(u32::from_le_bytes(page[18..22].try_into().unwrap()), n, "page sequence");
        n += 1;
        pos = p;
    }
    n as usize
}

#[test]
fn opus_gets_r128_gains_and_keeps_its_head_and_audio() {
    let dir = tempfile::tempdir().unwrap();
    let path = opus_file(dir.path(), "a.opus", "short");
    let before = std::fs::read(&path).unwrap();
    let audio = AudioFile::open(&path).unwrap().read_all().unwrap();
    write_replaygain(&path, &rg(-6.52, Some(-7.0))).unwrap();
    let after = std::fs::read(&path).unwrap();
    let head = ogg::tests_page(&before, 0);
    assert_eq!(&after[..head], &before[..head], "the OpusHead page (and its output gain) must not change");
    check_pages(&after);
    let mut f = AudioFile::open(&path).unwrap();
    let tags = f.info().tags.clone();
    // (−6.52 − 5) × 256 = −2949.12: Q7.8 relative to −23 LUFS.
    assert_eq!(tags.get("r128_track_gain"), Some("-2949"), "{tags:?}");
    assert_eq!(tags.get("r128_album_gain"), Some("-3072"), "{tags:?}");
    assert_eq!(tags.get("replaygain_track_gain"), None, "REPLAYGAIN_* fields go from Opus files");
    assert_eq!(tags.get("title"), Some("Tagged once"));
    let back = ReplayGain::from_tags(&tags).unwrap();
    assert!((back.track_gain_db + 6.52).abs() < 1.0 / 256.0, "{back:?}");
    assert_eq!(back.album_gain_db, Some(-7.0));
    assert_eq!(f.read_all().unwrap(), audio, "the audio changed");
}

#[test]
fn an_opus_comment_packet_that_needs_another_page_renumbers_the_audio_pages() {
    let dir = tempfile::tempdir().unwrap();
    // Measure the comment packet once, then make it fit one page (65024
    // bytes) with 5 to spare: the new fields take 15 more than the old one.
    let probe = opus_file(dir.path(), "probe.opus", "x");
    let bytes = std::fs::read(&probe).unwrap();
    let p1 = ogg::tests_page(&bytes, 0);
    let p2 = ogg::tests_page(&bytes, p1);
    let packet = p2 - p1 - 27 - usize::from(bytes[p1 + 26]);
    let comment = "x".repeat(65_024 - 5 - packet + 1);
    let path = opus_file(dir.path(), "big.opus", &comment);
    let before = std::fs::read(&path).unwrap();
    let pages_before = check_pages(&before);
    let audio = AudioFile::open(&path).unwrap().read_all().unwrap();
    write_replaygain(&path, &rg(-3.0, Some(-3.0))).unwrap();
    let after = std::fs::read(&path).unwrap();
    assert_eq!(check_pages(&after), pages_before + 1, "the comments now take two pages");
    let mut f = AudioFile::open(&path).unwrap();
    assert_eq!(f.info().tags.get("comment"), Some(comment.as_str()));
    assert_eq!(f.info().tags.get("r128_track_gain"), Some("-2048"));
    assert_eq!(f.read_all().unwrap(), audio, "the audio changed");
    // A second run with the same values keeps the two pages consistent.
    write_replaygain(&path, &rg(-3.0, Some(-3.0))).unwrap();
    assert_eq!(check_pages(&std::fs::read(&path).unwrap()), pages_before + 1);
}

#[test]
fn alac_m4a_gets_itunes_freeform_items_with_or_without_tags_before() {
    let dir = tempfile::tempdir().unwrap();
    let (tagged, audio) = written(dir.path(), "a.m4a", OutputFormat::Alac);
    let bare = dir.path().join("bare.m4a");
    {
        let spec = WriterSpec::new(OutputFormat::Alac, 44100, 2, SampleFormat::S16);
        let mut w = create_writer(Box::new(std::fs::File::create(&bare).unwrap()), spec).unwrap();
        w.write_i32(&audio).unwrap();
        w.finish().unwrap();
    }
    for path in [&tagged, &bare] {
        write_replaygain(path, &rg(-6.518, None)).unwrap();
        write_replaygain(path, &rg(-7.25, Some(-8.0))).unwrap();
        let mut f = AudioFile::open(path).unwrap();
        let tags = f.info().tags.clone();
        assert_eq!(tags.get("replaygain_track_gain"), Some("-7.25 dB"), "{tags:?}");
        assert_eq!(tags.get("replaygain_album_peak"), Some("0.750000"), "{tags:?}");
        assert_eq!(tags.0.iter().filter(|(k, _)| k == "replaygain_track_gain").count(), 1, "{tags:?}");
        assert_eq!(ReplayGain::from_tags(&tags), Some(rg(-7.25, Some(-8.0))));
        assert_eq!(f.read_all_i32().unwrap(), audio, "{}: the audio changed", path.display());
    }
    assert_eq!(AudioFile::open(&tagged).unwrap().info().tags.get("title"), Some("Tagged once"));
}

#[test]
fn a_moov_before_the_media_data_moves_the_chunk_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let (path, audio) = written(dir.path(), "late.m4a", OutputFormat::Alac);
    // Rebuild it "fast start": ftyp, moov, mdat, offsets moved by the moov's size.
    let bytes = std::fs::read(&path).unwrap();
    let top = mp4::tests_spans(&bytes);
    let part = |k: &[u8; 4]| top.iter().find(|(kind, _, _)| kind == k).map(|&(_, s, e)| bytes[s..e].to_vec()).unwrap();
    let (ftyp, mut moov, mdat) = (part(b"ftyp"), part(b"moov"), part(b"mdat"));
    let grow = moov.len() as i64;
    mp4::tests_shift(&mut moov, grow);
    let early = dir.path().join("early.m4a");
    std::fs::write(&early, [ftyp, moov, mdat].concat()).unwrap();
    assert_eq!(AudioFile::open(&early).unwrap().read_all_i32().unwrap(), audio, "the fast-start copy");
    let size = std::fs::metadata(&early).unwrap().len();
    write_replaygain(&early, &rg(-2.0, Some(-3.0))).unwrap();
    assert!(std::fs::metadata(&early).unwrap().len() > size, "the moov grew");
    let mut f = AudioFile::open(&early).unwrap();
    assert_eq!(f.info().tags.get("replaygain_track_gain"), Some("-2.00 dB"));
    assert_eq!(f.read_all_i32().unwrap(), audio, "the audio is no longer found where the tables say");
}
