//! Input on the roll: keyboard shortcuts, zoom, hit-testing, drags on the
//! grid and the velocity lane.

use super::*;

impl PianoRollPanel {
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        // Undo, redo, save, select all, cut, copy, paste, delete and play go
        // through the app's command table (`ui::commands`); these keys are the roll's own.
        let (zin, zout, esc, up, down, left, right, shift) = ctx.input(|i| {
            (
                i.key_pressed(Key::Plus) || i.key_pressed(Key::Equals),
                i.key_pressed(Key::Minus),
                i.key_pressed(Key::Escape),
                i.key_pressed(Key::ArrowUp),
                i.key_pressed(Key::ArrowDown),
                i.key_pressed(Key::ArrowLeft),
                i.key_pressed(Key::ArrowRight),
                i.modifiers.shift,
            )
        });
        if zin {
            self.zoom_x(1.25, None);
        }
        if zout {
            self.zoom_x(0.8, None);
        }
        if esc {
            self.selection.clear();
        }
        if !self.selection.is_empty() {
            let step = if shift { 12 } else { 1 };
            if up {
                self.transpose(step);
            }
            if down {
                self.transpose(-step);
            }
            let grid = self.snap.ticks(self.tpq()).unwrap_or(u64::from(self.tpq()) / 4).max(1) as i64;
            let ids = self.selection();
            if left {
                self.editor.move_notes(&ids, -grid, 0);
            }
            if right {
                self.editor.move_notes(&ids, grid, 0);
            }
        }
    }

    pub(super) fn zoom_x(&mut self, factor: f32, anchor_x: Option<f32>) {
        let tpq = f32::from(self.tpq());
        let x = anchor_x.unwrap_or(self.view.grid.left());
        let at = self.view.x_to_tick(x);
        self.view.px_per_tick = (self.view.px_per_tick * factor).clamp(2.0 / tpq, 1200.0 / tpq);
        self.view.scroll_tick = (at - f64::from(x - self.view.grid.left()) / f64::from(self.view.px_per_tick)).max(0.0);
    }

    /// Makes the key rows `factor` times taller (within 4–40 points), keeping
    /// the key at `anchor_y` (default: the grid's middle) where it is.
    pub fn zoom_rows(&mut self, factor: f32, anchor_y: Option<f32>) {
        if !factor.is_finite() || factor <= 0.0 {
            return;
        }
        let y = anchor_y.unwrap_or(self.view.grid.center().y);
        let at = self.view.y_to_key_f32(y);
        self.view.key_height = (self.view.key_height * factor).clamp(MIN_ROW, MAX_ROW);
        self.view.top_key = at + (y - self.view.grid.top()) / self.view.key_height;
        self.clamp_view();
    }

    pub(super) fn fit(&mut self) {
        let seq = self.editor.sequence();
        let tpq = f64::from(self.tpq());
        let end = seq.tracks.iter().flat_map(|t| t.notes.iter().map(Note::end)).max().unwrap_or(0) as f64;
        let span = (end * 1.05).max(tpq * 16.0).min(tpq * 4.0 * 16.0);
        self.view.px_per_tick = ((f64::from(self.view.grid.width().max(100.0)) / span) as f32).max(0.001);
        self.view.scroll_tick = 0.0;
        let keys: Vec<u8> = seq.tracks.iter().flat_map(|t| t.notes.iter().map(|n| n.key)).collect();
        let (lo, hi) = match (keys.iter().min(), keys.iter().max()) {
            (Some(lo), Some(hi)) => (f32::from(*lo), f32::from(*hi) + 1.0),
            _ => (48.0, 84.0),
        };
        // Rows tall enough to read, short enough for the notes' range (plus a margin) to fit.
        let want = (hi - lo + 2.0).max(24.0);
        self.view.key_height = (self.view.grid.height() / want).clamp(7.0, 18.0);
        let rows = self.view.grid.height() / self.view.key_height;
        self.view.top_key = (lo + hi) / 2.0 + rows / 2.0;
    }

    pub(super) fn clamp_view(&mut self) {
        let rows = self.view.grid.height() / self.view.key_height.max(1.0);
        self.view.top_key = self.view.top_key.min(128.0).max(rows.min(128.0));
        if !self.view.scroll_tick.is_finite() || self.view.scroll_tick < 0.0 {
            self.view.scroll_tick = 0.0;
        }
    }

    /// The note under `pos` (notes of the current track first) and whether `pos` is on its right edge.
    pub(super) fn hit(&self, pos: Pos2) -> Option<(NoteId, bool)> {
        if !self.view.grid.contains(pos) {
            return None;
        }
        let key = self.view.y_to_key(pos.y)?;
        let seq = self.editor.sequence();
        let order =
            std::iter::once(self.current_track).chain((0..seq.tracks.len()).filter(|t| *t != self.current_track));
        for ti in order {
            let Some(t) = seq.tracks.get(ti) else { continue };
            for n in t.notes.iter().rev().filter(|n| n.key == key) {
                let r = self.view.note_rect(n);
                if r.contains(pos) {
                    let edge = pos.x >= r.right() - (r.width() * 0.3).min(6.0);
                    return Some((n.id, edge));
                }
            }
        }
        None
    }

    pub(super) fn roll(&mut self, ui: &mut egui::Ui) {
        let avail = ui.available_rect_before_wrap();
        ui.allocate_rect(avail, Sense::hover());
        let kb_w = 58.0;
        let ruler_h = 22.0;
        let vel_h = if avail.height() > 320.0 { 80.0 } else { 44.0 };
        let gap = 6.0;
        let left = avail.left() + kb_w;
        self.view.ruler =
            Rect::from_min_max(Pos2::new(left, avail.top()), Pos2::new(avail.right(), avail.top() + ruler_h));
        let grid_bottom = (avail.bottom() - vel_h - gap).max(avail.top() + ruler_h + 20.0);
        self.view.grid =
            Rect::from_min_max(Pos2::new(left, avail.top() + ruler_h), Pos2::new(avail.right(), grid_bottom));
        self.view.keyboard =
            Rect::from_min_max(Pos2::new(avail.left(), self.view.grid.top()), Pos2::new(left, grid_bottom));
        self.view.velocity = Rect::from_min_max(
            Pos2::new(left, grid_bottom + gap),
            Pos2::new(avail.right(), avail.bottom().max(grid_bottom + gap + 10.0)),
        );
        if self.fit_pending && self.view.grid.width() > 10.0 {
            self.fit_pending = false;
            self.fit();
        }
        self.clamp_view();

        // Zoom and scroll over the roll: ⌘-scroll / pinch zooms time, ⌘⌥-scroll the rows.
        let (zoom, scroll, hover, alt) =
            ui.input(|i| (i.zoom_delta_2d(), i.smooth_scroll_delta(), i.pointer.hover_pos(), i.modifiers.alt));
        if let Some(h) = hover.filter(|h| avail.contains(*h)) {
            if zoom.x != 1.0 {
                self.zoom_x(zoom.x, Some(h.x.max(self.view.grid.left())));
            }
            if alt && zoom.y != 1.0 {
                self.zoom_rows(zoom.y, Some(h.y.clamp(self.view.grid.top(), self.view.grid.bottom())));
            }
            if scroll != Vec2::ZERO {
                self.view.scroll_tick -= f64::from(scroll.x) / f64::from(self.view.px_per_tick.max(1e-6));
                self.view.top_key += scroll.y / self.view.key_height.max(1.0);
                self.clamp_view();
            }
        }

        let id = ui.scope_id().with("piano_roll");
        let grid_resp = ui.interact(self.view.grid, id.with("grid"), Sense::click_and_drag());
        let kb_resp = ui.interact(self.view.keyboard, id.with("keys"), Sense::click());
        let ruler_resp = ui.interact(self.view.ruler, id.with("ruler"), Sense::click_and_drag());
        let vel_resp = ui.interact(self.view.velocity, id.with("velocity"), Sense::click_and_drag());
        let mods = ui.input(|i| i.modifiers);

        self.grid_input(ui, &grid_resp, mods);
        self.velocity_input(ui, &vel_resp);
        if kb_resp.hovered() && ui.input(|i| i.pointer.primary_pressed()) {
            if let Some(key) = kb_resp.hover_pos().and_then(|p| self.view.y_to_key(p.y)) {
                self.preview(key, 100);
            }
        }
        if ruler_resp.clicked() || ruler_resp.dragged() {
            if let Some(p) = ruler_resp.interact_pointer_pos() {
                self.cursor_tick = self.snap.round(self.view.x_to_tick(p.x), self.tpq());
                self.seek_to_cursor();
            }
        }
        // A drag whose release we never saw (pointer left the window) ends here.
        if self.drag.is_some() && !ui.input(|i| i.pointer.any_down()) {
            self.end_drag();
        }

        let painter = ui.painter_at(avail);
        self.paint_grid(ui, &painter);
        self.paint_notes(ui, &painter);
        self.paint_keyboard(ui, &painter);
        self.paint_ruler(ui, &painter);
        self.paint_velocity(ui, &painter);
    }

    pub(super) fn end_drag(&mut self) {
        match self.drag.take() {
            Some(Drag::Resize { anchor, .. }) => {
                self.draw_length = self.editor.note(anchor).map(|(_, n)| n.length);
                self.editor.end_group();
            }
            Some(Drag::Move { .. }) | Some(Drag::Velocity { .. }) => self.editor.end_group(),
            Some(Drag::Band { .. }) | None => {}
        }
    }

    pub(super) fn grid_input(&mut self, ui: &egui::Ui, resp: &egui::Response, mods: Modifiers) {
        let tpq = self.tpq();
        if let Some(h) = resp.hover_pos() {
            let icon = match self.hit(h) {
                Some((_, true)) => CursorIcon::ResizeHorizontal,
                Some((_, false)) => CursorIcon::Grab,
                None if self.tool == Tool::Draw => CursorIcon::Crosshair,
                None => CursorIcon::Default,
            };
            if self.drag.is_none() {
                ui.ctx().set_cursor_icon(icon);
            }
        }
        if resp.double_clicked() {
            if let Some(p) = resp.interact_pointer_pos() {
                if self.hit(p).is_none() {
                    if let Some(key) = self.view.y_to_key(p.y) {
                        self.add_note_at(self.view.x_to_tick(p.x), key);
                    }
                }
            }
        } else if resp.clicked() {
            if let Some(p) = resp.interact_pointer_pos() {
                match self.hit(p) {
                    Some((id, _)) => {
                        if mods.shift || mods.command {
                            if !self.selection.remove(&id) {
                                self.selection.insert(id);
                            }
                        } else {
                            self.selection = BTreeSet::from([id]);
                        }
                        if let Some((track, n)) = self.editor.note(id) {
                            let (k, v) = (n.key, n.velocity);
                            // Clicking a note makes its track the one drawn on (and previewed with).
                            self.current_track = track;
                            self.preview(k, v);
                        }
                    }
                    None => {
                        self.cursor_tick = self.snap.floor(self.view.x_to_tick(p.x), tpq);
                        if self.tool == Tool::Draw {
                            if let Some(key) = self.view.y_to_key(p.y) {
                                self.add_note_at(self.view.x_to_tick(p.x), key);
                            }
                        } else if !mods.shift {
                            self.selection.clear();
                        }
                    }
                }
            }
        }
        if resp.drag_started() {
            let origin = ui.input(|i| i.pointer.press_origin()).or(resp.interact_pointer_pos());
            if let Some(o) = origin {
                self.start_drag(o, mods);
            }
        }
        if resp.dragged() {
            if let Some(p) = resp.interact_pointer_pos() {
                self.update_drag(p);
            }
        }
        if resp.drag_stopped() {
            self.end_drag();
        }
    }

    pub(super) fn start_drag(&mut self, o: Pos2, mods: Modifiers) {
        self.end_drag();
        match self.hit(o) {
            Some((id, edge)) => {
                if !self.selection.contains(&id) {
                    if !mods.shift {
                        self.selection.clear();
                    }
                    self.selection.insert(id);
                }
                let ids = self.selection();
                if edge {
                    self.editor.begin_group("Resize");
                    self.drag = Some(Drag::Resize { anchor: id, ids });
                } else if let Some((_, n)) = self.editor.note(id) {
                    let (start, key) = (n.start, n.key);
                    self.editor.begin_group("Move");
                    self.drag = Some(Drag::Move {
                        anchor: id,
                        ids,
                        orig_start: start,
                        orig_key: key,
                        grab_offset: self.view.x_to_tick(o.x) - start as f64,
                        grab_row: self.view.y_to_key_f32(o.y).floor(),
                    });
                }
            }
            None if self.tool == Tool::Draw => {
                if let Some(key) = self.view.y_to_key(o.y) {
                    self.editor.begin_group("Add note");
                    match self.add_note_at(self.view.x_to_tick(o.x), key) {
                        Some(id) => self.drag = Some(Drag::Resize { anchor: id, ids: vec![id] }),
                        None => self.editor.end_group(),
                    }
                }
            }
            None => {
                let base = if mods.shift { self.selection.clone() } else { BTreeSet::new() };
                self.drag = Some(Drag::Band { origin: o, base, now: o });
            }
        }
    }

    pub(super) fn update_drag(&mut self, p: Pos2) {
        let tpq = self.tpq();
        let Some(drag) = self.drag.as_mut() else { return };
        match drag {
            Drag::Move { anchor, ids, orig_start, orig_key, grab_offset, grab_row } => {
                let Some((_, n)) = self.editor.note(*anchor) else { return };
                let (cur_start, cur_key) = (n.start, n.key);
                let target_start = self.snap.round(self.view.x_to_tick(p.x) - *grab_offset, tpq);
                let rows = self.view.y_to_key_f32(p.y).floor() - *grab_row;
                let target_key = (i32::from(*orig_key) + rows as i32).clamp(0, 127);
                let dt = target_start as i64 - cur_start as i64;
                let dk = target_key - i32::from(cur_key);
                let _ = orig_start;
                if dt != 0 || dk != 0 {
                    let ids = ids.clone();
                    let anchor = *anchor;
                    self.editor.move_notes(&ids, dt, dk);
                    if dk != 0 {
                        if let Some((_, n)) = self.editor.note(anchor) {
                            let (k, v) = (n.key, n.velocity);
                            self.preview(k, v);
                        }
                    }
                }
            }
            Drag::Resize { anchor, ids } => {
                let Some((_, n)) = self.editor.note(*anchor) else { return };
                let (start, len) = (n.start, n.length);
                let min = self.snap.ticks(tpq).unwrap_or(1);
                let end = self.snap.round(self.view.x_to_tick(p.x), tpq);
                let new_len = end.saturating_sub(start).max(min);
                let delta = new_len as i64 - len as i64;
                if delta != 0 {
                    let ids = ids.clone();
                    self.editor.resize(&ids, delta);
                }
            }
            Drag::Band { origin, base, now } => {
                *now = p;
                let r = Rect::from_two_pos(*origin, p);
                let t0 = self.view.x_to_tick(r.left()).max(0.0) as u64;
                let t1 = (self.view.x_to_tick(r.right()).max(0.0) as u64).max(t0 + 1);
                let k_hi = self.view.y_to_key_f32(r.top()).floor().clamp(0.0, 127.0) as u8;
                let k_lo = self.view.y_to_key_f32(r.bottom()).floor().clamp(0.0, 127.0) as u8;
                let mut sel = base.clone();
                sel.extend(self.editor.select_region(None, t0..t1, k_lo..=k_hi));
                self.selection = sel;
            }
            Drag::Velocity { .. } => {}
        }
    }

    /// The note whose velocity bar is nearest `x` (selected notes first), within a few points.
    pub(super) fn velocity_hit(&self, x: f32) -> Option<NoteId> {
        let mut best: Option<(f32, bool, NoteId)> = None;
        for t in &self.editor.sequence().tracks {
            for n in &t.notes {
                let d = (self.view.tick_to_x(n.start as f64) + 1.5 - x).abs();
                if d > 6.0 {
                    continue;
                }
                let sel = self.selection.contains(&n.id);
                let better = match best {
                    None => true,
                    Some((bd, bs, _)) => (sel && !bs) || (sel == bs && d < bd),
                };
                if better {
                    best = Some((d, sel, n.id));
                }
            }
        }
        best.map(|b| b.2)
    }

    pub(super) fn velocity_input(&mut self, ui: &egui::Ui, resp: &egui::Response) {
        let value = |y: f32, r: Rect| -> u8 {
            let f = ((r.bottom() - 2.0 - y) / (r.height() - 4.0).max(1.0)).clamp(0.0, 1.0);
            (f * 127.0).round().clamp(1.0, 127.0) as u8
        };
        let r = self.view.velocity;
        if resp.clicked() || resp.drag_started() {
            let origin = if resp.drag_started() { ui.input(|i| i.pointer.press_origin()) } else { None };
            if let Some(p) = origin.or(resp.interact_pointer_pos()) {
                if let Some(id) = self.velocity_hit(p.x) {
                    let ids = if self.selection.contains(&id) { self.selection() } else { vec![id] };
                    self.editor.begin_group("Velocity");
                    self.editor.set_velocity(&ids, value(p.y, r));
                    if resp.drag_started() {
                        self.end_drag();
                        self.drag = Some(Drag::Velocity { ids });
                    } else {
                        self.editor.end_group();
                    }
                }
            }
        }
        if resp.dragged() {
            if let (Some(Drag::Velocity { ids }), Some(p)) = (self.drag.as_ref(), resp.interact_pointer_pos()) {
                let ids = ids.clone();
                self.editor.set_velocity(&ids, value(p.y, r));
            }
        }
        if resp.drag_stopped() && matches!(self.drag, Some(Drag::Velocity { .. })) {
            self.end_drag();
        }
    }
}
