//! Playback in the window, driven as a user would with egui_kittest, on a
//! virtual-clock simulated device (never timing-based): drop a WAV, press
//! Play, and the playhead moves in the waveform; change the buffer size in the
//! Latency tab while it plays and the position keeps going while the stats
//! start again; the status bar names the device, rate and buffer.
#![cfg(feature = "gui")]

mod common;

use common::gui::*;

use coremusic::engine::PlayState;
use egui_kittest::kittest::Queryable;

#[test]
fn play_moves_the_playhead_and_a_live_buffer_change_keeps_the_position() {
    let dir = tempfile::tempdir().unwrap();
    // 4 s of stereo at 48 kHz.
    let wav = common::hound_wav(dir.path(), "take.wav", 48_000, 2, 192_000);
    let mut h = window(player_app(&dir.path().join("cache")), [1200.0, 760.0]);
    drop_files(&mut h, &[&wav]);
    step_until(&mut h, "probing", |a| !a.busy() && a.files.counts().2 == 0);
    h.get_by_label("Waveform").click();
    h.run_steps(2);
    step_until(&mut h, "the waveform", |a| a.waveform.is_ready());
    assert_eq!(h.state().waveform.playhead(), 0);

    h.get_by_label("Play").click();
    h.run_steps(2);
    step_until(&mut h, "the file to load", |a| a.audio.playing_path() == Some(&wav));
    tick(&mut h, 20);
    step_until(&mut h, "the playhead to move", |a| a.waveform.playhead() > 0);
    let first = h.state().waveform.playhead();
    assert_eq!(h.state().audio.state, PlayState::Playing);
    assert!(first <= 20 * 512, "the playhead went past what was played: {first}");

    // The status bar tells the device, rate and buffer size.
    assert!(h.query_by_label("sim").is_some());
    assert!(h.query_by_label("48.0 kHz").is_some());
    assert!(h.query_by_label("512 frames").is_some());

    // Latency tab: pick 256 frames from the buffer menu while playing.
    h.get_by_label("Latency").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Buffer size").click();
    h.run_steps(2);
    h.get_by_label("256 frames").click();
    h.run_steps(2);
    step_until(&mut h, "the new buffer size", |a| a.audio.device.as_ref().is_some_and(|d| d.buffer_frames == 256));
    tick(&mut h, 10);
    step_until(&mut h, "stats after the change", |a| a.audio.stats.callbacks > 0);
    let stats = h.state().audio.stats;
    assert_eq!(stats.buffer_frames, 256);
    assert!(stats.callbacks <= 10, "the stats were not reset: {} callbacks", stats.callbacks);
    step_until(&mut h, "the position to go on", |a| a.audio.position_frames > first);
    assert_eq!(h.state().audio.state, PlayState::Playing);

    // Space pauses (nothing has keyboard focus).
    h.key_press(egui::Key::Space);
    h.run_steps(2);
    step_until(&mut h, "pause", |a| a.audio.state == PlayState::Paused);
}
