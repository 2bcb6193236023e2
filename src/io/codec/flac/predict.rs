//! The predictors of a FIXED or LPC subframe, restored in place over the
//! decoded residual, in 32-bit or 64-bit arithmetic exactly where libFLAC
//! uses each; and [`Sample`], the type the predictor buffers hold.

use super::bitreader::BitReader;

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

/// Calls `$f::<N>` for `N` the order (`$coefs.len()`, 1 to 32): each order
/// is its own loop with its coefficients in registers.
macro_rules! by_order {
    ($f:ident($buf:expr, $coefs:expr, $shift:expr)) => {
        by_order!(@ $f($buf, $coefs, $shift) 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32)
    };
    (@ $f:ident($buf:expr, $coefs:expr, $shift:expr) $($n:literal)*) => {
        match $coefs.len() {
            $($n => $f::<$n>($buf, $coefs, $shift),)*
            _ => {}
        }
    };
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
    by_order!(lpc_fixed_order(buf, coefs, shift))
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
    by_order!(lpc_wide_fixed_order(buf, coefs, shift))
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
