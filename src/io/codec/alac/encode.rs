//! The ALAC packet encoder, after Apple's open-source `ALACEncoder`: per
//! element (SCE or CPE) the samples lose their low bytes at 24 and 32 bits
//! (stored raw as "shift" bits), a channel pair is mixed (mixBits 2, the best
//! mixRes of 0..=4), each channel runs through the adaptive "dynamic
//! predictor" (order 4 or 8, denominator shift 9, pbFactor 4) whose starting
//! coefficients come from a quantised least-squares LPC fit of the packet in
//! the predictor's own difference form (Apple instead trains them from a
//! fixed start), and the residuals
//! are coded with adaptive Golomb-Rice (pb 40, mb 10, kb 14). An element that
//! would not be smaller than its raw samples is written uncompressed.
//!
//! The predictor mirrors the decoders (Apple's, ffmpeg's and symphonia's)
//! exactly; states where they could disagree (a 32-bit sum overflowing) make
//! the element fall back to the uncompressed escape. Must not panic or
//! allocate per packet once the buffers have grown.

use super::bits::{BitCount, BitSink, BitWriter};

/// Frames per full packet.
pub(crate) const FRAME_LENGTH: usize = 4096;
/// Rice history multiplier (the cookie's pb).
pub(crate) const PB0: u8 = 40;
/// Initial Rice history (the cookie's mb).
pub(crate) const MB0: u8 = 10;
/// Rice parameter limit (the cookie's kb).
pub(crate) const KB: u8 = 14;
/// Predictor coefficient fraction bits.
const DENSHIFT: u32 = 9;
/// pbFactor written per channel (pb = pbFactor·pb0/4).
const PB_FACTOR: u32 = 4;
/// Stereo mixing shift.
const MIX_BITS: u32 = 2;
/// Prefix length that signals an escaped Rice value.
const MAX_PREFIX: u32 = 9;
/// Starting coefficients may not exceed this magnitude, so that 4096
/// adaptation steps keep them inside 16 bits (Apple's decoder uses int16).
const MAX_START_COEF: i32 = 32767 - FRAME_LENGTH as i32;

/// The least-squares fit uses every FIT_STEP-th sample.
const FIT_STEP: usize = 4;

const ID_SCE: u32 = 0;
const ID_CPE: u32 = 1;
const ID_END: u32 = 7;

/// One element of a packet: a single channel or a pair (input channel indices).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Element {
    /// Single channel element.
    Sce(usize),
    /// Channel pair element.
    Cpe(usize, usize),
}

/// The elements of an `channels`-channel ALAC stream in Apple's order, with
/// the input (WAVE-order) channel each takes — the inverse of the decoders'
/// channel maps. `None` above 8 channels.
pub(crate) fn layout(channels: usize) -> Option<Vec<Element>> {
    use Element::{Cpe, Sce};
    Some(match channels {
        1 => vec![Sce(0)],
        2 => vec![Cpe(0, 1)],
        3 => vec![Sce(2), Cpe(0, 1)],
        4 => vec![Sce(2), Cpe(0, 1), Sce(3)],
        5 => vec![Sce(2), Cpe(0, 1), Cpe(3, 4)],
        6 => vec![Sce(2), Cpe(0, 1), Cpe(4, 5), Sce(3)],
        7 => vec![Sce(2), Cpe(0, 1), Cpe(5, 6), Sce(4), Sce(3)],
        8 => vec![Sce(2), Cpe(4, 5), Cpe(0, 1), Cpe(6, 7), Sce(3)],
        _ => return None,
    })
}

/// Apple's starting coefficients (AINIT 38, BINIT -29, CINIT -2, scaled by 2^9/16).
fn init_coefs(c: &mut [i32; 8]) {
    *c = [0; 8];
    c[0] = (38 << DENSHIFT) >> 4;
    c[1] = (-29 << DENSHIFT) >> 4;
    c[2] = (-2 << DENSHIFT) >> 4;
}

#[inline(always)]
fn clip(v: i32, shift: u32) -> i32 {
    (v << shift) >> shift
}

