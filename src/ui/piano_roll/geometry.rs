//! Where things are on the piano roll: the mapping between ticks/keys and
//! screen points ([`RollView`]), the snap grid ([`Snap`]), bar and beat lines
//! from a sequence's time signatures, and key names. Pure arithmetic, no
//! drawing and no state beyond the numbers of one frame.

use egui::{Pos2, Rect};

use crate::midi::{Note, TempoMap};

/// The ticks per quarter used for drawing when a file has SMPTE timing (no quarter notes).
pub const FALLBACK_TPQ: u16 = 480;

/// The geometry of the piano roll in the last frame: the screen rectangles of
/// its parts and the zoom and scroll that map ticks and keys onto them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RollView {
    /// The note grid (notes, bar lines, playhead).
    pub grid: Rect,
    /// The keyboard to the left of the grid.
    pub keyboard: Rect,
    /// The bar ruler above the grid.
    pub ruler: Rect,
    /// The velocity lane below the grid (same horizontal mapping as the grid).
    pub velocity: Rect,
    /// Horizontal zoom: screen points per tick.
    pub px_per_tick: f32,
    /// Vertical zoom: the height of one key row in points.
    pub key_height: f32,
    /// The tick at the grid's left edge.
    pub scroll_tick: f64,
    /// The key coordinate at the grid's top edge: key `k`'s row spans
    /// `top_key - k - 1 ..= top_key - k` rows below the top (e.g. 96.0 shows key 95 first).
    pub top_key: f32,
}

impl Default for RollView {
    fn default() -> Self {
        RollView {
            grid: Rect::NOTHING,
            keyboard: Rect::NOTHING,
            ruler: Rect::NOTHING,
            velocity: Rect::NOTHING,
            px_per_tick: 0.1,
            key_height: 14.0,
            scroll_tick: 0.0,
            top_key: 84.0,
        }
    }
}

impl RollView {
    /// The x coordinate of `tick`.
    pub fn tick_to_x(&self, tick: f64) -> f32 {
        self.grid.left() + ((tick - self.scroll_tick) * f64::from(self.px_per_tick)) as f32
    }

    /// The tick under `x` (may be negative left of the song start).
    pub fn x_to_tick(&self, x: f32) -> f64 {
        self.scroll_tick + f64::from(x - self.grid.left()) / f64::from(self.px_per_tick.max(1e-6))
    }

    /// The y coordinate of the top of key `key`'s row.
    pub fn key_to_y(&self, key: u8) -> f32 {
        self.grid.top() + (self.top_key - f32::from(key) - 1.0) * self.key_height
    }

    /// The key whose row holds `y` (`None` above key 127 or below key 0).
    pub fn y_to_key(&self, y: f32) -> Option<u8> {
        let k = (self.top_key - (y - self.grid.top()) / self.key_height.max(1e-3)).floor();
        (0.0..=127.0).contains(&k).then_some(k as u8)
    }

    /// The key row under `y`, as a float (for drags that go past the ends).
    pub fn y_to_key_f32(&self, y: f32) -> f32 {
        self.top_key - (y - self.grid.top()) / self.key_height.max(1e-3)
    }

    /// The rectangle a note is drawn in (at least 3 points wide so short notes stay visible).
    pub fn note_rect(&self, note: &Note) -> Rect {
        let x0 = self.tick_to_x(note.start as f64);
        let x1 = self.tick_to_x(note.end() as f64).max(x0 + 3.0);
        let y0 = self.key_to_y(note.key);
        Rect::from_min_max(Pos2::new(x0, y0 + 0.5), Pos2::new(x1, y0 + self.key_height - 0.5))
    }

    /// The point in the middle of a note's rectangle (where a user grabs it).
    pub fn note_center(&self, note: &Note) -> Pos2 {
        self.note_rect(note).center()
    }

    /// The visible tick range.
    pub fn visible_ticks(&self) -> (f64, f64) {
        (self.x_to_tick(self.grid.left()), self.x_to_tick(self.grid.right()))
    }
}

