//! Files the operating system asks the app to open while it runs: on macOS,
//! documents dropped on the Dock icon or opened from Finder ("Open With
//! CoreMusic") arrive as Apple Events (`kAEOpenDocuments`), which winit does
//! not forward. An [`OpenQueue`] carries such paths from whatever receives
//! them to the app, which polls it every frame and opens them exactly as files
//! named on the command line. The queue itself is plain data and works on
//! every platform; only [`install_system_handler`] is macOS-specific (a no-op
//! elsewhere). Nothing here reads a file.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

#[cfg(target_os = "macos")]
// unsafe: the Objective-C Apple Event handler (objc2 method declarations).
#[allow(unsafe_code)]
mod macos;

#[derive(Default)]
struct Inner {
    paths: Vec<PathBuf>,
    wake: Option<egui::Context>,
}

/// Paths waiting to be opened, shared between the event handler that
/// receives them and the app that opens them. Cloning shares the queue.
#[derive(Clone, Default)]
pub struct OpenQueue {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for OpenQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenQueue").field("waiting", &self.lock().paths.len()).finish()
    }
}

impl OpenQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves plain data behind: keep using it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds paths to open and wakes the UI (when [`OpenQueue::set_waker`] named it).
    pub fn push(&self, paths: impl IntoIterator<Item = PathBuf>) {
        let wake = {
            let mut inner = self.lock();
            let before = inner.paths.len();
            inner.paths.extend(paths);
            (inner.paths.len() > before).then(|| inner.wake.clone()).flatten()
        };
        if let Some(ctx) = wake {
            ctx.request_repaint();
        }
    }

    /// Takes every waiting path, oldest first.
    pub fn take(&self) -> Vec<PathBuf> {
        std::mem::take(&mut self.lock().paths)
    }

    /// The context to repaint when paths arrive (the UI may be idle).
    pub fn set_waker(&self, ctx: &egui::Context) {
        self.lock().wake = Some(ctx.clone());
    }
}

/// The process-wide queue the operating system's "open these documents"
/// events feed (see [`install_system_handler`]).
pub fn system_queue() -> &'static OpenQueue {
    static QUEUE: OnceLock<OpenQueue> = OnceLock::new();
    QUEUE.get_or_init(OpenQueue::new)
}

/// Starts receiving the operating system's "open documents" requests into
/// [`system_queue`]. On macOS this installs an `NSAppleEventManager` handler
/// for 'aevt'/'odoc' now and again when the application is about to finish
/// launching (AppKit installs its own default then; the documents of the
/// launch arrive right after). Call it on the main thread, before the event
/// loop runs and again once the app exists; calling it again is harmless.
/// Elsewhere it does nothing (files come as arguments or window drops).
pub fn install_system_handler() {
    #[cfg(target_os = "macos")]
    macos::install();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_come_out_once_in_order_and_clones_share_the_queue() {
        let q = OpenQueue::new();
        let handler_side = q.clone();
        handler_side.push([PathBuf::from("/a.wav"), PathBuf::from("/b.mid")]);
        handler_side.push(Vec::new());
        handler_side.push([PathBuf::from("/c.flac")]);
        assert_eq!(q.take(), vec![PathBuf::from("/a.wav"), PathBuf::from("/b.mid"), PathBuf::from("/c.flac")]);
        assert!(q.take().is_empty());
        assert!(format!("{q:?}").contains("waiting: 0"));
    }

    #[test]
    fn a_push_wakes_the_ui_from_another_thread() {
        let ctx = egui::Context::default();
        let q = OpenQueue::new();
        q.set_waker(&ctx);
        let sender = q.clone();
        std::thread::spawn(move || sender.push([PathBuf::from("/x.wav")])).join().unwrap();
        assert_eq!(q.take(), vec![PathBuf::from("/x.wav")]);
        // Not on macOS: nothing to install, and calling it is harmless.
        install_system_handler();
        assert!(system_queue().take().is_empty());
    }
}
