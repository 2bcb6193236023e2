//! `coremusic`: the window when started without a command, the command line otherwise.

#![deny(unsafe_code)]

use clap::Parser;

mod cli;

fn main() {
    let cli = cli::Cli::parse();
    let status = match cli.command {
        Some(command) => cli::run(command),
        None => open_window(cli.files),
    };
    std::process::exit(status);
}

#[cfg(feature = "gui")]
fn open_window(files: Vec<std::path::PathBuf>) -> i32 {
    match coremusic::ui::run(files) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("coremusic: could not open the window: {e}");
            eprintln!("(the command line still works: try `coremusic info FILE`)");
            1
        }
    }
}

#[cfg(not(feature = "gui"))]
fn open_window(_files: Vec<std::path::PathBuf>) -> i32 {
    eprintln!("coremusic was built without the window (feature `gui`); try `coremusic --help`");
    2
}
