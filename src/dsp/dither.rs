//! Bit-depth reduction: float samples to integers of N bits, with TPDF dither
//! (on by default) so that the quantisation error is noise independent of the
//! signal rather than distortion.
//!
//! The dither comes from eight interleaved xorshift32* generators, one draw
//! (two 16-bit uniforms) per sample, so the loop is branch-free and
//! vectorises; sample `i` of a stream always takes lane `i mod 8` of draw
//! `i / 8`, so the output does not depend on how the stream is cut into
//! calls. Depths up to 16 bits are computed in f32 (exact: the scaled sample
//! has at most 24 significant bits and the dither 16), deeper ones in f64.
//! Pure arithmetic: no allocation, no I/O.

use crate::format::round_to_i32;

/// Interleaved generators (one vector of 32-bit lanes).
const LANES: usize = 8;

/// Turns f32 samples in [-1, 1) into right-justified integers of `bits` bits
/// (the scale of [`crate::format::f32_to_int`]), with or without triangular
/// (TPDF) dither of ±1 LSB peak.
#[derive(Debug, Clone)]
pub struct Quantizer {
    bits: u32,
    dither: bool,
    scale: f64,
    min: i32,
    max: i32,
    /// Generator states, never 0.
    lanes: [u32; LANES],
    /// The current draw and how many of its lanes have been used (0..8).
    draw: [u32; LANES],
    used: usize,
}

/// Default seed of a new quantiser.
const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

impl Quantizer {
    /// A quantiser to `bits` (1..=32) bits; `dither` adds TPDF dither.
    pub fn new(bits: u32, dither: bool) -> Self {
        let bits = bits.clamp(1, 32);
        let scale = (1u64 << (bits - 1)) as f64;
        let max = ((1u64 << (bits - 1)) - 1) as i32;
        let mut q =
            Quantizer { bits, dither, scale, min: -max - 1, max, lanes: [1; LANES], draw: [0; LANES], used: LANES };
        q.reseed(SEED);
        q
    }

    /// Target bits.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Whether dither is added.
    pub fn dithers(&self) -> bool {
        self.dither
    }

    /// Restarts the dither sequence from `seed` (for reproducible output).
    pub fn reseed(&mut self, seed: u64) {
        // splitmix64 spreads the seed over the lanes.
        let mut z = seed;
        for lane in &mut self.lanes {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^= x >> 31;
            *lane = ((x >> 32) as u32 ^ x as u32).max(1);
        }
        self.used = LANES;
    }

    /// Quantises `input` into `out` (same length; extra elements are left alone).
    pub fn quantize(&mut self, input: &[f32], out: &mut [i32]) {
        let n = input.len().min(out.len());
        let (input, out) = (&input[..n], &mut out[..n]);
        let (scale, min, max) = (self.scale, self.min, self.max);
        if !self.dither {
            for (o, &x) in out.iter_mut().zip(input) {
                *o = round_to_i32(x as f64 * scale).clamp(min, max);
            }
            return;
        }
        // Finish the current draw one sample at a time.
        let head = (LANES - self.used).min(n);
        let (hi, hout) = (&input[..head], &mut out[..head]);
        for (o, &x) in hout.iter_mut().zip(hi) {
            *o = self.one(x);
        }
        let (input, out) = (&input[head..], &mut out[head..]);
        let whole = input.len() / LANES * LANES;
        let (body, tail) = input.split_at(whole);
        let (bout, tout) = out.split_at_mut(whole);
        run(self.bits <= 16, &mut self.lanes, (scale, min, max), body, bout);
        for (o, &x) in tout.iter_mut().zip(tail) {
            *o = self.one(x);
        }
    }

