//! The engine on the virtual-clock simulated device: what comes out of the
//! callback, sample by sample, for play, seek, loops, pause, live buffer and
//! rate changes, the end of a file, render sources, errors and device fallback.
//! Never timing-based: the virtual clock runs exactly the periods asked for.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use coremusic::dsp::Render;
use coremusic::engine::{
    BackendKind, Clock, Command, DeviceChoice, Engine, EngineConfig, Event, PlayState, VirtualClock,
};

const BUF: usize = 64;

/// A stereo 16-bit WAV at 48 kHz: left is the frame number (mod 30000) / 32768, right its negative.
fn ramp_wav(dir: &Path, frames: u32) -> PathBuf {
    let path = dir.join("ramp.wav");
    let mut w = common::hound_int(&path, 48_000, 2, 16);
    for i in 0..frames {
        let v = (i % 30_000) as i16;
        w.write_sample(v).unwrap();
        w.write_sample(-v).unwrap();
    }
    w.finalize().unwrap();
    path
}

fn ramp(frames: impl IntoIterator<Item = u64>) -> Vec<f32> {
    frames
        .into_iter()
        .flat_map(|i| {
            let v = (i % 30_000) as f32 / 32768.0;
            [v, -v]
        })
        .collect()
}

fn engine() -> (Engine, VirtualClock) {
    let e = Engine::start(EngineConfig {
        device: DeviceChoice::Sim,
        buffer_frames: BUF as u32,
        clock: Clock::Virtual,
        ..EngineConfig::default()
    });
    let clock = e.virtual_clock().expect("virtual clock");
    (e, clock)
}

fn events(e: &Engine) -> Vec<Event> {
    assert!(e.sync(Duration::from_secs(10)));
    e.events().try_iter().collect()
}

#[test]
fn plays_a_file_sample_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = ramp_wav(dir.path(), 20_000);
    let (e, clock) = engine();
    e.send(Command::Play { path: path.clone(), from_frame: 0 });
    let out = clock.step(10);
    assert_eq!(out, ramp(0..640));
    let ev = events(&e);
    assert!(ev.iter().any(|x| matches!(x, Event::Loaded(f) if f.frames == Some(20_000) && f.path == path)));
    assert!(ev.iter().any(|x| matches!(x, Event::State(PlayState::Playing))));
    assert_eq!(e.position().0, 640);
    assert_eq!(e.stats().underruns, 0);
    assert_eq!(e.stats().callbacks, 10);
}

#[test]
fn seek_continues_from_the_new_frame() {
    let dir = tempfile::tempdir().unwrap();
    let path = ramp_wav(dir.path(), 20_000);
    let (e, clock) = engine();
    e.send(Command::Play { path, from_frame: 500 });
    assert_eq!(clock.step(1), ramp(500..564));
    e.send(Command::Seek(12_345));
    assert_eq!(clock.step(3), ramp(12_345..12_345 + 192));
    e.send(Command::Seek(3));
    assert_eq!(clock.step(1), ramp(3..67));
}

#[test]
fn loop_boundaries_are_sample_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = ramp_wav(dir.path(), 20_000);
    let (e, clock) = engine();
    e.send(Command::SetLoop(Some((100, 200))));
    e.send(Command::Play { path, from_frame: 150 });
    let out = clock.step(5);
    let expected: Vec<u64> = (150..200).chain((0..3).flat_map(|_| 100..200)).take(320).collect();
    assert_eq!(out, ramp(expected));
}

#[test]
fn a_loop_set_while_playing_takes_over_without_a_gap() {
    let dir = tempfile::tempdir().unwrap();
    let path = ramp_wav(dir.path(), 20_000);
    let (e, clock) = engine();
    e.send(Command::Play { path, from_frame: 0 });
    assert_eq!(clock.step(2), ramp(0..128));
    e.send(Command::SetLoop(Some((40, 300))));
    let out = clock.step(10);
    let expected: Vec<u64> = (128..300).chain((0..3).flat_map(|_| 40..300)).take(640).collect();
    assert_eq!(out, ramp(expected));
    // leaving the loop plays on from where it is
    e.send(Command::SetLoop(None));
    let here = e.position().0;
    let out = clock.step(5);
    assert_eq!(out, ramp(here..here + 320));
}

#[test]
fn pause_holds_the_position_and_resume_continues() {
    let dir = tempfile::tempdir().unwrap();
    let path = ramp_wav(dir.path(), 20_000);
    let (e, clock) = engine();
    e.send(Command::Play { path, from_frame: 0 });
    clock.step(2);
    e.send(Command::Pause);
    assert!(clock.step(3).iter().all(|&x| x == 0.0));
    assert_eq!(e.position().0, 128);
    e.send(Command::Resume);
    assert_eq!(clock.step(1), ramp(128..192));
    let ev = events(&e);
    assert!(ev.iter().any(|x| matches!(x, Event::State(PlayState::Paused))));
    assert_eq!(e.stats().underruns, 0);
}

