//! Conversion: the guide's ExtendedAudioFile and AudioConverter, and its
//! `batch_process_parallel`. A file is read in any client format (rate,
//! channels, depth) through a pipeline of [`crate::dsp`] stages and written by
//! any [`crate::io`] writer; batches run on a bounded pool with progress and
//! cancel. This room never writes over an input and never leaves a partial
//! output behind.

mod batch;
mod client;
mod file;
mod normalize;
mod options;
mod stages;
mod verify;

pub use crate::io::place::NameCase;
pub use batch::{
    batch_format, batch_process_parallel, output_is_file, plan, plan_with_case, BatchEvent, BatchItem, BatchMeter,
    BatchPlan, BatchStatus, EventLog, FileFailure,
};
pub use client::{ClientChannels, ClientFormat, ClientReader, ClientSample, ClientSampleType};
pub use file::{
    convert_file, default_sample, output_format, same_file, ConvertError, ConvertStats, Outcome, CHUNK_FRAMES,
};
pub use normalize::{measure, LoudnessChange, Measurement, CEILING_MARGIN_DB};
pub use options::{named_preset, named_presets, BitDepth, ConvertOptions, NormalizeOptions, PresetError, Quality};
pub use stages::{Stages, StagesError, Target};
pub use verify::{SampleHash, Verification};
