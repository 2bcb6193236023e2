//! Box (atom) walking for the MPEG-4 family: big-endian field readers and an
//! iterator over the boxes of an in-memory body. Every size is checked
//! against the bytes present; a box that claims more than is there ends the
//! walk (it is never read past).

/// A big-endian `u16` at `at`, if the bytes are there.
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at.checked_add(2)?).map(|s| u16::from_be_bytes([s[0], s[1]]))
}

/// A big-endian `u32` at `at`, if the bytes are there.
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// A big-endian `u64` at `at`, if the bytes are there.
pub(crate) fn be64(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_be_bytes(a))
}

/// Iterates the boxes of `data`: (type, body). A size of 0 means "to the
/// end"; a 64-bit size is followed. The walk stops at the first box that is
/// malformed or claims more bytes than `data` holds.
pub(crate) fn iter(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let size32 = be32(data, pos)? as u64;
        let kind: [u8; 4] = data.get(pos + 4..pos + 8)?.try_into().ok()?;
        let (header, size) = match size32 {
            0 => (8u64, (data.len() - pos) as u64),
            1 => (16u64, be64(data, pos + 8)?),
            s => (8u64, s),
        };
        if size < header {
            return None;
        }
        let end = pos.checked_add(usize::try_from(size).ok()?)?;
        let body = data.get(pos + header as usize..end)?;
        pos = end;
        Some((kind, body))
    })
}

/// The body of the first child box of `kind`.
pub(crate) fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    iter(data).find(|(k, _)| k == kind).map(|(_, b)| b)
}

/// The body at the end of a path of nested boxes.
pub(crate) fn path<'a>(data: &'a [u8], kinds: &[&[u8; 4]]) -> Option<&'a [u8]> {
    kinds.iter().try_fold(data, |d, k| child(d, k))
}

/// `(version, body after the 4-byte version and flags)` of a full box.
pub(crate) fn full(body: &[u8]) -> Option<(u8, &[u8])> {
    Some((*body.first()?, body.get(4..)?))
}

/// A four-character code as text (non-printable bytes escaped).
pub(crate) fn fourcc_text(k: &[u8; 4]) -> String {
    k.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '?' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_and_stops_at_lies() {
        let mut d = Vec::new();
        d.extend_from_slice(&12u32.to_be_bytes());
        d.extend_from_slice(b"abcd1234");
        d.extend_from_slice(&1u32.to_be_bytes());
        d.extend_from_slice(b"big!");
        d.extend_from_slice(&(1u64 << 40).to_be_bytes());
        let v: Vec<_> = iter(&d).collect();
        assert_eq!(v.len(), 1);
        assert_eq!(&v[0].0, b"abcd");
        assert_eq!(v[0].1, b"1234");
        assert!(iter(&[0, 0, 0, 3, b'x', b'x', b'x', b'x']).next().is_none());
        assert_eq!(be16(&[1], 0), None);
        assert_eq!(be32(&[0, 0, 1, 0], usize::MAX), None);
    }
}
