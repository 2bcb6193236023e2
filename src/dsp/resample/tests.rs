//! Tests of the resampler: lengths, chunking, alignment, quality in dB,
//! channels, parallel identity.

use super::*;
use crate::dsp::measure::{channel, fit_sine, power, power_ratio_db};
use proptest::prelude::*;

const PI2: f64 = 2.0 * std::f64::consts::PI;

/// `channels` interleaved sines, channel c at `freq·(1 + c/10)`.
fn sines(freq: f64, rate: u32, frames: usize, channels: usize, amp: f64) -> Vec<f32> {
    let mut v = Vec::with_capacity(frames * channels);
    for k in 0..frames {
        for c in 0..channels {
            let f = freq * (1.0 + c as f64 / 10.0);
            v.push((amp * (PI2 * f * k as f64 / rate as f64).sin()) as f32);
        }
    }
    v
}

/// Deterministic pseudo-noise in [−0.5, 0.5).
fn noise(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect()
}

fn expected_frames(n: u64, from: u32, to: u32) -> u64 {
    (n as u128 * to as u128).div_ceil(from as u128) as u64
}

/// THD+N of a mono output, skipping `edge` frames at both ends.
fn thd_n(out: &[f32], freq: f64, rate: u32, edge: usize) -> f64 {
    fit_sine(&out[edge..out.len() - edge], freq / rate as f64).thd_n_db()
}

fn streamed(r: &mut Resampler, input: &[f32], chunk: usize) -> Vec<f32> {
    let mut out = Vec::new();
    let mut total = 0;
    for c in input.chunks(chunk.max(1)) {
        total += r.process(c, &mut out);
    }
    total += r.finish(&mut out);
    assert_eq!(total * r.channels(), out.len());
    out
}

const RATIOS: &[(u32, u32)] = &[
    (44100, 48000),
    (48000, 44100),
    (8000, 192000),
    (192000, 8000),
    (44100, 44101),
    (22050, 44100),
    (44100, 22050),
    (48000, 48000),
    (11025, 8000),
    (96000, 44100),
    (7, 1000),
];

