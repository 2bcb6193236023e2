//! Ogg Opus writing (RFC 7845): 20 ms packets at 48 kHz in Ogg pages, from
//! one of the encoders of [`super::opus_coder`] (libopus or ropus; mono and
//! stereo as mapping family 0, 3 to 8 channels as family 1).
//!
//! Gapless: `OpusHead` carries the encoder's look-ahead as pre-skip, the
//! stream is padded with silence until the decoder has produced every input
//! sample after the pre-skip, and the last page's granule position is
//! pre-skip + input frames, so decoders trim the padding (end trimming) and
//! give back exactly the frames written. Tags go in `OpusTags` as Vorbis
//! comments; the header's output gain is 0 (ReplayGain/R128 gains are tags).
//!
//! Must not allocate per packet once running (one frame buffer, one packet
//! buffer), nor write anything after an error.

use super::lossy::EncoderSettings;
use super::opus_coder::{Mapping, OpusCoder, OpusEngine, MAX_OPUS_CHANNELS};
use crate::io::container::ogg::OggStreamWriter;
use crate::io::tags::picture::{base64, flac_picture_block};
use crate::io::tags::{vorbis_comment_body, Picture};
use crate::io::writer::{AudioWriter, WriteSeek, WriterSpec};
use crate::io::{Tags, WriteError};

/// Opus streams are written at 48 kHz.
pub const OPUS_WRITE_RATE: u32 = 48_000;
/// Frames per packet: 20 ms at 48 kHz.
const FRAME: usize = 960;
/// Largest packet the encoder may make (RFC 6716: 1275 bytes a frame, ×3 for safety).
const MAX_PACKET: usize = 4000;

/// Writes Ogg Opus.
pub struct OpusWriter {
    ogg: Option<OggStreamWriter<Box<dyn WriteSeek>>>,
    encoder: OpusCoder,
    /// Mapping family 1's header fields, for more than 2 channels.
    mapping: Option<Mapping>,
    channels: usize,
    pre_skip: u64,
    tags: Tags,
    picture: Option<Picture>,
    headers_written: bool,
    /// Input waiting for a whole frame.
    pending: Vec<f32>,
    packet: Vec<u8>,
    /// Frames given, frames encoded (including padding).
    frames_in: u64,
    frames_coded: u64,
    /// A packet held back so the last one can go to `finish`, and the
    /// buffer of the one written before it (reused).
    held: Option<(Vec<u8>, u64)>,
    spare: Vec<u8>,
}

impl OpusWriter {
    /// An Opus writer for `spec` (48 kHz, 1 to 8 channels, f32 samples)
    /// through the build's encoder ([`OpusEngine::for_build`]).
    pub fn new(sink: Box<dyn WriteSeek>, spec: WriterSpec, settings: &EncoderSettings) -> Result<Self, WriteError> {
        Self::with_engine(sink, spec, settings, OpusEngine::for_build())
    }

    /// An Opus writer whose mono or stereo packets come from `engine`
    /// (surround is always ropus's multistream encoder).
    pub fn with_engine(
        sink: Box<dyn WriteSeek>,
        spec: WriterSpec,
        settings: &EncoderSettings,
        engine: OpusEngine,
    ) -> Result<Self, WriteError> {
        if spec.sample_rate != OPUS_WRITE_RATE {
            return Err(WriteError::Unsupported(format!(
                "Opus is written at 48000 Hz, not {} Hz (leave out --rate, or give --rate 48000)",
                spec.sample_rate
            )));
        }
        let ch = usize::from(spec.channels);
        if !(1..=MAX_OPUS_CHANNELS).contains(&ch) {
            return Err(WriteError::Unsupported(format!(
                "CoreMusic writes Opus in 1 to {MAX_OPUS_CHANNELS} channels (up to 7.1), not {ch} channels \
                 (give --channels 8 or fewer)"
            )));
        }
        settings.check(crate::io::OutputFormat::Opus).map_err(WriteError::Usage)?;
        let (encoder, mapping) = OpusCoder::new(engine, ch, settings)?;
        let pre_skip = u64::from(encoder.lookahead()?);
        let streams = mapping.as_ref().map_or(1, |m| usize::from(m.streams));
        Ok(OpusWriter {
            ogg: Some(OggStreamWriter::new(sink, serial())),
            encoder,
            mapping,
            channels: ch,
            pre_skip,
            tags: Tags::default(),
            picture: None,
            headers_written: false,
            pending: Vec::with_capacity(FRAME * ch),
            packet: vec![0; MAX_PACKET * streams],
            frames_in: 0,
            frames_coded: 0,
            held: None,
            spare: Vec::with_capacity(MAX_PACKET * streams),
        })
    }

    fn ogg(&mut self) -> Result<&mut OggStreamWriter<Box<dyn WriteSeek>>, WriteError> {
        self.ogg.as_mut().ok_or_else(|| WriteError::Usage("the Opus writer failed earlier".into()))
    }