/// The snap grid for drawing, moving, resizing and quantizing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Snap {
    /// Free placement (to the tick).
    Off,
    /// Quarter notes.
    Quarter,
    /// Eighth notes.
    Eighth,
    /// Sixteenth notes.
    #[default]
    Sixteenth,
    /// Thirty-second notes.
    ThirtySecond,
    /// Quarter-note triplets.
    QuarterTriplet,
    /// Eighth-note triplets.
    EighthTriplet,
    /// Sixteenth-note triplets.
    SixteenthTriplet,
}

impl Snap {
    /// Every choice, in menu order.
    pub const ALL: [Snap; 8] = [
        Snap::Off,
        Snap::Quarter,
        Snap::Eighth,
        Snap::Sixteenth,
        Snap::ThirtySecond,
        Snap::QuarterTriplet,
        Snap::EighthTriplet,
        Snap::SixteenthTriplet,
    ];

    /// The label in the menu.
    pub fn label(self) -> &'static str {
        match self {
            Snap::Off => "Off",
            Snap::Quarter => "1/4",
            Snap::Eighth => "1/8",
            Snap::Sixteenth => "1/16",
            Snap::ThirtySecond => "1/32",
            Snap::QuarterTriplet => "1/4T",
            Snap::EighthTriplet => "1/8T",
            Snap::SixteenthTriplet => "1/16T",
        }
    }

    /// The grid step in ticks for `tpq` ticks per quarter (`None` when off); at least 1.
    pub fn ticks(self, tpq: u16) -> Option<u64> {
        let q = u64::from(tpq.max(1));
        let t = match self {
            Snap::Off => return None,
            Snap::Quarter => q,
            Snap::Eighth => q / 2,
            Snap::Sixteenth => q / 4,
            Snap::ThirtySecond => q / 8,
            Snap::QuarterTriplet => q * 2 / 3,
            Snap::EighthTriplet => q / 3,
            Snap::SixteenthTriplet => q / 6,
        };
        Some(t.max(1))
    }

    /// `tick` rounded to the nearest grid line (unchanged when off), never below 0.
    pub fn round(self, tick: f64, tpq: u16) -> u64 {
        let t = tick.max(0.0);
        match self.ticks(tpq) {
            Some(g) => ((t / g as f64).round() * g as f64) as u64,
            None => t.round() as u64,
        }
    }

    /// The grid line at or before `tick` (unchanged when off), never below 0.
    pub fn floor(self, tick: f64, tpq: u16) -> u64 {
        let t = tick.max(0.0);
        match self.ticks(tpq) {
            Some(g) => ((t / g as f64).floor() * g as f64) as u64,
            None => t.floor() as u64,
        }
    }
}

/// What a vertical grid line marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// The start of bar `n` (1-based).
    Bar(u64),
    /// A beat inside a bar.
    Beat,
    /// A snap subdivision inside a beat.
    Sub,
}

/// The bar, beat and subdivision lines between ticks `from` and `to` for the
/// time signatures of `map` (4/4 where there is none), at most `limit` lines.
/// `sub` is the snap step in ticks (no subdivision lines when `None`).
pub fn grid_lines(
    map: &TempoMap,
    tpq: u16,
    from: f64,
    to: f64,
    sub: Option<u64>,
    limit: usize,
) -> Vec<(u64, LineKind)> {
    let tpq = u64::from(tpq.max(1));
    let mut out = Vec::new();
    let to = if to.is_finite() { to.max(0.0) } else { 0.0 } as u64;
    let from = if from.is_finite() { from.max(0.0) } else { 0.0 } as u64;
    // Signature segments: (start tick, beats per bar, beat length), with 4/4 from tick 0 when none is given there.
    let mut segs: Vec<(u64, u64, u64)> = Vec::new();
    if map.time_signatures.first().is_none_or(|s| s.tick > 0) {
        segs.push((0, 4, tpq));
    }
    for s in &map.time_signatures {
        let beat = (tpq * 4 / u64::from(s.denominator.clamp(1, 64))).max(1);
        let num = u64::from(s.numerator.max(1));
        match segs.last_mut() {
            Some(last) if last.0 == s.tick => *last = (s.tick, num, beat),
            _ => segs.push((s.tick, num, beat)),
        }
    }
    let mut first_bar = 1u64;
    for (i, &(start, num, beat)) in segs.iter().enumerate() {
        if start > to {
            break;
        }
        let end = segs.get(i + 1).map_or(u64::MAX, |s| s.0);
        let bar_len = num.saturating_mul(beat).max(1);
        let total_bars = if end == u64::MAX { u64::MAX } else { (end - start).div_ceil(bar_len) };
        let mut k = if from > start { (from - start) / bar_len } else { 0 };
        while k < total_bars {
            let bar = start.saturating_add(k.saturating_mul(bar_len));
            if bar > to || bar >= end {
                break;
            }
            for b in 0..num {
                let beat_tick = bar + b * beat;
                if beat_tick >= end || beat_tick > to {
                    break;
                }
                if beat_tick >= from {
                    let kind = if b == 0 { LineKind::Bar(first_bar.saturating_add(k)) } else { LineKind::Beat };
                    out.push((beat_tick, kind));
                }
                if let Some(step) = sub.filter(|s| *s < beat) {
                    let mut t = beat_tick + step;
                    while t < beat_tick + beat && t < end && t <= to {
                        if t >= from {
                            out.push((t, LineKind::Sub));
                        }
                        t += step;
                    }
                }
                if out.len() >= limit {
                    return out;
                }
            }
            k += 1;
        }
        first_bar = first_bar.saturating_add(total_bars);
    }
    out
}

