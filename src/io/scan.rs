//! Finding audio files: the extensions CoreMusic opens and a recursive,
//! sorted walk of folders. Used by the window (dropped folders) and by batch
//! conversion (folder inputs).
//!
//! The walk follows links to folders (a user's library is often assembled
//! from links) but enters each folder once: folders are known by their file
//! identity (device and inode on Unix, the canonical path elsewhere), so a
//! link loop (`ln -s . a`) is reported and not followed, and the depth is
//! bounded by [`MAX_DEPTH`] whatever the file system does.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// File extensions taken from folders (files named one by one are always tried).
pub const AUDIO_EXTENSIONS: [&str; 20] = [
    "wav", "wave", "w64", "rf64", "bwf", "aif", "aiff", "aifc", "caf", "flac", "m4a", "m4b", "mp4", "mp3", "mp2",
    "aac", "ogg", "oga", "opus", "mka",
];

/// Folder levels searched below a walk's root; deeper folders are reported
/// and skipped.
pub const MAX_DEPTH: usize = 64;

/// True when the file name has an audio extension.
pub fn is_audio_name(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
}

/// Which file a path leads to (through links): the device and inode on
/// Unix, the canonical path elsewhere. Two paths with equal ids name one
/// file, whatever their spelling, case or links.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileId(Id);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Id {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg_attr(unix, allow(dead_code))]
    Path(PathBuf),
}

impl FileId {
    /// The id of the file or folder `path` leads to (links followed).
    pub fn of(path: &Path) -> std::io::Result<FileId> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let m = std::fs::metadata(path)?;
            Ok(FileId(Id::Inode(m.dev(), m.ino())))
        }
        #[cfg(not(unix))]
        {
            Ok(FileId(Id::Path(path.canonicalize()?)))
        }
    }
}

/// Something the walk could not search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkProblem {
    /// A folder that could not be listed.
    Unlistable {
        /// The folder.
        path: PathBuf,
        /// Why.
        error: String,
    },
    /// A link to a folder already searched in this walk (a link loop such
    /// as `ln -s . a`, or a second link to one folder): not searched again.
    Loop {
        /// The link (or folder) met again.
        path: PathBuf,
        /// Where that folder was first searched.
        first: PathBuf,
    },
    /// A folder deeper than [`MAX_DEPTH`] levels: not searched.
    TooDeep {
        /// The folder.
        path: PathBuf,
    },
}

impl WalkProblem {
    /// True when audio files may have been missed (a loop loses nothing:
    /// its files were found through the first path).
    pub fn loses_files(&self) -> bool {
        !matches!(self, WalkProblem::Loop { .. })
    }
}

impl fmt::Display for WalkProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalkProblem::Unlistable { path, error } => write!(f, "{}: {error}", path.display()),
            WalkProblem::Loop { path, first } => write!(
                f,
                "{}: leads to {}, a folder already searched (a link loop or a second link to it); not searched again",
                path.display(),
                first.display()
            ),
            WalkProblem::TooDeep { path } => {
                write!(f, "{}: more than {MAX_DEPTH} folders deep; not searched", path.display())
            }
        }
    }
}

/// Audio files under `dir`, recursively, sorted by path. Folders that cannot
/// be listed, link loops and folders too deep are reported through `problem`
/// and skipped; hidden entries (names starting with `.`) are skipped.
pub fn audio_files_in(dir: &Path, out: &mut Vec<PathBuf>, problem: &mut dyn FnMut(String)) {
    walk_audio_files(dir, None, out, &mut |p| problem(p.to_string()));
}

/// [`audio_files_in`] with structured problems, and a folder not to enter:
/// `skip` (e.g. a batch's output folder inside the input folder, whose files
/// are outputs, not inputs). `skip` is compared by identity and never stops
/// the walk's own root.
pub fn walk_audio_files(
    dir: &Path,
    skip: Option<&FileId>,
    out: &mut Vec<PathBuf>,
    problem: &mut dyn FnMut(WalkProblem),
) {
    let mut seen = HashMap::new();
    match FileId::of(dir) {
        Ok(id) => {
            seen.insert(id, dir.to_path_buf());
        }
        Err(e) => return problem(WalkProblem::Unlistable { path: dir.to_path_buf(), error: e.to_string() }),
    }
    let mut walk = Walk { seen, skip, out, problem };
    walk.folder(dir, 0);
}

struct Walk<'a> {
    seen: HashMap<FileId, PathBuf>,
    skip: Option<&'a FileId>,
    out: &'a mut Vec<PathBuf>,
    problem: &'a mut dyn FnMut(WalkProblem),
}

impl Walk<'_> {
    fn folder(&mut self, dir: &Path, depth: usize) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => return (self.problem)(WalkProblem::Unlistable { path: dir.to_path_buf(), error: e.to_string() }),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
            .collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                let Ok(id) = FileId::of(&p) else {
                    // Vanished or unreadable since it was listed.
                    (self.problem)(WalkProblem::Unlistable { path: p.clone(), error: "cannot be read".into() });
                    continue;
                };
                if self.skip == Some(&id) {
                    continue;
                }
                if let Some(first) = self.seen.get(&id) {
                    (self.problem)(WalkProblem::Loop { path: p.clone(), first: first.clone() });
                    continue;
                }
                if depth + 1 > MAX_DEPTH {
                    (self.problem)(WalkProblem::TooDeep { path: p });
                    continue;
                }
                self.seen.insert(id, p.clone());
                self.folder(&p, depth + 1);
            } else if is_audio_name(&p) {
                self.out.push(p);
            }
        }
    }
}
