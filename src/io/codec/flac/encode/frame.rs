//! One FLAC frame from one block of interleaved samples: channel
//! decorrelation, per-channel choice among CONSTANT / VERBATIM / FIXED / LPC
//! subframes by estimated bits, and the bit-exact frame layout (header with
//! CRC-8, subframes, CRC-16). A [`BlockEncoder`] owns all its scratch so
//! encoding a block does not allocate once the buffers have grown.

use super::super::bitwriter::BitWriter;
use super::super::crc::{crc16, crc8};
use super::lpc::{
    autocorrelation, best_fixed_order, best_order, estimate_bits, fixed_residual, levinson, lpc_residual, plan_rice,
    quantize, tukey, RicePlan, ESCAPE, MAX_LPC_ORDER,
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
    /// Best FIXED order and its estimated subframe bits, from `prepare`.
    fixed: Option<(usize, u64)>,
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
            fixed: None,
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

    /// First look at `signal[..n]` at `bps` bits: CONSTANT detection,
    /// wasted-bits removal, the best FIXED order and a quick estimate of the
    /// subframe's size (in `self.bits`). Returns true when the subframe is
    /// settled (CONSTANT) and [`Channel::analyse`] has nothing to add.
    #[inline(always)]
    fn prepare(&mut self, n: usize, bps: u32) -> bool {
        let x = &mut self.signal[..n];
        self.wasted = 0;
        self.bps = bps;
        self.fixed = None;
        let first = x[0];
        if x.iter().all(|&v| v == first) {
            self.kind = Kind::Constant(first);
            self.bits = 8 + u64::from(bps);
            return true;
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
        let header = 8 + u64::from(wasted);
        self.kind = Kind::Verbatim;
        self.bits = header + n as u64 * u64::from(bps);
        if n > 4 {
            let (order, abs_sum) = best_fixed_order(&self.signal[..n]);
            // One-partition estimate of the FIXED residual.
            let est = header + (order as u64) * u64::from(bps) + estimate_bits((n - 4) as u64, abs_sum);
            self.fixed = Some((order, est));
        }
        false
    }

    /// After [`Channel::prepare`]: picks the cheapest subframe, with its exact size in `self.bits`.
    #[inline(always)]
    fn analyse(&mut self, n: usize, params: &StreamParams, window: &[f64]) {
        if matches!(self.kind, Kind::Constant(_)) {
            return;
        }
        let bps = self.bps;
        let header = 8 + u64::from(self.wasted);
        self.kind = Kind::Verbatim;
        self.bits = header + n as u64 * u64::from(bps);
        // LPC first: on music it nearly always wins, and its exact cost lets
        // the FIXED search be skipped when FIXED's estimate is far behind
        // (partitioning rarely saves more than a few per cent).
        self.try_lpc(n, bps, header, params, window);
        if let Some((order, est)) = self.fixed {
            if !matches!(self.kind, Kind::Lpc { .. }) || est < self.bits + self.bits / 8 {
                self.try_fixed(n, order, bps, header);
            }
        } else if n > 1 {
            self.try_fixed(n, 1, bps, header);
        }
    }

    /// Evaluates FIXED `order`; keeps it if cheaper than the current choice.
    #[inline(always)]
    fn try_fixed(&mut self, n: usize, order: usize, bps: u32, header: u64) {
        let x = &self.signal[..n];
        if !fixed_residual(x, order, &mut self.res_tmp) {
            return;
        }
        let mut plan = RicePlan::default();
        plan_rice(&self.res_tmp, n, order, &mut plan);
        let bits = header + (order as u64) * u64::from(bps) + plan.bits;
        if bits < self.bits {
            self.kind = Kind::Fixed(order);
            self.bits = bits;
            self.plan = plan;
            std::mem::swap(&mut self.res, &mut self.res_tmp);
        }
    }

    /// Evaluates the tukey-windowed LPC predictor libFLAC -5 would pick.
    #[inline(always)]
    fn try_lpc(&mut self, n: usize, bps: u32, header: u64, params: &StreamParams, window: &[f64]) {
        let x = &self.signal[..n];
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

    #[inline(always)]
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

#[inline(always)]
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

/// Stereo pairs whose quick estimate exceeds the best pair's by more than
/// 1/STEREO_SLACK are not analysed in full.
const STEREO_SLACK: u64 = 50;

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
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked just above), the only
                // requirement of calling a function compiled for it.
                unsafe { self.encode_avx2(interleaved, params, frame_number) };
                return;
            }
        }
        self.encode_inner(interleaved, params, frame_number);
    }

    /// [`BlockEncoder::encode`] compiled for AVX2. Only integer and plain
    /// multiply/add float code is generated (no FMA), so the output is
    /// bit-identical to the portable build.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn encode_avx2(&mut self, interleaved: &[i32], params: &StreamParams, frame_number: u64) {
        self.encode_inner(interleaved, params, frame_number);
    }

    #[inline(always)]
    fn encode_inner(&mut self, interleaved: &[i32], params: &StreamParams, frame_number: u64) {
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
        let (assign, order): (u32, [usize; 2]) = if stereo {
            // Slots: 0 left, 1 right, 2 mid, 3 side (one bit wider).
            const PAIRS: [(u32, [usize; 2]); 4] = [(1, [0, 1]), (8, [0, 3]), (9, [3, 1]), (10, [2, 3])];
            let mut est = [0u64; 4];
            for (i, chan) in self.chans[..4].iter_mut().enumerate() {
                chan.prepare(n, params.bps + u32::from(i == 3));
                est[i] = chan.fixed.map_or(chan.bits, |f| f.1.min(chan.bits));
            }
            // Only pairs whose quick estimate is near the best get the full
            // analysis; the others cannot plausibly win.
            let pair_est = PAIRS.map(|(_, [a, b])| est[a] + est[b]);
            let best_est = pair_est.iter().copied().min().unwrap_or(0);
            let limit = best_est + best_est / STEREO_SLACK;
            let mut needed = [false; 4];
            for (p, &(_, [a, b])) in PAIRS.iter().enumerate() {
                if pair_est[p] <= limit {
                    needed[a] = true;
                    needed[b] = true;
                }
            }
            for (i, chan) in self.chans[..4].iter_mut().enumerate() {
                if needed[i] {
                    chan.analyse(n, params, &self.window);
                }
            }
            let mut best: Option<(u32, [usize; 2], u64)> = None;
            for (p, &(code, [a, b])) in PAIRS.iter().enumerate() {
                if pair_est[p] > limit {
                    continue;
                }
                let bits = self.chans[a].bits + self.chans[b].bits;
                if best.is_none_or(|x| bits < x.2) {
                    best = Some((code, [a, b], bits));
                }
            }
            let (code, slots, _) = best.unwrap_or((1, [0, 1], 0));
            (code, slots)
        } else {
            for chan in self.chans[..ch].iter_mut() {
                chan.prepare(n, params.bps);
                chan.analyse(n, params, &self.window);
            }
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
    fn portable_and_dispatched_builds_agree() {
        let mut seed = 0x1234_5678_9abc_def1u64;
        for (ch, bps) in [(2usize, 16u32), (1, 24), (3, 8), (2, 32)] {
            let params = StreamParams {
                channels: ch,
                bps,
                sample_rate: 44100,
                max_lpc_order: MAX_LPC_ORDER,
                qlp_precision: StreamParams::default_precision(bps, 4096),
            };
            let amp = ((1i64 << (bps - 1)) - 1) as f64;
            let samples: Vec<i32> = (0..4096 * ch)
                .map(|i| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let t = (i / ch) as f64;
                    let noise = (seed >> 40) as f64 / (1u64 << 24) as f64 - 0.5;
                    (amp * (0.6 * (t * 0.03 * (1 + i % ch) as f64).sin() + 0.01 * noise)) as i32
                })
                .collect();
            let mut a = BlockEncoder::new(ch);
            let mut b = BlockEncoder::new(ch);
            a.encode(&samples, &params, 7);
            b.encode_inner(&samples, &params, 7);
            assert!(a.out == b.out, "{ch} channels at {bps} bits");
            assert!(a.out.len() < samples.len() * bps as usize / 8);
        }
    }

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
