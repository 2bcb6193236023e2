//! ID3v1 and ID3v1.1: the 128-byte `TAG` block at the end of MP3 files, and
//! the genre list ID3v2's `TCON` refers to.
//!
//! lofty 0.25.5 reads the same values (alone and under an ID3v2 tag, with
//! our precedence: `tests/tags_lofty.rs`). Kept: the 128 bytes come from the
//! MPEG scan and lofty parses whole files only; and 21 of lofty's 192 genre
//! names are spelled otherwise (ours are mutagen's; see `id3v1_genre_lists`).

use super::{until_nul, utf8_or_latin1, Sink};
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
