//! The Batch tab: drop files or folders to queue them, choose the output
//! format, rate, depth, channels, quality and workers, convert on every core
//! with a progress bar per file and overall speed and ETA, cancel at any
//! time, and read a summary with every failure and its reason. Planning and
//! conversion run on a background thread; this panel only draws their events.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{unbounded, Receiver};

use super::action::Action;

use crate::convert::{
    batch_process_parallel, plan, BatchEvent, BatchItem, BatchMeter, BitDepth, ConvertOptions, FileFailure,
    NormalizeOptions, Outcome, Quality,
};
use crate::io::{EncoderSettings, OutputFormat};

/// Messages from the batch thread.
enum Msg {
    Planned { items: Vec<BatchItem>, refused: Vec<(PathBuf, String)>, notes: Vec<String> },
    Event(BatchEvent),
    Done,
}

/// One file's line in the list.
#[derive(Debug, Clone)]
pub struct Row {
    /// The input.
    pub input: PathBuf,
    /// 0..=1.
    pub fraction: f32,
    /// `waiting`, `converting`, `converted`, `skipped: …`, `failed: …`.
    pub status: String,
    /// True when it failed.
    pub failed: bool,
    /// With normalisation: its loudness before and after (empty otherwise).
    pub loudness: String,
}

struct Running {
    msgs: Receiver<Msg>,
    cancel: Arc<AtomicBool>,
    meter: Option<BatchMeter>,
}

/// The outcome of the last batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files written.
    pub converted: usize,
    /// Files left alone because their output exists.
    pub skipped: usize,
    /// Files that failed.
    pub failed: usize,
    /// True when the user cancelled.
    pub cancelled: bool,
    /// Outputs proved by decoding them again ("Verify outputs").
    pub verified: usize,
}

/// The Batch tab's state.
pub struct BatchPanel {
    /// Files and folders queued.
    pub queue: Vec<PathBuf>,
    /// Where outputs go; empty means "Converted" beside the first input.
    pub out_dir: String,
    /// Conversion options.
    pub opts: ConvertOptions,
    /// Per-file lines of the current or last batch.
    pub rows: Vec<Row>,
    /// The last batch's summary.
    pub summary: Option<Summary>,
    /// What planning noticed without failing a file (a link loop walked once,
    /// or that there was nothing to convert).
    pub notes: Vec<String>,
    running: Option<Running>,
}

impl Default for BatchPanel {
    fn default() -> Self {
        BatchPanel {
            queue: Vec::new(),
            out_dir: String::new(),
            opts: ConvertOptions { format: Some(OutputFormat::Flac), ..Default::default() },
            rows: Vec::new(),
            summary: None,
            notes: Vec::new(),
            running: None,
        }
    }
}

impl BatchPanel {
    /// Queues files or folders.
    pub fn enqueue(&mut self, paths: Vec<PathBuf>) {
        for p in paths {
            if !self.queue.contains(&p) {
                self.queue.push(p);
            }
        }
    }

    /// True while a batch runs.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Input MB converted per second so far, while a batch runs (for the profiler).
    pub fn throughput_mb_s(&self) -> Option<f64> {
        let meter = self.running.as_ref()?.meter.as_ref()?;
        Some(meter.status().bytes_per_s / 1e6)
    }

    /// The output folder: the one typed, or `Converted` beside the first input.
    pub fn output_folder(&self) -> Option<PathBuf> {
        if !self.out_dir.trim().is_empty() {
            return Some(PathBuf::from(self.out_dir.trim()));
        }
        let first = self.queue.first()?;
        Some(first.parent().unwrap_or(Path::new(".")).join("Converted"))
    }

