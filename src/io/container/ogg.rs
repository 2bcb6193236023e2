//! Writing Ogg (RFC 3533): packets laid into pages with their lacing values,
//! granule positions and CRCs, for the Ogg Opus writer. Reading Ogg is
//! symphonia's (through the adapter); [`tail`] finds where each stream
//! ends from the last whole pages, for the length of files symphonia
//! cannot size (a cut-off last page).
//!
//! A page holds whole packets and the start or end of long ones (a packet
//! longer than a page continues on the next, flagged so); its granule
//! position is the one of the last packet that ends on it, or −1 when none
//! does. Must not hold more than one page in memory.

use std::io::{Read, Seek, SeekFrom, Write};

/// Page bodies are cut near this size (a few KB, as libogg does).
const PAGE_TARGET: usize = 4096;

/// The CRC-32 of Ogg pages (polynomial 0x04C11DB7, not reflected, no final xor).
pub(crate) fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    for (i, e) in t.iter_mut().enumerate() {
        let mut r = (i as u32) << 24;
        for _ in 0..8 {
            r = if r & 0x8000_0000 != 0 { (r << 1) ^ 0x04C1_1DB7 } else { r << 1 };
        }
        *e = r;
    }
    t
}

/// The CRC of a whole page (header, lacing and body) whose CRC field
/// (bytes 22..26) holds zeros.
pub(crate) fn page_crc(table: &[u32; 256], page: &[u8]) -> u32 {
    page.iter().fold(0u32, |crc, &b| (crc << 8) ^ table[((crc >> 24) as u8 ^ b) as usize])
}

/// How many bytes [`streams_without_audio`] wants from the file's start.
pub(crate) const BOS_SCAN: usize = 16 * 1024;

/// Streams Ogg carries that are not audio, by the start of their first
/// packet (Theora, Daala and Dirac video, Kate text, the Skeleton index).
const NOT_AUDIO: [(&[u8], &str); 6] = [
    (b"\x80theora", "Theora video"),
    (b"\x80daala", "Daala video"),
    (b"BBCD\0", "Dirac video"),
    (b"\x80kate", "Kate text"),
    (b"fishead\0", "Skeleton index"),
    (b"fisbone\0", "Skeleton index"),
];

/// The streams of an Ogg file when none of them is audio: the names of
/// the streams that begin on its first pages (every stream begins there,
/// before any other page), or `None` when one may be audio, is unknown, or
/// `head` ends before the first page that begins no stream.
pub(crate) fn streams_without_audio(head: &[u8]) -> Option<Vec<&'static str>> {
    let mut names = Vec::new();
    let mut pos = 0usize;
    loop {
        let page = head.get(pos..)?;
        if page.len() < 27 || &page[..4] != b"OggS" {
            return None;
        }
        let segments = usize::from(page[26]);
        let lacing = page.get(27..27 + segments)?;
        let body = 27 + segments;
        if page[5] & 0x02 == 0 {
            // The first page that begins no stream: every stream is known.
            return (!names.is_empty()).then_some(names);
        }
        let packet = page.get(body..)?;
        let name = NOT_AUDIO.iter().find(|(magic, _)| packet.starts_with(magic))?.1;
        if !names.contains(&name) {
            names.push(name);
        }
        pos += body + lacing.iter().map(|&l| usize::from(l)).sum::<usize>();
    }
}

/// The end of an Ogg file as its last whole pages tell it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct OggTail {
    /// (serial, granule position) of the last whole page with a granule,
    /// per logical stream seen near the end.
    pub granules: Vec<(u32, u64)>,
    /// Where a page starts that the file ends inside (a cut-off file).
    pub cut_at: Option<u64>,
}

impl OggTail {
    /// The last granule position of stream `serial`.
    pub fn granule(&self, serial: u32) -> Option<u64> {
        self.granules.iter().find(|g| g.0 == serial).map(|g| g.1)
    }
}

