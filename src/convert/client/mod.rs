//! Client-format reading, the guide's ExtendedAudioFile: open any readable
//! file, say once in what form the program wants the audio (sample type,
//! interleaved or planar, rate, channels or an explicit channel map or
//! layout) and every read delivers that form, whatever the file holds. It is
//! the conversion pipeline of [`Stages`] with a small in-memory queue in place
//! of a writer, so memory stays at about one chunk whatever the file's length.
//! It never writes files and never changes the client format mid-stream.

use std::path::{Path, PathBuf};

use super::file::ConvertError;
use super::options::{ConvertOptions, Quality};
use super::stages::{Stages, Target};
use crate::dsp::mix::ChannelMixer;
use crate::format::{ChannelLayout, SampleFormat};
use crate::io::{AudioFile, AudioWriter, StreamInfo, WriteError};

/// The sample type a client reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ClientSample {
    /// Signed 16-bit, read into `i16`.
    I16,
    /// Signed 24-bit, right-justified in `i32` (−8388608..=8388607).
    I24,
    /// Signed 32-bit, read into `i32`.
    I32,
    /// 32-bit float in [−1, 1), read into `f32`.
    #[default]
    F32,
    /// 64-bit float in [−1, 1), read into `f64` (computed in f32, like every
    /// conversion here: f32 precision in a wider container).
    F64,
}

impl ClientSample {
    fn sample_format(self) -> SampleFormat {
        match self {
            ClientSample::I16 => SampleFormat::S16,
            ClientSample::I24 => SampleFormat::S24,
            ClientSample::I32 => SampleFormat::S32,
            ClientSample::F32 => SampleFormat::F32,
            ClientSample::F64 => SampleFormat::F64,
        }
    }

    fn is_float(self) -> bool {
        matches!(self, ClientSample::F32 | ClientSample::F64)
    }
}

/// Which channels a client reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ClientChannels {
    /// The file's own channels.
    #[default]
    Source,
    /// This many channels, mixed from the file's layout to the standard
    /// layout of that count (ITU down-mix, up-mix by copying, see [`ChannelMixer::between`]).
    Count(u16),
    /// These channels, mixed from the file's layout.
    Layout(ChannelLayout),
    /// An explicit map: client channel `o` is file channel `map[o]`.
    Map(Vec<usize>),
}

/// The form every read delivers.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientFormat {
    /// Sample type (the buffer type of [`ClientReader::read`] must match).
    pub sample: ClientSample,
    /// One interleaved buffer (true) or one buffer per channel (false).
    pub interleaved: bool,
    /// Frames per second; `None` keeps the file's rate.
    pub rate: Option<u32>,
    /// Channels delivered.
    pub channels: ClientChannels,
    /// Resampler quality when the rate changes.
    pub quality: Quality,
    /// TPDF dither when reducing depth or requantising processed audio.
    pub dither: bool,
}

