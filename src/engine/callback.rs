//! The render callback: what runs on the audio thread for every device
//! period, whatever the backend.
//!
//! It takes new sources from the worker over a lock-free queue, copies file
//! audio out of the reader's ring (or calls a [`Render`] producer), applies a
//! smoothed gain, publishes position and statistics through atomics, and sends
//! every source it lets go back to the worker to be freed there. It never
//! allocates, locks, blocks or does I/O; `tests/engine_alloc.rs` checks that.
//!
//! A [`Render`] producer that panics (a synth meeting a damaged instrument,
//! a bug) must not take the process down — an unwinding panic that reaches a
//! CoreAudio callback aborts everything. The call is wrapped in
//! `catch_unwind`: on a panic the period is silenced, the producer is never
//! called again and goes back to the worker as [`Source::Failed`], which
//! reports it as [`Event::RenderFailed`](super::Event::RenderFailed).
//! (`catch_unwind` itself costs nothing on the normal path; the panic
//! machinery allocates, but only on that failure path.)

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::dsp::Render;

use super::rt::CallbackGuard;
use super::stats::{SharedStats, StatsRecorder};

/// No stream has ended (value of [`Shared::ended`]).
pub(crate) const NONE: u64 = u64::MAX;

/// State shared by the engine, the worker, the reader and the callback.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) stats: SharedStats,
    /// Target gain, as f32 bits.
    pub(crate) gain: AtomicU32,
    pub(crate) paused: AtomicBool,
    /// Synthetic DSP load per callback, in µs.
    pub(crate) load_us: AtomicU32,
    /// Play position in frames of `position_rate`.
    pub(crate) position: AtomicU64,
    pub(crate) position_rate: AtomicU32,
    /// Generation of the stream the callback plays (0: none).
    pub(crate) playing_generation: AtomicU64,
    /// Generation of the last file stream that played to its end, or [`NONE`].
    pub(crate) ended: AtomicU64,
    /// The reader has nothing to do: its ring is full or the file is done.
    pub(crate) reader_idle: AtomicBool,
    /// A file reader is running.
    pub(crate) reader_active: AtomicBool,
    /// The device backend reported that the device is gone.
    pub(crate) device_lost: AtomicBool,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            stats: SharedStats::default(),
            gain: AtomicU32::new(1.0f32.to_bits()),
            paused: AtomicBool::new(false),
            load_us: AtomicU32::new(0),
            position: AtomicU64::new(0),
            position_rate: AtomicU32::new(0),
            playing_generation: AtomicU64::new(0),
            ended: AtomicU64::new(NONE),
            reader_idle: AtomicBool::new(true),
            reader_active: AtomicBool::new(false),
            device_lost: AtomicBool::new(false),
        }
    }
}

/// A run of frames in a file ring: `frames` device frames starting at file
/// frame `start`; `eof` marks the end of the stream (then `frames` is 0).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Segment {
    pub(crate) start: u64,
    pub(crate) frames: u64,
    pub(crate) eof: bool,
}

/// The consumer side of a file stream, built by the reader and moved into the callback.
pub(crate) struct FileStream {
    pub(crate) generation: u64,
    pub(crate) samples: rtrb::Consumer<f32>,
    pub(crate) markers: rtrb::Consumer<Segment>,
    pub(crate) channels: usize,
    pub(crate) file_rate: u32,
    pub(crate) device_rate: u32,
    pub(crate) capacity_frames: u64,
    /// File frame where the stream starts.
    pub(crate) start_frame: u64,
    /// Device frames to drop before playing (set when it continues another stream).
    pub(crate) skip_frames: u64,
    seg: Segment,
    seg_used: u64,
    ended: bool,
}

impl FileStream {
    pub(crate) fn new(
        generation: u64,
        samples: rtrb::Consumer<f32>,
        markers: rtrb::Consumer<Segment>,
        channels: usize,
        rates: (u32, u32),
        start_frame: u64,
    ) -> Self {
        let capacity_frames = (samples.buffer().capacity() / channels.max(1)) as u64;
        FileStream {
            generation,
            samples,
            markers,
            channels: channels.max(1),
            file_rate: rates.0.max(1),
            device_rate: rates.1.max(1),
            capacity_frames,
            start_frame,
            skip_frames: 0,
            seg: Segment { start: start_frame, frames: 0, eof: false },
            seg_used: 0,
            ended: false,
        }
    }

