use std::io::Cursor;

use proptest::prelude::*;

use super::*;
use crate::io::{probe, Source};

/// MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, mono, no padding: 417 bytes.
const HEADER: [u8; 4] = [0xFF, 0xFB, 0x90, 0xC0];
const FRAME_LEN: usize = 417;

/// A silent frame: all-zero side info decodes to silence.
fn silent_frame() -> Vec<u8> {
    let mut f = vec![0u8; FRAME_LEN];
    f[..4].copy_from_slice(&HEADER);
    f
}

fn frames(n: usize) -> Vec<u8> {
    (0..n).flat_map(|_| silent_frame()).collect()
}

/// An Info frame with frame and byte counts, and a LAME tag with `delay`/`padding`.
fn info_frame(frames: u32, bytes: u32, delay: u32, padding: u32) -> Vec<u8> {
    let mut f = silent_frame();
    let x = 21; // mono MPEG-1
    f[x..x + 4].copy_from_slice(b"Info");
    f[x + 4..x + 8].copy_from_slice(&0x0Fu32.to_be_bytes());
    f[x + 8..x + 12].copy_from_slice(&frames.to_be_bytes());
    f[x + 12..x + 16].copy_from_slice(&bytes.to_be_bytes());
    let lame = x + 8 + 4 + 4 + 100 + 4;
    f[lame..lame + 9].copy_from_slice(b"LAME3.100");
    let d = lame + 21;
    f[d] = (delay >> 4) as u8;
    f[d + 1] = ((delay & 0x0F) << 4) as u8 | (padding >> 8) as u8;
    f[d + 2] = padding as u8;
    f
}

fn id3v2(body_len: usize, filler: u8) -> Vec<u8> {
    let mut t = b"ID3\x03\x00\x00".to_vec();
    let n = body_len as u32;
    t.extend([(n >> 21) as u8 & 0x7F, (n >> 14) as u8 & 0x7F, (n >> 7) as u8 & 0x7F, n as u8 & 0x7F]);
    // Frame-like bytes inside the tag must not be taken for audio.
    t.extend((0..body_len).map(|i| if i % 7 == 0 { 0xFF } else { filler }));
    t
}

/// An ID3v2 tag of `body_len` bytes whose size says `over` bytes more.
fn overlong_id3v2(body_len: usize, over: usize) -> Vec<u8> {
    let mut t = id3v2(body_len + over, 1);
    t.truncate(t.len() - over);
    t
}

fn id3v1() -> Vec<u8> {
    let mut t = b"TAG".to_vec();
    t.resize(128, b' ');
    t
}

/// An APEv2 tag with a header and footer, its value full of fake frame headers.
fn ape() -> Vec<u8> {
    let value: Vec<u8> = (0..600).flat_map(|_| HEADER).collect();
    crate::io::tags::ape_tag(&[("Title", &value)], true)
}

fn lyrics3v2() -> Vec<u8> {
    let mut body = b"LYRICSBEGIN".to_vec();
    body.extend(b"IND00002");
    body.extend(b"10");
    let mut lyr = b"LYR".to_vec();
    let text: Vec<u8> = (0..200).flat_map(|_| HEADER).collect();
    lyr.extend(format!("{:05}", text.len()).as_bytes());
    lyr.extend(text);
    body.extend(lyr);
    let mut t = body.clone();
    t.extend(format!("{:06}", body.len()).as_bytes());
    t.extend(b"LYRICS200");
    t
}

fn scan_bytes(b: &[u8]) -> Option<MpegScan> {
    scan(&mut Cursor::new(b), b.len() as u64)
}

/// Opens the bytes as a file would be, and decodes all of them.
fn decode(b: Vec<u8>) -> (Option<u64>, u64, Vec<String>) {
    let mut r = probe::open_source(Source::Memory(Cursor::new(b))).expect("opens");
    let header = r.info().frames;
    let mut buf = vec![0f32; 4096 * r.info().channels().max(1)];
    let mut n = 0u64;
    loop {
        let got = r.read_f32(&mut buf).expect("decodes");
        if got == 0 {
            break;
        }
        n += got as u64;
    }
    (header, n, r.take_warnings().iter().map(ToString::to_string).collect())
}

