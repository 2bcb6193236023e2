//! Compressed CAF (ALAC, AAC…) through symphonia's CAF reader, with the
//! length the file's packet table states.

use super::*;

/// Opens a CAF file whose codec is not linear PCM (ALAC, AAC…) with
/// symphonia's CAF reader.
pub fn open_caf_compressed(mut source: Source) -> ReadResult<Box<dyn AudioReader>> {
    let valid = caf_valid_frames(&mut source);
    source.seek(std::io::SeekFrom::Start(0))?;
    let mut reader = SymphoniaReader::open_with(source, None)?;
    // symphonia counts whole packets; the `pakt` chunk says how many frames are real.
    if let Some(v) = valid {
        reader.info.frames = Some(reader.info.frames.map_or(v, |f| f.min(v)));
    }
    Ok(Box::new(reader))
}

/// The real frame count of a compressed CAF from its `pakt` chunk. Some
/// writers (ffmpeg) round `mNumberValidFrames` up to whole packets; for ALAC
/// the last packet's own header then gives the exact count.
pub(super) fn caf_valid_frames(source: &mut Source) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    let len = source.byte_len();
    let (mut pos, mut fpp, mut alac, mut data_body, mut pakt) = (8u64, 0u64, false, None, None);
    for _ in 0..4096 {
        if pos.checked_add(12)? > len {
            break;
        }
        source.seek(SeekFrom::Start(pos)).ok()?;
        let mut head = [0u8; 12];
        source.read_exact(&mut head).ok()?;
        let size = i64::from_be_bytes(head[4..12].try_into().ok()?);
        let body = pos + 12;
        let body_len = if size < 0 { len.saturating_sub(body) } else { size as u64 };
        match &head[0..4] {
            b"desc" => {
                let mut d = [0u8; 32];
                source.read_exact(&mut d).ok()?;
                alac = &d[8..12] == b"alac";
                fpp = u64::from(u32::from_be_bytes(d[20..24].try_into().ok()?));
            }
            b"data" => data_body = Some(body + 4),
            b"pakt" => {
                let mut p = vec![0u8; body_len.min(len).min(64 << 20) as usize];
                source.read_exact(&mut p).ok()?;
                pakt = Some(p);
            }
            _ => {}
        }
        if size < 0 {
            break;
        }
        pos = body.checked_add(size as u64)?;
    }
    let p = pakt?;
    let packets = u64::try_from(i64::from_be_bytes(p.get(0..8)?.try_into().ok()?)).ok()?;
    let valid = u64::try_from(i64::from_be_bytes(p.get(8..16)?.try_into().ok()?)).ok()?;
    let remainder = u32::from_be_bytes(p.get(20..24)?.try_into().ok()?);
    if !(alac && fpp > 0 && remainder == 0 && packets > 0 && valid == packets.checked_mul(fpp)?) {
        return (valid > 0).then_some(valid);
    }
    // Sum the sizes of all packets but the last (BER variable-length integers).
    let mut offset = 0u64;
    let mut table = p.get(24..)?.iter();
    for _ in 0..packets - 1 {
        let mut v = 0u64;
        loop {
            let b = *table.next()?;
            v = v.checked_mul(128)? | u64::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
        }
        offset = offset.checked_add(v)?;
    }
    source.seek(SeekFrom::Start(data_body?.checked_add(offset)?)).ok()?;
    let mut h = [0u8; 7];
    source.read_exact(&mut h).ok()?;
    let bits = u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], 0]);
    // element(3) tag(4) unused(12) partial(1) shift(2) escape(1) [count(32)]
    let partial = (bits >> (63 - 19)) & 1 == 1;
    let last = if partial { (bits >> (64 - 23 - 32)) & 0xffff_ffff } else { fpp };
    (packets - 1).checked_mul(fpp)?.checked_add(last.min(fpp))
}
