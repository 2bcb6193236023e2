//! FLAC made by hand, for tests that craft or patch frames: the checksums,
//! and streams of VERBATIM/CONSTANT subframes with any block sizes (variable
//! block size, 33-bit side channels), written bit by bit from the format
//! description, independent of the project's encoder and checksum code (so
//! a fault there is not copied here; `tests/flac_tools.rs` checks these
//! streams with `flac -d`); test signals, splitting a file into its metadata
//! blocks, and the read-everything loop the decoder's tests share. Public for the unit tests, the integration tests
//! (`tests/common/flac.rs` re-exports it) and fuzz seeds; not part of the
//! stable API.

use crate::io::codec::flac::FlacReader;
use crate::io::{AudioReader, Source};

/// CRC-8 (polynomial 0x07) of a frame header.
pub fn crc8(d: &[u8]) -> u8 {
    let mut c = 0u8;
    for &b in d {
        c ^= b;
        for _ in 0..8 {
            c = if c & 0x80 != 0 { (c << 1) ^ 0x07 } else { c << 1 };
        }
    }
    c
}

/// CRC-16 (polynomial 0x8005) of a whole frame.
pub fn crc16(d: &[u8]) -> u16 {
    let mut c = 0u16;
    for &b in d {
        c ^= (b as u16) << 8;
        for _ in 0..8 {
            c = if c & 0x8000 != 0 { (c << 1) ^ 0x8005 } else { c << 1 };
        }
    }
    c
}

// Hand-crafted streams: variable block size, verbatim/constant subframes.

/// Bits written most significant first.
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    fn put(&mut self, v: u64, bits: u32) {
        for i in (0..bits).rev() {
            self.acc = (self.acc << 1) | ((v >> i) & 1);
            self.n += 1;
            if self.n == 8 {
                self.out.push(self.acc as u8);
                self.acc = 0;
                self.n = 0;
            }
        }
    }
    fn align(&mut self) {
        while self.n != 0 {
            self.put(0, 1);
        }
    }
}

/// A frame or sample number in FLAC's UTF-8-like coding (up to 36 bits).
pub fn utf8_number(v: u64) -> Vec<u8> {
    if v < 0x80 {
        return vec![v as u8];
    }
    let mut n = 2;
    while v >= 1u64 << (5 * n + 1) {
        n += 1;
    }
    let mut out = vec![0u8; n];
    let mut x = v;
    for b in out[1..].iter_mut().rev() {
        *b = 0x80 | (x & 0x3F) as u8;
        x >>= 6;
    }
    out[0] = ((0xFF00u16 >> n) as u8) | x as u8;
    out
}

/// One frame of independent or stereo-decorrelated VERBATIM/CONSTANT
/// subframes (with wasted bits when the samples allow).
pub fn craft_frame(chans: &[Vec<i64>], bps: u32, ch_code: u8, number: u64, variable: bool) -> Vec<u8> {
    let bs = chans[0].len();
    let mut h = vec![0xFF, 0xF8 | variable as u8, 0x79, 0];
    let bps_code = match bps {
        8 => 1,
        12 => 2,
        16 => 4,
        20 => 5,
        24 => 6,
        _ => 7,
    };
    h[3] = (ch_code << 4) | (bps_code << 1);
    h.extend(utf8_number(number));
    h.extend(((bs - 1) as u16).to_be_bytes());
    h.push(crc8(&h));
    let mut w = BitWriter { out: h, acc: 0, n: 0 };
    let coded: Vec<(Vec<i64>, u32)> = match ch_code {
        8 => vec![(chans[0].clone(), bps), (chans[0].iter().zip(&chans[1]).map(|(l, r)| l - r).collect(), bps + 1)],
        9 => vec![(chans[0].iter().zip(&chans[1]).map(|(l, r)| l - r).collect(), bps + 1), (chans[1].clone(), bps)],
        10 => vec![
            (chans[0].iter().zip(&chans[1]).map(|(l, r)| (l + r) >> 1).collect(), bps),
            (chans[0].iter().zip(&chans[1]).map(|(l, r)| l - r).collect(), bps + 1),
        ],
        _ => chans.iter().map(|c| (c.clone(), bps)).collect(),
    };
    for (s, b) in coded {
        let wasted = s.iter().fold(64u32, |m, &v| if v == 0 { m } else { m.min(v.trailing_zeros()) }).min(b - 1);
        let wasted = if s.iter().all(|&v| v == 0) { 0 } else { wasted };
        let constant = s.iter().all(|&v| v == s[0]);
        w.put(0, 1);
        w.put(if constant { 0 } else { 1 }, 6);
        if wasted > 0 {
            w.put(1, 1);
            w.put(1, wasted); // wasted-1 zeros then a one
        } else {
            w.put(0, 1);
        }
        let sb = b - wasted;
        let mask = if sb == 64 { u64::MAX } else { (1u64 << sb) - 1 };
        if constant {
            w.put(((s[0] >> wasted) as u64) & mask, sb);
        } else {
            for v in s {
                w.put(((v >> wasted) as u64) & mask, sb);
            }
        }
    }
    w.align();
    let crc = crc16(&w.out);
    w.put(crc as u64, 16);
    w.out
}

