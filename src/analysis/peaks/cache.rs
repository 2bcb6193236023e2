//! The disk cache: one file per source, named by a hash of its path, size
//! and modification time, checked and versioned when read back. With a size
//! cap the least recently used files (by modification time, refreshed on
//! every hit) are removed after each save until the folder fits.

use std::time::SystemTime;

use super::*;

/// The cache files' extension; nothing else in the folder is ever removed.
const EXT: &str = "peaks";

/// A folder of cached pyramids, one file per source named by a hash of its
/// path, size and modification time, optionally capped in size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeakCache {
    dir: PathBuf,
    cap_bytes: Option<u64>,
}

/// How many cache files there are and how many bytes they take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheUsage {
    /// Cache files.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
}

/// What identifies a source's content well enough to reuse its peaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SourceKey {
    pub(super) path: Vec<u8>,
    pub(super) size: u64,
    pub(super) mtime_ns: u64,
}

impl PeakCache {
    /// A cache in `dir` (created when first written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        PeakCache { dir: dir.into(), cap_bytes: None }
    }

    /// The same cache, kept under `bytes` (least recently used files go
    /// first); `None` lets it grow without a limit.
    pub fn with_cap(mut self, bytes: Option<u64>) -> Self {
        self.cap_bytes = bytes;
        self
    }

    /// The size cap, if any.
    pub fn cap(&self) -> Option<u64> {
        self.cap_bytes
    }

    /// The cache files and their total size (an absent folder is an empty cache).
    pub fn usage(&self) -> std::io::Result<CacheUsage> {
        let files = self.files()?;
        Ok(CacheUsage { files: files.len(), bytes: files.iter().map(|f| f.1).sum() })
    }

    /// Removes the least recently used cache files until the folder fits the
    /// cap, never `keep` (the file just written). Returns what was removed.
    pub fn trim(&self, keep: Option<&Path>) -> std::io::Result<CacheUsage> {
        let Some(cap) = self.cap_bytes else { return Ok(CacheUsage::default()) };
        let mut files = self.files()?;
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        // Oldest first; ties broken by name so the order is stable.
        files.sort_by(|a, b| a.2.cmp(&b.2).then_with(|| a.0.cmp(&b.0)));
        let mut removed = CacheUsage::default();
        for (path, len, _) in files {
            if total <= cap {
                break;
            }
            if keep == Some(path.as_path()) {
                continue;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    total -= len;
                    removed.files += 1;
                    removed.bytes += len;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => total -= len,
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }

    /// Removes every cache file (other files in the folder stay). Returns what was removed.
    pub fn clear(&self) -> std::io::Result<CacheUsage> {
        let mut removed = CacheUsage::default();
        for (path, len, _) in self.files()? {
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    removed.files += 1;
                    removed.bytes += len;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }

    /// Every `*.peaks` file with its size and modification time.
    fn files(&self) -> std::io::Result<Vec<(PathBuf, u64, SystemTime)>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some(EXT) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_file() {
                out.push((path, meta.len(), meta.modified().unwrap_or(UNIX_EPOCH)));
            }
        }
        Ok(out)
    }

    /// `$XDG_CACHE_HOME/coremusic/peaks`, else `~/Library/Caches/coremusic/peaks`
    /// on macOS and `~/.cache/coremusic/peaks` elsewhere (the system temporary
    /// folder when there is no home).
    pub fn default_location() -> Self {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| {
                    if cfg!(target_os = "macos") {
                        PathBuf::from(h).join("Library/Caches")
                    } else {
                        PathBuf::from(h).join(".cache")
                    }
                })
            })
            .unwrap_or_else(std::env::temp_dir);
        PeakCache::new(base.join("coremusic").join("peaks"))
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cache file for `path` as it is now (its size and mtime are part of the name).
    pub fn file_for(&self, path: &Path) -> std::io::Result<PathBuf> {
        let key = source_key(path)?;
        let mut h = Hasher::new();
        h.write(&key.path);
        h.write(&key.size.to_le_bytes());
        h.write(&key.mtime_ns.to_le_bytes());
        Ok(self.dir.join(format!("{:016x}.{EXT}", h.finish())))
    }

    /// The cached pyramid of `path` when a cache file matches it and checks
    /// out; otherwise builds it ([`PeakPyramid::build`]) and saves it. Cache
    /// problems never fail the call; they show in the [`CacheOutcome`].
    pub fn load_or_build(
        &self,
        path: &Path,
        progress: &BuildProgress,
        cancel: &AtomicBool,
    ) -> Result<(PeakPyramid, CacheOutcome), PeakError> {
        let key = source_key(path).map_err(|e| FileError::new(path, e))?;
        let file = self.file_for(path).map_err(|e| FileError::new(path, e))?;
        let stale = match std::fs::read(&file) {
            Ok(bytes) => match decode(&bytes, &key) {
                Ok(p) => {
                    // Used now: the last to go when the cap trims the folder.
                    let _ = std::fs::File::options()
                        .write(true)
                        .open(&file)
                        .and_then(|f| f.set_modified(SystemTime::now()));
                    progress.start(p.frames);
                    progress.add(p.frames);
                    return Ok((p, CacheOutcome::Hit));
                }
                Err(why) => Some(why),
            },
            Err(_) => None,
        };
        let pyramid = PeakPyramid::build(path, progress, cancel)?;
        let outcome = match self.save(&file, &pyramid, &key) {
            Err(e) => CacheOutcome::NotSaved(format!("{}: {e}", file.display())),
            Ok(()) => match stale {
                Some(why) => CacheOutcome::Rebuilt(why),
                None => CacheOutcome::Built,
            },
        };
        Ok((pyramid, outcome))
    }

    pub(super) fn save(&self, file: &Path, p: &PeakPyramid, key: &SourceKey) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let bytes = encode(p, key);
        // Written whole to a temporary name and renamed, so a reader never sees half a file.
        let tmp = file.with_extension(format!("tmp{}", std::process::id()));
        let written = std::fs::File::create(&tmp).and_then(|mut f| f.write_all(&bytes));
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, file)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        // Over the cap: older files make room (a failure here does not undo the save).
        let _ = self.trim(Some(file));
        Ok(())
    }
}

