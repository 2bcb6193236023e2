//! The command table as a user meets it: every command with a shortcut runs
//! from its key, every command runs from the in-window menu bar (the one
//! Linux and Windows show; macOS shows the same table in its own bar), items
//! enable and rename themselves with the document, Open Recent and
//! Preferences come back after a restart, and every control has a name a
//! screen reader can speak.
#![cfg(feature = "gui")]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::gui::*;
use coremusic::midi::{write_smf, Sequence, Track};
use coremusic::ui::commands::{Command, Menu, COMMANDS};
use coremusic::ui::{CoreMusicApp, Settings, Tab};
use egui::accesskit::Role;
use egui::{Key, Modifiers, ViewportCommand, ViewportId};
use egui_kittest::kittest::{By, NodeT, Queryable};

fn harness_with(app: CoreMusicApp) -> App {
    let mut h = window(app, [1200.0, 800.0]);
    h.run_steps(2);
    h
}

/// Settings whose peaks cache is in `dir` (tests never write to the user's cache).
fn settings_in(dir: &Path) -> Settings {
    let mut s = Settings::default();
    s.prefs.peaks_cache_dir = Some(dir.join("peaks"));
    s
}

fn song(dir: &Path) -> PathBuf {
    let mut seq = Sequence::new(480);
    seq.tracks.push(Track::new("Piano", 0));
    // C, D, E, F: natural notes (the test font has no ♯ for a label).
    for (i, key) in [60u8, 62, 64, 65].into_iter().enumerate() {
        seq.push_note(0, i as u64 * 480, 240, key, 100);
    }
    let path = dir.join("song.mid");
    write_smf(&seq, &path).unwrap();
    path
}

/// An app on the MIDI tab with a four-note song open, all notes selected,
/// and a note copied: every Edit command has something to work on.
fn ready(dir: &Path) -> App {
    let mut h = harness_with(app_with(settings_in(dir)));
    drop_files(&mut h, &[song(dir)]);
    step_until(&mut h, "the song opens", |a| a.midi.editor().sequence().note_count() == 4 && !a.midi.busy());
    h.state_mut().midi.select_all();
    h.state_mut().midi.copy();
    h.run_steps(2);
    h
}

fn sent(h: &App, want: fn(&ViewportCommand) -> bool) -> bool {
    h.output().viewport_output.get(&ViewportId::ROOT).is_some_and(|v| v.commands.iter().any(want))
}

/// The table with New MIDI Sequence last (it empties the document the others work on).
fn in_order() -> Vec<&'static coremusic::ui::commands::Entry> {
    let mut order: Vec<_> = COMMANDS.iter().collect();
    order.sort_by_key(|e| e.command == Command::NewMidi);
    order
}

/// Puts the app where `command` is enabled and does something visible.
fn prepare(h: &mut App, command: Command) {
    let app = h.state_mut();
    // The four notes back (a cut or delete before took them).
    while app.midi.editor().sequence().note_count() < 4 && app.midi.editor().can_undo() {
        app.midi.undo_edit();
    }
    match command {
        Command::SelectAll => app.midi.select(&[]),
        // One note selected: after Copy the clipboard holds one note, not the four copied before.
        Command::Copy => {
            let first = app.midi.editor().sequence().tracks[0].notes[0].id;
            app.midi.select(&[first]);
        }
        Command::ZoomFit => app.midi.zoom_time(3.0),
        Command::Stop => app.midi.play(),
        // Cursor away from the start, so Go to Start moves it.
        Command::GoToStart => app.midi.go_to(true),
        // Something unsaved, so closing asks (and the test can see the key worked).
        Command::Quit | Command::Close => app.midi.transpose(12),
        _ => {}
    }
    app.settings.tab = match command {
        Command::ShowTab(Tab::Midi) => Tab::Inspector,
        Command::ShowTab(_) => Tab::Midi,
        _ => Tab::Midi,
    };
    if matches!(command, Command::Undo | Command::Redo) {
        // Something to undo, and (after an undo) something to redo.
        app.midi.transpose(12);
        if command == Command::Redo {
            app.midi.undo_edit();
        }
    }
    if matches!(command, Command::Cut | Command::Delete) {
        app.midi.select_all();
    }
    h.run_steps(1);
}

/// Copy leaves the document alone: what it copied shows in what Paste adds.
fn assert_copied_one(h: &mut App) {
    let n = h.state().midi.editor().sequence().note_count();
    h.state_mut().midi.paste();
    assert_eq!(h.state().midi.editor().sequence().note_count(), n + 1, "Copy copied the one selected note");
    h.state_mut().midi.undo_edit();
    h.run_steps(1);
}

