//! The engine's worker thread: owns the device stream and the file reader,
//! turns commands into source swaps for the callback, frees what the callback
//! lets go, and sends position and statistics events. It may block and
//! allocate; it never runs inside the audio callback.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::callback::{AudioCallback, CallbackHost, Shared, Source, SwapMode, ToAudio, NONE};
use super::device::sim::{SimDevice, StepRequest};
use super::device::{self, DeviceInfo, OutputDevice, OutputStream, StreamRequest, StreamTrouble};
use super::reader::{Reader, StartSpec};
use super::{Command, DeviceChoice, EngineConfig, EngineError, Event, LoadedFile, Msg, PlayState};
use crate::dsp::Render;

const TICK: Duration = Duration::from_millis(5);
const POSITION_EVERY: Duration = Duration::from_millis(33);
const STATS_EVERY: Duration = Duration::from_millis(100);

struct Link {
    to_audio: rtrb::Producer<ToAudio>,
    garbage: rtrb::Consumer<Source>,
}

pub(crate) struct Worker {
    config: EngineConfig,
    shared: Arc<Shared>,
    events: Sender<Event>,
    steps: Receiver<StepRequest>,
    device_slot: Arc<Mutex<Option<DeviceInfo>>>,
    choice: DeviceChoice,
    request: StreamRequest,
    stream: Option<Box<dyn OutputStream>>,
    link: Option<Link>,
    home_tx: Sender<AudioCallback>,
    home_rx: Receiver<AudioCallback>,
    reader: Option<Reader>,
    generation: u64,
    looping: Option<(u64, u64)>,
    state: PlayState,
    last_position: Option<u64>,
    /// Each new stream's metering tap goes to the metering thread here.
    meter_taps: Sender<super::meters::MeterMsg>,
}

impl Worker {
    pub(crate) fn new(
        config: EngineConfig,
        shared: Arc<Shared>,
        events: Sender<Event>,
        steps: Receiver<StepRequest>,
        device_slot: Arc<Mutex<Option<DeviceInfo>>>,
    ) -> Self {
        let (home_tx, home_rx) = crossbeam_channel::bounded(8);
        let (meter_taps, taps) = crossbeam_channel::unbounded();
        super::meters::spawn(taps, events.clone());
        Worker {
            meter_taps,
            choice: config.device.clone(),
            request: StreamRequest { sample_rate: config.sample_rate, buffer_frames: config.buffer_frames.max(1) },
            config,
            shared,
            events,
            steps,
            device_slot,
            stream: None,
            link: None,
            home_tx,
            home_rx,
            reader: None,
            generation: 0,
            looping: None,
            state: PlayState::Stopped,
            last_position: None,
        }
    }

