//! Writing audio files: one [`AudioWriter`] trait, one writer per container,
//! chosen by [`OutputFormat`]. The serialisers that turn [`Tags`] into each
//! container's tag chunk live beside their parsers in [`crate::io::tags`];
//! the writers decide where the bytes go.

use std::io::{Seek, Write};
use std::path::Path;

use crate::format::SampleFormat;

use super::codec::flac;
use super::codec::lossy::EncoderSettings;
use super::container::{aiff, caf, wav};
use super::{Tags, WriteError};

/// The file formats CoreMusic writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// WAVE (RF64 above 4 GB).
    Wav,
    /// AIFF (AIFF-C for float).
    Aiff,
    /// Core Audio Format.
    Caf,
    /// FLAC.
    Flac,
    /// Apple Lossless in an MPEG-4 (.m4a) file.
    #[serde(alias = "m4a")]
    Alac,
    /// MPEG-1/2 Layer III through LAME, with a LAME/Xing header (gapless)
    /// and ID3v2.4 tags. Not in macOS builds.
    Mp3,
    /// Opus in Ogg (RFC 7845), through libopus (ropus on macOS), always at 48 kHz.
    Opus,
    /// AAC in an MPEG-4 (.m4a) file, through AudioToolbox: macOS builds only.
    Aac,
}

/// The one table of output names and extensions: each extension with the
/// formats a file of that name may hold (the first is the one an extension
/// alone chooses). An extension not in it cannot be written.
const EXTENSIONS: &[(&str, &[OutputFormat])] = &[
    ("wav", &[OutputFormat::Wav]),
    ("wave", &[OutputFormat::Wav]),
    ("aif", &[OutputFormat::Aiff]),
    ("aiff", &[OutputFormat::Aiff]),
    ("aifc", &[OutputFormat::Aiff]),
    ("caf", &[OutputFormat::Caf]),
    ("flac", &[OutputFormat::Flac]),
    ("m4a", &[OutputFormat::Alac, OutputFormat::Aac]),
    ("mp3", &[OutputFormat::Mp3]),
    ("opus", &[OutputFormat::Opus]),
    ("ogg", &[OutputFormat::Opus]),
];

/// The names `--format` takes for each format.
const NAMES: &[(&str, OutputFormat)] = &[
    ("wav", OutputFormat::Wav),
    ("wave", OutputFormat::Wav),
    ("aiff", OutputFormat::Aiff),
    ("aif", OutputFormat::Aiff),
    ("aifc", OutputFormat::Aiff),
    ("caf", OutputFormat::Caf),
    ("caff", OutputFormat::Caf),
    ("flac", OutputFormat::Flac),
    ("alac", OutputFormat::Alac),
    ("m4a", OutputFormat::Alac),
    ("mp3", OutputFormat::Mp3),
    ("opus", OutputFormat::Opus),
    ("aac", OutputFormat::Aac),
];

/// The sample rates an MPEG audio (MP3) stream can have.
pub const MP3_RATES: [u32; 9] = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

impl OutputFormat {
    /// Every format, in the order the user is offered them.
    pub const ALL: [OutputFormat; 8] = [
        OutputFormat::Wav,
        OutputFormat::Aiff,
        OutputFormat::Caf,
        OutputFormat::Flac,
        OutputFormat::Alac,
        OutputFormat::Mp3,
        OutputFormat::Opus,
        OutputFormat::Aac,
    ];

    /// The format an extension alone chooses (`wav`, `aiff`, `flac`, `m4a`
    /// for ALAC, `mp3`, `opus`…); `None` for one CoreMusic cannot write.
    pub fn from_extension(path: &Path) -> Option<Self> {
        Self::for_extension(path).and_then(|f| f.first().copied())
    }