    /// One sample from the next lane of the current draw (a new draw when it is used up).
    fn one(&mut self, x: f32) -> i32 {
        if self.used >= LANES {
            let mut l = self.lanes;
            self.draw = step(&mut l);
            self.lanes = l;
            self.used = 0;
        }
        let r = self.draw[self.used % LANES];
        self.used += 1;
        let m = [r];
        let mut o = [0i32];
        if self.bits <= 16 {
            quant_f32(&m, (self.scale, self.min, self.max), &[x], &mut o);
        } else {
            quant_f64(&m, (self.scale, self.min, self.max), &[x], &mut o);
        }
        o[0]
    }
}

/// Advances every lane (xorshift32) and returns the scrambled outputs (×, the "*" of xorshift*).
#[inline(always)]
fn step(lanes: &mut [u32; LANES]) -> [u32; LANES] {
    let mut r = [0u32; LANES];
    for (s, r) in lanes.iter_mut().zip(&mut r) {
        *s ^= *s << 13;
        *s ^= *s >> 17;
        *s ^= *s << 5;
        *r = s.wrapping_mul(0x9E37_79BB);
    }
    r
}

/// TPDF dither in LSBs from one 32-bit draw: two 16-bit uniforms, summed and
/// centred, in (−1, 1).
#[inline(always)]
fn tpdf_units(r: u32) -> u32 {
    (r >> 16) + (r & 0xFFFF) + 1
}

/// `x·scale + dither` rounded to the nearest integer (ties to even) and
/// clamped, in f32. Exact for depths up to 16 bits.
#[inline(always)]
fn quant_f32(draw: &[u32], (scale, min, max): (f64, i32, i32), input: &[f32], out: &mut [i32]) {
    const MAGIC: f32 = 12_582_912.0; // 1.5·2²³: adding it rounds to an integer in the low mantissa bits
    let (s, lo, hi) = (scale as f32, min as f32, max as f32);
    for ((o, &x), &r) in out.iter_mut().zip(input).zip(draw) {
        let d = tpdf_units(r) as f32 * (1.0 / 65536.0) - 1.0;
        // max/min (not clamp) also map NaN to a bound.
        let v = (x * s + d).max(lo).min(hi);
        *o = ((v + MAGIC).to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    }
}

/// [`quant_f32`] in f64, for depths above 16 bits.
#[inline(always)]
fn quant_f64(draw: &[u32], (scale, min, max): (f64, i32, i32), input: &[f32], out: &mut [i32]) {
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5·2⁵²
    let (lo, hi) = (min as f64, max as f64);
    for ((o, &x), &r) in out.iter_mut().zip(input).zip(draw) {
        let d = tpdf_units(r) as f64 * (1.0 / 65536.0) - 1.0;
        let v = (x as f64 * scale + d).max(lo).min(hi);
        *o = ((v + MAGIC).to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64) as i32;
    }
}

/// Whole draws: `input.len()` is a multiple of [`LANES`].
fn run(narrow: bool, lanes: &mut [u32; LANES], q: (f64, i32, i32), input: &[f32], out: &mut [i32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 was detected at run time.
            return unsafe { run_avx2(narrow, lanes, q, input, out) };
        }
    }
    run_with(narrow, lanes, q, input, out)
}

/// [`run_with`] compiled for AVX2.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2(narrow: bool, lanes: &mut [u32; LANES], q: (f64, i32, i32), input: &[f32], out: &mut [i32]) {
    run_with(narrow, lanes, q, input, out)
}

