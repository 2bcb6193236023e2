//! The MIDI tab: a piano roll in the manner of Logic or Ableton. A keyboard
//! on the left, a note grid with bars and beats from the sequence's time
//! signatures, a velocity lane below, a tracks list (add track, mute, solo,
//! GM program — adding a track and program changes are undoable)
//! and a toolbar (snap, quantize, transpose, undo/redo, open/save, render).
//! Notes are edited through [`crate::midi::Editor`], so every edit — a whole
//! drag included — is one undo step, and note ids keep the selection stable.
//!
//! The panel never touches a file or the sound device: files are read and
//! written on background threads (`io`), and playing is handed to the app as
//! a [`PianoRollAction`] carrying a `Box<dyn Render>` for the engine. The
//! panel keeps the [`PlayerHandle`] to follow the playhead.

mod geometry;
mod gm;
mod io;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use egui::{Align2, Color32, CursorIcon, FontId, Key, Modifiers, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};

use crate::dsp::Render;
use crate::midi::{
    Editor, EventKind, Note, NoteId, Player, PlayerHandle, Quantize, Sequence, SoundFontData, Synth, TempoMap, Track,
    DEFAULT_TEMPO_US,
};

pub use geometry::{grid_lines, is_black, key_name, LineKind, RollView, Snap, FALLBACK_TPQ};
pub use gm::{program_name, GM_PROGRAMS};
pub use io::RenderJob;

use io::{Io, IoEvent, Pick};

/// The shortest and tallest key row, in points (vertical zoom).
const MIN_ROW: f32 = 4.0;
const MAX_ROW: f32 = 40.0;

/// What the piano roll asks the app to do with the sound engine. The panel
/// never opens a device; the app routes these (one match arm each).
pub enum PianoRollAction {
    /// Play this producer (a [`Player`] of the current sequence, already set to
    /// play from the cursor) in place of whatever plays now.
    Play(Box<dyn Render>),
    /// Stop what [`PianoRollAction::Play`] started.
    Stop,
    /// Sound one key briefly (a click on the keyboard, a drawn or moved note):
    /// `render` is a short [`Player`] of that one note that ends by itself; mix
    /// it over the song or play it alone.
    Preview {
        /// MIDI channel 0–15.
        channel: u8,
        /// Key 0–127.
        key: u8,
        /// Velocity 1–127.
        velocity: u8,
        /// The producer that sounds it.
        render: Box<dyn Render>,
    },
}

impl std::fmt::Debug for PianoRollAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PianoRollAction::Play(_) => f.write_str("Play(..)"),
            PianoRollAction::Stop => f.write_str("Stop"),
            PianoRollAction::Preview { channel, key, velocity, .. } => f
                .debug_struct("Preview")
                .field("channel", channel)
                .field("key", key)
                .field("velocity", velocity)
                .finish_non_exhaustive(),
        }
    }
}

/// What a click on empty grid does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tool {
    /// Click selects, drag on empty grid draws a selection rectangle (double-click draws a note).
    #[default]
    Select,
    /// Click (or drag) on empty grid draws a note.
    Draw,
}

/// Mute and solo of one track (for playing only; not saved in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackMix {
    /// Silent while playing.
    pub mute: bool,
    /// When any track is soloed, only soloed tracks play.
    pub solo: bool,
}

/// A drag in progress.
#[derive(Debug, Clone)]
enum Drag {
    Move { anchor: NoteId, ids: Vec<NoteId>, orig_start: u64, orig_key: u8, grab_offset: f64, grab_row: f32 },
    Resize { anchor: NoteId, ids: Vec<NoteId> },
    Band { origin: Pos2, base: BTreeSet<NoteId>, now: Pos2 },
    Velocity { ids: Vec<NoteId> },
}

/// Something that would throw away unsaved changes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Open(PathBuf),
    New,
    /// The window is closing (Save / Discard / Cancel).
    Quit,
}

struct Playing {
    handle: PlayerHandle,
    map: TempoMap,
    revision: u64,
}

/// The MIDI tab's state (see the module docs).
pub struct PianoRollPanel {
    editor: Editor,
    path: Option<PathBuf>,
    saved_revision: u64,
    mix: Vec<TrackMix>,
    mix_changed: bool,
    current_track: usize,
    selection: BTreeSet<NoteId>,
    /// The snap grid for drawing, moving, resizing and quantizing.
    pub snap: Snap,
    /// What a click on empty grid does.
    pub tool: Tool,
    /// Quantize strength, 0.0–1.0.
    pub quantize_strength: f32,
    view: RollView,
    fit_pending: bool,
    drag: Option<Drag>,
    cursor_tick: u64,
    draw_length: Option<u64>,
    playing: Option<Playing>,
    io: Io,
    render: Option<RenderJob>,
    guard: Option<Pending>,
    queued: Vec<Pending>,
    /// The editor's revision when the load under way started: a file that
    /// arrives after edits made meanwhile does not replace them.
    loading_from: Option<u64>,
    /// The user answered the close question (Discard, or Save and it saved): the window may close.
    close_ok: bool,
    /// Close the window once the save under way has succeeded.
    close_after_save: bool,
    want_pick_open: bool,
    status: Option<(String, bool)>,
    actions: Vec<PianoRollAction>,
    /// The SoundFont chosen (loading or loaded); `None` plays the built-in synth.
    sound_path: Option<PathBuf>,
    sound: Option<SoundFontData>,
    sound_rx: Option<crossbeam_channel::Receiver<Result<(PathBuf, SoundFontData), String>>>,
}

impl std::fmt::Debug for PianoRollPanel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PianoRollPanel")
            .field("path", &self.path)
            .field("notes", &self.editor.sequence().note_count())
            .field("selection", &self.selection.len())
            .finish_non_exhaustive()
    }
}

impl Default for PianoRollPanel {
    fn default() -> Self {
        PianoRollPanel::new()
    }
}

/// A new document: one empty track at 480 ticks per quarter, 120 BPM, 4/4, piano.
pub fn new_sequence() -> Sequence {
    let mut seq = Sequence::new(480);
    let mut track = Track::new("Track 1", 0);
    track.program = Some(0);
    seq.tracks.push(track);
    seq.push_event(0, 0, EventKind::Tempo(DEFAULT_TEMPO_US));
    seq.push_event(
        0,
        0,
        EventKind::TimeSignature {
            numerator: 4,
            denominator_pow: 2,
            clocks_per_click: 24,
            thirty_seconds_per_quarter: 8,
        },
    );
    seq
}

fn is_midi_path(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        let e = e.to_ascii_lowercase();
        e == "mid" || e == "midi" || e == "rmi" || e == "kar"
    })
}

/// Whether the app should send `path` to the piano roll (a .mid/.midi/.rmi/.kar file).
pub fn is_midi_file(path: &Path) -> bool {
    is_midi_path(path)
}

impl PianoRollPanel {
    /// A panel with a new empty document ([`new_sequence`]).
    pub fn new() -> Self {
        let mut panel = PianoRollPanel {
            editor: Editor::new(Sequence::new(480)),
            path: None,
            saved_revision: 0,
            mix: Vec::new(),
            mix_changed: false,
            current_track: 0,
            selection: BTreeSet::new(),
            snap: Snap::default(),
            tool: Tool::default(),
            quantize_strength: 1.0,
            view: RollView::default(),
            fit_pending: true,
            drag: None,
            cursor_tick: 0,
            draw_length: None,
            playing: None,
            io: Io::default(),
            render: None,
            guard: None,
            loading_from: None,
            close_ok: false,
            close_after_save: false,
            queued: Vec::new(),
            want_pick_open: false,
            status: None,
            actions: Vec::new(),
            sound_path: None,
            sound: None,
            sound_rx: None,
        };
        panel.set_document(new_sequence(), None);
        panel
    }

    // ----- public state -----

    /// The editor holding the sequence and its undo history.
    pub fn editor(&self) -> &Editor {
        &self.editor
    }

    /// The selected notes, in id order.
    pub fn selection(&self) -> Vec<NoteId> {
        self.selection.iter().copied().collect()
    }

    /// Replaces the selection.
    pub fn select(&mut self, ids: &[NoteId]) {
        self.selection = ids.iter().copied().collect();
    }

    /// The geometry of the last frame (note ↔ screen mapping for tests and tools).
    pub fn view(&self) -> &RollView {
        &self.view
    }

    /// The file the document came from or was saved to.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Whether there are changes not saved yet.
    pub fn is_dirty(&self) -> bool {
        self.editor.revision() != self.saved_revision
    }

    /// True while a file is being read or written or a render runs.
    pub fn busy(&self) -> bool {
        self.io.busy()
    }

    /// The track new notes go to.
    pub fn current_track(&self) -> usize {
        self.current_track
    }

    /// The GM program each track plays (what will be saved).
    pub fn programs(&self) -> Vec<Option<u8>> {
        self.editor.sequence().tracks.iter().map(|t| t.program).collect()
    }

    /// Mute/solo per track.
    pub fn mix(&self) -> &[TrackMix] {
        &self.mix
    }

