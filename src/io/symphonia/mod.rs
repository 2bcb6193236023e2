//! Compressed formats through symphonia: MP4/M4A (AAC, ALAC), MPEG audio
//! (MP1/2/3), AAC in ADTS, Ogg (Vorbis, Opus, FLAC) and Matroska, plus ALAC
//! in CAF ([`open_caf_compressed`]). Opus is decoded by [`opus::OpusDecoder`]
//! (over `ropus`), registered next to symphonia's own codecs ([`codecs`]).
//!
//! [`SymphoniaReader`] adapts symphonia's demuxer and decoder to
//! [`AudioReader`]: it decodes one packet at a time and copies it straight
//! from the decoder's own buffer into the caller's (no per-call allocation),
//! keeping what did not fit for the next call. It applies what symphonia
//! leaves to the caller: the MP4 edit list (AAC priming and padding) and
//! sample-exact seeking (seek to the packet, then drop frames up to the one
//! asked for) and the Ogg Opus pre-skip. MP3 and Ogg end trimming is
//! symphonia's own.
//!
//! Third-party code is not trusted: every call into symphonia runs behind
//! `catch_unwind`, and a panic poisons the reader (every later call returns
//! the same [`ReadError::Decoder`]). A packet that fails to decode is skipped
//! with a warning, as ffmpeg does; a file that ends inside a packet ends
//! cleanly with a warning; too many failures or packets without audio in a row
//! are an error, never an endless loop. This module must not panic on any
//! input nor allocate in `read_*`.

use crate::io::codec::opus;
use crate::io::container::mp4::edits as mp4;
use crate::io::container::mpeg;

mod caf;
mod decode;
mod describe;
mod mp4_format;
mod open;

pub use caf::open_caf_compressed;
use decode::*;
use describe::*;

use std::io::{Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use symphonia::core::audio::sample::SampleFormat as SymSampleFormat;
use symphonia::core::audio::{Channels, GenericAudioBufferRef};
use symphonia::core::codecs::audio::well_known as ids;
use symphonia::core::codecs::audio::{AudioCodecId, AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::codecs::registry::CodecRegistry;
use symphonia::core::errors::{Error as SymError, SeekErrorKind};
use symphonia::core::formats::probe::Hint as SymHint;
use symphonia::core::formats::well_known as fmt_ids;
use symphonia::core::formats::{FormatOptions, FormatReader, SeekMode, SeekTo, Track, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::{MetadataOptions, MetadataRevision, RawValue, StandardTag, Tag};
use symphonia::core::units::{TimeBase, Timestamp};

use crate::format::{AudioFormat, ChannelLayout, FourCC, SampleFormat};
use crate::io::{AudioReader, Codec, Container, MediaSource, ReadError, ReadResult, Source, StreamInfo, Tags, Warning};

/// Which symphonia format reader the probe chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// MPEG-4 / QuickTime.
    Mp4,
    /// MPEG audio (MP1/2/3).
    MpegAudio,
    /// AAC ADTS.
    Adts,
    /// Ogg.
    Ogg,
    /// Matroska / WebM.
    Matroska,
}

impl Hint {
    fn extension(self) -> &'static str {
        match self {
            Hint::Mp4 => "m4a",
            Hint::MpegAudio => "mp3",
            Hint::Adts => "aac",
            Hint::Ogg => "ogg",
            Hint::Matroska => "mkv",
        }
    }

    fn container(self) -> Container {
        match self {
            Hint::Mp4 => Container::Mp4,
            Hint::MpegAudio => Container::MpegAudio,
            Hint::Adts => Container::Adts,
            Hint::Ogg => Container::Ogg,
            Hint::Matroska => Container::Matroska,
        }
    }
}

/// Packets in a row that may fail to decode before the stream is given up.
const MAX_FAILED_IN_A_ROW: u32 = 200;
/// Packets in a row that may give no audio (other tracks, empty packets) before giving up.
const MAX_SILENT_IN_A_ROW: u32 = 20_000;
/// Decode warnings kept word for word; later ones are only counted.
const MAX_WARNINGS: usize = 20;

/// [`Source`] as symphonia's media source, maybe followed by `zeros` zero
/// bytes (the missing end of a cut MPEG audio frame, see [`mpeg::MpegScan::zero_tail`]).
struct SymSource {
    src: Source,
    len: u64,
    zeros: u64,
    pos: u64,
}

impl SymSource {
    fn new(src: Source, zeros: u64) -> Self {
        let len = MediaSource::byte_len(&src);
        SymSource { src, len, zeros, pos: 0 }
    }
}

impl Read for SymSource {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos < self.len {
            let n = self.src.read(buf)?;
            self.pos += n as u64;
            if n > 0 || self.zeros == 0 {
                return Ok(n);
            }
            self.pos = self.len;
        }
        let left = (self.len + self.zeros).saturating_sub(self.pos);
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        buf[..n].fill(0);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SymSource {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        if self.zeros == 0 {
            self.pos = self.src.seek(pos)?;
            return Ok(self.pos);
        }
        let total = self.len + self.zeros;
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => total.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        }
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.src.seek(SeekFrom::Start(target.min(self.len)))?;
        self.pos = target;
        Ok(target)
    }
}