/// Reads the last pages of an Ogg file of `len` bytes: the last whole
/// (CRC-checked) page of each stream with a granule position, and whether
/// the file ends inside a page. Reads at most 4 MB from the end.
pub(crate) fn tail<R: Read + Seek>(src: &mut R, len: u64) -> std::io::Result<OggTail> {
    let table = crc_table();
    let mut window = 256 * 1024u64;
    loop {
        let start = len.saturating_sub(window);
        src.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::with_capacity((len - start) as usize);
        src.take(len - start).read_to_end(&mut buf)?;
        let found = tail_of(&buf, start, &table);
        if !found.granules.is_empty() || start == 0 || window >= 4 << 20 {
            return Ok(found);
        }
        window *= 4;
    }
}

/// [`tail`] on the bytes `buf`, which start at file offset `start`.
fn tail_of(buf: &[u8], start: u64, table: &[u32; 256]) -> OggTail {
    let mut out = OggTail::default();
    let mut whole_end = 0usize;
    let mut i = 0usize;
    while let Some(k) = buf[i..].windows(4).position(|w| w == b"OggS") {
        let at = i + k;
        i = at + 1;
        let Some(&nseg) = buf.get(at + 26) else {
            out.cut_at.get_or_insert(start + at as u64);
            continue;
        };
        let body_at = at + 27 + usize::from(nseg);
        let Some(lacing) = buf.get(at + 27..body_at) else {
            out.cut_at.get_or_insert(start + at as u64);
            continue;
        };
        let end = body_at + lacing.iter().map(|&l| usize::from(l)).sum::<usize>();
        if buf[at + 4] != 0 {
            continue; // not Ogg version 0: bytes inside a packet
        }
        if end > buf.len() {
            out.cut_at.get_or_insert(start + at as u64);
            continue;
        }
        let want = u32::from_le_bytes([buf[at + 22], buf[at + 23], buf[at + 24], buf[at + 25]]);
        let crc = [&buf[at..at + 22], &[0u8; 4][..], &buf[at + 26..end]]
            .iter()
            .fold(0u32, |c, part| part.iter().fold(c, |c, &x| (c << 8) ^ table[((c >> 24) as u8 ^ x) as usize]));
        if crc != want {
            continue;
        }
        // A whole page: any cut seen before it was a false start.
        out.cut_at = None;
        whole_end = end;
        i = end;
        let granule = u64::from_le_bytes(buf[at + 6..at + 14].try_into().unwrap_or([0xFF; 8]));
        let serial = u32::from_le_bytes([buf[at + 14], buf[at + 15], buf[at + 16], buf[at + 17]]);
        if granule != u64::MAX {
            match out.granules.iter_mut().find(|g| g.0 == serial) {
                Some(g) => g.1 = granule,
                None => out.granules.push((serial, granule)),
            }
        }
    }
    if out.cut_at.is_some_and(|c| c < start + whole_end as u64) {
        out.cut_at = None;
    }
    out
}

/// One logical Ogg stream being written.
pub struct OggStreamWriter<W: Write> {
    sink: W,
    serial: u32,
    sequence: u32,
    /// Lacing values and body of the page being filled.
    lacing: Vec<u8>,
    body: Vec<u8>,
    /// Granule position of the last packet ending on this page.
    granule: Option<u64>,
    /// The page being filled starts with the rest of a packet.
    continued: bool,
    first: bool,
    crc: [u32; 256],
}

impl<W: Write> OggStreamWriter<W> {
    /// A stream with this serial number on `sink`.
    pub fn new(sink: W, serial: u32) -> Self {
        OggStreamWriter {
            sink,
            serial,
            sequence: 0,
            lacing: Vec::with_capacity(255),
            body: Vec::with_capacity(PAGE_TARGET + 1024),
            granule: None,
            continued: false,
            first: true,
            crc: crc_table(),
        }
    }

