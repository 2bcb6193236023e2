//! Spectrogram tiles for the window: the time axis cut into tiles of
//! [`TILE_COLS`] columns at hops of 2^level frames per column, computed by a
//! background thread on all cores (rayon), in the order asked — the
//! visible tiles first — and kept in an LRU cache bounded in bytes, so
//! zooming and scrolling back never recompute what was seen. Finished tiles
//! come back painted ([`TileImage`]) for the current [`Look`]; a new look
//! repaints from the cache without recomputing. The caller (the UI thread)
//! only sends requests and takes finished tiles: it never waits.
//!
//! Zoomed out, where a column spans many FFTs, a request is answered twice:
//! first a *coarse* tile (one window per column, as Spek or Sonic Visualiser
//! zoomed out: a quarter of the reads), then the full one
//! ([`VIEW_MAX_FFTS`] windows per column) replaces it. Reads are scattered
//! over the file, so the tiles are computed on more threads than cores
//! ([`IO_THREADS`]): from a cold disk the reads wait for the device in
//! parallel instead of one by one per core.
//!
//! While the engine reads the first look of the tiles asked for (the screen
//! shown), it raises a flag ([`TileEngine::first_look_flag`]) that other
//! readers of the same file can give way to: the waveform's peak pass
//! pauses on it, so that a never-seen file's first screen is not queued
//! behind a pass over the whole file.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::{unbounded, Receiver, Sender};
use rayon::prelude::*;

use super::scale::{paint, Look, RowMap};
use super::*;

/// Columns per tile.
pub const TILE_COLS: usize = 256;
/// The default cache bound: 256 MiB of levels (f32), whatever the file's length.
pub const DEFAULT_BUDGET_BYTES: usize = 256 << 20;
/// Windows averaged per column at most in the window: a long file's first
/// screen reads a few windows per column instead of every sample.
pub const VIEW_MAX_FFTS: usize = 4;
/// The coarsest level (2^40 frames per column: longer than any file).
pub const MAX_LEVEL: u32 = 40;
/// Threads computing tiles (at least; more on machines with more cores):
/// a tile of a long file is scattered 8 KiB reads, and from a cold disk a
/// thread mostly waits for one, so more reads in flight finish sooner.
pub const IO_THREADS: usize = 16;
/// Parts a zoomed-out tile (scattered reads) is cut into, computed side by
/// side: a screen of four or five tiles keeps all [`IO_THREADS`] reading.
pub const SPARSE_PARTS: usize = 4;

/// One tile: which settings and channel, which zoom level, where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileKey {
    /// FFT size and window.
    pub settings: Settings,
    /// The channel shown (or the mix).
    pub pick: ChannelPick,
    /// 2^level frames per column.
    pub level: u32,
    /// Tile number from the start of the file.
    pub index: u64,
}

impl TileKey {
    /// Frames per column.
    pub fn hop(&self) -> u64 {
        1u64 << self.level.min(MAX_LEVEL)
    }

    /// Frames per tile.
    pub fn span(&self) -> u64 {
        self.hop() * TILE_COLS as u64
    }

    /// True when a column spans at least two FFTs: the tile is then sent
    /// coarse (one window per column) before it is sent complete.
    pub fn has_coarse_pass(&self) -> bool {
        self.hop() >= 2 * self.settings.fft_size as u64
    }

    /// The first frame of the tile.
    pub fn start(&self) -> u64 {
        self.index.saturating_mul(self.span())
    }
}

/// The level whose columns are no wider than `frames_per_column` (at least 0).
pub fn level_for(frames_per_column: f64) -> u32 {
    if !(frames_per_column.is_finite() && frames_per_column >= 2.0) {
        return 0;
    }
    (frames_per_column.log2().floor() as u32).min(MAX_LEVEL)
}