/// The adaptive predictor: `out` gets the residuals of `input` (samples of
/// `chan_bits` bits), `coefs` adapt as in the decoder. Returns false when the
/// prediction sum left the range where all decoders agree.
fn pc_block(input: &[i32], out: &mut [i32], coefs: &mut [i32; 8], order: usize, chan_bits: u32) -> bool {
    match order {
        4 => pc_block_n::<4>(input, out, coefs, chan_bits),
        _ => pc_block_n::<8>(input, out, coefs, chan_bits),
    }
}

/// [`pc_block`] for a fixed order (so the loops unroll).
fn pc_block_n<const ORDER: usize>(input: &[i32], out: &mut [i32], coefs: &mut [i32; 8], chan_bits: u32) -> bool {
    let order = ORDER;
    let n = input.len().min(out.len());
    if n == 0 {
        return true;
    }
    let cs = 32 - chan_bits;
    out[0] = input[0];
    for j in 1..(order + 1).min(n) {
        out[j] = clip(input[j].wrapping_sub(input[j - 1]), cs);
    }
    let mut ok = true;
    let lim = i64::from(i32::MAX) - (1 << (DENSHIFT - 1));
    for i in order + 1..n {
        let hist: &[i32; ORDER] = match input[i - order..i].try_into() {
            Ok(h) => h,
            Err(_) => return false,
        };
        let top = input[i - order - 1];
        let mut sum: i64 = 0;
        for j in 0..ORDER {
            sum += i64::from(coefs[j]) * i64::from(hist[ORDER - 1 - j] - top);
        }
        ok &= sum >= i64::from(i32::MIN) && sum <= lim;
        let pred = (sum as i32).wrapping_add(1 << (DENSHIFT - 1)) >> DENSHIFT;
        let del = clip(input[i].wrapping_sub(top).wrapping_sub(pred), cs);
        out[i] = del;
        let mut d = del;
        if d > 0 {
            for j in (0..ORDER).rev() {
                let dd = top - hist[ORDER - 1 - j];
                let sgn = dd.signum();
                coefs[j] -= sgn;
                d -= (order - j) as i32 * ((sgn * dd) >> DENSHIFT);
                if d <= 0 {
                    break;
                }
            }
        } else if d < 0 {
            for j in (0..ORDER).rev() {
                let dd = top - hist[ORDER - 1 - j];
                let sgn = dd.signum();
                coefs[j] += sgn;
                d -= (order - j) as i32 * ((-sgn * dd) >> DENSHIFT);
                if d >= 0 {
                    break;
                }
            }
        }
    }
    ok
}

#[inline(always)]
fn lg3a(x: u32) -> u32 {
    31 - (x + 3).leading_zeros()
}

/// One Rice-coded value with escape after 9 ones.
#[inline(always)]
fn put_rice<S: BitSink>(s: &mut S, val: u32, k: u32, max_bits: u32) {
    let m = (1u32 << k) - 1;
    let div = val / m;
    if div < MAX_PREFIX {
        let modv = val - m * div;
        let de = u32::from(modv == 0);
        let nbits = div + k + 1 - de;
        let value = (((1u32 << div) - 1) << (nbits - div)) + modv + 1 - de;
        s.put(value, nbits);
    } else {
        s.put((1 << MAX_PREFIX) - 1, MAX_PREFIX);
        s.put(val, max_bits);
    }
}

/// Adaptive Golomb-Rice coding of `res` (values of `bps` bits), as Apple's `dyn_comp`.
fn ag_code<S: BitSink>(s: &mut S, res: &[i32], bps: u32) {
    let n = res.len();
    let pb = u32::from(PB0) * PB_FACTOR / 4;
    let kb = u32::from(KB);
    let mut mb = u32::from(MB0);
    let mut zmode = 0u32;
    let mut i = 0;
    while i < n {
        let k = lg3a(mb >> 9).min(kb);
        let del = res[i];
        let z = ((del << 1) ^ (del >> 31)) as u32;
        put_rice(s, z - zmode, k, bps);
        i += 1;
        if z > 0xffff {
            mb = 0xffff;
        } else {
            mb = mb.wrapping_add(pb.wrapping_mul(z)).wrapping_sub(pb.wrapping_mul(mb) >> 9);
        }
        zmode = 0;
        if mb < 128 && i < n {
            let start = i;
            while i < n && res[i] == 0 {
                i += 1;
            }
            // At most 4095 < 65535, so the sign toggle always follows.
            let nz = (i - start) as u32;
            let k = (mb.leading_zeros() - 24 + ((mb + 16) >> 6)).min(kb);
            put_rice(s, nz, k, 16);
            zmode = 1;
            mb = 0;
        }
    }
}

