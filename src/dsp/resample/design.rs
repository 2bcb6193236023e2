//! Low-pass design for the resampler: a Kaiser-windowed sinc evaluated in f64
//! at any time offset, so every polyphase phase (or interpolation node) is
//! sampled from one continuous prototype. Pure arithmetic, no tables.

/// A windowed-sinc prototype in units of *input* samples.
#[derive(Debug, Clone, Copy)]
pub(super) struct Design {
    /// Cutoff in cycles per input sample (half of the gain-½ point's 2·fc).
    fc: f64,
    /// The kernel is zero for |t| ≥ half_width (input samples).
    half_width: f64,
    beta: f64,
    i0_beta: f64,
    /// Taps either side: the kernel at time t touches inputs n−half+1 ..= n+half.
    pub half: usize,
}

impl Design {
    /// `lower` = min(1, to/from): the lower Nyquist relative to the input's.
    /// `pass`/`stop`: band edges as fractions of that Nyquist; `atten_db`: stopband.
    pub(super) fn new(lower: f64, atten_db: f64, pass: f64, stop: f64) -> Design {
        let nyq = 0.5 * lower;
        let (fp, fs) = (pass * nyq, stop * nyq);
        let fc = 0.5 * (fp + fs);
        let delta = fs - fp;
        // Kaiser's length estimate (order ≈ (A − 7.95) / (14.36 Δf)).
        let span = (atten_db - 7.95) / (14.36 * delta);
        let half_width = 0.5 * span + 0.5;
        let beta = if atten_db > 50.0 {
            0.1102 * (atten_db - 8.7)
        } else if atten_db >= 21.0 {
            0.5842 * (atten_db - 21.0).powf(0.4) + 0.07886 * (atten_db - 21.0)
        } else {
            0.0
        };
        let half = half_width.ceil() as usize;
        Design { fc, half_width, beta, i0_beta: bessel_i0(beta), half: half.max(1) }
    }

    /// The kernel at `t` input samples from the output instant.
    pub(super) fn eval(&self, t: f64) -> f64 {
        let x = t / self.half_width;
        if x.abs() >= 1.0 {
            return 0.0;
        }
        let window = bessel_i0(self.beta * (1.0 - x * x).sqrt()) / self.i0_beta;
        let arg = 2.0 * std::f64::consts::PI * self.fc * t;
        let sinc = if arg.abs() < 1e-12 { 1.0 } else { arg.sin() / arg };
        2.0 * self.fc * sinc * window
    }
}

/// Modified Bessel function of the first kind, order 0 (power series).
fn bessel_i0(x: f64) -> f64 {
    let q = 0.25 * x * x;
    let (mut sum, mut term, mut k) = (1.0f64, 1.0f64, 1.0f64);
    while term > sum * 1e-18 {
        term *= q / (k * k);
        sum += term;
        k += 1.0;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i0_known_values() {
        assert!((bessel_i0(0.0) - 1.0).abs() < 1e-15);
        assert!((bessel_i0(1.0) - 1.266_065_877_752_008_4).abs() < 1e-14);
        assert!((bessel_i0(10.0) / 2_815.716_628_466_254 - 1.0).abs() < 1e-13);
    }

    #[test]
    fn phases_sum_to_one() {
        let d = Design::new(1.0, 140.0, 0.91, 1.0);
        for frac in [0.0, 0.25, 0.5, 0.9] {
            let s: f64 = (-(d.half as i64) - 2..d.half as i64 + 2).map(|i| d.eval(frac - i as f64)).sum();
            assert!((s - 1.0).abs() < 1e-7, "{s}");
        }
    }
}