/// The keys of the tiles covering frames `start..end` at `level`, from the
/// middle of the span outwards (the middle of the screen comes first).
pub fn tiles_covering(settings: Settings, pick: ChannelPick, level: u32, (start, end): (u64, u64)) -> Vec<TileKey> {
    let key = |index| TileKey { settings, pick, level, index };
    let span = key(0).span();
    let (a, b) = (start / span, end.max(start + 1).div_ceil(span));
    let mid = (a + b) / 2;
    let mut keys: Vec<TileKey> = (a..b).map(key).collect();
    keys.sort_by_key(|k| k.index.abs_diff(mid));
    keys
}

/// A computed tile: [`TILE_COLS`] columns of `bins` levels in dB.
#[derive(Debug, Clone, PartialEq)]
pub struct TileData {
    /// Which tile.
    pub key: TileKey,
    /// Levels, column after column.
    pub levels: Vec<f32>,
    /// A first look (one window per column); the full tile follows.
    pub coarse: bool,
}

impl TileData {
    /// The level at `frame` (inside the tile) and `freq` Hz of a source at `sample_rate`.
    pub fn level_at(&self, frame: u64, freq: f64, sample_rate: u32) -> Option<f32> {
        let col = frame.checked_sub(self.key.start())? / self.key.hop();
        let bins = self.key.settings.bins();
        let bin = (freq / (sample_rate as f64 / self.key.settings.fft_size as f64)).round();
        if !(0.0..bins as f64).contains(&bin) || col >= TILE_COLS as u64 {
            return None;
        }
        self.levels.get(col as usize * bins + bin as usize).copied()
    }

    /// The loudest tone at `frame` between `lo_hz` and `hi_hz`, refined by
    /// parabolic interpolation ([`super::spectrum::parabolic_peak`]): its
    /// frequency and level. What the cursor readout shows.
    pub fn peak_near(&self, frame: u64, lo_hz: f64, hi_hz: f64, sample_rate: u32) -> Option<(f64, f64)> {
        let col = (frame.checked_sub(self.key.start())? / self.key.hop()) as usize;
        let bins = self.key.settings.bins();
        let column = self.levels.get(col * bins..(col + 1) * bins)?;
        let bin_hz = sample_rate as f64 / self.key.settings.fft_size as f64;
        let a = ((lo_hz / bin_hz).floor().max(0.0) as usize).min(bins - 1);
        let b = ((hi_hz / bin_hz).ceil().max(0.0) as usize).clamp(a, bins - 1);
        let (k, _) = column[a..=b].iter().enumerate().max_by(|x, y| x.1.total_cmp(y.1))?;
        let (d, level) = super::spectrum::parabolic_peak(column, a + k);
        Some(((a + k) as f64 + d) * bin_hz).map(|f| (f, level))
    }

    fn bytes(&self) -> usize {
        self.levels.len() * 4
    }
}

/// A tile painted for a look: `TILE_COLS` × `look.rows` RGBA pixels (top row
/// = highest frequency), with its levels for the cursor readout.
#[derive(Debug, Clone)]
pub struct TileImage {
    /// The look it was painted for (the id given with the request).
    pub look_id: u64,
    /// Width in pixels ([`TILE_COLS`]).
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// RGBA, row after row.
    pub rgba: Vec<u8>,
    /// The levels behind it.
    pub data: Arc<TileData>,
}

/// What the engine sends back.
#[derive(Debug, Clone)]
pub enum TileEvent {
    /// A tile is ready.
    Ready(TileImage),
    /// A tile could not be computed (the file could not be read).
    Failed(String),
}

/// What the caller wants now: tiles in priority order, painted with `look`.
#[derive(Debug, Clone)]
pub struct TileRequest {
    /// Tiles, most wanted first.
    pub tiles: Vec<TileKey>,
    /// How to paint them.
    pub look: Look,
    /// Names the look; returned with each image.
    pub look_id: u64,
}

/// The background tile computer of one source; see the module docs.
pub struct TileEngine {
    requests: Sender<TileRequest>,
    events: Receiver<TileEvent>,
    stop: Arc<AtomicBool>,
    cached_bytes: Arc<AtomicUsize>,
    computed: Arc<AtomicUsize>,
    first_look: Arc<AtomicBool>,
}

