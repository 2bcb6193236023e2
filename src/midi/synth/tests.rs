use super::*;

#[test]
fn every_family_and_drum_sounds_and_dies_away() {
    let mut s = BuiltinSynth::new(48_000);
    let (mut l, mut r) = (vec![0.0f32; 4800], vec![0.0f32; 4800]);
    for program in (0..128).step_by(8) {
        s.reset();
        s.message(0xC0, program, 0);
        s.message(0x90, 60, 100);
        s.message(0x99, 36 + program / 8, 100);
        l.fill(0.0);
        r.fill(0.0);
        s.render_add(&mut l, &mut r);
        let peak = l.iter().chain(&r).fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(peak > 0.01, "program {program} is silent");
        assert!(peak < 1.0, "program {program} peaks at {peak}");
        s.message(0x80, 60, 0);
        s.message(0x89, 36 + program / 8, 0);
        for _ in 0..200 {
            s.render_add(&mut l, &mut r);
        }
        assert_eq!(s.active_voices(), 0, "program {program} never ends");
    }
}

#[test]
fn sustain_pedal_holds_and_voices_are_stolen() {
    let mut s = BuiltinSynth::new(48_000);
    let (mut l, mut r) = (vec![0.0f32; 64], vec![0.0f32; 64]);
    s.message(0xC0, 16, 0); // organ: sustains
    s.message(0xB0, 64, 127);
    s.message(0x90, 60, 100);
    s.message(0x80, 60, 0);
    s.render_add(&mut l, &mut r);
    assert_eq!(s.active_voices(), 1);
    assert!(s.voices.iter().any(|v| v.held));
    s.message(0xB0, 64, 0);
    assert!(s.voices.iter().all(|v| !v.held));
    for k in 0..100 {
        s.message(0x90, k, 100);
    }
    assert_eq!(s.active_voices(), MAX_VOICES);
}

#[test]
fn soft_limit_never_reaches_full_scale() {
    for x in [0.0f32, 0.5, 0.8, 0.9, 1.0, 3.0, 1e9] {
        assert!(soft_limit(x) < 1.0 && soft_limit(-x) > -1.0);
        assert!(soft_limit(x) >= x.min(0.8));
    }
}
