use super::*;
use proptest::prelude::*;

use super::craft::{frame, id3 as id3_tag, text, utf16le_bom};

fn tags_of(f: impl FnOnce(&mut Tags)) -> Tags {
    let mut t = Tags::default();
    f(&mut t);
    t
}

// --- builders -----------------------------------------------------------

fn riff_sub(id: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut v = id.to_vec();
    v.extend((data.len() as u32).to_le_bytes());
    v.extend(data);
    if data.len() % 2 == 1 {
        v.push(0);
    }
    v
}

fn utf16be(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect()
}

fn vorbis(vendor: &str, entries: &[&[u8]]) -> Vec<u8> {
    let mut v = (vendor.len() as u32).to_le_bytes().to_vec();
    v.extend(vendor.as_bytes());
    v.extend((entries.len() as u32).to_le_bytes());
    for e in entries {
        v.extend((e.len() as u32).to_le_bytes());
        v.extend(*e);
    }
    v
}

fn ape_item(key: &str, flags: u32, value: &[u8]) -> Vec<u8> {
    let mut v = (value.len() as u32).to_le_bytes().to_vec();
    v.extend(flags.to_le_bytes());
    v.extend(key.as_bytes());
    v.push(0);
    v.extend(value);
    v
}

fn ape_block(items: &[Vec<u8>], header: bool) -> Vec<u8> {
    let body: Vec<u8> = items.concat();
    let hf = |is_header: bool| {
        let mut h = b"APETAGEX".to_vec();
        h.extend(2000u32.to_le_bytes());
        h.extend((body.len() as u32 + 32).to_le_bytes());
        h.extend((items.len() as u32).to_le_bytes());
        let flags: u32 = if header { 1 << 31 } else { 0 } | if is_header { 1 << 29 } else { 0 };
        h.extend(flags.to_le_bytes());
        h.extend([0u8; 8]);
        h
    };
    let mut v = Vec::new();
    if header {
        v.extend(hf(true));
    }
    v.extend(&body);
    v.extend(hf(false));
    v
}

// --- RIFF INFO ----------------------------------------------------------

#[test]
fn riff_info_keys_padding_and_latin1() {
    let mut b = riff_sub(b"INAM", b"Song\0"); // odd: padded
    b.extend(riff_sub(b"IART", "Café\0".as_bytes()));
    b.extend(riff_sub(b"IPRD", b"Caf\xE9\0")); // Latin-1
    b.extend(riff_sub(b"ICRD", b"2020"));
    b.extend(riff_sub(b"ITRK", b"7\0"));
    b.extend(riff_sub(b"ISFT", b"Lavf\0"));
    b.extend(riff_sub(b"IENG", b"Bob\0"));
    b.extend(riff_sub(b"ICMT", b"\0"));
    let t = tags_of(|t| parse_riff_info(&b, t));
    assert_eq!(t.get("title"), Some("Song"));
    assert_eq!(t.get("artist"), Some("Café"));
    assert_eq!(t.get("album"), Some("Café"));
    assert_eq!(t.get("date"), Some("2020"));
    assert_eq!(t.get("track"), Some("7"));
    assert_eq!(t.get("encoder"), Some("Lavf"));
    assert_eq!(t.get("ieng"), Some("Bob"));
    assert_eq!(t.get("comment"), None);
}

#[test]
fn riff_info_lying_sizes() {
    let mut b = riff_sub(b"INAM", b"Ok\0");
    b.extend(b"IART");
    b.extend(u32::MAX.to_le_bytes());
    b.extend(b"Trunc");
    let t = tags_of(|t| parse_riff_info(&b, t));
    assert_eq!(t.get("title"), Some("Ok"));
    assert_eq!(t.get("artist"), Some("Trunc"));
    // Garbage id stops the walk.
    let t = tags_of(|t| parse_riff_info(b"\xFF\xFF\xFF\xFF\x04\0\0\0abcd", t));
    assert!(t.is_empty());
    for n in 0..b.len() {
        parse_riff_info(&b[..n], &mut Tags::default());
    }
}

