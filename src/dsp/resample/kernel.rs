//! Inner loops of the resampler: dot products of a window of deinterleaved
//! input with one filter phase, written so the compiler vectorises them
//! (fixed-width lane arrays, `chunks_exact`, several accumulators), with an
//! AVX2+FMA build of the same code picked at run time on x86_64. Pure
//! arithmetic on borrowed slices: no allocation, no state of its own.

/// Accumulator lanes per channel; filter lengths are padded to a multiple.
pub(super) const LANES: usize = 16;

/// Which build of the loops to run, chosen once per resampler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Isa {
    /// Plain Rust (SSE2 on x86_64; NEON with fused multiply-add on aarch64).
    Portable,
    /// x86_64 with AVX2 and FMA, detected at run time.
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
}

impl Isa {
    /// The best build this CPU runs.
    pub(super) fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                return Isa::Avx2Fma;
            }
        }
        Isa::Portable
    }
}

/// aarch64 always has fused multiply-add; elsewhere the portable build must not
/// call the (slow, software) `fmaf`.
const PORTABLE_FMA: bool = cfg!(target_arch = "aarch64");

/// Where the loops are: buffer offset of the next window, position in the
/// L-cycle (exact banks) and phase numerator `k·M mod L` (interpolated banks).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Cursor {
    pub off: usize,
    pub kk: usize,
    pub ph: u64,
}

/// The input windows: `channels` planes of `cap` frames each in `buf`.
#[derive(Clone, Copy)]
pub(super) struct Planes<'a> {
    pub buf: &'a [f32],
    pub cap: usize,
    pub channels: usize,
    pub taps: usize,
}

/// A bank with one phase per output position in the L-cycle.
#[derive(Clone, Copy)]
pub(super) struct Exact<'a> {
    /// `l × taps` coefficients, phase of output position `kk` at `kk·taps`.
    pub coefs: &'a [f32],
    /// Input frames to advance after output position `kk`.
    pub step: &'a [u32],
}

/// A bank of `phases` intervals, each a quadratic in the fractional position:
/// `[c0 | c1 | c2]` of `taps` each.
#[derive(Clone, Copy)]
pub(super) struct Interp<'a> {
    pub coefs: &'a [f32],
    pub phases: usize,
    pub l: u64,
    pub m: u64,
}

/// Fills `out` (whole frames) from an exact bank.
pub(super) fn run_exact(isa: Isa, p: Planes, b: Exact, cur: &mut Cursor, out: &mut [f32]) {
    match isa {
        Isa::Portable => exact_impl::<PORTABLE_FMA>(p, b, cur, out),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: Avx2Fma is only chosen by `Isa::detect` after run-time detection of both features.
        Isa::Avx2Fma => unsafe { exact_avx2(p, b, cur, out) },
    }
}