impl Default for ClientFormat {
    /// Interleaved f32 at the file's rate and channels.
    fn default() -> Self {
        ClientFormat {
            sample: ClientSample::F32,
            interleaved: true,
            rate: None,
            channels: ClientChannels::Source,
            quality: Quality::High,
            dither: true,
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for i16 {}
    impl Sealed for i32 {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A buffer element type a [`ClientReader`] fills: `i16`, `i32`, `f32`, `f64`.
pub trait ClientSampleType: Copy + sealed::Sealed {
    /// Whether this type holds `sample`.
    fn holds(sample: ClientSample) -> bool;
    /// From an integer of the client's depth.
    fn from_int(v: i32) -> Self;
    /// From a float sample.
    fn from_float(v: f32) -> Self;
    /// The Rust type's name, for messages.
    const NAME: &'static str;
}

impl ClientSampleType for i16 {
    fn holds(sample: ClientSample) -> bool {
        sample == ClientSample::I16
    }
    fn from_int(v: i32) -> Self {
        v.clamp(i16::MIN as i32, i16::MAX as i32) as i16
    }
    fn from_float(v: f32) -> Self {
        crate::format::f32_to_int(v, 16) as i16
    }
    const NAME: &'static str = "i16";
}

impl ClientSampleType for i32 {
    fn holds(sample: ClientSample) -> bool {
        matches!(sample, ClientSample::I24 | ClientSample::I32)
    }
    fn from_int(v: i32) -> Self {
        v
    }
    fn from_float(v: f32) -> Self {
        crate::format::f32_to_int(v, 32)
    }
    const NAME: &'static str = "i32";
}

impl ClientSampleType for f32 {
    fn holds(sample: ClientSample) -> bool {
        sample == ClientSample::F32
    }
    fn from_int(v: i32) -> Self {
        v as f32 / 2_147_483_648.0
    }
    fn from_float(v: f32) -> Self {
        v
    }
    const NAME: &'static str = "f32";
}

impl ClientSampleType for f64 {
    fn holds(sample: ClientSample) -> bool {
        sample == ClientSample::F64
    }
    fn from_int(v: i32) -> Self {
        v as f64 / 2_147_483_648.0
    }
    fn from_float(v: f32) -> Self {
        v as f64
    }
    const NAME: &'static str = "f64";
}

/// Converted samples waiting to be read (at most one chunk's worth).
#[derive(Default)]
struct Queue {
    ints: Vec<i32>,
    floats: Vec<f32>,
    /// Samples already read from the front.
    pos: usize,
}

impl Queue {
    fn len(&self) -> usize {
        self.ints.len().max(self.floats.len()) - self.pos
    }

    fn clear(&mut self) {
        self.ints.clear();
        self.floats.clear();
        self.pos = 0;
    }
}

impl AudioWriter for Queue {
    fn write_f32(&mut self, interleaved: &[f32]) -> Result<(), WriteError> {
        self.floats.extend_from_slice(interleaved);
        Ok(())
    }

    fn write_i32(&mut self, interleaved: &[i32]) -> Result<(), WriteError> {
        self.ints.extend_from_slice(interleaved);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), WriteError> {
        Ok(())
    }
}

/// An audio file read in a client format chosen once at opening (the guide's
/// `ExtAudioFile` with its client data format set).
///
/// ```
/// use coremusic::convert::{ClientChannels, ClientFormat, ClientReader, ClientSample};
/// use coremusic::format::SampleFormat;
/// use coremusic::io::{create_writer, OutputFormat, WriterSpec};
///
/// // A second of 44.1 kHz stereo 16-bit WAV to read.
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("tone.wav");
/// let spec = WriterSpec::new(OutputFormat::Wav, 44100, 2, SampleFormat::S16);
/// let mut w = create_writer(Box::new(std::fs::File::create(&path)?), spec)?;
/// let tone: Vec<f32> = (0..2 * 44100).map(|i| ((i / 2) as f32 * 0.0627).sin() * 0.5).collect();
/// w.write_f32(&tone)?;
/// w.finish()?;
///
/// // Read it as planar mono f64 at 48 kHz, 4096 frames at a time.
/// let client = ClientFormat {
///     sample: ClientSample::F64,
///     interleaved: false,
///     rate: Some(48000),
///     channels: ClientChannels::Count(1),
///     ..ClientFormat::default()
/// };
/// let mut file = ClientReader::open(&path, &client)?;
/// let mut mono = vec![0f64; 4096];
/// let mut total = 0;
/// loop {
///     let n = file.read(&mut [&mut mono[..]])?;
///     if n == 0 {
///         break;
///     }
///     total += n;
/// }
/// assert_eq!(total, 48000); // ceil(44100 × 48000 / 44100)
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ClientReader {
    file: AudioFile,
    path: PathBuf,
    client: ClientFormat,
    channels: usize,
    rate: u32,
    frames: Option<u64>,
    stages: Stages,
    queue: Queue,
    ended: bool,
}

impl ClientReader {
    /// Opens `path` to be read in the `client` format. Errors name the file:
    /// unreadable, or a client format it cannot be converted to (a rate of 0,
    /// no channels, a map naming a channel the file lacks).
    pub fn open(path: impl AsRef<Path>, client: &ClientFormat) -> Result<ClientReader, ConvertError> {
        let path = path.as_ref();
        let file = AudioFile::open(path)?;
        let info = file.info().clone();
        let refused = |what: String| ConvertError::Refused { path: path.to_path_buf(), what };
        let in_ch = info.channels();
        let mixer = match &client.channels {
            ClientChannels::Source | ClientChannels::Count(_) => None,
            ClientChannels::Layout(layout) => {
                let from = if info.layout.channels.len() == in_ch {
                    info.layout.clone()
                } else {
                    ChannelLayout::default_for(in_ch as u32)
                };
                Some(ChannelMixer::between(&from, layout).map_err(|e| refused(e.to_string()))?)
            }
            ClientChannels::Map(map) => Some(ChannelMixer::from_map(in_ch, map).map_err(|e| refused(e.to_string()))?),
        };
        let channels = match (&client.channels, &mixer) {
            (_, Some(m)) => m.outputs(),
            (ClientChannels::Count(n), None) => *n as usize,
            _ => in_ch,
        };
        let rate = client.rate.unwrap_or(info.sample_rate());
        let target = Target { rate, channels, sample: client.sample.sample_format(), bits: None };
        let opts = ConvertOptions { quality: client.quality, dither: client.dither, ..ConvertOptions::default() };
        let stages = Stages::with_mixer(&info, &target, &opts, mixer).map_err(|e| refused(e.to_string()))?;
        let frames = info.frames.map(|n| {
            let (from, to) = (info.sample_rate().max(1) as u128, rate as u128);
            (n as u128 * to).div_ceil(from).min(u64::MAX as u128) as u64
        });
        Ok(ClientReader {
            file,
            path: path.to_path_buf(),
            client: client.clone(),
            channels,
            rate,
            frames,
            stages,
            queue: Queue::default(),
            ended: false,
        })
    }

    /// The file's own format.
    pub fn file_info(&self) -> &StreamInfo {
        self.file.info()
    }

    /// The format reads deliver.
    pub fn client_format(&self) -> &ClientFormat {
        &self.client
    }

    /// Channels per client frame.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Client frames per second.
    pub fn sample_rate(&self) -> u32 {
        self.rate
    }

    /// Client frames in all, when the file's length is known:
    /// `ceil(file frames × client rate / file rate)`.
    pub fn frames(&self) -> Option<u64> {
        self.frames
    }

    /// True when the samples are the file's own, untouched (no conversion
    /// but a widening of integers).
    pub fn is_exact(&self) -> bool {
        self.stages.is_exact()
    }

    /// Reads the next frames into `buffers`: one interleaved buffer, or one
    /// per channel when the client format is planar. Fills as many frames as
    /// the shortest buffer holds unless the file ends first; returns the
    /// frames read, 0 at the end. A buffer type that is not the client's
    /// sample type, or the wrong number of buffers, is an error.
    pub fn read<T: ClientSampleType>(&mut self, buffers: &mut [&mut [T]]) -> Result<usize, ConvertError> {
        let ch = self.channels;
        if !T::holds(self.client.sample) {
            return Err(self.refused(format!(
                "the client format is {:?} but the buffers hold {}",
                self.client.sample,
                T::NAME
            )));
        }
        let want = if self.client.interleaved {
            match buffers {
                [one] => one.len() / ch,
                _ => return Err(self.refused(format!("interleaved reads take 1 buffer, not {}", buffers.len()))),
            }
        } else if buffers.len() == ch {
            buffers.iter().map(|b| b.len()).min().unwrap_or(0)
        } else {
            return Err(
                self.refused(format!("planar reads take {ch} buffers (one per channel), not {}", buffers.len()))
            );
        };
        let mut done = 0;
        while done < want {
            if self.queue.len() < ch {
                if !self.refill()? {
                    break;
                }
                continue;
            }
            let n = (self.queue.len() / ch).min(want - done);
            let from = self.queue.pos;
            let float = self.client.sample.is_float();
            let (ints, floats) = (&self.queue.ints, &self.queue.floats);
            let get = |i: usize| -> T {
                if float {
                    floats.get(i).map_or(T::from_float(0.0), |&v| T::from_float(v))
                } else {
                    ints.get(i).map_or(T::from_int(0), |&v| T::from_int(v))
                }
            };
            if self.client.interleaved {
                if let [one] = buffers {
                    for (i, d) in one[done * ch..(done + n) * ch].iter_mut().enumerate() {
                        *d = get(from + i);
                    }
                }
            } else {
                for (c, plane) in buffers.iter_mut().enumerate() {
                    for (f, d) in plane[done..done + n].iter_mut().enumerate() {
                        *d = get(from + f * ch + c);
                    }
                }
            }
            self.queue.pos += n * ch;
            done += n;
        }
        Ok(done)
    }

    /// [`read`](Self::read) into one interleaved buffer.
    pub fn read_interleaved<T: ClientSampleType>(&mut self, buffer: &mut [T]) -> Result<usize, ConvertError> {
        self.read(&mut [buffer])
    }

    /// Converts the next chunk into the queue; false at the end.
    fn refill(&mut self) -> Result<bool, ConvertError> {
        if self.ended {
            return Ok(false);
        }
        self.queue.clear();
        let n = self.stages.pull(&mut self.file)?;
        let pushed = self.stages.push(&mut self.queue, n == 0);
        pushed.map_err(|source| ConvertError::Write { path: self.path.clone(), source })?;
        if n == 0 {
            self.ended = true;
        }
        Ok(true)
    }

    fn refused(&self, what: String) -> ConvertError {
        ConvertError::Refused { path: self.path.clone(), what }
    }

    /// Problems in the file that did not stop reading.
    pub fn take_warnings(&mut self) -> Vec<crate::io::Warning> {
        self.file.take_warnings()
    }
}

#[cfg(test)]
mod tests;
