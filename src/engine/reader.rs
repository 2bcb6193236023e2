//! The disk reader: one thread per playing file that decodes with
//! [`crate::io::AudioFile`], resamples to the device rate, maps channels to the
//! device's and pushes the result into an rtrb ring the callback reads.
//!
//! Every start (play, seek, loop change, new device rate) builds a fresh ring
//! with a new generation, fills it, and hands its consumer to the worker; the
//! callback swaps it in and the stale ring goes back to the worker to be
//! freed. Loops are cut here, at exact file frames. This thread may block,
//! allocate and do I/O; it never touches the device.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::dsp::mix::ChannelMixer;
use crate::dsp::{Quality, Resampler};
use crate::format::ChannelLayout;
use crate::io::{AudioFile, FileError};

use super::callback::{FileStream, Segment, Shared};
use super::EngineError;

/// Frames decoded per read.
const DECODE_FRAMES: usize = 4096;
/// The reader pushes at least this many frames at once (fewer only at the end of a run).
const MIN_PUSH: usize = 256;

/// What the worker knows about the file a reader plays.
#[derive(Debug, Clone)]
pub(crate) struct FileSummary {
    pub(crate) path: PathBuf,
    pub(crate) sample_rate: u32,
    pub(crate) channels: usize,
    pub(crate) frames: Option<u64>,
}

/// Where and how to (re)start reading.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StartSpec {
    pub(crate) frame: u64,
    pub(crate) device_rate: u32,
    pub(crate) device_channels: usize,
    pub(crate) looping: Option<(u64, u64)>,
    pub(crate) generation: u64,
    pub(crate) ring_frames: usize,
}

enum ReaderCmd {
    Start(StartSpec),
    Stop,
}

/// The worker's handle on a reader thread.
pub(crate) struct Reader {
    tx: Sender<ReaderCmd>,
    ready: Receiver<Result<Box<FileStream>, EngineError>>,
    errors: Receiver<EngineError>,
    thread: Option<JoinHandle<()>>,
    pub(crate) summary: FileSummary,
}

impl Reader {
    /// Opens `path` (errors name the file) and starts its thread, which waits for a start.
    pub(crate) fn open(path: &Path, shared: Arc<Shared>) -> Result<Reader, EngineError> {
        let file = AudioFile::open(path)?;
        let info = file.info();
        let summary = FileSummary {
            path: path.to_path_buf(),
            sample_rate: info.sample_rate(),
            channels: info.channels(),
            frames: info.frames,
        };
        if summary.sample_rate == 0 || summary.channels == 0 {
            return Err(EngineError::File(FileError::new(
                path,
                crate::io::ReadError::unsupported(format!(
                    "stream of {} Hz and {} channels",
                    summary.sample_rate, summary.channels
                )),
            )));
        }
        let (tx, rx) = crossbeam_channel::unbounded();
        let (ready_tx, ready) = crossbeam_channel::bounded(4);
        let (err_tx, errors) = crossbeam_channel::bounded(4);
        let thread = std::thread::Builder::new()
            .name("coremusic-reader".into())
            .spawn(move || run(file, rx, ready_tx, err_tx, shared))
            .map_err(|e| EngineError::Thread(e.to_string()))?;
        Ok(Reader { tx, ready, errors, thread: Some(thread), summary })
    }

    /// A decoding error met while playing (the stream then ends), if any.
    pub(crate) fn take_error(&self) -> Option<EngineError> {
        self.errors.try_recv().ok()
    }

