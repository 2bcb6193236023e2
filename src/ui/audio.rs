//! The window's link to the audio engine: it owns the [`Engine`], drains its
//! events once per frame, keeps what the panels draw (play state, position,
//! the device, a short history of stats) and turns button presses into
//! engine commands. Nothing here blocks: commands are queued, events polled.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use crate::dsp::Render;
use crate::engine::{
    Command, DeviceChoice, DeviceInfo, Engine, EngineConfig, Event, LoadedFile, PlayState, StatsSnapshot,
};

/// How many stats snapshots the plots keep (about 30 s at 10 per second).
pub const HISTORY: usize = 300;

/// One point of the live plots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatsPoint {
    /// Seconds since the link started.
    pub t: f64,
    /// Callback time p99 in µs.
    pub callback_p99_us: f64,
    /// Longest callback in µs.
    pub callback_max_us: f64,
    /// The period in µs.
    pub period_us: f64,
    /// Load p99 (callback time / period).
    pub load_p99: f64,
    /// Xruns so far.
    pub xruns: u64,
}

/// What is playing.
#[derive(Debug, Clone, PartialEq)]
pub enum Playing {
    /// Nothing.
    Nothing,
    /// A file, with what the engine found it to be.
    File(LoadedFile),
    /// A MIDI sequence (through the MIDI player).
    Midi,
    /// A short note preview from the piano roll.
    Preview,
}

/// The engine as the window sees it.
pub struct AudioLink {
    engine: Engine,
    started: std::time::Instant,
    /// Playing, paused or stopped.
    pub state: PlayState,
    /// What is loaded.
    pub playing: Playing,
    /// The play position in source frames.
    pub position_frames: u64,
    /// The play position in seconds.
    pub position_s: f64,
    /// The device the stream runs on.
    pub device: Option<DeviceInfo>,
    /// Output device names (`sim` first).
    pub devices: Vec<String>,
    /// The latest stats.
    pub stats: StatsSnapshot,
    /// Recent stats for the plots, oldest first.
    pub history: VecDeque<StatsPoint>,
    /// Output gain (linear).
    pub gain: f32,
    /// The loop region in source frames, if looping.
    pub looping: Option<(u64, u64)>,
    /// The last thing that went wrong, for the status bar.
    pub last_error: Option<String>,
    /// A fallback to the simulated device happened (what was asked, why).
    pub fell_back: Option<(String, String)>,
    /// Set when the playing source reached its end this frame.
    pub ended: bool,
    /// The latest level meter readings of what plays (from the engine's metering tap).
    pub levels: Option<crate::dsp::meter::LevelReadings>,
}

impl AudioLink {
    /// Starts an engine with `config` (the window uses the default device,
    /// tests a virtual-clock simulated one).
    pub fn start(config: EngineConfig) -> Self {
        let engine = Engine::start(config);
        engine.send(Command::ListDevices);
        AudioLink {
            engine,
            started: std::time::Instant::now(),
            state: PlayState::Stopped,
            playing: Playing::Nothing,
            position_frames: 0,
            position_s: 0.0,
            device: None,
            devices: vec!["sim".into()],
            stats: StatsSnapshot::default(),
            history: VecDeque::with_capacity(HISTORY),
            gain: 1.0,
            looping: None,
            last_error: None,
            fell_back: None,
            ended: false,
            levels: None,
        }
    }

    /// The engine itself (tests step its virtual clock through it).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Applies every event the engine sent since the last frame. Returns
    /// true when something changed (so the caller repaints).
    pub fn poll(&mut self) -> bool {
        let mut changed = false;
        self.ended = false;
        while let Ok(event) = self.engine.events().try_recv() {
            changed = true;
            match event {
                Event::State(s) => {
                    self.state = s;
                    if s == PlayState::Stopped {
                        self.playing = Playing::Nothing;
                    }
                }
                Event::Loaded(f) => self.playing = Playing::File(f),
                Event::Position { frames, seconds } => {
                    self.position_frames = frames;
                    self.position_s = seconds;
                }
                Event::Devices(d) => self.devices = d,
                Event::DeviceOpened(info) => {
                    // A new stream: the engine has started its statistics afresh.
                    self.device = Some(info);
                    self.stats = StatsSnapshot::default();
                    self.history.clear();
                }
                Event::FellBackToSim { requested, reason } => {
                    // Asking for a device by name and not getting it is an error; having no sound card is not.
                    if requested != "default" {
                        self.last_error = Some(format!("{requested}: {reason} — playing on the simulated device"));
                    }
                    self.fell_back = Some((requested, reason));
                }
                Event::Ended => self.ended = true,
                Event::Stats(s) => self.push_stats(*s),
                Event::Levels(l) => self.levels = Some(*l),
                Event::Error(e) => self.last_error = Some(e.to_string()),
                Event::RenderFailed { reason } => {
                    self.last_error = Some(format!("playback stopped: the synth failed ({reason})"))
                }
            }
        }
        if self.state == PlayState::Playing {
            let (frames, seconds) = self.engine.position();
            if frames != self.position_frames {
                self.position_frames = frames;
                self.position_s = seconds;
                changed = true;
            }
        }
        changed
    }