#[test]
fn frame_headers() {
    let h = FrameHeader::parse(HEADER).expect("valid");
    assert_eq!(
        (h.version, h.layer, h.bitrate, h.sample_rate, h.channels, h.len, h.samples),
        (1, 3, 128, 44_100, 1, 417, 1152)
    );
    // Padding bit, MPEG-2 Layer III (576 samples), Layer II, Layer I.
    assert_eq!(FrameHeader::parse([0xFF, 0xFB, 0x92, 0x00]).map(|h| h.len), Some(418));
    let v2 = FrameHeader::parse([0xFF, 0xF3, 0x90, 0x00]).expect("MPEG-2");
    assert_eq!((v2.sample_rate, v2.samples, v2.len), (22_050, 576, 261));
    assert_eq!(FrameHeader::parse([0xFF, 0xFD, 0x90, 0x00]).map(|h| (h.samples, h.len)), Some((1152, 522)));
    assert_eq!(FrameHeader::parse([0xFF, 0xFF, 0x90, 0x00]).map(|h| (h.samples, h.len)), Some((384, 312)));
    // Free format, bad bitrate, reserved rate, reserved layer/version, reserved emphasis.
    for bad in [
        [0xFF, 0xFB, 0x00, 0x00],
        [0xFF, 0xFB, 0xF0, 0x00],
        [0xFF, 0xFB, 0x9C, 0x00],
        [0xFF, 0xF9, 0x90, 0x00],
        [0xFF, 0xEB, 0x90, 0x00],
        [0xFF, 0xFB, 0x90, 0x02],
        [0xFE, 0xFB, 0x90, 0x00],
    ] {
        assert_eq!(FrameHeader::parse(bad), None, "{bad:02X?}");
    }
}

#[test]
fn tags_around_the_audio_are_not_audio() {
    let audio = frames(40);
    let plain = scan_bytes(&audio).expect("scan");
    assert_eq!((plain.frames, plain.pcm_frames(), plain.header_frames), (40, 40 * 1152, None));
    let mut tagged = id3v2(3000, 0xFB);
    tagged.extend(&audio);
    tagged.extend(ape());
    tagged.extend(lyrics3v2());
    tagged.extend(id3v1());
    let s = scan_bytes(&tagged).expect("scan");
    assert_eq!(s.frames, 40, "{s:?}");
    assert_eq!(s.audio.end - s.audio.start, audio.len() as u64);
    // Each tag alone, and two ID3v2 tags in a row.
    for (head, tail) in [
        (id3v2(10, 0), id3v1()),
        (Vec::new(), ape()),
        (Vec::new(), lyrics3v2()),
        ([id3v2(50, 1), id3v2(70, 2)].concat(), Vec::new()),
    ] {
        let f = [head, audio.clone(), tail].concat();
        assert_eq!(scan_bytes(&f).map(|s| s.frames), Some(40));
    }
}

#[test]
fn junk_between_frames_and_a_cut_last_frame() {
    let mut f = frames(10);
    f.extend([0x12; 333]);
    f.extend([0xFF, 0xFB, 0x90]); // a lone false sync
    f.extend(frames(10));
    f.extend(&silent_frame()[..200]);
    // The cut last frame counts (decoders fill it in, as ffmpeg does).
    let s = scan_bytes(&f).expect("scan");
    assert_eq!((s.frames, s.zero_tail), (21, FRAME_LEN as u64 - 200));
    // Two frames, the second cut: a stream of two frames (as ffmpeg decodes it).
    let s = scan_bytes(&[frames(1), silent_frame()[..200].to_vec()].concat()).expect("scan");
    assert_eq!((s.frames, s.zero_tail), (2, FRAME_LEN as u64 - 200));
    // Nothing that chains: no stream.
    assert_eq!(scan_bytes(&[HEADER.to_vec(), vec![0; 50]].concat()), None);
    assert_eq!(scan_bytes(&[HEADER.to_vec(), vec![0; 450]].concat()), None);
    assert_eq!(scan_bytes(b"not audio at all"), None);
}

