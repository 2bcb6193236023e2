//! Input on the waveform: clicks and drags that move the playhead and
//! select, scrolling and zooming with the wheel, pinch and keys.

use super::*;

impl WaveformView {
    pub(super) fn frame_to_x(&self, rect: Rect, frame: f64) -> f32 {
        rect.left() + ((frame - self.view_start) / self.frames_per_point) as f32
    }

    pub(super) fn x_to_frame(&self, rect: Rect, x: f32) -> u64 {
        let f = self.view_start + (x - rect.left()) as f64 * self.frames_per_point;
        (f.max(0.0) as u64).min(self.frames())
    }

    pub(super) fn handle_input(&mut self, ui: &egui::Ui, resp: &egui::Response, rect: Rect) {
        if resp.hovered() {
            let (zoom, scroll, pointer) =
                ui.input(|i| (i.zoom_delta(), i.smooth_scroll_delta(), i.pointer.hover_pos()));
            let anchor = pointer.map_or(self.zoom_anchor(), |p| self.x_to_frame(rect, p.x) as f64);
            if zoom != 1.0 && zoom > 0.0 {
                self.zoom_by(1.0 / zoom as f64, anchor);
            }
            // Plain scrolling (either axis, trackpads give both) moves along the file.
            let d = if scroll.x != 0.0 { scroll.x } else { scroll.y };
            if d != 0.0 {
                self.scroll_by(-(d as f64) * self.frames_per_point);
            }
        }
        if resp.drag_started() {
            let origin = ui.input(|i| i.pointer.press_origin()).unwrap_or(rect.min);
            self.drag_anchor = Some(self.x_to_frame(rect, origin.x));
        }
        if resp.dragged() {
            if let (Some(a), Some(p)) = (self.drag_anchor, resp.interact_pointer_pos()) {
                let b = self.x_to_frame(rect, p.x);
                self.selection = Some((a.min(b), a.max(b))).filter(|(a, b)| a < b);
            }
        }
        if resp.drag_stopped() {
            self.drag_anchor = None;
        }
        if resp.clicked() {
            if let Some(p) = resp.interact_pointer_pos() {
                self.set_playhead(self.x_to_frame(rect, p.x));
                self.selection = None;
            }
            resp.request_focus();
        }
        let keys_are_ours = resp.has_focus() || resp.hovered() || ui.memory(|m| m.focused().is_none());
        if !keys_are_ours {
            return;
        }
        let span = self.frames_per_point * self.width as f64;
        let none = egui::Modifiers::NONE;
        let (zin, zout, left, right, home, end) = ui.input_mut(|i| {
            (
                i.consume_key(none, egui::Key::Plus) | i.consume_key(none, egui::Key::Equals),
                i.consume_key(none, egui::Key::Minus),
                i.consume_key(none, egui::Key::ArrowLeft),
                i.consume_key(none, egui::Key::ArrowRight),
                i.consume_key(none, egui::Key::Home),
                i.consume_key(none, egui::Key::End),
            )
        });
        if zin {
            self.zoom_in();
        }
        if zout {
            self.zoom_out();
        }
        if left {
            self.scroll_by(-span / 8.0);
        }
        if right {
            self.scroll_by(span / 8.0);
        }
        if home {
            self.view_start = 0.0;
            self.playhead = 0;
        }
        if end {
            self.view_start = self.frames() as f64;
            self.playhead = self.frames();
            self.clamp_view();
        }
    }
}
