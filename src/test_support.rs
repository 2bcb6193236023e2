//! What the unit tests share (compiled for tests only): one small seeded
//! random generator, so that test data is made, never downloaded, and the
//! same on every run. Integration tests have their own in `tests/common/`.

/// xorshift64*: fast, seeded, good enough for test signals and fuzz-like
/// bytes. A seed of 0 stays 0: use any other.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[-a, a]`.
    pub(crate) fn noise(&mut self, a: i64) -> i64 {
        if a == 0 {
            return 0;
        }
        (self.next() % (2 * a as u64 + 1)) as i64 - a
    }

    /// Uniform in `[-1, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// Plain xorshift64 (13, 7, 17): the generator some tests were written and
/// checked with, kept so that their data stay what they were. A seed of 0
/// stays 0: use any other.
#[derive(Debug, Clone, Copy)]
pub(crate) struct XorShift64(pub(crate) u64);

impl XorShift64 {
    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// `n` random bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

pub(crate) use crate::io::codec::flac::craft as flac_craft;
