//! MP3 writing through LAME (`mp3lame-encoder`, which builds libmp3lame
//! from C): VBR `-V0`..`-V9` or CBR 16–320 kb/s, joint stereo, an ID3v2.4
//! tag at the head and a LAME/Xing header frame carrying the frame count,
//! the seek table, and the encoder delay and padding, so that decoders
//! (ffmpeg, foobar2000, iTunes, our own reader) trim exactly to the frames
//! written (gapless).
//!
//! LAME puts a placeholder frame first and fills the real header in only
//! when the stream is done: [`Mp3Writer::finish`] seeks back over the
//! placeholder and writes it. Not in macOS builds (the C build cannot be
//! type-checked for Apple targets here): there [`crate::io::OutputFormat::available`]
//! refuses MP3 before a writer is made.
//!
//! Must not write past an error: a failed encode leaves the writer refusing
//! everything, and the conversion removes the temporary file.

use std::io::{Seek, SeekFrom, Write};

use mp3lame_encoder::{Bitrate, Builder, FlushGap, InterleavedPcm, Mode, MonoPcm, Quality, VbrMode};

use super::lossy::EncoderSettings;
use crate::io::tags::{id3v2_tag, Picture};
use crate::io::writer::{AudioWriter, WriteSeek, WriterSpec};
use crate::io::{OutputFormat, Tags, WriteError, MP3_RATES};

/// Writes an MP3 file.
pub struct Mp3Writer {
    sink: Option<Box<dyn WriteSeek>>,
    encoder: mp3lame_encoder::Encoder,
    channels: usize,
    tags: Tags,
    picture: Option<Picture>,
    /// Where the first audio frame (LAME's header placeholder) starts, once
    /// the ID3v2 tag is down.
    audio_start: Option<u64>,
    out: Vec<u8>,
}

fn lame_error(what: &str, e: impl std::fmt::Debug) -> WriteError {
    WriteError::Encoder(format!("LAME {what}: {e:?}"))
}

fn quality(q: u8) -> Quality {
    match q {
        0 => Quality::Best,
        1 => Quality::SecondBest,
        2 => Quality::NearBest,
        3 => Quality::VeryNice,
        4 => Quality::Nice,
        5 => Quality::Good,
        6 => Quality::Decent,
        7 => Quality::Ok,
        8 => Quality::SecondWorst,
        _ => Quality::Worst,
    }
}

fn bitrate(kbps: u32) -> Option<Bitrate> {
    Some(match kbps {
        16 => Bitrate::Kbps16,
        24 => Bitrate::Kbps24,
        32 => Bitrate::Kbps32,
        40 => Bitrate::Kbps40,
        48 => Bitrate::Kbps48,
        64 => Bitrate::Kbps64,
        80 => Bitrate::Kbps80,
        96 => Bitrate::Kbps96,
        112 => Bitrate::Kbps112,
        128 => Bitrate::Kbps128,
        160 => Bitrate::Kbps160,
        192 => Bitrate::Kbps192,
        224 => Bitrate::Kbps224,
        256 => Bitrate::Kbps256,
        320 => Bitrate::Kbps320,
        _ => return None,
    })
}

/// The bitrate of `--cbr` without `--bitrate`.
const DEFAULT_CBR_KBPS: u32 = 192;

impl Mp3Writer {
    /// An MP3 writer for `spec` (an MPEG rate, 1 or 2 channels, f32 samples).
    pub fn new(sink: Box<dyn WriteSeek>, spec: WriterSpec, settings: &EncoderSettings) -> Result<Self, WriteError> {
        if !MP3_RATES.contains(&spec.sample_rate) {
            return Err(WriteError::Unsupported(format!(
                "MP3 cannot be at {} Hz: use one of {MP3_RATES:?} (or leave out --rate)",
                spec.sample_rate
            )));
        }
        if !(1..=2).contains(&spec.channels) {
            return Err(WriteError::Unsupported(format!(
                "MP3 holds mono or stereo, not {} channels (give --channels 2)",
                spec.channels
            )));
        }
        settings.check(OutputFormat::Mp3).map_err(WriteError::Usage)?;
        let mut b = Builder::new().ok_or_else(|| WriteError::Encoder("LAME could not start".into()))?;
        let set = |r: Result<(), mp3lame_encoder::BuildError>, what: &str| r.map_err(|e| lame_error(what, e));
        set(b.set_num_channels(spec.channels as u8), "channels")?;
        set(b.set_sample_rate(spec.sample_rate), "sample rate")?;
        // Keep the rate: LAME would otherwise pick a lower one for low bitrates.
        set(b.set_output_sample_rate(std::num::NonZeroU32::new(spec.sample_rate)), "output rate")?;
        set(b.set_mode(if spec.channels == 1 { Mode::Mono } else { Mode::JointStereo }), "mode")?;
        let cbr = settings.bitrate.is_some() || settings.vbr == Some(false);
        if cbr {
            let kbps = settings.bitrate.unwrap_or(DEFAULT_CBR_KBPS);
            let rate = bitrate(kbps).ok_or_else(|| WriteError::Usage(format!("MP3 has no {kbps} kb/s bitrate")))?;
            set(b.set_vbr_mode(VbrMode::Off), "CBR")?;
            set(b.set_brate(rate), "bitrate")?;
        } else {
            set(b.set_vbr_mode(VbrMode::Mtrh), "VBR")?;
            set(b.set_vbr_quality(quality(settings.vbr_quality.unwrap_or(2))), "VBR quality")?;
        }
        if let Some(q) = settings.complexity {
            set(b.set_quality(quality(q)), "quality")?;
        }
        set(b.set_to_write_vbr_tag(true), "LAME tag")?;
        let encoder = b.build().map_err(|e| lame_error("setup", e))?;
        Ok(Mp3Writer {
            sink: Some(sink),
            encoder,
            channels: usize::from(spec.channels),
            tags: Tags::default(),
            picture: None,
            audio_start: None,
            out: Vec::new(),
        })
    }

