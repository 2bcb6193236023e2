//! One FLAC frame: its header, its subframes (CONSTANT, VERBATIM, FIXED,
//! LPC with wasted bits and partitioned Rice residuals) and the inter-channel
//! decorrelation, decoding exactly as libFLAC does (including its choice of
//! 32-bit or 64-bit arithmetic in the predictors).
//!
//! Everything here works on a byte slice that starts at a frame header and
//! on per-channel buffers owned by the caller; nothing allocates, nothing
//! panics on any bytes, every loop is bounded by the block size or the data.

use super::bitreader::BitReader;
use super::crc::{crc16, crc8};

/// The largest block a frame header can describe (16-bit code + 1).
pub(crate) const MAX_BLOCK: usize = 65536;

/// How the channels of a frame are coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Assignment {
    /// Each channel on its own.
    Independent,
    /// Left, then side (left − right).
    LeftSide,
    /// Side, then right.
    RightSide,
    /// Mid, then side.
    MidSide,
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FrameHeader {
    /// Blocking strategy bit: the number is a sample number.
    pub variable: bool,
    /// Samples per channel in this frame.
    pub block_size: u32,
    /// Sample rate, `None` for "see STREAMINFO".
    pub rate: Option<u32>,
    /// Channels (1..=8).
    pub channels: u32,
    /// Channel coding.
    pub assignment: Assignment,
    /// Bits per sample, `None` for "see STREAMINFO".
    pub bps: Option<u32>,
    /// Frame number (fixed blocking) or first sample number (variable).
    pub number: u64,
    /// Bytes of the header, CRC-8 included.
    pub len: usize,
}

/// Why a header did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderError {
    /// The slice ends inside the header.
    NeedMore,
    /// Not a valid frame header.
    Invalid,
}

/// Parses a frame header at the start of `d` and checks its CRC-8.
pub(crate) fn parse_header(d: &[u8]) -> Result<FrameHeader, HeaderError> {
    use HeaderError::*;
    let byte = |i: usize| d.get(i).copied().ok_or(NeedMore);
    if byte(0)? != 0xFF || byte(1)? & 0xFE != 0xF8 {
        return Err(Invalid);
    }
    let variable = d[1] & 1 != 0;
    let b2 = byte(2)?;
    let b3 = byte(3)?;
    let bs_code = b2 >> 4;
    let rate_code = b2 & 15;
    let ch_code = b3 >> 4;
    let bps_code = (b3 >> 1) & 7;
    if bs_code == 0 || rate_code == 15 || ch_code > 10 || bps_code == 3 || b3 & 1 != 0 {
        return Err(Invalid);
    }
    // UTF-8-like coded number.
    let first = byte(4)?;
    let (mut number, extra) = match first.leading_ones() {
        0 => (first as u64, 0),
        2 => ((first & 0x1F) as u64, 1),
        3 => ((first & 0x0F) as u64, 2),
        4 => ((first & 0x07) as u64, 3),
        5 => ((first & 0x03) as u64, 4),
        6 => ((first & 0x01) as u64, 5),
        7 if variable => (0, 6),
        _ => return Err(Invalid),
    };
    let mut i = 5;
    for _ in 0..extra {
        let b = byte(i)?;
        if b & 0xC0 != 0x80 {
            return Err(Invalid);
        }
        number = (number << 6) | (b & 0x3F) as u64;
        i += 1;
    }
    let block_size = match bs_code {
        1 => 192,
        2..=5 => 576u32 << (bs_code - 2),
        6 => {
            i += 1;
            byte(i - 1)? as u32 + 1
        }
        7 => {
            i += 2;
            (((byte(i - 2)? as u32) << 8) | byte(i - 1)? as u32) + 1
        }
        _ => 256u32 << (bs_code - 8),
    };
    let rate = match rate_code {
        0 => None,
        1 => Some(88200),
        2 => Some(176400),
        3 => Some(192000),
        4 => Some(8000),
        5 => Some(16000),
        6 => Some(22050),
        7 => Some(24000),
        8 => Some(32000),
        9 => Some(44100),
        10 => Some(48000),
        11 => Some(96000),
        12 => {
            i += 1;
            Some(byte(i - 1)? as u32 * 1000)
        }
        13 => {
            i += 2;
            Some(((byte(i - 2)? as u32) << 8) | byte(i - 1)? as u32)
        }
        _ => {
            i += 2;
            Some((((byte(i - 2)? as u32) << 8) | byte(i - 1)? as u32) * 10)
        }
    };
    let crc = byte(i)?;
    if crc8(&d[..i]) != crc {
        return Err(Invalid);
    }
    let (channels, assignment) = match ch_code {
        0..=7 => (ch_code as u32 + 1, Assignment::Independent),
        8 => (2, Assignment::LeftSide),
        9 => (2, Assignment::RightSide),
        _ => (2, Assignment::MidSide),
    };
    let bps = match bps_code {
        0 => None,
        1 => Some(8),
        2 => Some(12),
        4 => Some(16),
        5 => Some(20),
        6 => Some(24),
        _ => Some(32),
    };
    Ok(FrameHeader { variable, block_size, rate, channels, assignment, bps, number, len: i + 1 })
}