    /// Builds a stream from `spec` and waits (up to 5 s) until its ring is full or the file is done.
    pub(crate) fn start(&self, spec: StartSpec) -> Result<Box<FileStream>, EngineError> {
        while self.ready.try_recv().is_ok() {}
        if self.tx.send(ReaderCmd::Start(spec)).is_err() {
            return Err(EngineError::Thread("the reader thread has stopped".into()));
        }
        match self.ready.recv_timeout(Duration::from_secs(5)) {
            Ok(r) => r,
            Err(_) => {
                Err(EngineError::Thread(format!("{}: the reader did not answer in 5 s", self.summary.path.display())))
            }
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let _ = self.tx.send(ReaderCmd::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The producer side of one generation.
struct Feed {
    samples: rtrb::Producer<f32>,
    markers: rtrb::Producer<Segment>,
    spec: StartSpec,
    resampler: Option<Resampler>,
    mixer: Option<ChannelMixer>,
    /// Next file frame to decode.
    read_pos: u64,
    /// File frame where the current run (since the start or the last loop jump) began.
    run_start: u64,
    /// Device frames of the current run already moved into `pending`'s past.
    run_out: u64,
    /// Device-rate frames waiting to be pushed (interleaved, device channels).
    pending: Vec<f32>,
    pending_at: usize,
    decoded: Vec<f32>,
    resampled: Vec<f32>,
    file_rate: u32,
    file_channels: usize,
    eof_sent: bool,
}

impl Feed {
    fn new(file: &mut AudioFile, spec: StartSpec) -> Result<(Feed, FileStream), FileError> {
        let info = file.info();
        let file_rate = info.sample_rate();
        let file_channels = info.channels();
        let layout = if info.layout.channels.len() == file_channels {
            info.layout.clone()
        } else {
            ChannelLayout::default_for(file_channels as u32)
        };
        let dch = spec.device_channels.max(1);
        let mixer = if file_channels == dch {
            None
        } else {
            ChannelMixer::between(&layout, &ChannelLayout::default_for(dch as u32)).ok()
        };
        let resampler = if file_rate == spec.device_rate {
            None
        } else {
            Some(Resampler::new(file_rate, spec.device_rate, file_channels, Quality::Medium).map_err(|e| {
                FileError::new(
                    file.path(),
                    crate::io::ReadError::unsupported(format!("playback at the device rate: {e}")),
                )
            })?)
        };
        let frame = file.seek(spec.frame)?;
        let ring = spec.ring_frames.max(MIN_PUSH * 4);
        let (samples, sc) = rtrb::RingBuffer::new(ring * dch);
        let (markers, mc) = rtrb::RingBuffer::new(ring / 64 + 64);
        let stream = FileStream::new(spec.generation, sc, mc, dch, (file_rate, spec.device_rate), frame);
        let feed = Feed {
            samples,
            markers,
            spec,
            resampler,
            mixer,
            read_pos: frame,
            run_start: frame,
            run_out: 0,
            pending: Vec::new(),
            pending_at: 0,
            decoded: vec![0.0; DECODE_FRAMES * file_channels.max(1)],
            resampled: Vec::new(),
            file_rate,
            file_channels,
            eof_sent: false,
        };
        Ok((feed, stream))
    }

    fn channels(&self) -> usize {
        self.spec.device_channels.max(1)
    }

    /// Pushes what fits; decodes more when `pending` is empty. Returns true when
    /// it could do nothing (ring full or the file done).
    fn pump(&mut self, file: &mut AudioFile) -> Result<bool, FileError> {
        let ch = self.channels();
        let mut idle = true;
        loop {
            if self.eof_sent {
                return Ok(idle);
            }
            let left = (self.pending.len() - self.pending_at) / ch;
            if left == 0 {
                if !self.decode(file)? {
                    // the end: push the eof marker once there is room
                    if self.markers.push(Segment { start: self.read_pos, frames: 0, eof: true }).is_err() {
                        return Ok(idle);
                    }
                    self.eof_sent = true;
                    return Ok(false);
                }
                continue;
            }
            let free = self.samples.slots() / ch;
            let want = left.min(free);
            if want < left.min(MIN_PUSH) || self.markers.slots() == 0 {
                return Ok(idle);
            }
            let from = self.pending_at;
            let (pushed, _) = self.samples.push_partial_slice(&self.pending[from..from + want * ch]);
            let n = pushed.len() / ch;
            let start = self.run_start + self.run_out * self.file_rate as u64 / self.spec.device_rate.max(1) as u64;
            let _ = self.markers.push(Segment { start, frames: n as u64, eof: false });
            self.pending_at += n * ch;
            self.run_out += n as u64;
            idle = false;
        }
    }

    /// Decodes the next block into `pending` (one run: never across a loop
    /// jump). Returns false at the end of the file.
    fn decode(&mut self, file: &mut AudioFile) -> Result<bool, FileError> {
        self.pending.clear();
        self.pending_at = 0;
        let fch = self.file_channels.max(1);
        let looping = self.spec.looping.filter(|&(s, e)| s < e);
        // a loop jump: the previous run has been pushed whole
        if let Some((ls, le)) = looping {
            if self.read_pos == le {
                if let Some(r) = &mut self.resampler {
                    self.resampled.clear();
                    r.finish(&mut self.resampled);
                    r.reset();
                    if !self.resampled.is_empty() {
                        let tail = std::mem::take(&mut self.resampled);
                        self.map_channels(&tail);
                        self.resampled = tail;
                        if !self.pending.is_empty() {
                            return Ok(true);
                        }
                    }
                }
                self.read_pos = file.seek(ls)?;
                self.run_start = self.read_pos;
                self.run_out = 0;
            }
        }
        let mut frames = DECODE_FRAMES;
        if let Some((_, le)) = looping {
            if self.read_pos < le {
                frames = frames.min((le - self.read_pos).min(DECODE_FRAMES as u64) as usize);
            }
        }
        let n = file.read_f32(&mut self.decoded[..frames * fch])?;
        if n == 0 {
            if let Some(r) = &mut self.resampler {
                self.resampled.clear();
                if r.finish(&mut self.resampled) > 0 {
                    let tail = std::mem::take(&mut self.resampled);
                    self.map_channels(&tail);
                    self.resampled = tail;
                    return Ok(!self.pending.is_empty());
                }
            }
            return Ok(false);
        }
        self.read_pos += n as u64;
        let decoded = std::mem::take(&mut self.decoded);
        match &mut self.resampler {
            Some(r) => {
                let mut out = std::mem::take(&mut self.resampled);
                out.clear();
                r.process(&decoded[..n * fch], &mut out);
                self.map_channels(&out);
                self.resampled = out;
            }
            None => self.map_channels(&decoded[..n * fch]),
        }
        self.decoded = decoded;
        if self.pending.is_empty() {
            // the resampler is still filling its window: decode more
            return self.decode(file);
        }
        Ok(true)
    }

    fn map_channels(&mut self, input: &[f32]) {
        let dch = self.channels();
        match &self.mixer {
            Some(m) => {
                m.process(input, &mut self.pending);
            }
            None if self.file_channels == dch => self.pending.extend_from_slice(input),
            None => {
                // a layout the mixer refused: channel n to output n, the rest silent
                let fch = self.file_channels.max(1);
                for frame in input.chunks_exact(fch) {
                    for c in 0..dch {
                        self.pending.push(frame.get(c).copied().unwrap_or(0.0));
                    }
                }
            }
        }
    }
}

fn run(
    mut file: AudioFile,
    rx: Receiver<ReaderCmd>,
    ready: Sender<Result<Box<FileStream>, EngineError>>,
    errors: Sender<EngineError>,
    shared: Arc<Shared>,
) {
    shared.reader_active.store(true, Relaxed);
    let mut feed: Option<Feed> = None;
    let mut failed = false;
    loop {
        let idle = match &mut feed {
            Some(f) if !failed => match f.pump(&mut file) {
                Ok(idle) => idle,
                Err(e) => {
                    // end the stream where the damage starts, and say why
                    failed = true;
                    let at = f.read_pos;
                    let _ = f.markers.push(Segment { start: at, frames: 0, eof: true });
                    let _ = errors.try_send(EngineError::File(e));
                    true
                }
            },
            _ => true,
        };
        if idle {
            shared.reader_idle.store(true, Relaxed);
        }
        let wait = if idle { Duration::from_millis(1) } else { Duration::ZERO };
        let cmd = if wait.is_zero() {
            rx.try_recv().map_err(|e| match e {
                crossbeam_channel::TryRecvError::Empty => RecvTimeoutError::Timeout,
                crossbeam_channel::TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
            })
        } else {
            rx.recv_timeout(wait)
        };
        match cmd {
            Ok(ReaderCmd::Start(spec)) => {
                shared.reader_idle.store(false, Relaxed);
                failed = false;
                feed = None;
                match Feed::new(&mut file, spec) {
                    Ok((mut f, stream)) => {
                        let filled = prefill(&mut f, &mut file);
                        match filled {
                            Ok(()) => {
                                feed = Some(f);
                                let _ = ready.send(Ok(Box::new(stream)));
                            }
                            Err(e) => {
                                let _ = ready.send(Err(EngineError::File(e)));
                            }
                        }
                    }
                    Err(e) => {
                        let _ = ready.send(Err(EngineError::File(e)));
                    }
                }
            }
            Ok(ReaderCmd::Stop) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
    shared.reader_active.store(false, Relaxed);
    shared.reader_idle.store(true, Relaxed);
}

/// Fills a new ring until it is full or the file is done.
fn prefill(feed: &mut Feed, file: &mut AudioFile) -> Result<(), FileError> {
    while !feed.pump(file)? {}
    Ok(())
}
