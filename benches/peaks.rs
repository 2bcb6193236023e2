//! Peaks: how fast the pyramid is built from a 16-bit stereo WAV read
//! through `coremusic::io` (each rayon worker decoding its segments from
//! its own memory map), on all cores and on one; and how long the waveform
//! view takes to draw a frame of a three-hour stereo file, whole and
//! zoomed to single samples, while scrolling. Goals: ≥ 1 GB/s of PCM on two
//! cores; a frame under 4 ms.
//!
//! Run: `cargo bench --bench peaks` (the first run writes a 400 MB and a
//! 1.9 GB WAV to the temporary folder; `COREMUSIC_BENCH_HOURS` changes the
//! long file's length).

use std::hint::black_box;
use std::sync::atomic::AtomicBool;
#[cfg(feature = "gui")]
use std::sync::Arc;

use coremusic::analysis::peaks::{BuildProgress, PeakPyramid};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

mod common;
use common::{bench_dir, test_wav};

fn build(c: &mut Criterion) {
    let path = test_wav(&bench_dir(), "peaks-400mb.wav", 100 << 20);
    let len = std::fs::metadata(&path).expect("stat").len();
    let mut g = c.benchmark_group("peaks_build_wav_s16_stereo_400MB");
    g.throughput(Throughput::Bytes(len));
    g.sample_size(10);
    let no = AtomicBool::new(false);
    g.bench_function("all_cores", |b| {
        b.iter(|| black_box(PeakPyramid::build(&path, &BuildProgress::new(), &no).expect("build")))
    });
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
    g.bench_function("one_core", |b| {
        b.iter(|| one.install(|| black_box(PeakPyramid::build(&path, &BuildProgress::new(), &no).expect("build"))))
    });
    g.finish();
}

#[cfg(feature = "gui")]
fn draw(c: &mut Criterion) {
    use coremusic::ui::WaveformView;
    let hours: f64 = std::env::var("COREMUSIC_BENCH_HOURS").ok().and_then(|h| h.parse().ok()).unwrap_or(3.0);
    let frames = (hours * 3600.0 * 44100.0) as u64;
    let path = test_wav(&bench_dir(), &format!("peaks-{hours}h.wav"), frames);
    let t = std::time::Instant::now();
    let pyramid = PeakPyramid::build(&path, &BuildProgress::new(), &AtomicBool::new(false)).expect("build");
    let secs = t.elapsed().as_secs_f64();
    let mb = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    eprintln!("built the {hours} h pyramid ({mb:.0} MB) in {secs:.2} s: {:.0} MB/s", mb / secs);

    let ctx = egui::Context::default();
    let mut view = WaveformView::new();
    view.set_pyramid(&path, Arc::new(pyramid), &ctx);
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1100.0, 700.0))),
        ..Default::default()
    };
    let frame = |view: &mut WaveformView| {
        let mut out = ctx.run_ui(input(), |ui| {
            // What the app does each frame: the panel's logic (taking
            // finished background work), then its drawing.
            view.logic(ui.ctx(), None);
            egui::CentralPanel::default().show(ui, |ui| {
                view.ui(ui);
            });
        });
        // No renderer here: the font atlas uploads are dropped on purpose.
        out.textures_delta.clear();
        ctx.tessellate(out.shapes, out.pixels_per_point)
    };
    frame(&mut view);

    let mut g = c.benchmark_group("waveform_draw_3h_stereo_1100x700");
    g.bench_function("whole_file", |b| b.iter(|| black_box(frame(&mut view))));
    eprintln!("  lanes alone: {:.0} µs", view.last_draw_us());
    // Zoomed to about 2000 frames per point (~45 ms across), scrolling by a tenth of a view each frame.
    view.zoom_by(2000.0 / view.frames_per_point().max(1e-9), 0.0);
    view.scroll_by(frames as f64 / 2.0);
    g.bench_function("zoomed_scrolling", |b| {
        b.iter(|| {
            view.scroll_by(200.0 * 1000.0);
            black_box(frame(&mut view))
        })
    });
    eprintln!("  lanes alone: {:.0} µs", view.last_draw_us());
    // Single samples (4 points per sample), from the window read in the background.
    view.zoom_by(0.25 / view.frames_per_point(), frames as f64 / 2.0);
    let t = std::time::Instant::now();
    while !view.samples_ready() && t.elapsed().as_secs() < 30 {
        frame(&mut view);
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert!(view.samples_ready(), "the sample window never arrived");
    g.bench_function("samples", |b| b.iter(|| black_box(frame(&mut view))));
    eprintln!("  lanes alone: {:.0} µs", view.last_draw_us());
    g.finish();
}

#[cfg(not(feature = "gui"))]
fn draw(_: &mut Criterion) {}

criterion_group!(benches, build, draw);
criterion_main!(benches);