#[test]
fn xing_lame_delay_padding_and_truncation() {
    let n = 50u32;
    let whole = [info_frame(n, (n + 1) * FRAME_LEN as u32, 576, 1000), frames(n as usize)].concat();
    let s = scan_bytes(&whole).expect("scan");
    assert!(s.from_header);
    assert_eq!((s.frames, s.delay, s.padding), (50, 576 + 529, 1000 - 529));
    assert_eq!(s.pcm_frames(), 50 * 1152 - 576 - 1000);
    assert_eq!(s.truncation_warning(), None);
    // Cut after 20 frames: the header's byte count does not fit, the frames are counted.
    let cut = &whole[..21 * FRAME_LEN + 100];
    let s = scan_bytes(cut).expect("scan");
    assert!(!s.from_header);
    assert_eq!((s.frames, s.header_frames), (21, Some(50)));
    assert_eq!(s.pcm_frames(), 21 * 1152 - 576 - 529);
    let w = s.truncation_warning().expect("warns").to_string();
    assert!(w.contains("header says 0:01.3") && w.contains("the file holds 0:00.5"), "{w}");
}

#[test]
fn a_lame_tag_whose_delay_and_padding_overlap_trims_as_ffmpeg_does() {
    // LAME 3.97 on an input shorter than a frame: delay 1000 + padding 2000
    // is more than 2 frames (2304 samples) hold. ffmpeg's end padding
    // (2000 − 529, from sample 833) starts inside frame 0: nothing is left.
    let two = [info_frame(2, 3 * FRAME_LEN as u32, 1000, 2000), frames(2)].concat();
    let s = scan_bytes(&two).expect("scan");
    assert_eq!(s.pcm_frames(), 0);
    // 3 frames (3456): the padding starts at 1985, in frame 1, whose packet
    // resets ffmpeg's start skip (1000 + 529): only frame 0 is skipped, and
    // frame 1 gives 1985 − 1152 = 833 frames.
    let three = [info_frame(3, 4 * FRAME_LEN as u32, 1000, 2000), frames(3)].concat();
    let s = scan_bytes(&three).expect("scan");
    assert_eq!((s.delay, s.pcm_frames()), (1152, 833));
    let (header, decoded, _) = decode(three);
    assert_eq!((header, decoded), (Some(833), 833));
    // Numbers that fit are used as they are.
    let fits = [info_frame(4, 5 * FRAME_LEN as u32, 576, 1000), frames(4)].concat();
    let s = scan_bytes(&fits).expect("scan");
    assert_eq!((s.delay, s.pcm_frames()), (576 + 529, 4 * 1152 - 576 - 1000));
}

#[test]
fn decoding_gives_the_scanned_length() {
    // Plain, tagged at both ends, Xing/LAME whole and cut: info.frames equals
    // what decoding to the end produces.
    let n = 30u32;
    let xing = [info_frame(n, (n + 1) * FRAME_LEN as u32, 576, 800), frames(n as usize)].concat();
    let cases: Vec<(Vec<u8>, u64)> = vec![
        (frames(30), 30 * 1152),
        ([id3v2(500, 3), frames(30), ape(), lyrics3v2(), id3v1()].concat(), 30 * 1152),
        ([id3v2(20, 0), frames(2), id3v1()].concat(), 2 * 1152),
        (xing.clone(), 30 * 1152 - 576 - 800),
        ([xing[..13 * FRAME_LEN].to_vec(), id3v1()].concat(), 12 * 1152 - 576 - 529),
        // Cut inside the last frame: it is filled with zeros and decoded whole.
        ([frames(10), silent_frame()[..150].to_vec()].concat(), 11 * 1152),
        // An Info frame followed by junk, then frames: the Info frame is still found.
        ([info_frame(5, 99_999, 576, 800), vec![0x33; 100], frames(4)].concat(), 4 * 1152 - 576 - 529),
        // Junk between an ID3v2 tag and the first frame; a tag whose size
        // runs 2 bytes into the first frame (that frame is lost, as in ffmpeg).
        ([id3v2(100, 1), vec![0x33; 300], frames(6)].concat(), 6 * 1152),
        ([overlong_id3v2(100, 2), frames(6)].concat(), 5 * 1152),
    ];
    for (i, (bytes, want)) in cases.into_iter().enumerate() {
        let (header, decoded, warnings) = decode(bytes);
        assert_eq!(header, Some(want), "case {i}: header");
        assert_eq!(decoded, want, "case {i}: decoded ({warnings:?})");
        if i == 4 {
            assert!(warnings.iter().any(|w| w.contains("header says")), "{warnings:?}");
        }
    }
}

