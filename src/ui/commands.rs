//! The command table: every menu item, keyboard shortcut and toolbar button
//! of the window is one [`Command`] with a title, a shortcut and a rule for
//! when it is enabled ([`CoreMusicApp::command_enabled`]). The macOS menu
//! bar, the in-window menu of Linux and Windows ([`super::menu`]), the
//! keyboard and the panels' buttons all go through [`CoreMusicApp::run_command`],
//! so nothing is wired twice. Running a command either changes the window
//! (tabs, dialogs, the close question) or produces the [`Action`]s that
//! [`CoreMusicApp::apply`] carries out. Files dropped on the window are a
//! command too ([`Command::OpenDropped`]). Edit commands go to the text field
//! with the keyboard focus when there is one ([`super::text_focus`]), else to
//! the panel (the piano roll, or the waveform for Select All); keys typed
//! into a text field stay the text field's.

use egui::{Key, KeyboardShortcut, Modifiers};

use super::action::Action;
use super::{CoreMusicApp, Tab};
use crate::engine::PlayState;

/// One thing the user can ask for from a menu, a shortcut or a button.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// CoreMusic ▸ About CoreMusic.
    About,
    /// CoreMusic ▸ Preferences… (⌘,).
    Preferences,
    /// CoreMusic ▸ Hide CoreMusic (⌘H).
    Hide,
    /// CoreMusic ▸ Quit CoreMusic (⌘Q), asking first about unsaved MIDI edits.
    Quit,
    /// File ▸ New MIDI Sequence (⌘N).
    NewMidi,
    /// File ▸ Open… (⌘O): the MIDI dialog on the MIDI tab, the audio one elsewhere.
    Open,
    /// File ▸ Open Recent ▸ entry `n` (newest first).
    OpenRecent(usize),
    /// File ▸ Open Recent ▸ Clear Menu.
    ClearRecent,
    /// Files dropped on the window (in no menu): opened, or on the Batch tab queued for conversion.
    OpenDropped,
    /// File ▸ Close (⌘W): closes the window, asking first about unsaved MIDI edits.
    Close,
    /// File ▸ Save (⌘S) the MIDI document.
    Save,
    /// File ▸ Save As… (⇧⌘S) the MIDI document.
    SaveAs,
    /// File ▸ Render MIDI to WAV… (⌘R).
    RenderMidi,
    /// File ▸ Convert Selected Files…: queues the selected file on the Batch tab.
    ConvertSelected,
    /// Edit ▸ Undo (⌘Z), named after the edit it undoes.
    Undo,
    /// Edit ▸ Redo (⇧⌘Z).
    Redo,
    /// Edit ▸ Cut (⌘X).
    Cut,
    /// Edit ▸ Copy (⌘C).
    Copy,
    /// Edit ▸ Paste (⌘V).
    Paste,
    /// Edit ▸ Select All (⌘A).
    SelectAll,
    /// Edit ▸ Delete (⌫).
    Delete,
    /// View ▸ a tab (⌘1–⌘5).
    ShowTab(Tab),
    /// View ▸ Zoom In (⌘+).
    ZoomIn,
    /// View ▸ Zoom Out (⌘−).
    ZoomOut,
    /// View ▸ Zoom to Fit (⌘0).
    ZoomFit,
    /// View ▸ Show Profiler (⇧⌘P).
    ToggleProfiler,
    /// Transport ▸ Play/Pause (space).
    PlayPause,
    /// Transport ▸ Stop (⌘.).
    Stop,
    /// Transport ▸ Loop (⌘L).
    ToggleLoop,
    /// Transport ▸ Go to Start (Home).
    GoToStart,
    /// Transport ▸ Go to End (End).
    GoToEnd,
    /// Window ▸ Minimize (⌘M).
    Minimize,
    /// Window ▸ Zoom (maximize ↔ restore).
    Zoom,
    /// Help ▸ CoreMusic Help: the user guide.
    Help,
}

/// The menus of the menu bar, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    /// The application menu (About, Preferences, Hide, Quit).
    App,
    /// File.
    File,
    /// Edit.
    Edit,
    /// View.
    View,
    /// Transport.
    Transport,
    /// Window.
    Window,
    /// Help.
    Help,
}

impl Menu {
    /// Every menu, left to right.
    pub const ALL: [Menu; 7] =
        [Menu::App, Menu::File, Menu::Edit, Menu::View, Menu::Transport, Menu::Window, Menu::Help];

