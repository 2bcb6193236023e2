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

/// A silent single channel element (max_sfb 0: no sections, no spectral
/// data; AAC-LC decoders give silence).
fn silent_sce(p: &mut Put) {
    p.put(0, 3); // ID_SCE
    p.put(0, 4); // element_instance_tag
    p.put(100, 8); // global_gain
    p.put(0, 1); // ics_reserved_bit
    p.put(0, 2); // ONLY_LONG_SEQUENCE
    p.put(0, 1); // window_shape
    p.put(0, 6); // max_sfb
    p.put(0, 1); // predictor_data_present
    p.put(0, 3); // pulse, tns, gain control: absent
}

/// `ID_FIL` and its count of `n` payload bytes (15 and an escape past 14).
fn fill_header(p: &mut Put, n: usize) {
    p.put(ID_FIL, 3);
    if n < 15 {
        p.put(n as u64, 4);
    } else {
        p.put(15, 4);
        p.put(n as u64 - 14, 8);
    }
}

/// A raw data block: a silent single channel element, then `fills` as
/// (extension type, payload bytes), then `ID_END`.
pub(crate) fn block(fills: &[(u64, usize)]) -> Vec<u8> {
    let mut p = Put::default();
    silent_sce(&mut p);
    for &(ty, n) in fills {
        fill_header(&mut p, n);
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

/// A raw data block: a silent single channel element, one SBR fill element
/// whose payload (after the extension type) is the `(value, bits)` fields
/// then zero bits to its byte boundary, and `ID_END`.
fn sbr_block(fields: &[(u64, usize)]) -> Vec<u8> {
    let bits = 4 + fields.iter().map(|f| f.1).sum::<usize>();
    let n = bits.div_ceil(8);
    let mut p = Put::default();
    silent_sce(&mut p);
    fill_header(&mut p, n);
    p.put(0xD, 4);
    for &(v, k) in fields {
        p.put(v, k);
    }
    p.put(0, 8 * n - bits);
    p.put(ID_END, 3);
    p.bytes
}

/// Mono SBR data (`lead` bits standing for the header, grid, envelopes and
/// noise) ending in an extension block of two bytes: extension `id`, then a
/// PS header with IID mode `iid` and ICC mode 2.
pub(crate) fn sbr_with_extension(lead: usize, id: u64, iid: u64) -> Vec<(u64, usize)> {
    let mut f: Vec<(u64, usize)> = (0..lead).map(|i| ((i % 3 == 0) as u64, 1)).collect();
    f.extend([(1, 1), (2, 4)]); // bs_extended_data, bs_extension_size: 2 bytes
    f.extend([(id, 2), (1, 1), (1, 1), (iid, 3), (1, 1), (2, 3), (0, 1)]);
    f.push((0b1010, 4)); // PS envelope data stand-in, to the extension's end
    f
}

/// A block whose SBR data carries parametric stereo (see [`sbr_with_extension`]).
pub(crate) fn ps_block() -> Vec<u8> {
    sbr_block(&sbr_with_extension(23, EXTENSION_ID_PS, 1))
}

#[test]
fn parametric_stereo_is_found_at_the_end_of_the_sbr_data() {
    for lead in 9..40 {
        let ps = sbr_block(&sbr_with_extension(lead, EXTENSION_ID_PS, 1));
        assert!(block_has_sbr(&ps) && block_has_ps(&ps), "lead {lead}");
        // Another extension, or reserved PS modes: not PS.
        let other = sbr_block(&sbr_with_extension(lead, 0, 1));
        assert!(block_has_sbr(&other) && !block_has_ps(&other), "lead {lead}");
        let reserved = sbr_block(&sbr_with_extension(lead, EXTENSION_ID_PS, 6));
        assert!(!block_has_ps(&reserved), "lead {lead}");
    }
    // SBR without an extension, and no SBR at all.
    assert!(!block_has_ps(&sbr_block(&[(0, 30)])));
    assert!(!block_has_ps(&block(&[])));
    let stream = |b: &[u8], n: usize| (0..n).flat_map(|_| adts(b, false)).collect::<Vec<u8>>();
    assert!(adts_has_ps(&stream(&ps_block(), 10)));
    assert!(!adts_has_ps(&stream(&block(&[(0xD, 9)]), 10)));
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
    let (mut hits, mut ps_hits) = (0, 0);
    for n in 0..4000 {
        let len = 1 + n % 300;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        hits += usize::from(block_has_sbr(&bytes));
        ps_hits += usize::from(block_has_ps(&bytes));
        let _ = adts_has_sbr(&bytes);
        let _ = adts_has_ps(&bytes);
    }
    // Well under one in a hundred blocks; eight in a row are needed.
    assert!(hits < 40, "{hits} of 4000 random blocks look like SBR");
    assert!(ps_hits <= hits, "{ps_hits} look like PS");
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