#[inline(always)]
fn run_with(narrow: bool, lanes: &mut [u32; LANES], q: (f64, i32, i32), input: &[f32], out: &mut [i32]) {
    let mut l = *lanes;
    if narrow {
        for (xs, os) in input.chunks_exact(LANES).zip(out.chunks_exact_mut(LANES)) {
            let r = step(&mut l);
            quant_f32(&r, q, xs, os);
        }
    } else {
        for (xs, os) in input.chunks_exact(LANES).zip(out.chunks_exact_mut(LANES)) {
            let r = step(&mut l);
            quant_f64(&r, q, xs, os);
        }
    }
    *lanes = l;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_dither_it_rounds_and_clips_like_f32_to_int() {
        let mut q = Quantizer::new(16, false);
        let input = [0.0f32, 0.5, -1.0, 1.0, 2.0, -2.0, 1.0 / 65536.0, -0.25];
        let mut out = [0i32; 8];
        q.quantize(&input, &mut out);
        let expect: Vec<i32> = input.iter().map(|&x| crate::format::f32_to_int(x, 16)).collect();
        assert_eq!(out.to_vec(), expect);
        assert_eq!(out[3], 32767);
        assert_eq!(out[5], -32768);
    }

    /// TPDF dither makes the error's mean zero and its variance 1/4 LSB²
    /// (1/12 from rounding + 1/6 from the dither), whatever the signal.
    #[test]
    fn tpdf_error_statistics() {
        // 8 bits: the f32 path; 20 bits: the f64 path.
        for (bits, level) in [(8u32, 0.0f64), (8, 0.3), (8, 0.5), (8, 0.77), (20, 0.0), (20, 0.41)] {
            let mut q = Quantizer::new(bits, true);
            let lsb = 1.0 / (1u64 << (bits - 1)) as f64;
            let x = (level * lsb) as f32;
            let n = 200_000;
            let input = vec![x; n];
            let mut out = vec![0i32; n];
            q.quantize(&input, &mut out);
            let errs: Vec<f64> = out.iter().map(|&v| v as f64 - x as f64 / lsb).collect();
            let mean = errs.iter().sum::<f64>() / n as f64;
            let var = errs.iter().map(|e| (e - mean) * (e - mean)).sum::<f64>() / n as f64;
            assert!(mean.abs() < 0.01, "{bits} bits, level {level}: mean error {mean}");
            assert!((var - 0.25).abs() < 0.02, "{bits} bits, level {level}: error variance {var}");
            // Never more than 1.5 LSB away (±0.5 rounding + ±1 dither).
            assert!(errs.iter().all(|e| e.abs() <= 1.5 + 1e-9));
        }
    }

    #[test]
    fn dither_is_reproducible_after_reseed() {
        let input: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
        let mut a = vec![0; 1000];
        let mut b = vec![0; 1000];
        let mut q = Quantizer::new(16, true);
        q.reseed(7);
        q.quantize(&input, &mut a);
        q.reseed(7);
        q.quantize(&input, &mut b);
        assert_eq!(a, b);
    }

    /// Sample i always gets the same dither, however the stream is cut.
    #[test]
    fn dither_does_not_depend_on_call_sizes() {
        let input: Vec<f32> = (0..10_007).map(|i| (i as f32 * 0.013).sin() * 0.3).collect();
        for bits in [16u32, 24] {
            let mut whole = vec![0; input.len()];
            Quantizer::new(bits, true).quantize(&input, &mut whole);
            for cut in [1usize, 3, 7, 8, 9, 1000, 4099] {
                let mut q = Quantizer::new(bits, true);
                let mut got = vec![0; input.len()];
                for (i, o) in input.chunks(cut).zip(got.chunks_mut(cut)) {
                    q.quantize(i, o);
                }
                assert_eq!(got, whole, "{bits} bits in calls of {cut}");
            }
        }
    }

    /// Out-of-range, infinite and NaN samples give the bounds, never a panic.
    #[test]
    fn wild_input_is_clamped() {
        let input = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e30, -1e30, 3.0, -3.0, 0.0, f32::NAN];
        for bits in [8u32, 16, 24, 32] {
            for dither in [false, true] {
                let mut q = Quantizer::new(bits, dither);
                let mut out = [0i32; 9];
                q.quantize(&input, &mut out);
                let max = ((1u64 << (bits - 1)) - 1) as i32;
                assert_eq!(&out[1..7], &[max, -max - 1, max, -max - 1, max, -max - 1], "{bits} {dither}");
                assert!(out.iter().all(|&v| v >= -max - 1 && v <= max));
            }
        }
    }
}
