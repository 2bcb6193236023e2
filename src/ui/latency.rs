//! The Latency tab: pick device, rate and buffer size (applied live, while
//! audio plays), read the output latency they give, watch the callback time
//! against the period, the load and the callback-time histogram, count xruns,
//! and let a sweep find the smallest buffer that runs clean. The sweep is a
//! small state machine stepped once per frame — it never blocks the UI.

use std::time::{Duration, Instant};

use egui_plot::{Bar, BarChart, HLine, Legend, Line, Plot, PlotPoints};

use super::action::Action;
use super::audio::{device_picker, AudioLink};
use crate::engine::latency::{recommend, LatencyReport, MAX_LOAD, SWEEP};
use crate::engine::HIST_BUCKETS;

/// Sample rates offered.
pub const RATES: [u32; 4] = [44_100, 48_000, 88_200, 96_000];

/// How long the sweep lets each buffer size settle, then measures it.
const SETTLE: Duration = Duration::from_millis(300);
const MEASURE: Duration = Duration::from_millis(1500);

/// A sweep in progress or finished.
#[derive(Debug, Clone, Default)]
pub struct Sweep {
    /// Index into [`SWEEP`] being measured, `None` when finished.
    pub step: Option<usize>,
    /// When the current step's buffer was applied.
    pub since: Option<Instant>,
    /// Whether the stats were reset after settling.
    pub measuring: bool,
    /// One report per measured size.
    pub reports: Vec<LatencyReport>,
    /// The smallest clean buffer, when the sweep ended.
    pub recommended: Option<u32>,
}

/// The Latency tab.
#[derive(Debug, Default)]
pub struct LatencyPanel {
    /// Busy work per callback in µs (a stand-in for plug-ins).
    pub load_us: u32,
    /// The running or last sweep.
    pub sweep: Option<Sweep>,
    /// Where the last chart export went, or why it failed.
    pub export_note: Option<String>,
    export: Option<crossbeam_channel::Receiver<String>>,
}

impl LatencyPanel {
    /// The per-frame work, done whether or not the tab shows: a running
    /// sweep steps on, a finished chart export is noted.
    pub fn logic(&mut self, link: &AudioLink) -> Vec<Action> {
        let mut out = Vec::new();
        self.step_sweep(link, &mut out);
        if let Some(rx) = &self.export {
            if let Ok(note) = rx.try_recv() {
                self.export_note = Some(note);
                self.export = None;
            }
        }
        out
    }

