//! Batch conversion under hostile conditions (issue 13, "Nothing lost"): an
//! output that is another input, an output folder that contains the input
//! folder, link loops, case-insensitive volumes, an output appearing while a
//! file converts, long names, a stuck batch and a second Ctrl-C, a full disk,
//! a read-only folder, an output folder that vanishes, and batches
//! interrupted at random moments (SIGKILL, one Ctrl-C, two Ctrl-C, a file
//! size limit that fails writes like a full disk, a tmpfs that fills up). In
//! every case: every input byte-identical, no partial
//! output, a clear error naming the file.
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use coremusic::convert::{
    batch_process_parallel, convert_file, plan, plan_with_case, BatchEvent, ConvertError, ConvertOptions, NameCase,
    Outcome,
};

/// The binary under test: this build's, or `COREMUSIC_BIN` (to replay the
/// tests against another build, e.g. an older one).
fn coremusic() -> Command {
    Command::new(std::env::var_os("COREMUSIC_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_coremusic").into()))
}

/// Runs `cmd`, killing it if it has not ended after `limit` (then None).
fn run_for(cmd: &mut Command, limit: Duration) -> (Option<ExitStatus>, String) {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let status = wait_for(&mut child, limit);
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut err);
    }
    (status, err)
}

fn wait_for(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Every file under `dir` (not following links), sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

fn part_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir).into_iter().filter(|p| p.to_string_lossy().contains("coremusic-part")).collect()
}

/// The bytes of each file, to check later that none changed.
fn snapshot(files: &[PathBuf]) -> Vec<(PathBuf, Vec<u8>)> {
    files.iter().map(|p| (p.clone(), std::fs::read(p).unwrap())).collect()
}

fn assert_unchanged(before: &[(PathBuf, Vec<u8>)]) {
    for (p, bytes) in before {
        let now = std::fs::read(p).unwrap_or_else(|e| panic!("input {} is gone: {e}", p.display()));
        assert!(&now == bytes, "input {} was changed", p.display());
    }
}

/// A FLAC file of a tone at `freq` Hz, written by CoreMusic from a hound WAV.
fn flac(dir: &Path, name: &str, freq: u32) -> PathBuf {
    let tmp = tempfile::tempdir().unwrap();
    let wav = common::hound_wav(tmp.path(), "t.wav", 44100 + freq, 2, 4000);
    let out = dir.join(name);
    assert!(coremusic().arg("convert").arg(&wav).arg("-o").arg(&out).stderr(Stdio::null()).status().unwrap().success());
    out
}

// --- 1. An output that is an input ---------------------------------------

#[test]
fn an_output_that_is_another_input_is_refused_even_with_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let song_flac = flac(d, "song.flac", 0);
    let song_wav = common::hound_wav(d, "song.wav", 48000, 1, 3000);
    let before = snapshot(&[song_flac.clone(), song_wav.clone()]);
    for order in [[&song_flac, &song_wav], [&song_wav, &song_flac]] {
        let o = coremusic().arg("convert").args(order).arg("-o").arg(d).arg("--overwrite").output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_unchanged(&before);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("song.flac") && err.contains("never writes over an input"), "{err}");
    }
    // A folder converted into itself: each output is an input.
    let o = coremusic().arg("convert").arg(d).arg("-o").arg(d).arg("--overwrite").output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_unchanged(&before);

    // Through a hard link: o/other.wav is the input song.wav under another name.
    let o_dir = d.join("o");
    std::fs::create_dir(&o_dir).unwrap();
    std::fs::hard_link(&song_wav, o_dir.join("other.wav")).unwrap();
    let other_flac = flac(d, "other.flac", 100);
    let o = coremusic()
        .arg("convert")
        .arg(&other_flac)
        .arg(&song_wav)
        .arg("-o")
        .arg(&o_dir)
        .arg("--overwrite")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("other.flac") && err.contains("song.wav"), "the error names neither file: {err}");
    assert_unchanged(&before);
    assert!(part_files(d).is_empty());
}

// --- 2. An output folder that contains the input folder ------------------

