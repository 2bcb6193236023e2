//! ReplayGain 2.0 values of files (`coremusic tag --replaygain`): each file
//! measured once with the EBU R128 meter (in parallel), its gain to
//! [`REFERENCE_LUFS`] and its sample peak; with `album`, also the album's
//! gain from all files measured as one programme and the album's peak.
//! Writing them is [`crate::io::tags::write_replaygain`]'s job.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use rayon::prelude::*;

use super::loudness::analyze_keeping_meter;
use crate::dsp::loudness::{album_loudness, LoudnessMeter};
use crate::io::tags::replaygain::REFERENCE_LUFS;
use crate::io::tags::ReplayGain;
use crate::io::{FileError, ReadError};

/// The ReplayGain of each file, in order (one `Err` per file that could
/// not be measured, or is digital silence). `done` is called as each file
/// is measured; `cancel` stops the files not yet started.
pub fn replaygain_of(
    paths: &[PathBuf],
    album: bool,
    done: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
) -> Vec<Result<ReplayGain, FileError>> {
    let measured: Vec<Result<(ReplayGain, LoudnessMeter), FileError>> = paths
        .par_iter()
        .with_max_len(1)
        .enumerate()
        .map(|(i, path)| {
            let (a, meter) = analyze_keeping_meter(path, |_| {}, cancel)?;
            done(i);
            let lufs = a.levels.integrated_lufs.ok_or_else(|| {
                FileError::new(path, ReadError::Unsupported("digital silence: no loudness to tag".into()))
            })?;
            let peak = a.levels.channels.iter().map(|c| c.sample_peak).fold(0.0, f64::max);
            let rg = ReplayGain {
                track_gain_db: REFERENCE_LUFS - lufs,
                track_peak: peak,
                album_gain_db: None,
                album_peak: None,
            };
            Ok((rg, meter))
        })
        .collect();
    let (album_gain, album_peak) = if album {
        let ok: Vec<&(ReplayGain, LoudnessMeter)> = measured.iter().flatten().collect();
        let meters: Vec<&LoudnessMeter> = ok.iter().map(|(_, m)| m).collect();
        let peak = ok.iter().map(|(rg, _)| rg.track_peak).fold(0.0, f64::max);
        (album_loudness(&meters).map(|l| REFERENCE_LUFS - l), Some(peak))
    } else {
        (None, None)
    };
    measured
        .into_iter()
        .map(|r| {
            r.map(|(mut rg, _)| {
                if album_gain.is_some() {
                    rg.album_gain_db = album_gain;
                    rg.album_peak = album_peak;
                }
                rg
            })
        })
        .collect()
}