/// Why a frame did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameError {
    /// The data ends inside the frame.
    NeedMore,
    /// The frame breaks the format (lost sync).
    Bad(&'static str),
    /// The frame parsed but its CRC-16 does not match; it is this long.
    Crc(usize),
}

/// A decoded sample in the predictor buffers: i32, or i64 for 32-bit
/// streams whose side channel has 33 bits.
pub(crate) trait Sample: Copy + Default + Send + 'static {
    /// From a read value (wrapping into the type).
    fn from_i64(v: i64) -> Self;
    /// Widened.
    fn to_i64(self) -> i64;
    /// Decodes Rice residuals with parameter `k` into `out`.
    fn read_rice(br: &mut BitReader, out: &mut [Self], k: u32);
    /// FIXED predictor restoration in place (`buf[..order]` is warm-up).
    fn restore_fixed(buf: &mut [Self], order: usize, bps: u32);
    /// LPC restoration in place (`buf[..coefs.len()]` is warm-up).
    fn restore_lpc(buf: &mut [Self], coefs: &[i32], shift: u32, bps: u32, precision: u32);
}

impl Sample for i32 {
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v as i32
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline(always)]
    fn read_rice(br: &mut BitReader, out: &mut [Self], k: u32) {
        br.read_rice(out, k)
    }
    #[inline(always)]
    fn restore_fixed(buf: &mut [i32], order: usize, bps: u32) {
        if bps + order as u32 <= 32 {
            fixed_narrow(buf, order)
        } else {
            fixed_wide(buf, order)
        }
    }
    #[inline(always)]
    fn restore_lpc(buf: &mut [i32], coefs: &[i32], shift: u32, bps: u32, precision: u32) {
        let order = coefs.len();
        if bps + precision + (order as u32).ilog2() <= 32 {
            lpc_narrow(buf, coefs, shift)
        } else {
            lpc_wide(buf, coefs, shift)
        }
    }
}