#[test]
fn an_output_folder_that_contains_the_input_folder_converts_it() {
    let root = tempfile::tempdir().unwrap();
    let album = root.path().join("album");
    std::fs::create_dir(&album).unwrap();
    let a = common::hound_wav(&album, "a.wav", 44100, 2, 2000);
    let b = common::hound_wav(&album, "b.wav", 44100, 2, 2000);
    let before = snapshot(&[a, b]);
    let (st, err) = run_for(
        coremusic().arg("convert").arg(&album).arg("-o").arg(root.path()).args(["-f", "flac"]),
        Duration::from_secs(30),
    );
    assert_eq!(st.and_then(|s| s.code()), Some(0), "{err}");
    assert!(root.path().join("a.flac").is_file() && root.path().join("b.flac").is_file(), "{err}");
    assert_unchanged(&before);

    // The other way round still holds: an output folder inside the input
    // folder is not searched for inputs, on the first run or the next.
    let out = album.join("out");
    for _ in 0..2 {
        let (st, err) = run_for(coremusic().arg("convert").arg(&album).arg("-o").arg(&out), Duration::from_secs(30));
        assert_eq!(st.and_then(|s| s.code()), Some(0), "{err}");
    }
    let mut made: Vec<String> =
        files_under(&out).iter().map(|p| p.strip_prefix(&out).unwrap().display().to_string()).collect();
    made.sort();
    assert_eq!(made, ["a.wav", "b.wav"]);
    assert_unchanged(&before);
}

#[test]
fn a_batch_with_nothing_to_convert_says_so() {
    let root = tempfile::tempdir().unwrap();
    let empty = root.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("notes.txt"), "not audio").unwrap();
    let (st, err) =
        run_for(coremusic().arg("convert").arg(&empty).arg("-o").arg(root.path().join("out")), Duration::from_secs(30));
    assert_eq!(st.and_then(|s| s.code()), Some(1), "{err}");
    assert!(err.contains("nothing to convert") && err.contains("empty"), "{err}");
}

// --- 3. Link loops --------------------------------------------------------

#[test]
fn a_symlink_loop_is_reported_and_walked_once() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    let song = common::hound_wav(&dir, "song.wav", 44100, 2, 1000);
    std::os::unix::fs::symlink(".", dir.join("a")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("b")).unwrap();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", dir.join("sub").join("up")).unwrap();

    // The window's folder drop walks the same way: in a thread, with a limit.
    let d = dir.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut files, mut problems) = (Vec::new(), Vec::new());
        coremusic::io::scan::audio_files_in(&d, &mut files, &mut |p| problems.push(p));
        let _ = tx.send((files, problems));
    });
    let (files, problems) = rx.recv_timeout(Duration::from_secs(10)).expect("the folder walk hangs on a link loop");
    assert_eq!(files, vec![song.clone()]);
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems.iter().all(|p| p.contains("loop")), "{problems:?}");

    let out = root.path().join("out");
    let (st, err) = run_for(coremusic().arg("convert").arg(&dir).arg("-o").arg(&out), Duration::from_secs(20));
    let st = st.unwrap_or_else(|| panic!("convert hangs on a link loop: {err}"));
    assert_eq!(st.code(), Some(0), "{err}");
    assert!(err.contains("loop") && err.contains("/a"), "the loop is not reported: {err}");
    assert_eq!(files_under(&out), vec![out.join("song.wav")]);
}

#[test]
fn folders_nested_too_deep_are_reported() {
    let root = tempfile::tempdir().unwrap();
    let mut deep = root.path().to_path_buf();
    for _ in 0..coremusic::io::scan::MAX_DEPTH + 2 {
        deep.push("d");
    }
    std::fs::create_dir_all(&deep).unwrap();
    common::hound_wav(&deep, "deep.wav", 8000, 1, 100);
    let top = common::hound_wav(root.path(), "top.wav", 8000, 1, 100);
    let (mut files, mut problems) = (Vec::new(), Vec::new());
    coremusic::io::scan::audio_files_in(root.path(), &mut files, &mut |p| problems.push(p));
    assert_eq!(files, vec![top]);
    assert!(problems.len() == 1 && problems[0].contains("deep"), "{problems:?}");
}

// --- 4. Case-insensitive volumes ----------------------------------------

