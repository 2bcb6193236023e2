//! Standard MIDI Files: `parse_smf` on arbitrary bytes; a sequence that parses
//! must give a finite, non-negative length (tempo map and `Schedule`), a
//! schedule in time order, bytes that `smf_bytes` writes and `parse_smf` reads
//! back, and a `Player` (built-in synth) that plays, seeks, loops and changes
//! tempo for a few blocks with finite output and no panic. No edits.
#![no_main]

use coremusic::dsp::Render;
use coremusic::midi::{parse_smf, smf_bytes, Player, Schedule, Synth};
use libfuzzer_sys::fuzz_target;

/// Frames per render call.
const BLOCK: usize = 128;

fuzz_target!(|data: &[u8]| {
    let Ok(seq) = parse_smf(data) else {
        return;
    };
    let map = seq.tempo_map();
    let end_s = map.tick_to_seconds(seq.end_tick());
    assert!(end_s.is_finite() && end_s >= 0.0, "end at {end_s} s");
    let _ = map.bpm_at(0);
    let _ = map.seconds_to_tick(end_s / 2.0);
    let schedule = Schedule::new(&seq);
    let dur = schedule.duration_s;
    assert!(dur.is_finite() && dur >= 0.0, "duration {dur} s");
    assert!(schedule.events.windows(2).all(|w| w[0].seconds <= w[1].seconds), "schedule out of time order");
    if let Ok(bytes) = smf_bytes(&seq) {
        if let Err(e) = parse_smf(&bytes) {
            panic!("smf_bytes wrote a file parse_smf refuses: {e}");
        }
    }
    let (mut player, mut handle) = Player::new(&seq, Synth::builtin());
    player.prepare(48_000, 2, BLOCK);
    let mut out = vec![0f32; BLOCK * 2];
    handle.play();
    for k in 0..10 {
        match k {
            3 => _ = handle.seek(dur / 2.0),
            5 => _ = handle.set_loop(Some((0.0, dur.min(0.01)))),
            6 => _ = handle.set_tempo_scale(2.0),
            7 => _ = handle.seek(dur + 1.0),
            8 => _ = handle.seek(0.0),
            _ => {}
        }
        player.render(&mut out);
        assert!(out.iter().all(|x| x.is_finite()), "non-finite output in block {k}");
        let p = player.position_s();
        assert!(p.is_finite(), "position {p}");
    }
});
