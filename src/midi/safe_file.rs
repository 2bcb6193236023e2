//! Writing a file so that nothing is lost: the bytes go to a temporary file
//! beside the target (`.NAME.coremusic-part-PID`), are synced to disk, and the
//! temporary file is renamed over the target in one step (then the folder is
//! synced on Unix). A full disk, a crash or a kill mid-write leaves the old
//! file as it was. Temporary files left by a process that was killed are
//! found by their PID and removed the next time something is written into
//! the same folder.
//!
//! The names follow the convention of `convert` (`.NAME.coremusic-part-PID`),
//! so one clean-up finds both.

use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What follows `.NAME` in a temporary file's name, before the PID.
pub(crate) const PART_MARK: &str = ".coremusic-part-";

/// File names longer than this (in bytes) are refused by most file systems.
const NAME_MAX: usize = 255;

/// The folder a path is in (`.` for a bare name).
pub(crate) fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// The temporary file for `target`, in the same folder: `.NAME.coremusic-part-PID`,
/// with NAME shortened (on a character boundary) so the whole name stays
/// within 255 bytes.
pub(crate) fn part_path(target: &Path) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    let suffix = format!("{PART_MARK}{}", std::process::id());
    let room = NAME_MAX - 1 - suffix.len();
    let mut cut = name.len().min(room);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    folder_of(target).join(format!(".{}{suffix}", &name[..cut]))
}

/// Whether a process with this id is running (true when it cannot be told).
fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
        if pid <= 0 {
            return false;
        }
        // SAFETY: signal 0 only checks that the process exists; nothing is sent.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// The PID in a temporary file's name (`.NAME.coremusic-part-PID`), if it is one.
fn part_pid(name: &std::ffi::OsStr) -> Option<u32> {
    let name = name.to_str()?;
    if !name.starts_with('.') {
        return None;
    }
    let at = name.rfind(PART_MARK)?;
    let pid = &name[at + PART_MARK.len()..];
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Removes the temporary files in `dir` left by processes that no longer run
/// (a kill, a crash, a power cut); returns their names. Files of running
/// processes (this one included) are left alone, and so is anything that is
/// not a plain file.
pub(crate) fn remove_stale_parts(dir: &Path) -> Vec<OsString> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return removed };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = part_pid(&name) else { continue };
        if pid == me || process_alive(pid) {
            continue;
        }
        if entry.file_type().is_ok_and(|t| t.is_file()) && std::fs::remove_file(entry.path()).is_ok() {
            removed.push(name);
        }
    }
    removed
}

/// A temporary file that is removed when dropped, unless kept.
#[derive(Debug)]
pub(crate) struct PartFile {
    path: PathBuf,
    keep: bool,
}

impl PartFile {
    /// Creates the temporary file for `target` (it must not exist already).
    pub(crate) fn create(target: &Path) -> std::io::Result<(PartFile, File)> {
        let path = part_path(target);
        let file = File::options().write(true).create_new(true).open(&path)?;
        Ok((PartFile { path, keep: false }, file))
    }

    /// Where it is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Renames it to `target`. With `overwrite` an existing target is replaced
    /// in one step; without, the rename fails (`AlreadyExists`) when `target`
    /// exists, checked by the system at the moment of the rename. The folder is
    /// synced afterwards so the new name survives a power cut.
    pub(crate) fn commit(mut self, target: &Path, overwrite: bool) -> std::io::Result<()> {
        if overwrite {
            std::fs::rename(&self.path, target)?;
        } else {
            rename_no_replace(&self.path, target)?;
        }
        self.keep = true;
        sync_dir(folder_of(target));
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Syncs a folder's entries to disk (Unix; nothing elsewhere).
pub(crate) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Renames `from` to `to` unless `to` exists, atomically where the system can
/// (`renameat2(RENAME_NOREPLACE)` on Linux, `renamex_np(RENAME_EXCL)` on macOS,
/// a hard link elsewhere on Unix).
pub(crate) fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| {
            CString::new(p.as_os_str().as_bytes()).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
        };
        let (a, b) = (c(from)?, c(to)?);
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            // SAFETY: two valid NUL-terminated paths, relative to the working directory.
            let r = unsafe {
                libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_NOREPLACE)
            };
            if r == 0 {
                return Ok(());
            }
            let e = std::io::Error::last_os_error();
            // File systems without RENAME_NOREPLACE say EINVAL; ENOSYS on old kernels.
            if !matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
                return Err(e);
            }
        }
        #[cfg(target_os = "macos")]
        {
            // SAFETY: two valid NUL-terminated paths.
            let r = unsafe { libc::renamex_np(a.as_ptr(), b.as_ptr(), libc::RENAME_EXCL) };
            if r == 0 {
                return Ok(());
            }
            let e = std::io::Error::last_os_error();
            if !matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOTSUP)) {
                return Err(e);
            }
        }
        // A hard link fails if `to` exists, atomically; then the old name goes.
        let _ = (a, b);
        std::fs::hard_link(from, to)?;
        let _ = std::fs::remove_file(from);
        Ok(())
    }
    #[cfg(not(unix))]
    {
        if to.exists() {
            return Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists));
        }
        std::fs::rename(from, to)
    }
}

/// Writes `bytes` to `path` without ever leaving a half-written file there:
/// temporary file, sync, rename over `path`, sync of the folder. When `path`
/// is a symbolic link, the file it points to is replaced (the link stays).
/// The permissions of a file replaced are kept. On any error `path` is
/// untouched and the temporary file is gone.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path)?,
        _ => path.to_path_buf(),
    };
    if target.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a folder"));
    }
    remove_stale_parts(folder_of(&target));
    let (part, mut file) = PartFile::create(&target)?;
    file.write_all(bytes)?;
    if let Ok(old) = std::fs::metadata(&target) {
        let _ = file.set_permissions(old.permissions());
    }
    file.sync_all()?;
    drop(file);
    part.commit(&target, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names_stay_short_and_parse_back() {
        let long = "é".repeat(200) + ".mid";
        let p = part_path(&Path::new("/x").join(&long));
        let name = p.file_name().unwrap();
        assert!(name.len() <= 255, "{}", name.len());
        assert_eq!(part_pid(name), Some(std::process::id()));
        assert_eq!(part_pid(std::ffi::OsStr::new(".a.wav.coremusic-part-12x")), None);
        assert_eq!(part_pid(std::ffi::OsStr::new("a.wav.coremusic-part-12")), None);
        assert_eq!(part_pid(std::ffi::OsStr::new(".a.wav.coremusic-part-12")), Some(12));
    }

    #[test]
    fn rename_without_replace_refuses_an_existing_target() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "new").unwrap();
        std::fs::write(&b, "old").unwrap();
        let e = rename_no_replace(&a, &b).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&b).unwrap(), b"old");
        std::fs::remove_file(&b).unwrap();
        rename_no_replace(&a, &b).unwrap();
        assert_eq!(std::fs::read(&b).unwrap(), b"new");
        assert!(!a.exists());
    }
}