    /// Whether the "Discard changes?" question is showing.
    pub fn discard_question_open(&self) -> bool {
        self.guard.is_some()
    }

    /// The latest message (`true` when it is an error).
    pub fn status(&self) -> Option<(&str, bool)> {
        self.status.as_ref().map(|(s, e)| (s.as_str(), *e))
    }

    /// Where playing starts, in ticks.
    pub fn cursor_tick(&self) -> u64 {
        self.cursor_tick
    }

    /// Whether a [`PianoRollAction::Play`] is active (until Stop or the end).
    pub fn is_playing(&self) -> bool {
        self.playing.is_some()
    }

    /// The playhead in ticks while playing (from the player's position), `None` when stopped.
    pub fn playhead_tick(&self) -> Option<f64> {
        let p = self.playing.as_ref()?;
        Some(p.map.seconds_to_tick_f64(p.handle.position_s()))
    }

    /// A running render to WAV.
    pub fn render_job(&self) -> Option<&RenderJob> {
        self.render.as_ref()
    }

    fn tpq(&self) -> u16 {
        self.editor.sequence().timing.ticks_per_quarter().unwrap_or(FALLBACK_TPQ)
    }

    // ----- documents -----

    /// Opens a MIDI file (read in the background), asking first when there are unsaved changes.
    pub fn open_path(&mut self, path: PathBuf) {
        self.queued.push(Pending::Open(path));
    }

    /// Starts a new document, asking first when there are unsaved changes.
    pub fn new_document(&mut self) {
        self.queued.push(Pending::New);
    }

    /// Shows the open dialog (the app's ⌘O while this tab is showing).
    pub fn open_dialog(&mut self) {
        self.want_pick_open = true;
    }

    fn set_document(&mut self, mut seq: Sequence, path: Option<PathBuf>) {
        self.stop();
        if seq.tracks.is_empty() {
            seq.tracks.push(Track::new("Track 1", 0));
        }
        self.mix = vec![TrackMix::default(); seq.tracks.len()];
        self.current_track = seq.tracks.iter().position(|t| !t.notes.is_empty()).unwrap_or(0);
        self.editor = Editor::new(seq);
        self.saved_revision = self.editor.revision();
        self.path = path;
        self.selection.clear();
        self.drag = None;
        self.cursor_tick = 0;
        self.draw_length = None;
        self.fit_pending = true;
    }

    /// Asked by the app when the window is about to close: true when it may
    /// (nothing unsaved, or the user already answered). Otherwise the panel
    /// asks Save / Discard / Cancel and closes the window itself
    /// (`ViewportCommand::Close`) once the answer allows it; the app cancels
    /// this close request meanwhile.
    pub fn confirm_close(&mut self) -> bool {
        if self.close_ok || !self.is_dirty() {
            return true;
        }
        self.guard = Some(Pending::Quit);
        false
    }

    /// Whether the Save / Discard / Cancel question for closing the window is showing.
    pub fn close_question_open(&self) -> bool {
        self.guard == Some(Pending::Quit)
    }

    fn close_window(&mut self, ctx: &egui::Context) {
        self.close_ok = true;
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }

    fn request(&mut self, ctx: &egui::Context, p: Pending) {
        if self.is_dirty() {
            self.guard = Some(p);
        } else {
            self.perform(ctx, p);
        }
    }

    fn perform(&mut self, ctx: &egui::Context, p: Pending) {
        match p {
            Pending::Open(path) => {
                self.status = Some((format!("Reading {}…", file_name(&path)), false));
                self.loading_from = Some(self.editor.revision());
                self.io.load(ctx, path);
            }
            Pending::Quit => self.close_window(ctx),
            Pending::New => {
                self.set_document(new_sequence(), None);
                self.status = Some(("New sequence: 480 ticks per quarter, 120 BPM, 4/4".into(), false));
            }
        }
    }

    /// The sequence as it will be saved (notes, tracks and their programs, all edited through the editor).
    pub fn document(&self) -> Sequence {
        self.editor.sequence().clone()
    }

    /// The sequence as it plays: [`Self::document`] without muted (or un-soloed) tracks' notes.
    pub fn playable_sequence(&self) -> Sequence {
        let mut seq = self.document();
        let any_solo = self.mix.iter().any(|m| m.solo);
        for (t, m) in seq.tracks.iter_mut().zip(&self.mix) {
            if m.mute || (any_solo && !m.solo) {
                t.notes.clear();
            }
        }
        seq
    }

    fn save(&mut self, ctx: &egui::Context, save_as: bool) {
        match (&self.path, save_as) {
            (Some(path), false) => {
                let path = path.clone();
                self.io.save(ctx, self.document(), path, self.editor.revision());
            }
            _ => {
                let dir = self.path.as_ref().and_then(|p| p.parent().map(Path::to_path_buf));
                let name = self.path.as_deref().map(file_name).unwrap_or_else(|| "Untitled.mid".into());
                self.io.pick(ctx, Pick::SaveAs, dir, Some(name));
            }
        }
    }

    fn start_render(&mut self, ctx: &egui::Context, path: PathBuf) {
        if self.render.is_some() {
            return;
        }
        self.status = Some((format!("Rendering {}…", file_name(&path)), false));
        let synth = self.synth();
        self.render = Some(self.io.render(ctx, self.playable_sequence(), path, 48_000, synth));
    }

    fn poll_io(&mut self, ctx: &egui::Context) {
        for event in self.io.poll() {
            match event {
                IoEvent::Loaded { path, result } => match *result {
                    // Edited while it was read: the edits stay, the file is not opened.
                    Ok(_) if self.loading_from.take().is_some_and(|r| r != self.editor.revision()) => {
                        self.status = Some((
                            format!(
                                "{} was not opened: you edited while it was being read, and your edits are kept \
                                 (open it again to replace them)",
                                file_name(&path)
                            ),
                            true,
                        ));
                    }
                    Ok(seq) => {
                        let notes = seq.note_count();
                        let tracks = seq.tracks.len();
                        let warnings = seq.warnings.len();
                        let name = file_name(&path);
                        self.set_document(seq, Some(path));
                        let mut msg = format!("Opened {name}: {notes} notes in {tracks} tracks");
                        if warnings > 0 {
                            msg.push_str(&format!(" ({warnings} problems read around)"));
                        }
                        self.status = Some((msg, false));
                    }
                    Err(e) => self.status = Some((e, true)),
                },
                IoEvent::Saved { path, revision, result } => match result {
                    Ok(()) => {
                        if revision == self.editor.revision() {
                            self.saved_revision = revision;
                        }
                        self.status = Some((format!("Saved {}", file_name(&path)), false));
                        self.path = Some(path);
                        if std::mem::take(&mut self.close_after_save) && !self.is_dirty() {
                            self.close_window(ctx);
                        }
                    }
                    Err(e) => {
                        self.close_after_save = false;
                        self.status = Some((e, true));
                    }
                },
                IoEvent::Picked { purpose, path: Some(path) } => match purpose {
                    Pick::Open => self.request(ctx, Pending::Open(path)),
                    Pick::SaveAs => {
                        let path = if path.extension().is_none() { path.with_extension("mid") } else { path };
                        self.io.save(ctx, self.document(), path, self.editor.revision());
                    }
                    Pick::RenderWav => {
                        let path = if path.extension().is_none() { path.with_extension("wav") } else { path };
                        self.start_render(ctx, path);
                    }
                },
                IoEvent::Picked { path: None, purpose } => {
                    if purpose == Pick::SaveAs {
                        self.close_after_save = false;
                    }
                }
                IoEvent::Rendered { path, result } => {
                    self.render = None;
                    self.status = Some(match result {
                        Ok(stats) => (
                            format!(
                                "Rendered {}: {:.1} s at {} Hz, peak {:.1} dBFS",
                                file_name(&path),
                                stats.frames as f64 / f64::from(stats.sample_rate.max(1)),
                                stats.sample_rate,
                                20.0 * f64::from(stats.peak.max(1e-9)).log10()
                            ),
                            false,
                        ),
                        Err(e) => {
                            let failed = !e.ends_with(crate::midi::CANCELLED);
                            (e, failed)
                        }
                    });
                }
            }
        }
    }

    // ----- edits -----

    fn add_note_at(&mut self, tick: f64, key: u8) -> Option<NoteId> {
        let tpq = self.tpq();
        let start = self.snap.floor(tick, tpq);
        let len = self.draw_length.or(self.snap.ticks(tpq)).unwrap_or(u64::from(tpq) / 4).max(1);
        let track = self.current_track.min(self.editor.sequence().tracks.len().saturating_sub(1));
        match self.editor.add_note(track, start, len, key, 100) {
            Ok(id) => {
                self.selection = BTreeSet::from([id]);
                self.preview(key, 100);
                Some(id)
            }
            Err(e) => {
                self.status = Some((e.to_string(), true));
                None
            }
        }
    }

