//! Putting outputs in place without losing anything: temporary ("part")
//! files beside the target, renamed into place only when complete and
//! exclusively (an output that appears meanwhile is never replaced unless
//! asked); part files this process has open, so that a second Ctrl-C can
//! remove them before exiting; part files left by a killed process, removed by the
//! next batch into the same folder; and how a folder compares file names
//! (case-sensitive or not), so that two outputs that are one file on the
//! volume are seen as one.
//!
//! Part files are named `.<name>.coremusic-part-<pid>-<n>`: hidden, and
//! never longer than a file name may be (255 bytes), however long `<name>`.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// What every part file's name holds, followed by the writer's process id.
pub const PART_MARKER: &str = ".coremusic-part-";

/// The longest file name most file systems take, in bytes.
pub const MAX_NAME_BYTES: usize = 255;

static PARTS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static NEXT_PART: AtomicU64 = AtomicU64::new(0);

fn parts() -> MutexGuard<'static, Vec<PathBuf>> {
    PARTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The temporary name for `output`, in its folder: `.<name>.coremusic-part-<pid>-<n>`,
/// `<name>` cut (on a character boundary) so the whole stays within
/// [`MAX_NAME_BYTES`].
pub fn part_path(output: &Path) -> PathBuf {
    let dir = folder_of(output);
    let name = output.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    let suffix = format!("{PART_MARKER}{}-{}", std::process::id(), NEXT_PART.fetch_add(1, Ordering::Relaxed));
    let room = MAX_NAME_BYTES.saturating_sub(1 + suffix.len());
    let mut cut = name.len().min(room);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    dir.join(format!(".{}{suffix}", &name[..cut]))
}

/// A temporary output, removed when dropped unless [`PartFile::keep`] was
/// called. While it exists, [`remove_part_files_and_exit`] knows it.
#[derive(Debug)]
pub struct PartFile {
    path: PathBuf,
    kept: bool,
}

impl PartFile {
    /// Creates a new, empty part file for `output` (never an existing file).
    pub fn create(output: &Path) -> io::Result<(PartFile, File)> {
        let path = part_path(output);
        // Created and made known under the lock, so that
        // [`remove_part_files_and_exit`] cannot miss it.
        let mut known = parts();
        match File::options().write(true).create_new(true).open(&path) {
            Ok(f) => {
                known.push(path.clone());
                Ok((PartFile { path, kept: false }, f))
            }
            Err(e) => Err(io::Error::new(e.kind(), format!("cannot create a temporary file beside it: {e}"))),
        }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves it to `output` (see [`place`]); on success it is no longer a
    /// part file, on failure it stays one (and is removed when dropped).
    pub fn place(mut self, output: &Path, overwrite: bool) -> io::Result<()> {
        place(&self.path, output, overwrite)?;
        self.kept = true;
        Ok(())
    }

    /// [`PartFile::place`], then the folder is synced so that the new name
    /// survives a power cut (for documents: sync the file's data first).
    pub fn place_durably(self, output: &Path, overwrite: bool) -> io::Result<()> {
        self.place(output, overwrite)?;
        sync_dir(folder_of(output));
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
        forget(&self.path);
    }
}

fn forget(path: &Path) {
    let mut p = parts();
    if let Some(i) = p.iter().position(|q| q == path) {
        p.swap_remove(i);
    }
}

/// Removes every part file this process has open, then ends the process
/// with `code` (for a second Ctrl-C: an exit that runs no destructors).
/// No new part file can be made in between: the list stays locked until the
/// process is gone. `say` is called with how many were removed, before exit.
pub fn remove_part_files_and_exit(code: i32, say: impl FnOnce(usize)) -> ! {
    let known = parts();
    let removed = known.iter().filter(|path| std::fs::remove_file(path).is_ok()).count();
    say(removed);
    std::process::exit(code)
}

/// The folder a path is in (`.` for a bare name).
pub fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Syncs a folder's entries to disk (Unix; nothing elsewhere).
pub fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Writes `bytes` to `path` without ever leaving a half-written file there:
/// a part file, synced, renamed over `path`, then the folder synced. When
/// `path` is a symbolic link, the file it points to is replaced (the link
/// stays); the permissions of a file replaced are kept. On any error `path`
/// is untouched and the part file is gone. Stale part files of dead
/// processes in that folder are removed first.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path)?,
        _ => path.to_path_buf(),
    };
    if target.is_dir() {
        return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a folder"));
    }
    remove_stale_part_files(folder_of(&target));
    let (part, mut file) = PartFile::create(&target)?;
    file.write_all(bytes)?;
    if let Ok(old) = std::fs::metadata(&target) {
        let _ = file.set_permissions(old.permissions());
    }
    file.sync_all()?;
    drop(file);
    part.place_durably(&target, true)
}

