//! Controller chase for seeks, prepared off the audio thread.
//!
//! A seek must leave every channel's program, controllers, RPN settings
//! (bend range, tuning) and pitch bend as if the song had played up to the
//! new position. Replaying every earlier event does that in O(events) — far
//! too much for the audio thread on a file with millions of controller events.
//! [`ChaseIndex`] is built with the [`Schedule`](super::Schedule) (when a song
//! is loaded or edited, never on the audio thread): every [`CHASE_EVERY`]
//! events it keeps a snapshot of the chased state of all 16 channels. A seek
//! restores the snapshot before the target (a bounded number of messages)
//! and replays at most `CHASE_EVERY - 1` events after it.
//!
//! A snapshot holds, per channel, two layers: the state set before the last
//! Reset All Controllers (CC 121) and the state set after it, with the reset
//! itself between them. Each synth then applies its own idea of what CC 121
//! resets, exactly as when playing. Poly aftertouch (per key) and the channel
//! mode messages (CC 120, 122–127) are not state and are not chased.

use super::player::ScheduledEvent;

/// Events between two snapshots: a seek replays fewer than this many events.
pub const CHASE_EVERY: usize = 512;

const UNSET: u8 = 0xFF;
/// The "null" RPN selection a synth starts with (and returns to on CC 121).
const NULL_RPN: [u8; 2] = [127, 127];

/// Controllers restored by their value (the RPN/NRPN machinery and channel
/// mode messages are handled apart).
fn plain_controller(cc: u8) -> bool {
    !matches!(cc, 6 | 38 | 96..=101 | 120..=127)
}

/// What one layer of a channel's state holds ([`UNSET`] where nothing was sent).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Layer {
    cc: [u8; 128],
    program: u8,
    /// Pitch bend, LSB and MSB.
    bend: [u8; 2],
    pressure: u8,
    /// RPN selection (CC 101, CC 100), [`NULL_RPN`] unless set in this layer.
    rpn: [u8; 2],
    rpn_set: bool,
    /// NRPN selection (CC 99, CC 98).
    nrpn: [u8; 2],
    /// The last selection made was an NRPN (data entry then goes nowhere).
    nrpn_last: bool,
    /// Data entry (CC 6, CC 38) of RPN 0 (bend range), 1 (fine tune), 2 (coarse tune).
    rpn_values: [[u8; 2]; 3],
}

impl Layer {
    const EMPTY: Layer = Layer {
        cc: [UNSET; 128],
        program: UNSET,
        bend: [UNSET; 2],
        pressure: UNSET,
        rpn: NULL_RPN,
        rpn_set: false,
        nrpn: [UNSET; 2],
        nrpn_last: false,
        rpn_values: [[UNSET; 2]; 3],
    };

    /// `later` on top of `self` (what is set in `later` wins).
    fn merge(&mut self, later: &Layer) {
        let pick = |a: &mut u8, b: u8| {
            if b != UNSET {
                *a = b;
            }
        };
        for (a, b) in self.cc.iter_mut().zip(later.cc) {
            pick(a, b);
        }
        pick(&mut self.program, later.program);
        if later.bend[0] != UNSET {
            self.bend = later.bend;
        }
        pick(&mut self.pressure, later.pressure);
        if later.rpn_set {
            self.rpn = later.rpn;
            self.rpn_set = true;
        }
        for (a, b) in self.nrpn.iter_mut().zip(later.nrpn) {
            pick(a, b);
        }
        if later.rpn_set || later.nrpn != [UNSET; 2] {
            self.nrpn_last = later.nrpn_last;
        }
        for (a, b) in self.rpn_values.iter_mut().zip(later.rpn_values) {
            for (x, y) in a.iter_mut().zip(b) {
                pick(x, y);
            }
        }
    }

