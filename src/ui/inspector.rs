//! The Inspector tab: everything `coremusic info` knows about the selected
//! file, laid out like afinfo, or the reason it cannot be read; and its
//! loudness and levels (`info --loudness`), measured by a background
//! [`AnalysisJob`] with a progress bar and a Cancel button. The UI thread
//! never reads the file: it only reads the job's progress and result.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::action::Action;
use super::jobs::{AnalysisJob, AnalysisOutcome};
use super::{FileEntry, FileState};
use crate::dsp::loudness::LoudnessReport;
use crate::io::{Container, FileInfo};
use crate::report::info::{format_bytes, format_db, format_dc, format_duration, integrity};

/// Width of the key column, shared by the grids so that their values line up.
const KEY_WIDTH: f32 = 140.0;

/// The Inspector tab. It keeps no fields: the analyses it started and the
/// open "Show all" window live in egui's memory (see [`Analyses`] and
/// [`WholeValue`]), so the panel stays a plain value.
#[derive(Debug, Default)]
pub struct InspectorPanel;

impl InspectorPanel {
    /// The per-frame work, run whichever tab shows. Nothing to poll: a loudness
    /// analysis is started by the report that shows it and its outcome is read
    /// from the job when drawn. Returns what the
    /// app should do (nothing yet; the same contract as the other panels).
    pub fn logic(&mut self) -> Vec<Action> {
        Vec::new()
    }

    /// Draws the selected file's report; returns what the app should do
    /// (nothing yet).
    pub fn ui(&mut self, ui: &mut egui::Ui, entry: Option<&FileEntry>) -> Vec<Action> {
        self.draw(ui, entry);
        Vec::new()
    }

    fn draw(&mut self, ui: &mut egui::Ui, entry: Option<&FileEntry>) {
        let Some(entry) = entry else {
            ui.centered_and_justified(|ui| {
                ui.label("No file selected. Drop audio files on the window to inspect them.")
            });
            return;
        };
        ui.heading(entry.name());
        ui.label(egui::RichText::new(entry.path.display().to_string()).weak());
        ui.separator();
        egui::ScrollArea::vertical().auto_shrink([false, false]).show(ui, |ui| self.report(ui, entry));
        WholeValue::window(ui.ctx());
    }