pub(super) fn source_key(path: &Path) -> std::io::Result<SourceKey> {
    let abs = std::fs::canonicalize(path)?;
    let meta = std::fs::metadata(&abs)?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos().min(u64::MAX as u128) as u64);
    Ok(SourceKey { path: abs.as_os_str().as_encoded_bytes().to_vec(), size: meta.len(), mtime_ns })
}

/// A small, stable 64-bit hash (FNV-1a over 8-byte words), for names and checksums.
pub(super) struct Hasher(u64);

impl Hasher {
    pub(super) fn new() -> Self {
        Hasher(0xcbf2_9ce4_8422_2325)
    }

    pub(super) fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            self.0 = (self.0 ^ u64::from_le_bytes(a)).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
        }
        for &b in words.remainder() {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 ^= bytes.len() as u64;
    }

    pub(super) fn finish(&self) -> u64 {
        self.0
    }
}

/// The cache file: magic, version, the source key, the stream's shape, each
/// level's buckets as little-endian f32 (min, max, mean square), and a checksum of all that.
pub(super) fn encode(p: &PeakPyramid, key: &SourceKey) -> Vec<u8> {
    let total: usize = p.levels.iter().map(|l| l.peaks.len() * 12 + 8).sum();
    let mut v = Vec::with_capacity(64 + key.path.len() + total + 8);
    v.extend_from_slice(MAGIC);
    v.extend_from_slice(&VERSION.to_le_bytes());
    v.extend_from_slice(&(key.path.len() as u32).to_le_bytes());
    v.extend_from_slice(&key.path);
    v.extend_from_slice(&key.size.to_le_bytes());
    v.extend_from_slice(&key.mtime_ns.to_le_bytes());
    v.extend_from_slice(&(p.channels as u32).to_le_bytes());
    v.extend_from_slice(&p.sample_rate.to_le_bytes());
    v.extend_from_slice(&p.frames.to_le_bytes());
    v.extend_from_slice(&(p.levels.len() as u32).to_le_bytes());
    for l in &p.levels {
        v.extend_from_slice(&l.frames_per_bucket.to_le_bytes());
        for q in &l.peaks {
            v.extend_from_slice(&q.min.to_le_bytes());
            v.extend_from_slice(&q.max.to_le_bytes());
            v.extend_from_slice(&q.mean_square.to_le_bytes());
        }
    }
    let mut h = Hasher::new();
    h.write(&v);
    v.extend_from_slice(&h.finish().to_le_bytes());
    v
}

