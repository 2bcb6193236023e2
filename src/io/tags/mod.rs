//! Tag parsers for the places taggers put text in audio files: RIFF LIST/INFO,
//! ID3v2 (in MP3 heads and in WAV/AIFF `id3 `/`ID3 ` chunks), ID3v1, APEv2,
//! AIFF text chunks (NAME, AUTH, ANNO, (c) ), CAF `info`, and Vorbis comments.
//!
//! Every parser takes the bytes of one tag (the caller finds them in the file)
//! and adds what it understands to a [`Tags`], with keys normalised across
//! formats: `title`, `artist`, `album`, `album_artist`, `date`, `genre`,
//! `comment`, `track`, `disc`, `composer`, `copyright`, `encoder`, and the
//! lower-cased native key for anything else. The parsers are total: they must
//! never panic on any bytes, never read outside the slice, and never allocate
//! more than a small multiple of the input, whatever the sizes in the tag say.
//! Damaged parts are skipped silently (tags are a courtesy, not the audio).

use std::borrow::Cow;

use crate::io::Tags;

/// The ID3v1 genres: the 80 standard ones, then Winamp's extensions (to 191).
pub const ID3V1_GENRES: [&str; 192] = [
    "Blues",
    "Classic Rock",
    "Country",
    "Dance",
    "Disco",
    "Funk",
    "Grunge",
    "Hip-Hop",
    "Jazz",
    "Metal",
    "New Age",
    "Oldies",
    "Other",
    "Pop",
    "R&B",
    "Rap",
    "Reggae",
    "Rock",
    "Techno",
    "Industrial",
    "Alternative",
    "Ska",
    "Death Metal",
    "Pranks",
    "Soundtrack",
    "Euro-Techno",
    "Ambient",
    "Trip-Hop",
    "Vocal",
    "Jazz+Funk",
    "Fusion",
    "Trance",
    "Classical",
    "Instrumental",
    "Acid",
    "House",
    "Game",
    "Sound Clip",
    "Gospel",
    "Noise",
    "Alternative Rock",
    "Bass",
    "Soul",
    "Punk",
    "Space",
    "Meditative",
    "Instrumental Pop",
    "Instrumental Rock",
    "Ethnic",
    "Gothic",
    "Darkwave",
    "Techno-Industrial",
    "Electronic",
    "Pop-Folk",
    "Eurodance",
    "Dream",
    "Southern Rock",
    "Comedy",
    "Cult",
    "Gangsta",
    "Top 40",
    "Christian Rap",
    "Pop/Funk",
    "Jungle",
    "Native American",
    "Cabaret",
    "New Wave",
    "Psychedelic",
    "Rave",
    "Showtunes",
    "Trailer",
    "Lo-Fi",
    "Tribal",
    "Acid Punk",
    "Acid Jazz",
    "Polka",
    "Retro",
    "Musical",
    "Rock & Roll",
    "Hard Rock",
    // Winamp extensions.
    "Folk",
    "Folk-Rock",
    "National Folk",
    "Swing",
    "Fast Fusion",
    "Bebop",
    "Latin",
    "Revival",
    "Celtic",
    "Bluegrass",
    "Avantgarde",
    "Gothic Rock",
    "Progressive Rock",
    "Psychedelic Rock",
    "Symphonic Rock",
    "Slow Rock",
    "Big Band",
    "Chorus",
    "Easy Listening",
    "Acoustic",
    "Humour",
    "Speech",
    "Chanson",
    "Opera",
    "Chamber Music",
    "Sonata",
    "Symphony",
    "Booty Bass",
    "Primus",
    "Porn Groove",
    "Satire",
    "Slow Jam",
    "Club",
    "Tango",
    "Samba",
    "Folklore",
    "Ballad",
    "Power Ballad",
    "Rhythmic Soul",
    "Freestyle",
    "Duet",
    "Punk Rock",
    "Drum Solo",
    "A Cappella",
    "Euro-House",
    "Dance Hall",
    "Goa",
    "Drum & Bass",
    "Club-House",
    "Hardcore",
    "Terror",
    "Indie",
    "BritPop",
    "Afro-Punk",
    "Polsk Punk",
    "Beat",
    "Christian Gangsta Rap",
    "Heavy Metal",
    "Black Metal",
    "Crossover",
    "Contemporary Christian",
    "Christian Rock",
    "Merengue",
    "Salsa",
    "Thrash Metal",
    "Anime",
    "JPop",
    "Synthpop",
    "Abstract",
    "Art Rock",
    "Baroque",
    "Bhangra",
    "Big Beat",
    "Breakbeat",
    "Chillout",
    "Downtempo",
    "Dub",
    "EBM",
    "Eclectic",
    "Electro",
    "Electroclash",
    "Emo",
    "Experimental",
    "Garage",
    "Global",
    "IDM",
    "Illbient",
    "Industro-Goth",
    "Jam Band",
    "Krautrock",
    "Leftfield",
    "Lounge",
    "Math Rock",
    "New Romantic",
    "Nu-Breakz",
    "Post-Punk",
    "Post-Rock",
    "Psytrance",
    "Shoegaze",
    "Space Rock",
    "Trop Rock",
    "World Music",
    "Neoclassical",
    "Audiobook",
    "Audio Theatre",
    "Neue Deutsche Welle",
    "Podcast",
    "Indie Rock",
    "G-Funk",
    "Dubstep",
    "Garage Rock",
    "Psybient",
];

/// The name of ID3v1 genre number `n`, if it has one (255 means "none").
pub fn id3v1_genre(n: u32) -> Option<&'static str> {
    ID3V1_GENRES.get(n as usize).copied()
}

// ---------------------------------------------------------------------------
// Small helpers.

/// At most this many tags are kept: real files have a few dozen, and
/// [`Tags::push`] compares each new tag with all the others, so a crafted tag
/// with millions of tiny values must not make parsing quadratic.
pub const MAX_TAGS: usize = 1024;

/// The most text (keys plus values, in bytes) one parser call adds for
/// `input_len` bytes of tag: `4 * input_len + 256`. Values decode to at most
/// 3× their bytes (U+FFFD for a bad byte); the limit also stops a long key
/// repeated for each of many tiny values (TXXX, APE) from growing
/// quadratically.
pub fn output_budget(input_len: usize) -> usize {
    input_len.saturating_mul(4).saturating_add(256)
}

/// Where a parser call puts its tags, enforcing [`MAX_TAGS`] and [`output_budget`].
struct Sink<'a> {
    tags: &'a mut Tags,
    budget: usize,
}

impl<'a> Sink<'a> {
    fn new(tags: &'a mut Tags, input_len: usize) -> Self {
        Sink { tags, budget: output_budget(input_len) }
    }

    /// True when nothing more will be added and parsing should stop.
    fn full(&self) -> bool {
        self.budget == 0 || self.tags.0.len() >= MAX_TAGS
    }

    /// [`Tags::push`] while within the limits; past them, stops for good.
    fn add(&mut self, key: &str, value: &str) {
        let cost = key.len().saturating_add(value.len());
        if self.full() || cost > self.budget {
            self.budget = 0;
            return;
        }
        self.budget -= cost;
        self.tags.push(key, value);
    }
}

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u32_be(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// ISO-8859-1: every byte is the code point of the same value.
fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| c as char).collect()
}

/// UTF-8 when the bytes are valid UTF-8, otherwise Latin-1 (what old Windows
/// and Mac taggers wrote).
fn utf8_or_latin1(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(latin1(b)),
    }
}

