//! Painting the roll: grid, notes, keyboard, ruler and velocity lane, in the
//! theme's colours.

use super::*;

impl PianoRollPanel {
    pub(super) fn paint_grid(&self, ui: &egui::Ui, painter: &egui::Painter) {
        let v = &self.view;
        let dark = ui.visuals().dark_mode;
        let c = Colors::new(dark);
        painter.rect_filled(v.grid, 0.0, c.white_row);
        let lo = v.y_to_key_f32(v.grid.bottom()).floor().clamp(0.0, 127.0) as u8;
        let hi = v.y_to_key_f32(v.grid.top()).floor().clamp(0.0, 127.0) as u8;
        for key in lo..=hi {
            let y = v.key_to_y(key);
            let row = Rect::from_min_max(Pos2::new(v.grid.left(), y), Pos2::new(v.grid.right(), y + v.key_height));
            if is_black(key) {
                painter.rect_filled(row, 0.0, c.black_row);
            }
            if key % 12 == 0 {
                painter.line_segment([row.left_bottom(), row.right_bottom()], Stroke::new(1.0, c.octave_line));
            } else if key % 12 == 5 {
                painter.line_segment([row.left_bottom(), row.right_bottom()], Stroke::new(1.0, c.sub_line));
            }
        }
        let (a, b) = v.visible_ticks();
        let tpq = self.tpq();
        let map = self.editor.sequence().tempo_map();
        let step = self.snap.ticks(tpq).filter(|s| *s as f32 * v.px_per_tick >= 6.0);
        for (tick, kind) in grid_lines(&map, tpq, a, b, step, 4000) {
            let x = v.tick_to_x(tick as f64);
            let (w, col) = match kind {
                LineKind::Bar(_) => (1.0, c.bar_line),
                LineKind::Beat => (1.0, c.beat_line),
                LineKind::Sub => (1.0, c.sub_line),
            };
            if matches!(kind, LineKind::Beat) && u64::from(tpq) as f32 * v.px_per_tick < 4.0 {
                continue;
            }
            painter.line_segment([Pos2::new(x, v.grid.top()), Pos2::new(x, v.grid.bottom())], Stroke::new(w, col));
        }
        // Cursor and playhead.
        let cx = v.tick_to_x(self.cursor_tick as f64);
        if v.grid.x_range().contains(cx) {
            painter.line_segment(
                [Pos2::new(cx, v.grid.top()), Pos2::new(cx, v.grid.bottom())],
                Stroke::new(1.0, c.cursor),
            );
        }
        if let Some(t) = self.playhead_tick() {
            let x = v.tick_to_x(t);
            if v.grid.x_range().contains(x) {
                painter.line_segment(
                    [Pos2::new(x, v.ruler.top()), Pos2::new(x, v.grid.bottom())],
                    Stroke::new(2.0, c.playhead),
                );
            }
        }
    }

    pub(super) fn paint_notes(&self, ui: &egui::Ui, painter: &egui::Painter) {
        let v = &self.view;
        let dark = ui.visuals().dark_mode;
        let painter = painter.with_clip_rect(v.grid);
        let (a, b) = v.visible_ticks();
        let seq = self.editor.sequence();
        let order =
            (0..seq.tracks.len()).filter(|t| *t != self.current_track).chain(std::iter::once(self.current_track));
        let font = FontId::proportional((v.key_height - 3.0).clamp(8.0, 12.0));
        for ti in order {
            let Some(t) = seq.tracks.get(ti) else { continue };
            let current = ti == self.current_track;
            let (r, g, bl) = track_rgb(ti, dark);
            let stop = t.notes.partition_point(|n| (n.start as f64) < b);
            for n in t.notes.iter().take(stop) {
                if (n.end() as f64) < a {
                    continue;
                }
                let rect = v.note_rect(n);
                if !rect.intersects(v.grid) {
                    continue;
                }
                let selected = self.selection.contains(&n.id);
                let shade = 0.55 + 0.45 * f32::from(n.velocity) / 127.0;
                let scale = |x: u8| (f32::from(x) * shade).round().clamp(0.0, 255.0) as u8;
                let mut fill = Color32::from_rgb(scale(r), scale(g), scale(bl));
                if !current {
                    fill = fill.gamma_multiply(0.6);
                }
                let stroke = if selected {
                    Stroke::new(2.0, if dark { Color32::WHITE } else { Color32::BLACK })
                } else {
                    Stroke::new(1.0, Color32::from_black_alpha(if dark { 160 } else { 90 }))
                };
                if selected {
                    fill = if dark {
                        fill.lerp_to_gamma(Color32::WHITE, 0.55)
                    } else {
                        fill.lerp_to_gamma(Color32::BLACK, 0.35)
                    };
                }
                painter.rect(rect, 2.0, fill, stroke, StrokeKind::Inside);
                if rect.width() > 30.0 && v.key_height >= 10.0 {
                    painter.text(
                        Pos2::new(rect.left() + 3.0, rect.center().y),
                        Align2::LEFT_CENTER,
                        key_name(n.key),
                        font.clone(),
                        Color32::from_black_alpha(200),
                    );
                }
            }
        }
        if let Some(Drag::Band { origin, now, .. }) = &self.drag {
            let r = Rect::from_two_pos(*origin, *now);
            let sel = ui.visuals().selection.bg_fill;
            painter.rect(r, 0.0, sel.gamma_multiply(0.25), Stroke::new(1.0, sel), StrokeKind::Inside);
        }
    }