/// Per-channel work buffers.
#[derive(Default)]
struct Chan {
    /// The channel's samples after shift and mixing.
    x: Vec<i32>,
    /// Residuals of the chosen predictor.
    res: Vec<i32>,
    coefs: [i32; 8],
    order: usize,
}

impl Chan {
    /// Chooses order (4 or 8) and starting coefficients by a least-squares
    /// fit of the predictor's own form (differences from the sample before
    /// the window), then runs the adaptive predictor once; leaves residuals
    /// in `res`. Returns the Rice bits, or None when the predictor is unsafe.
    fn analyse(&mut self, chan_bits: u32) -> Option<u64> {
        let n = self.x.len();
        self.res.resize(n, 0);
        let mut best: Option<(f64, usize, [i32; 8])> = None;
        for order in [4usize, 8] {
            if let Some((cost, c)) = lpc_fit(&self.x, order) {
                let cost = cost + 16.0 * order as f64;
                if best.is_none_or(|b| cost < b.0) {
                    best = Some((cost, order, c));
                }
            }
        }
        let (order, start) = match best {
            Some((_, o, c)) => (o, c),
            None => {
                let mut c = [0i32; 8];
                init_coefs(&mut c);
                (4, c)
            }
        };
        self.order = order;
        self.coefs = start;
        let mut c = start;
        if !pc_block(&self.x, &mut self.res, &mut c, order, chan_bits) {
            return None;
        }
        // The fit's estimate decides when it is clearly below raw size;
        // otherwise count exactly for the escape decision.
        let raw = n as f64 * f64::from(chan_bits);
        if best.is_some_and(|b| b.0 < 0.7 * raw) {
            return Some((best.map_or(raw, |b| b.0)) as u64);
        }
        let mut count = BitCount::default();
        ag_code(&mut count, &self.res, chan_bits);
        Some(count.0 + 16 * order as u64)
    }

    fn put_header<S: BitSink>(&self, s: &mut S) {
        s.put(0, 4); // mode
        s.put(DENSHIFT, 4);
        s.put(PB_FACTOR, 3);
        s.put(self.order as u32, 5);
        for &c in &self.coefs[..self.order] {
            s.put(c as u32, 16);
        }
    }
}

/// Least-squares coefficients (×2^9, rounded and clamped) for predicting
/// `x[i] - x[i-order-1]` from `x[i-1-j] - x[i-order-1]`, with an estimate of
/// the residual bits. None when the frame is too short or the fit singular.
fn lpc_fit(x: &[i32], order: usize) -> Option<(f64, [i32; 8])> {
    match order {
        4 => lpc_fit_n::<4>(x),
        _ => lpc_fit_n::<8>(x),
    }
}

