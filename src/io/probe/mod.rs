//! The probe: looks at a file's first bytes (never its extension) and opens
//! the reader for what it finds.

use std::io::{Seek, SeekFrom};
use std::path::Path;

use super::codec::flac;
use super::container::{aiff, caf, wav};
use super::source::read_up_to;
use super::symphonia;
use super::{AudioReader, FileError, ReadError, ReadResult, Source};

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    /// RIFF/RIFX/RF64/BW64 WAVE or Sony Wave64.
    Wave,
    /// AIFF or AIFF-C.
    Aiff,
    /// Core Audio Format.
    Caf,
    /// Native FLAC (`fLaC`, or a stream that starts at a frame header).
    Flac,
    /// A format symphonia reads (MP4, MP3, ADTS, Ogg, Matroska).
    Symphonia(symphonia::Hint),
}

const W64_RIFF_GUID: [u8; 16] =
    [0x72, 0x69, 0x66, 0x66, 0x2E, 0x91, 0xCF, 0x11, 0xA5, 0xD6, 0x28, 0xDB, 0x04, 0xC1, 0x00, 0x00];

/// Bytes [`detect`] wants to see (more is fine, less may miss).
pub const PROBE_LEN: usize = 64;

/// Identifies a file from its first bytes. `head` should be the first
/// [`PROBE_LEN`] bytes (or the whole file if shorter). An ID3v2 tag in front
/// is skipped by the caller ([`id3v2_len`]).
pub fn detect(head: &[u8]) -> ReadResult<Detected> {
    let at = |o: usize, m: &[u8]| head.len() >= o + m.len() && &head[o..o + m.len()] == m;
    if head.is_empty() {
        return Err(ReadError::UnknownFormat("the file is empty".into()));
    }
    if (at(0, b"RIFF") || at(0, b"RIFX") || at(0, b"RF64") || at(0, b"BW64")) && at(8, b"WAVE") {
        return Ok(Detected::Wave);
    }
    if at(0, &W64_RIFF_GUID) {
        return Ok(Detected::Wave);
    }
    if at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")) {
        return Ok(Detected::Aiff);
    }
    if at(0, b"caff") {
        return Ok(Detected::Caf);
    }
    if at(0, b"fLaC") {
        return Ok(Detected::Flac);
    }
    if at(0, b"OggS") {
        // The first packet of the first page names the codec; Speex is
        // one CoreMusic knows by sight but does not decode.
        let first = 27 + usize::from(head.get(26).copied().unwrap_or(0));
        if at(first, b"Speex   ") {
            return Err(ReadError::unsupported("codec: Speex (in Ogg)"));
        }
        return Ok(Detected::Symphonia(symphonia::Hint::Ogg));
    }
    if at(4, b"ftyp") || at(4, b"moov") || at(4, b"mdat") || at(4, b"wide") || at(4, b"free") {
        return Ok(Detected::Symphonia(symphonia::Hint::Mp4));
    }
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        return Ok(Detected::Symphonia(symphonia::Hint::Matroska));
    }
    // Formats we know by sight but do not decode.
    let unsupported = [
        (&b"MAC "[..], "Monkey's Audio (APE)"),
        (b"wvpk", "WavPack"),
        (b"FRM8", "DSDIFF (DSD)"),
        (b"DSD ", "DSF (DSD)"),
        (b"TTA1", "True Audio (TTA)"),
        (b"MPCK", "Musepack"),
        (b"MP+", "Musepack"),
        (b"tBaK", "TAK"),
        (b"OFR ", "OptimFROG"),
        (b".snd", "Sun/NeXT audio"),
        (b"MThd", "MIDI (open it in the MIDI panel or with `coremusic midi info`)"),
        (&[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11], "Windows Media Audio (ASF)"),
    ];
    for (magic, name) in unsupported {
        if at(0, magic) {
            return Err(ReadError::unsupported(format!("codec: {name}")));
        }
    }
    if head.len() >= 2 && head[0] == 0x0B && head[1] == 0x77 {
        return Err(ReadError::unsupported("codec: Dolby Digital (AC-3)"));
    }
    if head.len() >= 2 && head[0] == 0xFF && head[1] & 0xF0 == 0xF0 && head[1] & 0x06 == 0 {
        // 0xFFF8/9 is both a FLAC frame sync and an MPEG-2 ADTS sync: the
        // FLAC frame header carries a CRC-8 that settles it.
        if head[1] & 0xFE == 0xF8 && flac::looks_like_frame_header(head) {
            return Ok(Detected::Flac);
        }
        return Ok(Detected::Symphonia(symphonia::Hint::Adts));
    }
    if head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0 && head[1] & 0x06 != 0 {
        return Ok(Detected::Symphonia(symphonia::Hint::MpegAudio));
    }
    Err(ReadError::UnknownFormat(describe_unknown(head)))
}

/// The size of an ID3v2 tag at the start of `head` (header and footer
/// included), or 0 if there is none.
pub fn id3v2_len(head: &[u8]) -> u64 {
    if head.len() < 10 || &head[0..3] != b"ID3" || head[6..10].iter().any(|b| b & 0x80 != 0) {
        return 0;
    }
    let size = head[6..10].iter().fold(0u64, |acc, &b| (acc << 7) | b as u64);
    let footer = if head[5] & 0x10 != 0 { 10 } else { 0 };
    10 + size + footer
}

fn describe_unknown(head: &[u8]) -> String {
    let text = head.iter().take(32).all(|&b| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7f).contains(&b));
    if text {
        "it looks like text".to_string()
    } else {
        let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("first bytes {}", hex.join(" "))
    }
}