/// A STREAMINFO body (MD5 all zeros: unknown).
pub fn streaminfo(rate: u32, ch: u32, bps: u32, total: u64, min_bs: u16, max_bs: u16) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(min_bs.to_be_bytes());
    b.extend(max_bs.to_be_bytes());
    b.extend([0u8; 6]);
    let v = ((rate as u64) << 44) | (((ch - 1) as u64) << 41) | (((bps - 1) as u64) << 36) | total;
    b.extend(v.to_be_bytes());
    b.extend([0u8; 16]);
    b
}

/// Plain xorshift64 (13, 7, 17), as the tests were checked with: the next
/// 64 bits from `state` (which must not be 0).
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// A crafted variable-block-size stream, frames of `sizes` samples, with a
/// `fLaC` + STREAMINFO head when `with_header`; returns (file, interleaved
/// samples).
pub fn crafted(ch: usize, bps: u32, sizes: &[usize], with_header: bool, seed: u64) -> (Vec<u8>, Vec<i32>) {
    let mut state = seed;
    let mut next = || xorshift(&mut state);
    let mut pcm = Vec::new();
    let mut frames = Vec::new();
    let mut number = 0u64;
    let (lo, hi) = (-(1i64 << (bps - 1)), (1i64 << (bps - 1)) - 1);
    for (i, &bs) in sizes.iter().enumerate() {
        let mut chans = vec![Vec::with_capacity(bs); ch];
        for f in 0..bs {
            for (c, chan) in chans.iter_mut().enumerate() {
                let r = next();
                let v = match i % 4 {
                    0 => lo + (r % (hi - lo + 1) as u64) as i64,
                    1 => {
                        if (f + c) % 2 == 0 {
                            hi
                        } else {
                            lo
                        }
                    }
                    2 => ((lo + (r % (hi - lo + 1) as u64) as i64) >> 3) << 3,
                    _ => 5 << 2,
                };
                chan.push(v);
            }
        }
        for f in 0..bs {
            for chan in &chans {
                pcm.push(chan[f] as i32);
            }
        }
        let code = if ch == 2 { [1u8, 8, 9, 10][i % 4] } else { (ch - 1) as u8 };
        frames.extend(craft_frame(&chans, bps, code, number, true));
        number += bs as u64;
    }
    let mut out = Vec::new();
    if with_header {
        out.extend(b"fLaC");
        out.push(0x80);
        out.extend(&[0, 0, 34]);
        out.extend(streaminfo(44100, ch as u32, bps, number, 16, 65535));
    }
    out.extend(frames);
    (out, pcm)
}

