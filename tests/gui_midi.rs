//! The MIDI tab driven as a user would with egui_kittest: draw, drag, undo,
//! redo, delete and quantize notes with the pointer and the keyboard, open a
//! dropped .mid, answer the unsaved-changes question, and play (the Player
//! the panel hands out is rendered here, standing in for the audio engine).
#![cfg(feature = "gui")]

mod common;

use common::gui::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use coremusic::midi::{write_smf, EventKind, Note, Sequence, Track};
use coremusic::ui::piano_roll::{RollView, Snap};
use coremusic::ui::{Action, CoreMusicApp, PianoRollPanel, Tab};
use egui::{Key, Modifiers, Pos2};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;

fn app_harness() -> Harness<'static, CoreMusicApp> {
    let app = new_app();
    let mut h =
        Harness::builder().with_size([1200.0, 760.0]).build_ui_state(|ui, app: &mut CoreMusicApp| app.show(ui), app);
    h.run_steps(2);
    h.get_by_label("MIDI").click();
    h.run_steps(3);
    assert_eq!(h.state().settings.tab, Tab::Midi);
    h
}

/// The screen point of `tick` in the middle of key `key`'s row.
fn at(v: &RollView, tick: f64, key: u8) -> Pos2 {
    Pos2::new(v.tick_to_x(tick), v.key_to_y(key) + v.key_height / 2.0)
}

fn click<S>(h: &mut Harness<'static, S>, p: Pos2) {
    h.hover_at(p);
    h.step();
    h.drag_at(p);
    h.step();
    h.drop_at(p);
    h.run_steps(2);
}

fn drag<S>(h: &mut Harness<'static, S>, from: Pos2, to: Pos2) {
    h.hover_at(from);
    h.step();
    h.drag_at(from);
    h.step();
    for i in 1..=6 {
        h.hover_at(from + (to - from) * (i as f32 / 6.0));
        h.step();
    }
    h.drop_at(to);
    h.run_steps(2);
}

fn notes(panel: &PianoRollPanel) -> Vec<Note> {
    panel.editor().sequence().tracks.iter().flat_map(|t| t.notes.iter().copied()).collect()
}

fn only_note(panel: &PianoRollPanel) -> Note {
    let all = notes(panel);
    assert_eq!(all.len(), 1, "{all:?}");
    all[0]
}

/// Steps until the panel's background work is done.
fn settle(h: &mut App) {
    h.run_steps(2);
    step_until(h, "loading", |a| !a.midi.busy());
    h.run_steps(1);
}

fn drop_file(h: &mut App, path: &Path) {
    drop_files(h, &[path]);
}

fn two_track_song(dir: &Path) -> PathBuf {
    let mut seq = Sequence::new(480);
    seq.tracks.push(Track::new("Melody", 0));
    seq.tracks.push(Track::new("Bass", 1));
    seq.push_event(0, 0, EventKind::Tempo(400_000));
    for (i, key) in [72u8, 74, 76, 77, 79, 77, 76, 74].iter().enumerate() {
        seq.push_note(0, i as u64 * 480, 400, *key, 90);
    }
    for i in 0..4u64 {
        seq.push_note(1, i * 960, 900, 48, 100);
    }
    let path = dir.join("song.mid");
    write_smf(&seq, &path).unwrap();
    path
}