    /// Draws the tab and returns what was asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui, link: &AudioLink) -> Vec<Action> {
        let mut out = Vec::new();
        ui.heading("Latency");
        self.controls(ui, link, &mut out);
        ui.separator();
        self.readout(ui, link, &mut out);
        ui.separator();
        self.sweep_ui(ui, &mut out);
        ui.separator();
        plots(ui, link);
        out
    }

    fn controls(&mut self, ui: &mut egui::Ui, link: &AudioLink, out: &mut Vec<Action>) {
        let (rate, buffer) = link.device.as_ref().map(|d| (d.sample_rate, d.buffer_frames)).unwrap_or((48_000, 512));
        egui::Grid::new("latency-controls").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
            ui.label("Device");
            out.extend(device_picker(ui, "latency-device", "", "Device", link));
            ui.end_row();

            ui.label("Sample rate");
            let mut r = rate;
            egui::ComboBox::from_id_salt("latency-rate")
                .selected_text(format!("{r} Hz"))
                .show_ui(ui, |ui| {
                    for x in RATES {
                        ui.selectable_value(&mut r, x, format!("{x} Hz"));
                    }
                })
                .response
                .accessible_name("Sample rate");
            if r != rate {
                out.push(Action::SetRate(r));
            }
            ui.end_row();

            ui.label("Buffer size");
            let mut b = buffer;
            egui::ComboBox::from_id_salt("latency-buffer")
                .selected_text(format!("{b} frames"))
                .show_ui(ui, |ui| {
                    for x in SWEEP {
                        ui.selectable_value(&mut b, x, format!("{x} frames"));
                    }
                })
                .response
                .accessible_name("Buffer size");
            if b != buffer {
                out.push(Action::SetBuffer(b));
            }
            ui.end_row();

            ui.label("Simulated DSP load");
            let before = self.load_us;
            ui.add(egui::Slider::new(&mut self.load_us, 0..=2000).logarithmic(true).show_value(false))
                .accessible_name("Simulated DSP load");
            ui.label(format!("{} µs per callback", self.load_us));
            if self.load_us != before {
                out.push(Action::SetDspLoad(self.load_us));
            }
            ui.end_row();
        });
    }

    fn readout(&mut self, ui: &mut egui::Ui, link: &AudioLink, out: &mut Vec<Action>) {
        let s = link.stats;
        ui.horizontal_wrapped(|ui| {
            if let Some(d) = &link.device {
                let period_ms = d.buffer_frames as f64 * 1e3 / d.sample_rate.max(1) as f64;
                let out_ms = d.latency_frames as f64 * 1e3 / d.sample_rate.max(1) as f64;
                ui.label(egui::RichText::new(format!("Output latency {out_ms:.2} ms")).strong())
                    .on_hover_text("buffer + device latency + safety offset");
                ui.label(format!("({} frames; period {period_ms:.2} ms)", d.latency_frames));
            }
            ui.separator();
            ui.label(format!(
                "callback p50 {:.0} µs · p99 {:.0} µs · max {:.0} µs",
                s.callback_us.p50, s.callback_us.p99, s.callback_us.max
            ));
            ui.separator();
            ui.label(format!("load p99 {:.0}%", s.load_p99 * 100.0));
            ui.separator();
            let xr = egui::RichText::new(format!("{} xruns", s.xruns));
            let xr = if s.xruns > 0 { xr.color(ui.visuals().error_fg_color) } else { xr };
            ui.label(xr).on_hover_text(format!(
                "{} of them began with the device thread woken after its deadline (the system's \
                 lateness, not the callback's work){}",
                s.late_wakeups,
                if s.realtime_priority { "" } else { "; the device thread has no real-time priority" }
            ));
            ui.label(format!("{} underruns", s.underruns));
            if ui.button("Reset").on_hover_text("Clear the counters and the plots").clicked() {
                out.push(Action::ResetStats);
            }
        });
    }

    fn sweep_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<Action>) {
        ui.horizontal(|ui| {
            let running = self.sweep.as_ref().is_some_and(|s| s.step.is_some());
            if running {
                ui.spinner();
                let step = self.sweep.as_ref().and_then(|s| s.step).unwrap_or(0);
                ui.label(format!(
                    "Measuring {} frames ({}/{})…",
                    SWEEP[step.min(SWEEP.len() - 1)],
                    step + 1,
                    SWEEP.len()
                ));
                if ui.button("Cancel").clicked() {
                    self.sweep = None;
                }
            } else if ui
                .button("Find lowest safe buffer")
                .on_hover_text(format!(
                    "Tries {}…{} frames and applies the smallest with no xruns and p99 load under {:.0}%",
                    SWEEP[0],
                    SWEEP[SWEEP.len() - 1],
                    MAX_LOAD * 100.0
                ))
                .clicked()
            {
                self.sweep = Some(Sweep { step: Some(0), ..Sweep::default() });
                out.push(Action::SetBuffer(SWEEP[0]));
                if let Some(s) = self.sweep.as_mut() {
                    s.since = Some(Instant::now());
                }
            }
            let has_reports = self.sweep.as_ref().is_some_and(|s| !s.reports.is_empty());
            if ui.add_enabled(has_reports && !running, egui::Button::new("Export chart…")).clicked() {
                self.export_chart();
            }
            if let Some(note) = &self.export_note {
                ui.label(note);
            }
        });
        if let Some(sweep) = &self.sweep {
            if let Some(rec) = sweep.recommended.filter(|_| sweep.step.is_none()) {
                ui.label(egui::RichText::new(format!("Recommended: {rec} frames (applied)")).strong());
            } else if sweep.step.is_none() && !sweep.reports.is_empty() {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "No buffer size ran clean: reduce the DSP load or pick another device",
                );
            }
            if !sweep.reports.is_empty() {
                egui::Grid::new("sweep-results").striped(true).show(ui, |ui| {
                    for h in ["buffer", "latency ms", "p99 µs", "load p99", "xruns"] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for r in &sweep.reports {
                        ui.label(r.buffer_frames.to_string());
                        ui.label(format!("{:.2}", r.output_latency_ms));
                        ui.label(format!("{:.0}", r.callback_us.p99));
                        ui.label(format!("{:.0}%", r.load_p99 * 100.0));
                        ui.label(r.xruns.to_string());
                        ui.end_row();
                    }
                });
            }
        }
    }

    /// Advances a running sweep: settle, reset, measure, record, next size.
    fn step_sweep(&mut self, link: &AudioLink, out: &mut Vec<Action>) {
        let Some(sweep) = self.sweep.as_mut() else { return };
        let Some(step) = sweep.step else { return };
        let since = *sweep.since.get_or_insert_with(Instant::now);
        let applied = link.device.as_ref().is_some_and(|d| d.buffer_frames == SWEEP[step]);
        if !sweep.measuring {
            if applied && since.elapsed() >= SETTLE {
                out.push(Action::ResetStats);
                sweep.measuring = true;
                sweep.since = Some(Instant::now());
            }
            return;
        }
        if since.elapsed() < MEASURE || link.stats.callbacks == 0 {
            return;
        }
        let device = link.device.as_ref().map(|d| d.name.clone()).unwrap_or_default();
        sweep.reports.push(LatencyReport::new(&device, &link.stats, self.load_us));
        let next = step + 1;
        if next < SWEEP.len() {
            sweep.step = Some(next);
            sweep.measuring = false;
            sweep.since = Some(Instant::now());
            out.push(Action::SetBuffer(SWEEP[next]));
        } else {
            sweep.step = None;
            sweep.recommended = recommend(&sweep.reports);
            if let Some(rec) = sweep.recommended {
                out.push(Action::SetBuffer(rec));
            }
        }
    }

    fn export_chart(&mut self) {
        let Some(reports) = self.sweep.as_ref().map(|s| s.reports.clone()) else { return };
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.export = Some(rx);
        std::thread::spawn(move || {
            let picked = rfd::FileDialog::new()
                .set_file_name("latency.png")
                .add_filter("PNG image", &["png"])
                .add_filter("SVG drawing", &["svg"])
                .save_file();
            let note = match picked {
                None => return,
                Some(path) => match crate::report::latency_chart::draw_report(&path, &reports) {
                    Ok(()) => format!("Saved {}", path.display()),
                    Err(e) => format!("Could not save the chart: {e}"),
                },
            };
            let _ = tx.send(note);
        });
    }
}