impl Drop for TileEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl TileEngine {
    /// Starts the engine's thread for `source`, keeping at most
    /// `budget_bytes` of levels; `wake` is called whenever tiles are ready.
    pub fn start(source: AudioSource, budget_bytes: usize, wake: impl Fn() + Send + 'static) -> TileEngine {
        Self::spawn(Ok(source), budget_bytes, wake)
    }

    /// Like [`TileEngine::start`], but the file is opened on the engine's
    /// thread (so the caller never touches it); a file that cannot be read
    /// gives one [`TileEvent::Failed`].
    pub fn open(path: &Path, budget_bytes: usize, wake: impl Fn() + Send + 'static) -> TileEngine {
        Self::spawn(Err(path.to_path_buf()), budget_bytes, wake)
    }

    fn spawn(
        source: Result<AudioSource, PathBuf>,
        budget_bytes: usize,
        wake: impl Fn() + Send + 'static,
    ) -> TileEngine {
        let (req_tx, req_rx) = unbounded::<TileRequest>();
        let (ev_tx, ev_rx) = unbounded();
        let stop = Arc::new(AtomicBool::new(false));
        let cached_bytes = Arc::new(AtomicUsize::new(0));
        let computed = Arc::new(AtomicUsize::new(0));
        let first_look = Arc::new(AtomicBool::new(false));
        let worker = {
            let (stop, cached_bytes, computed, events, first_look) =
                (stop.clone(), cached_bytes.clone(), computed.clone(), ev_tx.clone(), first_look.clone());
            move |source| Worker {
                source,
                cache: Cache { budget: budget_bytes, tiles: HashMap::new(), clock: 0, bytes: 0 },
                pool: Mutex::new(Vec::new()),
                threads: rayon::ThreadPoolBuilder::new()
                    .num_threads(IO_THREADS.max(rayon::current_num_threads()))
                    .thread_name(|i| format!("coremusic-spectrogram-{i}"))
                    .build()
                    .ok(),
                stop,
                cached_bytes,
                computed,
                events,
                first_look: FlagDown(first_look),
            }
        };
        let events = ev_tx.clone();
        let spawned = std::thread::Builder::new().name("coremusic-spectrogram".into()).spawn(move || {
            match source.or_else(|path| AudioSource::open(&path)) {
                Ok(source) => worker(source).run(req_rx, &wake),
                Err(e) => {
                    let _ = events.send(TileEvent::Failed(e.to_string()));
                    wake();
                }
            }
        });
        if let Err(e) = spawned {
            let _ = ev_tx.send(TileEvent::Failed(format!("could not start the spectrogram thread: {e}")));
        }
        TileEngine { requests: req_tx, events: ev_rx, stop, cached_bytes, computed, first_look }
    }

    /// Up while the engine reads the first look (coarse, or complete where
    /// there is no coarse pass) of the tiles last asked for; down otherwise.
    /// Give it to [`crate::analysis::peaks::BuildProgress::giving_way_to`].
    pub fn first_look_flag(&self) -> Arc<AtomicBool> {
        self.first_look.clone()
    }

    /// Asks for tiles (never blocks); replaces the previous request.
    pub fn request(&self, request: TileRequest) {
        let _ = self.requests.send(request);
    }

    /// Tiles finished since the last call (never blocks).
    pub fn finished(&self) -> Vec<TileEvent> {
        self.events.try_iter().collect()
    }

    /// Blocks until an event arrives (benches and tests; never on the UI thread).
    pub fn wait(&self) -> Option<TileEvent> {
        self.events.recv().ok()
    }

    /// Bytes of levels held in the cache now.
    pub fn cached_bytes(&self) -> usize {
        self.cached_bytes.load(Ordering::Relaxed)
    }

    /// Tiles computed so far (not counting those served from the cache).
    pub fn computed(&self) -> usize {
        self.computed.load(Ordering::Relaxed)
    }
}