#[test]
fn draw_drag_undo_redo_delete() {
    let mut h = app_harness();
    h.get_by_label("Draw").click();
    h.run_steps(2);
    let v = *h.state().midi.view();
    // Draw on beat 2 (snap 1/16 puts the note on the grid line at or before the click).
    click(&mut h, at(&v, 490.0, 60));
    let n = only_note(&h.state().midi);
    assert_eq!((n.start, n.key), (480, 60));
    assert!(h.state().midi.is_dirty());

    // Drag it two beats later and two keys up.
    let v = *h.state().midi.view();
    let from = v.note_center(&n);
    let to = from + egui::vec2(960.0 * v.px_per_tick, -2.0 * v.key_height);
    drag(&mut h, from, to);
    let moved = only_note(&h.state().midi);
    assert_eq!((moved.id, moved.start, moved.key), (n.id, 1440, 62));
    assert_eq!(h.state().midi.editor().undo_name(), Some("Move"), "the whole drag is one step");
    h.get_by_label("Undo Move");

    // ⌘Z puts it back in one step; the step before is the drawing.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    let back = only_note(&h.state().midi);
    assert_eq!((back.start, back.key), (480, 60));
    assert_eq!(h.state().midi.editor().undo_name(), Some("Add note"));

    // ⇧⌘Z moves it again.
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run_steps(2);
    let again = only_note(&h.state().midi);
    assert_eq!((again.start, again.key), (1440, 62));

    // It is still selected: Delete removes it.
    assert_eq!(h.state().midi.selection(), vec![n.id]);
    h.key_press(Key::Delete);
    h.run_steps(2);
    assert!(notes(&h.state().midi).is_empty());

    // Undo brings it back; a rubber band from empty grid selects it; Backspace deletes.
    h.get_by_label("Undo Delete").click();
    h.run_steps(2);
    h.get_by_label("Select").click();
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(h.state().midi.selection().is_empty());
    let v = *h.state().midi.view();
    drag(&mut h, at(&v, 1300.0, 64), at(&v, 1700.0, 61));
    assert_eq!(h.state().midi.selection(), vec![n.id]);
    h.key_press(Key::Backspace);
    h.run_steps(2);
    assert!(notes(&h.state().midi).is_empty());
}

#[test]
fn resize_by_the_right_edge_and_velocity_lane() {
    let mut h = app_harness();
    h.get_by_label("Draw").click();
    h.run_steps(2);
    let v = *h.state().midi.view();
    click(&mut h, at(&v, 10.0, 64));
    let n = only_note(&h.state().midi);
    assert_eq!(n.length, 120);
    // Grab the right edge and pull it to beat 2.
    let v = *h.state().midi.view();
    let r = v.note_rect(&n);
    drag(&mut h, Pos2::new(r.right() - 1.0, r.center().y), Pos2::new(v.tick_to_x(480.0), r.center().y));
    let resized = only_note(&h.state().midi);
    assert_eq!((resized.start, resized.length), (0, 480));
    assert_eq!(h.state().midi.editor().undo_name(), Some("Resize"));

    // Drag its velocity bar down to about a quarter.
    let v = *h.state().midi.view();
    let x = v.tick_to_x(0.0) + 1.5;
    let top = v.velocity.bottom() - 2.0 - (v.velocity.height() - 4.0) * 100.0 / 127.0;
    assert!(v.velocity.contains(Pos2::new(x, top)));
    let quarter = v.velocity.bottom() - 2.0 - (v.velocity.height() - 4.0) * 0.25;
    drag(&mut h, Pos2::new(x, top), Pos2::new(x, quarter));
    let soft = only_note(&h.state().midi);
    assert!((28..=36).contains(&soft.velocity), "velocity {}", soft.velocity);
    assert_eq!(h.state().midi.editor().undo_name(), Some("Velocity"));
}

#[test]
fn quantize_moves_an_off_grid_note_onto_the_grid() {
    let mut h = app_harness();
    h.get_by_label("Draw").click();
    h.state_mut().midi.snap = Snap::Off;
    h.run_steps(2);
    let v = *h.state().midi.view();
    click(&mut h, at(&v, 1000.0, 67));
    let n = only_note(&h.state().midi);
    assert!(n.start % 120 != 0 && (990..=1010).contains(&n.start), "drawn off the grid at {}", n.start);
    h.state_mut().midi.snap = Snap::Sixteenth;
    h.run_steps(1);
    h.get_by_label("Quantize").click();
    h.run_steps(2);
    let q = only_note(&h.state().midi);
    assert_eq!(q.start, 960);
    assert_eq!(h.state().midi.editor().undo_name(), Some("Quantize"));

    // Transpose an octave up and one down with the toolbar.
    h.get_by_label("+12").click();
    h.run_steps(1);
    h.get_by_label("−1").click();
    h.run_steps(1);
    assert_eq!(only_note(&h.state().midi).key, 78);
}

