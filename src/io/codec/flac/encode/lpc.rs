//! The signal-processing half of the FLAC encoder: the tukey window,
//! autocorrelation, Levinson-Durbin recursion, libFLAC-style coefficient
//! quantisation and order choice, FIXED and LPC residuals, and the Rice
//! partition search. Pure functions on caller-owned buffers; nothing here
//! allocates, does I/O, or can overflow (wide paths are range-checked).

/// Highest LPC order the encoder tries (libFLAC -5 uses 8).
pub(crate) const MAX_LPC_ORDER: usize = 8;
/// Highest Rice partition order searched (libFLAC -5 uses 5).
pub(crate) const MAX_PARTITION_ORDER: u32 = 5;
/// Partitions at [`MAX_PARTITION_ORDER`].
pub(crate) const MAX_PARTITIONS: usize = 1 << MAX_PARTITION_ORDER;
/// Marks an escaped (raw binary) partition in [`RicePlan::params`].
pub(crate) const ESCAPE: u8 = 0xFF;

/// Fills `w` with libFLAC's tukey(p) window of length `w.len()`.
pub(crate) fn tukey(w: &mut [f64], p: f64) {
    let l = w.len();
    w.fill(1.0);
    let np = (p / 2.0 * l as f64) as i64 - 1;
    if np > 0 {
        let np = np as usize;
        for n in 0..=np {
            if l < np + 1 + n {
                break;
            }
            w[n] = 0.5 - 0.5 * (std::f64::consts::PI * n as f64 / np as f64).cos();
            w[l - np - 1 + n] = 0.5 - 0.5 * (std::f64::consts::PI * (n + np) as f64 / np as f64).cos();
        }
    }
}

#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        s += x * y;
    }
    s + ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// Autocorrelation of `x` at lags `0..autoc.len()`.
#[inline(always)]
pub(crate) fn autocorrelation(x: &[f64], autoc: &mut [f64]) {
    for (lag, a) in autoc.iter_mut().enumerate() {
        *a = if lag < x.len() { dot(&x[lag..], x) } else { 0.0 };
    }
}

/// Levinson-Durbin as libFLAC does it: `lpc[o][..=o]` gets the predictor of
/// order `o + 1`, `err[o]` its prediction error. Returns how many orders are
/// valid (it stops early when the error reaches zero).
pub(crate) fn levinson(
    autoc: &[f64],
    max_order: usize,
    lpc: &mut [[f64; MAX_LPC_ORDER]; MAX_LPC_ORDER],
    err_out: &mut [f64; MAX_LPC_ORDER],
) -> usize {
    let max_order = max_order.min(MAX_LPC_ORDER).min(autoc.len().saturating_sub(1));
    let mut a = [0.0f64; MAX_LPC_ORDER];
    let mut err = autoc[0];
    for i in 0..max_order {
        let mut r = -autoc[i + 1];
        for j in 0..i {
            r -= a[j] * autoc[i - j];
        }
        r /= err;
        a[i] = r;
        let mut j = 0;
        while j < (i >> 1) {
            let tmp = a[j];
            a[j] += r * a[i - 1 - j];
            a[i - 1 - j] += r * tmp;
            j += 1;
        }
        if i & 1 != 0 {
            a[j] += a[j] * r;
        }
        err *= 1.0 - r * r;
        for j in 0..=i {
            lpc[i][j] = -a[j];
        }
        err_out[i] = err;
        if !err.is_finite() || err <= 0.0 {
            return if err.is_finite() { i + 1 } else { i };
        }
    }
    max_order
}

