//! File ▸ Open Recent: the audio and MIDI files opened last, newest first,
//! kept across launches in the app's settings (eframe storage). Entries
//! whose file is gone are dropped at launch, once the jobs thread has looked
//! (`Job::CheckRecent`: no file check on the UI thread), and when one is
//! chosen; Clear Menu empties the list. On macOS each file is also noted
//! in the system's recent documents (the Dock menu, Finder's Recents).

use std::path::{Path, PathBuf};

/// How many files the menu keeps.
pub const MAX_RECENT: usize = 12;

/// The recently opened files, newest first, without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RecentFiles {
    entries: Vec<PathBuf>,
}

impl RecentFiles {
    /// The files, newest first.
    pub fn entries(&self) -> &[PathBuf] {
        &self.entries
    }

    /// True when there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Puts `path` first (moving it up when it is already there); the oldest
    /// falls off past [`MAX_RECENT`]. Returns true when the list changed.
    pub fn note(&mut self, path: &Path) -> bool {
        if self.entries.first().map(PathBuf::as_path) == Some(path) {
            return false;
        }
        self.entries.retain(|p| p != path);
        self.entries.insert(0, path.to_path_buf());
        self.entries.truncate(MAX_RECENT);
        true
    }

    /// Removes one entry (a file that turned out to be gone).
    pub fn remove(&mut self, path: &Path) {
        self.entries.retain(|p| p != path);
    }

    /// Drops every entry `exists` says is gone; returns how many went.
    pub fn prune(&mut self, exists: impl Fn(&Path) -> bool) -> usize {
        let before = self.entries.len();
        self.entries.retain(|p| exists(p));
        self.entries.truncate(MAX_RECENT);
        before - self.entries.len()
    }

    /// Clear Menu.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The menu title of entry `i`: the file name, with its folder when two
    /// entries share a name.
    pub fn title(&self, i: usize) -> Option<String> {
        let path = self.entries.get(i)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let twins = self.entries.iter().filter(|p| p.file_name() == path.file_name()).count();
        let folder = path.parent().and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned());
        Some(match folder {
            Some(folder) if twins > 1 => format!("{name} — {folder}"),
            _ if name.is_empty() => path.display().to_string(),
            _ => name,
        })
    }
}

/// Tells macOS that `path` was opened (its recent documents); nothing elsewhere.
pub fn note_system_recent(path: &Path) {
    #[cfg(target_os = "macos")]
    macos::note(path);
    #[cfg(not(target_os = "macos"))]
    let _ = path;
}

/// Empties the system's recent documents as Clear Menu does ours (macOS only).
pub fn clear_system_recent() {
    #[cfg(target_os = "macos")]
    macos::clear();
}

#[cfg(target_os = "macos")]
mod macos {
    use std::path::Path;

    use objc2::MainThreadMarker;
    use objc2_app_kit::NSDocumentController;
    use objc2_foundation::{NSString, NSURL};

    /// Only on the main thread (AppKit's rule); the app calls it from the UI thread, which is.
    pub fn note(path: &Path) {
        let Some(mtm) = MainThreadMarker::new() else { return };
        let Some(text) = path.to_str() else { return };
        let url = NSURL::fileURLWithPath(&NSString::from_str(text));
        NSDocumentController::sharedDocumentController(mtm).noteNewRecentDocumentURL(&url);
    }

    pub fn clear() {
        let Some(mtm) = MainThreadMarker::new() else { return };
        let controller = NSDocumentController::sharedDocumentController(mtm);
        // SAFETY: `clearRecentDocuments:` takes the sender of the action, which
        // may be nil; passing `None` is the documented "no sender" value.
        #[allow(unsafe_code)]
        unsafe {
            controller.clearRecentDocuments(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_without_repeats_and_capped() {
        let mut r = RecentFiles::default();
        assert!(r.note(Path::new("/a/x.wav")));
        assert!(r.note(Path::new("/b/y.mid")));
        assert!(r.note(Path::new("/a/x.wav")));
        assert!(!r.note(Path::new("/a/x.wav")));
        assert_eq!(r.entries(), [PathBuf::from("/a/x.wav"), PathBuf::from("/b/y.mid")]);
        for i in 0..20 {
            r.note(&PathBuf::from(format!("/many/{i}.wav")));
        }
        assert_eq!(r.entries().len(), MAX_RECENT);
        assert_eq!(r.entries()[0], PathBuf::from("/many/19.wav"));
    }

    #[test]
    fn stale_entries_are_pruned_and_twins_show_their_folder() {
        let mut r = RecentFiles::default();
        r.note(Path::new("/gone/take.wav"));
        r.note(Path::new("/here/take.wav"));
        r.note(Path::new("/here/song.mid"));
        assert_eq!(r.title(0).as_deref(), Some("song.mid"));
        assert_eq!(r.title(1).as_deref(), Some("take.wav — here"));
        assert_eq!(r.prune(|p| p.starts_with("/here")), 1);
        assert_eq!(r.title(1).as_deref(), Some("take.wav"));
        assert_eq!(r.title(5), None);
        r.clear();
        assert!(r.is_empty());
    }
}