    /// The menu's title in the bar.
    pub fn title(self) -> &'static str {
        match self {
            Menu::App => "CoreMusic",
            Menu::File => "File",
            Menu::Edit => "Edit",
            Menu::View => "View",
            Menu::Transport => "Transport",
            Menu::Window => "Window",
            Menu::Help => "Help",
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The command.
    pub command: Command,
    /// The menu it sits in.
    pub menu: Menu,
    /// The title when nothing more specific applies (see [`CoreMusicApp::command_title`]).
    pub title: &'static str,
    /// Its keyboard shortcut (⌘ is Ctrl on Linux and Windows).
    pub shortcut: Option<KeyboardShortcut>,
    /// A separator line goes above it in its menu.
    pub separator_before: bool,
    /// File ▸ Open Recent ▸ goes right after this item.
    pub recent_after: bool,
}

const CMD: Modifiers = Modifiers::COMMAND;
const SHIFT_CMD: Modifiers = Modifiers { shift: true, ..Modifiers::COMMAND };

const fn key(modifiers: Modifiers, key: Key) -> Option<KeyboardShortcut> {
    Some(KeyboardShortcut::new(modifiers, key))
}

const fn entry(command: Command, menu: Menu, title: &'static str, shortcut: Option<KeyboardShortcut>) -> Entry {
    Entry { command, menu, title, shortcut, separator_before: false, recent_after: false }
}

const fn sep(e: Entry) -> Entry {
    Entry { separator_before: true, ..e }
}

/// The whole table, in menu order.
pub const COMMANDS: &[Entry] = &[
    entry(Command::About, Menu::App, "About CoreMusic", None),
    sep(entry(Command::Preferences, Menu::App, "Preferences…", key(CMD, Key::Comma))),
    sep(entry(Command::Hide, Menu::App, "Hide CoreMusic", key(CMD, Key::H))),
    sep(entry(Command::Quit, Menu::App, "Quit CoreMusic", key(CMD, Key::Q))),
    entry(Command::NewMidi, Menu::File, "New MIDI Sequence", key(CMD, Key::N)),
    Entry { recent_after: true, ..entry(Command::Open, Menu::File, "Open…", key(CMD, Key::O)) },
    sep(entry(Command::Close, Menu::File, "Close", key(CMD, Key::W))),
    entry(Command::Save, Menu::File, "Save", key(CMD, Key::S)),
    entry(Command::SaveAs, Menu::File, "Save As…", key(SHIFT_CMD, Key::S)),
    sep(entry(Command::RenderMidi, Menu::File, "Render MIDI to WAV…", key(CMD, Key::R))),
    entry(Command::ConvertSelected, Menu::File, "Convert Selected Files…", None),
    entry(Command::Undo, Menu::Edit, "Undo", key(CMD, Key::Z)),
    entry(Command::Redo, Menu::Edit, "Redo", key(SHIFT_CMD, Key::Z)),
    sep(entry(Command::Cut, Menu::Edit, "Cut", key(CMD, Key::X))),
    entry(Command::Copy, Menu::Edit, "Copy", key(CMD, Key::C)),
    entry(Command::Paste, Menu::Edit, "Paste", key(CMD, Key::V)),
    entry(Command::Delete, Menu::Edit, "Delete", key(Modifiers::NONE, Key::Backspace)),
    entry(Command::SelectAll, Menu::Edit, "Select All", key(CMD, Key::A)),
    entry(Command::ShowTab(Tab::ALL[0]), Menu::View, "Inspector", key(CMD, Key::Num1)),
    entry(Command::ShowTab(Tab::ALL[1]), Menu::View, "Waveform", key(CMD, Key::Num2)),
    entry(Command::ShowTab(Tab::ALL[2]), Menu::View, "MIDI", key(CMD, Key::Num3)),
    entry(Command::ShowTab(Tab::ALL[3]), Menu::View, "Batch", key(CMD, Key::Num4)),
    entry(Command::ShowTab(Tab::ALL[4]), Menu::View, "Latency", key(CMD, Key::Num5)),
    sep(entry(Command::ZoomIn, Menu::View, "Zoom In", key(CMD, Key::Plus))),
    entry(Command::ZoomOut, Menu::View, "Zoom Out", key(CMD, Key::Minus)),
    entry(Command::ZoomFit, Menu::View, "Zoom to Fit", key(CMD, Key::Num0)),
    sep(entry(Command::ToggleProfiler, Menu::View, "Show Profiler", key(SHIFT_CMD, Key::P))),
    entry(Command::PlayPause, Menu::Transport, "Play/Pause", key(Modifiers::NONE, Key::Space)),
    entry(Command::Stop, Menu::Transport, "Stop", key(CMD, Key::Period)),
    entry(Command::ToggleLoop, Menu::Transport, "Loop", key(CMD, Key::L)),
    sep(entry(Command::GoToStart, Menu::Transport, "Go to Start", key(Modifiers::NONE, Key::Home))),
    entry(Command::GoToEnd, Menu::Transport, "Go to End", key(Modifiers::NONE, Key::End)),
    entry(Command::Minimize, Menu::Window, "Minimize", key(CMD, Key::M)),
    entry(Command::Zoom, Menu::Window, "Zoom", None),
    entry(Command::Help, Menu::Help, "CoreMusic Help", None),
];

/// A second key that also runs a command (the keyboard's other spelling of it).
fn also(command: Command) -> Option<KeyboardShortcut> {
    match command {
        // ⌘= is ⌘+ without shift on most layouts.
        Command::ZoomIn => key(CMD, Key::Equals),
        // The forward-delete key deletes too.
        Command::Delete => key(Modifiers::NONE, Key::Delete),
        Command::Redo => key(CMD, Key::Y),
        _ => None,
    }
}

/// The table's row for `command` (`None` for [`Command::OpenRecent`], which is built from the list).
pub fn entry_of(command: Command) -> Option<&'static Entry> {
    COMMANDS.iter().find(|e| e.command == command)
}