/// libFLAC's choice of order from the prediction errors: the one with the
/// fewest expected bits, counting `overhead_per_order` bits per coefficient.
pub(crate) fn best_order(err: &[f64], n: usize, overhead_per_order: u32) -> usize {
    let scale = 0.5 / n as f64;
    let mut best = 1;
    let mut best_bits = f64::INFINITY;
    for (i, &e) in err.iter().enumerate() {
        let order = i + 1;
        let bps = if e > 0.0 {
            (0.5 * (scale * e).ln() / std::f64::consts::LN_2).max(0.0)
        } else if e < 0.0 {
            1e32
        } else {
            0.0
        };
        let bits = bps * (n.saturating_sub(order)) as f64 + (order as u32 * overhead_per_order) as f64;
        if bits < best_bits {
            best = order;
            best_bits = bits;
        }
    }
    best
}

/// Quantises predictor coefficients to `precision` bits (sign included) with
/// error feedback, as libFLAC does. Returns the shift, or `None` when the
/// coefficients are unusable (all zero, not finite, or needing a negative shift).
pub(crate) fn quantize(lp: &[f64], precision: u32, q: &mut [i32]) -> Option<u32> {
    let p = precision.checked_sub(1)?;
    let qmax = (1i32 << p) - 1;
    let qmin = -(1i32 << p);
    let cmax = lp.iter().fold(0.0f64, |m, c| m.max(c.abs()));
    if !cmax.is_finite() || cmax <= 0.0 {
        return None;
    }
    let exp = ((cmax.to_bits() >> 52) & 0x7ff) as i32;
    let log2cmax = if exp == 0 { -1023 } else { exp - 1023 };
    let shift = (p as i32 - log2cmax - 1).min(15);
    if shift < 0 {
        return None;
    }
    let scale = (1u32 << shift) as f64;
    let mut error = 0.0f64;
    for (c, out) in lp.iter().zip(q.iter_mut()) {
        error += c * scale;
        let v = (error.round() as i64).clamp(i64::from(qmin), i64::from(qmax)) as i32;
        error -= f64::from(v);
        *out = v;
    }
    Some(shift as u32)
}

/// Sums of |residual| of the FIXED predictors of orders 0..=4 over `x[4..]`
/// (as libFLAC compares them): the order with the smallest, and that sum.
/// `x` must hold more than 4 samples.
#[inline(always)]
pub(crate) fn best_fixed_order(x: &[i32]) -> (usize, u64) {
    let mut s = [0u64; 5];
    if x.len() <= 4 {
        return (0, u64::MAX);
    }
    let mut l1 = i64::from(x[3]);
    let mut l2 = l1 - i64::from(x[2]);
    let mut l3 = l2 - (i64::from(x[2]) - i64::from(x[1]));
    let mut l4 = l3 - ((i64::from(x[2]) - i64::from(x[1])) - (i64::from(x[1]) - i64::from(x[0])));
    for &v in &x[4..] {
        let e0 = i64::from(v);
        let e1 = e0 - l1;
        let e2 = e1 - l2;
        let e3 = e2 - l3;
        let e4 = e3 - l4;
        s[0] += e0.unsigned_abs();
        s[1] += e1.unsigned_abs();
        s[2] += e2.unsigned_abs();
        s[3] += e3.unsigned_abs();
        s[4] += e4.unsigned_abs();
        l1 = e0;
        l2 = e1;
        l3 = e2;
        l4 = e3;
    }
    let mut best = 0;
    for o in 1..5 {
        if s[o] < s[best] {
            best = o;
        }
    }
    (best, s[best])
}

#[inline(always)]
fn fits(r: i64) -> bool {
    r > i64::from(i32::MIN) && r <= i64::from(i32::MAX)
}

