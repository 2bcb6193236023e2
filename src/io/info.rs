//! What a file is: the stream description every reader fills in
//! ([`StreamInfo`]) and the report `coremusic info` prints ([`FileInfo`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::format::{AudioFormat, ChannelLayout, SampleFormat};

use super::{FileError, ReadError, Warning};

/// The container (file format) of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Container {
    /// RIFF WAVE.
    Wav,
    /// Big-endian RIFX WAVE.
    Rifx,
    /// EBU RF64 (WAVE over 4 GB).
    Rf64,
    /// Sony Wave64.
    Wave64,
    /// AIFF.
    Aiff,
    /// AIFF-C.
    Aifc,
    /// Apple Core Audio Format.
    Caf,
    /// Native FLAC.
    Flac,
    /// MPEG-4 / QuickTime (.m4a, .m4b, .mp4, .mov).
    Mp4,
    /// MPEG audio elementary stream (.mp3, .mp2).
    MpegAudio,
    /// AAC in ADTS frames (.aac).
    Adts,
    /// Ogg.
    Ogg,
    /// Matroska / WebM.
    Matroska,
}

impl Container {
    /// The JSON name: `wav`, `rf64`, `w64`, `aiff`, `aifc`, `caf`, `flac`, `mp4`, `mp3`, `adts`, `ogg`, `mkv`.
    pub fn name(self) -> &'static str {
        match self {
            Container::Wav => "wav",
            Container::Rifx => "rifx",
            Container::Rf64 => "rf64",
            Container::Wave64 => "w64",
            Container::Aiff => "aiff",
            Container::Aifc => "aifc",
            Container::Caf => "caf",
            Container::Flac => "flac",
            Container::Mp4 => "mp4",
            Container::MpegAudio => "mp3",
            Container::Adts => "adts",
            Container::Ogg => "ogg",
            Container::Matroska => "mkv",
        }
    }

    /// Every container, for lookups by name.
    pub const ALL: [Container; 13] = [
        Container::Wav,
        Container::Rifx,
        Container::Rf64,
        Container::Wave64,
        Container::Aiff,
        Container::Aifc,
        Container::Caf,
        Container::Flac,
        Container::Mp4,
        Container::MpegAudio,
        Container::Adts,
        Container::Ogg,
        Container::Matroska,
    ];

    /// The container with this [`Container::name`].
    pub fn from_name(name: &str) -> Option<Container> {
        Container::ALL.into_iter().find(|c| c.name() == name)
    }

    /// A human name: `WAVE`, `AIFF-C`, `Core Audio Format`…
    pub fn long_name(self) -> &'static str {
        match self {
            Container::Wav => "WAVE",
            Container::Rifx => "WAVE (big-endian RIFX)",
            Container::Rf64 => "RF64 (WAVE over 4 GB)",
            Container::Wave64 => "Sony Wave64",
            Container::Aiff => "AIFF",
            Container::Aifc => "AIFF-C",
            Container::Caf => "Core Audio Format",
            Container::Flac => "FLAC",
            Container::Mp4 => "MPEG-4 audio",
            Container::MpegAudio => "MPEG audio",
            Container::Adts => "AAC (ADTS)",
            Container::Ogg => "Ogg",
            Container::Matroska => "Matroska",
        }
    }
}

/// The codec of the audio stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Codec {
    /// Linear PCM, integer or float.
    Pcm,
    /// G.711 A-law.
    Alaw,
    /// G.711 µ-law.
    Ulaw,
    /// IMA ADPCM (WAV's DVI variant or Apple's ima4).
    ImaAdpcm,
    /// Microsoft ADPCM.
    MsAdpcm,
    /// FLAC.
    Flac,
    /// Apple Lossless.
    Alac,
    /// AAC.
    Aac,
    /// MPEG-1/2 Layer III.
    Mp3,
    /// MPEG-1/2 Layer II.
    Mp2,
    /// MPEG-1/2 Layer I.
    Mp1,
    /// Vorbis.
    Vorbis,
    /// Opus.
    Opus,
    /// Something the header names but CoreMusic does not decode.
    Other(String),
}

