//! Unsaved piano-roll edits are never lost silently (issue 13, item 9):
//! closing the window asks Save / Discard / Cancel, and a file still being
//! read when the user starts editing does not replace the edits when it arrives.
#![cfg(feature = "gui")]

mod common;

use common::gui::*;
use std::path::Path;
use std::time::{Duration, Instant};

use coremusic::midi::{read_smf, write_smf, Sequence, Track};
use coremusic::ui::{CoreMusicApp, Tab};
use egui::{ViewportCommand, ViewportEvent, ViewportId};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;

fn app_harness() -> Harness<'static, CoreMusicApp> {
    let mut h = Harness::builder()
        .with_size([1200.0, 760.0])
        .build_ui_state(|ui, app: &mut CoreMusicApp| app.show(ui), new_app());
    h.run_steps(2);
    h
}

/// The window's close button: one frame with a close request.
fn request_close(h: &mut App) {
    h.input_mut().viewports.entry(ViewportId::ROOT).or_default().events.push(ViewportEvent::Close);
    h.step();
}

/// What the last frame asked of the window.
fn sent(h: &App, want: fn(&ViewportCommand) -> bool) -> bool {
    h.output().viewport_output.get(&ViewportId::ROOT).is_some_and(|v| v.commands.iter().any(want))
}

fn cancelled(h: &App) -> bool {
    sent(h, |c| matches!(c, ViewportCommand::CancelClose))
}

fn closed(h: &App) -> bool {
    sent(h, |c| matches!(c, ViewportCommand::Close))
}

fn song(dir: &Path) -> std::path::PathBuf {
    let mut seq = Sequence::new(480);
    seq.tracks.push(Track::new("Piano", 0));
    seq.push_note(0, 0, 480, 60, 100);
    let path = dir.join("song.mid");
    write_smf(&seq, &path).unwrap();
    path
}

#[test]
fn closing_with_unsaved_edits_asks_and_cancel_keeps_them() {
    let mut h = app_harness();
    // Nothing unsaved: the window closes without a question.
    request_close(&mut h);
    assert!(!cancelled(&h));
    assert!(!h.state().midi.close_question_open());

    // An edit, made while another tab shows.
    h.state_mut().midi.add_track();
    h.state_mut().settings.tab = Tab::Inspector;
    h.run_steps(2);
    assert!(h.state().midi.is_dirty());
    request_close(&mut h);
    assert!(cancelled(&h), "the close is held back");
    h.run_steps(2);
    assert_eq!(h.state().settings.tab, Tab::Midi, "the question shows on the MIDI tab");
    assert!(h.state().midi.close_question_open());
    h.get_by_label("Save changes before closing?");
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(!h.state().midi.close_question_open());
    assert!(!closed(&h));
    assert!(h.state().midi.is_dirty(), "the edits are still there");

    // Again, and Discard: the panel closes the window itself.
    request_close(&mut h);
    assert!(cancelled(&h));
    h.run_steps(2);
    h.get_by_label("Discard").click();
    let start = Instant::now();
    loop {
        h.step();
        if closed(&h) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "the window never closed");
    }
    // The close that follows is not held back.
    request_close(&mut h);
    assert!(!cancelled(&h));
}

#[test]
fn save_on_close_saves_then_closes() {
    let dir = tempfile::tempdir().unwrap();
    let path = song(dir.path());
    let mut h = app_harness();
    drop_files(&mut h, &[&path]);
    step_until(&mut h, "the song opened", |a| a.midi.path() == Some(path.as_path()) && !a.midi.busy());
    h.state_mut().midi.add_track();
    h.run_steps(2);
    request_close(&mut h);
    assert!(cancelled(&h));
    h.run_steps(2);
    // The question's Save (the toolbar has one too; the modal is drawn last).
    h.get_all_by_label("Save").last().unwrap().click();
    let start = Instant::now();
    loop {
        h.step();
        if closed(&h) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the window never closed after saving");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!h.state().midi.is_dirty());
    assert_eq!(read_smf(&path).unwrap().tracks.len(), 2, "the added track was saved");
}

#[test]
fn a_file_arriving_after_edits_does_not_replace_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = song(dir.path());
    let mut h = app_harness();
    h.state_mut().settings.tab = Tab::Midi;
    h.run_steps(2);
    let tracks_before = h.state().midi.editor().sequence().tracks.len();
    // The read starts on a clean document...
    h.state_mut().midi.open_path(path.clone());
    h.step();
    assert!(h.state().midi.busy(), "reading");
    // ...and the user edits before it arrives.
    h.state_mut().midi.add_track();
    step_until(&mut h, "the read finished", |a| !a.midi.busy());
    let panel = &h.state().midi;
    assert_eq!(panel.editor().sequence().tracks.len(), tracks_before + 1, "the edit is kept");
    assert!(panel.is_dirty());
    assert_ne!(panel.path(), Some(path.as_path()), "the file did not replace the edits");
    let (status, is_error) = panel.status().unwrap();
    assert!(is_error && status.contains("song.mid") && status.contains("edits are kept"), "{status}");

    // Opened again (answering Discard), it replaces them.
    h.state_mut().midi.open_path(path.clone());
    h.run_steps(2);
    h.get_by_label("Discard").click();
    step_until(&mut h, "the song opened", |a| a.midi.path() == Some(path.as_path()) && !a.midi.busy());
    assert!(!h.state().midi.is_dirty());
}