#[test]
fn outputs_differing_only_in_case_are_one_file_on_a_case_insensitive_volume() {
    let root = tempfile::tempdir().unwrap();
    let (x, y) = (root.path().join("x"), root.path().join("y"));
    std::fs::create_dir_all(&x).unwrap();
    std::fs::create_dir_all(&y).unwrap();
    let upper = common::hound_wav(&x, "Song.wav", 8000, 1, 100);
    let lower = common::hound_wav(&y, "song.wav", 8000, 1, 100);
    let out = root.path().join("out");
    let opts = ConvertOptions::default();
    let inputs = [upper.clone(), lower.clone()];

    let p = plan_with_case(&inputs, &out, &opts, NameCase::Sensitive);
    assert_eq!(p.items.len(), 2);
    let p = plan_with_case(&inputs, &out, &opts, NameCase::Insensitive);
    assert_eq!(p.items.len(), 1, "{:?}", p.items);
    assert_eq!(p.refused.len(), 1);
    let (who, why) = &p.refused[0];
    assert_eq!(who, &lower);
    assert!(why.contains("Song.wav") && why.contains("case"), "{why}");

    // An output named like another input in another case, in the input's
    // folder: on such a volume it is that input.
    let d = root.path().join("d");
    std::fs::create_dir_all(&d).unwrap();
    let wav = common::hound_wav(&d, "song.wav", 8000, 1, 100);
    let flac_in = flac(&d, "SONG.flac", 0);
    let over = ConvertOptions { overwrite: true, ..Default::default() };
    let p = plan_with_case(&[flac_in.clone(), wav.clone()], &d, &over, NameCase::Insensitive);
    let refused: Vec<&PathBuf> = p.refused.iter().map(|(p, _)| p).collect();
    assert!(refused.contains(&&flac_in), "{:?}", p.refused);
    assert!(p.items.iter().all(|i| i.input != flac_in));

    // This machine's folders: found by probing, and the probe leaves nothing.
    let rule = NameCase::of_folder(&out);
    #[cfg(target_os = "linux")]
    assert_eq!(rule, NameCase::Sensitive, "a tmpfs/ext4 temporary folder is case-sensitive");
    let _ = rule;
    assert_eq!(plan(&inputs, &out, &opts).items.len(), 2);
    assert!(!out.exists());
}

// --- 5. An output appearing while a file converts -------------------------

#[test]
fn an_output_that_appears_during_conversion_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let input = common::hound_wav(dir.path(), "in.wav", 44100, 2, 100_000);
    let before = snapshot(std::slice::from_ref(&input));
    let output = dir.path().join("out.flac");
    // Another program writes the output after the existence check, before the rename.
    let mut appear = |_: u64, _: Option<u64>| {
        if !output.exists() {
            std::fs::write(&output, b"someone else's file").unwrap();
        }
    };
    let r = convert_file(&input, &output, &ConvertOptions::default(), &mut appear, &AtomicBool::new(false));
    assert!(matches!(r, Ok(Outcome::Skipped { .. })), "{r:?}");
    assert_eq!(std::fs::read(&output).unwrap(), b"someone else's file", "the output that appeared was replaced");
    assert!(part_files(dir.path()).is_empty());
    assert_unchanged(&before);

    // With overwrite it is replaced, as asked.
    std::fs::remove_file(&output).unwrap();
    let opts = ConvertOptions { overwrite: true, ..Default::default() };
    let r = convert_file(&input, &output, &opts, &mut appear, &AtomicBool::new(false));
    assert!(matches!(r, Ok(Outcome::Converted(_))), "{r:?}");
    assert!(coremusic::io::inspect(&output).is_ok());
}

// --- 6. Long names, a stuck batch, a second Ctrl-C -----------------------

#[test]
fn an_output_name_near_the_limit_converts() {
    let dir = tempfile::tempdir().unwrap();
    let input = common::hound_wav(dir.path(), "in.wav", 44100, 2, 1000);
    for name in ["é".repeat(125) + ".wav", "x".repeat(250) + ".wav"] {
        let out = dir.path().join(&name);
        let (st, err) = run_for(coremusic().arg("convert").arg(&input).arg("-o").arg(&out), Duration::from_secs(30));
        assert_eq!(st.and_then(|s| s.code()), Some(0), "{err}");
        assert!(out.is_file());
    }
    assert!(part_files(dir.path()).is_empty());
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: sends a signal to our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, sig) };
}

#[test]
fn a_second_ctrl_c_stops_a_stuck_batch_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // A named pipe nobody writes to: opening it blocks forever (a stuck
    // network volume does the same).
    let fifo = dir.path().join("stuck.wav");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let out = dir.path().join("out");
    let mut child = coremusic()
        .arg("convert")
        .arg(&fifo)
        .arg("-o")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    signal(&child, libc::SIGINT);
    let first = wait_for(&mut child, Duration::from_millis(700));
    assert!(first.is_none(), "the batch was not stuck: {first:?}");
    signal(&child, libc::SIGINT);
    let second = wait_for(&mut child, Duration::from_secs(5));
    if second.is_none() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("a second Ctrl-C did not stop the batch");
    }
    assert_eq!(second.unwrap().code(), Some(130));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("second Ctrl-C"), "{err}");
    assert!(part_files(dir.path()).is_empty());
}

