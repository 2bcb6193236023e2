//! `coremusic`: the window when started without a command, the command line otherwise.

#![deny(unsafe_code)]

use clap::Parser;

mod cli;

fn main() {
    let started = std::time::Instant::now();
    let cli = cli::Cli::parse();
    let status = match cli.command {
        Some(command) => cli::run(command),
        None => open_window(
            cli.files,
            Benches { first_screen: cli.bench_first_screen.then_some(started), redraw: cli.bench_redraw },
        ),
    };
    std::process::exit(status);
}

/// The hidden bench flags of the window: `--bench-first-screen` (with the
/// process's start) and `--bench-redraw`.
#[cfg_attr(not(feature = "gui"), allow(dead_code))]
struct Benches {
    first_screen: Option<std::time::Instant>,
    redraw: bool,
}

#[cfg(feature = "gui")]
fn open_window(files: Vec<std::path::PathBuf>, benches: Benches) -> i32 {
    let options = coremusic::ui::RunOptions { bench_first_screen: benches.first_screen, bench_redraw: benches.redraw };
    match coremusic::ui::run_with(files, options) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("coremusic: could not open the window: {e}");
            eprintln!("(the command line still works: try `coremusic info FILE`)");
            1
        }
    }
}

#[cfg(not(feature = "gui"))]
fn open_window(_files: Vec<std::path::PathBuf>, _benches: Benches) -> i32 {
    eprintln!("coremusic was built without the window (feature `gui`); try `coremusic --help`");
    2
}