#[test]
fn exact_lengths_for_many_ratios_and_chunkings() {
    for &(from, to) in RATIOS {
        for &n in &[0usize, 1, 2, 7, 100, 1000, 4099] {
            let input = noise(n * 2, n as u64);
            let one = resample_all(&input, 2, from, to, Quality::Low).unwrap();
            assert_eq!(one.len() as u64, 2 * expected_frames(n as u64, from, to), "{from}→{to}, {n}");
            for chunk in [1usize, 3, 14, 1000] {
                let mut r = Resampler::new(from, to, 2, Quality::Low).unwrap();
                let out = streamed(&mut r, &input, chunk);
                assert_eq!(r.frames_out() as usize * 2, out.len());
                assert!(
                    out.iter().zip(&one).all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{from}→{to} n={n} chunk={chunk}"
                );
                assert_eq!(out.len(), one.len());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]
    #[test]
    fn random_chunks_give_the_one_shot_output(
        ratio in 0..RATIOS.len(),
        channels in 1usize..=3,
        frames in 0usize..2500,
        chunks in proptest::collection::vec(1usize..700, 1..40),
        q in 0..4usize,
    ) {
        let (from, to) = RATIOS[ratio];
        let quality = [Quality::Low, Quality::Medium, Quality::High, Quality::Max][q];
        let input = noise(frames * channels, frames as u64 + 1);
        let one = resample_all(&input, channels, from, to, quality).unwrap();
        let mut r = Resampler::new(from, to, channels, quality).unwrap();
        let mut out = Vec::new();
        let mut pos = 0;
        let mut i = 0;
        while pos < input.len() {
            let n = chunks[i % chunks.len()].min(input.len() - pos);
            r.process(&input[pos..pos + n], &mut out);
            pos += n;
            i += 1;
        }
        r.finish(&mut out);
        prop_assert_eq!(out.len(), one.len());
        prop_assert!(out.iter().zip(&one).all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}

#[test]
fn parallel_is_bit_identical() {
    for &(from, to, ch) in
        &[(44100, 48000, 2), (48000, 44100, 1), (44100, 44101, 2), (8000, 192000, 6), (96000, 8000, 1)]
    {
        let frames = 60_000;
        let input = noise(frames * ch, from as u64);
        let one = resample_all(&input, ch, from, to, Quality::High).unwrap();
        for threads in [0, 2, 3] {
            let par = resample_parallel(&input, ch, from, to, Quality::High, threads).unwrap();
            assert_eq!(par.len(), one.len(), "{from}→{to}");
            let same = par.iter().zip(&one).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{from}→{to} ×{ch} on {threads} threads differs");
        }
    }
}

#[test]
fn an_impulse_lands_at_n_times_the_ratio() {
    for &(from, to) in &[(44100, 48000), (48000, 44100), (8000, 192000), (44100, 44101), (96000, 44100)] {
        let n = 3000usize;
        let mut input = vec![0f32; 6000];
        // 8→192 kHz: the pulse spans about ±2500 output frames.
        input[n] = 1.0;
        let out = resample_all(&input, 1, from, to, Quality::High).unwrap();
        let want = n as f64 * to as f64 / from as f64;
        let peak = out.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).unwrap();
        assert!((peak as f64 - want).abs() <= 0.5 + 1e-9, "{from}→{to}: peak at {peak}, want {want}");
        // The centroid of a band-limited pulse sampled this finely is its centre.
        let (lo, hi) = (peak.saturating_sub(5000), (peak + 5000).min(out.len()));
        let (mut s, mut sk) = (0f64, 0f64);
        for (k, &v) in out.iter().enumerate().take(hi).skip(lo) {
            s += v as f64;
            sk += k as f64 * v as f64;
        }
        assert!((sk / s - want).abs() < 1e-3, "{from}→{to}: centroid {} want {want}", sk / s);
    }
}

#[test]
fn dc_stays_dc() {
    for &(from, to) in &[(44100, 48000), (48000, 44100), (44100, 44101), (8000, 192000), (192000, 8000)] {
        let input = vec![0.5f32; from as usize / 2];
        let out = resample_all(&input, 1, from, to, Quality::High).unwrap();
        let edge = out.len() / 5;
        let worst = out[edge..out.len() - edge].iter().map(|&v| (v as f64 - 0.5).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-6, "{from}→{to}: DC off by {worst}");
    }
}

#[test]
fn thd_n_below_minus_130_db_at_44k1_to_48k() {
    for freq in [1000.0, 19000.0] {
        let input = sines(freq, 44100, 44100, 1, 0.5);
        let out = resample_all(&input, 1, 44100, 48000, Quality::High).unwrap();
        let db = thd_n(&out, freq, 48000, 1000);
        eprintln!("44.1→48 kHz {freq} Hz: THD+N {db:.1} dB");
        assert!(db <= -130.0, "{freq} Hz: THD+N {db:.1} dB");
    }
}

#[test]
fn thd_n_of_the_interpolated_bank() {
    for &(from, to) in &[(44100, 44101), (48000, 44101)] {
        assert!(Resampler::new(from, to, 1, Quality::High).unwrap().is_interpolated());
        for freq in [1000.0, 19000.0] {
            let input = sines(freq, from, from as usize / 2, 1, 0.5);
            let out = resample_all(&input, 1, from, to, Quality::High).unwrap();
            let db = thd_n(&out, freq, to, 1000);
            eprintln!("{from}→{to} {freq} Hz: THD+N {db:.1} dB");
            assert!(db <= -130.0, "{from}→{to} {freq} Hz: THD+N {db:.1} dB");
        }
    }
}

#[test]
fn passband_is_flat_to_20_khz() {
    for &(from, to) in &[(44100, 48000), (48000, 44100), (44100, 44101)] {
        for freq in [20.0, 1000.0, 10000.0, 15000.0, 18000.0, 19500.0, 20000.0] {
            let input = sines(freq, from, from as usize / 2, 1, 0.5);
            let out = resample_all(&input, 1, from, to, Quality::High).unwrap();
            let fit = fit_sine(&out[1000..out.len() - 1000], freq / to as f64);
            let gain_db = 20.0 * (fit.amplitude / 0.5).log10();
            assert!(gain_db.abs() <= 0.1, "{from}→{to} {freq} Hz: {gain_db:.4} dB");
        }
    }
}

#[test]
fn stopband_stops_aliases() {
    // 48 → 44.1 kHz: 23 kHz would alias to 21.1 kHz.
    let cases = [(Quality::High, 23000.0, -130.0), (Quality::Medium, 23000.0, -98.0), (Quality::Low, 23000.0, -78.0)];
    for (q, freq, limit) in cases {
        let input = sines(freq, 48000, 24000, 1, 0.5);
        let out = resample_all(&input, 1, 48000, 44100, q).unwrap();
        let db = power_ratio_db(power(&out[1000..out.len() - 1000]), power(&input));
        eprintln!("48→44.1 kHz {q:?}: {freq} Hz comes out at {db:.1} dB");
        assert!(db <= limit, "{q:?}: {freq} Hz at {db:.1} dB");
    }
    // Downsampling by 24: 5 kHz is above the 4 kHz Nyquist.
    let input = sines(5000.0, 192000, 96000, 1, 0.5);
    let out = resample_all(&input, 1, 192000, 8000, Quality::High).unwrap();
    let db = power_ratio_db(power(&out[200..out.len() - 200]), power(&input));
    assert!(db <= -130.0, "192→8 kHz: 5 kHz at {db:.1} dB");
}

#[test]
fn extremes_8k_to_192k_and_back() {
    let input = sines(1000.0, 8000, 8000, 1, 0.5);
    let up = resample_all(&input, 1, 8000, 192000, Quality::High).unwrap();
    assert_eq!(up.len(), 192000);
    let db = thd_n(&up, 1000.0, 192000, 20000);
    assert!(db <= -130.0, "8→192 kHz: THD+N {db:.1} dB");
    let input = sines(1000.0, 192000, 96000, 1, 0.5);
    let down = resample_all(&input, 1, 192000, 8000, Quality::High).unwrap();
    assert_eq!(down.len(), 4000);
    let db = thd_n(&down, 1000.0, 8000, 500);
    assert!(db <= -130.0, "192→8 kHz: THD+N {db:.1} dB");
}

#[test]
fn equal_rates_pass_through_exactly() {
    let input = noise(3 * 5000 + 2, 9);
    let whole = &input[..3 * 5000];
    let out = resample_all(&input, 3, 48000, 48000, Quality::Max).unwrap();
    assert_eq!(out, whole);
    assert_eq!(resample_parallel(&input, 3, 96000, 96000, Quality::High, 2).unwrap(), whole);
    let mut r = Resampler::new(44100, 44100, 3, Quality::High).unwrap();
    assert_eq!(streamed(&mut r, whole, 7), whole);
}

#[test]
fn channels_are_independent_mono_runs() {
    for ch in [2usize, 6] {
        let frames = 20_000;
        let input: Vec<f32> =
            noise(frames * ch, ch as u64).iter().enumerate().map(|(i, v)| v * (1.0 + (i % ch) as f32)).collect();
        for &(from, to) in &[(44100, 48000), (44100, 44101)] {
            let out = resample_all(&input, ch, from, to, Quality::High).unwrap();
            for c in 0..ch {
                let mono = resample_all(&channel(&input, ch, c), 1, from, to, Quality::High).unwrap();
                let got = channel(&out, ch, c);
                assert!(got.iter().zip(&mono).all(|(a, b)| a.to_bits() == b.to_bits()), "{ch} ch, channel {c}");
                assert_eq!(got.len(), mono.len());
            }
        }
    }
}

#[test]
fn every_quality_meets_its_thd_n() {
    for (q, limit) in [(Quality::Low, -75.0), (Quality::Medium, -95.0), (Quality::High, -130.0), (Quality::Max, -135.0)]
    {
        let input = sines(1000.0, 44100, 22050, 2, 0.5);
        let out = resample_all(&input, 2, 44100, 48000, q).unwrap();
        let db = thd_n(&channel(&out, 2, 0), 1000.0, 48000, 2000);
        eprintln!("{q:?}: 1 kHz THD+N {db:.1} dB, {} taps", Resampler::new(44100, 48000, 2, q).unwrap().taps());
        assert!(db <= limit, "{q:?}: {db:.1} dB");
    }
}

#[test]
fn finish_ends_the_stream_and_reset_starts_another() {
    let mut r = Resampler::new(48000, 44100, 1, Quality::Medium).unwrap();
    let input = noise(4800, 3);
    let a = streamed(&mut r, &input, 100);
    let mut more = Vec::new();
    assert_eq!(r.process(&input, &mut more), 0);
    assert_eq!(r.finish(&mut more), 0);
    assert!(more.is_empty());
    r.reset();
    assert_eq!(streamed(&mut r, &input, 333), a);
    assert_eq!(a.len(), 4410);
}

#[test]
fn bad_arguments_are_errors() {
    assert_eq!(Resampler::new(0, 48000, 2, Quality::High).err(), Some(ResampleError::ZeroRate { from: 0, to: 48000 }));
    assert_eq!(Resampler::new(44100, 48000, 0, Quality::High).err(), Some(ResampleError::Channels(0)));
    assert_eq!(Resampler::new(44100, 48000, 65, Quality::High).err(), Some(ResampleError::Channels(65)));
    assert_eq!(
        Resampler::new(1000, 300_000, 1, Quality::High).err(),
        Some(ResampleError::Ratio { from: 1000, to: 300_000 })
    );
    assert!(Resampler::new(1000, 256_000, 1, Quality::Low).is_ok());
    assert!(resample_all(&[0.0; 10], 0, 44100, 48000, Quality::High).is_err());
}

#[test]
fn every_loop_build_agrees_and_is_chunk_invariant() {
    for isa in kernel::Isa::available() {
        for &(from, to, ch) in &[(44100, 48000, 2), (48000, 44100, 1), (44100, 44101, 2), (8000, 11025, 3)] {
            let input = noise(9000 * ch, 5);
            let fast = resample_all(&input, ch, from, to, Quality::High).unwrap();
            let one = {
                let mut r = Resampler::new(from, to, ch, Quality::High).unwrap().with_isa(isa);
                streamed(&mut r, &input, input.len())
            };
            let mut r = Resampler::new(from, to, ch, Quality::High).unwrap().with_isa(isa);
            let chunked = streamed(&mut r, &input, 77);
            assert!(one.iter().zip(&chunked).all(|(a, b)| a.to_bits() == b.to_bits()), "{isa:?} {from}→{to}");
            assert_eq!(one.len(), fast.len());
            let worst = one.iter().zip(&fast).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(worst < 1e-6, "{isa:?} {from}→{to}: differs from the detected build by {worst}");
            let (c0, f0) = (channel(&one, ch, 0), channel(&fast, ch, 0));
            let diff: f64 = c0.iter().zip(&f0).map(|(a, b)| ((a - b) as f64).powi(2)).sum();
            let err = power_ratio_db(diff / c0.len().max(1) as f64, power(&f0));
            assert!(err < -130.0, "{isa:?} {from}→{to}: {err:.1} dB apart");
        }
    }
}
