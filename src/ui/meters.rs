//! The level meters under the transport while something plays: per channel
//! a bar (sample peak, RMS inside, a tick at the held peak) with sample
//! peak, true peak and RMS in figures, and the EBU R128 momentary,
//! short-term and integrated loudness, and a Reset button (integrated
//! loudness and peak holds start again). Draws the engine's latest
//! [`LevelReadings`]; computes nothing itself.

use egui::{Color32, Rect, Sense, Stroke, Vec2};

use crate::dsp::meter::{LevelReadings, FLOOR_DB};

/// The quietest level a bar shows, in dB.
const BAR_FLOOR_DB: f32 = -60.0;

/// A level as shown: one decimal with a true minus sign, "−∞" for silence.
pub fn format_db(db: f32) -> String {
    if db <= FLOOR_DB {
        "−∞".to_string()
    } else {
        format!("{db:.1}").replace('-', "−")
    }
}

fn bar_fraction(db: f32) -> f32 {
    ((db - BAR_FLOOR_DB) / -BAR_FLOOR_DB).clamp(0.0, 1.0)
}

fn channel_name(channels: usize, c: usize) -> String {
    match (channels, c) {
        (2, 0) => "L".into(),
        (2, _) => "R".into(),
        (1, _) => "M".into(),
        _ => (c + 1).to_string(),
    }
}

/// Draws the meters on one row of fixed height (or a quiet placeholder
/// while nothing plays), so that the window below never moves when playing
/// starts or stops; a row wider than the window scrolls sideways. True
/// when Reset was clicked (the caller tells the engine).
pub fn ui(ui: &mut egui::Ui, readings: Option<&LevelReadings>) -> bool {
    let height = ui.spacing().interact_size.y;
    let mut reset = false;
    egui::ScrollArea::horizontal().id_salt("meters_row").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.set_min_height(height);
            ui.set_max_height(height);
            match readings {
                Some(r) => reset = channels_ui(ui, r),
                None => {
                    ui.weak("Meters: nothing playing");
                }
            }
        });
    });
    reset
}

fn channels_ui(ui: &mut egui::Ui, r: &LevelReadings) -> bool {
    // Loudness and Reset first: they stay in view in a narrow window (the row scrolls).
    ui.label(format!(
        "M {}  S {}  I {} LUFS",
        format_db(r.momentary_lufs),
        format_db(r.short_term_lufs),
        format_db(r.integrated_lufs)
    ))
    .on_hover_text(format!(
        "EBU R128 loudness: momentary (400 ms), short-term (3 s), integrated (over the last {}, since the stream \
         opened or Reset)",
        crate::report::info::format_duration(r.integrated_s)
    ));
    let reset = ui
        .button("Reset")
        .on_hover_text("Start the integrated loudness and the peak holds again")
        .accessible_name("Reset meters")
        .clicked();
    ui.separator();
    let figures: Vec<[String; 3]> = r
        .channels
        .iter()
        .map(|l| {
            [
                format!("Peak {} dBFS", format_db(l.peak_db)),
                format!("TP {} dBTP", format_db(l.true_peak_db)),
                format!("RMS {} dB", format_db(l.rms_db)),
            ]
        })
        .collect();
    let bar_width = bar_width(ui, r.channels.len());
    for (c, l) in r.channels.iter().enumerate() {
        let [peak, tp, rms_text] = &figures[c];
        ui.monospace(channel_name(r.channels.len(), c));
        let (rect, _) = ui.allocate_exact_size(Vec2::new(bar_width, 10.0), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        let x = |db: f32| rect.left() + bar_fraction(db) * rect.width();
        let colour = if l.peak_db > -1.0 {
            Color32::from_rgb(230, 60, 50)
        } else if l.peak_db > -9.0 {
            Color32::from_rgb(230, 190, 40)
        } else {
            Color32::from_rgb(70, 190, 90)
        };
        painter.rect_filled(Rect::from_x_y_ranges(rect.left()..=x(l.peak_db), rect.y_range()), 2.0, colour);
        let rms = Rect::from_x_y_ranges(rect.left()..=x(l.rms_db), rect.shrink2(Vec2::new(0.0, 3.0)).y_range());
        painter.rect_filled(rms, 1.0, colour.gamma_multiply(0.5));
        let hx = x(l.peak_hold_db);
        painter.vline(hx, rect.y_range(), Stroke::new(2.0, ui.visuals().strong_text_color()));
        ui.label(peak.as_str()).on_hover_text(format!("held {} dBFS", format_db(l.peak_hold_db)));
        ui.label(tp.as_str()).on_hover_text(format!("held {} dBTP", format_db(l.true_peak_hold_db)));
        ui.label(rms_text.as_str());
        if c + 1 < r.channels.len() {
            ui.separator();
        }
    }
    reset
}

/// The bars' width: what the visible rest of the row leaves once every
/// channel's name and figures are placed, shared among the channels, from
/// 40 to 140 points (a wide window gets long bars, a narrow one keeps the
/// figures in view; narrower still, the row scrolls). Measured on figures
/// of the widest shape, so the bars do not change width as levels change.
fn bar_width(ui: &egui::Ui, channels: usize) -> f32 {
    let body = egui::TextStyle::Body.resolve(ui.style());
    let mono = egui::TextStyle::Monospace.resolve(ui.style());
    let width = |text: &str, font: &egui::FontId| {
        ui.painter().layout_no_wrap(text.to_owned(), font.clone(), Color32::WHITE).size().x
    };
    let widest = ["Peak −00.0 dBFS", "TP −00.0 dBTP", "RMS −00.0 dB"];
    let figures: f32 = widest.iter().map(|t| width(t, &body)).sum();
    let gap = ui.spacing().item_spacing.x;
    let text: f32 = (0..channels)
        .map(|c| {
            // Name, bar, three figures: five items; a separator between channels.
            width(&channel_name(channels, c), &mono) + figures + 5.0 * gap + 2.0 * gap + 1.0
        })
        .sum();
    let room = ui.clip_rect().right() - ui.cursor().left() - text;
    (room / channels.max(1) as f32).clamp(40.0, 140.0)
}
