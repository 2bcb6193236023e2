//! Plays a [`Sequence`] through a [`Synth`] as a [`Render`] producer. The
//! sequence is flattened off the audio thread into a [`Schedule`] (channel
//! messages at seconds); the audio thread walks it, splitting each block at
//! event offsets so every event lands on its own sample. Controls (play,
//! pause, stop, seek, loop, tempo scale, a new schedule after an edit) reach
//! it through an rtrb queue from a [`PlayerHandle`]; the playhead comes back
//! through atomics. Replaced schedules travel back on a second queue to be
//! freed off the audio thread. `render` never allocates, locks or blocks.
//!
//! Its work per call is bounded too, whatever the song: a seek restores the
//! nearest snapshot of a [`ChaseIndex`] built with the schedule and replays
//! fewer than [`CHASE_EVERY`](super::CHASE_EVERY) events (several seeks in
//! one call cost one chase), and at most [`MAX_EVENTS_PER_CALL`] events fire
//! per call — the rest fire in the next one, a few milliseconds late.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::dsp::Render;

use super::chase::{ChaseIndex, CHASE_EVERY};
use super::model::{EventKind, Sequence};
use super::synth::{soft_limit, Synth};
use super::tempo::TempoMap;

/// One channel message at a time on the song's timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScheduledEvent {
    /// Seconds from the start (at tempo scale 1).
    pub seconds: f64,
    /// Status (with channel) and two data bytes.
    pub message: [u8; 3],
}

/// A sequence flattened for playing.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Events in time order (note-offs before other events before note-ons at one time).
    pub events: Vec<ScheduledEvent>,
    /// The song's length in seconds (its last tick through the tempo map).
    pub duration_s: f64,
    /// The tempo map it was made with (for tick ↔ seconds of the playhead).
    pub tempo_map: TempoMap,
    /// Snapshots of the controller state for seeks, made with the events.
    pub chase: ChaseIndex,
}

impl Schedule {
    /// Flattens a sequence: notes, programs, controllers, bends and pressure
    /// of every track (format 2 patterns one after another).
    pub fn new(seq: &Sequence) -> Self {
        Self::with_chase_every(seq, CHASE_EVERY)
    }

    /// [`Schedule::new`] with a snapshot every `every` events (tests compare
    /// against `usize::MAX`: a seek replaying every earlier event).
    pub(crate) fn with_chase_every(seq: &Sequence, every: usize) -> Self {
        let map = seq.tempo_map();
        let offsets = seq.track_offsets();
        // (tick, class, index, message): class 0 note-off, 1 other, 2 note-on.
        let mut items: Vec<(u64, u8, usize, [u8; 3])> = Vec::with_capacity(seq.note_count() * 2 + 64);
        let mut end = 0u64;
        for (t, off) in seq.tracks.iter().zip(offsets) {
            if let Some(p) = t.program {
                items.push((off, 1, 0, [0xC0 | (t.channel & 15), p & 0x7F, 0]));
            }
            for (i, e) in t.events.iter().enumerate() {
                let tick = e.tick.saturating_add(off);
                let msg = match e.kind {
                    EventKind::Controller { channel, controller, value } => [0xB0 | (channel & 15), controller, value],
                    EventKind::Program { channel, program } => [0xC0 | (channel & 15), program, 0],
                    EventKind::PitchBend { channel, value } => {
                        let raw = (i32::from(value).clamp(-8192, 8191) + 8192) as u16;
                        [0xE0 | (channel & 15), (raw & 0x7F) as u8, (raw >> 7) as u8]
                    }
                    EventKind::ChannelAftertouch { channel, pressure } => [0xD0 | (channel & 15), pressure, 0],
                    EventKind::PolyAftertouch { channel, key, pressure } => [0xA0 | (channel & 15), key, pressure],
                    _ => continue,
                };
                items.push((tick, 1, i + 1, msg));
            }
            for n in &t.notes {
                let start = n.start.saturating_add(off);
                let stop = n.end().saturating_add(off);
                items.push((start, 2, 0, [0x90 | (n.channel & 15), n.key & 0x7F, n.velocity.clamp(1, 127)]));
                // A zero-length note still sounds briefly: its off comes after its on.
                let class = if n.length == 0 { 3 } else { 0 };
                items.push((stop, class, 0, [0x80 | (n.channel & 15), n.key & 0x7F, n.release_velocity & 0x7F]));
            }
            end = end.max(t.last_tick().saturating_add(off));
        }
        items.sort_by_key(|i| (i.0, i.1, i.2));
        let events: Vec<ScheduledEvent> = items
            .into_iter()
            .map(|(tick, _, _, message)| ScheduledEvent { seconds: map.tick_to_seconds(tick), message })
            .collect();
        let chase = ChaseIndex::new(&events, every);
        Schedule { events, duration_s: map.tick_to_seconds(end), tempo_map: map, chase }
    }
}