/// Fills `out` (whole frames) from an interpolated bank.
pub(super) fn run_interp(isa: Isa, p: Planes, b: Interp, cur: &mut Cursor, out: &mut [f32]) {
    match isa {
        Isa::Portable => interp_impl::<PORTABLE_FMA>(p, b, cur, out),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, the features were detected at run time.
        Isa::Avx2Fma => unsafe { interp_avx2(p, b, cur, out) },
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn exact_avx2(p: Planes, b: Exact, cur: &mut Cursor, out: &mut [f32]) {
    exact_impl::<true>(p, b, cur, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn interp_avx2(p: Planes, b: Interp, cur: &mut Cursor, out: &mut [f32]) {
    interp_impl::<true>(p, b, cur, out)
}

#[inline(always)]
fn exact_impl<const FMA: bool>(p: Planes, b: Exact, cur: &mut Cursor, out: &mut [f32]) {
    match p.channels {
        1 => exact_loop::<FMA, 1>(p, b, cur, out),
        2 => exact_loop::<FMA, 2>(p, b, cur, out),
        _ => exact_loop::<FMA, 0>(p, b, cur, out),
    }
}

#[inline(always)]
fn exact_loop<const FMA: bool, const C: usize>(p: Planes, b: Exact, cur: &mut Cursor, out: &mut [f32]) {
    let t = p.taps;
    let l = b.step.len();
    let (mut off, mut kk) = (cur.off, cur.kk);
    for frame in out.chunks_exact_mut(p.channels) {
        let h = &b.coefs[kk * t..kk * t + t];
        if C == 2 {
            let x1 = p.cap + off;
            let (y0, y1) = dot2::<FMA>(&p.buf[off..off + t], &p.buf[x1..x1 + t], h);
            frame[0] = y0;
            frame[1] = y1;
        } else {
            for (c, y) in frame.iter_mut().enumerate() {
                let s = c * p.cap + off;
                *y = dot1::<FMA>(&p.buf[s..s + t], h);
            }
        }
        off += b.step[kk] as usize;
        kk += 1;
        if kk == l {
            kk = 0;
        }
    }
    cur.off = off;
    cur.kk = kk;
}

#[inline(always)]
fn interp_impl<const FMA: bool>(p: Planes, b: Interp, cur: &mut Cursor, out: &mut [f32]) {
    let t = p.taps;
    let scale = b.phases as f64 / b.l as f64;
    let (mut off, mut ph) = (cur.off, cur.ph);
    for frame in out.chunks_exact_mut(p.channels) {
        let pos = ph as f64 * scale;
        let i = (pos as usize).min(b.phases - 1);
        let u = pos - i as f64;
        let h = &b.coefs[i * 3 * t..(i + 1) * 3 * t];
        let (h0, rest) = h.split_at(t);
        let (h1, h2) = rest.split_at(t);
        for (c, y) in frame.iter_mut().enumerate() {
            let s = c * p.cap + off;
            let (a0, a1, a2) = dot3::<FMA>(&p.buf[s..s + t], h0, h1, h2);
            *y = (a0 as f64 + u * (a1 as f64 + u * a2 as f64)) as f32;
        }
        ph += b.m;
        let adv = ph / b.l;
        ph -= adv * b.l;
        off += adv as usize;
    }
    cur.off = off;
    cur.ph = ph;
}

#[inline(always)]
fn fmadd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Pairwise sum of the lanes, always in the same order.
#[inline(always)]
fn hsum(acc: &[f32; LANES]) -> f32 {
    let mut s = [0f32; 8];
    for j in 0..LANES / 8 {
        for i in 0..8 {
            s[i] += acc[j * 8 + i];
        }
    }
    let a = [s[0] + s[4], s[1] + s[5], s[2] + s[6], s[3] + s[7]];
    (a[0] + a[2]) + (a[1] + a[3])
}

#[inline(always)]
fn dot1<const FMA: bool>(x: &[f32], h: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    for (xs, hs) in x.chunks_exact(LANES).zip(h.chunks_exact(LANES)) {
        for i in 0..LANES {
            acc[i] = fmadd::<FMA>(xs[i], hs[i], acc[i]);
        }
    }
    hsum(&acc)
}

/// Two channels against one phase: the same operations as [`dot1`] per
/// channel (so stereo equals two mono runs bit for bit), sharing the loads of `h`.
#[inline(always)]
fn dot2<const FMA: bool>(x0: &[f32], x1: &[f32], h: &[f32]) -> (f32, f32) {
    let mut a0 = [0f32; LANES];
    let mut a1 = [0f32; LANES];
    for ((xs0, xs1), hs) in x0.chunks_exact(LANES).zip(x1.chunks_exact(LANES)).zip(h.chunks_exact(LANES)) {
        for i in 0..LANES {
            a0[i] = fmadd::<FMA>(xs0[i], hs[i], a0[i]);
            a1[i] = fmadd::<FMA>(xs1[i], hs[i], a1[i]);
        }
    }
    (hsum(&a0), hsum(&a1))
}

#[inline(always)]
fn dot3<const FMA: bool>(x: &[f32], h0: &[f32], h1: &[f32], h2: &[f32]) -> (f32, f32, f32) {
    let mut a0 = [0f32; LANES];
    let mut a1 = [0f32; LANES];
    let mut a2 = [0f32; LANES];
    let chunks =
        x.chunks_exact(LANES).zip(h0.chunks_exact(LANES)).zip(h1.chunks_exact(LANES)).zip(h2.chunks_exact(LANES));
    for (((xs, c0), c1), c2) in chunks {
        for i in 0..LANES {
            a0[i] = fmadd::<FMA>(xs[i], c0[i], a0[i]);
            a1[i] = fmadd::<FMA>(xs[i], c1[i], a1[i]);
            a2[i] = fmadd::<FMA>(xs[i], c2[i], a2[i]);
        }
    }
    (hsum(&a0), hsum(&a1), hsum(&a2))
}
