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
mod tests {
    use super::*;
    use crate::io::{create_writer, OutputFormat, WriterSpec};

    /// Writes interleaved integers of `sample`'s depth as a WAV at `rate`.
    fn wav(dir: &Path, name: &str, rate: u32, channels: u16, sample: SampleFormat, audio: &[i32]) -> PathBuf {
        let path = dir.join(name);
        let spec = WriterSpec { format: OutputFormat::Wav, sample_rate: rate, channels, sample, bits: None };
        let mut w = create_writer(Box::new(std::fs::File::create(&path).unwrap()), spec).unwrap();
        w.write_i32(audio).unwrap();
        w.finish().unwrap();
        path
    }

    fn music(frames: usize, channels: usize, bits: u32) -> Vec<i32> {
        let amp = ((1i64 << (bits - 1)) - 1) as f64 * 0.7;
        (0..frames * channels)
            .map(|i| {
                let t = (i / channels) as f64;
                ((t * 0.031 * (1 + i % channels) as f64).sin() * amp + (t * 0.0007).cos() * amp * 0.2) as i32
            })
            .collect()
    }

    fn read_all<T: ClientSampleType + Default>(r: &mut ClientReader, frames: usize) -> Vec<T> {
        let ch = r.channels();
        let mut out = Vec::new();
        let mut buf = vec![T::default(); frames * ch];
        loop {
            let n = r.read_interleaved(&mut buf).unwrap();
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n * ch]);
        }
    }

    fn read_planar<T: ClientSampleType + Default>(r: &mut ClientReader, frames: usize) -> Vec<Vec<T>> {
        let ch = r.channels();
        let mut out = vec![Vec::new(); ch];
        let mut bufs = vec![vec![T::default(); frames]; ch];
        loop {
            let mut refs: Vec<&mut [T]> = bufs.iter_mut().map(|b| &mut b[..]).collect();
            let n = r.read(&mut refs).unwrap();
            if n == 0 {
                return out;
            }
            for (o, b) in out.iter_mut().zip(&bufs) {
                o.extend_from_slice(&b[..n]);
            }
        }
    }

    #[test]
    fn a_rate_change_gives_ceil_of_frames_times_ratio() {
        let dir = tempfile::tempdir().unwrap();
        for (from, to) in [(44100u32, 48000u32), (48000, 44100), (44100, 22050), (8000, 44100)] {
            for frames in [1usize, 147, 1000, 16385, 50_001] {
                let p = wav(dir.path(), "r.wav", from, 2, SampleFormat::S16, &music(frames, 2, 16));
                let client = ClientFormat { rate: Some(to), ..ClientFormat::default() };
                let mut r = ClientReader::open(&p, &client).unwrap();
                let want = (frames as u64 * to as u64).div_ceil(from as u64);
                assert_eq!(r.frames(), Some(want));
                assert_eq!(r.sample_rate(), to);
                let got = read_all::<f32>(&mut r, 1000);
                assert_eq!(got.len() as u64, want * 2, "{from}→{to}, {frames} frames");
            }
        }
    }

    #[test]
    fn planar_and_interleaved_reads_are_the_same_samples() {
        let dir = tempfile::tempdir().unwrap();
        let p = wav(dir.path(), "p.wav", 44100, 3, SampleFormat::S24, &music(30_011, 3, 24));
        for sample in [ClientSample::I16, ClientSample::F32] {
            for channels in [ClientChannels::Source, ClientChannels::Count(2), ClientChannels::Map(vec![2, 0])] {
                let inter =
                    ClientFormat { sample, rate: Some(48000), channels: channels.clone(), ..Default::default() };
                let planar = ClientFormat { interleaved: false, ..inter.clone() };
                let mut a = ClientReader::open(&p, &inter).unwrap();
                let mut b = ClientReader::open(&p, &planar).unwrap();
                let ch = a.channels();
                let (x, y) = if sample == ClientSample::I16 {
                    let x: Vec<f64> = read_all::<i16>(&mut a, 777).iter().map(|&v| v as f64).collect();
                    let y = read_planar::<i16>(&mut b, 1234);
                    (x, y.into_iter().map(|p| p.into_iter().map(|v| v as f64).collect::<Vec<_>>()).collect::<Vec<_>>())
                } else {
                    let x: Vec<f64> = read_all::<f32>(&mut a, 777).iter().map(|&v| v as f64).collect();
                    let y = read_planar::<f32>(&mut b, 1234);
                    (x, y.into_iter().map(|p| p.into_iter().map(|v| v as f64).collect::<Vec<_>>()).collect::<Vec<_>>())
                };
                assert_eq!(y.len(), ch);
                assert_eq!(x.len(), y[0].len() * ch);
                for (i, v) in x.iter().enumerate() {
                    assert_eq!(*v, y[i % ch][i / ch], "{sample:?} {channels:?} sample {i}");
                }
            }
        }
    }

    #[test]
    fn i16_reads_of_a_16_bit_file_are_its_samples() {
        let dir = tempfile::tempdir().unwrap();
        let audio = music(40_000, 2, 16);
        let p = wav(dir.path(), "x.wav", 44100, 2, SampleFormat::S16, &audio);
        let client = ClientFormat { sample: ClientSample::I16, ..ClientFormat::default() };
        let mut r = ClientReader::open(&p, &client).unwrap();
        assert!(r.is_exact());
        let got: Vec<i32> = read_all::<i16>(&mut r, 999).iter().map(|&v| v as i32).collect();
        assert_eq!(got, audio);
        // And widened to 24 bits in i32, still exact.
        let client = ClientFormat { sample: ClientSample::I24, interleaved: false, ..ClientFormat::default() };
        let mut r = ClientReader::open(&p, &client).unwrap();
        let planes = read_planar::<i32>(&mut r, 4096);
        assert!(planes[1].iter().zip(audio.chunks(2)).all(|(&v, f)| v == f[1] << 8));
    }

    #[test]
    fn depth_reduction_is_dithered_unless_turned_off() {
        let dir = tempfile::tempdir().unwrap();
        // A quarter of a 16-bit step, in 24 bits: rounds to 0 without dither.
        let audio = vec![64i32; 20_000];
        let p = wav(dir.path(), "d.wav", 48000, 1, SampleFormat::S24, &audio);
        let plain = ClientFormat { sample: ClientSample::I16, dither: false, ..ClientFormat::default() };
        let got = read_all::<i16>(&mut ClientReader::open(&p, &plain).unwrap(), 4096);
        assert!(got.iter().all(|&v| v == 0));
        let dithered = ClientFormat { dither: true, ..plain };
        let got = read_all::<i16>(&mut ClientReader::open(&p, &dithered).unwrap(), 4096);
        assert_eq!(got.len(), 20_000);
        assert!(got.iter().all(|&v| (-1..=1).contains(&v)));
        let mean = got.iter().map(|&v| v as f64).sum::<f64>() / got.len() as f64;
        assert!((mean - 0.25).abs() < 0.03, "dithered mean {mean} (the signal is 0.25 LSB)");
    }

    #[test]
    fn a_channel_map_picks_channels_and_bad_requests_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let audio = music(5000, 2, 16);
        let p = wav(dir.path(), "m.wav", 44100, 2, SampleFormat::S16, &audio);
        // A map goes through the float path: bit-exact for 16 bits without dither.
        let swap = ClientFormat {
            sample: ClientSample::I16,
            channels: ClientChannels::Map(vec![1, 0]),
            dither: false,
            ..Default::default()
        };
        let got = read_all::<i16>(&mut ClientReader::open(&p, &swap).unwrap(), 512);
        assert!(got.chunks(2).zip(audio.chunks(2)).all(|(g, a)| g[0] as i32 == a[1] && g[1] as i32 == a[0]));
        let stereo =
            ClientFormat { channels: ClientChannels::Layout(ChannelLayout::default_for(2)), ..Default::default() };
        assert_eq!(ClientReader::open(&p, &stereo).unwrap().channels(), 2);

        let bad = ClientFormat { channels: ClientChannels::Map(vec![0, 5]), ..Default::default() };
        let e = ClientReader::open(&p, &bad).err().unwrap().to_string();
        assert!(e.contains("m.wav"), "{e}");
        let zero = ClientFormat { rate: Some(0), ..Default::default() };
        assert!(ClientReader::open(&p, &zero).is_err());
        let mut r = ClientReader::open(&p, &ClientFormat::default()).unwrap();
        let e = r.read_interleaved(&mut [0i16; 64]).unwrap_err().to_string();
        assert!(e.contains("m.wav") && e.contains("i16"), "{e}");
        let e = r.read::<f32>(&mut []).unwrap_err().to_string();
        assert!(e.contains("1 buffer"), "{e}");
    }
}