/// Events fired at most per [`Render::render`] call; more that are due wait
/// for the next call.
pub const MAX_EVENTS_PER_CALL: usize = 2048;

/// Transport state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Not playing; the position is at the start (or where a seek put it).
    Stopped,
    /// Playing.
    Playing,
    /// Not playing; the position is kept.
    Paused,
}

enum Command {
    Play,
    Pause,
    Stop,
    Seek(f64),
    Loop(Option<(f64, f64)>),
    TempoScale(f64),
    Load(Box<Schedule>),
}

/// What the audio thread tells the UI, lock-free.
#[derive(Debug, Default)]
struct Shared {
    position_bits: AtomicU64,
    playing: AtomicBool,
    finished: AtomicBool,
}

/// The control side of a [`Player`]: lives on the UI / worker thread.
pub struct PlayerHandle {
    commands: rtrb::Producer<Command>,
    retired: rtrb::Consumer<Box<Schedule>>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PlayerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlayerHandle").field("position_s", &self.position_s()).finish()
    }
}

impl PlayerHandle {
    fn send(&mut self, c: Command) -> bool {
        self.free_retired();
        self.commands.push(c).is_ok()
    }

    /// Starts or resumes. False when the control queue is full (try again next frame).
    pub fn play(&mut self) -> bool {
        self.send(Command::Play)
    }

    /// Pauses, keeping the position (sounding notes are released).
    pub fn pause(&mut self) -> bool {
        self.send(Command::Pause)
    }

    /// Stops and goes back to the start (all notes off).
    pub fn stop(&mut self) -> bool {
        self.send(Command::Stop)
    }

    /// Moves the playhead to `seconds` (at tempo scale 1); programs and controllers are chased.
    pub fn seek(&mut self, seconds: f64) -> bool {
        self.send(Command::Seek(if seconds.is_finite() { seconds.max(0.0) } else { 0.0 }))
    }

    /// Loops between two song times in seconds (`None` turns looping off).
    pub fn set_loop(&mut self, region: Option<(f64, f64)>) -> bool {
        let region = region.filter(|(a, b)| a.is_finite() && b.is_finite() && b > a && *a >= 0.0);
        self.send(Command::Loop(region))
    }

    /// Plays faster (> 1) or slower (< 1); clamped to 0.05–20.
    pub fn set_tempo_scale(&mut self, scale: f64) -> bool {
        let s = if scale.is_finite() { scale.clamp(0.05, 20.0) } else { 1.0 };
        self.send(Command::TempoScale(s))
    }

    /// Replaces what is played (after an edit), keeping the position.
    pub fn load(&mut self, seq: &Sequence) -> bool {
        self.send(Command::Load(Box::new(Schedule::new(seq))))
    }

    /// The playhead in song seconds.
    pub fn position_s(&self) -> f64 {
        f64::from_bits(self.shared.position_bits.load(Ordering::Relaxed))
    }

    /// Whether it is playing.
    pub fn is_playing(&self) -> bool {
        self.shared.playing.load(Ordering::Relaxed)
    }

    /// Whether playing reached the end of the song (and stopped).
    pub fn finished(&self) -> bool {
        self.shared.finished.load(Ordering::Relaxed)
    }

    /// Frees schedules the audio thread has finished with (called by every control method too).
    pub fn free_retired(&mut self) {
        while self.retired.pop().is_ok() {}
    }
}

/// Plays a schedule through a synth (see the module docs).
pub struct Player {
    synth: Synth,
    schedule: Box<Schedule>,
    commands: rtrb::Consumer<Command>,
    retired: rtrb::Producer<Box<Schedule>>,
    shared: Arc<Shared>,
    transport: Transport,
    position: f64,
    next: usize,
    looping: Option<(f64, f64)>,
    tempo_scale: f64,
    rate: u32,
    channels: usize,
    left: Vec<f32>,
    right: Vec<f32>,
    /// A seek is waiting for its chase (done once at the end of the commands).
    chase_pending: bool,
    /// Work of the last chase (messages sent + events looked at).
    chase_work: u64,
    /// Events that may still fire in this call.
    budget: usize,
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Player")
            .field("transport", &self.transport)
            .field("position", &self.position)
            .field("events", &self.schedule.events.len())
            .finish()
    }
}

