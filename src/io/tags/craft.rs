//! ID3v2 made by hand, for tests that craft tags byte by byte (frames in
//! either version's size coding, as buggy taggers wrote them too),
//! independent of the project's own ID3v2 writer. Public for the unit tests
//! and the integration tests (`tests/tags_lofty.rs`); not part of the stable
//! API.

/// `n` as an ID3v2 syncsafe integer (7 bits a byte).
pub fn syncsafe(n: u32) -> [u8; 4] {
    [(n >> 21) as u8 & 0x7F, (n >> 14) as u8 & 0x7F, (n >> 7) as u8 & 0x7F, n as u8 & 0x7F]
}

/// An ID3v2 frame: 2.3 plain sizes, 2.4 syncsafe (unless `plain`, as iTunes wrote).
pub fn frame(version: u8, id: &[u8; 4], flags: u8, data: &[u8], plain: bool) -> Vec<u8> {
    let mut v = id.to_vec();
    v.extend(if version == 4 && !plain { syncsafe(data.len() as u32) } else { (data.len() as u32).to_be_bytes() });
    v.extend([0, flags]);
    v.extend(data);
    v
}

/// An ID3v2.`version` tag with header `flags` around `body` (its frames).
pub fn id3(version: u8, flags: u8, body: &[u8]) -> Vec<u8> {
    let mut v = b"ID3".to_vec();
    v.extend([version, 0, flags]);
    v.extend(syncsafe(body.len() as u32));
    v.extend(body);
    v
}

/// A text frame's body: the encoding byte, then `s`.
pub fn text(enc: u8, s: &[u8]) -> Vec<u8> {
    let mut v = vec![enc];
    v.extend(s);
    v
}

/// `s` as UTF-16 little-endian with its byte-order mark.
pub fn utf16le_bom(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
    v
}