impl Sample for i64 {
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        self
    }
    #[inline(always)]
    fn read_rice(br: &mut BitReader, out: &mut [Self], k: u32) {
        let mut tmp = [0i32; 256];
        for chunk in out.chunks_mut(256) {
            let t = &mut tmp[..chunk.len()];
            br.read_rice(t, k);
            for (o, &v) in chunk.iter_mut().zip(t.iter()) {
                *o = v as i64;
            }
        }
    }
    #[inline(always)]
    fn restore_fixed(buf: &mut [i64], order: usize, _bps: u32) {
        for i in order..buf.len() {
            let p = match order {
                0 => 0,
                1 => buf[i - 1],
                2 => buf[i - 1].wrapping_mul(2).wrapping_sub(buf[i - 2]),
                3 => buf[i - 1].wrapping_sub(buf[i - 2]).wrapping_mul(3).wrapping_add(buf[i - 3]),
                _ => buf[i - 1]
                    .wrapping_add(buf[i - 3])
                    .wrapping_mul(4)
                    .wrapping_sub(buf[i - 2].wrapping_mul(6))
                    .wrapping_sub(buf[i - 4]),
            };
            buf[i] = buf[i].wrapping_add(p);
        }
    }
    #[inline(always)]
    fn restore_lpc(buf: &mut [i64], coefs: &[i32], shift: u32, _bps: u32, _precision: u32) {
        let order = coefs.len();
        for i in order..buf.len() {
            let hist = &buf[i - order..i];
            let mut sum = 0i64;
            for (c, h) in coefs.iter().zip(hist.iter().rev()) {
                sum = sum.wrapping_add((*c as i64).wrapping_mul(*h));
            }
            buf[i] = buf[i].wrapping_add(sum >> shift);
        }
    }
}

#[inline(always)]
fn fixed_narrow(buf: &mut [i32], order: usize) {
    match order {
        1 => {
            let mut a = buf[0];
            for x in buf[1..].iter_mut() {
                a = x.wrapping_add(a);
                *x = a;
            }
        }
        2 => {
            let (mut a, mut b) = (buf[1], buf[0]);
            for x in buf[2..].iter_mut() {
                let v = x.wrapping_add(a.wrapping_mul(2).wrapping_sub(b));
                *x = v;
                b = a;
                a = v;
            }
        }
        3 => {
            let (mut a, mut b, mut c) = (buf[2], buf[1], buf[0]);
            for x in buf[3..].iter_mut() {
                let v = x.wrapping_add(a.wrapping_sub(b).wrapping_mul(3).wrapping_add(c));
                *x = v;
                c = b;
                b = a;
                a = v;
            }
        }
        4 => {
            let (mut a, mut b, mut c, mut d) = (buf[3], buf[2], buf[1], buf[0]);
            for x in buf[4..].iter_mut() {
                let p = a.wrapping_add(c).wrapping_mul(4).wrapping_sub(b.wrapping_mul(6)).wrapping_sub(d);
                let v = x.wrapping_add(p);
                *x = v;
                d = c;
                c = b;
                b = a;
                a = v;
            }
        }
        _ => {}
    }
}

#[inline(always)]
fn fixed_wide(buf: &mut [i32], order: usize) {
    for i in order..buf.len() {
        let at = |j: usize| buf[i - j] as i64;
        let p = match order {
            0 => 0,
            1 => at(1),
            2 => 2 * at(1) - at(2),
            3 => 3 * at(1) - 3 * at(2) + at(3),
            _ => 4 * at(1) - 6 * at(2) + 4 * at(3) - at(4),
        };
        buf[i] = buf[i].wrapping_add(p as i32);
    }
}

#[inline(always)]
fn lpc_fixed_order<const N: usize>(buf: &mut [i32], coefs: &[i32], shift: u32) {
    let Some(c) = coefs.first_chunk::<N>() else {
        return;
    };
    if buf.len() <= N {
        return;
    }
    // Coefficients reversed so that rc[j] pairs with buf[i - N + j] (oldest first).
    let mut rc = [0i32; N];
    for j in 0..N {
        rc[j] = c[N - 1 - j];
    }
    // The 4 newest samples are carried in registers (r0 oldest … r3 newest,
    // as of the first prediction) and the older ones are read from `buf`. A sample is needed by the very
    // next prediction, and a wide load over samples stored a few cycles
    // earlier stalls on store forwarding: the whole restore then waits on
    // memory instead of on one multiply-add.
    let old = N.saturating_sub(4);
    let mut rn = [0i32; 4];
    for j in 0..N.min(4) {
        rn[3 - j] = rc[N - 1 - j];
    }
    let at = |k: usize| if k < 4 && N >= 4 - k { buf[N + k - 4] } else { 0 };
    let (r0, mut r1, mut r2, mut r3) = (at(0), at(1), at(2), at(3));
    // `pre` is everything but the two newest terms; it is made one sample
    // ahead, from samples that are already known, so the only work between
    // one sample and the next is two scalar multiply-adds and a shift.
    let older = |buf: &[i32], i: usize, r0: i32, r1: i32| {
        let mut sum = rn[0].wrapping_mul(r0).wrapping_add(rn[1].wrapping_mul(r1));
        if let Some(hist) = buf.get(i - N..i).and_then(|h| h.first_chunk::<N>()) {
            for j in 0..old {
                sum = sum.wrapping_add(rc[j].wrapping_mul(hist[j]));
            }
        }
        sum
    };
    let mut pre = older(buf, N, r0, r1);
    for i in N..buf.len() {
        let next = older(buf, i + 1, r1, r2);
        let sum = pre.wrapping_add(rn[2].wrapping_mul(r2)).wrapping_add(rn[3].wrapping_mul(r3));
        let v = buf[i].wrapping_add(sum >> shift);
        buf[i] = v;
        (r1, r2, r3) = (r2, r3, v);
        pre = next;
    }
}