// --- ID3v2 --------------------------------------------------------------

#[test]
fn id3v23_frames_encodings_and_skips() {
    let mut body = frame(3, b"TIT2", 0, &text(0, b"Caf\xE9"), false);
    body.extend(frame(3, b"TPE1", 0, &text(1, &utf16le_bom("Ärtist")), false));
    body.extend(frame(3, b"TALB", 0, &text(2, &utf16be("Albüm")), false));
    body.extend(frame(3, b"TYER", 0, &text(0, b"1999"), false));
    body.extend(frame(3, b"TCON", 0, &text(0, b"(17)"), false));
    body.extend(frame(3, b"TRCK", 0, &text(0, b"3/12"), false));
    body.extend(frame(3, b"TPOS", 0, &text(0, b"1/2"), false));
    body.extend(frame(3, b"TPE2", 0, &text(3, "Äa".as_bytes()), false));
    body.extend(frame(3, b"APIC", 0, b"\0image/png\0\x03\0\x89PNG", false));
    body.extend(frame(3, b"PRIV", 0, b"owner\0\x01\x02", false));
    body.extend(frame(3, b"TCOM", 0x80, b"\0\0\0\x10xxxx", false)); // compressed: skipped
    body.extend(frame(3, b"TCOP", 0x40, b"\x01yyyy", false)); // encrypted: skipped
    let mut comm = vec![1];
    comm.extend(b"eng");
    comm.extend(utf16le_bom(""));
    comm.extend([0, 0]);
    comm.extend(utf16le_bom("Nice\nsong"));
    body.extend(frame(3, b"COMM", 0, &comm, false));
    let mut itun = vec![0];
    itun.extend(b"engiTunNORM\0 0000");
    body.extend(frame(3, b"COMM", 0, &itun, false));
    let mut txxx = vec![0];
    txxx.extend(b"REPLAYGAIN_TRACK_GAIN\0-6.5 dB");
    body.extend(frame(3, b"TXXX", 0, &txxx, false));
    body.extend(frame(3, b"TSSE", 0, &text(0, b"LAME"), false));
    body.extend([0u8; 64]); // padding
    let t = tags_of(|t| parse_id3v2(&id3_tag(3, 0, &body), t));
    assert_eq!(t.get("title"), Some("Café"));
    assert_eq!(t.get("artist"), Some("Ärtist"));
    assert_eq!(t.get("album"), Some("Albüm"));
    assert_eq!(t.get("date"), Some("1999"));
    assert_eq!(t.get("genre"), Some("Rock"));
    assert_eq!(t.get("track"), Some("3/12"));
    assert_eq!(t.get("disc"), Some("1/2"));
    assert_eq!(t.get("album_artist"), Some("Äa"));
    assert_eq!(t.get("comment"), Some("Nice\nsong"));
    assert_eq!(t.get("itunnorm"), Some("0000"));
    assert_eq!(t.get("replaygain_track_gain"), Some("-6.5 dB"));
    assert_eq!(t.get("encoder"), Some("LAME"));
    assert_eq!(t.get("composer"), None);
    assert_eq!(t.get("copyright"), None);
    assert_eq!(t.0.len(), 12, "{t:?}");
}

#[test]
fn id3v23_whole_tag_unsync_and_extended_header() {
    // Extended header: size 6 (without itself), flags, padding size.
    let mut plain = vec![0, 0, 0, 6, 0, 0, 0, 0, 0, 0];
    plain.extend(frame(3, b"TIT2", 0, &text(1, &[0xFF, 0xFE, b'A', 0, 0xFF, 0x00]), false));
    let mut stored = Vec::new();
    for &c in &plain {
        stored.push(c);
        if c == 0xFF {
            stored.push(0);
        }
    }
    let t = tags_of(|t| parse_id3v2(&id3_tag(3, 0xC0, &stored), t));
    assert_eq!(t.get("title"), Some("A\u{FF}"));
}