    /// Appends an empty track (piano) on the next free channel and makes it the
    /// current track; one undo step. Refused with a message when no channel is free.
    pub fn add_track(&mut self) {
        let Some(channel) = self.editor.free_channel() else {
            self.status =
                Some(("No free MIDI channel for a new track: all 15 melodic channels are in use".into(), true));
            return;
        };
        let n = self.editor.sequence().tracks.len();
        let mut track = Track::new(&format!("Track {}", n + 1), channel);
        track.program = Some(0);
        self.current_track = self.editor.add_track(track);
        self.mix.resize(self.editor.sequence().tracks.len(), TrackMix::default());
        self.status = Some((format!("Added Track {} on channel {}", n + 1, u16::from(channel) + 1), false));
    }

    fn delete_selection(&mut self) {
        let ids = self.selection();
        self.editor.delete(&ids);
        self.selection.clear();
    }

    fn targets(&self) -> Vec<NoteId> {
        if self.selection.is_empty() {
            self.editor
                .sequence()
                .tracks
                .get(self.current_track)
                .map(|t| t.notes.iter().map(|n| n.id).collect())
                .unwrap_or_default()
        } else {
            self.selection()
        }
    }

    /// Quantizes the selection (or the current track when nothing is selected)
    /// to the snap grid with [`Self::quantize_strength`].
    pub fn quantize(&mut self) {
        let Some(grid) = self.snap.ticks(self.tpq()) else {
            self.status = Some(("Choose a snap grid to quantize to".into(), true));
            return;
        };
        let ids = self.targets();
        let q = Quantize { grid, strength: f64::from(self.quantize_strength.clamp(0.0, 1.0)), swing: 0.0 };
        if let Err(e) = self.editor.quantize(&ids, q) {
            self.status = Some((e.to_string(), true));
        }
    }

    /// Transposes the selection (or the current track) by `semitones`.
    pub fn transpose(&mut self, semitones: i32) {
        let ids = self.targets();
        self.editor.transpose(&ids, semitones);
    }

    fn undo(&mut self) {
        self.drag = None;
        self.editor.undo();
        self.prune_selection();
    }

    fn redo(&mut self) {
        self.drag = None;
        self.editor.redo();
        self.prune_selection();
    }

    fn prune_selection(&mut self) {
        let ed = &self.editor;
        self.selection.retain(|id| ed.note(*id).is_some());
    }

    // ----- sound -----

    /// The synth playback and rendering use: the chosen SoundFont, or the built-in one.
    fn synth(&self) -> Synth {
        match &self.sound {
            Some(font) => Synth::soundfont(font.clone()),
            None => Synth::builtin(),
        }
    }

    /// The SoundFont chosen (still loading or loaded), if any.
    pub fn soundfont_path(&self) -> Option<&Path> {
        self.sound_path.as_deref()
    }

    /// True once the chosen SoundFont is loaded and plays.
    pub fn soundfont_loaded(&self) -> bool {
        self.sound.is_some()
    }

    /// Plays and renders with the built-in synth again.
    pub fn use_builtin_synth(&mut self) {
        self.sound_path = None;
        self.sound = None;
        self.sound_rx = None;
    }

    /// Loads a .sf2 file in the background; playback and rendering use it once loaded.
    pub fn load_soundfont(&mut self, path: PathBuf) {
        self.start_sound(Some(path));
    }

    /// `Some(path)` loads it; `None` asks the user for one first (native dialog).
    fn start_sound(&mut self, path: Option<PathBuf>) {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.sound_rx = Some(rx);
        if let Some(p) = &path {
            self.sound_path = Some(p.clone());
        }
        let _ = std::thread::Builder::new().name("coremusic-soundfont".into()).spawn(move || {
            let path = match path {
                Some(p) => p,
                None => match rfd::FileDialog::new()
                    .set_title("Choose a SoundFont")
                    .add_filter("SoundFont 2", &["sf2"])
                    .pick_file()
                {
                    Some(p) => p,
                    None => return,
                },
            };
            let _ = tx.send(SoundFontData::load(&path).map(|d| (path, d)).map_err(|e| e.to_string()));
        });
    }

    fn poll_sound(&mut self) {
        let Some(rx) = &self.sound_rx else { return };
        match rx.try_recv() {
            Ok(Ok((path, data))) => {
                self.status = Some((format!("Playing with the SoundFont {}", file_name(&path)), false));
                self.sound_path = Some(path);
                self.sound = Some(data);
                self.sound_rx = None;
            }
            Ok(Err(e)) => {
                self.status = Some((e, true));
                self.use_builtin_synth();
            }
            Err(crossbeam_channel::TryRecvError::Empty) => {}
            // The dialog was closed without a choice: keep what was there.
            Err(crossbeam_channel::TryRecvError::Disconnected) => self.sound_rx = None,
        }
    }

    fn sound_ui(&mut self, ui: &mut egui::Ui, ctx: &egui::Context) {
        let current = match (&self.sound_path, &self.sound) {
            (Some(p), Some(_)) => format!("SoundFont: {}", file_name(p)),
            (Some(p), None) => format!("Loading {}…", file_name(p)),
            _ => "Built-in synth".to_string(),
        };
        let mut builtin = false;
        let mut choose = false;
        egui::ComboBox::from_id_salt("midi_sound")
            .selected_text(current)
            .show_ui(ui, |ui| {
                builtin = ui.selectable_label(self.sound_path.is_none(), "Built-in synth").clicked();
                choose = ui.button("Choose SoundFont (.sf2)…").clicked();
            })
            .response
            .accessible_name("Sound")
            .on_hover_text("What plays and renders the notes (remembered between runs)");
        if builtin {
            self.use_builtin_synth();
        }
        if choose {
            self.start_sound(None);
            ctx.request_repaint();
        }
        if self.sound_rx.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
    }

    // ----- playing -----

    fn preview(&mut self, key: u8, velocity: u8) {
        let track = self.editor.sequence().tracks.get(self.current_track);
        let channel = track.map_or(0, |t| t.channel);
        let program = track.and_then(|t| t.program);
        let mut seq = Sequence::new(480);
        let mut t = Track::new("", channel);
        t.program = program;
        seq.tracks.push(t);
        seq.push_note(0, 0, 240, key, velocity);
        let (player, mut handle) = Player::new(&seq, self.synth());
        handle.play();
        self.actions.push(PianoRollAction::Preview { channel, key, velocity, render: Box::new(player) });
    }

    /// Starts playing from the cursor: queues a [`PianoRollAction::Play`].
    pub fn play(&mut self) {
        self.stop();
        let seq = self.playable_sequence();
        let (player, mut handle) = Player::new(&seq, self.synth());
        let map = seq.tempo_map();
        handle.seek(map.tick_to_seconds(self.cursor_tick));
        handle.play();
        self.playing = Some(Playing { handle, map, revision: self.editor.revision() });
        self.mix_changed = false;
        self.actions.push(PianoRollAction::Play(Box::new(player)));
    }

    /// Stops playing: queues a [`PianoRollAction::Stop`] when something played.
    pub fn stop(&mut self) {
        if let Some(mut p) = self.playing.take() {
            p.handle.stop();
            self.actions.push(PianoRollAction::Stop);
        }
    }

    fn follow_player(&mut self, ctx: &egui::Context) {
        let Some(p) = self.playing.as_mut() else { return };
        p.handle.free_retired();
        if p.handle.finished() {
            self.playing = None;
            self.actions.push(PianoRollAction::Stop);
            return;
        }
        if p.revision != self.editor.revision() || self.mix_changed {
            p.revision = self.editor.revision();
            self.mix_changed = false;
            let seq = self.playable_sequence();
            if let Some(p) = self.playing.as_mut() {
                p.handle.load(&seq);
            }
        }
        if let Some(tick) = self.playhead_tick() {
            let x = self.view.tick_to_x(tick);
            if self.drag.is_none()
                && self.view.grid.width() > 0.0
                && (x > self.view.grid.right() - 8.0 || x < self.view.grid.left())
            {
                let (a, b) = self.view.visible_ticks();
                self.view.scroll_tick = (tick - (b - a) * 0.05).max(0.0);
            }
        }
        ctx.request_repaint();
    }

    // ----- the frame -----

    /// Draws the tab and returns what the app must route to the sound engine.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Vec<PianoRollAction> {
        let ctx = ui.ctx().clone();
        self.poll_io(&ctx);
        self.poll_sound();
        for p in std::mem::take(&mut self.queued) {
            self.request(&ctx, p);
        }
        if std::mem::take(&mut self.want_pick_open) {
            let dir = self.path.as_ref().and_then(|p| p.parent().map(Path::to_path_buf));
            self.io.pick(&ctx, Pick::Open, dir, None);
        }
        let n = self.editor.sequence().tracks.len();
        self.mix.resize(n, TrackMix::default());
        self.current_track = self.current_track.min(n.saturating_sub(1));