/// FIXED residual of `order` (0..=4) into `res[order..x.len()]`. False when a
/// residual does not fit in 32 bits.
#[inline(always)]
pub(crate) fn fixed_residual(x: &[i32], order: usize, res: &mut [i32]) -> bool {
    let n = x.len();
    if order > 4 || order > n || res.len() < n {
        return false;
    }
    let mut ok = true;
    let out = &mut res[order..n];
    match order {
        0 => out.copy_from_slice(x),
        1 => {
            for (r, w) in out.iter_mut().zip(x.windows(2)) {
                let v = i64::from(w[1]) - i64::from(w[0]);
                ok &= fits(v);
                *r = v as i32;
            }
        }
        2 => {
            for (r, w) in out.iter_mut().zip(x.windows(3)) {
                let v = i64::from(w[2]) - 2 * i64::from(w[1]) + i64::from(w[0]);
                ok &= fits(v);
                *r = v as i32;
            }
        }
        3 => {
            for (r, w) in out.iter_mut().zip(x.windows(4)) {
                let v = i64::from(w[3]) - 3 * i64::from(w[2]) + 3 * i64::from(w[1]) - i64::from(w[0]);
                ok &= fits(v);
                *r = v as i32;
            }
        }
        _ => {
            for (r, w) in out.iter_mut().zip(x.windows(5)) {
                let v =
                    i64::from(w[4]) - 4 * i64::from(w[3]) + 6 * i64::from(w[2]) - 4 * i64::from(w[1]) + i64::from(w[0]);
                ok &= fits(v);
                *r = v as i32;
            }
        }
    }
    ok
}

#[inline(always)]
fn lpc_narrow<const N: usize>(x: &[i32], q: &[i32], shift: u32, res: &mut [i32]) {
    let mut c = [0i32; N];
    c.copy_from_slice(&q[..N]);
    let n = x.len();
    for i in N..n {
        let mut s = 0i32;
        for j in 0..N {
            s = s.wrapping_add(c[j].wrapping_mul(x[i - 1 - j]));
        }
        res[i] = x[i].wrapping_sub(s >> shift);
    }
}

#[inline(always)]
fn lpc_wide<const N: usize>(x: &[i32], q: &[i32], shift: u32, res: &mut [i32]) -> bool {
    let mut c = [0i64; N];
    for (d, s) in c.iter_mut().zip(q) {
        *d = i64::from(*s);
    }
    let n = x.len();
    let mut ok = true;
    for i in N..n {
        let mut s = 0i64;
        for j in 0..N {
            s += c[j] * i64::from(x[i - 1 - j]);
        }
        let p = s >> shift;
        let r = i64::from(x[i]) - p;
        // Decoders that add a 32-bit prediction need it to fit too.
        ok &= fits(r) & fits(p);
        res[i] = r as i32;
    }
    ok
}

/// LPC residual of the quantised predictor `q` (order `q.len()`, 1..=32)
/// into `res[order..x.len()]`. `bps` is the signal's bit depth and
/// `precision` the coefficients'. False when a residual does not fit in 32 bits.
#[inline(always)]
pub(crate) fn lpc_residual(x: &[i32], q: &[i32], precision: u32, shift: u32, bps: u32, res: &mut [i32]) -> bool {
    let order = q.len();
    if order == 0 || order > 32 || order >= x.len() || res.len() < x.len() || shift > 31 {
        return false;
    }
    // The 32-bit path is exact when no partial sum can overflow and the
    // shifted prediction plus the sample cannot either.
    let ilog2 = 31 - (order as u32).leading_zeros();
    if bps + precision + ilog2 <= 32 && shift >= 1 && bps <= 30 {
        macro_rules! narrow {
            ($($n:literal)*) => {
                match order {
                    $($n => lpc_narrow::<$n>(x, q, shift, res),)*
                    _ => return lpc_wide_dyn(x, q, shift, res),
                }
            };
        }
        narrow!(1 2 3 4 5 6 7 8 9 10 11 12);
        true
    } else {
        macro_rules! wide {
            ($($n:literal)*) => {
                match order {
                    $($n => lpc_wide::<$n>(x, q, shift, res),)*
                    _ => lpc_wide_dyn(x, q, shift, res),
                }
            };
        }
        wide!(1 2 3 4 5 6 7 8)
    }
}

