//! Tag parsers for the places taggers put text in audio files: RIFF LIST/INFO,
//! ID3v2 (in MP3 heads and in WAV/AIFF `id3 `/`ID3 ` chunks), ID3v1, AIFF text
//! chunks (NAME, AUTH, ANNO, (c) ), CAF `info`, and Vorbis comments.
//!
//! PLACEHOLDER being written by a helper: signatures are fixed, bodies come.

use super::Tags;

/// Parses the body of a RIFF `LIST` chunk of type `INFO` (the bytes after the
/// 4-byte `INFO` type): `INAM`→title, `IART`→artist, `IPRD`→album,
/// `ICRD`→date, `IGNR`→genre, `ICMT`→comment, `ITRK`/`IPRT`→track, others by their lower-cased id.
pub fn parse_riff_info(_body: &[u8], _tags: &mut Tags) {}

/// Parses an ID3v2.2/2.3/2.4 tag starting with `ID3`.
pub fn parse_id3v2(_tag: &[u8], _tags: &mut Tags) {}

/// Parses an AIFF text chunk: `NAME`→title, `AUTH`→artist, `(c) `→copyright, `ANNO`→comment.
pub fn parse_aiff_text(_id: [u8; 4], _body: &[u8], _tags: &mut Tags) {}

/// Parses the body of a CAF `info` chunk (a count, then key/value C strings).
pub fn parse_caf_info(_body: &[u8], _tags: &mut Tags) {}

/// Parses a Vorbis comment block (FLAC VORBIS_COMMENT body, Ogg comment header body without its packet type).
pub fn parse_vorbis_comment(_body: &[u8], _tags: &mut Tags) {}
