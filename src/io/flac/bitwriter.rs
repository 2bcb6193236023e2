//! An MSB-first bit writer for the FLAC encoder, plus the CRC-8 and CRC-16
//! that frame headers and frames carry. It only appends to a caller-owned
//! `Vec<u8>` (reused across frames, so it does not allocate in steady state)
//! and never reads file data.

/// Appends bits MSB-first to a byte vector.
pub(crate) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Pending bits, right-aligned; only the low `fill` bits matter.
    acc: u64,
    /// Number of pending bits (always < 32 between calls).
    fill: u32,
}

impl<'a> BitWriter<'a> {
    /// A writer appending to `out`.
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter { out, acc: 0, fill: 0 }
    }

    /// Appends the low `n` bits of `v` (`n` ≤ 32).
    #[inline(always)]
    pub(crate) fn put(&mut self, n: u32, v: u32) {
        debug_assert!(n <= 32);
        if n == 0 {
            return;
        }
        let mask = if n == 32 { u32::MAX } else { (1u32 << n) - 1 };
        self.acc = (self.acc << n) | u64::from(v & mask);
        self.fill += n;
        if self.fill >= 32 {
            self.fill -= 32;
            let word = (self.acc >> self.fill) as u32;
            self.out.extend_from_slice(&word.to_be_bytes());
        }
    }

    /// Appends the low `n` bits of a signed value in two's complement (`n` ≤ 32).
    #[inline(always)]
    pub(crate) fn put_signed(&mut self, n: u32, v: i32) {
        self.put(n, v as u32);
    }

    /// Appends `n` zero bits.
    #[inline(always)]
    pub(crate) fn put_zeros(&mut self, mut n: u32) {
        while n > 32 {
            self.put(32, 0);
            n -= 32;
        }
        self.put(n, 0);
    }

    /// Appends the Rice code of the folded residual `u` with parameter `k` (`k` ≤ 30).
    #[inline(always)]
    pub(crate) fn put_rice(&mut self, k: u32, u: u32) {
        let q = u >> k;
        if q + k < 32 {
            // q zeros, a one, then k low bits: all in one go.
            self.put(q + k + 1, (1u32 << k) | (u & ((1u32 << k) - 1)));
        } else {
            self.put_zeros(q);
            self.put(k + 1, (1u32 << k) | (u & ((1u32 << k) - 1)));
        }
    }

    /// Pads with zero bits to a byte boundary and writes out everything pending.
    pub(crate) fn flush_to_byte(&mut self) {
        let pad = (8 - self.fill % 8) % 8;
        self.put(pad, 0);
        while self.fill >= 8 {
            self.fill -= 8;
            self.out.push((self.acc >> self.fill) as u8);
        }
    }
}

const fn crc8_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u8;
        let mut b = 0;
        while b < 8 {
            c = if c & 0x80 != 0 { (c << 1) ^ 0x07 } else { c << 1 };
            b += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

const fn crc16_tables() -> [[u16; 256]; 8] {
    let mut t = [[0u16; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u16) << 8;
        let mut b = 0;
        while b < 8 {
            c = if c & 0x8000 != 0 { (c << 1) ^ 0x8005 } else { c << 1 };
            b += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev << 8) ^ t[0][(prev >> 8) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

static CRC8: [u8; 256] = crc8_table();
static CRC16: [[u16; 256]; 8] = crc16_tables();

/// CRC-8 (polynomial 0x07, initial 0) as the frame header uses.
pub(crate) fn crc8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |c, &b| CRC8[(c ^ b) as usize])
}

/// CRC-16 (polynomial 0x8005, initial 0) as the frame footer uses.
pub(crate) fn crc16(data: &[u8]) -> u16 {
    let mut crc = 0u16;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let hi = crc.to_be_bytes();
        crc = CRC16[7][(c[0] ^ hi[0]) as usize]
            ^ CRC16[6][(c[1] ^ hi[1]) as usize]
            ^ CRC16[5][c[2] as usize]
            ^ CRC16[4][c[3] as usize]
            ^ CRC16[3][c[4] as usize]
            ^ CRC16[2][c[5] as usize]
            ^ CRC16[1][c[6] as usize]
            ^ CRC16[0][c[7] as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc << 8) ^ CRC16[0][((crc >> 8) as u8 ^ b) as usize];
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crc16_bitwise(data: &[u8]) -> u16 {
        let mut crc = 0u16;
        for &b in data {
            crc ^= u16::from(b) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x8005 } else { crc << 1 };
            }
        }
        crc
    }

    #[test]
    fn crc16_slicing_matches_bitwise() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 999, 1000] {
            assert_eq!(crc16(&data[..len]), crc16_bitwise(&data[..len]), "len {len}");
        }
    }

    #[test]
    fn bits_and_rice() {
        let mut v = Vec::new();
        let mut w = BitWriter::new(&mut v);
        w.put(3, 0b101);
        w.put(32, 0xDEAD_BEEF);
        w.put_rice(2, 0b1011); // q=2 → 00 1 11
        w.put_rice(0, 40); // 40 zeros then 1
        w.flush_to_byte();
        let mut bits = String::new();
        for b in &v {
            bits.push_str(&format!("{b:08b}"));
        }
        let mut want = String::from("101");
        want.push_str(&format!("{:032b}", 0xDEAD_BEEFu32));
        want.push_str("00111");
        want.push_str(&"0".repeat(40));
        want.push('1');
        while want.len() % 8 != 0 {
            want.push('0');
        }
        assert_eq!(bits, want);
    }
}
