//! Draws the CoreMusic icon (the design in `assets/icon.svg`: a rounded
//! indigo-to-teal tile with a white waveform and an orange playhead) at every
//! size macOS asks for and packs the PNGs into an `.icns` file. Deterministic:
//! the same bytes on every machine, no fonts, no crates beyond std.
//!
//! Written by `cargo run --release --example make_icon -- OUT.icns [PNG_DIR]`
//! (`bundle/make-app` runs it); tests/bundle.rs checks the PNG and icns
//! structure. Not part of the library's API: hidden from its documentation.

/// (icns type, pixel size) of every entry written, as macOS 10.8+ reads them.
pub const ENTRIES: [(&[u8; 4], u32); 10] = [
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic07", 128),
    (b"ic13", 256),
    (b"ic08", 256),
    (b"ic14", 512),
    (b"ic09", 512),
    (b"ic10", 1024),
];

/// The icon as straight RGBA, `size`×`size`, anti-aliased by 4×4 supersampling.
pub fn render(size: u32) -> Vec<u8> {
    const SS: u32 = 4;
    let n = size as usize;
    let mut out = vec![0u8; n * n * 4];
    for py in 0..size {
        for px in 0..size {
            let mut acc = [0f32; 4]; // premultiplied
            for sy in 0..SS {
                for sx in 0..SS {
                    // Icon space: 0..1024 on both axes.
                    let x = (px as f32 + (sx as f32 + 0.5) / SS as f32) * 1024.0 / size as f32;
                    let y = (py as f32 + (sy as f32 + 0.5) / SS as f32) * 1024.0 / size as f32;
                    let c = shade(x, y);
                    acc[0] += c[0] * c[3];
                    acc[1] += c[1] * c[3];
                    acc[2] += c[2] * c[3];
                    acc[3] += c[3];
                }
            }
            let k = (SS * SS) as f32;
            let a = acc[3] / k;
            let i = (py as usize * n + px as usize) * 4;
            if a > 0.0 {
                for ch in 0..3 {
                    out[i + ch] = to_u8(acc[ch] / k / a);
                }
            }
            out[i + 3] = to_u8(a);
        }
    }
    out
}