    pub(super) fn paint_keyboard(&self, ui: &egui::Ui, painter: &egui::Painter) {
        let v = &self.view;
        let painter = painter.with_clip_rect(v.keyboard);
        let dark = ui.visuals().dark_mode;
        painter.rect_filled(v.keyboard, 0.0, Color32::from_gray(246));
        let lo = v.y_to_key_f32(v.keyboard.bottom()).floor().clamp(0.0, 127.0) as u8;
        let hi = v.y_to_key_f32(v.keyboard.top()).floor().clamp(0.0, 127.0) as u8;
        let font = FontId::proportional((v.key_height - 1.0).clamp(9.0, 11.0));
        let hover_key =
            ui.input(|i| i.pointer.hover_pos()).filter(|p| v.keyboard.contains(*p)).and_then(|p| v.y_to_key(p.y));
        for key in lo..=hi {
            let y = v.key_to_y(key);
            let row =
                Rect::from_min_max(Pos2::new(v.keyboard.left(), y), Pos2::new(v.keyboard.right(), y + v.key_height));
            if is_black(key) {
                let black = Rect::from_min_max(row.min, Pos2::new(row.left() + row.width() * 0.62, row.bottom()));
                let fill = if hover_key == Some(key) { Color32::from_gray(90) } else { Color32::from_gray(28) };
                painter.rect_filled(black, 1.0, fill);
            } else {
                if hover_key == Some(key) {
                    painter.rect_filled(row, 0.0, Color32::from_gray(215));
                }
                // A line between white keys where no black key sits between them (B–C, E–F) and at every C.
                if key % 12 == 0 || key % 12 == 5 {
                    painter.line_segment(
                        [row.left_bottom(), row.right_bottom()],
                        Stroke::new(1.0, Color32::from_gray(150)),
                    );
                } else {
                    painter.line_segment(
                        [Pos2::new(row.left() + row.width() * 0.62, row.bottom()), row.right_bottom()],
                        Stroke::new(1.0, Color32::from_gray(200)),
                    );
                }
            }
            if key % 12 == 0 && v.key_height >= 7.0 {
                painter.text(
                    Pos2::new(row.right() - 4.0, row.center().y),
                    Align2::RIGHT_CENTER,
                    key_name(key),
                    font.clone(),
                    Color32::from_gray(60),
                );
            }
        }
        let edge = if dark { Color32::from_gray(20) } else { Color32::from_gray(140) };
        painter.line_segment([v.keyboard.right_top(), v.keyboard.right_bottom()], Stroke::new(1.0, edge));
    }

    pub(super) fn paint_ruler(&self, ui: &egui::Ui, painter: &egui::Painter) {
        let v = &self.view;
        let painter = painter.with_clip_rect(v.ruler);
        let visuals = ui.visuals();
        let c = Colors::new(visuals.dark_mode);
        painter.rect_filled(v.ruler, 0.0, visuals.faint_bg_color);
        let (a, b) = v.visible_ticks();
        let tpq = self.tpq();
        let map = self.editor.sequence().tempo_map();
        let lines = grid_lines(&map, tpq, a, b, None, 4000);
        // Label every bar, or every 2nd/4th... when bars are narrow.
        let bar_px = lines
            .iter()
            .filter_map(|(t, k)| matches!(k, LineKind::Bar(_)).then_some(*t))
            .collect::<Vec<_>>()
            .windows(2)
            .map(|w| (w[1] - w[0]) as f32 * v.px_per_tick)
            .next()
            .unwrap_or(100.0);
        let every = (40.0 / bar_px.max(1.0)).ceil().max(1.0) as u64;
        let every = every.next_power_of_two();
        for (tick, kind) in lines {
            let x = v.tick_to_x(tick as f64);
            match kind {
                LineKind::Bar(n) => {
                    painter.line_segment(
                        [Pos2::new(x, v.ruler.top() + 4.0), Pos2::new(x, v.ruler.bottom())],
                        Stroke::new(1.0, c.bar_line),
                    );
                    if (n - 1) % every == 0 {
                        painter.text(
                            Pos2::new(x + 3.0, v.ruler.center().y),
                            Align2::LEFT_CENTER,
                            n.to_string(),
                            FontId::proportional(12.0),
                            visuals.text_color(),
                        );
                    }
                }
                LineKind::Beat => {
                    if u64::from(tpq) as f32 * v.px_per_tick >= 8.0 {
                        painter.line_segment(
                            [Pos2::new(x, v.ruler.bottom() - 5.0), Pos2::new(x, v.ruler.bottom())],
                            Stroke::new(1.0, c.bar_line),
                        );
                    }
                }
                LineKind::Sub => {}
            }
        }
        let cx = v.tick_to_x(self.cursor_tick as f64);
        if v.ruler.x_range().contains(cx) {
            let y = v.ruler.bottom();
            painter.add(egui::Shape::convex_polygon(
                vec![Pos2::new(cx - 6.0, y - 9.0), Pos2::new(cx + 6.0, y - 9.0), Pos2::new(cx, y)],
                c.cursor,
                Stroke::NONE,
            ));
        }
        painter.line_segment([v.ruler.left_bottom(), v.ruler.right_bottom()], Stroke::new(1.0, c.bar_line));
    }