/// Commands that open a native dialog or ask the window to go: their effect is checked apart.
fn has_side_effects(command: Command) -> bool {
    matches!(command, Command::Open | Command::SaveAs | Command::RenderMidi | Command::Hide | Command::Minimize)
}

/// What the app looks like after `command` ran (a signature to compare before/after).
fn observe(h: &App) -> String {
    let a = h.state();
    format!(
        "{:?} {} {:?} {:?} {} {} {:?} {:?} {} {}",
        a.settings.tab,
        a.midi.editor().revision(),
        a.midi.selection().len(),
        a.windows,
        a.profiler.open,
        a.settings.transport.loop_on,
        a.midi.zoom(),
        a.midi.cursor_tick(),
        a.midi.is_playing(),
        a.midi.discard_question_open(),
    )
}

/// Presses `s` as a user would, and runs two more frames.
fn press(h: &mut App, s: egui::KeyboardShortcut) {
    h.key_press_modifiers(s.modifiers, s.logical_key);
    // The key down, in one frame (the harness's key_press sends down and up over four frames).
    let key = |pressed| egui::Event::Key {
        key: s.logical_key,
        physical_key: None,
        pressed,
        repeat: false,
        modifiers: s.modifiers,
    };
    h.input_mut().events.extend([egui::Event::ModifiersChanged(s.modifiers), key(true)]);
    h.step();
    h.input_mut().events.extend([key(false), egui::Event::ModifiersChanged(Modifiers::NONE)]);
    h.run_steps(2);
}

#[test]
fn every_command_with_a_shortcut_runs_from_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = ready(dir.path());
    let mut checked = 0;
    for e in in_order() {
        let Some(s) = e.shortcut else { continue };
        if has_side_effects(e.command) {
            continue;
        }
        prepare(&mut h, e.command);
        assert!(h.state().command_enabled(e.command), "{:?} is enabled for the test", e.command);
        let before = observe(&h);
        press(&mut h, s);
        let after = observe(&h);
        match e.command {
            Command::Quit | Command::Close => {
                // An unsaved edit (from prepare): the key brings up the close question.
                assert!(h.state().midi.close_question_open(), "{:?} asks before closing", e.command);
                h.get_by_label("Cancel").click();
                h.run_steps(2);
            }
            Command::Save => {
                step_until(&mut h, "the save", |a| !a.midi.busy());
                let status = h.state().midi.status().map(|(m, _)| m.to_string());
                assert!(status.as_deref().is_some_and(|m| m.starts_with("Saved song.mid")), "{status:?}");
            }
            Command::Copy => assert_copied_one(&mut h),
            _ => assert_ne!(before, after, "{:?} ({}) changed nothing", e.command, h.ctx.format_shortcut(&s)),
        }
        // Leave the app as it was for the next command.
        let app = h.state_mut();
        app.windows = Default::default();
        app.midi.stop();
        checked += 1;
        h.run_steps(1);
    }
    assert!(checked >= 25, "{checked} shortcuts checked");
}

#[test]
fn every_command_runs_from_the_in_window_menu() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut h = ready(dir);
    // A selected audio file, for File ▸ Convert Selected Files….
    let wav = common::hound_wav(dir, "menu.wav", 44100, 1, 441);
    drop_files(&mut h, &[wav]);
    step_until(&mut h, "the wav opens", |a| !a.busy() && a.files.selected_entry().is_some());
    for e in in_order() {
        if has_side_effects(e.command)
            || matches!(e.command, Command::Quit | Command::Close | Command::Save | Command::Zoom)
        {
            continue;
        }
        prepare(&mut h, e.command);
        let title = h.state().command_title(e.command);
        let before = observe(&h);
        h.get_by_label(&format!("{} menu", e.menu.title())).click();
        h.run_steps(2);
        let role = if h.state().command_checked(e.command).is_some() { Role::MenuItemCheckBox } else { Role::MenuItem };
        h.get_by_role_and_label(role, &title).click();
        h.run_steps(2);
        if e.command == Command::Copy {
            assert_copied_one(&mut h);
        } else {
            assert_ne!(before, observe(&h), "{:?} from {} ▸ {title} changed nothing", e.command, e.menu.title());
        }
        let app = h.state_mut();
        app.windows = Default::default();
        app.midi.stop();
        h.run_steps(1);
    }
    // New MIDI Sequence (last) asked whether to discard the edits: keep them.
    if h.state().midi.discard_question_open() {
        h.get_by_label("Cancel").click();
        h.run_steps(2);
    }
    // Quit and Close from the menu ask first when there are unsaved edits.
    for (menu, item) in [("CoreMusic menu", "Quit CoreMusic"), ("File menu", "Close")] {
        h.state_mut().midi.transpose(12);
        h.run_steps(1);
        h.get_by_label(menu).click();
        h.run_steps(2);
        h.get_by_role_and_label(Role::MenuItem, item).click();
        h.run_steps(2);
        assert!(h.state().midi.close_question_open(), "{item} asks first");
        h.get_by_label("Cancel").click();
        h.run_steps(2);
    }
}

