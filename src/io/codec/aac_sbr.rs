//! Implicit SBR: an AAC stream whose AudioSpecificConfig (or ADTS header)
//! says AAC-LC at, say, 22050 Hz, but whose raw data blocks carry spectral
//! band replication data, is HE-AAC playing at twice that rate (ISO 14496-3
//! 1.6.5.2, "implicit signalling"; ffmpeg's decoder finds it on the first
//! frame). This module only finds out; it decodes nothing.
//!
//! SBR data travels in a fill element (`ID_FIL`) whose extension payload
//! type is `EXT_SBR_DATA` (0xD) or `EXT_SBR_DATA_CRC` (0xE), written after
//! the channel element it extends. Reaching it from the front means
//! Huffman-decoding the whole channel element; instead the block is read
//! from its end, where the layout is fixed: `ID_END` (3 bits of 1), zero
//! bits to the byte boundary, and before them a chain of fill elements,
//! each `ID_FIL` + a 4-bit count (8 more bits when 15) + that many bytes.
//! Every fill element that could end where the next one starts is tried
//! (fill-only elements — bit-reservoir padding — are stepped over). A single
//! block can match by chance, so a stream counts as SBR only when every one
//! of several blocks does. One-channel-element streams (mono, stereo) are
//! what this finds: in 5.1 the last element (the LFE) carries no SBR.
//! Nothing here can panic or loop on any bytes: every read is bounded.

/// `ID_FIL`: the fill element.
const ID_FIL: u64 = 6;
/// `ID_END`: the end of a raw data block.
const ID_END: u64 = 7;
/// Fill elements stepped over from the end before giving up.
const MAX_CHAIN: usize = 4;
/// Blocks a caller should look at (all must carry SBR).
pub(crate) const BLOCKS_TO_CHECK: usize = 8;

/// MSB-first bits of a byte slice.
struct Bits<'a>(&'a [u8]);

impl Bits<'_> {
    fn len(&self) -> usize {
        self.0.len() * 8
    }

    /// `n` (≤ 32) bits at bit `pos`; `None` past the end.
    fn at(&self, pos: usize, n: usize) -> Option<u64> {
        if pos.checked_add(n)? > self.len() {
            return None;
        }
        let mut v = 0u64;
        for i in pos..pos + n {
            v = (v << 1) | u64::from((self.0[i / 8] >> (7 - i % 8)) & 1);
        }
        Some(v)
    }
}

/// True when the raw data block `block` (an MP4 sample, or an ADTS frame's
/// payload) ends with a fill element carrying SBR data, followed by nothing
/// but other fill elements, `ID_END` and the byte alignment.
pub(crate) fn block_has_sbr(block: &[u8]) -> bool {
    let b = Bits(block);
    let total = b.len();
    (0..8).any(|pad| {
        let Some(end) = total.checked_sub(pad + 3) else {
            return false;
        };
        b.at(end, 3) == Some(ID_END) && (pad == 0 || b.at(end + 3, pad) == Some(0)) && fill_chain_has_sbr(&b, end, 0)
    })
}

/// True when a fill element ending at bit `end` carries SBR data, or is a
/// fill-only element and another such chain ends where it starts.
fn fill_chain_has_sbr(b: &Bits, end: usize, depth: usize) -> bool {
    if depth >= MAX_CHAIN {
        return false;
    }
    // (payload bytes, header bits): counts 0–14 in 7 header bits; 15 plus
    // an 8-bit escape for 14–269 bytes in 15.
    let short = (0..15usize).map(|cnt| (cnt, 7usize, None));
    let long = (0..256usize).map(|esc| (14 + esc, 15usize, Some(esc as u64)));
    short.chain(long).any(|(cnt, head, esc)| {
        let Some(start) = end.checked_sub(head + 8 * cnt) else {
            return false;
        };
        let header_ok = b.at(start, 3) == Some(ID_FIL)
            && match esc {
                None => b.at(start + 3, 4) == Some(cnt as u64),
                Some(e) => b.at(start + 3, 4) == Some(15) && b.at(start + 7, 8) == Some(e),
            };
        if !header_ok {
            return false;
        }
        match (cnt, b.at(start + head, 4)) {
            // EXT_SBR_DATA / EXT_SBR_DATA_CRC, with at least the SBR header flag.
            (2.., Some(0xD | 0xE)) => true,
            // Nothing, EXT_FILL or EXT_FILL_DATA: padding before the end.
            (0, _) | (_, Some(0 | 1)) => fill_chain_has_sbr(b, start, depth + 1),
            _ => false,
        }
    })
}

/// The raw data block of the ADTS frame at the start of `frame`, and the
/// frame's length; `None` when it is not a whole single-block ADTS frame.
pub(crate) fn adts_block(frame: &[u8]) -> Option<(&[u8], usize)> {
    let h = frame.get(..7)?;
    if h[0] != 0xFF || h[1] & 0xF6 != 0xF0 {
        return None;
    }
    let protection_absent = h[1] & 1 == 1;
    let len = (usize::from(h[3] & 3) << 11) | (usize::from(h[4]) << 3) | usize::from(h[5] >> 5);
    let blocks = h[6] & 3;
    let head = if protection_absent { 7 } else { 9 };
    if blocks != 0 || len <= head {
        return None;
    }
    Some((frame.get(head..len)?, len))
}

