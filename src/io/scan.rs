//! Finding audio files: the extensions CoreMusic opens and a recursive,
//! sorted walk of folders. Used by the window (dropped folders) and by batch
//! conversion (folder inputs).

use std::path::{Path, PathBuf};

/// File extensions taken from folders (files named one by one are always tried).
pub const AUDIO_EXTENSIONS: [&str; 20] = [
    "wav", "wave", "w64", "rf64", "bwf", "aif", "aiff", "aifc", "caf", "flac", "m4a", "m4b", "mp4", "mp3", "mp2",
    "aac", "ogg", "oga", "opus", "mka",
];

/// True when the file name has an audio extension.
pub fn is_audio_name(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
}

/// Audio files under `dir`, recursively, sorted by path. Folders that cannot
/// be listed are reported through `problem` and skipped; hidden entries
/// (names starting with `.`) are skipped.
pub fn audio_files_in(dir: &Path, out: &mut Vec<PathBuf>, problem: &mut dyn FnMut(String)) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return problem(format!("{}: {e}", dir.display())),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            audio_files_in(&p, out, problem);
        } else if is_audio_name(&p) {
            out.push(p);
        }
    }
}