fn lpc_wide_dyn(x: &[i32], q: &[i32], shift: u32, res: &mut [i32]) -> bool {
    let order = q.len();
    let mut ok = true;
    for i in order..x.len() {
        let mut s = 0i64;
        for (j, c) in q.iter().enumerate() {
            s += i64::from(*c) * i64::from(x[i - 1 - j]);
        }
        let p = s >> shift;
        let r = i64::from(x[i]) - p;
        // Decoders that add a 32-bit prediction need it to fit too.
        ok &= fits(r) & fits(p);
        res[i] = r as i32;
    }
    ok
}

/// How a residual is Rice-coded: partition order, 4- or 5-bit parameters,
/// and each partition's parameter ([`ESCAPE`] for raw binary with
/// `raw_bits[p]` bits per sample).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RicePlan {
    /// Partition order.
    pub order: u32,
    /// 5-bit parameters (RICE2) instead of 4-bit.
    pub rice2: bool,
    /// Per-partition Rice parameter or [`ESCAPE`].
    pub params: [u8; MAX_PARTITIONS],
    /// Per-partition raw width for escaped partitions.
    pub raw_bits: [u8; MAX_PARTITIONS],
    /// Estimated bits of the whole residual section, headers included.
    pub bits: u64,
}

impl Default for RicePlan {
    fn default() -> Self {
        RicePlan { order: 0, rice2: false, params: [0; MAX_PARTITIONS], raw_bits: [0; MAX_PARTITIONS], bits: 0 }
    }
}

#[inline(always)]
fn fold(r: i32) -> u32 {
    ((r << 1) ^ (r >> 31)) as u32
}

/// Best Rice parameter for `n` folded values summing to `sum`, and its estimated cost.
#[inline(always)]
fn best_param(n: u64, sum: u64) -> (u32, u64) {
    if n == 0 {
        return (0, 0);
    }
    let mean = sum / n;
    let k0 = if mean == 0 { 0 } else { 63 - mean.leading_zeros() };
    let mut best = (0u32, u64::MAX);
    for k in k0.saturating_sub(1)..=(k0 + 1).min(30) {
        // Σ⌊u/2^k⌋ is about S/2^k less half a unit per sample for k > 0.
        let cost = n * u64::from(k + 1) + (sum >> k) - if k > 0 { (n * ((1 << k) - 1)) >> (k + 1) } else { 0 };
        if cost < best.1 {
            best = (k, cost);
        }
    }
    best
}

/// Estimated Rice bits of `n` residuals whose magnitudes sum to `abs_sum`,
/// coded as one partition.
pub(crate) fn estimate_bits(n: u64, abs_sum: u64) -> u64 {
    best_param(n, abs_sum.saturating_mul(2)).1
}

/// Chooses partition order and parameters for the residual of a block of
/// `block_len` samples whose first `pred_order` are warm-up (the residual
/// is `res[pred_order..block_len]`).
#[inline(always)]
pub(crate) fn plan_rice(res: &[i32], block_len: usize, pred_order: usize, plan: &mut RicePlan) {
    // Highest order the block divides into with every partition longer than the warm-up.
    let mut max_order = 0u32;
    while max_order < MAX_PARTITION_ORDER
        && block_len % (1usize << (max_order + 1)) == 0
        && (block_len >> (max_order + 1)) > pred_order
    {
        max_order += 1;
    }
    let parts = 1usize << max_order;
    let psize = block_len >> max_order;
    let mut sums = [0u64; MAX_PARTITIONS];
    let mut ors = [0u32; MAX_PARTITIONS];
    for p in 0..parts {
        let start = if p == 0 { pred_order } else { p * psize };
        let end = (p + 1) * psize;
        let (mut s, mut o) = (0u64, 0u32);
        for &r in &res[start..end] {
            let u = fold(r);
            s += u64::from(u);
            o |= u;
        }
        sums[p] = s;
        ors[p] = o;
    }
    let mut best_bits = u64::MAX;
    let mut order = max_order;
    loop {
        let parts = 1usize << order;
        let psize = block_len >> order;
        let mut total = 0u64;
        let mut max_k = 0u32;
        let mut params = [0u8; MAX_PARTITIONS];
        let mut raw = [0u8; MAX_PARTITIONS];
        for p in 0..parts {
            let n = (if p == 0 { psize - pred_order } else { psize }) as u64;
            let (k, cost) = best_param(n, sums[p]);
            let width = (32 - ors[p].leading_zeros()).max(1);
            let esc_cost = 5 + n * u64::from(width);
            if width <= 31 && esc_cost < cost {
                params[p] = ESCAPE;
                raw[p] = width as u8;
                total += esc_cost;
            } else {
                params[p] = k as u8;
                max_k = max_k.max(k);
                total += cost;
            }
        }
        let rice2 = max_k > 14;
        total += parts as u64 * if rice2 { 5 } else { 4 } + 6;
        if total < best_bits {
            best_bits = total;
            plan.order = order;
            plan.rice2 = rice2;
            plan.params = params;
            plan.raw_bits = raw;
            plan.bits = total;
        }
        if order == 0 {
            break;
        }
        // Merge pairs for the next lower order.
        for p in 0..parts / 2 {
            sums[p] = sums[2 * p] + sums[2 * p + 1];
            ors[p] = ors[2 * p] | ors[2 * p + 1];
        }
        order -= 1;
    }
    refine(res, block_len, pred_order, plan);
}

