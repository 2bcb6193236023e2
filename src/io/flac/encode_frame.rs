//! One FLAC frame from one block of interleaved samples: channel
//! decorrelation, per-channel choice among CONSTANT / VERBATIM / FIXED / LPC
//! subframes by estimated bits, and the bit-exact frame layout (header with
//! CRC-8, subframes, CRC-16). A [`BlockEncoder`] owns all its scratch so
//! encoding a block does not allocate once the buffers have grown.

use super::bitwriter::{crc16, crc8, BitWriter};
use super::encode_lpc::{
    autocorrelation, best_fixed_order, best_order, fixed_residual, levinson, lpc_residual, plan_rice, quantize,
    tukey, RicePlan, ESCAPE, MAX_LPC_ORDER,
};

/// Stream-wide settings every frame needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StreamParams {
    /// Channels (1..=8).
    pub channels: usize,
    /// Bits per sample (4..=32).
    pub bps: u32,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Highest LPC order tried (0 = FIXED only).
    pub max_lpc_order: usize,
    /// LPC coefficient precision in bits.
    pub qlp_precision: u32,
}

impl StreamParams {
    /// libFLAC's default coefficient precision for `bps` and `block_size`.
    pub(crate) fn default_precision(bps: u32, block_size: usize) -> u32 {
        if bps < 16 {
            (2 + bps / 2).max(5)
        } else if bps == 16 {
            match block_size {
                0..=192 => 7,
                193..=384 => 8,
                385..=576 => 9,
                577..=1152 => 10,
                1153..=2304 => 11,
                2305..=4608 => 12,
                _ => 13,
            }
        } else {
            match block_size {
                0..=384 => 13,
                385..=1152 => 14,
                _ => 15,
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Constant(i32),
    Verbatim,
    Fixed(usize),
    Lpc { order: usize, precision: u32, shift: u32, coefs: [i32; MAX_LPC_ORDER] },
}

/// One channel's signal, scratch and chosen subframe.
struct Channel {
    signal: Vec<i32>,
    res: Vec<i32>,
    res_tmp: Vec<i32>,
    windowed: Vec<f64>,
    kind: Kind,
    wasted: u32,
    /// Bits per sample of `signal` after removing wasted bits.
    bps: u32,
    plan: RicePlan,
    bits: u64,
}

impl Channel {
    fn new() -> Self {
        Channel {
            signal: Vec::new(),
            res: Vec::new(),
            res_tmp: Vec::new(),
            windowed: Vec::new(),
            kind: Kind::Verbatim,
            wasted: 0,
            bps: 0,
            plan: RicePlan::default(),
            bits: 0,
        }
    }

    fn resize(&mut self, n: usize) {
        if self.signal.len() < n {
            self.signal.resize(n, 0);
            self.res.resize(n, 0);
            self.res_tmp.resize(n, 0);
            self.windowed.resize(n, 0.0);
        }
    }

    /// Picks the cheapest subframe for `signal[..n]` at `bps` bits.
    fn analyse(&mut self, n: usize, bps: u32, params: &StreamParams, window: &[f64]) {
        let x = &mut self.signal[..n];
        self.wasted = 0;
        self.bps = bps;
        let first = x[0];
        if x.iter().all(|&v| v == first) {
            self.kind = Kind::Constant(first);
            self.bits = 8 + u64::from(bps);
            return;
        }
        let or = x.iter().fold(0i32, |a, &v| a | v);
        let wasted = or.trailing_zeros().min(bps - 1);
        if wasted > 0 {
            for v in x.iter_mut() {
                *v >>= wasted;
            }
        }
        self.wasted = wasted;
        let bps = bps - wasted;
        self.bps = bps;
        let x = &self.signal[..n];
        let header = 8 + u64::from(wasted);
        self.kind = Kind::Verbatim;
        self.bits = header + n as u64 * u64::from(bps);

        // FIXED.
        if n > 4 {
            let order = best_fixed_order(x);
            if fixed_residual(x, order, &mut self.res) {
                let mut plan = RicePlan::default();
                plan_rice(&self.res, n, order, &mut plan);
                let bits = header + (order as u64) * u64::from(bps) + plan.bits;
                if bits < self.bits {
                    self.kind = Kind::Fixed(order);
                    self.bits = bits;
                    self.plan = plan;
                }
            }
        } else if n > 1 {
            let order = 1;
            if fixed_residual(x, order, &mut self.res) {
                let mut plan = RicePlan::default();
                plan_rice(&self.res, n, order, &mut plan);
                let bits = header + u64::from(bps) + plan.bits;
                if bits < self.bits {
                    self.kind = Kind::Fixed(order);
                    self.bits = bits;
                    self.plan = plan;
                }
            }
        }

        // LPC.
        let max_order = params.max_lpc_order.min(n.saturating_sub(1));
        if max_order == 0 || window.len() != n {
            return;
        }
        let w = &mut self.windowed[..n];
        for ((o, &v), &c) in w.iter_mut().zip(x).zip(window) {
            *o = f64::from(v) * c;
        }
        let mut autoc = [0.0f64; MAX_LPC_ORDER + 1];
        autocorrelation(w, &mut autoc[..=max_order]);
        if autoc[0] == 0.0 || !autoc[0].is_finite() {
            return;
        }
        let mut lpc = [[0.0f64; MAX_LPC_ORDER]; MAX_LPC_ORDER];
        let mut err = [0.0f64; MAX_LPC_ORDER];
        let got = levinson(&autoc[..=max_order], max_order, &mut lpc, &mut err);
        if got == 0 {
            return;
        }
        let mut precision = params.qlp_precision;
        let order = best_order(&err[..got], n, bps + precision);
        if bps <= 17 {
            let ilog2 = 31 - (order as u32).leading_zeros();
            precision = precision.min(32u32.saturating_sub(bps + ilog2)).max(5);
        }
        let mut coefs = [0i32; MAX_LPC_ORDER];
        let Some(shift) = quantize(&lpc[order - 1][..order], precision, &mut coefs[..order]) else {
            return;
        };
        if !lpc_residual(x, &coefs[..order], precision, shift, bps, &mut self.res_tmp) {
            return;
        }
        let mut plan = RicePlan::default();
        plan_rice(&self.res_tmp, n, order, &mut plan);
        let bits = header + (order as u64) * u64::from(bps) + 9 + (order as u64) * u64::from(precision) + plan.bits;
        if bits < self.bits {
            self.kind = Kind::Lpc { order, precision, shift, coefs };
            self.bits = bits;
            self.plan = plan;
            std::mem::swap(&mut self.res, &mut self.res_tmp);
        }
    }

    fn write(&self, w: &mut BitWriter, n: usize) {
        let x = &self.signal[..n];
        let type_bits = match self.kind {
            Kind::Constant(_) => 0,
            Kind::Verbatim => 1,
            Kind::Fixed(o) => 8 | o as u32,
            Kind::Lpc { order, .. } => 32 | (order as u32 - 1),
        };
        w.put(8, type_bits << 1 | u32::from(self.wasted > 0));
        if self.wasted > 0 {
            w.put_zeros(self.wasted - 1);
            w.put(1, 1);
        }
        let bps = self.bps;
        match self.kind {
            Kind::Constant(v) => w.put_signed(bps, v),
            Kind::Verbatim => {
                for &v in x {
                    w.put_signed(bps, v);
                }
            }
            Kind::Fixed(order) => {
                for &v in &x[..order] {
                    w.put_signed(bps, v);
                }
                write_residual(w, &self.res[..n], order, &self.plan);
            }
            Kind::Lpc { order, precision, shift, coefs } => {
                for &v in &x[..order] {
                    w.put_signed(bps, v);
                }
                w.put(4, precision - 1);
                w.put(5, shift);
                for &c in &coefs[..order] {
                    w.put_signed(precision, c);
                }
                write_residual(w, &self.res[..n], order, &self.plan);
            }
        }
    }
}

fn write_residual(w: &mut BitWriter, res: &[i32], pred_order: usize, plan: &RicePlan) {
    let n = res.len();
    w.put(2, u32::from(plan.rice2));
    w.put(4, plan.order);
    let pbits = if plan.rice2 { 5 } else { 4 };
    let escape_code = (1u32 << pbits) - 1;
    let parts = 1usize << plan.order;
    let psize = n >> plan.order;
    for p in 0..parts {
        let start = if p == 0 { pred_order } else { p * psize };
        let part = &res[start..(p + 1) * psize];
        if plan.params[p] == ESCAPE {
            let bits = u32::from(plan.raw_bits[p]);
            w.put(pbits, escape_code);
            w.put(5, bits);
            for &r in part {
                w.put_signed(bits, r);
            }
        } else {
            let k = u32::from(plan.params[p]);
            w.put(pbits, k);
            for &r in part {
                w.put_rice(k, ((r << 1) ^ (r >> 31)) as u32);
            }
        }
    }
}

/// Encodes blocks into FLAC frames, reusing its buffers.
pub(crate) struct BlockEncoder {
    chans: Vec<Channel>,
    window: Vec<f64>,
    /// The last encoded frame.
    pub out: Vec<u8>,
}

/// Frame header code for a block size, and the extra bits it needs.
fn block_size_code(n: usize) -> (u32, Option<(u32, u32)>) {
    match n {
        192 => (1, None),
        576 => (2, None),
        1152 => (3, None),
        2304 => (4, None),
        4608 => (5, None),
        256 => (8, None),
        512 => (9, None),
        1024 => (10, None),
        2048 => (11, None),
        4096 => (12, None),
        8192 => (13, None),
        16384 => (14, None),
        32768 => (15, None),
        _ if n <= 256 => (6, Some((8, n as u32 - 1))),
        _ => (7, Some((16, n as u32 - 1))),
    }
}

/// Frame header code for a sample rate, and the extra bits it needs.
pub(crate) fn sample_rate_code(rate: u32) -> (u32, Option<(u32, u32)>) {
    match rate {
        88200 => (1, None),
        176400 => (2, None),
        192000 => (3, None),
        8000 => (4, None),
        16000 => (5, None),
        22050 => (6, None),
        24000 => (7, None),
        32000 => (8, None),
        44100 => (9, None),
        48000 => (10, None),
        96000 => (11, None),
        _ if rate % 1000 == 0 && rate / 1000 <= 255 => (12, Some((8, rate / 1000))),
        _ if rate <= 65535 => (13, Some((16, rate))),
        _ if rate % 10 == 0 && rate / 10 <= 65535 => (14, Some((16, rate / 10))),
        _ => (0, None),
    }
}

/// Frame header code for a sample size (0 = taken from STREAMINFO).
pub(crate) fn sample_size_code(bps: u32) -> u32 {
    match bps {
        8 => 1,
        12 => 2,
        16 => 4,
        20 => 5,
        24 => 6,
        32 => 7,
        _ => 0,
    }
}

fn put_utf8(w: &mut BitWriter, v: u64) {
    if v < 0x80 {
        w.put(8, v as u32);
        return;
    }
    // Number of continuation bytes.
    let extra = match v {
        0..=0x7FF => 1,
        0x800..=0xFFFF => 2,
        0x1_0000..=0x1F_FFFF => 3,
        0x20_0000..=0x3FF_FFFF => 4,
        0x400_0000..=0x7FFF_FFFF => 5,
        _ => 6,
    };
    let lead_marker = (0xFF00u32 >> (extra + 1)) & 0xFF;
    let lead = lead_marker | (v >> (6 * extra)) as u32;
    w.put(8, lead & 0xFF);
    for i in (0..extra).rev() {
        w.put(8, 0x80 | ((v >> (6 * i)) as u32 & 0x3F));
    }
}

impl BlockEncoder {
    /// An encoder for `channels` channels.
    pub(crate) fn new(channels: usize) -> Self {
        let count = if channels == 2 { 4 } else { channels };
        BlockEncoder { chans: (0..count).map(|_| Channel::new()).collect(), window: Vec::new(), out: Vec::new() }
    }

    /// Encodes `interleaved` (a whole number of frames, at least one) as
    /// frame `frame_number` into [`BlockEncoder::out`].
    pub(crate) fn encode(&mut self, interleaved: &[i32], params: &StreamParams, frame_number: u64) {
        let ch = params.channels;
        let n = interleaved.len() / ch;
        self.out.clear();
        if n == 0 {
            return;
        }
        for c in self.chans.iter_mut() {
            c.resize(n);
        }
        if self.window.len() != n {
            self.window.resize(n, 0.0);
            tukey(&mut self.window, 0.5);
        }
        // Deinterleave.
        if ch == 1 {
            self.chans[0].signal[..n].copy_from_slice(interleaved);
        } else if ch == 2 {
            let (l, rest) = self.chans.split_at_mut(1);
            let (r, rest) = rest.split_at_mut(1);
            let (m, s) = rest.split_at_mut(1);
            let (l, r) = (&mut l[0].signal[..n], &mut r[0].signal[..n]);
            let (m, s) = (&mut m[0].signal[..n], &mut s[0].signal[..n]);
            for (i, f) in interleaved.chunks_exact(2).enumerate() {
                l[i] = f[0];
                r[i] = f[1];
            }
            if params.bps < 32 {
                for i in 0..n {
                    // bps ≤ 31: neither sum nor difference overflows i32.
                    m[i] = (l[i] + r[i]) >> 1;
                    s[i] = l[i] - r[i];
                }
            }
        } else {
            for (c, chan) in self.chans.iter_mut().enumerate() {
                for (d, f) in chan.signal[..n].iter_mut().zip(interleaved.chunks_exact(ch)) {
                    *d = f[c];
                }
            }
        }

        let stereo = ch == 2 && params.bps < 32;
        let analysed = if stereo { 4 } else { ch };
        for (i, chan) in self.chans[..analysed].iter_mut().enumerate() {
            let bps = if stereo && i == 3 { params.bps + 1 } else { params.bps };
            chan.analyse(n, bps, params, &self.window);
        }
        // Channel assignment: code and the two channel slots written.
        let (assign, order): (u32, [usize; 2]) = if stereo {
            let bits = |i: usize| self.chans[i].bits;
            let opts = [
                (1u32, [0usize, 1usize], bits(0) + bits(1)),
                (8, [0, 3], bits(0) + bits(3)),
                (9, [3, 1], bits(3) + bits(1)),
                (10, [2, 3], bits(2) + bits(3)),
            ];
            let mut best = opts[0];
            for o in &opts[1..] {
                if o.2 < best.2 {
                    best = *o;
                }
            }
            (best.0, best.1)
        } else {
            (ch as u32 - 1, [0, 0])
        };

        // Frame header.
        let mut w = BitWriter::new(&mut self.out);
        w.put(16, 0xFFF8);
        let (bs_code, bs_extra) = block_size_code(n);
        let (sr_code, sr_extra) = sample_rate_code(params.sample_rate);
        w.put(4, bs_code);
        w.put(4, sr_code);
        w.put(4, assign);
        w.put(3, sample_size_code(params.bps));
        w.put(1, 0);
        put_utf8(&mut w, frame_number);
        if let Some((b, v)) = bs_extra {
            w.put(b, v);
        }
        if let Some((b, v)) = sr_extra {
            w.put(b, v);
        }
        w.flush_to_byte();
        let crc = crc8(&self.out);
        self.out.push(crc);

        let mut w = BitWriter::new(&mut self.out);
        if stereo {
            for &i in &order {
                self.chans[i].write(&mut w, n);
            }
        } else {
            for chan in &self.chans[..ch] {
                chan.write(&mut w, n);
            }
        }
        w.flush_to_byte();
        let crc = crc16(&self.out);
        self.out.extend_from_slice(&crc.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_frame_numbers() {
        for (v, want) in [
            (0u64, vec![0u8]),
            (0x7F, vec![0x7F]),
            (0x80, vec![0xC2, 0x80]),
            (0x7FF, vec![0xDF, 0xBF]),
            (0x800, vec![0xE0, 0xA0, 0x80]),
            (0xFFFF, vec![0xEF, 0xBF, 0xBF]),
            (0x7FFF_FFFF, vec![0xFD, 0xBF, 0xBF, 0xBF, 0xBF, 0xBF]),
        ] {
            let mut out = Vec::new();
            let mut w = BitWriter::new(&mut out);
            put_utf8(&mut w, v);
            w.flush_to_byte();
            assert_eq!(out, want, "{v:#x}");
        }
    }
}