/// [`lpc_fit`] for a fixed order.
#[allow(clippy::needless_range_loop)] // matrix code reads best indexed
fn lpc_fit_n<const ORDER: usize>(x: &[i32]) -> Option<(f64, [i32; 8])> {
    let order = ORDER;
    let n = x.len();
    if n < 4 * (order + 1) {
        return None;
    }
    let mut a = [[0f64; 8]; 8];
    let mut b = [0f64; 8];
    let mut dd = 0f64;
    let mut e = [0f64; 8];
    for i in (order + 1..n).step_by(FIT_STEP) {
        let top = x[i - order - 1];
        for j in 0..ORDER {
            e[j] = f64::from(x[i - 1 - j] - top);
        }
        let d = f64::from(x[i] - top);
        dd += d * d;
        for j in 0..ORDER {
            b[j] += e[j] * d;
            for k in 0..=j {
                a[j][k] += e[j] * e[k];
            }
        }
    }
    // Cholesky with a small ridge.
    let ridge = 1e-9 * (0..order).map(|j| a[j][j]).sum::<f64>() + 1e-9;
    let mut l = [[0f64; 8]; 8];
    for j in 0..order {
        for k in 0..=j {
            let mut s = a[j][k] + if j == k { ridge } else { 0.0 };
            for m in 0..k {
                s -= l[j][m] * l[k][m];
            }
            if j == k {
                if s <= 0.0 {
                    return None;
                }
                l[j][j] = s.sqrt();
            } else {
                l[j][k] = s / l[k][k];
            }
        }
    }
    let mut y = [0f64; 8];
    for j in 0..order {
        let mut s = b[j];
        for m in 0..j {
            s -= l[j][m] * y[m];
        }
        y[j] = s / l[j][j];
    }
    let mut c = [0f64; 8];
    for j in (0..order).rev() {
        let mut s = y[j];
        for m in j + 1..order {
            s -= l[m][j] * c[m];
        }
        c[j] = s / l[j][j];
    }
    let fitted: f64 = (0..order).map(|j| y[j] * y[j]).sum();
    let err = (dd - fitted).max(0.0);
    let m = (n - order) as f64 / FIT_STEP as f64;
    let cost = 0.5 * m * (err / m + 1.0).log2();
    let mut q = [0i32; 8];
    for j in 0..order {
        let v = (c[j] * f64::from(1u32 << DENSHIFT)).round();
        q[j] = v.clamp(-f64::from(MAX_START_COEF), f64::from(MAX_START_COEF)) as i32;
    }
    Some((cost, q))
}

/// Sum of |second difference|: a cheap size proxy for choosing mixRes.
fn roughness(x: &[i32]) -> u64 {
    x.windows(3).map(|w| u64::from((w[2] - 2 * w[1] + w[0]).unsigned_abs())).sum()
}

/// Estimated bits for `n` samples with this roughness sum.
fn est_bits(r: u64, n: usize) -> f64 {
    n as f64 * ((r as f64 + 1.0) / n.max(1) as f64 + 1.0).log2()
}

/// Encodes packets; one per rayon worker.
pub(crate) struct PacketEncoder {
    bit_depth: u32,
    elements: Vec<Element>,
    channels: usize,
    a: Chan,
    b: Chan,
    /// Raw (pre-mix) samples of the element's first and second channel after shift.
    l: Vec<i32>,
    r: Vec<i32>,
    /// Shifted-off low bits, interleaved for a pair.
    tail: Vec<u32>,
    /// The encoded packet.
    pub out: Vec<u8>,
}

impl PacketEncoder {
    /// An encoder for `channels` (1..=8) of `bit_depth` (16, 20, 24 or 32) bits.
    pub fn new(channels: usize, bit_depth: u32) -> Option<Self> {
        Some(PacketEncoder {
            bit_depth,
            elements: layout(channels)?,
            channels,
            a: Chan::default(),
            b: Chan::default(),
            l: Vec::new(),
            r: Vec::new(),
            tail: Vec::new(),
            out: Vec::new(),
        })
    }

    /// Encodes one packet of interleaved frames (1..=4096 of them) into `out`.
    pub fn encode(&mut self, interleaved: &[i32]) {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        let n = interleaved.len() / self.channels;
        let mut w = BitWriter::new(&mut out);
        let mut sce_tag = 0u32;
        let mut cpe_tag = 0u32;
        for e in self.elements.clone() {
            match e {
                Element::Sce(c) => {
                    self.encode_element(&mut w, interleaved, n, c, None, sce_tag);
                    sce_tag += 1;
                }
                Element::Cpe(c0, c1) => {
                    self.encode_element(&mut w, interleaved, n, c0, Some(c1), cpe_tag);
                    cpe_tag += 1;
                }
            }
        }
        w.put(ID_END, 3);
        w.finish();
        self.out = out;
    }

