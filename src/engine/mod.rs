//! The audio engine: a worker thread that owns the sound device, streams
//! files from disk through a lock-free ring into the real-time callback,
//! plays [`Render`] producers, and measures every callback.
//!
//! The face is [`Engine`]: [`Engine::send`] a [`Command`] (never blocks),
//! poll [`Engine::events`] for [`Event`]s (`try_recv` each UI frame), read
//! [`Engine::stats`] for a lock-free [`StatsSnapshot`]. Dropping the engine
//! stops it. Devices sit behind one internal trait (`OutputDevice`): a simulated device
//! everywhere (real-time or virtual clock, the default without a sound card),
//! cpal off macOS, CoreAudio on macOS.
//!
//! The render callback never allocates, locks, blocks or does I/O (checked
//! by `tests/engine_alloc.rs`); the worker and reader threads do the rest.
//! This room never draws and never reads user input.
//!
//! ```no_run
//! use coremusic::engine::{Command, Engine, EngineConfig, Event};
//! let engine = Engine::start(EngineConfig::default());
//! engine.send(Command::Play { path: "take1.wav".into(), from_frame: 0 });
//! while let Ok(event) = engine.events().recv() {
//!     if let Event::Ended = event { break; }
//! }
//! ```

mod callback;
mod device;
pub mod latency;
mod meters;
// unsafe: libc calls that ask for real-time scheduling of the calling thread
// (plain values in, an error code out; no pointers kept).
#[allow(unsafe_code)]
mod priority;
mod reader;
pub mod rt;
pub mod stats;
mod worker;

use std::path::PathBuf;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use crate::dsp::Render;
use crate::io::FileError;

pub use callback::AudioCallback;
pub use device::sim::{Clock, VirtualClock};
pub use device::{list as list_devices, BackendKind, DeviceError, DeviceInfo};
pub use stats::{StatsSnapshot, HIST_BUCKETS};

/// Which device to play on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// The system's default output; the simulated device when there is none.
    #[default]
    Default,
    /// The simulated device.
    Sim,
    /// An output device by name (as [`Event::Devices`] lists them).
    Named(String),
}

impl DeviceChoice {
    /// `sim` → [`Sim`](Self::Sim), `default` or empty → [`Default`](Self::Default), anything else a name.
    pub fn parse(s: &str) -> Self {
        match s.trim() {
            "sim" => DeviceChoice::Sim,
            "" | "default" => DeviceChoice::Default,
            name => DeviceChoice::Named(name.to_string()),
        }
    }

    /// How it is written on the command line.
    pub fn label(&self) -> &str {
        match self {
            DeviceChoice::Default => "default",
            DeviceChoice::Sim => "sim",
            DeviceChoice::Named(n) => n,
        }
    }
}

/// How the engine starts.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The device to open.
    pub device: DeviceChoice,
    /// Stream rate; the device's own (48 kHz for the simulated device) when `None`.
    pub sample_rate: Option<u32>,
    /// Frames per callback.
    pub buffer_frames: u32,
    /// How the simulated device keeps time.
    pub clock: Clock,
    /// How far the disk reader reads ahead, in milliseconds of audio.
    pub ring_ms: u32,
    /// Synthetic DSP load per callback in µs (for latency sweeps), at most
    /// [`MAX_DSP_LOAD_US`] (more is taken as that).
    pub dsp_load_us: u32,
}

/// The largest synthetic DSP load per callback, in µs (1 s): more would only
/// hold the audio thread for nothing.
pub const MAX_DSP_LOAD_US: u32 = 1_000_000;

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            device: DeviceChoice::Default,
            sample_rate: None,
            buffer_frames: 512,
            clock: Clock::RealTime,
            ring_ms: 1000,
            dsp_load_us: 0,
        }
    }
}

