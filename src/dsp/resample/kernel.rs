//! Inner loops of the resampler: dot products of a window of deinterleaved
//! input with filter phases, written so the compiler vectorises them
//! (fixed-width lane arrays, `chunks_exact`, several accumulators), with an
//! explicit AVX2+FMA build picked at run time on x86_64 (AVX-512 intrinsics
//! need Rust 1.89, above the crate's MSRV; measured only ~6 % faster here). Consecutive outputs
//! of an exact bank are computed in pairs over one shared window so each
//! input load feeds two multiply-adds. Pure arithmetic on borrowed slices:
//! no allocation, no state of its own.

/// Accumulator lanes per output and channel; phase rows are padded to a multiple.
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
    /// Every build this CPU runs, the portable one first.
    #[cfg(test)]
    pub(super) fn available() -> Vec<Isa> {
        #[allow(unused_mut)]
        let mut v = vec![Isa::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                v.push(Isa::Avx2Fma);
            }
        }
        v
    }

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

/// Where the loops are: buffer offset of input `n_k − half + 1` for the next
/// output k, its position in the bank's cycle (exact banks) and the phase
/// numerator `k·M mod L` (interpolated banks).
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

/// A bank with one row per output position in an even cycle of outputs.
/// The row of an odd position starts `shift` frames before its own window, at
/// its even partner's, so a pair shares one window.
#[derive(Clone, Copy)]
pub(super) struct Exact<'a> {
    /// `cycle × taps` coefficients.
    pub coefs: &'a [f32],
    /// Input frames to advance after each output position.
    pub step: &'a [u32],
    /// How far before `n_k − half + 1` each row's window starts.
    pub shift: &'a [u32],
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
        Isa::Portable => exact_with::<Portable<PORTABLE_FMA>>(p, b, cur, out),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: Avx2Fma is only chosen by `Isa::detect` after run-time detection of both features.
        Isa::Avx2Fma => unsafe { exact_avx2(p, b, cur, out) },
    }
}

/// Fills `out` (whole frames) from an interpolated bank.
pub(super) fn run_interp(isa: Isa, p: Planes, b: Interp, cur: &mut Cursor, out: &mut [f32]) {
    match isa {
        Isa::Portable => interp_with::<Portable<PORTABLE_FMA>>(p, b, cur, out),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, the features were detected at run time.
        Isa::Avx2Fma => unsafe { interp_avx2(p, b, cur, out) },
    }
}

/// # Safety
/// The CPU must have AVX2 and FMA (what [`Isa::Avx2Fma`] means).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn exact_avx2(p: Planes, b: Exact, cur: &mut Cursor, out: &mut [f32]) {
    exact_with::<avx2::Avx2>(p, b, cur, out)
}

/// # Safety
/// The CPU must have AVX2 and FMA (what [`Isa::Avx2Fma`] means).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn interp_avx2(p: Planes, b: Interp, cur: &mut Cursor, out: &mut [f32]) {
    interp_with::<avx2::Avx2>(p, b, cur, out)
}

/// Dot products of a window of `taps` samples (a multiple of [`LANES`]) with
/// phase rows. Every method computes each (output, channel) value with exactly
/// the operations of [`Dot::dot1`], so pairing and channel count never change bits.
trait Dot {
    fn dot1(x: &[f32], h: &[f32]) -> f32;
    /// Two rows against one window.
    fn pair1(x: &[f32], ha: &[f32], hb: &[f32]) -> (f32, f32);
    /// Two rows against two channels' windows: (a0, a1, b0, b1).
    fn pair2(x0: &[f32], x1: &[f32], ha: &[f32], hb: &[f32]) -> [f32; 4];
    fn dot3(x: &[f32], h0: &[f32], h1: &[f32], h2: &[f32]) -> (f32, f32, f32);
}

#[inline(always)]
fn exact_with<D: Dot>(p: Planes, b: Exact, cur: &mut Cursor, out: &mut [f32]) {
    match p.channels {
        1 => exact_loop::<D, 1>(p, b, cur, out),
        2 => exact_loop::<D, 2>(p, b, cur, out),
        _ => exact_loop::<D, 0>(p, b, cur, out),
    }
}