    /// `OpusHead` and `OpusTags`, each ending its page.
    fn headers(&mut self) -> Result<(), WriteError> {
        if self.headers_written {
            return Ok(());
        }
        self.headers_written = true;
        let head = opus_head(self.channels as u8, self.pre_skip as u16, OPUS_WRITE_RATE, self.mapping.as_ref());
        let tags = opus_tags(&self.tags, self.picture.as_ref());
        let ogg = self.ogg()?;
        ogg.packet(&head, 0, true)?;
        ogg.packet(&tags, 0, true)?;
        Ok(())
    }

    /// Encodes one whole frame from `pending`.
    fn encode_frame(&mut self) -> Result<(), WriteError> {
        let n = self.encoder.encode(&self.pending, &mut self.packet)?;
        self.pending.clear();
        self.frames_coded += FRAME as u64;
        let mut packet = std::mem::take(&mut self.spare);
        packet.clear();
        packet.extend_from_slice(&self.packet[..n]);
        if let Some((p, granule)) = self.held.replace((packet, self.frames_coded)) {
            self.ogg()?.packet(&p, granule, false)?;
            self.spare = p;
        }
        Ok(())
    }

    fn push(&mut self, samples: &[f32]) -> Result<(), WriteError> {
        if samples.len() % self.channels != 0 {
            return Err(WriteError::Usage("a partial frame was written".into()));
        }
        self.headers()?;
        self.frames_in += (samples.len() / self.channels) as u64;
        let whole = FRAME * self.channels;
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (whole - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == whole {
                self.encode_frame()?;
            }
        }
        Ok(())
    }
}

/// A stream serial number: any value works for a single stream; vary it so
/// that files chained together do not collide.
fn serial() -> u32 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    t ^ std::process::id().rotate_left(16) ^ 0x4F50_5553
}

/// An `OpusHead` (RFC 7845 §5.1), output gain 0: mapping family 0, or 1
/// with its stream counts and channel table when `mapping` is given.
fn opus_head(channels: u8, pre_skip: u16, input_rate: u32, mapping: Option<&Mapping>) -> Vec<u8> {
    let mut h = Vec::with_capacity(21 + usize::from(channels));
    h.extend_from_slice(b"OpusHead");
    h.push(1);
    h.push(channels);
    h.extend_from_slice(&pre_skip.to_le_bytes());
    h.extend_from_slice(&input_rate.to_le_bytes());
    h.extend_from_slice(&0i16.to_le_bytes());
    match mapping {
        None => h.push(0),
        Some(m) => {
            h.push(1);
            h.push(m.streams);
            h.push(m.coupled);
            h.extend_from_slice(&m.table);
        }
    }
    h
}

/// An `OpusTags` packet: the Vorbis comment body after its magic, and the
/// picture as a `METADATA_BLOCK_PICTURE` comment.
fn opus_tags(tags: &Tags, picture: Option<&Picture>) -> Vec<u8> {
    let mut t = b"OpusTags".to_vec();
    let vendor = b"CoreMusic";
    let body = vorbis_comment_body(tags).unwrap_or_else(|| {
        let mut b = (vendor.len() as u32).to_le_bytes().to_vec();
        b.extend_from_slice(vendor);
        b.extend_from_slice(&0u32.to_le_bytes());
        b
    });
    t.extend_from_slice(&body);
    if let Some(p) = picture {
        let comment = format!("METADATA_BLOCK_PICTURE={}", base64(&flac_picture_block(p)));
        // One more comment: bump the count that follows the vendor string.
        let at = 8 + 4 + vendor.len();
        let count = u32::from_le_bytes([t[at], t[at + 1], t[at + 2], t[at + 3]]) + 1;
        t[at..at + 4].copy_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&(comment.len() as u32).to_le_bytes());
        t.extend_from_slice(comment.as_bytes());
    }
    t
}

impl AudioWriter for OpusWriter {
    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError> {
        let r = self.push(interleaved);
        if r.is_err() {
            self.ogg = None;
        }
        r
    }

    fn write_i32(&mut self, _: &[i32]) -> Result<(), WriteError> {
        Err(WriteError::Usage("the Opus writer takes float samples".into()))
    }

    fn set_tags(&mut self, tags: &Tags) -> Result<(), WriteError> {
        if self.headers_written {
            return Err(WriteError::Usage("tags must be set before the first samples".into()));
        }
        self.tags = super::lossy::with_encoder(tags, self.encoder.name());
        Ok(())
    }

