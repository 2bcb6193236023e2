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

use super::file::{check_format, convert_sharing, output_format, ConvertError, Outcome};
use super::normalize::{choose_gains, measure, LoudnessChange, Measurement};
use super::options::ConvertOptions;
use crate::io::place::{remove_stale_part_files, NameCase};
use crate::io::scan::{walk_audio_files, FileId};
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
    /// that would write the same output, an output that is an input, or an
    /// unlistable folder.
    pub refused: Vec<(PathBuf, String)>,
    /// Things worth knowing that lose nothing, e.g. a link loop in an input
    /// folder (its files were found once).
    pub notes: Vec<String>,
}

/// True when `out` names one output file (one input file, and `out` is not a
/// folder and has an extension); otherwise `out` is a folder.
pub fn output_is_file(inputs: &[PathBuf], out: &Path) -> bool {
    inputs.len() == 1 && !inputs[0].is_dir() && !out.is_dir() && out.extension().is_some()
}

/// Plans outputs: `out/<name>.<ext>` for each input (folders searched for
/// audio files; with `keep_tree`, their sub-folders are mirrored under `out`).
/// Names are compared the way the output folder's volume compares them
/// ([`NameCase::of_folder`]).
pub fn plan(inputs: &[PathBuf], out: &Path, opts: &ConvertOptions) -> BatchPlan {
    let folder = if output_is_file(inputs, out) { out.parent().unwrap_or(Path::new("")) } else { out };
    plan_with_case(inputs, out, opts, NameCase::of_folder(folder))
}

/// [`plan`] with the output volume's naming rule given (tests simulate a
/// case-insensitive volume on a case-sensitive one).
///
/// No output is ever an input of the batch: outputs are compared with every
/// input by file identity (so links, `..`, hard links and, on the volume
/// itself, case are seen through) and by name under `case`; such an output
/// is refused (even with `overwrite`). Two outputs that are one file under
/// `case` are refused too (the second). A folder's walk does not enter the
/// output folder when the output folder lies inside it (its files are
/// outputs); an output folder that *contains* the input folder changes
/// nothing.
pub fn plan_with_case(inputs: &[PathBuf], out: &Path, opts: &ConvertOptions, case: NameCase) -> BatchPlan {
    let mut plan = BatchPlan::default();
    // A format that cannot be written refuses the whole batch before any work.
    let format_ok = if output_is_file(inputs, out) {
        output_format(out, opts).map(|_| ()).map_err(|e| format!("{}: {e}", out.display()))
    } else {
        check_format(opts.format.unwrap_or(OutputFormat::Wav), opts)
    };
    if let Err(why) = format_ok {
        plan.refused.extend(inputs.iter().map(|i| (i.clone(), why.clone())));
        return plan;
    }
    let mut candidates = Vec::new();
    if output_is_file(inputs, out) {
        candidates.push(BatchItem { input: inputs[0].clone(), output: out.to_path_buf() });
    } else {
        let format = opts.format.unwrap_or(OutputFormat::Wav);
        let out_id = FileId::of(out).ok();
        for input in inputs {
            let mut found = Vec::new();
            let root: Option<&Path> = if input.is_dir() {
                walk_audio_files(input, out_id.as_ref(), &mut found, &mut |p| {
                    if p.loses_files() {
                        plan.refused.push((input.clone(), p.to_string()));
                    } else {
                        plan.notes.push(p.to_string());
                    }
                });
                Some(input.as_path())
            } else {
                found.push(input.clone());
                None
            };
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
                candidates.push(BatchItem { input: file, output });
            }
        }
    }

    // Every input of the batch, by identity and by name as the output volume sees it.
    let mut input_ids: HashMap<FileId, &Path> = HashMap::new();
    let mut input_names: HashMap<PathBuf, &Path> = HashMap::new();
    for c in &candidates {
        if let Ok(id) = FileId::of(&c.input) {
            input_ids.entry(id).or_insert(&c.input);
        }
        if let Some(p) = in_real_folder(&c.input) {
            input_names.entry(case.key(&p)).or_insert(&c.input);
        }
    }
    let mut taken: HashMap<PathBuf, (&Path, &Path)> = HashMap::new();
    for item in &candidates {
        let same_input = FileId::of(&item.output)
            .ok()
            .and_then(|id| input_ids.get(&id))
            .or_else(|| in_real_folder(&item.output).and_then(|p| input_names.get(&case.key(&p))));
        if let Some(&other) = same_input {
            let what = if other == item.input {
                "is the input itself".to_string()
            } else {
                format!("is another input of this batch ({})", other.display())
            };
            plan.refused.push((
                item.input.clone(),
                format!(
                    "its output {} {what}; CoreMusic never writes over an input (choose another output folder or format)",
                    item.output.display()
                ),
            ));
            continue;
        }
        let key = case.key(&item.output);
        if let Some(&(first, first_output)) = taken.get(&key) {
            let how = if first_output != item.output {
                format!(" {}: on this volume, names differing only in case are one file", first_output.display())
            } else {
                String::new()
            };
            plan.refused.push((
                item.input.clone(),
                format!(
                    "would write the same output as {} ({}{how}); use --keep-tree or convert it separately",
                    first.display(),
                    item.output.display()
                ),
            ));
            continue;
        }
        taken.insert(key, (&item.input, &item.output));
        plan.items.push(item.clone());
    }
    plan
}