    /// The formats a file named `path` may hold (empty: none).
    fn for_extension(path: &Path) -> Option<&'static [OutputFormat]> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        EXTENSIONS.iter().find(|(e, _)| *e == ext).map(|(_, f)| *f)
    }

    /// A `--format` name (`wav`, `aiff`, `caf`, `flac`, `alac`/`m4a`, `mp3`, `opus`, `aac`; any case).
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.to_ascii_lowercase();
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    /// The names [`from_name`](Self::from_name) takes, for messages.
    pub fn names() -> &'static str {
        "wav, aiff, caf, flac, alac, mp3, opus or aac"
    }

    /// The format to write to the file `path`, `asked` (`--format`) or else
    /// the extension's. `Err` says why it cannot be: an extension CoreMusic
    /// does not write, or one that names another format than the one asked
    /// (a FLAC stream under `.mp3` would be a mislabelled file).
    pub fn for_output(path: &Path, asked: Option<Self>) -> Result<Self, String> {
        let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
        let Some(allowed) = Self::for_extension(path) else {
            return Err(match ext {
                Some(e) => format!("CoreMusic cannot write .{e} files; use one of {}", Self::extensions()),
                None => format!("has no extension to say its format; use one of {}", Self::extensions()),
            });
        };
        match asked {
            None => Ok(allowed[0]),
            Some(f) if allowed.contains(&f) => Ok(f),
            Some(f) => Err(format!(
                "a .{} file cannot hold {} (its extension is .{})",
                ext.unwrap_or_default(),
                f.label(),
                f.extension()
            )),
        }
    }

    /// The extensions CoreMusic writes, for messages.
    pub fn extensions() -> String {
        let all: Vec<String> = EXTENSIONS.iter().map(|(e, _)| format!(".{e}")).collect();
        all.join(", ")
    }

    /// The usual extension.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Wav => "wav",
            OutputFormat::Aiff => "aiff",
            OutputFormat::Caf => "caf",
            OutputFormat::Flac => "flac",
            OutputFormat::Alac | OutputFormat::Aac => "m4a",
            OutputFormat::Mp3 => "mp3",
            OutputFormat::Opus => "opus",
        }
    }

    /// The name people know the format by.
    pub fn label(self) -> &'static str {
        match self {
            OutputFormat::Wav => "WAV",
            OutputFormat::Aiff => "AIFF",
            OutputFormat::Caf => "CAF",
            OutputFormat::Flac => "FLAC",
            OutputFormat::Alac => "ALAC",
            OutputFormat::Mp3 => "MP3",
            OutputFormat::Opus => "Opus",
            OutputFormat::Aac => "AAC",
        }
    }

    /// True for the lossy codecs (MP3, Opus, AAC): they take float samples
    /// and have no bit depth.
    pub fn is_lossy(self) -> bool {
        matches!(self, OutputFormat::Mp3 | OutputFormat::Opus | OutputFormat::Aac)
    }

    /// `Err` says why this build cannot write the format (MP3 is not in
    /// macOS builds; AAC is only in them).
    pub fn available(self) -> Result<(), String> {
        match self {
            OutputFormat::Mp3 if cfg!(target_os = "macos") => {
                Err("MP3 encoding (LAME) is not in macOS builds of CoreMusic; \
                 use AAC (-f aac) or Opus there"
                    .into())
            }
            OutputFormat::Aac if !cfg!(target_os = "macos") => Err(format!(
                "AAC encoding uses macOS's AudioToolbox and is only in macOS builds (this is {}); \
                 use Opus (-f opus) or MP3 (-f mp3) here",
                std::env::consts::OS
            )),
            _ => Ok(()),
        }
    }

    /// The rate to write a source of `source` Hz at when no rate is asked:
    /// the source's where the format can hold it, else the nearest it can
    /// (MP3: the highest of its rates not above the source's family, 48 kHz
    /// at most; Opus: always 48 kHz, as its decoders play it).
    pub fn rate_for(self, source: u32) -> u32 {
        match self {
            OutputFormat::Opus => 48_000,
            OutputFormat::Mp3 | OutputFormat::Aac if !MP3_RATES.contains(&source) => {
                // The same family (44.1 kHz multiples stay in it), else the nearest.
                if source % 11025 == 0 && source > 44_100 {
                    44_100
                } else if source > 48_000 {
                    48_000
                } else {
                    *MP3_RATES.iter().min_by_key(|&&r| r.abs_diff(source)).unwrap_or(&44_100)
                }
            }
            _ => source,
        }
    }

    /// The most channels the format holds when none are asked (the
    /// source's are mixed down to it).
    pub fn max_channels(self) -> usize {
        match self {
            // (AAC: surround would need a channel layout set on the encoder.)
            OutputFormat::Mp3 | OutputFormat::Aac => 2,
            // Mapping family 1: up to 7.1.
            OutputFormat::Opus => crate::io::codec::opus_coder::MAX_OPUS_CHANNELS,
            _ => usize::MAX,
        }
    }

    /// Whether this format can store `sample` losslessly.
    pub fn supports(self, sample: SampleFormat) -> bool {
        match self {
            OutputFormat::Flac => !sample.is_float(),
            // ALAC holds 16, 20, 24 and 32-bit integers.
            OutputFormat::Alac => matches!(sample, SampleFormat::S16 | SampleFormat::S24 | SampleFormat::S32),
            // The lossy encoders take floats.
            OutputFormat::Mp3 | OutputFormat::Opus | OutputFormat::Aac => sample == SampleFormat::F32,
            _ => true,
        }
    }
}

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WriterSpec {
    /// Container.
    pub format: OutputFormat,
    /// Frames per second.
    pub sample_rate: u32,
    /// Channels per frame.
    pub channels: u16,
    /// Stored sample format.
    pub sample: SampleFormat,
    /// Significant bits for integer formats, when fewer than the container's
    /// (e.g. 20 in S24); `None` means all of them.
    pub bits: Option<u32>,
    /// The frames the caller expects to write, when it knows: FLAC then
    /// reserves a SEEKTABLE with a point every 10 s, as `flac` does.
    pub expected_frames: Option<u64>,
}