/// Interleaved test samples of `bps` bits: 0 sines+noise, 1 silence, 2 full-scale square,
/// 3 random full-scale, 4 a mixture changing every 3000 frames.
pub fn signal(kind: u32, frames: usize, ch: usize, bps: u32, seed: u64) -> Vec<i32> {
    let max = ((1i64 << (bps - 1)) - 1) as f64;
    let (lo, hi) = (-(1i64 << (bps - 1)), (1i64 << (bps - 1)) - 1);
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(frames * ch);
    for f in 0..frames {
        let k = if kind == 4 { ((f / 3000) % 4) as u32 } else { kind };
        for c in 0..ch {
            let r = xorshift(&mut state);
            let v: i64 = match k {
                0 => {
                    let t = f as f64;
                    let s = (t * 0.013 * (c + 1) as f64).sin() * 0.5 + (t * 0.0021).sin() * 0.3;
                    let noise = ((r >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.02;
                    ((s + noise) * max).round() as i64
                }
                1 => 0,
                2 => {
                    if (f / 50 + c) % 2 == 0 {
                        hi
                    } else {
                        lo
                    }
                }
                _ => lo + (r % ((hi - lo + 1) as u64)) as i64,
            };
            out.push(v.clamp(lo, hi) as i32);
        }
    }
    out
}

/// Splits a file into (header "fLaC", metadata blocks (type, body), audio).
pub fn split_metadata(bytes: &[u8]) -> (Vec<(u8, Vec<u8>)>, Vec<u8>) {
    assert_eq!(&bytes[..4], b"fLaC");
    let mut pos = 4;
    let mut blocks = Vec::new();
    loop {
        let last = bytes[pos] & 0x80 != 0;
        let ty = bytes[pos] & 0x7F;
        let len = u32::from_be_bytes([0, bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]]) as usize;
        blocks.push((ty, bytes[pos + 4..pos + 4 + len].to_vec()));
        pos += 4 + len;
        if last {
            break;
        }
    }
    (blocks, bytes[pos..].to_vec())
}

/// Decodes everything with odd-sized reads; returns samples and warnings.
pub fn decode_all(r: &mut FlacReader) -> (Vec<i32>, Vec<String>) {
    let ch = r.info().channels();
    let mut buf = vec![0i32; 1237 * ch];
    let mut all = Vec::new();
    loop {
        let n = r.read_i32(&mut buf).expect("decodes");
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n * ch]);
    }
    (all, r.take_warnings().iter().map(ToString::to_string).collect())
}

/// [`decode_all`] of a FLAC file held in memory.
pub fn decode_bytes(bytes: &[u8]) -> (Vec<i32>, Vec<String>) {
    let mut r = FlacReader::new(Source::memory(bytes.to_vec())).expect("opens");
    decode_all(&mut r)
}

/// Random damage to each of `files` (1–12 flipped bits, a cut every third
/// round; 150 rounds from xorshift `seed`, not 0) never panics, never hangs,
/// and never yields more than a bounded amount of audio; seeks and float
/// reads after the damage too.
pub fn damage_never_panics(files: &[Vec<u8>], seed: u64) {
    let mut state = seed;
    let mut next = || xorshift(&mut state);
    for file in files {
        for round in 0..150 {
            let mut f = file.clone();
            for _ in 0..1 + next() % 12 {
                let at = (next() % f.len() as u64) as usize;
                f[at] ^= 1 << (next() % 8);
            }
            if round % 3 == 0 {
                let cut = (next() % f.len() as u64) as usize;
                f.truncate(cut);
            }
            let Ok(mut r) = FlacReader::new(Source::memory(f)) else {
                continue;
            };
            let ch = r.info().channels();
            let mut buf = vec![0i32; 999 * ch];
            let mut total = 0usize;
            while let Ok(n) = r.read_i32(&mut buf) {
                if n == 0 {
                    break;
                }
                total += n;
                assert!(total < 1 << 24);
            }
            let _ = r.seek(next() % 30000);
            let mut fb = vec![0f32; 100 * ch];
            let _ = r.read_f32(&mut fb);
            let _ = r.take_warnings();
        }
    }
}
