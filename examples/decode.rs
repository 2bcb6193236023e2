//! Decodes files to interleaved f32 and throws the samples away, printing the
//! throughput: the project's side of `benches/compare.sh`.
//!
//! `cargo run --release --example decode -- FILE...`

use std::time::Instant;

fn main() {
    let mut status = 0;
    for arg in std::env::args().skip(1) {
        let start = Instant::now();
        let result = (|| -> Result<u64, coremusic::io::FileError> {
            let mut reader = coremusic::io::open(std::path::Path::new(&arg))?;
            let ch = reader.info().channels().max(1);
            let mut buf = vec![0f32; 16384 * ch];
            let mut frames = 0u64;
            loop {
                let n = reader.read_f32(&mut buf).map_err(|e| coremusic::io::FileError::new(&arg, e))?;
                if n == 0 {
                    return Ok(frames);
                }
                frames += n as u64;
                std::hint::black_box(&buf);
            }
        })();
        let secs = start.elapsed().as_secs_f64();
        match result {
            Ok(frames) => {
                let bytes = std::fs::metadata(&arg).map(|m| m.len()).unwrap_or(0);
                println!("{arg}: {frames} frames in {secs:.4} s = {:.0} MB/s", bytes as f64 / secs / 1e6);
            }
            Err(e) => {
                eprintln!("{e}");
                status = 1;
            }
        }
    }
    std::process::exit(status);
}