/// Whether `key` is a black key.
pub fn is_black(key: u8) -> bool {
    matches!(key % 12, 1 | 3 | 6 | 8 | 10)
}

/// The name of a key, middle C (60) = "C4".
pub fn key_name(key: u8) -> String {
    const NAMES: [&str; 12] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
    let octave = i32::from(key / 12) - 1;
    format!("{}{}", NAMES.get(usize::from(key % 12)).copied().unwrap_or("?"), octave)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::midi::{EventKind, Sequence, Track};

    #[test]
    fn snap_steps_and_rounding() {
        assert_eq!(Snap::Sixteenth.ticks(480), Some(120));
        assert_eq!(Snap::EighthTriplet.ticks(480), Some(160));
        assert_eq!(Snap::Off.ticks(480), None);
        assert_eq!(Snap::ThirtySecond.ticks(1), Some(1));
        assert_eq!(Snap::Quarter.round(700.0, 480), 480);
        assert_eq!(Snap::Quarter.round(730.0, 480), 960);
        assert_eq!(Snap::Quarter.floor(959.0, 480), 480);
        assert_eq!(Snap::Off.round(-5.0, 480), 0);
    }

    #[test]
    fn bars_follow_time_signatures() {
        let mut seq = Sequence::new(480);
        seq.tracks.push(Track::new("t", 0));
        // 4/4 for one bar, then 3/4.
        let ts = |n| EventKind::TimeSignature {
            numerator: n,
            denominator_pow: 2,
            clocks_per_click: 24,
            thirty_seconds_per_quarter: 8,
        };
        seq.push_event(0, 0, ts(4));
        seq.push_event(0, 1920, ts(3));
        let lines = grid_lines(&seq.tempo_map(), 480, 0.0, 1920.0 + 1440.0 * 2.0, None, 1000);
        let bars: Vec<(u64, u64)> =
            lines.iter().filter_map(|(t, k)| if let LineKind::Bar(n) = k { Some((*t, *n)) } else { None }).collect();
        assert_eq!(bars, vec![(0, 1), (1920, 2), (3360, 3), (4800, 4)]);
        assert_eq!(lines.iter().filter(|(_, k)| *k == LineKind::Beat).count(), 3 + 2 + 2);
        // Scrolled: numbering continues.
        let later = grid_lines(&seq.tempo_map(), 480, 3000.0, 5000.0, Some(240), 1000);
        assert!(later.contains(&(3360, LineKind::Bar(3))));
        assert!(later.contains(&(3600, LineKind::Sub)));
    }

    #[test]
    fn mapping_round_trips() {
        let v = RollView {
            grid: Rect::from_min_size(Pos2::new(100.0, 50.0), egui::vec2(800.0, 400.0)),
            ..RollView::default()
        };
        let x = v.tick_to_x(960.0);
        assert!((v.x_to_tick(x) - 960.0).abs() < 1e-3);
        let y = v.key_to_y(60) + 1.0;
        assert_eq!(v.y_to_key(y), Some(60));
        assert_eq!(key_name(60), "C4");
        assert!(is_black(61) && !is_black(60));
    }
}
