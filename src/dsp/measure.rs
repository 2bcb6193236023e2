//! Measurements for judging a signal path with test tones: a least-squares
//! sine fit at a known frequency, THD+N from its residual, and RMS levels in
//! dB. Used by the resampler's tests and its probe; pure f64 arithmetic on
//! borrowed samples, nothing stored.

/// The best `dc + a·cos(ωk) + b·sin(ωk)` through a block of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SineFit {
    /// Peak amplitude of the fitted sine.
    pub amplitude: f64,
    /// Phase in radians at the block's first sample (of a cosine).
    pub phase: f64,
    /// Fitted constant offset.
    pub dc: f64,
    /// Mean square of what the fit leaves: harmonics, noise, aliases.
    pub residual_power: f64,
}

impl SineFit {
    /// Residual power over the sine's power (A²/2), in dB: THD+N.
    pub fn thd_n_db(&self) -> f64 {
        power_ratio_db(self.residual_power, 0.5 * self.amplitude * self.amplitude)
    }
}

/// Fits a sine of `cycles_per_sample` (frequency ÷ sample rate) to `x`.
/// Returns zeros for fewer than 3 samples.
pub fn fit_sine(x: &[f32], cycles_per_sample: f64) -> SineFit {
    let w = 2.0 * std::f64::consts::PI * cycles_per_sample;
    // Normal equations of the basis [cos, sin, 1].
    let mut g = [[0f64; 3]; 3];
    let mut r = [0f64; 3];
    for (k, &v) in x.iter().enumerate() {
        let (s, c) = (w * k as f64).sin_cos();
        let b = [c, s, 1.0];
        for i in 0..3 {
            for j in 0..3 {
                g[i][j] += b[i] * b[j];
            }
            r[i] += b[i] * v as f64;
        }
    }
    let Some([a, b, dc]) = solve3(g, r) else {
        return SineFit { amplitude: 0.0, phase: 0.0, dc: 0.0, residual_power: 0.0 };
    };
    let mut res = 0f64;
    for (k, &v) in x.iter().enumerate() {
        let (s, c) = (w * k as f64).sin_cos();
        let e = v as f64 - (a * c + b * s + dc);
        res += e * e;
    }
    SineFit { amplitude: a.hypot(b), phase: (-b).atan2(a), dc, residual_power: res / x.len() as f64 }
}

/// Mean square of `x` (0 for an empty slice).
pub fn power(x: &[f32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    x.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / x.len() as f64
}

/// `10·log10(p / reference)`, floored at −400 dB for silence.
pub fn power_ratio_db(p: f64, reference: f64) -> f64 {
    if p <= 0.0 || reference <= 0.0 {
        return -400.0;
    }
    (10.0 * (p / reference).log10()).max(-400.0)
}

/// One channel of an interleaved buffer.
pub fn channel(interleaved: &[f32], channels: usize, c: usize) -> Vec<f32> {
    interleaved.iter().skip(c).step_by(channels.max(1)).copied().collect()
}

fn solve3(mut g: [[f64; 3]; 3], mut r: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let piv = (col..3).max_by(|&i, &j| g[i][col].abs().total_cmp(&g[j][col].abs()))?;
        if g[piv][col].abs() < 1e-300 {
            return None;
        }
        g.swap(col, piv);
        r.swap(col, piv);
        let (pivot, below) = g.split_at_mut(col + 1);
        let prow = pivot[col];
        for (i, grow) in below.iter_mut().enumerate() {
            let f = grow[col] / prow[col];
            for (gk, pk) in grow.iter_mut().zip(&prow).skip(col) {
                *gk -= f * pk;
            }
            r[col + 1 + i] -= f * r[col];
        }
    }
    let mut x = [0f64; 3];
    for i in (0..3).rev() {
        let s: f64 = (i + 1..3).map(|k| g[i][k] * x[k]).sum();
        x[i] = (r[i] - s) / g[i][i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_a_sine_and_its_noise() {
        let f = 1000.0 / 48000.0;
        let x: Vec<f32> =
            (0..48000).map(|k| (0.5 * (2.0 * std::f64::consts::PI * f * k as f64 + 0.3).cos() + 0.01) as f32).collect();
        let fit = fit_sine(&x, f);
        assert!((fit.amplitude - 0.5).abs() < 1e-7);
        assert!((fit.phase - 0.3).abs() < 1e-6);
        assert!((fit.dc - 0.01).abs() < 1e-7);
        // Only f32 rounding is left: about −150 dB.
        assert!(fit.thd_n_db() < -140.0, "{}", fit.thd_n_db());
        let mut noisy = x.clone();
        for (k, v) in noisy.iter_mut().enumerate() {
            *v += if k % 2 == 0 { 1e-3 } else { -1e-3 };
        }
        let db = fit_sine(&noisy, f).thd_n_db();
        assert!((db - power_ratio_db(1e-6, 0.125)).abs() < 0.1, "{db}");
    }
}