#[test]
fn a_live_buffer_change_keeps_the_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = ramp_wav(dir.path(), 20_000);
    let (e, clock) = engine();
    e.send(Command::Play { path, from_frame: 0 });
    assert_eq!(clock.step(3), ramp(0..192));
    e.send(Command::SetBufferSize(32));
    assert_eq!(clock.step(4), ramp(192..320), "continues sample-exactly after the rebuild");
    assert_eq!(e.stats().buffer_frames, 32);
    assert_eq!(e.device().unwrap().buffer_frames, 32);
    e.send(Command::SetBufferSize(256));
    assert_eq!(clock.step(1), ramp(320..576));
}

#[test]
fn a_live_rate_change_keeps_the_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = ramp_wav(dir.path(), 48_000);
    let (e, clock) = engine();
    e.send(Command::Play { path, from_frame: 0 });
    clock.step(10);
    assert_eq!(e.position().0, 640);
    e.send(Command::SetSampleRate(96_000));
    assert!(e.sync(Duration::from_secs(10)));
    assert_eq!(e.device().unwrap().sample_rate, 96_000);
    // 10 callbacks of 64 frames at 96 kHz = 320 file frames at 48 kHz
    let out = clock.step(10);
    assert_eq!(e.position().0, 640 + 320);
    // resampled ramp: the left channel rises by about 0.5 per output frame (in 16-bit steps)
    let left: Vec<f32> = out.chunks(2).map(|f| f[0] * 32768.0).collect();
    let slope = (left[600] - left[100]) / 500.0;
    assert!((slope - 0.5).abs() < 0.01, "slope {slope}");
    assert!((left[100] - (640.0 + 50.0)).abs() < 2.0, "continues from frame 640: {}", left[100]);
}

#[test]
fn the_end_of_a_file_stops_with_silence_and_an_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = ramp_wav(dir.path(), 100);
    let (e, clock) = engine();
    e.send(Command::Play { path, from_frame: 0 });
    let out = clock.step(3);
    assert_eq!(&out[..200], &ramp(0..100)[..]);
    assert!(out[200..].iter().all(|&x| x == 0.0));
    assert_eq!(e.stats().underruns, 0, "the end is not an underrun");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut ended = false;
    while !ended && std::time::Instant::now() < deadline {
        if let Ok(ev) = e.events().recv_timeout(Duration::from_millis(100)) {
            ended = matches!(ev, Event::Ended);
        }
    }
    assert!(ended);
}

struct Dc(f32);
impl Render for Dc {
    fn prepare(&mut self, _: u32, _: usize, _: usize) {}
    fn render(&mut self, out: &mut [f32]) {
        out.fill(self.0);
    }
}

#[test]
fn plays_a_render_source_and_swaps_back_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = ramp_wav(dir.path(), 20_000);
    let (e, clock) = engine();
    e.send(Command::PlayRender(Box::new(Dc(0.25))));
    assert!(clock.step(2).iter().all(|&x| x == 0.25));
    assert_eq!(e.position().0, 128);
    e.send(Command::Play { path, from_frame: 7 });
    assert_eq!(clock.step(1), ramp(7..71));
    e.send(Command::SetGain(0.0));
    let out = clock.step(10);
    assert!(out[out.len() - 2..].iter().all(|&x| x == 0.0), "gain reaches 0");
    assert!(out.iter().zip(ramp(71..711)).all(|(a, b)| a.abs() <= b.abs() + 1e-6), "a ramp, never a jump up");
}

#[test]
fn a_broken_file_gives_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.wav");
    std::fs::write(&path, b"RIFF\x10\x00\x00\x00WAVEjunkjunk").unwrap();
    let (e, clock) = engine();
    e.send(Command::Play { path: path.clone(), from_frame: 0 });
    let ev = events(&e);
    let msg = ev
        .iter()
        .find_map(|x| match x {
            Event::Error(err) => Some(err.to_string()),
            _ => None,
        })
        .expect("an error event");
    assert!(msg.contains("broken.wav"), "{msg}");
    assert!(clock.step(1).iter().all(|&x| x == 0.0));
    // and the engine still plays
    let good = ramp_wav(dir.path(), 1000);
    e.send(Command::Play { path: good, from_frame: 0 });
    assert_eq!(clock.step(1), ramp(0..64));
}

#[test]
fn an_unknown_device_falls_back_to_the_simulated_one() {
    let e = Engine::start(EngineConfig {
        device: DeviceChoice::Named("no-such-device-coremusic".into()),
        buffer_frames: 64,
        clock: Clock::Virtual,
        ..EngineConfig::default()
    });
    let ev = events(&e);
    assert!(
        ev.iter()
            .any(|x| matches!(x, Event::FellBackToSim { requested, .. } if requested == "no-such-device-coremusic")),
        "{ev:?}"
    );
    assert_eq!(e.device().unwrap().backend, BackendKind::Sim);
    let clock = e.virtual_clock().unwrap();
    assert_eq!(clock.step(2).len(), 2 * 64 * 2);
}

#[test]
fn stats_reset_clears_the_counters() {
    let (e, clock) = engine();
    clock.step(5);
    assert_eq!(e.stats().callbacks, 5);
    e.send(Command::ResetStats);
    clock.step(2);
    let s = e.stats();
    assert_eq!(s.callbacks, 2);
    assert_eq!(s.output_latency_frames, 64);
    assert!(s.callback_us.max >= s.callback_us.p50);
}