impl WriterSpec {
    /// `channels` of `sample` at `sample_rate` in `format`, every bit significant.
    pub fn new(format: OutputFormat, sample_rate: u32, channels: u16, sample: SampleFormat) -> Self {
        WriterSpec { format, sample_rate, channels, sample, bits: None, expected_frames: None }
    }

    /// Significant bits per sample.
    pub fn valid_bits(&self) -> u32 {
        self.bits.unwrap_or(self.sample.bits())
    }

    /// For a lossless codec of integer samples (`codec` names it in a
    /// refusal): the significant bits, once they are a depth `depth_ok`
    /// allows (`depths` says which), the channels 1 to 8 and the rate 1 to
    /// `max_rate` Hz.
    pub(crate) fn lossless_bits(
        &self,
        codec: &str,
        depth_ok: impl Fn(u32) -> bool,
        depths: &str,
        max_rate: u32,
    ) -> Result<u32, WriteError> {
        let refuse = |what: String| Err(WriteError::Unsupported(format!("{codec} {what}")));
        if self.sample.is_float() {
            return refuse(format!("cannot store {} samples", self.sample));
        }
        let bits = self.valid_bits();
        if !depth_ok(bits) || bits > self.sample.bits() {
            return refuse(format!("stores {depths} samples, not {bits}-bit"));
        }
        if !(1..=8).contains(&self.channels) {
            return refuse(format!("stores 1 to 8 channels, not {}", self.channels));
        }
        if self.sample_rate == 0 || self.sample_rate > max_rate {
            return refuse(format!("stores sample rates from 1 to {max_rate} Hz, not {}", self.sample_rate));
        }
        Ok(bits)
    }
}

/// A byte sink a writer can seek back in (to patch sizes when finishing).
pub trait WriteSeek: Write + Seek + Send {}
impl<T: Write + Seek + Send> WriteSeek for T {}

/// Encodes interleaved frames into a file.
pub trait AudioWriter: Send {
    /// Appends frames given as f32 in [-1, 1) (clipped and rounded for integer formats).
    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError>;
    /// Appends frames given as integers of the spec's depth (right-justified, as [`super::AudioReader::read_i32`] gives them).
    fn write_i32(&mut self, interleaved: &[i32]) -> Result<(), WriteError>;
    /// Sets the text tags to store (keys as in [`Tags`]). Call it before the
    /// first write: a writer may have put its header down by then and refuse
    /// with [`WriteError::Usage`]. Tags the format has no field for are left
    /// out; writers that cannot hold tags ignore them. A later call replaces
    /// the tags of an earlier one.
    fn set_tags(&mut self, tags: &Tags) -> Result<(), WriteError> {
        let _ = tags;
        Ok(())
    }
    /// Sets the cover picture to embed, before the first write (as
    /// [`set_tags`](Self::set_tags)); writers that cannot hold one ignore it.
    fn set_picture(&mut self, picture: &super::tags::Picture) -> Result<(), WriteError> {
        let _ = picture;
        Ok(())
    }
    /// Patches headers and flushes. The file is incomplete until this returns Ok.
    fn finish(self: Box<Self>) -> Result<(), WriteError>;
}

/// Refuses integer samples that do not fit in `bits` signed bits (the
/// encoders' contract for [`AudioWriter::write_i32`]).
pub(crate) fn check_sample_range(samples: &[i32], bits: u32) -> Result<(), WriteError> {
    if bits >= 32 {
        return Ok(());
    }
    let lo = -(1i32 << (bits - 1));
    let hi = (1i32 << (bits - 1)) - 1;
    let (mn, mx) = samples.iter().fold((0i32, 0i32), |(a, b), &v| (a.min(v), b.max(v)));
    if mn < lo || mx > hi {
        return Err(WriteError::Usage(format!(
            "sample value {} does not fit in {bits} bits",
            if mn < lo { mn } else { mx }
        )));
    }
    Ok(())
}