    fn push_stats(&mut self, s: StatsSnapshot) {
        let period_us = if s.sample_rate > 0 { s.buffer_frames as f64 * 1e6 / s.sample_rate as f64 } else { 0.0 };
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(StatsPoint {
            t: self.started.elapsed().as_secs_f64(),
            callback_p99_us: s.callback_us.p99,
            callback_max_us: s.callback_us.max,
            period_us,
            load_p99: s.load_p99,
            xruns: s.xruns,
        });
        self.stats = s;
    }

    /// Plays `path` from `from_frame` (file frames).
    pub fn play_file(&mut self, path: &Path, from_frame: u64) {
        self.last_error = None;
        self.engine.send(Command::Play { path: path.to_path_buf(), from_frame });
        if let Some((a, b)) = self.looping {
            self.engine.send(Command::SetLoop(Some((a, b))));
        }
    }

    /// Plays a real-time producer (the MIDI player, or a preview when `what` says so).
    pub fn play_render(&mut self, render: Box<dyn Render>, what: Playing) {
        self.last_error = None;
        self.playing = what;
        self.engine.send(Command::PlayRender(render));
    }

    /// The file being played, if a file is.
    pub fn playing_path(&self) -> Option<&PathBuf> {
        match &self.playing {
            Playing::File(f) => Some(&f.path),
            _ => None,
        }
    }

    /// Pause ↔ resume.
    pub fn toggle_pause(&mut self) {
        match self.state {
            PlayState::Playing => {
                self.engine.send(Command::Pause);
            }
            PlayState::Paused => {
                self.engine.send(Command::Resume);
            }
            PlayState::Stopped => {}
        }
    }

    /// Stops and forgets the source.
    pub fn stop(&mut self) {
        self.engine.send(Command::Stop);
    }

    /// Moves the play position (file frames).
    pub fn seek(&mut self, frame: u64) {
        self.position_frames = frame;
        self.engine.send(Command::Seek(frame));
    }

    /// Loops `[start, end)` or stops looping.
    pub fn set_loop(&mut self, region: Option<(u64, u64)>) {
        self.looping = region.filter(|(a, b)| b > a);
        self.engine.send(Command::SetLoop(self.looping));
    }

    /// Output gain, linear.
    pub fn set_gain(&mut self, gain: f32) {
        self.gain = gain;
        self.engine.send(Command::SetGain(gain));
    }

    /// Rebuilds the stream with `frames` per callback (playback continues).
    pub fn set_buffer(&mut self, frames: u32) {
        self.engine.send(Command::SetBufferSize(frames));
        self.reset_stats();
    }

    /// Rebuilds the stream at `rate` Hz (playback continues).
    pub fn set_rate(&mut self, rate: u32) {
        self.engine.send(Command::SetSampleRate(rate));
        self.reset_stats();
    }

    /// Switches to another output device.
    pub fn open_device(&mut self, name: &str) {
        self.engine.send(Command::OpenDevice(DeviceChoice::parse(name)));
        self.reset_stats();
    }

    /// Busy work per callback in µs (for trying how much headroom a buffer leaves).
    pub fn set_dsp_load(&mut self, us: u32) {
        self.engine.send(Command::SetDspLoad(us));
    }

    /// Starts the level meters again (integrated loudness, peak holds).
    pub fn reset_meters(&mut self) {
        self.engine.send(Command::ResetMeters);
    }

    /// Clears the engine's statistics and the plots.
    pub fn reset_stats(&mut self) {
        self.engine.send(Command::ResetStats);
        self.history.clear();
        self.stats = StatsSnapshot::default();
    }

    /// Asks for the device list again.
    pub fn refresh_devices(&mut self) {
        self.engine.send(Command::ListDevices);
    }
}

/// The output device menu (one picker for the transport bar, the Latency
/// tab and Preferences): the current device's name after `prefix`;
/// choosing another returns [`Action::OpenDevice`].
pub fn device_picker(
    ui: &mut egui::Ui,
    id: &str,
    prefix: &str,
    accessible_name: &str,
    link: &AudioLink,
) -> Option<super::action::Action> {
    let current = link.device.as_ref().map(|d| d.name.clone()).unwrap_or_else(|| "—".into());
    let mut chosen = None;
    egui::ComboBox::from_id_salt(id)
        .selected_text(format!("{prefix}{current}"))
        .show_ui(ui, |ui| {
            for name in &link.devices {
                if ui.selectable_label(*name == current, name).clicked() {
                    chosen = Some(name.clone());
                }
            }
        })
        .response
        .accessible_name(accessible_name);
    chosen.filter(|n| *n != current).map(super::action::Action::OpenDevice)
}