    /// Starts converting the queue in the background.
    pub fn start(&mut self, ctx: &egui::Context) {
        let Some(out) = self.output_folder() else { return };
        let (tx, rx) = unbounded();
        let cancel = Arc::new(AtomicBool::new(false));
        let (inputs, opts, stop, wake) = (self.queue.clone(), self.opts.clone(), cancel.clone(), ctx.clone());
        let spawned = std::thread::Builder::new().name("coremusic-batch".into()).spawn(move || {
            let p = plan(&inputs, &out, &opts);
            let items = p.items.clone();
            let _ = tx.send(Msg::Planned { items: p.items, refused: p.refused, notes: p.notes });
            wake.request_repaint();
            let on_event = |e: BatchEvent| {
                let _ = tx.send(Msg::Event(e));
                wake.request_repaint();
            };
            batch_process_parallel(&items, &opts, opts.jobs, &on_event, &stop);
            let _ = tx.send(Msg::Done);
            wake.request_repaint();
        });
        if spawned.is_ok() {
            self.rows.clear();
            self.summary = None;
            self.notes.clear();
            self.running = Some(Running { msgs: rx, cancel, meter: None });
        }
    }

    /// Asks the running batch to stop (unfinished outputs are removed).
    pub fn cancel(&self) {
        if let Some(r) = &self.running {
            r.cancel.store(true, Ordering::SeqCst);
        }
    }

    /// The per-frame work, done whether or not the tab shows: applies what
    /// the batch thread sent since the last frame. Returns what the app
    /// should do (nothing yet; the same contract as the other panels).
    pub fn logic(&mut self) -> Vec<Action> {
        self.take_messages();
        Vec::new()
    }

    /// Applies what the batch thread sent since the last frame.
    fn take_messages(&mut self) {
        let Some(run) = &mut self.running else { return };
        let mut finished = false;
        for msg in run.msgs.try_iter() {
            match msg {
                Msg::Planned { items, refused, mut notes } => {
                    if items.is_empty() && refused.is_empty() {
                        notes.push("nothing to convert: no audio files in what was queued".into());
                    }
                    self.notes = notes;
                    run.meter = Some(BatchMeter::new(&items));
                    self.rows = items
                        .iter()
                        .map(|i| Row {
                            input: i.input.clone(),
                            fraction: 0.0,
                            status: "waiting".into(),
                            failed: false,
                            loudness: String::new(),
                        })
                        .collect();
                    self.rows.extend(refused.into_iter().map(|(input, why)| Row {
                        input,
                        fraction: 0.0,
                        status: format!("failed: {why}"),
                        failed: true,
                        loudness: String::new(),
                    }));
                }
                Msg::Event(e) => {
                    if let Some(m) = &mut run.meter {
                        m.apply(&e);
                    }
                    match e {
                        BatchEvent::Started { index } => set(&mut self.rows, index, |r| r.status = "converting".into()),
                        BatchEvent::Progress { index, fraction } => {
                            set(&mut self.rows, index, |r| r.fraction = fraction as f32)
                        }
                        BatchEvent::Measured { index, loudness } => set(&mut self.rows, index, |r| {
                            r.status = "measured".into();
                            r.loudness = loudness.map_or(String::new(), |l| l.describe());
                        }),
                        BatchEvent::Finished { index, result } => set(&mut self.rows, index, |r| {
                            r.fraction = 1.0;
                            (r.status, r.failed) = match result {
                                Ok(Outcome::Converted(stats)) => {
                                    if let Some(l) = &stats.loudness {
                                        r.loudness = l.describe();
                                    }
                                    let mut how = stats.verified.map_or(String::new(), |v| format!(", {v}"));
                                    if let Some(rg) = &stats.replaygain {
                                        how.push_str(&format!(", ReplayGain {:+.2} dB", rg.track_gain_db));
                                    }
                                    (format!("converted{how}"), false)
                                }
                                Ok(Outcome::Skipped { reason, .. }) => (format!("skipped: {reason}"), false),
                                Err(FileFailure::Cancelled) => ("cancelled".into(), false),
                                Err(e) => (format!("failed: {e}"), true),
                            };
                        }),
                    }
                }
                Msg::Done => finished = true,
            }
        }
        if finished {
            let cancelled = run.cancel.load(Ordering::SeqCst);
            let count = |p: &str| self.rows.iter().filter(|r| r.status.starts_with(p)).count();
            self.summary = Some(Summary {
                converted: count("converted"),
                skipped: count("skipped"),
                failed: count("failed"),
                cancelled,
                verified: self.rows.iter().filter(|r| r.status.contains("verified")).count(),
            });
            self.running = None;
        }
    }