/// What the engine can be asked to do. Sent with [`Engine::send`].
pub enum Command {
    /// Close the current device and open this one (the playing source continues).
    OpenDevice(DeviceChoice),
    /// Ask for [`Event::Devices`].
    ListDevices,
    /// Rebuild the stream at this rate; playback continues from the same position.
    SetSampleRate(u32),
    /// Rebuild the stream with this many frames per callback; playback continues.
    SetBufferSize(u32),
    /// Play a file from a frame (in the file's own frames).
    Play {
        /// The file.
        path: PathBuf,
        /// Where to start.
        from_frame: u64,
    },
    /// Pause (the position is kept).
    Pause,
    /// Resume after a pause.
    Resume,
    /// Stop and forget the source.
    Stop,
    /// Move the play position of the file (in file frames).
    Seek(u64),
    /// Loop `[start, end)` (file frames, sample-exact), or stop looping. A
    /// playhead already past `end` plays on to the end of the file.
    SetLoop(Option<(u64, u64)>),
    /// Output gain (linear, 0..=16), applied with a 5 ms ramp.
    SetGain(f32),
    /// Play a real-time producer (the MIDI player, a tone…) instead of a file.
    PlayRender(Box<dyn Render>),
    /// Busy work per callback in µs, to measure how much headroom a buffer size
    /// leaves (at most [`MAX_DSP_LOAD_US`]; more is taken as that).
    SetDspLoad(u32),
    /// Clear the statistics.
    ResetStats,
    /// Start the level meters again: integrated loudness and peak holds
    /// (the metering thread does it; the callback is not involved).
    ResetMeters,
    /// Stop the worker (also done by dropping the [`Engine`]).
    Shutdown,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::OpenDevice(d) => write!(f, "OpenDevice({d:?})"),
            Command::ListDevices => f.write_str("ListDevices"),
            Command::SetSampleRate(r) => write!(f, "SetSampleRate({r})"),
            Command::SetBufferSize(n) => write!(f, "SetBufferSize({n})"),
            Command::Play { path, from_frame } => write!(f, "Play({}, {from_frame})", path.display()),
            Command::Pause => f.write_str("Pause"),
            Command::Resume => f.write_str("Resume"),
            Command::Stop => f.write_str("Stop"),
            Command::Seek(x) => write!(f, "Seek({x})"),
            Command::SetLoop(l) => write!(f, "SetLoop({l:?})"),
            Command::SetGain(g) => write!(f, "SetGain({g})"),
            Command::PlayRender(_) => f.write_str("PlayRender(..)"),
            Command::SetDspLoad(us) => write!(f, "SetDspLoad({us})"),
            Command::ResetStats => f.write_str("ResetStats"),
            Command::ResetMeters => f.write_str("ResetMeters"),
            Command::Shutdown => f.write_str("Shutdown"),
        }
    }
}

/// Whether something plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlayState {
    /// Nothing loaded.
    Stopped,
    /// Sound is going out.
    Playing,
    /// Loaded, held.
    Paused,
}

/// What a file being played is.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoadedFile {
    /// The file.
    pub path: PathBuf,
    /// Its rate in Hz.
    pub sample_rate: u32,
    /// Its channels.
    pub channels: usize,
    /// Its length in frames, when known.
    pub frames: Option<u64>,
    /// Its length in seconds, when known.
    pub duration_s: Option<f64>,
}

