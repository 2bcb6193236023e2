//! The bit-level reader and the two checksums of the FLAC decoder.
//!
//! [`BitReader`] reads MSB-first bits from a byte slice through a 64-bit
//! cache refilled eight bytes at a time. It never panics and never reads past
//! its slice: bits beyond the end read as zeros and set [`BitReader::overrun`],
//! which the frame decoder turns into "need more bytes" (or "truncated").
//! It must not allocate.

/// MSB-first bit reader over a byte slice.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Next byte to load into the cache.
    pos: usize,
    /// Left-aligned bits; bits below the `bits` valid ones are zero or the
    /// true following data bits.
    cache: u64,
    /// Valid bits in `cache` (0..=64).
    bits: u32,
    /// True once a read needed bits past the end of `data`.
    pub overrun: bool,
}

impl<'a> BitReader<'a> {
    /// A reader at the first bit of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        let mut r = BitReader { data, pos: 0, cache: 0, bits: 0, overrun: false };
        r.refill();
        r
    }

    /// Loads bytes into the cache so that at least 57 bits are valid when
    /// data remains. Only call with `bits <= 56`.
    #[inline(always)]
    fn refill(&mut self) {
        if let Some(chunk) = self.data.get(self.pos..).and_then(|s| s.first_chunk::<8>()) {
            let v = u64::from_be_bytes(*chunk);
            self.cache |= v >> self.bits;
            self.pos += ((63 - self.bits) >> 3) as usize;
            self.bits |= 56;
        } else {
            while self.bits <= 56 {
                match self.data.get(self.pos) {
                    Some(&b) => {
                        self.cache |= (b as u64) << (56 - self.bits);
                        self.bits += 8;
                        self.pos += 1;
                    }
                    None => break,
                }
            }
        }
    }

    /// Bytes consumed so far, rounded up to whole bytes.
    #[inline]
    pub fn byte_pos(&self) -> usize {
        let consumed_bits = self.pos * 8 - self.bits as usize;
        consumed_bits.div_ceil(8)
    }

    /// Skips to the next byte boundary.
    #[inline]
    pub fn align(&mut self) {
        let r = self.bits & 7;
        self.cache = self.cache.checked_shl(r).unwrap_or(0);
        self.bits -= r;
    }

    /// Reads `n` bits (0..=32) as an unsigned value.
    #[inline(always)]
    pub fn read(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        if self.bits < n {
            if self.bits <= 56 {
                self.refill();
            }
            if self.bits < n {
                self.overrun = true;
                let v = (self.cache >> (64 - n)) as u32;
                self.cache = 0;
                self.bits = 0;
                return v;
            }
        }
        let v = (self.cache >> (64 - n)) as u32;
        self.cache <<= n;
        self.bits -= n;
        v
    }

    /// Reads `n` bits (0..=33) as a two's-complement signed value.
    #[inline(always)]
    pub fn read_signed(&mut self, n: u32) -> i64 {
        if n == 0 {
            return 0;
        }
        let v = if n > 32 {
            let hi = self.read(n - 32) as u64;
            (hi << 32) | self.read(32) as u64
        } else {
            self.read(n) as u64
        };
        let s = 64 - n;
        ((v << s) as i64) >> s
    }

    /// Reads `n` bits (0..=32) as a signed value in an i32 (n ≤ 32).
    #[inline(always)]
    pub fn read_signed32(&mut self, n: u32) -> i32 {
        if n == 0 {
            return 0;
        }
        let v = self.read(n);
        let s = 32 - n;
        ((v << s) as i32) >> s
    }

    /// Reads a unary number: zeros up to a one (the one is consumed). Stops
    /// at the end of the data with `overrun` set.
    #[inline]
    pub fn read_unary(&mut self) -> u32 {
        let mut count = 0u32;
        loop {
            if self.bits == 0 {
                self.refill();
                if self.bits == 0 {
                    self.overrun = true;
                    return count;
                }
            }
            let lz = self.cache.leading_zeros();
            if lz < self.bits {
                self.cache = (self.cache << lz) << 1;
                self.bits -= lz + 1;
                return count.wrapping_add(lz);
            }
            count = count.wrapping_add(self.bits);
            self.cache = self.cache.checked_shl(self.bits).unwrap_or(0);
            self.bits = 0;
        }
    }

    /// Decodes `out.len()` Rice-coded residuals with parameter `k` (0..=30)
    /// into `out`, zigzag-decoded.
    ///
    /// The fast loop keeps the cache, its bit count and the byte position in
    /// locals (registers, not the struct), refills eight bytes at a time
    /// when fewer than 32 bits are left (or a value needs more than are
    /// left) and finds each quotient with one leading-zeros count; a
    /// quotient longer than the cache, or the last bytes of the data, go
    /// through the general path one value at a time.
    #[inline(always)]
    pub fn read_rice(&mut self, out: &mut [i32], k: u32) {
        let data = self.data;
        let mut i = 0;
        while i < out.len() {
            let (mut cache, mut bits, mut pos) = (self.cache, self.bits, self.pos);
            while let Some(x) = out.get_mut(i) {
                // Refill below 32 bits only: most values take far fewer, so
                // two or three come out of one refill.
                if bits < 32 {
                    let Some(chunk) = data.get(pos..).and_then(|s| s.first_chunk::<8>()) else { break };
                    cache |= u64::from_be_bytes(*chunk) >> bits;
                    pos += ((63 - bits) >> 3) as usize;
                    bits |= 56;
                }
                let mut lz = cache.leading_zeros();
                let mut need = lz + 1 + k;
                if need > bits {
                    // A long value: refill to the full cache and try again.
                    if bits > 56 {
                        break;
                    }
                    let Some(chunk) = data.get(pos..).and_then(|s| s.first_chunk::<8>()) else { break };
                    cache |= u64::from_be_bytes(*chunk) >> bits;
                    pos += ((63 - bits) >> 3) as usize;
                    bits |= 56;
                    lz = cache.leading_zeros();
                    need = lz + 1 + k;
                    if need > bits {
                        break;
                    }
                }
                let c = (cache << lz) << 1;
                let low = ((c >> 32) >> (32 - k)) as u32;
                cache = c << k;
                bits -= need;
                let u = (lz << k) | low;
                *x = ((u >> 1) as i32) ^ -((u & 1) as i32);
                i += 1;
            }
            (self.cache, self.bits, self.pos) = (cache, bits, pos);
            if let Some(x) = out.get_mut(i) {
                *x = self.read_rice_one(k);
                i += 1;
            }
        }
    }

    /// One Rice-coded value the general way (any quotient length, up to
    /// the end of the data).
    #[inline(never)]
    fn read_rice_one(&mut self, k: u32) -> i32 {
        if self.bits <= 56 {
            self.refill();
        }
        let lz = self.cache.leading_zeros();
        let need = lz + 1 + k;
        let u = if need <= self.bits {
            let c = (self.cache << lz) << 1;
            let low = ((c >> 32) >> (32 - k)) as u32;
            self.cache = c << k;
            self.bits -= need;
            (lz << k) | low
        } else {
            let q = self.read_unary();
            let low = self.read(k);
            q.wrapping_shl(k) | low
        };
        ((u >> 1) as i32) ^ -((u & 1) as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_reads_and_unary_and_rice() {
        // 1 0110 1 | 0001 (unary 3) | ...
        let data = [0b1011_0100u8, 0b0100_0000, 0xFF, 0x00];
        let mut r = BitReader::new(&data);
        assert_eq!(r.read(1), 1);
        assert_eq!(r.read(4), 0b0110);
        assert_eq!(r.read_unary(), 0);
        assert_eq!(r.read_unary(), 3);
        assert!(!r.overrun);
        let mut r = BitReader::new(&[0u8; 3]);
        assert_eq!(r.read_unary(), 24);
        assert!(r.overrun);
        assert_eq!(r.read_signed(4), 0);
        let mut r = BitReader::new(&[0xF0]);
        assert_eq!(r.read_signed(4), -1);
        assert_eq!(r.read(8), 0);
        assert!(r.overrun);
        let mut r = BitReader::new(&[0x80, 0, 0, 0, 1]);
        assert_eq!(r.read_signed(33), -(1i64 << 32));
    }
}