    /// Where the next frame to be played is, in file frames.
    pub(crate) fn position(&self) -> u64 {
        self.seg.start + self.seg_used * self.file_rate as u64 / self.device_rate as u64
    }

    /// Device frames per file frame, applied to a count of file frames.
    pub(crate) fn to_device_frames(&self, file_frames: u64) -> u64 {
        file_frames.saturating_mul(self.device_rate as u64) / self.file_rate as u64
    }

    /// The stream has played its last frame.
    pub(crate) fn is_ended(&self) -> bool {
        self.ended
    }

    /// Frames in the ring.
    pub(crate) fn fill_frames(&self) -> u64 {
        (self.samples.slots() / self.channels) as u64
    }

    /// Fills `out` (interleaved, this stream's channel count) from the ring;
    /// returns the frames that were missing (played as silence) before the end.
    pub(crate) fn fill(&mut self, out: &mut [f32]) -> u64 {
        let ch = self.channels;
        let frames = out.len() / ch;
        let mut done = 0usize;
        let mut short = false;
        while done < frames && !self.ended {
            if self.seg_used >= self.seg.frames {
                match self.markers.pop() {
                    Ok(seg) if seg.eof => {
                        self.ended = true;
                        break;
                    }
                    Ok(seg) => {
                        self.seg = seg;
                        self.seg_used = 0;
                        continue;
                    }
                    Err(_) => {
                        short = true;
                        break;
                    }
                }
            }
            let in_seg = (self.seg.frames - self.seg_used) as usize;
            let avail = self.samples.slots() / ch;
            if self.skip_frames > 0 {
                let n = in_seg.min(avail).min(self.skip_frames.min(usize::MAX as u64) as usize);
                if n == 0 {
                    short = true;
                    break;
                }
                if let Ok(chunk) = self.samples.read_chunk(n * ch) {
                    chunk.commit_all();
                }
                self.skip_frames -= n as u64;
                self.seg_used += n as u64;
                continue;
            }
            let n = (frames - done).min(in_seg).min(avail);
            if n == 0 {
                short = true;
                break;
            }
            let (got, _) = self.samples.pop_partial_slice(&mut out[done * ch..(done + n) * ch]);
            let got = got.len() / ch;
            done += got;
            self.seg_used += got as u64;
            if got < n {
                short = true;
                break;
            }
        }
        out[done * ch..].fill(0.0);
        if short && !self.ended {
            (frames - done) as u64
        } else {
            0
        }
    }
}

/// What the callback plays.
pub(crate) enum Source {
    /// Silence.
    Idle,
    /// A file, from the reader's ring.
    File(Box<FileStream>),
    /// A real-time producer (the MIDI player, a test tone…) and the frames it rendered.
    Render(Box<dyn Render>, u64),
    /// A producer that panicked, with the panic's payload: only ever on its
    /// way back to the worker (never played).
    Failed(Box<dyn Render>, Box<dyn Any + Send>),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Idle => f.write_str("Idle"),
            Source::File(s) => write!(f, "File(generation {})", s.generation),
            Source::Render(_, n) => write!(f, "Render({n} frames)"),
            Source::Failed(..) => f.write_str("Failed"),
        }
    }
}

/// How a new source takes over from the one playing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SwapMode {
    /// Start the new source where it begins (play, seek).
    Jump,
    /// The new file stream re-reads from an earlier position of the same file:
    /// skip what was played since, so the sound continues sample-exactly.
    Continue,
}

/// Messages from the worker to the callback.
pub(crate) enum ToAudio {
    /// Play this source from now on (the old one goes back to the worker).
    Swap(Source, SwapMode),
}

/// Capacity of the queues between worker and callback.
pub(crate) const QUEUE: usize = 64;