    fn encode_element(
        &mut self,
        w: &mut BitWriter<'_>,
        inter: &[i32],
        n: usize,
        c0: usize,
        c1: Option<usize>,
        tag: u32,
    ) {
        let ch = self.channels;
        let bd = self.bit_depth;
        let pair = c1.is_some();
        let bytes_shifted = match bd {
            32 => 2,
            24 => 1,
            _ => 0,
        };
        let shift = 8 * bytes_shifted;
        let chan_bits = bd - shift + u32::from(pair);
        let mask = (1u32 << shift).wrapping_sub(1);
        let partial = n != FRAME_LENGTH;

        // Split off the low bytes.
        self.l.clear();
        self.r.clear();
        self.tail.clear();
        for f in 0..n {
            let s = inter[f * ch + c0];
            self.l.push(s >> shift);
            if shift > 0 {
                self.tail.push(s as u32 & mask);
            }
            if let Some(c1) = c1 {
                let s = inter[f * ch + c1];
                self.r.push(s >> shift);
                if shift > 0 {
                    self.tail.push(s as u32 & mask);
                }
            }
        }

        // Mixing.
        let mut mix_res = 0i32;
        if pair {
            let mut best = f64::INFINITY;
            for res in 0..=4i32 {
                self.mix(res);
                let e = est_bits(roughness(&self.a.x), n) + est_bits(roughness(&self.b.x), n);
                if e < best {
                    best = e;
                    mix_res = res;
                }
            }
            self.mix(mix_res);
        } else {
            self.a.x.clear();
            self.a.x.extend_from_slice(&self.l);
        }

        let bits_a = self.a.analyse(chan_bits);
        let bits_b = if pair { self.b.analyse(chan_bits) } else { Some(0) };
        let head_bits = 3 + 4 + 12 + 4 + if partial { 32 } else { 0 };
        let escape_bits = head_bits + n as u64 * u64::from(bd) * if pair { 2 } else { 1 };
        let compressed = match (bits_a, bits_b) {
            (Some(a), Some(b)) => {
                Some(head_bits + 16 + 32 * if pair { 2 } else { 1 } + a + b + self.tail.len() as u64 * u64::from(shift))
            }
            _ => None,
        };

        let id = if pair { ID_CPE } else { ID_SCE };
        w.put(id, 3);
        w.put(tag, 4);
        w.put(0, 12);
        match compressed {
            Some(c) if c < escape_bits => {
                w.put((u32::from(partial) << 3) | (bytes_shifted << 1), 4);
                if partial {
                    w.put(n as u32, 32);
                }
                w.put(if mix_res != 0 { MIX_BITS } else { 0 }, 8);
                w.put(mix_res as u32, 8);
                self.a.put_header(w);
                if pair {
                    self.b.put_header(w);
                }
                if shift > 0 {
                    for &t in &self.tail {
                        w.put(t, shift);
                    }
                }
                ag_code(w, &self.a.res, chan_bits);
                if pair {
                    ag_code(w, &self.b.res, chan_bits);
                }
            }
            _ => {
                // Decoders ignore the shift of an uncompressed pair (Apple reads a
                // single channel's at bitDepth - shift, so it stays 0 there), but
                // ffmpeg refuses a pair whose shifted depth + 1 exceeds 32.
                let esc_shift = if pair { bytes_shifted } else { 0 };
                w.put((u32::from(partial) << 3) | (esc_shift << 1) | 1, 4);
                if partial {
                    w.put(n as u32, 32);
                }
                for f in 0..n {
                    w.put(inter[f * ch + c0] as u32, bd);
                    if let Some(c1) = c1 {
                        w.put(inter[f * ch + c1] as u32, bd);
                    }
                }
            }
        }
    }

    /// Fills `a.x`/`b.x` from `l`/`r` with Apple's mix (mixBits 2, `res`).
    fn mix(&mut self, res: i32) {
        self.a.x.clear();
        self.b.x.clear();
        if res == 0 {
            self.a.x.extend_from_slice(&self.l);
            self.b.x.extend_from_slice(&self.r);
        } else {
            let m2 = (1 << MIX_BITS) - res;
            for (&l, &r) in self.l.iter().zip(&self.r) {
                self.a.x.push((res * l + m2 * r) >> MIX_BITS);
                self.b.x.push(l - r);
            }
        }
    }
}