#[inline(always)]
fn exact_loop<D: Dot, const C: usize>(p: Planes, b: Exact, cur: &mut Cursor, out: &mut [f32]) {
    let t = p.taps;
    let ch = p.channels;
    let cycle = b.step.len();
    let (mut off, mut kk) = (cur.off, cur.kk);
    let mut rest = out;
    while !rest.is_empty() {
        let row = |k: usize| &b.coefs[k * t..k * t + t];
        let w = off - b.shift[kk] as usize;
        if kk % 2 == 0 && rest.len() >= 2 * ch {
            // kk is even and the cycle is even, so kk + 1 is in the cycle; its row shares window w.
            let (ha, hb) = (row(kk), row(kk + 1));
            let (frames, tail) = rest.split_at_mut(2 * ch);
            if C == 2 {
                let x1 = p.cap + w;
                let y = D::pair2(&p.buf[w..w + t], &p.buf[x1..x1 + t], ha, hb);
                frames.copy_from_slice(&[y[0], y[1], y[2], y[3]]);
            } else {
                for c in 0..ch {
                    let s = c * p.cap + w;
                    let (ya, yb) = D::pair1(&p.buf[s..s + t], ha, hb);
                    frames[c] = ya;
                    frames[ch + c] = yb;
                }
            }
            off += (b.step[kk] + b.step[kk + 1]) as usize;
            kk += 2;
            rest = tail;
        } else {
            let h = row(kk);
            let (frame, tail) = rest.split_at_mut(ch);
            for (c, y) in frame.iter_mut().enumerate() {
                let s = c * p.cap + w;
                *y = D::dot1(&p.buf[s..s + t], h);
            }
            off += b.step[kk] as usize;
            kk += 1;
            rest = tail;
        }
        if kk >= cycle {
            kk -= cycle;
        }
    }
    cur.off = off;
    cur.kk = kk;
}