/// The rows of one menu, in order.
pub fn menu_entries(menu: Menu) -> impl Iterator<Item = &'static Entry> {
    COMMANDS.iter().filter(move |e| e.menu == menu)
}

/// Removes the first press of `shortcut` from this frame's input; `Some(repeat)` when there was one.
fn take_key(ctx: &egui::Context, shortcut: KeyboardShortcut) -> Option<bool> {
    ctx.input_mut(|i| {
        let mut hit = None;
        i.events.retain(|e| match e {
            egui::Event::Key { key, pressed: true, repeat, modifiers, .. }
                if hit.is_none() && *key == shortcut.logical_key && modifiers.matches_logically(shortcut.modifiers) =>
            {
                hit = Some(*repeat);
                false
            }
            _ => true,
        });
        hit
    })
}

fn modifier_count(m: Modifiers) -> u8 {
    u8::from(m.alt) + u8::from(m.shift) + u8::from(m.command || m.ctrl || m.mac_cmd)
}

/// True for Undo, Redo, Cut, Copy, Paste, Select All and Delete: keys a text field keeps for itself.
fn is_editing(command: Command) -> bool {
    matches!(
        command,
        Command::Undo
            | Command::Redo
            | Command::Cut
            | Command::Copy
            | Command::Paste
            | Command::SelectAll
            | Command::Delete
    )
}

impl CoreMusicApp {
    /// Whether `command` can run now (menus grey it out otherwise, and its shortcut does nothing).
    pub fn command_enabled(&self, command: Command) -> bool {
        let tab = self.settings.tab;
        let midi = tab == Tab::Midi;
        let roll = &self.midi;
        // The spectrogram and the ruler work from the header's length while the peaks are built.
        let wave_ready = tab == Tab::Waveform && self.waveform.timeline().is_some();
        if self.text_focus.target().is_some() && super::text_focus::is_text_command(command) {
            // A text field has the keyboard: it copies, pastes, undoes… itself.
            return true;
        }
        match command {
            Command::OpenDropped => !self.dropped.is_empty(),
            Command::Save | Command::SaveAs => roll.has_document(),
            Command::RenderMidi => roll.has_document() && roll.render_job().is_none(),
            Command::ConvertSelected => self.files.selected_entry().is_some(),
            Command::OpenRecent(i) => i < self.settings.recent.entries().len(),
            Command::ClearRecent => !self.settings.recent.is_empty(),
            Command::Undo => midi && roll.editor().can_undo(),
            Command::Redo => midi && roll.editor().can_redo(),
            Command::Cut | Command::Copy | Command::Delete => midi && !roll.selection().is_empty(),
            Command::Paste => midi && roll.editor().has_clipboard(),
            Command::SelectAll => (midi && roll.editor().sequence().note_count() > 0) || wave_ready,
            Command::ZoomIn | Command::ZoomOut | Command::ZoomFit | Command::GoToStart | Command::GoToEnd => {
                midi || wave_ready
            }
            Command::PlayPause => {
                midi || self.files.selected_entry().is_some() || self.audio.state != PlayState::Stopped
            }
            Command::Stop => self.audio.state != PlayState::Stopped || roll.is_playing(),
            _ => true,
        }
    }