/// A writer for `spec` on `sink` (the lossy encoders at their defaults).
pub fn create_writer(sink: Box<dyn WriteSeek>, spec: WriterSpec) -> Result<Box<dyn AudioWriter>, WriteError> {
    create_writer_with(sink, spec, &EncoderSettings::default())
}

/// A writer for `spec` on `sink`, the lossy encoders set by `settings`.
pub fn create_writer_with(
    sink: Box<dyn WriteSeek>,
    spec: WriterSpec,
    settings: &EncoderSettings,
) -> Result<Box<dyn AudioWriter>, WriteError> {
    spec.format.available().map_err(WriteError::Unsupported)?;
    if spec.format.is_lossy() && spec.sample != SampleFormat::F32 {
        return Err(WriteError::Unsupported(format!(
            "{} has no bit depth: leave out --bits ({} samples were asked)",
            spec.format.label(),
            spec.sample
        )));
    }
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(WriteError::Usage("a file needs at least one channel and a sample rate above 0".into()));
    }
    if !spec.format.supports(spec.sample) {
        return Err(WriteError::Unsupported(format!(
            "{} cannot store {} samples",
            spec.format.extension(),
            spec.sample
        )));
    }
    Ok(match spec.format {
        OutputFormat::Wav => Box::new(wav::WavWriter::new(sink, spec)?),
        OutputFormat::Aiff => Box::new(aiff::AiffWriter::new(sink, spec)?),
        OutputFormat::Caf => Box::new(caf::CafWriter::new(sink, spec)?),
        OutputFormat::Flac => Box::new(flac::FlacWriter::new(sink, spec)?),
        OutputFormat::Alac => Box::new(super::codec::alac::AlacM4aWriter::new(sink, spec)?),
        OutputFormat::Opus => Box::new(super::codec::opus_encode::OpusWriter::new(sink, spec, settings)?),
        #[cfg(not(target_os = "macos"))]
        OutputFormat::Mp3 => Box::new(super::codec::mp3::Mp3Writer::new(sink, spec, settings)?),
        // Refused by `available` above.
        #[cfg(target_os = "macos")]
        OutputFormat::Mp3 => return Err(WriteError::Unsupported("MP3 encoding is not in macOS builds".into())),
        #[cfg(target_os = "macos")]
        OutputFormat::Aac => Box::new(super::codec::aac_mac::AacM4aWriter::new(sink, spec, settings)?),
        // Refused by `available` above.
        #[cfg(not(target_os = "macos"))]
        OutputFormat::Aac => return Err(WriteError::Unsupported("AAC encoding is only in macOS builds".into())),
    })
}

/// Shared checks for the writers' tag tests: write a file with tags, read it
/// back with [`crate::io::open`] (the checks against ffprobe and metaflac
/// are in `tests/tags_tools.rs` and `tests/flac_tools.rs`).
#[cfg(test)]
pub(crate) mod tag_tests {
    use std::path::Path;

    use proptest::prelude::*;

    use super::*;
    use crate::io::tags::{
        aiff_text_chunks, aiff_text_id, caf_info_chunk, caf_info_key, riff_info_chunk, riff_info_id,
        vorbis_comment_body, vorbis_key, MAX_TAG_BYTES,
    };

    /// The normalised keys the readers produce.
    pub const STANDARD_KEYS: [&str; 12] = [
        "title",
        "artist",
        "album",
        "album_artist",
        "date",
        "genre",
        "comment",
        "track",
        "disc",
        "composer",
        "copyright",
        "encoder",
    ];

    /// Whether `format` has a field for `key`.
    pub fn holds(format: OutputFormat, key: &str) -> bool {
        match format {
            OutputFormat::Wav => riff_info_id(key).is_some(),
            OutputFormat::Aiff => aiff_text_id(key).is_some(),
            OutputFormat::Caf => caf_info_key(key).is_some(),
            OutputFormat::Flac => vorbis_key(key).is_some(),
            OutputFormat::Alac | OutputFormat::Aac => false,
            OutputFormat::Mp3 | OutputFormat::Opus => true,
        }
    }

    /// The part of `tags` that `format` stores.
    pub fn expected(format: OutputFormat, tags: &Tags) -> Tags {
        Tags(tags.0.iter().filter(|(k, _)| holds(format, k)).cloned().collect())
    }

    /// Tags built with [`Tags::push`] (so normalised as a reader would).
    pub fn tags_of(pairs: &[(&str, &str)]) -> Tags {
        let mut t = Tags::default();
        for (k, v) in pairs {
            t.push(k, v);
        }
        t
    }