#[inline(always)]
fn interp_with<D: Dot>(p: Planes, b: Interp, cur: &mut Cursor, out: &mut [f32]) {
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
            let (a0, a1, a2) = D::dot3(&p.buf[s..s + t], h0, h1, h2);
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

/// Plain Rust, auto-vectorised; `FMA` fuses multiply-adds (aarch64).
struct Portable<const FMA: bool>;

impl<const FMA: bool> Dot for Portable<FMA> {
    #[inline(always)]
    fn dot1(x: &[f32], h: &[f32]) -> f32 {
        let mut acc = [0f32; LANES];
        for (xs, hs) in x.chunks_exact(LANES).zip(h.chunks_exact(LANES)) {
            for i in 0..LANES {
                acc[i] = fmadd::<FMA>(xs[i], hs[i], acc[i]);
            }
        }
        hsum(&acc)
    }

    #[inline(always)]
    fn pair1(x: &[f32], ha: &[f32], hb: &[f32]) -> (f32, f32) {
        (Self::dot1(x, ha), Self::dot1(x, hb))
    }

    #[inline(always)]
    fn pair2(x0: &[f32], x1: &[f32], ha: &[f32], hb: &[f32]) -> [f32; 4] {
        [Self::dot1(x0, ha), Self::dot1(x1, ha), Self::dot1(x0, hb), Self::dot1(x1, hb)]
    }

    #[inline(always)]
    fn dot3(x: &[f32], h0: &[f32], h1: &[f32], h2: &[f32]) -> (f32, f32, f32) {
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

/// AVX2 + FMA with explicit 256-bit vectors: two accumulators per output and
/// channel, up to eight in flight for a stereo pair.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{Dot, LANES};

    pub(super) struct Avx2;

    const _: () = assert!(LANES == 16);

    // # Safety, for the four helpers below: they are inlined only into
    // `#[target_feature(enable = "avx2,fma")]` callers, so the CPU has the
    // features; `load` (and `fma2` through it) also needs `x` to hold at
    // least `i + 8` elements.

    /// Eight floats at `x[i..]`. Only inlined into `avx2,fma` callers.
    #[inline(always)]
    unsafe fn load(x: &[f32], i: usize) -> __m256 {
        // SAFETY (caller): x has at least i + 8 elements.
        _mm256_loadu_ps(x.as_ptr().add(i))
    }

    /// The sum of the sixteen lanes of `a`.
    #[inline(always)]
    unsafe fn reduce(a: [__m256; 2]) -> f32 {
        let v = _mm256_add_ps(a[0], a[1]);
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps::<1>(s, s)))
    }

    /// `[reduce(a), reduce(b), reduce(c), reduce(d)]` with the same
    /// additions in the same order (so the same bits), four at a time:
    /// halves folded (lane i + lane i+4), then lanes i + i+2, then i + i+1.
    #[inline(always)]
    unsafe fn reduce4(a: [__m256; 2], b: [__m256; 2], c: [__m256; 2], d: [__m256; 2]) -> [f32; 4] {
        let (a, b) = (_mm256_add_ps(a[0], a[1]), _mm256_add_ps(b[0], b[1]));
        let (c, d) = (_mm256_add_ps(c[0], c[1]), _mm256_add_ps(d[0], d[1]));
        // [a0+a4 .. a3+a7 | b0+b4 .. b3+b7] and the same for c, d.
        let p = _mm256_add_ps(_mm256_permute2f128_ps::<0x20>(a, b), _mm256_permute2f128_ps::<0x31>(a, b));
        let q = _mm256_add_ps(_mm256_permute2f128_ps::<0x20>(c, d), _mm256_permute2f128_ps::<0x31>(c, d));
        // Per half: [p0+p2, p1+p3, q0+q2, q1+q3].
        let s = _mm256_add_ps(_mm256_shuffle_ps::<0b0100_0100>(p, q), _mm256_shuffle_ps::<0b1110_1110>(p, q));
        // Per half: [s0+s1, s2+s3, ..]: [a, c, a, c | b, d, b, d].
        let r = _mm256_add_ps(_mm256_shuffle_ps::<0b1000_1000>(s, s), _mm256_shuffle_ps::<0b1101_1101>(s, s));
        let v = _mm_unpacklo_ps(_mm256_castps256_ps128(r), _mm256_extractf128_ps::<1>(r));
        let mut out = [0f32; 4];
        _mm_storeu_ps(out.as_mut_ptr(), v);
        out
    }

    /// `acc += x[..16] * h[..16]`, lane by lane (both hold at least 16).
    #[inline(always)]
    unsafe fn fma2(x: &[f32], h: &[f32], acc: &mut [__m256; 2]) {
        acc[0] = _mm256_fmadd_ps(load(x, 0), load(h, 0), acc[0]);
        acc[1] = _mm256_fmadd_ps(load(x, 8), load(h, 8), acc[1]);
    }

    // SAFETY for every method: `chunks_exact(LANES)` yields 16-element chunks,
    // so the loads at 0 and 8 are in bounds; the CPU features were detected
    // before any caller could reach these (they are inlined only into
    // `#[target_feature(enable = "avx2,fma")]` functions).
    impl Dot for Avx2 {
        #[inline(always)]
        fn dot1(x: &[f32], h: &[f32]) -> f32 {
            // SAFETY: as for every method here (above the impl): 16-element
            // chunks, features detected.
            unsafe {
                let mut a = [_mm256_setzero_ps(); 2];
                for (xs, hs) in x.chunks_exact(LANES).zip(h.chunks_exact(LANES)) {
                    fma2(xs, hs, &mut a);
                }
                reduce(a)
            }
        }

        #[inline(always)]
        fn pair1(x: &[f32], ha: &[f32], hb: &[f32]) -> (f32, f32) {
            // SAFETY: as for every method here (above the impl): 16-element
            // chunks, features detected.
            unsafe {
                let z = _mm256_setzero_ps();
                let (mut a, mut b) = ([z; 2], [z; 2]);
                for ((xs, ca), cb) in x.chunks_exact(LANES).zip(ha.chunks_exact(LANES)).zip(hb.chunks_exact(LANES)) {
                    let (x0, x1) = (load(xs, 0), load(xs, 8));
                    a[0] = _mm256_fmadd_ps(x0, load(ca, 0), a[0]);
                    a[1] = _mm256_fmadd_ps(x1, load(ca, 8), a[1]);
                    b[0] = _mm256_fmadd_ps(x0, load(cb, 0), b[0]);
                    b[1] = _mm256_fmadd_ps(x1, load(cb, 8), b[1]);
                }
                (reduce(a), reduce(b))
            }
        }

        #[inline(always)]
        fn pair2(x0: &[f32], x1: &[f32], ha: &[f32], hb: &[f32]) -> [f32; 4] {
            // SAFETY: as for every method here (above the impl): 16-element
            // chunks, features detected.
            unsafe {
                let z = _mm256_setzero_ps();
                let (mut a0, mut a1, mut b0, mut b1) = ([z; 2], [z; 2], [z; 2], [z; 2]);
                let chunks = x0
                    .chunks_exact(LANES)
                    .zip(x1.chunks_exact(LANES))
                    .zip(ha.chunks_exact(LANES))
                    .zip(hb.chunks_exact(LANES));
                for (((s0, s1), ca), cb) in chunks {
                    for j in 0..2 {
                        let (u, v) = (load(s0, 8 * j), load(s1, 8 * j));
                        let (p, q) = (load(ca, 8 * j), load(cb, 8 * j));
                        a0[j] = _mm256_fmadd_ps(u, p, a0[j]);
                        a1[j] = _mm256_fmadd_ps(v, p, a1[j]);
                        b0[j] = _mm256_fmadd_ps(u, q, b0[j]);
                        b1[j] = _mm256_fmadd_ps(v, q, b1[j]);
                    }
                }
                reduce4(a0, a1, b0, b1)
            }
        }

        #[inline(always)]
        fn dot3(x: &[f32], h0: &[f32], h1: &[f32], h2: &[f32]) -> (f32, f32, f32) {
            // SAFETY: as for every method here (above the impl): 16-element
            // chunks, features detected.
            unsafe {
                let z = _mm256_setzero_ps();
                let (mut a, mut b, mut c) = ([z; 2], [z; 2], [z; 2]);
                let chunks = x
                    .chunks_exact(LANES)
                    .zip(h0.chunks_exact(LANES))
                    .zip(h1.chunks_exact(LANES))
                    .zip(h2.chunks_exact(LANES));
                for (((xs, c0), c1), c2) in chunks {
                    for j in 0..2 {
                        let xv = load(xs, 8 * j);
                        a[j] = _mm256_fmadd_ps(xv, load(c0, 8 * j), a[j]);
                        b[j] = _mm256_fmadd_ps(xv, load(c1, 8 * j), b[j]);
                        c[j] = _mm256_fmadd_ps(xv, load(c2, 8 * j), c[j]);
                    }
                }
                (reduce(a), reduce(b), reduce(c))
            }
        }
    }
}