#[test]
fn id3v24_syncsafe_multi_values_and_frame_flags() {
    let long = "x".repeat(300); // size > 127: syncsafe differs from plain.
    let mut body = frame(4, b"TIT2", 0, &text(3, long.as_bytes()), false);
    body.extend(frame(4, b"TPE1", 0, &text(3, b"One\0Two\0"), false));
    let mut utf16 = vec![1];
    utf16.extend(utf16le_bom("Über"));
    utf16.extend([0, 0]);
    utf16.extend([0xFE, 0xFF, 0, b'B']);
    body.extend(frame(4, b"TCOM", 0, &utf16, false));
    body.extend(frame(4, b"TCON", 0, &text(0, b"(17)(18)\0Jazz\x0017"), false));
    body.extend(frame(4, b"TDRC", 0, &text(0, b"2024-01-02"), false));
    // Per-frame unsync + data length indicator.
    let mut data = vec![0, 0, 0, 4];
    data.extend([0, b'y', 0xFF, 0, b'z']);
    body.extend(frame(4, b"TALB", 0x03, &data, false));
    // Grouping id byte.
    body.extend(frame(4, b"TCOP", 0x40, &[7, 0, b'C'], false));
    // Compressed: skipped.
    body.extend(frame(4, b"TPE2", 0x08 | 0x01, &[0, 0, 0, 9, 1, 2, 3], false));
    let t = tags_of(|t| parse_id3v2(&id3_tag(4, 0, &body), t));
    assert_eq!(t.get("title"), Some(long.as_str()));
    let vals = |k: &str| t.0.iter().filter(|(key, _)| key == k).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
    assert_eq!(vals("artist"), ["One", "Two"]);
    assert_eq!(vals("composer"), ["Über", "B"]);
    assert_eq!(vals("genre"), ["Rock", "Techno", "Jazz"]);
    assert_eq!(t.get("date"), Some("2024-01-02"));
    assert_eq!(t.get("album"), Some("y\u{FF}z"));
    assert_eq!(t.get("copyright"), Some("C"));
    assert_eq!(t.get("album_artist"), None);
}

#[test]
fn id3v24_itunes_plain_sizes() {
    let long = "y".repeat(200); // plain size 0xC9: a byte with the high bit set
    let long2 = "z".repeat(0x105); // plain 00 00 01 06: valid syncsafe, wrong
    let mut body = frame(4, b"TIT2", 0, &text(0, long.as_bytes()), true);
    body.extend(frame(4, b"TALB", 0, &text(0, long2.as_bytes()), true));
    body.extend(frame(4, b"TPE1", 0, &text(0, b"Art"), true));
    let t = tags_of(|t| parse_id3v2(&id3_tag(4, 0, &body), t));
    assert_eq!(t.get("title"), Some(long.as_str()));
    assert_eq!(t.get("album"), Some(long2.as_str()));
    assert_eq!(t.get("artist"), Some("Art"));
}

#[test]
fn id3v22() {
    let mut body = Vec::new();
    for (id, val) in [(b"TT2", &b"\0Title"[..]), (b"TP1", b"\0Who"), (b"TCO", b"\0(8)"), (b"PIC", b"\0JPG\x03\0\xFF")] {
        body.extend(id);
        body.extend([0, 0, val.len() as u8]);
        body.extend(val);
    }
    body.extend(b"COM\0\0\x0B\0engdesc\0Hi");
    let t = tags_of(|t| parse_id3v2(&id3_tag(2, 0, &body), t));
    assert_eq!(t.get("title"), Some("Title"));
    assert_eq!(t.get("artist"), Some("Who"));
    assert_eq!(t.get("genre"), Some("Jazz"));
    assert_eq!(t.get("desc"), Some("Hi"));
    assert_eq!(t.0.len(), 4);
}