proptest! {
    #[test]
    fn scan_never_panics(data in proptest::collection::vec(any::<u8>(), 0..3000), cut in 0usize..5000, seed in any::<u8>()) {
        let _ = scan_bytes(&data);
        // Real structure, damaged.
        let mut f = [id3v2(40, seed), info_frame(9, 4000, 576, 900), frames(8), ape(), id3v1()].concat();
        for (i, b) in data.iter().enumerate().take(64) {
            let at = (usize::from(*b) * 97 + i * 131) % f.len();
            f[at] ^= seed;
        }
        f.truncate(cut.min(f.len()));
        let _ = scan_bytes(&f);
    }
}

fn text_frame(id: &[u8; 4], text: &str) -> Vec<u8> {
    let mut f = id.to_vec();
    f.extend(((text.len() + 1) as u32).to_be_bytes());
    f.extend([0, 0, 3]);
    f.extend(text.as_bytes());
    f
}

fn id3v23(frames: &[Vec<u8>]) -> Vec<u8> {
    let body = frames.concat();
    let n = body.len() as u32;
    let mut t = b"ID3\x03\x00\x00".to_vec();
    t.extend([(n >> 21) as u8 & 0x7F, (n >> 14) as u8 & 0x7F, (n >> 7) as u8 & 0x7F, n as u8 & 0x7F]);
    t.extend(body);
    t
}

fn id3v1_with(title: &str, artist: &str, album: &str) -> Vec<u8> {
    let field = |s: &str| {
        let mut v = s.as_bytes().to_vec();
        v.resize(30, 0);
        v
    };
    let mut t = b"TAG".to_vec();
    t.extend(field(title));
    t.extend(field(artist));
    t.extend(field(album));
    t.extend(b"2001");
    t.extend(field("v1 comment"));
    t.push(255);
    t
}

fn ape_with(items: &[(&str, &str)]) -> Vec<u8> {
    let items: Vec<(&str, &[u8])> = items.iter().map(|(k, v)| (*k, v.as_bytes())).collect();
    crate::io::tags::ape_tag(&items, false)
}

#[test]
fn id3v2_wins_over_ape_which_wins_over_id3v1() {
    let v2 = id3v23(&[text_frame(b"TIT2", "The real title"), text_frame(b"TPE1", "Artist A\0Artist B")]);
    let ape = ape_with(&[("Artist", "APE artist"), ("Album", "APE album")]);
    let file = [v2, frames(5), ape, id3v1_with("file.mp3", "v1 artist", "v1 album")].concat();
    let s = scan_bytes(&file).expect("scan");
    let map = s.tags.to_map();
    assert_eq!(map.get("title").map(String::as_str), Some("The real title"));
    // Several values of one ID3v2 frame are still joined.
    assert_eq!(map.get("artist").map(String::as_str), Some("Artist A; Artist B"));
    assert_eq!(map.get("album").map(String::as_str), Some("APE album"));
    // What only ID3v1 has still shows.
    assert_eq!(map.get("date").map(String::as_str), Some("2001"));
    assert_eq!(map.get("comment").map(String::as_str), Some("v1 comment"));
    // Through the reader, as `info` sees it.
    let r = probe::open_source(Source::Memory(Cursor::new(file))).expect("opens");
    assert_eq!(r.info().tags.to_map(), map);
}

#[test]
fn a_constant_bit_rate_is_told_by_the_info_header_or_by_every_frame() {
    let n = 12u32;
    let info = [info_frame(n, (n + 1) * FRAME_LEN as u32, 576, 800), frames(n as usize)].concat();
    assert!(scan_bytes(&info).unwrap().constant_bit_rate, "an Info header");
    let mut xing = info.clone();
    xing[21..25].copy_from_slice(b"Xing");
    assert!(!scan_bytes(&xing).unwrap().constant_bit_rate, "a Xing header (VBR)");
    assert!(scan_bytes(&frames(20)).unwrap().constant_bit_rate, "no header, one rate");
    // A 160 kbit/s frame (522 bytes) among the 128 kbit/s ones.
    let mut other = vec![0u8; 522];
    other[..4].copy_from_slice(&[0xFF, 0xFB, 0xA0, 0xC0]);
    let mixed = [frames(5), other, frames(5)].concat();
    let s = scan_bytes(&mixed).unwrap();
    assert_eq!(s.frames, 11);
    assert!(!s.constant_bit_rate, "no header, two rates");
}
