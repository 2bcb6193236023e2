//! The window, driven as a user would with egui_kittest: drop files on it and
//! read what the Inspector shows.
#![cfg(feature = "gui")]

mod common;

use common::gui::*;

use std::time::{Duration, Instant};

use coremusic::ui::CoreMusicApp;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;

fn harness() -> App {
    window(new_app(), [1000.0, 700.0])
}

/// Steps the UI until background probing is done.
fn settle(h: &mut App) {
    step_until(h, "probing", |a| !a.busy() && a.files.counts().2 == 0);
    h.run_steps(1);
}

#[test]
fn dropping_a_wav_shows_its_rate_and_channels() {
    let dir = tempfile::tempdir().unwrap();
    let wav = common::hound_wav(dir.path(), "drop-me.wav", 48000, 2, 9600);
    let mut h = harness();
    h.run_steps(2);
    h.get_by_label_contains("Drop audio files or folders here");
    drop_files(&mut h, &[wav]);
    settle(&mut h);
    h.get_by_label("48000 Hz");
    h.get_by_label("2 (Stereo)");
    h.get_by_label("0:00.200");
}

#[test]
fn a_broken_file_shows_its_error_and_the_app_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let bad = common::file_with(dir.path(), "broken.wav", b"RIFF\x10\x00\x00\x00WAVEjunkjunk");
    let good = common::hound_wav(dir.path(), "good.wav", 44100, 1, 441);
    let mut h = harness();
    drop_files(&mut h, &[bad, good]);
    settle(&mut h);
    h.get_by_label("cannot be read");
    h.get_by_label("This file cannot be read:");
    // Select the good one: the app still works.
    h.query_all_by_label("good.wav").next().expect("good.wav in the list").click();
    h.run_steps(3);
    h.get_by_label("44100 Hz");
    h.get_by_label("1 (Mono)");
}

#[test]
fn a_dropped_folder_is_searched_for_audio_files() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("session/takes");
    std::fs::create_dir_all(&sub).unwrap();
    common::hound_wav(&sub, "take1.wav", 44100, 2, 100);
    common::hound_wav(&sub, "take2.wav", 44100, 2, 100);
    common::file_with(&sub, "notes.txt", b"not audio");
    let mut h = harness();
    drop_files(&mut h, &[dir.path().to_path_buf()]);
    settle(&mut h);
    assert_eq!(h.state().files.entries.len(), 2);
    // The list row (and, for the selected one, the Inspector's heading).
    assert!(h.query_all_by_label("take1.wav").count() >= 1);
    assert_eq!(h.query_all_by_label("take2.wav").count(), 1);
}

#[test]
fn batch_tab_converts_three_files_and_reports_the_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("in");
    std::fs::create_dir_all(&inbox).unwrap();
    let files = vec![
        common::hound_wav(&inbox, "a.wav", 44100, 2, 3000),
        common::hound_wav(&inbox, "b.wav", 48000, 1, 3000),
        common::hound_wav(&inbox, "c.wav", 22050, 2, 3000),
        common::file_with(&inbox, "d.wav", b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00garbage"),
    ];
    let mut h = harness();
    batch_with(&mut h, &files);
    assert_eq!(h.state().batch.queue.len(), 4, "dropping on the Batch tab queues");
    assert!(h.state().files.entries.is_empty(), "and does not open the files in the list");
    h.get_by_label("Convert").click();
    let start = Instant::now();
    loop {
        h.step();
        if h.state().batch.summary.is_some() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "batch never finished");
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_steps(3);
    h.get_by_label("3 converted, 0 skipped, 1 failed");
    let out = inbox.join("Converted");
    for n in ["a.flac", "b.flac", "c.flac"] {
        assert!(out.join(n).exists(), "{n}");
    }
    assert!(!out.join("d.flac").exists());
    assert!(h.query_all_by_label_contains("failed: ").count() >= 1);
}

