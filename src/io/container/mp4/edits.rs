//! The MP4 edit list (`moov/trak/edts/elst`) of the first audio track, which
//! symphonia parses but does not apply: it says how many priming frames an
//! encoder put in front (AAC's 1024 or 2112) and how long the real audio is.
//!
//! Reads only box headers and the `moov` box (capped by the file length and
//! [`MAX_MOOV`]); it must never fail an open — anything odd gives `None`.

use std::io::{Read, Seek, SeekFrom};

use super::boxes::{be32, be64, child, iter as boxes};

/// A `moov` larger than this is not read for its edit list.
const MAX_MOOV: u64 = 64 << 20;

/// The edit of one track, in its own units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Edit {
    /// Media time where presentation starts (in `media_timescale` units).
    pub media_time: u64,
    /// How long presentation lasts (in `movie_timescale` units), 0 when the
    /// file leaves it open.
    pub segment_duration: u64,
    /// The track's `mdhd` timescale.
    pub media_timescale: u32,
    /// The `mvhd` timescale.
    pub movie_timescale: u32,
}

impl Edit {
    /// Frames to drop at the start and frames to keep (if bounded), at `rate`.
    pub fn in_frames(&self, rate: u32) -> (u64, Option<u64>) {
        let conv = |v: u64, ts: u32| -> u64 {
            if ts == 0 {
                return 0;
            }
            let f = (v as u128 * rate as u128 + ts as u128 / 2) / ts as u128;
            u64::try_from(f).unwrap_or(u64::MAX)
        };
        let skip = conv(self.media_time, self.media_timescale);
        let keep = (self.segment_duration > 0).then(|| conv(self.segment_duration, self.movie_timescale));
        (skip, keep)
    }
}

/// Finds the `moov` box among the top-level boxes and reads it.
fn read_moov<R: Read + Seek>(src: &mut R, len: u64) -> Option<Vec<u8>> {
    let mut pos = 0u64;
    let mut header = [0u8; 16];
    for _ in 0..4096 {
        if pos.checked_add(8)? > len {
            return None;
        }
        src.seek(SeekFrom::Start(pos)).ok()?;
        src.read_exact(&mut header[..8]).ok()?;
        let size32 = be32(&header, 0)? as u64;
        let (hlen, size) = match size32 {
            0 => (8, len - pos),
            1 => {
                src.read_exact(&mut header[8..16]).ok()?;
                (16, be64(&header, 8)?)
            }
            s => (8, s),
        };
        if size < hlen {
            return None;
        }
        if &header[4..8] == b"moov" {
            let body = size - hlen;
            if body > MAX_MOOV || pos.checked_add(size)? > len {
                return None;
            }
            let mut buf = vec![0u8; body as usize];
            src.read_exact(&mut buf).ok()?;
            return Some(buf);
        }
        pos = pos.checked_add(size)?;
    }
    None
}

/// The edit of the first audio (`soun`) track, when it has a usable one.
/// Leaves the source position anywhere; the caller seeks back.
pub(crate) fn first_audio_edit<R: Read + Seek>(src: &mut R, len: u64) -> Option<Edit> {
    let moov = read_moov(src, len)?;
    let mvhd = child(&moov, b"mvhd")?;
    let movie_timescale = match mvhd.first()? {
        1 => be32(mvhd, 20)?,
        _ => be32(mvhd, 12)?,
    };
    for (kind, trak) in boxes(&moov) {
        if &kind != b"trak" {
            continue;
        }
        let mdia = child(trak, b"mdia")?;
        let hdlr = child(mdia, b"hdlr")?;
        if hdlr.get(8..12)? != b"soun" {
            continue;
        }
        let mdhd = child(mdia, b"mdhd")?;
        let media_timescale = match mdhd.first()? {
            1 => be32(mdhd, 20)?,
            _ => be32(mdhd, 12)?,
        };
        let elst = child(child(trak, b"edts")?, b"elst")?;
        let version = *elst.first()?;
        let count = be32(elst, 4)? as usize;
        let entry_len = if version == 1 { 20 } else { 12 };
        let mut found = None;
        for i in 0..count.min(64) {
            let at = 8 + i * entry_len;
            let (dur, time) = if version == 1 {
                (be64(elst, at)?, be64(elst, at + 8)? as i64)
            } else {
                (be32(elst, at)? as u64, be32(elst, at + 4)? as i32 as i64)
            };
            if time < 0 {
                continue; // an empty edit (a delay before the track): not applied
            }
            if found.is_some() {
                return None; // several real edits: too clever to follow, play it all
            }
            found = Some(Edit { media_time: time as u64, segment_duration: dur, media_timescale, movie_timescale });
        }
        return found;
    }
    None
}