impl symphonia::core::io::MediaSource for SymSource {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.len + self.zeros)
    }
}

/// Symphonia's default codecs plus CoreMusic's Opus decoder.
pub fn codecs() -> &'static CodecRegistry {
    static REGISTRY: OnceLock<CodecRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut registry);
        registry.register_audio_decoder::<opus::OpusDecoder>();
        registry
    })
}

/// Runs `f`, turning a panic into the message of the poisoning error.
fn guard<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        format!("the {what} crashed on this file: {msg}")
    })
}

fn sym_err(what: &str, e: SymError) -> ReadError {
    match e {
        SymError::IoError(io) if io.kind() != std::io::ErrorKind::UnexpectedEof => ReadError::Io(io),
        SymError::Unsupported(f) => ReadError::unsupported(format!("{what}: {f}")),
        e => ReadError::Decoder(format!("{what}: {e}")),
    }
}

/// Converts between the track's timestamps and frames at the output rate.
#[derive(Debug, Clone, Copy)]
struct Clock {
    time_base: Option<TimeBase>,
    rate: u32,
}

impl Clock {
    fn frames_of(&self, ts: i64) -> i64 {
        match self.time_base {
            Some(tb) if self.rate > 0 => {
                let v = ts as i128 * tb.numer.get() as i128 * self.rate as i128 / tb.denom.get() as i128;
                v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
            }
            _ => ts,
        }
    }

    fn ts_of(&self, frames: u64) -> i64 {
        match self.time_base {
            Some(tb) if self.rate > 0 => {
                let v = frames as i128 * tb.denom.get() as i128 / (tb.numer.get() as i128 * self.rate as i128);
                v.clamp(0, i64::MAX as i128) as i64
            }
            _ => i64::try_from(frames).unwrap_or(i64::MAX),
        }
    }
}

/// A decoder for one audio track of a symphonia format.
pub struct SymphoniaReader {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    info: StreamInfo,
    codec_label: String,
    channels: usize,
    /// Right shift from symphonia's full-scale i32 to the stream's depth.
    int_shift: u32,
    clock: Clock,
    /// Frames of the decoder's last buffer still to hand out: `cur..end`.
    cur: usize,
    end: usize,
    /// Output frame index of the next frame handed out.
    position: u64,
    /// Media frames before output frame 0 (MP4 edit list priming).
    lead: u64,
    /// Output frames the stream holds at most (edit list), if bounded.
    limit: Option<u64>,
    /// Frames decoded before a seek target (see `preroll` in `from_format`).
    preroll: u64,
    /// The same for a near seek (fewer for MPEG audio; see `from_format`).
    near_preroll: u64,
    /// Frames still to drop (priming at the start, then up to a seek target).
    discard: u64,
    /// After a seek: the media frame asked for, settled on the first decoded packet.
    seek_target: Option<u64>,
    eof: bool,
    decoded_any: bool,
    failed: u64,
    failed_in_a_row: u32,
    warned_truncated: bool,
    poisoned: Option<String>,
    /// An error met after frames were already handed out, for the next call.
    pending_error: Option<ReadError>,
    warnings: Vec<Warning>,
    warnings_dropped: u64,
    /// MPEG audio at a constant bit rate: a near seek may go by the byte
    /// rate (symphonia's coarse seek), which lands within an MPEG frame of
    /// the time it reports. (On a VBR stream it can report a time seconds
    /// away from the audio it lands on: a near seek there is exact.)
    coarse_seeks: bool,
    /// Chapter marks (MP4).
    chapters: Vec<crate::io::Chapter>,
    /// MPEG audio whose length CoreMusic found itself ([`mpeg::scan`]): the
    /// demuxer's end trimming (from its own estimate) is undone and `limit`
    /// cuts at the scanned length instead.
    own_end: bool,
    /// MPEG audio whose scan trims less at the start than symphonia's
    /// demuxer (a very short LAME file, see [`mpeg::MpegScan::delay`]):
    /// symphonia's delay, the scan's, and the samples of a frame. Each
    /// packet's start trim is set from the scan's delay instead.
    front_trim: Option<FrontTrim>,
    /// ADTS AAC: raw data blocks that hold no channel element are skipped
    /// undecoded, as ffmpeg gives no audio for them (see [`aac_adts`]).
    skip_silent_blocks: bool,
}