impl Codec {
    /// The JSON name: `pcm`, `alaw`, `ulaw`, `ima_adpcm`, `ms_adpcm`, `flac`, `alac`, `aac`, `mp3`, `vorbis`, `opus`…
    pub fn name(&self) -> &str {
        match self {
            Codec::Pcm => "pcm",
            Codec::Alaw => "alaw",
            Codec::Ulaw => "ulaw",
            Codec::ImaAdpcm => "ima_adpcm",
            Codec::MsAdpcm => "ms_adpcm",
            Codec::Flac => "flac",
            Codec::Alac => "alac",
            Codec::Aac => "aac",
            Codec::Mp3 => "mp3",
            Codec::Mp2 => "mp2",
            Codec::Mp1 => "mp1",
            Codec::Vorbis => "vorbis",
            Codec::Opus => "opus",
            Codec::Other(s) => s,
        }
    }

    /// True for codecs whose decoded samples are exactly the encoded ones.
    pub fn is_lossless(&self) -> bool {
        matches!(self, Codec::Pcm | Codec::Flac | Codec::Alac)
    }
}

/// Text tags in the order found, keys in lower case (`title`, `artist`,
/// `album`, `date`, `genre`, `comment`, `track`…).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(pub Vec<(String, String)>);

impl Tags {
    /// Adds a tag. Empty values are dropped; a repeated key with a new value
    /// is kept as a second entry.
    pub fn push(&mut self, key: &str, value: &str) {
        let value = value.trim_matches(|c: char| c == '\0' || c.is_whitespace());
        let key = key.trim().to_ascii_lowercase();
        if value.is_empty() || key.is_empty() {
            return;
        }
        if !self.0.iter().any(|(k, v)| *k == key && v == value) {
            self.0.push((key, value.to_string()));
        }
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// True when there are no tags.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// As a JSON-ready map; repeated keys are joined with `; `.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        let mut map: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in &self.0 {
            map.entry(k.clone()).and_modify(|e| {
                e.push_str("; ");
                e.push_str(v)
            });
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
        map
    }
}

/// A chapter mark of a file (MP4 audiobooks: Nero `chpl` or a QuickTime
/// text track).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Chapter {
    /// Start in seconds from the start of the audio.
    pub start_s: f64,
    /// Title (may be empty).
    pub title: String,
}

/// The stream a reader decodes, as its headers describe it.
#[derive(Debug, Clone)]
pub struct StreamInfo {
    /// The file format.
    pub container: Container,
    /// The codec.
    pub codec: Codec,
    /// The stored format (ASBD): rate, channels, flags, bytes per frame…
    pub format: AudioFormat,
    /// How decoded samples are best held without loss, or `None` for lossy codecs.
    pub sample_format: Option<SampleFormat>,
    /// Significant bits per sample (e.g. 20 in a 24-bit container), `None` for lossy codecs.
    pub bits_per_sample: Option<u32>,
    /// Frames in the stream: exact for PCM and lossless codecs, estimated otherwise, `None` when unknown.
    pub frames: Option<u64>,
    /// Speaker positions.
    pub layout: ChannelLayout,
    /// Average bits per second of the encoded audio, when known.
    pub bit_rate: Option<u64>,
    /// Text tags.
    pub tags: Tags,
}

impl StreamInfo {
    /// Channels per frame.
    pub fn channels(&self) -> usize {
        self.format.channels_per_frame as usize
    }

    /// Sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.format.sample_rate.round() as u32
    }

    /// Duration in seconds, when the frame count is known.
    pub fn duration_s(&self) -> Option<f64> {
        let rate = self.format.sample_rate;
        self.frames.filter(|_| rate > 0.0).map(|f| f as f64 / rate)
    }
}