#[test]
fn a_dropped_midi_file_opens_in_the_piano_roll_with_its_tracks() {
    let dir = tempfile::tempdir().unwrap();
    let song = two_track_song(dir.path());
    let app = new_app();
    let mut h =
        Harness::builder().with_size([1200.0, 760.0]).build_ui_state(|ui, app: &mut CoreMusicApp| app.show(ui), app);
    h.run_steps(2);
    assert_eq!(h.state().settings.tab, Tab::Inspector);
    drop_file(&mut h, &song);
    settle(&mut h);
    assert_eq!(h.state().settings.tab, Tab::Midi, "a .mid switches to the MIDI tab");
    assert!(h.state().files.entries.is_empty(), "and is not probed as audio");
    let panel = &h.state().midi;
    assert_eq!(panel.editor().sequence().note_count(), 12);
    assert_eq!(panel.path(), Some(song.as_path()));
    assert!(!panel.is_dirty());
    h.get_by_label("Melody");
    h.get_by_label("Bass");
    h.get_by_label_contains("Opened song.mid: 12 notes in 2 tracks");
    // The view fits the notes: every one is on screen.
    let v = *h.state().midi.view();
    for n in notes(&h.state().midi) {
        assert!(v.grid.contains(v.note_center(&n)), "{n:?} is off screen");
    }
    // Clicking a note selects it (bass track's first note).
    let bass = h.state().midi.editor().sequence().tracks[1].notes[0];
    click(&mut h, v.note_center(&bass));
    assert_eq!(h.state().midi.selection(), vec![bass.id]);
}

#[test]
fn unsaved_changes_are_guarded() {
    let dir = tempfile::tempdir().unwrap();
    let song = two_track_song(dir.path());
    let mut h = app_harness();
    h.get_by_label("Draw").click();
    h.run_steps(2);
    let v = *h.state().midi.view();
    click(&mut h, at(&v, 10.0, 60));
    assert!(h.state().midi.is_dirty());

    // Opening another file asks first; Cancel keeps the drawing.
    drop_file(&mut h, &song);
    h.run_steps(3);
    assert!(h.state().midi.discard_question_open());
    h.get_by_label("Discard changes?");
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    assert!(!h.state().midi.discard_question_open());
    assert_eq!(notes(&h.state().midi).len(), 1);
    assert!(h.query_by_label("Discard changes?").is_none());

    // New asks too; Discard gives an empty document.
    h.get_by_label("New").click();
    h.run_steps(3);
    h.get_by_label("Discard").click();
    h.run_steps(3);
    assert!(notes(&h.state().midi).is_empty());
    assert!(!h.state().midi.is_dirty());
    let seq = h.state().midi.editor().sequence();
    assert_eq!(seq.tracks.len(), 1);
    assert_eq!(seq.timing.ticks_per_quarter(), Some(480));
    assert_eq!(seq.tempo_map().bpm_at(0).map(|b| b.round()), Some(120.0));

    // Clean: a drop opens without asking.
    drop_file(&mut h, &song);
    settle(&mut h);
    assert!(!h.state().midi.discard_question_open());
    assert_eq!(h.state().midi.editor().sequence().note_count(), 12);
}

struct Roll {
    panel: PianoRollPanel,
    actions: Vec<Action>,
}

fn roll_harness() -> Harness<'static, Roll> {
    let roll = Roll { panel: PianoRollPanel::new(), actions: Vec::new() };
    let mut h = Harness::builder().with_size([1000.0, 640.0]).build_ui_state(
        |ui, r: &mut Roll| {
            let ctx = ui.ctx().clone();
            let mut actions = r.panel.logic(&ctx);
            actions.extend(r.panel.ui(ui));
            // The panel's Play/Stop button asks the app's command table; be that table here.
            for a in &actions {
                if let Action::Command(coremusic::ui::Command::PlayPause) = a {
                    r.panel.play_or_stop();
                }
                // The app hands a seek back to the panel that owns the player.
                if let Action::SeekMidi(seconds) = a {
                    r.panel.seek_player(*seconds);
                }
            }
            r.actions.extend(actions);
        },
        roll,
    );
    h.run_steps(2);
    h
}