    /// Appends a packet that ends at `granule`. With `end_page`, the page is
    /// written at once so the next packet starts a page (header packets).
    /// Otherwise pages go out as they fill, and the last packet always waits
    /// for [`finish`](Self::finish), which marks its page the last.
    pub fn packet(&mut self, data: &[u8], granule: u64, end_page: bool) -> std::io::Result<()> {
        if self.body.len() >= PAGE_TARGET {
            self.page(false, false)?;
        }
        let mut rest = data;
        loop {
            if self.lacing.len() == 255 {
                self.page(false, true)?;
            }
            let n = rest.len().min(255);
            self.lacing.push(n as u8);
            self.body.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            // A lacing value under 255 ends the packet (a 0 after a multiple of 255).
            if n < 255 {
                break;
            }
        }
        self.granule = Some(granule);
        if end_page {
            self.page(false, false)?;
        }
        Ok(())
    }

    /// Writes the last page (end of stream) and hands back the sink.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.page(true, false)?;
        self.sink.flush()?;
        Ok(self.sink)
    }

    /// Writes the page being filled; `mid_packet` when its last packet goes on.
    fn page(&mut self, last: bool, mid_packet: bool) -> std::io::Result<()> {
        let mut head = [0u8; 27];
        head[..4].copy_from_slice(b"OggS");
        head[5] = u8::from(self.continued) | (u8::from(self.first) << 1) | (u8::from(last) << 2);
        let granule = if mid_packet { u64::MAX } else { self.granule.unwrap_or(u64::MAX) };
        head[6..14].copy_from_slice(&granule.to_le_bytes());
        head[14..18].copy_from_slice(&self.serial.to_le_bytes());
        head[18..22].copy_from_slice(&self.sequence.to_le_bytes());
        head[26] = self.lacing.len() as u8;
        let mut crc = 0u32;
        for &b in head.iter().chain(&self.lacing).chain(&self.body) {
            crc = (crc << 8) ^ self.crc[((crc >> 24) as u8 ^ b) as usize];
        }
        head[22..26].copy_from_slice(&crc.to_le_bytes());
        self.sink.write_all(&head)?;
        self.sink.write_all(&self.lacing)?;
        self.sink.write_all(&self.body)?;
        self.sequence = self.sequence.wrapping_add(1);
        self.lacing.clear();
        self.body.clear();
        self.granule = None;
        self.continued = mid_packet;
        self.first = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits pages back into (flags, granule, packets ending or going on).
    fn pages(mut b: &[u8]) -> Vec<(u8, u64, Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        while !b.is_empty() {
            assert_eq!(&b[..4], b"OggS");
            let n = b[26] as usize;
            let lacing = b[27..27 + n].to_vec();
            let len: usize = lacing.iter().map(|&l| l as usize).sum();
            let body = b[27 + n..27 + n + len].to_vec();
            // The CRC is over the page with its CRC field zeroed.
            let mut page = b[..27 + n + len].to_vec();
            let want = u32::from_le_bytes([page[22], page[23], page[24], page[25]]);
            page[22..26].fill(0);
            let t = crc_table();
            let crc = page.iter().fold(0u32, |c, &x| (c << 8) ^ t[((c >> 24) as u8 ^ x) as usize]);
            assert_eq!(crc, want, "page CRC");
            out.push((b[5], u64::from_le_bytes(b[6..14].try_into().unwrap()), lacing, body));
            b = &b[27 + n + len..];
        }
        out
    }

    /// Three pages of stream 7 (granules 0, 960, 1920) and one of stream 9.
    fn three_pages() -> Vec<u8> {
        let mut w = OggStreamWriter::new(Vec::new(), 7);
        w.packet(b"head", 0, true).unwrap();
        w.packet(&[1u8; 300], 960, true).unwrap();
        w.packet(&[2u8; 300], 1920, true).unwrap();
        let mut b = w.finish().unwrap();
        // Without the writer's empty end-of-stream page (granule −1).
        let eos = b.windows(4).rposition(|w| w == b"OggS").unwrap();
        assert_eq!(b[eos + 6..eos + 14], [0xFF; 8]);
        b.truncate(eos);
        let mut other = OggStreamWriter::new(Vec::new(), 9);
        other.packet(b"x", 5, true).unwrap();
        let o = other.finish().unwrap();
        b.splice(0..0, o);
        b
    }

    #[test]
    fn the_tail_gives_each_streams_last_granule() {
        let b = three_pages();
        let t = tail(&mut std::io::Cursor::new(&b), b.len() as u64).unwrap();
        assert_eq!(t.granule(7), Some(1920));
        assert_eq!(t.granule(9), Some(5));
        assert_eq!(t.cut_at, None);
    }

    #[test]
    fn a_cut_last_page_is_found_and_the_page_before_it_counts() {
        let b = three_pages();
        let last = b.windows(4).rposition(|w| w == b"OggS").unwrap();
        let kept = 960;
        for cut in [last + 5, last + 20, b.len() - 1] {
            let t = tail(&mut std::io::Cursor::new(&b[..cut]), cut as u64).unwrap();
            assert_eq!(t.granule(7), Some(kept), "cut at {cut}");
            assert_eq!(t.cut_at, Some(last as u64), "cut at {cut}");
        }
        // A damaged byte in the last page: its CRC fails, the page before counts.
        let mut d = b.clone();
        *d.last_mut().unwrap() ^= 1;
        let t = tail(&mut std::io::Cursor::new(&d), d.len() as u64).unwrap();
        assert_eq!(t.granule(7), Some(kept));
    }

    #[test]
    fn packets_are_laid_into_pages_and_come_back() {
        let mut w = OggStreamWriter::new(Vec::new(), 7);
        w.packet(b"head", 0, true).unwrap();
        let big = vec![0xAB; 255 * 300 + 10]; // longer than one page's lacing
        let exact = vec![0xCD; 510]; // a multiple of 255: needs a 0 lacing value
        w.packet(&big, 960, false).unwrap();
        w.packet(&exact, 1920, false).unwrap();
        w.packet(b"end", 2000, false).unwrap();
        let bytes = w.finish().unwrap();
        let p = pages(&bytes);
        assert_eq!(p[0].0, 2, "first page is the beginning of the stream");
        assert_eq!(p[0].3, b"head");
        assert_eq!(p[1].1, u64::MAX, "no packet ends on the first page of the long one");
        assert_eq!(p[2].0 & 1, 1, "continued");
        assert_eq!(p.last().unwrap().0 & 4, 4, "last page is the end of the stream");
        assert_eq!(p.last().unwrap().1, 2000);
        // Reassemble the packets from the lacing values.
        let (mut packets, mut cur) = (Vec::new(), Vec::new());
        for (_, _, lacing, body) in &p {
            let mut at = 0;
            for &l in lacing {
                cur.extend_from_slice(&body[at..at + l as usize]);
                at += l as usize;
                if l < 255 {
                    packets.push(std::mem::take(&mut cur));
                }
            }
        }
        assert_eq!(packets, vec![b"head".to_vec(), big, exact, b"end".to_vec()]);
    }

    /// Only video and index streams begin on the first pages: named; an
    /// audio stream beside them, or a head cut before the first page that
    /// begins no stream: `None`.
    #[test]
    fn streams_without_audio_are_named() {
        let stream = |serial: u32, first: &[u8]| {
            let mut w = OggStreamWriter::new(Vec::new(), serial);
            w.packet(first, 0, true).unwrap();
            w.packet(b"more data", 1, false).unwrap();
            let bytes = w.finish().unwrap();
            let second = bytes.windows(4).skip(1).position(|x| x == b"OggS").unwrap() + 1;
            (bytes[..second].to_vec(), bytes[second..].to_vec())
        };
        let (theora, theora_rest) = stream(1, b"\x80theora\x03\x02\x01");
        let (skeleton, _) = stream(2, b"fishead\0\x03\0");
        let (vorbis, _) = stream(3, b"\x01vorbis\0\0\0\0");
        let video = [theora.clone(), skeleton, theora_rest.clone()].concat();
        assert_eq!(streams_without_audio(&video), Some(vec!["Theora video", "Skeleton index"]));
        let with_audio = [theora.clone(), vorbis, theora_rest].concat();
        assert_eq!(streams_without_audio(&with_audio), None);
        assert_eq!(streams_without_audio(&theora), None, "cut before a page that begins no stream");
        assert_eq!(streams_without_audio(&video[..40]), None);
        assert_eq!(streams_without_audio(b""), None);
    }
}
