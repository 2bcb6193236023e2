//! Edit ▸ Cut, Copy, Paste, Select All, Undo and Redo go to the text field
//! with the keyboard focus (the Batch tab's output folder, a Preferences
//! field) when there is one, and to the piano roll's notes only when there is
//! none. A press on the in-window menu bar takes the focus from the field, so
//! the field is remembered while the pointer is on the menu bar or one of its
//! menus is open, with its selection (a field without the focus forgets its
//! selection when it is drawn). A command routed to the field gives back the
//! focus and the selection and hands the field, at the start of the next
//! frame before anything draws, the event its key would have produced. The macOS menu bar (whose items catch
//! ⌘C, ⌘V… before the window sees them) goes the same way.

use egui::{Event, Id, Key, Modifiers, Rect};

use super::commands::Command;

/// Which text field the Edit menu works on, and what it is to be sent.
#[derive(Default)]
pub struct TextFocus {
    /// The field with the focus (or that had it when the menu bar was pressed).
    target: Option<Id>,
    /// Its cursor and selection while it had the focus.
    state: Option<egui::text_edit::TextEditState>,
    /// The in-window menu bar where it was drawn last (`None`: macOS's own bar).
    menu_rect: Option<Rect>,
    /// One of the in-window menus was open last frame.
    menu_open: bool,
    /// The field to give the focus (and its selection) back to, next frame.
    refocus: Option<(Id, Option<egui::text_edit::TextEditState>)>,
    /// Events for the field, next frame.
    events: Vec<Event>,
}

impl std::fmt::Debug for TextFocus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextFocus")
            .field("target", &self.target)
            .field("menu_open", &self.menu_open)
            .finish_non_exhaustive()
    }
}

/// True for the Edit commands a text field does itself.
pub fn is_text_command(command: Command) -> bool {
    matches!(
        command,
        Command::Cut | Command::Copy | Command::Paste | Command::SelectAll | Command::Undo | Command::Redo
    )
}

impl TextFocus {
    /// First thing in a frame: gives the focus back and hands over the
    /// events a routed command left, then notes which text field has the focus.
    pub fn begin_frame(&mut self, ctx: &egui::Context) {
        if let Some((id, state)) = self.refocus.take() {
            ctx.memory_mut(|m| m.request_focus(id));
            if let Some(state) = state {
                egui::TextEdit::store_state(ctx, id, state);
            }
        }
        if !self.events.is_empty() {
            let events = std::mem::take(&mut self.events);
            ctx.input_mut(|i| i.events.extend(events));
        }
        let focused = ctx.memory(|m| m.focused());
        if ctx.text_edit_focused() {
            self.target = focused;
            self.state = focused.and_then(|id| egui::TextEdit::load_state(ctx, id));
        } else if focused.is_some() || !self.on_menu(ctx) {
            self.target = None;
            self.state = None;
        }
    }

    fn on_menu(&self, ctx: &egui::Context) -> bool {
        let pointer = ctx.input(|i| i.pointer.latest_pos());
        self.menu_open || pointer.zip(self.menu_rect).is_some_and(|(p, r)| r.contains(p))
    }

    /// Where the in-window menu bar was drawn this frame, and whether a menu of it is open.
    pub fn menu_drawn(&mut self, rect: Rect, open: bool) {
        self.menu_rect = Some(rect);
        self.menu_open = open;
    }

    /// The text field the Edit menu works on now, if any.
    pub fn target(&self) -> Option<Id> {
        self.target
    }

    /// Sends `command` to the text field when there is one and the field does
    /// such a command itself; true when it did (the piano roll is then left alone).
    pub fn route(&mut self, ctx: &egui::Context, command: Command) -> bool {
        // Still the field's: it has the focus, or the pointer is on the menus (a
        // click elsewhere in this frame, e.g. a toolbar's Undo, took it away).
        let still = ctx.text_edit_focused() || self.on_menu(ctx);
        let Some(id) = self.target.filter(|_| still && is_text_command(command)) else { return false };
        let key = |modifiers: Modifiers, key: Key| Event::Key {
            key,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers,
        };
        let event = match command {
            Command::Copy => Some(Event::Copy),
            Command::Cut => Some(Event::Cut),
            Command::SelectAll => Some(key(Modifiers::COMMAND, Key::A)),
            Command::Undo => Some(key(Modifiers::COMMAND, Key::Z)),
            Command::Redo => Some(key(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z)),
            _ => paste(ctx),
        };
        self.events.extend(event);
        self.refocus = Some((id, self.state.clone()));
        ctx.request_repaint();
        true
    }
}

/// Paste's event: on macOS the general pasteboard's text, read here; elsewhere
/// the window is asked to read the clipboard, and its paste event comes with
/// the next frame (as for the key).
fn paste(ctx: &egui::Context) -> Option<Event> {
    #[cfg(target_os = "macos")]
    {
        let _ = ctx;
        super::menu_macos::pasteboard_text().map(Event::Paste)
    }
    #[cfg(not(target_os = "macos"))]
    {
        ctx.send_viewport_cmd(egui::ViewportCommand::RequestPaste);
        None
    }
}