    fn report(&mut self, ui: &mut egui::Ui, entry: &FileEntry) {
        match &entry.state {
            FileState::Reading => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Reading…");
                });
            }
            FileState::Failed(msg) => {
                ui.colored_label(ui.visuals().error_fg_color, "This file cannot be read:");
                ui.label(msg);
            }
            FileState::Ready(info) => {
                let sample = match (info.sample_format, info.bits_per_sample) {
                    (Some(f), Some(b)) if b != f.bits() => format!("{f} ({b} significant bits)"),
                    (Some(f), _) => f.to_string(),
                    (None, _) => "lossy (decoded to float)".into(),
                };
                let mut rows: Vec<(&str, String)> = vec![
                    (
                        "Container",
                        Container::from_name(&info.container).map_or(info.container.clone(), |c| c.long_name().into()),
                    ),
                    ("Codec", format!("{} ('{}')", info.codec, info.format.format_id)),
                    ("Sample rate", format!("{} Hz", info.sample_rate)),
                    ("Channels", format!("{} ({})", info.channels, info.channel_layout)),
                    ("Sample format", sample),
                    ("Stored as", stored_as(info)),
                    ("Frames", info.frames.map_or("unknown".into(), |f| f.to_string())),
                    ("Duration", info.duration_s.map_or("unknown".into(), format_duration)),
                    (
                        "Bit rate",
                        info.bit_rate.map_or("unknown".into(), |b| format!("{:.1} kbit/s", b as f64 / 1000.0)),
                    ),
                    ("File size", format_bytes(info.file_size)),
                ];
                // Known once the file has been decoded against its checksum (`io::verify`).
                if let Some(ok) = info.verified {
                    rows.push(("Integrity", integrity(ok).into()));
                }
                egui::Grid::new("inspector-grid")
                    .num_columns(2)
                    .min_col_width(KEY_WIDTH)
                    .striped(true)
                    .spacing([24.0, 6.0])
                    .show(ui, |ui| {
                        for (k, v) in rows {
                            ui.label(egui::RichText::new(k).strong());
                            ui.label(v);
                            ui.end_row();
                        }
                    });
                ui.add_space(12.0);
                analysis_section(ui, &entry.path);
                ui.add_space(12.0);
                ui.strong("Tags");
                if info.tags.is_empty() {
                    ui.label(egui::RichText::new("none").weak());
                } else {
                    egui::Grid::new("tags-grid").num_columns(2).spacing([24.0, 4.0]).show(ui, |ui| {
                        for (k, v) in &info.tags {
                            ui.label(k);
                            // Long values (a 16 MB INFO comment) are clipped: laying
                            // them out in full every frame would freeze the window.
                            let shown = crate::report::info::clip_value(v);
                            if let std::borrow::Cow::Borrowed(_) = shown {
                                ui.label(v);
                            } else {
                                ui.horizontal(|ui| {
                                    ui.label(shown.as_ref());
                                    if ui.button("Copy").on_hover_text("Copy the whole value").clicked() {
                                        ui.ctx().copy_text(v.clone());
                                    }
                                    if ui.button("Show all").on_hover_text("Read the whole value").clicked() {
                                        WholeValue::open(ui.ctx(), k, v);
                                    }
                                });
                            }
                            ui.end_row();
                        }
                    });
                }
                if let Some(rg) = crate::report::info::replaygain_line(info) {
                    ui.label(format!("ReplayGain: {rg}"));
                }
                if !info.chapters.is_empty() {
                    ui.add_space(12.0);
                    // A long audiobook's list starts folded.
                    egui::CollapsingHeader::new(
                        egui::RichText::new(format!("Chapters ({})", info.chapters.len())).strong(),
                    )
                    .default_open(info.chapters.len() <= 20)
                    .show(ui, |ui| {
                        egui::Grid::new("chapters-grid").num_columns(2).spacing([24.0, 4.0]).striped(true).show(
                            ui,
                            |ui| {
                                for c in &info.chapters {
                                    ui.label(format_duration(c.start_s));
                                    ui.label(&c.title);
                                    ui.end_row();
                                }
                            },
                        );
                    });
                }
                for w in &info.warnings {
                    ui.add_space(8.0);
                    ui.colored_label(ui.visuals().warn_fg_color, format!("⚠ {w}"));
                }
            }
        }
    }
}

/// How the samples sit in the file: PCM flags, or the codec's packet size.
fn stored_as(info: &FileInfo) -> String {
    let f = &info.format;
    if f.is_pcm() {
        return format!("{} bits, {}, {} bytes per frame", f.bits_per_channel, f.describe_flags(), f.bytes_per_frame);
    }
    match f.frames_per_packet {
        0 => "compressed, packets of varying length".into(),
        n => format!("compressed, {n} frames per packet"),
    }
}

/// The analyses started by the Inspector, kept in egui's temporary memory:
/// one per file (finished ones are kept, so coming back to a file is
/// instant), and which file is shown. Moving to another file cancels the
/// unfinished analysis of the one left; coming back starts it again, unless
/// the user pressed Cancel.
#[derive(Clone, Default)]
struct Analyses {
    jobs: HashMap<PathBuf, Slot>,
    shown: Option<PathBuf>,
}

#[derive(Clone)]
struct Slot {
    job: Arc<AnalysisJob>,
    stopped_by_user: bool,
}

fn analyses_id() -> egui::Id {
    egui::Id::unique("coremusic-inspector-analyses")
}

/// The job for `path`, started (or restarted) as needed.
fn job_for(ctx: &egui::Context, path: &Path) -> Slot {
    ctx.data_mut(|d| {
        let a = d.get_temp_mut_or_default::<Analyses>(analyses_id());
        if a.shown.as_deref() != Some(path) {
            if let Some(prev) = a.shown.take().and_then(|p| a.jobs.get(&p)) {
                if prev.job.outcome().is_none() {
                    prev.job.cancel.store(true, Ordering::Relaxed);
                }
            }
            a.shown = Some(path.to_path_buf());
        }
        let restart = match a.jobs.get(path) {
            None => true,
            Some(s) => !s.stopped_by_user && matches!(s.job.outcome(), Some(AnalysisOutcome::Cancelled)),
        };
        if restart {
            a.jobs.remove(path);
        }
        a.jobs
            .entry(path.to_path_buf())
            .or_insert_with(|| Slot {
                job: AnalysisJob::start(path.to_path_buf(), ctx.clone()),
                stopped_by_user: false,
            })
            .clone()
    })
}

