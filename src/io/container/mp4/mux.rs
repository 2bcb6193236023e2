//! A minimal MPEG-4 audio muxer (.m4a) for one audio track of compressed
//! packets: `ftyp`, a progressively written `mdat` (64-bit size, patched at
//! the end), and a `moov` after it with the sample tables (`stts`, `stsz`,
//! `stsc`, `stco` or `co64`). It keeps 4 bytes per packet in memory and knows
//! nothing about the codec beyond the sample entry it is given. Text tags go
//! into an iTunes-style `moov/udta/meta/ilst` (`©nam`, `©ART`, `©alb`, `aART`,
//! `©day`, `©gen`, `©cmt`, `©wrt`, `cprt`, `©too`, `©lyr`, `©grp`, `trkn`,
//! `disk`). It must not write a file whose tables disagree with its `mdat`.

use std::io::{SeekFrom, Write};

use crate::io::writer::WriteSeek;
use crate::io::{Tags, WriteError};

/// Packets per chunk (`stsc`/`stco` granularity).
const PACKETS_PER_CHUNK: usize = 16;

/// The codec description placed in `stsd`.
#[derive(Debug, Clone)]
pub struct SampleEntry {
    /// Sample entry type (e.g. `alac`).
    pub fourcc: [u8; 4],
    /// Channels.
    pub channels: u16,
    /// Bits per sample.
    pub bits: u16,
    /// Frames per second (also the media timescale).
    pub sample_rate: u32,
    /// Child boxes of the sample entry, complete with headers (e.g. the ALAC cookie box).
    pub extra_boxes: Vec<u8>,
}

/// Writes one audio track into an MPEG-4 file.
pub struct M4aMuxer {
    sink: Box<dyn WriteSeek>,
    /// Offset of the `mdat` box header.
    mdat_at: u64,
    /// Bytes of packet data written.
    data_len: u64,
    sizes: Vec<u32>,
    /// Runs of (packet count, frames per packet).
    durations: Vec<(u32, u32)>,
    frames: u64,
    /// The tags' `ilst` box (empty: none).
    ilst: Vec<u8>,
    /// The cover's `covr` item (empty: none), added to `ilst`.
    covr: Vec<u8>,
}

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(body.len() + 8);
    v.extend_from_slice(&((body.len() + 8) as u32).to_be_bytes());
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

