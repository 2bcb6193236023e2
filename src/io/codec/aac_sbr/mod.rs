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
    sbr_payload(&Bits(block)).is_some()
}

/// True when `block` carries SBR data whose extension is parametric stereo
/// (see [`sbr_has_ps`]): implicit HE-AACv2, a mono core played as stereo.
pub(crate) fn block_has_ps(block: &[u8]) -> bool {
    let b = Bits(block);
    sbr_payload(&b).is_some_and(|(start, end)| sbr_has_ps(&b, start, end))
}

/// The bit range of the SBR payload (after the extension type) of the fill
/// element found from the end of the block, if any.
fn sbr_payload(b: &Bits) -> Option<(usize, usize)> {
    let total = b.len();
    (0..8).find_map(|pad| {
        let end = total.checked_sub(pad + 3)?;
        if b.at(end, 3) == Some(ID_END) && (pad == 0 || b.at(end + 3, pad) == Some(0)) {
            fill_chain_sbr(b, end, 0)
        } else {
            None
        }
    })
}

/// The SBR payload of a fill element ending at bit `end` that carries SBR
/// data, or of one ending where a fill-only element before `end` starts.
fn fill_chain_sbr(b: &Bits, end: usize, depth: usize) -> Option<(usize, usize)> {
    if depth >= MAX_CHAIN {
        return None;
    }
    // (payload bytes, header bits): counts 0–14 in 7 header bits; 15 plus
    // an 8-bit escape for 14–269 bytes in 15.
    let short = (0..15usize).map(|cnt| (cnt, 7usize, None));
    let long = (0..256usize).map(|esc| (14 + esc, 15usize, Some(esc as u64)));
    short.chain(long).find_map(|(cnt, head, esc)| {
        let start = end.checked_sub(head + 8 * cnt)?;
        let header_ok = b.at(start, 3) == Some(ID_FIL)
            && match esc {
                None => b.at(start + 3, 4) == Some(cnt as u64),
                Some(e) => b.at(start + 3, 4) == Some(15) && b.at(start + 7, 8) == Some(e),
            };
        if !header_ok {
            return None;
        }
        match (cnt, b.at(start + head, 4)) {
            // EXT_SBR_DATA / EXT_SBR_DATA_CRC, with at least the SBR header flag.
            (2.., Some(0xD | 0xE)) => Some((start + head + 4, end)),
            // Nothing, EXT_FILL or EXT_FILL_DATA: padding before the end.
            (0, _) | (_, Some(0 | 1)) => fill_chain_sbr(b, start, depth + 1),
            _ => None,
        }
    })
}

/// `EXTENSION_ID_PS`: the SBR extension that carries parametric stereo.
const EXTENSION_ID_PS: u64 = 2;

/// True when the SBR payload at bits `start..end` ends with an extension
/// block holding parametric stereo (ISO 14496-3 4.4.2.8): read from the
/// end, as for the SBR element itself. A mono SBR element ends with
/// `bs_extended_data` = 1, a 4-bit size `cnt` (15 and an 8-bit escape for
/// more), and `cnt` bytes starting with the 2-bit extension id; after them
/// only the element's alignment (under 8 zero bits). Every alignment and
/// size is tried; a match also needs the PS header's modes to be ones the
/// standard allows (IID and ICC modes 0–5).
fn sbr_has_ps(b: &Bits, start: usize, end: usize) -> bool {
    // Some SBR data comes before the extension (the grid at least).
    let first = start + 8;
    (0..8usize).any(|pad| {
        let Some(e) = end.checked_sub(pad) else { return false };
        if pad > 0 && b.at(e, pad) != Some(0) {
            return false;
        }
        (1..=270usize).any(|cnt| {
            let Some(ext) = e.checked_sub(8 * cnt) else { return false };
            let sized = if cnt < 15 {
                ext.checked_sub(5)
                    .is_some_and(|f| f >= first && b.at(f, 1) == Some(1) && b.at(f + 1, 4) == Some(cnt as u64))
            } else {
                ext.checked_sub(13).is_some_and(|f| {
                    f >= first
                        && b.at(f, 1) == Some(1)
                        && b.at(f + 1, 4) == Some(15)
                        && b.at(f + 5, 8) == Some(cnt as u64 - 15)
                })
            };
            sized && b.at(ext, 2) == Some(EXTENSION_ID_PS) && ps_header_ok(b, ext + 2)
        })
    })
}

/// The start of `ps_data`: `enable_ps_header`, then when set the IID and
/// ICC flags and modes (each mode 0–5; 6 and 7 are reserved).
fn ps_header_ok(b: &Bits, at: usize) -> bool {
    match b.at(at, 1) {
        Some(0) => true,
        Some(_) => {
            let mut at = at + 1;
            for _ in 0..2 {
                match b.at(at, 1) {
                    Some(1) => match b.at(at + 1, 3) {
                        Some(mode) if mode <= 5 => at += 4,
                        _ => return false,
                    },
                    Some(_) => at += 1,
                    None => return false,
                }
            }
            true
        }
        None => false,
    }
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
    adts_every_block(data, block_has_sbr)
}

/// True when every one of the first frames (as for [`adts_has_sbr`])
/// carries SBR data with parametric stereo: implicit HE-AACv2.
pub(crate) fn adts_has_ps(data: &[u8]) -> bool {
    adts_every_block(data, block_has_ps)
}

fn adts_every_block(data: &[u8], test: fn(&[u8]) -> bool) -> bool {
    let mut at = 0;
    let mut seen = 0;
    while seen < BLOCKS_TO_CHECK {
        let Some((block, len)) = data.get(at..).and_then(adts_block) else {
            break;
        };
        if !test(block) {
            return false;
        }
        seen += 1;
        at += len;
    }
    seen > 0
}

#[cfg(test)]
pub(crate) mod tests;