fn with_analyses(ctx: &egui::Context, update: impl FnOnce(&mut Analyses)) {
    ctx.data_mut(|d| update(d.get_temp_mut_or_default::<Analyses>(analyses_id())));
}

/// "Loudness and levels": progress while measuring, then the figures.
fn analysis_section(ui: &mut egui::Ui, path: &Path) {
    ui.strong("Loudness and levels (EBU R128)");
    ui.add_space(4.0);
    // The section keeps the height of its finished grid from the start, so the
    // tags below do not jump when the measurement ends.
    let top = ui.cursor().top();
    let reserve = LEVEL_ROWS as f32 * ui.spacing().interact_size.y + (LEVEL_ROWS - 1) as f32 * GRID_ROW_GAP;
    analysis_body(ui, path);
    let used = ui.cursor().top() - top;
    if used < reserve {
        ui.add_space(reserve - used);
    }
}

/// The rows of the finished loudness grid ([`levels_grid`]).
const LEVEL_ROWS: usize = 7;
/// The vertical gap between the report grids' rows.
const GRID_ROW_GAP: f32 = 6.0;

fn analysis_body(ui: &mut egui::Ui, path: &Path) {
    let slot = job_for(ui.ctx(), path);
    match slot.job.outcome() {
        None => {
            let stopping = slot.job.cancel.load(Ordering::Relaxed);
            ui.horizontal(|ui| {
                let p = slot.job.progress();
                ui.add(
                    egui::ProgressBar::new(p)
                        .desired_width(260.0)
                        .text(format!("Measuring… {:.0} %", p * 100.0))
                        .animate(true),
                );
                if ui.add_enabled(!stopping, egui::Button::new("Cancel")).clicked() {
                    slot.job.cancel.store(true, Ordering::Relaxed);
                    with_analyses(ui.ctx(), |a| {
                        if let Some(s) = a.jobs.get_mut(path) {
                            s.stopped_by_user = true;
                        }
                    });
                }
            });
        }
        Some(AnalysisOutcome::Cancelled) => {
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new("Measurement cancelled.").weak());
                if ui.button("Measure").clicked() {
                    with_analyses(ui.ctx(), |a| {
                        a.jobs.remove(path);
                    });
                }
            });
        }
        Some(AnalysisOutcome::Failed(msg)) => {
            ui.colored_label(ui.visuals().error_fg_color, "The file could not be measured:");
            ui.label(msg);
        }
        Some(AnalysisOutcome::Done(a)) => levels_grid(ui, &a.levels, a.verified),
    }
}

/// The measured figures; `verified` is the file's own checksum, checked on
/// the way through (FLAC's MD5), shown as "Integrity" when the file has one.
fn levels_grid(ui: &mut egui::Ui, l: &LoudnessReport, verified: Option<bool>) {
    let db = format_db;
    let clip_runs: u64 = l.channels.iter().map(|c| c.clip_runs).sum();
    let clipped = match l.clipped_samples() {
        0 => "0".to_string(),
        n => format!("{n} samples in {clip_runs} runs"),
    };
    let dc = if l.channels.len() == 1 {
        l.channels.iter().map(|c| format_dc(c.dc_offset)).collect::<String>()
    } else {
        l.channels
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{}: {}", i + 1, format_dc(c.dc_offset)))
            .collect::<Vec<_>>()
            .join("   ")
    };
    let checked = verified.map_or("no checksum in this file", integrity);
    let rows: [(&str, String); LEVEL_ROWS] = [
        ("Integrated loudness", db(l.integrated_lufs, "LUFS")),
        ("Loudness range", l.range_lu.map_or("–".into(), |r| format!("{r:.1} LU"))),
        ("True peak", db(l.true_peak_dbtp, "dBTP")),
        ("Sample peak", db(l.sample_peak_dbfs, "dBFS")),
        ("DC offset", dc),
        ("Clipped samples", clipped),
        ("Integrity", checked.to_string()),
    ];
    egui::Grid::new("loudness-grid")
        .num_columns(2)
        .min_col_width(KEY_WIDTH)
        .striped(true)
        .spacing([24.0, GRID_ROW_GAP])
        .show(ui, |ui| {
            for (k, v) in rows {
                ui.label(egui::RichText::new(k).strong());
                ui.label(v);
                ui.end_row();
            }
        });
}