    /// Sends this layer's state for channel `ch`; returns the messages sent.
    fn restore(&self, ch: u8, send: &mut impl FnMut(u8, u8, u8)) -> u64 {
        let mut sent = 0u64;
        let mut out = |s: u8, a: u8, b: u8| {
            send(s, a, b);
            sent += 1;
        };
        let cc = 0xB0 | ch;
        for (n, &v) in self.cc.iter().enumerate() {
            if v != UNSET {
                out(cc, n as u8, v);
            }
        }
        if self.program != UNSET {
            out(0xC0 | ch, self.program, 0);
        }
        for (p, [msb, lsb]) in self.rpn_values.iter().enumerate() {
            if *msb == UNSET && *lsb == UNSET {
                continue;
            }
            out(cc, 101, 0);
            out(cc, 100, p as u8);
            if *msb != UNSET {
                out(cc, 6, *msb);
            }
            if *lsb != UNSET {
                out(cc, 38, *lsb);
            }
        }
        // The selection last, in the order it was made.
        let nrpn = |out: &mut dyn FnMut(u8, u8, u8)| {
            if self.nrpn[0] != UNSET {
                out(cc, 99, self.nrpn[0]);
            }
            if self.nrpn[1] != UNSET {
                out(cc, 98, self.nrpn[1]);
            }
        };
        let rpn_written = self.rpn_values.iter().any(|v| *v != [UNSET; 2]);
        if !self.nrpn_last {
            nrpn(&mut out);
        }
        if self.rpn_set || rpn_written {
            out(cc, 101, self.rpn[0]);
            out(cc, 100, self.rpn[1]);
        }
        if self.nrpn_last {
            nrpn(&mut out);
        }
        if self.bend[0] != UNSET {
            out(0xE0 | ch, self.bend[0], self.bend[1]);
        }
        if self.pressure != UNSET {
            out(0xD0 | ch, self.pressure, 0);
        }
        sent
    }
}

/// The chased state of one channel.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ChannelState {
    /// Set before the last CC 121 (or all of it when there was none).
    before: Layer,
    /// A CC 121 came.
    reset: bool,
    /// Set after the last CC 121.
    after: Layer,
}

impl ChannelState {
    const EMPTY: ChannelState = ChannelState { before: Layer::EMPTY, reset: false, after: Layer::EMPTY };

