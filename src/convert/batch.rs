//! Batch conversion (the guide's `batch_process_parallel`): plan which output
//! each input gets, then convert on a bounded rayon pool with a progress
//! stream and cancel. Only as many files are open as there are workers, so
//! memory stays bounded however many inputs there are. One result per input.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::file::{convert_sharing, output_format, ConvertError, Outcome};
use super::options::ConvertOptions;
use crate::io::scan::audio_files_in;
use crate::io::OutputFormat;

/// One planned conversion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItem {
    /// The input file.
    pub input: PathBuf,
    /// Where its output goes.
    pub output: PathBuf,
}

/// The plan for a batch: conversions, and inputs refused before starting.
#[derive(Debug, Default)]
pub struct BatchPlan {
    /// What will be converted.
    pub items: Vec<BatchItem>,
    /// Inputs that cannot be converted (with the reason), e.g. two inputs
    /// that would write the same output, or an unlistable folder.
    pub refused: Vec<(PathBuf, String)>,
}

/// True when `out` names one output file (one input file, and `out` is not a
/// folder and has an extension); otherwise `out` is a folder.
pub fn output_is_file(inputs: &[PathBuf], out: &Path) -> bool {
    inputs.len() == 1 && !inputs[0].is_dir() && !out.is_dir() && out.extension().is_some()
}

/// Plans outputs: `out/<name>.<ext>` for each input (folders searched for
/// audio files; with `keep_tree`, their sub-folders are mirrored under `out`).
pub fn plan(inputs: &[PathBuf], out: &Path, opts: &ConvertOptions) -> BatchPlan {
    let mut plan = BatchPlan::default();
    if output_is_file(inputs, out) {
        plan.items.push(BatchItem { input: inputs[0].clone(), output: out.to_path_buf() });
        return plan;
    }
    let format = opts.format.unwrap_or(OutputFormat::Wav);
    // An output folder inside an input folder is not an input (its files are ours).
    let out_canon = out.canonicalize().ok();
    let mut taken: HashMap<PathBuf, PathBuf> = HashMap::new();
    for input in inputs {
        let mut found = Vec::new();
        let root: Option<&Path> = if input.is_dir() {
            audio_files_in(input, &mut found, &mut |p| plan.refused.push((input.clone(), p)));
            Some(input.as_path())
        } else {
            found.push(input.clone());
            None
        };
        if let (Some(_), Some(oc)) = (root, &out_canon) {
            found.retain(|f| !f.canonicalize().is_ok_and(|c| c.starts_with(oc)));
        }
        for file in found {
            let rel_dir = match (root, opts.keep_tree) {
                (Some(root), true) => {
                    let base = root.file_name().map(PathBuf::from).unwrap_or_default();
                    let sub = file
                        .parent()
                        .and_then(|p| p.strip_prefix(root).ok())
                        .map(Path::to_path_buf)
                        .unwrap_or_default();
                    base.join(sub)
                }
                _ => PathBuf::new(),
            };
            let stem = file.file_stem().map(|s| s.to_os_string()).unwrap_or_else(|| "output".into());
            let mut name = PathBuf::from(stem);
            name.set_extension(format.extension());
            let output = out.join(rel_dir).join(name);
            if let Some(first) = taken.get(&output) {
                plan.refused.push((
                    file.clone(),
                    format!(
                        "would write the same output as {} ({}); use --keep-tree or convert it separately",
                        first.display(),
                        output.display()
                    ),
                ));
                continue;
            }
            taken.insert(output.clone(), file.clone());
            plan.items.push(BatchItem { input: file, output });
        }
    }
    plan
}

/// Progress of a batch, as events.
#[derive(Debug, Clone)]
pub enum BatchEvent {
    /// A file started.
    Started {
        /// Its index in the plan.
        index: usize,
    },
    /// A file advanced.
    Progress {
        /// Its index.
        index: usize,
        /// 0..=1 of the file.
        fraction: f64,
    },
    /// A file ended (converted, skipped or failed).
    Finished {
        /// Its index.
        index: usize,
        /// The outcome, or the error as text.
        result: Result<Outcome, String>,
    },
}

/// Overall progress figures, derived from bytes of input done.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchStatus {
    /// Files ended.
    pub files_done: usize,
    /// Files in the batch.
    pub files_total: usize,
    /// Input bytes converted so far (partial files counted by fraction).
    pub bytes_done: u64,
    /// Input bytes in the batch.
    pub bytes_total: u64,
    /// Input bytes per second so far.
    pub bytes_per_s: f64,
    /// Estimated time left.
    pub eta: Option<Duration>,
}