/// The live plots: callback time against the period, load, and the histogram.
fn plots(ui: &mut egui::Ui, link: &AudioLink) {
    let h = link.history.iter();
    let p99: Vec<[f64; 2]> = h.clone().map(|p| [p.t, p.callback_p99_us]).collect();
    let max: Vec<[f64; 2]> = h.clone().map(|p| [p.t, p.callback_max_us]).collect();
    let period: Vec<[f64; 2]> = h.clone().map(|p| [p.t, p.period_us]).collect();
    let load: Vec<[f64; 2]> = h.map(|p| [p.t, p.load_p99 * 100.0]).collect();
    let height = ((ui.available_height() - 40.0) / 2.0).clamp(90.0, 220.0);
    ui.columns(2, |cols| {
        cols[0].label("Callback time vs period (µs)");
        Plot::new("callback-time").height(height).legend(Legend::default()).allow_scroll(false).include_y(0.0).show(
            &mut cols[0],
            |p| {
                p.line(Line::new("period", PlotPoints::from(period)));
                p.line(Line::new("p99", PlotPoints::from(p99)));
                p.line(Line::new("max", PlotPoints::from(max)));
            },
        );
        cols[1].label("Load p99 (% of the period)");
        Plot::new("load").height(height).allow_scroll(false).include_y(0.0).include_y(100.0).show(&mut cols[1], |p| {
            p.hline(HLine::new("70% limit", MAX_LOAD * 100.0));
            p.line(Line::new("load p99", PlotPoints::from(load)));
        });
    });
    ui.label("Callback time histogram (µs, log scale buckets)");
    let hist = &link.stats.histogram;
    let first = hist.iter().position(|&n| n > 0).unwrap_or(0);
    let last = hist.iter().rposition(|&n| n > 0).unwrap_or(0).max(first);
    let bars: Vec<Bar> = (first..=last.min(HIST_BUCKETS - 1))
        .map(|b| {
            let lo_us = if b == 0 { 0.0 } else { (1u64 << b) as f64 / 1e3 };
            Bar::new(b as f64, hist[b] as f64).name(format!("≥ {lo_us:.1} µs"))
        })
        .collect();
    Plot::new("histogram")
        .height(height.min(140.0))
        .allow_scroll(false)
        .x_axis_formatter(|m, _| {
            let b = m.value.round();
            if b < 0.0 || b >= HIST_BUCKETS as f64 {
                String::new()
            } else {
                format!("{:.0}", (1u64 << b as u32) as f64 / 1e3)
            }
        })
        .show(ui, |p| p.bar_chart(BarChart::new("callbacks", bars)));
}

impl super::action::Panel for LatencyPanel {
    fn logic(&mut self, ctx: &super::action::PanelCtx<'_>) -> Vec<Action> {
        LatencyPanel::logic(self, ctx.audio)
    }
}
