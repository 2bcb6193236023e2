//! The spectrum analyser under the Waveform tab's view: the averaged
//! spectrum of the selection (or one FFT around the playhead), with peak
//! hold, and the strongest tone read exactly (parabolic interpolation,
//! [`crate::analysis::spectrogram::spectrum`]). Measured on a background
//! thread whenever the selection or the playhead moves; drawn here.

use std::path::{Path, PathBuf};

use crossbeam_channel::{unbounded, Receiver, Sender};

use crate::analysis::spectrogram::spectrum::{Spectrum, ANALYSER_SETTINGS};
use crate::analysis::spectrogram::{AudioSource, ChannelPick};

type Job = (PathBuf, (u64, u64));

/// The analyser's state: what was asked, what came back.
#[derive(Default)]
pub struct Analyser {
    /// Shown (and measured) when on.
    pub open: bool,
    asks: Option<Sender<Job>>,
    answers: Option<Receiver<Result<Spectrum, String>>>,
    asked: Option<Job>,
    /// The latest spectrum, with its hold.
    pub spectrum: Option<Spectrum>,
    error: Option<String>,
}

impl Analyser {
    fn start(&mut self, ctx: &egui::Context) {
        let (job_tx, job_rx) = unbounded::<Job>();
        let (ans_tx, ans_rx) = unbounded();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new().name("coremusic-analyser".into()).spawn(move || {
            while let Ok(mut job) = job_rx.recv() {
                while let Ok(newer) = job_rx.try_recv() {
                    job = newer;
                }
                let r = AudioSource::open(&job.0).and_then(|s| {
                    Spectrum::measure(&mut s.reader()?, ChannelPick::Mixed, ANALYSER_SETTINGS, s.sample_rate(), job.1)
                });
                if ans_tx.send(r.map_err(|e| e.to_string())).is_err() {
                    break;
                }
                ctx.request_repaint();
            }
        });
        if spawned.is_ok() {
            self.asks = Some(job_tx);
            self.answers = Some(ans_rx);
        }
    }

    /// Asks for the spectrum of `span` of `path` when it changed; takes finished ones.
    pub fn update(&mut self, ctx: &egui::Context, path: &Path, span: (u64, u64)) {
        if self.asks.is_none() {
            self.start(ctx);
        }
        let job = (path.to_path_buf(), span);
        if self.asked.as_ref() != Some(&job) {
            if let Some(tx) = &self.asks {
                if self.asked.as_ref().is_some_and(|a| a.0 != job.0) {
                    self.spectrum = None; // another file: the hold starts afresh
                }
                let _ = tx.send(job.clone());
                self.asked = Some(job);
            }
        }
        let Some(rx) = &self.answers else { return };
        for r in rx.try_iter() {
            match r {
                Ok(mut s) => {
                    if let Some(prev) = &self.spectrum {
                        s.hold_from(prev);
                    }
                    self.spectrum = Some(s);
                    self.error = None;
                }
                Err(e) => self.error = Some(e),
            }
        }
    }

    /// The strongest tone, as shown: "1000.0 Hz · −20.0 dB".
    pub fn reading(&self) -> Option<String> {
        let t = self.spectrum.as_ref()?.strongest()?;
        Some(format!("{:.1} Hz · {:.1} dB", t.freq_hz, t.level_db))
    }

    /// Draws the spectrum (mean and hold, dB over log frequency) and the reading.
    pub fn ui(&mut self, ui: &mut egui::Ui, what: &str) {
        ui.horizontal(|ui| {
            ui.strong("Spectrum analyser");
            ui.label(what);
            if let Some(r) = self.reading() {
                ui.label(format!("Peak {r}"));
            }
            if ui.button("Reset hold").clicked() {
                if let Some(s) = &mut self.spectrum {
                    s.hold = s.levels.clone();
                }
            }
            if let Some(e) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, e.clone());
            }
        });
        let Some(s) = &self.spectrum else {
            ui.weak("Measuring…");
            return;
        };
        let hz = s.bin_hz();
        let line = |v: &[f32]| -> egui_plot::PlotPoints {
            let pts: Vec<[f64; 2]> =
                v.iter().enumerate().skip(1).map(|(k, &db)| [(k as f64 * hz).log10(), db.max(-150.0) as f64]).collect();
            egui_plot::PlotPoints::from(pts)
        };
        egui_plot::Plot::new("spectrum-analyser")
            .height(150.0)
            .include_y(-140.0)
            .include_y(0.0)
            .x_axis_formatter(|m, _| {
                let f = 10f64.powf(m.value);
                if f >= 1000.0 {
                    format!("{:.0}k", f / 1000.0)
                } else {
                    format!("{f:.0}")
                }
            })
            .y_axis_label("dB")
            .allow_scroll(false)
            .show(ui, |plot| {
                plot.line(egui_plot::Line::new("hold", line(&s.hold)).color(egui::Color32::from_rgb(230, 150, 40)));
                plot.line(egui_plot::Line::new("level", line(&s.levels)).color(egui::Color32::from_rgb(86, 156, 255)));
            });
    }
}

impl super::WaveformView {
    /// The analyser under the view bar when it is on: of the selection, or
    /// one FFT's span around the playhead (kept inside the file).
    pub(super) fn analyser_panel(&mut self, ui: &mut egui::Ui, frames: u64) {
        if !self.analyser.open {
            return;
        }
        let half = crate::analysis::spectrogram::spectrum::ANALYSER_SETTINGS.fft_size as u64 / 2;
        let (span, what) = match self.selection {
            Some((a, b)) => ((a, b), "of the selection"),
            None => {
                let start = self.playhead.saturating_sub(half).min(frames.saturating_sub(2 * half));
                ((start, start + 2 * half), "at the playhead")
            }
        };
        if let Some(path) = self.path.clone() {
            self.analyser.update(ui.ctx(), &path, span);
        }
        self.analyser.ui(ui, what);
    }
}