    fn sink(&mut self) -> Result<&mut Box<dyn WriteSeek>, WriteError> {
        self.sink.as_mut().ok_or_else(|| WriteError::Usage("the MP3 writer failed earlier".into()))
    }

    /// The ID3v2.4 tag, once, before the audio.
    fn head(&mut self) -> Result<(), WriteError> {
        if self.audio_start.is_some() {
            return Ok(());
        }
        // A little padding lets taggers edit in place.
        let tag = id3v2_tag(&self.tags, self.picture.as_ref(), 1024).unwrap_or_default();
        let sink = self.sink()?;
        sink.write_all(&tag)?;
        self.audio_start = Some(tag.len() as u64);
        Ok(())
    }

    fn encode(&mut self, samples: &[f32]) -> Result<(), WriteError> {
        if samples.len() % self.channels != 0 {
            return Err(WriteError::Usage("a partial frame was written".into()));
        }
        self.head()?;
        let frames = samples.len() / self.channels;
        // LAME's worst case: 1.25 × samples + 7200 bytes.
        self.out.clear();
        self.out.reserve(frames + frames / 4 + 7200);
        let r = if self.channels == 1 {
            self.encoder.encode_to_vec(MonoPcm(samples), &mut self.out)
        } else {
            self.encoder.encode_to_vec(InterleavedPcm(samples), &mut self.out)
        };
        r.map_err(|e| lame_error("encoding", e))?;
        let out = std::mem::take(&mut self.out);
        let written = self.sink()?.write_all(&out);
        self.out = out;
        Ok(written?)
    }
}

impl AudioWriter for Mp3Writer {
    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError> {
        // LAME takes any chunk size; feed it in pieces so the output buffer stays small.
        for piece in interleaved.chunks(8192 * self.channels) {
            if let Err(e) = self.encode(piece) {
                self.sink = None;
                return Err(e);
            }
        }
        Ok(())
    }

    fn write_i32(&mut self, _: &[i32]) -> Result<(), WriteError> {
        Err(WriteError::Usage("the MP3 writer takes float samples".into()))
    }

    fn set_tags(&mut self, tags: &Tags) -> Result<(), WriteError> {
        if self.audio_start.is_some() {
            return Err(WriteError::Usage("tags must be set before the first samples".into()));
        }
        let lame = mp3lame_encoder::mp3lame_version();
        self.tags = super::lossy::with_encoder(tags, &format!("CoreMusic (LAME {lame})"));
        Ok(())
    }

    fn set_picture(&mut self, picture: &Picture) -> Result<(), WriteError> {
        if self.audio_start.is_some() {
            return Err(WriteError::Usage("a picture must be set before the first samples".into()));
        }
        self.picture = Some(picture.clone());
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), WriteError> {
        self.head()?;
        let mut out = Vec::with_capacity(7200 * 2);
        self.encoder.flush_to_vec::<FlushGap>(&mut out).map_err(|e| lame_error("flushing", e))?;
        let mut lametag = Vec::with_capacity(self.encoder.lame_tag_size().max(1));
        let tagged = self.encoder.lame_tag_encode_to_vec(&mut lametag).is_some();
        let start = self.audio_start.unwrap_or(0);
        let sink = self.sink()?;
        sink.write_all(&out)?;
        if tagged {
            // Over LAME's placeholder, the first frame after the ID3v2 tag.
            let end = sink.stream_position()?;
            sink.seek(SeekFrom::Start(start))?;
            sink.write_all(&lametag)?;
            sink.seek(SeekFrom::Start(end))?;
        }
        sink.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
