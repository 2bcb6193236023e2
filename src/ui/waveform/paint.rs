//! Painting the waveform: one lane per channel from the peak pyramid (or the
//! samples themselves when zoomed in far), and the time ruler.

use super::*;

impl WaveformView {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn draw_lane(
        &self,
        ppp: f32,
        p: &PeakPyramid,
        ch: usize,
        lane: Rect,
        wave: Color32,
        rms_color: Color32,
        mesh: &mut egui::Mesh,
        lines: &mut Vec<egui::Shape>,
    ) {
        let mid = lane.center().y;
        let half = lane.height() / 2.0 - 1.0;
        let y = |v: f32| mid - v.clamp(-1.0, 1.0) * half;
        let window = self.window.as_deref();
        let v = self.visible_range();
        let samples_held = window.filter(|w| w.covers(v.start, v.end));
        // Two points or more per sample: draw the samples themselves.
        if self.frames_per_point <= 0.5 {
            if let Some(w) = samples_held {
                let first = v.start.saturating_sub(1);
                let last = (v.end + 1).min(w.end());
                let pts: Vec<Pos2> = (first..last)
                    .filter_map(|f| w.sample(ch, f).map(|s| Pos2::new(self.frame_to_x(lane, f as f64), y(s))))
                    .collect();
                let stems = 1.0 / self.frames_per_point >= 6.0;
                for q in &pts {
                    if stems {
                        lines.push(egui::Shape::line_segment([Pos2::new(q.x, mid), *q], Stroke::new(1.0, rms_color)));
                        lines.push(egui::Shape::circle_filled(*q, 2.5, wave));
                    }
                }
                lines.push(egui::Shape::line(pts, Stroke::new(1.5, wave)));
                return;
            }
        }
        // One column per physical pixel.
        let cols = (lane.width() * ppp).floor().max(1.0) as usize;
        let col_w = 1.0 / ppp;
        let fpc = self.frames_per_point / ppp as f64;
        let use_window = fpc < BASE_FRAMES as f64;
        for c in 0..cols {
            let f0 = self.view_start + c as f64 * fpc;
            let (a, b) = (f0.floor() as u64, (f0 + fpc).ceil() as u64);
            let peak: Option<ColumnPeak> = match window {
                Some(w) if use_window && w.covers(a, b.min(w.end())) => w.column_range(ch, a, b),
                _ => p.column_range(ch, a, b),
            };
            let Some(peak) = peak else { continue };
            let x = lane.left() + c as f32 * col_w;
            let (top, bottom) = (y(peak.max), y(peak.min));
            let bottom = bottom.max(top + col_w.max(1.0));
            mesh.add_colored_rect(Rect::from_min_max(Pos2::new(x, top), Pos2::new(x + col_w, bottom)), wave);
            let r = peak.rms.min(peak.max.abs().max(peak.min.abs()));
            let (rt, rb) = (y(r).max(top), y(-r).min(bottom));
            if rb > rt {
                mesh.add_colored_rect(Rect::from_min_max(Pos2::new(x, rt), Pos2::new(x + col_w, rb)), rms_color);
            }
        }
    }

    pub(super) fn draw_ruler(
        &self,
        painter: &egui::Painter,
        rect: Rect,
        rate: u32,
        hours: bool,
        visuals: &egui::Visuals,
    ) {
        let ruler = Rect::from_min_size(rect.min, Vec2::new(rect.width(), RULER_H));
        painter.rect_filled(ruler, 0.0, visuals.faint_bg_color);
        let rate = rate.max(1) as f64;
        let points_per_s = rate / self.frames_per_point;
        let Some((step, decimals)) = tick_step(points_per_s, 90.0) else { return };
        let t0 = self.view_start / rate;
        let t1 = t0 + self.width as f64 / points_per_s;
        let mut k = (t0 / step).floor();
        let color = visuals.text_color();
        let font = egui::FontId::proportional(11.0);
        // At most a few hundred ticks even if a bug made the step tiny.
        for _ in 0..400 {
            let t = k * step;
            if t > t1 {
                break;
            }
            let x = rect.left() + ((t - t0) * points_per_s) as f32;
            if x >= rect.left() - 1.0 {
                painter.vline(x, ruler.bottom() - 6.0..=ruler.bottom(), Stroke::new(1.0, color));
                painter.text(
                    Pos2::new(x + 3.0, ruler.top() + 2.0),
                    egui::Align2::LEFT_TOP,
                    format_time(t, decimals, hours),
                    font.clone(),
                    color,
                );
            }
            k += 1.0;
        }
        painter.hline(
            ruler.x_range(),
            ruler.bottom(),
            Stroke::new(1.0, visuals.widgets.noninteractive.bg_stroke.color),
        );
    }
}

/// The smallest "nice" tick step (in seconds) at least `min_points` apart, and the decimals its labels need.
pub(super) fn tick_step(points_per_s: f64, min_points: f64) -> Option<(f64, usize)> {
    if !(points_per_s.is_finite() && points_per_s > 0.0) {
        return None;
    }
    const STEPS: [f64; 27] = [
        0.00001, 0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0,
        2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
    ];
    let step = STEPS.iter().copied().find(|s| s * points_per_s >= min_points).unwrap_or(7200.0);
    let decimals = if step >= 1.0 { 0 } else { (-step.log10()).ceil().max(0.0) as usize };
    Some((step, decimals))
}

/// `h:mm:ss.fff` (hours only when the file is that long), with `decimals` digits after the seconds.
pub fn format_time(t: f64, decimals: usize, hours: bool) -> String {
    let t = t.max(0.0);
    let scale = 10f64.powi(decimals as i32);
    let units = (t * scale).round() as u64;
    let whole = units / scale as u64;
    let frac = units % scale as u64;
    let (h, m, s) = (whole / 3600, whole / 60 % 60, whole % 60);
    let mut out = if hours { format!("{h}:{m:02}:{s:02}") } else { format!("{}:{s:02}", whole / 60) };
    if decimals > 0 {
        out.push_str(&format!(".{frac:0decimals$}"));
    }
    out
}

pub(super) fn zoom_text(fpp: f64) -> String {
    if fpp >= 1.0 {
        format!("{:.0} frames/pt", fpp)
    } else if fpp > 0.0 {
        format!("{:.0} pt/frame", 1.0 / fpp)
    } else {
        String::new()
    }
}

impl WaveformView {
    /// Where the waveform's lanes go while the pyramid is built: the progress.
    pub(super) fn draw_building(&self, painter: &egui::Painter, area: Rect, visuals: &egui::Visuals) {
        let f = self.progress().unwrap_or(0.0);
        let bar = Rect::from_center_size(area.center(), Vec2::new(area.width().min(300.0), 18.0));
        painter.rect_filled(bar, 3.0, visuals.widgets.inactive.bg_fill);
        let done = Rect::from_min_size(bar.min, Vec2::new(bar.width() * f, bar.height()));
        painter.rect_filled(done, 3.0, visuals.selection.bg_fill);
        painter.text(
            bar.center(),
            egui::Align2::CENTER_CENTER,
            format!("Building peaks… {:.0}%", f * 100.0),
            egui::FontId::proportional(12.0),
            visuals.strong_text_color(),
        );
    }
}