#[test]
fn play_hands_a_player_to_the_engine_and_the_playhead_follows_it() {
    let mut h = roll_harness();
    h.get_by_label("Draw").click();
    h.run_steps(2);
    let v = *h.state().panel.view();
    for beat in 0..4 {
        click(&mut h, at(&v, f64::from(beat) * 480.0 + 10.0, 60 + beat as u8 * 2));
    }
    assert_eq!(h.state().panel.editor().sequence().note_count(), 4);
    h.state_mut().actions.clear();

    // Clicking a key on the keyboard previews it.
    let v = *h.state().panel.view();
    let key_pos = Pos2::new(v.keyboard.left() + 5.0, v.key_to_y(60) + v.key_height / 2.0);
    click(&mut h, key_pos);
    let previews: Vec<u8> = h
        .state()
        .actions
        .iter()
        .filter_map(|a| if let Action::Preview { key, .. } = a { Some(*key) } else { None })
        .collect();
    assert_eq!(previews, vec![60]);
    h.state_mut().actions.clear();

    // Drawing moved the cursor to the last note; a click on the ruler puts it back at the start.
    assert_eq!(h.state().panel.cursor_tick(), 1440);
    let v = *h.state().panel.view();
    click(&mut h, Pos2::new(v.tick_to_x(20.0), v.ruler.center().y));
    assert_eq!(h.state().panel.cursor_tick(), 0);
    // Play plays from the cursor (space does too, through the app's command table).
    h.get_by_label("Play").click();
    h.run_steps(2);
    assert!(h.state().panel.is_playing());
    h.get_by_label("Stop");
    let mut render = match h.state_mut().actions.drain(..).find(|a| matches!(a, Action::PlayMidi(_))) {
        Some(Action::PlayMidi(r)) => r,
        other => panic!("no Play action: {other:?}"),
    };
    // Be the engine: half a second at 48 kHz (one beat at 120 BPM).
    render.prepare(48_000, 2, 480);
    let mut block = vec![0.0f32; 480 * 2];
    let mut peak = 0.0f32;
    for _ in 0..50 {
        render.render(&mut block);
        peak = block.iter().fold(peak, |m, x| m.max(x.abs()));
    }
    assert!(peak > 0.01, "the first note sounds (peak {peak})");
    h.run_steps(2);
    let tick = h.state().panel.playhead_tick().expect("playing");
    assert!((tick - 480.0).abs() < 2.0, "playhead at {tick}");
    // Another second: the playhead moves on.
    for _ in 0..100 {
        render.render(&mut block);
    }
    h.run_steps(2);
    let later = h.state().panel.playhead_tick().expect("playing");
    assert!((later - 1440.0).abs() < 2.0, "playhead at {later}");

    // A click on the ruler while playing asks the app to seek (SeekMidi), which the player then does.
    h.state_mut().actions.clear();
    let v = *h.state().panel.view();
    click(&mut h, Pos2::new(v.tick_to_x(480.0), v.ruler.center().y));
    let seeks: Vec<f64> =
        h.state().actions.iter().filter_map(|a| if let Action::SeekMidi(s) = a { Some(*s) } else { None }).collect();
    assert!(!seeks.is_empty() && seeks.iter().all(|s| (s - 0.5).abs() < 1e-6), "seeks {seeks:?}");
    render.render(&mut block);
    h.run_steps(2);
    let back = h.state().panel.playhead_tick().expect("playing");
    assert!((back - 480.0).abs() < 20.0, "playhead at {back} after the seek");

    // Stop stops.
    h.get_by_label("Stop").click();
    h.run_steps(2);
    assert!(!h.state().panel.is_playing());
    assert!(h.state().actions.iter().any(|a| matches!(a, Action::StopMidi(_))));
    h.get_by_label("Play");
}