fn to_u8(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

/// The colour (straight RGBA in 0..1) at a point of the 1024-unit design.
fn shade(x: f32, y: f32) -> [f32; 4] {
    // The tile: a superellipse (the macOS squircle) 824 wide, centred, 100 margin.
    let (cx, cy, r) = (512.0, 512.0, 412.0);
    let (u, v) = (((x - cx) / r).abs(), ((y - cy) / r).abs());
    if u.powi(5) + v.powi(5) > 1.0 {
        return [0.0; 4];
    }
    // Background: indigo at the top to teal at the bottom.
    let t = ((y - 100.0) / 824.0).clamp(0.0, 1.0);
    let top = [0.20, 0.16, 0.52];
    let bottom = [0.05, 0.55, 0.62];
    let mut c = [0.0, 0.0, 0.0, 1.0];
    for i in 0..3 {
        c[i] = top[i] + (bottom[i] - top[i]) * t;
    }
    // Waveform: 15 rounded bars, symmetric about the middle line.
    let bars = 15;
    let (left, right) = (212.0, 812.0);
    let pitch = (right - left) / bars as f32;
    if x >= left && x < right {
        let k = ((x - left) / pitch).floor();
        let centre = left + (k + 0.5) * pitch;
        let half_w = pitch * 0.28;
        let phase = k / (bars - 1) as f32;
        // An envelope with some life: a bell times a slow wobble.
        let env = (-((phase - 0.5) * 3.2).powi(2)).exp();
        let wobble = 0.55 + 0.45 * ((k * 2.1).sin() * 0.5 + 0.5);
        let half_h = 40.0 + 250.0 * env * wobble;
        let dx = (x - centre).abs();
        let dy = ((y - cy).abs() - (half_h - half_w)).max(0.0);
        if dx <= half_w && (dx * dx + dy * dy).sqrt() <= half_w {
            c = [0.97, 0.98, 1.0, 1.0];
        }
    }
    // The playhead: a thin orange line in the gap after the sixth bar.
    if (x - 452.0).abs() <= 6.0 && (y - cy).abs() <= 330.0 {
        c = [1.0, 0.55, 0.20, 1.0];
    }
    c
}

// ---------------------------------------------------------------------------
// PNG: RGBA8, filter "Up" on each row, zlib stream of fixed-Huffman deflate.

fn crc32(bytes: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, t) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
        *t = c;
    }
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c = table[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    c ^ 0xFFFF_FFFF
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in bytes.chunks(5552) {
        for &x in chunk {
            a += x as u32;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    /// Appends `count` bits of `v`, least significant first.
    fn put(&mut self, v: u32, count: u32) {
        self.acc |= (v as u64) << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// Appends a Huffman code (sent most significant bit first).
    fn code(&mut self, code: u32, len: u32) {
        let mut rev = 0;
        for i in 0..len {
            rev |= ((code >> i) & 1) << (len - 1 - i);
        }
        self.put(rev, len);
    }

    fn literal(&mut self, lit: u32) {
        match lit {
            0..=143 => self.code(0x30 + lit, 8),
            144..=255 => self.code(0x190 + lit - 144, 9),
            256..=279 => self.code(lit - 256, 7),
            _ => self.code(0xC0 + lit - 280, 8),
        }
    }
}

const LEN_BASE: [u32; 29] =
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA: [u32; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE: [u32; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u32; 30] =
    [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

/// A zlib stream: one fixed-Huffman deflate block, greedy LZ77 over a 32 KiB window.
pub fn zlib(data: &[u8]) -> Vec<u8> {
    let mut bits = Bits { out: vec![0x78, 0x01], acc: 0, n: 0 };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman
    let mut head = vec![usize::MAX; 1 << 15];
    let hash = |i: usize| {
        let h = (data[i] as u32) | (data[i + 1] as u32) << 8 | (data[i + 2] as u32) << 16;
        (h.wrapping_mul(0x9E37_79B1) >> 17) as usize
    };
    let mut i = 0;
    while i < data.len() {
        let mut best = (0usize, 0usize);
        if i + 3 <= data.len() {
            let h = hash(i);
            let cand = head[h];
            head[h] = i;
            if cand != usize::MAX && i - cand <= 32768 {
                let max = (data.len() - i).min(258);
                let mut l = 0;
                while l < max && data[cand + l] == data[i + l] {
                    l += 1;
                }
                if l >= 3 {
                    best = (l, i - cand);
                }
            }
        }
        if best.0 >= 3 {
            let (len, dist) = best;
            let li = LEN_BASE.iter().rposition(|&b| b <= len as u32).unwrap_or(0);
            bits.literal(257 + li as u32);
            bits.put(len as u32 - LEN_BASE[li], LEN_EXTRA[li]);
            let di = DIST_BASE.iter().rposition(|&b| b <= dist as u32).unwrap_or(0);
            bits.code(di as u32, 5);
            bits.put(dist as u32 - DIST_BASE[di], DIST_EXTRA[di]);
            // Index the skipped positions too (cheaply: every position).
            for j in i + 1..(i + len).min(data.len().saturating_sub(2)) {
                head[hash(j)] = j;
            }
            i += len;
        } else {
            bits.literal(data[i] as u32);
            i += 1;
        }
    }
    bits.literal(256);
    if bits.n > 0 {
        bits.put(0, 8 - bits.n);
    }
    let mut out = bits.out;
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// A PNG file of straight RGBA pixels.
pub fn png(width: u32, height: u32, rgba: &[u8]) -> Vec<u8> {
    let row = width as usize * 4;
    let mut raw = Vec::with_capacity((row + 1) * height as usize);
    for y in 0..height as usize {
        raw.push(2); // Up
        for x in 0..row {
            let above = if y == 0 { 0 } else { rgba[(y - 1) * row + x] };
            raw.push(rgba[y * row + x].wrapping_sub(above));
        }
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8; 4], body: &[u8]| {
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        let mut c = kind.to_vec();
        c.extend_from_slice(body);
        out.extend_from_slice(&c);
        out.extend_from_slice(&crc32(&c).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8 bits, RGBA, deflate, adaptive filters, no interlace
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &zlib(&raw));
    chunk(b"IEND", &[]);
    out
}

/// The PNG of every size in [`ENTRIES`], each drawn once.
pub fn pngs() -> Vec<(u32, Vec<u8>)> {
    let mut sizes: Vec<u32> = ENTRIES.iter().map(|e| e.1).collect();
    sizes.sort_unstable();
    sizes.dedup();
    sizes.into_iter().map(|s| (s, png(s, s, &render(s)))).collect()
}

/// The `.icns` file: `icns`, the total length, then (type, length, PNG) entries.
pub fn icns(pngs: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (kind, size) in ENTRIES {
        if let Some((_, data)) = pngs.iter().find(|(s, _)| *s == size) {
            body.extend_from_slice(kind);
            body.extend_from_slice(&(data.len() as u32 + 8).to_be_bytes());
            body.extend_from_slice(data);
        }
    }
    let mut out = b"icns".to_vec();
    out.extend_from_slice(&(body.len() as u32 + 8).to_be_bytes());
    out.extend_from_slice(&body);
    out
}