#[test]
fn tcon_forms() {
    let g = |s: &str| {
        let mut v = Vec::new();
        id3v2::tcon_genres(s, &mut v);
        v
    };
    assert_eq!(g("(4)Eurodisco"), ["Eurodisco"]);
    assert_eq!(g("(RX)(CR)"), ["Remix", "Cover"]);
    assert_eq!(g("((Paren)"), ["(Paren)"]);
    assert_eq!(g("255"), Vec::<String>::new());
    assert_eq!(g("999"), ["999"]);
    assert_eq!(g("(191)"), ["Psybient"]);
    assert_eq!(g("(80)"), ["Folk"]);
    assert_eq!(g("(x"), ["(x"]);
    assert_eq!(g("(99999999999)"), ["(99999999999)"]);
}

#[test]
fn id3v2_malicious() {
    // Header size bigger than the slice, frame sizes far too large.
    let mut body = frame(3, b"TIT2", 0, &text(0, b"ok"), false);
    body.extend(b"TPE1\xFF\xFF\xFF\xFF\0\0\0abc");
    let mut tag = id3_tag(3, 0, &body);
    tag[6..10].copy_from_slice(&[0x7F; 4]);
    let t = tags_of(|t| parse_id3v2(&tag, t));
    assert_eq!(t.get("title"), Some("ok"));
    assert_eq!(t.get("artist"), Some("abc"));
    // Extended header size past the end.
    let tag = id3_tag(4, 0x40, &[0x7F, 0x7F, 0x7F, 0x7F, 1, 2]);
    parse_id3v2(&tag, &mut Tags::default());
    let tag = id3_tag(3, 0x40, &[0xFF, 0xFF, 0xFF, 0xFF, 1, 2]);
    parse_id3v2(&tag, &mut Tags::default());
    // Unknown versions and encodings are ignored.
    assert!(tags_of(|t| parse_id3v2(&id3_tag(5, 0, &frame(3, b"TIT2", 0, b"\0x", false)), t)).is_empty());
    assert!(tags_of(|t| parse_id3v2(&id3_tag(3, 0, &frame(3, b"TIT2", 0, b"\x09x", false)), t)).is_empty());
    // Every truncation of a rich tag.
    let mut body = frame(4, b"TXXX", 0, &text(1, &utf16le_bom("k\0")), false);
    body.extend(frame(4, b"COMM", 0, b"\x01en", false));
    body.extend(frame(4, b"TIT2", 0x03, &[0, 0, 0], false));
    let tag = id3_tag(4, 0x80, &body);
    for n in 0..tag.len() {
        parse_id3v2(&tag[..n], &mut Tags::default());
    }
}

// --- ID3v1 --------------------------------------------------------------

fn id3v1(title: &[u8], comment: &[u8], track: Option<u8>, genre: u8) -> Vec<u8> {
    let mut v = b"TAG".to_vec();
    let pad = |v: &mut Vec<u8>, s: &[u8], n: usize| {
        v.extend(s);
        v.extend(std::iter::repeat_n(0, n - s.len()));
    };
    pad(&mut v, title, 30);
    pad(&mut v, b"Artist   ", 30);
    pad(&mut v, b"", 30);
    pad(&mut v, b"1987", 4);
    pad(&mut v, comment, 28);
    v.extend([0, track.unwrap_or(0)]);
    v.push(genre);
    v
}

#[test]
fn id3v1_and_v11() {
    let t = tags_of(|t| parse_id3v1(&id3v1(b"Caf\xE9", b"hello", Some(5), 17), t));
    assert_eq!(t.get("title"), Some("Café"));
    assert_eq!(t.get("artist"), Some("Artist"));
    assert_eq!(t.get("album"), None);
    assert_eq!(t.get("date"), Some("1987"));
    assert_eq!(t.get("comment"), Some("hello"));
    assert_eq!(t.get("track"), Some("5"));
    assert_eq!(t.get("genre"), Some("Rock"));
    let mut file = vec![1u8; 1000];
    file.extend(id3v1(b"T", b"", None, 255));
    let t = tags_of(|t| parse_id3v1(&file, t));
    assert_eq!(t.get("title"), Some("T"));
    assert_eq!(t.get("track"), None);
    assert_eq!(t.get("genre"), None);
    assert!(tags_of(|t| parse_id3v1(&file[..1100], t)).is_empty());
    assert!(tags_of(|t| parse_id3v1(b"TAG", t)).is_empty());
}