/// See [`SymphoniaReader::front_trim`].
#[derive(Debug, Clone, Copy)]
struct FrontTrim {
    demuxer_delay: i64,
    delay: i64,
    frame: u64,
}

impl AudioReader for SymphoniaReader {
    fn info(&self) -> &StreamInfo {
        &self.info
    }

    fn read_f32(&mut self, out: &mut [f32]) -> ReadResult<usize> {
        self.fill(out, copy_f32)
    }

    fn read_i32(&mut self, out: &mut [i32]) -> ReadResult<usize> {
        let n = self.fill(out, copy_i32)?;
        if self.int_shift > 0 {
            let shift = self.int_shift;
            for s in &mut out[..n * self.channels] {
                *s >>= shift;
            }
        }
        Ok(n)
    }

    fn seek(&mut self, frame: u64) -> ReadResult<u64> {
        self.seek_in(frame, SeekMode::Accurate, self.preroll)
    }

    /// A coarse seek where the slack is a second or more and the stream is
    /// MPEG audio at a constant bit rate: the byte position is then taken
    /// from the byte rate instead of walking every frame header from the
    /// start (or from where the stream is). Exact otherwise, with the
    /// shorter pre-roll of a near seek.
    fn seek_near(&mut self, frame: u64, slack: u64) -> ReadResult<u64> {
        let preroll = self.near_preroll;
        if !self.coarse_seeks || slack < u64::from(self.info.sample_rate().max(1)) {
            return self.seek_in(frame, SeekMode::Accurate, preroll);
        }
        // A stream of unknown length cannot be sought coarsely.
        match self.seek_in(frame, SeekMode::Coarse, preroll) {
            Err(_) if self.poisoned.is_none() => self.seek_in(frame, SeekMode::Accurate, preroll),
            r => r,
        }
    }

    fn chapters(&self) -> &[crate::io::Chapter] {
        &self.chapters
    }

    fn take_warnings(&mut self) -> Vec<Warning> {
        let mut w = std::mem::take(&mut self.warnings);
        if self.warnings_dropped > 0 {
            w.push(Warning::MoreOfTheSame { count: self.warnings_dropped, and: true });
            self.warnings_dropped = 0;
        }
        w
    }
}

impl SymphoniaReader {
    fn seek_in(&mut self, frame: u64, mode: SeekMode, preroll: u64) -> ReadResult<u64> {
        if let Some(msg) = &self.poisoned {
            return Err(ReadError::Decoder(msg.clone()));
        }
        let total = self.info.frames.or(self.limit);
        let target = total.map_or(frame, |t| frame.min(t));
        self.cur = 0;
        self.end = 0;
        self.discard = 0;
        self.failed_in_a_row = 0;
        self.pending_error = None;
        if total == Some(target) {
            self.position = target;
            self.eof = true;
            return Ok(target);
        }
        let media = target.saturating_add(self.lead);
        let ts = self.clock.ts_of(media.saturating_sub(preroll));
        let label = format!("{} demuxer", self.info.container.long_name());
        let track_id = self.track_id;
        // symphonia-format-ogg 0.6.1's seek loops for ever when a packet of
        // another logical stream comes first (`continue` without discarding
        // it, demuxer.rs:264): never call it on a multiplexed Ogg file.
        if self.info.container == crate::io::Container::Ogg && self.format.tracks().len() > 1 {
            return Err(ReadError::unsupported(
                "seeking in an Ogg file that multiplexes several streams (it plays from the start)",
            ));
        }
        let seeked =
            match guard(&label, || self.format.seek(mode, SeekTo::Timestamp { ts: Timestamp::new(ts), track_id })) {
                Ok(r) => r,
                Err(msg) => return Err(self.poison(msg)),
            };
        match seeked {
            Ok(_) => {}
            Err(SymError::SeekError(SeekErrorKind::OutOfRange)) => {
                self.position = target;
                self.eof = true;
                return Ok(target);
            }
            Err(e) => return Err(sym_err(&label, e)),
        }
        if let Err(msg) = guard(&self.codec_label, || self.decoder.reset()) {
            return Err(self.poison(msg));
        }
        self.eof = false;
        self.position = target;
        self.seek_target = Some(media);
        if !self.next_block()? {
            self.seek_target = None;
            self.position = target;
        }
        // A damaged packet timestamp can put the decoder past the stream's end:
        // the seek contract clamps to the end.
        if let Some(t) = total.filter(|&t| self.position > t) {
            self.position = t;
            self.cur = 0;
            self.end = 0;
            self.eof = true;
        }
        Ok(self.position)
    }
}

#[cfg(test)]
pub(crate) mod tests;
