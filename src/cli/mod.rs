//! The command line: `coremusic info`, `convert`, `play`, `midi`, `latency` and `spectrogram`.
//! face on a library call, prints for people by default and JSON Lines with
//! `--json`, and returns the process exit status. Errors are printed here and
//! nowhere else.

pub mod convert;
pub mod info;
pub mod latency;
pub mod midi;
pub mod play;
pub mod spectrogram;
pub mod tag;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// `coremusic` — with no command it opens the window.
#[derive(Debug, Parser)]
#[command(name = "coremusic", version, about = "CoreMusic: inspect, view, play and convert audio", long_about = None)]
pub struct Cli {
    /// What to do; none opens the window.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Files to open in the window.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Measure how long the window takes to show FILE's first spectrogram
    /// screen (from a never-seen peaks cache), print it and close (benches).
    #[arg(long, hide = true)]
    pub bench_first_screen: bool,
    /// Time the window's frames of FILE's Waveform tab at each zoom, the
    /// screen's tiles cached; print them and close (benches).
    #[arg(long, hide = true)]
    pub bench_redraw: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what audio files are: container, codec, rate, channels, bits, frames, duration, tags.
    Info(info::InfoArgs),
    /// Convert files or folders: format, sample rate, channels, depth; in parallel.
    Convert(convert::ConvertArgs),
    /// Play a file on a device (or the simulated one) with a live status line.
    Play(play::PlayArgs),
    /// Measure callback timing, load, xruns and output latency; sweep buffer sizes.
    Latency(latency::LatencyArgs),
    /// MIDI files: `midi info FILE... [--json]`, `midi render FILE -o OUT.wav [--rate HZ] [--soundfont F.sf2]`.
    Midi(midi::MidiArgs),
    /// Draw a spectrogram PNG with axes and a colour bar (like `sox spectrogram`, on every core).
    Spectrogram(spectrogram::SpectrogramArgs),
    /// Write ReplayGain 2.0 tags (track, and album with --album) without touching the audio.
    Tag(tag::TagArgs),
}

/// Runs a subcommand and returns the exit status (0 ok, 1 when any file failed, 2 on bad usage).
pub fn run(command: Command) -> i32 {
    match command {
        Command::Info(args) => info::run(&args),
        Command::Convert(args) => convert::run(&args),
        Command::Play(args) => play::run(&args),
        Command::Latency(args) => latency::run(&args),
        Command::Midi(args) => midi::run(&args),
        Command::Spectrogram(args) => spectrogram::run(&args),
        Command::Tag(args) => tag::run(&args),
    }
}