/// Reads a cache file, checking everything: a reason when it is not the
/// pyramid of `key` as it is now.
pub(super) fn decode(bytes: &[u8], key: &SourceKey) -> Result<PeakPyramid, String> {
    let (body, sum) = bytes.split_at_checked(bytes.len().wrapping_sub(8)).ok_or("the cache file is truncated")?;
    let mut h = Hasher::new();
    h.write(body);
    if sum != h.finish().to_le_bytes() {
        return Err("the cache file's checksum does not match".into());
    }
    let mut r = body;
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic).map_err(|_| "the cache file is truncated")?;
    if &magic != MAGIC {
        return Err("not a CoreMusic peaks file".into());
    }
    let version = read_u32(&mut r)?;
    if version != VERSION {
        return Err(format!("cache format version {version}, this build reads {VERSION}"));
    }
    let path_len = read_u32(&mut r)? as usize;
    let (path, rest) = r.split_at_checked(path_len).ok_or("the cache file is truncated")?;
    r = rest;
    let size = read_u64(&mut r)?;
    let mtime_ns = read_u64(&mut r)?;
    if path != key.path.as_slice() || size != key.size || mtime_ns != key.mtime_ns {
        return Err("the cache is of another file, or the file has changed".into());
    }
    let channels = read_u32(&mut r)? as usize;
    let sample_rate = read_u32(&mut r)?;
    let frames = read_u64(&mut r)?;
    let level_count = read_u32(&mut r)? as usize;
    if channels == 0 || channels > 1024 || level_count == 0 || level_count > 64 {
        return Err("the cache file's header is implausible".into());
    }
    let mut levels = Vec::with_capacity(level_count);
    for i in 0..level_count {
        let fpb = read_u64(&mut r)?;
        let expected_fpb = LEVEL_FACTOR.checked_pow(i as u32).and_then(|f| f.checked_mul(BASE_FRAMES));
        if Some(fpb) != expected_fpb {
            return Err(format!("level {i} has {fpb} frames per bucket"));
        }
        let count = usize::try_from(bucket_count(frames, fpb).max(1))
            .ok()
            .and_then(|b| b.checked_mul(channels))
            .ok_or("the cache file's header is implausible")?;
        let (data, rest) = count
            .checked_mul(12)
            .and_then(|n| r.split_at_checked(n))
            .ok_or("the cache file is shorter than its header says")?;
        r = rest;
        let mut peaks = Vec::with_capacity(count);
        for c in data.chunks_exact(12) {
            let f = |i: usize| f32::from_le_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
            let q = Peak { min: f(0), max: f(4), mean_square: f(8) };
            if !(q.min.is_finite() && q.max.is_finite() && q.mean_square.is_finite()) {
                return Err(format!("level {i} holds a value that is not a number"));
            }
            peaks.push(q);
        }
        levels.push(Level { frames_per_bucket: fpb, peaks });
    }
    if !r.is_empty() {
        return Err("the cache file has bytes after its last level".into());
    }
    let last_buckets = levels.last().map_or(0, |l| l.peaks.len() / channels);
    if last_buckets > 1 {
        return Err("the cache file stops before its coarsest level".into());
    }
    Ok(PeakPyramid { channels, sample_rate, frames, levels })
}

pub(super) fn read_u32(r: &mut &[u8]) -> Result<u32, String> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b).map_err(|_| "the cache file is truncated")?;
    Ok(u32::from_le_bytes(b))
}

pub(super) fn read_u64(r: &mut &[u8]) -> Result<u64, String> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b).map_err(|_| "the cache file is truncated")?;
    Ok(u64::from_le_bytes(b))
}