    /// Draws the tab; `opened` are the files in the window's list, which a
    /// button queues. Returns what the app should do (nothing yet; the same
    /// contract as the other panels).
    pub fn ui(&mut self, ui: &mut egui::Ui, opened: &[PathBuf]) -> Vec<Action> {
        self.draw(ui, opened);
        Vec::new()
    }

    fn draw(&mut self, ui: &mut egui::Ui, opened: &[PathBuf]) {
        ui.heading("Batch conversion");
        ui.label("Drop files or folders on the window to queue them. Outputs never replace inputs or existing files.");
        ui.separator();
        let busy = self.is_running();
        ui.add_enabled_ui(!busy, |ui| {
            self.options_ui(ui);
            self.loudness_options_ui(ui);
        });
        ui.separator();
        ui.horizontal(|ui| {
            if busy {
                if ui.button("Cancel").clicked() {
                    self.cancel();
                }
                ui.spinner();
            } else {
                let can = !self.queue.is_empty();
                if ui.add_enabled(can, egui::Button::new("Convert")).clicked() {
                    self.start(ui.ctx());
                }
                let add = format!("Queue the {} opened files", opened.len());
                if ui.add_enabled(!opened.is_empty(), egui::Button::new(add)).clicked() {
                    self.enqueue(opened.to_vec());
                }
                if ui.add_enabled(can, egui::Button::new("Clear queue")).clicked() {
                    self.queue.clear();
                    self.rows.clear();
                    self.summary = None;
                }
            }
            if let (Some(out), Some(_)) = (self.output_folder(), &self.summary) {
                if ui.button("Reveal output folder").clicked() {
                    reveal(&out);
                }
            }
        });
        if let Some(m) = self.running.as_ref().and_then(|r| r.meter.as_ref()) {
            let s = m.status();
            let frac = if s.bytes_total > 0 { s.bytes_done as f32 / s.bytes_total as f32 } else { 0.0 };
            let eta = s.eta.map_or(String::new(), |d| format!(", about {} s left", d.as_secs()));
            ui.add(egui::ProgressBar::new(frac).text(format!(
                "{}/{} files · {:.1} MB/s{eta}",
                s.files_done,
                s.files_total,
                s.bytes_per_s / 1e6
            )));
        }
        if let Some(s) = &self.summary {
            let mut text = format!(
                "{}{} converted, {} skipped, {} failed",
                if s.cancelled { "Cancelled: " } else { "" },
                s.converted,
                s.skipped,
                s.failed
            );
            if self.opts.verify {
                text.push_str(&format!(", {} verified", s.verified));
            }
            if s.failed > 0 {
                ui.colored_label(ui.visuals().error_fg_color, text);
            } else {
                ui.strong(text);
            }
        }
        for note in &self.notes {
            ui.colored_label(ui.visuals().warn_fg_color, note);
        }
        ui.separator();
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| {
            if self.rows.is_empty() {
                for q in &self.queue {
                    ui.label(q.display().to_string());
                }
                if self.queue.is_empty() {
                    ui.label(egui::RichText::new("The queue is empty.").weak());
                }
            }
            for r in &self.rows {
                ui.horizontal(|ui| {
                    let name = r
                        .input
                        .file_name()
                        .map_or_else(|| r.input.display().to_string(), |n| n.to_string_lossy().into());
                    ui.add_sized([220.0, 18.0], egui::Label::new(name).truncate());
                    ui.add(egui::ProgressBar::new(r.fraction).desired_width(160.0));
                    if r.failed {
                        ui.colored_label(ui.visuals().error_fg_color, &r.status);
                    } else {
                        ui.label(&r.status);
                    }
                    if !r.loudness.is_empty() {
                        ui.label(&r.loudness);
                    }
                });
            }
        });
    }

    fn options_ui(&mut self, ui: &mut egui::Ui) {
        egui::Grid::new("batch-options").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
            ui.label("Format");
            ui.horizontal(|ui| {
                for (f, name) in [
                    (OutputFormat::Flac, "FLAC"),
                    (OutputFormat::Wav, "WAV"),
                    (OutputFormat::Aiff, "AIFF"),
                    (OutputFormat::Caf, "CAF"),
                    (OutputFormat::Alac, "ALAC (.m4a)"),
                ] {
                    ui.selectable_value(&mut self.opts.format, Some(f), name);
                }
            });
            ui.end_row();
            self.lossy_ui(ui);
            ui.label("Sample rate");
            egui::ComboBox::from_id_salt("rate")
                .selected_text(self.opts.rate.map_or("as source".into(), |r| format!("{r} Hz")))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.opts.rate, None, "as source");
                    for r in [44100, 48000, 88200, 96000, 176400, 192000] {
                        ui.selectable_value(&mut self.opts.rate, Some(r), format!("{r} Hz"));
                    }
                })
                .response
                .accessible_name("Sample rate");
            ui.end_row();
            // Lossy codecs take float samples: no depth to choose, nothing to dither.
            let lossy = self.opts.format.is_some_and(OutputFormat::is_lossy);
            if !lossy {
                self.depth_ui(ui);
            }
            ui.label("Channels");
            egui::ComboBox::from_id_salt("channels")
                .selected_text(self.opts.channels.map_or("as source".into(), |c| c.to_string()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.opts.channels, None, "as source");
                    ui.selectable_value(&mut self.opts.channels, Some(1), "1 (mono)");
                    ui.selectable_value(&mut self.opts.channels, Some(2), "2 (stereo)");
                })
                .response
                .accessible_name("Channels");
            ui.end_row();
            ui.label("Quality");
            ui.horizontal(|ui| {
                for (q, name) in
                    [(Quality::Low, "Low"), (Quality::Medium, "Medium"), (Quality::High, "High"), (Quality::Max, "Max")]
                {
                    ui.selectable_value(&mut self.opts.quality, q, name);
                }
            });
            ui.end_row();
            if !lossy {
                ui.label("Dither");
                ui.checkbox(&mut self.opts.dither, "TPDF dither when reducing depth");
                ui.end_row();
            }
            ui.label("Workers");
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let mut jobs = if self.opts.jobs == 0 { cores } else { self.opts.jobs };
            ui.add(egui::Slider::new(&mut jobs, 1..=cores.max(2))).accessible_name("Workers");
            self.opts.jobs = jobs;
            ui.end_row();
            ui.label("Output folder");
            ui.add(
                egui::TextEdit::singleline(&mut self.out_dir)
                    .hint_text("Converted, beside the first input")
                    .desired_width(360.0),
            )
            .accessible_name("Output folder");
            ui.end_row();
        });
    }
}

