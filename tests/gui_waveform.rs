//! The Waveform tab, driven as a user would with egui_kittest: open a WAV,
//! see its waveform, click to place the playhead, drag to select, zoom and
//! scroll with the keys.
#![cfg(feature = "gui")]

mod common;

use common::gui::*;

use std::path::Path;

use coremusic::analysis::peaks::PeakCache;
use coremusic::ui::waveform::WAVEFORM_LABEL;
use coremusic::ui::{CoreMusicApp, Tab};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;

fn harness(cache: &Path) -> App {
    let mut app = new_app();
    app.waveform.set_cache(PeakCache::new(cache));
    window(app, [1100.0, 700.0])
}

fn open_on_waveform_tab(h: &mut Harness<'static, CoreMusicApp>, wav: &Path) {
    drop_files(h, &[wav]);
    step_until(h, "probing", |a| !a.busy() && a.files.counts().2 == 0);
    h.get_by_label("Waveform").click();
    h.run_steps(2);
    step_until(h, "the waveform", |a| a.waveform.is_ready() || a.waveform.error().is_some());
}

#[test]
fn the_waveform_tab_shows_the_file_and_the_mouse_and_keys_drive_it() {
    let dir = tempfile::tempdir().unwrap();
    // 2 s of stereo at 48 kHz.
    let wav = common::hound_wav(dir.path(), "tone.wav", 48000, 2, 96000);
    let mut h = harness(&dir.path().join("cache"));
    open_on_waveform_tab(&mut h, &wav);
    assert_eq!(h.state().waveform.error(), None);
    h.get_by_label("Waveform of tone.wav");
    h.get_by_label_contains("0:02.000 · 48000 Hz · 2 ch");
    assert_eq!(h.state().waveform.pyramid().map(|p| (p.frames(), p.channels())), Some((96000, 2)));
    // The whole file is shown at first.
    assert_eq!(h.state().waveform.visible_range(), 0..96000);

    // A click in the middle of the drawing puts the playhead near the middle of the file.
    h.get_by_label(WAVEFORM_LABEL).click();
    h.run_steps(2);
    let ph = h.state().waveform.playhead();
    assert!((40_000..56_000).contains(&ph), "playhead at {ph}");
    h.get_by_label_contains("Playhead 0:01.");

    // + zooms in around the playhead; − zooms back out; arrows scroll; Home goes to the start.
    let span = |h: &Harness<'static, CoreMusicApp>| {
        let r = h.state().waveform.visible_range();
        r.end - r.start
    };
    let whole = span(&h);
    h.key_press(egui::Key::Plus);
    h.run_steps(2);
    let zoomed = span(&h);
    assert!(zoomed * 2 <= whole + 2, "{whole} → {zoomed}");
    assert!(h.state().waveform.visible_range().contains(&ph), "zoom keeps the playhead in view");
    let before = h.state().waveform.visible_range().start;
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    assert!(h.state().waveform.visible_range().start > before, "→ scrolls towards the end");
    h.key_press(egui::Key::Home);
    h.run_steps(2);
    assert_eq!(h.state().waveform.visible_range().start, 0);
    assert_eq!(h.state().waveform.playhead(), 0);
    h.key_press(egui::Key::Minus);
    h.run_steps(2);
    assert_eq!(span(&h), whole);

    // Zoom all the way in: single samples are drawn from a window read in the background.
    for _ in 0..16 {
        h.key_press(egui::Key::Plus);
        h.step();
    }
    step_until(&mut h, "zooming in", |a| a.waveform.frames_per_point() < 0.1);
    let fine = span(&h);
    assert!(fine < 200, "{fine} frames across the view");

    // The transport's side: it can set the playhead and read a selection.
    h.state_mut().waveform.set_playhead(12_345);
    h.state_mut().waveform.set_selection(Some(1000..2000));
    h.run_steps(2);
    assert_eq!(h.state().waveform.playhead(), 12_345);
    assert_eq!(h.state().waveform.selection(), Some(1000..2000));
    h.get_by_label_contains("Selection 0:00.021");
}

#[test]
fn dragging_selects_a_span() {
    let dir = tempfile::tempdir().unwrap();
    let wav = common::hound_wav(dir.path(), "drag.wav", 44100, 1, 44100);
    let mut h = harness(&dir.path().join("cache"));
    open_on_waveform_tab(&mut h, &wav);
    let rect = h.get_by_label(WAVEFORM_LABEL).rect();
    let (y, x0, x1) = (rect.center().y, rect.left() + rect.width() * 0.25, rect.left() + rect.width() * 0.75);
    h.hover_at(egui::pos2(x0, y));
    h.step();
    h.drag_at(egui::pos2(x0, y));
    h.step();
    for i in 1..=10 {
        let x = x0 + (x1 - x0) * i as f32 / 10.0;
        h.hover_at(egui::pos2(x, y));
        h.step();
    }
    h.drop_at(egui::pos2(x1, y));
    h.run_steps(2);
    let sel = h.state().waveform.selection().expect("a selection");
    // A quarter to three quarters of one second, give or take a few pixels.
    assert!((10_000..12_500).contains(&sel.start), "{sel:?}");
    assert!((31_500..34_000).contains(&sel.end), "{sel:?}");
}

#[test]
fn a_broken_file_says_so_on_the_waveform_tab() {
    let dir = tempfile::tempdir().unwrap();
    let bad = common::file_with(dir.path(), "broken.wav", b"RIFF\x10\x00\x00\x00WAVEjunkjunk");
    let mut h = harness(&dir.path().join("cache"));
    drop_files(&mut h, &[&bad]);
    step_until(&mut h, "probing", |a| !a.busy() && a.files.counts().2 == 0);
    h.get_by_label("Waveform").click();
    h.run_steps(3);
    h.get_by_label("Waveform of broken.wav");
    h.get_by_label("This file cannot be read:");
    assert!(!h.state().waveform.is_ready());
}

/// The waveform panel's `logic()` runs whichever tab shows: a file opened
/// while the Inspector is shown has its peaks built without the Waveform
/// tab ever being drawn.
#[test]
fn the_peaks_load_while_another_tab_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let wav = common::hound_wav(dir.path(), "hidden.wav", 48000, 2, 48000);
    let mut h = harness(&dir.path().join("cache"));
    h.state_mut().settings.tab = Tab::Inspector;
    h.run_steps(2);
    drop_files(&mut h, &[wav.as_path()]);
    step_until(&mut h, "the peaks, with the Inspector shown", |a| {
        assert_eq!(a.settings.tab, Tab::Inspector, "the tab stays the Inspector");
        a.waveform.is_ready() || a.waveform.error().is_some()
    });
    assert_eq!(h.state().waveform.error(), None);
    assert_eq!(h.state().waveform.path(), Some(wav.as_path()));
    assert_eq!(h.state().waveform.pyramid().map(|p| (p.frames(), p.channels())), Some((48000, 2)));
    assert_eq!(h.state().settings.tab, Tab::Inspector);
}
