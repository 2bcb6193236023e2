//! The audio thread under hostile conditions (issue 13):
//! - item 12: no producer can take the app down: a `Render` that panics on
//!   the audio thread is silenced at once, never called again, and reported
//!   as `Event::RenderFailed`; one that panics while being prepared is
//!   reported the same way. The engine plays on afterwards.
//! - item 14: `latency --load-us` beyond a second is refused (it would spin
//!   the callback for an hour), and the engine caps the load it is given.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use coremusic::dsp::Render;
use coremusic::engine::{Clock, Command, DeviceChoice, Engine, EngineConfig, Event, PlayState};

/// Plays 0.5 for `good` calls, then panics; counts its calls.
struct Fragile {
    good: usize,
    calls: Arc<AtomicUsize>,
    panic_in_prepare: bool,
}

impl Render for Fragile {
    fn prepare(&mut self, _: u32, _: usize, _: usize) {
        if self.panic_in_prepare {
            panic!("the instrument is damaged (prepare)");
        }
    }

    fn render(&mut self, out: &mut [f32]) {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if n >= self.good {
            panic!("the instrument is damaged");
        }
        out.fill(0.5);
    }
}

/// A steady tone, to show the engine still plays.
struct Tone;

impl Render for Tone {
    fn prepare(&mut self, _: u32, _: usize, _: usize) {}
    fn render(&mut self, out: &mut [f32]) {
        out.fill(0.25);
    }
}

fn engine() -> Engine {
    Engine::start(EngineConfig {
        device: DeviceChoice::Sim,
        buffer_frames: 64,
        clock: Clock::Virtual,
        ..EngineConfig::default()
    })
}

fn events(e: &Engine) -> Vec<Event> {
    assert!(e.sync(Duration::from_secs(10)));
    std::thread::sleep(Duration::from_millis(50)); // a housekeeping tick
    assert!(e.sync(Duration::from_secs(10)));
    e.events().try_iter().collect()
}

#[test]
fn a_panicking_producer_is_silenced_reported_and_the_engine_goes_on() {
    let e = engine();
    let clock = e.virtual_clock().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    e.send(Command::PlayRender(Box::new(Fragile { good: 2, calls: calls.clone(), panic_in_prepare: false })));
    let out = clock.step(6);
    let ch = out.len() / (6 * 64);
    let period = 64 * ch;
    // Gain ramps in from 1.0 (no ramp at the default): two periods of sound, then silence.
    assert!(out[..2 * period].iter().all(|&x| x == 0.5), "sound before the panic");
    assert!(out[2 * period..].iter().all(|&x| x == 0.0), "silence after it");
    assert_eq!(calls.load(Ordering::SeqCst), 3, "never called again after the panic");
    let evs = events(&e);
    let reason = evs.iter().find_map(|ev| match ev {
        Event::RenderFailed { reason } => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(reason.as_deref(), Some("the instrument is damaged"), "{evs:?}");
    assert!(evs.iter().any(|ev| matches!(ev, Event::State(PlayState::Stopped))), "{evs:?}");

    // The engine still works.
    e.send(Command::PlayRender(Box::new(Tone)));
    let out = clock.step(2);
    assert!(out.iter().all(|&x| x == 0.25));

    // A producer that panics while being prepared is reported too and never plays.
    let calls = Arc::new(AtomicUsize::new(0));
    e.send(Command::PlayRender(Box::new(Fragile { good: 100, calls: calls.clone(), panic_in_prepare: true })));
    let out = clock.step(2);
    assert!(out.iter().all(|&x| x == 0.0));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let evs = events(&e);
    assert!(
        evs.iter().any(|ev| matches!(ev, Event::RenderFailed { reason } if reason.contains("(prepare)"))),
        "{evs:?}"
    );
}

#[test]
fn latency_refuses_a_load_beyond_a_second() {
    let t0 = std::time::Instant::now();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_coremusic"))
        .args(["latency", "--device", "sim", "--seconds", "0.2", "--load-us", "4000000000"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains("--load-us 4000000000") && err.contains("1000000"), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(5));

    // The engine itself never spins longer than a second per callback.
    let e = Engine::start(EngineConfig {
        device: DeviceChoice::Sim,
        buffer_frames: 64,
        clock: Clock::Virtual,
        dsp_load_us: u32::MAX,
        ..EngineConfig::default()
    });
    let clock = e.virtual_clock().unwrap();
    let t0 = std::time::Instant::now();
    clock.step(1);
    let took = t0.elapsed();
    assert!(took < Duration::from_millis(1500), "{took:?}");
    assert!(took >= Duration::from_millis(900), "the load is applied, capped: {took:?}");
}