        if self.guard.is_none() {
            self.shortcuts(&ctx);
        }
        egui::Panel::top("midi_toolbar").show(ui, |ui| self.toolbar(ui));
        egui::Panel::bottom("midi_status").show(ui, |ui| self.status_bar(ui));
        egui::Panel::left("midi_tracks").resizable(true).default_size(210.0).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| self.tracks_list(ui));
        });
        self.roll(ui);
        self.follow_player(&ctx);
        self.discard_modal(&ctx);
        std::mem::take(&mut self.actions)
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let cmd = Modifiers::COMMAND;
        let shortcut = |m: Modifiers, k: Key| egui::KeyboardShortcut::new(m, k);
        let consume = |s: egui::KeyboardShortcut| ctx.input_mut(|i| i.consume_shortcut(&s));
        if consume(shortcut(cmd | Modifiers::SHIFT, Key::Z)) || consume(shortcut(cmd, Key::Y)) {
            self.redo();
        }
        if consume(shortcut(cmd, Key::Z)) {
            self.undo();
        }
        if consume(shortcut(cmd | Modifiers::SHIFT, Key::S)) {
            self.save(ctx, true);
        }
        if consume(shortcut(cmd, Key::S)) {
            self.save(ctx, false);
        }
        if consume(shortcut(cmd, Key::N)) {
            self.queued.push(Pending::New);
        }
        if consume(shortcut(cmd, Key::A)) {
            self.selection = self.editor.sequence().tracks.iter().flat_map(|t| t.notes.iter().map(|n| n.id)).collect();
        }
        let (del, space, zin, zout, esc, up, down, left, right, shift, events) = ctx.input(|i| {
            (
                i.key_pressed(Key::Delete) || i.key_pressed(Key::Backspace),
                i.key_pressed(Key::Space),
                i.key_pressed(Key::Plus) || i.key_pressed(Key::Equals),
                i.key_pressed(Key::Minus),
                i.key_pressed(Key::Escape),
                i.key_pressed(Key::ArrowUp),
                i.key_pressed(Key::ArrowDown),
                i.key_pressed(Key::ArrowLeft),
                i.key_pressed(Key::ArrowRight),
                i.modifiers.shift,
                i.events.clone(),
            )
        });
        if del && !self.selection.is_empty() {
            self.delete_selection();
        }
        if space {
            if self.playing.is_some() {
                self.stop();
            } else {
                self.play();
            }
        }
        if zin {
            self.zoom_x(1.25, None);
        }
        if zout {
            self.zoom_x(0.8, None);
        }
        if esc {
            self.selection.clear();
        }
        if !self.selection.is_empty() {
            let step = if shift { 12 } else { 1 };
            if up {
                self.transpose(step);
            }
            if down {
                self.transpose(-step);
            }
            let grid = self.snap.ticks(self.tpq()).unwrap_or(u64::from(self.tpq()) / 4).max(1) as i64;
            let ids = self.selection();
            if left {
                self.editor.move_notes(&ids, -grid, 0);
            }
            if right {
                self.editor.move_notes(&ids, grid, 0);
            }
        }
        for e in events {
            match e {
                egui::Event::Copy => self.editor.copy(&self.selection()),
                egui::Event::Cut => {
                    self.editor.copy(&self.selection());
                    self.delete_selection();
                }
                egui::Event::Paste(_) if self.editor.has_clipboard() => {
                    match self.editor.paste(self.current_track, self.cursor_tick) {
                        Ok(ids) => self.selection = ids.into_iter().collect(),
                        Err(e) => self.status = Some((e.to_string(), true)),
                    }
                }
                _ => {}
            }
        }
    }

    fn toolbar(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        ui.horizontal_wrapped(|ui| {
            if ui.button("New").on_hover_text("A new empty sequence (⌘N)").clicked() {
                self.queued.push(Pending::New);
            }
            if ui.button("Open MIDI…").on_hover_text("Open a .mid file (⌘O), or drop one on the window").clicked() {
                self.want_pick_open = true;
            }
            if ui.button("Save").on_hover_text("Save (⌘S)").clicked() {
                self.save(&ctx, false);
            }
            if ui.button("Save As…").on_hover_text("Save to a new file (⇧⌘S)").clicked() {
                self.save(&ctx, true);
            }
            let can_render = self.render.is_none();
            if ui.add_enabled(can_render, egui::Button::new("Render to WAV…")).clicked() {
                let dir = self.path.as_ref().and_then(|p| p.parent().map(Path::to_path_buf));
                let name = self.path.as_ref().map(|p| p.with_extension("wav")).map(|p| file_name(&p));
                self.io.pick(&ctx, Pick::RenderWav, dir, Some(name.unwrap_or_else(|| "Untitled.wav".into())));
            }
            self.sound_ui(ui, &ctx);
            ui.separator();
            let undo = self.editor.undo_name().map_or("Undo".to_string(), |n| format!("Undo {n}"));
            if ui.add_enabled(self.editor.can_undo(), egui::Button::new(undo)).on_hover_text("⌘Z").clicked() {
                self.undo();
            }
            let redo = self.editor.redo_name().map_or("Redo".to_string(), |n| format!("Redo {n}"));
            if ui.add_enabled(self.editor.can_redo(), egui::Button::new(redo)).on_hover_text("⇧⌘Z").clicked() {
                self.redo();
            }
            ui.separator();
            if self.playing.is_some() {
                if ui.button("Stop").on_hover_text("Stop (space)").clicked() {
                    self.stop();
                }
            } else if ui.button("Play").on_hover_text("Play from the cursor (space)").clicked() {
                self.play();
            }
            ui.separator();
            ui.selectable_value(&mut self.tool, Tool::Select, "Select")
                .on_hover_text("Click selects; drag on empty grid selects a region; double-click draws");
            ui.selectable_value(&mut self.tool, Tool::Draw, "Draw")
                .on_hover_text("Click or drag on empty grid draws a note");
            ui.separator();
            egui::ComboBox::new("midi_snap", "Snap").width(64.0).selected_text(self.snap.label()).show_ui(ui, |ui| {
                for s in Snap::ALL {
                    ui.selectable_value(&mut self.snap, s, s.label());
                }
            });
            let can_q = self.snap != Snap::Off;
            if ui
                .add_enabled(can_q, egui::Button::new("Quantize"))
                .on_hover_text("Move the selected notes (or the whole track) toward the snap grid")
                .clicked()
            {
                self.quantize();
            }
            ui.spacing_mut().slider_width = 70.0;
            ui.add(egui::Slider::new(&mut self.quantize_strength, 0.0..=1.0).text("strength").fixed_decimals(2))
                .on_hover_text("How far quantize moves notes: 1 = onto the grid");
            ui.separator();
            ui.label("Transpose");
            for (label, by) in [("−12", -12), ("−1", -1), ("+1", 1), ("+12", 12)] {
                if ui.button(label).on_hover_text("Selected notes (or the whole track); ↑/↓, ⇧ for octaves").clicked()
                {
                    self.transpose(by);
                }
            }
            ui.separator();
            // The zoom controls wrap together: a new row when they do not fit.
            if ui.available_size_before_wrap().x < 300.0 {
                ui.end_row();
            }
            ui.label("Zoom");
            if ui.button("−").on_hover_text("Zoom out (−, or ⌘-scroll / pinch on the grid)").clicked() {
                self.zoom_x(0.8, None);
            }
            if ui.button("+").on_hover_text("Zoom in (+, or ⌘-scroll / pinch on the grid)").clicked() {
                self.zoom_x(1.25, None);
            }
            ui.label("Rows");
            let h = self.view.key_height;
            if ui
                .add_enabled(h > MIN_ROW, egui::Button::new("Shorter"))
                .on_hover_text("Shorter key rows (Cmd/Ctrl+Alt-scroll on the grid)")
                .clicked()
            {
                self.zoom_rows(0.8, None);
            }
            if ui
                .add_enabled(h < MAX_ROW, egui::Button::new("Taller"))
                .on_hover_text("Taller key rows (Cmd/Ctrl+Alt-scroll on the grid)")
                .clicked()
            {
                self.zoom_rows(1.25, None);
            }
        });
    }

    fn status_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let name = self.path.as_deref().map(file_name).unwrap_or_else(|| "Untitled".into());
            let dirty = if self.is_dirty() { " •" } else { "" };
            ui.strong(format!("{name}{dirty}"));
            let seq = self.editor.sequence();
            ui.label(format!("{} notes", seq.note_count()));
            if !self.selection.is_empty() {
                ui.label(format!("{} selected", self.selection.len()));
            }
            let tick = self.playhead_tick().map_or(self.cursor_tick, |t| t.max(0.0) as u64);
            ui.label(format!("at {}", self.bar_beat(tick)));
            if let Some(bpm) = seq.tempo_map().bpm_at(tick) {
                ui.label(format!("{bpm:.1} BPM"));
            }
            if self.io.busy() && self.render.is_none() {
                ui.spinner();
            }
            if let Some(job) = &self.render {
                ui.add(egui::ProgressBar::new(job.progress()).desired_width(140.0).show_percentage());
                if ui.button("Cancel").clicked() {
                    job.cancel();
                }
            }
            if let Some((msg, err)) = &self.status {
                if *err {
                    ui.colored_label(ui.visuals().error_fg_color, msg);
                } else {
                    ui.label(msg);
                }
            }
        });
    }

    /// "bar.beat.tick" of a tick (bars and beats from the time signatures).
    fn bar_beat(&self, tick: u64) -> String {
        let map = self.editor.sequence().tempo_map();
        let tpq = self.tpq();
        let lines = grid_lines(&map, tpq, 0.0, tick as f64, None, 100_000);
        let mut bar = 1;
        let mut beat = 1;
        let mut beat_tick = 0;
        for (t, k) in lines {
            match k {
                LineKind::Bar(n) => {
                    bar = n;
                    beat = 1;
                    beat_tick = t;
                }
                LineKind::Beat => {
                    beat += 1;
                    beat_tick = t;
                }
                LineKind::Sub => {}
            }
        }
        format!("{bar}.{beat}.{:03}", tick.saturating_sub(beat_tick))
    }

    fn tracks_list(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("Tracks");
            let free = self.editor.free_channel().is_some();
            let hint = if free {
                "A new empty track on the next free MIDI channel (undo removes it)"
            } else {
                "All 15 melodic channels are in use"
            };
            if ui.add_enabled(free, egui::Button::new("Add track")).on_hover_text(hint).clicked() {
                self.add_track();
            }
        });
        let seq = self.editor.sequence();
        let rows: Vec<(String, u8, usize)> = seq
            .tracks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let name = if t.name.trim().is_empty() { format!("Track {}", i + 1) } else { t.name.clone() };
                (name, t.channel, t.notes.len())
            })
            .collect();
        for (i, (name, channel, notes)) in rows.into_iter().enumerate() {
            ui.separator();
            ui.horizontal(|ui| {
                let (r, g, b) = track_rgb(i, ui.visuals().dark_mode);
                let (swatch, _) = ui.allocate_exact_size(Vec2::new(10.0, 16.0), Sense::hover());
                ui.painter().rect_filled(swatch, 2.0, Color32::from_rgb(r, g, b));
                if ui
                    .selectable_label(self.current_track == i, name)
                    .on_hover_text("New notes are drawn on this track")
                    .clicked()
                {
                    self.current_track = i;
                }
            });
            ui.horizontal(|ui| {
                if let Some(m) = self.mix.get_mut(i) {
                    if ui.toggle_value(&mut m.mute, "M").on_hover_text("Mute").changed() {
                        self.mix_changed = true;
                    }
                    if ui.toggle_value(&mut m.solo, "S").on_hover_text("Solo").changed() {
                        self.mix_changed = true;
                    }
                }
                ui.label(format!("ch {} · {notes} notes", u16::from(channel) + 1));
            });
            if channel == 9 {
                ui.label("Drums (channel 10)");
            } else if let Some(before) = self.editor.sequence().tracks.get(i).map(|t| t.program) {
                let mut program = before;
                let p = &mut program;
                let text = p.map_or("(no program)", program_name);
                let combo = egui::ComboBox::from_id_salt(("midi_program", i)).width(180.0).selected_text(text).show_ui(
                    ui,
                    |ui| {
                        for (n, name) in GM_PROGRAMS.iter().enumerate() {
                            ui.selectable_value(p, Some(n as u8), format!("{} {}", n + 1, name));
                        }
                    },
                );
                let enabled = ui.is_enabled();
                combo.response.widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::ComboBox, enabled, format!("Program of track {}", i + 1))
                });
                if program != before {
                    if let Err(e) = self.editor.set_program(i, program) {
                        self.status = Some((e.to_string(), true));
                    }
                }
            }
        }
    }

    fn discard_modal(&mut self, ctx: &egui::Context) {
        let Some(pending) = self.guard.clone() else { return };
        let name = self.path.as_deref().map(file_name).unwrap_or_else(|| "Untitled".into());
        let quitting = pending == Pending::Quit;
        #[derive(PartialEq)]
        enum Answer {
            Save,
            Discard,
            Cancel,
        }
        let mut choice = None;
        let modal = egui::Modal::new(egui::Id::unique("midi_discard")).show(ctx, |ui| {
            ui.set_width(340.0);
            if quitting {
                ui.heading("Save changes before closing?");
                ui.label(format!("{name} has changes that are not saved. They are lost if you close without saving."));
            } else {
                ui.heading("Discard changes?");
                ui.label(format!("{name} has changes that are not saved. They are lost if you go on."));
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if quitting && ui.button("Save").clicked() {
                    choice = Some(Answer::Save);
                }
                if ui.button("Discard").clicked() {
                    choice = Some(Answer::Discard);
                }
                if ui.button("Cancel").clicked() {
                    choice = Some(Answer::Cancel);
                }
            });
        });
        if modal.should_close() && choice.is_none() {
            choice = Some(Answer::Cancel);
        }
        match choice {
            Some(Answer::Save) => {
                self.guard = None;
                self.close_after_save = true;
                self.save(ctx, false);
            }
            Some(Answer::Discard) => {
                self.guard = None;
                self.perform(ctx, pending);
            }
            Some(Answer::Cancel) => self.guard = None,
            None => {}
        }
    }

    // ----- the roll widget -----

    fn zoom_x(&mut self, factor: f32, anchor_x: Option<f32>) {
        let tpq = f32::from(self.tpq());
        let x = anchor_x.unwrap_or(self.view.grid.left());
        let at = self.view.x_to_tick(x);
        self.view.px_per_tick = (self.view.px_per_tick * factor).clamp(2.0 / tpq, 1200.0 / tpq);
        self.view.scroll_tick = (at - f64::from(x - self.view.grid.left()) / f64::from(self.view.px_per_tick)).max(0.0);
    }

    /// Makes the key rows `factor` times taller (within 4–40 points), keeping
    /// the key at `anchor_y` (default: the grid's middle) where it is.
    pub fn zoom_rows(&mut self, factor: f32, anchor_y: Option<f32>) {
        if !factor.is_finite() || factor <= 0.0 {
            return;
        }
        let y = anchor_y.unwrap_or(self.view.grid.center().y);
        let at = self.view.y_to_key_f32(y);
        self.view.key_height = (self.view.key_height * factor).clamp(MIN_ROW, MAX_ROW);
        self.view.top_key = at + (y - self.view.grid.top()) / self.view.key_height;
        self.clamp_view();
    }

    fn fit(&mut self) {
        let seq = self.editor.sequence();
        let tpq = f64::from(self.tpq());
        let end = seq.tracks.iter().flat_map(|t| t.notes.iter().map(Note::end)).max().unwrap_or(0) as f64;
        let span = (end * 1.05).max(tpq * 16.0).min(tpq * 4.0 * 16.0);
        self.view.px_per_tick = ((f64::from(self.view.grid.width().max(100.0)) / span) as f32).max(0.001);
        self.view.scroll_tick = 0.0;
        let keys: Vec<u8> = seq.tracks.iter().flat_map(|t| t.notes.iter().map(|n| n.key)).collect();
        let (lo, hi) = match (keys.iter().min(), keys.iter().max()) {
            (Some(lo), Some(hi)) => (f32::from(*lo), f32::from(*hi) + 1.0),
            _ => (48.0, 84.0),
        };
        // Rows tall enough to read, short enough for the notes' range (plus a margin) to fit.
        let want = (hi - lo + 2.0).max(24.0);
        self.view.key_height = (self.view.grid.height() / want).clamp(7.0, 18.0);
        let rows = self.view.grid.height() / self.view.key_height;
        self.view.top_key = (lo + hi) / 2.0 + rows / 2.0;
    }

    fn clamp_view(&mut self) {
        let rows = self.view.grid.height() / self.view.key_height.max(1.0);
        self.view.top_key = self.view.top_key.min(128.0).max(rows.min(128.0));
        if !self.view.scroll_tick.is_finite() || self.view.scroll_tick < 0.0 {
            self.view.scroll_tick = 0.0;
        }
    }

    /// The note under `pos` (notes of the current track first) and whether `pos` is on its right edge.
    fn hit(&self, pos: Pos2) -> Option<(NoteId, bool)> {
        if !self.view.grid.contains(pos) {
            return None;
        }
        let key = self.view.y_to_key(pos.y)?;
        let seq = self.editor.sequence();
        let order =
            std::iter::once(self.current_track).chain((0..seq.tracks.len()).filter(|t| *t != self.current_track));
        for ti in order {
            let Some(t) = seq.tracks.get(ti) else { continue };
            for n in t.notes.iter().rev().filter(|n| n.key == key) {
                let r = self.view.note_rect(n);
                if r.contains(pos) {
                    let edge = pos.x >= r.right() - (r.width() * 0.3).min(6.0);
                    return Some((n.id, edge));
                }
            }
        }
        None
    }

    fn roll(&mut self, ui: &mut egui::Ui) {
        let avail = ui.available_rect_before_wrap();
        ui.allocate_rect(avail, Sense::hover());
        let kb_w = 58.0;
        let ruler_h = 22.0;
        let vel_h = if avail.height() > 320.0 { 80.0 } else { 44.0 };
        let gap = 6.0;
        let left = avail.left() + kb_w;
        self.view.ruler =
            Rect::from_min_max(Pos2::new(left, avail.top()), Pos2::new(avail.right(), avail.top() + ruler_h));
        let grid_bottom = (avail.bottom() - vel_h - gap).max(avail.top() + ruler_h + 20.0);
        self.view.grid =
            Rect::from_min_max(Pos2::new(left, avail.top() + ruler_h), Pos2::new(avail.right(), grid_bottom));
        self.view.keyboard =
            Rect::from_min_max(Pos2::new(avail.left(), self.view.grid.top()), Pos2::new(left, grid_bottom));
        self.view.velocity = Rect::from_min_max(
            Pos2::new(left, grid_bottom + gap),
            Pos2::new(avail.right(), avail.bottom().max(grid_bottom + gap + 10.0)),
        );
        if self.fit_pending && self.view.grid.width() > 10.0 {
            self.fit_pending = false;
            self.fit();
        }
        self.clamp_view();

        // Zoom and scroll over the roll: ⌘-scroll / pinch zooms time, ⌘⌥-scroll the rows.
        let (zoom, scroll, hover, alt) =
            ui.input(|i| (i.zoom_delta_2d(), i.smooth_scroll_delta(), i.pointer.hover_pos(), i.modifiers.alt));
        if let Some(h) = hover.filter(|h| avail.contains(*h)) {
            if zoom.x != 1.0 {
                self.zoom_x(zoom.x, Some(h.x.max(self.view.grid.left())));
            }
            if alt && zoom.y != 1.0 {
                self.zoom_rows(zoom.y, Some(h.y.clamp(self.view.grid.top(), self.view.grid.bottom())));
            }
            if scroll != Vec2::ZERO {
                self.view.scroll_tick -= f64::from(scroll.x) / f64::from(self.view.px_per_tick.max(1e-6));
                self.view.top_key += scroll.y / self.view.key_height.max(1.0);
                self.clamp_view();
            }
        }

        let id = ui.scope_id().with("piano_roll");
        let grid_resp = ui.interact(self.view.grid, id.with("grid"), Sense::click_and_drag());
        let kb_resp = ui.interact(self.view.keyboard, id.with("keys"), Sense::click());
        let ruler_resp = ui.interact(self.view.ruler, id.with("ruler"), Sense::click_and_drag());
        let vel_resp = ui.interact(self.view.velocity, id.with("velocity"), Sense::click_and_drag());
        let mods = ui.input(|i| i.modifiers);

        self.grid_input(ui, &grid_resp, mods);
        self.velocity_input(ui, &vel_resp);
        if kb_resp.hovered() && ui.input(|i| i.pointer.primary_pressed()) {
            if let Some(key) = kb_resp.hover_pos().and_then(|p| self.view.y_to_key(p.y)) {
                self.preview(key, 100);
            }
        }
        if ruler_resp.clicked() || ruler_resp.dragged() {
            if let Some(p) = ruler_resp.interact_pointer_pos() {
                self.cursor_tick = self.snap.round(self.view.x_to_tick(p.x), self.tpq());
                if let Some(pl) = self.playing.as_mut() {
                    pl.handle.seek(pl.map.tick_to_seconds(self.cursor_tick));
                }
            }
        }
        // A drag whose release we never saw (pointer left the window) ends here.
        if self.drag.is_some() && !ui.input(|i| i.pointer.any_down()) {
            self.end_drag();
        }

        let painter = ui.painter_at(avail);
        self.paint_grid(ui, &painter);
        self.paint_notes(ui, &painter);
        self.paint_keyboard(ui, &painter);
        self.paint_ruler(ui, &painter);
        self.paint_velocity(ui, &painter);
    }

    fn end_drag(&mut self) {
        match self.drag.take() {
            Some(Drag::Resize { anchor, .. }) => {
                self.draw_length = self.editor.note(anchor).map(|(_, n)| n.length);
                self.editor.end_group();
            }
            Some(Drag::Move { .. }) | Some(Drag::Velocity { .. }) => self.editor.end_group(),
            Some(Drag::Band { .. }) | None => {}
        }
    }

    fn grid_input(&mut self, ui: &egui::Ui, resp: &egui::Response, mods: Modifiers) {
        let tpq = self.tpq();
        if let Some(h) = resp.hover_pos() {
            let icon = match self.hit(h) {
                Some((_, true)) => CursorIcon::ResizeHorizontal,
                Some((_, false)) => CursorIcon::Grab,
                None if self.tool == Tool::Draw => CursorIcon::Crosshair,
                None => CursorIcon::Default,
            };
            if self.drag.is_none() {
                ui.ctx().set_cursor_icon(icon);
            }
        }
        if resp.double_clicked() {
            if let Some(p) = resp.interact_pointer_pos() {
                if self.hit(p).is_none() {
                    if let Some(key) = self.view.y_to_key(p.y) {
                        self.add_note_at(self.view.x_to_tick(p.x), key);
                    }
                }
            }
        } else if resp.clicked() {
            if let Some(p) = resp.interact_pointer_pos() {
                match self.hit(p) {
                    Some((id, _)) => {
                        if mods.shift || mods.command {
                            if !self.selection.remove(&id) {
                                self.selection.insert(id);
                            }
                        } else {
                            self.selection = BTreeSet::from([id]);
                        }
                        if let Some((track, n)) = self.editor.note(id) {
                            let (k, v) = (n.key, n.velocity);
                            // Clicking a note makes its track the one drawn on (and previewed with).
                            self.current_track = track;
                            self.preview(k, v);
                        }
                    }
                    None => {
                        self.cursor_tick = self.snap.floor(self.view.x_to_tick(p.x), tpq);
                        if self.tool == Tool::Draw {
                            if let Some(key) = self.view.y_to_key(p.y) {
                                self.add_note_at(self.view.x_to_tick(p.x), key);
                            }
                        } else if !mods.shift {
                            self.selection.clear();
                        }
                    }
                }
            }
        }
        if resp.drag_started() {
            let origin = ui.input(|i| i.pointer.press_origin()).or(resp.interact_pointer_pos());
            if let Some(o) = origin {
                self.start_drag(o, mods);
            }
        }
        if resp.dragged() {
            if let Some(p) = resp.interact_pointer_pos() {
                self.update_drag(p);
            }
        }
        if resp.drag_stopped() {
            self.end_drag();
        }
    }

    fn start_drag(&mut self, o: Pos2, mods: Modifiers) {
        self.end_drag();
        match self.hit(o) {
            Some((id, edge)) => {
                if !self.selection.contains(&id) {
                    if !mods.shift {
                        self.selection.clear();
                    }
                    self.selection.insert(id);
                }
                let ids = self.selection();
                if edge {
                    self.editor.begin_group("Resize");
                    self.drag = Some(Drag::Resize { anchor: id, ids });
                } else if let Some((_, n)) = self.editor.note(id) {
                    let (start, key) = (n.start, n.key);
                    self.editor.begin_group("Move");
                    self.drag = Some(Drag::Move {
                        anchor: id,
                        ids,
                        orig_start: start,
                        orig_key: key,
                        grab_offset: self.view.x_to_tick(o.x) - start as f64,
                        grab_row: self.view.y_to_key_f32(o.y).floor(),
                    });
                }
            }
            None if self.tool == Tool::Draw => {
                if let Some(key) = self.view.y_to_key(o.y) {
                    self.editor.begin_group("Add note");
                    match self.add_note_at(self.view.x_to_tick(o.x), key) {
                        Some(id) => self.drag = Some(Drag::Resize { anchor: id, ids: vec![id] }),
                        None => self.editor.end_group(),
                    }
                }
            }
            None => {
                let base = if mods.shift { self.selection.clone() } else { BTreeSet::new() };
                self.drag = Some(Drag::Band { origin: o, base, now: o });
            }
        }
    }

    fn update_drag(&mut self, p: Pos2) {
        let tpq = self.tpq();
        let Some(drag) = self.drag.as_mut() else { return };
        match drag {
            Drag::Move { anchor, ids, orig_start, orig_key, grab_offset, grab_row } => {
                let Some((_, n)) = self.editor.note(*anchor) else { return };
                let (cur_start, cur_key) = (n.start, n.key);
                let target_start = self.snap.round(self.view.x_to_tick(p.x) - *grab_offset, tpq);
                let rows = self.view.y_to_key_f32(p.y).floor() - *grab_row;
                let target_key = (i32::from(*orig_key) + rows as i32).clamp(0, 127);
                let dt = target_start as i64 - cur_start as i64;
                let dk = target_key - i32::from(cur_key);
                let _ = orig_start;
                if dt != 0 || dk != 0 {
                    let ids = ids.clone();
                    let anchor = *anchor;
                    self.editor.move_notes(&ids, dt, dk);
                    if dk != 0 {
                        if let Some((_, n)) = self.editor.note(anchor) {
                            let (k, v) = (n.key, n.velocity);
                            self.preview(k, v);
                        }
                    }
                }
            }
            Drag::Resize { anchor, ids } => {
                let Some((_, n)) = self.editor.note(*anchor) else { return };
                let (start, len) = (n.start, n.length);
                let min = self.snap.ticks(tpq).unwrap_or(1);
                let end = self.snap.round(self.view.x_to_tick(p.x), tpq);
                let new_len = end.saturating_sub(start).max(min);
                let delta = new_len as i64 - len as i64;
                if delta != 0 {
                    let ids = ids.clone();
                    self.editor.resize(&ids, delta);
                }
            }
            Drag::Band { origin, base, now } => {
                *now = p;
                let r = Rect::from_two_pos(*origin, p);
                let t0 = self.view.x_to_tick(r.left()).max(0.0) as u64;
                let t1 = (self.view.x_to_tick(r.right()).max(0.0) as u64).max(t0 + 1);
                let k_hi = self.view.y_to_key_f32(r.top()).floor().clamp(0.0, 127.0) as u8;
                let k_lo = self.view.y_to_key_f32(r.bottom()).floor().clamp(0.0, 127.0) as u8;
                let mut sel = base.clone();
                sel.extend(self.editor.select_region(None, t0..t1, k_lo..=k_hi));
                self.selection = sel;
            }
            Drag::Velocity { .. } => {}
        }
    }

    /// The note whose velocity bar is nearest `x` (selected notes first), within a few points.
    fn velocity_hit(&self, x: f32) -> Option<NoteId> {
        let mut best: Option<(f32, bool, NoteId)> = None;
        for t in &self.editor.sequence().tracks {
            for n in &t.notes {
                let d = (self.view.tick_to_x(n.start as f64) + 1.5 - x).abs();
                if d > 6.0 {
                    continue;
                }
                let sel = self.selection.contains(&n.id);
                let better = match best {
                    None => true,
                    Some((bd, bs, _)) => (sel && !bs) || (sel == bs && d < bd),
                };
                if better {
                    best = Some((d, sel, n.id));
                }
            }
        }
        best.map(|b| b.2)
    }

    fn velocity_input(&mut self, ui: &egui::Ui, resp: &egui::Response) {
        let value = |y: f32, r: Rect| -> u8 {
            let f = ((r.bottom() - 2.0 - y) / (r.height() - 4.0).max(1.0)).clamp(0.0, 1.0);
            (f * 127.0).round().clamp(1.0, 127.0) as u8
        };
        let r = self.view.velocity;
        if resp.clicked() || resp.drag_started() {
            let origin = if resp.drag_started() { ui.input(|i| i.pointer.press_origin()) } else { None };
            if let Some(p) = origin.or(resp.interact_pointer_pos()) {
                if let Some(id) = self.velocity_hit(p.x) {
                    let ids = if self.selection.contains(&id) { self.selection() } else { vec![id] };
                    self.editor.begin_group("Velocity");
                    self.editor.set_velocity(&ids, value(p.y, r));
                    if resp.drag_started() {
                        self.end_drag();
                        self.drag = Some(Drag::Velocity { ids });
                    } else {
                        self.editor.end_group();
                    }
                }
            }
        }
        if resp.dragged() {
            if let (Some(Drag::Velocity { ids }), Some(p)) = (self.drag.as_ref(), resp.interact_pointer_pos()) {
                let ids = ids.clone();
                self.editor.set_velocity(&ids, value(p.y, r));
            }
        }
        if resp.drag_stopped() && matches!(self.drag, Some(Drag::Velocity { .. })) {
            self.end_drag();
        }
    }

    // ----- painting -----

    fn paint_grid(&self, ui: &egui::Ui, painter: &egui::Painter) {
        let v = &self.view;
        let dark = ui.visuals().dark_mode;
        let c = Colors::new(dark);
        painter.rect_filled(v.grid, 0.0, c.white_row);
        let lo = v.y_to_key_f32(v.grid.bottom()).floor().clamp(0.0, 127.0) as u8;
        let hi = v.y_to_key_f32(v.grid.top()).floor().clamp(0.0, 127.0) as u8;
        for key in lo..=hi {
            let y = v.key_to_y(key);
            let row = Rect::from_min_max(Pos2::new(v.grid.left(), y), Pos2::new(v.grid.right(), y + v.key_height));
            if is_black(key) {
                painter.rect_filled(row, 0.0, c.black_row);
            }
            if key % 12 == 0 {
                painter.line_segment([row.left_bottom(), row.right_bottom()], Stroke::new(1.0, c.octave_line));
            } else if key % 12 == 5 {
                painter.line_segment([row.left_bottom(), row.right_bottom()], Stroke::new(1.0, c.sub_line));
            }
        }
        let (a, b) = v.visible_ticks();
        let tpq = self.tpq();
        let map = self.editor.sequence().tempo_map();
        let step = self.snap.ticks(tpq).filter(|s| *s as f32 * v.px_per_tick >= 6.0);
        for (tick, kind) in grid_lines(&map, tpq, a, b, step, 4000) {
            let x = v.tick_to_x(tick as f64);
            let (w, col) = match kind {
                LineKind::Bar(_) => (1.0, c.bar_line),
                LineKind::Beat => (1.0, c.beat_line),
                LineKind::Sub => (1.0, c.sub_line),
            };
            if matches!(kind, LineKind::Beat) && u64::from(tpq) as f32 * v.px_per_tick < 4.0 {
                continue;
            }
            painter.line_segment([Pos2::new(x, v.grid.top()), Pos2::new(x, v.grid.bottom())], Stroke::new(w, col));
        }
        // Cursor and playhead.
        let cx = v.tick_to_x(self.cursor_tick as f64);
        if v.grid.x_range().contains(cx) {
            painter.line_segment(
                [Pos2::new(cx, v.grid.top()), Pos2::new(cx, v.grid.bottom())],
                Stroke::new(1.0, c.cursor),
            );
        }
        if let Some(t) = self.playhead_tick() {
            let x = v.tick_to_x(t);
            if v.grid.x_range().contains(x) {
                painter.line_segment(
                    [Pos2::new(x, v.ruler.top()), Pos2::new(x, v.grid.bottom())],
                    Stroke::new(2.0, c.playhead),
                );
            }
        }
    }

    fn paint_notes(&self, ui: &egui::Ui, painter: &egui::Painter) {
        let v = &self.view;
        let dark = ui.visuals().dark_mode;
        let painter = painter.with_clip_rect(v.grid);
        let (a, b) = v.visible_ticks();
        let seq = self.editor.sequence();
        let order =
            (0..seq.tracks.len()).filter(|t| *t != self.current_track).chain(std::iter::once(self.current_track));
        let font = FontId::proportional((v.key_height - 3.0).clamp(8.0, 12.0));
        for ti in order {
            let Some(t) = seq.tracks.get(ti) else { continue };
            let current = ti == self.current_track;
            let (r, g, bl) = track_rgb(ti, dark);
            let stop = t.notes.partition_point(|n| (n.start as f64) < b);
            for n in t.notes.iter().take(stop) {
                if (n.end() as f64) < a {
                    continue;
                }
                let rect = v.note_rect(n);
                if !rect.intersects(v.grid) {
                    continue;
                }
                let selected = self.selection.contains(&n.id);
                let shade = 0.55 + 0.45 * f32::from(n.velocity) / 127.0;
                let scale = |x: u8| (f32::from(x) * shade).round().clamp(0.0, 255.0) as u8;
                let mut fill = Color32::from_rgb(scale(r), scale(g), scale(bl));
                if !current {
                    fill = fill.gamma_multiply(0.6);
                }
                let stroke = if selected {
                    Stroke::new(2.0, if dark { Color32::WHITE } else { Color32::BLACK })
                } else {
                    Stroke::new(1.0, Color32::from_black_alpha(if dark { 160 } else { 90 }))
                };
                if selected {
                    fill = if dark {
                        fill.lerp_to_gamma(Color32::WHITE, 0.55)
                    } else {
                        fill.lerp_to_gamma(Color32::BLACK, 0.35)
                    };
                }
                painter.rect(rect, 2.0, fill, stroke, StrokeKind::Inside);
                if rect.width() > 30.0 && v.key_height >= 10.0 {
                    painter.text(
                        Pos2::new(rect.left() + 3.0, rect.center().y),
                        Align2::LEFT_CENTER,
                        key_name(n.key),
                        font.clone(),
                        Color32::from_black_alpha(200),
                    );
                }
            }
        }
        if let Some(Drag::Band { origin, now, .. }) = &self.drag {
            let r = Rect::from_two_pos(*origin, *now);
            let sel = ui.visuals().selection.bg_fill;
            painter.rect(r, 0.0, sel.gamma_multiply(0.25), Stroke::new(1.0, sel), StrokeKind::Inside);
        }
    }

    fn paint_keyboard(&self, ui: &egui::Ui, painter: &egui::Painter) {
        let v = &self.view;
        let painter = painter.with_clip_rect(v.keyboard);
        let dark = ui.visuals().dark_mode;
        painter.rect_filled(v.keyboard, 0.0, Color32::from_gray(246));
        let lo = v.y_to_key_f32(v.keyboard.bottom()).floor().clamp(0.0, 127.0) as u8;
        let hi = v.y_to_key_f32(v.keyboard.top()).floor().clamp(0.0, 127.0) as u8;
        let font = FontId::proportional((v.key_height - 1.0).clamp(9.0, 11.0));
        let hover_key =
            ui.input(|i| i.pointer.hover_pos()).filter(|p| v.keyboard.contains(*p)).and_then(|p| v.y_to_key(p.y));
        for key in lo..=hi {
            let y = v.key_to_y(key);
            let row =
                Rect::from_min_max(Pos2::new(v.keyboard.left(), y), Pos2::new(v.keyboard.right(), y + v.key_height));
            if is_black(key) {
                let black = Rect::from_min_max(row.min, Pos2::new(row.left() + row.width() * 0.62, row.bottom()));
                let fill = if hover_key == Some(key) { Color32::from_gray(90) } else { Color32::from_gray(28) };
                painter.rect_filled(black, 1.0, fill);
            } else {
                if hover_key == Some(key) {
                    painter.rect_filled(row, 0.0, Color32::from_gray(215));
                }
                // A line between white keys where no black key sits between them (B–C, E–F) and at every C.
                if key % 12 == 0 || key % 12 == 5 {
                    painter.line_segment(
                        [row.left_bottom(), row.right_bottom()],
                        Stroke::new(1.0, Color32::from_gray(150)),
                    );
                } else {
                    painter.line_segment(
                        [Pos2::new(row.left() + row.width() * 0.62, row.bottom()), row.right_bottom()],
                        Stroke::new(1.0, Color32::from_gray(200)),
                    );
                }
            }
            if key % 12 == 0 && v.key_height >= 7.0 {
                painter.text(
                    Pos2::new(row.right() - 4.0, row.center().y),
                    Align2::RIGHT_CENTER,
                    key_name(key),
                    font.clone(),
                    Color32::from_gray(60),
                );
            }
        }
        let edge = if dark { Color32::from_gray(20) } else { Color32::from_gray(140) };
        painter.line_segment([v.keyboard.right_top(), v.keyboard.right_bottom()], Stroke::new(1.0, edge));
    }

    fn paint_ruler(&self, ui: &egui::Ui, painter: &egui::Painter) {
        let v = &self.view;
        let painter = painter.with_clip_rect(v.ruler);
        let visuals = ui.visuals();
        let c = Colors::new(visuals.dark_mode);
        painter.rect_filled(v.ruler, 0.0, visuals.faint_bg_color);
        let (a, b) = v.visible_ticks();
        let tpq = self.tpq();
        let map = self.editor.sequence().tempo_map();
        let lines = grid_lines(&map, tpq, a, b, None, 4000);
        // Label every bar, or every 2nd/4th... when bars are narrow.
        let bar_px = lines
            .iter()
            .filter_map(|(t, k)| matches!(k, LineKind::Bar(_)).then_some(*t))
            .collect::<Vec<_>>()
            .windows(2)
            .map(|w| (w[1] - w[0]) as f32 * v.px_per_tick)
            .next()
            .unwrap_or(100.0);
        let every = (40.0 / bar_px.max(1.0)).ceil().max(1.0) as u64;
        let every = every.next_power_of_two();
        for (tick, kind) in lines {
            let x = v.tick_to_x(tick as f64);
            match kind {
                LineKind::Bar(n) => {
                    painter.line_segment(
                        [Pos2::new(x, v.ruler.top() + 4.0), Pos2::new(x, v.ruler.bottom())],
                        Stroke::new(1.0, c.bar_line),
                    );
                    if (n - 1) % every == 0 {
                        painter.text(
                            Pos2::new(x + 3.0, v.ruler.center().y),
                            Align2::LEFT_CENTER,
                            n.to_string(),
                            FontId::proportional(12.0),
                            visuals.text_color(),
                        );
                    }
                }
                LineKind::Beat => {
                    if u64::from(tpq) as f32 * v.px_per_tick >= 8.0 {
                        painter.line_segment(
                            [Pos2::new(x, v.ruler.bottom() - 5.0), Pos2::new(x, v.ruler.bottom())],
                            Stroke::new(1.0, c.bar_line),
                        );
                    }
                }
                LineKind::Sub => {}
            }
        }
        let cx = v.tick_to_x(self.cursor_tick as f64);
        if v.ruler.x_range().contains(cx) {
            let y = v.ruler.bottom();
            painter.add(egui::Shape::convex_polygon(
                vec![Pos2::new(cx - 6.0, y - 9.0), Pos2::new(cx + 6.0, y - 9.0), Pos2::new(cx, y)],
                c.cursor,
                Stroke::NONE,
            ));
        }
        painter.line_segment([v.ruler.left_bottom(), v.ruler.right_bottom()], Stroke::new(1.0, c.bar_line));
    }

    fn paint_velocity(&self, ui: &egui::Ui, painter: &egui::Painter) {
        let v = &self.view;
        let painter = painter.with_clip_rect(v.velocity);
        let dark = ui.visuals().dark_mode;
        let c = Colors::new(dark);
        painter.rect_filled(v.velocity, 0.0, c.black_row);
        let full = Rect::from_min_max(Pos2::new(v.velocity.left() - 58.0, v.velocity.top()), v.velocity.max);
        let label_painter = ui.painter_at(full);
        label_painter.text(
            Pos2::new(full.left() + 4.0, full.center().y),
            Align2::LEFT_CENTER,
            "Velocity",
            FontId::proportional(11.0),
            ui.visuals().weak_text_color(),
        );
        let (a, b) = v.visible_ticks();
        let seq = self.editor.sequence();
        let h = (v.velocity.height() - 4.0).max(1.0);
        for (ti, t) in seq.tracks.iter().enumerate() {
            let (r, g, bl) = track_rgb(ti, dark);
            let current = ti == self.current_track;
            let stop = t.notes.partition_point(|n| (n.start as f64) < b);
            for n in t.notes.iter().take(stop).filter(|n| n.start as f64 >= a - 1.0) {
                let x = v.tick_to_x(n.start as f64);
                let top = v.velocity.bottom() - 2.0 - h * f32::from(n.velocity) / 127.0;
                let selected = self.selection.contains(&n.id);
                let mut col = Color32::from_rgb(r, g, bl);
                if !current {
                    col = col.gamma_multiply(0.45);
                }
                if selected {
                    col = if dark { Color32::WHITE } else { Color32::BLACK };
                }
                painter.line_segment(
                    [Pos2::new(x + 1.5, v.velocity.bottom() - 2.0), Pos2::new(x + 1.5, top)],
                    Stroke::new(3.0, col),
                );
                painter.circle_filled(Pos2::new(x + 1.5, top), 3.0, col);
            }
        }
    }
}