struct Cache {
    budget: usize,
    tiles: HashMap<TileKey, (Arc<TileData>, u64)>,
    clock: u64,
    bytes: usize,
}

impl Cache {
    fn get(&mut self, key: &TileKey) -> Option<Arc<TileData>> {
        self.clock += 1;
        let clock = self.clock;
        self.tiles.get_mut(key).map(|(d, used)| {
            *used = clock;
            d.clone()
        })
    }

    fn insert(&mut self, data: Arc<TileData>) {
        self.clock += 1;
        self.bytes += data.bytes();
        if let Some((old, _)) = self.tiles.insert(data.key, (data, self.clock)) {
            self.bytes -= old.bytes();
        }
        // Least recently used out first; the tile just added always stays.
        while self.bytes > self.budget && self.tiles.len() > 1 {
            let Some(oldest) = self.tiles.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| *k) else { break };
            if let Some((d, _)) = self.tiles.remove(&oldest) {
                self.bytes -= d.bytes();
            }
        }
    }
}

/// The first-look flag, put down when the worker ends however it ends.
struct FlagDown(Arc<AtomicBool>);

impl FlagDown {
    fn set(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
    }
}

impl Drop for FlagDown {
    fn drop(&mut self) {
        self.set(false);
    }
}

struct Worker {
    source: AudioSource,
    cache: Cache,
    /// Readers and analysers kept between tiles (one per thread at work).
    pool: Mutex<Vec<(MonoReader, Option<Analyzer>)>>,
    /// The threads computing tiles ([`IO_THREADS`]); `None` when they could
    /// not be started (the global pool does the work).
    threads: Option<rayon::ThreadPool>,
    stop: Arc<AtomicBool>,
    cached_bytes: Arc<AtomicUsize>,
    computed: Arc<AtomicUsize>,
    events: Sender<TileEvent>,
    first_look: FlagDown,
}

impl Worker {
    fn run(mut self, requests: Receiver<TileRequest>, wake: &dyn Fn()) {
        let mut next: Option<TileRequest> = None;
        let mut maps: HashMap<(usize, u64), Arc<RowMap>> = HashMap::new();
        let threads = self.threads.as_ref().map_or_else(rayon::current_num_threads, |p| p.current_num_threads()).max(1);
        loop {
            let req = match next.take() {
                Some(r) => r,
                None => match requests.recv() {
                    Ok(r) => r,
                    Err(_) => return,
                },
            };
            let req = requests.try_iter().last().unwrap_or(req);
            let (mut coarse, mut missing) = (Vec::new(), Vec::new());
            for key in &req.tiles {
                match self.cache.get(key) {
                    Some(d) if !d.coarse => self.send(self.painted(d, &req, &mut maps)),
                    Some(d) => {
                        self.send(self.painted(d, &req, &mut maps));
                        missing.push(*key);
                    }
                    None if key.has_coarse_pass() => {
                        coarse.push((*key, true));
                        missing.push(*key);
                    }
                    None => missing.push(*key),
                }
            }
            wake();
            // A coarse look of every visible tile first, then the full tiles,
            // never in one batch: a batch is sent when all of it is done, and
            // a full tile reads four times what a coarse one does.
            let first_looks = if coarse.is_empty() { missing.len() } else { coarse.len() };
            let full: Vec<(TileKey, bool)> = missing.into_iter().map(|k| (k, false)).collect();
            let batches: Vec<&[(TileKey, bool)]> = coarse.chunks(threads).chain(full.chunks(threads)).collect();
            self.first_look.set(first_looks > 0);
            let mut looked = 0;
            for batch in batches {
                if self.stop.load(Ordering::Relaxed) {
                    return;
                }
                if let Some(newer) = requests.try_iter().last() {
                    next = Some(newer);
                    break;
                }
                let each = || batch.par_iter().map(|&(k, coarse)| self.compute(k, coarse)).collect::<Vec<_>>();
                let results = match &self.threads {
                    Some(pool) => pool.install(each),
                    None => each(),
                };
                for r in results {
                    match r {
                        Ok(d) => {
                            let d = Arc::new(d);
                            self.cache.insert(d.clone());
                            if !d.coarse {
                                self.computed.fetch_add(1, Ordering::Relaxed);
                            }
                            self.send(self.painted(d, &req, &mut maps));
                        }
                        Err(SpectrogramError::Cancelled) => return,
                        Err(e) => {
                            let _ = self.events.send(TileEvent::Failed(e.to_string()));
                        }
                    }
                }
                self.cached_bytes.store(self.cache.bytes, Ordering::Relaxed);
                looked += batch.len();
                if looked >= first_looks {
                    self.first_look.set(false);
                }
                wake();
            }
            self.first_look.set(false);
        }
    }

