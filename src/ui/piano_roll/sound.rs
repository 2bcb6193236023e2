//! The piano roll's sound: the synth (built-in or SoundFont, loaded in the
//! background), note previews, play and stop, and following the playhead.

use super::*;

impl PianoRollPanel {
    /// The synth playback and rendering use: the chosen SoundFont, or the built-in one.
    pub(super) fn synth(&self) -> Synth {
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
    pub(super) fn start_sound(&mut self, path: Option<PathBuf>) {
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

    pub(super) fn poll_sound(&mut self) {
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

    pub(super) fn sound_ui(&mut self, ui: &mut egui::Ui, ctx: &egui::Context) {
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

    pub(super) fn preview(&mut self, key: u8, velocity: u8) {
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
        self.actions.push(Action::Preview { channel, key, velocity, render: Box::new(player) });
    }

    /// Starts playing from the cursor: queues a [`Action::PlayMidi`].
    pub fn play(&mut self) {
        self.stop();
        let seq = self.playable_sequence();
        let (player, mut handle) = Player::new(&seq, self.synth());
        let map = seq.tempo_map();
        handle.seek(map.tick_to_seconds(self.cursor_tick));
        handle.play();
        self.playing = Some(Playing { handle, map, revision: self.editor.revision() });
        self.mix_changed = false;
        self.actions.push(Action::PlayMidi(Box::new(player)));
    }

    /// Stops playing: queues a [`Action::StopMidi`] with the player's
    /// handle when something played (the app stops both).
    pub fn stop(&mut self) {
        if let Some(p) = self.playing.take() {
            self.actions.push(Action::StopMidi(Box::new(p.handle)));
        }
    }

    /// Queues a [`Action::SeekMidi`] to the cursor when a song plays.
    pub(super) fn seek_to_cursor(&mut self) {
        if let Some(p) = &self.playing {
            self.actions.push(Action::SeekMidi(p.map.tick_to_seconds(self.cursor_tick)));
        }
    }

    /// Carries out an [`Action::SeekMidi`] (the app hands it back: the
    /// panel owns the player).
    pub fn seek_player(&mut self, seconds: f64) {
        if let Some(p) = self.playing.as_mut() {
            p.handle.seek(seconds);
        }
    }

    pub(super) fn follow_player(&mut self, ctx: &egui::Context) {
        let Some(p) = self.playing.as_mut() else { return };
        p.handle.free_retired();
        if p.handle.finished() {
            self.playing = None;
            self.actions.push(Action::Stop);
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
}