/// The render callback and everything it owns.
pub struct AudioCallback {
    shared: Arc<Shared>,
    inbox: rtrb::Consumer<ToAudio>,
    garbage: rtrb::Producer<Source>,
    source: Source,
    channels: usize,
    sample_rate: u32,
    max_frames: usize,
    gain: f32,
    gain_step: f32,
    recorder: StatsRecorder,
    period_ns: u64,
    /// The metering tap: every block played is copied here ([`super::meters`]).
    tap: Option<rtrb::Producer<f32>>,
}

impl std::fmt::Debug for AudioCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioCallback")
            .field("source", &self.source)
            .field("channels", &self.channels)
            .field("sample_rate", &self.sample_rate)
            .finish()
    }
}

impl AudioCallback {
    /// A callback for `channels` at `sample_rate` Hz and blocks of at most
    /// `max_frames`, starting with `source`. Returns it with the worker's ends
    /// of its queues.
    pub(crate) fn new(
        shared: Arc<Shared>,
        source: Source,
        channels: usize,
        sample_rate: u32,
        period_frames: usize,
        max_frames: usize,
    ) -> (Self, rtrb::Producer<ToAudio>, rtrb::Consumer<Source>) {
        let (to_audio, inbox) = rtrb::RingBuffer::new(QUEUE);
        let (garbage, from_audio) = rtrb::RingBuffer::new(QUEUE);
        let sample_rate = sample_rate.max(1);
        let gain = f32::from_bits(shared.gain.load(Relaxed));
        let cb = AudioCallback {
            shared,
            inbox,
            garbage,
            source,
            channels: channels.max(1),
            sample_rate,
            max_frames: max_frames.max(1),
            gain,
            // a full-scale gain change takes 5 ms
            gain_step: 1.0 / (0.005 * sample_rate as f32),
            recorder: StatsRecorder::default(),
            period_ns: period_frames as u64 * 1_000_000_000 / sample_rate as u64,
            tap: None,
        };
        (cb, to_audio, from_audio)
    }

    /// Copies every block played into `tap` from now on (the metering tap).
    pub(crate) fn set_tap(&mut self, tap: rtrb::Producer<f32>) {
        self.tap = Some(tap);
    }

    /// Output channels.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The largest block `process` renders in one go (larger ones are split).
    pub fn max_frames(&self) -> usize {
        self.max_frames
    }

    /// Worker side, once the stream is closed: applies the swaps still queued
    /// and gives up the source.
    pub(crate) fn settle(mut self) -> Source {
        self.take_messages();
        std::mem::replace(&mut self.source, Source::Idle)
    }

    /// Renders one device period into `out` (interleaved, [`channels`](Self::channels)
    /// per frame). `start` is when the period began, for jitter (None: unknown).
    /// Real-time safe.
    pub fn process(&mut self, out: &mut [f32], start: Option<Instant>) {
        let _flag = CallbackGuard::enter();
        let t0 = Instant::now();
        self.take_messages();
        let ch = self.channels;
        let block = self.max_frames * ch;
        let whole = out.len() / ch * ch;
        let (body, tail) = out.split_at_mut(whole);
        tail.fill(0.0);
        for part in body.chunks_mut(block) {
            self.render(part);
        }
        if let Some(tap) = &mut self.tap {
            super::meters::publish(tap, body);
        }
        self.publish();
        let load = self.shared.load_us.load(Relaxed);
        if load > 0 {
            let until = t0 + Duration::from_micros(load as u64);
            while Instant::now() < until {
                std::hint::spin_loop();
            }
        }
        let ns = t0.elapsed().as_nanos().min(u64::MAX as u128) as u64;
        self.recorder.record(&self.shared.stats, start, ns, self.period_ns);
    }

    fn take_messages(&mut self) {
        while let Ok(msg) = self.inbox.pop() {
            match msg {
                ToAudio::Swap(mut new, mode) => {
                    if let (Source::File(old), Source::File(next), SwapMode::Continue) = (&self.source, &mut new, mode)
                    {
                        let here = old.position();
                        if here >= next.start_frame {
                            next.skip_frames = next.to_device_frames(here - next.start_frame);
                        }
                    }
                    if let Source::File(next) = &new {
                        self.shared.playing_generation.store(next.generation, Relaxed);
                    }
                    let old = std::mem::replace(&mut self.source, new);
                    self.dispose(old);
                }
            }
        }
    }

