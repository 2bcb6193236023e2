//! CoreMusic's own demuxer for the MPEG-4 family (`.m4a`, `.m4b`, `.mp4`,
//! `.mov`, `.3gp`, `.3g2`): it finds the audio track among any others (video,
//! cover art, chapter and subtitle text tracks), builds its sample table from
//! `stsz`/`stz2`, `stsc`, `stco`/`co64` and `stts` and from the fragments of a
//! fragmented file (`moof`/`traf`/`trun`, defaults from `trex`/`tfhd`), reads
//! the edit list that trims encoder priming, and the chapters (Nero `chpl`
//! and QuickTime text tracks via `tref/chap`, see [`super::chapters`]).
//!
//! Decoding is not done here: [`Mp4Demuxer::read_packet`] hands the bytes of
//! one sample at a time to the caller's buffer.
//!
//! Nothing here trusts a size: every box is checked against the file, every
//! count is capped by what its box (or the file) can hold before anything is
//! allocated from it, and samples that lie past the end of the file (a cut
//! download) are dropped with a warning that says what the header claimed.

mod entry;
mod table;

use entry::*;
pub use entry::{parse_asc, AacConfig, AacProfile};
use table::*;

use std::io::{Read, Seek, SeekFrom};

use super::boxes::{be16, be32, be64, child, fourcc_text, full, iter as boxes, path};
use super::chapters;

/// A `moov` (or one `moof`) larger than this is refused.
const MAX_META_BOX: u64 = 128 << 20;
/// All `moof` boxes together may not hold more than this.
const MAX_FRAGMENT_BYTES: u64 = 256 << 20;
/// Top-level boxes walked at most (a fragmented file has one `moof` and one
/// `mdat` per fragment).
const MAX_TOP_BOXES: usize = 1 << 20;
/// A sample (packet) larger than this is treated as damage.
const MAX_SAMPLE: u32 = 16 << 20;

/// Why an MPEG-4 file cannot be demuxed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemuxError {
    /// The file has tracks, but none of them is audio.
    NoAudio,
    /// The file ends at byte `.0` inside its movie box.
    CutOff(u64),
    /// Something else is wrong: what.
    Damaged(String),
}

impl std::fmt::Display for DemuxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DemuxError::NoAudio => write!(f, "the MPEG-4 file has no audio track"),
            DemuxError::CutOff(at) => write!(f, "the file ends at byte {at} inside the movie box (moov)"),
            DemuxError::Damaged(what) => write!(f, "{what}"),
        }
    }
}

/// The codec an audio sample entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleCodec {
    /// AAC, with its `AudioSpecificConfig` from `esds`.
    Aac {
        /// The decoder-specific info (AudioSpecificConfig).
        config: Vec<u8>,
        /// AAC-LC, HE-AAC or HE-AACv2, as the config signals it.
        profile: AacProfile,
    },
    /// MPEG-1/2 audio (Layer III or II) in `mp4a`/`.mp3`.
    Mp3,
    /// Apple Lossless, with its magic cookie.
    Alac {
        /// `ALACSpecificConfig` (24 bytes, maybe followed by a channel layout).
        cookie: Vec<u8>,
    },
    /// FLAC in MP4 (`fLaC` with `dfLa`), with the STREAMINFO block body.
    Flac {
        /// The 34-byte STREAMINFO.
        streaminfo: Vec<u8>,
    },
    /// Opus in MP4 (`Opus` with `dOps`).
    Opus,
    /// Something CoreMusic names but does not decode in MP4 (AMR, QCELP,
    /// EVRC, AC-3, PCM…): its name for messages.
    Other(String),
}

/// The audio track CoreMusic decodes, as its sample entry describes it.
#[derive(Debug, Clone)]
pub struct AudioTrack {
    /// `tkhd` track id.
    pub id: u32,
    /// The sample entry's four-character code (`mp4a`, `alac`, `samr`…).
    pub fourcc: [u8; 4],
    /// The codec.
    pub codec: SampleCodec,
    /// Sample rate (from the codec config where it has one).
    pub sample_rate: u32,
    /// Channels (from the codec config where it has one).
    pub channels: u32,
    /// Bits per sample of the sample entry (16 for most compressed audio).
    pub bits: u32,
    /// `mdhd` timescale: units of every timestamp of the track.
    pub timescale: u32,
    /// Media time where presentation starts (edit list), in `timescale` units.
    pub lead: u64,
    /// Media time presented after `lead` (edit list, bounded by the samples
    /// present), in `timescale` units.
    pub keep: u64,
}

