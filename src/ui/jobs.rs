//! Background work for the window: probing files (in parallel, with rayon),
//! expanding dropped folders, the native open dialog, checking which of Open
//! Recent's files are gone, and loudness analysis
//! ([`AnalysisJob`]). The UI sends a [`Job`] and polls [`JobEvent`]s each
//! frame; every event wakes the UI. Nothing here blocks the UI thread.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::{unbounded, Receiver, Sender};
use rayon::prelude::*;

use crate::analysis::loudness::{analyze, is_cancelled, Analysis};
use crate::io::scan::audio_files_in;
use crate::io::{inspect, FileError, FileInfo};

/// Work the UI asks for.
#[derive(Debug)]
pub enum Job {
    /// Open files and folders (folders are searched for audio files).
    Open(Vec<PathBuf>),
    /// Show the open dialog, starting in a folder.
    PickFiles(Option<PathBuf>),
    /// Find which of File ▸ Open Recent's files are gone (at launch).
    CheckRecent(Vec<PathBuf>),
}

/// What background work reports.
#[derive(Debug)]
pub enum JobEvent {
    /// A file was found and is being read; `id` identifies it in later events.
    Queued {
        /// Identifies the file.
        id: u64,
        /// The file.
        path: PathBuf,
    },
    /// The file's headers were read.
    Probed {
        /// The file's id.
        id: u64,
        /// What it is, or why it could not be read (the text is made where it is shown).
        result: Box<Result<FileInfo, FileError>>,
    },
    /// A problem not tied to one file (a folder that cannot be listed, a dialog that failed).
    Problem(String),
    /// Files chosen in the open dialog: the app opens them as it does a drop
    /// (and notes them in Open Recent).
    Picked(Vec<PathBuf>),
    /// Open Recent's files that are no longer there (from [`Job::CheckRecent`]).
    RecentGone(Vec<PathBuf>),
}

/// The background worker and its channels.
pub struct Jobs {
    jobs: Sender<Job>,
    events: Receiver<JobEvent>,
    pending: Arc<AtomicUsize>,
    last_error: Option<String>,
}

impl Jobs {
    /// Starts the worker thread; `ctx` is woken whenever an event is sent.
    pub fn start(ctx: egui::Context) -> Self {
        let (job_tx, job_rx) = unbounded::<Job>();
        let (event_tx, event_rx) = unbounded::<JobEvent>();
        let pending = Arc::new(AtomicUsize::new(0));
        let worker = Worker { ctx, events: event_tx, pending: pending.clone(), next_id: 0 };
        let spawned = std::thread::Builder::new().name("coremusic-jobs".into()).spawn(move || worker.run(job_rx));
        let last_error = spawned.err().map(|e| format!("could not start background work: {e}"));
        Jobs { jobs: job_tx, events: event_rx, pending, last_error }
    }

    /// Queues a job (never blocks).
    pub fn send(&self, job: Job) {
        if !matches!(job, Job::PickFiles(_)) {
            self.pending.fetch_add(1, Ordering::SeqCst);
        }
        let _ = self.jobs.send(job);
    }

    /// True while work is queued or running.
    pub fn busy(&self) -> bool {
        self.pending.load(Ordering::SeqCst) > 0
    }

    /// Events that arrived since the last call.
    pub fn events(&mut self) -> Vec<JobEvent> {
        let events: Vec<JobEvent> = self.events.try_iter().collect();
        for e in &events {
            if let JobEvent::Problem(p) = e {
                self.last_error = Some(p.clone());
            }
        }
        events
    }

    /// The latest problem not tied to a file.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }
}

struct Worker {
    ctx: egui::Context,
    events: Sender<JobEvent>,
    pending: Arc<AtomicUsize>,
    next_id: u64,
}

impl Worker {
    fn run(mut self, jobs: Receiver<Job>) {
        for job in jobs {
            match job {
                Job::Open(paths) => {
                    self.open(paths);
                    self.pending.fetch_sub(1, Ordering::SeqCst);
                    self.ctx.request_repaint();
                }
                Job::PickFiles(start) => self.pick_files(start),
                Job::CheckRecent(paths) => {
                    let gone: Vec<PathBuf> = paths.into_iter().filter(|p| !p.is_file()).collect();
                    if !gone.is_empty() {
                        self.emit(JobEvent::RecentGone(gone));
                    }
                    self.pending.fetch_sub(1, Ordering::SeqCst);
                    self.ctx.request_repaint();
                }
            }
        }
    }

    fn emit(&self, event: JobEvent) {
        let _ = self.events.send(event);
        self.ctx.request_repaint();
    }