/// Tracks per-file fractions to give overall figures.
pub struct BatchMeter {
    sizes: Vec<u64>,
    fractions: Vec<f64>,
    done: usize,
    started: Instant,
}

impl BatchMeter {
    /// A meter for these items (their sizes are read from the file system).
    pub fn new(items: &[BatchItem]) -> Self {
        let sizes = items.iter().map(|i| std::fs::metadata(&i.input).map(|m| m.len()).unwrap_or(0)).collect();
        BatchMeter { sizes, fractions: vec![0.0; items.len()], done: 0, started: Instant::now() }
    }

    /// Takes an event into account.
    pub fn apply(&mut self, event: &BatchEvent) {
        match *event {
            BatchEvent::Started { .. } => {}
            BatchEvent::Progress { index, fraction } => {
                if let Some(f) = self.fractions.get_mut(index) {
                    *f = fraction.clamp(0.0, 1.0);
                }
            }
            BatchEvent::Finished { index, .. } => {
                if let Some(f) = self.fractions.get_mut(index) {
                    *f = 1.0;
                    self.done += 1;
                }
            }
        }
    }

    /// The overall figures now.
    pub fn status(&self) -> BatchStatus {
        let bytes_total: u64 = self.sizes.iter().sum();
        let bytes_done = self.sizes.iter().zip(&self.fractions).map(|(&s, &f)| s as f64 * f).sum::<f64>() as u64;
        let secs = self.started.elapsed().as_secs_f64();
        let bytes_per_s = if secs > 0.0 { bytes_done as f64 / secs } else { 0.0 };
        let eta = (bytes_per_s > 0.0)
            .then(|| Duration::from_secs_f64(bytes_total.saturating_sub(bytes_done) as f64 / bytes_per_s));
        BatchStatus { files_done: self.done, files_total: self.sizes.len(), bytes_done, bytes_total, bytes_per_s, eta }
    }
}

/// Converts every item on a pool of `max_workers` threads (0 = all cores),
/// sending events to `events` as it goes; `cancel` stops it at the next
/// chunk of every file (unfinished outputs are removed). Returns one result
/// per item, in order.
pub fn batch_process_parallel(
    items: &[BatchItem],
    opts: &ConvertOptions,
    max_workers: usize,
    events: &(dyn Fn(BatchEvent) + Sync),
    cancel: &AtomicBool,
) -> Vec<Result<Outcome, ConvertError>> {
    let workers =
        if max_workers == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { max_workers };
    let concurrent = workers.min(items.len()).max(1);
    let run = || {
        items
            .par_iter()
            .with_max_len(1)
            .enumerate()
            .map(|(index, item)| {
                if cancel.load(Ordering::Relaxed) {
                    return Err(ConvertError::Cancelled);
                }
                events(BatchEvent::Started { index });
                let last_sent = AtomicU64::new(0);
                let mut progress = |done: u64, total: Option<u64>| {
                    if let Some(t) = total.filter(|&t| t > 0) {
                        let permille = done.saturating_mul(1000) / t;
                        if permille != last_sent.swap(permille, Ordering::Relaxed) {
                            events(BatchEvent::Progress { index, fraction: done as f64 / t as f64 });
                        }
                    }
                };
                let result = prepare_folder(&item.output)
                    .and_then(|_| convert_sharing(&item.input, &item.output, opts, &mut progress, cancel, concurrent));
                events(BatchEvent::Finished {
                    index,
                    result: result.as_ref().map(Clone::clone).map_err(ToString::to_string),
                });
                result
            })
            .collect::<Vec<_>>()
    };
    match rayon::ThreadPoolBuilder::new().num_threads(workers).thread_name(|i| format!("coremusic-convert-{i}")).build()
    {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    }
}

fn prepare_folder(output: &Path) -> Result<(), ConvertError> {
    match output.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir).map_err(|e| ConvertError::Refused {
            path: dir.to_path_buf(),
            what: format!("cannot create the output folder: {e}"),
        }),
        None => Ok(()),
    }
}

/// Collects events from several threads in order of arrival (for tests and simple callers).
#[derive(Default)]
pub struct EventLog(pub Mutex<Vec<BatchEvent>>);

impl EventLog {
    /// Records an event.
    pub fn push(&self, e: BatchEvent) {
        if let Ok(mut v) = self.0.lock() {
            v.push(e);
        }
    }
}

/// The output format a batch writes for `out` (used by the CLI's summary).
pub fn batch_format(inputs: &[PathBuf], out: &Path, opts: &ConvertOptions) -> OutputFormat {
    if output_is_file(inputs, out) {
        output_format(out, opts)
    } else {
        opts.format.unwrap_or(OutputFormat::Wav)
    }
}
