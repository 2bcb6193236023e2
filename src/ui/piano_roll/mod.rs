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
//! an [`Action`] carrying a `Box<dyn Render>` for the engine. The
//! panel keeps the [`PlayerHandle`] to follow the playhead.

mod chrome;
mod commands;
mod document;
mod edit;
mod geometry;
mod gm;
mod input;
mod io;
mod paint;
mod sound;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use egui::{Align2, Color32, CursorIcon, FontId, Key, Modifiers, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};

use super::action::Action;
use crate::midi::{
    Editor, EventKind, Note, NoteId, Player, PlayerHandle, Quantize, Sequence, SoundFontData, Synth, TempoMap, Track,
    DEFAULT_TEMPO_US,
};

pub use commands::RollZoom;
pub use geometry::{grid_lines, is_black, key_name, LineKind, RollView, Snap, FALLBACK_TPQ};
pub use gm::{program_name, GM_PROGRAMS};
pub use io::RenderJob;

use io::{Io, Pick};

/// The shortest and tallest key row, in points (vertical zoom).
const MIN_ROW: f32 = 4.0;
const MAX_ROW: f32 = 40.0;

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
    actions: Vec<Action>,
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

    /// Whether an [`Action::PlayMidi`] is active (until Stop or the end).
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

    pub(super) fn tpq(&self) -> u16 {
        self.editor.sequence().timing.ticks_per_quarter().unwrap_or(FALLBACK_TPQ)
    }

    /// The per-frame work, done whether or not the tab shows: background
    /// file work and synth loading are polled, queued requests carried out,
    /// the playhead followed. Returns what the app must carry out.
    pub fn logic(&mut self, ctx: &egui::Context) -> Vec<Action> {
        self.poll_io(ctx);
        self.poll_sound();
        for p in std::mem::take(&mut self.queued) {
            self.request(ctx, p);
        }
        if std::mem::take(&mut self.want_pick_open) {
            let dir = self.path.as_ref().and_then(|p| p.parent().map(Path::to_path_buf));
            self.io.pick(ctx, Pick::Open, dir, None);
        }
        self.follow_player(ctx);
        std::mem::take(&mut self.actions)
    }

    /// Draws the tab and returns what the app must carry out.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Vec<Action> {
        let ctx = ui.ctx().clone();
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
        self.discard_modal(&ctx);
        std::mem::take(&mut self.actions)
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

impl crate::ui::action::Panel for PianoRollPanel {
    fn logic(&mut self, ctx: &crate::ui::action::PanelCtx<'_>) -> Vec<Action> {
        PianoRollPanel::logic(self, ctx.egui)
    }
}