// --- 10. Full disk, read-only folder, vanished output folder ----------------

/// A tmpfs mounted on a temporary folder (needs root); None when mounting
/// is not possible here (the test is then skipped, with a note).
struct Mount {
    dir: tempfile::TempDir,
}

impl Mount {
    fn tmpfs(options: &str) -> Option<Mount> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "coremusic-test"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("note: cannot mount a tmpfs here (not root?); skipped");
            return None;
        }
        Some(Mount { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn a_full_disk_fails_that_file_and_the_batch_goes_on() {
    let Some(disk) = Mount::tmpfs("size=1m") else { return };
    let src = tempfile::tempdir().unwrap();
    // 0.5 MB, 2.6 MB, 0.5 MB of 16-bit stereo: the middle one cannot fit.
    let inputs = vec![
        common::hound_wav(src.path(), "a.wav", 44100, 2, 120_000),
        common::hound_wav(src.path(), "big.wav", 44100, 2, 650_000),
        common::hound_wav(src.path(), "c.wav", 44100, 2, 120_000),
    ];
    let before = snapshot(&inputs);
    let out = disk.path().join("out");
    let (st, err) = run_for(
        coremusic().arg("convert").args(&inputs).arg("-o").arg(&out).args(["-j", "1"]),
        Duration::from_secs(60),
    );
    assert_eq!(st.and_then(|s| s.code()), Some(1), "{err}");
    assert!(err.contains("big.wav") && err.contains("No space left"), "{err}");
    assert!(err.contains("converted 2, skipped 0, failed 1"), "{err}");
    assert_eq!(files_under(&out), vec![out.join("a.wav"), out.join("c.wav")]);
    assert_unchanged(&before);
}

#[test]
fn a_read_only_folder_fails_each_file_clearly() {
    let Some(ro) = Mount::tmpfs("ro,size=1m") else { return };
    let src = tempfile::tempdir().unwrap();
    let inputs = vec![
        common::hound_wav(src.path(), "a.wav", 44100, 2, 1000),
        common::hound_wav(src.path(), "b.wav", 44100, 2, 1000),
    ];
    let before = snapshot(&inputs);
    let (st, err) = run_for(coremusic().arg("convert").args(&inputs).arg("-o").arg(ro.path()), Duration::from_secs(30));
    assert_eq!(st.and_then(|s| s.code()), Some(1), "{err}");
    for name in ["a.wav", "b.wav"] {
        assert!(
            err.lines().any(|l| l.starts_with("failed") && l.contains(name) && l.contains("Read-only")),
            "no clear error for {name}: {err}"
        );
    }
    assert!(err.contains("failed 2"), "{err}");
    assert!(files_under(ro.path()).is_empty());
    assert_unchanged(&before);
}

#[test]
fn an_output_folder_that_vanishes_mid_batch_fails_the_rest_cleanly() {
    let root = tempfile::tempdir().unwrap();
    let src = root.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let inputs: Vec<PathBuf> =
        (0..4).map(|i| common::hound_wav(&src, &format!("f{i}.wav"), 44100, 2, 20_000)).collect();
    let before = snapshot(&inputs);
    // The output folder is on a drive that is pulled out after the first file.
    let drive = root.path().join("drive");
    let out = drive.join("out");
    std::fs::create_dir(&drive).unwrap();
    let opts = ConvertOptions::default();
    let p = plan(&inputs, &out, &opts);
    assert_eq!(p.items.len(), 4);
    let on_event = |e: BatchEvent| {
        if let BatchEvent::Finished { index: 0, .. } = e {
            std::fs::remove_dir_all(&drive).unwrap();
        }
    };
    let results = batch_process_parallel(&p.items, &opts, 1, &on_event, &AtomicBool::new(false));
    assert!(matches!(results[0], Ok(Outcome::Converted(_))));
    for r in &results[1..] {
        let e = r.as_ref().err().unwrap_or_else(|| panic!("converted into a vanished folder: {r:?}"));
        let msg = e.to_string();
        assert!(matches!(e, ConvertError::Refused { .. }) && msg.contains("gone") && msg.contains(".wav"), "{msg}");
    }
    assert!(!drive.exists(), "the vanished folder was made again");
    assert_unchanged(&before);
}

// --- Killing real batches at random moments -------------------------------

/// A small deterministic random source (seeded, so a failure can be replayed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Checks what a batch into `out` left: every visible file is a complete
/// output (decodes, with the length `frames` says). Hidden part files are
/// allowed only from a process killed outright: with `strict`, none at all;
/// never one of process `not_of` (a batch that was cancelled).
fn check_outputs(out: &Path, frames: &dyn Fn(&Path) -> u64, strict: bool, not_of: Option<u32>, what: &str) {
    if !out.exists() {
        return;
    }
    for f in files_under(out) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') {
            assert!(!strict, "{what}: {name} left behind");
            let owner = name.split("coremusic-part-").nth(1).unwrap_or_else(|| panic!("{what}: unexpected {name}"));
            let pid: u32 = owner.split('-').next().unwrap().parse().unwrap();
            assert_ne!(Some(pid), not_of, "{what}: the cancelled batch left {name}");
            continue;
        }
        let info = coremusic::io::inspect(&f).unwrap_or_else(|e| panic!("{what}: {name} is partial: {e:?}"));
        assert_eq!(info.frames, Some(frames(&f)), "{what}: {name} is incomplete");
        let mut file = coremusic::io::AudioFile::open(&f).unwrap();
        let n = file.read_all_i32().unwrap_or_else(|e| panic!("{what}: {name} does not decode: {e}")).len();
        assert_eq!(n as u64, frames(&f) * 2, "{what}: {name} decodes short");
    }
}