#[inline(always)]
fn lpc_narrow(buf: &mut [i32], coefs: &[i32], shift: u32) {
    macro_rules! orders {
        ($($n:literal)*) => {
            match coefs.len() {
                $($n => lpc_fixed_order::<$n>(buf, coefs, shift),)*
                _ => {}
            }
        };
    }
    orders!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32);
}

#[inline(always)]
fn lpc_wide_fixed_order<const N: usize>(buf: &mut [i32], coefs: &[i32], shift: u32) {
    let Some(c) = coefs.first_chunk::<N>() else {
        return;
    };
    let mut rc = [0i64; N];
    for j in 0..N {
        rc[j] = c[N - 1 - j] as i64;
    }
    for i in N..buf.len() {
        let Some(hist) = buf[i - N..i].first_chunk::<N>() else {
            return;
        };
        let mut sum = 0i64;
        for j in 0..N {
            sum += rc[j] * hist[j] as i64;
        }
        buf[i] = buf[i].wrapping_add((sum >> shift) as i32);
    }
}

#[inline(always)]
fn lpc_wide(buf: &mut [i32], coefs: &[i32], shift: u32) {
    // |coef| < 2^15 and |sample| <= 2^31: 32 products cannot overflow i64.
    macro_rules! orders {
        ($($n:literal)*) => {
            match coefs.len() {
                $($n => lpc_wide_fixed_order::<$n>(buf, coefs, shift),)*
                _ => {}
            }
        };
    }
    orders!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32);
}

/// Decodes the residual of a FIXED/LPC subframe into `out[order..]`.
#[inline(always)]
fn decode_residual<S: Sample>(br: &mut BitReader, out: &mut [S], order: usize) -> Result<(), &'static str> {
    let bs = out.len();
    let (param_bits, escape) = match br.read(2) {
        0 => (4, 15),
        1 => (5, 31),
        _ => return Err("reserved residual coding method"),
    };
    let po = br.read(4);
    let parts = 1usize << po;
    let psize = bs >> po;
    if psize < order || bs & (parts - 1) != 0 {
        return Err("residual partition order does not fit the block");
    }
    let mut start = order;
    for p in 0..parts {
        let end = (p + 1) * psize;
        let Some(part) = out.get_mut(start..end) else {
            return Err("residual partition out of range");
        };
        let k = br.read(param_bits);
        if k == escape {
            let n = br.read(5);
            for x in part.iter_mut() {
                *x = S::from_i64(br.read_signed32(n) as i64);
            }
        } else {
            S::read_rice(br, part, k);
        }
        if br.overrun {
            return Err("data ends inside the residual");
        }
        start = end;
    }
    Ok(())
}