#[test]
fn menu_items_follow_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness_with(app_with(settings_in(dir.path())));
    // A fresh window: no MIDI document, nothing to undo.
    for c in [Command::Save, Command::SaveAs, Command::RenderMidi, Command::Undo, Command::Paste] {
        assert!(!h.state().command_enabled(c), "{c:?} enabled with no document");
    }
    h.get_by_label("File menu").click();
    h.run_steps(2);
    assert!(h.get_by_role_and_label(Role::MenuItem, "Save").accesskit_node().is_disabled());
    h.key_press(Key::Escape);
    h.run_steps(1);
    // Open a song on the MIDI tab, delete its notes: Save, and Undo named after the edit.
    drop_files(&mut h, &[song(dir.path())]);
    step_until(&mut h, "the song opens", |a| a.midi.editor().sequence().note_count() == 4 && !a.midi.busy());
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(1);
    h.key_press(Key::Backspace);
    h.run_steps(2);
    assert_eq!(h.state().midi.editor().sequence().note_count(), 0);
    assert!(h.state().command_enabled(Command::Save));
    h.get_by_label("Edit menu").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::MenuItem, "Undo Delete").click();
    h.run_steps(2);
    assert_eq!(h.state().midi.editor().sequence().note_count(), 4);
    // On another tab the piano roll's edits are not the Edit menu's.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num1);
    h.run_steps(1);
    assert_eq!(h.state().settings.tab, Tab::Inspector);
    assert!(!h.state().command_enabled(Command::Redo));
    assert_eq!(h.state().command_title(Command::Redo), "Redo");
}

#[test]
fn closing_with_unsaved_edits_asks_on_cmd_q_and_cmd_w() {
    let dir = tempfile::tempdir().unwrap();
    for key in [Key::Q, Key::W] {
        let mut h = ready(dir.path());
        h.state_mut().midi.transpose(12);
        h.state_mut().settings.tab = Tab::Inspector;
        h.run_steps(1);
        h.key_press_modifiers(Modifiers::COMMAND, key);
        h.run_steps(2);
        assert!(h.state().midi.close_question_open(), "⌘{key:?} asks first");
        assert!(!sent(&h, |c| matches!(c, ViewportCommand::Close)));
        assert_eq!(h.state().settings.tab, Tab::Midi);
        h.get_by_label("Cancel").click();
        h.run_steps(2);
        assert!(h.state().midi.is_dirty(), "Cancel keeps the edits");
    }
}

/// eframe's storage as a folder with one JSON file, as a restart would find it.
struct DirStorage {
    file: PathBuf,
    map: BTreeMap<String, String>,
}

impl DirStorage {
    fn open(dir: &Path) -> Self {
        let file = dir.join("app.json");
        let map = std::fs::read(&file).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        DirStorage { file, map }
    }
}

impl eframe::Storage for DirStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.map.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.map.insert(key.to_string(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.map.remove(key);
    }
    fn flush(&mut self) {
        std::fs::write(&self.file, serde_json::to_vec(&self.map).unwrap()).unwrap();
    }
}