/// The colours of the grid for a theme.
struct Colors {
    white_row: Color32,
    black_row: Color32,
    bar_line: Color32,
    beat_line: Color32,
    sub_line: Color32,
    octave_line: Color32,
    cursor: Color32,
    playhead: Color32,
}

impl Colors {
    fn new(dark: bool) -> Self {
        if dark {
            Colors {
                white_row: Color32::from_gray(46),
                black_row: Color32::from_gray(36),
                bar_line: Color32::from_gray(110),
                beat_line: Color32::from_gray(72),
                sub_line: Color32::from_gray(56),
                octave_line: Color32::from_gray(84),
                cursor: Color32::from_rgb(120, 170, 255),
                playhead: Color32::from_rgb(255, 96, 64),
            }
        } else {
            Colors {
                white_row: Color32::from_gray(250),
                black_row: Color32::from_gray(232),
                bar_line: Color32::from_gray(130),
                beat_line: Color32::from_gray(190),
                sub_line: Color32::from_gray(218),
                octave_line: Color32::from_gray(170),
                cursor: Color32::from_rgb(30, 100, 220),
                playhead: Color32::from_rgb(220, 50, 30),
            }
        }
    }
}

/// A track's colour: distinct hues, brighter on dark backgrounds.
fn track_rgb(track: usize, dark: bool) -> (u8, u8, u8) {
    const DARK: [(u8, u8, u8); 8] = [
        (110, 200, 120),
        (100, 170, 250),
        (250, 170, 80),
        (220, 120, 220),
        (90, 210, 210),
        (240, 110, 110),
        (200, 200, 90),
        (160, 140, 250),
    ];
    const LIGHT: [(u8, u8, u8); 8] = [
        (60, 170, 80),
        (50, 120, 220),
        (230, 140, 40),
        (190, 80, 190),
        (30, 170, 170),
        (220, 70, 70),
        (170, 160, 40),
        (120, 100, 220),
    ];
    let table = if dark { &DARK } else { &LIGHT };
    table.get(track % table.len()).copied().unwrap_or((128, 128, 128))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}
