use super::*;
use crate::io::{AudioReader, Source};

/// The Ogg page checksum (CRC-32, polynomial 0x04c11db7, unreflected).
fn ogg_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04c1_1db7 } else { crc << 1 };
        }
    }
    crc
}

/// One Ogg page holding whole `packets` (fewer than 255 segments).
fn ogg_page(kind: u8, granule: u64, seq: u32, packets: &[&[u8]]) -> Vec<u8> {
    let mut lacing = Vec::new();
    for p in packets {
        lacing.extend(std::iter::repeat_n(255u8, p.len() / 255));
        lacing.push((p.len() % 255) as u8);
    }
    assert!(lacing.len() < 256);
    let mut page = b"OggS\0".to_vec();
    page.push(kind);
    page.extend_from_slice(&granule.to_le_bytes());
    page.extend_from_slice(&0x0C0F_FEE0u32.to_le_bytes());
    page.extend_from_slice(&seq.to_le_bytes());
    page.extend_from_slice(&[0; 4]);
    page.push(lacing.len() as u8);
    page.extend_from_slice(&lacing);
    for p in packets {
        page.extend_from_slice(p);
    }
    let crc = ogg_crc(&page);
    page[22..26].copy_from_slice(&crc.to_le_bytes());
    page
}

fn opus_head(channels: u8, pre_skip: u16, gain: i16, family: u8, table: &[u8]) -> Vec<u8> {
    let mut h = b"OpusHead".to_vec();
    h.push(1);
    h.push(channels);
    h.extend_from_slice(&pre_skip.to_le_bytes());
    h.extend_from_slice(&48000u32.to_le_bytes());
    h.extend_from_slice(&gain.to_le_bytes());
    h.push(family);
    h.extend_from_slice(table);
    h
}

fn opus_tags() -> Vec<u8> {
    let mut t = b"OpusTags".to_vec();
    t.extend_from_slice(&4u32.to_le_bytes());
    t.extend_from_slice(b"test");
    t.extend_from_slice(&0u32.to_le_bytes());
    t
}

use crate::test_support::XorShift64 as Rng;

/// Reads until the end or an error, never more than `cap` calls.
fn drain(r: &mut dyn AudioReader, cap: usize) -> (usize, Option<String>) {
    let mut buf = vec![0f32; 4096 * r.info().channels().max(1)];
    let mut total = 0;
    for _ in 0..cap {
        match r.read_f32(&mut buf) {
            Ok(0) => return (total, None),
            Ok(n) => total += n,
            Err(e) => return (total, Some(e.to_string())),
        }
    }
    panic!("the reader did not end after {cap} reads");
}

#[test]
fn head_parsing_validates_everything() {
    let stereo = opus_head(2, 312, -256, 0, &[]);
    let h = OpusHead::parse(&stereo).expect("valid stereo head");
    assert_eq!((h.channels, h.pre_skip, h.gain, h.streams, h.coupled), (2, 312, -256, 1, 1));
    let six = opus_head(6, 312, 0, 1, &[4, 2, 0, 4, 1, 2, 3, 5]);
    let h = OpusHead::parse(&six).expect("valid 5.1 head");
    assert_eq!(&h.mapping[..6], &[0, 4, 1, 2, 3, 5]);
    let bad: [(&str, Vec<u8>); 9] = [
        ("short", stereo[..15].to_vec()),
        ("magic", b"OpusHeaX".iter().chain(&stereo[8..]).copied().collect()),
        ("no channels", opus_head(0, 0, 0, 0, &[])),
        ("3 ch family 0", opus_head(3, 0, 0, 0, &[])),
        ("9 ch family 1", opus_head(9, 0, 0, 1, &[9, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8])),
        ("no streams", opus_head(2, 0, 0, 1, &[0, 0, 0, 1])),
        ("coupled > streams", opus_head(2, 0, 0, 1, &[1, 2, 0, 1])),
        ("table cut", opus_head(6, 0, 0, 1, &[4, 2, 0, 4, 1])),
        ("table names channel 6", opus_head(6, 0, 0, 1, &[4, 2, 0, 4, 1, 2, 3, 6])),
    ];
    for (what, b) in bad {
        assert!(OpusHead::parse(&b).is_err(), "{what} accepted");
    }
    assert!(matches!(OpusHead::parse(&opus_head(4, 0, 0, 2, &[1, 0, 0, 1, 2, 3])), Err(SymError::Unsupported(_))));
    // Muted channels (255) are allowed.
    assert!(OpusHead::parse(&opus_head(2, 0, 0, 1, &[1, 0, 0, 255])).is_ok());
    // Fuzz: any bytes after the magic, no panic.
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    for _ in 0..20_000 {
        let n = (rng.next() % 40) as usize;
        let mut b = b"OpusHead".to_vec();
        b.extend(rng.bytes(n));
        if let Ok(h) = OpusHead::parse(&b) {
            assert!((1..=8).contains(&h.channels));
        }
    }
}