    pub(super) fn paint_velocity(&self, ui: &egui::Ui, painter: &egui::Painter) {
        let v = &self.view;
        let painter = painter.with_clip_rect(v.velocity);
        let dark = ui.visuals().dark_mode;
        let c = Colors::new(dark);
        painter.rect_filled(v.velocity, 0.0, c.black_row);
        let full = Rect::from_min_max(Pos2::new(v.velocity.left() - 58.0, v.velocity.top()), v.velocity.max);
        let label_painter = ui.painter_at(full);
        label_painter.text(
            Pos2::new(full.left() + 4.0, full.center().y),
            Align2::LEFT_CENTER,
            "Velocity",
            FontId::proportional(11.0),
            ui.visuals().weak_text_color(),
        );
        let (a, b) = v.visible_ticks();
        let seq = self.editor.sequence();
        let h = (v.velocity.height() - 4.0).max(1.0);
        for (ti, t) in seq.tracks.iter().enumerate() {
            let (r, g, bl) = track_rgb(ti, dark);
            let current = ti == self.current_track;
            let stop = t.notes.partition_point(|n| (n.start as f64) < b);
            for n in t.notes.iter().take(stop).filter(|n| n.start as f64 >= a - 1.0) {
                let x = v.tick_to_x(n.start as f64);
                let top = v.velocity.bottom() - 2.0 - h * f32::from(n.velocity) / 127.0;
                let selected = self.selection.contains(&n.id);
                let mut col = Color32::from_rgb(r, g, bl);
                if !current {
                    col = col.gamma_multiply(0.45);
                }
                if selected {
                    col = if dark { Color32::WHITE } else { Color32::BLACK };
                }
                painter.line_segment(
                    [Pos2::new(x + 1.5, v.velocity.bottom() - 2.0), Pos2::new(x + 1.5, top)],
                    Stroke::new(3.0, col),
                );
                painter.circle_filled(Pos2::new(x + 1.5, top), 3.0, col);
            }
        }
    }
}

/// The colours of the grid for a theme.
pub(super) struct Colors {
    white_row: Color32,
    black_row: Color32,
    bar_line: Color32,
    beat_line: Color32,
    sub_line: Color32,
    octave_line: Color32,
    cursor: Color32,
    playhead: Color32,
}

impl Colors {
    pub(super) fn new(dark: bool) -> Self {
        if dark {
            Colors {
                white_row: Color32::from_gray(46),
                black_row: Color32::from_gray(36),
                bar_line: Color32::from_gray(110),
                beat_line: Color32::from_gray(72),
                sub_line: Color32::from_gray(56),
                octave_line: Color32::from_gray(84),
                cursor: Color32::from_rgb(120, 170, 255),
                playhead: Color32::from_rgb(255, 96, 64),
            }
        } else {
            Colors {
                white_row: Color32::from_gray(250),
                black_row: Color32::from_gray(232),
                bar_line: Color32::from_gray(130),
                beat_line: Color32::from_gray(190),
                sub_line: Color32::from_gray(218),
                octave_line: Color32::from_gray(170),
                cursor: Color32::from_rgb(30, 100, 220),
                playhead: Color32::from_rgb(220, 50, 30),
            }
        }
    }
}

/// A track's colour: distinct hues, brighter on dark backgrounds.
pub(super) fn track_rgb(track: usize, dark: bool) -> (u8, u8, u8) {
    const DARK: [(u8, u8, u8); 8] = [
        (110, 200, 120),
        (100, 170, 250),
        (250, 170, 80),
        (220, 120, 220),
        (90, 210, 210),
        (240, 110, 110),
        (200, 200, 90),
        (160, 140, 250),
    ];
    const LIGHT: [(u8, u8, u8); 8] = [
        (60, 170, 80),
        (50, 120, 220),
        (230, 140, 40),
        (190, 80, 190),
        (30, 170, 170),
        (220, 70, 70),
        (170, 160, 40),
        (120, 100, 220),
    ];
    let table = if dark { &DARK } else { &LIGHT };
    table.get(track % table.len()).copied().unwrap_or((128, 128, 128))
}
