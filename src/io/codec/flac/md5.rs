//! A small MD5 (RFC 1321) for the FLAC encoder's STREAMINFO signature, which
//! libFLAC computes over the unencoded samples as little-endian signed
//! integers of (bits + 7) / 8 bytes, interleaved, and for the decoder's check
//! of that signature. Not for security. The block function is unrolled with
//! constant shifts (about 5 cycles a byte, as fast as common C versions).

/// Incremental MD5.
#[derive(Clone)]
pub(crate) struct Md5 {
    state: [u32; 4],
    buf: [u8; 64],
    buf_len: usize,
    total: u64,
}

const S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15,
    21,
];

const K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8,
    0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
    0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87,
    0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039,
    0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
    0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391,
];

impl Md5 {
    /// A fresh hash.
    pub(crate) fn new() -> Self {
        Md5 { state: [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476], buf: [0; 64], buf_len: 0, total: 0 }
    }

    /// One 64-byte block, fully unrolled (constant shifts and message
    /// indices), the words read straight from the input.
    #[inline(always)]
    fn block(state: &mut [u32; 4], block: &[u8; 64]) {
        let w = |i: usize| u32::from_le_bytes([block[4 * i], block[4 * i + 1], block[4 * i + 2], block[4 * i + 3]]);
        let m: [u32; 16] =
            [w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7), w(8), w(9), w(10), w(11), w(12), w(13), w(14), w(15)];
        let [mut a, mut b, mut c, mut d] = *state;
        macro_rules! op {
            ($f:ident, $a:ident, $b:ident, $c:ident, $d:ident, $g:expr, $s:expr, $k:expr) => {
                $a = $b.wrapping_add(
                    $a.wrapping_add($f!($b, $c, $d)).wrapping_add(m[$g]).wrapping_add($k).rotate_left($s),
                );
            };
        }
        macro_rules! ff {
            ($x:expr, $y:expr, $z:expr) => {
                $z ^ ($x & ($y ^ $z))
            };
        }
        macro_rules! gg {
            ($x:expr, $y:expr, $z:expr) => {
                $y ^ ($z & ($x ^ $y))
            };
        }
        macro_rules! hh {
            ($x:expr, $y:expr, $z:expr) => {
                $x ^ $y ^ $z
            };
        }
        macro_rules! ii {
            ($x:expr, $y:expr, $z:expr) => {
                $y ^ ($x | !$z)
            };
        }
        macro_rules! round4 {
            ($f:ident, $i:expr, $g0:expr, $g1:expr, $g2:expr, $g3:expr) => {
                op!($f, a, b, c, d, $g0, S[$i], K[$i]);
                op!($f, d, a, b, c, $g1, S[$i + 1], K[$i + 1]);
                op!($f, c, d, a, b, $g2, S[$i + 2], K[$i + 2]);
                op!($f, b, c, d, a, $g3, S[$i + 3], K[$i + 3]);
            };
        }
        round4!(ff, 0, 0, 1, 2, 3);
        round4!(ff, 4, 4, 5, 6, 7);
        round4!(ff, 8, 8, 9, 10, 11);
        round4!(ff, 12, 12, 13, 14, 15);
        round4!(gg, 16, 1, 6, 11, 0);
        round4!(gg, 20, 5, 10, 15, 4);
        round4!(gg, 24, 9, 14, 3, 8);
        round4!(gg, 28, 13, 2, 7, 12);
        round4!(hh, 32, 5, 8, 11, 14);
        round4!(hh, 36, 1, 4, 7, 10);
        round4!(hh, 40, 13, 0, 3, 6);
        round4!(hh, 44, 9, 12, 15, 2);
        round4!(ii, 48, 0, 7, 14, 5);
        round4!(ii, 52, 12, 3, 10, 1);
        round4!(ii, 56, 8, 15, 6, 13);
        round4!(ii, 60, 4, 11, 2, 9);
        state[0] = state[0].wrapping_add(a);
        state[1] = state[1].wrapping_add(b);
        state[2] = state[2].wrapping_add(c);
        state[3] = state[3].wrapping_add(d);
    }

    /// Hashes more bytes.
    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len() as u64);
        if self.buf_len > 0 {
            let take = (64 - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            data = &data[take..];
            if self.buf_len < 64 {
                return;
            }
            let b = self.buf;
            Self::block(&mut self.state, &b);
            self.buf_len = 0;
        }
        let mut chunks = data.chunks_exact(64);
        for c in &mut chunks {
            if let Ok(b) = <&[u8; 64]>::try_from(c) {
                Self::block(&mut self.state, b);
            }
        }
        let rest = chunks.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
    }

    /// The 16-byte digest.
    pub(crate) fn finish(mut self) -> [u8; 16] {
        let bits = self.total.wrapping_mul(8);
        let pad_len = if self.buf_len < 56 { 56 - self.buf_len } else { 120 - self.buf_len };
        let mut pad = [0u8; 72];
        pad[0] = 0x80;
        pad[pad_len..pad_len + 8].copy_from_slice(&bits.to_le_bytes());
        let total = self.total;
        self.update(&pad[..pad_len + 8]);
        self.total = total;
        let mut out = [0u8; 16];
        for (o, s) in out.chunks_exact_mut(4).zip(self.state) {
            o.copy_from_slice(&s.to_le_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(d: [u8; 16]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn rfc1321_vectors() {
        let cases: [(&str, &str); 5] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, want) in cases {
            let mut m = Md5::new();
            m.update(input.as_bytes());
            assert_eq!(hex(m.finish()), want, "{input:?}");
            // Split updates give the same digest.
            let mut m = Md5::new();
            for b in input.as_bytes().chunks(7) {
                m.update(b);
            }
            assert_eq!(hex(m.finish()), want, "{input:?} split");
        }
    }
}