    /// The title `command` shows now: Undo and Redo name their edit, recent files their name.
    pub fn command_title(&self, command: Command) -> String {
        let editor = self.midi.editor();
        let roll = self.settings.tab == Tab::Midi && self.text_focus.target().is_none();
        match command {
            Command::Undo if roll => editor.undo_name().map(|n| format!("Undo {n}")),
            Command::Redo if roll => editor.redo_name().map(|n| format!("Redo {n}")),
            Command::OpenRecent(i) => self.settings.recent.title(i),
            Command::ClearRecent => Some(super::menu::CLEAR_MENU.to_string()),
            _ => None,
        }
        .or_else(|| entry_of(command).map(|e| e.title.to_string()))
        .unwrap_or_default()
    }

    /// For commands that toggle something (a tab, the profiler, loop): whether it is on.
    pub fn command_checked(&self, command: Command) -> Option<bool> {
        match command {
            Command::ShowTab(tab) => Some(self.settings.tab == tab),
            Command::ToggleProfiler => Some(self.profiler.open),
            Command::ToggleLoop => Some(self.settings.transport.loop_on),
            _ => None,
        }
    }

    /// Runs the shortcuts of the table pressed this frame (before the panels
    /// draw, so they never see them). Keys typed into a text field stay
    /// there; bare keys (space, Home, ⌫) only count when no widget has focus.
    pub(super) fn command_keys(&mut self, ctx: &egui::Context) {
        let typing = ctx.egui_wants_keyboard_input();
        let focused = ctx.memory(|m| m.focused().is_some());
        let pasted = ctx.input(|i| {
            i.events.iter().find_map(|e| match e {
                egui::Event::Copy => Some(Command::Copy),
                egui::Event::Cut => Some(Command::Cut),
                egui::Event::Paste(_) => Some(Command::Paste),
                _ => None,
            })
        });
        let mut run = Vec::new();
        if let Some(c) = pasted.filter(|_| !typing) {
            run.push(c);
        }
        // egui matches ⌘Z on ⇧⌘Z too (extra shift and alt are allowed): the
        // shortcuts with more modifiers are tried first, so ⇧⌘Z is Redo, not Undo.
        let mut table: Vec<&Entry> = COMMANDS.iter().collect();
        table.sort_by_key(|e| std::cmp::Reverse(e.shortcut.map_or(0, |s| modifier_count(s.modifiers))));
        for e in table {
            let bare = e.shortcut.is_some_and(|s| s.modifiers.is_none());
            if (typing && (is_editing(e.command) || bare)) || (bare && focused) {
                continue;
            }
            let pressed = [e.shortcut, also(e.command)].into_iter().flatten().find_map(|s| take_key(ctx, s));
            // A held key repeats: zooming goes on, a toggle or Quit does not.
            let repeats = matches!(e.command, Command::ZoomIn | Command::ZoomOut);
            if pressed.is_some_and(|repeat| !repeat || repeats) {
                run.push(e.command);
            }
        }
        // A frame can run twice (egui's sizing pass) over the same input: the
        // keys are consumed in both, the commands run once.
        if ctx.output(|o| o.num_completed_passes) > 0 {
            return;
        }
        for c in run {
            self.try_command(ctx, c);
        }
    }

    /// Runs `command` when it is enabled (what every menu, key, button and drop does).
    pub fn try_command(&mut self, ctx: &egui::Context, command: Command) {
        if self.command_enabled(command) {
            self.run_command(ctx, command);
        }
    }

