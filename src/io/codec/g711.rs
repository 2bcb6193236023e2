//! ITU-T G.711 A-law and µ-law: decoding through 256-entry tables (built at
//! compile time) to 16-bit linear samples, and encoding from 16-bit linear
//! with the reference (Sun `g711.c`) segment search.
//!
//! Decoded samples are 16-bit values exactly as sox and ffmpeg produce them.
//! Nothing here allocates or can panic on any byte.

const fn ulaw_decode(u: u8) -> i16 {
    let u = !u;
    let t = (((u & 0x0f) as i32) << 3) + 0x84;
    let t = t << ((u & 0x70) >> 4);
    (if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 }) as i16
}

const fn alaw_decode(a: u8) -> i16 {
    let a = a ^ 0x55;
    let mut t = ((a & 0x0f) as i32) << 4;
    let seg = ((a & 0x70) >> 4) as i32;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

const fn table(alaw: bool) -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if alaw { alaw_decode(i as u8) } else { ulaw_decode(i as u8) };
        i += 1;
    }
    t
}

/// µ-law byte → 16-bit linear sample.
pub static ULAW_TO_I16: [i16; 256] = table(false);
/// A-law byte → 16-bit linear sample.
pub static ALAW_TO_I16: [i16; 256] = table(true);

/// Decodes µ-law bytes to 16-bit integers in i32 (as many as both slices hold).
pub fn ulaw_to_i32(src: &[u8], out: &mut [i32]) {
    for (o, &b) in out.iter_mut().zip(src) {
        *o = ULAW_TO_I16[b as usize] as i32;
    }
}

/// Decodes A-law bytes to 16-bit integers in i32.
pub fn alaw_to_i32(src: &[u8], out: &mut [i32]) {
    for (o, &b) in out.iter_mut().zip(src) {
        *o = ALAW_TO_I16[b as usize] as i32;
    }
}

/// Decodes µ-law bytes to f32 (16-bit scaling).
pub fn ulaw_to_f32(src: &[u8], out: &mut [f32]) {
    for (o, &b) in out.iter_mut().zip(src) {
        *o = ULAW_TO_I16[b as usize] as f32 * (1.0 / 32768.0);
    }
}

/// Decodes A-law bytes to f32 (16-bit scaling).
pub fn alaw_to_f32(src: &[u8], out: &mut [f32]) {
    for (o, &b) in out.iter_mut().zip(src) {
        *o = ALAW_TO_I16[b as usize] as f32 * (1.0 / 32768.0);
    }
}

const SEG_AEND: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
const SEG_UEND: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];

fn segment(v: i32, ends: &[i32; 8]) -> usize {
    ends.iter().position(|&e| v <= e).unwrap_or(8)
}

/// Encodes one 16-bit linear sample as µ-law (the reference `linear2ulaw`).
pub fn linear_to_ulaw(pcm: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 8159;
    let mut v = (pcm as i32) >> 2;
    let mask = if v < 0 {
        v = -v;
        0x7F
    } else {
        0xFF
    };
    let v = v.min(CLIP) + (BIAS >> 2);
    let seg = segment(v, &SEG_UEND);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let uval = ((seg as i32) << 4) | ((v >> (seg + 1)) & 0xF);
    (uval ^ mask) as u8
}

/// Encodes one 16-bit linear sample as A-law (the reference `linear2alaw`).
pub fn linear_to_alaw(pcm: i16) -> u8 {
    let mut v = (pcm as i32) >> 3;
    let mask = if v >= 0 {
        0xD5
    } else {
        v = -v - 1;
        0x55
    };
    let seg = segment(v, &SEG_AEND);
    if seg >= 8 {
        return (0x7F ^ mask) as u8;
    }
    let mut aval = (seg as i32) << 4;
    if seg < 2 {
        aval |= (v >> 1) & 0xF;
    } else {
        aval |= (v >> seg) & 0xF;
    }
    (aval ^ mask) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(ULAW_TO_I16[0x00], -32124);
        assert_eq!(ULAW_TO_I16[0x80], 32124);
        assert_eq!(ULAW_TO_I16[0xFF], 0);
        assert_eq!(ULAW_TO_I16[0x7F], 0);
        assert_eq!(ALAW_TO_I16[0xD5], 8);
        assert_eq!(ALAW_TO_I16[0x55], -8);
        assert_eq!(ALAW_TO_I16[0xAA], 32256);
        assert_eq!(ALAW_TO_I16[0x2A], -32256);
    }

    #[test]
    fn encode_inverts_decode() {
        for b in 0..=255u8 {
            let u = ULAW_TO_I16[b as usize];
            assert_eq!(ULAW_TO_I16[linear_to_ulaw(u) as usize], u, "ulaw {b:#x}");
            let a = ALAW_TO_I16[b as usize];
            assert_eq!(linear_to_alaw(a), b, "alaw {b:#x}");
        }
    }

    #[test]
    fn encode_is_monotonic_and_close() {
        let mut prev_u = i16::MIN;
        let mut prev_a = i16::MIN;
        for v in (i16::MIN..=i16::MAX).step_by(7) {
            let du = ULAW_TO_I16[linear_to_ulaw(v) as usize];
            let da = ALAW_TO_I16[linear_to_alaw(v) as usize];
            assert!(du >= prev_u && da >= prev_a, "{v}");
            assert!((du as i32 - v as i32).abs() <= 1100, "ulaw {v} -> {du}");
            assert!((da as i32 - v as i32).abs() <= 1100, "alaw {v} -> {da}");
            prev_u = du;
            prev_a = da;
        }
    }
}