#[test]
fn zoom_keys_change_the_scale() {
    let mut h = roll_harness();
    let before = h.state().panel.view().px_per_tick;
    h.key_press(Key::Plus);
    h.run_steps(2);
    let after = h.state().panel.view().px_per_tick;
    assert!((after / before - 1.25).abs() < 1e-3, "{before} → {after}");
    h.key_press(Key::Minus);
    h.run_steps(2);
    assert!((h.state().panel.view().px_per_tick - before).abs() < 1e-6);
}

#[test]
fn a_broken_soundfont_is_refused_with_its_name_and_the_builtin_synth_stays() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.sf2");
    std::fs::write(&bad, b"RIFF\x04\x00\x00\x00sfbkjunk").unwrap();
    let mut h = app_harness();
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Sound");
    h.state_mut().midi.load_soundfont(bad.clone());
    let start = Instant::now();
    while h.query_all_by_label_contains("broken.sf2").count() == 0 || h.state().midi.soundfont_path().is_some() {
        assert!(start.elapsed() < Duration::from_secs(60), "the SoundFont error never showed");
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    h.run_steps(2);
    assert!(!h.state().midi.soundfont_loaded());
    assert_eq!(h.state().settings.soundfont, None);
}

#[test]
fn add_track_shows_in_the_list_and_undo_removes_it() {
    let mut h = app_harness();
    assert_eq!(h.state().midi.editor().sequence().tracks.len(), 1);
    assert!(h.query_by_label("Track 2").is_none());
    h.get_by_label("Add track").click();
    h.run_steps(3);
    let seq = h.state().midi.editor().sequence();
    assert_eq!(seq.tracks.len(), 2);
    assert_eq!(seq.tracks[1].channel, 1, "the next free channel");
    assert!(seq.tracks[1].notes.is_empty());
    assert_eq!(h.state().midi.current_track(), 1, "the new track is selected");
    assert!(h.state().midi.is_dirty());
    h.get_by_label("Track 2");
    h.get_by_label("Undo Add track");
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Program of track 2");

    // A note drawn now goes to the new track.
    h.get_by_label("Draw").click();
    h.run_steps(2);
    let v = *h.state().midi.view();
    click(&mut h, at(&v, 10.0, 60));
    assert_eq!(h.state().midi.editor().sequence().tracks[1].notes.len(), 1);

    // ⌘Z twice: the note, then the track.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(3);
    assert_eq!(h.state().midi.editor().sequence().tracks.len(), 1);
    assert_eq!(h.state().midi.current_track(), 0);
    assert!(h.query_by_label("Track 2").is_none());
    // ⇧⌘Z brings it back.
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run_steps(3);
    h.get_by_label("Track 2");
}

#[test]
fn a_program_change_is_one_undo_step() {
    let mut h = app_harness();
    assert_eq!(h.state().midi.programs(), vec![Some(0)]);
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Program of track 1").click();
    h.run_steps(2);
    h.get_by_label("2 Bright Acoustic Piano").click();
    h.run_steps(3);
    assert_eq!(h.state().midi.programs(), vec![Some(1)]);
    assert_eq!(h.state().midi.document().tracks[0].program, Some(1), "what is saved");
    assert!(h.state().midi.is_dirty());
    h.get_by_label("Undo Program");

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run_steps(3);
    assert_eq!(h.state().midi.programs(), vec![Some(0)]);
    assert!(!h.state().midi.editor().can_undo());
}