/// Decodes one subframe of `bps` bits (the side channel's bps is one more)
/// into `out` (its length is the block size).
#[inline(always)]
fn decode_subframe<S: Sample>(br: &mut BitReader, out: &mut [S], bps: u32) -> Result<(), &'static str> {
    if br.read(1) != 0 {
        return Err("subframe padding bit is set");
    }
    let ty = br.read(6);
    let wasted = if br.read(1) == 1 { br.read_unary().saturating_add(1) } else { 0 };
    if wasted >= bps {
        return Err("wasted bits exceed the sample size");
    }
    let sbps = bps - wasted;
    match ty {
        0 => {
            let v = S::from_i64(br.read_signed(sbps));
            out.fill(v);
        }
        1 => {
            if sbps <= 32 {
                for x in out.iter_mut() {
                    *x = S::from_i64(br.read_signed32(sbps) as i64);
                }
            } else {
                for x in out.iter_mut() {
                    *x = S::from_i64(br.read_signed(sbps));
                }
            }
        }
        8..=12 => {
            let order = (ty - 8) as usize;
            if order > out.len() {
                return Err("FIXED order exceeds the block size");
            }
            for x in out[..order].iter_mut() {
                *x = S::from_i64(br.read_signed(sbps));
            }
            decode_residual(br, out, order)?;
            S::restore_fixed(out, order, sbps);
        }
        32..=63 => {
            let order = (ty - 31) as usize;
            if order > out.len() {
                return Err("LPC order exceeds the block size");
            }
            for x in out[..order].iter_mut() {
                *x = S::from_i64(br.read_signed(sbps));
            }
            let precision = br.read(4) + 1;
            if precision == 16 {
                return Err("invalid LPC coefficient precision");
            }
            let shift = br.read_signed32(5);
            if shift < 0 {
                return Err("negative LPC shift");
            }
            let mut coefs = [0i32; 32];
            for c in coefs[..order].iter_mut() {
                *c = br.read_signed32(precision);
            }
            decode_residual(br, out, order)?;
            S::restore_lpc(out, &coefs[..order], shift as u32, sbps, precision);
        }
        _ => return Err("reserved subframe type"),
    }
    if wasted > 0 {
        for x in out.iter_mut() {
            *x = S::from_i64(x.to_i64() << wasted);
        }
    }
    Ok(())
}

/// Undoes stereo decorrelation on the first two channels.
#[inline(always)]
fn decorrelate<S: Sample>(a: &mut [S], b: &mut [S], assignment: Assignment) {
    match assignment {
        Assignment::Independent => {}
        Assignment::LeftSide => {
            for (l, s) in a.iter().zip(b.iter_mut()) {
                *s = S::from_i64(l.to_i64().wrapping_sub(s.to_i64()));
            }
        }
        Assignment::RightSide => {
            for (s, r) in a.iter_mut().zip(b.iter()) {
                *s = S::from_i64(s.to_i64().wrapping_add(r.to_i64()));
            }
        }
        Assignment::MidSide => {
            for (m, s) in a.iter_mut().zip(b.iter_mut()) {
                let side = s.to_i64();
                let mid = (m.to_i64() << 1) | (side & 1);
                *m = S::from_i64(mid.wrapping_add(side) >> 1);
                *s = S::from_i64(mid.wrapping_sub(side) >> 1);
            }
        }
    }
}

/// Decodes the frame at the start of `data` whose header is `h`, with `bps`
/// bits per sample, into `chans[c][..block_size]`. Returns the frame length
/// in bytes. `chans` must hold `h.channels` buffers of [`MAX_BLOCK`] samples.
pub(crate) fn decode_frame<S: Sample>(
    data: &[u8],
    h: &FrameHeader,
    bps: u32,
    chans: &mut [Vec<S>],
) -> Result<usize, FrameError> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("bmi2")
            && std::arch::is_x86_feature_detected!("lzcnt")
        {
            // SAFETY: the CPU supports AVX2, BMI2 and LZCNT (checked just
            // above), the only requirement of calling a function compiled
            // for them.
            return unsafe { decode_frame_avx2(data, h, bps, chans) };
        }
    }
    decode_frame_inner(data, h, bps, chans)
}