/// How a batch is interrupted.
#[derive(Clone, Copy, Debug)]
enum Interruption {
    /// SIGKILL: nothing of the process runs any more (hidden part files may stay).
    Kill,
    /// One Ctrl-C: the batch cancels gracefully.
    CtrlC,
    /// Ctrl-C, then a second one this much later: the batch stops at once.
    CtrlCTwice(Duration),
    /// Every file the process writes stops at this many bytes, as on a full
    /// disk (`RLIMIT_FSIZE` with SIGXFSZ ignored: each write past it fails
    /// with EFBIG): the batch runs to its end.
    FullAt(u64),
}

/// 20 WAV files of different lengths in `<root>/in`, their bytes, and the
/// length in frames each output (44.1 → 48 kHz) must have.
struct Batch {
    root: tempfile::TempDir,
    src: PathBuf,
    lengths: Vec<u32>,
    before: Vec<(PathBuf, Vec<u8>)>,
}

impl Batch {
    fn new() -> Batch {
        let root = tempfile::tempdir().unwrap();
        let src = root.path().join("in");
        std::fs::create_dir(&src).unwrap();
        let lengths: Vec<u32> = (0..20).map(|i| 30_000 + 7_000 * (i % 5)).collect();
        let inputs: Vec<PathBuf> = lengths
            .iter()
            .enumerate()
            .map(|(i, &n)| common::hound_wav(&src, &format!("t{i:02}.wav"), 44100, 2, n))
            .collect();
        let before = snapshot(&inputs);
        Batch { root, src, lengths, before }
    }

    fn frames(&self, f: &Path) -> u64 {
        let stem = f.file_stem().unwrap().to_string_lossy();
        let i: usize = stem[1..].parse().unwrap();
        (u64::from(self.lengths[i]) * 160).div_ceil(147)
    }

    fn command(&self, out: &Path, format: &str) -> Command {
        let mut c = coremusic();
        c.arg("convert").arg(&self.src).arg("-o").arg(out).args(["--rate", "48000", "-j", "2", "-f", format]);
        c.stdout(Stdio::null()).stderr(Stdio::null());
        c
    }