    /// Carries out `command` (whatever asked: a menu, a key, a button).
    pub fn run_command(&mut self, ctx: &egui::Context, command: Command) {
        let tab = self.settings.tab;
        if self.text_focus.route(ctx, command) {
            return;
        }
        match command {
            Command::About => self.windows.about = true,
            Command::Preferences => self.windows.preferences = true,
            Command::Help => self.windows.help = true,
            Command::Hide | Command::Minimize => ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(true)),
            Command::Zoom => {
                let maximized = ctx.input(|i| i.viewport().maximized.unwrap_or(false));
                ctx.send_viewport_cmd(egui::ViewportCommand::Maximized(!maximized));
            }
            Command::Quit | Command::Close => {
                // The same guard as the window’s close button.
                if self.midi.confirm_close() {
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                } else {
                    self.settings.tab = Tab::Midi;
                }
            }
            Command::NewMidi => {
                self.settings.tab = Tab::Midi;
                self.midi.new_document();
            }
            Command::Open if tab == Tab::Midi => self.midi.open_dialog(),
            Command::Open => self.jobs.send(super::jobs::Job::PickFiles(self.settings.last_folder.clone())),
            Command::OpenRecent(i) => self.open_recent(i),
            Command::OpenDropped => {
                let paths = std::mem::take(&mut self.dropped);
                if tab == Tab::Batch {
                    self.batch.enqueue(paths);
                } else {
                    self.open_paths(paths);
                }
            }
            Command::ClearRecent => {
                self.settings.recent.clear();
                super::recent::clear_system_recent();
            }
            Command::Save => self.midi.save_document(ctx, false),
            Command::SaveAs => self.midi.save_document(ctx, true),
            Command::RenderMidi => self.midi.render_dialog(ctx),
            Command::ConvertSelected => {
                if let Some(path) = self.files.selected_entry().map(|e| e.path.clone()) {
                    self.batch.enqueue(vec![path]);
                    self.settings.tab = Tab::Batch;
                }
            }
            Command::Undo => self.midi.undo_edit(),
            Command::Redo => self.midi.redo_edit(),
            Command::Cut => self.midi.cut(),
            Command::Copy => self.midi.copy(),
            Command::Paste => self.midi.paste(),
            Command::Delete => self.midi.delete_selected(),
            Command::SelectAll if tab == Tab::Midi => self.midi.select_all(),
            Command::SelectAll => {
                let frames = self.waveform.pyramid().map_or(0, |p| p.frames());
                self.waveform.set_selection(Some(0..frames));
            }
            Command::ShowTab(t) => self.settings.tab = t,
            Command::ZoomIn if tab == Tab::Midi => self.midi.zoom_time(1.25),
            Command::ZoomOut if tab == Tab::Midi => self.midi.zoom_time(0.8),
            Command::ZoomFit if tab == Tab::Midi => self.midi.zoom_fit(),
            Command::ZoomIn => self.waveform.zoom_in(),
            Command::ZoomOut => self.waveform.zoom_out(),
            Command::ZoomFit => self.waveform.show_all(),
            Command::ToggleProfiler => {
                self.profiler.open = !self.profiler.open;
                self.settings.profiler_open = self.profiler.open;
            }
            Command::PlayPause if tab == Tab::Midi => self.midi.play_or_stop(),
            Command::PlayPause => self.transport(|bar, link, cue| bar.play_pause(link, cue)),
            Command::Stop => {
                self.midi.stop();
                self.apply(Action::Stop);
            }
            Command::ToggleLoop => self.transport(|bar, link, cue| bar.toggle_loop(link, cue)),
            Command::GoToStart | Command::GoToEnd => {
                let end = command == Command::GoToEnd;
                if tab == Tab::Midi {
                    self.midi.go_to(end);
                } else {
                    let frame = if end { self.waveform.pyramid().map_or(0, |p| p.frames()) } else { 0 };
                    self.waveform.set_playhead(frame);
                    if self.shown_playhead.is_some() {
                        self.apply(Action::Seek(frame));
                    }
                }
            }
        }
    }

    /// File ▸ Open Recent ▸ entry `i`: opens it, or drops it with a message when it is gone.
    fn open_recent(&mut self, i: usize) {
        let Some(path) = self.settings.recent.entries().get(i).cloned() else { return };
        // One stat of one file the user just chose: the menu's own check, not file reading.
        if path.exists() {
            self.open_paths(vec![path]);
        } else {
            self.settings.recent.remove(&path);
            self.notice = Some(format!("{} is no longer there; it was removed from Open Recent", path.display()));
        }
    }

    /// Notes files the window opened in File ▸ Open Recent (and the system's list).
    pub(super) fn note_recent(&mut self, path: &std::path::Path) {
        if path.is_dir() {
            return;
        }
        if self.settings.recent.note(path) {
            super::recent::note_system_recent(path);
        }
    }
}

/// Every table shortcut as the platform writes it (⌘O on macOS, Ctrl+O elsewhere), for the menus and the help.
pub fn shortcut_text(ctx: &egui::Context, command: Command) -> Option<String> {
    entry_of(command).and_then(|e| e.shortcut).map(|s| ctx.format_shortcut(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_commands_share_a_shortcut_and_every_menu_has_items() {
        let keys: Vec<KeyboardShortcut> =
            COMMANDS.iter().flat_map(|e| [e.shortcut, also(e.command)]).flatten().collect();
        for (i, a) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(a), "{a:?} is used twice");
        }
        for m in Menu::ALL {
            assert!(menu_entries(m).count() > 0, "{m:?} is empty");
        }
        for t in Tab::ALL {
            assert_eq!(entry_of(Command::ShowTab(t)).map(|e| e.title), Some(t.label()));
        }
    }
}
