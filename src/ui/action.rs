//! What panels ask for. The panel contract (egui demo's `wrap_app.rs`
//! habit): every panel has a `logic()` that runs each frame whether or not
//! its tab is showing (polling background work, stepping state machines) and
//! a `ui()` that draws; both return [`Action`]s instead of acting. The app
//! carries them out in one place ([`super::CoreMusicApp::apply`]), the only
//! place in the window that sends commands to the sound engine or opens
//! files.

use std::path::PathBuf;

use super::audio;
use super::commands::Command;
use super::FileEntry;
use crate::dsp::Render;
use crate::engine::PlayState;
use crate::midi::PlayerHandle;

/// What a panel's per-frame [`Panel::logic`] may read of the rest of the window.
pub struct PanelCtx<'a> {
    /// The egui context (to start background work that repaints when done).
    pub egui: &'a egui::Context,
    /// The file selected in the file list, if any.
    pub selected: Option<&'a FileEntry>,
    /// The sound engine's state, read only.
    pub audio: &'a audio::AudioLink,
}

/// The per-frame half of the panel contract, which the app runs for every
/// panel each frame whichever tab shows. (Each panel's `ui()` takes what it
/// draws from and also returns [`Action`]s; the app calls it for the tab shown.)
pub trait Panel {
    /// Polls the panel's background work and steps its state; returns what
    /// the app should do.
    fn logic(&mut self, ctx: &PanelCtx<'_>) -> Vec<Action>;
}

/// One thing a panel asks the app to do.
pub enum Action {
    /// Play `path` from `from_frame` (file frames), looping `looping` when set.
    PlayFile {
        /// The file.
        path: PathBuf,
        /// Where to start.
        from_frame: u64,
        /// The loop region, if looping.
        looping: Option<(u64, u64)>,
    },
    /// Play a MIDI player (already set to start at the piano roll's cursor)
    /// in place of whatever plays now.
    PlayMidi(Box<dyn Render>),
    /// Sound one key briefly (a click on the piano roll's keyboard, a drawn or
    /// moved note): `render` is a short player of that one note that ends by
    /// itself. Ignored while a MIDI song plays, so it never cuts the song off.
    Preview {
        /// MIDI channel 0–15.
        channel: u8,
        /// Key 0–127.
        key: u8,
        /// Velocity 1–127.
        velocity: u8,
        /// The note's player.
        render: Box<dyn Render>,
    },
    /// Stop the piano roll's MIDI player (its handle, which the panel gave
    /// up) and then whatever the engine plays, like [`Action::Stop`].
    StopMidi(Box<PlayerHandle>),
    /// Move the piano roll's playing MIDI player to `seconds` (song time):
    /// the panel owns the player, so [`super::CoreMusicApp::apply`] hands
    /// this back to it.
    SeekMidi(f64),
    /// Pause ↔ resume.
    TogglePause,
    /// Stop and forget the source.
    Stop,
    /// Move the play position (file frames).
    Seek(u64),
    /// Loop `[start, end)` or stop looping.
    SetLoop(Option<(u64, u64)>),
    /// Output gain, linear.
    SetGain(f32),
    /// Switch to another output device (by name; `sim` is the simulated one).
    OpenDevice(String),
    /// Frames per callback.
    SetBuffer(u32),
    /// Device sample rate.
    SetRate(u32),
    /// Busy work per callback in µs.
    SetDspLoad(u32),
    /// Clear the engine's statistics and the plots.
    ResetStats,
    /// Start the level meters again (integrated loudness, peak holds).
    ResetMeters,
    /// Run a command of the command table (a panel's button asks for what
    /// the menu and the shortcut do).
    Command(Command),
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::PlayFile { path, from_frame, looping } => f
                .debug_struct("PlayFile")
                .field("path", path)
                .field("from_frame", from_frame)
                .field("looping", looping)
                .finish(),
            Action::PlayMidi(_) => f.write_str("PlayMidi(..)"),
            Action::Preview { channel, key, velocity, .. } => f
                .debug_struct("Preview")
                .field("channel", channel)
                .field("key", key)
                .field("velocity", velocity)
                .finish_non_exhaustive(),
            Action::StopMidi(_) => f.write_str("StopMidi(..)"),
            Action::SeekMidi(x) => f.debug_tuple("SeekMidi").field(x).finish(),
            Action::TogglePause => f.write_str("TogglePause"),
            Action::Stop => f.write_str("Stop"),
            Action::Seek(x) => f.debug_tuple("Seek").field(x).finish(),
            Action::SetLoop(x) => f.debug_tuple("SetLoop").field(x).finish(),
            Action::SetGain(x) => f.debug_tuple("SetGain").field(x).finish(),
            Action::OpenDevice(x) => f.debug_tuple("OpenDevice").field(x).finish(),
            Action::SetBuffer(x) => f.debug_tuple("SetBuffer").field(x).finish(),
            Action::SetRate(x) => f.debug_tuple("SetRate").field(x).finish(),
            Action::SetDspLoad(x) => f.debug_tuple("SetDspLoad").field(x).finish(),
            Action::ResetStats => f.write_str("ResetStats"),
            Action::ResetMeters => f.write_str("ResetMeters"),
            Action::Command(c) => f.debug_tuple("Command").field(c).finish(),
        }
    }
}

impl super::CoreMusicApp {
    /// Carries out what a panel asked for: the one place in the window that
    /// sends commands to the sound engine.
    pub fn apply(&mut self, action: Action) {
        let audio = &mut self.audio;
        match action {
            Action::PlayFile { path, from_frame, looping } => {
                audio.looping = looping;
                audio.play_file(&path, from_frame);
            }
            Action::PlayMidi(render) => audio.play_render(render, audio::Playing::Midi),
            // A note preview must not cut off the song that is playing.
            Action::Preview { render, .. } => {
                if !(audio.state == PlayState::Playing && audio.playing == audio::Playing::Midi) {
                    audio.play_render(render, audio::Playing::Preview);
                }
            }
            Action::StopMidi(mut handle) => {
                handle.stop();
                audio.stop();
            }
            Action::SeekMidi(seconds) => self.midi.seek_player(seconds),
            Action::TogglePause => audio.toggle_pause(),
            Action::Stop => audio.stop(),
            Action::Seek(frame) => audio.seek(frame),
            Action::SetLoop(region) => audio.set_loop(region),
            Action::SetGain(gain) => audio.set_gain(gain),
            Action::OpenDevice(name) => audio.open_device(&name),
            Action::SetBuffer(frames) => audio.set_buffer(frames),
            Action::SetRate(rate) => audio.set_rate(rate),
            Action::SetDspLoad(us) => audio.set_dsp_load(us),
            Action::ResetStats => audio.reset_stats(),
            Action::ResetMeters => audio.reset_meters(),
            // Run once the panels have drawn (a command may open a dialog or switch tabs).
            Action::Command(c) => self.asked.push(c),
        }
    }
}
