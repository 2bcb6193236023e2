//! Bit sinks for the ALAC encoder: a writer packing bits MSB-first into
//! bytes, and a counter with the same interface for trial encodes. Neither
//! may fail or allocate beyond the writer's growing byte vector.

/// Something that takes bit fields (at most 32 bits each, MSB first).
pub(super) trait BitSink {
    /// Appends the low `n` bits of `v` (`n` ≤ 32).
    fn put(&mut self, v: u32, n: u32);
}

/// Counts bits without storing them.
#[derive(Default)]
pub(super) struct BitCount(pub u64);

impl BitSink for BitCount {
    #[inline(always)]
    fn put(&mut self, _v: u32, n: u32) {
        self.0 += u64::from(n);
    }
}

/// Packs bits MSB-first into `out`.
pub(super) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    /// Bits held in `acc` (< 32 between calls).
    held: u32,
}

impl<'a> BitWriter<'a> {
    /// A writer appending to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter { out, acc: 0, held: 0 }
    }

    /// Pads with zero bits to a byte boundary and flushes.
    pub fn finish(mut self) {
        let pad = (8 - self.held % 8) % 8;
        self.put(0, pad);
        while self.held >= 8 {
            self.held -= 8;
            self.out.push((self.acc >> self.held) as u8);
        }
    }
}

impl BitSink for BitWriter<'_> {
    #[inline(always)]
    fn put(&mut self, v: u32, n: u32) {
        if n == 0 {
            return;
        }
        let v = u64::from(v) & ((1u64 << n) - 1);
        self.acc = (self.acc << n) | v;
        self.held += n;
        if self.held >= 32 {
            self.held -= 32;
            let word = (self.acc >> self.held) as u32;
            self.out.extend_from_slice(&word.to_be_bytes());
        }
    }
}