/// Moves `from` to `to`. With `overwrite`, an existing `to` is replaced
/// (atomically); without it, the move is exclusive: if `to` exists, or
/// appears at any moment before the move, it is left alone and the error's
/// kind is [`io::ErrorKind::AlreadyExists`].
pub fn place(from: &Path, to: &Path, overwrite: bool) -> io::Result<()> {
    if overwrite {
        std::fs::rename(from, to)
    } else {
        rename_noreplace(from, to)
    }
}

/// An exclusive rename: `renameat2(RENAME_NOREPLACE)` on Linux,
/// `renamex_np(RENAME_EXCL)` on macOS; where the file system has neither, a
/// hard link (which never replaces) then removing `from`; where it has no
/// hard links either (FAT, exFAT), a check then a rename, the only case in
/// which a file appearing in between could be replaced.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    match native_noreplace(from, to) {
        Some(r) => r,
        None => match std::fs::hard_link(from, to) {
            Ok(()) => {
                // The output is in place; the extra name goes.
                let _ = std::fs::remove_file(from);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
            Err(_) => {
                if std::fs::symlink_metadata(to).is_ok() {
                    return Err(io::Error::new(io::ErrorKind::AlreadyExists, "exists"));
                }
                std::fs::rename(from, to)
            }
        },
    }
}

/// The system's exclusive rename, or None when this system or file system
/// has none (the caller falls back).
#[cfg(target_os = "linux")]
fn native_noreplace(from: &Path, to: &Path) -> Option<io::Result<()>> {
    use std::os::unix::ffi::OsStrExt;
    let from = std::ffi::CString::new(from.as_os_str().as_bytes()).ok()?;
    let to = std::ffi::CString::new(to.as_os_str().as_bytes()).ok()?;
    // The raw system call: glibc's wrapper needs glibc 2.28.
    // SAFETY: both strings are NUL-terminated and outlive the call; the
    // other arguments are plain integers.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if r == 0 {
        return Some(Ok(()));
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL | libc::ENOSYS | libc::ENOTSUP) => None,
        _ => Some(Err(e)),
    }
}

#[cfg(target_os = "macos")]
fn native_noreplace(from: &Path, to: &Path) -> Option<io::Result<()>> {
    use std::os::unix::ffi::OsStrExt;
    let from = std::ffi::CString::new(from.as_os_str().as_bytes()).ok()?;
    let to = std::ffi::CString::new(to.as_os_str().as_bytes()).ok()?;
    // SAFETY: both strings are NUL-terminated and outlive the call.
    let r = unsafe { libc::renamex_np(from.as_ptr(), to.as_ptr(), libc::RENAME_EXCL) };
    if r == 0 {
        return Some(Ok(()));
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL | libc::ENOTSUP) => None,
        _ => Some(Err(e)),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn native_noreplace(_: &Path, _: &Path) -> Option<io::Result<()>> {
    None
}

/// True when process `pid` may still be running (so its part files may be
/// in use). Unknown counts as running.
fn alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else { return true };
        // SAFETY: signal 0 checks for the process and sends nothing.
        if unsafe { libc::kill(pid, 0) } == 0 {
            return true;
        }
        io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// The process id in a part file's name, if it is one.
fn part_owner(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    let rest = &name[name.rfind(PART_MARKER)? + PART_MARKER.len()..];
    let digits: &str = &rest[..rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len())];
    digits.parse().ok()
}

/// Removes the part files in `dir` left by processes that no longer run (a
/// batch killed with `kill -9`, a crash, a power cut). Part files of this
/// process and of running ones are left alone. Returns how many were
/// removed.
pub fn remove_stale_part_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let me = std::process::id();
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = part_owner(&name.to_string_lossy()) else { continue };
        if pid == me || alive(pid) || !e.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        if std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// How a folder compares file names: on APFS and HFS+ (every Mac's default)
/// and on Windows, `Song.wav` and `song.wav` are one file.
///
/// Folding is Unicode lower case. APFS also treats NFC and NFD spellings of
/// one name as one file; that is not modelled (names from one source are
/// almost always in one normalisation form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameCase {
    /// `A` and `a` are different names.
    Sensitive,
    /// `A` and `a` name one file.
    Insensitive,
}

impl NameCase {
    /// How the volume holding `dir` (or, if it does not exist yet, its
    /// nearest existing parent) compares names: asked of the system on
    /// macOS, else found by looking up a name of the folder in the other
    /// case, else by creating (and removing) a small hidden file there; when
    /// none of that can be done, the platform's usual rule.
    pub fn of_folder(dir: &Path) -> NameCase {
        let mut at = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        while !at.is_dir() {
            match at.parent() {
                Some(p) if !p.as_os_str().is_empty() => at = p,
                _ => {
                    at = Path::new(".");
                    break;
                }
            }
        }
        system_rule(at).or_else(|| probe(at)).unwrap_or(if cfg!(any(target_os = "macos", windows)) {
            NameCase::Insensitive
        } else {
            NameCase::Sensitive
        })
    }

