//! From levels to pictures: the frequency axis (linear, logarithmic, mel),
//! the dB window (floor and range) and the colour map. Pure functions on
//! slices; the CLI's PNG and the window's tiles share them.

/// The lowest frequency of the logarithmic axis, in Hz.
pub const LOG_MIN_HZ: f64 = 20.0;

/// How frequency maps to height.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FreqScale {
    /// Equal heights for equal Hz.
    #[default]
    Linear,
    /// Equal heights for equal ratios (octaves), from [`LOG_MIN_HZ`].
    Log,
    /// The mel scale (2595·log10(1 + f/700)): close to linear below 1 kHz, log above.
    Mel,
}

fn mel(f: f64) -> f64 {
    2595.0 * (1.0 + f / 700.0).log10()
}

fn mel_inv(m: f64) -> f64 {
    700.0 * (10f64.powf(m / 2595.0) - 1.0)
}

impl FreqScale {
    /// Every scale, in menu order.
    pub const ALL: [FreqScale; 3] = [FreqScale::Linear, FreqScale::Log, FreqScale::Mel];

    /// The name used on the command line (`lin`, `log`, `mel`).
    pub fn name(self) -> &'static str {
        match self {
            FreqScale::Linear => "lin",
            FreqScale::Log => "log",
            FreqScale::Mel => "mel",
        }
    }

    /// The scale named `s` (`lin`/`linear`, `log`, `mel`).
    pub fn parse(s: &str) -> Option<FreqScale> {
        match s.to_ascii_lowercase().as_str() {
            "lin" | "linear" => Some(FreqScale::Linear),
            "log" | "logarithmic" => Some(FreqScale::Log),
            "mel" => Some(FreqScale::Mel),
            _ => None,
        }
    }

    /// The frequency at height `y` (0 bottom, 1 top) of an axis up to `nyquist` Hz.
    pub fn freq_at(self, y: f64, nyquist: f64) -> f64 {
        let y = y.clamp(0.0, 1.0);
        match self {
            FreqScale::Linear => y * nyquist,
            FreqScale::Log => {
                let lo = LOG_MIN_HZ.min(nyquist / 2.0).max(1e-3);
                lo * (nyquist / lo).powf(y)
            }
            FreqScale::Mel => mel_inv(y * mel(nyquist)),
        }
    }

    /// The height (0 bottom, 1 top) of `freq` on an axis up to `nyquist` Hz.
    pub fn height_of(self, freq: f64, nyquist: f64) -> f64 {
        if nyquist <= 0.0 {
            return 0.0;
        }
        let y = match self {
            FreqScale::Linear => freq / nyquist,
            FreqScale::Log => {
                let lo = LOG_MIN_HZ.min(nyquist / 2.0).max(1e-3);
                (freq.max(lo) / lo).ln() / (nyquist / lo).ln()
            }
            FreqScale::Mel => mel(freq.max(0.0)) / mel(nyquist),
        };
        y.clamp(0.0, 1.0)
    }
}

/// The colours levels are painted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ColourMap {
    /// Black, blue, purple, red, orange, yellow, white (like `sox spectrogram`).
    #[default]
    Heat,
    /// Black to white.
    Grey,
}

impl ColourMap {
    /// The colour of `t` in 0..=1 (0 quietest), as RGB.
    pub fn rgb(self, t: f32) -> [u8; 3] {
        let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
        match self {
            ColourMap::Grey => {
                let v = (t * 255.0).round() as u8;
                [v, v, v]
            }
            ColourMap::Heat => {
                const STOPS: [[f32; 3]; 7] = [
                    [0.0, 0.0, 0.0],
                    [20.0, 10.0, 110.0],
                    [120.0, 20.0, 150.0],
                    [210.0, 40.0, 60.0],
                    [250.0, 140.0, 20.0],
                    [255.0, 230.0, 60.0],
                    [255.0, 255.0, 255.0],
                ];
                let x = t * (STOPS.len() - 1) as f32;
                let i = (x.floor() as usize).min(STOPS.len() - 2);
                let f = x - i as f32;
                let (a, b) = (STOPS[i], STOPS[i + 1]);
                [0, 1, 2].map(|k| (a[k] + (b[k] - a[k]) * f).round() as u8)
            }
        }
    }
}