/// Characters per row of the "Show all" window: longer lines are cut into
/// rows of this many, so that no row is wider than a few screens.
const ROW_CHARS: usize = 160;

/// The whole of a long tag value, opened by its "Show all" button, kept in
/// egui's temporary memory while its window is open. The text is cut into
/// rows once, so that each frame lays out only the rows in view: a 16 MB
/// value scrolls as quickly as a short one.
#[derive(Clone)]
struct WholeValue {
    key: String,
    text: Arc<str>,
    /// Byte ranges of `text`, one per row, at line breaks or every [`ROW_CHARS`] characters.
    rows: Arc<[(usize, usize)]>,
    /// Lines of `text`, counted once.
    lines: usize,
}

impl WholeValue {
    fn id() -> egui::Id {
        egui::Id::unique("coremusic-inspector-whole-value")
    }

    /// Opens the window for `key`'s `value` (replacing the one open).
    fn open(ctx: &egui::Context, key: &str, value: &str) {
        let v = WholeValue {
            key: key.to_string(),
            text: value.into(),
            rows: rows_of(value).into(),
            lines: value.lines().count(),
        };
        ctx.data_mut(|d| d.insert_temp(Self::id(), v));
    }

    /// Draws the window while it is open: the key, the size, a Copy
    /// button and the text, selectable, in a scroll area.
    fn window(ctx: &egui::Context) {
        let Some(v) = ctx.data(|d| d.get_temp::<WholeValue>(Self::id())) else {
            return;
        };
        let mut open = true;
        egui::Window::new(format!("Tag {}", v.key))
            .id(Self::id())
            .open(&mut open)
            .default_size([640.0, 420.0])
            .resizable(true)
            .collapsible(false)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    ui.label(format!("{}, {} lines", format_bytes(v.text.len() as u64), v.lines));
                    if ui.button("Copy all").on_hover_text("Copy the whole value").clicked() {
                        ui.ctx().copy_text(v.text.to_string());
                    }
                });
                ui.separator();
                let row_height = ui.text_style_height(&egui::TextStyle::Monospace);
                egui::ScrollArea::both().auto_shrink([false, false]).show_rows(
                    ui,
                    row_height,
                    v.rows.len(),
                    |ui, range| {
                        for &(a, b) in v.rows.get(range).unwrap_or(&[]) {
                            let row = v.text.get(a..b).unwrap_or("");
                            ui.add(egui::Label::new(egui::RichText::new(row).monospace()).selectable(true).extend());
                        }
                    },
                );
            });
        if !open {
            ctx.data_mut(|d| d.remove::<WholeValue>(Self::id()));
        }
    }
}

/// Cuts `text` into rows: at each line break, and every [`ROW_CHARS`]
/// characters within a line.
fn rows_of(text: &str) -> Vec<(usize, usize)> {
    let mut rows = Vec::new();
    let mut start = 0;
    let mut chars = 0;
    for (i, c) in text.char_indices() {
        if c == '\n' {
            rows.push((start, i));
            start = i + 1;
            chars = 0;
        } else if chars == ROW_CHARS {
            rows.push((start, i));
            start = i;
            chars = 1;
        } else {
            chars += 1;
        }
    }
    rows.push((start, text.len()));
    rows
}

impl super::action::Panel for InspectorPanel {
    fn logic(&mut self, _: &super::action::PanelCtx<'_>) -> Vec<Action> {
        InspectorPanel::logic(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_cut_at_line_breaks_and_long_lines() {
        let text = format!("ab\n{}\n\nü", "x".repeat(ROW_CHARS + 5));
        let rows: Vec<&str> = rows_of(&text).iter().map(|&(a, b)| &text[a..b]).collect();
        assert_eq!(rows, ["ab", &"x".repeat(ROW_CHARS), "xxxxx", "", "ü"]);
        assert_eq!(rows_of(""), [(0, 0)]);
    }
}