#[test]
fn open_recent_and_preferences_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("storage");
    std::fs::create_dir_all(&store).unwrap();
    let wav = common::hound_wav(dir.path(), "take.wav", 44100, 2, 4410);
    let gone = common::hound_wav(dir.path(), "gone.wav", 44100, 1, 441);
    let mid = song(dir.path());
    {
        let mut h = harness_with(app_with(settings_in(dir.path())));
        drop_files(&mut h, &[&gone]);
        drop_files(&mut h, &[&wav]);
        drop_files(&mut h, &[&mid]);
        step_until(&mut h, "everything opens", |a| !a.busy() && !a.midi.busy() && a.files.entries.len() == 2);
        // Preferences (⌘,): dark theme, a 256-frame buffer, a 64 MB cache cap.
        h.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
        h.run_steps(3);
        h.get_by_label("Preferences");
        h.get_all_by_label("Dark").last().unwrap().click();
        h.run_steps(1);
        h.get_by_role_and_label(Role::ComboBox, "Default buffer size").click();
        h.run_steps(2);
        h.get_by_label("256 frames").click();
        h.run_steps(2);
        h.state_mut().settings.prefs.peaks_cache_mb = 64;
        let mut storage = DirStorage::open(&store);
        eframe::App::save(h.state_mut(), &mut storage);
        eframe::Storage::flush(&mut storage);
    }
    std::fs::remove_file(&gone).unwrap();

    // The restart. Loading looks at no file: the deleted one goes once the jobs thread has checked.
    let storage = DirStorage::open(&store);
    let settings = Settings::load(Some(&storage));
    assert_eq!(settings.recent.entries(), [mid.clone(), wav.clone(), gone.clone()], "newest first");
    assert_eq!(settings.prefs.theme, coremusic::ui::preferences::Theme::Dark);
    assert_eq!(settings.prefs.buffer_frames, Some(256));
    assert_eq!(settings.prefs.peaks_cache_mb, 64);
    let mut h = harness_with(app_with(settings));
    step_until(&mut h, "the check of Open Recent", |a| !a.busy());
    assert_eq!(h.state().settings.recent.entries(), [mid.clone(), wav.clone()], "the deleted file dropped");
    h.get_by_label("File menu").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::MenuItem, "Open Recent").hover();
    h.run_steps(2);
    h.get_by_role_and_label(Role::MenuItem, "take.wav").click();
    step_until(&mut h, "take.wav opens", |a| !a.busy() && a.files.entries.len() == 1);
    assert_eq!(h.state().files.entries[0].path, wav);
    // Clear Menu empties it.
    h.state_mut().run_command(&egui::Context::default(), Command::ClearRecent);
    assert!(h.state().settings.recent.is_empty());
}

/// Roles a screen reader announces as something to operate.
fn is_control(role: Role) -> bool {
    matches!(
        role,
        Role::Button
            | Role::CheckBox
            | Role::ComboBox
            | Role::Slider
            | Role::SpinButton
            | Role::TextInput
            | Role::MultilineTextInput
            | Role::MenuItem
            | Role::MenuItemCheckBox
            | Role::RadioButton
    )
}

#[test]
fn every_control_on_every_tab_has_a_name_for_voiceover() {
    let dir = tempfile::tempdir().unwrap();
    let wav = common::hound_wav(dir.path(), "named.wav", 44100, 2, 44100);
    let mut h = ready(dir.path());
    drop_files(&mut h, &[wav]);
    step_until(&mut h, "the wav opens", |a| !a.busy() && a.files.entries.len() == 1);
    h.state_mut().windows.preferences = true;
    for tab in Tab::ALL {
        h.state_mut().settings.tab = tab;
        h.run_steps(3);
        let unnamed: Vec<String> = h
            .query_all(By::new().predicate(|n| is_control(n.role()) && n.label().is_none_or(|l| l.trim().is_empty())))
            .map(|n| format!("{:?} at {:?}", n.accesskit_node().role(), n.rect()))
            .collect();
        assert!(unnamed.is_empty(), "{tab:?}: controls without a name: {unnamed:?}");
    }
    // Each panel's main controls, by role and name.
    h.get_by_role_and_label(Role::Button, "Open…");
    h.get_by_role_and_label(Role::ComboBox, "Default output device");
    h.get_by_role_and_label(Role::SpinButton, "Cache size limit");
    h.get_by_role_and_label(Role::Button, "Clear cache");
    for m in Menu::ALL {
        h.get_by_role_and_label(Role::MenuItem, &format!("{} menu", m.title()));
    }
    h.state_mut().settings.tab = Tab::Midi;
    h.run_steps(2);
    for name in ["New", "Open MIDI…", "Save", "Render to WAV…", "Quantize", "Add track"] {
        h.get_by_role_and_label(Role::Button, name);
    }
    h.get_by_role_and_label(Role::ComboBox, "Program of track 1");
    h.state_mut().settings.tab = Tab::Latency;
    h.run_steps(2);
    h.get_by_role_and_label(Role::ComboBox, "Buffer size");
    h.get_by_role_and_label(Role::Slider, "Volume");
}