/// What the engine reports. Read with [`Engine::events`].
#[derive(Debug)]
pub enum Event {
    /// Playing, paused or stopped.
    State(PlayState),
    /// A file was opened for playback.
    Loaded(LoadedFile),
    /// Where playback is (about 30 times a second while a source is loaded).
    Position {
        /// In frames of the source (file frames for files).
        frames: u64,
        /// In seconds.
        seconds: f64,
    },
    /// The output devices, `sim` first.
    Devices(Vec<String>),
    /// A stream is running on this device.
    DeviceOpened(DeviceInfo),
    /// The device asked for could not be used (or went away): the simulated one runs instead.
    FellBackToSim {
        /// What was asked for.
        requested: String,
        /// Why it failed.
        reason: String,
    },
    /// The file played to its end.
    Ended,
    /// Statistics (about 10 times a second; boxed to keep events small).
    Stats(Box<StatsSnapshot>),
    /// The real-time producer played with [`Command::PlayRender`] panicked
    /// (e.g. a synth meeting a damaged instrument): it was silenced at once,
    /// will not be called again, and nothing plays until the next command.
    RenderFailed {
        /// What the panic said.
        reason: String,
    },
    /// Something failed; the engine keeps running.
    Error(EngineError),
    /// Level meters of what the device plays (every 100 ms of audio while a
    /// stream runs; computed off the audio thread from the metering tap).
    Levels(Box<crate::dsp::meter::LevelReadings>),
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A file could not be played (names the file).
    #[error("{0}")]
    File(#[from] FileError),
    /// A device could not be used.
    #[error("{0}")]
    Device(#[from] DeviceError),
    /// A thread could not be started or stopped answering.
    #[error("{0}")]
    Thread(String),
    /// A command made no sense (e.g. a loop that ends before it starts).
    #[error("{0}")]
    Usage(String),
}

pub(crate) enum Msg {
    Cmd(Command),
    Sync(Sender<()>),
}

/// The audio engine (see the module docs).
pub struct Engine {
    tx: Sender<Msg>,
    events: Receiver<Event>,
    shared: Arc<callback::Shared>,
    device: Arc<Mutex<Option<DeviceInfo>>>,
    clock: Option<VirtualClock>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("device", &self.device()).finish()
    }
}

impl Engine {
    /// Starts the worker thread, which opens the configured device (falling
    /// back to the simulated one, with [`Event::FellBackToSim`]).
    pub fn start(config: EngineConfig) -> Engine {
        let (tx, rx) = crossbeam_channel::unbounded();
        let (ev_tx, events) = crossbeam_channel::unbounded();
        let (step_tx, step_rx) = crossbeam_channel::unbounded();
        let shared = Arc::new(callback::Shared::default());
        shared.load_us.store(config.dsp_load_us.min(MAX_DSP_LOAD_US), Relaxed);
        let device = Arc::new(Mutex::new(None));
        let clock = (config.clock == Clock::Virtual).then(|| {
            let sync_tx = tx.clone();
            VirtualClock { steps: step_tx, sync: Arc::new(move || sync_with(&sync_tx, Duration::from_secs(10))) }
        });
        let (shared2, ev_tx2, device2) = (shared.clone(), ev_tx.clone(), device.clone());
        let thread = std::thread::Builder::new()
            .name("coremusic-engine".into())
            .spawn(move || worker::Worker::new(config, shared2, ev_tx2, step_rx, device2).run(rx));
        let thread = match thread {
            Ok(t) => Some(t),
            Err(e) => {
                let _ = ev_tx.send(Event::Error(EngineError::Thread(format!("cannot start the engine thread: {e}"))));
                None
            }
        };
        Engine { tx, events, shared, device, clock, thread }
    }

    /// Queues a command; never blocks. False when the engine has stopped.
    pub fn send(&self, command: Command) -> bool {
        self.tx.send(Msg::Cmd(command)).is_ok()
    }

    /// The engine's events; poll with `try_recv` (UI) or `recv` (CLI).
    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }

    /// The callback statistics now (lock-free).
    pub fn stats(&self) -> StatsSnapshot {
        self.shared.stats.snapshot()
    }

    /// The play position now, as (frames, seconds) of the source (lock-free).
    pub fn position(&self) -> (u64, f64) {
        let frames = self.shared.position.load(Relaxed);
        let rate = self.shared.position_rate.load(Relaxed);
        (frames, if rate > 0 { frames as f64 / rate as f64 } else { 0.0 })
    }

    /// The device the stream runs on, if one is open.
    pub fn device(&self) -> Option<DeviceInfo> {
        self.device.lock().map(|d| d.clone()).unwrap_or(None)
    }

    /// Blocks until the worker has handled every command sent before (at most
    /// `timeout`); false on timeout. For tools and tests, not for a UI frame.
    pub fn sync(&self, timeout: Duration) -> bool {
        sync_with(&self.tx, timeout)
    }

    /// The virtual clock, when the engine was configured with [`Clock::Virtual`].
    pub fn virtual_clock(&self) -> Option<VirtualClock> {
        self.clock.clone()
    }
}

fn sync_with(tx: &Sender<Msg>, timeout: Duration) -> bool {
    let (done, wait) = crossbeam_channel::bounded(1);
    tx.send(Msg::Sync(done)).is_ok() && wait.recv_timeout(timeout).is_ok()
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Cmd(Command::Shutdown));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
