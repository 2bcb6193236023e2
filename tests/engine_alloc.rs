//! The render callback allocates nothing: a counting global allocator counts
//! allocations made while a thread is inside the callback
//! (`coremusic::engine::rt::in_audio_callback`), and the virtual-clock
//! simulated device is driven through play, seek, loop, pause, stop, gain,
//! buffer changes and render-source swaps.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use coremusic::dsp::Render;
use coremusic::engine::{rt, Clock, Command, DeviceChoice, Engine, EngineConfig};

struct Counting;

static IN_CALLBACK: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if rt::in_audio_callback() {
            IN_CALLBACK.fetch_add(1, Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if rt::in_audio_callback() {
            IN_CALLBACK.fetch_add(1, Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if rt::in_audio_callback() {
            IN_CALLBACK.fetch_add(1, Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn wav(dir: &Path, name: &str, rate: u32, channels: u16, frames: u32) -> PathBuf {
    let path = dir.join(name);
    let mut w = common::hound_int(&path, rate, channels, 16);
    for i in 0..frames * channels as u32 {
        w.write_sample((i % 20_000) as i16).unwrap();
    }
    w.finalize().unwrap();
    path
}

/// A render source that allocates in `prepare` (allowed) and not in `render`.
struct Tone {
    table: Vec<f32>,
    at: usize,
}

impl Render for Tone {
    fn prepare(&mut self, sample_rate: u32, _channels: usize, _max_frames: usize) {
        self.table = (0..sample_rate / 100).map(|i| (i as f32 * 0.01).sin()).collect();
    }
    fn render(&mut self, out: &mut [f32]) {
        for s in out {
            *s = self.table.get(self.at).copied().unwrap_or(0.0);
            self.at = (self.at + 1) % self.table.len().max(1);
        }
    }
}

#[test]
fn the_callback_never_allocates() {
    let dir = tempfile::tempdir().unwrap();
    let a = wav(dir.path(), "a.wav", 48_000, 2, 30_000);
    let b = wav(dir.path(), "b.wav", 44_100, 1, 30_000); // resampled and up-mixed by the reader
    let e = Engine::start(EngineConfig {
        device: DeviceChoice::Sim,
        buffer_frames: 64,
        clock: Clock::Virtual,
        dsp_load_us: 5,
        ..EngineConfig::default()
    });
    let clock = e.virtual_clock().unwrap();
    // the flag works: allocation inside the callback would be seen
    assert!(!rt::in_audio_callback());
    clock.step(4);
    e.send(Command::Play { path: a.clone(), from_frame: 0 });
    clock.step(8);
    e.send(Command::Seek(10_000));
    clock.step(8);
    e.send(Command::SetLoop(Some((10_100, 10_200))));
    clock.step(8);
    e.send(Command::SetLoop(None));
    e.send(Command::SetGain(0.3));
    clock.step(8);
    e.send(Command::Pause);
    clock.step(4);
    e.send(Command::Resume);
    clock.step(4);
    e.send(Command::SetBufferSize(128));
    clock.step(8);
    e.send(Command::Play { path: b, from_frame: 100 });
    clock.step(8);
    e.send(Command::SetSampleRate(44_100));
    clock.step(8);
    e.send(Command::PlayRender(Box::new(Tone { table: Vec::new(), at: 0 })));
    clock.step(8);
    e.send(Command::Play { path: a, from_frame: 29_900 });
    clock.step(8); // plays to the end
    e.send(Command::Stop);
    e.send(Command::ResetStats);
    clock.step(4);
    let stats = e.stats();
    assert!(stats.callbacks > 0);
    assert_eq!(IN_CALLBACK.load(Relaxed), 0, "allocations or frees inside the audio callback");

    // The control: a producer that breaks the rule is caught.
    e.send(Command::PlayRender(Box::new(Leaky)));
    clock.step(2);
    assert!(IN_CALLBACK.load(Relaxed) >= 2, "the counter sees allocations in the callback");
}

/// Breaks the real-time rule on purpose.
struct Leaky;

impl Render for Leaky {
    fn prepare(&mut self, _: u32, _: usize, _: usize) {}
    fn render(&mut self, out: &mut [f32]) {
        let v = std::hint::black_box(vec![0.5f32; out.len()]);
        out.copy_from_slice(&v);
    }
}