    /// Runs a batch into `out`, interrupted by `how` after `at`, and checks
    /// what it left: complete outputs only, no part file of a process that
    /// lived to clean up, every input byte-identical.
    fn interrupt(&self, out: &Path, format: &str, how: Interruption, at: Duration, what: &str) {
        use std::os::unix::process::{CommandExt, ExitStatusExt};
        let mut cmd = self.command(out, format);
        if let Interruption::FullAt(bytes) = how {
            cmd.stderr(Stdio::piped());
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                    let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
                    if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                })
            };
        }
        let mut child = cmd.spawn().unwrap();
        match how {
            Interruption::Kill | Interruption::CtrlC | Interruption::CtrlCTwice(_) => {
                std::thread::sleep(at);
                signal(&child, if matches!(how, Interruption::Kill) { libc::SIGKILL } else { libc::SIGINT });
                if let Interruption::CtrlCTwice(gap) = how {
                    std::thread::sleep(gap);
                    signal(&child, libc::SIGINT);
                }
            }
            Interruption::FullAt(_) => {}
        }
        let status = wait_for(&mut child, Duration::from_secs(60)).unwrap_or_else(|| {
            let _ = child.kill();
            panic!("{what}: the batch did not stop");
        });
        match how {
            Interruption::Kill => {}
            // Before its handler is installed, Ctrl-C ends it outright (nothing is written yet).
            Interruption::CtrlC | Interruption::CtrlCTwice(_) => {
                let ok = matches!(status.code(), Some(0 | 130)) || status.signal() == Some(libc::SIGINT);
                assert!(ok, "{what}: {status:?}");
            }
            Interruption::FullAt(_) => {
                let mut err = String::new();
                std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
                check_failures(status.code(), &err, format, "too large", what);
            }
        }
        let strict_pid = (!matches!(how, Interruption::Kill)).then_some(child.id());
        check_outputs(out, &|f| self.frames(f), false, strict_pid, what);
        assert_unchanged(&self.before);
    }

    /// A batch into `out` that runs to its end: every output complete, no
    /// part file left (not even a killed process's), inputs unchanged.
    fn complete(&self, out: &Path, format: &str, what: &str) {
        let st = self.command(out, format).status().unwrap();
        assert!(st.success(), "{what}: the batch after the interruptions failed");
        check_outputs(out, &|f| self.frames(f), true, None, what);
        assert_eq!(files_under(out).len(), 20, "{what}");
        assert_unchanged(&self.before);
    }
}

impl Batch {
    /// Runs a whole batch in `format` into a new folder: how long it took,
    /// and the size of its largest output and of all of them.
    fn measure(&self, format: &str) -> (Duration, u64, u64) {
        let out = self.root.path().join(format!("whole-{format}"));
        let started = Instant::now();
        self.complete(&out, format, &format!("uninterrupted ({format})"));
        let took = started.elapsed();
        let sizes: Vec<u64> = files_under(&out).iter().map(|f| f.metadata().unwrap().len()).collect();
        std::fs::remove_dir_all(&out).unwrap();
        (took, sizes.iter().copied().max().unwrap(), sizes.iter().sum())
    }
}