    /// The hand-picked cases: non-ASCII, empty, a 10 KB comment, odd and even lengths.
    pub fn special_sets() -> Vec<Tags> {
        let long: String = (0..10_240).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        vec![
            tags_of(&[
                ("title", "Björk — Jóga"),
                ("artist", "Björk"),
                ("album", "Homogenic"),
                ("album_artist", "Björk"),
                ("date", "1997"),
                ("genre", "Electronic"),
                ("comment", "日本語のコメント ✓"),
                ("track", "3/10"),
                ("disc", "1"),
                ("composer", "Björk Guðmundsdóttir"),
                ("copyright", "© 1997 One Little Indian"),
                ("encoder", "CoreMusic"),
            ]),
            Tags::default(),
            tags_of(&[("comment", &long), ("title", "odd")]),
            tags_of(&[("title", "ab"), ("artist", "abc"), ("comment", "x"), ("comment", "second comment")]),
        ]
    }

    /// Deterministic samples for `channels` at `bits`.
    pub fn samples(frames: usize, channels: usize, bits: u32) -> Vec<i32> {
        let amp = ((1i64 << (bits - 1)) - 1) as f64;
        (0..frames * channels)
            .map(|i| ((i as f64 * 0.0137).sin() * amp * 0.9).round() as i32 + (i % 3) as i32 - 1)
            .collect()
    }

    /// Writes `audio` (16-bit) with `tags` to `path`.
    pub fn write(path: &Path, format: OutputFormat, channels: u16, tags: &Tags, audio: &[i32]) {
        let spec = WriterSpec::new(format, 44_100, channels, SampleFormat::S16);
        let sink = std::fs::File::create(path).expect("create");
        let mut w = create_writer(Box::new(sink), spec).expect("writer");
        w.set_tags(tags).expect("set_tags");
        w.write_i32(audio).expect("write");
        w.finish().expect("finish");
    }

    /// The tags and all the samples [`crate::io::open`] reads from `path`.
    pub fn read(path: &Path) -> (Tags, Vec<i32>) {
        let mut r = crate::io::open(path).expect("open");
        let tags = r.info().tags.clone();
        let mut out = Vec::new();
        let mut buf = vec![0i32; 4096 * r.info().channels()];
        loop {
            let n = r.read_i32(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n * r.info().channels()]);
        }
        assert!(r.take_warnings().is_empty(), "warnings reading {}", path.display());
        (tags, out)
    }

    /// Writes and reads back `tags` through `format`: same tags (what the
    /// format holds), same samples.
    pub fn round_trip(format: OutputFormat, tags: &Tags, frames: usize) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(format!("t.{}", format.extension()));
        let audio = samples(frames, 2, 16);
        write(&path, format, 2, tags, &audio);
        let (got, back) = read(&path);
        assert_eq!(got, expected(format, tags), "{format:?} tags");
        assert!(back == audio, "{format:?} audio differs");
    }

    /// Random tag sets: keys from [`STANDARD_KEYS`], UTF-8 values without NUL.
    pub fn arb_tags() -> impl Strategy<Value = Tags> {
        prop::collection::vec((0..STANDARD_KEYS.len(), "[^\\x00]{0,40}"), 0..16).prop_map(|pairs| {
            let mut t = Tags::default();
            for (k, v) in pairs {
                t.push(STANDARD_KEYS[k], &v);
            }
            t
        })
    }

    #[test]
    fn serialisers_leave_out_what_they_cannot_hold() {
        let t = tags_of(&[("disc", "1"), ("album_artist", "x"), ("weird=key", "v"), ("ключ", "v")]);
        assert!(riff_info_chunk(&t).is_empty());
        assert!(aiff_text_chunks(&t).is_empty());
        assert!(caf_info_chunk(&t).is_empty());
        let mut back = Tags::default();
        crate::io::tags::parse_vorbis_comment(&vorbis_comment_body(&t).expect("body"), &mut back);
        assert_eq!(back, tags_of(&[("disc", "1"), ("album_artist", "x")]));
        assert!(vorbis_comment_body(&Tags::default()).is_none());
        // Far too much text: stays under the limit, keeps the first entries.
        let big = "x".repeat(1 << 20);
        let many = Tags((0..20).map(|i| ("comment".to_string(), format!("{i}{big}"))).collect());
        let body = vorbis_comment_body(&many).expect("body");
        assert!(body.len() <= MAX_TAG_BYTES && body.len() > MAX_TAG_BYTES - (2 << 20));
        assert!(riff_info_chunk(&many).len() % 2 == 0);
    }
}
