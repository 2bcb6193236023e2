//! The polyphase filter bank: coefficient tables (precomputed per phase, or
//! interpolated for long L-cycles), aligned for the SIMD kernels, and shared
//! by every resampler built for the same rates and quality.

use super::*;

/// Coefficient tables, shared by every resampler built for the same job.
#[derive(Debug)]
pub(super) enum Table {
    /// Equal rates: samples pass through untouched.
    Identity,
    /// One row of `taps` per output position in a cycle of L outputs (2L when
    /// L is odd, so that outputs pair up); `step` is the input advance after
    /// each position and `shift` how far before `n − half + 1` its row starts
    /// (an odd position shares its even partner's window).
    Exact { coefs: Aligned, step: Vec<u32>, shift: Vec<u32> },
    /// `phases × 3 × taps`: per interval, quadratic coefficients in the fraction.
    Interp { coefs: Aligned, phases: usize },
}

/// f32s starting on a 64-byte boundary, so that rows of a multiple of
/// [`LANES`] coefficients start on cache lines (no vector load of them
/// straddles two). Never grows, so its heap block never moves.
#[derive(Debug)]
pub(super) struct Aligned {
    pub(super) buf: Vec<f32>,
    pub(super) start: usize,
    pub(super) len: usize,
}

impl Aligned {
    pub(super) fn zeroed(len: usize) -> Aligned {
        let buf = vec![0f32; len + 16];
        let start = (64 - buf.as_ptr() as usize % 64) % 64 / 4;
        Aligned { buf, start, len }
    }

    pub(super) fn get(&self) -> &[f32] {
        &self.buf[self.start..self.start + self.len]
    }

    pub(super) fn get_mut(&mut self) -> &mut [f32] {
        &mut self.buf[self.start..self.start + self.len]
    }
}

#[derive(Debug)]
pub(super) struct Bank {
    pub(super) l: u64,
    pub(super) m: u64,
    /// Taps either side of the output instant (window start is `n − half + 1`).
    pub(super) half: usize,
    /// Taps per phase, a multiple of the kernel's lanes (≥ 2·half).
    pub(super) taps: usize,
    pub(super) table: Table,
}

/// Exact phases are kept while the table stays this small (coefficients).
pub(super) const EXACT_TABLE_MAX: u64 = 1 << 18;

impl Bank {
    pub(super) fn new(from: u32, to: u32, quality: Quality) -> Result<Bank, ResampleError> {
        if from == 0 || to == 0 {
            return Err(ResampleError::ZeroRate { from, to });
        }
        let (f, t, r) = (from as u64, to as u64, MAX_RATIO as u64);
        if f > t * r || t > f * r {
            return Err(ResampleError::Ratio { from, to });
        }
        let g = gcd(from as u64, to as u64);
        let (l, m) = (to as u64 / g, from as u64 / g);
        if l == m {
            return Ok(Bank { l: 1, m: 1, half: 1, taps: 0, table: Table::Identity });
        }
        let lower = (to as f64 / from as f64).min(1.0);
        let d = Design::new(lower, quality.attenuation_db(), quality.passband(), 1.0);
        let half = d.half;
        let max_step = m.div_ceil(l) as usize;
        let exact_taps = (2 * half + max_step).div_ceil(LANES) * LANES;
        let cycle = if l % 2 == 0 { l } else { 2 * l };
        // Coefficient of tap j for an output at fraction `frac` past input n,
        // its window starting `shift` frames early.
        let fill = |frac: f64, shift: usize, dst: &mut [f32]| {
            for (j, c) in dst.iter_mut().enumerate() {
                *c = d.eval(frac + (half + shift) as f64 - 1.0 - j as f64) as f32;
            }
        };
        if cycle * exact_taps as u64 <= EXACT_TABLE_MAX || l <= 16 {
            let taps = exact_taps;
            let cycle = cycle as usize;
            let mut coefs = Aligned::zeroed(cycle * taps);
            let step: Vec<u32> = (0..cycle as u64).map(|k| ((k + 1) * m / l - k * m / l) as u32).collect();
            // Odd positions share their even partner's window.
            let shift: Vec<u32> = (0..cycle).map(|k| if k % 2 == 1 { step[k - 1] } else { 0 }).collect();
            for (kk, row) in coefs.get_mut().chunks_exact_mut(taps).enumerate() {
                fill(((kk as u64 * m) % l) as f64 / l as f64, shift[kk] as usize, row);
            }
            return Ok(Bank { l, m, half, taps, table: Table::Exact { coefs, step, shift } });
        }
        let taps = (2 * half).div_ceil(LANES) * LANES;
        let table = {
            let phases = quality.interp_phases();
            let mut coefs = Aligned::zeroed(phases * 3 * taps);
            let (mut e0, mut mid, mut e1) = (vec![0f64; taps], vec![0f64; taps], vec![0f64; taps]);
            for (p, block) in coefs.get_mut().chunks_exact_mut(3 * taps).enumerate() {
                let f0 = p as f64 / phases as f64;
                let fm = (p as f64 + 0.5) / phases as f64;
                let f1 = (p as f64 + 1.0) / phases as f64;
                for j in 0..taps {
                    let base = half as f64 - 1.0 - j as f64;
                    e0[j] = d.eval(f0 + base);
                    mid[j] = d.eval(fm + base);
                    e1[j] = d.eval(f1 + base);
                }
                // q(u) = c0 + c1·u + c2·u², through the two ends and the middle.
                let (c0, rest) = block.split_at_mut(taps);
                let (c1, c2) = rest.split_at_mut(taps);
                for j in 0..taps {
                    let q2 = 2.0 * (e1[j] + e0[j] - 2.0 * mid[j]);
                    c0[j] = e0[j] as f32;
                    c1[j] = (e1[j] - e0[j] - q2) as f32;
                    c2[j] = q2 as f32;
                }
            }
            Table::Interp { coefs, phases }
        };
        Ok(Bank { l, m, half, taps, table })
    }

    /// Position of output `k` in the exact bank's cycle.
    pub(super) fn position(&self, k: u64) -> usize {
        match &self.table {
            Table::Exact { step, .. } => (k % step.len() as u64) as usize,
            _ => 0,
        }
    }

    /// How far before `n_k − half + 1` the window of output `k` starts.
    pub(super) fn shift(&self, k: u64) -> u32 {
        match &self.table {
            Table::Exact { shift, .. } => shift[self.position(k)],
            _ => 0,
        }
    }

    /// `ceil(frames_in · L / M)`.
    pub(super) fn output_frames(&self, frames_in: u64) -> u64 {
        let n = frames_in as u128 * self.l as u128;
        n.div_ceil(self.m as u128).min(u64::MAX as u128) as u64
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}
