//! The piano roll's document: open, new, save, save as, render to WAV, the
//! unsaved-changes guard, and the background file work it polls each frame.

use super::io::IoEvent;
use super::*;

impl PianoRollPanel {
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

    pub(super) fn set_document(&mut self, mut seq: Sequence, path: Option<PathBuf>) {
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

    pub(super) fn close_window(&mut self, ctx: &egui::Context) {
        self.close_ok = true;
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }

    pub(super) fn request(&mut self, ctx: &egui::Context, p: Pending) {
        if self.is_dirty() {
            self.guard = Some(p);
        } else {
            self.perform(ctx, p);
        }
    }

    pub(super) fn perform(&mut self, ctx: &egui::Context, p: Pending) {
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

    pub(super) fn save(&mut self, ctx: &egui::Context, save_as: bool) {
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

    pub(super) fn start_render(&mut self, ctx: &egui::Context, path: PathBuf) {
        if self.render.is_some() {
            return;
        }
        self.status = Some((format!("Rendering {}…", file_name(&path)), false));
        let synth = self.synth();
        self.render = Some(self.io.render(ctx, self.playable_sequence(), path, 48_000, synth));
    }

    pub(super) fn poll_io(&mut self, ctx: &egui::Context) {
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
                            let cancelled = matches!(
                                e,
                                crate::midi::MidiError::Render { what: crate::midi::RenderError::Cancelled, .. }
                            );
                            (e.to_string(), !cancelled)
                        }
                    });
                }
            }
        }
    }
}
