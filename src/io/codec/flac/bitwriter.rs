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

#[cfg(test)]
mod tests {
    use super::*;

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
