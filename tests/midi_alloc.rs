//! The MIDI player's render call allocates nothing: a counting global
//! allocator counts allocations made on this thread while a render runs,
//! through play, seek (with controller chase), loop, tempo change, a new
//! schedule, pause and stop, with blocks larger than the prepared size.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use coremusic::dsp::Render;
use coremusic::midi::{EventKind, Player, Sequence, Synth, Track};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.with(Cell::get) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.with(Cell::get) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARMED.with(Cell::get) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn render_counted(p: &mut Player, out: &mut [f32]) -> usize {
    let before = ALLOCS.load(Ordering::Relaxed);
    ARMED.with(|a| a.set(true));
    p.render(out);
    ARMED.with(|a| a.set(false));
    ALLOCS.load(Ordering::Relaxed) - before
}

fn busy_song() -> Sequence {
    let mut seq = Sequence::new(96);
    for ch in 0..16u8 {
        let mut t = Track::new("", ch);
        t.program = Some(ch * 8);
        seq.tracks.push(t);
        for i in 0..200u64 {
            seq.push_note(usize::from(ch), i * 12, 30, 30 + ((i * 5 + u64::from(ch)) % 70) as u8, 100);
        }
        seq.push_event(usize::from(ch), 50, EventKind::Controller { channel: ch, controller: 7, value: 80 });
        seq.push_event(usize::from(ch), 60, EventKind::Controller { channel: ch, controller: 64, value: 127 });
        seq.push_event(usize::from(ch), 300, EventKind::Controller { channel: ch, controller: 64, value: 0 });
        seq.push_event(usize::from(ch), 70, EventKind::PitchBend { channel: ch, value: 3000 });
        seq.push_event(usize::from(ch), 80, EventKind::ChannelAftertouch { channel: ch, pressure: 3 });
        seq.push_event(usize::from(ch), 90, EventKind::Program { channel: ch, program: 100 });
    }
    seq.push_event(0, 400, EventKind::Tempo(300_000));
    seq
}

#[test]
fn render_allocates_nothing() {
    // The counter works: an allocation while armed is seen.
    ARMED.with(|a| a.set(true));
    let probe = std::hint::black_box(Box::new(7u64));
    ARMED.with(|a| a.set(false));
    drop(probe);
    assert!(ALLOCS.load(Ordering::Relaxed) > 0);
    let seq = busy_song();
    let (mut p, mut h) = Player::new(&seq, Synth::builtin());
    p.prepare(48_000, 2, 256);
    let mut out = vec![0.0f32; 2 * 1000];
    let mut total = 0;
    // Stopped: silence.
    total += render_counted(&mut p, &mut out);
    h.play();
    for i in 0..200 {
        let n = [1usize, 7, 64, 256, 1000][i % 5];
        total += render_counted(&mut p, &mut out[..2 * n]);
        match i {
            20 => assert!(h.seek(3.0)),
            40 => assert!(h.set_loop(Some((1.0, 1.5)))),
            60 => assert!(h.set_tempo_scale(1.7)),
            80 => assert!(h.load(&seq)),
            100 => assert!(h.pause()),
            110 => assert!(h.play()),
            150 => assert!(h.stop()),
            160 => assert!(h.play()),
            _ => {}
        }
    }
    assert!(out.iter().any(|x| *x != 0.0), "it played");
    assert_eq!(total, 0, "allocations inside render");
    // A mono and a 6-channel device too.
    for ch in [1usize, 6] {
        p.prepare(44_100, ch, 128);
        let mut out = vec![0.0f32; ch * 300];
        assert_eq!(render_counted(&mut p, &mut out), 0);
    }
}

/// A million controller events (and a few notes) on one track.
fn controller_flood() -> Sequence {
    let mut seq = Sequence::new(96);
    seq.tracks.push(Track::new("", 0));
    let t = &mut seq.tracks[0];
    t.events.reserve(1_000_000);
    for i in 0..1_000_000u64 {
        let ch = (i % 16) as u8;
        let kind = match i % 5 {
            0 => EventKind::PitchBend { channel: ch, value: (i % 8000) as i16 },
            1 => EventKind::Program { channel: ch, program: (i % 128) as u8 },
            _ => EventKind::Controller { channel: ch, controller: (i % 90) as u8 + 1, value: (i % 128) as u8 },
        };
        t.events.push(coremusic::midi::Event { tick: i, kind });
    }
    for i in 0..1000u64 {
        seq.push_note(0, i * 1000, 500, 60, 100);
    }
    seq
}

#[test]
fn a_seek_costs_bounded_work_whatever_the_song() {
    let seq = controller_flood();
    let (mut p, mut h) = Player::new(&seq, Synth::builtin());
    p.prepare(48_000, 2, 256);
    let end = p.duration_s();
    let mut out = vec![0.0f32; 2 * 256];
    h.play();
    let bound = 16 * 2 * 160 + coremusic::midi::CHASE_EVERY as u64;
    let mut allocs = 0;
    for k in 0..20 {
        // Several seeks in one call cost one chase.
        for j in 0..10 {
            assert!(h.seek(end * (k * 10 + j) as f64 / 200.0));
        }
        allocs += render_counted(&mut p, &mut out);
        let work = p.last_chase_work();
        assert!(work > 0 && work <= bound, "seek {k}: work {work} (bound {bound})");
    }
    assert_eq!(allocs, 0, "allocations inside render");
}

#[test]
fn events_due_at_once_are_spread_over_calls() {
    use coremusic::midi::MAX_EVENTS_PER_CALL;
    let mut seq = Sequence::new(96);
    seq.tracks.push(Track::new("", 0));
    let n = 5 * MAX_EVENTS_PER_CALL + 7;
    for i in 0..n {
        seq.tracks[0].events.push(coremusic::midi::Event {
            tick: 0,
            kind: EventKind::Controller { channel: 0, controller: 7, value: (i % 128) as u8 },
        });
    }
    seq.push_note(0, 0, 96, 60, 100);
    let (mut p, mut h) = Player::new(&seq, Synth::builtin());
    p.prepare(48_000, 2, 64);
    h.play();
    let mut out = vec![0.0f32; 2 * 64];
    let mut fired = Vec::new();
    for _ in 0..8 {
        assert_eq!(render_counted(&mut p, &mut out), 0);
        fired.push(p.last_call_events());
    }
    let m = MAX_EVENTS_PER_CALL;
    // Every event, the note-on included, fires; never more than the cap per call.
    assert_eq!(fired, vec![m, m, m, m, m, 8, 0, 0]);
    assert!(out.iter().any(|x| *x != 0.0), "the note sounds");
}