    fn set_picture(&mut self, picture: &Picture) -> Result<(), WriteError> {
        if self.headers_written {
            return Err(WriteError::Usage("a picture must be set before the first samples".into()));
        }
        self.picture = Some(picture.clone());
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), WriteError> {
        self.headers()?;
        // Pad with silence until the decoder has given every input frame
        // after the pre-skip; the last granule trims the rest.
        let end = self.pre_skip + self.frames_in;
        let whole = FRAME * self.channels;
        while self.frames_coded < end {
            self.pending.resize(whole, 0.0);
            self.encode_frame()?;
        }
        let held = self.held.take();
        let mut ogg = self.ogg.take().ok_or_else(|| WriteError::Usage("the Opus writer failed earlier".into()))?;
        if let Some((p, _)) = held {
            ogg.packet(&p, end, false)?;
        }
        ogg.finish()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::SampleFormat;
    use crate::io::OutputFormat;

    fn spec(channels: u16) -> WriterSpec {
        WriterSpec::new(OutputFormat::Opus, 48_000, channels, SampleFormat::F32)
    }

    /// Writes `frames` of a tone and reads them back with our reader.
    fn round_trip_with(
        engine: OpusEngine,
        channels: u16,
        frames: usize,
        settings: &EncoderSettings,
    ) -> (crate::io::StreamInfo, Vec<f32>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.opus");
        let file = std::fs::File::create(&path).unwrap();
        let mut w: Box<dyn AudioWriter> = Box::new(
            OpusWriter::with_engine(Box::new(std::io::BufWriter::new(file)), spec(channels), settings, engine).unwrap(),
        );
        let mut tags = Tags::default();
        tags.push("title", "Opus tone");
        tags.push("artist", "CoreMusic");
        w.set_tags(&tags).unwrap();
        let ch = usize::from(channels);
        let audio: Vec<f32> =
            (0..frames * ch).map(|i| ((i / ch) as f32 * 0.05 * (1 + i % ch) as f32).sin() * 0.5).collect();
        for chunk in audio.chunks(1234 * ch) {
            w.write_f32(chunk).unwrap();
        }
        w.finish().unwrap();
        let mut f = crate::io::AudioFile::open(&path).unwrap();
        let info = f.info().clone();
        let back = f.read_all().unwrap();
        (info, back)
    }

    /// Both encoders (libopus where it is built in, and ropus), and ropus's
    /// multistream encoder for surround.
    fn engines() -> Vec<OpusEngine> {
        if cfg!(target_os = "macos") {
            vec![OpusEngine::Ropus]
        } else {
            vec![OpusEngine::Libopus, OpusEngine::Ropus]
        }
    }

    #[test]
    fn reads_back_with_the_exact_length_and_tags() {
        let cases = [(2u16, 48_000 + 123), (1, 999), (2, 0), (1, 960), (6, 4_800 + 7), (3, 961), (8, 960)];
        for (engine, (ch, frames)) in engines().into_iter().flat_map(|e| cases.map(|c| (e, c))) {
            let (info, back) = round_trip_with(engine, ch, frames, &EncoderSettings::default());
            assert_eq!(info.channels(), usize::from(ch));
            assert_eq!(info.sample_rate(), 48_000);
            assert_eq!(back.len(), frames * usize::from(ch), "{engine:?}: {ch} ch, {frames} frames");
            assert_eq!(info.tags.get("title"), Some("Opus tone"));
            assert_eq!(info.tags.get("artist"), Some("CoreMusic"));
        }
    }

    #[test]
    fn the_tone_survives_encoding() {
        for engine in engines() {
            tone_survives(engine);
        }
    }

    fn tone_survives(engine: OpusEngine) {
        let (_, back) = round_trip_with(engine, 2, 48_000, &EncoderSettings::opus(96));
        // Past the encoder's start-up, the decoded tone is near the source.
        let (mut err, mut sig) = (0f64, 0f64);
        for (i, v) in back.iter().enumerate().skip(2 * 4800) {
            let want = ((i / 2) as f32 * 0.05 * (1 + i % 2) as f32).sin() * 0.5;
            err += f64::from(v - want).powi(2);
            sig += f64::from(want).powi(2);
        }
        let snr = 10.0 * (sig / err).log10();
        assert!(snr > 15.0, "{engine:?}: SNR {snr:.1} dB");
    }

    #[test]
    fn bad_specs_are_refused() {
        let sink = || -> Box<dyn WriteSeek> { Box::new(std::io::Cursor::new(Vec::new())) };
        let e = OpusWriter::new(sink(), WriterSpec { sample_rate: 44_100, ..spec(2) }, &Default::default());
        assert!(e.err().unwrap().to_string().contains("48000 Hz"));
        let e = OpusWriter::new(sink(), spec(9), &Default::default());
        assert!(e.err().unwrap().to_string().contains("not 9 channels"));
        let e = OpusWriter::new(sink(), spec(2), &EncoderSettings::opus(1000));
        assert!(e.err().unwrap().to_string().contains("1000 kb/s"));
    }
}
