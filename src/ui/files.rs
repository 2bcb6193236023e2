//! The file list on the left: every opened file with its state (reading,
//! ready, or the reason it cannot be read), one selected.

use std::path::PathBuf;

use super::action::Action;
use super::jobs::JobEvent;
use crate::io::FileInfo;

/// Where a file stands.
#[derive(Debug, Clone)]
pub enum FileState {
    /// Being read in the background.
    Reading,
    /// Read: what it is.
    Ready(Box<FileInfo>),
    /// Could not be read, and why.
    Failed(String),
}

/// One row of the list.
#[derive(Debug, Clone)]
pub struct FileEntry {
    /// Background job id.
    pub id: u64,
    /// The file.
    pub path: PathBuf,
    /// What is known.
    pub state: FileState,
}

impl FileEntry {
    /// The file name shown in the list.
    pub fn name(&self) -> String {
        self.path.file_name().map_or_else(|| self.path.display().to_string(), |n| n.to_string_lossy().into_owned())
    }
}

/// The list of opened files.
#[derive(Debug, Default)]
pub struct FileList {
    /// The rows, in the order opened.
    pub entries: Vec<FileEntry>,
    /// Index of the selected row.
    pub selected: Option<usize>,
}

impl FileList {
    /// Applies a background event.
    pub fn apply(&mut self, event: JobEvent) {
        match event {
            JobEvent::Queued { id, path } => {
                self.entries.push(FileEntry { id, path, state: FileState::Reading });
                if self.selected.is_none() {
                    self.selected = Some(self.entries.len() - 1);
                }
            }
            JobEvent::Probed { id, result } => {
                if let Some(e) = self.entries.iter_mut().find(|e| e.id == id) {
                    e.state = match *result {
                        Ok(info) => FileState::Ready(Box::new(info)),
                        Err(e) => FileState::Failed(e.error.to_string()),
                    };
                }
            }
            JobEvent::Problem(_) | JobEvent::Picked(_) | JobEvent::RecentGone(_) => {}
        }
    }

    /// The selected row.
    pub fn selected_entry(&self) -> Option<&FileEntry> {
        self.selected.and_then(|i| self.entries.get(i))
    }

    /// Moves the selection by `delta` rows.
    pub fn move_selection(&mut self, delta: i32) {
        if delta == 0 || self.entries.is_empty() {
            return;
        }
        let cur = self.selected.unwrap_or(0) as i64;
        self.selected = Some((cur + delta as i64).clamp(0, self.entries.len() as i64 - 1) as usize);
    }

    /// (ready, failed, reading) counts.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for e in &self.entries {
            match e.state {
                FileState::Ready(_) => c.0 += 1,
                FileState::Failed(_) => c.1 += 1,
                FileState::Reading => c.2 += 1,
            }
        }
        c
    }

    /// The per-frame work, run whichever tab shows. Nothing to poll: the probes'
    /// results come in through [`FileList::apply`], which the app calls with
    /// the job events. Returns what the
    /// app should do (nothing yet; the same contract as the other panels).
    pub fn logic(&mut self) -> Vec<Action> {
        Vec::new()
    }

    /// Draws the list; returns what the app should do (nothing yet: a click
    /// selects, which is the list's own state).
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Vec<Action> {
        self.draw(ui);
        Vec::new()
    }

    fn draw(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.strong("Files");
            if !self.entries.is_empty() && ui.small_button("Clear").clicked() {
                self.entries.clear();
                self.selected = None;
            }
        });
        ui.separator();
        if self.entries.is_empty() {
            ui.add_space(20.0);
            ui.vertical_centered(|ui| {
                let keys = super::commands::shortcut_text(ui.ctx(), super::Command::Open).unwrap_or_default();
                ui.label(format!("Drop audio files or folders here,\nor press {keys} to open."));
            });
            return;
        }
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            for (i, entry) in self.entries.iter().enumerate() {
                let (detail, color) = match &entry.state {
                    FileState::Reading => ("reading…".to_string(), ui.visuals().weak_text_color()),
                    FileState::Ready(info) => (
                        format!("{} · {} Hz · {} ch", info.codec, info.sample_rate, info.channels),
                        ui.visuals().weak_text_color(),
                    ),
                    FileState::Failed(_) => ("cannot be read".to_string(), ui.visuals().error_fg_color),
                };
                let selected = self.selected == Some(i);
                let text = egui::RichText::new(entry.name()).strong();
                let resp =
                    ui.add(egui::Button::selectable(selected, text).min_size(egui::vec2(ui.available_width(), 0.0)));
                let resp = resp.on_hover_text(entry.path.display().to_string());
                if resp.clicked() {
                    self.selected = Some(i);
                }
                ui.colored_label(color, detail);
                ui.add_space(4.0);
            }
        });
    }
}