/// Lets the engine handle what was sent and the window take in its answers.
fn settle(h: &mut App) {
    h.run_steps(2);
    assert!(h.state().audio.engine().sync(std::time::Duration::from_secs(30)), "the engine answers");
    h.run_steps(2);
}

/// What the transport changes: the waveform's playhead, loop, the engine's state and file.
fn transport_state(h: &App) -> String {
    let a = h.state();
    format!(
        "{} {} {:?} {:?}",
        a.waveform.playhead(),
        a.settings.transport.loop_on,
        a.audio.state,
        a.audio.playing_path()
    )
}

/// The Waveform tab, stopped, loop off, the playhead where `command` has
/// something to do (at the end for Go to Start), and playing for Stop.
fn transport_ready(h: &mut App, command: Command, end: u64) {
    let ctx = h.ctx.clone();
    let a = h.state_mut();
    a.apply(coremusic::ui::Action::Stop);
    a.settings.transport.loop_on = false;
    a.waveform.set_playhead(if command == Command::GoToStart { end } else { 0 });
    settle(h);
    if command == Command::Stop {
        h.state_mut().run_command(&ctx, Command::PlayPause);
        settle(h);
        assert_eq!(h.state().audio.state, coremusic::engine::PlayState::Playing);
    }
    // No widget keeps the keyboard (a bare key like space counts only then).
    ctx.memory_mut(|m| m.focused().map(|id| m.surrender_focus(id)));
    h.run_steps(1);
}

#[test]
fn transport_buttons_and_drops_run_the_commands_of_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness_with(app_with(settings_in(dir.path())));
    // Nothing to play, stop or go to: those buttons are disabled, as their commands are.
    for name in ["Go to Start", "Play", "Stop", "Go to End"] {
        assert!(h.get_by_role_and_label(Role::Button, name).accesskit_node().is_disabled(), "{name} is enabled");
    }
    assert!(!h.get_by_role_and_label(Role::CheckBox, "Loop").accesskit_node().is_disabled());
    // A drop is File ▸ Open with the files chosen: listed, selected, in Open Recent.
    let wav = common::hound_wav(dir.path(), "drop.wav", 44100, 1, 44100);
    drop_files(&mut h, &[&wav]);
    step_until(&mut h, "the dropped file opens", |a| !a.busy() && a.files.selected_entry().is_some());
    assert_eq!(h.state().files.entries[0].path, wav);
    assert_eq!(h.state().settings.recent.entries(), std::slice::from_ref(&wav));
    // On the Batch tab a drop queues the file for conversion instead.
    let queued = common::hound_wav(dir.path(), "queued.wav", 44100, 1, 441);
    h.state_mut().settings.tab = Tab::Batch;
    h.run_steps(1);
    drop_files(&mut h, &[&queued]);
    assert!(h.state().batch.queue.contains(&queued));
    assert_eq!(h.state().files.entries.len(), 1);

    h.state_mut().settings.tab = Tab::Waveform;
    step_until(&mut h, "the waveform", |a| a.waveform.is_ready());
    let end = 44100;
    for (command, button, role) in [
        (Command::GoToEnd, "Go to End", Role::Button),
        (Command::GoToStart, "Go to Start", Role::Button),
        (Command::ToggleLoop, "Loop", Role::CheckBox),
        (Command::PlayPause, "Play", Role::Button),
        (Command::Stop, "Stop", Role::Button),
    ] {
        transport_ready(&mut h, command, end);
        let before = transport_state(&h);
        let shortcut = coremusic::ui::commands::entry_of(command).and_then(|e| e.shortcut).unwrap();
        press(&mut h, shortcut);
        settle(&mut h);
        let by_key = transport_state(&h);
        assert_ne!(before, by_key, "{command:?}'s key changed nothing");

        transport_ready(&mut h, command, end);
        assert_eq!(transport_state(&h), before);
        let node = h.get_by_role_and_label(role, button);
        assert!(!node.accesskit_node().is_disabled(), "{button} is disabled");
        node.click();
        settle(&mut h);
        assert_eq!(transport_state(&h), by_key, "the {button} button does what {command:?}'s key does");
    }
    // Stopped: Stop is disabled again.
    assert!(h.get_by_role_and_label(Role::Button, "Stop").accesskit_node().is_disabled());
}

