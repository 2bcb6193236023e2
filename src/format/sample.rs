//! Sample formats and the one scaling rule used everywhere between integers and floats.

/// How one decoded sample is stored in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SampleFormat {
    /// Unsigned 8-bit (offset binary).
    U8,
    /// Signed 16-bit.
    S16,
    /// Signed 24-bit.
    S24,
    /// Signed 32-bit.
    S32,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
}

impl SampleFormat {
    /// Bits in one stored sample.
    pub const fn bits(self) -> u32 {
        match self {
            SampleFormat::U8 => 8,
            SampleFormat::S16 => 16,
            SampleFormat::S24 => 24,
            SampleFormat::S32 | SampleFormat::F32 => 32,
            SampleFormat::F64 => 64,
        }
    }

    /// Bytes in one stored sample.
    pub const fn bytes(self) -> usize {
        self.bits() as usize / 8
    }

    /// True for F32 and F64.
    pub const fn is_float(self) -> bool {
        matches!(self, SampleFormat::F32 | SampleFormat::F64)
    }

    /// The JSON/CLI name: `u8`, `s16`, `s24`, `s32`, `f32`, `f64`.
    pub const fn name(self) -> &'static str {
        match self {
            SampleFormat::U8 => "u8",
            SampleFormat::S16 => "s16",
            SampleFormat::S24 => "s24",
            SampleFormat::S32 => "s32",
            SampleFormat::F32 => "f32",
            SampleFormat::F64 => "f64",
        }
    }

    /// The smallest integer container that holds `bits` significant bits
    /// (e.g. 12 → S16, 20 → S24); `None` above 32.
    pub const fn for_int_bits(bits: u32) -> Option<Self> {
        match bits {
            1..=8 => Some(SampleFormat::U8),
            9..=16 => Some(SampleFormat::S16),
            17..=24 => Some(SampleFormat::S24),
            25..=32 => Some(SampleFormat::S32),
            _ => None,
        }
    }
}

impl std::fmt::Display for SampleFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Converts a signed integer sample of `bits` significant bits to f32 in
/// [-1, 1): `v / 2^(bits-1)`. This is exact for up to 24 bits.
#[inline(always)]
pub fn int_to_f32(v: i32, bits: u32) -> f32 {
    // 2^-(bits-1) is a power of two, so the multiply is exact where f32 can hold v.
    v as f32 * f32::from_bits((127 - (bits - 1)) << 23)
}

/// Converts f32 to a signed integer of `bits` bits with rounding and clipping:
/// the inverse of [`int_to_f32`].
#[inline(always)]
pub fn f32_to_int(v: f32, bits: u32) -> i32 {
    let max = ((1u64 << (bits - 1)) - 1) as i32;
    round_to_i32(v as f64 * (1u64 << (bits - 1)) as f64).clamp(-max - 1, max)
}

/// Rounds half away from zero (as `f64::round`) and saturates to the i32
/// range (NaN gives 0). Unlike `f64::round`, which is a libm call on x86-64
/// without SSE4.1, this compiles to an add and a convert, so sample loops
/// using it vectorise.
#[inline(always)]
pub fn round_to_i32(x: f64) -> i32 {
    (x + 0.5f64.copysign(x)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_float_round_trip_is_exact_to_24_bits() {
        for bits in [8u32, 12, 16, 20, 24] {
            let max = (1i32 << (bits - 1)) - 1;
            for v in [-(max + 1), -1, 0, 1, max, max / 3] {
                assert_eq!(f32_to_int(int_to_f32(v, bits), bits), v, "bits {bits} v {v}");
            }
        }
        assert_eq!(int_to_f32(-32768, 16), -1.0);
        assert_eq!(f32_to_int(1.5, 16), 32767);
        assert_eq!(f32_to_int(-1.5, 16), -32768);
        assert_eq!(f32_to_int(f32::NAN, 16), 0);
        for x in [0.5f64, -0.5, 1.5, -2.5, 1e12, -1e12, 2.4999, -7.6] {
            assert_eq!(round_to_i32(x), x.round().clamp(i32::MIN as f64, i32::MAX as f64) as i32, "{x}");
        }
    }

    #[test]
    fn container_for_odd_depths() {
        assert_eq!(SampleFormat::for_int_bits(12), Some(SampleFormat::S16));
        assert_eq!(SampleFormat::for_int_bits(20), Some(SampleFormat::S24));
        assert_eq!(SampleFormat::for_int_bits(33), None);
    }
}
