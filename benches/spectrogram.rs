//! Spectrogram tiles on a three-hour 16-bit stereo WAV (1.9 GB): how long
//! after opening the file the first screen (the whole file, 1100 columns) is
//! computed; a 16× zoom into the middle; scrolling back to tiles seen before
//! (the cache); and how long the Spectrogram view takes to redraw a frame.
//! Goals: first screen within 0.5 s; redraw under 4 ms.
//!
//! Run: `cargo bench --bench spectrogram` (the first run writes the WAV to
//! the temporary folder, shared with the peaks bench;
//! `COREMUSIC_BENCH_HOURS` changes its length). The file is read from the
//! page cache when the machine has the memory (it is written just before).

use std::path::Path;
use std::time::Instant;

use coremusic::analysis::spectrogram::scale::Look;
use coremusic::analysis::spectrogram::tiles::*;
use coremusic::analysis::spectrogram::{ChannelPick, Settings};

mod common;

/// Asks for `keys` and waits for all of them: the seconds until each had a
/// first look (coarse or complete), and until all were complete.
fn fetch(engine: &TileEngine, keys: Vec<TileKey>, look_id: u64) -> (f64, f64) {
    let t = Instant::now();
    let mut first = std::collections::HashSet::new();
    let mut complete = std::collections::HashSet::new();
    let n = keys.len();
    let mut seen = None;
    engine.request(TileRequest { tiles: keys, look: Look::default(), look_id });
    while complete.len() < n {
        match engine.wait() {
            Some(TileEvent::Ready(img)) => {
                first.insert(img.data.key);
                if !img.data.coarse {
                    complete.insert(img.data.key);
                }
            }
            Some(TileEvent::Failed(e)) => panic!("{e}"),
            None => panic!("the engine stopped"),
        }
        if first.len() == n && seen.is_none() {
            seen = Some(t.elapsed().as_secs_f64());
        }
    }
    let all = t.elapsed().as_secs_f64();
    (seen.unwrap_or(all), all)
}

/// Nanoseconds of CPU this thread has used: a frame's own cost, apart from
/// the time it waited for a CPU on a busy machine.
#[cfg(all(unix, feature = "gui"))]
fn thread_cpu_ns() -> Option<u64> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the
    // call; CLOCK_THREAD_CPUTIME_ID exists on Linux and macOS.
    #[allow(unsafe_code)]
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (r == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

#[cfg(all(not(unix), feature = "gui"))]
fn thread_cpu_ns() -> Option<u64> {
    None
}

/// CPU time (user + system) of this process so far, where `/proc` tells.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the name), in ticks of 1/100 s.
    Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / 100.0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks; nothing to list
    }
    let hours: f64 = std::env::var("COREMUSIC_BENCH_HOURS").ok().and_then(|h| h.parse().ok()).unwrap_or(3.0);
    let frames = (hours * 3600.0 * 44100.0) as u64;
    let path = common::test_wav(&common::bench_dir(), &format!("peaks-{hours}h.wav"), frames);
    let st = Settings::default();
    let columns = 1100.0;
    println!(
        "spectrogram tiles, {hours} h 16-bit stereo WAV, FFT {} {}, {columns} columns",
        st.fft_size,
        st.window.name()
    );

    let engine = TileEngine::open(&path, DEFAULT_BUDGET_BYTES, || {});
    let level = level_for(frames as f64 / columns);
    let keys = tiles_covering(st, ChannelPick::Mixed, level, (0, frames));
    let n = keys.len();
    // Opening is part of it: the engine opens the file on its own thread.
    let (seen, all) = fetch(&engine, keys, 1);
    println!(
        "first screen (whole file, {n} tiles at 2^{level} frames per column) after opening: {seen:.3} s coarse, {all:.3} s complete{}",
        cpu_seconds().map(|c| format!(" ({c:.2} s CPU so far)")).unwrap_or_default()
    );

    let span = frames / 16;
    let zoomed = (frames / 2 - span / 2, frames / 2 + span / 2);
    let zlevel = level_for(span as f64 / columns);
    let keys = tiles_covering(st, ChannelPick::Mixed, zlevel, zoomed);
    let n = keys.len();
    let (seen, all) = fetch(&engine, keys, 1);
    println!("zoom 16× into the middle ({n} tiles): {seen:.3} s coarse, {all:.3} s complete");
    let keys = tiles_covering(st, ChannelPick::Mixed, level, (0, frames));
    let n = keys.len();
    println!("back to the whole file ({n} tiles, from the cache): {:.4} s", fetch(&engine, keys, 1).1);
    println!(
        "tiles computed: {}, cache: {:.1} MB (bound {} MB)",
        engine.computed(),
        engine.cached_bytes() as f64 / 1e6,
        DEFAULT_BUDGET_BYTES >> 20
    );
    drop(engine);
    redraw(&path);
}