impl Player {
    /// A stopped player for `seq` through `synth`, and its control handle.
    pub fn new(seq: &Sequence, synth: Synth) -> (Player, PlayerHandle) {
        let (ctx, crx) = rtrb::RingBuffer::new(256);
        let (rtx, rrx) = rtrb::RingBuffer::new(16);
        let shared = Arc::new(Shared::default());
        let player = Player {
            synth,
            schedule: Box::new(Schedule::new(seq)),
            commands: crx,
            retired: rtx,
            shared: shared.clone(),
            transport: Transport::Stopped,
            position: 0.0,
            next: 0,
            looping: None,
            tempo_scale: 1.0,
            rate: 0,
            channels: 2,
            left: Vec::new(),
            right: Vec::new(),
            chase_pending: false,
            chase_work: 0,
            budget: MAX_EVENTS_PER_CALL,
        };
        (player, PlayerHandle { commands: ctx, retired: rrx, shared })
    }

    /// The transport state.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The playhead in song seconds.
    pub fn position_s(&self) -> f64 {
        self.position
    }

    /// The song's length in seconds (at tempo scale 1).
    pub fn duration_s(&self) -> f64 {
        self.schedule.duration_s
    }

    /// Whether the synth has stopped sounding (`None` when it cannot tell).
    pub fn synth_idle(&self) -> Option<bool> {
        self.synth.is_idle()
    }

    /// The work the last seek's chase did on the audio thread: messages sent
    /// to the synth plus events looked at. Bounded by the chase index, not by
    /// the song's length (a measure for tests and profiling).
    pub fn last_chase_work(&self) -> u64 {
        self.chase_work
    }

    /// Events fired by the last [`Render::render`] call (at most [`MAX_EVENTS_PER_CALL`]).
    pub fn last_call_events(&self) -> usize {
        MAX_EVENTS_PER_CALL - self.budget
    }

    /// Plays `schedule` from now on (tests: a schedule with other snapshot spacing).
    #[cfg(test)]
    pub(crate) fn replace_schedule_for_test(&mut self, schedule: Schedule) {
        *self.schedule = schedule;
    }

    /// Moves to `seconds`; the chase (see [`Player::chase`]) follows once the
    /// commands of this call are handled.
    fn locate(&mut self, seconds: f64) {
        self.position = seconds;
        self.next = self.schedule.events.partition_point(|e| e.seconds < seconds);
        self.chase_pending = true;
    }

    /// Silences notes, resets the synth, then brings programs, controllers,
    /// RPN settings and bends to where they are at the playhead: the nearest
    /// snapshot before it plus the few events after that (bounded work).
    fn chase(&mut self) {
        self.chase_pending = false;
        self.synth.all_notes_off(true);
        self.synth.reset();
        let synth = &mut self.synth;
        let schedule = &self.schedule;
        self.chase_work = schedule.chase.chase(&schedule.events, self.next, &mut |s, a, b| synth.message(s, a, b));
    }

    fn handle_commands(&mut self) {
        // Bounded: a flood of commands cannot hold the audio thread.
        for _ in 0..64 {
            // A new schedule waits while the old ones cannot be handed back for freeing.
            if matches!(self.commands.peek(), Ok(Command::Load(_))) && self.retired.is_full() {
                break;
            }
            let Ok(c) = self.commands.pop() else { break };
            match c {
                Command::Play => {
                    if self.transport == Transport::Stopped && self.position >= self.schedule.duration_s {
                        self.locate(0.0);
                    }
                    self.transport = Transport::Playing;
                    self.shared.finished.store(false, Ordering::Relaxed);
                }
                Command::Pause => {
                    if self.transport == Transport::Playing {
                        self.transport = Transport::Paused;
                        self.synth.all_notes_off(false);
                    }
                }
                Command::Stop => {
                    self.transport = Transport::Stopped;
                    self.synth.all_notes_off(false);
                    self.position = 0.0;
                    self.next = 0;
                    self.shared.finished.store(false, Ordering::Relaxed);
                }
                Command::Seek(s) => self.locate(s),
                Command::Loop(r) => self.looping = r,
                Command::TempoScale(s) => self.tempo_scale = s,
                Command::Load(s) => {
                    // The old schedule is freed on the control side (room was checked above).
                    let old = std::mem::replace(&mut self.schedule, s);
                    if let Err(rtrb::PushError::Full(old)) = self.retired.push(old) {
                        std::mem::forget(old); // unreachable: a leak is better than a free here
                    }
                    self.synth.all_notes_off(false);
                    self.next = self.schedule.events.partition_point(|e| e.seconds < self.position);
                }
            }
        }
        // However many seeks came, one chase.
        if self.chase_pending {
            self.chase();
        }
    }