    /// The key under which this rule sees `path`: paths with equal keys are
    /// one file.
    pub fn key(self, path: &Path) -> PathBuf {
        match self {
            NameCase::Sensitive => path.to_path_buf(),
            NameCase::Insensitive => PathBuf::from(path.to_string_lossy().to_lowercase()),
        }
    }
}

#[cfg(target_os = "macos")]
fn system_rule(dir: &Path) -> Option<NameCase> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: a NUL-terminated path that outlives the call.
    match unsafe { libc::pathconf(c.as_ptr(), libc::_PC_CASE_SENSITIVE) } {
        1 => Some(NameCase::Sensitive),
        0 => Some(NameCase::Insensitive),
        _ => None,
    }
}

#[cfg(not(target_os = "macos"))]
fn system_rule(_: &Path) -> Option<NameCase> {
    None
}

fn swap_case(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect()
}

/// Looks `dir` up for a name in the other case: same file → insensitive,
/// another file or none → sensitive.
#[cfg(unix)]
fn probe(dir: &Path) -> Option<NameCase> {
    use std::os::unix::fs::MetadataExt;
    let id = |p: &Path| std::fs::symlink_metadata(p).ok().map(|m| (m.dev(), m.ino()));
    let same_under_swap = |name: &str| -> Option<bool> {
        let (a, b) = (dir.join(name), dir.join(swap_case(name)));
        let first = id(&a)?;
        Some(id(&b) == Some(first))
    };
    // A name already there (no writing), among the first few.
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten().take(64) {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.bytes().any(|b| b.is_ascii_alphabetic()) && e.file_name().to_str().is_some() {
                if let Some(same) = same_under_swap(&name) {
                    return Some(if same { NameCase::Insensitive } else { NameCase::Sensitive });
                }
            }
        }
    }
    // An empty folder: a probe file of our own.
    let name = format!(".coremusic-case-{}-aB", std::process::id());
    let path = dir.join(&name);
    File::options().write(true).create_new(true).open(&path).ok()?;
    let same = same_under_swap(&name);
    let _ = std::fs::remove_file(&path);
    same.map(|s| if s { NameCase::Insensitive } else { NameCase::Sensitive })
}

#[cfg(not(unix))]
fn probe(_: &Path) -> Option<NameCase> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names_fit_in_255_bytes_and_cut_on_char_boundaries() {
        for name in ["a.wav".to_string(), "x".repeat(254), "é".repeat(127) + ".wav", "😀".repeat(63) + ".w"] {
            let p = part_path(&Path::new("/tmp").join(&name));
            let n = p.file_name().unwrap().to_str().unwrap();
            assert!(n.len() <= MAX_NAME_BYTES, "{} bytes", n.len());
            assert!(n.starts_with('.') && n.contains(PART_MARKER));
            assert_eq!(part_owner(n), Some(std::process::id()));
        }
        assert_eq!(part_owner(".x.wav.coremusic-part-123"), Some(123));
        assert_eq!(part_owner(".x.wav.coremusic-part-77-4"), Some(77));
        assert_eq!(part_owner("x.wav.coremusic-part-77-4"), None);
        assert_eq!(part_owner(".x.wav"), None);
    }

    #[test]
    fn an_exclusive_rename_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "new").unwrap();
        std::fs::write(&b, "theirs").unwrap();
        let e = rename_noreplace(&a, &b).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&b).unwrap(), b"theirs");
        assert_eq!(std::fs::read(&a).unwrap(), b"new");
        std::fs::remove_file(&b).unwrap();
        rename_noreplace(&a, &b).unwrap();
        assert_eq!(std::fs::read(&b).unwrap(), b"new");
        assert!(!a.exists());
    }

    #[test]
    fn case_keys() {
        let p = Path::new("/out/Ünïcode Song.WAV");
        assert_eq!(NameCase::Insensitive.key(p), NameCase::Insensitive.key(Path::new("/out/ünïcode song.wav")));
        assert_ne!(NameCase::Sensitive.key(p), NameCase::Sensitive.key(Path::new("/out/ünïcode song.wav")));
        // This machine's temporary folder: whatever it is, the probe leaves nothing behind.
        let dir = tempfile::tempdir().unwrap();
        let _ = NameCase::of_folder(dir.path());
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
        let _ = NameCase::of_folder(&dir.path().join("not/yet"));
    }
}
