//! ADPCM block decoders for the native containers: IMA ADPCM in WAVE/DVI
//! blocks and in Apple `ima4` packets (AIFF-C, CAF), and Microsoft ADPCM in
//! WAVE blocks. Output is 16-bit, interleaved.
//!
//! Each block (packet) carries its own starting state, so a block decodes
//! alone: that is what makes seeking exact. IMA uses the reference
//! shift-and-add step (as sox and ffmpeg's QuickTime decoder do); MS ADPCM
//! uses the reference truncating division (as ffmpeg and Windows do). The
//! decoders never read past the block they are given, never allocate, and
//! accept any bytes.

/// IMA step-index adjustment per 4-bit code.
const IMA_INDEX: [i32; 16] = [-1, -1, -1, -1, 2, 4, 6, 8, -1, -1, -1, -1, 2, 4, 6, 8];

/// IMA quantiser step sizes.
const IMA_STEP: [i32; 89] = [
    7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88, 97, 107,
    118, 130, 143, 157, 173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658, 724, 796, 876, 963,
    1060, 1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327, 3660, 4026, 4428, 4871, 5358, 5894,
    6484, 7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794,
    32767,
];

/// MS ADPCM step adaptation per 4-bit code.
const MS_ADAPT: [i64; 16] = [230, 230, 230, 230, 307, 409, 512, 614, 768, 614, 512, 409, 307, 230, 230, 230];

/// The seven standard MS ADPCM coefficient pairs (used when the fmt chunk gives none).
pub const MS_STANDARD_COEFS: [(i32, i32); 7] =
    [(256, 0), (512, -256), (0, 0), (192, 64), (240, 0), (460, -208), (392, -232)];

/// One IMA decoder state: the predicted sample and the step index (0..=88).
#[derive(Debug, Clone, Copy)]
pub struct ImaState {
    /// Last sample.
    pub predictor: i32,
    /// Index into the step table.
    pub index: i32,
}

impl ImaState {
    /// Decodes one 4-bit code and returns the new sample.
    #[inline(always)]
    pub fn expand(&mut self, nibble: u8) -> i16 {
        let nibble = (nibble & 0x0f) as usize;
        let step = IMA_STEP[self.index.clamp(0, 88) as usize];
        self.index = (self.index + IMA_INDEX[nibble]).clamp(0, 88);
        let mut diff = step >> 3;
        if nibble & 4 != 0 {
            diff += step;
        }
        if nibble & 2 != 0 {
            diff += step >> 1;
        }
        if nibble & 1 != 0 {
            diff += step >> 2;
        }
        let p = if nibble & 8 != 0 { self.predictor - diff } else { self.predictor + diff };
        self.predictor = p.clamp(-32768, 32767);
        self.predictor as i16
    }
}

/// Frames in a WAVE IMA ADPCM block of `len` bytes for `channels` channels
/// (the header sample plus 8 per 4-byte group per channel).
pub fn ima_wav_block_frames(len: usize, channels: usize) -> usize {
    if channels == 0 || len < 4 * channels {
        return 0;
    }
    (len - 4 * channels) / (4 * channels) * 8 + 1
}

/// Decodes one WAVE/DVI IMA ADPCM block (at most `max_frames` frames) into
/// `out` (interleaved); returns the frames written.
pub fn decode_ima_wav_block(block: &[u8], channels: usize, max_frames: usize, out: &mut [i16]) -> usize {
    if channels == 0 {
        return 0;
    }
    let frames = ima_wav_block_frames(block.len(), channels).min(max_frames).min(out.len() / channels);
    if frames == 0 {
        return 0;
    }
    for c in 0..channels {
        let h = &block[4 * c..4 * c + 4];
        let predictor = i16::from_le_bytes([h[0], h[1]]) as i32;
        // sox restarts an out-of-range step index at 0.
        let index = if h[2] > 88 { 0 } else { h[2] as i32 };
        let mut st = ImaState { predictor, index };
        out[c] = predictor as i16;
        let mut f = 1;
        let mut group = 0;
        while f < frames {
            let base = 4 * channels * (group + 1) + 4 * c;
            for &b in &block[base..base + 4] {
                for nib in [b & 0x0f, b >> 4] {
                    if f < frames {
                        out[f * channels + c] = st.expand(nib);
                        f += 1;
                    }
                }
            }
            group += 1;
        }
    }
    frames
}