/// How levels become a picture: frequency scale, the dB shown (from
/// `floor_db` up to `floor_db + range_db`), colours, and picture rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    /// The frequency axis.
    pub scale: FreqScale,
    /// The level painted darkest, in dB.
    pub floor_db: f32,
    /// dB from darkest to brightest.
    pub range_db: f32,
    /// The colour map.
    pub colours: ColourMap,
    /// Rows of the picture (top row = highest frequency).
    pub rows: usize,
}

impl Default for Look {
    fn default() -> Self {
        Look { scale: FreqScale::Linear, floor_db: -120.0, range_db: 120.0, colours: ColourMap::Heat, rows: 512 }
    }
}

/// Which bins a picture row shows: the loudest of a range when a row spans
/// several bins, else a blend of the two nearest.
#[derive(Debug, Clone, Copy, PartialEq)]
enum RowSource {
    Max(usize, usize),
    Blend(usize, f32),
}

/// Rows to bins for one look, FFT size and rate (computed once, used for every column).
#[derive(Debug, Clone, PartialEq)]
pub struct RowMap {
    rows: Vec<RowSource>,
}

impl RowMap {
    /// The map of `rows` rows (top first) over `bins` bins up to `nyquist` Hz on `scale`.
    pub fn new(scale: FreqScale, rows: usize, bins: usize, nyquist: f64) -> RowMap {
        let bins = bins.max(2);
        let hz_per_bin = nyquist / (bins - 1) as f64;
        let rows_v = (0..rows)
            .map(|r| {
                let y_hi = 1.0 - r as f64 / rows as f64;
                let y_lo = 1.0 - (r + 1) as f64 / rows as f64;
                let b_lo = scale.freq_at(y_lo, nyquist) / hz_per_bin;
                let b_hi = scale.freq_at(y_hi, nyquist) / hz_per_bin;
                if b_hi - b_lo >= 1.0 {
                    let a = (b_lo.ceil() as usize).min(bins - 1);
                    let b = (b_hi.floor() as usize).clamp(a, bins - 1);
                    RowSource::Max(a, b)
                } else {
                    let c = ((b_lo + b_hi) / 2.0).clamp(0.0, (bins - 1) as f64);
                    let i = (c.floor() as usize).min(bins - 2);
                    RowSource::Blend(i, (c - i as f64) as f32)
                }
            })
            .collect();
        RowMap { rows: rows_v }
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.rows.len()
    }

    /// The level row `r` shows of one column's levels.
    pub fn level(&self, r: usize, column: &[f32]) -> f32 {
        match self.rows.get(r) {
            Some(&RowSource::Max(a, b)) => {
                column.get(a..=b).map_or(f32::NAN, |s| s.iter().copied().fold(f32::MIN, f32::max))
            }
            Some(&RowSource::Blend(i, f)) => match (column.get(i), column.get(i + 1)) {
                (Some(&x), Some(&y)) => x + (y - x) * f,
                _ => f32::NAN,
            },
            None => f32::NAN,
        }
    }
}

/// Paints `levels` (`columns` × `bins`, column after column) into `rgba`
/// (`rows` × `columns` pixels, row after row, top row first).
pub fn paint(levels: &[f32], bins: usize, map: &RowMap, look: &Look, rgba: &mut Vec<u8>) {
    let columns = levels.len() / bins.max(1);
    let rows = map.rows();
    rgba.clear();
    rgba.resize(rows * columns * 4, 255);
    let range = look.range_db.max(1.0);
    for c in 0..columns {
        let col = &levels[c * bins..(c + 1) * bins];
        for r in 0..rows {
            let t = (map.level(r, col) - look.floor_db) / range;
            let [red, g, b] = look.colours.rgb(t);
            let i = (r * columns + c) * 4;
            rgba[i..i + 3].copy_from_slice(&[red, g, b]);
        }
    }
}
