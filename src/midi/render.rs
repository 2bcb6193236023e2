//! Offline rendering: the same [`Player`] and synth the engine plays, driven
//! block by block as fast as the machine goes, deterministic, with the release
//! tail after the last note. [`render_to_wav`] writes a 24-bit stereo WAV to a
//! temporary file beside the target and renames it into place only when
//! complete (nothing is left behind on error or cancel). It is the one WAV
//! render of the crate: `coremusic midi render` and the piano roll's "Render to
//! WAV…" (on a background thread, cancellable) both call it.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::dsp::Render;
use crate::format::SampleFormat;
use crate::io::{create_writer, OutputFormat, WriterSpec};

use super::model::Sequence;
use super::player::Player;
use super::smf::MidiError;
use super::synth::{Synth, SynthChoice};
use crate::io::place::{folder_of, remove_stale_part_files, PartFile};

/// Frames per render call offline.
pub const OFFLINE_BLOCK: usize = 1024;
/// The longest release tail rendered after the song ends, in seconds.
pub const MAX_TAIL_S: f64 = 10.0;
/// A tail this quiet (peak) for [`QUIET_TAIL_S`] counts as ended when the synth cannot tell.
const QUIET: f32 = 1e-4;
const QUIET_TAIL_S: f64 = 0.5;

/// Why a render stopped without a file: cancelled by the user, refused
/// (the target exists or is a folder, a rate out of range), or failed while
/// writing. The window and the command line tell these apart by variant, and
/// the text is only made by `Display` (at the edges).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The render was cancelled; nothing was written.
    #[error("cancelled")]
    Cancelled,
    /// The output exists and overwriting was not asked for.
    #[error("exists (use --overwrite to replace it)")]
    Exists,
    /// The output is a folder.
    #[error("is a folder")]
    IsFolder,
    /// The sample rate is outside [`RENDER_RATES`].
    #[error("sample rate {0} Hz is outside {min}–{max} Hz", min = RENDER_RATES.start(), max = RENDER_RATES.end())]
    Rate(u32),
    /// The audio writer refused or failed.
    #[error("{0}")]
    Write(#[from] crate::io::WriteError),
    /// The file system failed (creating, syncing or placing the file).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// What an offline render produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderStats {
    /// Frames written.
    pub frames: u64,
    /// Sample rate.
    pub sample_rate: u32,
    /// The song's length in seconds (without the tail).
    pub song_s: f64,
    /// Largest absolute sample.
    pub peak: f32,
}

/// Renders `seq` through `synth` at `rate` Hz, stereo, handing each block of
/// interleaved samples to `sink`; `progress(done_s, total_s)` after each block.
pub fn render_offline(
    seq: &Sequence,
    synth: Synth,
    rate: u32,
    progress: &mut dyn FnMut(f64, f64),
    sink: &mut dyn FnMut(&[f32]) -> Result<(), RenderError>,
) -> Result<RenderStats, RenderError> {
    if !RENDER_RATES.contains(&rate) {
        return Err(RenderError::Rate(rate));
    }
    let (mut player, mut handle) = Player::new(seq, synth);
    player.prepare(rate, 2, OFFLINE_BLOCK);
    handle.play();
    let song_s = player.duration_s();
    let total = song_s + 1.0;
    let mut block = vec![0.0f32; OFFLINE_BLOCK * 2];
    let max_frames = ((song_s + MAX_TAIL_S) * f64::from(rate)).ceil() as u64 + OFFLINE_BLOCK as u64;
    let quiet_needed = (QUIET_TAIL_S * f64::from(rate)) as u64;
    let (mut frames, mut quiet, mut peak) = (0u64, 0u64, 0.0f32);
    let mut started = false;
    loop {
        player.render(&mut block);
        // The first call starts playing; after that, stop once the song is over and the tail has died away.
        started |= handle.is_playing() || handle.finished();
        let block_peak = block.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        peak = peak.max(block_peak);
        sink(&block)?;
        frames += OFFLINE_BLOCK as u64;
        let done_s = frames as f64 / f64::from(rate);
        progress(done_s.min(total), total);
        let over = started && !handle.is_playing();
        if over {
            quiet = if block_peak < QUIET { quiet + OFFLINE_BLOCK as u64 } else { 0 };
            let idle = player.synth_idle().unwrap_or(quiet >= quiet_needed);
            if idle || frames >= max_frames {
                break;
            }
        }
        if frames >= max_frames.saturating_mul(2) {
            break;
        }
    }
    progress(total, total);
    Ok(RenderStats { frames, sample_rate: rate, song_s, peak })
}

/// The synth a render plays through: a choice still to be loaded (a .sf2 is
/// read by [`render_to_wav`]), or a synth made already (e.g. with a SoundFont
/// the app has loaded).
#[derive(Debug)]
pub enum RenderSynth<'a> {
    /// Load this choice.
    Choice(&'a SynthChoice),
    /// Use this synth.
    Ready(Synth),
}

impl<'a> From<&'a SynthChoice> for RenderSynth<'a> {
    fn from(choice: &'a SynthChoice) -> Self {
        RenderSynth::Choice(choice)
    }
}