// --- APE ----------------------------------------------------------------

#[test]
fn ape_footer_header_and_items() {
    let items = vec![
        ape_item("Title", 0, "Tïtle".as_bytes()),
        ape_item("Artist", 0, b"A\0B"),
        ape_item("Album Artist", 0, b"AA"),
        ape_item("Year", 0, b"2001"),
        ape_item("Track", 0, b"4"),
        ape_item("Cover Art (Front)", 2, b"front.jpg\0\xFF\xD8"),
        ape_item("REPLAYGAIN_TRACK_GAIN", 0, b"+1.0 dB"),
        ape_item("Link", 4, b"http://x"),
    ];
    for header in [false, true] {
        let block = ape_block(&items, header);
        let mut file = vec![0xAAu8; 50];
        file.extend(&block);
        for input in [file.clone(), block.clone()] {
            let t = tags_of(|t| parse_ape(&input, t));
            assert_eq!(t.get("title"), Some("Tïtle"));
            let artists: Vec<_> = t.0.iter().filter(|(k, _)| k == "artist").map(|(_, v)| v.as_str()).collect();
            assert_eq!(artists, ["A", "B"]);
            assert_eq!(t.get("album_artist"), Some("AA"));
            assert_eq!(t.get("date"), Some("2001"));
            assert_eq!(t.get("track"), Some("4"));
            assert_eq!(t.get("replaygain_track_gain"), Some("+1.0 dB"));
            assert_eq!(t.0.len(), 7, "{t:?}");
        }
        // With an ID3v1 tag after it.
        let mut with_v1 = block.clone();
        with_v1.extend(id3v1(b"x", b"", None, 0));
        assert_eq!(tags_of(|t| parse_ape(&with_v1, t)).get("date"), Some("2001"));
        if header {
            // Header only at the start (the footer cut off).
            let t = tags_of(|t| parse_ape(&block[..block.len() - 32], t));
            assert_eq!(t.get("title"), Some("Tïtle"));
        }
    }
}

