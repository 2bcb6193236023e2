//! The macOS menu bar through muda (AppKit underneath), built from the
//! command table: CoreMusic, File (with Open Recent), Edit, View, Transport,
//! Window and Help. It replaces winit's default menu, whose Quit ended the
//! process without asking about unsaved MIDI edits. Items send their id over
//! muda's channel; the app polls it every frame (a wake-up repaint comes with
//! each event). Shortcuts without a modifier (space, Home, ⌫) are not given
//! to AppKit, which would take them from text fields; egui handles them.
//!
//! AppKit sends ⌘C, ⌘V, ⌘Z… to the menu before the window sees them: an
//! editing command chosen while an egui text field has the keyboard goes to
//! that field, as from the in-window menu (`text_focus`, which reads the
//! pasteboard here for Paste).

use std::collections::HashMap;

use crossbeam_channel::{unbounded, Receiver};
use muda::accelerator::{Accelerator, Code, Modifiers as MudaMods};
use muda::{CheckMenuItem, Menu as MudaMenu, MenuEvent, MenuId, MenuItem, PredefinedMenuItem, Submenu};

use super::commands::{menu_entries, Command, Menu, COMMANDS};
use super::CoreMusicApp;

/// One item as AppKit shows it now.
#[derive(Clone, PartialEq)]
struct Shown {
    title: String,
    enabled: bool,
    checked: Option<bool>,
}

enum Item {
    Plain(MenuItem),
    Check(CheckMenuItem),
}

/// The installed menu bar.
pub struct NativeMenu {
    _bar: MudaMenu,
    items: Vec<(Command, Item, Shown)>,
    recent: Submenu,
    recent_shown: Vec<String>,
    clear_recent: MenuItem,
    events: Receiver<MenuEvent>,
    ids: HashMap<MenuId, Command>,
}

fn id_of(command: Command) -> String {
    match command {
        Command::OpenRecent(i) => format!("coremusic.recent.{i}"),
        other => format!("coremusic.{other:?}"),
    }
}

/// egui's key as AppKit's key code (only the keys the table uses).
fn code(key: egui::Key) -> Option<Code> {
    use egui::Key as K;
    Some(match key {
        K::A => Code::KeyA,
        K::C => Code::KeyC,
        K::H => Code::KeyH,
        K::L => Code::KeyL,
        K::M => Code::KeyM,
        K::N => Code::KeyN,
        K::O => Code::KeyO,
        K::P => Code::KeyP,
        K::Q => Code::KeyQ,
        K::R => Code::KeyR,
        K::S => Code::KeyS,
        K::V => Code::KeyV,
        K::W => Code::KeyW,
        K::X => Code::KeyX,
        K::Z => Code::KeyZ,
        K::Num0 => Code::Digit0,
        K::Num1 => Code::Digit1,
        K::Num2 => Code::Digit2,
        K::Num3 => Code::Digit3,
        K::Num4 => Code::Digit4,
        K::Num5 => Code::Digit5,
        K::Comma => Code::Comma,
        K::Period => Code::Period,
        K::Minus => Code::Minus,
        K::Plus | K::Equals => Code::Equal,
        _ => return None,
    })
}

fn accelerator(command: Command) -> Option<Accelerator> {
    let s = super::commands::entry_of(command)?.shortcut?;
    if s.modifiers.is_none() {
        return None;
    }
    let mut mods = MudaMods::empty();
    if s.modifiers.command || s.modifiers.mac_cmd {
        mods |= MudaMods::SUPER;
    }
    if s.modifiers.shift {
        mods |= MudaMods::SHIFT;
    }
    if s.modifiers.alt {
        mods |= MudaMods::ALT;
    }
    Some(Accelerator::new(Some(mods), code(s.logical_key)?))
}