    fn send(&self, image: TileImage) {
        let _ = self.events.send(TileEvent::Ready(image));
    }

    fn painted(
        &self,
        data: Arc<TileData>,
        req: &TileRequest,
        maps: &mut HashMap<(usize, u64), Arc<RowMap>>,
    ) -> TileImage {
        let bins = data.key.settings.bins();
        let map = maps
            .entry((bins, req.look_id))
            .or_insert_with(|| {
                Arc::new(RowMap::new(req.look.scale, req.look.rows, bins, self.source.sample_rate() as f64 / 2.0))
            })
            .clone();
        let mut rgba = Vec::new();
        paint(&data.levels, bins, &map, &req.look, &mut rgba);
        TileImage { look_id: req.look_id, width: TILE_COLS, height: req.look.rows, rgba, data }
    }

    /// Computes a tile; a zoomed-out one (scattered reads) in
    /// [`SPARSE_PARTS`] parts side by side, so that more reads are in flight.
    fn compute(&self, key: TileKey, coarse: bool) -> Result<TileData, SpectrogramError> {
        let bins = key.settings.bins();
        let mut levels = vec![SILENCE_DB; TILE_COLS * bins];
        let parts = if key.has_coarse_pass() { SPARSE_PARTS } else { 1 };
        let per = TILE_COLS.div_ceil(parts);
        let windows = Windows::Near(if coarse { 1 } else { VIEW_MAX_FFTS });
        levels
            .par_chunks_mut(per * bins)
            .enumerate()
            .map(|(i, out)| self.compute_part(key, i * per, windows, out))
            .collect::<Result<Vec<()>, _>>()?;
        Ok(TileData { key, levels, coarse })
    }

    /// The columns of `key` from `first_col` on into `out` (whole columns).
    fn compute_part(
        &self,
        key: TileKey,
        first_col: usize,
        windows: Windows,
        out: &mut [f32],
    ) -> Result<(), SpectrogramError> {
        let cols = (out.len() / key.settings.bins()) as u64;
        let first = key.start() + first_col as u64 * key.hop();
        // The reader nearest below the part, if any: a stream that is sought
        // by walking its frames (MPEG audio) then walks on from there
        // instead of from its start.
        let taken = self.pool.lock().ok().and_then(|mut p| {
            let below = (0..p.len()).filter(|&i| p[i].0.position() <= first).max_by_key(|&i| p[i].0.position());
            match below {
                Some(i) => Some(p.swap_remove(i)),
                None => p.pop(),
            }
        });
        let (mut reader, analyzer) = match taken {
            Some(t) => t,
            None => (self.source.reader()?, None),
        };
        let mut analyzer = match analyzer {
            Some(a) if a.settings() == key.settings => a,
            _ => Analyzer::new(key.settings)?,
        };
        let bounds: Vec<u64> = (0..=cols).map(|c| first + c * key.hop()).collect();
        let r = compute_columns(&mut reader, key.pick, &mut analyzer, &bounds, windows, &self.stop, out);
        if let Ok(mut p) = self.pool.lock() {
            p.push((reader, Some(analyzer)));
        }
        r
    }
}
