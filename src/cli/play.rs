//! `coremusic play FILE [--device NAME|sim] [--buffer FRAMES]`: plays a file
//! through the engine with a one-line live status on stderr. Space pauses and
//! q quits when stdin is a terminal (read in non-canonical mode through
//! `stty`); Ctrl-C stops cleanly; the command exits at the end of the file.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use coremusic::engine::{Command, DeviceChoice, Engine, EngineConfig, Event};

/// Arguments of `coremusic play`.
#[derive(Debug, clap::Args)]
pub struct PlayArgs {
    /// The audio file to play.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Output device: a name from the system, `sim` for the simulated device, or `default`.
    #[arg(long, value_name = "NAME|sim", default_value = "default")]
    pub device: String,
    /// Frames per callback (the device may round it).
    #[arg(long, value_name = "FRAMES", default_value_t = 512)]
    pub buffer: u32,
}

/// Puts the terminal in non-canonical, no-echo mode and restores it on drop.
struct RawTerminal {
    saved: Option<String>,
}

impl RawTerminal {
    fn enter() -> Self {
        let saved = std::process::Command::new("stty")
            .arg("-g")
            .stdin(Stdio::inherit())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        if saved.is_some() {
            let _ = std::process::Command::new("stty")
                .args(["-icanon", "-echo", "min", "1"])
                .stdin(Stdio::inherit())
                .status();
        }
        RawTerminal { saved }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        if let Some(s) = &self.saved {
            let _ = std::process::Command::new("stty").arg(s).stdin(Stdio::inherit()).status();
        }
    }
}

fn clock(s: f64) -> String {
    let s = if s.is_finite() { s.max(0.0) } else { 0.0 };
    format!("{}:{:04.1}", (s / 60.0).floor() as u64, s % 60.0)
}

/// Plays the file; 0 at its end or on q/Ctrl-C, 1 when it cannot be played, 2 on bad usage.
pub fn run(args: &PlayArgs) -> i32 {
    if !(1..=65_536).contains(&args.buffer) {
        eprintln!("coremusic: --buffer {}: give 1 to 65536 frames", args.buffer);
        return 2;
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        let _ = ctrlc::set_handler(move || stop.store(true, Relaxed));
    }
    let engine = Engine::start(EngineConfig {
        device: DeviceChoice::parse(&args.device),
        buffer_frames: args.buffer,
        ..EngineConfig::default()
    });
    engine.send(Command::Play { path: args.file.clone(), from_frame: 0 });

    let interactive = std::io::stdin().is_terminal();
    let status_line = std::io::stderr().is_terminal();
    let _raw = interactive.then(RawTerminal::enter);
    let (key_tx, keys) = crossbeam_channel::unbounded();
    if interactive {
        let _ = std::thread::Builder::new().name("coremusic-keys".into()).spawn(move || {
            let mut byte = [0u8; 1];
            let mut stdin = std::io::stdin();
            while let Ok(1) = stdin.read(&mut byte) {
                if key_tx.send(byte[0]).is_err() {
                    break;
                }
            }
        });
    }

    let mut duration: Option<f64> = None;
    let mut loaded = false;
    let mut paused = false;
    let mut last_status = Instant::now() - Duration::from_secs(1);
    let mut status = 0;
    let mut err = std::io::stderr();
    loop {
        if stop.load(Relaxed) {
            break;
        }
        match engine.events().recv_timeout(Duration::from_millis(50)) {
            Ok(Event::Error(e)) => {
                let _ = write!(err, "\r\x1b[K");
                eprintln!("coremusic: {e}");
                status = 1;
                break;
            }
            Ok(Event::Loaded(f)) => {
                loaded = true;
                duration = f.duration_s;
            }
            Ok(Event::FellBackToSim { requested, reason }) => {
                eprintln!("coremusic: device '{requested}' not usable ({reason}); playing on the simulated device");
            }
            Ok(Event::Ended) => break,
            Ok(_) | Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                status = 1;
                break;
            }
        }
        while let Ok(k) = keys.try_recv() {
            match k {
                b' ' => {
                    paused = !paused;
                    engine.send(if paused { Command::Pause } else { Command::Resume });
                }
                b'q' | b'Q' => stop.store(true, Relaxed),
                _ => {}
            }
        }
        if status_line && loaded && last_status.elapsed() >= Duration::from_millis(100) {
            last_status = Instant::now();
            let (_, pos) = engine.position();
            let s = engine.stats();
            let dur = duration.map(clock).unwrap_or_else(|| "?".into());
            let _ = write!(
                err,
                "\r\x1b[K{} / {}  load p99 {:.1}%  xruns {}  underruns {}{}",
                clock(pos),
                dur,
                s.load_p99 * 100.0,
                s.xruns,
                s.underruns,
                if paused { "  [paused]" } else { "" }
            );
            let _ = err.flush();
        }
    }
    if status_line && loaded {
        let _ = writeln!(err);
    }
    engine.send(Command::Stop);
    status
}
