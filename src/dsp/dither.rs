//! Bit-depth reduction: float samples to integers of N bits, with TPDF dither
//! (on by default) so that the quantisation error is noise independent of the
//! signal rather than distortion.

use crate::format::round_to_i32;

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
    rng: u64,
}

impl Quantizer {
    /// A quantiser to `bits` (1..=32) bits; `dither` adds TPDF dither.
    pub fn new(bits: u32, dither: bool) -> Self {
        let bits = bits.clamp(1, 32);
        let scale = (1u64 << (bits - 1)) as f64;
        let max = ((1u64 << (bits - 1)) - 1) as i32;
        Quantizer { bits, dither, scale, min: -max - 1, max, rng: 0x9E37_79B9_7F4A_7C15 }
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
        self.rng = seed | 1;
    }

    /// Quantises `input` into `out` (same length; extra elements are left alone).
    pub fn quantize(&mut self, input: &[f32], out: &mut [i32]) {
        let (scale, min, max) = (self.scale, self.min, self.max);
        if !self.dither {
            for (o, &x) in out.iter_mut().zip(input) {
                *o = round_to_i32(x as f64 * scale).clamp(min, max);
            }
            return;
        }
        let mut s = self.rng;
        for (o, &x) in out.iter_mut().zip(input) {
            // xorshift64*: one 64-bit draw gives the two uniforms of a TPDF sample.
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let r = s.wrapping_mul(0x2545_F491_4F6C_DD1D);
            const U: f64 = 1.0 / 4_294_967_296.0;
            let tpdf = (r >> 32) as f64 * U + (r & 0xFFFF_FFFF) as f64 * U - 1.0;
            *o = round_to_i32(x as f64 * scale + tpdf).clamp(min, max);
        }
        self.rng = s;
    }
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
        for level in [0.0f64, 0.3, 0.5, 0.77] {
            let mut q = Quantizer::new(8, true);
            let lsb = 1.0 / 128.0;
            let x = (level * lsb) as f32;
            let n = 200_000;
            let input = vec![x; n];
            let mut out = vec![0i32; n];
            q.quantize(&input, &mut out);
            let errs: Vec<f64> = out.iter().map(|&v| v as f64 - x as f64 / lsb).collect();
            let mean = errs.iter().sum::<f64>() / n as f64;
            let var = errs.iter().map(|e| (e - mean) * (e - mean)).sum::<f64>() / n as f64;
            assert!(mean.abs() < 0.01, "level {level}: mean error {mean}");
            assert!((var - 0.25).abs() < 0.02, "level {level}: error variance {var}");
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
}