fn kill_seed() -> u64 {
    std::env::var("COREMUSIC_KILL_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(13)
}

/// Checks how a batch that ran out of room ended: exit 0 (everything fitted)
/// or 1 with every failure naming its `.format` output and saying `why`.
fn check_failures(code: Option<i32>, err: &str, format: &str, why: &str, what: &str) {
    match code {
        Some(0) => {}
        Some(1) => {
            let failed: Vec<&str> = err.lines().filter(|l| l.starts_with("failed")).collect();
            assert!(!failed.is_empty(), "{what}: exit 1 with no file failed: {err}");
            for l in &failed {
                assert!(l.contains(&format!(".{format}")) && l.contains(why), "{what}: unclear error: {l}");
            }
            eprintln!("{what}: {} file(s) failed", failed.len());
        }
        other => panic!("{what}: {other:?} {err}"),
    }
}

#[test]
fn interrupting_batches_at_random_moments_loses_nothing() {
    let batch = Batch::new();
    let seed = kill_seed();
    let mut rng = Lcg(seed);
    for format in ["wav", "flac"] {
        // How long a whole batch takes here: the interruptions fall within it.
        let (whole, largest, _) = batch.measure(format);
        eprintln!("a whole {format} batch takes {whole:?}; interruptions fall within 0..{:?}", whole * 11 / 10);
        for round in 0..4 {
            let out = batch.root.path().join(format!("out-{format}-{round}"));
            // Two interruptions into the same folder, then a batch that completes it.
            for attempt in 0..2 {
                let at = Duration::from_micros(rng.next() % (whole.as_micros() as u64 * 11 / 10 + 1));
                let how = match (round * 2 + attempt) % 4 {
                    0 => Interruption::Kill,
                    1 => Interruption::CtrlC,
                    2 => Interruption::CtrlCTwice(Duration::from_micros(rng.next() % 200_000)),
                    // Sizes from nothing to past the largest output.
                    _ => Interruption::FullAt(rng.next() % (largest * 11 / 10)),
                };
                let what = format!("seed {seed} {format} round {round} attempt {attempt}: {how:?} after {at:?}");
                batch.interrupt(&out, format, how, at, &what);
            }
            batch.complete(&out, format, &format!("seed {seed} {format} round {round}, completed"));
        }
    }
}

#[test]
fn a_disk_filling_up_at_a_random_moment_loses_nothing() {
    let Some(disk) = Mount::tmpfs("size=64m") else { return };
    let batch = Batch::new();
    let seed = kill_seed();
    let mut rng = Lcg(seed);
    let remount = |size: &str| {
        let st = Command::new("mount").args(["-o", &format!("remount,size={size}")]).arg(disk.path()).status();
        assert!(st.unwrap().success(), "cannot resize the tmpfs");
    };
    for format in ["wav", "flac"] {
        let (_, _, total) = batch.measure(format);
        for round in 0..2 {
            // Room for part of the batch: the disk fills up while files are
            // being written.
            let kb = 64 + rng.next() % (total / 1024);
            remount(&format!("{kb}k"));
            let out = disk.path().join(format!("out-{format}-{round}"));
            let what = format!("seed {seed} {format} round {round}: a disk of {kb} KB");
            let (st, err) = run_for(batch.command(&out, format).stderr(Stdio::piped()), Duration::from_secs(120));
            check_failures(st.and_then(|s| s.code()), &err, format, "No space left", &what);
            check_outputs(&out, &|f| batch.frames(f), true, None, &what);
            assert_unchanged(&batch.before);
            // Room again: the same batch completes what is missing.
            remount("64m");
            batch.complete(&out, format, &format!("{what}, then room"));
            std::fs::remove_dir_all(&out).unwrap();
        }
    }
}

// --- An input truncated by another program while it converts ---------------

#[test]
fn an_input_truncated_while_it_converts_ends_short_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let frames = 400_000u64;
    let wav = common::hound_wav(dir.path(), "long.wav", 44100, 2, frames as u32);
    let flac = dir.path().join("long.flac");
    let made = convert_file(&wav, &flac, &ConvertOptions::default(), &mut |_, _| {}, &AtomicBool::new(false));
    assert!(matches!(made, Ok(Outcome::Converted(_))), "{made:?}");
    for (input, format) in [(&wav, "wav"), (&flac, "flac")] {
        let pristine = std::fs::read(input).unwrap();
        for keep in [0, pristine.len() as u64 / 3] {
            let what = format!("{format} cut to {keep} bytes while converting");
            std::fs::write(input, &pristine).unwrap();
            let output = dir.path().join(format!("out-{keep}.{}", if format == "wav" { "flac" } else { "wav" }));
            let mut cut = false;
            let mut truncate = |_: u64, _: Option<u64>| {
                if !cut {
                    std::fs::OpenOptions::new().write(true).open(input).unwrap().set_len(keep).unwrap();
                    cut = true;
                }
            };
            let r = convert_file(input, &output, &ConvertOptions::default(), &mut truncate, &AtomicBool::new(false));
            assert!(cut, "{what}: no progress was reported");
            match r {
                Ok(Outcome::Converted(stats)) => {
                    assert!(stats.frames_in < frames, "{what}: read {} frames of a cut file", stats.frames_in);
                    assert!(
                        stats
                            .warnings
                            .iter()
                            .map(ToString::to_string)
                            .any(|w| w.contains("early") || w.contains("short") || w.contains("cut")),
                        "{what}: no warning: {:?}",
                        stats.warnings
                    );
                    let mut file = coremusic::io::AudioFile::open(&output).unwrap();
                    let n = file.read_all_i32().unwrap().len() as u64;
                    assert_eq!(n, stats.frames_out * 2, "{what}: the output is not what was converted");
                    eprintln!("{what}: {} of {frames} frames, {:?}", stats.frames_in, stats.warnings);
                }
                Err(e) => {
                    let msg = e.to_string();
                    assert!(msg.contains("long."), "{what}: the error does not name the file: {msg}");
                    assert!(!output.exists(), "{what}: failed but left {}", output.display());
                    eprintln!("{what}: {msg}");
                }
                Ok(other) => panic!("{what}: {other:?}"),
            }
            assert!(part_files(dir.path()).is_empty(), "{what}: part file left");
        }
    }
}