#[test]
fn bad_mapping_table_is_an_error() {
    // Family 1, 6 channels, 4 streams (2 coupled) = 6 decoded channels; the table names 6.
    let head = opus_head(6, 312, 0, 1, &[4, 2, 0, 4, 1, 2, 3, 6]);
    let mut file = ogg_page(2, 0, 0, &[&head]);
    file.extend(ogg_page(0, 0, 1, &[&opus_tags()]));
    file.extend(ogg_page(4, 960, 2, &[&[0xFC, 0xFF, 0xFE]]));
    let e = crate::io::open_source(Source::memory(file)).err().expect("refused");
    assert!(e.to_string().contains("mapping table"), "{e}");
}

/// Ogg pages of random bytes behind a valid OpusHead: no panic, no hang;
/// what does not decode is skipped with warnings or ends in an error.
#[test]
fn random_packets_are_no_panic_no_hang() {
    for (seed, channels, family) in [(1u64, 2u8, 0u8), (2, 1, 0), (3, 6, 1), (4, 2, 0)] {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed);
        let head = if family == 1 {
            opus_head(channels, 312, 0, 1, &[4, 2, 0, 4, 1, 2, 3, 5])
        } else {
            opus_head(channels, 312, 0, 0, &[])
        };
        let mut file = ogg_page(2, 0, 0, &[&head]);
        file.extend(ogg_page(0, 0, 1, &[&opus_tags()]));
        let mut granule = 0u64;
        for seq in 2..40u32 {
            let packets: Vec<Vec<u8>> = (0..10)
                .map(|_| {
                    let n = 1 + (rng.next() % 300) as usize;
                    rng.bytes(n)
                })
                .collect();
            let refs: Vec<&[u8]> = packets.iter().map(|p| p.as_slice()).collect();
            granule += 9600;
            file.extend(ogg_page(if seq == 39 { 4 } else { 0 }, granule, seq, &refs));
        }
        // And a page whose body is pure noise (a bad checksum, then resync).
        let mut junk = ogg_page(0, granule + 960, 40, &[&rng.bytes(200)]);
        let len = junk.len();
        junk[30..len].copy_from_slice(&rng.bytes(len - 30));
        file.extend(junk);
        match crate::io::open_source(Source::memory(file)) {
            Err(e) => eprintln!("random packets ({channels} ch): open failed: {e}"),
            Ok(mut r) => {
                let (frames, err) = drain(r.as_mut(), 10_000);
                let warnings = r.take_warnings();
                eprintln!(
                    "random packets ({channels} ch): {frames} frames, error {err:?}, {} warnings (first {:?})",
                    warnings.len(),
                    warnings.first()
                );
                // Nothing is handed out past the last granule position.
                assert!(frames as u64 <= granule);
            }
        }
    }
}

/// OpusHead followed by random bytes in the header page itself.
#[test]
fn random_header_bytes_are_errors() {
    let mut rng = Rng(0xDEAD_BEEF_0BAD_F00D);
    let mut errors = 0;
    for _ in 0..300 {
        let mut head = b"OpusHead".to_vec();
        let n = 11 + (rng.next() % 20) as usize;
        head.extend(rng.bytes(n));
        let mut file = ogg_page(2, 0, 0, &[&head]);
        file.extend(ogg_page(0, 0, 1, &[&opus_tags()]));
        file.extend(ogg_page(4, 960, 2, &[&[0xFC, 0xFF, 0xFE]]));
        match crate::io::open_source(Source::memory(file)) {
            Err(_) => errors += 1,
            Ok(mut r) => {
                drain(r.as_mut(), 1000);
            }
        }
    }
    eprintln!("random OpusHead bodies: {errors} of 300 refused at open");
    assert!(errors > 200, "only {errors} of 300 random heads refused");
}

/// A file cut inside its last page (a download that stopped): symphonia
/// cannot size it, so the length comes from the last whole page, with a
/// warning, and it is what decoding gives.
#[test]
fn a_cut_last_page_gives_the_length_of_the_whole_pages() {
    // The 20 ms CELT frame of silence (RFC 6716 code 0, 960 samples).
    let silence: &[u8] = &[0xF8, 0xFF, 0xFE];
    let mut file = ogg_page(2, 0, 0, &[&opus_head(2, 312, 0, 0, &[])]);
    file.extend(ogg_page(0, 0, 1, &[&opus_tags()]));
    for (seq, kind) in [(2u32, 0u8), (3, 0), (4, 4)] {
        file.extend(ogg_page(kind, u64::from(seq - 1) * 9600, seq, &[silence; 10]));
    }
    let whole = file.len();
    file.truncate(whole - 12);
    let mut r = crate::io::open_source(Source::memory(file)).expect("opens");
    assert_eq!(r.info().frames, Some(2 * 9600 - 312));
    let (frames, err) = drain(r.as_mut(), 1000);
    assert_eq!((frames as u64, err), (2 * 9600 - 312, None));
    let w: Vec<String> = r.take_warnings().iter().map(|w| w.to_string()).collect();
    assert!(w.iter().any(|w| w.contains("ends inside the Ogg page")), "{w:?}");
}
