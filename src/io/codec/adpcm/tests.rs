use super::*;

/// A simple IMA encoder (greedy, as the reference encoder): codes for
/// `samples` of one channel from `state`, applying them to `state`.
pub(crate) fn ima_encode(state: &mut ImaState, samples: &[i16], recon: &mut Vec<i16>) -> Vec<u8> {
    samples
        .iter()
        .map(|&s| {
            let step = IMA_STEP[state.index as usize];
            let mut diff = s as i32 - state.predictor;
            let mut code = 0u8;
            if diff < 0 {
                code = 8;
                diff = -diff;
            }
            let mut st = step;
            for bit in [4u8, 2, 1] {
                if diff >= st {
                    code |= bit;
                    diff -= st;
                }
                st >>= 1;
            }
            recon.push(state.expand(code));
            code
        })
        .collect()
}

/// A WAVE IMA ADPCM block of `frames` interleaved frames (1 + 8k), and what it decodes to.
pub(crate) fn ima_wav_encode_block(input: &[i16], channels: usize) -> (Vec<u8>, Vec<i16>) {
    let frames = input.len() / channels;
    let mut out = vec![0u8; 4 * channels + (frames - 1) / 8 * 4 * channels];
    let mut recon = vec![0i16; input.len()];
    for c in 0..channels {
        let first = input[c];
        out[4 * c..4 * c + 2].copy_from_slice(&first.to_le_bytes());
        out[4 * c + 2] = 0;
        let mut st = ImaState { predictor: first as i32, index: 0 };
        let chan: Vec<i16> = (1..frames).map(|f| input[f * channels + c]).collect();
        let mut r = vec![first];
        let codes = ima_encode(&mut st, &chan, &mut r);
        for (f, v) in r.into_iter().enumerate() {
            recon[f * channels + c] = v;
        }
        for (g, group) in codes.chunks(8).enumerate() {
            for (k, pair) in group.chunks(2).enumerate() {
                out[4 * channels * (g + 1) + 4 * c + k] = pair[0] | (pair.get(1).copied().unwrap_or(0) << 4);
            }
        }
    }
    (out, recon)
}

/// An Apple ima4 packet of 64 interleaved frames.
pub(crate) fn ima4_encode_packet(input: &[i16], channels: usize) -> (Vec<u8>, Vec<i16>) {
    let mut out = vec![0u8; IMA4_PACKET * channels];
    let mut recon = vec![0i16; 64 * channels];
    for c in 0..channels {
        let first = input[c] as i32 & !0x7f;
        let header = (first as u16 & 0xff80) | 20;
        out[34 * c..34 * c + 2].copy_from_slice(&header.to_be_bytes());
        let mut st = ImaState { predictor: first, index: 20 };
        let chan: Vec<i16> = (0..64).map(|f| input[f * channels + c]).collect();
        let mut r = Vec::new();
        let codes = ima_encode(&mut st, &chan, &mut r);
        for (f, v) in r.into_iter().enumerate() {
            recon[f * channels + c] = v;
        }
        for k in 0..32 {
            out[34 * c + 2 + k] = codes[2 * k] | (codes[2 * k + 1] << 4);
        }
    }
    (out, recon)
}

/// A Microsoft ADPCM block (standard coefficient 1), greedy codes, and what it decodes to.
pub(crate) fn ms_encode_block(input: &[i16], channels: usize) -> (Vec<u8>, Vec<i16>) {
    let frames = input.len() / channels;
    let mut recon = input[..2 * channels].to_vec();
    let mut out = vec![0u8; 7 * channels];
    let mut states: Vec<MsState> = (0..channels)
        .map(|c| MsState { coef: MS_STANDARD_COEFS[1], delta: 16, s1: input[channels + c] as i32, s2: input[c] as i32 })
        .collect();
    for c in 0..channels {
        out[c] = 1;
        out[channels + 2 * c..channels + 2 * c + 2].copy_from_slice(&16i16.to_le_bytes());
        out[3 * channels + 2 * c..3 * channels + 2 * c + 2].copy_from_slice(&input[channels + c].to_le_bytes());
        out[5 * channels + 2 * c..5 * channels + 2 * c + 2].copy_from_slice(&input[c].to_le_bytes());
    }
    let mut nibbles = Vec::new();
    for f in 2..frames {
        for (c, st) in states.iter_mut().enumerate() {
            let target = input[f * channels + c] as i64;
            let best = (0u8..16)
                .min_by_key(|&n| {
                    let mut t = *st;
                    (t.expand(n) as i64 - target).abs()
                })
                .unwrap_or(0);
            recon.push(st.expand(best));
            nibbles.push(best);
        }
    }
    for pair in nibbles.chunks(2) {
        out.push((pair[0] << 4) | pair.get(1).copied().unwrap_or(0));
    }
    (out, recon)
}

fn sine(frames: usize, channels: usize) -> Vec<i16> {
    (0..frames * channels).map(|i| ((i as f64 * 0.05).sin() * 12000.0 + (i % 7) as f64 * 30.0) as i16).collect()
}

#[test]
fn ima_wav_block_round_trip_is_close_and_deterministic() {
    for ch in [1usize, 2, 3] {
        let input = sine(1 + 8 * 20, ch);
        let (block, recon) = ima_wav_encode_block(&input, ch);
        assert_eq!(ima_wav_block_frames(block.len(), ch), 161);
        let mut out = vec![0i16; 161 * ch];
        assert_eq!(decode_ima_wav_block(&block, ch, 1000, &mut out), 161);
        assert_eq!(out, recon);
    }
}

#[test]
fn ms_block_round_trip_is_close() {
    for ch in [1usize, 2] {
        let input = sine(2 + 2 * 50, ch);
        let (block, recon) = ms_encode_block(&input, ch);
        let frames = ms_block_frames(block.len(), ch);
        assert_eq!(frames, 102);
        let mut out = vec![0i16; frames * ch];
        assert_eq!(decode_ms_block(&block, ch, frames, &MS_STANDARD_COEFS, &mut out), frames);
        assert_eq!(out, recon);
        let err: i64 = out.iter().zip(&input).map(|(a, b)| (*a as i64 - *b as i64).abs()).max().unwrap();
        assert!(err < 6000, "max error {err}");
    }
}

#[test]
fn garbage_never_panics() {
    let mut out = vec![0i16; 4096];
    let mut seed = 1u32;
    for len in 0..300 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
                (seed >> 24) as u8
            })
            .collect();
        for ch in 1..4 {
            decode_ima_wav_block(&bytes, ch, usize::MAX, &mut out);
            decode_ima4_packet(&bytes, ch, &mut out);
            decode_ms_block(&bytes, ch, usize::MAX, &MS_STANDARD_COEFS, &mut out);
            decode_ms_block(&bytes, ch, usize::MAX, &[], &mut out);
        }
    }
}
