//! The one table from native tag keys to CoreMusic's common names (`TIT2`,
//! `INAM`, `NAME`, `©nam`, `TITLE` → `title`), used by every tag parser to
//! read and by every writer to pick the field it writes, so that a name is
//! added or fixed in one place for all formats. Nothing else here.

/// A tag format, as far as its key names go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagFormat {
    /// RIFF `LIST`/`INFO` sub-chunk ids.
    RiffInfo,
    /// AIFF text chunk ids.
    AiffText,
    /// CAF `info` keys.
    CafInfo,
    /// Vorbis comment field names (the writers' spelling; reading goes by [`common_text_key`]).
    Vorbis,
    /// ID3v2.3/2.4 text frame ids.
    Id3v2,
    /// iTunes `ilst` atoms.
    Ilst,
}

/// One common name and its keys in each format; the first key of a format is
/// the one written, the others are read too. `text` lists the field names
/// (any case) that the text-keyed formats (Vorbis comments, APEv2, CAF) use
/// for it besides the common name itself.
struct Row {
    common: &'static str,
    riff: &'static [&'static [u8]],
    aiff: &'static [&'static [u8]],
    caf: &'static [&'static [u8]],
    vorbis: &'static [&'static [u8]],
    id3v2: &'static [&'static [u8]],
    ilst: &'static [&'static [u8]],
    text: &'static [&'static str],
}

const NONE: &[&[u8]] = &[];

#[rustfmt::skip]
const ROWS: &[Row] = &[
    Row { common: "title", riff: &[b"INAM"], aiff: &[b"NAME"], caf: &[b"title"], vorbis: NONE, id3v2: &[b"TIT2"], ilst: &[b"\xa9nam"], text: &[] },
    Row { common: "artist", riff: &[b"IART"], aiff: &[b"AUTH"], caf: &[b"artist"], vorbis: NONE, id3v2: &[b"TPE1"], ilst: &[b"\xa9ART"], text: &[] },
    Row { common: "album", riff: &[b"IPRD"], aiff: NONE, caf: &[b"album"], vorbis: NONE, id3v2: &[b"TALB"], ilst: &[b"\xa9alb"], text: &[] },
    Row { common: "album_artist", riff: NONE, aiff: NONE, caf: NONE, vorbis: &[b"ALBUMARTIST"], id3v2: &[b"TPE2"], ilst: &[b"aART"], text: &["albumartist", "album artist", "album-artist"] },
    Row { common: "date", riff: &[b"ICRD"], aiff: NONE, caf: &[b"year"], vorbis: NONE, id3v2: &[b"TDRC", b"TYER"], ilst: &[b"\xa9day"], text: &["year"] },
    Row { common: "genre", riff: &[b"IGNR"], aiff: NONE, caf: &[b"genre"], vorbis: NONE, id3v2: &[b"TCON"], ilst: &[b"\xa9gen"], text: &[] },
    Row { common: "comment", riff: &[b"ICMT"], aiff: &[b"ANNO"], caf: &[b"comments"], vorbis: NONE, id3v2: NONE, ilst: &[b"\xa9cmt"], text: &["comments", "description"] },
    Row { common: "track", riff: &[b"ITRK", b"IPRT"], aiff: NONE, caf: &[b"track number"], vorbis: &[b"TRACKNUMBER"], id3v2: &[b"TRCK"], ilst: NONE, text: &["tracknumber", "track number"] },
    Row { common: "disc", riff: NONE, aiff: NONE, caf: NONE, vorbis: &[b"DISCNUMBER"], id3v2: &[b"TPOS"], ilst: NONE, text: &["discnumber", "disc number"] },
    Row { common: "composer", riff: &[b"IMUS"], aiff: NONE, caf: &[b"composer"], vorbis: NONE, id3v2: &[b"TCOM"], ilst: &[b"\xa9wrt"], text: &[] },
    Row { common: "copyright", riff: &[b"ICOP"], aiff: &[b"(c) "], caf: &[b"copyright"], vorbis: NONE, id3v2: &[b"TCOP"], ilst: &[b"cprt"], text: &[] },
    Row { common: "encoder", riff: &[b"ISFT"], aiff: NONE, caf: &[b"encoding application"], vorbis: NONE, id3v2: &[b"TSSE"], ilst: &[b"\xa9too"], text: &["encoding application"] },
    Row { common: "encoded_by", riff: NONE, aiff: NONE, caf: NONE, vorbis: NONE, id3v2: &[b"TENC"], ilst: NONE, text: &[] },
    Row { common: "lyrics", riff: NONE, aiff: NONE, caf: NONE, vorbis: NONE, id3v2: NONE, ilst: &[b"\xa9lyr"], text: &[] },
    Row { common: "grouping", riff: NONE, aiff: NONE, caf: NONE, vorbis: NONE, id3v2: NONE, ilst: &[b"\xa9grp"], text: &[] },
];