    pub(crate) fn run(mut self, rx: Receiver<Msg>) {
        self.open_device(self.choice.clone());
        let mut last_pos = Instant::now();
        let mut last_stats = Instant::now();
        loop {
            match rx.recv_timeout(TICK) {
                Ok(Msg::Cmd(Command::Shutdown)) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(Msg::Cmd(cmd)) => self.handle(cmd),
                Ok(Msg::Sync(done)) => {
                    let _ = done.send(());
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            self.housekeeping();
            if last_pos.elapsed() >= POSITION_EVERY {
                last_pos = Instant::now();
                self.emit_position();
            }
            if last_stats.elapsed() >= STATS_EVERY {
                last_stats = Instant::now();
                self.emit(Event::Stats(Box::new(self.shared.stats.snapshot())));
            }
        }
        self.reader = None;
        let _ = self.close_stream();
        self.set_device(None);
    }

    fn emit(&self, e: Event) {
        let _ = self.events.send(e);
    }

    fn set_state(&mut self, s: PlayState) {
        if self.state != s {
            self.state = s;
            self.emit(Event::State(s));
        }
    }

    fn set_device(&self, info: Option<DeviceInfo>) {
        if let Ok(mut slot) = self.device_slot.lock() {
            *slot = info;
        }
    }

    fn info(&self) -> Option<&DeviceInfo> {
        self.stream.as_ref().map(|s| s.info())
    }

    fn handle(&mut self, cmd: Command) {
        match cmd {
            Command::OpenDevice(choice) => {
                let src = self.close_stream();
                self.choice = choice.clone();
                self.open_device(choice);
                self.restore(src);
            }
            Command::ListDevices => self.emit(Event::Devices(device::list())),
            Command::SetSampleRate(rate) => {
                if !(1000..=768_000).contains(&rate) {
                    self.emit(Event::Error(EngineError::Usage(format!(
                        "{rate} Hz: the sample rate must be between 1000 and 768000"
                    ))));
                    return;
                }
                self.request.sample_rate = Some(rate);
                self.rebuild();
            }
            Command::SetBufferSize(frames) => {
                if !(1..=65_536).contains(&frames) {
                    self.emit(Event::Error(EngineError::Usage(format!(
                        "{frames} frames: the buffer size must be between 1 and 65536"
                    ))));
                    return;
                }
                self.request.buffer_frames = frames;
                self.rebuild();
            }
            Command::Play { path, from_frame } => self.play(&path, from_frame),
            Command::Pause => {
                if self.state == PlayState::Playing {
                    self.shared.paused.store(true, Relaxed);
                    self.set_state(PlayState::Paused);
                }
            }
            Command::Resume => {
                if self.state == PlayState::Paused {
                    self.shared.paused.store(false, Relaxed);
                    self.set_state(PlayState::Playing);
                }
            }
            Command::Stop => self.stop(),
            Command::Seek(frame) => {
                let frame = match self.reader.as_ref().and_then(|r| r.summary.frames) {
                    Some(n) => frame.min(n),
                    None => frame,
                };
                self.restart(frame, SwapMode::Jump);
            }
            Command::SetLoop(region) => {
                if let Some((s, e)) = region {
                    if s >= e {
                        self.emit(Event::Error(EngineError::Usage(format!(
                            "a loop from frame {s} to {e} is empty: the end must come after the start"
                        ))));
                        return;
                    }
                }
                self.looping = region;
                if self.reader.is_some() {
                    let here = self.shared.position.load(Relaxed);
                    self.restart(here, SwapMode::Continue);
                }
            }
            Command::SetGain(g) => {
                let g = if g.is_finite() { g.clamp(0.0, 16.0) } else { 1.0 };
                self.shared.gain.store(g.to_bits(), Relaxed);
            }
            Command::PlayRender(r) => {
                self.reader = None;
                self.shared.reader_active.store(false, Relaxed);
                let info = self.info().cloned();
                let Some(r) = self.prepare_render(r, info.as_ref()) else {
                    self.stop();
                    return;
                };
                self.shared.paused.store(false, Relaxed);
                self.swap(Source::Render(r, 0), SwapMode::Jump);
                self.set_state(PlayState::Playing);
            }
            Command::SetDspLoad(us) => self.shared.load_us.store(us.min(super::MAX_DSP_LOAD_US), Relaxed),
            Command::ResetStats => self.shared.stats.request_reset(),
            Command::ResetMeters => {
                let _ = self.meter_taps.send(super::meters::MeterMsg::Reset);
            }
            Command::Shutdown => {}
        }
    }

    /// Prepares a producer for the stream (when one is open). A producer
    /// that panics there is reported as [`Event::RenderFailed`] and dropped.
    fn prepare_render(&mut self, mut r: Box<dyn Render>, info: Option<&DeviceInfo>) -> Option<Box<dyn Render>> {
        let Some(info) = info else { return Some(r) };
        let prepared = catch_unwind(AssertUnwindSafe(|| {
            r.prepare(info.sample_rate, info.channels, max_frames(info));
        }));
        match prepared {
            Ok(()) => Some(r),
            Err(payload) => {
                self.failed(r, payload);
                None
            }
        }
    }

    /// Reports a producer that panicked and frees it (a panic while freeing
    /// it is caught too: the worker goes on).
    fn failed(&mut self, r: Box<dyn Render>, payload: Box<dyn Any + Send>) {
        let reason = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "it panicked".into());
        let _ = catch_unwind(AssertUnwindSafe(move || drop((r, payload))));
        self.emit(Event::RenderFailed { reason });
    }

    /// Frees what the callback let go; reports producers that failed.
    fn drain_garbage(&mut self) {
        let mut failed = Vec::new();
        if let Some(link) = &mut self.link {
            while let Ok(src) = link.garbage.pop() {
                match src {
                    Source::Failed(r, payload) => failed.push((r, payload)),
                    other => drop(other),
                }
            }
        }
        let any = !failed.is_empty();
        for (r, payload) in failed {
            self.failed(r, payload);
        }
        if any && self.reader.is_none() {
            self.set_state(PlayState::Stopped);
        }
    }

    fn play(&mut self, path: &std::path::Path, from: u64) {
        self.stop();
        let reader = match Reader::open(path, self.shared.clone()) {
            Ok(r) => r,
            Err(e) => {
                self.emit(Event::Error(e));
                return;
            }
        };
        let s = &reader.summary;
        self.emit(Event::Loaded(LoadedFile {
            path: s.path.clone(),
            sample_rate: s.sample_rate,
            channels: s.channels,
            frames: s.frames,
            duration_s: s.frames.map(|f| f as f64 / s.sample_rate.max(1) as f64),
        }));
        self.reader = Some(reader);
        self.shared.paused.store(false, Relaxed);
        if self.restart(from, SwapMode::Jump) {
            self.set_state(PlayState::Playing);
        } else {
            self.stop();
        }
    }

    /// Starts a new generation of the file stream at `frame`; true when it plays.
    fn restart(&mut self, frame: u64, mode: SwapMode) -> bool {
        let Some(reader) = &self.reader else { return false };
        let Some(info) = self.stream.as_ref().map(|s| s.info().clone()) else { return false };
        self.generation += 1;
        let spec = StartSpec {
            frame,
            device_rate: info.sample_rate,
            device_channels: info.channels,
            looping: self.looping,
            generation: self.generation,
            ring_frames: (info.sample_rate as u64 * self.config.ring_ms.clamp(20, 10_000) as u64 / 1000) as usize,
        };
        match reader.start(spec) {
            Ok(stream) => {
                self.swap(Source::File(stream), mode);
                true
            }
            Err(e) => {
                self.emit(Event::Error(e));
                false
            }
        }
    }

    fn stop(&mut self) {
        self.reader = None;
        self.swap(Source::Idle, SwapMode::Jump);
        self.shared.paused.store(false, Relaxed);
        self.shared.position.store(0, Relaxed);
        self.last_position = None;
        self.set_state(PlayState::Stopped);
    }

    fn swap(&mut self, src: Source, mode: SwapMode) {
        let Some(link) = &mut self.link else { return };
        let mut msg = ToAudio::Swap(src, mode);
        // The queue holds 64 messages; the callback empties it every period.
        let until = Instant::now() + Duration::from_secs(2);
        loop {
            match link.to_audio.push(msg) {
                Ok(()) => return,
                Err(rtrb::PushError::Full(m)) if Instant::now() < until => {
                    msg = m;
                    while link.garbage.pop().is_ok() {}
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(rtrb::PushError::Full(_)) => {
                    let _ = self.events.send(Event::Error(EngineError::Thread(
                        "the audio callback is not running: command dropped".into(),
                    )));
                    return;
                }
            }
        }
    }

    fn housekeeping(&mut self) {
        self.drain_garbage();
        let ended = self.shared.ended.swap(NONE, Relaxed);
        if ended != NONE && ended == self.generation && self.reader.is_some() {
            self.emit_position();
            self.emit(Event::Ended);
            self.stop();
        }
        if let Some(e) = self.reader.as_ref().and_then(|r| r.take_error()) {
            self.emit(Event::Error(e));
        }
        let trouble = self.stream.as_mut().and_then(|s| s.poll());
        let lost = self.shared.device_lost.swap(false, Relaxed);
        match trouble {
            Some(StreamTrouble::Lost(reason)) => self.fall_back(reason),
            Some(StreamTrouble::RateChanged(rate)) => {
                self.request.sample_rate = Some(rate);
                self.rebuild();
            }
            None if lost => self.fall_back("the device stopped working".into()),
            None => {}
        }
    }

    fn fall_back(&mut self, reason: String) {
        let src = self.close_stream();
        let requested = self.choice.label().to_string();
        self.emit(Event::FellBackToSim { requested, reason });
        self.choice = DeviceChoice::Sim;
        self.open_device(DeviceChoice::Sim);
        self.restore(src);
    }

    fn emit_position(&mut self) {
        if self.state == PlayState::Stopped {
            return;
        }
        let frames = self.shared.position.load(Relaxed);
        if self.last_position == Some(frames) {
            return;
        }
        self.last_position = Some(frames);
        let rate = self.shared.position_rate.load(Relaxed);
        let seconds = if rate > 0 { frames as f64 / rate as f64 } else { 0.0 };
        self.emit(Event::Position { frames, seconds });
    }

    /// Closes the stream and returns what it was playing (including swaps still queued).
    fn close_stream(&mut self) -> Source {
        let Some(stream) = self.stream.take() else { return Source::Idle };
        drop(stream);
        self.link = None;
        self.set_device(None);
        match self.home_rx.recv_timeout(Duration::from_secs(2)) {
            Ok(cb) => cb.settle(),
            Err(_) => Source::Idle,
        }
    }

    fn rebuild(&mut self) {
        let src = self.close_stream();
        self.open_device(self.choice.clone());
        self.restore(src);
    }

    /// Puts a source back after a rebuild; a file stream at another rate or
    /// channel count is re-read from where it was.
    fn restore(&mut self, src: Source) {
        let Some(info) = self.info().cloned() else { return };
        match src {
            Source::Idle => {}
            Source::File(fs) if fs.device_rate == info.sample_rate && fs.channels == info.channels => {
                self.swap(Source::File(fs), SwapMode::Jump);
            }
            Source::File(fs) => {
                let here = fs.position();
                drop(fs);
                self.restart(here, SwapMode::Jump);
            }
            Source::Render(r, n) => {
                if let Some(r) = self.prepare_render(r, Some(&info)) {
                    self.swap(Source::Render(r, n), SwapMode::Jump);
                } else {
                    self.stop();
                }
            }
            Source::Failed(r, payload) => self.failed(r, payload),
        }
    }

    fn open_device(&mut self, choice: DeviceChoice) {
        let mut dev: Box<dyn OutputDevice> = match &choice {
            DeviceChoice::Sim => Box::new(SimDevice::new(self.config.clock, self.steps.clone())),
            DeviceChoice::Default => device::platform(None),
            DeviceChoice::Named(n) => device::platform(Some(n)),
        };
        match self.open_on(dev.as_mut()) {
            Ok(()) => {}
            Err(e) if choice != DeviceChoice::Sim => {
                self.emit(Event::FellBackToSim { requested: dev.name(), reason: e.to_string() });
                self.choice = DeviceChoice::Sim;
                let mut sim = SimDevice::new(self.config.clock, self.steps.clone());
                if let Err(e) = self.open_on(&mut sim) {
                    self.emit(Event::Error(e.into()));
                }
            }
            Err(e) => self.emit(Event::Error(e.into())),
        }
    }

    fn open_on(&mut self, dev: &mut dyn OutputDevice) -> Result<(), super::DeviceError> {
        let shared = self.shared.clone();
        let home = self.home_tx.clone();
        let mut link = None;
        let mut tap_end = None;
        let mut make = |info: &DeviceInfo| {
            let (mut cb, to_audio, garbage) = AudioCallback::new(
                shared.clone(),
                Source::Idle,
                info.channels,
                info.sample_rate,
                info.buffer_frames as usize,
                max_frames(info),
            );
            link = Some(Link { to_audio, garbage });
            let (tap, end) = super::meters::tap(info.channels, info.sample_rate);
            cb.set_tap(tap);
            tap_end = Some(end);
            CallbackHost::new(cb, home.clone())
        };
        // Each backend says whether its callback thread is real-time.
        self.shared.stats.set_realtime(false);
        let result = dev.open(&self.request, &self.shared, &mut make);
        // callbacks of failed attempts come home idle: forget them
        while self.home_rx.try_recv().is_ok() {}
        let stream = result?;
        let info = stream.info().clone();
        self.shared.stats.set_stream(info.sample_rate, info.buffer_frames, info.channels as u32, info.latency_frames);
        // A new stream starts its statistics afresh (the old figures describe
        // another buffer size, rate or device), before any snapshot shows it.
        self.shared.stats.request_reset();
        self.link = link;
        if let Some(end) = tap_end {
            let _ = self.meter_taps.send(super::meters::MeterMsg::Tap(end));
        }
        self.stream = Some(stream);
        self.set_device(Some(info.clone()));
        self.emit(Event::DeviceOpened(info));
        Ok(())
    }
}

/// The largest block a callback renders at once on this stream.
pub(crate) fn max_frames(info: &DeviceInfo) -> usize {
    match info.backend {
        super::BackendKind::Sim => info.buffer_frames as usize,
        _ => (info.buffer_frames as usize).max(4096),
    }
}