#[test]
fn ape_malicious() {
    let mut block = ape_block(&[ape_item("Title", 0, b"x")], false);
    let n = block.len();
    block[n - 20..n - 16].copy_from_slice(&u32::MAX.to_le_bytes()); // tag size
    block[n - 16..n - 12].copy_from_slice(&u32::MAX.to_le_bytes()); // count
    parse_ape(&block, &mut Tags::default());
    let mut block = ape_block(&[ape_item("Title", 0, b"x")], true);
    block[8..12].copy_from_slice(&u32::MAX.to_le_bytes()); // value size
    block[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
    parse_ape(&block, &mut Tags::default());
    for n in 0..block.len() {
        parse_ape(&block[..n], &mut Tags::default());
        parse_ape(&block[n..], &mut Tags::default());
    }
}

#[test]
fn merge_fallback_takes_every_value_of_a_missing_key() {
    let mut better = tags_of(|t| t.push("title", "v2"));
    let lower = tags_of(|t| {
        t.push("title", "ape");
        t.push("artist", "A");
        t.push("artist", "B");
    });
    merge_fallback(&mut better, lower);
    let pairs: Vec<_> = better.0.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(pairs, [("title", "v2"), ("artist", "A"), ("artist", "B")]);
}

// --- AIFF, CAF, Vorbis --------------------------------------------------

#[test]
fn aiff_text_chunks() {
    let mut t = Tags::default();
    parse_aiff_text(*b"NAME", b"Name\0", &mut t);
    parse_aiff_text(*b"AUTH", b"Who", &mut t);
    parse_aiff_text(*b"(c) ", b"2020 Me", &mut t);
    parse_aiff_text(*b"ANNO", b"one", &mut t);
    parse_aiff_text(*b"ANNO", b"two", &mut t);
    parse_aiff_text(*b"\0\0\0\0", b"junk", &mut t);
    parse_aiff_text(*b"ANNO", b"", &mut t);
    assert_eq!(t.get("title"), Some("Name"));
    assert_eq!(t.get("artist"), Some("Who"));
    assert_eq!(t.get("copyright"), Some("2020 Me"));
    assert_eq!(t.0.len(), 5);
}

#[test]
fn caf_info_pairs() {
    let mut b = 7u32.to_be_bytes().to_vec();
    b.extend(
        b"title\0T\0artist\0A\0year\x002010\0track number\x005\0comments\0C\0encoding application\0App\0tempo\x00120",
    );
    let t = tags_of(|t| parse_caf_info(&b, t));
    assert_eq!(t.get("title"), Some("T"));
    assert_eq!(t.get("artist"), Some("A"));
    assert_eq!(t.get("date"), Some("2010"));
    assert_eq!(t.get("track"), Some("5"));
    assert_eq!(t.get("comment"), Some("C"));
    assert_eq!(t.get("encoder"), Some("App"));
    assert_eq!(t.get("tempo"), Some("120"));
    // Count far too large, fewer strings.
    let mut b = u32::MAX.to_be_bytes().to_vec();
    b.extend(b"title\0x\0");
    assert_eq!(tags_of(|t| parse_caf_info(&b, t)).get("title"), Some("x"));
    for n in 0..b.len() {
        parse_caf_info(&b[..n], &mut Tags::default());
    }
}

#[test]
fn vorbis_comment_keys() {
    let b = vorbis(
        "reference libFLAC 1.4.3",
        &[
            b"TITLE=T\xC3\xAF",
            b"artist=A",
            b"ALBUMARTIST=AA",
            b"TRACKNUMBER=3",
            b"DISCNUMBER=1",
            b"DATE=2000",
            b"DESCRIPTION=D",
            b"REPLAYGAIN_TRACK_GAIN=-3 dB",
            b"NOEQUALS",
            b"=novalue",
            b"GENRE=Pop",
            b"GENRE=Rock",
        ],
    );
    let t = tags_of(|t| parse_vorbis_comment(&b, t));
    assert_eq!(t.get("title"), Some("Tï"));
    assert_eq!(t.get("artist"), Some("A"));
    assert_eq!(t.get("album_artist"), Some("AA"));
    assert_eq!(t.get("track"), Some("3"));
    assert_eq!(t.get("disc"), Some("1"));
    assert_eq!(t.get("date"), Some("2000"));
    assert_eq!(t.get("comment"), Some("D"));
    assert_eq!(t.get("replaygain_track_gain"), Some("-3 dB"));
    assert_eq!(t.to_map().get("genre").map(String::as_str), Some("Pop; Rock"));
    assert_eq!(t.get("encoder"), None, "the vendor string is not a tag");
    assert_eq!(t.0.len(), 10);
    // Lying lengths.
    let mut bad = vorbis("v", &[b"TITLE=x"]);
    bad[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
    parse_vorbis_comment(&bad, &mut Tags::default());
    let mut bad = vorbis("v", &[b"TITLE=xyz"]);
    bad[9..13].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(tags_of(|t| parse_vorbis_comment(&bad, t)).get("title"), Some("xyz"));
    bad[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(tags_of(|t| parse_vorbis_comment(&bad, t)).is_empty());
    for n in 0..b.len() {
        parse_vorbis_comment(&b[..n], &mut Tags::default());
    }
}

#[test]
fn many_tiny_values_are_capped() {
    // 200k distinct values would be quadratic in Tags::push.
    let mut data = vec![3u8];
    for i in 0..200_000u32 {
        data.extend(i.to_string().as_bytes());
        data.push(0);
    }
    let tag = id3_tag(4, 0, &frame(4, b"TPE1", 0, &data, false));
    let t = tags_of(|t| parse_id3v2(&tag, t));
    assert_eq!(t.0.len(), MAX_TAGS);
    let entries: Vec<Vec<u8>> = (0..100_000).map(|i| format!("K{i}=v").into_bytes()).collect();
    let refs: Vec<&[u8]> = entries.iter().map(|e| e.as_slice()).collect();
    let t = tags_of(|t| parse_vorbis_comment(&vorbis("v", &refs), t));
    assert_eq!(t.0.len(), MAX_TAGS);
    // A long TXXX description repeated for each of many values.
    let mut data = vec![0u8];
    data.extend([b'k'; 5000]);
    for i in 0..5000u32 {
        data.push(0);
        data.extend(i.to_string().as_bytes());
    }
    let tag = id3_tag(3, 0, &frame(3, b"TXXX", 0, &data, false));
    let t = tags_of(|t| parse_id3v2(&tag, t));
    let out: usize = t.0.iter().map(|(k, v)| k.len() + v.len()).sum();
    assert!(out <= output_budget(tag.len()), "{out}");
    assert!(t.0.len() > 5, "the first values are kept");
}

// --- never panic --------------------------------------------------------

fn all_parsers(data: &[u8]) -> usize {
    let mut t = Tags::default();
    parse_riff_info(data, &mut t);
    parse_id3v2(data, &mut t);
    parse_id3v1(data, &mut t);
    parse_ape(data, &mut t);
    let id = [data.first().copied().unwrap_or(b'N'), b'A', b'M', b'E'];
    parse_aiff_text(id, data, &mut t);
    parse_caf_info(data, &mut t);
    parse_vorbis_comment(data, &mut t);
    t.0.iter().map(|(k, v)| k.len() + v.len()).sum()
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let out = all_parsers(&data);
        // Seven parser calls, each within its output budget.
        prop_assert!(out <= 7 * output_budget(data.len()));
    }

    #[test]
    fn id3v2_never_panics(version in 2u8..=4, flags in any::<u8>(), body in proptest::collection::vec(any::<u8>(), 0..400), frames in proptest::collection::vec((0usize..6, any::<u8>(), proptest::collection::vec(any::<u8>(), 0..40)), 0..8)) {
        let ids: [&[u8; 4]; 6] = [b"TIT2", b"TXXX", b"COMM", b"TCON", b"APIC", b"USLT"];
        let mut b = Vec::new();
        for (i, f, d) in &frames {
            b.extend(frame(version, ids[*i], *f, d, false));
        }
        b.extend(&body);
        let tag = id3_tag(version, flags, &b);
        parse_id3v2(&tag, &mut Tags::default());
        let mut tag = b"ID3".to_vec();
        tag.extend([version, 0, flags]);
        tag.extend(&body);
        parse_id3v2(&tag, &mut Tags::default());
    }

    #[test]
    fn structured_never_panics(body in proptest::collection::vec(any::<u8>(), 0..300), n in any::<u32>()) {
        let mut v = n.to_le_bytes().to_vec();
        v.extend(&body);
        parse_vorbis_comment(&v, &mut Tags::default());
        let mut c = n.to_be_bytes().to_vec();
        c.extend(&body);
        parse_caf_info(&c, &mut Tags::default());
        let mut a = body.clone();
        a.extend(b"APETAGEX");
        a.extend(2000u32.to_le_bytes());
        a.extend(n.to_le_bytes());
        a.extend(n.rotate_left(7).to_le_bytes());
        a.extend([0u8; 12]);
        parse_ape(&a, &mut Tags::default());
        let mut r = b"INAM".to_vec();
        r.extend(n.to_le_bytes());
        r.extend(&body);
        parse_riff_info(&r, &mut Tags::default());
        let mut t = b"TAG".to_vec();
        t.extend(&body);
        parse_id3v1(&t, &mut Tags::default());
    }
}