#[cfg(feature = "gui")]
fn redraw(path: &Path) {
    use coremusic::analysis::peaks::{BuildProgress, PeakPyramid};
    use coremusic::ui::waveform::ViewMode;
    use coremusic::ui::WaveformView;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let pyramid = PeakPyramid::build(path, &BuildProgress::new(), &AtomicBool::new(false)).expect("peaks");
    let frames = pyramid.frames();
    let ctx = egui::Context::default();
    let mut view = WaveformView::new();
    view.set_pyramid(path, Arc::new(pyramid), &ctx);
    view.mode = ViewMode::Spectrogram;
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1100.0, 700.0))),
        ..Default::default()
    };
    // (wall ms, on-CPU ms) of one frame.
    let frame = |view: &mut WaveformView| {
        let cpu = thread_cpu_ns();
        let t = Instant::now();
        let mut out = ctx.run_ui(input(), |ui| {
            // What the app does each frame: the panel's logic (taking
            // finished background work), then its drawing.
            view.logic(ui.ctx(), None);
            egui::CentralPanel::default().show(ui, |ui| {
                view.ui(ui);
            });
        });
        out.textures_delta.clear(); // no renderer: uploads are dropped
        let _ = ctx.tessellate(out.shapes, out.pixels_per_point);
        let wall = t.elapsed().as_secs_f64() * 1e3;
        let on_cpu = match (cpu, thread_cpu_ns()) {
            (Some(a), Some(b)) => b.saturating_sub(a) as f64 / 1e6,
            _ => f64::NAN,
        };
        (wall, on_cpu)
    };
    let measure = |view: &mut WaveformView, what: &str, step: f64| {
        let t = Instant::now();
        let (mut arriving, mut arriving_cpu) = (0f64, 0f64);
        while !view.spectrogram.complete() && t.elapsed().as_secs() < 60 {
            let (wall, cpu) = frame(view);
            (arriving, arriving_cpu) = (arriving.max(wall), arriving_cpu.max(cpu));
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let (mut ms, mut cpu): (Vec<f64>, Vec<f64>) = (0..100)
            .map(|_| {
                view.scroll_by(step);
                frame(view)
            })
            .unzip();
        ms.sort_by(f64::total_cmp);
        cpu.sort_by(f64::total_cmp);
        println!(
            "redraw, {what}: median {:.2} ms, worst {:.2} ms per frame (on CPU: median {:.2}, worst {:.2} ms; \
             lanes alone {:.2} ms); while its tiles arrived: worst {arriving:.2} ms, on CPU {arriving_cpu:.2} ms",
            ms[50],
            ms[99],
            cpu[50],
            cpu[99],
            view.last_draw_us() / 1e3
        );
    };
    frame(&mut view);
    measure(&mut view, "whole file", 0.0);
    view.zoom_by(1.0 / 64.0, frames as f64 / 2.0);
    let step = view.frames_per_point() * 110.0;
    measure(&mut view, "zoomed 64×, scrolling a tenth of a view per frame", step);
    view.zoom_by(1e-9, frames as f64 / 2.0);
    measure(&mut view, "deepest zoom", 0.0);
}

#[cfg(not(feature = "gui"))]
fn redraw(_: &Path) {}