/// The Inspector measures loudness in the background: the figure appears
/// once the job is done. The harness is stepped until then (the step cap only
/// guards against a hang; nothing here depends on how fast the machine is).
#[test]
fn the_inspector_shows_the_loudness_of_a_dropped_wav() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::hound_sine24(dir.path(), "minus23.wav", 2, 1000.0, 10f64.powf(-23.0 / 20.0), 6.0);
    let mut h = harness();
    drop_files(&mut h, &[path]);
    settle(&mut h);
    h.get_by_label("Loudness and levels (EBU R128)");
    let mut found = false;
    for _ in 0..20_000 {
        h.step();
        if h.query_by_label("-23.0 LUFS").is_some() {
            found = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(found, "the loudness never appeared");
    h.get_by_label("-23.0 dBFS");
    h.get_by_label("0"); // no clipped samples
}

/// A FLAC's own checksum is checked as the Inspector measures it: a file
/// whose audio no longer matches its STREAMINFO MD5 reads "damaged", an
/// untouched one "intact".
#[test]
fn the_inspector_tells_an_intact_flac_from_a_damaged_one() {
    use coremusic::format::SampleFormat;
    use coremusic::io::{create_writer, OutputFormat, WriterSpec};
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for name in ["intact.flac", "damaged.flac"] {
        let path = dir.path().join(name);
        let spec = WriterSpec::new(OutputFormat::Flac, 44100, 1, SampleFormat::S16);
        let mut w = create_writer(Box::new(std::fs::File::create(&path).unwrap()), spec).unwrap();
        let samples: Vec<i32> = (0..44100).map(|i| ((i as f64 * 0.05).sin() * 8000.0) as i32).collect();
        w.write_i32(&samples).unwrap();
        w.finish().unwrap();
        paths.push(path);
    }
    // STREAMINFO's MD5 is its last 16 bytes (file bytes 26..42): change one.
    let mut bytes = std::fs::read(&paths[1]).unwrap();
    bytes[30] ^= 0x5a;
    std::fs::write(&paths[1], bytes).unwrap();
    for (path, want) in paths.iter().zip(["intact", "damaged: MD5 mismatch"]) {
        let mut h = harness();
        drop_files(&mut h, &[path]);
        settle(&mut h);
        let start = Instant::now();
        while h.query_by_label(want).is_none() {
            h.step();
            assert!(start.elapsed() < Duration::from_secs(120), "{} never read {want:?}", path.display());
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Appends a RIFF INFO list with the comment `value` to the WAV at `wav`.
fn add_info_comment(wav: &std::path::Path, value: &str) {
    let mut bytes = std::fs::read(wav).unwrap();
    let mut info = b"INFO".to_vec();
    info.extend(b"ICMT");
    info.extend(((value.len() + 1) as u32).to_le_bytes());
    info.extend(value.as_bytes());
    info.push(0);
    if info.len() % 2 == 1 {
        info.push(0);
    }
    bytes.extend(b"LIST");
    bytes.extend((info.len() as u32).to_le_bytes());
    bytes.extend(info);
    let riff = (bytes.len() - 8) as u32;
    bytes[4..8].copy_from_slice(&riff.to_le_bytes());
    std::fs::write(wav, bytes).unwrap();
}

/// A 16 MB INFO comment (legal RIFF) is shown clipped with its size and a
/// Copy button, and frames stay quick: the window does not lay out 16 MB.
#[test]
fn a_huge_tag_is_clipped_and_frames_stay_quick() {
    let dir = tempfile::tempdir().unwrap();
    let wav = common::hound_wav(dir.path(), "huge-tag.wav", 8000, 1, 800);
    add_info_comment(&wav, &"Lorem ipsum dolor sit amet. ".repeat(16_000_000 / 28));
    let mut h = harness();
    h.run_steps(2);
    drop_files(&mut h, &[&wav]);
    settle(&mut h);
    h.get_by_label_contains("… (16.0 MB)");
    h.get_by_label("Copy");
    let start = Instant::now();
    h.run_steps(5);
    let per_frame = start.elapsed() / 5;
    assert!(per_frame < Duration::from_secs(3), "{per_frame:?} per frame");
}

/// "Show all" opens a window with the whole of a long tag value, row by
/// row, selectable: the first lines are there, and the window lays out only
/// the rows in view (the last of 100,000 lines is not laid out until
/// scrolled to).
#[test]
fn show_all_opens_the_whole_of_a_long_tag() {
    let dir = tempfile::tempdir().unwrap();
    let wav = common::hound_wav(dir.path(), "lyrics.wav", 8000, 1, 800);
    let value: String = (0..100_000).map(|i| format!("lyrics line {i}\n")).collect();
    add_info_comment(&wav, &value);
    // A window tall enough to show the tags below the loudness figures.
    let mut h = Harness::builder()
        .with_size([1000.0, 900.0])
        .build_ui_state(|ui, app: &mut CoreMusicApp| app.show(ui), new_app());
    h.run_steps(2);
    drop_files(&mut h, &[&wav]);
    settle(&mut h);
    assert!(h.query_by_label("lyrics line 50").is_none(), "the Inspector shows the value clipped");
    h.get_by_label("Show all").click();
    h.run_steps(3);
    h.get_by_label_contains("100000 lines");
    h.get_by_label("Copy all");
    h.get_by_label("lyrics line 0");
    h.get_by_label("lyrics line 5");
    assert!(h.query_by_label("lyrics line 99999").is_none(), "only the rows in view are laid out");
}