/// Everything `coremusic info` reports about one file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileInfo {
    /// The file as given.
    pub path: PathBuf,
    /// Container name (see [`Container::name`]).
    pub container: String,
    /// Codec name (see [`Codec::name`]).
    pub codec: String,
    /// Frames per second.
    pub sample_rate: u32,
    /// Channels.
    pub channels: u32,
    /// Significant bits per sample; `None` when not PCM-like.
    pub bits_per_sample: Option<u32>,
    /// `u8`, `s16`, `s24`, `s32`, `f32`, `f64`, or `None`.
    pub sample_format: Option<SampleFormat>,
    /// Frames (exact for PCM and lossless codecs).
    pub frames: Option<u64>,
    /// Seconds.
    pub duration_s: Option<f64>,
    /// Bits per second.
    pub bit_rate: Option<u64>,
    /// Tags, keys in lower case.
    pub tags: BTreeMap<String, String>,
    /// Channel layout in words (`Stereo`, `5.1`, `L R C`).
    pub channel_layout: String,
    /// The stored format (ASBD).
    pub format: AudioFormat,
    /// Size of the file in bytes.
    pub file_size: u64,
    /// Problems that did not stop reading.
    pub warnings: Vec<Warning>,
    /// Chapter marks, in order (empty when the file has none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chapters: Vec<Chapter>,
    /// The integrity check of [`verify`]: `true` when the decoded audio
    /// matches the checksum the file carries (FLAC's MD5), `false` when it
    /// does not. Absent when not checked or the file carries no checksum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

impl FileInfo {
    /// The report for an open stream.
    pub fn from_stream(path: &Path, info: &StreamInfo, file_size: u64, warnings: Vec<Warning>) -> Self {
        let duration_s = info.duration_s();
        let bit_rate = info.bit_rate.or_else(|| {
            // Compressed: average over the whole file.
            duration_s.filter(|d| *d > 0.0).map(|d| (file_size as f64 * 8.0 / d).round() as u64)
        });
        FileInfo {
            path: path.to_path_buf(),
            container: info.container.name().to_string(),
            codec: info.codec.name().to_string(),
            sample_rate: info.sample_rate(),
            channels: info.format.channels_per_frame,
            bits_per_sample: info.bits_per_sample,
            sample_format: info.sample_format,
            frames: info.frames,
            duration_s,
            bit_rate,
            tags: info.tags.to_map(),
            channel_layout: info.layout.describe(),
            format: info.format,
            file_size,
            warnings,
            chapters: Vec::new(),
            verified: None,
        }
    }
}

/// Reads a file's headers (no decoding) and reports what it is.
pub fn inspect(path: &Path) -> Result<FileInfo, FileError> {
    let mut reader = super::open(path)?;
    let size = std::fs::metadata(path).map_err(|e| FileError::new(path, ReadError::Io(e)))?.len();
    let warnings = reader.take_warnings();
    let mut info = FileInfo::from_stream(path, reader.info(), size, warnings);
    info.chapters = reader.chapters().to_vec();
    Ok(info)
}

/// [`inspect`], then decodes the whole file (as `flac -t` does) to check the
/// checksum it carries: sets [`FileInfo::verified`] and adds what decoding
/// found (a damaged frame, an MD5 mismatch…) to the warnings.
pub fn verify(path: &Path) -> Result<FileInfo, FileError> {
    let mut info = inspect(path)?;
    let mut file = super::AudioFile::open(path)?;
    let _ = file.take_warnings(); // already in `info`
    let ch = file.channels().max(1);
    let mut buf = vec![0i32; 16384 * ch];
    while file.read_i32(&mut buf)? > 0 {}
    for w in file.take_warnings() {
        if !info.warnings.contains(&w) {
            info.warnings.push(w);
        }
    }
    info.verified = file.verified();
    Ok(info)
}