/// Replaces the estimated costs of the chosen partitioning by exact ones,
/// trying each Rice partition's parameter and its two neighbours.
#[inline(always)]
fn refine(res: &[i32], block_len: usize, pred_order: usize, plan: &mut RicePlan) {
    let parts = 1usize << plan.order;
    let psize = block_len >> plan.order;
    let mut total = 6u64;
    let mut max_k = 0u32;
    for p in 0..parts {
        let start = if p == 0 { pred_order } else { p * psize };
        let part = &res[start..(p + 1) * psize];
        let n = part.len() as u64;
        if plan.params[p] == ESCAPE {
            total += 5 + n * u64::from(plan.raw_bits[p]);
            continue;
        }
        let k = u32::from(plan.params[p]);
        let lo = k.saturating_sub(1);
        let (mut s0, mut s1, mut s2) = (0u64, 0u64, 0u64);
        for &r in part {
            let u = fold(r);
            s0 += u64::from(u >> lo);
            s1 += u64::from(u >> (lo + 1));
            s2 += u64::from(u >> (lo + 2));
        }
        let mut best = (lo, s0 + n * u64::from(lo + 1));
        for (kk, q) in [(lo + 1, s1), (lo + 2, s2)] {
            let c = q + n * u64::from(kk + 1);
            if kk <= 30 && c < best.1 {
                best = (kk, c);
            }
        }
        plan.params[p] = best.0 as u8;
        max_k = max_k.max(best.0);
        total += best.1;
    }
    plan.rice2 = max_k > 14;
    total += parts as u64 * if plan.rice2 { 5 } else { 4 };
    plan.bits = total;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_and_lpc_agree_on_a_ramp() {
        let x: Vec<i32> = (0..64).map(|i| i * 3 - 50).collect();
        let mut r = vec![0; 64];
        assert!(fixed_residual(&x, 2, &mut r));
        assert!(r[2..].iter().all(|&v| v == 0));
        assert_eq!(best_fixed_order(&x), (2, 0));
        // 2*x[i-1] - x[i-2] with precision 4, shift 1: coefficients 4, -2.
        assert!(lpc_residual(&x, &[4, -2], 4, 1, 16, &mut r));
        assert!(r[2..].iter().all(|&v| v == 0));
    }

    #[test]
    fn quantize_matches_libflac_rule() {
        let mut q = [0; 2];
        let s = quantize(&[1.9, -0.95], 12, &mut q).unwrap();
        // cmax 1.9 → log2cmax 0 → shift = 11 - 0 - 1 = 10
        assert_eq!(s, 10);
        assert_eq!(q, [(1.9f64 * 1024.0).round() as i32, -973]);
    }
}
