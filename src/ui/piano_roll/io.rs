//! Background work for the piano roll: reading and writing MIDI files, the
//! native file dialogs, and rendering to WAV (cancellable, with progress).
//! Each job runs on its own thread and sends one [`IoEvent`] back over a
//! channel, waking the UI. The UI thread never reads or writes a file.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_channel::{unbounded, Receiver, Sender};

use crate::midi::{read_smf, render_to_wav, write_smf, MidiError, RenderStats, Sequence, Synth};
use crate::ui::jobs::block_on;

/// Why a file dialog was shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Choose a MIDI file to open.
    Open,
    /// Choose where to save the MIDI file.
    SaveAs,
    /// Choose the WAV file to render to.
    RenderWav,
}

/// What a background job reports.
#[derive(Debug)]
pub enum IoEvent {
    /// A MIDI file was read (or why not).
    Loaded {
        /// The file.
        path: PathBuf,
        /// The sequence, or the error naming the file.
        result: Box<Result<Sequence, String>>,
    },
    /// A MIDI file was written (or why not).
    Saved {
        /// The file.
        path: PathBuf,
        /// The editor revision that was saved.
        revision: u64,
        /// Whether it worked.
        result: Result<(), String>,
    },
    /// A file dialog closed (`None`: cancelled).
    Picked {
        /// What the dialog was for.
        purpose: Pick,
        /// The chosen file.
        path: Option<PathBuf>,
    },
    /// A render finished, failed or was cancelled.
    Rendered {
        /// The WAV file.
        path: PathBuf,
        /// Stats, or the error (cancelled, refused or failed: see [`crate::midi::RenderError`]).
        result: Result<RenderStats, MidiError>,
    },
}

/// A running render: its progress (0–1, as f64 bits) and a cancel flag.
#[derive(Debug, Clone)]
pub struct RenderJob {
    /// The WAV being written.
    pub path: PathBuf,
    progress: Arc<AtomicU64>,
    cancel: Arc<AtomicBool>,
}

impl RenderJob {
    /// How far it got, 0.0–1.0.
    pub fn progress(&self) -> f32 {
        f64::from_bits(self.progress.load(Ordering::Relaxed)).clamp(0.0, 1.0) as f32
    }

    /// Asks the render to stop (the partial file is removed).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// The piano roll's background jobs and their channel.
pub struct Io {
    tx: Sender<IoEvent>,
    rx: Receiver<IoEvent>,
    pending: usize,
}

impl Default for Io {
    fn default() -> Self {
        let (tx, rx) = unbounded();
        Io { tx, rx, pending: 0 }
    }
}

impl std::fmt::Debug for Io {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Io").field("pending", &self.pending).finish()
    }
}

impl Io {
    /// True while a load, save or render runs.
    pub fn busy(&self) -> bool {
        self.pending > 0
    }

    fn spawn(&mut self, ctx: &egui::Context, name: &str, counts: bool, job: impl FnOnce() -> IoEvent + Send + 'static) {
        let tx = self.tx.clone();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new().name(format!("coremusic-midi-{name}")).spawn(move || {
            let _ = tx.send(job());
            ctx.request_repaint();
        });
        if spawned.is_ok() && counts {
            self.pending += 1;
        }
    }

    /// Reads `path` in the background.
    pub fn load(&mut self, ctx: &egui::Context, path: PathBuf) {
        self.spawn(ctx, "load", true, move || {
            let result = read_smf(&path).map_err(|e| e.to_string());
            IoEvent::Loaded { path, result: Box::new(result) }
        });
    }

    /// Writes `seq` to `path` in the background.
    pub fn save(&mut self, ctx: &egui::Context, seq: Sequence, path: PathBuf, revision: u64) {
        self.spawn(ctx, "save", true, move || {
            let result = write_smf(&seq, &path).map_err(|e| e.to_string());
            IoEvent::Saved { path, revision, result }
        });
    }

    /// Shows a native file dialog on its own thread.
    pub fn pick(&mut self, ctx: &egui::Context, purpose: Pick, dir: Option<PathBuf>, name: Option<String>) {
        self.spawn(ctx, "dialog", false, move || {
            let mut dialog = rfd::AsyncFileDialog::new();
            if let Some(dir) = dir {
                dialog = dialog.set_directory(dir);
            }
            if let Some(name) = name {
                dialog = dialog.set_file_name(name);
            }
            let chosen = match purpose {
                Pick::Open => block_on(
                    dialog
                        .set_title("Open a MIDI file")
                        .add_filter("MIDI", &["mid", "midi", "rmi", "kar"])
                        .add_filter("All files", &["*"])
                        .pick_file(),
                ),
                Pick::SaveAs => {
                    block_on(dialog.set_title("Save MIDI file").add_filter("MIDI", &["mid", "midi"]).save_file())
                }
                Pick::RenderWav => {
                    block_on(dialog.set_title("Render to WAV").add_filter("WAV audio", &["wav"]).save_file())
                }
            };
            IoEvent::Picked { purpose, path: chosen.map(|f| f.path().to_path_buf()) }
        });
    }

    /// Renders `seq` to a 24-bit stereo WAV at `path` in the background with
    /// [`crate::midi::render_to_wav`] (cancel through the returned job).
    pub fn render(&mut self, ctx: &egui::Context, seq: Sequence, path: PathBuf, rate: u32, synth: Synth) -> RenderJob {
        let job = RenderJob {
            path: path.clone(),
            progress: Arc::new(AtomicU64::new(0f64.to_bits())),
            cancel: Arc::new(AtomicBool::new(false)),
        };
        let (progress, cancel) = (job.progress.clone(), job.cancel.clone());
        let wake = ctx.clone();
        self.spawn(ctx, "render", true, move || {
            let mut last = 0.0f64;
            let mut on_progress = |done: f64, total: f64| {
                let f = if total > 0.0 { done / total } else { 1.0 };
                progress.store(f.to_bits(), Ordering::Relaxed);
                if f - last > 0.01 {
                    last = f;
                    wake.request_repaint();
                }
            };
            let result = render_to_wav(&seq, &path, true, rate, synth, Some(&cancel), &mut on_progress);
            IoEvent::Rendered { path, result }
        });
        job
    }

    /// Events that arrived since the last call.
    pub fn poll(&mut self) -> Vec<IoEvent> {
        let events: Vec<IoEvent> = self.rx.try_iter().collect();
        for e in &events {
            if !matches!(e, IoEvent::Picked { .. }) {
                self.pending = self.pending.saturating_sub(1);
            }
        }
        events
    }
}
