use super::*;

#[test]
fn absurd_sizes_give_no_layout() {
    // Found by fuzzing: a CAF desc with 0x2000_0000 bytes per sample overflowed `bytes * 8`.
    assert_eq!(PcmLayout::float(0x2000_0000, false), None);
    assert_eq!(PcmLayout::float(u32::MAX, true), None);
    assert_eq!(PcmLayout::int(u32::MAX, 16, false, false), None);
    assert_eq!(PcmLayout::int(0x2000_0000, u32::MAX, false, false), None);
}

fn layouts() -> Vec<PcmLayout> {
    let mut v = Vec::new();
    for be in [false, true] {
        for bytes in 1..=8u32 {
            for valid in [bytes * 8, bytes * 8 - 4] {
                if valid > 0 {
                    v.push(PcmLayout::int(bytes, valid, bytes == 1, be).unwrap());
                    v.push(PcmLayout::int(bytes, valid, false, be).unwrap());
                }
            }
        }
        v.push(PcmLayout::float(4, be).unwrap());
        v.push(PcmLayout::float(8, be).unwrap());
    }
    v
}

#[test]
fn known_bytes_decode() {
    let s16 = PcmLayout::int(2, 16, false, false).unwrap();
    let mut o = [0i32; 3];
    decode_i32(&s16, &[0x00, 0x80, 0xff, 0x7f, 0x01, 0x00], &mut o);
    assert_eq!(o, [-32768, 32767, 1]);
    let mut f = [0f32; 3];
    decode_f32(&s16, &[0x00, 0x80, 0xff, 0x7f, 0x01, 0x00], &mut f);
    assert_eq!(f, [-1.0, 32767.0 / 32768.0, 1.0 / 32768.0]);
    let u8l = PcmLayout::int(1, 8, true, false).unwrap();
    decode_i32(&u8l, &[0, 128, 255], &mut o);
    assert_eq!(o, [-128, 0, 127]);
    let s24be = PcmLayout::int(3, 24, false, true).unwrap();
    decode_i32(&s24be, &[0x80, 0, 0, 0x7f, 0xff, 0xff, 0, 0, 1], &mut o);
    assert_eq!(o, [-8388608, 8388607, 1]);
    // 20 valid bits in 24: the top 20 bits.
    let s20 = PcmLayout::int(3, 20, false, false).unwrap();
    decode_i32(&s20, &[0xf0, 0xff, 0x7f, 0x10, 0, 0x80, 0, 0, 0], &mut o);
    assert_eq!(o, [(1 << 19) - 1, -(1 << 19) + 1, 0]);
    // 64-bit ints keep their top 32 bits.
    let s64 = PcmLayout::int(8, 64, false, false).unwrap();
    decode_i32(&s64, &(-5i64 << 32).to_le_bytes(), &mut o[..1]);
    assert_eq!(o[0], -5);
    let f32be = PcmLayout::float(4, true).unwrap();
    decode_f32(&f32be, &0.25f32.to_be_bytes(), &mut f[..1]);
    assert_eq!(f[0], 0.25);
    decode_i32(&f32be, &2.0f32.to_be_bytes(), &mut o[..1]);
    assert_eq!(o[0], i32::MAX);
}

#[test]
fn encode_decode_round_trip_every_layout() {
    for l in layouts() {
        let bits = l.out_bits();
        let (lo, hi) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
        let ints: Vec<i32> = [lo, hi, 0, 1, -1, lo / 3, hi / 7].iter().map(|&v| v as i32).collect();
        let mut bytes = Vec::new();
        encode_i32(&l, &ints, &mut bytes);
        assert_eq!(bytes.len(), ints.len() * l.bytes as usize);
        let mut back = vec![0i32; ints.len()];
        assert_eq!(decode_i32(&l, &bytes, &mut back), ints.len());
        if l.float {
            let tol = if l.bytes == 4 { 128 } else { 1 };
            for (a, b) in ints.iter().zip(&back) {
                assert!((*a as i64 - *b as i64).abs() <= tol, "{l:?}: {a} vs {b}");
            }
        } else {
            assert_eq!(back, ints, "{l:?}");
        }
        // f32 path: exact to 24 bits.
        let fl: Vec<f32> = [-1.0f32, 0.5, -0.25, 0.0, 0.125].to_vec();
        let mut bytes = Vec::new();
        encode_f32(&l, &fl, &mut bytes);
        let mut back = vec![0f32; fl.len()];
        decode_f32(&l, &bytes, &mut back);
        if l.float || bits >= 4 {
            assert_eq!(back, fl, "{l:?}");
        }
    }
}

#[test]
fn short_input_decodes_whole_samples_only() {
    let l = PcmLayout::int(3, 24, false, false).unwrap();
    let mut o = [7i32; 4];
    assert_eq!(decode_i32(&l, &[1, 2, 3, 4, 5], &mut o), 1);
    assert_eq!(o[1], 7);
}

/// The 16-bit little-endian fast path writes what the general path writes
/// (the same layout stored big-endian, bytes swapped), clipping included.
#[test]
fn sixteen_bit_fast_path_matches_the_general_path() {
    let le = PcmLayout::int(2, 16, false, false).unwrap();
    let be = PcmLayout::int(2, 16, false, true).unwrap();
    let mut x = 0x1234_5678_9abc_def1u64;
    let mut src: Vec<i32> = (0..10_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x as i32) >> (x % 20)
        })
        .collect();
    src.extend([i32::MIN, i32::MAX, -32769, -32768, 32767, 32768, 0, -1, 1]);
    let (mut a, mut b) = (vec![7u8], vec![7u8]);
    encode_i32(&le, &src, &mut a);
    encode_i32(&be, &src, &mut b);
    let swapped: Vec<u8> = b[1..].chunks_exact(2).flat_map(|c| [c[1], c[0]]).collect();
    assert_eq!(a[0], 7);
    assert!(a[1..] == swapped[..]);
}