impl BatchPanel {
    /// The bit depth row (lossless formats only).
    fn depth_ui(&mut self, ui: &mut egui::Ui) {
        ui.label("Bit depth");
        egui::ComboBox::from_id_salt("bits")
            .selected_text(self.opts.bits.map_or("as source".into(), depth_name))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut self.opts.bits, None, "as source");
                for b in [BitDepth::S16, BitDepth::S24, BitDepth::S32, BitDepth::F32] {
                    ui.selectable_value(&mut self.opts.bits, Some(b), depth_name(b));
                }
            })
            .response
            .accessible_name("Bit depth");
        ui.end_row();
    }

    /// Normalisation, its ceiling and album mode, and output verification.
    fn loudness_options_ui(&mut self, ui: &mut egui::Ui) {
        egui::Grid::new("batch-loudness").num_columns(2).spacing([16.0, 6.0]).show(ui, |ui| {
            ui.label("Loudness");
            ui.horizontal(|ui| {
                let mut on = self.opts.normalize.is_some();
                if ui.checkbox(&mut on, "Normalise to").changed() {
                    self.opts.normalize = on.then(NormalizeOptions::default);
                }
                let mut norm = self.opts.normalize.unwrap_or_default();
                ui.add_enabled(
                    on,
                    egui::DragValue::new(&mut norm.target_lufs).range(-70.0..=0.0).speed(0.1).suffix(" LUFS"),
                );
                ui.label("true-peak ceiling");
                ui.add_enabled(
                    on,
                    egui::DragValue::new(&mut norm.true_peak_dbtp).range(-20.0..=0.0).speed(0.1).suffix(" dBTP"),
                );
                ui.add_enabled(on, egui::Checkbox::new(&mut norm.album, "Album mode (one gain for all)"));
                if on {
                    self.opts.normalize = Some(norm);
                }
            });
            ui.end_row();
            ui.label("Checks");
            ui.horizontal(|ui| {
                ui.checkbox(&mut self.opts.verify, "Verify outputs (decode each again and compare)");
                ui.checkbox(&mut self.opts.replaygain, "Write ReplayGain tags");
            });
            ui.end_row();
        });
    }

    /// The lossy formats: the built-in presets as buttons ("MP3 V2",
    /// "Opus 128k"…), then the chosen codec's own setting.
    fn lossy_ui(&mut self, ui: &mut egui::Ui) {
        ui.label("Lossy");
        ui.horizontal_wrapped(|ui| {
            for (name, preset) in crate::convert::named_presets() {
                let lossy = preset.format.is_some_and(OutputFormat::is_lossy);
                let on = self.opts.format == preset.format && self.opts.encoder == preset.encoder;
                if lossy && ui.selectable_label(on, name).clicked() {
                    self.opts.format = preset.format;
                    self.opts.encoder = preset.encoder;
                    // Lossy codecs have no depth.
                    self.opts.bits = None;
                }
            }
        });
        ui.end_row();
        let Some(format) = self.opts.format.filter(|f| f.is_lossy()) else {
            // A lossless format: the lossy settings do not apply.
            self.opts.encoder = EncoderSettings::default();
            return;
        };
        self.opts.bits = None;
        ui.label(format.label());
        let e = &mut self.opts.encoder;
        egui::ComboBox::from_id_salt("lossy-setting").selected_text(e.describe(format)).show_ui(ui, |ui| {
            if format == OutputFormat::Mp3 {
                for q in 0..=9u8 {
                    ui.selectable_value(e, EncoderSettings::mp3_vbr(q), format!("V{q} (VBR)"));
                }
                for kbps in [128, 160, 192, 256, 320] {
                    ui.selectable_value(e, EncoderSettings::mp3_cbr(kbps), format!("CBR {kbps} kb/s"));
                }
            } else {
                for kbps in [64, 96, 128, 160, 192, 256] {
                    ui.selectable_value(e, EncoderSettings::opus(kbps), format!("{kbps} kb/s VBR"));
                }
            }
        });
        ui.end_row();
    }
}

fn set(rows: &mut [Row], index: usize, f: impl FnOnce(&mut Row)) {
    if let Some(r) = rows.get_mut(index) {
        f(r);
    }
}

fn depth_name(b: BitDepth) -> String {
    match b {
        BitDepth::U8 => "8-bit".into(),
        BitDepth::S16 => "16-bit".into(),
        BitDepth::S24 => "24-bit".into(),
        BitDepth::S32 => "32-bit".into(),
        BitDepth::F32 => "32-bit float".into(),
        BitDepth::F64 => "64-bit float".into(),
    }
}

/// Shows a folder in Finder (or the desktop's file manager), without waiting.
fn reveal(dir: &Path) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    let _ = std::process::Command::new(opener).arg(dir).spawn();
}

impl super::action::Panel for BatchPanel {
    fn logic(&mut self, _: &super::action::PanelCtx<'_>) -> Vec<Action> {
        BatchPanel::logic(self)
    }
}