    fn apply(&mut self, [status, a, b]: [u8; 3]) {
        let layer = if self.reset { &mut self.after } else { &mut self.before };
        match status & 0xF0 {
            0xC0 => layer.program = a & 0x7F,
            0xD0 => layer.pressure = a & 0x7F,
            0xE0 => layer.bend = [a & 0x7F, b & 0x7F],
            0xB0 => {
                let (cc, v) = (a & 0x7F, b & 0x7F);
                match cc {
                    121 => {
                        let after = self.after;
                        self.before.merge(&after);
                        self.after = Layer::EMPTY;
                        self.reset = true;
                    }
                    101 | 100 => {
                        if !layer.rpn_set {
                            layer.rpn = NULL_RPN;
                            layer.rpn_set = true;
                        }
                        layer.rpn[usize::from(cc == 100)] = v;
                        layer.nrpn_last = false;
                    }
                    99 | 98 => {
                        layer.nrpn[usize::from(cc == 98)] = v;
                        layer.nrpn_last = true;
                    }
                    6 | 38 => {
                        // Data entry goes to the RPN selected in this layer (a
                        // reset, or the start, leaves the null RPN selected).
                        let selected = if layer.rpn_set { layer.rpn } else { NULL_RPN };
                        if !layer.nrpn_last && selected[0] == 0 && selected[1] < 3 {
                            layer.rpn_values[usize::from(selected[1])][usize::from(cc == 38)] = v;
                        }
                    }
                    cc if plain_controller(cc) => layer.cc[usize::from(cc)] = v,
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn restore(&self, ch: u8, send: &mut impl FnMut(u8, u8, u8)) -> u64 {
        let mut sent = self.before.restore(ch, send);
        if self.reset {
            send(0xB0 | ch, 121, 0);
            sent += 1 + self.after.restore(ch, send);
        }
        sent
    }
}

/// Snapshots of every channel's chased state, every [`CHASE_EVERY`] events
/// of a schedule (see the module docs). Built off the audio thread.
#[derive(Debug, Clone, Default)]
pub struct ChaseIndex {
    /// `snapshots[i]`: the state before event `i * every`.
    snapshots: Vec<[ChannelState; 16]>,
    every: usize,
}

impl ChaseIndex {
    /// Builds the index of `events` with a snapshot every `every` events.
    pub(crate) fn new(events: &[ScheduledEvent], every: usize) -> Self {
        let every = every.max(1);
        let mut snapshots = Vec::with_capacity(events.len() / every + 1);
        let mut state = [ChannelState::EMPTY; 16];
        for (i, e) in events.iter().enumerate() {
            if i % every == 0 {
                snapshots.push(state);
            }
            if let Some(c) = state.get_mut(usize::from(e.message[0] & 0x0F)) {
                c.apply(e.message);
            }
        }
        ChaseIndex { snapshots, every }
    }

    /// Sends `send` the messages that bring a synth just reset to the state
    /// before event `next` of `events` (the schedule the index was built
    /// from). Returns the work done: messages sent plus events looked at —
    /// at most about 16 × 2 × 140 + [`CHASE_EVERY`], whatever the song.
    pub(crate) fn chase(&self, events: &[ScheduledEvent], next: usize, send: &mut impl FnMut(u8, u8, u8)) -> u64 {
        let next = next.min(events.len());
        let slot = (next / self.every.max(1)).min(self.snapshots.len().saturating_sub(1));
        let mut work = 0u64;
        let from = match self.snapshots.get(slot) {
            Some(snap) => {
                for (ch, c) in snap.iter().enumerate() {
                    work += c.restore(ch as u8, send);
                }
                slot * self.every
            }
            None => 0,
        };
        for e in events.get(from..next).unwrap_or(&[]) {
            work += 1;
            let [s, a, b] = e.message;
            if s & 0xF0 != 0x90 && s & 0xF0 != 0x80 {
                send(s, a, b);
            }
        }
        work
    }
}

#[cfg(test)]
mod tests {
    use super::super::{EventKind, Player, Schedule, Sequence, Synth, Track};
    use crate::dsp::Render;

    /// A song that exercises the chase: programs, plain controllers, the
    /// sustain pedal, RPN bend range and tuning (with NRPN selections between),
    /// Reset All Controllers, bends and pressure on several channels, with
    /// notes throughout.
    fn tangled_song() -> Sequence {
        let mut seq = Sequence::new(96);
        for ch in [0u8, 1, 9] {
            seq.tracks.push(Track::new("", ch));
        }
        let mut state = 12345u32;
        let mut rnd = |n: u32| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (state >> 16) % n
        };
        for i in 0..3000u64 {
            let t = (i % 3) as usize;
            let ch = [0u8, 1, 9][t];
            let tick = i * 3;
            let kind = match rnd(12) {
                0 => EventKind::Program { channel: ch, program: rnd(128) as u8 },
                1 => EventKind::PitchBend { channel: ch, value: rnd(16384) as i16 - 8192 },
                2 => EventKind::ChannelAftertouch { channel: ch, pressure: rnd(128) as u8 },
                3 => EventKind::Controller {
                    channel: ch,
                    controller: [101, 100, 99, 98][rnd(4) as usize],
                    value: rnd(3) as u8,
                },
                4 => EventKind::Controller { channel: ch, controller: [6, 38][rnd(2) as usize], value: rnd(25) as u8 },
                5 if rnd(8) == 0 => EventKind::Controller { channel: ch, controller: 121, value: 0 },
                6 => EventKind::Controller { channel: ch, controller: 64, value: [0, 127][rnd(2) as usize] },
                _ => EventKind::Controller {
                    channel: ch,
                    controller: [7, 10, 11, 1, 91][rnd(5) as usize],
                    value: rnd(128) as u8,
                },
            };
            seq.push_event(t, tick, kind);
            if i % 7 == 0 {
                seq.push_note(t, tick, 40, 40 + rnd(40) as u8, 100);
            }
        }
        seq
    }

    /// Audio after seeking to `at`, with snapshots every `every` events.
    fn after_seek(seq: &Sequence, every: usize, at: f64) -> (Vec<f32>, u64) {
        let (mut p, mut h) = Player::new(seq, Synth::builtin());
        let mut out = vec![0.0f32; 2 * 256];
        p.prepare(48_000, 2, 256);
        // Swap in a schedule with the wanted snapshot spacing.
        p.replace_schedule_for_test(Schedule::with_chase_every(seq, every));
        assert!(h.seek(at));
        assert!(h.play());
        let mut all = Vec::new();
        for _ in 0..40 {
            p.render(&mut out);
            all.extend_from_slice(&out);
        }
        (all, p.last_chase_work())
    }

    #[test]
    fn a_chase_from_snapshots_sounds_like_replaying_everything() {
        let seq = tangled_song();
        let end = Schedule::new(&seq).duration_s;
        for k in 1..12 {
            let at = end * k as f64 / 12.0;
            let (snap, work) = after_seek(&seq, 64, at);
            let (full, full_work) = after_seek(&seq, usize::MAX, at);
            assert!(snap.iter().any(|x| *x != 0.0));
            assert_eq!(snap, full, "seek to {at:.3} s");
            assert!(work < full_work || k < 2, "{work} vs {full_work}");
            assert!(work <= 16 * 2 * 160 + 64, "{work}");
        }
    }
}