/// `p` with its folder's real path (links and `..` resolved), when the
/// folder exists.
fn in_real_folder(p: &Path) -> Option<PathBuf> {
    let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Some(dir.canonicalize().ok()?.join(p.file_name()?))
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
    /// With `--normalize`: a file was measured (before any file is
    /// converted); its conversion comes later with this gain.
    Measured {
        /// Its index.
        index: usize,
        /// Its loudness and the gain chosen (`None`: it could not be measured
        /// and will fail).
        loudness: Option<LoudnessChange>,
    },
    /// A file ended (converted, skipped or failed).
    Finished {
        /// Its index.
        index: usize,
        /// The outcome, or why it failed.
        result: Result<Outcome, FileFailure>,
    },
}

/// Why a file of a batch did not convert, as the progress events carry it
/// (a [`ConvertError`] cannot be cloned; this can, and keeps the one
/// distinction a window acts on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileFailure {
    /// The user stopped the batch before this file was done; nothing was left behind.
    Cancelled,
    /// It failed: the error's message, naming the file and the problem.
    Failed(String),
}

impl From<&ConvertError> for FileFailure {
    fn from(e: &ConvertError) -> Self {
        match e {
            ConvertError::Cancelled => FileFailure::Cancelled,
            other => FileFailure::Failed(other.to_string()),
        }
    }
}