/// Bytes of one Apple `ima4` packet per channel.
pub const IMA4_PACKET: usize = 34;

/// Decodes one Apple `ima4` packet (34 bytes per channel, channel after
/// channel, 64 frames) into `out`; returns 64, or 0 for a short packet.
pub fn decode_ima4_packet(packet: &[u8], channels: usize, out: &mut [i16]) -> usize {
    if channels == 0 || packet.len() < IMA4_PACKET * channels || out.len() < 64 * channels {
        return 0;
    }
    for c in 0..channels {
        let p = &packet[IMA4_PACKET * c..IMA4_PACKET * (c + 1)];
        let header = u16::from_be_bytes([p[0], p[1]]);
        let predictor = (header & 0xff80) as i16 as i32;
        let index = ((header & 0x7f) as i32).min(88);
        let mut st = ImaState { predictor, index };
        for (k, &b) in p[2..].iter().enumerate() {
            out[(2 * k) * channels + c] = st.expand(b & 0x0f);
            out[(2 * k + 1) * channels + c] = st.expand(b >> 4);
        }
    }
    64
}

/// Frames in a Microsoft ADPCM block of `len` bytes: two header samples plus
/// two per byte after the 7-byte-per-channel header, shared by the channels.
pub fn ms_block_frames(len: usize, channels: usize) -> usize {
    if channels == 0 || len < 7 * channels {
        return 0;
    }
    2 + (len - 7 * channels) * 2 / channels
}

/// One MS ADPCM channel state.
#[derive(Debug, Clone, Copy)]
pub struct MsState {
    /// Coefficient pair (×256).
    pub coef: (i32, i32),
    /// Step.
    pub delta: i64,
    /// Last sample.
    pub s1: i32,
    /// The sample before.
    pub s2: i32,
}

impl MsState {
    /// Decodes one 4-bit code and returns the new sample.
    #[inline(always)]
    pub fn expand(&mut self, nibble: u8) -> i16 {
        let nibble = nibble & 0x0f;
        let signed = if nibble & 8 != 0 { nibble as i64 - 16 } else { nibble as i64 };
        let pred = (self.s1 as i64 * self.coef.0 as i64 + self.s2 as i64 * self.coef.1 as i64) / 256;
        let v = (pred + signed * self.delta).clamp(-32768, 32767) as i32;
        self.s2 = self.s1;
        self.s1 = v;
        self.delta = ((MS_ADAPT[nibble as usize] * self.delta) >> 8).clamp(16, i32::MAX as i64 / 768);
        v as i16
    }
}

/// Decodes one Microsoft ADPCM block (at most `max_frames` frames) with the
/// file's coefficient pairs into `out`; returns the frames written. Codes
/// run through the channels in turn, high nibble first.
pub fn decode_ms_block(
    block: &[u8],
    channels: usize,
    max_frames: usize,
    coefs: &[(i32, i32)],
    out: &mut [i16],
) -> usize {
    if channels == 0 {
        return 0;
    }
    let frames = ms_block_frames(block.len(), channels).min(max_frames).min(out.len() / channels);
    if frames == 0 {
        return 0;
    }
    let word = |i: usize| i16::from_le_bytes([block[i], block[i + 1]]) as i32;
    let data = &block[7 * channels..];
    for c in 0..channels {
        let coef = coefs.get(block[c] as usize).copied().unwrap_or((0, 0));
        let mut st = MsState {
            coef,
            delta: word(channels + 2 * c) as i64,
            s1: word(3 * channels + 2 * c),
            s2: word(5 * channels + 2 * c),
        };
        out[c] = st.s2 as i16;
        if frames > 1 {
            out[channels + c] = st.s1 as i16;
        }
        for f in 2..frames {
            let i = (f - 2) * channels + c;
            let b = data[i / 2];
            let nib = if i % 2 == 0 { b >> 4 } else { b & 0x0f };
            out[f * channels + c] = st.expand(nib);
        }
    }
    frames
}

#[cfg(test)]
pub(crate) mod tests;