/// [`decode_frame`] compiled for AVX2 (vector 32-bit multiplies in the
/// predictors), BMI2 (one-instruction variable shifts in the bit reader)
/// and LZCNT (the Rice quotients). Integer code only: the output is
/// bit-identical to the portable build.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi1,bmi2,lzcnt")]
fn decode_frame_avx2<S: Sample>(
    data: &[u8],
    h: &FrameHeader,
    bps: u32,
    chans: &mut [Vec<S>],
) -> Result<usize, FrameError> {
    decode_frame_inner(data, h, bps, chans)
}

/// The portable build of [`decode_frame`], for tests that check the
/// AVX2 build against it on a machine that has AVX2.
#[cfg(test)]
pub(crate) fn decode_frame_portable<S: Sample>(
    data: &[u8],
    h: &FrameHeader,
    bps: u32,
    chans: &mut [Vec<S>],
) -> Result<usize, FrameError> {
    decode_frame_inner(data, h, bps, chans)
}

#[inline(always)]
fn decode_frame_inner<S: Sample>(
    data: &[u8],
    h: &FrameHeader,
    bps: u32,
    chans: &mut [Vec<S>],
) -> Result<usize, FrameError> {
    let bs = h.block_size as usize;
    let Some(body) = data.get(h.len..) else {
        return Err(FrameError::NeedMore);
    };
    let mut br = BitReader::new(body);
    let nch = h.channels as usize;
    if chans.len() < nch {
        return Err(FrameError::Bad("more channels than the stream has"));
    }
    for (c, buf) in chans[..nch].iter_mut().enumerate() {
        let Some(out) = buf.get_mut(..bs) else {
            return Err(FrameError::Bad("block too large"));
        };
        let side = match h.assignment {
            Assignment::Independent => false,
            Assignment::LeftSide | Assignment::MidSide => c == 1,
            Assignment::RightSide => c == 0,
        };
        let r = decode_subframe(&mut br, out, bps + side as u32);
        if br.overrun {
            return Err(FrameError::NeedMore);
        }
        r.map_err(FrameError::Bad)?;
    }
    br.align();
    let stored = br.read(16) as u16;
    if br.overrun {
        return Err(FrameError::NeedMore);
    }
    let len = h.len + br.byte_pos();
    let Some(covered) = data.get(..len.saturating_sub(2)) else {
        return Err(FrameError::NeedMore);
    };
    let computed = crc16(covered);
    if computed != stored {
        return Err(FrameError::Crc(len));
    }
    if nch == 2 {
        if let [a, b, ..] = chans {
            decorrelate(&mut a[..bs], &mut b[..bs], h.assignment);
        }
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Rng;

    /// The LPC restore, as the format defines it, one product at a time.
    fn lpc_reference(buf: &mut [i32], coefs: &[i32], shift: u32) {
        for i in coefs.len()..buf.len() {
            let mut sum = 0i32;
            for (k, c) in coefs.iter().enumerate() {
                sum = sum.wrapping_add(c.wrapping_mul(buf[i - 1 - k]));
            }
            buf[i] = buf[i].wrapping_add(sum >> shift);
        }
    }

    #[test]
    fn lpc_restore_of_every_order_equals_the_definition() {
        let mut rng = Rng(0x5eed_1f1ac);
        for order in 1..=32usize {
            for len in [order, order + 1, order + 2, order + 5, 64, 4096] {
                let coefs: Vec<i32> = (0..order).map(|_| rng.noise(1 << 14) as i32).collect();
                let shift = (rng.next() % 16) as u32;
                let input: Vec<i32> = (0..len).map(|_| rng.noise(1 << 15) as i32).collect();
                let (mut fast, mut slow) = (input.clone(), input);
                lpc_narrow(&mut fast, &coefs, shift);
                lpc_reference(&mut slow, &coefs, shift);
                assert_eq!(fast, slow, "order {order}, {len} samples");
            }
        }
    }
}