/// The bytes before the first NUL.
fn until_nul(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// Maps the field names shared by Vorbis comments, APEv2 and CAF (any case)
/// to the normalised keys; anything else becomes its lower-cased self.
fn common_key(native: &str) -> String {
    let lower = native.trim().to_ascii_lowercase();
    let mapped = match lower.as_str() {
        "albumartist" | "album artist" | "album_artist" | "album-artist" => "album_artist",
        "date" | "year" => "date",
        "comment" | "comments" | "description" => "comment",
        "tracknumber" | "track" | "track number" => "track",
        "discnumber" | "disc" | "disc number" => "disc",
        "encoder" | "encoding application" => "encoder",
        _ => return lower,
    };
    mapped.to_string()
}

// ---------------------------------------------------------------------------
// RIFF INFO.

/// Parses the body of a RIFF `LIST` chunk of type `INFO` (the bytes after the
/// 4-byte `INFO` type): `INAM`→title, `IART`→artist, `IPRD`→album,
/// `ICRD`→date, `IGNR`→genre, `ICMT`→comment, `ITRK`/`IPRT`→track, others by their lower-cased id.
///
/// Each sub-chunk is an id, a little-endian size and NUL-terminated text,
/// padded to an even length; text is UTF-8 when valid, else Latin-1. A size
/// running past the end keeps the text that is there and stops.
pub fn parse_riff_info(body: &[u8], tags: &mut Tags) {
    let tags = &mut Sink::new(tags, body.len());
    let mut pos = 0usize;
    while let (Some(id), Some(size)) = (body.get(pos..pos.saturating_add(4)), u32_le(body, pos.saturating_add(4))) {
        if tags.full() {
            return;
        }
        if !id.iter().all(|&c| c.is_ascii_alphanumeric() || c == b' ') {
            return; // Not a sub-chunk: garbage or a broken writer.
        }
        let start = pos + 8;
        let end = start.saturating_add(size as usize).min(body.len());
        let text = utf8_or_latin1(until_nul(&body[start..end]));
        let key = match id {
            b"INAM" => Cow::Borrowed("title"),
            b"IART" => Cow::Borrowed("artist"),
            b"IPRD" => Cow::Borrowed("album"),
            b"ICRD" => Cow::Borrowed("date"),
            b"IGNR" => Cow::Borrowed("genre"),
            b"ICMT" => Cow::Borrowed("comment"),
            b"ITRK" | b"IPRT" => Cow::Borrowed("track"),
            b"ICOP" => Cow::Borrowed("copyright"),
            b"ISFT" => Cow::Borrowed("encoder"),
            b"IMUS" => Cow::Borrowed("composer"),
            _ => Cow::Owned(latin1(id)),
        };
        tags.add(&key, &text);
        // Sub-chunks are padded to an even size.
        pos = start.saturating_add(size as usize).saturating_add(size as usize & 1);
    }
}

// ---------------------------------------------------------------------------
// ID3v2.

/// Undoes ID3 unsynchronisation: every `FF 00` becomes `FF`.
fn unsync(b: &[u8]) -> Cow<'_, [u8]> {
    if !b.windows(2).any(|w| w == [0xFF, 0x00]) {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut prev_ff = false;
    for &c in b {
        if prev_ff && c == 0 {
            prev_ff = false;
            continue;
        }
        out.push(c);
        prev_ff = c == 0xFF;
    }
    Cow::Owned(out)
}

fn syncsafe(b: &[u8]) -> u32 {
    b.iter().fold(0u32, |acc, &c| (acc << 7) | (c & 0x7F) as u32)
}

fn is_frame_id(id: &[u8]) -> bool {
    !id.is_empty() && id.iter().all(|&c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Splits ID3 text in `encoding` at its terminators (one NUL byte, or an
/// aligned NUL pair for UTF-16) and decodes each piece.
fn id3_strings(encoding: u8, data: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    match encoding {
        1 | 2 => {
            // Big-endian unless a BOM (or, lacking any, the byte pattern) says otherwise.
            let mut little = encoding == 1 && guess_utf16_le(data);
            let mut start = 0;
            let mut i = 0;
            while i + 1 < data.len() {
                if data[i] == 0 && data[i + 1] == 0 {
                    out.push(utf16(&data[start..i], encoding == 1, &mut little));
                    start = i + 2;
                }
                i += 2;
            }
            if start < data.len() {
                out.push(utf16(&data[start..], encoding == 1, &mut little));
            }
        }
        _ => {
            for piece in data.split(|&c| c == 0) {
                out.push(match encoding {
                    3 => String::from_utf8_lossy(piece).into_owned(),
                    _ => latin1(piece),
                });
            }
        }
    }
    out
}

/// For BOM-less UTF-16 in a frame that should have one: mostly-zero odd bytes
/// mean little-endian Latin text.
fn guess_utf16_le(data: &[u8]) -> bool {
    match data {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => {
            let (mut even, mut odd) = (0usize, 0usize);
            for pair in data.chunks_exact(2) {
                even += (pair[0] == 0) as usize;
                odd += (pair[1] == 0) as usize;
            }
            odd > even
        }
    }
}

fn utf16(b: &[u8], with_bom: bool, little: &mut bool) -> String {
    let mut b = b;
    if with_bom && b.len() >= 2 {
        if b[0] == 0xFF && b[1] == 0xFE {
            *little = true;
            b = &b[2..];
        } else if b[0] == 0xFE && b[1] == 0xFF {
            *little = false;
            b = &b[2..];
        }
    }
    let le = *little;
    let units =
        b.chunks_exact(2).map(|p| if le { u16::from_le_bytes([p[0], p[1]]) } else { u16::from_be_bytes([p[0], p[1]]) });
    char::decode_utf16(units).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
}

/// Splits off the first terminated string in `encoding`, returning it and the rest.
fn id3_take_string(encoding: u8, data: &[u8]) -> (String, &[u8]) {
    let (end, skip) = if encoding == 1 || encoding == 2 {
        let mut i = 0;
        loop {
            if i + 1 >= data.len() {
                break (data.len(), 0);
            }
            if data[i] == 0 && data[i + 1] == 0 {
                break (i, 2);
            }
            i += 2;
        }
    } else {
        match data.iter().position(|&c| c == 0) {
            Some(i) => (i, 1),
            None => (data.len(), 0),
        }
    };
    let first = id3_strings(encoding, &data[..end]).into_iter().next().unwrap_or_default();
    let rest = data.get(end + skip..).unwrap_or(&[]);
    (first, rest)
}

/// Turns a TCON value into genre names: `(17)` → Rock, `(17)(18)` → Rock and
/// Techno, `(4)Eurodisco` → Eurodisco (the text refines the number), `((x` →
/// `(x`, a bare `17` → Rock, `(RX)`/`(CR)` → Remix/Cover.
fn tcon_genres(value: &str, out: &mut Vec<String>) {
    let v = value.trim();
    if !v.is_empty() && v.len() <= 3 && v.bytes().all(|c| c.is_ascii_digit()) {
        match v.parse::<u32>().ok().and_then(id3v1_genre) {
            Some(name) => out.push(name.to_string()),
            None if v == "255" => {}
            None => out.push(v.to_string()),
        }
        return;
    }
    let mut rest = v;
    let mut found = Vec::new();
    loop {
        if rest.starts_with("((") {
            rest = &rest[1..];
            break;
        }
        let Some(inner_and_more) = rest.strip_prefix('(') else {
            break;
        };
        let Some(close) = inner_and_more.find(')') else {
            break;
        };
        let inner = &inner_and_more[..close];
        let name = match inner {
            "RX" => Some("Remix".to_string()),
            "CR" => Some("Cover".to_string()),
            n if !n.is_empty() && n.len() <= 3 && n.bytes().all(|c| c.is_ascii_digit()) => {
                n.parse::<u32>().ok().and_then(id3v1_genre).map(str::to_string)
            }
            _ => break,
        };
        found.extend(name);
        rest = &inner_and_more[close + 1..];
    }
    let rest = rest.trim();
    if !rest.is_empty() {
        // The text refines (replaces) the last numeric genre.
        found.pop();
        found.push(rest.to_string());
    }
    out.extend(found);
}

/// The normalised key of an ID3v2.3/2.4 text frame.
fn id3_text_key(id: &[u8]) -> Cow<'static, str> {
    Cow::Borrowed(match id {
        b"TIT2" => "title",
        b"TPE1" => "artist",
        b"TALB" => "album",
        b"TPE2" => "album_artist",
        b"TDRC" | b"TYER" => "date",
        b"TCON" => "genre",
        b"TRCK" => "track",
        b"TPOS" => "disc",
        b"TCOM" => "composer",
        b"TCOP" => "copyright",
        b"TSSE" => "encoder",
        b"TENC" => "encoded_by",
        _ => return Cow::Owned(latin1(id).to_ascii_lowercase()),
    })
}

/// ID3v2.2 three-letter ids as their ID3v2.3 equivalents.
fn id3v22_id(id: &[u8]) -> Option<&'static [u8; 4]> {
    Some(match id {
        b"TT2" => b"TIT2",
        b"TP1" => b"TPE1",
        b"TP2" => b"TPE2",
        b"TAL" => b"TALB",
        b"TYE" => b"TYER",
        b"TCO" => b"TCON",
        b"TRK" => b"TRCK",
        b"TPA" => b"TPOS",
        b"TCM" => b"TCOM",
        b"TCR" => b"TCOP",
        b"TSS" => b"TSSE",
        b"TEN" => b"TENC",
        b"TXX" => b"TXXX",
        b"COM" => b"COMM",
        b"ULT" => b"USLT",
        _ => return None,
    })
}

/// Adds one frame's text (its data after the frame header and any extra
/// header bytes). `id` is a 2.3/2.4 id, or a 2.2 one with no 2.3 equivalent.
fn id3_frame(id: &[u8], data: &[u8], tags: &mut Sink<'_>) {
    let Some((&encoding, text)) = data.split_first() else {
        return;
    };
    if encoding > 3 {
        return;
    }
    match id {
        b"TXXX" => {
            let (desc, rest) = id3_take_string(encoding, text);
            let key = if desc.trim().is_empty() { "txxx".to_string() } else { desc.to_lowercase() };
            for v in id3_strings(encoding, rest) {
                tags.add(&key, &v);
            }
        }
        b"COMM" | b"USLT" => {
            let Some(text) = text.get(3..) else { return }; // language
            let (desc, rest) = id3_take_string(encoding, text);
            let d = desc.trim().to_lowercase();
            let key = if id == b"USLT" {
                "lyrics".to_string()
            } else if matches!(d.as_str(), "" | "comment" | "comments" | "description" | "id3v1 comment") {
                "comment".to_string()
            } else {
                d
            };
            // The text is one string (it may hold newlines), not a list.
            let value = id3_strings(encoding, rest).into_iter().next().unwrap_or_default();
            tags.add(&key, &value);
        }
        _ if id.first() == Some(&b'T') => {
            let key = id3_text_key(id);
            let values = id3_strings(encoding, text);
            if id == b"TCON" || id == b"TCO" {
                let mut genres = Vec::new();
                for v in &values {
                    tcon_genres(v, &mut genres);
                }
                for g in genres {
                    tags.add(&key, &g);
                }
            } else {
                for v in values {
                    tags.add(&key, &v);
                }
            }
        }
        _ => {} // APIC, PRIV, GEOB, URLs, binary frames…
    }
}

/// Parses an ID3v2.2/2.3/2.4 tag starting with `ID3`.
///
/// Handles all four text encodings, whole-tag (2.2/2.3) and per-frame (2.4)
/// unsynchronisation, the extended header, syncsafe frame sizes in 2.4 (and
/// iTunes' plain ones), NUL-separated multiple values, `COMM`, `TXXX`, numeric
/// `TCON` genres. Compressed, encrypted and binary frames are skipped.
pub fn parse_id3v2(tag: &[u8], tags: &mut Tags) {
    let tags = &mut Sink::new(tags, tag.len());
    let Some(header) = tag.get(..10) else { return };
    if &header[..3] != b"ID3" {
        return;
    }
    let version = header[3];
    let flags = header[5];
    if !(2..=4).contains(&version) {
        return;
    }
    let size = syncsafe(&header[6..10]) as usize;
    let body = &tag[10..tag.len().min(size.saturating_add(10))];
    if version == 2 && flags & 0x40 != 0 {
        return; // 2.2 "compression": no scheme was ever defined.
    }
    let tag_unsync = flags & 0x80 != 0;
    // 2.2 and 2.3 unsynchronise the whole tag, 2.4 each frame.
    let body: Cow<'_, [u8]> = if tag_unsync && version < 4 { unsync(body) } else { Cow::Borrowed(body) };
    let body: &[u8] = &body;
    let mut pos = 0usize;
    if version >= 3 && flags & 0x40 != 0 {
        // Extended header: 2.3 gives its size without the size field, 2.4 with it (syncsafe).
        let Some(ext) = body.get(..4) else { return };
        pos = if version == 3 {
            (u32_be(ext, 0).unwrap_or(0) as usize).saturating_add(4)
        } else {
            syncsafe(ext) as usize
        };
    }
    if version == 2 {
        parse_id3v22_frames(body, pos, tags);
        return;
    }
    while let Some(head) = body.get(pos..pos.saturating_add(10)) {
        if tags.full() {
            return;
        }
        let id = &head[..4];
        if !is_frame_id(id) {
            return; // Padding (zeros) or garbage.
        }
        let raw = &head[4..8];
        let start = pos + 10;
        let size = if version == 4 {
            let safe = syncsafe(raw) as usize;
            let plain = u32_be(raw, 0).unwrap_or(0) as usize;
            if raw.iter().any(|&c| c & 0x80 != 0)
                || (!next_frame_ok(body, start.saturating_add(safe))
                    && next_frame_ok(body, start.saturating_add(plain)))
            {
                plain // iTunes wrote plain sizes in 2.4 tags.
            } else {
                safe
            }
        } else {
            u32_be(raw, 0).unwrap_or(0) as usize
        };
        let fflags = head[9];
        let end = start.saturating_add(size).min(body.len());
        let mut data = &body[start..end];
        pos = start.saturating_add(size);
        let (compressed, encrypted, grouping) = if version == 3 {
            (fflags & 0x80 != 0, fflags & 0x40 != 0, fflags & 0x20 != 0)
        } else {
            (fflags & 0x08 != 0, fflags & 0x04 != 0, fflags & 0x40 != 0)
        };
        if compressed || encrypted {
            continue;
        }
        if grouping {
            data = data.get(1..).unwrap_or(&[]);
        }
        if version == 4 {
            if fflags & 0x01 != 0 {
                data = data.get(4..).unwrap_or(&[]); // Data length indicator.
            }
            if tag_unsync || fflags & 0x02 != 0 {
                id3_frame(id, &unsync(data), tags);
                continue;
            }
        }
        id3_frame(id, data, tags);
    }
}

/// True when a frame may start at `pos`: the end of the tag, padding, or a frame id.
fn next_frame_ok(body: &[u8], pos: usize) -> bool {
    pos == body.len() || body.get(pos) == Some(&0) || body.get(pos..pos.saturating_add(4)).is_some_and(is_frame_id)
}

fn parse_id3v22_frames(body: &[u8], mut pos: usize, tags: &mut Sink<'_>) {
    while let Some(head) = body.get(pos..pos.saturating_add(6)) {
        if tags.full() {
            return;
        }
        let id = &head[..3];
        if !is_frame_id(id) {
            return;
        }
        let size = ((head[3] as usize) << 16) | ((head[4] as usize) << 8) | head[5] as usize;
        let start = pos + 6;
        let end = start.saturating_add(size).min(body.len());
        let data = &body[start..end];
        pos = start.saturating_add(size);
        match id3v22_id(id) {
            Some(id4) => id3_frame(id4, data, tags),
            None => id3_frame(id, data, tags),
        }
    }
}

// ---------------------------------------------------------------------------
// ID3v1.

/// Parses an ID3v1/v1.1 tag: the last 128 bytes of a file, starting `TAG`
/// (a longer slice is read from its last 128 bytes).
///
/// Title, artist, album (30 bytes each), year (4), comment (30, or 28 plus a
/// NUL and the track number in v1.1), genre number.
pub fn parse_id3v1(tail128: &[u8], tags: &mut Tags) {
    let tags = &mut Sink::new(tags, tail128.len());
    let Some(start) = tail128.len().checked_sub(128) else {
        return;
    };
    let t = &tail128[start..];
    if &t[..3] != b"TAG" {
        return;
    }
    let field = |b: &[u8]| utf8_or_latin1(until_nul(b)).trim_end().to_string();
    tags.add("title", &field(&t[3..33]));
    tags.add("artist", &field(&t[33..63]));
    tags.add("album", &field(&t[63..93]));
    tags.add("date", &field(&t[93..97]));
    let comment = &t[97..127];
    if comment[28] == 0 && comment[29] != 0 {
        tags.add("comment", &field(&comment[..28]));
        tags.add("track", &comment[29].to_string());
    } else {
        tags.add("comment", &field(comment));
    }
    if let Some(g) = id3v1_genre(t[127] as u32) {
        tags.add("genre", g);
    }
}

// ---------------------------------------------------------------------------
// APEv2.

/// Parses an APEv1/APEv2 tag at the end of a file: `tag` ends with the
/// 32-byte `APETAGEX` footer (an ID3v1 tag after it is allowed), or starts
/// with the APEv2 header. Only UTF-8 text items are read; binary and
/// locator items are skipped; NUL-separated multiple values are split.
pub fn parse_ape(tag: &[u8], tags: &mut Tags) {
    let tags = &mut Sink::new(tags, tag.len());
    let is_ape = |at: usize| tag.get(at..at.saturating_add(8)) == Some(b"APETAGEX".as_slice());
    let len = tag.len();
    // Items and where they are: before a footer, or after a header.
    let footer_at = [len.checked_sub(32), len.checked_sub(160)].into_iter().flatten().find(|&at| is_ape(at));
    let (items, count) = if let Some(at) = footer_at {
        let size = u32_le(tag, at + 12).unwrap_or(0) as usize; // Items + footer.
        let count = u32_le(tag, at + 16).unwrap_or(0);
        let items_len = size.saturating_sub(32).min(at);
        (&tag[at - items_len..at], count)
    } else if is_ape(0) {
        let size = u32_le(tag, 12).unwrap_or(0) as usize;
        let count = u32_le(tag, 16).unwrap_or(0);
        let end = size.min(len).max(32);
        (tag.get(32..end).unwrap_or(&[]), count)
    } else {
        return;
    };
    let mut pos = 0usize;
    for _ in 0..count {
        if tags.full() {
            return;
        }
        let (Some(vsize), Some(iflags)) = (u32_le(items, pos), u32_le(items, pos.saturating_add(4))) else {
            return;
        };
        let key_start = pos + 8;
        let Some(klen) = items.get(key_start..).and_then(|k| k.iter().position(|&c| c == 0)) else {
            return;
        };
        let key = &items[key_start..key_start + klen];
        let vstart = key_start + klen + 1;
        let vend = vstart.saturating_add(vsize as usize);
        let Some(value) = items.get(vstart..vend.min(items.len())) else {
            return;
        };
        pos = vend;
        if key.is_empty() || !key.iter().all(|&c| (0x20..0x7F).contains(&c)) {
            return; // Keys are printable ASCII: this is not an item.
        }
        if (iflags >> 1) & 3 != 0 {
            continue; // Binary or external locator.
        }
        let key = common_key(&latin1(key));
        for v in String::from_utf8_lossy(value).split('\0') {
            tags.add(&key, v);
        }
    }
}

// ---------------------------------------------------------------------------
// AIFF, CAF, Vorbis.

/// Parses an AIFF text chunk: `NAME`→title, `AUTH`→artist, `(c) `→copyright, `ANNO`→comment.
///
/// Other ids are kept under their lower-cased, trimmed id when printable. An
/// `ANNO` with a NUL inside is cut there.
pub fn parse_aiff_text(id: [u8; 4], body: &[u8], tags: &mut Tags) {
    let tags = &mut Sink::new(tags, body.len());
    let key = match &id {
        b"NAME" => Cow::Borrowed("title"),
        b"AUTH" => Cow::Borrowed("artist"),
        b"(c) " => Cow::Borrowed("copyright"),
        b"ANNO" => Cow::Borrowed("comment"),
        _ if id.iter().all(|&c| (0x20..0x7F).contains(&c)) => Cow::Owned(latin1(&id)),
        _ => return,
    };
    tags.add(&key, &utf8_or_latin1(until_nul(body)));
}

/// Parses the body of a CAF `info` chunk (a count, then key/value C strings).
///
/// Keys map as `year`→date, `track number`→track, `comments`→comment,
/// `encoding application`→encoder; the rest keep their own lower-cased name.
pub fn parse_caf_info(body: &[u8], tags: &mut Tags) {
    let tags = &mut Sink::new(tags, body.len());
    let Some(count) = u32_be(body, 0) else { return };
    let mut rest = &body[4..];
    for _ in 0..count {
        if tags.full() {
            return;
        }
        let Some(k) = rest.iter().position(|&c| c == 0) else {
            return;
        };
        let key = &rest[..k];
        rest = &rest[k + 1..];
        let (value, next) = match rest.iter().position(|&c| c == 0) {
            Some(v) => (&rest[..v], &rest[v + 1..]),
            None => (rest, &[][..]), // Unterminated last value: keep it.
        };
        rest = next;
        tags.add(&common_key(&String::from_utf8_lossy(key)), &String::from_utf8_lossy(value));
        if rest.is_empty() {
            return;
        }
    }
}

/// Parses a Vorbis comment block (FLAC VORBIS_COMMENT body, Ogg comment header body without its packet type).
///
/// Little-endian vendor length and vendor string (skipped), a count, then
/// `KEY=value` entries with case-insensitive keys: `TRACKNUMBER`→track,
/// `DISCNUMBER`→disc, `ALBUMARTIST`→album_artist, `DESCRIPTION`→comment, and
/// other keys lower-cased (`REPLAYGAIN_TRACK_GAIN`→replaygain_track_gain).
pub fn parse_vorbis_comment(body: &[u8], tags: &mut Tags) {
    let tags = &mut Sink::new(tags, body.len());
    let Some(vendor_len) = u32_le(body, 0) else {
        return;
    };
    let mut pos = 4usize.saturating_add(vendor_len as usize);
    let Some(count) = u32_le(body, pos) else {
        return;
    };
    pos += 4;
    for _ in 0..count {
        if tags.full() {
            return;
        }
        let Some(len) = u32_le(body, pos) else { return };
        let start = pos + 4;
        let end = start.saturating_add(len as usize);
        // A length past the end keeps what is there (a truncated block).
        let entry = &body[start.min(body.len())..end.min(body.len())];
        pos = end;
        let Some(eq) = entry.iter().position(|&c| c == b'=') else {
            continue;
        };
        let key = &entry[..eq];
        if key.is_empty() || !key.iter().all(|&c| (0x20..0x7E).contains(&c)) {
            continue;
        }
        tags.add(&common_key(&latin1(key)), &String::from_utf8_lossy(&entry[eq + 1..]));
        if pos >= body.len() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tags_of(f: impl FnOnce(&mut Tags)) -> Tags {
        let mut t = Tags::default();
        f(&mut t);
        t
    }

    // --- builders -----------------------------------------------------------

    fn riff_sub(id: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.extend((data.len() as u32).to_le_bytes());
        v.extend(data);
        if data.len() % 2 == 1 {
            v.push(0);
        }
        v
    }

    fn syncsafe_bytes(n: u32) -> [u8; 4] {
        [(n >> 21) as u8 & 0x7F, (n >> 14) as u8 & 0x7F, (n >> 7) as u8 & 0x7F, n as u8 & 0x7F]
    }

    /// An ID3v2 frame: 2.3 uses plain sizes, 2.4 syncsafe (unless `plain`).
    fn frame(version: u8, id: &[u8; 4], flags: u8, data: &[u8], plain: bool) -> Vec<u8> {
        let mut v = id.to_vec();
        if version == 4 && !plain {
            v.extend(syncsafe_bytes(data.len() as u32));
        } else {
            v.extend((data.len() as u32).to_be_bytes());
        }
        v.extend([0, flags]);
        v.extend(data);
        v
    }

    fn id3_tag(version: u8, flags: u8, body: &[u8]) -> Vec<u8> {
        let mut v = b"ID3".to_vec();
        v.extend([version, 0, flags]);
        v.extend(syncsafe_bytes(body.len() as u32));
        v.extend(body);
        v
    }

    fn text(enc: u8, s: &[u8]) -> Vec<u8> {
        let mut v = vec![enc];
        v.extend(s);
        v
    }

    fn utf16le_bom(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend(u.to_le_bytes());
        }
        v
    }

    fn utf16be(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect()
    }

    fn vorbis(vendor: &str, entries: &[&[u8]]) -> Vec<u8> {
        let mut v = (vendor.len() as u32).to_le_bytes().to_vec();
        v.extend(vendor.as_bytes());
        v.extend((entries.len() as u32).to_le_bytes());
        for e in entries {
            v.extend((e.len() as u32).to_le_bytes());
            v.extend(*e);
        }
        v
    }

    fn ape_item(key: &str, flags: u32, value: &[u8]) -> Vec<u8> {
        let mut v = (value.len() as u32).to_le_bytes().to_vec();
        v.extend(flags.to_le_bytes());
        v.extend(key.as_bytes());
        v.push(0);
        v.extend(value);
        v
    }

    fn ape_block(items: &[Vec<u8>], header: bool) -> Vec<u8> {
        let body: Vec<u8> = items.concat();
        let hf = |is_header: bool| {
            let mut h = b"APETAGEX".to_vec();
            h.extend(2000u32.to_le_bytes());
            h.extend((body.len() as u32 + 32).to_le_bytes());
            h.extend((items.len() as u32).to_le_bytes());
            let flags: u32 = if header { 1 << 31 } else { 0 } | if is_header { 1 << 29 } else { 0 };
            h.extend(flags.to_le_bytes());
            h.extend([0u8; 8]);
            h
        };
        let mut v = Vec::new();
        if header {
            v.extend(hf(true));
        }
        v.extend(&body);
        v.extend(hf(false));
        v
    }

    // --- RIFF INFO ----------------------------------------------------------

    #[test]
    fn riff_info_keys_padding_and_latin1() {
        let mut b = riff_sub(b"INAM", b"Song\0"); // odd: padded
        b.extend(riff_sub(b"IART", "Café\0".as_bytes()));
        b.extend(riff_sub(b"IPRD", b"Caf\xE9\0")); // Latin-1
        b.extend(riff_sub(b"ICRD", b"2020"));
        b.extend(riff_sub(b"ITRK", b"7\0"));
        b.extend(riff_sub(b"ISFT", b"Lavf\0"));
        b.extend(riff_sub(b"IENG", b"Bob\0"));
        b.extend(riff_sub(b"ICMT", b"\0"));
        let t = tags_of(|t| parse_riff_info(&b, t));
        assert_eq!(t.get("title"), Some("Song"));
        assert_eq!(t.get("artist"), Some("Café"));
        assert_eq!(t.get("album"), Some("Café"));
        assert_eq!(t.get("date"), Some("2020"));
        assert_eq!(t.get("track"), Some("7"));
        assert_eq!(t.get("encoder"), Some("Lavf"));
        assert_eq!(t.get("ieng"), Some("Bob"));
        assert_eq!(t.get("comment"), None);
    }

    #[test]
    fn riff_info_lying_sizes() {
        let mut b = riff_sub(b"INAM", b"Ok\0");
        b.extend(b"IART");
        b.extend(u32::MAX.to_le_bytes());
        b.extend(b"Trunc");
        let t = tags_of(|t| parse_riff_info(&b, t));
        assert_eq!(t.get("title"), Some("Ok"));
        assert_eq!(t.get("artist"), Some("Trunc"));
        // Garbage id stops the walk.
        let t = tags_of(|t| parse_riff_info(b"\xFF\xFF\xFF\xFF\x04\0\0\0abcd", t));
        assert!(t.is_empty());
        for n in 0..b.len() {
            parse_riff_info(&b[..n], &mut Tags::default());
        }
    }

    // --- ID3v2 --------------------------------------------------------------

    #[test]
    fn id3v23_frames_encodings_and_skips() {
        let mut body = frame(3, b"TIT2", 0, &text(0, b"Caf\xE9"), false);
        body.extend(frame(3, b"TPE1", 0, &text(1, &utf16le_bom("Ärtist")), false));
        body.extend(frame(3, b"TALB", 0, &text(2, &utf16be("Albüm")), false));
        body.extend(frame(3, b"TYER", 0, &text(0, b"1999"), false));
        body.extend(frame(3, b"TCON", 0, &text(0, b"(17)"), false));
        body.extend(frame(3, b"TRCK", 0, &text(0, b"3/12"), false));
        body.extend(frame(3, b"TPOS", 0, &text(0, b"1/2"), false));
        body.extend(frame(3, b"TPE2", 0, &text(3, "Äa".as_bytes()), false));
        body.extend(frame(3, b"APIC", 0, b"\0image/png\0\x03\0\x89PNG", false));
        body.extend(frame(3, b"PRIV", 0, b"owner\0\x01\x02", false));
        body.extend(frame(3, b"TCOM", 0x80, b"\0\0\0\x10xxxx", false)); // compressed: skipped
        body.extend(frame(3, b"TCOP", 0x40, b"\x01yyyy", false)); // encrypted: skipped
        let mut comm = vec![1];
        comm.extend(b"eng");
        comm.extend(utf16le_bom(""));
        comm.extend([0, 0]);
        comm.extend(utf16le_bom("Nice\nsong"));
        body.extend(frame(3, b"COMM", 0, &comm, false));
        let mut itun = vec![0];
        itun.extend(b"engiTunNORM\0 0000");
        body.extend(frame(3, b"COMM", 0, &itun, false));
        let mut txxx = vec![0];
        txxx.extend(b"REPLAYGAIN_TRACK_GAIN\0-6.5 dB");
        body.extend(frame(3, b"TXXX", 0, &txxx, false));
        body.extend(frame(3, b"TSSE", 0, &text(0, b"LAME"), false));
        body.extend([0u8; 64]); // padding
        let t = tags_of(|t| parse_id3v2(&id3_tag(3, 0, &body), t));
        assert_eq!(t.get("title"), Some("Café"));
        assert_eq!(t.get("artist"), Some("Ärtist"));
        assert_eq!(t.get("album"), Some("Albüm"));
        assert_eq!(t.get("date"), Some("1999"));
        assert_eq!(t.get("genre"), Some("Rock"));
        assert_eq!(t.get("track"), Some("3/12"));
        assert_eq!(t.get("disc"), Some("1/2"));
        assert_eq!(t.get("album_artist"), Some("Äa"));
        assert_eq!(t.get("comment"), Some("Nice\nsong"));
        assert_eq!(t.get("itunnorm"), Some("0000"));
        assert_eq!(t.get("replaygain_track_gain"), Some("-6.5 dB"));
        assert_eq!(t.get("encoder"), Some("LAME"));
        assert_eq!(t.get("composer"), None);
        assert_eq!(t.get("copyright"), None);
        assert_eq!(t.0.len(), 12, "{t:?}");
    }

    #[test]
    fn id3v23_whole_tag_unsync_and_extended_header() {
        // Extended header: size 6 (without itself), flags, padding size.
        let mut plain = vec![0, 0, 0, 6, 0, 0, 0, 0, 0, 0];
        plain.extend(frame(3, b"TIT2", 0, &text(1, &[0xFF, 0xFE, b'A', 0, 0xFF, 0x00]), false));
        let mut stored = Vec::new();
        for &c in &plain {
            stored.push(c);
            if c == 0xFF {
                stored.push(0);
            }
        }
        let t = tags_of(|t| parse_id3v2(&id3_tag(3, 0xC0, &stored), t));
        assert_eq!(t.get("title"), Some("A\u{FF}"));
    }

    #[test]
    fn id3v24_syncsafe_multi_values_and_frame_flags() {
        let long = "x".repeat(300); // size > 127: syncsafe differs from plain.
        let mut body = frame(4, b"TIT2", 0, &text(3, long.as_bytes()), false);
        body.extend(frame(4, b"TPE1", 0, &text(3, b"One\0Two\0"), false));
        let mut utf16 = vec![1];
        utf16.extend(utf16le_bom("Über"));
        utf16.extend([0, 0]);
        utf16.extend([0xFE, 0xFF, 0, b'B']);
        body.extend(frame(4, b"TCOM", 0, &utf16, false));
        body.extend(frame(4, b"TCON", 0, &text(0, b"(17)(18)\0Jazz\x0017"), false));
        body.extend(frame(4, b"TDRC", 0, &text(0, b"2024-01-02"), false));
        // Per-frame unsync + data length indicator.
        let mut data = vec![0, 0, 0, 4];
        data.extend([0, b'y', 0xFF, 0, b'z']);
        body.extend(frame(4, b"TALB", 0x03, &data, false));
        // Grouping id byte.
        body.extend(frame(4, b"TCOP", 0x40, &[7, 0, b'C'], false));
        // Compressed: skipped.
        body.extend(frame(4, b"TPE2", 0x08 | 0x01, &[0, 0, 0, 9, 1, 2, 3], false));
        let t = tags_of(|t| parse_id3v2(&id3_tag(4, 0, &body), t));
        assert_eq!(t.get("title"), Some(long.as_str()));
        let vals = |k: &str| t.0.iter().filter(|(key, _)| key == k).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
        assert_eq!(vals("artist"), ["One", "Two"]);
        assert_eq!(vals("composer"), ["Über", "B"]);
        assert_eq!(vals("genre"), ["Rock", "Techno", "Jazz"]);
        assert_eq!(t.get("date"), Some("2024-01-02"));
        assert_eq!(t.get("album"), Some("y\u{FF}z"));
        assert_eq!(t.get("copyright"), Some("C"));
        assert_eq!(t.get("album_artist"), None);
    }

    #[test]
    fn id3v24_itunes_plain_sizes() {
        let long = "y".repeat(200); // plain size 0xC9: a byte with the high bit set
        let long2 = "z".repeat(0x105); // plain 00 00 01 06: valid syncsafe, wrong
        let mut body = frame(4, b"TIT2", 0, &text(0, long.as_bytes()), true);
        body.extend(frame(4, b"TALB", 0, &text(0, long2.as_bytes()), true));
        body.extend(frame(4, b"TPE1", 0, &text(0, b"Art"), true));
        let t = tags_of(|t| parse_id3v2(&id3_tag(4, 0, &body), t));
        assert_eq!(t.get("title"), Some(long.as_str()));
        assert_eq!(t.get("album"), Some(long2.as_str()));
        assert_eq!(t.get("artist"), Some("Art"));
    }

    #[test]
    fn id3v22() {
        let mut body = Vec::new();
        for (id, val) in
            [(b"TT2", &b"\0Title"[..]), (b"TP1", b"\0Who"), (b"TCO", b"\0(8)"), (b"PIC", b"\0JPG\x03\0\xFF")]
        {
            body.extend(id);
            body.extend([0, 0, val.len() as u8]);
            body.extend(val);
        }
        body.extend(b"COM\0\0\x0B\0engdesc\0Hi");
        let t = tags_of(|t| parse_id3v2(&id3_tag(2, 0, &body), t));
        assert_eq!(t.get("title"), Some("Title"));
        assert_eq!(t.get("artist"), Some("Who"));
        assert_eq!(t.get("genre"), Some("Jazz"));
        assert_eq!(t.get("desc"), Some("Hi"));
        assert_eq!(t.0.len(), 4);
    }

    #[test]
    fn tcon_forms() {
        let g = |s: &str| {
            let mut v = Vec::new();
            tcon_genres(s, &mut v);
            v
        };
        assert_eq!(g("(4)Eurodisco"), ["Eurodisco"]);
        assert_eq!(g("(RX)(CR)"), ["Remix", "Cover"]);
        assert_eq!(g("((Paren)"), ["(Paren)"]);
        assert_eq!(g("255"), Vec::<String>::new());
        assert_eq!(g("999"), ["999"]);
        assert_eq!(g("(191)"), ["Psybient"]);
        assert_eq!(g("(80)"), ["Folk"]);
        assert_eq!(g("(x"), ["(x"]);
        assert_eq!(g("(99999999999)"), ["(99999999999)"]);
    }

    #[test]
    fn id3v2_malicious() {
        // Header size bigger than the slice, frame sizes far too large.
        let mut body = frame(3, b"TIT2", 0, &text(0, b"ok"), false);
        body.extend(b"TPE1\xFF\xFF\xFF\xFF\0\0\0abc");
        let mut tag = id3_tag(3, 0, &body);
        tag[6..10].copy_from_slice(&[0x7F; 4]);
        let t = tags_of(|t| parse_id3v2(&tag, t));
        assert_eq!(t.get("title"), Some("ok"));
        assert_eq!(t.get("artist"), Some("abc"));
        // Extended header size past the end.
        let tag = id3_tag(4, 0x40, &[0x7F, 0x7F, 0x7F, 0x7F, 1, 2]);
        parse_id3v2(&tag, &mut Tags::default());
        let tag = id3_tag(3, 0x40, &[0xFF, 0xFF, 0xFF, 0xFF, 1, 2]);
        parse_id3v2(&tag, &mut Tags::default());
        // Unknown versions and encodings are ignored.
        assert!(tags_of(|t| parse_id3v2(&id3_tag(5, 0, &frame(3, b"TIT2", 0, b"\0x", false)), t)).is_empty());
        assert!(tags_of(|t| parse_id3v2(&id3_tag(3, 0, &frame(3, b"TIT2", 0, b"\x09x", false)), t)).is_empty());
        // Every truncation of a rich tag.
        let mut body = frame(4, b"TXXX", 0, &text(1, &utf16le_bom("k\0")), false);
        body.extend(frame(4, b"COMM", 0, b"\x01en", false));
        body.extend(frame(4, b"TIT2", 0x03, &[0, 0, 0], false));
        let tag = id3_tag(4, 0x80, &body);
        for n in 0..tag.len() {
            parse_id3v2(&tag[..n], &mut Tags::default());
        }
    }

    // --- ID3v1 --------------------------------------------------------------

    fn id3v1(title: &[u8], comment: &[u8], track: Option<u8>, genre: u8) -> Vec<u8> {
        let mut v = b"TAG".to_vec();
        let pad = |v: &mut Vec<u8>, s: &[u8], n: usize| {
            v.extend(s);
            v.extend(std::iter::repeat_n(0, n - s.len()));
        };
        pad(&mut v, title, 30);
        pad(&mut v, b"Artist   ", 30);
        pad(&mut v, b"", 30);
        pad(&mut v, b"1987", 4);
        pad(&mut v, comment, 28);
        v.extend([0, track.unwrap_or(0)]);
        v.push(genre);
        v
    }

    #[test]
    fn id3v1_and_v11() {
        let t = tags_of(|t| parse_id3v1(&id3v1(b"Caf\xE9", b"hello", Some(5), 17), t));
        assert_eq!(t.get("title"), Some("Café"));
        assert_eq!(t.get("artist"), Some("Artist"));
        assert_eq!(t.get("album"), None);
        assert_eq!(t.get("date"), Some("1987"));
        assert_eq!(t.get("comment"), Some("hello"));
        assert_eq!(t.get("track"), Some("5"));
        assert_eq!(t.get("genre"), Some("Rock"));
        let mut file = vec![1u8; 1000];
        file.extend(id3v1(b"T", b"", None, 255));
        let t = tags_of(|t| parse_id3v1(&file, t));
        assert_eq!(t.get("title"), Some("T"));
        assert_eq!(t.get("track"), None);
        assert_eq!(t.get("genre"), None);
        assert!(tags_of(|t| parse_id3v1(&file[..1100], t)).is_empty());
        assert!(tags_of(|t| parse_id3v1(b"TAG", t)).is_empty());
    }

    // --- APE ----------------------------------------------------------------

    #[test]
    fn ape_footer_header_and_items() {
        let items = vec![
            ape_item("Title", 0, "Tïtle".as_bytes()),
            ape_item("Artist", 0, b"A\0B"),
            ape_item("Album Artist", 0, b"AA"),
            ape_item("Year", 0, b"2001"),
            ape_item("Track", 0, b"4"),
            ape_item("Cover Art (Front)", 2, b"front.jpg\0\xFF\xD8"),
            ape_item("REPLAYGAIN_TRACK_GAIN", 0, b"+1.0 dB"),
            ape_item("Link", 4, b"http://x"),
        ];
        for header in [false, true] {
            let block = ape_block(&items, header);
            let mut file = vec![0xAAu8; 50];
            file.extend(&block);
            for input in [file.clone(), block.clone()] {
                let t = tags_of(|t| parse_ape(&input, t));
                assert_eq!(t.get("title"), Some("Tïtle"));
                let artists: Vec<_> = t.0.iter().filter(|(k, _)| k == "artist").map(|(_, v)| v.as_str()).collect();
                assert_eq!(artists, ["A", "B"]);
                assert_eq!(t.get("album_artist"), Some("AA"));
                assert_eq!(t.get("date"), Some("2001"));
                assert_eq!(t.get("track"), Some("4"));
                assert_eq!(t.get("replaygain_track_gain"), Some("+1.0 dB"));
                assert_eq!(t.0.len(), 7, "{t:?}");
            }
            // With an ID3v1 tag after it.
            let mut with_v1 = block.clone();
            with_v1.extend(id3v1(b"x", b"", None, 0));
            assert_eq!(tags_of(|t| parse_ape(&with_v1, t)).get("date"), Some("2001"));
            if header {
                // Header only at the start (the footer cut off).
                let t = tags_of(|t| parse_ape(&block[..block.len() - 32], t));
                assert_eq!(t.get("title"), Some("Tïtle"));
            }
        }
    }

    #[test]
    fn ape_malicious() {
        let mut block = ape_block(&[ape_item("Title", 0, b"x")], false);
        let n = block.len();
        block[n - 20..n - 16].copy_from_slice(&u32::MAX.to_le_bytes()); // tag size
        block[n - 16..n - 12].copy_from_slice(&u32::MAX.to_le_bytes()); // count
        parse_ape(&block, &mut Tags::default());
        let mut block = ape_block(&[ape_item("Title", 0, b"x")], true);
        block[8..12].copy_from_slice(&u32::MAX.to_le_bytes()); // value size
        block[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        parse_ape(&block, &mut Tags::default());
        for n in 0..block.len() {
            parse_ape(&block[..n], &mut Tags::default());
            parse_ape(&block[n..], &mut Tags::default());
        }
    }

    // --- AIFF, CAF, Vorbis --------------------------------------------------

    #[test]
    fn aiff_text_chunks() {
        let mut t = Tags::default();
        parse_aiff_text(*b"NAME", b"Name\0", &mut t);
        parse_aiff_text(*b"AUTH", b"Who", &mut t);
        parse_aiff_text(*b"(c) ", b"2020 Me", &mut t);
        parse_aiff_text(*b"ANNO", b"one", &mut t);
        parse_aiff_text(*b"ANNO", b"two", &mut t);
        parse_aiff_text(*b"\0\0\0\0", b"junk", &mut t);
        parse_aiff_text(*b"ANNO", b"", &mut t);
        assert_eq!(t.get("title"), Some("Name"));
        assert_eq!(t.get("artist"), Some("Who"));
        assert_eq!(t.get("copyright"), Some("2020 Me"));
        assert_eq!(t.0.len(), 5);
    }

    #[test]
    fn caf_info_pairs() {
        let mut b = 7u32.to_be_bytes().to_vec();
        b.extend(b"title\0T\0artist\0A\0year\x002010\0track number\x005\0comments\0C\0encoding application\0App\0tempo\x00120");
        let t = tags_of(|t| parse_caf_info(&b, t));
        assert_eq!(t.get("title"), Some("T"));
        assert_eq!(t.get("artist"), Some("A"));
        assert_eq!(t.get("date"), Some("2010"));
        assert_eq!(t.get("track"), Some("5"));
        assert_eq!(t.get("comment"), Some("C"));
        assert_eq!(t.get("encoder"), Some("App"));
        assert_eq!(t.get("tempo"), Some("120"));
        // Count far too large, fewer strings.
        let mut b = u32::MAX.to_be_bytes().to_vec();
        b.extend(b"title\0x\0");
        assert_eq!(tags_of(|t| parse_caf_info(&b, t)).get("title"), Some("x"));
        for n in 0..b.len() {
            parse_caf_info(&b[..n], &mut Tags::default());
        }
    }

    #[test]
    fn vorbis_comment_keys() {
        let b = vorbis(
            "reference libFLAC 1.4.3",
            &[
                b"TITLE=T\xC3\xAF",
                b"artist=A",
                b"ALBUMARTIST=AA",
                b"TRACKNUMBER=3",
                b"DISCNUMBER=1",
                b"DATE=2000",
                b"DESCRIPTION=D",
                b"REPLAYGAIN_TRACK_GAIN=-3 dB",
                b"NOEQUALS",
                b"=novalue",
                b"GENRE=Pop",
                b"GENRE=Rock",
            ],
        );
        let t = tags_of(|t| parse_vorbis_comment(&b, t));
        assert_eq!(t.get("title"), Some("Tï"));
        assert_eq!(t.get("artist"), Some("A"));
        assert_eq!(t.get("album_artist"), Some("AA"));
        assert_eq!(t.get("track"), Some("3"));
        assert_eq!(t.get("disc"), Some("1"));
        assert_eq!(t.get("date"), Some("2000"));
        assert_eq!(t.get("comment"), Some("D"));
        assert_eq!(t.get("replaygain_track_gain"), Some("-3 dB"));
        assert_eq!(t.to_map().get("genre").map(String::as_str), Some("Pop; Rock"));
        assert_eq!(t.get("encoder"), None, "the vendor string is not a tag");
        assert_eq!(t.0.len(), 10);
        // Lying lengths.
        let mut bad = vorbis("v", &[b"TITLE=x"]);
        bad[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
        parse_vorbis_comment(&bad, &mut Tags::default());
        let mut bad = vorbis("v", &[b"TITLE=xyz"]);
        bad[9..13].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(tags_of(|t| parse_vorbis_comment(&bad, t)).get("title"), Some("xyz"));
        bad[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(tags_of(|t| parse_vorbis_comment(&bad, t)).is_empty());
        for n in 0..b.len() {
            parse_vorbis_comment(&b[..n], &mut Tags::default());
        }
    }

    #[test]
    fn many_tiny_values_are_capped() {
        // 200k distinct values would be quadratic in Tags::push.
        let mut data = vec![3u8];
        for i in 0..200_000u32 {
            data.extend(i.to_string().as_bytes());
            data.push(0);
        }
        let tag = id3_tag(4, 0, &frame(4, b"TPE1", 0, &data, false));
        let t = tags_of(|t| parse_id3v2(&tag, t));
        assert_eq!(t.0.len(), MAX_TAGS);
        let entries: Vec<Vec<u8>> = (0..100_000).map(|i| format!("K{i}=v").into_bytes()).collect();
        let refs: Vec<&[u8]> = entries.iter().map(|e| e.as_slice()).collect();
        let t = tags_of(|t| parse_vorbis_comment(&vorbis("v", &refs), t));
        assert_eq!(t.0.len(), MAX_TAGS);
        // A long TXXX description repeated for each of many values.
        let mut data = vec![0u8];
        data.extend([b'k'; 5000]);
        for i in 0..5000u32 {
            data.push(0);
            data.extend(i.to_string().as_bytes());
        }
        let tag = id3_tag(3, 0, &frame(3, b"TXXX", 0, &data, false));
        let t = tags_of(|t| parse_id3v2(&tag, t));
        let out: usize = t.0.iter().map(|(k, v)| k.len() + v.len()).sum();
        assert!(out <= output_budget(tag.len()), "{out}");
        assert!(t.0.len() > 5, "the first values are kept");
    }

    // --- never panic --------------------------------------------------------

    fn all_parsers(data: &[u8]) -> usize {
        let mut t = Tags::default();
        parse_riff_info(data, &mut t);
        parse_id3v2(data, &mut t);
        parse_id3v1(data, &mut t);
        parse_ape(data, &mut t);
        let id = [data.first().copied().unwrap_or(b'N'), b'A', b'M', b'E'];
        parse_aiff_text(id, data, &mut t);
        parse_caf_info(data, &mut t);
        parse_vorbis_comment(data, &mut t);
        t.0.iter().map(|(k, v)| k.len() + v.len()).sum()
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            let out = all_parsers(&data);
            // Seven parser calls, each within its output budget.
            prop_assert!(out <= 7 * output_budget(data.len()));
        }

        #[test]
        fn id3v2_never_panics(version in 2u8..=4, flags in any::<u8>(), body in proptest::collection::vec(any::<u8>(), 0..400), frames in proptest::collection::vec((0usize..6, any::<u8>(), proptest::collection::vec(any::<u8>(), 0..40)), 0..8)) {
            let ids: [&[u8; 4]; 6] = [b"TIT2", b"TXXX", b"COMM", b"TCON", b"APIC", b"USLT"];
            let mut b = Vec::new();
            for (i, f, d) in &frames {
                b.extend(frame(version, ids[*i], *f, d, false));
            }
            b.extend(&body);
            let tag = id3_tag(version, flags, &b);
            parse_id3v2(&tag, &mut Tags::default());
            let mut tag = b"ID3".to_vec();
            tag.extend([version, 0, flags]);
            tag.extend(&body);
            parse_id3v2(&tag, &mut Tags::default());
        }

        #[test]
        fn structured_never_panics(body in proptest::collection::vec(any::<u8>(), 0..300), n in any::<u32>()) {
            let mut v = n.to_le_bytes().to_vec();
            v.extend(&body);
            parse_vorbis_comment(&v, &mut Tags::default());
            let mut c = n.to_be_bytes().to_vec();
            c.extend(&body);
            parse_caf_info(&c, &mut Tags::default());
            let mut a = body.clone();
            a.extend(b"APETAGEX");
            a.extend(2000u32.to_le_bytes());
            a.extend(n.to_le_bytes());
            a.extend(n.rotate_left(7).to_le_bytes());
            a.extend([0u8; 12]);
            parse_ape(&a, &mut Tags::default());
            let mut r = b"INAM".to_vec();
            r.extend(n.to_le_bytes());
            r.extend(&body);
            parse_riff_info(&r, &mut Tags::default());
            let mut t = b"TAG".to_vec();
            t.extend(&body);
            parse_id3v1(&t, &mut Tags::default());
        }
    }

    // --- cross-check with ffmpeg / ffprobe -----------------------------------

    fn have(tool: &str) -> bool {
        std::process::Command::new(tool).arg("-version").output().is_ok_and(|o| o.status.success())
    }

    /// Finds the tags in a file the way the readers will, with this module's parsers.
    fn tags_in_file(bytes: &[u8]) -> Tags {
        let mut t = Tags::default();
        let be = |b: &[u8], at: usize| u32_be(b, at).unwrap_or(0) as usize;
        let le = |b: &[u8], at: usize| u32_le(b, at).unwrap_or(0) as usize;
        match bytes.get(..4) {
            Some(b"RIFF") => {
                let mut pos = 12;
                while pos + 8 <= bytes.len() {
                    let (id, size) = (&bytes[pos..pos + 4], le(bytes, pos + 4));
                    let data = &bytes[pos + 8..(pos + 8 + size).min(bytes.len())];
                    if id == b"LIST" && data.starts_with(b"INFO") {
                        parse_riff_info(&data[4..], &mut t);
                    } else if id == b"id3 " || id == b"ID3 " {
                        parse_id3v2(data, &mut t);
                    }
                    pos += 8 + size + (size & 1);
                }
            }
            Some(b"FORM") => {
                let mut pos = 12;
                while pos + 8 <= bytes.len() {
                    let (id, size) = (&bytes[pos..pos + 4], be(bytes, pos + 4));
                    let data = &bytes[pos + 8..(pos + 8 + size).min(bytes.len())];
                    if id == b"ID3 " || id == b"id3 " {
                        parse_id3v2(data, &mut t);
                    } else {
                        let id4 = [id[0], id[1], id[2], id[3]];
                        if matches!(&id4, b"NAME" | b"AUTH" | b"(c) " | b"ANNO") {
                            parse_aiff_text(id4, data, &mut t);
                        }
                    }
                    pos += 8 + size + (size & 1);
                }
            }
            Some(b"caff") => {
                let mut pos = 8;
                while pos + 12 <= bytes.len() {
                    let id = &bytes[pos..pos + 4];
                    let size = u64::from_be_bytes(bytes[pos + 4..pos + 12].try_into().unwrap()) as usize;
                    let data = &bytes[pos + 12..(pos + 12 + size).min(bytes.len())];
                    if id == b"info" {
                        parse_caf_info(data, &mut t);
                    }
                    pos += 12 + size;
                }
            }
            Some(b"fLaC") => {
                let mut pos = 4;
                while pos + 4 <= bytes.len() {
                    let kind = bytes[pos] & 0x7F;
                    let size = be(&[0, bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]], 0);
                    if kind == 4 {
                        parse_vorbis_comment(&bytes[pos + 4..(pos + 4 + size).min(bytes.len())], &mut t);
                    }
                    if bytes[pos] & 0x80 != 0 {
                        break;
                    }
                    pos += 4 + size;
                }
            }
            Some(b"wvpk") => parse_ape(bytes, &mut t),
            Some([b'I', b'D', b'3', _]) => {
                let n = crate::io::probe::id3v2_len(bytes) as usize;
                parse_id3v2(&bytes[..n.min(bytes.len())], &mut t);
            }
            _ => {}
        }
        t
    }

    fn ffprobe_tags(path: &std::path::Path) -> Vec<(String, String)> {
        let out = std::process::Command::new("ffprobe")
            .args(["-v", "quiet", "-show_format", "-of", "json"])
            .arg(path)
            .output()
            .expect("ffprobe runs");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ffprobe json");
        let mut v = Vec::new();
        if let Some(map) = json["format"]["tags"].as_object() {
            for (k, val) in map {
                v.push((k.to_ascii_lowercase(), val.as_str().unwrap_or_default().to_string()));
            }
        }
        v
    }

    #[test]
    fn cross_check_ffmpeg_written_tags() {
        if !have("ffmpeg") || !have("ffprobe") {
            eprintln!("ffmpeg/ffprobe not on PATH: skipping the cross-check");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let long = "L".repeat(300);
        let meta = [
            ("title", "Tïtle ☃"),
            ("artist", "Ärtist"),
            ("album", long.as_str()),
            ("date", "2021"),
            ("genre", "Rock"),
            ("comment", "A comment"),
            ("track", "3/9"),
            ("disc", "2"),
            ("composer", "Comp"),
            ("copyright", "(C) Me"),
            ("album_artist", "Various"),
        ];
        let cases: &[(&str, &[&str])] = &[
            ("a.wav", &[]),
            ("b.wav", &["-write_id3v2", "1"]),
            ("a.aiff", &[]),
            ("b.aiff", &["-write_id3v2", "1"]),
            ("a.caf", &[]),
            ("a.flac", &[]),
            ("a.mp3", &[]),
            ("b.mp3", &["-id3v2_version", "3"]),
            ("c.mp3", &["-id3v2_version", "3", "-metadata", "genre=(17)"]),
            ("a.wv", &[]),
        ];
        let mut checked = 0;
        for (name, extra) in cases {
            let path = dir.path().join(name);
            let mut cmd = std::process::Command::new("ffmpeg");
            cmd.args(["-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=0.05"]);
            for (k, v) in meta {
                cmd.arg("-metadata").arg(format!("{k}={v}"));
            }
            cmd.args(*extra).arg(&path);
            if !cmd.status().is_ok_and(|s| s.success()) {
                eprintln!("ffmpeg cannot write {name}: skipped");
                continue;
            }
            let expected = ffprobe_tags(&path);
            let ours = tags_in_file(&std::fs::read(&path).unwrap());
            assert!(!expected.is_empty(), "{name}: ffprobe found no tags");
            for (k, v) in &expected {
                assert_eq!(ours.get(k), Some(v.as_str()), "{name}: key {k}; ours {ours:?}");
                checked += 1;
            }
        }
        eprintln!("cross-checked {checked} tag values against ffprobe");
        assert!(checked > 50);
    }

    #[test]
    fn cross_check_metaflac_and_id3v1() {
        if !have("ffmpeg") || !have("ffprobe") {
            eprintln!("ffmpeg/ffprobe not on PATH: skipping the cross-check");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        // ID3v1 only (no v2): the last 128 bytes.
        let mp3 = dir.path().join("v1.mp3");
        let ok = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=0.05", "-write_id3v2", "0", "-write_id3v1", "1"])
            .args([
                "-metadata",
                "title=Old",
                "-metadata",
                "artist=Timer",
                "-metadata",
                "genre=Jazz",
                "-metadata",
                "track=4",
            ])
            .arg(&mp3)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            let bytes = std::fs::read(&mp3).unwrap();
            let ours = tags_of(|t| parse_id3v1(&bytes, t));
            let expected = ffprobe_tags(&mp3);
            assert!(!expected.is_empty());
            // ffprobe's `encoder` here comes from the LAME header, not the tag.
            for (k, v) in expected.iter().filter(|(k, _)| k != "encoder") {
                assert_eq!(ours.get(k), Some(v.as_str()), "id3v1 key {k}; ours {ours:?}");
            }
        }
        if have("metaflac") {
            let flac = dir.path().join("m.flac");
            assert!(std::process::Command::new("ffmpeg")
                .args(["-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=0.05"])
                .arg(&flac)
                .status()
                .is_ok_and(|s| s.success()));
            assert!(std::process::Command::new("metaflac")
                .args([
                    "--remove-all-tags",
                    "--set-tag=TITLE=Flac ☃",
                    "--set-tag=ALBUMARTIST=AA",
                    "--set-tag=TRACKNUMBER=7"
                ])
                .args(["--set-tag=REPLAYGAIN_TRACK_GAIN=-1.00 dB", "--set-tag=DESCRIPTION=Desc"])
                .arg(&flac)
                .status()
                .is_ok_and(|s| s.success()));
            let ours = tags_in_file(&std::fs::read(&flac).unwrap());
            assert_eq!(ours.get("title"), Some("Flac ☃"));
            assert_eq!(ours.get("album_artist"), Some("AA"));
            assert_eq!(ours.get("track"), Some("7"));
            assert_eq!(ours.get("replaygain_track_gain"), Some("-1.00 dB"));
            assert_eq!(ours.get("comment"), Some("Desc"));
            let expected = ffprobe_tags(&flac);
            assert!(expected.iter().any(|(k, v)| k == "title" && v == "Flac ☃"));
        } else {
            eprintln!("metaflac not on PATH: skipping");
        }
    }
}