/// The text a frame put on the clipboard, if any.
fn copied(h: &App) -> Option<String> {
    h.output().platform_output.commands.iter().find_map(|c| match c {
        egui::OutputCommand::CopyText(t) => Some(t.clone()),
        _ => None,
    })
}

/// Chooses Edit ▸ `item` in the in-window menu; returns what was copied meanwhile.
fn from_edit_menu(h: &mut App, item: &str) -> Option<String> {
    let mut out = None;
    h.get_by_label("Edit menu").click();
    for _ in 0..2 {
        h.step();
        out = out.or(copied(h));
    }
    h.get_by_role_and_label(Role::MenuItem, item).click();
    for _ in 0..3 {
        h.step();
        out = out.or(copied(h));
    }
    out
}

#[test]
fn edit_menu_goes_to_the_focused_text_field_and_else_to_the_notes() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = ready(dir.path());
    let revision = h.state().midi.editor().revision();
    h.state_mut().settings.tab = Tab::Batch;
    h.run_steps(2);
    h.get_by_role_and_label(Role::TextInput, "Output folder").click();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, "Output folder").type_text("/music/out");
    h.run_steps(1);
    assert_eq!(h.state().batch.out_dir, "/music/out");
    // Select All and Copy work on the field's text, not on the notes.
    assert_eq!(from_edit_menu(&mut h, "Select All"), None);
    assert_eq!(from_edit_menu(&mut h, "Copy").as_deref(), Some("/music/out"));
    assert_eq!(h.state().batch.out_dir, "/music/out");
    // Cut takes the text out of the field.
    from_edit_menu(&mut h, "Select All");
    assert_eq!(from_edit_menu(&mut h, "Cut").as_deref(), Some("/music/out"));
    assert_eq!(h.state().batch.out_dir, "");
    // Paste asks the window for the clipboard (macOS: reads the pasteboard);
    // its text comes as a paste event, which the field, focused again, takes.
    h.get_by_label("Edit menu").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::MenuItem, "Paste").click();
    h.step();
    #[cfg(not(target_os = "macos"))]
    assert!(sent(&h, |c| matches!(c, ViewportCommand::RequestPaste)), "the window is asked for the clipboard");
    h.input_mut().events.push(egui::Event::Paste("/music/pasted".into()));
    h.run_steps(2);
    assert_eq!(h.state().batch.out_dir, "/music/pasted");
    assert_eq!(h.state().midi.editor().revision(), revision, "the notes were left alone");
    assert_eq!(h.state().midi.selection().len(), 4);

    // A click on the MIDI tab takes the focus from the field: Edit ▸ Copy copies notes again.
    h.get_by_role_and_label(Role::Button, "MIDI").click();
    h.run_steps(2);
    assert_eq!(h.state().settings.tab, Tab::Midi);
    prepare(&mut h, Command::Copy);
    assert_eq!(from_edit_menu(&mut h, "Copy"), None, "no text was copied");
    assert_copied_one(&mut h);
}

#[test]
fn preferences_change_the_running_engine_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness_with(app_with(settings_in(dir.path())));
    step_until(&mut h, "the device", |a| a.audio.device.is_some());
    let device = |h: &App| h.state().audio.device.clone().unwrap();
    let before = device(&h);
    let want = if before.buffer_frames == 256 { 1024 } else { 256 };
    let latency = |frames: usize, rate: u32| format!("{:.1} ms", frames as f64 * 1e3 / f64::from(rate));
    assert!(h.query_by_label(&format!("{} frames", before.buffer_frames)).is_some());
    h.key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    h.run_steps(3);
    h.get_by_role_and_label(Role::ComboBox, "Default buffer size").click();
    h.run_steps(2);
    h.get_by_label(&format!("{want} frames")).click();
    h.run_steps(2);
    step_until(&mut h, "the engine's new buffer", |a| a.audio.device.as_ref().is_some_and(|d| d.buffer_frames == want));
    // Kept for the next launch too.
    assert_eq!(h.state().settings.prefs.buffer_frames, Some(want));
    // The status bar (Preferences closed, so its menu's text is not counted): frames and latency.
    h.state_mut().windows.preferences = false;
    h.run_steps(2);
    let after = device(&h);
    h.get_by_label(&format!("{want} frames"));
    h.get_by_label(&latency(after.latency_frames as usize, after.sample_rate));
    assert_ne!(
        latency(after.latency_frames as usize, after.sample_rate),
        latency(before.latency_frames as usize, before.sample_rate)
    );
    assert!(h.query_by_label(&format!("{} frames", before.buffer_frames)).is_none());
}