impl From<Synth> for RenderSynth<'_> {
    fn from(synth: Synth) -> Self {
        RenderSynth::Ready(synth)
    }
}

/// The sample rates a render accepts, in Hz.
pub const RENDER_RATES: std::ops::RangeInclusive<u32> = 8_000..=384_000;

/// Renders `seq` through `synth` to a 24-bit stereo WAV at `path` at `rate`
/// Hz (see the module docs). An existing `path` is replaced only with
/// `overwrite` (checked again at the final rename, so a file that appears
/// meanwhile is not replaced either). Temporary files of earlier renders that
/// were killed are removed from the folder first. `progress(done_s, total_s)`
/// is called after each block; when `cancel` is given and becomes true the
/// render stops, removes its partial file and returns [`MidiError::Render`]
/// with `what` = [`RenderError::Cancelled`].
pub fn render_to_wav<'a>(
    seq: &Sequence,
    path: &Path,
    overwrite: bool,
    rate: u32,
    synth: impl Into<RenderSynth<'a>>,
    cancel: Option<&AtomicBool>,
    progress: &mut dyn FnMut(f64, f64),
) -> Result<RenderStats, MidiError> {
    let err = |what: RenderError| MidiError::Render { path: path.to_path_buf(), what };
    if !RENDER_RATES.contains(&rate) {
        return Err(err(RenderError::Rate(rate)));
    }
    if path.is_dir() {
        return Err(err(RenderError::IsFolder));
    }
    if !overwrite && std::fs::symlink_metadata(path).is_ok() {
        return Err(err(RenderError::Exists));
    }
    let synth = match synth.into() {
        RenderSynth::Choice(choice) => Synth::from_choice(choice)?,
        RenderSynth::Ready(synth) => synth,
    };
    remove_stale_part_files(folder_of(path));
    let (part, sink) = PartFile::create(path).map_err(|e| err(e.into()))?;
    let spec = WriterSpec::new(OutputFormat::Wav, rate, 2, SampleFormat::S24);
    let mut writer =
        create_writer(Box::new(BufWriter::with_capacity(1 << 20, sink)), spec).map_err(|e| err(e.into()))?;
    let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let stats = render_offline(seq, synth, rate, progress, &mut |block| {
        if cancelled() {
            return Err(RenderError::Cancelled);
        }
        Ok(writer.write_f32(block)?)
    })
    .map_err(err)?;
    writer.finish().map_err(|e| err(e.into()))?;
    if cancelled() {
        return Err(err(RenderError::Cancelled));
    }
    // The data reach the disk before the name does.
    if let Ok(f) = File::open(part.path()) {
        f.sync_all().map_err(|e| err(e.into()))?;
    }
    part.place_durably(path, overwrite).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => err(RenderError::Exists),
        _ => err(e.into()),
    })?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_render_leaves_no_file_and_a_ready_synth_renders() {
        let dir = tempfile::tempdir().unwrap();
        let mut seq = Sequence::new(480);
        seq.push_note(0, 0, 480 * 8, 60, 100);
        let out = dir.path().join("x.wav");
        let cancel = AtomicBool::new(true);
        let r = render_to_wav(&seq, &out, false, 22050, Synth::builtin(), Some(&cancel), &mut |_, _| {});
        match r {
            Err(MidiError::Render { path, what: RenderError::Cancelled }) => assert_eq!(path, out),
            other => panic!("{other:?}"),
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

        // Cancelled half-way (from the progress callback, as a UI would): still nothing left.
        let cancel = AtomicBool::new(false);
        let r = render_to_wav(&seq, &out, false, 22050, Synth::builtin(), Some(&cancel), &mut |done, _| {
            if done > 1.0 {
                cancel.store(true, Ordering::Relaxed);
            }
        });
        assert!(matches!(r, Err(MidiError::Render { what: RenderError::Cancelled, .. })), "{r:?}");
        let text = r.unwrap_err().to_string();
        assert!(text.ends_with(": cancelled"), "{text}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

        let cancel = AtomicBool::new(false);
        let stats = render_to_wav(&seq, &out, false, 22050, Synth::builtin(), Some(&cancel), &mut |_, _| {}).unwrap();
        assert!(stats.frames > 22050 * 4);
        assert!(out.is_file());
        // Refusals are told apart by variant too.
        let r = render_to_wav(&seq, &out, false, 22050, Synth::builtin(), None, &mut |_, _| {});
        assert!(matches!(r, Err(MidiError::Render { what: RenderError::Exists, .. })), "{r:?}");
        let r = render_to_wav(&seq, dir.path(), true, 22050, Synth::builtin(), None, &mut |_, _| {});
        assert!(matches!(r, Err(MidiError::Render { what: RenderError::IsFolder, .. })), "{r:?}");
        let r = render_to_wav(&seq, &out, true, 1, Synth::builtin(), None, &mut |_, _| {});
        assert!(matches!(r, Err(MidiError::Render { what: RenderError::Rate(1), .. })), "{r:?}");
    }
}