/// True when the ADTS stream starting at `data` (its first bytes) is
/// implicit-SBR HE-AAC: every whole single-block frame among the first
/// [`BLOCKS_TO_CHECK`] carries SBR data (and there is at least one).
pub(crate) fn adts_has_sbr(data: &[u8]) -> bool {
    let mut at = 0;
    let mut seen = 0;
    while seen < BLOCKS_TO_CHECK {
        let Some((block, len)) = data.get(at..).and_then(adts_block) else {
            break;
        };
        if !block_has_sbr(block) {
            return false;
        }
        seen += 1;
        at += len;
    }
    seen > 0
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// MSB-first bit writer for crafted blocks.
    #[derive(Default)]
    struct Put {
        bytes: Vec<u8>,
        bits: usize,
    }

    impl Put {
        fn put(&mut self, v: u64, n: usize) {
            for i in (0..n).rev() {
                if self.bits % 8 == 0 {
                    self.bytes.push(0);
                }
                let bit = ((v >> i) & 1) as u8;
                let last = self.bytes.len() - 1;
                self.bytes[last] |= bit << (7 - self.bits % 8);
                self.bits += 1;
            }
        }
    }

    /// A raw data block: a silent single channel element (max_sfb 0: no
    /// sections, no spectral data; AAC-LC decoders give silence), then
    /// `fills` as (extension type, payload bytes), then `ID_END`.
    pub(crate) fn block(fills: &[(u64, usize)]) -> Vec<u8> {
        let mut p = Put::default();
        p.put(0, 3); // ID_SCE
        p.put(0, 4); // element_instance_tag
        p.put(100, 8); // global_gain
        p.put(0, 1); // ics_reserved_bit
        p.put(0, 2); // ONLY_LONG_SEQUENCE
        p.put(0, 1); // window_shape
        p.put(0, 6); // max_sfb
        p.put(0, 1); // predictor_data_present
        p.put(0, 3); // pulse, tns, gain control: absent
        for &(ty, n) in fills {
            p.put(ID_FIL, 3);
            if n < 15 {
                p.put(n as u64, 4);
            } else {
                p.put(15, 4);
                p.put(n as u64 - 14, 8);
            }
            if n > 0 {
                p.put(ty, 4);
                // SBR: bs_header_flag 1, then a plausible header; other payloads: 0xA5 fill.
                for i in 0..n * 8 - 4 {
                    p.put(if ty >= 0xD { (i % 3 == 0) as u64 } else { (0xA5 >> (7 - (i + 4) % 8)) & 1 }, 1);
                }
            }
        }
        p.put(ID_END, 3);
        p.bytes
    }

    #[test]
    fn sbr_fill_elements_are_found_from_the_end() {
        assert!(block_has_sbr(&block(&[(0xD, 9)])));
        assert!(block_has_sbr(&block(&[(0xE, 40)])));
        // Bit-reservoir padding after the SBR payload.
        assert!(block_has_sbr(&block(&[(0xD, 12), (0, 3), (1, 20)])));
        // Plain AAC-LC: no fill, or fill only.
        assert!(!block_has_sbr(&block(&[])));
        assert!(!block_has_sbr(&block(&[(0, 6)])));
        assert!(!block_has_sbr(&block(&[(1, 30), (0, 0)])));
        // Not ending in ID_END.
        let mut cut = block(&[(0xD, 9)]);
        cut.pop();
        assert!(!block_has_sbr(&cut));
        assert!(!block_has_sbr(&[]));
    }

    #[test]
    fn random_bytes_rarely_look_like_sbr_and_never_panic() {
        let mut rng = crate::test_support::Rng(0x5eed);
        let mut hits = 0;
        for n in 0..4000 {
            let len = 1 + n % 300;
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            hits += usize::from(block_has_sbr(&bytes));
            let _ = adts_has_sbr(&bytes);
        }
        // Well under one in a hundred blocks; eight in a row are needed.
        assert!(hits < 40, "{hits} of 4000 random blocks look like SBR");
    }

    /// `block` in an ADTS frame: AAC-LC, 22050 Hz, mono.
    pub(crate) fn adts(block: &[u8], crc: bool) -> Vec<u8> {
        let head = if crc { 9 } else { 7 };
        let len = head + block.len();
        // MPEG-4, layer 0, AAC-LC (profile 1), 22050 Hz (index 7), 1 channel.
        let mut f = vec![
            0xFF,
            0xF0 | u8::from(!crc),
            (1 << 6) | (7 << 2),
            (1 << 6) | ((len >> 11) & 3) as u8,
            (len >> 3) as u8,
            ((len & 7) << 5) as u8 | 0x1F,
            0xFC,
        ];
        if crc {
            f.extend_from_slice(&[0, 0]);
        }
        f.extend_from_slice(block);
        f
    }

    #[test]
    fn adts_streams_count_only_when_every_frame_carries_sbr() {
        let sbr = block(&[(0xD, 9)]);
        let plain = block(&[]);
        let stream = |blocks: &[&Vec<u8>], crc: bool| blocks.iter().flat_map(|b| adts(b, crc)).collect::<Vec<u8>>();
        assert!(adts_has_sbr(&stream(&[&sbr; 10], false)));
        assert!(adts_has_sbr(&stream(&[&sbr; 3], true)));
        assert!(!adts_has_sbr(&stream(&[&plain; 10], false)));
        assert!(!adts_has_sbr(&stream(&[&sbr, &sbr, &plain, &sbr], false)));
        assert!(!adts_has_sbr(&[]));
    }
}