fn keys(row: &Row, format: TagFormat) -> &'static [&'static [u8]] {
    match format {
        TagFormat::RiffInfo => row.riff,
        TagFormat::AiffText => row.aiff,
        TagFormat::CafInfo => row.caf,
        TagFormat::Vorbis => row.vorbis,
        TagFormat::Id3v2 => row.id3v2,
        TagFormat::Ilst => row.ilst,
    }
}

/// The common name of `format`'s key `native` (exact bytes), if it has one.
pub fn common_name(format: TagFormat, native: &[u8]) -> Option<&'static str> {
    ROWS.iter().find(|r| keys(r, format).contains(&native)).map(|r| r.common)
}

/// The key `format` writes for the common name `common`, if it has a field for it.
pub fn native_key(format: TagFormat, common: &str) -> Option<&'static [u8]> {
    ROWS.iter().find(|r| r.common == common).and_then(|r| keys(r, format).first().copied())
}

/// [`native_key`] for the formats whose keys are four bytes (RIFF INFO, AIFF, ID3v2, `ilst`).
pub fn native_id(format: TagFormat, common: &str) -> Option<&'static [u8; 4]> {
    native_key(format, common).and_then(|k| k.try_into().ok())
}

/// The common name of a text field name (Vorbis comments, APEv2, CAF; any
/// case, trimmed); anything else becomes its lower-cased self.
pub fn common_text_key(native: &str) -> String {
    let lower = native.trim().to_ascii_lowercase();
    let found = ROWS.iter().find(|r| r.text.contains(&lower.as_str()));
    found.map_or(lower, |r| r.common.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_table_both_ways() {
        assert_eq!(common_name(TagFormat::Id3v2, b"TIT2"), Some("title"));
        assert_eq!(common_name(TagFormat::RiffInfo, b"INAM"), Some("title"));
        assert_eq!(common_name(TagFormat::AiffText, b"NAME"), Some("title"));
        assert_eq!(common_name(TagFormat::Ilst, b"\xa9nam"), Some("title"));
        assert_eq!(common_name(TagFormat::RiffInfo, b"IPRT"), Some("track"));
        assert_eq!(native_id(TagFormat::RiffInfo, "track"), Some(b"ITRK"));
        assert_eq!(native_key(TagFormat::CafInfo, "date"), Some(&b"year"[..]));
        assert_eq!(native_key(TagFormat::Vorbis, "title"), None);
        assert_eq!(common_text_key(" Album Artist "), "album_artist");
        assert_eq!(common_text_key("TITLE"), "title");
        assert_eq!(common_text_key("Mood"), "mood");
        // Every common name is written the way it is read.
        for r in ROWS {
            for f in [TagFormat::RiffInfo, TagFormat::AiffText, TagFormat::CafInfo, TagFormat::Id3v2, TagFormat::Ilst] {
                if let Some(k) = native_key(f, r.common) {
                    assert_eq!(common_name(f, k), Some(r.common), "{f:?} {}", r.common);
                }
            }
        }
    }
}