#[test]
fn row_height_buttons_zoom_the_rows() {
    let mut h = roll_harness();
    let before = h.state().panel.view().key_height;
    h.get_by_label("Taller").click();
    h.run_steps(2);
    let taller = h.state().panel.view().key_height;
    assert!((taller / before - 1.25).abs() < 1e-3, "{before} → {taller}");
    h.get_by_label("Shorter").click();
    h.run_steps(2);
    h.get_by_label("Shorter").click();
    h.run_steps(2);
    let shorter = h.state().panel.view().key_height;
    assert!((shorter / before - 0.8).abs() < 1e-3, "{before} → {shorter}");
    // Clicks at a row still land on its key after zooming.
    let v = *h.state().panel.view();
    assert_eq!(v.y_to_key(v.key_to_y(60) + v.key_height / 2.0), Some(60));
    // ⌘⌥-scroll over the grid zooms the rows (and not time).
    let v = *h.state().panel.view();
    let px = v.px_per_tick;
    h.hover_at(v.grid.center());
    h.step();
    h.event(egui::Event::ModifiersChanged(Modifiers::COMMAND | Modifiers::ALT));
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, 60.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: Modifiers::COMMAND | Modifiers::ALT,
    });
    h.run_steps(10);
    h.event(egui::Event::ModifiersChanged(Modifiers::NONE));
    h.run_steps(2);
    let scrolled = h.state().panel.view();
    assert!(scrolled.key_height > v.key_height * 1.05, "{} → {}", v.key_height, scrolled.key_height);
    assert_eq!(scrolled.px_per_tick, px);
    // The limits hold.
    for _ in 0..30 {
        h.state_mut().panel.zoom_rows(1.25, None);
    }
    h.run_steps(2);
    assert!(h.state().panel.view().key_height <= 40.0);
    assert!(h.query_all_by_label("Taller").count() == 1);
}

/// Files the OS asks to open (macOS: Finder / Dock icon Apple Events) arrive on
/// an `OpenQueue` from another thread and open as command-line files would.
#[test]
fn files_pushed_on_the_open_queue_open_like_command_line_files() {
    use coremusic::ui::open_events::OpenQueue;
    let dir = tempfile::tempdir().unwrap();
    let song = two_track_song(dir.path());
    let wav = dir.path().join("take.wav");
    let mut w = common::hound_int(&wav, 44_100, 1, 16);
    for i in 0..4410 {
        w.write_sample(((i % 100) * 100) as i16).unwrap();
    }
    w.finalize().unwrap();

    let app = new_app();
    let mut h =
        Harness::builder().with_size([1200.0, 760.0]).build_ui_state(|ui, app: &mut CoreMusicApp| app.show(ui), app);
    let queue = OpenQueue::new();
    let ctx = h.ctx.clone();
    h.state_mut().receive_opens(&ctx, queue.clone());
    h.run_steps(2);
    assert!(h.state().files.entries.is_empty());

    let (a, b) = (wav.clone(), song.clone());
    std::thread::spawn(move || queue.push([a, b])).join().unwrap();
    settle(&mut h);
    let start = Instant::now();
    while h.state().busy() || h.state().files.counts().2 > 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "probing never finished");
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    h.run_steps(2);
    let files: Vec<_> = h.state().files.entries.iter().map(|e| e.path.clone()).collect();
    assert_eq!(files, vec![wav], "the WAV joins the file list");
    assert_eq!(h.state().settings.tab, Tab::Midi, "the .mid opens in the piano roll");
    assert_eq!(h.state().midi.path(), Some(song.as_path()));
    assert_eq!(h.state().midi.editor().sequence().note_count(), 12);
}

/// The panel contract: a panel's `logic()` runs every frame whichever tab
/// shows, so a MIDI file read in the background arrives in the piano roll
/// while the user looks at another tab.
#[test]
fn the_piano_roll_takes_its_file_while_its_tab_is_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let song = two_track_song(dir.path());
    let mut h = app_harness();
    h.state_mut().midi.open_path(song.clone());
    h.state_mut().settings.tab = Tab::Latency;
    settle(&mut h);
    assert_eq!(h.state().settings.tab, Tab::Latency, "the tab stays as the user left it");
    assert_eq!(h.state().midi.editor().sequence().note_count(), 12);
    assert_eq!(h.state().midi.path(), Some(song.as_path()));
}
