use super::*;
use crate::test_support::Rng;
use std::io::Cursor;

/// MSB-first bit writer for crafted blocks.
#[derive(Default)]
struct Put {
    bytes: Vec<u8>,
    bits: usize,
}

impl Put {
    fn put(&mut self, v: u32, n: usize) -> &mut Self {
        for i in (0..n).rev() {
            if self.bits % 8 == 0 {
                self.bytes.push(0);
            }
            let bit = ((v >> i) & 1) as u8;
            *self.bytes.last_mut().unwrap() |= bit << (7 - self.bits % 8);
            self.bits += 1;
        }
        self
    }

    fn fill(&mut self, payload: &[u8]) -> &mut Self {
        self.put(ID_FIL, 3);
        if payload.len() < 15 {
            self.put(payload.len() as u32, 4);
        } else {
            self.put(15, 4).put(payload.len() as u32 - 14, 8);
        }
        for &b in payload {
            self.put(u32::from(b), 8);
        }
        self
    }

    fn dse(&mut self, payload: &[u8], align: bool) -> &mut Self {
        self.put(ID_DSE, 3).put(0, 4).put(u32::from(align), 1);
        if payload.len() < 255 {
            self.put(payload.len() as u32, 8);
        } else {
            self.put(255, 8).put(payload.len() as u32 - 255, 8);
        }
        if align {
            while self.bits % 8 != 0 {
                self.put(0, 1);
            }
        }
        for &b in payload {
            self.put(u32::from(b), 8);
        }
        self
    }

    fn end(&mut self) -> Vec<u8> {
        self.put(ID_END, 3);
        self.bytes.clone()
    }
}

/// An ADTS frame (no CRC, one block) around `block`.
fn adts(block: &[u8]) -> Vec<u8> {
    let len = block.len() + 7;
    // MPEG-4, layer 0, no CRC; AAC-LC, 44100 Hz, 2 channels.
    let mut f = vec![0xFF, 0xF1, 0x50, 0x80 | (len >> 11) as u8, (len >> 3) as u8, ((len & 7) << 5) as u8 | 0x1F, 0xFC];
    f.extend_from_slice(block);
    f
}

/// A block that starts with a channel pair element (whatever follows).
fn audio_block() -> Vec<u8> {
    Put::default().put(1, 3).put(0, 4).put(0x5A5A, 16).end()
}

#[test]
fn blocks_of_fill_and_data_elements_only_give_no_audio() {
    assert!(!raw_block_has_audio(&Put::default().end()));
    assert!(!raw_block_has_audio(&Put::default().fill(b"").end()));
    assert!(!raw_block_has_audio(&Put::default().fill(&[0xA5; 20]).fill(&[1, 2]).end()));
    // faac's first block: its name in a data stream element.
    assert!(!raw_block_has_audio(&Put::default().dse(b"\0\0libfaac 1.28\0\0", false).end()));
    assert!(!raw_block_has_audio(&Put::default().dse(&[7; 300], true).fill(&[0; 269]).end()));
    // A channel element anywhere before the end: audio.
    assert!(raw_block_has_audio(&audio_block()));
    assert!(raw_block_has_audio(&Put::default().fill(b"x").put(0, 3).put(0, 4).end()));
    // A program config, or bytes that run out before ID_END: left to the decoder.
    assert!(raw_block_has_audio(&Put::default().put(ID_PCE, 3).end()));
    assert!(raw_block_has_audio(&Put::default().put(ID_FIL, 3).put(9, 4).bytes.clone()));
    assert!(raw_block_has_audio(&[]));
}

#[test]
fn the_walk_counts_blocks_with_audio_to_the_end_or_a_tag() {
    let silent = Put::default().dse(b"encoder", false).end();
    let mut s = adts(&silent);
    for _ in 0..3 {
        s.extend(adts(&audio_block()));
    }
    let w = walk(&mut Cursor::new(&s), 0, s.len() as u64).unwrap();
    assert_eq!(w, AdtsWalk { blocks: 4, silent: 1, whole: true, faac: false });
    assert_eq!(w.frames(), 3 * 1024);

    // An ID3v1 tag after the audio ends it cleanly.
    let mut tagged = s.clone();
    tagged.extend(b"TAG");
    tagged.extend([0u8; 125]);
    assert_eq!(walk(&mut Cursor::new(&tagged), 0, tagged.len() as u64).unwrap().frames(), 3 * 1024);

    // A last frame cut short is not counted, and the walk is whole.
    let cut = &s[..s.len() - 3];
    assert_eq!(
        walk(&mut Cursor::new(cut), 0, cut.len() as u64).unwrap(),
        AdtsWalk { blocks: 3, silent: 1, whole: true, faac: false }
    );

    // Damage in the middle: not whole (a decoder may resynchronise).
    let mut broken = s.clone();
    broken[adts(&silent).len()] = 0;
    assert!(!walk(&mut Cursor::new(&broken), 0, broken.len() as u64).unwrap().whole);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(12);
    for n in 0..3000 {
        let bytes: Vec<u8> = (0..n % 300).map(|_| rng.next() as u8).collect();
        let _ = raw_block_has_audio(&bytes);
        let mut framed = adts(&bytes);
        framed.extend(adts(&bytes[..bytes.len() / 2]));
        let w = walk(&mut Cursor::new(&framed), 0, framed.len() as u64).unwrap();
        assert!(w.silent <= w.blocks);
    }
}

/// A fill payload as faac writes it: `EXT_FILL`, 13 bits, then `text`.
fn faac_fill(text: &[u8]) -> Vec<u8> {
    let mut p = Put::default();
    p.put(0, 4).put(0, 13);
    for &c in text {
        p.put(u32::from(c), 8);
    }
    p.bytes
}

#[test]
fn faac_streams_lose_their_1024_frames_of_priming_as_in_ffmpeg() {
    let first = Put::default().fill(&faac_fill(b"libfaac 1.28\0\0")).put(1, 3).put(0, 20).end();
    assert!(names_faac_priming(&first));
    assert!(raw_block_has_audio(&first));
    // Another encoder's name, a bare "libfaac", or the name where ffmpeg does not read it.
    assert!(!names_faac_priming(&Put::default().fill(&faac_fill(b"Lavc59.37.100\0")).end()));
    assert!(!names_faac_priming(&Put::default().fill(&faac_fill(b"libfaac rocks!\0")).end()));
    let mut shifted = vec![0u8];
    shifted.extend(faac_fill(b"libfaac 1.28\0"));
    assert!(!names_faac_priming(&Put::default().fill(&shifted).end()));

    let mut s = adts(&first);
    s.extend(adts(&Put::default().fill(b"").end()));
    s.extend(adts(&audio_block()));
    let w = walk(&mut Cursor::new(&s), 0, s.len() as u64).unwrap();
    assert_eq!(w, AdtsWalk { blocks: 3, silent: 1, whole: true, faac: true });
    assert_eq!(w.frames(), 1024);
}

/// A fill element whose count is escaped with `esc_count` 0 holds 14 bytes
/// (`15 + 0 − 1`); the walker once computed `0 − 1` there (found by the
/// `probe_open` fuzz target).
#[test]
fn fill_with_escaped_count_zero_holds_14_bytes() {
    let mut p = Put::default();
    p.put(ID_FIL, 3).put(15, 4).put(0, 8);
    for _ in 0..14 {
        p.put(0xA5, 8);
    }
    let block = p.end();
    assert!(!raw_block_has_audio(&block));
    // One byte short: the element runs past the block, which then counts as audio.
    assert!(raw_block_has_audio(&block[..block.len() - 2]));
}