impl NativeMenu {
    /// Builds the bar and makes it the application's (main thread, after launch).
    pub fn install(ctx: &egui::Context) -> Option<Self> {
        let bar = MudaMenu::new();
        let mut items = Vec::new();
        let mut ids = HashMap::new();
        let recent = Submenu::new(super::menu::OPEN_RECENT, true);
        let clear_recent = MenuItem::with_id(id_of(Command::ClearRecent), super::menu::CLEAR_MENU, false, None);
        ids.insert(clear_recent.id().clone(), Command::ClearRecent);
        for menu in Menu::ALL {
            let sub = Submenu::new(menu.title(), true);
            for e in menu_entries(menu) {
                if e.separator_before {
                    sub.append(&PredefinedMenuItem::separator()).ok()?;
                }
                let shown = Shown { title: e.title.to_string(), enabled: true, checked: None };
                let id = id_of(e.command);
                ids.insert(MenuId::new(&id), e.command);
                let item = if matches!(e.command, Command::ShowTab(_) | Command::ToggleProfiler | Command::ToggleLoop) {
                    let c = CheckMenuItem::with_id(id, e.title, true, false, accelerator(e.command));
                    sub.append(&c).ok()?;
                    Item::Check(c)
                } else {
                    let c = MenuItem::with_id(id, e.title, true, accelerator(e.command));
                    sub.append(&c).ok()?;
                    Item::Plain(c)
                };
                items.push((e.command, item, shown));
                if e.recent_after {
                    sub.append(&recent).ok()?;
                }
                // Hide Others and Show All sit with Hide, as in every Mac app.
                if e.command == Command::Hide {
                    sub.append(&PredefinedMenuItem::hide_others(None)).ok()?;
                    sub.append(&PredefinedMenuItem::show_all(None)).ok()?;
                }
            }
            match menu {
                Menu::Window => sub.set_as_windows_menu_for_nsapp(),
                Menu::Help => sub.set_as_help_menu_for_nsapp(),
                _ => {}
            }
            bar.append(&sub).ok()?;
        }
        recent.append(&clear_recent).ok()?;
        bar.init_for_nsapp();
        let (tx, events) = unbounded();
        let wake = ctx.clone();
        MenuEvent::set_event_handler(Some(move |e: MenuEvent| {
            let _ = tx.send(e);
            wake.request_repaint();
        }));
        debug_assert_eq!(items.len(), COMMANDS.len());
        Some(NativeMenu { _bar: bar, items, recent, recent_shown: Vec::new(), clear_recent, events, ids })
    }

    /// The commands chosen since the last frame (see the module docs for text fields).
    pub fn poll(&mut self) -> Vec<Command> {
        self.events
            .try_iter()
            .filter_map(|e| {
                self.ids.get(&e.id).copied().or_else(|| {
                    e.id.as_ref()
                        .strip_prefix("coremusic.recent.")
                        .and_then(|i| i.parse().ok())
                        .map(Command::OpenRecent)
                })
            })
            .collect()
    }

    /// Titles, enabled and checked states, and the Open Recent list, as the app is now.
    pub fn sync(&mut self, app: &CoreMusicApp) {
        for (command, item, shown) in &mut self.items {
            let now = Shown {
                title: app.command_title(*command),
                enabled: app.command_enabled(*command),
                checked: app.command_checked(*command),
            };
            if now == *shown {
                continue;
            }
            match item {
                Item::Plain(i) => {
                    i.set_text(&now.title);
                    i.set_enabled(now.enabled);
                }
                Item::Check(i) => {
                    i.set_text(&now.title);
                    i.set_enabled(now.enabled);
                    i.set_checked(now.checked.unwrap_or(false));
                }
            }
            *shown = now;
        }
        let recent: Vec<String> =
            (0..app.settings.recent.entries().len()).filter_map(|i| app.settings.recent.title(i)).collect();
        if recent != self.recent_shown {
            // Everything above Clear Menu (always the last item) goes.
            for _ in 1..self.recent.items().len() {
                let _ = self.recent.remove_at(0);
            }
            for (i, title) in recent.iter().enumerate() {
                let item = MenuItem::with_id(id_of(Command::OpenRecent(i)), title, true, None);
                let _ = self.recent.insert(&item, i);
            }
            if !recent.is_empty() {
                let _ = self.recent.insert(&PredefinedMenuItem::separator(), recent.len());
            }
            self.clear_recent.set_enabled(!recent.is_empty());
            self.recent_shown = recent;
        }
    }
}

/// The text on the general pasteboard (what ⌘V would paste).
pub(super) fn pasteboard_text() -> Option<String> {
    use objc2_app_kit::{NSPasteboard, NSPasteboardTypeString};
    let board = NSPasteboard::generalPasteboard();
    // SAFETY: `NSPasteboardTypeString` is an immutable AppKit constant (an
    // NSString) initialised when AppKit loads, which it has by the time a
    // menu event exists; reading the static is then sound.
    #[allow(unsafe_code)]
    let kind = unsafe { NSPasteboardTypeString };
    board.stringForType(kind).map(|s| s.to_string())
}