impl std::fmt::Display for FileFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileFailure::Cancelled => f.write_str("cancelled"),
            FileFailure::Failed(why) => f.write_str(why),
        }
    }
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
            BatchEvent::Started { .. } | BatchEvent::Measured { .. } => {}
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
    // Each output's nearest folder that exists now: if it is gone when the
    // file's turn comes (a drive removed, a folder deleted), the file fails
    // rather than a new folder being made where the drive was.
    let mut anchors: HashMap<&Path, PathBuf> = HashMap::new();
    for item in items {
        let dir = item.output.parent().unwrap_or(Path::new(""));
        if !anchors.contains_key(dir) {
            let mut at = dir;
            while !at.as_os_str().is_empty() && !at.is_dir() {
                at = at.parent().unwrap_or(Path::new(""));
            }
            if at == dir {
                // Part files left there by a batch that was killed.
                remove_stale_part_files(if dir.as_os_str().is_empty() { Path::new(".") } else { dir });
            }
            anchors.insert(dir, at.to_path_buf());
        }
    }
    // `--normalize`: measure every file first (in parallel), then choose
    // the gains (one per file, or one for the album). A file that cannot be
    // measured fails with the reason.
    let mut measured: Vec<Option<Result<Measurement, ConvertError>>> = (0..items.len()).map(|_| None).collect();
    let mut gains: Vec<Option<LoudnessChange>> = vec![None; items.len()];
    let measure_all = || {
        items
            .par_iter()
            .with_max_len(1)
            .enumerate()
            .map(|(index, item)| {
                if cancel.load(Ordering::Relaxed) {
                    return Err(ConvertError::Cancelled);
                }
                events(BatchEvent::Started { index });
                let mut progress = |f: f64| events(BatchEvent::Progress { index, fraction: f * 0.5 });
                measure(&item.input, &item.output, opts, &mut progress, cancel)
            })
            .collect::<Vec<_>>()
    };
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(workers).thread_name(|i| format!("coremusic-convert-{i}")).build();
    if let Some(norm) = &opts.normalize {
        let results = match &pool {
            Ok(pool) => pool.install(measure_all),
            Err(_) => measure_all(),
        };
        let ok: Vec<Option<&Measurement>> = results.iter().map(|r| r.as_ref().ok()).collect();
        gains = choose_gains(&ok, norm);
        for (index, g) in gains.iter().enumerate() {
            events(BatchEvent::Measured { index, loudness: *g });
        }
        measured = results.into_iter().map(Some).collect();
    }
    let normalizing = opts.normalize.is_some();
    let measured: Vec<Mutex<Option<Result<Measurement, ConvertError>>>> =
        measured.into_iter().map(Mutex::new).collect();
    let run = || {
        items
            .par_iter()
            .with_max_len(1)
            .enumerate()
            .map(|(index, item)| {
                if cancel.load(Ordering::Relaxed) {
                    return Err(ConvertError::Cancelled);
                }
                let failed_measuring = measured.get(index).and_then(|m| m.lock().ok()?.take()).and_then(|m| m.err());
                if !normalizing {
                    events(BatchEvent::Started { index });
                }
                let (offset, scale) = if normalizing { (0.5, 0.5) } else { (0.0, 1.0) };
                let last_sent = AtomicU64::new(0);
                let mut progress = |done: u64, total: Option<u64>| {
                    if let Some(t) = total.filter(|&t| t > 0) {
                        let permille = done.saturating_mul(1000) / t;
                        if permille != last_sent.swap(permille, Ordering::Relaxed) {
                            let fraction = offset + scale * done as f64 / t as f64;
                            events(BatchEvent::Progress { index, fraction });
                        }
                    }
                };
                let anchor = anchors.get(item.output.parent().unwrap_or(Path::new(""))).map(PathBuf::as_path);
                let loudness = gains.get(index).copied().flatten();
                let result = match failed_measuring {
                    Some(e) => Err(e),
                    None => prepare_folder(&item.output, anchor).and_then(|_| {
                        convert_sharing(&item.input, &item.output, opts, &mut progress, cancel, concurrent, loudness)
                    }),
                };
                events(BatchEvent::Finished {
                    index,
                    result: result.as_ref().map(Clone::clone).map_err(FileFailure::from),
                });
                result
            })
            .collect::<Vec<_>>()
    };
    match &pool {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    }
}

/// Makes `output`'s folder, unless the folder it was to be made in
/// (`anchor`, which existed when the batch started) is gone.
fn prepare_folder(output: &Path, anchor: Option<&Path>) -> Result<(), ConvertError> {
    if let Some(a) = anchor.filter(|a| !a.as_os_str().is_empty() && !a.is_dir()) {
        return Err(ConvertError::Refused {
            path: output.to_path_buf(),
            what: format!("the output folder {} is gone (deleted, or its drive removed)", a.display()),
        });
    }
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
        output_format(out, opts).unwrap_or(opts.format.unwrap_or(OutputFormat::Wav))
    } else {
        opts.format.unwrap_or(OutputFormat::Wav)
    }
}