/// A text chapter: where it starts and its title.
#[derive(Debug, Clone, PartialEq)]
pub struct Chapter {
    /// Start in seconds from the start of the presentation.
    pub start_s: f64,
    /// Title.
    pub title: String,
}

/// One parsed `trak`.
#[derive(Debug, Default)]
pub(crate) struct Trak {
    pub id: u32,
    pub handler: [u8; 4],
    pub timescale: u32,
    pub table: SampleTable,
    /// (media_time, segment_duration in movie units) of the one real edit.
    edit: Option<(i64, u64)>,
    /// Track ids that `tref/chap` names.
    pub chap: Vec<u32>,
    /// Samples and duration the header's `stts` announces.
    claimed: (u64, u64),
    /// The track's duration in the headers, in `timescale` units: `mdhd`'s,
    /// else `tkhd`'s (in movie units, converted when the movie is parsed).
    header_duration: u64,
    /// `tkhd`'s duration, in movie timescale units.
    tkhd_duration: u64,
    entry: Option<([u8; 4], Vec<u8>)>,
}

/// A `moov`'s tracks and the boxes beside them.
struct Movie {
    movie_timescale: u32,
    traks: Vec<Trak>,
    /// (track id, default duration, default size) from `mvex/trex`.
    trex: Vec<(u32, u32, u32)>,
    fragmented: bool,
}

fn parse_trak(trak: &[u8], file_len: u64) -> Result<Trak, String> {
    let mut t = Trak::default();
    if let Some((v, b)) = child(trak, b"tkhd").and_then(full) {
        t.id = if v == 1 { be32(b, 16) } else { be32(b, 8) }.unwrap_or(0);
        t.tkhd_duration = if v == 1 { be64(b, 24) } else { be32(b, 16).map(u64::from) }.unwrap_or(0);
    }
    let mdia = child(trak, b"mdia").ok_or("a track without media (mdia)")?;
    if let Some((v, b)) = child(mdia, b"mdhd").and_then(full) {
        t.timescale = if v == 1 { be32(b, 16) } else { be32(b, 8) }.unwrap_or(0);
        t.header_duration = if v == 1 { be64(b, 20) } else { be32(b, 12).map(u64::from) }.unwrap_or(0);
    }
    // All ones means "unknown".
    if t.header_duration == u64::MAX || t.header_duration == u32::MAX as u64 {
        t.header_duration = 0;
    }
    if let Some(h) = child(mdia, b"hdlr").and_then(|b| b.get(8..12)) {
        t.handler.copy_from_slice(h);
    }
    if let Some(b) = path(trak, &[b"tref", b"chap"]) {
        t.chap = (0..(b.len() / 4).min(256)).filter_map(|i| be32(b, 4 * i)).collect();
    }
    if let Some((v, b)) = path(trak, &[b"edts", b"elst"]).and_then(full) {
        let count = be32(b, 0).unwrap_or(0) as usize;
        let len = if v == 1 { 20 } else { 12 };
        let mut real = Vec::new();
        for i in 0..count.min(b.len().saturating_sub(4) / len).min(1024) {
            let at = 4 + i * len;
            let (dur, time) = if v == 1 {
                (be64(b, at).unwrap_or(0), be64(b, at + 8).unwrap_or(0) as i64)
            } else {
                (be32(b, at).unwrap_or(0) as u64, be32(b, at + 4).unwrap_or(0) as i32 as i64)
            };
            if time >= 0 {
                real.push((time, dur));
            }
        }
        // Several real edits are too clever to follow: play it all.
        if real.len() == 1 {
            t.edit = Some(real[0]);
        }
    }
    let stbl = path(mdia, &[b"minf", b"stbl"]).ok_or("a track without a sample table (stbl)")?;
    if let Some((_, b)) = child(stbl, b"stsd").and_then(full) {
        if let Some((k, body)) = b.get(4..).and_then(|e| boxes(e).next()) {
            t.entry = Some((k, body.to_vec()));
        }
    }
    if &t.handler == b"soun" || &t.handler == b"text" || &t.handler == b"sbtl" {
        let (table, claimed) = parse_table(stbl, file_len, t.header_duration)?;
        t.table = table;
        t.claimed = claimed;
    }
    Ok(t)
}