    fn open(&mut self, paths: Vec<PathBuf>) {
        let mut files = Vec::new();
        for p in paths {
            if p.is_dir() {
                audio_files_in(&p, &mut files, &mut |problem| self.emit(JobEvent::Problem(problem)));
            } else {
                files.push(p);
            }
        }
        let queued: Vec<(u64, PathBuf)> = files
            .into_iter()
            .map(|path| {
                self.next_id += 1;
                self.emit(JobEvent::Queued { id: self.next_id, path: path.clone() });
                (self.next_id, path)
            })
            .collect();
        let events = self.events.clone();
        let ctx = self.ctx.clone();
        queued.par_iter().for_each(|(id, path)| {
            let result = inspect(path);
            let _ = events.send(JobEvent::Probed { id: *id, result: Box::new(result) });
            ctx.request_repaint();
        });
    }

    #[cfg(not(test))]
    fn pick_files(&self, start: Option<PathBuf>) {
        // The dialog runs on its own thread so probing goes on meanwhile.
        let (events, ctx) = (self.events.clone(), self.ctx.clone());
        let _ = std::thread::Builder::new().name("coremusic-dialog".into()).spawn(move || {
            let mut dialog = rfd::AsyncFileDialog::new()
                .set_title("Open audio files")
                .add_filter("Audio", &crate::io::scan::AUDIO_EXTENSIONS)
                .add_filter("All files", &["*"]);
            if let Some(dir) = start {
                dialog = dialog.set_directory(dir);
            }
            if let Some(files) = block_on(dialog.pick_files()) {
                let _ = events.send(JobEvent::Picked(files.into_iter().map(|f| f.path().to_path_buf()).collect()));
                ctx.request_repaint();
            }
        });
    }

    #[cfg(test)]
    fn pick_files(&self, _start: Option<PathBuf>) {
        let _ = (&self.events, &self.ctx);
    }
}

/// Runs a future to completion on this thread (for rfd's async dialogs).
pub(crate) fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(v) => return v,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// One file's loudness analysis running on its own thread
/// ([`crate::analysis::loudness::analyze`]). The UI holds it in an `Arc`, reads
/// progress and the result without blocking, and cancels by setting a flag.
#[derive(Debug)]
pub struct AnalysisJob {
    /// Set to stop the analysis at the next chunk.
    pub cancel: AtomicBool,
    progress_bits: AtomicU32,
    outcome: Mutex<Option<AnalysisOutcome>>,
}

/// How an analysis ended.
#[derive(Debug, Clone)]
pub enum AnalysisOutcome {
    /// The figures.
    Done(Box<Analysis>),
    /// Stopped by [`AnalysisJob::cancel`].
    Cancelled,
    /// The file could not be read through, and why.
    Failed(String),
}

impl AnalysisJob {
    /// Starts analysing `path` on a new thread; `ctx` is woken as it goes.
    pub fn start(path: PathBuf, ctx: egui::Context) -> Arc<Self> {
        let job = Arc::new(AnalysisJob {
            cancel: AtomicBool::new(false),
            progress_bits: AtomicU32::new(0f32.to_bits()),
            outcome: Mutex::new(None),
        });
        let worker = job.clone();
        let spawned = std::thread::Builder::new().name("coremusic-analysis".into()).spawn(move || {
            let mut last = 0.0f32;
            let result = analyze(
                &path,
                |p| {
                    let f = p.fraction().unwrap_or(0.0);
                    worker.progress_bits.store(f.to_bits(), Ordering::Relaxed);
                    if f - last >= 0.01 {
                        last = f;
                        ctx.request_repaint();
                    }
                },
                &worker.cancel,
            );
            let outcome = match result {
                Ok(a) => AnalysisOutcome::Done(Box::new(a)),
                Err(e) if is_cancelled(&e) => AnalysisOutcome::Cancelled,
                Err(e) => AnalysisOutcome::Failed(e.error.to_string()),
            };
            worker.finish(outcome);
            ctx.request_repaint();
        });
        if let Err(e) = spawned {
            job.finish(AnalysisOutcome::Failed(format!("could not start the analysis: {e}")));
        }
        job
    }

    fn finish(&self, outcome: AnalysisOutcome) {
        if let Ok(mut o) = self.outcome.lock() {
            *o = Some(outcome);
        }
    }

    /// Done so far, 0.0–1.0 (0 while the length is unknown).
    pub fn progress(&self) -> f32 {
        f32::from_bits(self.progress_bits.load(Ordering::Relaxed))
    }

    /// How it ended, or `None` while it runs.
    pub fn outcome(&self) -> Option<AnalysisOutcome> {
        self.outcome.lock().ok().and_then(|o| o.clone())
    }
}