    /// Hands a source to the worker to be freed there.
    fn dispose(&mut self, old: Source) {
        if matches!(old, Source::Idle) {
            return;
        }
        if let Err(rtrb::PushError::Full(old)) = self.garbage.push(old) {
            // The worker has not drained the queue for 64 swaps: leaking one
            // source is better than freeing memory on the audio thread.
            std::mem::forget(old);
        }
    }

    fn render(&mut self, out: &mut [f32]) {
        let paused = self.shared.paused.load(Relaxed);
        if paused {
            out.fill(0.0);
            return;
        }
        match &mut self.source {
            Source::Idle | Source::Failed(..) => out.fill(0.0),
            Source::File(stream) => {
                if stream.channels != self.channels {
                    out.fill(0.0);
                } else {
                    let missing = stream.fill(out);
                    if missing > 0 {
                        self.shared.stats.add_underrun(missing);
                    }
                    self.shared.reader_idle.store(false, Relaxed);
                    if stream.is_ended() {
                        self.shared.ended.store(stream.generation, Relaxed);
                    }
                }
            }
            Source::Render(r, frames) => match catch_unwind(AssertUnwindSafe(|| r.render(out))) {
                Ok(()) => *frames += (out.len() / self.channels) as u64,
                Err(payload) => {
                    out.fill(0.0);
                    if let Source::Render(r, _) = std::mem::replace(&mut self.source, Source::Idle) {
                        self.dispose(Source::Failed(r, payload));
                    }
                }
            },
        }
        self.apply_gain(out);
    }

    fn apply_gain(&mut self, out: &mut [f32]) {
        let target = f32::from_bits(self.shared.gain.load(Relaxed));
        let target = if target.is_finite() { target.clamp(0.0, 16.0) } else { 1.0 };
        if self.gain == target {
            if target != 1.0 {
                out.iter_mut().for_each(|s| *s *= target);
            }
            return;
        }
        for frame in out.chunks_exact_mut(self.channels) {
            let d = (target - self.gain).clamp(-self.gain_step, self.gain_step);
            self.gain = if d.abs() < self.gain_step { target } else { self.gain + d };
            frame.iter_mut().for_each(|s| *s *= self.gain);
        }
    }

    fn publish(&mut self) {
        let s = &self.shared;
        match &self.source {
            Source::File(stream) => {
                s.position.store(stream.position(), Relaxed);
                s.position_rate.store(stream.file_rate, Relaxed);
                s.stats.set_ring(stream.fill_frames(), stream.capacity_frames);
            }
            Source::Render(_, frames) => {
                s.position.store(*frames, Relaxed);
                s.position_rate.store(self.sample_rate, Relaxed);
                s.stats.set_ring(0, 0);
            }
            Source::Idle | Source::Failed(..) => s.stats.set_ring(0, 0),
        }
    }
}

/// Carries the callback into a device stream and sends it back to the worker
/// when the stream drops it, so a rebuilt stream continues with the same source.
pub(crate) struct CallbackHost {
    cb: Option<AudioCallback>,
    home: crossbeam_channel::Sender<AudioCallback>,
}

impl CallbackHost {
    pub(crate) fn new(cb: AudioCallback, home: crossbeam_channel::Sender<AudioCallback>) -> Self {
        CallbackHost { cb: Some(cb), home }
    }

    /// Output channels of the callback.
    pub(crate) fn channels(&self) -> usize {
        self.cb.as_ref().map_or(1, |c| c.channels)
    }

    /// Renders one period (see [`AudioCallback::process`]).
    pub(crate) fn process(&mut self, out: &mut [f32], start: Option<Instant>) {
        match &mut self.cb {
            Some(cb) => cb.process(out, start),
            None => out.fill(0.0),
        }
    }
}