    /// Renders `frames` frames of stereo into `left`/`right`-sized chunks and
    /// interleaves them into `out`.
    fn render_block(&mut self, out: &mut [f32], frames: usize) {
        let spf = self.tempo_scale / f64::from(self.rate.max(1));
        let mut done = 0usize;
        while done < frames {
            let mut n = frames - done;
            if self.transport == Transport::Playing {
                // Fire what is due now, within this call's budget.
                while let Some(e) = self.schedule.events.get(self.next) {
                    if e.seconds > self.position + 1e-9 || self.budget == 0 {
                        break;
                    }
                    let [s, a, b] = e.message;
                    self.synth.message(s, a, b);
                    self.next += 1;
                    self.budget -= 1;
                }
                // Out of budget: render on to the end of the block; the events wait.
                let next_at = self.schedule.events.get(self.next).map(|e| e.seconds).filter(|_| self.budget > 0);
                let stop_at = match self.looping {
                    Some((_, end)) if end > self.position => end,
                    _ => self.schedule.duration_s,
                };
                let until = next_at.map_or(stop_at, |t| t.min(stop_at));
                let k = ((until - self.position) / spf).ceil().max(1.0);
                if k < n as f64 {
                    n = k as usize;
                }
            }
            let n = n.min(self.left.len()).min(self.right.len());
            if n == 0 {
                break;
            }
            let (l, r) = (&mut self.left[..n], &mut self.right[..n]);
            self.synth.render(l, r);
            let ch = self.channels.max(1);
            let dest = out.get_mut(done * ch..(done + n) * ch).unwrap_or(&mut []);
            for (i, frame) in dest.chunks_exact_mut(ch).enumerate() {
                let (a, b) =
                    (soft_limit(l.get(i).copied().unwrap_or(0.0)), soft_limit(r.get(i).copied().unwrap_or(0.0)));
                match frame {
                    [m] => *m = 0.5 * (a + b),
                    [x, y, rest @ ..] => {
                        *x = a;
                        *y = b;
                        rest.fill(0.0);
                    }
                    [] => {}
                }
            }
            done += n;
            if self.transport == Transport::Playing {
                self.position += n as f64 * spf;
                match self.looping {
                    Some((start, end)) if self.position >= end - 1e-9 && end > start => {
                        self.synth.all_notes_off(false);
                        self.position = start;
                        self.next = self.schedule.events.partition_point(|e| e.seconds < start);
                    }
                    _ if self.position >= self.schedule.duration_s && self.next >= self.schedule.events.len() => {
                        self.transport = Transport::Stopped;
                        self.synth.all_notes_off(false);
                        self.shared.finished.store(true, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
        }
    }
}

impl Render for Player {
    fn prepare(&mut self, sample_rate: u32, channels: usize, max_frames: usize) {
        self.synth.prepare(sample_rate);
        self.rate = sample_rate.max(1);
        self.channels = channels.max(1);
        let frames = max_frames.clamp(1, 1 << 16);
        self.left = vec![0.0; frames];
        self.right = vec![0.0; frames];
        if self.transport != Transport::Stopped || self.position > 0.0 {
            let at = self.position;
            self.locate(at);
            self.chase();
        }
    }

    fn render(&mut self, out: &mut [f32]) {
        self.budget = MAX_EVENTS_PER_CALL;
        self.handle_commands();
        let ch = self.channels.max(1);
        if self.left.is_empty() {
            out.fill(0.0);
            return;
        }
        let frames = out.len() / ch;
        let mut done = 0;
        while done < frames {
            let n = (frames - done).min(self.left.len());
            let Some(dest) = out.get_mut(done * ch..(done + n) * ch) else { break };
            self.render_block(dest, n);
            done += n;
        }
        if let Some(rest) = out.get_mut(frames * ch..) {
            rest.fill(0.0);
        }
        self.shared.position_bits.store(self.position.to_bits(), Ordering::Relaxed);
        self.shared.playing.store(self.transport == Transport::Playing, Ordering::Relaxed);
    }
}