/// Parses a `trex`: (track id, default duration, default size).
fn parse_trex(b: &[u8]) -> Option<(u32, u32, u32)> {
    let b = full(b)?.1;
    Some((be32(b, 0)?, be32(b, 8)?, be32(b, 12)?))
}

fn parse_moov(moov: &[u8], file_len: u64) -> Result<Movie, String> {
    let mvhd = child(moov, b"mvhd").and_then(full);
    let movie_timescale = match mvhd {
        Some((1, b)) => be32(b, 16).unwrap_or(0),
        Some((_, b)) => be32(b, 8).unwrap_or(0),
        None => 0,
    };
    let mvex = child(moov, b"mvex");
    let fragmented = mvex.is_some();
    let trex = mvex
        .map_or_else(Vec::new, |m| boxes(m).filter(|(k, _)| k == b"trex").filter_map(|(_, b)| parse_trex(b)).collect());
    let mut traks = Vec::new();
    let mut first_err = None;
    for (k, body) in boxes(moov) {
        if &k != b"trak" {
            continue;
        }
        match parse_trak(body, file_len) {
            Ok(t) => traks.push(t),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    if traks.is_empty() {
        if let Some(e) = first_err {
            return Err(e);
        }
    }
    Ok(Movie { movie_timescale, traks, trex, fragmented })
}

/// The demuxer: an open file, its audio track and a cursor into its samples.
pub struct Mp4Demuxer<R> {
    src: R,
    /// The audio track.
    pub track: AudioTrack,
    table: SampleTable,
    next: u64,
    next_offset: u64,
    /// Chapters, from a QuickTime text track or a Nero `chpl` box.
    pub chapters: Vec<Chapter>,
    /// The `moov/udta` and `moov/meta` boxes (with headers), for tag readers.
    pub meta_boxes: Vec<u8>,
    /// The file's major brand (`M4A `, `isom`, `3g2a`…).
    pub brand: [u8; 4],
    /// Problems met while opening that did not stop it.
    pub warnings: Vec<crate::io::Warning>,
    /// The largest sample, for sizing the caller's buffer once.
    pub max_sample: u32,
}

impl<R: Read + Seek> Mp4Demuxer<R> {
    /// Walks the file's boxes and prepares its audio track. `len` is the file
    /// length. Fails (with a message naming the problem) when there is no
    /// `moov`, no audio track, or the audio track's tables are unusable.
    pub fn open(mut src: R, len: u64) -> Result<Self, (DemuxError, R)> {
        match Self::parse(&mut src, len) {
            Ok(p) => Ok(Mp4Demuxer {
                src,
                track: p.track,
                table: p.table,
                next: p.next,
                next_offset: p.next_offset,
                chapters: p.chapters,
                meta_boxes: p.meta_boxes,
                brand: p.brand,
                warnings: p.warnings,
                max_sample: p.max_sample,
            }),
            Err(e) => Err((e, src)),
        }
    }

    fn parse(src: &mut R, len: u64) -> Result<Mp4Demuxer<()>, DemuxError> {
        let mut moov: Option<Vec<u8>> = None;
        let mut moofs: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut moof_bytes = 0u64;
        let mut brand = [0u8; 4];
        let mut warnings = Vec::new();
        let mut pos = 0u64;
        let mut head = [0u8; 16];
        let io = |e: std::io::Error| DemuxError::Damaged(format!("reading the file: {e}"));
        for _ in 0..MAX_TOP_BOXES {
            if pos.checked_add(8).is_none_or(|e| e > len) {
                break;
            }
            src.seek(SeekFrom::Start(pos)).map_err(io)?;
            src.read_exact(&mut head[..8]).map_err(io)?;
            let size32 = be32(&head, 0).unwrap_or(0) as u64;
            let kind: [u8; 4] = [head[4], head[5], head[6], head[7]];
            let (hlen, size) = match size32 {
                0 => (8, len - pos),
                1 => {
                    if pos + 16 > len {
                        break;
                    }
                    src.read_exact(&mut head[8..16]).map_err(io)?;
                    (16, be64(&head, 8).unwrap_or(0))
                }
                s => (8, s),
            };
            if size < hlen {
                warnings.push(crate::io::Warning::ImpossibleBox { size, at: pos });
                break;
            }
            let end = pos.saturating_add(size);
            let body = size - hlen;
            let avail = len.saturating_sub(pos + hlen).min(body);
            match &kind {
                b"ftyp" => {
                    let mut b = [0u8; 4];
                    if avail >= 4 && src.read_exact(&mut b).is_ok() {
                        brand = b;
                    }
                }
                b"moov" if moov.is_none() => {
                    if end > len {
                        return Err(DemuxError::CutOff(len));
                    }
                    if body > MAX_META_BOX {
                        return Err(DemuxError::Damaged(format!(
                            "the movie box (moov) is {body} bytes, more than CoreMusic reads"
                        )));
                    }
                    let mut b = vec![0u8; body as usize];
                    src.read_exact(&mut b).map_err(io)?;
                    moov = Some(b);
                }
                b"moof" if end <= len && body <= MAX_META_BOX => {
                    moof_bytes += body;
                    if moof_bytes > MAX_FRAGMENT_BYTES {
                        warnings.push(crate::io::Warning::TooManyFragments);
                        break;
                    }
                    let mut b = vec![0u8; body as usize];
                    src.read_exact(&mut b).map_err(io)?;
                    moofs.push((pos, b));
                }
                _ => {}
            }
            if size32 == 0 {
                break;
            }
            pos = end;
        }
        let moov = moov.ok_or_else(|| DemuxError::Damaged("no movie box (moov): not a complete MPEG-4 file".into()))?;
        let movie = parse_moov(&moov, len).map_err(DemuxError::Damaged)?;
        let sound: Vec<&Trak> = movie.traks.iter().filter(|t| &t.handler == b"soun").collect();
        if sound.is_empty() {
            return Err(DemuxError::NoAudio);
        }
        // The first audio track CoreMusic decodes, else the first one (its error).
        let parsed: Vec<(&Trak, EntryFacts, [u8; 4])> = sound
            .iter()
            .filter_map(|t| {
                let (k, e) = t.entry.as_ref()?;
                Some((*t, parse_audio_entry(*k, e), *k))
            })
            .collect();
        let (trak, (codec, rate, channels, bits), fourcc) = parsed
            .iter()
            .find(|(_, c, _)| !matches!(c.0, SampleCodec::Other(_)))
            .or(parsed.first())
            .cloned()
            .ok_or_else(|| DemuxError::Damaged("the audio track has no sample description (stsd)".into()))?;
        let mut table = trak.table.clone();
        // Fragments are read even when `moov` lacks its `mvex` (ffmpeg plays them too).
        let fragmented = movie.fragmented || !moofs.is_empty();
        if fragmented {
            let trex = movie.trex.iter().find(|t| t.0 == trak.id).map_or((0, 0), |t| (t.1, t.2));
            for (at, m) in &moofs {
                parse_moof(m, *at, trak.id, trex, len, &mut table);
            }
        }
        let header_samples = table.len();
        let kept = table.clip_to_file(len);
        let timescale = if trak.timescale > 0 { trak.timescale } else { rate.max(1) };
        let present = table.time_of(kept);
        let claimed = trak.claimed.1.max(present);
        // The edit list: priming to drop, and how long to play, of a track
        // of `total` media time.
        let edit = |total: u64| -> (u64, u64) {
            let Some((media_time, seg)) = trak.edit else { return (0, total) };
            let lead = (media_time as u64).min(total);
            let mut keep = total - lead;
            // In a fragmented file the edit often covers only the samples in
            // `moov`: the fragments extend it (as ffmpeg plays them).
            if seg > 0 && movie.movie_timescale > 0 && !fragmented {
                let seg_media = (seg as u128 * timescale as u128 / movie.movie_timescale as u128) as u64;
                keep = keep.min(seg_media);
            }
            (lead, keep)
        };
        let (lead, mut keep) = edit(present);
        // No samples at all (an empty sample table and no fragments), but a
        // length in the headers: the file holds 0 frames (what `convert` and
        // playback give), and the warning says what the header claimed.
        let header = match trak.header_duration {
            0 if movie.movie_timescale > 0 => {
                (trak.tkhd_duration as u128 * timescale as u128 / movie.movie_timescale as u128) as u64
            }
            d => d,
        };
        if table.len() == 0 && header > 0 {
            keep = 0;
            warnings.push(crate::io::Warning::Mp4NoSamples { claimed_s: edit(header).1 as f64 / timescale as f64 });
        } else if kept < header_samples.max(trak.claimed.0) || present < claimed {
            warnings.push(crate::io::Warning::Mp4Cut {
                claimed_s: edit(claimed).1 as f64 / timescale as f64,
                present_s: keep as f64 / timescale as f64,
                packets: kept,
                claimed_packets: header_samples.max(trak.claimed.0),
            });
        }
        let max_sample = table.sizes.iter().copied().max().unwrap_or(0).min(MAX_SAMPLE);
        let mut meta_boxes = Vec::new();
        for (k, b) in boxes(&moov) {
            if &k == b"udta" || &k == b"meta" {
                meta_boxes.extend_from_slice(&(b.len() as u32 + 8).to_be_bytes());
                meta_boxes.extend_from_slice(&k);
                meta_boxes.extend_from_slice(b);
            }
        }
        let mut chapters = chapters::from_text_track(src, len, &movie.traks, trak);
        if chapters.is_empty() {
            chapters = boxes(&moov)
                .filter(|(k, _)| k == b"udta")
                .find_map(|(_, u)| child(u, b"chpl"))
                .map(chapters::parse_chpl)
                .unwrap_or_default();
        }
        let track = AudioTrack { id: trak.id, fourcc, codec, sample_rate: rate, channels, bits, timescale, lead, keep };
        let next_offset = table.offset_of(0).unwrap_or(0);
        Ok(Mp4Demuxer {
            src: (),
            track,
            table,
            next: 0,
            next_offset,
            chapters,
            meta_boxes,
            brand,
            warnings,
            max_sample,
        })
    }

    /// Samples (packets) of the audio track present in the file.
    pub fn packets(&self) -> u64 {
        self.table.len()
    }

    /// Duration of the samples present, in timescale units.
    pub fn media_duration(&self) -> u64 {
        self.table.time_of(self.table.len())
    }

    /// Reads the next sample into `buf` (resized to it; no allocation once
    /// `buf` has [`Mp4Demuxer::max_sample`] bytes of capacity). Returns its
    /// timestamp and duration, or `None` at the end.
    pub fn read_packet(&mut self, buf: &mut Vec<u8>) -> std::io::Result<Option<(u64, u32)>> {
        let n = self.next;
        if n >= self.table.len() {
            return Ok(None);
        }
        // Entering a new run: its offset.
        let i = self.table.runs.partition_point(|r| r.first <= n);
        if let Some(r) = i.checked_sub(1).and_then(|i| self.table.runs.get(i)) {
            if r.first == n {
                self.next_offset = r.offset;
            }
        }
        let size = self.table.sizes[n as usize];
        if size > MAX_SAMPLE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("packet {n} claims {size} bytes"),
            ));
        }
        buf.resize(size as usize, 0);
        self.src.seek(SeekFrom::Start(self.next_offset))?;
        self.src.read_exact(buf)?;
        self.next_offset = self.next_offset.saturating_add(size as u64);
        self.next += 1;
        Ok(Some((self.table.time_of(n), self.table.delta_of(n))))
    }

    /// The source, back.
    pub fn into_inner(self) -> R {
        self.src
    }

    /// Moves to the sample playing at `ts` (timescale units); returns its
    /// start.
    pub fn seek(&mut self, ts: u64) -> u64 {
        let n = self.table.sample_at(ts).min(self.table.len());
        self.next = n;
        self.next_offset = self.table.offset_of(n).unwrap_or(0);
        self.table.time_of(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rc(asc: &[u8]) -> Option<(u32, u32, AacProfile)> {
        parse_asc(asc).map(|a| (a.sample_rate, a.channels, a.profile))
    }

    #[test]
    fn asc_gives_rate_and_channels() {
        use AacProfile::*;
        assert_eq!(rc(&[0x12, 0x10]), Some((44100, 2, Plain)));
        assert_eq!(rc(&[0x13, 0x88]), Some((22050, 1, Plain)));
        assert_eq!(rc(&[]), Some((96000, 0, Plain)));
        // 5.1 AAC-LC at 48 kHz.
        assert_eq!(rc(&[0x11, 0xB0]), Some((48000, 6, Plain)));
        // HE-AAC, explicit: object type 5, core 22050 Hz stereo, SBR 44100 Hz, then AAC-LC.
        assert_eq!(rc(&[0x2B, 0x92, 0x08, 0x00]), Some((44100, 2, He)));
        // HE-AACv2, explicit: object type 29, core 24000 Hz mono, SBR 48000 Hz: stereo out.
        assert_eq!(rc(&[0xEB, 0x09, 0x88, 0x00]), Some((48000, 2, HeV2)));
        // HE-AAC, backward compatible: AAC-LC 24000 Hz stereo + sync extension 0x2b7, SBR 48000 Hz.
        assert_eq!(rc(&[0x13, 0x10, 0x56, 0xE5, 0x98]), Some((48000, 2, He)));
        // ... with the PS extension 0x548 after it.
        assert_eq!(rc(&[0x13, 0x10, 0x56, 0xE5, 0x9D, 0x48, 0x80]), Some((48000, 2, HeV2)));
        // A mono core with SBR plays as stereo (parametric stereo may come
        // later), explicit or backward-compatible (afconvert's HE-AAC from
        // mono: AAC-LC 22050 Hz mono, 0x2b7, SBR 44100 Hz)...
        assert_eq!(rc(&[0x2B, 0x8A, 0x08, 0x00]), Some((44100, 2, He)));
        assert_eq!(rc(&[0x13, 0x88, 0x56, 0xE5, 0xA0]), Some((44100, 2, He)));
        // ... but stays mono when the 0x548 extension says no PS.
        assert_eq!(rc(&[0x13, 0x88, 0x56, 0xE5, 0xA5, 0x48, 0x00]), Some((44100, 1, He)));
        // MPEG-4 ALS: rate and channels from its own config (8000 Hz, 800 samples, 2 channels).
        let als = [0xF8, 0x9E, 0x00, 0x3E, 0x80, 0x00, b'A', b'L', b'S', 0, 0, 0, 0x1F, 0x40, 0, 0, 3, 0x20, 0, 1];
        assert_eq!(parse_asc(&als).map(|a| (a.object_type, a.sample_rate, a.channels)), Some((36, 8000, 2)));
        // Channel configuration 0: a program config element with front C, L+R, back L+R, one LFE.
        let pce = [0x12, 0x00, 0x05, 0x08, 0x05, 0x00, 0x01, 0x08, 0x80];
        let a = parse_asc(&pce).unwrap();
        assert_eq!((a.sample_rate, a.channels), (44100, 6), "{pce:02x?}");
    }

    #[test]
    fn time_runs_find_samples() {
        let mut t = SampleTable::default();
        t.push_time(1024, 3);
        t.push_time(704, 1);
        assert_eq!(t.time_of(4), 3 * 1024 + 704);
        assert_eq!(t.time_of(2), 2048);
        assert_eq!(t.delta_of(3), 704);
        assert_eq!(t.sample_at(2047), 1);
        assert_eq!(t.sample_at(1 << 40), 3);
    }
}