fn full_box(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(body.len() + 4);
    b.extend_from_slice(&((u32::from(version) << 24) | flags).to_be_bytes());
    b.extend_from_slice(body);
    boxed(kind, &b)
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// The unity transformation matrix of `mvhd`/`tkhd`.
const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

impl M4aMuxer {
    /// Writes `ftyp` and the `mdat` header at the sink's current position.
    pub fn new(mut sink: Box<dyn WriteSeek>) -> Result<Self, WriteError> {
        let ftyp = boxed(b"ftyp", &cat(&[b"M4A ", &0u32.to_be_bytes(), b"M4A ", b"mp42", b"isom", &[0; 4]]));
        sink.write_all(&ftyp)?;
        let mdat_at = sink.stream_position()?;
        let mut head = [0u8; 16];
        head[..4].copy_from_slice(&1u32.to_be_bytes());
        head[4..8].copy_from_slice(b"mdat");
        head[8..].copy_from_slice(&16u64.to_be_bytes());
        sink.write_all(&head)?;
        Ok(M4aMuxer {
            sink,
            mdat_at,
            data_len: 0,
            sizes: Vec::new(),
            durations: Vec::new(),
            frames: 0,
            ilst: Vec::new(),
            covr: Vec::new(),
        })
    }

    /// Appends one packet decoding to `frames` frames.
    pub fn write_packet(&mut self, data: &[u8], frames: u32) -> Result<(), WriteError> {
        let size = u32::try_from(data.len()).map_err(|_| WriteError::Unsupported("packet over 4 GiB".into()))?;
        if self.sizes.len() >= u32::MAX as usize {
            return Err(WriteError::Unsupported("too many packets for MPEG-4 sample tables".into()));
        }
        self.sink.write_all(data)?;
        self.data_len += u64::from(size);
        self.sizes.push(size);
        match self.durations.last_mut() {
            Some((count, d)) if *d == frames => *count += 1,
            _ => self.durations.push((1, frames)),
        }
        self.frames += u64::from(frames);
        Ok(())
    }

    /// Sets the tags written with `moov` (keys as in [`Tags`]; those with no
    /// iTunes atom are left out). A later call replaces an earlier one.
    pub fn set_tags(&mut self, tags: &Tags) {
        self.ilst = crate::io::tags::ilst_box(tags);
    }

    /// Sets the cover written in `ilst` as `covr` (JPEG or PNG; another
    /// kind of picture, or one of 16 MiB or more, is left out).
    pub fn set_cover(&mut self, picture: &crate::io::tags::Picture) {
        // iTunes' data types: 13 JPEG, 14 PNG.
        let kind: u32 = match picture.mime.as_str() {
            "image/jpeg" | "image/jpg" => 13,
            "image/png" => 14,
            _ => return,
        };
        if picture.data.len() >= 1 << 24 {
            return;
        }
        let data = boxed(b"data", &cat(&[&kind.to_be_bytes(), &[0; 4], &picture.data]));
        self.covr = boxed(b"covr", &data);
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Patches the `mdat` size, appends `moov` and flushes.
    pub fn finish(mut self, entry: &SampleEntry) -> Result<(), WriteError> {
        let end = self.sink.stream_position()?;
        self.sink.seek(SeekFrom::Start(self.mdat_at + 8))?;
        self.sink.write_all(&(16 + self.data_len).to_be_bytes())?;
        self.sink.seek(SeekFrom::Start(end))?;
        let moov = self.moov(entry);
        self.sink.write_all(&moov)?;
        self.sink.flush()?;
        Ok(())
    }

    fn moov(&self, e: &SampleEntry) -> Vec<u8> {
        let dur = self.frames;
        let long = dur > u64::from(u32::MAX);
        let (ver, time_fields) = if long {
            (1u8, cat(&[&0u64.to_be_bytes(), &0u64.to_be_bytes()]))
        } else {
            (0u8, cat(&[&0u32.to_be_bytes(), &0u32.to_be_bytes()]))
        };
        let dur_bytes = if long { dur.to_be_bytes().to_vec() } else { (dur as u32).to_be_bytes().to_vec() };
        let matrix: Vec<u8> = MATRIX.iter().flat_map(|m| m.to_be_bytes()).collect();

        let mvhd = full_box(
            b"mvhd",
            ver,
            0,
            &cat(&[
                &time_fields,
                &e.sample_rate.to_be_bytes(),
                &dur_bytes,
                &0x0001_0000u32.to_be_bytes(),
                &0x0100u16.to_be_bytes(),
                &[0; 10],
                &matrix,
                &[0; 24],
                &2u32.to_be_bytes(),
            ]),
        );
        let tkhd = full_box(
            b"tkhd",
            ver,
            7,
            &cat(&[
                &time_fields,
                &1u32.to_be_bytes(),
                &[0; 4],
                &dur_bytes,
                &[0; 8],
                &0u16.to_be_bytes(),
                &0u16.to_be_bytes(),
                &0x0100u16.to_be_bytes(),
                &[0; 2],
                &matrix,
                &0u32.to_be_bytes(),
                &0u32.to_be_bytes(),
            ]),
        );
        let mdhd = full_box(
            b"mdhd",
            ver,
            0,
            &cat(&[&time_fields, &e.sample_rate.to_be_bytes(), &dur_bytes, &0x55c4u16.to_be_bytes(), &[0; 2]]),
        );
        let hdlr = full_box(b"hdlr", 0, 0, &cat(&[&[0; 4], b"soun", &[0; 12], b"SoundHandler\0"]));
        let smhd = full_box(b"smhd", 0, 0, &[0; 4]);
        let dref = full_box(b"dref", 0, 0, &cat(&[&1u32.to_be_bytes(), &full_box(b"url ", 0, 1, &[])]));
        let dinf = boxed(b"dinf", &dref);

        let rate_fixed = if e.sample_rate <= 0xffff { e.sample_rate << 16 } else { 0 };
        let sample_entry = boxed(
            &e.fourcc,
            &cat(&[
                &[0; 6],
                &1u16.to_be_bytes(),
                &[0; 8],
                &e.channels.to_be_bytes(),
                &e.bits.to_be_bytes(),
                &[0; 4],
                &rate_fixed.to_be_bytes(),
                &e.extra_boxes,
            ]),
        );
        let stsd = full_box(b"stsd", 0, 0, &cat(&[&1u32.to_be_bytes(), &sample_entry]));

        let mut stts_body = (self.durations.len() as u32).to_be_bytes().to_vec();
        for &(count, d) in &self.durations {
            stts_body.extend_from_slice(&count.to_be_bytes());
            stts_body.extend_from_slice(&d.to_be_bytes());
        }
        let stts = full_box(b"stts", 0, 0, &stts_body);

        // A constant size is written as such (as ffmpeg does): ffmpeg reads a
        // one-packet track of duration 1 as raw PCM chunks otherwise.
        let constant = match self.sizes.first() {
            Some(&first) if self.sizes.iter().all(|&s| s == first) => first,
            _ => 0,
        };
        let mut stsz_body = Vec::with_capacity(8 + 4 * self.sizes.len());
        stsz_body.extend_from_slice(&constant.to_be_bytes());
        stsz_body.extend_from_slice(&(self.sizes.len() as u32).to_be_bytes());
        if constant == 0 {
            for s in &self.sizes {
                stsz_body.extend_from_slice(&s.to_be_bytes());
            }
        }
        let stsz = full_box(b"stsz", 0, 0, &stsz_body);

        let chunks = self.sizes.len().div_ceil(PACKETS_PER_CHUNK);
        let rem = self.sizes.len() % PACKETS_PER_CHUNK;
        let mut stsc_body = Vec::new();
        let mut entries = Vec::new();
        if chunks > 0 {
            entries.push((1u32, if chunks == 1 && rem != 0 { rem } else { PACKETS_PER_CHUNK }));
            if chunks > 1 && rem != 0 {
                entries.push((chunks as u32, rem));
            }
        }
        stsc_body.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        for (first, per) in entries {
            stsc_body.extend_from_slice(&first.to_be_bytes());
            stsc_body.extend_from_slice(&(per as u32).to_be_bytes());
            stsc_body.extend_from_slice(&1u32.to_be_bytes());
        }
        let stsc = full_box(b"stsc", 0, 0, &stsc_body);

        let mut offsets = Vec::with_capacity(chunks);
        let mut at = self.mdat_at + 16;
        for group in self.sizes.chunks(PACKETS_PER_CHUNK) {
            offsets.push(at);
            at += group.iter().map(|&s| u64::from(s)).sum::<u64>();
        }
        let need64 = offsets.last().is_some_and(|&o| o > u64::from(u32::MAX));
        let mut co_body = (offsets.len() as u32).to_be_bytes().to_vec();
        for o in &offsets {
            if need64 {
                co_body.extend_from_slice(&o.to_be_bytes());
            } else {
                co_body.extend_from_slice(&(*o as u32).to_be_bytes());
            }
        }
        let stco = full_box(if need64 { b"co64" } else { b"stco" }, 0, 0, &co_body);

        let stbl = boxed(b"stbl", &cat(&[&stsd, &stts, &stsc, &stsz, &stco]));
        let minf = boxed(b"minf", &cat(&[&smhd, &dinf, &stbl]));
        let mdia = boxed(b"mdia", &cat(&[&mdhd, &hdlr, &minf]));
        let trak = boxed(b"trak", &cat(&[&tkhd, &mdia]));
        boxed(b"moov", &cat(&[&mvhd, &trak, &udta_box(&self.ilst, &self.covr)]))
    }
}

/// `udta/meta/ilst` holding the tags' `ilst` box and the `covr` item;
/// empty when there is neither.
fn udta_box(tags_ilst: &[u8], covr: &[u8]) -> Vec<u8> {
    // The tags' items (after their `ilst` header), then the cover.
    let items = tags_ilst.get(8..).unwrap_or_default();
    if items.is_empty() && covr.is_empty() {
        return Vec::new();
    }
    let ilst = boxed(b"ilst", &cat(&[items, covr]));
    let hdlr = full_box(b"hdlr", 0, 0, &cat(&[&[0; 4], b"mdir", b"appl", &[0; 8], &[0]]));
    let meta = full_box(b"meta", 0, 0, &cat(&[&hdlr, &ilst]));
    boxed(b"udta", &meta)
}