impl Drop for CallbackHost {
    fn drop(&mut self) {
        if let Some(cb) = self.cb.take() {
            let _ = self.home.try_send(cb);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(
        frames: &[f32],
        channels: usize,
        cap: usize,
    ) -> (FileStream, rtrb::Producer<f32>, rtrb::Producer<Segment>) {
        let (mut sp, sc) = rtrb::RingBuffer::new(cap * channels);
        let (mp, mc) = rtrb::RingBuffer::new(16);
        let (pushed, _) = sp.push_partial_slice(frames);
        assert_eq!(pushed.len(), frames.len());
        (FileStream::new(1, sc, mc, channels, (48_000, 48_000), 0), sp, mp)
    }

    #[test]
    fn underflow_plays_silence_and_counts_the_missing_frames() {
        let data: Vec<f32> = (1..=20).map(|i| i as f32).collect(); // 10 stereo frames
        let (mut s, _sp, mut mp) = stream(&data, 2, 64);
        mp.push(Segment { start: 0, frames: 10, eof: false }).unwrap();
        let mut out = vec![9.0f32; 32]; // 16 frames asked, 10 there
        let missing = s.fill(&mut out);
        assert_eq!(missing, 6);
        assert_eq!(&out[..20], &data[..]);
        assert!(out[20..].iter().all(|&x| x == 0.0), "silence, never garbage");
        assert_eq!(s.position(), 10);
    }

    #[test]
    fn the_end_is_not_an_underrun() {
        let data = [0.5f32; 8];
        let (mut s, _sp, mut mp) = stream(&data, 1, 16);
        mp.push(Segment { start: 100, frames: 8, eof: false }).unwrap();
        mp.push(Segment { start: 0, frames: 0, eof: true }).unwrap();
        let mut out = [1.0f32; 12];
        assert_eq!(s.fill(&mut out), 0);
        assert!(s.is_ended());
        assert_eq!(&out[..8], &data);
        assert_eq!(&out[8..], &[0.0; 4]);
        assert_eq!(s.position(), 108);
    }

    #[test]
    fn segments_carry_loop_jumps_and_skip_drops_frames() {
        let data: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let (mut s, _sp, mut mp) = stream(&data, 1, 16);
        mp.push(Segment { start: 50, frames: 4, eof: false }).unwrap();
        mp.push(Segment { start: 10, frames: 6, eof: false }).unwrap();
        s.skip_frames = 2;
        let mut out = [0.0f32; 3];
        assert_eq!(s.fill(&mut out), 0);
        assert_eq!(out, [2.0, 3.0, 4.0]);
        assert_eq!(s.position(), 11);
    }

    #[test]
    fn underrun_is_counted_by_the_callback() {
        let shared = Arc::new(Shared::default());
        let data = [0.25f32; 4];
        let (s, _sp, mut mp) = stream(&data, 1, 8);
        mp.push(Segment { start: 0, frames: 4, eof: false }).unwrap();
        let (mut cb, _tx, _rx) = AudioCallback::new(shared.clone(), Source::File(Box::new(s)), 1, 48_000, 8, 8);
        let mut out = [1.0f32; 8];
        cb.process(&mut out, None);
        assert_eq!(out, [0.25, 0.25, 0.25, 0.25, 0.0, 0.0, 0.0, 0.0]);
        let st = shared.stats.snapshot();
        assert_eq!((st.underruns, st.underrun_frames, st.callbacks), (1, 4, 1));
    }

    #[test]
    fn gain_ramps_without_jumps() {
        let shared = Arc::new(Shared::default());
        shared.gain.store(0.0f32.to_bits(), Relaxed);
        struct Ones;
        impl Render for Ones {
            fn prepare(&mut self, _: u32, _: usize, _: usize) {}
            fn render(&mut self, out: &mut [f32]) {
                out.fill(1.0);
            }
        }
        let (mut cb, _tx, _rx) = AudioCallback::new(shared.clone(), Source::Render(Box::new(Ones), 0), 1, 1000, 16, 16);
        let mut out = [0.0f32; 16];
        cb.process(&mut out, None);
        assert!(out.iter().all(|&x| x == 0.0));
        shared.gain.store(1.0f32.to_bits(), Relaxed);
        cb.process(&mut out, None);
        // 5 ms at 1 kHz = 5 samples to full scale
        assert_eq!(&out[..6], &[0.2, 0.4, 0.6, 0.8, 1.0, 1.0].map(|x: f32| x)[..]);
    }
}