/// Opens a file for decoding, choosing the reader from its bytes.
pub fn open(path: &Path) -> Result<Box<dyn AudioReader>, FileError> {
    let source = Source::open(path).map_err(|e| FileError::new(path, e))?;
    open_source(source).map_err(|e| FileError::new(path, e))
}

/// Opens bytes from any source (a file, a map, memory).
pub fn open_source(mut source: Source) -> ReadResult<Box<dyn AudioReader>> {
    let mut head = [0u8; PROBE_LEN];
    let n = read_up_to(&mut source, &mut head)?;
    let mut head = &head[..n];
    let skip = id3v2_len(head);
    let mut head_after_id3 = [0u8; PROBE_LEN];
    if skip > 0 {
        source.seek(SeekFrom::Start(skip))?;
        let m = read_up_to(&mut source, &mut head_after_id3)?;
        head = &head_after_id3[..m];
        if m == 0 {
            return Err(ReadError::UnknownFormat("the file holds an ID3 tag and no audio".into()));
        }
    }
    let kind = match detect(head) {
        // An ID3v2 tag whose size misses the first frame (junk after it, or
        // a size a few bytes too large): MPEG audio if frames follow, as
        // ffmpeg resynchronises.
        Err(ReadError::UnknownFormat(_)) if skip > 0 && mpeg_after_tag(&mut source)? => {
            Detected::Symphonia(symphonia::Hint::MpegAudio)
        }
        // A FLAC stream picked up mid-frame: junk, then frames (no `fLaC`).
        Err(ReadError::UnknownFormat(why)) => {
            source.seek(SeekFrom::Start(skip))?;
            let mut more = vec![0u8; flac::BARE_SEARCH];
            let m = read_up_to(&mut source, &mut more)?;
            if flac::first_whole_frame(&more[..m]).is_none() {
                return Err(ReadError::UnknownFormat(why));
            }
            Detected::Flac
        }
        kind => kind?,
    };
    source.seek(SeekFrom::Start(0))?;
    match kind {
        Detected::Wave => wav::open_reader(source),
        Detected::Aiff => Ok(Box::new(aiff::AiffReader::new(source)?)),
        Detected::Caf if caf_is_native(head) => Ok(Box::new(caf::CafReader::new(source)?)),
        Detected::Caf => symphonia::open_caf_compressed(source),
        Detected::Flac => Ok(Box::new(flac::FlacReader::new(source)?)),
        Detected::Symphonia(hint) => symphonia::SymphoniaReader::open(source, hint),
    }
}

/// True when MPEG audio frames follow the tags at the start of `source`
/// (a run of them, searched for past any junk).
fn mpeg_after_tag(source: &mut Source) -> ReadResult<bool> {
    let len = super::source::MediaSource::byte_len(source);
    source.seek(SeekFrom::Start(0))?;
    Ok(super::container::mpeg::scan(source, len).is_some_and(|s| s.frames > 0))
}

/// True when a CAF's `desc` chunk (always first) names a format the native
/// reader decodes; ALAC, AAC and the rest go to symphonia.
fn caf_is_native(head: &[u8]) -> bool {
    match head.get(28..32) {
        Some(id) => matches!(id, b"lpcm" | b"ulaw" | b"alaw" | b"ima4"),
        None => true, // too short: let the native reader say what is wrong
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_magic() {
        assert_eq!(detect(b"RIFF\0\0\0\0WAVEfmt ").unwrap(), Detected::Wave);
        assert_eq!(detect(b"FORM\0\0\0\0AIFC").unwrap(), Detected::Aiff);
        assert_eq!(detect(b"caff\0\x01\0\0").unwrap(), Detected::Caf);
        assert_eq!(detect(b"fLaC\0\0\0\x22").unwrap(), Detected::Flac);
        assert_eq!(detect(b"\0\0\0\x20ftypM4A ").unwrap(), Detected::Symphonia(symphonia::Hint::Mp4));
        assert_eq!(detect(&[0xFF, 0xFB, 0x90, 0x00]).unwrap(), Detected::Symphonia(symphonia::Hint::MpegAudio));
        assert_eq!(detect(&[0xFF, 0xF1, 0x50, 0x80]).unwrap(), Detected::Symphonia(symphonia::Hint::Adts));
    }

    #[test]
    fn text_and_empty_are_refused_clearly() {
        let e = detect(b"hello, this is just some text\n").unwrap_err().to_string();
        assert!(e.contains("looks like text"), "{e}");
        assert!(detect(b"").unwrap_err().to_string().contains("empty"));
        assert!(detect(b"MAC \x96\x0f").unwrap_err().to_string().contains("Monkey"));
        assert!(detect(b"tBaK\x01\x0d").unwrap_err().to_string().contains("TAK"));
        assert!(detect(b"OFR \x0f\0").unwrap_err().to_string().contains("OptimFROG"));
        // Ogg Speex: the first page's one packet starts "Speex   ".
        let mut speex = b"OggS\0\x02".to_vec();
        speex.resize(26, 0);
        speex.extend_from_slice(b"\x01\x50Speex   1.2");
        assert!(detect(&speex).unwrap_err().to_string().contains("Speex"));
        speex[28..33].copy_from_slice(b"Opus!");
        assert!(matches!(detect(&speex), Ok(Detected::Symphonia(symphonia::Hint::Ogg))));
    }

    #[test]
    fn id3_size_is_syncsafe() {
        let mut h = b"ID3\x04\x00\x00\x00\x00\x02\x01".to_vec();
        h.resize(20, 0);
        assert_eq!(id3v2_len(&h), 10 + 257);
    }
}

#[cfg(test)]
mod robustness;
